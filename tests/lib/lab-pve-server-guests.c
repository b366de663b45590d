/* lab-pve-server-guests.c: the contract server's model of what the
 * exercises read and what a student does to VMs (lab-pve-server.h): a
 * VM's configuration (netN with its MAC, smbios1 uuid, vmgenid,
 * template, description), its status with the QEMU process's pid and
 * uptime, snapshots and rollback, templates, clones.
 *
 * This file is part of lab-pve-server.c (included there, after its
 * endpoints, so that it shares the model's types without a second copy
 * of them); its routes are asked first (guests_dispatch) and the task
 * hook runs when a task stops (guests_task_done).
 *
 * Sources (qemu-server PVE/API2/Qemu.pm unless named; messages marked
 * "paraphrased" give the sense, not Proxmox's words):
 * - create_vm: vmgenid and an smbios1 uuid are generated when the call
 *   gives none; a netN without a MAC gets a random one
 *   (PVE::Tools::random_ether_addr, Proxmox's prefix BC:24:11);
 * - vm_status / PVE/QemuServer.pm vmstatus: pid and uptime are the
 *   running QEMU process's (its start time in /proc), so a restart and a
 *   live migration (a new QEMU on the target) both start uptime again;
 * - vm_start: a template is refused ("you can't start a vm if it's a
 *   template");
 * - template: not while it runs, not twice; pve-storage's create_base:
 *   LVMPlugin (thick) cannot ("can't create base images in lvm
 *   storage"), LvmThinPlugin renames vm-N-disk-M to base-N-disk-M; task
 *   `qmtemplate`;
 * - clone_vm: a linked clone (the default for a template, `full` 0) only
 *   of a template and never with `storage` ("parameter 'storage' not
 *   allowed for linked clones"); its disk "STORE:base-N-disk-0/vm-M-disk-0"
 *   on the template's storage; a full clone a new volume on `storage`
 *   (default the source's); every netN gets a new MAC, smbios1 a new uuid,
 *   vmgenid a new id; the description is copied unless given; task
 *   `qmclone` with the source's vmid;
 * - snapshot (PVE/AbstractConfig.pm snapshot_create, has_feature): refused
 *   with "snapshot feature is not available" when a disk's storage cannot
 *   snapshot: thick LVM in 8.x, in 9.x unless the storage has
 *   `snapshot-as-volume-chain` (pve-storage LVMPlugin; the qcow2 format
 *   that option also needs is not modelled: disks have no format here);
 *   vmstate only of a running VM; task `qmsnapshot`;
 * - rollback (snapshot_rollback): "snapshot 'X' does not exist"
 *   (paraphrased); a snapshot with vmstate resumes the VM from it (a new
 *   QEMU process), one without leaves it stopped unless `start`; task
 *   `qmrollback`;
 * - snapshot_list: the snapshots and a "current" entry ("You are here!").
 *
 * The VM's QEMU (only after lab_pve_server_run_vms): the honest stand-in
 * for the node's QEMU. Whenever the model has a VM running on a node that
 * has power, qemu-system-x86_64 (TCG, 128 MiB, SeaBIOS) boots the image
 * the VM's disk was imported from (raw, snapshot=on: the upload stays as
 * it came), with a virtio NIC of the MAC in the VM's net0, on a tap device
 * on the lab network's bridge (the server's thread is in the lab network's
 * namespace, and so is every process it starts). A VM stopped, or its node
 * powered off, kills its QEMU. A migration, online or not, is a stop here
 * and a start there: the guest's downtime is the stand-in's (a boot), not
 * Proxmox's (the task log's figure is the model's). The disk is IDE here
 * (Proxmox's default scsihw is an LSI controller).
 */

typedef struct {
  char      *name;
  char      *parent;
  char      *description;
  gboolean   vmstate;
  gint64     snaptime;
} Snap;

struct _GuestExtra {
  char      *net0;         /* "virtio=MAC,bridge=vmbr0" */
  char      *smbios1;      /* "uuid=..." */
  char      *vmgenid;
  char      *description;
  gboolean   template;
  gint64     started_us;   /* its QEMU process began (monotonic); 0: stopped */
  guint      pid;
  char      *parent;       /* the snapshot it was rolled back to or taken last */
  char      *image;        /* the file its disk was imported from (the stand-in's QEMU boots it) */
  GPtrArray *snaps;        /* Snap */
};

