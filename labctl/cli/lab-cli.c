/* lab-cli.c: the command table, the common options, the dispatcher. */
#include "config.h"

#include "lab-cli.h"

#include <errno.h>
#include <glib-unix.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-lock.h"
#include "lab-recipe.h"
#include "lab-state.h"
#include "lab-json.h"
#include "lab-plan.h"

const LabCommand * const lab_cli_commands[] = {
  /* in the order a user meets them */
  &lab_command_check,
  &lab_command_recipe,
  &lab_command_up,
  &lab_command_status,
  &lab_command_experiment,
  &lab_command_exercise,
  &lab_command_class,
  &lab_command_reset,
  &lab_command_down,
  &lab_command_reap,
  &lab_command_nodes,
  &lab_command_storage,
  &lab_command_iso,
  &lab_command_complete,
  NULL,
};

/* The common options. arg_data is filled in per parse (into LabCli), so
 * these are templates. */
static const GOptionEntry common_entries[] = {
  { "recipe", 'r', 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Lab recipe: a .lab file or the name of a shipped recipe (default: proxmox-3node)"), N_("RECIPE") },
  { "json", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Machine-readable JSON output"), NULL },
  { "dry-run", 'n', 0, G_OPTION_ARG_NONE, NULL,
    N_("Print the equivalent shell commands instead of running them"), NULL },
  { "wait", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("When another labctl is changing the lab, wait for it instead of exiting with code 5"), NULL },
  { "progress", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("How progress is shown: text (default) or json (one JSON object per line on stdout, for programs)"),
    N_("FORMAT") },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, NULL, N_("Show more detail"), NULL },
  { "help", 'h', 0, G_OPTION_ARG_NONE, NULL, N_("Show this help"), NULL },
};
/* The flag that brings each of them; 0: every row has it. */
static const LabCliOptions common_flags[] = {
  LAB_CLI_OPT_RECIPE, LAB_CLI_OPT_JSON, LAB_CLI_OPT_DRY_RUN, LAB_CLI_OPT_WAIT, 0, 0, 0,
};
G_STATIC_ASSERT (G_N_ELEMENTS (common_entries) == G_N_ELEMENTS (common_flags));

static const GOptionEntry global_entries[] = {
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version"), NULL },
  { NULL }
};

/* Options before the command: labctl's own, and the common ones, which
 * go to the command as if given after its name. */
const LabCommand lab_cli_global = {
  .name = "labctl",
  .common = LAB_CLI_OPT_ALL | LAB_CLI_OPT_WAIT,
  .options = global_entries,
};

const LabCommand *
lab_cli_find_command (const LabCommand * const *commands, const char *name)
{
  for (const LabCommand * const *c = commands; *c != NULL; c++)
    if (g_strcmp0 ((*c)->name, name) == 0)
      return *c;
  return NULL;
}

const LabCommand *
lab_cli_find_verb (const LabCommand *command, const char *name)
{
  for (const LabCommand *v = command->verbs; v != NULL && v->name != NULL; v++)
    if (g_strcmp0 (v->name, name) == 0)
      return v;
  return NULL;
}

static const LabCommand *
find_default_verb (const LabCommand *command)
{
  for (const LabCommand *v = command->verbs; v != NULL && v->name != NULL; v++)
    if (v->flags & LAB_CLI_DEFAULT)
      return v;
  return NULL;
}

/* row's own options, then the common ones it takes, storing into values
 * (one per common_entries; NULL: for names and arities only). */
static GArray *
entries_for (const LabCommand *row, gpointer const *values)
{
  GArray *entries = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));
  LabCliOptions common = row->common | (row->flags & LAB_CLI_LOCKS_LAB ? LAB_CLI_OPT_WAIT : 0);

  for (const GOptionEntry *e = row->options; e != NULL && e->long_name != NULL; e++)
    g_array_append_vals (entries, e, 1);
  for (guint i = 0; i < G_N_ELEMENTS (common_entries); i++)
    if (common_flags[i] == 0 || (common & common_flags[i]))
      {
        GOptionEntry e = common_entries[i];

        e.arg_data = values != NULL ? values[i] : NULL;
        g_array_append_val (entries, e);
      }
  return entries;
}

