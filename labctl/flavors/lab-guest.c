/* lab-guest.c: guests of the lab as domains on its nodes' libvirt. */
#include "config.h"

#include "lab-guest.h"
#include "lab-virt.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "lab-error.h"
#include "lab-flavor.h"
#include "lab-i18n.h"
#include "lab-probe.h"
#include "lab-util.h"

/* a ceiling, reached only on failure: the tiny guest boots in seconds
 * under KVM, in 1-2 min under TCG in TCG (kvm nodes on a host without
 * usable KVM), longer on a loaded host */
#define GUEST_BOOT_TIMEOUT_MS   (6 * 60 * 1000)
#define GUEST_RESUME_TIMEOUT_MS  30000

/* ---- helpers ----------------------------------------------------------- */

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

LabVirtGuestSpec *
lab_guest_spec (LabRecipe *recipe, LabGuest *guest, const LabGuestDisk *disk)
{
  LabVirtGuestSpec *spec = lab_virt_guest_spec_new ();

  spec->lab_name = g_strdup (recipe->name);
  spec->name = g_strdup (guest->name);
  spec->uuid = lab_guest_uuid (recipe, guest);
  spec->memory_mib = guest->memory_mib;
  spec->vcpus = guest->vcpus;
  spec->kernel = g_strdup (guest->kernel);
  spec->initrd = g_strdup (guest->initrd);
  spec->cmdline = g_strdup (guest->cmdline);
  /* a CPU model both nodes offer under TCG: migration never meets a mismatch */
  spec->cpu_model = g_strdup ("qemu64");
  /* the bridge of every container node (lab-container-netns.c) */
  spec->bridge = g_strdup ("br0");
  spec->mac = g_strdup (guest->mac);
  if (disk != NULL)
    {
      spec->iscsi_iqn = g_strdup (disk->iqn);
      spec->iscsi_lun = disk->lun;
      spec->iscsi_host = g_strdup (disk->host);
      spec->iscsi_port = disk->port;
      spec->slice_offset = disk->offset;
      spec->slice_size = disk->size;
    }
  return spec;
}

