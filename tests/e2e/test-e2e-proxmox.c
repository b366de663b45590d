/* test-e2e-proxmox.c: the proxmox flavor's whole `up`, for real, against a
 * fake installer and the Proxmox API's contract server. A private libvirtd
 * (tests/lib/virt-host.sh, its own network and mount namespaces) is the
 * host's libvirt, and labctl runs in those namespaces (where the lab
 * network and libvirt's image directory are). The ISO is a stand-in built
 * by tests/lib/build-fake-pve.sh (BIOS bootable, /auto-installer-capable;
 * its installer reads the answer from the PROXMOX-AIS image as
 * proxmox-fetch-answer does, writes a bootable system to the node's disk
 * and powers off), registered in the test's own ISO cache with `labctl iso
 * add --sha256`.
 *
 * The Proxmox API of each node: the installed fake system relays its
 * port 8006, byte for byte, to the contract server (tests/lib/lab-pve-server.c)
 * this test runs for that node on the lab network's gateway (port 10000 +
 * the last byte of the node's address, in the virt host's network
 * namespace). TLS ends at the contract server, so what labctl's install step
 * records as the node's fingerprint, by its own probe through the node, is
 * the certificate that server presents, and the pin is checked for real on
 * every later call. The server checks root@pam's password against the
 * SHA-512 crypt hash of the answer file labctl wrote (as PAM checks the
 * hash the installer put in /etc/shadow), every request against the
 * published schema, and models the cluster, the storage, the guests, the
 * tasks and the HA manager. It learns a node's power from libvirt: a
 * thread of this test polls the domains' states, and a node whose domain
 * stopped is powered off in the model (its API and connections gone, the
 * HA manager fences it), one that runs again powered on once its system
 * answers.
 *
 * The real `labctl up` of a three-node proxmox recipe (the course's stand:
 * Proxmox HA needs a quorum of the survivors to recover, 2 of 3): the ISO
 * prepared with xorriso, the answer images, the nodes booted into the
 * installer, followed through libvirt's events and their console logs
 * until they power off, the media detached, the nodes booted from their
 * disks, their API found answering TLS (fingerprints recorded), the clean
 * snapshots; then through the API: logins with the pinned certificates,
 * the cluster created and joined (new certificates from the cluster CA),
 * quorum, the iSCSI, shared LVM and import storage, the container
 * template and the VM's disk image built and uploaded, the VM (its disk
 * imported from that image) and the container created and started. Then
 * `experiment migrate` of the VM (online) and of the container (restart),
 * `experiment failover` (the VM's node powered off through libvirt, HA
 * recovery elsewhere, the node started again by labctl), `down`, nothing
 * left.
 * Checked: the state's URLs and fingerprints against the server's and
 * openssl's view through the node, the installer's console lines, no
 * install media left, the snapshots, the model after each command, and no
 * violation of the contract.
 *
 * The VM is real: whenever the model runs it on a node with power, the
 * contract server's stand-in QEMU (lab_pve_server_run_vms, TCG, 128 MiB)
 * boots the disk image labctl built and uploaded (the host's kernel and a
 * busybox initramfs, syslinux) with the MAC labctl put in its net0, on the
 * lab network's bridge; the lab network's DHCP gives it the address
 * labctl reserved. It answers ping there after `up`, before and after
 * `experiment migrate` and after `experiment failover`, and the
 * experiments probe it. A migration is a stop and a start of the
 * stand-in's QEMU (on the same host), so the downtime the probe sees is a
 * boot, not Proxmox's; the task log's figure is the model's.
 *
 * The container's address is made to answer ping in the virt host's
 * namespace (on its lo): a stand-in for the container, which here is only
 * the model's, so the probe shows the experiment's path works, not a
 * restart's gap.
 *
 * This machine has no device-mapper: the nodes' LVs (/dev/<vg>/<lv>, which
 * the proxmox nodes use as their disks) are stood in for by loop devices
 * over the LVs' extents on the lab's PV, made by the test between an `up`
 * stopped after the LV step (LABCTL_FAIL_STEP) and the `up` that resumes,
 * and removed between `labctl nodes stop` and `down`.
 *
 * Then `reset`: the nodes back to their clean snapshots of the fresh
 * install, and the API phases again. The model sees a disk go back by the
 * count of boots the fake system keeps on it (follow_boot): a count that
 * did not grow reinstalls the model's node before its API answers.
 *
 * What only a real Proxmox VE ISO and cluster prove: that its installer
 * accepts the answer and installs to the disk it names, its time, what it
 * prints, that pveproxy answers on 8006 with the certificate it keeps
 * across reboots, corosync and quorum timing, the iSCSI login and the VG
 * on the nodes, guests booting on the nodes' own QEMU. */
#define _GNU_SOURCE /* setns */
#include "config.h"

#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "lab-pve-private.h"
#include "lab-pve-server.h"
#include "lab-recipe.h"
#include "stand-test-util.h"

#define N_NODES 3
#define SCHEMA "apidata-9.1.3.json"

static const char *labctl;
static char *lab;
static char *vg;
static char *recipe_path;
static char *work_dir;
static char *state_dir;
static char *iso_dir;
static char *netns;
static char *uri;
static char *libvirtd_pid;
static char *prefix;
static char *node_address[N_NODES];
static char *vm_address;
static char *lv_loop[N_NODES];
static char *lv_link[N_NODES];
static LabPveServer *server;
static GThread *watcher;
static gint watch_stop;
static gint power_changes;
/* per node: its domain runs; how many times it started (a follower of an
 * older start gives up); the model's node is powered; the most boots its
 * disk counted (see follow_boot) */
static gint domain_on[N_NODES];
static gint domain_starts[N_NODES];
static gint model_on[N_NODES] = { TRUE, TRUE, TRUE };
static guint disk_boots[N_NODES];
static gint followers;
static gint reinstalls;
static GMutex power_lock;

static const char *const node_names[N_NODES] = { "pve1", "pve2", "pve3" };

