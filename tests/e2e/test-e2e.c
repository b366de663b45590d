/* test-e2e.c: a whole lab, end to end, through the labctl executable:
 * `labctl up` of tests/data/e2e.lab (container flavor, 2 nodes, a tiny
 * guest), killed in the middle of a step and resumed; a second `up` that
 * changes nothing; `status`; the live-migration experiment with the
 * downtime measured by the probe and by libvirt; the exercises snapshot,
 * clone and migrate done by a scripted student (a wrong solution fails,
 * the right one passes, `finish` leaves the stand as `start` found it);
 * `reset`; `down` twice;
 * then nothing of the lab may be left: no namespace, daemon, domain,
 * target, loop device, bridge or file. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "lab-guest.h"
#include "lab-probe.h"
#include "lab-recipe.h"
#include "lab-runner.h"
#include "stand-test-util.h"

static const char *labctl;
static char *lab;
static char *recipe_path;
static char *work_dir;
static char *state_dir;      /* LABCTL_STATE_DIR/<lab> */
static char *guest_address;
static char *bridge;
static guint control_port;
static GPtrArray *seen_pids;  /* daemons seen while the lab was up */
static char *guest_uuid;      /* QEMU runs with -uuid <it> */

/* The guest writes "disk-counter=N" to the first sector of its disk every
 * second: read it back from the lab's backing image, at the LV's place on
 * the LUN. -1 when there is none. */
static int
guest_disk_counter (void)
{
  g_autofree char *path = g_build_filename (state_dir, "state.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *res;
  FILE *f;
  char buf[64] = { 0 };
  const char *hit;
  gboolean ok;

  if (!json_parser_load_from_file (parser, path, NULL))
    return -1;
  res = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "resources");
  if (!json_object_has_member (res, "storage.image.path") || !json_object_has_member (res, "guests.tiny.disk_offset"))
    return -1;
  f = fopen (json_object_get_string_member (res, "storage.image.path"), "rb");
  if (f == NULL)
    return -1;
  ok = fseeko (f, (off_t) json_object_get_int_member (res, "guests.tiny.disk_offset"), SEEK_SET) == 0
       && fread (buf, 1, sizeof buf - 1, f) > 0;
  fclose (f);
  if (!ok)
    return -1;
  hit = strstr (buf, "disk-counter=");
  return hit != NULL ? atoi (hit + strlen ("disk-counter=")) : -1;
}

/* Runs labctl ARGS... --recipe <recipe>; returns stdout, *status. */
static char *
run_labctl (int *status, const char *first, ...)
{
  va_list ap;
  char *out;

  /* tests/lib/stand-test-util.c: shared with the other stand tests */
  va_start (ap, first);
  out = stand_test_labctl_v (NULL, labctl, recipe_path, status, first, ap);
  va_end (ap);
  return out;
}

static JsonObject *
parse_object (const char *text, JsonParser **keep)
{
  JsonParser *parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  *keep = parser;
  if (text == NULL || !json_parser_load_from_data (parser, text, -1, &error))
    {
      g_test_message ("not JSON (%s): %s", error != NULL ? error->message : "no output", text);
      return NULL;
    }
  return json_node_get_object (json_parser_get_root (parser));
}

static char *
state_file (void)
{
  return g_build_filename (state_dir, "state.json", NULL);
}

/* The recorded status of a step in the state file ("" when absent). */
static char *
step_status (const char *step_id)
{
  g_autofree char *path = state_file ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o, *steps;

  if (!json_parser_load_from_file (parser, path, NULL))
    return g_strdup ("");
  o = json_node_get_object (json_parser_get_root (parser));
  steps = json_object_get_object_member (o, "steps");
  if (steps == NULL || !json_object_has_member (steps, step_id))
    return g_strdup ("");
  return g_strdup (json_object_get_string_member (json_object_get_object_member (steps, step_id), "status"));
}

static void
remember_daemons (void)
{
  g_autofree char *path = state_file ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *res;
  g_autoptr(GList) keys = NULL;

  if (!json_parser_load_from_file (parser, path, NULL))
    return;
  res = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "resources");
  keys = json_object_get_members (res);
  for (GList *l = keys; l != NULL; l = l->next)
    if (g_str_has_suffix (l->data, "pid"))   /* nodes.N.libvirtd_pid, storage.tgtd.pid, storage.attach.qsd-pid */
      g_ptr_array_add (seen_pids, GINT_TO_POINTER ((int) json_object_get_int_member (res, l->data)));
}

static void
test_up_interrupted (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  const char *kill_at = "nodes.libvirtd:node2";
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  g_autofree char *status = NULL;
  g_autofree char *out = NULL;
  GPid pid;
  int rc = -1;

  /* kill -9 `labctl up` as soon as it has begun starting node2's daemons */
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                           labctl, "up", "--recipe", recipe_path, NULL);
  g_assert_no_error (error);
  pid = (GPid) atoi (g_subprocess_get_identifier (proc));
  for (;;)
    {
      g_free (status);
      status = step_status (kill_at);
      if (g_str_equal (status, "started") || g_str_equal (status, "done"))
        break;
      if (g_get_monotonic_time () > deadline || !lab_process_alive (pid))
        break;
      g_usleep (2000);
    }
  g_subprocess_force_exit (proc);
  g_subprocess_wait (proc, NULL, NULL);
  g_test_message ("killed labctl up with SIGKILL when step %s was '%s'", kill_at, status);
  g_assert_cmpstr (status, ==, "started");
  g_assert_true (g_subprocess_get_if_signaled (proc));
  remember_daemons ();

  /* the next up converges */
  out = run_labctl (&rc, "up", "--json", NULL);
  g_assert_cmpint (rc, ==, 0);
  {
    g_autoptr(JsonParser) p = NULL;
    JsonObject *o = parse_object (out, &p);
    JsonArray *steps;

    g_assert_nonnull (o);
    if (o == NULL)
      return;
    g_assert_true (json_object_get_boolean_member (o, "ok"));
    g_assert_true (json_object_get_boolean_member (o, "changed"));
    steps = json_object_get_array_member (o, "steps");
    for (guint i = 0; i < json_array_get_length (steps); i++)
      {
        JsonObject *st = json_array_get_object_element (steps, i);
        g_test_message ("up after the kill: %-8s %6.2f s  %s", json_object_get_string_member (st, "result"),
                        json_object_get_double_member (st, "seconds"), json_object_get_string_member (st, "id"));
        /* what was done before the kill is not done again */
        if (g_str_equal (json_object_get_string_member (st, "id"), "nodes.libvirtd:node1"))
          g_assert_cmpstr (json_object_get_string_member (st, "result"), ==, "skipped");
        if (g_str_equal (json_object_get_string_member (st, "id"), kill_at))
          g_assert_cmpstr (json_object_get_string_member (st, "result"), ==, "done");
      }
  }
  remember_daemons ();
  g_assert_true (lab_probe_ping_once (guest_address, NULL, 5000, NULL, &error));
  g_assert_no_error (error);
}

