/* test-xml.c: core's XML writer (one-line elements) and XML reader
 * (libxml2 XPath: strings, nodes, attributes, namespaces, bad XML). */
#include "config.h"

#include <string.h>

#include "lab-error.h"
#include "lab-xml-reader.h"
#include "lab-xml-writer.h"

static void
test_writer_inline (void)
{
  g_autoptr(LabXmlWriter) w = lab_xml_writer_new ();
  g_autofree char *xml = NULL;

  lab_xml_writer_start (w, "domain");
  lab_xml_writer_start_inline (w, "features");
  lab_xml_writer_start (w, "acpi");
  lab_xml_writer_end (w);
  lab_xml_writer_end (w);
  lab_xml_writer_start_inline (w, "cpu");
  lab_xml_writer_attr (w, "mode", "custom");
  lab_xml_writer_start_inline (w, "model");
  lab_xml_writer_text (w, "qemu64");
  lab_xml_writer_end (w);
  lab_xml_writer_end (w);
  lab_xml_writer_start (w, "devices");
  lab_xml_writer_start_inline (w, "serial");
  lab_xml_writer_attr (w, "type", "pty");
  lab_xml_writer_end (w);
  lab_xml_writer_start (w, "disk");
  lab_xml_writer_element (w, "name", "a<'b'>&");
  lab_xml_writer_end (w);
  xml = lab_xml_writer_finish (w);

  /* after a one-line element, the indented layout goes on as before */
  g_assert_cmpstr (xml, ==,
                   "<domain>\n"
                   "  <features><acpi/></features>\n"
                   "  <cpu mode='custom'><model>qemu64</model></cpu>\n"
                   "  <devices>\n"
                   "    <serial type='pty'/>\n"
                   "    <disk>\n"
                   "      <name>a&lt;'b'&gt;&amp;</name>\n"
                   "    </disk>\n"
                   "  </devices>\n"
                   "</domain>\n");
}

static const char domain_xml[] =
  "<domain type='kvm'>\n"
  "  <name>pve1</name>\n"
  "  <metadata>\n"
  "    <other:lab xmlns:other='https://example.org/other' name='not-ours'/>\n"
  "    <mark:lab xmlns:mark='https://labctl.example/xmlns/1' name='course' node='pve1'/>\n"
  "  </metadata>\n"
  "  <devices>\n"
  "    <disk type='block' device='disk'><source dev='/dev/vg/lv'/><target dev='vda'/></disk>\n"
  "    <disk type='file' device='cdrom'><source file='/iso'/><target dev='sda'/><readonly/></disk>\n"
  "  </devices>\n"
  "</domain>\n";

static void
test_reader_queries (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabXmlReader) r = lab_xml_reader_new (domain_xml, "the test domain", &error);
  g_autoptr(GPtrArray) disks = NULL;
  g_autofree char *name = NULL;
  g_autofree char *type = NULL;
  g_autofree char *count = NULL;
  g_autofree char *missing = NULL;
  g_autofree char *source = NULL;
  g_autofree char *device = NULL;
  g_autofree char *no_attr = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (r);
  if (r == NULL)
    return;
  name = lab_xml_reader_get_string (r, NULL, "/domain/name");
  type = lab_xml_reader_get_string (r, NULL, "/domain/@type");
  count = lab_xml_reader_get_string (r, NULL, "count(//disk)");
  missing = lab_xml_reader_get_string (r, NULL, "/domain/uuid");
  g_assert_cmpstr (name, ==, "pve1");
  g_assert_cmpstr (type, ==, "kvm");
  g_assert_cmpstr (count, ==, "2");
  /* absent is NULL, not "" */
  g_assert_null (missing);

  disks = lab_xml_reader_get_nodes (r, NULL, "/domain/devices/disk");
  g_assert_cmpuint (disks->len, ==, 2);
  /* queries relative to a node */
  source = lab_xml_reader_get_string (r, disks->pdata[0], "source/@dev");
  g_assert_cmpstr (source, ==, "/dev/vg/lv");
  g_assert_false (lab_xml_reader_exists (r, disks->pdata[0], "readonly"));
  g_assert_true (lab_xml_reader_exists (r, disks->pdata[1], "readonly"));
  g_assert_true (lab_xml_reader_exists (r, NULL, "count(//disk) = 2"));
  device = lab_xml_node_get_attr (disks->pdata[1], "device");
  no_attr = lab_xml_node_get_attr (disks->pdata[1], "bus");
  g_assert_cmpstr (device, ==, "cdrom");
  g_assert_null (no_attr);
  {
    g_autoptr(GPtrArray) none = lab_xml_reader_get_nodes (r, NULL, "//nothing");
    g_assert_cmpuint (none->len, ==, 0);
  }
}

