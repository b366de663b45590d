/* lab-container-netns.c: step nodes.netns:<node>: the node's network
 * namespace, a veth from the lab bridge to its eth0, and its own bridge
 * br0 carrying the node's address (the guests' taps join br0).
 * State: nodes.<node>.netns. */
#include "config.h"

#include "lab-container.h"
#include "lab-container-private.h"

#include <string.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-util.h"

/* ---- the node's namespace ---------------------------------------------- */

gboolean
lab_container_netns_exists (LabContainerNode *node)
{
  g_autofree char *path = g_build_filename ("/run/netns", node->netns, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/* The commands, shared by apply and describe. */
static GPtrArray *
netns_commands (LabContainerNode *node)
{
  GPtrArray *cmds = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autofree char *cidr = g_strdup_printf ("%s/%u", node->address, node->prefix);
  const char *ns = node->netns;

#define CMD(...) g_ptr_array_add (cmds, g_strdupv ((char *[]) { __VA_ARGS__, NULL }))
  CMD ("ip", "netns", "add", (char *) ns);
  CMD ("ip", "-n", (char *) ns, "link", "set", "lo", "up");
  /* the node's MAC is fixed (the recipe's, from lab and node names): a
   * rebuilt node is the same neighbour for the host's ARP cache */
  CMD ("ip", "link", "add", node->veth, "type", "veth", "peer", "name", "eth0", "address", node->mac,
       "netns", (char *) ns);
  CMD ("ip", "link", "set", node->veth, "master", node->bridge, "up");
  CMD ("ip", "-n", (char *) ns, "link", "add", "br0", "address", node->mac, "type", "bridge");
  CMD ("ip", "-n", (char *) ns, "link", "set", "eth0", "master", "br0", "up");
  CMD ("ip", "-n", (char *) ns, "addr", "add", cidr, "dev", "br0");
  CMD ("ip", "-n", (char *) ns, "link", "set", "br0", "up");
#undef CMD
  return cmds;
}

gboolean
lab_container_netns_create (LabRunner *runner, LabContainerNode *node, GError **error)
{
  g_autoptr(GPtrArray) cmds = netns_commands (node);

  /* a half-made namespace (interrupted earlier) is rebuilt from scratch */
  if (lab_container_netns_exists (node) && !lab_container_netns_delete (runner, node, error))
    return FALSE;
  for (guint i = 0; i < cmds->len; i++)
    if (!lab_runner_run (runner, (const char * const *) g_ptr_array_index (cmds, i), 0, NULL, error))
      return FALSE;
  return TRUE;
}

gboolean
lab_container_netns_delete (LabRunner *runner, LabContainerNode *node, GError **error)
{
  gboolean found = FALSE;

  /* the host end goes with the namespace; delete it too if the namespace
   * is already gone but the link was left (interrupted create) */
  if (lab_container_netns_exists (node)
      && !lab_runner_runv (runner, 0, NULL, error, "ip", "netns", "del", node->netns, NULL))
    return FALSE;
  if (!lab_container_link_query (runner, NULL, node->veth, &found, NULL, error))
    return FALSE;
  if (found)
    {
      g_autoptr(GError) local_error = NULL;

      /* the kernel removes the host end of a deleted namespace's veth
       * asynchronously: gone meanwhile is fine */
      if (!lab_runner_runv (runner, 0, NULL, &local_error, "ip", "link", "del", node->veth, NULL))
        {
          if (!lab_container_link_query (runner, NULL, node->veth, &found, NULL, error))
            return FALSE;
          if (found)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
        }
    }
  return TRUE;
}

char **
lab_container_netns_describe (LabContainerNode *node, gboolean down)
{
  GPtrArray *lines = g_ptr_array_new ();

  if (down)
    lab_lines_add_cmd (lines, "ip", "netns", "del", node->netns, NULL);
  else
    {
      g_autoptr(GPtrArray) cmds = netns_commands (node);

      for (guint i = 0; i < cmds->len; i++)
        {
          char **argv = g_ptr_array_index (cmds, i);
          g_autoptr(GString) s = g_string_new (NULL);

          for (guint j = 0; argv[j] != NULL; j++)
            g_string_append_printf (s, "%s%s", j > 0 ? " " : "", argv[j]);
          g_ptr_array_add (lines, g_string_free (g_steal_pointer (&s), FALSE));
        }
    }
  return lab_lines_steal (lines);
}

/* ---- step nodes.netns ------------------------------------------------- */

static gboolean
netns_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  g_autoptr(LabContainerNode) node = lab_container_node_for (ctx, data);
  g_autofree char *cidr = NULL;
  g_autofree char *out = NULL;
  int status = 0;

  *done = FALSE;
  if (!lab_container_netns_exists (node))
    return TRUE;
  /* complete only when the node's address is in place (the last commands) */
  cidr = g_strdup_printf ("%s/%u", node->address, node->prefix);
  if (!lab_runner_run_full (ctx->runner,
                            (const char *[]) { "ip", "-n", node->netns, "-o", "addr", "show", "dev", "br0", "up", NULL },
                            LAB_RUN_QUERY, NULL, 0, &status, &out, NULL, NULL, error))
    return FALSE;
  *done = status == 0 && out != NULL && strstr (out, cidr) != NULL;
  return TRUE;
}

static gboolean
netns_apply (LabContext *ctx, gpointer data, GError **error)
{
  LabNode *n = data;
  g_autoptr(LabContainerNode) node = lab_container_node_for (ctx, n);
  g_autofree char *key = g_strdup_printf ("nodes.%s.netns", n->name);

  lab_state_set_string (ctx->state, key, node->netns);
  if (!lab_state_save (ctx->state, error))
    return FALSE;
  return lab_container_netns_create (ctx->runner, node, error);
}

static gboolean
netns_undo (LabContext *ctx, gpointer data, GError **error)
{
  LabNode *n = data;
  g_autoptr(LabContainerNode) node = lab_container_node_for (ctx, n);
  g_autofree char *key = g_strdup_printf ("nodes.%s.netns", n->name);

  if (!lab_container_netns_delete (ctx->runner, node, error))
    return FALSE;
  lab_state_remove (ctx->state, key);
  return TRUE;
}

static char **
netns_describe (LabContext *ctx, gpointer data, gboolean down)
{
  g_autoptr(LabContainerNode) node = lab_container_node_for (ctx, data);

  return lab_container_netns_describe (node, down);
}

const LabStepInfo lab_container_netns_step = {
  "nodes.netns", N_("Create the network namespace of node %s"), TRUE,
  netns_check, netns_apply, netns_undo, netns_describe,
};
