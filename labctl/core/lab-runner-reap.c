/* lab-runner-reap.c: a command under a child subreaper (see
 * lab-runner-reap.h). fork and exec by hand: GSubprocess cannot forward
 * signals from a signal handler, and waitpid (-1) must reap every orphan,
 * which GLib's child watches would race with. */
#include "config.h"

#include "lab-runner-reap.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab-error.h"
#include "lab-i18n.h"

static volatile sig_atomic_t reap_child;

static void
forward_signal (int sig)
{
  if (reap_child > 0)
    kill ((pid_t) reap_child, sig);
}

int
lab_runner_reap_exec (char **argv, GError **error)
{
  static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
  struct sigaction sa;
  int status = 0;
  pid_t pid;

  if (prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot become a child subreaper: %s"),
                   g_strerror (errno));
      return -1;
    }
  pid = fork ();
  if (pid < 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot start %s: %s"), argv[0],
                   g_strerror (errno));
      return -1;
    }
  if (pid == 0)
    {
      /* the child: restore default signal handling, become COMMAND */
      memset (&sa, 0, sizeof sa);
      sa.sa_handler = SIG_DFL;
      for (guint i = 0; i < G_N_ELEMENTS (forwarded); i++)
        sigaction (forwarded[i], &sa, NULL);
      execvp (argv[0], argv);
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
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}
