/* lab-pve-guests.c: steps pve.template (the busybox container template,
 * built by lab-pve-template.c and uploaded to the container node's
 * local:vztmpl), pve.image (the VM's disk image, lab-pve-image.c,
 * uploaded to the VM node's lab-import storage with content import),
 * pve.guest.vm (VM 100 on the first node, its disk on the shared LVM
 * imported from that image at create) and pve.guest.ct (container 101 on the second node, its
 * root file system on the shared LVM, on the lab network at the first
 * free guest address from gateway + 50), both started.
 *
 * The VM boots a small Linux from its disk (lab-pve-image.c; its console
 * on serial0, a socket: qm terminal 100); its net0 has the MAC labctl
 * chose (lab_pve_vm_mac), for which the lab network's DHCP reserves the
 * address lab_pve_vm_address (lab_pve_network_hosts): the experiments
 * probe it there.
 *
 * State: pve.template.volid, pve.image.volid, pve.guest.<qemu|lxc>.vmid (recorded before
 * the create, so that `down` removes a half-made guest) and .node. Undo
 * stops and destroys a guest only when the state names it, wherever it
 * runs now (it may have migrated), after removing its HA resource (the
 * failover experiment adds one; Proxmox refuses to destroy an HA
 * resource). */
#include "config.h"

#include "lab-pve-private.h"

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-util.h"
#include "lab-virt-xml.h"


const LabPveGuestSpec lab_pve_vm_spec = { "qemu", "qm", 100, "lab-vm", 0, "vm" };
const LabPveGuestSpec lab_pve_ct_spec = { "lxc", "pct", 101, "lab-ct", 1, "ct" };

/* A file labctl builds and uploads to a node's storage: the container
 * template (pve.template) and the VM's disk image (pve.image). */
typedef struct {
  const char            *id;
  const char            *storage;
  const char            *content;
  const char            *name;
  const char            *volid;
  const char            *key;      /* state: its volid, set before the upload */
  const char            *dir;      /* where it lands on the node (describe's scp) */
  const LabPveGuestSpec *guest;    /* uploaded to this guest's node */
} UploadSpec;

#define TEMPLATE_VOLID "local:vztmpl/" LAB_PVE_TEMPLATE_NAME
#define IMAGE_VOLID    LAB_PVE_IMPORT_STORAGE ":import/" LAB_PVE_VM_IMAGE_NAME

static const UploadSpec template_upload = {
  "pve.template", "local", "vztmpl", LAB_PVE_TEMPLATE_NAME, TEMPLATE_VOLID, "pve.template.volid",
  "/var/lib/vz/template/cache/", &lab_pve_ct_spec,
};

static const UploadSpec image_upload = {
  "pve.image", LAB_PVE_IMPORT_STORAGE, "import", LAB_PVE_VM_IMAGE_NAME, IMAGE_VOLID, "pve.image.volid",
  LAB_PVE_IMPORT_PATH "/import/", &lab_pve_vm_spec,
};

typedef struct {
  LabPveShared          *shared;
  const LabPveGuestSpec *spec;     /* NULL: an upload step */
  const UploadSpec      *upload;
} GuestStep;

static LabNode *
guest_node (LabContext *ctx, const LabPveGuestSpec *spec)
{
  return ctx->recipe->nodes->pdata[spec->node_index % ctx->recipe->nodes->len];
}

/* ---- pve.template, pve.image ------------------------------------------------------- */

static gboolean
upload_present (LabPveClient *c, const UploadSpec *u, LabNode *node, gboolean *present, GError **error)
{
  g_autofree char *path = g_strdup_printf ("/nodes/%s/storage/%s/content", node->name, u->storage);
  const char *params[] = { "content", u->content, NULL };
  g_autoptr(JsonNode) list = lab_pve_client_call (c, "GET", path, params, error);

  *present = FALSE;
  if (list == NULL)
    return FALSE;
  for (guint i = 0; JSON_NODE_HOLDS_ARRAY (list) && i < json_array_get_length (json_node_get_array (list)); i++)
    {
      JsonObject *o = json_array_get_object_element (json_node_get_array (list), i);
      *present |= o != NULL && g_strcmp0 (json_object_get_string_member_with_default (o, "volid", ""), u->volid) == 0;
    }
  return TRUE;
}

