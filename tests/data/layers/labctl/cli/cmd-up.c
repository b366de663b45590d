/* Fixture (test-layers.c): a command of the CLI, a front end. */
#include "config.h"

#include <unistd.h>
#include "lab-recipe.h"   /* allowed */
#include "lab-stand.h"    /* allowed */
#include "lab-storage.h"  /* layer: storage/ only through stand/ */
#include "lab-nosuch.h"   /* header: there is none */

int
lab_cmd_up (char **argv)
{
  /* spawn: below, outside the runner */
  execvp (argv[0], argv);
  return 1;
}
