/* System test of the virt provider: a real libvirtd of the test's own (in
 * its own network + mount namespace, tests/lib/virt-host.sh), QEMU under
 * TCG, a tiny node (Debian's kernel + a busybox initramfs, direct kernel
 * boot) on the lab network built from a recipe:
 *   - the node answers ping at its DHCP-reserved address;
 *   - snapshot, change, revert: the change is gone;
 *   - down leaves no domain, no network, no file.
 * Needs root; skips with the reason otherwise. */
#include "config.h"

#include <libvirt/libvirt.h>
#include <string.h>
#include <sys/wait.h>

#include "lab-error.h"
#include "lab-flavor.h"
#include "lab-vm.h"
#include "lab-osinfo.h"
#include "lab-runner.h"
#include "lab-virt.h"
#include "virt-host.h"

typedef struct {
  VirtHost           host;
  LabRecipe         *recipe;
  LabVirt           *virt;
  LabVirtDomainSpec *spec;
  LabNode           *node;
  gboolean           running;
} Fixture;

static Fixture fx;

static char *
netns_run (const char *const *cmd, GError **error)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;

  g_strv_builder_add_many (b, "ip", "netns", "exec", fx.host.netns, NULL);
  g_strv_builder_addv (b, (const char **) cmd);
  argv = g_strv_builder_end (b);
  return virt_host_run ((const char * const *) argv, error);
}

/* GET /cgi-bin/id from the guest: "boot_id=... uptime=... counter=N ..." */
static char *
guest_id (guint tries)
{
  g_autofree char *url = g_strdup_printf ("http://%s/cgi-bin/id", fx.node->address);
  const char *cmd[] = { "timeout", "3", "busybox", "wget", "-q", "-O", "-", url, NULL };

  for (guint i = 0; i < tries; i++)
    {
      g_autoptr(GError) error = NULL;
      char *out = netns_run (cmd, &error);
      if (out != NULL && strstr (out, "counter=") != NULL)
        return g_strstrip (out);
      g_free (out);
      g_usleep (G_USEC_PER_SEC / 2);
    }
  return NULL;
}

static guint64
field_uint (const char *text, const char *key)
{
  const char *p = text != NULL ? strstr (text, key) : NULL;

  return p != NULL ? g_ascii_strtoull (p + strlen (key), NULL, 10) : 0;
}

static char *
field_str (const char *text, const char *key)
{
  const char *p = text != NULL ? strstr (text, key) : NULL;

  if (p == NULL)
    return NULL;
  p += strlen (key);
  return g_strndup (p, strcspn (p, " \n"));
}

static void
test_network (void)
{
  g_autoptr(LabVirtNetworkSpec) net = lab_vm_network_spec (fx.recipe);
  g_autoptr(GError) error = NULL;
  g_autofree char *link = NULL;
  gboolean created = FALSE;
  const char *cmd[] = { "ip", "-o", "-4", "addr", "show", "dev", net->bridge, NULL };

  g_assert_true (lab_virt_network_ensure (fx.virt, net, &created, &error));
  g_assert_no_error (error);
  g_assert_true (created);
  /* libvirt's bridge with the gateway address, inside the host's netns */
  link = netns_run (cmd, &error);
  g_assert_no_error (error);
  g_assert_nonnull (link != NULL ? strstr (link, net->gateway) : NULL);
  g_test_message ("lab network %s: %s", net->name, link != NULL ? g_strstrip (link) : "(none)");
}

