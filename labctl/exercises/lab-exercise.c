/* lab-exercise.c: the exercise table, the report of a check, the verbs. */
#include "config.h"

#include "lab-exercise.h"
#include "lab-exercise-private.h"

#include <string.h>
#include <time.h>

#include "lab-error.h"
#include "lab-flavor.h"
#include "lab-i18n.h"
#include "lab-json.h"
#include "lab-paths.h"
#include "lab-probe.h"
#include "lab-state.h"

/* ---- the report ---------------------------------------------------------- */

const char *
lab_exercise_result_to_string (LabExerciseResult result)
{
  switch (result)
    {
    case LAB_EXERCISE_PASS:
      return "PASS";
    case LAB_EXERCISE_FAIL:
      return "FAIL";
    default:
      return "ERROR";
    }
}

static void
step_free (gpointer data)
{
  LabExerciseStep *s = data;

  g_free (s->id);
  g_free (s->title);
  g_free (s->detail);
  g_free (s->hint);
  g_free (s);
}

LabExerciseReport *
lab_exercise_report_new (const char *exercise, const char *lab)
{
  LabExerciseReport *r = g_new0 (LabExerciseReport, 1);

  r->exercise = g_strdup (exercise);
  r->lab = g_strdup (lab);
  r->steps = g_ptr_array_new_with_free_func (step_free);
  r->figures = json_object_new ();
  return r;
}

void
lab_exercise_report_free (LabExerciseReport *r)
{
  if (r == NULL)
    return;
  g_free (r->exercise);
  g_free (r->lab);
  g_ptr_array_unref (r->steps);
  json_object_unref (r->figures);
  g_free (r);
}

gboolean
lab_exercise_report_add (LabExerciseReport *r, const char *id, const char *title, LabExerciseResult result,
                         const char *detail, const char *hint)
{
  LabExerciseStep *s = g_new0 (LabExerciseStep, 1);

  s->id = g_strdup (id);
  s->title = g_strdup (title);
  s->result = result;
  s->detail = g_strdup (detail);
  /* a step that passed needs no hint */
  s->hint = result != LAB_EXERCISE_PASS ? g_strdup (hint) : NULL;
  g_ptr_array_add (r->steps, s);
  return result == LAB_EXERCISE_PASS;
}

void
lab_exercise_report_skip (LabExerciseReport *r, const char *id, const char *title, const char *because_id)
{
  g_autofree char *hint = g_strdup_printf (_("first pass step %s"), because_id);

  lab_exercise_report_add (r, id, title, LAB_EXERCISE_FAIL, _("not checked"), hint);
}

gboolean
lab_exercise_report_passed (const LabExerciseReport *r)
{
  for (guint i = 0; i < r->steps->len; i++)
    if (((LabExerciseStep *) g_ptr_array_index (r->steps, i))->result != LAB_EXERCISE_PASS)
      return FALSE;
  return r->steps->len > 0;
}

gboolean
lab_exercise_report_has_error (const LabExerciseReport *r)
{
  for (guint i = 0; i < r->steps->len; i++)
    if (((LabExerciseStep *) g_ptr_array_index (r->steps, i))->result == LAB_EXERCISE_ERROR)
      return TRUE;
  return FALSE;
}

JsonNode *
lab_exercise_report_to_json (const LabExerciseReport *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *when = g_date_time_format_iso8601 (now);

  json_builder_begin_object (b);
  lab_json_member_string (b, "exercise", r->exercise);
  lab_json_member_string (b, "lab", r->lab);
  lab_json_member_string (b, "seat", g_get_host_name ());
  lab_json_member_string (b, "time", when);
  lab_json_member_boolean (b, "passed", lab_exercise_report_passed (r));
  json_builder_set_member_name (b, "steps");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->steps->len; i++)
    {
      LabExerciseStep *s = g_ptr_array_index (r->steps, i);

      json_builder_begin_object (b);
      lab_json_member_string (b, "id", s->id);
      lab_json_member_string (b, "title", s->title);
      lab_json_member_string (b, "result", lab_exercise_result_to_string (s->result));
      lab_json_member_nullable (b, "detail", s->detail);
      lab_json_member_nullable (b, "hint", s->hint);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "figures");
  {
    JsonNode *f = json_node_new (JSON_NODE_OBJECT);

    json_node_set_object (f, r->figures);
    json_builder_add_value (b, f);
  }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

