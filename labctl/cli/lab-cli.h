/* lab-cli.h: the labctl command line: tables of commands and their verbs,
 * as in systemd's verb tables or virsh's command groups.
 *
 * Every command is a LabCommand row, defined in its cmd-<name>.c next to
 * its handler and listed in lab_cli_commands (lab-cli.c). A command may
 * carry verbs (`labctl nodes stop`): rows of the same type. The dispatcher
 * (lab_cli_main) does everything the rows declare, so a handler only does
 * its work:
 *  - finds the verb: the first word that is neither an option nor an
 *    option's value, so options go before or after it
 *    (`labctl storage --dry-run up`, `labctl nodes snapshot --list node1`);
 *    with no verb it runs the LAB_CLI_DEFAULT one, or is a usage error
 *    naming the verbs;
 *  - parses the row's options and the common ones it asks for, into the
 *    options' own variables and LabCli;
 *  - answers --help itself (`labctl CMD --help` lists the verbs,
 *    `labctl CMD VERB --help` shows the verb's usage and options): a
 *    handler never sees --help;
 *  - checks the number of positional arguments against min/max_args;
 *  - calls handler (cli, argc, argv, error) with argv[0] the row's name and
 *    argv[1..] the positional arguments.
 * The hidden `labctl __complete -- WORDS...` completes from the same rows
 * (lab-cli-complete.c).
 */
#pragma once

#include <stdio.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "lab-runner.h"

G_BEGIN_DECLS

typedef struct _LabCli LabCli;

typedef gboolean (*LabCmdFunc) (LabCli *cli, int argc, char **argv, GError **error);

/* The common options a row takes, besides -v and -h which every row has. */
typedef enum {
  LAB_CLI_OPT_NONE    = 0,
  LAB_CLI_OPT_RECIPE  = 1 << 0,
  LAB_CLI_OPT_JSON    = 1 << 1,
  LAB_CLI_OPT_DRY_RUN = 1 << 2,
  LAB_CLI_OPT_ALL     = 0x7,
  LAB_CLI_OPT_WAIT    = 1 << 3,   /* --wait: comes with LAB_CLI_LOCKS_LAB, never set by hand */
} LabCliOptions;

typedef enum {
  LAB_CLI_FLAGS_NONE = 0,
  LAB_CLI_HIDDEN     = 1 << 0,   /* not in --help nor offered by completion */
  LAB_CLI_DEFAULT    = 1 << 1,   /* the verb that runs when the command names none */
  /* It changes the lab: the dispatcher takes the lab's lock (lab-lock.h)
   * before the handler runs, except with --dry-run, and holds it until
   * the handler returns; another labctl holding it: exit 5 naming it, or
   * with --wait (which the row then takes) wait for it. */
  LAB_CLI_LOCKS_LAB  = 1 << 2,
} LabCliFlags;

/* What a word completes to. */
typedef enum {
  LAB_CLI_COMPLETE_NONE,      /* free text: nothing to offer */
  LAB_CLI_COMPLETE_NODES,     /* node names of the recipe (--recipe, or the default one) */
  LAB_CLI_COMPLETE_GUESTS,    /* guest names of the recipe */
  LAB_CLI_COMPLETE_RECIPES,   /* shipped recipe names and .lab files */
  LAB_CLI_COMPLETE_FILES,     /* any file */
  LAB_CLI_COMPLETE_DIRS,      /* directories */
  LAB_CLI_COMPLETE_EXERCISES, /* the exercises' names */
} LabCliComplete;

/* The value of option long_name (of the same row) completes to complete. */
typedef struct {
  const char     *long_name;
  LabCliComplete  complete;
} LabCliOptionComplete;

typedef struct _LabCommand LabCommand;

/* A row of the command table or of a command's verb table. Strings
 * marked N_() are translated when shown. */
struct _LabCommand {
  const char                 *name;
  const char                 *parameter_string;  /* N_: "NODE [SNAPSHOT]"; NULL: takes none;
                                                    a command with verbs: NULL (made from them) */
  const char                 *summary;           /* N_: one line, in the parent's list */
  const char                 *description;       /* N_: the text of --help; NULL: the summary */
  int                         min_args;          /* positional arguments */
  int                         max_args;          /* -1: no limit */
  LabCliOptions               common;
  const GOptionEntry         *options;           /* its own; NULL or {NULL}-terminated */
  const LabCliOptionComplete *option_complete;   /* NULL or {NULL}-terminated */
  LabCliComplete              complete;          /* the first positional argument */
  LabCliComplete              complete_more;     /* every later one */
  LabCmdFunc                  handler;           /* NULL for a command with verbs */
  LabCliFlags                 flags;
  const LabCommand           *verbs;             /* NULL or {NULL}-terminated */
};

