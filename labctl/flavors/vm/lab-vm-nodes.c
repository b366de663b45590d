/* lab-vm-nodes.c: steps nodes.define:<node> (the node's domain, on its LV,
 * with the install ISO when there is one) and nodes.start (all nodes
 * started in parallel; libvirt's events tell when each one runs).
 * State: virt.node.<node>.domain. */
#include "config.h"

#include "lab-vm.h"
#include "lab-vm-private.h"

#include <libvirt/libvirt.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-paths.h"

/* ---- define step ------------------------------------------------------- */

static gboolean
define_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  LabVmStep *d = data;
  LabVirt *virt = lab_vm_get_virt (d->shared, error);
  g_autoptr(virDomain) dom = NULL;

  if (virt == NULL || !lab_virt_domain_lookup (virt, d->node->name, ctx->recipe->name, &dom, error))
    return FALSE;
  *done = dom != NULL;
  return TRUE;
}

static gboolean
define_apply (LabContext *ctx, gpointer data, GError **error)
{
  LabVmStep *d = data;
  LabVirt *virt = lab_vm_get_virt (d->shared, error);
  g_autoptr(LabVirtDomainSpec) spec = NULL;
  g_autofree char *key = NULL;
  g_autofree char *disk = NULL;
  const LabOsinfoProfile *p;
  g_autoptr(GPtrArray) warnings = NULL;

  if (virt == NULL)
    return FALSE;
  disk = g_build_filename (ctx->sysroot != NULL ? ctx->sysroot : "/", "dev", ctx->recipe->vg_name,
                           d->node->lv_name, NULL);
  if (d->shared->node_spec_func == NULL && !g_file_test (disk, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("The disk of node \"%s\", logical volume %s, does not exist; create the storage first "
                     "('labctl up' runs the storage steps before the nodes)"), d->node->name, disk);
      return FALSE;
    }
  spec = lab_vm_spec_for_node (d->shared, d->node, TRUE, error);
  if (spec == NULL)
    return FALSE;
  p = d->shared->profile;
  warnings = lab_osinfo_check_resources (p, d->node->vcpus, d->node->memory_mib, d->node->disk_bytes);
  for (guint i = 0; i < warnings->len; i++)
    lab_progress_info (ctx->progress, _("Warning: node %s: %s"), d->node->name,
                       (const char *) g_ptr_array_index (warnings, i));
  if (!lab_virt_domain_define (virt, spec, error))
    return FALSE;
  key = g_strdup_printf ("virt.node.%s.domain", d->node->name);
  lab_state_set_string (ctx->state, key, d->node->name);
  return TRUE;
}

static gboolean
define_undo (LabContext *ctx, gpointer data, GError **error)
{
  LabVmStep *d = data;
  g_autofree char *key = g_strdup_printf ("virt.node.%s.domain", d->node->name);
  LabVirt *virt;

  if (!lab_state_has (ctx->state, key))
    {
      /* not recorded (a state lost, `down` sweeping): only a domain that
       * carries this lab's mark goes; one without it stays, unsaid */
      g_autoptr(virDomain) dom = NULL;
      g_autoptr(GError) local_error = NULL;

      if (lab_runner_get_mode (ctx->runner) != LAB_RUNNER_MODE_REAL)
        return TRUE;
      virt = lab_vm_get_virt (d->shared, &local_error);
      if (virt == NULL || !lab_virt_domain_lookup (virt, d->node->name, ctx->recipe->name, &dom, &local_error)
          || dom == NULL)
        return TRUE;
    }
  else
    virt = lab_vm_get_virt (d->shared, error);
  if (virt == NULL
      || !lab_virt_domain_stop (virt, d->node->name, ctx->recipe->name, LAB_VM_STOP_TIMEOUT_MS, ctx->cancellable, error)
      || !lab_virt_domain_undefine (virt, d->node->name, ctx->recipe->name, error))
    return FALSE;
  lab_state_remove (ctx->state, key);
  return TRUE;
}

static char **
define_describe (LabContext *ctx, gpointer data, gboolean down)
{
  LabVmStep *d = data;
  g_autoptr(LabVirtDomainSpec) spec = NULL;
  const char *uri = lab_vm_uri (ctx);

  if (down)
    {
      GStrvBuilder *b = g_strv_builder_new ();
      g_autofree char *l1 = g_strdup_printf ("virsh -c %s shutdown %s  # then, after 60 s: virsh -c %s destroy %s",
                                             uri, d->node->name, uri, d->node->name);
      g_autofree char *l2 = g_strdup_printf ("virsh -c %s undefine %s --snapshots-metadata --nvram",
                                             uri, d->node->name);
      char **v;
      g_strv_builder_add (b, l1);
      g_strv_builder_add (b, l2);
      v = g_strv_builder_end (b);
      g_strv_builder_unref (b);
      return v;
    }
  spec = lab_vm_spec_for_node (d->shared, d->node, FALSE, NULL);
  {
    g_autofree char *overlay = lab_paths_data_file ("iso-cache", "osinfo", NULL);
    return lab_virt_domain_describe (spec, uri, overlay);
  }
}

