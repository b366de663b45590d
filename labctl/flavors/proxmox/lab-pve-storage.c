/* lab-pve-storage.c: steps pve.storage.iscsi and pve.storage.lvm: the
 * lab's iSCSI target as Proxmox storage (content none: guests do not use
 * the LUN directly, as the Proxmox storage documentation advises for LVM
 * on iSCSI) and a shared LVM storage on the lab's existing VG (content
 * images,rootdir). The VG also holds the nodes' own LVs (lv_<node>):
 * labctl gives no `base`, so Proxmox never runs pvcreate/vgcreate on the
 * LUN, and it only ever creates and removes vm-<vmid>-disk-<n> volumes.
 * Thick LVM has no templates, linked clones or (before 9.x volume chains)
 * snapshots: those use local-lvm on each node.
 * pve.storage.import: a directory storage (content import) that holds the
 * VM's disk image until the VM's create imports it onto the shared LVM.
 * labctl adds its own rather than adding `import` to the content of the
 * nodes' `local`: that storage is the install's, and down would have to
 * know what its content was before. Each node makes the directory when
 * the storage is added (create-base-path, the default).
 *
 * State: pve.storage.<id> = its type, set as the storage is created;
 * undo removes only a storage the state names. */
#include "config.h"

#include "lab-pve-private.h"

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-util.h"

typedef struct {
  const char *id;
  const char *type;
} StorageSpec;

static const StorageSpec iscsi_spec = { LAB_PVE_ISCSI_STORAGE, "iscsi" };
static const StorageSpec lvm_spec = { LAB_PVE_LVM_STORAGE, "lvm" };
static const StorageSpec import_spec = { LAB_PVE_IMPORT_STORAGE, "dir" };

typedef struct {
  LabPveShared      *shared;
  const StorageSpec *spec;
} StorageStep;

static char *
portal (LabContext *ctx)
{
  LabRecipe *r = ctx->recipe;

  if (r->portal_port == LAB_DEFAULT_ISCSI_PORT)
    return g_strdup (r->portal_address);
  return g_strdup_printf ("%s:%u", r->portal_address, r->portal_port);
}

static LabPveCall *
add_call (LabContext *ctx, const StorageSpec *spec)
{
  LabPveCall *call = lab_pve_call_new ("POST", "/storage", "pvesm", "add", NULL);

  lab_pve_call_add (call, "type", spec->type, LAB_PVE_ARG_POSITIONAL);
  lab_pve_call_add (call, "storage", spec->id, LAB_PVE_ARG_POSITIONAL);
  if (spec == &iscsi_spec)
    {
      g_autofree char *p = portal (ctx);
      lab_pve_call_add (call, "portal", p, LAB_PVE_ARG_OPTION);
      lab_pve_call_add (call, "target", ctx->recipe->iqn, LAB_PVE_ARG_OPTION);
      lab_pve_call_add (call, "content", "none", LAB_PVE_ARG_OPTION);
    }
  else if (spec == &import_spec)
    {
      lab_pve_call_add (call, "path", LAB_PVE_IMPORT_PATH, LAB_PVE_ARG_OPTION);
      lab_pve_call_add (call, "content", "import", LAB_PVE_ARG_OPTION);
    }
  else
    {
      lab_pve_call_add (call, "vgname", ctx->recipe->vg_name, LAB_PVE_ARG_OPTION);
      lab_pve_call_add (call, "shared", "1", LAB_PVE_ARG_OPTION);
      lab_pve_call_add (call, "content", "images,rootdir", LAB_PVE_ARG_OPTION);
    }
  return call;
}

static LabPveCall *
storage_call (const char *method, const StorageSpec *spec)
{
  g_autofree char *path = g_strdup_printf ("/storage/%s", spec->id);

  if (g_str_equal (method, "DELETE"))
    {
      LabPveCall *call = lab_pve_call_new (method, path, "pvesm", "remove", spec->id, NULL);
      return call;
    }
  return lab_pve_call_new (method, path, NULL, NULL);
}

static char *
state_key (const StorageSpec *spec)
{
  return g_strdup_printf ("pve.storage.%s", spec->id);
}

/* The storage as storage.cfg has it, or NULL (*exists FALSE). */
static JsonNode *
get_storage (LabPveClient *c, const StorageSpec *spec, gboolean *exists, GError **error)
{
  g_autoptr(LabPveCall) list = lab_pve_call_new ("GET", "/storage", NULL, NULL);
  g_autoptr(JsonNode) all = lab_pve_call_run (c, list, error);
  JsonArray *a;

  *exists = FALSE;
  if (all == NULL)
    return NULL;
  a = JSON_NODE_HOLDS_ARRAY (all) ? json_node_get_array (all) : NULL;
  for (guint i = 0; a != NULL && i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);
      if (o != NULL && g_strcmp0 (json_object_get_string_member_with_default (o, "storage", ""), spec->id) == 0)
        {
          *exists = TRUE;
          return json_node_copy (json_array_get_element (a, i));
        }
    }
  return json_node_new (JSON_NODE_NULL);
}

/* Is the existing entry the one this step makes (a resumed step whose
 * record was lost with a crash)? */