struct _LabCli {
  const LabCommand * const *commands;
  char     *command;        /* "nodes stop": names the command in messages */
  /* common options, filled by the dispatcher */
  char     *recipe;         /* --recipe: path or shipped name; NULL = default */
  gboolean  json;
  gboolean  dry_run;
  gboolean  wait;           /* --wait: for the lab's lock */
  char     *progress;       /* --progress: NULL (text) or "json" */
  int       verbose;
  /* output */
  FILE     *out;
  FILE     *err;
  gboolean  out_is_tty;
  gboolean  color;          /* tty and NO_COLOR unset */
  GCancellable *cancellable;  /* cancelled on SIGINT/SIGTERM */
  char     *log_path;       /* set by commands that log (lab_runner_get_log_path):
                               a failure message then ends with the log's path */
  int       exit_code;      /* a handler that succeeds may set it (status: 3, not up) */
};

/* The table, in the order of `labctl --help` (lab-cli.c); NULL-terminated. */
extern const LabCommand * const lab_cli_commands[];

/* Options before the command: labctl's own (--version, --help, -v) and
 * the common ones, which go to the command as if given after its name. */
extern const LabCommand lab_cli_global;

/* Lookups in the tables, for the dispatcher and completion. */
const LabCommand   *lab_cli_find_command      (const LabCommand * const *commands,
                                               const char               *name);
const LabCommand   *lab_cli_find_verb         (const LabCommand *command,
                                               const char       *name);
/* Every option of row (its own, then the common ones it takes, -v, -h)
 * as a {NULL}-terminated GArray of GOptionEntry, for their names and
 * whether they take a value; with_verbs: and those of its verbs. */
GArray             *lab_cli_row_entries       (const LabCommand *row,
                                               gboolean          with_verbs);
/* The entry that arg ("--recipe", "--recipe=x", "-r", "-nr") names; NULL: none. */
const GOptionEntry *lab_cli_find_option       (GArray     *entries,
                                               const char *arg);
/* The next word is the value of option arg (entry may be NULL). */
gboolean            lab_cli_option_takes_next (const GOptionEntry *entry,
                                               const char         *arg);
/* What the value of entry, an option of row or of its verbs, completes to. */
LabCliComplete      lab_cli_option_complete   (const LabCommand   *row,
                                               const GOptionEntry *entry);
/* Index in argv (argc words, argv[0] the command) of the first word that
 * is neither an option nor the value of one of command's or its verbs'
 * options; 0: none. */
int                 lab_cli_find_first_arg    (const LabCommand *command,
                                               int               argc,
                                               char            **argv);

/* Prints a JSON node to cli->out, pretty, with a trailing newline. */
void     lab_cli_print_json      (LabCli   *cli,
                                  JsonNode *node);
/* node as JSON with --json, otherwise as the text to_text (node) makes. */
void     lab_cli_print_report    (LabCli   *cli,
                                  JsonNode *node,
                                  char   *(*to_text) (JsonNode *node));
/* Remembers the log the runner writes (none: nothing), so that a failure
 * of the command names it ("The log of every command is in ...", the JSON
 * error event's "log"). */
void     lab_cli_note_log        (LabCli    *cli,
                                  LabRunner *runner);
/* A usage error for handlers: "labctl CMD: message\nTry 'labctl CMD --help'." */
void     lab_cli_set_usage_error (GError    **error,
                                  const char *command,
                                  const char *format,
                                  ...) G_GNUC_PRINTF (3, 4);

int      lab_cli_main            (int argc, char **argv);

/* The rows (cmd-<name>.c) */
extern const LabCommand lab_command_check;
extern const LabCommand lab_command_recipe;
extern const LabCommand lab_command_up;
extern const LabCommand lab_command_down;
extern const LabCommand lab_command_reset;
extern const LabCommand lab_command_status;
extern const LabCommand lab_command_experiment;
extern const LabCommand lab_command_exercise;
extern const LabCommand lab_command_class;
extern const LabCommand lab_command_reap;
extern const LabCommand lab_command_nodes;
extern const LabCommand lab_command_storage;
extern const LabCommand lab_command_iso;
extern const LabCommand lab_command_complete;

G_END_DECLS
