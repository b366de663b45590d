/* lab-gui-check.c: the Host check page: every check of `labctl check`
 * with its status, and its fix as a command to copy. */
#include "config.h"

#include "lab-gui.h"

#include "lab-i18n.h"

static const char *
status_icon (LabCheckStatus status)
{
  switch (status)
    {
    case LAB_CHECK_PASS:
      return "emblem-ok-symbolic";
    case LAB_CHECK_WARN:
      return "dialog-warning-symbolic";
    case LAB_CHECK_FAIL:
      return "dialog-error-symbolic";
    default:
      return "action-unavailable-symbolic";
    }
}

static const char *
status_text (LabCheckStatus status)
{
  switch (status)
    {
    case LAB_CHECK_PASS:
      return _("passed");
    case LAB_CHECK_WARN:
      return _("warning");
    case LAB_CHECK_FAIL:
      return _("failed");
    default:
      return _("not checked");
    }
}

static GtkWidget *
result_row (LabGui *gui, LabCheckResult *r)
{
  GtkWidget *icon = gtk_image_new_from_icon_name (status_icon (r->status));
  GtkWidget *row;
  g_autofree char *a11y = g_strdup_printf ("%s: %s", status_text (r->status), r->message);

  gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL, status_text (r->status), -1);
  if (r->status == LAB_CHECK_FAIL)
    gtk_widget_add_css_class (icon, "error");
  else if (r->status == LAB_CHECK_WARN)
    gtk_widget_add_css_class (icon, "warning");
  else if (r->status == LAB_CHECK_PASS)
    gtk_widget_add_css_class (icon, "success");

  row = adw_action_row_new ();
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), r->message);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), r->id);
  g_object_set (row, "subtitle-lines", 0, "title-lines", 0, NULL);
  lab_gui_a11y_label (row, a11y);
  return row;
}

void
lab_gui_check_run (LabGui *gui)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabStandHostCheck) hc = lab_stand_host_check (gui->recipe_path, NULL, &error);
  guint n_fail, n_warn;
  g_autofree char *summary = NULL;

  lab_gui_list_clear (gui->check_rows);
  if (hc == NULL)
    {
      lab_gui_toast_error (gui, error->message, NULL);
      gtk_label_set_text (GTK_LABEL (gui->check_summary), error->message);
      return;
    }
  for (guint i = 0; i < hc->results->len; i++)
    {
      LabCheckResult *r = hc->results->pdata[i];

      gtk_list_box_append (GTK_LIST_BOX (gui->check_rows), result_row (gui, r));
      /* the fix under it, to copy */
      if (r->fix != NULL)
        {
          GtkWidget *fix = gtk_list_box_row_new ();

          gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (fix), lab_gui_command_row_new (gui, r->id, r->fix));
          gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (fix), FALSE);
          gtk_list_box_append (GTK_LIST_BOX (gui->check_rows), fix);
        }
    }
  lab_host_check_get_facts (hc->check, &gui->facts);
  n_fail = lab_check_results_count (hc->results, LAB_CHECK_FAIL);
  n_warn = lab_check_results_count (hc->results, LAB_CHECK_WARN);
  gui->no_kvm = FALSE;
  for (guint i = 0; i < hc->results->len; i++)
    {
      LabCheckResult *r = hc->results->pdata[i];

      if (r->status == LAB_CHECK_FAIL && g_str_has_prefix (r->id, "kvm."))
        gui->no_kvm = TRUE;
    }
  if (gui->no_kvm)
    {
      g_autofree char *failed = g_strdup_printf (ngettext ("%u check failed: this computer cannot run virtual "
                                                           "machines inside virtual machines (KVM); its fix is below.",
                                                           "%u checks failed: this computer cannot run virtual "
                                                           "machines inside virtual machines (KVM); their fixes are "
                                                           "below.", n_fail), n_fail);

      summary = g_strconcat (failed, " ", _("Choose the container lab on the next page: it needs no KVM."), NULL);
    }
  else if (n_fail == 0)
    summary = g_strdup_printf (ngettext ("This computer can run the lab (%u warning).",
                                         "This computer can run the lab (%u warnings).", n_warn), n_warn);
  else
    summary = g_strdup_printf (ngettext ("%u check failed: its fix is below. Some labs (the container flavor) "
                                         "need less; choose one on the next page.",
                                         "%u checks failed: their fixes are below. Some labs (the container "
                                         "flavor) need less; choose one on the next page.", n_fail), n_fail);
  gtk_label_set_text (GTK_LABEL (gui->check_summary), summary);
  lab_gui_recipes_recommend (gui);
  lab_gui_unlock (gui, LAB_GUI_PAGE_RECIPES);
  gtk_widget_set_sensitive (gui->check_next, TRUE);
}

static void
on_run (GtkButton *button, gpointer user_data)
{
  lab_gui_check_run (user_data);
}

static void
on_next (GtkButton *button, gpointer user_data)
{
  lab_gui_show_page (user_data, LAB_GUI_PAGE_RECIPES);
}

GtkWidget *
lab_gui_check_page_new (LabGui *gui)
{
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *group = lab_gui_group_new (page, _("Can this computer run the lab?"),
                                        _("The same checks as 'labctl check': the CPU, KVM, memory, disk "
                                          "and tools. Each problem comes with the command that fixes it."));

  gui->check_summary = lab_gui_wrap_label_new (_("Not checked yet."), "heading");
  gui->check_rows = lab_gui_boxed_list_new ();
  gtk_widget_set_margin_top (gui->check_rows, 12);
  gui->check_run = lab_gui_action_button_new (gui, _("Check again"), NULL, G_CALLBACK (on_run));
  gui->check_next = lab_gui_action_button_new (gui, _("Choose a lab"), "suggested-action", G_CALLBACK (on_next));
  gtk_widget_set_sensitive (gui->check_next, FALSE);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), gui->check_summary);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), gui->check_rows);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group),
                             lab_gui_button_bar_new (gui->check_run, gui->check_next, NULL));
  gui->check_group = ADW_PREFERENCES_GROUP (group);
  return page;
}
