/* test-lock.c: one labctl at a time per lab (core/lab-lock.c), and the
 * built labctl honouring it: a changing command exits 5 naming the holder,
 * or waits with --wait; readers (status, dry runs) never block; a holder
 * killed with SIGKILL leaves no stale lock. No root, no daemon. */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "lab-error.h"
#include "lab-lock.h"
#include "lab-runner.h"
#include "lab-test-cli.h"
#include "lab-test-fs.h"

static char *state_root;  /* LABCTL_STATE_DIR */

/* tests/data/e2e.lab: lab "e2e" */
static char *
e2e_recipe (void)
{
  return g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", "e2e.lab", NULL);
}

static char *
lab_dir (void)
{
  return g_build_filename (state_root, "e2e", NULL);
}

static void
test_busy_in_process (void)
{
  g_autofree char *dir = lab_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(LabLock) lock = lab_lock_acquire (dir, "e2e", "up", FALSE, NULL, NULL, NULL, &error);
  g_autofree char *holder = NULL;
  g_autofree char *pid = g_strdup_printf ("pid %d,", (int) getpid ());

  g_assert_no_error (error);
  g_assert_nonnull (lock);
  holder = lab_lock_describe_holder (dir);
  g_assert_nonnull (holder);
  if (holder != NULL)
    {
      g_assert_nonnull (strstr (holder, "'labctl up'"));
      g_assert_nonnull (strstr (holder, pid));
    }
  /* a second lock, even in this process (another open file), is refused */
  g_assert_null (lab_lock_acquire (dir, "e2e", "down", FALSE, NULL, NULL, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_BUSY);
  if (error != NULL)
    {
      g_assert_nonnull (strstr (error->message, "'labctl up'"));
      g_assert_nonnull (strstr (error->message, pid));
      g_assert_nonnull (strstr (error->message, "--wait"));
    }
  g_clear_pointer (&lock, lab_lock_release);
  /* nothing was built: the lock file and the directory went with it */
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  g_assert_null (lab_lock_describe_holder (dir));
}

static void
test_release_keeps_state (void)
{
  g_autofree char *dir = lab_dir ();
  g_autofree char *state = g_build_filename (dir, "state.json", NULL);
  g_autofree char *file = g_build_filename (dir, LAB_LOCK_FILE_NAME, NULL);
  g_autoptr(GError) error = NULL;
  LabLock *lock = lab_lock_acquire (dir, "e2e", "up", FALSE, NULL, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (state, "{}", -1, NULL));
  lab_lock_release (lock);
  g_assert_true (g_file_test (state, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));
  g_assert_null (lab_lock_describe_holder (dir));
  lab_test_remove_tree (dir);
}

/* The built labctl while this process holds the lab's lock. */
static void
test_cli_busy (void)
{
  g_autofree char *dir = lab_dir ();
  g_autofree char *recipe = e2e_recipe ();
  g_autofree char *pid = g_strdup_printf ("pid %d,", (int) getpid ());
  g_autoptr(GError) error = NULL;
  g_autoptr(LabLock) lock = lab_lock_acquire (dir, "e2e", "up", FALSE, NULL, NULL, NULL, &error);
  static const char * const changing[][4] = {
    { "down", NULL }, { "up", NULL }, { "reset", NULL }, { "nodes", "stop", NULL },
    { "storage", "down", NULL }, { "experiment", "migrate", NULL },
  };

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (changing); i++)
    {
      g_auto(LabTestRun) r = { 0 };
      const char *argv[8] = { 0 };
      guint n = 0;

      argv[n++] = g_getenv ("LABCTL");
      for (guint k = 0; changing[i][k] != NULL; k++)
        argv[n++] = changing[i][k];
      argv[n++] = "--recipe";
      argv[n++] = recipe;
      if (!lab_test_run_argv (&r, NULL, argv))
        continue;
      g_assert_cmpint (r.status, ==, 5);
      g_assert_nonnull (strstr (r.err, "is busy: 'labctl up'"));
      g_assert_nonnull (strstr (r.err, pid));
    }
  /* readers and dry runs do not wait for it */
  {
    g_auto(LabTestRun) s = { 0 };
    g_auto(LabTestRun) d = { 0 };
    g_auto(LabTestRun) n = { 0 };

    lab_test_run_labctl (&s, "status", "--recipe", recipe, NULL);
    g_assert_cmpint (s.status, !=, 5);
    g_assert_null (strstr (s.err, "busy"));
    lab_test_run_labctl (&d, "down", "--dry-run", "--recipe", recipe, NULL);
    g_assert_cmpint (d.status, ==, 0);
    lab_test_run_labctl (&n, "nodes", "list", "--recipe", recipe, NULL);
    g_assert_null (strstr (n.err, "busy"));
  }
}

