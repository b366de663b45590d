/* lab-storage.c: the storage steps of a lab (image, tgtd, target, LUN,
 * ACL, CHAP, attach, PV, VG, LVs) on top of lab-tgt, lab-iscsi, lab-lvm. */
#include "config.h"

#include "lab-storage.h"

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
#include "lab-iscsi.h"
#include "lab-lvm.h"
#include "lab-tgt.h"
#include "lab-util.h"

#define XATTR_NAME "user.labctl.lab"
#define ATTACH_TIMEOUT_MS 30000

/* state keys */
#define K_IMAGE_PATH     "storage.image.path"
#define K_TGTD_PID       "storage.tgtd.pid"
#define K_TGTD_PORT      "storage.tgtd.control-port"
#define K_TGT_TID        "storage.target.tid"
#define K_TGT_IQN        "storage.target.iqn"
#define K_LUN_PATH       "storage.lun.path"
#define K_ACL            "storage.acl.addresses"
#define K_CHAP_USER      "storage.chap.user"
#define K_CHAP_SECRET    "storage.chap.password"
#define K_ATTACH_METHOD  "storage.attach.method"
#define K_ATTACH_DEVICE  "storage.attach.device"
#define K_ATTACH_PORTAL  "storage.attach.portal"
#define K_FUSE_PID       "storage.attach.qsd-pid"
#define K_FUSE_MOUNT     "storage.attach.mountpoint"
#define K_FUSE_LOOP      "storage.attach.loop"
#define K_PV             "storage.pv.device"
#define K_VG             "storage.vg.name"
#define K_LV_PREFIX      "storage.lv."

typedef struct {
  char    *name;
  guint64  bytes;
} StorageLv;

typedef struct {
  char           *lab;
  char           *tag;
  char           *image;
  guint64         size;
  char           *iqn;
  char           *portal_address;
  guint16         portal_port;
  guint16         control_port;
  char           *portal;
  char           *by_path;
  char           *vg;
  gboolean        chap;
  char          **acl;
  LabIscsiAttach  attach;
  char           *work_dir;
  GPtrArray      *lvs;     /* StorageLv* */

  /* What this run already knows about LVM (each query costs an lvm start,
   * ~50 ms): filled by a query or by a command whose effect is certain,
   * dropped when unsure. Valid for one plan run. */
  GPtrArray      *tgt_cache;    /* LabTgtTarget* of our tgtd, or NULL: unknown */
  GPtrArray      *lv_cache;     /* LabLvmLv*, or NULL: unknown */
  gboolean        vg_facts;     /* lv_cache rows told the VG's tags and PV count: */
  gboolean        vg_tagged;
  guint           vg_pv_count;
  GPtrArray      *vg_cache;     /* LabLvmVg* from the host-wide query, or NULL */
  char           *blkid_type;   /* signature seen by pv_check */
  gboolean        blkid_known;
  gboolean        pv_orphan;    /* vg_undo just removed the VG on the PV */
  GPtrArray      *lv_unverified; /* names of LVs created in this run, not yet read back */
} Storage;

static void
storage_lv_free (gpointer p)
{
  StorageLv *lv = p;
  g_free (lv->name);
  g_free (lv);
}

static void
storage_clear (gpointer p)
{
  Storage *s = p;

  g_free (s->lab);
  g_free (s->tag);
  g_free (s->image);
  g_free (s->iqn);
  g_free (s->portal_address);
  g_free (s->portal);
  g_free (s->by_path);
  g_free (s->vg);
  g_strfreev (s->acl);
  g_free (s->work_dir);
  g_ptr_array_unref (s->lvs);
  g_clear_pointer (&s->tgt_cache, g_ptr_array_unref);
  g_clear_pointer (&s->lv_cache, g_ptr_array_unref);
  g_clear_pointer (&s->vg_cache, g_ptr_array_unref);
  g_free (s->blkid_type);
  g_ptr_array_unref (s->lv_unverified);
}

static void
storage_unref (gpointer p)
{
  g_atomic_rc_box_release_full (p, storage_clear);
}

/* Per-LV step data: the shared Storage plus the LV. */
typedef struct {
  Storage   *storage;
  StorageLv *lv;
} LvStep;

static void
lv_step_free (gpointer p)
{
  LvStep *d = p;
  storage_unref (d->storage);
  g_free (d);
}

/* ---- helpers --------------------------------------------------------- */

static gboolean
fail_point (const char *step_id, GError **error)
{
  const char *env = g_getenv ("LABCTL_FAIL_STEP");

  if (env == NULL || g_strcmp0 (env, step_id) != 0)
    return TRUE;
  g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
               _("failure injected by LABCTL_FAIL_STEP=%s (a test hook)"), step_id);
  return FALSE;
}

static gboolean
is_real (LabContext *ctx)
{
  return !ctx->dry_run && lab_runner_get_mode (ctx->runner) == LAB_RUNNER_MODE_REAL;
}

static void
add_line (GPtrArray *lines, LabContext *ctx, char **argv)
{
  g_ptr_array_add (lines, lab_runner_format_argv (ctx->runner, (const char * const *) argv));
  g_strfreev (argv);
}

static gboolean
run_argv (LabContext *ctx, char **argv, gboolean (*runner_fn) (LabRunner *, const char * const *, GError **),
          GError **error)
{
  g_auto(GStrv) a = argv;
  return runner_fn (ctx->runner, (const char * const *) a, error);
}

static guint
state_tid (LabContext *ctx)
{
  return (guint) lab_state_get_int (ctx->state, K_TGT_TID, 0);
}

/* The targets of the lab's tgtd, from one `tgtadm --op show` per change:
 * every changing tgtadm command (run_tgt) drops the cache, so a read-back
 * after a change is a real query. The caller owns a reference. */
static GPtrArray *
tgt_targets (LabContext *ctx, Storage *s, GError **error)
{
  if (s->tgt_cache == NULL)
    s->tgt_cache = lab_tgt_show (ctx->runner, s->control_port, error);
  return s->tgt_cache != NULL ? g_ptr_array_ref (s->tgt_cache) : NULL;
}

static gboolean
tgt_ping (LabContext *ctx, Storage *s, gboolean *running, GError **error)
{
  if (s->tgt_cache != NULL)
    {
      *running = TRUE;
      return TRUE;
    }
  return lab_tgt_ping (ctx->runner, s->control_port, running, error);
}

static gboolean
run_tgt (LabContext *ctx, Storage *s, char **argv, GError **error)
{
  g_clear_pointer (&s->tgt_cache, g_ptr_array_unref);
  return run_argv (ctx, argv, lab_tgt_run, error);
}

/* The device the LVM commands use (by-path name or loop device). */
static const char *
lvm_device (LabContext *ctx, Storage *s)
{
  const char *dev = lab_state_get_string (ctx->state, K_ATTACH_DEVICE);

  if (dev != NULL)
    return dev;
  if (s->attach == LAB_ISCSI_ATTACH_FUSE)
    return "$DEV";
  return s->by_path;
}

static gboolean
block_device_exists (const char *path)
{
  struct stat st;
  return path != NULL && stat (path, &st) == 0 && S_ISBLK (st.st_mode);
}

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

static gboolean
image_is_ours (LabContext *ctx, Storage *s)
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
  if (!image_is_ours (ctx, s))
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

  if (g_file_test (s->image, G_FILE_TEST_EXISTS) && image_is_ours (ctx, s))
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
  return fail_point ("storage.image", error);
}

static gboolean
image_undo (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;

  if (g_file_test (s->image, G_FILE_TEST_EXISTS) && image_is_ours (ctx, s))
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

/* ---- storage.tgtd ---------------------------------------------------- */

static gboolean
tgtd_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  Storage *s = data;

  return lab_tgt_ping (ctx->runner, s->control_port, done, error);
}

static gboolean
tgtd_apply (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  g_autofree char *log = g_build_filename (s->work_dir, "tgtd.log", NULL);
  GPid pid = 0;

  g_mkdir_with_parents (s->work_dir, 0700);
  if (!lab_tgt_start_daemon (ctx->runner, s->control_port, s->portal_address, s->portal_port,
                             log, &pid, error))
    {
      if (pid > 0)
        {
          /* it started but is unusable: record it so that down stops it */
          lab_state_set_int (ctx->state, K_TGTD_PID, pid);
          lab_state_set_int (ctx->state, K_TGTD_PORT, s->control_port);
        }
      return FALSE;
    }
  lab_state_set_int (ctx->state, K_TGTD_PID, pid);
  lab_state_set_int (ctx->state, K_TGTD_PORT, s->control_port);
  lab_progress_info (ctx->progress, _("Started tgtd (pid %d) on control port %u, portal %s"),
                     (int) pid, s->control_port, s->portal);
  return fail_point ("storage.tgtd", error);
}

