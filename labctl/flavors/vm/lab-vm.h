/* lab-vm.h: the plan steps that bring up the lab's libvirt side.
 *
 *   nodes.network        the lab network (NAT, DHCP reservation per node)
 *   nodes.define:<node>  one per node: the node's domain
 *   nodes.start          all nodes started in parallel; waits (libvirt
 *                        events) until every one runs
 *
 * `labctl up` and `labctl nodes` share them. Ownership and refusal of
 * foreign objects are lab-virt's (see lab-virt.h).
 */
#pragma once

#include <stdio.h>

#include "lab-osinfo.h"
#include "lab-plan.h"
#include "lab-recipe.h"
#include "lab-virt.h"

G_BEGIN_DECLS

/* Adds the steps above for ctx->recipe's nodes. */
void                lab_vm_add_steps        (LabPlan    *plan,
                                                LabContext *ctx);

/* The lab network of a recipe. */
LabVirtNetworkSpec *lab_vm_network_spec     (LabRecipe  *recipe);
/* A node's domain spec. domain_type "kvm" or "qemu" (then a
 * host-passthrough CPU becomes "maximum": TCG has no host CPU to pass
 * through). profile may be NULL (no osinfo data: conservative devices). */
LabVirtDomainSpec  *lab_vm_domain_spec      (LabRecipe              *recipe,
                                                const LabNode          *node,
                                                const LabOsinfoProfile *profile,
                                                const char             *domain_type,
                                                const char             *iso_path);
/* The node's disk: /dev/<vg>/<lv>. */
char               *lab_vm_disk_path        (LabRecipe     *recipe,
                                                const LabNode *node);
/* The install ISO: recipe install-media when it is a path; otherwise the
 * ISO cache's <name>.iso ($LABCTL_ISO_DIR, else <state dir>/../isos). NULL
 * when the recipe names no media. */
char               *lab_vm_iso_path         (LabRecipe     *recipe);

/* "The nodes run under TCG ..." warning text when domain_type is not kvm. */
char               *lab_vm_tcg_warning      (const char *domain_type,
                                                const char *why);

G_END_DECLS
