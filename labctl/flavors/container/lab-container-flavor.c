/* lab-container-flavor.c: the container flavor's row in the flavor table:
 * nodes as network namespaces with their own libvirtd on the host kernel
 * (no nested virtualization), guests on the nodes' libvirt, reset through
 * the guests' clean images. */
#include "config.h"

#include <signal.h>

#include "lab-error.h"
#include "lab-flavor.h"
#include "lab-container.h"
#include "lab-container-private.h"

#include "lab-guest.h"
#include "lab-i18n.h"
#include "lab-json.h"
#include "lab-virt.h"

static void
add_per_node (LabPlan *plan, LabContext *ctx, const LabStepInfo *info)
{
  LabRecipe *r = ctx->recipe;

  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *n = g_ptr_array_index (r->nodes, i);

      lab_plan_add_step (plan, info, n->name, n->name, n, NULL);
    }
}

/* Every node's namespace first, then every node's daemons. */
void
lab_container_add_node_steps (LabPlan *plan, LabContext *ctx)
{
  add_per_node (plan, ctx, &lab_container_netns_step);
  add_per_node (plan, ctx, &lab_container_libvirtd_step);
}

static char *
container_node_uri (LabContext *ctx, LabNode *node, GError **error)
{
  g_autoptr(LabContainerNode) cn = lab_container_node_for (ctx, node);

  return lab_container_node_uri (cn);
}

static char *
container_node_peer_uri (LabContext *ctx, LabNode *node, GError **error)
{
  g_autoptr(LabContainerNode) cn = lab_container_node_for (ctx, node);

  return lab_container_node_peer_uri (cn);
}

/* A container node is the network, mount and UTS namespaces its virtlogd
 * was started in (libvirtd joined them): nsenter into them. */
static char **
container_node_command (LabContext *ctx, LabNode *node, const char *const *argv, GError **error)
{
  g_autofree char *key = g_strdup_printf ("nodes.%s.virtlogd_pid", node->name);
  GPid pid = (GPid) lab_state_get_int (ctx->state, key, 0);
  g_autofree char *pid_str = NULL;
  GStrvBuilder *b;
  char **cmd;

  if (pid <= 0 || kill (pid, 0) != 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("Node %s of lab %s is not running (run `labctl up` first)"), node->name, ctx->recipe->name);
      return NULL;
    }
  pid_str = g_strdup_printf ("%d", (int) pid);
  b = g_strv_builder_new ();
  g_strv_builder_add_many (b, "nsenter", "-t", pid_str, "-m", "-u", "-n", "--", NULL);
  if (argv != NULL)
    g_strv_builder_addv (b, (const char **) argv);
  else
    g_strv_builder_add_many (b, "/bin/sh", "-l", NULL);
  cmd = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return cmd;
}

/* The node's libvirtd answers on its socket. */
static gboolean
container_node_ready (LabContext *ctx, LabNode *node, GError **error)
{
  g_autofree char *uri = container_node_uri (ctx, node, error);
  g_autoptr(virConnect) conn = uri != NULL ? lab_virt_open (uri, error) : NULL;

  return conn != NULL;
}

static void
container_node_status (LabContext *ctx, LabNode *node, JsonBuilder *b)
{
  g_autoptr(LabContainerNode) cn = lab_container_node_for (ctx, node);
  g_autofree char *key = g_strdup_printf ("nodes.%s.libvirtd_pid", node->name);
  g_autofree char *uri = lab_container_node_uri (cn);
  GPid pid = (GPid) lab_state_get_int (ctx->state, key, 0);

  lab_json_member_string (b, "netns", cn->netns);
  lab_json_member_boolean (b, "netns_exists", lab_container_netns_exists (cn));
  lab_json_member_int (b, "libvirtd_pid", pid);
  lab_json_member_boolean (b, "libvirtd_answers", lab_container_daemons_running (cn, pid));
  lab_json_member_string (b, "uri", uri);
}

static void
container_node_status_text (JsonObject *no, GString *s)
{
  g_string_append_printf (s, _(" netns %s (%s), libvirtd %s"),
                          json_object_get_string_member (no, "netns"),
                          json_object_get_boolean_member (no, "netns_exists") ? _("present") : _("absent"),
                          json_object_get_boolean_member (no, "libvirtd_answers") ? _("answers") : _("down"));
}

/* Every guest recreated on its home node from its clean image. */
static gboolean
container_reset (LabContext *ctx, GError **error)
{
  LabRecipe *r = ctx->recipe;

  for (guint i = 0; i < r->guests->len; i++)
    {
      LabGuest *g = g_ptr_array_index (r->guests, i);
      gint64 t0 = g_get_monotonic_time ();

      if (!lab_container_reset_guest (ctx, g, error))
        return FALSE;
      lab_progress_info (ctx->progress, _("guest %s back to its clean state on %s in %.2f s"), g->name,
                         g->node, (g_get_monotonic_time () - t0) / 1e6);
    }
  return lab_state_save (ctx->state, error);
}

/* Neither KVM nor nesting nor the host's libvirtd nor an iSCSI initiator:
 * the nodes are namespaces, the guests' disks go through QEMU's iSCSI
 * driver. */
static const char * const container_ignored_checks[] = {
  "cpu.virt-flag", "kvm.module", "kvm.device", "kvm.nested", "cpu.ept", "cpu.npt",
  "libvirt.reachable", "tool.iscsiadm", NULL,
};

const LabFlavor lab_flavor_container = {
  .name = "container",
  .add_steps = {
    [LAB_PHASE_NETWORK] = lab_container_add_network_steps,
    [LAB_PHASE_NODES] = lab_container_add_node_steps,
    [LAB_PHASE_CLUSTER] = lab_container_add_cluster_steps,
    [LAB_PHASE_GUESTS] = lab_container_add_guest_steps,
  },
  .node_uri = container_node_uri,
  .node_peer_uri = container_node_peer_uri,
  .node_command = container_node_command,
  .cluster_ops = &lab_container_cluster_ops,
  .node_fault = lab_container_node_fault,
  .node_ready = container_node_ready,
  .node_status = container_node_status,
  .node_status_text = container_node_status_text,
  .reset = container_reset,
  /* no reset_undoes: the reset recreates the guests only; the nodes and
   * the cluster in them keep running */
  .ignored_checks = container_ignored_checks,
};
