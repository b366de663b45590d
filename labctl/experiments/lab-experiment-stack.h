/* lab-experiment-stack.h: the experiments on a flavor whose nodes run a
 * management stack of their own (LabFlavor.stack, lab-flavor.h: Proxmox
 * VE's API). lab_experiment_migrate() and lab_experiment_failover() come
 * here when the lab's row has one; nothing else calls these. */
#pragma once

#include "lab-experiment.h"
#include "lab-failover.h"
#include "lab-flavor.h"

G_BEGIN_DECLS

/* As lab_experiment_migrate(), through flavor->stack: the guest moves
 * the way the stack moves its kind; result->stack holds the task's own
 * figures and log. A guest without an address is moved unprobed. */
gboolean  lab_experiment_migrate_stack  (LabContext         *ctx,
                                         const LabFlavor    *flavor,
                                         const char         *guest,
                                         const char         *to_node,
                                         gint64              interval_us,
                                         LabMigrationResult *result,
                                         GError            **error);
void      lab_migration_stack_to_json   (const LabMigrationResult *result,
                                         JsonBuilder              *builder);
char     *lab_migration_stack_format    (const LabMigrationResult *result);

/* As lab_experiment_failover(), through flavor->stack and
 * flavor->node_fault (poweroff only): the guest made an HA resource, its
 * node powered off, the phases from the HA manager's status polled on
 * the survivors. */
gboolean  lab_experiment_failover_stack (LabContext        *ctx,
                                         const LabFlavor   *flavor,
                                         const char        *guest,
                                         LabFailoverMode    mode,
                                         guint              timeout_ms,
                                         LabFailoverResult *result,
                                         GError           **error);
char     *lab_failover_stack_format     (const LabFailoverResult *result);

G_END_DECLS
