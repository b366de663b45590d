/* lab-virt-domain.c: node domains (see lab-virt.h): lookup with the
 * ownership check, define, start, stop, undefine, waiting for a state on
 * lifecycle events, parallel runs, information. */
#include "config.h"

#include "lab-virt-private.h"

#include <errno.h>
#include <glib/gstdio.h>

#include <libvirt/virterror.h>

#include "lab-error.h"
#include "lab-i18n.h"

gboolean
lab_virt_domain_lookup (LabVirt *self, const char *name, const char *lab_name,
                        virDomainPtr *out_dom, GError **error)
{
  g_autoptr(virDomain) dom = virDomainLookupByName (self->conn, name);
  g_autofree char *xml = NULL;
  g_autofree char *owner = NULL;
  gboolean marked;

  *out_dom = NULL;
  if (dom == NULL)
    {
      if (lab_virt_last_error_is (VIR_ERR_NO_DOMAIN))
        return TRUE;
      lab_virt_set_error (error, _("Cannot look up domain \"%s\""), name);
      return FALSE;
    }
  xml = virDomainGetXMLDesc (dom, VIR_DOMAIN_XML_INACTIVE);
  marked = lab_virt_xml_get_owner (xml, &owner, NULL, NULL);
  if (!marked || g_strcmp0 (owner, lab_name) != 0)
    {
      g_autofree char *who = lab_virt_foreign_owner_text (owner);
      g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                   _("A virtual machine named \"%s\" already exists and belongs to %s; labctl leaves it alone: "
                     "rename or remove it yourself, or change the node names in the recipe"), name, who);
      return FALSE;
    }
  *out_dom = g_steal_pointer (&dom);
  return TRUE;
}

char *
lab_virt_interface_with_link (const char *domain_xml, const char *mac, gboolean up, GError **error)
{
  g_autoptr(LabXmlReader) reader = lab_virt_xml_reader_new (domain_xml, "the domain XML", error);
  g_autofree char *want = g_ascii_strdown (mac, -1);
  g_autofree char *xpath = g_strdup_printf ("/domain/devices/interface[mac/@address='%s']", want);
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GRegex) link = g_regex_new ("<link\\b[^>]*/>", 0, 0, NULL);
  g_autofree char *text = NULL;
  g_autofree char *stripped = NULL;
  const char *end;

  if (reader == NULL)
    return NULL;
  found = lab_xml_reader_get_nodes (reader, NULL, xpath);
  if (found->len == 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, _("The domain has no interface with MAC address %s"), mac);
      return NULL;
    }
  /* the device as libvirt has it (same type, source, model, address: an
   * update may change only what can change live), its link state set */
  text = lab_xml_node_to_string (g_ptr_array_index (found, 0));
  stripped = g_regex_replace_literal (link, text, -1, 0, "", 0, NULL);
  end = g_strrstr (stripped, "</interface>");
  if (end == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("The interface with MAC address %s has no end tag"), mac);
      return NULL;
    }
  return g_strdup_printf ("%.*s<link state='%s'/>\n</interface>", (int) (end - stripped), stripped,
                          up ? "up" : "down");
}

gboolean
lab_virt_domain_set_link (virDomainPtr dom, const char *mac, gboolean up, GError **error)
{
  g_autofree char *xml = virDomainGetXMLDesc (dom, 0);
  g_autofree char *device = NULL;

  if (xml == NULL)
    {
      lab_virt_set_error (error, _("Cannot read the XML of domain \"%s\""), virDomainGetName (dom));
      return FALSE;
    }
  if ((device = lab_virt_interface_with_link (xml, mac, up, error)) == NULL)
    {
      g_prefix_error (error, "%s: ", virDomainGetName (dom));
      return FALSE;
    }
  if (virDomainUpdateDeviceFlags (dom, device, VIR_DOMAIN_AFFECT_LIVE) < 0)
    {
      lab_virt_set_error (error, up ? _("Cannot set the link of domain \"%s\" up") :
                                      _("Cannot set the link of domain \"%s\" down"), virDomainGetName (dom));
      return FALSE;
    }
  return TRUE;
}

