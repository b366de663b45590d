/* cmd-reap.c: `labctl reap -- COMMAND...` (hidden): runs COMMAND as its
 * child and reaps every orphan that is reparented to it.
 *
 * A node's libvirtd runs under it (lab-container.c): libvirt daemonizes
 * each QEMU, so a QEMU's parent is the nearest child subreaper or PID 1.
 * Where PID 1 reaps late, a destroyed QEMU stays a zombie and libvirt
 * waits for it (about 2 s per destroy, restore or migration). As the
 * subreaper of the node's daemons, this process reaps at once. Signals
 * (TERM, INT, HUP, QUIT) are forwarded to COMMAND; it exits when COMMAND
 * does, with its status.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab-cli.h"
#include "lab-error.h"
#include "lab-i18n.h"

static volatile sig_atomic_t reap_child;

static void
forward_signal (int sig)
{
  if (reap_child > 0)
    kill ((pid_t) reap_child, sig);
}

gboolean
lab_cmd_reap (LabCli *cli, int argc, char **argv, GError **error)
{
  static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
  struct sigaction sa;
  int first = 1;
  int status = 0;
  pid_t pid;

  if (argc > 1 && g_str_equal (argv[1], "--"))
    first = 2;
  if (first >= argc)
    {
      lab_cli_set_usage_error (error, "reap", _("usage: labctl reap -- COMMAND [ARG...]"));
      return FALSE;
    }
  if (prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot become a child subreaper: %s"),
                   g_strerror (errno));
      return FALSE;
    }
  pid = fork ();
  if (pid < 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot start %s: %s"), argv[first],
                   g_strerror (errno));
      return FALSE;
    }
  if (pid == 0)
    {
      /* the child: restore default signal handling, become COMMAND */
      memset (&sa, 0, sizeof sa);
      sa.sa_handler = SIG_DFL;
      for (guint i = 0; i < G_N_ELEMENTS (forwarded); i++)
        sigaction (forwarded[i], &sa, NULL);
      execvp (argv[first], argv + first);
      _exit (127);
    }
  reap_child = pid;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = forward_signal;
  for (guint i = 0; i < G_N_ELEMENTS (forwarded); i++)
    sigaction (forwarded[i], &sa, NULL);

  for (;;)
    {
      int st = 0;
      pid_t w = waitpid (-1, &st, 0);

      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        break;  /* ECHILD */
      if (w == pid)
        {
          status = st;
          break;
        }
    }
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return TRUE;
  g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("%s ended with status %d"), argv[first],
               WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status));
  return FALSE;
}