static void
test_up_again (void)
{
  g_autofree char *out = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonParser) p = NULL;
  JsonObject *o;
  int rc = -1;

  out = run_labctl (&rc, "up", "--json", NULL);
  g_assert_cmpint (rc, ==, 0);
  o = parse_object (out, &p);
  g_assert_nonnull (o);
  if (o != NULL)
    g_assert_false (json_object_get_boolean_member (o, "changed"));
  text = run_labctl (&rc, "up", NULL);
  g_assert_cmpint (rc, ==, 0);
  g_assert_nonnull (strstr (text, "nothing changed"));
}

static void
test_status (void)
{
  g_autofree char *out = NULL;
  g_autoptr(JsonParser) p = NULL;
  JsonObject *o, *g;
  int rc = -1;

  out = run_labctl (&rc, "status", "--json", NULL);
  g_assert_cmpint (rc, ==, 0);
  o = parse_object (out, &p);
  g_assert_nonnull (o);
  if (o == NULL)
    return;
  g_assert_true (json_object_get_boolean_member (o, "up"));
  g_assert_true (json_object_get_boolean_member (o, "healthy"));
  g = json_array_get_object_element (json_object_get_array_member (o, "guests"), 0);
  g_assert_cmpstr (json_object_get_string_member (g, "node"), ==, "node1");
  g_assert_true (json_object_get_boolean_member (g, "answers_ping"));
}

static void
test_migrate (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autoptr(JsonParser) p = NULL;
  JsonObject *o, *probe, *lv;
  int rc = -1;

  out = run_labctl (&rc, "experiment", "migrate", "--json", NULL);
  g_assert_cmpint (rc, ==, 0);
  o = parse_object (out, &p);
  g_assert_nonnull (o);
  if (o == NULL)
    return;
  probe = json_object_get_object_member (o, "probe");
  lv = json_object_get_object_member (o, "libvirt");
  g_test_message ("migration %s -> %s: probe downtime %.1f ms (%" G_GINT64_FORMAT " lost of %" G_GINT64_FORMAT
                  " pings at %.0f ms), libvirt downtime %" G_GINT64_FORMAT " ms, libvirt time %" G_GINT64_FORMAT
                  " ms, %.1f MiB transferred, command %.2f s",
                  json_object_get_string_member (o, "from"), json_object_get_string_member (o, "to"),
                  json_object_get_double_member (probe, "downtime_ms"),
                  json_object_get_int_member (probe, "lost"), json_object_get_int_member (probe, "sent"),
                  json_object_get_double_member (probe, "interval_ms"),
                  lv != NULL ? json_object_get_int_member (lv, "downtime_ms") : -1,
                  lv != NULL ? json_object_get_int_member (lv, "time_elapsed_ms") : -1,
                  lv != NULL ? json_object_get_int_member (lv, "data_transferred") / 1048576.0 : -1,
                  json_object_get_double_member (o, "command_seconds"));
  g_assert_cmpstr (json_object_get_string_member (o, "from"), ==, "node1");
  g_assert_cmpstr (json_object_get_string_member (o, "to"), ==, "node2");
  g_assert_true (json_object_get_boolean_member (o, "answers_after"));
  g_assert_cmpfloat (json_object_get_double_member (probe, "downtime_ms"), >, 0.0);
  g_assert_cmpfloat (json_object_get_double_member (probe, "downtime_ms"), <, 2000.0);
  g_assert_nonnull (lv);
  if (lv != NULL)
    {
      /* present (QEMU may round a very short pause down to 0 ms) and sane */
      g_assert_true (json_object_has_member (lv, "downtime_ms"));
      g_assert_cmpint (json_object_get_int_member (lv, "downtime_ms"), >=, 0);
      g_assert_cmpint (json_object_get_int_member (lv, "downtime_ms"), <, 2000);
      g_assert_cmpint (json_object_get_int_member (lv, "data_transferred"), >, 0);
    }
  /* its disk is the shared LUN: what it writes from node2 lands in the
   * lab's image at its LV's place */
  {
    int before = guest_disk_counter ();
    int after = before;
    gint64 until = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

    while (after <= before && g_get_monotonic_time () < until)
      {
        g_usleep (200 * 1000);
        after = guest_disk_counter ();
      }
    g_test_message ("guest's disk counter on the LUN after the migration: %d -> %d", before, after);
    g_assert_cmpint (before, >, 0);
    g_assert_cmpint (after, >, before);
  }
  /* it answers there, and runs there */
  g_assert_true (lab_probe_ping_once (guest_address, NULL, 5000, NULL, &error));
  g_assert_no_error (error);
  {
    g_autofree char *st = run_labctl (&rc, "status", "--json", NULL);
    g_autoptr(JsonParser) p2 = NULL;
    JsonObject *so = parse_object (st, &p2);

    if (so != NULL)
      {
        JsonObject *g = json_array_get_object_element (json_object_get_array_member (so, "guests"), 0);
        g_assert_cmpstr (json_object_get_string_member (g, "node"), ==, "node2");
        g_assert_true (json_object_get_boolean_member (g, "running"));
      }
  }
}


