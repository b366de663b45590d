/* Unit tests for LabOsinfo: the system osinfo database plus labctl's
 * overlay (iso-cache/osinfo), OS profiles, ISO identification. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "lab-error.h"
#include "lab-osinfo.h"
#include "fake-iso.h"

static char *
write_fake_iso (const char *dir, const char *name, const char *volume_id)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (fake_iso_write (path, volume_id, &error));
  g_assert_no_error (error);
  return path;
}

static LabOsinfo *
new_osinfo (void)
{
  g_autoptr(GError) error = NULL;
  LabOsinfo *osinfo = lab_osinfo_new (NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (osinfo);
  return osinfo;
}

static void
test_overlay_entries (void)
{
  g_autoptr(LabOsinfo) osinfo = new_osinfo ();
  g_autoptr(GError) error = NULL;
  g_autoptr(LabOsinfoProfile) pve = lab_osinfo_lookup (osinfo, "proxmox-ve-8", &error);
  g_autoptr(LabOsinfoProfile) deb = lab_osinfo_lookup (osinfo, "http://debian.org/debian/12", &error);
  g_autoptr(LabOsinfoProfile) deb11 = lab_osinfo_lookup (osinfo, "debian11", &error);
  g_autoptr(LabOsinfoProfile) pve9 = lab_osinfo_lookup (osinfo, "proxmox-ve-9", &error);
  g_autoptr(LabOsinfoProfile) deb13 = lab_osinfo_lookup (osinfo, "debian13", &error);
  g_autoptr(LabOsinfoProfile) none = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (pve);
  g_assert_cmpstr (pve->id, ==, "http://proxmox.com/proxmox-ve/8");
  g_assert_cmpstr (pve->name, ==, "Proxmox VE 8");
  /* devices inherited from Debian 12 -> 11 -> 10 in the system db */
  g_assert_true (pve->virtio_disk);
  g_assert_true (pve->virtio_net);
  g_assert_cmpuint (pve->min_ram_mib, ==, 1024);
  g_assert_cmpuint (pve->rec_ram_mib, ==, 2048);
  g_assert_cmpuint (pve->min_storage, ==, 8 * G_GUINT64_CONSTANT (1073741824));

  g_assert_nonnull (deb);
  g_assert_cmpstr (deb->short_id, ==, "debian12");
  g_assert_true (deb->virtio_disk);
  g_assert_cmpuint (deb->min_ram_mib, ==, 1024);
  /* the system db is there too */
  g_assert_nonnull (deb11);
  g_assert_cmpstr (deb11->name, ==, "Debian 11");
  /* Proxmox VE 9 on Debian 13 (overlay) -> 12 (overlay) -> the system db */
  g_assert_nonnull (pve9);
  g_assert_cmpstr (pve9->id, ==, "http://proxmox.com/proxmox-ve/9");
  g_assert_cmpstr (pve9->name, ==, "Proxmox VE 9");
  g_assert_true (pve9->virtio_disk);
  g_assert_true (pve9->virtio_net);
  g_assert_cmpuint (pve9->rec_ram_mib, ==, 2048);
  g_assert_nonnull (deb13);
  g_assert_cmpstr (deb13->id, ==, "http://debian.org/debian/13");
  g_test_message ("proxmox-ve-8: q35=%d virtio-gpu=%d tablet=%d", pve->q35, pve->virtio_gpu, pve->usb_tablet);

  none = lab_osinfo_lookup (osinfo, "no-such-os", &error);
  g_assert_null (none);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);
}

static void
test_resources (void)
{
  g_autoptr(LabOsinfo) osinfo = new_osinfo ();
  g_autoptr(LabOsinfoProfile) pve = lab_osinfo_lookup (osinfo, "proxmox-ve-8", NULL);
  g_autoptr(GPtrArray) ok = lab_osinfo_check_resources (pve, 2, 2048, 10 * G_GUINT64_CONSTANT (1073741824));
  g_autoptr(GPtrArray) low = lab_osinfo_check_resources (pve, 1, 512, G_GUINT64_CONSTANT (1073741824));

  g_assert_cmpuint (ok->len, ==, 0);
  g_assert_cmpuint (low->len, ==, 2);
  g_assert_nonnull (strstr (g_ptr_array_index (low, 0), "512 MiB"));
  g_assert_nonnull (strstr (g_ptr_array_index (low, 1), "disk"));
}

static void
test_identify_iso (void)
{
  g_autoptr(LabOsinfo) osinfo = new_osinfo ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("labctl-osinfo-XXXXXX", &error);
  g_autofree char *pve6 = write_fake_iso (dir, "proxmox-ve_6.1-1.iso", "PVE");
  g_autofree char *pve8 = write_fake_iso (dir, "proxmox-ve_8.4-1.iso", "PVE");
  g_autofree char *pve9 = write_fake_iso (dir, "proxmox-ve_9.2-1.iso", "PVE");
  g_autofree char *pvex = write_fake_iso (dir, "pve.iso", "PVE");
  g_autofree char *deb = write_fake_iso (dir, "debian-12.8.0-amd64-netinst.iso", "Debian 12.8.0 amd64 n");
  g_autofree char *unknown = write_fake_iso (dir, "mystery.iso", "NOTHING_KNOWN");
  g_autofree char *missing = g_build_filename (dir, "missing.iso", NULL);
  g_autoptr(LabOsinfoProfile) p6 = lab_osinfo_identify_iso (osinfo, pve6, &error);
  g_autoptr(LabOsinfoProfile) p8 = NULL;
  g_autoptr(LabOsinfoProfile) p9 = NULL;
  g_autoptr(LabOsinfoProfile) px = NULL;
  g_autoptr(LabOsinfoProfile) pd = NULL;
  g_autoptr(LabOsinfoProfile) pu = NULL;
  g_autoptr(LabOsinfoProfile) pm = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (p6);
  /* volume id "PVE" + the file name's version */
  g_assert_cmpstr (p6->id, ==, "http://proxmox.com/proxmox-ve/6");
  p8 = lab_osinfo_identify_iso (osinfo, pve8, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (p8->id, ==, "http://proxmox.com/proxmox-ve/8");
  p9 = lab_osinfo_identify_iso (osinfo, pve9, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (p9->id, ==, "http://proxmox.com/proxmox-ve/9");
  g_assert_cmpstr (p9->name, ==, "Proxmox VE 9");
  /* without the version in the name: one of the Proxmox VE entries */
  px = lab_osinfo_identify_iso (osinfo, pvex, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (px->id, "http://proxmox.com/proxmox-ve/"));
  pd = lab_osinfo_identify_iso (osinfo, deb, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pd->id, ==, "http://debian.org/debian/12");

  pu = lab_osinfo_identify_iso (osinfo, unknown, &error);
  g_assert_null (pu);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "NOTHING_KNOWN"));
  g_clear_error (&error);
  pm = lab_osinfo_identify_iso (osinfo, missing, &error);
  g_assert_null (pm);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);

  g_unlink (pve6);
  g_unlink (pve8);
  g_unlink (pve9);
  g_unlink (pvex);
  g_unlink (deb);
  g_unlink (unknown);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

  g_test_add_func ("/osinfo/overlay", test_overlay_entries);
  g_test_add_func ("/osinfo/resources", test_resources);
  g_test_add_func ("/osinfo/identify-iso", test_identify_iso);
  return g_test_run ();
}
