/* cmd-reap.c: `labctl reap -- COMMAND...` (hidden): runs COMMAND as its
 * child and reaps every orphan that is reparented to it (a node's
 * libvirtd runs under it; see lab-runner-reap.h). It exits when COMMAND
 * does, with its status.
 */
#include "config.h"

#include "lab-cli.h"
#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-runner-reap.h"

static gboolean
cmd_reap (LabCli *cli, int argc, char **argv, GError **error)
{
  int status = lab_runner_reap_exec (argv + 1, error);

  if (status < 0)
    return FALSE;
  if (status == 0)
    return TRUE;
  g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("%s ended with status %d"), argv[1], status);
  return FALSE;
}

const LabCommand lab_command_reap = {
  .name = "reap",
  .parameter_string = N_("-- COMMAND [ARG...]"),
  .summary = N_("Run a command and reap the orphans it leaves (used for the nodes' libvirtd)"),
  .min_args = 1,
  .max_args = -1,
  .handler = cmd_reap,
  .flags = LAB_CLI_HIDDEN,
};
