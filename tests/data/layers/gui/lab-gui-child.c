/* Fixture (test-layers.c): the GUI's child runner may start processes. */
#include "config.h"

#include <gio/gio.h>

static void
start (void)
{
  g_subprocess_new (0, NULL, "labctl", "--progress=json", NULL);   /* allowed: the GUI's one place */
}
