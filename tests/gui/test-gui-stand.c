/* test-gui-stand.c: the student's whole path through labctl-gui, for real
 * (root; suite e2e): the host check of this machine, the container lab's
 * card (recipes/container-3node.lab as installed, with its tiny guest),
 * two nodes on the Resources page, the plan, a real `labctl up` started
 * from the Build page and cancelled in the middle (the child stops, the
 * state keeps what was done), the build again (it resumes: what was done
 * is not done again), the Stand page (nodes and the guest running), a real
 * live migration from the Experiments page (the downtime measured, the
 * ping timeline drawn), and the lab removed with Remove and its
 * confirmation. A screenshot of every step in
 * $LABCTL_SCREENSHOT_DIR/stand-<n>-<step>.png.
 *
 * The GUI runs as root here (a container stand needs root), so its
 * privileged children run labctl directly (lab_gui_child_argv: root needs
 * no pkexec). The lab is this test's own: a copy of the shipped recipe with
 * the keys that must be unique per run rewritten (lab name, volume group,
 * subnet, ports), in a data dir laid out as meson installs it; its state,
 * LVM configuration and the student's $XDG_DATA_HOME in a scratch dir. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "gui-test-util.h"
#include "lab-gui.h"
#include "lab-i18n.h"
#include "lab-test-cli.h"
#include "lab-test-fs.h"
#include "stand-test-util.h"

#define RECIPE "container-3node"

static char *lab;             /* gui<pid> */
static char *state_dir;       /* LABCTL_STATE_DIR/<lab> */
static char *saved_recipe;    /* what the Resources page saved */
static guint n_done_before_cancel;
static guint shot;            /* screenshots so far */

static void
screenshot (const char *name)
{
  g_autofree char *file = g_strdup_printf ("stand-%u-%s.png", ++shot, name);
  g_autofree char *path = NULL;
  g_autoptr(GString) problems = g_string_new (NULL);
  GtkWidget *page = gtk_stack_get_visible_child (gui->stack);

  settle ();
  gtk_test_widget_wait_for_draw (GTK_WIDGET (gui->window));
  path = save_screenshot (GTK_WIDGET (gui->window), file, NULL);
  check_labels (page, problems);
  check_a11y (page, problems);
  if (problems->len > 0)
    {
      g_test_message ("%s:\n%s", name, problems->str);
      g_test_fail ();
    }
}

/* Runs the main loop until cond (or seconds). */
static gboolean
wait_until (gboolean (*cond) (void), guint seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;

  while (!cond () && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (10000);
  return cond ();
}

static guint
rows_with (const char *subtitle)
{
  guint n = 0;

  for (guint i = 0; i < gui->build_rows->len; i++)
    if (g_strcmp0 (adw_action_row_get_subtitle (gui->build_rows->pdata[i]), subtitle) == 0)
      n++;
  return n;
}

/* steps of the state file with this status */
static guint
state_steps (const char *status)
{
  g_autofree char *path = g_build_filename (state_dir, "state.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *steps;
  g_autoptr(GList) ids = NULL;
  guint n = 0;

  if (!json_parser_load_from_file (parser, path, NULL))
    return 0;
  steps = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "steps");
  ids = steps != NULL ? json_object_get_members (steps) : NULL;
  for (GList *l = ids; l != NULL; l = l->next)
    if (g_strcmp0 (json_object_get_string_member_with_default (json_object_get_object_member (steps, l->data),
                                                               "status", ""), status) == 0)
      n++;
  return n;
}

/* ---- the path ------------------------------------------------------------- */

static void
test_check (void)
{
  GtkWidget *first;

  click (gui->check_run);   /* this machine, for real */
  g_assert_cmpuint (n_children (gui->check_rows), >, 5);
  g_assert_cmpuint (gui->facts.cpus, >, 0);
  g_assert_true (gui->unlocked[LAB_GUI_PAGE_RECIPES]);
  g_test_message ("host check: KVM %s; %s", gui->no_kvm ? "missing" : "present",
                  gtk_label_get_text (GTK_LABEL (gui->check_summary)));
  screenshot ("check");
  click (gui->check_next);
  /* without KVM the container lab comes first, recommended */
  first = gtk_flow_box_child_get_child (gtk_flow_box_get_child_at_index (GTK_FLOW_BOX (gui->recipe_cards), 0));
  if (gui->no_kvm)
    g_assert_cmpstr (g_object_get_data (G_OBJECT (first), "recipe"), ==, RECIPE);
  screenshot ("recipes");
}

static void
test_recipe (void)
{
  GtkWidget *card = NULL;

  for (guint i = 0; i < gui->recipe_buttons->len; i++)
    if (g_strcmp0 (g_object_get_data (G_OBJECT (gui->recipe_buttons->pdata[i]), "recipe"), RECIPE) == 0)
      card = gui->recipe_buttons->pdata[i];
  g_assert_nonnull (card);
  if (card == NULL)
    return;
  click (card);
  g_assert_nonnull (gui->recipe);
  g_assert_cmpstr (gui->recipe->name, ==, lab);
  g_assert_cmpint (gui->recipe->flavor, ==, LAB_FLAVOR_CONTAINER);
  g_assert_true (gtk_stack_get_visible_child (gui->stack) == gui->page_widgets[LAB_GUI_PAGE_RESOURCES]);
}

static void
test_resources (void)
{
  g_auto(LabTestRun) v;

  /* two nodes: enough to migrate, and the shortest build */
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (gui->res_nodes), 2);
  screenshot ("resources");
  click (gui->res_save);
  saved_recipe = g_strdup (gui->recipe_path);
  g_assert_true (g_str_has_prefix (saved_recipe, tmp_dir));
  lab_test_run_labctl (&v, "recipe", "validate", saved_recipe, NULL);
  g_assert_cmpint (v.status, ==, 0);
  g_assert_cmpuint (gui->recipe->nodes->len, ==, 2);
  wait_children ();
  g_assert_true (gui->unlocked[LAB_GUI_PAGE_BUILD]);
  g_assert_cmpuint (gui->plan_titles->len, >, 8);
  screenshot ("plan");
}