static void
snap_free (gpointer p)
{
  Snap *s = p;
  g_free (s->name);
  g_free (s->parent);
  g_free (s->description);
  g_free (s);
}

static void
guest_extra_free (struct _GuestExtra *x)
{
  if (x == NULL)
    return;
  g_free (x->net0);
  g_free (x->smbios1);
  g_free (x->vmgenid);
  g_free (x->description);
  g_free (x->parent);
  g_free (x->image);
  g_ptr_array_unref (x->snaps);
  g_free (x);
}

static char *
random_mac (void)
{
  return g_strdup_printf ("BC:24:11:%02X:%02X:%02X", g_random_int_range (0, 256), g_random_int_range (0, 256),
                          g_random_int_range (0, 256));
}

/* "model=virtio,bridge=vmbr0" or "virtio,bridge=..." -> "virtio=MAC,bridge=..." */
static char *
net_with_mac (const char *net)
{
  g_auto(GStrv) parts = g_strsplit (net != NULL ? net : "virtio,bridge=vmbr0", ",", -1);
  GString *out = g_string_new (NULL);
  g_autofree char *mac = NULL;
  const char *model = "virtio";

  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *eq = strchr (parts[i], '=');
      if (g_str_has_prefix (parts[i], "model="))
        model = parts[i] + 6;
      else if (g_str_has_prefix (parts[i], "macaddr="))
        mac = g_strdup (parts[i] + 8);
      else if (eq != NULL && strlen (eq + 1) == 17 && eq[3] == ':')
        {
          mac = g_strdup (eq + 1);
          parts[i][eq - parts[i]] = '\0';
          model = parts[i];
        }
      else if (eq == NULL)
        model = parts[i];
    }
  if (mac == NULL)
    mac = random_mac ();
  g_string_append_printf (out, "%s=%s", model, mac);
  for (guint i = 0; parts[i] != NULL; i++)
    if (strchr (parts[i], '=') != NULL && !g_str_has_prefix (parts[i], "model=")
        && !g_str_has_prefix (parts[i], "macaddr="))
      g_string_append_printf (out, ",%s", parts[i]);
  return g_string_free (out, FALSE);
}

static char *
new_uuid (void)
{
  return g_uuid_string_random ();
}

static struct _GuestExtra *
extra_of (Guest *g)
{
  if (g->extra == NULL)
    {
      g->extra = g_new0 (struct _GuestExtra, 1);
      g->extra->net0 = net_with_mac (NULL);
      g->extra->smbios1 = g_strdup_printf ("uuid=%s", g_uuid_string_random ());
      g->extra->vmgenid = new_uuid ();
      g->extra->snaps = g_ptr_array_new_with_free_func (snap_free);
    }
  return g->extra;
}

static void
extra_process (LabPveServer *s, Guest *g)
{
  struct _GuestExtra *x = extra_of (g);

  if (g_str_equal (g->status, "running"))
    {
      x->started_us = g_get_monotonic_time ();
      x->pid = 10000 + ++s->pid;
    }
  else
    {
      x->started_us = 0;
      x->pid = 0;
    }
}

/* Where the server keeps an uploaded import volume's bytes (for the
 * stand-in's QEMU). */
static char *
import_path (LabPveServer *s, const char *volid)
{
  const char *slash = volid != NULL ? strrchr (volid, '/') : NULL;

  return slash != NULL ? g_strdup_printf ("%s/import-%s", s->dir, slash + 1) : NULL;
}

/* The file a disk "STORE:0,import-from=VOLID" was imported from, if kept. */
static char *
import_file (LabPveServer *s, const char *disk)
{
  const char *from = disk != NULL ? strstr (disk, "import-from=") : NULL;
  g_autofree char *volid = from != NULL ? g_strndup (from + 12, strcspn (from + 12, ",")) : NULL;
  g_autofree char *path = import_path (s, volid);

  return path != NULL && g_file_test (path, G_FILE_TEST_IS_REGULAR) ? g_steal_pointer (&path) : NULL;
}

