/* Fixture (test-layers.c): core/ must not look up, and only code counts:
 * none of fork(), execvp() or system() in this comment is a call. */
#include "config.h"

#include "lab-stand.h"    /* layer: stand/ is above core/ */
#include <gtk/gtk.h>      /* gtk: only gui/ */
#include "lab-runner.h"   /* allowed: its own layer */

typedef struct { int (*fork) (void); } Ops;

int lab_fork_count (void);

int
lab_state_save (Ops *ops)
{
  const char *hint = "never fork( here";   // nor popen( in this comment
  char quote = '"', apostrophe = '\'';
  ops->fork ();
  lab_fork_count ();
  return fork () + quote + apostrophe + (hint != NULL);   /* spawn: outside the runner */
}
