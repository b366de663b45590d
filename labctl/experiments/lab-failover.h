/* lab-failover.h: HA failover with every phase timed. A LabProbe pings
 * the HA guest from the host; a fault is injected into the node that runs
 * it (poweroff: all of the node's processes killed at once, the container
 * analogue of virDomainDestroy; crash: the guest's QEMU killed; partition:
 * the node's link cut); the cluster detects it, fences the node and starts
 * the guest elsewhere (or, after a crash, again on the same node). The
 * phase times come from the cluster's own logs (lab-cluster-log.h), each
 * as an offset from the fault; the probe gives when the guest answered
 * again, the downtime and the lost probes.
 *
 * Afterwards (lab-stand-experiment.c) the fenced node is started again by
 * the lab's plan and rejoins the cluster.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "lab-plan.h"
#include "lab-probe.h"
#include "lab-recipe.h"

G_BEGIN_DECLS

typedef enum {
  LAB_FAILOVER_POWEROFF,
  LAB_FAILOVER_CRASH,
  LAB_FAILOVER_PARTITION,
  LAB_N_FAILOVER_MODES
} LabFailoverMode;

/* "poweroff", "crash", "partition"; FALSE for an unknown name. */
const char *lab_failover_mode_to_string   (LabFailoverMode  mode);
gboolean    lab_failover_mode_from_string (const char      *name,
                                           LabFailoverMode *mode);

/* One phase: a stable id ("membership", "fence-requested", "fence-done",
 * "started", "answers"; "detected" after a crash; "fence-failed"), the
 * translated label, its time since the fault, and the node it concerns.
 * (id, offset_us) are what a timeline plot needs (lab-plot's markers). */
typedef struct {
  char   *id;
  char   *label;
  gint64  offset_us;
  char   *node;
} LabFailoverPhase;

typedef struct {
  char           *guest;
  LabFailoverMode mode;
  char           *victim;         /* the node that ran the guest */
  char           *new_node;       /* where it runs afterwards; NULL: nowhere */
  guint           token_ms;       /* corosync's effective token timeout */
  gboolean        recovered;      /* started again and answering ping */
  char           *stuck;          /* when not recovered: the phase it waits in (id) */
  GArray         *phases;         /* LabFailoverPhase, in time order */
  /* the probe: its raw samples (LabProbeSample, monotonic µs) and the
   * fault's time on the same clock, so offset = t - fault_mono_us */
  GArray         *samples;
  gint64          fault_mono_us;
  gint64          interval_us;
  LabProbeResult  probe;
  gint64          answer_offset_us; /* first reply after the fault; -1: none */
  guint           lost_probes;      /* requests sent after the fault without a reply */
  /* filled by the stand after the node rejoined: seconds, -1 if not */
  double          rejoin_s;
  /* the nodes' own HA manager did it (LabFlavor.stack, Proxmox), not
   * pacemaker: the phases come from its status (lab-experiment-stack.c) */
  gboolean        stack;
} LabFailoverResult;

void      lab_failover_result_clear   (LabFailoverResult *result);
JsonNode *lab_failover_result_to_json (const LabFailoverResult *result);
/* The report, translated: each phase with its time since the fault, the
 * downtime, and where the time went next to Proxmox's design figures. */
/* The ping timeline with a marker at the fault and at every phase, as
 * an .svg or .png (lab_plot_save). */
gboolean  lab_failover_result_plot   (const LabFailoverResult *result,
                                      const char              *path,
                                      GError                 **error);
char     *lab_failover_result_format  (const LabFailoverResult *result);

/* Pure: the phases of a failover from the cluster's events (lab-cluster-
 * log.h's LabClusterEvent*, from the survivors' logs), the fault's real
 * time and the victim; fills result->phases, ->stuck and ->new_node
 * (answer phase excluded: it is the probe's). Used by the experiment and
 * tested on recorded logs. */
void      lab_failover_phases_from_events (LabFailoverResult *result,
                                           GPtrArray         *events,
                                           gint64             fault_real_us,
                                           guint              n_nodes);

/* For the experiments' code paths (lab-failover.c, lab-experiment-stack.c):
 * the phases array made (empty, clearing its entries) when it is NULL;
 * the probe's figures after the fault from result->samples and
 * ->fault_mono_us (lost_probes, and answer_offset_us when recovered). */
void      lab_failover_result_ensure_phases (LabFailoverResult *result);
void      lab_failover_probe_figures        (LabFailoverResult *result);

/* guest NULL: the recipe's first guest; timeout_ms: how long to wait for
 * the guest to answer again (0: 180 s). FALSE with an error only when the
 * experiment cannot run or the fault cannot be injected; a failover that
 * does not recover is a result with recovered FALSE and stuck set. */
gboolean  lab_experiment_failover     (LabContext        *ctx,
                                       const char        *guest,
                                       LabFailoverMode    mode,
                                       guint              timeout_ms,
                                       LabFailoverResult *result,
                                       GError           **error);

/* `labctl experiment quorum`: the links of the guest's node A and of a
 * second node B are cut, so the third node C is alone with 1 of 3 votes:
 * it has no quorum and must not start the guest (it cannot know whether A
 * and B still run it). Then B's link comes back: B and C are a majority,
 * fence A and start the guest. */
typedef struct {
  char     *guest;
  char     *cut;             /* A: ran the guest, stays cut off (and is fenced) */
  char     *returning;       /* B: its link comes back */
  char     *survivor;        /* C */
  double    watch_s;         /* how long C was watched alone */
  gboolean  survivor_quorate;   /* C had quorum while alone (must not) */
  gboolean  survivor_started;   /* C ran the guest while alone (must not) */
  gboolean  recovered;          /* after B's return the guest answered */
  char     *new_node;
  gint64    recover_offset_us;  /* from B's return until the guest answered; -1 */
  double    rejoin_s;           /* A back in the cluster (stand); -1 */
} LabQuorumResult;

void      lab_quorum_result_clear    (LabQuorumResult *result);
JsonNode *lab_quorum_result_to_json  (const LabQuorumResult *result);
char     *lab_quorum_result_format   (const LabQuorumResult *result);
gboolean  lab_experiment_quorum      (LabContext      *ctx,
                                      const char      *guest,
                                      LabQuorumResult *result,
                                      GError         **error);

G_END_DECLS
