/* Unit tests for LabVirt against libvirt's test driver with the tests' own
 * host definition (tests/data/virt/testnode.xml): networks, domains,
 * lifecycle, events, snapshots, ownership and refusal of foreign objects. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <unistd.h>

#include "lab-error.h"
#include "lab-virt.h"
#include "lab-virt-events.h"
#include "virt-test-util.h"

static LabVirt *
connect_test (void)
{
  g_autofree char *uri = virt_test_uri ();
  g_autoptr(GError) error = NULL;
  LabVirt *virt = lab_virt_connect (uri, &error);

  g_assert_no_error (error);
  g_assert_nonnull (virt);
  return virt;
}

static char *
network_xml (LabVirt *virt, const char *name)
{
  virNetworkPtr net = virNetworkLookupByName (lab_virt_get_connect (virt), name);
  char *xml, *copy;

  if (net == NULL)
    return NULL;
  xml = virNetworkGetXMLDesc (net, 0);
  copy = g_strdup (xml);
  free (xml);
  virNetworkFree (net);
  return copy;
}

static gboolean
domain_exists (LabVirt *virt, const char *name)
{
  virDomainPtr dom = virDomainLookupByName (lab_virt_get_connect (virt), name);

  if (dom != NULL)
    virDomainFree (dom);
  return dom != NULL;
}

static int
domain_state (LabVirt *virt, const char *name)
{
  virDomainPtr dom = virDomainLookupByName (lab_virt_get_connect (virt), name);
  int state = -1, reason;

  if (dom == NULL)
    return -1;
  virDomainGetState (dom, &state, &reason, 0);
  virDomainFree (dom);
  return state;
}

static void
test_connect_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabVirt) virt = NULL;
  g_autofree char *uri = g_strdup_printf ("qemu+unix:///system?socket=/nonexistent/labctl-%d/libvirt-sock", getpid ());

  virt = lab_virt_connect (uri, &error);
  g_assert_null (virt);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "libvirtd is not running"));
  g_test_message ("no daemon: %s", error->message);
}

/* One handler, installed once however often it is asked for: libvirt
 * prints nothing of its own on stderr. */
static void
test_silence_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *printed = NULL;
  int fd = g_file_open_tmp ("labctl-stderr-XXXXXX", &tmp, &error);
  int saved = dup (STDERR_FILENO);
  virConnectPtr conn;

  g_assert_no_error (error);
  lab_virt_silence_errors ();
  lab_virt_silence_errors ();
  fflush (stderr);
  dup2 (fd, STDERR_FILENO);
  conn = virConnectOpen ("qemu+unix:///system?socket=/nonexistent/labctl/libvirt-sock");
  fflush (stderr);
  dup2 (saved, STDERR_FILENO);
  close (saved);
  close (fd);
  g_assert_null (conn);
  g_assert_true (g_file_get_contents (tmp, &printed, NULL, &error));
  g_assert_cmpstr (printed, ==, "");
  g_unlink (tmp);
}

/* The plain connection of the guests and the migration. */
static void
test_open (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = virt_test_uri ();
  g_autoptr(virConnect) conn = lab_virt_open (uri, &error);
  g_autoptr(virConnect) none = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (conn);
  none = lab_virt_open ("qemu+unix:///system?socket=/nonexistent/labctl/libvirt-sock", &error);
  g_assert_null (none);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_LIBVIRT);
  g_assert_true (g_str_has_prefix (error->message, "Cannot connect to libvirt at qemu+unix:///system?socket="));
}

