/* test-util.c: core/lab-util: sizes, stable UUIDs, shell lines. */
#include "config.h"

#include "lab-json.h"
#include "lab-util.h"

#define GIB (G_GUINT64_CONSTANT (1) << 30)
#define MIB (G_GUINT64_CONSTANT (1) << 20)

static void
test_format_size (void)
{
  static const struct { guint64 bytes; const char *human; const char *exact; } cases[] = {
    { 100 * GIB, "100.0 GiB", "100G" },
    { 7 * GIB, "7.0 GiB", "7G" },
    { 1536 * MIB, "1.5 GiB", "1536M" },
    { 512 * MIB, "512.0 MiB", "512M" },
    { 1536 * 1024, "1.5 MiB", "1536K" },
    { 1000, "1000 bytes", "1000" },
    { 4ull << 40, "4.0 TiB", "4T" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *human = lab_format_size (cases[i].bytes);
      g_autofree char *exact = lab_format_size_exact (cases[i].bytes);

      g_assert_cmpstr (human, ==, cases[i].human);
      g_assert_cmpstr (exact, ==, cases[i].exact);
    }
}

static void
test_uuid (void)
{
  /* the host_uuid of node1 of the e2e lab (tests/data/plans/e2e.up.sh) */
  g_autofree char *a = lab_uuid_from_seed ("labctl-node/e2e/node1");
  g_autofree char *b = lab_uuid_from_seed ("labctl-node/e2e/node1");
  g_autofree char *c = lab_uuid_from_seed ("labctl-node/e2e/node2");

  g_assert_cmpstr (a, ==, "f69a3981-8d95-4834-85b3-e1d5ec9f0661");
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpstr (a, !=, c);
  g_assert_true (g_uuid_string_is_valid (c));
  g_assert_cmpint (c[14], ==, '4');
}

static void
test_shell (void)
{
  static const struct { const char *in; const char *out; } cases[] = {
    { "tgtadm", "tgtadm" },
    { "labctl:e2e", "labctl:e2e" },
    { "10.99.0.1/24", "10.99.0.1/24" },
    { "a b", "'a b'" },
    { "it's", "'it'\\''s'" },
    { "", "''" },
    { "$HOME", "'$HOME'" },
  };
  g_autoptr(GPtrArray) lines = g_ptr_array_new ();
  g_auto(GStrv) strv = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *q = lab_shell_quote (cases[i].in);
      g_assert_cmpstr (q, ==, cases[i].out);
    }
  lab_lines_add_cmd (lines, "ip", "link", "set", "dev", "br 0", "alias", "labctl:x", NULL);
  lab_lines_add_cmd (lines, "true", NULL);
  strv = lab_lines_steal (g_steal_pointer (&lines));
  g_assert_cmpuint (g_strv_length (strv), ==, 2);
  g_assert_cmpstr (strv[0], ==, "ip link set dev 'br 0' alias labctl:x");
  g_assert_cmpstr (strv[1], ==, "true");
}

static void
test_strv (void)
{
  g_auto(GStrv) argv = lab_strv_new ("iscsiadm", "-m", "session", NULL);
  g_autoptr(GPtrArray) a = g_ptr_array_new ();
  g_auto(GStrv) built = NULL;
  g_auto(GStrv) empty = lab_strv_new (NULL, NULL);

  g_assert_cmpuint (g_strv_length (argv), ==, 3);
  g_assert_cmpstr (argv[2], ==, "session");
  g_ptr_array_add (a, g_strdup ("lvs"));
  lab_strv_add (a, "--devices", "/dev/x", NULL);
  built = lab_lines_steal (g_steal_pointer (&a));
  g_assert_cmpuint (g_strv_length (built), ==, 3);
  g_assert_cmpstr (built[1], ==, "--devices");
  g_assert_cmpuint (g_strv_length (empty), ==, 0);
}

static void
test_json_members (void)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  lab_json_member_string (b, "s", "x");
  lab_json_member_nullable (b, "n", NULL);
  lab_json_member_nullable (b, "v", "y");
  lab_json_member_int (b, "i", -3);
  lab_json_member_double (b, "d", 0.5);
  lab_json_member_boolean (b, "b", TRUE);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  g_assert_cmpstr (text, ==, "{\"s\":\"x\",\"n\":null,\"v\":\"y\",\"i\":-3,\"d\":0.5,\"b\":true}");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  g_test_add_func ("/util/format-size", test_format_size);
  g_test_add_func ("/util/uuid", test_uuid);
  g_test_add_func ("/util/shell", test_shell);
  g_test_add_func ("/util/json-members", test_json_members);
  g_test_add_func ("/util/strv", test_strv);
  return g_test_run ();
}