char *
lab_guest_domain_xml (LabRecipe *recipe, LabGuest *guest, const LabGuestDisk *disk)
{
  g_autoptr(LabVirtGuestSpec) spec = lab_guest_spec (recipe, guest, disk);

  return lab_virt_guest_xml (spec);
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

/* The domain of the guest in this lab: the flavor's adjustments (a kvm
 * node's own paths, pinning) on top of lab_guest_spec(). */
static char *
guest_xml_with (LabContext *ctx, LabGuest *g, const LabGuestDisk *disk)
{
  g_autoptr(LabVirtGuestSpec) spec = lab_guest_spec (ctx->recipe, g, disk);
  const LabFlavor *flavor = lab_flavor_for_context (ctx);

  if (flavor->guest_spec != NULL)
    flavor->guest_spec (ctx, g, spec);
  return g->container ? lab_virt_container_xml (spec) : lab_virt_guest_xml (spec);
}

void
lab_guest_migrate_options (LabContext *ctx, LabGuest *g, char **pin_cpuset, gboolean *paused)
{
  g_autoptr(LabVirtGuestSpec) spec = lab_guest_spec (ctx->recipe, g, NULL);
  const LabFlavor *flavor = lab_flavor_for_context (ctx);

  if (flavor->guest_spec != NULL)
    flavor->guest_spec (ctx, g, spec);
  *pin_cpuset = g_steal_pointer (&spec->migrate_pin_cpuset);
  *paused = spec->migrate_paused;
}

char *
lab_guest_xml (LabContext *ctx, LabGuest *g)
{
  LabGuestDisk disk = { 0 };
  gboolean has = guest_disk (ctx, g, &disk);

  return guest_xml_with (ctx, g, has ? &disk : NULL);
}

static virDomainPtr define_on (LabContext *ctx, virConnectPtr conn, LabGuest *g, const char *node,
                               GError **error);

/* ---- ownership, lookup ------------------------------------------------- */

/* What a domain's <metadata> says of it. */
typedef enum {
  MARK_OURS,        /* this lab's mark for this guest */
  MARK_FOREIGN,     /* no mark of labctl's, or another lab's or guest's */
  MARK_GONE,        /* the domain went away after it was looked up (a migration ended) */
  MARK_UNREADABLE,  /* libvirt could not tell (the domain in a migration's hands) */
} Mark;

/* The domain carries this lab's mark for this guest in its <metadata>.
 * Only libvirt's "no such metadata" means the mark is missing; any other
 * error (the domain undefined by a migration between the lookup and this
 * read, the daemon busy with it) says nothing about who owns the domain. */
static Mark
domain_mark (virDomainPtr dom, const char *lab, const char *guest, char **out_why)
{
  g_autofree char *mark_lab = NULL;
  g_autofree char *mark_guest = NULL;
  int code = 0;

  if (!lab_virt_domain_get_mark (dom, &mark_lab, &mark_guest, NULL, &code, out_why))
    return code == VIR_ERR_NO_DOMAIN_METADATA ? MARK_FOREIGN : code == VIR_ERR_NO_DOMAIN ? MARK_GONE
                                                                                        : MARK_UNREADABLE;
  return g_strcmp0 (mark_lab, lab) == 0 && g_strcmp0 (mark_guest, guest) == 0 ? MARK_OURS : MARK_FOREIGN;
}

/* *out_dom NULL when absent (or gone by the time its mark was read).
 * out_unsure: when not NULL, a domain whose mark libvirt could not read
 * sets it (with *out_dom NULL) instead of being an error, for a caller
 * that looks again; otherwise that is an error quoting libvirt. */
static gboolean
lookup_ours_full (virConnectPtr conn, LabContext *ctx, LabGuest *g, const char *node,
                  virDomainPtr *out_dom, gboolean *out_unsure, GError **error)
{
  g_autoptr(virDomain) dom = virDomainLookupByName (conn, g->name);
  g_autofree char *why = NULL;
  Mark mark;

  *out_dom = NULL;
  if (dom == NULL)
    return TRUE;
  mark = domain_mark (dom, ctx->recipe->name, g->name, &why);
  if (mark == MARK_GONE || mark == MARK_UNREADABLE)
    g_debug ("domain %s on node %s: its mark could not be read: %s", g->name, node, why);
  switch (mark)
    {
    case MARK_OURS:
      *out_dom = g_steal_pointer (&dom);
      return TRUE;
    case MARK_GONE:
      if (out_unsure != NULL)
        *out_unsure = TRUE;
      return TRUE;
    case MARK_UNREADABLE:
      if (out_unsure != NULL)
        {
          *out_unsure = TRUE;
          return TRUE;
        }
      g_set_error (error, LAB_ERROR, LAB_ERROR_LIBVIRT,
                   _("Cannot read whose domain '%s' on node %s is (a migration may be under way; run the "
                     "command again): %s"), g->name, node, why);
      return FALSE;
    case MARK_FOREIGN:
    default:
      g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                   _("Node %s has a domain '%s' that is not lab %s's guest; labctl leaves it alone: "
                     "rename the guest in the recipe"), node, g->name, ctx->recipe->name);
      return FALSE;
    }
}

static gboolean
lookup_ours (virConnectPtr conn, LabContext *ctx, LabGuest *g, const char *node,
             virDomainPtr *out_dom, GError **error)
{
  return lookup_ours_full (conn, ctx, g, node, out_dom, NULL, error);
}

/* The node's libvirt for this guest: its QEMU driver, or for a container
 * the same daemon's LXC driver ("qemu+libssh://..." -> "lxc+libssh://..."). */
static char *
guest_uri (LabContext *ctx, LabGuest *g, const char *node, GError **error)
{
  char *uri = lab_flavor_node_uri (ctx, node, error);

  if (uri != NULL && g->container && g_str_has_prefix (uri, "qemu"))
    {
      char *lxc = g_strconcat ("lxc", uri + strlen ("qemu"), NULL);
      g_free (uri);
      uri = lxc;
    }
  return uri;
}