static char *
run_labctl (int *status, const char *first, ...)
{
  g_autofree char *target = g_strdup_printf ("--target=%s", libvirtd_pid);
  const char *wrapper[] = { "nsenter", target, "--mount", "--net", NULL };
  char *out;
  va_list ap;

  va_start (ap, first);
  out = stand_test_labctl_v (wrapper, labctl, recipe_path, status, first, ap);
  va_end (ap);
  return out;
}

/* A shell command in the virt host's namespaces. */
static char *
in_host (const char *script, int *status)
{
  g_autofree char *q = g_shell_quote (script);
  g_autofree char *cmd = g_strdup_printf ("nsenter --target=%s --mount --net sh -c %s", libvirtd_pid, q);
  g_autoptr(GError) error = NULL;
  char *out = stand_test_run (cmd, status, &error);

  if (error != NULL)
    g_test_message ("%s: %s", cmd, error->message);
  return out;
}

/* A member that is an object, or NULL (json-glib's getter is critical
 * about a missing member, fatal in tests). */
static JsonObject *
obj (JsonObject *o, const char *name)
{
  JsonNode *m = o != NULL ? json_object_get_member (o, name) : NULL;

  return m != NULL && JSON_NODE_HOLDS_OBJECT (m) ? json_node_get_object (m) : NULL;
}

static JsonObject *
state_resources (JsonParser *parser)
{
  g_autofree char *path = g_build_filename (state_dir, "state.json", NULL);

  if (!json_parser_load_from_file (parser, path, NULL))
    return NULL;
  return obj (json_node_get_object (json_parser_get_root (parser)), "resources");
}

static const char *
resource (JsonObject *res, const char *key)
{
  return res != NULL ? json_object_get_string_member_with_default (res, key, NULL) : NULL;
}

