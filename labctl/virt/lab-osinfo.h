/* lab-osinfo.h: what libosinfo knows about a node's operating system.
 *
 * Loads the system osinfo database, then labctl's overlay
 * (<data dir>/iso-cache/osinfo: Debian 12 and Proxmox VE, which Debian 12's
 * osinfo-db lacks). Gives the devices, machine type, disk bus and minimum
 * resources the node domain XML is built from, and identifies install ISOs.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct {
  char    *id;              /* "http://proxmox.com/proxmox-ve/8" */
  char    *short_id;        /* "proxmox-ve-8" */
  char    *name;            /* "Proxmox VE 8" */
  /* devices the OS has drivers for */
  gboolean virtio_disk;
  gboolean virtio_net;
  gboolean virtio_gpu;
  gboolean q35;             /* supports the q35 chipset */
  gboolean usb_tablet;
  /* resources for x86_64 (0 = unknown) */
  guint    min_vcpus;
  guint64  min_ram_mib;
  guint64  min_storage;     /* bytes */
  guint64  rec_ram_mib;
} LabOsinfoProfile;

void lab_osinfo_profile_free (LabOsinfoProfile *profile);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabOsinfoProfile, lab_osinfo_profile_free)

#define LAB_TYPE_OSINFO (lab_osinfo_get_type ())
G_DECLARE_FINAL_TYPE (LabOsinfo, lab_osinfo, LAB, OSINFO, GObject)

/* overlay_dir NULL: <data dir>/iso-cache/osinfo. The system database is
 * libosinfo's default path (honours OSINFO_SYSTEM_DIR etc.). */
LabOsinfo        *lab_osinfo_new          (const char  *overlay_dir,
                                           GError     **error);
/* id: full id ("http://debian.org/debian/12") or short id ("debian12"). */
LabOsinfoProfile *lab_osinfo_lookup       (LabOsinfo   *self,
                                           const char  *id,
                                           GError     **error);
/* Identifies an install ISO by its volume id etc. LAB_ERROR_NOT_FOUND when
 * the file is missing, LAB_ERROR_UNSUPPORTED when no OS matches. A Proxmox
 * VE ISO is refined to its major version from the file name
 * ("proxmox-ve_8.2-1.iso"). */
LabOsinfoProfile *lab_osinfo_identify_iso (LabOsinfo   *self,
                                           const char  *path,
                                           GError     **error);
/* Human-readable warnings when vcpus/memory/disk are below the OS minimum
 * (empty array when fine). */
GPtrArray        *lab_osinfo_check_resources (const LabOsinfoProfile *profile,
                                           guint        vcpus,
                                           guint64      memory_mib,
                                           guint64      disk_bytes);

G_END_DECLS