static virConnectPtr
connect_node (LabContext *ctx, LabGuest *g, const char *node, GError **error)
{
  g_autofree char *uri = guest_uri (ctx, g, node, error);

  return uri != NULL ? lab_virt_open (uri, error) : NULL;
}

/* The guest's domain on node (*out_dom NULL when absent); FALSE when the
 * node's libvirt cannot be reached or the domain is not ours. The domain
 * holds its connection open until it is freed (virDomainGetConnect()). */
static gboolean
find_on (LabContext *ctx, LabGuest *g, const char *node, virDomainPtr *out_dom, GError **error)
{
  g_autoptr(virConnect) conn = connect_node (ctx, g, node, error);

  *out_dom = NULL;
  return conn != NULL && lookup_ours (conn, ctx, g, node, out_dom, error);
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
      g_autoptr(virConnect) conn = NULL;
      g_autoptr(virDomain) dom = NULL;
      gboolean seen = FALSE;

      for (guint j = 0; j < i; j++)
        seen |= g_str_equal (g_ptr_array_index (order, j), node);
      if (seen || find_node (ctx, node, NULL) == NULL)
        continue;
      conn = connect_node (ctx, guest, node, NULL);
      if (conn == NULL)
        continue;  /* node down: nothing runs there */
      if (!lookup_ours (conn, ctx, guest, node, &dom, error))
        {
          g_clear_pointer (out_node, g_free);
          *out_active = FALSE;
          return FALSE;
        }
      if (dom == NULL)
        continue;
      if (virDomainIsActive (dom) == 1)
        {
          g_free (*out_node);
          *out_node = g_strdup (node);
          *out_active = TRUE;
          return TRUE;
        }
      if (*out_node == NULL)
        *out_node = g_strdup (node);
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

typedef struct {
  const char *node;
  virDomainPtr dom;
  int          state;   /* VIR_DOMAIN_RUNNING, _PAUSED, _SHUTOFF ... */
  gboolean     job;     /* a job (a migration) is under way on it */
} Copy;

static void
copies_free (GArray *copies)
{
  for (guint i = 0; i < copies->len; i++)
    virDomainFree (g_array_index (copies, Copy, i).dom);
  g_array_unref (copies);
}

static gboolean
settle_once (LabContext *ctx, LabGuest *guest, gboolean repair, gboolean *busy, char **out_note, GError **error)
{
  LabRecipe *r = ctx->recipe;
  GArray *copies = g_array_new (FALSE, TRUE, sizeof (Copy));
  g_autoptr(GString) seen = g_string_new (NULL);
  g_autoptr(GString) done = g_string_new (NULL);
  guint n_running = 0, n_paused = 0, n_job = 0;
  Copy *keep = NULL;
  gboolean ok = TRUE;
  gboolean unsure = FALSE;  /* a domain libvirt could not tell about: in a migration's hands */

  if (out_note != NULL)
    *out_note = NULL;
  if (!lab_flavor_require_node_libvirt (ctx, error))
    {
      copies_free (copies);
      return FALSE;
    }
  for (guint i = 0; i < r->nodes->len; i++)
    {
      const char *node = ((LabNode *) g_ptr_array_index (r->nodes, i))->name;
      g_autoptr(virConnect) conn = connect_node (ctx, guest, node, NULL);
      virDomainPtr dom = NULL;
      virDomainJobInfo job = { 0 };
      Copy c = { node, NULL, 0, FALSE };
      int reason = 0;

      if (conn == NULL)
        continue;  /* node down: nothing runs there */
      if (!lookup_ours_full (conn, ctx, guest, node, &dom, &unsure, error))
        {
          copies_free (copies);
          return FALSE;
        }
      if (dom == NULL)
        continue;
      c.dom = dom;  /* holds its connection */
      if (virDomainGetState (dom, &c.state, &reason, 0) < 0)
        {
          /* undefined by a migration since the lookup */
          c.state = VIR_DOMAIN_NOSTATE;
          unsure = TRUE;
        }
      c.job = virDomainIsActive (dom) == 1 && virDomainGetJobInfo (dom, &job) == 0 && job.type != VIR_DOMAIN_JOB_NONE;
      n_running += c.state == VIR_DOMAIN_RUNNING;
      n_paused += c.state == VIR_DOMAIN_PAUSED;
      n_job += c.job;
      g_string_append_printf (seen, "%s%s (%s)", seen->len > 0 ? ", " : "", node,
                              c.state == VIR_DOMAIN_RUNNING ? _("running")
                              : c.state == VIR_DOMAIN_PAUSED ? _("paused")
                              : c.state == VIR_DOMAIN_SHUTOFF ? _("defined, shut off") : _("in another state"));
      g_array_append_val (copies, c);
    }

  /* a domain whose mark libvirt could not read, or that went away while
   * it was read, is in the hands of a migration that is ending (labctl
   * that started it may be gone): not a foreign domain, not a state to
   * judge; look again */
  if (unsure && repair)
    {
      copies_free (copies);
      *busy = TRUE;
      return TRUE;
    }
  if (unsure)
    n_job++;

  /* all well: one copy, running or shut off (reset and up start it) */
  if (copies->len == 1 && n_paused == 0)
    {
      copies_free (copies);
      return TRUE;
    }
  if (copies->len == 0)
    {
      /* not defined (yet, or any more): `up` or `reset` makes it */
      copies_free (copies);
      return TRUE;
    }
  if (n_job > 0 && repair)
    {
      /* the migration goes on in libvirtd (labctl that started it may be
       * gone): wait for its end, then look again */
      copies_free (copies);
      *busy = TRUE;
      return TRUE;
    }
  if (n_job > 0)
    {
      copies_free (copies);
      if (out_note != NULL)
        *out_note = g_strdup_printf (_("Guest %s is on %s: a migration is under way"), guest->name, seen->str);
      return TRUE;
    }
  if (n_running > 1)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                   _("Guest %s runs on two nodes (%s), both writing its disk; labctl cannot tell which one to "
                     "keep: stop one (virsh destroy) and run 'labctl reset'"), guest->name, seen->str);
      copies_free (copies);
      return FALSE;
    }
  for (guint i = 0; i < copies->len; i++)
    {
      Copy *c = &g_array_index (copies, Copy, i);

      if (c->state == VIR_DOMAIN_RUNNING || (n_running == 0 && c->state == VIR_DOMAIN_PAUSED && keep == NULL))
        keep = c;
    }
  if (keep == NULL)
    {
      /* defined, and running nowhere */
      if (out_note != NULL)
        *out_note = g_strdup_printf (_("Guest %s is defined on %s and runs nowhere; 'labctl reset' starts it "
                                       "from its clean state"), guest->name, seen->str);
      if (copies->len > 1 && repair)
        {
          copies_free (copies);
          g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                       _("Guest %s is defined on %s and runs nowhere; run 'labctl reset'"), guest->name, seen->str);
          return FALSE;
        }
      copies_free (copies);
      return TRUE;
    }
  if (!repair)
    {
      if (out_note != NULL)
        *out_note = g_strdup_printf (_("Guest %s is on %s (a migration that did not finish); the next 'labctl "
                                       "experiment migrate' or 'labctl reset' repairs it"), guest->name, seen->str);
      copies_free (copies);
      return TRUE;
    }
  for (guint i = 0; ok && i < copies->len; i++)
    {
      Copy *c = &g_array_index (copies, Copy, i);

      if (c == keep)
        continue;
      /* a stale copy: the source a migration did not undefine, or the
       * target it did not finish */
      if (virDomainIsActive (c->dom) == 1 && virDomainDestroy (c->dom) < 0)
        {
          lab_virt_set_error (error, _("Cannot stop the stale copy of guest %s on node %s"), guest->name, c->node);
          ok = FALSE;
        }
      else if (virDomainIsPersistent (c->dom) == 1 && virDomainUndefine (c->dom) < 0)
        {
          lab_virt_set_error (error, _("Cannot undefine the stale copy of guest %s on node %s"), guest->name, c->node);
          ok = FALSE;
        }
      else
        g_string_append_printf (done, _("; removed the copy on %s"), c->node);
    }
  if (ok && keep->state == VIR_DOMAIN_PAUSED)
    {
      if (virDomainResume (keep->dom) < 0)
        {
          lab_virt_set_error (error, _("Cannot resume guest %s, paused on node %s"), guest->name, keep->node);
          ok = FALSE;
        }
      else
        g_string_append_printf (done, _("; resumed it on %s"), keep->node);
    }
  if (ok)
    {
      record_node (ctx, guest, keep->node);
      if (lab_state_get_path (ctx->state) != NULL)
        ok = lab_state_save (ctx->state, error);
    }
  if (out_note != NULL)
    *out_note = g_strdup_printf (_("Guest %s was on %s (a migration that did not finish)%s"), guest->name,
                                 seen->str, done->str);
  copies_free (copies);
  return ok;
}

