/* test-cluster.c: the cluster layer without daemons: corosync.conf, and
 * the phases of a failover extracted from logs captured on this machine
 * (tests/data/cluster/: a poweroff failover that recovered on node3, and
 * a failover whose fence agent could not fence), through the same code
 * the experiment runs (lab_failover_phases_from_events). */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "lab-cluster.h"
#include "lab-cluster-log.h"
#include "lab-cluster-private.h"
#include "lab-failover.h"
#include "lab-recipe.h"

static LabRecipe *
cluster_recipe (void)
{
  const char *text = "[lab]\nname = hha\nflavor = container\n[network]\nsubnet = 10.97.0.0/24\n"
                     "[nodes]\ncount = 3\ndisk = 4M\n[storage]\nsize = 256M\n[cluster]\ntoken = 800\n";
  g_autoptr(GError) error = NULL;
  LabRecipe *r = lab_recipe_load_data (text, strlen (text), NULL, &error);

  g_assert_no_error (error);
  return r;
}

static void
test_corosync_conf (void)
{
  LabRecipe *r = cluster_recipe ();
  g_autofree char *conf = lab_cluster_corosync_conf (r);

  g_assert_true (r->cluster);
  g_assert_cmpuint (r->cluster_stickiness, ==, 100);
  g_assert_nonnull (strstr (conf, "    token: 800\n"));
  /* 800 + 650 for the third node */
  g_assert_nonnull (strstr (conf, "1450 ms with 3 nodes"));
  g_assert_nonnull (strstr (conf, "transport: knet"));
  g_assert_nonnull (strstr (conf, "provider: corosync_votequorum"));
  g_assert_nonnull (strstr (conf, "timestamp: hires"));
  for (guint i = 0; i < 3; i++)
    {
      LabNode *n = g_ptr_array_index (r->nodes, i);
      g_autofree char *entry = g_strdup_printf ("name: %s\n        nodeid: %u\n        ring0_addr: %s\n", n->name,
                                                i + 1, n->address);

      g_assert_nonnull (strstr (conf, entry));
    }
  lab_recipe_free (r);
}

static GPtrArray *
load_events (const char *const *files, const char *rsc)
{
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_cluster_event_free);
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) now = g_date_time_new (utc, 2026, 12, 2, 0, 0, 0);

  for (guint i = 0; files[i] != NULL; i++)
    {
      g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "cluster", files[i], NULL);
      g_autofree char *text = NULL;
      g_autoptr(GError) error = NULL;
      GPtrArray *some;

      g_file_get_contents (path, &text, NULL, &error);
      g_assert_no_error (error);
      some = lab_cluster_log_parse (text, files[i], rsc, now, utc);
      g_assert_cmpuint (some->len, >, 0);
      g_ptr_array_extend_and_steal (all, some);
    }
  return all;
}

static gint64
utc_us (int h, int m, double s)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) t = g_date_time_new (utc, 2026, 12, 1, h, m, s);

  return (g_date_time_to_unix (t) * G_USEC_PER_SEC + g_date_time_get_microsecond (t));
}

static const LabFailoverPhase *
phase (LabFailoverResult *r, const char *id)
{
  for (guint i = 0; i < r->phases->len; i++)
    if (g_str_equal (g_array_index (r->phases, LabFailoverPhase, i).id, id))
      return &g_array_index (r->phases, LabFailoverPhase, i);
  return NULL;
}

/* The poweroff of node1 at 23:35:08.317 (1.523 s before corosync's
 * "A processor failed" at 23:35:09.840, as the experiment measured). */
