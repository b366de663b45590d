/* cmd-status.c: `labctl status`: every piece of the lab and its health. */
#include "config.h"

#include "lab-cli.h"
#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-stand.h"

gboolean
lab_cmd_status (LabCli *cli, int argc, char **argv, GError **error)
{
  g_autoptr(LabStand) stand = NULL;
  g_autoptr(JsonNode) status = NULL;

  if (!lab_cli_parse (cli, "status", NULL,
                      _("Shows every piece of the lab (the steps of 'up' as recorded and as found now, "
                        "nodes, guests) and its health."),
                      LAB_CLI_OPT_RECIPE | LAB_CLI_OPT_JSON, NULL, &argc, &argv, error))
    return *error == NULL;
  if (argc > 1)
    {
      lab_cli_set_usage_error (error, "status", _("unexpected argument '%s'"), argv[1]);
      return FALSE;
    }
  stand = lab_stand_open (cli->recipe, FALSE, NULL, cli->cancellable, error);
  if (stand == NULL)
    return FALSE;
  status = lab_stand_status (&stand->ctx, stand->plan);
  if (cli->json)
    lab_cli_print_json (cli, status);
  else
    {
      g_autofree char *text = lab_stand_status_format (status);
      fputs (text, cli->out);
    }
  return TRUE;
}