gboolean
lab_guest_settle (LabContext *ctx, LabGuest *guest, gboolean repair, char **out_note, GError **error)
{
  /* a migration job ends by itself: within libvirt's own timeouts, or the
   * lab's 2 minutes */
  for (guint i = 0; i < 600; i++)
    {
      gboolean busy = FALSE;

      if (!settle_once (ctx, guest, repair, &busy, out_note, error))
        return FALSE;
      if (!busy)
        return TRUE;
      if (g_cancellable_is_cancelled (ctx->cancellable))
        break;
      g_usleep (200 * 1000);
    }
  g_set_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT,
               _("A migration of guest %s is still under way after 2 minutes; wait for it, or cancel it "
                 "(virsh domjobabort), and run the command again"), guest->name);
  return FALSE;
}

/* rc, of a libvirt call on a domain that stops or undefines it: done, or
 * failed only because the domain is gone (a cluster or a migration took
 * it since the lookup), which is as good as done. */
static gboolean
done_or_gone (int rc)
{
  return rc >= 0 || virGetLastErrorCode () == VIR_ERR_NO_DOMAIN;
}

/* Stops and undefines the guest on one node (if it is there and ours).
 * strict: a failure to stop or undefine it is an error; otherwise it is
 * left to what follows (reset redefines the guest and says so if that
 * fails). A domain of that name that is not ours always is. */
