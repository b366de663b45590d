/* test-exercise-ha.c: the ha exercise's grade (lab_exercise_ha_grade) on
 * the cluster's logs recorded from real failovers on container nodes
 * (tests/data/cluster/: node1 powered off at 23:35:08.317, fenced, the
 * guest started on node3; a fence device that could not fence) and from
 * the e2e-ha test's scripted student (a real graceful move, standby, then
 * a real poweroff), with the CIBs `cibadmin --query` printed in that run: a correct solution passes with the failover's phases; each typical
 * mistake fails its step with its hint. Where a mistake's log is a
 * recorded log with lines taken out (the start of the guest, which an
 * unmanaged guest or one started by hand never gets), the test says so. */
#include "config.h"

#include <string.h>

#include "lab-cluster-log.h"
#include "lab-exercise-private.h"
#include "lab-recipe.h"
#include "lab-runner.h"
#include "lab-state.h"

static GPtrArray *
load_events (const char *const *files, const char *drop)
{
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_cluster_event_free);
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) now = g_date_time_new (utc, 2026, 12, 3, 0, 0, 0);

  for (guint i = 0; files[i] != NULL; i++)
    {
      g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "cluster", files[i], NULL);
      g_autofree char *text = NULL;
      g_autoptr(GString) kept = g_string_new (NULL);
      g_auto(GStrv) lines = NULL;
      g_autoptr(GError) error = NULL;

      g_file_get_contents (path, &text, NULL, &error);
      g_assert_no_error (error);
      if (text == NULL)
        continue;
      lines = g_strsplit (text, "\n", -1);
      for (guint k = 0; lines[k] != NULL; k++)
        if (drop == NULL || strstr (lines[k], drop) == NULL)
          g_string_append_printf (kept, "%s\n", lines[k]);
      g_ptr_array_extend_and_steal (all, lab_cluster_log_parse (kept->str, files[i], "tiny", now, utc));
    }
  return all;
}

static gint64
utc_day_us (int day, int h, int m, double s)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) t = g_date_time_new (utc, 2026, 12, day, h, m, s);

  return g_date_time_to_unix (t) * G_USEC_PER_SEC + g_date_time_get_microsecond (t);
}

/* the failovers of tests/data/cluster/poweroff-* (Dec 1) */
static gint64
utc_us (int h, int m, double s)
{
  return utc_day_us (1, h, m, s);
}

static char *
cib (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "cluster", name, NULL);
  char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}

static const char * const poweroff_logs[] = { "poweroff-node2-corosync.log", "poweroff-node2-pacemaker.log",
                                              "poweroff-node3-corosync.log", "poweroff-node3-pacemaker.log", NULL };
/* the lines of the guest's start by the cluster on node3 */
#define START_LINES "operation for tiny on node3"

typedef struct {
  LabExerciseHaFacts f;
  GPtrArray         *events;
  char              *cib;
  LabExerciseReport *report;
} Case;

/* The correct solution's facts: node1 powered off and fenced, the guest
 * running on node3 with a new boot. */
static void
case_init (Case *c, const char *cib_file, const char *drop)
{
  memset (c, 0, sizeof *c);
  c->events = load_events (poweroff_logs, drop);
  c->cib = cib (cib_file);
  c->f.guest = "tiny";
  c->f.address = "10.99.0.51";
  c->f.victim = "node1";
  c->f.n_nodes = 3;
  c->f.since_us = utc_us (23, 35, 0);
  c->f.fault_us = utc_us (23, 35, 8.317);
  c->f.ask_node = "node2";
  c->f.cib_xml = c->cib;
  c->f.events = c->events;
  c->f.victim_online = FALSE;
  c->f.runs_on = "node3";
  c->f.unreachable = "node1";
  c->f.boot0 = "aaaa";
  c->f.boot_now = "bbbb";
  c->report = lab_exercise_report_new ("ha", "e2eha");
}

static void
case_clear (Case *c)
{
  g_ptr_array_unref (c->events);
  g_free (c->cib);
  lab_exercise_report_free (c->report);
}

static void
grade (Case *c)
{
  g_autofree char *text = NULL;

  lab_exercise_ha_grade (c->report, &c->f);
  text = lab_exercise_report_format (c->report);
  g_test_message ("%s", text);
}

static LabExerciseStep *
step (Case *c, const char *id)
{
  for (guint i = 0; i < c->report->steps->len; i++)
    if (g_str_equal (((LabExerciseStep *) g_ptr_array_index (c->report->steps, i))->id, id))
      return g_ptr_array_index (c->report->steps, i);
  return NULL;
}

