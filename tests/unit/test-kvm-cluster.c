/* test-kvm-cluster.c: the HA guest on kvm nodes without a cluster run.
 *
 * - The CIB labctl builds (cluster.configure's commands, then
 *   cluster.guest's: the guest's disk as ocf:labctl:lv, its VirtualDomain,
 *   the order and colocation between them) is applied with pacemaker's own
 *   tools to a CIB file (CIB_file: the same cibadmin/crm_attribute, no
 *   daemon), checked by crm_verify, and handed to pacemaker's scheduler
 *   (crm_simulate): the disk starts before the guest on the same node; when
 *   that node fails it is fenced (off) and both start, in that order, on one
 *   survivor; `reset`'s way (target-role Stopped, a location at home,
 *   Started) stops the disk after the guest and brings both home, the
 *   disk first.
 * - The LV agent (labctl/cluster/lv.ocf) passes resource-agents'
 *   ocf-tester (meta-data against the OCF DTD, start/monitor/stop, probes)
 *   with stand-ins for lvs and lvchange (tests/data/cluster/fake-lvm/:
 *   a file for "active"; the real commands need device-mapper and a VG,
 *   which this machine lacks); a stop while the LV is open fails (pacemaker
 *   then fences), and a volume without a VG is a configuration error.
 * - The link fault's device XML (virDomainUpdateDeviceFlags' argument),
 *   and the kvm row's faults on libvirt's test driver. */
#include "config.h"

#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>

#include <libvirt/libvirt.h>

#include "lab-cluster.h"
#include "lab-error.h"
#include "lab-cluster-private.h"
#include "lab-flavor.h"
#include "lab-kvm.h"
#include "lab-kvm-private.h"
#include "lab-stand.h"
#include "lab-test-fs.h"
#include "lab-virt.h"
#include "lab-vm.h"
#include "lab-xml-reader.h"

static const char *recipe_text =
  "[lab]\nname = kc\nflavor = kvm\n"
  "[storage]\nsize = 16G\nvg = vg_kc\nlv-prefix = lv_\n"
  "[network]\nsubnet = 10.200.13.0/24\n"
  "[nodes]\ncount = 3\nos = debian12\ndisk = 5G\n"
  "[guest vm]\nnode = node1\nmemory = 112\ndisk = 16M\nkernel = /opt/g/vmlinux\ninitrd = /opt/g/initrd.gz\n"
  "cmdline = console=ttyS0\naddress = 10.200.13.51\n"
  "[guest ct]\ntype = container\nnode = node2\nmemory = 64\ndisk = 32M\ninitrd = /opt/g/initrd.gz\n"
  "address = 10.200.13.52\n"
  "[cluster]\ntoken = 1000\n";

typedef struct {
  char      *dir;
  char      *cib;
  char     **env;
} Cib;