/* ---- start step -------------------------------------------------------- */

static GPtrArray *
all_specs (LabVmShared *s, gboolean strict, GError **error)
{
  g_autoptr(GPtrArray) specs = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_virt_domain_spec_free);
  LabRecipe *r = s->ctx->recipe;

  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabVirtDomainSpec *spec = lab_vm_spec_for_node (s, g_ptr_array_index (r->nodes, i), strict, error);
      if (spec == NULL)
        return NULL;
      g_ptr_array_add (specs, spec);
    }
  return g_steal_pointer (&specs);
}

static gboolean
start_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  LabVmStep *d = data;
  LabVirt *virt = lab_vm_get_virt (d->shared, error);
  LabRecipe *r = ctx->recipe;
  guint64 needed = 0, free_mib = 0;

  if (virt == NULL)
    return FALSE;
  *done = TRUE;
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *node = g_ptr_array_index (r->nodes, i);
      g_autoptr(virDomain) dom = NULL;
      int state = VIR_DOMAIN_NOSTATE, reason;

      if (!lab_virt_domain_lookup (virt, node->name, r->name, &dom, error))
        return FALSE;
      if (dom != NULL)
        virDomainGetState (dom, &state, &reason, 0);
      if (state != VIR_DOMAIN_RUNNING)
        {
          *done = FALSE;
          needed += node->memory_mib;
        }
    }
  if (needed > 0 && lab_virt_free_memory_mib (virt, &free_mib, NULL) && free_mib < needed)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NO_SPACE,
                   _("Not enough free memory for the nodes: they need %llu MiB, the host has %llu MiB free; "
                     "close programs or lower [nodes] memory in the recipe"),
                   (unsigned long long) needed, (unsigned long long) free_mib);
      return FALSE;
    }
  return TRUE;
}

/* Every node started (up) or shut down (down), in parallel. */
static gboolean
run_all (LabContext *ctx, LabVmStep *d, LabVirtOps op, guint timeout_ms, GError **error)
{
  LabVirt *virt = lab_vm_get_virt (d->shared, error);
  g_autoptr(GPtrArray) specs = NULL;

  if (virt == NULL)
    return FALSE;
  specs = all_specs (d->shared, FALSE, error);
  return specs != NULL && lab_virt_domains_run (virt, specs, op, timeout_ms, ctx->cancellable, error);
}

static gboolean
start_apply (LabContext *ctx, gpointer data, GError **error)
{
  return run_all (ctx, data, LAB_VIRT_OP_START, LAB_VM_START_TIMEOUT_MS, error);
}

static gboolean
start_undo (LabContext *ctx, gpointer data, GError **error)
{
  return run_all (ctx, data, LAB_VIRT_OP_STOP, LAB_VM_STOP_TIMEOUT_MS, error);
}

static char **
start_describe (LabContext *ctx, gpointer data, gboolean down)
{
  GStrvBuilder *b = g_strv_builder_new ();
  const char *uri = lab_vm_uri (ctx);
  char **v;

  for (guint i = 0; i < ctx->recipe->nodes->len; i++)
    {
      LabNode *node = g_ptr_array_index (ctx->recipe->nodes, i);
      g_autofree char *line = g_strdup_printf ("virsh -c %s %s %s", uri, down ? "shutdown" : "start", node->name);
      g_strv_builder_add (b, line);
    }
  v = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return v;
}

/* Not root: qemu:///system is open to the libvirt group, and a refused
 * connection says so (LAB_ERROR_PERMISSION). */
static const LabStepInfo define_step = {
  "nodes.define", N_("Define node %s"), FALSE,
  define_check, define_apply, define_undo, define_describe,
};
static const LabStepInfo start_step = {
  "nodes.start", N_("Start the nodes"), FALSE,
  start_check, start_apply, start_undo, start_describe,
};

void
lab_vm_add_node_steps (LabPlan *plan, LabContext *ctx)
{
  LabVmShared *shared = lab_vm_shared (plan, ctx);

  for (guint i = 0; i < ctx->recipe->nodes->len; i++)
    {
      LabNode *node = g_ptr_array_index (ctx->recipe->nodes, i);
      lab_plan_add_step (plan, &define_step, node->name, node->name,
                         lab_vm_step_new (shared, node), lab_vm_step_free);
    }
  lab_plan_add_step (plan, &start_step, NULL, NULL, lab_vm_step_new (shared, NULL), lab_vm_step_free);
}