static GBytes *
upload_build (LabContext *ctx, const UploadSpec *u, GError **error)
{
  if (u == &image_upload)
    return lab_pve_vm_image_build (ctx->runner, ctx->sysroot, error);
  return lab_pve_template_build (ctx->sysroot, error);
}

static gboolean
upload_apply (LabContext *ctx, gpointer data, GError **error)
{
  GuestStep *d = data;
  const UploadSpec *u = d->upload;
  LabNode *node = guest_node (ctx, u->guest);
  LabPveClient *c = lab_pve_client_for (ctx, d->shared, node, error);
  g_autofree char *path = g_strdup_printf ("/nodes/%s/storage/%s/upload", node->name, u->storage);
  const char *params[] = { "content", u->content, NULL };
  g_autoptr(GBytes) file = NULL;
  g_autoptr(JsonNode) upid = NULL;
  gboolean present;

  if (c == NULL || !upload_present (c, u, node, &present, error))
    return FALSE;
  if (!present)
    {
      file = upload_build (ctx, u, error);
      if (file == NULL)
        return FALSE;
      lab_progress_info (ctx->progress, _("uploading %s (%llu KiB) to %s"), u->name,
                         (unsigned long long) g_bytes_get_size (file) / 1024, node->name);
      lab_state_set_string (ctx->state, u->key, u->volid);
      upid = lab_pve_client_upload (c, path, params, u->name, file, error);
      if (upid == NULL
          || !lab_pve_client_wait_task (c, JSON_NODE_HOLDS_VALUE (upid) ? json_node_get_string (upid) : NULL,
                                        LAB_PVE_TASK_TIMEOUT, ctx->cancellable, NULL, error))
        return FALSE;
    }
  lab_state_set_string (ctx->state, u->key, u->volid);
  return TRUE;
}

static LabPveCall *
upload_delete_call (const UploadSpec *u, LabNode *node)
{
  g_autofree char *esc = lab_pve_escape (u->volid);
  g_autofree char *path = g_strdup_printf ("/nodes/%s/storage/%s/content/%s", node->name, u->storage, esc);

  return lab_pve_call_new ("DELETE", path, "pvesm", "free", u->volid, NULL);
}

static void
upload_forget (LabContext *ctx, gpointer data)
{
  GuestStep *d = data;

  lab_state_remove (ctx->state, d->upload->key);
}

static gboolean
upload_undo (LabContext *ctx, gpointer data, GError **error)
{
  GuestStep *d = data;
  const UploadSpec *u = d->upload;
  LabNode *node = guest_node (ctx, u->guest);
  LabPveClient *c;
  g_autoptr(LabPveCall) call = upload_delete_call (u, node);
  g_autoptr(JsonNode) gone = NULL;
  gboolean present;

  if (!lab_state_has (ctx->state, u->key))
    return TRUE;
  c = lab_pve_client_for (ctx, d->shared, node, error);
  if (c == NULL || !upload_present (c, u, node, &present, error))
    return FALSE;
  if (present && (gone = lab_pve_call_run (c, call, error)) == NULL)
    return FALSE;
  upload_forget (ctx, data);
  return TRUE;
}

