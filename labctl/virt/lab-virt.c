/* lab-virt.c: libvirt networks, domains, snapshots and events
 * (see lab-virt.h). libvirt's C API only. */
#include "config.h"

#include "lab-virt.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-runner.h"
#include "lab-virt-events.h"

/* Shared between the LabVirt and libvirt's event thread; freed by libvirt
 * when the callback is deregistered. */
typedef struct {
  GMutex        lock;
  GCond         cond;
  guint64       generation;   /* bumped on every lifecycle event and on cancel */
  GMainContext *context;      /* where "domain-event" is emitted */
  GWeakRef      owner;        /* the LabVirt */
} EventShared;

struct _LabVirt {
  GObject        parent_instance;
  char          *uri;
  LabRunner     *runner;        /* for qemu-img (external snapshot revert); may be NULL */
  virConnectPtr  conn;
  EventShared   *events;
  int            lifecycle_cb;   /* -1 when not registered */
};

G_DEFINE_TYPE (LabVirt, lab_virt, G_TYPE_OBJECT)

enum { SIGNAL_DOMAIN_EVENT, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
event_shared_free (void *data)
{
  EventShared *ev = data;

  g_weak_ref_clear (&ev->owner);
  g_main_context_unref (ev->context);
  g_mutex_clear (&ev->lock);
  g_cond_clear (&ev->cond);
  g_free (ev);
}

static void
lab_virt_dispose (GObject *object)
{
  LabVirt *self = LAB_VIRT (object);

  if (self->conn != NULL)
    {
      if (self->lifecycle_cb >= 0)
        virConnectDomainEventDeregisterAny (self->conn, self->lifecycle_cb);
      self->lifecycle_cb = -1;
      virConnectClose (self->conn);
      self->conn = NULL;
    }
  G_OBJECT_CLASS (lab_virt_parent_class)->dispose (object);
}

static void
lab_virt_finalize (GObject *object)
{
  LabVirt *self = LAB_VIRT (object);

  g_clear_object (&self->runner);
  g_free (self->uri);
  G_OBJECT_CLASS (lab_virt_parent_class)->finalize (object);
}

static void
lab_virt_class_init (LabVirtClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = lab_virt_dispose;
  object_class->finalize = lab_virt_finalize;

  /* domain-event (name, event, detail): a virDomainEventType and its
   * detail, emitted in the creator's main context. */
  signals[SIGNAL_DOMAIN_EVENT] =
    g_signal_new ("domain-event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_INT, G_TYPE_INT);
}

static void
lab_virt_init (LabVirt *self)
{
  self->lifecycle_cb = -1;
}

/* ---- errors ---------------------------------------------------------- */

static void
silent_error_func (void *user_data, virErrorPtr error)
{
  /* libvirt prints every error to stderr by default; labctl reports them
   * itself through GError. */
}

void
lab_virt_set_error (GError **error, const char *format, ...)
{
  g_autofree char *what = NULL;
  virErrorPtr err = virGetLastError ();
  va_list ap;

  va_start (ap, format);
  what = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, LAB_ERROR, LAB_ERROR_LIBVIRT, _("%s: %s"), what,
               err != NULL && err->message != NULL ? err->message : _("unknown libvirt error"));
}

static gboolean
last_error_is (int code)
{
  virErrorPtr err = virGetLastError ();

  return err != NULL && err->code == code;
}

/* ---- events ---------------------------------------------------------- */

void
lab_virt_init_events (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      virSetErrorFunc (NULL, silent_error_func);
      if (virInitialize () < 0)
        g_warning ("libvirt: virInitialize() failed");
      lab_virt_events_register ();
      g_once_init_leave (&once, 1);
    }
}

typedef struct {
  GWeakRef     owner;
  char        *name;
  int          event;
  int          detail;
} EmitData;

static gboolean
emit_in_context (gpointer data)
{
  EmitData *d = data;
  g_autoptr(LabVirt) owner = g_weak_ref_get (&d->owner);

  if (owner != NULL)
    g_signal_emit (owner, signals[SIGNAL_DOMAIN_EVENT], 0, d->name, d->event, d->detail);
  return G_SOURCE_REMOVE;
}

