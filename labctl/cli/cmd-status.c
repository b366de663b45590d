/* cmd-status.c: `labctl status`: every piece of the lab and its health. */
#include "config.h"

#include "lab-cli.h"
#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-stand.h"

static gboolean
cmd_status (LabCli *cli, int argc, char **argv, GError **error)
{
  g_autoptr(LabStand) stand = NULL;
  g_autoptr(JsonNode) status = NULL;

  stand = lab_stand_open (cli->recipe, FALSE, NULL, cli->cancellable, error);
  if (stand == NULL)
    return FALSE;
  status = lab_stand_status (&stand->ctx, stand->plan);
  lab_cli_print_report (cli, status, lab_stand_status_format);
  /* as `systemctl is-active`: scripts can ask whether the lab is up */
  if (!json_object_get_boolean_member (json_node_get_object (status), "up"))
    cli->exit_code = LAB_EXIT_NOT_UP;
  return TRUE;
}

const LabCommand lab_command_status = {
  .name = "status",
  .summary = N_("Show every piece of the lab and its health"),
  .description = N_("Shows every piece of the lab (the steps of 'up' as recorded and as found now, "
                    "nodes, guests) and its health. Exit status 0 when the lab is up, 3 when it is not "
                    "(or not completely) up."),
  .common = LAB_CLI_OPT_RECIPE | LAB_CLI_OPT_JSON,
  .handler = cmd_status,
};
