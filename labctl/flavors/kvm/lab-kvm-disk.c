/* lab-kvm-disk.c: step nodes.disk:<node>: the node image written into the
 * node's LV, then the node's identity into that copy.
 *
 * The LV is addressed as its extents on the attached LUN (the PV's device,
 * offset = pe_start + first extent), so the same code runs on a host
 * without device-mapper. The image goes there with `qemu-img convert -n
 * --target-is-zero`: only the image's data is written, its holes stay holes
 * of the sparse backing file (~1.3 GB of a 4 GiB image). The identity is
 * written without mounting: debugfs -D -w on "DEVICE?offset=N" (e2fsprogs'
 * I/O option; -D, direct I/O: the host's page cache of the LUN is stale
 * once a node has written its disk through its own session, as before a
 * reset), one script of rm/write/set_inode_field per file, then read
 * back. Private keys go through a 0700 directory in the state dir that is
 * removed at once.
 * State: kvm.node.<node>.disk_device, .disk_offset, .disk_size. */
#include "config.h"

#include "lab-kvm.h"
#include "lab-kvm-private.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "lab-error.h"
#include "lab-guest.h"
#include "lab-i18n.h"
#include "lab-util.h"

#define CONVERT_TIMEOUT_MS (20 * 60 * 1000)

/* ---- identity --------------------------------------------------------- */

char *
lab_kvm_machine_id (LabRecipe *r, const LabNode *node)
{
  g_autofree char *seed = g_strdup_printf ("labctl-node/%s/%s", r->name, node->name);

  return g_compute_checksum_for_string (G_CHECKSUM_MD5, seed, -1);
}

char *
lab_kvm_initiator_name (LabRecipe *r, const LabNode *node)
{
  /* the recipe names it (the target's ACL lists the same name) */
  return g_strdup (node->initiator);
}

char *
lab_kvm_hosts_file (LabRecipe *r)
{
  GString *s = g_string_new ("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");

  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *n = g_ptr_array_index (r->nodes, i);
      g_string_append_printf (s, "%s\t%s\n", n->address, n->name);
    }
  return g_string_free (s, FALSE);
}

static char *
with_newline (const char *text)
{
  return g_str_has_suffix (text, "\n") ? g_strdup (text) : g_strconcat (text, "\n", NULL);
}

GPtrArray *
lab_kvm_identity_files (LabRecipe *r, const LabNode *node, const LabKvmKeys *k)
{
  GPtrArray *f = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_kvm_file_free);
  g_autofree char *id = lab_kvm_machine_id (r, node);
  g_autofree char *iqn = lab_kvm_initiator_name (r, node);

  lab_kvm_files_add (f, "/etc/hostname", 0644, g_strdup_printf ("%s\n", node->name));
  lab_kvm_files_add (f, "/etc/machine-id", 0444, g_strdup_printf ("%s\n", id));
  lab_kvm_files_add (f, "/etc/hosts", 0644, lab_kvm_hosts_file (r));
  /* the address the lab network reserves for the node, static: the node
   * needs no DHCP to come up */
  lab_kvm_files_add (f, "/etc/systemd/network/20-br0.network", 0644,
                     g_strdup_printf ("[Match]\nName=br0\n\n[Network]\nAddress=%s/%u\nGateway=%s\nDNS=%s\n",
                                      node->address, r->subnet_prefix, r->gateway, r->gateway));
  lab_kvm_files_add (f, "/etc/iscsi/initiatorname.iscsi", 0600, g_strdup_printf ("InitiatorName=%s\n", iqn));
  lab_kvm_files_add (f, "/etc/ssh/ssh_host_ed25519_key", 0600, with_newline (k->host_key));
  lab_kvm_files_add (f, "/etc/ssh/ssh_host_ed25519_key.pub", 0644, with_newline (k->host_pubkey));
  lab_kvm_files_add (f, "/etc/ssh/ssh_known_hosts", 0644, with_newline (k->known_hosts));
  lab_kvm_files_add (f, "/root/.ssh/authorized_keys", 0600,
                     g_strdup_printf ("%s\n%s\n", k->lab_pubkey, k->peer_pubkey));
  lab_kvm_files_add (f, "/root/.ssh/id_ed25519", 0600, with_newline (k->peer_key));
  lab_kvm_files_add (f, "/root/.ssh/id_ed25519.pub", 0644, with_newline (k->peer_pubkey));
  return f;
}