static void
emit_data_free (gpointer data)
{
  EmitData *d = data;

  g_weak_ref_clear (&d->owner);
  g_free (d->name);
  g_free (d);
}

static int
on_lifecycle (virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
  EventShared *ev = opaque;
  LabVirt *owner;

  g_mutex_lock (&ev->lock);
  ev->generation++;
  g_cond_broadcast (&ev->cond);
  g_mutex_unlock (&ev->lock);

  owner = g_weak_ref_get (&ev->owner);
  if (owner != NULL)
    {
      /* always deferred to the creator's context, never run in this thread */
      EmitData *d = g_new0 (EmitData, 1);
      g_autoptr(GSource) source = g_idle_source_new ();

      g_weak_ref_init (&d->owner, owner);
      d->name = g_strdup (virDomainGetName (dom));
      d->event = event;
      d->detail = detail;
      g_source_set_callback (source, emit_in_context, d, emit_data_free);
      g_source_set_name (source, "[labctl] libvirt domain event");
      g_source_attach (source, ev->context);
      g_object_unref (owner);
    }
  return 0;
}

/* ---- connection ------------------------------------------------------ */

const char *
lab_virt_default_uri (const char *uri)
{
  const char *env;

  if (uri != NULL && *uri != '\0')
    return uri;
  env = g_getenv ("LABCTL_LIBVIRT_URI");
  if (env != NULL && *env != '\0')
    return env;
  return "qemu:///system";
}

LabVirt *
lab_virt_connect (const char *uri, GError **error)
{
  g_autoptr(LabVirt) self = NULL;
  virErrorPtr err;

  lab_virt_init_events ();
  self = g_object_new (LAB_TYPE_VIRT, NULL);
  self->uri = g_strdup (lab_virt_default_uri (uri));
  self->conn = virConnectOpen (self->uri);
  if (self->conn == NULL)
    {
      const char *msg;
      err = virGetLastError ();
      msg = err != NULL && err->message != NULL ? err->message : _("unknown libvirt error");
      if (err != NULL && (err->code == VIR_ERR_AUTH_FAILED || err->code == VIR_ERR_AUTH_CANCELLED
                          || err->code == VIR_ERR_OPERATION_DENIED || err->code == VIR_ERR_ACCESS_DENIED
                          || (err->code == VIR_ERR_SYSTEM_ERROR && err->int1 == EACCES)
                          || strstr (msg, "ermission denied") != NULL))
        g_set_error (error, LAB_ERROR, LAB_ERROR_PERMISSION,
                     _("Access to libvirt at %s was denied (%s); add yourself to the libvirt group "
                       "('sudo adduser $USER libvirt', then log in again) or run labctl with sudo"),
                     self->uri, msg);
      else if (err != NULL && err->code == VIR_ERR_SYSTEM_ERROR
               && (err->int1 == ENOENT || err->int1 == ECONNREFUSED))
        g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                     _("libvirtd is not running at %s (%s); start it ('sudo systemctl start libvirtd', "
                       "or 'sudo libvirtd -d' without systemd)"), self->uri, msg);
      else
        g_set_error (error, LAB_ERROR, LAB_ERROR_LIBVIRT,
                     _("Cannot connect to libvirt at %s: %s"), self->uri, msg);
      return NULL;
    }
  virConnSetErrorFunc (self->conn, NULL, silent_error_func);

  self->events = g_new0 (EventShared, 1);
  g_mutex_init (&self->events->lock);
  g_cond_init (&self->events->cond);
  self->events->context = g_main_context_ref_thread_default ();
  g_weak_ref_init (&self->events->owner, self);
  self->lifecycle_cb = virConnectDomainEventRegisterAny (self->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                         VIR_DOMAIN_EVENT_CALLBACK (on_lifecycle),
                                                         self->events, event_shared_free);
  if (self->lifecycle_cb < 0)
    {
      event_shared_free (self->events);
      self->events = NULL;
      lab_virt_set_error (error, _("Cannot subscribe to libvirt domain events at %s"), self->uri);
      return NULL;
    }
  return g_steal_pointer (&self);
}

