/* test-e2e-ha.c: high availability end to end, through the labctl
 * executable: `labctl up` of the e2e lab with 3 container nodes and a
 * [cluster] (corosync + pacemaker with fencing, the tiny guest an HA
 * resource); the cluster has quorum and every node online; `labctl
 * experiment failover` in each mode (poweroff, crash, partition): the
 * guest answers again (on another node after a poweroff or a partition),
 * the phases are present and in order, the probe's downtime matches the
 * answer phase, the fenced node rejoins; a fence device that cannot fence:
 * the experiment reports the stuck phase and claims no recovery; the
 * quorum experiment (a node alone does not start the guest); the ha
 * exercise done by a scripted student (a graceful standby first: FAIL at
 * ha.fault; then HA and `labctl nodes poweroff`: PASS); `reset`
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
  va_list ap;
  char *out;

  /* tests/lib/stand-test-util.c: shared with the other stand tests */
  va_start (ap, first);
  out = stand_test_labctl_v (NULL, labctl, recipe_path, status, first, ap);
  va_end (ap);
  return out;
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

  return stand_test_crm_mon_state (status == 0 ? xml : NULL, "tiny", quorate, online, guest_on);
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
  g_assert_cmpint (stand_test_phase_ms (o, "answers"), ==, answer);
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
  stand_test_assert_phases (o, order);
  /* a crash kills the guest, not its node: no fencing */
  if (!elsewhere)
    g_assert_cmpint (stand_test_phase_ms (o, "fence-requested"), ==, -1);
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
  g_assert_cmpint (stand_test_phase_ms (o, "fence-requested"), >=, 0);
  g_assert_cmpint (stand_test_phase_ms (o, "fence-failed"), >=, 0);
  g_assert_cmpint (stand_test_phase_ms (o, "fence-done"), ==, -1);
  g_assert_cmpint (stand_test_phase_ms (o, "started"), ==, -1);
  g_assert_cmpint (stand_test_phase_ms (o, "answers"), ==, -1);
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

/* ---- the ha exercise, done by a scripted student --------------------------- */

