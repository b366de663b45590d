/* lab-virt-xml.c: network and domain XML, virt-install equivalents,
 * ownership marks (see lab-virt-xml.h). */
#include "config.h"

#include "lab-virt-xml.h"

#include <stdio.h>
#include <string.h>

#include "lab-util.h"
#include "lab-xml-writer.h"

LabVirtDomainSpec *
lab_virt_domain_spec_new (void)
{
  return g_new0 (LabVirtDomainSpec, 1);
}

void
lab_virt_domain_spec_free (LabVirtDomainSpec *s)
{
  if (s == NULL)
    return;
  g_free (s->lab_name);
  g_free (s->node_name);
  g_free (s->recipe_hash);
  g_free (s->domain_type);
  g_free (s->arch);
  g_free (s->machine);
  g_free (s->cpu_mode);
  g_free (s->cache_mode);
  g_free (s->disk_path);
  g_free (s->disk_format);
  g_free (s->disk_bus);
  g_free (s->cdrom_path);
  g_free (s->extra_disk_path);
  g_free (s->kernel);
  g_free (s->initrd);
  g_free (s->cmdline);
  g_free (s->serial_log);
  g_free (s->network);
  g_free (s->mac);
  g_free (s->nic_model);
  g_free (s->graphics);
  g_free (s->video_model);
  g_free (s->os_id);
  g_free (s->uuid);
  g_free (s);
}

static void
host_free (LabVirtHost *h)
{
  g_free (h->name);
  g_free (h->mac);
  g_free (h->ip);
  g_free (h);
}

LabVirtNetworkSpec *
lab_virt_network_spec_new (void)
{
  LabVirtNetworkSpec *s = g_new0 (LabVirtNetworkSpec, 1);

  s->hosts = g_ptr_array_new_with_free_func ((GDestroyNotify) host_free);
  return s;
}

void
lab_virt_network_spec_free (LabVirtNetworkSpec *s)
{
  if (s == NULL)
    return;
  g_free (s->lab_name);
  g_free (s->recipe_hash);
  g_free (s->name);
  g_free (s->bridge);
  g_free (s->gateway);
  g_free (s->dhcp_start);
  g_free (s->dhcp_end);
  g_free (s->dns_domain);
  g_ptr_array_unref (s->hosts);
  g_free (s);
}

void
lab_virt_network_spec_add_host (LabVirtNetworkSpec *spec, const char *name, const char *mac, const char *ip)
{
  LabVirtHost *h = g_new0 (LabVirtHost, 1);

  h->name = g_strdup (name);
  h->mac = g_strdup (mac);
  h->ip = g_strdup (ip);
  g_ptr_array_add (spec->hosts, h);
}

LabVirtGuestSpec *
lab_virt_guest_spec_new (void)
{
  return g_new0 (LabVirtGuestSpec, 1);
}

void
lab_virt_guest_spec_free (LabVirtGuestSpec *s)
{
  if (s == NULL)
    return;
  g_free (s->lab_name);
  g_free (s->name);
  g_free (s->uuid);
  g_free (s->domain_type);
  g_free (s->arch);
  g_free (s->machine);
  g_free (s->kernel);
  g_free (s->initrd);
  g_free (s->cmdline);
  g_free (s->cpu_model);
  g_free (s->bridge);
  g_free (s->mac);
  g_free (s->nic_model);
  g_free (s->iscsi_iqn);
  g_free (s->iscsi_host);
  g_free (s->disk_file);
  g_free (s->disk_format);
  g_free (s->disk_block);
  g_free (s->pin_cpuset);
  g_free (s->migrate_pin_cpuset);
  g_free (s->console_log);
  g_free (s->root_dir);
  g_free (s->init);
  g_free (s->ip_address);
  g_free (s->exercise);
  g_free (s);
}

/* labctl's mark; role "node" or "guest" says who within the lab (NULL:
 * the lab itself, for its network). */
static void
write_owner (LabXmlWriter *w, const char *lab, const char *role, const char *who, const char *hash)
{
  lab_xml_writer_start (w, LAB_VIRT_XMLNS_PREFIX ":lab");
  lab_xml_writer_attr (w, "xmlns:" LAB_VIRT_XMLNS_PREFIX, LAB_VIRT_XMLNS);
  lab_xml_writer_attr (w, "name", lab);
  if (role != NULL)
    lab_xml_writer_attr (w, role, who);
  lab_xml_writer_attr (w, "recipe", hash);
  lab_xml_writer_end (w);
}

/* <os>: hvm, and a direct kernel boot where kernel, initrd, cmdline are
 * given (each NULL: not written). */
