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

#include "lab-flavor.h"
#include "lab-plan.h"
#include "lab-virt-xml.h"

G_BEGIN_DECLS

void lab_pve_add_configure_steps (LabPlan *plan, LabContext *ctx);
void lab_pve_add_cluster_steps   (LabPlan *plan, LabContext *ctx);
void lab_pve_add_guest_steps     (LabPlan *plan, LabContext *ctx);
/* The lab network's DHCP reservation for the VM (a LabVmNetworkHostsFunc). */
void lab_pve_network_hosts       (LabContext *ctx, LabVirtNetworkSpec *spec);

/* The experiments through the API (lab-pve-experiment.c), for the row's
 * `stack` and `node_fault`: the VM (lab-vm, 100) migrates online (`qm
 * migrate --online`), the container (lab-ct, 101) by restart (`pct
 * migrate --restart`), each task followed by UPID with its log read;
 * HA through /cluster/ha/resources and /cluster/ha/status/current; the
 * fault is a power-off of the node's domain by the host's libvirt
 * (virDomainDestroy on LabContext.libvirt_uri). */
extern const LabStackOps lab_pve_stack_ops;
gboolean lab_pve_node_fault       (LabContext   *ctx,
                                   LabNode      *node,
                                   LabNodeFault  fault,
                                   GError      **error);
/* Pure: the figures of a migration task's log (-1 when absent): the
 * downtime of "average migration speed: ... - downtime N ms" (online
 * VM migration only) and the duration of "migration finished
 * successfully (duration HH:MM:SS)". */
void     lab_pve_migration_figures (const char *const *log,
                                    gint64            *downtime_ms,
                                    gint64            *duration_ms);

G_END_DECLS
