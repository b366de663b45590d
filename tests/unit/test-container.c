/* test-container.c: the container flavor's names and commands, with a
 * recording runner (nothing runs). */
#include "config.h"

#include <string.h>

#include "lab-container.h"
#include "lab-error.h"
#include "lab-recipe.h"
#include "lab-runner.h"

static const char recipe_text[] =
  "[lab]\nname = unitlab\nflavor = container\n"
  "[network]\nsubnet = 10.200.7.0/24\n"
  "[nodes]\ncount = 2\n";

static LabRecipe *
load (void)
{
  g_autoptr(GError) error = NULL;
  LabRecipe *r = lab_recipe_load_data (recipe_text, -1, "unit.lab", &error);

  g_assert_no_error (error);
  return r;
}

static gboolean
recorded_has (LabRunner *runner, const char *line)
{
  GPtrArray *rec = lab_runner_get_recorded (runner);

  for (guint i = 0; i < rec->len; i++)
    if (g_str_equal (g_ptr_array_index (rec, i), line))
      return TRUE;
  return FALSE;
}

static void
test_names (void)
{
  g_autoptr(LabRecipe) r = load ();
  g_autoptr(LabContainerNode) a = lab_container_node_new (r, g_ptr_array_index (r->nodes, 0), "/srv/st");
  g_autoptr(LabContainerNode) b = lab_container_node_new (r, g_ptr_array_index (r->nodes, 1), "/srv/st");
  g_autoptr(LabContainerNode) a2 = lab_container_node_new (r, g_ptr_array_index (r->nodes, 0), "/srv/st");
  g_autofree char *uri = lab_container_node_uri (a);
  g_autofree char *peer = lab_container_node_peer_uri (b);

  g_assert_cmpstr (a->netns, ==, "labctl-unitlab-node1");
  g_assert_cmpstr (a->address, ==, "10.200.7.11");
  g_assert_cmpstr (b->address, ==, "10.200.7.12");
  g_assert_cmpstr (a->gateway, ==, "10.200.7.1");
  g_assert_cmpuint (a->prefix, ==, 24);
  g_assert_cmpstr (a->dir, ==, "/srv/st/nodes/node1");
  g_assert_cmpuint (strlen (a->veth), <=, 15);
  g_assert_cmpstr (a->veth, !=, b->veth);
  g_assert_cmpstr (a->veth, ==, a2->veth);
  g_assert_cmpstr (a->uuid, !=, b->uuid);
  g_assert_cmpstr (a->uuid, ==, a2->uuid);
  g_assert_cmpuint (strlen (a->uuid), ==, 36);
  g_assert_cmpstr (a->mac, ==, ((LabNode *) g_ptr_array_index (r->nodes, 0))->mac);
  g_assert_cmpstr (uri, ==, "qemu+unix:///system?socket=/srv/st/nodes/node1/run/libvirt-sock");
  g_assert_cmpstr (peer, ==, "qemu+tcp://10.200.7.12/system");
}

