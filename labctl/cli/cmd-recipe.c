/* cmd-recipe.c: `labctl recipe validate|show|list`. */
#include "config.h"

#include <string.h>

#include "lab-cli.h"
#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-json.h"
#include "lab-recipe.h"

static char *
summary_line (LabRecipe *r)
{
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "lab '%s', %u node, flavor %s",
                                       "lab '%s', %u nodes, flavor %s", r->nodes->len),
                          r->name, r->nodes->len, lab_flavor_to_string (r->flavor));
}

static gboolean
validate_recipes (LabCli *cli, char **files, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  guint failed = 0;

  json_builder_begin_array (b);
  for (guint i = 0; files[i] != NULL; i++)
    {
      g_autoptr(GError) local = NULL;
      g_autoptr(LabRecipe) r = lab_recipe_load_named (files[i], &local);

      if (cli->json)
        {
          json_builder_begin_object (b);
          lab_json_member_string (b, "file", files[i]);
          lab_json_member_boolean (b, "ok", r != NULL);
          if (r != NULL)
            {
              lab_json_member_string (b, "lab", r->name);
              lab_json_member_string (b, "flavor", lab_flavor_to_string (r->flavor));
              lab_json_member_int (b, "nodes", r->nodes->len);
              lab_json_member_string (b, "hash", r->hash);
            }
          else
            {
              lab_json_member_string (b, "error", local->message);
            }
          json_builder_end_object (b);
        }
      if (r == NULL)
        {
          failed++;
          fprintf (cli->err, "%s\n", local->message);
          continue;
        }
      if (!cli->json)
        {
          g_autofree char *summary = summary_line (r);

          /* TRANSLATORS: "FILE: OK (lab 'course', 3 nodes, flavor proxmox)" */
          fprintf (cli->out, _("%s: OK (%s)\n"), files[i], summary);
        }
    }
  json_builder_end_array (b);
  if (cli->json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (b);

      lab_cli_print_json (cli, root);
    }
  /* the messages are already on stderr: fail without another one */
  return failed == 0;
}

static gboolean
show_recipe (LabCli *cli, const char *name, GError **error)
{
  g_autoptr(LabRecipe) r = lab_recipe_load_named (name, error);

  if (r == NULL)
    return FALSE;
  if (cli->json)
    {
      g_autoptr(JsonNode) root = lab_recipe_to_json (r);

      lab_cli_print_json (cli, root);
    }
  else
    {
      g_autofree char *text = lab_recipe_to_keyfile (r);

      fputs (text, cli->out);
    }
  return TRUE;
}

static gboolean
list_recipes (LabCli *cli, gboolean names_only, GError **error)
{
  g_auto(GStrv) names = lab_recipe_list_shipped ();

  if (names_only)
    {
      /* for shell completion */
      for (guint i = 0; names[i] != NULL; i++)
        fprintf (cli->out, "%s\n", names[i]);
      return TRUE;
    }

  g_autoptr(JsonBuilder) b = json_builder_new ();
  gboolean ok = TRUE;

  json_builder_begin_array (b);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autoptr(GError) local = NULL;
      g_autoptr(LabRecipe) r = lab_recipe_load_named (names[i], &local);

      if (r == NULL)
        {
          /* a broken shipped recipe is a bug of the installation: say so, go on */
          fprintf (cli->err, "%s\n", local->message);
          ok = FALSE;
          continue;
        }
      if (cli->json)
        {
          json_builder_begin_object (b);
          lab_json_member_string (b, "name", names[i]);
          lab_json_member_string (b, "path", r->path);
          lab_json_member_string (b, "lab", r->name);
          lab_json_member_string (b, "flavor", lab_flavor_to_string (r->flavor));
          lab_json_member_int (b, "nodes", r->nodes->len);
          json_builder_set_member_name (b, "description");
          if (r->description != NULL)
            json_builder_add_string_value (b, r->description);
          else
            json_builder_add_null_value (b);
          json_builder_end_object (b);
        }
      else
        {
          g_autofree char *summary = summary_line (r);

          fprintf (cli->out, "%-16s %s\n", names[i], r->description != NULL ? r->description : "");
          fprintf (cli->out, "%-16s (%s)\n", "", summary);
        }
    }
  json_builder_end_array (b);
  if (cli->json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (b);

      lab_cli_print_json (cli, root);
    }
  else if (names[0] == NULL)
    fprintf (cli->err, "%s\n", _("No shipped recipes found; is labctl installed completely?"));
  return ok;
}

