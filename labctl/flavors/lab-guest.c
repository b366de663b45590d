/* lab-guest.c: guests of the lab as domains on its nodes' libvirt. */
#include "config.h"

#include "lab-guest.h"
#include "lab-virt.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include <glib/gstdio.h>
#include <libvirt/virterror.h>
#include <json-glib/json-glib.h>

#include "lab-error.h"
#include "lab-flavor.h"
#include "lab-i18n.h"
#include "lab-probe.h"
#include "lab-util.h"

#define GUEST_BOOT_TIMEOUT_MS   120000
#define GUEST_RESUME_TIMEOUT_MS  30000

/* ---- libvirt helpers --------------------------------------------------- */

static void
silent_error_func (void *data, virErrorPtr err)
{
}

virConnectPtr
lab_guest_connect (const char *uri, GError **error)
{
  virConnectPtr conn;

  virSetErrorFunc (NULL, silent_error_func);
  conn = virConnectOpen (uri);
  if (conn == NULL)
    lab_virt_set_error (error, _("Cannot connect to libvirt at %s (is the node's libvirtd running? "
                                          "'labctl status' shows it)"), uri);
  return conn;
}

static LabNode *
find_node (LabContext *ctx, const char *node, GError **error)
{
  LabNode *n = lab_recipe_find_node (ctx->recipe, node);

  if (n == NULL)
    g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, _("Lab %s has no node '%s'"),
                 ctx->recipe->name, node);
  return n;
}

/* ---- XML --------------------------------------------------------------- */

char *
lab_guest_uuid (LabRecipe *recipe, LabGuest *guest)
{
  g_autofree char *seed = g_strdup_printf ("labctl-guest/%s/%s", recipe->name, guest->name);

  return lab_uuid_from_seed (seed);
}

char *
lab_guest_domain_xml (LabRecipe *recipe, LabGuest *guest, const LabGuestDisk *disk)
{
  g_autoptr(GString) x = g_string_new (NULL);
  g_autofree char *uuid = lab_guest_uuid (recipe, guest);
  g_autofree char *name = g_markup_escape_text (guest->name, -1);
  g_autofree char *lab = g_markup_escape_text (recipe->name, -1);

  g_string_append (x, "<domain type='qemu'>\n");
  g_string_append_printf (x, "  <name>%s</name>\n  <uuid>%s</uuid>\n", name, uuid);
  g_string_append_printf (x, "  <metadata>\n    <labctl:lab xmlns:labctl='%s' name='%s' guest='%s'/>\n  </metadata>\n",
                          LAB_GUEST_XMLNS, lab, name);
  g_string_append_printf (x, "  <memory unit='MiB'>%" G_GUINT64_FORMAT "</memory>\n", guest->memory_mib);
  g_string_append_printf (x, "  <vcpu>%u</vcpu>\n", guest->vcpus);
  g_string_append (x, "  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n");
  if (guest->kernel != NULL)
    {
      g_autofree char *k = g_markup_escape_text (guest->kernel, -1);
      g_string_append_printf (x, "    <kernel>%s</kernel>\n", k);
    }
  if (guest->initrd != NULL)
    {
      g_autofree char *i = g_markup_escape_text (guest->initrd, -1);
      g_string_append_printf (x, "    <initrd>%s</initrd>\n", i);
    }
  if (guest->cmdline != NULL)
    {
      g_autofree char *c = g_markup_escape_text (guest->cmdline, -1);
      g_string_append_printf (x, "    <cmdline>%s</cmdline>\n", c);
    }
  g_string_append (x, "  </os>\n  <features><acpi/></features>\n");
  /* a CPU model both nodes offer under TCG: migration never meets a mismatch */
  g_string_append (x, "  <cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>\n");
  g_string_append (x, "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>restart</on_reboot>\n"
                      "  <on_crash>destroy</on_crash>\n");
  g_string_append (x, "  <devices>\n");
  g_string_append_printf (x, "    <interface type='bridge'><source bridge='br0'/><mac address='%s'/>"
                             "<model type='virtio'/></interface>\n", guest->mac);
  if (disk != NULL)
    {
      g_autofree char *iqn = g_markup_escape_text (disk->iqn, -1);

      g_string_append (x, "    <disk type='network' device='disk'>\n"
                          "      <driver name='qemu' type='raw' cache='none'/>\n");
      g_string_append_printf (x, "      <source protocol='iscsi' name='%s/%u'>\n"
                                 "        <host name='%s' port='%u'/>\n",
                              iqn, disk->lun, disk->host, disk->port);
      if (disk->size > 0)
        g_string_append_printf (x, "        <slices><slice type='storage' offset='%" G_GUINT64_FORMAT
                                   "' size='%" G_GUINT64_FORMAT "'/></slices>\n", disk->offset, disk->size);
      g_string_append (x, "      </source>\n      <target dev='vda' bus='virtio'/>\n    </disk>\n");
    }
  g_string_append (x, "    <serial type='pty'/>\n    <console type='pty'/>\n"
                      "    <controller type='usb' model='none'/>\n    <memballoon model='none'/>\n");
  g_string_append (x, "  </devices>\n</domain>\n");
  return g_string_free (g_steal_pointer (&x), FALSE);
}