/* --wait waits for the holder, then runs. */
static void
test_cli_wait (void)
{
  g_autofree char *dir = lab_dir ();
  g_autofree char *recipe = e2e_recipe ();
  g_autoptr(GError) error = NULL;
  LabLock *lock = lab_lock_acquire (dir, "e2e", "up", FALSE, NULL, NULL, NULL, &error);
  g_autoptr(GSubprocess) proc = NULL;
  g_autofree char *out = NULL, *err = NULL;

  g_assert_no_error (error);
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                           g_getenv ("LABCTL"), "down", "--wait", "--recipe", recipe, NULL);
  g_assert_no_error (error);
  g_usleep (700 * 1000);
  /* still waiting (a zombie would not be) */
  g_assert_true (lab_process_alive ((GPid) atoi (g_subprocess_get_identifier (proc))));
  /* the holder is done: this also removes the lock file and the
   * directory, which the waiter must notice */
  lab_lock_release (lock);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_test_message ("down --wait: %s%s", out, err);
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
  g_assert_nonnull (strstr (err, "waiting for 'labctl up'"));
  g_assert_nonnull (strstr (out, "Nothing to remove"));
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
}

/* A holder killed with SIGKILL: the kernel drops its lock. */
static void
test_sigkill_no_stale_lock (void)
{
  g_autofree char *dir = lab_dir ();
  g_autoptr(GError) error = NULL;
  g_autofree char *file = g_build_filename (dir, LAB_LOCK_FILE_NAME, NULL);
  g_autoptr(LabLock) lock = NULL;
  int ready[2];
  char c;
  pid_t child;

  g_mkdir_with_parents (dir, 0700);
  g_assert_cmpint (pipe (ready), ==, 0);
  child = fork ();
  if (child == 0)
    {
      /* only system calls here: the parent has threads */
      int fd = open (file, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

      if (fd < 0 || flock (fd, LOCK_EX) != 0 || write (ready[1], "x", 1) != 1)
        _exit (1);
      for (;;)
        pause ();
    }
  g_assert_cmpint (read (ready[0], &c, 1), ==, 1);
  g_assert_null (lab_lock_acquire (dir, "e2e", "up", FALSE, NULL, NULL, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_BUSY);
  g_clear_error (&error);
  kill (child, SIGKILL);
  waitpid (child, NULL, 0);
  close (ready[0]);
  close (ready[1]);
  lock = lab_lock_acquire (dir, "e2e", "up", FALSE, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (lock);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  state_root = g_dir_make_tmp ("labctl-lock-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("LABCTL_STATE_DIR", state_root, TRUE);
  g_test_add_func ("/lock/busy-in-process", test_busy_in_process);
  g_test_add_func ("/lock/release-keeps-state", test_release_keeps_state);
  g_test_add_func ("/lock/cli-busy", test_cli_busy);
  g_test_add_func ("/lock/cli-wait", test_cli_wait);
  g_test_add_func ("/lock/sigkill-no-stale-lock", test_sigkill_no_stale_lock);
  rc = g_test_run ();
  lab_test_remove_tree (state_root);
  return rc;
}
