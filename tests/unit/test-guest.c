/* test-guest.c: a guest's domain XML, checked by libvirt's test driver. */
#include "config.h"

#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "lab-guest.h"
#include "lab-recipe.h"
#include "lab-virt-xml.h"

static const char recipe_text[] =
  "[lab]\nname = gl\nflavor = container\n"
  "[storage]\nsize = 256M\nportal = 10.200.8.1:3261\n"
  "[network]\nsubnet = 10.200.8.0/24\n"
  "[nodes]\ncount = 2\ndisk = 4M\n"
  "[guest web]\nnode = node2\nmemory = 96\nkernel = /boot/k\ninitrd = /boot/i\n"
  "cmdline = console=ttyS0 guestip=10.200.8.51/24\n";

static void
silent (void *data, virErrorPtr err)
{
}

static void
test_xml (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRecipe) r = lab_recipe_load_data (recipe_text, -1, "g.lab", &error);
  LabGuest *g;
  g_autofree char *uuid = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *with_disk = NULL;
  LabGuestDisk disk = { "iqn.2026-01.labctl.lab:gl", 1, "10.200.8.1", 3261, 8 << 20, 16 << 20 };
  virConnectPtr conn;
  virDomainPtr dom;

  g_assert_no_error (error);
  g = lab_recipe_find_guest (r, "web");
  g_assert_nonnull (g);
  uuid = lab_guest_uuid (r, g);
  plain = lab_guest_domain_xml (r, g, NULL);
  with_disk = lab_guest_domain_xml (r, g, &disk);

  g_assert_nonnull (strstr (plain, "<domain type='qemu'>"));
  g_assert_nonnull (strstr (plain, uuid));
  g_assert_nonnull (strstr (plain, "name='gl' guest='web'"));
  g_assert_nonnull (strstr (plain, "<source bridge='br0'/>"));
  g_assert_nonnull (strstr (plain, g->mac));
  g_assert_nonnull (strstr (plain, "<kernel>/boot/k</kernel>"));
  g_assert_nonnull (strstr (plain, "guestip=10.200.8.51/24"));
  g_assert_null (strstr (plain, "<disk"));
  g_assert_nonnull (strstr (with_disk, "protocol='iscsi' name='iqn.2026-01.labctl.lab:gl/1'"));
  g_assert_nonnull (strstr (with_disk, "<host name='10.200.8.1' port='3261'/>"));
  g_assert_nonnull (strstr (with_disk, "cache='none'"));
  g_assert_nonnull (strstr (with_disk, "offset='8388608' size='16777216'"));

  /* libvirt accepts both and keeps the ownership mark and the slice */
  virSetErrorFunc (NULL, silent);
  conn = virConnectOpen ("test:///default");
  g_assert_nonnull (conn);
  dom = virDomainDefineXML (conn, with_disk);
  g_assert_nonnull (dom);
  if (dom != NULL)
    {
      char *md = virDomainGetMetadata (dom, VIR_DOMAIN_METADATA_ELEMENT, LAB_VIRT_XMLNS, 0);
      char *xml = virDomainGetXMLDesc (dom, 0);

      g_assert_nonnull (md);
      g_assert_nonnull (strstr (md, "guest=\"web\""));
      g_assert_nonnull (strstr (xml, "<slice type='storage' offset='8388608' size='16777216'/>"));
      free (md);
      free (xml);
      virDomainUndefine (dom);
      virDomainFree (dom);
    }
  virConnectClose (conn);
}

static void
test_uuid_stable (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRecipe) r1 = lab_recipe_load_data (recipe_text, -1, "g.lab", &error);
  g_autoptr(LabRecipe) r2 = lab_recipe_load_data (recipe_text, -1, "other.lab", &error);
  g_autofree char *u1 = lab_guest_uuid (r1, g_ptr_array_index (r1->guests, 0));
  g_autofree char *u2 = lab_guest_uuid (r2, g_ptr_array_index (r2->guests, 0));

  /* the clean image records the UUID: it must not change between runs */
  g_assert_cmpstr (u1, ==, u2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  g_test_add_func ("/guest/xml", test_xml);
  g_test_add_func ("/guest/uuid-stable", test_uuid_stable);
  return g_test_run ();
}
