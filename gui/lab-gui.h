/* lab-gui.h: labctl-gui, the student's wizard over the same core as the
 * CLI: host check, choose a lab, resources, what will happen, build, the
 * stand, experiments. One window (LabGui) with a sidebar of pages; each
 * page is built by its own file (lab-gui-<page>.c) and keeps its widgets
 * in the LabGui struct, where the tests reach them too.
 *
 * GTK never runs as root: privileged work is `pkexec labctl ...`
 * (lab-gui-child.c), whose --progress=json stream the pages read.
 */
#pragma once

#include <adwaita.h>
#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

#include "lab-recipe.h"
#include "lab-stand-experiment.h"
#include "lab-stand-host.h"

G_BEGIN_DECLS

#define LAB_GUI_APP_ID "example.labctl.Gui"

typedef enum {
  LAB_GUI_PAGE_CHECK,
  LAB_GUI_PAGE_RECIPES,
  LAB_GUI_PAGE_RESOURCES,
  LAB_GUI_PAGE_PLAN,
  LAB_GUI_PAGE_BUILD,
  LAB_GUI_PAGE_STAND,
  LAB_GUI_PAGE_EXPERIMENT,
  LAB_GUI_N_PAGES
} LabGuiPage;

typedef struct _LabGuiChild LabGuiChild;

typedef struct {
  GtkWindow       *window;
  AdwToastOverlay *toasts;
  AdwWindowTitle  *title;
  GtkStack        *stack;
  GtkListBox      *sidebar;
  GtkWidget       *page_widgets[LAB_GUI_N_PAGES];
  GtkWidget       *sidebar_rows[LAB_GUI_N_PAGES];
  gboolean         unlocked[LAB_GUI_N_PAGES];

  /* the lab: the recipe chosen (a file the CLI accepts), and as loaded */
  char            *recipe_path;
  LabRecipe       *recipe;
  LabHostFacts     facts;       /* from the last host check */
  /* the last host check failed a kvm.* check: only the container flavor
   * runs here (the recipes page recommends it) */
  gboolean         no_kvm;

  /* host check */
  AdwPreferencesGroup *check_group;
  GtkWidget       *check_rows;       /* GtkListBox of the results */
  GtkWidget       *check_run;
  GtkWidget       *check_next;
  GtkWidget       *check_summary;

  /* choose a lab */
  GtkWidget       *recipe_cards;     /* GtkFlowBox */
  GPtrArray       *recipe_buttons;   /* GtkButton per shipped recipe */
  GtkWidget       *recipe_open;

  /* resources */
  GtkWidget       *res_nodes, *res_vcpus, *res_memory, *res_disk;  /* GtkSpinButton */
  GtkWidget       *res_total;
  GtkWidget       *res_warning;
  GtkWidget       *res_save;
  GtkWidget       *res_saved_path;

  /* what will happen */
  GtkWidget       *plan_list;        /* GtkListBox of AdwExpanderRow, one per step */
  GtkWidget       *plan_status;
  GPtrArray       *plan_titles;      /* step titles, in order */

  /* build */
  GtkWidget       *build_list;       /* GtkListBox, a row per step */
  GPtrArray       *build_rows;       /* AdwActionRow per step */
  GtkWidget       *build_progress;
  GtkWidget       *build_log;        /* GtkLabel: the current step's lines */
  GtkWidget       *build_start, *build_rehearse, *build_cancel;
  GtkWidget       *build_error;      /* GtkLabel: what the core wrote */
  GtkWidget       *build_show_log;   /* GtkLinkButton to labctl.log */
  LabGuiChild     *build_child;
  int              build_exit;       /* -1 while running or never run */
  gboolean         build_dry_run;
  gboolean         build_cancelled;  /* the student pressed Cancel */

  /* stand */
  GtkWidget       *stand_nodes, *stand_storage, *stand_guests;   /* GtkListBox */
  GtkWidget       *stand_refresh, *stand_reset, *stand_down;
  GtkWidget       *stand_state;
  gboolean         stand_loaded;

  /* experiments */
  GtkWidget       *exp_area;         /* GtkDrawingArea: lab_plot_draw */
  GtkWidget       *exp_migrate, *exp_save;
  GtkWidget       *exp_phases;       /* GtkListBox: the phase table */
  GArray          *exp_samples;      /* LabProbeSample */
  gint64           exp_start_us, exp_end_us;
  char            *exp_title;

  /* the error toast shown (it stays until dismissed): dismissed when
   * the student starts again */
  AdwToast        *error_toast;

  /* children running (LabGuiChild *), for the tests to wait on */
  guint            n_running;
} LabGui;