char *
lab_exercise_report_format (const LabExerciseReport *r)
{
  GString *s = g_string_new (NULL);
  guint passed = 0;

  g_string_append_printf (s, _("Exercise %s, lab %s:\n"), r->exercise, r->lab);
  for (guint i = 0; i < r->steps->len; i++)
    {
      LabExerciseStep *st = g_ptr_array_index (r->steps, i);

      passed += st->result == LAB_EXERCISE_PASS;
      g_string_append_printf (s, "  %-5s %s", lab_exercise_result_to_string (st->result), st->title);
      if (st->detail != NULL)
        g_string_append_printf (s, ": %s", st->detail);
      g_string_append_c (s, '\n');
      if (st->hint != NULL && st->result != LAB_EXERCISE_PASS)
        g_string_append_printf (s, st->result == LAB_EXERCISE_FAIL ? _("        hint: %s\n") : _("        why: %s\n"),
                                st->hint);
    }
  if (json_object_has_member (r->figures, "probe_downtime_ms"))
    g_string_append_printf (s, _("Downtime seen by ping while the exercise was open: %lld ms "
                                 "(%lld pings every 10 ms, %lld lost)\n"),
                            (long long) json_object_get_int_member (r->figures, "probe_downtime_ms"),
                            (long long) json_object_get_int_member (r->figures, "probe_sent"),
                            (long long) json_object_get_int_member (r->figures, "probe_lost"));
  if (json_object_has_member (r->figures, "phases"))
    {
      JsonArray *phases = json_object_get_array_member (r->figures, "phases");
      gboolean from_probe = g_strcmp0 (json_object_get_string_member_with_default (r->figures, "fault_from", ""),
                                       "probe") == 0;

      g_string_append_printf (s, from_probe ? _("Failover of node %s, time since the fault (the last ping reply):\n")
                                            : _("Failover of node %s, time since corosync first lost it:\n"),
                              json_object_get_string_member_with_default (r->figures, "victim", "?"));
      for (guint i = 0; i < json_array_get_length (phases); i++)
        {
          JsonObject *p = json_array_get_object_element (phases, i);
          const char *node = json_object_get_string_member_with_default (p, "node", NULL);

          g_string_append_printf (s, "  %+9.3f s  %s%s%s\n", json_object_get_int_member (p, "offset_ms") / 1000.0,
                                  json_object_get_string_member (p, "label"), node != NULL ? ": " : "",
                                  node != NULL ? node : "");
        }
    }
  g_string_append_printf (s, _("%u of %u steps passed.\n"), passed, r->steps->len);
  return g_string_free (s, FALSE);
}

/* ---- the guest's report ------------------------------------------------ */

void
lab_guest_id_clear (LabGuestId *id)
{
  g_clear_pointer (&id->boot_id, g_free);
  id->uptime = 0;
  id->counter = 0;
}

gboolean
lab_guest_id_parse (const char *text, LabGuestId *out)
{
  g_auto(GStrv) words = g_strsplit_set (text != NULL ? text : "", " \t\r\n", -1);

  memset (out, 0, sizeof *out);
  for (guint i = 0; words[i] != NULL; i++)
    {
      if (g_str_has_prefix (words[i], "boot_id=") && words[i][8] != '\0')
        {
          g_free (out->boot_id);
          out->boot_id = g_strdup (words[i] + 8);
        }
      else if (g_str_has_prefix (words[i], "uptime="))
        out->uptime = g_ascii_strtod (words[i] + 7, NULL);
      else if (g_str_has_prefix (words[i], "counter="))
        out->counter = g_ascii_strtoll (words[i] + 8, NULL, 10);
    }
  return out->boot_id != NULL;
}

/* ---- the real probes ----------------------------------------------------- */

static char *
real_node_uri (LabExerciseEnv *env, const char *node, GError **error)
{
  return lab_flavor_node_uri (env->ctx, node, error);
}

static gboolean
real_guest_id (LabExerciseEnv *env, const char *address, LabGuestId *out, GError **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GString) reply = g_string_new (NULL);
  const char *request = "GET /cgi-bin/id HTTP/1.0\r\n\r\n";
  const char *body;
  char buf[1024];
  gssize n;

  g_socket_client_set_timeout (client, 3);
  conn = g_socket_client_connect_to_host (client, address, 80, env->ctx->cancellable, error);
  if (conn == NULL)
    return FALSE;
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), request, strlen (request),
                                  NULL, env->ctx->cancellable, error))
    return FALSE;
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (conn)), buf, sizeof buf,
                                   env->ctx->cancellable, error)) > 0)
    g_string_append_len (reply, buf, n);
  if (n < 0)
    return FALSE;
  body = strstr (reply->str, "\r\n\r\n");
  body = body != NULL ? body + 4 : reply->str;
  if (!lab_guest_id_parse (body, out))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                   _("The guest at %s answered http://%s/cgi-bin/id without a boot_id: is it the lab's tiny guest?"),
                   address, address);
      return FALSE;
    }
  return TRUE;
}

