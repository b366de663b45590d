/* lab-iso.h: the ISO catalogue and the ISO cache.
 *
 * The catalogue (iso-cache/isos.ini in the data dir) lists the install
 * media labctl knows: name, product, version, upstream file name, URL,
 * size (when known), SHA-256 and libosinfo id. The cache is one directory
 * shared by every lab of the machine (lab_iso_cache_dir()): a file there
 * is used only after its SHA-256 matched (the catalogue's, or the one given
 * to `iso add --sha256`), recorded beside it as FILE.sha256 in sha256sum's
 * format. Each file has its own lock (FILE.lock, flock), so two labctl
 * fetching or preparing the same ISO wait for each other and never write
 * the same file.
 *
 * Downloads (lab-iso-fetch.c) use libsoup3: into FILE.part, resumed with a
 * Range request after an interruption, checked before the rename.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  char    *name;      /* "proxmox-ve-9.2" */
  char    *product;   /* "Proxmox VE" */
  char    *version;   /* "9.2" */
  char    *file;      /* "proxmox-ve_9.2-1.iso" */
  char    *url;
  guint64  size;      /* 0: unknown */
  char    *sha256;    /* lowercase hex; NULL for a file added with no catalogue entry */
  char    *osinfo;    /* libosinfo id; may be NULL */
} LabIsoEntry;

void         lab_iso_entry_free     (LabIsoEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabIsoEntry, lab_iso_entry_free)

/* The catalogue at path (NULL: the shipped iso-cache/isos.ini), in file
 * order. LAB_ERROR_NOT_FOUND / LAB_ERROR_FAILED naming the file and line. */
GPtrArray   *lab_iso_catalogue_load (const char  *path,
                                     GError     **error);
/* The entry named name (a catalogue name, or its file name); NULL with
 * LAB_ERROR_NOT_FOUND listing the known names. */
LabIsoEntry *lab_iso_catalogue_find (GPtrArray   *catalogue,
                                     const char  *name,
                                     GError     **error);

/* $LABCTL_ISO_DIR; else $LABCTL_CACHE_DIR/iso; else /var/cache/labctl/iso
 * for root, $XDG_CACHE_HOME/labctl/iso otherwise. */
char        *lab_iso_cache_dir      (void);
/* dir/entry->file (dir NULL: the cache dir). */
char        *lab_iso_path           (const LabIsoEntry *entry,
                                     const char        *dir);

/* The SHA-256 of a file, lowercase hex; progress (may be NULL) gets the
 * bytes read so far and the size. */
typedef void (*LabIsoProgressFunc) (guint64     done,
                                    guint64     total,
                                    double      bytes_per_second,
                                    gpointer    user_data);
char        *lab_iso_sha256_file    (const char         *path,
                                     LabIsoProgressFunc  progress,
                                     gpointer            user_data,
                                     GCancellable       *cancellable,
                                     GError            **error);

/* TRUE when path exists and its record path.sha256 (newer than the file)
 * holds expected (lowercase hex): checked before, no need to read 1.7 GB
 * again. */
gboolean     lab_iso_is_verified    (const char  *path,
                                     const char  *expected);
/* Writes path.sha256 ("HEX  FILE\n", what `sha256sum -c` reads). */
gboolean     lab_iso_record_sha256  (const char  *path,
                                     const char  *sha256,
                                     GError     **error);

/* An exclusive lock on path (path.lock beside it), waiting for another
 * holder; waiting (may be NULL) is called once before the wait. Free
 * with lab_iso_lock_free() (unlocks). */
typedef struct _LabIsoLock LabIsoLock;
LabIsoLock  *lab_iso_lock           (const char  *path,
                                     void       (*waiting) (const char *path, gpointer user_data),
                                     gpointer     user_data,
                                     GError     **error);
void         lab_iso_lock_free      (LabIsoLock  *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabIsoLock, lab_iso_lock_free)

/* Downloads entry into dir (NULL: the cache dir) from url (NULL: the
 * entry's), resuming dir/FILE.part, and checks the SHA-256 (entry->size
 * too when known) before renaming it to dir/FILE. A file already there and
 * verified is success at once. Errors: LAB_ERROR_NOT_FOUND (the server
 * answered 404: names the URL), LAB_ERROR_NO_SPACE (the disk cannot hold
 * the rest), LAB_ERROR_CHECK_FAILED (wrong checksum: the download is
 * deleted), LAB_ERROR_FAILED (offline, interrupted: the message says how to
 * `iso add` a file the user has, and that `fetch` again resumes),
 * LAB_ERROR_CANCELLED. progress is called about twice a second. */
gboolean     lab_iso_fetch          (const LabIsoEntry  *entry,
                                     const char         *dir,
                                     const char         *url,
                                     LabIsoProgressFunc  progress,
                                     gpointer            user_data,
                                     GCancellable       *cancellable,
                                     GError            **error);
/* url with its last path element replaced: mirror + "/" + entry->file. */
char        *lab_iso_mirror_url     (const LabIsoEntry  *entry,
                                     const char         *mirror);

/* Copies file into dir (NULL: the cache dir) as the catalogue entry whose
 * SHA-256 it has, or, with sha256 given, under its own name after checking
 * it against sha256. *out_entry (may be NULL) is the entry it became.
 * LAB_ERROR_CHECK_FAILED when the sum matches no entry (the message says
 * to give --sha256) or not the given one. */
gboolean     lab_iso_add            (GPtrArray          *catalogue,
                                     const char         *file,
                                     const char         *sha256,
                                     const char         *dir,
                                     LabIsoEntry       **out_entry,
                                     LabIsoProgressFunc  progress,
                                     gpointer            user_data,
                                     GCancellable       *cancellable,
                                     GError            **error);
/* Removes dir/FILE, its record, its partial download and everything
 * prepared from it (dir/<stem>-*.iso); *out_removed: how many files. */
gboolean     lab_iso_remove         (const LabIsoEntry  *entry,
                                     const char         *dir,
                                     guint              *out_removed,
                                     GError            **error);

/* "1 min 45 s", "12 s". */
char        *lab_iso_format_eta     (double  seconds);
/* One progress line: "512.0 MiB of 1.7 GiB (30%), 11.2 MiB/s, 1 min 45 s left". */
char        *lab_iso_progress_line  (guint64 done,
                                     guint64 total,
                                     double  bytes_per_second);

G_END_DECLS