void
lab_virt_set_runner (LabVirt *self, LabRunner *runner)
{
  g_set_object (&self->runner, runner);
}

const char *
lab_virt_get_uri (LabVirt *self)
{
  return self->uri;
}

virConnectPtr
lab_virt_get_connect (LabVirt *self)
{
  return self->conn;
}

/* ---- host ------------------------------------------------------------ */

gboolean
lab_virt_probe_kvm (const char *dev, char **why)
{
  int fd = open (dev, O_RDWR | O_CLOEXEC);
  int version;

  if (fd < 0)
    {
      int saved = errno;
      if (why != NULL)
        *why = g_strdup_printf (_("cannot open %s: %s"), dev, g_strerror (saved));
      return FALSE;
    }
  version = ioctl (fd, KVM_GET_API_VERSION, 0);
  close (fd);
  if (version != KVM_API_VERSION)
    {
      if (why != NULL)
        *why = g_strdup_printf (_("%s answers KVM_GET_API_VERSION with %d, not %d"), dev, version, KVM_API_VERSION);
      return FALSE;
    }
  return TRUE;
}

char *
lab_virt_pick_domain_type (LabVirt *self, char **why)
{
  const char *env = g_getenv ("LABCTL_DOMAIN_TYPE");
  g_autofree char *kvm_why = NULL;
  char *caps;

  if (env != NULL && *env != '\0')
    {
      if (why != NULL)
        *why = g_strdup_printf (_("LABCTL_DOMAIN_TYPE=%s is set"), env);
      return g_strdup (env);
    }
  if (!lab_virt_probe_kvm ("/dev/kvm", &kvm_why))
    {
      /* /dev/kvm there but not ours to open (a user outside group kvm):
       * libvirt's QEMU runs as its own user, so only libvirt can tell */
      if (!(g_file_test ("/dev/kvm", G_FILE_TEST_EXISTS) && access ("/dev/kvm", R_OK | W_OK) != 0))
        {
          if (why != NULL)
            *why = g_steal_pointer (&kvm_why);
          return g_strdup ("qemu");
        }
    }
  if (self == NULL)
    {
      /* no libvirt to ask (a dry run as a user without libvirtd) */
      if (why != NULL)
        *why = g_strdup (_("/dev/kvm exists; libvirt was not asked"));
      return g_strdup ("kvm");
    }
  caps = virConnectGetDomainCapabilities (self->conn, NULL, "x86_64", NULL, "kvm", 0);
  if (caps == NULL)
    {
      virErrorPtr err = virGetLastError ();
      if (why != NULL)
        *why = g_strdup_printf (_("libvirt offers no kvm domains: %s"),
                                err != NULL && err->message != NULL ? err->message : _("unknown libvirt error"));
      return g_strdup ("qemu");
    }
  free (caps);
  return g_strdup ("kvm");
}

gboolean
lab_virt_free_memory_mib (LabVirt *self, guint64 *out_mib, GError **error)
{
  int n = 0;
  virNodeMemoryStatsPtr stats = NULL;
  unsigned long long bytes;
  virNodeInfo info;

  /* what the host could give: free + buffers + page cache */
  if (virNodeGetMemoryStats (self->conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, NULL, &n, 0) == 0 && n > 0)
    {
      guint64 kib = 0;
      stats = g_new0 (virNodeMemoryStats, n);
      if (virNodeGetMemoryStats (self->conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, stats, &n, 0) == 0)
        for (int i = 0; i < n; i++)
          if (g_str_equal (stats[i].field, VIR_NODE_MEMORY_STATS_FREE)
              || g_str_equal (stats[i].field, VIR_NODE_MEMORY_STATS_BUFFERS)
              || g_str_equal (stats[i].field, VIR_NODE_MEMORY_STATS_CACHED))
            kib += stats[i].value;
      g_free (stats);
      if (kib > 0)
        {
          *out_mib = kib >> 10;
          return TRUE;
        }
    }
  bytes = virNodeGetFreeMemory (self->conn);
  if (bytes > 0)
    {
      *out_mib = bytes >> 20;
      return TRUE;
    }
  /* drivers without either (the test driver): the total is the bound */
  if (virNodeGetInfo (self->conn, &info) == 0)
    {
      *out_mib = info.memory >> 10;
      return TRUE;
    }
  lab_virt_set_error (error, _("Cannot read the host's free memory"));
  return FALSE;
}

