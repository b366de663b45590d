/* test-e2e-proxmox.c: the proxmox flavor's install, for real, against a
 * fake installer. A private libvirtd (tests/lib/virt-host.sh, its own
 * network and mount namespaces) is the host's libvirt, and labctl runs in
 * those namespaces (where the lab network and libvirt's image directory
 * are). The ISO is a stand-in built by tests/lib/build-fake-pve.sh (BIOS
 * bootable, /auto-installer-capable; its installer reads the answer from
 * the PROXMOX-AIS image as proxmox-fetch-answer does, writes a bootable
 * system to the node's disk and powers off; that system answers HTTPS on
 * 8006), registered in the test's own ISO cache with `labctl iso add
 * --sha256`. The real `labctl up` of a one-node proxmox recipe then: the
 * ISO prepared with xorriso, the answer image, the node booted into the
 * installer, followed through libvirt's events and its console log until it
 * powers off, the media detached, the node booted from its disk, its API
 * found answering TLS (fingerprint recorded), the clean snapshot. Checked:
 * the state's api URL and fingerprint (the fingerprint computed here with
 * openssl), the installer's console lines (it found the answer, matched
 * the NIC filter to the node's MAC), no install media left in the domain,
 * the snapshot; `reset` takes back what the node wrote to its disk after
 * the snapshot (its boot counter); `down` leaves nothing.
 *
 * This machine has no device-mapper: the node's LV (/dev/<vg>/<lv>, which
 * the proxmox nodes use as their disk) is stood in for by a loop device
 * over the LV's extents on the lab's PV, made by the test between
 * an `up` stopped after the LV step (LABCTL_FAIL_STEP) and the `up` that
 * resumes, and removed between `labctl nodes
 * stop` and `down`.
 *
 * What only a real Proxmox VE ISO proves: that its installer accepts the
 * answer and installs to the disk it names, its time, what it prints, that
 * it really powers off, and that pveproxy answers on 8006 with the
 * certificate it keeps across reboots. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "stand-test-util.h"

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
static char *node_address;
static char *lv_loop;
static char *lv_link;
static char *boots_after_up;

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

static JsonObject *
state_resources (JsonParser *parser)
{
  g_autofree char *path = g_build_filename (state_dir, "state.json", NULL);

  if (!json_parser_load_from_file (parser, path, NULL))
    return NULL;
  return json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "resources");
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

/* The node's LV as the kernel would show it with device-mapper: a loop
 * device over its extents on the PV. */
static void
test_storage_and_lv (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *res;
  const char *pv;
  int rc = -1;
  g_autofree char *out = NULL;
  g_autofree char *script = NULL;
  g_autofree char *loop = NULL;

  /* `up` as far as the node's LV (the lab network first: the portal
   * listens on its gateway), stopped there by the storage's test hook;
   * the next `up` resumes */
  g_setenv ("LABCTL_FAIL_STEP", "storage.lv", TRUE);
  out = run_labctl (&rc, "up", NULL);
  g_unsetenv ("LABCTL_FAIL_STEP");
  g_assert_cmpint (rc, !=, 0);
  res = state_resources (parser);
  pv = resource (res, "storage.pv.device");
  g_assert_nonnull (pv);
  if (pv == NULL)
    return;
  script = g_strdup_printf (
    "set -e; export LVM_SYSTEM_DIR=%s; "
    "pe=$(pvs --devices %s --noheadings --units b --nosuffix -o pe_start %s | tr -d ' '); "
    "ext=$(vgs --devices %s --noheadings --units b --nosuffix -o vg_extent_size %s | tr -d ' '); "
    "r=$(lvs --devices %s --noheadings --segments -o seg_pe_ranges %s/lv_pve1 | tr -d ' '); "
    "r=${r#*:}; first=${r%%-*}; last=${r#*-}; "
    "losetup -f --show -o $((pe + first * ext)) --sizelimit $(((last - first + 1) * ext)) %s",
    g_getenv ("LABCTL_LVM_SYSTEM_DIR"), pv, pv, pv, vg, pv, vg, pv);
  loop = in_host (script, &rc);
  g_assert_cmpint (rc, ==, 0);
  g_assert_nonnull (loop);
  lv_loop = g_strdup (g_strstrip (loop));
  g_assert_true (g_str_has_prefix (lv_loop, "/dev/loop"));
  lv_link = g_strdup_printf ("/dev/%s/lv_pve1", vg);
  {
    g_autofree char *d = g_path_get_dirname (lv_link);
    g_assert_cmpint (g_mkdir_with_parents (d, 0755), ==, 0);
    g_assert_cmpint (symlink (lv_loop, lv_link), ==, 0);
  }
  g_test_message ("LV stand-in %s -> %s", lv_link, lv_loop);
}

static char *
https_get (const char *path)
{
  g_autofree char *script = g_strdup_printf ("curl -ksf --max-time 10 https://%s:8006%s", node_address, path);
  int rc = -1;
  char *out = in_host (script, &rc);

  if (rc != 0)
    g_clear_pointer (&out, g_free);
  return out != NULL ? g_strstrip (out) : NULL;
}

