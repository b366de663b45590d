/* test-plot.c: the ping timeline (experiments/lab-plot.c) drawn from a
 * synthetic series: the files are valid pictures of the promised size,
 * the lost replies are shaded where they were lost and nowhere else, the
 * markers are there, a bad file name is refused; and the migration
 * result keeps its samples for it (JSON timeline, --plot). */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "lab-error.h"
#include "lab-stand-experiment.h"
#include "lab-test-cli.h"
#include "lab-test-fs.h"

#define N_SAMPLES 300
#define LOST_FROM 105   /* 35 % .. 65 % of the series: the middle of the picture */
#define LOST_TO   195

static LabProbeSample samples[N_SAMPLES];
static const LabPlotMarker markers[] = {
  { "migration starts", 1000000 },
  { "migration returns", 2000000 },
};

static void
make_series (void)
{
  for (guint i = 0; i < N_SAMPLES; i++)
    {
      samples[i].seq = i;
      samples[i].sent_us = 5000000 + i * 10000;   /* monotonic clock: not from 0 */
      samples[i].received_us = (i >= LOST_FROM && i < LOST_TO) ? 0 : samples[i].sent_us + 400 + (i % 7) * 50;
    }
}

static const LabPlotData data = {
  .samples = samples, .n_samples = N_SAMPLES, .markers = markers, .n_markers = G_N_ELEMENTS (markers),
  .title = "Live migration of web: node1 -> node2",
};

/* the share of pixels in the box around (cx, cy) that are the gap's red */
static double
reddish_share (cairo_surface_t *png, int cx, int cy)
{
  const unsigned char *px = cairo_image_surface_get_data (png);
  int stride = cairo_image_surface_get_stride (png);
  int n = 0, red = 0;

  for (int y = cy - 5; y <= cy + 5; y++)
    for (int x = cx - 5; x <= cx + 5; x++)
      {
        guint32 v = *(const guint32 *) (px + y * stride + x * 4);   /* ARGB, native endian */
        int r = (v >> 16) & 0xff, g = (v >> 8) & 0xff, b = v & 0xff;

        n++;
        if (r - g > 30 && r - b > 30)
          red++;
      }
  return red / (double) n;
}

static void
test_png (void)
{
  g_autofree char *dir = g_dir_make_tmp ("labctl-plot-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "timeline.PNG", NULL);
  g_autoptr(GError) error = NULL;
  cairo_surface_t *png;
  int w, h;

  g_assert_true (lab_plot_save (&data, path, &error));
  g_assert_no_error (error);
  png = cairo_image_surface_create_from_png (path);
  g_assert_cmpint (cairo_surface_status (png), ==, CAIRO_STATUS_SUCCESS);
  w = cairo_image_surface_get_width (png);
  h = cairo_image_surface_get_height (png);
  g_assert_cmpint (w, ==, LAB_PLOT_WIDTH);
  g_assert_cmpint (h, ==, LAB_PLOT_HEIGHT);
  if (w == LAB_PLOT_WIDTH && h == LAB_PLOT_HEIGHT)
    {
      cairo_surface_flush (png);
      /* the middle of the picture is inside the lost run */
      g_assert_cmpfloat (reddish_share (png, w / 2, h / 2), >, 0.7);
      /* a fifth and four fifths of the way: replies came, no shade */
      g_assert_cmpfloat (reddish_share (png, w / 5, h / 2), <, 0.05);
      g_assert_cmpfloat (reddish_share (png, w * 4 / 5 + 20, h / 2), <, 0.05);
    }
  cairo_surface_destroy (png);
  lab_test_remove_tree (dir);
}

static guint
count (const char *haystack, const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

static void
test_svg (void)
{
  g_autofree char *dir = g_dir_make_tmp ("labctl-plot-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "timeline.svg", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *svg = NULL;

  g_assert_true (lab_plot_save (&data, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &svg, NULL, NULL));
  g_assert_true (g_str_has_prefix (svg, "<?xml"));
  g_assert_nonnull (strstr (svg, "width=\"960pt\""));
  g_assert_nonnull (strstr (svg, "<title>Live migration of web: node1 -&gt; node2</title>"));
  g_assert_nonnull (strstr (svg, "migration starts: 1.000 s; migration returns: 2.000 s"));
  /* the two markers are dashed lines (the grid is not) */
  g_assert_cmpuint (count (svg, "stroke-dasharray"), ==, 2);
  g_assert_true (g_str_has_suffix (g_strchomp (svg), "</svg>"));
  lab_test_remove_tree (dir);
}

static void
test_bad_path (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;

  g_assert_false (lab_plot_save (&data, "/tmp/timeline.jpg", &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_USAGE);
  g_assert_nonnull (error != NULL ? strstr (error->message, ".svg or .png") : NULL);
  g_assert_false (g_file_test ("/tmp/timeline.jpg", G_FILE_TEST_EXISTS));
  g_assert_false (lab_plot_save (&data, "/nonexistent-dir/x.png", &error2));
  g_assert_error (error2, LAB_ERROR, LAB_ERROR_FAILED);
}

/* an empty series still draws (the GUI's page before the first ping) */
static void
test_empty (void)
{
  LabPlotData empty = { 0 };
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 200, 100);
  cairo_t *cr = cairo_create (s);

  lab_plot_draw (cr, 200, 100, &empty);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
}

static void
test_migration_result (void)
{
  LabMigrationResult r = { 0 };
  g_autofree char *dir = g_dir_make_tmp ("labctl-plot-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "m.svg", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *svg = NULL;
  g_autofree char *text = NULL;
  JsonObject *timeline;
  JsonArray *points;

  r.guest = g_strdup ("web");
  r.from_node = g_strdup ("node1");
  r.to_node = g_strdup ("node2");
  r.samples = g_array_new (FALSE, FALSE, sizeof (LabProbeSample));
  g_array_append_vals (r.samples, samples, N_SAMPLES);
  r.migration_start_us = 1000000;
  r.migration_end_us = 2500000;

  node = lab_migration_result_to_json (&r);
  timeline = json_object_get_object_member (json_node_get_object (node), "timeline");
  g_assert_nonnull (timeline);
  g_assert_cmpint (json_object_get_int_member (timeline, "migration_end_us"), ==, 2500000);
  points = json_object_get_array_member (timeline, "samples");
  g_assert_cmpuint (json_array_get_length (points), ==, N_SAMPLES);
  g_assert_cmpint (json_array_get_int_element (json_array_get_array_element (points, 1), 0), ==, 10000);
  g_assert_cmpint (json_array_get_int_element (json_array_get_array_element (points, 1), 1), ==, 450);
  g_assert_cmpint (json_array_get_int_element (json_array_get_array_element (points, LOST_FROM), 1), ==, -1);

  g_assert_true (lab_migration_result_plot (&r, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &svg, NULL, NULL));
  g_assert_nonnull (strstr (svg, "migration returns: 2.500 s"));
  g_assert_nonnull (strstr (svg, "Live migration of web"));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "kind"), ==, "live");
  text = lab_migration_result_format (&r);
  g_assert_true (g_str_has_prefix (text, "Live migration of web: node1 -> node2\n"));
  g_assert_null (strstr (text, "why paused"));
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&svg, g_free);
  g_clear_pointer (&node, json_node_unref);

  /* paused (a guest of TCG kvm nodes): said in the kind, the report (with
   * why) and the plot's title */
  r.migration.paused = TRUE;
  node = lab_migration_result_to_json (&r);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "kind"), ==, "paused");
  text = lab_migration_result_format (&r);
  g_assert_true (g_str_has_prefix (text, "Migration of web, paused: node1 -> node2\n"));
  g_assert_nonnull (strstr (text, "  why paused: the nodes run under TCG"));
  g_assert_true (lab_migration_result_plot (&r, path, &error));
  g_assert_true (g_file_get_contents (path, &svg, NULL, NULL));
  g_assert_nonnull (strstr (svg, "Migration of web, paused"));
  lab_migration_result_clear (&r);
  g_assert_null (r.samples);
  lab_test_remove_tree (dir);
}