static char **
upload_describe (LabContext *ctx, gpointer data, gboolean down)
{
  GuestStep *d = data;
  const UploadSpec *u = d->upload;
  LabNode *node = guest_node (ctx, u->guest);
  GPtrArray *lines = g_ptr_array_new ();
  g_autoptr(LabPveCall) call = upload_delete_call (u, node);
  g_autofree char *dest = g_strdup_printf ("root@%s:%s", node->address, u->dir);
  g_autofree char *api = g_strdup_printf ("POST /nodes/NODE/storage/%s/upload, content %s", u->storage, u->content);

  if (down)
    lab_pve_call_describe (call, node, lines);
  else
    {
      if (u == &image_upload)
        lab_pve_lines_comment (lines,
                               _("%s: a raw disk built by labctl: this host's kernel and a busybox initramfs "
                                 "(address by DHCP, answers ping), booted by syslinux"),
                               u->name);
      else
        lab_pve_lines_comment (lines, _("%s: a busybox root file system built by labctl from %s"), u->name,
                               "/bin/busybox");
      lab_pve_lines_comment (lines, _("the API's upload (%s) does what scp does:"), api);
      lab_lines_add_cmd (lines, "scp", u->name, dest, NULL);
    }
  return lab_lines_steal (lines);
}

/* ---- pve.guest.vm, pve.guest.ct ----------------------------------------------------- */

static char *
guest_key (const LabPveGuestSpec *spec, const char *what)
{
  return g_strdup_printf ("pve.guest.%s.%s", spec->kind, what);
}

/* The guests' addresses: the free ones of gateway + 50, + 51 ... (where
 * the recipe's guests get theirs) that no node or guest of the recipe has;
 * the container takes the first, the VM the second. */
