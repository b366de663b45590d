/* lab-gui-experiment.c: the Experiments page: live migration of a guest
 * (`pkexec labctl experiment migrate --json`), its ping timeline drawn by
 * lab_plot_draw (the drawing of `--plot`), the phase table (before,
 * during, after the migration), and a button that saves the picture. */
#include "config.h"

#include "lab-gui.h"
#include "lab-gui-child.h"

#include "lab-i18n.h"

/* the samples' clock: any base works, 0 would read as "no reply" */
#define BASE_US 1000000

static void
plot_data (LabGui *gui, LabPlotData *data, LabPlotMarker markers[2])
{
  guint n = 0;

  if (gui->exp_start_us > 0)
    {
      markers[n].label = _("migration starts");
      markers[n++].offset_us = gui->exp_start_us;
    }
  if (gui->exp_end_us > 0)
    {
      markers[n].label = _("migration returns");
      markers[n++].offset_us = gui->exp_end_us;
    }
  data->samples = (const LabProbeSample *) gui->exp_samples->data;
  data->n_samples = gui->exp_samples->len;
  data->markers = markers;
  data->n_markers = n;
  data->title = gui->exp_title;
}

static void
draw (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer user_data)
{
  LabGui *gui = user_data;
  LabPlotMarker markers[2];
  LabPlotData data;

  plot_data (gui, &data, markers);
  lab_plot_draw (cr, width, height, &data);
}

void
lab_gui_experiment_add_sample (LabGui *gui, const LabProbeSample *sample)
{
  lab_gui_show_content (gui->page_widgets[LAB_GUI_PAGE_EXPERIMENT]);
  g_array_append_val (gui->exp_samples, *sample);
  gtk_widget_queue_draw (gui->exp_area);
}

void
lab_gui_experiment_clear (LabGui *gui)
{
  g_array_set_size (gui->exp_samples, 0);
  gui->exp_start_us = gui->exp_end_us = 0;
  lab_gui_list_clear (gui->exp_phases);
  gtk_widget_set_sensitive (gui->exp_save, FALSE);
  gtk_widget_queue_draw (gui->exp_area);
}

static GtkWidget *
phase_row (const char *title, const char *value)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *label = gtk_label_new (value);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  g_object_set (row, "title-lines", 0, NULL);
  gtk_widget_add_css_class (label, "numeric");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  g_object_set_data (G_OBJECT (row), "value", label);
  return row;
}

/* pings sent and lost, and the longest wait for a reply, between two offsets */
static char *
phase_text (LabGui *gui, gint64 from, gint64 to)
{
  guint sent = 0, lost = 0;
  gint64 last_reply = -1, longest = 0;

  for (guint i = 0; i < gui->exp_samples->len; i++)
    {
      LabProbeSample *s = &g_array_index (gui->exp_samples, LabProbeSample, i);
      gint64 at = s->sent_us - BASE_US;

      if (at < from || at >= to)
        continue;
      sent++;
      if (s->received_us == 0)
        {
          lost++;
          continue;
        }
      if (last_reply >= 0)
        longest = MAX (longest, s->received_us - last_reply);
      last_reply = s->received_us;
    }
  return g_strdup_printf (_("%u pings, %u lost, longest gap %.1f ms"), sent, lost, longest / 1000.0);
}