char *
lab_kvm_debugfs_script (GPtrArray *files, const char *local_dir)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < files->len; i++)
    {
      LabKvmFile *f = g_ptr_array_index (files, i);
      /* rm of a file that is not there only complains */
      g_string_append_printf (s, "rm %s\n", f->path);
      g_string_append_printf (s, "write %s/%u %s\n", local_dir, i, f->path);
      g_string_append_printf (s, "set_inode_field %s mode 0100%o\n", f->path, f->mode);
      g_string_append_printf (s, "set_inode_field %s uid 0\n", f->path);
      g_string_append_printf (s, "set_inode_field %s gid 0\n", f->path);
    }
  return g_string_free (s, FALSE);
}

/* The guests' kernels and initrds (host files) into every node's root,
 * /var/lib/labctl/guests/<g>/{kernel,initrd}: the node's libvirt boots
 * them (lab-kvm-guests.c). mkdir of a directory that exists complains
 * only. */
char *
lab_kvm_guest_files_script (LabRecipe *r)
{
  GString *s = g_string_new (NULL);

  if (r->guests->len > 0)
    g_string_append (s, "mkdir /var/lib/labctl\nmkdir /var/lib/labctl/guests\n");
  for (guint i = 0; i < r->guests->len; i++)
    {
      LabGuest *g = g_ptr_array_index (r->guests, i);
      const char *src[] = { g->kernel, g->initrd };
      const char *name[] = { "kernel", "initrd" };

      g_string_append_printf (s, "mkdir /var/lib/labctl/guests/%s\n", g->name);
      for (guint j = 0; j < G_N_ELEMENTS (src); j++)
        {
          g_autofree char *path = NULL;

          if (src[j] == NULL)
            continue;
          path = lab_kvm_guest_file (g, name[j]);
          g_string_append_printf (s, "rm %s\nwrite \"%s\" %s\n", path, src[j], path);
          g_string_append_printf (s, "set_inode_field %s mode 0100644\n", path);
          g_string_append_printf (s, "set_inode_field %s uid 0\nset_inode_field %s gid 0\n", path, path);
        }
    }
  return g_string_free (s, FALSE);
}

/* ---- the work --------------------------------------------------------- */

static char *
state_key (const char *format, const LabNode *node)
{
  return g_strdup_printf (format, node->name);
}

/* "DEVICE?offset=N": e2fsprogs opens the file system there. */
static char *
fs_at (const char *dev, guint64 offset)
{
  return g_strdup_printf ("%s?offset=%" G_GUINT64_FORMAT, dev, offset);
}

static void
remove_dir_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (dir);
}

