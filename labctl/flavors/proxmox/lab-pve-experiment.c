/* lab-pve-experiment.c: the experiments' side of the Proxmox API (the
 * row's LabStackOps, lab-flavor.h): find the VM and the container, move
 * them the way Proxmox does for their kind (the VM online: `qm migrate
 * --online`, its memory copied while it runs; the container by restart:
 * `pct migrate --restart`, stopped here and started there, since LXC has
 * no live migration), read the figures of the migration task's own log,
 * make a guest an HA resource and read the HA manager's status; and the
 * fault the failover injects: the node's domain destroyed through the
 * host's libvirt, as pulling its plug.
 *
 * Sources: qemu-server PVE/QemuMigrate.pm (the log lines "average
 * migration speed: N MiB/s - downtime N ms", "migration finished
 * successfully (duration HH:MM:SS)", shared by pve-container's
 * src/PVE/LXC/Migrate.pm through pve-guest-common AbstractMigrate.pm),
 * pve-ha-manager src/PVE/API2/HA/Resources.pm and Status.pm (the sid
 * "vm:100", service entries "service:vm:100" with state and node). */
#include "config.h"

#include "lab-pve-private.h"

#include <libvirt/libvirt.h>
#include <stdlib.h>
#include <string.h>

#include "lab-error.h"
#include "lab-flavor.h"
#include "lab-i18n.h"
#include "lab-virt.h"

#define MIGRATE_TIMEOUT_S 900

static const LabPveGuestSpec *const specs[] = { &lab_pve_vm_spec, &lab_pve_ct_spec };

static gpointer
session_new (LabContext *ctx)
{
  return lab_pve_shared_new ();
}

static const LabPveGuestSpec *
spec_of (const LabStackGuest *g)
{
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    if (g_strcmp0 (g->name, specs[i]->name) == 0)
      return specs[i];
  return NULL;
}

static LabNode *
node_named (LabContext *ctx, const char *name)
{
  return lab_recipe_find_node (ctx->recipe, name);
}

/* The first node of names (NULL: every node of the recipe) whose API
 * answers; *c its client. A certificate that does not match its pin
 * stops the search with that error. */
gboolean
lab_pve_any_client (LabContext *ctx, LabPveShared *shared, const char *const *names, LabPveClient **c, GError **error)
{
  g_autoptr(GError) last = NULL;

  *c = NULL;
  for (guint i = 0; names != NULL ? names[i] != NULL : i < ctx->recipe->nodes->len; i++)
    {
      LabNode *n = names != NULL ? node_named (ctx, names[i]) : ctx->recipe->nodes->pdata[i];
      g_autoptr(JsonNode) v = NULL;

      g_clear_error (&last);
      if (n == NULL)
        continue;
      *c = lab_pve_client_for (ctx, shared, n, &last);
      if (*c != NULL && (v = lab_pve_client_call (*c, "GET", "/version", NULL, &last)) != NULL)
        return TRUE;
      *c = NULL;
      /* a node that is down is skipped; one that presents another
       * certificate than its pin is refused, and so is the experiment */
      if (g_error_matches (last, LAB_ERROR, LAB_ERROR_CHECK_FAILED))
        break;
    }
  if (last != NULL)
    g_propagate_error (error, g_steal_pointer (&last));
  else
    g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, _("Lab %s has no Proxmox node to ask"), ctx->recipe->name);
  return FALSE;
}

static gboolean
guest_find (LabContext *ctx, gpointer session, const char *name, LabStackGuest *out, GError **error)
{
  const LabPveGuestSpec *spec = NULL;
  LabPveClient *c;
  g_autofree char *node = NULL, *status = NULL;

  memset (out, 0, sizeof *out);
  for (guint i = 0; i < G_N_ELEMENTS (specs) && spec == NULL; i++)
    if (name == NULL || g_str_equal (name, specs[i]->name))
      spec = specs[i];
  if (spec == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("Lab %s has no Proxmox guest '%s'; its guests are %s (VM %u) and %s (container %u)"),
                   ctx->recipe->name, name, lab_pve_vm_spec.name, lab_pve_vm_spec.vmid, lab_pve_ct_spec.name,
                   lab_pve_ct_spec.vmid);
      return FALSE;
    }
  if (!lab_pve_any_client (ctx, session, NULL, &c, error) || !lab_pve_find_guest (c, spec, &node, &status, error))
    return FALSE;
  if (node == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("The Proxmox cluster has no guest %u (%s); run 'labctl up' first"), spec->vmid, spec->name);
      return FALSE;
    }
  out->name = g_strdup (spec->name);
  out->kind = g_strdup (spec->ha_type);
  out->node = g_steal_pointer (&node);
  out->running = g_strcmp0 (status, "running") == 0;
  /* the container's static address; the VM's, reserved for its MAC in the
   * lab network's DHCP (lab-pve-guests.c) */
  out->address = spec == &lab_pve_ct_spec ? lab_pve_container_address (ctx->recipe)
                                          : lab_pve_vm_address (ctx->recipe);
  if (g_str_equal (out->address, "dhcp"))
    g_clear_pointer (&out->address, g_free);
  return TRUE;
}

