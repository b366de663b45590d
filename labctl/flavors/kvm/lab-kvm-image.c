/* lab-kvm-image.c: step nodes.image: the node image of the kvm flavor,
 * built once per machine and cached by content. mmdebstrap installs
 * Debian 12 with the hypervisor, storage and cluster packages into a
 * directory; labctl writes its settings into it (the files of
 * lab_kvm_image_files(), unit-tested); mke2fs -d turns the directory into
 * an ext4 image without mounting anything; the kernel and initrd are copied
 * beside it for the direct kernel boot. The entry
 * <cache>/node-images/kvm-<key> appears by a rename when complete, so a
 * failed or interrupted build leaves nothing that looks usable.
 * State: kvm.image.dir. */
#include "config.h"

#include "lab-kvm.h"
#include "lab-kvm-private.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-util.h"

#define K_IMAGE_DIR "kvm.image.dir"
#define MMDEBSTRAP_TIMEOUT_MS (40 * 60 * 1000)

/* One image serves the kvm nodes and the HA exercises (pacemaker,
 * corosync, fencing), so a lab never needs a second build. */
static const char * const packages[] = {
  "linux-image-amd64", "systemd-sysv", "udev", "dbus", "libpam-systemd", "kmod", "procps",
  "iproute2", "iputils-ping", "openssh-server",
  "qemu-system-x86", "qemu-utils", "qemu-block-extra",
  "libvirt-daemon-system", "libvirt-clients", "libvirt-daemon-driver-lxc",
  "open-iscsi", "lvm2",
  "corosync", "pacemaker", "pacemaker-cli-utils", "crmsh", "resource-agents", "fence-agents", "fence-virt",
  NULL
};

/* What mmdebstrap runs in the finished root (its --customize-hook): the
 * network by systemd-networkd; the cluster stays off until configured;
 * no timers that wake a slow TCG node for nothing. */
static const char * const hooks[] = {
  "chroot \"$1\" systemctl enable systemd-networkd.service",
  "chroot \"$1\" systemctl mask systemd-networkd-wait-online.service apt-daily.timer "
  "apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer man-db.timer",
  "chroot \"$1\" systemctl disable corosync.service pacemaker.service",
  NULL
};

static const char *const excluded_paths[] = {
  "/usr/share/doc/*", "/usr/share/man/*", "/usr/share/info/*", "/usr/share/locale/*",
  NULL
};

const char * const *
lab_kvm_image_packages (void)
{
  return packages;
}

void
lab_kvm_file_free (LabKvmFile *f)
{
  if (f == NULL)
    return;
  g_free (f->path);
  g_free (f->content);
  g_free (f);
}

void
lab_kvm_files_add (GPtrArray *files, const char *path, guint mode, char *content)
{
  LabKvmFile *f = g_new0 (LabKvmFile, 1);

  f->path = g_strdup (path);
  f->mode = mode;
  f->content = content;
  g_ptr_array_add (files, f);
}

