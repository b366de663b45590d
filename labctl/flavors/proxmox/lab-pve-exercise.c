/* lab-pve-exercise.c: the exercises' side of the Proxmox API (the row's
 * LabStackOps members after ha_status): what the checks read (every VM
 * with its configuration and status, a VM's snapshots, the tasks the
 * nodes ran about a VM, the storages) and the VMs the exercises make and
 * remove.
 *
 * Sources: qemu-server PVE/API2/Qemu.pm (vmconfig: netN "model=MAC,...",
 * smbios1 "uuid=...", vmgenid, template, description; vm_status: pid and
 * uptime of the running QEMU process; snapshot_list: the snapshots and a
 * "current" entry), pve-manager PVE/API2/Tasks.pm (node_tasks with vmid),
 * pve-storage src/PVE/API2/Storage/Config.pm (the storage list). */
#include "config.h"

#include "lab-pve-private.h"

#include <string.h>

#include "lab-error.h"
#include "lab-i18n.h"

/* "virtio=52:54:00:12:34:56,bridge=vmbr0" -> "52:54:00:12:34:56"
 * (qemu-server parse_net: the model key's value is the MAC). */
static char *
net_mac (const char *net)
{
  g_auto(GStrv) parts = g_strsplit (net != NULL ? net : "", ",", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *eq = strchr (parts[i], '=');
      if (eq != NULL && strlen (eq + 1) == 17 && eq[3] == ':' && !g_str_has_prefix (parts[i], "bridge="))
        return g_ascii_strup (eq + 1, -1);
      if (g_str_has_prefix (parts[i], "macaddr="))
        return g_ascii_strup (parts[i] + 8, -1);
    }
  return NULL;
}

/* "uuid=...,manufacturer=..." -> the uuid. */
static char *
smbios_uuid (const char *smbios1)
{
  g_auto(GStrv) parts = g_strsplit (smbios1 != NULL ? smbios1 : "", ",", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    if (g_str_has_prefix (parts[i], "uuid="))
      return g_ascii_strdown (parts[i] + 5, -1);
  return NULL;
}

/* A disk key of a VM's configuration (scsi0, virtio1, sata2, ide3,
 * efidisk0, tpmstate0) whose value is a volume, not a CD-ROM. */
static gboolean
is_disk (const char *key, const char *value)
{
  const char *buses[] = { "scsi", "virtio", "sata", "ide", "efidisk", "tpmstate", NULL };

  if (value == NULL || strstr (value, "media=cdrom") != NULL || g_str_has_prefix (value, "none"))
    return FALSE;
  for (guint i = 0; buses[i] != NULL; i++)
    if (g_str_has_prefix (key, buses[i]) && strspn (key + strlen (buses[i]), "0123456789") == strlen (key + strlen (buses[i]))
        && key[strlen (buses[i])] != '\0')
      return TRUE;
  return FALSE;
}

static const char *
member_string (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
           ? json_node_get_string (n)
           : NULL;
}

/* Booleans and integers come as numbers, sometimes as strings. */
static gint64
member_int (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return 0;
  if (json_node_get_value_type (n) == G_TYPE_STRING)
    return g_ascii_strtoll (json_node_get_string (n), NULL, 10);
  if (json_node_get_value_type (n) == G_TYPE_BOOLEAN)
    return json_node_get_boolean (n);
  if (json_node_get_value_type (n) == G_TYPE_DOUBLE)
    return (gint64) json_node_get_double (n);
  return json_node_get_int (n);
}

static LabStackVm *
vm_read (LabPveClient *c, const char *node, guint vmid, GError **error)
{
  g_autofree char *cpath = g_strdup_printf ("/nodes/%s/qemu/%u/config", node, vmid);
  g_autofree char *spath = g_strdup_printf ("/nodes/%s/qemu/%u/status/current", node, vmid);
  g_autoptr(JsonNode) config = lab_pve_client_call (c, "GET", cpath, NULL, error);
  g_autoptr(JsonNode) status = config != NULL ? lab_pve_client_call (c, "GET", spath, NULL, error) : NULL;
  g_autoptr(GList) keys = NULL;
  JsonObject *co, *so;
  LabStackVm *vm;

  if (status == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (config) || !JSON_NODE_HOLDS_OBJECT (status))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL, _("GET %s on %s: not an object"), cpath,
                   lab_pve_client_get_node (c));
      return NULL;
    }
  co = json_node_get_object (config);
  so = json_node_get_object (status);
  vm = g_new0 (LabStackVm, 1);
  vm->vmid = vmid;
  vm->node = g_strdup (node);
  vm->name = g_strdup (member_string (co, "name"));
  vm->running = g_strcmp0 (member_string (so, "status"), "running") == 0;
  vm->template = member_int (co, "template") != 0;
  vm->uptime = member_int (so, "uptime");
  vm->pid = member_int (so, "pid");
  vm->uuid = smbios_uuid (member_string (co, "smbios1"));
  vm->vmgenid = g_strdup (member_string (co, "vmgenid"));
  vm->description = g_strdup (member_string (co, "description"));
  vm->macs = g_ptr_array_new_with_free_func (g_free);
  vm->disks = g_ptr_array_new_with_free_func (g_free);
  keys = json_object_get_members (co);
  keys = g_list_sort (keys, (GCompareFunc) g_strcmp0);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      const char *k = l->data;
      const char *v = member_string (co, k);

      if (g_str_has_prefix (k, "net") && strspn (k + 3, "0123456789") == strlen (k + 3) && k[3] != '\0')
        {
          char *mac = net_mac (v);
          if (mac != NULL)
            g_ptr_array_add (vm->macs, mac);
        }
      else if (is_disk (k, v))
        g_ptr_array_add (vm->disks, g_strndup (v, strcspn (v, ",")));
    }
  return vm;
}

