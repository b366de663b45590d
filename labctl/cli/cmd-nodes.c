/* cmd-nodes.c: `labctl nodes list|start|stop|console|snapshot|revert`. */
#include "config.h"

#include <string.h>

#include "lab-cli.h"
#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-vm.h"
#include "lab-plan.h"
#include "lab-recipe.h"
#include "lab-runner.h"
#include "lab-state.h"
#include "lab-virt.h"

#define STOP_TIMEOUT_S 60
#define START_TIMEOUT_MS (120 * 1000)

typedef struct {
  LabCli    *cli;
  LabRecipe *recipe;
  LabVirt   *virt;
  const char *uri;
} NodesCmd;

static void
nodes_cmd_clear (NodesCmd *c)
{
  g_clear_object (&c->virt);
  g_clear_pointer (&c->recipe, lab_recipe_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (NodesCmd, nodes_cmd_clear)

static gboolean
load_recipe (NodesCmd *c, GError **error)
{
  g_autofree char *path = lab_recipe_resolve_path (c->cli->recipe, error);

  if (path == NULL)
    return FALSE;
  c->recipe = lab_recipe_load (path, error);
  c->uri = lab_virt_default_uri (NULL);
  return c->recipe != NULL;
}

static gboolean
connect_virt (NodesCmd *c, GError **error)
{
  g_autoptr(LabRunner) runner = NULL;

  c->virt = lab_virt_connect (c->uri, error);
  if (c->virt == NULL)
    return FALSE;
  /* qemu-img, to revert external snapshots where libvirt cannot */
  runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  lab_virt_set_runner (c->virt, runner);
  return TRUE;
}

/* The nodes named on the command line (all when none). */
static GPtrArray *
select_nodes (NodesCmd *c, const char *command, char **names, GError **error)
{
  g_autoptr(GPtrArray) nodes = g_ptr_array_new ();

  if (names == NULL || names[0] == NULL)
    {
      for (guint i = 0; i < c->recipe->nodes->len; i++)
        g_ptr_array_add (nodes, g_ptr_array_index (c->recipe->nodes, i));
      return g_steal_pointer (&nodes);
    }
  for (guint i = 0; names[i] != NULL; i++)
    {
      LabNode *node = lab_recipe_find_node (c->recipe, names[i]);
      if (node == NULL)
        {
          lab_cli_set_usage_error (error, command, _("lab \"%s\" has no node \"%s\""), c->recipe->name, names[i]);
          return NULL;
        }
      g_ptr_array_add (nodes, node);
    }
  return g_steal_pointer (&nodes);
}

static GPtrArray *
specs_for (NodesCmd *c, GPtrArray *nodes)
{
  GPtrArray *specs = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_virt_domain_spec_free);

  for (guint i = 0; i < nodes->len; i++)
    g_ptr_array_add (specs, lab_vm_domain_spec (c->recipe, g_ptr_array_index (nodes, i), NULL, "kvm", NULL));
  return specs;
}

/* `nodes list --dry-run`: what `up` would do for the nodes, as commands. */
static gboolean
nodes_describe (NodesCmd *c, GError **error)
{
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_DRY_RUN);
  g_autoptr(LabState) state = lab_state_new_in_memory (c->recipe->name);
  g_autoptr(GString) out = g_string_new (NULL);
  LabContext ctx = { 0 };
  g_autoptr(LabPlan) plan = NULL;

  ctx.recipe = c->recipe;
  ctx.state = state;
  ctx.runner = runner;
  ctx.dry_run = TRUE;
  ctx.libvirt_uri = c->uri;
  ctx.sysroot = "/";
  plan = lab_plan_new (&ctx);
  lab_vm_add_steps (plan, &ctx);
  lab_plan_describe (plan, FALSE, out);
  if (out->len > 0 && out->str[out->len - 1] != '\n')
    g_string_append_c (out, '\n');
  fputs (out->str, c->cli->out);
  return TRUE;
}

