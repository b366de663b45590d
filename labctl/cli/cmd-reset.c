/* cmd-reset.c: `labctl reset`: back to the clean post-install state. */
#include "config.h"

#include "lab-cli.h"
#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-json.h"
#include "lab-stand.h"

typedef struct {
  guint redone;
} ResetJob;

static gboolean
run_reset (LabStand *stand, gpointer data, GError **error)
{
  ResetJob *job = data;

  return lab_stand_reset (stand, &job->redone, error);
}

/* What building the lab cost, from the step times the state recorded. */
static double
recorded_up_seconds (LabStand *stand)
{
  double sum = 0;

  for (guint i = 0; i < lab_plan_get_n_steps (stand->plan); i++)
    sum += lab_state_get_step_seconds (stand->state, lab_plan_get_step_id (stand->plan, i));
  return sum;
}

static gboolean
cmd_reset (LabCli *cli, int argc, char **argv, GError **error)
{
  g_autoptr(LabStand) stand = NULL;
  ResetJob job = { 0 };
  double seconds, up_seconds;
  gint64 t0;

  /* the steps it runs again show as `up` shows them (stderr with --json) */
  stand = lab_stand_open (cli->recipe, cli->dry_run, cli->json ? cli->err : cli->out, cli->cancellable, error);
  if (stand == NULL)
    return FALSE;
  lab_cli_note_log (cli, stand->runner);
  if (cli->dry_run)
    {
      g_autoptr(GString) out = g_string_new (NULL);

      lab_stand_describe_reset (stand, out);
      fputs (out->str, cli->out);
      return TRUE;
    }
  for (guint i = 0; i < lab_plan_get_n_steps (stand->plan); i++)
    {
      gboolean present = FALSE;

      /* the reset applies it again anyway (a reset that stopped half-way
       * through them is finished by the next one) */
      if (lab_stand_reset_redoes (stand, i))
        continue;
      if (lab_state_get_step (stand->state, lab_plan_get_step_id (stand->plan, i)) == LAB_STEP_STATE_DONE)
        continue;
      /* a step `up` found already done (an ISO already in the cache) is
       * not recorded as labctl's, so that `down` leaves it: it counts as
       * up when its check still finds it */
      if (!lab_plan_check_step (stand->plan, i, &present, error))
        return FALSE;
      if (!present)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                       _("Lab %s is not completely up (step '%s' is not done): run 'labctl up' first"),
                       stand->recipe->name, lab_plan_get_step_title (stand->plan, i));
          return FALSE;
        }
    }
  if (!lab_stand_require_root (stand, FALSE, "reset", error))
    return FALSE;
  t0 = g_get_monotonic_time ();
  if (!lab_stand_run_in_thread (run_reset, stand, &job, error))
    return FALSE;
  seconds = (g_get_monotonic_time () - t0) / 1e6;
  up_seconds = recorded_up_seconds (stand);

  if (cli->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) node = NULL;

      json_builder_begin_object (b);
      lab_json_member_string (b, "lab", stand->recipe->name);
      lab_json_member_double (b, "reset_seconds", seconds);
      lab_json_member_double (b, "up_seconds_recorded", up_seconds);
      lab_json_member_int (b, "steps_redone", job.redone);
      json_builder_end_object (b);
      node = json_builder_get_root (b);
      lab_cli_print_json (cli, node);
    }
  else
    {
      fprintf (cli->out, _("Lab %s is back to its clean state in %.2f s.\n"), stand->recipe->name, seconds);
      fprintf (cli->out, _("Building it took %.1f s (the step times 'up' recorded), and 'down' comes on top: "
                           "reset took %.0f%% of that.\n"),
               up_seconds, up_seconds > 0 ? 100.0 * seconds / up_seconds : 0.0);
      if (job.redone > 0)
        fprintf (cli->out, g_dngettext (GETTEXT_PACKAGE, "%u step that the reset undid was applied again.\n",
                                        "%u steps that the reset undid were applied again.\n", job.redone),
                 job.redone);
    }
  return TRUE;
}

const LabCommand lab_command_reset = {
  .name = "reset",
  .summary = N_("Bring the lab back to its clean post-install state, fast"),
  .description = N_("Brings the lab back to its clean post-install state: guests are recreated from "
                    "their templates on their home nodes and resumed from their clean images (nodes "
                    "revert to their clean snapshots). What went with the nodes' disks (a cluster in "
                    "them, the Proxmox cluster, storage and guests) is applied again, step by step as "
                    "'labctl up' does. Much faster than 'down' and 'up'."),
  .common = LAB_CLI_OPT_RECIPE | LAB_CLI_OPT_JSON | LAB_CLI_OPT_DRY_RUN,
  .handler = cmd_reset,
  .flags = LAB_CLI_LOCKS_LAB,
};
