/* lab-stand-experiment.c: experiments on a stand, in a worker thread. */
#include "config.h"

#include "lab-stand-experiment.h"

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
