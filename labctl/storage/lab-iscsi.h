/* lab-iscsi.h: the iSCSI initiator side: attaching the lab's LUN as a
 * block device on this host.
 *
 * Two attach methods:
 *  - iscsiadm: open-iscsi (discovery, login); the disk is found ONLY by its
 *    udev name /dev/disk/by-path/ip-<portal>-iscsi-<iqn>-lun-<n>, never
 *    guessed. This is what a desktop uses.
 *  - fuse: qemu-storage-daemon exports iscsi://portal/iqn/lun as a FUSE file
 *    and losetup makes it a block device. For hosts without a kernel
 *    initiator (containers, CI).
 * "auto" tries iscsiadm and falls back to fuse when iscsiadm reports that
 * the kernel's iSCSI driver is missing (exit 12). The method comes from the
 * LABCTL_STORAGE_ATTACH environment variable (iscsiadm|fuse|auto), default
 * auto.
 */
#pragma once

#include <gio/gio.h>

#include "lab-runner.h"

G_BEGIN_DECLS

typedef enum {
  LAB_ISCSI_ATTACH_AUTO,
  LAB_ISCSI_ATTACH_ISCSIADM,
  LAB_ISCSI_ATTACH_FUSE,
} LabIscsiAttach;

gboolean     lab_iscsi_attach_from_string (const char      *text,
                                           LabIscsiAttach  *out,
                                           GError         **error);
const char  *lab_iscsi_attach_to_string   (LabIscsiAttach   method);
/* LABCTL_STORAGE_ATTACH, default AUTO. */
gboolean     lab_iscsi_attach_from_env    (LabIscsiAttach  *out,
                                           GError         **error);

/* "addr:port" ("[v6]:port" for IPv6). */
char        *lab_iscsi_portal             (const char *address,
                                           guint16     port);
/* /dev/disk/by-path/ip-<addr>:<port>-iscsi-<iqn>-lun-<lun> */
char        *lab_iscsi_by_path_name       (const char *address,
                                           guint16     port,
                                           const char *iqn,
                                           guint       lun);

/* iscsiadm argv builders. */
char       **lab_iscsi_argv_discovery     (const char *portal);
char       **lab_iscsi_argv_login         (const char *iqn, const char *portal);
char       **lab_iscsi_argv_logout        (const char *iqn, const char *portal);
/* labctl's iface for a target, which carries the initiator name the
 * host logs in with: "labctl-" + 12 hex digits of the target IQN's hash. */
char        *lab_iscsi_iface_name         (const char *iqn);
char       **lab_iscsi_argv_iface_new     (const char *iface);
char       **lab_iscsi_argv_iface_update  (const char *iface, const char *name, const char *value);
char       **lab_iscsi_argv_iface_delete  (const char *iface);
char       **lab_iscsi_argv_discovery_iface (const char *portal, const char *iface);
char       **lab_iscsi_argv_delete_node   (const char *iqn, const char *portal);
char       **lab_iscsi_argv_update_node   (const char *iqn, const char *portal,
                                           const char *name, const char *value);
char       **lab_iscsi_argv_sessions      (void);

typedef struct {
  char *portal;   /* "addr:port" */
  char *iqn;
} LabIscsiSession;

void         lab_iscsi_session_free       (LabIscsiSession *s);
/* Parses `iscsiadm -m session` ("tcp: [1] 10.0.0.1:3260,1 iqn... (non-flash)"). */
GPtrArray   *lab_iscsi_parse_sessions     (const char *text);
/* TRUE in *logged_in when a session to iqn on portal exists. Read-only. */
gboolean     lab_iscsi_has_session        (LabRunner  *runner,
                                           const char *iqn,
                                           const char *portal,
                                           gboolean   *logged_in,
                                           GError    **error);

/* TRUE when an iscsiadm failure means "no kernel initiator on this host". */
gboolean     lab_iscsi_is_driver_missing  (int         exit_status,
                                           const char *stderr_text);