static gboolean
tgtd_undo (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  GPid pid = (GPid) lab_state_get_int (ctx->state, K_TGTD_PID, 0);
  guint16 port = (guint16) lab_state_get_int (ctx->state, K_TGTD_PORT, s->control_port);

  if (lab_state_has (ctx->state, K_TGTD_PID))
    {
      gboolean running = FALSE;
      g_autoptr(GPtrArray) targets = NULL;

      if (!lab_tgt_ping (ctx->runner, port, &running, error))
        return FALSE;
      if (running)
        targets = lab_tgt_show (ctx->runner, port, NULL);
      if (targets != NULL && targets->len > 0)
        {
          /* someone else added targets to the tgtd labctl started: leave it running */
          lab_progress_info (ctx->progress,
                             _("Leaving tgtd (pid %d) running: it serves %u target(s) labctl did not "
                               "create; stop it with tgtadm -C %u --op delete --mode system"),
                             (int) pid, targets->len, port);
        }
      else if (!lab_tgt_stop_daemon (ctx->runner, port, pid, error))
        return FALSE;
    }
  g_clear_pointer (&s->tgt_cache, g_ptr_array_unref);
  lab_state_remove (ctx->state, K_TGTD_PID);
  lab_state_remove (ctx->state, K_TGTD_PORT);
  return TRUE;
}

static char **
tgtd_describe (LabContext *ctx, gpointer data, gboolean down)
{
  Storage *s = data;
  GPtrArray *l = g_ptr_array_new ();

  if (down)
    {
      g_ptr_array_add (l, g_strdup (_("# only if labctl started this tgtd:")));
      add_line (l, ctx, lab_tgt_argv_delete_system (s->control_port));
    }
  else
    {
      g_ptr_array_add (l, g_strdup_printf (_("# only when no tgtd answers on control port %u (the tgt service):"),
                                           s->control_port));
      add_line (l, ctx, lab_tgt_argv_daemon (s->control_port, s->portal_address, s->portal_port));
    }
  return lab_lines_steal (l);
}

/* ---- storage.target -------------------------------------------------- */

static LabTgtTarget *
our_target (GPtrArray *targets, LabContext *ctx, Storage *s)
{
  LabTgtTarget *t = lab_tgt_find_by_tid (targets, state_tid (ctx));

  if (t != NULL && g_ascii_strcasecmp (t->iqn, s->iqn) == 0)
    return t;
  return NULL;
}

static gboolean
target_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  Storage *s = data;
  g_autoptr(GPtrArray) targets = tgt_targets (ctx, s, error);
  LabTgtTarget *t;

  *done = FALSE;
  if (targets == NULL)
    return FALSE;
  if (our_target (targets, ctx, s) != NULL)
    {
      *done = TRUE;
      return TRUE;
    }
  t = lab_tgt_find_by_iqn (targets, s->iqn);
  if (t != NULL)
    {
      LabTgtLun *lun = lab_tgt_target_get_lun (t, 1);

      /* ours from a lost state: LUN 1 on the lab's image */
      if (lun != NULL && g_strcmp0 (lun->backing_path, s->image) == 0 && image_is_ours (ctx, s))
        return TRUE;   /* apply adopts it */
      g_set_error (error, LAB_ERROR, LAB_ERROR_EXISTS,
                   _("The iSCSI target %s already exists (tid %u) with other settings (LUN 1: %s); "
                     "labctl did not create it: set another [storage] iqn in the recipe, or remove "
                     "it if it is stale: tgtadm -C %u --lld iscsi --op delete --mode target --tid %u"),
                   s->iqn, t->tid, lun && lun->backing_path ? lun->backing_path : _("none"),
                   s->control_port, t->tid);
      return FALSE;
    }
  return TRUE;
}

static gboolean
target_apply (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  g_autoptr(GPtrArray) targets = tgt_targets (ctx, s, error);
  g_autoptr(GPtrArray) after = NULL;
  LabTgtTarget *t;
  guint tid;

  if (targets == NULL)
    return FALSE;
  t = lab_tgt_find_by_iqn (targets, s->iqn);
  if (t != NULL)
    tid = t->tid;   /* adopted, see target_check */
  else
    {
      tid = lab_tgt_find_free_tid (targets);
      if (!run_tgt (ctx, s, lab_tgt_argv_new_target (s->control_port, tid, s->iqn), error))
        return FALSE;
    }
  lab_state_set_int (ctx->state, K_TGT_TID, tid);
  lab_state_set_string (ctx->state, K_TGT_IQN, s->iqn);
  if (!is_real (ctx))
    return TRUE;
  after = tgt_targets (ctx, s, error);
  if (after == NULL)
    return FALSE;
  if (our_target (after, ctx, s) == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                   _("tgtadm reported success but the target %s (tid %u) is not listed by "
                     "tgtadm --op show --mode target"), s->iqn, tid);
      return FALSE;
    }
  return fail_point ("storage.target", error);
}

static gboolean
target_undo (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  gboolean running = FALSE;

  if (state_tid (ctx) != 0)
    {
      if (!tgt_ping (ctx, s, &running, error))
        return FALSE;
      if (running)
        {
          g_autoptr(GPtrArray) targets = tgt_targets (ctx, s, error);
          if (targets == NULL)
            return FALSE;
          if (our_target (targets, ctx, s) != NULL
              && !run_tgt (ctx, s, lab_tgt_argv_delete_target (s->control_port, state_tid (ctx)), error))
            return FALSE;
        }
    }
  lab_state_remove (ctx->state, K_TGT_TID);
  lab_state_remove (ctx->state, K_TGT_IQN);
  return TRUE;
}

static guint
describe_tid (LabContext *ctx)
{
  guint tid = state_tid (ctx);
  return tid != 0 ? tid : 1;
}

static char **
target_describe (LabContext *ctx, gpointer data, gboolean down)
{
  Storage *s = data;
  GPtrArray *l = g_ptr_array_new ();

  if (down)
    add_line (l, ctx, lab_tgt_argv_delete_target (s->control_port, describe_tid (ctx)));
  else
    {
      if (state_tid (ctx) == 0)
        g_ptr_array_add (l, g_strdup (_("# tid: the first free one (1 on an empty tgtd)")));
      add_line (l, ctx, lab_tgt_argv_new_target (s->control_port, describe_tid (ctx), s->iqn));
    }
  return lab_lines_steal (l);
}

/* ---- storage.lun ----------------------------------------------------- */

static gboolean
lun_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  Storage *s = data;
  g_autoptr(GPtrArray) targets = tgt_targets (ctx, s, error);
  LabTgtTarget *t;
  LabTgtLun *lun;

  *done = FALSE;
  if (targets == NULL)
    return FALSE;
  t = our_target (targets, ctx, s);
  lun = lab_tgt_target_get_lun (t, 1);
  if (lun == NULL)
    return TRUE;
  if (g_strcmp0 (lun->backing_path, s->image) != 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_EXISTS,
                   _("LUN 1 of the target %s is backed by %s, not by the lab's image %s; "
                     "run labctl storage down, then up"),
                   s->iqn, lun->backing_path ? lun->backing_path : _("nothing"), s->image);
      return FALSE;
    }
  *done = TRUE;
  return TRUE;
}

static gboolean
lun_apply (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  g_autoptr(GPtrArray) targets = NULL;

  if (is_real (ctx) && !g_file_test (s->image, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("The LUN's backing file %s is missing; run labctl storage down, then up "
                     "to create it again"), s->image);
      return FALSE;
    }
  if (!run_tgt (ctx, s, lab_tgt_argv_new_lun (s->control_port, state_tid (ctx), 1, s->image), error))
    return FALSE;
  if (!fail_point ("storage.lun", error))
    return FALSE;
  lab_state_set_string (ctx->state, K_LUN_PATH, s->image);
  if (!is_real (ctx))
    return TRUE;
  targets = tgt_targets (ctx, s, error);
  if (targets == NULL)
    return FALSE;
  {
    LabTgtLun *lun = lab_tgt_target_get_lun (our_target (targets, ctx, s), 1);
    if (lun == NULL || g_strcmp0 (lun->backing_path, s->image) != 0)
      {
        g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                     _("tgtadm reported success but LUN 1 on %s is not listed for the target %s"),
                     s->image, s->iqn);
        return FALSE;
      }
  }
  return TRUE;
}

static gboolean
lun_undo (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  gboolean running = FALSE;

  if (state_tid (ctx) != 0)
    {
      if (!tgt_ping (ctx, s, &running, error))
        return FALSE;
      if (running)
        {
          g_autoptr(GPtrArray) targets = tgt_targets (ctx, s, error);
          LabTgtLun *lun;

          if (targets == NULL)
            return FALSE;
          lun = lab_tgt_target_get_lun (our_target (targets, ctx, s), 1);
          if (lun != NULL && g_strcmp0 (lun->backing_path, s->image) == 0
              && !run_tgt (ctx, s, lab_tgt_argv_delete_lun (s->control_port, state_tid (ctx), 1), error))
            return FALSE;
        }
    }
  lab_state_remove (ctx->state, K_LUN_PATH);
  return TRUE;
}

static char **
lun_describe (LabContext *ctx, gpointer data, gboolean down)
{
  Storage *s = data;
  GPtrArray *l = g_ptr_array_new ();

  if (down)
    add_line (l, ctx, lab_tgt_argv_delete_lun (s->control_port, describe_tid (ctx), 1));
  else
    add_line (l, ctx, lab_tgt_argv_new_lun (s->control_port, describe_tid (ctx), 1, s->image));
  return lab_lines_steal (l);
}

