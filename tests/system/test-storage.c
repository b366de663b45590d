/* test-storage.c: the storage steps against a real tgtd on loopback, with
 * private control ports and random high portal ports; the target verified
 * from outside with libiscsi (iscsi-ls, iscsi-inq, iscsi-readcapacity16);
 * LVM for real on the LUN attached through qemu-storage-daemon (FUSE) and a
 * loop device, with activation disabled in a private LVM_SYSTEM_DIR.
 *
 * Root only. Everything it makes (tgtd, qemu-storage-daemon, loop devices,
 * files) is removed at the end, also after a failed assertion. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "lab-error.h"
#include "lab-lvm.h"
#include "lab-test-lvm.h"
#include "lab-plan.h"
#include "lab-recipe.h"
#include "lab-state.h"
#include "lab-storage.h"
#include "lab-tgt.h"

static struct {
  char    *dir;
  char    *lvm_dir;
  guint16  cp_a, pp_a;     /* lab A: labctl starts tgtd on 127.0.0.1 */
  guint16  cp_b, pp_b;     /* lab B: the test runs tgtd on 127.0.0.2 ("system service") */
  char    *recipe_a;
  char    *recipe_b;
  char    *lab_a, *lab_b;
  char    *vg;
  GPid     tgtd_b;
  GPtrArray *loops;        /* loop devices the test made */
} F;

/* ---- helpers --------------------------------------------------------- */

static gboolean
port_free (guint16 port)
{
  g_autoptr(GError) error = NULL;
  return lab_tgt_check_portal_free ("127.0.0.1", port, &error)
         && lab_tgt_check_portal_free ("127.0.0.2", port, &error);
}

static guint16
pick_port (guint lo, guint span)
{
  for (int i = 0; i < 100; i++)
    {
      guint16 p = lo + g_random_int_range (0, span);
      g_autofree char *sock = g_strdup_printf ("/run/tgtd/socket.%u", p);
      if (port_free (p) && !g_file_test (sock, G_FILE_TEST_EXISTS))
        return p;
    }
  return 0;
}

/* Runs a verification tool directly (tests may; the product may not). */
static int
run_tool (char **out, const char *first, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *err = NULL;
  g_autofree char *ignored = NULL;
  g_autoptr(GError) error = NULL;
  int status = -1;
  va_list ap;

  /* never let a tool write into the TAP stream */
  if (out == NULL)
    out = &ignored;

  va_start (ap, first);
  for (const char *s = first; s != NULL; s = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) s);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     out, &err, &status, &error))
    {
      g_test_message ("%s: %s", first, error->message);
      return -1;
    }
  if (err != NULL && *err != '\0')
    g_test_message ("%s stderr: %s", first, g_strstrip (err));
  return g_spawn_check_wait_status (status, NULL) ? 0 : (WIFEXITED (status) ? WEXITSTATUS (status) : 255);
}

/* A kvm recipe: its target admits the nodes' and the host's initiator
 * names (lab_storage_acl_names_for_recipe()); container: by address. */
static char *
write_recipe_flavor (const char *flavor, const char *lab, const char *portal, guint16 cp,
                     const char *subnet, const char *extra)
{
  g_autofree char *path = g_strdup_printf ("%s/%s.lab", F.dir, lab);
  g_autofree char *text = g_strdup_printf (
    "[lab]\nname = %s\nflavor = %s\n"
    "[storage]\nsize = 1G\nportal = %s\ncontrol-port = %u\nbacking-file = %s/%s.img\nvg = %s\n%s"
    "[network]\nsubnet = %s\n"
    "[nodes]\ncount = 2\ndisk = 256M\n",
    lab, flavor, portal, cp, F.dir, lab, F.vg, extra, subnet);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return g_steal_pointer (&path);
}

static char *
write_recipe_full (const char *lab, const char *portal, guint16 cp, const char *subnet, const char *extra)
{
  return write_recipe_flavor ("kvm", lab, portal, cp, subnet, extra);
}

/* The initiator name of the kvm lab's first node: admitted by name. */
static char *
node1_initiator (LabRecipe *recipe)
{
  return g_strdup_printf ("%s:node1", recipe->iqn);
}

static char *
write_recipe (const char *lab, const char *portal, guint16 cp, const char *subnet)
{
  return write_recipe_full (lab, portal, cp, subnet, "");
}

/* One `labctl storage up|down` through the library, as cmd-storage does.
 * recorded: the command lines run (may be NULL). */