/* Runs argv against the CIB file; returns its stdout, asserts exit 0. */
static char *
cib_run (Cib *c, const char *const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  int status = -1;

  g_spawn_sync (NULL, (char **) argv, c->env, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s exited %d: %s%s", argv[0], status, out, err);
  return g_steal_pointer (&out);
}

static void
cib_open (Cib *c)
{
  g_autoptr(GError) error = NULL;
  const char *empty[] = { "cibadmin", "--empty", NULL };
  const char *nodes[] = { "cibadmin", "--modify", "--allow-create", "--scope", "nodes", "--xml-text",
                          "<nodes><node id='1' uname='node1'/><node id='2' uname='node2'/>"
                          "<node id='3' uname='node3'/></nodes>", NULL };
  g_autofree char *text = NULL;

  c->dir = g_dir_make_tmp ("labctl-kvm-cib-XXXXXX", &error);
  g_assert_no_error (error);
  c->cib = g_build_filename (c->dir, "cib.xml", NULL);
  c->env = g_environ_setenv (g_get_environ (), "CIB_file", c->cib, TRUE);
  /* crm_attribute maps the local host's name to a cluster node even for
   * rsc_defaults; the commands run on node1 in a lab */
  c->env = g_environ_setenv (c->env, "OCF_RESKEY_CRM_meta_on_node", "node1", TRUE);
  text = cib_run (c, empty);
  g_assert_true (g_file_set_contents (c->cib, text, -1, NULL));
  /* the nodes as the controller records them when they join */
  g_free (cib_run (c, nodes));
}

static void
cib_close (Cib *c)
{
  lab_test_remove_tree (c->dir);
  g_free (c->dir);
  g_free (c->cib);
  g_strfreev (c->env);
}

/* crm_simulate on the CIB file: the transition's executed actions, one a
 * line (spaces squeezed); the CIB file becomes the simulation's result. */
static GPtrArray *
simulate (Cib *c, const char *const *extra)
{
  g_autofree char *out_path = g_build_filename (c->dir, "next.xml", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GRegex) spaces = g_regex_new (" +", 0, 0, NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *actions = g_ptr_array_new_with_free_func (g_free);
  gboolean in_transition = FALSE;
  const char *base[] = { "crm_simulate", "--xml-file", c->cib, "--quorum", "1", "--simulate", "--save-output",
                         out_path, NULL };

  for (guint i = 0; base[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) base[i]);
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) extra[i]);
  g_ptr_array_add (argv, NULL);
  text = cib_run (c, (const char *const *) argv->pdata);
  g_assert_cmpint (g_rename (out_path, c->cib), ==, 0);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (strstr (lines[i], "Executing Cluster Transition") != NULL)
        in_transition = TRUE;
      else if (strstr (lines[i], "Revised Cluster Status") != NULL)
        in_transition = FALSE;
      else if (in_transition && lines[i][0] != '\0')
        {
          g_autofree char *squeezed = g_strstrip (g_strdup (lines[i]));

          g_ptr_array_add (actions, g_regex_replace_literal (spaces, squeezed, -1, 0, " ", 0, NULL));
        }
    }
  for (guint i = 0; i < actions->len; i++)
    g_test_message ("  %s", (char *) g_ptr_array_index (actions, i));
  return actions;
}

static int
find_action (GPtrArray *actions, const char *format, const char *node)
{
  g_autofree char *line = g_strdup_printf (format, node);

  for (guint i = 0; i < actions->len; i++)
    if (g_str_equal (g_ptr_array_index (actions, i), line))
      return (int) i;
  return -1;
}

/* The disk starts before the guest, both on node. */
static void
assert_started_together (GPtrArray *actions, const char *node)
{
  int d = find_action (actions, "* Resource action: vm-disk start on %s", node);
  int v = find_action (actions, "* Resource action: vm start on %s", node);

  g_assert_cmpint (d, >=, 0);
  g_assert_cmpint (v, >, d);
}

/* Which node the transition started the guest on (NULL: none). */
static char *
started_on (GPtrArray *actions, const char *rsc)
{
  g_autofree char *prefix = g_strdup_printf ("* Resource action: %s start on ", rsc);

  for (guint i = 0; i < actions->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (actions, i), prefix))
      return g_strdup ((char *) g_ptr_array_index (actions, i) + strlen (prefix));
  return NULL;
}