/* libvirt hands the element of labctl's namespace back as a document of
 * its own, without the namespace (<lab name=.. guest=.. exercise=../>):
 * its root's attributes are the mark's. */
gboolean
lab_virt_domain_get_mark (virDomainPtr dom, char **lab, char **guest, char **exercise, int *out_code,
                          char **out_why)
{
  g_autofree char *md = virDomainGetMetadata (dom, VIR_DOMAIN_METADATA_ELEMENT, LAB_VIRT_XMLNS, 0);
  g_autoptr(LabXmlReader) reader = NULL;

  if (md == NULL)
    {
      if (out_code != NULL)
        *out_code = virGetLastErrorCode ();
      if (out_why != NULL)
        *out_why = g_strdup (virGetLastErrorMessage ());
      return FALSE;
    }
  reader = lab_virt_xml_reader_new (md, "libvirt XML", NULL);
  if (reader == NULL)
    return TRUE;
  if (lab != NULL)
    *lab = lab_xml_reader_get_string (reader, NULL, "/*/@name");
  if (guest != NULL)
    *guest = lab_xml_reader_get_string (reader, NULL, "/*/@guest");
  if (exercise != NULL)
    *exercise = lab_xml_reader_get_string (reader, NULL, "/*/@exercise");
  return TRUE;
}

virDomainPtr
lab_virt_lookup_existing (LabVirt *self, const char *name, const char *lab_name, GError **error)
{
  virDomainPtr dom = NULL;

  if (!lab_virt_domain_lookup (self, name, lab_name, &dom, error))
    return NULL;
  if (dom == NULL)
    g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                 _("Node \"%s\" of lab \"%s\" is not defined; run 'labctl up' first"), name, lab_name);
  return dom;
}

gboolean
lab_virt_domain_define (LabVirt *self, const LabVirtDomainSpec *spec, GError **error)
{
  g_autoptr(virDomain) old = NULL;
  g_autoptr(virDomain) dom = NULL;
  g_autofree char *xml = NULL;
  char uuid[VIR_UUID_STRING_BUFLEN];
  LabVirtDomainSpec same = *spec;

  if (!lab_virt_domain_lookup (self, spec->node_name, spec->lab_name, &old, error))
    return FALSE;
  /* redefining keeps the domain's identity: same UUID (a shallow copy of
   * the spec says which; it owns nothing) */
  if (old != NULL && spec->uuid == NULL && virDomainGetUUIDString (old, uuid) == 0)
    same.uuid = uuid;
  xml = lab_virt_domain_xml (&same);
  dom = virDomainDefineXML (self->conn, xml);
  if (dom == NULL)
    {
      lab_virt_set_error (error, _("Cannot define node \"%s\""), spec->node_name);
      return FALSE;
    }
  return TRUE;
}

gboolean
lab_virt_domain_start (LabVirt *self, const char *name, const char *lab_name, GError **error)
{
  g_autoptr(virDomain) dom = lab_virt_lookup_existing (self, name, lab_name, error);

  if (dom == NULL)
    return FALSE;
  if (virDomainIsActive (dom) != 1 && virDomainCreate (dom) < 0)
    {
      lab_virt_set_error (error, _("Cannot start node \"%s\""), name);
      return FALSE;
    }
  return TRUE;
}

static void
on_cancelled (GCancellable *cancellable, gpointer data)
{
  lab_virt_event_shared_wake (data);
}

const char *
lab_virt_state_to_string (int state)
{
  switch (state)
    {
    case VIR_DOMAIN_NOSTATE: return N_("no state");
    case VIR_DOMAIN_RUNNING: return N_("running");
    case VIR_DOMAIN_BLOCKED: return N_("blocked");
    case VIR_DOMAIN_PAUSED: return N_("paused");
    case VIR_DOMAIN_SHUTDOWN: return N_("shutting down");
    case VIR_DOMAIN_SHUTOFF: return N_("shut off");
    case VIR_DOMAIN_CRASHED: return N_("crashed");
    case VIR_DOMAIN_PMSUSPENDED: return N_("suspended");
    default: return N_("unknown");
    }
}