/* The disk of a guest: its LV's extents on the lab's LUN, as recorded in
 * the state by the storage steps; NULL when the guest has no disk. */
static gboolean
guest_disk (LabContext *ctx, LabGuest *g, LabGuestDisk *disk)
{
  g_autofree char *k_off = g_strdup_printf ("guests.%s.disk_offset", g->name);
  g_autofree char *k_size = g_strdup_printf ("guests.%s.disk_size", g->name);
  LabRecipe *r = ctx->recipe;

  if (g->disk_bytes == 0 || !lab_state_has (ctx->state, k_size))
    return FALSE;
  disk->iqn = r->iqn;
  disk->lun = 1;
  disk->host = r->portal_address;
  disk->port = r->portal_port;
  disk->offset = (guint64) lab_state_get_int (ctx->state, k_off, 0);
  disk->size = (guint64) lab_state_get_int (ctx->state, k_size, 0);
  return TRUE;
}

static char *
guest_xml (LabContext *ctx, LabGuest *g)
{
  LabGuestDisk disk = { 0 };
  gboolean has = guest_disk (ctx, g, &disk);

  return lab_guest_domain_xml (ctx->recipe, g, has ? &disk : NULL);
}

/* ---- ownership, lookup ------------------------------------------------- */

static gboolean
domain_is_ours (virDomainPtr dom, const char *lab, const char *guest)
{
  g_autofree char *want_lab = g_strdup_printf ("name=\"%s\"", lab);
  g_autofree char *want_guest = g_strdup_printf ("guest=\"%s\"", guest);
  char *md = virDomainGetMetadata (dom, VIR_DOMAIN_METADATA_ELEMENT, LAB_GUEST_XMLNS, 0);
  gboolean ours;

  if (md == NULL)
    return FALSE;
  ours = strstr (md, want_lab) != NULL && strstr (md, want_guest) != NULL;
  free (md);
  return ours;
}

/* *out_dom NULL when absent. */
static gboolean
lookup_ours (virConnectPtr conn, LabContext *ctx, LabGuest *g, const char *node,
             virDomainPtr *out_dom, GError **error)
{
  virDomainPtr dom = virDomainLookupByName (conn, g->name);

  *out_dom = NULL;
  if (dom == NULL)
    return TRUE;
  if (!domain_is_ours (dom, ctx->recipe->name, g->name))
    {
      virDomainFree (dom);
      g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                   _("Node %s has a domain '%s' that is not lab %s's guest; labctl leaves it alone: "
                     "rename the guest in the recipe"), node, g->name, ctx->recipe->name);
      return FALSE;
    }
  *out_dom = dom;
  return TRUE;
}

static virConnectPtr
connect_node (LabContext *ctx, const char *node, GError **error)
{
  g_autofree char *uri = lab_flavor_node_uri (ctx, node, error);

  return uri != NULL ? lab_guest_connect (uri, error) : NULL;
}

