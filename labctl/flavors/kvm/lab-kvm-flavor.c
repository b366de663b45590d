/* lab-kvm-flavor.c: the kvm flavor's row in the flavor table: the vm
 * flavor's lab network and node domains, booting the node image (direct
 * kernel boot of the image's kernel, the disk the node's LV), then install
 * and configure steps over ssh. labctl reaches a node's libvirt with
 * libssh and the pinned known_hosts; the nodes reach each other with
 * qemu+ssh and their common key (peer-to-peer migration). */
#include "config.h"

#include "lab-flavor.h"
#include "lab-kvm.h"
#include "lab-kvm-private.h"
#include "lab-vm.h"

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-util.h"

/* The vm node's domain, made a kvm node: the image's kernel, no install
 * media, no graphics (a serial console, logged), the disk the LV's extents
 * on the attached LUN. */
static gboolean
kvm_node_spec (LabContext *ctx, const LabNode *node, LabVirtDomainSpec *spec, gboolean describe, GError **error)
{
  g_autofree char *k_dev = g_strdup_printf (LAB_KVM_K_DISK_DEVICE, node->name);
  g_autofree char *k_off = g_strdup_printf (LAB_KVM_K_DISK_OFFSET, node->name);
  g_autofree char *k_size = g_strdup_printf (LAB_KVM_K_DISK_SIZE, node->name);

  g_free (spec->kernel);
  spec->kernel = lab_kvm_image_file ("vmlinuz");
  g_free (spec->initrd);
  spec->initrd = lab_kvm_image_file ("initrd.img");
  g_free (spec->cmdline);
  spec->cmdline = lab_kvm_kernel_cmdline (g_strcmp0 (spec->domain_type, "kvm") != 0);
  g_clear_pointer (&spec->cdrom_path, g_free);
  g_clear_pointer (&spec->graphics, g_free);
  g_clear_pointer (&spec->video_model, g_free);
  spec->usb_tablet = FALSE;
  g_free (spec->serial_log);
  spec->serial_log = lab_kvm_console_log (ctx, node);
  if (describe)
    return TRUE;
  /* the guests' settings follow the nodes' accelerator (lab-kvm-guests.c) */
  lab_kvm_record_tcg (ctx, g_strcmp0 (spec->domain_type, "kvm") != 0);   /* the disk as a person types it: /dev/<vg>/<lv> */
  if (!lab_state_has (ctx->state, k_size))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("Node %s's disk has no image yet (step nodes.disk:%s has not run); run 'labctl up'"),
                   node->name, node->name);
      return FALSE;
    }
  g_free (spec->disk_path);
  spec->disk_path = g_strdup (lab_state_get_string (ctx->state, k_dev));
  spec->disk_offset = (guint64) lab_state_get_int (ctx->state, k_off, 0);
  spec->disk_size = (guint64) lab_state_get_int (ctx->state, k_size, 0);
  return TRUE;
}

void
lab_kvm_add_node_steps (LabPlan *plan, LabContext *ctx)
{
  LabRecipe *r = ctx->recipe;

  lab_plan_add_step (plan, &lab_kvm_image_step, NULL, NULL, NULL, NULL);
  lab_plan_add_step (plan, &lab_kvm_keys_step, NULL, NULL, NULL, NULL);
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *node = g_ptr_array_index (r->nodes, i);
      lab_plan_add_step (plan, &lab_kvm_disk_step, node->name, node->name, node, NULL);
    }
  /* a container's root, made by the host before any node runs */
  for (guint i = 0; i < r->guests->len; i++)
    {
      LabGuest *g = g_ptr_array_index (r->guests, i);
      if (g->container)
        lab_plan_add_step (plan, &lab_kvm_rootfs_step, g->name, g->name, g, NULL);
    }
  lab_vm_set_node_spec_func (plan, ctx, kvm_node_spec);
  lab_vm_add_node_steps (plan, ctx);
}

static void
add_per_node (LabPlan *plan, LabContext *ctx, const LabStepInfo *info)
{
  for (guint i = 0; i < ctx->recipe->nodes->len; i++)
    {
      LabNode *node = g_ptr_array_index (ctx->recipe->nodes, i);
      lab_plan_add_step (plan, info, node->name, node->name, node, NULL);
    }
}

void
lab_kvm_add_install_steps (LabPlan *plan, LabContext *ctx)
{
  add_per_node (plan, ctx, &lab_kvm_install_step);
}

void
lab_kvm_add_configure_steps (LabPlan *plan, LabContext *ctx)
{
  add_per_node (plan, ctx, &lab_kvm_configure_step);
}

/* ---- reaching the nodes ------------------------------------------------ */

static char *
kvm_node_uri (LabContext *ctx, LabNode *node, GError **error)
{
  g_autofree char *key = lab_kvm_lab_key (ctx);
  g_autofree char *known = lab_kvm_known_hosts (ctx);
  g_autofree char *qkey = g_uri_escape_string (key, "/", FALSE);
  g_autofree char *qknown = g_uri_escape_string (known, "/", FALSE);

  /* libssh checks the host key against the pinned file (ssh's transport
   * would use root's own known_hosts) */
  return g_strdup_printf ("qemu+libssh://root@%s/system?keyfile=%s&known_hosts=%s&known_hosts_verify=normal"
                          "&sshauth=privkey", node->address, qkey, qknown);
}