static void
test_poweroff_phases (void)
{
  const char *files[] = { "poweroff-node2-corosync.log", "poweroff-node2-pacemaker.log",
                          "poweroff-node3-corosync.log", "poweroff-node3-pacemaker.log", NULL };
  g_autoptr(GPtrArray) events = load_events (files, "tiny");
  LabFailoverResult r = { 0 };
  gint64 fault = utc_us (23, 35, 8.317);
  const char *order[] = { "token-lost", "membership", "fence-requested", "fence-done", "started", NULL };
  LabClusterEvent *e;

  /* the events the experiment reads */
  e = lab_cluster_events_first (events, LAB_CLUSTER_EVENT_LINK_DOWN, NULL, 0, fault);
  g_assert_nonnull (e);
  g_assert_cmpstr (e->node, ==, "1");
  e = lab_cluster_events_first (events, LAB_CLUSTER_EVENT_MEMBERSHIP, NULL, 3, fault);
  g_assert_nonnull (e);
  g_assert_cmpuint (e->n_members, ==, 2);
  /* the start of the fence device on node2 is no start of the guest */
  e = lab_cluster_events_first (events, LAB_CLUSTER_EVENT_START_OK, NULL, 0, fault);
  g_assert_nonnull (e);
  g_assert_cmpstr (e->node, ==, "node3");
  g_assert_null (lab_cluster_events_first (events, LAB_CLUSTER_EVENT_FENCE_FAILED, "node1", 0, fault));

  r.mode = LAB_FAILOVER_POWEROFF;
  r.victim = g_strdup ("node1");
  lab_failover_phases_from_events (&r, events, fault, 3);
  g_assert_null (r.stuck);
  g_assert_cmpstr (r.new_node, ==, "node3");
  for (guint i = 0; order[i] != NULL; i++)
    {
      const LabFailoverPhase *p = phase (&r, order[i]);

      g_assert_nonnull (p);
      g_assert_cmpint (g_array_index (r.phases, LabFailoverPhase, i).offset_us, ==, p->offset_us);
      g_assert_cmpstr (g_array_index (r.phases, LabFailoverPhase, i).id, ==, order[i]);
    }
  /* the figures of that run's report */
  g_assert_cmpint (phase (&r, "membership")->offset_us / 1000, ==, 3511);
  g_assert_cmpint (phase (&r, "fence-requested")->offset_us / 1000, ==, 4859);
  g_assert_cmpint (phase (&r, "fence-done")->offset_us / 1000, ==, 5167);
  g_assert_cmpint (phase (&r, "started")->offset_us / 1000, ==, 10599);
  g_assert_cmpstr (phase (&r, "fence-done")->node, ==, "node1");

  /* a fault after all of it finds nothing: stuck at the membership */
  lab_failover_phases_from_events (&r, events, utc_us (23, 35, 39.0), 3);
  g_assert_cmpstr (r.stuck, ==, "membership");
  lab_failover_result_clear (&r);
}

/* The fence agent failed (no namespace where it looked) again and again:
 * the phase is "fence-done", fence-failed is shown, no start counts. */
static void
test_fence_fails (void)
{
  const char *files[] = { "fence-fails-node2-corosync.log", "fence-fails-node2-pacemaker.log", NULL };
  g_autoptr(GPtrArray) events = load_events (files, "tiny");
  LabFailoverResult r = { 0 };
  gint64 fault = utc_us (23, 0, 7.165);

  r.mode = LAB_FAILOVER_POWEROFF;
  r.victim = g_strdup ("node1");
  lab_failover_phases_from_events (&r, events, fault, 3);
  g_assert_cmpstr (r.stuck, ==, "fence-done");
  g_assert_null (r.new_node);
  g_assert_nonnull (phase (&r, "membership"));
  g_assert_nonnull (phase (&r, "fence-requested"));
  g_assert_nonnull (phase (&r, "fence-failed"));
  g_assert_null (phase (&r, "fence-done"));
  g_assert_null (phase (&r, "started"));
  g_assert_cmpint (phase (&r, "fence-requested")->offset_us, <, phase (&r, "fence-failed")->offset_us);
  /* what the student reads and what a script reads claim no recovery */
  r.guest = g_strdup ("tiny");
  r.recovered = FALSE;
  r.answer_offset_us = -1;
  {
    g_autofree char *text = lab_failover_result_format (&r);
    g_autoptr(JsonNode) json = lab_failover_result_to_json (&r);
    JsonObject *o = json_node_get_object (json);

    g_test_message ("%s", text);
    g_assert_nonnull (strstr (text, "NOT RECOVERED: the failover is stuck before"));
    g_assert_nonnull (strstr (text, "cannot confirm that the old node is off"));
    g_assert_null (strstr (text, "runs on"));
    g_assert_null (strstr (text, "Downtime seen by ping"));
    g_assert_false (json_object_get_boolean_member (o, "recovered"));
    g_assert_cmpstr (json_object_get_string_member (o, "stuck"), ==, "fence-done");
    g_assert_true (json_object_get_null_member (o, "new_node"));
  }
  lab_failover_result_clear (&r);
}

