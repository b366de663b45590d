/* lab-util.h: small helpers that every layer uses: sizes for people and
 * for recipes, stable UUIDs, shell lines as a person would type them. */
#pragma once

#include <stdarg.h>

#include <glib.h>

G_BEGIN_DECLS

/* For messages: g_format_size()'s IEC form ("7.0 GiB", "512.0 MiB",
 * "100 bytes") with a plain space where GLib puts U+00A0, which breaks
 * grep and copy-paste of the messages. */
char   *lab_format_size       (guint64 bytes);
/* In recipe syntax, exact: "10G", "512M", "1536K", or plain bytes
 * ("1000") when no binary unit divides the size. */
char   *lab_format_size_exact (guint64 bytes);

/* A stable UUID (version-4 shaped) from the SHA-256 of seed, e.g.
 * "labctl-node/<lab>/<node>": the same names give the same UUID on every
 * run and machine. */
char   *lab_uuid_from_seed    (const char *seed);

/* arg as a person would type it in a shell: unchanged when it holds only
 * letters, digits and "_-./:=@%+,", single-quoted otherwise (and when
 * empty). */
char   *lab_shell_quote       (const char *arg);
/* Appends argv0 ... (NULL-terminated) as one shell line to lines (a
 * GPtrArray of strings). */
void    lab_lines_add_cmd     (GPtrArray  *lines,
                               const char *argv0,
                               ...) G_GNUC_NULL_TERMINATED;
/* Ends lines with NULL and returns its strings as a GStrv (the array is
 * freed): what a step's describe() returns, or an argv. */
char  **lab_lines_steal       (GPtrArray  *lines);

/* Appends copies of first ... (up to a NULL) to strv, a GPtrArray of
 * strings; the va_list form for argv builders of their own. */
void    lab_strv_add          (GPtrArray  *strv,
                               const char *first,
                               ...) G_GNUC_NULL_TERMINATED;
void    lab_strv_add_valist   (GPtrArray  *strv,
                               const char *first,
                               va_list     ap);
/* A GStrv of copies of first ... (up to a NULL): an argv in one call. */
char  **lab_strv_new          (const char *first,
                               ...) G_GNUC_NULL_TERMINATED;

/* The machine's cache of what labctl builds or fetches once for every lab
 * (ISOs, node and VM images): $LABCTL_CACHE_DIR, /var/cache/labctl for
 * root, ~/.cache/labctl otherwise. */
char   *lab_cache_dir         (void);

G_END_DECLS
