/* test-runner.c: LabRunner in its three modes, with real processes. */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab-error.h"
#include "lab-runner.h"

typedef struct {
  char *dir;
  char *log;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("labctl-test-runner-XXXXXX", &error);
  g_assert_no_error (error);
  f->log = g_build_filename (f->dir, "labctl.log", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->log);
}

static char *
read_file (const char *path)
{
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return g_strdup ("");
  return contents;
}

static void
test_success (Fixture *f, gconstpointer data)
{
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out2 = NULL;
  int status = -1;
  const char *argv[] = { "sh", "-c", "echo hello; echo warn >&2; cat", NULL };

  g_assert_true (lab_runner_run_full (runner, argv, 0, "from stdin\n", 0, &status,
                                      &out, &err, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (out, ==, "hello\nfrom stdin\n");
  g_assert_cmpstr (err, ==, "warn\n");

  g_assert_true (lab_runner_runv (runner, 0, &out2, &error, "echo", "a b", NULL));
  g_assert_no_error (error);
  g_assert_cmpstr (out2, ==, "a b\n");

  g_assert_cmpuint (lab_runner_get_recorded (runner)->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (lab_runner_get_recorded (runner), 1), ==, "echo 'a b'");
}

static void
test_exit_error (Fixture *f, gconstpointer data)
{
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = -1;
  const char *argv[] = { "sh", "-c", "echo 'tgtadm: this target already exists' >&2; exit 22", NULL };

  g_assert_false (lab_runner_run (runner, argv, 0, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_TOOL);
  g_assert_cmpstr (error->message, ==, "sh failed (exit 22): tgtadm: this target already exists");
  g_clear_error (&error);

  /* with exit_status the caller decides */
  g_assert_true (lab_runner_run_full (runner, argv, 0, NULL, 0, &status, &out, &err, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 22);
  g_assert_cmpstr (err, ==, "tgtadm: this target already exists\n");

  /* no stderr: stdout is quoted */
  {
    const char *argv2[] = { "sh", "-c", "echo only on stdout; exit 3", NULL };
    g_assert_false (lab_runner_run (runner, argv2, 0, NULL, &error));
    g_assert_error (error, LAB_ERROR, LAB_ERROR_TOOL);
    g_assert_cmpstr (error->message, ==, "sh failed (exit 3): only on stdout");
  }
}

static void
test_missing_program (Fixture *f, gconstpointer data)
{
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "/nonexistent/labctl/tgtadm", "--op", "show", NULL };
  const char *argv2[] = { "labctl-no-such-program", NULL };

  g_assert_false (lab_runner_run (runner, argv, 0, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "/nonexistent/labctl/tgtadm"));
  g_assert_nonnull (strstr (error->message, "apt install tgt"));
  g_clear_error (&error);

  g_assert_false (lab_runner_run (runner, argv2, 0, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "labctl-no-such-program"));
  g_clear_error (&error);

  /* even in dry-run, a query needs the program */
  {
    g_autoptr(LabRunner) dry = lab_runner_new (LAB_RUNNER_MODE_DRY_RUN);
    const char *argv3[] = { "/nonexistent/labctl/iscsiadm", "-m", "session", NULL };

    g_assert_false (lab_runner_run (dry, argv3, LAB_RUN_QUERY, NULL, &error));
    g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "open-iscsi"));
  }
}

static void
test_dry_run (Fixture *f, gconstpointer data)
{
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_DRY_RUN);
  g_autoptr(GOutputStream) echo = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) error = NULL;
  g_autofree char *target = g_build_filename (f->dir, "created by touch", NULL);
  g_autofree char *out = NULL;
  g_autofree char *query_out = NULL;
  g_autofree char *expected = NULL;
  const char *argv[] = { "touch", target, NULL };
  const char *query[] = { "sh", "-c", "echo queried", NULL };
  GPtrArray *recorded;
  char *echoed;

  g_assert_true (lab_runner_is_dry_run (runner));
  lab_runner_set_echo (runner, echo);
  lab_runner_set_log_path (runner, f->log);

  g_assert_true (lab_runner_run (runner, argv, 0, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, "");
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));

  /* LAB_RUN_QUERY runs for real and is not echoed */
  g_assert_true (lab_runner_run (runner, query, LAB_RUN_QUERY, &query_out, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (query_out, ==, "queried\n");

  g_assert_true (g_output_stream_write_all (echo, "", 1, NULL, NULL, NULL));
  echoed = g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (echo));
  expected = g_strdup_printf ("touch '%s'\n", target);
  g_assert_cmpstr (echoed, ==, expected);

  recorded = lab_runner_get_recorded (runner);
  g_assert_cmpuint (recorded->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (recorded, 1), ==, "sh -c 'echo queried'");
  lab_runner_clear_recorded (runner);
  g_assert_cmpuint (recorded->len, ==, 0);

  {
    g_autofree char *log = read_file (f->log);
    g_assert_nonnull (strstr (log, "(dry-run) $ touch"));
    g_assert_nonnull (strstr (log, "stdout: queried"));
  }
}

