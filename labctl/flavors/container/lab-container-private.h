/* lab-container-private.h: what the container flavor's files share and
 * nothing outside flavors/container/ includes. */
#pragma once

#include "lab-container.h"
#include "lab-flavor.h"

G_BEGIN_DECLS

/* `ip [-n NETNS] -j link show dev NAME` (a query, run even in a dry run):
 * *found, and *alias (may be NULL) when found. A missing link is not an
 * error. */
gboolean  lab_container_link_query        (LabRunner   *runner,
                                           const char  *netns,
                                           const char  *name,
                                           gboolean    *found,
                                           char       **alias,
                                           GError     **error);

/* The per-node steps of the nodes phase, one file each:
 * nodes.netns:<node> (lab-container-netns.c) and nodes.libvirtd:<node>
 * (lab-container-libvirtd.c); the step data is the recipe's LabNode. */
extern const LabStepInfo lab_container_netns_step;
extern const LabStepInfo lab_container_libvirtd_step;

/* The cluster on container nodes (lab-container-cluster.c). */
extern const LabClusterOps lab_container_cluster_ops;
void      lab_container_add_cluster_steps (LabPlan    *plan,
                                           LabContext *ctx);
/* The guests' steps, and with a [cluster] each guest's cluster.guest. */
void      lab_container_add_guest_steps   (LabPlan    *plan,
                                           LabContext *ctx);
/* SIGKILL every process of the node's network namespace, until none is
 * left (*n_killed: how many signals were sent). */
gboolean  lab_container_netns_kill_all    (LabContainerNode *node,
                                           guint            *n_killed,
                                           GError          **error);
gboolean  lab_container_node_fault        (LabContext   *ctx,
                                           LabNode      *node,
                                           LabNodeFault  fault,
                                           GError      **error);
/* reset of one guest (through the cluster when it manages the guest). */
gboolean  lab_container_reset_guest       (LabContext *ctx,
                                           LabGuest   *guest,
                                           GError    **error);

G_END_DECLS