static void
test_boot_ping (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) specs = g_ptr_array_new ();
  g_autoptr(LabVirtDomainInfo) info = NULL;
  g_autofree char *reply = NULL;
  const char *ping[] = { "ping", "-c", "1", "-W", "1", fx.node->address, NULL };
  gint64 t0 = g_get_monotonic_time ();
  double up_s = 0;

  g_ptr_array_add (specs, fx.spec);
  g_assert_true (lab_virt_domains_run (fx.virt, specs, LAB_VIRT_OP_DEFINE | LAB_VIRT_OP_START, 30000, NULL, &error));
  g_assert_no_error (error);
  fx.running = error == NULL;
  g_test_message ("%s defined and running after %.2f s", fx.node->name, (g_get_monotonic_time () - t0) / 1e6);

  for (guint i = 0; i < 90 && reply == NULL; i++)
    {
      g_autoptr(GError) ping_error = NULL;
      reply = netns_run (ping, &ping_error);
    }
  up_s = (g_get_monotonic_time () - t0) / 1e6;
  g_assert_nonnull (reply);
  if (reply != NULL)
    {
      g_autofree char *expect = g_strdup_printf ("bytes from %s:", fx.node->address);
      char *line = strstr (reply, "bytes from");
      g_assert_nonnull (strstr (reply, expect));
      if (line != NULL)
        line[strcspn (line, "\n")] = '\0';
      g_test_message ("ping reply from the reserved address %s (MAC %s) %.1f s after start: %s",
                      fx.node->address, fx.node->mac, up_s, line != NULL ? line : reply);
    }

  /* libvirt sees the same address in its DHCP leases */
  g_assert_true (lab_virt_domain_get_info (fx.virt, fx.node->name, fx.recipe->name, &info, &error));
  g_assert_no_error (error);
  if (info != NULL)
    {
      g_autofree char *joined = g_strjoinv (" ", info->addresses);
      g_autofree char *want = g_strdup_printf ("%s/24", fx.node->address);
      g_assert_cmpstr (info->state, ==, "running");
      g_assert_true (g_strv_contains ((const char * const *) info->addresses, want));
      g_test_message ("libvirt reports %s %s, addresses: %s", info->name, info->state, joined);
    }
}

/* The fixture's lab as the experiments see it (its libvirt the test's)
 * and its node's domain; FALSE (the test skipped) when the node is not
 * running. */
typedef struct {
  LabState    *state;
  LabRunner   *runner;
  LabContext   ctx;
  virDomainPtr dom;
} FaultLab;

static gboolean
fault_lab_open (FaultLab *f)
{
  if (!fx.running)
    {
      g_test_skip ("the node did not start (see the previous test)");
      return FALSE;
    }
  g_setenv ("LABCTL_STATE_DIR", fx.host.work, TRUE);
  f->state = lab_state_new_in_memory (fx.recipe->name);
  f->runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  lab_context_init (&f->ctx, fx.recipe, f->state, f->runner, NULL, FALSE);
  f->ctx.libvirt_uri = fx.host.uri;
  f->dom = virDomainLookupByName (lab_virt_get_connect (fx.virt), fx.node->name);
  g_assert_nonnull (f->dom);
  return f->dom != NULL;
}

static void
fault_lab_close (FaultLab *f)
{
  g_clear_pointer (&f->dom, virDomainFree);
  g_clear_object (&f->runner);
  g_clear_pointer (&f->state, lab_state_free);
}

/* The kvm row's link faults (the experiments' partition and quorum) on a
 * real QEMU node: through the flavor table, libvirt sets the NIC's link
 * down live (the node stops answering, keeps its NIC), then up (it answers
 * again). libvirt's test:/// driver has no virDomainUpdateDeviceFlags
 * (9.0: "not supported by the connection driver"), so the real pair is
 * used here. The power-off fault: test_poweroff_fault, before down. */
