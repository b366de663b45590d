/* lab-stand-iso.c: `labctl iso` over the ISO cache (iso/lab-iso.h). */
#include "config.h"

#include "lab-stand-iso.h"

#include <glib/gstdio.h>
#include <string.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-iso.h"
#include "lab-json.h"
#include "lab-util.h"

typedef struct {
  FILE       *out;
  gboolean    tty;
  const char *what;
  gint64      last;
} Printer;

static void
print_progress (guint64 done, guint64 total, double rate, gpointer user_data)
{
  Printer *p = user_data;
  g_autofree char *line = lab_iso_progress_line (done, total, rate);
  gint64 now = g_get_monotonic_time ();

  if (p->out == NULL)
    return;
  if (p->tty)
    {
      fprintf (p->out, "\r\033[K%s: %s", p->what, line);
      fflush (p->out);
    }
  else if (now - p->last >= 10 * G_USEC_PER_SEC || (total > 0 && done >= total))
    {
      p->last = now;
      fprintf (p->out, "%s: %s\n", p->what, line);
    }
}

static void
end_progress (Printer *p)
{
  if (p->out != NULL && p->tty)
    fputc ('\n', p->out);
}

/* The catalogue's entries, then the ISOs added to the cache under their
 * own name: a FILE.iso that no entry names and labctl did not prepare,
 * with the sum of its FILE.iso.sha256 record (none when verify found it
 * damaged: then it is only there to be removed). */
static GPtrArray *
all_entries (const char *dir, GError **error)
{
  g_autoptr(GPtrArray) cat = lab_iso_catalogue_load (NULL, error);
  g_autoptr(GDir) d = NULL;
  const char *name;

  if (cat == NULL)
    return NULL;
  d = g_dir_open (dir, 0, NULL);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *rec = NULL;
      g_autofree char *text = NULL;
      gboolean known = FALSE;
      LabIsoEntry *e;

      if (!g_str_has_suffix (name, ".iso") || strstr (name, "-auto-from-") != NULL)
        continue;
      for (guint i = 0; i < cat->len && !known; i++)
        known = g_str_equal (((LabIsoEntry *) cat->pdata[i])->file, name);
      if (known)
        continue;
      rec = g_strdup_printf ("%s/%s.sha256", dir, name);
      e = g_new0 (LabIsoEntry, 1);
      e->file = g_strdup (name);
      e->name = g_strndup (name, strlen (name) - 4);
      if (g_file_get_contents (rec, &text, NULL, NULL) && strlen (text) >= 64)
        e->sha256 = g_ascii_strdown (text, 64);
      g_ptr_array_add (cat, e);
    }
  return g_steal_pointer (&cat);
}

static LabIsoEntry *
find_entry (GPtrArray *entries, const char *name, GError **error)
{
  return lab_iso_catalogue_find (entries, name, error);
}

JsonNode *
lab_stand_iso_list (GError **error)
{
  g_autofree char *dir = lab_iso_cache_dir ();
  g_autoptr(GPtrArray) entries = all_entries (dir, error);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (entries == NULL)
    return NULL;
  json_builder_begin_object (b);
  lab_json_member_string (b, "cache_dir", dir);
  json_builder_set_member_name (b, "isos");
  json_builder_begin_array (b);
  for (guint i = 0; i < entries->len; i++)
    {
      LabIsoEntry *e = entries->pdata[i];
      g_autofree char *path = lab_iso_path (e, dir);
      gboolean cached = g_file_test (path, G_FILE_TEST_IS_REGULAR);

      json_builder_begin_object (b);
      lab_json_member_string (b, "name", e->name);
      lab_json_member_nullable (b, "product", e->product);
      lab_json_member_nullable (b, "version", e->version);
      lab_json_member_string (b, "file", e->file);
      lab_json_member_nullable (b, "url", e->url);
      lab_json_member_int (b, "size", (gint64) e->size);
      lab_json_member_nullable (b, "sha256", e->sha256);
      lab_json_member_nullable (b, "osinfo", e->osinfo);
      lab_json_member_boolean (b, "in_catalogue", e->url != NULL);
      lab_json_member_string (b, "path", path);
      lab_json_member_boolean (b, "cached", cached);
      lab_json_member_boolean (b, "verified", cached && lab_iso_is_verified (path, e->sha256));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

char *
lab_stand_iso_list_format (JsonNode *list)
{
  JsonObject *o = json_node_get_object (list);
  JsonArray *a = json_object_get_array_member (o, "isos");
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, _("ISO cache: %s\n"), json_object_get_string_member (o, "cache_dir"));
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *e = json_array_get_object_element (a, i);
      const char *state = !json_object_get_boolean_member (e, "cached")     ? _("not cached")
                          : json_object_get_boolean_member (e, "verified") ? _("cached, verified")
                                                                           : _("cached, not verified");
      const char *product = json_object_get_string_member_with_default (e, "product", NULL);

      g_string_append_printf (s, "  %-16s %-22s %s%s%s%s\n", json_object_get_string_member (e, "name"),
                              json_object_get_string_member (e, "file"), state, product != NULL ? " (" : "",
                              product != NULL ? product : "", product != NULL ? ")" : "");
    }
  return g_string_free (s, FALSE);
}

