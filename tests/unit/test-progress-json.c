/* test-progress-json.c: `--progress=json`, the progress stream programs
 * (the GUI) read: real labctl children, every stdout line parsed with
 * json-glib, every event type of HACKING.md ("The progress stream") seen
 * with the members it documents, and the output for people unchanged. */
#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "lab-plan.h"
#include "lab-test-cli.h"
#include "lab-test-fs.h"

/* HACKING.md's table: each event and the members it always has */
typedef struct {
  const char *event;
  const char *members[6];
} EventDoc;

static const EventDoc documented[] = {
  { "step-started", { "index", "total", "title" } },
  { "command", { "index", "total", "title", "text" } },
  { "info", { "index", "total", "title", "text" } },
  { "step-done", { "index", "total", "title", "seconds" } },
  { "step-skipped", { "index", "total", "title" } },
  { "step-failed", { "index", "total", "title", "seconds", "message" } },
  { "progress", { "done", "total", "fraction" } },
  { "error", { "message", "exit_code", "log" } },
  { "result", { "command", "ok", "exit_code", "output" } },
  { "sample", { "seq", "offset_us", "rtt_us" } },
  { "phase", { "label", "offset_us" } },
};

static const EventDoc *
find_doc (const char *event)
{
  for (guint i = 0; i < G_N_ELEMENTS (documented); i++)
    if (g_strcmp0 (documented[i].event, event) == 0)
      return &documented[i];
  return NULL;
}

/* Parses every line of out; counts the events into seen (name -> count);
 * returns the objects in order. */
static GPtrArray *
parse_stream (const char *out, GHashTable *seen)
{
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  GPtrArray *objects = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      JsonObject *o;
      const char *event;
      const EventDoc *doc;

      if (lines[i][0] == '\0' && lines[i + 1] == NULL)
        break;   /* after the last newline */
      g_assert_true (json_parser_load_from_data (parser, lines[i], -1, &error));
      g_assert_no_error (error);
      if (error != NULL || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        {
          g_test_message ("line %u is no JSON object: %s", i + 1, lines[i]);
          g_test_fail ();
          continue;
        }
      o = json_node_get_object (json_parser_get_root (parser));
      event = json_object_get_string_member_with_default (o, "event", NULL);
      doc = find_doc (event);
      g_assert_nonnull (doc);
      if (doc == NULL)
        continue;
      for (guint m = 0; m < G_N_ELEMENTS (doc->members) && doc->members[m] != NULL; m++)
        if (!json_object_has_member (o, doc->members[m]))
          {
            g_test_message ("line %u (%s) has no member %s", i + 1, event, doc->members[m]);
            g_test_fail ();
          }
      g_hash_table_insert (seen, g_strdup (event),
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (seen, event)) + 1));
      g_ptr_array_add (objects, json_object_ref (o));
    }
  return objects;
}

static guint
seen_count (GHashTable *seen, const char *event)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (seen, event));
}

static void
test_every_event (void)
{
  g_autofree char *state_dir = g_dir_make_tmp ("labctl-progress-XXXXXX", NULL);
  g_autofree char *env_state = g_strconcat ("LABCTL_STATE_DIR=", state_dir, NULL);
  /* a host without VT-x: the preview runs the host check, which fails (proxmox: KVM is required; the kvm
   * flavor only warns, its nodes run under TCG) */
  g_autofree char *env_sysroot = g_strconcat ("LABCTL_SYSROOT=", LABCTL_SOURCE_DIR, "/tests/data/hosts/no-vtx", NULL);
  const char *env[] = { env_state, env_sysroot, "LABCTL_LIBVIRT_URI=test:///default", NULL };
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) up = NULL;
  g_autoptr(GPtrArray) down = NULL;
  g_auto(LabTestRun) r;
  g_auto(LabTestRun) plain;
  g_auto(LabTestRun) d;
  JsonObject *last, *failed = NULL;
  guint started = 0;
  gint64 total = -1;

  lab_test_run_labctl_env (&r, env, "up", "--progress=json", "--dry-run", "--recipe", "proxmox-3node", NULL);
  g_assert_cmpint (r.status, ==, 1);   /* the host check failed */
  up = parse_stream (r.out, seen);
  g_assert_cmpuint (up->len, >, 10);
  if (up->len < 10)
    return;

  /* each step started once, in order, with the same total */
  for (guint i = 0; i < up->len; i++)
    {
      JsonObject *o = up->pdata[i];
      const char *event = json_object_get_string_member (o, "event");

      if (g_str_equal (event, "step-started"))
        {
          g_assert_cmpint (json_object_get_int_member (o, "index"), ==, started);
          if (total < 0)
            total = json_object_get_int_member (o, "total");
          g_assert_cmpint (json_object_get_int_member (o, "total"), ==, total);
          started++;
        }
      if (g_str_equal (event, "step-failed"))
        failed = o;
    }
  g_assert_cmpint (started, ==, total);
  g_assert_cmpuint (seen_count (seen, "progress"), ==, started);
  /* the failure is the host check's, with the fix; the preview went on */
  g_assert_nonnull (failed);
  if (failed != NULL)
    {
      g_assert_cmpint (json_object_get_int_member (failed, "index"), ==, 0);
      g_assert_nonnull (strstr (json_object_get_string_member (failed, "message"), "cpu.virt-flag"));
      g_assert_nonnull (strstr (json_object_get_string_member (failed, "message"), "Fix these"));
    }
  g_assert_cmpuint (seen_count (seen, "step-done"), ==, started - 1);
  /* the last two: the error, then the result holding the text for people */
  last = up->pdata[up->len - 1];
  g_assert_cmpstr (json_object_get_string_member (last, "event"), ==, "result");
  g_assert_false (json_object_get_boolean_member (last, "ok"));
  g_assert_cmpint (json_object_get_int_member (last, "exit_code"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (up->pdata[up->len - 2], "event"), ==, "error");

  /* the output for people is what it was, and it is the result's output */
  lab_test_run_labctl_env (&plain, env, "up", "--dry-run", "--recipe", "proxmox-3node", NULL);
  g_assert_cmpint (plain.status, ==, 0);
  g_assert_true (g_str_has_prefix (plain.out, "# labctl up --recipe"));
  g_assert_cmpstr (json_object_get_string_member (last, "output"), ==, plain.out);

  /* down of a lab that is not up: every step skipped */
  lab_test_run_labctl_env (&d, env, "down", "--progress=json", "--dry-run", "--recipe", "proxmox-3node", NULL);
  g_assert_cmpint (d.status, ==, 0);
  {
    g_autoptr(GHashTable) seen_down = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

    down = parse_stream (d.out, seen_down);
    g_assert_cmpuint (seen_count (seen_down, "step-skipped"), ==, total);
    g_assert_cmpuint (seen_count (seen_down, "step-done"), ==, 0);
    g_assert_cmpuint (seen_count (seen_down, "result"), ==, 1);
    g_hash_table_insert (seen, g_strdup ("step-skipped"), GUINT_TO_POINTER (seen_count (seen_down, "step-skipped")));
  }

  /* every documented event type of a plan came (the experiments' own
   * come in test_experiment_events) */
  for (guint i = 0; i < G_N_ELEMENTS (documented); i++)
    if (!g_str_equal (documented[i].event, "sample") && !g_str_equal (documented[i].event, "phase")
        && seen_count (seen, documented[i].event) == 0)
      {
        g_test_message ("no %s event", documented[i].event);
        g_test_fail ();
      }
  lab_test_remove_tree (state_dir);
}