GArray *
lab_cli_row_entries (const LabCommand *row, gboolean with_verbs)
{
  GArray *entries = entries_for (row, NULL);

  for (const LabCommand *v = row->verbs; with_verbs && v != NULL && v->name != NULL; v++)
    {
      g_autoptr(GArray) more = entries_for (v, NULL);

      g_array_append_vals (entries, more->data, more->len);
    }
  return entries;
}

const GOptionEntry *
lab_cli_find_option (GArray *entries, const char *arg)
{
  if (g_str_has_prefix (arg, "--"))
    {
      size_t len = strcspn (arg + 2, "=");

      for (guint i = 0; i < entries->len; i++)
        {
          const GOptionEntry *e = &g_array_index (entries, GOptionEntry, i);

          if (strlen (e->long_name) == len && strncmp (e->long_name, arg + 2, len) == 0)
            return e;
        }
    }
  else if (arg[0] == '-' && arg[1] != '\0')
    {
      /* in a cluster ("-nv") only the last letter can take a value */
      char c = arg[strlen (arg) - 1];

      for (guint i = 0; i < entries->len; i++)
        if (g_array_index (entries, GOptionEntry, i).short_name == c)
          return &g_array_index (entries, GOptionEntry, i);
    }
  return NULL;
}

gboolean
lab_cli_option_takes_next (const GOptionEntry *entry, const char *arg)
{
  return entry != NULL && entry->arg != G_OPTION_ARG_NONE && strchr (arg, '=') == NULL;
}

int
lab_cli_find_first_arg (const LabCommand *command, int argc, char **argv)
{
  g_autoptr(GArray) entries = lab_cli_row_entries (command, TRUE);

  for (int i = 1; i < argc; i++)
    {
      const char *arg = argv[i];

      if (g_str_equal (arg, "--"))
        return i + 1 < argc ? i + 1 : 0;
      if (arg[0] != '-' || arg[1] == '\0')
        return i;
      if (lab_cli_option_takes_next (lab_cli_find_option (entries, arg), arg))
        i++;
    }
  return 0;
}

LabCliComplete
lab_cli_option_complete (const LabCommand *row, const GOptionEntry *entry)
{
  if (g_str_equal (entry->long_name, "recipe"))
    return LAB_CLI_COMPLETE_RECIPES;
  for (const LabCliOptionComplete *o = row->option_complete; o != NULL && o->long_name != NULL; o++)
    if (g_str_equal (o->long_name, entry->long_name))
      return o->complete;
  for (const LabCommand *v = row->verbs; v != NULL && v->name != NULL; v++)
    {
      LabCliComplete complete = lab_cli_option_complete (v, entry);

      if (complete != LAB_CLI_COMPLETE_NONE)
        return complete;
    }
  return LAB_CLI_COMPLETE_NONE;
}

/* "up, down, status": the verbs a user may name. */
static char *
verb_names (const LabCommand *command)
{
  g_autoptr(GString) names = g_string_new (NULL);

  for (const LabCommand *v = command->verbs; v->name != NULL; v++)
    if (!(v->flags & LAB_CLI_HIDDEN))
      g_string_append_printf (names, "%s%s", names->len > 0 ? ", " : "", v->name);
  return g_string_free (g_steal_pointer (&names), FALSE);
}

/* The words after "labctl CMD [OPTION…]" in the usage line. A command
 * with verbs: "up|down|status", "[list|start|…] [ARGUMENT...]" when one
 * verb is the default and some take arguments. */
