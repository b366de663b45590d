/* lab-pve-image.c: the VM's disk image, built by labctl from what the host
 * has (no download): a small Linux with a network.
 *
 *   sector 0      syslinux's MBR (/usr/lib/syslinux/mbr/mbr.bin), one
 *                 active partition (FAT16 LBA) from sector 2048;
 *   partition 1   FAT16 (mkfs.vfat -C, hidden sectors 2048) with the host's
 *                 newest kernel (/boot/vmlinuz-*) as vmlinuz, initrd.gz and
 *                 syslinux.cfg (mcopy), made bootable by `syslinux
 *                 --install` (through mtools: no mount, no root).
 *
 * The initramfs (a newc cpio written here, gzip'ed) holds the host's static
 * busybox, the modules of that kernel it needs (virtio_pci, virtio_net,
 * the ACPI button and evdev, with what modules.dep says they need) and an
 * /init that brings up eth0, takes its address by DHCP (udhcpc; the lab
 * network reserves one for the MAC labctl gives the VM's net0), answers
 * ping and powers off on the ACPI power button (qm shutdown). It prints
 * "labctl-tiny: up, eth0 ADDRESS" on the console (serial0: qm terminal).
 * SeaBIOS (Proxmox's default) loads the MBR, which loads syslinux from the
 * active partition, which loads the kernel and initrd through the BIOS.
 *
 * The result is cached by content: <cache>/vm-images/labctl-tiny-<key>.raw,
 * key = SHA-256 of the kernel, the initramfs, syslinux.cfg, the MBR and the
 * syslinux program; it appears by a rename when complete. */
#define _GNU_SOURCE /* strverscmp */
#include "config.h"

#include "lab-pve-private.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-util.h"

#define IMAGE_FORMAT   1
#define PART_START     2048           /* sectors: the partition at 1 MiB */
#define SYSLINUX_MBR   "/usr/lib/syslinux/mbr/mbr.bin"
#define SYSLINUX       "/usr/bin/syslinux"
#define FAT_LABEL      "LABCTL-VM"

/* what eth0 needs: the loader resolves their dependencies (modules.dep) */
static const char *const wanted_modules[] = { "virtio_pci", "virtio_net", "button", "evdev", NULL };

static const char syslinux_cfg[] =
  "DEFAULT tiny\n"
  "PROMPT 0\n"
  "TIMEOUT 0\n"
  "LABEL tiny\n"
  "  KERNEL /vmlinuz\n"
  "  APPEND initrd=/initrd.gz console=tty0 console=ttyS0,115200 quiet panic=10\n";

static const char init_script[] =
  "#!/bin/busybox sh\n"
  "/bin/busybox --install -s /bin\n"
  "export PATH=/bin\n"
  "mount -t proc proc /proc\n"
  "mount -t sysfs sysfs /sys\n"
  "mount -t devtmpfs devtmpfs /dev\n"
  "for m in $(cat /etc/modules); do insmod /lib/modules/$m.ko; done\n"
  "hostname labctl-tiny\n"
  "ip link set lo up\n"
  "n=0\n"
  "until ip link show eth0 >/dev/null 2>&1 || [ $n -ge 100 ]; do sleep 0.1; n=$((n + 1)); done\n"
  "ip link set eth0 up\n"
  "udhcpc -i eth0 -s /etc/udhcpc.sh -b -t 15 -T 2 -x hostname:labctl-tiny\n"
  /* qm shutdown (ACPI): the button driver's input device, whose first
   * event is the press */
  "for dev in /sys/class/input/event*; do\n"
  "  grep -qx 'Power Button' $dev/device/name 2>/dev/null || continue\n"
  "  { dd if=/dev/input/${dev##*/} of=/dev/null bs=24 count=1 2>/dev/null\n"
  "    echo 'labctl-tiny: ACPI power button, powering off'; poweroff -f; } &\n"
  "done\n"
  "echo \"labctl-tiny: up, eth0 $(ip -4 -o addr show eth0 | awk '{print $4}')\"\n"
  "exec sh -c 'while :; do sleep 3600; done'\n";

