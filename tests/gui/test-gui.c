/* test-gui.c: labctl-gui driven through its buttons and spin rows, page
 * by page, against the core: the host check on a fake sysroot, libvirt's
 * test:/// driver, real labctl children (--progress=json, dry runs, status),
 * a recorded probe series on the experiment page. Every page is saved as
 * a PNG ($LABCTL_SCREENSHOT_DIR/<language>-<page>.png) and must not be
 * empty, must cut no label, and must label every interactive widget for
 * assistive technologies, nor show an icon the theme lacks. Run under xvfb-run and dbus-run-session (the
 * gui suite of scripts/run-tests). */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include <glib/gstdio.h>

#include "lab-gui.h"
#include "lab-i18n.h"
#include "lab-test-cli.h"
#include "lab-test-fs.h"

static LabGui *gui;
static char *tmp_dir;
static const char *lang;   /* "en" or "ru": the screenshots' prefix */

/* ---- waiting ------------------------------------------------------------ */

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until the children are done (or 60 s). */
static void
wait_children (void)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (60, on_timeout, &timed_out);

  while (gui->n_running > 0 && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  if (!timed_out)
    g_source_remove (id);
}

static void
settle (void)
{
  gboolean done = FALSE;

  g_timeout_add (150, on_timeout, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* ---- what every page must be --------------------------------------------- */

static void
check_labels (GtkWidget *widget, GString *problems)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (!gtk_widget_get_mapped (child))
        continue;
      if (GTK_IS_LABEL (child) && *gtk_label_get_text (GTK_LABEL (child)) != '\0')
        {
          GtkLabel *label = GTK_LABEL (child);
          PangoLayout *layout = gtk_label_get_layout (label);
          int min = 0;

          gtk_widget_measure (child, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
          if (pango_layout_is_ellipsized (layout))
            g_string_append_printf (problems, "label cut (ellipsized): \"%s\"\n", gtk_label_get_text (label));
          else if (gtk_widget_get_width (child) < min)
            g_string_append_printf (problems, "label cut (%d px for %d): \"%s\"\n", gtk_widget_get_width (child),
                                    min, gtk_label_get_text (label));
        }
      check_labels (child, problems);
    }
}

/* buttons, spin buttons, link buttons and activatable rows the pages made */
static gboolean
is_interactive (GtkWidget *w)
{
  return GTK_IS_BUTTON (w) || GTK_IS_SPIN_BUTTON (w) || GTK_IS_SWITCH (w) || GTK_IS_CHECK_BUTTON (w)
         || GTK_IS_ENTRY (w) || GTK_IS_PROGRESS_BAR (w);
}

static gboolean
has_label (GtkWidget *w)
{
  if (g_object_get_data (G_OBJECT (w), "lab-gui-a11y-label") != NULL)
    return TRUE;
  if (GTK_IS_BUTTON (w) && gtk_button_get_label (GTK_BUTTON (w)) != NULL
      && *gtk_button_get_label (GTK_BUTTON (w)) != '\0')
    return TRUE;
  return FALSE;
}

static void
check_a11y (GtkWidget *widget, GString *problems)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (!gtk_widget_get_mapped (child))
        continue;
      /* an icon the theme lacks draws as a "missing image" */
      if (GTK_IS_IMAGE (child) && gtk_image_get_storage_type (GTK_IMAGE (child)) == GTK_IMAGE_ICON_NAME
          && !gtk_icon_theme_has_icon (gtk_icon_theme_get_for_display (gtk_widget_get_display (child)),
                                       gtk_image_get_icon_name (GTK_IMAGE (child))))
        g_string_append_printf (problems, "icon %s is not in the theme\n", gtk_image_get_icon_name (GTK_IMAGE (child)));
      if (is_interactive (child))
        {
          /* the +/- of a spin button belong to it: its label covers them */
          if (!has_label (child))
            g_string_append_printf (problems, "%s without an accessible label (tooltip: %s)\n",
                                    G_OBJECT_TYPE_NAME (child), gtk_widget_get_tooltip_text (child));
          if (GTK_IS_SPIN_BUTTON (child))
            continue;
        }
      check_a11y (child, problems);
    }
}

