/* lab-virt.c: the LabVirt object, its connection and events, libvirt's
 * errors, the host (see lab-virt.h). Networks, domains and snapshots are
 * in lab-virt-network.c, lab-virt-domain.c and lab-virt-snapshot.c.
 * libvirt's C API only. */
#include "config.h"

#include "lab-virt-private.h"

#include <errno.h>
#include <fcntl.h>
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
      g_clear_pointer (&self->conn, virConnectClose);
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
lab_virt_silence_errors (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      virSetErrorFunc (NULL, silent_error_func);
      g_once_init_leave (&once, 1);
    }
}

const char *
lab_virt_last_error_message (void)
{
  virErrorPtr err = virGetLastError ();

  return err != NULL && err->message != NULL ? err->message : _("unknown libvirt error");
}

void
lab_virt_set_error (GError **error, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list ap;

  va_start (ap, format);
  what = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, LAB_ERROR, LAB_ERROR_LIBVIRT, _("%s: %s"), what, lab_virt_last_error_message ());
}

gboolean
lab_virt_last_error_is (int code)
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
      lab_virt_silence_errors ();
      if (virInitialize () < 0)
        g_warning ("libvirt: virInitialize() failed");
      lab_virt_events_register ();
      g_once_init_leave (&once, 1);
    }
}

void
lab_virt_event_shared_wake (EventShared *ev)
{
  g_mutex_lock (&ev->lock);
  ev->generation++;
  g_cond_broadcast (&ev->cond);
  g_mutex_unlock (&ev->lock);
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

  lab_virt_event_shared_wake (ev);
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

  lab_virt_init_events ();
  self = g_object_new (LAB_TYPE_VIRT, NULL);
  self->uri = g_strdup (lab_virt_default_uri (uri));
  self->conn = virConnectOpen (self->uri);
  if (self->conn == NULL)
    {
      virErrorPtr err = virGetLastError ();
      const char *msg = lab_virt_last_error_message ();

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

virConnectPtr
lab_virt_open (const char *uri, GError **error)
{
  virConnectPtr conn;

  lab_virt_silence_errors ();
  conn = virConnectOpen (uri);
  if (conn == NULL)
    lab_virt_set_error (error, _("Cannot connect to libvirt at %s (is the node's libvirtd running? "
                                 "'labctl status' shows it)"), uri);
  return conn;
}

/* A copy of libvirt's last error (NULL when there is none), which is
 * then cleared. */
static virErrorPtr
take_last_error (void)
{
  virErrorPtr copy = virGetLastError () != NULL ? virSaveLastError () : NULL;

  virResetLastError ();
  return copy;
}

void
lab_virt_probe (const char *uri, LabVirtProbeResult *out)
{
  g_autoptr(virConnect) read_only = NULL;
  g_autoptr(virConnect) read_write = NULL;

  memset (out, 0, sizeof *out);
  lab_virt_silence_errors ();
  read_only = virConnectOpenReadOnly (uri);
  if (read_only == NULL)
    {
      out->error = take_last_error ();
      return;
    }
  out->reachable = TRUE;
  if (virConnectGetLibVersion (read_only, &out->lib_version) < 0)
    out->lib_version = 0;
  out->driver = g_strdup (virConnectGetType (read_only));
  g_clear_pointer (&read_only, virConnectClose);

  /* The read-only socket is open to everyone; labctl creates networks and
   * domains, which needs the read-write one (root or the libvirt group). */
  read_write = virConnectOpen (uri);
  if (read_write == NULL)
    {
      out->error = take_last_error ();
      return;
    }
  out->read_write = TRUE;
}

void
lab_virt_probe_result_clear (LabVirtProbeResult *result)
{
  g_clear_pointer (&result->driver, g_free);
  g_clear_pointer (&result->error, virFreeError);
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

GPtrArray *
lab_virt_take_list (gpointer items, int n, GDestroyNotify free_func)
{
  g_autofree gpointer *array = items;
  GPtrArray *list = g_ptr_array_new_full (MAX (n, 0), free_func);

  for (int i = 0; i < n; i++)
    g_ptr_array_add (list, array[i]);
  return list;
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
  g_autofree char *caps = NULL;

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
      if (why != NULL)
        *why = g_strdup_printf (_("libvirt offers no kvm domains: %s"), lab_virt_last_error_message ());
      return g_strdup ("qemu");
    }
  return g_strdup ("kvm");
}

gboolean
lab_virt_free_memory_mib (LabVirt *self, guint64 *out_mib, GError **error)
{
  int n = 0;
  unsigned long long bytes;
  virNodeInfo info;

  /* what the host could give: free + buffers + page cache */
  if (virNodeGetMemoryStats (self->conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, NULL, &n, 0) == 0 && n > 0)
    {
      guint64 kib = 0;
      g_autofree virNodeMemoryStatsPtr stats = g_new0 (virNodeMemoryStats, n);

      if (virNodeGetMemoryStats (self->conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, stats, &n, 0) == 0)
        for (int i = 0; i < n; i++)
          if (g_str_equal (stats[i].field, VIR_NODE_MEMORY_STATS_FREE)
              || g_str_equal (stats[i].field, VIR_NODE_MEMORY_STATS_BUFFERS)
              || g_str_equal (stats[i].field, VIR_NODE_MEMORY_STATS_CACHED))
            kib += stats[i].value;
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
