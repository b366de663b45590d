/* stand-test-kvm.c: the harness of the nested kvm e2e tests
 * (stand-test-kvm.h). */
#include "config.h"

#include "stand-test-kvm.h"

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "lab-kvm.h"
#include "lab-kvm-private.h"
#include "lab-plan.h"
#include "lab-runner.h"
#include "stand-test-util.h"

StandKvm stand_kvm;

/* The node image built (or found in the cache) by this process, by the
 * function `labctl up`'s nodes.image runs: labctl itself runs in the
 * private libvirtd's namespace, which has no route to the Debian mirror
 * a cold cache needs. */
static gboolean
warm_node_image (GError **error)
{
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  LabContext ctx = { 0 };
  gint64 t0 = g_get_monotonic_time ();
  g_autofree char *dir = lab_kvm_image_dir ();
  gboolean cold = !g_file_test (dir, G_FILE_TEST_IS_DIR);

  ctx.runner = runner;
  if (!lab_kvm_image_build (&ctx, error))
    return FALSE;
  g_test_message ("node image %s: %s, %.1f s", dir, cold ? "built" : "cached", (g_get_monotonic_time () - t0) / 1e6);
  return TRUE;
}

gboolean
stand_kvm_setup (const char *test, const char *lab_prefix, guint n_nodes)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state_parent = NULL;

  stand_kvm.test = test;
  stand_kvm.labctl = g_getenv ("LABCTL");
  stand_kvm.n_nodes = n_nodes;
  stand_kvm.lab = g_strdup_printf ("%s%d", lab_prefix, (int) getpid () % 100000);
  stand_kvm.netns = g_strdup_printf ("labctl-%s-host", stand_kvm.lab);
  stand_kvm.work_dir = g_strdup_printf ("/var/tmp/labctl-e2e-%s", stand_kvm.lab);
  if (g_mkdir_with_parents (stand_kvm.work_dir, 0755) != 0)
    {
      g_test_message ("cannot make %s: %s", stand_kvm.work_dir, g_strerror (errno));
      g_test_fail ();
      return FALSE;
    }
  g_chmod (stand_kvm.work_dir, 0755);
  state_parent = g_build_filename (stand_kvm.work_dir, "state", NULL);
  stand_kvm.state_dir = g_build_filename (state_parent, stand_kvm.lab, NULL);
  g_setenv ("LABCTL_STATE_DIR", state_parent, TRUE);
  /* this build machine's /dev/kvm answers but cannot run a guest (no
   * nested virtualization below it): the nodes run under TCG */
  g_setenv ("LABCTL_DOMAIN_TYPE", "qemu", FALSE);
  if (g_getenv ("LABCTL_CACHE_DIR") == NULL)
    g_setenv ("LABCTL_CACHE_DIR", "/var/tmp/labctl-cache", TRUE);
  stand_kvm.subnet = stand_test_subnet_prefix ();
  if (!stand_test_lvm_system_dir (stand_kvm.work_dir, &error)
      || !stand_test_tiny_guest (&stand_kvm.kernel, &stand_kvm.initrd, &error) || !warm_node_image (&error))
    {
      g_test_message ("cannot prepare the lab: %s", error->message);
      g_test_fail ();
      return FALSE;
    }
  return TRUE;
}

gboolean
stand_kvm_write_recipe (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_strconcat (stand_kvm.test, ".lab", NULL);

  stand_kvm.recipe_path = g_build_filename (stand_kvm.work_dir, name, NULL);
  if (g_file_set_contents (stand_kvm.recipe_path, text, -1, &error))
    return TRUE;
  g_test_message ("%s", error->message);
  g_test_fail ();
  return FALSE;
}