GPtrArray *
lab_kvm_image_files (void)
{
  GPtrArray *f = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_kvm_file_free);

  /* the root is the whole disk (no partition table: nothing for any LVM
   * to scan), booted by the host's QEMU with the image's kernel */
  lab_kvm_files_add (f, "/etc/fstab", 0644, g_strdup ("/dev/vda / ext4 errors=remount-ro 0 1\n"));
  /* a bridge br0 with eth0 in it: the node's address is on br0 (its own
   * file, per node), the guests' NICs join it */
  lab_kvm_files_add (f, "/etc/systemd/network/10-br0.netdev", 0644,
                     g_strdup ("[NetDev]\nName=br0\nKind=bridge\n"));
  lab_kvm_files_add (f, "/etc/systemd/network/11-eth0.network", 0644,
                     g_strdup ("[Match]\nName=eth0\n\n[Network]\nBridge=br0\n"));
  /* only the host key labctl generated and pinned; keys only */
  lab_kvm_files_add (f, "/etc/ssh/sshd_config.d/labctl.conf", 0644,
                     g_strdup ("HostKey /etc/ssh/ssh_host_ed25519_key\n"
                               "PermitRootLogin prohibit-password\n"
                               "PasswordAuthentication no\n"
                               "UseDNS no\n"));
  /* libvirt: distinct host UUIDs (migration refuses equal ones), no
   * default network (the lab network is the host's), no AppArmor */
  lab_kvm_files_add (f, "/etc/libvirt/libvirtd.conf", 0644, g_strdup ("host_uuid_source = \"machine-id\"\n"));
  lab_kvm_files_add (f, "/etc/libvirt/qemu.conf", 0644, g_strdup ("security_driver = \"none\"\n"));
  /* LVM sees only the lab's LUN (never a guest's disk, never this node's
   * own root), and activates nothing by itself: a guest's LV is active on
   * one node at a time, by labctl */
  lab_kvm_files_add (f, "/etc/lvm/lvm.conf", 0644,
                     g_strdup ("devices {\n"
                               "    global_filter = [ \"a|^/dev/disk/by-path/ip-.*-iscsi-.*-lun-.*|\", \"r|.*|\" ]\n"
                               "}\n"
                               "activation {\n"
                               "    auto_activation_volume_list = [ ]\n"
                               "}\n"));
  /* the node ssh's its peers (migration) with the key in /root/.ssh */
  lab_kvm_files_add (f, "/etc/ssh/ssh_config.d/labctl.conf", 0644,
                     g_strdup ("StrictHostKeyChecking yes\nBatchMode yes\n"));
  return f;
}

char *
lab_kvm_image_key (void)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr(GPtrArray) files = lab_kvm_image_files ();
  g_autofree char *head = g_strdup_printf ("labctl-kvm-image %d\n%s\n%" G_GUINT64_FORMAT "\n",
                                           LAB_KVM_IMAGE_FORMAT, LAB_KVM_IMAGE_SUITE, LAB_KVM_IMAGE_BYTES);

  g_checksum_update (sum, (const guchar *) head, -1);
  for (guint i = 0; packages[i] != NULL; i++)
    {
      g_checksum_update (sum, (const guchar *) packages[i], -1);
      g_checksum_update (sum, (const guchar *) "\n", 1);
    }
  for (guint i = 0; hooks[i] != NULL; i++)
    g_checksum_update (sum, (const guchar *) hooks[i], -1);
  for (guint i = 0; i < files->len; i++)
    {
      LabKvmFile *f = g_ptr_array_index (files, i);
      g_autofree char *mode = g_strdup_printf ("%s %o\n", f->path, f->mode);
      g_checksum_update (sum, (const guchar *) mode, -1);
      g_checksum_update (sum, (const guchar *) f->content, -1);
    }
  return g_strndup (g_checksum_get_string (sum), 16);
}

char *
lab_kvm_image_dir (void)
{
  g_autofree char *cache = lab_cache_dir ();
  g_autofree char *key = lab_kvm_image_key ();
  g_autofree char *name = g_strconcat ("kvm-", key, NULL);

  return g_build_filename (cache, "node-images", name, NULL);
}

char *
lab_kvm_image_file (const char *name)
{
  g_autofree char *dir = lab_kvm_image_dir ();

  return g_build_filename (dir, name, NULL);
}

const char *
lab_kvm_mirror (void)
{
  const char *env = g_getenv ("LABCTL_DEBIAN_MIRROR");

  return env != NULL && *env != '\0' ? env : LAB_KVM_DEFAULT_MIRROR;
}

char *
lab_kvm_deb_cache_dir (void)
{
  g_autofree char *cache = lab_cache_dir ();

  return g_build_filename (cache, "debs", LAB_KVM_IMAGE_SUITE, NULL);
}

