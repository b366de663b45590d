/* test-cli-recipe.c: runs the built labctl (env LABCTL) for `labctl recipe`. */
#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "lab-recipe.h"
#include "lab-test-cli.h"


static char *
shipped (const char *file)
{
  return g_build_filename (g_getenv ("LABCTL_DATA_DIR"), "recipes", file, NULL);
}

static void
test_validate_ok (void)
{
  g_auto(LabTestRun) r = { 0 };
  g_autofree char *path = shipped ("proxmox-3node.lab");
  g_autofree char *expect = g_strdup_printf ("%s: OK (lab 'course', 3 nodes, flavor proxmox)\n", path);

  if (!lab_test_run_labctl (&r, "recipe", "validate", path, NULL))
    return;
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, expect);
  g_assert_cmpstr (r.err, ==, "");
}

static void
test_validate_bad (void)
{
  g_auto(LabTestRun) r = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("labctl-test-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree char *good = shipped ("kvm-3node.lab");
  const char *text = "# a recipe with one mistake\n[lab]\nname = bad\n\n[nodes]\ncount = 2\nmemory = 2 GB\n";

  g_assert_no_error (error);
  if (dir == NULL)
    return;
  path = g_build_filename (dir, "bad.lab", NULL);
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  /* a good file beside a bad one: the good one is reported OK, exit is still 1 */
  if (lab_test_run_labctl (&r, "recipe", "validate", good, path, NULL))
    {
      g_autofree char *where = g_strdup_printf ("%s:7: memory: ", path);

      g_assert_cmpint (r.status, ==, 1);
      g_assert_nonnull (strstr (r.err, where));
      g_assert_nonnull (strstr (r.err, "2G or 2GiB"));
      g_assert_nonnull (strstr (r.out, "kvm-3node.lab: OK"));
      g_assert_null (strstr (r.out, "bad.lab: OK"));
    }
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_validate_missing (void)
{
  g_auto(LabTestRun) r = { 0 };

  if (!lab_test_run_labctl (&r, "recipe", "validate", "no-such-recipe", NULL))
    return;
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "no-such-recipe"));
  g_assert_nonnull (strstr (r.err, "proxmox-3node"));
}

static void
test_show_json (void)
{
  g_auto(LabTestRun) r = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *o;

  if (!lab_test_run_labctl (&r, "recipe", "show", "--json", NULL))
    return;
  g_assert_cmpint (r.status, ==, 0);
  json_parser_load_from_data (parser, r.out, -1, &error);
  g_assert_no_error (error);
  if (error != NULL)
    return;
  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "lab"), "name"), ==, "course");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_object_get_object_member (o, "nodes"),
                                                                         "list")), ==, 3);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (o, "storage"), "size_bytes"),
                   ==, 100 * (gint64) LAB_GIB);
}

static void
test_show_text (void)
{
  g_auto(LabTestRun) r = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRecipe) again = NULL;

  if (!lab_test_run_labctl (&r, "recipe", "show", "--recipe", "kvm-3node", NULL))
    return;
  g_assert_cmpint (r.status, ==, 0);
  /* the text output is itself a valid recipe with the same values */
  again = lab_recipe_load_data (r.out, -1, "show-output.lab", &error);
  g_assert_no_error (error);
  if (again == NULL)
    return;
  g_assert_cmpstr (again->name, ==, "kvm");
  g_assert_cmpuint (again->nodes->len, ==, 3);
  g_assert_cmpstr (((LabNode *) again->nodes->pdata[1])->name, ==, "node2");
  g_assert_cmpstr (again->subnet, ==, "192.168.151.0/24");
}

static void
test_list (void)
{
  g_auto(LabTestRun) r = { 0 };
  g_auto(LabTestRun) j = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  if (lab_test_run_labctl (&r, "recipe", "list", NULL))
    {
      g_assert_cmpint (r.status, ==, 0);
      g_assert_true (g_str_has_prefix (r.out, "container-3node "));
      g_assert_nonnull (strstr (r.out, "\nkvm-3node "));
      g_assert_nonnull (strstr (r.out, "\nproxmox-3node "));
      g_assert_nonnull (strstr (r.out, "Proxmox VE"));
    }
  {
    g_auto(LabTestRun) n = { 0 };

    if (lab_test_run_labctl (&n, "recipe", "list", "--names", NULL))
      {
        g_assert_cmpint (n.status, ==, 0);
        g_assert_cmpstr (n.out, ==, "container-3node\nkvm-3node\nproxmox-3node\n");
      }
  }
  if (lab_test_run_labctl (&j, "recipe", "list", "--json", NULL))
    {
      JsonArray *a;

      g_assert_cmpint (j.status, ==, 0);
      json_parser_load_from_data (parser, j.out, -1, &error);
      g_assert_no_error (error);
      if (error != NULL)
        return;
      a = json_node_get_array (json_parser_get_root (parser));
      g_assert_cmpuint (json_array_get_length (a), ==, 3);
      g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (a, 0), "lab"), ==, "container");
      g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (a, 2), "lab"), ==, "course");
    }
}

static void
test_usage_errors (void)
{
  static const char * const cases[][3] = {
    { "--bogus", NULL, NULL },
    { "frob", NULL, NULL },
    { "validate", NULL, NULL },
    { "show", "a", "b" },
    { "list", "extra", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(LabTestRun) r = { 0 };

      if (!lab_test_run_labctl (&r, "recipe", cases[i][0], cases[i][1], cases[i][2], NULL))
        continue;
      g_assert_cmpint (r.status, ==, 2);
      g_assert_nonnull (strstr (r.err, "labctl recipe --help"));
    }
  {
    g_auto(LabTestRun) r = { 0 };

    if (lab_test_run_labctl (&r, "recipe", NULL))
      g_assert_cmpint (r.status, ==, 2);
  }
}

static void
test_help (void)
{
  g_auto(LabTestRun) r = { 0 };

  if (!lab_test_run_labctl (&r, "recipe", "--help", NULL))
    return;
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "validate FILE..."));
  g_assert_nonnull (strstr (r.out, "--json"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  g_setenv ("LABCTL_STATE_DIR", "/var/tmp/labctl-test-state", TRUE);
  g_setenv ("LC_ALL", "C", TRUE);

  g_test_add_func ("/cli/recipe/validate-ok", test_validate_ok);
  g_test_add_func ("/cli/recipe/validate-bad", test_validate_bad);
  g_test_add_func ("/cli/recipe/validate-missing", test_validate_missing);
  g_test_add_func ("/cli/recipe/show-json", test_show_json);
  g_test_add_func ("/cli/recipe/show-text", test_show_text);
  g_test_add_func ("/cli/recipe/list", test_list);
  g_test_add_func ("/cli/recipe/usage-errors", test_usage_errors);
  g_test_add_func ("/cli/recipe/help", test_help);
  return g_test_run ();
}
