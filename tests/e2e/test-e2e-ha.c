/* test-e2e-ha.c: high availability end to end, through the labctl
 * executable: `labctl up` of the e2e lab with 3 container nodes and a
 * [cluster] (corosync + pacemaker with fencing, the tiny guest an HA
 * resource); the cluster has quorum and every node online; `labctl
 * experiment failover` in each mode (poweroff, crash, partition): the
 * guest answers again (on another node after a poweroff or a partition),
 * the phases are present and in order, the probe's downtime matches the
 * answer phase, the fenced node rejoins; a fence device that cannot fence:
 * the experiment reports the stuck phase and claims no recovery; the
 * quorum experiment (a node alone does not start the guest); `reset`
 * after the failovers; `down`: no corosync, pacemaker, fence agent or
 * namespace of the lab is left. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "lab-probe.h"
#include "stand-test-util.h"

static const char *labctl;
static char *lab;
static char *recipe_path;
static char *work_dir;
static char *state_dir;
static char *guest_address;
static GPtrArray *seen_pids;  /* corosync and pacemakerd PIDs seen while the lab was up */

static char *
run_labctl (int *status, const char *first, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  va_list ap;

  g_ptr_array_add (argv, (char *) labctl);
  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) a);
  va_end (ap);
  g_ptr_array_add (argv, (char *) "--recipe");
  g_ptr_array_add (argv, recipe_path);
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_newv ((const char * const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  if (proc == NULL)
    return NULL;
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  *status = g_subprocess_get_exit_status (proc);
  g_test_message ("labctl %s: exit %d\nstdout: %s\nstderr: %s", first, *status, out, err);
  return g_steal_pointer (&out);
}

/* Runs a command on a node of the lab (nsenter into its namespaces). */
static char *
on_node (const char *node, const char *cmd, int *status)
{
  g_autofree char *pidfile = g_build_filename (state_dir, "nodes", node, "run", "virtlogd.pid", NULL);
  g_autofree char *pid = NULL;
  g_autofree char *line = NULL;

  if (!g_file_get_contents (pidfile, &pid, NULL, NULL))
    {
      *status = -1;
      return NULL;
    }
  line = g_strdup_printf ("nsenter -t %d -m -u -n -- %s", atoi (pid), cmd);
  return stand_test_run (line, status, NULL);
}

/* crm_mon on node: quorum and the number of online nodes; where the guest runs. */
static gboolean
cluster_state (const char *node, gboolean *quorate, guint *online, char **guest_on)
{
  int status = 0;
  g_autofree char *xml = on_node (node, "crm_mon --one-shot --output-as=xml", &status);
  const char *p;

  *quorate = FALSE;
  *online = 0;
  if (guest_on != NULL)
    *guest_on = NULL;
  if (xml == NULL || status != 0)
    return FALSE;
  *quorate = strstr (xml, "with_quorum=\"true\"") != NULL;
  for (p = xml; (p = strstr (p, "online=\"true\"")) != NULL; p++)
    (*online)++;
  /* the node inside the resource's element, if it has one */
  if (guest_on != NULL && (p = strstr (xml, "<resource id=\"tiny\"")) != NULL)
    {
      const char *end = strstr (p, "</resource>");

      if (end != NULL && (p = strstr (p, "<node name=\"")) != NULL && p < end)
        *guest_on = g_strndup (p + strlen ("<node name=\""), strcspn (p + strlen ("<node name=\""), "\""));
    }
  return TRUE;
}

static void
remember_daemons (void)
{
  g_autofree char *path = g_build_filename (state_dir, "state.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *res;
  g_autoptr(GList) keys = NULL;

  if (!json_parser_load_from_file (parser, path, NULL))
    return;
  res = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "resources");
  keys = json_object_get_members (res);
  for (GList *l = keys; l != NULL; l = l->next)
    if (g_str_has_prefix (l->data, "cluster.") && g_str_has_suffix (l->data, "_pid"))
      {
        GPid pid = (GPid) json_object_get_int_member (res, l->data);
        g_ptr_array_add (seen_pids, GINT_TO_POINTER (pid));
      }
}

static void
test_up (void)
{
  int status = 0;
  g_autofree char *out = run_labctl (&status, "up", NULL);
  gboolean quorate = FALSE;
  guint online = 0;
  g_autofree char *on = NULL;

  g_assert_cmpint (status, ==, 0);
  g_assert_true (cluster_state ("node2", &quorate, &online, &on));
  g_assert_true (quorate);
  g_assert_cmpuint (online, ==, 3);
  g_assert_cmpstr (on, ==, "node1");
  remember_daemons ();
  g_assert_cmpuint (seen_pids->len, ==, 6);
}

static JsonObject *
failover (JsonParser **keep, int *status, const char *mode, const char *timeout)
{
  g_autofree char *out = run_labctl (status, "experiment", "failover", "--mode", mode, "--timeout", timeout,
                                     "--json", NULL);
  g_autoptr(GError) error = NULL;

  *keep = json_parser_new ();
  if (out == NULL || !json_parser_load_from_data (*keep, out, -1, &error) || json_parser_get_root (*keep) == NULL)
    {
      g_test_message ("not JSON: %s", out);
      return NULL;
    }
  return json_node_get_object (json_parser_get_root (*keep));
}

/* The offset of phase id (ms), -1 when absent. */
static gint64
phase_ms (JsonObject *o, const char *id)
{
  JsonArray *phases = json_object_get_array_member (o, "phases");

  for (guint i = 0; phases != NULL && i < json_array_get_length (phases); i++)
    {
      JsonObject *p = json_array_get_object_element (phases, i);

      if (g_str_equal (json_object_get_string_member (p, "id"), id))
        return json_object_get_int_member (p, "offset_ms");
    }
  return -1;
}

/* The phases ids... are present and in this order. */
static void
assert_ordered (JsonObject *o, const char *const *ids)
{
  gint64 last = 0;

  for (guint i = 0; ids[i] != NULL; i++)
    {
      gint64 t = phase_ms (o, ids[i]);

      g_test_message ("%s at %" G_GINT64_FORMAT " ms", ids[i], t);
      g_assert_cmpint (t, >=, 0);
      g_assert_cmpint (t, >=, last);
      last = t;
    }
}

static void
assert_recovered (JsonObject *o, int status, gboolean elsewhere)
{
  const char *victim = json_object_get_string_member (o, "victim");
  const char *new_node = json_object_get_string_member_with_default (o, "new_node", NULL);
  gint64 answer = json_object_get_int_member (o, "answer_offset_ms");
  gint64 downtime = json_object_get_int_member (o, "downtime_ms");
  gboolean quorate = FALSE;
  guint online = 0;
  g_autofree char *on = NULL;

  g_assert_cmpint (status, ==, 0);
  g_assert_true (json_object_get_boolean_member (o, "recovered"));
  g_assert_nonnull (new_node);
  if (elsewhere)
    g_assert_cmpstr (new_node, !=, victim);
  else
    g_assert_cmpstr (new_node, ==, victim);
  g_assert_cmpint (json_object_get_int_member (o, "lost_probes"), >, 0);
  /* the longest gap between replies is the time from the fault to the
   * first reply again, within a few probe intervals */
  g_assert_cmpint (answer, >, 0);
  g_assert_cmpint (ABS (downtime - answer), <, 500);
  g_assert_cmpint (phase_ms (o, "answers"), ==, answer);
  g_assert_true (lab_probe_ping_once (guest_address, NULL, 5000, NULL, NULL));
  /* the node is back and the cluster whole */
  if (elsewhere)
    g_assert_cmpfloat (json_object_get_double_member (o, "rejoin_s"), >, 0);
  g_assert_true (cluster_state (new_node, &quorate, &online, &on));
  g_assert_true (quorate);
  g_assert_cmpuint (online, ==, 3);
  g_assert_cmpstr (on, ==, new_node);
}

/* A failover in mode: the phases in order, and recovered (elsewhere, or
 * on the same node after a crash). */
static void
failover_recovers (const char *mode, const char *const *order, gboolean elsewhere)
{
  g_autoptr(JsonParser) keep = NULL;
  int status = -1;
  JsonObject *o = failover (&keep, &status, mode, "120");

  g_assert_nonnull (o);
  if (o == NULL)
    return;
  assert_ordered (o, order);
  /* a crash kills the guest, not its node: no fencing */
  if (!elsewhere)
    g_assert_cmpint (phase_ms (o, "fence-requested"), ==, -1);
  assert_recovered (o, status, elsewhere);
}

static const char * const node_lost[] = { "membership", "fence-requested", "fence-done", "started", "answers", NULL };

static void
test_failover_poweroff (void)
{
  failover_recovers ("poweroff", node_lost, TRUE);
}

static void
test_failover_crash (void)
{
  const char *order[] = { "detected", "started", "answers", NULL };

  failover_recovers ("crash", order, FALSE);
}

static void
test_failover_partition (void)
{
  failover_recovers ("partition", node_lost, TRUE);
}

/* The fence device looks for the nodes' namespaces under a prefix that
 * matches none: every fence fails. */
static void
test_fence_fails (void)
{
  g_autoptr(JsonParser) keep = NULL;
  int status = -1;
  JsonObject *o;
  g_autofree char *prefix = g_strdup_printf ("labctl-%s-", lab);
  g_autofree char *restore = g_strdup_printf ("crm_resource --resource labctl-fence --set-parameter netns_prefix "
                                              "--parameter-value %s", prefix);
  const char *victim;
  int st = 0;

  g_free (on_node ("node2", "crm_resource --resource labctl-fence --set-parameter netns_prefix --parameter-value "
                            "nowhere-", &st));
  g_assert_cmpint (st, ==, 0);
  o = failover (&keep, &status, "poweroff", "15");
  g_assert_nonnull (o);
  if (o == NULL)
    return;
  victim = json_object_get_string_member (o, "victim");
  g_assert_cmpint (status, !=, 0);
  g_assert_false (json_object_get_boolean_member (o, "recovered"));
  g_assert_cmpstr (json_object_get_string_member (o, "stuck"), ==, "fence-done");
  g_assert_cmpint (phase_ms (o, "fence-requested"), >=, 0);
  g_assert_cmpint (phase_ms (o, "fence-failed"), >=, 0);
  g_assert_cmpint (phase_ms (o, "fence-done"), ==, -1);
  g_assert_cmpint (phase_ms (o, "started"), ==, -1);
  g_assert_cmpint (phase_ms (o, "answers"), ==, -1);
  g_assert_false (lab_probe_ping_once (guest_address, NULL, 1000, NULL, NULL));

  /* the device fixed, the cluster's next attempt fences the node and the
   * guest comes back; `up` starts the node again */
  {
    const char *other = g_str_equal (victim, "node2") ? "node3" : "node2";

    g_free (on_node (other, restore, &st));
    g_assert_cmpint (st, ==, 0);
  }
  g_assert_true (lab_probe_ping_once (guest_address, NULL, 90000, NULL, NULL));
  g_free (run_labctl (&st, "up", NULL));
  g_assert_cmpint (st, ==, 0);
}

/* Two links cut: the node left alone has no quorum and does not start
 * the guest; one link back: the majority fences and recovers. */
static void
test_quorum (void)
{
  int status = -1;
  g_autofree char *out = run_labctl (&status, "experiment", "quorum", "--json", NULL);
  g_autoptr(JsonParser) p = json_parser_new ();
  JsonObject *o;

  g_assert_cmpint (status, ==, 0);
  g_assert_true (out != NULL && json_parser_load_from_data (p, out, -1, NULL));
  if (out == NULL || json_parser_get_root (p) == NULL)
    return;
  o = json_node_get_object (json_parser_get_root (p));
  g_assert_false (json_object_get_boolean_member (o, "survivor_quorate"));
  g_assert_false (json_object_get_boolean_member (o, "survivor_started"));
  g_assert_true (json_object_get_boolean_member (o, "recovered"));
  g_assert_cmpstr (json_object_get_string_member (o, "new_node"), !=, json_object_get_string_member (o, "cut"));
  g_assert_cmpfloat (json_object_get_double_member (o, "rejoin_s"), >, 0);
  g_assert_true (lab_probe_ping_once (guest_address, NULL, 5000, NULL, NULL));
}

static void
test_reset (void)
{
  int status = 0;
  g_autofree char *out = run_labctl (&status, "reset", NULL);
  gboolean quorate = FALSE;
  guint online = 0;
  g_autofree char *on = NULL;

  g_assert_cmpint (status, ==, 0);
  g_assert_true (lab_probe_ping_once (guest_address, NULL, 5000, NULL, NULL));
  g_assert_true (cluster_state ("node2", &quorate, &online, &on));
  g_assert_true (quorate);
  g_assert_cmpuint (online, ==, 3);
  g_assert_cmpstr (on, ==, "node1");
}

static void
test_down (void)
{
  int status = 0;
  g_autofree char *out = run_labctl (&status, "down", NULL);
  g_autofree char *netns = NULL;
  g_autofree char *procs = NULL;
  g_autofree char *pattern = g_strdup_printf ("labctl-%s-", lab);

  g_assert_cmpint (status, ==, 0);
  netns = stand_test_run ("ip netns list", NULL, NULL);
  g_assert_null (netns != NULL ? strstr (netns, pattern) : NULL);
  for (guint i = 0; i < seen_pids->len; i++)
    {
      g_autofree char *proc = g_strdup_printf ("/proc/%d", GPOINTER_TO_INT (g_ptr_array_index (seen_pids, i)));
      g_autofree char *stat_path = g_strdup_printf ("%s/comm", proc);
      g_autofree char *comm = NULL;

      if (g_file_get_contents (stat_path, &comm, NULL, NULL))
        g_assert_false (g_str_has_prefix (comm, "corosync") || g_str_has_prefix (comm, "pacemaker"));
    }
  /* no fence agent, corosync or pacemaker of this lab: nothing runs in
   * its nodes' directories */
  procs = stand_test_run ("ps -eo args", NULL, NULL);
  g_assert_null (procs != NULL ? strstr (procs, state_dir) : NULL);
  g_assert_null (procs != NULL ? strstr (procs, "fence_labctl") : NULL);
  g_assert_false (g_file_test (state_dir, G_FILE_TEST_EXISTS)
                  && g_file_test (g_build_filename (state_dir, "state.json", NULL), G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *kernel = NULL, *initrd = NULL;
  g_autofree char *root = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  if (getuid () != 0)
    {
      g_test_skip ("needs root: the lab creates namespaces, a bridge, an iSCSI target and cluster daemons");
      return g_test_run ();
    }
  labctl = g_getenv ("LABCTL");
  if (labctl == NULL)
    labctl = LABCTL_BUILD_DIR "/labctl/labctl";
  if (!stand_test_tiny_guest (&kernel, &initrd, &error))
    {
      g_printerr ("cannot build the tiny guest: %s\n", error->message);
      return 1;
    }
  lab = g_strdup_printf ("ha%u", (guint) getpid ());
  seen_pids = g_ptr_array_new ();
  work_dir = g_dir_make_tmp ("labctl-e2e-ha-XXXXXX", &error);
  g_assert_no_error (error);
  g_chmod (work_dir, 0755);
  root = g_build_filename (work_dir, "state", NULL);
  g_setenv ("LABCTL_STATE_DIR", root, TRUE);
  state_dir = g_build_filename (root, lab, NULL);
  if (!stand_test_lvm_system_dir (work_dir, &error) || (recipe_path = stand_test_write_ha_recipe (work_dir, lab, kernel, initrd,
                                                   "HA end-to-end lab: 3 container nodes in a cluster",
                                                   &guest_address, &error)) == NULL)
    {
      g_printerr ("cannot prepare the lab: %s\n", error->message);
      return 1;
    }
  g_test_add_func ("/e2e-ha/up", test_up);
  g_test_add_func ("/e2e-ha/failover-poweroff", test_failover_poweroff);
  g_test_add_func ("/e2e-ha/failover-crash", test_failover_crash);
  g_test_add_func ("/e2e-ha/failover-partition", test_failover_partition);
  g_test_add_func ("/e2e-ha/failover-fence-fails", test_fence_fails);
  g_test_add_func ("/e2e-ha/quorum", test_quorum);
  g_test_add_func ("/e2e-ha/reset", test_reset);
  g_test_add_func ("/e2e-ha/down", test_down);
  rc = g_test_run ();

  {
    int st = 0;
    g_autofree char *out = run_labctl (&st, "down", NULL);
    g_autofree char *cmd = g_strdup_printf ("rm -rf %s", work_dir);
    stand_test_run (cmd, NULL, NULL);
  }
  return rc;
}