static const char udhcpc_script[] =
  "#!/bin/sh\n"
  "case \"$1\" in\n"
  "  bound|renew)\n"
  "    ip addr flush dev \"$interface\"\n"
  "    ip addr add \"$ip/${mask:-24}\" dev \"$interface\"\n"
  "    [ -n \"$router\" ] && ip route replace default via \"${router%% *}\" dev \"$interface\";;\n"
  "  deconfig) ip addr flush dev \"$interface\";;\n"
  "esac\n"
  "exit 0\n";

/* ---- the initramfs: a newc cpio ------------------------------------------------ */

static void
cpio_entry (GByteArray *out, guint *ino, const char *name, guint mode, guint rmajor, guint rminor, const void *data, gsize size)
{
  static const guint8 zeros[4] = { 0 };
  gsize namesize = strlen (name) + 1;
  g_autofree char *h = g_strdup_printf ("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ++*ino, mode, 0,
                                        0, 1, 0, (guint) size, 0, 0, rmajor, rminor, (guint) namesize, 0);

  g_byte_array_append (out, (const guint8 *) h, strlen (h));
  g_byte_array_append (out, (const guint8 *) name, namesize);
  g_byte_array_append (out, zeros, (4 - (strlen (h) + namesize) % 4) % 4);
  if (size > 0)
    {
      g_byte_array_append (out, data, size);
      g_byte_array_append (out, zeros, (4 - size % 4) % 4);
    }
}

static gboolean
read_file (const char *path, GBytes **out, GError **error)
{
  char *data = NULL;
  gsize size = 0;
  g_autoptr(GError) local = NULL;

  if (!g_file_get_contents (path, &data, &size, &local))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot read %s for the VM's disk image: %s"), path,
                   local->message);
      return FALSE;
    }
  *out = g_bytes_new_take (data, size);
  return TRUE;
}

/* The kernel the image boots: the newest /boot/vmlinuz-* of sysroot
 * that has its modules. */
char *
lab_pve_vm_image_kernel (const char *sysroot, GError **error)
{
  g_autofree char *boot = g_build_filename (sysroot, "boot", NULL);
  g_autoptr(GDir) dir = g_dir_open (boot, 0, NULL);
  char *best = NULL;
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      const char *ver = name + strlen ("vmlinuz-");
      g_autofree char *dep = NULL;

      if (!g_str_has_prefix (name, "vmlinuz-"))
        continue;
      dep = g_build_filename (sysroot, "lib", "modules", ver, "modules.dep", NULL);
      if (g_file_test (dep, G_FILE_TEST_EXISTS) && (best == NULL || strverscmp (ver, best) > 0))
        {
          g_free (best);
          best = g_strdup (ver);
        }
    }
  if (best == NULL)
    g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                 _("No kernel with modules in %s for the VM's disk image; install linux-image-amd64"), boot);
  return best;
}

/* The module files of kver that wanted_modules need, in load order
 * (modules.dep lists a module's dependencies last-loaded first). */
static GPtrArray *
module_order (const char *sysroot, const char *kver, GError **error)
{
  g_autofree char *path = g_build_filename (sysroot, "lib", "modules", kver, "modules.dep", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GHashTable) deps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_strfreev);
  GPtrArray *order = g_ptr_array_new_with_free_func (g_free);

  if (!g_file_get_contents (path, &text, NULL, NULL))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot read %s for the VM's disk image"), path);
      g_ptr_array_unref (order);
      return NULL;
    }
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *colon = strchr (lines[i], ':');
      if (colon == NULL)
        continue;
      *colon = '\0';
      g_hash_table_insert (deps, g_strdup (lines[i]), g_strsplit_set (g_strstrip (colon + 1), " ", -1));
    }
  for (guint w = 0; wanted_modules[w] != NULL; w++)
    {
      g_autofree char *suffix = g_strdup_printf ("/%s.ko", wanted_modules[w]);
      GHashTableIter it;
      gpointer k, v;
      gboolean found = FALSE;

      g_hash_table_iter_init (&it, deps);
      while (!found && g_hash_table_iter_next (&it, &k, &v))
        {
          char **d = v;
          guint n = g_strv_length (d);

          if (!g_str_has_suffix (k, suffix))
            continue;
          found = TRUE;
          for (guint j = n; j > 0; j--)
            if (*d[j - 1] != '\0' && !g_ptr_array_find_with_equal_func (order, d[j - 1], g_str_equal, NULL))
              g_ptr_array_add (order, g_strdup (d[j - 1]));
          if (!g_ptr_array_find_with_equal_func (order, k, g_str_equal, NULL))
            g_ptr_array_add (order, g_strdup (k));
        }
      /* not a module: built into the kernel */
    }
  for (guint i = 0; i < order->len; i++)
    if (!g_str_has_suffix (order->pdata[i], ".ko"))
      {
        g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                     _("The kernel %s has compressed modules (%s); the VM's disk image needs uncompressed ones"), kver,
                     (char *) order->pdata[i]);
        g_ptr_array_unref (order);
        return NULL;
      }
  return order;
}