static void
write_os (LabXmlWriter *w, const char *arch, const char *machine, const char *kernel, const char *initrd,
          const char *cmdline)
{
  lab_xml_writer_start (w, "os");
  lab_xml_writer_start_attrs (w, "type", "arch", arch, "machine", machine, NULL);
  lab_xml_writer_text (w, "hvm");
  lab_xml_writer_end (w);
  lab_xml_writer_element (w, "kernel", kernel);
  lab_xml_writer_element (w, "initrd", initrd);
  lab_xml_writer_element (w, "cmdline", cmdline);
  lab_xml_writer_end (w);
}

static const char *
or_default (const char *value, const char *fallback)
{
  return value != NULL ? value : fallback;
}

/* What happens when the guest powers off, reboots, crashes. */
static void
write_lifecycle (LabXmlWriter *w)
{
  lab_xml_writer_element (w, "on_poweroff", "destroy");
  lab_xml_writer_element (w, "on_reboot", "restart");
  lab_xml_writer_element (w, "on_crash", "destroy");
}

/* <interface type='TYPE'><source TYPE='SOURCE'/><mac/><model/></interface>,
 * TYPE "network" or "bridge"; on one line when one_line. */
static void
write_interface (LabXmlWriter *w, gboolean one_line, const char *type, const char *source, const char *mac,
                 const char *model)
{
  if (one_line)
    lab_xml_writer_start_inline (w, "interface");
  else
    lab_xml_writer_start (w, "interface");
  lab_xml_writer_attr (w, "type", type);
  lab_xml_writer_empty (w, "source", type, source, NULL);
  if (mac != NULL)
    lab_xml_writer_empty (w, "mac", "address", mac, NULL);
  lab_xml_writer_empty (w, "model", "type", or_default (model, "virtio"), NULL);
  lab_xml_writer_end (w);
}

static gboolean
is_block_device_path (const char *path)
{
  return g_str_has_prefix (path, "/dev/");
}

