/* lab-gui.c: the window: a sidebar of pages, a header bar, toasts; the
 * helpers the pages share. */
#include "config.h"

#include "lab-gui.h"

#include <stdarg.h>

#include "lab-error.h"
#include "lab-i18n.h"

static const struct {
  const char *name;
  const char *title;
  const char *icon;
} pages[LAB_GUI_N_PAGES] = {
  { "check", N_("Host check"), "computer-symbolic" },
  { "recipes", N_("Choose a lab"), "view-grid-symbolic" },
  { "resources", N_("Resources"), "preferences-system-symbolic" },
  { "plan", N_("What will happen"), "view-list-symbolic" },
  { "build", N_("Build the lab"), "system-run-symbolic" },
  { "stand", N_("Stand"), "network-server-symbolic" },
  { "experiment", N_("Experiments"), "network-transmit-receive-symbolic" },
};

/* ---- helpers ------------------------------------------------------------ */

void
lab_gui_a11y_label (GtkWidget *widget, const char *label)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  g_object_set_data_full (G_OBJECT (widget), "lab-gui-a11y-label", g_strdup (label), g_free);
}

GtkWidget *
lab_gui_button_new (const char *label, const char *style)
{
  GtkWidget *button = gtk_button_new_with_label (label);

  if (style != NULL)
    gtk_widget_add_css_class (button, style);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  lab_gui_a11y_label (button, label);
  return button;
}

GtkWidget *
lab_gui_wrap_label_new (const char *text, const char *style)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  if (style != NULL)
    gtk_widget_add_css_class (label, style);
  return label;
}

static void
on_copy (GtkButton *button, gpointer user_data)
{
  LabGui *gui = user_data;
  const char *command = g_object_get_data (G_OBJECT (button), "command");

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), command);
  lab_gui_toast (gui, _("Copied to the clipboard"));
}

GtkWidget *
lab_gui_command_row_new (LabGui *gui, const char *title, const char *command)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *text = lab_gui_wrap_label_new (command, "monospace");
  GtkWidget *copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");
  g_autofree char *a11y = g_strdup_printf (_("Copy: %s"), title != NULL ? title : command);

  gtk_widget_set_hexpand (text, TRUE);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 6);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_add_css_class (copy, "flat");
  gtk_widget_set_valign (copy, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (copy, _("Copy the command"));
  lab_gui_a11y_label (copy, a11y);
  g_object_set_data_full (G_OBJECT (copy), "command", g_strdup (command), g_free);
  g_signal_connect (copy, "clicked", G_CALLBACK (on_copy), gui);
  gtk_box_append (GTK_BOX (box), text);
  gtk_box_append (GTK_BOX (box), copy);
  return box;
}

void
lab_gui_list_clear (GtkWidget *list_box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (list_box)) != NULL)
    gtk_list_box_remove (GTK_LIST_BOX (list_box), child);
}

GtkWidget *
lab_gui_with_status (GtkWidget *content, const char *icon, const char *title, const char *description)
{
  GtkWidget *stack = gtk_stack_new ();
  GtkWidget *status = adw_status_page_new ();

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (status), icon);
  adw_status_page_set_title (ADW_STATUS_PAGE (status), title);
  adw_status_page_set_description (ADW_STATUS_PAGE (status), description);
  gtk_stack_add_named (GTK_STACK (stack), status, "status");
  gtk_stack_add_named (GTK_STACK (stack), content, "content");
  gtk_stack_set_visible_child_name (GTK_STACK (stack), "status");
  return stack;
}

void
lab_gui_show_content (GtkWidget *with_status)
{
  gtk_stack_set_visible_child_name (GTK_STACK (with_status), "content");
}

GtkWidget *
lab_gui_boxed_list_new (void)
{
  GtkWidget *list = gtk_list_box_new ();

  gtk_widget_add_css_class (list, "boxed-list");
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  return list;
}

GtkWidget *
lab_gui_group_new (GtkWidget *page, const char *title, const char *description)
{
  GtkWidget *group = adw_preferences_group_new ();

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), title);
  if (description != NULL)
    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group), description);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (group));
  return group;
}

