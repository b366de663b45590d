/* lab-virt-xml.h: libvirt XML for the lab network, the node domains and
 * the guests, built from plain specs (no connection needed), the
 * equivalent virt-install / virsh command lines, and reading labctl's
 * ownership mark back from a document.
 *
 * Ownership: every domain and network labctl defines carries
 *   <metadata><labctl:lab xmlns:labctl='https://labctl.example/xmlns/1'
 *              name='LAB' node='NODE' recipe='HASH'/></metadata>
 * (a guest's: name='LAB' guest='GUEST').
 * libvirt 9.0 keeps <metadata> in network XML too (only the
 * virNetworkSetMetadata API is newer, 9.7), so networks and domains are
 * marked the same way and read back with GetXMLDesc.
 */
#pragma once

#include <glib.h>

#include "lab-xml-reader.h"

G_BEGIN_DECLS

#define LAB_VIRT_XMLNS        "https://labctl.example/xmlns/1"
#define LAB_VIRT_XMLNS_PREFIX "labctl"

typedef struct {
  char    *lab_name;
  char    *node_name;      /* domain name */
  char    *recipe_hash;    /* may be NULL */
  char    *domain_type;    /* "kvm" | "qemu" (| "test") */
  char    *arch;           /* default "x86_64" */
  char    *machine;        /* "q35", "pc" or NULL (libvirt's default) */
  guint    vcpus;
  guint64  memory_mib;
  char    *cpu_mode;       /* "host-passthrough", "host-model", "maximum" or NULL */
  char    *cache_mode;     /* "passthrough", "emulate", "disable" or NULL */
  char    *disk_path;      /* block device (/dev/vg/lv) or image file; NULL: no disk */
  guint64  disk_offset;    /* a slice of disk_path (an LV's extents on the LUN): bytes in, */
  guint64  disk_size;      /* and its length; 0: the whole of disk_path */
  char    *disk_format;    /* "raw" (default) or "qcow2" */
  char    *disk_bus;       /* "virtio" (default), "sata", "scsi" */
  char    *cdrom_path;     /* install ISO; NULL: none */
  char    *extra_disk_path;/* a small raw disk beside it (install answers; SATA/IDE, so not read-only); NULL: none */
  char    *kernel;         /* direct kernel boot (tiny guests); NULL: boot from disk/cdrom */
  char    *initrd;
  char    *cmdline;
  char    *serial_log;     /* file the serial console is also logged to; NULL: none */
  char    *network;        /* libvirt network name; NULL: no NIC */
  char    *mac;
  char    *nic_model;      /* "virtio" (default) or "e1000" */
  char    *graphics;       /* "spice", "vnc" or NULL (none) */
  char    *video_model;    /* "virtio", "qxl", "vga"; NULL: libvirt's default for the graphics */
  gboolean usb_tablet;
  char    *os_id;          /* libosinfo id recorded in libosinfo's metadata; may be NULL */
  char    *uuid;           /* NULL: libvirt picks one (redefining keeps the domain's own) */
} LabVirtDomainSpec;

/* A guest inside the lab (flavors/lab-guest.c): a small domain that can
 * migrate live between the nodes: direct kernel boot, an exact CPU model,
 * a NIC on a host bridge, its disk a LUN of the lab's iSCSI target (or a
 * slice of it) through QEMU's own initiator (cache='none', the same on
 * every node), a serial console, no USB, no balloon. A spec of its own:
 * it shares little with a node's LabVirtDomainSpec (a whole PC: firmware
 * boot, ISO, graphics, agent, balloon, RNG) and its document must stay as
 * it is (the dry-run transcripts show it). */
typedef struct {
  char    *lab_name;
  char    *name;           /* domain name: the guest's */
  char    *uuid;           /* NULL: libvirt picks one */
  char    *domain_type;    /* default "qemu" */
  char    *arch;           /* default "x86_64" */
  char    *machine;        /* default "pc" */
  guint    vcpus;
  guint64  memory_mib;
  char    *kernel;         /* direct kernel boot; NULL: none of the three */
  char    *initrd;
  char    *cmdline;
  char    *cpu_model;      /* a custom model matched exactly, no fallback ("qemu64"); NULL: no <cpu> */
  char    *bridge;         /* host bridge of the NIC; NULL: no NIC */
  char    *mac;
  char    *nic_model;      /* default "virtio" */
  char    *iscsi_iqn;      /* the disk: LUN iscsi_lun of this target; NULL: no disk */
  guint    iscsi_lun;
  char    *iscsi_host;     /* the portal */
  guint    iscsi_port;
  guint64  slice_offset;   /* bytes into the LUN (an LV's extents) */
  guint64  slice_size;     /* 0: the whole LUN */
  char    *disk_file;      /* instead of the LUN: an image file (exercise VMs); NULL: none */
  char    *disk_format;    /* its format: "qcow2" (default) or "raw" */
  char    *disk_block;     /* instead of both: a block device on the node (a shared LV,
                            * /dev/VG/LV: kvm nodes), raw, cache='none' io='native'; NULL: none */
  char    *pin_cpuset;     /* every vCPU and the emulator threads pinned to these node CPUs
                            * (<cputune>); NULL: not pinned */
  char    *migrate_pin_cpuset; /* not in the XML: pinned so (live) before it migrates, and so
                                * started on the destination (lab_virt_migrate()); NULL: not */
  gboolean migrate_paused;     /* not in the XML: migrated paused, not live (lab_virt_migrate()) */
  char    *console_log;    /* the serial console also logged to this file (appended) on the node; NULL: not */
  /* a container (lab_virt_container_xml()) only: */
  char    *root_dir;       /* its root: a directory on the node (its LV mounted there) */
  char    *init;           /* the program it runs, inside root_dir ("/init") */
  char    *ip_address;     /* the address libvirt gives its eth0; NULL: none */
  guint    ip_prefix;
  char    *exercise;       /* the exercise that made it: exercise='NAME' in the mark; NULL: none */
} LabVirtGuestSpec;

