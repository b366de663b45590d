/* test-stand.c: the stand's plan for each flavor (order of the steps),
 * --keep-storage's removal, and which host checks matter per flavor. */
#include "config.h"

#include <string.h>

#include "lab-plan.h"
#include "lab-recipe.h"
#include "lab-runner.h"
#include "lab-stand.h"
#include "lab-state.h"

static guint
index_of (LabPlan *plan, const char *id)
{
  for (guint i = 0; i < lab_plan_get_n_steps (plan); i++)
    if (g_str_equal (lab_plan_get_step_id (plan, i), id))
      return i;
  return G_MAXUINT;
}

static LabPlan *
plan_for (const char *path, LabRecipe **recipe, LabState **state, LabRunner **runner, LabContext *ctx)
{
  g_autoptr(GError) error = NULL;
  LabPlan *plan;

  *recipe = lab_recipe_load (path, &error);
  g_assert_no_error (error);
  *state = lab_state_new_in_memory ((*recipe)->name);
  *runner = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  memset (ctx, 0, sizeof *ctx);
  ctx->recipe = *recipe;
  ctx->state = *state;
  ctx->runner = *runner;
  ctx->dry_run = TRUE;
  ctx->sysroot = "/";
  plan = lab_stand_build_plan (ctx, &error);
  g_assert_no_error (error);
  return plan;
}

static void
test_container_order (void)
{
  g_autofree char *path = g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", "e2e.lab", NULL);
  g_autoptr(LabRecipe) recipe = NULL;
  g_autoptr(LabState) state = NULL;
  g_autoptr(LabRunner) runner = NULL;
  LabContext ctx;
  g_autoptr(LabPlan) plan = plan_for (path, &recipe, &state, &runner, &ctx);
  const char *order[] = { "check.host", "network.bridge", "storage.image", "storage.tgtd", "storage.lun",
                          "storage.pv", "storage.lv:lv_tiny", "nodes.netns:node1", "nodes.netns:node2",
                          "nodes.libvirtd:node1", "nodes.libvirtd:node2", "guests.disk:tiny",
                          "guests.define:tiny", "guests.start:tiny", "guests.snapshot:tiny", "stand.ready" };

  for (guint i = 1; i < G_N_ELEMENTS (order); i++)
    {
      g_test_message ("%s before %s", order[i - 1], order[i]);
      g_assert_cmpuint (index_of (plan, order[i - 1]), <, index_of (plan, order[i]));
      g_assert_cmpuint (index_of (plan, order[i]), !=, G_MAXUINT);
    }
  g_assert_cmpuint (index_of (plan, "stand.ready"), ==, lab_plan_get_n_steps (plan) - 1);
  g_assert_true (lab_plan_needs_root (plan, FALSE));

  /* down --keep-storage leaves the image */
  g_assert_cmpuint (lab_plan_remove_steps (plan, LAB_STAND_IMAGE_STEP), ==, 1);
  g_assert_cmpuint (index_of (plan, "storage.image"), ==, G_MAXUINT);
  g_assert_cmpuint (index_of (plan, "storage.tgtd"), !=, G_MAXUINT);
}

static void
test_kvm_order (void)
{
  g_autofree char *path = g_build_filename (LABCTL_SOURCE_DIR, "recipes", "kvm-3node.lab", NULL);
  g_autoptr(LabRecipe) recipe = NULL;
  g_autoptr(LabState) state = NULL;
  g_autoptr(LabRunner) runner = NULL;
  LabContext ctx;
  g_autoptr(LabPlan) plan = plan_for (path, &recipe, &state, &runner, &ctx);

  /* the lab network carries the portal's address: before the target */
  g_assert_cmpuint (index_of (plan, "check.host"), ==, 0);
  g_assert_cmpuint (index_of (plan, "nodes.network"), <, index_of (plan, "storage.image"));
  g_assert_cmpuint (index_of (plan, "storage.lv:lv_node3"), <, index_of (plan, "nodes.define:node1"));
  g_assert_cmpuint (index_of (plan, "network.bridge"), ==, G_MAXUINT);
  g_assert_cmpuint (index_of (plan, "stand.ready"), ==, lab_plan_get_n_steps (plan) - 1);
}