/* Prefixes in queries are the reader's, not the document's: labctl's mark
 * is found whatever prefix the document gave its namespace, and an element
 * of the same name in another namespace is not it. */
static void
test_reader_namespaces (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabXmlReader) r = lab_xml_reader_new (domain_xml, "the test domain", &error);
  g_autofree char *lab = NULL;
  g_autofree char *node = NULL;
  g_autofree char *other = NULL;

  g_assert_no_error (error);
  if (r == NULL)
    return;
  lab_xml_reader_register_ns (r, "labctl", "https://labctl.example/xmlns/1");
  lab = lab_xml_reader_get_string (r, NULL, "/domain/metadata/labctl:lab/@name");
  node = lab_xml_reader_get_string (r, NULL, "//labctl:lab/@node");
  g_assert_cmpstr (lab, ==, "course");
  g_assert_cmpstr (node, ==, "pve1");
  other = lab_xml_reader_get_string (r, NULL, "/domain/metadata/*[local-name()='lab']/@name");
  g_assert_cmpstr (other, ==, "not-ours");
  {
    g_autoptr(GPtrArray) marks = lab_xml_reader_get_nodes (r, NULL, "//labctl:lab");
    g_assert_cmpuint (marks->len, ==, 1);
  }
}

static void
test_reader_bad_xml (void)
{
  static const struct { const char *xml; const char *reason; } cases[] = {
    { "<domain><name>x</domain>", "line 1: Opening and ending tag mismatch" },
    { "<domain>\n  <name>x</name>\n", "line 3" },
    { "", "empty" },
    { "not xml at all", "line 1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(LabXmlReader) r = lab_xml_reader_new (cases[i].xml, "the domain XML of pve1", &error);

      g_assert_null (r);
      g_assert_error (error, LAB_ERROR, LAB_ERROR_FAILED);
      if (error == NULL)
        continue;
      g_test_message ("%s", error->message);
      g_assert_true (g_str_has_prefix (error->message, "Cannot parse the domain XML of pve1: line "));
      g_assert_nonnull (strstr (error->message, cases[i].reason));
      /* libxml2's reason, without its newline */
      g_assert_false (g_str_has_suffix (error->message, "\n"));
    }
}

/* The queries are code: a broken one is a critical, not a crash or a
 * message on stderr. */
static void
test_reader_bad_xpath (void)
{
  g_autoptr(LabXmlReader) r = lab_xml_reader_new ("<a/>", "a", NULL);
  g_autofree char *s = NULL;

  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*invalid XPath expression \"/a[\"*");
  s = lab_xml_reader_get_string (r, NULL, "/a[");
  g_test_assert_expected_messages ();
  g_assert_null (s);
  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*undefined:lab*");
  g_assert_false (lab_xml_reader_exists (r, NULL, "//undefined:lab"));
  g_test_assert_expected_messages ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

  g_test_add_func ("/xml/writer/inline", test_writer_inline);
  g_test_add_func ("/xml/reader/queries", test_reader_queries);
  g_test_add_func ("/xml/reader/namespaces", test_reader_namespaces);
  g_test_add_func ("/xml/reader/bad-xml", test_reader_bad_xml);
  g_test_add_func ("/xml/reader/bad-xpath", test_reader_bad_xpath);
  return g_test_run ();
}
