/* lab-container-cluster.c: the cluster on container nodes (a recipe's
 * [cluster]): how the cluster layer reaches a node (nsenter into its
 * namespaces), the fence agent that powers a node off (fence_labctl:
 * every process of the node's network namespace killed), the faults the
 * experiments inject (power off, link down/up), and the steps of the
 * cluster phase and the HA guests' step of the guests phase. */
#include "config.h"

#include "lab-container.h"
#include "lab-container-private.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>

#include "lab-error.h"
#include "lab-flavor.h"
#include "lab-guest.h"
#include "lab-i18n.h"
#include "lab-probe.h"
#include "lab-util.h"

static char *
netns_prefix (LabContext *ctx)
{
  return g_strdup_printf ("labctl-%s-", ctx->recipe->name);
}

static char *
describe_prefix (LabContext *ctx, const char *node)
{
  g_autofree char *dir = lab_context_get_state_dir (ctx);

  return g_strdup_printf ("nsenter -t $(cat %s/nodes/%s/run/virtlogd.pid) -m -u -n --", dir, node);
}

static char **
fence_params (LabContext *ctx)
{
  g_autofree char *prefix = netns_prefix (ctx);

  return lab_strv_new ("netns_prefix", prefix, NULL);
}

const LabClusterOps lab_container_cluster_ops = {
  .node_command = lab_flavor_node_command,
  .describe_prefix = describe_prefix,
  .fence_agent = LAB_CONTAINER_FENCE_AGENT,
  .fence_params = fence_params,
  .guest_xml = lab_guest_xml,
};

void
lab_container_add_cluster_steps (LabPlan *plan, LabContext *ctx)
{
  if (ctx->recipe->cluster)
    lab_cluster_add_steps (plan, ctx, &lab_container_cluster_ops);
}

void
lab_container_add_guest_steps (LabPlan *plan, LabContext *ctx)
{
  LabRecipe *r = ctx->recipe;

  lab_guest_add_steps (plan, ctx);
  for (guint i = 0; r->cluster && i < r->guests->len; i++)
    lab_cluster_add_guest_step (plan, ctx, &lab_container_cluster_ops, g_ptr_array_index (r->guests, i));
}

/* ---- faults -------------------------------------------------------------- */

/* PIDs whose network namespace has inode ino. */
static GArray *
pids_in_netns (ino_t ino)
{
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (GPid));
  g_autoptr(GDir) d = g_dir_open ("/proc", 0, NULL);
  const char *name;
  GPid self = getpid ();

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL;
      struct stat st;
      GPid pid;

      if (!g_ascii_isdigit (name[0]))
        continue;
      pid = (GPid) atoi (name);
      path = g_strdup_printf ("/proc/%s/ns/net", name);
      if (pid != self && stat (path, &st) == 0 && st.st_ino == ino && lab_process_alive (pid))
        g_array_append_val (pids, pid);
    }
  return pids;
}

gboolean
lab_container_netns_kill_all (LabContainerNode *node, guint *n_killed, GError **error)
{
  g_autofree char *path = g_build_filename ("/run/netns", node->netns, NULL);
  struct stat st;

  *n_killed = 0;
  if (stat (path, &st) < 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, _("Node %s has no network namespace %s: %s"),
                   node->node_name, path, g_strerror (errno));
      return FALSE;
    }
  /* its processes fork while they die: until none is left */
  for (guint round = 0; round < 100; round++)
    {
      g_autoptr(GArray) pids = pids_in_netns (st.st_ino);

      if (pids->len == 0)
        return TRUE;
      for (guint i = 0; i < pids->len; i++)
        if (kill (g_array_index (pids, GPid, i), SIGKILL) == 0)
          (*n_killed)++;
      g_usleep (20 * 1000);
    }
  g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Processes of node %s survive SIGKILL"), node->node_name);
  return FALSE;
}

gboolean
lab_container_node_fault (LabContext *ctx, LabNode *n, LabNodeFault fault, GError **error)
{
  g_autoptr(LabContainerNode) node = lab_container_node_for (ctx, n);
  guint killed = 0;

  switch (fault)
    {
    case LAB_NODE_FAULT_POWEROFF:
      return lab_container_netns_kill_all (node, &killed, error);
    case LAB_NODE_FAULT_LINK_DOWN:
    case LAB_NODE_FAULT_LINK_UP:
      /* the host end of the node's veth: the node keeps its address, the
       * lab network stops hearing it */
      return lab_runner_runv (ctx->runner, 0, NULL, error, "ip", "link", "set", node->veth,
                              fault == LAB_NODE_FAULT_LINK_UP ? "up" : "down", NULL);
    }
  g_return_val_if_reached (FALSE);
}

/* ---- reset ---------------------------------------------------------------- */

gboolean
lab_container_reset_guest (LabContext *ctx, LabGuest *g, GError **error)
{
  const LabClusterOps *ops = &lab_container_cluster_ops;

  if (!ctx->recipe->cluster)
    return lab_guest_reset (ctx, g, error);
  /* the cluster owns the guest: it stops it and boots it again at home
   * (a clean image restored behind its back would run twice) */
  if (!lab_cluster_guest_restart_on (ctx, ops, g->name, g->node, 120000, error))
    return FALSE;
  if (g->address != NULL)
    return lab_probe_ping_once (g->address, NULL, 120000, ctx->cancellable, error);
  return TRUE;
}
