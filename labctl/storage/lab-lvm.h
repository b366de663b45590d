/* lab-lvm.h: LVM2 on the lab's iSCSI disk, through LabRunner.
 *
 * Every command names the one device it may look at (`--devices DEV`), so
 * LVM never scans or touches the host's other disks. Results are read back
 * with `--reportformat json`. Ownership is an LVM tag, "labctl:<lab>", on
 * the PV, the VG and each LV (lab_lvm_tag()).
 *
 * The environment of the runner decides the LVM configuration: tests (and
 * hosts without device-mapper) set LVM_SYSTEM_DIR to a private directory
 * whose lvm.conf has activation = 0; see LABCTL_LVM_SYSTEM_DIR in
 * lab-storage.h.
 */
#pragma once

#include <gio/gio.h>

#include "lab-runner.h"

G_BEGIN_DECLS

typedef struct {
  char    *name;        /* /dev/... */
  char    *vg_name;     /* "" for an orphan PV */
  guint64  size;
  guint64  free;
  GStrv    tags;
} LabLvmPv;

typedef struct {
  char    *name;
  guint64  size;
  guint64  free;
  guint64  extent_size;
  guint    pv_count;
  guint    lv_count;
  GStrv    tags;
} LabLvmVg;

typedef struct {
  char    *name;
  char    *vg_name;
  guint64  size;
  GStrv    tags;
  GStrv    vg_tags;     /* the VG's, on every row */
  guint    pv_count;    /* the VG's */
} LabLvmLv;

/* "labctl:<lab>" */
char       *lab_lvm_tag              (const char *lab_name);
gboolean    lab_lvm_has_tag          (GStrv       tags,
                                      const char *tag);

/* Parsers for `pvs|vgs|lvs --reportformat json --units b --nosuffix -o ...`
 * with the fields of lab_lvm_argv_pvs/vgs/lvs. */
GPtrArray  *lab_lvm_parse_pvs        (const char *json, GError **error);   /* LabLvmPv* */
GPtrArray  *lab_lvm_parse_vgs        (const char *json, GError **error);   /* LabLvmVg* */
GPtrArray  *lab_lvm_parse_lvs        (const char *json, GError **error);   /* LabLvmLv* */
/* The row named name in an array of the parsers above, or NULL (vgs or
 * lvs may be NULL). */
LabLvmVg   *lab_lvm_find_vg          (GPtrArray  *vgs,
                                      const char *name);
LabLvmLv   *lab_lvm_find_lv          (GPtrArray  *lvs,
                                      const char *name);

/* argv builders. device: the devices LVM may use (one, or a comma
 * separated list: lab_lvm_host_devices()); every LVM command labctl runs
 * has one. */
char      **lab_lvm_argv_pvs         (const char *device);
char      **lab_lvm_argv_vgs         (const char *device, const char *vg);
char      **lab_lvm_argv_lvs         (const char *device, const char *vg);
char      **lab_lvm_argv_pvcreate    (const char *device);
char      **lab_lvm_argv_pvchange_addtag (const char *device, const char *tag);
char      **lab_lvm_argv_pvremove    (const char *device);
char      **lab_lvm_argv_vgcreate    (const char *device, const char *vg, const char *tag);
char      **lab_lvm_argv_vgremove    (const char *device, const char *vg);
char      **lab_lvm_argv_lvcreate    (const char *device, const char *vg, const char *lv,
                                      guint64 bytes, const char *tag);
char      **lab_lvm_argv_lvremove    (const char *device, const char *vg, const char *lv);
char      **lab_lvm_argv_blkid       (const char *device);

/* The host's local block devices, for the one LVM query that looks past
 * the lab's disk (is the VG name free on this host?), as a comma separated
 * `--devices` list; NULL when there are none. From sysroot's
 * /sys/class/block and /proc/mounts only (nothing reads a device): disks,
 * partitions, md arrays and loop devices over files on local file systems;
 * never a network disk (an iSCSI session), a loop device over a FUSE
 * export, nbd, rbd, device-mapper, zram or an optical drive, whose I/O can
 * sit for ever once their server is gone. exclude: devices to leave out
 * (the lab's own, NULL-terminated, may be NULL). */
char       *lab_lvm_host_devices     (const char          *sysroot,
                                      const char * const  *exclude);

/* Runs a changing LVM command; failures quote LVM and add a hint. */
gboolean    lab_lvm_run              (LabRunner          *runner,
                                      const char * const *argv,
                                      GError            **error);

/* Read-only queries (run even in dry-run mode). A missing VG is not an
 * error: the array is empty. */
GPtrArray  *lab_lvm_pvs              (LabRunner *runner, const char *device, GError **error);
GPtrArray  *lab_lvm_vgs              (LabRunner *runner, const char *device, const char *vg, GError **error);
GPtrArray  *lab_lvm_lvs              (LabRunner *runner, const char *device, const char *vg, GError **error);

/* The signature on device, from `blkid -p -o export`: NULL in *type when
 * the device is blank, else "LVM2_member", "ext4", "dos" (partition table) ... */
gboolean    lab_lvm_probe_signature  (LabRunner  *runner,
                                      const char *device,
                                      char      **type,
                                      GError    **error);
/* Parses blkid's export output: TYPE, else PTTYPE; NULL when none. */
char       *lab_lvm_parse_blkid      (const char *text);

/* Decides whether labctl may use device as the lab's PV.
 * *is_pv: it already is a PV that belongs to the lab (resume).
 * Refuses (LAB_ERROR_FOREIGN) any other signature, and a PV of a VG that
 * is not tagged tag. pv_is_ours: the state records that labctl made this PV
 * (an orphan PV carries no tag). */
gboolean    lab_lvm_check_device     (LabRunner  *runner,
                                      const char *device,
                                      const char *tag,
                                      gboolean    pv_is_ours,
                                      gboolean   *is_pv,
                                      GError    **error);

G_END_DECLS
