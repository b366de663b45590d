/* lab-virt-snapshot.c: snapshots of node domains (see lab-virt.h),
 * internal or external, and the revert of an external snapshot that
 * labctl does itself where libvirt (< 9.9) cannot. */
#include "config.h"

#include "lab-virt-private.h"

#include <libvirt/virterror.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-runner.h"
#include "lab-xml-writer.h"

/* ---- the disks of a document ------------------------------------------ */

typedef struct {
  char    *target;     /* <target dev=>; a snapshot's <disk name=> */
  char    *source;     /* <source file=> or <source dev=>; NULL for a network disk */
  char    *format;     /* <driver type=>; NULL when not said */
  gboolean is_disk;    /* device='disk', not a cdrom or floppy */
  gboolean readonly;   /* <readonly/> or <shareable/>: not part of a snapshot */
} Disk;

static void
disk_free (gpointer data)
{
  Disk *d = data;

  g_free (d->target);
  g_free (d->source);
  g_free (d->format);
  g_free (d);
}

static void
snapshot_free (gpointer snap)
{
  virDomainSnapshotFree (snap);
}

/* The <disk> elements at xpath of a domain document (reader may be NULL:
 * none). */
static GPtrArray *
read_disks (LabXmlReader *reader, const char *xpath)
{
  GPtrArray *disks = g_ptr_array_new_with_free_func (disk_free);
  g_autoptr(GPtrArray) nodes = reader != NULL ? lab_xml_reader_get_nodes (reader, NULL, xpath) : NULL;

  for (guint i = 0; nodes != NULL && i < nodes->len; i++)
    {
      LabXmlNode *node = g_ptr_array_index (nodes, i);
      g_autofree char *device = lab_xml_node_get_attr (node, "device");
      Disk *d = g_new0 (Disk, 1);

      d->is_disk = g_strcmp0 (device, "disk") == 0;
      d->readonly = lab_xml_reader_exists (reader, node, "readonly | shareable");
      d->target = lab_xml_reader_get_string (reader, node, "target/@dev");
      d->format = lab_xml_reader_get_string (reader, node, "driver/@type");
      d->source = lab_xml_reader_get_string (reader, node, "source/@file");
      if (d->source == NULL)
        d->source = lab_xml_reader_get_string (reader, node, "source/@dev");
      g_ptr_array_add (disks, d);
    }
  return disks;
}

/* The external disks of a snapshot document (<disks><disk name=
 * snapshot='external'><source file=/>) as Disk: target the disk's name,
 * source its overlay file (NULL when the document names none). */
static GPtrArray *
read_overlays (LabXmlReader *reader)
{
  GPtrArray *overlays = g_ptr_array_new_with_free_func (disk_free);
  g_autoptr(GPtrArray) nodes = NULL;

  if (reader != NULL)
    nodes = lab_xml_reader_get_nodes (reader, NULL, "/domainsnapshot/disks/disk[@snapshot='external'][@name]");
  for (guint i = 0; nodes != NULL && i < nodes->len; i++)
    {
      LabXmlNode *node = g_ptr_array_index (nodes, i);
      Disk *d = g_new0 (Disk, 1);

      d->target = lab_xml_node_get_attr (node, "name");
      d->source = lab_xml_reader_get_string (reader, node, "source/@file");
      g_ptr_array_add (overlays, d);
    }
  return overlays;
}

/* The document of a snapshot; NULL when libvirt gives none or it does
 * not parse (then it has no disks for labctl). */
static LabXmlReader *
snapshot_reader (virDomainSnapshotPtr snap)
{
  g_autofree char *xml = virDomainSnapshotGetXMLDesc (snap, 0);

  return xml != NULL ? lab_xml_reader_new (xml, "snapshot XML", NULL) : NULL;
}

/* ---- creating --------------------------------------------------------- */

/* Where the overlay of an external snapshot goes: beside a file disk; in
 * libvirt's image directory for a block device. */
static char *
overlay_path (const Disk *d, const char *snapshot)
{
  g_autofree char *base = NULL;

  if (d->source != NULL && !g_str_has_prefix (d->source, "/dev/"))
    return g_strdup_printf ("%s.%s", d->source, snapshot);
  base = d->source != NULL ? g_path_get_basename (d->source) : g_strdup (d->target);
  return g_strdup_printf ("/var/lib/libvirt/images/%s.%s.qcow2", base, snapshot);
}