static void
test_iso_add (void)
{
  g_autofree char *dir = g_build_filename (g_getenv ("LABCTL_TEST_CACHE") != NULL ? g_getenv ("LABCTL_TEST_CACHE")
                                                                                  : "/var/tmp/labctl-test-cache",
                                           "fake-pve", NULL);
  g_autofree char *script = g_build_filename (LABCTL_SOURCE_DIR, "tests", "lib", "build-fake-pve.sh", NULL);
  g_autofree char *build = g_strdup_printf ("sh %s %s", script, dir);
  g_autofree char *iso = g_build_filename (dir, "fake-pve.iso", NULL);
  g_autofree char *sum_file = g_strconcat (iso, ".sha256", NULL);
  g_autofree char *sum = NULL;
  g_autofree char *sum_opt = NULL;
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  int rc = -1;

  g_free (stand_test_run (build, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("fake Proxmox ISO ready in %.1f s", (g_get_monotonic_time () - t0) / 1e6);
  g_assert_true (g_file_get_contents (sum_file, &sum, NULL, &error));
  sum_opt = g_strdup_printf ("%s iso add --sha256=%s %s", labctl, g_strstrip (sum), iso);
  g_free (in_host (sum_opt, &rc));
  g_assert_cmpint (rc, ==, 0);
  {
    g_autofree char *cached = g_build_filename (iso_dir, "fake-pve.iso", NULL);
    g_assert_true (g_file_test (cached, G_FILE_TEST_IS_REGULAR));
  }
}

/* The nodes' LVs as the kernel would show them with device-mapper: loop
 * devices over their extents on the PV. */
static void
test_storage_and_lv (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *res;
  const char *pv;
  int rc = -1;
  g_autofree char *out = NULL;

  /* `up` as far as the nodes' LVs (the lab network first: the portal
   * listens on its gateway), stopped by the storage's test hook after each
   * LV step: one `up` per node makes one LV more (the next finds the ones
   * made done); the `up` after the stand-ins resumes */
  g_setenv ("LABCTL_FAIL_STEP", "storage.lv", TRUE);
  for (guint i = 0; i < N_NODES; i++)
    {
      g_free (out);
      out = run_labctl (&rc, "up", NULL);
      g_assert_cmpint (rc, !=, 0);
    }
  g_unsetenv ("LABCTL_FAIL_STEP");
  g_assert_nonnull (out != NULL ? strstr (out, "lv_pve3") : NULL);
  res = state_resources (parser);
  pv = resource (res, "storage.pv.device");
  g_assert_nonnull (pv);
  if (pv == NULL)
    return;
  for (guint i = 0; i < N_NODES; i++)
    {
      g_autofree char *script = g_strdup_printf (
        "set -e; export LVM_SYSTEM_DIR=%s; "
        "pe=$(pvs --devices %s --noheadings --units b --nosuffix -o pe_start %s | tr -d ' '); "
        "ext=$(vgs --devices %s --noheadings --units b --nosuffix -o vg_extent_size %s | tr -d ' '); "
        "r=$(lvs --devices %s --noheadings --segments -o seg_pe_ranges %s/lv_%s); r=$(echo $r); "
        "r=${r#*:}; first=${r%%-*}; last=${r#*-}; [ -n \"$first\" ] && [ -n \"$last\" ]; "
        "losetup -f --show -o $((pe + first * ext)) --sizelimit $(((last - first + 1) * ext)) %s",
        g_getenv ("LABCTL_LVM_SYSTEM_DIR"), pv, pv, pv, vg, pv, vg, node_names[i], pv);
      g_autofree char *loop = in_host (script, &rc);
      g_autofree char *d = NULL;

      g_assert_cmpint (rc, ==, 0);
      g_assert_nonnull (loop);
      if (loop == NULL)
        return;
      lv_loop[i] = g_strdup (g_strstrip (loop));
      g_assert_true (g_str_has_prefix (lv_loop[i], "/dev/loop"));
      lv_link[i] = g_strdup_printf ("/dev/%s/lv_%s", vg, node_names[i]);
      d = g_path_get_dirname (lv_link[i]);
      g_assert_cmpint (g_mkdir_with_parents (d, 0755), ==, 0);
      g_assert_cmpint (symlink (lv_loop[i], lv_link[i]), ==, 0);
      g_test_message ("LV stand-in %s -> %s", lv_link[i], lv_loop[i]);
    }
}

/* ---- the contract server, one per node, on the lab network's gateway -------- */

static void
quiet (void *data, virErrorPtr err)
{
}

/* The count of boots on the node's disk that its system serves, NULL
 * while it does not answer. */
static char *
boots_now (const char *address, guint seconds)
{
  g_autofree char *script = g_strdup_printf ("curl -sf --max-time %u http://%s/boots || true", seconds, address);
  int rc = -1;
  char *out = in_host (script, &rc);

  if (out != NULL && *g_strstrip (out) == '\0')
    g_clear_pointer (&out, g_free);
  return out;
}

typedef struct {
  guint i;
  gint  start;
} Follow;

/* Node i's domain started: the model powers the node on once its system
 * answers (the installer's boot never does: the model's node stays off
 * through the install). The count of boots its disk keeps tells a
 * reinstall: a count that did not grow means the disk went back (`reset`
 * takes it to the clean snapshot of the fresh install), and the model's
 * node is reinstalled first. Its API answers only after that, so labctl
 * never meets the node of before. */
static gpointer
follow_boot (gpointer data)
{
  Follow *f = data;
  guint i = f->i;

  while (!g_atomic_int_get (&watch_stop) && g_atomic_int_get (&domain_starts[i]) == f->start
         && g_atomic_int_get (&domain_on[i]))
    {
      g_autofree char *boots = boots_now (node_address[i], 2);
      guint n = boots != NULL ? (guint) g_ascii_strtoull (boots, NULL, 10) : 0;

      if (n == 0)
        {
          g_usleep (300 * 1000);
          continue;
        }
      g_mutex_lock (&power_lock);
      if (g_atomic_int_get (&domain_starts[i]) == f->start)
        {
          if (n <= disk_boots[i])
            {
              lab_pve_server_node_reinstalled (server, node_names[i]);
              g_atomic_int_inc (&reinstalls);
            }
          disk_boots[i] = n;
          lab_pve_server_power_on (server, node_names[i]);
          g_atomic_int_set (&model_on[i], TRUE);
        }
      g_mutex_unlock (&power_lock);
      break;
    }
  g_free (f);
  g_atomic_int_dec_and_test (&followers);
  return NULL;
}

/* The model's power follows each node's domain (see the top): off at
 * once, on when the node's system answers (follow_boot). */
static gpointer
power_watch (gpointer data)
{
  virConnectPtr conn = virConnectOpen (uri);
  gboolean on[N_NODES] = { TRUE, TRUE, TRUE };

  if (conn == NULL)
    return NULL;
  /* a node without a domain yet is not an error worth a line */
  virConnSetErrorFunc (conn, NULL, quiet);
  while (!g_atomic_int_get (&watch_stop))
    {
      for (guint i = 0; i < N_NODES; i++)
        {
          virDomainPtr d = virDomainLookupByName (conn, node_names[i]);
          int state = VIR_DOMAIN_NOSTATE, reason = 0;
          gboolean now;

          if (d != NULL)
            {
              virDomainGetState (d, &state, &reason, 0);
              virDomainFree (d);
            }
          now = state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_PAUSED || state == VIR_DOMAIN_BLOCKED;
          if (now == on[i])
            continue;
          on[i] = now;
          g_atomic_int_inc (&power_changes);
          g_atomic_int_set (&domain_on[i], now);
          if (now)
            {
              Follow *f = g_new0 (Follow, 1);

              f->i = i;
              f->start = g_atomic_int_add (&domain_starts[i], 1) + 1;
              g_atomic_int_inc (&followers);
              g_thread_unref (g_thread_new ("follow-boot", follow_boot, f));
            }
          else
            {
              /* stopped: the follower of its start gives up */
              g_mutex_lock (&power_lock);
              g_atomic_int_inc (&domain_starts[i]);
              if (g_atomic_int_get (&model_on[i]))
                lab_pve_server_power_off (server, node_names[i]);
              g_atomic_int_set (&model_on[i], FALSE);
              g_mutex_unlock (&power_lock);
            }
        }
      g_usleep (100 * 1000);
    }
  virConnectClose (conn);
  return NULL;
}

static void
test_server (void)
{
  g_autofree char *text = NULL;
  g_autoptr(LabRecipe) recipe = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *schema = g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", "pve", SCHEMA, NULL);
  g_autofree char *ns_path = g_strdup_printf ("/proc/%s/ns/net", libvirtd_pid);
  g_autofree char *gateway = g_strdup_printf ("%s.1", prefix);
  char *answers[N_NODES] = { NULL };
  LabPveServerNode nodes[N_NODES];
  const char *own[N_NODES + 1] = { "lv_pve1", "lv_pve2", "lv_pve3", NULL };
  int self_ns = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int lab_ns = open (ns_path, O_RDONLY | O_CLOEXEC);
  int rc = -1;

  g_assert_true (g_file_get_contents (recipe_path, &text, NULL, &error));
  recipe = lab_recipe_load_data (text, -1, recipe_path, &error);
  g_assert_no_error (error);
  if (recipe == NULL)
    return;
  for (guint i = 0; i < N_NODES; i++)
    {
      answers[i] = g_build_filename (state_dir, "nodes", node_names[i], "answer.toml", NULL);
      nodes[i] = (LabPveServerNode) { node_names[i], node_address[i], NULL, gateway, 10011 + i, answers[i] };
    }
  /* the server's thread, and so its sockets, in the virt host's network
   * namespace, where the lab network's gateway is */
  g_assert_cmpint (self_ns, >=, 0);
  g_assert_cmpint (lab_ns, >=, 0);
  g_assert_cmpint (setns (lab_ns, CLONE_NEWNET), ==, 0);
  server = lab_pve_server_new (schema, nodes, N_NODES, recipe->iqn, recipe->portal_address, recipe->vg_name, own,
                               &error);
  g_assert_cmpint (setns (self_ns, CLONE_NEWNET), ==, 0);
  close (self_ns);
  close (lab_ns);
  for (guint i = 0; i < N_NODES; i++)
    g_free (answers[i]);
  g_assert_no_error (error);
  if (server == NULL)
    return;
  /* the VM's QEMU on the lab network's bridge (in the server's namespace) */
  lab_pve_server_run_vms (server, recipe->bridge);
  vm_address = lab_pve_vm_address (recipe);
  watcher = g_thread_new ("power-watch", power_watch, NULL);
  /* the container's stand-in address (see the top) */
  {
    g_autofree char *cmd = g_strdup_printf ("ip addr add %s.51/32 dev lo && ip link set lo up", prefix);
    g_free (in_host (cmd, &rc));
    g_assert_cmpint (rc, ==, 0);
  }
}

static JsonObject *
model_node (JsonNode *dump, const char *node)
{
  return obj (obj (json_node_get_object (dump), "nodes"), node);
}

/* Where the model has guest ("qemu/100"), or NULL. */
static char *
guest_node (const char *id)
{
  g_autoptr(JsonNode) dump = server != NULL ? lab_pve_server_dump (server) : NULL;
  JsonObject *guests = dump != NULL ? obj (model_node (dump, "pve1"), "guests") : NULL;
  JsonObject *g = guests != NULL ? obj (guests, id) : NULL;

  return g != NULL ? g_strdup (json_object_get_string_member (g, "node")) : NULL;
}

static void
assert_no_violations (void)
{
  g_autoptr(GPtrArray) v = NULL;

  if (server == NULL)
    return;
  v = lab_pve_server_get_violations (server);
  for (guint i = 0; i < v->len; i++)
    g_test_message ("violation: %s", (char *) v->pdata[i]);
  g_assert_cmpuint (v->len, ==, 0);
}

/* The VM answers ping at its reserved address within tries seconds. */
static gboolean
vm_answers (guint tries)
{
  g_autofree char *cmd = g_strdup_printf ("ping -c 1 -W 1 %s >/dev/null", vm_address);

  for (guint i = 0; i < tries; i++)
    {
      int rc = -1;
      g_free (in_host (cmd, &rc));
      if (rc == 0)
        return TRUE;
    }
  return FALSE;
}

static void
assert_vm_answers (const char *when)
{
  gint64 t0 = g_get_monotonic_time ();
  gboolean up = vm_answers (240);
  g_autofree char *console = lab_pve_server_vm_log (server, 100);
  g_autofree char *line = g_strdup_printf ("labctl-tiny: up, eth0 %s/", vm_address);

  g_test_message ("%s: the VM %s at %s after %.1f s (%u QEMU starts)", when, up ? "answers ping" : "does NOT answer",
                  vm_address, (g_get_monotonic_time () - t0) / 1e6, lab_pve_server_vm_starts (server));
  if (!up)
    g_test_message ("its console:\n%s", console != NULL ? console : "(none)");
  g_assert_true (up);
  g_assert_nonnull (console != NULL ? strstr (console, line) : NULL);
}

static char *
http_boots (const char *address)
{
  g_autofree char *script = g_strdup_printf ("curl -sf --max-time 2 http://%s/boots", address);
  int rc = -1;
  char *out = in_host (script, &rc);

  if (rc != 0)
    g_clear_pointer (&out, g_free);
  return out != NULL ? g_strstrip (out) : NULL;
}

/* The SHA-256 fingerprint of what a client sees on address:8006. */
static char *
fingerprint_at (const char *address)
{
  g_autofree char *script = g_strdup_printf ("openssl s_client -connect %s:8006 </dev/null 2>/dev/null | "
                                             "openssl x509 -noout -fingerprint -sha256 | sed 's/.*=//'", address);
  int rc = -1;
  char *fp = in_host (script, &rc);

  return fp != NULL ? g_strstrip (fp) : NULL;
}

static void
test_up (void)
{
  int rc = -1;
  g_autofree char *out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonNode) dump = NULL;
  JsonObject *res;
  gint64 t0 = g_get_monotonic_time ();

  g_assert_nonnull (server);
  if (server == NULL)
    return;
  out = run_labctl (&rc, "up", NULL);
  g_test_message ("labctl up (%.0f s): %s", (g_get_monotonic_time () - t0) / 1e6, out != NULL ? out : "");
  g_assert_cmpint (rc, ==, 0);
  res = state_resources (parser);
  dump = lab_pve_server_dump (server);
  for (guint i = 0; i < N_NODES; i++)
    {
      const char *n = node_names[i];
      g_autofree char *want_api = g_strdup_printf ("https://%s:8006", node_address[i]);
      g_autofree char *api_key = g_strdup_printf ("nodes.%s.pve.api", n);
      g_autofree char *fp_key = g_strdup_printf ("nodes.%s.pve.fingerprint", n);
      g_autofree char *pin_key = g_strdup_printf ("pve.node.%s.fingerprint", n);
      g_autofree char *install_fp = lab_pve_server_get_fingerprint (server, n);
      g_autofree char *seen = fingerprint_at (node_address[i]);
      g_autofree char *log_path = g_build_filename (state_dir, "nodes", n, "console.log", NULL);
      g_autofree char *log = NULL;
      g_autofree char *boots = http_boots (node_address[i]);
      JsonObject *o = model_node (dump, n);

      g_assert_cmpstr (resource (res, api_key), ==, want_api);
      /* what the install step recorded, by its own probe through the
       * node's 8006, is the certificate the contract server presented */
      g_assert_cmpstr (resource (res, fp_key), ==, install_fp);
      /* what a client sees there now: the node's certificate of today (the
       * joined nodes' from the cluster CA), the pin labctl holds */
      g_assert_cmpstr (seen, ==, json_object_get_string_member (o, "fingerprint"));
      if (i == 0)
        g_assert_cmpstr (seen, ==, install_fp);
      else
        {
          g_assert_cmpstr (seen, !=, install_fp);
          g_assert_cmpstr (resource (res, pin_key), ==, seen);
        }
      g_assert_cmpstr (json_object_get_string_member (o, "cluster"), ==, lab);
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "members")), ==, N_NODES);
      /* the installer found the answer on the PROXMOX-AIS image, and it fits the node */
      g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
      g_assert_nonnull (log != NULL ? strstr (log, "FAKE-INSTALLER: answer for") : NULL);
      g_assert_nonnull (log != NULL ? strstr (log, "FAKE-INSTALLER: installation finished") : NULL);
      g_assert_null (log != NULL ? strstr (log, "ERROR") : NULL);
      /* the ACPI shutdown before the snapshot was the node's own */
      g_assert_nonnull (log != NULL ? strstr (log, "fake-pve: power button: shutting down") : NULL);
      /* booted from its disk: no install media in the domain any more */
      {
        g_autofree char *cmd = g_strdup_printf ("virsh -q -c '%s' domblklist %s", uri, n);
        g_autofree char *blk = stand_test_run (cmd, NULL, NULL);
        g_autofree char *snap_cmd = g_strdup_printf ("virsh -q -c '%s' snapshot-list %s --name", uri, n);
        g_autofree char *snaps = stand_test_run (snap_cmd, NULL, NULL);

        g_assert_nonnull (blk);
        g_assert_null (blk != NULL ? strstr (blk, ".iso") : NULL);
        g_assert_null (blk != NULL ? strstr (blk, "answer.img") : NULL);
        g_assert_nonnull (snaps != NULL ? strstr (snaps, "clean") : NULL);
      }
      /* booted twice from its disk: once to find its API, once after the snapshot */
      g_assert_cmpstr (boots, ==, "2");
    }
  {
    JsonObject *o = model_node (dump, "pve1");
    JsonObject *storage = obj (o, "storage");
    JsonObject *lvm = obj (storage, "lab-lvm");
    JsonArray *templates = json_object_get_array_member (model_node (dump, "pve2"), "templates");

    g_assert_nonnull (obj (storage, "lab-iscsi"));
    g_assert_nonnull (lvm);
    g_assert_cmpstr (lvm != NULL ? json_object_get_string_member (lvm, "vgname") : NULL, ==, vg);
    g_assert_cmpuint (json_array_get_length (templates), ==, 1);
    /* the VM's disk: the image labctl built, uploaded to pve1's lab-import
     * (content import) and imported onto the shared LVM at create */
    g_assert_nonnull (obj (storage, "lab-import"));
    templates = json_object_get_array_member (o, "templates");
    g_assert_cmpuint (json_array_get_length (templates), ==, 1);
    g_assert_cmpstr (json_array_get_length (templates) > 0 ? json_array_get_string_element (templates, 0) : NULL, ==,
                     "lab-import:import/labctl-tiny.raw");
  }
  {
    g_autofree char *vm = guest_node ("qemu/100");
    g_autofree char *ct = guest_node ("lxc/101");
    g_assert_cmpstr (vm, ==, "pve1");
    g_assert_cmpstr (ct, ==, "pve2");
  }
  /* the VM booted its disk and took the address reserved for its MAC */
  assert_vm_answers ("after up");
  g_assert_cmpuint (lab_pve_server_vm_starts (server), ==, 1);
  assert_no_violations ();
}