static gboolean
is_ours (LabContext *ctx, const StorageSpec *spec, JsonObject *o)
{
  const char *type = json_object_get_string_member_with_default (o, "type", "");

  if (!g_str_equal (type, spec->type))
    return FALSE;
  if (spec == &iscsi_spec)
    return g_strcmp0 (json_object_get_string_member_with_default (o, "target", ""), ctx->recipe->iqn) == 0;
  if (spec == &import_spec)
    return g_strcmp0 (json_object_get_string_member_with_default (o, "path", ""), LAB_PVE_IMPORT_PATH) == 0;
  return g_strcmp0 (json_object_get_string_member_with_default (o, "vgname", ""), ctx->recipe->vg_name) == 0;
}

static gboolean
storage_apply (LabContext *ctx, gpointer data, GError **error)
{
  StorageStep *d = data;
  LabPveClient *c = lab_pve_client_for (ctx, d->shared, lab_pve_first_node (ctx), error);
  g_autofree char *key = state_key (d->spec);
  g_autoptr(JsonNode) have = NULL;
  g_autoptr(JsonNode) added = NULL;
  g_autoptr(LabPveCall) call = NULL;
  gboolean exists;

  if (c == NULL || (have = get_storage (c, d->spec, &exists, error)) == NULL)
    return FALSE;
  if (exists && !is_ours (ctx, d->spec, json_node_get_object (have)))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                   _("The Proxmox cluster has a storage \"%s\" that labctl did not make (not %s on the lab's %s); "
                     "remove it on the node (pvesm remove %s) or reinstall the nodes"),
                   d->spec->id, d->spec->type,
                   d->spec == &iscsi_spec    ? ctx->recipe->iqn
                   : d->spec == &import_spec ? LAB_PVE_IMPORT_PATH
                                             : ctx->recipe->vg_name,
                   d->spec->id);
      return FALSE;
    }
  if (exists)
    {
      lab_state_set_string (ctx->state, key, d->spec->type);
      return TRUE;
    }
  call = add_call (ctx, d->spec);
  added = lab_pve_call_run (c, call, error);
  if (added == NULL)
    return FALSE;
  lab_state_set_string (ctx->state, key, d->spec->type);
  return TRUE;
}

static void
storage_forget (LabContext *ctx, gpointer data)
{
  StorageStep *d = data;
  g_autofree char *key = state_key (d->spec);

  lab_state_remove (ctx->state, key);
}

static gboolean
storage_undo (LabContext *ctx, gpointer data, GError **error)
{
  StorageStep *d = data;
  g_autofree char *key = state_key (d->spec);
  g_autoptr(JsonNode) have = NULL;
  g_autoptr(JsonNode) gone = NULL;
  g_autoptr(LabPveCall) call = NULL;
  LabPveClient *c;
  gboolean exists;

  if (!lab_state_has (ctx->state, key))
    return TRUE;
  c = lab_pve_client_for (ctx, d->shared, lab_pve_first_node (ctx), error);
  if (c == NULL || (have = get_storage (c, d->spec, &exists, error)) == NULL)
    return FALSE;
  if (exists && is_ours (ctx, d->spec, json_node_get_object (have)))
    {
      call = storage_call ("DELETE", d->spec);
      gone = lab_pve_call_run (c, call, error);
      if (gone == NULL)
        return FALSE;
    }
  storage_forget (ctx, data);
  return TRUE;
}

static char **
storage_describe (LabContext *ctx, gpointer data, gboolean down)
{
  StorageStep *d = data;
  GPtrArray *lines = g_ptr_array_new ();
  g_autoptr(LabPveCall) call = down ? storage_call ("DELETE", d->spec) : add_call (ctx, d->spec);

  lab_pve_call_describe (call, lab_pve_first_node (ctx), lines);
  return lab_lines_steal (lines);
}

static const LabStepInfo iscsi_step = {
  "pve.storage.iscsi", N_("Add the lab's iSCSI target as Proxmox storage %s"), FALSE, NULL, storage_apply,
  storage_undo, storage_describe, .forget = storage_forget,
};

static const LabStepInfo lvm_step = {
  "pve.storage.lvm", N_("Add shared LVM storage %s on the lab's volume group"), FALSE, NULL, storage_apply,
  storage_undo, storage_describe, .forget = storage_forget,
};

static const LabStepInfo import_step = {
  "pve.storage.import", N_("Add directory storage %s for the VM's disk image"), FALSE, NULL, storage_apply,
  storage_undo, storage_describe, .forget = storage_forget,
};

static StorageStep *
storage_step_new (LabPveShared *shared, const StorageSpec *spec)
{
  StorageStep *d = g_new0 (StorageStep, 1);

  d->shared = shared;
  d->spec = spec;
  return d;
}

void
lab_pve_add_storage_steps (LabPlan *plan, LabContext *ctx, LabPveShared *shared)
{
  lab_plan_add_step (plan, &iscsi_step, NULL, iscsi_spec.id, storage_step_new (shared, &iscsi_spec), g_free);
  lab_plan_add_step (plan, &lvm_step, NULL, lvm_spec.id, storage_step_new (shared, &lvm_spec), g_free);
  lab_plan_add_step (plan, &import_step, NULL, import_spec.id, storage_step_new (shared, &import_spec), g_free);
}