/* ---- networks -------------------------------------------------------- */

static gboolean
network_owner_matches (virNetworkPtr net, const char *lab_name, char **out_owner)
{
  char *xml = virNetworkGetXMLDesc (net, 0);
  g_autofree char *lab = NULL;
  gboolean found;

  found = lab_virt_xml_get_owner (xml, &lab, NULL, NULL);
  free (xml);
  if (out_owner != NULL)
    *out_owner = g_strdup (lab);
  return found && g_strcmp0 (lab, lab_name) == 0;
}

static char *
foreign_owner_text (const char *owner)
{
  return owner != NULL ? g_strdup_printf (_("labctl lab \"%s\""), owner)
                       : g_strdup (_("someone else (no labctl mark)"));
}

gboolean
lab_virt_network_check (LabVirt *self, const LabVirtNetworkSpec *spec, gboolean *out_exists, GError **error)
{
  virNetworkPtr net;
  virNetworkPtr *nets = NULL;
  guint32 ours;
  int n;

  *out_exists = FALSE;
  if (!lab_virt_parse_ipv4 (spec->gateway, &ours))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_RECIPE, _("Invalid lab network address \"%s\""), spec->gateway);
      return FALSE;
    }

  net = virNetworkLookupByName (self->conn, spec->name);
  if (net != NULL)
    {
      g_autofree char *owner = NULL;
      gboolean mine = network_owner_matches (net, spec->lab_name, &owner);
      virNetworkFree (net);
      if (!mine)
        {
          g_autofree char *who = foreign_owner_text (owner);
          g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                       _("libvirt network \"%s\" already exists and belongs to %s; labctl leaves it alone: "
                         "set another [network] name in the recipe"), spec->name, who);
          return FALSE;
        }
      *out_exists = TRUE;
    }
  else if (!last_error_is (VIR_ERR_NO_NETWORK))
    {
      lab_virt_set_error (error, _("Cannot look up libvirt network \"%s\""), spec->name);
      return FALSE;
    }

  n = virConnectListAllNetworks (self->conn, &nets, 0);
  if (n < 0)
    {
      lab_virt_set_error (error, _("Cannot list libvirt networks"));
      return FALSE;
    }
  for (int i = 0; i < n; i++)
    {
      const char *other = virNetworkGetName (nets[i]);
      char *xml = NULL;
      guint32 addr = 0;
      guint prefix = 0, common;
      g_autofree char *bridge = NULL;
      gboolean clash_subnet = FALSE, clash_bridge = FALSE;

      if (g_strcmp0 (other, spec->name) != 0)
        {
          xml = virNetworkGetXMLDesc (nets[i], 0);
          if (lab_virt_xml_get_network_ipv4 (xml, &addr, &prefix, &bridge))
            {
              guint32 mask;
              common = MIN (prefix, spec->prefix);
              mask = common == 0 ? 0 : 0xffffffffu << (32 - common);
              clash_subnet = (addr & mask) == (ours & mask);
            }
          clash_bridge = bridge != NULL && g_strcmp0 (bridge, spec->bridge) == 0;
          free (xml);
        }
      if (clash_subnet || clash_bridge)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                       clash_subnet
                       ? _("libvirt network \"%s\" (%u.%u.%u.%u/%u) overlaps the lab network %s/%u; "
                           "labctl leaves it alone: choose another [network] subnet in the recipe")
                       : _("libvirt network \"%s\" (%u.%u.%u.%u/%u) already uses the bridge of the lab network; "
                           "choose another [network] bridge in the recipe"),
                       other, addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff, addr & 0xff, prefix,
                       spec->gateway, spec->prefix);
        }
      if (clash_subnet || clash_bridge)
        {
          for (int j = 0; j < n; j++)
            virNetworkFree (nets[j]);
          free (nets);
          return FALSE;
        }
    }
  for (int j = 0; j < n; j++)
    virNetworkFree (nets[j]);
  free (nets);
  return TRUE;
}