/* What `labctl check` asks: reachable, manageable, which libvirt. */
static void
test_probe (void)
{
  g_auto(LabVirtProbeResult) ok = { 0 };
  g_auto(LabVirtProbeResult) down = { 0 };

  lab_virt_probe ("test:///default", &ok);
  g_assert_true (ok.reachable);
  g_assert_true (ok.read_write);
  g_assert_cmpuint (ok.lib_version, >=, 9000000);
  g_assert_cmpstr (ok.driver, ==, "TEST");
  g_assert_null (ok.error);

  lab_virt_probe ("qemu+unix:///system?socket=/nonexistent/labctl/libvirt-sock", &down);
  g_assert_false (down.reachable);
  g_assert_false (down.read_write);
  g_assert_null (down.driver);
  g_assert_nonnull (down.error);
  if (down.error != NULL)
    {
      /* host-check tells "not running" by these */
      g_assert_cmpint (down.error->code, ==, VIR_ERR_SYSTEM_ERROR);
      g_assert_cmpint (down.error->int1, ==, ENOENT);
      g_assert_nonnull (down.error->message);
    }
  /* the copy is the result's; libvirt's own is cleared */
  g_assert_null (virGetLastError ());
}

/* The test driver cannot migrate: the failures, each with its message,
 * and nothing said to have moved. (The system test `migrate` migrates.) */