/* ---- storage.acl ----------------------------------------------------- */

static gboolean
acl_matches (LabTgtTarget *t, Storage *s)
{
  if (t == NULL || g_strv_length (t->acl) != g_strv_length (s->acl))
    return FALSE;
  for (guint i = 0; s->acl[i] != NULL; i++)
    if (!g_strv_contains ((const char * const *) t->acl, s->acl[i]))
      return FALSE;
  return TRUE;
}

static gboolean
acl_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  Storage *s = data;
  g_autoptr(GPtrArray) targets = NULL;

  *done = FALSE;
  for (guint i = 0; s->acl[i] != NULL; i++)
    if (!lab_tgt_validate_initiator (s->acl[i], error))
      return FALSE;
  targets = tgt_targets (ctx, s, error);
  if (targets == NULL)
    return FALSE;
  *done = acl_matches (our_target (targets, ctx, s), s);
  return TRUE;
}

static gboolean
acl_apply (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  g_autoptr(GPtrArray) targets = tgt_targets (ctx, s, error);
  g_autoptr(GPtrArray) after = NULL;
  g_autofree char *joined = NULL;
  LabTgtTarget *t;
  guint tid = state_tid (ctx);

  if (targets == NULL)
    return FALSE;
  t = our_target (targets, ctx, s);
  if (t == NULL && is_real (ctx))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("The target %s is gone (tgtd restarted?); run labctl storage up again"), s->iqn);
      return FALSE;
    }
  /* on our own target: anything else (ALL, stale addresses) goes */
  for (guint i = 0; t != NULL && t->acl[i] != NULL; i++)
    if (!g_strv_contains ((const char * const *) s->acl, t->acl[i])
        && !run_tgt (ctx, s, lab_tgt_argv_unbind (s->control_port, tid, t->acl[i]), error))
      return FALSE;
  joined = g_strjoinv (";", s->acl);
  lab_state_set_string (ctx->state, K_ACL, joined);
  for (guint i = 0; s->acl[i] != NULL; i++)
    {
      if (!lab_tgt_validate_initiator (s->acl[i], error))
        return FALSE;
      if (t != NULL && g_strv_contains ((const char * const *) t->acl, s->acl[i]))
        continue;
      if (!run_tgt (ctx, s, lab_tgt_argv_bind (s->control_port, tid, s->acl[i]), error))
        return FALSE;
    }
  if (!is_real (ctx))
    return TRUE;
  after = tgt_targets (ctx, s, error);
  if (after == NULL)
    return FALSE;
  if (!acl_matches (our_target (after, ctx, s), s))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                   _("After binding, the ACL of %s is not exactly %s; check tgtadm --op show --mode target"),
                   s->iqn, joined);
      return FALSE;
    }
  return fail_point ("storage.acl", error);
}

static gboolean
acl_undo (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  const char *recorded = lab_state_get_string (ctx->state, K_ACL);
  gboolean running = FALSE;

  if (recorded != NULL && state_tid (ctx) != 0)
    {
      if (!tgt_ping (ctx, s, &running, error))
        return FALSE;
      if (running)
        {
          g_autoptr(GPtrArray) targets = tgt_targets (ctx, s, error);
          g_auto(GStrv) addrs = g_strsplit (recorded, ";", -1);
          LabTgtTarget *t;

          if (targets == NULL)
            return FALSE;
          t = our_target (targets, ctx, s);
          for (guint i = 0; t != NULL && addrs[i] != NULL; i++)
            if (g_strv_contains ((const char * const *) t->acl, addrs[i])
                && !run_tgt (ctx, s, lab_tgt_argv_unbind (s->control_port, t->tid, addrs[i]), error))
              return FALSE;
        }
    }
  lab_state_remove (ctx->state, K_ACL);
  return TRUE;
}

static char **
acl_describe (LabContext *ctx, gpointer data, gboolean down)
{
  Storage *s = data;
  GPtrArray *l = g_ptr_array_new ();

  for (guint i = 0; s->acl[i] != NULL; i++)
    add_line (l, ctx, down ? lab_tgt_argv_unbind (s->control_port, describe_tid (ctx), s->acl[i])
                           : lab_tgt_argv_bind (s->control_port, describe_tid (ctx), s->acl[i]));
  return lab_lines_steal (l);
}

/* ---- storage.chap ---------------------------------------------------- */

static char *
chap_user (Storage *s)
{
  return g_strdup_printf ("labctl-%s", s->lab);
}

static char *
generate_secret (void)
{
  static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  GString *str = g_string_new (NULL);
  g_autoptr(GRand) rand = NULL;
  guint32 seed[4];
  int fd = g_open ("/dev/urandom", O_RDONLY | O_CLOEXEC, 0);

  if (fd < 0 || read (fd, seed, sizeof seed) != sizeof seed)
    {
      seed[0] = g_random_int ();
      seed[1] = g_random_int ();
      seed[2] = (guint32) g_get_real_time ();
      seed[3] = (guint32) getpid ();
    }
  if (fd >= 0)
    close (fd);
  rand = g_rand_new_with_seed_array (seed, G_N_ELEMENTS (seed));
  /* iSCSI initiators want 12..16 characters */
  for (int i = 0; i < 16; i++)
    g_string_append_c (str, alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)]);
  return g_string_free (str, FALSE);
}

static gboolean
chap_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  Storage *s = data;
  g_autoptr(GPtrArray) targets = tgt_targets (ctx, s, error);
  g_autofree char *user = chap_user (s);
  LabTgtTarget *t;

  *done = FALSE;
  if (targets == NULL)
    return FALSE;
  t = our_target (targets, ctx, s);
  *done = t != NULL && lab_state_get_secret (ctx->state, K_CHAP_SECRET) != NULL
          && g_strv_contains ((const char * const *) t->accounts, user);
  return TRUE;
}

static gboolean
chap_apply (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  g_autofree char *user = chap_user (s);
  const char *secret = lab_state_get_secret (ctx->state, K_CHAP_SECRET);
  g_autofree char *generated = NULL;
  g_autoptr(GError) local_error = NULL;

  if (secret == NULL)
    {
      generated = generate_secret ();
      lab_state_set_secret (ctx->state, K_CHAP_SECRET, generated);
      secret = generated;
    }
  lab_runner_add_secret (ctx->runner, secret);
  lab_state_set_string (ctx->state, K_CHAP_USER, user);
  if (!run_tgt (ctx, s, lab_tgt_argv_new_account (s->control_port, user, secret), &local_error))
    {
      /* left over from an interrupted run of this lab: same user name */
      if (!g_error_matches (local_error, LAB_ERROR, LAB_ERROR_EXISTS)
          && (local_error->message == NULL || strstr (local_error->message, "exist") == NULL))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_clear_error (&local_error);
      if (!run_tgt (ctx, s, lab_tgt_argv_delete_account (s->control_port, user), error)
          || !run_tgt (ctx, s, lab_tgt_argv_new_account (s->control_port, user, secret), error))
        return FALSE;
    }
  if (!run_tgt (ctx, s, lab_tgt_argv_bind_account (s->control_port, state_tid (ctx), user), error))
    return FALSE;
  return fail_point ("storage.chap", error);
}

static gboolean
chap_undo (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  const char *user = lab_state_get_string (ctx->state, K_CHAP_USER);
  gboolean running = FALSE;

  if (user != NULL)
    {
      if (!tgt_ping (ctx, s, &running, error))
        return FALSE;
      if (running)
        {
          g_autoptr(GPtrArray) targets = tgt_targets (ctx, s, error);
          LabTgtTarget *t;
          int status = 0;

          if (targets == NULL)
            return FALSE;
          t = our_target (targets, ctx, s);
          if (t != NULL && g_strv_contains ((const char * const *) t->accounts, user)
              && !run_tgt (ctx, s, lab_tgt_argv_unbind_account (s->control_port, t->tid, user), error))
            return FALSE;
          {
            g_auto(GStrv) del = lab_tgt_argv_delete_account (s->control_port, user);
            /* "can't find the account" is fine */
            if (!lab_runner_run_full (ctx->runner, (const char * const *) del, LAB_RUN_DEFAULT, NULL,
                                      30000, &status, NULL, NULL, NULL, error))
              return FALSE;
          }
        }
    }
  lab_state_remove (ctx->state, K_CHAP_USER);
  lab_state_set_secret (ctx->state, K_CHAP_SECRET, NULL);
  return TRUE;
}

static char **
chap_describe (LabContext *ctx, gpointer data, gboolean down)
{
  Storage *s = data;
  GPtrArray *l = g_ptr_array_new ();
  g_autofree char *user = chap_user (s);

  if (down)
    {
      add_line (l, ctx, lab_tgt_argv_unbind_account (s->control_port, describe_tid (ctx), user));
      add_line (l, ctx, lab_tgt_argv_delete_account (s->control_port, user));
    }
  else
    {
      g_ptr_array_add (l, g_strdup (_("# the password is generated and kept only in the state file")));
      add_line (l, ctx, lab_tgt_argv_new_account (s->control_port, user, "******"));
      add_line (l, ctx, lab_tgt_argv_bind_account (s->control_port, describe_tid (ctx), user));
    }
  return lab_lines_steal (l);
}

