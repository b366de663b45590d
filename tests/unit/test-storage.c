/* test-storage.c: the storage providers on recorded tool output (tgtadm
 * show, pvs/vgs/lvs JSON, blkid), the command lines they build (tgtadm,
 * iscsiadm, LVM), and the storage plan run against a recording LabRunner. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab-error.h"
#include "lab-iscsi.h"
#include "lab-lvm.h"
#include "lab-plan.h"
#include "lab-recipe.h"
#include "lab-storage.h"
#include "lab-tgt.h"

static char *
data_text (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "storage", name, NULL);
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static char *
argv_line (char **argv)
{
  g_autoptr(LabRunner) r = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  char *line = lab_runner_format_argv (r, (const char * const *) argv);
  g_strfreev (argv);
  return line;
}

/* ---- tgt ------------------------------------------------------------- */

static void
test_tgt_parse_show (void)
{
  g_autofree char *text = data_text ("tgtadm-show-two-targets.txt");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) targets = lab_tgt_parse_show (text, &error);
  LabTgtTarget *t;
  LabTgtLun *lun;

  g_assert_no_error (error);
  g_assert_nonnull (targets);
  g_assert_cmpuint (targets->len, ==, 2);

  t = lab_tgt_find_by_iqn (targets, "iqn.2026-11.labctl.lab:course");
  g_assert_nonnull (t);
  g_assert_cmpuint (t->tid, ==, 1);
  g_assert_cmpstr (t->state, ==, "ready");
  g_assert_cmpuint (t->luns->len, ==, 2);
  lun = lab_tgt_target_get_lun (t, 0);
  g_assert_nonnull (lun);
  g_assert_cmpstr (lun->type, ==, "controller");
  g_assert_null (lun->backing_path);
  lun = lab_tgt_target_get_lun (t, 1);
  g_assert_nonnull (lun);
  g_assert_cmpstr (lun->type, ==, "disk");
  g_assert_cmpstr (lun->backing_path, ==, "/tmp/stor-rec/lun1.img");
  g_assert_cmpstr (lun->backing_type, ==, "rdwr");
  g_assert_cmpuint (lun->size_bytes, ==, G_GUINT64_CONSTANT (2147000000));
  g_assert_cmpuint (lun->block_size, ==, 512);
  g_assert_cmpuint (g_strv_length (t->acl), ==, 2);
  g_assert_cmpstr (t->acl[0], ==, "127.0.0.1");
  g_assert_cmpstr (t->acl[1], ==, "192.168.150.0/24");
  g_assert_cmpuint (g_strv_length (t->accounts), ==, 1);
  g_assert_cmpstr (t->accounts[0], ==, "labctl-course");
  g_assert_cmpuint (t->nexus->len, ==, 0);

  t = lab_tgt_find_by_tid (targets, 2);
  g_assert_nonnull (t);
  g_assert_cmpstr (t->iqn, ==, "iqn.2026-11.other:x");
  g_assert_cmpuint (g_strv_length (t->acl), ==, 0);
  g_assert_cmpuint (g_strv_length (t->accounts), ==, 0);
  g_assert_null (lab_tgt_target_get_lun (t, 1));
  g_assert_null (lab_tgt_find_by_tid (targets, 3));
  g_assert_cmpuint (lab_tgt_find_free_tid (targets), ==, 3);
}

/* A field repeated in one LUN (the fuzz target tgt-show found that the
 * first copy leaked; tests/fuzz/tgt-show/leak-repeated-fields): the last
 * one counts. */
static void
test_tgt_parse_repeated (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) targets = lab_tgt_parse_show (
    "Target 1: iqn.x:y\n"
    "    LUN information:\n"
    "        LUN: 1\n"
    "            Type: controller\n"
    "            Type: disk\n"
    "            Backing store type: null\n"
    "            Backing store type: rdwr\n"
    "            Backing store path: /a.img\n"
    "            Backing store path: None\n", &error);
  LabTgtLun *lun;

  g_assert_no_error (error);
  lun = lab_tgt_target_get_lun (g_ptr_array_index (targets, 0), 1);
  g_assert_nonnull (lun);
  g_assert_cmpstr (lun->type, ==, "disk");
  g_assert_cmpstr (lun->backing_type, ==, "rdwr");
  g_assert_null (lun->backing_path);
}

static void
test_tgt_parse_session (void)
{
  g_autofree char *text = data_text ("tgtadm-show-session.txt");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) targets = lab_tgt_parse_show (text, &error);
  LabTgtNexus *n;

  g_assert_no_error (error);
  g_assert_cmpuint (targets->len, ==, 2);
  g_assert_cmpuint (((LabTgtTarget *) g_ptr_array_index (targets, 1))->nexus->len, ==, 0);
  n = g_ptr_array_index (((LabTgtTarget *) g_ptr_array_index (targets, 0))->nexus, 0);
  g_assert_cmpstr (n->initiator, ==, "iqn.2008-11.org.linux-kvm");
  g_assert_cmpstr (n->address, ==, "127.0.0.1");
}

static void
test_tgt_parse_edge (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) empty = lab_tgt_parse_show ("", &error);
  g_autoptr(GPtrArray) bad = NULL;
  g_autoptr(GPtrArray) holes = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (empty->len, ==, 0);
  g_assert_cmpuint (lab_tgt_find_free_tid (empty), ==, 1);
  bad = lab_tgt_parse_show ("Target x: iqn.bad\n", &error);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_TOOL);
  g_assert_null (bad);
  g_clear_error (&error);
  holes = lab_tgt_parse_show ("Target 1: a\nTarget 3: b\n", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lab_tgt_find_free_tid (holes), ==, 2);
}

/* Recorded from a real tgtd (tgt 1.0.85, Debian 12): names bound with
 * --initiator-name and an address with -I are one list under "ACL
 * information:", the addresses first. */
static void
test_tgt_parse_name_acl (void)
{
  g_autofree char *text = data_text ("tgtadm-show-name-acl.txt");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) targets = lab_tgt_parse_show (text, &error);
  LabTgtTarget *t1, *t2;

  g_assert_no_error (error);
  g_assert_cmpuint (targets->len, ==, 2);
  t1 = lab_tgt_find_by_tid (targets, 1);
  t2 = lab_tgt_find_by_tid (targets, 2);
  g_assert_cmpuint (g_strv_length (t1->acl), ==, 0);
  g_assert_cmpuint (g_strv_length (t1->acl_names), ==, 2);
  g_assert_cmpstr (t1->acl_names[0], ==, "iqn.2026-01.test:node1");
  g_assert_cmpstr (t1->acl_names[1], ==, "iqn.2026-01.test:acl:host.labctl");
  g_assert_nonnull (lab_tgt_target_get_lun (t1, 1));
  g_assert_cmpuint (g_strv_length (t2->acl), ==, 1);
  g_assert_cmpstr (t2->acl[0], ==, "10.0.0.0/24");
  g_assert_cmpuint (g_strv_length (t2->acl_names), ==, 1);
  g_assert_cmpstr (t2->acl_names[0], ==, "eui.02004567A425678D");
}

