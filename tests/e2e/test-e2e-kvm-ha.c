/* test-e2e-kvm-ha.c: high availability between real kvm nodes, nested:
 * three Debian kvm nodes (TCG) on the host's private libvirtd
 * (tests/lib/stand-test-kvm.c), a [cluster] (corosync + pacemaker inside
 * the nodes, fencing by the host's libvirt: fence_virtd on the host,
 * fence_xvm in the nodes), the tiny guest (L2) an HA VirtualDomain on its
 * shared LV. `labctl up` gives a quorate cluster of three with the guest
 * on node1; `labctl experiment failover --mode poweroff` (virDomainDestroy
 * of node1, the course's "force off") reports every phase in order from
 * the cluster's own logs, the guest answers again on another node with
 * the probe's downtime matching the answer phase, the fence went through
 * fence_virtd (its log has node2's or node3's request for node1), and
 * node1 is started again by the plan in a new boot and rejoins; `reset`
 * after the failover gives fresh boots and a quorate cluster of three
 * again with the guest running and answering; `down` leaves nothing, fence_virtd
 * included.
 *
 * Not in CI (suite "nested", not run by scripts/run-tests): three TCG
 * nodes take ~15 min on this 2-core machine, on top of e2e-kvm's 12:
 *   meson test -C build --suite nested e2e-kvm-ha */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "stand-test-kvm.h"
#include "stand-test-util.h"

static char *guest_address;
static char *guest_boot_id;
static char *boot_id[4];

static const char cluster_script[] =
  "echo '== crm_mon'; crm_mon --one-shot --fence-history=2 2>&1; "
  "echo '== corosync-quorumtool'; corosync-quorumtool -s 2>&1; "
  "echo '== pacemaker log'; journalctl -u pacemaker -u corosync --no-pager 2>/dev/null | tail -200";

static void
keep_logs (const char *tag)
{
  stand_kvm_keep_logs (tag, cluster_script);
}

/* crm_mon on node: quorum, online nodes, where the guest runs. */
static gboolean
cluster_state (const char *node, gboolean *quorate, guint *online, char **on)
{
  int rc = -1;
  g_autofree char *xml = stand_kvm_on_node (node, "crm_mon --one-shot --output-as=xml", &rc);

  return stand_test_crm_mon_state (rc == 0 ? xml : NULL, "tiny", quorate, online, on);
}

/* The cluster as every node should see it: quorate, three online, the
 * guest on where (may be NULL: anywhere, returned in *out_on). */
static void
assert_cluster_whole (const char *ask, const char *where, char **out_on)
{
  gboolean quorate = FALSE;
  guint online = 0;
  g_autofree char *on = NULL;
  gint64 until = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  /* the resource's state settles a moment after the last step */
  while (cluster_state (ask, &quorate, &online, &on) && (!quorate || online < 3 || on == NULL)
         && g_get_monotonic_time () < until)
    {
      g_clear_pointer (&on, g_free);
      g_usleep (2 * G_USEC_PER_SEC);
    }
  g_test_message ("cluster seen from %s: quorate %d, %u online, guest on %s", ask, quorate, online, on);
  g_assert_true (quorate);
  g_assert_cmpuint (online, ==, 3);
  g_assert_nonnull (on);
  if (where != NULL)
    g_assert_cmpstr (on, ==, where);
  if (out_on != NULL)
    *out_on = g_steal_pointer (&on);
}

static void
test_up (void)
{
  int rc = -1;
  g_autofree char *out = stand_kvm_labctl (&rc, "up", NULL);
  g_autofree char *id = NULL;

  g_assert_cmpint (rc, ==, 0);
  stand_kvm_at ("up done");
  for (guint i = 1; i <= 3; i++)
    {
      g_autofree char *node = g_strdup_printf ("node%u", i);
      boot_id[i] = stand_kvm_boot_id (node);
      g_assert_nonnull (boot_id[i]);
    }
  assert_cluster_whole ("node2", "node1", NULL);
  /* the host's fence daemon, ours, is running */
  {
    g_autofree char *conf = g_build_filename (stand_kvm.state_dir, "fence_virtd.conf", NULL);
    g_assert_true (stand_test_process_with (conf));
  }
  id = stand_kvm_guest_id (guest_address);
  g_assert_nonnull (id);
  guest_boot_id = stand_kvm_id_field (id, "boot_id");
  g_assert_nonnull (guest_boot_id);
  if (g_test_failed ())
    keep_logs ("up");
}

static const char * const node_lost[] = { "membership", "fence-requested", "fence-done", "started", "answers", NULL };