static gboolean
write_identity (LabContext *ctx, const LabNode *node, const char *dev, guint64 offset, GError **error)
{
  g_autofree char *state = lab_context_get_state_dir (ctx);
  g_autofree char *dir = g_build_filename (state, "nodes", node->name, "identity", NULL);
  g_autofree char *script_path = g_build_filename (state, "nodes", node->name, "identity.debugfs", NULL);
  g_autofree char *target = fs_at (dev, offset);
  g_autofree char *script = NULL;
  g_autofree char *out = NULL;
  g_autoptr(GPtrArray) files = NULL;
  LabKvmKeys keys;
  gboolean ok = FALSE;

  if (!lab_kvm_keys_load (ctx, node, &keys, error))
    return FALSE;
  files = lab_kvm_identity_files (ctx->recipe, node, &keys);
  lab_kvm_keys_clear (&keys);
  if (g_mkdir_with_parents (dir, 0700) != 0 || g_chmod (dir, 0700) != 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot create %s: %s"), dir, g_strerror (errno));
      return FALSE;
    }
  for (guint i = 0; i < files->len; i++)
    {
      LabKvmFile *f = g_ptr_array_index (files, i);
      g_autofree char *name = g_strdup_printf ("%u", i);
      g_autofree char *p = g_build_filename (dir, name, NULL);
      if (!g_file_set_contents_full (p, f->content, -1, G_FILE_SET_CONTENTS_NONE, 0600, error))
        goto out;
    }
  script = lab_kvm_debugfs_script (files, dir);
  {
    g_autofree char *guests = lab_kvm_guest_files_script (ctx->recipe);
    char *both = g_strconcat (script, guests, NULL);
    g_free (script);
    script = both;
  }
  if (!g_file_set_contents_full (script_path, script, -1, G_FILE_SET_CONTENTS_NONE, 0600, error))
    goto out;
  {
    /* -D: direct I/O, past the host's cache of the LUN, which is stale
     * once the node has written its disk through its own iSCSI session */
    const char *argv[] = { "debugfs", "-D", "-w", "-f", script_path, target, NULL };
    if (!lab_runner_run (ctx->runner, argv, LAB_RUN_QUIET_OUTPUT, NULL, error))
      goto out;
  }
  {
    /* debugfs exits 0 whatever its commands did: read one file back */
    const char *argv[] = { "debugfs", "-D", "-R", "cat /etc/hostname", target, NULL };
    g_autofree char *err = NULL;
    if (!lab_runner_run_full (ctx->runner, argv, 0, NULL, 0, NULL, &out, &err, ctx->cancellable, error))
      goto out;
    if (!lab_runner_is_dry_run (ctx->runner) && g_strcmp0 (g_strstrip (out), node->name) != 0)
      {
        g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                     _("Writing node %s's identity into its disk failed: /etc/hostname reads '%s' after debugfs, "
                       "which said: %s (see %s)"), node->name, out, err != NULL ? g_strstrip (err) : "",
                     lab_runner_get_log_path (ctx->runner));
        goto out;
      }
  }
  ok = TRUE;

out:
  remove_dir_files (dir);
  g_unlink (script_path);
  return ok;
}

gboolean
lab_kvm_disk_write (LabContext *ctx, const LabNode *node, GError **error)
{
  LabRecipe *r = ctx->recipe;
  const char *dev = lab_state_get_string (ctx->state, "storage.pv.device");
  g_autofree char *img = lab_kvm_image_file ("root.img");
  g_autofree char *k_dev = state_key (LAB_KVM_K_DISK_DEVICE, node);
  g_autofree char *k_off = state_key (LAB_KVM_K_DISK_OFFSET, node);
  g_autofree char *k_size = state_key (LAB_KVM_K_DISK_SIZE, node);
  g_autofree char *state = lab_context_get_state_dir (ctx);
  g_autofree char *node_dir = g_build_filename (state, "nodes", node->name, NULL);
  g_autofree char *opts = NULL;
  guint64 offset = 0, size = 0;
  gint64 t0 = g_get_monotonic_time ();

  if (dev == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("The lab's PV is not recorded: the storage steps have not run; run 'labctl up'"));
      return FALSE;
    }
  if (!lab_guest_lv_slice (ctx, node->lv_name, &offset, &size, error))
    return FALSE;
  if (size < LAB_KVM_IMAGE_BYTES)
    {
      g_autofree char *have = lab_format_size (size);
      g_autofree char *need = lab_format_size (LAB_KVM_IMAGE_BYTES);
      g_set_error (error, LAB_ERROR, LAB_ERROR_RECIPE,
                   _("Node %s's disk (LV %s) is %s, the node image needs %s; raise [nodes] disk in the recipe"),
                   node->name, node->lv_name, have, need);
      return FALSE;
    }
  if (g_mkdir_with_parents (node_dir, 0755) != 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot create %s: %s"), node_dir, g_strerror (errno));
      return FALSE;
    }
  /* the LV's place first: a half-written disk is still found by undo */
  lab_state_set_string (ctx->state, k_dev, dev);
  lab_state_set_int (ctx->state, k_off, (gint64) offset);
  opts = g_strdup_printf ("driver=raw,offset=%" G_GUINT64_FORMAT ",size=%" G_GUINT64_FORMAT
                          ",file.driver=host_device,file.filename=%s",
                          offset, size, dev);
  {
    /* the LV of a new lab reads zeros (a new sparse backing file); a
     * rewritten one (reset) keeps old blocks where the image has none,
     * which ext4 never reads: free blocks, and inode tables and journal
     * blocks beyond what it initialised, are checksummed (metadata_csum) */
    const char *argv[] = { "qemu-img", "convert", "-n", "--target-is-zero", "-t", "none", "-f", "raw", img,
                           "--target-image-opts", opts, NULL };
    if (!lab_runner_run_full (ctx->runner, argv, 0, NULL, CONVERT_TIMEOUT_MS, NULL, NULL, NULL, ctx->cancellable,
                              error))
      return FALSE;
  }
  if (!write_identity (ctx, node, dev, offset, error))
    return FALSE;
  lab_state_set_int (ctx->state, k_size, (gint64) size);
  lab_progress_info (ctx->progress, _("node %s: image and identity written into LV %s/%s in %.1f s"), node->name,
                     r->vg_name, node->lv_name, (g_get_monotonic_time () - t0) / 1e6);
  return TRUE;
}

