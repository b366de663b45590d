/* gui-test-util.c: what the gui tests share: waiting for the window's
 * children, screenshots, and what every page must be (drawn on, no label
 * cut, every interactive widget named for assistive technologies, no icon
 * missing from the theme). */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "gui-test-util.h"
#include "lab-i18n.h"

LabGui *gui;
char *tmp_dir;
const char *lang;

/* ---- waiting ------------------------------------------------------------ */

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

void
wait_children_for (guint seconds)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (seconds, on_timeout, &timed_out);

  while (gui->n_running > 0 && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  if (!timed_out)
    g_source_remove (id);
}

void
wait_children (void)
{
  wait_children_for (60);
}

void
settle (void)
{
  gboolean done = FALSE;

  g_timeout_add (150, on_timeout, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* ---- what every page must be --------------------------------------------- */

/* labels under widget; root: the page, whose width a label must keep in
 * (a label that does not wrap inside a scrolled window runs off its edge) */
static void
check_labels_in (GtkWidget *widget, GtkWidget *root, GString *problems)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      graphene_rect_t b;

      if (!gtk_widget_get_mapped (child))
        continue;
      if (GTK_IS_LABEL (child) && *gtk_label_get_text (GTK_LABEL (child)) != '\0')
        {
          GtkLabel *label = GTK_LABEL (child);
          PangoLayout *layout = gtk_label_get_layout (label);
          int min = 0;

          gtk_widget_measure (child, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
          if (pango_layout_is_ellipsized (layout))
            g_string_append_printf (problems, "label cut (ellipsized): \"%s\"\n", gtk_label_get_text (label));
          else if (gtk_widget_get_width (child) < min)
            g_string_append_printf (problems, "label cut (%d px for %d): \"%s\"\n", gtk_widget_get_width (child),
                                    min, gtk_label_get_text (label));
          else if (gtk_widget_compute_bounds (child, root, &b)
                   && (b.origin.x < -1 || b.origin.x + b.size.width > gtk_widget_get_width (root) + 1))
            g_string_append_printf (problems, "label runs off the page (%.0f..%.0f px of %d): \"%s\"\n",
                                    b.origin.x, b.origin.x + b.size.width, gtk_widget_get_width (root),
                                    gtk_label_get_text (label));
        }
      check_labels_in (child, root, problems);
    }
}

void
check_labels (GtkWidget *widget, GString *problems)
{
  check_labels_in (widget, widget, problems);
}

/* buttons, spin buttons, link buttons and activatable rows the pages made */
static gboolean
is_interactive (GtkWidget *w)
{
  return GTK_IS_BUTTON (w) || GTK_IS_SPIN_BUTTON (w) || GTK_IS_SWITCH (w) || GTK_IS_CHECK_BUTTON (w)
         || GTK_IS_ENTRY (w) || GTK_IS_PROGRESS_BAR (w);
}

static gboolean
has_label (GtkWidget *w)
{
  if (g_object_get_data (G_OBJECT (w), "lab-gui-a11y-label") != NULL)
    return TRUE;
  if (GTK_IS_BUTTON (w) && gtk_button_get_label (GTK_BUTTON (w)) != NULL
      && *gtk_button_get_label (GTK_BUTTON (w)) != '\0')
    return TRUE;
  return FALSE;
}

void
check_a11y (GtkWidget *widget, GString *problems)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (!gtk_widget_get_mapped (child))
        continue;
      /* an icon the theme lacks draws as a "missing image" */
      if (GTK_IS_IMAGE (child) && gtk_image_get_storage_type (GTK_IMAGE (child)) == GTK_IMAGE_ICON_NAME
          && !gtk_icon_theme_has_icon (gtk_icon_theme_get_for_display (gtk_widget_get_display (child)),
                                       gtk_image_get_icon_name (GTK_IMAGE (child))))
        g_string_append_printf (problems, "icon %s is not in the theme\n", gtk_image_get_icon_name (GTK_IMAGE (child)));
      if (is_interactive (child))
        {
          /* the +/- of a spin button belong to it: its label covers them */
          if (!has_label (child))
            g_string_append_printf (problems, "%s without an accessible label (tooltip: %s)\n",
                                    G_OBJECT_TYPE_NAME (child), gtk_widget_get_tooltip_text (child));
          if (GTK_IS_SPIN_BUTTON (child))
            continue;
        }
      check_a11y (child, problems);
    }
}

