/* Benchmark of the kvm flavor for real, nested (root; the node image
 * cached, see bench-kvm): in a private libvirtd (tests/lib/virt-host.sh)
 *
 *   1. `labctl up` of a kvm lab with 1 node and with 3 nodes, each timed
 *      and taken down again (goal: 3 nodes within 1.5x of one; the nodes
 *      install and boot in parallel, so the goal holds on a host with at
 *      least 6 cores; on fewer the figure is printed all the same);
 *   2. a 2-node lab with the tiny guest (L2) on node1: N live migrations
 *      back and forth (`labctl experiment migrate`, N = $BENCH_MIGRATIONS,
 *      default 20), each followed by the checks of the e2e test: the guest
 *      answers, with the boot_id it had before, and its console on the
 *      destination shows no panic. Figures: guests that survived (goal: N
 *      of N), the probe's downtime next to libvirt's (median, max).
 *
 * `bench-kvm-nested up` runs only part 1, `bench-kvm-nested migrate` only
 * part 2. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "bench-goal.h"
#include "stand-test-util.h"

typedef struct {
  char *lab;
  char *netns;
  char *work_dir;
  char *recipe;
  char *uri;
} Lab;

static const char *labctl;

static char *
lab_labctl (Lab *l, int *status, const char *first, ...)
{
  g_autofree char *net = g_strdup_printf ("--net=/run/netns/%s", l->netns);
  const char *wrapper[] = { "nsenter", net, NULL };
  char *out;
  va_list ap;

  va_start (ap, first);
  out = stand_test_labctl_v (wrapper, labctl, l->recipe, status, first, ap);
  va_end (ap);
  return out;
}

static char *
in_netns (Lab *l, const char *command, int *status)
{
  g_autofree char *cmd = g_strdup_printf ("ip netns exec %s %s", l->netns, command);

  return stand_test_run (cmd, status, NULL);
}

static gboolean
virt_host (Lab *l, const char *verb)
{
  g_autofree char *script = g_build_filename (LABCTL_SOURCE_DIR, "tests", "lib", "virt-host.sh", NULL);
  g_autofree char *dir = g_build_filename (l->work_dir, "libvirt", NULL);
  g_autofree char *cmd = g_strdup_printf ("sh %s %s %s %s", script, verb, dir, l->netns);
  int rc = -1;
  g_autofree char *out = stand_test_run (cmd, &rc, NULL);

  if (out == NULL || rc != 0)
    return FALSE;
  if (g_str_equal (verb, "up"))
    l->uri = g_strdup (g_strstrip (out));
  return TRUE;
}

/* A lab of its own: work dir, private libvirtd, recipe with `nodes` nodes
 * and, with_guest, the tiny guest on node1. */
static gboolean
lab_open (Lab *l, const char *name, guint nodes, gboolean with_guest, char **guest_address)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *prefix = stand_test_subnet_prefix ();
  g_autofree char *kernel = NULL, *initrd = NULL;
  g_autofree char *guest = NULL;
  g_autofree char *text = NULL;
  g_autofree char *state = NULL;

  memset (l, 0, sizeof *l);
  l->lab = g_strdup_printf ("%s%d", name, (int) getpid () % 10000);
  l->netns = g_strdup_printf ("labctl-%s-host", l->lab);
  l->work_dir = g_strdup_printf ("/var/tmp/labctl-bench-%s", l->lab);
  g_mkdir_with_parents (l->work_dir, 0755);
  g_chmod (l->work_dir, 0755);
  state = g_build_filename (l->work_dir, "state", NULL);
  g_setenv ("LABCTL_STATE_DIR", state, TRUE);
  if (!stand_test_lvm_system_dir (l->work_dir, &error))
    return FALSE;
  if (with_guest)
    {
      if (!stand_test_tiny_guest (&kernel, &initrd, &error))
        {
          g_printerr ("bench-kvm-nested: cannot build the tiny guest: %s\n", error->message);
          return FALSE;
        }
      *guest_address = g_strdup_printf ("%s.51", prefix);
      guest = g_strdup_printf ("[guest tiny]\nnode = node1\nmemory = 112\ndisk = 16M\nkernel = %s\ninitrd = %s\n"
                               "cmdline = console=ttyS0 quiet guestip=%s/24\naddress = %s\n",
                               kernel, initrd, *guest_address, *guest_address);
    }
  text = g_strdup_printf ("[lab]\nname = %s\nflavor = kvm\n[storage]\nsize = 24G\nvg = vg_%s\ncontrol-port = %u\n"
                          "[network]\nsubnet = %s.0/24\n"
                          "[nodes]\ncount = %u\nvcpus = 2\nmemory = 1536\ndisk = 5G\nos = debian12\n%s",
                          l->lab, l->lab, 3300 + (guint) getpid () % 1000, prefix, nodes, guest != NULL ? guest : "");
  l->recipe = g_build_filename (l->work_dir, "bench.lab", NULL);
  if (!g_file_set_contents (l->recipe, text, -1, &error))
    return FALSE;
  return virt_host (l, "up") && (g_setenv ("LABCTL_LIBVIRT_URI", l->uri, TRUE), TRUE);
}

