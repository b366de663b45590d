/* lab-cli.c: command table, common options, dispatch. */
#include "config.h"

#include "lab-cli.h"

#include <glib-unix.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "lab-error.h"
#include "lab-i18n.h"

const LabCommand lab_cli_commands[] = {
  /* keep sorted by the order a user meets them */
  { "check",  N_("Check that this host can run the lab (CPU, KVM, nesting, memory, disk, tools)"), lab_cmd_check, FALSE },
  { "recipe", N_("Validate, show or list lab recipes (validate FILE... | show [FILE] | list)"), lab_cmd_recipe, FALSE },
  { "up",     N_("Build the lab of a recipe, or continue an interrupted build"), lab_cmd_up, FALSE },
  { "status", N_("Show every piece of the lab and its health"), lab_cmd_status, FALSE },
  { "experiment", N_("Run an experiment on the lab (migrate: live migration with measured downtime)"), lab_cmd_experiment, FALSE },
  { "reset",  N_("Bring the lab back to its clean post-install state, fast"), lab_cmd_reset, FALSE },
  { "down",   N_("Remove everything the lab made"), lab_cmd_down, FALSE },
  { "reap",   N_("Run a command and reap the orphans it leaves (used for the nodes' libvirtd)"), lab_cmd_reap, TRUE },
  { "nodes",  N_("Node VMs: list, start, stop, console, snapshot, revert"), lab_cmd_nodes, FALSE },
  { "storage", N_("Build, remove or show the lab's shared storage: iSCSI target and LVM (up | down | status)"), lab_cmd_storage, FALSE },
  { NULL, NULL, NULL, FALSE },
};

static const LabCommand *
find_command (const LabCommand *table, const char *name)
{
  for (const LabCommand *c = table; c->name != NULL; c++)
    if (g_strcmp0 (c->name, name) == 0)
      return c;
  return NULL;
}

static void
print_main_help (LabCli *cli, FILE *stream)
{
  fprintf (stream, _("Usage: %s [--version] [--help] COMMAND [OPTIONS]\n"), "labctl");
  fprintf (stream, "\n%s\n\n", _("Builds a nested-virtualization teaching stand on this machine from a recipe."));
  fprintf (stream, "%s\n", _("Commands:"));
  for (const LabCommand *c = cli->commands; c->name != NULL; c++)
    if (!c->hidden)
      fprintf (stream, "  %-12s %s\n", c->name, _(c->summary));
  fprintf (stream, "\n%s\n", _("Run 'labctl COMMAND --help' for the options of a command."));
  fprintf (stream, "%s\n", _("Exit codes: 0 success, 1 failure, 2 usage error, 4 needs privileges, 130 interrupted."));
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

gboolean
lab_cli_parse (LabCli *cli, const char *command, const char *parameter_string,
               const char *description, LabCliOptions common,
               const GOptionEntry *extra, int *argc, char ***argv, GError **error)
{
  g_autoptr(GOptionContext) ctx = NULL;
  g_autofree char *param = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean help = FALSE;
  GOptionEntry help_entry[] = {
    { "help", 'h', 0, G_OPTION_ARG_NONE, &help, N_("Show this help"), NULL },
    { NULL }
  };
  GOptionEntry recipe_entry[] = {
    { "recipe", 'r', 0, G_OPTION_ARG_FILENAME, &cli->recipe,
      N_("Lab recipe: a .lab file or the name of a shipped recipe (default: proxmox-3node)"), N_("RECIPE") },
    { NULL }
  };
  GOptionEntry json_entry[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &cli->json, N_("Machine-readable JSON output"), NULL },
    { NULL }
  };
  GOptionEntry dry_entry[] = {
    { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &cli->dry_run,
      N_("Print the equivalent shell commands instead of running them"), NULL },
    { NULL }
  };
  gboolean verbose = FALSE;
  GOptionEntry verbose_entry[] = {
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, N_("Show more detail"), NULL },
    { NULL }
  };

  /* GOption prints "Usage: <prgname> [OPTION…] <parameter_string>": name
   * the command in the program name so the usage line reads
   * "labctl nodes [OPTION…] list|start|…". */
  param = g_strdup_printf ("labctl %s", command);
  g_set_prgname (param);
  ctx = g_option_context_new (parameter_string);
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_set_help_enabled (ctx, FALSE);
  if (description != NULL)
    g_option_context_set_summary (ctx, description);
  if (extra != NULL)
    g_option_context_add_main_entries (ctx, extra, GETTEXT_PACKAGE);
  if (common & LAB_CLI_OPT_RECIPE)
    g_option_context_add_main_entries (ctx, recipe_entry, GETTEXT_PACKAGE);
  if (common & LAB_CLI_OPT_JSON)
    g_option_context_add_main_entries (ctx, json_entry, GETTEXT_PACKAGE);
  if (common & LAB_CLI_OPT_DRY_RUN)
    g_option_context_add_main_entries (ctx, dry_entry, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, verbose_entry, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, help_entry, GETTEXT_PACKAGE);

  if (!g_option_context_parse (ctx, argc, argv, &local_error))
    {
      lab_cli_set_usage_error (error, command, "%s", local_error->message);
      return FALSE;
    }
  if (verbose)
    cli->verbose++;
  if (help)
    {
      g_autofree char *text = g_option_context_get_help (ctx, TRUE, NULL);
      fputs (text, cli->out);
      /* GOption names the program from g_get_prgname(); the usage line is
       * "labctl COMMAND ..." because prgname is "labctl". */
      return FALSE;
    }
  return TRUE;
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
  const char *no_color;
  gboolean ok;
  int i = 1;

  lab_i18n_init ();
  g_set_prgname ("labctl");

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
  cmd = find_command (cli.commands, argv[i]);
  if (cmd == NULL)
    {
      fprintf (stderr, _("labctl: unknown command '%s'\n"), argv[i]);
      fprintf (stderr, "%s\n", _("Try 'labctl --help' for the list of commands."));
      return LAB_EXIT_USAGE;
    }

  g_unix_signal_add (SIGINT, on_signal, &cli);
  g_unix_signal_add (SIGTERM, on_signal, &cli);

  ok = cmd->handler (&cli, argc - i, argv + i, &error);
  g_free (cli.recipe);
  if (ok)
    g_clear_pointer (&cli.log_path, g_free);
  if (!ok)
    {
      if (error == NULL)
        return LAB_EXIT_FAILURE;  /* the handler already said why */
      int code = lab_error_to_exit_code (error);

      fprintf (stderr, "labctl %s: %s\n", cmd->name, error->message);
      if (cli.log_path != NULL && code != LAB_EXIT_USAGE)
        fprintf (stderr, _("The log of every command is in %s\n"), cli.log_path);
      g_free (cli.log_path);
      return code;
    }
  return LAB_EXIT_OK;
}
