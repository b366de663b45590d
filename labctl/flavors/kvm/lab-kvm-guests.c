/* lab-kvm-guests.c: the recipe's guests (L2) on kvm nodes, through each
 * node's own libvirt (qemu+libssh from the host, qemu+ssh between nodes).
 *
 * A kvm node sees neither the host's files nor the host's view of the LUN,
 * so a guest's domain is what the node sees:
 *   - its kernel and initrd are copies inside every node's root, written
 *     with the node's identity (nodes.disk, so `reset` writes them again):
 *     /var/lib/labctl/guests/<guest>/{kernel,initrd};
 *   - its disk is its LV of the shared VG as the node's LVM shows it,
 *     /dev/<vg>/<lv-prefix><guest>, raw, no host cache, native AIO. The
 *     host created the LV before any node ran (the storage steps) and no
 *     node changes the VG's metadata: the nodes only activate and
 *     deactivate LVs, which is local to each node (device-mapper), so the
 *     metadata has a single writer without lvmlockd. The LV is active on
 *     the node where the guest runs, on both during a live migration;
 *   - its serial console is logged on the node
 *     (/var/log/libvirt/qemu/<guest>-console.log), where a panic shows;
 *   - when the nodes run under TCG (no usable KVM: the host check's
 *     finding, recorded when the nodes were defined), every vCPU and
 *     emulator thread of the guest is pinned to the node's CPU 0 before
 *     it first migrates (live, and so it starts on the destination): live
 *     migration of a TCG guest inside a TCG node corrupts the guest's
 *     kernel often when its threads float between the node's vCPUs (see
 *     HACKING.md, "Guests on kvm nodes"). It boots unpinned: pinned, its
 *     boot took twice as long. On KVM nodes nothing is pinned.
 */
#include "config.h"

#include "lab-kvm.h"
#include "lab-kvm-private.h"

#include "lab-error.h"
#include "lab-flavor.h"
#include "lab-guest.h"
#include "lab-i18n.h"
#include "lab-util.h"

#define LV_COMMAND_TIMEOUT_MS (2 * 60 * 1000)

char *
lab_kvm_guest_file (LabGuest *guest, const char *name)
{
  return g_strdup_printf ("/var/lib/labctl/guests/%s/%s", guest->name, name);
}

char *
lab_kvm_guest_disk (LabRecipe *r, LabGuest *guest)
{
  if (guest->disk_bytes == 0)
    return NULL;
  return g_strdup_printf ("/dev/%s/%s%s", r->vg_name, r->lv_prefix, guest->name);
}

char *
lab_kvm_guest_volume (LabRecipe *r, LabGuest *guest)
{
  if (guest->disk_bytes == 0)
    return NULL;
  return g_strdup_printf ("%s/%s%s", r->vg_name, r->lv_prefix, guest->name);
}

void
lab_kvm_record_tcg (LabContext *ctx, gboolean tcg)
{
  lab_state_set_int (ctx->state, LAB_KVM_K_TCG, tcg ? 1 : 0);
}

gboolean
lab_kvm_nodes_tcg (LabContext *ctx)
{
  return lab_state_get_int (ctx->state, LAB_KVM_K_TCG, 0) == 1;
}

char *
lab_kvm_container_root (LabGuest *guest)
{
  return lab_kvm_guest_file (guest, "root");
}

void
lab_kvm_guest_spec_apply (LabRecipe *r, LabGuest *guest, gboolean tcg, LabVirtGuestSpec *spec)
{
  if (guest->container)
    {
      /* its LV, mounted where it runs, is its root; libvirt gives its eth0
       * the guest's address (no kernel command line in a container) */
      g_clear_pointer (&spec->kernel, g_free);
      g_clear_pointer (&spec->initrd, g_free);
      g_clear_pointer (&spec->iscsi_iqn, g_free);
      g_clear_pointer (&spec->iscsi_host, g_free);
      g_free (spec->root_dir);
      spec->root_dir = lab_kvm_container_root (guest);
      g_free (spec->init);
      spec->init = g_strdup ("/init");
      g_free (spec->ip_address);
      spec->ip_address = g_strdup (guest->address);
      spec->ip_prefix = r->subnet_prefix;
      return;
    }
  g_free (spec->kernel);
  spec->kernel = guest->kernel != NULL ? lab_kvm_guest_file (guest, "kernel") : NULL;
  g_free (spec->initrd);
  spec->initrd = guest->initrd != NULL ? lab_kvm_guest_file (guest, "initrd") : NULL;
  /* the LV as the node's LVM shows it, not QEMU's initiator on the LUN */
  g_clear_pointer (&spec->iscsi_iqn, g_free);
  g_clear_pointer (&spec->iscsi_host, g_free);
  spec->slice_offset = spec->slice_size = 0;
  g_free (spec->disk_block);
  spec->disk_block = lab_kvm_guest_disk (r, guest);
  g_free (spec->console_log);
  spec->console_log = g_strdup_printf ("/var/log/libvirt/qemu/%s-console.log", guest->name);
  /* booted unpinned (twice as fast: its QEMU main loop and its vCPU on
   * two node CPUs), pinned when it first migrates */
  g_clear_pointer (&spec->pin_cpuset, g_free);
  g_free (spec->migrate_pin_cpuset);
  spec->migrate_pin_cpuset = tcg ? g_strdup ("0") : NULL;
  /* on TCG nodes (the host check found no usable KVM) it migrates paused:
   * live migration of a TCG guest inside a TCG node loses some of the
   * guest's last writes (HACKING.md, "Migration under nested TCG") */
  spec->migrate_paused = tcg;
}