static gboolean
two_steps_done (void)
{
  return rows_with ("done") >= 2 || gui->build_exit >= 0;
}

static gboolean
build_over (void)
{
  return gui->build_child == NULL;
}

static void
test_build_cancel (void)
{
  g_autofree char *needle = g_strdup_printf ("--recipe %s", saved_recipe);
  g_auto(LabTestRun) st;

  lab_gui_show_page (gui, LAB_GUI_PAGE_BUILD);
  click (gui->build_start);   /* a real `labctl up`: root runs it without pkexec */
  g_assert_true (gtk_widget_is_sensitive (gui->build_cancel));
  g_assert_true (wait_until (two_steps_done, 120));
  g_assert_cmpint (gui->build_exit, ==, -1);   /* still building */
  screenshot ("build-running");
  click (gui->build_cancel);
  g_assert_true (wait_until (build_over, 60));
  /* the child stopped (it says it was cancelled), nothing of it runs on */
  g_assert_cmpint (gui->build_exit, ==, 130);
  g_assert_false (stand_test_process_with (needle));
  g_assert_false (gtk_widget_is_sensitive (gui->build_cancel));
  g_assert_true (gtk_widget_is_sensitive (gui->build_start));
  /* no error toast for a stop the student asked for; the page has the
   * core's words on where it stopped */
  g_assert_null (gui->error_toast);
  g_assert_true (gtk_widget_get_visible (gui->build_error));
  g_test_message ("the page says: %s", gtk_label_get_text (GTK_LABEL (gui->build_error)));
  n_done_before_cancel = rows_with ("done");
  g_test_message ("cancelled after %u steps done; state file: %u done", n_done_before_cancel, state_steps ("done"));
  g_assert_cmpuint (n_done_before_cancel, >=, 2);
  g_assert_cmpuint (n_done_before_cancel, <, gui->build_rows->len);
  /* the state keeps what was done, and the lab is not locked */
  g_assert_cmpuint (state_steps ("done"), >=, n_done_before_cancel);
  lab_test_run_labctl (&st, "status", "--recipe", saved_recipe, NULL);
  g_assert_cmpint (st.status, ==, 3);   /* not up (LAB_EXIT_NOT_UP), and not busy */
  screenshot ("build-cancelled");
}

static void
test_build_resume (void)
{
  gint64 start = g_get_monotonic_time ();

  click (gui->build_start);
  g_assert_true (wait_until (build_over, 400));
  g_test_message ("the build resumed and finished in %.1f s", (g_get_monotonic_time () - start) / 1e6);
  g_assert_cmpint (gui->build_exit, ==, 0);
  /* what the cancelled build did was not done again */
  g_test_message ("%u steps done before, %u done now", rows_with ("done before"), rows_with ("done"));
  g_assert_cmpuint (rows_with ("done before"), >=, n_done_before_cancel);
  g_assert_cmpuint (rows_with ("done before") + rows_with ("done"), ==, gui->build_rows->len);
  g_assert_true (gui->unlocked[LAB_GUI_PAGE_STAND]);
  screenshot ("build-done");
}