static void
test_year_and_noise (void)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) jan = g_date_time_new (utc, 2027, 1, 1, 0, 0, 30);
  const char *text = "Dec 31 23:59:59.500 [1] n2 corosync notice  [QUORUM] Members[2]: 2 3\n"
                     "garbage line\n"
                     "Dec 31 23:59:59.600 n2 pacemaker-controld  [9] (x) notice: Result of monitor operation for "
                     "web on n1: ok | rc=0\n"
                     "Dec 31 23:59:59.700 n2 pacemaker-controld  [9] (x) notice: Result of monitor operation for "
                     "web on n1: not running | rc=7\n";
  g_autoptr(GPtrArray) ev = lab_cluster_log_parse (text, "n2", "web", jan, utc);
  LabClusterEvent *e;

  g_assert_cmpuint (ev->len, ==, 2);
  e = g_ptr_array_index (ev, 0);
  g_assert_cmpint (e->kind, ==, LAB_CLUSTER_EVENT_MEMBERSHIP);
  /* a December line read on New Year's day is last year's */
  g_assert_cmpint (e->time_us, ==, (g_date_time_to_unix (jan) * G_USEC_PER_SEC + g_date_time_get_microsecond (jan)) - 30500000);
  e = g_ptr_array_index (ev, 1);
  g_assert_cmpint (e->kind, ==, LAB_CLUSTER_EVENT_MONITOR_FAILED);
  g_assert_cmpstr (e->node, ==, "n1");
  g_assert_cmpstr (lab_cluster_event_kind_to_string (e->kind), ==, "monitor-failed");
}

/* crm_mon --output-as=xml of the cluster after the poweroff failover
 * (node1 fenced, restarted, rejoined; the guest on node3). */
static void
test_crm_mon (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "cluster", "crm_mon-online.xml", NULL);
  g_autofree char *xml = NULL;
  g_autoptr(GError) error = NULL;
  LabClusterStatus st = { 0 };

  g_file_get_contents (path, &xml, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (lab_cluster_status_parse (xml, &st, &error));
  g_assert_no_error (error);
  g_assert_true (st.quorate);
  g_assert_cmpstr (st.dc, ==, "node3");
  g_assert_cmpuint (st.online->len, ==, 3);
  g_assert_cmpuint (st.offline->len, ==, 0);
  g_assert_cmpstr (g_hash_table_lookup (st.running, "tiny"), ==, "node3");
  g_assert_cmpstr (g_hash_table_lookup (st.running, "labctl-fence"), ==, "node2");
  g_assert_false (g_hash_table_contains (st.failed, "tiny"));
  g_assert_cmpuint (st.fence_history->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (st.fence_history, 0), ==, "node1 off success");
  lab_cluster_status_clear (&st);

  /* a node still joining counts as not online; no DC: no quorum */
  {
    const char *joining = "<pacemaker-result><summary><current_dc present=\"false\"/></summary><nodes>"
                          "<node name=\"n1\" online=\"true\" pending=\"true\" unclean=\"false\"/>"
                          "<node name=\"n2\" online=\"true\" pending=\"false\" unclean=\"true\"/>"
                          "</nodes></pacemaker-result>";

    g_assert_true (lab_cluster_status_parse (joining, &st, NULL));
    g_assert_false (st.quorate);
    g_assert_null (st.dc);
    g_assert_cmpuint (st.online->len, ==, 0);
    g_assert_cmpuint (st.offline->len, ==, 2);
    lab_cluster_status_clear (&st);
  }
  g_assert_false (lab_cluster_status_parse ("<status/>", &st, NULL));
  lab_cluster_status_clear (&st);
}