static void
test_guest_cib (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRecipe) r = lab_recipe_load_data (recipe_text, -1, "kc.lab", &error);
  g_autoptr(LabState) state = lab_state_new_in_memory ("kc");
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  const LabClusterOps *ops = &lab_kvm_cluster_ops;
  LabContext ctx;
  Cib c = { 0 };
  g_autoptr(GPtrArray) configure = NULL;
  g_auto(GStrv) guest = NULL;
  g_auto(GStrv) container = NULL;
  const char *verify[] = { "crm_verify", "--live-check", "-V", NULL };
  g_autoptr(GPtrArray) up = NULL, fail = NULL, stop = NULL, home = NULL;
  g_autofree char *where = NULL, *survivor = NULL, *home_node = NULL, *loc = NULL;

  g_assert_no_error (error);
  lab_context_init (&ctx, r, state, runner, NULL, FALSE);
  /* what the plan adds: the VM guest is a cluster resource, the container is not */
  {
    g_autoptr(LabPlan) plan = lab_stand_build_plan (&ctx, &error);
    int vm = -1, vm_start = -1, configure = -1;
    gboolean ct = FALSE;

    g_assert_no_error (error);
    for (guint j = 0; j < lab_plan_get_n_steps (plan); j++)
      {
        const char *id = lab_plan_get_step_id (plan, j);

        if (g_str_equal (id, "cluster.guest:vm"))
          vm = (int) j;
        if (g_str_equal (id, "guests.start:vm"))
          vm_start = (int) j;
        if (g_str_equal (id, "cluster.configure"))
          configure = (int) j;
        ct |= g_str_equal (id, "cluster.guest:ct");
      }
    /* after the cluster is configured and the guest runs on its home node */
    g_assert_cmpint (configure, >=, 0);
    g_assert_cmpint (vm_start, >, configure);
    g_assert_cmpint (vm, >, vm_start);
    g_assert_false (ct);
  }
  container = lab_cluster_guest_cib_argv (&ctx, ops, lab_recipe_find_guest (r, "ct"));
  g_assert_null (strstr (container[6], "provider='labctl'"));

  cib_open (&c);
  configure = lab_cluster_configure_commands (&ctx, ops);
  for (guint i = 0; i < configure->len; i++)
    g_free (cib_run (&c, g_ptr_array_index (configure, i)));
  guest = lab_cluster_guest_cib_argv (&ctx, ops, lab_recipe_find_guest (r, "vm"));
  g_assert_cmpstr (guest[0], ==, "cibadmin");
  g_assert_nonnull (strstr (guest[6], "<nvpair id='vm-disk-params-volume' name='volume' value='vg_kc/lv_vm'/>"));
  g_free (cib_run (&c, (const char *const *) guest));

  /* every node up: the disk, then the guest, on one node */
  up = simulate (&c, (const char *[]) { "--node-up", "node1", "--node-up", "node2", "--node-up", "node3", NULL });
  /* pacemaker's own check of the configuration (on a quorate cluster:
   * without one it warns of the nodes' state, not of the configuration) */
  g_free (cib_run (&c, verify));
  where = started_on (up, "vm");
  g_assert_nonnull (where);
  assert_started_together (up, where);

  /* its node fails: fenced off first, then the disk and the guest on one
   * survivor */
  fail = simulate (&c, (const char *[]) { "--node-fail", where, NULL });
  survivor = started_on (fail, "vm");
  g_assert_nonnull (survivor);
  g_assert_cmpstr (survivor, !=, where);
  assert_started_together (fail, survivor);
  g_assert_cmpint (find_action (fail, "* Fencing %s (off)", where), >=, 0);
  g_assert_cmpint (find_action (fail, "* Fencing %s (off)", where), <,
                   find_action (fail, "* Resource action: vm-disk start on %s", survivor));

  /* reset's way (lab_cluster_guest_restart_on): stopped (then its disk,
   * which runs only with it), placed at home by a location constraint,
   * started: the disk follows, before it */
  g_free (cib_run (&c, (const char *[]) { "crm_resource", "--resource", "vm", "--meta", "--set-parameter",
                                           "target-role", "--parameter-value", "Stopped", NULL }));
  stop = simulate (&c, NULL);
  g_assert_cmpint (find_action (stop, "* Resource action: vm stop on %s", survivor), >=, 0);
  g_assert_cmpint (find_action (stop, "* Resource action: vm-disk stop on %s", survivor), >,
                   find_action (stop, "* Resource action: vm stop on %s", survivor));
  /* home: the one node that is neither fenced nor running it */
  for (guint i = 1; i <= 3 && home_node == NULL; i++)
    {
      g_autofree char *n = g_strdup_printf ("node%u", i);

      if (!g_str_equal (n, where) && !g_str_equal (n, survivor))
        home_node = g_steal_pointer (&n);
    }
  loc = g_strdup_printf ("<rsc_location id='labctl-home-vm' rsc='vm' node='%s' score='INFINITY'/>", home_node);
  g_free (cib_run (&c, (const char *[]) { "cibadmin", "--modify", "--allow-create", "--scope", "constraints",
                                           "--xml-text", loc, NULL }));
  g_free (cib_run (&c, (const char *[]) { "crm_resource", "--resource", "vm", "--meta", "--set-parameter",
                                           "target-role", "--parameter-value", "Started", NULL }));
  home = simulate (&c, NULL);
  assert_started_together (home, home_node);
  cib_close (&c);
}

/* Runs the agent (or ocf-tester on it) with the stand-ins first on PATH;
 * returns its exit status, its output in *out. */