gboolean
lab_stand_iso_fetch (const char *name, const char *url, const char *mirror, FILE *out, gboolean tty,
                     GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) cat = lab_iso_catalogue_load (NULL, error);
  g_autofree char *source = NULL;
  g_autofree char *path = NULL;
  Printer p = { out, tty, name, 0 };
  LabIsoEntry *e;
  gboolean ok;

  if (cat == NULL || (e = find_entry (cat, name, error)) == NULL)
    return FALSE;
  source = url != NULL ? g_strdup (url) : mirror != NULL ? lab_iso_mirror_url (e, mirror) : g_strdup (e->url);
  path = lab_iso_path (e, NULL);
  if (out != NULL && !lab_iso_is_verified (path, e->sha256))
    fprintf (out, _("Downloading %s from %s to %s\n"), e->name, source, path);
  ok = lab_iso_fetch (e, NULL, source, print_progress, &p, cancellable, error);
  end_progress (&p);
  if (ok && out != NULL)
    fprintf (out, _("%s: %s, SHA-256 verified\n"), e->name, path);
  return ok;
}

gboolean
lab_stand_iso_add (const char *file, const char *sha256, FILE *out, gboolean tty, char **out_name,
                   GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) cat = lab_iso_catalogue_load (NULL, error);
  g_autoptr(LabIsoEntry) added = NULL;
  Printer p = { out, tty, file, 0 };
  gboolean ok;

  if (cat == NULL)
    return FALSE;
  ok = lab_iso_add (cat, file, sha256, NULL, &added, print_progress, &p, cancellable, error);
  end_progress (&p);
  if (ok && out_name != NULL)
    *out_name = g_strdup (added->name);
  return ok;
}

gboolean
lab_stand_iso_verify (const char *name, FILE *out, gboolean tty, JsonNode **out_report, GCancellable *cancellable,
                      GError **error)
{
  g_autofree char *dir = lab_iso_cache_dir ();
  g_autoptr(GPtrArray) entries = all_entries (dir, error);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GString) bad = g_string_new (NULL);
  guint checked = 0;

  if (entries == NULL)
    return FALSE;
  if (name != NULL)
    {
      LabIsoEntry *e = find_entry (entries, name, error);
      g_autofree char *path = NULL;

      if (e == NULL)
        return FALSE;
      path = lab_iso_path (e, dir);
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                       _("%s is not in the ISO cache (%s); get it with `labctl iso fetch %s` or "
                         "`labctl iso add FILE`"), name, path, name);
          return FALSE;
        }
    }
  json_builder_begin_array (b);
  for (guint i = 0; i < entries->len; i++)
    {
      LabIsoEntry *e = entries->pdata[i];
      g_autofree char *path = lab_iso_path (e, dir);
      g_autofree char *sum = NULL;
      Printer p = { out, tty, e->name, 0 };
      gboolean ok;

      if ((name != NULL && g_strcmp0 (e->name, name) != 0 && g_strcmp0 (e->file, name) != 0)
          || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      sum = lab_iso_sha256_file (path, print_progress, &p, cancellable, error);
      end_progress (&p);
      if (sum == NULL)
        return FALSE;
      checked++;
      ok = g_strcmp0 (sum, e->sha256) == 0;
      if (ok)
        {
          if (!lab_iso_record_sha256 (path, sum, error))
            return FALSE;
        }
      else
        {
          g_autofree char *rec = g_strconcat (path, ".sha256", NULL);
          g_remove (rec);
          g_string_append_printf (bad, "%s%s", bad->len > 0 ? ", " : "", e->name);
        }
      if (out != NULL)
        fprintf (out, ok ? _("%s: OK (%s)\n") : _("%s: DAMAGED: SHA-256 %s\n"), e->name, ok ? path : sum);
      json_builder_begin_object (b);
      lab_json_member_string (b, "name", e->name);
      lab_json_member_string (b, "path", path);
      lab_json_member_string (b, "sha256", sum);
      lab_json_member_nullable (b, "expected", e->sha256);
      lab_json_member_boolean (b, "ok", ok);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (out_report != NULL)
    *out_report = json_builder_get_root (b);
  if (checked == 0 && out != NULL)
    fprintf (out, _("The ISO cache %s holds no ISO yet\n"), dir);
  if (bad->len > 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_CHECK_FAILED,
                   _("Damaged in the ISO cache: %s (SHA-256 differs from the catalogue's); they are not used: "
                     "`labctl iso remove NAME`, then `labctl iso fetch NAME`"), bad->str);
      return FALSE;
    }
  return TRUE;
}

gboolean
lab_stand_iso_remove (const char *name, guint *out_removed, GError **error)
{
  g_autofree char *dir = lab_iso_cache_dir ();
  g_autoptr(GPtrArray) entries = all_entries (dir, error);
  LabIsoEntry *e;

  if (entries == NULL || (e = find_entry (entries, name, error)) == NULL)
    return FALSE;
  return lab_iso_remove (e, dir, out_removed, error);
}
