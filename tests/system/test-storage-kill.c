/* test-storage-kill.c: `labctl storage up` and `down` killed with SIGKILL
 * at the moments of the storage attach window (issue 15, item 7), then run
 * again: the next run converges and `down` leaves nothing (no
 * qemu-storage-daemon, FUSE mount, loop device, tgtd, image or state).
 *
 * Each moment is caught, not guessed: the test polls the state file,
 * /proc/mounts and the children of labctl, stops labctl (SIGSTOP) when
 * they show the moment, checks again that they still do, and only then
 * kills it. The FUSE attach (LABCTL_STORAGE_ATTACH=fuse) with a private
 * tgtd on loopback and LVM in a private LVM_SYSTEM_DIR
 * (tests/lib/lab-test-lvm.c, as test-storage.c).
 *
 * Root only. Whatever a failed assertion leaves is removed at the end. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "lab-error.h"
#include "lab-iscsi.h"
#include "lab-runner.h"
#include "lab-state.h"
#include "lab-test-cli.h"
#include "lab-test-lvm.h"
#include "lab-tgt.h"

static struct {
  char    *dir;
  char    *state_root;
  char    *lab;
  char    *recipe;
  guint16  cp, pp;
  char    *mountpoint;   /* the lab's FUSE mountpoint */
  char    *image;
} F;

/* ---- what is on the host --------------------------------------------- */

static char *
lab_dir (void)
{
  return g_build_filename (F.state_root, F.lab, NULL);
}

static LabState *
load_state (void)
{
  g_autofree char *dir = lab_dir ();
  g_autoptr(GError) error = NULL;
  LabState *state = lab_state_load (dir, F.lab, &error);

  /* written atomically (rename): a read never sees half a file */
  g_assert_no_error (error);
  return state;
}

static LabStepState
step_state (const char *step)
{
  g_autoptr(LabState) state = load_state ();
  return state != NULL ? lab_state_get_step (state, step) : LAB_STEP_STATE_NONE;
}

static gboolean
tgtd_answers (void)
{
  g_autoptr(LabRunner) r = lab_runner_new (LAB_RUNNER_MODE_REAL);
  gboolean running = FALSE;

  lab_tgt_ping (r, F.cp, &running, NULL);
  return running;
}

static guint
n_exports (void)
{
  g_autoptr(GPtrArray) pids = lab_iscsi_fuse_find_exports (F.mountpoint);
  return pids->len;
}

static guint
n_loops (void)
{
  g_auto(GStrv) loops = lab_iscsi_fuse_find_loops (F.mountpoint);
  return g_strv_length (loops);
}

static void
assert_nothing_left (void)
{
  g_autofree char *dir = lab_dir ();
  g_autofree char *state = g_build_filename (dir, "state.json", NULL);

  g_assert_cmpuint (n_exports (), ==, 0);
  g_assert_false (lab_iscsi_fuse_is_mounted (F.mountpoint));
  g_assert_cmpuint (n_loops (), ==, 0);
  g_assert_false (tgtd_answers ());
  g_assert_false (g_file_test (F.image, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (state, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (F.mountpoint, G_FILE_TEST_EXISTS));
}

/* The pids of pid's children whose command is comm (from /proc). */
static GArray *
children_named (GPid pid, const char *comm)
{
  GArray *found = g_array_new (FALSE, FALSE, sizeof (GPid));
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%s/stat", name);
      g_autofree char *stat = NULL;
      g_autofree char *want = g_strdup_printf ("(%s) ", comm);
      const char *paren;
      int ppid = 0;
      char st;

      if (!g_ascii_isdigit (*name) || !g_file_get_contents (path, &stat, NULL, NULL))
        continue;
      paren = strrchr (stat, ')');
      if (strstr (stat, want) == NULL || paren == NULL || sscanf (paren + 1, " %c %d", &st, &ppid) != 2)
        continue;
      if (ppid == pid)
        {
          GPid child = atoi (name);
          g_array_append_val (found, child);
        }
    }
  return found;
}

/* ---- running labctl and killing it at a moment -------------------------- */

static GSubprocess *
spawn_labctl (const char *verb)
{
  g_autoptr(GError) error = NULL;
  const char *exe = g_getenv ("LABCTL");
  GSubprocess *proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                        &error, exe != NULL ? exe : LABCTL_BUILD_DIR "/labctl/labctl",
                                        "storage", verb, "--recipe", F.recipe, NULL);
  g_assert_no_error (error);
  return proc;
}