static char *
parameter_string (const LabCommand *row)
{
  g_autoptr(GString) param = NULL;
  gboolean any_args = FALSE;

  if (row->verbs == NULL)
    return g_strdup (row->parameter_string != NULL ? _(row->parameter_string) : "");
  param = g_string_new (NULL);
  for (const LabCommand *v = row->verbs; v->name != NULL; v++)
    if (!(v->flags & LAB_CLI_HIDDEN))
      {
        g_string_append_printf (param, "%s%s", param->len > 0 ? "|" : "", v->name);
        any_args |= v->max_args != 0;
      }
  if (find_default_verb (row) != NULL)
    {
      g_string_prepend_c (param, '[');
      g_string_append_c (param, ']');
    }
  if (any_args)
    g_string_append_printf (param, " %s", _("[ARGUMENT...]"));
  return g_string_free (g_steal_pointer (&param), FALSE);
}

/* A new option context for row, named "labctl <path>" in its usage line,
 * storing into values (see entries_for). */
static GOptionContext *
row_context (const char *path, const LabCommand *row, gpointer const *values)
{
  g_autofree char *prgname = g_strdup_printf ("labctl %s", path);
  g_autofree char *param = parameter_string (row);
  g_autoptr(GArray) entries = entries_for (row, values);
  GOptionContext *ctx;

  /* GOption prints "Usage: <prgname> [OPTION…] <parameter_string>" */
  g_set_prgname (prgname);
  ctx = g_option_context_new (param);
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_set_help_enabled (ctx, FALSE);
  /* copies the entries */
  g_option_context_add_main_entries (ctx, (GOptionEntry *) entries->data, GETTEXT_PACKAGE);
  return ctx;
}

/* pads to width characters (not bytes: the translations are UTF-8) */
static void
append_padded (GString *out, const char *text, glong width)
{
  g_string_append (out, text);
  for (glong n = g_utf8_strlen (text, -1); n < width; n++)
    g_string_append_c (out, ' ');
}

/* "stop [NODE...]": a verb and its arguments, in the list of verbs. */
static char *
verb_head (const LabCommand *verb)
{
  if (verb->parameter_string == NULL)
    return g_strdup (verb->name);
  return g_strdup_printf ("%s %s", verb->name, _(verb->parameter_string));
}

/* "Actions:" and a line per verb: "  stop [NODE...]   Shut nodes down ...". */
static void
append_verbs (GString *out, const LabCommand *command)
{
  glong width = 0;

  for (const LabCommand *v = command->verbs; v->name != NULL; v++)
    {
      g_autofree char *head = verb_head (v);

      if (!(v->flags & LAB_CLI_HIDDEN))
        width = MAX (width, g_utf8_strlen (head, -1));
    }
  g_string_append_printf (out, "\n\n%s", _("Actions:"));
  for (const LabCommand *v = command->verbs; v->name != NULL; v++)
    {
      g_autofree char *head = verb_head (v);

      if (v->flags & LAB_CLI_HIDDEN)
        continue;
      g_string_append (out, "\n  ");
      append_padded (out, head, width + 2);
      g_string_append (out, _(v->summary));
      if (v->flags & LAB_CLI_DEFAULT)
        g_string_append_printf (out, " %s", _("(the default)"));
    }
}

/* `labctl <path> --help`: the usage line, the description (a command with
 * verbs: and its verbs), the options. */
static void
print_help (LabCli *cli, const char *path, const LabCommand *row)
{
  g_autoptr(GOptionContext) ctx = row_context (path, row, NULL);
  g_autoptr(GString) summary = g_string_new (_(row->description != NULL ? row->description : row->summary));
  g_autofree char *text = NULL;

  if (row->verbs != NULL)
    {
      g_autofree char *footer = g_strdup_printf (_("Run 'labctl %s ACTION --help' for the arguments and options "
                                                   "of an action."), path);

      append_verbs (summary, row);
      g_option_context_set_description (ctx, footer);
    }
  g_option_context_set_summary (ctx, summary->str);
  text = g_option_context_get_help (ctx, TRUE, NULL);
  fputs (text, cli->out);
}