/* ---- the exercises, done by a scripted student -------------------------- */

static char *
node_uri (const char *node)
{
  return g_strdup_printf ("qemu+unix:///system?socket=%s/nodes/%s/run/libvirt-sock", state_dir, node);
}

/* virsh -c <node's URI> ARGS (one command line, no shell); its output. */
static char *
virsh (const char *node, int *status, const char *args)
{
  g_autofree char *uri = node_uri (node);
  g_autofree char *quri = g_shell_quote (uri);
  g_autofree char *cmd = g_strdup_printf ("virsh -q -c %s %s", quri, args);
  g_autoptr(GError) error = NULL;
  char *out = stand_test_run (cmd, status, &error);

  g_test_message ("$ virsh -c %s %s\n%s", uri, args, out != NULL ? out : error->message);
  return out;
}

/* The guest's boot_id at http://ADDRESS/cgi-bin/id (NULL: no answer). */
static char *
boot_id_of (const char *address)
{
  g_autofree char *cmd = g_strdup_printf ("curl -s -m 2 http://%s/cgi-bin/id", address);
  int status = 0;
  g_autofree char *out = stand_test_run (cmd, &status, NULL);
  const char *b = out != NULL ? strstr (out, "boot_id=") : NULL;

  return b != NULL && status == 0 ? g_strndup (b + 8, strcspn (b + 8, " \n")) : NULL;
}

/* Waits up to timeout_s for the guest at address to show a boot_id that is
 * not `not` (NULL: any). */
static char *
wait_boot_id (const char *address, const char *not, int timeout_s)
{
  for (int i = 0; i < timeout_s * 2; i++)
    {
      char *b = boot_id_of (address);

      if (b != NULL && g_strcmp0 (b, not) != 0)
        return b;
      g_free (b);
      g_usleep (500 * 1000);
    }
  return NULL;
}

static char *
lab_address (guint host)
{
  g_autofree char *prefix = g_strndup (guest_address, strrchr (guest_address, '.') - guest_address);

  return g_strdup_printf ("%s.%u", prefix, host);
}

/* What an exercise may change on the stand: the domains and pools of each
 * node, the LVs, the lab's files; `finish` must leave it as `start` found it. */
static char *
stand_view (void)
{
  GString *s = g_string_new (NULL);
  const char *nodes[] = { "node1", "node2" };
  int rc = 0;

  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    {
      g_autofree char *doms = virsh (nodes[i], &rc, "list --all --name");
      g_autofree char *pools = virsh (nodes[i], &rc, "pool-list --all --name");

      g_string_append_printf (s, "%s domains: %s\n%s pools: %s\n", nodes[i], doms, nodes[i], pools);
    }
  {
    g_autofree char *st = run_labctl (&rc, "storage", "status", "--json", NULL);
    g_autoptr(JsonParser) p = NULL;
    JsonObject *o = parse_object (st, &p);
    JsonObject *lvm = o != NULL ? json_object_get_object_member (o, "lvm") : NULL;
    JsonArray *lvs = lvm != NULL ? json_object_get_array_member (lvm, "lvs") : NULL;

    for (guint i = 0; lvs != NULL && i < json_array_get_length (lvs); i++)
      g_string_append_printf (s, "lv %s\n",
                              json_object_get_string_member (json_array_get_object_element (lvs, i), "name"));
  }
  {
    g_autofree char *ex_dir = g_strconcat (state_dir, ".exercises", NULL);
    g_string_append_printf (s, "exercise dir: %s\n", g_file_test (ex_dir, G_FILE_TEST_EXISTS) ? "yes" : "no");
  }
  return g_string_free (s, FALSE);
}

/* labctl exercise check NAME --json: exit status, and the result of step id. */
static char *
check_step (const char *exercise, const char *id, int *rc, char **out_json)
{
  g_autofree char *out = run_labctl (rc, "exercise", "check", exercise, "--json", NULL);
  g_autoptr(JsonParser) p = NULL;
  JsonObject *o = parse_object (out, &p);
  JsonArray *steps = o != NULL ? json_object_get_array_member (o, "steps") : NULL;

  if (out_json != NULL)
    *out_json = g_strdup (out);
  for (guint i = 0; steps != NULL && i < json_array_get_length (steps); i++)
    {
      JsonObject *st = json_array_get_object_element (steps, i);

      if (g_str_equal (json_object_get_string_member (st, "id"), id))
        return g_strdup (json_object_get_string_member (st, "result"));
    }
  return NULL;
}

