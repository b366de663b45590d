/* lab-util.c: sizes, stable UUIDs, shell lines. */
#include "config.h"

#include "lab-util.h"

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

char *
lab_format_size (guint64 bytes)
{
  g_autofree char *s = g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
  g_auto(GStrv) parts = g_strsplit (s, "\u00a0", -1);

  return g_strjoinv (" ", parts);
}

char *
lab_format_size_exact (guint64 bytes)
{
  static const struct { const char *suffix; guint shift; } units[] = {
    { "T", 40 }, { "G", 30 }, { "M", 20 }, { "K", 10 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    {
      guint64 u = G_GUINT64_CONSTANT (1) << units[i].shift;

      if (bytes >= u && bytes % u == 0)
        return g_strdup_printf ("%" G_GUINT64_FORMAT "%s", bytes / u, units[i].suffix);
    }
  return g_strdup_printf ("%" G_GUINT64_FORMAT, bytes);
}

char *
lab_uuid_from_seed (const char *seed)
{
  g_autofree char *h = g_compute_checksum_for_string (G_CHECKSUM_SHA256, seed, -1);

  return g_strdup_printf ("%.8s-%.4s-4%.3s-8%.3s-%.12s", h, h + 8, h + 12, h + 15, h + 18);
}

char *
lab_shell_quote (const char *arg)
{
  gboolean plain = *arg != '\0';

  for (const char *p = arg; plain && *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("_-./:=@%+,", *p) == NULL)
      plain = FALSE;
  return plain ? g_strdup (arg) : g_shell_quote (arg);
}

void
lab_lines_add_cmd (GPtrArray *lines, const char *argv0, ...)
{
  GString *s = g_string_new (NULL);
  va_list ap;

  va_start (ap, argv0);
  for (const char *a = argv0; a != NULL; a = va_arg (ap, const char *))
    {
      g_autofree char *q = lab_shell_quote (a);

      if (s->len > 0)
        g_string_append_c (s, ' ');
      g_string_append (s, q);
    }
  va_end (ap);
  g_ptr_array_add (lines, g_string_free (s, FALSE));
}

char **
lab_lines_steal (GPtrArray *lines)
{
  g_ptr_array_add (lines, NULL);
  return (char **) g_ptr_array_free (lines, FALSE);
}

void
lab_strv_add_valist (GPtrArray *strv, const char *first, va_list ap)
{
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (strv, g_strdup (a));
}

void
lab_strv_add (GPtrArray *strv, const char *first, ...)
{
  va_list ap;

  va_start (ap, first);
  lab_strv_add_valist (strv, first, ap);
  va_end (ap);
}

char **
lab_strv_new (const char *first, ...)
{
  GPtrArray *strv = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first);
  lab_strv_add_valist (strv, first, ap);
  va_end (ap);
  return lab_lines_steal (strv);
}

char *
lab_cache_dir (void)
{
  const char *env = g_getenv ("LABCTL_CACHE_DIR");

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  if (geteuid () == 0)
    return g_strdup ("/var/cache/labctl");
  return g_build_filename (g_get_user_cache_dir (), "labctl", NULL);
}