static gboolean
recipe_validate (LabCli *cli, int argc, char **argv, GError **error)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new ();

  for (int i = 1; i < argc; i++)
    g_ptr_array_add (files, argv[i]);
  if (cli->recipe != NULL)
    g_ptr_array_add (files, cli->recipe);
  /* not a count in the table: the --recipe one counts too */
  if (files->len == 0)
    {
      lab_cli_set_usage_error (error, "recipe", _("give at least one FILE"));
      return FALSE;
    }
  g_ptr_array_add (files, NULL);
  return validate_recipes (cli, (char **) files->pdata, error);
}

static gboolean
recipe_show (LabCli *cli, int argc, char **argv, GError **error)
{
  if (argc == 2 && cli->recipe != NULL && g_strcmp0 (cli->recipe, argv[1]) != 0)
    {
      lab_cli_set_usage_error (error, "recipe", _("give the recipe either as FILE or with --recipe, not both"));
      return FALSE;
    }
  return show_recipe (cli, argc == 2 ? argv[1] : cli->recipe, error);
}

static gboolean opt_names;

static const GOptionEntry list_options[] = {
  { "names", 0, 0, G_OPTION_ARG_NONE, &opt_names, N_("Print only the names of the shipped recipes"), NULL },
  { NULL }
};

static gboolean
recipe_list (LabCli *cli, int argc, char **argv, GError **error)
{
  return list_recipes (cli, opt_names, error);
}

static const LabCommand recipe_verbs[] = {
  {
    .name = "validate",
    .parameter_string = N_("FILE..."),
    .summary = N_("Check recipes; every error names the file, line and key"),
    .description = N_("Validates every FILE and the --recipe one. FILE is the path of a .lab file or the "
                      "name of a shipped recipe."),
    .max_args = -1,
    .common = LAB_CLI_OPT_RECIPE | LAB_CLI_OPT_JSON,
    .complete = LAB_CLI_COMPLETE_RECIPES,
    .complete_more = LAB_CLI_COMPLETE_RECIPES,
    .handler = recipe_validate,
  },
  {
    .name = "show",
    .parameter_string = N_("[FILE]"),
    .summary = N_("Print a recipe with every default filled in"),
    .description = N_("Prints FILE (or the --recipe one, or the default) with every default filled in: "
                      "as a recipe, or with --json as JSON."),
    .max_args = 1,
    .common = LAB_CLI_OPT_RECIPE | LAB_CLI_OPT_JSON,
    .complete = LAB_CLI_COMPLETE_RECIPES,
    .handler = recipe_show,
  },
  {
    .name = "list",
    .summary = N_("List the recipes shipped with labctl"),
    .common = LAB_CLI_OPT_RECIPE | LAB_CLI_OPT_JSON,
    .options = list_options,
    .handler = recipe_list,
  },
  { NULL }
};

const LabCommand lab_command_recipe = {
  .name = "recipe",
  .summary = N_("Validate, show or list lab recipes (validate FILE... | show [FILE] | list)"),
  .description = N_("Validate a lab recipe, show it with every default filled in, "
                    "or list the recipes shipped with labctl.\n\n"
                    "FILE is the path of a .lab file or the name of a shipped recipe."),
  .common = LAB_CLI_OPT_RECIPE | LAB_CLI_OPT_JSON,
  .verbs = recipe_verbs,
};