static void
test_bridge_commands (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  g_autoptr(LabRecipe) r = load ();
  gboolean exists = TRUE;

  /* absent: created, marked, addressed, up */
  lab_runner_expect (runner, "ip -j link show dev lab-unitlab", 1, "", "Device \"lab-unitlab\" does not exist.");
  g_assert_true (lab_container_bridge_create (runner, r->bridge, r->gateway, r->subnet_prefix, r->name, &error));
  g_assert_no_error (error);
  g_assert_true (recorded_has (runner, "ip link add lab-unitlab type bridge"));
  g_assert_true (recorded_has (runner, "ip link set dev lab-unitlab alias labctl:unitlab"));
  g_assert_true (recorded_has (runner, "ip addr replace 10.200.7.1/24 dev lab-unitlab"));
  g_assert_true (recorded_has (runner, "ip link set lab-unitlab up"));

  /* ours: found */
  lab_runner_clear_recorded (runner);
  lab_runner_expect (runner, "ip -j link show dev lab-unitlab", 0,
                     "[{\"ifname\":\"lab-unitlab\",\"ifalias\":\"labctl:unitlab\"}]", "");
  g_assert_true (lab_container_bridge_check (runner, r->bridge, r->name, &exists, &error));
  g_assert_no_error (error);
  g_assert_true (exists);

  /* somebody else's: never deleted */
  lab_runner_clear_recorded (runner);
  lab_runner_expect (runner, "ip -j link show dev lab-unitlab", 0, "[{\"ifname\":\"lab-unitlab\"}]", "");
  g_assert_false (lab_container_bridge_delete (runner, r->bridge, r->name, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_assert_false (recorded_has (runner, "ip link del lab-unitlab"));
  g_clear_error (&error);

  /* absent: deleting is a no-op */
  lab_runner_clear_recorded (runner);
  lab_runner_expect (runner, "ip -j link show dev lab-unitlab", 1, "", "does not exist");
  g_assert_true (lab_container_bridge_delete (runner, r->bridge, r->name, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (lab_runner_get_recorded (runner)->len, ==, 1);
}

static void
test_netns_commands (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  g_autoptr(LabRecipe) r = load ();
  g_autoptr(LabContainerNode) a = lab_container_node_new (r, g_ptr_array_index (r->nodes, 0), "/srv/st");
  g_autofree char *veth = g_strdup_printf ("ip link add %s type veth peer name eth0 address %s netns labctl-unitlab-node1",
                                          a->veth, a->mac);
  g_auto(GStrv) up = lab_container_netns_describe (a, FALSE);
  g_auto(GStrv) down = lab_container_netns_describe (a, TRUE);

  g_assert_true (lab_container_netns_create (runner, a, &error));
  g_assert_no_error (error);
  g_assert_true (recorded_has (runner, "ip netns add labctl-unitlab-node1"));
  g_assert_true (recorded_has (runner, veth));
  g_assert_true (recorded_has (runner, "ip -n labctl-unitlab-node1 addr add 10.200.7.11/24 dev br0"));
  /* describe shows the same commands */
  g_assert_true (g_strv_contains ((const char * const *) up, veth));
  g_assert_cmpuint (g_strv_length (up), ==, lab_runner_get_recorded (runner)->len);
  g_assert_true (g_strv_contains ((const char * const *) down, "ip netns del labctl-unitlab-node1"));
}

static void
test_daemons_describe (void)
{
  g_autoptr(LabRecipe) r = load ();
  g_autoptr(LabContainerNode) a = lab_container_node_new (r, g_ptr_array_index (r->nodes, 0), "/srv/st");
  g_auto(GStrv) up = lab_container_daemons_describe (a, FALSE);
  g_autofree char *all = g_strjoinv ("\n", up);

  /* private config: own uuid, listen on the node's address only, no cgroups */
  g_assert_nonnull (strstr (all, a->uuid));
  g_assert_nonnull (strstr (all, "listen_addr = \"10.200.7.11\""));
  g_assert_nonnull (strstr (all, "migration_host = \"10.200.7.11\""));
  g_assert_nonnull (strstr (all, "cgroup_controllers = [ ]"));
  g_assert_nonnull (strstr (all, "mount --bind"));
  g_assert_nonnull (strstr (all, "/srv/st/nodes/node1/run"));
  g_assert_nonnull (strstr (all, "ip netns exec labctl-unitlab-node1 unshare --mount --uts"));
  g_assert_nonnull (strstr (all, "libvirtd --listen"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  g_test_add_func ("/container/names", test_names);
  g_test_add_func ("/container/bridge/commands", test_bridge_commands);
  g_test_add_func ("/container/netns/commands", test_netns_commands);
  g_test_add_func ("/container/daemons/describe", test_daemons_describe);
  return g_test_run ();
}