static void
test_up (void)
{
  int rc = -1;
  g_autofree char *out = run_labctl (&rc, "up", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *res;
  g_autofree char *want_api = NULL;
  g_autofree char *fp_script = NULL;
  g_autofree char *fp = NULL;
  g_autofree char *log_path = g_build_filename (state_dir, "nodes", "pve1", "console.log", NULL);
  g_autofree char *log = NULL;
  g_autofree char *blk = NULL;
  g_autofree char *snaps = NULL;
  g_autofree char *version = NULL;

  g_assert_cmpint (rc, ==, 0);
  res = state_resources (parser);
  want_api = g_strdup_printf ("https://%s:8006", node_address);
  g_assert_cmpstr (resource (res, "nodes.pve1.pve.api"), ==, want_api);
  /* the fingerprint labctl recorded is the certificate's, as openssl sees it */
  fp_script = g_strdup_printf ("openssl s_client -connect %s:8006 </dev/null 2>/dev/null | "
                               "openssl x509 -noout -fingerprint -sha256 | sed 's/.*=//'", node_address);
  fp = in_host (fp_script, &rc);
  g_assert_cmpint (rc, ==, 0);
  g_assert_cmpstr (resource (res, "nodes.pve1.pve.fingerprint"), ==, fp != NULL ? g_strstrip (fp) : NULL);
  /* the installer found the answer on the PROXMOX-AIS image, and it fits the node */
  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  g_assert_nonnull (log != NULL ? strstr (log, "FAKE-INSTALLER: answer for pve1.") : NULL);
  g_assert_nonnull (log != NULL ? strstr (log, "FAKE-INSTALLER: installation finished") : NULL);
  g_assert_null (log != NULL ? strstr (log, "ERROR") : NULL);
  /* booted from its disk: no install media in the domain any more */
  {
    g_autofree char *cmd = g_strdup_printf ("virsh -q -c '%s' domblklist pve1", uri);
    blk = stand_test_run (cmd, NULL, NULL);
    g_assert_nonnull (blk);
    g_assert_null (blk != NULL ? strstr (blk, ".iso") : NULL);
    g_assert_null (blk != NULL ? strstr (blk, "answer.img") : NULL);
  }
  {
    g_autofree char *cmd = g_strdup_printf ("virsh -q -c '%s' snapshot-list pve1 --name", uri);
    snaps = stand_test_run (cmd, NULL, NULL);
    g_assert_nonnull (snaps != NULL ? strstr (snaps, "clean") : NULL);
  }
  version = https_get ("/api2/json/version");
  g_assert_nonnull (version != NULL ? strstr (version, "\"version\"") : NULL);
  /* booted twice from its disk: once to find its API, once after the snapshot */
  boots_after_up = https_get ("/boots");
  g_assert_cmpstr (boots_after_up, ==, "2");
  g_test_message ("labctl up: %s", out != NULL ? out : "");
}

/* reset: back to the snapshot taken after the first boot: the second
 * boot's count is gone, and this boot is the second again */
static void
test_reset (void)
{
  int rc = -1;
  g_autofree char *out = run_labctl (&rc, "reset", NULL);
  g_autofree char *boots = NULL;

  g_assert_cmpint (rc, ==, 0);
  boots = https_get ("/boots");
  g_assert_cmpstr (boots, ==, "2");
}

static void
remove_lv_standin (void)
{
  if (lv_link != NULL)
    {
      g_autofree char *d = g_path_get_dirname (lv_link);
      g_unlink (lv_link);
      g_rmdir (d);
      g_clear_pointer (&lv_link, g_free);
    }
  if (lv_loop != NULL)
    {
      g_autofree char *cmd = g_strdup_printf ("losetup -d %s", lv_loop);
      int rc = -1;
      g_free (stand_test_run (cmd, &rc, NULL));
      g_clear_pointer (&lv_loop, g_free);
    }
}

static void
test_down (void)
{
  int rc = -1;
  g_autofree char *stopped = run_labctl (&rc, "nodes", "stop", NULL);
  g_autofree char *out = NULL;
  g_autofree char *again = NULL;

  /* the node (ACPI shutdown) closed its disk: the stand-in can go before
   * the storage under it does */
  g_assert_cmpint (rc, ==, 0);
  remove_lv_standin ();
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
  g_assert_null (domains != NULL ? strstr (domains, "pve1") : NULL);
  g_assert_false (g_file_test (state_dir, G_FILE_TEST_EXISTS));
  /* the clean snapshot's overlay went with the domain */
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
  g_autofree char *prefix = stand_test_subnet_prefix ();
  g_autofree char *iso = g_build_filename (iso_dir, "fake-pve.iso", NULL);
  guint portal_port = (guint) g_random_int_range (40000, 60000);
  guint control_port = (guint) g_random_int_range (20000, 32000);
  g_autofree char *text = g_strdup_printf (
    "[lab]\nname = %s\nflavor = proxmox\n"
    "[storage]\nsize = 2G\nvg = %s\ncontrol-port = %u\nportal = %s.1:%u\n"
    "[network]\nsubnet = %s.0/24\n"
    "[nodes]\ncount = 1\nvcpus = 1\nmemory = 320\ndisk = 256M\ninstall-media = %s\n",
    lab, vg, control_port, prefix, portal_port, prefix, iso);

  node_address = g_strdup_printf ("%s.11", prefix);
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
      g_test_skip ("needs root: the lab runs libvirtd, tgtd, loop devices and a node VM");
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
  g_test_add_func ("/e2e-proxmox/up", test_up);
  g_test_add_func ("/e2e-proxmox/reset", test_reset);
  g_test_add_func ("/e2e-proxmox/down", test_down);
  g_test_add_func ("/e2e-proxmox/nothing-left", test_nothing_left);
  rc = g_test_run ();

  /* whatever happened: the lab down, then the private libvirtd */
  {
    int down_rc = -1;
    g_free (run_labctl (&down_rc, "nodes", "stop", NULL));
    remove_lv_standin ();
    g_free (run_labctl (&down_rc, "down", NULL));
  }
  virt_host ("down", NULL);
  if (g_getenv ("LABCTL_TEST_KEEP") == NULL)
    {
      g_autofree char *rm = g_strdup_printf ("rm -rf %s", work_dir);
      stand_test_run (rm, NULL, NULL);
    }
  return rc;
}