gboolean
lab_virt_wait_for_state (LabVirt *self, const char *name, int state, guint timeout_ms,
                         GCancellable *cancellable, GError **error)
{
  EventShared *ev = self->events;
  g_autoptr(virDomain) dom = virDomainLookupByName (self->conn, name);
  gint64 deadline = timeout_ms > 0 ? g_get_monotonic_time () + (gint64) timeout_ms * 1000 : G_MAXINT64;
  gulong cancel_id = 0;
  gboolean ok = FALSE;
  int cur = VIR_DOMAIN_NOSTATE;

  if (dom == NULL)
    {
      lab_virt_set_error (error, _("Cannot look up domain \"%s\""), name);
      return FALSE;
    }
  if (cancellable != NULL)
    cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), ev, NULL);

  for (;;)
    {
      guint64 seen;
      int reason;
      gboolean woke = TRUE;

      g_mutex_lock (&ev->lock);
      seen = ev->generation;
      g_mutex_unlock (&ev->lock);

      if (virDomainGetState (dom, &cur, &reason, 0) < 0)
        {
          lab_virt_set_error (error, _("Cannot read the state of \"%s\""), name);
          break;
        }
      if (cur == state)
        {
          ok = TRUE;
          break;
        }
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          g_clear_error (error);
          g_set_error (error, LAB_ERROR, LAB_ERROR_CANCELLED, _("Interrupted while waiting for \"%s\""), name);
          break;
        }
      /* sleep until an event (or cancel) bumps the generation */
      g_mutex_lock (&ev->lock);
      while (ev->generation == seen && woke)
        woke = g_cond_wait_until (&ev->cond, &ev->lock, deadline);
      g_mutex_unlock (&ev->lock);
      if (!woke)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT,
                       _("\"%s\" did not reach the state \"%s\" within %u s (it is %s)"),
                       name, _(lab_virt_state_to_string (state)), timeout_ms / 1000,
                       _(lab_virt_state_to_string (cur)));
          break;
        }
    }
  if (cancel_id != 0)
    g_cancellable_disconnect (cancellable, cancel_id);
  return ok;
}