typedef gboolean (*Moment) (GPid labctl);

/* Runs `labctl storage <verb>` and kills it with SIGKILL at the moment
 * (polled every millisecond; confirmed with labctl stopped). FALSE when
 * labctl finished first. */
static gboolean
kill_at (const char *verb, Moment moment, const char *what)
{
  g_autoptr(GSubprocess) proc = spawn_labctl (verb);
  GPid pid = atoi (g_subprocess_get_identifier (proc));
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  gboolean killed = FALSE;

  while (g_get_monotonic_time () < deadline && lab_test_proc_state (pid) != 'Z' && lab_test_proc_state (pid) != 0)
    {
      if (moment (pid))
        {
          kill (pid, SIGSTOP);
          /* still the moment, now that labctl cannot move on */
          if (moment (pid))
            {
              kill (pid, SIGKILL);
              killed = TRUE;
              break;
            }
          kill (pid, SIGCONT);
        }
      g_usleep (1000);
    }
  if (!killed)
    g_subprocess_force_exit (proc);
  g_subprocess_wait (proc, NULL, NULL);
  g_test_message ("labctl storage %s: %s %s", verb, killed ? "killed with SIGKILL when" : "NOT killed: it never showed", what);
  return killed;
}

/* (a) the export is mounted, the attach step is not recorded as done */
static gboolean
moment_export_mounted (GPid labctl)
{
  return lab_iscsi_fuse_is_mounted (F.mountpoint) && step_state ("storage.attach") == LAB_STEP_STATE_STARTED;
}

/* (b) pvcreate has finished (a zombie of the stopped labctl), the PV step
 * is not recorded as done */
static gboolean
moment_pv_made (GPid labctl)
{
  g_autoptr(GArray) pv = NULL;

  if (step_state ("storage.pv") != LAB_STEP_STATE_STARTED)
    return FALSE;
  pv = children_named (labctl, "pvcreate");
  if (pv->len == 0)
    return FALSE;
  if (lab_test_proc_state (labctl) != 'T')
    return TRUE;   /* running: stop labctl, then wait for pvcreate below */
  for (int i = 0; i < 30000 && lab_test_proc_state (g_array_index (pv, GPid, 0)) != 'Z'; i++)
    g_usleep (1000);
  return lab_test_proc_state (g_array_index (pv, GPid, 0)) == 'Z' && step_state ("storage.pv") == LAB_STEP_STATE_STARTED;
}

/* (d) tgtd runs, the tgtd step has not recorded its pid */
static gboolean
moment_tgtd_started (GPid labctl)
{
  g_autoptr(LabState) state = load_state ();

  return state != NULL && lab_state_get_step (state, "storage.tgtd") == LAB_STEP_STATE_STARTED
         && !lab_state_has (state, "storage.tgtd.pid") && lab_tgt_find_daemon (F.cp, "127.0.0.1", F.pp) > 0;
}

static void
run_ok (const char *verb)
{
  g_auto(LabTestRun) run = { 0 };

  lab_test_run_labctl (&run, "storage", verb, "--recipe", F.recipe, NULL);
  g_assert_cmpint (run.status, ==, 0);
}

/* ---- tests ----------------------------------------------------------- */

static void
test_kill_export_mounted (void)
{
  g_assert_true (kill_at ("up", moment_export_mounted, "the FUSE export was mounted and storage.attach not done"));
  /* the moment: an export the saved state has no pid or loop of */
  g_assert_cmpuint (n_exports (), ==, 1);
  run_ok ("up");
  g_assert_cmpuint (n_exports (), ==, 1);
  g_assert_cmpuint (n_loops (), ==, 1);
  g_assert_cmpint (step_state ("storage.lv:lv_node1"), ==, LAB_STEP_STATE_DONE);
  run_ok ("down");
  assert_nothing_left ();

  /* killed there again, then down at once: it stops the export too */
  g_assert_true (kill_at ("up", moment_export_mounted, "the FUSE export was mounted and storage.attach not done"));
  run_ok ("down");
  assert_nothing_left ();
}

static void
test_kill_pv_made (void)
{
  g_assert_true (kill_at ("up", moment_pv_made, "pvcreate had made the PV and storage.pv was not done"));
  run_ok ("up");
  g_assert_cmpint (step_state ("storage.vg"), ==, LAB_STEP_STATE_DONE);
  g_assert_cmpint (step_state ("storage.lv:lv_node2"), ==, LAB_STEP_STATE_DONE);
  run_ok ("down");
  assert_nothing_left ();
}

