/* fuzz-state.c: the state loader (core/lab-state.c) on a state.json, and
 * the getters on what it accepts. The loader reads <dir>/state.json, so
 * each input is written to a private temporary directory first. */
#include "config.h"

#include <stdlib.h>

#include <glib/gstdio.h>

#include "fuzz.h"
#include "lab-state.h"

static char *dir;
static char *path;

static void
remove_dir (void)
{
  g_unlink (path);
  g_rmdir (dir);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  LabState *state;

  fuzz_setup ();
  if (dir == NULL)
    {
      dir = g_dir_make_tmp ("labctl-fuzz-state-XXXXXX", NULL);
      g_assert (dir != NULL);
      path = g_build_filename (dir, "state.json", NULL);
      atexit (remove_dir);
    }
  /* no fsync: the file only has to be there for the loader */
  g_assert (g_file_set_contents_full (path, (const char *) data, size, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
  state = lab_state_load (dir, "fuzz", &error);
  g_assert ((state == NULL) == (error != NULL));
  if (state != NULL)
    {
      const char *steps[] = { "storage.attach", "storage.pv", "guests.start:tiny", "", NULL };
      g_auto(GStrv) keys = lab_state_list_keys (state, "");

      for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
        {
          lab_state_get_string (state, keys[i]);
          lab_state_get_int (state, keys[i], 0);
          lab_state_get_bool (state, keys[i], FALSE);
          lab_state_get_secret (state, keys[i]);
        }
      for (guint i = 0; steps[i] != NULL; i++)
        {
          lab_state_get_step (state, steps[i]);
          lab_state_get_step_seconds (state, steps[i]);
        }
      lab_state_is_empty (state);
      lab_state_get_recipe_hash (state);
      lab_state_free (state);
    }
  return 0;
}
