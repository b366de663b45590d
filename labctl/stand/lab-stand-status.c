/* lab-stand-status.c: `labctl status`: every step as recorded and as its
 * check finds it now, the storage, the nodes (with what their flavor adds)
 * and the guests; as JSON and as text. Read-only. */
#include "config.h"

#include "lab-stand.h"

#include "lab-flavor.h"
#include "lab-guest.h"
#include "lab-i18n.h"
#include "lab-json.h"
#include "lab-probe.h"
#include "lab-storage.h"

static const char *
step_state_name (LabStepState s)
{
  switch (s)
    {
    case LAB_STEP_STATE_STARTED:
      return "started";
    case LAB_STEP_STATE_DONE:
      return "done";
    case LAB_STEP_STATE_NONE:
    default:
      return "none";
    }
}

JsonNode *
lab_stand_status (LabContext *ctx, LabPlan *plan)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const LabFlavor *flavor = lab_flavor_for_context (ctx);
  LabRecipe *r = ctx->recipe;
  guint n_done = 0, n = lab_plan_get_n_steps (plan);
  gboolean healthy = TRUE;

  json_builder_begin_object (b);
  lab_json_member_string (b, "lab", r->name);
  lab_json_member_string (b, "flavor", lab_flavor_to_string (r->flavor));
  lab_json_member_string (b, "state_file", lab_state_get_path (ctx->state));

  json_builder_set_member_name (b, "steps");
  json_builder_begin_array (b);
  for (guint i = 0; i < n; i++)
    {
      const char *id = lab_plan_get_step_id (plan, i);
      LabStepState rec = lab_state_get_step (ctx->state, id);
      g_autoptr(GError) error = NULL;
      gboolean done = FALSE;
      gboolean checked;
      const char *health;

      /* what `up` never did is absent; what it did is checked as it is now */
      if (rec == LAB_STEP_STATE_NONE)
        health = "absent";
      else if (!(checked = lab_plan_check_step (plan, i, &done, &error)))
        health = "unknown";
      else
        health = done ? "ok" : "broken";
      if (rec == LAB_STEP_STATE_DONE)
        n_done++;
      if (g_strcmp0 (health, "ok") != 0 && rec != LAB_STEP_STATE_NONE)
        healthy = FALSE;

      json_builder_begin_object (b);
      lab_json_member_string (b, "id", id);
      lab_json_member_string (b, "title", lab_plan_get_step_title (plan, i));
      lab_json_member_string (b, "recorded", step_state_name (rec));
      lab_json_member_double (b, "seconds", lab_state_get_step_seconds (ctx->state, id));
      lab_json_member_string (b, "health", health);
      if (error != NULL)
        {
          lab_json_member_string (b, "error", error->message);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "storage");
  json_builder_add_value (b, lab_storage_status (ctx));

  json_builder_set_member_name (b, "nodes");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *node = g_ptr_array_index (r->nodes, i);

      json_builder_begin_object (b);
      lab_json_member_string (b, "name", node->name);
      lab_json_member_string (b, "address", node->address);
      if (flavor->node_status != NULL)
        flavor->node_status (ctx, node, b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "guests");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->guests->len; i++)
    {
      LabGuest *g = g_ptr_array_index (r->guests, i);
      g_autofree char *where = NULL;
      g_autofree char *note = NULL;
      gboolean active = FALSE, answers = FALSE;

      if (lab_flavor_has_guests (flavor))
        {
          g_autoptr(GError) settle_error = NULL;

          /* a migration that did not finish: said, not repaired (read-only) */
          if (!lab_guest_settle (ctx, g, FALSE, &note, &settle_error))
            note = g_strdup (settle_error->message);
          lab_guest_locate (ctx, g, &where, &active, NULL);
        }
      if (active && g->address != NULL)
        answers = lab_probe_ping_once (g->address, NULL, 1000, NULL, NULL);
      json_builder_begin_object (b);
      lab_json_member_string (b, "name", g->name);
      lab_json_member_string (b, "address", g->address);
      lab_json_member_string (b, "home", g->node);
      lab_json_member_string (b, "node", where);
      lab_json_member_boolean (b, "running", active);
      lab_json_member_boolean (b, "answers_ping", answers);
      lab_json_member_string (b, "problem", note);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  lab_json_member_boolean (b, "up", n > 0 && n_done == n);
  lab_json_member_boolean (b, "healthy", healthy);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

char *
lab_stand_status_format (JsonNode *status)
{
  JsonObject *o = json_node_get_object (status);
  JsonArray *steps = json_object_get_array_member (o, "steps");
  JsonArray *nodes = json_object_get_array_member (o, "nodes");
  JsonArray *guests = json_object_get_array_member (o, "guests");
  g_autoptr(GString) s = g_string_new (NULL);
  gboolean up = json_object_get_boolean_member (o, "up");
  gboolean healthy = json_object_get_boolean_member (o, "healthy");
  const LabFlavor *flavor = NULL;
  LabFlavorId id;

  /* the text of a node is its flavor's */
  if (lab_flavor_from_string (json_object_get_string_member (o, "flavor"), &id))
    flavor = lab_flavor_get (id);
  g_string_append_printf (s, _("Lab %s (flavor %s): %s\n"), json_object_get_string_member (o, "lab"),
                          json_object_get_string_member (o, "flavor"),
                          up ? (healthy ? _("up, healthy") : _("up, with problems"))
                             : (healthy ? _("not up") : _("partly up, with problems")));
  g_string_append (s, _("Steps:\n"));
  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      JsonObject *st = json_array_get_object_element (steps, i);
      const char *health = json_object_get_string_member (st, "health");
      const char *rec = json_object_get_string_member (st, "recorded");
      double secs = json_object_get_double_member (st, "seconds");
      g_autofree char *when = secs > 0 ? g_strdup_printf ("%6.2f s", secs) : g_strdup ("        ");

      g_string_append_printf (s, "  %-8s %-8s %s  %s\n", health, rec, when,
                              json_object_get_string_member (st, "title"));
      if (json_object_has_member (st, "error"))
        g_string_append_printf (s, "           %s\n", json_object_get_string_member (st, "error"));
    }
  if (json_object_has_member (o, "storage"))
    {
      g_autofree char *st = lab_storage_status_to_text (json_object_get_member (o, "storage"));
      g_auto(GStrv) lines = g_strsplit (st, "\n", -1);

      g_string_append (s, _("Storage:\n"));
      for (guint k = 0; lines[k] != NULL; k++)
        if (lines[k][0] != '\0')
          g_string_append_printf (s, "  %s\n", lines[k]);
    }
  if (json_array_get_length (nodes) > 0)
    g_string_append (s, _("Nodes:\n"));
  for (guint i = 0; i < json_array_get_length (nodes); i++)
    {
      JsonObject *no = json_array_get_object_element (nodes, i);

      g_string_append_printf (s, "  %-10s %-15s", json_object_get_string_member (no, "name"),
                              json_object_get_string_member (no, "address"));
      if (flavor != NULL && flavor->node_status_text != NULL)
        flavor->node_status_text (no, s);
      g_string_append_c (s, '\n');
    }
  if (json_array_get_length (guests) > 0)
    g_string_append (s, _("Guests:\n"));
  for (guint i = 0; i < json_array_get_length (guests); i++)
    {
      JsonObject *go = json_array_get_object_element (guests, i);
      const char *node = json_object_get_string_member (go, "node");

      g_string_append_printf (s, _("  %-10s %-15s on %s (home %s), %s, ping %s\n"),
                              json_object_get_string_member (go, "name"),
                              json_object_get_string_member (go, "address"),
                              node != NULL ? node : "-",
                              json_object_get_string_member (go, "home"),
                              json_object_get_boolean_member (go, "running") ? _("running") : _("not running"),
                              json_object_get_boolean_member (go, "answers_ping") ? _("answers") : _("no answer"));
      if (json_object_has_member (go, "problem") && json_object_get_string_member (go, "problem") != NULL)
        g_string_append_printf (s, "             %s\n", json_object_get_string_member (go, "problem"));
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}
