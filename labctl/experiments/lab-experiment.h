/* lab-experiment.h: experiments on a running lab. The first: live
 * migration of a guest between nodes with its downtime measured twice:
 * by a LabProbe pinging the guest every 10 ms from the host (what the
 * network saw) and by libvirt's completed-job statistics on the
 * destination (what QEMU measured).
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "lab-flavor.h"
#include "lab-plan.h"
#include "lab-recipe.h"
#include "lab-probe.h"
#include "lab-virt.h"

G_BEGIN_DECLS

typedef struct {
  char             *guest;
  char             *from_node;
  char             *to_node;
  gboolean          restart;          /* a restart migration (a container): stopped, then started on to_node */
  gboolean          answers_after;    /* the guest answered ping on the destination afterwards */
  LabProbeResult    probe;
  /* the migration call's wall time and libvirt's completed job on the
   * destination, as lab_virt_migrate() measured them */
  LabVirtMigration  migration;
  /* the probe's raw samples (LabProbeSample, send order; NULL before the
   * probe ran) and when the migration call started and returned, in
   * microseconds from the first sample's send time (the plot's markers) */
  GArray           *samples;
  gint64            migration_start_us;
  gint64            migration_end_us;
  /* a guest of the nodes' own stack (LabFlavor.stack, Proxmox): its
   * migration task's figures and log instead of libvirt's job */
  gboolean          have_stack;
  LabStackMigration stack;
} LabMigrationResult;

void      lab_migration_result_clear   (LabMigrationResult *result);
JsonNode *lab_migration_result_to_json (const LabMigrationResult *result);
/* Human-readable report (several lines, translated). */
char     *lab_migration_result_format  (const LabMigrationResult *result);
/* The ping timeline of the result (lab-plot.h) to an .svg or .png file,
 * markers at the migration's start and end. */
gboolean  lab_migration_result_plot    (const LabMigrationResult *result,
                                        const char               *path,
                                        GError                  **error);

/* guest NULL: the first guest of the recipe; to_node NULL: the next node
 * after the one it runs on. A VM migrates live; a container (type =
 * container) restarts on to_node from the same LV (its downtime is a stop
 * and a start, measured by the same probe). interval_us 0: the probe's default (10 ms). */
gboolean  lab_experiment_migrate       (LabContext         *ctx,
                                        const char         *guest,
                                        const char         *to_node,
                                        gint64              interval_us,
                                        LabMigrationResult *result,
                                        GError            **error);

G_END_DECLS