LabGui     *lab_gui_new               (GtkApplication *app);
void        lab_gui_free              (LabGui *gui);
void        lab_gui_show_page         (LabGui *gui, LabGuiPage page);
/* Makes page reachable from the sidebar (the step before it is done). */
void        lab_gui_unlock            (LabGui *gui, LabGuiPage page);
/* An error as the core wrote it, as a toast (log: the "show log" path or NULL). */
void        lab_gui_toast_error       (LabGui *gui, const char *message, const char *log);
void        lab_gui_toast             (LabGui *gui, const char *message);
/* Takes the error toast away (a new attempt begins). */
void        lab_gui_dismiss_error     (LabGui *gui);
/* The lab to work on: loads it, refreshes the pages that depend on it. */
gboolean    lab_gui_set_recipe        (LabGui *gui, const char *path, GError **error);

/* helpers the pages share (lab-gui.c) */
/* Sets the accessible label of an interactive widget (marked for the
 * test that every one has a label). */
void        lab_gui_a11y_label        (GtkWidget *widget, const char *label);
/* A button with a text label (and its accessible label); style: a CSS
 * class or NULL. */
GtkWidget  *lab_gui_button_new       (const char *label, const char *style);
/* A row with a command to type: shown monospace, selectable, and a copy
 * button that puts it on the clipboard. */
GtkWidget  *lab_gui_command_row_new  (LabGui *gui, const char *title, const char *command);
void        lab_gui_list_clear        (GtkWidget *list_box);
/* A boxed list (rows in a card), nothing selectable. */
GtkWidget  *lab_gui_boxed_list_new    (void);
/* A preferences group added to page, with its title and description (may be NULL). */
GtkWidget  *lab_gui_group_new         (GtkWidget *page, const char *title, const char *description);
/* lab_gui_button_new + its "clicked" handler (user data: gui). */
GtkWidget  *lab_gui_action_button_new (LabGui *gui, const char *label, const char *style, GCallback clicked);
/* The buttons, NULL-terminated, in a row at the end of the line. */
GtkWidget  *lab_gui_button_bar_new    (GtkWidget *first, ...) G_GNUC_NULL_TERMINATED;
/* content, or in its place a status page (the HIG's empty state) until
 * lab_gui_show_content(): for a page with nothing to show yet. */
GtkWidget  *lab_gui_with_status       (GtkWidget *content, const char *icon, const char *title,
                                       const char *description);
void        lab_gui_show_content      (GtkWidget *with_status);
/* A string member; NULL when missing, null or no string. */
const char *lab_gui_json_string       (JsonObject *object, const char *member);
/* A label that wraps (never cut): for messages of any length. */
GtkWidget  *lab_gui_wrap_label_new    (const char *text, const char *style);

/* the pages (lab-gui-<page>.c): build, and what their buttons do */
GtkWidget  *lab_gui_check_page_new      (LabGui *gui);
void        lab_gui_check_run           (LabGui *gui);
GtkWidget  *lab_gui_recipes_page_new    (LabGui *gui);
/* Marks the cards after a host check: without KVM the container flavor's
 * come first, "recommended", the others say they need KVM. */
void        lab_gui_recipes_recommend   (LabGui *gui);
GtkWidget  *lab_gui_resources_page_new  (LabGui *gui);
void        lab_gui_resources_load      (LabGui *gui);
/* Writes the recipe with the rows' sizes under the user's data dir; the path. */
char       *lab_gui_resources_save      (LabGui *gui, GError **error);
GtkWidget  *lab_gui_plan_page_new       (LabGui *gui);
void        lab_gui_plan_run            (LabGui *gui);
GtkWidget  *lab_gui_build_page_new      (LabGui *gui);
/* dry_run: a rehearsal (no privileges, nothing changes) */
void        lab_gui_build_run           (LabGui *gui, gboolean dry_run);
void        lab_gui_build_reset_rows    (LabGui *gui);
GtkWidget  *lab_gui_stand_page_new      (LabGui *gui);
void        lab_gui_stand_refresh       (LabGui *gui);
/* `labctl status --json` as the page shows it */
void        lab_gui_stand_show          (LabGui *gui, JsonObject *status);
GtkWidget  *lab_gui_experiment_page_new (LabGui *gui);
/* A migration result (`experiment migrate --json`) on the page. */
void        lab_gui_experiment_show     (LabGui *gui, JsonObject *result);
void        lab_gui_experiment_clear    (LabGui *gui);
/* One event of the experiment's --progress=json stream: "sample" and
 * "phase" draw the timeline live, "result" shows the figures. */
void        lab_gui_experiment_event    (LabGui *gui, JsonObject *event);
void        lab_gui_experiment_add_sample (LabGui *gui, const LabProbeSample *sample);

G_END_DECLS
