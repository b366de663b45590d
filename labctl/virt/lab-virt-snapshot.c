/* lab-virt-snapshot.c: snapshots of node domains (see lab-virt.h),
 * internal or external, and the revert of an external snapshot that
 * labctl does itself where libvirt (< 9.9) cannot. */
#include "config.h"

#include "lab-virt-private.h"

#include <libvirt/virterror.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-runner.h"

typedef struct {
  gboolean in_disk;
  gboolean is_disk;
  gboolean readonly;
  char    *format;
  char    *target;
  char    *source;
  guint    writable;      /* writable disks seen */
  guint    qcow2;         /* of which qcow2 */
  GString *external;      /* <disks> for an external snapshot */
  const char *snapshot;
} DiskScan;

static const char *
attr_value (const char **names, const char **values, const char *name)
{
  for (guint i = 0; names[i] != NULL; i++)
    if (g_str_equal (names[i], name))
      return values[i];
  return NULL;
}

static void
disk_start (GMarkupParseContext *c, const char *el, const char **names, const char **values,
            gpointer data, GError **error)
{
  DiskScan *s = data;

  if (g_str_equal (el, "disk"))
    {
      s->in_disk = TRUE;
      s->is_disk = g_strcmp0 (attr_value (names, values, "device"), "disk") == 0;
      s->readonly = FALSE;
      g_clear_pointer (&s->format, g_free);
      g_clear_pointer (&s->target, g_free);
      g_clear_pointer (&s->source, g_free);
    }
  else if (s->in_disk && g_str_equal (el, "driver"))
    s->format = g_strdup (attr_value (names, values, "type"));
  else if (s->in_disk && g_str_equal (el, "target"))
    s->target = g_strdup (attr_value (names, values, "dev"));
  else if (s->in_disk && g_str_equal (el, "source") && s->source == NULL)
    {
      const char *f = attr_value (names, values, "file");
      s->source = g_strdup (f != NULL ? f : attr_value (names, values, "dev"));
    }
  else if (s->in_disk && (g_str_equal (el, "readonly") || g_str_equal (el, "shareable")))
    s->readonly = TRUE;
}

static void
disk_end (GMarkupParseContext *c, const char *el, gpointer data, GError **error)
{
  DiskScan *s = data;

  if (!g_str_equal (el, "disk") || !s->in_disk)
    return;
  s->in_disk = FALSE;
  if (!s->is_disk || s->readonly || s->target == NULL)
    return;
  s->writable++;
  if (g_strcmp0 (s->format, "qcow2") == 0)
    s->qcow2++;
  {
    /* overlay beside a file disk; in libvirt's image directory for a block device */
    g_autofree char *base = NULL;
    g_autofree char *overlay = NULL;
    g_autofree char *escaped = NULL;

    if (s->source != NULL && !g_str_has_prefix (s->source, "/dev/"))
      overlay = g_strdup_printf ("%s.%s", s->source, s->snapshot);
    else
      {
        base = s->source != NULL ? g_path_get_basename (s->source) : g_strdup (s->target);
        overlay = g_strdup_printf ("/var/lib/libvirt/images/%s.%s.qcow2", base, s->snapshot);
      }
    escaped = g_markup_escape_text (overlay, -1);
    g_string_append_printf (s->external,
                            "    <disk name='%s' snapshot='external'><driver type='qcow2'/><source file='%s'/></disk>\n",
                            s->target, escaped);
  }
}