/* a command that succeeds: its result, with --json its document too */
static void
test_result_json (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) objects = NULL;
  g_auto(LabTestRun) r;
  g_auto(LabTestRun) bad;
  JsonObject *result;

  lab_test_run_labctl (&r, "recipe", "show", "--json", "--progress=json", "--recipe", "kvm-3node", NULL);
  g_assert_cmpint (r.status, ==, 0);
  objects = parse_stream (r.out, seen);
  g_assert_cmpuint (objects->len, ==, 1);
  if (objects->len != 1)
    return;
  result = objects->pdata[0];
  g_assert_true (json_object_get_boolean_member (result, "ok"));
  g_assert_cmpstr (json_object_get_string_member (result, "command"), ==, "recipe show");
  g_assert_true (json_object_has_member (result, "json"));
  if (json_object_has_member (result, "json"))
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (
                       json_object_get_object_member (result, "json"), "lab"), "name"), ==, "kvm");

  lab_test_run_labctl (&bad, "up", "--progress=yaml", NULL);
  g_assert_cmpint (bad.status, ==, 2);
  g_assert_nonnull (strstr (bad.err, "--progress must be text or json"));
}

/* what experiment migrate streams while it runs (the GUI's live timeline):
 * written from the probe's thread and the worker, one object per line */
static void
test_experiment_events (void)
{
  g_autofree char *dir = g_dir_make_tmp ("labctl-progress-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "stream", NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) objects = NULL;
  g_autofree char *text = NULL;
  FILE *stream = fopen (path, "w");

  g_assert_nonnull (stream);
  if (stream == NULL)
    return;
  /* nothing without a stream */
  lab_progress_write_sample (0, 0, 500);
  lab_progress_set_json_stream (stream);
  lab_progress_write_phase ("migration starts", 1200000);
  lab_progress_write_sample (7, 70000, 431);
  lab_progress_write_sample (8, 80000, -1);
  lab_progress_set_json_stream (NULL);
  lab_progress_write_sample (9, 90000, 500);
  fclose (stream);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  objects = parse_stream (text, seen);
  g_assert_cmpuint (objects->len, ==, 3);
  g_assert_cmpuint (seen_count (seen, "phase"), ==, 1);
  g_assert_cmpuint (seen_count (seen, "sample"), ==, 2);
  if (objects->len == 3)
    {
      g_assert_cmpint (json_object_get_int_member (objects->pdata[1], "rtt_us"), ==, 431);
      g_assert_cmpint (json_object_get_int_member (objects->pdata[2], "rtt_us"), ==, -1);
      g_assert_cmpstr (json_object_get_string_member (objects->pdata[0], "label"), ==, "migration starts");
    }
  lab_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  g_test_add_func ("/progress-json/every-event", test_every_event);
  g_test_add_func ("/progress-json/result-json", test_result_json);
  g_test_add_func ("/progress-json/experiment-events", test_experiment_events);
  return g_test_run ();
}