static void
print_main_help (LabCli *cli, FILE *stream)
{
  fprintf (stream, _("Usage: %s [--version] [--help] COMMAND [OPTIONS]\n"), "labctl");
  fprintf (stream, "\n%s\n\n", _("Builds a nested-virtualization teaching stand on this machine from a recipe."));
  fprintf (stream, "%s\n", _("Commands:"));
  for (const LabCommand * const *c = cli->commands; *c != NULL; c++)
    if (!((*c)->flags & LAB_CLI_HIDDEN))
      fprintf (stream, "  %-12s %s\n", (*c)->name, _((*c)->summary));
  fprintf (stream, "\n%s\n", _("Run 'labctl COMMAND --help' for the options of a command."));
  fprintf (stream, "%s\n", _("Exit codes: 0 success, 1 failure, 2 usage error, 3 lab not up (status), "
                              "4 needs privileges, 5 lab busy (another labctl is changing it), 130 interrupted."));
}

void
lab_cli_set_usage_error (GError **error, const char *command, const char *format, ...)
{
  g_autofree char *msg = NULL;
  va_list ap;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, LAB_ERROR, LAB_ERROR_USAGE, _("%s\nTry 'labctl %s --help'."),
               msg, command != NULL ? command : "");
}

/* Parses *argv (argv[0]: the row's name) against row's options into their
 * variables and cli. Then *argv holds argv[0] and the positional
 * arguments; *help tells whether --help was given. Usage errors point to
 * `labctl command --help`. */
static gboolean
parse_row (LabCli *cli, const char *command, const LabCommand *row, gboolean *help,
           int *argc, char ***argv, GError **error)
{
  gboolean verbose = FALSE;
  gpointer const values[G_N_ELEMENTS (common_entries)] = { &cli->recipe, &cli->json,     &cli->dry_run, &cli->wait,
                                                           &cli->progress, &verbose, help };
  g_autoptr(GOptionContext) ctx = row_context (cli->command, row, values);
  g_autoptr(GError) local_error = NULL;

  if (!g_option_context_parse (ctx, argc, argv, &local_error))
    {
      lab_cli_set_usage_error (error, command, "%s", local_error->message);
      return FALSE;
    }
  if (verbose)
    cli->verbose++;
  /* GOption keeps the "--" that ends the options when a word that looks
   * like an option follows it (`labctl reap -- sh -c ...`), and only then:
   * so the first "--" left is that one, and no argument */
  for (int i = 1; i < *argc; i++)
    if (g_str_equal ((*argv)[i], "--"))
      {
        memmove (*argv + i, *argv + i + 1, (*argc - i - 1) * sizeof (char *));
        (*argc)--;
        (*argv)[*argc] = NULL;
        break;
      }
  return TRUE;
}

/* The number of positional arguments (argv[1..argc-1]) against the row's. */
static gboolean
check_arg_count (LabCli *cli, const char *command, const LabCommand *row, int argc, char **argv, GError **error)
{
  int n = argc - 1;
  g_autofree char *usage = NULL;

  if (n >= row->min_args && (row->max_args < 0 || n <= row->max_args))
    return TRUE;
  if (row->parameter_string == NULL)
    {
      lab_cli_set_usage_error (error, command, _("unexpected argument '%s'"), argv[1]);
      return FALSE;
    }
  usage = g_strdup_printf ("labctl %s %s", cli->command, _(row->parameter_string));
  if (n < row->min_args)
    lab_cli_set_usage_error (error, command, _("missing argument; usage: %s"), usage);
  else
    lab_cli_set_usage_error (error, command, _("unexpected argument '%s'; usage: %s"), argv[row->max_args + 1],
                             usage);
  return FALSE;
}

static void
say_waiting (const char *holder, gpointer data)
{
  LabCli *cli = data;

  fprintf (cli->err, _("labctl %s: waiting for %s to finish with the lab...\n"), cli->command, holder);
  fflush (cli->err);
}