static gboolean
nodes_list (NodesCmd *c, char **names, GError **error)
{
  g_autoptr(GPtrArray) nodes = select_nodes (c, "nodes", names, error);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (nodes == NULL || !connect_virt (c, error))
    return FALSE;
  json_builder_begin_array (b);
  if (!c->cli->json)
    fprintf (c->cli->out, "%-12s %-14s %-5s %-9s %-17s %s\n", _("NODE"), _("STATE"), _("VCPU"), _("MEMORY"),
             _("RESERVED"), _("ADDRESSES"));
  for (guint i = 0; i < nodes->len; i++)
    {
      LabNode *node = g_ptr_array_index (nodes, i);
      g_autoptr(LabVirtDomainInfo) info = NULL;
      g_autoptr(GError) local = NULL;
      g_autofree char *addrs = NULL;
      const char *state;

      gboolean foreign = FALSE;

      if (!lab_virt_domain_get_info (c->virt, node->name, c->recipe->name, &info, &local))
        {
          /* someone else's VM with a node's name: shown, never touched */
          foreign = g_error_matches (local, LAB_ERROR, LAB_ERROR_FOREIGN);
          if (!foreign && !g_error_matches (local, LAB_ERROR, LAB_ERROR_NOT_FOUND))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
        }
      state = info != NULL ? _(info->state) : foreign ? _("not labctl's") : _("not defined");
      addrs = info != NULL ? g_strjoinv (",", info->addresses) : g_strdup ("");
      if (c->cli->json)
        {
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, node->name);
          json_builder_set_member_name (b, "defined");
          json_builder_add_boolean_value (b, info != NULL);
          json_builder_set_member_name (b, "state");
          json_builder_add_string_value (b, info != NULL ? info->state : foreign ? "foreign" : "undefined");
          json_builder_set_member_name (b, "vcpus");
          json_builder_add_int_value (b, node->vcpus);
          json_builder_set_member_name (b, "memory_mib");
          json_builder_add_int_value (b, node->memory_mib);
          json_builder_set_member_name (b, "reserved_address");
          json_builder_add_string_value (b, node->address);
          json_builder_set_member_name (b, "mac");
          json_builder_add_string_value (b, node->mac);
          json_builder_set_member_name (b, "addresses");
          json_builder_begin_array (b);
          for (guint j = 0; info != NULL && info->addresses[j] != NULL; j++)
            json_builder_add_string_value (b, info->addresses[j]);
          json_builder_end_array (b);
          json_builder_end_object (b);
        }
      else
        {
          g_autofree char *mem = g_strdup_printf ("%" G_GUINT64_FORMAT " MiB", node->memory_mib);
          fprintf (c->cli->out, "%-12s %-14s %-5u %-9s %-17s %s\n", node->name, state, node->vcpus, mem,
                   node->address, addrs);
        }
    }
  json_builder_end_array (b);
  if (c->cli->json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (b);
      lab_cli_print_json (c->cli, root);
    }
  return TRUE;
}

static gboolean
nodes_start_stop (NodesCmd *c, gboolean start, char **names, int timeout_s, GError **error)
{
  g_autoptr(GPtrArray) nodes = select_nodes (c, "nodes", names, error);
  g_autoptr(GPtrArray) specs = NULL;

  if (nodes == NULL)
    return FALSE;
  if (c->cli->dry_run)
    {
      for (guint i = 0; i < nodes->len; i++)
        fprintf (c->cli->out, "virsh -c %s %s %s\n", c->uri, start ? "start" : "shutdown",
                 ((LabNode *) g_ptr_array_index (nodes, i))->name);
      return TRUE;
    }
  if (!connect_virt (c, error))
    return FALSE;
  specs = specs_for (c, nodes);
  if (!lab_virt_domains_run (c->virt, specs, start ? LAB_VIRT_OP_START : LAB_VIRT_OP_STOP,
                             start ? START_TIMEOUT_MS : (guint) timeout_s * 1000, c->cli->cancellable, error))
    return FALSE;
  for (guint i = 0; i < nodes->len; i++)
    fprintf (c->cli->out, start ? _("%s: running\n") : _("%s: shut off\n"),
             ((LabNode *) g_ptr_array_index (nodes, i))->name);
  return TRUE;
}

static gboolean
nodes_console (NodesCmd *c, char **names, GError **error)
{
  g_autoptr(GPtrArray) nodes = NULL;
  g_autofree char *cmd = NULL;
  g_autofree char *quri = NULL;

  if (names == NULL || names[0] == NULL || names[1] != NULL)
    {
      lab_cli_set_usage_error (error, "nodes", _("'console' takes exactly one node name"));
      return FALSE;
    }
  nodes = select_nodes (c, "nodes", names, error);
  if (nodes == NULL)
    return FALSE;
  quri = g_shell_quote (c->uri);
  /* labctl does not attach to the console itself: virsh does it best */
  cmd = g_strdup_printf ("virsh -c %s console %s", quri, names[0]);
  fprintf (c->cli->out, "%s\n", cmd);
  if (c->cli->out_is_tty)
    fprintf (c->cli->err, "%s\n", _("Run the command above to attach to the node's serial console (leave it with Ctrl+])."));
  return TRUE;
}

