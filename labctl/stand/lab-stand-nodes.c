/* lab-stand-nodes.c: the node VMs of a lab on their own, through lab-vm
 * (their domain specs and steps) and lab-virt. */
#include "config.h"

#include "lab-stand-nodes.h"

#include "lab-error.h"
#include "lab-flavor.h"
#include "lab-i18n.h"
#include "lab-json.h"
#include "lab-plan.h"
#include "lab-runner.h"
#include "lab-stand.h"
#include "lab-state.h"
#include "lab-virt.h"
#include "lab-vm.h"

#define START_TIMEOUT_MS (120 * 1000)

struct _LabStandNodes {
  LabRecipe  *recipe;
  const char *uri;
  LabVirt    *virt;   /* connected on first use */
};

LabStandNodes *
lab_stand_nodes_open (const char *recipe_name, GError **error)
{
  g_autoptr(LabStandNodes) self = g_new0 (LabStandNodes, 1);

  self->recipe = lab_recipe_load_named (recipe_name, error);
  if (self->recipe == NULL)
    return NULL;
  self->uri = lab_virt_default_uri (NULL);
  return g_steal_pointer (&self);
}

void
lab_stand_nodes_free (LabStandNodes *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->virt);
  g_clear_pointer (&self->recipe, lab_recipe_free);
  g_free (self);
}

LabRecipe *
lab_stand_nodes_get_recipe (LabStandNodes *self)
{
  return self->recipe;
}

const char *
lab_stand_nodes_get_uri (LabStandNodes *self)
{
  return self->uri;
}

static gboolean
connect_virt (LabStandNodes *self, GError **error)
{
  g_autoptr(LabRunner) runner = NULL;

  if (self->virt != NULL)
    return TRUE;
  self->virt = lab_virt_connect (self->uri, error);
  if (self->virt == NULL)
    return FALSE;
  /* qemu-img, to revert external snapshots where libvirt cannot */
  runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  lab_virt_set_runner (self->virt, runner);
  return TRUE;
}

char *
lab_stand_nodes_describe (LabStandNodes *self)
{
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_DRY_RUN);
  g_autoptr(LabState) state = lab_state_new_in_memory (self->recipe->name);
  g_autoptr(GString) out = g_string_new (NULL);
  LabContext ctx;
  g_autoptr(LabPlan) plan = NULL;

  lab_context_init (&ctx, self->recipe, state, runner, NULL, TRUE);
  ctx.libvirt_uri = self->uri;
  plan = lab_plan_new (&ctx);
  lab_vm_add_steps (plan, &ctx);
  lab_plan_describe (plan, FALSE, out);
  if (out->len > 0 && out->str[out->len - 1] != '\n')
    g_string_append_c (out, '\n');
  return g_string_free (g_steal_pointer (&out), FALSE);
}

JsonNode *
lab_stand_nodes_list (LabStandNodes *self, GPtrArray *nodes, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (!connect_virt (self, error))
    return NULL;
  json_builder_begin_array (b);
  for (guint i = 0; i < nodes->len; i++)
    {
      LabNode *node = g_ptr_array_index (nodes, i);
      g_autoptr(LabVirtDomainInfo) info = NULL;
      g_autoptr(GError) local = NULL;
      gboolean foreign = FALSE;

      if (!lab_virt_domain_get_info (self->virt, node->name, self->recipe->name, &info, &local))
        {
          /* someone else's VM with a node's name: shown, never touched */
          foreign = g_error_matches (local, LAB_ERROR, LAB_ERROR_FOREIGN);
          if (!foreign && !g_error_matches (local, LAB_ERROR, LAB_ERROR_NOT_FOUND))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return NULL;
            }
        }
      json_builder_begin_object (b);
      lab_json_member_string (b, "name", node->name);
      lab_json_member_boolean (b, "defined", info != NULL);
      lab_json_member_string (b, "state", info != NULL ? info->state : foreign ? "foreign" : "undefined");
      lab_json_member_int (b, "vcpus", node->vcpus);
      lab_json_member_int (b, "memory_mib", node->memory_mib);
      lab_json_member_string (b, "reserved_address", node->address);
      lab_json_member_string (b, "mac", node->mac);
      json_builder_set_member_name (b, "addresses");
      json_builder_begin_array (b);
      for (guint j = 0; info != NULL && info->addresses[j] != NULL; j++)
        json_builder_add_string_value (b, info->addresses[j]);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return json_builder_get_root (b);
}

