/* cmd-exercise.c: `labctl exercise list | start | check | hint | finish`:
 * graded exercises on a lab that is up (exercises/lab-exercise.h).
 *
 * Exit codes of check and hint: 0 every step passed; 1 a step failed (the
 * student's work is not done yet); 3 no step failed but the checker could
 * not run one (ERROR: not the student's fault; the message says why);
 * 2 usage; 4 privileges. */
#include "config.h"

#include "lab-cli.h"
#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-stand.h"
#include "lab-stand-exercise.h"

static char *opt_answers;

static const GOptionEntry check_options[] = {
  { "answers", 'a', 0, G_OPTION_ARG_FILENAME, &opt_answers,
    N_("storage: the file with your answers (default: storage-answers.txt)"), N_("FILE") },
  { NULL }
};

static const LabCliOptionComplete check_option_complete[] = {
  { "answers", LAB_CLI_COMPLETE_FILES },
  { NULL }
};

static LabStand *
open_stand (LabCli *cli, GError **error)
{
  return lab_stand_open (cli->recipe, FALSE, cli->out_is_tty && !cli->json ? cli->err : NULL, cli->cancellable,
                         error);
}

static gboolean
exercise_list (LabCli *cli, int argc, char **argv, GError **error)
{
  g_autoptr(LabStand) stand = open_stand (cli, error);
  g_autoptr(JsonNode) list = NULL;

  if (stand == NULL)
    return FALSE;
  list = lab_stand_exercise_list (stand);
  lab_cli_print_report (cli, list, lab_exercise_list_format);
  return TRUE;
}

/* { "exercise": NAME, KEY: VALUE ... } (a NULL value: null), NULL-terminated pairs. */
static void
print_json (LabCli *cli, const LabExercise *ex, const char *first_key, ...)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  va_list ap;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "exercise");
  json_builder_add_string_value (b, ex->name);
  va_start (ap, first_key);
  for (const char *key = first_key; key != NULL; key = va_arg (ap, const char *))
    {
      const char *value = va_arg (ap, const char *);

      json_builder_set_member_name (b, key);
      if (value != NULL)
        json_builder_add_string_value (b, value);
      else
        json_builder_add_null_value (b);
    }
  va_end (ap);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  lab_cli_print_json (cli, node);
}

static gboolean
exercise_start (LabCli *cli, int argc, char **argv, GError **error)
{
  const LabExercise *ex = lab_stand_exercise_find (argv[1], error);
  g_autoptr(LabStand) stand = NULL;
  g_autofree char *task = NULL;
  g_autofree char *guide = NULL;

  if (ex == NULL)
    return FALSE;
  stand = open_stand (cli, error);
  if (stand == NULL)
    return FALSE;
  lab_cli_note_log (cli, stand->runner);
  task = lab_stand_exercise_start (stand, ex, &guide, error);
  if (task == NULL)
    return FALSE;
  if (cli->json)
    print_json (cli, ex, "task", task, "guide", guide, NULL);
  else
    {
      fprintf (cli->out, _("Exercise %s: %s\n\n"), ex->name, _(ex->title));
      fputs (task, cli->out);
      if (guide != NULL)
        fprintf (cli->out, _("\nThe guide: %s\n"), guide);
    }
  return TRUE;
}

/* Prints the report (all of it, or for hint only the first step not
 * passed) and turns it into the exit code. */
static gboolean
report_result (LabCli *cli, LabExerciseReport *report, gboolean hint_only, GError **error)
{
  if (cli->json)
    {
      g_autoptr(JsonNode) node = lab_exercise_report_to_json (report);
      lab_cli_print_json (cli, node);
    }
  else if (!hint_only)
    {
      g_autofree char *text = lab_exercise_report_format (report);
      fputs (text, cli->out);
    }
  else
    {
      LabExerciseStep *first = NULL;

      for (guint i = 0; i < report->steps->len && first == NULL; i++)
        if (((LabExerciseStep *) g_ptr_array_index (report->steps, i))->result != LAB_EXERCISE_PASS)
          first = g_ptr_array_index (report->steps, i);
      if (first == NULL)
        fprintf (cli->out, _("Every step of exercise %s passes: nothing to hint.\n"), report->exercise);
      else
        fprintf (cli->out, "%s %s: %s\n  %s\n", lab_exercise_result_to_string (first->result), first->id,
                 first->title, first->hint != NULL ? first->hint : "");
    }
  if (lab_exercise_report_passed (report))
    return TRUE;
  for (guint i = 0; i < report->steps->len; i++)
    if (((LabExerciseStep *) g_ptr_array_index (report->steps, i))->result == LAB_EXERCISE_FAIL)
      return FALSE;   /* exit 1: the report said why */
  g_set_error (error, LAB_ERROR, LAB_ERROR_INCOMPLETE,
               _("some steps of exercise %s could not be checked (ERROR): they do not count against you; "
                 "fix what they say and check again"), report->exercise);
  return FALSE;
}

static gboolean
check_or_hint (LabCli *cli, char **argv, gboolean hint_only, GError **error)
{
  const LabExercise *ex = lab_stand_exercise_find (argv[1], error);
  g_autoptr(LabStand) stand = NULL;
  g_autoptr(LabExerciseReport) report = NULL;

  if (ex == NULL)
    return FALSE;
  stand = open_stand (cli, error);
  if (stand == NULL)
    return FALSE;
  report = lab_stand_exercise_check (stand, ex, opt_answers, error);
  if (report == NULL)
    return FALSE;
  return report_result (cli, report, hint_only, error);
}