/* The recorded results go to the test's log dir, for the class report. */
static void
keep_result (const char *name, const char *json)
{
  g_autofree char *dir = g_build_filename (g_getenv ("MESON_BUILD_ROOT") != NULL ? g_getenv ("MESON_BUILD_ROOT")
                                                                                 : LABCTL_BUILD_DIR,
                                           "meson-logs", "exercise-results", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_mkdir_with_parents (dir, 0755);
  g_file_set_contents (path, json, -1, NULL);
  g_test_message ("result kept in %s", path);
}

static void
test_exercise_snapshot (void)
{
  g_autofree char *before = stand_view ();
  g_autofree char *after = NULL;
  g_autofree char *vm = lab_address (200);
  g_autofree char *out = NULL, *json = NULL;
  g_autofree char *boot0 = NULL, *boot1 = NULL, *boot2 = NULL;
  g_autofree char *r = NULL;
  int rc = -1;

  out = run_labctl (&rc, "exercise", "start", "snapshot", NULL);
  g_assert_cmpint (rc, ==, 0);
  g_test_message ("%s", out);
  boot0 = wait_boot_id (vm, NULL, 10);
  g_assert_nonnull (boot0);
  g_free (virsh ("node1", &rc, "snapshot-create-as ex-snap before"));
  g_assert_cmpint (rc, ==, 0);
  /* the change: a restart, a new boot */
  g_free (virsh ("node1", &rc, "reset ex-snap"));
  g_assert_cmpint (rc, ==, 0);
  boot1 = wait_boot_id (vm, boot0, 120);
  g_assert_nonnull (boot1);
  /* as the guide says, the student checks that the change was seen before
   * going back (the watcher polls every 500 ms, and a poll sent while the
   * guest rebooted waits up to 3 s): a revert within a second of the new
   * boot could come before the watcher saw it */
  for (int i = 0; i < 30; i++)
    {
      g_autofree char *changed = check_step ("snapshot", "snapshot.changed", &rc, NULL);

      if (g_strcmp0 (changed, "PASS") == 0)
        break;
      g_usleep (G_USEC_PER_SEC);
    }
  /* wrong: not reverted yet */
  r = check_step ("snapshot", "snapshot.reverted", &rc, &json);
  g_assert_cmpint (rc, ==, 1);
  g_assert_cmpstr (r, ==, "FAIL");
  if (json != NULL)
    keep_result ("seat-e2e-wrong-snapshot.json", json);
  g_clear_pointer (&json, g_free);
  g_free (r);
  g_free (virsh ("node1", &rc, "snapshot-revert ex-snap before"));
  g_assert_cmpint (rc, ==, 0);
  boot2 = wait_boot_id (vm, boot1, 30);
  g_assert_cmpstr (boot2, ==, boot0);
  /* the watcher polls every 500 ms */
  g_usleep (1200 * 1000);
  r = check_step ("snapshot", "snapshot.reverted", &rc, &json);
  g_assert_cmpint (rc, ==, 0);
  g_assert_cmpstr (r, ==, "PASS");
  if (json != NULL)
    keep_result ("seat-e2e-snapshot.json", json);
  g_free (run_labctl (&rc, "exercise", "finish", "snapshot", NULL));
  g_assert_cmpint (rc, ==, 0);
  after = stand_view ();
  g_assert_cmpstr (after, ==, before);
}

static void
test_exercise_clone (void)
{
  g_autofree char *before = stand_view ();
  g_autofree char *after = NULL;
  g_autofree char *base_ip = lab_address (201);
  g_autofree char *clone_ip = lab_address (202);
  g_autofree char *out = NULL, *xml = NULL, *json = NULL, *r = NULL;
  g_autofree char *file = g_build_filename (work_dir, "ex-clone.xml", NULL);
  g_autofree char *args = g_strdup_printf ("define %s", file);
  g_autoptr(GRegex) uuid = g_regex_new ("\\s*<uuid>[^<]*</uuid>", 0, 0, NULL);
  g_autoptr(GRegex) mac = g_regex_new ("\\s*<mac address='[^']*'/>", 0, 0, NULL);
  g_autoptr(GRegex) offset = g_regex_new ("offset='[0-9]+' size='[0-9]+' \\(LV", 0, 0, NULL);
  g_autoptr(GMatchInfo) m = NULL;
  g_autoptr(GString) edited = NULL;
  g_autofree char *clone_slice = NULL;
  char *tmp;
  int rc = -1;

  out = run_labctl (&rc, "exercise", "start", "clone", NULL);
  g_assert_cmpint (rc, ==, 0);
  g_test_message ("%s", out);
  /* the clone's slice, as start printed it */
  g_assert_true (g_regex_match (offset, out != NULL ? out : "", 0, &m));
  clone_slice = g_match_info_fetch (m, 0);
  clone_slice[strlen (clone_slice) - strlen (" (LV")] = '\0';
  xml = virsh ("node1", &rc, "dumpxml ex-base");
  g_assert_cmpint (rc, ==, 0);
  if (xml == NULL)
    return;
  edited = g_string_new (xml);
  g_string_replace (edited, "<name>ex-base</name>", "<name>ex-clone</name>", 1);
  tmp = g_regex_replace (uuid, edited->str, -1, 0, "", 0, NULL);
  g_string_assign (edited, tmp);
  g_free (tmp);
  {
    g_autoptr(GRegex) slice = g_regex_new ("offset='[0-9]+' size='[0-9]+'", 0, 0, NULL);

    tmp = g_regex_replace_literal (slice, edited->str, -1, 0, clone_slice, 0, NULL);
    g_string_assign (edited, tmp);
    g_free (tmp);
  }
  {
    g_autofree char *from = g_strdup_printf ("guestip=%s/", base_ip);
    g_autofree char *to = g_strdup_printf ("guestip=%s/", clone_ip);
    g_string_replace (edited, from, to, 1);
  }
  /* wrong first: the base's MAC kept */
  g_assert_true (g_file_set_contents (file, edited->str, -1, NULL));
  g_free (virsh ("node2", &rc, args));
  g_assert_cmpint (rc, ==, 0);
  g_free (virsh ("node2", &rc, "start ex-clone"));
  r = check_step ("clone", "clone.identity", &rc, &json);
  g_assert_cmpint (rc, ==, 1);
  g_assert_cmpstr (r, ==, "FAIL");
  if (json != NULL)
    keep_result ("seat-e2e-wrong-clone.json", json);
  g_clear_pointer (&json, g_free);
  g_free (r);
  g_free (virsh ("node2", &rc, "destroy ex-clone"));
  g_free (virsh ("node2", &rc, "undefine ex-clone"));
  /* right: no <mac>, libvirt makes one */
  tmp = g_regex_replace (mac, edited->str, -1, 0, "", 0, NULL);
  g_string_assign (edited, tmp);
  g_free (tmp);
  g_assert_true (g_file_set_contents (file, edited->str, -1, NULL));
  g_free (virsh ("node2", &rc, args));
  g_assert_cmpint (rc, ==, 0);
  g_free (virsh ("node2", &rc, "start ex-clone"));
  g_assert_cmpint (rc, ==, 0);
  r = check_step ("clone", "clone.boots", &rc, &json);
  g_assert_cmpint (rc, ==, 0);
  g_assert_cmpstr (r, ==, "PASS");
  if (json != NULL)
    keep_result ("seat-e2e-clone.json", json);
  g_free (run_labctl (&rc, "exercise", "finish", "clone", NULL));
  g_assert_cmpint (rc, ==, 0);
  after = stand_view ();
  g_assert_cmpstr (after, ==, before);
}

/* The template exercise as the guide does it: the mark, no autostart,
 * the template started anyway (wrong: template.no-start fails), then
 * its disk read-only and two VMs on overlays of its image. */
/* The storage exercise by a scripted student: the answers read from the
 * stand with the storage tools the guide names (tgtadm for the IQN and the
 * LUN's size, vgs for the VG's free space, the recipe's portal), written
 * to a file; a wrong free space first (FAIL on that step only), then the
 * right one (all PASS). */
static void
test_exercise_storage (void)
{
  g_autofree char *answers = g_build_filename (work_dir, "storage-answers.txt", NULL);
  g_autofree char *out = NULL, *show = NULL, *status = NULL, *vgs = NULL, *text = NULL, *json = NULL;
  g_autofree char *iqn = NULL, *size = NULL, *vg_free = NULL;
  g_autoptr(JsonParser) p = NULL, q = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *o, *target, *attach, *lvm;
  int rc = -1;

  out = run_labctl (&rc, "exercise", "start", "storage", NULL);
  g_assert_cmpint (rc, ==, 0);
  g_test_message ("%s", out);
  /* IQN and LUN 1's size as tgtd shows them */
  {
    g_autofree char *cmd = g_strdup_printf ("tgtadm -C %u --lld iscsi --op show --mode target", control_port);
    g_autoptr(GRegex) re_iqn = g_regex_new ("^Target 1: (\\S+)$", G_REGEX_MULTILINE, 0, NULL);
    g_autoptr(GRegex) re_size = g_regex_new ("LUN: 1\\n(?:.*\\n)*?\\s*Size: (\\d+ MB)", 0, 0, NULL);
    g_autoptr(GMatchInfo) m1 = NULL, m2 = NULL;

    show = stand_test_run (cmd, &rc, &error);
    g_assert_no_error (error);
    g_assert_cmpint (rc, ==, 0);
    if (show == NULL)
      return;
    g_assert_true (g_regex_match (re_iqn, show, 0, &m1));
    g_assert_true (g_regex_match (re_size, show, 0, &m2));
    iqn = g_match_info_fetch (m1, 1);
    size = g_match_info_fetch (m2, 1);
  }
  /* the device the VG is on, from the stand's status; then vgs on it */
  status = run_labctl (&rc, "storage", "status", "--json", NULL);
  g_assert_cmpint (rc, ==, 0);
  o = parse_object (status, &p);
  if (o == NULL)
    return;
  target = json_object_get_object_member (o, "target");
  attach = json_object_get_object_member (o, "attach");
  lvm = json_object_get_object_member (o, "lvm");
  {
    g_autofree char *cmd = g_strdup_printf ("env LVM_SYSTEM_DIR=%s vgs --noheadings --units m -o vg_free %s "
                                            "--devices %s", g_getenv ("LABCTL_LVM_SYSTEM_DIR"),
                                            json_object_get_string_member (lvm, "vg"),
                                            json_object_get_string_member (attach, "device"));

    vgs = stand_test_run (cmd, &rc, &error);
    g_assert_no_error (error);
    g_assert_cmpint (rc, ==, 0);
    if (vgs == NULL)
      return;
    vg_free = g_strstrip (g_strdup (vgs));
  }
  g_test_message ("student's answers: iqn %s, LUN size %s, VG free %s", iqn, size, vg_free);

  /* wrong: the VG's size taken for its free space (here: 10 GiB more) */
  text = g_strdup_printf ("iqn = %s\nportal = %s\nlun-size = %s\nvg-free = %s\n", iqn,
                          json_object_get_string_member (target, "portal"), size, "10240G");
  g_assert_true (g_file_set_contents (answers, text, -1, NULL));
  json = run_labctl (&rc, "exercise", "check", "storage", "--answers", answers, "--json", NULL);
  g_assert_cmpint (rc, ==, 1);
  {
    JsonObject *r = parse_object (json, &q);
    JsonArray *steps = r != NULL ? json_object_get_array_member (r, "steps") : NULL;
    guint failed = 0;

    for (guint i = 0; steps != NULL && i < json_array_get_length (steps); i++)
      {
        JsonObject *st = json_array_get_object_element (steps, i);
        const char *id = json_object_get_string_member (st, "id");
        const char *res = json_object_get_string_member (st, "result");

        g_assert_cmpstr (res, ==, g_str_equal (id, "storage.vg-free") ? "FAIL" : "PASS");
        failed += g_str_equal (res, "FAIL");
      }
    g_assert_cmpuint (failed, ==, 1);
  }
  keep_result ("seat-e2e-wrong-storage.json", json);
  g_clear_pointer (&json, g_free);
  g_clear_pointer (&text, g_free);

  /* right */
  text = g_strdup_printf ("iqn = %s\nportal = %s\nlun-size = %s\nvg-free = %s\n", iqn,
                          json_object_get_string_member (target, "portal"), size, vg_free);
  g_assert_true (g_file_set_contents (answers, text, -1, NULL));
  json = run_labctl (&rc, "exercise", "check", "storage", "--answers", answers, "--json", NULL);
  g_assert_cmpint (rc, ==, 0);
  if (json != NULL)
    keep_result ("seat-e2e-storage.json", json);
  g_free (run_labctl (&rc, "exercise", "finish", "storage", NULL));
  g_assert_cmpint (rc, ==, 0);
}

static void
test_exercise_template (void)
{
  g_autofree char *before = stand_view ();
  g_autofree char *after = NULL;
  g_autofree char *tmpl_ip = lab_address (210);
  g_autofree char *out = NULL, *xml = NULL, *json = NULL, *r = NULL, *image = NULL, *pool = NULL;
  g_autofree char *file = g_build_filename (work_dir, "ex-tmpl.xml", NULL);
  g_autofree char *define = g_strdup_printf ("define %s", file);
  g_autoptr(GRegex) uuid = g_regex_new ("\\s*<uuid>[^<]*</uuid>", 0, 0, NULL);
  g_autoptr(GRegex) mac = g_regex_new ("\\s*<mac address='[^']*'/>", 0, 0, NULL);
  g_autoptr(GString) ro = NULL;
  int rc = -1;

  out = run_labctl (&rc, "exercise", "start", "template", NULL);
  g_assert_cmpint (rc, ==, 0);
  g_test_message ("%s", out);
  pool = g_strdup_printf ("labctl-%s", lab);
  {
    g_autofree char *args = g_strdup_printf ("vol-path ex-tmpl.qcow2 --pool %s", pool);
    image = virsh ("node1", &rc, args);
    g_assert_cmpint (rc, ==, 0);
    g_strstrip (image);
  }
  g_free (virsh ("node1", &rc, "autostart --disable ex-tmpl"));
  g_assert_cmpint (rc, ==, 0);
  g_free (virsh ("node1", &rc, "metadata ex-tmpl --config --uri https://labctl.example/xmlns/template/1 --key tmpl "
                               "--set '<template/>'"));
  g_assert_cmpint (rc, ==, 0);
  /* the template's XML with the mark, before <readonly/>: the model of
   * the two VMs (the mark goes with the copy, so finish removes them) */
  xml = virsh ("node1", &rc, "dumpxml --inactive ex-tmpl");
  g_assert_cmpint (rc, ==, 0);
  if (xml == NULL)
    return;
  /* wrong: the template started anyway */
  g_free (virsh ("node1", &rc, "start ex-tmpl"));
  g_assert_cmpint (rc, ==, 0);
  r = check_step ("template", "template.no-start", &rc, &json);
  g_assert_cmpint (rc, ==, 1);
  g_assert_cmpstr (r, ==, "FAIL");
  if (json != NULL)
    keep_result ("seat-e2e-wrong-template.json", json);
  g_clear_pointer (&json, g_free);
  g_clear_pointer (&r, g_free);
  g_free (virsh ("node1", &rc, "destroy ex-tmpl"));
  g_assert_cmpint (rc, ==, 0);
  /* right: its disk read-only */
  ro = g_string_new (xml);
  g_assert_cmpuint (g_string_replace (ro, "</disk>", "<readonly/></disk>", 1), ==, 1);
  g_assert_true (g_file_set_contents (file, ro->str, -1, NULL));
  g_free (virsh ("node1", &rc, define));
  g_assert_cmpint (rc, ==, 0);
  /* two VMs, each on an overlay of the template's image */
  for (guint i = 1; i <= 2; i++)
    {
      g_autofree char *name = g_strdup_printf ("ex-vm%u", i);
      g_autofree char *vol = g_strdup_printf ("%s.qcow2", name);
      g_autofree char *create = g_strdup_printf ("vol-create-as %s %s 32M --format qcow2 --backing-vol %s "
                                                 "--backing-vol-format qcow2", pool, vol, image);
      g_autofree char *path_args = g_strdup_printf ("vol-path %s --pool %s", vol, pool);
      g_autofree char *path = NULL, *ip = lab_address (210 + i), *boot = NULL;
      g_autofree char *from = g_strdup_printf ("guestip=%s/", tmpl_ip);
      g_autofree char *to = g_strdup_printf ("guestip=%s/", ip);
      g_autofree char *start_args = g_strdup_printf ("start %s", name);
      g_autoptr(GString) vm = g_string_new (xml);
      char *tmp;

      g_free (virsh ("node1", &rc, create));
      g_assert_cmpint (rc, ==, 0);
      path = virsh ("node1", &rc, path_args);
      g_assert_cmpint (rc, ==, 0);
      g_strstrip (path);
      g_assert_cmpuint (g_string_replace (vm, "<name>ex-tmpl</name>", "", 1), ==, 1);
      g_string_replace (vm, image, path, 0);
      g_assert_cmpuint (g_string_replace (vm, from, to, 1), ==, 1);
      tmp = g_regex_replace (uuid, vm->str, -1, 0, "", 0, NULL);
      g_string_assign (vm, tmp);
      g_free (tmp);
      tmp = g_regex_replace (mac, vm->str, -1, 0, "", 0, NULL);
      g_string_assign (vm, tmp);
      g_free (tmp);
      {
        /* its own name, first in <domain> */
        const char *gt = strchr (vm->str, '>');
        g_autofree char *named = g_strdup_printf ("<name>%s</name>", name);
        g_string_insert (vm, gt - vm->str + 1, named);
      }
      g_assert_true (g_file_set_contents (file, vm->str, -1, NULL));
      g_free (virsh ("node1", &rc, define));
      g_assert_cmpint (rc, ==, 0);
      g_free (virsh ("node1", &rc, start_args));
      g_assert_cmpint (rc, ==, 0);
      boot = wait_boot_id (ip, NULL, 120);
      g_assert_nonnull (boot);
    }
  r = check_step ("template", "template.deployed", &rc, &json);
  g_assert_cmpint (rc, ==, 0);
  g_assert_cmpstr (r, ==, "PASS");
  if (json != NULL)
    keep_result ("seat-e2e-template.json", json);
  g_free (run_labctl (&rc, "exercise", "finish", "template", NULL));
  g_assert_cmpint (rc, ==, 0);
  after = stand_view ();
  g_assert_cmpstr (after, ==, before);
}

static void
test_exercise_migrate (void)
{
  g_autofree char *out = NULL, *json = NULL, *r = NULL;
  g_autofree char *peer = NULL;
  g_autofree char *args = NULL;
  g_autoptr(LabRecipe) recipe = lab_recipe_load (recipe_path, NULL);
  g_autoptr(JsonParser) p = NULL;
  JsonObject *o, *fig;
  int rc = -1;

  /* the guest is on node2 (the experiment moved it): the task is node2 -> node1 */
  g_assert_nonnull (recipe);
  if (recipe == NULL)
    return;
  out = run_labctl (&rc, "exercise", "start", "migrate", NULL);
  g_assert_cmpint (rc, ==, 0);
  g_test_message ("%s", out);
  r = check_step ("migrate", "migrate.moved", &rc, &json);
  g_assert_cmpint (rc, ==, 1);
  g_assert_cmpstr (r, ==, "FAIL");
  if (json != NULL)
    keep_result ("seat-e2e-wrong-migrate.json", json);
  g_clear_pointer (&json, g_free);
  peer = g_strdup_printf ("qemu+tcp://%s/system", lab_recipe_find_node (recipe, "node1")->address);
  args = g_strdup_printf ("migrate --live --p2p --persistent --undefinesource tiny %s", peer);
  g_free (virsh ("node2", &rc, args));
  g_assert_cmpint (rc, ==, 0);
  g_free (r);
  r = check_step ("migrate", "migrate.live", &rc, &json);
  g_assert_cmpint (rc, ==, 0);
  g_assert_cmpstr (r, ==, "PASS");
  o = parse_object (json, &p);
  fig = o != NULL ? json_object_get_object_member (o, "figures") : NULL;
  g_assert_nonnull (fig);
  if (fig != NULL)
    {
      g_test_message ("exercise migrate: downtime seen by ping %" G_GINT64_FORMAT " ms, %" G_GINT64_FORMAT
                      " pings, %" G_GINT64_FORMAT " lost", json_object_get_int_member (fig, "probe_downtime_ms"),
                      json_object_get_int_member (fig, "probe_sent"), json_object_get_int_member (fig, "probe_lost"));
      g_assert_cmpint (json_object_get_int_member (fig, "probe_downtime_ms"), >, 0);
      g_assert_cmpstr (json_object_get_string_member (fig, "to"), ==, "node1");
    }
  if (json != NULL)
    keep_result ("seat-e2e-migrate.json", json);
  g_free (run_labctl (&rc, "exercise", "finish", "migrate", NULL));
  g_assert_cmpint (rc, ==, 0);
  /* no watcher left */
  {
    int st = 0;
    g_autofree char *pids = stand_test_run ("pgrep -f \"exercise watch\"", &st, NULL);
    g_assert_cmpint (st, !=, 0);
  }
}

static void
test_reset (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autoptr(JsonParser) p = NULL;
  JsonObject *o;
  int rc = -1;

  out = run_labctl (&rc, "reset", "--json", NULL);
  g_assert_cmpint (rc, ==, 0);
  o = parse_object (out, &p);
  g_assert_nonnull (o);
  if (o != NULL)
    g_test_message ("reset: %.2f s (building the lab took %.2f s)",
                    json_object_get_double_member (o, "reset_seconds"),
                    json_object_get_double_member (o, "up_seconds_recorded"));
  g_assert_true (lab_probe_ping_once (guest_address, NULL, 5000, NULL, &error));
  g_assert_no_error (error);
  {
    g_autofree char *st = run_labctl (&rc, "status", "--json", NULL);
    g_autoptr(JsonParser) p2 = NULL;
    JsonObject *so = parse_object (st, &p2);

    if (so != NULL)
      {
        JsonObject *g = json_array_get_object_element (json_object_get_array_member (so, "guests"), 0);
        g_assert_cmpstr (json_object_get_string_member (g, "node"), ==, "node1");
      }
  }
  remember_daemons ();
}

static char *
image_path (void)
{
  g_autofree char *path = state_file ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *res;

  if (!json_parser_load_from_file (parser, path, NULL))
    return NULL;
  res = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "resources");
  return g_strdup (json_object_get_string_member_with_default (res, "storage.image.path", NULL));
}

