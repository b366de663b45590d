/* lab-iso.c: the ISO catalogue, the cache directory, checksums, locks,
 * `iso add` and `iso remove`. Downloads: lab-iso-fetch.c. */
#include "config.h"

#include "lab-iso.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-paths.h"
#include "lab-util.h"

#define READ_CHUNK (1024 * 1024)

void
lab_iso_entry_free (LabIsoEntry *e)
{
  if (e == NULL)
    return;
  g_free (e->name);
  g_free (e->product);
  g_free (e->version);
  g_free (e->file);
  g_free (e->url);
  g_free (e->sha256);
  g_free (e->osinfo);
  g_free (e);
}

static gboolean
is_sha256_hex (const char *s)
{
  if (s == NULL || strlen (s) != 64)
    return FALSE;
  for (const char *c = s; *c; c++)
    if (!g_ascii_isxdigit (*c))
      return FALSE;
  return TRUE;
}

GPtrArray *
lab_iso_catalogue_load (const char *path, GError **error)
{
  g_autofree char *shipped = path == NULL ? lab_paths_data_file ("iso-cache", "isos.ini", NULL) : NULL;
  const char *file = path != NULL ? path : shipped;
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) local = NULL;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_iso_entry_free);
  g_auto(GStrv) groups = NULL;

  if (!g_key_file_load_from_file (kf, file, G_KEY_FILE_NONE, &local))
    {
      g_set_error (error, LAB_ERROR,
                   g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? LAB_ERROR_NOT_FOUND : LAB_ERROR_FAILED,
                   _("Cannot read the ISO catalogue %s: %s; reinstall labctl or set LABCTL_DATA_DIR"), file,
                   local->message);
      return NULL;
    }
  groups = g_key_file_get_groups (kf, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autoptr(LabIsoEntry) e = g_new0 (LabIsoEntry, 1);
      g_autofree char *size = g_key_file_get_string (kf, groups[i], "size", NULL);

      e->name = g_strdup (groups[i]);
      e->product = g_key_file_get_string (kf, groups[i], "product", NULL);
      e->version = g_key_file_get_string (kf, groups[i], "version", NULL);
      e->file = g_key_file_get_string (kf, groups[i], "file", NULL);
      e->url = g_key_file_get_string (kf, groups[i], "url", NULL);
      e->sha256 = g_key_file_get_string (kf, groups[i], "sha256", NULL);
      e->osinfo = g_key_file_get_string (kf, groups[i], "osinfo", NULL);
      if (size != NULL)
        e->size = g_ascii_strtoull (size, NULL, 10);
      if (e->file == NULL || strchr (e->file, '/') != NULL || e->url == NULL || !is_sha256_hex (e->sha256))
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                       _("ISO catalogue %s: [%s] needs file (a plain name), url and sha256 (64 hex digits)"),
                       file, groups[i]);
          return NULL;
        }
      {
        char *lower = g_ascii_strdown (e->sha256, -1);
        g_free (e->sha256);
        e->sha256 = lower;
      }
      g_ptr_array_add (out, g_steal_pointer (&e));
    }
  return g_steal_pointer (&out);
}

LabIsoEntry *
lab_iso_catalogue_find (GPtrArray *catalogue, const char *name, GError **error)
{
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < catalogue->len; i++)
    {
      LabIsoEntry *e = catalogue->pdata[i];
      if (g_strcmp0 (e->name, name) == 0 || g_strcmp0 (e->file, name) == 0)
        return e;
      g_string_append_printf (names, "%s%s", i > 0 ? ", " : "", e->name);
    }
  g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
               _("No ISO named '%s' in the catalogue (known: %s); see `labctl iso list`, or add a file of your own "
                 "with `labctl iso add FILE --sha256 SUM`"), name, names->str);
  return NULL;
}

char *
lab_iso_cache_dir (void)
{
  const char *dir = g_getenv ("LABCTL_ISO_DIR");
  g_autofree char *cache = NULL;

  if (dir != NULL && *dir != '\0')
    return g_strdup (dir);
  cache = lab_cache_dir ();
  return g_build_filename (cache, "iso", NULL);
}