/* The window as a texture (round2-facts: GTK 4.8 snapshot, cairo renderer). */
static GdkTexture *
snapshot_window (void)
{
  GtkWidget *w = GTK_WIDGET (gui->window);
  int width = gtk_widget_get_width (w), height = gtk_widget_get_height (w);
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (w);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (w));

  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    return NULL;
  return gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
}

/* the share of pixels of the page area that differ from its background */
static double
ink_share (GdkTexture *texture)
{
  int width = gdk_texture_get_width (texture), height = gdk_texture_get_height (texture);
  g_autofree guchar *px = g_malloc ((gsize) width * height * 4);
  guint32 bg;
  guint64 ink = 0, n = 0;

  gdk_texture_download (texture, px, (gsize) width * 4);
  /* the page's own background: a point right of the sidebar, low in the window */
  bg = *(guint32 *) (px + ((gsize) (height - 8) * width + (width - 8)) * 4);
  for (int y = 60; y < height; y += 2)
    for (int x = 240; x < width; x += 2)
      {
        n++;
        if (*(guint32 *) (px + ((gsize) y * width + x) * 4) != bg)
          ink++;
      }
  return n > 0 ? ink / (double) n : 0;
}

static void
check_page (LabGuiPage page, const char *name)
{
  g_autoptr(GString) problems = g_string_new (NULL);
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *file = g_strdup_printf ("%s-%d-%s.png", lang, page + 1, name);
  const char *dir = g_getenv ("LABCTL_SCREENSHOT_DIR");
  g_autofree char *path = NULL;
  double ink;

  lab_gui_show_page (gui, page);
  settle ();
  gtk_test_widget_wait_for_draw (GTK_WIDGET (gui->window));
  g_assert_true (gtk_stack_get_visible_child (gui->stack) == gui->page_widgets[page]);

  texture = snapshot_window ();
  g_assert_nonnull (texture);
  if (texture == NULL)
    return;
  path = g_build_filename (dir != NULL ? dir : tmp_dir, file, NULL);
  g_mkdir_with_parents (dir != NULL ? dir : tmp_dir, 0755);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
  ink = ink_share (texture);
  g_test_message ("%s: %.1f %% of the page drawn on", name, ink * 100);
  g_assert_cmpfloat (ink, >, 0.02);

  check_labels (gui->page_widgets[page], problems);
  check_a11y (gui->page_widgets[page], problems);
  check_a11y (GTK_WIDGET (gui->sidebar), problems);
  if (problems->len > 0)
    {
      g_test_message ("page %s:\n%s", name, problems->str);
      g_test_fail ();
    }
}

static void
click (GtkWidget *button)
{
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

static guint
n_children (GtkWidget *w)
{
  guint n = 0;

  for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL; c = gtk_widget_get_next_sibling (c))
    n++;
  return n;
}

/* The checks above find what they look for: a cut label and a button
 * nobody named, in a window of their own. */
static void
test_checkers (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *label = gtk_label_new ("a label far too long for the eighty pixels it is given here");
  g_autoptr(GString) problems = g_string_new (NULL);

  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), gtk_button_new_from_icon_name ("edit-copy-symbolic"));
  gtk_box_append (GTK_BOX (box), gtk_image_new_from_icon_name ("no-such-icon-symbolic"));
  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_window_set_default_size (GTK_WINDOW (window), 80, 60);
  gtk_window_set_resizable (GTK_WINDOW (window), FALSE);
  gtk_window_present (GTK_WINDOW (window));
  gtk_test_widget_wait_for_draw (window);
  settle ();
  check_labels (window, problems);
  check_a11y (window, problems);
  g_test_message ("%s", problems->str);
  g_assert_nonnull (strstr (problems->str, "label cut"));
  g_assert_nonnull (strstr (problems->str, "GtkButton without an accessible label"));
  g_assert_nonnull (strstr (problems->str, "icon no-such-icon-symbolic is not in the theme"));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* What meson installs beside the program: the polkit policy (an action per
 * verb pkexec runs, for the labctl that is installed) and the desktop
 * file, both translated. */
