/* lab-gui-plan.c: the What will happen page: `labctl up --dry-run` of the
 * chosen lab, its commands grouped per step (the teaching view). Read
 * from the child's --progress=json stream: the same preview the CLI
 * gives, with the host check run for real. */
#include "config.h"

#include "lab-gui.h"
#include "lab-gui-child.h"

#include "lab-i18n.h"

static GtkWidget *
current_step (LabGui *gui)
{
  GtkWidget *last = gtk_widget_get_last_child (gui->plan_list);

  return last != NULL ? g_object_get_data (G_OBJECT (last), "expander") : NULL;
}

static void
on_event (JsonObject *event, gpointer user_data)
{
  LabGui *gui = user_data;
  const char *name = json_object_get_string_member_with_default (event, "event", "");
  const char *title = json_object_get_string_member_with_default (event, "title", "");
  GtkWidget *step = current_step (gui);

  if (g_str_equal (name, "step-started"))
    {
      GtkWidget *row = adw_expander_row_new ();
      g_autofree char *head = g_strdup_printf ("%d. %s", (int) json_object_get_int_member (event, "index") + 1, title);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), head);
      lab_gui_a11y_label (row, head);
      g_object_set_data (G_OBJECT (row), "expander", row);
      /* the first step open: the page shows commands at once */
      adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row), gui->plan_titles->len == 0);
      gtk_list_box_append (GTK_LIST_BOX (gui->plan_list), row);
      g_ptr_array_add (gui->plan_titles, g_strdup (title));
    }
  else if ((g_str_equal (name, "command") || g_str_equal (name, "info")) && step != NULL)
    {
      const char *text = json_object_get_string_member_with_default (event, "text", "");

      adw_expander_row_add_row (ADW_EXPANDER_ROW (step), g_str_equal (name, "command")
                                ? lab_gui_command_row_new (gui, title, text)
                                : lab_gui_wrap_label_new (text, "dim-label"));
    }
  else if (g_str_equal (name, "step-failed") && step != NULL)
    {
      GtkWidget *message = lab_gui_wrap_label_new (json_object_get_string_member_with_default (event, "message", ""),
                                                   "error");

      gtk_widget_set_margin_start (message, 12);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (step), message);
      adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (step), _("would fail now"));
      adw_expander_row_set_expanded (ADW_EXPANDER_ROW (step), TRUE);
      gtk_widget_add_css_class (step, "error");
    }
  else if (g_str_equal (name, "error"))
    lab_gui_toast_error (gui, json_object_get_string_member_with_default (event, "message", ""), NULL);
}

static void
on_done (int status, const char *err, gpointer user_data)
{
  LabGui *gui = user_data;
  g_autofree char *text = NULL;

  gui->n_running--;
  if (gui->plan_titles->len == 0)
    {
      gtk_label_set_text (GTK_LABEL (gui->plan_status), err);
      lab_gui_toast_error (gui, err, NULL);
      return;
    }
  text = g_strdup_printf (ngettext ("%u step. Open one to see the commands it runs; each can be copied.",
                                    "%u steps. Open one to see the commands it runs; each can be copied.",
                                    gui->plan_titles->len), gui->plan_titles->len);
  gtk_label_set_text (GTK_LABEL (gui->plan_status), text);
  lab_gui_build_reset_rows (gui);
  lab_gui_unlock (gui, LAB_GUI_PAGE_BUILD);
}

void
lab_gui_plan_run (LabGui *gui)
{
  const char *args[] = { "up", "--dry-run", "--recipe", gui->recipe_path, NULL };
  g_autoptr(GError) error = NULL;

  lab_gui_show_content (gui->page_widgets[LAB_GUI_PAGE_PLAN]);
  lab_gui_list_clear (gui->plan_list);
  g_ptr_array_set_size (gui->plan_titles, 0);
  gtk_label_set_text (GTK_LABEL (gui->plan_status), _("Asking labctl…"));
  if (lab_gui_child_start (args, FALSE, on_event, on_done, gui, &error) == NULL)
    {
      lab_gui_toast_error (gui, error->message, NULL);
      return;
    }
  gui->n_running++;
}

static void
on_next (GtkButton *button, gpointer user_data)
{
  lab_gui_show_page (user_data, LAB_GUI_PAGE_BUILD);
}

GtkWidget *
lab_gui_plan_page_new (LabGui *gui)
{
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *group = lab_gui_group_new (page, _("What will happen"),
                                        _("Every step of the build and the commands it runs, as you would type "
                                          "them yourself. Nothing has been changed yet."));
  GtkWidget *next = lab_gui_action_button_new (gui, _("Go to the build"), "suggested-action", G_CALLBACK (on_next));

  gui->plan_titles = g_ptr_array_new_with_free_func (g_free);
  gui->plan_status = lab_gui_wrap_label_new (_("Save the resources first."), NULL);
  gui->plan_list = lab_gui_boxed_list_new ();
  gtk_widget_set_margin_top (gui->plan_list, 12);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), gui->plan_status);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), gui->plan_list);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), lab_gui_button_bar_new (next, NULL));
  return lab_gui_with_status (page, "view-list-symbolic", _("Nothing planned yet"),
                              _("Choose a lab and save its resources: this page then shows every step of "
                                "the build and the commands it runs."));
}
