/* lab-storage-private.h: what the storage step files share. Not installed,
 * and included only by labctl/storage/lab-storage*.c; everyone else uses
 * lab-storage.h.
 *
 * One file per step family, named after the step id:
 *   lab-storage.c         Storage, the plan (lab_storage_add_steps*), the
 *                         lab's ACL (lab_storage_acl_for_recipe), the
 *                         helpers below
 *   lab-storage-image.c   storage.image
 *   lab-storage-tgtd.c    storage.tgtd
 *   lab-storage-target.c  storage.target, storage.lun, storage.acl,
 *                         storage.chap
 *   lab-storage-attach.c  storage.attach
 *   lab-storage-lvm.c     storage.pv, storage.vg, storage.lv:NAME
 *   lab-storage-status.c  lab_storage_status, lab_storage_status_to_text
 * Every step of one plan gets the same Storage (reference counted); the
 * LV steps get an LvStep each.
 */
#pragma once

#include "lab-iscsi.h"
#include "lab-storage.h"

G_BEGIN_DECLS

/* State keys, one family per step id: each apply records what it created
 * as it creates it, undo reads them back (lab-state.h). */
#define K_IMAGE_PATH     "storage.image.path"
#define K_TGTD_PID       "storage.tgtd.pid"
#define K_TGTD_PORT      "storage.tgtd.control-port"
#define K_TGT_TID        "storage.target.tid"
#define K_TGT_IQN        "storage.target.iqn"
#define K_LUN_PATH       "storage.lun.path"
#define K_ACL            "storage.acl.addresses"
#define K_ACL_NAMES      "storage.acl.names"
#define K_CHAP_USER      "storage.chap.user"
#define K_CHAP_SECRET    "storage.chap.password"
#define K_ATTACH_METHOD  "storage.attach.method"
#define K_ATTACH_DEVICE  "storage.attach.device"
#define K_ATTACH_PORTAL  "storage.attach.portal"
#define K_FUSE_PID       "storage.attach.qsd-pid"
#define K_FUSE_MOUNT     "storage.attach.mountpoint"
#define K_FUSE_LOOP      "storage.attach.loop"
#define K_PV             "storage.pv.device"
#define K_VG             "storage.vg.name"
#define K_LV_PREFIX      "storage.lv."

typedef struct {
  char    *name;
  guint64  bytes;
} StorageLv;

typedef struct {
  char           *lab;
  char           *tag;
  char           *image;
  guint64         size;
  char           *iqn;
  char           *portal_address;
  guint16         portal_port;
  guint16         control_port;
  char           *portal;
  char           *by_path;
  char           *vg;
  gboolean        chap;
  char          **acl;            /* addresses the target admits */
  char          **acl_names;      /* initiator names it admits */
  char           *host_initiator; /* the name this host attaches with; NULL: the initiator's own */
  LabIscsiAttach  attach;
  char           *work_dir;
  GPtrArray      *lvs;     /* StorageLv* */

  /* What this run already knows about tgtd and LVM (each query starts a
   * process; an lvm start costs ~50 ms): filled by a query or by a command
   * whose effect is certain, dropped when unsure. Valid for one plan run. */
  GPtrArray      *tgt_cache;    /* LabTgtTarget* of our tgtd, or NULL: unknown */
  GPtrArray      *lv_cache;     /* LabLvmLv*, or NULL: unknown */
  gboolean        vg_facts;     /* lv_cache rows told the VG's tags and PV count: */
  gboolean        vg_tagged;
  guint           vg_pv_count;
  GPtrArray      *vg_cache;     /* LabLvmVg* from the host-wide query, or NULL */
  char           *blkid_type;   /* signature seen by pv_check */
  gboolean        blkid_known;
  gboolean        pv_orphan;    /* vg_undo just removed the VG on the PV */
  GPtrArray      *lv_unverified; /* names of LVs created in this run, not yet read back */
  gboolean        lost_known;   /* storage_lost_device() asked */
  char           *lost_device;
} Storage;

/* Per-LV step data: the shared Storage plus the LV. */
typedef struct {
  Storage   *storage;
  StorageLv *lv;
} LvStep;

/* The recipe's storage as the steps see it (ctx->recipe); fails only on a
 * bad LABCTL_STORAGE_ATTACH. */
Storage  *storage_new                 (LabContext  *ctx,
                                       GError     **error);
void      storage_unref               (gpointer     storage);

/* The test hook LABCTL_FAIL_STEP: FALSE with an error when it names
 * step_id. */
gboolean  storage_fail_point          (const char  *step_id,
                                       GError     **error);
/* TRUE when commands really run (no --dry-run, no recording runner): only
 * then can an apply read back what it made. */
gboolean  storage_is_real             (LabContext  *ctx);
/* Appends argv as one shell line to a describe() list; frees argv. */
void      storage_add_line            (GPtrArray   *lines,
                                       LabContext  *ctx,
                                       char       **argv);
/* Runs argv with runner_fn (lab_tgt_run, lab_lvm_run); frees argv. */
gboolean  storage_run_argv            (LabContext  *ctx,
                                       char       **argv,
                                       gboolean   (*runner_fn) (LabRunner *, const char * const *, GError **),
                                       GError     **error);
gboolean  storage_block_device_exists (const char  *path);

/* Defined with their step, used by other families too. */
/* lab-storage-image.c: the image carries this lab's mark (or, on a file
 * system without xattrs, the state records it). */
gboolean  storage_image_is_ours       (LabContext  *ctx,
                                       Storage     *s);
/* lab-storage-attach.c: device is the lab's own LUN, proven link by link:
 * the image carries the lab's mark, it is LUN 1 of the lab's target on the
 * lab's tgtd, and device is that LUN here (a loop device on the lab's FUSE
 * export of that target, or its by-path name). FALSE with an error only
 * when tgtd cannot be asked. Queries only. */
gboolean  storage_device_is_ours      (LabContext  *ctx,
                                       Storage     *s,
                                       const char  *device,
                                       GError     **error);
/* lab-storage-attach.c: the lab's disk on this host when the state lost
 * it (state.json deleted, then `down`): the loop device on the lab's FUSE
 * export, or the by-path name of the lab's LUN, when
 * storage_device_is_ours() proves it; NULL otherwise, or when the state
 * records the attach. Asked once per run. */
const char *storage_lost_device       (LabContext  *ctx,
                                       Storage     *s);
/* lab-storage-target.c: the CHAP user of storage.chap (attach logs in as it). */
char     *storage_chap_user           (Storage     *s);

/* The step rows, each in its family's file. */
extern const LabStepInfo storage_step_image;
extern const LabStepInfo storage_step_tgtd;
extern const LabStepInfo storage_step_target;
extern const LabStepInfo storage_step_lun;
extern const LabStepInfo storage_step_acl;
extern const LabStepInfo storage_step_chap;
extern const LabStepInfo storage_step_attach;
extern const LabStepInfo storage_step_pv;
extern const LabStepInfo storage_step_vg;
extern const LabStepInfo storage_step_lv;

G_END_DECLS