/* A task stopped (advance_tasks, after its own finish). */
static void
guests_task_done (Node *n, Task *t)
{
  Guest *g;

  if (!json_object_has_member (t->args, "vmid"))
    return;
  g = find_guest (n->cfs, json_object_get_int_member (t->args, "vmid"));
  if (g == NULL || !g_str_equal (g->kind, "qemu") || t->fail != NULL)
    return;
  if (g_str_equal (t->type, "qmcreate"))
    {
      struct _GuestExtra *x = extra_of (g);
      const char *net = json_object_get_string_member_with_default (t->args, "net0", NULL);
      const char *smbios = json_object_get_string_member_with_default (t->args, "smbios1", NULL);

      g_free (x->net0);
      x->net0 = net_with_mac (net);
      if (smbios != NULL)
        {
          g_free (x->smbios1);
          x->smbios1 = g_strdup (smbios);
        }
      x->description = g_strdup (json_object_get_string_member_with_default (t->args, "description", NULL));
      x->image = import_file (n->server, json_object_get_string_member_with_default (t->args, "scsi0", NULL));
    }
  else if (g_str_equal (t->type, "qmstart") || g_str_equal (t->type, "qmstop")
           || g_str_equal (t->type, "qmigrate"))
    extra_process (n->server, g);
}

static Guest *
vm_here (Req *r)
{
  return guest_here (r, "qemu");
}

/* POST /nodes/{node}/qemu: the model's create, with what the config keeps. */
static void
gx_create (Req *r)
{
  Task *t;

  ep_guest_create (r);
  if (r->status != 0)
    return;
  t = g_ptr_array_index (r->target->tasks, r->target->tasks->len - 1);
  if (param (r, "net0") != NULL)
    json_object_set_string_member (t->args, "net0", param (r, "net0"));
  if (param (r, "smbios1") != NULL)
    json_object_set_string_member (t->args, "smbios1", param (r, "smbios1"));
  if (param (r, "scsi0") != NULL)
    json_object_set_string_member (t->args, "scsi0", param (r, "scsi0"));
  if (param (r, "description") != NULL)
    json_object_set_string_member (t->args, "description", param (r, "description"));
}

static void
gx_start (Req *r)
{
  Guest *g = vm_here (r);
  Task *t;

  if (g == NULL)
    return;
  ep_guest_start (r);
  if (r->status == 0 && extra_of (g)->template)
    {
      /* the worker refuses it (QemuServer.pm vm_start) */
      t = g_ptr_array_index (r->target->tasks, r->target->tasks->len - 1);
      g_free (t->fail);
      t->fail = g_strdup ("you can't start a vm if it's a template");
    }
}

static void
gx_status (Req *r)
{
  Guest *g = vm_here (r);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  struct _GuestExtra *x;
  gboolean running;

  if (g == NULL)
    return;
  x = extra_of (g);
  running = g_str_equal (g->status, "running");
  json_builder_begin_object (b);
  lab_json_member_int (b, "vmid", g->vmid);
  lab_json_member_string (b, "status", g->status);
  lab_json_member_string (b, "name", g->name);
  lab_json_member_string (b, "qmpstatus", g->status);
  lab_json_member_int (b, "uptime", running ? (g_get_monotonic_time () - x->started_us) / G_USEC_PER_SEC : 0);
  if (running)
    lab_json_member_int (b, "pid", x->pid);
  if (x->template)
    lab_json_member_int (b, "template", 1);
  json_builder_set_member_name (b, "ha");
  json_builder_begin_object (b);
  lab_json_member_int (b, "managed", ha_of (r->target->cfs, g->vmid) != NULL);
  json_builder_end_object (b);
  json_builder_end_object (b);
  ok (r, json_builder_get_root (b));
}