GPtrArray *
lab_pve_exercise_vms (LabContext *ctx, gpointer session, GError **error)
{
  const char *params[] = { "type", "vm", NULL };
  LabPveClient *c;
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (lab_stack_vm_free);

  if (!lab_pve_any_client (ctx, session, NULL, &c, error))
    return NULL;
  list = lab_pve_client_call (c, "GET", "/cluster/resources", params, error);
  if (list == NULL)
    return NULL;
  for (guint i = 0; JSON_NODE_HOLDS_ARRAY (list) && i < json_array_get_length (json_node_get_array (list)); i++)
    {
      JsonObject *o = json_array_get_object_element (json_node_get_array (list), i);
      LabStackVm *vm;

      if (o == NULL || g_strcmp0 (member_string (o, "type"), "qemu") != 0)
        continue;
      vm = vm_read (c, member_string (o, "node"), member_int (o, "vmid"), error);
      if (vm == NULL)
        return NULL;
      g_ptr_array_add (out, vm);
    }
  return g_steal_pointer (&out);
}

static gint
snapshot_by_time (gconstpointer a, gconstpointer b)
{
  const LabStackSnapshot *x = *(LabStackSnapshot **) a, *y = *(LabStackSnapshot **) b;

  return (x->snaptime > y->snaptime) - (x->snaptime < y->snaptime);
}