gboolean
lab_virt_network_ensure (LabVirt *self, const LabVirtNetworkSpec *spec, gboolean *out_created, GError **error)
{
  gboolean exists = FALSE;
  virNetworkPtr net;
  int active;

  if (out_created != NULL)
    *out_created = FALSE;
  if (!lab_virt_network_check (self, spec, &exists, error))
    return FALSE;
  if (exists)
    net = virNetworkLookupByName (self->conn, spec->name);
  else
    {
      g_autofree char *xml = lab_virt_network_xml (spec);
      net = virNetworkDefineXML (self->conn, xml);
      if (net != NULL && out_created != NULL)
        *out_created = TRUE;
    }
  if (net == NULL)
    {
      lab_virt_set_error (error, _("Cannot define libvirt network \"%s\""), spec->name);
      return FALSE;
    }
  active = virNetworkIsActive (net);
  if (active == 0 && virNetworkCreate (net) < 0)
    {
      lab_virt_set_error (error, _("Cannot start libvirt network \"%s\" (bridge %s)"), spec->name, spec->bridge);
      virNetworkFree (net);
      return FALSE;
    }
  if (virNetworkSetAutostart (net, 1) < 0)
    {
      lab_virt_set_error (error, _("Cannot mark libvirt network \"%s\" for autostart"), spec->name);
      virNetworkFree (net);
      return FALSE;
    }
  virNetworkFree (net);
  return TRUE;
}

gboolean
lab_virt_network_remove (LabVirt *self, const char *name, const char *lab_name, GError **error)
{
  virNetworkPtr net = virNetworkLookupByName (self->conn, name);
  g_autofree char *owner = NULL;

  if (net == NULL)
    {
      if (last_error_is (VIR_ERR_NO_NETWORK))
        return TRUE;
      lab_virt_set_error (error, _("Cannot look up libvirt network \"%s\""), name);
      return FALSE;
    }
  if (!network_owner_matches (net, lab_name, &owner))
    {
      g_autofree char *who = foreign_owner_text (owner);
      virNetworkFree (net);
      g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                   _("libvirt network \"%s\" belongs to %s, not to lab \"%s\"; labctl does not remove it"),
                   name, who, lab_name);
      return FALSE;
    }
  if (virNetworkIsActive (net) == 1 && virNetworkDestroy (net) < 0)
    {
      lab_virt_set_error (error, _("Cannot stop libvirt network \"%s\""), name);
      virNetworkFree (net);
      return FALSE;
    }
  if (virNetworkUndefine (net) < 0)
    {
      lab_virt_set_error (error, _("Cannot undefine libvirt network \"%s\""), name);
      virNetworkFree (net);
      return FALSE;
    }
  virNetworkFree (net);
  return TRUE;
}

/* ---- domains --------------------------------------------------------- */

gboolean
lab_virt_domain_lookup (LabVirt *self, const char *name, const char *lab_name,
                        virDomainPtr *out_dom, GError **error)
{
  virDomainPtr dom = virDomainLookupByName (self->conn, name);
  char *xml;
  g_autofree char *owner = NULL;
  gboolean marked;

  *out_dom = NULL;
  if (dom == NULL)
    {
      if (last_error_is (VIR_ERR_NO_DOMAIN))
        return TRUE;
      lab_virt_set_error (error, _("Cannot look up domain \"%s\""), name);
      return FALSE;
    }
  xml = virDomainGetXMLDesc (dom, VIR_DOMAIN_XML_INACTIVE);
  marked = lab_virt_xml_get_owner (xml, &owner, NULL, NULL);
  free (xml);
  if (!marked || g_strcmp0 (owner, lab_name) != 0)
    {
      g_autofree char *who = foreign_owner_text (owner);
      virDomainFree (dom);
      g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                   _("A virtual machine named \"%s\" already exists and belongs to %s; labctl leaves it alone: "
                     "rename or remove it yourself, or change the node names in the recipe"), name, who);
      return FALSE;
    }
  *out_dom = dom;
  return TRUE;
}