static void
test_installed_files (void)
{
  static const char * const verbs[] = { "up", "down", "reset", "experiment", "storage", "nodes" };
  g_autofree char *policy = NULL, *desktop = NULL;
  g_autofree char *path = g_strconcat ("<annotate key=\"org.freedesktop.policykit.exec.path\">", LABCTL_BINDIR,
                                       "/labctl</annotate>", NULL);

  g_assert_true (g_file_get_contents (LABCTL_BUILD_DIR "/gui/example.labctl.policy", &policy, NULL, NULL));
  g_assert_true (g_file_get_contents (LABCTL_BUILD_DIR "/gui/" LAB_GUI_APP_ID ".desktop", &desktop, NULL, NULL));
  if (policy == NULL || desktop == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (verbs); i++)
    {
      g_autofree char *id = g_strdup_printf ("<action id=\"example.labctl.%s\">", verbs[i]);
      g_autofree char *argv1 = g_strdup_printf ("\"org.freedesktop.policykit.exec.argv1\">%s</annotate>", verbs[i]);
      const char *action = strstr (policy, id);
      const char *end = action != NULL ? strstr (action, "</action>") : NULL;
      g_autofree char *block = end != NULL ? g_strndup (action, end - action) : NULL;

      g_assert_nonnull (block);
      if (block == NULL)
        continue;
      g_assert_nonnull (strstr (block, argv1));
      g_assert_nonnull (strstr (block, path));
      g_assert_nonnull (strstr (block, "<allow_active>auth_admin_keep</allow_active>"));
      g_assert_nonnull (strstr (block, "<description xml:lang=\"ru\">"));
    }
  g_assert_nonnull (strstr (desktop, "Name[ru]=Лаборатория виртуализации"));
  g_assert_nonnull (strstr (desktop, "Exec=labctl-gui"));
}

/* ---- the pages, in the student's order ------------------------------------ */

static void
test_check (void)
{
  click (gui->check_run);
  /* the fake host: 8 CPUs, 24000000 kB available */
  g_assert_cmpuint (gui->facts.cpus, ==, 8);
  g_assert_cmpuint (gui->facts.memory_available_mib, ==, 24000000 / 1024);
  g_assert_cmpuint (n_children (gui->check_rows), >, 10);
  g_assert_true (gui->unlocked[LAB_GUI_PAGE_RECIPES]);
  check_page (LAB_GUI_PAGE_CHECK, "check");
}

static void
test_recipes (void)
{
  g_auto(GStrv) shipped = lab_recipe_list_shipped ();
  g_autofree char *e2e = g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", "e2e.lab", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (gui->recipe_buttons->len, ==, g_strv_length (shipped));
  check_page (LAB_GUI_PAGE_RECIPES, "recipes");
  /* a card: the lab is chosen and the resources page comes */
  click (gui->recipe_buttons->pdata[0]);
  g_assert_nonnull (gui->recipe);
  g_assert_true (gtk_stack_get_visible_child (gui->stack) == gui->page_widgets[LAB_GUI_PAGE_RESOURCES]);
  /* "open recipe": the container lab of the tests, with a guest */
  g_assert_true (lab_gui_set_recipe (gui, e2e, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (gui->recipe->name, ==, "e2e");
}

static void
test_resources (void)
{
  g_autofree char *saved = NULL;
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_auto(LabTestRun) v;

  /* bounded by the host check: 8 CPUs */
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (gui->res_vcpus), 64);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (gui->res_vcpus)), ==, 8);
  /* overcommitted: 8 nodes of 8 vCPUs on 8 CPUs */
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (gui->res_nodes), 8);
  g_assert_true (gtk_widget_get_visible (gui->res_warning));
  check_page (LAB_GUI_PAGE_RESOURCES, "resources-overcommitted");
  /* what the lab saves: 3 nodes of 2 vCPUs, 512 MiB, 8 MiB */
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (gui->res_nodes), 3);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (gui->res_vcpus), 2);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (gui->res_memory), 512);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (gui->res_disk), 8);
  g_assert_false (gtk_widget_get_visible (gui->res_warning));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (gui->res_total)), "6"));
  check_page (LAB_GUI_PAGE_RESOURCES, "resources");

  click (gui->res_save);   /* saves, goes on to the plan and asks labctl */
  saved = g_strdup (gui->recipe_path);
  g_assert_true (g_str_has_prefix (saved, tmp_dir));
  g_assert_true (g_key_file_load_from_file (kf, saved, 0, NULL));
  g_assert_cmpint (g_key_file_get_integer (kf, "nodes", "count", NULL), ==, 3);
  g_assert_cmpint (g_key_file_get_integer (kf, "nodes", "memory", NULL), ==, 512);
  /* the CLI takes it */
  lab_test_run_labctl (&v, "recipe", "validate", saved, NULL);
  g_assert_cmpint (v.status, ==, 0);
  g_assert_cmpuint (gui->recipe->nodes->len, ==, 3);
}

