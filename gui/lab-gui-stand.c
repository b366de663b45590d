/* lab-gui-stand.c: the Stand page: nodes, storage and guests of the lab
 * with their state and addresses (`labctl status --json`); a node's
 * console (virt-viewer when installed, else the command to run); reset
 * and down, each after a confirmation. */
#include "config.h"

#include "lab-gui.h"
#include "lab-gui-child.h"

#include "lab-i18n.h"

static GtkWidget *
info_row (const char *title, const char *subtitle, const char *icon)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  g_object_set (row, "subtitle-lines", 0, NULL);
  if (icon != NULL)
    adw_action_row_add_prefix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name (icon));
  return row;
}

static const char *
yes_icon (gboolean ok)
{
  return ok ? "emblem-ok-symbolic" : "action-unavailable-symbolic";
}

static void
on_console (GtkButton *button, gpointer user_data)
{
  LabGui *gui = user_data;
  const char *node = g_object_get_data (G_OBJECT (button), "node");
  const char *uri = g_object_get_data (G_OBJECT (button), "uri");
  g_autofree char *viewer = g_find_program_in_path ("virt-viewer");
  g_autofree char *command = NULL;

  if (viewer != NULL && uri != NULL)
    {
      const char *argv[] = { viewer, "--connect", uri, node, NULL };
      g_autoptr(GError) error = NULL;

      if (!lab_gui_child_launch (argv, &error))
        lab_gui_toast_error (gui, error->message, NULL);
      return;
    }
  command = g_strdup_printf ("labctl nodes console --recipe %s %s", gui->recipe_path, node);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), command);
  lab_gui_toast (gui, _("virt-viewer is not installed: the console command is on the clipboard; run it in a terminal"));
}

