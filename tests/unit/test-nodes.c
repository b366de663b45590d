/* Unit tests for the nodes plan steps (lab-nodes) on libvirt's test driver:
 * the shipped proxmox-3node recipe's network and node domains against
 * golden files, `up` / `up` again / `down` through LabPlan, refusals, the
 * dry-run description, and `labctl nodes` itself. */
#include "config.h"

#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <string.h>
#include <unistd.h>

#include "fake-iso.h"
#include "lab-error.h"
#include "lab-vm.h"
#include "lab-plan.h"
#include "lab-recipe.h"
#include "lab-runner.h"
#include "lab-state.h"
#include "virt-test-util.h"

static LabRecipe *
load_shipped (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (LABCTL_SOURCE_DIR, "recipes", name, NULL);
  LabRecipe *r = lab_recipe_load (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (r);
  return r;
}

/* The shipped recipe's nodes as labctl defines them on a KVM host. */
static void
test_golden (void)
{
  g_autoptr(LabRecipe) r = load_shipped ("proxmox-3node.lab");
  g_autoptr(GError) error = NULL;
  g_autoptr(LabOsinfo) osinfo = lab_osinfo_new (NULL, &error);
  g_autoptr(LabOsinfoProfile) profile = NULL;
  g_autoptr(LabVirtNetworkSpec) net = lab_vm_network_spec (r);
  g_autofree char *net_xml = lab_virt_network_xml (net);
  g_autofree char *iso = NULL;

  g_assert_no_error (error);
  g_setenv ("LABCTL_ISO_DIR", "/var/lib/labctl/isos", TRUE);
  iso = lab_vm_iso_path (r);
  g_assert_cmpstr (iso, ==, "/var/lib/labctl/isos/proxmox-ve-9.2.iso");
  profile = lab_osinfo_lookup (osinfo, r->os_id, &error);
  g_assert_no_error (error);

  virt_test_check_golden ("golden-network-course.xml", net_xml);
  virt_test_validate (net_xml, "network");
  g_assert_cmpuint (r->nodes->len, ==, 3);
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *node = g_ptr_array_index (r->nodes, i);
      g_autoptr(LabVirtDomainSpec) spec = lab_vm_domain_spec (r, node, profile, "kvm", iso);
      g_autofree char *xml = lab_virt_domain_xml (spec);
      g_autofree char *golden = g_strdup_printf ("golden-%s.xml", node->name);
      g_autofree char *owner = NULL;
      g_autofree char *owner_node = NULL;

      virt_test_check_golden (golden, xml);
      virt_test_validate (xml, "domain");
      /* what the golden files must say, whatever they were regenerated to */
      g_assert_nonnull (strstr (xml, "<domain type='kvm'>"));
      g_assert_nonnull (strstr (xml, "<cpu mode='host-passthrough'>"));
      g_assert_nonnull (strstr (xml, "<cache mode='passthrough'/>"));
      g_assert_nonnull (strstr (xml, "cache='none' io='native'"));
      g_assert_true (lab_virt_xml_get_owner (xml, &owner, &owner_node, NULL));
      g_assert_cmpstr (owner, ==, "course");
      g_assert_cmpstr (owner_node, ==, node->name);
    }

  /* under TCG the CPU cannot be the host's */
  {
    g_autoptr(LabVirtDomainSpec) tcg = lab_vm_domain_spec (r, g_ptr_array_index (r->nodes, 0), profile, "qemu", iso);
    g_autofree char *warning = lab_vm_tcg_warning ("qemu", "no /dev/kvm");
    g_assert_cmpstr (tcg->domain_type, ==, "qemu");
    g_assert_cmpstr (tcg->cpu_mode, ==, "maximum");
    g_assert_nonnull (strstr (warning, "cannot run a hypervisor"));
    g_assert_null (lab_vm_tcg_warning ("kvm", NULL));
  }
}

typedef struct {
  char       *dir;        /* sysroot with dev/vg_iscsi/lv_* and the ISO dir */
  char       *uri;
  LabRecipe  *recipe;
  LabState   *state;
  LabRunner  *runner;
  LabContext  ctx;
} PlanFixture;