static void
assert_step (Case *c, const char *id, LabExerciseResult result, const char *in_hint)
{
  LabExerciseStep *s = step (c, id);

  g_assert_nonnull (s);
  if (s == NULL)
    return;
  g_assert_cmpstr (lab_exercise_result_to_string (s->result), ==, lab_exercise_result_to_string (result));
  if (in_hint != NULL)
    {
      g_assert_nonnull (s->hint);
      if (s->hint != NULL && strstr (s->hint, in_hint) == NULL)
        g_test_message ("hint of %s: %s (wanted \"%s\")", id, s->hint, in_hint);
      g_assert_true (s->hint != NULL && strstr (s->hint, in_hint) != NULL);
    }
}

static gint64
phase_ms (Case *c, const char *id)
{
  JsonArray *a;

  if (!json_object_has_member (c->report->figures, "phases"))
    return -1;
  a = json_object_get_array_member (c->report->figures, "phases");
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *p = json_array_get_object_element (a, i);

      if (g_str_equal (json_object_get_string_member (p, "id"), id))
        return json_object_get_int_member (p, "offset_ms");
    }
  return -1;
}

static void
test_correct (void)
{
  Case c;
  g_autofree char *text = NULL;

  case_init (&c, "cib-managed.xml", NULL);
  grade (&c);
  assert_step (&c, "ha.managed", LAB_EXERCISE_PASS, NULL);
  assert_step (&c, "ha.fault", LAB_EXERCISE_PASS, NULL);
  assert_step (&c, "ha.restarted", LAB_EXERCISE_PASS, NULL);
  assert_step (&c, "ha.answers", LAB_EXERCISE_PASS, NULL);
  g_assert_true (lab_exercise_report_passed (c.report));
  /* the failover experiment's figures for the same logs and fault */
  g_assert_cmpint (phase_ms (&c, "membership"), ==, 3511);
  g_assert_cmpint (phase_ms (&c, "fence-requested"), ==, 4859);
  g_assert_cmpint (phase_ms (&c, "fence-done"), ==, 5167);
  g_assert_cmpint (phase_ms (&c, "started"), ==, 10599);
  g_assert_cmpstr (json_object_get_string_member (c.report->figures, "new_node"), ==, "node3");
  g_assert_cmpstr (json_object_get_string_member (c.report->figures, "fault_from"), ==, "probe");
  text = lab_exercise_report_format (c.report);
  g_assert_nonnull (strstr (text, "+10.599 s"));
  case_clear (&c);

  /* without the probe's fault time, the phases count from corosync's
   * first sign (knet's link down on node3 at 23:35:08.728) */
  case_init (&c, "cib-managed.xml", NULL);
  c.f.fault_us = 0;
  grade (&c);
  g_assert_true (lab_exercise_report_passed (c.report));
  g_assert_cmpint (phase_ms (&c, "started"), ==, 10599 - 411);
  g_assert_cmpstr (json_object_get_string_member (c.report->figures, "fault_from"), ==, "cluster-log");
  case_clear (&c);
}

/* Forced off without marking it HA: fenced, never started (the recorded
 * logs without the guest's start). */
static void
test_not_managed (void)
{
  Case c;

  case_init (&c, "cib-unmanaged.xml", START_LINES);
  c.f.runs_on = NULL;
  grade (&c);
  assert_step (&c, "ha.managed", LAB_EXERCISE_FAIL, "--delete-parameter is-managed");
  assert_step (&c, "ha.fault", LAB_EXERCISE_PASS, NULL);
  assert_step (&c, "ha.restarted", LAB_EXERCISE_FAIL, "does not manage");
  assert_step (&c, "ha.answers", LAB_EXERCISE_FAIL, "ha.restarted");
  case_clear (&c);
}

/* The student started the guest on node2 by hand after the fence. */
static void
test_by_hand (void)
{
  Case c;

  case_init (&c, "cib-managed.xml", START_LINES);
  c.f.runs_on = "node2";
  grade (&c);
  assert_step (&c, "ha.fault", LAB_EXERCISE_PASS, NULL);
  assert_step (&c, "ha.restarted", LAB_EXERCISE_FAIL, "virsh destroy tiny on node node2");
  g_assert_nonnull (strstr (step (&c, "ha.restarted")->detail, "by hand"));
  case_clear (&c);

  /* the cluster started it on node3, but it runs on node2: moved by hand after */
  case_init (&c, "cib-managed.xml", NULL);
  c.f.runs_on = "node2";
  grade (&c);
  assert_step (&c, "ha.restarted", LAB_EXERCISE_FAIL, "virsh destroy");
  case_clear (&c);
}