void
lab_gui_experiment_show (LabGui *gui, JsonObject *result)
{
  JsonObject *timeline = json_object_get_object_member (result, "timeline");
  JsonObject *probe = json_object_get_object_member (result, "probe");
  JsonNode *libvirt = json_object_get_member (result, "libvirt");
  JsonArray *samples = timeline != NULL ? json_object_get_array_member (timeline, "samples") : NULL;
  g_autofree char *before = NULL, *during = NULL, *after = NULL, *ping = NULL;

  lab_gui_experiment_clear (gui);
  lab_gui_show_content (gui->page_widgets[LAB_GUI_PAGE_EXPERIMENT]);
  g_free (gui->exp_title);
  gui->exp_title = g_strdup_printf (_("Live migration of %s: %s -> %s"), lab_gui_json_string (result, "guest"),
                                    lab_gui_json_string (result, "from"), lab_gui_json_string (result, "to"));
  for (guint i = 0; samples != NULL && i < json_array_get_length (samples); i++)
    {
      JsonArray *p = json_array_get_array_element (samples, i);
      gint64 at = json_array_get_int_element (p, 0), rtt = json_array_get_int_element (p, 1);
      LabProbeSample s = { i, BASE_US + at, rtt < 0 ? 0 : BASE_US + at + rtt };

      g_array_append_val (gui->exp_samples, s);
    }
  if (timeline != NULL)
    {
      gui->exp_start_us = json_object_get_int_member_with_default (timeline, "migration_start_us", 0);
      gui->exp_end_us = json_object_get_int_member_with_default (timeline, "migration_end_us", 0);
    }
  before = phase_text (gui, 0, gui->exp_start_us);
  during = phase_text (gui, gui->exp_start_us, gui->exp_end_us + 1);
  after = phase_text (gui, gui->exp_end_us + 1, G_MAXINT64);
  gtk_list_box_append (GTK_LIST_BOX (gui->exp_phases), phase_row (_("Before the migration"), before));
  gtk_list_box_append (GTK_LIST_BOX (gui->exp_phases), phase_row (_("During the migration"), during));
  gtk_list_box_append (GTK_LIST_BOX (gui->exp_phases), phase_row (_("After the migration"), after));
  if (probe != NULL)
    {
      /* lab_probe_result_to_json: the longest wait for a reply */
      ping = g_strdup_printf (_("%.1f ms"), json_object_get_double_member_with_default (probe, "downtime_ms", 0));
      gtk_list_box_append (GTK_LIST_BOX (gui->exp_phases), phase_row (_("Downtime seen by ping"), ping));
    }
  if (libvirt != NULL && JSON_NODE_HOLDS_OBJECT (libvirt))
    {
      JsonObject *lv = json_node_get_object (libvirt);
      g_autofree char *down = g_strdup_printf (_("%.0f ms"),
                                               (double) json_object_get_int_member_with_default (lv, "downtime_ms", 0));
      g_autofree char *total = g_strdup_printf (_("%.0f ms"),
                                                (double) json_object_get_int_member_with_default (lv, "time_elapsed_ms",
                                                                                                  0));

      gtk_list_box_append (GTK_LIST_BOX (gui->exp_phases), phase_row (_("Downtime measured by libvirt"), down));
      gtk_list_box_append (GTK_LIST_BOX (gui->exp_phases), phase_row (_("Migration time (libvirt)"), total));
    }
  gtk_widget_set_sensitive (gui->exp_save, gui->exp_samples->len > 0);
  gtk_widget_queue_draw (gui->exp_area);
}

void
lab_gui_experiment_event (LabGui *gui, JsonObject *event)
{
  const char *name = lab_gui_json_string (event, "event");

  /* live: the pings and the phases as the experiment measures them */
  if (g_strcmp0 (name, "sample") == 0)
    {
      gint64 at = json_object_get_int_member_with_default (event, "offset_us", 0);
      gint64 rtt = json_object_get_int_member_with_default (event, "rtt_us", -1);
      LabProbeSample s = { (guint32) json_object_get_int_member_with_default (event, "seq", 0), BASE_US + at,
                           rtt < 0 ? 0 : BASE_US + at + rtt };

      lab_gui_experiment_add_sample (gui, &s);
    }
  else if (g_strcmp0 (name, "phase") == 0)
    {
      gint64 at = json_object_get_int_member_with_default (event, "offset_us", 0);

      if (gui->exp_start_us == 0)
        gui->exp_start_us = MAX (at, 1);
      else
        gui->exp_end_us = at;
      gtk_widget_queue_draw (gui->exp_area);
    }
  else if (g_strcmp0 (name, "result") == 0 && json_object_has_member (event, "json")
      && JSON_NODE_HOLDS_OBJECT (json_object_get_member (event, "json")))
    lab_gui_experiment_show (gui, json_object_get_object_member (event, "json"));
  else if (g_strcmp0 (name, "info") == 0)
    lab_gui_toast (gui, lab_gui_json_string (event, "text"));
  else if (g_strcmp0 (name, "error") == 0)
    lab_gui_toast_error (gui, lab_gui_json_string (event, "message"), lab_gui_json_string (event, "log"));
}

