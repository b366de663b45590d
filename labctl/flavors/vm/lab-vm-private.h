/* lab-vm-private.h: what the vm flavor's step files share and nothing
 * outside flavors/vm/ includes. */
#pragma once

#include "lab-vm.h"

G_BEGIN_DECLS

#define LAB_VM_START_TIMEOUT_MS (120 * 1000)
#define LAB_VM_STOP_TIMEOUT_MS  (60 * 1000)

/* Shared by all steps of one plan (kept in the plan's data): one libvirt
 * connection, one osinfo database, the domain type asked once. */
typedef struct {
  LabContext       *ctx;
  LabVirt          *virt;
  LabOsinfo        *osinfo;
  LabOsinfoProfile *profile;
  char             *domain_type;
  char             *domain_type_why;
  gboolean          warned_tcg;
  const LabVmMedia *media;     /* NULL: the vm row's own */
  LabVmNodeSpecFunc node_spec_func;   /* NULL: the vm flavor's own nodes */
  LabVmNetworkHostsFunc network_hosts_func; /* NULL: the recipe's nodes and guests only */
} LabVmShared;

/* A step's data: the shared part (an rc box reference) and its node. */
typedef struct {
  LabVmShared *shared;
  LabNode     *node;     /* NULL for the network and start steps */
} LabVmStep;

/* The plan's shared part, made on first use. */
LabVmShared       *lab_vm_shared        (LabPlan      *plan,
                                         LabContext   *ctx);
LabVmStep         *lab_vm_step_new      (LabVmShared  *shared,
                                         LabNode      *node);
void               lab_vm_step_free     (gpointer      step);
/* The connection, opened on first use (the runner set for qemu-img). */
LabVirt           *lab_vm_get_virt      (LabVmShared  *shared,
                                         GError      **error);
/* The libvirt URI the nodes live on (for describe). */
const char        *lab_vm_uri           (LabContext   *ctx);
/* The node's domain spec; strict: the OS profile must be known (the ISO
 * identified when there is one), else conservative devices. */
LabVirtDomainSpec *lab_vm_spec_for_node (LabVmShared  *shared,
                                         const LabNode *node,
                                         gboolean      strict,
                                         GError      **error);

G_END_DECLS
