/* lab-storage-attach.c: step storage.attach, LUN 1 as a block device on
 * this host (lab-iscsi.h): by open-iscsi (discovery, the CHAP settings,
 * login; the disk found only by its /dev/disk/by-path name), or, where the
 * kernel has no iSCSI initiator, by qemu-storage-daemon's FUSE export and a
 * loop device. LABCTL_STORAGE_ATTACH chooses; auto falls back from the
 * first to the second and says so. It records storage.attach.method and
 * storage.attach.device (the disk the LVM steps use), and
 * storage.attach.portal (iscsiadm) or storage.attach.qsd-pid,
 * storage.attach.mountpoint and storage.attach.loop (fuse). The method,
 * portal and mountpoint are saved to disk before the session or the export
 * exists, so that a run killed at any moment leaves a state naming them.
 * undo logs out, or detaches, by the method the state records; without a
 * recorded method it detaches what is found on the lab's mountpoint (the
 * export by its command line and pidfile, loop devices by their backing
 * file), and apply does the same before it attaches again. */
#include "config.h"

#include "lab-storage-private.h"

#include <stdlib.h>

#include <glib/gstdio.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-tgt.h"
#include "lab-util.h"

#define ATTACH_TIMEOUT_MS 30000

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
  if (method == NULL || !storage_block_device_exists (device))
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
  g_autofree char *user = s->chap ? storage_chap_user (s) : NULL;
  GPid pid = 0;
  gboolean ok;

  g_mkdir_with_parents (s->work_dir, 0700);
  /* a half-done earlier attempt, also one killed before it recorded its
   * export or loop device: both are found by the mountpoint */
  if (!lab_iscsi_fuse_detach (ctx->runner, (GPid) lab_state_get_int (ctx->state, K_FUSE_PID, 0),
                              lab_state_get_string (ctx->state, K_FUSE_MOUNT),
                              lab_state_get_string (ctx->state, K_FUSE_LOOP), error))
    return FALSE;
  if (g_strcmp0 (lab_state_get_string (ctx->state, K_FUSE_MOUNT), mp) != 0
      && !lab_iscsi_fuse_detach (ctx->runner, 0, mp, NULL, error))
    return FALSE;
  lab_state_remove (ctx->state, K_FUSE_PID);
  lab_state_remove (ctx->state, K_FUSE_LOOP);
  lab_state_remove (ctx->state, K_ATTACH_DEVICE);
  if (user != NULL && secret != NULL)
    {
      secret_file = g_build_filename (s->work_dir, "chap.secret", NULL);
      if (!g_file_set_contents_full (secret_file, secret, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
        return FALSE;
    }
  /* on disk before the export exists: a run killed from here on leaves a
   * state that names the mountpoint, and through it the export's pidfile
   * and loop devices, for the next up or down to remove */
  lab_state_set_string (ctx->state, K_ATTACH_METHOD, "fuse");
  lab_state_set_string (ctx->state, K_FUSE_MOUNT, mp);
  if (!lab_state_save (ctx->state, error))
    return FALSE;
  ok = lab_iscsi_fuse_attach (ctx->runner, s->portal_address, s->portal_port, s->iqn, s->host_initiator, mp,
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
  g_autofree char *user = s->chap ? storage_chap_user (s) : NULL;
  const char *secret = lab_state_get_secret (ctx->state, K_CHAP_SECRET);

  lab_state_set_string (ctx->state, K_ATTACH_METHOD, "iscsiadm");
  lab_state_set_string (ctx->state, K_ATTACH_PORTAL, s->portal);
  /* on disk before the login: a killed run's session is logged out by down */
  if (!lab_state_save (ctx->state, error))
    return FALSE;
  if (!lab_iscsi_login (ctx->runner, s->iqn, s->portal, s->host_initiator, user, secret, error))
    return FALSE;
  if (storage_is_real (ctx))
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
        lab_iscsi_logout (ctx->runner, s->iqn, s->portal, s->host_initiator != NULL, &ignored);
      }
      lab_state_remove (ctx->state, K_ATTACH_PORTAL);
      if (!attach_fuse (ctx, s, error))
        return FALSE;
    }
  return storage_fail_point ("storage.attach", error);
}