char *
lab_virt_snapshot_xml (const char *domain_xml, const char *snapshot, const char *description,
                       unsigned int *out_flags)
{
  g_autoptr(LabXmlReader) reader = domain_xml != NULL ? lab_xml_reader_new (domain_xml, "domain XML", NULL) : NULL;
  g_autoptr(GPtrArray) disks = read_disks (reader, "/domain/devices/disk");
  g_autoptr(GPtrArray) writable = g_ptr_array_new ();
  g_autoptr(LabXmlWriter) w = lab_xml_writer_new ();
  guint qcow2 = 0;

  for (guint i = 0; i < disks->len; i++)
    {
      Disk *d = g_ptr_array_index (disks, i);

      if (!d->is_disk || d->readonly || d->target == NULL)
        continue;
      g_ptr_array_add (writable, d);
      if (g_strcmp0 (d->format, "qcow2") == 0)
        qcow2++;
    }

  *out_flags = 0;
  lab_xml_writer_start (w, "domainsnapshot");
  lab_xml_writer_element (w, "name", snapshot);
  lab_xml_writer_element (w, "description", description != NULL ? description : "");
  if (writable->len > 0 && qcow2 < writable->len)
    {
      /* raw disks (the nodes' LVs) cannot hold internal snapshots */
      lab_xml_writer_start (w, "disks");
      for (guint i = 0; i < writable->len; i++)
        {
          Disk *d = g_ptr_array_index (writable, i);
          g_autofree char *overlay = overlay_path (d, snapshot);

          lab_xml_writer_start_inline (w, "disk");
          lab_xml_writer_attr (w, "name", d->target);
          lab_xml_writer_attr (w, "snapshot", "external");
          lab_xml_writer_empty (w, "driver", "type", "qcow2", NULL);
          lab_xml_writer_empty (w, "source", "file", overlay, NULL);
          lab_xml_writer_end (w);
        }
      lab_xml_writer_end (w);
      *out_flags = VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY | VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC;
    }
  return lab_xml_writer_finish (w);
}

gboolean
lab_virt_snapshot_create (LabVirt *self, const char *name, const char *lab_name, const char *snapshot,
                          const char *description, GError **error)
{
  g_autoptr(virDomain) dom = lab_virt_lookup_existing (self, name, lab_name, error);
  g_autoptr(virDomainSnapshot) snap = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *sx = NULL;
  unsigned int flags = 0;

  if (dom == NULL)
    return FALSE;
  xml = virDomainGetXMLDesc (dom, 0);
  sx = lab_virt_snapshot_xml (xml, snapshot, description, &flags);
  snap = virDomainSnapshotCreateXML (dom, sx, flags);
  if (snap == NULL)
    {
      lab_virt_set_error (error, _("Cannot create snapshot \"%s\" of node \"%s\""), snapshot, name);
      return FALSE;
    }
  return TRUE;
}

static virDomainSnapshotPtr
lookup_snapshot (LabVirt *self, const char *name, const char *lab_name, const char *snapshot,
                 virDomainPtr *out_dom, GError **error)
{
  g_autoptr(virDomain) dom = lab_virt_lookup_existing (self, name, lab_name, error);
  virDomainSnapshotPtr snap;

  if (dom == NULL)
    return NULL;
  snap = virDomainSnapshotLookupByName (dom, snapshot, 0);
  if (snap == NULL)
    {
      if (lab_virt_last_error_is (VIR_ERR_NO_DOMAIN_SNAPSHOT))
        g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                     _("Node \"%s\" has no snapshot \"%s\"; see 'labctl nodes snapshot --list %s'"),
                     name, snapshot, name);
      else
        lab_virt_set_error (error, _("Cannot look up snapshot \"%s\" of node \"%s\""), snapshot, name);
      return NULL;
    }
  *out_dom = g_steal_pointer (&dom);
  return snap;
}

/* ---- reverting an external snapshot (libvirt < 9.9) ------------------- */

GPtrArray *
lab_virt_external_overlays (virDomainPtr dom)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  virDomainSnapshotPtr *list = NULL;
  int n = virDomainListAllSnapshots (dom, &list, 0);
  g_autoptr(GPtrArray) snaps = lab_virt_take_list (list, n, snapshot_free);

  for (guint i = 0; i < snaps->len; i++)
    {
      g_autoptr(LabXmlReader) reader = snapshot_reader (g_ptr_array_index (snaps, i));
      g_autoptr(GPtrArray) overlays = read_overlays (reader);

      for (guint j = 0; j < overlays->len; j++)
        {
          Disk *o = g_ptr_array_index (overlays, j);

          if (o->source != NULL)
            g_ptr_array_add (files, g_strdup (o->source));
        }
    }
  return files;
}

/* The disk of the domain (as the snapshot recorded it) that an overlay
 * was made over; NULL when the document does not say. */
static const Disk *
find_backing (GPtrArray *disks, const char *target)
{
  const Disk *found = NULL;

  for (guint i = 0; i < disks->len; i++)
    {
      const Disk *d = g_ptr_array_index (disks, i);

      if (d->is_disk && d->source != NULL && g_strcmp0 (d->target, target) == 0)
        found = d;
    }
  return found;
}