static void
test_record (Fixture *f, gconstpointer data)
{
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  g_autoptr(GError) error = NULL;
  g_autofree char *out1 = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *out3 = NULL;
  g_autofree char *target = g_build_filename (f->dir, "never", NULL);
  GPtrArray *recorded;

  lab_runner_expect (runner, "tgtadm --lld iscsi --op show", 0, "Target 1: iqn.x\n", NULL);
  lab_runner_expect (runner, "tgtadm --lld iscsi --op new", 22, NULL, "tgtadm: this target already exists\n");
  lab_runner_expect (runner, "tgtadm --lld iscsi --op show", 0, "second answer\n", NULL);

  g_assert_true (lab_runner_runv (runner, LAB_RUN_QUERY, &out1, &error,
                                  "tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "target", NULL));
  g_assert_no_error (error);
  g_assert_cmpstr (out1, ==, "Target 1: iqn.x\n");

  g_assert_false (lab_runner_runv (runner, 0, NULL, &error,
                                   "tgtadm", "--lld", "iscsi", "--op", "new", "--mode", "target", "--tid", "1", NULL));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_TOOL);
  g_assert_cmpstr (error->message, ==, "tgtadm failed (exit 22): tgtadm: this target already exists");
  g_clear_error (&error);

  /* each expectation answers once, in order */
  g_assert_true (lab_runner_runv (runner, 0, &out2, &error, "tgtadm", "--lld", "iscsi", "--op", "show", NULL));
  g_assert_cmpstr (out2, ==, "second answer\n");
  g_assert_true (lab_runner_runv (runner, 0, &out3, &error, "tgtadm", "--lld", "iscsi", "--op", "show", NULL));
  g_assert_cmpstr (out3, ==, "");

  /* nothing runs in record mode */
  g_assert_true (lab_runner_runv (runner, LAB_RUN_QUERY, NULL, &error, "touch", target, NULL));
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));

  recorded = lab_runner_get_recorded (runner);
  g_assert_cmpuint (recorded->len, ==, 5);
  g_assert_cmpstr (g_ptr_array_index (recorded, 1), ==,
                   "tgtadm --lld iscsi --op new --mode target --tid 1");
}

static void
test_secrets (Fixture *f, gconstpointer data)
{
  g_autoptr(LabRunner) dry = lab_runner_new (LAB_RUNNER_MODE_DRY_RUN);
  g_autoptr(LabRunner) real = lab_runner_new (LAB_RUNNER_MODE_REAL);
  g_autoptr(GOutputStream) echo = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *log = NULL;
  g_autofree char *formatted = NULL;
  const char *chap[] = { "tgtadm", "--op", "new", "--mode", "account", "--user", "lab",
                         "--password", "Xy7-s3cret", NULL };
  const char *leak[] = { "sh", "-c", "echo password is Xy7-s3cret; echo Xy7-s3cret >&2; exit 1", NULL };
  char *echoed;

  lab_runner_add_secret (dry, "Xy7-s3cret");
  lab_runner_set_echo (dry, echo);
  lab_runner_set_log_path (dry, f->log);
  g_assert_true (lab_runner_run (dry, chap, 0, NULL, &error));
  g_assert_true (g_output_stream_write_all (echo, "", 1, NULL, NULL, NULL));
  echoed = g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (echo));
  g_assert_cmpstr (echoed, ==, "tgtadm --op new --mode account --user lab --password '******'\n");
  formatted = lab_runner_format_argv (dry, chap);
  g_assert_null (strstr (formatted, "s3cret"));

  lab_runner_add_secret (real, "Xy7-s3cret");
  lab_runner_set_log_path (real, f->log);
  g_assert_false (lab_runner_run (real, leak, 0, &out, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_TOOL);
  g_assert_null (strstr (error->message, "s3cret"));
  g_assert_nonnull (strstr (error->message, "******"));
  g_clear_error (&error);

  /* the caller still gets the real output */
  {
    const char *ok[] = { "sh", "-c", "echo Xy7-s3cret", NULL };
    g_assert_true (lab_runner_run (real, ok, 0, &out, &error));
    g_assert_cmpstr (out, ==, "Xy7-s3cret\n");
  }

  log = read_file (f->log);
  g_assert_null (strstr (log, "s3cret"));
  g_assert_nonnull (strstr (log, "--password '******'"));
  g_assert_nonnull (strstr (log, "stdout: password is ******"));
}