/* ---- migration -------------------------------------------------------------- */

LabPveCall *
lab_pve_migrate_call (const LabPveGuestSpec *spec, const char *from, const char *to, gboolean running)
{
  g_autofree char *path = g_strdup_printf ("/nodes/%s/%s/%u/migrate", from, spec->kind, spec->vmid);
  g_autofree char *vmid = g_strdup_printf ("%u", spec->vmid);
  LabPveCall *call = lab_pve_call_new ("POST", path, spec->cli, "migrate", vmid, NULL);

  lab_pve_call_add (call, "target", to, LAB_PVE_ARG_POSITIONAL);
  /* a running VM moves online; a container cannot (no live migration for
   * LXC): it is stopped, moved and started again */
  if (running)
    lab_pve_call_add (call, spec == &lab_pve_vm_spec ? "online" : "restart", "1", LAB_PVE_ARG_OPTION);
  return call;
}

/* "HH:MM:SS" -> ms; -1 if it is not that. */
static gint64
parse_duration (const char *s)
{
  unsigned h, m, sec;

  if (sscanf (s, "%u:%u:%u", &h, &m, &sec) != 3)
    return -1;
  return ((gint64) h * 3600 + m * 60 + sec) * 1000;
}

void
lab_pve_migration_figures (const char *const *log, gint64 *downtime_ms, gint64 *duration_ms)
{
  *downtime_ms = -1;
  *duration_ms = -1;
  for (guint i = 0; log != NULL && log[i] != NULL; i++)
    {
      const char *d = strstr (log[i], "- downtime ");
      const char *f = strstr (log[i], "migration finished successfully (duration ");

      if (d != NULL && strstr (log[i], "average migration speed") != NULL)
        *downtime_ms = g_ascii_strtoll (d + strlen ("- downtime "), NULL, 10);
      if (f != NULL)
        *duration_ms = parse_duration (f + strlen ("migration finished successfully (duration "));
    }
}

/* Waits until the guest runs on to (the HA manager moved it) and finds
 * the migration task the source node's LRM ran (GET /nodes/{from}/tasks). */
static gboolean
wait_moved (LabContext *ctx, LabPveClient *c, const LabPveGuestSpec *spec, LabNode *from, const char *to, char **task,
            GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) MIGRATE_TIMEOUT_S * G_USEC_PER_SEC;
  g_autofree char *vmid = g_strdup_printf ("%u", spec->vmid);
  g_autofree char *path = g_strdup_printf ("/nodes/%s/tasks", from->name);
  const char *params[] = { "vmid", vmid, "typefilter", spec == &lab_pve_vm_spec ? "qmigrate" : "vzmigrate",
                           "limit", "1", NULL };

  *task = NULL;
  for (;;)
    {
      g_autofree char *where = NULL, *status = NULL;

      if (!lab_pve_find_guest (c, spec, &where, &status, error))
        return FALSE;
      if (g_strcmp0 (where, to) == 0)
        break;
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT,
                       _("The HA manager did not move %s to %s within %d s; see ha-manager status on a node"),
                       spec->name, to, MIGRATE_TIMEOUT_S);
          return FALSE;
        }
      if (g_cancellable_set_error_if_cancelled (ctx->cancellable, error))
        return FALSE;
      g_usleep (250 * 1000);
    }
  {
    g_autoptr(JsonNode) list = lab_pve_client_call (c, "GET", path, params, NULL);
    JsonObject *o = list != NULL && JSON_NODE_HOLDS_ARRAY (list) && json_array_get_length (json_node_get_array (list)) > 0
                      ? json_array_get_object_element (json_node_get_array (list), 0)
                      : NULL;

    if (o != NULL)
      *task = g_strdup (json_object_get_string_member_with_default (o, "upid", NULL));
  }
  return TRUE;
}

