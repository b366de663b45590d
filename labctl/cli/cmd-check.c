/* cmd-check.c: `labctl check`: can this host run the lab?
 *
 * Text: one line per check ("PASS  kvm.nested  Nested virtualization is
 * enabled"), an indented "fix:" block under each WARN and FAIL, a summary.
 * --json: one object
 *   {"checks": [{"id", "status": "pass|warn|fail|skip", "message", "fix"|null}, ...],
 *    "summary": {"pass": n, "warn": n, "fail": n, "skip": n}, "ok": bool,
 *    "recipe": path|null, "sysroot": "/"}
 * Exit status: 0 when no check FAILs (warnings allowed), 1 otherwise.
 */
#include "config.h"

#include <string.h>

#include "lab-cli.h"
#include "lab-error.h"
#include "lab-host-check.h"
#include "lab-i18n.h"
#include "lab-recipe.h"

#define COLOR_RESET "\033[0m"

static const char *
status_label (LabCheckStatus status)
{
  switch (status)
    {
    case LAB_CHECK_PASS:
      return "PASS";
    case LAB_CHECK_WARN:
      return "WARN";
    case LAB_CHECK_FAIL:
      return "FAIL";
    case LAB_CHECK_SKIP:
    default:
      return "SKIP";
    }
}

static const char *
status_color (LabCheckStatus status)
{
  switch (status)
    {
    case LAB_CHECK_PASS:
      return "\033[32m";
    case LAB_CHECK_WARN:
      return "\033[33m";
    case LAB_CHECK_FAIL:
      return "\033[1;31m";
    case LAB_CHECK_SKIP:
    default:
      return "\033[2m";
    }
}

static void
print_text (LabCli *cli, GPtrArray *results, LabRecipe *recipe)
{
  guint n_pass = lab_check_results_count (results, LAB_CHECK_PASS);
  guint n_warn = lab_check_results_count (results, LAB_CHECK_WARN);
  guint n_fail = lab_check_results_count (results, LAB_CHECK_FAIL);
  guint n_skip = lab_check_results_count (results, LAB_CHECK_SKIP);
  int width = 0;

  for (guint i = 0; i < results->len; i++)
    width = MAX (width, (int) strlen (((LabCheckResult *) g_ptr_array_index (results, i))->id));

  if (recipe != NULL && recipe->path != NULL)
    fprintf (cli->out, _("Checking this host for the lab in %s\n\n"), recipe->path);
  else
    fprintf (cli->out, "%s\n\n", _("Checking this host for the default lab (no recipe found)"));

  for (guint i = 0; i < results->len; i++)
    {
      LabCheckResult *r = g_ptr_array_index (results, i);

      if (cli->color)
        fprintf (cli->out, "%s%s%s  %-*s  %s\n", status_color (r->status), status_label (r->status),
                 COLOR_RESET, width, r->id, r->message);
      else
        fprintf (cli->out, "%s  %-*s  %s\n", status_label (r->status), width, r->id, r->message);

      if (r->fix != NULL && (r->status == LAB_CHECK_WARN || r->status == LAB_CHECK_FAIL))
        {
          g_auto(GStrv) lines = g_strsplit (r->fix, "\n", -1);

          for (char **l = lines; *l != NULL; l++)
            fprintf (cli->out, "      %s%s\n", l == lines ? "fix: " : "     ", *l);
        }
    }

  fputc ('\n', cli->out);
  fprintf (cli->out, _("Summary: %u passed, %u warnings, %u failed, %u skipped.\n"),
           n_pass, n_warn, n_fail, n_skip);
  if (n_fail > 0)
    fprintf (cli->out, "%s\n", _("This host cannot run the lab until the failures above are fixed."));
  else if (n_warn > 0)
    fprintf (cli->out, "%s\n", _("This host can run the lab; read the warnings above."));
  else
    fprintf (cli->out, "%s\n", _("This host is ready for the lab."));
  fflush (cli->out);
}

/* --recipe given: it must load. Not given: the default recipe when it is
 * installed, otherwise none (the checks then assume the course's default lab). */
static gboolean
load_recipe (LabCli *cli, LabRecipe **out, GError **error)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) local_error = NULL;

  *out = NULL;
  path = lab_recipe_resolve_path (cli->recipe, &local_error);
  if (path == NULL)
    {
      if (cli->recipe != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_debug ("no default recipe: %s", local_error->message);
      return TRUE;
    }
  *out = lab_recipe_load (path, error);
  return *out != NULL;
}

gboolean
lab_cmd_check (LabCli *cli, int argc, char **argv, GError **error)
{
  g_autofree char *sysroot = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(LabRecipe) recipe = NULL;
  g_autoptr(LabHostCheck) check = NULL;
  g_autoptr(GPtrArray) results = NULL;
  const GOptionEntry entries[] = {
    { "sysroot", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &sysroot,
      N_("Read /proc, /sys and /dev under DIR (tests; default $LABCTL_SYSROOT or /)"), N_("DIR") },
    { NULL }
  };

  if (!lab_cli_parse (cli, "check", NULL,
                      _("Checks that this host can run the lab: CPU virtualization, KVM, nested "
                        "virtualization, memory, disk, tools and libvirt. Every warning and failure "
                        "comes with the commands that fix it.\n\n"
                        "--json prints one object: {\"checks\": [{\"id\", \"status\" (pass|warn|fail|skip), "
                        "\"message\", \"fix\" (null when none)}...], \"summary\", \"ok\", \"recipe\", \"sysroot\"}.\n\n"
                        "Exit status: 0 when nothing fails (warnings allowed), 1 when a check fails."),
                      LAB_CLI_OPT_RECIPE | LAB_CLI_OPT_JSON, entries, &argc, &argv, &local_error))
    {
      if (local_error == NULL)
        return TRUE;  /* --help */
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (argc > 1)
    {
      lab_cli_set_usage_error (error, "check", _("unexpected argument '%s'"), argv[1]);
      return FALSE;
    }

  if (!load_recipe (cli, &recipe, error))
    return FALSE;

  check = lab_host_check_new (sysroot);
  lab_host_check_set_recipe (check, recipe);
  results = lab_host_check_run (check);

  if (cli->json)
    {
      g_autoptr(JsonNode) root = lab_check_results_to_json (results);
      JsonObject *obj = json_node_get_object (root);

      if (recipe != NULL && recipe->path != NULL)
        json_object_set_string_member (obj, "recipe", recipe->path);
      else
        json_object_set_null_member (obj, "recipe");
      json_object_set_string_member (obj, "sysroot", lab_host_check_get_sysroot (check));
      lab_cli_print_json (cli, root);
    }
  else
    print_text (cli, results, recipe);

  /* FALSE without an error: the exit status is 1, the output above says why */
  return lab_check_results_count (results, LAB_CHECK_FAIL) == 0;
}