/* The lock of the lab that cli->recipe names (lab-lock.h), into *lock. A
 * recipe that does not load: no lock (the handler says what is wrong). */
static gboolean
lock_lab (LabCli *cli, LabLock **lock, GError **error)
{
  g_autoptr(LabRecipe) recipe = lab_recipe_load_named (cli->recipe, NULL);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *dir = NULL;

  if (recipe == NULL)
    return TRUE;
  dir = lab_state_dir_for_lab (recipe->name);
  *lock = lab_lock_acquire (dir, recipe->name, cli->command, cli->wait, say_waiting, cli, cli->cancellable,
                            &local_error);
  if (*lock != NULL)
    return TRUE;
  if (g_error_matches (local_error, LAB_ERROR, LAB_ERROR_PERMISSION))
    g_set_error (error, LAB_ERROR, LAB_ERROR_PERMISSION,
                 _("'labctl %s' changes lab %s, whose files (%s) this user may not write: it needs root. "
                   "Run: sudo labctl %s --recipe %s"),
                 cli->command, recipe->name, dir, cli->command, recipe->path != NULL ? recipe->path : recipe->name);
  else
    g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/* --progress=json: the progress events go to stdout as JSON lines; what
 * the command prints for people is kept and sent as the "result" event's
 * output at the end (progress_end). */
static char *json_output;
static size_t json_output_len;

/* A program that reads the stream cancels by closing the pipe on our
 * stdin (the GUI: it cannot signal a child that pkexec made root). */
static gboolean
on_stdin (int fd, GIOCondition condition, gpointer user_data)
{
  LabCli *cli = user_data;
  char buf[256];
  gssize n = (condition & G_IO_IN) ? read (fd, buf, sizeof buf) : 0;

  if (n > 0)
    return G_SOURCE_CONTINUE;
  g_cancellable_cancel (cli->cancellable);
  return G_SOURCE_REMOVE;
}

static gboolean
progress_begin (LabCli *cli, GError **error)
{
  FILE *captured;
  struct stat st;

  if (cli->progress == NULL || g_str_equal (cli->progress, "text"))
    return TRUE;
  if (!g_str_equal (cli->progress, "json"))
    {
      lab_cli_set_usage_error (error, cli->command, _("--progress must be text or json, not '%s'"), cli->progress);
      return FALSE;
    }
  captured = open_memstream (&json_output, &json_output_len);
  if (captured == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot capture the output for --progress=json: %s"),
                   g_strerror (errno));
      return FALSE;
    }
  lab_progress_set_json_stream (stdout);
  if (fstat (STDIN_FILENO, &st) == 0 && (S_ISFIFO (st.st_mode) || S_ISSOCK (st.st_mode)))
    g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, cli);
  cli->out = captured;
  cli->out_is_tty = FALSE;
  cli->color = FALSE;
  return TRUE;
}

/* The closing events: "error" (what failed, with its fix, and the log),
 * then "result" (the exit code and what the command printed). */
static void
progress_end (LabCli *cli, const GError *error, int exit_code)
{
  JsonBuilder *b;

  if (lab_progress_get_json_stream () == NULL)
    return;
  fclose (cli->out);
  cli->out = stdout;
  if (error != NULL)
    {
      b = lab_progress_event_begin ("error");
      lab_json_member_string (b, "message", error->message);
      lab_json_member_int (b, "exit_code", exit_code);
      lab_json_member_nullable (b, "log", exit_code != LAB_EXIT_USAGE ? cli->log_path : NULL);
      lab_progress_event_write (b);
    }
  b = lab_progress_event_begin ("result");
  lab_json_member_string (b, "command", cli->command);
  lab_json_member_boolean (b, "ok", exit_code == LAB_EXIT_OK);
  lab_json_member_int (b, "exit_code", exit_code);
  lab_json_member_string (b, "output", json_output != NULL ? json_output : "");
  /* with --json the output is a document: given as such too */
  if (cli->json && json_output != NULL)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (json_parser_load_from_data (parser, json_output, -1, NULL) && json_parser_get_root (parser) != NULL)
        {
          json_builder_set_member_name (b, "json");
          json_builder_add_value (b, json_node_copy (json_parser_get_root (parser)));
        }
    }
  lab_progress_event_write (b);
  g_clear_pointer (&json_output, free);
  lab_progress_set_json_stream (NULL);
}

