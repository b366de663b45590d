/* cmd-reap.c: `labctl reap -- COMMAND...` (hidden): runs COMMAND as its
 * child and reaps every orphan that is reparented to it.
 *
 * A node's libvirtd runs under it (lab-container.c); the fork, exec and
 * reaping are lab_runner_reap_exec()'s (processes are spawned only in
 * core/lab-runner*.c). It exits when COMMAND does, with its status.
 */
#include "config.h"

#include "lab-cli.h"
#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-runner-reap.h"

gboolean
lab_cmd_reap (LabCli *cli, int argc, char **argv, GError **error)
{
  int first = 1;
  int status;

  if (argc > 1 && g_str_equal (argv[1], "--"))
    first = 2;
  if (first >= argc)
    {
      lab_cli_set_usage_error (error, "reap", _("usage: labctl reap -- COMMAND [ARG...]"));
      return FALSE;
    }
  status = lab_runner_reap_exec (argv + first, error);
  if (status < 0)
    return FALSE;
  if (status == 0)
    return TRUE;
  g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("%s ended with status %d"), argv[first], status);
  return FALSE;
}