void
check_fits (GtkWindow *window, GString *problems)
{
  int width = 0, height = 0, min = 0;

  /* a label that does not wrap makes the window wider than it opens (a
   * long translation): on a small screen its end is off the screen */
  gtk_window_get_default_size (window, &width, &height);
  gtk_widget_measure (GTK_WIDGET (window), GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
  if (width > 0 && min > width)
    g_string_append_printf (problems, "the window needs %d px across, more than the %d it opens with "
                                      "(a label that does not wrap?)\n", min, width);
}

/* A window as a texture (round2-facts: GTK 4.8 snapshot, cairo renderer). */
static GdkTexture *
snapshot_window (GtkWidget *w)
{
  int width = gtk_widget_get_width (w), height = gtk_widget_get_height (w);
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (w);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (w));

  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    return NULL;
  return gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
}

/* the share of pixels of the page area that differ from its background */
static double
ink_share (GdkTexture *texture)
{
  int width = gdk_texture_get_width (texture), height = gdk_texture_get_height (texture);
  g_autofree guchar *px = g_malloc ((gsize) width * height * 4);
  guint32 bg;
  guint64 ink = 0, n = 0;

  gdk_texture_download (texture, px, (gsize) width * 4);
  /* the page's own background: a point right of the sidebar, low in the window */
  bg = *(guint32 *) (px + ((gsize) (height - 8) * width + (width - 8)) * 4);
  for (int y = 60; y < height; y += 2)
    for (int x = 240; x < width; x += 2)
      {
        n++;
        if (*(guint32 *) (px + ((gsize) y * width + x) * 4) != bg)
          ink++;
      }
  return n > 0 ? ink / (double) n : 0;
}

char *
save_screenshot (GtkWidget *window, const char *file, GdkTexture **out_texture)
{
  g_autoptr(GdkTexture) texture = snapshot_window (window);
  const char *dir = g_getenv ("LABCTL_SCREENSHOT_DIR");
  char *path;

  g_assert_nonnull (texture);
  if (texture == NULL)
    return NULL;
  path = g_build_filename (dir != NULL ? dir : tmp_dir, file, NULL);
  g_mkdir_with_parents (dir != NULL ? dir : tmp_dir, 0755);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
  if (out_texture != NULL)
    *out_texture = g_steal_pointer (&texture);
  return path;
}

void
check_page (LabGuiPage page, const char *name)
{
  g_autoptr(GString) problems = g_string_new (NULL);
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *file = g_strdup_printf ("%s-%d-%s.png", lang, page + 1, name);
  g_autofree char *path = NULL;
  double ink;

  lab_gui_show_page (gui, page);
  settle ();
  gtk_test_widget_wait_for_draw (GTK_WIDGET (gui->window));
  g_assert_true (gtk_stack_get_visible_child (gui->stack) == gui->page_widgets[page]);

  path = save_screenshot (GTK_WIDGET (gui->window), file, &texture);
  if (texture == NULL)
    return;
  ink = ink_share (texture);
  g_test_message ("%s: %.1f %% of the page drawn on", name, ink * 100);
  g_assert_cmpfloat (ink, >, 0.02);

  check_labels (gui->page_widgets[page], problems);
  check_fits (gui->window, problems);
  check_a11y (gui->page_widgets[page], problems);
  check_a11y (GTK_WIDGET (gui->sidebar), problems);
  if (problems->len > 0)
    {
      g_test_message ("page %s:\n%s", name, problems->str);
      g_test_fail ();
    }
}

void
click (GtkWidget *button)
{
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

guint
n_children (GtkWidget *w)
{
  guint n = 0;

  for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL; c = gtk_widget_get_next_sibling (c))
    n++;
  return n;
}


AdwApplication *
open_window (int *argc, char ***argv)
{
  AdwApplication *app;

  lab_i18n_init ();
  gtk_test_init (argc, argv, NULL);
  adw_init ();
  g_test_set_nonfatal_assertions ();
  app = adw_application_new (LAB_GUI_APP_ID, G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  gui = lab_gui_new (GTK_APPLICATION (app));
  gtk_window_present (gui->window);
  return app;
}