gboolean
lab_guest_locate (LabContext *ctx, LabGuest *guest, char **out_node, gboolean *out_active,
                  GError **error)
{
  LabRecipe *r = ctx->recipe;
  g_autofree char *key = g_strdup_printf ("guests.%s.node", guest->name);
  const char *recorded = lab_state_get_string (ctx->state, key);
  g_autoptr(GPtrArray) order = g_ptr_array_new ();

  *out_node = NULL;
  *out_active = FALSE;
  if (!lab_flavor_require_node_libvirt (ctx, error))
    return FALSE;
  /* where the state says first, then home, then the rest */
  if (recorded != NULL)
    g_ptr_array_add (order, (char *) recorded);
  g_ptr_array_add (order, guest->node);
  for (guint i = 0; i < r->nodes->len; i++)
    g_ptr_array_add (order, ((LabNode *) g_ptr_array_index (r->nodes, i))->name);

  /* a running copy wins (it can be defined on two nodes for a moment
   * during a migration); else the first node that has it defined */
  for (guint i = 0; i < order->len; i++)
    {
      const char *node = g_ptr_array_index (order, i);
      virConnectPtr conn;
      virDomainPtr dom = NULL;
      gboolean seen = FALSE, ok;

      for (guint j = 0; j < i; j++)
        seen |= g_str_equal (g_ptr_array_index (order, j), node);
      if (seen || find_node (ctx, node, NULL) == NULL)
        continue;
      conn = connect_node (ctx, node, NULL);
      if (conn == NULL)
        continue;  /* node down: nothing runs there */
      ok = lookup_ours (conn, ctx, guest, node, &dom, error);
      if (ok && dom != NULL)
        {
          if (virDomainIsActive (dom) == 1)
            {
              g_free (*out_node);
              *out_node = g_strdup (node);
              *out_active = TRUE;
            }
          else if (*out_node == NULL)
            *out_node = g_strdup (node);
          virDomainFree (dom);
        }
      virConnectClose (conn);
      if (!ok)
        {
          g_clear_pointer (out_node, g_free);
          *out_active = FALSE;
          return FALSE;
        }
      if (*out_active)
        return TRUE;
    }
  return TRUE;
}

char *
lab_guest_clean_image (LabContext *ctx, LabGuest *guest)
{
  g_autofree char *dir = lab_context_get_state_dir (ctx);
  g_autofree char *file = g_strdup_printf ("%s.clean", guest->name);

  return g_build_filename (dir, "guests", file, NULL);
}

static void
record_node (LabContext *ctx, LabGuest *g, const char *node)
{
  g_autofree char *key = g_strdup_printf ("guests.%s.node", g->name);

  if (node != NULL)
    lab_state_set_string (ctx->state, key, node);
  else
    lab_state_remove (ctx->state, key);
}

gboolean
lab_guest_remove (LabContext *ctx, LabGuest *guest, GError **error)
{
  LabRecipe *r = ctx->recipe;
  g_autofree char *image = lab_guest_clean_image (ctx, guest);

  if (!lab_flavor_require_node_libvirt (ctx, error))
    return FALSE;
  for (guint i = 0; i < r->nodes->len; i++)
    {
      const char *node = ((LabNode *) g_ptr_array_index (r->nodes, i))->name;
      virConnectPtr conn = connect_node (ctx, node, NULL);
      virDomainPtr dom = NULL;
      gboolean ok = TRUE;

      if (conn == NULL)
        continue;
      if (!lookup_ours (conn, ctx, guest, node, &dom, error))
        ok = FALSE;
      else if (dom != NULL)
        {
          if (virDomainIsActive (dom) == 1 && virDomainDestroy (dom) < 0)
            {
              lab_virt_set_error (error, _("Cannot stop guest %s on node %s"), guest->name, node);
              ok = FALSE;
            }
          else if (virDomainIsPersistent (dom) == 1 && virDomainUndefine (dom) < 0)
            {
              lab_virt_set_error (error, _("Cannot undefine guest %s on node %s"), guest->name, node);
              ok = FALSE;
            }
          virDomainFree (dom);
        }
      virConnectClose (conn);
      if (!ok)
        return FALSE;
    }
  if (g_unlink (image) < 0 && errno != ENOENT)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot remove %s: %s"), image, g_strerror (errno));
      return FALSE;
    }
  record_node (ctx, guest, NULL);
  return TRUE;
}

