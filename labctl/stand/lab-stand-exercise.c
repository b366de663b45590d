/* lab-stand-exercise.c: exercises on a stand, in a worker thread. */
#include "config.h"

#include <glib/gstdio.h>

#include "lab-stand-exercise.h"

#include "lab-error.h"
#include "lab-i18n.h"

const char **
lab_stand_exercise_names (void)
{
  static const char *names[16];

  if (names[0] == NULL)
    {
      const LabExercise * const *t = lab_exercise_table ();

      for (guint i = 0; t[i] != NULL && i + 1 < G_N_ELEMENTS (names); i++)
        names[i] = t[i]->name;
    }
  return names;
}

const LabExercise *
lab_stand_exercise_find (const char *name, GError **error)
{
  const LabExercise *ex = lab_exercise_find (name);

  if (ex == NULL)
    {
      g_autofree char *list = g_strjoinv (", ", (char **) lab_stand_exercise_names ());

      g_set_error (error, LAB_ERROR, LAB_ERROR_USAGE, _("No exercise '%s'; the exercises: %s"), name, list);
    }
  return ex;
}

JsonNode *
lab_stand_exercise_list (LabStand *stand)
{
  g_autoptr(LabExerciseEnv) env = lab_exercise_env_new (&stand->ctx, NULL);

  return lab_exercise_list_json (env);
}

typedef struct {
  const LabExercise *exercise;
  const char        *answers;
  char              *task;
  LabExerciseReport *report;
} Job;

static gboolean
run_start (LabStand *stand, gpointer data, GError **error)
{
  Job *job = data;
  g_autoptr(LabExerciseEnv) env = NULL;

  if (!lab_stand_prepare_dir (stand, error))
    return FALSE;
  env = lab_exercise_env_new (&stand->ctx, NULL);
  job->task = lab_exercise_start (env, job->exercise, error);
  return job->task != NULL;
}

char *
lab_stand_exercise_start (LabStand *stand, const LabExercise *exercise, char **out_guide, GError **error)
{
  Job job = { exercise, NULL, NULL, NULL };
  g_autofree char *guide = lab_exercise_guide_path (exercise);

  if (!lab_stand_run_in_thread (run_start, stand, &job, error))
    return NULL;
  *out_guide = g_file_test (guide, G_FILE_TEST_EXISTS) ? g_steal_pointer (&guide) : NULL;
  return job.task;
}

static gboolean
run_check (LabStand *stand, gpointer data, GError **error)
{
  Job *job = data;
  g_autoptr(LabExerciseEnv) env = lab_exercise_env_new (&stand->ctx, NULL);

  env->answers = job->answers;
  job->report = lab_exercise_check (env, job->exercise, error);
  return job->report != NULL;
}

LabExerciseReport *
lab_stand_exercise_check (LabStand *stand, const LabExercise *exercise, const char *answers, GError **error)
{
  Job job = { exercise, answers, NULL, NULL };

  if (!lab_stand_run_in_thread (run_check, stand, &job, error))
    return NULL;
  return job.report;
}

static gboolean
run_finish (LabStand *stand, gpointer data, GError **error)
{
  Job *job = data;
  g_autoptr(LabExerciseEnv) env = lab_exercise_env_new (&stand->ctx, NULL);

  return lab_exercise_finish (env, job->exercise, error);
}

gboolean
lab_stand_exercise_finish (LabStand *stand, const LabExercise *exercise, GError **error)
{
  Job job = { exercise, NULL, NULL, NULL };

  return lab_stand_run_in_thread (run_finish, stand, &job, error);
}

gboolean
lab_stand_exercise_finish_all (LabStand *stand, GError **error)
{
  g_autoptr(LabExerciseEnv) env = lab_exercise_env_new (&stand->ctx, NULL);
  const LabExercise * const *t = lab_exercise_table ();

  for (guint i = 0; t[i] != NULL; i++)
    if (lab_exercise_is_started (env, t[i]) && !lab_exercise_finish (env, t[i], error))
      {
        g_prefix_error (error, _("Cannot finish exercise %s before taking the lab down: "), t[i]->name);
        return FALSE;
      }
  return TRUE;
}

static gboolean
run_watch (LabStand *stand, gpointer data, GError **error)
{
  Job *job = data;
  g_autoptr(LabExerciseEnv) env = lab_exercise_env_new (&stand->ctx, NULL);

  return lab_exercise_watch (env, job->exercise, error);
}

gboolean
lab_stand_exercise_watch (LabStand *stand, const LabExercise *exercise, GError **error)
{
  Job job = { exercise, NULL, NULL, NULL };

  return lab_stand_run_in_thread (run_watch, stand, &job, error);
}

char *
lab_stand_class_report (const char *dir, LabClassReportFormat format, gboolean json, GError **error)
{
  g_autoptr(JsonNode) report = lab_class_report_load (dir, error);

  if (report == NULL)
    return NULL;
  if (json)
    return json_to_string (report, TRUE);
  return lab_class_report_render (report, format);
}

/* Removes what the fetch wrote into the temporary dir: SEAT/NAME.json. */
static void
remove_fetched (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *seat;

  while (d != NULL && (seat = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *seat_dir = g_build_filename (dir, seat, NULL);
      g_autoptr(GDir) sd = g_dir_open (seat_dir, 0, NULL);
      const char *name;

      while (sd != NULL && (name = g_dir_read_name (sd)) != NULL)
        if (g_str_has_suffix (name, ".json"))
          {
            g_autofree char *path = g_build_filename (seat_dir, name, NULL);

            g_remove (path);
          }
      g_rmdir (seat_dir);
    }
  g_rmdir (dir);
}

char *
lab_stand_class_report_hosts (const char *hosts, const LabClassFetchOptions *options, const char *save_dir,
                              LabClassReportFormat format, gboolean json, GError **error)
{
  g_autoptr(GPtrArray) seats = lab_class_hosts_load (hosts, error);
  g_autoptr(JsonNode) report = NULL;
  g_autofree char *tmp = NULL;

  if (seats == NULL)
    return NULL;
  if (save_dir == NULL)
    {
      tmp = g_dir_make_tmp ("labctl-class-XXXXXX", error);
      if (tmp == NULL)
        return NULL;
    }
  report = lab_class_report_fetch (seats, options, save_dir != NULL ? save_dir : tmp, error);
  if (tmp != NULL)
    remove_fetched (tmp);
  if (report == NULL)
    return NULL;
  if (json)
    return json_to_string (report, TRUE);
  return lab_class_report_render (report, format);
}
