/* lab-stand-iso.h: the machine's ISO cache for `labctl iso` (list,
 * fetch, add, verify, remove) over iso/lab-iso.h: the catalogue, the
 * cache directory, progress lines on a stream. */
#pragma once

#include <stdio.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Every catalogue entry and every ISO added to the cache, with where it
 * is and whether it is there ("cached") and checked ("verified"). */
JsonNode *lab_stand_iso_list        (GError      **error);
char     *lab_stand_iso_list_format (JsonNode     *list);

/* Downloads the catalogue's ISO name (progress lines on out: one
 * rewritten line when tty, else a line every 10 s). url, mirror: NULL
 * or another source. */
gboolean  lab_stand_iso_fetch       (const char   *name,
                                     const char   *url,
                                     const char   *mirror,
                                     FILE         *out,
                                     gboolean      tty,
                                     GCancellable *cancellable,
                                     GError      **error);
/* Adds file (checked against the catalogue, or sha256); *out_name the
 * name it has in the cache. */
gboolean  lab_stand_iso_add         (const char   *file,
                                     const char   *sha256,
                                     FILE         *out,
                                     gboolean      tty,
                                     char        **out_name,
                                     GCancellable *cancellable,
                                     GError      **error);
/* Reads every cached ISO (name: that one) again and compares its SHA-256;
 * the report lists each; FALSE (LAB_ERROR_CHECK_FAILED) when one differs
 * (its record is removed: it is not used until fetched or added again). */
gboolean  lab_stand_iso_verify      (const char   *name,
                                     FILE         *out,
                                     gboolean      tty,
                                     JsonNode    **out_report,
                                     GCancellable *cancellable,
                                     GError      **error);
/* Removes the ISO and what was prepared from it; *out_removed files. */
gboolean  lab_stand_iso_remove      (const char   *name,
                                     guint        *out_removed,
                                     GError      **error);

G_END_DECLS
