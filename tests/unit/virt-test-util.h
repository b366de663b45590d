/* virt-test-util.h: helpers shared by the virt unit tests. */
#pragma once

#include <glib.h>

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
