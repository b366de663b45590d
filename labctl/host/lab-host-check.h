/* lab-host-check.h: host preflight ("labctl check"), in the spirit of
 * libvirt's virt-host-validate, except that every WARN and FAIL comes with
 * the exact commands that fix it.
 *
 * All kernel-provided facts are read under a root prefix (the "sysroot"):
 *   <sysroot>/proc/cpuinfo, /proc/meminfo, /proc/sys/kernel/osrelease,
 *   <sysroot>/sys/module/kvm_{intel,amd}[/parameters/{nested,ept,npt}],
 *   <sysroot>/dev/kvm
 * so that tests run against fake trees (tests/data/hosts/). The sysroot
 * defaults to $LABCTL_SYSROOT, then "/".
 *
 * Not under the sysroot, because they are about the machine labctl runs on:
 *   - the directory of the recipe's backing image (statvfs);
 *   - tools: looked up in $PATH (g_find_program_in_path), then in
 *     <sysroot>/usr/sbin and <sysroot>/sbin (a normal user's PATH on Debian
 *     lacks the sbin directories, yet labctl runs these tools through sudo);
 *   - libvirt: the URI ($LABCTL_LIBVIRT_URI, default qemu:///system).
 *
 * Check ids are stable (scripts and the GUI match on them):
 *   cpu.vendor cpu.virt-flag kvm.module kvm.device kvm.nested
 *   cpu.ept (Intel) | cpu.npt (AMD) host.cores host.memory host.disk
 *   host.kernel tool.tgtadm tool.iscsiadm tool.lvm tool.qemu tool.qemu-img
 *   tool.virsh libvirt.reachable
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libvirt/virterror.h>

#include "lab-recipe.h"

G_BEGIN_DECLS

typedef enum {
  LAB_CHECK_PASS,
  LAB_CHECK_WARN,
  LAB_CHECK_FAIL,
  LAB_CHECK_SKIP,
} LabCheckStatus;

typedef struct {
  char           *id;       /* stable, e.g. "kvm.nested" */
  LabCheckStatus  status;
  char           *message;  /* translated, one line: what was found */
  char           *fix;      /* translated, may hold several lines (commands); NULL for PASS/SKIP */
} LabCheckResult;

LabCheckResult *lab_check_result_new          (const char     *id,
                                               LabCheckStatus  status,
                                               const char     *message,
                                               const char     *fix);
void            lab_check_result_free         (LabCheckResult *result);
/* "pass", "warn", "fail", "skip" (the JSON values) */
const char     *lab_check_status_to_string    (LabCheckStatus  status);
/* {"id": ..., "status": "pass", "message": ..., "fix": ... or null} */
JsonNode       *lab_check_result_to_json      (LabCheckResult *result);

typedef struct _LabHostCheck LabHostCheck;

/* sysroot: NULL for $LABCTL_SYSROOT or "/". */
LabHostCheck   *lab_host_check_new            (const char     *sysroot);
void            lab_host_check_free           (LabHostCheck   *self);
const char     *lab_host_check_get_sysroot    (LabHostCheck   *self);

/* The lab the host must carry. Borrowed: must outlive the runs. NULL (the
 * default): memory and cores are judged against the course's default lab
 * (3 nodes of 2 vCPU, 2048 MiB, 10 GiB), the disk check is skipped. */
void            lab_host_check_set_recipe     (LabHostCheck   *self,
                                               LabRecipe      *recipe);
/* NULL: $LABCTL_LIBVIRT_URI or "qemu:///system". */
void            lab_host_check_set_libvirt_uri (LabHostCheck  *self,
                                               const char     *uri);
const char     *lab_host_check_get_libvirt_uri (LabHostCheck  *self);

/* What the last run found about the host's resources (0: unknown): the
 * GUI bounds a lab's sizes with them. */
typedef struct {
  guint   cpus;
  guint64 memory_available_mib;
  guint64 disk_free_bytes;       /* where the recipe's image goes */
} LabHostFacts;
void            lab_host_check_get_facts      (LabHostCheck   *self,
                                               LabHostFacts   *facts);

/* Runs every check, in a fixed order; returns LabCheckResult* (owned). */
GPtrArray      *lab_host_check_run            (LabHostCheck   *self);

/* Helpers over a result array. */
LabCheckResult *lab_check_results_find        (GPtrArray      *results,
                                               const char     *id);
guint           lab_check_results_count       (GPtrArray      *results,
                                               LabCheckStatus  status);
/* {"checks": [...], "summary": {"pass": n, "warn": n, "fail": n, "skip": n}, "ok": bool} */
JsonNode       *lab_check_results_to_json     (GPtrArray      *results);

/* The rules, exposed so that tests can reach every branch with numbers
 * (the real statvfs and libvirt daemons cannot be made to fail on cue). */

/* available/needed in MiB: FAIL when available < needed, WARN under 1.5x. */
LabCheckResult *lab_host_check_judge_memory   (guint64         available_mib,
                                               guint64         needed_mib,
                                               const char     *what);
/* image: the backing file; dir: the existing directory measured (its own
 * or the nearest existing parent); free: bytes free for an unprivileged user in dir; image_left: how much the
 * sparse image may still grow; written: what the installs will really write
 * (sum of node and guest disks, minus what the image already holds).
 * FAIL when free < written, WARN when free < image_left. */
LabCheckResult *lab_host_check_judge_disk     (const char     *image,
                                               const char     *dir,
                                               guint64         free_bytes,
                                               guint64         image_left,
                                               guint64         written);
/* WARN (never FAIL: libvirt overcommits, it is only slow) when the lab has
 * more than 2 vCPUs per host CPU, or one node has more vCPUs than the host
 * has CPUs; WARN when host_cpus is 0 (unknown). PASS otherwise. */
LabCheckResult *lab_host_check_judge_cores    (guint           host_cpus,
                                               guint           total_vcpus,
                                               guint           max_node_vcpus);
/* err: libvirt's error from a failed virConnectOpen*(). */
LabCheckResult *lab_host_check_judge_libvirt_error (const char     *uri,
                                                    const virError *err,
                                                    gboolean        read_write);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabCheckResult, lab_check_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabHostCheck, lab_host_check_free)

G_END_DECLS
