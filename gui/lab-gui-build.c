/* lab-gui-build.c: the Build page: `pkexec labctl up` with its steps as a
 * checklist (status and time), the lines of the step that runs, and a
 * cancel that stops safely (the state is saved: the next build resumes).
 * "Rehearse" runs the same build as a dry run, without privileges. */
#include "config.h"

#include "lab-gui.h"
#include "lab-gui-child.h"

#include "lab-i18n.h"

static GtkWidget *
row_at (LabGui *gui, gint64 index)
{
  if (gui->build_rows == NULL || index < 0 || index >= gui->build_rows->len)
    return NULL;
  return gui->build_rows->pdata[index];
}

static void
set_row (GtkWidget *row, const char *icon, const char *state, const char *time)
{
  GtkImage *image = g_object_get_data (G_OBJECT (row), "icon");
  GtkLabel *label = g_object_get_data (G_OBJECT (row), "time");

  gtk_image_set_from_icon_name (image, icon);
  gtk_accessible_update_property (GTK_ACCESSIBLE (image), GTK_ACCESSIBLE_PROPERTY_LABEL, state, -1);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), state);
  gtk_label_set_text (label, time != NULL ? time : "");
}

void
lab_gui_build_reset_rows (LabGui *gui)
{
  lab_gui_list_clear (gui->build_list);
  g_ptr_array_set_size (gui->build_rows, 0);
  for (guint i = 0; gui->plan_titles != NULL && i < gui->plan_titles->len; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *icon = gtk_image_new ();
      GtkWidget *time = gtk_label_new ("");

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), gui->plan_titles->pdata[i]);
      g_object_set (row, "title-lines", 0, NULL);
      gtk_widget_add_css_class (time, "numeric");
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), time);
      g_object_set_data (G_OBJECT (row), "icon", icon);
      g_object_set_data (G_OBJECT (row), "time", time);
      set_row (row, "content-loading-symbolic", _("waiting"), NULL);
      gtk_list_box_append (GTK_LIST_BOX (gui->build_list), row);
      g_ptr_array_add (gui->build_rows, row);
    }
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (gui->build_progress), 0);
}

static void
log_line (LabGui *gui, const char *text, gboolean clear)
{
  g_autofree char *lines = NULL;
  const char *old = gtk_label_get_text (GTK_LABEL (gui->build_log));

  lines = clear || *old == '\0' ? g_strdup (text) : g_strconcat (old, "\n", text, NULL);
  gtk_label_set_text (GTK_LABEL (gui->build_log), lines);
}

static void
on_event (JsonObject *event, gpointer user_data)
{
  LabGui *gui = user_data;
  const char *name = json_object_get_string_member_with_default (event, "event", "");
  gint64 index = json_object_get_int_member_with_default (event, "index", -1);
  GtkWidget *row = row_at (gui, index);
  double seconds = json_object_get_double_member_with_default (event, "seconds", 0);
  g_autofree char *time = g_strdup_printf (_("%.1f s"), seconds);

  if (g_str_equal (name, "step-started") && row != NULL)
    {
      set_row (row, "media-playback-start-symbolic", _("running"), NULL);
      log_line (gui, json_object_get_string_member_with_default (event, "title", ""), TRUE);
    }
  else if (g_str_equal (name, "step-done") && row != NULL)
    set_row (row, "emblem-ok-symbolic", _("done"), time);
  else if (g_str_equal (name, "step-skipped") && row != NULL)
    set_row (row, "object-select-symbolic", _("done before"), NULL);
  else if (g_str_equal (name, "step-failed") && row != NULL)
    {
      set_row (row, "dialog-error-symbolic", _("failed"), time);
      gtk_label_set_text (GTK_LABEL (gui->build_error),
                          json_object_get_string_member_with_default (event, "message", ""));
      gtk_widget_set_visible (gui->build_error, TRUE);
    }
  else if (g_str_equal (name, "info") || g_str_equal (name, "command"))
    log_line (gui, json_object_get_string_member_with_default (event, "text", ""), FALSE);
  else if (g_str_equal (name, "progress"))
    gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (gui->build_progress),
                                   json_object_get_double_member_with_default (event, "fraction", 0));
  else if (g_str_equal (name, "error"))
    {
      const char *message = json_object_get_string_member_with_default (event, "message", "");
      const char *log = lab_gui_json_string (event, "log");

      gtk_label_set_text (GTK_LABEL (gui->build_error), message);
      gtk_widget_set_visible (gui->build_error, TRUE);
      if (log != NULL)
        {
          g_autofree char *uri = g_filename_to_uri (log, NULL, NULL);

          gtk_link_button_set_uri (GTK_LINK_BUTTON (gui->build_show_log), uri);
          gtk_widget_set_visible (gui->build_show_log, TRUE);
        }
      /* stopped by Cancel: no error to toast, the page says where it stopped */
      if (!gui->build_cancelled)
        lab_gui_toast_error (gui, message, log);
    }
}

