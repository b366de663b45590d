/* lab-proxmox-flavor.c: the proxmox flavor's row in the flavor table:
 * Proxmox VE nodes as libvirt VMs on their LVs (the vm flavor's network
 * and node domains) that boot the prepared ISO with their answer image
 * and install unattended (nodes.install follows them until their API
 * answers). Part 2 (the Proxmox API: cluster, storage,
 * guests) has its steps in the configure, cluster and guests phases. */
#include "config.h"

#include "lab-flavor.h"
#include "lab-proxmox.h"
#include "lab-pve.h"
#include "lab-vm.h"

/* The reset takes every node back to its fresh install: all that the
 * API phases made (pve.*: logins, cluster, storage, uploads, guests) is
 * gone with it, and done again through the API. */
static const char * const proxmox_reset_undoes[] = { "pve.", NULL };

const LabFlavor lab_flavor_proxmox = {
  .name = "proxmox",
  .add_steps = {
    [LAB_PHASE_NETWORK] = lab_proxmox_add_network_steps,
    [LAB_PHASE_NODES] = lab_proxmox_add_node_steps,
    [LAB_PHASE_INSTALL] = lab_proxmox_add_install_steps,
    /* through the Proxmox API (lab-pve*.c), with the URL, pin and password
     * the install recorded */
    [LAB_PHASE_CONFIGURE] = lab_pve_add_configure_steps,
    [LAB_PHASE_CLUSTER] = lab_pve_add_cluster_steps,
    [LAB_PHASE_GUESTS] = lab_pve_add_guest_steps,
  },
  .reset = lab_proxmox_reset,
  .reset_undoes = proxmox_reset_undoes,
  /* experiments through the Proxmox API (lab-pve-experiment.c); a node
   * forced off through the host's libvirt */
  .stack = &lab_pve_stack_ops,
  .node_fault = lab_pve_node_fault,
};