char *
lab_iso_path (const LabIsoEntry *entry, const char *dir)
{
  g_autofree char *d = dir == NULL ? lab_iso_cache_dir () : g_strdup (dir);

  return g_build_filename (d, entry->file, NULL);
}

char *
lab_iso_format_eta (double seconds)
{
  guint64 s = seconds < 0 ? 0 : (guint64) (seconds + 0.5);

  if (s >= 3600)
    return g_strdup_printf (_("%llu h %llu min"), (unsigned long long) (s / 3600),
                            (unsigned long long) (s % 3600 / 60));
  if (s >= 60)
    return g_strdup_printf (_("%llu min %llu s"), (unsigned long long) (s / 60), (unsigned long long) (s % 60));
  return g_strdup_printf (_("%llu s"), (unsigned long long) s);
}

char *
lab_iso_progress_line (guint64 done, guint64 total, double rate)
{
  g_autofree char *d = lab_format_size (done);
  g_autofree char *r = lab_format_size ((guint64) rate);

  if (total > 0)
    {
      g_autofree char *t = lab_format_size (total);
      g_autofree char *eta = lab_iso_format_eta (rate > 0 ? (total - MIN (done, total)) / rate : 0);

      if (rate > 0)
        return g_strdup_printf (_("%s of %s (%u%%), %s/s, %s left"), d, t, (guint) (done * 100 / total), r, eta);
      return g_strdup_printf (_("%s of %s (%u%%)"), d, t, (guint) (done * 100 / total));
    }
  return g_strdup_printf (_("%s, %s/s"), d, r);
}

char *
lab_iso_sha256_file (const char *path, LabIsoProgressFunc progress, gpointer user_data,
                     GCancellable *cancellable, GError **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) local = NULL;
  g_autoptr(GFileInputStream) in = g_file_read (file, cancellable, &local);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guchar *buf = g_malloc (READ_CHUNK);
  struct stat st;
  guint64 done = 0;
  gint64 t0 = g_get_monotonic_time (), last = 0;

  if (in == NULL || g_stat (path, &st) != 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, _("Cannot read %s: %s"), path,
                   local != NULL ? local->message : g_strerror (errno));
      return NULL;
    }
  for (;;)
    {
      gssize n = g_input_stream_read (G_INPUT_STREAM (in), buf, READ_CHUNK, cancellable, &local);
      gint64 now;

      if (n < 0)
        {
          g_set_error (error, LAB_ERROR,
                       g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? LAB_ERROR_CANCELLED : LAB_ERROR_FAILED,
                       _("Cannot read %s: %s"), path, local->message);
          return NULL;
        }
      if (n == 0)
        break;
      g_checksum_update (sum, buf, n);
      done += n;
      now = g_get_monotonic_time ();
      if (progress != NULL && now - last > G_USEC_PER_SEC / 2)
        {
          last = now;
          progress (done, st.st_size, done / MAX ((now - t0) / 1e6, 1e-3), user_data);
        }
    }
  return g_strdup (g_checksum_get_string (sum));
}

static char *
record_path (const char *path)
{
  return g_strconcat (path, ".sha256", NULL);
}

gboolean
lab_iso_is_verified (const char *path, const char *expected)
{
  g_autofree char *rec = record_path (path);
  g_autofree char *text = NULL;
  struct stat st_iso, st_rec;

  if (expected == NULL || g_stat (path, &st_iso) != 0 || g_stat (rec, &st_rec) != 0
      || st_rec.st_mtime < st_iso.st_mtime || !g_file_get_contents (rec, &text, NULL, NULL))
    return FALSE;
  return g_ascii_strncasecmp (text, expected, 64) == 0 && strlen (text) > 64 && text[64] == ' ';
}

gboolean
lab_iso_record_sha256 (const char *path, const char *sha256, GError **error)
{
  g_autofree char *rec = record_path (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *text = g_strdup_printf ("%s  %s\n", sha256, base);
  g_autoptr(GError) local = NULL;

  if (!g_file_set_contents_full (rec, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &local))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot write %s: %s"), rec, local->message);
      return FALSE;
    }
  return TRUE;
}

struct _LabIsoLock {
  int fd;
};

