/* lab-kvm-cluster.c: the cluster on kvm nodes (a recipe's [cluster]):
 * Debian's corosync and pacemaker units inside the nodes, reached over
 * ssh; fencing by the host's libvirt with the standard agents, fence_virtd
 * on the host and fence_xvm in the nodes (cluster/lab-cluster-fence-virt.c);
 * a VM guest's disk, its LV, as a resource of its own (ocf:labctl:lv,
 * activation only) that goes with the guest. Faults: power off is
 * virDomainDestroy, the course's "force off"; a link fault sets the node
 * NIC's link state live (a cut cable). */
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

/* A VM guest's disk is its LV as the node's LVM shows it: the cluster
 * activates it where the guest runs (ocf:labctl:lv, no metadata written). */
/* A VM guest's disk is its LV as the node's LVM shows it: the cluster
 * activates it where the guest runs (ocf:labctl:lv, no metadata written). */
static char *
guest_volume (LabContext *ctx, LabGuest *guest)
{
  return guest->container ? NULL : lab_kvm_guest_volume (ctx->recipe, guest);
}

const LabClusterOps lab_kvm_cluster_ops = {
  .node_command = lab_flavor_node_command,
  .describe_prefix = describe_prefix,
  .describe_cmd = describe_cmd,
  .fence_agent = "fence_xvm",
  .fence_params = fence_params,
  .guest_xml = lab_guest_xml,
  .guest_volume = guest_volume,
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

  virt = lab_virt_connect (lab_virt_default_uri (ctx->libvirt_uri), error);
  if (virt == NULL || !lab_virt_domain_lookup (virt, node->name, ctx->recipe->name, &dom, error))
    return FALSE;
  if (dom == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, _("Node %s of lab %s has no domain"), node->name,
                   ctx->recipe->name);
      return FALSE;
    }
  switch (fault)
    {
    case LAB_NODE_FAULT_POWEROFF:
      lab_kvm_ssh_close (ctx, node);
      /* the course's "force off": no shutdown, the power is cut */
      ok = virDomainDestroy (dom) == 0;
      if (!ok)
        g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot power off node %s: %s"), node->name,
                     virGetLastErrorMessage ());
      break;
    case LAB_NODE_FAULT_LINK_DOWN:
    case LAB_NODE_FAULT_LINK_UP:
      /* the node's NIC on the lab network, its link state set live by the
       * host's libvirt (a cut cable): the node keeps its address, the
       * others stop hearing it; the ssh connection labctl shares with it
       * would hang on a dead link, so it goes first */
      if (virDomainIsActive (dom) == 0)
        {
          /* a node that is off (fenced while its link was down): the cut
           * was live only, so its next start has the link of its
           * definition, up; there is no link to cut */
          ok = fault == LAB_NODE_FAULT_LINK_UP;
          if (!ok)
            g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Node %s is not running: no link to cut"),
                         node->name);
          break;
        }
      if (fault == LAB_NODE_FAULT_LINK_DOWN)
        lab_kvm_ssh_close (ctx, node);
      ok = lab_virt_domain_set_link (dom, node->mac, fault == LAB_NODE_FAULT_LINK_UP, error);
      break;
    default:
      g_assert_not_reached ();
    }
  virDomainFree (dom);
  return ok;
}
