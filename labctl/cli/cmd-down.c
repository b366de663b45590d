/* cmd-down.c: `labctl down`: remove everything the lab made, in reverse. */
#include "config.h"

#include "lab-cli.h"
#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-stand.h"
#include "lab-stand-exercise.h"
#include "lab-stand-report.h"

static gboolean opt_keep_storage;

static const GOptionEntry down_options[] = {
  { "keep-storage", 0, 0, G_OPTION_ARG_NONE, &opt_keep_storage,
    N_("Keep the backing image (the lab's disks) for the next 'up'"), NULL },
  { NULL }
};

static gboolean
cmd_down (LabCli *cli, int argc, char **argv, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(LabStand) stand = NULL;
  g_autoptr(LabStandReport) report = NULL;
  gboolean ok;
  gboolean sweep = FALSE;

  stand = lab_stand_open (cli->recipe, cli->dry_run, NULL, cli->cancellable, error);
  if (stand == NULL)
    return FALSE;
  lab_cli_note_log (cli, stand->runner);
  if (opt_keep_storage)
    lab_plan_remove_steps (stand->plan, LAB_STAND_IMAGE_STEP);

  if (cli->dry_run)
    {
      g_autoptr(GString) out = g_string_new (NULL);

      g_string_append_printf (out, _("# labctl down --recipe %s: lab %s, in reverse order\n"),
                              stand->recipe->path, stand->recipe->name);
      lab_plan_describe (stand->plan, TRUE, out);
      fputs (out->str, cli->out);
      return lab_stand_preview (stand, TRUE, error);
    }
  if (lab_state_is_empty (stand->state))
    {
      g_autoptr(GPtrArray) traces = lab_stand_find_traces (stand);

      if (traces->len > 0)
        {
          g_autoptr(GString) list = g_string_new (NULL);

          for (guint i = 0; i < traces->len; i++)
            g_string_append_printf (list, "\n  %s", (const char *) g_ptr_array_index (traces, i));
          /* the state was lost (deleted, or a down killed between its
           * last save and the end): every undo, by names and marks */
          fprintf (cli->err,
                   _("Lab %s has no state, but it left this on the host:%s\n"
                     "Removing what the lab's names and ownership marks show to be its own.\n"),
                   stand->recipe->name, list->str);
          lab_plan_set_sweep (stand->plan, TRUE);
          sweep = TRUE;
        }
    }
  if (lab_state_is_empty (stand->state) && !sweep)
    {
      if (cli->json)
        {
          g_autoptr(JsonNode) node = NULL;

          report = lab_stand_report_new (stand, cli->err, TRUE);
          node = lab_stand_report_to_json (report, TRUE, NULL);
          lab_cli_print_json (cli, node);
        }
      else
        fprintf (cli->out, _("Nothing to remove: lab %s is not up.\n"), stand->recipe->name);
      /* logs of an earlier, interrupted down */
      lab_runner_set_log_path (stand->runner, NULL);
      lab_stand_remove_state_dir (stand, NULL);
      return TRUE;
    }
  if (!lab_stand_require_root (stand, TRUE, "down", error))
    return FALSE;
  /* what the open exercises made (their VMs, LVs, watchers) goes first */
  if (!cli->dry_run && !lab_stand_exercise_finish_all (stand, error))
    return FALSE;
  ok = lab_stand_report_run (stand, TRUE, cli->json ? cli->err : cli->out, &report, &local_error);
  if (cli->json)
    {
      g_autoptr(JsonNode) node = lab_stand_report_to_json (report, ok, local_error);
      lab_cli_print_json (cli, node);
    }
  else
    {
      g_autofree char *text = lab_stand_report_format (report);
      fputs (text, cli->out);
    }
  if (ok)
    {
      /* the runner logs no more: the lab's directory can go */
      lab_runner_set_log_path (stand->runner, NULL);
      if (!lab_stand_remove_state_dir (stand, error))
        return FALSE;
    }
  if (!ok)
    {
      if (lab_stand_report_failed_step (report) != NULL)
        g_set_error (error, local_error->domain, local_error->code,
                     _("The lab is only partly removed: step '%s' failed (why, and what to do, is above); fix "
                       "the cause and run 'labctl down' again."),
                     lab_stand_report_failed_step (report));
      else
        g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "%s",
                                    _("The lab is only partly removed; fix the cause and run 'labctl down' again: "));
      return FALSE;
    }
  return TRUE;
}

const LabCommand lab_command_down = {
  .name = "down",
  .summary = N_("Remove everything the lab made"),
  .description = N_("Removes everything the lab made, in reverse order, from any partial state: "
                    "guests, nodes, network, storage. Only what labctl created is touched. "
                    "A second 'down' does nothing."),
  .common = LAB_CLI_OPT_ALL,
  .options = down_options,
  .handler = cmd_down,
  .flags = LAB_CLI_LOCKS_LAB,
};
