/* lab-vm.h: the vm flavor: each node is a libvirt VM on the host's libvirt,
 * its disk the node's LV on the shared storage, booting its install media.
 * Today the kvm and proxmox recipes use this flavor's row (no OS is
 * installed yet). Its steps:
 *
 *   nodes.network        (network phase) the lab network: NAT, a DHCP
 *                        reservation per node (lab-vm-network.c)
 *   nodes.define:<node>  (nodes phase) one per node: the node's domain
 *   nodes.start          (nodes phase) all nodes started in parallel; waits
 *                        (libvirt events) until every one runs
 *                        (both lab-vm-nodes.c)
 *
 * `labctl up` (through the flavor table) and `labctl nodes` share them.
 * Ownership and refusal of foreign objects are lab-virt's (see lab-virt.h).
 */
#pragma once

#include <stdio.h>

#include "lab-osinfo.h"
#include "lab-plan.h"
#include "lab-recipe.h"
#include "lab-virt.h"

G_BEGIN_DECLS

/* Adds the network step (lab_vm_add_network_steps) and the node steps
 * (lab_vm_add_node_steps) for ctx->recipe's nodes, in the plan's current
 * phase (`labctl nodes`); the flavor table adds them phase by phase. */
void                lab_vm_add_steps         (LabPlan    *plan,
                                              LabContext *ctx);
void                lab_vm_add_network_steps (LabPlan    *plan,
                                              LabContext *ctx);
void                lab_vm_add_node_steps    (LabPlan    *plan,
                                              LabContext *ctx);

/* A flavor built on vm nodes (kvm: the same domains, booting an installed
 * image) adjusts each node's domain spec here: its boot and its disk.
 * describe: for --dry-run and for the steps that only need the domain's
 * name (nothing of the state may be read; an error is ignored). FALSE with
 * an error stops the node's definition. */
typedef gboolean  (*LabVmNodeSpecFunc)       (LabContext             *ctx,
                                              const LabNode          *node,
                                              LabVirtDomainSpec      *spec,
                                              gboolean                describe,
                                              GError                **error);
/* Sets it for the vm steps of plan (call before adding them). The node
 * steps then trust the function for the disk (no /dev/<vg>/<lv> check). */
void                lab_vm_set_node_spec_func (LabPlan               *plan,
                                              LabContext             *ctx,
                                              LabVmNodeSpecFunc       func);

/* A flavor whose nodes run guests of their own on the lab network (proxmox:
 * its VM) adds their DHCP reservations to the lab network here. */
typedef void      (*LabVmNetworkHostsFunc)   (LabContext             *ctx,
                                              LabVirtNetworkSpec     *spec);
/* Sets it for the network step of plan (call before adding it). */
void                lab_vm_set_network_hosts_func (LabPlan           *plan,
                                              LabContext             *ctx,
                                              LabVmNetworkHostsFunc   func);

/* The lab network of a recipe. */
LabVirtNetworkSpec *lab_vm_network_spec      (LabRecipe              *recipe);
/* A node's domain spec. domain_type "kvm" or "qemu" (then a
 * host-passthrough CPU becomes "maximum": TCG has no host CPU to pass
 * through). profile may be NULL (no osinfo data: conservative devices). */
LabVirtDomainSpec  *lab_vm_domain_spec       (LabRecipe              *recipe,
                                              const LabNode          *node,
                                              const LabOsinfoProfile *profile,
                                              const char             *domain_type,
                                              const char             *iso_path);
/* The node's disk: /dev/<vg>/<lv>. */
char               *lab_vm_disk_path         (LabRecipe              *recipe,
                                              const LabNode          *node);
/* The install ISO: recipe install-media when it is a path; otherwise the
 * ISO cache's <name>.iso ($LABCTL_ISO_DIR, else <state dir>/../isos). NULL
 * when the recipe names no media. */
char               *lab_vm_iso_path          (LabRecipe              *recipe);

/* `reset`: every node back to its snapshot "clean" (LAB_ERROR_NOT_FOUND
 * naming the command that takes it when a node has none). */
gboolean            lab_vm_reset             (LabContext             *ctx,
                                              GError                **error);

/* What a flavor built on the vm nodes changes in their media (the proxmox
 * flavor: the prepared ISO and each node's answer image). Either member
 * may be NULL; without a LabVmMedia the vm row's own behaviour holds. */
typedef struct {
  /* the ISO every node boots (and osinfo identifies); NULL from it: none */
  char *(*iso_path)    (LabContext        *ctx);
  /* the last word on a node's spec */
  void  (*adjust_spec) (LabContext        *ctx,
                        const LabNode     *node,
                        LabVirtDomainSpec *spec);
} LabVmMedia;

/* Sets media (static, outlives the plan) for the vm steps of plan. */
void                lab_vm_set_media         (LabPlan                *plan,
                                              LabContext             *ctx,
                                              const LabVmMedia       *media);

/* "The nodes run under TCG ..." warning text when domain_type is not kvm. */
char               *lab_vm_tcg_warning       (const char             *domain_type,
                                              const char             *why);

G_END_DECLS