/* ---- storage.attach -------------------------------------------------- */

static char *
fuse_mountpoint (Storage *s)
{
  g_autofree char *name = g_strdup_printf ("%s-lun1.fuse", s->lab);
  return g_build_filename (s->work_dir, name, NULL);
}

static gboolean
attach_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  Storage *s = data;
  const char *method = lab_state_get_string (ctx->state, K_ATTACH_METHOD);
  const char *device = lab_state_get_string (ctx->state, K_ATTACH_DEVICE);

  *done = FALSE;
  if (method == NULL || !block_device_exists (device))
    return TRUE;
  if (g_str_equal (method, "fuse"))
    {
      const char *mp = lab_state_get_string (ctx->state, K_FUSE_MOUNT);
      *done = mp != NULL && lab_iscsi_fuse_is_mounted (mp);
      return TRUE;
    }
  return lab_iscsi_has_session (ctx->runner, s->iqn, s->portal, done, error);
}

static gboolean
attach_fuse (LabContext *ctx, Storage *s, GError **error)
{
  g_autofree char *mp = fuse_mountpoint (s);
  g_autofree char *log = g_build_filename (s->work_dir, "qemu-storage-daemon.log", NULL);
  g_autofree char *secret_file = NULL;
  g_autofree char *loop = NULL;
  const char *secret = lab_state_get_secret (ctx->state, K_CHAP_SECRET);
  g_autofree char *user = s->chap ? chap_user (s) : NULL;
  GPid pid = 0;
  gboolean ok;

  g_mkdir_with_parents (s->work_dir, 0700);
  /* a half-done earlier attempt */
  if (!lab_iscsi_fuse_detach (ctx->runner, (GPid) lab_state_get_int (ctx->state, K_FUSE_PID, 0),
                              lab_state_get_string (ctx->state, K_FUSE_MOUNT),
                              lab_state_get_string (ctx->state, K_FUSE_LOOP), error))
    return FALSE;
  if (user != NULL && secret != NULL)
    {
      secret_file = g_build_filename (s->work_dir, "chap.secret", NULL);
      if (!g_file_set_contents_full (secret_file, secret, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
        return FALSE;
    }
  lab_state_set_string (ctx->state, K_ATTACH_METHOD, "fuse");
  lab_state_set_string (ctx->state, K_FUSE_MOUNT, mp);
  ok = lab_iscsi_fuse_attach (ctx->runner, s->portal_address, s->portal_port, s->iqn, mp,
                              user, secret_file, log, &pid, &loop, error);
  if (pid > 0)
    lab_state_set_int (ctx->state, K_FUSE_PID, pid);
  if (loop != NULL && *loop != '\0')
    {
      lab_state_set_string (ctx->state, K_FUSE_LOOP, loop);
      lab_state_set_string (ctx->state, K_ATTACH_DEVICE, loop);
    }
  return ok;
}

static gboolean
attach_iscsiadm (LabContext *ctx, Storage *s, GError **error)
{
  g_autofree char *user = s->chap ? chap_user (s) : NULL;
  const char *secret = lab_state_get_secret (ctx->state, K_CHAP_SECRET);

  lab_state_set_string (ctx->state, K_ATTACH_METHOD, "iscsiadm");
  lab_state_set_string (ctx->state, K_ATTACH_PORTAL, s->portal);
  if (!lab_iscsi_login (ctx->runner, s->iqn, s->portal, user, secret, error))
    return FALSE;
  if (is_real (ctx))
    {
      g_autofree char *real = NULL;
      if (!lab_iscsi_wait_device (s->by_path, ATTACH_TIMEOUT_MS, ctx->cancellable, error))
        return FALSE;
      real = realpath (s->by_path, NULL);
      lab_state_set_string (ctx->state, K_ATTACH_DEVICE, real != NULL ? real : s->by_path);
    }
  else
    lab_state_set_string (ctx->state, K_ATTACH_DEVICE, s->by_path);
  return TRUE;
}

static gboolean
attach_apply (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  g_autoptr(GError) local_error = NULL;

  if (s->attach == LAB_ISCSI_ATTACH_FUSE)
    {
      if (!attach_fuse (ctx, s, error))
        return FALSE;
    }
  else if (!attach_iscsiadm (ctx, s, &local_error))
    {
      if (s->attach != LAB_ISCSI_ATTACH_AUTO
          || !g_error_matches (local_error, LAB_ERROR, LAB_ERROR_UNSUPPORTED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      lab_progress_info (ctx->progress,
                         _("iscsiadm cannot log in here (no kernel iSCSI initiator); attaching the LUN "
                           "through qemu-storage-daemon (FUSE) and a loop device instead"));
      {
        /* the discovery record it may have left */
        g_autoptr(GError) ignored = NULL;
        lab_iscsi_logout (ctx->runner, s->iqn, s->portal, &ignored);
      }
      lab_state_remove (ctx->state, K_ATTACH_PORTAL);
      if (!attach_fuse (ctx, s, error))
        return FALSE;
    }
  return fail_point ("storage.attach", error);
}

static gboolean
attach_undo (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  const char *method = lab_state_get_string (ctx->state, K_ATTACH_METHOD);

  if (g_strcmp0 (method, "fuse") == 0)
    {
      if (!lab_iscsi_fuse_detach (ctx->runner, (GPid) lab_state_get_int (ctx->state, K_FUSE_PID, 0),
                                  lab_state_get_string (ctx->state, K_FUSE_MOUNT),
                                  lab_state_get_string (ctx->state, K_FUSE_LOOP), error))
        return FALSE;
      {
        g_autofree char *secret_file = g_build_filename (s->work_dir, "chap.secret", NULL);
        g_unlink (secret_file);
      }
    }
  else if (g_strcmp0 (method, "iscsiadm") == 0)
    {
      const char *portal = lab_state_get_string (ctx->state, K_ATTACH_PORTAL);
      if (!lab_iscsi_logout (ctx->runner, s->iqn, portal != NULL ? portal : s->portal, error))
        return FALSE;
    }
  lab_state_remove_prefix (ctx->state, "storage.attach.");
  return TRUE;
}

static char **
attach_describe (LabContext *ctx, gpointer data, gboolean down)
{
  Storage *s = data;
  GPtrArray *l = g_ptr_array_new ();
  const char *method = lab_state_get_string (ctx->state, K_ATTACH_METHOD);
  gboolean fuse = method != NULL ? g_str_equal (method, "fuse") : s->attach == LAB_ISCSI_ATTACH_FUSE;
  g_autofree char *mp = fuse_mountpoint (s);

  if (fuse && down)
    {
      const char *loop = lab_state_get_string (ctx->state, K_FUSE_LOOP);
      add_line (l, ctx, lab_iscsi_argv_losetup_detach (loop != NULL ? loop : "$DEV"));
      g_ptr_array_add (l, g_strdup_printf ("kill -TERM \"$(cat %s.pid)\"", mp));
    }
  else if (fuse)
    {
      g_autofree char *pidfile = g_strdup_printf ("%s.pid", mp);
      g_autofree char *losetup = NULL;
      g_auto(GStrv) la = lab_iscsi_argv_losetup_attach (mp);

      add_line (l, ctx, lab_iscsi_argv_fuse_export (s->portal_address, s->portal_port, s->iqn, 1, mp,
                                                    pidfile, s->chap ? "labctl" : NULL,
                                                    s->chap ? "chap.secret" : NULL));
      losetup = lab_runner_format_argv (ctx->runner, (const char * const *) la);
      g_ptr_array_add (l, g_strdup_printf ("DEV=$(%s)", losetup));
    }
  else if (down)
    {
      add_line (l, ctx, lab_iscsi_argv_logout (s->iqn, s->portal));
      add_line (l, ctx, lab_iscsi_argv_delete_node (s->iqn, s->portal));
    }
  else
    {
      add_line (l, ctx, lab_iscsi_argv_discovery (s->portal));
      if (s->chap)
        {
          g_autofree char *user = chap_user (s);
          add_line (l, ctx, lab_iscsi_argv_update_node (s->iqn, s->portal, "node.session.auth.authmethod", "CHAP"));
          add_line (l, ctx, lab_iscsi_argv_update_node (s->iqn, s->portal, "node.session.auth.username", user));
          add_line (l, ctx, lab_iscsi_argv_update_node (s->iqn, s->portal, "node.session.auth.password", "******"));
        }
      add_line (l, ctx, lab_iscsi_argv_login (s->iqn, s->portal));
      g_ptr_array_add (l, g_strdup_printf (_("# then wait (up to %u s) for %s"), ATTACH_TIMEOUT_MS / 1000, s->by_path));
      if (s->attach == LAB_ISCSI_ATTACH_AUTO)
        g_ptr_array_add (l, g_strdup (_("# without a kernel iSCSI initiator: qemu-storage-daemon FUSE export + losetup instead")));
    }
  return lab_lines_steal (l);
}

/* ---- storage.pv ------------------------------------------------------ */

static gboolean
device_ready (LabContext *ctx, const char *dev, GError **error)
{
  if (!is_real (ctx))
    return TRUE;
  if (!block_device_exists (dev))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("The lab's iSCSI disk %s is not present; run labctl storage up again to attach it"),
                   dev != NULL ? dev : "?");
      return FALSE;
    }
  return TRUE;
}

static gboolean
pv_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  Storage *s = data;
  const char *dev = lab_state_get_string (ctx->state, K_ATTACH_DEVICE);
  const char *recorded = lab_state_get_string (ctx->state, K_PV);
  g_autoptr(GPtrArray) pvs = NULL;

  *done = FALSE;
  if (dev == NULL || !block_device_exists (dev))
    return TRUE;
  /* blank (the usual first run): not a PV, no need to ask LVM */
  g_clear_pointer (&s->blkid_type, g_free);
  if (!lab_lvm_probe_signature (ctx->runner, dev, &s->blkid_type, error))
    return FALSE;
  s->blkid_known = TRUE;
  if (s->blkid_type == NULL || !g_str_equal (s->blkid_type, "LVM2_member"))
    return TRUE;
  pvs = lab_lvm_pvs (ctx->runner, dev, error);
  if (pvs == NULL)
    return FALSE;
  if (pvs->len == 1)
    {
      LabLvmPv *pv = g_ptr_array_index (pvs, 0);
      *done = lab_lvm_has_tag (pv->tags, s->tag) || g_strcmp0 (recorded, dev) == 0;
    }
  return TRUE;
}

static gboolean
pv_apply (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  const char *dev = lvm_device (ctx, s);
  gboolean is_pv = FALSE;

  if (!device_ready (ctx, dev, error))
    return FALSE;
  /* pv_check just found the device blank: nothing can have changed since */
  if (s->blkid_known && s->blkid_type == NULL)
    is_pv = FALSE;
  else if (!lab_lvm_check_device (ctx->runner, dev, s->tag,
                                  g_strcmp0 (lab_state_get_string (ctx->state, K_PV), dev) == 0,
                                  &is_pv, error))
    return FALSE;
  s->blkid_known = FALSE;
  if (!is_pv && !run_argv (ctx, lab_lvm_argv_pvcreate (dev), lab_lvm_run, error))
    return FALSE;
  lab_state_set_string (ctx->state, K_PV, dev);
  return fail_point ("storage.pv", error);
}

static gboolean
pv_undo (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  const char *dev = lab_state_get_string (ctx->state, K_PV);

  if (dev != NULL && block_device_exists (dev) && s->pv_orphan)
    {
      /* vg_undo removed the only VG on it a moment ago */
      if (!run_argv (ctx, lab_lvm_argv_pvremove (dev), lab_lvm_run, error))
        return FALSE;
    }
  else if (dev != NULL && block_device_exists (dev))
    {
      g_autoptr(GPtrArray) pvs = lab_lvm_pvs (ctx->runner, dev, error);
      if (pvs == NULL)
        return FALSE;
      /* only an orphan PV: a VG still on it is not ours to break */
      if (pvs->len == 1 && *((LabLvmPv *) g_ptr_array_index (pvs, 0))->vg_name == '\0'
          && !run_argv (ctx, lab_lvm_argv_pvremove (dev), lab_lvm_run, error))
        return FALSE;
    }
  lab_state_remove (ctx->state, K_PV);
  return TRUE;
}

static char **
pv_describe (LabContext *ctx, gpointer data, gboolean down)
{
  Storage *s = data;
  GPtrArray *l = g_ptr_array_new ();
  const char *dev = lvm_device (ctx, s);

  if (down)
    add_line (l, ctx, lab_lvm_argv_pvremove (dev));
  else
    {
      g_ptr_array_add (l, g_strdup (_("# refused if the disk carries any signature (blkid -p) that is not this lab's")));
      add_line (l, ctx, lab_lvm_argv_blkid (dev));
      add_line (l, ctx, lab_lvm_argv_pvcreate (dev));
    }
  return lab_lines_steal (l);
}

/* ---- storage.vg ------------------------------------------------------ */

static gboolean
vg_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  Storage *s = data;
  const char *dev = lab_state_get_string (ctx->state, K_ATTACH_DEVICE);
  LabLvmVg *vg;

  *done = FALSE;
  if (dev == NULL || !block_device_exists (dev))
    return TRUE;
  /* host-wide, not only our device: the name must be free everywhere */
  g_clear_pointer (&s->vg_cache, g_ptr_array_unref);
  s->vg_cache = lab_lvm_vgs (ctx->runner, NULL, s->vg, error);
  if (s->vg_cache == NULL)
    return FALSE;
  vg = lab_lvm_find_vg (s->vg_cache, s->vg);
  if (vg == NULL)
    return TRUE;
  if (!lab_lvm_has_tag (vg->tags, s->tag))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                   _("The volume group name \"%s\" is already taken on this host by a volume group "
                     "labctl did not create (no LVM tag %s); set another [storage] vg in the recipe"),
                   s->vg, s->tag);
      return FALSE;
    }
  *done = TRUE;
  return TRUE;
}