char *
lab_virt_domain_xml (const LabVirtDomainSpec *s)
{
  g_autoptr(LabXmlWriter) w = lab_xml_writer_new ();
  const char *bus = or_default (s->disk_bus, "virtio");
  gboolean direct_boot = s->kernel != NULL;

  lab_xml_writer_start_attrs (w, "domain", "type", or_default (s->domain_type, "kvm"), NULL);
  lab_xml_writer_element (w, "name", s->node_name);
  lab_xml_writer_element (w, "uuid", s->uuid);

  lab_xml_writer_start (w, "metadata");
  write_owner (w, s->lab_name, "node", s->node_name, s->recipe_hash);
  if (s->os_id != NULL)
    {
      lab_xml_writer_start_attrs (w, "libosinfo:libosinfo",
                                  "xmlns:libosinfo", "http://libosinfo.org/xmlns/libvirt/domain/1.0", NULL);
      lab_xml_writer_empty (w, "libosinfo:os", "id", s->os_id, NULL);
      lab_xml_writer_end (w);
    }
  lab_xml_writer_end (w);

  lab_xml_writer_start_attrs (w, "memory", "unit", "MiB", NULL);
  {
    g_autofree char *mem = g_strdup_printf ("%" G_GUINT64_FORMAT, s->memory_mib);
    lab_xml_writer_text (w, mem);
    lab_xml_writer_end (w);
    lab_xml_writer_start_attrs (w, "currentMemory", "unit", "MiB", NULL);
    lab_xml_writer_text (w, mem);
    lab_xml_writer_end (w);
  }
  lab_xml_writer_element_printf (w, "vcpu", "%u", s->vcpus > 0 ? s->vcpus : 1);

  write_os (w, or_default (s->arch, "x86_64"), s->machine, s->kernel,
            direct_boot ? s->initrd : NULL, direct_boot ? s->cmdline : NULL);

  lab_xml_writer_start (w, "features");
  lab_xml_writer_empty (w, "acpi", NULL);
  lab_xml_writer_empty (w, "apic", NULL);
  lab_xml_writer_empty (w, "vmport", "state", "off", NULL);
  lab_xml_writer_end (w);

  if (s->cpu_mode != NULL)
    {
      lab_xml_writer_start_attrs (w, "cpu", "mode", s->cpu_mode, NULL);
      if (s->cache_mode != NULL)
        lab_xml_writer_empty (w, "cache", "mode", s->cache_mode, NULL);
      lab_xml_writer_end (w);
    }

  lab_xml_writer_start_attrs (w, "clock", "offset", "utc", NULL);
  lab_xml_writer_empty (w, "timer", "name", "rtc", "tickpolicy", "catchup", NULL);
  lab_xml_writer_empty (w, "timer", "name", "pit", "tickpolicy", "delay", NULL);
  lab_xml_writer_empty (w, "timer", "name", "hpet", "present", "no", NULL);
  lab_xml_writer_end (w);

  write_lifecycle (w);

  lab_xml_writer_start (w, "pm");
  lab_xml_writer_empty (w, "suspend-to-mem", "enabled", "no", NULL);
  lab_xml_writer_empty (w, "suspend-to-disk", "enabled", "no", NULL);
  lab_xml_writer_end (w);

  lab_xml_writer_start (w, "devices");
  if (s->disk_path != NULL)
    {
      gboolean block = is_block_device_path (s->disk_path);
      lab_xml_writer_start_attrs (w, "disk", "type", block ? "block" : "file", "device", "disk", NULL);
      lab_xml_writer_start_attrs (w, "driver", "name", "qemu", "type", or_default (s->disk_format, "raw"),
                                  NULL);
      /* cache='none' (O_DIRECT) is what makes live migration on shared
       * storage safe; io='native' needs it. */
      lab_xml_writer_attr (w, "cache", "none");
      lab_xml_writer_attr (w, "io", "native");
      lab_xml_writer_attr (w, "discard", "unmap");
      lab_xml_writer_end (w);
      lab_xml_writer_start (w, "source");
      lab_xml_writer_attr (w, block ? "dev" : "file", s->disk_path);
      if (s->disk_size > 0)
        {
          /* raw only: QEMU's raw driver with offset and size */
          g_autofree char *offset = g_strdup_printf ("%" G_GUINT64_FORMAT, s->disk_offset);
          g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT, s->disk_size);
          lab_xml_writer_start (w, "slices");
          lab_xml_writer_empty (w, "slice", "type", "storage", "offset", offset, "size", size, NULL);
          lab_xml_writer_end (w);
        }
      lab_xml_writer_end (w);
      lab_xml_writer_empty (w, "target", "dev", g_str_equal (bus, "virtio") ? "vda" : "sda",
                            "bus", bus, NULL);
      if (!direct_boot)
        lab_xml_writer_empty (w, "boot", "order", "1", NULL);
      lab_xml_writer_end (w);
    }
  if (s->cdrom_path != NULL)
    {
      lab_xml_writer_start_attrs (w, "disk", "type", "file", "device", "cdrom", NULL);
      lab_xml_writer_empty (w, "driver", "name", "qemu", "type", "raw", NULL);
      lab_xml_writer_empty (w, "source", "file", s->cdrom_path, NULL);
      lab_xml_writer_start (w, "target");
      /* sata on q35 (no IDE there), ide on the old pc machine */
      lab_xml_writer_attr (w, "dev", g_strcmp0 (s->machine, "pc") == 0 ? "hdc" : (g_str_equal (bus, "virtio") ? "sda" : "sdb"));
      lab_xml_writer_attr (w, "bus", g_strcmp0 (s->machine, "pc") == 0 ? "ide" : "sata");
      lab_xml_writer_end (w);
      lab_xml_writer_empty (w, "readonly", NULL);
      if (!direct_boot)
        {
          /* an empty disk is not bootable, so the firmware falls through to
           * the installer; after the install the node boots from its disk
           * without redefining the domain */
          lab_xml_writer_empty (w, "boot", "order", "2", NULL);
        }
      lab_xml_writer_end (w);
    }
  if (s->extra_disk_path != NULL)
    {
      /* not bootable. Not <readonly/>: QEMU's IDE and SATA disks cannot be
       * read-only (libvirt refuses "readonly sata disks are not
       * supported"); the installer mounts it read-only, and labctl
       * detaches it before it snapshots the node */
      gboolean pc = g_strcmp0 (s->machine, "pc") == 0;

      lab_xml_writer_start_attrs (w, "disk", "type", "file", "device", "disk", NULL);
      lab_xml_writer_empty (w, "driver", "name", "qemu", "type", "raw", NULL);
      lab_xml_writer_empty (w, "source", "file", s->extra_disk_path, NULL);
      lab_xml_writer_empty (w, "target", "dev", pc ? "hdd" : (g_str_equal (bus, "virtio") ? "sdb" : "sdc"), "bus",
                            pc ? "ide" : "sata", NULL);
      lab_xml_writer_end (w);
    }
  if (s->network != NULL)
    write_interface (w, FALSE, "network", s->network, s->mac, s->nic_model);
  lab_xml_writer_start_attrs (w, "serial", "type", "pty", NULL);
  if (s->serial_log != NULL)
    lab_xml_writer_empty (w, "log", "file", s->serial_log, "append", "on", NULL);
  lab_xml_writer_empty (w, "target", "port", "0", NULL);
  lab_xml_writer_end (w);
  lab_xml_writer_start_attrs (w, "console", "type", "pty", NULL);
  lab_xml_writer_empty (w, "target", "type", "serial", "port", "0", NULL);
  lab_xml_writer_end (w);
  /* the guest agent channel (qemu-guest-agent: clean shutdown, addresses) */
  lab_xml_writer_start_attrs (w, "channel", "type", "unix", NULL);
  lab_xml_writer_empty (w, "source", "mode", "bind", NULL);
  lab_xml_writer_empty (w, "target", "type", "virtio", "name", "org.qemu.guest_agent.0", NULL);
  lab_xml_writer_end (w);
  if (g_strcmp0 (s->graphics, "spice") == 0)
    {
      lab_xml_writer_start_attrs (w, "channel", "type", "spicevmc", NULL);
      lab_xml_writer_empty (w, "target", "type", "virtio", "name", "com.redhat.spice.0", NULL);
      lab_xml_writer_end (w);
    }
  if (s->graphics != NULL)
    {
      if (s->usb_tablet)
        lab_xml_writer_empty (w, "input", "type", "tablet", "bus", "usb", NULL);
      lab_xml_writer_start_attrs (w, "graphics", "type", s->graphics, "autoport", "yes", NULL);
      lab_xml_writer_empty (w, "listen", "type", "address", "address", "127.0.0.1", NULL);
      if (g_str_equal (s->graphics, "spice"))
        lab_xml_writer_empty (w, "image", "compression", "off", NULL);
      lab_xml_writer_end (w);
      if (s->video_model != NULL)
        {
          lab_xml_writer_start (w, "video");
          lab_xml_writer_empty (w, "model", "type", s->video_model, NULL);
          lab_xml_writer_end (w);
        }
    }
  lab_xml_writer_empty (w, "memballoon", "model", "virtio", NULL);
  lab_xml_writer_start_attrs (w, "rng", "model", "virtio", NULL);
  lab_xml_writer_start_attrs (w, "backend", "model", "random", NULL);
  lab_xml_writer_text (w, "/dev/urandom");
  lab_xml_writer_end (w);
  lab_xml_writer_end (w);
  lab_xml_writer_end (w); /* devices */

  return lab_xml_writer_finish (w);
}