GBytes *
lab_pve_vm_initramfs (const char *sysroot, const char *kver, GError **error)
{
  static const char *const dirs[] = { "bin", "dev", "etc", "lib", "lib/modules", "proc", "run", "sys", "tmp", NULL };
  g_autoptr(GBytes) busybox = NULL;
  g_autoptr(GPtrArray) mods = module_order (sysroot, kver, error);
  g_autoptr(GByteArray) cpio = g_byte_array_new ();
  guint ino = 0;
  g_autoptr(GString) list = g_string_new (NULL);
  g_autoptr(GZlibCompressor) z = NULL;
  g_autoptr(GOutputStream) mem = NULL;
  g_autoptr(GOutputStream) out = NULL;

  if (mods == NULL || (busybox = lab_pve_static_busybox (sysroot, error)) == NULL)
    return NULL;
  for (guint i = 0; dirs[i] != NULL; i++)
    cpio_entry (cpio, &ino, dirs[i], 040755, 0, 0, NULL, 0);
  /* the console before devtmpfs: the kernel opens it for init */
  cpio_entry (cpio, &ino, "dev/console", 020600, 5, 1, NULL, 0);
  cpio_entry (cpio, &ino, "bin/busybox", 0100755, 0, 0, g_bytes_get_data (busybox, NULL), g_bytes_get_size (busybox));
  cpio_entry (cpio, &ino, "init", 0100755, 0, 0, init_script, strlen (init_script));
  cpio_entry (cpio, &ino, "etc/udhcpc.sh", 0100755, 0, 0, udhcpc_script, strlen (udhcpc_script));
  for (guint i = 0; i < mods->len; i++)
    {
      g_autofree char *src = g_build_filename (sysroot, "lib", "modules", kver, mods->pdata[i], NULL);
      g_autofree char *base = g_path_get_basename (mods->pdata[i]);
      g_autofree char *dest = g_build_filename ("lib/modules", base, NULL);
      g_autoptr(GBytes) ko = NULL;

      if (!read_file (src, &ko, error))
        return NULL;
      cpio_entry (cpio, &ino, dest, 0100644, 0, 0, g_bytes_get_data (ko, NULL), g_bytes_get_size (ko));
      base[strlen (base) - 3] = '\0';
      g_string_append_printf (list, "%s\n", base);
    }
  cpio_entry (cpio, &ino, "etc/modules", 0100644, 0, 0, list->str, list->len);
  cpio_entry (cpio, &ino, "TRAILER!!!", 0, 0, 0, NULL, 0);

  z = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);
  mem = g_memory_output_stream_new_resizable ();
  out = g_converter_output_stream_new (mem, G_CONVERTER (z));
  if (!g_output_stream_write_all (out, cpio->data, cpio->len, NULL, NULL, error)
      || !g_output_stream_close (out, NULL, error))
    return NULL;
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (mem));
}

/* ---- the disk ------------------------------------------------------------------- */

static void
chs (guint32 lba, guint8 *out)
{
  guint32 c = lba / (255 * 63), h = (lba / 63) % 255, s = lba % 63 + 1;

  if (c > 1023)
    {
      out[0] = 0xfe, out[1] = 0xff, out[2] = 0xff;
      return;
    }
  out[0] = h;
  out[1] = (guint8) (s | ((c >> 2) & 0xc0));
  out[2] = c & 0xff;
}

static void
put_le32 (guint8 *p, guint32 v)
{
  p[0] = v & 0xff, p[1] = (v >> 8) & 0xff, p[2] = (v >> 16) & 0xff, p[3] = v >> 24;
}