static void
test_plan (void)
{
  wait_children ();
  /* e2e with 3 nodes: check, bridge, storage (7), 3 netns, 3 libvirtd, guests, ready */
  g_assert_cmpuint (gui->plan_titles->len, >, 12);
  g_assert_cmpuint (n_children (gui->plan_list), ==, gui->plan_titles->len);
  g_assert_true (gui->unlocked[LAB_GUI_PAGE_BUILD]);
  check_page (LAB_GUI_PAGE_PLAN, "plan");
}

static void
test_build (void)
{
  guint waiting = 0;

  g_assert_cmpuint (gui->build_rows->len, ==, gui->plan_titles->len);
  click (gui->build_rehearse);   /* a real `labctl up --progress=json --dry-run` child */
  g_assert_false (gtk_widget_is_sensitive (gui->build_start));
  wait_children ();
  g_assert_cmpint (gui->build_exit, ==, 0);
  for (guint i = 0; i < gui->build_rows->len; i++)
    if (g_strcmp0 (adw_action_row_get_subtitle (gui->build_rows->pdata[i]), "waiting") == 0)
      waiting++;
  g_assert_cmpuint (waiting, ==, 0);
  g_assert_cmpfloat (gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (gui->build_progress)), ==, 1.0);
  g_assert_true (gtk_widget_is_sensitive (gui->build_start));
  g_assert_true (gui->unlocked[LAB_GUI_PAGE_STAND]);
  check_page (LAB_GUI_PAGE_BUILD, "build");
}

static void
test_stand (void)
{
  click (gui->stand_refresh);   /* `labctl status --json` */
  wait_children ();
  g_assert_true (gui->stand_loaded);
  g_assert_cmpuint (n_children (gui->stand_nodes), ==, 3);
  g_assert_cmpuint (n_children (gui->stand_storage), ==, 4);
  g_assert_cmpuint (n_children (gui->stand_guests), ==, 1);
  /* not up: nothing to reset or remove */
  g_assert_false (gtk_widget_is_sensitive (gui->stand_down));
  check_page (LAB_GUI_PAGE_STAND, "stand");
}

/* one line of the stream, as lab-gui-child.c hands it over */
static void G_GNUC_PRINTF (1, 2)
feed_event (const char *format, ...)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *line = NULL;
  va_list ap;

  va_start (ap, format);
  line = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_assert_true (json_parser_load_from_data (parser, line, -1, NULL));
  lab_gui_experiment_event (gui, json_node_get_object (json_parser_get_root (parser)));
}