static void
test_kill_tgtd_started (void)
{
  g_assert_true (kill_at ("up", moment_tgtd_started, "tgtd was started and its pid not recorded"));
  run_ok ("down");
  assert_nothing_left ();
}

/* The runner and a child that SIGKILL cannot end: a read of the lab's
 * FUSE export while its tgtd is stopped (SIGSTOP) sits in uninterruptible
 * sleep, as every block-device scan did once tgtd was gone under an
 * orphaned export. The runner must give up on it after its timeout and the
 * wait for the killed child, and say so. The read runs in a thread: if
 * the runner waits for ever, the test resumes tgtd after 30 s, which frees
 * the read, and fails. */
typedef struct {
  char     *loop;
  gboolean  ok;
  GError   *error;
  gint64    seconds_x10;
  gboolean  returned;
} StuckRun;

static gpointer
run_stuck_read (gpointer data)
{
  StuckRun *r = data;
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  g_autofree char *skip = g_strdup_printf ("skip=%u", 1000 + g_random_int_range (0, 100000));
  g_autofree char *in = g_strdup_printf ("if=%s", r->loop);
  /* through the loop device, as vgs and blkid read it: its direct I/O waits uninterruptibly */
  const char *argv[] = { "dd", in, "of=/dev/null", "bs=4096", "count=1", "iflag=direct", skip, NULL };
  gint64 t0 = g_get_monotonic_time ();
  int status = 0;

  r->ok = lab_runner_run_full (runner, argv, LAB_RUN_QUERY, NULL, 1000, &status, NULL, NULL, NULL, &r->error);
  r->seconds_x10 = (g_get_monotonic_time () - t0) / 100000;
  g_atomic_int_set (&r->returned, TRUE);
  return NULL;
}

static void
test_runner_stuck_child (void)
{
  StuckRun r = { 0 };
  GThread *thread;
  g_autoptr(LabState) state = NULL;
  GPid tgtd;
  gint64 deadline;

  run_ok ("up");
  state = load_state ();
  tgtd = state != NULL ? (GPid) lab_state_get_int (state, "storage.tgtd.pid", 0) : 0;
  g_assert_cmpint (tgtd, >, 0);
  if (tgtd <= 0)
    return;
  r.loop = g_strdup (lab_state_get_string (state, "storage.attach.loop"));
  g_assert_nonnull (r.loop);
  if (r.loop == NULL)
    return;
  kill (tgtd, SIGSTOP);
  thread = g_thread_new ("stuck-read", run_stuck_read, &r);
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (!g_atomic_int_get (&r.returned) && g_get_monotonic_time () < deadline)
    g_usleep (10000);
  /* resume tgtd in any case: the stuck read ends with it */
  kill (tgtd, SIGCONT);
  g_thread_join (thread);
  g_test_message ("the runner returned after %.1f s: %s", r.seconds_x10 / 10.0,
                  r.error != NULL ? r.error->message : "no error");
  g_assert_false (r.ok);
  g_assert_error (r.error, LAB_ERROR, LAB_ERROR_TIMEOUT);
  g_assert_nonnull (r.error != NULL ? strstr (r.error->message, "state D") : NULL);
  /* 1 s timeout + 5 s for the killed child, not until tgtd resumed */
  g_assert_cmpint (r.seconds_x10, <, 150);
  g_clear_error (&r.error);
  g_free (r.loop);
  run_ok ("down");
  assert_nothing_left ();
}

/* ---- setup and cleanup ------------------------------------------------ */

static guint16
pick_port (guint lo, guint span)
{
  for (int i = 0; i < 100; i++)
    {
      guint16 p = lo + g_random_int_range (0, span);
      g_autofree char *sock = g_strdup_printf ("/run/tgtd/socket.%u", p);
      g_autoptr(GError) error = NULL;

      if (lab_tgt_check_portal_free ("127.0.0.1", p, &error) && !g_file_test (sock, G_FILE_TEST_EXISTS))
        return p;
    }
  return 0;
}