static void
plan_fixture_setup (PlanFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *vg = NULL;
  g_autofree char *isos = NULL;
  g_autofree char *iso = NULL;

  f->dir = g_dir_make_tmp ("labctl-nodes-XXXXXX", &error);
  g_assert_no_error (error);
  vg = g_build_filename (f->dir, "dev", "vg_iscsi", NULL);
  g_mkdir_with_parents (vg, 0755);
  for (guint i = 1; i <= 3; i++)
    {
      g_autofree char *lv = g_strdup_printf ("%s/lv_pve%u", vg, i);
      g_file_set_contents (lv, "", 0, NULL);
    }
  isos = g_build_filename (f->dir, "isos", NULL);
  g_mkdir (isos, 0755);
  iso = g_build_filename (isos, "proxmox-ve-9.2.iso", NULL);
  g_assert_true (fake_iso_write (iso, "PVE", &error));
  g_setenv ("LABCTL_ISO_DIR", isos, TRUE);
  g_setenv ("LABCTL_DOMAIN_TYPE", "kvm", TRUE);

  f->uri = virt_test_uri ();
  f->recipe = load_shipped ("proxmox-3node.lab");
  f->state = lab_state_new_in_memory (f->recipe->name);
  f->runner = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  f->ctx.recipe = f->recipe;
  f->ctx.state = f->state;
  f->ctx.runner = f->runner;
  f->ctx.libvirt_uri = f->uri;
  f->ctx.sysroot = f->dir;
}

static void
plan_fixture_teardown (PlanFixture *f, gconstpointer data)
{
  const char *rm[] = { "rm", "-rf", f->dir, NULL };

  g_spawn_sync (NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
  g_free (f->dir);
  g_free (f->uri);
  lab_recipe_free (f->recipe);
  lab_state_free (f->state);
  g_object_unref (f->runner);
  g_unsetenv ("LABCTL_ISO_DIR");
  g_unsetenv ("LABCTL_DOMAIN_TYPE");
}

/* The test driver keeps a separate host per connection, so what the plan
 * did is checked through the plan's own results: the state it records,
 * `up` again finding every step done, and `down` clearing it all. */
static void
test_plan_up_down (PlanFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabPlan) plan = lab_plan_new (&f->ctx);
  g_auto(GStrv) keys = NULL;

  lab_vm_add_steps (plan, &f->ctx);
  g_assert_cmpuint (lab_plan_get_n_steps (plan), ==, 5);
  /* the libvirt group is enough for the nodes */
  g_assert_false (lab_plan_needs_root (plan, FALSE));

  g_assert_true (lab_plan_up (plan, &error));
  g_assert_no_error (error);
  g_assert_cmpint (lab_state_get_step (f->state, "nodes.network"), ==, LAB_STEP_STATE_DONE);
  g_assert_cmpint (lab_state_get_step (f->state, "nodes.define:pve2"), ==, LAB_STEP_STATE_DONE);
  g_assert_cmpint (lab_state_get_step (f->state, "nodes.start"), ==, LAB_STEP_STATE_DONE);
  g_assert_cmpstr (lab_state_get_string (f->state, "virt.network.name"), ==, "labctl-course");
  g_assert_true (lab_state_get_bool (f->state, "virt.network.created", FALSE));
  keys = lab_state_list_keys (f->state, "virt.node.");
  g_assert_cmpuint (g_strv_length (keys), ==, 3);

  /* idempotent: everything is found done, nothing is redone */
  g_assert_true (lab_plan_up (plan, &error));
  g_assert_no_error (error);

  g_assert_true (lab_plan_down (plan, &error));
  g_assert_no_error (error);
  g_assert_false (lab_state_has (f->state, "virt.network.name"));
  g_assert_false (lab_state_has (f->state, "virt.node.pve1.domain"));
}

