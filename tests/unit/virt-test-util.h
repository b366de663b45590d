/* virt-test-util.h: helpers shared by the virt unit tests. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "lab-virt-xml.h"

/* test:///<abs path of tests/data/virt/testnode.xml> */
static inline char *
virt_test_uri (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "virt", "testnode.xml", NULL);
  g_autofree char *abs = g_canonicalize_filename (path, NULL);

  return g_strconcat ("test://", abs, NULL);
}

static inline LabVirtNetworkSpec *
virt_test_network_spec (const char *lab, const char *name, const char *gateway, guint prefix)
{
  LabVirtNetworkSpec *n = lab_virt_network_spec_new ();

  n->lab_name = g_strdup (lab);
  n->recipe_hash = g_strdup ("0123abcd");
  n->name = g_strdup (name);
  n->bridge = g_strdup_printf ("br-%s", lab);
  n->gateway = g_strdup (gateway);
  n->prefix = prefix;
  n->dhcp_start = g_strdup ("192.168.150.128");
  n->dhcp_end = g_strdup ("192.168.150.254");
  lab_virt_network_spec_add_host (n, "pve1", "52:54:00:aa:00:01", "192.168.150.11");
  lab_virt_network_spec_add_host (n, "pve2", "52:54:00:aa:00:02", "192.168.150.12");
  return n;
}

static inline LabVirtDomainSpec *
virt_test_domain_spec (const char *lab, const char *name, const char *disk, const char *format)
{
  LabVirtDomainSpec *s = lab_virt_domain_spec_new ();

  s->lab_name = g_strdup (lab);
  s->node_name = g_strdup (name);
  s->recipe_hash = g_strdup ("0123abcd");
  s->domain_type = g_strdup ("kvm");
  s->arch = g_strdup ("x86_64");
  s->machine = g_strdup ("q35");
  s->vcpus = 2;
  s->memory_mib = 2048;
  s->cpu_mode = g_strdup ("host-passthrough");
  s->cache_mode = g_strdup ("passthrough");
  s->disk_path = g_strdup (disk);
  s->disk_format = g_strdup (format);
  s->cdrom_path = g_strdup ("/var/lib/labctl/isos/proxmox-ve-8.2.iso");
  s->network = g_strdup ("default");
  s->mac = g_strdup ("52:54:00:aa:00:01");
  s->graphics = g_strdup ("spice");
  s->video_model = g_strdup ("virtio");
  s->usb_tablet = TRUE;
  s->os_id = g_strdup ("http://proxmox.com/proxmox-ve/8");
  return s;
}

/* libvirt's own schema check (virt-xml-validate, libvirt-clients); kind
 * "domain", "network", "domainsnapshot" ... */
static inline void
virt_test_validate (const char *xml, const char *kind)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL;
  int fd = g_file_open_tmp ("labctl-validate-XXXXXX.xml", &tmp, &error);
  const char *argv[] = { "virt-xml-validate", tmp, kind, NULL };
  g_autofree char *out = NULL;
  int status = -1;

  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (tmp, xml, -1, &error));
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_unlink (tmp);
}

/* The recipe's hash changes with every edit of the shipped recipe: the
 * golden files hold a placeholder. */
static inline char *
virt_test_normalise_hash (const char *xml)
{
  g_autoptr(GRegex) re = g_regex_new ("recipe='[0-9a-f]{64}'", 0, 0, NULL);

  return g_regex_replace_literal (re, xml, -1, 0, "recipe='RECIPE-SHA256'", 0, NULL);
}

/* xml (recipe hash normalised) must be tests/data/virt/<name>;
 * LABCTL_UPDATE_GOLDEN=1 rewrites the file instead. */
static inline void
virt_test_check_golden (const char *name, const char *xml)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "virt", name, NULL);
  g_autofree char *expected = NULL;
  g_autofree char *actual = virt_test_normalise_hash (xml);
  g_autoptr(GError) error = NULL;

  if (g_getenv ("LABCTL_UPDATE_GOLDEN") != NULL)
    {
      g_assert_true (g_file_set_contents (path, actual, -1, &error));
      g_test_message ("updated %s", path);
      return;
    }
  g_assert_true (g_file_get_contents (path, &expected, NULL, &error));
  g_assert_no_error (error);
  if (g_strcmp0 (expected, actual) != 0)
    g_test_message ("%s differs; labctl now builds:\n%s", name, actual);
  g_assert_cmpstr (expected, ==, actual);
}