static void
set_running (LabGui *gui, gboolean running)
{
  gtk_widget_set_sensitive (gui->build_start, !running);
  gtk_widget_set_sensitive (gui->build_rehearse, !running);
  gtk_widget_set_sensitive (gui->build_cancel, running);
}

static void
on_done (int status, const char *err, gpointer user_data)
{
  LabGui *gui = user_data;

  gui->n_running--;
  gui->build_child = NULL;
  gui->build_exit = status;
  set_running (gui, FALSE);
  if (status != 0 && gui->build_cancelled)
    lab_gui_toast (gui, _("The build stopped. Build again to go on from where it stopped."));
  else if (status == 0)
    {
      lab_gui_toast (gui, gui->build_dry_run ? _("The rehearsal went through every step; nothing was changed.")
                                             : _("The build is complete."));
      lab_gui_unlock (gui, LAB_GUI_PAGE_STAND);
    }
  else if (!gtk_widget_get_visible (gui->build_error) && err != NULL && *err != '\0')
    {
      /* no event said why (pkexec refused, labctl missing): its stderr */
      gtk_label_set_text (GTK_LABEL (gui->build_error), err);
      gtk_widget_set_visible (gui->build_error, TRUE);
      lab_gui_toast_error (gui, err, NULL);
    }
}

void
lab_gui_build_run (LabGui *gui, gboolean dry_run)
{
  const char *args[] = { "up", "--recipe", gui->recipe_path, dry_run ? "--dry-run" : NULL, NULL };
  g_autoptr(GError) error = NULL;

  lab_gui_build_reset_rows (gui);
  gtk_widget_set_visible (gui->build_error, FALSE);
  gtk_widget_set_visible (gui->build_show_log, FALSE);
  gtk_label_set_text (GTK_LABEL (gui->build_log), "");
  gui->build_exit = -1;
  gui->build_dry_run = dry_run;
  gui->build_cancelled = FALSE;
  lab_gui_dismiss_error (gui);
  gui->build_child = lab_gui_child_start (args, !dry_run, on_event, on_done, gui, &error);
  if (gui->build_child == NULL)
    {
      lab_gui_toast_error (gui, error->message, NULL);
      return;
    }
  gui->n_running++;
  set_running (gui, TRUE);
}

static void
on_start (GtkButton *button, gpointer user_data)
{
  lab_gui_build_run (user_data, FALSE);
}

static void
on_rehearse (GtkButton *button, gpointer user_data)
{
  lab_gui_build_run (user_data, TRUE);
}

static void
on_cancel (GtkButton *button, gpointer user_data)
{
  LabGui *gui = user_data;

  gui->build_cancelled = TRUE;
  lab_gui_child_cancel (gui->build_child);
  lab_gui_toast (gui, _("Stopping after the current step; the next build goes on from there."));
}

GtkWidget *
lab_gui_build_page_new (LabGui *gui)
{
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *group = lab_gui_group_new (page, _("Build the lab"),
                                        _("Building needs administrator rights: you will be asked for your "
                                          "password. Rehearse runs the same steps without changing anything."));
  GtkWidget *now = lab_gui_group_new (page, _("Current step"), NULL);

  gui->build_rows = g_ptr_array_new ();
  gui->build_start = lab_gui_action_button_new (gui, _("Build"), "suggested-action", G_CALLBACK (on_start));
  gui->build_rehearse = lab_gui_action_button_new (gui, _("Rehearse"), NULL, G_CALLBACK (on_rehearse));
  gui->build_cancel = lab_gui_action_button_new (gui, _("Cancel"), "destructive-action", G_CALLBACK (on_cancel));
  gtk_widget_set_sensitive (gui->build_cancel, FALSE);
  gui->build_progress = gtk_progress_bar_new ();
  lab_gui_a11y_label (gui->build_progress, _("Build progress"));
  gtk_widget_set_margin_top (gui->build_progress, 12);
  gui->build_list = lab_gui_boxed_list_new ();
  gtk_widget_set_margin_top (gui->build_list, 12);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group),
                             lab_gui_button_bar_new (gui->build_cancel, gui->build_rehearse, gui->build_start, NULL));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), gui->build_progress);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), gui->build_list);

  gui->build_error = lab_gui_wrap_label_new ("", "error");
  gtk_widget_set_visible (gui->build_error, FALSE);
  gui->build_show_log = gtk_link_button_new_with_label ("file:///", _("Show log"));
  lab_gui_a11y_label (gui->build_show_log, _("Show log"));
  gtk_widget_set_halign (gui->build_show_log, GTK_ALIGN_START);
  gtk_widget_set_visible (gui->build_show_log, FALSE);
  gui->build_log = lab_gui_wrap_label_new ("", "monospace");
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (now), gui->build_error);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (now), gui->build_show_log);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (now), gui->build_log);
  return page;
}