char **
lab_kvm_mmdebstrap_argv (const char *dir, const char *debs)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *include = g_strjoinv (",", (char **) packages);

  lab_strv_add (argv, "mmdebstrap", "--variant=apt", "--format=directory", NULL);
  g_ptr_array_add (argv, g_strconcat ("--include=", include, NULL));
  for (guint i = 0; excluded_paths[i] != NULL; i++)
    g_ptr_array_add (argv, g_strconcat ("--dpkgopt=path-exclude=", excluded_paths[i], NULL));
  for (guint i = 0; hooks[i] != NULL; i++)
    g_ptr_array_add (argv, g_strconcat ("--customize-hook=", hooks[i], NULL));
  if (debs != NULL)
    {
      /* the packages of the last build: a new image (another format)
       * downloads only what changed */
      lab_strv_add (argv, "--skip=download/empty", "--setup-hook=mkdir -p \"$1/var/cache/apt/archives/partial\"",
                    NULL);
      g_ptr_array_add (argv, g_strdup_printf ("--setup-hook=sync-in %s /var/cache/apt/archives", debs));
      g_ptr_array_add (argv, g_strdup_printf ("--customize-hook=sync-out /var/cache/apt/archives %s", debs));
    }
  lab_strv_add (argv, LAB_KVM_IMAGE_SUITE, dir, lab_kvm_mirror (), NULL);
  return lab_lines_steal (g_steal_pointer (&argv));
}

char *
lab_kvm_kernel_cmdline (gboolean tcg)
{
  /* eth0 by name (the image's network files); no AppArmor (the nodes'
   * libvirt runs without a security driver); the console on the serial
   * port, which libvirt logs to the node's console.log. Under TCG (no
   * usable KVM, the host check's finding) a node boots 10-50 times slower,
   * slower still on a loaded host: systemd's start and device timeouts
   * (90 s) and the services' watchdogs (3 min) would fail journald, udev
   * and networkd, so they are lifted there. */
  return g_strdup_printf ("root=/dev/vda rw console=ttyS0 net.ifnames=0 apparmor=0 quiet%s",
                          tcg ? " systemd.service_watchdogs=0 systemd.default_timeout_start_sec=900"
                                " systemd.default_device_timeout_sec=900"
                              : "");
}

/* ---- the build ---------------------------------------------------------- */

static gboolean
image_complete (const char *dir)
{
  static const char *const names[] = { "root.img", "vmlinuz", "initrd.img", NULL };

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *p = g_build_filename (dir, names[i], NULL);
      if (!g_file_test (p, G_FILE_TEST_IS_REGULAR))
        return FALSE;
    }
  return TRUE;
}

static gboolean
write_files (const char *root, GPtrArray *files, GError **error)
{
  for (guint i = 0; i < files->len; i++)
    {
      LabKvmFile *f = g_ptr_array_index (files, i);
      g_autofree char *path = g_build_filename (root, f->path, NULL);
      g_autofree char *parent = g_path_get_dirname (path);

      if (g_mkdir_with_parents (parent, 0755) != 0
          || !g_file_set_contents_full (path, f->content, -1, G_FILE_SET_CONTENTS_CONSISTENT, f->mode, error))
        {
          if (error != NULL && *error == NULL)
            g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot write %s: %s"), path, g_strerror (errno));
          return FALSE;
        }
      if (g_chmod (path, f->mode) != 0)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot write %s: %s"), path, g_strerror (errno));
          return FALSE;
        }
    }
  return TRUE;
}

/* What labctl removes from the root: per-node things (host keys, machine
 * id: each node gets its own) and libvirt's default network. */
static void
remove_generic (const char *root)
{
  static const char *const paths[] = {
    "etc/machine-id", "var/lib/dbus/machine-id", "etc/hostname",
    "etc/libvirt/qemu/networks/autostart/default.xml", NULL
  };
  g_autofree char *ssh = g_build_filename (root, "etc", "ssh", NULL);
  g_autoptr(GDir) d = g_dir_open (ssh, 0, NULL);
  const char *name;

  for (guint i = 0; paths[i] != NULL; i++)
    {
      g_autofree char *p = g_build_filename (root, paths[i], NULL);
      g_unlink (p);
    }
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, "ssh_host_"))
      {
        g_autofree char *p = g_build_filename (ssh, name, NULL);
        g_unlink (p);
      }
}