/* A disk-only external snapshot that is the domain's current one, with no
 * children: the domain has run on fresh overlays since, over backing
 * images frozen at the snapshot. Reverting = shut the domain off and make
 * every overlay empty again (qemu-img create -b backing). The domain stays
 * shut off, as libvirt leaves it after reverting to a disk-only snapshot. */
static gboolean
revert_external (LabVirt *self, virDomainPtr dom, virDomainSnapshotPtr snap, const char *name,
                 const char *snapshot, GError **error)
{
  g_autoptr(LabXmlReader) reader = NULL;
  g_autoptr(GPtrArray) overlays = NULL;
  g_autoptr(GPtrArray) disks = NULL;

  if (self->runner == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED,
                   _("Cannot revert node \"%s\" to the external snapshot \"%s\": this libvirt cannot, and labctl "
                     "was given no way to run qemu-img"), name, snapshot);
      return FALSE;
    }
  if (virDomainSnapshotIsCurrent (snap, 0) != 1 || virDomainSnapshotNumChildren (snap, 0) != 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED,
                   _("Cannot revert node \"%s\" to the external snapshot \"%s\": with libvirt older than 9.9 "
                     "labctl can only go back to the newest snapshot"), name, snapshot);
      return FALSE;
    }
  reader = snapshot_reader (snap);
  overlays = read_overlays (reader);
  /* the domain as it was when the snapshot was taken: the overlays' backings */
  disks = read_disks (reader, "/domainsnapshot/domain/devices/disk");

  if (overlays->len == 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED,
                   _("Snapshot \"%s\" of node \"%s\" has no external disk to revert"), snapshot, name);
      return FALSE;
    }
  if (virDomainIsActive (dom) == 1 && virDomainDestroy (dom) < 0)
    {
      lab_virt_set_error (error, _("Cannot stop node \"%s\""), name);
      return FALSE;
    }
  for (guint i = 0; i < overlays->len; i++)
    {
      const Disk *o = g_ptr_array_index (overlays, i);
      const Disk *backing = find_backing (disks, o->target);
      const char *format = backing != NULL && backing->format != NULL ? backing->format : "raw";
      const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-F", format,
                             "-b", backing != NULL ? backing->source : NULL, o->source, NULL };

      if (backing == NULL || o->source == NULL)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                       _("Snapshot \"%s\" of node \"%s\" does not say what disk %s was based on"),
                       snapshot, name, o->target);
          return FALSE;
        }
      if (!lab_runner_run (self->runner, argv, LAB_RUN_DEFAULT, NULL, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
lab_virt_snapshot_revert (LabVirt *self, const char *name, const char *lab_name, const char *snapshot,
                          GError **error)
{
  g_autoptr(virDomain) dom = NULL;
  g_autoptr(virDomainSnapshot) snap = lookup_snapshot (self, name, lab_name, snapshot, &dom, error);

  if (snap == NULL)
    return FALSE;
  if (virDomainRevertToSnapshot (snap, 0) == 0)
    return TRUE;
  /* libvirt < 9.9: "revert to external snapshot not supported yet" */
  if (lab_virt_last_error_is (VIR_ERR_CONFIG_UNSUPPORTED))
    return revert_external (self, dom, snap, name, snapshot, error);
  lab_virt_set_error (error, _("Cannot revert node \"%s\" to snapshot \"%s\""), name, snapshot);
  return FALSE;
}

gboolean
lab_virt_snapshot_delete (LabVirt *self, const char *name, const char *lab_name, const char *snapshot,
                          GError **error)
{
  g_autoptr(virDomain) dom = NULL;
  g_autoptr(virDomainSnapshot) snap = lookup_snapshot (self, name, lab_name, snapshot, &dom, error);

  if (snap == NULL)
    return FALSE;
  if (virDomainSnapshotDelete (snap, 0) < 0)
    {
      lab_virt_set_error (error, _("Cannot delete snapshot \"%s\" of node \"%s\""), snapshot, name);
      return FALSE;
    }
  return TRUE;
}

char **
lab_virt_snapshot_list (LabVirt *self, const char *name, const char *lab_name, GError **error)
{
  g_autoptr(virDomain) dom = lab_virt_lookup_existing (self, name, lab_name, error);
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_autoptr(GPtrArray) snaps = NULL;
  virDomainSnapshotPtr *list = NULL;
  int n;

  if (dom == NULL)
    return NULL;
  n = virDomainListAllSnapshots (dom, &list, VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL);
  if (n < 0)
    {
      lab_virt_set_error (error, _("Cannot list the snapshots of node \"%s\""), name);
      return NULL;
    }
  snaps = lab_virt_take_list (list, n, snapshot_free);
  for (guint i = 0; i < snaps->len; i++)
    g_strv_builder_add (b, virDomainSnapshotGetName (g_ptr_array_index (snaps, i)));
  return g_strv_builder_end (b);
}
