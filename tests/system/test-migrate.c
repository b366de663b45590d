/* test-migrate.c: a guest on container nodes, live-migrated back and forth
 * with the probe and libvirt measuring the downtime, reset to its clean
 * state, and the whole plan undone. Two nodes, one tiny guest (Debian's
 * kernel + busybox initramfs from tests/lib/build-tiny-guest.sh). */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libvirt/libvirt.h>

#include "lab-container.h"
#include "lab-error.h"
#include "lab-experiment.h"
#include "lab-flavor.h"
#include "lab-guest.h"
#include "lab-plan.h"
#include "lab-probe.h"
#include "lab-recipe.h"
#include "lab-runner.h"
#include "lab-state.h"
#include "stand-test-util.h"

static LabRecipe *recipe;
static LabRunner *runner;
static LabState *state;
static LabContext ctx;
static LabPlan *plan;
static char *state_root;

static LabPlan *
build_plan (void)
{
  LabPlan *p = lab_plan_new (&ctx);

  lab_container_add_network_steps (p, &ctx);
  lab_container_add_node_steps (p, &ctx);
  lab_guest_add_steps (p, &ctx);
  return p;
}

static void
test_up (void)
{
  g_autoptr(GError) error = NULL;
  LabGuest *g = g_ptr_array_index (recipe->guests, 0);
  gint64 t0 = g_get_monotonic_time ();

  g_assert_true (lab_plan_up (plan, &error));
  g_assert_no_error (error);
  g_test_message ("up (bridge, 2 nodes, guest boot, clean image): %.2f s", (g_get_monotonic_time () - t0) / 1e6);
  g_assert_true (lab_probe_ping_once (g->address, NULL, 2000, NULL, &error));
  g_assert_no_error (error);

  /* a second up changes nothing */
  t0 = g_get_monotonic_time ();
  g_assert_true (lab_plan_up (plan, &error));
  g_assert_no_error (error);
  g_test_message ("second up: %.2f s", (g_get_monotonic_time () - t0) / 1e6);
}

static void
migrate_once (const char *to, const char *expect_from, const char *expect_to)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *node = NULL;
  g_autofree char *text = NULL;
  LabMigrationResult r;
  gboolean active = FALSE;

  g_assert_true (lab_experiment_migrate (&ctx, NULL, to, 0, &r, &error));
  g_assert_no_error (error);
  if (error != NULL)
    return;
  text = lab_migration_result_format (&r);
  g_test_message ("%s", text);
  g_test_message ("probe downtime %.1f ms, libvirt downtime %" G_GUINT64_FORMAT " ms",
                  r.probe.longest_gap_us / 1000.0, r.migration.downtime_ms);
  g_assert_cmpstr (r.from_node, ==, expect_from);
  g_assert_cmpstr (r.to_node, ==, expect_to);
  g_assert_true (r.answers_after);
  g_assert_cmpint (r.probe.longest_gap_us, >, 0);
  g_assert_cmpint (r.probe.longest_gap_us, <, 2 * G_USEC_PER_SEC);
  g_assert_true (r.migration.have_job_stats);
  g_assert_cmpuint (r.migration.downtime_ms, <, 2000);
  g_assert_cmpuint (r.migration.data_transferred, >, 0);

  g_assert_true (lab_guest_locate (&ctx, g_ptr_array_index (recipe->guests, 0), &node, &active, &error));
  g_assert_cmpstr (node, ==, expect_to);
  g_assert_true (active);
  lab_migration_result_clear (&r);
}

static void
test_migrate (void)
{
  migrate_once ("node2", "node1", "node2");
  /* no --to: the next node, back to node1 */
  migrate_once (NULL, "node2", "node1");
  migrate_once ("node2", "node1", "node2");
}

/* The guest's domain on node (NULL when none). */
static virDomainPtr
domain_on (const char *node, virConnectPtr *out_conn)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = lab_flavor_node_uri (&ctx, node, &error);
  virConnectPtr conn = uri != NULL ? virConnectOpen (uri) : NULL;
  LabGuest *g = g_ptr_array_index (recipe->guests, 0);

  g_assert_no_error (error);
  g_assert_nonnull (conn);
  *out_conn = conn;
  return conn != NULL ? virDomainLookupByName (conn, g->name) : NULL;
}