static gboolean
vg_apply (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  const char *dev = lvm_device (ctx, s);
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) vgs = NULL;
  LabLvmVg *vg;

  if (!device_ready (ctx, dev, error))
    return FALSE;
  /* the name across the host's own disks: `vgcreate` on our device alone would not see it */
  if (s->vg_cache != NULL)
    all = g_steal_pointer (&s->vg_cache);
  else
    all = lab_lvm_vgs (ctx->runner, NULL, s->vg, error);
  if (all == NULL)
    return FALSE;
  vg = lab_lvm_find_vg (all, s->vg);
  if (vg != NULL && !lab_lvm_has_tag (vg->tags, s->tag))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                   _("The volume group name \"%s\" is already taken on this host by a volume group "
                     "labctl did not create; set another [storage] vg in the recipe"), s->vg);
      return FALSE;
    }
  if (!run_argv (ctx, lab_lvm_argv_vgcreate (dev, s->vg, s->tag), lab_lvm_run, error))
    return FALSE;
  lab_state_set_string (ctx->state, K_VG, s->vg);
  if (!run_argv (ctx, lab_lvm_argv_pvchange_addtag (dev, s->tag), lab_lvm_run, error))
    return FALSE;
  if (!is_real (ctx))
    return TRUE;
  /* read back: the LV steps' `lvs` rows carry the VG's name and tags, and
   * check them; only a lab without LVs needs its own `vgs` here */
  if (s->lvs->len == 0)
    {
      vgs = lab_lvm_vgs (ctx->runner, dev, s->vg, error);
      if (vgs == NULL)
        return FALSE;
      vg = lab_lvm_find_vg (vgs, s->vg);
      if (vg == NULL || !lab_lvm_has_tag (vg->tags, s->tag))
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                       _("vgcreate reported success but vgs does not list \"%s\" with the tag %s"),
                       s->vg, s->tag);
          return FALSE;
        }
    }
  /* a new VG holds no LV */
  g_clear_pointer (&s->lv_cache, g_ptr_array_unref);
  s->lv_cache = lab_lvm_parse_lvs ("{\"report\":[{\"lv\":[]}]}", NULL);
  s->vg_facts = FALSE;
  return fail_point ("storage.vg", error);
}

static gboolean
vg_remove_ours (LabContext *ctx, Storage *s, const char *dev, guint lv_count, guint pv_count,
                GError **error)
{
  if (lv_count > 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                   _("The volume group \"%s\" still holds %u logical volume(s) labctl did not "
                     "create (lvs %s); remove them yourself, then run labctl storage down again"),
                   s->vg, lv_count, s->vg);
      return FALSE;
    }
  if (!run_argv (ctx, lab_lvm_argv_vgremove (dev, s->vg), lab_lvm_run, error))
    return FALSE;
  s->pv_orphan = pv_count == 1;
  return TRUE;
}

static gboolean
vg_undo (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  const char *dev = lab_state_get_string (ctx->state, K_ATTACH_DEVICE);

  if (dev != NULL && block_device_exists (dev) && s->vg_facts && s->lv_cache != NULL)
    {
      /* the LV steps just listed (and removed) the LVs of this VG */
      if (s->vg_tagged && !vg_remove_ours (ctx, s, dev, s->lv_cache->len, s->vg_pv_count, error))
        return FALSE;
    }
  else if (dev != NULL && block_device_exists (dev))
    {
      g_autoptr(GPtrArray) vgs = lab_lvm_vgs (ctx->runner, dev, s->vg, error);
      LabLvmVg *vg;

      if (vgs == NULL)
        return FALSE;
      vg = lab_lvm_find_vg (vgs, s->vg);
      if (vg != NULL && lab_lvm_has_tag (vg->tags, s->tag)
          && !vg_remove_ours (ctx, s, dev, vg->lv_count, vg->pv_count, error))
        return FALSE;
    }
  lab_state_remove (ctx->state, K_VG);
  return TRUE;
}

