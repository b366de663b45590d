/* lab-gui-resources.c: the Resources page: nodes, vCPUs, memory, disk of
 * the chosen lab, bounded by what the host check found; the totals as
 * they change, a warning when the host is overcommitted; saved as a
 * recipe file the CLI takes (`labctl up --recipe FILE`). */
#include "config.h"

#include "lab-gui.h"

#include <glib/gstdio.h>

#include "lab-i18n.h"
#include "lab-util.h"

#define MAX_NODES 8
/* what the host keeps for itself (the host check's reserve) */
#define HOST_RESERVE_MIB 1024

static guint
spin (GtkWidget *w)
{
  return (guint) gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (w));
}

static void
update_totals (LabGui *gui)
{
  guint nodes = spin (gui->res_nodes), vcpus = spin (gui->res_vcpus);
  guint64 memory = (guint64) nodes * spin (gui->res_memory);
  guint64 disk = (guint64) nodes * spin (gui->res_disk) * LAB_MIB;
  g_autofree char *mem_s = lab_format_size (memory * LAB_MIB);
  g_autofree char *disk_s = lab_format_size (disk);
  g_autofree char *avail_s = lab_format_size (gui->facts.memory_available_mib * LAB_MIB);
  g_autofree char *free_s = lab_format_size (gui->facts.disk_free_bytes);
  g_autofree char *total = NULL;
  g_autoptr(GString) warn = g_string_new (NULL);

  total = g_strdup_printf (_("In total: %u vCPUs, %s of memory (%s available), %s of node disks (%s free)"),
                           nodes * vcpus, mem_s, gui->facts.memory_available_mib > 0 ? avail_s : _("unknown"),
                           disk_s, gui->facts.disk_free_bytes > 0 ? free_s : _("unknown"));
  gtk_label_set_text (GTK_LABEL (gui->res_total), total);
  if (gui->facts.memory_available_mib > 0 && memory + HOST_RESERVE_MIB > gui->facts.memory_available_mib)
    g_string_append (warn, _("The nodes need more memory than this computer has free (1 GiB stays for the "
                             "computer itself): lower the memory or the number of nodes."));
  if (gui->facts.cpus > 0 && nodes * vcpus > 2 * gui->facts.cpus)
    {
      if (warn->len > 0)
        g_string_append_c (warn, '\n');
      g_string_append_printf (warn, _("%u vCPUs on %u CPUs: more than two per CPU, the nodes will be slow."),
                              nodes * vcpus, gui->facts.cpus);
    }
  if (gui->facts.disk_free_bytes > 0 && disk > gui->facts.disk_free_bytes)
    {
      if (warn->len > 0)
        g_string_append_c (warn, '\n');
      g_string_append (warn, _("The node disks need more space than is free."));
    }
  gtk_label_set_text (GTK_LABEL (gui->res_warning), warn->str);
  gtk_widget_set_visible (gui->res_warning, warn->len > 0);
}

static void
on_changed (GtkSpinButton *button, gpointer user_data)
{
  update_totals (user_data);
}

static GtkWidget *
spin_row (LabGui *gui, GtkWidget *group, const char *title, const char *subtitle, GtkWidget **out)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *button = gtk_spin_button_new_with_range (1, 2, 1);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  g_object_set (row, "subtitle-lines", 0, NULL);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (button), TRUE);
  lab_gui_a11y_label (button, title);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), button);
  g_signal_connect (button, "value-changed", G_CALLBACK (on_changed), gui);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  *out = button;
  return row;
}

static void
set_range (GtkWidget *w, double lo, double hi, double step, double value)
{
  gtk_spin_button_set_range (GTK_SPIN_BUTTON (w), lo, MAX (hi, lo));
  gtk_spin_button_set_increments (GTK_SPIN_BUTTON (w), step, step * 4);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (w), CLAMP (value, lo, MAX (hi, lo)));
}

void
lab_gui_resources_load (LabGui *gui)
{
  LabRecipe *r = gui->recipe;
  LabNode *first;
  guint64 mem_max, disk_max_mib;

  if (r == NULL || r->nodes->len == 0)
    return;
  first = r->nodes->pdata[0];
  /* bounds: what the host has; unknown: the recipe's own size times four */
  mem_max = gui->facts.memory_available_mib > HOST_RESERVE_MIB + 256
            ? gui->facts.memory_available_mib - HOST_RESERVE_MIB : first->memory_mib * 4;
  disk_max_mib = gui->facts.disk_free_bytes > 0 ? gui->facts.disk_free_bytes / LAB_MIB : first->disk_bytes / LAB_MIB * 4;
  set_range (gui->res_nodes, 1, MAX_NODES, 1, r->nodes->len);
  set_range (gui->res_vcpus, 1, gui->facts.cpus > 0 ? gui->facts.cpus : MAX (first->vcpus, 4), 1, first->vcpus);
  set_range (gui->res_memory, 128, (double) MAX (mem_max, first->memory_mib), 128, first->memory_mib);
  set_range (gui->res_disk, 1, (double) MAX (disk_max_mib, first->disk_bytes / LAB_MIB), 1,
             (double) (first->disk_bytes / LAB_MIB));
  gtk_label_set_text (GTK_LABEL (gui->res_saved_path), "");
  update_totals (gui);
}