static char *
kvm_node_peer_uri (LabContext *ctx, LabNode *node, GError **error)
{
  /* from a peer node: its root's key, the nodes' ssh_known_hosts */
  return g_strdup_printf ("qemu+ssh://root@%s/system", node->name);
}

static char **
kvm_node_command (LabContext *ctx, LabNode *node, const char *const *argv, GError **error)
{
  return lab_kvm_ssh_argv (ctx, node, argv);
}

static gboolean
kvm_node_ready (LabContext *ctx, LabNode *node, GError **error)
{
  const char *argv[] = { "true", NULL };

  return lab_kvm_node_run (ctx, node, argv, 60000, NULL, error);
}

/* Every node back to the image as installed: powered off (all of them
 * first), the image and its identity written again (sparsely), started,
 * configured. */
static gboolean
kvm_reset (LabContext *ctx, GError **error)
{
  LabRecipe *r = ctx->recipe;
  g_autoptr(LabVirt) virt = lab_virt_connect (lab_virt_default_uri (ctx->libvirt_uri), error);
  gint64 t0 = g_get_monotonic_time ();

  if (virt == NULL)
    return FALSE;
  /* every node off before any disk is written, and at once: the disks
   * are written whole, so nothing on them needs a clean shutdown; and a
   * node still running while another shuts down slowly (pacemaker moving
   * its HA guest away under TCG) sees its peer vanish and has it fenced,
   * and that fence, a reboot by fence_virtd, would start the node again
   * while labctl writes its disk */
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *n = g_ptr_array_index (r->nodes, i);
      lab_kvm_ssh_close (ctx, n);
      if (!lab_virt_domain_stop (virt, n->name, r->name, 0, ctx->cancellable, error))
        return FALSE;
    }
  for (guint i = 0; i < r->nodes->len; i++)
    if (!lab_kvm_disk_write (ctx, g_ptr_array_index (r->nodes, i), error))
      return FALSE;
  /* the containers' roots too, while no node runs */
  if (!lab_kvm_reset_rootfs (ctx, error))
    return FALSE;
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *n = g_ptr_array_index (r->nodes, i);
      if (!lab_virt_domain_start (virt, n->name, r->name, error))
        return FALSE;
    }
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *n = g_ptr_array_index (r->nodes, i);
      if (!lab_kvm_wait_ssh (ctx, n, LAB_KVM_SSH_TIMEOUT_MS, error) || !lab_kvm_configure_node (ctx, n, error))
        return FALSE;
    }
  lab_progress_info (ctx->progress, _("every node back to its installed image in %.0f s"),
                     (g_get_monotonic_time () - t0) / 1e6);
  return lab_kvm_reset_guests (ctx, error);
}

/* The reset rewrites the node disks and configures the nodes again, and
 * boots the guests again at home; the cluster inside the nodes (a
 * [cluster]: the fence key, corosync.conf, pacemaker's CIB with the HA
 * guest) went with the disks. fence_virtd runs on the host: it stays. */
static const char * const kvm_reset_undoes[] = {
  "cluster.fence-key", "cluster.corosync", "cluster.quorum", "cluster.pacemaker", "cluster.online",
  "cluster.configure", "cluster.guest", NULL,
};

/* Without usable KVM the nodes run under TCG: slowly, but the whole path
 * works (the vm flavor warns once; the nodes get TCG's settings), so these
 * failures are shown, not fatal. */
static const char * const kvm_ignored_checks[] = {
  "cpu.virt-flag", "kvm.module", "kvm.device", "kvm.nested", "cpu.ept", "cpu.npt", NULL,
};

const LabFlavor lab_flavor_kvm = {
  .name = "kvm",
  .add_steps = {
    [LAB_PHASE_NETWORK] = lab_vm_add_network_steps,
    [LAB_PHASE_NODES] = lab_kvm_add_node_steps,
    [LAB_PHASE_INSTALL] = lab_kvm_add_install_steps,
    [LAB_PHASE_CONFIGURE] = lab_kvm_add_configure_steps,
    [LAB_PHASE_GUESTS] = lab_kvm_add_guest_steps,
    [LAB_PHASE_CLUSTER] = lab_kvm_add_cluster_steps,
  },
  .node_uri = kvm_node_uri,
  .node_peer_uri = kvm_node_peer_uri,
  .node_command = kvm_node_command,
  .cluster_ops = &lab_kvm_cluster_ops,
  .node_fault = lab_kvm_node_fault,
  .node_ready = kvm_node_ready,
  .guest_spec = lab_kvm_guest_spec,
  .guest_disk_activate = lab_kvm_guest_disk_activate,
  .reset = kvm_reset,
  .reset_undoes = kvm_reset_undoes,
  .ignored_checks = kvm_ignored_checks,
};
