/* lab-paths.c: shipped data lookup. */
#include "config.h"

#include "lab-paths.h"

#include <stdarg.h>

static gboolean
running_from_build_tree (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);

  return exe != NULL && g_str_has_prefix (exe, LABCTL_BUILD_DIR "/");
}

const char *
lab_paths_data_dir (void)
{
  static gsize once;
  static char *dir;

  if (g_once_init_enter (&once))
    {
      const char *env = g_getenv ("LABCTL_DATA_DIR");
      char *value;

      if (env != NULL && *env != '\0')
        value = g_strdup (env);
      else if (running_from_build_tree ())
        value = g_strdup (LABCTL_SOURCE_DIR);
      else
        value = g_strdup (LABCTL_PKGDATADIR);
      dir = value;
      g_once_init_leave (&once, 1);
    }
  return dir;
}

char *
lab_paths_data_file (const char *first, ...)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  va_list ap;

  g_ptr_array_add (parts, (gpointer) lab_paths_data_dir ());
  va_start (ap, first);
  for (const char *p = first; p != NULL; p = va_arg (ap, const char *))
    g_ptr_array_add (parts, (gpointer) p);
  va_end (ap);
  g_ptr_array_add (parts, NULL);
  return g_build_filenamev ((char **) parts->pdata);
}
