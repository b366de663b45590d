/* lab-kvm-cluster.c: the cluster on kvm nodes (a recipe's [cluster]):
 * Debian's corosync and pacemaker units inside the nodes, reached over
 * ssh; fencing by the host's libvirt with the standard agents, fence_virtd
 * on the host and fence_xvm in the nodes (cluster/lab-cluster-fence-virt.c);
 * a power-off fault is virDomainDestroy, the course's "force off". */
#include "config.h"

#include "lab-kvm.h"
#include "lab-kvm-private.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "lab-cluster.h"
#include "lab-error.h"
#include "lab-flavor.h"
#include "lab-guest.h"
#include "lab-i18n.h"
#include "lab-virt.h"

static char *
describe_cmd (LabContext *ctx, const char *node, const char *const *argv)
{
  LabNode *n = lab_recipe_find_node (ctx->recipe, node);

  g_return_val_if_fail (n != NULL, NULL);
  return lab_kvm_ssh_describe (ctx, n, argv);
}

static char *
describe_prefix (LabContext *ctx, const char *node)
{
  const char *none[] = { NULL };

  /* "ssh -F <config> -T <node> --" */
  return describe_cmd (ctx, node, none);
}

static char **
fence_params (LabContext *ctx)
{
  return lab_fence_xvm_params (ctx->recipe, LAB_FENCE_XVM_PORT);
}

const LabClusterOps lab_kvm_cluster_ops = {
  .node_command = lab_flavor_node_command,
  .describe_prefix = describe_prefix,
  .describe_cmd = describe_cmd,
  .fence_agent = "fence_xvm",
  .fence_params = fence_params,
  .guest_xml = lab_guest_xml,
  .node_systemd = TRUE,
};

void
lab_kvm_add_cluster_steps (LabPlan *plan, LabContext *ctx)
{
  if (!ctx->recipe->cluster)
    return;
  lab_cluster_add_fence_virt_steps (plan, ctx, &lab_kvm_cluster_ops);
  lab_cluster_add_steps (plan, ctx, &lab_kvm_cluster_ops);
}

gboolean
lab_kvm_node_fault (LabContext *ctx, LabNode *node, LabNodeFault fault, GError **error)
{
  g_autoptr(LabVirt) virt = NULL;
  virDomainPtr dom = NULL;
  gboolean ok;

  if (fault != LAB_NODE_FAULT_POWEROFF)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED,
                   _("Lab %s: labctl cannot cut the link of a kvm node yet; use --mode poweroff or crash"),
                   ctx->recipe->name);
      return FALSE;
    }
  virt = lab_virt_connect (lab_virt_default_uri (ctx->libvirt_uri), error);
  if (virt == NULL || !lab_virt_domain_lookup (virt, node->name, ctx->recipe->name, &dom, error))
    return FALSE;
  if (dom == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, _("Node %s of lab %s has no domain"), node->name,
                   ctx->recipe->name);
      return FALSE;
    }
  lab_kvm_ssh_close (ctx, node);
  /* the course's "force off": no shutdown, the power is cut */
  ok = virDomainDestroy (dom) == 0;
  if (!ok)
    g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot power off node %s: %s"), node->name,
                 virGetLastErrorMessage ());
  virDomainFree (dom);
  return ok;
}
