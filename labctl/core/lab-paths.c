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

/* $env if set, in_build_tree when running from the build tree, installed
 * otherwise (newly allocated). */
static char *
resolve_dir (const char *env, const char *in_build_tree, const char *installed)
{
  const char *value = g_getenv (env);

  if (value != NULL && *value != '\0')
    return g_strdup (value);
  if (running_from_build_tree ())
    return g_strdup (in_build_tree);
  return g_strdup (installed);
}

const char *
lab_paths_data_dir (void)
{
  static gsize once;
  static char *dir;

  if (g_once_init_enter (&once))
    {
      dir = resolve_dir ("LABCTL_DATA_DIR", LABCTL_SOURCE_DIR, LABCTL_PKGDATADIR);
      g_once_init_leave (&once, 1);
    }
  return dir;
}

const char *
lab_paths_locale_dir (void)
{
  static gsize once;
  static char *dir;

  if (g_once_init_enter (&once))
    {
      /* po/meson.build builds po/<lang>/LC_MESSAGES/labctl.mo there */
      dir = resolve_dir ("LABCTL_LOCALEDIR", LABCTL_BUILD_DIR "/po", LABCTL_LOCALEDIR);
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