void
lab_kvm_guest_spec (LabContext *ctx, LabGuest *guest, LabVirtGuestSpec *spec)
{
  lab_kvm_guest_spec_apply (ctx->recipe, guest, lab_kvm_nodes_tcg (ctx), spec);
}

gboolean
lab_kvm_guest_disk_activate (LabContext *ctx, LabGuest *guest, const char *node, gboolean active,
                             GError **error)
{
  LabRecipe *r = ctx->recipe;
  LabNode *n = lab_recipe_find_node (r, node);
  g_autofree char *vglv = NULL;
  g_autoptr(GError) local = NULL;

  if (guest->disk_bytes == 0)
    return TRUE;
  if (n == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, _("Lab %s has no node '%s'"), r->name, node);
      return FALSE;
    }
  vglv = lab_kvm_guest_volume (r, guest);
  if (guest->container)
    {
      /* a container's root: mounted on one node at a time (ext4 is no
       * cluster file system), so released before it is taken elsewhere */
      g_autofree char *root = lab_kvm_container_root (guest);
      g_autofree char *script = active
        ? g_strdup_printf ("set -e; lvchange -ay %s; mkdir -p %s; mountpoint -q %s || mount /dev/%s %s",
                           vglv, root, root, vglv, root)
        : g_strdup_printf ("set -e; if mountpoint -q %s; then umount %s; fi; lvchange -an %s", root, root, vglv);
      const char *argv[] = { "sh", "-c", script, NULL };
      if (lab_kvm_node_run (ctx, n, argv, LV_COMMAND_TIMEOUT_MS, NULL, &local))
        return TRUE;
    }
  else
    {
      const char *argv[] = { "lvchange", active ? "-ay" : "-an", vglv, NULL };
      if (lab_kvm_node_run (ctx, n, argv, LV_COMMAND_TIMEOUT_MS, NULL, &local))
        return TRUE;
    }
  g_set_error (error, local->domain, local->code,
               active ? _("Cannot activate guest %s's disk (LV %s) on node %s: %s")
                      : _("Cannot deactivate guest %s's disk (LV %s) on node %s: %s"),
               guest->name, vglv, node, local->message);
  return FALSE;
}

/* ---- a container's root: made by the host on its LV ------------------- */

gboolean
lab_kvm_container_rootfs_write (LabContext *ctx, LabGuest *guest, GError **error)
{
  const char *dev = lab_state_get_string (ctx->state, "storage.pv.device");
  g_autofree char *lv = g_strconcat (ctx->recipe->lv_prefix, guest->name, NULL);
  g_autofree char *state = lab_context_get_state_dir (ctx);
  /* a directory of its own, removed afterwards (`down` removes only the
   * state dir's known subdirectories) */
  g_autofree char *name = g_strdup_printf ("rootfs-%s.tmp", guest->name);
  g_autofree char *dir = g_build_filename (state, name, NULL);
  g_autofree char *offset_opt = NULL;
  g_autofree char *blocks = NULL;
  g_autofree char *key = g_strdup_printf (LAB_KVM_K_ROOTFS, guest->name);
  guint64 offset = 0, size = 0;
  gboolean ok;

  if (dev == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("The lab's PV is not recorded: the storage steps have not run; run 'labctl up'"));
      return FALSE;
    }
  if (!lab_guest_lv_slice (ctx, lv, &offset, &size, error))
    return FALSE;
  {
    const char *rm[] = { "rm", "-rf", dir, NULL };
    const char *mk[] = { "mkdir", "-p", dir, NULL };
    if (!lab_runner_run (ctx->runner, rm, 0, NULL, error) || !lab_runner_run (ctx->runner, mk, 0, NULL, error))
      return FALSE;
  }
  offset_opt = g_strdup_printf ("offset=%" G_GUINT64_FORMAT ",nodiscard", offset);
  blocks = g_strdup_printf ("%" G_GUINT64_FORMAT, size / 4096);
  {
    /* the initrd's files are the container's root */
    const char *unpack[] = { "sh", "-c", "gzip -dc \"$1\" | (cd \"$2\" && cpio -idm --quiet)", "sh", guest->initrd,
                             dir, NULL };
    const char *mkfs[] = { "mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", "-d", dir, "-E", offset_opt, dev,
                           blocks, NULL };
    ok = lab_runner_run (ctx->runner, unpack, 0, NULL, error) && lab_runner_run (ctx->runner, mkfs, 0, NULL, error);
  }
  {
    const char *rm[] = { "rm", "-rf", dir, NULL };
    lab_runner_run (ctx->runner, rm, 0, NULL, NULL);
  }
  if (!ok)
    return FALSE;
  lab_state_set_int (ctx->state, key, 1);
  lab_progress_info (ctx->progress, _("container %s: its root made on LV %s/%s from %s"), guest->name,
                     ctx->recipe->vg_name, lv, guest->initrd);
  return TRUE;
}