static void
test_tgt_validate_name (void)
{
  const char *good[] = { "iqn.2026-01.labctl.lab:kvm:node1", "iqn.1993-08.org.debian:01:18bf6b96a8de",
                         "iqn.2008-11.org.linux-kvm", "eui.02004567A425678D",
                         "naa.52004567ba64678d", "naa.52004567ba64678d52004567ba64678d" };
  const char *bad[] = { "ALL", "all", "", "127.0.0.1", "10.0.0.0/24", "notaname",
                        "iqn.2026-01.Labctl.lab:node1", "iqn.26-01.lab:node1", "iqn.2026-01.lab:no de",
                        "eui.0200", "naa.52004567ba64678", "iqn.2026-01." };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_assert_true (lab_tgt_validate_initiator_name (good[i], &error));
      g_assert_no_error (error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_assert_false (lab_tgt_validate_initiator_name (bad[i], &error));
      g_assert_error (error, LAB_ERROR, LAB_ERROR_FAILED);
      /* the message names the value */
      if (*bad[i] != '\0')
        g_assert_nonnull (strstr (error->message, bad[i]));
      g_test_message ("%s: %s", bad[i], error->message);
    }
}

static void
test_tgt_validate (void)
{
  const char *good[] = { "127.0.0.1", "192.168.150.0/24", "10.0.0.5", "fd00::1", "fd00::/64" };
  const char *bad[] = { "ALL", "all", "notanaddr", "", "192.168.150.0/33", "10.0.0.300", "host.example" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_assert_true (lab_tgt_validate_initiator (good[i], &error));
      g_assert_no_error (error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_assert_false (lab_tgt_validate_initiator (bad[i], &error));
      g_assert_nonnull (error);
      g_test_message ("%s: %s", bad[i], error->message);
    }
}

static void
test_tgt_commands (void)
{
  g_autofree char *a = argv_line (lab_tgt_argv_new_target (4711, 2, "iqn.2026-01.labctl.lab:course"));
  g_autofree char *b = argv_line (lab_tgt_argv_new_lun (4711, 2, 1, "/var/lib/labctl/course/course.img"));
  g_autofree char *c = argv_line (lab_tgt_argv_bind (0, 2, "192.168.150.0/24"));
  g_autofree char *d = argv_line (lab_tgt_argv_delete_target (4711, 2));
  g_autofree char *e = argv_line (lab_tgt_argv_delete_system (4711));
  g_autofree char *f = argv_line (lab_tgt_argv_daemon (4711, "127.0.0.1", 33260));
  g_autofree char *g = argv_line (lab_tgt_argv_show_targets (0));
  g_autofree char *h = argv_line (lab_tgt_argv_bind_name (0, 2, "iqn.2026-01.labctl.lab:kvm:node1"));
  g_autofree char *i = argv_line (lab_tgt_argv_unbind_name (4711, 2, "iqn.2026-01.labctl.lab:kvm:node1"));

  g_assert_cmpstr (a, ==, "tgtadm -C 4711 --lld iscsi --op new --mode target --tid 2 -T iqn.2026-01.labctl.lab:course");
  g_assert_cmpstr (b, ==, "tgtadm -C 4711 --lld iscsi --op new --mode logicalunit --tid 2 --lun 1 "
                          "-b /var/lib/labctl/course/course.img --bstype rdwr");
  g_assert_cmpstr (c, ==, "tgtadm --lld iscsi --op bind --mode target --tid 2 -I 192.168.150.0/24");
  g_assert_cmpstr (d, ==, "tgtadm -C 4711 --lld iscsi --op delete --mode target --tid 2 --force");
  g_assert_cmpstr (e, ==, "tgtadm -C 4711 --op delete --mode system");
  g_assert_cmpstr (f, ==, "tgtd -f -C 4711 --iscsi portal=127.0.0.1:33260");
  g_assert_cmpstr (g, ==, "tgtadm --lld iscsi --op show --mode target");
  g_assert_cmpstr (h, ==, "tgtadm --lld iscsi --op bind --mode target --tid 2 "
                          "--initiator-name iqn.2026-01.labctl.lab:kvm:node1");
  g_assert_cmpstr (i, ==, "tgtadm -C 4711 --lld iscsi --op unbind --mode target --tid 2 "
                          "--initiator-name iqn.2026-01.labctl.lab:kvm:node1");
}

static void
test_tgt_errors (void)
{
  g_autoptr(LabRunner) r = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  g_auto(GStrv) argv = lab_tgt_argv_new_target (4711, 1, "iqn.x:y");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) targets = NULL;
  gboolean running = TRUE;

  lab_runner_expect (r, "tgtadm -C 4711 --lld iscsi --op new", 22, "",
                     "tgtadm: this target already exists\n");
  g_assert_false (lab_tgt_run (r, (const char * const *) argv, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, "tgtadm -C 4711"));
  g_assert_nonnull (strstr (error->message, "this target already exists"));
  g_clear_error (&error);

  lab_runner_expect (r, "tgtadm -C 4711 --lld iscsi --op show --mode sys", 107, "",
                     "tgtadm: failed to send request hdr to tgt daemon, Transport endpoint is not connected\n");
  g_assert_true (lab_tgt_ping (r, 4711, &running, &error));
  g_assert_no_error (error);
  g_assert_false (running);

  lab_runner_expect (r, "tgtadm -C 4711 --lld iscsi --op show --mode target", 107, "",
                     "tgtadm: failed to send request hdr to tgt daemon, Transport endpoint is not connected\n");
  targets = lab_tgt_show (r, 4711, &error);
  g_assert_null (targets);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_TOOL);
  g_assert_nonnull (strstr (error->message, "tgtd is not running"));
}

/* ---- iscsi ----------------------------------------------------------- */