static gboolean
guest_migrate (LabContext *ctx, gpointer session, const LabStackGuest *g, const char *to, LabStackMigration *out,
               GError **error)
{
  const LabPveGuestSpec *spec = spec_of (g);
  LabNode *from = node_named (ctx, g->node);
  LabPveClient *c = from != NULL ? lab_pve_client_for (ctx, session, from, error) : NULL;
  g_autoptr(LabPveCall) call = NULL;
  g_autoptr(JsonNode) upid = NULL;
  g_autoptr(GError) task_error = NULL;
  g_autofree char *where = NULL, *status = NULL;
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok;

  memset (out, 0, sizeof *out);
  out->downtime_ms = out->duration_ms = -1;
  if (spec == NULL || from == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, _("Proxmox guest %s on node %s is not one labctl made"),
                   g->name, g->node);
      return FALSE;
    }
  if (c == NULL)
    return FALSE;
  out->method = g_strdup (!g->running ? "offline" : spec == &lab_pve_vm_spec ? "online" : "restart");
  call = lab_pve_migrate_call (spec, g->node, to, g->running);
  upid = lab_pve_call_run (c, call, error);
  if (upid == NULL)
    return FALSE;
  out->task = g_strdup (JSON_NODE_HOLDS_VALUE (upid) ? json_node_get_string (upid) : NULL);
  ok = lab_pve_client_wait_task (c, out->task, MIGRATE_TIMEOUT_S, ctx->cancellable, NULL, &task_error);
  /* an HA resource: the call only asked the HA manager (a `hamigrate`
   * task); its LRM on the source node runs the migration afterwards */
  if (ok && out->task != NULL && strstr (out->task, ":hamigrate:") != NULL)
    {
      g_autofree char *lrm_task = NULL;

      lab_progress_info (ctx->progress, _("%s is an HA resource: the HA manager migrates it"), g->name);
      ok = wait_moved (ctx, c, spec, from, to, &lrm_task, &task_error);
      if (lrm_task != NULL)
        {
          g_free (out->task);
          out->task = g_steal_pointer (&lrm_task);
          g_free (out->method);
          out->method = g_strdup_printf ("%s (HA)", !g->running ? "offline" : spec == &lab_pve_vm_spec ? "online" : "restart");
        }
    }
  out->command_seconds = (g_get_monotonic_time () - t0) / 1e6;
  out->log = lab_pve_client_task_log (c, out->task, NULL);
  lab_pve_migration_figures ((const char *const *) out->log, &out->downtime_ms, &out->duration_ms);

  /* where it runs now, whatever the task said: the state follows it */
  if (lab_pve_find_guest (c, spec, &where, &status, NULL) && where != NULL)
    {
      g_autofree char *key = g_strdup_printf ("pve.guest.%s.node", spec->kind);

      out->migrated = g_str_equal (where, to);
      lab_state_set_string (ctx->state, key, where);
      if (lab_state_get_path (ctx->state) != NULL && !lab_state_save (ctx->state, ok ? error : NULL) && ok)
        return FALSE;
    }
  if (!ok)
    {
      g_propagate_error (error, g_steal_pointer (&task_error));
      return FALSE;
    }
  return TRUE;
}

/* ---- HA ---------------------------------------------------------------------- */

static char *
sid_of (const LabPveGuestSpec *spec)
{
  return g_strdup_printf ("%s:%u", spec->ha_type, spec->vmid);
}

LabPveCall *
lab_pve_ha_add_call (const LabPveGuestSpec *spec)
{
  g_autofree char *sid = sid_of (spec);
  LabPveCall *call = lab_pve_call_new ("POST", "/cluster/ha/resources", "ha-manager", "add", NULL);

  lab_pve_call_add (call, "sid", sid, LAB_PVE_ARG_POSITIONAL);
  lab_pve_call_add (call, "state", "started", LAB_PVE_ARG_OPTION);
  /* one restart where it ran, one relocation elsewhere: Proxmox's defaults, said out loud */
  lab_pve_call_add (call, "max_restart", "1", LAB_PVE_ARG_OPTION);
  lab_pve_call_add (call, "max_relocate", "1", LAB_PVE_ARG_OPTION);
  return call;
}