gboolean
lab_virt_domain_stop (LabVirt *self, const char *name, const char *lab_name, guint timeout_ms,
                      GCancellable *cancellable, GError **error)
{
  g_autoptr(virDomain) dom = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!lab_virt_domain_lookup (self, name, lab_name, &dom, error))
    return FALSE;
  if (dom == NULL || virDomainIsActive (dom) != 1)
    return TRUE;
  if (timeout_ms > 0 && virDomainShutdown (dom) == 0
      && lab_virt_wait_for_state (self, name, VIR_DOMAIN_SHUTOFF, timeout_ms, cancellable, &local_error))
    return TRUE;
  if (local_error != NULL && g_error_matches (local_error, LAB_ERROR, LAB_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  /* no answer to ACPI within the timeout, or no time given: pull the plug */
  if (virDomainIsActive (dom) == 1 && virDomainDestroy (dom) < 0)
    {
      lab_virt_set_error (error, _("Cannot stop node \"%s\""), name);
      return FALSE;
    }
  return TRUE;
}

gboolean
lab_virt_domain_undefine (LabVirt *self, const char *name, const char *lab_name, GError **error)
{
  g_autoptr(virDomain) dom = NULL;
  g_autoptr(GPtrArray) overlays = NULL;
  gboolean ok = TRUE;

  if (!lab_virt_domain_lookup (self, name, lab_name, &dom, error))
    return FALSE;
  if (dom == NULL)
    return TRUE;
  overlays = lab_virt_external_overlays (dom);
  if (virDomainIsActive (dom) == 1 && virDomainDestroy (dom) < 0)
    {
      lab_virt_set_error (error, _("Cannot stop node \"%s\""), name);
      ok = FALSE;
    }
  else if (virDomainUndefineFlags (dom, VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA | VIR_DOMAIN_UNDEFINE_NVRAM
                                        | VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
                                        | VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA) < 0
           /* drivers without NVRAM or checkpoints reject those flags */
           && (!lab_virt_last_error_is (VIR_ERR_INVALID_ARG)
               || virDomainUndefineFlags (dom, VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
                                               | VIR_DOMAIN_UNDEFINE_MANAGED_SAVE) < 0))
    {
      lab_virt_set_error (error, _("Cannot undefine node \"%s\""), name);
      ok = FALSE;
    }
  /* the overlays of external snapshots were made at labctl's request and
   * named by it; libvirt leaves them behind */
  for (guint i = 0; ok && overlays != NULL && i < overlays->len; i++)
    if (g_unlink (g_ptr_array_index (overlays, i)) < 0 && errno != ENOENT)
      g_warning ("cannot remove %s: %s", (const char *) g_ptr_array_index (overlays, i), g_strerror (errno));
  return ok;
}

typedef struct {
  LabVirt                 *self;
  const LabVirtDomainSpec *spec;
  LabVirtOps               ops;
  guint                    timeout_ms;
  GCancellable            *cancellable;
  GError                  *error;
} DomainJob;

/* Phase 1 of a parallel start: define, and launch QEMU with its vCPUs
 * paused. Launching is what takes host CPU; a guest that already runs (TCG
 * especially) would slow down the launches of the others. */
static gpointer
domain_job_prepare (gpointer data)
{
  DomainJob *job = data;
  const char *name = job->spec->node_name;
  const char *lab = job->spec->lab_name;

  if ((job->ops & LAB_VIRT_OP_DEFINE) && !lab_virt_domain_define (job->self, job->spec, &job->error))
    return NULL;
  if (job->ops & LAB_VIRT_OP_START)
    {
      g_autoptr(virDomain) dom = lab_virt_lookup_existing (job->self, name, lab, &job->error);

      if (dom == NULL)
        return NULL;
      if (virDomainIsActive (dom) != 1
          && virDomainCreateWithFlags (dom, VIR_DOMAIN_START_PAUSED) < 0
          /* a driver without paused starts: plain start */
          && (!lab_virt_last_error_is (VIR_ERR_INVALID_ARG) || virDomainCreate (dom) < 0))
        lab_virt_set_error (&job->error, _("Cannot start node \"%s\""), name);
    }
  return NULL;
}

/* Phase 2: resume (all nodes boot together) and wait for "running". */
static gpointer
domain_job_finish (gpointer data)
{
  DomainJob *job = data;
  const char *name = job->spec->node_name;
  const char *lab = job->spec->lab_name;

  if (job->error != NULL)
    return NULL;
  if (job->ops & LAB_VIRT_OP_START)
    {
      g_autoptr(virDomain) dom = lab_virt_lookup_existing (job->self, name, lab, &job->error);
      int state = VIR_DOMAIN_NOSTATE, reason;

      if (dom == NULL)
        return NULL;
      if (virDomainGetState (dom, &state, &reason, 0) == 0 && state == VIR_DOMAIN_PAUSED
          && (reason == VIR_DOMAIN_PAUSED_STARTING_UP || reason == VIR_DOMAIN_PAUSED_USER)
          && virDomainResume (dom) < 0)
        lab_virt_set_error (&job->error, _("Cannot resume node \"%s\""), name);
      if (job->error == NULL)
        lab_virt_wait_for_state (job->self, name, VIR_DOMAIN_RUNNING, job->timeout_ms, job->cancellable,
                                 &job->error);
    }
  if (job->error == NULL && (job->ops & LAB_VIRT_OP_STOP))
    lab_virt_domain_stop (job->self, name, lab, job->timeout_ms, job->cancellable, &job->error);
  return NULL;
}

static void
run_phase (DomainJob *jobs, guint n, GThreadFunc func)
{
  g_autofree GThread **threads = g_new0 (GThread *, n);

  for (guint i = 0; i < n; i++)
    threads[i] = g_thread_new ("lab-node", func, &jobs[i]);
  for (guint i = 0; i < n; i++)
    g_thread_join (threads[i]);
}

gboolean
lab_virt_domains_run (LabVirt *self, GPtrArray *specs, LabVirtOps ops, guint timeout_ms,
                      GCancellable *cancellable, GError **error)
{
  g_autofree DomainJob *jobs = g_new0 (DomainJob, specs->len);
  gboolean ok = TRUE;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  for (guint i = 0; i < specs->len; i++)
    {
      jobs[i].self = self;
      jobs[i].spec = g_ptr_array_index (specs, i);
      jobs[i].ops = ops;
      jobs[i].timeout_ms = timeout_ms;
      jobs[i].cancellable = cancellable;
    }
  if (ops & (LAB_VIRT_OP_DEFINE | LAB_VIRT_OP_START))
    run_phase (jobs, specs->len, domain_job_prepare);
  if (ops & (LAB_VIRT_OP_START | LAB_VIRT_OP_STOP))
    run_phase (jobs, specs->len, domain_job_finish);
  for (guint i = 0; i < specs->len; i++)
    {
      if (jobs[i].error != NULL)
        {
          if (ok)
            g_propagate_error (error, g_steal_pointer (&jobs[i].error));
          g_clear_error (&jobs[i].error);
          ok = FALSE;
        }
    }
  return ok;
}

void
lab_virt_domain_info_free (LabVirtDomainInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info->state);
  g_strfreev (info->addresses);
  g_free (info->lab_name);
  g_free (info);
}