static void
test_iscsi_commands (void)
{
  const char *iqn = "iqn.2026-01.labctl.lab:course";
  g_autofree char *portal = lab_iscsi_portal ("192.168.150.1", 3260);
  g_autofree char *p6 = lab_iscsi_portal ("fd00::1", 3260);
  g_autofree char *by_path = lab_iscsi_by_path_name ("192.168.150.1", 3260, iqn, 1);
  g_autofree char *disc = argv_line (lab_iscsi_argv_discovery (portal));
  g_autofree char *login = argv_line (lab_iscsi_argv_login (iqn, portal));
  g_autofree char *logout = argv_line (lab_iscsi_argv_logout (iqn, portal));
  g_autofree char *del = argv_line (lab_iscsi_argv_delete_node (iqn, portal));
  g_autofree char *fuse = argv_line (lab_iscsi_argv_fuse_export ("127.0.0.1", 33260, iqn, 1, NULL, "/run/x/lun.fuse",
                                                                 "/run/x/lun.fuse.pid", NULL, NULL));
  g_autofree char *loop = argv_line (lab_iscsi_argv_losetup_attach ("/run/x/lun.fuse"));

  g_assert_cmpstr (portal, ==, "192.168.150.1:3260");
  g_assert_cmpstr (p6, ==, "[fd00::1]:3260");
  g_assert_cmpstr (by_path, ==, "/dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1");
  g_assert_cmpstr (disc, ==, "iscsiadm -m discovery -t sendtargets -p 192.168.150.1:3260");
  g_assert_cmpstr (login, ==, "iscsiadm -m node -T iqn.2026-01.labctl.lab:course -p 192.168.150.1:3260 --login");
  g_assert_cmpstr (logout, ==, "iscsiadm -m node -T iqn.2026-01.labctl.lab:course -p 192.168.150.1:3260 --logout");
  g_assert_cmpstr (del, ==, "iscsiadm -m node -T iqn.2026-01.labctl.lab:course -p 192.168.150.1:3260 -o delete");
  g_assert_cmpstr (fuse, ==, "qemu-storage-daemon --blockdev driver=iscsi,node-name=lun1,transport=tcp,"
                             "portal=127.0.0.1:33260,target=iqn.2026-01.labctl.lab:course,lun=1 "
                             "--export type=fuse,id=exp0,node-name=lun1,mountpoint=/run/x/lun.fuse,writable=on "
                             "--pidfile /run/x/lun.fuse.pid");
  g_assert_cmpstr (loop, ==, "losetup --find --show /run/x/lun.fuse");
}

static void
test_iscsi_sessions (void)
{
  /* open-iscsi's `iscsiadm -m session` line format (iscsi_sysfs / session_info) */
  const char *text =
    "tcp: [1] 192.168.150.1:3260,1 iqn.2026-01.labctl.lab:course (non-flash)\n"
    "tcp: [3] 10.0.0.9:3260,1 iqn.2003-01.org.linux-iscsi.other:sn.1 (non-flash)\n";
  g_autoptr(GPtrArray) s = lab_iscsi_parse_sessions (text);
  g_autoptr(GPtrArray) none = lab_iscsi_parse_sessions ("iscsiadm: No active sessions.\n");
  g_autoptr(LabRunner) r = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  g_autoptr(GError) error = NULL;
  gboolean in = FALSE;

  g_assert_cmpuint (s->len, ==, 2);
  g_assert_cmpstr (((LabIscsiSession *) g_ptr_array_index (s, 0))->portal, ==, "192.168.150.1:3260");
  g_assert_cmpstr (((LabIscsiSession *) g_ptr_array_index (s, 0))->iqn, ==, "iqn.2026-01.labctl.lab:course");
  g_assert_cmpstr (((LabIscsiSession *) g_ptr_array_index (s, 1))->portal, ==, "10.0.0.9:3260");
  g_assert_cmpuint (none->len, ==, 0);

  lab_runner_expect (r, "iscsiadm -m session", 0, text, "");
  g_assert_true (lab_iscsi_has_session (r, "iqn.2026-01.labctl.lab:course", "192.168.150.1:3260", &in, &error));
  g_assert_true (in);
  lab_runner_expect (r, "iscsiadm -m session", 21, "", "iscsiadm: No active sessions.\n");
  g_assert_true (lab_iscsi_has_session (r, "iqn.2026-01.labctl.lab:course", "192.168.150.1:3260", &in, &error));
  g_assert_false (in);
  g_assert_no_error (error);
}