static void
test_migrate (void)
{
  int rc = -1;
  g_autofree char *vm_out = NULL;
  g_autofree char *vm_node = NULL;
  g_autofree char *ct_out = NULL;
  g_autofree char *ct_node = NULL;
  guint starts;

  assert_vm_answers ("before experiment migrate");
  starts = lab_pve_server_vm_starts (server);
  vm_out = run_labctl (&rc, "experiment", "migrate", "--guest=lab-vm", NULL);
  g_test_message ("experiment migrate lab-vm: %s", vm_out != NULL ? vm_out : "");
  g_assert_cmpint (rc, ==, 0);
  vm_node = guest_node ("qemu/100");
  g_assert_cmpstr (vm_node, ==, "pve2");
  g_assert_nonnull (vm_out != NULL ? strstr (vm_out, "pve1 -> pve2") : NULL);
  /* probed at its address (it answered before: the experiment checks it);
   * the gap the probe sees is the stand-in QEMU's boot on "pve2" */
  g_assert_null (vm_out != NULL ? strstr (vm_out, "no ping probe") : "");
  g_assert_nonnull (vm_out != NULL ? strstr (vm_out, "downtime seen by ping") : NULL);
  g_assert_nonnull (vm_out != NULL ? strstr (vm_out, "guest answers on pve2: yes") : NULL);
  /* the stand-in's QEMU started again "on pve2", and the VM answers there */
  assert_vm_answers ("after experiment migrate");
  g_assert_cmpuint (lab_pve_server_vm_starts (server), ==, starts + 1);
  ct_out = run_labctl (&rc, "experiment", "migrate", "--guest=lab-ct", NULL);
  g_test_message ("experiment migrate lab-ct: %s", ct_out != NULL ? ct_out : "");
  g_assert_cmpint (rc, ==, 0);
  ct_node = guest_node ("lxc/101");
  g_assert_cmpstr (ct_node, ==, "pve3");
  g_assert_nonnull (ct_out != NULL ? strstr (ct_out, "Restart migration of lab-ct: pve2 -> pve3") : NULL);
  assert_no_violations ();
}