static gboolean
wait_ping (LabContext *ctx, LabGuest *g, guint timeout_ms, GError **error)
{
  if (g->address == NULL)
    return TRUE;
  return lab_probe_ping_once (g->address, NULL, timeout_ms, ctx->cancellable, error);
}

/* Defines the template on node (replacing a definition of ours). */
static virDomainPtr
define_on (LabContext *ctx, virConnectPtr conn, LabGuest *g, const char *node, GError **error)
{
  g_autofree char *xml = guest_xml (ctx, g);
  virDomainPtr dom = virDomainDefineXML (conn, xml);

  if (dom == NULL)
    lab_virt_set_error (error, _("Cannot define guest %s on node %s"), g->name, node);
  return dom;
}

gboolean
lab_guest_reset (LabContext *ctx, LabGuest *guest, GError **error)
{
  LabRecipe *r = ctx->recipe;
  g_autofree char *image = lab_guest_clean_image (ctx, guest);
  virConnectPtr conn;
  virDomainPtr dom;
  gboolean ok = TRUE;

  if (!lab_flavor_require_node_libvirt (ctx, error))
    return FALSE;
  /* away from every node but home; on home only stopped */
  for (guint i = 0; i < r->nodes->len; i++)
    {
      const char *node = ((LabNode *) g_ptr_array_index (r->nodes, i))->name;
      virDomainPtr d = NULL;

      conn = connect_node (ctx, node, NULL);
      if (conn == NULL)
        continue;
      if (!lookup_ours (conn, ctx, guest, node, &d, error))
        {
          virConnectClose (conn);
          return FALSE;
        }
      if (d != NULL)
        {
          if (virDomainIsActive (d) == 1)
            virDomainDestroy (d);
          if (virDomainIsPersistent (d) == 1)
            virDomainUndefine (d);
          virDomainFree (d);
        }
      virConnectClose (conn);
    }

  conn = connect_node (ctx, guest->node, error);
  if (conn == NULL)
    return FALSE;
  dom = define_on (ctx, conn, guest, guest->node, error);
  if (dom == NULL)
    ok = FALSE;
  else if (g_file_test (image, G_FILE_TEST_EXISTS))
    {
      if (virDomainRestoreFlags (conn, image, NULL, VIR_DOMAIN_SAVE_RUNNING) < 0)
        {
          lab_virt_set_error (error, _("Cannot restore the clean state of guest %s from %s"),
                                       guest->name, image);
          ok = FALSE;
        }
    }
  else if (virDomainCreate (dom) < 0)
    {
      lab_virt_set_error (error, _("Cannot start guest %s on node %s"), guest->name, guest->node);
      ok = FALSE;
    }
  if (dom != NULL)
    virDomainFree (dom);
  virConnectClose (conn);
  if (!ok)
    return FALSE;
  record_node (ctx, guest, guest->node);
  return wait_ping (ctx, guest, g_file_test (image, G_FILE_TEST_EXISTS) ? GUEST_RESUME_TIMEOUT_MS
                                                                       : GUEST_BOOT_TIMEOUT_MS, error);
}

/* ---- plan steps -------------------------------------------------------- */

static gboolean
define_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  g_autofree char *node = NULL;
  gboolean active = FALSE;

  if (!lab_guest_locate (ctx, data, &node, &active, error))
    return FALSE;
  *done = node != NULL;
  return TRUE;
}

static gboolean
define_apply (LabContext *ctx, gpointer data, GError **error)
{
  LabGuest *g = data;
  virConnectPtr conn = connect_node (ctx, g->node, error);
  virDomainPtr dom;
  g_autofree char *dir = NULL;
  g_autofree char *image = lab_guest_clean_image (ctx, g);

  if (conn == NULL)
    return FALSE;
  dir = g_path_get_dirname (image);
  g_mkdir_with_parents (dir, 0755);
  dom = define_on (ctx, conn, g, g->node, error);
  virConnectClose (conn);
  if (dom == NULL)
    return FALSE;
  virDomainFree (dom);
  record_node (ctx, g, g->node);
  return TRUE;
}

static gboolean
define_undo (LabContext *ctx, gpointer data, GError **error)
{
  return lab_guest_remove (ctx, data, error);
}

