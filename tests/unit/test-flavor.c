/* test-flavor.c: the flavor table: a row for every recipe flavor, what
 * each row says (phases, node URIs, checks that do not matter), and the
 * errors for a flavor whose nodes run no libvirt. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "lab-error.h"
#include "lab-flavor.h"
#include "lab-recipe.h"
#include "lab-state.h"

static const char container_text[] =
  "[lab]\nname = fl\nflavor = container\n"
  "[storage]\nsize = 256M\n"
  "[network]\nsubnet = 10.200.9.0/24\n"
  "[nodes]\ncount = 2\ndisk = 4M\n";

static const char vm_text[] =
  "[lab]\nname = flk\nflavor = proxmox\n"
  "[network]\nsubnet = 10.200.10.0/24\n"
  "[nodes]\ncount = 2\nos = debian12\n";

typedef struct {
  LabRecipe  *recipe;
  LabState   *state;
  LabContext  ctx;
} Lab;

static void
lab_open (Lab *lab, const char *text)
{
  g_autoptr(GError) error = NULL;

  memset (lab, 0, sizeof *lab);
  lab->recipe = lab_recipe_load_data (text, -1, "flavor-test.lab", &error);
  g_assert_no_error (error);
  lab->state = lab_state_new_in_memory (lab->recipe->name);
  lab_context_init (&lab->ctx, lab->recipe, lab->state, NULL, NULL, TRUE);
}

static void
lab_close (Lab *lab)
{
  lab_state_free (lab->state);
  lab_recipe_free (lab->recipe);
}

static void
test_table (void)
{
  static const struct { LabFlavorId id; const char *row; gboolean guests; } rows[] = {
    { LAB_FLAVOR_PROXMOX, "proxmox", FALSE },
    { LAB_FLAVOR_KVM, "kvm", TRUE },
    { LAB_FLAVOR_CONTAINER, "container", TRUE },
  };

  G_STATIC_ASSERT (G_N_ELEMENTS (rows) == LAB_N_FLAVORS);
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      const LabFlavor *f = lab_flavor_get (rows[i].id);
      LabFlavorId back;

      g_test_message ("flavor %s", lab_flavor_to_string (rows[i].id));
      g_assert_nonnull (f);
      g_assert_cmpstr (f->name, ==, rows[i].row);
      /* every flavor makes nodes, and can be reset */
      g_assert_nonnull (f->add_steps[LAB_PHASE_NODES]);
      g_assert_nonnull (f->reset);
      /* the stand's own phases are the stand's */
      g_assert_null (f->add_steps[LAB_PHASE_CHECK]);
      g_assert_null (f->add_steps[LAB_PHASE_STORAGE]);
      g_assert_null (f->add_steps[LAB_PHASE_READY]);
      g_assert_cmpint (lab_flavor_has_guests (f), ==, rows[i].guests);
      /* guests need a way to the nodes' libvirt */
      g_assert_true (!lab_flavor_has_guests (f) || (f->node_uri != NULL && f->node_peer_uri != NULL));
      g_assert_true (lab_flavor_from_string (lab_flavor_to_string (rows[i].id), &back));
      g_assert_cmpint (back, ==, rows[i].id);
    }
  {
    LabFlavorId id = LAB_FLAVOR_KVM;
    g_assert_false (lab_flavor_from_string ("proxmx", &id));
    g_assert_cmpint (id, ==, LAB_FLAVOR_KVM);
  }
}

static void
test_checks (void)
{
  const LabFlavor *vm = lab_flavor_get (LAB_FLAVOR_PROXMOX);
  const LabFlavor *ct = lab_flavor_get (LAB_FLAVOR_CONTAINER);

  g_assert_true (lab_flavor_check_matters (vm, "kvm.nested"));
  g_assert_true (lab_flavor_check_matters (vm, "libvirt.reachable"));
  g_assert_false (lab_flavor_check_matters (ct, "kvm.nested"));
  g_assert_false (lab_flavor_check_matters (ct, "tool.iscsiadm"));
  g_assert_true (lab_flavor_check_matters (ct, "host.memory"));
  g_assert_true (lab_flavor_check_matters (ct, "tool.tgtadm"));
}

