/* fuzz-main.c: the main() of a fuzz target in a build without libFuzzer.
 * Each argument is a file, or a directory whose files are, handed once to
 * LLVMFuzzerTestOneInput() (a seed corpus, or the input a fuzzer found
 * crashing). TAP output, one line per input, so `meson test` shows which
 * input broke; a crash ends the program, which the test reports. */
#include "config.h"

#include <stdio.h>

#include <glib.h>

#include "fuzz.h"

static guint n_run;

static gboolean
run_file (const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;

  if (!g_file_get_contents (path, &data, &len, &error))
    {
      printf ("not ok %u - %s: %s\n", ++n_run, path, error->message);
      return FALSE;
    }
  printf ("# %s (%" G_GSIZE_FORMAT " bytes)\n", path, len);
  fflush (stdout);
  LLVMFuzzerTestOneInput ((const uint8_t *) data, len);
  printf ("ok %u - %s\n", ++n_run, path);
  return TRUE;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

int
main (int argc, char **argv)
{
  gboolean ok = TRUE;

  printf ("TAP version 13\n");
  for (int i = 1; i < argc; i++)
    {
      if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          g_autoptr(GDir) dir = g_dir_open (argv[i], 0, NULL);
          g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
          const char *name;

          while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
            g_ptr_array_add (names, g_build_filename (argv[i], name, NULL));
          g_ptr_array_sort (names, compare_names);
          for (guint j = 0; j < names->len; j++)
            ok = run_file (g_ptr_array_index (names, j)) && ok;
        }
      else
        ok = run_file (argv[i]) && ok;
    }
  if (n_run == 0)
    {
      printf ("not ok 1 - no input given (a corpus directory or files)\n");
      ok = FALSE;
      n_run = 1;
    }
  printf ("1..%u\n", n_run);
  return ok ? 0 : 1;
}
