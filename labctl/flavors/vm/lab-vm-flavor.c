/* lab-vm-flavor.c: the vm flavor's row in the flavor table: libvirt VMs on
 * the host, no OS installed by labctl (yet), no libvirt of labctl's inside
 * them; reset reverts every node to its snapshot "clean". */
#include "config.h"

#include "lab-flavor.h"
#include "lab-vm.h"

#include "lab-error.h"
#include "lab-i18n.h"

/* Every node back to its snapshot "clean" (taken after the install, e.g.
 * `labctl nodes snapshot NODE clean`). */
gboolean
lab_vm_reset (LabContext *ctx, GError **error)
{
  LabRecipe *r = ctx->recipe;
  g_autoptr(LabVirt) virt = lab_virt_connect (lab_virt_default_uri (ctx->libvirt_uri), error);

  if (virt == NULL)
    return FALSE;
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *n = g_ptr_array_index (r->nodes, i);
      g_auto(GStrv) names = lab_virt_snapshot_list (virt, n->name, r->name, error);
      gint64 t0 = g_get_monotonic_time ();

      if (names == NULL)
        return FALSE;
      if (!g_strv_contains ((const char * const *) names, LAB_VIRT_SNAPSHOT_CLEAN))
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                       _("Node %s has no snapshot \"%s\" to go back to; take it once the node is installed: "
                         "labctl nodes snapshot %s %s"), n->name, LAB_VIRT_SNAPSHOT_CLEAN, n->name,
                       LAB_VIRT_SNAPSHOT_CLEAN);
          return FALSE;
        }
      if (!lab_virt_snapshot_revert (virt, n->name, r->name, LAB_VIRT_SNAPSHOT_CLEAN, error))
        return FALSE;
      lab_progress_info (ctx->progress, _("node %s back to its clean snapshot in %.2f s"), n->name,
                         (g_get_monotonic_time () - t0) / 1e6);
    }
  return TRUE;
}

const LabFlavor lab_flavor_vm = {
  .name = "vm",
  .add_steps = {
    [LAB_PHASE_NETWORK] = lab_vm_add_network_steps,
    [LAB_PHASE_NODES] = lab_vm_add_node_steps,
  },
  .reset = lab_vm_reset,
};
