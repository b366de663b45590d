/* lab-vm.c: plan steps for the lab network and the node VMs. */
#include "config.h"

#include "lab-vm.h"

#include <string.h>

#include <libvirt/libvirt.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-paths.h"

#define START_TIMEOUT_MS (120 * 1000)
#define STOP_TIMEOUT_MS  (60 * 1000)

/* Shared by all steps of one plan: one connection, one osinfo db. */
typedef struct {
  LabContext       *ctx;
  LabVirt          *virt;
  LabOsinfo        *osinfo;
  LabOsinfoProfile *profile;
  char             *domain_type;
  char             *domain_type_why;
  gboolean          warned_tcg;
} Shared;

typedef struct {
  Shared  *shared;   /* rc box */
  LabNode *node;     /* NULL for the network and start steps */
} StepData;

static void
shared_clear (gpointer p)
{
  Shared *s = p;

  g_clear_object (&s->virt);
  g_clear_object (&s->osinfo);
  g_clear_pointer (&s->profile, lab_osinfo_profile_free);
  g_free (s->domain_type);
  g_free (s->domain_type_why);
}

static void
step_data_free (gpointer p)
{
  StepData *d = p;

  g_rc_box_release_full (d->shared, shared_clear);
  g_free (d);
}

static const char *
uri_of (LabContext *ctx)
{
  return lab_virt_default_uri (ctx->libvirt_uri);
}

static LabVirt *
get_virt (Shared *s, GError **error)
{
  if (s->virt == NULL)
    {
      s->virt = lab_virt_connect (s->ctx->libvirt_uri, error);
      if (s->virt != NULL && s->ctx->runner != NULL)
        lab_virt_set_runner (s->virt, s->ctx->runner);
    }
  return s->virt;
}

char *
lab_vm_tcg_warning (const char *domain_type, const char *why)
{
  if (g_strcmp0 (domain_type, "kvm") == 0)
    return NULL;
  return g_strdup_printf (_("WARNING: KVM is not usable here (%s): the nodes run under QEMU's TCG emulator, "
                            "slowly, and a TCG node cannot run a hypervisor (Proxmox VE, KVM guests) at a useful "
                            "speed. Enable VT-x/AMD-V in the firmware and load kvm_intel or kvm_amd."),
                          why != NULL ? why : _("unknown reason"));
}

static const char *
get_domain_type (Shared *s)
{
  if (s->domain_type == NULL)
    {
      /* a dry run asks libvirt when it can (read-only); without a
       * connection only /dev/kvm is probed */
      if (s->virt == NULL)
        {
          g_autoptr(GError) ignored = NULL;
          get_virt (s, &ignored);
        }
      s->domain_type = lab_virt_pick_domain_type (s->virt, &s->domain_type_why);
      if (!s->warned_tcg)
        {
          g_autofree char *warning = lab_vm_tcg_warning (s->domain_type, s->domain_type_why);
          s->warned_tcg = TRUE;
          if (warning != NULL)
            {
              if (s->ctx->progress != NULL)
                lab_progress_info (s->ctx->progress, "%s", warning);
              else
                g_printerr ("%s\n", warning);
            }
        }
    }
  return s->domain_type;
}

/* The OS profile: the recipe's os key, cross-checked with the ISO when the
 * ISO is there. identify_iso: the ISO must exist and be identifiable. */
static const LabOsinfoProfile *
get_profile (Shared *s, gboolean identify_iso, GError **error)
{
  LabRecipe *r = s->ctx->recipe;
  g_autofree char *iso = lab_vm_iso_path (r);
  g_autoptr(LabOsinfoProfile) from_iso = NULL;
  g_autoptr(GError) iso_error = NULL;

  if (s->profile != NULL)
    return s->profile;
  if (s->osinfo == NULL)
    {
      s->osinfo = lab_osinfo_new (NULL, error);
      if (s->osinfo == NULL)
        return NULL;
    }
  if (iso != NULL && identify_iso)
    {
      from_iso = lab_osinfo_identify_iso (s->osinfo, iso, &iso_error);
      if (from_iso == NULL && g_error_matches (iso_error, LAB_ERROR, LAB_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&iso_error));
          return NULL;
        }
    }
  if (r->os_id != NULL)
    {
      s->profile = lab_osinfo_lookup (s->osinfo, r->os_id, error);
      if (s->profile == NULL)
        return NULL;
      if (from_iso != NULL && g_strcmp0 (from_iso->id, s->profile->id) != 0)
        lab_progress_info (s->ctx->progress, _("Note: %s looks like %s, the recipe says %s; using the recipe's"),
                           iso, from_iso->name, s->profile->name);
    }
  else if (from_iso != NULL)
    s->profile = g_steal_pointer (&from_iso);
  else if (iso_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&iso_error));
      return NULL;
    }
  else
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_RECIPE,
                   _("The recipe names neither an operating system ([nodes] os) nor install media; set [nodes] os"));
      return NULL;
    }
  return s->profile;
}

