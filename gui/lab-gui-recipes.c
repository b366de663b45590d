/* lab-gui-recipes.c: the Choose a lab page: the shipped recipes as cards
 * (flavor, nodes, what they need), and "open recipe" for a file. */
#include "config.h"

#include "lab-gui.h"

#include "lab-i18n.h"
#include "lab-util.h"

static void
chosen (LabGui *gui, const char *path)
{
  g_autoptr(GError) error = NULL;

  if (!lab_gui_set_recipe (gui, path, &error))
    {
      lab_gui_toast_error (gui, error->message, NULL);
      return;
    }
  lab_gui_show_page (gui, LAB_GUI_PAGE_RESOURCES);
}

static void
on_card (GtkButton *button, gpointer user_data)
{
  chosen (user_data, g_object_get_data (G_OBJECT (button), "recipe"));
}

static void
on_file (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);

      if (path != NULL)
        chosen (user_data, path);
    }
  g_object_unref (dialog);
}

static void
on_open (GtkButton *button, gpointer user_data)
{
  LabGui *gui = user_data;
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_("Open a recipe"), gui->window,
                                                              GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"),
                                                              _("_Cancel"));
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Lab recipes (*.lab)"));
  gtk_file_filter_add_pattern (filter, "*.lab");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_object_unref (filter);
  g_signal_connect (dialog, "response", G_CALLBACK (on_file), gui);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static GtkWidget *
card (LabGui *gui, LabRecipe *r, const char *name)
{
  GtkWidget *button = gtk_button_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *title = gtk_label_new (r->name);
  GtkWidget *badge = lab_gui_wrap_label_new ("", NULL);
  g_autofree char *memory = lab_format_size (lab_recipe_memory_mib (r) * LAB_MIB);
  g_autofree char *disk = lab_format_size (lab_recipe_storage_bytes (r));
  g_autofree char *facts = g_strdup_printf (ngettext ("Flavor %s, %u node", "Flavor %s, %u nodes", r->nodes->len),
                                            lab_flavor_to_string (r->flavor), r->nodes->len);
  g_autofree char *needs = g_strdup_printf (_("Needs %s of memory and up to %s of disk"), memory, disk);
  g_autofree char *a11y = g_strdup_printf (_("Choose lab %s"), r->name);

  gtk_widget_add_css_class (title, "title-3");
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), lab_gui_wrap_label_new (r->description != NULL ? r->description : "", NULL));
  gtk_box_append (GTK_BOX (box), lab_gui_wrap_label_new (facts, "dim-label"));
  gtk_box_append (GTK_BOX (box), lab_gui_wrap_label_new (needs, "dim-label"));
  /* what the host check says of this lab (lab_gui_recipes_recommend) */
  gtk_widget_set_visible (badge, FALSE);
  gtk_box_append (GTK_BOX (box), badge);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 12);
  gtk_button_set_child (GTK_BUTTON (button), box);
  gtk_widget_add_css_class (button, "card");
  gtk_widget_set_size_request (button, 280, -1);
  lab_gui_a11y_label (button, a11y);
  g_object_set_data_full (G_OBJECT (button), "recipe", g_strdup (name), g_free);
  g_object_set_data (G_OBJECT (button), "badge", badge);
  g_object_set_data (G_OBJECT (button), "flavor", GINT_TO_POINTER (r->flavor));
  g_object_set_data_full (G_OBJECT (button), "a11y", g_strdup (a11y), g_free);
  g_signal_connect (button, "clicked", G_CALLBACK (on_card), gui);
  return button;
}

static gboolean
recommended (GtkWidget *card)
{
  return GPOINTER_TO_INT (g_object_get_data (G_OBJECT (card), "recommended"));
}

/* recommended cards first, else the shipped order */
static int
sort_cards (GtkFlowBoxChild *a, GtkFlowBoxChild *b, gpointer user_data)
{
  GtkWidget *ca = gtk_flow_box_child_get_child (a), *cb = gtk_flow_box_child_get_child (b);

  if (recommended (ca) != recommended (cb))
    return recommended (ca) ? -1 : 1;
  return GPOINTER_TO_INT (g_object_get_data (G_OBJECT (ca), "order"))
         - GPOINTER_TO_INT (g_object_get_data (G_OBJECT (cb), "order"));
}

void
lab_gui_recipes_recommend (LabGui *gui)
{
  for (guint i = 0; gui->recipe_buttons != NULL && i < gui->recipe_buttons->len; i++)
    {
      GtkWidget *card = gui->recipe_buttons->pdata[i];
      GtkWidget *badge = g_object_get_data (G_OBJECT (card), "badge");
      gboolean container = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (card), "flavor")) == LAB_FLAVOR_CONTAINER;
      gboolean recommend = gui->no_kvm && container;
      const char *a11y = g_object_get_data (G_OBJECT (card), "a11y");
      const char *text = recommend ? _("Recommended for this computer: it needs no KVM.")
                         : gui->no_kvm && !container ? _("Needs KVM, which this computer lacks (see the host check).")
                         : NULL;

      g_object_set_data (G_OBJECT (card), "recommended", GINT_TO_POINTER (recommend));
      gtk_label_set_text (GTK_LABEL (badge), text != NULL ? text : "");
      gtk_widget_set_visible (badge, text != NULL);
      gtk_widget_remove_css_class (badge, "success");
      gtk_widget_remove_css_class (badge, "warning");
      if (text != NULL)
        gtk_widget_add_css_class (badge, recommend ? "success" : "warning");
      /* what the eye reads on the card, the screen reader reads too */
      if (text != NULL)
        {
          g_autofree char *label = g_strdup_printf ("%s. %s", a11y, text);

          lab_gui_a11y_label (card, label);
        }
      else
        lab_gui_a11y_label (card, a11y);
    }
  gtk_flow_box_invalidate_sort (GTK_FLOW_BOX (gui->recipe_cards));
}

GtkWidget *
lab_gui_recipes_page_new (LabGui *gui)
{
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *group = lab_gui_group_new (page, _("Choose a lab"),
                                        _("The labs of the course. Each card says what its nodes are and what "
                                          "it needs of this computer; you set the sizes on the next page."));
  GtkWidget *flow = gtk_flow_box_new ();
  g_auto(GStrv) names = lab_recipe_list_shipped ();

  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (flow), GTK_SELECTION_NONE);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (flow), 3);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (flow), 12);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (flow), 12);
  gtk_flow_box_set_homogeneous (GTK_FLOW_BOX (flow), TRUE);
  gtk_flow_box_set_sort_func (GTK_FLOW_BOX (flow), sort_cards, NULL, NULL);
  gui->recipe_cards = flow;
  gui->recipe_buttons = g_ptr_array_new ();
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(LabRecipe) r = lab_recipe_load_named (names[i], &error);
      GtkWidget *c;

      if (r == NULL)
        {
          g_message ("recipe %s: %s", names[i], error->message);
          continue;
        }
      c = card (gui, r, names[i]);
      g_object_set_data (G_OBJECT (c), "order", GINT_TO_POINTER (gui->recipe_buttons->len));
      g_ptr_array_add (gui->recipe_buttons, c);
      gtk_flow_box_append (GTK_FLOW_BOX (flow), c);
    }
  gui->recipe_open = lab_gui_action_button_new (gui, _("Open a recipe file…"), NULL, G_CALLBACK (on_open));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), flow);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), lab_gui_button_bar_new (gui->recipe_open, NULL));
  return page;
}