static char *
guest_address (LabRecipe *r, guint skip)
{
  guint32 hosts = r->subnet_prefix >= 31 ? 0 : (1u << (32 - r->subnet_prefix)) - 2;

  for (guint k = 50; 1 + k < hosts; k++)
    {
      guint32 a = r->subnet_addr + 1 + k;
      g_autofree char *ip = g_strdup_printf ("%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
      gboolean used = FALSE;

      for (guint i = 0; i < r->nodes->len; i++)
        used |= g_strcmp0 (((LabNode *) r->nodes->pdata[i])->address, ip) == 0;
      for (guint i = 0; i < r->guests->len; i++)
        used |= g_strcmp0 (((LabGuest *) r->guests->pdata[i])->address, ip) == 0;
      if (!used && skip-- == 0)
        return g_steal_pointer (&ip);
    }
  /* a network too small for guests: the recipe check refuses guests there
   * too; DHCP is the guest's best chance */
  return g_strdup ("dhcp");
}

char *
lab_pve_container_address (LabRecipe *r)
{
  return guest_address (r, 0);
}

/* The VM takes its address by DHCP: the lab network reserves this one for
 * its MAC (lab_pve_network_hosts). */
char *
lab_pve_vm_address (LabRecipe *r)
{
  return guest_address (r, 1);
}

char *
lab_pve_vm_mac (LabRecipe *r)
{
  return lab_recipe_make_mac (r->name, lab_pve_vm_spec.name);
}

void
lab_pve_network_hosts (LabContext *ctx, LabVirtNetworkSpec *spec)
{
  g_autofree char *address = lab_pve_vm_address (ctx->recipe);
  g_autofree char *mac = lab_pve_vm_mac (ctx->recipe);

  if (!g_str_equal (address, "dhcp"))
    lab_virt_network_spec_add_host (spec, lab_pve_vm_spec.name, mac, address);
}

static LabPveCall *
create_call (LabContext *ctx, const LabPveGuestSpec *spec)
{
  LabNode *node = guest_node (ctx, spec);
  g_autofree char *path = g_strdup_printf ("/nodes/%s/%s", node->name, spec->kind);
  g_autofree char *vmid = g_strdup_printf ("%u", spec->vmid);
  g_autofree char *disk = g_strdup_printf ("%s:1", LAB_PVE_LVM_STORAGE);
  g_autofree char *vm_disk = g_strdup_printf ("%s:0,import-from=%s", LAB_PVE_LVM_STORAGE, IMAGE_VOLID);
  g_autofree char *description = g_strdup_printf ("labctl:%s", ctx->recipe->name);
  LabPveCall *call = lab_pve_call_new ("POST", path, spec->cli, "create", NULL);

  lab_pve_call_add (call, "vmid", vmid, LAB_PVE_ARG_POSITIONAL);
  if (spec == &lab_pve_vm_spec)
    {
      lab_pve_call_add (call, "name", spec->name, LAB_PVE_ARG_OPTION);
      lab_pve_call_add (call, "memory", "256", LAB_PVE_ARG_OPTION);
      lab_pve_call_add (call, "cores", "1", LAB_PVE_ARG_OPTION);
      lab_pve_call_add (call, "ostype", "l26", LAB_PVE_ARG_OPTION);
      /* size 0 with import-from: the new volume on the shared LVM is a copy
       * of the uploaded image (qemu-server's import on create) */
      lab_pve_call_add (call, "scsi0", vm_disk, LAB_PVE_ARG_OPTION);
      lab_pve_call_add (call, "boot", "order=scsi0", LAB_PVE_ARG_OPTION);
      lab_pve_call_add (call, "serial0", "socket", LAB_PVE_ARG_OPTION);
      g_autofree char *mac = lab_pve_vm_mac (ctx->recipe);
      g_autofree char *net = g_strdup_printf ("virtio=%s,bridge=vmbr0", mac);

      lab_pve_call_add (call, "net0", net, LAB_PVE_ARG_OPTION);
    }
  else
    {
      g_autofree char *ip = lab_pve_container_address (ctx->recipe);
      g_autofree char *net = g_str_equal (ip, "dhcp")
                               ? g_strdup ("name=eth0,bridge=vmbr0,ip=dhcp")
                               : g_strdup_printf ("name=eth0,bridge=vmbr0,ip=%s/%u,gw=%s", ip,
                                                  ctx->recipe->subnet_prefix, ctx->recipe->gateway);
      /* pct create's template is its second positional argument */
      lab_pve_call_add (call, "ostemplate", TEMPLATE_VOLID, LAB_PVE_ARG_POSITIONAL);
      lab_pve_call_add (call, "hostname", spec->name, LAB_PVE_ARG_OPTION);
      lab_pve_call_add (call, "memory", "128", LAB_PVE_ARG_OPTION);
      lab_pve_call_add (call, "ostype", "unmanaged", LAB_PVE_ARG_OPTION);
      lab_pve_call_add (call, "unprivileged", "1", LAB_PVE_ARG_OPTION);
      lab_pve_call_add (call, "rootfs", disk, LAB_PVE_ARG_OPTION);
      lab_pve_call_add (call, "net0", net, LAB_PVE_ARG_OPTION);
    }
  lab_pve_call_add (call, "description", description, LAB_PVE_ARG_OPTION);
  return call;
}

/* start, stop (POST .../status/<verb>), destroy (DELETE), on node. */
static LabPveCall *
guest_call (const LabPveGuestSpec *spec, const char *node, const char *verb)
{
  g_autofree char *vmid = g_strdup_printf ("%u", spec->vmid);
  g_autofree char *path = g_str_equal (verb, "destroy")
                            ? g_strdup_printf ("/nodes/%s/%s/%u", node, spec->kind, spec->vmid)
                            : g_strdup_printf ("/nodes/%s/%s/%u/status/%s", node, spec->kind, spec->vmid, verb);

  return lab_pve_call_new (g_str_equal (verb, "destroy") ? "DELETE" : "POST", path, spec->cli, verb, vmid, NULL);
}

gboolean
lab_pve_find_guest (LabPveClient *c, const LabPveGuestSpec *spec, char **node, char **status, GError **error)
{
  const char *params[] = { "type", "vm", NULL };
  g_autoptr(JsonNode) list = lab_pve_client_call (c, "GET", "/cluster/resources", params, error);

  *node = *status = NULL;
  if (list == NULL)
    return FALSE;
  for (guint i = 0; JSON_NODE_HOLDS_ARRAY (list) && i < json_array_get_length (json_node_get_array (list)); i++)
    {
      JsonObject *o = json_array_get_object_element (json_node_get_array (list), i);
      if (o != NULL && json_object_get_int_member_with_default (o, "vmid", 0) == spec->vmid)
        {
          *node = g_strdup (json_object_get_string_member_with_default (o, "node", ""));
          *status = g_strdup (json_object_get_string_member_with_default (o, "status", ""));
          break;
        }
    }
  return TRUE;
}

static gboolean
guest_apply (LabContext *ctx, gpointer data, GError **error)
{
  GuestStep *d = data;
  LabNode *node = guest_node (ctx, d->spec);
  LabPveClient *c = lab_pve_client_for (ctx, d->shared, node, error);
  g_autofree char *vmid_key = guest_key (d->spec, "vmid");
  g_autofree char *node_key = guest_key (d->spec, "node");
  g_autofree char *where = NULL;
  g_autofree char *status = NULL;
  g_autoptr(LabPveCall) start = NULL;

  if (c == NULL || !lab_pve_find_guest (c, d->spec, &where, &status, error))
    return FALSE;
  if (where != NULL && !lab_state_has (ctx->state, vmid_key))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                   _("The Proxmox cluster has a guest %u (on %s) that labctl did not create; "
                     "remove it (%s destroy %u on %s) or reinstall the nodes"),
                   d->spec->vmid, where, d->spec->cli, d->spec->vmid, where);
      return FALSE;
    }
  if (where == NULL)
    {
      g_autoptr(LabPveCall) create = create_call (ctx, d->spec);
      lab_state_set_int (ctx->state, vmid_key, d->spec->vmid);
      lab_state_set_string (ctx->state, node_key, node->name);
      if (!lab_pve_call_run_task (ctx, c, create, error))
        return FALSE;
      where = g_strdup (node->name);
    }
  if (g_strcmp0 (status, "running") == 0)
    return TRUE;
  start = guest_call (d->spec, where, "start");
  return lab_pve_call_run_task (ctx, c, start, error);
}