static void
test_link_fault (void)
{
  g_autoptr(GError) error = NULL;
  const char *ping[] = { "ping", "-c", "1", "-W", "1", fx.node->address, NULL };
  g_autofree char *xml = NULL;
  g_autofree char *reply = NULL;
  FaultLab f = { 0 };
  LabContext *ctx = &f.ctx;

  if (!fault_lab_open (&f))
    return;
  g_assert_true (lab_flavor_node_fault (ctx, fx.node->name, LAB_NODE_FAULT_LINK_DOWN, &error));
  g_assert_no_error (error);
  xml = virDomainGetXMLDesc (f.dom, 0);
  g_assert_nonnull (strstr (xml, "<link state='down'/>"));
  /* the cut holds: no answer for 3 s */
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GError) ping_error = NULL;
      g_autofree char *out = netns_run (ping, &ping_error);
      g_assert_null (out);
    }

  g_assert_true (lab_flavor_node_fault (ctx, fx.node->name, LAB_NODE_FAULT_LINK_UP, &error));
  g_assert_no_error (error);
  g_free (xml);
  xml = virDomainGetXMLDesc (f.dom, 0);
  g_assert_nonnull (strstr (xml, "<link state='up'/>"));
  for (guint i = 0; i < 30 && reply == NULL; i++)
    {
      g_autoptr(GError) ping_error = NULL;
      reply = netns_run (ping, &ping_error);
    }
  g_assert_nonnull (reply);

  /* a node the lab does not have is an error that names it */
  g_assert_false (lab_flavor_node_fault (ctx, "tiny9", LAB_NODE_FAULT_LINK_DOWN, &error));
  g_assert_nonnull (error);
  g_test_message ("unknown node: %s", error->message);
  fault_lab_close (&f);
}

static void
test_snapshot_revert (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *changed = NULL;
  g_autofree char *after = NULL;
  g_autofree char *boot0 = NULL;
  g_autofree char *boot2 = NULL;
  g_auto(GStrv) snaps = NULL;
  guint64 c0, c1, c2;
  gint64 t0;

  if (!fx.running)
    {
      g_test_skip ("the node did not start (see the previous test)");
      return;
    }
  before = guest_id (20);
  g_assert_nonnull (before);
  g_assert_true (lab_virt_snapshot_create (fx.virt, fx.node->name, fx.recipe->name, LAB_VIRT_SNAPSHOT_CLEAN,
                                           "state right after boot", &error));
  g_assert_no_error (error);
  c0 = field_uint (before, "counter=");
  boot0 = field_str (before, "boot_id=");
  snaps = lab_virt_snapshot_list (fx.virt, fx.node->name, fx.recipe->name, &error);
  g_assert_no_error (error);
  g_assert_true (snaps != NULL && g_strv_contains ((const char * const *) snaps, LAB_VIRT_SNAPSHOT_CLEAN));

  /* the change: the guest's counter (in memory and on its qcow2 disk)
   * moves on for several seconds */
  t0 = g_get_monotonic_time ();
  do
    {
      g_free (changed);
      changed = guest_id (10);
      c1 = field_uint (changed, "counter=");
      if (c1 < c0 + 8)
        g_usleep (G_USEC_PER_SEC / 2);
    }
  while (changed != NULL && c1 < c0 + 8 && g_get_monotonic_time () - t0 < 30 * G_USEC_PER_SEC);
  g_assert_cmpuint (c1, >=, c0 + 8);

  g_assert_true (lab_virt_snapshot_revert (fx.virt, fx.node->name, fx.recipe->name, LAB_VIRT_SNAPSHOT_CLEAN, &error));
  g_assert_no_error (error);
  after = guest_id (20);
  g_assert_nonnull (after);
  c2 = field_uint (after, "counter=");
  boot2 = field_str (after, "boot_id=");
  /* same boot (memory state restored, no reboot), counter back in time */
  g_assert_cmpstr (boot0, ==, boot2);
  g_assert_cmpuint (c2, <, c1);
  if (c2 < c1 && g_strcmp0 (boot0, boot2) == 0)
    g_test_message ("snapshot revert check: at snapshot counter=%" G_GUINT64_FORMAT ", changed to counter=%"
                  G_GUINT64_FORMAT ", after revert counter=%" G_GUINT64_FORMAT " with the same boot_id %s: "
                  "the change is gone", c0, c1, c2, boot2 != NULL ? boot2 : "?");
}

/* The shipped recipe's nodes, as `up` builds them, are accepted by the real
 * QEMU driver (its own validation, not only the schema). */
