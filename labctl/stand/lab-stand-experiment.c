/* lab-stand-experiment.c: experiments on a stand, in a worker thread. */
#include "config.h"

#include "lab-stand-experiment.h"

#include "lab-i18n.h"

typedef struct {
  const char         *guest;
  const char         *to;
  gint64              interval_us;
  LabMigrationResult *result;
} MigrateJob;

static gboolean
run_migrate (LabStand *stand, gpointer data, GError **error)
{
  MigrateJob *job = data;

  return lab_experiment_migrate (&stand->ctx, job->guest, job->to, job->interval_us, job->result, error);
}

gboolean
lab_stand_experiment_migrate (LabStand *stand, const char *guest, const char *to_node, gint64 interval_us,
                              LabMigrationResult *result, GError **error)
{
  MigrateJob job = { guest, to_node, interval_us, result };

  return lab_stand_run_in_thread (run_migrate, stand, &job, error);
}

typedef struct {
  const char        *guest;
  LabFailoverMode    mode;
  guint              timeout_ms;
  LabFailoverResult *result;
} FailoverJob;

/* After a failover that recovered, the fenced node is started again by
 * the lab's own plan (its steps find it down and redo it) and rejoins the
 * cluster. */
static gboolean
run_failover (LabStand *stand, gpointer data, GError **error)
{
  FailoverJob *job = data;
  gint64 t0;

  if (!lab_experiment_failover (&stand->ctx, job->guest, job->mode, job->timeout_ms, job->result, error))
    return FALSE;
  /* a cluster that could not recover keeps the node as it is: it may
   * still fence it, and the student looks at why; after a crash no node
   * went down */
  if (!job->result->recovered || job->mode == LAB_FAILOVER_CRASH)
    return TRUE;
  lab_progress_info (stand->ctx.progress, _("starting node %s again"), job->result->victim);
  t0 = g_get_monotonic_time ();
  if (!lab_plan_up (stand->plan, error))
    {
      g_prefix_error (error, _("Node %s did not come back after the failover: "), job->result->victim);
      return FALSE;
    }
  job->result->rejoin_s = (g_get_monotonic_time () - t0) / 1e6;
  return TRUE;
}

gboolean
lab_stand_experiment_failover (LabStand *stand, const char *guest, LabFailoverMode mode, guint timeout_ms,
                               LabFailoverResult *result, GError **error)
{
  FailoverJob job = { guest, mode, timeout_ms, result };

  return lab_stand_run_in_thread (run_failover, stand, &job, error);
}

typedef struct {
  const char      *guest;
  LabQuorumResult *result;
} QuorumJob;

static gboolean
run_quorum (LabStand *stand, gpointer data, GError **error)
{
  QuorumJob *job = data;
  gint64 t0;

  if (!lab_experiment_quorum (&stand->ctx, job->guest, job->result, error))
    return FALSE;
  if (!job->result->recovered)
    return TRUE;
  lab_progress_info (stand->ctx.progress, _("starting node %s again"), job->result->cut);
  t0 = g_get_monotonic_time ();
  if (!lab_plan_up (stand->plan, error))
    {
      g_prefix_error (error, _("Node %s did not come back after the failover: "), job->result->cut);
      return FALSE;
    }
  job->result->rejoin_s = (g_get_monotonic_time () - t0) / 1e6;
  return TRUE;
}

gboolean
lab_stand_experiment_quorum (LabStand *stand, const char *guest, LabQuorumResult *result, GError **error)
{
  QuorumJob job = { guest, result };

  return lab_stand_run_in_thread (run_quorum, stand, &job, error);
}