static void
gx_config_get (Req *r)
{
  Guest *g = vm_here (r);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  struct _GuestExtra *x;
  g_autofree char *disk = NULL, *digest = NULL;

  if (g == NULL)
    return;
  x = extra_of (g);
  disk = g_strdup_printf ("%s,size=1G", g->volid);
  json_builder_begin_object (b);
  lab_json_member_string (b, "name", g->name);
  lab_json_member_string (b, "memory", "256");
  lab_json_member_int (b, "cores", 1);
  lab_json_member_string (b, "ostype", "l26");
  lab_json_member_string (b, "scsi0", disk);
  lab_json_member_string (b, "net0", x->net0);
  lab_json_member_string (b, "smbios1", x->smbios1);
  lab_json_member_string (b, "vmgenid", x->vmgenid);
  if (x->description != NULL)
    lab_json_member_string (b, "description", x->description);
  if (x->template)
    lab_json_member_int (b, "template", 1);
  if (x->parent != NULL)
    lab_json_member_string (b, "parent", x->parent);
  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA1, x->net0, -1);
  lab_json_member_string (b, "digest", digest);
  json_builder_end_object (b);
  ok (r, json_builder_get_root (b));
}

/* POST (async) and PUT (sync) config: the keys the exercises' students
 * change; others are accepted by the schema and not modelled. */
static void
gx_config_set (Req *r)
{
  Guest *g = vm_here (r);
  struct _GuestExtra *x;

  if (g == NULL)
    return;
  x = extra_of (g);
  if (param (r, "net0") != NULL)
    {
      g_free (x->net0);
      x->net0 = net_with_mac (param (r, "net0"));
    }
  if (param (r, "smbios1") != NULL)
    {
      g_free (x->smbios1);
      x->smbios1 = g_strdup (param (r, "smbios1"));
    }
  if (g_strcmp0 (param (r, "vmgenid"), "1") == 0)
    {
      g_free (x->vmgenid);
      x->vmgenid = new_uuid ();
    }
  else if (param (r, "vmgenid") != NULL)
    {
      g_free (x->vmgenid);
      x->vmgenid = g_strdup (param (r, "vmgenid"));
    }
  if (param (r, "name") != NULL)
    {
      g_free (g->name);
      g->name = g_strdup (param (r, "name"));
    }
  if (param (r, "description") != NULL)
    {
      g_free (x->description);
      x->description = g_strdup (param (r, "description"));
    }
  ok (r, NULL);
}

static const char *
storage_type (Req *r, const char *volid)
{
  g_autofree char *store = g_strndup (volid, strcspn (volid, ":"));
  JsonObject *st = storage_of (r, store);

  return st != NULL ? json_object_get_string_member_with_default (st, "type", "") : "";
}

static void
finish_template (Node *n, Task *t)
{
  Guest *g = find_guest (n->cfs, json_object_get_int_member (t->args, "vmid"));
  g_autofree char *old = NULL;
  char *p;

  if (g == NULL)
    return;
  extra_of (g)->template = TRUE;
  old = g_steal_pointer (&g->volid);
  p = strstr (old, ":vm-");
  g->volid = p != NULL ? g_strdup_printf ("%.*s:base-%s", (int) (p - old), old, p + 4) : g_strdup (old);
}

static void
gx_template (Req *r)
{
  Guest *g = vm_here (r);
  Task *t;

  if (g == NULL)
    return;
  if (extra_of (g)->template)
    {
      fail (r, 500, "you can't convert a template to a template");
      return;
    }
  if (g_str_equal (g->status, "running"))
    {
      fail (r, 500, "you can't convert a VM to template if VM is running");
      return;
    }
  if (!g_str_equal (storage_type (r, g->volid), "lvmthin"))
    {
      /* the worker dies in the storage plugin's create_base */
      t = task_new (r, r->target, "qmtemplate", param (r, "vmid"), TASK_MS, NULL);
      t->fail = g_strdup_printf ("can't create base images in %s storage", storage_type (r, g->volid));
      return;
    }
  t = task_new (r, r->target, "qmtemplate", param (r, "vmid"), TASK_MS, finish_template);
  json_object_set_int_member (t->args, "vmid", g->vmid);
}

