/* lab-storage-lvm.c: steps storage.pv, storage.vg and storage.lv:NAME, LVM
 * on the attached disk (lab-lvm.h), every changing command limited to that
 * device and tagged labctl:<lab>. storage.pv makes the disk a physical
 * volume and refuses a disk with any other signature (storage.pv.device);
 * storage.vg creates the recipe's volume group, whose name must be free on
 * the whole host (storage.vg.name); storage.lv:NAME creates one logical
 * volume per node and per guest with a disk (storage.lv.NAME). Each LVM
 * query starts lvm (~50 ms), so what a run already knows is kept in
 * Storage: the LVs created in one run are read back with one `lvs`, whose
 * rows also tell vg_undo the VG's tags and PV count. undo removes only what
 * carries the lab's tag, and the PV only when no volume group is left on
 * it. */
#include "config.h"

#include "lab-storage-private.h"

#include <stdlib.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-lvm.h"
#include "lab-util.h"

/* ---- helpers --------------------------------------------------------- */

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

/* The device an undo works on: the recorded one, else the lab's disk
 * found by its names and marks (a state that was lost). */
static const char *
undo_device (LabContext *ctx, Storage *s, const char *key)
{
  const char *dev = lab_state_get_string (ctx->state, key);

  return dev != NULL ? dev : storage_lost_device (ctx, s);
}

static gboolean
device_ready (LabContext *ctx, const char *dev, GError **error)
{
  if (!storage_is_real (ctx))
    return TRUE;
  if (!storage_block_device_exists (dev))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("The lab's iSCSI disk %s is not present; run labctl storage up again to attach it"),
                   dev != NULL ? dev : "?");
      return FALSE;
    }
  return TRUE;
}

/* ---- storage.pv ------------------------------------------------------ */

static gboolean
pv_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  Storage *s = data;
  const char *dev = lab_state_get_string (ctx->state, K_ATTACH_DEVICE);
  const char *recorded = lab_state_get_string (ctx->state, K_PV);
  g_autoptr(GPtrArray) pvs = NULL;

  *done = FALSE;
  if (dev == NULL || !storage_block_device_exists (dev))
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
      /* a blank PV on the lab's own LUN: made by a run killed before it
       * recorded it (pvcreate leaves no tag; only vgcreate's VG has one) */
      if (!*done && *pv->vg_name == '\0')
        {
          if (!storage_device_is_ours (ctx, s, dev, error))
            return error == NULL || *error == NULL;
          *done = TRUE;
          lab_state_set_string (ctx->state, K_PV, dev);
        }
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
  else
    {
      gboolean ours = g_strcmp0 (lab_state_get_string (ctx->state, K_PV), dev) == 0;

      if (!ours && storage_is_real (ctx) && !(ours = storage_device_is_ours (ctx, s, dev, error))
          && error != NULL && *error != NULL)
        return FALSE;
      if (!lab_lvm_check_device (ctx->runner, dev, s->tag, ours, &is_pv, error))
        return FALSE;
    }
  s->blkid_known = FALSE;
  if (!is_pv && !storage_run_argv (ctx, lab_lvm_argv_pvcreate (dev), lab_lvm_run, error))
    return FALSE;
  lab_state_set_string (ctx->state, K_PV, dev);
  return storage_fail_point ("storage.pv", error);
}

