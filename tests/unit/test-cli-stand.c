/* test-cli-stand.c: `labctl up/down --dry-run`, `status`, `down` on a lab
 * that is not up, `experiment` usage, and `reap`, through the built labctl
 * (env LABCTL). Nothing here needs root or starts a daemon. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "lab-test-cli.h"

static char *state_root;

static char *
e2e_recipe (void)
{
  return g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", "e2e.lab", NULL);
}

static void
test_up_dry_run_container (void)
{
  g_auto(LabTestRun) r;
  g_autofree char *recipe = e2e_recipe ();
  const char *netns, *daemons, *guest;

  lab_test_run_labctl (&r, "up", "--dry-run", "--recipe", recipe, NULL);
  g_assert_cmpint (r.status, ==, 0);
  netns = strstr (r.out, "ip netns add labctl-e2e-node1");
  daemons = strstr (r.out, "libvirtd --listen");
  guest = strstr (r.out, "virsh -c 'qemu+unix:///system?socket=");
  g_assert_nonnull (strstr (r.out, "ip link add lab-e2e type bridge"));
  g_assert_nonnull (netns);
  g_assert_nonnull (strstr (r.out, "ip netns add labctl-e2e-node2"));
  g_assert_nonnull (daemons);
  g_assert_nonnull (guest);
  g_assert_nonnull (strstr (r.out, "<source bridge='br0'/>"));
  /* in order: namespaces, daemons, guests */
  g_assert_true (netns < daemons && daemons < guest);
  /* nothing was made: no state dir */
  {
    g_autofree char *dir = g_build_filename (state_root, "e2e", NULL);
    g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  }
}

static void
test_up_dry_run_proxmox (void)
{
  g_auto(LabTestRun) r;

  lab_test_run_labctl (&r, "up", "--dry-run", "--recipe", "proxmox-3node", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "labctl check --recipe"));
  g_assert_nonnull (strstr (r.out, "virt-install"));
  g_assert_nonnull (strstr (r.out, "pve3"));
  g_assert_nonnull (strstr (r.out, "# 1. "));
}

static void
test_down_dry_run (void)
{
  g_auto(LabTestRun) r;
  g_autofree char *recipe = e2e_recipe ();
  const char *guest, *netns, *bridge;

  lab_test_run_labctl (&r, "down", "--dry-run", "--recipe", recipe, NULL);
  g_assert_cmpint (r.status, ==, 0);
  guest = strstr (r.out, "undefine tiny");
  netns = strstr (r.out, "ip netns del labctl-e2e-node1");
  bridge = strstr (r.out, "ip link del lab-e2e");
  g_assert_nonnull (guest);
  g_assert_nonnull (netns);
  g_assert_nonnull (bridge);
  /* reverse order */
  g_assert_true (guest < netns && netns < bridge);
}

static void
test_not_up (void)
{
  g_autofree char *recipe = e2e_recipe ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_auto(LabTestRun) r;
  g_auto(LabTestRun) s;
  g_auto(LabTestRun) j;
  JsonObject *o;

  lab_test_run_labctl (&r, "down", "--recipe", recipe, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "Nothing to remove: lab e2e is not up."));

  lab_test_run_labctl (&s, "status", "--recipe", recipe, NULL);
  /* not up: 3, as `systemctl is-active` */
  g_assert_cmpint (s.status, ==, 3);
  g_assert_nonnull (strstr (s.out, "Lab e2e (flavor container): not up"));
  g_assert_nonnull (strstr (s.out, "absent"));

  lab_test_run_labctl (&j, "status", "--json", "--recipe", recipe, NULL);
  g_assert_cmpint (j.status, ==, 3);
  g_assert_true (json_parser_load_from_data (parser, j.out, -1, NULL));
  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_false (json_object_get_boolean_member (o, "up"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "nodes")), ==, 2);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "guests")), ==, 1);

  /* looking at a lab that was never built leaves nothing behind */
  {
    g_autofree char *dir = g_build_filename (state_root, "e2e", NULL);
    g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
    g_assert_null (strstr (s.err, "WARNING"));
  }
  {
    g_auto(LabTestRun) x;
    lab_test_run_labctl (&x, "reset", "--recipe", recipe, NULL);
    g_assert_cmpint (x.status, ==, 1);
    g_assert_nonnull (strstr (x.err, "run 'labctl up' first"));
  }
}

static void
test_needs_root (void)
{
  g_autofree char *recipe = e2e_recipe ();
  const char *exe = g_getenv ("LABCTL");
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;

  if (exe == NULL)
    exe = LABCTL_BUILD_DIR "/labctl/labctl";
  /* as a normal user (root drops to nobody for this) */
  if (getuid () == 0)
    proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                             "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                             exe, "up", "--recipe", recipe, NULL);
  else
    proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                             exe, "up", "--recipe", recipe, NULL);
  g_assert_no_error (error);
  if (proc == NULL)
    return;
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_test_message ("stderr: %s", err);
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 4);
  g_assert_nonnull (strstr (err, "sudo labctl up --recipe"));
}

