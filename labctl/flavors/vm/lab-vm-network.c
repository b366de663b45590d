/* lab-vm-network.c: step nodes.network: the lab's libvirt network on the
 * host (NAT, one DHCP reservation per node and guest), marked as the lab's
 * in its <metadata>. It comes before the storage: the iSCSI portal listens
 * on its gateway address. State: virt.uri, virt.network.name,
 * virt.network.created (only a network labctl created is removed). */
#include "config.h"

#include "lab-vm.h"
#include "lab-vm-private.h"

#include <libvirt/libvirt.h>

#include "lab-i18n.h"

/* The recipe's network, with the flavor's own reservations. */
static LabVirtNetworkSpec *
network_spec (LabContext *ctx, LabVmStep *d)
{
  LabVirtNetworkSpec *spec = lab_vm_network_spec (ctx->recipe);

  if (d->shared->network_hosts_func != NULL)
    d->shared->network_hosts_func (ctx, spec);
  return spec;
}

static gboolean
network_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  LabVmStep *d = data;
  g_autoptr(LabVirtNetworkSpec) spec = network_spec (ctx, d);
  LabVirt *virt = lab_vm_get_virt (d->shared, error);

  gboolean exists = FALSE;
  g_autoptr(virNetwork) net = NULL;

  *done = FALSE;
  if (virt == NULL || !lab_virt_network_check (virt, spec, &exists, error))
    return FALSE;
  /* done: ours and running (after a reboot it may be defined but down) */
  net = exists ? virNetworkLookupByName (lab_virt_get_connect (virt), spec->name) : NULL;
  if (net != NULL)
    *done = virNetworkIsActive (net) == 1;
  return TRUE;
}

static gboolean
network_apply (LabContext *ctx, gpointer data, GError **error)
{
  LabVmStep *d = data;
  g_autoptr(LabVirtNetworkSpec) spec = network_spec (ctx, d);
  LabVirt *virt = lab_vm_get_virt (d->shared, error);
  gboolean created = FALSE;

  if (virt == NULL || !lab_virt_network_ensure (virt, spec, &created, error))
    return FALSE;
  lab_state_set_string (ctx->state, "virt.uri", lab_virt_get_uri (virt));
  lab_state_set_string (ctx->state, "virt.network.name", spec->name);
  if (created)
    lab_state_set_bool (ctx->state, "virt.network.created", TRUE);
  return TRUE;
}

static gboolean
network_undo (LabContext *ctx, gpointer data, GError **error)
{
  LabVmStep *d = data;
  const char *name = lab_state_get_string (ctx->state, "virt.network.name");
  LabVirt *virt;

  /* only a network this lab created (state) and marked (metadata) goes */
  if (name != NULL && lab_state_get_bool (ctx->state, "virt.network.created", FALSE))
    {
      virt = lab_vm_get_virt (d->shared, error);
      if (virt == NULL || !lab_virt_network_remove (virt, name, ctx->recipe->name, error))
        return FALSE;
    }
  /* the records go in every case (this is the lab's first step on
   * libvirt, undone last): a record left behind kept the state file, and
   * with it the lab's directory, after a complete down */
  lab_state_remove_prefix (ctx->state, "virt.network.");
  lab_state_remove (ctx->state, "virt.uri");
  return TRUE;
}

static char **
network_describe (LabContext *ctx, gpointer data, gboolean down)
{
  LabVmStep *d = data;
  g_autoptr(LabVirtNetworkSpec) spec = network_spec (ctx, d);
  const char *uri = lab_vm_uri (ctx);

  if (down)
    {
      char **v = g_new0 (char *, 3);
      v[0] = g_strdup_printf ("virsh -c %s net-destroy %s", uri, spec->name);
      v[1] = g_strdup_printf ("virsh -c %s net-undefine %s", uri, spec->name);
      return v;
    }
  return lab_virt_network_describe (spec, uri);
}

/* Not root: qemu:///system is open to the libvirt group, and a refused
 * connection says so (LAB_ERROR_PERMISSION). */
static const LabStepInfo network_step = {
  "nodes.network", N_("Create the lab network %s"), FALSE,
  network_check, network_apply, network_undo, network_describe,
};

void
lab_vm_add_network_steps (LabPlan *plan, LabContext *ctx)
{
  lab_plan_add_step (plan, &network_step, NULL, ctx->recipe->net_name,
                     lab_vm_step_new (lab_vm_shared (plan, ctx), NULL), lab_vm_step_free);
}
