/* lab-stand-experiment.h: the experiments of lab-experiment on a stand
 * that is up, each in a worker thread (lab_stand_run_in_thread), so that
 * Ctrl+C cancels it while it runs.
 */
#pragma once

#include "lab-experiment.h"
/* the ping timeline (lab_plot_draw, lab_plot_save): the GUI draws it too */
#include "lab-plot.h"
#include "lab-failover.h"
#include "lab-stand.h"

G_BEGIN_DECLS

/* Live migration of guest (NULL: the recipe's first guest) to to_node
 * (NULL: the next node), pinged every interval_us (0: every 10 ms). On
 * success result holds the figures; lab_migration_result_clear() it in
 * any case. */
gboolean lab_stand_experiment_migrate (LabStand           *stand,
                                       const char         *guest,
                                       const char         *to_node,
                                       gint64              interval_us,
                                       LabMigrationResult *result,
                                       GError            **error);

/* HA failover (lab-failover.h) of guest (NULL: the first guest) with
 * fault mode; then the lab's plan brings the fenced node back and it
 * rejoins (result->rejoin_s). A failover that does not recover is a
 * result (recovered FALSE), not an error, and leaves the node as it is
 * (`labctl up` starts it once the cause is fixed). lab_failover_result_clear() the result in any case. */
gboolean lab_stand_experiment_failover (LabStand          *stand,
                                        const char        *guest,
                                        LabFailoverMode    mode,
                                        guint              timeout_ms,
                                        LabFailoverResult *result,
                                        GError           **error);

/* The quorum experiment (lab-failover.h); afterwards the fenced node is
 * started again as after a failover. */
gboolean lab_stand_experiment_quorum   (LabStand          *stand,
                                        const char        *guest,
                                        LabQuorumResult   *result,
                                        GError           **error);

G_END_DECLS