char *
lab_virt_guest_xml (const LabVirtGuestSpec *s)
{
  g_autoptr(LabXmlWriter) w = lab_xml_writer_new ();

  lab_xml_writer_start_attrs (w, "domain", "type", or_default (s->domain_type, "qemu"), NULL);
  lab_xml_writer_element (w, "name", s->name);
  lab_xml_writer_element (w, "uuid", s->uuid);
  lab_xml_writer_start (w, "metadata");
  if (s->exercise == NULL)
    write_owner (w, s->lab_name, "guest", s->name, NULL);
  else
    lab_xml_writer_empty (w, LAB_VIRT_XMLNS_PREFIX ":lab", "xmlns:" LAB_VIRT_XMLNS_PREFIX, LAB_VIRT_XMLNS,
                          "name", s->lab_name, "guest", s->name, "exercise", s->exercise, NULL);
  lab_xml_writer_end (w);
  lab_xml_writer_start_attrs (w, "memory", "unit", "MiB", NULL);
  {
    g_autofree char *mem = g_strdup_printf ("%" G_GUINT64_FORMAT, s->memory_mib);
    lab_xml_writer_text (w, mem);
  }
  lab_xml_writer_end (w);
  lab_xml_writer_element_printf (w, "vcpu", "%u", s->vcpus);
  if (s->pin_cpuset != NULL)
    {
      lab_xml_writer_start (w, "cputune");
      for (guint i = 0; i < MAX (s->vcpus, 1); i++)
        {
          g_autofree char *vcpu = g_strdup_printf ("%u", i);
          lab_xml_writer_empty (w, "vcpupin", "vcpu", vcpu, "cpuset", s->pin_cpuset, NULL);
        }
      lab_xml_writer_empty (w, "emulatorpin", "cpuset", s->pin_cpuset, NULL);
      lab_xml_writer_end (w);
    }
  write_os (w, or_default (s->arch, "x86_64"), or_default (s->machine, "pc"), s->kernel, s->initrd, s->cmdline);
  lab_xml_writer_start_inline (w, "features");
  lab_xml_writer_empty (w, "acpi", NULL);
  lab_xml_writer_end (w);
  if (s->cpu_model != NULL)
    {
      /* a model every node offers (under TCG too): the migration never
       * meets a CPU the destination lacks */
      lab_xml_writer_start_inline (w, "cpu");
      lab_xml_writer_attr (w, "mode", "custom");
      lab_xml_writer_attr (w, "match", "exact");
      lab_xml_writer_start_attrs (w, "model", "fallback", "forbid", NULL);
      lab_xml_writer_text (w, s->cpu_model);
      lab_xml_writer_end (w);
      lab_xml_writer_end (w);
    }
  write_lifecycle (w);

  lab_xml_writer_start (w, "devices");
  if (s->bridge != NULL)
    write_interface (w, TRUE, "bridge", s->bridge, s->mac, s->nic_model);
  if (s->iscsi_iqn != NULL)
    {
      lab_xml_writer_start_attrs (w, "disk", "type", "network", "device", "disk", NULL);
      lab_xml_writer_start_attrs (w, "driver", "name", "qemu", "type", "raw", NULL);
      /* no host cache: both nodes see the same LUN, the migration needs it */
      lab_xml_writer_attr (w, "cache", "none");
      lab_xml_writer_end (w);
      lab_xml_writer_start_attrs (w, "source", "protocol", "iscsi", NULL);
      lab_xml_writer_attr_printf (w, "name", "%s/%u", s->iscsi_iqn, s->iscsi_lun);
      lab_xml_writer_start_attrs (w, "host", "name", s->iscsi_host, NULL);
      lab_xml_writer_attr_printf (w, "port", "%u", s->iscsi_port);
      lab_xml_writer_end (w);
      if (s->slice_size > 0)
        {
          lab_xml_writer_start_inline (w, "slices");
          lab_xml_writer_start_attrs (w, "slice", "type", "storage", NULL);
          lab_xml_writer_attr_printf (w, "offset", "%" G_GUINT64_FORMAT, s->slice_offset);
          lab_xml_writer_attr_printf (w, "size", "%" G_GUINT64_FORMAT, s->slice_size);
          lab_xml_writer_end (w);
          lab_xml_writer_end (w);
        }
      lab_xml_writer_end (w); /* source */
      lab_xml_writer_empty (w, "target", "dev", "vda", "bus", "virtio", NULL);
      lab_xml_writer_end (w); /* disk */
    }
  else if (s->disk_block != NULL)
    {
      /* no host cache: the LV is active on both nodes during a migration */
      lab_xml_writer_start_attrs (w, "disk", "type", "block", "device", "disk", NULL);
      lab_xml_writer_empty (w, "driver", "name", "qemu", "type", "raw", "cache", "none", "io", "native", NULL);
      lab_xml_writer_empty (w, "source", "dev", s->disk_block, NULL);
      lab_xml_writer_empty (w, "target", "dev", "vda", "bus", "virtio", NULL);
      lab_xml_writer_end (w); /* disk */
    }
  else if (s->disk_file != NULL)
    {
      lab_xml_writer_start_attrs (w, "disk", "type", "file", "device", "disk", NULL);
      lab_xml_writer_empty (w, "driver", "name", "qemu", "type", or_default (s->disk_format, "qcow2"), NULL);
      lab_xml_writer_empty (w, "source", "file", s->disk_file, NULL);
      lab_xml_writer_empty (w, "target", "dev", "vda", "bus", "virtio", NULL);
      lab_xml_writer_end (w); /* disk */
    }
  if (s->console_log != NULL)
    {
      lab_xml_writer_start_attrs (w, "serial", "type", "pty", NULL);
      lab_xml_writer_empty (w, "log", "file", s->console_log, "append", "on", NULL);
      lab_xml_writer_end (w);
    }
  else
    lab_xml_writer_empty (w, "serial", "type", "pty", NULL);
  lab_xml_writer_empty (w, "console", "type", "pty", NULL);
  /* nothing the guest does not need: no USB controller (and its tablet),
   * no balloon */
  lab_xml_writer_empty (w, "controller", "type", "usb", "model", "none", NULL);
  lab_xml_writer_empty (w, "memballoon", "model", "none", NULL);
  lab_xml_writer_end (w); /* devices */
  return lab_xml_writer_finish (w);
}