/* The e2e-ha test's student (recorded, tests/data/cluster/exercise-*):
 * node2 put in standby at 02:23:40 (a graceful move to node3, nothing
 * fenced); then, the exercise started again, node3 forced off at
 * 02:23:51.600 (the probe's last reply; the check printed these phases). */
static void
use_logs (Case *c, const char *const *files)
{
  g_ptr_array_unref (c->events);
  c->events = load_events (files, NULL);
  c->f.events = c->events;
}

static void
test_graceful (void)
{
  const char *files[] = { "exercise-standby-node1-pacemaker.log", "exercise-standby-node3-pacemaker.log", NULL };
  Case c;

  case_init (&c, "cib-managed.xml", NULL);
  use_logs (&c, files);
  c.f.victim = "node2";
  c.f.since_us = utc_day_us (2, 2, 23, 38);
  c.f.fault_us = 0;
  c.f.victim_online = TRUE;
  c.f.runs_on = "node3";
  grade (&c);
  assert_step (&c, "ha.managed", LAB_EXERCISE_PASS, NULL);
  assert_step (&c, "ha.fault", LAB_EXERCISE_FAIL, "labctl nodes poweroff node2");
  g_assert_nonnull (strstr (step (&c, "ha.fault")->detail, "standby"));
  assert_step (&c, "ha.restarted", LAB_EXERCISE_FAIL, "ha.fault");
  case_clear (&c);

  /* a clean shutdown of the node: it left the cluster, unfenced */
  case_init (&c, "cib-managed.xml", NULL);
  use_logs (&c, files);
  c.f.victim = "node2";
  c.f.since_us = utc_day_us (2, 2, 23, 38);
  c.f.victim_online = FALSE;
  grade (&c);
  assert_step (&c, "ha.fault", LAB_EXERCISE_FAIL, "do not shut it down");
  case_clear (&c);
}

static void
test_recorded_exercise (void)
{
  const char *files[] = { "exercise-poweroff-node1-corosync.log", "exercise-poweroff-node1-pacemaker.log",
                          "exercise-poweroff-node2-corosync.log", "exercise-poweroff-node2-pacemaker.log", NULL };
  Case c;

  case_init (&c, "cib-managed.xml", NULL);
  use_logs (&c, files);
  c.f.victim = "node3";
  c.f.since_us = utc_day_us (2, 2, 23, 49);
  c.f.fault_us = utc_day_us (2, 2, 23, 51.600);
  c.f.runs_on = "node2";
  c.f.unreachable = "node3";
  grade (&c);
  g_assert_true (lab_exercise_report_passed (c.report));
  /* what `labctl exercise check ha` printed in that run */
  g_assert_cmpint (phase_ms (&c, "token-lost"), ==, 1548);
  g_assert_cmpint (phase_ms (&c, "membership"), ==, 3548);
  g_assert_cmpint (phase_ms (&c, "fence-requested"), ==, 3628);
  g_assert_cmpint (phase_ms (&c, "fence-done"), ==, 3776);
  g_assert_cmpint (phase_ms (&c, "started"), ==, 5972);
  g_assert_cmpstr (json_object_get_string_member (c.report->figures, "new_node"), ==, "node2");
  case_clear (&c);

  /* the standby of the first attempt, 12 s before, is no failure of node2 now */
  case_init (&c, "cib-managed.xml", NULL);
  use_logs (&c, files);
  c.f.victim = "node2";
  c.f.since_us = utc_day_us (2, 2, 23, 49);
  c.f.victim_online = TRUE;
  c.f.runs_on = "node2";
  grade (&c);
  assert_step (&c, "ha.fault", LAB_EXERCISE_FAIL, "labctl nodes poweroff node2");
  case_clear (&c);
}

/* Nothing done yet: no event, the guest on node1, node1 online. */
static void
test_not_done (void)
{
  Case c;

  case_init (&c, "cib-managed.xml", NULL);
  c.f.since_us = utc_us (23, 40, 0);
  c.f.fault_us = 0;
  c.f.victim_online = TRUE;
  c.f.runs_on = "node1";
  c.f.boot_now = "aaaa";
  grade (&c);
  assert_step (&c, "ha.fault", LAB_EXERCISE_FAIL, "labctl nodes poweroff node1");
  g_assert_false (json_object_has_member (c.report->figures, "phases"));
  case_clear (&c);
}

