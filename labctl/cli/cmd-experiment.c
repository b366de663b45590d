/* cmd-experiment.c: `labctl experiment migrate`: live migration with the
 * downtime measured by ping and by libvirt. */
#include "config.h"

#include "lab-cli.h"
#include "lab-error.h"
#include "lab-experiment.h"
#include "lab-i18n.h"
#include "lab-stand.h"

typedef struct {
  const char         *guest;
  const char         *to;
  gint64              interval_us;
  LabMigrationResult  result;
} MigrateJob;

static gboolean
run_migrate (LabStand *stand, gpointer data, GError **error)
{
  MigrateJob *job = data;

  return lab_experiment_migrate (&stand->ctx, job->guest, job->to, job->interval_us, &job->result, error);
}

static gboolean
experiment_migrate (LabCli *cli, int argc, char **argv, GError **error)
{
  g_autoptr(LabStand) stand = NULL;
  g_autofree char *guest = NULL;
  g_autofree char *to = NULL;
  int interval_ms = 10;
  const GOptionEntry entries[] = {
    { "guest", 'g', 0, G_OPTION_ARG_STRING, &guest, N_("The guest to migrate (default: the first guest)"), N_("GUEST") },
    { "to", 't', 0, G_OPTION_ARG_STRING, &to, N_("Destination node (default: the next node)"), N_("NODE") },
    { "interval", 'i', 0, G_OPTION_ARG_INT, &interval_ms, N_("Ping interval in milliseconds (default 10)"), N_("MS") },
    { NULL }
  };
  MigrateJob job = { 0 };

  if (!lab_cli_parse (cli, "experiment migrate", NULL,
                      _("Live-migrates a guest to another node while pinging it every 10 ms, and reports "
                        "the downtime the pings saw next to the downtime libvirt measured, the migration "
                        "time and the data transferred."),
                      LAB_CLI_OPT_RECIPE | LAB_CLI_OPT_JSON, entries, &argc, &argv, error))
    return *error == NULL;
  if (argc > 1)
    {
      lab_cli_set_usage_error (error, "experiment", _("unexpected argument '%s'"), argv[1]);
      return FALSE;
    }
  if (interval_ms < 1 || interval_ms > 1000)
    {
      lab_cli_set_usage_error (error, "experiment", _("--interval must be 1 to 1000 ms"));
      return FALSE;
    }
  stand = lab_stand_open (cli->recipe, FALSE, NULL, cli->cancellable, error);
  if (stand == NULL)
    return FALSE;
  job.guest = guest;
  job.to = to;
  job.interval_us = (gint64) interval_ms * 1000;
  if (!lab_stand_run_in_thread (run_migrate, stand, &job, error))
    {
      lab_migration_result_clear (&job.result);
      return FALSE;
    }
  if (cli->json)
    {
      g_autoptr(JsonNode) node = lab_migration_result_to_json (&job.result);
      lab_cli_print_json (cli, node);
    }
  else
    {
      g_autofree char *text = lab_migration_result_format (&job.result);
      fputs (text, cli->out);
    }
  lab_migration_result_clear (&job.result);
  return TRUE;
}

gboolean
lab_cmd_experiment (LabCli *cli, int argc, char **argv, GError **error)
{
  if (argc >= 2 && g_str_equal (argv[1], "migrate"))
    return experiment_migrate (cli, argc - 1, argv + 1, error);
  if (argc >= 2 && (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h")))
    {
      fprintf (cli->out, "%s\n\n%s\n  migrate    %s\n", _("Usage: labctl experiment EXPERIMENT [OPTIONS]"),
               _("Experiments:"), _("Live migration of a guest with measured downtime"));
      return TRUE;
    }
  lab_cli_set_usage_error (error, "experiment", _("name an experiment: migrate"));
  return FALSE;
}