static gboolean
remove_from (virConnectPtr conn, LabContext *ctx, LabGuest *guest, const char *node, gboolean strict,
             GError **error)
{
  g_autoptr(virDomain) dom = NULL;

  if (!lookup_ours (conn, ctx, guest, node, &dom, error))
    return FALSE;
  if (dom == NULL)
    return TRUE;
  if (virDomainIsActive (dom) == 1 && !done_or_gone (virDomainDestroy (dom)) && strict)
    {
      lab_virt_set_error (error, _("Cannot stop guest %s on node %s"), guest->name, node);
      return FALSE;
    }
  if (virDomainIsPersistent (dom) == 1 && !done_or_gone (virDomainUndefine (dom)) && strict)
    {
      lab_virt_set_error (error, _("Cannot undefine guest %s on node %s"), guest->name, node);
      return FALSE;
    }
  /* its disk let go there: a container's root is mounted where it runs,
   * and never on two nodes */
  if (!lab_flavor_guest_disk_activate (ctx, guest, node, FALSE, strict ? error : NULL) && strict)
    return FALSE;
  return TRUE;
}

gboolean
lab_guest_restart_on (LabContext *ctx, LabGuest *guest, const char *from, const char *to, GError **error)
{
  g_autoptr(virConnect) src = connect_node (ctx, guest, from, error);
  g_autoptr(virConnect) dst = NULL;
  g_autoptr(virDomain) dom = NULL;

  /* stopped, undefined and its disk released on the source before it is
   * touched on the destination */
  if (src == NULL || !remove_from (src, ctx, guest, from, TRUE, error))
    return FALSE;
  record_node (ctx, guest, NULL);
  if (!lab_flavor_guest_disk_activate (ctx, guest, to, TRUE, error))
    return FALSE;
  dst = connect_node (ctx, guest, to, error);
  if (dst == NULL)
    return FALSE;
  dom = define_on (ctx, dst, guest, to, error);
  if (dom == NULL)
    return FALSE;
  record_node (ctx, guest, to);
  if (virDomainCreate (dom) < 0)
    {
      lab_virt_set_error (error, _("Cannot start guest %s on node %s"), guest->name, to);
      return FALSE;
    }
  return TRUE;
}