/* Discovery + (CHAP settings) + login. initiator_name: the name this
 * session logs in with, set in labctl's iface of the target
 * (lab_iscsi_iface_name(); iscsiadm refuses it on a node record) and
 * discovery made through it (a name ACL offers the target only to a
 * listed name); NULL: the initiator's own (/etc/iscsi/initiatorname.iscsi). On a missing kernel driver returns
 * FALSE with LAB_ERROR_UNSUPPORTED (so AUTO can fall back). */
gboolean     lab_iscsi_login              (LabRunner  *runner,
                                           const char *iqn,
                                           const char *portal,
                                           const char *initiator_name, /* NULL: the initiator's own */
                                           const char *chap_user,      /* NULL: no CHAP */
                                           const char *chap_password,
                                           GError    **error);
/* Logout (if logged in) and delete the node record (and, own_iface,
 * labctl's iface of the target); no-op when absent. */
gboolean     lab_iscsi_logout             (LabRunner  *runner,
                                           const char *iqn,
                                           const char *portal,
                                           gboolean    own_iface,
                                           GError    **error);

/* Waits until path exists (and is a block device). LAB_ERROR_TIMEOUT. */
gboolean     lab_iscsi_wait_device        (const char   *path,
                                           guint         timeout_ms,
                                           GCancellable *cancellable,
                                           GError      **error);

/* ---- fuse attach ---------------------------------------------------- */

/* qemu-storage-daemon argv exporting the LUN on mountpoint (an existing
 * regular file). secret_file: a 0600 file holding the CHAP password, or NULL.
 * initiator_name: the name libiscsi logs in with; NULL: QEMU's default
 * ("iqn.2008-11.org.linux-kvm", the same on every host). */
char       **lab_iscsi_argv_fuse_export   (const char *address,
                                           guint16     port,
                                           const char *iqn,
                                           guint       lun,
                                           const char *initiator_name,
                                           const char *mountpoint,
                                           const char *pidfile,
                                           const char *chap_user,
                                           const char *secret_file);
char       **lab_iscsi_argv_losetup_attach (const char *file);
char       **lab_iscsi_argv_losetup_detach (const char *loop_device);

/* Starts the export, waits for the FUSE mount, attaches a loop device. */
gboolean     lab_iscsi_fuse_attach        (LabRunner   *runner,
                                           const char  *address,
                                           guint16      port,
                                           const char  *iqn,
                                           const char  *initiator_name,
                                           const char  *mountpoint,
                                           const char  *chap_user,
                                           const char  *secret_file,
                                           const char  *log_file,
                                           GPid        *out_pid,
                                           char       **out_loop_device,
                                           GError     **error);
/* Undoes fuse_attach; each part may be missing (NULL / 0). With a
 * mountpoint it also finds what the caller did not record (a run killed
 * before it could): every loop device backed by the mountpoint
 * (lab_iscsi_fuse_find_loops), and every qemu-storage-daemon whose command
 * line exports on it (lab_iscsi_fuse_find_exports); loops first, then the
 * exports, then a lazy umount of a mount left behind. */
gboolean     lab_iscsi_fuse_detach        (LabRunner   *runner,
                                           GPid         pid,
                                           const char  *mountpoint,
                                           const char  *loop_device,
                                           GError     **error);
/* The loop devices whose backing file is mountpoint (from sysfs, which
 * never blocks on the device). NULL-terminated, never NULL. */
GStrv        lab_iscsi_fuse_find_loops    (const char  *mountpoint);
/* The pids (GINT_TO_POINTER) of the live qemu-storage-daemon processes
 * exporting on mountpoint: the one in <mountpoint>.pid and any whose
 * command line says mountpoint=<mountpoint>, (from /proc). */
GPtrArray   *lab_iscsi_fuse_find_exports  (const char  *mountpoint);
/* TRUE when a live export on mountpoint serves LUN 1 of the target iqn
 * (its command line says so). */
gboolean     lab_iscsi_fuse_exports_target (const char *mountpoint,
                                            const char *iqn);
/* TRUE if mountpoint is a mounted FUSE file system (from /proc/self/mounts). */
gboolean     lab_iscsi_fuse_is_mounted    (const char  *mountpoint);

G_END_DECLS
