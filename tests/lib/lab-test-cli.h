/* lab-test-cli.h: running the built labctl from tests. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  int   status;   /* exit status */
  char *out;      /* stdout */
  char *err;      /* stderr */
} LabTestRun;

void     lab_test_run_clear      (LabTestRun *run);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LabTestRun, lab_test_run_clear)

/* Runs argv with the test's environment plus env ("KEY=VALUE" sets, "KEY"
 * unsets; NULL-terminated, may be NULL), captures both outputs and logs
 * them with g_test_message(). FALSE (with a failed assertion) when it
 * could not run. */
gboolean lab_test_run_argv       (LabTestRun          *run,
                                  const char * const  *env,
                                  const char * const  *argv);
/* Runs $LABCTL (the build tree's labctl) with the NULL-terminated args. */
gboolean lab_test_run_labctl     (LabTestRun *run,
                                  ...) G_GNUC_NULL_TERMINATED;
gboolean lab_test_run_labctl_env (LabTestRun         *run,
                                  const char * const *env,
                                  ...) G_GNUC_NULL_TERMINATED;

/* The state letter of pid in /proc/PID/stat ('R', 'S', 'D', 'T' stopped,
 * 'Z' zombie ...), or 0 when there is no such process. */
char     lab_test_proc_state     (GPid pid);

G_END_DECLS