static void
test_failover_poweroff (void)
{
  g_autoptr(JsonParser) keep = NULL;
  int rc = -1;
  JsonObject *o = stand_kvm_labctl_json (&keep, &rc, "experiment", "failover", "--mode", "poweroff", "--timeout",
                                         "600", "--json", NULL);
  const char *victim, *new_node;
  gint64 answer, downtime;

  g_assert_cmpint (rc, ==, 0);
  g_assert_nonnull (o);
  if (o == NULL)
    {
      keep_logs ("failover");
      return;
    }
  victim = json_object_get_string_member (o, "victim");
  new_node = json_object_get_string_member_with_default (o, "new_node", NULL);
  answer = json_object_get_int_member (o, "answer_offset_ms");
  downtime = json_object_get_int_member (o, "downtime_ms");
  g_test_message ("failover: %s -> %s, answers at %" G_GINT64_FORMAT " ms, probe downtime %" G_GINT64_FORMAT
                  " ms, %" G_GINT64_FORMAT " probes lost, rejoin %.1f s", victim, new_node, answer, downtime,
                  json_object_get_int_member (o, "lost_probes"), json_object_get_double_member (o, "rejoin_s"));
  g_assert_cmpstr (victim, ==, "node1");
  g_assert_true (json_object_get_boolean_member (o, "recovered"));
  g_assert_nonnull (new_node);
  g_assert_cmpstr (new_node, !=, victim);
  stand_test_assert_phases (o, node_lost);
  /* the longest gap between replies is the time from the fault to the
   * first reply again, within a few probe intervals */
  g_assert_cmpint (answer, >, 0);
  g_assert_cmpint (ABS (downtime - answer), <, 1000);
  g_assert_cmpint (stand_test_phase_ms (o, "answers"), ==, answer);
  g_assert_cmpint (json_object_get_int_member (o, "lost_probes"), >, 0);
  g_assert_cmpfloat (json_object_get_double_member (o, "rejoin_s"), >, 0);
  {
    /* the fence went through the host's fence_virtd: a node's request
     * for node1 */
    g_autofree char *path = g_build_filename (stand_kvm.state_dir, "fence_virtd.log", NULL);
    g_autofree char *log = NULL;
    g_assert_true (g_file_get_contents (path, &log, NULL, NULL));
    g_assert_nonnull (log != NULL ? strstr (log, " target node1") : NULL);
  }
  {
    /* a new guest boot from its LV on the new node, answering */
    g_autofree char *id = stand_kvm_guest_id (guest_address);
    g_autofree char *boot = stand_kvm_id_field (id, "boot_id");
    g_assert_nonnull (boot);
    g_assert_cmpstr (boot, !=, guest_boot_id);
  }
  {
    /* node1 started again in a new boot, back in the cluster, the guest
     * staying where it went (stickiness) */
    g_autofree char *now = stand_kvm_boot_id ("node1");
    g_assert_nonnull (now);
    g_assert_cmpstr (now, !=, boot_id[1]);
    assert_cluster_whole ("node1", new_node, NULL);
  }
  if (g_test_failed ())
    keep_logs ("failover");
  stand_kvm_at ("failover done");
}

/* reset after the failover: fresh boots of the installed image, the
 * cluster built again, the guest running, answering. */
static void
test_reset (void)
{
  int rc = -1;
  g_autofree char *out = stand_kvm_labctl (&rc, "reset", NULL);

  g_assert_cmpint (rc, ==, 0);
  for (guint i = 1; i <= 3; i++)
    {
      g_autofree char *node = g_strdup_printf ("node%u", i);
      g_autofree char *now = stand_kvm_boot_id (node);
      g_assert_nonnull (now);
      g_assert_cmpstr (now, !=, boot_id[i]);
    }
  assert_cluster_whole ("node3", NULL, NULL);
  {
    g_autofree char *id = stand_kvm_guest_id (guest_address);
    g_assert_nonnull (id);
  }
  if (g_test_failed ())
    keep_logs ("reset");
  stand_kvm_at ("reset done");
}

static void
test_down (void)
{
  int rc = -1;
  g_autofree char *out = stand_kvm_labctl (&rc, "down", NULL);
  g_autofree char *again = NULL;

  g_assert_cmpint (rc, ==, 0);
  again = stand_kvm_labctl (&rc, "down", NULL);
  g_assert_cmpint (rc, ==, 0);
  g_assert_nonnull (again != NULL ? strstr (again, "Nothing to remove") : NULL);
  stand_kvm_at ("down done");
}

static void
test_nothing_left (void)
{
  /* fence_virtd included: its command line names the state dir */
  stand_kvm_assert_nothing_left ();
}

int
main (int argc, char **argv)
{
  g_autofree char *recipe = NULL;

  if (!stand_test_init (&argc, &argv, "the lab runs libvirtd, tgtd, loop devices, nested VMs and fence_virtd",
                        NULL))
    return g_test_run ();
  if (!stand_kvm_setup ("e2e-kvm-ha", "kh", 3))
    return stand_kvm_finish (g_test_run ());
  guest_address = g_strdup_printf ("%s.51", stand_kvm.subnet);
  recipe = g_strdup_printf (
    "[lab]\nname = %s\nflavor = kvm\n"
    "[storage]\nsize = 16G\nvg = vg_kvmha\ncontrol-port = %u\n"
    "[network]\nsubnet = %s.0/24\n"
    "[nodes]\ncount = 3\nvcpus = 2\nmemory = 1536\ndisk = 5G\nos = debian12\n"
    "[guest tiny]\nnode = node1\nmemory = 112\ndisk = 16M\nkernel = %s\ninitrd = %s\n"
    "cmdline = console=ttyS0 quiet guestip=%s/24\naddress = %s\n"
    "[cluster]\n",
    stand_kvm.lab, 3300 + (guint) getpid () % 1000, stand_kvm.subnet, stand_kvm.kernel, stand_kvm.initrd,
    guest_address, guest_address);
  if (!stand_kvm_write_recipe (recipe) || !stand_kvm_host ("up"))
    {
      g_test_fail ();
      return stand_kvm_finish (g_test_run ());
    }

  g_test_add_func ("/e2e-kvm-ha/up", test_up);
  g_test_add_func ("/e2e-kvm-ha/failover-poweroff", test_failover_poweroff);
  g_test_add_func ("/e2e-kvm-ha/reset", test_reset);
  g_test_add_func ("/e2e-kvm-ha/down", test_down);
  g_test_add_func ("/e2e-kvm-ha/nothing-left", test_nothing_left);
  stand_kvm.t_start = g_get_monotonic_time ();
  return stand_kvm_finish (g_test_run ());
}