/* The documents cibadmin gets. */
static void
test_primitive_xml (void)
{
  const char *params[] = { "config", "/etc/libvirt/labctl-ha/g.xml", "force_stop", "true", NULL };
  const char *meta[] = { "allow-migrate", "false", NULL };
  const char *ops[] = { "monitor", "5s", "30s", NULL };
  g_autofree char *xml = lab_cluster_primitive_xml ("g", "ocf", "heartbeat", "VirtualDomain", params, meta, ops);
  g_autofree char *fence = lab_cluster_primitive_xml ("f", "stonith", NULL, "fence_labctl", NULL, NULL, NULL);

  g_assert_nonnull (strstr (xml, "<primitive id='g' class='ocf' provider='heartbeat' type='VirtualDomain'>"));
  g_assert_nonnull (strstr (xml, "<instance_attributes id='g-params'>"));
  g_assert_nonnull (strstr (xml, "<nvpair id='g-params-config' name='config' value='/etc/libvirt/labctl-ha/g.xml'/>"));
  g_assert_nonnull (strstr (xml, "<meta_attributes id='g-meta'>"));
  g_assert_nonnull (strstr (xml, "<nvpair id='g-meta-allow-migrate' name='allow-migrate' value='false'/>"));
  g_assert_nonnull (strstr (xml, "<op id='g-monitor-5s' name='monitor' interval='5s' timeout='30s'/>"));
  g_assert_null (strstr (fence, "attributes"));
  g_assert_null (strstr (fence, "provider"));
}

static LabRecipe *
kvm_cluster_recipe (void)
{
  const char *text = "[lab]\nname = kha\nflavor = kvm\n[network]\nsubnet = 10.96.0.0/24\n"
                     "[nodes]\ncount = 3\n[cluster]\n";
  g_autoptr(GError) error = NULL;
  LabRecipe *r = lab_recipe_load_data (text, strlen (text), NULL, &error);

  g_assert_no_error (error);
  return r;
}

/* fence_virtd's configuration: multicast on the lab bridge only, the
 * libvirt backend, the lab's key, and a group that lets only the lab's
 * node addresses fence only the lab's node domains. */
static void
test_fence_virtd_conf (void)
{
  LabRecipe *r = kvm_cluster_recipe ();
  const char *addrs[] = { "10.96.0.11", "10.96.0.12", "10.96.0.13", NULL };
  const char *doms[] = { "node1", "node2", "node3", NULL };
  LabFenceVirtdConf c = {
    .lab = (char *) "kha", .interface = r->bridge, .gateway = r->gateway,
    .key_file = (char *) "/var/lib/labctl/kha/fence_xvm.key", .uri = (char *) "qemu:///system",
    .port = LAB_FENCE_XVM_PORT, .node_addresses = (char **) addrs, .domains = (char **) doms,
  };
  g_autofree char *conf = lab_fence_virtd_conf (&c);
  g_autofree char *iface = g_strdup_printf ("\t\tinterface = \"%s\";\n", r->bridge);
  const char *p;

  g_test_message ("%s", conf);
  g_assert_cmpstr (r->gateway, ==, "10.96.0.1");
  g_assert_nonnull (strstr (conf, "\tlistener = \"multicast\";\n\tbackend = \"libvirt\";\n"));
  g_assert_nonnull (strstr (conf, "\tforeground = \"yes\";\n"));
  g_assert_null (strstr (conf, "module_path"));
  g_assert_nonnull (strstr (conf, iface));
  g_assert_nonnull (strstr (conf, "\t\taddress = \"225.0.0.12\";\n\t\tport = \"1229\";\n"));
  g_assert_nonnull (strstr (conf, "\t\tkey_file = \"/var/lib/labctl/kha/fence_xvm.key\";\n"));
  g_assert_nonnull (strstr (conf, "\t\thash = \"sha256\";\n\t\tauth = \"sha256\";\n"));
  g_assert_nonnull (strstr (conf, "\tlibvirt {\n\t\turi = \"qemu:///system\";\n\t}\n"));
  /* the group lists every node address, then every domain, once */
  p = strstr (conf, "groups {\n\tgroup {\n\t\tname = \"kha\";\n"
                    "\t\tip = \"10.96.0.11\";\n\t\tip = \"10.96.0.12\";\n\t\tip = \"10.96.0.13\";\n"
                    "\t\tuuid = \"node1\";\n\t\tuuid = \"node2\";\n\t\tuuid = \"node3\";\n\t}\n}\n");
  g_assert_nonnull (p);
  g_assert_true (p != NULL && g_str_has_suffix (conf, p));
  /* braces balance (fence_virtd's parser stops at the first error) */
  {
    int depth = 0;

    for (const char *q = conf; *q != '\0'; q++)
      {
        depth += *q == '{' ? 1 : *q == '}' ? -1 : 0;
        g_assert_cmpint (depth, >=, 0);
      }
    g_assert_cmpint (depth, ==, 0);
  }
  lab_recipe_free (r);
}