/* "vm:100": the guest as an HA resource */
static char *
guest_sid (const LabPveGuestSpec *spec)
{
  return g_strdup_printf ("%s:%u", spec->ha_type, spec->vmid);
}

/* The guest, and the HA resource the failover experiment made of it. */
static void
guest_forget (LabContext *ctx, gpointer data)
{
  GuestStep *d = data;
  g_autofree char *vmid_key = guest_key (d->spec, "vmid");
  g_autofree char *node_key = guest_key (d->spec, "node");
  g_autofree char *sid = guest_sid (d->spec);

  lab_state_remove (ctx->state, vmid_key);
  lab_state_remove (ctx->state, node_key);
  if (g_strcmp0 (lab_state_get_string (ctx->state, LAB_PVE_KEY_HA_SID), sid) == 0)
    lab_state_remove (ctx->state, LAB_PVE_KEY_HA_SID);
}

static gboolean
guest_undo (LabContext *ctx, gpointer data, GError **error)
{
  GuestStep *d = data;
  g_autofree char *vmid_key = guest_key (d->spec, "vmid");
  g_autofree char *where = NULL;
  g_autofree char *status = NULL;
  LabPveClient *c;

  if (!lab_state_has (ctx->state, vmid_key))
    return TRUE;
  c = lab_pve_client_for (ctx, d->shared, guest_node (ctx, d->spec), error);
  if (c == NULL || !lab_pve_find_guest (c, d->spec, &where, &status, error))
    return FALSE;
  if (where != NULL && !lab_pve_ha_remove (ctx, c, d->spec, error))
    return FALSE;
  if (where != NULL)
    {
      g_autoptr(LabPveCall) stop = guest_call (d->spec, where, "stop");
      g_autoptr(LabPveCall) destroy = guest_call (d->spec, where, "destroy");
      if (g_strcmp0 (status, "stopped") != 0 && !lab_pve_call_run_task (ctx, c, stop, error))
        return FALSE;
      if (!lab_pve_call_run_task (ctx, c, destroy, error))
        return FALSE;
    }
  guest_forget (ctx, data);
  return TRUE;
}