/* The fence device could not fence (recorded): the cluster waits. */
static void
test_fence_failed (void)
{
  const char *files[] = { "fence-fails-node2-corosync.log", "fence-fails-node2-pacemaker.log", NULL };
  Case c;

  case_init (&c, "cib-managed.xml", NULL);
  g_ptr_array_unref (c.events);
  c.events = load_events (files, NULL);
  c.f.events = c.events;
  c.f.since_us = utc_us (23, 0, 0);
  c.f.runs_on = NULL;
  grade (&c);
  assert_step (&c, "ha.fault", LAB_EXERCISE_FAIL, "--fence-history");
  case_clear (&c);
}

/* The same boot_id after all: not a restart. */
static void
test_same_boot (void)
{
  Case c;

  case_init (&c, "cib-managed.xml", NULL);
  c.f.boot_now = "aaaa";
  grade (&c);
  assert_step (&c, "ha.restarted", LAB_EXERCISE_PASS, NULL);
  assert_step (&c, "ha.answers", LAB_EXERCISE_FAIL, "force the node off");
  case_clear (&c);
}

/* The cluster does not answer: ERROR, never the student's fault. */
static void
test_cluster_down (void)
{
  Case c;

  case_init (&c, "cib-managed.xml", NULL);
  c.f.cib_xml = NULL;
  c.f.events = NULL;
  c.f.cluster_error = "no node's cluster answers: crm_mon: connection refused";
  grade (&c);
  assert_step (&c, "ha.managed", LAB_EXERCISE_ERROR, "connection refused");
  assert_step (&c, "ha.fault", LAB_EXERCISE_ERROR, "connection refused");
  g_assert_true (lab_exercise_report_has_error (c.report));
  case_clear (&c);
}

/* Available on the HA recipe; on a lab without [cluster] it says why. */
static void
test_available (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "ha-cluster.lab", NULL);
  g_autoptr(GError) error = NULL;
  LabRecipe *recipe = lab_recipe_load (path, &error);
  LabState *state = lab_state_new_in_memory ("e2eha");
  LabRunner *runner = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  LabContext ctx;
  LabExerciseEnv *env;
  g_autoptr(JsonNode) list = NULL;
  JsonArray *a;
  gboolean seen = FALSE;

  g_assert_no_error (error);
  if (recipe == NULL)
    return;
  lab_context_init (&ctx, recipe, state, runner, NULL, FALSE);
  env = lab_exercise_env_new (&ctx, NULL);
  list = lab_exercise_list_json (env);
  a = json_node_get_array (list);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);

      if (g_str_equal (json_object_get_string_member (o, "name"), "ha"))
        {
          seen = TRUE;
          g_assert_true (json_object_get_boolean_member (o, "available"));
          g_assert_nonnull (json_object_get_string_member_with_default (o, "guide", NULL));
        }
    }
  g_assert_true (seen);
  lab_exercise_env_free (env);
  recipe->cluster = FALSE;
  env = lab_exercise_env_new (&ctx, NULL);
  {
    g_autofree char *why = lab_exercise_find ("ha")->unavailable (env);

    g_assert_nonnull (why);
    g_assert_nonnull (why != NULL ? strstr (why, "[cluster]") : NULL);
  }
  lab_exercise_env_free (env);
  g_object_unref (runner);
  lab_state_free (state);
  lab_recipe_free (recipe);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  g_test_add_func ("/exercise-ha/correct", test_correct);
  g_test_add_func ("/exercise-ha/not-managed", test_not_managed);
  g_test_add_func ("/exercise-ha/by-hand", test_by_hand);
  g_test_add_func ("/exercise-ha/graceful", test_graceful);
  g_test_add_func ("/exercise-ha/recorded-exercise", test_recorded_exercise);
  g_test_add_func ("/exercise-ha/not-done", test_not_done);
  g_test_add_func ("/exercise-ha/fence-failed", test_fence_failed);
  g_test_add_func ("/exercise-ha/same-boot", test_same_boot);
  g_test_add_func ("/exercise-ha/cluster-down", test_cluster_down);
  g_test_add_func ("/exercise-ha/available", test_available);
  return g_test_run ();
}