static void
test_define_course_nodes (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (LABCTL_SOURCE_DIR, "recipes", "proxmox-3node.lab", NULL);
  g_autoptr(LabRecipe) course = lab_recipe_load (path, &error);
  g_autoptr(LabOsinfo) osinfo = lab_osinfo_new (NULL, &error);
  g_autoptr(LabOsinfoProfile) profile = NULL;
  char *caps = virConnectGetDomainCapabilities (lab_virt_get_connect (fx.virt), NULL, "x86_64", NULL, "kvm", 0);
  const char *type = caps != NULL ? "kvm" : "qemu";

  free (caps);
  g_assert_no_error (error);
  profile = lab_osinfo_lookup (osinfo, course->os_id, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < course->nodes->len; i++)
    {
      LabNode *node = g_ptr_array_index (course->nodes, i);
      g_autoptr(LabVirtDomainSpec) spec = lab_vm_domain_spec (course, node, profile, type, "/var/lib/labctl/isos/x.iso");
      virDomainPtr dom = NULL;
      char *xml = NULL;

      g_assert_true (lab_virt_domain_define (fx.virt, spec, &error));
      g_assert_no_error (error);
      g_assert_true (lab_virt_domain_lookup (fx.virt, node->name, course->name, &dom, &error));
      g_assert_nonnull (dom);
      if (dom != NULL)
        {
          xml = virDomainGetXMLDesc (dom, VIR_DOMAIN_XML_INACTIVE);
          g_assert_nonnull (strstr (xml, g_str_equal (type, "kvm") ? "<cpu mode='host-passthrough'" : "<cpu mode='maximum'"));
          g_assert_nonnull (strstr (xml, "cache='none' io='native'"));
          g_assert_nonnull (strstr (xml, "<source dev='/dev/vg_iscsi/"));
          if (i == 0)
            g_test_message ("libvirt's QEMU driver accepted %s (type %s):\n%s", node->name, type, xml);
          free (xml);
          virDomainFree (dom);
        }
      g_assert_true (lab_virt_domain_undefine (fx.virt, node->name, course->name, &error));
      g_assert_no_error (error);
    }
}

static char *
disk_head (const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &data, &len, NULL) || len < 32)
    return NULL;
  return g_strndup (data, strnlen (data, 32));
}

/* What the guest sees at the start of a qcow2 overlay (its backing
 * included): qemu-io, sharing the image with a running QEMU (-U). */
static char *
overlay_head (const char *overlay)
{
  const char *argv[] = { "qemu-io", "-U", "-r", "-f", "qcow2", "-c", "read -v 0 32", overlay, NULL };
  g_autofree char *out = virt_host_run (argv, NULL);
  GString *text = g_string_new (NULL);

  g_auto(GStrv) lines = g_strsplit (out != NULL ? out : "", "\n", -1);

  /* "00000000:  64 69 73 6b ...  disk-counter=12": the ASCII column */
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "000000") && strlen (lines[i]) > 60)
      g_string_append (text, lines[i] + 60);
  return g_string_free (text, FALSE);
}

/* N of "disk-counter=N" (qemu-io prints "disk.counter.N") */
static guint64
disk_counter (const char *text)
{
  const char *p = text != NULL ? strstr (text, "counter") : NULL;

  return p != NULL ? g_ascii_strtoull (p + strlen ("counter") + 1, NULL, 10) : 0;
}

/* A raw disk (like a node's LV): the snapshot is external, and this
 * libvirt (9.0) cannot revert it; labctl empties the overlay itself. */
