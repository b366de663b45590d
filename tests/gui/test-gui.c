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

#include "gui-test-util.h"
#include "lab-gui.h"
#include "lab-gui-child.h"
#include "lab-i18n.h"
#include "lab-test-cli.h"
#include "lab-test-fs.h"


/* The checks of gui-test-util.c find what they look for: a cut label, a
 * label wider than the window, a button nobody named and a missing icon,
 * in a window of their own. */
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
  gtk_box_append (GTK_BOX (box), gtk_label_new ("a label that does not wrap, wider than the window"));
  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_window_set_default_size (GTK_WINDOW (window), 80, 60);
  gtk_window_set_resizable (GTK_WINDOW (window), FALSE);
  gtk_window_present (GTK_WINDOW (window));
  gtk_test_widget_wait_for_draw (window);
  settle ();
  check_labels (window, problems);
  check_a11y (window, problems);
  check_fits (GTK_WINDOW (window), problems);
  g_test_message ("%s", problems->str);
  g_assert_nonnull (strstr (problems->str, "label cut"));
  g_assert_nonnull (strstr (problems->str, "GtkButton without an accessible label"));
  g_assert_nonnull (strstr (problems->str, "icon no-such-icon-symbolic is not in the theme"));
  /* the ellipsized label fits; the one that does not wrap does not */
  g_assert_nonnull (strstr (problems->str, "more than the 80 it opens with"));
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

/* The command line of a child: pkexec in front of a privileged verb for
 * anyone but root; root (and any unprivileged verb) runs labctl itself. */
static void
test_child_argv (void)
{
  static const char * const args[] = { "up", "--recipe", "x.lab", NULL };
  const char *labctl = lab_gui_child_labctl ();
  g_auto(GStrv) user = lab_gui_child_argv (args, TRUE, 1000);
  g_auto(GStrv) root = lab_gui_child_argv (args, TRUE, 0);
  g_auto(GStrv) plain = lab_gui_child_argv (args, FALSE, 1000);

  g_assert_cmpuint (g_strv_length (user), ==, 6);
  g_assert_cmpstr (user[0], ==, "pkexec");
  g_assert_cmpstr (user[1], ==, labctl);
  g_assert_cmpstr (user[2], ==, "up");
  g_assert_cmpstr (user[5], ==, "--progress=json");
  g_assert_cmpuint (g_strv_length (root), ==, 5);
  g_assert_cmpstr (root[0], ==, labctl);
  g_assert_cmpstr (root[4], ==, "--progress=json");
  g_assert_cmpuint (g_strv_length (plain), ==, 5);
  g_assert_cmpstr (plain[0], ==, labctl);
  /* pkexec needs an absolute path: polkit matches the action on it */
  g_assert_true (g_path_is_absolute (labctl));
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

/* A host without /dev/kvm: the check says to take the container lab, and
 * the Choose a lab page shows it first, recommended, the others needing
 * KVM. Then the check again on the host with KVM (the pages below). */
static void
test_check_no_kvm (void)
{
  g_autofree char *no_kvm = g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", "hosts", "no-devkvm", NULL);
  g_autofree char *nested = g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", "hosts", "intel-nested", NULL);
  GtkFlowBox *cards = GTK_FLOW_BOX (gui->recipe_cards);
  GtkWidget *first;
  GtkLabel *badge;

  g_setenv ("LABCTL_SYSROOT", no_kvm, TRUE);
  click (gui->check_run);
  g_assert_true (gui->no_kvm);
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (gui->check_summary)), _("Choose the container lab on the next page: it needs no KVM.")));
  first = gtk_flow_box_child_get_child (gtk_flow_box_get_child_at_index (cards, 0));
  g_assert_cmpstr (g_object_get_data (G_OBJECT (first), "recipe"), ==, "container-3node");
  badge = g_object_get_data (G_OBJECT (first), "badge");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (badge)));
  g_assert_cmpstr (gtk_label_get_text (badge), ==, _("Recommended for this computer: it needs no KVM."));
  for (guint i = 1; gtk_flow_box_get_child_at_index (cards, i) != NULL; i++)
    {
      GtkWidget *other = gtk_flow_box_child_get_child (gtk_flow_box_get_child_at_index (cards, i));

      g_assert_cmpstr (gtk_label_get_text (g_object_get_data (G_OBJECT (other), "badge")), ==,
                       _("Needs KVM, which this computer lacks (see the host check)."));
    }
  check_page (LAB_GUI_PAGE_CHECK, "check-no-kvm");
  check_page (LAB_GUI_PAGE_RECIPES, "recipes-no-kvm");

  g_setenv ("LABCTL_SYSROOT", nested, TRUE);
  click (gui->check_run);
  g_assert_false (gui->no_kvm);
  badge = g_object_get_data (G_OBJECT (first), "badge");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (badge)));
  /* back in the shipped order */
  first = gtk_flow_box_child_get_child (gtk_flow_box_get_child_at_index (cards, 0));
  g_assert_true (first == gui->recipe_buttons->pdata[0]);
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
  /* the ping downtime as lab_probe_result_to_json writes it (downtime_ms) */
  {
    g_autofree char *want = g_strdup_printf (_("%.1f ms"), 70.412);
    GtkWidget *row = gtk_widget_get_first_child (gui->exp_phases);

    for (guint i = 0; i < 3 && row != NULL; i++)
      row = gtk_widget_get_next_sibling (row);
    g_assert_nonnull (row);
    if (row != NULL)
      g_assert_cmpstr (gtk_label_get_text (g_object_get_data (G_OBJECT (row), "value")), ==, want);
  }
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
  lang = language != NULL && g_str_has_prefix (language, "ru") ? "ru" : "en";
  app = open_window (&argc, &argv);

  /* in order: each page needs the one before it */
  g_test_add_func ("/gui/checkers", test_checkers);
  g_test_add_func ("/gui/installed-files", test_installed_files);
  g_test_add_func ("/gui/child-argv", test_child_argv);
  g_test_add_func ("/gui/check-no-kvm", test_check_no_kvm);
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