char *
lab_stand_nodes_list_format (JsonNode *list)
{
  JsonArray *nodes = json_node_get_array (list);
  g_autoptr(GString) out = g_string_new (NULL);

  g_string_append_printf (out, "%-12s %-14s %-5s %-9s %-17s %s\n", _("NODE"), _("STATE"), _("VCPU"), _("MEMORY"),
                          _("RESERVED"), _("ADDRESSES"));
  for (guint i = 0; i < json_array_get_length (nodes); i++)
    {
      JsonObject *node = json_array_get_object_element (nodes, i);
      JsonArray *addresses = json_object_get_array_member (node, "addresses");
      const char *state = json_object_get_string_member (node, "state");
      g_autoptr(GStrvBuilder) addrs = g_strv_builder_new ();
      g_auto(GStrv) addr_list = NULL;
      g_autofree char *addr_text = NULL;
      g_autofree char *mem = g_strdup_printf ("%" G_GINT64_FORMAT " MiB",
                                              json_object_get_int_member (node, "memory_mib"));

      for (guint j = 0; j < json_array_get_length (addresses); j++)
        g_strv_builder_add (addrs, json_array_get_string_element (addresses, j));
      addr_list = g_strv_builder_end (addrs);
      addr_text = g_strjoinv (",", addr_list);
      if (!json_object_get_boolean_member (node, "defined"))
        state = g_str_equal (state, "foreign") ? _("not labctl's") : _("not defined");
      else
        state = _(state);
      g_string_append_printf (out, "%-12s %-14s %-5u %-9s %-17s %s\n", json_object_get_string_member (node, "name"),
                              state, (guint) json_object_get_int_member (node, "vcpus"), mem,
                              json_object_get_string_member (node, "reserved_address"), addr_text);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
run_domains (LabStandNodes *self, GPtrArray *nodes, LabVirtOps op, guint timeout_ms, GCancellable *cancellable,
             GError **error)
{
  g_autoptr(GPtrArray) specs = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_virt_domain_spec_free);

  if (!connect_virt (self, error))
    return FALSE;
  for (guint i = 0; i < nodes->len; i++)
    g_ptr_array_add (specs, lab_vm_domain_spec (self->recipe, g_ptr_array_index (nodes, i), NULL, "kvm", NULL));
  return lab_virt_domains_run (self->virt, specs, op, timeout_ms, cancellable, error);
}

gboolean
lab_stand_nodes_start (LabStandNodes *self, GPtrArray *nodes, GCancellable *cancellable, GError **error)
{
  return run_domains (self, nodes, LAB_VIRT_OP_START, START_TIMEOUT_MS, cancellable, error);
}

gboolean
lab_stand_nodes_stop (LabStandNodes *self, GPtrArray *nodes, guint timeout_s, GCancellable *cancellable,
                      GError **error)
{
  return run_domains (self, nodes, LAB_VIRT_OP_STOP, timeout_s * 1000, cancellable, error);
}

char **
lab_stand_nodes_snapshot_list (LabStandNodes *self, const char *node, GError **error)
{
  if (!connect_virt (self, error))
    return NULL;
  return lab_virt_snapshot_list (self->virt, node, self->recipe->name, error);
}

gboolean
lab_stand_nodes_snapshot_create (LabStandNodes *self, const char *node, const char *snapshot,
                                 const char *description, GError **error)
{
  return connect_virt (self, error)
         && lab_virt_snapshot_create (self->virt, node, self->recipe->name, snapshot, description, error);
}

gboolean
lab_stand_nodes_snapshot_delete (LabStandNodes *self, const char *node, const char *snapshot, GError **error)
{
  return connect_virt (self, error)
         && lab_virt_snapshot_delete (self->virt, node, self->recipe->name, snapshot, error);
}

gboolean
lab_stand_nodes_snapshot_revert (LabStandNodes *self, const char *node, const char *snapshot, GError **error)
{
  return connect_virt (self, error)
         && lab_virt_snapshot_revert (self->virt, node, self->recipe->name, snapshot, error);
}

gboolean
lab_stand_node_shell (const char *recipe_name, const char *node, const char *const *argv, gboolean dry_run,
                      FILE *out, int *exit_status, GError **error)
{
  g_autoptr(LabStand) stand = lab_stand_open (recipe_name, dry_run, NULL, NULL, error);
  g_auto(GStrv) cmd = NULL;

  *exit_status = 0;
  if (stand == NULL)
    return FALSE;
  cmd = lab_flavor_node_command (&stand->ctx, node, argv, error);
  if (cmd == NULL)
    return FALSE;
  if (dry_run)
    {
      g_autofree char *line = lab_runner_format_argv (stand->runner, (const char * const *) cmd);
      fprintf (out, "%s\n", line);
      return TRUE;
    }
  return lab_runner_run_interactive (stand->runner, (const char * const *) cmd, exit_status, error);
}

gboolean
lab_stand_node_poweroff (const char *recipe_name, const char *node, GError **error)
{
  g_autoptr(LabStand) stand = lab_stand_open (recipe_name, FALSE, NULL, NULL, error);

  if (stand == NULL)
    return FALSE;
  if (lab_recipe_find_node (stand->ctx.recipe, node) == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_USAGE, _("Lab %s has no node %s"), stand->ctx.recipe->name, node);
      return FALSE;
    }
  return lab_flavor_node_fault (&stand->ctx, node, LAB_NODE_FAULT_POWEROFF, error);
}
