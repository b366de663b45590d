/* cmd-nodes.c: `labctl nodes list|start|stop|poweroff|console|ssh|snapshot|revert`. */
#include "config.h"

#include "lab-cli.h"
#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-recipe.h"
#include "lab-stand-nodes.h"

#define STOP_TIMEOUT_S 60

static gboolean opt_list;
static gboolean opt_delete;
static char *opt_description;
static int opt_timeout_s = STOP_TIMEOUT_S;

/* The nodes named on the command line (all when none). */
static GPtrArray *
select_nodes (LabRecipe *recipe, char **names, GError **error)
{
  g_autoptr(GPtrArray) nodes = g_ptr_array_new ();

  if (names == NULL || names[0] == NULL)
    {
      for (guint i = 0; i < recipe->nodes->len; i++)
        g_ptr_array_add (nodes, g_ptr_array_index (recipe->nodes, i));
      return g_steal_pointer (&nodes);
    }
  for (guint i = 0; names[i] != NULL; i++)
    {
      LabNode *node = lab_recipe_find_node (recipe, names[i]);
      if (node == NULL)
        {
          lab_cli_set_usage_error (error, "nodes", _("lab \"%s\" has no node \"%s\""), recipe->name, names[i]);
          return NULL;
        }
      g_ptr_array_add (nodes, node);
    }
  return g_steal_pointer (&nodes);
}

static gboolean
nodes_list (LabCli *cli, int argc, char **argv, GError **error)
{
  g_autoptr(LabStandNodes) stand = lab_stand_nodes_open (cli->recipe, error);
  g_autoptr(GPtrArray) nodes = NULL;
  g_autoptr(JsonNode) list = NULL;

  if (stand == NULL)
    return FALSE;
  /* what `labctl up` does for the nodes, as commands */
  if (cli->dry_run)
    {
      g_autofree char *text = lab_stand_nodes_describe (stand);

      fputs (text, cli->out);
      return TRUE;
    }
  nodes = select_nodes (lab_stand_nodes_get_recipe (stand), argv + 1, error);
  if (nodes == NULL)
    return FALSE;
  list = lab_stand_nodes_list (stand, nodes, error);
  if (list == NULL)
    return FALSE;
  lab_cli_print_report (cli, list, lab_stand_nodes_list_format);
  return TRUE;
}

static gboolean
nodes_start_stop (LabCli *cli, gboolean start, char **names, GError **error)
{
  g_autoptr(LabStandNodes) stand = lab_stand_nodes_open (cli->recipe, error);
  g_autoptr(GPtrArray) nodes = NULL;
  gboolean ok;

  if (stand == NULL)
    return FALSE;
  nodes = select_nodes (lab_stand_nodes_get_recipe (stand), names, error);
  if (nodes == NULL)
    return FALSE;
  if (cli->dry_run)
    {
      for (guint i = 0; i < nodes->len; i++)
        fprintf (cli->out, "virsh -c %s %s %s\n", lab_stand_nodes_get_uri (stand), start ? "start" : "shutdown",
                 ((LabNode *) g_ptr_array_index (nodes, i))->name);
      return TRUE;
    }
  if (start)
    ok = lab_stand_nodes_start (stand, nodes, cli->cancellable, error);
  else
    ok = lab_stand_nodes_stop (stand, nodes, (guint) opt_timeout_s, cli->cancellable, error);
  if (!ok)
    return FALSE;
  for (guint i = 0; i < nodes->len; i++)
    fprintf (cli->out, start ? _("%s: running\n") : _("%s: shut off\n"),
             ((LabNode *) g_ptr_array_index (nodes, i))->name);
  return TRUE;
}

static gboolean
nodes_start (LabCli *cli, int argc, char **argv, GError **error)
{
  return nodes_start_stop (cli, TRUE, argv + 1, error);
}

static gboolean
nodes_stop (LabCli *cli, int argc, char **argv, GError **error)
{
  return nodes_start_stop (cli, FALSE, argv + 1, error);
}

static gboolean
nodes_poweroff (LabCli *cli, int argc, char **argv, GError **error)
{
  if (cli->dry_run)
    {
      fprintf (cli->out, _("would force node %s off (no shutdown)\n"), argv[1]);
      return TRUE;
    }
  if (!lab_stand_node_poweroff (cli->recipe, argv[1], error))
    return FALSE;
  fprintf (cli->out, _("%s: forced off\n"), argv[1]);
  return TRUE;
}

static gboolean
nodes_ssh (LabCli *cli, int argc, char **argv, GError **error)
{
  int status = 0;

  if (!lab_stand_node_shell (cli->recipe, argv[1], argc > 2 ? (const char * const *) argv + 2 : NULL,
                             cli->dry_run, cli->out, &status, error))
    return FALSE;
  if (status != 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL, _("The command on node %s exited with status %d"), argv[1],
                   status);
      return FALSE;
    }
  return TRUE;
}