/* ---- specs ----------------------------------------------------------- */

LabVirtNetworkSpec *
lab_vm_network_spec (LabRecipe *r)
{
  LabVirtNetworkSpec *n = lab_virt_network_spec_new ();
  guint32 base = r->subnet_addr;
  guint32 size = r->subnet_prefix >= 32 ? 1 : (1u << (32 - r->subnet_prefix));
  guint32 start, end;

  n->lab_name = g_strdup (r->name);
  n->recipe_hash = g_strdup (r->hash);
  n->name = g_strdup (r->net_name);
  n->bridge = g_strdup (r->bridge);
  n->gateway = g_strdup (r->gateway);
  n->prefix = r->subnet_prefix;
  /* the dynamic pool is the upper half of the subnet; reservations (nodes
   * at gateway+10.., guests) sit in the lower half */
  if (size >= 8)
    {
      start = base + size / 2;
      end = base + size - 2;
      n->dhcp_start = g_strdup_printf ("%u.%u.%u.%u", start >> 24, (start >> 16) & 0xff, (start >> 8) & 0xff, start & 0xff);
      n->dhcp_end = g_strdup_printf ("%u.%u.%u.%u", end >> 24, (end >> 16) & 0xff, (end >> 8) & 0xff, end & 0xff);
    }
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *node = g_ptr_array_index (r->nodes, i);
      lab_virt_network_spec_add_host (n, node->name, node->mac, node->address);
    }
  for (guint i = 0; r->guests != NULL && i < r->guests->len; i++)
    {
      LabGuest *g = g_ptr_array_index (r->guests, i);
      if (g->mac != NULL && g->address != NULL)
        lab_virt_network_spec_add_host (n, g->name, g->mac, g->address);
    }
  return n;
}

char *
lab_vm_disk_path (LabRecipe *r, const LabNode *node)
{
  return g_build_filename ("/dev", r->vg_name, node->lv_name, NULL);
}

char *
lab_vm_iso_path (LabRecipe *r)
{
  const char *media = r->install_media;
  const char *dir = g_getenv ("LABCTL_ISO_DIR");
  g_autofree char *state_dir = NULL;
  g_autofree char *file = NULL;

  if (media == NULL || *media == '\0')
    return NULL;
  if (strchr (media, '/') != NULL || g_str_has_suffix (media, ".iso"))
    return g_strdup (media);
  file = g_strconcat (media, ".iso", NULL);
  if (dir != NULL && *dir != '\0')
    return g_build_filename (dir, file, NULL);
  state_dir = lab_state_dir_for_lab (r->name);
  {
    g_autofree char *parent = g_path_get_dirname (state_dir);
    return g_build_filename (parent, "isos", file, NULL);
  }
}

LabVirtDomainSpec *
lab_vm_domain_spec (LabRecipe *r, const LabNode *node, const LabOsinfoProfile *p,
                       const char *domain_type, const char *iso_path)
{
  LabVirtDomainSpec *s = lab_virt_domain_spec_new ();
  gboolean tcg = g_strcmp0 (domain_type, "kvm") != 0;

  s->lab_name = g_strdup (r->name);
  s->node_name = g_strdup (node->name);
  s->recipe_hash = g_strdup (r->hash);
  s->domain_type = g_strdup (domain_type);
  s->arch = g_strdup ("x86_64");
  s->machine = g_strdup (p == NULL || p->q35 ? "q35" : "pc");
  s->vcpus = node->vcpus;
  s->memory_mib = node->memory_mib;
  s->cpu_mode = g_strdup (tcg && g_strcmp0 (r->cpu_mode, "host-passthrough") == 0 ? "maximum" : r->cpu_mode);
  s->cache_mode = g_strdup (r->cache_mode);
  s->disk_path = lab_vm_disk_path (r, node);
  s->disk_format = g_strdup ("raw");
  s->disk_bus = g_strdup (p == NULL || p->virtio_disk ? "virtio" : "sata");
  s->cdrom_path = g_strdup (iso_path);
  s->network = g_strdup (r->net_name);
  s->mac = g_strdup (node->mac);
  s->nic_model = g_strdup (p == NULL || p->virtio_net ? "virtio" : "e1000");
  s->graphics = g_strdup ("spice");
  /* as virt-install: virtio-gpu when the OS has the driver */
  s->video_model = g_strdup (p != NULL && p->virtio_gpu ? "virtio" : "qxl");
  s->usb_tablet = TRUE;
  s->os_id = g_strdup (p != NULL ? p->id : NULL);
  return s;
}