static void
test_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  g_autoptr(GError) error = NULL;
  g_autofree char *pid_file = g_build_filename (f->dir, "pid", NULL);
  g_autofree char *script = g_strdup_printf ("echo $$ > '%s'; exec sleep 30", pid_file);
  g_autofree char *pid_text = NULL;
  const char *argv[] = { "sh", "-c", script, NULL };
  gint64 start = g_get_monotonic_time ();

  g_assert_false (lab_runner_run_full (runner, argv, 0, NULL, 300, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 290 * 1000);
  /* the child was killed */
  pid_text = read_file (pid_file);
  g_assert_cmpint (atoi (pid_text), >, 0);
  g_assert_true (lab_process_wait_gone (atoi (pid_text), 2000));
}

static gpointer
cancel_later (gpointer data)
{
  g_usleep (150 * 1000);
  g_cancellable_cancel (data);
  return NULL;
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "sleep", "30", NULL };
  gint64 start = g_get_monotonic_time ();
  GThread *thread = g_thread_new ("cancel", cancel_later, cancellable);

  g_assert_false (lab_runner_run_full (runner, argv, 0, NULL, 0, NULL, NULL, NULL, cancellable, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_thread_join (thread);
  g_clear_error (&error);

  /* already cancelled: not started */
  g_assert_false (lab_runner_run_full (runner, argv, 0, NULL, 0, NULL, NULL, NULL, cancellable, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_CANCELLED);
}

static void
test_log_file (Fixture *f, gconstpointer data)
{
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  g_autoptr(GError) error = NULL;
  g_autofree char *log = NULL;
  const char *argv[] = { "sh", "-c", "echo line one; echo line two; echo oops >&2", NULL };
  const char *fail[] = { "sh", "-c", "exit 7", NULL };
  const char *quiet[] = { "echo", "bulk output", NULL };
  struct stat st;

  lab_runner_set_log_path (runner, f->log);
  g_assert_cmpstr (lab_runner_get_log_path (runner), ==, f->log);
  g_assert_true (lab_runner_run (runner, argv, 0, NULL, &error));
  g_assert_false (lab_runner_run (runner, fail, 0, NULL, &error));
  g_clear_error (&error);
  g_assert_true (lab_runner_run (runner, quiet, LAB_RUN_QUIET_OUTPUT, NULL, &error));

  g_assert_cmpint (g_stat (f->log, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  log = read_file (f->log);
  g_assert_true (g_regex_match_simple ("^\\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d[-+]\\d{4}\\] \\$ sh -c 'echo line one; echo line two; echo oops >&2'$",
                                       log, G_REGEX_MULTILINE, 0));
  g_assert_nonnull (strstr (log, "  exit 0 ("));
  g_assert_nonnull (strstr (log, "  stdout: line one\n  stdout: line two\n  stderr: oops\n"));
  g_assert_nonnull (strstr (log, "$ sh -c 'exit 7'\n  exit 7 ("));
  g_assert_nonnull (strstr (log, "$ echo 'bulk output'\n"));
  g_assert_null (strstr (log, "stdout: bulk output"));
}

static void
test_env (Fixture *f, gconstpointer data)
{
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  const char *argv[] = { "sh", "-c", "echo \"$LVM_SYSTEM_DIR:${HOME-unset}\"", NULL };

  lab_runner_setenv (runner, "LVM_SYSTEM_DIR", "/tmp/lvm-test");
  lab_runner_setenv (runner, "HOME", NULL);
  g_assert_true (lab_runner_run (runner, argv, 0, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, "/tmp/lvm-test:unset\n");
}

static void
test_daemon (Fixture *f, gconstpointer data)
{
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  g_autoptr(GError) error = NULL;
  g_autofree char *daemon_log = g_build_filename (f->dir, "daemon.log", NULL);
  const char *argv[] = { "sh", "-c", "echo daemon started; echo to stderr >&2; exec sleep 30", NULL };
  GPid pid = 0;
  gint64 deadline;
  g_autofree char *contents = NULL;

  g_assert_true (lab_runner_spawn_daemon (runner, argv, daemon_log, &pid, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pid, >, 0);
  g_assert_true (lab_process_alive (pid));
  /* its own session */
  g_assert_cmpint (getsid (pid), ==, pid);

  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  do
    {
      g_clear_pointer (&contents, g_free);
      contents = read_file (daemon_log);
      if (strstr (contents, "to stderr") != NULL)
        break;
      g_usleep (10000);
    }
  while (g_get_monotonic_time () < deadline);
  g_assert_cmpstr (contents, ==, "daemon started\nto stderr\n");

  g_assert_false (lab_process_wait_gone (pid, 50));
  g_assert_cmpint (kill (pid, SIGTERM), ==, 0);
  g_assert_true (lab_process_wait_gone (pid, 5000));
  g_assert_false (lab_process_alive (pid));

  /* dry-run: only recorded */
  {
    g_autoptr(LabRunner) dry = lab_runner_new (LAB_RUNNER_MODE_DRY_RUN);
    const char *sleeper[] = { "sleep", "30", NULL };

    pid = 42;
    g_assert_true (lab_runner_spawn_daemon (dry, sleeper, NULL, &pid, &error));
    g_assert_cmpint (pid, ==, 0);
    g_assert_cmpuint (lab_runner_get_recorded (dry)->len, ==, 1);
    g_assert_cmpstr (g_ptr_array_index (lab_runner_get_recorded (dry), 0), ==, "sleep 30");
  }
}

/* A command that leaves a background process holding its stdout: the
 * runner stops reading shortly after the command exits instead of hanging. */
static void
test_pipes_held (Fixture *f, gconstpointer data)
{
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *log = NULL;
  g_auto(GStrv) lines = NULL;
  const char *argv[] = { "sh", "-c", "echo hi; sleep 30 & echo $!; exit 0", NULL };
  gint64 start = g_get_monotonic_time ();
  GPid pid;

  lab_runner_set_log_path (runner, f->log);
  g_assert_true (lab_runner_run (runner, argv, 0, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
  lines = g_strsplit (out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_cmpstr (lines[0], ==, "hi");
  pid = (GPid) g_ascii_strtoll (lines[1], NULL, 10);
  g_assert_cmpint (pid, >, 0);
  g_assert_true (lab_process_alive (pid));
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  g_assert_true (lab_process_wait_gone (pid, 5000));
  log = read_file (f->log);
  g_assert_nonnull (strstr (log, "still holds its output open"));
}

static void
test_detach_flag (Fixture *f, gconstpointer data)
{
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  const char *argv[] = { "tgtd", "-f", "-C", "31999", NULL };

  g_assert_true (lab_runner_run (runner, argv, LAB_RUN_DETACH, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, "");
  g_assert_cmpuint (lab_runner_get_recorded (runner)->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (lab_runner_get_recorded (runner), 0), ==, "tgtd -f -C 31999");
}

static void
test_process_alive (void)
{
  g_assert_true (lab_process_alive (getpid ()));
  g_assert_false (lab_process_alive (0));
  g_assert_false (lab_process_alive (-1));
  g_assert_false (lab_process_alive (4194304 + 7)); /* above pid_max */
  g_assert_true (lab_process_wait_gone (4194304 + 7, 10));
}

static void
test_format (void)
{
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  const char *argv[] = { "lvcreate", "-L", "10G", "-n", "lv_pve1", "--addtag", "labctl:course",
                         "", "it's", "a b", "$HOME", NULL };
  g_autofree char *line = lab_runner_format_argv (runner, argv);

  g_assert_cmpstr (line, ==,
                   "lvcreate -L 10G -n lv_pve1 --addtag labctl:course '' 'it'\\''s' 'a b' '$HOME'");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/runner/real/success", test_success);
  ADD ("/runner/real/exit-error", test_exit_error);
  ADD ("/runner/real/missing-program", test_missing_program);
  ADD ("/runner/real/timeout", test_timeout);
  ADD ("/runner/real/cancel", test_cancel);
  ADD ("/runner/real/env", test_env);
  ADD ("/runner/log-file", test_log_file);
  ADD ("/runner/dry-run", test_dry_run);
  ADD ("/runner/record", test_record);
  ADD ("/runner/secrets", test_secrets);
  ADD ("/runner/daemon", test_daemon);
  ADD ("/runner/real/pipes-held", test_pipes_held);
  ADD ("/runner/detach-flag", test_detach_flag);
#undef ADD
  g_test_add_func ("/runner/process-alive", test_process_alive);
  g_test_add_func ("/runner/format", test_format);

  return g_test_run ();
}
