/* test-virt-xml.c: the documents virt writes that the node golden files
 * (test-nodes.c) do not cover, against golden files in tests/data/virt/
 * (LABCTL_UPDATE_GOLDEN=1 regenerates them; review the diff) and
 * libvirt's schemas (virt-xml-validate): the snapshot documents. */
#include "config.h"

#include <string.h>

#include <libvirt/libvirt.h>

#include "lab-virt.h"
#include "virt-test-util.h"

/* A node on a raw LV (and the install ISO, read-only): an external,
 * disk-only snapshot with a qcow2 overlay in libvirt's image directory;
 * on a qcow2 file: an internal one. */
static void
test_golden_snapshots (void)
{
  g_autoptr(LabVirtDomainSpec) raw = virt_test_domain_spec ("course", "pve1", "/dev/vg_iscsi/lv_pve1", "raw");
  g_autoptr(LabVirtDomainSpec) qcow = virt_test_domain_spec ("course", "pve1", "/var/lib/labctl/pve1.qcow2", "qcow2");
  g_autofree char *raw_xml = lab_virt_domain_xml (raw);
  g_autofree char *qcow_xml = lab_virt_domain_xml (qcow);
  g_autofree char *external = NULL;
  g_autofree char *internal = NULL;
  unsigned int flags = 0;

  external = lab_virt_snapshot_xml (raw_xml, "clean", "after install <&> 'quoted'", &flags);
  g_assert_cmpuint (flags, ==, VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY | VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC);
  virt_test_check_golden ("golden-snapshot-external.xml", external);
  virt_test_validate (external, "domainsnapshot");

  internal = lab_virt_snapshot_xml (qcow_xml, "clean", NULL, &flags);
  g_assert_cmpuint (flags, ==, 0);
  virt_test_check_golden ("golden-snapshot-internal.xml", internal);
  virt_test_validate (internal, "domainsnapshot");
}

/* Without a domain document (libvirt gave none): internal, no disks. */
static void
test_snapshot_no_domain (void)
{
  g_autofree char *xml = NULL;
  unsigned int flags = 1;

  xml = lab_virt_snapshot_xml (NULL, "s", "d", &flags);
  g_assert_cmpuint (flags, ==, 0);
  g_assert_cmpstr (xml, ==, "<domainsnapshot>\n  <name>s</name>\n  <description>d</description>\n</domainsnapshot>\n");
  g_free (g_steal_pointer (&xml));
  xml = lab_virt_snapshot_xml ("<domain", "s", NULL, &flags);
  g_assert_cmpuint (flags, ==, 0);
  g_assert_null (strstr (xml, "<disks>"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

  g_test_add_func ("/virt-xml/snapshot/golden", test_golden_snapshots);
  g_test_add_func ("/virt-xml/snapshot/no-domain", test_snapshot_no_domain);
  return g_test_run ();
}