static gboolean
storage_run (const char *recipe_path, LabStorageParts parts, gboolean down,
             GPtrArray **recorded, GError **error)
{
  g_autoptr(LabRecipe) recipe = lab_recipe_load (recipe_path, error);
  g_autoptr(LabState) state = NULL;
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  g_autoptr(LabPlan) plan = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *log = NULL;
  LabContext ctx = { 0 };
  gboolean ok;

  if (recipe == NULL)
    return FALSE;
  dir = lab_state_dir_for_lab (recipe->name);
  state = lab_state_load (dir, recipe->name, error);
  if (state == NULL)
    return FALSE;
  g_mkdir_with_parents (dir, 0700);
  log = g_build_filename (dir, "labctl.log", NULL);
  lab_runner_set_log_path (runner, log);
  ctx.recipe = recipe;
  ctx.state = state;
  ctx.runner = runner;
  ctx.sysroot = "/";
  plan = lab_plan_new (&ctx);
  if (!lab_storage_add_steps_parts (plan, &ctx, parts, error))
    return FALSE;
  ok = down ? lab_plan_down (plan, error) : lab_plan_up (plan, error);
  if (recorded != NULL)
    {
      GPtrArray *rec = lab_runner_get_recorded (runner);
      *recorded = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < rec->len; i++)
        g_ptr_array_add (*recorded, g_strdup (g_ptr_array_index (rec, i)));
    }
  return ok;
}

static guint
count_prefix (GPtrArray *lines, const char *needle)
{
  guint n = 0;
  for (guint i = 0; lines != NULL && i < lines->len; i++)
    if (strstr (g_ptr_array_index (lines, i), needle) != NULL)
      n++;
  return n;
}

static GPtrArray *
targets_on (guint16 cp)
{
  g_autoptr(LabRunner) r = lab_runner_new (LAB_RUNNER_MODE_REAL);
  g_autoptr(GError) error = NULL;
  GPtrArray *t = lab_tgt_show (r, cp, &error);

  if (t == NULL)
    g_test_message ("tgtadm show on %u: %s", cp, error->message);
  return t;
}

static gboolean
tgtd_answers (guint16 cp)
{
  g_autoptr(LabRunner) r = lab_runner_new (LAB_RUNNER_MODE_REAL);
  gboolean running = FALSE;
  lab_tgt_ping (r, cp, &running, NULL);
  return running;
}

static char *
image_of (const char *lab)
{
  return g_strdup_printf ("%s/%s.img", F.dir, lab);
}

static char *
state_dir (const char *lab)
{
  return lab_state_dir_for_lab (lab);
}

/* libiscsi from outside, logging in as initiator (NULL: libiscsi's own
 * default name): the lines go to the test log. */
static void
verify_with_libiscsi (const char *host, guint16 port, const char *iqn, const char *initiator,
                      gboolean expect_admitted, guint64 expect_size)
{
  g_autofree char *portal_url = g_strdup_printf ("iscsi://%s:%u", host, port);
  g_autofree char *lun_url = g_strdup_printf ("iscsi://%s:%u/%s/1", host, port, iqn);
  g_autofree char *name = g_strdup_printf ("--initiator-name=%s", initiator != NULL ? initiator : "");
  g_autofree char *ls = NULL;
  /* with a name: the URL form and -i NAME (this libiscsi's iscsi-ls
   * lists nothing with -s, or with --initiator-name=NAME);
   * iscsi-readcapacity16 of LUN 1 below proves the LUN */
  int rc = initiator != NULL ? run_tool (&ls, "iscsi-ls", "--url", "-i", initiator, portal_url, NULL)
                             : run_tool (&ls, "iscsi-ls", "-s", portal_url, NULL);

  g_test_message ("$ iscsi-ls %s %s  (exit %d)\n%s", initiator != NULL ? name : "-s", portal_url, rc,
                  ls ? ls : "");
  g_assert_cmpint (rc, ==, 0);
  if (!expect_admitted)
    {
      /* libiscsi prints nothing and exits 0 when the ACL refuses the initiator */
      g_assert_null (strstr (ls, iqn));
      if (initiator != NULL)
        {
          /* and a login to LUN 1 under that name fails ("Target not found") */
          g_autofree char *inq = NULL;

          rc = run_tool (&inq, "iscsi-inq", "-i", initiator, lun_url, NULL);
          g_test_message ("$ iscsi-inq -i %s %s  (exit %d)", initiator, lun_url, rc);
          g_assert_cmpint (rc, !=, 0);
        }
      return;
    }
  g_assert_nonnull (strstr (ls, iqn));
  if (initiator == NULL)
    g_assert_nonnull (strstr (ls, "Lun:1"));
  {
    g_autofree char *inq = NULL;
    g_autofree char *cap = NULL;
    g_autofree char *want = g_strdup_printf ("Total size:%" G_GUINT64_FORMAT, expect_size);

    rc = initiator != NULL ? run_tool (&inq, "iscsi-inq", "-i", initiator, lun_url, NULL)
                           : run_tool (&inq, "iscsi-inq", lun_url, NULL);
    g_test_message ("$ iscsi-inq %s  (exit %d)\n%s", lun_url, rc, inq ? inq : "");
    g_assert_cmpint (rc, ==, 0);
    g_assert_nonnull (strstr (inq, "Peripheral Device Type:DIRECT_ACCESS"));
    rc = initiator != NULL ? run_tool (&cap, "iscsi-readcapacity16", "-i", initiator, lun_url, NULL)
                           : run_tool (&cap, "iscsi-readcapacity16", lun_url, NULL);
    g_test_message ("$ iscsi-readcapacity16 %s  (exit %d)\n%s", lun_url, rc, cap ? cap : "");
    g_assert_cmpint (rc, ==, 0);
    g_assert_nonnull (strstr (cap, want));
  }
}

