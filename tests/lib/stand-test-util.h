/* stand-test-util.h: helpers shared by the stand's system and e2e tests. */
#pragma once

#include <stdarg.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The tiny guest (Debian's kernel + busybox initramfs), built once by
 * tests/lib/build-tiny-guest.sh into $LABCTL_TINY_GUEST_DIR or the build
 * dir's tests/tiny-guest and reused while it is current. */
gboolean  stand_test_tiny_guest   (char   **kernel,
                                   char   **initrd,
                                   GError **error);
/* Starts `labctl ARGS... --recipe recipe` (args: NULL-terminated), its
 * stdout and stderr piped. */
GSubprocess *stand_test_labctl_start_va (const char *labctl,
                                         const char *recipe,
                                         const char *first,
                                         va_list     ap);
GSubprocess *stand_test_labctl_start  (const char *labctl,
                                       const char *recipe,
                                       const char *first,
                                       ...) G_GNUC_NULL_TERMINATED;
/* A private /24 for this process: "10.B.C" with B in 64..127. */
char     *stand_test_subnet_prefix (void);
/* Runs a command line, returns its stdout (NULL on failure, *error set). */
char     *stand_test_run          (const char *cmdline,
                                   int        *exit_status,
                                   GError    **error);

/* Writes work_dir/e2e.lab: tests/data/e2e.lab with the keys that must be
 * unique per run rewritten (lab name, volume group, subnet, portal and control ports,
 * the guest's kernel, initrd, cmdline and address). Returns its path. */
char     *stand_test_write_e2e_recipe (const char *work_dir,
                                       const char *lab,
                                       const char *kernel,
                                       const char *initrd,
                                       char      **out_guest_address,
                                       guint      *out_control_port,
                                       GError    **error);

/* The same with 3 nodes and a [cluster] (token 1000 ms), the VG named
 * vg_<lab>: the HA lab of test-e2e-ha and bench-failover. */
char     *stand_test_write_ha_recipe  (const char *work_dir,
                                       const char *lab,
                                       const char *kernel,
                                       const char *initrd,
                                       const char *description,
                                       char      **out_guest_address,
                                       GError    **error);

/* The preamble of every test that builds a lab: g_test_init() with
 * non-fatal assertions, and LABCTL (the binary under test; the build's
 * own unless the environment names one) set for the test and for what it
 * starts (a node's libvirtd runs under `labctl reap`). FALSE when not
 * root: the whole test is then skipped with "needs root: " why_root, and
 * main returns g_test_run(). *labctl (may be NULL) is the binary. */
gboolean  stand_test_init          (int         *argc,
                                    char      ***argv,
                                    const char  *why_root,
                                    const char **labctl);

/* A test's lab of its own: a work dir (0755) with LABCTL_STATE_DIR in it,
 * the private LVM configuration, and the e2e recipe for lab (with the tiny
 * guest, built if need be, or without any guest). Returns the recipe's
 * path; *work_dir and *state_dir (LABCTL_STATE_DIR/<lab>) are set. */
char     *stand_test_prepare_lab   (const char *lab,
                                    gboolean    with_guest,
                                    char      **work_dir,
                                    char      **state_dir,
                                    GError    **error);

/* A private LVM configuration for the lab's storage (this machine has no
 * device-mapper: activation = 0), in work_dir/lvm; sets
 * LABCTL_LVM_SYSTEM_DIR for labctl. */
gboolean  stand_test_lvm_system_dir (const char *work_dir,
                                     GError    **error);

/* Runs [wrapper...] labctl args... --recipe recipe (args: a NULL-ended
 * list, wrapper NULL or NULL-ended: e.g. nsenter into a namespace) and
 * returns its stdout, *status its exit status; logs both outputs with
 * g_test_message() when it fails (or with --verbose). */
char     *stand_test_labctl_v     (const char * const *wrapper,
                                   const char         *labctl,
                                   const char         *recipe,
                                   int                *status,
                                   const char         *first,
                                   va_list             ap);

/* The same; *out_err (may be NULL) its stderr. */
char     *stand_test_labctl_err_v (const char * const *wrapper,
                                   const char         *labctl,
                                   const char         *recipe,
                                   int                *status,
                                   char              **out_err,
                                   const char         *first,
                                   va_list             ap);

/* The command that fetches the tiny guest's /cgi-bin/id line (boot_id=..
 * uptime=.. counter=.. vda=..) from address: its CGI reads the guest's
 * disk, which for a TCG guest in a TCG node behind its own writes can
 * take a while, so three tries of 20 s. */
char     *stand_test_guest_id_command (const char *address);

/* TRUE when a live process has needle in its command line (logged). */
gboolean  stand_test_process_with (const char *needle);
/* The same, quietly (for polling). */
gboolean  stand_test_process_running (const char *needle);

/* The status state_dir/state.json records for step_id ("started",
 * "done"; "" when absent or there is no state file). */
char     *stand_test_step_status  (const char *state_dir,
                                   const char *step_id);

/* Waits for proc (stdout and stderr piped); its exit status, or 128 +
 * the signal that ended it. *out_err: its stderr. */
int       stand_test_finish       (GSubprocess *proc,
                                   char       **out_err);

/* From `crm_mon --one-shot --output-as=xml`: whether the partition has
 * quorum, how many nodes are online, and the node resource runs on
 * (*on NULL when it runs nowhere; on may be NULL). FALSE when xml is not
 * crm_mon's. */
gboolean  stand_test_crm_mon_state (const char *xml,
                                    const char *resource,
                                    gboolean   *quorate,
                                    guint      *online,
                                    char      **on);

/* In `labctl experiment failover --json`'s object: the offset of phase
 * id in ms, -1 when it is absent. */
gint64    stand_test_phase_ms      (JsonObject *failover,
                                    const char *id);
/* Asserts that the phases ids (NULL-ended) are present and in this
 * order (each logged). */
void      stand_test_assert_phases (JsonObject        *failover,
                                    const char *const *ids);

G_END_DECLS
