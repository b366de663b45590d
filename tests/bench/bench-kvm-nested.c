/* Benchmark of the kvm flavor for real, nested (root; the node image
 * cached, see bench-kvm): in a private libvirtd (tests/lib/virt-host.sh)
 *
 *   1. `labctl up` of a kvm lab with 1 node and with 3 nodes, each timed
 *      and taken down again (goal: 3 nodes within 1.5x of one; the nodes
 *      install and boot in parallel, so the goal holds on a host with at
 *      least 6 cores; on fewer the figure is printed all the same);
 *   2. a 2-node lab with the tiny guest (L2) on node1: N migrations
 *      back and forth (`labctl experiment migrate`, N = $BENCH_MIGRATIONS,
 *      default 20; paused on TCG nodes, live on KVM ones, as the report's
 *      "kind" says), each followed by the checks of the e2e test: the guest
 *      answers, with the boot_id it had before, and its console on the
 *      destination shows no panic. A guest found corrupt is counted, its
 *      console printed, and booted again where it is, so that every one of
 *      the N migrations is counted. Figures: guests intact (goal: N of N),
 *      the probe's downtime next to libvirt's (median, max), the time of
 *      each `experiment migrate`.
 *
 * `bench-kvm-nested up` runs only part 1, `bench-kvm-nested migrate` only
 * part 2. When a part's lab does not come up (`up` fails, the guest does
 * not answer), labctl's stderr (the failed step's message) or the guest's
 * console is printed, the part's goal is MISSED and the benchmark exits 1:
 * a benchmark that could not measure is not green. */
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
/* a part could not measure what it is for (its lab did not come up): the
 * benchmark then exits 1 */
static gboolean unmeasured;

static char *
lab_labctl_va (Lab *l, int *status, char **err, const char *first, va_list ap)
{
  g_autofree char *net = g_strdup_printf ("--net=/run/netns/%s", l->netns);
  const char *wrapper[] = { "nsenter", net, NULL };

  return stand_test_labctl_err_v (wrapper, labctl, l->recipe, status, err, first, ap);
}

static char *
lab_labctl (Lab *l, int *status, const char *first, ...)
{
  char *out;
  va_list ap;

  va_start (ap, first);
  out = lab_labctl_va (l, status, NULL, first, ap);
  va_end (ap);
  return out;
}

/* The same, and when labctl fails, what it said (its stderr: the failed
 * step's message) is printed after "bench-kvm-nested: WHAT failed". */
static char *
lab_labctl_said (Lab *l, int *status, const char *what, const char *first, ...)
{
  g_autofree char *err = NULL;
  gint64 t0 = g_get_monotonic_time ();
  char *out;
  va_list ap;

  va_start (ap, first);
  out = lab_labctl_va (l, status, &err, first, ap);
  va_end (ap);
  if (*status != 0)
    g_print ("bench-kvm-nested: %s failed (labctl exit %d after %.0f s); labctl said:\n%s\n", what, *status,
             (g_get_monotonic_time () - t0) / 1e6, err != NULL && *err != '\0' ? err : "(nothing on stderr)");
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

  g_autofree char *what = g_strdup_printf ("up of %u node%s", nodes, nodes > 1 ? "s" : "");

  if (!lab_open (&l, "bu", nodes, FALSE, NULL))
    {
      g_print ("bench-kvm-nested: cannot make the lab of %u nodes\n", nodes);
      return -1;
    }
  t0 = g_get_monotonic_time ();
  g_free (lab_labctl_said (&l, &rc, what, "up", NULL));
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
      g_print ("bench-kvm-nested: up failed (1 node: %.0f s, 3 nodes: %.0f s) %s\n", one, three,
               bench_goal ("up 3 nodes within 1.5x of 1", FALSE));
      unmeasured = TRUE;
      return;
    }
  g_print ("bench-kvm-nested: up, 1 node: %.0f s; 3 nodes: %.0f s (%.2fx, %u cores here; goal 1.5x on >= 6 cores) %s\n",
           one, three, three / one, cores, bench_goal ("up 3 nodes within 1.5x of 1", three <= 1.5 * one));
}