static char **
define_describe (LabContext *ctx, gpointer data, gboolean down)
{
  LabGuest *g = data;
  g_autofree char *uri = lab_flavor_node_uri (ctx, g->node, NULL);
  g_autofree char *xml = guest_xml (ctx, g);
  g_autofree char *file = g_strdup_printf ("%s.xml", g->name);
  LabGuestDisk disk = { 0 };
  GPtrArray *lines;

  /* before `up` the disk's place on the LUN is not known yet: show where it goes */
  if (g->disk_bytes > 0 && !guest_disk (ctx, g, &disk))
    {
      g_autofree char *with = NULL;
      g_auto(GStrv) parts = NULL;

      disk.iqn = ctx->recipe->iqn;
      disk.lun = 1;
      disk.host = ctx->recipe->portal_address;
      disk.port = ctx->recipe->portal_port;
      disk.size = g->disk_bytes;
      with = lab_guest_domain_xml (ctx->recipe, g, &disk);
      parts = g_strsplit (with, "offset='0'", 2);
      g_free (xml);
      xml = g_strjoinv ("offset='$OFFSET'", parts);
    }
  lines = g_ptr_array_new ();

  if (down)
    {
      g_ptr_array_add (lines, g_strdup_printf ("virsh -c '%s' destroy %s", uri, g->name));
      g_ptr_array_add (lines, g_strdup_printf ("virsh -c '%s' undefine %s", uri, g->name));
    }
  else
    {
      g_ptr_array_add (lines, g_strdup_printf ("cat > %s <<'EOF'\n%sEOF", file, xml));
      g_ptr_array_add (lines, g_strdup_printf ("virsh -c '%s' define %s", uri, file));
    }
  g_ptr_array_add (lines, NULL);
  return (char **) g_ptr_array_free (lines, FALSE);
}

/* ---- the guest's disk: its LV's place on the LUN -------------------------- */

/* The LVM report of `cmd` as the array of its first report's `member`. */
static JsonArray *
lvm_report (LabContext *ctx, const char * const *argv, const char *member, JsonParser *parser,
            GError **error)
{
  g_autofree char *out = NULL;
  JsonObject *o;
  JsonArray *reports;

  if (!lab_runner_run (ctx->runner, argv, LAB_RUN_QUERY, &out, error))
    return NULL;
  if (!json_parser_load_from_data (parser, out, -1, error))
    return NULL;
  o = json_node_get_object (json_parser_get_root (parser));
  reports = o != NULL ? json_object_get_array_member (o, "report") : NULL;
  if (reports == NULL || json_array_get_length (reports) == 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL, _("%s printed no report"), argv[0]);
      return NULL;
    }
  return json_object_get_array_member (json_array_get_object_element (reports, 0), member);
}

static guint64
json_u64 (JsonObject *o, const char *member)
{
  const char *v = json_object_get_string_member_with_default (o, member, "0");

  return g_ascii_strtoull (v, NULL, 10);
}

/* Offset and size of the guest's LV inside the PV (= the LUN): PV data
 * start + first extent * extent size. LVs cannot be activated on every
 * host (no device-mapper), but QEMU reads the LUN itself: a slice of it is
 * the LV. */
