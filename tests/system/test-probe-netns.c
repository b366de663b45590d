/* test-probe-netns.c: the probe against real addresses in a network
 * namespace this test creates (a veth pair, private 10.x/30 addresses). */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "lab-error.h"
#include "lab-probe.h"

static char *netns;
static char *veth_host;
static char *veth_ns;
static char *addr_host;
static char *addr_ns;

static gboolean
run (GError **error, const char *first, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *err = NULL;
  int status = 0;
  va_list ap;

  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, &err, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, error))
    {
      g_prefix_error (error, "%s: %s: ", first, err);
      return FALSE;
    }
  return TRUE;
}

static gboolean
setup_netns (GError **error)
{
  guint pid = (guint) getpid ();
  g_autofree char *host_cidr = NULL, *ns_cidr = NULL;
  guint b2 = 128 + ((pid >> 14) & 63), b3 = (pid >> 6) & 255, b4 = (pid & 63) * 4;

  netns = g_strdup_printf ("labprobe-%u", pid);
  veth_host = g_strdup_printf ("lph%u", pid);
  veth_ns = g_strdup_printf ("lpn%u", pid);
  addr_host = g_strdup_printf ("10.%u.%u.%u", b2, b3, b4 + 1);
  addr_ns = g_strdup_printf ("10.%u.%u.%u", b2, b3, b4 + 2);
  host_cidr = g_strdup_printf ("%s/30", addr_host);
  ns_cidr = g_strdup_printf ("%s/30", addr_ns);

  return run (error, "ip", "netns", "add", netns, NULL)
      && run (error, "ip", "-n", netns, "link", "set", "lo", "up", NULL)
      && run (error, "ip", "link", "add", veth_host, "type", "veth", "peer", "name", veth_ns,
              "netns", netns, NULL)
      && run (error, "ip", "addr", "add", host_cidr, "dev", veth_host, NULL)
      && run (error, "ip", "link", "set", veth_host, "up", NULL)
      && run (error, "ip", "-n", netns, "addr", "add", ns_cidr, "dev", veth_ns, NULL)
      && run (error, "ip", "-n", netns, "link", "set", veth_ns, "up", NULL);
}

static void
teardown_netns (void)
{
  /* deleting the namespace deletes the veth pair with it */
  run (NULL, "ip", "link", "del", veth_host, NULL);
  run (NULL, "ip", "netns", "del", netns, NULL);
}