static void
test_plan_refusals (PlanFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *lv = g_build_filename (f->dir, "dev", "vg_iscsi", "lv_pve3", NULL);
  g_autoptr(LabPlan) plan = NULL;

  /* a missing LV stops the define step with the fix in the message */
  g_unlink (lv);
  plan = lab_plan_new (&f->ctx);
  lab_vm_add_steps (plan, &f->ctx);
  g_assert_false (lab_plan_up (plan, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);
  g_assert_nonnull (error != NULL ? strstr (error->message, "lv_pve3") : NULL);
  g_test_message ("%s", error != NULL ? error->message : "");
  g_clear_error (&error);
  g_assert_cmpint (lab_state_get_step (f->state, "nodes.define:pve3"), ==, LAB_STEP_STATE_STARTED);
  /* and down undoes what was done */
  g_assert_true (lab_plan_down (plan, &error));
  g_assert_no_error (error);
}

static void
test_plan_foreign_network (PlanFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabPlan) plan = NULL;

  /* the recipe names libvirt's default network's subnet */
  f->recipe->subnet_addr = 0xc0a87a00;
  g_free (f->recipe->gateway);
  f->recipe->gateway = g_strdup ("192.168.122.1");
  plan = lab_plan_new (&f->ctx);
  lab_vm_add_steps (plan, &f->ctx);
  g_assert_false (lab_plan_up (plan, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_test_message ("%s", error != NULL ? error->message : "");
  g_clear_error (&error);
  /* nothing was created, so down has nothing to remove */
  g_assert_true (lab_plan_down (plan, &error));
  g_assert_no_error (error);
}

static void
test_plan_foreign_domain (PlanFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabPlan) plan = NULL;
  LabNode *node = g_ptr_array_index (f->recipe->nodes, 1);

  /* a node named like someone's VM */
  g_free (node->name);
  node->name = g_strdup ("foreign-vm");
  plan = lab_plan_new (&f->ctx);
  lab_vm_add_steps (plan, &f->ctx);
  g_assert_false (lab_plan_up (plan, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_clear_error (&error);
  g_assert_true (lab_plan_down (plan, &error));
  g_assert_no_error (error);
}

static void
test_plan_memory (PlanFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabPlan) plan = NULL;

  /* three nodes of 64 GiB on the test host's 16 GiB */
  for (guint i = 0; i < f->recipe->nodes->len; i++)
    ((LabNode *) g_ptr_array_index (f->recipe->nodes, i))->memory_mib = 65536;
  plan = lab_plan_new (&f->ctx);
  lab_vm_add_steps (plan, &f->ctx);
  g_assert_false (lab_plan_up (plan, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NO_SPACE);
  g_test_message ("%s", error != NULL ? error->message : "");
  g_assert_nonnull (error != NULL ? strstr (error->message, "196608 MiB") : NULL);
  g_clear_error (&error);
  g_assert_true (lab_plan_down (plan, &error));
  g_assert_no_error (error);
}

static void
test_plan_describe (PlanFixture *f, gconstpointer data)
{
  g_autoptr(LabPlan) plan = lab_plan_new (&f->ctx);
  g_autoptr(GString) up = g_string_new (NULL);
  g_autoptr(GString) down = g_string_new (NULL);
  guint n = 0;

  f->ctx.dry_run = TRUE;
  lab_vm_add_steps (plan, &f->ctx);
  lab_plan_describe (plan, FALSE, up);
  lab_plan_describe (plan, TRUE, down);
  for (const char *p = up->str; (p = strstr (p, "virt-install ")) != NULL; p++)
    n++;
  g_assert_cmpuint (n, ==, 3);
  g_assert_nonnull (strstr (up->str, "--cpu=host-passthrough,cache.mode=passthrough"));
  g_assert_nonnull (strstr (up->str, "--disk=path=/dev/vg_iscsi/lv_pve3,format=raw,bus=virtio,cache=none"));
  g_assert_nonnull (strstr (up->str, "net-define labctl-course-net.xml"));
  g_assert_nonnull (strstr (up->str, "<host mac='"));
  g_assert_nonnull (strstr (up->str, " start pve1"));
  g_assert_nonnull (strstr (down->str, "net-undefine labctl-course"));
  g_assert_nonnull (strstr (down->str, "undefine pve2 --snapshots-metadata"));
  g_test_message ("%s", up->str);
}

static char *
run_labctl (const char *const *args, const char *uri, int *status)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_auto(GStrv) env = g_get_environ ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;

  g_strv_builder_add (b, g_getenv ("LABCTL"));
  g_strv_builder_addv (b, (const char **) args);
  argv = g_strv_builder_end (b);
  if (uri != NULL)
    env = g_environ_setenv (env, "LABCTL_LIBVIRT_URI", uri, TRUE);
  env = g_environ_setenv (env, "LABCTL_DOMAIN_TYPE", "kvm", TRUE);
  g_assert_true (g_spawn_sync (NULL, argv, env, 0, NULL, NULL, &out, &err, status, &error));
  g_assert_no_error (error);
  if (err != NULL && *err != '\0')
    g_test_message ("stderr: %s", err);
  return g_steal_pointer (&out);
}

static void
test_cli (void)
{
  g_autofree char *uri = virt_test_uri ();
  const char *dry[] = { "nodes", "list", "--recipe", "proxmox-3node", "--dry-run", NULL };
  const char *list[] = { "nodes", "list", "--recipe", "proxmox-3node", "--json", NULL };
  const char *console[] = { "nodes", "console", "pve2", "--recipe", "proxmox-3node", NULL };
  const char *bad[] = { "nodes", "start", "pve9", "--recipe", "proxmox-3node", NULL };
  const char *snap[] = { "nodes", "snapshot", "pve1", "clean", "--dry-run", NULL };
  g_autofree char *out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  int status = -1;
  guint n = 0;

  if (g_getenv ("LABCTL") == NULL)
    {
      g_test_skip ("LABCTL (the built labctl) is not set: run through meson test");
      return;
    }
  out = run_labctl (dry, NULL, &status);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  for (const char *p = out; (p = strstr (p, "--cpu=host-passthrough")) != NULL; p++)
    n++;
  g_assert_cmpuint (n, ==, 3);
  g_assert_nonnull (strstr (out, "/dev/vg_iscsi/lv_pve1"));
  g_clear_pointer (&out, g_free);

  /* the test driver host: no node defined yet */
  out = run_labctl (list, uri, &status);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  {
    JsonArray *a = json_node_get_array (json_parser_get_root (parser));
    JsonObject *o = json_array_get_object_element (a, 0);
    g_assert_cmpuint (json_array_get_length (a), ==, 3);
    g_assert_cmpstr (json_object_get_string_member (o, "name"), ==, "pve1");
    g_assert_false (json_object_get_boolean_member (o, "defined"));
    g_assert_cmpstr (json_object_get_string_member (o, "reserved_address"), ==, "192.168.150.11");
  }
  g_clear_pointer (&out, g_free);

  out = run_labctl (console, uri, &status);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (out, "console pve2"));
  g_clear_pointer (&out, g_free);

  out = run_labctl (bad, uri, &status);
  g_assert_false (g_spawn_check_wait_status (status, NULL));
  g_clear_pointer (&out, g_free);

  out = run_labctl (snap, uri, &status);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (out, "snapshot-create-as pve1 clean"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

  g_test_add_func ("/nodes/golden", test_golden);
  g_test_add ("/nodes/plan/up-down", PlanFixture, NULL, plan_fixture_setup, test_plan_up_down, plan_fixture_teardown);
  g_test_add ("/nodes/plan/missing-lv", PlanFixture, NULL, plan_fixture_setup, test_plan_refusals, plan_fixture_teardown);
  g_test_add ("/nodes/plan/foreign-network", PlanFixture, NULL, plan_fixture_setup, test_plan_foreign_network,
              plan_fixture_teardown);
  g_test_add ("/nodes/plan/foreign-domain", PlanFixture, NULL, plan_fixture_setup, test_plan_foreign_domain,
              plan_fixture_teardown);
  g_test_add ("/nodes/plan/memory", PlanFixture, NULL, plan_fixture_setup, test_plan_memory, plan_fixture_teardown);
  g_test_add ("/nodes/plan/describe", PlanFixture, NULL, plan_fixture_setup, test_plan_describe, plan_fixture_teardown);
  g_test_add_func ("/nodes/cli", test_cli);
  return g_test_run ();
}