/* Sector 0 and the gap up to the partition: the MBR's code, one entry. */
GBytes *
lab_pve_vm_image_mbr (GBytes *code, guint32 part_sectors, guint32 signature)
{
  guint8 *m = g_malloc0 (PART_START * 512);
  guint8 *e = m + 446;

  memcpy (m, g_bytes_get_data (code, NULL), MIN (g_bytes_get_size (code), 440));
  put_le32 (m + 440, signature);
  e[0] = 0x80;              /* active: the MBR boots it */
  chs (PART_START, e + 1);
  e[4] = 0x0e;              /* FAT16, LBA */
  chs (PART_START + part_sectors - 1, e + 5);
  put_le32 (e + 8, PART_START);
  put_le32 (e + 12, part_sectors);
  m[510] = 0x55;
  m[511] = 0xaa;
  return g_bytes_new_take (m, PART_START * 512);
}

static char *
cache_key (GBytes *const *parts, guint n)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *head = g_strdup_printf ("labctl-pve-vm-image %d\n", IMAGE_FORMAT);

  g_checksum_update (sum, (const guchar *) head, -1);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *len = g_strdup_printf ("%" G_GSIZE_FORMAT "\n", g_bytes_get_size (parts[i]));
      g_checksum_update (sum, (const guchar *) len, -1);
      g_checksum_update (sum, g_bytes_get_data (parts[i], NULL), g_bytes_get_size (parts[i]));
    }
  return g_strndup (g_checksum_get_string (sum), 16);
}

static gboolean
write_bytes (const char *path, GBytes *b, GError **error)
{
  g_autoptr(GError) local = NULL;

  if (!g_file_set_contents (path, g_bytes_get_data (b, NULL), g_bytes_get_size (b), &local))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot write %s: %s"), path, local->message);
      return FALSE;
    }
  return TRUE;
}