gboolean
stand_kvm_host (const char *verb)
{
  g_autofree char *script = g_build_filename (LABCTL_SOURCE_DIR, "tests", "lib", "virt-host.sh", NULL);
  g_autofree char *dir = g_build_filename (stand_kvm.work_dir, "libvirt", NULL);
  g_autofree char *cmd = g_strdup_printf ("sh %s %s %s %s", script, verb, dir, stand_kvm.netns);
  g_autoptr(GError) error = NULL;
  int rc = -1;
  g_autofree char *out = stand_test_run (cmd, &rc, &error);

  if (out == NULL || rc != 0)
    {
      g_test_message ("virt-host.sh %s failed (exit %d): %s", verb, rc, error != NULL ? error->message : "");
      return FALSE;
    }
  if (g_str_equal (verb, "up"))
    {
      stand_kvm.uri = g_strdup (g_strstrip (out));
      g_setenv ("LABCTL_LIBVIRT_URI", stand_kvm.uri, TRUE);
    }
  return TRUE;
}

static char *
labctl_va (int *status, const char *first, va_list ap)
{
  g_autofree char *net = g_strdup_printf ("--net=/run/netns/%s", stand_kvm.netns);
  const char *wrapper[] = { "nsenter", net, NULL };

  return stand_test_labctl_v (wrapper, stand_kvm.labctl, stand_kvm.recipe_path, status, first, ap);
}

char *
stand_kvm_labctl (int *status, const char *first, ...)
{
  va_list ap;
  char *out;

  va_start (ap, first);
  out = labctl_va (status, first, ap);
  va_end (ap);
  return out;
}