static gboolean
ha_enable (LabContext *ctx, gpointer session, const LabStackGuest *g, GError **error)
{
  const LabPveGuestSpec *spec = spec_of (g);
  LabPveClient *c;
  g_autofree char *sid = NULL;
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(JsonNode) added = NULL;
  g_autoptr(LabPveCall) call = NULL;

  if (spec == NULL || !lab_pve_any_client (ctx, session, NULL, &c, error))
    return FALSE;
  sid = sid_of (spec);
  list = lab_pve_client_call (c, "GET", "/cluster/ha/resources", NULL, error);
  if (list == NULL)
    return FALSE;
  for (guint i = 0; JSON_NODE_HOLDS_ARRAY (list) && i < json_array_get_length (json_node_get_array (list)); i++)
    {
      JsonObject *o = json_array_get_object_element (json_node_get_array (list), i);

      if (o != NULL && g_strcmp0 (json_object_get_string_member_with_default (o, "sid", NULL), sid) == 0)
        return TRUE;
    }
  lab_progress_info (ctx->progress, _("making %s (%s) an HA resource"), g->name, sid);
  call = lab_pve_ha_add_call (spec);
  added = lab_pve_call_run (c, call, error);
  if (added == NULL)
    return FALSE;
  lab_state_set_string (ctx->state, LAB_PVE_KEY_HA_SID, sid);
  return TRUE;
}

LabPveCall *
lab_pve_ha_remove_call (const LabPveGuestSpec *spec)
{
  g_autofree char *sid = sid_of (spec);
  g_autofree char *esc = lab_pve_escape (sid);
  g_autofree char *path = g_strdup_printf ("/cluster/ha/resources/%s", esc);

  return lab_pve_call_new ("DELETE", path, "ha-manager", "remove", sid, NULL);
}

/* Proxmox refuses to destroy a guest that is an HA resource ("used in HA
 * resources and purge parameter not set", qemu-server Qemu.pm
 * destroy_vm), and hands its stop to the HA manager: the resource goes
 * first. */
gboolean
lab_pve_ha_remove (LabContext *ctx, LabPveClient *c, const LabPveGuestSpec *spec, GError **error)
{
  g_autofree char *sid = sid_of (spec);
  g_autoptr(JsonNode) list = lab_pve_client_call (c, "GET", "/cluster/ha/resources", NULL, error);
  gboolean present = FALSE;

  if (list == NULL)
    return FALSE;
  for (guint i = 0; JSON_NODE_HOLDS_ARRAY (list) && i < json_array_get_length (json_node_get_array (list)); i++)
    {
      JsonObject *o = json_array_get_object_element (json_node_get_array (list), i);

      present |= o != NULL && g_strcmp0 (json_object_get_string_member_with_default (o, "sid", NULL), sid) == 0;
    }
  if (present)
    {
      g_autoptr(LabPveCall) call = lab_pve_ha_remove_call (spec);
      g_autoptr(JsonNode) gone = lab_pve_call_run (c, call, error);

      if (gone == NULL)
        return FALSE;
    }
  if (g_strcmp0 (lab_state_get_string (ctx->state, LAB_PVE_KEY_HA_SID), sid) == 0)
    lab_state_remove (ctx->state, LAB_PVE_KEY_HA_SID);
  return TRUE;
}