void
lab_gui_stand_show (LabGui *gui, JsonObject *status)
{
  JsonArray *nodes = json_object_get_array_member (status, "nodes");
  JsonArray *guests = json_object_get_array_member (status, "guests");
  JsonObject *storage = json_object_get_object_member (status, "storage");
  gboolean up = json_object_get_boolean_member_with_default (status, "up", FALSE);
  gboolean healthy = json_object_get_boolean_member_with_default (status, "healthy", FALSE);

  lab_gui_list_clear (gui->stand_nodes);
  lab_gui_list_clear (gui->stand_storage);
  lab_gui_list_clear (gui->stand_guests);
  gtk_label_set_text (GTK_LABEL (gui->stand_state),
                      up ? (healthy ? _("The lab is up and every part answers.")
                                    : _("The lab is up, but some part does not answer (see below)."))
                         : _("The lab is not up: build it first."));
  for (guint i = 0; nodes != NULL && i < json_array_get_length (nodes); i++)
    {
      JsonObject *n = json_array_get_object_element (nodes, i);
      const char *name = lab_gui_json_string (n, "name");
      const char *address = lab_gui_json_string (n, "address");
      /* what the flavor reports (container: its libvirtd answers); none: no state shown */
      gboolean known = json_object_has_member (n, "libvirtd_answers");
      gboolean answers = json_object_get_boolean_member_with_default (n, "libvirtd_answers", FALSE);
      g_autofree char *sub = known ? g_strdup_printf ("%s · %s", address != NULL ? address : _("no address"),
                                                      answers ? _("running") : _("not running"))
                                   : g_strdup (address != NULL ? address : _("no address"));
      GtkWidget *row = info_row (name != NULL ? name : "?", sub, known ? yes_icon (answers) : NULL);
      g_autofree char *a11y = g_strdup_printf (_("Console of %s"), name);
      GtkWidget *console = gtk_button_new_from_icon_name ("utilities-terminal-symbolic");

      gtk_widget_set_valign (console, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (console, "flat");
      gtk_widget_set_tooltip_text (console, a11y);
      lab_gui_a11y_label (console, a11y);
      g_object_set_data_full (G_OBJECT (console), "node", g_strdup (name), g_free);
      g_object_set_data_full (G_OBJECT (console), "uri", g_strdup (lab_gui_json_string (n, "uri")), g_free);
      g_signal_connect (console, "clicked", G_CALLBACK (on_console), gui);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), console);
      gtk_list_box_append (GTK_LIST_BOX (gui->stand_nodes), row);
    }
  if (storage != NULL)
    {
      JsonObject *image = json_object_get_object_member (storage, "image");
      JsonObject *target = json_object_get_object_member (storage, "target");
      JsonObject *attach = json_object_get_object_member (storage, "attach");
      JsonObject *lvm = json_object_get_object_member (storage, "lvm");

      if (image != NULL)
        gtk_list_box_append (GTK_LIST_BOX (gui->stand_storage),
                             info_row (_("Backing image"), lab_gui_json_string (image, "path"),
                                       yes_icon (json_object_get_boolean_member_with_default (image, "exists", FALSE))));
      if (target != NULL)
        {
          g_autofree char *sub = g_strdup_printf ("%s · %s", lab_gui_json_string (target, "iqn"),
                                                  lab_gui_json_string (target, "portal"));

          gtk_list_box_append (GTK_LIST_BOX (gui->stand_storage),
                               info_row (_("iSCSI target"), sub,
                                         yes_icon (json_object_get_boolean_member_with_default (target, "tgtd_running",
                                                                                                FALSE))));
        }
      if (attach != NULL)
        {
          const char *device = lab_gui_json_string (attach, "device");

          gtk_list_box_append (GTK_LIST_BOX (gui->stand_storage),
                               info_row (_("Disk on this computer"), device != NULL ? device : _("not attached"),
                                         yes_icon (json_object_get_boolean_member_with_default (attach, "present",
                                                                                                FALSE))));
        }
      if (lvm != NULL)
        gtk_list_box_append (GTK_LIST_BOX (gui->stand_storage),
                             info_row (_("Volume group"), lab_gui_json_string (lvm, "vg"), NULL));
    }
  for (guint i = 0; guests != NULL && i < json_array_get_length (guests); i++)
    {
      JsonObject *g = json_array_get_object_element (guests, i);
      const char *node = lab_gui_json_string (g, "node");
      const char *address = lab_gui_json_string (g, "address");
      gboolean running = json_object_get_boolean_member_with_default (g, "running", FALSE);
      g_autofree char *sub = g_strdup_printf (_("%s · on %s · %s"), address != NULL ? address : _("no address"),
                                              node != NULL ? node : _("no node"),
                                              running ? _("running") : _("not running"));

      gtk_list_box_append (GTK_LIST_BOX (gui->stand_guests),
                           info_row (lab_gui_json_string (g, "name") != NULL ? lab_gui_json_string (g, "name") : "?",
                                     sub, yes_icon (running)));
    }
  if (guests == NULL || json_array_get_length (guests) == 0)
    gtk_list_box_append (GTK_LIST_BOX (gui->stand_guests), info_row (_("No guests in this lab"), NULL, NULL));
  gtk_widget_set_sensitive (gui->stand_reset, up);
  gtk_widget_set_sensitive (gui->stand_down, up);
  gui->stand_loaded = TRUE;
  if (up)
    {
      lab_gui_show_content (gui->page_widgets[LAB_GUI_PAGE_EXPERIMENT]);
      lab_gui_unlock (gui, LAB_GUI_PAGE_EXPERIMENT);
    }
}

static void
on_status_event (JsonObject *event, gpointer user_data)
{
  LabGui *gui = user_data;
  const char *name = lab_gui_json_string (event, "event");

  if (g_strcmp0 (name, "result") == 0 && json_object_has_member (event, "json"))
    lab_gui_stand_show (gui, json_object_get_object_member (event, "json"));
  else if (g_strcmp0 (name, "error") == 0)
    lab_gui_toast_error (gui, lab_gui_json_string (event, "message"), lab_gui_json_string (event, "log"));
}

