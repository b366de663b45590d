/* lab-cli.h: the labctl command line: a command table as in virsh or fwupd.
 *
 * Each command lives in cmd-<name>.c with a handler
 *   gboolean lab_cmd_<name> (LabCli *cli, int argc, char **argv, GError **error);
 * argv[0] is the command name. Handlers parse their own options with
 * lab_cli_parse(), which adds the common options (--recipe, --json,
 * --dry-run, -v) and gives every command --help.
 */
#pragma once

#include <stdio.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _LabCli LabCli;

typedef gboolean (*LabCmdFunc) (LabCli *cli, int argc, char **argv, GError **error);

typedef struct {
  const char *name;
  const char *summary;      /* translatable (N_) */
  LabCmdFunc  handler;
  gboolean    hidden;
} LabCommand;

struct _LabCli {
  const LabCommand *commands;
  /* common options, filled by lab_cli_parse() */
  char     *recipe;         /* --recipe: path or shipped name; NULL = default */
  gboolean  json;
  gboolean  dry_run;
  int       verbose;
  /* output */
  FILE     *out;
  FILE     *err;
  gboolean  out_is_tty;
  gboolean  color;          /* tty and NO_COLOR unset */
  GCancellable *cancellable;  /* cancelled on SIGINT/SIGTERM */
  char     *log_path;       /* set by commands that log (lab_runner_get_log_path):
                               a failure message then ends with the log's path */
};

/* The table, defined in lab-cli.c. */
extern const LabCommand lab_cli_commands[];

/* Option parsing for a command. parameter_string: e.g. "FILE" or "[up|down|status]".
 * extra: the command's own entries (may be NULL). common: which common
 * options this command takes (LAB_CLI_OPT_* flags). On error a usage error
 * (exit 2). On --help prints help and returns FALSE with *error NULL:
 * handlers then return TRUE. */
typedef enum {
  LAB_CLI_OPT_NONE    = 0,
  LAB_CLI_OPT_RECIPE  = 1 << 0,
  LAB_CLI_OPT_JSON    = 1 << 1,
  LAB_CLI_OPT_DRY_RUN = 1 << 2,
  LAB_CLI_OPT_ALL     = 0x7,
} LabCliOptions;

gboolean lab_cli_parse           (LabCli        *cli,
                                  const char    *command,
                                  const char    *parameter_string,
                                  const char    *description,   /* translated text or NULL */
                                  LabCliOptions  common,
                                  const GOptionEntry *extra,
                                  int           *argc,
                                  char        ***argv,
                                  GError       **error);

/* Prints a JSON node to cli->out, pretty, with a trailing newline. */
void     lab_cli_print_json      (LabCli   *cli,
                                  JsonNode *node);
/* A usage error for handlers: "labctl CMD: message\nTry 'labctl CMD --help'." */
void     lab_cli_set_usage_error (GError    **error,
                                  const char *command,
                                  const char *format,
                                  ...) G_GNUC_PRINTF (3, 4);

int      lab_cli_main            (int argc, char **argv);

/* Handlers */
gboolean lab_cmd_check   (LabCli *cli, int argc, char **argv, GError **error);
gboolean lab_cmd_recipe  (LabCli *cli, int argc, char **argv, GError **error);
gboolean lab_cmd_up      (LabCli *cli, int argc, char **argv, GError **error);
gboolean lab_cmd_down    (LabCli *cli, int argc, char **argv, GError **error);
gboolean lab_cmd_reset   (LabCli *cli, int argc, char **argv, GError **error);
gboolean lab_cmd_status  (LabCli *cli, int argc, char **argv, GError **error);
gboolean lab_cmd_experiment (LabCli *cli, int argc, char **argv, GError **error);
gboolean lab_cmd_reap    (LabCli *cli, int argc, char **argv, GError **error);
gboolean lab_cmd_nodes   (LabCli *cli, int argc, char **argv, GError **error);
gboolean lab_cmd_storage (LabCli *cli, int argc, char **argv, GError **error);

G_END_DECLS