static virDomainPtr
lookup_existing (LabVirt *self, const char *name, const char *lab_name, GError **error)
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
  virDomainPtr dom = NULL;
  g_autofree char *xml = NULL;

  if (!lab_virt_domain_lookup (self, spec->node_name, spec->lab_name, &dom, error))
    return FALSE;
  xml = lab_virt_domain_xml (spec);
  if (dom != NULL)
    {
      /* redefining keeps the domain's identity: same UUID */
      char uuid[VIR_UUID_STRING_BUFLEN];
      const char *after_name = strstr (xml, "</name>\n");

      if (virDomainGetUUIDString (dom, uuid) == 0 && after_name != NULL)
        {
          gsize at = after_name - xml + strlen ("</name>\n");
          g_autofree char *head = g_strndup (xml, at);
          char *with_uuid = g_strdup_printf ("%s  <uuid>%s</uuid>\n%s", head, uuid, xml + at);
          g_free (xml);
          xml = with_uuid;
        }
      virDomainFree (dom);
    }
  dom = virDomainDefineXML (self->conn, xml);
  if (dom == NULL)
    {
      lab_virt_set_error (error, _("Cannot define node \"%s\""), spec->node_name);
      return FALSE;
    }
  virDomainFree (dom);
  return TRUE;
}

gboolean
lab_virt_domain_start (LabVirt *self, const char *name, const char *lab_name, GError **error)
{
  virDomainPtr dom = lookup_existing (self, name, lab_name, error);
  gboolean ok = TRUE;

  if (dom == NULL)
    return FALSE;
  if (virDomainIsActive (dom) != 1 && virDomainCreate (dom) < 0)
    {
      lab_virt_set_error (error, _("Cannot start node \"%s\""), name);
      ok = FALSE;
    }
  virDomainFree (dom);
  return ok;
}

static void
on_cancelled (GCancellable *cancellable, gpointer data)
{
  EventShared *ev = data;

  g_mutex_lock (&ev->lock);
  ev->generation++;
  g_cond_broadcast (&ev->cond);
  g_mutex_unlock (&ev->lock);
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
  virDomainPtr dom = virDomainLookupByName (self->conn, name);
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
  virDomainFree (dom);
  return ok;
}