static char **
guest_describe (LabContext *ctx, gpointer data, gboolean down)
{
  GuestStep *d = data;
  LabNode *node = guest_node (ctx, d->spec);
  GPtrArray *lines = g_ptr_array_new ();

  if (down)
    {
      g_autoptr(LabPveCall) stop = guest_call (d->spec, node->name, "stop");
      g_autoptr(LabPveCall) destroy = guest_call (d->spec, node->name, "destroy");
      g_autoptr(LabPveCall) unha = lab_pve_ha_remove_call (d->spec);
      g_autofree char *sid = guest_sid (d->spec);

      /* the failover experiment made it an HA resource */
      if (g_strcmp0 (lab_state_get_string (ctx->state, LAB_PVE_KEY_HA_SID), sid) == 0)
        lab_pve_call_describe (unha, node, lines);
      lab_pve_call_describe (stop, node, lines);
      lab_pve_call_describe (destroy, node, lines);
    }
  else
    {
      g_autoptr(LabPveCall) create = create_call (ctx, d->spec);
      g_autoptr(LabPveCall) start = guest_call (d->spec, node->name, "start");
      lab_pve_call_describe (create, node, lines);
      lab_pve_call_describe (start, node, lines);
    }
  return lab_lines_steal (lines);
}

static const LabStepInfo template_step = {
  "pve.template", N_("Build the container template and upload it to %s"), FALSE, NULL, upload_apply, upload_undo,
  upload_describe, .forget = upload_forget,
};

static const LabStepInfo image_step = {
  "pve.image", N_("Build the VM's disk image and upload it to %s"), FALSE, NULL, upload_apply, upload_undo,
  upload_describe, .forget = upload_forget,
};

static const LabStepInfo vm_step = {
  "pve.guest.vm", N_("Create and start the VM on the shared LVM (%s)"), FALSE, NULL, guest_apply, guest_undo,
  guest_describe, .forget = guest_forget,
};

static const LabStepInfo ct_step = {
  "pve.guest.ct", N_("Create and start the container on the shared LVM (%s)"), FALSE, NULL, guest_apply, guest_undo,
  guest_describe, .forget = guest_forget,
};

static GuestStep *
guest_step_new (LabPveShared *shared, const LabPveGuestSpec *spec, const UploadSpec *upload)
{
  GuestStep *d = g_new0 (GuestStep, 1);

  d->shared = shared;
  d->spec = spec;
  d->upload = upload;
  return d;
}

void
lab_pve_add_guest_steps (LabPlan *plan, LabContext *ctx)
{
  LabPveShared *shared = lab_pve_shared (plan);
  const char *vm_node = guest_node (ctx, &lab_pve_vm_spec)->name;
  const char *ct_node = guest_node (ctx, &lab_pve_ct_spec)->name;

  lab_plan_add_step (plan, &template_step, NULL, ct_node, guest_step_new (shared, NULL, &template_upload), g_free);
  lab_plan_add_step (plan, &image_step, NULL, vm_node, guest_step_new (shared, NULL, &image_upload), g_free);
  lab_plan_add_step (plan, &vm_step, NULL, vm_node, guest_step_new (shared, &lab_pve_vm_spec, NULL), g_free);
  lab_plan_add_step (plan, &ct_step, NULL, ct_node, guest_step_new (shared, &lab_pve_ct_spec, NULL), g_free);
}