static char *
guest_boot_id (Lab *l, const char *address)
{
  /* as the e2e test asks (one try of 10 s found a guest that had booted,
   * nested run 2026-12-02 16:54) */
  g_autofree char *cmd = stand_test_guest_id_command (address);
  int rc = -1;
  g_autofree char *out = in_netns (l, cmd, &rc);
  const char *b = out != NULL && rc == 0 ? strstr (out, "boot_id=") : NULL;

  return b != NULL ? g_strndup (b + 8, strcspn (b + 8, " \n")) : NULL;
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

/* The guest's console on node (what it printed while it ran there). */
static char *
guest_console (Lab *l, const char *node)
{
  int rc = -1;
  char *log = lab_labctl (l, &rc, "nodes", "ssh", node, "--", "cat", "/var/log/libvirt/qemu/tiny-console.log", NULL);

  if (rc != 0)
    g_clear_pointer (&log, g_free);
  return log;
}

/* The last 2000 bytes of the guest's console on node, after "WHY; its
 * console on NODE". */
static void
print_console_tail (const char *why, const char *node, const char *console)
{
  gsize len = console != NULL ? strlen (console) : 0;

  g_print ("bench-kvm-nested: %s; its console on %s (last 2000 bytes):\n%s\n", why, node,
           console != NULL ? console + (len > 2000 ? len - 2000 : 0) : "(none)");
}

/* A guest found corrupt (or gone) is booted again where it is, so that the
 * next migrations are counted too: destroyed and started by the node's
 * libvirt, then waited for (its new boot_id). */
static char *
guest_reboot (Lab *l, const char *node, const char *address)
{
  int rc = -1;
  gint64 until = g_get_monotonic_time () + 8 * 60 * G_USEC_PER_SEC;

  g_free (lab_labctl (l, &rc, "nodes", "ssh", node, "--", "sh", "-c",
                      "virsh -c qemu:///system destroy tiny; virsh -c qemu:///system start tiny", NULL));
  while (g_get_monotonic_time () < until)
    {
      char *boot = guest_boot_id (l, address);
      if (boot != NULL)
        return boot;
      g_usleep (5 * G_USEC_PER_SEC);
    }
  return NULL;
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
  g_autoptr(GArray) took = g_array_new (FALSE, FALSE, sizeof (double));
  guint survived = 0, done = 0, corrupt = 0;
  g_autofree char *kind = NULL;
  Lab l;
  int rc = -1;
  gint64 t0;

  if (!lab_open (&l, "bm", 2, TRUE, &address))
    {
      g_print ("bench-kvm-nested: cannot make the lab %s\n", bench_goal ("every migrated guest intact", FALSE));
      unmeasured = TRUE;
      return;
    }
  t0 = g_get_monotonic_time ();
  g_free (lab_labctl_said (&l, &rc, "up of 2 nodes with the guest", "up", NULL));
  boot = rc == 0 ? guest_boot_id (&l, address) : NULL;
  if (boot == NULL)
    {
      if (rc == 0)
        {
          g_autofree char *console = guest_console (&l, "node1");
          g_autofree char *why = g_strdup_printf ("up succeeded, but the guest does not answer at http://%s/cgi-bin/id",
                                                  address);
          print_console_tail (why, "node1", console);
        }
      g_print ("bench-kvm-nested: no migration measured %s\n", bench_goal ("every migrated guest intact", FALSE));
      unmeasured = TRUE;
      lab_close (&l);
      return;
    }
  g_print ("bench-kvm-nested: up of 2 nodes with the guest answering: %.0f s\n",
           (g_get_monotonic_time () - t0) / 1e6);
  for (guint i = 0; i < n; i++)
    {
      const char *to = i % 2 == 0 ? "node2" : "node1";
      /* the destination's console log is appended to by every run of the
       * guest there: only what follows this length is this migration's */
      g_autofree char *earlier = guest_console (&l, to);
      gsize skip = earlier != NULL ? strlen (earlier) : 0;
      const char *since;
      gboolean answers, same_boot, clean;
      gint64 m0 = g_get_monotonic_time ();
      g_autofree char *what = g_strdup_printf ("migration %u to %s", i + 1, to);
      g_autofree char *out = lab_labctl_said (&l, &rc, what, "experiment", "migrate", "--guest", "tiny", "--to", to,
                                              "--json", NULL);
      double secs = (g_get_monotonic_time () - m0) / 1e6;
      g_autoptr(JsonParser) p = json_parser_new ();
      g_autofree char *now = NULL;
      g_autofree char *console = NULL;
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
      g_free (kind);
      kind = g_strdup (json_object_get_string_member_with_default (o, "kind", "?"));
      g_array_append_val (took, secs);
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
      console = guest_console (&l, to);
      since = console != NULL && strlen (console) >= skip ? console + skip : console;
      answers = json_object_get_boolean_member (o, "answers_after");
      same_boot = g_strcmp0 (now, boot) == 0;
      clean = since != NULL && strstr (since, "Kernel panic") == NULL && strstr (since, "BUG") == NULL
              && strstr (since, "double fault") == NULL;
      ok = answers && same_boot && clean;
      survived += ok;
      g_print ("bench-kvm-nested: migration %u -> %s (%s): %s (%.0f s; answers: %s, boot_id: %s, console since: %s)\n",
               i + 1, to, kind, ok ? "guest intact" : "GUEST CORRUPT OR GONE", secs, answers ? "yes" : "NO",
               same_boot ? "the same" : "OTHER OR NONE", since == NULL ? "UNREAD" : clean ? "clean" : "PANIC OR BUG");
      if (!ok)
        {
          /* what the guest said, then a new boot to go on counting */
          corrupt++;
          print_console_tail ("the guest after the migration", to, since);
          g_free (boot);
          boot = guest_reboot (&l, to, address);
          if (boot == NULL)
            {
              g_print ("bench-kvm-nested: the guest did not boot again on %s; stopping\n", to);
              break;
            }
        }
    }
  g_print ("bench-kvm-nested: guests intact after migration (%s): %u of %u run (%u corrupt or gone; %u asked) %s\n",
           kind != NULL ? kind : "none ran", survived, done, corrupt, n,
           bench_goal ("every migrated guest intact", survived == n));
  print_spread ("downtime seen by ping", probe);
  print_spread ("downtime by libvirt", libvirt);
  if (took->len > 0)
    {
      g_array_sort (took, cmp_double);
      g_print ("bench-kvm-nested: labctl experiment migrate: median %.0f s, max %.0f s\n",
               g_array_index (took, double, took->len / 2), g_array_index (took, double, took->len - 1));
    }
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
  return unmeasured ? 1 : 0;
}
