/* lab-iso-fetch.c: downloads into the ISO cache with libsoup3 (its
 * synchronous API, on the calling thread): FILE.part is resumed with a
 * Range request, the SHA-256 is computed while the bytes arrive (over the
 * part already there first), and only a file whose sum matches is renamed
 * to FILE and recorded as verified. */
#include "config.h"

#include "lab-iso.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>
#include <sys/statvfs.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-util.h"

#define CHUNK          (256 * 1024)
#define IDLE_TIMEOUT_S 60

typedef struct {
  const LabIsoEntry  *entry;
  const char         *url;
  const char         *part;
  LabIsoProgressFunc  progress;
  gpointer            user_data;
  gint64              t0;
  gint64              last;
  guint64             start;   /* bytes that were there before this run */
} Fetch;

/* What to say when the server cannot be reached. */
static void
set_offline_error (GError **error, Fetch *f, const char *why)
{
  g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
               _("Cannot download %s from %s: %s. If this machine is offline but you have the file, add it: "
                 "labctl iso add PATH/%s (it is checked against the catalogue's SHA-256); or name another source "
                 "with --mirror BASE-URL or --url URL"),
               f->entry->name, f->url, why, f->entry->file);
}

static void
report (Fetch *f, guint64 done, guint64 total, gboolean force)
{
  gint64 now = g_get_monotonic_time ();
  double secs = (now - f->t0) / 1e6;

  if (f->progress == NULL || (!force && now - f->last < G_USEC_PER_SEC / 2))
    return;
  f->last = now;
  f->progress (done, total, secs > 0.05 ? (done - f->start) / secs : 0, f->user_data);
}

/* The free bytes of dir's file system, or G_MAXUINT64 when unknown. */
static guint64
free_bytes (const char *dir)
{
  struct statvfs sv;

  if (statvfs (dir, &sv) != 0)
    return G_MAXUINT64;
  return (guint64) sv.f_bavail * sv.f_frsize;
}

static gboolean
hash_existing (const char *part, GChecksum *sum, guint64 *out_len, GCancellable *cancellable, GError **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (part);
  g_autoptr(GError) local = NULL;
  g_autoptr(GFileInputStream) in = g_file_read (file, cancellable, &local);
  g_autofree guchar *buf = g_malloc (CHUNK);
  gssize n;

  *out_len = 0;
  if (in == NULL)
    return g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
           || (g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot read %s: %s"), part, local->message), FALSE);
  while ((n = g_input_stream_read (G_INPUT_STREAM (in), buf, CHUNK, cancellable, &local)) > 0)
    {
      g_checksum_update (sum, buf, n);
      *out_len += n;
    }
  if (n < 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot read %s: %s"), part, local->message);
      return FALSE;
    }
  return TRUE;
}

/* One request from offset; *out_complete when the server says the part
 * already has everything (416 on a resume). */
static gboolean
download (Fetch *f, SoupSession *session, guint64 *inout_len, GChecksum **inout_sum, guint64 *out_total,
          GCancellable *cancellable, GError **error)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", f->url);
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(GFileOutputStream) out = NULL;
  g_autoptr(GFile) part_file = g_file_new_for_path (f->part);
  g_autofree guchar *buf = g_malloc (CHUNK);
  g_autofree char *dir = g_path_get_dirname (f->part);
  guint64 offset = *inout_len, total, need, have;
  goffset length;
  guint status;
  gssize n;

  if (msg == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_USAGE, _("'%s' is not a URL labctl can download from (http or https)"),
                   f->url);
      return FALSE;
    }
  if (offset > 0)
    soup_message_headers_set_range (soup_message_get_request_headers (msg), offset, -1);
  in = soup_session_send (session, msg, cancellable, &local);
  if (in == NULL)
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_CANCELLED, _("Download of %s interrupted; `labctl iso fetch %s` "
                                                                "resumes it"), f->entry->name, f->entry->name);
          return FALSE;
        }
      set_offline_error (error, f, local->message);
      return FALSE;
    }
  status = soup_message_get_status (msg);
  if (offset > 0 && status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE)
    {
      /* the part holds the whole file already */
      *out_total = offset;
      return TRUE;
    }
  if (status == SOUP_STATUS_NOT_FOUND)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("Cannot download %s: %s answered 404 Not Found; the file may have moved: name the right place "
                     "with --url URL or --mirror BASE-URL, or add a copy you have with `labctl iso add FILE`"),
                   f->entry->name, f->url);
      return FALSE;
    }
  if (status != SOUP_STATUS_OK && status != SOUP_STATUS_PARTIAL_CONTENT)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                   _("Cannot download %s: %s answered %u %s; try again later, or another source (--mirror, --url)"),
                   f->entry->name, f->url, status, soup_message_get_reason_phrase (msg));
      return FALSE;
    }
  if (status == SOUP_STATUS_OK && offset > 0)
    {
      /* the server ignored the Range: start over */
      offset = 0;
      g_checksum_free (*inout_sum);
      *inout_sum = g_checksum_new (G_CHECKSUM_SHA256);
      out = g_file_replace (part_file, NULL, FALSE, G_FILE_CREATE_NONE, cancellable, &local);
    }
  else if (offset > 0)
    {
      goffset start = -1, end = -1, whole = -1;

      if (!soup_message_headers_get_content_range (soup_message_get_response_headers (msg), &start, &end, &whole)
          || start != (goffset) offset)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                       _("Cannot resume %s: %s sent another part than asked for (bytes from %llu); delete %s and "
                         "fetch again"), f->entry->name, f->url, (unsigned long long) offset, f->part);
          return FALSE;
        }
      out = g_file_append_to (part_file, G_FILE_CREATE_NONE, cancellable, &local);
    }
  else
    out = g_file_replace (part_file, NULL, FALSE, G_FILE_CREATE_NONE, cancellable, &local);
  if (out == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot write %s: %s"), f->part, local->message);
      return FALSE;
    }
  length = soup_message_headers_get_content_length (soup_message_get_response_headers (msg));
  total = length > 0 ? offset + (guint64) length : f->entry->size;
  *out_total = total;
  need = total > offset ? total - offset : 0;
  have = free_bytes (dir);
  if (need > 0 && have != G_MAXUINT64 && have < need)
    {
      g_autofree char *n1 = lab_format_size (need);
      g_autofree char *n2 = lab_format_size (have);

      g_set_error (error, LAB_ERROR, LAB_ERROR_NO_SPACE,
                   _("Not enough disk space for %s in %s: it needs %s more, %s are free; free some space or put the "
                     "ISO cache on a larger disk (LABCTL_ISO_DIR=DIR)"), f->entry->name, dir, n1, n2);
      return FALSE;
    }
  f->start = offset;
  while ((n = g_input_stream_read (in, buf, CHUNK, cancellable, &local)) > 0)
    {
      gsize written = 0;

      if (!g_output_stream_write_all (G_OUTPUT_STREAM (out), buf, n, &written, cancellable, &local))
        {
          gboolean full = g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NO_SPACE);

          g_set_error (error, LAB_ERROR, full ? LAB_ERROR_NO_SPACE : LAB_ERROR_FAILED,
                       full ? _("The disk of %s is full after %llu bytes of %s; free some space and run "
                                "`labctl iso fetch` again: it resumes (%s)")
                            : _("Cannot write %s after %llu bytes of %s: %s"),
                       f->part, (unsigned long long) (offset + written), f->entry->name, local->message);
          return FALSE;
        }
      g_checksum_update (*inout_sum, buf, n);
      offset += n;
      *inout_len = offset;
      report (f, offset, total, FALSE);
    }
  *inout_len = offset;
  if (!g_output_stream_close (G_OUTPUT_STREAM (out), NULL, NULL) && n >= 0)
    n = -1;
  if (n < 0 || (length > 0 && offset < total))
    {
      g_autofree char *d = lab_format_size (offset);
      g_autofree char *t = lab_format_size (total);

      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_set_error (error, LAB_ERROR, LAB_ERROR_CANCELLED,
                     _("Download of %s interrupted at %s of %s; `labctl iso fetch %s` resumes it"), f->entry->name, d,
                     t, f->entry->name);
      else
        g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                     _("Download of %s from %s broke off at %s of %s (%s); `labctl iso fetch %s` resumes it"),
                     f->entry->name, f->url, d, t, local != NULL ? local->message : _("connection closed"),
                     f->entry->name);
      return FALSE;
    }
  report (f, offset, total, TRUE);
  return TRUE;
}