static guint
count_of (const char *haystack, const char *needle)
{
  guint n = 0;

  for (const char *p = haystack; (p = strstr (p, needle)) != NULL; p += strlen (needle))
    n++;
  return n;
}

/* A failed step shows its error, with its fix, once: in the progress;
 * the last line only names the step. The host check fails on a fake host
 * without VT-x before anything is made; `up` runs as root in a user
 * namespace when the test is not root. */
static void
test_failure_said_once (void)
{
  g_autofree char *sysroot = g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", "hosts", "no-vtx", NULL);
  g_autofree char *set_sysroot = g_strdup_printf ("LABCTL_SYSROOT=%s", sysroot);
  const char * const env[] = { set_sysroot, NULL };
  const char *exe = g_getenv ("LABCTL");
  const char * const as_root[] = { exe, "up", "--recipe", "proxmox-3node", NULL };
  const char * const in_userns[] = { "unshare", "-r", exe, "up", "--recipe", "proxmox-3node", NULL };
  g_auto(LabTestRun) r = { 0 };
  g_autofree char *both = NULL;

  if (getuid () != 0 && system ("unshare -r true >/dev/null 2>&1") != 0)
    {
      g_test_skip ("needs root, or user namespaces for 'unshare -r'");
      return;
    }
  if (!lab_test_run_argv (&r, env, getuid () == 0 ? as_root : in_userns))
    return;
  both = g_strconcat (r.out, r.err, NULL);
  g_assert_cmpint (r.status, ==, 1);
  /* (the fake host fails kvm.module and kvm.device, whose fixes both say
   * "sudo modprobe kvm_intel"; each failure itself is said once) */
  g_assert_cmpuint (count_of (both, "Kernel module kvm_intel is not loaded"), ==, 1);
  g_assert_cmpuint (count_of (both, "This host cannot run lab course"), ==, 1);
  g_assert_nonnull (strstr (r.err, "labctl up: The lab is not complete: step 'Check the host"));
  {
    g_auto(LabTestRun) d = { 0 };
    const char * const down_root[] = { exe, "down", "--recipe", "proxmox-3node", NULL };
    const char * const down_userns[] = { "unshare", "-r", exe, "down", "--recipe", "proxmox-3node", NULL };

    lab_test_run_argv (&d, env, getuid () == 0 ? down_root : down_userns);
    g_assert_cmpint (d.status, ==, 0);
  }
}

static void
test_experiment_usage (void)
{
  g_auto(LabTestRun) r;
  g_auto(LabTestRun) h;
  g_auto(LabTestRun) m;

  lab_test_run_labctl (&r, "experiment", NULL);
  g_assert_cmpint (r.status, ==, 2);
  lab_test_run_labctl (&h, "experiment", "--help", NULL);
  g_assert_cmpint (h.status, ==, 0);
  g_assert_nonnull (strstr (h.out, "migrate"));
  lab_test_run_labctl (&m, "experiment", "migrate", "--interval", "0", NULL);
  g_assert_cmpint (m.status, ==, 2);
}

static void
test_reap (void)
{
  g_auto(LabTestRun) ok;
  g_auto(LabTestRun) fail;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  const char *exe = g_getenv ("LABCTL");
  gint64 t0;

  lab_test_run_labctl (&ok, "reap", "--", "sh", "-c", "sleep 0.05 & exit 0", NULL);
  g_assert_cmpint (ok.status, ==, 0);
  lab_test_run_labctl (&fail, "reap", "--", "sh", "-c", "exit 3", NULL);
  g_assert_cmpint (fail.status, ==, 1);
  g_assert_nonnull (strstr (fail.err, "status 3"));

  /* SIGTERM to the reaper reaches the command */
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                           exe != NULL ? exe : LABCTL_BUILD_DIR "/labctl/labctl", "reap", "--", "sleep", "30", NULL);
  g_assert_no_error (error);
  g_usleep (200 * 1000);
  t0 = g_get_monotonic_time ();
  g_subprocess_send_signal (proc, SIGTERM);
  g_subprocess_wait (proc, NULL, &error);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 1);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  state_root = g_dir_make_tmp ("labctl-cli-stand-XXXXXX", NULL);
  g_setenv ("LABCTL_STATE_DIR", state_root, TRUE);
  g_test_add_func ("/cli/stand/up-dry-run-container", test_up_dry_run_container);
  g_test_add_func ("/cli/stand/up-dry-run-proxmox", test_up_dry_run_proxmox);
  g_test_add_func ("/cli/stand/down-dry-run", test_down_dry_run);
  g_test_add_func ("/cli/stand/not-up", test_not_up);
  g_test_add_func ("/cli/stand/needs-root", test_needs_root);
  g_test_add_func ("/cli/stand/failure-said-once", test_failure_said_once);
  g_test_add_func ("/cli/stand/experiment-usage", test_experiment_usage);
  g_test_add_func ("/cli/stand/reap", test_reap);
  rc = g_test_run ();
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf %s", state_root);
    g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
  }
  return rc;
}
