/* lab-lock.c: one labctl at a time per lab (an flock on <state dir>/lock). */
#include "config.h"

#include "lab-lock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-state.h"

/* How often a waiting labctl tries again. */
#define WAIT_POLL_MS 100

struct _LabLock
{
  char *dir;
  char *path;
  int   fd;
};

/* The holder's line in the lock file: "<pid> <YYYY-mm-dd HH:MM:SS> <command>". */
static char *
holder_line (const char *command)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *when = g_date_time_format (now, "%Y-%m-%d %H:%M:%S");

  return g_strdup_printf ("%d %s %s\n", (int) getpid (), when, command);
}

/* "'labctl up' (pid 1234, since 2026-12-01 22:41:05)" from the file's line;
 * "another labctl" when the line is not (yet) there. */
static char *
describe_line (const char *line)
{
  g_auto(GStrv) parts = line != NULL ? g_strsplit (g_strstrip ((char *) line), " ", 4) : NULL;

  if (parts == NULL || g_strv_length (parts) < 4)
    return g_strdup (_("another labctl"));
  return g_strdup_printf (_("'labctl %s' (pid %s, since %s %s)"), parts[3], parts[0], parts[1], parts[2]);
}

static char *
read_holder (int fd)
{
  char buf[512];
  ssize_t n = pread (fd, buf, sizeof buf - 1, 0);

  buf[n > 0 ? n : 0] = '\0';
  return describe_line (buf);
}

char *
lab_lock_describe_holder (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, LAB_LOCK_FILE_NAME, NULL);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  char *holder = NULL;

  if (fd < 0)
    return NULL;
  /* a shared lock we can take: nobody holds the exclusive one */
  if (flock (fd, LOCK_SH | LOCK_NB) != 0)
    holder = read_holder (fd);
  close (fd);
  return holder;
}

/* Is fd still the file at path (a releasing holder may have removed it)? */
static gboolean
still_linked (int fd, const char *path)
{
  struct stat a, b;

  return fstat (fd, &a) == 0 && stat (path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* path: the lock file or its directory */
static void
set_open_error (GError **error, const char *path, const char *lab_name, const char *command, int saved)
{
  if (saved == EACCES || saved == EPERM)
    g_set_error (error, LAB_ERROR, LAB_ERROR_PERMISSION,
                 _("Cannot take the lock of lab %s (%s): %s. The lab belongs to another user (root for a "
                   "system lab): run sudo labctl %s"),
                 lab_name, path, g_strerror (saved), command);
  else
    g_set_error (error, LAB_ERROR, LAB_ERROR_STATE, _("Cannot take the lock of lab %s (%s): %s"), lab_name,
                 path, g_strerror (saved));
}

/* Lets the default context's sources (the SIGINT/SIGTERM handlers) run
 * while we wait WAIT_POLL_MS. */
static void
wait_a_moment (void)
{
  gint64 until = g_get_monotonic_time () + WAIT_POLL_MS * 1000;

  while (g_get_monotonic_time () < until)
    {
      while (g_main_context_pending (NULL))
        g_main_context_iteration (NULL, FALSE);
      g_usleep (10 * 1000);
    }
}

LabLock *
lab_lock_acquire (const char *dir, const char *lab_name, const char *command, gboolean wait,
                  void (*on_wait) (const char *holder, gpointer data), gpointer data,
                  GCancellable *cancellable, GError **error)
{
  g_autofree char *path = g_build_filename (dir, LAB_LOCK_FILE_NAME, NULL);
  gboolean told = FALSE;

  for (;;)
    {
      g_autofree char *line = NULL;
      g_autoptr(GError) dir_error = NULL;
      int fd;

      if (!lab_state_prepare_dir (dir, &dir_error))
        {
          if (g_error_matches (dir_error, LAB_ERROR, LAB_ERROR_PERMISSION))
            set_open_error (error, dir, lab_name, command, EACCES);
          else
            g_propagate_error (error, g_steal_pointer (&dir_error));
          return NULL;
        }
      fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
      if (fd < 0)
        {
          if (errno == ENOENT)
            continue;   /* the directory went between mkdir and open */
          set_open_error (error, path, lab_name, command, errno);
          return NULL;
        }
      if (flock (fd, LOCK_EX | LOCK_NB) != 0)
        {
          int saved = errno;
          g_autofree char *holder = NULL;

          if (saved != EWOULDBLOCK)
            {
              close (fd);
              set_open_error (error, path, lab_name, command, saved);
              return NULL;
            }
          holder = read_holder (fd);
          close (fd);
          if (!wait)
            {
              g_set_error (error, LAB_ERROR, LAB_ERROR_BUSY,
                           _("Lab %s is busy: %s is changing it. Wait until it has finished, or run "
                             "'labctl %s --wait' to wait for it."),
                           lab_name, holder, command);
              return NULL;
            }
          if (!told && on_wait != NULL)
            on_wait (holder, data);
          told = TRUE;
          wait_a_moment ();
          if (g_cancellable_is_cancelled (cancellable))
            {
              g_set_error (error, LAB_ERROR, LAB_ERROR_CANCELLED,
                           _("Interrupted while waiting for lab %s; nothing was changed."), lab_name);
              return NULL;
            }
          continue;
        }
      if (!still_linked (fd, path))
        {
          close (fd);
          continue;
        }
      line = holder_line (command);
      if (ftruncate (fd, 0) != 0 || pwrite (fd, line, strlen (line), 0) < 0)
        {
          int saved = errno;

          close (fd);
          set_open_error (error, path, lab_name, command, saved);
          return NULL;
        }
      {
        LabLock *self = g_new0 (LabLock, 1);

        self->dir = g_strdup (dir);
        self->path = g_steal_pointer (&path);
        self->fd = fd;
        return self;
      }
    }
}

/* A state file of the lab is there (state.json, or any other *.json). */
static gboolean
has_state (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".json"))
      return TRUE;
  return FALSE;
}

void
lab_lock_release (LabLock *self)
{
  if (self == NULL)
    return;
  /* still holding it: nobody else is in the directory */
  if (!has_state (self->dir))
    {
      g_unlink (self->path);
      g_rmdir (self->dir);
    }
  close (self->fd);
  g_free (self->dir);
  g_free (self->path);
  g_free (self);
}
