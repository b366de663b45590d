/* lab-test-cli.c: running the built labctl from tests. */
#include "config.h"

#include "lab-test-cli.h"

#include <stdarg.h>
#include <string.h>

void
lab_test_run_clear (LabTestRun *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

gboolean
lab_test_run_argv (LabTestRun *run, const char * const *env, const char * const *argv)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;

  memset (run, 0, sizeof *run);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      const char *eq = strchr (env[i], '=');

      if (eq == NULL)
        g_subprocess_launcher_unsetenv (launcher, env[i]);
      else
        {
          g_autofree char *key = g_strndup (env[i], eq - env[i]);

          g_subprocess_launcher_setenv (launcher, key, eq + 1, TRUE);
        }
    }
  proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  if (proc == NULL)
    return FALSE;
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  if (error != NULL)
    return FALSE;
  run->status = g_subprocess_get_exit_status (proc);
  g_test_message ("%s: exit %d\nstdout: %s\nstderr: %s", argv[0], run->status, run->out, run->err);
  return TRUE;
}

static gboolean
run_labctl_va (LabTestRun *run, const char * const *env, va_list ap)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  const char *exe = g_getenv ("LABCTL");

  g_ptr_array_add (args, (gpointer) (exe != NULL ? exe : LABCTL_BUILD_DIR "/labctl/labctl"));
  for (const char *a = va_arg (ap, const char *); a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) a);
  g_ptr_array_add (args, NULL);
  return lab_test_run_argv (run, env, (const char * const *) args->pdata);
}

gboolean
lab_test_run_labctl (LabTestRun *run, ...)
{
  va_list ap;
  gboolean ok;

  va_start (ap, run);
  ok = run_labctl_va (run, NULL, ap);
  va_end (ap);
  return ok;
}

gboolean
lab_test_run_labctl_env (LabTestRun *run, const char * const *env, ...)
{
  va_list ap;
  gboolean ok;

  va_start (ap, env);
  ok = run_labctl_va (run, env, ap);
  va_end (ap);
  return ok;
}

char
lab_test_proc_state (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;
  const char *paren;

  if (!g_file_get_contents (path, &stat, NULL, NULL) || (paren = strrchr (stat, ')')) == NULL)
    return 0;
  return paren[2];
}