static gboolean
nodes_snapshot (NodesCmd *c, const char *action, char **args, gboolean list, gboolean delete,
                const char *description, GError **error)
{
  const char *node = args != NULL ? args[0] : NULL;
  const char *snap = node != NULL ? args[1] : NULL;
  g_autoptr(GPtrArray) nodes = NULL;
  char *one[] = { (char *) node, NULL };

  if (node == NULL || (!list && snap == NULL))
    {
      lab_cli_set_usage_error (error, "nodes", list ? _("'%s --list' takes a node name")
                                                   : _("'%s' takes a node name and a snapshot name"), action);
      return FALSE;
    }
  nodes = select_nodes (c, "nodes", one, error);
  if (nodes == NULL)
    return FALSE;
  if (c->cli->dry_run)
    {
      if (list)
        fprintf (c->cli->out, "virsh -c %s snapshot-list %s\n", c->uri, node);
      else if (g_str_equal (action, "revert"))
        fprintf (c->cli->out, "virsh -c %s snapshot-revert %s %s\n", c->uri, node, snap);
      else if (delete)
        fprintf (c->cli->out, "virsh -c %s snapshot-delete %s %s\n", c->uri, node, snap);
      else
        fprintf (c->cli->out, "virsh -c %s snapshot-create-as %s %s\n", c->uri, node, snap);
      return TRUE;
    }
  if (!connect_virt (c, error))
    return FALSE;
  if (list)
    {
      g_auto(GStrv) names = lab_virt_snapshot_list (c->virt, node, c->recipe->name, error);
      if (names == NULL)
        return FALSE;
      if (c->cli->json)
        {
          g_autoptr(JsonBuilder) b = json_builder_new ();
          g_autoptr(JsonNode) root = NULL;
          json_builder_begin_array (b);
          for (guint i = 0; names[i] != NULL; i++)
            json_builder_add_string_value (b, names[i]);
          json_builder_end_array (b);
          root = json_builder_get_root (b);
          lab_cli_print_json (c->cli, root);
        }
      else
        for (guint i = 0; names[i] != NULL; i++)
          fprintf (c->cli->out, "%s\n", names[i]);
      return TRUE;
    }
  if (g_str_equal (action, "revert"))
    {
      if (!lab_virt_snapshot_revert (c->virt, node, c->recipe->name, snap, error))
        return FALSE;
      fprintf (c->cli->out, _("%s: reverted to snapshot \"%s\"\n"), node, snap);
    }
  else if (delete)
    {
      if (!lab_virt_snapshot_delete (c->virt, node, c->recipe->name, snap, error))
        return FALSE;
      fprintf (c->cli->out, _("%s: snapshot \"%s\" deleted\n"), node, snap);
    }
  else
    {
      if (!lab_virt_snapshot_create (c->virt, node, c->recipe->name, snap, description, error))
        return FALSE;
      fprintf (c->cli->out, _("%s: snapshot \"%s\" created\n"), node, snap);
    }
  return TRUE;
}

gboolean
lab_cmd_nodes (LabCli *cli, int argc, char **argv, GError **error)
{
  gboolean list = FALSE, delete = FALSE;
  int timeout_s = STOP_TIMEOUT_S;
  g_autofree char *description = NULL;
  const GOptionEntry entries[] = {
    { "list", 'l', 0, G_OPTION_ARG_NONE, &list, N_("snapshot: list the node's snapshots"), NULL },
    { "delete", 'd', 0, G_OPTION_ARG_NONE, &delete, N_("snapshot: delete the snapshot"), NULL },
    { "description", 0, 0, G_OPTION_ARG_STRING, &description, N_("snapshot: a description"), N_("TEXT") },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout_s,
      N_("stop: seconds to wait for a clean shutdown before pulling the plug (default 60)"), N_("SECONDS") },
    { NULL }
  };
  g_auto(NodesCmd) c = { cli, NULL, NULL, NULL };
  const char *action;
  char **rest;

  if (!lab_cli_parse (cli, "nodes", _("list|start|stop|console|snapshot|revert [NODE...] [SNAPSHOT]"),
                      _("Manage the lab's node VMs: list them with their state and addresses, start or stop "
                        "them (in parallel), show how to reach their console, take, list, delete and revert "
                        "snapshots. With --dry-run, 'list' prints what 'labctl up' does for the nodes "
                        "(virt-install and virsh equivalents)."),
                      LAB_CLI_OPT_ALL, entries, &argc, &argv, error))
    return *error == NULL;
  action = argc > 1 ? argv[1] : "list";
  rest = argc > 2 ? argv + 2 : NULL;
  if (!load_recipe (&c, error))
    return FALSE;

  if (g_str_equal (action, "list"))
    return cli->dry_run ? nodes_describe (&c, error) : nodes_list (&c, rest, error);
  if (g_str_equal (action, "start"))
    return nodes_start_stop (&c, TRUE, rest, timeout_s, error);
  if (g_str_equal (action, "stop"))
    return nodes_start_stop (&c, FALSE, rest, timeout_s, error);
  if (g_str_equal (action, "console"))
    return nodes_console (&c, rest, error);
  if (g_str_equal (action, "snapshot") || g_str_equal (action, "revert"))
    return nodes_snapshot (&c, action, rest, list, delete, description, error);
  lab_cli_set_usage_error (error, "nodes", _("unknown action \"%s\"; use list, start, stop, console, snapshot or revert"),
                           action);
  return FALSE;
}