GtkWidget *
lab_gui_action_button_new (LabGui *gui, const char *label, const char *style, GCallback clicked)
{
  GtkWidget *button = lab_gui_button_new (label, style);

  g_signal_connect (button, "clicked", clicked, gui);
  return button;
}

GtkWidget *
lab_gui_button_bar_new (GtkWidget *first, ...)
{
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  va_list ap;

  gtk_widget_set_halign (bar, GTK_ALIGN_END);
  gtk_widget_set_margin_top (bar, 12);
  va_start (ap, first);
  for (GtkWidget *w = first; w != NULL; w = va_arg (ap, GtkWidget *))
    gtk_box_append (GTK_BOX (bar), w);
  va_end (ap);
  return bar;
}

const char *
lab_gui_json_string (JsonObject *object, const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

void
lab_gui_toast (LabGui *gui, const char *message)
{
  adw_toast_overlay_add_toast (gui->toasts, adw_toast_new (message));
}

static void
on_show_log (AdwToast *toast, gpointer user_data)
{
  const char *log = g_object_get_data (G_OBJECT (toast), "log");
  g_autofree char *uri = g_filename_to_uri (log, NULL, NULL);
  GtkWindow *window = user_data;

  if (uri != NULL)
    gtk_show_uri (window, uri, GDK_CURRENT_TIME);
}

void
lab_gui_toast_error (LabGui *gui, const char *message, const char *log)
{
  /* a toast holds one line: the first one, the page shows the rest */
  g_autofree char *first = g_strdup (message);
  char *nl = strchr (first, '\n');
  AdwToast *toast;

  if (nl != NULL)
    *nl = '\0';
  toast = adw_toast_new (first);
  adw_toast_set_timeout (toast, 0);
  if (log != NULL)
    {
      adw_toast_set_button_label (toast, _("Show log"));
      g_object_set_data_full (G_OBJECT (toast), "log", g_strdup (log), g_free);
      g_signal_connect (toast, "button-clicked", G_CALLBACK (on_show_log), gui->window);
    }
  lab_gui_dismiss_error (gui);
  g_set_weak_pointer (&gui->error_toast, toast);
  adw_toast_overlay_add_toast (gui->toasts, toast);
}

void
lab_gui_dismiss_error (LabGui *gui)
{
  if (gui->error_toast != NULL)
    adw_toast_dismiss (gui->error_toast);
  g_clear_weak_pointer (&gui->error_toast);
}

/* ---- the window --------------------------------------------------------- */

void
lab_gui_show_page (LabGui *gui, LabGuiPage page)
{
  g_return_if_fail (page < LAB_GUI_N_PAGES);
  lab_gui_unlock (gui, page);
  gtk_stack_set_visible_child_name (gui->stack, pages[page].name);
  gtk_list_box_select_row (gui->sidebar, GTK_LIST_BOX_ROW (gui->sidebar_rows[page]));
  adw_window_title_set_title (gui->title, _(pages[page].title));
}

void
lab_gui_unlock (LabGui *gui, LabGuiPage page)
{
  gui->unlocked[page] = TRUE;
  gtk_widget_set_sensitive (gui->sidebar_rows[page], TRUE);
}

static void
on_row_activated (GtkListBox *box, GtkListBoxRow *row, gpointer user_data)
{
  LabGui *gui = user_data;
  int index = gtk_list_box_row_get_index (row);

  if (index >= 0 && index < LAB_GUI_N_PAGES && gui->unlocked[index])
    lab_gui_show_page (gui, index);
}

gboolean
lab_gui_set_recipe (LabGui *gui, const char *path, GError **error)
{
  LabRecipe *recipe = lab_recipe_load_named (path, error);

  if (recipe == NULL)
    return FALSE;
  g_clear_pointer (&gui->recipe, lab_recipe_free);
  g_free (gui->recipe_path);
  gui->recipe = recipe;
  gui->recipe_path = g_strdup (recipe->path != NULL ? recipe->path : path);
  adw_window_title_set_subtitle (gui->title, recipe->name);
  lab_gui_resources_load (gui);
  return TRUE;
}

static GtkWidget *
sidebar_row (LabGuiPage page)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *label = gtk_label_new (_(pages[page].title));

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_box_append (GTK_BOX (box), gtk_image_new_from_icon_name (pages[page].icon));
  gtk_box_append (GTK_BOX (box), label);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  lab_gui_a11y_label (row, _(pages[page].title));
  gtk_widget_set_sensitive (row, FALSE);
  return row;
}