static void
on_child_done (int status, const char *err, gpointer user_data)
{
  LabGui *gui = user_data;

  gui->n_running--;
  if (status != 0 && err != NULL && *err != '\0')
    g_message ("labctl: %s", err);
}

void
lab_gui_stand_refresh (LabGui *gui)
{
  const char *args[] = { "status", "--json", "--recipe", gui->recipe_path, NULL };
  g_autoptr(GError) error = NULL;

  if (lab_gui_child_start (args, FALSE, on_status_event, on_child_done, gui, &error) == NULL)
    {
      lab_gui_toast_error (gui, error->message, NULL);
      return;
    }
  gui->n_running++;
}

static void
on_refresh (GtkButton *button, gpointer user_data)
{
  lab_gui_stand_refresh (user_data);
}

static void
on_action_done (int status, const char *err, gpointer user_data)
{
  LabGui *gui = user_data;

  gui->n_running--;
  if (status == 0)
    lab_gui_toast (gui, _("Done."));
  lab_gui_stand_refresh (gui);
}

static void
on_confirm (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  LabGui *gui = user_data;
  const char *verb = g_object_get_data (G_OBJECT (dialog), "verb");
  const char *args[] = { verb, "--recipe", gui->recipe_path, NULL };
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (response, "go") != 0)
    return;
  if (lab_gui_child_start (args, TRUE, on_status_event, on_action_done, gui, &error) == NULL)
    {
      lab_gui_toast_error (gui, error->message, NULL);
      return;
    }
  gui->n_running++;
}

static void
confirm (LabGui *gui, const char *verb, const char *heading, const char *body, const char *go)
{
  GtkWidget *dialog = adw_message_dialog_new (gui->window, heading, body);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "go", go, NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "go", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "verb", (gpointer) verb);
  g_signal_connect (dialog, "response", G_CALLBACK (on_confirm), gui);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_reset (GtkButton *button, gpointer user_data)
{
  confirm (user_data, "reset", _("Reset the lab?"),
           _("Every guest goes back to its clean state; what you changed inside them is lost."), _("_Reset"));
}

static void
on_down (GtkButton *button, gpointer user_data)
{
  confirm (user_data, "down", _("Remove the lab?"),
           _("Everything labctl made for this lab is removed: nodes, guests, storage. Nothing else is touched."),
           _("_Remove"));
}

static void
list_group (GtkWidget *page, const char *title, GtkWidget **list)
{
  GtkWidget *group = lab_gui_group_new (page, title, NULL);

  *list = lab_gui_boxed_list_new ();
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), *list);
}

GtkWidget *
lab_gui_stand_page_new (LabGui *gui)
{
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *head = lab_gui_group_new (page, _("The stand"), NULL);

  gui->stand_state = lab_gui_wrap_label_new (_("Not looked at yet."), "heading");
  gui->stand_refresh = lab_gui_action_button_new (gui, _("Refresh"), NULL, G_CALLBACK (on_refresh));
  gui->stand_reset = lab_gui_action_button_new (gui, _("Reset…"), NULL, G_CALLBACK (on_reset));
  gui->stand_down = lab_gui_action_button_new (gui, _("Remove…"), "destructive-action", G_CALLBACK (on_down));
  gtk_widget_set_sensitive (gui->stand_reset, FALSE);
  gtk_widget_set_sensitive (gui->stand_down, FALSE);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (head), gui->stand_state);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (head),
                             lab_gui_button_bar_new (gui->stand_refresh, gui->stand_reset, gui->stand_down, NULL));
  list_group (page, _("Nodes"), &gui->stand_nodes);
  list_group (page, _("Storage"), &gui->stand_storage);
  list_group (page, _("Guests"), &gui->stand_guests);
  return page;
}
