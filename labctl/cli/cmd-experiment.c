/* cmd-experiment.c: `labctl experiment migrate`: live migration with the
 * downtime measured by ping and by libvirt. */
#include "config.h"

#include "lab-cli.h"
#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-stand.h"
#include "lab-stand-experiment.h"

static char *opt_guest;
static char *opt_to;
static int opt_interval_ms = 10;
static char *opt_plot;

static const GOptionEntry migrate_options[] = {
  { "guest", 'g', 0, G_OPTION_ARG_STRING, &opt_guest, N_("The guest to migrate (default: the first guest)"),
    N_("GUEST") },
  { "to", 't', 0, G_OPTION_ARG_STRING, &opt_to, N_("Destination node (default: the next node)"), N_("NODE") },
  { "interval", 'i', 0, G_OPTION_ARG_INT, &opt_interval_ms, N_("Ping interval in milliseconds (default 10)"),
    N_("MS") },
  { "plot", 'p', 0, G_OPTION_ARG_FILENAME, &opt_plot,
    N_("Draw the ping timeline to FILE (.svg or .png): latency, lost replies, the migration"), N_("FILE") },
  { NULL }
};

static const LabCliOptionComplete migrate_option_complete[] = {
  { "guest", LAB_CLI_COMPLETE_GUESTS },
  { "to", LAB_CLI_COMPLETE_NODES },
  { "plot", LAB_CLI_COMPLETE_FILES },
  { NULL }
};

static gboolean
experiment_migrate (LabCli *cli, int argc, char **argv, GError **error)
{
  g_autoptr(LabStand) stand = NULL;
  LabMigrationResult result = { 0 };

  if (opt_interval_ms < 1 || opt_interval_ms > 1000)
    {
      lab_cli_set_usage_error (error, "experiment", _("--interval must be 1 to 1000 ms"));
      return FALSE;
    }
  /* a bad file name is known before anything moves */
  /* a bad file name is known before anything moves */
  if (opt_plot != NULL && !lab_plot_check_path (opt_plot, error))
    return FALSE;
  stand = lab_stand_open (cli->recipe, FALSE, NULL, cli->cancellable, error);
  if (stand == NULL)
    return FALSE;
  if (!lab_stand_experiment_migrate (stand, opt_guest, opt_to, (gint64) opt_interval_ms * 1000, &result, error))
    {
      lab_migration_result_clear (&result);
      return FALSE;
    }
  if (cli->json)
    {
      g_autoptr(JsonNode) node = lab_migration_result_to_json (&result);
      lab_cli_print_json (cli, node);
    }
  else
    {
      g_autofree char *text = lab_migration_result_format (&result);
      fputs (text, cli->out);
    }
  if (opt_plot != NULL)
    {
      gboolean ok = lab_migration_result_plot (&result, opt_plot, error);

      if (ok && !cli->json)
        fprintf (cli->out, _("Ping timeline drawn to %s\n"), opt_plot);
      lab_migration_result_clear (&result);
      return ok;
    }
  lab_migration_result_clear (&result);
  return TRUE;
}

static const LabCommand experiment_verbs[] = {
  {
    .name = "migrate",
    .summary = N_("Live migration of a guest with measured downtime"),
    .description = N_("Live-migrates a guest to another node while pinging it every 10 ms, and reports "
                      "the downtime the pings saw next to the downtime libvirt measured, the migration "
                      "time and the data transferred."),
    .common = LAB_CLI_OPT_RECIPE | LAB_CLI_OPT_JSON,
    .options = migrate_options,
    .option_complete = migrate_option_complete,
    .handler = experiment_migrate,
    .flags = LAB_CLI_LOCKS_LAB,
  },
  { NULL }
};

const LabCommand lab_command_experiment = {
  .name = "experiment",
  .summary = N_("Run an experiment on the lab (migrate: live migration with measured downtime)"),
  .common = LAB_CLI_OPT_RECIPE | LAB_CLI_OPT_JSON,
  .verbs = experiment_verbs,
};