static void
finish_clone (Node *n, Task *t)
{
  Guest *src = find_guest (n->cfs, json_object_get_int_member (t->args, "vmid"));
  Guest *g;
  struct _GuestExtra *x;

  if (src == NULL)
    return;
  g = g_new0 (Guest, 1);
  g->vmid = json_object_get_int_member (t->args, "newid");
  g->kind = g_strdup ("qemu");
  g->node = g_strdup (json_object_get_string_member (t->args, "target"));
  g->status = g_strdup ("stopped");
  g->name = g_strdup (json_object_get_string_member (t->args, "name"));
  g->volid = g_strdup (json_object_get_string_member (t->args, "volid"));
  x = extra_of (g);
  /* a new identity: MAC, uuid, generation id (extra_of made them) */
  x->description = g_strdup (json_object_get_string_member_with_default (t->args, "description",
                                                                          extra_of (src)->description));
  g_hash_table_insert (n->cfs->guests, GUINT_TO_POINTER (g->vmid), g);
}

static void
gx_clone (Req *r)
{
  Guest *g = vm_here (r);
  guint newid = g_ascii_strtoull (param (r, "newid"), NULL, 10);
  gboolean tmpl;
  gboolean full;
  const char *target = param (r, "target") != NULL ? param (r, "target") : r->target->name;
  g_autofree char *volid = NULL, *name = NULL;
  const char *store;
  Task *t;

  if (g == NULL)
    return;
  tmpl = extra_of (g)->template;
  full = param (r, "full") != NULL ? is_true (param (r, "full")) : !tmpl;
  if (find_guest (r->target->cfs, newid) != NULL)
    {
      fail (r, 500, "unable to create VM %u: config file already exists (paraphrased)", newid);
      return;
    }
  if (!full && !tmpl)
    {
      fail (r, 500, "linked clones can only be made of a template (paraphrased)");
      return;
    }
  if (!full && param (r, "storage") != NULL)
    {
      fail (r, 500, "parameter 'storage' not allowed for linked clones");
      return;
    }
  if (g_str_equal (g->status, "running") && !full)
    {
      fail (r, 500, "linked clone of a running VM (paraphrased)");
      return;
    }
  if (full)
    {
      g_autofree char *src_store = g_strndup (g->volid, strcspn (g->volid, ":"));
      store = param (r, "storage") != NULL ? param (r, "storage") : src_store;
      if (storage_of (r, store) == NULL)
        {
          fail (r, 500, "storage '%s' does not exist", store);
          return;
        }
      volid = g_strdup_printf ("%s:vm-%u-disk-0", store, newid);
    }
  else
    volid = g_strdup_printf ("%s/vm-%u-disk-0", g->volid, newid);
  name = g_strdup (param (r, "name") != NULL ? param (r, "name") : "");
  if (name[0] == '\0')
    {
      g_free (name);
      name = g_strdup_printf ("Copy-of-VM-%s", g->name);
    }
  t = task_new (r, r->target, "qmclone", param (r, "vmid"), TASK_MS, finish_clone);
  json_object_set_int_member (t->args, "vmid", g->vmid);
  json_object_set_int_member (t->args, "newid", newid);
  json_object_set_string_member (t->args, "name", name);
  json_object_set_string_member (t->args, "target", target);
  json_object_set_string_member (t->args, "volid", volid);
  if (param (r, "description") != NULL)
    json_object_set_string_member (t->args, "description", param (r, "description"));
  task_log (t, FALSE, "create %s clone of drive scsi0 (%s)", full ? "full" : "linked", g->volid);
}

static gboolean
can_snapshot (Req *r, const char *volid)
{
  g_autofree char *store = g_strndup (volid, strcspn (volid, ":"));
  JsonObject *st = storage_of (r, store);
  const char *type = st != NULL ? json_object_get_string_member_with_default (st, "type", "") : "";

  if (g_str_equal (type, "lvmthin") || g_str_equal (type, "zfspool") || g_str_equal (type, "rbd"))
    return TRUE;
  return g_str_equal (type, "lvm") && !g_str_has_prefix (r->node->server->version, "8.")
         && is_true (json_object_get_string_member_with_default (st, "snapshot-as-volume-chain", "0"));
}