static void
lab_close (Lab *l)
{
  int rc = -1;
  g_autofree char *rm = g_strdup_printf ("rm -rf %s", l->work_dir);

  g_free (lab_labctl (l, &rc, "down", NULL));
  virt_host (l, "down");
  stand_test_run (rm, NULL, NULL);
  g_free (l->lab);
  g_free (l->netns);
  g_free (l->work_dir);
  g_free (l->recipe);
  g_free (l->uri);
}

static double
timed_up (guint nodes)
{
  Lab l;
  int rc = -1;
  gint64 t0;
  double s = -1;

  if (!lab_open (&l, "bu", nodes, FALSE, NULL))
    return -1;
  t0 = g_get_monotonic_time ();
  g_free (lab_labctl (&l, &rc, "up", NULL));
  if (rc == 0)
    s = (g_get_monotonic_time () - t0) / 1e6;
  lab_close (&l);
  return s;
}

static void
bench_up (void)
{
  double one = timed_up (1);
  double three = timed_up (3);
  guint cores = g_get_num_processors ();

  if (one < 0 || three < 0)
    {
      g_print ("bench-kvm-nested: up failed (1 node: %.0f s, 3 nodes: %.0f s)\n", one, three);
      return;
    }
  g_print ("bench-kvm-nested: up, 1 node: %.0f s; 3 nodes: %.0f s (%.2fx, %u cores here; goal 1.5x on >= 6 cores) %s\n",
           one, three, three / one, cores, bench_goal ("up 3 nodes within 1.5x of 1", three <= 1.5 * one));
}

static char *
guest_boot_id (Lab *l, const char *address)
{
  g_autofree char *cmd = g_strdup_printf ("curl -s -m 10 http://%s/cgi-bin/id", address);
  int rc = -1;
  g_autofree char *out = in_netns (l, cmd, &rc);
  const char *b = out != NULL && rc == 0 ? strstr (out, "boot_id=") : NULL;

  return b != NULL ? g_strndup (b + 8, strcspn (b + 8, " \n")) : NULL;
}