static void
test_steady (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabProbe) p = lab_probe_new (addr_ns, &error);
  LabProbeResult r;

  g_assert_no_error (error);
  g_assert_true (lab_probe_start (p, &error));
  g_assert_no_error (error);
  g_assert_true (lab_probe_is_raw (p));   /* we are root */
  g_assert_true (lab_probe_wait_replies (p, 50, 5000, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (lab_probe_stop (p, 200, &r, &error));
  g_test_message ("steady: sent %u received %u lost %u longest gap %.1f ms rtt %.3f ms",
                  r.n_sent, r.n_received, r.n_lost, r.longest_gap_us / 1000.0, r.rtt_median_us / 1000.0);
  g_assert_cmpuint (r.n_received, >=, 50);
  g_assert_cmpuint (r.n_lost, ==, 0);
  /* 10 ms interval: gaps near 10 ms, never many intervals on a veth */
  g_assert_cmpint (r.longest_gap_us, >=, 5000);
  g_assert_cmpint (r.longest_gap_us, <, 200000);
  g_assert_cmpint (r.rtt_median_us, >, 0);
  g_assert_cmpint (r.rtt_median_us, <, 20000);
}

static void
test_inside_netns (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabProbe) p = lab_probe_new (addr_host, &error);
  LabProbeResult r;

  /* from inside the namespace to the host end: only reachable there
   * through the veth, so a reply proves the socket lives in the netns */
  lab_probe_set_netns (p, netns);
  g_assert_true (lab_probe_start (p, &error));
  g_assert_no_error (error);
  g_assert_true (lab_probe_wait_replies (p, 10, 5000, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (lab_probe_stop (p, 200, &r, &error));
  g_assert_cmpuint (r.n_received, >=, 10);

  /* and its own address, from inside */
  g_clear_object (&p);
  p = lab_probe_new (addr_ns, &error);
  lab_probe_set_netns (p, netns);
  g_assert_true (lab_probe_start (p, &error));
  g_assert_true (lab_probe_wait_replies (p, 3, 5000, NULL, &error));
  g_assert_no_error (error);
  lab_probe_stop (p, 0, NULL, NULL);
}

static void
test_ping_socket (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabProbe) p = NULL;
  LabProbeResult r;

  /* an unprivileged ping socket: ping_group_range is per namespace, so the
   * test allows every group in its own namespace only */
  g_assert_true (run (&error, "ip", "netns", "exec", netns, "sysctl", "-q", "-w",
                      "net.ipv4.ping_group_range=0 2147483647", NULL));
  g_assert_no_error (error);
  p = lab_probe_new (addr_host, &error);
  lab_probe_set_netns (p, netns);
  lab_probe_set_socket (p, LAB_PROBE_SOCKET_PING);
  g_assert_true (lab_probe_start (p, &error));
  g_assert_no_error (error);
  g_assert_false (lab_probe_is_raw (p));
  g_assert_true (lab_probe_wait_replies (p, 20, 5000, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (lab_probe_stop (p, 200, &r, &error));
  g_test_message ("ping socket: sent %u received %u longest gap %.1f ms", r.n_sent, r.n_received,
                  r.longest_gap_us / 1000.0);
  g_assert_cmpuint (r.n_received, >=, 20);
  g_assert_cmpint (r.longest_gap_us, <, 200000);

  /* forbidden again: the probe says how to allow it */
  g_clear_object (&p);
  g_assert_true (run (&error, "ip", "netns", "exec", netns, "sysctl", "-q", "-w",
                      "net.ipv4.ping_group_range=1 0", NULL));
  p = lab_probe_new (addr_host, &error);
  lab_probe_set_netns (p, netns);
  lab_probe_set_socket (p, LAB_PROBE_SOCKET_PING);
  g_assert_false (lab_probe_start (p, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_PERMISSION);
  if (error != NULL)
    g_assert_nonnull (strstr (error->message, "ping_group_range"));
}

static void
test_missing_netns (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabProbe) p = lab_probe_new (addr_ns, &error);

  lab_probe_set_netns (p, "labprobe-no-such-netns");
  g_assert_false (lab_probe_start (p, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "labprobe-no-such-netns"));
}

static void
link_up_again (void)
{
  run (NULL, "ip", "-n", netns, "link", "set", veth_ns, "up", NULL);
}

static void
test_outage (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabProbe) p = lab_probe_new (addr_ns, &error);
  g_autoptr(GArray) samples = NULL;
  g_autofree char *cidr = NULL;
  gint64 t_down, t_up;
  LabProbeResult r;
  guint before;

  g_assert_true (lab_probe_start (p, &error));
  g_assert_true (lab_probe_wait_replies (p, 20, 5000, NULL, &error));
  g_assert_no_error (error);

  /* the far end loses its address for ~300 ms: requests arrive and are
   * dropped (a link down would queue them and deliver them late) */
  cidr = g_strdup_printf ("%s/30", addr_ns);
  t_down = g_get_monotonic_time ();
  g_assert_true (run (&error, "ip", "-n", netns, "addr", "del", cidr, "dev", veth_ns, NULL));
  g_usleep (300 * 1000);
  g_assert_true (run (&error, "ip", "-n", netns, "addr", "add", cidr, "dev", veth_ns, NULL));
  t_up = g_get_monotonic_time ();
  before = lab_probe_get_n_received (p);
  g_assert_true (lab_probe_wait_replies (p, before + 20, 10000, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (lab_probe_stop (p, 200, &r, &error));
  g_test_message ("outage of %.0f ms seen as: longest gap %.1f ms (seq %u -> %u, at +%.0f ms), lost %u",
                  (t_up - t_down) / 1000.0, r.longest_gap_us / 1000.0, r.gap_from_seq, r.gap_to_seq,
                  r.gap_offset_us / 1000.0, r.n_lost);
  g_assert_cmpint (r.longest_gap_us, >=, 250000);
  g_assert_cmpint (r.longest_gap_us, <, (t_up - t_down) + 2000000);
  g_assert_cmpuint (r.n_lost, >=, 20);
  g_assert_cmpuint (r.gap_lost, >=, 20);
  g_assert_cmpuint (r.gap_to_seq, >, r.gap_from_seq);

  /* the gap's position matches the samples: replies on both ends, none inside */
  samples = lab_probe_get_samples (p);
  g_assert_cmpint (g_array_index (samples, LabProbeSample, r.gap_from_seq).received_us, >, 0);
  g_assert_cmpint (g_array_index (samples, LabProbeSample, r.gap_to_seq).received_us, >, 0);
  g_assert_cmpint (g_array_index (samples, LabProbeSample, r.gap_from_seq + 1).received_us, ==, 0);
}

static void
test_timeout (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (run (&error, "ip", "-n", netns, "link", "set", veth_ns, "down", NULL));
  g_assert_false (lab_probe_ping_once (addr_ns, NULL, 300, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT);
  g_clear_error (&error);
  link_up_again ();
  g_assert_true (lab_probe_ping_once (addr_ns, NULL, 5000, NULL, &error));
  g_assert_no_error (error);
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
      g_test_skip ("needs root: creates a network namespace and a raw ICMP socket");
      return g_test_run ();
    }
  if (!setup_netns (&error))
    {
      teardown_netns ();
      g_printerr ("cannot create the test namespace: %s\n", error->message);
      return 1;
    }
  g_test_add_func ("/probe/netns/steady", test_steady);
  g_test_add_func ("/probe/netns/inside", test_inside_netns);
  g_test_add_func ("/probe/netns/ping-socket", test_ping_socket);
  g_test_add_func ("/probe/netns/missing", test_missing_netns);
  g_test_add_func ("/probe/netns/outage", test_outage);
  g_test_add_func ("/probe/netns/timeout", test_timeout);
  rc = g_test_run ();
  teardown_netns ();
  return rc;
}