static gboolean
ha_status (LabContext *ctx, gpointer session, const LabStackGuest *g, const char *const *nodes, LabStackHaStatus *out,
           GError **error)
{
  const LabPveGuestSpec *spec = spec_of (g);
  g_autofree char *sid = spec != NULL ? sid_of (spec) : NULL;
  g_autofree char *id = g_strdup_printf ("service:%s", sid);
  g_autoptr(JsonNode) ha = NULL;
  g_autoptr(JsonNode) cluster = NULL;
  LabPveClient *c;

  memset (out, 0, sizeof *out);
  out->online = g_ptr_array_new_with_free_func (g_free);
  if (spec == NULL || !lab_pve_any_client (ctx, session, nodes, &c, error))
    return FALSE;
  ha = lab_pve_client_call (c, "GET", "/cluster/ha/status/current", NULL, error);
  cluster = ha != NULL ? lab_pve_client_call (c, "GET", "/cluster/status", NULL, error) : NULL;
  if (cluster == NULL)
    return FALSE;
  for (guint i = 0; JSON_NODE_HOLDS_ARRAY (ha) && i < json_array_get_length (json_node_get_array (ha)); i++)
    {
      JsonObject *o = json_array_get_object_element (json_node_get_array (ha), i);

      if (o != NULL && g_strcmp0 (json_object_get_string_member_with_default (o, "id", NULL), id) == 0)
        {
          out->state = g_strdup (json_object_get_string_member_with_default (o, "state", NULL));
          out->node = g_strdup (json_object_get_string_member_with_default (o, "node", NULL));
        }
    }
  for (guint i = 0; JSON_NODE_HOLDS_ARRAY (cluster) && i < json_array_get_length (json_node_get_array (cluster)); i++)
    {
      JsonObject *o = json_array_get_object_element (json_node_get_array (cluster), i);
      const char *type = o != NULL ? json_object_get_string_member_with_default (o, "type", "") : "";

      if (g_str_equal (type, "cluster"))
        out->quorate = json_object_get_int_member_with_default (o, "quorate", 0) != 0;
      else if (g_str_equal (type, "node") && json_object_get_int_member_with_default (o, "online", 0) != 0)
        g_ptr_array_add (out->online, g_strdup (json_object_get_string_member_with_default (o, "name", "")));
    }
  return TRUE;
}

/* The guest's HA resource removed (nothing when it is none). */
static gboolean
ha_disable (LabContext *ctx, gpointer session, const LabStackGuest *g, GError **error)
{
  const LabPveGuestSpec *spec = spec_of (g);
  LabPveClient *c;

  if (spec == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, _("Lab %s has no Proxmox guest '%s'"), ctx->recipe->name,
                   g->name);
      return FALSE;
    }
  return lab_pve_any_client (ctx, session, NULL, &c, error) && lab_pve_ha_remove (ctx, c, spec, error);
}

const LabStackOps lab_pve_stack_ops = {
  .session_new = session_new,
  .session_free = lab_pve_shared_free,
  .guest_find = guest_find,
  .guest_migrate = guest_migrate,
  .ha_enable = ha_enable,
  .ha_status = ha_status,
  .ha_disable = ha_disable,
  .vm_cli = "qm",
  .local_storage = LAB_PVE_LOCAL_STORAGE,
  .shared_storage = LAB_PVE_LVM_STORAGE,
  .storage_where = "pvesm status; /etc/pve/storage.cfg",
  .ha_add_cli = "ha-manager add vm:%u --state started",
  .vms = lab_pve_exercise_vms,
  .snapshots = lab_pve_exercise_snapshots,
  .tasks = lab_pve_exercise_tasks,
  .storages = lab_pve_exercise_storages,
  .vm_create = lab_pve_exercise_vm_create,
  .vm_destroy = lab_pve_exercise_vm_destroy,
};

/* ---- the fault ---------------------------------------------------------------- */

gboolean
lab_pve_node_fault (LabContext *ctx, LabNode *node, LabNodeFault fault, GError **error)
{
  g_autoptr(LabVirt) virt = NULL;
  g_autoptr(virDomain) dom = NULL;

  if (fault != LAB_NODE_FAULT_POWEROFF)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED,
                   _("Node %s: the proxmox flavor injects only a power-off (experiment failover --mode poweroff)"),
                   node->name);
      return FALSE;
    }
  virt = lab_virt_connect (lab_virt_default_uri (ctx->libvirt_uri), error);
  if (virt == NULL || !lab_virt_domain_lookup (virt, node->name, ctx->recipe->name, &dom, error))
    return FALSE;
  if (dom == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, _("Node %s of lab %s has no domain on %s"), node->name,
                   ctx->recipe->name, lab_virt_get_uri (virt));
      return FALSE;
    }
  /* virDomainDestroy: the node's QEMU is killed at once, as a power cut */
  if (virDomainDestroy (dom) < 0)
    {
      lab_virt_set_error (error, _("Cannot power off node %s"), node->name);
      return FALSE;
    }
  return TRUE;
}