static char **
vg_describe (LabContext *ctx, gpointer data, gboolean down)
{
  Storage *s = data;
  GPtrArray *l = g_ptr_array_new ();
  const char *dev = lvm_device (ctx, s);

  if (down)
    add_line (l, ctx, lab_lvm_argv_vgremove (dev, s->vg));
  else
    {
      add_line (l, ctx, lab_lvm_argv_vgcreate (dev, s->vg, s->tag));
      add_line (l, ctx, lab_lvm_argv_pvchange_addtag (dev, s->tag));
    }
  return lab_lines_steal (l);
}

/* ---- storage.lv:NAME ------------------------------------------------- */

/* The LVs of the lab's VG on dev: from the cache, else one lvs query. */
static GPtrArray *
lv_list (LabContext *ctx, Storage *s, const char *dev, GError **error)
{
  if (s->lv_cache == NULL)
    {
      s->lv_cache = lab_lvm_lvs (ctx->runner, dev, s->vg, error);
      /* every row also tells the VG's tags and PV count (vg_undo needs them) */
      s->vg_facts = s->lv_cache != NULL && s->lv_cache->len > 0;
      if (s->vg_facts)
        {
          LabLvmLv *first = g_ptr_array_index (s->lv_cache, 0);
          s->vg_tagged = lab_lvm_has_tag (first->vg_tags, s->tag);
          s->vg_pv_count = first->pv_count;
        }
    }
  return s->lv_cache;
}

static void
lv_forget (Storage *s, const char *name)
{
  for (guint i = 0; s->lv_cache != NULL && i < s->lv_cache->len; i++)
    if (g_str_equal (((LabLvmLv *) g_ptr_array_index (s->lv_cache, i))->name, name))
      {
        g_ptr_array_remove_index (s->lv_cache, i);
        return;
      }
}

static char *
lv_key (StorageLv *lv)
{
  return g_strconcat (K_LV_PREFIX, lv->name, NULL);
}

static gboolean
lv_is_last (LvStep *d)
{
  GPtrArray *lvs = d->storage->lvs;
  return lvs->len > 0 && g_ptr_array_index (lvs, lvs->len - 1) == d->lv;
}

/* One `lvs` read-back for every LV created in this run. */
static gboolean
lv_verify_created (LabContext *ctx, Storage *s, const char *dev, GError **error)
{
  GPtrArray *lvs;

  g_clear_pointer (&s->lv_cache, g_ptr_array_unref);
  lvs = lv_list (ctx, s, dev, error);
  if (lvs == NULL)
    return FALSE;
  for (guint i = 0; i < s->lv_unverified->len; i++)
    {
      const char *name = g_ptr_array_index (s->lv_unverified, i);
      LabLvmLv *lv = lab_lvm_find_lv (lvs, name);
      guint64 bytes = 0;

      for (guint j = 0; j < s->lvs->len; j++)
        if (g_str_equal (((StorageLv *) g_ptr_array_index (s->lvs, j))->name, name))
          bytes = ((StorageLv *) g_ptr_array_index (s->lvs, j))->bytes;
      if (lv == NULL || lv->size < bytes || !lab_lvm_has_tag (lv->tags, s->tag)
          || !lab_lvm_has_tag (lv->vg_tags, s->tag))
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                       _("lvcreate reported success but lvs does not list %s/%s with its size and tags"),
                       s->vg, name);
          return FALSE;
        }
    }
  g_ptr_array_set_size (s->lv_unverified, 0);
  return TRUE;
}

static gboolean
lv_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  LvStep *d = data;
  const char *dev = lab_state_get_string (ctx->state, K_ATTACH_DEVICE);
  GPtrArray *lvs;
  LabLvmLv *lv;

  *done = FALSE;
  if (dev == NULL || !block_device_exists (dev))
    return TRUE;
  if (lv_is_last (d) && d->storage->lv_unverified->len > 0
      && !lv_verify_created (ctx, d->storage, dev, error))
    return FALSE;
  lvs = lv_list (ctx, d->storage, dev, error);
  if (lvs == NULL)
    return FALSE;
  lv = lab_lvm_find_lv (lvs, d->lv->name);
  if (lv == NULL)
    return TRUE;
  if (!lab_lvm_has_tag (lv->tags, d->storage->tag))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                   _("The logical volume %s/%s exists and is not this lab's (no LVM tag %s); "
                     "labctl will not touch it"), d->storage->vg, d->lv->name, d->storage->tag);
      return FALSE;
    }
  if (lv->size < d->lv->bytes)
    {
      g_autofree char *have = lab_format_size (lv->size);
      g_autofree char *want = lab_format_size (d->lv->bytes);
      g_set_error (error, LAB_ERROR, LAB_ERROR_EXISTS,
                   _("The lab's logical volume %s/%s is %s, the recipe asks for %s; "
                     "run labctl storage down and up to recreate it (its data is lost)"),
                   d->storage->vg, d->lv->name, have, want);
      return FALSE;
    }
  *done = TRUE;
  return TRUE;
}

static gboolean
lv_apply (LabContext *ctx, gpointer data, GError **error)
{
  LvStep *d = data;
  Storage *s = d->storage;
  const char *dev = lvm_device (ctx, s);
  g_autofree char *key = lv_key (d->lv);

  if (!device_ready (ctx, dev, error))
    return FALSE;
  if (!run_argv (ctx, lab_lvm_argv_lvcreate (dev, s->vg, d->lv->name, d->lv->bytes, s->tag),
                 lab_lvm_run, error))
    {
      g_clear_pointer (&s->lv_cache, g_ptr_array_unref);
      return FALSE;
    }
  lab_state_set_bool (ctx->state, key, TRUE);
  if (!is_real (ctx))
    return TRUE;
  g_ptr_array_add (s->lv_unverified, g_strdup (d->lv->name));
  if (lv_is_last (d) || s->lv_cache == NULL)
    {
      /* read back every LV made in this run at once (an lvm start costs ~50 ms) */
      if (!lv_verify_created (ctx, s, dev, error))
        return FALSE;
    }
  else
    {
      /* until then the next LV's check knows this one exists */
      LabLvmLv *lv = g_new0 (LabLvmLv, 1);
      const char *tags[] = { s->tag, NULL };

      lv->name = g_strdup (d->lv->name);
      lv->vg_name = g_strdup (s->vg);
      lv->size = d->lv->bytes;
      lv->tags = g_strdupv ((char **) tags);
      lv->vg_tags = g_strdupv ((char **) tags);
      g_ptr_array_add (s->lv_cache, lv);
    }
  return fail_point ("storage.lv", error);
}

static gboolean
lv_undo (LabContext *ctx, gpointer data, GError **error)
{
  LvStep *d = data;
  const char *dev = lab_state_get_string (ctx->state, K_ATTACH_DEVICE);
  g_autofree char *key = lv_key (d->lv);

  if (dev != NULL && block_device_exists (dev))
    {
      GPtrArray *lvs = lv_list (ctx, d->storage, dev, error);
      LabLvmLv *lv;

      if (lvs == NULL)
        return FALSE;
      lv = lab_lvm_find_lv (lvs, d->lv->name);
      if (lv != NULL && lab_lvm_has_tag (lv->tags, d->storage->tag))
        {
          if (!run_argv (ctx, lab_lvm_argv_lvremove (dev, d->storage->vg, d->lv->name), lab_lvm_run, error))
            {
              g_clear_pointer (&d->storage->lv_cache, g_ptr_array_unref);
              return FALSE;
            }
          lv_forget (d->storage, d->lv->name);
        }
    }
  lab_state_remove (ctx->state, key);
  return TRUE;
}

static char **
lv_describe (LabContext *ctx, gpointer data, gboolean down)
{
  LvStep *d = data;
  GPtrArray *l = g_ptr_array_new ();
  const char *dev = lvm_device (ctx, d->storage);

  if (down)
    add_line (l, ctx, lab_lvm_argv_lvremove (dev, d->storage->vg, d->lv->name));
  else
    add_line (l, ctx, lab_lvm_argv_lvcreate (dev, d->storage->vg, d->lv->name, d->lv->bytes,
                                             d->storage->tag));
  return lab_lines_steal (l);
}

/* ---- the plan -------------------------------------------------------- */

static const LabStepInfo step_image = {
  "storage.image", N_("Create the sparse backing file"), TRUE,
  image_check, image_apply, image_undo, image_describe };
static const LabStepInfo step_tgtd = {
  "storage.tgtd", N_("Run the iSCSI target daemon (tgtd)"), TRUE,
  tgtd_check, tgtd_apply, tgtd_undo, tgtd_describe };
static const LabStepInfo step_target = {
  "storage.target", N_("Create the iSCSI target"), TRUE,
  target_check, target_apply, target_undo, target_describe };
static const LabStepInfo step_lun = {
  "storage.lun", N_("Add LUN 1 on the backing file"), TRUE,
  lun_check, lun_apply, lun_undo, lun_describe };
static const LabStepInfo step_acl = {
  "storage.acl", N_("Admit only the lab's addresses to the target"), TRUE,
  acl_check, acl_apply, acl_undo, acl_describe };