static void
test_stand (void)
{
  GtkWidget *guest;

  lab_gui_show_page (gui, LAB_GUI_PAGE_STAND);
  click (gui->stand_refresh);
  wait_children ();
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (gui->stand_state)), ==, _("The lab is up and every part answers."));
  g_assert_cmpuint (n_children (gui->stand_nodes), ==, 2);
  g_assert_cmpuint (n_children (gui->stand_guests), ==, 1);
  guest = gtk_widget_get_first_child (gui->stand_guests);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (guest)), _("running")));
  g_assert_null (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (guest)), _("not running")));
  g_assert_true (gtk_widget_is_sensitive (gui->stand_down));
  g_assert_true (gui->unlocked[LAB_GUI_PAGE_EXPERIMENT]);
  screenshot ("stand");
}

static void
test_migrate (void)
{
  gboolean found = FALSE;
  double downtime = 0;

  lab_gui_show_page (gui, LAB_GUI_PAGE_EXPERIMENT);
  click (gui->exp_migrate);   /* a real `labctl experiment migrate` */
  wait_children_for (180);
  g_test_message ("%u pings drawn", gui->exp_samples->len);
  g_assert_cmpuint (gui->exp_samples->len, >, 50);
  g_assert_cmpint (gui->exp_start_us, >, 0);
  g_assert_cmpint (gui->exp_end_us, >, gui->exp_start_us);
  /* before, during, after; the ping downtime; libvirt's downtime and time */
  g_assert_cmpuint (n_children (gui->exp_phases), ==, 6);
  for (GtkWidget *row = gtk_widget_get_first_child (gui->exp_phases); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      const char *title = adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row));
      GtkLabel *value = g_object_get_data (G_OBJECT (row), "value");

      g_test_message ("%s: %s", title, gtk_label_get_text (value));
      if (g_str_equal (title, _("Downtime seen by ping")))
        g_assert_cmpfloat (g_ascii_strtod (gtk_label_get_text (value), NULL), >, 0);
      if (g_str_equal (title, _("Downtime measured by libvirt")))
        {
          /* "N ms", measured: a migration is never free */
          downtime = g_ascii_strtod (gtk_label_get_text (value), NULL);
          found = TRUE;
        }
    }
  g_assert_true (found);
  g_assert_cmpfloat (downtime, >, 0);
  g_assert_true (gtk_widget_is_sensitive (gui->exp_save));
  screenshot ("experiment");
}

static AdwMessageDialog *
find_dialog (void)
{
  GListModel *tops = gtk_window_get_toplevels ();   /* GTK's own */

  for (guint i = 0; i < g_list_model_get_n_items (tops); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (tops, i);

      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return ADW_MESSAGE_DIALOG (w);
    }
  return NULL;
}

static void
test_down (void)
{
  AdwMessageDialog *dialog;
  g_autofree char *file = NULL;
  g_autofree char *shot_path = NULL;

  lab_gui_show_page (gui, LAB_GUI_PAGE_STAND);
  click (gui->stand_down);
  settle ();
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  if (dialog == NULL)
    return;
  gtk_test_widget_wait_for_draw (GTK_WIDGET (dialog));
  file = g_strdup_printf ("stand-%u-down-confirm.png", ++shot);
  shot_path = save_screenshot (GTK_WIDGET (dialog), file, NULL);
  /* nothing happens before the student confirms */
  g_assert_cmpuint (gui->n_running, ==, 0);
  adw_message_dialog_response (dialog, "go");   /* the dialog closes itself */
  wait_children_for (180);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (gui->stand_state)), ==, _("The lab is not up: build it first."));
  g_assert_false (gtk_widget_is_sensitive (gui->stand_down));
  /* nothing of the lab runs on (its daemons run in namespaces named after
   * it), and its state directory is gone */
  g_assert_false (stand_test_process_with (lab));
  g_assert_false (g_file_test (state_dir, G_FILE_TEST_EXISTS));
  screenshot ("down");
}

/* ---- the lab of this test --------------------------------------------------- */

/* work/data: the shipped recipe with this run's unique keys, its tiny guest
 * beside it (as meson installs them) and the other shipped data */