/* The VM's node (pve2 after the migration) powered off through libvirt;
 * the HA manager of the survivors recovers the VM elsewhere; then labctl
 * starts the node again (the lab's plan) and it rejoins. */
static void
test_failover (void)
{
  int rc = -1;
  gint changes = g_atomic_int_get (&power_changes);
  g_autofree char *out = run_labctl (&rc, "experiment", "failover", "--guest=lab-vm", "--timeout=120", NULL);
  g_autoptr(JsonNode) dump = NULL;
  g_autofree char *vm_node = NULL;
  g_autofree char *boots = NULL;
  JsonObject *ha;

  g_test_message ("experiment failover lab-vm: %s", out != NULL ? out : "");
  g_assert_cmpint (rc, ==, 0);
  g_assert_nonnull (server);
  if (server == NULL)
    return;
  g_assert_nonnull (out != NULL ? strstr (out, "Failover of guest lab-vm (Proxmox HA): poweroff of node pve2") : NULL);
  g_assert_nonnull (out != NULL ? strstr (out, "watchdog") : NULL);
  g_assert_nonnull (out != NULL ? strstr (out, "Node pve2 was started again and rejoined the cluster") : NULL);
  /* the VM was probed through its recovery */
  g_assert_nonnull (out != NULL ? strstr (out, "guest answers ping: pve") : NULL);
  /* the watcher saw pve2's domain go (virDomainDestroy) and come back */
  g_assert_cmpint (g_atomic_int_get (&power_changes), >=, changes + 2);
  dump = lab_pve_server_dump (server);
  vm_node = guest_node ("qemu/100");
  g_assert_nonnull (vm_node);
  g_assert_cmpstr (vm_node, !=, "pve2");
  ha = obj (model_node (dump, "pve1"), "ha");
  g_assert_cmpstr (ha != NULL ? json_object_get_string_member_with_default (ha, "vm:100", NULL) : NULL, ==, "started");
  /* its fake system answers again: the third boot from its disk (labctl's
   * "rejoined" waited for the model's node online, which follows it) */
  for (guint i = 0; i < 120 && boots == NULL; i++)
    {
      boots = http_boots (node_address[1]);
      if (boots == NULL)
        g_usleep (G_USEC_PER_SEC);
    }
  g_assert_cmpstr (boots, ==, "3");
  /* and the model's node is on once its system answers (follow_boot),
   * with its state: a count that grew is no reinstall */
  for (guint i = 0; i < 50 && !g_atomic_int_get (&model_on[1]); i++)
    g_usleep (100 * 1000);
  g_clear_pointer (&dump, json_node_unref);
  dump = lab_pve_server_dump (server);
  g_assert_true (json_object_get_boolean_member (model_node (dump, "pve2"), "powered"));
  g_assert_cmpstr (json_object_get_string_member (model_node (dump, "pve2"), "cluster"), ==, lab);
  /* recovered on a survivor: its QEMU started there, the VM answers */
  assert_vm_answers ("after experiment failover");
  assert_no_violations ();
}