static void
test_migrate_failures (void)
{
  g_autofree char *uri = virt_test_uri ();
  g_autoptr(GError) error = NULL;
  LabVirtMigration m = { 0 };

  m.migrated = TRUE;
  g_assert_false (lab_virt_migrate ("foreign-vm", "qemu+unix:///system?socket=/nonexistent/labctl/sock", "node1",
                                    "test:///default", uri, "node2", NULL, &m, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_LIBVIRT);
  g_assert_false (m.migrated);
  g_clear_error (&error);

  g_assert_false (lab_virt_migrate ("nonexistent", uri, "node1", "test:///default", uri, "node2", NULL, &m, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_LIBVIRT);
  g_assert_true (g_str_has_prefix (error->message, "Guest nonexistent vanished from node node1: "));
  g_clear_error (&error);

  g_assert_false (lab_virt_migrate ("foreign-vm", uri, "node1", "test:///default", uri, "node2", NULL, &m, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_LIBVIRT);
  g_assert_true (g_str_has_prefix (error->message, "Live migration of foreign-vm from node1 to node2 failed: "));
  g_test_message ("%s", error->message);
  g_assert_false (m.migrated);
  g_assert_false (m.have_job_stats);
  g_assert_cmpfloat (m.command_seconds, >=, 0);
  g_clear_error (&error);

  /* pinned first (the test driver pins), then the migration fails */
  {
    LabVirtMigrateOptions pinned = { "0-1", FALSE };
    g_assert_false (lab_virt_migrate ("foreign-vm", uri, "node1", "test:///default", uri, "node2", &pinned, &m,
                                      &error));
    g_assert_error (error, LAB_ERROR, LAB_ERROR_LIBVIRT);
    g_assert_true (g_str_has_prefix (error->message, "Live migration of foreign-vm from node1 to node2 failed: "));
    g_assert_false (m.paused);
    g_clear_error (&error);
  }
  /* paused (not live): said so, in the result and in the message */
  {
    LabVirtMigrateOptions paused = { NULL, TRUE };
    g_assert_false (lab_virt_migrate ("foreign-vm", uri, "node1", "test:///default", uri, "node2", &paused, &m,
                                      &error));
    g_assert_error (error, LAB_ERROR, LAB_ERROR_LIBVIRT);
    g_assert_true (g_str_has_prefix (error->message, "Migration of foreign-vm from node1 to node2 failed: "));
    g_assert_true (m.paused);
    g_assert_false (m.migrated);
    g_clear_error (&error);
  }
  /* not a CPU list: nothing pinned, nothing tried */
  m.command_seconds = -1;
  for (guint i = 0; i < 3; i++)
    {
      const char *bad[] = { "x", "", "1-0" };
      LabVirtMigrateOptions how = { bad[i], FALSE };
      g_assert_false (lab_virt_migrate ("foreign-vm", uri, "node1", "test:///default", uri, "node2", &how, &m,
                                        &error));
      g_assert_error (error, LAB_ERROR, LAB_ERROR_FAILED);
      g_assert_cmpfloat (m.command_seconds, ==, 0);
      g_clear_error (&error);
    }
}

static void
test_default_uri (void)
{
  g_unsetenv ("LABCTL_LIBVIRT_URI");
  g_assert_cmpstr (lab_virt_default_uri (NULL), ==, "qemu:///system");
  g_assert_cmpstr (lab_virt_default_uri ("test:///default"), ==, "test:///default");
  g_setenv ("LABCTL_LIBVIRT_URI", "qemu:///session", TRUE);
  g_assert_cmpstr (lab_virt_default_uri (NULL), ==, "qemu:///session");
  g_assert_cmpstr (lab_virt_default_uri ("test:///default"), ==, "test:///default");
  g_unsetenv ("LABCTL_LIBVIRT_URI");
}

static void
test_kvm_probe (void)
{
  g_autofree char *why = NULL;
  g_autofree char *why2 = NULL;
  g_autofree char *type = NULL;
  g_autofree char *type_why = NULL;

  g_assert_false (lab_virt_probe_kvm ("/nonexistent/kvm", &why));
  g_assert_nonnull (strstr (why, "cannot open"));
  /* /dev/null opens but is no KVM device */
  g_assert_false (lab_virt_probe_kvm ("/dev/null", &why2));
  g_assert_nonnull (strstr (why2, "KVM_GET_API_VERSION"));

  g_setenv ("LABCTL_DOMAIN_TYPE", "qemu", TRUE);
  type = lab_virt_pick_domain_type (NULL, &type_why);
  g_assert_cmpstr (type, ==, "qemu");
  g_assert_nonnull (strstr (type_why, "LABCTL_DOMAIN_TYPE"));
  g_unsetenv ("LABCTL_DOMAIN_TYPE");
}

static void
test_network_define (void)
{
  g_autoptr(LabVirt) virt = connect_test ();
  g_autoptr(LabVirtNetworkSpec) spec = virt_test_network_spec ("course", "labctl-course", "192.168.150.1", 24);
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *owner = NULL;
  gboolean created = FALSE, exists = TRUE;
  virNetworkPtr net;
  int autostart = 0;

  g_assert_true (lab_virt_network_check (virt, spec, &exists, &error));
  g_assert_no_error (error);
  g_assert_false (exists);

  g_assert_true (lab_virt_network_ensure (virt, spec, &created, &error));
  g_assert_no_error (error);
  g_assert_true (created);

  xml = network_xml (virt, "labctl-course");
  g_assert_nonnull (xml);
  g_assert_true (lab_virt_xml_get_owner (xml, &owner, NULL, NULL));
  g_assert_cmpstr (owner, ==, "course");
  g_assert_nonnull (strstr (xml, "<host mac='52:54:00:aa:00:01' name='pve1' ip='192.168.150.11'/>"));
  g_assert_nonnull (strstr (xml, "<forward mode='nat'/>"));
  net = virNetworkLookupByName (lab_virt_get_connect (virt), "labctl-course");
  g_assert_cmpint (virNetworkIsActive (net), ==, 1);
  virNetworkGetAutostart (net, &autostart);
  g_assert_cmpint (autostart, ==, 1);
  virNetworkFree (net);

  /* reused, not redefined */
  g_assert_true (lab_virt_network_ensure (virt, spec, &created, &error));
  g_assert_no_error (error);
  g_assert_false (created);
  g_assert_true (lab_virt_network_check (virt, spec, &exists, &error));
  g_assert_true (exists);

  /* another lab may not remove it */
  g_assert_false (lab_virt_network_remove (virt, "labctl-course", "otherlab", &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_clear_error (&error);

  g_assert_true (lab_virt_network_remove (virt, "labctl-course", "course", &error));
  g_assert_no_error (error);
  g_assert_null (network_xml (virt, "labctl-course"));
  /* absent: nothing to do */
  g_assert_true (lab_virt_network_remove (virt, "labctl-course", "course", &error));
  g_assert_no_error (error);
}

static void
test_network_foreign (void)
{
  g_autoptr(LabVirt) virt = connect_test ();
  g_autoptr(GError) error = NULL;
  gboolean exists = FALSE;
  g_autoptr(LabVirtNetworkSpec) clash_name = virt_test_network_spec ("course", "labctl-clash", "192.168.150.1", 24);
  g_autoptr(LabVirtNetworkSpec) clash_subnet = virt_test_network_spec ("course", "labctl-course", "192.168.122.1", 24);
  g_autoptr(LabVirtNetworkSpec) clash_wide = virt_test_network_spec ("course", "labctl-course", "10.77.200.1", 24);
  g_autoptr(LabVirtNetworkSpec) clash_bridge = virt_test_network_spec ("course", "labctl-course", "192.168.150.1", 24);

  g_free (clash_bridge->bridge);
  clash_bridge->bridge = g_strdup ("virbr0");

  /* a foreign network with our name */
  g_assert_false (lab_virt_network_ensure (virt, clash_name, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  /* overlapping libvirt's default network */
  g_assert_false (lab_virt_network_check (virt, clash_subnet, &exists, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_assert_nonnull (strstr (error->message, "default"));
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  /* inside a foreign /16 */
  g_assert_false (lab_virt_network_ensure (virt, clash_wide, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_assert_nonnull (strstr (error->message, "labctl-clash"));
  g_clear_error (&error);
  /* same bridge */
  g_assert_false (lab_virt_network_ensure (virt, clash_bridge, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_clear_error (&error);
  /* never removed */
  g_assert_false (lab_virt_network_remove (virt, "default", "course", &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_clear_error (&error);
  g_assert_false (lab_virt_network_remove (virt, "labctl-clash", "course", &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_clear_error (&error);
  g_free (network_xml (virt, "default"));
  g_assert_nonnull (network_xml (virt, "labctl-clash") ? "yes" : NULL);
  {
    g_autofree char *d = network_xml (virt, "default");
    g_assert_nonnull (d);
  }
}

static void
on_domain_event (LabVirt *virt, const char *name, int event, int detail, gpointer user_data)
{
  GPtrArray *seen = user_data;

  g_ptr_array_add (seen, g_strdup_printf ("%s:%d", name, event));
}

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
wait_for_signal (GPtrArray *seen, const char *what)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (5000, on_timeout, &timed_out);

  while (!g_ptr_array_find_with_equal_func (seen, what, g_str_equal, NULL) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return !timed_out;
}

static void
test_domain_lifecycle (void)
{
  g_autoptr(LabVirt) virt = connect_test ();
  g_autoptr(LabVirtDomainSpec) spec = virt_test_domain_spec ("course", "pve1", "/var/lib/labctl/pve1.qcow2", "qcow2");
  g_autoptr(GError) error = NULL;
  g_autoptr(LabVirtDomainInfo) info = NULL;
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *console = NULL;
  g_autofree char *started = g_strdup_printf ("pve1:%d", VIR_DOMAIN_EVENT_STARTED);
  g_autofree char *stopped = g_strdup_printf ("pve1:%d", VIR_DOMAIN_EVENT_STOPPED);
  virDomainPtr dom = NULL;
  gint64 t0;

  g_signal_connect (virt, "domain-event", G_CALLBACK (on_domain_event), seen);

  g_assert_true (lab_virt_domain_lookup (virt, "pve1", "course", &dom, &error));
  g_assert_null (dom);

  g_assert_true (lab_virt_domain_define (virt, spec, &error));
  g_assert_no_error (error);
  g_assert_cmpint (domain_state (virt, "pve1"), ==, VIR_DOMAIN_SHUTOFF);
  /* redefining our own domain is allowed (recipe changed) */
  spec->memory_mib = 3072;
  g_assert_true (lab_virt_domain_define (virt, spec, &error));
  g_assert_no_error (error);

  g_assert_true (lab_virt_domain_start (virt, "pve1", "course", &error));
  g_assert_no_error (error);
  g_assert_true (lab_virt_wait_for_state (virt, "pve1", VIR_DOMAIN_RUNNING, 5000, NULL, &error));
  g_assert_no_error (error);
  /* starting a running node is fine */
  g_assert_true (lab_virt_domain_start (virt, "pve1", "course", &error));
  g_assert_no_error (error);

  g_assert_true (lab_virt_domain_get_info (virt, "pve1", "course", &info, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (info->state, ==, "running");
  g_assert_cmpuint (info->vcpus, ==, 2);
  g_assert_cmpuint (info->memory_mib, ==, 3072);
  /* the test driver invents one lease per NIC */
  g_assert_cmpuint (g_strv_length (info->addresses), >=, 1);
  g_test_message ("pve1 addresses: %s", info->addresses[0]);

  console = lab_virt_console_command (virt, "pve1");
  g_assert_nonnull (strstr (console, " console pve1"));

  /* waiting for a state that does not come times out */
  t0 = g_get_monotonic_time ();
  g_assert_false (lab_virt_wait_for_state (virt, "pve1", VIR_DOMAIN_PAUSED, 200, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT);
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, 190 * 1000);
  g_clear_error (&error);

  g_assert_true (lab_virt_domain_stop (virt, "pve1", "course", 5000, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (domain_state (virt, "pve1"), ==, VIR_DOMAIN_SHUTOFF);
  /* stopping a stopped node is fine */
  g_assert_true (lab_virt_domain_stop (virt, "pve1", "course", 5000, NULL, &error));

  /* the events reach the main context as signals (libvirt dispatches
   * them asynchronously, possibly after the state changed) */
  g_assert_true (wait_for_signal (seen, started));
  g_assert_true (wait_for_signal (seen, stopped));

  g_assert_true (lab_virt_domain_undefine (virt, "pve1", "course", &error));
  g_assert_no_error (error);
  g_assert_false (domain_exists (virt, "pve1"));
  g_assert_true (lab_virt_domain_undefine (virt, "pve1", "course", &error));
  g_assert_no_error (error);

  /* starting an undefined node says so */
  g_assert_false (lab_virt_domain_start (virt, "pve1", "course", &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);
}

typedef struct {
  LabVirt *virt;
  gboolean result;
  GError  *error;
} WaitJob;

static gpointer
wait_running_thread (gpointer data)
{
  WaitJob *job = data;

  job->result = lab_virt_wait_for_state (job->virt, "pve1", VIR_DOMAIN_RUNNING, 10000, NULL, &job->error);
  return NULL;
}

static void
test_wait_is_event_driven (void)
{
  g_autoptr(LabVirt) virt = connect_test ();
  g_autoptr(LabVirtDomainSpec) spec = virt_test_domain_spec ("course", "pve1", "/dev/vg_iscsi/lv_pve1", "raw");
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  WaitJob job = { virt, FALSE, NULL };
  GThread *waiter;
  gint64 t0;

  g_assert_true (lab_virt_domain_define (virt, spec, &error));
  waiter = g_thread_new ("waiter", wait_running_thread, &job);
  g_usleep (100 * 1000);
  t0 = g_get_monotonic_time ();
  g_assert_true (lab_virt_domain_start (virt, "pve1", "course", &error));
  g_thread_join (waiter);
  g_assert_no_error (job.error);
  g_assert_true (job.result);
  /* woken by the STARTED event, well before its 10 s timeout */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 2 * G_USEC_PER_SEC);

  /* cancellation wakes a waiter too */
  g_cancellable_cancel (cancellable);
  g_assert_false (lab_virt_wait_for_state (virt, "pve1", VIR_DOMAIN_SHUTOFF, 10000, cancellable, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_CANCELLED);
}

static void
test_domain_foreign (void)
{
  g_autoptr(LabVirt) virt = connect_test ();
  g_autoptr(LabVirtDomainSpec) spec = virt_test_domain_spec ("course", "foreign-vm", "/dev/vg/lv", "raw");
  g_autoptr(LabVirtDomainSpec) other = virt_test_domain_spec ("course", "other-pve1", "/dev/vg/lv", "raw");
  g_autoptr(GError) error = NULL;
  char **snaps;

  g_assert_false (lab_virt_domain_define (virt, spec, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_assert_nonnull (strstr (error->message, "no labctl mark"));
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_false (lab_virt_domain_define (virt, other, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_assert_nonnull (strstr (error->message, "otherlab"));
  g_clear_error (&error);

  g_assert_false (lab_virt_domain_stop (virt, "foreign-vm", "course", 1000, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_clear_error (&error);
  g_assert_false (lab_virt_domain_undefine (virt, "foreign-vm", "course", &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_clear_error (&error);
  g_assert_false (lab_virt_snapshot_create (virt, "foreign-vm", "course", "clean", NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_clear_error (&error);
  snaps = lab_virt_snapshot_list (virt, "other-pve1", "course", &error);
  g_assert_null (snaps);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_clear_error (&error);

  /* untouched: still there and still running */
  g_assert_cmpint (domain_state (virt, "foreign-vm"), ==, VIR_DOMAIN_RUNNING);
  g_assert_true (domain_exists (virt, "other-pve1"));
  /* the other lab may manage its own */
  g_assert_true (lab_virt_domain_stop (virt, "other-pve1", "otherlab", 1000, NULL, &error));
  g_assert_no_error (error);
}

static void
test_snapshots (void)
{
  g_autoptr(LabVirt) virt = connect_test ();
  g_autoptr(LabVirtDomainSpec) spec = virt_test_domain_spec ("course", "pve1", "/var/lib/labctl/pve1.qcow2", "qcow2");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;
  g_auto(GStrv) after = NULL;

  g_assert_true (lab_virt_domain_define (virt, spec, &error));
  g_assert_true (lab_virt_domain_start (virt, "pve1", "course", &error));
  g_assert_no_error (error);

  g_assert_true (lab_virt_snapshot_create (virt, "pve1", "course", "clean", "after install <&>", &error));
  g_assert_no_error (error);
  /* change the domain: stop it */
  g_assert_true (lab_virt_domain_stop (virt, "pve1", "course", 2000, NULL, &error));
  g_assert_cmpint (domain_state (virt, "pve1"), ==, VIR_DOMAIN_SHUTOFF);
  g_assert_true (lab_virt_snapshot_create (virt, "pve1", "course", "stopped", NULL, &error));
  g_assert_no_error (error);

  names = lab_virt_snapshot_list (virt, "pve1", "course", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (names), ==, 2);
  g_assert_cmpstr (names[0], ==, "clean");
  g_assert_cmpstr (names[1], ==, "stopped");

  /* revert brings back the running state of "clean" */
  g_assert_true (lab_virt_snapshot_revert (virt, "pve1", "course", "clean", &error));
  g_assert_no_error (error);
  g_assert_cmpint (domain_state (virt, "pve1"), ==, VIR_DOMAIN_RUNNING);

  g_assert_false (lab_virt_snapshot_revert (virt, "pve1", "course", "nonexistent", &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (lab_virt_snapshot_delete (virt, "pve1", "course", "stopped", &error));
  g_assert_no_error (error);
  after = lab_virt_snapshot_list (virt, "pve1", "course", &error);
  g_assert_cmpuint (g_strv_length (after), ==, 1);

  /* undefine takes the snapshots' metadata along */
  g_assert_true (lab_virt_domain_undefine (virt, "pve1", "course", &error));
  g_assert_no_error (error);
  g_assert_false (domain_exists (virt, "pve1"));
}

static void
test_parallel (void)
{
  g_autoptr(LabVirt) virt = connect_test ();
  g_autoptr(GPtrArray) specs = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_virt_domain_spec_free);
  g_autoptr(GError) error = NULL;

  for (guint i = 1; i <= 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("pve%u", i);
      g_autofree char *disk = g_strdup_printf ("/dev/vg_iscsi/lv_pve%u", i);
      g_ptr_array_add (specs, virt_test_domain_spec ("course", name, disk, "raw"));
    }
  g_assert_true (lab_virt_domains_run (virt, specs, LAB_VIRT_OP_DEFINE | LAB_VIRT_OP_START, 5000, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 1; i <= 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("pve%u", i);
      g_assert_cmpint (domain_state (virt, name), ==, VIR_DOMAIN_RUNNING);
    }
  g_assert_true (lab_virt_domains_run (virt, specs, LAB_VIRT_OP_STOP, 5000, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 1; i <= 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("pve%u", i);
      g_assert_cmpint (domain_state (virt, name), ==, VIR_DOMAIN_SHUTOFF);
    }

  /* one foreign name spoils the batch, the others still get done, the
   * foreign one is untouched */
  g_free (((LabVirtDomainSpec *) specs->pdata[1])->node_name);
  ((LabVirtDomainSpec *) specs->pdata[1])->node_name = g_strdup ("foreign-vm");
  g_assert_false (lab_virt_domains_run (virt, specs, LAB_VIRT_OP_DEFINE, 5000, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_assert_cmpint (domain_state (virt, "foreign-vm"), ==, VIR_DOMAIN_RUNNING);
}

/* libvirt's events run on labctl's private context: the application's
 * default context stays free (a GUI's main loop, libosinfo's sync calls) */
static void
test_events_context (void)
{
  g_autoptr(LabVirt) virt = connect_test ();
  GMainContext *ctx = lab_virt_events_get_context ();

  g_assert_nonnull (ctx);
  g_assert_true (ctx != g_main_context_default ());
  for (guint i = 0; i < 20; i++)
    {
      g_assert_true (g_main_context_acquire (NULL));
      g_main_context_release (NULL);
      g_usleep (1000);
    }
}

/* a raw disk (the nodes' LVs) cannot hold an internal snapshot: labctl
 * asks for an external, disk-only one (the test driver cannot make those:
 * the document and flags are checked, against golden files and libvirt's
 * schema too, and the refusal is a clean error) */
static void
test_snapshot_raw_disk (void)
{
  g_autoptr(LabVirt) virt = connect_test ();
  g_autoptr(LabVirtDomainSpec) raw = virt_test_domain_spec ("course", "pve1", "/dev/vg_iscsi/lv_pve1", "raw");
  g_autoptr(LabVirtDomainSpec) qcow = virt_test_domain_spec ("course", "pve1", "/var/lib/labctl/pve1.qcow2", "qcow2");
  g_autofree char *raw_xml = lab_virt_domain_xml (raw);
  g_autofree char *qcow_xml = lab_virt_domain_xml (qcow);
  g_autofree char *ext = NULL;
  g_autofree char *internal = NULL;
  g_autoptr(GError) error = NULL;
  unsigned int flags = 0;

  ext = lab_virt_snapshot_xml (raw_xml, "clean", "after <install>", &flags);
  g_assert_cmpuint (flags, ==, VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY | VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC);
  virt_test_check_golden ("golden-snapshot-external.xml", ext);
  virt_test_validate (ext, "domainsnapshot");
  g_assert_nonnull (strstr (ext, "<disk name='vda' snapshot='external'><driver type='qcow2'/>"
                                 "<source file='/var/lib/libvirt/images/lv_pve1.clean.qcow2'/></disk>"));
  g_assert_nonnull (strstr (ext, "<description>after &lt;install&gt;</description>"));
  /* the cdrom is read-only: not part of the snapshot */
  g_assert_null (strstr (ext, "sda"));
  internal = lab_virt_snapshot_xml (qcow_xml, "clean", NULL, &flags);
  g_assert_cmpuint (flags, ==, 0);
  virt_test_check_golden ("golden-snapshot-internal.xml", internal);
  virt_test_validate (internal, "domainsnapshot");
  g_assert_null (strstr (internal, "<disks>"));

  g_assert_true (lab_virt_domain_define (virt, raw, &error));
  g_assert_false (lab_virt_snapshot_create (virt, "pve1", "course", "clean", NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_LIBVIRT);
}

/* Reading labctl's mark and a network's address back (libxml2 XPath):
 * the namespace decides, not the prefix; IPv6 and unparsable addresses are
 * passed over; netmask, prefix or the /24 default. */
static void
test_xml_read_back (void)
{
  static const char domain[] =
    "<domain type='kvm'><name>pve1</name><metadata>"
    "<x:lab xmlns:x='https://example.org/not-labctl' name='wrong'/>"
    "<mine:lab xmlns:mine='" LAB_VIRT_XMLNS "' name='course' node='pve1' recipe='abc'/>"
    "</metadata></domain>";
  static const char network[] =
    "<network><name>n</name><bridge name='br-lab'/>"
    "<ip family='ipv6' address='fd00::1' prefix='64'/>"
    "<ip address='not-an-address' prefix='8'/>"
    "<ip address='10.77.0.1' prefix='16'/>"
    "<ip address='10.88.0.1' netmask='255.255.255.0'/></network>";
  static const char netmask[] = "<network><ip address='192.168.9.1' netmask='255.255.252.0'/></network>";
  static const char bare[] = "<network><ip address='192.168.9.1'/></network>";
  g_autofree char *lab = NULL, *node = NULL, *hash = NULL, *bridge = NULL, *none = NULL;
  guint32 addr = 0;
  guint prefix = 0;

  g_assert_true (lab_virt_xml_get_owner (domain, &lab, &node, &hash));
  g_assert_cmpstr (lab, ==, "course");
  g_assert_cmpstr (node, ==, "pve1");
  g_assert_cmpstr (hash, ==, "abc");
  g_assert_false (lab_virt_xml_get_owner ("<domain><metadata><labctl:lab xmlns:labctl='https://example.org/x' "
                                          "name='course'/></metadata></domain>", &none, NULL, NULL));
  g_assert_null (none);
  g_assert_false (lab_virt_xml_get_owner ("<domain><metadata>", NULL, NULL, NULL));
  g_assert_false (lab_virt_xml_get_owner (NULL, NULL, NULL, NULL));

  g_assert_true (lab_virt_xml_get_network_ipv4 (network, &addr, &prefix, &bridge));
  g_assert_cmpuint (addr, ==, (10u << 24) | (77u << 16) | 1);
  g_assert_cmpuint (prefix, ==, 16);
  g_assert_cmpstr (bridge, ==, "br-lab");
  g_assert_true (lab_virt_xml_get_network_ipv4 (netmask, &addr, &prefix, NULL));
  g_assert_cmpuint (prefix, ==, 22);
  g_assert_true (lab_virt_xml_get_network_ipv4 (bare, &addr, &prefix, NULL));
  g_assert_cmpuint (prefix, ==, 24);
  g_assert_false (lab_virt_xml_get_network_ipv4 ("<network><ip family='ipv6' address='fd00::1'/></network>",
                                                 &addr, &prefix, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

  /* these two set environment variables: before any thread exists */
  g_test_add_func ("/virt/connect/default-uri", test_default_uri);
  g_test_add_func ("/virt/connect/kvm-probe", test_kvm_probe);
  g_test_add_func ("/virt/connect/silence-errors", test_silence_errors);
  g_test_add_func ("/virt/connect/errors", test_connect_errors);
  g_test_add_func ("/virt/connect/open", test_open);
  g_test_add_func ("/virt/connect/probe", test_probe);
  g_test_add_func ("/virt/network/define-reuse-remove", test_network_define);
  g_test_add_func ("/virt/network/foreign", test_network_foreign);
  g_test_add_func ("/virt/domain/lifecycle", test_domain_lifecycle);
  g_test_add_func ("/virt/domain/wait-event-driven", test_wait_is_event_driven);
  g_test_add_func ("/virt/domain/foreign", test_domain_foreign);
  g_test_add_func ("/virt/domain/parallel", test_parallel);
  g_test_add_func ("/virt/domain/migrate-failures", test_migrate_failures);
  g_test_add_func ("/virt/snapshot/create-list-revert-delete", test_snapshots);
  g_test_add_func ("/virt/snapshot/raw-disk-external", test_snapshot_raw_disk);
  g_test_add_func ("/virt/events/private-context", test_events_context);
  g_test_add_func ("/virt/xml/read-back", test_xml_read_back);
  return g_test_run ();
}