static gboolean
attach_undo (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  const char *method = lab_state_get_string (ctx->state, K_ATTACH_METHOD);

  /* fuse, or not recorded (a run killed before it saved the method) */
  if (g_strcmp0 (method, "iscsiadm") != 0)
    {
      g_autofree char *mp = fuse_mountpoint (s);
      const char *recorded = lab_state_get_string (ctx->state, K_FUSE_MOUNT);

      if (!lab_iscsi_fuse_detach (ctx->runner, (GPid) lab_state_get_int (ctx->state, K_FUSE_PID, 0),
                                  recorded != NULL ? recorded : mp,
                                  lab_state_get_string (ctx->state, K_FUSE_LOOP), error))
        return FALSE;
      /* the lab's own mountpoint, whatever the state lost: its export and loops */
      if (recorded != NULL && !g_str_equal (recorded, mp)
          && !lab_iscsi_fuse_detach (ctx->runner, 0, mp, NULL, error))
        return FALSE;
      {
        g_autofree char *secret_file = g_build_filename (s->work_dir, "chap.secret", NULL);
        g_unlink (secret_file);
      }
    }
  else if (g_strcmp0 (method, "iscsiadm") == 0)
    {
      const char *portal = lab_state_get_string (ctx->state, K_ATTACH_PORTAL);
      if (!lab_iscsi_logout (ctx->runner, s->iqn, portal != NULL ? portal : s->portal,
                             s->host_initiator != NULL, error))
        return FALSE;
    }
  lab_state_remove_prefix (ctx->state, "storage.attach.");
  return TRUE;
}

gboolean
storage_device_is_ours (LabContext *ctx, Storage *s, const char *device, GError **error)
{
  const char *method = lab_state_get_string (ctx->state, K_ATTACH_METHOD);
  g_autoptr(GPtrArray) targets = NULL;
  LabTgtTarget *t;
  LabTgtLun *lun;
  g_autofree char *lun_path = NULL;
  g_autofree char *image = NULL;

  /* the image, marked as the lab's ... */
  if (device == NULL || !storage_image_is_ours (ctx, s))
    return FALSE;
  /* ... is LUN 1 of the lab's target ... */
  targets = lab_tgt_show (ctx->runner, s->control_port, error);
  if (targets == NULL)
    return FALSE;
  t = lab_tgt_find_by_iqn (targets, s->iqn);
  lun = t != NULL ? lab_tgt_target_get_lun (t, 1) : NULL;
  if (lun == NULL || lun->backing_path == NULL)
    return FALSE;
  lun_path = realpath (lun->backing_path, NULL);
  image = realpath (s->image, NULL);
  if (lun_path == NULL || image == NULL || !g_str_equal (lun_path, image))
    return FALSE;
  /* ... and device is that LUN on this host: the loop device on the export
   * of that target, or the by-path name of the target's LUN 1 */
  /* (no method recorded: the state was lost; the lab's own mountpoint and
   * by-path name still say which) */
  if (g_strcmp0 (method, "fuse") == 0 || method == NULL)
    {
      const char *recorded = lab_state_get_string (ctx->state, K_FUSE_MOUNT);
      g_autofree char *mp = recorded != NULL ? g_strdup (recorded) : (method == NULL ? fuse_mountpoint (s) : NULL);
      g_auto(GStrv) loops = mp != NULL ? lab_iscsi_fuse_find_loops (mp) : NULL;

      if (loops != NULL && g_strv_contains ((const char * const *) loops, device)
          && lab_iscsi_fuse_exports_target (mp, s->iqn))
        return TRUE;
    }
  if (g_strcmp0 (method, "iscsiadm") == 0 || method == NULL)
    {
      g_autofree char *by_path = realpath (s->by_path, NULL);
      g_autofree char *dev = realpath (device, NULL);

      return by_path != NULL && dev != NULL && g_str_equal (by_path, dev);
    }
  return FALSE;
}