static void
test_iscsi_login (void)
{
  g_autoptr(LabRunner) r = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  g_autoptr(GError) error = NULL;
  GPtrArray *rec;

  /* the real message of this build machine (no iscsi_tcp module) */
  lab_runner_expect (r, "iscsiadm -m session", 21, "", "iscsiadm: No active sessions.\n");
  lab_runner_expect (r, "iscsiadm -m discovery", 12, "",
                     "iscsiadm: Could not perform SendTargets discovery: iSCSI driver not found. "
                     "Please make sure it is loaded, and retry the operation\n");
  g_assert_false (lab_iscsi_login (r, "iqn.x:y", "127.0.0.1:3260", NULL, NULL, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "LABCTL_STORAGE_ATTACH=fuse"));
  g_clear_error (&error);

  /* CHAP: the password is set on the node record and redacted */
  lab_runner_clear_recorded (r);
  lab_runner_expect (r, "iscsiadm -m session", 21, "", "");
  g_assert_true (lab_iscsi_login (r, "iqn.x:y", "127.0.0.1:3260", NULL, "labctl-course", "Sup3rSecretPw1234", &error));
  g_assert_no_error (error);
  rec = lab_runner_get_recorded (r);
  g_assert_cmpuint (rec->len, ==, 6);
  g_assert_cmpstr (g_ptr_array_index (rec, 1), ==, "iscsiadm -m discovery -t sendtargets -p 127.0.0.1:3260");
  g_assert_cmpstr (g_ptr_array_index (rec, 4), ==,
                   "iscsiadm -m node -T iqn.x:y -p 127.0.0.1:3260 -o update -n node.session.auth.password -v '******'");
  g_assert_cmpstr (g_ptr_array_index (rec, 5), ==, "iscsiadm -m node -T iqn.x:y -p 127.0.0.1:3260 --login");
  for (guint i = 0; i < rec->len; i++)
    g_assert_null (strstr (g_ptr_array_index (rec, i), "Sup3rSecretPw1234"));

  /* login refused by the ACL */
  lab_runner_expect (r, "iscsiadm -m session", 21, "", "");
  lab_runner_expect (r, "iscsiadm -m node -T iqn.x:y -p 127.0.0.1:3260 --login", 24, "",
                     "iscsiadm: Could not login to [iface: default, target: iqn.x:y, portal: 127.0.0.1,3260].\n"
                     "iscsiadm: initiator reported error (24 - iSCSI login failed due to authorization failure)\n");
  g_assert_false (lab_iscsi_login (r, "iqn.x:y", "127.0.0.1:3260", NULL, NULL, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_TOOL);
  g_assert_nonnull (strstr (error->message, "ACL"));
}

static void
test_iscsi_attach_method (void)
{
  LabIscsiAttach m;
  g_autoptr(GError) error = NULL;

  g_assert_true (lab_iscsi_attach_from_string (NULL, &m, &error));
  g_assert_cmpint (m, ==, LAB_ISCSI_ATTACH_AUTO);
  g_assert_true (lab_iscsi_attach_from_string ("fuse", &m, &error));
  g_assert_cmpint (m, ==, LAB_ISCSI_ATTACH_FUSE);
  g_assert_true (lab_iscsi_attach_from_string ("iscsiadm", &m, &error));
  g_assert_cmpint (m, ==, LAB_ISCSI_ATTACH_ISCSIADM);
  g_assert_false (lab_iscsi_attach_from_string ("nbd", &m, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_USAGE);
  g_assert_true (lab_iscsi_is_driver_missing (12, ""));
  g_assert_false (lab_iscsi_is_driver_missing (24, "authorization failure"));
}

/* ---- lvm ------------------------------------------------------------- */

static void
test_lvm_parse (void)
{
  g_autofree char *pj = data_text ("pvs.json");
  g_autofree char *vj = data_text ("vgs.json");
  g_autofree char *lj = data_text ("lvs.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) pvs = lab_lvm_parse_pvs (pj, &error);
  g_autoptr(GPtrArray) vgs = lab_lvm_parse_vgs (vj, &error);
  g_autoptr(GPtrArray) lvs = lab_lvm_parse_lvs (lj, &error);
  g_autoptr(GPtrArray) empty = lab_lvm_parse_vgs ("  {\n  \"report\": [ { \"vg\": [ ] } ] }\n", &error);
  LabLvmPv *pv;
  LabLvmVg *vg;
  LabLvmLv *lv;

  g_assert_no_error (error);
  g_assert_cmpuint (pvs->len, ==, 1);
  pv = g_ptr_array_index (pvs, 0);
  g_assert_cmpstr (pv->name, ==, "/dev/loop0");
  g_assert_cmpstr (pv->vg_name, ==, "vg_course");
  g_assert_cmpuint (pv->size, ==, G_GUINT64_CONSTANT (2143289344));
  g_assert_true (lab_lvm_has_tag (pv->tags, "labctl:course"));

  g_assert_cmpuint (vgs->len, ==, 1);
  vg = g_ptr_array_index (vgs, 0);
  g_assert_cmpstr (vg->name, ==, "vg_course");
  g_assert_cmpuint (vg->free, ==, G_GUINT64_CONSTANT (1069547520));
  g_assert_cmpuint (vg->extent_size, ==, 4194304);
  g_assert_cmpuint (vg->lv_count, ==, 2);
  g_assert_true (lab_lvm_has_tag (vg->tags, "labctl:course"));
  g_assert_false (lab_lvm_has_tag (vg->tags, "labctl:other"));

  g_assert_cmpuint (lvs->len, ==, 2);
  lv = g_ptr_array_index (lvs, 1);
  g_assert_cmpstr (lv->name, ==, "lv_pve2");
  g_assert_cmpuint (lv->size, ==, 512 * 1024 * 1024);
  g_assert_true (lab_lvm_has_tag (lv->tags, "labctl:course"));
  g_assert_cmpuint (empty->len, ==, 0);

  g_assert_null (lab_lvm_parse_lvs ("not json", &error));
  g_assert_nonnull (error);
}

/* Reports of the wrong shape, found by the fuzz target lvm-report (each is
 * a file in tests/fuzz/lvm-report/crash-*): an error, never a critical of
 * json-glib (fatal in the tests) or a NULL row. */
static void
test_lvm_parse_malformed (void)
{
  const char *bad[] = {
    "{\"report\":5}",
    "{\"report\":[5]}",
    "{\"report\":[{\"pv\":5}]}",
    "{\"report\":[{\"pv\":[5]}]}",
    NULL,
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) odd = NULL;
  LabLvmPv *pv;

  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_autoptr(GPtrArray) pvs = lab_lvm_parse_pvs (bad[i], &error);

      g_test_message ("%s", bad[i]);
      g_assert_null (pvs);
      g_assert_error (error, LAB_ERROR, LAB_ERROR_TOOL);
      g_clear_error (&error);
    }
  /* a field that is not a string reads as absent */
  odd = lab_lvm_parse_pvs ("{\"report\":[{\"pv\":[{\"pv_name\":5,\"vg_name\":\"vg\",\"pv_tags\":[1]}]}]}", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (odd->len, ==, 1);
  pv = g_ptr_array_index (odd, 0);
  g_assert_cmpstr (pv->name, ==, "");
  g_assert_cmpstr (pv->vg_name, ==, "vg");
  g_assert_cmpuint (g_strv_length (pv->tags), ==, 0);
}

static void
test_lvm_commands (void)
{
  g_autofree char *tag = lab_lvm_tag ("course");
  g_autofree char *vg = argv_line (lab_lvm_argv_vgcreate ("/dev/loop3", "vg_iscsi", tag));
  g_autofree char *lv = argv_line (lab_lvm_argv_lvcreate ("/dev/loop3", "vg_iscsi", "lv_pve1", 10 * LAB_GIB, tag));
  g_autofree char *lvs = argv_line (lab_lvm_argv_lvs ("/dev/loop3", "vg_iscsi"));
  g_autofree char *vgs_all = argv_line (lab_lvm_argv_vgs ("/dev/nvme0n1p3,/dev/sda", "vg_iscsi"));
  g_autofree char *rm = argv_line (lab_lvm_argv_lvremove ("/dev/loop3", "vg_iscsi", "lv_pve1"));

  g_assert_cmpstr (tag, ==, "labctl:course");
  g_assert_cmpstr (vg, ==, "vgcreate --devices /dev/loop3 --addtag labctl:course vg_iscsi /dev/loop3");
  g_assert_cmpstr (lv, ==, "lvcreate --devices /dev/loop3 -y -L 10737418240b -n lv_pve1 --addtag labctl:course vg_iscsi");
  g_assert_cmpstr (lvs, ==, "lvs --devices /dev/loop3 --reportformat json --units b --nosuffix "
                            "-o lv_name,vg_name,lv_size,lv_tags,vg_tags,pv_count vg_iscsi");
  g_assert_cmpstr (vgs_all, ==, "vgs --devices /dev/nvme0n1p3,/dev/sda --reportformat json --units b --nosuffix "
                                "-o vg_name,vg_size,vg_free,vg_tags,pv_count,lv_count,vg_extent_size vg_iscsi");
  g_assert_cmpstr (rm, ==, "lvremove --devices /dev/loop3 -y vg_iscsi/lv_pve1");
}

/* A fake sysfs block class: name -> where its symlink points (under
 * sys/devices), and a loop device's backing file ("" when detached). */
static void
fake_block (const char *root, const char *name, const char *devpath, const char *backing)
{
  g_autofree char *class_dir = g_build_filename (root, "sys", "class", "block", NULL);
  g_autofree char *link = g_build_filename (class_dir, name, NULL);
  g_autofree char *target = g_build_filename (root, "sys", "devices", devpath, NULL);
  g_autofree char *rel = g_strconcat ("../../devices/", devpath, NULL);

  g_assert_cmpint (g_mkdir_with_parents (class_dir, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (target, 0755), ==, 0);
  g_assert_cmpint (symlink (rel, link), ==, 0);
  if (backing != NULL && *backing != '\0')
    {
      g_autofree char *loop = g_build_filename (target, "loop", NULL);
      g_autofree char *bf = g_build_filename (loop, "backing_file", NULL);
      g_autofree char *text = g_strconcat (backing, "\n", NULL);

      g_assert_cmpint (g_mkdir_with_parents (loop, 0755), ==, 0);
      g_assert_true (g_file_set_contents (bf, text, -1, NULL));
    }
}

/* The one LVM query past the lab's disk (is the VG name free?) names the
 * host's local devices only: never an iSCSI disk, a loop device over a FUSE
 * export (both hang once their server is gone), device-mapper, nbd, zram,
 * an optical drive or a detached loop; never the lab's own device. */
static void
test_lvm_host_devices (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("labctl-sysfs-XXXXXX", &error);
  g_autofree char *proc = g_build_filename (root, "proc", NULL);
  g_autofree char *mounts = g_build_filename (proc, "mounts", NULL);
  g_autofree char *devs = NULL;
  g_autofree char *none = NULL;
  g_autofree char *rm = NULL;
  const char *exclude[] = { "/dev/loop5", NULL };

  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir_with_parents (proc, 0755), ==, 0);
  g_assert_true (g_file_set_contents (mounts,
                                      "/dev/sda1 / ext4 rw 0 0\n"
                                      "qemu-storage-daemon /var/lib/labctl/a/a-lun1.fuse fuse rw 0 0\n"
                                      "sshfs#x /mnt/my\\040share fuse.sshfs rw 0 0\n", -1, NULL));
  none = lab_lvm_host_devices (root, NULL);
  g_assert_null (none);

  fake_block (root, "sda", "pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda", NULL);
  fake_block (root, "sda1", "pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda1", NULL);
  fake_block (root, "nvme0n1", "pci0000:00/0000:00:1d.0/nvme/nvme0/nvme0n1", NULL);
  fake_block (root, "sr0", "pci0000:00/0000:00:17.0/ata2/host1/target1:0:0/1:0:0:0/block/sr0", NULL);
  /* an iSCSI LUN (another lab's, or the host's): under its session */
  fake_block (root, "sdb", "platform/host3/session1/target3:0:0/3:0:0:1/block/sdb", NULL);
  fake_block (root, "md0", "virtual/block/md0", NULL);
  fake_block (root, "dm-0", "virtual/block/dm-0", NULL);
  fake_block (root, "nbd0", "virtual/block/nbd0", NULL);
  fake_block (root, "zram0", "virtual/block/zram0", NULL);
  fake_block (root, "loop0", "virtual/block/loop0", "/var/lib/images/disk.img");
  fake_block (root, "loop1", "virtual/block/loop1", "/var/lib/labctl/a/a-lun1.fuse");
  fake_block (root, "loop2", "virtual/block/loop2", "/mnt/my share/x.img");
  fake_block (root, "loop3", "virtual/block/loop3", "");   /* detached */
  fake_block (root, "loop5", "virtual/block/loop5", "/srv/lab.img");  /* the lab's own */

  devs = lab_lvm_host_devices (root, exclude);
  g_assert_cmpstr (devs, ==, "/dev/loop0,/dev/md0,/dev/nvme0n1,/dev/sda,/dev/sda1");
  rm = g_strdup_printf ("rm -rf '%s'", root);
  g_assert_true (g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL));
}

static void
test_lvm_foreign (void)
{
  g_autofree char *blkid = data_text ("blkid-lvm.txt");
  g_autofree char *pvs_other = NULL;
  g_autoptr(LabRunner) r = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  g_autoptr(GError) error = NULL;
  g_autofree char *type = lab_lvm_parse_blkid (blkid);
  g_autofree char *pt = lab_lvm_parse_blkid ("DEVNAME=/dev/sdb\nPTUUID=1234\nPTTYPE=gpt\n");
  gboolean is_pv = TRUE;

  g_assert_cmpstr (type, ==, "LVM2_member");
  g_assert_cmpstr (pt, ==, "gpt");

  /* blank: fine */
  lab_runner_expect (r, "blkid -p", 2, "", "");
  g_assert_true (lab_lvm_check_device (r, "/dev/loop3", "labctl:course", FALSE, &is_pv, &error));
  g_assert_no_error (error);
  g_assert_false (is_pv);

  /* ext4: refused */
  lab_runner_expect (r, "blkid -p", 0, "DEVNAME=/dev/loop3\nUUID=abc\nBLOCK_SIZE=4096\nTYPE=ext4\n", "");
  g_assert_false (lab_lvm_check_device (r, "/dev/loop3", "labctl:course", FALSE, &is_pv, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_assert_nonnull (strstr (error->message, "ext4"));
  g_clear_error (&error);

  /* a PV of someone else's VG: refused */
  pvs_other = g_strdup ("{\"report\":[{\"pv\":[{\"pv_name\":\"/dev/loop3\", \"vg_name\":\"data\", "
                        "\"pv_size\":\"1\", \"pv_free\":\"0\", \"pv_tags\":\"\"}]}]}");
  lab_runner_expect (r, "blkid -p", 0, blkid, "");
  lab_runner_expect (r, "pvs", 0, pvs_other, "");
  lab_runner_expect (r, "vgs", 0, "{\"report\":[{\"vg\":[{\"vg_name\":\"data\", \"vg_tags\":\"\"}]}]}", "");
  g_assert_false (lab_lvm_check_device (r, "/dev/loop3", "labctl:course", FALSE, &is_pv, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_assert_nonnull (strstr (error->message, "\"data\""));
  g_clear_error (&error);

  /* the lab's own PV (tagged): accepted as already done */
  lab_runner_expect (r, "blkid -p", 0, blkid, "");
  lab_runner_expect (r, "pvs", 0, data_text ("pvs.json"), "");
  g_assert_true (lab_lvm_check_device (r, "/dev/loop0", "labctl:course", FALSE, &is_pv, &error));
  g_assert_no_error (error);
  g_assert_true (is_pv);
}

/* ---- the plan, recorded ---------------------------------------------- */

static LabRecipe *
test_recipe (const char *dir, const char *extra)
{
  g_autofree char *text = g_strdup_printf (
    "[lab]\nname = unit\nflavor = kvm\n"
    "[storage]\nsize = 2G\nportal = 127.0.0.1:33260\ncontrol-port = 4711\nbacking-file = %s/unit.img\n"
    "vg = vg_unit\n%s"
    "[network]\nsubnet = 10.77.0.0/24\n"
    "[nodes]\ncount = 2\ndisk = 512M\n", dir, extra);
  g_autoptr(GError) error = NULL;
  LabRecipe *r = lab_recipe_load_data (text, -1, "unit.lab", &error);

  g_assert_no_error (error);
  return r;
}

static gboolean
recorded_has (LabRunner *r, const char *prefix)
{
  GPtrArray *rec = lab_runner_get_recorded (r);

  for (guint i = 0; i < rec->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (rec, i), prefix))
      return TRUE;
  return FALSE;
}

static void
test_plan_recorded (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("labctl-storage-XXXXXX", &error);
  g_autoptr(LabRecipe) recipe = test_recipe (dir, "");
  g_autoptr(LabState) state = lab_state_new_in_memory ("unit");
  g_autoptr(LabRunner) r = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  g_autoptr(LabPlan) plan = NULL;
  g_autofree char *img = g_build_filename (dir, "unit.img", NULL);
  LabContext ctx = { 0 };
  GPtrArray *rec;
  struct stat st;

  ctx.recipe = recipe;
  ctx.state = state;
  ctx.runner = r;
  ctx.sysroot = "/";
  g_unsetenv ("LABCTL_STORAGE_ATTACH");
  plan = lab_plan_new (&ctx);
  g_assert_true (lab_storage_add_steps (plan, &ctx, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (lab_plan_get_n_steps (plan), ==, 10);
  g_assert_true (lab_plan_needs_root (plan, FALSE));

  /* no tgtd yet, no kernel initiator: as on this build machine */
  lab_runner_expect (r, "tgtadm -C 4711 --lld iscsi --op show --mode sys", 107, "", "tgtadm: failed to send request hdr\n");
  lab_runner_expect (r, "iscsiadm -m session", 21, "", "iscsiadm: No active sessions.\n");
  lab_runner_expect (r, "iscsiadm -m discovery", 12, "", "iscsiadm: iSCSI driver not found.\n");
  lab_runner_expect (r, "losetup --find --show", 0, "/dev/loop7\n", "");
  lab_runner_expect (r, "blkid -p", 2, "", "");
  g_assert_true (lab_plan_up (plan, &error));
  g_assert_no_error (error);

  rec = lab_runner_get_recorded (r);
  for (guint i = 0; i < rec->len; i++)
    {
      const char *line = g_ptr_array_index (rec, i);
      g_auto(GStrv) words = g_strsplit (line, " ", 3);
      const char *cmd = words[0] != NULL ? words[0] : "";

      g_test_message ("%s", line);
      g_assert_null (strstr (line, "-I ALL"));
      /* every LVM command is restricted to named devices */
      if (g_str_has_prefix (cmd, "pv") || g_str_has_prefix (cmd, "vg") || g_str_has_prefix (cmd, "lv"))
        g_assert_cmpstr (words[1], ==, "--devices");
    }
  g_assert_true (recorded_has (r, "tgtd -f -C 4711 --iscsi portal=127.0.0.1:33260"));
  g_assert_true (recorded_has (r, "tgtadm -C 4711 --lld iscsi --op new --mode target --tid 1 -T iqn.2026-01.labctl.lab:unit"));
  /* a kvm lab: its nodes and the host by name, no address */
  g_assert_true (recorded_has (r, "tgtadm -C 4711 --lld iscsi --op bind --mode target --tid 1 "
                                  "--initiator-name iqn.2026-01.labctl.lab:unit:node1"));
  g_assert_true (recorded_has (r, "tgtadm -C 4711 --lld iscsi --op bind --mode target --tid 1 "
                                  "--initiator-name iqn.2026-01.labctl.lab:unit:node2"));
  g_assert_true (recorded_has (r, "tgtadm -C 4711 --lld iscsi --op bind --mode target --tid 1 "
                                  "--initiator-name iqn.2026-01.labctl.lab:unit:host.labctl"));
  g_assert_false (recorded_has (r, "tgtadm -C 4711 --lld iscsi --op bind --mode target --tid 1 -I"));
  /* iscsiadm: the host's name in labctl's iface, discovery through it; the
   * failed discovery (no kernel initiator) takes the iface away before the
   * FUSE fallback */
  {
    g_autofree char *iface = lab_iscsi_iface_name ("iqn.2026-01.labctl.lab:unit");
    g_autofree char *mk = g_strdup_printf ("iscsiadm -m iface -I %s -o new", iface);
    g_autofree char *set = g_strdup_printf ("iscsiadm -m iface -I %s -o update -n iface.initiatorname "
                                            "-v iqn.2026-01.labctl.lab:unit:host.labctl", iface);
    g_autofree char *disc = g_strdup_printf ("iscsiadm -m discovery -t sendtargets -p 127.0.0.1:33260 -I %s", iface);
    g_autofree char *del = g_strdup_printf ("iscsiadm -m iface -I %s -o delete", iface);

    g_assert_true (recorded_has (r, mk));
    g_assert_true (recorded_has (r, set));
    g_assert_true (recorded_has (r, disc));
    g_assert_true (recorded_has (r, del));
  }
  g_assert_cmpstr (lab_state_get_string (state, "storage.acl.names"), ==,
                   "iqn.2026-01.labctl.lab:unit:node1;iqn.2026-01.labctl.lab:unit:node2;"
                   "iqn.2026-01.labctl.lab:unit:host.labctl");
  g_assert_null (lab_state_get_string (state, "storage.acl.addresses"));
  /* the host logs in with the name the ACL lists, not QEMU's default */
  g_assert_true (recorded_has (r, "qemu-storage-daemon --blockdev driver=iscsi,node-name=lun1,transport=tcp,"
                                  "portal=127.0.0.1:33260,target=iqn.2026-01.labctl.lab:unit,lun=1,"
                                  "initiator-name=iqn.2026-01.labctl.lab:unit:host.labctl "));
  g_assert_true (recorded_has (r, "pvcreate --devices /dev/loop7 /dev/loop7"));
  g_assert_true (recorded_has (r, "vgcreate --devices /dev/loop7 --addtag labctl:unit vg_unit /dev/loop7"));
  g_assert_true (recorded_has (r, "lvcreate --devices /dev/loop7 -y -L 536870912b -n lv_node2 --addtag labctl:unit vg_unit"));

  /* the image is real, sparse, marked */
  g_assert_cmpint (g_stat (img, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 2 * LAB_GIB);
  g_assert_cmpint (st.st_blocks, <, 64);
  g_assert_cmpstr (lab_state_get_string (state, "storage.image.path"), ==, img);
  g_assert_cmpstr (lab_state_get_string (state, "storage.attach.method"), ==, "fuse");
  g_assert_cmpstr (lab_state_get_string (state, "storage.attach.device"), ==, "/dev/loop7");
  g_assert_cmpint (lab_state_get_int (state, "storage.target.tid", 0), ==, 1);

  /* down in record mode: nothing answers, every step still forgets its part */
  lab_runner_clear_recorded (r);
  g_assert_true (lab_plan_down (plan, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (img, G_FILE_TEST_EXISTS));
  g_assert_true (recorded_has (r, "tgtadm -C 4711 --op delete --mode system"));
  g_assert_true (lab_state_is_empty (state));
  g_rmdir (dir);
}

static void
test_plan_foreign_image (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("labctl-storage-XXXXXX", &error);
  g_autoptr(LabRecipe) recipe = test_recipe (dir, "");
  g_autoptr(LabState) state = lab_state_new_in_memory ("unit");
  g_autoptr(LabRunner) r = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  g_autoptr(LabPlan) plan = NULL;
  g_autofree char *img = g_build_filename (dir, "unit.img", NULL);
  LabContext ctx = { 0 };

  g_assert_true (g_file_set_contents (img, "someone's data", -1, NULL));
  ctx.recipe = recipe;
  ctx.state = state;
  ctx.runner = r;
  plan = lab_plan_new (&ctx);
  g_assert_true (lab_storage_add_steps (plan, &ctx, &error));
  g_assert_false (lab_plan_up (plan, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_test_message ("%s", error->message);
  g_assert_cmpuint (lab_runner_get_recorded (r)->len, ==, 0);
  /* and down leaves it alone */
  g_clear_error (&error);
  g_assert_true (lab_plan_down (plan, &error));
  g_assert_true (g_file_test (img, G_FILE_TEST_EXISTS));
  g_unlink (img);
  g_rmdir (dir);
}

static void
test_plan_describe (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRecipe) recipe = test_recipe ("/nonexistent", "chap = true\n");
  g_autoptr(LabState) state = lab_state_new_in_memory ("unit");
  g_autoptr(LabRunner) r = lab_runner_new (LAB_RUNNER_MODE_DRY_RUN);
  g_autoptr(LabPlan) plan = NULL;
  g_autoptr(GString) up = g_string_new (NULL);
  g_autoptr(GString) down = g_string_new (NULL);
  LabContext ctx = { 0 };

  ctx.recipe = recipe;
  ctx.state = state;
  ctx.runner = r;
  ctx.dry_run = TRUE;
  g_setenv ("LABCTL_STORAGE_ATTACH", "iscsiadm", TRUE);
  plan = lab_plan_new (&ctx);
  g_assert_true (lab_storage_add_steps (plan, &ctx, &error));
  g_unsetenv ("LABCTL_STORAGE_ATTACH");
  g_assert_cmpuint (lab_plan_get_n_steps (plan), ==, 11);
  lab_plan_describe (plan, FALSE, up);
  lab_plan_describe (plan, TRUE, down);
  g_test_message ("%s", up->str);
  g_assert_nonnull (strstr (up->str, "tgtadm -C 4711 --lld iscsi --op new --mode account --user labctl-unit --password '******'"));
  g_assert_nonnull (strstr (up->str, "iscsiadm -m node -T iqn.2026-01.labctl.lab:unit -p 127.0.0.1:33260 --login"));
  g_assert_nonnull (strstr (up->str, "pvcreate --devices /dev/disk/by-path/ip-127.0.0.1:33260-iscsi-iqn.2026-01.labctl.lab:unit-lun-1"));
  g_assert_null (strstr (up->str, "ALL"));
  g_assert_nonnull (strstr (down->str, "lvremove --devices"));
  g_assert_nonnull (strstr (down->str, "iscsiadm -m node -T iqn.2026-01.labctl.lab:unit -p 127.0.0.1:33260 --logout"));
  /* nothing ran */
  g_assert_cmpuint (lab_runner_get_recorded (r)->len, ==, 0);
  g_assert_true (lab_state_is_empty (state));
}

static LabRecipe *
acl_recipe (const char *flavor, const char *subnet, const char *portal)
{
  g_autofree char *text = g_strdup_printf ("[lab]\nname = inside\nflavor = %s\n[network]\nsubnet = %s\n"
                                           "[storage]\n%s%s\n", flavor, subnet,
                                           portal != NULL ? "portal = " : "", portal != NULL ? portal : "");
  g_autoptr(GError) error = NULL;
  LabRecipe *r = lab_recipe_load_data (text, -1, "inside.lab", &error);

  g_assert_no_error (error);
  return r;
}

static void
test_plan_acl (void)
{
  g_autoptr(LabRecipe) outside = acl_recipe ("container", "10.77.0.0/24", "127.0.0.1:33260");
  g_autoptr(LabRecipe) inside = acl_recipe ("proxmox", "192.168.150.0/24", NULL);
  g_autoptr(LabRecipe) kvm = test_recipe ("/x", "");
  g_auto(GStrv) a = lab_storage_acl_for_recipe (outside);
  g_auto(GStrv) b = lab_storage_acl_for_recipe (inside);
  g_auto(GStrv) an = lab_storage_acl_names_for_recipe (outside);
  g_auto(GStrv) bn = lab_storage_acl_names_for_recipe (inside);
  g_auto(GStrv) k = lab_storage_acl_for_recipe (kvm);
  g_auto(GStrv) kn = lab_storage_acl_names_for_recipe (kvm);
  g_autofree char *host = lab_storage_host_initiator (kvm);
  g_autofree char *no_host = lab_storage_host_initiator (inside);

  /* by address: the portal outside the subnet, and the subnet */
  g_assert_cmpuint (g_strv_length (a), ==, 2);
  g_assert_cmpstr (a[0], ==, "127.0.0.1");
  g_assert_cmpstr (a[1], ==, "10.77.0.0/24");
  g_assert_cmpuint (g_strv_length (an), ==, 0);
  /* the portal is the gateway: inside the subnet already; proxmox nodes'
   * names are not known before install: by address too */
  g_assert_cmpuint (g_strv_length (b), ==, 1);
  g_assert_cmpstr (b[0], ==, "192.168.150.0/24");
  g_assert_cmpuint (g_strv_length (bn), ==, 0);
  g_assert_null (no_host);
  /* kvm: every node's own name and the host's, no address (tgtd admits a
   * login when either list matches) */
  g_assert_cmpuint (g_strv_length (k), ==, 0);
  g_assert_cmpuint (g_strv_length (kn), ==, 3);
  g_assert_cmpstr (kn[0], ==, "iqn.2026-01.labctl.lab:unit:node1");
  g_assert_cmpstr (kn[1], ==, "iqn.2026-01.labctl.lab:unit:node2");
  g_assert_cmpstr (kn[2], ==, host);
  g_assert_cmpstr (host, ==, "iqn.2026-01.labctl.lab:unit:host.labctl");
  for (guint i = 0; kn[i] != NULL; i++)
    g_assert_true (lab_tgt_validate_initiator_name (kn[i], NULL));
}

/* The acceptance line: `labctl storage up --dry-run --recipe recipes/proxmox-3node.lab`
 * as a normal user, without any daemon: tgtadm, iscsiadm and LVM command
 * lines, no bind to ALL; nothing is created. */
static void
test_cli_dry_run (void)
{
  const char *labctl = g_getenv ("LABCTL");
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("labctl-storage-cli-XXXXXX", &error);
  g_autofree char *recipe = g_build_filename (LABCTL_SOURCE_DIR, "recipes", "proxmox-3node.lab", NULL);
  g_auto(GStrv) env = g_environ_setenv (g_get_environ (), "LABCTL_STATE_DIR", tmp, TRUE);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *down_out = NULL;
  g_autofree char *usage_err = NULL;
  int status = -1;
  const char *up_argv[] = { labctl, "storage", "up", "--dry-run", "--recipe", recipe, NULL };
  const char *down_argv[] = { labctl, "storage", "down", "--dry-run", "--recipe", recipe, NULL };
  const char *bad_argv[] = { labctl, "storage", "sideways", NULL };

  if (labctl == NULL)
    {
      g_test_skip ("LABCTL is not set (run through meson test)");
      return;
    }
  env = g_environ_unsetenv (env, "LABCTL_STORAGE_ATTACH");
  g_assert_true (g_spawn_sync (NULL, (char **) up_argv, env, 0, NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "tgtadm --lld iscsi --op new --mode target --tid 1 -T iqn.2026-01.labctl.lab:course"));
  g_assert_nonnull (strstr (out, "tgtadm --lld iscsi --op bind --mode target --tid 1 -I 192.168.150.0/24"));
  g_assert_nonnull (strstr (out, "iscsiadm -m discovery -t sendtargets -p 192.168.150.1:3260"));
  g_assert_nonnull (strstr (out, "iscsiadm -m node -T iqn.2026-01.labctl.lab:course -p 192.168.150.1:3260 --login"));
  g_assert_nonnull (strstr (out, "pvcreate --devices /dev/disk/by-path/ip-192.168.150.1:3260-iscsi-iqn.2026-01.labctl.lab:course-lun-1"));
  g_assert_nonnull (strstr (out, "vgcreate --devices"));
  g_assert_nonnull (strstr (out, "-n lv_pve3 --addtag labctl:course vg_iscsi"));
  g_assert_null (strstr (out, "ALL"));
  g_assert_true (g_spawn_sync (NULL, (char **) down_argv, env, 0, NULL, NULL, &down_out, NULL, &status, &error));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (down_out, "iscsiadm -m node -T iqn.2026-01.labctl.lab:course -p 192.168.150.1:3260 --logout"));
  g_assert_nonnull (strstr (down_out, "lvremove --devices"));
  /* nothing was made */
  {
    g_autofree char *lab_dir = g_build_filename (tmp, "course", NULL);
    g_assert_false (g_file_test (lab_dir, G_FILE_TEST_EXISTS));
  }
  g_assert_true (g_spawn_sync (NULL, (char **) bad_argv, env, 0, NULL, NULL, NULL, &usage_err, &status, &error));
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 2);
  g_assert_nonnull (strstr (usage_err, "sideways"));
  g_rmdir (tmp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

  g_test_add_func ("/storage/tgt/parse-show", test_tgt_parse_show);
  g_test_add_func ("/storage/tgt/parse-session", test_tgt_parse_session);
  g_test_add_func ("/storage/tgt/parse-repeated", test_tgt_parse_repeated);
  g_test_add_func ("/storage/tgt/parse-edge", test_tgt_parse_edge);
  g_test_add_func ("/storage/tgt/validate", test_tgt_validate);
  g_test_add_func ("/storage/tgt/parse-name-acl", test_tgt_parse_name_acl);
  g_test_add_func ("/storage/tgt/validate-name", test_tgt_validate_name);
  g_test_add_func ("/storage/tgt/commands", test_tgt_commands);
  g_test_add_func ("/storage/tgt/errors", test_tgt_errors);
  g_test_add_func ("/storage/iscsi/commands", test_iscsi_commands);
  g_test_add_func ("/storage/iscsi/sessions", test_iscsi_sessions);
  g_test_add_func ("/storage/iscsi/login", test_iscsi_login);
  g_test_add_func ("/storage/iscsi/attach-method", test_iscsi_attach_method);
  g_test_add_func ("/storage/lvm/parse", test_lvm_parse);
  g_test_add_func ("/storage/lvm/parse-malformed", test_lvm_parse_malformed);
  g_test_add_func ("/storage/lvm/commands", test_lvm_commands);
  g_test_add_func ("/storage/lvm/foreign", test_lvm_foreign);
  g_test_add_func ("/storage/lvm/host-devices", test_lvm_host_devices);
  g_test_add_func ("/storage/plan/recorded", test_plan_recorded);
  g_test_add_func ("/storage/plan/foreign-image", test_plan_foreign_image);
  g_test_add_func ("/storage/plan/describe", test_plan_describe);
  g_test_add_func ("/storage/plan/acl", test_plan_acl);
  g_test_add_func ("/storage/cli/dry-run", test_cli_dry_run);

  return g_test_run ();
}