JsonObject *
stand_kvm_labctl_json (JsonParser **keep, int *status, const char *first, ...)
{
  va_list ap;
  g_autofree char *out = NULL;
  JsonNode *root;

  va_start (ap, first);
  out = labctl_va (status, first, ap);
  va_end (ap);
  *keep = json_parser_new ();
  if (out == NULL || !json_parser_load_from_data (*keep, out, -1, NULL)
      || (root = json_parser_get_root (*keep)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_test_message ("not a JSON object: %s", out != NULL ? out : "(no output)");
      return NULL;
    }
  return json_node_get_object (root);
}

char *
stand_kvm_on_node (const char *node, const char *script, int *status)
{
  return stand_kvm_labctl (status, "nodes", "ssh", node, "--", "sh", "-c", script, NULL);
}

char *
stand_kvm_boot_id (const char *node)
{
  int rc = -1;
  char *out = stand_kvm_on_node (node, "cat /proc/sys/kernel/random/boot_id", &rc);

  if (rc != 0)
    {
      g_free (out);
      return NULL;
    }
  return g_strstrip (out);
}

char *
stand_kvm_in_netns (const char *command, int *status)
{
  g_autofree char *cmd = g_strdup_printf ("ip netns exec %s %s", stand_kvm.netns, command);

  return stand_test_run (cmd, status, NULL);
}

char *
stand_kvm_guest_id (const char *address)
{
  g_autofree char *cmd = stand_test_guest_id_command (address);
  int rc = -1;
  char *out = stand_kvm_in_netns (cmd, &rc);

  if (rc != 0 || out == NULL || strstr (out, "boot_id=") == NULL)
    {
      g_free (out);
      return NULL;
    }
  return g_strstrip (out);
}

char *
stand_kvm_id_field (const char *id, const char *field)
{
  g_autofree char *key = g_strconcat (field, "=", NULL);
  const char *v = id != NULL ? strstr (id, key) : NULL;

  return v != NULL ? g_strndup (v + strlen (key), strcspn (v + strlen (key), " \n")) : NULL;
}

void
stand_kvm_keep_logs (const char *tag, const char *extra_script)
{
  g_autofree char *dir = g_build_filename (g_getenv ("MESON_BUILD_ROOT") != NULL ? g_getenv ("MESON_BUILD_ROOT")
                                                                                 : LABCTL_BUILD_DIR,
                                           "meson-logs", stand_kvm.test, NULL);
  g_autofree char *script = g_strconcat (
    "for f in /var/log/libvirt/qemu/*.log; do echo \"== $f\"; tail -c 100000 \"$f\"; done; "
    "echo '== virsh list'; virsh -c qemu:///system list --all; virsh -c lxc:///system list --all; "
    "echo '== lvs'; lvs; echo '== uptime'; uptime; echo '== dmesg'; dmesg | tail -60; ",
    extra_script != NULL ? extra_script : "", NULL);

  g_mkdir_with_parents (dir, 0755);
  /* labctl's log of every command, and the host's fence daemon's */
  for (guint i = 0; i < 2; i++)
    {
      const char *file = i == 0 ? "labctl.log" : "fence_virtd.log";
      g_autofree char *from = g_build_filename (stand_kvm.state_dir, file, NULL);
      g_autofree char *name = g_strdup_printf ("%s-%s", tag, file);
      g_autofree char *to = g_build_filename (dir, name, NULL);
      g_autofree char *text = NULL;
      if (g_file_get_contents (from, &text, NULL, NULL))
        g_file_set_contents (to, text, -1, NULL);
    }
  for (guint i = 1; i <= stand_kvm.n_nodes; i++)
    {
      g_autofree char *node = g_strdup_printf ("node%u", i);
      g_autofree char *console = g_build_filename (stand_kvm.state_dir, "nodes", node, "console.log", NULL);
      g_autofree char *text = NULL;
      g_autofree char *name = g_strdup_printf ("%s-%s-console.log", tag, node);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *inside = NULL;
      g_autofree char *iname = g_strdup_printf ("%s-%s-inside.txt", tag, node);
      g_autofree char *ipath = g_build_filename (dir, iname, NULL);
      int rc = -1;

      if (g_file_get_contents (console, &text, NULL, NULL))
        g_file_set_contents (path, text, -1, NULL);
      inside = stand_kvm_on_node (node, script, &rc);
      g_file_set_contents (ipath, inside != NULL ? inside : "(no answer)", -1, NULL);
    }
  g_test_message ("%.0f s: logs kept in %s (%s-*)", (g_get_monotonic_time () - stand_kvm.t_start) / 1e6, dir, tag);
}

void
stand_kvm_assert_nothing_left (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *loops = stand_test_run ("losetup -a", NULL, &error);
  g_autofree char *cmd = g_strdup_printf ("virsh -c '%s' list --all --name", stand_kvm.uri);
  g_autofree char *domains = stand_test_run (cmd, NULL, &error);
  g_autofree char *mounts = NULL;

  g_assert_no_error (error);
  g_assert_null (loops != NULL ? strstr (loops, stand_kvm.work_dir) : NULL);
  g_assert_null (domains != NULL ? strstr (domains, "node") : NULL);
  if (g_file_test (stand_kvm.state_dir, G_FILE_TEST_EXISTS))
    {
      /* what kept it, for the log (the work dir goes at the end) */
      g_autofree char *ls = g_strdup_printf ("sh -c 'find %s -ls; cat %s/state.json; true'", stand_kvm.state_dir,
                                             stand_kvm.state_dir);
      g_autofree char *left = stand_test_run (ls, NULL, NULL);
      g_test_message ("left in the state dir:\n%s", left != NULL ? left : "(cannot list)");
    }
  g_assert_false (g_file_test (stand_kvm.state_dir, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_get_contents ("/proc/mounts", &mounts, NULL, NULL));
  g_assert_null (strstr (mounts, stand_kvm.work_dir));
  g_assert_false (stand_test_process_with (stand_kvm.state_dir));
}

int
stand_kvm_finish (int rc)
{
  g_autofree char *rm = g_strdup_printf ("rm -rf %s", stand_kvm.work_dir);

  if (stand_kvm.recipe_path != NULL && stand_kvm.uri != NULL)
    {
      int down_rc = -1;
      g_free (stand_kvm_labctl (&down_rc, "down", NULL));
    }
  if (stand_kvm.uri != NULL)
    stand_kvm_host ("down");
  stand_test_run (rm, NULL, NULL);
  return rc;
}