/* ---- the step ---------------------------------------------------------- */

static gboolean
disk_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  LabNode *node = data;
  g_autofree char *k_size = state_key (LAB_KVM_K_DISK_SIZE, node);

  *done = lab_state_has (ctx->state, k_size);
  return TRUE;
}

static gboolean
disk_apply (LabContext *ctx, gpointer data, GError **error)
{
  return lab_kvm_disk_write (ctx, data, error);
}

static gboolean
disk_undo (LabContext *ctx, gpointer data, GError **error)
{
  LabNode *node = data;
  g_autofree char *prefix = g_strdup_printf ("kvm.node.%s.disk_", node->name);
  g_autofree char *log = lab_kvm_console_log (ctx, node);
  g_autofree char *node_dir = g_path_get_dirname (log);
  g_autofree char *nodes_dir = g_path_get_dirname (node_dir);

  /* the data goes with the LV (storage.lv); the directory this step made
   * goes here, with the serial log libvirt wrote into it (the node's
   * domain is gone by now: nodes.define is undone first), and
   * <state dir>/nodes when this was its last node; `down` leaves nothing
   * in the state dir that it does not know */
  g_unlink (log);
  g_rmdir (node_dir);
  g_rmdir (nodes_dir);
  lab_state_remove_prefix (ctx->state, prefix);
  return TRUE;
}

static char **
disk_describe (LabContext *ctx, gpointer data, gboolean down)
{
  LabNode *node = data;
  LabRecipe *r = ctx->recipe;
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *img = lab_kvm_image_file ("root.img");
  g_autofree char *lv = g_build_filename ("/dev", r->vg_name, node->lv_name, NULL);
  g_autofree char *iqn = lab_kvm_initiator_name (r, node);
  g_autofree char *script = g_strdup_printf ("%s-identity.debugfs", node->name);

  if (down)
    return lab_lines_steal (g_steal_pointer (&lines));
  g_ptr_array_add (lines, g_strdup ("# labctl writes to the LV's extents on the LUN device (pe_start + first "
                                    "extent, from pvs/lvs): the same bytes as the LV, with or without "
                                    "device-mapper"));
  lab_lines_add_cmd (lines, "qemu-img", "convert", "-n", "--target-is-zero", "-t", "none", "-f", "raw", "-O", "raw",
                     img, lv, NULL);
  g_ptr_array_add (lines, g_strdup_printf ("# %s: rm, write, set_inode_field for /etc/hostname (%s), "
                                           "/etc/machine-id, /etc/hosts (every node), "
                                           "/etc/systemd/network/20-br0.network (%s/%u), "
                                           "/etc/iscsi/initiatorname.iscsi (%s), the node's SSH host key, "
                                           "/etc/ssh/ssh_known_hosts, /root/.ssh (labctl's and the nodes' keys)",
                                           script, node->name, node->address, r->subnet_prefix, iqn));
  if (r->guests->len > 0)
    g_ptr_array_add (lines, g_strdup_printf ("# %s also writes each guest's kernel and initrd to "
                                             "/var/lib/labctl/guests/<guest>/kernel, initrd (the node's libvirt "
                                             "boots them)", script));
  lab_lines_add_cmd (lines, "debugfs", "-D", "-w", "-f", script, lv, NULL);
  return lab_lines_steal (g_steal_pointer (&lines));
}

const LabStepInfo lab_kvm_disk_step = {
  "nodes.disk", N_("Write the node image and identity into node %s's disk"), TRUE,
  disk_check, disk_apply, disk_undo, disk_describe,
};