gboolean
lab_iso_fetch (const LabIsoEntry *entry, const char *dir, const char *url, LabIsoProgressFunc progress,
               gpointer user_data, GCancellable *cancellable, GError **error)
{
  g_autofree char *dest = lab_iso_path (entry, dir);
  g_autofree char *part = g_strconcat (dest, ".part", NULL);
  g_autoptr(LabIsoLock) lock = NULL;
  g_autoptr(SoupSession) session = NULL;
  GChecksum *sum = NULL;
  guint64 len = 0, total = 0;
  gboolean ok;
  Fetch f = { entry, url != NULL ? url : entry->url, part, progress, user_data, g_get_monotonic_time (), 0, 0 };

  if (lab_iso_is_verified (dest, entry->sha256))
    return TRUE;
  lock = lab_iso_lock (dest, NULL, NULL, error);
  if (lock == NULL)
    return FALSE;
  /* another labctl may have finished it while this one waited */
  if (lab_iso_is_verified (dest, entry->sha256))
    return TRUE;
  sum = g_checksum_new (G_CHECKSUM_SHA256);
  if (!hash_existing (part, sum, &len, cancellable, error))
    {
      g_checksum_free (sum);
      return FALSE;
    }
  session = soup_session_new_with_options ("timeout", IDLE_TIMEOUT_S, "user-agent", "labctl/" PACKAGE_VERSION, NULL);
  ok = download (&f, session, &len, &sum, &total, cancellable, error);
  if (ok)
    {
      const char *got = g_checksum_get_string (sum);

      if ((entry->size > 0 && len != entry->size) || g_strcmp0 (got, entry->sha256) != 0)
        {
          g_autofree char *s = lab_format_size (len);

          g_unlink (part);
          g_set_error (error, LAB_ERROR, LAB_ERROR_CHECK_FAILED,
                       _("The download of %s from %s is not the expected file: SHA-256 %s (%s), the catalogue says "
                         "%s; it was deleted and is not used. Try again, or another source (--mirror, --url)"),
                       entry->name, f.url, got, s, entry->sha256);
          ok = FALSE;
        }
      else if (g_rename (part, dest) != 0)
        {
          int e = errno;
          g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot rename %s to %s: %s"), part, dest,
                       g_strerror (e));
          ok = FALSE;
        }
      else
        ok = lab_iso_record_sha256 (dest, got, error);
    }
  g_checksum_free (sum);
  return ok;
}
