/* lab-pve.h: the Proxmox VE flavor's API side, as LabPlan steps.
 *
 * The nodes are installed by the flavor's install steps, which record
 * per node in the state: nodes.<node>.pve.api ("https://<address>:8006"),
 * nodes.<node>.pve.fingerprint (SHA-256 of the node certificate's DER,
 * "AA:BB:..."), and the secret nodes.<node>.pve.root_password. Everything
 * here goes through Proxmox's REST API with that address, pin and
 * password (lab-pve-client.h); --dry-run shows each call as the pvesh,
 * pvecm, pvesm, qm or pct command that does the same on the node.
 *
 * Steps (ids key the state; files beside this header):
 *   configure  pve.api:<node>          the API answers, pinned, root@pam logs in   lab-pve-cluster.c
 *   cluster    pve.cluster.create      POST /cluster/config on the first node      lab-pve-cluster.c
 *              pve.cluster.join:<node> POST /cluster/config/join on each other one lab-pve-cluster.c
 *              pve.cluster.quorum      all nodes online, quorate                   lab-pve-cluster.c
 *              pve.storage.iscsi       the lab's target as iSCSI storage           lab-pve-storage.c
 *              pve.storage.lvm         shared LVM on the lab's VG                  lab-pve-storage.c
 *   guests     pve.template            a busybox CT template, built and uploaded   lab-pve-guests.c
 *              pve.guest.vm            a small VM on the shared LVM, started       lab-pve-guests.c
 *              pve.guest.ct            a container from the template, started      lab-pve-guests.c
 *
 * The three functions have the flavor table's LabFlavorAddStepsFunc
 * signature: the proxmox row puts them in add_steps[configure], [cluster]
 * and [guests].
 */
#pragma once

#include "lab-plan.h"

G_BEGIN_DECLS

void lab_pve_add_configure_steps (LabPlan *plan, LabContext *ctx);
void lab_pve_add_cluster_steps   (LabPlan *plan, LabContext *ctx);
void lab_pve_add_guest_steps     (LabPlan *plan, LabContext *ctx);

G_END_DECLS