typedef struct {
  char *name;
  char *mac;
  char *ip;
} LabVirtHost;

typedef struct {
  char      *lab_name;
  char      *recipe_hash;
  char      *name;          /* libvirt network name */
  char      *bridge;        /* bridge device */
  char      *gateway;       /* host address on the bridge, e.g. 192.168.150.1 */
  guint      prefix;        /* e.g. 24 */
  char      *dhcp_start;
  char      *dhcp_end;
  char      *dns_domain;    /* may be NULL */
  GPtrArray *hosts;         /* LabVirtHost*: fixed reservations */
} LabVirtNetworkSpec;

LabVirtDomainSpec  *lab_virt_domain_spec_new    (void);
void                lab_virt_domain_spec_free   (LabVirtDomainSpec  *spec);
LabVirtNetworkSpec *lab_virt_network_spec_new   (void);
void                lab_virt_network_spec_free  (LabVirtNetworkSpec *spec);
void                lab_virt_network_spec_add_host (LabVirtNetworkSpec *spec,
                                                 const char *name,
                                                 const char *mac,
                                                 const char *ip);

LabVirtGuestSpec   *lab_virt_guest_spec_new     (void);
void                lab_virt_guest_spec_free    (LabVirtGuestSpec   *spec);

char   *lab_virt_domain_xml       (const LabVirtDomainSpec  *spec);
/* The guest's domain, marked <labctl:lab name='LAB' guest='NAME'/>
 * (and exercise='EXERCISE' for a VM an exercise made). */
char   *lab_virt_guest_xml        (const LabVirtGuestSpec   *spec);
/* A guest that is a libvirt LXC container (<domain type='lxc'>, os type
 * exe): memory, vcpu, its root a host directory (root_dir) mounted as /,
 * init run there, a NIC on bridge with ip_address/ip_prefix, a console; marked as lab_virt_guest_xml() marks. */
char   *lab_virt_container_xml    (const LabVirtGuestSpec   *spec);
char   *lab_virt_network_xml      (const LabVirtNetworkSpec *spec);

/* The virt-install command line equivalent to lab_virt_domain_xml() (with
 * OSINFO_USER_DIR=osinfo_dir when not NULL, so that virt-install sees
 * labctl's osinfo overlay), then virsh define and virsh metadata. */
char  **lab_virt_domain_describe  (const LabVirtDomainSpec  *spec,
                                   const char               *uri,
                                   const char               *osinfo_dir);
/* net-define (as a here-document), net-start, net-autostart. */
char  **lab_virt_network_describe (const LabVirtNetworkSpec *spec,
                                   const char               *uri);

/* A reader (lab-xml-reader.h) of a libvirt document with labctl's
 * namespace registered as prefix LAB_VIRT_XMLNS_PREFIX, so that queries
 * find the mark as "//labctl:lab" whatever prefix the document uses. */
LabXmlReader *lab_virt_xml_reader_new (const char *xml,
                                       const char *what,
                                       GError    **error);

/* Reads labctl's ownership mark from a domain or network XML document.
 * Returns FALSE when the document has none (or is NULL or not XML); out
 * parameters may be NULL. */
gboolean lab_virt_xml_get_owner   (const char *xml,
                                   char      **lab_name,
                                   char      **node_name,
                                   char      **recipe_hash);

/* The first <ip address= netmask=|prefix=> of a network XML, and its
 * bridge name. FALSE when the network has no IPv4 address. */
gboolean lab_virt_xml_get_network_ipv4 (const char *xml,
                                        guint32    *address,    /* host byte order */
                                        guint      *prefix,
                                        char      **bridge);

/* Parses "a.b.c.d" into host byte order. */
gboolean lab_virt_parse_ipv4      (const char *text,
                                   guint32    *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabVirtDomainSpec, lab_virt_domain_spec_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabVirtNetworkSpec, lab_virt_network_spec_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabVirtGuestSpec, lab_virt_guest_spec_free)

G_END_DECLS