static gboolean
console_clean (Lab *l, const char *node)
{
  int rc = -1;
  g_autofree char *log = lab_labctl (l, &rc, "nodes", "ssh", node, "--", "cat",
                                     "/var/log/libvirt/qemu/tiny-console.log", NULL);

  return rc == 0 && log != NULL && strstr (log, "Kernel panic") == NULL && strstr (log, "BUG") == NULL
         && strstr (log, "double fault") == NULL;
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
print_spread (const char *what, GArray *v)
{
  if (v->len == 0)
    {
      g_print ("bench-kvm-nested: %s: no figure\n", what);
      return;
    }
  g_array_sort (v, cmp_double);
  g_print ("bench-kvm-nested: %s: median %.0f ms, max %.0f ms (%u migrations)\n", what,
           g_array_index (v, double, v->len / 2), g_array_index (v, double, v->len - 1), v->len);
}

static void
bench_migrate (void)
{
  const char *env = g_getenv ("BENCH_MIGRATIONS");
  guint n = env != NULL ? (guint) atoi (env) : 20;
  g_autofree char *address = NULL;
  g_autofree char *boot = NULL;
  g_autoptr(GArray) probe = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) libvirt = g_array_new (FALSE, FALSE, sizeof (double));
  guint survived = 0, done = 0;
  Lab l;
  int rc = -1;

  if (!lab_open (&l, "bm", 2, TRUE, &address))
    {
      g_print ("bench-kvm-nested: cannot make the lab\n");
      return;
    }
  g_free (lab_labctl (&l, &rc, "up", NULL));
  boot = rc == 0 ? guest_boot_id (&l, address) : NULL;
  if (boot == NULL)
    {
      g_print ("bench-kvm-nested: up failed or the guest does not answer\n");
      lab_close (&l);
      return;
    }
  for (guint i = 0; i < n; i++)
    {
      const char *to = i % 2 == 0 ? "node2" : "node1";
      g_autofree char *out = lab_labctl (&l, &rc, "experiment", "migrate", "--guest", "tiny", "--to", to, "--json",
                                         NULL);
      g_autoptr(JsonParser) p = json_parser_new ();
      g_autofree char *now = NULL;
      JsonObject *o = NULL;
      gboolean ok;

      if (out != NULL && json_parser_load_from_data (p, out, -1, NULL) && json_parser_get_root (p) != NULL
          && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
        o = json_node_get_object (json_parser_get_root (p));
      if (rc != 0 || o == NULL)
        {
          g_print ("bench-kvm-nested: migration %u to %s failed (exit %d); stopping\n", i + 1, to, rc);
          break;
        }
      done++;
      {
        JsonObject *pr = json_object_get_object_member (o, "probe");
        JsonObject *lv = json_object_get_object_member (o, "libvirt");
        double d = json_object_get_double_member (pr, "downtime_ms");
        g_array_append_val (probe, d);
        if (lv != NULL)
          {
            d = (double) json_object_get_int_member (lv, "downtime_ms");
            g_array_append_val (libvirt, d);
          }
      }
      now = guest_boot_id (&l, address);
      ok = json_object_get_boolean_member (o, "answers_after") && g_strcmp0 (now, boot) == 0
           && console_clean (&l, to);
      survived += ok;
      g_print ("bench-kvm-nested: migration %u -> %s: %s\n", i + 1, to, ok ? "guest intact" : "GUEST CORRUPT OR GONE");
      if (!ok)
        break;   /* the guest is gone: the rest would measure nothing */
    }
  g_print ("bench-kvm-nested: guests intact after live migration: %u of %u (%u run) %s\n", survived, n, done,
           bench_goal ("every migrated guest intact", survived == n));
  print_spread ("downtime seen by ping", probe);
  print_spread ("downtime by libvirt", libvirt);
  lab_close (&l);
}

int
main (int argc, char **argv)
{
  const char *part = argc > 1 ? argv[1] : "all";

  if (geteuid () != 0)
    {
      g_print ("bench-kvm-nested: needs root (libvirtd, tgtd, nested VMs)\n");
      return 77;
    }
  labctl = g_getenv ("LABCTL");
  if (labctl == NULL)
    {
      g_print ("bench-kvm-nested: set LABCTL to the labctl executable (meson test sets it)\n");
      return 1;
    }
  g_setenv ("LABCTL_DOMAIN_TYPE", "qemu", FALSE);
  if (g_getenv ("LABCTL_CACHE_DIR") == NULL)
    g_setenv ("LABCTL_CACHE_DIR", "/var/tmp/labctl-cache", TRUE);
  if (g_str_equal (part, "all") || g_str_equal (part, "up"))
    bench_up ();
  if (g_str_equal (part, "all") || g_str_equal (part, "migrate"))
    bench_migrate ();
  bench_goal_summary ("kvm-nested");
  return 0;
}