/* The guest off every node whose libvirtd answers. */
static gboolean
remove_everywhere (LabContext *ctx, LabGuest *guest, gboolean strict, GError **error)
{
  LabRecipe *r = ctx->recipe;

  if (!lab_flavor_require_node_libvirt (ctx, error))
    return FALSE;
  for (guint i = 0; i < r->nodes->len; i++)
    {
      const char *node = ((LabNode *) g_ptr_array_index (r->nodes, i))->name;
      g_autoptr(virConnect) conn = connect_node (ctx, guest, node, NULL);

      if (conn != NULL && !remove_from (conn, ctx, guest, node, strict, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
lab_guest_remove (LabContext *ctx, LabGuest *guest, GError **error)
{
  g_autofree char *image = lab_guest_clean_image (ctx, guest);

  if (!remove_everywhere (ctx, guest, TRUE, error))
    return FALSE;
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
  g_autofree char *xml = lab_guest_xml (ctx, g);
  virDomainPtr dom = virDomainDefineXML (conn, xml);

  if (dom == NULL)
    lab_virt_set_error (error, _("Cannot define guest %s on node %s"), g->name, node);
  return dom;
}

/* Brings the guest up on its home node (conn), where it is defined and
 * not running: from its clean image when there is one, else booted. */
static gboolean
start_at_home (virConnectPtr conn, virDomainPtr dom, LabGuest *guest, const char *image, gboolean from_image,
               GError **error)
{
  if (from_image)
    {
      if (virDomainRestoreFlags (conn, image, NULL, VIR_DOMAIN_SAVE_RUNNING) < 0)
        {
          lab_virt_set_error (error, _("Cannot restore the clean state of guest %s from %s"),
                                       guest->name, image);
          return FALSE;
        }
    }
  else if (virDomainCreate (dom) < 0)
    {
      lab_virt_set_error (error, _("Cannot start guest %s on node %s"), guest->name, guest->node);
      return FALSE;
    }
  return TRUE;
}

/* Off every node but its home one (best effort, as remove_everywhere);
 * on its home node stopped but still defined, or defined anew: *out_dom. */
static gboolean
stop_at_home (LabContext *ctx, LabGuest *guest, virConnectPtr home, virDomainPtr *out_dom, GError **error)
{
  LabRecipe *r = ctx->recipe;
  g_autoptr(virDomain) dom = NULL;

  for (guint i = 0; i < r->nodes->len; i++)
    {
      const char *node = ((LabNode *) g_ptr_array_index (r->nodes, i))->name;
      g_autoptr(virConnect) conn = NULL;

      if (g_str_equal (node, guest->node))
        continue;
      conn = connect_node (ctx, guest, node, NULL);
      if (conn != NULL && !remove_from (conn, ctx, guest, node, FALSE, error))
        return FALSE;
    }
  if (!lookup_ours (home, ctx, guest, guest->node, &dom, error))
    return FALSE;
  if (dom != NULL && virDomainIsActive (dom) == 1)
    virDomainDestroy (dom);   /* what fails here, the restore says */
  /* the template again unless it is defined there already (a migration
   * takes it away) */
  if (dom == NULL || virDomainIsPersistent (dom) != 1)
    {
      g_clear_pointer (&dom, virDomainFree);
      dom = define_on (ctx, home, guest, guest->node, error);
      if (dom == NULL)
        return FALSE;
    }
  *out_dom = g_steal_pointer (&dom);
  return TRUE;
}

gboolean
lab_guest_reset (LabContext *ctx, LabGuest *guest, GError **error)
{
  g_autofree char *image = lab_guest_clean_image (ctx, guest);
  g_autoptr(virConnect) home = NULL;
  g_autoptr(virDomain) dom = NULL;
  gboolean from_image;
  gint64 t0 = g_get_monotonic_time (), t1, t2;
  gboolean ok;

  if (!lab_flavor_require_node_libvirt (ctx, error))
    return FALSE;
  /* one connection to the home node for all of it; the definition there
   * stays (the restore replaces the stopped domain): destroy and restore,
   * no undefine and define */
  home = connect_node (ctx, guest, guest->node, error);
  if (home == NULL || !stop_at_home (ctx, guest, home, &dom, error))
    return FALSE;
  t1 = g_get_monotonic_time ();
  from_image = g_file_test (image, G_FILE_TEST_EXISTS);
  if (!lab_flavor_guest_disk_activate (ctx, guest, guest->node, TRUE, error)
      || !start_at_home (home, dom, guest, image, from_image, error))
    return FALSE;
  t2 = g_get_monotonic_time ();
  record_node (ctx, guest, guest->node);
  ok = wait_ping (ctx, guest, from_image ? GUEST_RESUME_TIMEOUT_MS : GUEST_BOOT_TIMEOUT_MS, error);
  /* G_MESSAGES_DEBUG=labctl: where reset's time goes */
  g_debug ("reset of guest %s: stopped in %.3f s, %s in %.3f s, answers ping after %.3f s", guest->name,
           (t1 - t0) / 1e6, from_image ? "restored" : "started", (t2 - t1) / 1e6,
           (g_get_monotonic_time () - t2) / 1e6);
  return ok;
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
  g_autoptr(virConnect) conn = connect_node (ctx, g, g->node, error);
  g_autoptr(virDomain) dom = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *image = lab_guest_clean_image (ctx, g);

  if (conn == NULL)
    return FALSE;
  dir = g_path_get_dirname (image);
  g_mkdir_with_parents (dir, 0755);
  dom = define_on (ctx, conn, g, g->node, error);
  if (dom == NULL)
    return FALSE;
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
  g_autofree char *uri = guest_uri (ctx, g, g->node, NULL);
  g_autofree char *xml = lab_guest_xml (ctx, g);
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
      with = guest_xml_with (ctx, g, &disk);
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
  return lab_lines_steal (lines);
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

/* Offset and size of an LV inside the PV (= the LUN): PV data start +
 * first extent * extent size. LVs cannot be activated on every host (no
 * device-mapper), but QEMU reads the LUN itself: a slice of it is the LV. */
gboolean
lab_guest_lv_slice (LabContext *ctx, const char *lv, guint64 *offset, guint64 *size, GError **error)
{
  LabRecipe *r = ctx->recipe;
  const char *dev = lab_state_get_string (ctx->state, "storage.pv.device");
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
  g_autofree char *lv = g_strconcat (ctx->recipe->lv_prefix, g->name, NULL);
  guint64 offset = 0, size = 0;

  if (!lab_guest_lv_slice (ctx, lv, &offset, &size, error))
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
  return lab_lines_steal (lines);
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
      g_autoptr(virDomain) dom = NULL;

      if (!find_on (ctx, g, node, &dom, error) || dom == NULL
          || !lab_flavor_guest_disk_activate (ctx, g, node, TRUE, error))
        return FALSE;
      if (virDomainCreate (dom) < 0)
        {
          lab_virt_set_error (error, _("Cannot start guest %s on node %s"), g->name, node);
          return FALSE;
        }
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
  g_autoptr(virDomain) dom = NULL;

  if (!lab_guest_locate (ctx, g, &node, &active, error))
    return FALSE;
  if (node == NULL || !active)
    return TRUE;
  if (!find_on (ctx, g, node, &dom, error))
    return FALSE;
  /* gone meanwhile (the cluster, stopped just before, was taking it
   * down): stopped, as asked */
  if (dom != NULL && !done_or_gone (virDomainDestroy (dom)))
    {
      lab_virt_set_error (error, _("Cannot stop guest %s on node %s"), g->name, node);
      return FALSE;
    }
  /* its disk inactive there again (what fails here, the node's removal
   * ends anyway) */
  lab_flavor_guest_disk_activate (ctx, g, node, FALSE, NULL);
  return TRUE;
}

static char **
start_describe (LabContext *ctx, gpointer data, gboolean down)
{
  LabGuest *g = data;
  g_autofree char *uri = guest_uri (ctx, g, g->node, NULL);
  GPtrArray *lines = g_ptr_array_new ();

  if (down)
    g_ptr_array_add (lines, g_strdup_printf ("virsh -c '%s' destroy %s", uri, g->name));
  else
    {
      g_ptr_array_add (lines, g_strdup_printf ("virsh -c '%s' start %s", uri, g->name));
      if (g->address != NULL)
        g_ptr_array_add (lines, g_strdup_printf ("until ping -c1 -W1 %s; do sleep 0.5; done", g->address));
    }
  return lab_lines_steal (lines);
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

/* Saves the running guest to partial (which stops it) and restores it at
 * once: the image is its clean state; then renames partial to image. */
static gboolean
save_clean (LabContext *ctx, LabGuest *g, const char *node, const char *partial, const char *image,
            GError **error)
{
  g_autoptr(virDomain) dom = NULL;

  if (!find_on (ctx, g, node, &dom, error) || dom == NULL)
    return FALSE;
  if (virDomainSaveFlags (dom, partial, NULL, VIR_DOMAIN_SAVE_RUNNING) < 0)
    {
      lab_virt_set_error (error, _("Cannot save the clean state of guest %s"), g->name);
      return FALSE;
    }
  if (virDomainRestoreFlags (virDomainGetConnect (dom), partial, NULL, VIR_DOMAIN_SAVE_RUNNING) < 0)
    {
      lab_virt_set_error (error, _("Cannot resume guest %s from its clean state"), g->name);
      return FALSE;
    }
  if (g_rename (partial, image) < 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot rename %s: %s"), partial, g_strerror (errno));
      return FALSE;
    }
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
  if (!save_clean (ctx, g, node, partial, image, error))
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
  g_autofree char *uri = guest_uri (ctx, g, g->node, NULL);
  g_autofree char *image = lab_guest_clean_image (ctx, g);
  GPtrArray *lines = g_ptr_array_new ();

  if (down)
    g_ptr_array_add (lines, g_strdup_printf ("rm -f %s", image));
  else
    {
      g_ptr_array_add (lines, g_strdup_printf ("virsh -c '%s' save %s %s --running", uri, g->name, image));
      g_ptr_array_add (lines, g_strdup_printf ("virsh -c '%s' restore %s --running", uri, image));
    }
  return lab_lines_steal (lines);
}

static const LabStepInfo snapshot_step = {
  "guests.snapshot", N_("Save the clean state of guest %s (for reset)"), TRUE,
  snapshot_check, snapshot_apply, snapshot_undo, snapshot_describe,
};

void
lab_guest_add_steps (LabPlan *plan, LabContext *ctx)
{
  lab_guest_add_steps_full (plan, ctx, TRUE, TRUE);
}

void
lab_guest_add_steps_full (LabPlan *plan, LabContext *ctx, gboolean clean_image, gboolean lun_slices)
{
  LabRecipe *r = ctx->recipe;

  for (guint i = 0; i < r->guests->len; i++)
    {
      LabGuest *g = g_ptr_array_index (r->guests, i);

      if (g->disk_bytes > 0 && lun_slices)
        lab_plan_add_step (plan, &disk_step, g->name, g->name, g, NULL);
      lab_plan_add_step (plan, &define_step, g->name, g->name, g, NULL);
    }
  for (guint i = 0; i < r->guests->len; i++)
    {
      LabGuest *g = g_ptr_array_index (r->guests, i);

      lab_plan_add_step (plan, &start_step, g->name, g->name, g, NULL);
      if (clean_image)
        lab_plan_add_step (plan, &snapshot_step, g->name, g->name, g, NULL);
    }
}
