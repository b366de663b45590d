/* lab-container-private.h: what the container flavor's files share and
 * nothing outside flavors/container/ includes. */
#pragma once

#include "lab-container.h"

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

G_END_DECLS