static void
test_snapshot_external (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabVirtDomainSpec) spec = lab_vm_domain_spec (fx.recipe, fx.node, NULL, "qemu", NULL);
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  g_autofree char *raw = g_strdup_printf ("%s/tinyraw.img", fx.host.work);
  g_autofree char *overlay = g_strdup_printf ("%s.%s", raw, LAB_VIRT_SNAPSHOT_CLEAN);
  g_autofree char *frozen = NULL;
  g_autofree char *moved_on = NULL;
  g_autofree char *reverted = NULL;
  g_autofree char *head = NULL;
  const char *truncate_argv[] = { "truncate", "-s", "16M", raw, NULL };
  g_autofree char *ignored = virt_host_run (truncate_argv, &error);
  int state = -1, reason;
  virDomainPtr dom;
  gint64 t0;

  g_assert_no_error (error);
  g_free (spec->node_name);
  spec->node_name = g_strdup ("tinyraw");
  g_free (spec->mac);
  spec->mac = g_strdup ("52:54:00:fe:00:01");
  g_free (spec->disk_path);
  spec->disk_path = g_strdup (raw);
  spec->kernel = g_build_filename (fx.host.guest_dir, "vmlinux", NULL);
  spec->initrd = g_build_filename (fx.host.guest_dir, "initramfs.cpio.gz", NULL);
  spec->cmdline = g_strdup ("console=ttyS0 quiet");
  g_clear_pointer (&spec->graphics, g_free);
  g_assert_true (lab_virt_domain_define (fx.virt, spec, &error));
  g_assert_true (lab_virt_domain_start (fx.virt, "tinyraw", fx.recipe->name, &error));
  g_assert_no_error (error);

  /* the guest writes "disk-counter=N" at the start of its disk every second */
  t0 = g_get_monotonic_time ();
  while (((head = disk_head (raw)) == NULL || !g_str_has_prefix (head, "disk-counter=")
          || g_ascii_strtoull (head + 13, NULL, 10) < 2)
         && g_get_monotonic_time () - t0 < 30 * G_USEC_PER_SEC)
    {
      g_clear_pointer (&head, g_free);
      g_usleep (G_USEC_PER_SEC / 4);
    }
  g_assert_nonnull (head);

  g_assert_true (lab_virt_snapshot_create (fx.virt, "tinyraw", fx.recipe->name, LAB_VIRT_SNAPSHOT_CLEAN,
                                           NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (overlay, G_FILE_TEST_EXISTS));
  frozen = disk_head (raw);
  /* the change: the guest goes on writing, now into the overlay */
  t0 = g_get_monotonic_time ();
  do
    {
      g_free (moved_on);
      g_usleep (G_USEC_PER_SEC / 2);
      moved_on = overlay_head (overlay);
    }
  while (disk_counter (moved_on) <= disk_counter (frozen) && g_get_monotonic_time () - t0 < 10 * G_USEC_PER_SEC);
  g_assert_cmpuint (disk_counter (frozen), >=, 2);
  g_assert_cmpuint (disk_counter (moved_on), >, disk_counter (frozen));

  /* without a runner this libvirt cannot revert an external snapshot */
  g_assert_false (lab_virt_snapshot_revert (fx.virt, "tinyraw", fx.recipe->name, LAB_VIRT_SNAPSHOT_CLEAN, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  lab_virt_set_runner (fx.virt, runner);
  g_assert_true (lab_virt_snapshot_revert (fx.virt, "tinyraw", fx.recipe->name, LAB_VIRT_SNAPSHOT_CLEAN, &error));
  g_assert_no_error (error);
  dom = virDomainLookupByName (lab_virt_get_connect (fx.virt), "tinyraw");
  virDomainGetState (dom, &state, &reason, 0);
  virDomainFree (dom);
  g_assert_cmpint (state, ==, VIR_DOMAIN_SHUTOFF);
  reverted = overlay_head (overlay);
  g_assert_cmpuint (disk_counter (reverted), ==, disk_counter (frozen));
  if (disk_counter (reverted) == disk_counter (frozen))
    g_test_message ("external snapshot revert check (raw disk, libvirt 9.0): disk-counter=%" G_GUINT64_FORMAT
                    " at snapshot, %" G_GUINT64_FORMAT " after the change, %" G_GUINT64_FORMAT
                    " after revert: the change is gone",
                    disk_counter (frozen), disk_counter (moved_on), disk_counter (reverted));

  /* undefine takes the overlay file along */
  g_assert_true (lab_virt_domain_undefine (fx.virt, "tinyraw", fx.recipe->name, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (overlay, G_FILE_TEST_EXISTS));
  lab_virt_set_runner (fx.virt, NULL);
}

/* A user outside the libvirt group: libvirt refuses, labctl says why and
 * what to do, and exits with the permission code. */
static void
test_access_denied (void)
{
  g_autofree char *env_uri = g_strdup_printf ("LABCTL_LIBVIRT_URI=%s", fx.host.uri);
  const char *argv[] = { "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "env", env_uri,
                         "HOME=/tmp", g_getenv ("LABCTL"), "nodes", "list", "--recipe", "proxmox-3node", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = -1;

  if (g_getenv ("LABCTL") == NULL)
    {
      g_test_skip ("LABCTL (the built labctl) is not set: run through meson test");
      return;
    }
  g_assert_true (g_spawn_sync ("/", (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  g_test_message ("as nobody: %s", err);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 4);
  g_assert_nonnull (strstr (err, "libvirt group"));
}

static guint
count_regular_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        n += count_regular_files (path);
      else
        n++;
    }
  return n;
}

static guint
count_files (const char *dir, const char *contains)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (contains == NULL || strstr (name, contains) != NULL)
      {
        g_autofree char *path = g_build_filename (dir, name, NULL);
        g_autofree char *pid_text = NULL;

        /* libvirt 9.0 leaves dnsmasq's pid file in its runtime directory
         * after net-destroy; it is not labctl's, and what matters is that
         * the dnsmasq it names is gone */
        if (g_str_has_suffix (name, ".pid") && g_file_get_contents (path, &pid_text, NULL, NULL))
          {
            GPid pid = (GPid) g_ascii_strtoll (pid_text, NULL, 10);
            g_assert_false (pid > 0 && lab_process_alive (pid));
            g_test_message ("libvirt's stale pid file %s: process %d is gone", path, pid);
            continue;
          }
        /* ... and the (empty) directory of the network's ports */
        if (g_file_test (path, G_FILE_TEST_IS_DIR))
          {
            if (count_regular_files (path) == 0)
              {
                g_test_message ("libvirt's empty port directory %s/ (no files in it)", path);
                continue;
              }
          }
        g_test_message ("left behind: %s%s", path, g_file_test (path, G_FILE_TEST_IS_DIR) ? "/" : "");
        n++;
      }
  return n;
}

/* The kvm row's power-off fault: the node's domain destroyed at once (the
 * course's "force off"), through the flavor table. */
static void
test_poweroff_fault (void)
{
  g_autoptr(GError) error = NULL;
  FaultLab f = { 0 };
  LabContext *ctx = &f.ctx;

  if (!fault_lab_open (&f))
    return;
  g_assert_cmpint (virDomainIsActive (f.dom), ==, 1);
  g_assert_true (lab_flavor_node_fault (ctx, fx.node->name, LAB_NODE_FAULT_POWEROFF, &error));
  g_assert_no_error (error);
  g_assert_cmpint (virDomainIsActive (f.dom), ==, 0);
  /* fenced while cut off (experiment quorum, partition): restoring its
   * link is done (the cut was live only), cutting it is an error */
  g_assert_true (lab_flavor_node_fault (ctx, fx.node->name, LAB_NODE_FAULT_LINK_UP, &error));
  g_assert_no_error (error);
  g_assert_false (lab_flavor_node_fault (ctx, fx.node->name, LAB_NODE_FAULT_LINK_DOWN, &error));
  g_assert_nonnull (error);
  fault_lab_close (&f);
}

static void
test_down (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabVirtNetworkSpec) net = lab_vm_network_spec (fx.recipe);
  virConnectPtr conn = lab_virt_get_connect (fx.virt);
  g_autofree char *etc_qemu = g_build_filename (fx.host.work, "etc", "qemu", NULL);
  g_autofree char *etc_nets = g_build_filename (fx.host.work, "etc", "qemu", "networks", NULL);
  g_autofree char *autostart = g_build_filename (fx.host.work, "etc", "qemu", "networks", "autostart", NULL);
  g_autofree char *snapdir = g_build_filename (fx.host.work, "lib", "qemu", "snapshot", fx.node->name, NULL);
  g_autofree char *dnsmasq = g_build_filename (fx.host.work, "lib", "dnsmasq", NULL);
  g_autofree char *run_qemu = g_build_filename (fx.host.work, "run", "qemu", NULL);
  g_autofree char *run_net = g_build_filename (fx.host.work, "run", "network", NULL);
  const char *link[] = { "ip", "link", "show", "dev", net->bridge, NULL };
  g_autoptr(GError) link_error = NULL;
  g_autofree char *link_out = NULL;
  gint64 t0 = g_get_monotonic_time ();

  /* the tiny guest ignores ACPI: the graceful wait times out, then destroy */
  g_assert_true (lab_virt_domain_stop (fx.virt, fx.node->name, fx.recipe->name, 2000, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (lab_virt_domain_undefine (fx.virt, fx.node->name, fx.recipe->name, &error));
  g_assert_no_error (error);
  g_assert_true (lab_virt_network_remove (fx.virt, net->name, fx.recipe->name, &error));
  g_assert_no_error (error);
  fx.running = FALSE;
  g_test_message ("down took %.2f s", (g_get_monotonic_time () - t0) / 1e6);

  g_assert_cmpint (virConnectNumOfDomains (conn) + virConnectNumOfDefinedDomains (conn), ==, 0);
  g_assert_cmpint (virConnectNumOfNetworks (conn) + virConnectNumOfDefinedNetworks (conn), ==, 0);
  g_assert_cmpuint (count_files (etc_qemu, ".xml"), ==, 0);
  g_assert_cmpuint (count_files (etc_nets, ".xml"), ==, 0);
  g_assert_cmpuint (count_files (autostart, NULL), ==, 0);
  g_assert_false (g_file_test (snapdir, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_files (dnsmasq, net->name), ==, 0);
  g_assert_cmpuint (count_files (dnsmasq, net->bridge), ==, 0);
  g_assert_cmpuint (count_files (run_qemu, fx.node->name), ==, 0);
  g_assert_cmpuint (count_files (run_net, net->name), ==, 0);
  link_out = netns_run (link, &link_error);
  g_assert_null (link_out);
  g_assert_nonnull (link_error);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *lab = g_strdup_printf ("st%d", getpid ());
  int ret;

  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

  if (getuid () != 0)
    {
      g_test_add_func ("/system/virt/nodes", NULL);
      g_test_skip ("needs root: starts libvirtd in its own namespaces and QEMU guests");
      return g_test_run ();
    }
  g_setenv ("LABCTL_DOMAIN_TYPE", "qemu", TRUE);

  if (!virt_host_up (&fx.host, "vt", &error))
    {
      g_printerr ("# cannot start the test's libvirtd: %s\n", error->message);
      virt_host_down (&fx.host);
      return 1;
    }
  fx.recipe = virt_host_recipe (lab, 1, &error);
  if (fx.recipe != NULL)
    fx.virt = lab_virt_connect (fx.host.uri, &error);
  if (fx.virt != NULL)
    {
      fx.node = g_ptr_array_index (fx.recipe->nodes, 0);
      fx.spec = virt_host_tiny_spec (&fx.host, fx.recipe, fx.node, &error);
    }
  if (fx.spec == NULL)
    {
      g_printerr ("# setup failed: %s\n", error != NULL ? error->message : "?");
      virt_host_down (&fx.host);
      return 1;
    }

  g_test_add_func ("/system/virt/define-course-nodes", test_define_course_nodes);
  g_test_add_func ("/system/virt/access-denied", test_access_denied);
  g_test_add_func ("/system/virt/network", test_network);
  g_test_add_func ("/system/virt/boot-ping", test_boot_ping);
  g_test_add_func ("/system/virt/link-fault", test_link_fault);
  g_test_add_func ("/system/virt/snapshot-revert", test_snapshot_revert);
  g_test_add_func ("/system/virt/snapshot-external", test_snapshot_external);
  g_test_add_func ("/system/virt/poweroff-fault", test_poweroff_fault);
  g_test_add_func ("/system/virt/down", test_down);
  ret = g_test_run ();

  lab_virt_domain_spec_free (fx.spec);
  g_clear_object (&fx.virt);
  lab_recipe_free (fx.recipe);
  virt_host_down (&fx.host);
  return ret;
}