LabIsoLock *
lab_iso_lock (const char *path, void (*waiting) (const char *path, gpointer user_data), gpointer user_data,
              GError **error)
{
  g_autofree char *lock_path = g_strconcat (path, ".lock", NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  LabIsoLock *lock;
  int fd;

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int e = errno;
      g_set_error (error, LAB_ERROR, e == EACCES ? LAB_ERROR_PERMISSION : LAB_ERROR_FAILED,
                   _("Cannot create the ISO cache directory %s: %s; run as root (sudo) or set LABCTL_ISO_DIR"), dir,
                   g_strerror (e));
      return NULL;
    }
  fd = g_open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, LAB_ERROR, e == EACCES ? LAB_ERROR_PERMISSION : LAB_ERROR_FAILED,
                   _("Cannot open the lock %s: %s; run as root (sudo) or set LABCTL_ISO_DIR"), lock_path,
                   g_strerror (e));
      return NULL;
    }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      if (waiting != NULL)
        waiting (path, user_data);
      while (flock (fd, LOCK_EX) != 0)
        if (errno != EINTR)
          {
            int e = errno;
            close (fd);
            g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot lock %s: %s"), lock_path, g_strerror (e));
            return NULL;
          }
    }
  lock = g_new0 (LabIsoLock, 1);
  lock->fd = fd;
  return lock;
}

void
lab_iso_lock_free (LabIsoLock *lock)
{
  if (lock == NULL)
    return;
  flock (lock->fd, LOCK_UN);
  close (lock->fd);
  g_free (lock);
}

char *
lab_iso_mirror_url (const LabIsoEntry *entry, const char *mirror)
{
  gsize n = strlen (mirror);

  while (n > 0 && mirror[n - 1] == '/')
    n--;
  return g_strdup_printf ("%.*s/%s", (int) n, mirror, entry->file);
}

/* Copies src to dest.part then renames it (a hard link when on the same
 * file system). */
static gboolean
copy_into (const char *src, const char *dest, GCancellable *cancellable, GError **error)
{
  g_autofree char *part = g_strconcat (dest, ".part", NULL);
  g_autoptr(GFile) s = g_file_new_for_path (src);
  g_autoptr(GFile) p = g_file_new_for_path (part);
  g_autoptr(GError) local = NULL;

  g_unlink (part);
  if (link (src, part) != 0
      && !g_file_copy (s, p, G_FILE_COPY_OVERWRITE, cancellable, NULL, NULL, &local))
    {
      g_unlink (part);
      g_set_error (error, LAB_ERROR,
                   g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NO_SPACE) ? LAB_ERROR_NO_SPACE : LAB_ERROR_FAILED,
                   _("Cannot copy %s to %s: %s"), src, dest, local->message);
      return FALSE;
    }
  if (g_rename (part, dest) != 0)
    {
      int e = errno;
      g_unlink (part);
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot rename %s to %s: %s"), part, dest, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

gboolean
lab_iso_add (GPtrArray *catalogue, const char *file, const char *sha256, const char *dir, LabIsoEntry **out_entry,
             LabIsoProgressFunc progress, gpointer user_data, GCancellable *cancellable, GError **error)
{
  g_autofree char *sum = NULL;
  g_autofree char *expected = sha256 != NULL ? g_ascii_strdown (sha256, -1) : NULL;
  g_autofree char *dest = NULL;
  g_autoptr(LabIsoLock) lock = NULL;
  g_autoptr(LabIsoEntry) own = NULL;
  LabIsoEntry *entry = NULL;

  if (expected != NULL && !is_sha256_hex (expected))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_USAGE,
                   _("'%s' is not a SHA-256 sum (64 hex digits, as `sha256sum FILE` prints)"), sha256);
      return FALSE;
    }
  if (!g_file_test (file, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, _("%s is not a file"), file);
      return FALSE;
    }
  sum = lab_iso_sha256_file (file, progress, user_data, cancellable, error);
  if (sum == NULL)
    return FALSE;
  for (guint i = 0; i < catalogue->len && entry == NULL; i++)
    if (g_strcmp0 (((LabIsoEntry *) catalogue->pdata[i])->sha256, sum) == 0)
      entry = catalogue->pdata[i];
  if (expected != NULL && g_strcmp0 (expected, sum) != 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_CHECK_FAILED,
                   _("%s has the SHA-256 %s, not the %s given: it is damaged or another file; nothing was added"),
                   file, sum, expected);
      return FALSE;
    }
  if (entry == NULL && expected == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_CHECK_FAILED,
                   _("%s (SHA-256 %s) is none of the catalogue's ISOs (`labctl iso list`): it is damaged, another "
                     "release, or not in the catalogue; for an ISO of your own give its published sum: "
                     "labctl iso add %s --sha256 SUM"), file, sum, file);
      return FALSE;
    }
  if (entry == NULL)
    {
      g_autofree char *base = g_path_get_basename (file);

      own = g_new0 (LabIsoEntry, 1);
      own->file = g_strdup (base);
      own->name = g_str_has_suffix (base, ".iso") ? g_strndup (base, strlen (base) - 4) : g_strdup (base);
      own->sha256 = g_strdup (sum);
      entry = own;
    }
  dest = lab_iso_path (entry, dir);
  lock = lab_iso_lock (dest, NULL, NULL, error);
  if (lock == NULL)
    return FALSE;
  {
    g_autofree char *a = g_canonicalize_filename (file, NULL);
    g_autofree char *b = g_canonicalize_filename (dest, NULL);

    if (g_strcmp0 (a, b) != 0 && !copy_into (file, dest, cancellable, error))
      return FALSE;
  }
  if (!lab_iso_record_sha256 (dest, sum, error))
    return FALSE;
  if (out_entry != NULL)
    {
      LabIsoEntry *copy = g_new0 (LabIsoEntry, 1);

      copy->name = g_strdup (entry->name);
      copy->product = g_strdup (entry->product);
      copy->version = g_strdup (entry->version);
      copy->file = g_strdup (entry->file);
      copy->url = g_strdup (entry->url);
      copy->size = entry->size;
      copy->sha256 = g_strdup (sum);
      copy->osinfo = g_strdup (entry->osinfo);
      *out_entry = copy;
    }
  return TRUE;
}