static gboolean
real_ping (LabExerciseEnv *env, const char *address, guint timeout_ms)
{
  return lab_probe_ping_once (address, NULL, timeout_ms, env->ctx->cancellable, NULL);
}

const LabExerciseProbes lab_exercise_real_probes = { real_node_uri, real_guest_id, real_ping };

/* ---- the environment ------------------------------------------------------ */

static void
conn_close (gpointer conn)
{
  virConnectClose (conn);
}

LabExerciseEnv *
lab_exercise_env_new (LabContext *ctx, const LabExerciseProbes *probes)
{
  LabExerciseEnv *env = g_new0 (LabExerciseEnv, 1);

  env->ctx = ctx;
  env->probes = probes != NULL ? probes : &lab_exercise_real_probes;
  env->conns = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, conn_close);
  return env;
}

void
lab_exercise_env_free (LabExerciseEnv *env)
{
  if (env == NULL)
    return;
  g_hash_table_unref (env->conns);
  if (env->stack_session != NULL)
    lab_exercise_stack (env)->session_free (env->stack_session);
  g_free (env);
}

virConnectPtr
lab_exercise_env_node (LabExerciseEnv *env, const char *node, GError **error)
{
  virConnectPtr conn = g_hash_table_lookup (env->conns, node);
  g_autofree char *uri = NULL;

  if (conn != NULL)
    return conn;
  uri = env->probes->node_uri (env, node, error);
  if (uri == NULL)
    return NULL;
  conn = lab_virt_open (uri, error);
  if (conn != NULL)
    g_hash_table_insert (env->conns, g_strdup (node), conn);
  return conn;
}

/* ---- the table ---------------------------------------------------------- */

static const LabExercise * const exercises[] = {
  &lab_exercise_snapshot,
  &lab_exercise_clone,
  &lab_exercise_template,
  &lab_exercise_migrate,
  &lab_exercise_storage,
  &lab_exercise_ha,
  NULL,
};

const LabExercise * const *
lab_exercise_table (void)
{
  return exercises;
}

const LabExercise *
lab_exercise_find (const char *name)
{
  for (guint i = 0; exercises[i] != NULL; i++)
    if (g_strcmp0 (exercises[i]->name, name) == 0)
      return exercises[i];
  return NULL;
}

char *
lab_exercise_guide_path (const LabExercise *exercise)
{
  const char * const *langs = g_get_language_names ();
  const char *lang = "en";
  g_autofree char *file = NULL;

  for (guint i = 0; langs[i] != NULL; i++)
    {
      if (g_str_has_prefix (langs[i], "ru"))
        {
          lang = "ru";
          break;
        }
      if (g_str_has_prefix (langs[i], "en") || g_str_equal (langs[i], "C"))
        break;
    }
  file = g_strdup_printf ("%s.%s.md", exercise->name, lang);
  return lab_paths_data_file ("lab-guides", file, NULL);
}

gboolean
lab_exercise_is_started (LabExerciseEnv *env, const LabExercise *exercise)
{
  g_autofree char *key = lab_exercise_key (exercise, "started");

  return lab_state_has (env->ctx->state, key);
}

static char *
unavailable (LabExerciseEnv *env, const LabExercise *exercise)
{
  /* the guests are the stack's: its API is what the checks read */
  if (lab_exercise_stack (env) != NULL)
    {
      if (exercise->stack == NULL)
        return g_strdup (_("its checks read libvirt and the cluster's logs; the checks through the nodes' own "
                           "management API are not written yet"));
      return NULL;
    }
  if (exercise->unavailable != NULL)
    return exercise->unavailable (env);
  return NULL;
}

/* The row's verbs, or its stack variant's on a stack's lab. */
typedef char *(*StartFunc) (LabExerciseEnv *, GError **);
typedef void (*CheckFunc) (LabExerciseEnv *, LabExerciseReport *);
typedef gboolean (*FinishFunc) (LabExerciseEnv *, GError **);

static StartFunc
verb_start (LabExerciseEnv *env, const LabExercise *exercise)
{
  return lab_exercise_stack (env) != NULL ? exercise->stack->start : exercise->start;
}

