/* Fixture (test-layers.c): the GUI, a front end. */
#include "config.h"

#include <gtk/gtk.h>      /* allowed: gui/ */
#include "lab-stand.h"    /* allowed: stand/ is the front ends' door */
#include "lab-vm.h"       /* layer: flavors/ only through stand/ */

static void
start (void)
{
  g_subprocess_new (0, NULL, "labctl", NULL);   /* spawn: only gui/lab-gui-child.c of gui/ */
}