char *
lab_virt_container_xml (const LabVirtGuestSpec *s)
{
  g_autoptr(LabXmlWriter) w = lab_xml_writer_new ();

  lab_xml_writer_start_attrs (w, "domain", "type", "lxc", NULL);
  lab_xml_writer_element (w, "name", s->name);
  lab_xml_writer_element (w, "uuid", s->uuid);
  lab_xml_writer_start (w, "metadata");
  write_owner (w, s->lab_name, "guest", s->name, NULL);
  lab_xml_writer_end (w);
  lab_xml_writer_start_attrs (w, "memory", "unit", "MiB", NULL);
  {
    g_autofree char *mem = g_strdup_printf ("%" G_GUINT64_FORMAT, s->memory_mib);
    lab_xml_writer_text (w, mem);
  }
  lab_xml_writer_end (w);
  lab_xml_writer_element_printf (w, "vcpu", "%u", s->vcpus);
  lab_xml_writer_start (w, "os");
  lab_xml_writer_element (w, "type", "exe");
  lab_xml_writer_element (w, "init", or_default (s->init, "/sbin/init"));
  lab_xml_writer_end (w);
  write_lifecycle (w);
  lab_xml_writer_start (w, "devices");
  if (s->root_dir != NULL)
    {
      lab_xml_writer_start_attrs (w, "filesystem", "type", "mount", "accessmode", "passthrough", NULL);
      lab_xml_writer_empty (w, "source", "dir", s->root_dir, NULL);
      lab_xml_writer_empty (w, "target", "dir", "/", NULL);
      lab_xml_writer_end (w);
    }
  if (s->bridge != NULL)
    {
      lab_xml_writer_start_attrs (w, "interface", "type", "bridge", NULL);
      lab_xml_writer_empty (w, "source", "bridge", s->bridge, NULL);
      if (s->mac != NULL)
        lab_xml_writer_empty (w, "mac", "address", s->mac, NULL);
      if (s->ip_address != NULL)
        {
          g_autofree char *prefix = g_strdup_printf ("%u", s->ip_prefix);
          lab_xml_writer_empty (w, "ip", "address", s->ip_address, "family", "ipv4", "prefix", prefix, NULL);
        }
      lab_xml_writer_end (w);
    }
  lab_xml_writer_empty (w, "console", "type", "pty", NULL);
  lab_xml_writer_end (w); /* devices */
  return lab_xml_writer_finish (w);
}