static CheckFunc
verb_check (LabExerciseEnv *env, const LabExercise *exercise)
{
  return lab_exercise_stack (env) != NULL ? exercise->stack->check : exercise->check;
}

static FinishFunc
verb_finish (LabExerciseEnv *env, const LabExercise *exercise)
{
  return lab_exercise_stack (env) != NULL ? exercise->stack->finish : exercise->finish;
}

char *
lab_exercise_start (LabExerciseEnv *env, const LabExercise *exercise, GError **error)
{
  g_autofree char *why = unavailable (env, exercise);
  g_autofree char *key = lab_exercise_key (exercise, "started");
  g_autofree char *task = NULL;

  if (why != NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED, _("Exercise %s is not available on lab %s: %s"),
                   exercise->name, env->ctx->recipe->name, why);
      return NULL;
    }
  if (lab_exercise_is_started (env, exercise))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_EXISTS,
                   _("Exercise %s is already started on lab %s; check it, or end it with "
                     "'labctl exercise finish %s' and start again"), exercise->name, env->ctx->recipe->name,
                   exercise->name);
      return NULL;
    }
  lab_state_set_int (env->ctx->state, key, (gint64) time (NULL));
  if (!lab_state_save (env->ctx->state, error))
    return NULL;
  task = verb_start (env, exercise) (env, error);
  if (task == NULL)
    {
      g_autoptr(GError) local = NULL;

      /* nothing half-made: take back what start made before it failed */
      if (!verb_finish (env, exercise) (env, &local))
        g_prefix_error (error, _("(Removing what it made failed too: %s; run 'labctl exercise finish %s'.) "),
                        local->message, exercise->name);
      lab_exercise_forget (env, exercise);
      lab_state_save (env->ctx->state, NULL);
      return NULL;
    }
  if (!lab_state_save (env->ctx->state, error))
    return NULL;
  return g_steal_pointer (&task);
}

LabExerciseReport *
lab_exercise_check (LabExerciseEnv *env, const LabExercise *exercise, GError **error)
{
  g_autoptr(LabExerciseReport) report = NULL;
  g_autofree char *why = unavailable (env, exercise);

  if (why != NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED, _("Exercise %s is not available on lab %s: %s"),
                   exercise->name, env->ctx->recipe->name, why);
      return NULL;
    }
  if (!lab_exercise_is_started (env, exercise))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("Exercise %s is not started on lab %s: run 'labctl exercise start %s' first"),
                   exercise->name, env->ctx->recipe->name, exercise->name);
      return NULL;
    }
  report = lab_exercise_report_new (exercise->name, env->ctx->recipe->name);
  verb_check (env, exercise) (env, report);
  return g_steal_pointer (&report);
}

gboolean
lab_exercise_finish (LabExerciseEnv *env, const LabExercise *exercise, GError **error)
{
  if (!lab_exercise_is_started (env, exercise))
    return TRUE;
  if (!verb_finish (env, exercise) (env, error))
    {
      lab_state_save (env->ctx->state, NULL);
      return FALSE;
    }
  lab_exercise_forget (env, exercise);
  return lab_state_save (env->ctx->state, error);
}

JsonNode *
lab_exercise_list_json (LabExerciseEnv *env)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  for (guint i = 0; exercises[i] != NULL; i++)
    {
      g_autofree char *why = unavailable (env, exercises[i]);
      g_autofree char *guide = lab_exercise_guide_path (exercises[i]);

      json_builder_begin_object (b);
      lab_json_member_string (b, "name", exercises[i]->name);
      lab_json_member_string (b, "title", _(exercises[i]->title));
      lab_json_member_boolean (b, "available", why == NULL);
      lab_json_member_nullable (b, "why", why);
      lab_json_member_boolean (b, "started", lab_exercise_is_started (env, exercises[i]));
      lab_json_member_nullable (b, "guide", g_file_test (guide, G_FILE_TEST_EXISTS) ? guide : NULL);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return json_builder_get_root (b);
}

char *
lab_exercise_list_format (JsonNode *list)
{
  JsonArray *a = json_node_get_array (list);
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);
      const char *why = json_object_get_string_member_with_default (o, "why", NULL);

      g_string_append_printf (s, "%-9s %-8s %s\n", json_object_get_string_member (o, "name"),
                              json_object_get_boolean_member (o, "started") ? _("started")
                              : why == NULL                                  ? _("ready")
                                                                             : _("n/a"),
                              json_object_get_string_member (o, "title"));
      if (why != NULL)
        g_string_append_printf (s, _("          not available: %s\n"), why);
    }
  return g_string_free (s, FALSE);
}