/* The stonith device's parameters: the key where fence_xvm looks, the
 * daemon's group and port, every node mapped to its domain. */
static void
test_fence_xvm_params (void)
{
  LabRecipe *r = kvm_cluster_recipe ();
  g_auto(GStrv) p = lab_fence_xvm_params (r, LAB_FENCE_XVM_PORT);
  g_autofree char *joined = g_strjoinv ("|", p);

  g_assert_cmpstr (joined, ==, "key_file|/etc/cluster/fence_xvm.key|multicast_address|225.0.0.12|ipport|1229|"
                               "pcmk_host_map|node1:node1;node2:node2;node3:node3");
  lab_recipe_free (r);
}

/* A key: 0600, 512 random bytes as hex, new each time. */
static void
test_fence_key (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("labctl-fence-key-XXXXXX", &error);
  g_autofree char *a = g_build_filename (dir, "a.key", NULL);
  g_autofree char *b = g_build_filename (dir, "b.key", NULL);
  g_autofree char *ta = NULL, *tb = NULL;
  GStatBuf st;

  g_assert_no_error (error);
  g_assert_true (lab_fence_virt_key_write (a, &error));
  g_assert_true (lab_fence_virt_key_write (b, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (a, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (g_file_get_contents (a, &ta, NULL, NULL));
  g_assert_true (g_file_get_contents (b, &tb, NULL, NULL));
  g_assert_cmpuint (strlen (ta), ==, 1024);
  g_assert_cmpuint (strspn (ta, "0123456789abcdef"), ==, 1024);
  g_assert_cmpstr (ta, !=, tb);
  g_unlink (a);
  g_unlink (b);
  g_rmdir (dir);
}

/* A PID is fence_virtd's of this lab only with -f and this conf. */
static void
test_fence_virtd_is_ours (void)
{
  g_autofree char *conf = g_strdup ("/var/lib/labctl/kha/fence_virtd.conf");
  g_auto(GStrv) argv = lab_fence_virtd_argv (conf);
  g_autofree char *joined = g_strjoinv (" ", argv);

  g_assert_cmpstr (joined, ==, "stdbuf -oL fence_virtd -F -w -d2 -f /var/lib/labctl/kha/fence_virtd.conf");
  /* this test process is not a fence_virtd, and neither is PID 0 */
  g_assert_false (lab_fence_virtd_is_ours (getpid (), conf));
  g_assert_false (lab_fence_virtd_is_ours (0, conf));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  g_test_add_func ("/cluster/corosync-conf", test_corosync_conf);
  g_test_add_func ("/cluster/log/poweroff", test_poweroff_phases);
  g_test_add_func ("/cluster/log/fence-fails", test_fence_fails);
  g_test_add_func ("/cluster/log/year-and-noise", test_year_and_noise);
  g_test_add_func ("/cluster/crm-mon", test_crm_mon);
  g_test_add_func ("/cluster/primitive-xml", test_primitive_xml);
  g_test_add_func ("/cluster/fence-virtd-conf", test_fence_virtd_conf);
  g_test_add_func ("/cluster/fence-xvm-params", test_fence_xvm_params);
  g_test_add_func ("/cluster/fence-key", test_fence_key);
  g_test_add_func ("/cluster/fence-virtd-is-ours", test_fence_virtd_is_ours);
  return g_test_run ();
}
