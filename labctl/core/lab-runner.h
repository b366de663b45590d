/* lab-runner.h: the only place in labctl that spawns processes.
 *
 * Every external command (tgtadm, iscsiadm, lvm, ip, qemu-img ...) goes
 * through a LabRunner. It logs the command line (with secrets redacted),
 * captures stdout/stderr, turns a non-zero exit into a LAB_ERROR_TOOL error
 * that quotes the tool's own message, and has two non-executing modes:
 *
 *  - LAB_RUNNER_MODE_DRY_RUN: commands are recorded (and echoed to the echo
 *    stream if one is set) instead of run; they "succeed" with empty output.
 *    Commands flagged LAB_RUN_QUERY (read-only) still run for real.
 *  - LAB_RUNNER_MODE_RECORD: for tests. Nothing runs; each command is
 *    recorded and answered from the responses queued with
 *    lab_runner_expect() (first matching prefix wins; unmatched commands
 *    succeed with empty output).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  LAB_RUNNER_MODE_REAL,
  LAB_RUNNER_MODE_DRY_RUN,
  LAB_RUNNER_MODE_RECORD,
} LabRunnerMode;

typedef enum {
  LAB_RUN_DEFAULT = 0,
  LAB_RUN_QUERY = 1 << 0,          /* read-only: executed even in dry-run mode */
  LAB_RUN_QUIET_OUTPUT = 1 << 1,   /* do not copy stdout into the log (secrets, bulk) */
  LAB_RUN_DETACH = 1 << 2,         /* start a daemon: do not wait, no output capture; see lab_runner_spawn_daemon() */
} LabRunFlags;

#define LAB_TYPE_RUNNER (lab_runner_get_type ())
G_DECLARE_FINAL_TYPE (LabRunner, lab_runner, LAB, RUNNER, GObject)

LabRunner     *lab_runner_new              (LabRunnerMode mode);
LabRunnerMode  lab_runner_get_mode         (LabRunner    *self);
gboolean       lab_runner_is_dry_run       (LabRunner    *self);

/* Appends every command line, exit code and output to this file (created 0600). */
void           lab_runner_set_log_path     (LabRunner    *self,
                                            const char   *path);
const char    *lab_runner_get_log_path     (LabRunner    *self);
/* Dry-run mode prints each command (one shell-quoted line) here; NULL: no echo. */
void           lab_runner_set_echo         (LabRunner    *self,
                                            GOutputStream *stream);
/* Extra environment for every child (e.g. LVM_SYSTEM_DIR); value NULL unsets. */
void           lab_runner_setenv           (LabRunner    *self,
                                            const char   *name,
                                            const char   *value);
/* Replaced by "******" wherever a command line or output is logged or echoed. */
void           lab_runner_add_secret       (LabRunner    *self,
                                            const char   *secret);

/* Runs argv and waits. On exit 0 returns TRUE with the captured output
 * (either out parameter may be NULL). On a non-zero exit:
 *  - if exit_status != NULL: returns TRUE and stores the status (caller decides);
 *  - otherwise returns FALSE with LAB_ERROR_TOOL quoting the tool's stderr.
 * A command that cannot be started (not installed) is always an error that
 * names the Debian package to install when known.
 * stdin_text may be NULL. timeout_ms 0 = no timeout (then LAB_ERROR_TIMEOUT). */
gboolean       lab_runner_run_full         (LabRunner          *self,
                                            const char * const *argv,
                                            LabRunFlags         flags,
                                            const char         *stdin_text,
                                            guint               timeout_ms,
                                            int                *exit_status,
                                            char              **out_stdout,
                                            char              **out_stderr,
                                            GCancellable       *cancellable,
                                            GError            **error);

/* Shorthand: run_full with no stdin, no timeout, non-zero exit = error. */
gboolean       lab_runner_run              (LabRunner          *self,
                                            const char * const *argv,
                                            LabRunFlags         flags,
                                            char              **out_stdout,
                                            GError            **error);

/* Varargs form, NULL-terminated: lab_runner_runv (r, 0, &out, &err, "tgtadm", "--op", "show", NULL) */
gboolean       lab_runner_runv             (LabRunner    *self,
                                            LabRunFlags   flags,
                                            char        **out_stdout,
                                            GError      **error,
                                            const char   *argv0,
                                            ...) G_GNUC_NULL_TERMINATED;

/* Runs argv on the caller's terminal (stdin, stdout, stderr inherited:
 * `labctl nodes ssh`), logs the command line and *exit_status. Dry-run
 * and record modes only record it. FALSE when it cannot be started. */
gboolean       lab_runner_run_interactive  (LabRunner          *self,
                                            const char * const *argv,
                                            int                *exit_status,
                                            GError            **error);

/* Starts a long-running daemon in its own session (setsid), stdout/stderr
 * appended to log_file (may be NULL: /dev/null), stdin /dev/null. Returns its
 * pid (0 in dry-run/record mode, where it is only recorded). */
gboolean       lab_runner_spawn_daemon     (LabRunner          *self,
                                            const char * const *argv,
                                            const char         *log_file,
                                            GPid               *out_pid,
                                            GError            **error);

/* TRUE while pid exists and is not a zombie (reads /proc/PID/stat). */
gboolean       lab_process_alive           (GPid pid);
/* TRUE while pid is alive and runs a program whose name (comm) starts
 * with name (guards a recorded PID against reuse). */
gboolean       lab_process_is              (GPid pid, const char *name);
/* When pid runs name: SIGTERM, wait timeout_ms, then SIGKILL. */
void           lab_process_stop            (GPid pid, const char *name, guint timeout_ms);
/* Waits until pid is gone or a zombie; FALSE on timeout. */
gboolean       lab_process_wait_gone       (GPid pid, guint timeout_ms);

/* The command line as one shell-quoted string (secrets redacted). */
char          *lab_runner_format_argv      (LabRunner          *self,
                                            const char * const *argv);

/* Recording: every command line (formatted as above) since creation or the
 * last clear, in all modes. Owned by the runner. */
GPtrArray     *lab_runner_get_recorded     (LabRunner    *self);
void           lab_runner_clear_recorded   (LabRunner    *self);

/* RECORD mode: the next command whose formatted line starts with prefix gets
 * this answer (each expectation is used once, in order of registration). */
void           lab_runner_expect           (LabRunner    *self,
                                            const char   *prefix,
                                            int           exit_status,
                                            const char   *stdout_text,
                                            const char   *stderr_text);

G_END_DECLS