GPtrArray *
lab_pve_exercise_snapshots (LabContext *ctx, gpointer session, const LabStackVm *vm, GError **error)
{
  g_autofree char *path = g_strdup_printf ("/nodes/%s/qemu/%u/snapshot", vm->node, vm->vmid);
  LabPveClient *c;
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (lab_stack_snapshot_free);

  if (!lab_pve_any_client (ctx, session, NULL, &c, error))
    return NULL;
  list = lab_pve_client_call (c, "GET", path, NULL, error);
  if (list == NULL)
    return NULL;
  for (guint i = 0; JSON_NODE_HOLDS_ARRAY (list) && i < json_array_get_length (json_node_get_array (list)); i++)
    {
      JsonObject *o = json_array_get_object_element (json_node_get_array (list), i);
      LabStackSnapshot *s;

      /* "current" is where the VM is now, not a snapshot */
      if (o == NULL || g_strcmp0 (member_string (o, "name"), "current") == 0)
        continue;
      s = g_new0 (LabStackSnapshot, 1);
      s->name = g_strdup (member_string (o, "name"));
      s->parent = g_strdup (member_string (o, "parent"));
      s->vmstate = member_int (o, "vmstate") != 0;
      s->snaptime = member_int (o, "snaptime");
      g_ptr_array_add (out, s);
    }
  g_ptr_array_sort (out, snapshot_by_time);
  return g_steal_pointer (&out);
}

static gint
task_by_time (gconstpointer a, gconstpointer b)
{
  const LabStackTask *x = *(LabStackTask **) a, *y = *(LabStackTask **) b;

  if (x->starttime != y->starttime)
    return (x->starttime > y->starttime) - (x->starttime < y->starttime);
  return g_strcmp0 (x->upid, y->upid);
}

GPtrArray *
lab_pve_exercise_tasks (LabContext *ctx, gpointer session, guint vmid, GError **error)
{
  g_autofree char *id = g_strdup_printf ("%u", vmid);
  const char *params[] = { "vmid", id, "limit", "500", NULL };
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (lab_stack_task_free);
  guint asked = 0;
  g_autoptr(GError) last = NULL;

  /* each node keeps the tasks it ran: ask every node that answers */
  for (guint i = 0; i < ctx->recipe->nodes->len; i++)
    {
      LabNode *n = ctx->recipe->nodes->pdata[i];
      const char *names[] = { n->name, NULL };
      g_autofree char *path = g_strdup_printf ("/nodes/%s/tasks", n->name);
      g_autoptr(JsonNode) list = NULL;
      LabPveClient *c;

      g_clear_error (&last);
      if (!lab_pve_any_client (ctx, session, names, &c, &last)
          || (list = lab_pve_client_call (c, "GET", path, params, &last)) == NULL)
        {
          if (g_error_matches (last, LAB_ERROR, LAB_ERROR_CHECK_FAILED))
            break;
          continue;
        }
      asked++;
      for (guint j = 0; JSON_NODE_HOLDS_ARRAY (list) && j < json_array_get_length (json_node_get_array (list)); j++)
        {
          JsonObject *o = json_array_get_object_element (json_node_get_array (list), j);
          LabStackTask *t = g_new0 (LabStackTask, 1);

          t->upid = g_strdup (member_string (o, "upid"));
          t->node = g_strdup (member_string (o, "node"));
          t->type = g_strdup (member_string (o, "type"));
          t->id = g_strdup (member_string (o, "id"));
          t->status = g_strdup (member_string (o, "status"));
          t->starttime = member_int (o, "starttime");
          g_ptr_array_add (out, t);
        }
    }
  if (asked == 0 || g_error_matches (last, LAB_ERROR, LAB_ERROR_CHECK_FAILED))
    {
      if (last != NULL)
        g_propagate_error (error, g_steal_pointer (&last));
      else
        g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, _("Lab %s has no Proxmox node to ask"),
                     ctx->recipe->name);
      return NULL;
    }
  g_ptr_array_sort (out, task_by_time);
  return g_steal_pointer (&out);
}