static char *
netmask_from_prefix (guint prefix)
{
  guint32 mask = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);

  return g_strdup_printf ("%u.%u.%u.%u", mask >> 24, (mask >> 16) & 0xff, (mask >> 8) & 0xff, mask & 0xff);
}

char *
lab_virt_network_xml (const LabVirtNetworkSpec *s)
{
  g_autoptr(LabXmlWriter) w = lab_xml_writer_new ();

  lab_xml_writer_start (w, "network");
  lab_xml_writer_element (w, "name", s->name);
  lab_xml_writer_start (w, "metadata");
  write_owner (w, s->lab_name, NULL, NULL, s->recipe_hash);
  lab_xml_writer_end (w);
  lab_xml_writer_empty (w, "forward", "mode", "nat", NULL);
  lab_xml_writer_empty (w, "bridge", "name", s->bridge, "stp", "on", "delay", "0", NULL);
  if (s->dns_domain != NULL)
    lab_xml_writer_empty (w, "domain", "name", s->dns_domain, "localOnly", "yes", NULL);
  lab_xml_writer_start_attrs (w, "ip", "address", s->gateway, NULL);
  {
    g_autofree char *mask = netmask_from_prefix (s->prefix);
    lab_xml_writer_attr (w, "netmask", mask);
  }
  lab_xml_writer_start (w, "dhcp");
  if (s->dhcp_start != NULL && s->dhcp_end != NULL)
    lab_xml_writer_empty (w, "range", "start", s->dhcp_start, "end", s->dhcp_end, NULL);
  for (guint i = 0; i < s->hosts->len; i++)
    {
      LabVirtHost *h = g_ptr_array_index (s->hosts, i);
      lab_xml_writer_empty (w, "host", "mac", h->mac, "name", h->name, "ip", h->ip, NULL);
    }
  lab_xml_writer_end (w); /* dhcp */
  lab_xml_writer_end (w); /* ip */
  return lab_xml_writer_finish (w);
}

/* g_strv_builder_take() is GLib 2.80 */
static void
builder_take (GStrvBuilder *b, char *s)
{
  g_strv_builder_add (b, s);
  g_free (s);
}