char *
lab_virt_snapshot_xml (const char *domain_xml, const char *snapshot, const char *description,
                       unsigned int *out_flags)
{
  static const GMarkupParser parser = { disk_start, disk_end, NULL, NULL, NULL };
  DiskScan scan = { 0 };
  g_autoptr(GMarkupParseContext) pc = NULL;
  GString *sx = g_string_new ("<domainsnapshot>\n");
  g_autofree char *ename = g_markup_escape_text (snapshot, -1);
  g_autofree char *edesc = g_markup_escape_text (description != NULL ? description : "", -1);

  scan.external = g_string_new (NULL);
  scan.snapshot = snapshot;
  pc = g_markup_parse_context_new (&parser, 0, &scan, NULL);
  g_markup_parse_context_parse (pc, domain_xml != NULL ? domain_xml : "", -1, NULL);

  *out_flags = 0;
  g_string_append_printf (sx, "  <name>%s</name>\n  <description>%s</description>\n", ename, edesc);
  if (scan.writable > 0 && scan.qcow2 < scan.writable)
    {
      /* raw disks (the nodes' LVs) cannot hold internal snapshots */
      g_string_append_printf (sx, "  <disks>\n%s  </disks>\n", scan.external->str);
      *out_flags = VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY | VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC;
    }
  g_string_append (sx, "</domainsnapshot>\n");
  g_string_free (scan.external, TRUE);
  g_free (scan.format);
  g_free (scan.target);
  g_free (scan.source);
  return g_string_free (sx, FALSE);
}

gboolean
lab_virt_snapshot_create (LabVirt *self, const char *name, const char *lab_name, const char *snapshot,
                          const char *description, GError **error)
{
  virDomainPtr dom = lab_virt_lookup_existing (self, name, lab_name, error);
  g_autofree char *sx = NULL;
  virDomainSnapshotPtr snap;
  unsigned int flags = 0;
  char *xml;

  if (dom == NULL)
    return FALSE;
  xml = virDomainGetXMLDesc (dom, 0);
  sx = lab_virt_snapshot_xml (xml, snapshot, description, &flags);
  free (xml);
  snap = virDomainSnapshotCreateXML (dom, sx, flags);
  if (snap == NULL)
    {
      lab_virt_set_error (error, _("Cannot create snapshot \"%s\" of node \"%s\""), snapshot, name);
      virDomainFree (dom);
      return FALSE;
    }
  virDomainSnapshotFree (snap);
  virDomainFree (dom);
  return TRUE;
}

static virDomainSnapshotPtr
lookup_snapshot (LabVirt *self, const char *name, const char *lab_name, const char *snapshot,
                 virDomainPtr *out_dom, GError **error)
{
  virDomainPtr dom = lab_virt_lookup_existing (self, name, lab_name, error);
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
      virDomainFree (dom);
      return NULL;
    }
  *out_dom = dom;
  return snap;
}

/* ---- reverting an external snapshot (libvirt < 9.9) ------------------- */

typedef struct {
  /* <disks><disk name= snapshot='external'><source file=/> of the snapshot */
  GHashTable *overlays;     /* target -> overlay file */
  /* the disks of the domain as it was when the snapshot was taken */
  GHashTable *backings;     /* target -> source */
  GHashTable *formats;      /* target -> driver type */
  gboolean    in_disks;
  gboolean    in_domain;
  char       *disk;         /* current <disk name=> in <disks> */
  char       *dom_target, *dom_source, *dom_format;
  gboolean    in_dom_disk;
} ExternalScan;

