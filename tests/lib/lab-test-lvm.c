/* lab-test-lvm.c: see lab-test-lvm.h. */
#include "config.h"

#include "lab-test-lvm.h"

#include <errno.h>

#include <glib/gstdio.h>

char *
lab_test_lvm_system_dir (const char *work_dir, GError **error)
{
  g_autofree char *dir = g_build_filename (work_dir, "lvm", NULL);
  g_autofree char *lock = g_build_filename (dir, "lock", NULL);
  g_autofree char *conf_path = g_build_filename (dir, "lvm.conf", NULL);
  g_autofree char *conf = g_strdup_printf (
    "devices { obtain_device_list_from_udev = 0 external_device_info_source = \"none\"\n"
    "          use_devicesfile = 0 hints = \"none\" }\n"
    "global { activation = 0 locking_dir = \"%s\" use_lvmpolld = 0 event_activation = 0 }\n"
    "activation { udev_sync = 0 udev_rules = 0 monitoring = 0 }\n"
    "backup { backup = 0 archive = 0 backup_dir = \"%s/backup\" archive_dir = \"%s/archive\" }\n",
    lock, dir, dir);

  if (g_mkdir_with_parents (lock, 0700) < 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "mkdir %s failed: %s", lock,
                   g_strerror (errno));
      return NULL;
    }
  if (!g_file_set_contents (conf_path, conf, -1, error))
    return NULL;
  g_setenv ("LABCTL_LVM_SYSTEM_DIR", dir, TRUE);
  g_setenv ("LVM_SYSTEM_DIR", dir, TRUE);
  g_setenv ("LVM_SUPPRESS_FD_WARNINGS", "1", TRUE);
  return g_steal_pointer (&dir);
}