static void
assert_nothing_left (const char *lab, guint16 cp, gboolean tgtd_ours)
{
  g_autofree char *img = image_of (lab);
  g_autofree char *dir = state_dir (lab);
  g_autofree char *state = g_build_filename (dir, "state.json", NULL);
  g_autofree char *fuse = g_strdup_printf ("%s/%s-lun1.fuse", dir, lab);

  g_assert_false (g_file_test (img, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (state, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (fuse, G_FILE_TEST_EXISTS));
  if (tgtd_ours)
    g_assert_false (tgtd_answers (cp));
  else
    {
      g_autoptr(GPtrArray) t = targets_on (cp);
      g_assert_nonnull (t);
      g_assert_cmpuint (t != NULL ? t->len : 99, ==, 0);
    }
}

/* ---- tests ----------------------------------------------------------- */

static void
test_target (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) second = NULL;
  g_autoptr(GPtrArray) targets = NULL;
  g_autoptr(LabRecipe) recipe = lab_recipe_load (F.recipe_a, &error);
  g_autofree char *img = image_of (F.lab_a);
  g_autofree char *node1 = NULL;
  g_autofree char *stranger = NULL;
  LabTgtTarget *t;
  struct stat st;

  g_assert_no_error (error);
  node1 = node1_initiator (recipe);
  stranger = g_strdup_printf ("%s:stranger", recipe->iqn);
  g_assert_true (storage_run (F.recipe_a, LAB_STORAGE_PART_TARGET, FALSE, &first, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_prefix (first, "tgtd -f -C"), ==, 1);
  g_assert_cmpuint (count_prefix (first, "-I ALL"), ==, 0);

  /* the image: sparse, of the recipe's size */
  g_assert_cmpint (g_stat (img, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, LAB_GIB);
  g_assert_cmpint (st.st_blocks * 512, <, 4 * LAB_MIB);

  targets = targets_on (F.cp_a);
  t = targets ? lab_tgt_find_by_iqn (targets, recipe->iqn) : NULL;
  g_assert_nonnull (t);
  if (t != NULL)
    {
      g_autofree char *node2 = g_strdup_printf ("%s:node2", recipe->iqn);
      g_autofree char *host = g_strdup_printf ("%s:host.labctl", recipe->iqn);

      /* a kvm lab: by name only (tgtd admits when either list matches) */
      g_assert_cmpuint (g_strv_length (t->acl), ==, 0);
      g_assert_cmpuint (g_strv_length (t->acl_names), ==, 3);
      g_assert_true (g_strv_contains ((const char * const *) t->acl_names, node1));
      g_assert_true (g_strv_contains ((const char * const *) t->acl_names, node2));
      g_assert_true (g_strv_contains ((const char * const *) t->acl_names, host));
      g_assert_false (g_strv_contains ((const char * const *) t->acl_names, "ALL"));
      g_assert_cmpstr (lab_tgt_target_get_lun (t, 1)->backing_path, ==, img);
    }
  /* a listed name is admitted; another name, and libiscsi's default, from
   * the same address, are not */
  verify_with_libiscsi ("127.0.0.1", F.pp_a, recipe->iqn, node1, TRUE, LAB_GIB);
  verify_with_libiscsi ("127.0.0.1", F.pp_a, recipe->iqn, stranger, FALSE, 0);
  verify_with_libiscsi ("127.0.0.1", F.pp_a, recipe->iqn, NULL, FALSE, 0);

  /* a second up changes nothing: only queries run */
  g_assert_true (storage_run (F.recipe_a, LAB_STORAGE_PART_TARGET, FALSE, &second, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < second->len; i++)
    {
      const char *line = g_ptr_array_index (second, i);
      g_assert_true (strstr (line, "--op show") != NULL);
    }

  g_assert_true (storage_run (F.recipe_a, LAB_STORAGE_PART_TARGET, TRUE, NULL, &error));
  g_assert_no_error (error);
  assert_nothing_left (F.lab_a, F.cp_a, TRUE);
  /* a second down is a no-op */
  g_clear_pointer (&second, g_ptr_array_unref);
  g_assert_true (storage_run (F.recipe_a, LAB_STORAGE_PART_TARGET, TRUE, &second, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (second->len, ==, 0);
}

static void
test_acl_refuses (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRecipe) recipe = lab_recipe_load (F.recipe_b, &error);
  g_autoptr(GPtrArray) rec = NULL;
  g_autoptr(GPtrArray) targets = NULL;
  LabTgtTarget *t;

  g_assert_no_error (error);
  /* the tgtd of lab B is running already (as the tgt service would): used, not started */
  g_assert_true (tgtd_answers (F.cp_b));

  /* someone else's target with the lab's IQN: a clear error, and it is left alone */
  {
    g_autoptr(LabRunner) r = lab_runner_new (LAB_RUNNER_MODE_REAL);
    g_auto(GStrv) mk = lab_tgt_argv_new_target (F.cp_b, 7, recipe->iqn);
    g_auto(GStrv) rm = lab_tgt_argv_delete_target (F.cp_b, 7);
    g_autoptr(GPtrArray) before = NULL;

    g_assert_true (lab_tgt_run (r, (const char * const *) mk, &error));
    g_assert_no_error (error);
    g_assert_false (storage_run (F.recipe_b, LAB_STORAGE_PART_TARGET, FALSE, NULL, &error));
    g_assert_error (error, LAB_ERROR, LAB_ERROR_EXISTS);
    g_test_message ("IQN taken: %s", error ? error->message : "");
    g_clear_error (&error);
    g_assert_true (storage_run (F.recipe_b, LAB_STORAGE_PART_TARGET, TRUE, NULL, &error));
    g_assert_no_error (error);
    before = targets_on (F.cp_b);
    g_assert_nonnull (lab_tgt_find_by_tid (before, 7));
    g_assert_true (lab_tgt_run (r, (const char * const *) rm, &error));
    g_assert_no_error (error);
  }

  g_assert_true (storage_run (F.recipe_b, LAB_STORAGE_PART_TARGET, FALSE, &rec, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_prefix (rec, "tgtd -f"), ==, 0);

  targets = targets_on (F.cp_b);
  t = targets ? lab_tgt_find_by_iqn (targets, recipe->iqn) : NULL;
  g_assert_nonnull (t);
  if (t != NULL)
    {
      g_autofree char *acl = g_strjoinv (", ", t->acl);
      g_test_message ("ACL of %s: %s", recipe->iqn, acl);
      g_assert_true (g_strv_contains ((const char * const *) t->acl, "127.0.0.2"));
      g_assert_false (g_strv_contains ((const char * const *) t->acl, "127.0.0.1"));
    }
  /* this host connects to 127.0.0.2 from 127.0.0.1: not in the ACL */
  verify_with_libiscsi ("127.0.0.2", F.pp_b, recipe->iqn, NULL, FALSE, 0);

  g_assert_true (storage_run (F.recipe_b, LAB_STORAGE_PART_TARGET, TRUE, NULL, &error));
  g_assert_no_error (error);
  /* the tgtd labctl did not start keeps running, with no target left */
  g_assert_true (tgtd_answers (F.cp_b));
  assert_nothing_left (F.lab_b, F.cp_b, FALSE);
}

/* The portal port taken by another program: refused before tgtd starts. */
static void
test_port_in_use (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr(GInetAddress) lo = g_inet_address_new_from_string ("127.0.0.1");
  g_autoptr(GSocketAddress) sa = NULL;
  guint16 port = pick_port (40000, 10000);
  guint16 cp = pick_port (20000, 10000);
  g_autofree char *lab = g_strdup_printf ("stp%d", (int) getpid ());
  g_autofree char *portal = g_strdup_printf ("127.0.0.1:%u", port);
  g_autofree char *recipe_path = NULL;

  g_assert_no_error (error);
  sa = g_inet_socket_address_new (lo, port);
  g_assert_true (g_socket_bind (sock, sa, TRUE, &error));
  g_assert_true (g_socket_listen (sock, &error));
  g_assert_no_error (error);
  recipe_path = write_recipe (lab, portal, cp, "10.96.0.0/24");
  g_assert_false (storage_run (recipe_path, LAB_STORAGE_PART_TARGET, FALSE, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_EXISTS);
  g_test_message ("port in use: %s", error ? error->message : "");
  g_clear_error (&error);
  g_assert_false (tgtd_answers (cp));
  g_assert_true (storage_run (recipe_path, LAB_STORAGE_PART_TARGET, TRUE, NULL, &error));
  g_assert_no_error (error);
  assert_nothing_left (lab, cp, TRUE);
}

static void
test_fail_resume (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rec = NULL;
  g_autoptr(GPtrArray) targets = NULL;
  g_autoptr(LabRecipe) recipe = lab_recipe_load (F.recipe_a, &error);
  g_autofree char *node1 = node1_initiator (recipe);
  LabTgtTarget *t;

  /* the LUN step fails after tgtadm added the LUN */
  g_setenv ("LABCTL_FAIL_STEP", "storage.lun", TRUE);
  g_assert_false (storage_run (F.recipe_a, LAB_STORAGE_PART_TARGET, FALSE, NULL, &error));
  g_assert_nonnull (error);
  g_test_message ("up with an injected failure: %s", error ? error->message : "");
  g_clear_error (&error);
  targets = targets_on (F.cp_a);
  t = targets ? lab_tgt_find_by_iqn (targets, recipe->iqn) : NULL;
  g_assert_nonnull (lab_tgt_target_get_lun (t, 1));
  g_clear_pointer (&targets, g_ptr_array_unref);

  /* down from there removes everything */
  g_unsetenv ("LABCTL_FAIL_STEP");
  g_assert_true (storage_run (F.recipe_a, LAB_STORAGE_PART_TARGET, TRUE, NULL, &error));
  g_assert_no_error (error);
  assert_nothing_left (F.lab_a, F.cp_a, TRUE);

  /* fail again, then resume: the done steps are not redone */
  g_setenv ("LABCTL_FAIL_STEP", "storage.lun", TRUE);
  g_assert_false (storage_run (F.recipe_a, LAB_STORAGE_PART_TARGET, FALSE, NULL, &error));
  g_clear_error (&error);
  g_unsetenv ("LABCTL_FAIL_STEP");
  g_assert_true (storage_run (F.recipe_a, LAB_STORAGE_PART_TARGET, FALSE, &rec, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_prefix (rec, "tgtd -f"), ==, 0);
  g_assert_cmpuint (count_prefix (rec, "--op new --mode target"), ==, 0);
  g_assert_cmpuint (count_prefix (rec, "--op new --mode logicalunit"), ==, 0);
  /* the two nodes' names and the host's */
  g_assert_cmpuint (count_prefix (rec, "--op bind --mode target"), ==, 3);
  verify_with_libiscsi ("127.0.0.1", F.pp_a, recipe->iqn, node1, TRUE, LAB_GIB);

  g_assert_true (storage_run (F.recipe_a, LAB_STORAGE_PART_TARGET, TRUE, NULL, &error));
  g_assert_no_error (error);
  assert_nothing_left (F.lab_a, F.cp_a, TRUE);
}

static char *
lvm_report (const char *cmd, const char *device)
{
  char *out = NULL;
  int rc = run_tool (&out, cmd, "--devices", device, "--reportformat", "json", "--units", "b", "--nosuffix",
                     "-o", g_str_equal (cmd, "lvs") ? "lv_name,vg_name,lv_size,lv_tags"
                                                    : "vg_name,vg_size,vg_free,vg_tags,pv_count,lv_count,vg_extent_size",
                     NULL);
  g_assert_cmpint (rc, ==, 0);
  return out;
}

static void
test_lvm (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRecipe) recipe = lab_recipe_load (F.recipe_a, &error);
  g_autoptr(GPtrArray) rec = NULL;
  g_autoptr(LabState) state = NULL;
  g_autofree char *dir = state_dir (F.lab_a);
  g_autofree char *tag = lab_lvm_tag (F.lab_a);
  g_autofree char *node1 = node1_initiator (recipe);
  g_autofree char *loop = NULL;
  g_autofree char *lvs_json = NULL;
  g_autofree char *vgs_json = NULL;
  g_autoptr(GPtrArray) lvs = NULL;
  g_autoptr(GPtrArray) vgs = NULL;
  guint64 t0 = g_get_monotonic_time ();

  g_assert_true (storage_run (F.recipe_a, LAB_STORAGE_PART_ALL, FALSE, &rec, &error));
  g_assert_no_error (error);
  g_test_message ("storage up (all steps, fuse attach): %.2f s", (g_get_monotonic_time () - t0) / 1e6);
  state = lab_state_load (dir, F.lab_a, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lab_state_get_string (state, "storage.attach.method"), ==, "fuse");
  loop = g_strdup (lab_state_get_string (state, "storage.attach.device"));
  g_assert_nonnull (loop);
  if (loop == NULL)
    return;
  g_assert_true (g_str_has_prefix (loop, "/dev/loop"));

  lvs_json = lvm_report ("lvs", loop);
  vgs_json = lvm_report ("vgs", loop);
  g_test_message ("$ lvs --devices %s --reportformat json ...\n%s", loop, lvs_json);
  lvs = lab_lvm_parse_lvs (lvs_json, &error);
  vgs = lab_lvm_parse_vgs (vgs_json, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vgs->len, ==, 1);
  g_assert_cmpstr (((LabLvmVg *) g_ptr_array_index (vgs, 0))->name, ==, F.vg);
  g_assert_true (lab_lvm_has_tag (((LabLvmVg *) g_ptr_array_index (vgs, 0))->tags, tag));
  g_assert_cmpuint (lvs->len, ==, 2);
  for (guint i = 0; i < lvs->len; i++)
    {
      LabLvmLv *lv = g_ptr_array_index (lvs, i);
      g_assert_cmpuint (lv->size, ==, 256 * LAB_MIB);
      g_assert_true (lab_lvm_has_tag (lv->tags, tag));
      g_assert_true (g_str_equal (lv->name, "lv_node1") || g_str_equal (lv->name, "lv_node2"));
    }
  /* the LVM label is on the LUN: libiscsi sees the same disk */
  verify_with_libiscsi ("127.0.0.1", F.pp_a, recipe->iqn, node1, TRUE, LAB_GIB);

  /* status reads it all back */
  {
    g_autoptr(LabRunner) r = lab_runner_new (LAB_RUNNER_MODE_REAL);
    LabContext ctx = { .recipe = recipe, .state = state, .runner = r, .sysroot = "/" };
    g_autoptr(JsonNode) st = lab_storage_status (&ctx);
    g_autofree char *text = lab_storage_status_to_text (st);
    JsonObject *lvm = json_object_get_object_member (json_node_get_object (st), "lvm");

    g_test_message ("labctl storage status:\n%s", text);
    g_assert_true (json_object_get_boolean_member (lvm, "vg_exists"));
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (lvm, "lvs")), ==, 2);
    g_assert_nonnull (strstr (text, "lv_node2, 256.0"));
    /* the ACL by name, and this host's session under the name it lists */
    g_assert_nonnull (strstr (text, node1));
    g_assert_nonnull (strstr (text, ":host.labctl@127.0.0.1"));
  }

  /* second up: nothing changes */
  g_clear_pointer (&rec, g_ptr_array_unref);
  g_assert_true (storage_run (F.recipe_a, LAB_STORAGE_PART_ALL, FALSE, &rec, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < rec->len; i++)
    {
      const char *line = g_ptr_array_index (rec, i);
      g_assert_true (strstr (line, "--op show") != NULL || g_str_has_prefix (line, "pvs ")
                     || g_str_has_prefix (line, "vgs ") || g_str_has_prefix (line, "lvs ")
                     || g_str_has_prefix (line, "blkid "));
    }

  t0 = g_get_monotonic_time ();
  g_assert_true (storage_run (F.recipe_a, LAB_STORAGE_PART_ALL, TRUE, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("storage down: %.2f s", (g_get_monotonic_time () - t0) / 1e6);
  assert_nothing_left (F.lab_a, F.cp_a, TRUE);
  {
    g_autofree char *backing = NULL;
    g_autofree char *sys = g_strdup_printf ("/sys/block/%s/loop/backing_file", loop + 5);
    /* the loop device is detached (or reused by someone else for another file) */
    if (g_file_get_contents (sys, &backing, NULL, NULL))
      g_assert_null (strstr (backing, F.lab_a));
  }
}

/* CHAP: a generated secret, kept only in the state file, never in the log;
 * the target refuses a login without it; the FUSE attach logs in with it. */
static void
test_chap (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *lab = g_strdup_printf ("stc%d", (int) getpid ());
  g_autofree char *portal = g_strdup_printf ("127.0.0.1:%u", F.pp_a);
  g_autofree char *recipe_path = write_recipe_full (lab, portal, F.cp_a, "10.97.0.0/24", "chap = true\n");
  g_autoptr(LabRecipe) recipe = lab_recipe_load (recipe_path, &error);
  g_autofree char *dir = state_dir (lab);
  g_autofree char *log_path = g_build_filename (dir, "labctl.log", NULL);
  g_autofree char *log = NULL;
  g_autofree char *ls = NULL;
  g_autofree char *url = NULL;
  g_autofree char *initiator = NULL;
  g_autofree char *name = NULL;
  g_autoptr(LabState) state = NULL;
  const char *secret;
  int rc;

  g_assert_true (storage_run (recipe_path, LAB_STORAGE_PART_TARGET | LAB_STORAGE_PART_ATTACH, FALSE, NULL, &error));
  g_assert_no_error (error);
  state = lab_state_load (dir, lab, &error);
  secret = lab_state_get_secret (state, "storage.chap.password");
  g_assert_nonnull (secret);
  if (secret == NULL)
    return;
  g_assert_cmpuint (strlen (secret), ==, 16);
  /* attached with the secret: the FUSE export logged in */
  g_assert_cmpstr (lab_state_get_string (state, "storage.attach.method"), ==, "fuse");
  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  g_assert_null (strstr (log, secret));
  g_assert_nonnull (strstr (log, "--password '******'"));
  url = g_strdup_printf ("iscsi://127.0.0.1:%u/%s/1", F.pp_a, recipe->iqn);
  initiator = node1_initiator (recipe);
  name = g_strdup_printf ("--initiator-name=%s", initiator);
  rc = run_tool (&ls, "iscsi-inq", name, url, NULL);
  g_test_message ("$ iscsi-inq %s %s (no CHAP credentials): exit %d", name, url, rc);
  g_assert_cmpint (rc, !=, 0);
  g_clear_pointer (&ls, g_free);
  g_clear_pointer (&url, g_free);
  url = g_strdup_printf ("iscsi://labctl-%s%%%s@127.0.0.1:%u/%s/1", lab, secret, F.pp_a, recipe->iqn);
  rc = run_tool (&ls, "iscsi-readcapacity16", name, url, NULL);
  g_test_message ("$ iscsi-readcapacity16 iscsi://labctl-%s%%******@127.0.0.1:%u/%s/1: exit %d", lab, F.pp_a,
                  recipe->iqn, rc);
  g_assert_cmpint (rc, ==, 0);
  g_assert_nonnull (ls != NULL ? strstr (ls, "Total size:1073741824") : NULL);

  g_assert_true (storage_run (recipe_path, LAB_STORAGE_PART_ALL, TRUE, NULL, &error));
  g_assert_no_error (error);
  assert_nothing_left (lab, F.cp_a, TRUE);
}

/* Signatures and names that are not the lab's are refused. */
static void
test_foreign (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabState) state = NULL;
  g_autofree char *dir = state_dir (F.lab_a);
  g_autofree char *loop = NULL;
  g_autofree char *other_img = g_strdup_printf ("%s/other.img", F.dir);
  g_autofree char *other_loop = NULL;
  g_autofree char *other_vg = g_strdup_printf ("vg_other%d", (int) getpid ());
  int rc;

  /* attach the lab's LUN, then put an ext4 file system on it behind labctl's back */
  g_assert_true (storage_run (F.recipe_a, LAB_STORAGE_PART_TARGET | LAB_STORAGE_PART_ATTACH, FALSE, NULL, &error));
  g_assert_no_error (error);
  state = lab_state_load (dir, F.lab_a, &error);
  loop = g_strdup (lab_state_get_string (state, "storage.attach.device"));
  g_assert_nonnull (loop);
  rc = run_tool (NULL, "mkfs.ext4", "-q", "-F", "-E", "nodiscard,lazy_itable_init=1", loop, NULL);
  g_assert_cmpint (rc, ==, 0);
  g_assert_false (storage_run (F.recipe_a, LAB_STORAGE_PART_ALL, FALSE, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_test_message ("ext4 on the LUN: %s", error ? error->message : "");
  g_clear_error (&error);
  /* a foreign PV/VG on it: refused too, and down does not touch it */
  rc = run_tool (NULL, "wipefs", "-q", "-a", loop, NULL);
  g_assert_cmpint (rc, ==, 0);
  rc = run_tool (NULL, "vgcreate", "-q", "--devices", loop, other_vg, loop, NULL);
  g_assert_cmpint (rc, ==, 0);
  g_assert_false (storage_run (F.recipe_a, LAB_STORAGE_PART_ALL, FALSE, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_test_message ("foreign VG on the LUN: %s", error ? error->message : "");
  g_clear_error (&error);
  g_assert_true (storage_run (F.recipe_a, LAB_STORAGE_PART_ALL, TRUE, NULL, &error));
  g_assert_no_error (error);
  assert_nothing_left (F.lab_a, F.cp_a, TRUE);

  /* the VG name taken by a VG on another disk of this host */
  g_assert_true (g_file_set_contents (other_img, "", 0, NULL));
  g_assert_cmpint (truncate (other_img, 64 * LAB_MIB), ==, 0);
  rc = run_tool (&other_loop, "losetup", "--find", "--show", other_img, NULL);
  g_assert_cmpint (rc, ==, 0);
  if (other_loop == NULL)
    return;
  g_strstrip (other_loop);
  g_ptr_array_add (F.loops, g_strdup (other_loop));
  rc = run_tool (NULL, "vgcreate", "-q", "--devices", other_loop, F.vg, other_loop, NULL);
  g_assert_cmpint (rc, ==, 0);
  g_assert_false (storage_run (F.recipe_a, LAB_STORAGE_PART_ALL, FALSE, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_test_message ("VG name taken: %s", error ? error->message : "");
  g_clear_error (&error);
  g_assert_true (storage_run (F.recipe_a, LAB_STORAGE_PART_ALL, TRUE, NULL, &error));
  g_assert_no_error (error);
  assert_nothing_left (F.lab_a, F.cp_a, TRUE);
  /* the other VG is intact */
  {
    g_autofree char *vgs = lvm_report ("vgs", other_loop);
    g_assert_nonnull (strstr (vgs, F.vg));
  }
}

/* ---- setup and cleanup ------------------------------------------------ */

static void
stop_tgtd (guint16 cp, GPid pid)
{
  g_autoptr(LabRunner) r = lab_runner_new (LAB_RUNNER_MODE_REAL);
  g_autoptr(GPtrArray) targets = NULL;

  if (tgtd_answers (cp) && (targets = targets_on (cp)) != NULL)
    for (guint i = 0; i < targets->len; i++)
      {
        g_auto(GStrv) argv = lab_tgt_argv_delete_target (cp, ((LabTgtTarget *) g_ptr_array_index (targets, i))->tid);
        lab_tgt_run (r, (const char * const *) argv, NULL);
      }
  lab_tgt_stop_daemon (r, cp, pid, NULL);
}

static void
cleanup (void)
{
  g_autofree char *cmd = NULL;

  /* whatever a failed test left: labctl's own down first */
  if (F.recipe_a != NULL)
    storage_run (F.recipe_a, LAB_STORAGE_PART_ALL, TRUE, NULL, NULL);
  if (F.recipe_b != NULL)
    storage_run (F.recipe_b, LAB_STORAGE_PART_ALL, TRUE, NULL, NULL);
  for (guint i = 0; F.loops != NULL && i < F.loops->len; i++)
    {
      const char *l = g_ptr_array_index (F.loops, i);
      run_tool (NULL, "vgremove", "-q", "-f", "--devices", l, F.vg, NULL);
      run_tool (NULL, "losetup", "--detach", l, NULL);
    }
  stop_tgtd (F.cp_a, 0);
  stop_tgtd (F.cp_b, F.tgtd_b);
  if (F.dir != NULL)
    {
      const char *argv[] = { "rm", "-rf", F.dir, NULL };
      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
    }
}

static gboolean
setup (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *portal_a = NULL;
  g_autofree char *portal_b = NULL;
  g_autofree char *subnet_a = NULL;
  g_autofree char *subnet_b = NULL;
  g_autofree char *state = NULL;
  g_autofree char *cp = NULL;
  g_autofree char *portal = NULL;
  g_autofree char *log = NULL;
  int pid = (int) getpid ();

  F.dir = g_dir_make_tmp ("labctl-systest-storage-XXXXXX", &error);
  g_assert_no_error (error);
  F.loops = g_ptr_array_new_with_free_func (g_free);
  /* the product reads LABCTL_LVM_SYSTEM_DIR; the test's own lvm calls LVM_SYSTEM_DIR */
  F.lvm_dir = lab_test_lvm_system_dir (F.dir, &error);
  g_assert_no_error (error);
  state = g_build_filename (F.dir, "state", NULL);
  g_setenv ("LABCTL_STATE_DIR", state, TRUE);
  /* auto: tries iscsiadm first, falls back to FUSE where there is no kernel initiator */
  g_setenv ("LABCTL_STORAGE_ATTACH", "auto", TRUE);

  F.cp_a = pick_port (20000, 10000);
  F.cp_b = pick_port (20000, 10000);
  F.pp_a = pick_port (40000, 10000);
  F.pp_b = pick_port (40000, 10000);
  if (F.cp_a == 0 || F.cp_b == 0 || F.pp_a == 0 || F.pp_b == 0 || F.cp_a == F.cp_b)
    return FALSE;
  F.lab_a = g_strdup_printf ("sta%d", pid);
  F.lab_b = g_strdup_printf ("stb%d", pid);
  F.vg = g_strdup_printf ("vg_st%d", pid);
  portal_a = g_strdup_printf ("127.0.0.1:%u", F.pp_a);
  portal_b = g_strdup_printf ("127.0.0.2:%u", F.pp_b);
  subnet_a = g_strdup_printf ("10.%d.%d.0/24", 100 + pid % 100, pid / 100 % 250);
  subnet_b = g_strdup_printf ("10.%d.%d.0/24", 200 + pid % 50, pid / 100 % 250);
  F.recipe_a = write_recipe (F.lab_a, portal_a, F.cp_a, subnet_a);
  /* lab B admits by address: the ACL that refuses 127.0.0.1 */
  F.recipe_b = write_recipe_flavor ("container", F.lab_b, portal_b, F.cp_b, subnet_b, "");
  g_test_message ("lab A: control port %u, portal %s; lab B: control port %u, portal %s; dir %s",
                  F.cp_a, portal_a, F.cp_b, portal_b, F.dir);

  /* lab B's tgtd: started by the test, as a system service would be */
  {
    g_autoptr(LabRunner) r = lab_runner_new (LAB_RUNNER_MODE_REAL);
    GPid p = 0;
    log = g_build_filename (F.dir, "tgtd-b.log", NULL);
    if (!lab_tgt_start_daemon (r, F.cp_b, "127.0.0.2", F.pp_b, log, &p, &error))
      {
        g_test_message ("starting tgtd for lab B: %s", error->message);
        F.tgtd_b = p;
        return FALSE;
      }
    F.tgtd_b = p;
  }
  return TRUE;
}

static void
test_needs_root (void)
{
  g_test_skip ("needs root: tgtd, losetup, LVM and FUSE mounts (run the system suite as root)");
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

  if (geteuid () != 0)
    {
      g_test_add_func ("/storage/system/needs-root", test_needs_root);
      return g_test_run ();
    }
  if (!setup ())
    {
      cleanup ();
      g_printerr ("setup failed: no free ports or tgtd did not start\n");
      return 1;
    }

  g_test_add_func ("/storage/system/target", test_target);
  g_test_add_func ("/storage/system/acl-refuses", test_acl_refuses);
  g_test_add_func ("/storage/system/port-in-use", test_port_in_use);
  g_test_add_func ("/storage/system/fail-resume", test_fail_resume);
  g_test_add_func ("/storage/system/lvm", test_lvm);
  g_test_add_func ("/storage/system/chap", test_chap);
  g_test_add_func ("/storage/system/foreign", test_foreign);

  ret = g_test_run ();
  cleanup ();
  return ret;
}