static void
ext_start (GMarkupParseContext *c, const char *el, const char **names, const char **values,
           gpointer data, GError **error)
{
  ExternalScan *x = data;

  if (g_str_equal (el, "disks") && !x->in_domain)
    x->in_disks = TRUE;
  else if (g_str_equal (el, "domain"))
    x->in_domain = TRUE;
  else if (x->in_disks && g_str_equal (el, "disk"))
    {
      g_free (x->disk);
      x->disk = g_strcmp0 (attr_value (names, values, "snapshot"), "external") == 0
        ? g_strdup (attr_value (names, values, "name")) : NULL;
    }
  else if (x->in_disks && x->disk != NULL && g_str_equal (el, "source"))
    g_hash_table_insert (x->overlays, g_strdup (x->disk), g_strdup (attr_value (names, values, "file")));
  else if (x->in_domain && g_str_equal (el, "disk"))
    {
      x->in_dom_disk = g_strcmp0 (attr_value (names, values, "device"), "disk") == 0;
      g_clear_pointer (&x->dom_target, g_free);
      g_clear_pointer (&x->dom_source, g_free);
      g_clear_pointer (&x->dom_format, g_free);
    }
  else if (x->in_domain && x->in_dom_disk && g_str_equal (el, "source") && x->dom_source == NULL)
    {
      const char *f = attr_value (names, values, "file");
      x->dom_source = g_strdup (f != NULL ? f : attr_value (names, values, "dev"));
    }
  else if (x->in_domain && x->in_dom_disk && g_str_equal (el, "target"))
    x->dom_target = g_strdup (attr_value (names, values, "dev"));
  else if (x->in_domain && x->in_dom_disk && g_str_equal (el, "driver"))
    x->dom_format = g_strdup (attr_value (names, values, "type"));
}

static void
ext_end (GMarkupParseContext *c, const char *el, gpointer data, GError **error)
{
  ExternalScan *x = data;

  if (g_str_equal (el, "disks") && !x->in_domain)
    x->in_disks = FALSE;
  else if (g_str_equal (el, "domain"))
    x->in_domain = FALSE;
  else if (x->in_domain && x->in_dom_disk && g_str_equal (el, "disk"))
    {
      if (x->dom_target != NULL && x->dom_source != NULL)
        {
          g_hash_table_insert (x->backings, g_strdup (x->dom_target), g_strdup (x->dom_source));
          g_hash_table_insert (x->formats, g_strdup (x->dom_target),
                               g_strdup (x->dom_format != NULL ? x->dom_format : "raw"));
        }
      x->in_dom_disk = FALSE;
    }
}

/* The overlay files of every external snapshot of dom. */
GPtrArray *
lab_virt_external_overlays (virDomainPtr dom)
{
  static const GMarkupParser parser = { ext_start, ext_end, NULL, NULL, NULL };
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  virDomainSnapshotPtr *snaps = NULL;
  int n = virDomainListAllSnapshots (dom, &snaps, 0);

  for (int i = 0; i < n; i++)
    {
      ExternalScan x = { 0 };
      g_autoptr(GMarkupParseContext) pc = NULL;
      char *xml = virDomainSnapshotGetXMLDesc (snaps[i], 0);
      GHashTableIter it;
      gpointer value;

      x.overlays = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      x.backings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      x.formats = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      pc = g_markup_parse_context_new (&parser, 0, &x, NULL);
      g_markup_parse_context_parse (pc, xml != NULL ? xml : "", -1, NULL);
      g_hash_table_iter_init (&it, x.overlays);
      while (g_hash_table_iter_next (&it, NULL, &value))
        if (value != NULL)
          g_ptr_array_add (files, g_strdup (value));
      free (xml);
      g_free (x.disk);
      g_free (x.dom_target);
      g_free (x.dom_source);
      g_free (x.dom_format);
      g_hash_table_unref (x.overlays);
      g_hash_table_unref (x.backings);
      g_hash_table_unref (x.formats);
      virDomainSnapshotFree (snaps[i]);
    }
  free (snaps);
  return files;
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
  static const GMarkupParser parser = { ext_start, ext_end, NULL, NULL, NULL };
  ExternalScan x = { 0 };
  g_autoptr(GMarkupParseContext) pc = NULL;
  GHashTableIter it;
  gpointer target, overlay;
  gboolean ok = TRUE;
  char *xml;

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
  x.overlays = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  x.backings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  x.formats = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  xml = virDomainSnapshotGetXMLDesc (snap, 0);
  pc = g_markup_parse_context_new (&parser, 0, &x, NULL);
  g_markup_parse_context_parse (pc, xml != NULL ? xml : "", -1, NULL);
  free (xml);

  if (g_hash_table_size (x.overlays) == 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED,
                   _("Snapshot \"%s\" of node \"%s\" has no external disk to revert"), snapshot, name);
      ok = FALSE;
    }
  if (ok && virDomainIsActive (dom) == 1 && virDomainDestroy (dom) < 0)
    {
      lab_virt_set_error (error, _("Cannot stop node \"%s\""), name);
      ok = FALSE;
    }
  g_hash_table_iter_init (&it, x.overlays);
  while (ok && g_hash_table_iter_next (&it, &target, &overlay))
    {
      const char *backing = g_hash_table_lookup (x.backings, target);
      const char *format = g_hash_table_lookup (x.formats, target);
      const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-F", format, "-b", backing, overlay, NULL };

      if (backing == NULL || overlay == NULL)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                       _("Snapshot \"%s\" of node \"%s\" does not say what disk %s was based on"),
                       snapshot, name, (const char *) target);
          ok = FALSE;
        }
      else
        ok = lab_runner_run (self->runner, argv, LAB_RUN_DEFAULT, NULL, error);
    }
  g_free (x.disk);
  g_free (x.dom_target);
  g_free (x.dom_source);
  g_free (x.dom_format);
  g_hash_table_unref (x.overlays);
  g_hash_table_unref (x.backings);
  g_hash_table_unref (x.formats);
  return ok;
}