LabGui *
lab_gui_new (GtkApplication *app)
{
  LabGui *gui = g_new0 (LabGui, 1);
  GtkWidget *window = adw_application_window_new (app);
  GtkWidget *outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *body = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget *side_scroll = gtk_scrolled_window_new ();
  GtkWidget *toasts = adw_toast_overlay_new ();
  GtkWidget *stack = gtk_stack_new ();
  GtkWidget *sidebar = gtk_list_box_new ();

  gui->window = GTK_WINDOW (window);
  gui->toasts = ADW_TOAST_OVERLAY (toasts);
  gui->stack = GTK_STACK (stack);
  gui->sidebar = GTK_LIST_BOX (sidebar);
  gui->title = ADW_WINDOW_TITLE (adw_window_title_new (_("Virtualization lab"), NULL));
  gui->build_exit = -1;
  gtk_window_set_title (gui->window, _("Virtualization lab"));
  gtk_window_set_default_size (gui->window, 1000, 720);
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), GTK_WIDGET (gui->title));

  gtk_widget_add_css_class (sidebar, "navigation-sidebar");
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (side_scroll), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (side_scroll), sidebar);
  gtk_widget_set_size_request (side_scroll, 220, -1);
  g_signal_connect (sidebar, "row-activated", G_CALLBACK (on_row_activated), gui);

  gtk_stack_set_transition_type (gui->stack, GTK_STACK_TRANSITION_TYPE_NONE);
  gtk_widget_set_hexpand (stack, TRUE);
  gtk_widget_set_vexpand (stack, TRUE);
  adw_toast_overlay_set_child (gui->toasts, stack);

  gtk_box_append (GTK_BOX (body), side_scroll);
  gtk_box_append (GTK_BOX (body), gtk_separator_new (GTK_ORIENTATION_VERTICAL));
  gtk_box_append (GTK_BOX (body), toasts);
  gtk_box_append (GTK_BOX (outer), header);
  gtk_box_append (GTK_BOX (outer), body);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), outer);

  gui->page_widgets[LAB_GUI_PAGE_CHECK] = lab_gui_check_page_new (gui);
  gui->page_widgets[LAB_GUI_PAGE_RECIPES] = lab_gui_recipes_page_new (gui);
  gui->page_widgets[LAB_GUI_PAGE_RESOURCES] = lab_gui_resources_page_new (gui);
  gui->page_widgets[LAB_GUI_PAGE_PLAN] = lab_gui_plan_page_new (gui);
  gui->page_widgets[LAB_GUI_PAGE_BUILD] = lab_gui_build_page_new (gui);
  gui->page_widgets[LAB_GUI_PAGE_STAND] = lab_gui_stand_page_new (gui);
  gui->page_widgets[LAB_GUI_PAGE_EXPERIMENT] = lab_gui_experiment_page_new (gui);
  for (guint i = 0; i < LAB_GUI_N_PAGES; i++)
    {
      gtk_stack_add_named (gui->stack, gui->page_widgets[i], pages[i].name);
      gui->sidebar_rows[i] = sidebar_row (i);
      gtk_list_box_append (gui->sidebar, gui->sidebar_rows[i]);
    }
  lab_gui_show_page (gui, LAB_GUI_PAGE_CHECK);
  return gui;
}

void
lab_gui_free (LabGui *gui)
{
  if (gui == NULL)
    return;
  g_clear_weak_pointer (&gui->error_toast);
  g_clear_pointer (&gui->recipe, lab_recipe_free);
  g_free (gui->recipe_path);
  g_clear_pointer (&gui->recipe_buttons, g_ptr_array_unref);
  g_clear_pointer (&gui->plan_titles, g_ptr_array_unref);
  g_clear_pointer (&gui->build_rows, g_ptr_array_unref);
  g_clear_pointer (&gui->exp_samples, g_array_unref);
  g_free (gui->exp_title);
  g_free (gui);
}
