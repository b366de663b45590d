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

static const GOptionEntry report_options[] = {
  { "format", 'f', 0, G_OPTION_ARG_STRING, &opt_format, N_("text (default), csv or html"), N_("FORMAT") },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output, N_("Write to FILE instead of standard output"),
    N_("FILE") },
  { NULL }
};

static const LabCliOptionComplete report_option_complete[] = {
  { "output", LAB_CLI_COMPLETE_FILES },
  { NULL }
};

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
    .parameter_string = N_("DIR"),
    .summary = N_("A table of seats x exercises from collected check results"),
    .description = N_("Reads every 'labctl exercise check NAME --json' result under DIR (one file per seat "
                      "and exercise, *.json) and prints a table of seats x exercises: PASS, or the first step "
                      "that did not pass with its hint. --format html writes one self-contained page."),
    .min_args = 1,
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
