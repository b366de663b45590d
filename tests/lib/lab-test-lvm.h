/* lab-test-lvm.h: the private LVM configuration of the tests that run LVM
 * for real (system, e2e). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Writes work_dir/lvm/lvm.conf: activation off (this machine has no
 * device-mapper), no udev, no devices file, no hints, locks, backups and
 * archives inside work_dir/lvm; sets LABCTL_LVM_SYSTEM_DIR (what labctl
 * reads) and LVM_SYSTEM_DIR (the test's own LVM commands). Returns the
 * directory, NULL with *error set. */
char *lab_test_lvm_system_dir (const char *work_dir,
                               GError    **error);

G_END_DECLS
