/* test-fence-virt.c: the kvm nodes' fencing for real: the fence_virtd
 * labctl configures (lab_fence_virtd_conf: multicast listener on the lab
 * bridge only, libvirt backend, the lab's key, a group of the lab's node
 * addresses and domains), started and stopped by labctl's own functions,
 * answers fence_xvm, the cluster's stonith agent, run in "node" network
 * namespaces on a bridge this test makes, as pacemaker runs it inside a
 * kvm node. The libvirt backend talks to libvirt's test driver
 * (test:///default, its running domain "test"): an honest stand-in for the
 * host's libvirtd, through the same libvirt API calls (virDomainDestroy
 * for off). Checked: status on; off; status off; a request from an
 * address outside the group, or with another key, fences nothing; a
 * fence_virtd that is not ours is never stopped; ours is.
 *
 * Root (bridge, namespaces); skips when fence-virtd or fence-virt is not
 * installed (scripts/install-deps installs both). */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "lab-cluster.h"
#include "lab-runner.h"

static char *bridge, *ns_in, *ns_out, *prefix, *dir, *conf_path, *key_path, *other_key;
static GPid daemon_pid;

static int
sh (const char *cmd)
{
  g_autofree char *out = NULL, *err = NULL;
  int status = -1;

  if (!g_spawn_command_line_sync (cmd, &out, &err, &status, NULL))
    return -1;
  g_test_message ("$ %s -> %d\n%s%s", cmd, WIFEXITED (status) ? WEXITSTATUS (status) : -1, out, err);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* fence_xvm in netns ns with key; its exit status (0 done / on, 2 off) */
static int
fence_xvm (const char *ns, const char *key, const char *domain, const char *action, guint timeout_s)
{
  g_autofree char *cmd = g_strdup_printf ("ip netns exec %s fence_xvm -a %s -p %u -k %s -n %s -o %s -t %u", ns,
                                          LAB_FENCE_XVM_MCAST, LAB_FENCE_XVM_PORT, key, domain, action, timeout_s);

  return sh (cmd);
}

static gboolean
node_ns (const char *ns, const char *veth, guint host)
{
  g_autofree char *cmd = g_strdup_printf (
    "sh -e -c 'ip netns add %s; ip link add %sa type veth peer name %sb; ip link set %sb netns %s; "
    "ip link set %sa master %s up; ip -n %s link set lo up; ip -n %s addr add %s.%u/24 dev %sb; "
    "ip -n %s link set %sb up; ip -n %s route add default via %s.1'",
    ns, veth, veth, veth, ns, veth, bridge, ns, ns, prefix, host, veth, ns, veth, ns, prefix);

  return sh (cmd) == 0;
}

static gboolean
setup (void)
{
  g_autofree char *br = NULL, *veth_in = NULL, *veth_out = NULL;
  guint pid = (guint) getpid ();

  prefix = g_strdup_printf ("10.%u.%u", 128 + ((pid >> 8) & 63), pid & 255);
  bridge = g_strdup_printf ("lfvb%u", pid);
  ns_in = g_strdup_printf ("labctl-fv-in-%u", pid);
  ns_out = g_strdup_printf ("labctl-fv-out-%u", pid);
  br = g_strdup_printf ("sh -e -c 'ip link add %s type bridge; ip addr add %s.1/24 dev %s; ip link set %s up'",
                        bridge, prefix, bridge, bridge);
  veth_in = g_strdup_printf ("lfi%u", pid);
  veth_out = g_strdup_printf ("lfo%u", pid);
  return sh (br) == 0 && node_ns (ns_in, veth_in, 11) && node_ns (ns_out, veth_out, 99);
}

static void
teardown (void)
{
  g_autofree char *a = g_strdup_printf ("ip netns del %s", ns_in);
  g_autofree char *b = g_strdup_printf ("ip netns del %s", ns_out);
  g_autofree char *c = g_strdup_printf ("ip link del %s", bridge);

  if (daemon_pid > 0)
    lab_fence_virtd_stop (daemon_pid, conf_path);
  sh (a);
  sh (b);
  sh (c);
}

static void
test_start (void)
{
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  g_autoptr(GError) error = NULL;
  g_autofree char *log = g_build_filename (dir, "fence_virtd.log", NULL);
  g_autofree char *gateway = g_strdup_printf ("%s.1", prefix);
  g_autofree char *in_addr = g_strdup_printf ("%s.11", prefix);
  const char *addrs[] = { in_addr, NULL };
  const char *doms[] = { "test", NULL };
  LabFenceVirtdConf c = {
    .lab = (char *) "fvtest", .interface = bridge, .gateway = gateway, .key_file = key_path,
    .uri = (char *) "test:///default", .port = LAB_FENCE_XVM_PORT,
    .node_addresses = (char **) addrs, .domains = (char **) doms,
  };
  g_autofree char *text = lab_fence_virtd_conf (&c);
  GStatBuf st;

  g_assert_true (lab_fence_virt_key_write (key_path, &error));
  g_assert_true (lab_fence_virt_key_write (other_key, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (key_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (g_file_set_contents_full (conf_path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error));
  g_assert_true (lab_fence_virtd_start (runner, conf_path, log, &daemon_pid, &error));
  g_assert_no_error (error);
  g_assert_cmpint (daemon_pid, >, 0);
  g_assert_true (lab_fence_virtd_is_ours (daemon_pid, conf_path));
  /* the same binary with another configuration is not ours */
  g_assert_false (lab_fence_virtd_is_ours (daemon_pid, "/etc/fence_virt.conf"));
}

static void
test_fence (void)
{
  /* a node of the lab: on, off, off */
  g_assert_cmpint (fence_xvm (ns_in, key_path, "test", "status", 20), ==, 0);
  g_assert_cmpint (fence_xvm (ns_in, key_path, "test", "off", 20), ==, 0);
  g_assert_cmpint (fence_xvm (ns_in, key_path, "test", "status", 20), ==, 2);
  {
    /* its log has the requests as they came (-d2, line-buffered) */
    g_autofree char *log = g_build_filename (dir, "fence_virtd.log", NULL);
    g_autofree char *text = NULL;
    g_assert_true (g_file_get_contents (log, &text, NULL, NULL));
    g_test_message ("fence_virtd.log:\n%s", text);
    g_assert_nonnull (text != NULL ? strstr (text, "[virt:OFF] Calling virDomainDestroy for test") : NULL);
    g_assert_nonnull (text != NULL ? strstr (text, "[virt:OFF] Success for test") : NULL);
  }
}

static void
test_refused (void)
{
  /* the backend's domain is off now: "on" would bring it back. Neither an
   * address outside the lab's group nor another key gets an answer */
  /* fence_virtd answers "Permission denied" (exit 3) outside the group;
   * a request signed with another key gets no answer at all (exit 1) */
  g_assert_cmpint (fence_xvm (ns_out, key_path, "test", "on", 4), ==, 3);
  g_assert_cmpint (fence_xvm (ns_in, other_key, "test", "on", 4), ==, 1);
  g_assert_cmpint (fence_xvm (ns_in, key_path, "test", "status", 20), ==, 2);
  /* a domain outside the group is refused to the lab's own node too */
  g_assert_cmpint (fence_xvm (ns_in, key_path, "other", "off", 4), ==, 3);
}

static void
test_stop (void)
{
  /* stopping "a fence_virtd with another configuration" leaves ours be */
  lab_fence_virtd_stop (daemon_pid, "/etc/fence_virt.conf");
  g_assert_true (lab_process_alive (daemon_pid));
  lab_fence_virtd_stop (daemon_pid, conf_path);
  g_assert_true (lab_process_wait_gone (daemon_pid, 5000));
  g_assert_false (lab_fence_virtd_is_ours (daemon_pid, conf_path));
  daemon_pid = 0;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  if (getuid () != 0)
    {
      g_test_skip ("needs root: a bridge and network namespaces for the nodes");
      return g_test_run ();
    }
  if (g_find_program_in_path ("fence_virtd") == NULL || g_find_program_in_path ("fence_xvm") == NULL)
    {
      g_test_skip ("fence_virtd (package fence-virtd) or fence_xvm (package fence-virt) is not installed; "
                   "scripts/install-deps installs them");
      return g_test_run ();
    }
  dir = g_dir_make_tmp ("labctl-fence-virt-XXXXXX", &error);
  g_assert_no_error (error);
  conf_path = g_build_filename (dir, "fence_virtd.conf", NULL);
  key_path = g_build_filename (dir, "fence_xvm.key", NULL);
  other_key = g_build_filename (dir, "other.key", NULL);
  if (!setup ())
    {
      teardown ();
      g_printerr ("cannot make the bridge and the node namespaces\n");
      return 1;
    }
  g_test_add_func ("/fence-virt/start", test_start);
  g_test_add_func ("/fence-virt/fence", test_fence);
  g_test_add_func ("/fence-virt/refused", test_refused);
  g_test_add_func ("/fence-virt/stop", test_stop);
  rc = g_test_run ();
  teardown ();
  {
    g_autofree char *rm = g_strdup_printf ("rm -rf %s", dir);
    sh (rm);
  }
  return rc;
}