static LabVirtDomainSpec *
spec_for_node (Shared *s, const LabNode *node, gboolean strict, GError **error)
{
  LabRecipe *r = s->ctx->recipe;
  const LabOsinfoProfile *p = get_profile (s, strict, strict ? error : NULL);
  g_autofree char *iso = lab_vm_iso_path (r);

  if (p == NULL && strict)
    return NULL;
  return lab_vm_domain_spec (r, node, p, get_domain_type (s), iso);
}

/* ---- network step ------------------------------------------------------ */

static gboolean
network_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  StepData *d = data;
  g_autoptr(LabVirtNetworkSpec) spec = lab_vm_network_spec (ctx->recipe);
  LabVirt *virt = get_virt (d->shared, error);

  gboolean exists = FALSE;
  virNetworkPtr net;

  *done = FALSE;
  if (virt == NULL || !lab_virt_network_check (virt, spec, &exists, error))
    return FALSE;
  /* done: ours and running (after a reboot it may be defined but down) */
  net = exists ? virNetworkLookupByName (lab_virt_get_connect (virt), spec->name) : NULL;
  if (net != NULL)
    {
      *done = virNetworkIsActive (net) == 1;
      virNetworkFree (net);
    }
  return TRUE;
}

static gboolean
network_apply (LabContext *ctx, gpointer data, GError **error)
{
  StepData *d = data;
  g_autoptr(LabVirtNetworkSpec) spec = lab_vm_network_spec (ctx->recipe);
  LabVirt *virt = get_virt (d->shared, error);
  gboolean created = FALSE;

  if (virt == NULL || !lab_virt_network_ensure (virt, spec, &created, error))
    return FALSE;
  lab_state_set_string (ctx->state, "virt.uri", lab_virt_get_uri (virt));
  lab_state_set_string (ctx->state, "virt.network.name", spec->name);
  if (created)
    lab_state_set_bool (ctx->state, "virt.network.created", TRUE);
  return TRUE;
}

static gboolean
network_undo (LabContext *ctx, gpointer data, GError **error)
{
  StepData *d = data;
  const char *name = lab_state_get_string (ctx->state, "virt.network.name");
  LabVirt *virt;

  /* only a network this lab created (state) and marked (metadata) goes */
  if (name == NULL || !lab_state_get_bool (ctx->state, "virt.network.created", FALSE))
    return TRUE;
  virt = get_virt (d->shared, error);
  if (virt == NULL || !lab_virt_network_remove (virt, name, ctx->recipe->name, error))
    return FALSE;
  lab_state_remove_prefix (ctx->state, "virt.network.");
  return TRUE;
}

static char **
network_describe (LabContext *ctx, gpointer data, gboolean down)
{
  g_autoptr(LabVirtNetworkSpec) spec = lab_vm_network_spec (ctx->recipe);
  const char *uri = uri_of (ctx);

  if (down)
    {
      char **v = g_new0 (char *, 3);
      v[0] = g_strdup_printf ("virsh -c %s net-destroy %s", uri, spec->name);
      v[1] = g_strdup_printf ("virsh -c %s net-undefine %s", uri, spec->name);
      return v;
    }
  return lab_virt_network_describe (spec, uri);
}

/* ---- define step ------------------------------------------------------- */

