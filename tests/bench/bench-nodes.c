/* bench-nodes: time to define + start 1 node vs 3 nodes in parallel
 * (lab_virt_domains_run), on the system test's setup: a private libvirtd
 * (tests/lib/virt-host.sh), QEMU under TCG, tiny nodes on the lab network.
 * Measured until libvirt reports every node running (lifecycle events),
 * and until every node answers ping at its reserved address. Each case runs
 * ROUNDS times; the medians and the ratio 3 nodes / 1 node are printed.
 * Goal: 3 nodes within 1.5x of 1. Needs root. */
#include "config.h"

#include <libvirt/libvirt.h>
#include <string.h>

#include "bench-goal.h"
#include "lab-vm.h"
#include "lab-runner.h"
#include "lab-virt.h"
#include "../system/virt-host.h"

#define ROUNDS 5

static VirtHost host;

static gboolean
pinged (const char *address)
{
  const char *argv[] = { "ip", "netns", "exec", host.netns, "ping", "-c", "1", "-W", "1", address, NULL };
  g_autofree char *out = virt_host_run (argv, NULL);

  return out != NULL;
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (double *v, guint n)
{
  qsort (v, n, sizeof (double), cmp_double);
  return v[n / 2];
}

/* One round: define + start n nodes in parallel; returns seconds until
 * running and until all answered ping; then removes them. */
static gboolean
round_once (LabVirt *virt, LabRecipe *recipe, guint n, double *t_running, double *t_ping, GError **error)
{
  g_autoptr(GPtrArray) specs = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_virt_domain_spec_free);
  gint64 t0;
  guint answered = 0;
  gboolean *ok = g_new0 (gboolean, n);

  for (guint i = 0; i < n; i++)
    {
      LabVirtDomainSpec *spec = virt_host_tiny_spec (&host, recipe, g_ptr_array_index (recipe->nodes, i), error);
      if (spec == NULL)
        {
          g_free (ok);
          return FALSE;
        }
      g_ptr_array_add (specs, spec);
    }
  t0 = g_get_monotonic_time ();
  if (!lab_virt_domains_run (virt, specs, LAB_VIRT_OP_DEFINE | LAB_VIRT_OP_START, 60000, NULL, error))
    {
      g_free (ok);
      return FALSE;
    }
  *t_running = (g_get_monotonic_time () - t0) / 1e6;
  while (answered < n && g_get_monotonic_time () - t0 < 120 * G_USEC_PER_SEC)
    for (guint i = 0; i < n; i++)
      if (!ok[i] && pinged (((LabNode *) g_ptr_array_index (recipe->nodes, i))->address))
        {
          ok[i] = TRUE;
          answered++;
        }
  *t_ping = (g_get_monotonic_time () - t0) / 1e6;
  g_free (ok);
  for (guint i = 0; i < n; i++)
    {
      const char *name = ((LabNode *) g_ptr_array_index (recipe->nodes, i))->name;
      g_autofree char *pidfile = g_strdup_printf ("%s/run/qemu/%s.pid", host.work, name);
      g_autofree char *pid_text = NULL;

      g_file_get_contents (pidfile, &pid_text, NULL, NULL);
      lab_virt_domain_undefine (virt, name, recipe->name, NULL);
      /* let the QEMU of this round exit before the next one is timed */
      if (pid_text != NULL)
        lab_process_wait_gone ((GPid) g_ascii_strtoll (pid_text, NULL, 10), 10000);
    }
  return answered == n;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *lab = g_strdup_printf ("bn%d", getpid ());
  g_autoptr(LabRecipe) recipe = NULL;
  g_autoptr(LabVirt) virt = NULL;
  g_autoptr(LabVirtNetworkSpec) net = NULL;
  double run1[ROUNDS], ping1[ROUNDS], run3[ROUNDS], ping3[ROUNDS];
  int ret = 1;

  if (getuid () != 0)
    {
      printf ("bench-nodes: skipped: needs root (starts libvirtd and QEMU guests)\n");
      return 77;
    }
  g_setenv ("LABCTL_DOMAIN_TYPE", "qemu", TRUE);
  if (!virt_host_up (&host, "bn", &error))
    {
      g_printerr ("bench-nodes: cannot start libvirtd: %s\n", error->message);
      virt_host_down (&host);
      return 1;
    }
  recipe = virt_host_recipe (lab, 3, &error);
  if (recipe != NULL)
    virt = lab_virt_connect (host.uri, &error);
  if (virt != NULL)
    {
      net = lab_vm_network_spec (recipe);
      if (!lab_virt_network_ensure (virt, net, NULL, &error))
        g_clear_object (&virt);
    }
  if (virt == NULL)
    {
      g_printerr ("bench-nodes: setup: %s\n", error->message);
      virt_host_down (&host);
      return 1;
    }

  for (guint r = 0; r < ROUNDS; r++)
    {
      if (!round_once (virt, recipe, 1, &run1[r], &ping1[r], &error)
          || !round_once (virt, recipe, 3, &run3[r], &ping3[r], &error))
        {
          g_printerr ("bench-nodes: round %u failed: %s\n", r + 1, error != NULL ? error->message : "no ping reply");
          goto out;
        }
      printf ("round %u: 1 node %.3f s running, %.2f s ping; 3 nodes %.3f s running, %.2f s ping\n",
              r + 1, run1[r], ping1[r], run3[r], ping3[r]);
    }
  {
    double m_run1 = median (run1, ROUNDS), m_run3 = median (run3, ROUNDS);
    double m_ping1 = median (ping1, ROUNDS), m_ping3 = median (ping3, ROUNDS);

    printf ("define+start until running (median of %d): 1 node %.3f s, 3 nodes in parallel %.3f s, ratio %.2f "
            "(goal <= 1.5: %s)\n", ROUNDS, m_run1, m_run3, m_run3 / m_run1,
            bench_goal ("3 nodes / 1 node <= 1.5", m_run3 / m_run1 <= 1.5));
    printf ("define+start until every node answers ping (TCG boot, 2 host cores): 1 node %.2f s, 3 nodes %.2f s, "
            "ratio %.2f\n", m_ping1, m_ping3, m_ping3 / m_ping1);
  }
  ret = 0;

out:
  lab_virt_network_remove (virt, net->name, recipe->name, NULL);
  g_clear_object (&virt);
  virt_host_down (&host);
  bench_goal_summary ("bench-nodes");
  return ret;
}