static void
interface_free (gpointer iface)
{
  virDomainInterfaceFree (iface);
}

static void
add_addresses (virDomainPtr dom, unsigned int source, GStrvBuilder *b, guint *count)
{
  virDomainInterfacePtr *list = NULL;
  int n = virDomainInterfaceAddresses (dom, &list, source, 0);
  g_autoptr(GPtrArray) ifaces = lab_virt_take_list (list, n, interface_free);

  for (guint i = 0; i < ifaces->len; i++)
    {
      virDomainInterfacePtr iface = g_ptr_array_index (ifaces, i);

      for (unsigned int j = 0; j < iface->naddrs; j++)
        {
          g_autofree char *a = g_strdup_printf ("%s/%u", iface->addrs[j].addr, iface->addrs[j].prefix);

          g_strv_builder_add (b, a);
          (*count)++;
        }
    }
}

gboolean
lab_virt_domain_get_info (LabVirt *self, const char *name, const char *lab_name,
                          LabVirtDomainInfo **out_info, GError **error)
{
  g_autoptr(virDomain) dom = lab_virt_lookup_existing (self, name, lab_name, error);
  g_autoptr(LabVirtDomainInfo) info = NULL;
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  virDomainInfo vi;
  guint count = 0;

  if (dom == NULL)
    return FALSE;
  if (virDomainGetInfo (dom, &vi) < 0)
    {
      lab_virt_set_error (error, _("Cannot read the state of node \"%s\""), name);
      return FALSE;
    }
  info = g_new0 (LabVirtDomainInfo, 1);
  info->name = g_strdup (name);
  info->lab_name = g_strdup (lab_name);
  info->state_code = vi.state;
  info->state = g_strdup (lab_virt_state_to_string (vi.state));
  info->vcpus = vi.nrVirtCpu;
  info->memory_mib = vi.maxMem >> 10;
  if (vi.state == VIR_DOMAIN_RUNNING || vi.state == VIR_DOMAIN_PAUSED)
    {
      add_addresses (dom, VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE, b, &count);
      if (count == 0)
        add_addresses (dom, VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP, b, &count);
    }
  info->addresses = g_strv_builder_end (b);
  *out_info = g_steal_pointer (&info);
  return TRUE;
}

char *
lab_virt_console_command (LabVirt *self, const char *name)
{
  g_autofree char *quri = g_regex_match_simple ("^[A-Za-z0-9_+:/.=?,-]+$", self->uri, 0, 0)
                          ? g_strdup (self->uri) : g_shell_quote (self->uri);
  g_autofree char *qname = g_regex_match_simple ("^[A-Za-z0-9_.-]+$", name, 0, 0)
                           ? g_strdup (name) : g_shell_quote (name);

  return g_strdup_printf ("virsh -c %s console %s", quri, qname);
}
