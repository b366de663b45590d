/* lab-storage-image.c: step storage.image, the lab's sparse backing file.
 * apply creates it (O_EXCL, mode 0600), sizes it with ftruncate so that it
 * takes no space until the nodes write, marks it with the xattr
 * user.labctl.lab=<lab> where the file system has xattrs (the mark survives
 * a lost state), and records storage.image.path as soon as the file exists.
 * A marked file of the right size is adopted; any other file in the way is
 * refused. undo removes the file only when it is this lab's. */
#include "config.h"

#include "lab-storage-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-util.h"

#define XATTR_NAME "user.labctl.lab"

/* ---- storage.image --------------------------------------------------- */

static char *
image_xattr (const char *path)
{
  char buf[256];
  ssize_t n = getxattr (path, XATTR_NAME, buf, sizeof buf - 1);

  if (n < 0)
    return NULL;
  buf[n] = '\0';
  return g_strdup (buf);
}

gboolean
storage_image_is_ours (LabContext *ctx, Storage *s)
{
  g_autofree char *mark = image_xattr (s->image);

  if (mark != NULL)
    return g_str_equal (mark, s->lab);
  return g_strcmp0 (lab_state_get_string (ctx->state, K_IMAGE_PATH), s->image) == 0;
}

static gboolean
image_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  Storage *s = data;
  struct stat st;

  *done = FALSE;
  if (stat (s->image, &st) != 0)
    return TRUE;
  if (!storage_image_is_ours (ctx, s))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                   _("The backing file %s already exists and labctl did not create it for the lab "
                     "\"%s\"; labctl will not reuse or overwrite it: move it away, or set another "
                     "[storage] backing-file in the recipe"),
                   s->image, s->lab);
      return FALSE;
    }
  if ((guint64) st.st_size != s->size)
    {
      g_autofree char *have = lab_format_size (st.st_size);
      g_autofree char *want = lab_format_size (s->size);
      g_set_error (error, LAB_ERROR, LAB_ERROR_EXISTS,
                   _("The lab's backing file %s is %s but the recipe asks for %s; "
                     "run labctl storage down first (it deletes the lab's disks) or keep the old size"),
                   s->image, have, want);
      return FALSE;
    }
  /* ours by its mark but not in the state (a lost state): apply records it */
  *done = g_strcmp0 (lab_state_get_string (ctx->state, K_IMAGE_PATH), s->image) == 0;
  return TRUE;
}

static gboolean
image_apply (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  g_autofree char *dir = g_path_get_dirname (s->image);
  struct statvfs vfs;
  int fd;

  if (g_file_test (s->image, G_FILE_TEST_EXISTS) && storage_image_is_ours (ctx, s))
    {
      /* image_check found it marked as this lab's and of the right size */
      lab_state_set_string (ctx->state, K_IMAGE_PATH, s->image);
      return TRUE;
    }
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int e = errno;
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot create the directory %s: %s"),
                   dir, g_strerror (e));
      return FALSE;
    }
  if (statvfs (dir, &vfs) == 0)
    {
      guint64 avail = (guint64) vfs.f_bavail * vfs.f_frsize;
      g_autofree char *avail_s = lab_format_size (avail);
      g_autofree char *size_s = lab_format_size (s->size);

      if (avail < LAB_GIB)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_NO_SPACE,
                       _("Not enough space for the lab's disk: %s free in %s; free some space "
                         "or set [storage] backing-file on a larger file system"),
                       avail_s, dir);
          return FALSE;
        }
      if (avail < s->size)
        lab_progress_info (ctx->progress,
                           _("Warning: the sparse image %s may grow up to %s as the nodes write, "
                             "but only %s are free in %s"),
                           s->image, size_s, avail_s, dir);
      else
        lab_progress_info (ctx->progress,
                           _("The sparse image takes no space now and may grow up to %s (%s free)"),
                           size_s, avail_s);
    }
  fd = g_open (s->image, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, LAB_ERROR, e == EEXIST ? LAB_ERROR_FOREIGN : LAB_ERROR_FAILED,
                   _("Cannot create the backing file %s: %s"), s->image, g_strerror (e));
      return FALSE;
    }
  /* recorded at once: from here on `down` may remove it */
  lab_state_set_string (ctx->state, K_IMAGE_PATH, s->image);
  /* the mark on the file itself survives a lost state; tmpfs may refuse it */
  (void) fsetxattr (fd, XATTR_NAME, s->lab, strlen (s->lab), 0);
  if (ftruncate (fd, (off_t) s->size) != 0)
    {
      int e = errno;
      close (fd);
      g_set_error (error, LAB_ERROR, e == EFBIG ? LAB_ERROR_NO_SPACE : LAB_ERROR_FAILED,
                   _("Cannot size the backing file %s: %s"), s->image, g_strerror (e));
      return FALSE;
    }
  close (fd);
  return storage_fail_point ("storage.image", error);
}

static gboolean
image_undo (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;

  if (g_file_test (s->image, G_FILE_TEST_EXISTS) && storage_image_is_ours (ctx, s))
    {
      if (g_unlink (s->image) != 0 && errno != ENOENT)
        {
          int e = errno;
          g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot remove %s: %s"),
                       s->image, g_strerror (e));
          return FALSE;
        }
    }
  lab_state_remove (ctx->state, K_IMAGE_PATH);
  return TRUE;
}

static char **
image_describe (LabContext *ctx, gpointer data, gboolean down)
{
  Storage *s = data;
  GPtrArray *l = g_ptr_array_new ();
  g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT, s->size);

  if (down)
    {
      const char *argv[] = { "rm", "-f", s->image, NULL };
      g_ptr_array_add (l, lab_runner_format_argv (ctx->runner, argv));
    }
  else
    {
      const char *argv[] = { "truncate", "-s", size, s->image, NULL };
      const char *xattr[] = { "setfattr", "-n", XATTR_NAME, "-v", s->lab, s->image, NULL };
      g_ptr_array_add (l, lab_runner_format_argv (ctx->runner, argv));
      g_ptr_array_add (l, lab_runner_format_argv (ctx->runner, xattr));
    }
  return lab_lines_steal (l);
}

const LabStepInfo storage_step_image = {
  "storage.image", N_("Create the sparse backing file"), TRUE,
  image_check, image_apply, image_undo, image_describe };