static gboolean
nodes_console (LabCli *cli, int argc, char **argv, GError **error)
{
  g_autoptr(LabStandNodes) stand = lab_stand_nodes_open (cli->recipe, error);
  g_autoptr(GPtrArray) nodes = NULL;
  g_autofree char *quri = NULL;

  if (stand == NULL)
    return FALSE;
  nodes = select_nodes (lab_stand_nodes_get_recipe (stand), argv + 1, error);
  if (nodes == NULL)
    return FALSE;
  quri = g_shell_quote (lab_stand_nodes_get_uri (stand));
  /* labctl does not attach to the console itself: virsh does it best */
  fprintf (cli->out, "virsh -c %s console %s\n", quri, argv[1]);
  if (cli->out_is_tty)
    fprintf (cli->err, "%s\n", _("Run the command above to attach to the node's serial console (leave it with Ctrl+])."));
  return TRUE;
}

typedef enum {
  SNAPSHOT_CREATE,
  SNAPSHOT_LIST,
  SNAPSHOT_DELETE,
  SNAPSHOT_REVERT,
} SnapshotOp;

static gboolean
run_snapshot (LabCli *cli, SnapshotOp op, const char *node, const char *snap, GError **error)
{
  static const char * const virsh_verbs[] = {
    [SNAPSHOT_CREATE] = "snapshot-create-as", [SNAPSHOT_LIST] = "snapshot-list",
    [SNAPSHOT_DELETE] = "snapshot-delete", [SNAPSHOT_REVERT] = "snapshot-revert",
  };
  g_autoptr(LabStandNodes) stand = lab_stand_nodes_open (cli->recipe, error);
  g_autoptr(GPtrArray) nodes = NULL;
  char *one[] = { (char *) node, NULL };
  g_auto(GStrv) names = NULL;

  if (stand == NULL)
    return FALSE;
  nodes = select_nodes (lab_stand_nodes_get_recipe (stand), one, error);
  if (nodes == NULL)
    return FALSE;
  if (cli->dry_run)
    {
      fprintf (cli->out, "virsh -c %s %s %s%s%s\n", lab_stand_nodes_get_uri (stand), virsh_verbs[op], node,
               op != SNAPSHOT_LIST ? " " : "", op != SNAPSHOT_LIST ? snap : "");
      return TRUE;
    }
  switch (op)
    {
    case SNAPSHOT_LIST:
      names = lab_stand_nodes_snapshot_list (stand, node, error);
      if (names == NULL)
        return FALSE;
      if (cli->json)
        {
          g_autoptr(JsonBuilder) b = json_builder_new ();
          g_autoptr(JsonNode) root = NULL;

          json_builder_begin_array (b);
          for (guint i = 0; names[i] != NULL; i++)
            json_builder_add_string_value (b, names[i]);
          json_builder_end_array (b);
          root = json_builder_get_root (b);
          lab_cli_print_json (cli, root);
        }
      else
        for (guint i = 0; names[i] != NULL; i++)
          fprintf (cli->out, "%s\n", names[i]);
      return TRUE;
    case SNAPSHOT_REVERT:
      if (!lab_stand_nodes_snapshot_revert (stand, node, snap, error))
        return FALSE;
      fprintf (cli->out, _("%s: reverted to snapshot \"%s\"\n"), node, snap);
      return TRUE;
    case SNAPSHOT_DELETE:
      if (!lab_stand_nodes_snapshot_delete (stand, node, snap, error))
        return FALSE;
      fprintf (cli->out, _("%s: snapshot \"%s\" deleted\n"), node, snap);
      return TRUE;
    case SNAPSHOT_CREATE:
    default:
      if (!lab_stand_nodes_snapshot_create (stand, node, snap, opt_description, error))
        return FALSE;
      fprintf (cli->out, _("%s: snapshot \"%s\" created\n"), node, snap);
      return TRUE;
    }
}

/* NODE [SNAPSHOT]: the snapshot is needed unless --list */
static gboolean
nodes_snapshot (LabCli *cli, int argc, char **argv, GError **error)
{
  if (!opt_list && argc < 3)
    {
      lab_cli_set_usage_error (error, "nodes", _("give a snapshot name, or --list for the node's snapshots"));
      return FALSE;
    }
  return run_snapshot (cli, opt_list ? SNAPSHOT_LIST : opt_delete ? SNAPSHOT_DELETE : SNAPSHOT_CREATE, argv[1],
                       argv[2], error);
}

static gboolean
nodes_revert (LabCli *cli, int argc, char **argv, GError **error)
{
  return run_snapshot (cli, SNAPSHOT_REVERT, argv[1], argv[2], error);
}

static const GOptionEntry stop_options[] = {
  { "timeout", 't', 0, G_OPTION_ARG_INT, &opt_timeout_s,
    N_("Seconds to wait for a clean shutdown before pulling the plug (default 60)"), N_("SECONDS") },
  { NULL }
};