static gboolean
lv_extent (LabContext *ctx, LabGuest *g, guint64 *offset, guint64 *size, GError **error)
{
  LabRecipe *r = ctx->recipe;
  const char *dev = lab_state_get_string (ctx->state, "storage.pv.device");
  g_autofree char *lv = g_strconcat (r->lv_prefix, g->name, NULL);
  g_autofree char *vglv = g_strdup_printf ("%s/%s", r->vg_name, lv);
  g_autoptr(JsonParser) p1 = json_parser_new ();
  g_autoptr(JsonParser) p2 = json_parser_new ();
  JsonArray *pvs, *segs;
  JsonObject *pv, *seg;
  const char *ranges, *colon;
  guint64 pe_start, extent, first;

  if (dev == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("The lab's PV is not recorded: the storage steps have not run; run 'labctl up'"));
      return FALSE;
    }
  {
    const char *argv[] = { "pvs", "--devices", dev, "--reportformat", "json", "--units", "b", "--nosuffix",
                           "-o", "pv_name,pe_start,vg_extent_size", dev, NULL };
    pvs = lvm_report (ctx, argv, "pv", p1, error);
  }
  if (pvs == NULL)
    return FALSE;
  {
    const char *argv[] = { "lvs", "--devices", dev, "--segments", "--reportformat", "json", "--units", "b",
                           "--nosuffix", "-o", "lv_name,seg_size,seg_pe_ranges", vglv, NULL };
    segs = lvm_report (ctx, argv, "seg", p2, error);
  }
  if (segs == NULL)
    return FALSE;
  if (json_array_get_length (pvs) != 1 || json_array_get_length (segs) != 1)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                   _("LV %s must be one contiguous segment on one PV to be a slice of the LUN "
                     "(it has %u segments); recreate it with 'labctl down' and 'labctl up'"),
                   vglv, json_array_get_length (segs));
      return FALSE;
    }
  pv = json_array_get_object_element (pvs, 0);
  seg = json_array_get_object_element (segs, 0);
  pe_start = json_u64 (pv, "pe_start");
  extent = json_u64 (pv, "vg_extent_size");
  ranges = json_object_get_string_member_with_default (seg, "seg_pe_ranges", "");
  colon = strrchr (ranges, ':');
  if (colon == NULL || extent == 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL, _("Cannot read the extents of LV %s from '%s'"), vglv, ranges);
      return FALSE;
    }
  first = g_ascii_strtoull (colon + 1, NULL, 10);
  *offset = pe_start + first * extent;
  *size = json_u64 (seg, "seg_size");
  return *size > 0;
}

static gboolean
disk_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  LabGuest *g = data;
  g_autofree char *k_size = g_strdup_printf ("guests.%s.disk_size", g->name);

  *done = lab_state_has (ctx->state, k_size);
  return TRUE;
}

static gboolean
disk_apply (LabContext *ctx, gpointer data, GError **error)
{
  LabGuest *g = data;
  g_autofree char *k_off = g_strdup_printf ("guests.%s.disk_offset", g->name);
  g_autofree char *k_size = g_strdup_printf ("guests.%s.disk_size", g->name);
  guint64 offset = 0, size = 0;

  if (!lv_extent (ctx, g, &offset, &size, error))
    return FALSE;
  lab_state_set_int (ctx->state, k_off, (gint64) offset);
  lab_state_set_int (ctx->state, k_size, (gint64) size);
  lab_progress_info (ctx->progress, _("guest %s: disk = LUN 1 bytes %llu..%llu (LV %s%s)"), g->name,
                     (unsigned long long) offset, (unsigned long long) (offset + size), ctx->recipe->lv_prefix,
                     g->name);
  return TRUE;
}

static gboolean
disk_undo (LabContext *ctx, gpointer data, GError **error)
{
  LabGuest *g = data;
  g_autofree char *k_off = g_strdup_printf ("guests.%s.disk_offset", g->name);
  g_autofree char *k_size = g_strdup_printf ("guests.%s.disk_size", g->name);

  lab_state_remove (ctx->state, k_off);
  lab_state_remove (ctx->state, k_size);
  return TRUE;
}

static char **
disk_describe (LabContext *ctx, gpointer data, gboolean down)
{
  LabGuest *g = data;
  LabRecipe *r = ctx->recipe;
  GPtrArray *lines = g_ptr_array_new ();

  if (!down)
    {
      g_ptr_array_add (lines, g_strdup_printf ("pvs --devices \"$PV\" -o pv_name,pe_start,vg_extent_size --units b \"$PV\""));
      g_ptr_array_add (lines, g_strdup_printf ("lvs --devices \"$PV\" --segments -o lv_name,seg_size,seg_pe_ranges "
                                               "--units b %s/%s%s", r->vg_name, r->lv_prefix, g->name));
      g_ptr_array_add (lines, g_strdup ("# the guest's disk: the LUN from pe_start + first extent x extent size, "
                                        "seg_size bytes (a <slice> in its domain XML)"));
    }
  g_ptr_array_add (lines, NULL);
  return (char **) g_ptr_array_free (lines, FALSE);
}

static const LabStepInfo disk_step = {
  "guests.disk", N_("Find the place of guest %s's disk on the shared LUN"), TRUE,
  disk_check, disk_apply, disk_undo, disk_describe,
};