static const LabStepInfo step_chap = {
  "storage.chap", N_("Require CHAP authentication"), TRUE,
  chap_check, chap_apply, chap_undo, chap_describe };
static const LabStepInfo step_attach = {
  "storage.attach", N_("Attach the iSCSI disk on this host"), TRUE,
  attach_check, attach_apply, attach_undo, attach_describe };
static const LabStepInfo step_pv = {
  "storage.pv", N_("Make the iSCSI disk an LVM physical volume"), TRUE,
  pv_check, pv_apply, pv_undo, pv_describe };
static const LabStepInfo step_vg = {
  "storage.vg", N_("Create the volume group"), TRUE,
  vg_check, vg_apply, vg_undo, vg_describe };
static const LabStepInfo step_lv = {
  "storage.lv", N_("Create the logical volume %s"), TRUE,
  lv_check, lv_apply, lv_undo, lv_describe };

static gboolean
address_in_subnet (const char *address, const char *subnet)
{
  g_autoptr(GInetAddressMask) mask = NULL;
  g_autoptr(GInetAddress) addr = NULL;

  if (address == NULL || subnet == NULL)
    return FALSE;
  mask = g_inet_address_mask_new_from_string (subnet, NULL);
  addr = g_inet_address_new_from_string (address);
  return mask != NULL && addr != NULL
         && g_inet_address_get_family (addr) == g_inet_address_mask_get_family (mask)
         && g_inet_address_mask_matches (mask, addr);
}

char **
lab_storage_acl_for_recipe (LabRecipe *recipe)
{
  GPtrArray *a = g_ptr_array_new ();

  if (recipe->portal_address != NULL && !address_in_subnet (recipe->portal_address, recipe->subnet))
    g_ptr_array_add (a, g_strdup (recipe->portal_address));
  if (recipe->subnet != NULL)
    g_ptr_array_add (a, g_strdup (recipe->subnet));
  return lab_lines_steal (a);
}

static Storage *
storage_new (LabContext *ctx, GError **error)
{
  LabRecipe *r = ctx->recipe;
  Storage *s = g_atomic_rc_box_new0 (Storage);
  const char *dir = ctx->state != NULL ? lab_state_get_dir (ctx->state) : NULL;

  if (!lab_iscsi_attach_from_env (&s->attach, error))
    {
      g_atomic_rc_box_release (s);
      return NULL;
    }
  s->lab = g_strdup (r->name);
  s->tag = lab_lvm_tag (r->name);
  s->image = g_strdup (r->backing_file);
  s->size = r->image_size;
  s->iqn = g_strdup (r->iqn);
  s->portal_address = g_strdup (r->portal_address);
  s->portal_port = r->portal_port;
  s->control_port = r->control_port;
  s->portal = lab_iscsi_portal (r->portal_address, r->portal_port);
  s->by_path = lab_iscsi_by_path_name (r->portal_address, r->portal_port, r->iqn, 1);
  s->vg = g_strdup (r->vg_name);
  s->chap = r->chap;
  s->acl = lab_storage_acl_for_recipe (r);
  s->work_dir = dir != NULL ? g_strdup (dir) : g_path_get_dirname (r->backing_file);
  s->lvs = g_ptr_array_new_with_free_func (storage_lv_free);
  s->lv_unverified = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; r->nodes != NULL && i < r->nodes->len; i++)
    {
      LabNode *n = g_ptr_array_index (r->nodes, i);
      StorageLv *lv = g_new0 (StorageLv, 1);
      lv->name = g_strdup (n->lv_name);
      lv->bytes = n->disk_bytes;
      g_ptr_array_add (s->lvs, lv);
    }
  for (guint i = 0; r->guests != NULL && i < r->guests->len; i++)
    {
      LabGuest *g = g_ptr_array_index (r->guests, i);
      StorageLv *lv;

      if (g->disk_bytes == 0)
        continue;
      lv = g_new0 (StorageLv, 1);
      lv->name = g_strconcat (r->lv_prefix, g->name, NULL);
      lv->bytes = g->disk_bytes;
      g_ptr_array_add (s->lvs, lv);
    }
  return s;
}

static void
add (LabPlan *plan, const LabStepInfo *info, Storage *s)
{
  lab_plan_add_step (plan, info, NULL, NULL, g_atomic_rc_box_acquire (s), storage_unref);
}

gboolean
lab_storage_add_steps_parts (LabPlan *plan, LabContext *ctx, LabStorageParts parts, GError **error)
{
  Storage *s = storage_new (ctx, error);
  const char *lvm_dir = g_getenv ("LABCTL_LVM_SYSTEM_DIR");

  if (s == NULL)
    return FALSE;
  if (lvm_dir != NULL && *lvm_dir != '\0')
    lab_runner_setenv (ctx->runner, "LVM_SYSTEM_DIR", lvm_dir);
  lab_runner_setenv (ctx->runner, "LVM_SUPPRESS_FD_WARNINGS", "1");

  if (parts & LAB_STORAGE_PART_TARGET)
    {
      add (plan, &step_image, s);
      add (plan, &step_tgtd, s);
      add (plan, &step_target, s);
      add (plan, &step_lun, s);
      add (plan, &step_acl, s);
      if (s->chap)
        add (plan, &step_chap, s);
    }
  if (parts & LAB_STORAGE_PART_ATTACH)
    add (plan, &step_attach, s);
  if (parts & LAB_STORAGE_PART_LVM)
    {
      add (plan, &step_pv, s);
      add (plan, &step_vg, s);
      for (guint i = 0; i < s->lvs->len; i++)
        {
          LvStep *d = g_new0 (LvStep, 1);
          d->storage = g_atomic_rc_box_acquire (s);
          d->lv = g_ptr_array_index (s->lvs, i);
          lab_plan_add_step (plan, &step_lv, d->lv->name, d->lv->name, d, lv_step_free);
        }
    }
  storage_unref (s);
  return TRUE;
}

gboolean
lab_storage_add_steps (LabPlan *plan, LabContext *ctx, GError **error)
{
  return lab_storage_add_steps_parts (plan, ctx, LAB_STORAGE_PART_ALL, error);
}

/* ---- status ---------------------------------------------------------- */

static void
set_error_member (JsonBuilder *b, GError *error)
{
  json_builder_set_member_name (b, "error");
  json_builder_add_string_value (b, error->message);
}

static void
add_str_array (JsonBuilder *b, const char *name, GStrv values)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    json_builder_add_string_value (b, values[i]);
  json_builder_end_array (b);
}