static gboolean
define_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  StepData *d = data;
  LabVirt *virt = get_virt (d->shared, error);
  virDomainPtr dom = NULL;

  if (virt == NULL || !lab_virt_domain_lookup (virt, d->node->name, ctx->recipe->name, &dom, error))
    return FALSE;
  *done = dom != NULL;
  if (dom != NULL)
    virDomainFree (dom);
  return TRUE;
}

static gboolean
define_apply (LabContext *ctx, gpointer data, GError **error)
{
  StepData *d = data;
  LabVirt *virt = get_virt (d->shared, error);
  g_autoptr(LabVirtDomainSpec) spec = NULL;
  g_autofree char *key = NULL;
  g_autofree char *disk = NULL;
  const LabOsinfoProfile *p;
  g_autoptr(GPtrArray) warnings = NULL;

  if (virt == NULL)
    return FALSE;
  disk = g_build_filename (ctx->sysroot != NULL ? ctx->sysroot : "/", "dev", ctx->recipe->vg_name,
                           d->node->lv_name, NULL);
  if (!g_file_test (disk, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("The disk of node \"%s\", logical volume %s, does not exist; create the storage first "
                     "('labctl up' runs the storage steps before the nodes)"), d->node->name, disk);
      return FALSE;
    }
  spec = spec_for_node (d->shared, d->node, TRUE, error);
  if (spec == NULL)
    return FALSE;
  p = d->shared->profile;
  warnings = lab_osinfo_check_resources (p, d->node->vcpus, d->node->memory_mib, d->node->disk_bytes);
  for (guint i = 0; i < warnings->len; i++)
    lab_progress_info (ctx->progress, _("Warning: node %s: %s"), d->node->name,
                       (const char *) g_ptr_array_index (warnings, i));
  if (!lab_virt_domain_define (virt, spec, error))
    return FALSE;
  key = g_strdup_printf ("virt.node.%s.domain", d->node->name);
  lab_state_set_string (ctx->state, key, d->node->name);
  return TRUE;
}

static gboolean
define_undo (LabContext *ctx, gpointer data, GError **error)
{
  StepData *d = data;
  g_autofree char *key = g_strdup_printf ("virt.node.%s.domain", d->node->name);
  LabVirt *virt;

  if (!lab_state_has (ctx->state, key))
    return TRUE;
  virt = get_virt (d->shared, error);
  if (virt == NULL
      || !lab_virt_domain_stop (virt, d->node->name, ctx->recipe->name, STOP_TIMEOUT_MS, ctx->cancellable, error)
      || !lab_virt_domain_undefine (virt, d->node->name, ctx->recipe->name, error))
    return FALSE;
  lab_state_remove (ctx->state, key);
  return TRUE;
}

static char **
define_describe (LabContext *ctx, gpointer data, gboolean down)
{
  StepData *d = data;
  g_autoptr(LabVirtDomainSpec) spec = NULL;
  const char *uri = uri_of (ctx);

  if (down)
    {
      GStrvBuilder *b = g_strv_builder_new ();
      g_autofree char *l1 = g_strdup_printf ("virsh -c %s shutdown %s  # then, after 60 s: virsh -c %s destroy %s",
                                             uri, d->node->name, uri, d->node->name);
      g_autofree char *l2 = g_strdup_printf ("virsh -c %s undefine %s --snapshots-metadata --nvram",
                                             uri, d->node->name);
      char **v;
      g_strv_builder_add (b, l1);
      g_strv_builder_add (b, l2);
      v = g_strv_builder_end (b);
      g_strv_builder_unref (b);
      return v;
    }
  spec = spec_for_node (d->shared, d->node, FALSE, NULL);
  {
    g_autofree char *overlay = lab_paths_data_file ("iso-cache", "osinfo", NULL);
    return lab_virt_domain_describe (spec, uri, overlay);
  }
}

/* ---- start step -------------------------------------------------------- */

static GPtrArray *
all_specs (Shared *s, gboolean strict, GError **error)
{
  g_autoptr(GPtrArray) specs = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_virt_domain_spec_free);
  LabRecipe *r = s->ctx->recipe;

  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabVirtDomainSpec *spec = spec_for_node (s, g_ptr_array_index (r->nodes, i), strict, error);
      if (spec == NULL)
        return NULL;
      g_ptr_array_add (specs, spec);
    }
  return g_steal_pointer (&specs);
}