static char *
stage_data_dir (const char *work, GError **error)
{
  g_autofree char *data = g_build_filename (work, "data", NULL);
  g_autofree char *recipes = g_build_filename (data, "recipes", NULL);
  g_autofree char *src = g_build_filename (LABCTL_SOURCE_DIR, "recipes", RECIPE ".lab", NULL);
  g_autofree char *dst = g_build_filename (recipes, RECIPE ".lab", NULL);
  g_autofree char *guest_link = g_build_filename (recipes, "tiny-guest", NULL);
  g_autofree char *prefix = stand_test_subnet_prefix ();
  g_autofree char *subnet = g_strdup_printf ("%s.0/24", prefix);
  g_autofree char *address = g_strdup_printf ("%s.51", prefix);
  g_autofree char *cmdline = g_strdup_printf ("console=ttyS0 quiet guestip=%s/24", address);
  g_autofree char *portal = g_strdup_printf ("%s.1:%u", prefix, (guint) g_random_int_range (40000, 60000));
  g_autofree char *vg = g_strdup_printf ("vg_%s", lab);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  static const char * const shared[] = { "lab-guides", "iso-cache", "labctl" };

  if (g_mkdir_with_parents (recipes, 0755) != 0)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (shared); i++)
    {
      g_autofree char *from = g_build_filename (LABCTL_SOURCE_DIR, shared[i], NULL);
      g_autofree char *to = g_build_filename (data, shared[i], NULL);

      symlink (from, to);
    }
  /* the guest meson made (recipes/meson.build, tiny-guest) */
  if (symlink (LABCTL_BUILD_DIR "/recipes", guest_link) != 0)
    return NULL;
  if (!g_key_file_load_from_file (kf, src, G_KEY_FILE_KEEP_COMMENTS | G_KEY_FILE_KEEP_TRANSLATIONS, error))
    return NULL;
  g_key_file_set_string (kf, "lab", "name", lab);
  g_key_file_set_string (kf, "storage", "vg", vg);
  g_key_file_set_string (kf, "storage", "portal", portal);
  g_key_file_set_integer (kf, "storage", "control-port", g_random_int_range (20000, 32000));
  g_key_file_set_string (kf, "network", "subnet", subnet);
  g_key_file_set_string (kf, "guest tiny", "cmdline", cmdline);
  g_key_file_set_string (kf, "guest tiny", "address", address);
  if (!g_key_file_save_to_file (kf, dst, error))
    return NULL;
  return g_steal_pointer (&data);
}

int
main (int argc, char **argv)
{
  g_autoptr(AdwApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL, *state = NULL, *xdg = NULL;
  int status;

  lab = g_strdup_printf ("gui%u", (guint) getpid () % 100000);
  tmp_dir = g_dir_make_tmp ("labctl-gui-stand-XXXXXX", NULL);
  g_chmod (tmp_dir, 0755);   /* QEMU (libvirt-qemu) reads the guest on the way */
  state = g_build_filename (tmp_dir, "state", NULL);
  state_dir = g_build_filename (state, lab, NULL);
  xdg = g_build_filename (tmp_dir, "xdg", NULL);
  g_setenv ("LABCTL_STATE_DIR", state, TRUE);
  g_setenv ("XDG_DATA_HOME", xdg, TRUE);
  g_unsetenv ("LABCTL_SYSROOT");
  g_unsetenv ("LABCTL_LIBVIRT_URI");
  lang = "en";

  if (geteuid () != 0)
    {
      g_test_init (&argc, &argv, NULL);
      g_test_skip ("a container stand needs root: run as root (sudo meson test -C build e2e-gui)");
      lab_test_remove_tree (tmp_dir);
      return g_test_run ();
    }
  if (!g_file_test (LABCTL_BUILD_DIR "/recipes/vmlinux", G_FILE_TEST_EXISTS))
    {
      g_test_init (&argc, &argv, NULL);
      g_test_skip ("the container lab's guest was not built (no kernel in /boot or no busybox: "
                   "sh scripts/install-deps, then meson compile)");
      lab_test_remove_tree (tmp_dir);
      return g_test_run ();
    }
  data = stage_data_dir (tmp_dir, &error);
  g_assert_no_error (error);
  g_assert_nonnull (data);
  g_setenv ("LABCTL_DATA_DIR", data, TRUE);
  if (!stand_test_lvm_system_dir (tmp_dir, &error))
    g_error ("%s", error->message);

  app = open_window (&argc, &argv);

  /* in order: each step needs the one before it */
  g_test_add_func ("/gui-stand/check", test_check);
  g_test_add_func ("/gui-stand/recipe", test_recipe);
  g_test_add_func ("/gui-stand/resources", test_resources);
  g_test_add_func ("/gui-stand/build-cancel", test_build_cancel);
  g_test_add_func ("/gui-stand/build-resume", test_build_resume);
  g_test_add_func ("/gui-stand/stand", test_stand);
  g_test_add_func ("/gui-stand/migrate", test_migrate);
  g_test_add_func ("/gui-stand/down", test_down);
  status = g_test_run ();

  /* whatever failed: the lab goes (down is idempotent) */
  if (saved_recipe != NULL)
    {
      g_auto(LabTestRun) d;

      lab_test_run_labctl (&d, "down", "--recipe", saved_recipe, NULL);
      if (d.status != 0)
        g_printerr ("labctl down: %s\n", d.err);
    }
  gtk_window_destroy (gui->window);
  lab_gui_free (gui);
  lab_test_remove_tree (tmp_dir);
  return status;
}