const char *
storage_lost_device (LabContext *ctx, Storage *s)
{
  g_autofree char *mp = NULL;
  g_auto(GStrv) loops = NULL;
  const char *candidate = NULL;

  if (s->lost_known)
    return s->lost_device;
  s->lost_known = TRUE;
  if (!storage_is_real (ctx) || lab_state_has (ctx->state, K_ATTACH_METHOD))
    return NULL;
  mp = fuse_mountpoint (s);
  loops = lab_iscsi_fuse_find_loops (mp);
  if (loops[0] != NULL)
    candidate = loops[0];
  else if (storage_block_device_exists (s->by_path))
    candidate = s->by_path;
  if (candidate != NULL && storage_device_is_ours (ctx, s, candidate, NULL))
    s->lost_device = g_strdup (candidate);
  return s->lost_device;
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
      storage_add_line (l, ctx, lab_iscsi_argv_losetup_detach (loop != NULL ? loop : "$DEV"));
      g_ptr_array_add (l, g_strdup_printf ("kill -TERM \"$(cat %s.pid)\"", mp));
    }
  else if (fuse)
    {
      g_autofree char *pidfile = g_strdup_printf ("%s.pid", mp);
      g_autofree char *losetup = NULL;
      g_auto(GStrv) la = lab_iscsi_argv_losetup_attach (mp);

      storage_add_line (l, ctx, lab_iscsi_argv_fuse_export (s->portal_address, s->portal_port, s->iqn, 1,
                                                            s->host_initiator, mp,
                                                            pidfile, s->chap ? "labctl" : NULL,
                                                            s->chap ? "chap.secret" : NULL));
      losetup = lab_runner_format_argv (ctx->runner, (const char * const *) la);
      g_ptr_array_add (l, g_strdup_printf ("DEV=$(%s)", losetup));
    }
  else if (down)
    {
      storage_add_line (l, ctx, lab_iscsi_argv_logout (s->iqn, s->portal));
      storage_add_line (l, ctx, lab_iscsi_argv_delete_node (s->iqn, s->portal));
      if (s->host_initiator != NULL)
        {
          g_autofree char *iface = lab_iscsi_iface_name (s->iqn);
          storage_add_line (l, ctx, lab_iscsi_argv_iface_delete (iface));
        }
    }
  else
    {
      if (s->host_initiator != NULL)
        {
          /* the target admits by name: the host's name in labctl's iface */
          g_autofree char *iface = lab_iscsi_iface_name (s->iqn);

          storage_add_line (l, ctx, lab_iscsi_argv_iface_new (iface));
          storage_add_line (l, ctx, lab_iscsi_argv_iface_update (iface, "iface.initiatorname", s->host_initiator));
          storage_add_line (l, ctx, lab_iscsi_argv_discovery_iface (s->portal, iface));
        }
      else
        storage_add_line (l, ctx, lab_iscsi_argv_discovery (s->portal));
      if (s->chap)
        {
          g_autofree char *user = storage_chap_user (s);
          storage_add_line (l, ctx, lab_iscsi_argv_update_node (s->iqn, s->portal,
                                                                "node.session.auth.authmethod", "CHAP"));
          storage_add_line (l, ctx, lab_iscsi_argv_update_node (s->iqn, s->portal,
                                                                "node.session.auth.username", user));
          storage_add_line (l, ctx, lab_iscsi_argv_update_node (s->iqn, s->portal,
                                                                "node.session.auth.password", "******"));
        }
      storage_add_line (l, ctx, lab_iscsi_argv_login (s->iqn, s->portal));
      g_ptr_array_add (l, g_strdup_printf (_("# then wait (up to %u s) for %s"), ATTACH_TIMEOUT_MS / 1000, s->by_path));
      if (s->attach == LAB_ISCSI_ATTACH_AUTO)
        g_ptr_array_add (l, g_strdup (_("# without a kernel iSCSI initiator: qemu-storage-daemon FUSE export + losetup instead")));
    }
  return lab_lines_steal (l);
}

const LabStepInfo storage_step_attach = {
  "storage.attach", N_("Attach the iSCSI disk on this host"), TRUE,
  attach_check, attach_apply, attach_undo, attach_describe };