gboolean
lab_virt_snapshot_revert (LabVirt *self, const char *name, const char *lab_name, const char *snapshot,
                          GError **error)
{
  virDomainPtr dom = NULL;
  virDomainSnapshotPtr snap = lookup_snapshot (self, name, lab_name, snapshot, &dom, error);
  gboolean ok = TRUE;

  if (snap == NULL)
    return FALSE;
  if (virDomainRevertToSnapshot (snap, 0) < 0)
    {
      virErrorPtr err = virGetLastError ();
      if (err != NULL && err->code == VIR_ERR_CONFIG_UNSUPPORTED)
        /* libvirt < 9.9: "revert to external snapshot not supported yet" */
        ok = revert_external (self, dom, snap, name, snapshot, error);
      else
        {
          lab_virt_set_error (error, _("Cannot revert node \"%s\" to snapshot \"%s\""), name, snapshot);
          ok = FALSE;
        }
    }
  virDomainSnapshotFree (snap);
  virDomainFree (dom);
  return ok;
}

gboolean
lab_virt_snapshot_delete (LabVirt *self, const char *name, const char *lab_name, const char *snapshot,
                          GError **error)
{
  virDomainPtr dom = NULL;
  virDomainSnapshotPtr snap = lookup_snapshot (self, name, lab_name, snapshot, &dom, error);
  gboolean ok = TRUE;

  if (snap == NULL)
    return FALSE;
  if (virDomainSnapshotDelete (snap, 0) < 0)
    {
      lab_virt_set_error (error, _("Cannot delete snapshot \"%s\" of node \"%s\""), snapshot, name);
      ok = FALSE;
    }
  virDomainSnapshotFree (snap);
  virDomainFree (dom);
  return ok;
}

char **
lab_virt_snapshot_list (LabVirt *self, const char *name, const char *lab_name, GError **error)
{
  virDomainPtr dom = lab_virt_lookup_existing (self, name, lab_name, error);
  virDomainSnapshotPtr *snaps = NULL;
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  int n;

  if (dom == NULL)
    return NULL;
  n = virDomainListAllSnapshots (dom, &snaps, VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL);
  if (n < 0)
    {
      lab_virt_set_error (error, _("Cannot list the snapshots of node \"%s\""), name);
      virDomainFree (dom);
      return NULL;
    }
  for (int i = 0; i < n; i++)
    {
      g_strv_builder_add (b, virDomainSnapshotGetName (snaps[i]));
      virDomainSnapshotFree (snaps[i]);
    }
  free (snaps);
  virDomainFree (dom);
  return g_strv_builder_end (b);
}