static void
finish_snapshot (Node *n, Task *t)
{
  Guest *g = find_guest (n->cfs, json_object_get_int_member (t->args, "vmid"));
  struct _GuestExtra *x;
  Snap *s;

  if (g == NULL)
    return;
  x = extra_of (g);
  s = g_new0 (Snap, 1);
  s->name = g_strdup (json_object_get_string_member (t->args, "snapname"));
  s->description = g_strdup (json_object_get_string_member_with_default (t->args, "description", ""));
  s->parent = g_strdup (x->parent);
  s->vmstate = json_object_get_boolean_member (t->args, "vmstate") && g_str_equal (g->status, "running");
  s->snaptime = g_get_real_time () / G_USEC_PER_SEC;
  g_ptr_array_add (x->snaps, s);
  g_free (x->parent);
  x->parent = g_strdup (s->name);
}

static Snap *
snap_named (Guest *g, const char *name)
{
  GPtrArray *snaps = extra_of (g)->snaps;

  for (guint i = 0; i < snaps->len; i++)
    if (g_strcmp0 (((Snap *) snaps->pdata[i])->name, name) == 0)
      return snaps->pdata[i];
  return NULL;
}

static void
gx_snapshot_create (Req *r)
{
  Guest *g = vm_here (r);
  Task *t;

  if (g == NULL)
    return;
  if (snap_named (g, param (r, "snapname")) != NULL)
    {
      fail (r, 500, "snapshot name '%s' already used", param (r, "snapname"));
      return;
    }
  if (!can_snapshot (r, g->volid))
    {
      fail (r, 500, "snapshot feature is not available");
      return;
    }
  t = task_new (r, r->target, "qmsnapshot", param (r, "vmid"), TASK_MS, finish_snapshot);
  json_object_set_int_member (t->args, "vmid", g->vmid);
  json_object_set_string_member (t->args, "snapname", param (r, "snapname"));
  json_object_set_boolean_member (t->args, "vmstate", is_true (param (r, "vmstate")));
  if (param (r, "description") != NULL)
    json_object_set_string_member (t->args, "description", param (r, "description"));
}

static void
gx_snapshot_list (Req *r)
{
  Guest *g = vm_here (r);
  JsonArray *a;
  JsonObject *cur;
  struct _GuestExtra *x;

  if (g == NULL)
    return;
  x = extra_of (g);
  a = json_array_new ();
  for (guint i = 0; i < x->snaps->len; i++)
    {
      Snap *s = x->snaps->pdata[i];
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "name", s->name);
      json_object_set_string_member (o, "description", s->description);
      if (s->parent != NULL)
        json_object_set_string_member (o, "parent", s->parent);
      json_object_set_int_member (o, "snaptime", s->snaptime);
      if (s->vmstate)
        json_object_set_int_member (o, "vmstate", 1);
      json_array_add_object_element (a, o);
    }
  cur = json_object_new ();
  json_object_set_string_member (cur, "name", "current");
  json_object_set_string_member (cur, "description", "You are here!");
  if (x->parent != NULL)
    json_object_set_string_member (cur, "parent", x->parent);
  json_object_set_int_member (cur, "running", g_str_equal (g->status, "running"));
  json_array_add_object_element (a, cur);
  ok (r, json_node_init_array (json_node_alloc (), a));
}

static void
finish_rollback (Node *n, Task *t)
{
  Guest *g = find_guest (n->cfs, json_object_get_int_member (t->args, "vmid"));
  Snap *s = g != NULL ? snap_named (g, json_object_get_string_member (t->args, "snapname")) : NULL;
  struct _GuestExtra *x;

  if (s == NULL)
    return;
  x = extra_of (g);
  g_free (g->status);
  g->status = g_strdup (s->vmstate || json_object_get_boolean_member (t->args, "start") ? "running" : "stopped");
  /* the VM resumes in a new QEMU process loaded with the saved state */
  extra_process (n->server, g);
  g_free (x->parent);
  x->parent = g_strdup (s->name);
}

static void
gx_rollback (Req *r)
{
  Guest *g = vm_here (r);
  Task *t;

  if (g == NULL)
    return;
  if (snap_named (g, param (r, "snapname")) == NULL)
    {
      fail (r, 500, "snapshot '%s' does not exist (paraphrased)", param (r, "snapname"));
      return;
    }
  t = task_new (r, r->target, "qmrollback", param (r, "vmid"), TASK_MS, finish_rollback);
  json_object_set_int_member (t->args, "vmid", g->vmid);
  json_object_set_string_member (t->args, "snapname", param (r, "snapname"));
  json_object_set_boolean_member (t->args, "start", is_true (param (r, "start")));
}

