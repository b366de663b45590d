/* lab-pve-template.c: the container template labctl builds itself, so
 * that the lab needs no download: a gzip'ed tar (ustar) of a root file
 * system with the host's static busybox as /bin/busybox and /sbin/init.
 * pct create takes it with ostype `unmanaged` (LXC sets up the network;
 * nothing inside the container needs to know its distribution). */
#include "config.h"

#include "lab-pve-private.h"

#include <string.h>

#include "lab-error.h"
#include "lab-i18n.h"

#define BUSYBOX "/bin/busybox"

static void
octal (char *field, gsize width, guint64 value)
{
  g_snprintf (field, width, "%0*llo", (int) width - 1, (unsigned long long) value);
}

/* One ustar header (and the contents, padded to 512 bytes). */
static gboolean
tar_entry (GOutputStream *out, const char *name, char type, guint mode, const char *link, GBytes *contents,
           GError **error)
{
  char h[512] = { 0 };
  gsize size = contents != NULL ? g_bytes_get_size (contents) : 0;
  guint sum = 0;
  static const char zeros[512] = { 0 };

  g_strlcpy (h, name, 100);
  octal (h + 100, 8, mode);
  octal (h + 108, 8, 0);
  octal (h + 116, 8, 0);
  octal (h + 124, 12, size);
  octal (h + 136, 12, 1767225600); /* 2026-01-01: the same bytes on every build */
  memset (h + 148, ' ', 8);
  h[156] = type;
  if (link != NULL)
    g_strlcpy (h + 157, link, 100);
  memcpy (h + 257, "ustar", 6);
  memcpy (h + 263, "00", 2);
  g_strlcpy (h + 265, "root", 32);
  g_strlcpy (h + 297, "root", 32);
  for (guint i = 0; i < sizeof h; i++)
    sum += (guint8) h[i];
  g_snprintf (h + 148, 8, "%06o", sum);
  if (!g_output_stream_write_all (out, h, sizeof h, NULL, NULL, error))
    return FALSE;
  if (size == 0)
    return TRUE;
  return g_output_stream_write_all (out, g_bytes_get_data (contents, NULL), size, NULL, NULL, error)
         && g_output_stream_write_all (out, zeros, (512 - size % 512) % 512, NULL, NULL, error);
}

static gboolean
is_static (GBytes *elf)
{
  gsize size;
  const char *data = g_bytes_get_data (elf, &size);

  /* A dynamic executable names its loader in PT_INTERP. */
  return size > 4 && memcmp (data, "\177ELF", 4) == 0 && g_strstr_len (data, MIN (size, 4096), "/ld-linux") == NULL;
}

GBytes *
lab_pve_static_busybox (const char *sysroot, GError **error)
{
  g_autofree char *path = g_build_filename (sysroot != NULL ? sysroot : "/", BUSYBOX, NULL);
  g_autoptr(GMappedFile) file = NULL;
  g_autoptr(GBytes) busybox = NULL;
  g_autoptr(GError) local = NULL;

  file = g_mapped_file_new (path, FALSE, &local);
  if (file == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("Cannot read %s, the busybox labctl puts in its guests: %s; "
                     "install the Debian package busybox-static"),
                   path, local->message);
      return NULL;
    }
  busybox = g_mapped_file_get_bytes (file);
  if (!is_static (busybox))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED,
                   _("%s is linked dynamically and would not run in labctl's guests (they have no C library); "
                     "install the Debian package busybox-static instead of busybox"),
                   path);
      return NULL;
    }
  return g_steal_pointer (&busybox);
}

GBytes *
lab_pve_template_build (const char *sysroot, GError **error)
{
  g_autoptr(GBytes) busybox = NULL;
  g_autoptr(GBytes) inittab = NULL;
  g_autoptr(GBytes) passwd = NULL;
  g_autoptr(GBytes) group = NULL;
  g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable ();
  g_autoptr(GZlibCompressor) z = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);
  g_autoptr(GOutputStream) out = g_converter_output_stream_new (mem, G_CONVERTER (z));
  static const char *const dirs[] = { "bin/", "sbin/", "etc/", "dev/", "proc/", "sys/", "tmp/", "root/", "run/",
                                      "var/", NULL };
  static const char zeros[1024] = { 0 };

  busybox = lab_pve_static_busybox (sysroot, error);
  if (busybox == NULL)
    return NULL;
  inittab = g_bytes_new_static ("::sysinit:/bin/busybox --install -s /bin\n::respawn:/bin/busybox sleep 3600\n",
                                strlen ("::sysinit:/bin/busybox --install -s /bin\n::respawn:/bin/busybox sleep 3600\n"));
  passwd = g_bytes_new_static ("root:x:0:0:root:/root:/bin/sh\n", strlen ("root:x:0:0:root:/root:/bin/sh\n"));
  group = g_bytes_new_static ("root:x:0:\n", strlen ("root:x:0:\n"));
  for (guint i = 0; dirs[i] != NULL; i++)
    if (!tar_entry (out, dirs[i], '5', 0755, NULL, NULL, error))
      return NULL;
  if (!tar_entry (out, "bin/busybox", '0', 0755, NULL, busybox, error)
      || !tar_entry (out, "bin/sh", '2', 0777, "busybox", NULL, error)
      || !tar_entry (out, "sbin/init", '2', 0777, "../bin/busybox", NULL, error)
      || !tar_entry (out, "etc/inittab", '0', 0644, NULL, inittab, error)
      || !tar_entry (out, "etc/passwd", '0', 0644, NULL, passwd, error)
      || !tar_entry (out, "etc/group", '0', 0644, NULL, group, error)
      || !g_output_stream_write_all (out, zeros, sizeof zeros, NULL, NULL, error)
      || !g_output_stream_close (out, NULL, error))
    return NULL;
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (mem));
}
