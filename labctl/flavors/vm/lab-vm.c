/* lab-vm.c: the vm flavor's nodes: libvirt VMs on their LVs on the host's
 * libvirt. What the steps share (one connection, one osinfo database per
 * plan), the domain type, the OS profile, and the specs of the lab network
 * and the node domains. The steps: lab-vm-network.c (nodes.network),
 * lab-vm-nodes.c (nodes.define, nodes.start); the row: lab-vm-flavor.c. */
#include "config.h"

#include "lab-vm.h"
#include "lab-vm-private.h"

#include <string.h>

#include "lab-error.h"
#include "lab-i18n.h"

/* The plan data key of the shared part. */
#define SHARED_KEY "flavor-vm"

static void
shared_clear (gpointer p)
{
  LabVmShared *s = p;

  g_clear_object (&s->virt);
  g_clear_object (&s->osinfo);
  g_clear_pointer (&s->profile, lab_osinfo_profile_free);
  g_free (s->domain_type);
  g_free (s->domain_type_why);
}

static void
shared_release (gpointer p)
{
  g_rc_box_release_full (p, shared_clear);
}

LabVmShared *
lab_vm_shared (LabPlan *plan, LabContext *ctx)
{
  LabVmShared *s = lab_plan_get_data (plan, SHARED_KEY);

  if (s == NULL)
    {
      s = g_rc_box_new0 (LabVmShared);
      s->ctx = ctx;
      /* the plan holds one reference, each step one */
      lab_plan_set_data (plan, SHARED_KEY, s, shared_release);
    }
  return s;
}

void
lab_vm_set_media (LabPlan *plan, LabContext *ctx, const LabVmMedia *media)
{
  lab_vm_shared (plan, ctx)->media = media;
}

/* The ISO the nodes boot. */
static char *
iso_path (LabVmShared *s)
{
  if (s->media != NULL && s->media->iso_path != NULL)
    return s->media->iso_path (s->ctx);
  return lab_vm_iso_path (s->ctx->recipe);
}

void
lab_vm_set_node_spec_func (LabPlan *plan, LabContext *ctx, LabVmNodeSpecFunc func)
{
  lab_vm_shared (plan, ctx)->node_spec_func = func;
}

void
lab_vm_set_network_hosts_func (LabPlan *plan, LabContext *ctx, LabVmNetworkHostsFunc func)
{
  lab_vm_shared (plan, ctx)->network_hosts_func = func;
}

LabVmStep *
lab_vm_step_new (LabVmShared *shared, LabNode *node)
{
  LabVmStep *d = g_new0 (LabVmStep, 1);

  d->shared = g_rc_box_acquire (shared);
  d->node = node;
  return d;
}

void
lab_vm_step_free (gpointer p)
{
  LabVmStep *d = p;

  g_rc_box_release_full (d->shared, shared_clear);
  g_free (d);
}

const char *
lab_vm_uri (LabContext *ctx)
{
  return lab_virt_default_uri (ctx->libvirt_uri);
}

LabVirt *
lab_vm_get_virt (LabVmShared *s, GError **error)
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
get_domain_type (LabVmShared *s)
{
  if (s->domain_type == NULL)
    {
      /* a dry run asks libvirt when it can (read-only); without a
       * connection only /dev/kvm is probed */
      if (s->virt == NULL)
        {
          g_autoptr(GError) ignored = NULL;
          lab_vm_get_virt (s, &ignored);
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
get_profile (LabVmShared *s, gboolean identify_iso, GError **error)
{
  LabRecipe *r = s->ctx->recipe;
  g_autofree char *iso = iso_path (s);
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

LabVirtDomainSpec *
lab_vm_spec_for_node (LabVmShared *s, const LabNode *node, gboolean strict, GError **error)
{
  LabRecipe *r = s->ctx->recipe;
  const LabOsinfoProfile *p = get_profile (s, strict, strict ? error : NULL);
  g_autofree char *iso = iso_path (s);
  g_autoptr(LabVirtDomainSpec) spec = NULL;

  if (p == NULL && strict)
    return NULL;
  spec = lab_vm_domain_spec (r, node, p, get_domain_type (s), iso);
  if (s->media != NULL && s->media->adjust_spec != NULL)
    s->media->adjust_spec (s->ctx, node, spec);
  if (s->node_spec_func != NULL)
    {
      g_autoptr(GError) ignored = NULL;
      if (!s->node_spec_func (s->ctx, node, spec, !strict, strict ? error : &ignored) && strict)
        return NULL;
    }
  return g_steal_pointer (&spec);
}

void
lab_vm_add_steps (LabPlan *plan, LabContext *ctx)
{
  lab_vm_add_network_steps (plan, ctx);
  lab_vm_add_node_steps (plan, ctx);
}