/* Runs command with argv (argv[0]: its name; the array is ours to
 * change): finds the verb, parses the options, answers --help, checks the
 * arguments, calls the handler. */
static gboolean
run_command (LabCli *cli, const LabCommand *command, int argc, char **argv, GError **error)
{
  const LabCommand *row = command;  /* what runs: the command or one of its verbs */
  const LabCommand *verb = NULL;    /* the verb named on the command line */
  gboolean help = FALSE;

  if (command->verbs != NULL)
    {
      int at = lab_cli_find_first_arg (command, argc, argv);

      if (at > 0)
        {
          verb = lab_cli_find_verb (command, argv[at]);
          if (verb == NULL)
            {
              g_autofree char *names = verb_names (command);

              lab_cli_set_usage_error (error, command->name, _("unknown action '%s'; expected one of: %s"),
                                       argv[at], names);
              return FALSE;
            }
          /* the verb's arguments are the words after it, its options anywhere */
          memmove (argv + at, argv + at + 1, (argc - at - 1) * sizeof (char *));
          argc--;
          argv[argc] = NULL;
          argv[0] = (char *) verb->name;
          g_free (cli->command);
          cli->command = g_strdup_printf ("%s %s", command->name, verb->name);
        }
      /* no verb: the default one, or none (then only --help can be right) */
      row = verb != NULL ? verb : find_default_verb (command);
    }
  if (!parse_row (cli, command->name, row != NULL ? row : command, &help, &argc, &argv, error))
    return FALSE;
  if (help)
    {
      print_help (cli, cli->command, verb != NULL ? verb : command);
      return TRUE;
    }
  if (row == NULL)
    {
      g_autofree char *names = verb_names (command);

      lab_cli_set_usage_error (error, command->name, _("expected one action: %s"), names);
      return FALSE;
    }
  if (!check_arg_count (cli, command->name, row, argc, argv, error))
    return FALSE;
  if (!progress_begin (cli, error))
    return FALSE;
  if ((row->flags & LAB_CLI_LOCKS_LAB) && !cli->dry_run)
    {
      g_autoptr(LabLock) lock = NULL;

      if (!lock_lab (cli, &lock, error))
        return FALSE;
      return row->handler (cli, argc, argv, error);
    }
  return row->handler (cli, argc, argv, error);
}

void
lab_cli_note_log (LabCli *cli, LabRunner *runner)
{
  const char *path = lab_runner_get_log_path (runner);

  if (path == NULL)
    return;
  g_free (cli->log_path);
  cli->log_path = g_strdup (path);
}

void
lab_cli_print_json (LabCli *cli, JsonNode *node)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (gen, TRUE);
  json_generator_set_root (gen, node);
  text = json_generator_to_data (gen, NULL);
  fprintf (cli->out, "%s\n", text);
  fflush (cli->out);
}

void
lab_cli_print_report (LabCli *cli, JsonNode *node, char *(*to_text) (JsonNode *node))
{
  g_autofree char *text = NULL;

  if (cli->json)
    {
      lab_cli_print_json (cli, node);
      return;
    }
  text = to_text (node);
  fputs (text, cli->out);
}

static gboolean
on_signal (gpointer user_data)
{
  LabCli *cli = user_data;

  g_cancellable_cancel (cli->cancellable);
  return G_SOURCE_CONTINUE;
}