static void
on_event (JsonObject *event, gpointer user_data)
{
  lab_gui_experiment_event (user_data, event);
}

static void
on_done (int status, const char *err, gpointer user_data)
{
  LabGui *gui = user_data;

  gui->n_running--;
  gtk_widget_set_sensitive (gui->exp_migrate, TRUE);
}

static void
on_migrate (GtkButton *button, gpointer user_data)
{
  LabGui *gui = user_data;
  const char *args[] = { "experiment", "migrate", "--json", "--recipe", gui->recipe_path, NULL };
  g_autoptr(GError) error = NULL;

  lab_gui_experiment_clear (gui);
  if (lab_gui_child_start (args, TRUE, on_event, on_done, gui, &error) == NULL)
    {
      lab_gui_toast_error (gui, error->message, NULL);
      return;
    }
  gui->n_running++;
  gtk_widget_set_sensitive (gui->exp_migrate, FALSE);
}

static void
on_save_response (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  LabGui *gui = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;
      LabPlotMarker markers[2];
      LabPlotData data;

      plot_data (gui, &data, markers);
      if (path != NULL && !lab_plot_save (&data, path, &error))
        lab_gui_toast_error (gui, error->message, NULL);
      else if (path != NULL)
        lab_gui_toast (gui, _("Picture saved"));
    }
  g_object_unref (dialog);
}

static void
on_save (GtkButton *button, gpointer user_data)
{
  LabGui *gui = user_data;
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_("Save the picture"), gui->window,
                                                              GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"),
                                                              _("_Cancel"));

  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "migration.png");
  g_signal_connect (dialog, "response", G_CALLBACK (on_save_response), gui);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

GtkWidget *
lab_gui_experiment_page_new (LabGui *gui)
{
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *group = lab_gui_group_new (page, _("Live migration"),
                                        _("A guest moves to another node while this computer pings it every "
                                          "10 ms: the gap in the replies is the downtime the network saw."));
  GtkWidget *phases = lab_gui_group_new (page, _("Phases"), NULL);
  GtkWidget *frame = gtk_frame_new (NULL);

  gui->exp_samples = g_array_new (FALSE, FALSE, sizeof (LabProbeSample));
  gui->exp_migrate = lab_gui_action_button_new (gui, _("Migrate"), "suggested-action", G_CALLBACK (on_migrate));
  gui->exp_save = lab_gui_action_button_new (gui, _("Save the picture…"), NULL, G_CALLBACK (on_save));
  gtk_widget_set_sensitive (gui->exp_save, FALSE);
  gui->exp_area = gtk_drawing_area_new ();
  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (gui->exp_area), 320);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (gui->exp_area), draw, gui, NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (gui->exp_area), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Ping timeline"), -1);
  gtk_frame_set_child (GTK_FRAME (frame), gui->exp_area);
  gtk_widget_set_margin_top (frame, 12);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), lab_gui_button_bar_new (gui->exp_save, gui->exp_migrate, NULL));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), frame);
  gui->exp_phases = lab_gui_boxed_list_new ();
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (phases), gui->exp_phases);
  return lab_gui_with_status (page, "network-transmit-receive-symbolic", _("No experiment yet"),
                              _("Once the lab is up, migrate a guest here and watch its pings: the gap in "
                                "the replies is the downtime."));
}