/* `labctl reset` after the experiments (once stopped by a failed join,
 * then again): every node back to the clean snapshot of its fresh install (its disk's boot count goes back, and the
 * model's node is reinstalled: no cluster, storage or guests), then the
 * API phases again: the cluster re-formed with 3 votes and quorate, the
 * storage, uploads and guests made again at home, and the state's
 * records those of the new cluster. */
static void
test_reset (void)
{
  int rc = -1;
  gint before = g_atomic_int_get (&reinstalls);
  gint64 t0;
  g_autofree char *failed = NULL;
  g_autofree char *out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonNode) dump = NULL;
  JsonObject *res, *steps;

  g_assert_nonnull (server);
  if (server == NULL)
    return;
  /* first a failure while converging (the first join's task fails): the
   * error says how to finish, and the next reset does */
  lab_pve_server_fail_next_task (server, "clusterjoin", "modelled fault: the join failed");
  failed = run_labctl (&rc, "reset", "--progress=json", NULL);
  g_assert_cmpint (rc, !=, 0);
  g_assert_nonnull (failed != NULL ? strstr (failed, "modelled fault: the join failed") : NULL);
  g_assert_nonnull (failed != NULL ? strstr (failed, "'labctl up' (or 'labctl reset') finishes the job") : NULL);
  /* and the error event names the lab's log of every command */
  g_assert_nonnull (failed != NULL ? strstr (failed, "/labctl.log\"") : NULL);
  g_assert_null (failed != NULL ? strstr (failed, "\"log\":null") : "");
  g_assert_cmpint (g_atomic_int_get (&reinstalls), ==, before + N_NODES);

  t0 = g_get_monotonic_time ();
  out = run_labctl (&rc, "reset", NULL);
  g_test_message ("labctl reset (%.0f s): %s", (g_get_monotonic_time () - t0) / 1e6, out != NULL ? out : "");
  g_assert_cmpint (rc, ==, 0);
  g_assert_cmpint (g_atomic_int_get (&reinstalls), ==, before + 2 * N_NODES);
  /* the quorum step asked again: its check (every node online, quorate)
   * passes as the last join ends, or its wait does */
  g_assert_true (out != NULL
                 && (strstr (out, "Wait for the Proxmox cluster's quorum: nothing to do") != NULL
                     || strstr (out, "quorate, 3 of 3 votes, every node online") != NULL));
  g_assert_nonnull (out != NULL ? strstr (out, "steps that the reset undid were applied again") : NULL);
  res = state_resources (parser);
  steps = obj (json_node_get_object (json_parser_get_root (parser)), "steps");
  dump = lab_pve_server_dump (server);
  for (guint i = 0; i < N_NODES; i++)
    {
      const char *n = node_names[i];
      JsonObject *o = model_node (dump, n);
      g_autofree char *pin_key = g_strdup_printf ("pve.node.%s.fingerprint", n);
      g_autofree char *install_fp = lab_pve_server_get_fingerprint (server, n);
      g_autofree char *boots = http_boots (node_address[i]);

      /* the clean snapshot had one boot from the disk: this is the second */
      g_assert_cmpstr (boots, ==, "2");
      g_assert_true (json_object_get_boolean_member (o, "powered"));
      g_assert_cmpstr (json_object_get_string_member (o, "cluster"), ==, lab);
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "members")), ==, N_NODES);
      if (i == 0)
        g_assert_cmpstr (json_object_get_string_member (o, "fingerprint"), ==, install_fp);
      else
        {
          g_assert_cmpstr (json_object_get_string_member (o, "fingerprint"), !=, install_fp);
          g_assert_cmpstr (resource (res, pin_key), ==, json_object_get_string_member (o, "fingerprint"));
        }
    }
  {
    JsonObject *o = model_node (dump, "pve1");
    JsonObject *storage = obj (o, "storage");
    g_autofree char *vm = guest_node ("qemu/100");
    g_autofree char *ct = guest_node ("lxc/101");

    g_assert_nonnull (obj (storage, "lab-iscsi"));
    g_assert_nonnull (obj (storage, "lab-lvm"));
    g_assert_nonnull (obj (storage, "lab-import"));
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "templates")), ==, 1);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (model_node (dump, "pve2"), "templates")),
                      ==, 1);
    /* at home again, and no HA resource: that went with the old cluster */
    g_assert_cmpstr (vm, ==, "pve1");
    g_assert_cmpstr (ct, ==, "pve2");
    g_assert_cmpuint (obj (o, "ha") != NULL ? json_object_get_size (obj (o, "ha")) : 1, ==, 0);
  }
  g_assert_cmpstr (resource (res, "pve.cluster.name"), ==, lab);
  g_assert_cmpstr (resource (res, "pve.guest.qemu.node"), ==, "pve1");
  g_assert_cmpstr (resource (res, "pve.guest.lxc.node"), ==, "pve2");
  g_assert_null (resource (res, "pve.ha.sid"));
  g_assert_nonnull (steps);
  if (steps != NULL)
    {
      g_autoptr(GList) ids = json_object_get_members (steps);

      for (GList *l = ids; l != NULL; l = l->next)
        {
          JsonObject *st = obj (steps, l->data);

          if (g_strcmp0 (st != NULL ? json_object_get_string_member (st, "status") : NULL, "done") != 0)
            g_test_message ("step %s is not done", (const char *) l->data);
          g_assert_cmpstr (st != NULL ? json_object_get_string_member (st, "status") : NULL, ==, "done");
        }
    }
  /* made again and started at home: the VM answers */
  assert_vm_answers ("after labctl reset");
  assert_no_violations ();
}