int
lab_cli_main (int argc, char **argv)
{
  LabCli cli = { 0 };
  const LabCommand *cmd;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GPtrArray) carried = g_ptr_array_new ();
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GArray) global = lab_cli_row_entries (&lab_cli_global, FALSE);
  const char *no_color;
  gboolean ok;
  int i = 1;

  lab_i18n_init ();
  g_set_prgname ("labctl");
  /* G_MESSAGES_DEBUG=labctl: the debug lines on stderr, never in --json's stdout */
  g_log_writer_default_set_use_stderr (TRUE);

  cli.commands = lab_cli_commands;
  cli.out = stdout;
  cli.err = stderr;
  cli.out_is_tty = isatty (fileno (stdout));
  no_color = g_getenv ("NO_COLOR");
  cli.color = cli.out_is_tty && (no_color == NULL || *no_color == '\0');
  cli.cancellable = cancellable;

  /* global options before the command */
  for (; i < argc && argv[i][0] == '-'; i++)
    {
      const GOptionEntry *common = lab_cli_find_option (global, argv[i]);

      if (g_str_equal (argv[i], "--version"))
        {
          printf ("labctl %s\n", PACKAGE_VERSION);
          return LAB_EXIT_OK;
        }
      else if (g_str_equal (argv[i], "--help") || g_str_equal (argv[i], "-h"))
        {
          print_main_help (&cli, stdout);
          return LAB_EXIT_OK;
        }
      else if (g_str_equal (argv[i], "-v") || g_str_equal (argv[i], "--verbose"))
        cli.verbose++;
      else if (common != NULL)
        {
          /* --recipe, --json, --dry-run: the command's, as if after its name */
          g_ptr_array_add (carried, argv[i]);
          if (lab_cli_option_takes_next (common, argv[i]) && i + 1 < argc)
            g_ptr_array_add (carried, argv[++i]);
        }
      else
        {
          fprintf (stderr, _("labctl: unknown option '%s'\n"), argv[i]);
          fprintf (stderr, "%s\n", _("Try 'labctl --help'."));
          return LAB_EXIT_USAGE;
        }
    }
  if (i >= argc)
    {
      print_main_help (&cli, stderr);
      return LAB_EXIT_USAGE;
    }
  cmd = lab_cli_find_command (cli.commands, argv[i]);
  if (cmd == NULL)
    {
      fprintf (stderr, _("labctl: unknown command '%s'\n"), argv[i]);
      fprintf (stderr, "%s\n", _("Try 'labctl --help' for the list of commands."));
      return LAB_EXIT_USAGE;
    }
  g_ptr_array_add (args, argv[i]);
  g_ptr_array_extend_and_steal (args, g_steal_pointer (&carried));
  for (int j = i + 1; j < argc; j++)
    g_ptr_array_add (args, argv[j]);
  g_ptr_array_add (args, NULL);
  cli.command = g_strdup (cmd->name);

  g_unix_signal_add (SIGINT, on_signal, &cli);
  g_unix_signal_add (SIGTERM, on_signal, &cli);

  ok = run_command (&cli, cmd, args->len - 1, (char **) args->pdata, &error);
  progress_end (&cli, error, ok ? LAB_EXIT_OK : error != NULL ? lab_error_to_exit_code (error) : LAB_EXIT_FAILURE);
  g_free (cli.recipe);
  g_free (cli.progress);
  if (ok)
    g_clear_pointer (&cli.log_path, g_free);
  if (!ok)
    {
      int code = error != NULL ? lab_error_to_exit_code (error) : LAB_EXIT_FAILURE;

      /* no error: the handler already said why */
      if (error != NULL)
        fprintf (stderr, "labctl %s: %s\n", cli.command, error->message);
      if (error != NULL && cli.log_path != NULL && code != LAB_EXIT_USAGE)
        fprintf (stderr, _("The log of every command is in %s\n"), cli.log_path);
      g_free (cli.log_path);
      g_free (cli.command);
      return code;
    }
  g_free (cli.command);
  return cli.exit_code;
}