static gboolean
pv_undo (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  const char *dev = undo_device (ctx, s, K_PV);

  if (dev != NULL && storage_block_device_exists (dev) && s->pv_orphan)
    {
      /* vg_undo removed the only VG on it a moment ago */
      if (!storage_run_argv (ctx, lab_lvm_argv_pvremove (dev), lab_lvm_run, error))
        return FALSE;
    }
  else if (dev != NULL && storage_block_device_exists (dev))
    {
      g_autoptr(GPtrArray) pvs = lab_lvm_pvs (ctx->runner, dev, error);
      if (pvs == NULL)
        return FALSE;
      /* only an orphan PV: a VG still on it is not ours to break */
      if (pvs->len == 1 && *((LabLvmPv *) g_ptr_array_index (pvs, 0))->vg_name == '\0'
          && !storage_run_argv (ctx, lab_lvm_argv_pvremove (dev), lab_lvm_run, error))
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
    storage_add_line (l, ctx, lab_lvm_argv_pvremove (dev));
  else
    {
      g_ptr_array_add (l, g_strdup (_("# refused if the disk carries any signature (blkid -p) that is not this lab's")));
      storage_add_line (l, ctx, lab_lvm_argv_blkid (dev));
      storage_add_line (l, ctx, lab_lvm_argv_pvcreate (dev));
    }
  return lab_lines_steal (l);
}

const LabStepInfo storage_step_pv = {
  "storage.pv", N_("Make the iSCSI disk an LVM physical volume"), TRUE,
  pv_check, pv_apply, pv_undo, pv_describe };

/* ---- storage.vg ------------------------------------------------------ */

static gboolean
vg_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  Storage *s = data;
  const char *dev = lab_state_get_string (ctx->state, K_ATTACH_DEVICE);
  LabLvmVg *vg;

  *done = FALSE;
  if (dev == NULL || !storage_block_device_exists (dev))
    return TRUE;
  /* on the lab's device only: a host-wide scan reads every block device,
   * and hangs on one whose backend no longer answers (apply asks the host
   * once, before it creates the VG) */
  g_clear_pointer (&s->vg_cache, g_ptr_array_unref);
  s->vg_cache = lab_lvm_vgs (ctx->runner, dev, s->vg, error);
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
  /* the name across the host's own disks, once, before the VG is made:
   * `vgcreate` on our device alone would not see it. Restricted, as every
   * LVM command is, to named devices: the host's local ones (never a
   * network disk or a FUSE export, whose I/O hangs once its server is
   * gone: lab_lvm_host_devices()), without the lab's own */
  g_clear_pointer (&s->vg_cache, g_ptr_array_unref);
  {
    g_autofree char *real = realpath (dev, NULL);
    const char *exclude[] = { dev, real, NULL };
    g_autofree char *host = lab_lvm_host_devices (ctx->sysroot, exclude);

    if (host != NULL)
      {
        all = lab_lvm_vgs (ctx->runner, host, s->vg, error);
        if (all == NULL)
          return FALSE;
      }
  }
  vg = all != NULL ? lab_lvm_find_vg (all, s->vg) : NULL;
  if (vg != NULL && !lab_lvm_has_tag (vg->tags, s->tag))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                   _("The volume group name \"%s\" is already taken on this host by a volume group "
                     "labctl did not create; set another [storage] vg in the recipe"), s->vg);
      return FALSE;
    }
  if (!storage_run_argv (ctx, lab_lvm_argv_vgcreate (dev, s->vg, s->tag), lab_lvm_run, error))
    return FALSE;
  lab_state_set_string (ctx->state, K_VG, s->vg);
  if (!storage_run_argv (ctx, lab_lvm_argv_pvchange_addtag (dev, s->tag), lab_lvm_run, error))
    return FALSE;
  if (!storage_is_real (ctx))
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
  return storage_fail_point ("storage.vg", error);
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
  if (!storage_run_argv (ctx, lab_lvm_argv_vgremove (dev, s->vg), lab_lvm_run, error))
    return FALSE;
  s->pv_orphan = pv_count == 1;
  return TRUE;
}

static gboolean
vg_undo (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  const char *dev = undo_device (ctx, s, K_ATTACH_DEVICE);

  if (dev != NULL && storage_block_device_exists (dev) && s->vg_facts && s->lv_cache != NULL)
    {
      /* the LV steps just listed (and removed) the LVs of this VG */
      if (s->vg_tagged && !vg_remove_ours (ctx, s, dev, s->lv_cache->len, s->vg_pv_count, error))
        return FALSE;
    }
  else if (dev != NULL && storage_block_device_exists (dev))
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
    storage_add_line (l, ctx, lab_lvm_argv_vgremove (dev, s->vg));
  else
    {
      storage_add_line (l, ctx, lab_lvm_argv_vgcreate (dev, s->vg, s->tag));
      storage_add_line (l, ctx, lab_lvm_argv_pvchange_addtag (dev, s->tag));
    }
  return lab_lines_steal (l);
}

const LabStepInfo storage_step_vg = {
  "storage.vg", N_("Create the volume group"), TRUE,
  vg_check, vg_apply, vg_undo, vg_describe };

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
  if (dev == NULL || !storage_block_device_exists (dev))
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
  if (!storage_run_argv (ctx, lab_lvm_argv_lvcreate (dev, s->vg, d->lv->name, d->lv->bytes, s->tag),
                         lab_lvm_run, error))
    {
      g_clear_pointer (&s->lv_cache, g_ptr_array_unref);
      return FALSE;
    }
  lab_state_set_bool (ctx->state, key, TRUE);
  if (!storage_is_real (ctx))
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
  return storage_fail_point ("storage.lv", error);
}

static gboolean
lv_undo (LabContext *ctx, gpointer data, GError **error)
{
  LvStep *d = data;
  const char *dev = undo_device (ctx, d->storage, K_ATTACH_DEVICE);
  g_autofree char *key = lv_key (d->lv);

  if (dev != NULL && storage_block_device_exists (dev))
    {
      GPtrArray *lvs = lv_list (ctx, d->storage, dev, error);
      LabLvmLv *lv;

      if (lvs == NULL)
        return FALSE;
      lv = lab_lvm_find_lv (lvs, d->lv->name);
      if (lv != NULL && lab_lvm_has_tag (lv->tags, d->storage->tag))
        {
          if (!storage_run_argv (ctx, lab_lvm_argv_lvremove (dev, d->storage->vg, d->lv->name),
                                 lab_lvm_run, error))
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
    storage_add_line (l, ctx, lab_lvm_argv_lvremove (dev, d->storage->vg, d->lv->name));
  else
    storage_add_line (l, ctx, lab_lvm_argv_lvcreate (dev, d->storage->vg, d->lv->name, d->lv->bytes,
                                                     d->storage->tag));
  return lab_lines_steal (l);
}

const LabStepInfo storage_step_lv = {
  "storage.lv", N_("Create the logical volume %s"), TRUE,
  lv_check, lv_apply, lv_undo, lv_describe };