static gboolean
start_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  StepData *d = data;
  LabVirt *virt = get_virt (d->shared, error);
  LabRecipe *r = ctx->recipe;
  guint64 needed = 0, free_mib = 0;

  if (virt == NULL)
    return FALSE;
  *done = TRUE;
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *node = g_ptr_array_index (r->nodes, i);
      virDomainPtr dom = NULL;
      int state = VIR_DOMAIN_NOSTATE, reason;

      if (!lab_virt_domain_lookup (virt, node->name, r->name, &dom, error))
        return FALSE;
      if (dom != NULL)
        {
          virDomainGetState (dom, &state, &reason, 0);
          virDomainFree (dom);
        }
      if (state != VIR_DOMAIN_RUNNING)
        {
          *done = FALSE;
          needed += node->memory_mib;
        }
    }
  if (needed > 0 && lab_virt_free_memory_mib (virt, &free_mib, NULL) && free_mib < needed)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NO_SPACE,
                   _("Not enough free memory for the nodes: they need %llu MiB, the host has %llu MiB free; "
                     "close programs or lower [nodes] memory in the recipe"),
                   (unsigned long long) needed, (unsigned long long) free_mib);
      return FALSE;
    }
  return TRUE;
}

static gboolean
start_apply (LabContext *ctx, gpointer data, GError **error)
{
  StepData *d = data;
  LabVirt *virt = get_virt (d->shared, error);
  g_autoptr(GPtrArray) specs = NULL;

  if (virt == NULL)
    return FALSE;
  specs = all_specs (d->shared, FALSE, error);
  return specs != NULL
         && lab_virt_domains_run (virt, specs, LAB_VIRT_OP_START, START_TIMEOUT_MS, ctx->cancellable, error);
}

static gboolean
start_undo (LabContext *ctx, gpointer data, GError **error)
{
  StepData *d = data;
  LabVirt *virt = get_virt (d->shared, error);
  g_autoptr(GPtrArray) specs = NULL;

  if (virt == NULL)
    return FALSE;
  specs = all_specs (d->shared, FALSE, error);
  return specs != NULL
         && lab_virt_domains_run (virt, specs, LAB_VIRT_OP_STOP, STOP_TIMEOUT_MS, ctx->cancellable, error);
}

static char **
start_describe (LabContext *ctx, gpointer data, gboolean down)
{
  GStrvBuilder *b = g_strv_builder_new ();
  const char *uri = uri_of (ctx);
  char **v;

  for (guint i = 0; i < ctx->recipe->nodes->len; i++)
    {
      LabNode *node = g_ptr_array_index (ctx->recipe->nodes, i);
      g_autofree char *line = g_strdup_printf ("virsh -c %s %s %s", uri, down ? "shutdown" : "start", node->name);
      g_strv_builder_add (b, line);
    }
  v = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return v;
}

/* Not root: qemu:///system is open to the libvirt group, and a refused
 * connection says so (LAB_ERROR_PERMISSION). */
static const LabStepInfo network_step = {
  "nodes.network", N_("Create the lab network %s"), FALSE,
  network_check, network_apply, network_undo, network_describe,
};
static const LabStepInfo define_step = {
  "nodes.define", N_("Define node %s"), FALSE,
  define_check, define_apply, define_undo, define_describe,
};
static const LabStepInfo start_step = {
  "nodes.start", N_("Start the nodes"), FALSE,
  start_check, start_apply, start_undo, start_describe,
};

static StepData *
step_data_new (Shared *shared, LabNode *node)
{
  StepData *d = g_new0 (StepData, 1);

  d->shared = g_rc_box_acquire (shared);
  d->node = node;
  return d;
}

void
lab_vm_add_steps (LabPlan *plan, LabContext *ctx)
{
  Shared *shared = g_rc_box_new0 (Shared);

  shared->ctx = ctx;
  lab_plan_add_step (plan, &network_step, NULL, ctx->recipe->net_name,
                     step_data_new (shared, NULL), step_data_free);
  for (guint i = 0; i < ctx->recipe->nodes->len; i++)
    {
      LabNode *node = g_ptr_array_index (ctx->recipe->nodes, i);
      lab_plan_add_step (plan, &define_step, node->name, node->name,
                         step_data_new (shared, node), step_data_free);
    }
  lab_plan_add_step (plan, &start_step, NULL, NULL, step_data_new (shared, NULL), step_data_free);
  g_rc_box_release_full (shared, shared_clear);
}
