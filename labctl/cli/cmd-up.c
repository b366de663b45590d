/* cmd-up.c: `labctl up`: build the stand of a recipe, resumably. */
#include "config.h"

#include <string.h>

#include "lab-cli.h"
#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-stand.h"
#include "lab-stand-report.h"

static gboolean
cmd_up (LabCli *cli, int argc, char **argv, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(LabStand) stand = NULL;
  g_autoptr(LabStandReport) report = NULL;
  gboolean ok;

  stand = lab_stand_open (cli->recipe, cli->dry_run, NULL, cli->cancellable, error);
  if (stand == NULL)
    return FALSE;

  if (cli->dry_run)
    {
      g_autoptr(GString) out = g_string_new (NULL);
      g_autofree char *counts = lab_stand_count_text (stand->recipe);

      g_string_append_printf (out, _("# labctl up --recipe %s: lab %s, flavor %s, %s\n"
                                     "# The commands each step runs (as root), in order:\n"),
                              stand->recipe->path, stand->recipe->name,
                              lab_flavor_to_string (stand->recipe->flavor), counts);
      lab_plan_describe (stand->plan, FALSE, out);
      fputs (out->str, cli->out);
      return lab_stand_preview (stand, FALSE, error);
    }

  if (!lab_stand_require_root (stand, FALSE, "up", error) || !lab_stand_prepare_dir (stand, error))
    return FALSE;
  lab_cli_note_log (cli, stand->runner);
  {
    const char *built_from = lab_state_get_recipe_hash (stand->state);

    /* steps keep what exists; a changed recipe shows where it differs */
    if (!lab_state_is_empty (stand->state) && built_from != NULL
        && g_strcmp0 (built_from, stand->recipe->hash) != 0)
      fprintf (cli->err, _("labctl up: lab %s was built from another version of %s; the steps that are "
                           "done stay as they are ('labctl down' and 'labctl up' rebuild it)\n"),
               stand->recipe->name, stand->recipe->path);
    lab_state_set_recipe_hash (stand->state, stand->recipe->hash);
  }

  ok = lab_stand_report_run (stand, FALSE, cli->json ? cli->err : cli->out, &report, &local_error);

  if (cli->json)
    {
      g_autoptr(JsonNode) node = lab_stand_report_to_json (report, ok, local_error);
      lab_cli_print_json (cli, node);
    }
  else if (ok)
    {
      g_autofree char *text = lab_stand_report_format (report);
      fputs (text, cli->out);
    }
  if (!ok)
    {
      if (g_cancellable_is_cancelled (cli->cancellable))
        {
          g_clear_error (&local_error);
          g_set_error (error, LAB_ERROR, LAB_ERROR_CANCELLED,
                       _("Interrupted. The state is saved: run 'labctl up' again to continue, "
                         "or 'labctl down' to remove what was made."));
          return FALSE;
        }
      if (lab_stand_report_failed_step (report) != NULL)
        /* the progress showed the step's error with its fix: once is enough */
        g_set_error (error, local_error->domain, local_error->code,
                     _("The lab is not complete: step '%s' failed (why, and what to do, is above). Fix the "
                       "cause and run 'labctl up' again to continue (or 'labctl down' to remove what was made)."),
                     lab_stand_report_failed_step (report));
      else
        g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "%s",
                                    _("The lab is not complete. Fix the cause and run 'labctl up' again to "
                                      "continue (or 'labctl down' to remove what was made): "));
      return FALSE;
    }
  return TRUE;
}

const LabCommand lab_command_up = {
  .name = "up",
  .summary = N_("Build the lab of a recipe, or continue an interrupted build"),
  .description = N_("Builds the lab of a recipe: host check, storage, network, nodes, guests. "
                    "Resumable: run it again after an interruption or a failed step and it continues "
                    "where it stopped. With --dry-run it prints the whole stand as the shell commands "
                    "a person would type."),
  .common = LAB_CLI_OPT_ALL,
  .handler = cmd_up,
  .flags = LAB_CLI_LOCKS_LAB,
};
