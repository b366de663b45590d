/* gui-test-util.h: what the gui tests share (gui-test-util.c). */
#pragma once

#include "lab-gui.h"

G_BEGIN_DECLS

/* the window under test, a scratch dir, "en" or "ru" (the screenshots' prefix) */
extern LabGui     *gui;
extern char       *tmp_dir;
extern const char *lang;

/* Initialises gettext, GTK (gtk_test_init), libadwaita and GTest (its
 * assertions not fatal), opens gui's window; the application to keep. */
AdwApplication *open_window (int *argc, char ***argv);
/* Runs the main loop until gui's children are done (or 60 s / seconds). */
void   wait_children     (void);
void   wait_children_for (guint seconds);
/* Runs the main loop for 150 ms. */
void   settle            (void);
/* Problems found under widget, a line each, appended to problems. */
void   check_labels      (GtkWidget *widget, GString *problems);
void   check_a11y        (GtkWidget *widget, GString *problems);
/* The window's content must fit the size it opens with. */
void   check_fits        (GtkWindow *window, GString *problems);
/* Saves window as $LABCTL_SCREENSHOT_DIR/file (else tmp_dir); the path. */
char  *save_screenshot   (GtkWidget *window, const char *file, GdkTexture **out_texture);
/* Shows page, saves <lang>-<n>-<name>.png, fails the test when it is
 * (almost) empty, cuts a label or leaves a widget unnamed. */
void   check_page        (LabGuiPage page, const char *name);
/* Asserts button is sensitive and clicks it. */
void   click             (GtkWidget *button);
guint  n_children        (GtkWidget *w);

G_END_DECLS
