/* virt-host.h: a private libvirt host (tests/lib/virt-host.sh) and a tiny
 * guest (tests/lib/build-tiny-guest.sh) for the virt system test and the
 * nodes benchmark. Header-only; both are root-only programs. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "lab-vm.h"
#include "lab-recipe.h"
#include "lab-runner.h"
#include "lab-virt.h"

typedef struct {
  char *work;      /* scratch directory (libvirt's dirs, disks) */
  char *netns;     /* the host's network namespace */
  char *uri;
  char *guest_dir; /* vmlinux + initramfs (cached) */
  char *lib_dir;   /* tests/lib */
} VirtHost;

static inline char *
virt_host_lib_dir (void)
{
  return g_build_filename (LABCTL_SOURCE_DIR, "tests", "lib", NULL);
}

/* Runs argv, returns stdout (NULL and *error on failure). */
static inline char *
virt_host_run (const char * const *argv, GError **error)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, error))
    return NULL;
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_set_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "%s failed: %s", argv[0], err);
      return NULL;
    }
  return g_steal_pointer (&out);
}

static inline char *
virt_host_cache_dir (void)
{
  const char *env = g_getenv ("LABCTL_TEST_CACHE");

  return g_strdup (env != NULL && *env != '\0' ? env : "/var/tmp/labctl-test-cache");
}

static inline void virt_host_down (VirtHost *h);

/* A run killed before its cleanup (a timeout's SIGTERM) leaves its libvirtd,
 * netns and directory behind: stop those of earlier runs of this tag whose
 * process is gone. Only names this helper made (/var/tmp/labctl-TAG-PID,
 * netns labTAGPID) are touched. */
static inline void
virt_host_reap_stale (const char *tag)
{
  g_autoptr(GDir) dir = g_dir_open ("/var/tmp", 0, NULL);
  g_autofree char *prefix = g_strdup_printf ("labctl-%s-", tag);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      const char *pid_text;
      char *end = NULL;
      gint64 pid;
      VirtHost stale = { 0 };

      if (!g_str_has_prefix (name, prefix))
        continue;
      pid_text = name + strlen (prefix);
      pid = g_ascii_strtoll (pid_text, &end, 10);
      if (end == pid_text || *end != '\0' || pid <= 0 || pid == getpid () || lab_process_alive ((GPid) pid))
        continue;
      stale.work = g_build_filename ("/var/tmp", name, NULL);
      stale.netns = g_strdup_printf ("lab%s%" G_GINT64_FORMAT, tag, pid);
      stale.lib_dir = virt_host_lib_dir ();
      g_printerr ("# removing what an earlier run (pid %" G_GINT64_FORMAT ") left: %s\n", pid, stale.work);
      virt_host_down (&stale);
    }
}

/* Builds (or reuses) the tiny guest and starts libvirtd in its namespaces. */
static inline gboolean
virt_host_up (VirtHost *h, const char *tag, GError **error)
{
  g_autofree char *cache = virt_host_cache_dir ();
  g_autofree char *builder = NULL;
  g_autofree char *script = NULL;
  g_autofree char *out = NULL;

  virt_host_reap_stale (tag);
  h->lib_dir = virt_host_lib_dir ();
  h->guest_dir = g_build_filename (cache, "tiny-guest", NULL);
  builder = g_build_filename (h->lib_dir, "build-tiny-guest.sh", NULL);
  {
    const char *argv[] = { builder, h->guest_dir, NULL };
    g_autofree char *ignored = virt_host_run (argv, error);
    if (ignored == NULL && error != NULL && *error != NULL)
      return FALSE;
  }
  /* /var/tmp, not tmpfs: cache='none' disks need O_DIRECT */
  h->work = g_strdup_printf ("/var/tmp/labctl-%s-%d", tag, getpid ());
  if (g_mkdir_with_parents (h->work, 0755) < 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot create %s", h->work);
      return FALSE;
    }
  g_chmod (h->work, 0755);
  h->netns = g_strdup_printf ("lab%s%d", tag, getpid ());
  script = g_build_filename (h->lib_dir, "virt-host.sh", NULL);
  {
    const char *argv[] = { script, "up", h->work, h->netns, NULL };
    out = virt_host_run (argv, error);
  }
  if (out == NULL)
    return FALSE;
  h->uri = g_strdup (g_strstrip (out));
  return TRUE;
}

static inline void
virt_host_down (VirtHost *h)
{
  g_autofree char *script = NULL;

  if (h->work == NULL)
    return;
  script = g_build_filename (h->lib_dir != NULL ? h->lib_dir : "", "virt-host.sh", NULL);
  if (h->netns != NULL)
    {
      const char *argv[] = { script, "down", h->work, h->netns, NULL };
      g_autoptr(GError) error = NULL;
      g_autofree char *out = virt_host_run (argv, &error);
      if (error != NULL)
        g_printerr ("# virt-host down: %s\n", error->message);
    }
  {
    const char *argv[] = { "rm", "-rf", "--one-file-system", h->work, NULL };
    g_autofree char *out = virt_host_run (argv, NULL);
  }
  g_clear_pointer (&h->work, g_free);
  g_clear_pointer (&h->netns, g_free);
  g_clear_pointer (&h->uri, g_free);
  g_clear_pointer (&h->guest_dir, g_free);
  g_clear_pointer (&h->lib_dir, g_free);
}

/* A recipe for n tiny nodes on the lab network 10.251.0.0/24 (inside the
 * host's own netns, so it meets nothing else). */
static inline LabRecipe *
virt_host_recipe (const char *lab, guint n, GError **error)
{
  g_autofree char *text = g_strdup_printf (
    "[lab]\nname = %s\nflavor = kvm\n"
    "[network]\nsubnet = 10.251.0.0/24\n"
    "[nodes]\ncount = %u\nname-pattern = tiny%%d\nvcpus = 1\nmemory = 128\ndisk = 16M\nos = debian12\n",
    lab, n);

  return lab_recipe_load_data (text, -1, "virt-system-test.lab", error);
}

/* The node's domain as labctl builds it (TCG), turned into a tiny guest:
 * direct kernel boot with DHCP, a small qcow2 disk, no graphics. */
static inline LabVirtDomainSpec *
virt_host_tiny_spec (VirtHost *h, LabRecipe *recipe, LabNode *node, GError **error)
{
  LabVirtDomainSpec *spec = lab_vm_domain_spec (recipe, node, NULL, "qemu", NULL);
  g_autofree char *disk = g_strdup_printf ("%s/%s.qcow2", h->work, node->name);
  const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "16M", NULL };
  g_autofree char *out = virt_host_run (argv, error);

  if (out == NULL)
    {
      lab_virt_domain_spec_free (spec);
      return NULL;
    }
  g_free (spec->disk_path);
  spec->disk_path = g_steal_pointer (&disk);
  g_free (spec->disk_format);
  spec->disk_format = g_strdup ("qcow2");
  spec->kernel = g_build_filename (h->guest_dir, "vmlinux", NULL);
  spec->initrd = g_build_filename (h->guest_dir, "initramfs.cpio.gz", NULL);
  spec->cmdline = g_strdup ("console=ttyS0 quiet guestip=dhcp");
  g_clear_pointer (&spec->graphics, g_free);
  g_clear_pointer (&spec->video_model, g_free);
  spec->usb_tablet = FALSE;
  return spec;
}