JsonNode *
lab_storage_status (LabContext *ctx)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GError) error = NULL;
  Storage *s = storage_new (ctx, &error);
  struct stat st;
  const char *dev;
  gboolean running = FALSE;

  if (s == NULL)
    {
      json_builder_begin_object (b);
      set_error_member (b, error);
      json_builder_end_object (b);
      return json_builder_get_root (b);
    }
  lab_runner_setenv (ctx->runner, "LVM_SUPPRESS_FD_WARNINGS", "1");
  if (g_getenv ("LABCTL_LVM_SYSTEM_DIR") != NULL)
    lab_runner_setenv (ctx->runner, "LVM_SYSTEM_DIR", g_getenv ("LABCTL_LVM_SYSTEM_DIR"));

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "lab");
  json_builder_add_string_value (b, s->lab);

  /* image */
  json_builder_set_member_name (b, "image");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, s->image);
  json_builder_set_member_name (b, "exists");
  json_builder_add_boolean_value (b, stat (s->image, &st) == 0);
  if (stat (s->image, &st) == 0)
    {
      json_builder_set_member_name (b, "size");
      json_builder_add_int_value (b, st.st_size);
      json_builder_set_member_name (b, "allocated");
      json_builder_add_int_value (b, (gint64) st.st_blocks * 512);
      json_builder_set_member_name (b, "labctl");
      json_builder_add_boolean_value (b, image_is_ours (ctx, s));
    }
  json_builder_end_object (b);

  /* target */
  json_builder_set_member_name (b, "target");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "iqn");
  json_builder_add_string_value (b, s->iqn);
  json_builder_set_member_name (b, "portal");
  json_builder_add_string_value (b, s->portal);
  json_builder_set_member_name (b, "control_port");
  json_builder_add_int_value (b, s->control_port);
  if (!lab_tgt_ping (ctx->runner, s->control_port, &running, &error))
    set_error_member (b, error);
  else if (!running && geteuid () != 0)
    {
      json_builder_set_member_name (b, "error");
      json_builder_add_string_value (b, _("tgtd cannot be asked without root: sudo labctl storage status"));
    }
  else
    {
      json_builder_set_member_name (b, "tgtd_running");
      json_builder_add_boolean_value (b, running);
      if (lab_state_has (ctx->state, K_TGTD_PID))
        {
          json_builder_set_member_name (b, "tgtd_pid");
          json_builder_add_int_value (b, lab_state_get_int (ctx->state, K_TGTD_PID, 0));
        }
      if (running)
        {
          g_autoptr(GPtrArray) targets = lab_tgt_show (ctx->runner, s->control_port, &error);
          LabTgtTarget *t = targets != NULL ? lab_tgt_find_by_iqn (targets, s->iqn) : NULL;

          if (targets == NULL)
            set_error_member (b, error);
          json_builder_set_member_name (b, "exists");
          json_builder_add_boolean_value (b, t != NULL);
          if (t != NULL)
            {
              LabTgtLun *lun = lab_tgt_target_get_lun (t, 1);
              g_autoptr(GPtrArray) sessions = g_ptr_array_new_with_free_func (g_free);

              json_builder_set_member_name (b, "tid");
              json_builder_add_int_value (b, t->tid);
              json_builder_set_member_name (b, "lun1");
              if (lun != NULL)
                {
                  json_builder_begin_object (b);
                  json_builder_set_member_name (b, "backing_path");
                  json_builder_add_string_value (b, lun->backing_path);
                  json_builder_set_member_name (b, "size_mb");
                  json_builder_add_int_value (b, lun->size_bytes / 1000000);
                  json_builder_end_object (b);
                }
              else
                json_builder_add_null_value (b);
              add_str_array (b, "acl", t->acl);
              add_str_array (b, "chap_users", t->accounts);
              for (guint i = 0; i < t->nexus->len; i++)
                {
                  LabTgtNexus *n = g_ptr_array_index (t->nexus, i);
                  g_ptr_array_add (sessions, g_strdup_printf ("%s@%s", n->initiator ? n->initiator : "?",
                                                              n->address ? n->address : "?"));
                }
              g_ptr_array_add (sessions, NULL);
              add_str_array (b, "sessions", (GStrv) sessions->pdata);
            }
        }
    }
  g_clear_error (&error);
  json_builder_end_object (b);

  /* attach */
  json_builder_set_member_name (b, "attach");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "method");
  json_builder_add_string_value (b, lab_state_get_string (ctx->state, K_ATTACH_METHOD));
  dev = lab_state_get_string (ctx->state, K_ATTACH_DEVICE);
  json_builder_set_member_name (b, "device");
  json_builder_add_string_value (b, dev);
  json_builder_set_member_name (b, "present");
  json_builder_add_boolean_value (b, block_device_exists (dev));
  json_builder_end_object (b);

  /* LVM */
  json_builder_set_member_name (b, "lvm");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "vg");
  json_builder_add_string_value (b, s->vg);
  if (block_device_exists (dev))
    {
      g_autoptr(GPtrArray) pvs = lab_lvm_pvs (ctx->runner, dev, &error);
      g_autoptr(GPtrArray) vgs = pvs != NULL ? lab_lvm_vgs (ctx->runner, dev, s->vg, &error) : NULL;
      g_autoptr(GPtrArray) lvs = vgs != NULL ? lab_lvm_lvs (ctx->runner, dev, s->vg, &error) : NULL;
      LabLvmVg *vg = lab_lvm_find_vg (vgs, s->vg);

      if (error != NULL)
        set_error_member (b, error);
      json_builder_set_member_name (b, "pv");
      json_builder_add_boolean_value (b, pvs != NULL && pvs->len > 0);
      json_builder_set_member_name (b, "vg_exists");
      json_builder_add_boolean_value (b, vg != NULL);
      if (vg != NULL)
        {
          json_builder_set_member_name (b, "vg_size");
          json_builder_add_int_value (b, vg->size);
          json_builder_set_member_name (b, "vg_free");
          json_builder_add_int_value (b, vg->free);
          add_str_array (b, "vg_tags", vg->tags);
        }
      json_builder_set_member_name (b, "lvs");
      json_builder_begin_array (b);
      for (guint i = 0; lvs != NULL && i < lvs->len; i++)
        {
          LabLvmLv *lv = g_ptr_array_index (lvs, i);
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, lv->name);
          json_builder_set_member_name (b, "size");
          json_builder_add_int_value (b, lv->size);
          json_builder_set_member_name (b, "labctl");
          json_builder_add_boolean_value (b, lab_lvm_has_tag (lv->tags, s->tag));
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  json_builder_end_object (b);

  json_builder_end_object (b);
  storage_unref (s);
  return json_builder_get_root (b);
}

static const char *
str_or (JsonObject *o, const char *name, const char *fallback)
{
  if (o == NULL || !json_object_has_member (o, name) || json_object_get_null_member (o, name))
    return fallback;
  return json_object_get_string_member_with_default (o, name, fallback);
}

static char *
joined_array (JsonObject *o, const char *name)
{
  GString *s = g_string_new (NULL);
  JsonArray *a = o != NULL && json_object_has_member (o, name) ? json_object_get_array_member (o, name) : NULL;

  for (guint i = 0; a != NULL && i < json_array_get_length (a); i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", json_array_get_string_element (a, i));
  if (s->len == 0)
    g_string_append (s, "-");
  return g_string_free (s, FALSE);
}

char *
lab_storage_status_to_text (JsonNode *status)
{
  JsonObject *root = json_node_get_object (status);
  JsonObject *img = json_object_get_object_member (root, "image");
  JsonObject *tgt = json_object_get_object_member (root, "target");
  JsonObject *att = json_object_get_object_member (root, "attach");
  JsonObject *lvm = json_object_get_object_member (root, "lvm");
  GString *out = g_string_new (NULL);

  if (json_object_has_member (root, "error"))
    {
      g_string_append_printf (out, "%s\n", str_or (root, "error", ""));
      return g_string_free (out, FALSE);
    }
  if (json_object_get_boolean_member_with_default (img, "exists", FALSE))
    {
      g_autofree char *size = lab_format_size (json_object_get_int_member (img, "size"));
      g_autofree char *alloc = lab_format_size (json_object_get_int_member (img, "allocated"));
      g_string_append_printf (out, _("Image:    %s, %s (%s allocated)%s\n"), str_or (img, "path", ""),
                              size, alloc,
                              json_object_get_boolean_member_with_default (img, "labctl", FALSE)
                                ? "" : _(" [not labctl's]"));
    }
  else
    g_string_append_printf (out, _("Image:    %s (absent)\n"), str_or (img, "path", ""));

  if (json_object_has_member (tgt, "error"))
    g_string_append_printf (out, _("Target:   %s: %s\n"), str_or (tgt, "iqn", ""), str_or (tgt, "error", ""));
  else if (!json_object_get_boolean_member_with_default (tgt, "tgtd_running", FALSE))
    g_string_append_printf (out, _("Target:   %s (tgtd not running on control port %d)\n"),
                            str_or (tgt, "iqn", ""), (int) json_object_get_int_member (tgt, "control_port"));
  else if (!json_object_get_boolean_member_with_default (tgt, "exists", FALSE))
    g_string_append_printf (out, _("Target:   %s (absent)\n"), str_or (tgt, "iqn", ""));
  else
    {
      g_autofree char *acl = joined_array (tgt, "acl");
      g_autofree char *sessions = joined_array (tgt, "sessions");
      g_autofree char *chap = joined_array (tgt, "chap_users");
      JsonObject *lun = json_object_get_null_member (tgt, "lun1") ? NULL : json_object_get_object_member (tgt, "lun1");

      g_string_append_printf (out, _("Target:   %s, tid %d, portal %s\n"), str_or (tgt, "iqn", ""),
                              (int) json_object_get_int_member (tgt, "tid"), str_or (tgt, "portal", ""));
      g_string_append_printf (out, _("LUN 1:    %s\n"), lun ? str_or (lun, "backing_path", "?") : _("absent"));
      g_string_append_printf (out, _("ACL:      %s\n"), acl);
      g_string_append_printf (out, _("CHAP:     %s\n"), chap);
      g_string_append_printf (out, _("Sessions: %s\n"), sessions);
    }
  g_string_append_printf (out, _("Disk:     %s%s\n"), str_or (att, "device", _("not attached")),
                          str_or (att, "method", NULL) != NULL && json_object_get_boolean_member_with_default (att, "present", FALSE)
                            ? "" : _(" (absent)"));
  if (json_object_has_member (lvm, "error"))
    g_string_append_printf (out, _("LVM:      %s\n"), str_or (lvm, "error", ""));
  if (json_object_get_boolean_member_with_default (lvm, "vg_exists", FALSE))
    {
      g_autofree char *size = lab_format_size (json_object_get_int_member (lvm, "vg_size"));
      g_autofree char *free_s = lab_format_size (json_object_get_int_member (lvm, "vg_free"));
      JsonArray *lvs = json_object_get_array_member (lvm, "lvs");

      g_string_append_printf (out, _("VG:       %s, %s, %s free\n"), str_or (lvm, "vg", ""), size, free_s);
      for (guint i = 0; lvs != NULL && i < json_array_get_length (lvs); i++)
        {
          JsonObject *lv = json_array_get_object_element (lvs, i);
          g_autofree char *lsize = lab_format_size (json_object_get_int_member (lv, "size"));
          g_string_append_printf (out, _("LV:       %s, %s%s\n"), str_or (lv, "name", ""), lsize,
                                  json_object_get_boolean_member_with_default (lv, "labctl", FALSE)
                                    ? "" : _(" [not labctl's]"));
        }
    }
  else
    g_string_append_printf (out, _("VG:       %s (absent)\n"), str_or (lvm, "vg", ""));
  return g_string_free (out, FALSE);
}