static void
test_experiment (void)
{
  g_autofree char *path = g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", "gui", "migrate-result.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *result, *timeline;
  JsonArray *points;
  guint n;

  /* the lab is not up: the page says what comes here */
  check_page (LAB_GUI_PAGE_EXPERIMENT, "experiment-empty");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (gui->page_widgets[LAB_GUI_PAGE_EXPERIMENT])), ==,
                   "status");

  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  result = json_node_get_object (json_parser_get_root (parser));
  timeline = json_object_get_object_member (result, "timeline");
  points = json_object_get_array_member (timeline, "samples");
  n = json_array_get_length (points);

  /* live, as `experiment migrate --progress=json` streams it: the first
   * half of the pings and the migration's start, drawn as they come */
  feed_event ("{\"event\":\"phase\",\"label\":\"migration starts\",\"offset_us\":%lld}",
              (long long) json_object_get_int_member (timeline, "migration_start_us"));
  for (guint i = 0; i < n / 2; i++)
    {
      JsonArray *p = json_array_get_array_element (points, i);

      feed_event ("{\"event\":\"sample\",\"seq\":%u,\"offset_us\":%lld,\"rtt_us\":%lld}", i,
                  (long long) json_array_get_int_element (p, 0), (long long) json_array_get_int_element (p, 1));
    }
  g_assert_cmpuint (gui->exp_samples->len, ==, n / 2);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (gui->page_widgets[LAB_GUI_PAGE_EXPERIMENT])), ==,
                   "content");
  g_assert_cmpint (gui->exp_start_us, ==, json_object_get_int_member (timeline, "migration_start_us"));
  check_page (LAB_GUI_PAGE_EXPERIMENT, "experiment-live");

  /* then the result: every ping, both phases, the table */
  {
    g_autofree char *doc = json_to_string (json_parser_get_root (parser), FALSE);
    g_autofree char *line = g_strdup_printf ("{\"event\":\"result\",\"ok\":true,\"exit_code\":0,\"json\":%s}", doc);
    g_autoptr(JsonParser) p = json_parser_new ();

    g_assert_true (json_parser_load_from_data (p, line, -1, NULL));
    lab_gui_experiment_event (gui, json_node_get_object (json_parser_get_root (p)));
  }
  g_assert_cmpuint (gui->exp_samples->len, ==, n);
  g_assert_cmpuint (n_children (gui->exp_phases), ==, 6);
  g_assert_true (gtk_widget_is_sensitive (gui->exp_save));
  check_page (LAB_GUI_PAGE_EXPERIMENT, "experiment");
}

int
main (int argc, char **argv)
{
  g_autoptr(AdwApplication) app = NULL;
  g_autofree char *sysroot = g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", "hosts", "intel-nested", NULL);
  g_autofree char *state = NULL;
  const char *language = g_getenv ("LANGUAGE");
  int status;

  /* before GLib reads them (it keeps the user's directories) */
  tmp_dir = g_dir_make_tmp ("labctl-gui-XXXXXX", NULL);
  state = g_build_filename (tmp_dir, "state", NULL);
  g_setenv ("LABCTL_SYSROOT", sysroot, TRUE);
  g_setenv ("LABCTL_LIBVIRT_URI", "test:///default", TRUE);
  g_setenv ("LABCTL_STATE_DIR", state, TRUE);
  g_setenv ("XDG_DATA_HOME", tmp_dir, TRUE);
  lab_i18n_init ();
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_test_set_nonfatal_assertions ();
  lang = language != NULL && g_str_has_prefix (language, "ru") ? "ru" : "en";

  app = adw_application_new (LAB_GUI_APP_ID, G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  gui = lab_gui_new (GTK_APPLICATION (app));
  gtk_window_present (gui->window);

  /* in order: each page needs the one before it */
  g_test_add_func ("/gui/checkers", test_checkers);
  g_test_add_func ("/gui/installed-files", test_installed_files);
  g_test_add_func ("/gui/check", test_check);
  g_test_add_func ("/gui/recipes", test_recipes);
  g_test_add_func ("/gui/resources", test_resources);
  g_test_add_func ("/gui/plan", test_plan);
  g_test_add_func ("/gui/build", test_build);
  g_test_add_func ("/gui/stand", test_stand);
  g_test_add_func ("/gui/experiment", test_experiment);
  status = g_test_run ();

  gtk_window_destroy (gui->window);
  lab_gui_free (gui);
  lab_test_remove_tree (tmp_dir);
  return status;
}