gboolean
lab_iso_remove (const LabIsoEntry *entry, const char *dir, guint *out_removed, GError **error)
{
  g_autofree char *d = dir == NULL ? lab_iso_cache_dir () : g_strdup (dir);
  g_autofree char *path = g_build_filename (d, entry->file, NULL);
  g_autofree char *stem = g_str_has_suffix (entry->file, ".iso")
                            ? g_strndup (entry->file, strlen (entry->file) - 4) : g_strdup (entry->file);
  g_autofree char *prefix = g_strconcat (stem, "-", NULL);
  g_autoptr(LabIsoLock) lock = NULL;
  g_autoptr(GDir) gd = NULL;
  const char *name;
  guint removed = 0;

  *out_removed = 0;
  if (!g_file_test (d, G_FILE_TEST_IS_DIR))
    return TRUE;
  lock = lab_iso_lock (path, NULL, NULL, error);
  if (lock == NULL)
    return FALSE;
  gd = g_dir_open (d, 0, NULL);
  while (gd != NULL && (name = g_dir_read_name (gd)) != NULL)
    {
      /* the ISO, its record and partial download, and what labctl
       * prepared from it (<stem>-auto-from-partition.iso and its record) */
      gboolean ours = g_str_equal (name, entry->file)
                      || (g_str_has_prefix (name, entry->file) && name[strlen (entry->file)] == '.'
                          && !g_str_has_suffix (name, ".lock"))
                      || (g_str_has_prefix (name, prefix) && strstr (name, ".iso") != NULL
                          && !g_str_has_suffix (name, ".lock"));
      g_autofree char *p = g_build_filename (d, name, NULL);

      if (!ours)
        continue;
      if (g_unlink (p) != 0)
        {
          int e = errno;
          g_set_error (error, LAB_ERROR, e == EACCES ? LAB_ERROR_PERMISSION : LAB_ERROR_FAILED,
                       _("Cannot remove %s: %s"), p, g_strerror (e));
          return FALSE;
        }
      removed++;
    }
  *out_removed = removed;
  return TRUE;
}