static int
agent_run (const char *dir, const char *const *argv, const char *volume, char **out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *fake = g_test_build_filename (G_TEST_DIST, "data", "cluster", "fake-lvm", NULL);
  g_autofree char *path = g_strdup_printf ("%s:%s", fake, g_getenv ("PATH"));
  g_auto(GStrv) env = g_get_environ ();
  g_autofree char *err = NULL;
  int status = -1;

  env = g_environ_setenv (env, "PATH", path, TRUE);
  env = g_environ_setenv (env, "FAKE_LVM_DIR", dir, TRUE);
  env = g_environ_setenv (env, "FAKE_LVM_LV", "vg_kc/lv_vm", TRUE);
  env = g_environ_setenv (env, "OCF_ROOT", "/usr/lib/ocf", TRUE);
  env = g_environ_setenv (env, "OCF_RESKEY_volume", volume, TRUE);
  g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_SEARCH_PATH, NULL, NULL, out, &err, &status, &error);
  g_assert_no_error (error);
  g_test_message ("%s: %s%s", argv[0], *out, err);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
test_lv_agent (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("labctl-lv-agent-XXXXXX", &error);
  g_autofree char *agent = g_test_build_filename (G_TEST_DIST, "..", "labctl", "cluster", LAB_CLUSTER_LV_AGENT_FILE,
                                                  NULL);
  g_autofree char *active = g_build_filename (dir, "active", NULL);
  g_autofree char *open_file = g_build_filename (dir, "open", NULL);
  g_autofree char *log_path = g_build_filename (dir, "log", NULL);
  g_autofree char *out = NULL, *log = NULL;
  const char *tester[] = { "ocf-tester", "-n", "vm-disk", "-o", "volume=vg_kc/lv_vm", agent, NULL };
  const char *start[] = { agent, "start", NULL };
  const char *stop[] = { agent, "stop", NULL };
  const char *monitor[] = { agent, "monitor", NULL };

  g_assert_no_error (error);
  /* resource-agents' own battery: meta-data valid against ra-api-1.dtd,
   * validate-all, start, monitor, stop, monitor of a stopped resource,
   * start and stop twice */
  g_assert_cmpint (agent_run (dir, tester, "vg_kc/lv_vm", &out), ==, 0);
  g_assert_nonnull (strstr (out, "passed all tests"));
  g_clear_pointer (&out, g_free);
  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  g_assert_nonnull (strstr (log, "lvchange -ay vg_kc/lv_vm\n"));
  g_assert_nonnull (strstr (log, "lvchange -an vg_kc/lv_vm\n"));
  /* only activation: nothing that writes metadata */
  g_assert_null (strstr (log, "vgchange"));
  g_assert_false (g_file_test (active, G_FILE_TEST_EXISTS));

  /* running: 0; stopped: 7 (OCF_NOT_RUNNING) */
  g_assert_cmpint (agent_run (dir, start, "vg_kc/lv_vm", &out), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_true (g_file_test (active, G_FILE_TEST_EXISTS));
  g_assert_cmpint (agent_run (dir, monitor, "vg_kc/lv_vm", &out), ==, 0);
  g_clear_pointer (&out, g_free);
  /* open (a guest still runs on it): stop fails (1, OCF_ERR_GENERIC), and
   * pacemaker fences the node rather than start the guest elsewhere */
  g_assert_true (g_file_set_contents (open_file, "", 0, NULL));
  g_assert_cmpint (agent_run (dir, stop, "vg_kc/lv_vm", &out), ==, 1);
  g_clear_pointer (&out, g_free);
  g_assert_true (g_file_test (active, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_unlink (open_file), ==, 0);
  g_assert_cmpint (agent_run (dir, stop, "vg_kc/lv_vm", &out), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (agent_run (dir, monitor, "vg_kc/lv_vm", &out), ==, 7);
  g_clear_pointer (&out, g_free);
  /* a node whose LVM does not see the LV: not running there; starting
   * there fails */
  g_assert_cmpint (agent_run (dir, monitor, "vg_kc/lv_other", &out), ==, 7);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (agent_run (dir, start, "vg_kc/lv_other", &out), ==, 1);
  g_clear_pointer (&out, g_free);
  /* not VG/LV: a configuration error (6, OCF_ERR_CONFIGURED) */
  g_assert_cmpint (agent_run (dir, start, "lv_vm", &out), ==, 6);
  lab_test_remove_tree (dir);
}

static void
assert_xpath (LabXmlReader *reader, const char *xpath, const char *want)
{
  g_autofree char *got = lab_xml_reader_get_string (reader, NULL, xpath);

  g_assert_cmpstr (got, ==, want);
}

/* The device XML of the kvm link fault, from a domain as libvirt writes
 * it (the test driver's running domain "test"; the driver itself has no
 * virDomainUpdateDeviceFlags: the call is tested on a real QEMU node in
 * tests/system/test-nodes.c): the same interface (found by MAC, any case)
 * with one <link> element. */
static void
test_link_device (void)
{
  g_autoptr(GError) error = NULL;
  virConnectPtr conn = virConnectOpen ("test:///default");
  virDomainPtr dom = conn != NULL ? virDomainLookupByName (conn, "test") : NULL;
  g_autofree char *xml = dom != NULL ? virDomainGetXMLDesc (dom, 0) : NULL;
  g_autofree char *down = NULL, *up = NULL, *with_down = NULL, *none = NULL;
  g_autoptr(LabXmlReader) reader = NULL;

  g_assert_nonnull (xml);
  down = lab_virt_interface_with_link (xml, "AA:BB:CC:DD:EE:FF", FALSE, &error);
  g_assert_no_error (error);
  g_test_message ("%s", down);
  reader = lab_xml_reader_new (down, "the device", &error);
  g_assert_no_error (error);
  assert_xpath (reader, "/interface/mac/@address", "aa:bb:cc:dd:ee:ff");
  assert_xpath (reader, "/interface/source/@network", "default");
  g_assert_true (lab_xml_reader_exists (reader, NULL, "/interface/address[@type='pci']"));
  assert_xpath (reader, "count(/interface/link)", "1");
  assert_xpath (reader, "/interface/link/@state", "down");
  /* a domain whose link is down already: set up, one <link> still */
  {
    g_auto(GStrv) parts = g_strsplit (xml, "</interface>", 2);

    g_assert_nonnull (parts[1]);
    with_down = g_strdup_printf ("%s<link state='down'/></interface>%s", parts[0], parts[1]);
  }
  up = lab_virt_interface_with_link (with_down, "aa:bb:cc:dd:ee:ff", TRUE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (up, "<link state='up'/>"));
  g_assert_null (strstr (up, "state='down'"));
  /* no such NIC */
  none = lab_virt_interface_with_link (xml, "52:54:00:00:00:01", FALSE, &error);
  g_assert_null (none);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);
  virDomainFree (dom);
  virConnectClose (conn);
}

/* The kvm row's faults through the flavor table on the host's libvirt
 * (its test driver standing in for qemu:///system): power off destroys the
 * node's domain; the link of a node that is off is restored at once and
 * cannot be cut; a node without a domain is named. Cutting a running
 * node's link needs virDomainUpdateDeviceFlags, which the test driver
 * lacks: tests/system/test-nodes.c does it on a real QEMU node. */
static void
test_node_fault (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRecipe) r = lab_recipe_load_data (recipe_text, -1, "kc.lab", &error);
  g_autoptr(LabState) state = lab_state_new_in_memory ("kc");
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  g_autoptr(LabVirt) virt = NULL;
  g_autoptr(LabVirtDomainSpec) spec = NULL;
  g_autofree char *dir = g_dir_make_tmp ("labctl-kvm-fault-XXXXXX", NULL);
  virDomainPtr dom = NULL;
  LabContext ctx;

  g_assert_no_error (error);
  g_setenv ("LABCTL_STATE_DIR", dir, TRUE);
  lab_context_init (&ctx, r, state, runner, NULL, FALSE);
  ctx.libvirt_uri = "test:///default";
  virt = lab_virt_connect (ctx.libvirt_uri, &error);
  g_assert_no_error (error);
  spec = lab_vm_domain_spec (r, r->nodes->pdata[0], NULL, "qemu", NULL);
  g_assert_true (lab_virt_domain_define (virt, spec, &error));
  g_assert_no_error (error);
  g_assert_true (lab_virt_domain_lookup (virt, "node1", "kc", &dom, &error));
  g_assert_cmpint (virDomainCreate (dom), ==, 0);

  g_assert_true (lab_flavor_node_fault (&ctx, "node1", LAB_NODE_FAULT_POWEROFF, &error));
  g_assert_no_error (error);
  g_assert_cmpint (virDomainIsActive (dom), ==, 0);
  g_assert_true (lab_flavor_node_fault (&ctx, "node1", LAB_NODE_FAULT_LINK_UP, &error));
  g_assert_no_error (error);
  g_assert_false (lab_flavor_node_fault (&ctx, "node1", LAB_NODE_FAULT_LINK_DOWN, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "node1"));
  g_clear_error (&error);
  g_assert_false (lab_flavor_node_fault (&ctx, "node2", LAB_NODE_FAULT_LINK_DOWN, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (lab_virt_domain_undefine (virt, "node1", "kc", &error));
  g_assert_no_error (error);
  virDomainFree (dom);
  lab_test_remove_tree (dir);
}

/* `reset` rewrites the node disks: the row declares the cluster inside
 * the nodes undone (not fence_virtd on the host, not the nodes, storage
 * or guests, which the reset itself brings back), so the stand forgets
 * exactly those steps and the plan applies them again. Without a
 * [cluster] the reset forgets nothing. */
static void
test_reset_forgets_cluster (void)
{
  static const char * const expected[] = {
    "cluster.fence-key:node1", "cluster.fence-key:node2", "cluster.fence-key:node3",
    "cluster.corosync:node1", "cluster.corosync:node2", "cluster.corosync:node3", "cluster.quorum",
    "cluster.pacemaker:node1", "cluster.pacemaker:node2", "cluster.pacemaker:node3", "cluster.online",
    "cluster.configure", "cluster.guest:vm", NULL,
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) no_cluster = g_string_new (recipe_text);

  g_string_truncate (no_cluster, strstr (recipe_text, "[cluster]") - recipe_text);
  for (guint pass = 0; pass < 2; pass++)
    {
      g_autoptr(LabRecipe) r = lab_recipe_load_data (pass == 0 ? recipe_text : no_cluster->str, -1, "kc.lab",
                                                     &error);
      g_autoptr(LabState) state = lab_state_new_in_memory ("kc");
      g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_RECORD);
      g_autoptr(LabPlan) plan = NULL;
      g_autoptr(GPtrArray) redone = g_ptr_array_new ();
      LabContext ctx;
      guint n;

      g_assert_no_error (error);
      lab_context_init (&ctx, r, state, runner, NULL, FALSE);
      plan = lab_stand_build_plan (&ctx, &error);
      g_assert_no_error (error);
      for (guint i = 0; i < lab_plan_get_n_steps (plan); i++)
        lab_state_set_step (state, lab_plan_get_step_id (plan, i), LAB_STEP_STATE_DONE, 1.0);
      n = lab_plan_forget_steps (plan, lab_flavor_kvm.reset_undoes);
      for (guint i = 0; i < lab_plan_get_n_steps (plan); i++)
        {
          const char *id = lab_plan_get_step_id (plan, i);

          if (lab_state_get_step (state, id) == LAB_STEP_STATE_STARTED)
            g_ptr_array_add (redone, (gpointer) id);
          else
            g_assert_cmpint (lab_state_get_step (state, id), ==, LAB_STEP_STATE_DONE);
        }
      g_assert_cmpuint (n, ==, redone->len);
      if (pass == 1)
        {
          g_assert_cmpuint (n, ==, 0);
          continue;
        }
      g_ptr_array_add (redone, NULL);
      g_assert_cmpstrv ((const char * const *) redone->pdata, expected);
      g_assert_cmpint (lab_state_get_step (state, "cluster.fence-virtd"), ==, LAB_STEP_STATE_DONE);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/kvm-cluster/guest-cib", test_guest_cib);
  g_test_add_func ("/kvm-cluster/lv-agent", test_lv_agent);
  g_test_add_func ("/kvm-cluster/link-device", test_link_device);
  g_test_add_func ("/kvm-cluster/node-fault", test_node_fault);
  g_test_add_func ("/kvm-cluster/reset-forgets-cluster", test_reset_forgets_cluster);
  return g_test_run ();
}