static gboolean
exercise_check (LabCli *cli, int argc, char **argv, GError **error)
{
  return check_or_hint (cli, argv, FALSE, error);
}

static gboolean
exercise_hint (LabCli *cli, int argc, char **argv, GError **error)
{
  return check_or_hint (cli, argv, TRUE, error);
}

static gboolean
exercise_finish (LabCli *cli, int argc, char **argv, GError **error)
{
  const LabExercise *ex = lab_stand_exercise_find (argv[1], error);
  g_autoptr(LabStand) stand = NULL;

  if (ex == NULL)
    return FALSE;
  stand = open_stand (cli, error);
  if (stand == NULL)
    return FALSE;
  if (!lab_stand_exercise_finish (stand, ex, error))
    return FALSE;
  if (cli->json)
    print_json (cli, ex, "finished", "yes", NULL);
  else
    fprintf (cli->out, _("Exercise %s finished: what it made is removed.\n"), ex->name);
  return TRUE;
}

static gboolean
exercise_watch (LabCli *cli, int argc, char **argv, GError **error)
{
  const LabExercise *ex = lab_stand_exercise_find (argv[1], error);
  g_autoptr(LabStand) stand = NULL;

  if (ex == NULL)
    return FALSE;
  stand = lab_stand_open (cli->recipe, FALSE, NULL, cli->cancellable, error);
  return stand != NULL && lab_stand_exercise_watch (stand, ex, error);
}

#define EXERCISE_VERB(verb, summary_text, description_text, fn)                                                     \
  {                                                                                                                \
    .name = verb, .parameter_string = N_("EXERCISE"), .summary = summary_text, .description = description_text,    \
    .min_args = 1, .max_args = 1, .common = LAB_CLI_OPT_RECIPE | LAB_CLI_OPT_JSON, .handler = fn,                  \
    .complete = LAB_CLI_COMPLETE_EXERCISES, .flags = LAB_CLI_LOCKS_LAB,                                                                                 \
  }

static const LabCommand exercise_verbs[] = {
  {
    .name = "list",
    .summary = N_("The exercises, and whether this lab can run them"),
    .common = LAB_CLI_OPT_RECIPE | LAB_CLI_OPT_JSON,
    .handler = exercise_list,
    .flags = LAB_CLI_DEFAULT,
  },
  EXERCISE_VERB ("start", N_("Prepare the lab for an exercise and print the task"),
                 N_("Prepares the lab for the exercise (a VM to work on, a watcher that records what the guest "
                    "shows), records what it made in the lab's state, and prints the task and the guide's path."),
                 exercise_start),
  {
    .name = "check",
    .parameter_string = N_("EXERCISE"),
    .summary = N_("Grade the exercise step by step"),
    .description = N_("Reads the lab's real objects and grades the exercise step by step: PASS, FAIL with a "
                      "hint, or ERROR (the checker could not run the step: not counted against you). Exit "
                      "status 0 when every step passes, 1 when a step failed, 3 when none failed but one "
                      "could not be checked."),
    .min_args = 1,
    .max_args = 1,
    .common = LAB_CLI_OPT_RECIPE | LAB_CLI_OPT_JSON,
    .options = check_options,
    .option_complete = check_option_complete,
    .complete = LAB_CLI_COMPLETE_EXERCISES,
    .handler = exercise_check,
    /* check migrate records the probe's figures in the state */
    .flags = LAB_CLI_LOCKS_LAB,
  },
  {
    .name = "hint",
    .parameter_string = N_("EXERCISE"),
    .summary = N_("The hint for the first step that does not pass yet"),
    .description = N_("Checks the exercise and shows only the first step that does not pass, with its hint. "
                      "Exit status as for check."),
    .min_args = 1,
    .max_args = 1,
    .common = LAB_CLI_OPT_RECIPE | LAB_CLI_OPT_JSON,
    .options = check_options,
    .option_complete = check_option_complete,
    .complete = LAB_CLI_COMPLETE_EXERCISES,
    .handler = exercise_hint,
    .flags = LAB_CLI_LOCKS_LAB,
  },
  EXERCISE_VERB ("finish", N_("Remove what the exercise made"),
                 N_("Removes what 'start' made (its VMs, and copies of them that carry its mark, its disks "
                    "and files, its watcher) and nothing else, and forgets the exercise."),
                 exercise_finish),
  {
    .name = "watch",
    .parameter_string = N_("EXERCISE"),
    .summary = N_("Record what the exercise's guest shows (started by start)"),
    .min_args = 1,
    .max_args = 1,
    .common = LAB_CLI_OPT_RECIPE,
    .handler = exercise_watch,
    .flags = LAB_CLI_HIDDEN,
  },
  { NULL }
};

const LabCommand lab_command_exercise = {
  .name = "exercise",
  .summary = N_("Graded exercises: list, start, check, hint, finish"),
  .common = LAB_CLI_OPT_RECIPE | LAB_CLI_OPT_JSON,
  .verbs = exercise_verbs,
};
