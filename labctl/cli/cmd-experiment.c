/* cmd-experiment.c: `labctl experiment migrate`: live migration with the
 * downtime measured by ping and by libvirt; `labctl experiment failover`:
 * HA failover with every phase timed from the cluster's logs. */
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
  if (opt_plot != NULL && !lab_plot_check_path (opt_plot, error))
    return FALSE;
  stand = lab_stand_open (cli->recipe, FALSE, NULL, cli->cancellable, error);
  if (stand == NULL)
    return FALSE;
  lab_cli_note_log (cli, stand->runner);
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

static char *opt_failover_guest;
static char *opt_mode;
static int opt_timeout_s = 180;

static const GOptionEntry failover_options[] = {
  { "guest", 'g', 0, G_OPTION_ARG_STRING, &opt_failover_guest, N_("The HA guest (default: the first guest)"),
    N_("GUEST") },
  { "mode", 'm', 0, G_OPTION_ARG_STRING, &opt_mode,
    N_("The fault: poweroff (the node's processes killed at once, default), crash (the guest's QEMU killed) or "
       "partition (the node's link cut)"),
    N_("MODE") },
  { "timeout", 0, 0, G_OPTION_ARG_INT, &opt_timeout_s,
    N_("Seconds to wait for the guest to answer again (default 180)"), N_("S") },
  { "plot", 'p', 0, G_OPTION_ARG_FILENAME, &opt_plot,
    N_("Also draw the ping timeline with the phases to FILE (.svg or .png)"), N_("FILE") },
  { NULL }
};

static const LabCliOptionComplete failover_option_complete[] = {
  { "guest", LAB_CLI_COMPLETE_GUESTS },
  { "plot", LAB_CLI_COMPLETE_FILES },
  { NULL }
};

static gboolean
experiment_failover (LabCli *cli, int argc, char **argv, GError **error)
{
  g_autoptr(LabStand) stand = NULL;
  LabFailoverResult result = { 0 };
  LabFailoverMode mode = LAB_FAILOVER_POWEROFF;
  gboolean ok;

  if (opt_mode != NULL && !lab_failover_mode_from_string (opt_mode, &mode))
    {
      lab_cli_set_usage_error (error, "experiment", _("--mode must be poweroff, crash or partition"));
      return FALSE;
    }
  if (opt_timeout_s < 10 || opt_timeout_s > 3600)
    {
      lab_cli_set_usage_error (error, "experiment", _("--timeout must be 10 to 3600 s"));
      return FALSE;
    }
  if (opt_plot != NULL && !lab_plot_check_path (opt_plot, error))
    return FALSE;
  stand = lab_stand_open (cli->recipe, FALSE, cli->json ? NULL : cli->err, cli->cancellable, error);
  if (stand == NULL)
    return FALSE;
  lab_cli_note_log (cli, stand->runner);
  ok = lab_stand_experiment_failover (stand, opt_failover_guest, mode, (guint) opt_timeout_s * 1000, &result, error);
  /* what was measured is shown even when the node did not come back (on
   * the stack path, even without a probe: the phases are the cluster's) */
  if (result.samples != NULL || result.stack)
    {
      if (cli->json)
        {
          g_autoptr(JsonNode) node = lab_failover_result_to_json (&result);
          lab_cli_print_json (cli, node);
        }
      else
        {
          g_autofree char *text = lab_failover_result_format (&result);
          fputs (text, cli->out);
        }
      if (opt_plot != NULL)
        {
          g_autoptr(GError) plot_error = NULL;

          /* a picture that cannot be drawn does not hide the experiment's outcome */
          if (lab_failover_result_plot (&result, opt_plot, &plot_error))
            {
              if (!cli->json)
                fprintf (cli->out, _("Ping timeline drawn to %s\n"), opt_plot);
            }
          else
            g_printerr ("%s\n", plot_error->message);
        }
    }
  if (ok && !result.recovered)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                   _("Guest %s did not recover after the %s of node %s (stuck before: %s)"), result.guest,
                   lab_failover_mode_to_string (mode), result.victim, result.stuck);
      ok = FALSE;
    }
  lab_failover_result_clear (&result);
  return ok;
}

static gboolean
experiment_quorum (LabCli *cli, int argc, char **argv, GError **error)
{
  g_autoptr(LabStand) stand = NULL;
  LabQuorumResult result = { 0 };
  gboolean ok;

  stand = lab_stand_open (cli->recipe, FALSE, cli->json ? NULL : cli->err, cli->cancellable, error);
  if (stand == NULL)
    return FALSE;
  lab_cli_note_log (cli, stand->runner);
  ok = lab_stand_experiment_quorum (stand, opt_failover_guest, &result, error);
  if (result.survivor != NULL)
    {
      if (cli->json)
        {
          g_autoptr(JsonNode) node = lab_quorum_result_to_json (&result);
          lab_cli_print_json (cli, node);
        }
      else
        {
          g_autofree char *text = lab_quorum_result_format (&result);
          fputs (text, cli->out);
        }
    }
  if (ok && (!result.recovered || result.survivor_started || result.survivor_quorate))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("The quorum experiment did not go as a cluster must: see the "
                                                         "report above"));
      ok = FALSE;
    }
  lab_quorum_result_clear (&result);
  return ok;
}

static const GOptionEntry quorum_options[] = {
  { "guest", 'g', 0, G_OPTION_ARG_STRING, &opt_failover_guest, N_("The HA guest (default: the first guest)"),
    N_("GUEST") },
  { NULL }
};

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
  {
    .name = "failover",
    .summary = N_("HA failover of a guest with every phase timed"),
    .description = N_("Injects a fault into the node that runs an HA guest (poweroff, crash or partition) while "
                      "pinging the guest every 20 ms, and reports each phase of the recovery with its time since "
                      "the fault, read from the cluster's own logs: membership lost, fence requested and "
                      "confirmed, guest started on another node, guest answering ping; then the downtime, the "
                      "lost probes, and where the time went next to Proxmox VE's design (about two minutes). "
                      "Afterwards the fenced node is started again and rejoins the cluster. Needs a lab with a "
                      "[cluster] section."),
    .common = LAB_CLI_OPT_RECIPE | LAB_CLI_OPT_JSON,
    .options = failover_options,
    .option_complete = failover_option_complete,
    .handler = experiment_failover,
    .flags = LAB_CLI_LOCKS_LAB,
  },
  {
    .name = "quorum",
    .summary = N_("Quorum: a node alone does not restart the guest"),
    .description = N_("Cuts the links of the guest's node and of a second node, so that the third node is alone "
                      "with 1 of 3 votes, and shows that it does not start the guest without quorum; then brings "
                      "the second node back: with 2 of 3 votes the cluster fences the guest's node and starts the "
                      "guest. The report says why two-node clusters need a tie-breaker. Afterwards the fenced node "
                      "is started again. Needs a lab with a [cluster] of 3 nodes."),
    .common = LAB_CLI_OPT_RECIPE | LAB_CLI_OPT_JSON,
    .options = quorum_options,
    .option_complete = failover_option_complete,
    .handler = experiment_quorum,
    .flags = LAB_CLI_LOCKS_LAB,
  },
  { NULL }
};

const LabCommand lab_command_experiment = {
  .name = "experiment",
  .summary = N_("Run an experiment on the lab (migrate: live migration with measured downtime; failover: HA "
                "failover with timed phases; quorum: why a node alone waits)"),
  .common = LAB_CLI_OPT_RECIPE | LAB_CLI_OPT_JSON,
  .verbs = experiment_verbs,
};