static void
cleanup (void)
{
  g_auto(LabTestRun) run = { 0 };

  if (F.recipe == NULL)
    return;
  /* labctl's own down first, then by hand what it may have left */
  lab_test_run_labctl (&run, "storage", "down", "--recipe", F.recipe, NULL);
  {
    g_autoptr(GPtrArray) pids = lab_iscsi_fuse_find_exports (F.mountpoint);
    g_auto(GStrv) loops = lab_iscsi_fuse_find_loops (F.mountpoint);
    for (guint i = 0; loops[i] != NULL; i++)
      {
        const char *argv[] = { "losetup", "--detach", loops[i], NULL };
        g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
      }
    for (guint i = 0; i < pids->len; i++)
      kill (GPOINTER_TO_INT (g_ptr_array_index (pids, i)), SIGKILL);
  }
  if (lab_iscsi_fuse_is_mounted (F.mountpoint))
    {
      const char *argv[] = { "umount", "--lazy", F.mountpoint, NULL };
      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
    }
  if (tgtd_answers ())
    {
      g_autoptr(LabRunner) r = lab_runner_new (LAB_RUNNER_MODE_REAL);
      g_autoptr(GPtrArray) targets = lab_tgt_show (r, F.cp, NULL);
      for (guint i = 0; targets != NULL && i < targets->len; i++)
        {
          g_auto(GStrv) argv = lab_tgt_argv_delete_target (F.cp, ((LabTgtTarget *) g_ptr_array_index (targets, i))->tid);
          lab_tgt_run (r, (const char * const *) argv, NULL);
        }
      lab_tgt_stop_daemon (r, F.cp, 0, NULL);
    }
  if (F.dir != NULL)
    {
      const char *argv[] = { "rm", "-rf", F.dir, NULL };
      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
    }
}

static gboolean
setup (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *lvm_dir = NULL;
  g_autofree char *text = NULL;
  g_autofree char *dir = NULL;
  int pid = (int) getpid ();

  F.dir = g_dir_make_tmp ("labctl-systest-kill-XXXXXX", &error);
  g_assert_no_error (error);
  lvm_dir = lab_test_lvm_system_dir (F.dir, &error);
  g_assert_no_error (error);
  if (lvm_dir == NULL)
    return FALSE;
  F.state_root = g_build_filename (F.dir, "state", NULL);
  g_setenv ("LABCTL_STATE_DIR", F.state_root, TRUE);
  g_setenv ("LABCTL_STORAGE_ATTACH", "fuse", TRUE);

  F.cp = pick_port (20000, 10000);
  F.pp = pick_port (40000, 10000);
  if (F.cp == 0 || F.pp == 0)
    return FALSE;
  F.lab = g_strdup_printf ("ckill%d", pid);
  F.image = g_strdup_printf ("%s/%s.img", F.dir, F.lab);
  F.recipe = g_strdup_printf ("%s/%s.lab", F.dir, F.lab);
  text = g_strdup_printf ("[lab]\nname = %s\nflavor = kvm\n"
                          "[storage]\nsize = 1G\nportal = 127.0.0.1:%u\ncontrol-port = %u\n"
                          "backing-file = %s\nvg = vg_ck%d\n"
                          "[network]\nsubnet = 10.%d.%d.0/24\n"
                          "[nodes]\ncount = 2\ndisk = 256M\n",
                          F.lab, F.pp, F.cp, F.image, pid, 150 + pid % 50, pid / 100 % 250);
  g_assert_true (g_file_set_contents (F.recipe, text, -1, NULL));
  dir = lab_dir ();
  /* lab-storage-attach.c: <state dir>/<lab>-lun1.fuse */
  F.mountpoint = g_strdup_printf ("%s/%s-lun1.fuse", dir, F.lab);
  g_test_message ("lab %s: control port %u, portal 127.0.0.1:%u, dir %s", F.lab, F.cp, F.pp, F.dir);
  return TRUE;
}

static void
test_needs_root (void)
{
  g_test_skip ("needs root: tgtd, losetup, LVM and FUSE mounts (run the system suite as root)");
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

  if (geteuid () != 0)
    {
      g_test_add_func ("/storage-kill/needs-root", test_needs_root);
      return g_test_run ();
    }
  if (!setup ())
    {
      cleanup ();
      g_printerr ("setup failed: no free ports\n");
      return 1;
    }
  g_test_add_func ("/storage-kill/up-export-mounted", test_kill_export_mounted);
  g_test_add_func ("/storage-kill/up-pv-made", test_kill_pv_made);
  g_test_add_func ("/storage-kill/up-tgtd-started", test_kill_tgtd_started);
  g_test_add_func ("/storage-kill/runner-stuck-child", test_runner_stuck_child);
  ret = g_test_run ();
  cleanup ();
  return ret;
}
