/* test-probe.c: the probe's analysis on synthetic reply sequences. */
#include "config.h"

#include <string.h>

#include "lab-error.h"
#include "lab-probe.h"

/* n requests every interval_us starting at t0, each answered rtt_us later
 * unless lost[i]. */
static GArray *
make_samples (guint n, gint64 t0, gint64 interval_us, gint64 rtt_us, const gboolean *lost)
{
  GArray *a = g_array_new (FALSE, TRUE, sizeof (LabProbeSample));

  for (guint i = 0; i < n; i++)
    {
      LabProbeSample s = { i, t0 + (gint64) i * interval_us, 0 };
      if (lost == NULL || !lost[i])
        s.received_us = s.sent_us + rtt_us;
      g_array_append_val (a, s);
    }
  return a;
}

static void
test_steady (void)
{
  g_autoptr(GArray) a = make_samples (100, 1000000, 10000, 1000, NULL);
  LabProbeResult r;

  g_assert_true (lab_probe_analyze ((LabProbeSample *) a->data, a->len, 10000, &r));
  g_assert_cmpuint (r.n_sent, ==, 100);
  g_assert_cmpuint (r.n_received, ==, 100);
  g_assert_cmpuint (r.n_lost, ==, 0);
  g_assert_cmpint (r.longest_gap_us, ==, 10000);
  g_assert_cmpint (r.rtt_median_us, ==, 1000);
  g_assert_cmpint (r.duration_us, ==, 99 * 10000);
  g_assert_cmpuint (r.gap_lost, ==, 0);
}

static void
test_outage (void)
{
  gboolean lost[200] = { 0 };
  g_autoptr(GArray) a = NULL;
  LabProbeResult r;

  /* a 10-request outage (seq 40..49) and a shorter one (120..122) */
  for (guint i = 40; i < 50; i++)
    lost[i] = TRUE;
  for (guint i = 120; i < 123; i++)
    lost[i] = TRUE;
  a = make_samples (200, 5000000, 10000, 2000, lost);
  g_assert_true (lab_probe_analyze ((LabProbeSample *) a->data, a->len, 10000, &r));
  g_assert_cmpuint (r.n_lost, ==, 13);
  g_assert_cmpuint (r.n_received, ==, 187);
  g_assert_cmpint (r.longest_gap_us, ==, 110000);
  g_assert_cmpuint (r.gap_from_seq, ==, 39);
  g_assert_cmpuint (r.gap_to_seq, ==, 50);
  g_assert_cmpuint (r.gap_lost, ==, 10);
  /* receive time of seq 39, from the first send */
  g_assert_cmpint (r.gap_offset_us, ==, 39 * 10000 + 2000);
}

static void
test_delayed_replies (void)
{
  /* nothing lost, but replies 10..14 are held back and all arrive at once
   * (a paused guest whose queue drains): the gap shows the pause */
  g_autoptr(GArray) a = make_samples (30, 0, 10000, 500, NULL);
  LabProbeResult r;

  for (guint i = 10; i < 15; i++)
    g_array_index (a, LabProbeSample, i).received_us = 150000 + i;
  g_assert_true (lab_probe_analyze ((LabProbeSample *) a->data, a->len, 10000, &r));
  g_assert_cmpuint (r.n_lost, ==, 0);
  /* by receive time: seq 9 at 90500, then 10..14 at 150010..150014 */
  g_assert_cmpuint (r.gap_from_seq, ==, 9);
  g_assert_cmpuint (r.gap_to_seq, ==, 10);
  g_assert_cmpint (r.longest_gap_us, ==, 150010 - 90500);
}

static void
test_reordered (void)
{
  g_autoptr(GArray) a = make_samples (10, 0, 10000, 1000, NULL);
  LabProbeResult r;

  /* seq 5 overtaken by seq 6: gaps follow receive order, so the longest
   * runs from seq 4 (41000) to seq 6 (61000), not to the late seq 5 */
  g_array_index (a, LabProbeSample, 5).received_us = 61500;
  g_assert_true (lab_probe_analyze ((LabProbeSample *) a->data, a->len, 10000, &r));
  g_assert_cmpint (r.longest_gap_us, ==, 20000);
  g_assert_cmpuint (r.gap_from_seq, ==, 4);
  g_assert_cmpuint (r.gap_to_seq, ==, 6);
  g_assert_cmpuint (r.n_lost, ==, 0);
}

static void
test_no_replies (void)
{
  gboolean lost[20];
  g_autoptr(GArray) a = NULL;
  LabProbeResult r;

  for (guint i = 0; i < G_N_ELEMENTS (lost); i++)
    lost[i] = TRUE;
  a = make_samples (20, 0, 10000, 1000, lost);
  g_assert_true (lab_probe_analyze ((LabProbeSample *) a->data, a->len, 10000, &r));
  g_assert_cmpuint (r.n_lost, ==, 20);
  g_assert_cmpint (r.longest_gap_us, ==, 0);
  g_assert_cmpint (r.rtt_median_us, ==, 0);
  /* nothing sent at all */
  g_assert_false (lab_probe_analyze (NULL, 0, 10000, &r));
  g_assert_cmpuint (r.n_sent, ==, 0);
}

static void
test_json (void)
{
  gboolean lost[50] = { 0 };
  g_autoptr(GArray) a = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o;
  LabProbeResult r;

  lost[20] = lost[21] = TRUE;
  a = make_samples (50, 0, 10000, 1000, lost);
  lab_probe_analyze ((LabProbeSample *) a->data, a->len, 10000, &r);
  node = lab_probe_result_to_json (&r);
  o = json_node_get_object (node);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "downtime_ms"), 30.0, 1e-9);
  g_assert_cmpint (json_object_get_int_member (o, "lost"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (o, "gap_from_seq"), ==, 19);
  g_assert_cmpint (json_object_get_int_member (o, "gap_to_seq"), ==, 22);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "interval_ms"), 10.0, 1e-9);
}

static void
test_bad_address (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabProbe) p = lab_probe_new ("10.0.0.300", &error);

  g_assert_null (p);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_USAGE);
  g_assert_nonnull (strstr (error->message, "10.0.0.300"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  g_test_add_func ("/probe/analyze/steady", test_steady);
  g_test_add_func ("/probe/analyze/outage", test_outage);
  g_test_add_func ("/probe/analyze/delayed", test_delayed_replies);
  g_test_add_func ("/probe/analyze/reordered", test_reordered);
  g_test_add_func ("/probe/analyze/no-replies", test_no_replies);
  g_test_add_func ("/probe/json", test_json);
  g_test_add_func ("/probe/bad-address", test_bad_address);
  return g_test_run ();
}