static void
remove_lv_standins (void)
{
  for (guint i = 0; i < N_NODES; i++)
    {
      if (lv_link[i] != NULL)
        {
          g_autofree char *d = g_path_get_dirname (lv_link[i]);
          g_unlink (lv_link[i]);
          g_rmdir (d);
          g_clear_pointer (&lv_link[i], g_free);
        }
      if (lv_loop[i] != NULL)
        {
          g_autofree char *cmd = g_strdup_printf ("losetup -d %s", lv_loop[i]);
          int rc = -1;
          g_free (stand_test_run (cmd, &rc, NULL));
          g_clear_pointer (&lv_loop[i], g_free);
        }
    }
}

static void
test_down (void)
{
  int rc = -1;
  g_autofree char *out = run_labctl (&rc, "down", "--keep-storage", NULL);
  g_autofree char *stopped = NULL;
  g_autofree char *again = NULL;
  g_autoptr(JsonNode) dump = NULL;
  JsonObject *o;

  /* the API's undo first: guests, HA resource, template and Proxmox
   * storage gone from the cluster; the host's storage kept */
  g_test_message ("labctl down --keep-storage: %s", out != NULL ? out : "");
  g_assert_cmpint (rc, ==, 0);
  if (server == NULL)
    {
      g_test_fail ();
      return;
    }
  dump = lab_pve_server_dump (server);
  o = model_node (dump, "pve1");
  g_assert_nonnull (obj (o, "guests"));
  g_assert_cmpuint (obj (o, "guests") != NULL ? json_object_get_size (obj (o, "guests")) : 1, ==, 0);
  g_assert_cmpuint (obj (o, "ha") != NULL ? json_object_get_size (obj (o, "ha")) : 1, ==, 0);
  g_assert_null (obj (obj (o, "storage"), "lab-lvm"));
  g_assert_null (obj (obj (o, "storage"), "lab-iscsi"));
  g_assert_null (obj (obj (o, "storage"), "lab-import"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "templates")), ==, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (model_node (dump, "pve2"), "templates")), ==,
                    0);
  assert_no_violations ();
  /* the nodes' domains went with that down: their disks are closed, and
   * the stand-ins can go before the storage under them does */
  stopped = run_labctl (&rc, "nodes", "stop", NULL);
  remove_lv_standins ();
  g_free (out);
  out = run_labctl (&rc, "down", NULL);
  g_assert_cmpint (rc, ==, 0);
  again = run_labctl (&rc, "down", NULL);
  g_assert_cmpint (rc, ==, 0);
  g_assert_nonnull (again != NULL ? strstr (again, "Nothing to remove") : NULL);
}

static void
test_nothing_left (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *loops = stand_test_run ("losetup -a", NULL, &error);
  g_autofree char *cmd = g_strdup_printf ("virsh -c '%s' list --all --name", uri);
  g_autofree char *domains = stand_test_run (cmd, NULL, &error);
  g_autofree char *images = g_build_filename (work_dir, "libvirt", "lib", "images", NULL);
  g_autoptr(GDir) dir = g_dir_open (images, 0, NULL);
  int rc = -1;
  g_autofree char *mounts = in_host ("cat /proc/mounts", &rc);

  g_assert_no_error (error);
  g_assert_null (loops != NULL ? strstr (loops, work_dir) : NULL);
  g_assert_null (domains != NULL ? strstr (domains, "pve") : NULL);
  g_assert_false (g_file_test (state_dir, G_FILE_TEST_EXISTS));
  /* the clean snapshots' overlays went with the domains */
  g_assert_nonnull (dir);
  g_assert_null (dir != NULL ? g_dir_read_name (dir) : "none");
  g_assert_null (mounts != NULL ? strstr (mounts, work_dir) : NULL);
  g_assert_false (stand_test_process_with (state_dir));
  /* the ISO cache is the machine's, shared by labs: it stays */
  {
    g_autofree char *prepared = g_build_filename (iso_dir, "fake-pve-auto-from-partition.iso", NULL);
    g_assert_true (g_file_test (prepared, G_FILE_TEST_IS_REGULAR));
  }
}