/* The kernel and initrd of root/boot (the last by name: one is installed), copied to dir. */
static gboolean
copy_kernel (LabContext *ctx, const char *root, const char *dir, GError **error)
{
  g_autofree char *boot = g_build_filename (root, "boot", NULL);
  g_autoptr(GDir) d = g_dir_open (boot, 0, error);
  g_autofree char *version = NULL;
  const char *name;

  if (d == NULL)
    return FALSE;
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, "vmlinuz-")
        && (version == NULL || strcmp (name + strlen ("vmlinuz-"), version) > 0))
      {
        g_free (version);
        version = g_strdup (name + strlen ("vmlinuz-"));
      }
  if (version == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                   _("The node image has no kernel in %s (linux-image-amd64 did not install)"), boot);
      return FALSE;
    }
  {
    g_autofree char *k = g_strdup_printf ("%s/vmlinuz-%s", boot, version);
    g_autofree char *i = g_strdup_printf ("%s/initrd.img-%s", boot, version);
    g_autofree char *k_to = g_build_filename (dir, "vmlinuz", NULL);
    g_autofree char *i_to = g_build_filename (dir, "initrd.img", NULL);
    const char *cp1[] = { "cp", k, k_to, NULL };
    const char *cp2[] = { "cp", i, i_to, NULL };

    if (!lab_runner_run (ctx->runner, cp1, 0, NULL, error) || !lab_runner_run (ctx->runner, cp2, 0, NULL, error))
      return FALSE;
    g_chmod (k_to, 0644);
    g_chmod (i_to, 0644);
  }
  return TRUE;
}

static void
remove_tree (LabContext *ctx, const char *path)
{
  const char *argv[] = { "rm", "-rf", "--one-file-system", path, NULL };

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    lab_runner_run (ctx->runner, argv, 0, NULL, NULL);
}

gboolean
lab_kvm_image_build (LabContext *ctx, GError **error)
{
  g_autofree char *dir = lab_kvm_image_dir ();
  g_autofree char *build = g_strconcat (dir, ".build", NULL);
  g_autofree char *root = g_build_filename (build, "root", NULL);
  g_autofree char *img = g_build_filename (build, "root.img", NULL);
  g_autofree char *debs = lab_kvm_deb_cache_dir ();
  g_auto(GStrv) mm = lab_kvm_mmdebstrap_argv (root, debs);
  g_autoptr(GPtrArray) files = lab_kvm_image_files ();
  g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT "k", LAB_KVM_IMAGE_BYTES / 1024);
  g_autofree char *ssh_dir = g_build_filename (root, "root", ".ssh", NULL);
  const char *mke2fs[] = { "mke2fs", "-q", "-F", "-t", "ext4", "-L", "labctl-node", "-d", root, img, size, NULL };
  gint64 t0 = g_get_monotonic_time (), t1;

  if (image_complete (dir))
    return TRUE;
  /* a build that was interrupted: start again */
  remove_tree (ctx, build);
  if (g_mkdir_with_parents (build, 0755) != 0 || g_mkdir_with_parents (debs, 0755) != 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot create %s: %s"), build, g_strerror (errno));
      return FALSE;
    }
  lab_progress_info (ctx->progress,
                     _("node image: building it with mmdebstrap from %s (a few minutes, once per machine; "
                       "cached in %s)"), lab_kvm_mirror (), dir);
  if (!lab_runner_run_full (ctx->runner, (const char * const *) mm, LAB_RUN_QUIET_OUTPUT, NULL,
                            MMDEBSTRAP_TIMEOUT_MS, NULL, NULL, NULL, ctx->cancellable, error))
    goto fail;
  t1 = g_get_monotonic_time ();
  lab_progress_info (ctx->progress, _("node image: Debian installed in %.0f s; writing labctl's settings"),
                     (t1 - t0) / 1e6);
  remove_generic (root);
  if (!write_files (root, files, error))
    goto fail;
  if (g_mkdir_with_parents (ssh_dir, 0700) != 0 || g_chmod (ssh_dir, 0700) != 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot create %s: %s"), ssh_dir, g_strerror (errno));
      goto fail;
    }
  if (!copy_kernel (ctx, root, build, error)
      || !lab_runner_run (ctx->runner, mke2fs, 0, NULL, error))
    goto fail;
  remove_tree (ctx, root);
  if (g_rename (build, dir) != 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot move %s to %s: %s"), build, dir,
                   g_strerror (errno));
      goto fail;
    }
  lab_progress_info (ctx->progress, _("node image: ready in %.0f s (%s)"),
                     (g_get_monotonic_time () - t0) / 1e6, dir);
  return TRUE;