GPtrArray *
lab_pve_exercise_storages (LabContext *ctx, gpointer session, GError **error)
{
  LabPveClient *c;
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (lab_stack_storage_free);

  if (!lab_pve_any_client (ctx, session, NULL, &c, error)
      || (list = lab_pve_client_call (c, "GET", "/storage", NULL, error)) == NULL)
    return NULL;
  for (guint i = 0; JSON_NODE_HOLDS_ARRAY (list) && i < json_array_get_length (json_node_get_array (list)); i++)
    {
      JsonObject *o = json_array_get_object_element (json_node_get_array (list), i);
      LabStackStorage *s = g_new0 (LabStackStorage, 1);
      const char *vg = member_string (o, "vgname");

      s->id = g_strdup (member_string (o, "storage"));
      s->type = g_strdup (member_string (o, "type"));
      s->shared = member_int (o, "shared") != 0;
      s->content = g_strdup (member_string (o, "content"));
      if (vg != NULL)
        s->detail = g_strdup_printf ("vg %s", vg);
      else if (member_string (o, "target") != NULL)
        s->detail = g_strdup_printf ("%s %s", member_string (o, "portal"), member_string (o, "target"));
      g_ptr_array_add (out, s);
    }
  return g_steal_pointer (&out);
}

gboolean
lab_pve_exercise_vm_create (LabContext *ctx, gpointer session, guint vmid, const char *name, const char *node,
                            const char *storage, const char *description, gboolean start, GError **error)
{
  const char *names[] = { node, NULL };
  g_autofree char *path = g_strdup_printf ("/nodes/%s/qemu", node);
  g_autofree char *id = g_strdup_printf ("%u", vmid);
  g_autofree char *disk = g_strdup_printf ("%s:1", storage);
  g_autoptr(LabPveCall) create = lab_pve_call_new ("POST", path, "qm", "create", NULL);
  LabPveClient *c;

  if (!lab_pve_any_client (ctx, session, names, &c, error))
    return FALSE;
  lab_pve_call_add (create, "vmid", id, LAB_PVE_ARG_POSITIONAL);
  lab_pve_call_add (create, "name", name, LAB_PVE_ARG_OPTION);
  lab_pve_call_add (create, "memory", "256", LAB_PVE_ARG_OPTION);
  lab_pve_call_add (create, "cores", "1", LAB_PVE_ARG_OPTION);
  lab_pve_call_add (create, "ostype", "l26", LAB_PVE_ARG_OPTION);
  lab_pve_call_add (create, "scsi0", disk, LAB_PVE_ARG_OPTION);
  lab_pve_call_add (create, "net0", "model=virtio,bridge=vmbr0", LAB_PVE_ARG_OPTION);
  lab_pve_call_add (create, "description", description, LAB_PVE_ARG_OPTION);
  if (!lab_pve_call_run_task (ctx, c, create, error))
    return FALSE;
  if (start)
    {
      g_autofree char *spath = g_strdup_printf ("/nodes/%s/qemu/%u/status/start", node, vmid);
      g_autoptr(LabPveCall) up = lab_pve_call_new ("POST", spath, "qm", "start", id, NULL);

      return lab_pve_call_run_task (ctx, c, up, error);
    }
  return TRUE;
}

gboolean
lab_pve_exercise_vm_destroy (LabContext *ctx, gpointer session, const LabStackVm *vm, GError **error)
{
  const char *names[] = { vm->node, NULL };
  g_autofree char *id = g_strdup_printf ("%u", vm->vmid);
  g_autofree char *path = g_strdup_printf ("/nodes/%s/qemu/%u", vm->node, vm->vmid);
  g_autoptr(LabPveCall) destroy = lab_pve_call_new ("DELETE", path, "qm", "destroy", id, NULL);
  LabPveClient *c;

  if (!lab_pve_any_client (ctx, session, names, &c, error))
    return FALSE;
  if (vm->running)
    {
      g_autofree char *spath = g_strdup_printf ("/nodes/%s/qemu/%u/status/stop", vm->node, vm->vmid);
      g_autoptr(LabPveCall) stop = lab_pve_call_new ("POST", spath, "qm", "stop", id, NULL);

      if (!lab_pve_call_run_task (ctx, c, stop, error))
        return FALSE;
    }
  return lab_pve_call_run_task (ctx, c, destroy, error);
}