static void
add_arg (GString *line, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
add_arg (GString *line, const char *format, ...)
{
  g_autofree char *arg = NULL;
  g_autofree char *quoted = NULL;
  va_list ap;

  va_start (ap, format);
  arg = g_strdup_vprintf (format, ap);
  va_end (ap);
  quoted = lab_shell_quote (arg);
  g_string_append_c (line, ' ');
  g_string_append (line, quoted);
}

char **
lab_virt_domain_describe (const LabVirtDomainSpec *s, const char *uri, const char *osinfo_dir)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_autoptr(GString) line = g_string_new (NULL);
  const char *bus = or_default (s->disk_bus, "virtio");
  g_autofree char *xml_file = g_strdup_printf ("%s.xml", s->node_name);
  g_autofree char *owner = NULL;

  if (osinfo_dir != NULL)
    {
      /* virt-install reads labctl's overlay (Proxmox VE, Debian 12) from here */
      g_autofree char *q = lab_shell_quote (osinfo_dir);
      g_string_append_printf (line, "OSINFO_USER_DIR=%s ", q);
    }
  g_string_append (line, "virt-install");
  add_arg (line, "--connect=%s", uri);
  add_arg (line, "--name=%s", s->node_name);
  add_arg (line, "--virt-type=%s", or_default (s->domain_type, "kvm"));
  add_arg (line, "--arch=%s", or_default (s->arch, "x86_64"));
  if (s->machine != NULL)
    add_arg (line, "--machine=%s", s->machine);
  add_arg (line, "--vcpus=%u", s->vcpus);
  if (s->cpu_mode != NULL && s->cache_mode != NULL)
    add_arg (line, "--cpu=%s,cache.mode=%s", s->cpu_mode, s->cache_mode);
  else if (s->cpu_mode != NULL)
    add_arg (line, "--cpu=%s", s->cpu_mode);
  add_arg (line, "--memory=%" G_GUINT64_FORMAT, s->memory_mib);
  if (s->os_id != NULL)
    add_arg (line, "--osinfo=id=%s", s->os_id);
  else
    add_arg (line, "--osinfo=detect=on,require=off");
  if (s->disk_path != NULL)
    add_arg (line, "--disk=path=%s,format=%s,bus=%s,cache=none,io=native,discard=unmap%s",
             s->disk_path, or_default (s->disk_format, "raw"), bus,
             s->kernel == NULL ? ",boot.order=1" : "");
  if (s->cdrom_path != NULL)
    add_arg (line, "--disk=path=%s,device=cdrom,bus=%s,readonly=on%s", s->cdrom_path,
             g_strcmp0 (s->machine, "pc") == 0 ? "ide" : "sata",
             s->kernel == NULL ? ",boot.order=2" : "");
  if (s->extra_disk_path != NULL)
    add_arg (line, "--disk=path=%s,device=disk,format=raw,bus=%s", s->extra_disk_path,
             g_strcmp0 (s->machine, "pc") == 0 ? "ide" : "sata");
  if (s->kernel != NULL && s->disk_path != NULL && s->cdrom_path == NULL)
    add_arg (line, "--import");
  if (s->kernel != NULL)
    {
      g_autoptr(GString) boot = g_string_new (NULL);
      g_string_append_printf (boot, "kernel=%s", s->kernel);
      if (s->initrd != NULL)
        g_string_append_printf (boot, ",initrd=%s", s->initrd);
      if (s->cmdline != NULL)
        g_string_append_printf (boot, ",kernel_args=%s", s->cmdline);
      add_arg (line, "--boot=%s", boot->str);
    }
  if (s->network != NULL)
    add_arg (line, "--network=network=%s%s%s,model=%s", s->network,
             s->mac != NULL ? ",mac=" : "", s->mac != NULL ? s->mac : "",
             or_default (s->nic_model, "virtio"));
  else
    add_arg (line, "--network=none");
  if (s->graphics != NULL)
    add_arg (line, "--graphics=%s,listen=127.0.0.1", s->graphics);
  else
    add_arg (line, "--graphics=none");
  if (s->graphics != NULL && s->video_model != NULL)
    add_arg (line, "--video=%s", s->video_model);
  if (s->serial_log != NULL)
    add_arg (line, "--serial=pty,log.file=%s,log.append=on", s->serial_log);
  else
    add_arg (line, "--serial=pty");
  add_arg (line, "--rng=/dev/urandom");
  add_arg (line, "--print-xml");
  g_string_append_printf (line, " > %s", xml_file);
  g_strv_builder_add (b, line->str);

  g_string_printf (line, "virsh -c %s define %s", uri, xml_file);
  g_strv_builder_add (b, line->str);

  owner = g_strdup_printf ("<lab name='%s' node='%s' recipe='%s'/>", s->lab_name, s->node_name,
                           or_default (s->recipe_hash, ""));
  g_string_printf (line, "virsh -c %s metadata %s %s --key %s --config --set", uri, s->node_name,
                   LAB_VIRT_XMLNS, LAB_VIRT_XMLNS_PREFIX);
  {
    g_autofree char *q = g_shell_quote (owner);
    g_string_append_printf (line, " %s", q);
  }
  g_strv_builder_add (b, line->str);
  return g_strv_builder_end (b);
}