/* "[guest x] kernel = tiny/vmlinux" is relative to the recipe's folder:
 * the saved copy lives elsewhere, so it gets the absolute paths the
 * parsed recipe holds */
static void
absolute_guest_paths (LabRecipe *r, GKeyFile *kf)
{
  for (guint i = 0; i < r->guests->len; i++)
    {
      LabGuest *g = r->guests->pdata[i];
      g_autofree char *group = g_strdup_printf ("guest %s", g->name);

      if (g->kernel != NULL && g_key_file_has_key (kf, group, "kernel", NULL))
        g_key_file_set_string (kf, group, "kernel", g->kernel);
      if (g->initrd != NULL && g_key_file_has_key (kf, group, "initrd", NULL))
        g_key_file_set_string (kf, group, "initrd", g->initrd);
    }
}

char *
lab_gui_resources_save (LabGui *gui, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_auto(GStrv) groups = NULL;
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "labctl", "recipes", NULL);
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *disk = NULL;

  if (gui->recipe == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Choose a lab first"));
      return NULL;
    }
  if (!g_key_file_load_from_file (kf, gui->recipe->path, G_KEY_FILE_KEEP_COMMENTS | G_KEY_FILE_KEEP_TRANSLATIONS,
                                  error))
    return NULL;
  /* the sizes of every node: [nodes], without per-node overrides */
  groups = g_key_file_get_groups (kf, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    if (g_str_has_prefix (groups[i], "node "))
      g_key_file_remove_group (kf, groups[i], NULL);
  g_key_file_set_integer (kf, "nodes", "count", (int) spin (gui->res_nodes));
  g_key_file_set_integer (kf, "nodes", "vcpus", (int) spin (gui->res_vcpus));
  g_key_file_set_integer (kf, "nodes", "memory", (int) spin (gui->res_memory));
  disk = g_strdup_printf ("%uM", spin (gui->res_disk));
  g_key_file_set_string (kf, "nodes", "disk", disk);
  absolute_guest_paths (gui->recipe, kf);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), _("Cannot create %s: %s"), dir,
                   g_strerror (errno));
      return NULL;
    }
  name = g_strdup_printf ("%s.lab", gui->recipe->name);
  path = g_build_filename (dir, name, NULL);
  if (!g_key_file_save_to_file (kf, path, error))
    return NULL;
  return g_steal_pointer (&path);
}

static void
on_save (GtkButton *button, gpointer user_data)
{
  LabGui *gui = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = lab_gui_resources_save (gui, &error);
  g_autofree char *text = NULL;

  if (path == NULL || !lab_gui_set_recipe (gui, path, &error))
    {
      lab_gui_toast_error (gui, error->message, NULL);
      return;
    }
  text = g_strdup_printf (_("Saved as %s (for the command line: labctl up --recipe %s)"), path, path);
  gtk_label_set_text (GTK_LABEL (gui->res_saved_path), text);
  lab_gui_unlock (gui, LAB_GUI_PAGE_PLAN);
  lab_gui_show_page (gui, LAB_GUI_PAGE_PLAN);
  lab_gui_plan_run (gui);
}

GtkWidget *
lab_gui_resources_page_new (LabGui *gui)
{
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *group = lab_gui_group_new (page, _("Resources of the lab"),
                                        _("Every node gets the same. The limits come from the host check."));
  GtkWidget *totals = lab_gui_group_new (page, _("Totals"), NULL);

  spin_row (gui, group, _("Nodes"), _("How many node machines the lab has"), &gui->res_nodes);
  spin_row (gui, group, _("vCPUs per node"), _("Virtual processors of each node"), &gui->res_vcpus);
  spin_row (gui, group, _("Memory per node (MiB)"), _("Memory of each node"), &gui->res_memory);
  spin_row (gui, group, _("Disk per node (MiB)"), _("The node's volume on the shared iSCSI disk"), &gui->res_disk);

  gui->res_total = lab_gui_wrap_label_new ("", NULL);
  gui->res_warning = lab_gui_wrap_label_new ("", "warning");
  gtk_widget_set_visible (gui->res_warning, FALSE);
  gui->res_saved_path = lab_gui_wrap_label_new ("", "dim-label");
  gui->res_save = lab_gui_action_button_new (gui, _("Save and continue"), "suggested-action", G_CALLBACK (on_save));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (totals), gui->res_total);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (totals), gui->res_warning);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (totals), gui->res_saved_path);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (totals), lab_gui_button_bar_new (gui->res_save, NULL));
  return page;
}