/* down --keep-storage leaves the image (and only it); the next up reuses it */
static void
test_keep_storage (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *image = image_path ();
  g_autofree char *out = NULL;
  g_autofree char *again = NULL;
  g_autofree char *prefix = g_strdup_printf ("labctl-%s-", lab);
  g_autofree char *netns = NULL;
  g_autoptr(JsonParser) p = NULL;
  JsonObject *o;
  int rc = -1;

  g_assert_nonnull (image);
  out = run_labctl (&rc, "down", "--keep-storage", NULL);
  g_assert_cmpint (rc, ==, 0);
  g_assert_true (g_file_test (image, G_FILE_TEST_IS_REGULAR));
  netns = stand_test_run ("ip netns list", NULL, &error);
  g_assert_null (strstr (netns, prefix));
  {
    g_autofree char *image_step = step_status ("storage.image");
    g_autofree char *tgtd_step = step_status ("storage.tgtd");

    g_assert_cmpstr (image_step, ==, "done");
    g_assert_cmpstr (tgtd_step, ==, "");
  }

  again = run_labctl (&rc, "up", "--json", NULL);
  g_assert_cmpint (rc, ==, 0);
  o = parse_object (again, &p);
  g_assert_nonnull (o);
  if (o != NULL)
    {
      JsonArray *steps = json_object_get_array_member (o, "steps");

      g_test_message ("up on the kept image: %.2f s", json_object_get_double_member (o, "seconds"));
      for (guint i = 0; i < json_array_get_length (steps); i++)
        {
          JsonObject *st = json_array_get_object_element (steps, i);
          const char *id = json_object_get_string_member (st, "id");

          if (g_str_equal (id, "storage.image"))
            g_assert_cmpstr (json_object_get_string_member (st, "result"), ==, "skipped");
          if (g_str_equal (id, "storage.tgtd"))
            g_assert_cmpstr (json_object_get_string_member (st, "result"), ==, "done");
        }
    }
  g_assert_true (lab_probe_ping_once (guest_address, NULL, 5000, NULL, &error));
  g_assert_no_error (error);
  remember_daemons ();
}

