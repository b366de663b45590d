/* Fixture (test-layers.c): stand/ may use every layer below it; it spawns nothing. */
#include "config.h"

#include "lab-stand.h"      /* allowed */
#include <libsoup/soup.h>   /* soup: only iso/ and flavors/ */
#include "lab-vm.h"         /* allowed: flavors/ is below stand/ */

int
lab_stand_up (char **argv)
{
  /* the string opens no comment: the call after it on the same line counts (spawn) */
  const char *s = "/*"; return g_spawn_async (NULL, argv, NULL, 0, NULL, NULL, NULL, NULL) && s;
}