/* failover --plot: the fault and each phase (offsets from the fault) land
 * on the timeline, whose time counts from the first ping */
static void
test_failover_result (void)
{
  LabFailoverResult r = { 0 };
  LabFailoverPhase ph = { 0 };
  g_autofree char *dir = g_dir_make_tmp ("labctl-plot-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "f.svg", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *svg = NULL;

  r.guest = g_strdup ("tiny");
  r.victim = g_strdup ("node1");
  r.mode = LAB_FAILOVER_POWEROFF;
  r.samples = g_array_new (FALSE, FALSE, sizeof (LabProbeSample));
  g_array_append_vals (r.samples, samples, N_SAMPLES);
  r.fault_mono_us = samples[0].sent_us + 1200000;
  r.phases = g_array_new (FALSE, TRUE, sizeof (LabFailoverPhase));
  ph.id = g_strdup ("fence-confirmed");
  ph.label = g_strdup ("fence confirmed");
  ph.offset_us = 500000;
  ph.node = g_strdup ("node1");
  g_array_append_val (r.phases, ph);

  g_assert_true (lab_failover_result_plot (&r, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &svg, NULL, NULL));
  g_assert_nonnull (strstr (svg, ": 1.200 s"));
  g_assert_nonnull (strstr (svg, "fence confirmed: 1.700 s"));
  g_assert_nonnull (strstr (svg, "node1"));
  lab_failover_result_clear (&r);
  lab_test_remove_tree (dir);
}

/* --plot with a name that is no picture: a usage error before anything runs */
static void
test_cli_plot_usage (void)
{
  g_auto(LabTestRun) r;

  lab_test_run_labctl (&r, "experiment", "migrate", "--plot", "timeline.jpg", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "name the file .svg or .png"));
  g_assert_false (g_file_test ("timeline.jpg", G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  make_series ();
  g_test_add_func ("/plot/png", test_png);
  g_test_add_func ("/plot/svg", test_svg);
  g_test_add_func ("/plot/bad-path", test_bad_path);
  g_test_add_func ("/plot/empty", test_empty);
  g_test_add_func ("/plot/migration-result", test_migration_result);
  g_test_add_func ("/plot/failover-result", test_failover_result);
  g_test_add_func ("/plot/cli-usage", test_cli_plot_usage);
  return g_test_run ();
}
