/* fake-iso.h: a minimal ISO 9660 image for tests (system area, a primary
 * volume descriptor with the given volume id, an El Torito boot record,
 * the set terminator and an empty root directory): enough for libosinfo
 * and virt-install to identify it. */
#pragma once

#include <glib.h>
#include <string.h>

static inline gboolean
fake_iso_write (const char *path, const char *volume_id, GError **error)
{
  g_autofree guint8 *data = g_malloc0 (20 * 2048);
  guint8 *pvd = data + 16 * 2048;
  guint8 *boot = data + 17 * 2048;
  guint8 *term = data + 18 * 2048;
  guint32 blocks = 20;

  pvd[0] = 1;
  memcpy (pvd + 1, "CD001", 5);
  pvd[6] = 1;
  memset (pvd + 8, ' ', 32);
  memcpy (pvd + 8, "LINUX", 5);
  memset (pvd + 40, ' ', 32);
  memcpy (pvd + 40, volume_id, MIN (strlen (volume_id), 32));
  pvd[80] = blocks & 0xff;            /* volume space size, both-endian */
  pvd[87] = blocks & 0xff;
  pvd[128] = 0x00; pvd[129] = 0x08;   /* logical block size 2048, both-endian */
  pvd[130] = 0x08; pvd[131] = 0x00;
  /* root directory record: one (empty) sector at block 19 */
  pvd[156] = 34;
  pvd[158] = 19;                      /* extent, both-endian */
  pvd[165] = 19;
  pvd[167] = 0x08;                    /* data length 2048, little endian ... */
  pvd[172] = 0x08;                    /* ... and big endian */
  pvd[181] = 2;                       /* directory */
  pvd[188] = 1;
  memset (pvd + 318, ' ', 128);
  memset (pvd + 574, ' ', 128);
  /* El Torito boot record: libosinfo only looks at bootable media */
  memcpy (boot + 1, "CD001", 5);
  boot[6] = 1;
  memcpy (boot + 7, "EL TORITO SPECIFICATION", 23);
  term[0] = 255;
  memcpy (term + 1, "CD001", 5);
  term[6] = 1;
  return g_file_set_contents (path, (const char *) data, 20 * 2048, error);
}
