/* test-virt-xml.c: the documents virt writes that the node golden files
 * (test-nodes.c) do not cover, against golden files in tests/data/virt/
 * (LABCTL_UPDATE_GOLDEN=1 regenerates them; review the diff) and
 * libvirt's schemas (virt-xml-validate): the guest domain
 * (tests/data/e2e.lab's guest, exactly as the e2e dry-run transcript shows
 * it); a snapshot document without a domain. (The snapshot documents'
 * golden files: test-virt.c, /virt/snapshot/raw-disk-external.) */
#include "config.h"

#include <string.h>

#include <libvirt/libvirt.h>

#include "lab-guest.h"
#include "lab-recipe.h"
#include "lab-virt.h"
#include "lab-vm.h"
#include "virt-test-util.h"

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

/* The guest's spec as lab-guest.c fills it in: the e2e recipe's guest,
 * its disk the whole of its LV's slice on the lab's LUN. */
static LabVirtGuestSpec *
guest_spec (LabRecipe *r, LabGuest *g, guint64 offset, guint64 size)
{
  LabGuestDisk disk = { r->iqn, 1, r->portal_address, r->portal_port, offset, size };

  return lab_guest_spec (r, g, size > 0 ? &disk : NULL);
}

/* What `labctl up --dry-run` prints for the file, as the transcript
 * tests/data/plans/e2e.up.sh shows it. */
static char *
as_in_transcript (const char *xml)
{
  g_auto(GStrv) dirs = g_strsplit (xml, LABCTL_SOURCE_DIR, -1);
  g_autofree char *joined = g_strjoinv ("@DATADIR@", dirs);
  g_auto(GStrv) offset = g_strsplit (joined, "offset='0'", 2);

  return g_strjoinv ("offset='$OFFSET'", offset);
}

static char *
transcript_heredoc (const char *file)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "plans", "e2e.up.sh", NULL);
  g_autofree char *text = NULL;
  g_autofree char *start = g_strdup_printf ("cat > %s <<'EOF'\n", file);
  g_autoptr(GError) error = NULL;
  const char *from, *to;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  from = text != NULL ? strstr (text, start) : NULL;
  g_assert_nonnull (from);
  if (from == NULL)
    return NULL;
  from += strlen (start);
  to = strstr (from, "\nEOF\n");
  g_assert_nonnull (to);
  return to != NULL ? g_strndup (from, to + 1 - from) : NULL;
}

static void
test_golden_guest (void)
{
  g_autofree char *path = g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", "e2e.lab", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRecipe) r = lab_recipe_load (path, &error);
  LabGuest *g;
  g_autoptr(LabVirtGuestSpec) with_disk = NULL;
  g_autoptr(LabVirtGuestSpec) plain = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *plain_xml = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *heredoc = NULL;
  g_autofree char *printf_xml = NULL;
  g_autofree char *printf_plain = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (r);
  if (r == NULL)
    return;
  g = lab_recipe_find_guest (r, "tiny");
  g_assert_nonnull (g);
  with_disk = guest_spec (r, g, 0, g->disk_bytes);
  plain = guest_spec (r, g, 0, 0);
  xml = lab_virt_guest_xml (with_disk);
  plain_xml = lab_virt_guest_xml (plain);

  shown = as_in_transcript (xml);
  virt_test_check_golden ("golden-guest-tiny.xml", shown);
  heredoc = transcript_heredoc ("tiny.xml");
  g_assert_cmpstr (shown, ==, heredoc);
  virt_test_validate (xml, "domain");
  virt_test_validate (plain_xml, "domain");
  g_assert_null (strstr (plain_xml, "<disk"));

  /* byte for byte what lab-guest.c writes for the guest */
  {
    LabGuestDisk disk = { r->iqn, 1, r->portal_address, r->portal_port, 0, g->disk_bytes };
    printf_xml = lab_guest_domain_xml (r, g, &disk);
    printf_plain = lab_guest_domain_xml (r, g, NULL);
  }
  g_assert_cmpstr (xml, ==, printf_xml);
  g_assert_cmpstr (plain_xml, ==, printf_plain);
}

/* A Proxmox node while it installs: the prepared ISO and, beside it, the
 * answer image as a read-only, unbootable SATA disk (outside snapshots). */
static void
test_golden_install_media (void)
{
  g_autofree char *path = g_build_filename (LABCTL_SOURCE_DIR, "recipes", "proxmox-3node.lab", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRecipe) r = lab_recipe_load (path, &error);
  g_autoptr(LabVirtDomainSpec) spec = NULL;
  g_autofree char *xml = NULL;
  g_auto(GStrv) line = NULL;

  g_assert_no_error (error);
  if (r == NULL)
    return;
  spec = lab_vm_domain_spec (r, g_ptr_array_index (r->nodes, 0), NULL, "kvm",
                             "/var/cache/labctl/iso/proxmox-ve_9.2-1-auto-from-partition.iso");
  spec->extra_disk_path = g_strdup ("/var/lib/labctl/course/nodes/pve1/answer.img");
  xml = lab_virt_domain_xml (spec);
  virt_test_check_golden ("golden-pve1-install.xml", xml);
  virt_test_validate (xml, "domain");
  /* a SATA disk, not <readonly/>: libvirt refuses read-only SATA and IDE disks */
  g_assert_nonnull (strstr (xml, "<source file='/var/lib/labctl/course/nodes/pve1/answer.img'/>\n"
                                 "      <target dev='sdb' bus='sata'/>\n    </disk>"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

  g_test_add_func ("/virt-xml/snapshot/no-domain", test_snapshot_no_domain);
  g_test_add_func ("/virt-xml/guest/golden", test_golden_guest);
  g_test_add_func ("/virt-xml/node/install-media", test_golden_install_media);
  return g_test_run ();
}
