/* cmd-class.c: `labctl class report DIR`: the instructor's table of many
 * seats' `labctl exercise check --json` results. */
#include "config.h"

#include <errno.h>

#include "lab-cli.h"
#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-stand-exercise.h"

static char *opt_format;
static char *opt_output;
static char *opt_hosts;
static char *opt_save;
static char *opt_labctl;
static char **opt_ssh_options;
static char **opt_exercises;
static int opt_timeout_s = 20;
static int opt_parallel = 8;

static const GOptionEntry report_options[] = {
  { "format", 'f', 0, G_OPTION_ARG_STRING, &opt_format, N_("text (default), csv or html"), N_("FORMAT") },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output, N_("Write to FILE instead of standard output"),
    N_("FILE") },
  { "hosts", 'H', 0, G_OPTION_ARG_FILENAME, &opt_hosts,
    N_("Fetch the results over ssh from the seats listed in FILE (a line: DESTINATION [SEAT]) instead of DIR"),
    N_("FILE") },
  { "save", 0, 0, G_OPTION_ARG_FILENAME, &opt_save,
    N_("With --hosts: keep the fetched results in DIR/SEAT/EXERCISE.json"), N_("DIR") },
  { "timeout", 't', 0, G_OPTION_ARG_INT, &opt_timeout_s,
    N_("With --hosts: seconds a seat may take, connection and checks together (default 20)"), N_("SECONDS") },
  { "parallel", 'j', 0, G_OPTION_ARG_INT, &opt_parallel, N_("With --hosts: seats fetched at once (default 8)"),
    N_("N") },
  { "ssh-option", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_ssh_options,
    N_("With --hosts: an ssh option for every seat (ssh -o OPTION), e.g. IdentityFile=~/.ssh/class; repeatable"),
    N_("OPTION") },
  { "exercise", 'e', 0, G_OPTION_ARG_STRING_ARRAY, &opt_exercises,
    N_("With --hosts: check only this exercise (repeatable; default: every exercise)"), N_("EXERCISE") },
  { "labctl", 0, 0, G_OPTION_ARG_STRING, &opt_labctl,
    N_("With --hosts: the labctl command on the seats, as their shell reads it (default: labctl)"),
    N_("COMMAND") },
  { NULL }
};

static const LabCliOptionComplete report_option_complete[] = {
  { "output", LAB_CLI_COMPLETE_FILES },
  { "hosts", LAB_CLI_COMPLETE_FILES },
  { "save", LAB_CLI_COMPLETE_DIRS },
  { "exercise", LAB_CLI_COMPLETE_EXERCISES },
  { NULL }
};

/* Progress: a line per seat as it is done, on stderr. */
static void
seat_done (const char *seat, const char *error, guint n_results, gpointer user_data)
{
  if (error != NULL)
    g_printerr (_("%s: unreachable: %s\n"), seat, error);
  else
    g_printerr (g_dngettext (GETTEXT_PACKAGE, "%s: %u result\n", "%s: %u results\n", n_results), seat, n_results);
}

static gboolean
class_report (LabCli *cli, int argc, char **argv, GError **error)
{
  LabClassReportFormat format = LAB_CLASS_REPORT_TEXT;
  g_autofree char *text = NULL;

  if (opt_format != NULL && !lab_class_report_format_from_string (opt_format, &format))
    {
      lab_cli_set_usage_error (error, "class report", _("--format must be text, csv or html, not '%s'"), opt_format);
      return FALSE;
    }
  if (opt_hosts != NULL && argc > 1)
    {
      lab_cli_set_usage_error (error, "class report", _("give DIR or --hosts FILE, not both"));
      return FALSE;
    }
  if (opt_hosts == NULL && argc < 2)
    {
      lab_cli_set_usage_error (error, "class report", _("give the directory of collected results, or --hosts FILE"));
      return FALSE;
    }
  if (opt_hosts == NULL && (opt_save != NULL || opt_ssh_options != NULL || opt_exercises != NULL || opt_labctl != NULL))
    {
      lab_cli_set_usage_error (error, "class report", _("--save, --ssh-option, --exercise and --labctl go with --hosts"));
      return FALSE;
    }
  if (opt_timeout_s <= 0 || opt_parallel <= 0)
    {
      lab_cli_set_usage_error (error, "class report", _("--timeout and --parallel must be positive"));
      return FALSE;
    }
  if (opt_hosts != NULL)
    {
      LabClassFetchOptions o = { 0 };

      for (guint i = 0; opt_exercises != NULL && opt_exercises[i] != NULL; i++)
        if (lab_stand_exercise_find (opt_exercises[i], error) == NULL)
          return FALSE;
      o.timeout_s = opt_timeout_s;
      o.parallel = opt_parallel;
      o.ssh_options = (const char * const *) opt_ssh_options;
      o.exercises = (const char * const *) opt_exercises;
      o.labctl = opt_labctl;
      o.seat_done = seat_done;
      text = lab_stand_class_report_hosts (opt_hosts, &o, opt_save, format, cli->json, error);
    }
  else
    text = lab_stand_class_report (argv[1], format, cli->json, error);
  if (text == NULL)
    return FALSE;
  if (opt_output != NULL)
    {
      if (!g_file_set_contents (opt_output, text, -1, error))
        {
          g_prefix_error (error, _("Cannot write the report: "));
          return FALSE;
        }
      return TRUE;
    }
  fputs (text, cli->out);
  if (cli->json)
    fputc ('\n', cli->out);
  return TRUE;
}

static const LabCommand class_verbs[] = {
  {
    .name = "report",
    .parameter_string = N_("[DIR]"),
    .summary = N_("A table of seats x exercises from collected check results, or fetched over ssh"),
    .description = N_("Reads every 'labctl exercise check NAME --json' result under DIR (one file per seat "
                      "and exercise, *.json) and prints a table of seats x exercises: PASS, or the first step "
                      "that did not pass with its hint. --format html writes one self-contained page. "
                      "With --hosts FILE instead of DIR, runs the checks on every seat listed there over ssh "
                      "(the system's ssh client, BatchMode: keys only, never a prompt), several seats at once, "
                      "each within --timeout; a seat that cannot be reached is a row saying why."),
    .min_args = 0,
    .max_args = 1,
    .common = LAB_CLI_OPT_JSON,
    .options = report_options,
    .option_complete = report_option_complete,
    .complete = LAB_CLI_COMPLETE_DIRS,
    .handler = class_report,
  },
  { NULL }
};

const LabCommand lab_command_class = {
  .name = "class",
  .summary = N_("For the instructor: the class report over many seats' results"),
  .verbs = class_verbs,
};