gboolean
lab_virt_domain_stop (LabVirt *self, const char *name, const char *lab_name, guint timeout_ms,
                      GCancellable *cancellable, GError **error)
{
  virDomainPtr dom = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean ok = TRUE;

  if (!lab_virt_domain_lookup (self, name, lab_name, &dom, error))
    return FALSE;
  if (dom == NULL || virDomainIsActive (dom) != 1)
    {
      if (dom != NULL)
        virDomainFree (dom);
      return TRUE;
    }
  if (virDomainShutdown (dom) == 0
      && lab_virt_wait_for_state (self, name, VIR_DOMAIN_SHUTOFF, timeout_ms, cancellable, &local_error))
    {
      virDomainFree (dom);
      return TRUE;
    }
  if (local_error != NULL && g_error_matches (local_error, LAB_ERROR, LAB_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      virDomainFree (dom);
      return FALSE;
    }
  /* no answer to ACPI within the timeout: pull the plug */
  if (virDomainIsActive (dom) == 1 && virDomainDestroy (dom) < 0)
    {
      lab_virt_set_error (error, _("Cannot stop node \"%s\""), name);
      ok = FALSE;
    }
  virDomainFree (dom);
  return ok;
}

static GPtrArray *external_overlays (virDomainPtr dom);

gboolean
lab_virt_domain_undefine (LabVirt *self, const char *name, const char *lab_name, GError **error)
{
  virDomainPtr dom = NULL;
  g_autoptr(GPtrArray) overlays = NULL;
  gboolean ok = TRUE;

  if (!lab_virt_domain_lookup (self, name, lab_name, &dom, error))
    return FALSE;
  if (dom == NULL)
    return TRUE;
  overlays = external_overlays (dom);
  if (virDomainIsActive (dom) == 1 && virDomainDestroy (dom) < 0)
    {
      lab_virt_set_error (error, _("Cannot stop node \"%s\""), name);
      ok = FALSE;
    }
  else if (virDomainUndefineFlags (dom, VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA | VIR_DOMAIN_UNDEFINE_NVRAM
                                        | VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
                                        | VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA) < 0
           /* drivers without NVRAM or checkpoints reject those flags */
           && (!last_error_is (VIR_ERR_INVALID_ARG)
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
  g_clear_pointer (&overlays, g_ptr_array_unref);
  virDomainFree (dom);
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
  virDomainPtr dom = NULL;

  if ((job->ops & LAB_VIRT_OP_DEFINE) && !lab_virt_domain_define (job->self, job->spec, &job->error))
    return NULL;
  if (job->ops & LAB_VIRT_OP_START)
    {
      dom = lookup_existing (job->self, name, lab, &job->error);
      if (dom == NULL)
        return NULL;
      if (virDomainIsActive (dom) != 1
          && virDomainCreateWithFlags (dom, VIR_DOMAIN_START_PAUSED) < 0
          /* a driver without paused starts: plain start */
          && (!last_error_is (VIR_ERR_INVALID_ARG) || virDomainCreate (dom) < 0))
        lab_virt_set_error (&job->error, _("Cannot start node \"%s\""), name);
      virDomainFree (dom);
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
      virDomainPtr dom = lookup_existing (job->self, name, lab, &job->error);
      int state = VIR_DOMAIN_NOSTATE, reason;

      if (dom == NULL)
        return NULL;
      if (virDomainGetState (dom, &state, &reason, 0) == 0 && state == VIR_DOMAIN_PAUSED
          && (reason == VIR_DOMAIN_PAUSED_STARTING_UP || reason == VIR_DOMAIN_PAUSED_USER)
          && virDomainResume (dom) < 0)
        lab_virt_set_error (&job->error, _("Cannot resume node \"%s\""), name);
      virDomainFree (dom);
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
add_addresses (virDomainPtr dom, unsigned int source, GStrvBuilder *b, guint *count)
{
  virDomainInterfacePtr *ifaces = NULL;
  int n = virDomainInterfaceAddresses (dom, &ifaces, source, 0);

  for (int i = 0; i < n; i++)
    {
      for (unsigned int j = 0; j < ifaces[i]->naddrs; j++)
        {
          {
            g_autofree char *a = g_strdup_printf ("%s/%u", ifaces[i]->addrs[j].addr, ifaces[i]->addrs[j].prefix);
            g_strv_builder_add (b, a);
          }
          (*count)++;
        }
      virDomainInterfaceFree (ifaces[i]);
    }
  free (ifaces);
}

gboolean
lab_virt_domain_get_info (LabVirt *self, const char *name, const char *lab_name,
                          LabVirtDomainInfo **out_info, GError **error)
{
  virDomainPtr dom = lookup_existing (self, name, lab_name, error);
  g_autoptr(LabVirtDomainInfo) info = NULL;
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  virDomainInfo vi;
  guint count = 0;

  if (dom == NULL)
    return FALSE;
  if (virDomainGetInfo (dom, &vi) < 0)
    {
      lab_virt_set_error (error, _("Cannot read the state of node \"%s\""), name);
      virDomainFree (dom);
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
  virDomainFree (dom);
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

/* ---- snapshots ------------------------------------------------------- */

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
  virDomainPtr dom = lookup_existing (self, name, lab_name, error);
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
  virDomainPtr dom = lookup_existing (self, name, lab_name, error);
  virDomainSnapshotPtr snap;

  if (dom == NULL)
    return NULL;
  snap = virDomainSnapshotLookupByName (dom, snapshot, 0);
  if (snap == NULL)
    {
      if (last_error_is (VIR_ERR_NO_DOMAIN_SNAPSHOT))
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
static GPtrArray *
external_overlays (virDomainPtr dom)
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
  virDomainPtr dom = lookup_existing (self, name, lab_name, error);
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