/* ---- the VM's QEMU ------------------------------------------------------------------ */

struct _StandInVm {
  GPid  pid;
  char *node;
  char *mac;
  char *tap;
};

static gboolean
run_quiet (const char *const *argv, GError **error)
{
  int status = -1;
  g_autofree char *err = NULL;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                     &err, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", argv[0], err != NULL ? g_strstrip (err) : "");
      return FALSE;
    }
  return TRUE;
}

GPid
lab_pve_stand_in_vm_start (const char *image, const char *mac, const char *bridge, const char *tap, const char *log,
                           const char *qmp, GError **error)
{
  const char *add[] = { "ip", "tuntap", "add", "dev", tap, "mode", "tap", NULL };
  const char *up[] = { "ip", "link", "set", "dev", tap, "master", bridge, "up", NULL };
  g_autofree char *drive = g_strdup_printf ("file=%s,format=raw,if=ide,snapshot=on", image);
  g_autofree char *netdev = g_strdup_printf ("tap,id=n0,ifname=%s,script=no,downscript=no", tap);
  g_autofree char *nic = g_strdup_printf ("virtio-net-pci,netdev=n0,mac=%s", mac);
  g_autofree char *serial = g_strdup_printf ("file,id=s0,path=%s,append=on", log);
  g_autofree char *qmp_arg = qmp != NULL ? g_strdup_printf ("unix:%s,server=on,wait=off", qmp) : NULL;
  const char *qemu[] = { "qemu-system-x86_64", "-accel", "tcg", "-m", "128", "-nodefaults", "-no-user-config",
                         "-display", "none", "-machine", "pc", "-chardev", serial, "-serial", "chardev:s0",
                         "-drive", drive, "-netdev", netdev, "-device", nic,
                         qmp_arg != NULL ? "-qmp" : NULL, qmp_arg, NULL };
  GPid pid = 0;

  if (!run_quiet (add, error))
    return 0;
  if (!run_quiet (up, error)
      || !g_spawn_async (NULL, (char **) qemu, NULL,
                         G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL
                           | G_SPAWN_STDERR_TO_DEV_NULL,
                         NULL, NULL, &pid, error))
    {
      const char *del[] = { "ip", "link", "del", "dev", tap, NULL };
      run_quiet (del, NULL);
      return 0;
    }
  return pid;
}

void
lab_pve_stand_in_vm_stop (GPid pid, const char *tap)
{
  const char *del[] = { "ip", "link", "del", "dev", tap, NULL };

  if (pid > 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
    }
  run_quiet (del, NULL);
}

static void
stand_in_free (gpointer p)
{
  struct _StandInVm *v = p;

  lab_pve_stand_in_vm_stop (v->pid, v->tap);
  g_free (v->node);
  g_free (v->mac);
  g_free (v->tap);
  g_free (v);
}

/* "virtio=MAC,bridge=..." -> MAC */
static char *
net_mac (const char *net)
{
  const char *eq = net != NULL ? strchr (net, '=') : NULL;

  return eq != NULL && strlen (eq + 1) >= 17 ? g_strndup (eq + 1, 17) : NULL;
}

/* Every VM the model runs on a node with power has its QEMU, on that
 * node, with its MAC; every other QEMU goes. In the server's thread. */