/* What a migration killed after libvirt defined the guest on the target
 * and before it undefined it on the source leaves: the guest defined on
 * both (made here with libvirt: the guest runs on node2, its definition,
 * marks and all, is defined on node1 too). status says so; the next
 * migration removes the stale copy, then migrates. */
static void
test_settle_two_nodes (void)
{
  g_autoptr(GError) error = NULL;
  LabGuest *g = g_ptr_array_index (recipe->guests, 0);
  virConnectPtr c1 = NULL, c2 = NULL;
  virDomainPtr d2 = domain_on ("node2", &c2);
  virDomainPtr d1 = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *note = NULL;

  g_assert_nonnull (d2);
  if (d2 == NULL)
    return;
  xml = virDomainGetXMLDesc (d2, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
  d1 = domain_on ("node1", &c1);
  g_assert_null (d1);
  d1 = virDomainDefineXML (c1, xml);
  g_assert_nonnull (d1);

  g_assert_true (lab_guest_settle (&ctx, g, FALSE, &note, &error));
  g_assert_no_error (error);
  g_test_message ("status: %s", note);
  g_assert_nonnull (note != NULL ? strstr (note, "node1 (defined, shut off)") : NULL);
  g_assert_nonnull (note != NULL ? strstr (note, "node2 (running)") : NULL);

  migrate_once ("node1", "node2", "node1");
  {
    virConnectPtr c = NULL;
    virDomainPtr left = domain_on ("node2", &c);

    /* migrated off node2 and undefined there: one copy, on node1 */
    g_assert_null (left);
    if (left != NULL)
      virDomainFree (left);
    virConnectClose (c);
  }
  virDomainFree (d1);
  virDomainFree (d2);
  virConnectClose (c1);
  virConnectClose (c2);
}

/* What a migration killed after the source paused the guest (and before
 * the target ran it) leaves: the guest paused, running nowhere (made here
 * with virDomainSuspend). status says so; the next migration resumes it,
 * then migrates. */
static void
test_settle_paused (void)
{
  g_autoptr(GError) error = NULL;
  LabGuest *g = g_ptr_array_index (recipe->guests, 0);
  virConnectPtr c1 = NULL;
  virDomainPtr d1 = domain_on ("node1", &c1);
  g_autofree char *note = NULL;
  int st = 0, reason = 0;

  g_assert_nonnull (d1);
  if (d1 == NULL)
    return;
  g_assert_cmpint (virDomainSuspend (d1), ==, 0);
  g_assert_true (lab_guest_settle (&ctx, g, FALSE, &note, &error));
  g_assert_no_error (error);
  g_test_message ("status: %s", note);
  g_assert_nonnull (note != NULL ? strstr (note, "node1 (paused)") : NULL);
  /* status repairs nothing */
  g_assert_cmpint (virDomainGetState (d1, &st, &reason, 0), ==, 0);
  g_assert_cmpint (st, ==, VIR_DOMAIN_PAUSED);

  migrate_once ("node2", "node1", "node2");
  virDomainFree (d1);
  virConnectClose (c1);
}

static void
test_reset (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *node = NULL;
  LabGuest *g = g_ptr_array_index (recipe->guests, 0);
  gboolean active = FALSE;
  gint64 t0 = g_get_monotonic_time ();

  /* the guest runs on node2 after test_migrate: reset brings it home */
  g_assert_true (lab_guest_reset (&ctx, g, &error));
  g_assert_no_error (error);
  g_test_message ("reset (restore the clean image on the home node, ping): %.2f s",
                  (g_get_monotonic_time () - t0) / 1e6);
  g_assert_true (lab_guest_locate (&ctx, g, &node, &active, &error));
  g_assert_cmpstr (node, ==, "node1");
  g_assert_true (active);
  g_assert_true (lab_probe_ping_once (g->address, NULL, 2000, NULL, &error));
  g_assert_no_error (error);
}

static void
test_down (void)
{
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  GPid pids[4];

  pids[0] = lab_state_get_int (state, "nodes.node1.libvirtd_pid", 0);
  pids[1] = lab_state_get_int (state, "nodes.node1.virtlogd_pid", 0);
  pids[2] = lab_state_get_int (state, "nodes.node2.libvirtd_pid", 0);
  pids[3] = lab_state_get_int (state, "nodes.node2.virtlogd_pid", 0);
  g_assert_true (lab_plan_down (plan, &error));
  g_assert_no_error (error);
  g_test_message ("down: %.2f s", (g_get_monotonic_time () - t0) / 1e6);
  for (guint i = 0; i < G_N_ELEMENTS (pids); i++)
    {
      g_assert_cmpint (pids[i], >, 0);
      g_assert_false (lab_process_alive (pids[i]));
    }
  for (guint i = 0; i < recipe->nodes->len; i++)
    {
      g_autoptr(LabContainerNode) n = lab_container_node_for (&ctx, g_ptr_array_index (recipe->nodes, i));
      g_assert_false (lab_container_netns_exists (n));
      g_assert_false (g_file_test (n->dir, G_FILE_TEST_EXISTS));
    }
  g_assert_false (g_file_test (lab_state_get_path (state), G_FILE_TEST_EXISTS));
  /* a second down is a no-op */
  g_assert_true (lab_plan_down (plan, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL, *kernel = NULL, *initrd = NULL, *addr = NULL;
  guint pid = (guint) getpid ();
  guint b2 = 64 + ((pid >> 8) & 63), b3 = pid & 255;
  int rc;

  if (!stand_test_init (&argc, &argv, "namespaces, libvirtd, QEMU", NULL))
    return g_test_run ();
  if (!stand_test_tiny_guest (&kernel, &initrd, &error))
    {
      g_printerr ("cannot build the tiny guest: %s\n", error->message);
      return 1;
    }
  addr = g_strdup_printf ("10.%u.%u.60", b2, b3);
  text = g_strdup_printf ("[lab]\nname = mig%u\nflavor = container\n"
                          "[network]\nsubnet = 10.%u.%u.0/24\nbridge = lmb%u\n"
                          "[nodes]\ncount = 2\n"
                          "[guest g1]\nnode = node1\nmemory = 96\nkernel = %s\ninitrd = %s\n"
                          "cmdline = console=ttyS0 quiet guestip=%s/24\naddress = %s\n",
                          pid, b2, b3, pid, kernel, initrd, addr, addr);
  recipe = lab_recipe_load_data (text, -1, "test-migrate.lab", &error);
  g_assert_no_error (error);
  if (recipe == NULL)
    return 1;
  state_root = g_dir_make_tmp ("labctl-migrate-XXXXXX", &error);
  g_chmod (state_root, 0755);
  g_setenv ("LABCTL_STATE_DIR", state_root, TRUE);
  {
    g_autofree char *dir = lab_state_dir_for_lab (recipe->name);
    g_autofree char *log = g_build_filename (state_root, "labctl.log", NULL);

    state = lab_state_load (dir, recipe->name, &error);
    g_assert_no_error (error);
    runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
    lab_runner_set_log_path (runner, log);
  }
  ctx.recipe = recipe;
  ctx.state = state;
  ctx.runner = runner;
  ctx.sysroot = "/";
  plan = build_plan ();

  g_test_add_func ("/migrate/up", test_up);
  g_test_add_func ("/migrate/live", test_migrate);
  g_test_add_func ("/migrate/settle-two-nodes", test_settle_two_nodes);
  g_test_add_func ("/migrate/settle-paused", test_settle_paused);
  g_test_add_func ("/migrate/reset", test_reset);
  g_test_add_func ("/migrate/down", test_down);
  rc = g_test_run ();

  /* whatever happened above: nothing of the lab stays */
  lab_plan_down (plan, NULL);
  for (guint i = 0; i < recipe->nodes->len; i++)
    {
      g_autoptr(LabContainerNode) n = lab_container_node_for (&ctx, g_ptr_array_index (recipe->nodes, i));
      lab_container_daemons_stop (runner, n, 0, 0, NULL);
      lab_container_netns_delete (runner, n, NULL);
    }
  lab_container_bridge_delete (runner, recipe->bridge, recipe->name, NULL);
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf %s", state_root);
    g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
  }
  lab_plan_free (plan);
  lab_state_free (state);
  g_object_unref (runner);
  lab_recipe_free (recipe);
  return rc;
}
