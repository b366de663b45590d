/* lab-tgt.h: the tgt iSCSI target daemon, driven through `tgtadm`.
 *
 * Every command goes through LabRunner. The argv builders (lab_tgt_argv_*)
 * are used both to run a command and to describe it (--dry-run), so the
 * printed line is exactly the one that runs. `tgtadm --op show --mode
 * target` is parsed into LabTgtTarget records (lab_tgt_parse_show()).
 *
 * tgtadm's pitfalls handled here: it accepts `-I notanaddr` with exit 0
 * (addresses are validated before binding, lab_tgt_validate_initiator(),
 * and so are names, lab_tgt_validate_initiator_name());
 * tgtd ignores SIGTERM (lab_tgt_stop_daemon() deletes the system instead).
 */
#pragma once

#include <gio/gio.h>

#include "lab-runner.h"

G_BEGIN_DECLS

typedef struct {
  guint    lun;
  char    *type;          /* "disk", "controller" */
  guint64  size_bytes;    /* tgtadm prints MB (10^6), so this is approximate */
  guint    block_size;
  char    *backing_path;  /* NULL for "None" */
  char    *backing_type;  /* "rdwr", "null" ... */
} LabTgtLun;

typedef struct {
  char    *initiator;     /* initiator IQN */
  char    *address;       /* connection IP address */
} LabTgtNexus;

typedef struct {
  guint       tid;
  char       *iqn;
  char       *state;      /* "ready" */
  GPtrArray  *luns;       /* LabTgtLun* */
  GPtrArray  *nexus;      /* LabTgtNexus*: sessions */
  GStrv       accounts;   /* incoming CHAP users bound to the target */
  GStrv       acl;        /* initiator addresses allowed ("ALL", "127.0.0.1", "10.0.0.0/24") */
  GStrv       acl_names;  /* initiator names allowed ("iqn.2026-01.lab.labctl:kvm:node1") */
} LabTgtTarget;

void          lab_tgt_target_free     (LabTgtTarget *target);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabTgtTarget, lab_tgt_target_free)

/* Parses `tgtadm --lld iscsi --op show --mode target` output. tgtd lists
 * both ACLs under "ACL information:", the addresses first, then the
 * names, one a line and unmarked: a line that is an iSCSI name
 * (lab_tgt_validate_initiator_name()) goes to acl_names, anything else
 * (addresses, "ALL", garbage tgtadm accepted) to acl.
 * Returns LabTgtTarget* (array frees them). */
GPtrArray    *lab_tgt_parse_show      (const char   *text,
                                       GError      **error);
LabTgtTarget *lab_tgt_find_by_iqn     (GPtrArray    *targets,
                                       const char   *iqn);
LabTgtTarget *lab_tgt_find_by_tid     (GPtrArray    *targets,
                                       guint         tid);
LabTgtLun    *lab_tgt_target_get_lun  (LabTgtTarget *target,
                                       guint         lun);
/* The lowest tid >= 1 not used by any target. */
guint         lab_tgt_find_free_tid   (GPtrArray    *targets);

/* An initiator address for an ACL: a dotted IPv4/IPv6 address or a CIDR
 * network. Refuses "ALL", names and garbage (tgtadm would accept them). */
gboolean      lab_tgt_validate_initiator (const char *address,
                                          GError    **error);

/* An initiator name for an ACL: "iqn.YYYY-MM.reversed.domain[:anything]",
 * "eui." + 16 hex digits or "naa." + 16 or 32 hex digits; an IQN in
 * lowercase (initiators send it so, and tgtd compares names byte for
 * byte), at most 223 bytes. Refuses "ALL" and
 * anything else (tgtadm accepts any string and the ACL admits nobody). */
gboolean      lab_tgt_validate_initiator_name (const char *name,
                                               GError    **error);

/* argv builders (NULL-terminated, free with g_strfreev). control_port is
 * tgtd's -C port. */
char        **lab_tgt_argv_show_system   (guint16 control_port);
char        **lab_tgt_argv_show_targets  (guint16 control_port);
char        **lab_tgt_argv_new_target    (guint16 control_port, guint tid, const char *iqn);
char        **lab_tgt_argv_delete_target (guint16 control_port, guint tid);
char        **lab_tgt_argv_new_lun       (guint16 control_port, guint tid, guint lun, const char *path);
char        **lab_tgt_argv_delete_lun    (guint16 control_port, guint tid, guint lun);
char        **lab_tgt_argv_bind          (guint16 control_port, guint tid, const char *address);
char        **lab_tgt_argv_unbind        (guint16 control_port, guint tid, const char *address);
/* the same for an initiator name (tgtadm --initiator-name) */
char        **lab_tgt_argv_bind_name     (guint16 control_port, guint tid, const char *name);
char        **lab_tgt_argv_unbind_name   (guint16 control_port, guint tid, const char *name);
char        **lab_tgt_argv_new_account   (guint16 control_port, const char *user, const char *password);
char        **lab_tgt_argv_delete_account(guint16 control_port, const char *user);
char        **lab_tgt_argv_bind_account  (guint16 control_port, guint tid, const char *user);
char        **lab_tgt_argv_unbind_account(guint16 control_port, guint tid, const char *user);
char        **lab_tgt_argv_delete_system (guint16 control_port);
/* tgtd in the foreground (so the caller owns its pid). */
char        **lab_tgt_argv_daemon        (guint16 control_port, const char *portal_address, guint16 portal_port);

/* Runs one tgtadm argv; a failure becomes LAB_ERROR_TOOL (or EXISTS /
 * NOT_FOUND for the messages tgtadm has for those) with a hint. */
gboolean      lab_tgt_run             (LabRunner          *runner,
                                       const char * const *argv,
                                       GError            **error);

/* TRUE in *running when a tgtd answers on control_port. Read-only. */
gboolean      lab_tgt_ping            (LabRunner    *runner,
                                       guint16       control_port,
                                       gboolean     *running,
                                       GError      **error);
/* The targets of the tgtd on control_port (read-only query). */
GPtrArray    *lab_tgt_show            (LabRunner    *runner,
                                       guint16       control_port,
                                       GError      **error);

/* Checks that address:port can be listened on by a new tgtd (the address
 * exists on this host, the port is free): tgtd itself only logs a failed
 * portal bind and keeps running. */
gboolean      lab_tgt_check_portal_free (const char *address,
                                         guint16     port,
                                         GError    **error);

/* Starts `tgtd -f` and waits until it answers on control_port. */
gboolean      lab_tgt_start_daemon    (LabRunner    *runner,
                                       guint16       control_port,
                                       const char   *portal_address,
                                       guint16       portal_port,
                                       const char   *log_file,
                                       GPid         *out_pid,
                                       GError      **error);
/* Stops a tgtd labctl started: `--op delete --mode system` (it fails while
 * targets exist: delete them first), waits for the pid to be gone or a
 * zombie, SIGKILL as a last resort, removes its control socket files. */
/* The pid of a live tgtd started with exactly lab_tgt_argv_daemon()'s
 * command line (labctl's, for this control port and portal), or 0. */
GPid          lab_tgt_find_daemon     (guint16       control_port,
                                       const char   *portal_address,
                                       guint16       portal_port);
gboolean      lab_tgt_stop_daemon     (LabRunner    *runner,
                                       guint16       control_port,
                                       GPid          pid,
                                       GError      **error);

G_END_DECLS