char **
lab_virt_network_describe (const LabVirtNetworkSpec *s, const char *uri)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_autofree char *xml = lab_virt_network_xml (s);
  g_autofree char *file = g_strdup_printf ("%s-net.xml", s->name);

  builder_take (b, g_strdup_printf ("cat > %s <<'EOF'\n%sEOF", file, xml));
  builder_take (b, g_strdup_printf ("virsh -c %s net-define %s", uri, file));
  builder_take (b, g_strdup_printf ("virsh -c %s net-start %s", uri, s->name));
  builder_take (b, g_strdup_printf ("virsh -c %s net-autostart %s", uri, s->name));
  return g_strv_builder_end (b);
}

/* ---- reading documents back ------------------------------------------ */

LabXmlReader *
lab_virt_xml_reader_new (const char *xml, const char *what, GError **error)
{
  LabXmlReader *reader = lab_xml_reader_new (xml, what, error);

  if (reader != NULL)
    lab_xml_reader_register_ns (reader, LAB_VIRT_XMLNS_PREFIX, LAB_VIRT_XMLNS);
  return reader;
}

static guint
prefix_from_netmask (guint32 mask)
{
  guint n = 0;

  while (mask & 0x80000000u)
    {
      n++;
      mask <<= 1;
    }
  return n;
}

gboolean
lab_virt_parse_ipv4 (const char *text, guint32 *out)
{
  guint parts[4];
  char extra;

  if (text == NULL || sscanf (text, "%u.%u.%u.%u%c", &parts[0], &parts[1], &parts[2], &parts[3], &extra) != 4)
    return FALSE;
  for (guint i = 0; i < 4; i++)
    if (parts[i] > 255)
      return FALSE;
  *out = (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3];
  return TRUE;
}

gboolean
lab_virt_xml_get_owner (const char *xml, char **lab_name, char **node_name, char **recipe_hash)
{
  g_autoptr(LabXmlReader) reader = xml != NULL ? lab_virt_xml_reader_new (xml, "libvirt XML", NULL) : NULL;
  g_autoptr(GPtrArray) marks = NULL;
  LabXmlNode *mark;

  if (lab_name != NULL)
    *lab_name = NULL;
  if (node_name != NULL)
    *node_name = NULL;
  if (recipe_hash != NULL)
    *recipe_hash = NULL;
  /* the mark in labctl's namespace, whatever prefix the document gives it */
  if (reader != NULL)
    marks = lab_xml_reader_get_nodes (reader, NULL, "//" LAB_VIRT_XMLNS_PREFIX ":lab");
  if (marks == NULL || marks->len == 0)
    return FALSE;
  mark = g_ptr_array_index (marks, 0);
  if (lab_name != NULL)
    *lab_name = lab_xml_node_get_attr (mark, "name");
  if (node_name != NULL)
    *node_name = lab_xml_node_get_attr (mark, "node");
  if (recipe_hash != NULL)
    *recipe_hash = lab_xml_node_get_attr (mark, "recipe");
  return TRUE;
}

gboolean
lab_virt_xml_get_network_ipv4 (const char *xml, guint32 *address, guint *prefix, char **bridge)
{
  g_autoptr(LabXmlReader) reader = xml != NULL ? lab_virt_xml_reader_new (xml, "libvirt XML", NULL) : NULL;
  g_autoptr(GPtrArray) ips = NULL;

  if (address != NULL)
    *address = 0;
  if (prefix != NULL)
    *prefix = 0;
  if (bridge != NULL)
    *bridge = reader != NULL ? lab_xml_reader_get_string (reader, NULL, "/*/bridge/@name") : NULL;
  if (reader == NULL)
    return FALSE;
  /* the first IPv4 <ip> of the network (libvirt writes family only for IPv6) */
  ips = lab_xml_reader_get_nodes (reader, NULL, "/*/ip[not(@family) or @family='ipv4']");
  for (guint i = 0; i < ips->len; i++)
    {
      LabXmlNode *ip = g_ptr_array_index (ips, i);
      g_autofree char *text = lab_xml_node_get_attr (ip, "address");
      g_autofree char *netmask = lab_xml_node_get_attr (ip, "netmask");
      g_autofree char *bits = lab_xml_node_get_attr (ip, "prefix");
      guint32 a, m;

      if (!lab_virt_parse_ipv4 (text, &a))
        continue;
      if (address != NULL)
        *address = a;
      if (prefix != NULL)
        {
          if (netmask != NULL && lab_virt_parse_ipv4 (netmask, &m))
            *prefix = prefix_from_netmask (m);
          else if (bits != NULL)
            *prefix = (guint) g_ascii_strtoull (bits, NULL, 10);
          else
            *prefix = 24;
        }
      return TRUE;
    }
  return FALSE;
}
