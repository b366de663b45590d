/* lab-cli-complete.c: `labctl __complete -- WORDS...` (hidden): the
 * candidates for the last of WORDS, from the command and verb tables.
 *
 * WORDS are the words after "labctl" up to the one being completed, which
 * is last (empty when completing a new word); a value given as
 * --option=VALUE comes as two words, "--option" "VALUE". Printed: the
 * candidates that start with the last word, one a line; a line "@files
 * EXT" asks the shell to add files ending in .EXT (and directories),
 * "@files" any file, "@dirs" directories. Recipes and their node and guest
 * names are looked up quietly: what cannot be read offers nothing.
 * data/labctl.bash-completion calls it.
 */
#include "config.h"

#include <string.h>

#include "lab-cli.h"
#include "lab-recipe.h"
#include "lab-stand-exercise.h"

typedef struct {
  LabCli     *cli;
  const char *prefix;   /* the word being completed */
  const char *recipe;   /* --recipe among the words; NULL: the default */
} Completion;

static void
offer (Completion *c, const char *candidate)
{
  if (g_str_has_prefix (candidate, c->prefix))
    fprintf (c->cli->out, "%s\n", candidate);
}

static void
offer_names (Completion *c, LabCliComplete what)
{
  g_autoptr(LabRecipe) recipe = lab_recipe_load_named (c->recipe, NULL);
  GPtrArray *list;

  if (recipe == NULL)
    return;
  list = what == LAB_CLI_COMPLETE_NODES ? recipe->nodes : recipe->guests;
  for (guint i = 0; i < list->len; i++)
    offer (c, what == LAB_CLI_COMPLETE_NODES ? ((LabNode *) g_ptr_array_index (list, i))->name
                                             : ((LabGuest *) g_ptr_array_index (list, i))->name);
}

static void
offer_kind (Completion *c, LabCliComplete what)
{
  switch (what)
    {
    case LAB_CLI_COMPLETE_NODES:
    case LAB_CLI_COMPLETE_GUESTS:
      offer_names (c, what);
      break;
    case LAB_CLI_COMPLETE_RECIPES:
      {
        g_auto(GStrv) names = lab_recipe_list_shipped ();

        for (guint i = 0; names[i] != NULL; i++)
          offer (c, names[i]);
        fprintf (c->cli->out, "@files lab\n");
      }
      break;
    case LAB_CLI_COMPLETE_FILES:
      fprintf (c->cli->out, "@files\n");
      break;
    case LAB_CLI_COMPLETE_DIRS:
      fprintf (c->cli->out, "@dirs\n");
      break;
    case LAB_CLI_COMPLETE_EXERCISES:
      {
        const char **names = lab_stand_exercise_names ();

        for (guint i = 0; names[i] != NULL; i++)
          offer (c, names[i]);
      }
      break;
    case LAB_CLI_COMPLETE_NONE:
    default:
      break;
    }
}

static void
offer_options (Completion *c, const LabCommand *row)
{
  g_autoptr(GArray) entries = lab_cli_row_entries (row, FALSE);

  for (guint i = 0; i < entries->len; i++)
    {
      const GOptionEntry *e = &g_array_index (entries, GOptionEntry, i);
      g_autofree char *option = g_strconcat ("--", e->long_name, NULL);

      if (!(e->flags & G_OPTION_FLAG_HIDDEN))
        offer (c, option);
    }
}

static gboolean
cmd_complete (LabCli *cli, int argc, char **argv, GError **error)
{
  Completion c = { cli, argc > 1 ? argv[argc - 1] : "", NULL };
  char **words = argv + 1;
  int n = MAX (argc - 1, 1);   /* words[n - 1] is the one completed */
  const LabCommand *command = NULL;
  const LabCommand *verb = NULL;
  const LabCommand *row = &lab_cli_global;  /* whose options come now */
  gboolean pending = FALSE;                 /* the last word is the value of an option ... */
  LabCliComplete pending_kind = LAB_CLI_COMPLETE_NONE;  /* ... that completes to this */
  int n_args = 0;                           /* positional arguments of the verb so far */

  for (int i = 0; i < n - 1; i++)
    {
      const char *w = words[i];
      g_autoptr(GArray) entries = NULL;
      const GOptionEntry *e;

      if (w[0] != '-' || w[1] == '\0')
        {
          if (command == NULL)
            {
              command = lab_cli_find_command (cli->commands, w);
              if (command == NULL)
                return TRUE;
              row = command;
            }
          else if (command->verbs != NULL && verb == NULL)
            {
              verb = lab_cli_find_verb (command, w);
              if (verb == NULL)
                return TRUE;
              row = verb;
            }
          else
            n_args++;
          continue;
        }
      /* an option: the ones of a command and all its verbs may come anywhere after it */
      entries = lab_cli_row_entries (command != NULL ? command : row, TRUE);
      e = lab_cli_find_option (entries, w);
      if (e == NULL)
        continue;
      if (g_str_equal (e->long_name, "recipe") && strchr (w, '=') != NULL)
        c.recipe = strchr (w, '=') + 1;
      if (!lab_cli_option_takes_next (e, w))
        continue;
      if (i + 1 == n - 1)
        {
          pending = TRUE;
          pending_kind = lab_cli_option_complete (command != NULL ? command : row, e);
        }
      else if (g_str_equal (e->long_name, "recipe"))
        c.recipe = words[i + 1];
      i++;
    }

  if (pending)
    offer_kind (&c, pending_kind);
  else if (c.prefix[0] == '-')
    offer_options (&c, row);
  else if (command == NULL)
    {
      for (const LabCommand * const *cmd = cli->commands; *cmd != NULL; cmd++)
        if (!((*cmd)->flags & LAB_CLI_HIDDEN))
          offer (&c, (*cmd)->name);
    }
  else if (command->verbs != NULL && verb == NULL)
    {
      for (const LabCommand *v = command->verbs; v->name != NULL; v++)
        if (!(v->flags & LAB_CLI_HIDDEN))
          offer (&c, v->name);
    }
  else if (row->max_args < 0 || n_args < row->max_args)
    offer_kind (&c, n_args == 0 ? row->complete : row->complete_more);
  return TRUE;
}

const LabCommand lab_command_complete = {
  .name = "__complete",
  .parameter_string = "-- WORDS...",
  .summary = "Print the completions of the last of WORDS (for the shell)",
  .max_args = -1,
  .handler = cmd_complete,
  .flags = LAB_CLI_HIDDEN,
};
