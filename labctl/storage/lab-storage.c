/* lab-storage.c: the storage steps of a lab as one plan (image, tgtd,
 * target, LUN, ACL, CHAP, attach, PV, VG, LVs) on top of lab-tgt,
 * lab-iscsi, lab-lvm: the Storage all the steps share, the order of the
 * steps, the lab's ACL and the helpers every step uses. The steps
 * themselves live in one file per family, named after the step id
 * (lab-storage-private.h lists them). */
#include "config.h"

#include "lab-storage-private.h"

#include <sys/stat.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-lvm.h"
#include "lab-tgt.h"
#include "lab-util.h"

/* ---- Storage: one per plan, shared by its steps ---------------------- */

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
  g_strfreev (s->acl_names);
  g_free (s->host_initiator);
  g_free (s->work_dir);
  g_ptr_array_unref (s->lvs);
  g_clear_pointer (&s->tgt_cache, g_ptr_array_unref);
  g_clear_pointer (&s->lv_cache, g_ptr_array_unref);
  g_clear_pointer (&s->vg_cache, g_ptr_array_unref);
  g_free (s->blkid_type);
  g_ptr_array_unref (s->lv_unverified);
  g_free (s->lost_device);
}

void
storage_unref (gpointer p)
{
  g_atomic_rc_box_release_full (p, storage_clear);
}

Storage *
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
  s->acl_names = lab_storage_acl_names_for_recipe (r);
  s->host_initiator = lab_storage_host_initiator (r);
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
lv_step_free (gpointer p)
{
  LvStep *d = p;
  storage_unref (d->storage);
  g_free (d);
}

/* ---- helpers --------------------------------------------------------- */

gboolean
storage_fail_point (const char *step_id, GError **error)
{
  const char *env = g_getenv ("LABCTL_FAIL_STEP");

  if (env == NULL || g_strcmp0 (env, step_id) != 0)
    return TRUE;
  g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
               _("failure injected by LABCTL_FAIL_STEP=%s (a test hook)"), step_id);
  return FALSE;
}

gboolean
storage_is_real (LabContext *ctx)
{
  return !ctx->dry_run && lab_runner_get_mode (ctx->runner) == LAB_RUNNER_MODE_REAL;
}

void
storage_add_line (GPtrArray *lines, LabContext *ctx, char **argv)
{
  g_ptr_array_add (lines, lab_runner_format_argv (ctx->runner, (const char * const *) argv));
  g_strfreev (argv);
}

gboolean
storage_run_argv (LabContext *ctx, char **argv,
                  gboolean (*runner_fn) (LabRunner *, const char * const *, GError **),
                  GError **error)
{
  g_auto(GStrv) a = argv;
  return runner_fn (ctx->runner, (const char * const *) a, error);
}

gboolean
storage_block_device_exists (const char *path)
{
  struct stat st;
  return path != NULL && stat (path, &st) == 0 && S_ISBLK (st.st_mode);
}

/* ---- the lab's ACL --------------------------------------------------- */

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

static gboolean
admits_by_name (LabRecipe *recipe)
{
  if (recipe->nodes == NULL || recipe->nodes->len == 0)
    return FALSE;
  for (guint i = 0; i < recipe->nodes->len; i++)
    if (((LabNode *) g_ptr_array_index (recipe->nodes, i))->initiator == NULL)
      return FALSE;
  return TRUE;
}

char *
lab_storage_host_initiator (LabRecipe *recipe)
{
  return admits_by_name (recipe) ? g_strdup_printf ("%s:host.labctl", recipe->iqn) : NULL;
}

char **
lab_storage_acl_names_for_recipe (LabRecipe *recipe)
{
  GPtrArray *a = g_ptr_array_new ();

  if (admits_by_name (recipe))
    {
      for (guint i = 0; i < recipe->nodes->len; i++)
        g_ptr_array_add (a, g_strdup (((LabNode *) g_ptr_array_index (recipe->nodes, i))->initiator));
      g_ptr_array_add (a, lab_storage_host_initiator (recipe));
    }
  return lab_lines_steal (a);
}

char **
lab_storage_acl_for_recipe (LabRecipe *recipe)
{
  GPtrArray *a = g_ptr_array_new ();

  if (admits_by_name (recipe))
    return lab_lines_steal (a);
  if (recipe->portal_address != NULL && !address_in_subnet (recipe->portal_address, recipe->subnet))
    g_ptr_array_add (a, g_strdup (recipe->portal_address));
  if (recipe->subnet != NULL)
    g_ptr_array_add (a, g_strdup (recipe->subnet));
  return lab_lines_steal (a);
}


/* ---- the plan -------------------------------------------------------- */

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
      add (plan, &storage_step_image, s);
      add (plan, &storage_step_tgtd, s);
      add (plan, &storage_step_target, s);
      add (plan, &storage_step_lun, s);
      add (plan, &storage_step_acl, s);
      if (s->chap)
        add (plan, &storage_step_chap, s);
    }
  if (parts & LAB_STORAGE_PART_ATTACH)
    add (plan, &storage_step_attach, s);
  if (parts & LAB_STORAGE_PART_LVM)
    {
      add (plan, &storage_step_pv, s);
      add (plan, &storage_step_vg, s);
      for (guint i = 0; i < s->lvs->len; i++)
        {
          LvStep *d = g_new0 (LvStep, 1);
          d->storage = g_atomic_rc_box_acquire (s);
          d->lv = g_ptr_array_index (s->lvs, i);
          lab_plan_add_step (plan, &storage_step_lv, d->lv->name, d->lv->name, d, lv_step_free);
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

void
lab_storage_find_traces (LabContext *ctx, GPtrArray *found)
{
  g_autoptr(GError) error = NULL;
  Storage *s = storage_new (ctx, &error);
  g_autofree char *name = NULL;
  g_autofree char *mp = NULL;
  GPid tgtd;

  if (s == NULL)
    return;
  if (g_file_test (s->image, G_FILE_TEST_EXISTS) && storage_image_is_ours (ctx, s))
    g_ptr_array_add (found, g_strdup_printf (_("the backing file %s"), s->image));
  tgtd = lab_tgt_find_daemon (s->control_port, s->portal_address, s->portal_port);
  if (tgtd > 0)
    g_ptr_array_add (found, g_strdup_printf (_("tgtd (pid %d, control port %u)"), (int) tgtd, s->control_port));
  name = g_strdup_printf ("%s-lun1.fuse", s->lab);
  mp = g_build_filename (s->work_dir, name, NULL);
  {
    g_autoptr(GPtrArray) exports = lab_iscsi_fuse_find_exports (mp);
    g_auto(GStrv) loops = lab_iscsi_fuse_find_loops (mp);

    for (guint i = 0; i < exports->len; i++)
      g_ptr_array_add (found, g_strdup_printf (_("qemu-storage-daemon (pid %d) exporting %s"),
                                               GPOINTER_TO_INT (g_ptr_array_index (exports, i)), mp));
    for (guint i = 0; loops[i] != NULL; i++)
      g_ptr_array_add (found, g_strdup_printf (_("the loop device %s"), loops[i]));
  }
  storage_unref (s);
}