fail:
  remove_tree (ctx, build);
  return FALSE;
}

/* ---- the step ---------------------------------------------------------- */

static gboolean
image_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  g_autofree char *dir = lab_kvm_image_dir ();

  *done = image_complete (dir) && g_strcmp0 (lab_state_get_string (ctx->state, K_IMAGE_DIR), dir) == 0;
  return TRUE;
}

static gboolean
image_apply (LabContext *ctx, gpointer data, GError **error)
{
  g_autofree char *dir = lab_kvm_image_dir ();

  if (image_complete (dir))
    lab_progress_info (ctx->progress, _("node image: from the cache (%s)"), dir);
  else if (!lab_kvm_image_build (ctx, error))
    return FALSE;
  lab_state_set_string (ctx->state, K_IMAGE_DIR, dir);
  return TRUE;
}

static gboolean
image_undo (LabContext *ctx, gpointer data, GError **error)
{
  /* the cache is the machine's, shared by every lab: it stays */
  lab_state_remove (ctx->state, K_IMAGE_DIR);
  /* the nodes' accelerator, recorded by nodes.define for the guests:
   * this step is the nodes' first, so its undo is their last (left in
   * the state, it kept state.json and the state dir after `down`) */
  lab_state_remove (ctx->state, LAB_KVM_K_TCG);
  return TRUE;
}

static char **
image_describe (LabContext *ctx, gpointer data, gboolean down)
{
  g_autofree char *dir = lab_kvm_image_dir ();
  g_autofree char *root = g_build_filename (dir, "root", NULL);
  g_autofree char *img = g_build_filename (dir, "root.img", NULL);
  g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT "k", LAB_KVM_IMAGE_BYTES / 1024);
  g_auto(GStrv) mm = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *mm_line = NULL;
  GString *names = g_string_new (NULL);

  if (down)
    {
      g_ptr_array_add (lines, g_strdup_printf ("# the node image stays in the machine's cache: %s", dir));
      return lab_lines_steal (g_steal_pointer (&lines));
    }
  mm = lab_kvm_mmdebstrap_argv (root, NULL);
  mm_line = lab_runner_format_argv (ctx->runner, (const char * const *) mm);
  g_ptr_array_add (lines, g_strdup_printf ("# only when %s is not complete (root.img, vmlinuz, initrd.img):", dir));
  g_ptr_array_add (lines, g_steal_pointer (&mm_line));
  files = lab_kvm_image_files ();
  for (guint i = 0; i < files->len; i++)
    g_string_append_printf (names, " %s", ((LabKvmFile *) g_ptr_array_index (files, i))->path);
  g_ptr_array_add (lines, g_strdup_printf ("# labctl writes into %s:%s; removes the SSH host keys and "
                                           "the machine id (each node gets its own)", root, names->str));
  g_string_free (names, TRUE);
  g_ptr_array_add (lines, g_strdup_printf ("cp %s/boot/vmlinuz-* %s/vmlinuz; cp %s/boot/initrd.img-* %s/initrd.img",
                                           root, dir, root, dir));
  lab_lines_add_cmd (lines, "mke2fs", "-q", "-F", "-t", "ext4", "-L", "labctl-node", "-d", root, img, size, NULL);
  g_ptr_array_add (lines, g_strdup_printf ("rm -rf %s", root));
  return lab_lines_steal (g_steal_pointer (&lines));
}

const LabStepInfo lab_kvm_image_step = {
  "nodes.image", N_("Build or reuse the node image"), TRUE,
  image_check, image_apply, image_undo, image_describe,
};
