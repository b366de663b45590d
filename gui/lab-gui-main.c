/* lab-gui-main.c: the labctl-gui executable. */
#include "config.h"

#include <unistd.h>

#include "lab-gui.h"

#include "lab-i18n.h"

static void
on_activate (GtkApplication *app, gpointer user_data)
{
  LabGui **gui = user_data;

  if (*gui == NULL)
    {
      *gui = lab_gui_new (app);
      lab_gui_check_run (*gui);
    }
  gtk_window_present ((*gui)->window);
}

int
main (int argc, char **argv)
{
  g_autoptr(AdwApplication) app = NULL;
  LabGui *gui = NULL;
  int status;

  lab_i18n_init ();
  /* privileged work goes through pkexec labctl: GTK itself never runs as root */
  if (geteuid () == 0)
    {
      g_printerr ("%s\n", _("labctl-gui does not run as root: start it as yourself; it asks for the "
                            "administrator password when a step needs it."));
      return 4;
    }
  app = adw_application_new (LAB_GUI_APP_ID, G_APPLICATION_DEFAULT_FLAGS);
  g_signal_connect (app, "activate", G_CALLBACK (on_activate), &gui);
  status = g_application_run (G_APPLICATION (app), argc, argv);
  lab_gui_free (gui);
  return status;
}