/* The FAT partition's file in tmp, then the disk (MBR + it) at dest. */
static gboolean
assemble (LabRunner *runner, const char *tmp, GBytes *kernel, GBytes *initrd, GBytes *mbr_code, const char *key,
          const char *dest, GError **error)
{
  g_autofree char *part = g_build_filename (tmp, "part.img", NULL);
  g_autofree char *k = g_build_filename (tmp, "vmlinuz", NULL);
  g_autofree char *i = g_build_filename (tmp, "initrd.gz", NULL);
  g_autofree char *cfg = g_build_filename (tmp, "syslinux.cfg", NULL);
  g_autofree char *disk = g_build_filename (tmp, "disk.raw", NULL);
  g_autoptr(GBytes) cfg_bytes = g_bytes_new_static (syslinux_cfg, strlen (syslinux_cfg));
  /* the files, syslinux's own (about 130 KiB) and room: whole MiB */
  guint64 kib = ((g_bytes_get_size (kernel) + g_bytes_get_size (initrd)) / (1024 * 1024) + 3) * 1024;
  g_autofree char *kib_s = g_strdup_printf ("%" G_GUINT64_FORMAT, kib);
  g_autofree char *hidden = g_strdup_printf ("%d", PART_START);
  g_auto(GStrv) mkfs = lab_strv_new ("mkfs.vfat", "-C", "-F", "16", "-h", hidden, "-n", FAT_LABEL, part, kib_s, NULL);
  g_auto(GStrv) mcopy = lab_strv_new ("mcopy", "-i", part, k, i, cfg, "::", NULL);
  g_auto(GStrv) syslinux = lab_strv_new ("syslinux", "--install", part, NULL);
  g_autoptr(GMappedFile) fat = NULL;
  g_autoptr(GBytes) mbr = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (disk);
  g_autoptr(GFileOutputStream) out = NULL;
  guint32 signature = (guint32) g_ascii_strtoull (key + 8, NULL, 16);

  if (!write_bytes (k, kernel, error) || !write_bytes (i, initrd, error) || !write_bytes (cfg, cfg_bytes, error)
      || !lab_runner_run (runner, (const char *const *) mkfs, LAB_RUN_DEFAULT, NULL, error)
      || !lab_runner_run (runner, (const char *const *) mcopy, LAB_RUN_DEFAULT, NULL, error)
      || !lab_runner_run (runner, (const char *const *) syslinux, LAB_RUN_DEFAULT, NULL, error))
    return FALSE;
  fat = g_mapped_file_new (part, FALSE, NULL);
  if (fat == NULL || g_mapped_file_get_length (fat) != kib * 1024)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("mkfs.vfat made no file system of %s KiB in %s"), kib_s,
                   part);
      return FALSE;
    }
  mbr = lab_pve_vm_image_mbr (mbr_code, (guint32) (kib * 2), signature);
  out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, error);
  if (out == NULL
      || !g_output_stream_write_all (G_OUTPUT_STREAM (out), g_bytes_get_data (mbr, NULL), g_bytes_get_size (mbr),
                                     NULL, NULL, error)
      || !g_output_stream_write_all (G_OUTPUT_STREAM (out), g_mapped_file_get_contents (fat),
                                     g_mapped_file_get_length (fat), NULL, NULL, error)
      || !g_output_stream_close (G_OUTPUT_STREAM (out), NULL, error))
    return FALSE;
  if (g_rename (disk, dest) != 0)
    {
      int e = errno;
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot write %s: %s"), dest, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

static void
remove_tmp (const char *tmp)
{
  static const char *const files[] = { "part.img", "vmlinuz", "initrd.gz", "syslinux.cfg", "disk.raw", NULL };

  for (guint i = 0; files[i] != NULL; i++)
    {
      g_autofree char *p = g_build_filename (tmp, files[i], NULL);
      g_unlink (p);
    }
  g_rmdir (tmp);
}

char *
lab_pve_vm_image_path (LabRunner *runner, const char *sysroot, GError **error)
{
  const char *root = sysroot != NULL ? sysroot : "/";
  g_autofree char *kver = lab_pve_vm_image_kernel (root, error);
  g_autofree char *kpath = NULL, *mbr_path = NULL, *sl_path = NULL;
  g_autoptr(GBytes) kernel = NULL, initrd = NULL, mbr = NULL, syslinux = NULL, cfg = NULL;
  g_autofree char *key = NULL, *cache = NULL, *dir = NULL, *name = NULL, *dest = NULL, *tmp = NULL;
  gboolean ok;

  if (kver == NULL)
    return NULL;
  kpath = g_strdup_printf ("%s/boot/vmlinuz-%s", root, kver);
  mbr_path = g_build_filename (root, SYSLINUX_MBR, NULL);
  sl_path = g_build_filename (root, SYSLINUX, NULL);
  if (!read_file (kpath, &kernel, error) || !read_file (mbr_path, &mbr, error) || !read_file (sl_path, &syslinux, error)
      || (initrd = lab_pve_vm_initramfs (root, kver, error)) == NULL)
    return NULL;
  cfg = g_bytes_new_static (syslinux_cfg, strlen (syslinux_cfg));
  {
    GBytes *parts[] = { kernel, initrd, cfg, mbr, syslinux };
    key = cache_key (parts, G_N_ELEMENTS (parts));
  }
  cache = lab_cache_dir ();
  dir = g_build_filename (cache, "vm-images", NULL);
  name = g_strdup_printf ("labctl-tiny-%s.raw", key);
  dest = g_build_filename (dir, name, NULL);
  if (g_file_test (dest, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&dest);
  tmp = g_build_filename (dir, ".build-XXXXXX", NULL);
  if (g_mkdir_with_parents (dir, 0755) != 0 || g_mkdtemp (tmp) == NULL)
    {
      int e = errno;
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot create %s: %s"), dir, g_strerror (e));
      return NULL;
    }
  ok = assemble (runner, tmp, kernel, initrd, mbr, key, dest, error);
  remove_tmp (tmp);
  return ok ? g_steal_pointer (&dest) : NULL;
}

GBytes *
lab_pve_vm_image_build (LabRunner *runner, const char *sysroot, GError **error)
{
  g_autofree char *path = lab_pve_vm_image_path (runner, sysroot, error);
  g_autoptr(GMappedFile) file = NULL;
  g_autoptr(GError) local = NULL;

  if (path == NULL)
    return NULL;
  file = g_mapped_file_new (path, FALSE, &local);
  if (file == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot read %s: %s"), path, local->message);
      return NULL;
    }
  return g_mapped_file_get_bytes (file);
}