static void
guests_run (LabPveServer *s)
{
  if (s->vm_bridge == NULL)
    return;
  for (guint i = 0; i < s->cfses->len; i++)
    {
      Cfs *c = g_ptr_array_index (s->cfses, i);
      GHashTableIter it;
      gpointer k, v;

      g_hash_table_iter_init (&it, c->guests);
      while (g_hash_table_iter_next (&it, &k, &v))
        {
          Guest *g = v;
          Node *on = find_node (s, g->node);
          struct _StandInVm *run = g_hash_table_lookup (s->vm_procs, GUINT_TO_POINTER (g->vmid));
          g_autofree char *mac = NULL;
          g_autoptr(GError) error = NULL;
          gboolean want;

          if (!g_str_equal (g->kind, "qemu"))
            continue;
          mac = net_mac (extra_of (g)->net0);
          want = g_str_equal (g->status, "running") && on != NULL && on->cfs == c && on->off_us == 0
                 && extra_of (g)->image != NULL && mac != NULL;
          if (run != NULL && want && g_str_equal (run->node, g->node) && g_ascii_strcasecmp (run->mac, mac) == 0)
            continue;
          if (run != NULL)
            g_hash_table_remove (s->vm_procs, GUINT_TO_POINTER (g->vmid));
          if (!want)
            continue;
          run = g_new0 (struct _StandInVm, 1);
          run->node = g_strdup (g->node);
          run->mac = g_steal_pointer (&mac);
          run->tap = g_strdup_printf ("lpvtap%u", g->vmid);
          {
            g_autofree char *log = g_strdup_printf ("%s/vm-%u.log", s->dir, g->vmid);
            run->pid = lab_pve_stand_in_vm_start (extra_of (g)->image, run->mac, s->vm_bridge, run->tap, log, NULL,
                                                  &error);
          }
          if (run->pid == 0)
            {
              g_ptr_array_add (s->violations, g_strdup_printf ("test server: starting VM %u's QEMU on %s: %s",
                                                               g->vmid, g->node, error->message));
              g_free (run->node);
              g_free (run->mac);
              g_free (run->tap);
              g_free (run);
              continue;
            }
          s->vm_starts++;
          g_hash_table_insert (s->vm_procs, GUINT_TO_POINTER (g->vmid), run);
        }
    }
  /* a VM the model no longer has (destroyed) */
  {
    GHashTableIter it;
    gpointer k, v;
    gboolean known;

    g_hash_table_iter_init (&it, s->vm_procs);
    while (g_hash_table_iter_next (&it, &k, &v))
      {
        known = FALSE;
        for (guint i = 0; i < s->cfses->len && !known; i++)
          known = find_guest (g_ptr_array_index (s->cfses, i), GPOINTER_TO_UINT (k)) != NULL;
        if (!known)
          g_hash_table_iter_remove (&it);
      }
  }
}

void
lab_pve_server_run_vms (LabPveServer *s, const char *bridge)
{
  g_mutex_lock (&s->lock);
  g_free (s->vm_bridge);
  s->vm_bridge = g_strdup (bridge);
  g_mutex_unlock (&s->lock);
}

guint
lab_pve_server_vm_starts (LabPveServer *s)
{
  guint n;

  g_mutex_lock (&s->lock);
  n = s->vm_starts;
  g_mutex_unlock (&s->lock);
  return n;
}

char *
lab_pve_server_vm_log (LabPveServer *s, guint vmid)
{
  g_autofree char *path = g_strdup_printf ("%s/vm-%u.log", s->dir, vmid);
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, NULL);
  return text;
}

static const Route guest_routes[] = {
  { "POST", "/nodes/{node}/qemu", gx_create },
  { "POST", "/nodes/{node}/qemu/{vmid}/status/start", gx_start },
  { "GET", "/nodes/{node}/qemu/{vmid}/status/current", gx_status },
  { "GET", "/nodes/{node}/qemu/{vmid}/config", gx_config_get },
  { "POST", "/nodes/{node}/qemu/{vmid}/config", gx_config_set },
  { "PUT", "/nodes/{node}/qemu/{vmid}/config", gx_config_set },
  { "POST", "/nodes/{node}/qemu/{vmid}/template", gx_template },
  { "POST", "/nodes/{node}/qemu/{vmid}/clone", gx_clone },
  { "GET", "/nodes/{node}/qemu/{vmid}/snapshot", gx_snapshot_list },
  { "POST", "/nodes/{node}/qemu/{vmid}/snapshot", gx_snapshot_create },
  { "POST", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback", gx_rollback },
};

/* TRUE when one of these routes served the request. */
static gboolean
guests_dispatch (Req *r, const char *path)
{
  for (guint i = 0; i < G_N_ELEMENTS (guest_routes); i++)
    if (g_str_equal (guest_routes[i].method, r->method) && g_str_equal (guest_routes[i].path, path))
      {
        r->kind = "qemu";
        guest_routes[i].func (r);
        return TRUE;
      }
  return FALSE;
}