static gboolean
virt_host (const char *verb, GError **error)
{
  g_autofree char *script = g_build_filename (LABCTL_SOURCE_DIR, "tests", "lib", "virt-host.sh", NULL);
  g_autofree char *dir = g_build_filename (work_dir, "libvirt", NULL);
  g_autofree char *cmd = g_strdup_printf ("sh %s %s %s %s", script, verb, dir, netns);
  int rc = -1;
  g_autofree char *out = stand_test_run (cmd, &rc, error);

  if (out == NULL || rc != 0)
    return FALSE;
  if (g_str_equal (verb, "up"))
    {
      g_autofree char *pid_file = g_build_filename (dir, "run", "libvirtd.pid", NULL);
      g_autofree char *images = g_build_filename (dir, "lib", "images", NULL);
      uri = g_strdup (g_strstrip (out));
      if (!g_file_get_contents (pid_file, &libvirtd_pid, NULL, error))
        return FALSE;
      g_strstrip (libvirtd_pid);
      /* libvirt's image directory (libvirt-daemon-system makes it): the
       * overlays of external snapshots of block devices go there */
      g_mkdir_with_parents (images, 0711);
    }
  return TRUE;
}

static char *
write_recipe (GError **error)
{
  g_autofree char *path = g_build_filename (work_dir, "pve-e2e.lab", NULL);
  g_autofree char *iso = g_build_filename (iso_dir, "fake-pve.iso", NULL);
  guint portal_port = (guint) g_random_int_range (40000, 60000);
  guint control_port = (guint) g_random_int_range (20000, 32000);
  g_autofree char *text = NULL;

  prefix = stand_test_subnet_prefix ();
  text = g_strdup_printf (
    "[lab]\nname = %s\nflavor = proxmox\n"
    "[storage]\nsize = 2G\nvg = %s\ncontrol-port = %u\nportal = %s.1:%u\n"
    "[network]\nsubnet = %s.0/24\n"
    "[nodes]\ncount = %u\nvcpus = 1\nmemory = 320\ndisk = 256M\ninstall-media = %s\n",
    lab, vg, control_port, prefix, portal_port, prefix, N_NODES, iso);
  for (guint i = 0; i < N_NODES; i++)
    node_address[i] = g_strdup_printf ("%s.%u", prefix, 11 + i);
  if (!g_file_set_contents (path, text, -1, error))
    return NULL;
  return g_steal_pointer (&path);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state_parent = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  if (getuid () != 0)
    {
      g_test_skip ("needs root: the lab runs libvirtd, tgtd, loop devices and node VMs");
      return g_test_run ();
    }
  labctl = g_getenv ("LABCTL");
  g_assert_nonnull (labctl);
  lab = g_strdup_printf ("px%d", (int) getpid () % 100000);
  vg = g_strdup_printf ("vg_%s", lab);
  netns = g_strdup_printf ("labctl-%s-host", lab);
  work_dir = g_strdup_printf ("/var/tmp/labctl-e2e-%s", lab);
  g_assert_cmpint (g_mkdir_with_parents (work_dir, 0755), ==, 0);
  g_chmod (work_dir, 0755);
  state_parent = g_build_filename (work_dir, "state", NULL);
  state_dir = g_build_filename (state_parent, lab, NULL);
  iso_dir = g_build_filename (work_dir, "iso", NULL);
  g_setenv ("LABCTL_STATE_DIR", state_parent, TRUE);
  g_setenv ("LABCTL_ISO_DIR", iso_dir, TRUE);
  /* the VM's disk image is built once there (as e2e-kvm's node image) */
  if (g_getenv ("LABCTL_CACHE_DIR") == NULL)
    g_setenv ("LABCTL_CACHE_DIR", "/var/tmp/labctl-cache", TRUE);
  /* this machine's /dev/kvm cannot run a guest: TCG */
  g_setenv ("LABCTL_DOMAIN_TYPE", "qemu", FALSE);
  /* and its CPU has no VT-x: the host check is shown a VT-x host (the check
   * itself is tested on such trees in the unit suite) */
  g_setenv ("LABCTL_SYSROOT", LABCTL_SOURCE_DIR "/tests/data/hosts/intel-nested", TRUE);
  g_assert_true (stand_test_lvm_system_dir (work_dir, &error));
  recipe_path = write_recipe (&error);
  g_assert_no_error (error);
  if (!virt_host ("up", &error))
    {
      g_test_message ("virt-host.sh up failed: %s", error != NULL ? error->message : "");
      g_test_fail ();
      return g_test_run ();
    }
  g_setenv ("LABCTL_LIBVIRT_URI", uri, TRUE);

  g_test_add_func ("/e2e-proxmox/iso-add", test_iso_add);
  g_test_add_func ("/e2e-proxmox/storage", test_storage_and_lv);
  g_test_add_func ("/e2e-proxmox/api-server", test_server);
  g_test_add_func ("/e2e-proxmox/up", test_up);
  g_test_add_func ("/e2e-proxmox/migrate", test_migrate);
  g_test_add_func ("/e2e-proxmox/failover", test_failover);
  g_test_add_func ("/e2e-proxmox/reset", test_reset);
  g_test_add_func ("/e2e-proxmox/down", test_down);
  g_test_add_func ("/e2e-proxmox/nothing-left", test_nothing_left);
  rc = g_test_run ();

  /* whatever happened: the lab down, then the private libvirtd */
  {
    int down_rc = -1;
    g_free (run_labctl (&down_rc, "nodes", "stop", NULL));
    remove_lv_standins ();
    g_free (run_labctl (&down_rc, "down", NULL));
  }
  if (watcher != NULL)
    {
      g_atomic_int_set (&watch_stop, 1);
      g_thread_join (watcher);
    }
  while (g_atomic_int_get (&followers) > 0)
    g_usleep (100 * 1000);
  g_test_message ("the model's power followed the domains %d times", g_atomic_int_get (&power_changes));
  lab_pve_server_free (server);
  virt_host ("down", NULL);
  if (g_getenv ("LABCTL_TEST_KEEP") == NULL)
    {
      g_autofree char *rm = g_strdup_printf ("rm -rf %s", work_dir);
      stand_test_run (rm, NULL, NULL);
    }
  return rc;
}