/* Every step is in the phase its provider belongs to: the plan's order
 * comes from the phases, whatever order the flavor's row adds them in. */
static void
test_phases (void)
{
  static const struct { const char *prefix; LabPhase phase; } expect[] = {
    { "check.", LAB_PHASE_CHECK }, { "iso.", LAB_PHASE_NETWORK }, { "network.", LAB_PHASE_NETWORK }, { "nodes.network", LAB_PHASE_NETWORK },
    { "storage.", LAB_PHASE_STORAGE }, { "nodes.install", LAB_PHASE_INSTALL },
    { "nodes.configure:", LAB_PHASE_CONFIGURE }, { "nodes.", LAB_PHASE_NODES }, { "guests.", LAB_PHASE_GUESTS },
    { "stand.ready", LAB_PHASE_READY },
    /* the proxmox row's steps through the Proxmox API */
    { "pve.api:", LAB_PHASE_CONFIGURE }, { "pve.cluster.", LAB_PHASE_CLUSTER }, { "pve.storage.", LAB_PHASE_CLUSTER },
    { "pve.template", LAB_PHASE_GUESTS }, { "pve.image", LAB_PHASE_GUESTS }, { "pve.guest.", LAB_PHASE_GUESTS },
  };
  static const char * const recipes[] = { "tests/data/e2e.lab", "recipes/kvm-3node.lab", "recipes/proxmox-3node.lab" };

  for (guint k = 0; k < G_N_ELEMENTS (recipes); k++)
    {
      g_autofree char *path = g_build_filename (LABCTL_SOURCE_DIR, recipes[k], NULL);
      g_autoptr(LabRecipe) recipe = NULL;
      g_autoptr(LabState) state = NULL;
      g_autoptr(LabRunner) runner = NULL;
      LabContext ctx;
      g_autoptr(LabPlan) plan = plan_for (path, &recipe, &state, &runner, &ctx);

      for (guint i = 0; i < lab_plan_get_n_steps (plan); i++)
        {
          const char *id = lab_plan_get_step_id (plan, i);
          LabPhase phase = lab_plan_get_step_phase (plan, i);
          guint j;

          for (j = 0; j < G_N_ELEMENTS (expect); j++)
            if (g_str_has_prefix (id, expect[j].prefix))
              break;
          g_test_message ("%s: %s in phase %s", recipes[k], id, lab_phase_to_string (phase));
          g_assert_cmpuint (j, <, G_N_ELEMENTS (expect));
          if (j < G_N_ELEMENTS (expect))
            g_assert_cmpstr (lab_phase_to_string (phase), ==, lab_phase_to_string (expect[j].phase));
          if (i > 0)
            g_assert_cmpint (lab_plan_get_step_phase (plan, i - 1), <=, phase);
        }
    }
}

static void
test_checks_per_flavor (void)
{
  g_assert_false (lab_stand_check_matters (LAB_FLAVOR_CONTAINER, "kvm.nested"));
  g_assert_false (lab_stand_check_matters (LAB_FLAVOR_CONTAINER, "libvirt.reachable"));
  g_assert_true (lab_stand_check_matters (LAB_FLAVOR_CONTAINER, "host.memory"));
  g_assert_true (lab_stand_check_matters (LAB_FLAVOR_CONTAINER, "tool.tgtadm"));
  g_assert_true (lab_stand_check_matters (LAB_FLAVOR_PROXMOX, "kvm.nested"));
  g_assert_true (lab_stand_check_matters (LAB_FLAVOR_KVM, "libvirt.reachable"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  g_test_add_func ("/stand/plan/container", test_container_order);
  g_test_add_func ("/stand/plan/kvm", test_kvm_order);
  g_test_add_func ("/stand/plan/phases", test_phases);
  g_test_add_func ("/stand/checks-per-flavor", test_checks_per_flavor);
  return g_test_run ();
}