static const GOptionEntry snapshot_options[] = {
  { "list", 'l', 0, G_OPTION_ARG_NONE, &opt_list, N_("List the node's snapshots (then no SNAPSHOT)"), NULL },
  { "delete", 'd', 0, G_OPTION_ARG_NONE, &opt_delete, N_("Delete the snapshot"), NULL },
  { "description", 0, 0, G_OPTION_ARG_STRING, &opt_description, N_("A description of the new snapshot"),
    N_("TEXT") },
  { NULL }
};

static const LabCommand nodes_verbs[] = {
  {
    .name = "list",
    .parameter_string = N_("[NODE...]"),
    .summary = N_("List the nodes with their state and addresses"),
    .description = N_("Lists the nodes (all, or the ones named) with their state, size and addresses. "
                      "With --dry-run, prints what 'labctl up' does for the nodes (virt-install and "
                      "virsh equivalents)."),
    .max_args = -1,
    .common = LAB_CLI_OPT_ALL,
    .complete = LAB_CLI_COMPLETE_NODES,
    .complete_more = LAB_CLI_COMPLETE_NODES,
    .handler = nodes_list,
    .flags = LAB_CLI_DEFAULT,
  },
  {
    .name = "start",
    .parameter_string = N_("[NODE...]"),
    .summary = N_("Start nodes (all when none is named), in parallel"),
    .max_args = -1,
    .common = LAB_CLI_OPT_ALL,
    .complete = LAB_CLI_COMPLETE_NODES,
    .complete_more = LAB_CLI_COMPLETE_NODES,
    .handler = nodes_start,
    .flags = LAB_CLI_LOCKS_LAB,
  },
  {
    .name = "stop",
    .parameter_string = N_("[NODE...]"),
    .summary = N_("Shut nodes down (all when none is named), in parallel"),
    .max_args = -1,
    .common = LAB_CLI_OPT_ALL,
    .options = stop_options,
    .complete = LAB_CLI_COMPLETE_NODES,
    .complete_more = LAB_CLI_COMPLETE_NODES,
    .handler = nodes_stop,
    .flags = LAB_CLI_LOCKS_LAB,
  },
  {
    .name = "console",
    .parameter_string = N_("NODE"),
    .summary = N_("Print the command that attaches to a node's serial console"),
    .min_args = 1,
    .max_args = 1,
    .common = LAB_CLI_OPT_ALL,
    .complete = LAB_CLI_COMPLETE_NODES,
    .handler = nodes_console,
  },
  {
    .name = "ssh",
    .parameter_string = N_("NODE [-- COMMAND...]"),
    .summary = N_("Run a command as root on a node, or open a shell there (kvm: ssh with the lab's key)"),
    .min_args = 1,
    .max_args = -1,
    .common = LAB_CLI_OPT_ALL,
    .complete = LAB_CLI_COMPLETE_NODES,
    .handler = nodes_ssh,
  },
  {
    .name = "poweroff",
    .parameter_string = N_("NODE"),
    .summary = N_("Force a node off at once, as a power failure would (virsh destroy; no shutdown)"),
    .description = N_("Pulls the node's plug: a VM node is destroyed, every process of a container node is "
                      "killed at once. Nothing is shut down cleanly; in a cluster the others see a failed node "
                      "and fence it. 'labctl up' starts it again."),
    .min_args = 1,
    .max_args = 1,
    .common = LAB_CLI_OPT_ALL,
    .complete = LAB_CLI_COMPLETE_NODES,
    .handler = nodes_poweroff,
    .flags = LAB_CLI_LOCKS_LAB,
  },
  {
    .name = "snapshot",
    .parameter_string = N_("NODE [SNAPSHOT]"),
    .summary = N_("Take a snapshot of a node, or list (--list) or delete (--delete) its snapshots"),
    .min_args = 1,
    .max_args = 2,
    .common = LAB_CLI_OPT_ALL,
    .options = snapshot_options,
    .complete = LAB_CLI_COMPLETE_NODES,
    .handler = nodes_snapshot,
    .flags = LAB_CLI_LOCKS_LAB,
  },
  {
    .name = "revert",
    .parameter_string = N_("NODE SNAPSHOT"),
    .summary = N_("Bring a node back to a snapshot"),
    .min_args = 2,
    .max_args = 2,
    .common = LAB_CLI_OPT_ALL,
    .complete = LAB_CLI_COMPLETE_NODES,
    .handler = nodes_revert,
    .flags = LAB_CLI_LOCKS_LAB,
  },
  { NULL }
};

const LabCommand lab_command_nodes = {
  .name = "nodes",
  .summary = N_("Node VMs: list, start, stop, console, ssh, snapshot, revert"),
  .description = N_("Manage the lab's node VMs: list them with their state and addresses, start or stop "
                    "them (in parallel), show how to reach their console, run commands on them as root "
                    "('ssh NODE -- COMMAND', with the lab's key and pinned host keys), take, list, delete "
                    "and revert snapshots. With --dry-run, 'list' prints what 'labctl up' does for the "
                    "nodes (virt-install and virsh equivalents), 'ssh' the command it would run."),
  .common = LAB_CLI_OPT_ALL,
  .verbs = nodes_verbs,
};
