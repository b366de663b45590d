/* fuzz-virt-xml.c: libvirt's documents as labctl reads them
 * (core/lab-xml-reader.c through virt/lab-virt-xml.c): the ownership
 * mark, a network's IPv4 address, the disks of a domain for its
 * snapshot document. */
#include "config.h"

#include "fuzz.h"
#include "lab-virt-xml.h"
#include "lab-virt.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = fuzz_text (data, size);
  g_autofree char *lab = NULL;
  g_autofree char *node = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *bridge = NULL;
  g_autofree char *snapshot = NULL;
  guint32 address = 0;
  guint prefix = 0;
  unsigned int flags = 0;

  fuzz_setup ();
  lab_virt_xml_get_owner (text, &lab, &node, &hash);
  lab_virt_xml_get_network_ipv4 (text, &address, &prefix, &bridge);
  snapshot = lab_virt_snapshot_xml (text, "clean", "fuzz", &flags);
  lab_virt_parse_ipv4 (text, &address);
  return 0;
}