static void
test_down (void)
{
  g_autofree char *out = NULL;
  g_autofree char *again = NULL;
  g_autoptr(JsonParser) p = NULL;
  JsonObject *o;
  int rc = -1;

  out = run_labctl (&rc, "down", "--json", NULL);
  g_assert_cmpint (rc, ==, 0);
  o = parse_object (out, &p);
  g_assert_nonnull (o);
  if (o != NULL)
    {
      g_assert_true (json_object_get_boolean_member (o, "changed"));
      g_test_message ("down: %.2f s", json_object_get_double_member (o, "seconds"));
    }
  again = run_labctl (&rc, "down", NULL);
  g_assert_cmpint (rc, ==, 0);
  g_assert_nonnull (strstr (again, "Nothing to remove"));
}

/* Nothing of the lab is left on this machine. */
static void
test_nothing_left (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *netns = stand_test_run ("ip netns list", NULL, &error);
  g_autofree char *loops = stand_test_run ("losetup -a", NULL, &error);
  g_autofree char *prefix = g_strdup_printf ("labctl-%s-", lab);
  g_autofree char *links = stand_test_run ("ip -o link show", NULL, &error);
  g_autofree char *bridge_word = g_strdup_printf (": %s:", bridge);

  g_assert_no_error (error);
  g_assert_null (strstr (netns, prefix));
  g_assert_null (strstr (loops, work_dir));
  g_assert_null (strstr (links, bridge_word));
  g_assert_false (g_file_test (state_dir, G_FILE_TEST_EXISTS));
  for (guint i = 0; i < seen_pids->len; i++)
    g_assert_false (lab_process_alive (GPOINTER_TO_INT (g_ptr_array_index (seen_pids, i))));
  g_assert_cmpuint (seen_pids->len, >, 0);
  /* no process (QEMU, tgtd, daemons) runs with the lab's files, or its
   * guest's UUID (QEMU) */
  g_assert_false (stand_test_process_with (state_dir));
  g_assert_false (guest_uuid != NULL && stand_test_process_with (guest_uuid));
  /* no target: the lab's tgtd is gone with its control port */
  if (control_port != 0)
    {
      g_autofree char *cmd = g_strdup_printf ("tgtadm -C %u --lld iscsi --op show --mode target", control_port);
      int status = 0;
      g_autofree char *targets = stand_test_run (cmd, &status, NULL);

      g_assert_true (targets == NULL || status != 0 || strstr (targets, lab) == NULL);
    }
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *kernel = NULL, *initrd = NULL;
  g_autofree char *root = NULL;
  int rc;

  if (!stand_test_init (&argc, &argv, "the lab creates namespaces, a bridge, an iSCSI target and daemons", &labctl))
    return g_test_run ();
  if (!stand_test_tiny_guest (&kernel, &initrd, &error))
    {
      g_printerr ("cannot build the tiny guest: %s\n", error->message);
      return 1;
    }
  lab = g_strdup_printf ("e2e%u", (guint) getpid ());
  bridge = g_strdup_printf ("lab-%s", lab);
  seen_pids = g_ptr_array_new ();
  work_dir = g_dir_make_tmp ("labctl-e2e-XXXXXX", &error);
  g_assert_no_error (error);
  g_chmod (work_dir, 0755);
  root = g_build_filename (work_dir, "state", NULL);
  g_setenv ("LABCTL_STATE_DIR", root, TRUE);
  state_dir = g_build_filename (root, lab, NULL);
  if (!stand_test_lvm_system_dir (work_dir, &error))
    {
      g_printerr ("cannot write the LVM configuration: %s\n", error->message);
      return 1;
    }
  recipe_path = stand_test_write_e2e_recipe (work_dir, lab, kernel, initrd, &guest_address, &control_port, &error);
  if (recipe_path == NULL)
    {
      g_printerr ("cannot write the test recipe: %s\n", error->message);
      return 1;
    }

  {
    g_autoptr(LabRecipe) r = lab_recipe_load (recipe_path, &error);

    g_assert_no_error (error);
    if (r != NULL)
      guest_uuid = lab_guest_uuid (r, lab_recipe_find_guest (r, "tiny"));
  }
  g_test_add_func ("/e2e/up-interrupted", test_up_interrupted);
  g_test_add_func ("/e2e/up-again", test_up_again);
  g_test_add_func ("/e2e/status", test_status);
  g_test_add_func ("/e2e/migrate", test_migrate);
  g_test_add_func ("/e2e/exercise-snapshot", test_exercise_snapshot);
  g_test_add_func ("/e2e/exercise-clone", test_exercise_clone);
  g_test_add_func ("/e2e/exercise-template", test_exercise_template);
  g_test_add_func ("/e2e/exercise-migrate", test_exercise_migrate);
  g_test_add_func ("/e2e/exercise-storage", test_exercise_storage);
  g_test_add_func ("/e2e/reset", test_reset);
  g_test_add_func ("/e2e/keep-storage", test_keep_storage);
  g_test_add_func ("/e2e/down", test_down);
  g_test_add_func ("/e2e/nothing-left", test_nothing_left);
  rc = g_test_run ();

  /* whatever failed above: take the lab down */
  {
    int st = 0;
    g_autofree char *out = run_labctl (&st, "down", NULL);
    g_autofree char *cmd = g_strdup_printf ("rm -rf %s", work_dir);
    stand_test_run (cmd, NULL, NULL);
  }
  return rc;
}