static void
test_container_uris (void)
{
  Lab lab;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *peer = NULL;
  g_autofree char *want = NULL;
  g_autofree char *none = NULL;

  lab_open (&lab, container_text);
  dir = lab_context_get_state_dir (&lab.ctx);
  g_assert_true (g_str_has_suffix (dir, "/fl"));
  uri = lab_flavor_node_uri (&lab.ctx, "node2", &error);
  g_assert_no_error (error);
  want = g_strdup_printf ("qemu+unix:///system?socket=%s/nodes/node2/run/libvirt-sock", dir);
  g_assert_cmpstr (uri, ==, want);
  peer = lab_flavor_node_peer_uri (&lab.ctx, "node2", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (peer, ==, "qemu+tcp://10.200.9.12/system");
  none = lab_flavor_node_uri (&lab.ctx, "node9", &error);
  g_assert_null (none);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);
  g_assert_nonnull (error != NULL ? strstr (error->message, "node9") : NULL);
  lab_close (&lab);
}

/* A container node's commands enter the namespaces of its virtlogd, and
 * only while that process lives; a VM node without an OS has none. */
static void
test_node_command (void)
{
  Lab lab;
  const char *argv[] = { "crm_mon", "-1", NULL };
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) cmd = NULL;
  g_auto(GStrv) none = NULL;
  g_autofree char *pid = g_strdup_printf ("%d", (int) getpid ());

  lab_open (&lab, container_text);
  none = lab_flavor_node_command (&lab.ctx, "node2", argv, &error);
  g_assert_null (none);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "node2"));
  g_clear_error (&error);
  lab_state_set_int (lab.state, "nodes.node2.virtlogd_pid", getpid ());
  cmd = lab_flavor_node_command (&lab.ctx, "node2", argv, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (cmd), ==, 9);
  g_assert_cmpstr (cmd[0], ==, "nsenter");
  g_assert_cmpstr (cmd[2], ==, pid);
  g_assert_cmpstr (cmd[6], ==, "--");
  g_assert_cmpstr (cmd[7], ==, "crm_mon");
  g_assert_cmpstr (cmd[8], ==, "-1");
  g_clear_pointer (&none, g_strfreev);
  none = lab_flavor_node_command (&lab.ctx, "node9", argv, &error);
  g_assert_null (none);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);
  lab_close (&lab);

  lab_open (&lab, vm_text);
  g_clear_error (&error);
  g_clear_pointer (&none, g_strfreev);
  none = lab_flavor_node_command (&lab.ctx, "node1", argv, &error);
  g_assert_null (none);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED);
  lab_close (&lab);
}

static void
test_vm_has_no_node_libvirt (void)
{
  Lab lab;
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;

  lab_open (&lab, vm_text);
  g_assert_false (lab_flavor_require_node_libvirt (&lab.ctx, NULL));
  uri = lab_flavor_node_uri (&lab.ctx, "node1", &error);
  g_assert_null (uri);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED);
  g_assert_nonnull (error != NULL ? strstr (error->message, "flavor is proxmox") : NULL);
  lab_close (&lab);
}

/* The rows that build a cluster say how: kvm nodes by ssh, their daemons
 * as systemd units, fenced by fence_xvm; container nodes by nsenter, the
 * daemons labctl's children, fenced by fence_labctl; proxmox has its own. */
static void
test_cluster_ops (void)
{
  const LabClusterOps *kvm = lab_flavor_get (LAB_FLAVOR_KVM)->cluster_ops;
  const LabClusterOps *ct = lab_flavor_get (LAB_FLAVOR_CONTAINER)->cluster_ops;

  g_assert_nonnull (kvm);
  g_assert_nonnull (ct);
  g_assert_null (lab_flavor_get (LAB_FLAVOR_PROXMOX)->cluster_ops);
  if (kvm == NULL || ct == NULL)
    return;
  g_assert_cmpstr (kvm->fence_agent, ==, "fence_xvm");
  g_assert_true (kvm->node_systemd);
  g_assert_nonnull (kvm->describe_cmd);
  g_assert_nonnull (lab_flavor_get (LAB_FLAVOR_KVM)->add_steps[LAB_PHASE_CLUSTER]);
  g_assert_nonnull (lab_flavor_get (LAB_FLAVOR_KVM)->node_fault);
  g_assert_cmpstr (ct->fence_agent, ==, "fence_labctl");
  g_assert_false (ct->node_systemd);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  g_test_add_func ("/flavor/table", test_table);
  g_test_add_func ("/flavor/checks", test_checks);
  g_test_add_func ("/flavor/container/uris", test_container_uris);
  g_test_add_func ("/flavor/vm/no-node-libvirt", test_vm_has_no_node_libvirt);
  g_test_add_func ("/flavor/node-command", test_node_command);
  g_test_add_func ("/flavor/cluster-ops", test_cluster_ops);
  return g_test_run ();
}