/* Kept for the guide and the unit tests: meson-logs/ha-exercise/NAME. */
static void
keep (const char *name, const char *text)
{
  g_autofree char *dir = g_build_filename (g_getenv ("MESON_BUILD_ROOT") != NULL ? g_getenv ("MESON_BUILD_ROOT")
                                                                                 : LABCTL_BUILD_DIR,
                                           "meson-logs", "ha-exercise", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_mkdir_with_parents (dir, 0755);
  g_file_set_contents (path, text != NULL ? text : "", -1, NULL);
}

/* The survivors' logs since the exercise started (the lines after since). */
static void
keep_logs (const char *prefix, const char *victim, const char *since)
{
  for (int i = 1; i <= 3; i++)
    {
      g_autofree char *node = g_strdup_printf ("node%d", i);
      const char *logs[] = { "corosync", "pacemaker" };

      if (g_str_equal (node, victim))
        continue;
      for (guint k = 0; k < G_N_ELEMENTS (logs); k++)
        {
          g_autofree char *cmd = g_strdup_printf ("awk '$0 >= \"%s\"' /var/log/%s/%s.log", since, logs[k], logs[k]);
          g_autofree char *name = g_strdup_printf ("%s-%s-%s.log", prefix, node, logs[k]);
          int st = 0;
          g_autofree char *text = on_node (node, cmd, &st);

          keep (name, text);
        }
    }
}

/* "Mon DD HH:MM:SS" as the logs write it, now. */
static char *
log_now (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  return g_date_time_format (now, "%b %d %H:%M:%S");
}

/* The result of step id in `exercise check ha --json`; the text form too. */
static char *
ha_check (const char *id, int *rc, char **out_json)
{
  g_autofree char *out = run_labctl (rc, "exercise", "check", "ha", "--json", NULL);
  g_autoptr(JsonParser) p = json_parser_new ();
  JsonArray *steps = NULL;

  if (out != NULL && json_parser_load_from_data (p, out, -1, NULL) && json_parser_get_root (p) != NULL)
    steps = json_object_get_array_member (json_node_get_object (json_parser_get_root (p)), "steps");
  if (out_json != NULL)
    *out_json = g_strdup (out);
  for (guint i = 0; steps != NULL && i < json_array_get_length (steps); i++)
    {
      JsonObject *st = json_array_get_object_element (steps, i);

      if (g_str_equal (json_object_get_string_member (st, "id"), id))
        return g_strdup (json_object_get_string_member (st, "result"));
    }
  return NULL;
}

static gboolean
cib_has_unmanaged (const char *node)
{
  int st = 0;
  g_autofree char *cib = on_node (node, "cibadmin --query", &st);

  return cib != NULL && strstr (cib, "name=\"is-managed\" value=\"false\"") != NULL;
}

/* Waits until the guest runs on a node other than not_on (NULL: any). */
static char *
wait_guest_on (const char *ask, const char *not_on, guint seconds)
{
  for (guint i = 0; i < seconds * 2; i++)
    {
      gboolean quorate = FALSE;
      guint online = 0;
      char *on = NULL;

      if (cluster_state (ask, &quorate, &online, &on) && on != NULL && g_strcmp0 (on, not_on) != 0)
        return on;
      g_free (on);
      g_usleep (500 * 1000);
    }
  return NULL;
}

static void
test_exercise_ha (void)
{
  int rc = -1, st = 0;
  g_autofree char *out = NULL, *json = NULL, *result = NULL, *victim = NULL, *ask = NULL, *moved = NULL;
  g_autofree char *since = NULL, *cmd = NULL, *cib = NULL, *text = NULL;
  gboolean quorate = FALSE;
  guint online = 0;

  /* the wrong solution first: HA again, but the node put in standby (a
   * planned move, nothing fails) */
  g_assert_true (cluster_state ("node2", &quorate, &online, &victim));
  g_assert_nonnull (victim);
  if (victim == NULL)
    return;
  ask = g_strdup (g_str_equal (victim, "node2") ? "node3" : "node2");
  since = log_now ();
  out = run_labctl (&rc, "exercise", "start", "ha", NULL);
  g_assert_cmpint (rc, ==, 0);
  g_assert_nonnull (out != NULL ? strstr (out, "labctl nodes poweroff") : NULL);
  keep ("start.txt", out);
  g_assert_true (cib_has_unmanaged (ask));
  cib = on_node (ask, "cibadmin --query", &st);
  keep ("cib-unmanaged.xml", cib);
  g_free (on_node (ask, "crm_resource --resource tiny --meta --delete-parameter is-managed", &st));
  g_assert_cmpint (st, ==, 0);
  g_clear_pointer (&cib, g_free);
  cib = on_node (ask, "cibadmin --query", &st);
  keep ("cib-managed.xml", cib);
  cmd = g_strdup_printf ("crm_attribute --node %s --name standby --update on", victim);
  g_free (on_node (ask, cmd, &st));
  g_assert_cmpint (st, ==, 0);
  moved = wait_guest_on (ask, victim, 60);
  g_assert_nonnull (moved);
  g_free (result);
  result = ha_check ("ha.fault", &rc, &json);
  keep ("check-standby.json", json);
  g_assert_cmpstr (result, ==, "FAIL");
  g_assert_cmpint (rc, ==, 1);
  g_free (ha_check ("ha.managed", &rc, NULL));
  keep_logs ("standby", victim, since);
  g_free (cmd);
  cmd = g_strdup_printf ("crm_attribute --node %s --name standby --delete", victim);
  g_free (on_node (ask, cmd, &st));
  g_assert_cmpint (st, ==, 0);
  g_free (run_labctl (&rc, "exercise", "finish", "ha", NULL));
  g_assert_cmpint (rc, ==, 0);
  g_assert_false (cib_has_unmanaged (ask));

  /* the right one: HA, then the node forced off */
  g_clear_pointer (&victim, g_free);
  victim = g_steal_pointer (&moved);
  g_free (ask);
  ask = g_strdup (g_str_equal (victim, "node2") ? "node3" : "node2");
  g_free (since);
  since = log_now ();
  g_free (out);
  out = run_labctl (&rc, "exercise", "start", "ha", NULL);
  g_assert_cmpint (rc, ==, 0);
  g_assert_true (cib_has_unmanaged (ask));
  g_free (on_node (ask, "crm_resource --resource tiny --meta --delete-parameter is-managed", &st));
  g_assert_cmpint (st, ==, 0);
  g_free (out);
  out = run_labctl (&rc, "nodes", "poweroff", victim, NULL);
  g_assert_cmpint (rc, ==, 0);
  moved = wait_guest_on (ask, victim, 90);
  g_assert_nonnull (moved);
  g_assert_true (lab_probe_ping_once (guest_address, NULL, 90000, NULL, NULL));
  text = run_labctl (&rc, "exercise", "check", "ha", NULL);
  keep ("check-poweroff.txt", text);
  g_free (result);
  g_free (json);
  result = ha_check ("ha.answers", &rc, &json);
  keep ("check-poweroff.json", json);
  g_assert_cmpstr (result, ==, "PASS");
  g_assert_cmpint (rc, ==, 0);
  g_assert_nonnull (json != NULL ? strstr (json, "\"fence-done\"") : NULL);
  g_assert_nonnull (json != NULL ? strstr (json, "\"started\"") : NULL);
  keep_logs ("poweroff", victim, since);
  g_free (run_labctl (&rc, "exercise", "finish", "ha", NULL));
  g_assert_cmpint (rc, ==, 0);
  g_assert_false (cib_has_unmanaged (ask));
  /* the node forced off comes back with the plan */
  g_free (run_labctl (&rc, "up", NULL));
  g_assert_cmpint (rc, ==, 0);
  g_assert_true (cluster_state (ask, &quorate, &online, NULL));
  g_assert_cmpuint (online, ==, 3);
  {
    g_autofree char *pids = stand_test_run ("pgrep -f \"exercise watch\"", &st, NULL);

    g_assert_true (pids == NULL || strstr (pids, lab) == NULL);
  }
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

  if (!stand_test_init (&argc, &argv, "the lab creates namespaces, a bridge, an iSCSI target and cluster daemons", &labctl))
    return g_test_run ();
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
  g_test_add_func ("/e2e-ha/exercise-ha", test_exercise_ha);
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
