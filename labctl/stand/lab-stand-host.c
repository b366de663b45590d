/* lab-stand-host.c: the host checks of `labctl check` for a recipe. */
#include "config.h"

#include "lab-stand-host.h"

#include <string.h>

#include "lab-i18n.h"

#define COLOR_RESET "\033[0m"

/* --recipe given: it must load. Not given: the default recipe when it is
 * installed, otherwise none (the checks then assume the course's default lab). */
static gboolean
load_recipe (const char *recipe_name, LabRecipe **out, GError **error)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) local_error = NULL;

  *out = NULL;
  path = lab_recipe_resolve_path (recipe_name, &local_error);
  if (path == NULL)
    {
      if (recipe_name != NULL)
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

LabStandHostCheck *
lab_stand_host_check (const char *recipe_name, const char *sysroot, GError **error)
{
  g_autoptr(LabStandHostCheck) self = g_new0 (LabStandHostCheck, 1);

  if (!load_recipe (recipe_name, &self->recipe, error))
    return NULL;
  self->check = lab_host_check_new (sysroot);
  lab_host_check_set_recipe (self->check, self->recipe);
  self->results = lab_host_check_run (self->check);
  return g_steal_pointer (&self);
}

void
lab_stand_host_check_free (LabStandHostCheck *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->results, g_ptr_array_unref);
  g_clear_pointer (&self->check, lab_host_check_free);
  g_clear_pointer (&self->recipe, lab_recipe_free);
  g_free (self);
}

gboolean
lab_stand_host_check_ok (LabStandHostCheck *self)
{
  return lab_check_results_count (self->results, LAB_CHECK_FAIL) == 0;
}

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

char *
lab_stand_host_check_format (LabStandHostCheck *self, gboolean color)
{
  GPtrArray *results = self->results;
  LabRecipe *recipe = self->recipe;
  guint n_pass = lab_check_results_count (results, LAB_CHECK_PASS);
  guint n_warn = lab_check_results_count (results, LAB_CHECK_WARN);
  guint n_fail = lab_check_results_count (results, LAB_CHECK_FAIL);
  guint n_skip = lab_check_results_count (results, LAB_CHECK_SKIP);
  g_autoptr(GString) out = g_string_new (NULL);
  int width = 0;

  for (guint i = 0; i < results->len; i++)
    width = MAX (width, (int) strlen (((LabCheckResult *) g_ptr_array_index (results, i))->id));

  if (recipe != NULL && recipe->path != NULL)
    g_string_append_printf (out, _("Checking this host for the lab in %s\n\n"), recipe->path);
  else
    g_string_append_printf (out, "%s\n\n", _("Checking this host for the default lab (no recipe found)"));

  for (guint i = 0; i < results->len; i++)
    {
      LabCheckResult *r = g_ptr_array_index (results, i);

      if (color)
        g_string_append_printf (out, "%s%s%s  %-*s  %s\n", status_color (r->status), status_label (r->status),
                                COLOR_RESET, width, r->id, r->message);
      else
        g_string_append_printf (out, "%s  %-*s  %s\n", status_label (r->status), width, r->id, r->message);

      if (r->fix != NULL && (r->status == LAB_CHECK_WARN || r->status == LAB_CHECK_FAIL))
        {
          g_auto(GStrv) lines = g_strsplit (r->fix, "\n", -1);

          for (char **l = lines; *l != NULL; l++)
            g_string_append_printf (out, "      %s%s\n", l == lines ? "fix: " : "     ", *l);
        }
    }

  g_string_append_c (out, '\n');
  {
    g_autofree char *warnings = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u warning", "%u warnings", n_warn),
                                                 n_warn);

    /* TRANSLATORS: the second %s: "1 warning", "2 warnings" */
    g_string_append_printf (out, _("Summary: %u passed, %s, %u failed, %u skipped.\n"), n_pass, warnings, n_fail,
                            n_skip);
  }
  if (n_fail > 0)
    g_string_append_printf (out, "%s\n", _("This host cannot run the lab until the failures above are fixed."));
  else if (n_warn > 0)
    g_string_append_printf (out, "%s\n", _("This host can run the lab; read the warnings above."));
  else
    g_string_append_printf (out, "%s\n", _("This host is ready for the lab."));
  return g_string_free (g_steal_pointer (&out), FALSE);
}

JsonNode *
lab_stand_host_check_to_json (LabStandHostCheck *self)
{
  JsonNode *root = lab_check_results_to_json (self->results);
  JsonObject *obj = json_node_get_object (root);

  if (self->recipe != NULL && self->recipe->path != NULL)
    json_object_set_string_member (obj, "recipe", self->recipe->path);
  else
    json_object_set_null_member (obj, "recipe");
  json_object_set_string_member (obj, "sysroot", lab_host_check_get_sysroot (self->check));
  return root;
}