static gboolean
rootfs_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  LabGuest *g = data;
  g_autofree char *key = g_strdup_printf (LAB_KVM_K_ROOTFS, g->name);

  *done = lab_state_has (ctx->state, key);
  return TRUE;
}

static gboolean
rootfs_apply (LabContext *ctx, gpointer data, GError **error)
{
  return lab_kvm_container_rootfs_write (ctx, data, error);
}

static gboolean
rootfs_undo (LabContext *ctx, gpointer data, GError **error)
{
  LabGuest *g = data;
  g_autofree char *key = g_strdup_printf (LAB_KVM_K_ROOTFS, g->name);

  /* the data goes with the LV (storage.lv) */
  lab_state_remove (ctx->state, key);
  return TRUE;
}

static char **
rootfs_describe (LabContext *ctx, gpointer data, gboolean down)
{
  LabGuest *g = data;
  LabRecipe *r = ctx->recipe;
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

  if (down)
    return lab_lines_steal (g_steal_pointer (&lines));
  g_ptr_array_add (lines, g_strdup_printf ("mkdir root && gzip -dc %s | (cd root && cpio -idm --quiet)", g->initrd));
  g_ptr_array_add (lines, g_strdup_printf ("mke2fs -q -F -t ext4 -b 4096 -d root /dev/%s/%s%s", r->vg_name,
                                           r->lv_prefix, g->name));
  return lab_lines_steal (g_steal_pointer (&lines));
}

const LabStepInfo lab_kvm_rootfs_step = {
  "guests.rootfs", N_("Make container %s's root on its LV"), TRUE,
  rootfs_check, rootfs_apply, rootfs_undo, rootfs_describe,
};

/* ---- steps -------------------------------------------------------------- */

void
lab_kvm_add_guest_steps (LabPlan *plan, LabContext *ctx)
{
  /* no clean image: `reset` rewrites the nodes' disks and boots the guest
   * again, which is its clean state (its root is its initramfs); no LUN
   * slices: a node sees a guest's LV through its own LVM */
  lab_guest_add_steps_full (plan, ctx, FALSE, FALSE);
  /* with a [cluster], each VM guest then becomes a cluster resource with
   * its disk (a container guest stays where labctl started it: its root
   * is a mounted ext4 on its LV, which needs a Filesystem resource and
   * libvirt's LXC driver under VirtualDomain, not built) */
  for (guint i = 0; ctx->recipe->cluster && i < ctx->recipe->guests->len; i++)
    {
      LabGuest *g = g_ptr_array_index (ctx->recipe->guests, i);

      if (!g->container)
        lab_cluster_add_guest_step (plan, ctx, &lab_kvm_cluster_ops, g);
    }
}

/* `reset` of the guests, after the nodes: each recreated on its home node
 * and booted. */
gboolean
lab_kvm_reset_guests (LabContext *ctx, GError **error)
{
  LabRecipe *r = ctx->recipe;

  for (guint i = 0; i < r->guests->len; i++)
    if (!lab_guest_reset (ctx, g_ptr_array_index (r->guests, i), error))
      return FALSE;
  return TRUE;
}

gboolean
lab_kvm_reset_rootfs (LabContext *ctx, GError **error)
{
  LabRecipe *r = ctx->recipe;

  for (guint i = 0; i < r->guests->len; i++)
    {
      LabGuest *g = g_ptr_array_index (r->guests, i);
      if (g->container && !lab_kvm_container_rootfs_write (ctx, g, error))
        return FALSE;
    }
  return TRUE;
}
