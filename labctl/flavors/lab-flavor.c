/* lab-flavor.c: the flavor table: which row builds each recipe flavor. */
#include "config.h"

#include "lab-flavor.h"

#include <string.h>

#include "lab-error.h"
#include "lab-i18n.h"

/* Indexed by LabFlavorId. */
static const LabFlavor * const flavor_table[LAB_N_FLAVORS] = {
  [LAB_FLAVOR_PROXMOX]   = &lab_flavor_proxmox,
  [LAB_FLAVOR_KVM]       = &lab_flavor_kvm,
  [LAB_FLAVOR_CONTAINER] = &lab_flavor_container,
};

const LabFlavor *
lab_flavor_get (LabFlavorId id)
{
  g_return_val_if_fail (id < LAB_N_FLAVORS, NULL);
  return flavor_table[id];
}

const LabFlavor *
lab_flavor_for_context (LabContext *ctx)
{
  return lab_flavor_get (ctx->recipe->flavor);
}

gboolean
lab_flavor_has_guests (const LabFlavor *flavor)
{
  return flavor->add_steps[LAB_PHASE_GUESTS] != NULL && flavor->node_uri != NULL;
}

gboolean
lab_flavor_check_matters (const LabFlavor *flavor, const char *check_id)
{
  return flavor->ignored_checks == NULL || !g_strv_contains (flavor->ignored_checks, check_id);
}

gboolean
lab_flavor_guest_disk_activate (LabContext *ctx, LabGuest *guest, const char *node, gboolean active,
                                GError **error)
{
  const LabFlavor *f = lab_flavor_for_context (ctx);

  return f->guest_disk_activate == NULL || f->guest_disk_activate (ctx, guest, node, active, error);
}

gboolean
lab_flavor_require_node_libvirt (LabContext *ctx, GError **error)
{
  if (lab_flavor_for_context (ctx)->node_uri != NULL)
    return TRUE;
  g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED,
               _("Guests of lab %s: only the container flavor runs guests on the nodes' libvirt so far "
                 "(this lab's flavor is %s)"), ctx->recipe->name, lab_flavor_to_string (ctx->recipe->flavor));
  return FALSE;
}

static char *
node_uri (LabContext *ctx, const char *node, gboolean peer, GError **error)
{
  const LabFlavor *flavor = lab_flavor_for_context (ctx);
  LabFlavorNodeUriFunc func = peer ? flavor->node_peer_uri : flavor->node_uri;
  LabNode *n;

  if (!lab_flavor_require_node_libvirt (ctx, error))
    return NULL;
  n = lab_recipe_find_node (ctx->recipe, node);
  if (n == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, _("Lab %s has no node '%s'"), ctx->recipe->name, node);
      return NULL;
    }
  return func (ctx, n, error);
}

char *
lab_flavor_node_uri (LabContext *ctx, const char *node, GError **error)
{
  return node_uri (ctx, node, FALSE, error);
}

char *
lab_flavor_node_peer_uri (LabContext *ctx, const char *node, GError **error)
{
  return node_uri (ctx, node, TRUE, error);
}

char **
lab_flavor_node_command (LabContext *ctx, const char *node, const char *const *argv, GError **error)
{
  const LabFlavor *flavor = lab_flavor_for_context (ctx);
  LabNode *n;

  if (flavor->node_command == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED,
                   _("Lab %s: labctl cannot run commands on the nodes of the %s flavor yet"), ctx->recipe->name,
                   lab_flavor_to_string (ctx->recipe->flavor));
      return NULL;
    }
  n = lab_recipe_find_node (ctx->recipe, node);
  if (n == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, _("Lab %s has no node '%s'"), ctx->recipe->name, node);
      return NULL;
    }
  return flavor->node_command (ctx, n, argv, error);
}

const LabClusterOps *
lab_flavor_cluster_ops (LabContext *ctx, GError **error)
{
  const LabFlavor *flavor = lab_flavor_for_context (ctx);

  if (ctx->recipe->cluster && flavor->cluster_ops != NULL)
    return flavor->cluster_ops;
  g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED,
               _("Lab %s has no cluster: add a [cluster] section to its recipe (see recipes/README.md) and run "
                 "`labctl up`"), ctx->recipe->name);
  return NULL;
}

gboolean
lab_flavor_node_fault (LabContext *ctx, const char *node, LabNodeFault fault, GError **error)
{
  const LabFlavor *flavor = lab_flavor_for_context (ctx);
  LabNode *n = lab_recipe_find_node (ctx->recipe, node);

  if (n == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, _("Lab %s has no node '%s'"), ctx->recipe->name, node);
      return FALSE;
    }
  if (flavor->node_fault == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED,
                   _("Lab %s: labctl cannot inject faults into the nodes of the %s flavor yet"), ctx->recipe->name,
                   lab_flavor_to_string (ctx->recipe->flavor));
      return FALSE;
    }
  return flavor->node_fault (ctx, n, fault, error);
}

void
lab_stack_guest_clear (LabStackGuest *g)
{
  g_clear_pointer (&g->name, g_free);
  g_clear_pointer (&g->kind, g_free);
  g_clear_pointer (&g->address, g_free);
  g_clear_pointer (&g->node, g_free);
  g->running = FALSE;
}

void
lab_stack_migration_clear (LabStackMigration *m)
{
  g_clear_pointer (&m->method, g_free);
  g_clear_pointer (&m->task, g_free);
  g_clear_pointer (&m->log, g_strfreev);
  memset (m, 0, sizeof *m);
}

void
lab_stack_vm_free (gpointer p)
{
  LabStackVm *vm = p;

  if (vm == NULL)
    return;
  g_free (vm->name);
  g_free (vm->node);
  g_free (vm->uuid);
  g_free (vm->vmgenid);
  g_free (vm->description);
  g_clear_pointer (&vm->macs, g_ptr_array_unref);
  g_clear_pointer (&vm->disks, g_ptr_array_unref);
  g_free (vm);
}

void
lab_stack_snapshot_free (gpointer p)
{
  LabStackSnapshot *s = p;

  if (s == NULL)
    return;
  g_free (s->name);
  g_free (s->parent);
  g_free (s);
}

void
lab_stack_task_free (gpointer p)
{
  LabStackTask *t = p;

  if (t == NULL)
    return;
  g_free (t->upid);
  g_free (t->node);
  g_free (t->type);
  g_free (t->id);
  g_free (t->status);
  g_free (t);
}

void
lab_stack_storage_free (gpointer p)
{
  LabStackStorage *s = p;

  if (s == NULL)
    return;
  g_free (s->id);
  g_free (s->type);
  g_free (s->content);
  g_free (s->detail);
  g_free (s);
}

void
lab_stack_ha_status_clear (LabStackHaStatus *st)
{
  g_clear_pointer (&st->state, g_free);
  g_clear_pointer (&st->node, g_free);
  g_clear_pointer (&st->online, g_ptr_array_unref);
  st->quorate = FALSE;
}