static const LabStepInfo define_step = {
  "guests.define", N_("Define guest %s"), TRUE,
  define_check, define_apply, define_undo, define_describe,
};

static gboolean
start_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  LabGuest *g = data;
  g_autofree char *node = NULL;
  gboolean active = FALSE;

  *done = FALSE;
  if (!lab_guest_locate (ctx, g, &node, &active, error))
    return FALSE;
  if (node == NULL || !active)
    return TRUE;
  *done = g->address == NULL || lab_probe_ping_once (g->address, NULL, 2000, ctx->cancellable, NULL);
  return TRUE;
}

static gboolean
start_apply (LabContext *ctx, gpointer data, GError **error)
{
  LabGuest *g = data;
  g_autofree char *node = NULL;
  gboolean active = FALSE;
  gint64 t0 = g_get_monotonic_time ();

  if (!lab_guest_locate (ctx, g, &node, &active, error))
    return FALSE;
  if (node == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("Guest %s is defined on no node; run 'labctl up' again to define it"), g->name);
      return FALSE;
    }
  if (!active)
    {
      virConnectPtr conn = connect_node (ctx, node, error);
      virDomainPtr dom = NULL;
      gboolean ok;

      if (conn == NULL)
        return FALSE;
      ok = lookup_ours (conn, ctx, g, node, &dom, error) && dom != NULL;
      if (ok && virDomainCreate (dom) < 0)
        {
          lab_virt_set_error (error, _("Cannot start guest %s on node %s"), g->name, node);
          ok = FALSE;
        }
      if (dom != NULL)
        virDomainFree (dom);
      virConnectClose (conn);
      if (!ok)
        return FALSE;
    }
  record_node (ctx, g, node);
  if (!wait_ping (ctx, g, GUEST_BOOT_TIMEOUT_MS, error))
    return FALSE;
  lab_progress_info (ctx->progress, _("guest %s answers ping at %s after %.1f s"), g->name,
                     g->address != NULL ? g->address : "-", (g_get_monotonic_time () - t0) / 1e6);
  return TRUE;
}

static gboolean
start_undo (LabContext *ctx, gpointer data, GError **error)
{
  LabGuest *g = data;
  g_autofree char *node = NULL;
  gboolean active = FALSE;
  virConnectPtr conn;
  virDomainPtr dom = NULL;
  gboolean ok;

  if (!lab_guest_locate (ctx, g, &node, &active, error))
    return FALSE;
  if (node == NULL || !active)
    return TRUE;
  conn = connect_node (ctx, node, error);
  if (conn == NULL)
    return FALSE;
  ok = lookup_ours (conn, ctx, g, node, &dom, error);
  if (ok && dom != NULL && virDomainDestroy (dom) < 0)
    {
      lab_virt_set_error (error, _("Cannot stop guest %s on node %s"), g->name, node);
      ok = FALSE;
    }
  if (dom != NULL)
    virDomainFree (dom);
  virConnectClose (conn);
  return ok;
}

static char **
start_describe (LabContext *ctx, gpointer data, gboolean down)
{
  LabGuest *g = data;
  g_autofree char *uri = lab_flavor_node_uri (ctx, g->node, NULL);
  GPtrArray *lines = g_ptr_array_new ();

  if (down)
    g_ptr_array_add (lines, g_strdup_printf ("virsh -c '%s' destroy %s", uri, g->name));
  else
    {
      g_ptr_array_add (lines, g_strdup_printf ("virsh -c '%s' start %s", uri, g->name));
      if (g->address != NULL)
        g_ptr_array_add (lines, g_strdup_printf ("until ping -c1 -W1 %s; do sleep 0.5; done", g->address));
    }
  g_ptr_array_add (lines, NULL);
  return (char **) g_ptr_array_free (lines, FALSE);
}

static const LabStepInfo start_step = {
  "guests.start", N_("Start guest %s and wait until it answers ping"), TRUE,
  start_check, start_apply, start_undo, start_describe,
};

static gboolean
snapshot_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  g_autofree char *image = lab_guest_clean_image (ctx, data);

  *done = g_file_test (image, G_FILE_TEST_EXISTS);
  return TRUE;
}

static gboolean
snapshot_apply (LabContext *ctx, gpointer data, GError **error)
{
  LabGuest *g = data;
  g_autofree char *image = lab_guest_clean_image (ctx, g);
  g_autofree char *partial = g_strconcat (image, ".part", NULL);
  g_autofree char *node = NULL;
  g_autofree char *dir = g_path_get_dirname (image);
  gboolean active = FALSE;
  virConnectPtr conn;
  virDomainPtr dom = NULL;
  gboolean ok;

  if (!lab_guest_locate (ctx, g, &node, &active, error))
    return FALSE;
  if (node == NULL || !active)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("Guest %s is not running: its clean state cannot be saved; run 'labctl up' again"),
                   g->name);
      return FALSE;
    }
  g_mkdir_with_parents (dir, 0755);
  g_unlink (partial);
  conn = connect_node (ctx, node, error);
  if (conn == NULL)
    return FALSE;
  ok = lookup_ours (conn, ctx, g, node, &dom, error) && dom != NULL;
  /* save (stops it), then restore at once: the image is the clean state */
  if (ok && virDomainSaveFlags (dom, partial, NULL, VIR_DOMAIN_SAVE_RUNNING) < 0)
    {
      lab_virt_set_error (error, _("Cannot save the clean state of guest %s"), g->name);
      ok = FALSE;
    }
  if (ok && virDomainRestoreFlags (conn, partial, NULL, VIR_DOMAIN_SAVE_RUNNING) < 0)
    {
      lab_virt_set_error (error, _("Cannot resume guest %s from its clean state"), g->name);
      ok = FALSE;
    }
  if (ok && g_rename (partial, image) < 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot rename %s: %s"), partial, g_strerror (errno));
      ok = FALSE;
    }
  if (dom != NULL)
    virDomainFree (dom);
  virConnectClose (conn);
  if (!ok)
    {
      g_unlink (partial);
      return FALSE;
    }
  return wait_ping (ctx, g, GUEST_RESUME_TIMEOUT_MS, error);
}

static gboolean
snapshot_undo (LabContext *ctx, gpointer data, GError **error)
{
  g_autofree char *image = lab_guest_clean_image (ctx, data);
  g_autofree char *partial = g_strconcat (image, ".part", NULL);

  g_unlink (partial);
  if (g_unlink (image) < 0 && errno != ENOENT)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot remove %s: %s"), image, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static char **
snapshot_describe (LabContext *ctx, gpointer data, gboolean down)
{
  LabGuest *g = data;
  g_autofree char *uri = lab_flavor_node_uri (ctx, g->node, NULL);
  g_autofree char *image = lab_guest_clean_image (ctx, g);
  GPtrArray *lines = g_ptr_array_new ();

  if (down)
    g_ptr_array_add (lines, g_strdup_printf ("rm -f %s", image));
  else
    {
      g_ptr_array_add (lines, g_strdup_printf ("virsh -c '%s' save %s %s --running", uri, g->name, image));
      g_ptr_array_add (lines, g_strdup_printf ("virsh -c '%s' restore %s --running", uri, image));
    }
  g_ptr_array_add (lines, NULL);
  return (char **) g_ptr_array_free (lines, FALSE);
}

static const LabStepInfo snapshot_step = {
  "guests.snapshot", N_("Save the clean state of guest %s (for reset)"), TRUE,
  snapshot_check, snapshot_apply, snapshot_undo, snapshot_describe,
};

void
lab_guest_add_steps (LabPlan *plan, LabContext *ctx)
{
  LabRecipe *r = ctx->recipe;

  for (guint i = 0; i < r->guests->len; i++)
    {
      LabGuest *g = g_ptr_array_index (r->guests, i);

      if (g->disk_bytes > 0)
        lab_plan_add_step (plan, &disk_step, g->name, g->name, g, NULL);
      lab_plan_add_step (plan, &define_step, g->name, g->name, g, NULL);
    }
  for (guint i = 0; i < r->guests->len; i++)
    {
      LabGuest *g = g_ptr_array_index (r->guests, i);

      lab_plan_add_step (plan, &start_step, g->name, g->name, g, NULL);
      lab_plan_add_step (plan, &snapshot_step, g->name, g->name, g, NULL);
    }
}
