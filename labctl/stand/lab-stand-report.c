/* lab-stand-report.c: per-step results of up / down for the summary. */
#include "config.h"

#include "lab-stand-report.h"

#include "lab-i18n.h"
#include "lab-json.h"

typedef struct {
  char   *id;
  char   *title;
  const char *result;   /* "done", "skipped", "failed" */
  double  seconds;
} Row;

struct _LabStandReport {
  LabStand    *stand;
  LabProgress *inner;
  gboolean     down;
  GPtrArray   *rows;
  guint        n_changed;
  guint        n_skipped;
  double       seconds;
};

static void
row_free (gpointer p)
{
  Row *row = p;

  g_free (row->id);
  g_free (row->title);
  g_free (row);
}

static void
report_func (LabProgress *progress, LabProgressEvent event, guint index, guint total,
             const char *title, double seconds, const char *detail, gpointer user_data)
{
  LabStandReport *self = user_data;
  guint plan_index = self->down ? total - 1 - index : index;
  Row *row;

  lab_progress_emit (self->inner, event, index, total, title, seconds, detail);
  if (event != LAB_PROGRESS_STEP_DONE && event != LAB_PROGRESS_STEP_SKIPPED
      && event != LAB_PROGRESS_STEP_FAILED)
    return;
  row = g_new0 (Row, 1);
  row->id = g_strdup (plan_index < lab_plan_get_n_steps (self->stand->plan)
                      ? lab_plan_get_step_id (self->stand->plan, plan_index) : "");
  row->title = g_strdup (title);
  row->seconds = seconds;
  switch (event)
    {
    case LAB_PROGRESS_STEP_DONE:
      row->result = self->down ? "undone" : "done";
      self->n_changed++;
      break;
    case LAB_PROGRESS_STEP_SKIPPED:
      row->result = "skipped";
      self->n_skipped++;
      break;
    default:
      row->result = "failed";
      break;
    }
  g_ptr_array_add (self->rows, row);
}

LabStandReport *
lab_stand_report_new (LabStand *stand, FILE *stream, gboolean down)
{
  LabStandReport *self = g_new0 (LabStandReport, 1);

  self->stand = stand;
  self->down = down;
  self->rows = g_ptr_array_new_with_free_func (row_free);
  self->inner = lab_progress_new_for_stream (stream);
  g_clear_pointer (&stand->progress, lab_progress_free);
  stand->progress = lab_progress_new (report_func, self, NULL);
  stand->ctx.progress = stand->progress;
  return self;
}

void
lab_stand_report_free (LabStandReport *self)
{
  if (self == NULL)
    return;
  lab_progress_free (self->inner);
  g_ptr_array_unref (self->rows);
  g_free (self);
}

void
lab_stand_report_finish (LabStandReport *self, double seconds)
{
  self->seconds = seconds;
}

guint
lab_stand_report_n_changed (LabStandReport *self)
{
  return self->n_changed;
}

guint
lab_stand_report_n_skipped (LabStandReport *self)
{
  return self->n_skipped;
}

GPtrArray *
lab_stand_report_changed (LabStandReport *self)
{
  GPtrArray *titles = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < self->rows->len; i++)
    {
      Row *row = g_ptr_array_index (self->rows, i);

      if (g_strcmp0 (row->result, "done") == 0 || g_strcmp0 (row->result, "undone") == 0)
        g_ptr_array_add (titles, g_strdup (row->title));
    }
  return titles;
}

const char *
lab_stand_report_failed_step (LabStandReport *self)
{
  for (guint i = 0; i < self->rows->len; i++)
    {
      Row *row = g_ptr_array_index (self->rows, i);

      if (g_strcmp0 (row->result, "failed") == 0)
        return row->title;
    }
  return NULL;
}

char *
lab_stand_report_format (LabStandReport *self)
{
  g_autoptr(GString) s = g_string_new (NULL);
  const char *lab = self->stand->recipe->name;

  if (!self->down)
    {
      if (self->n_changed == 0)
        {
          g_string_append_printf (s,
                                  g_dngettext (GETTEXT_PACKAGE,
                                               "Lab %s is up already: nothing changed (%u step checked in %.1f s).\n",
                                               "Lab %s is up already: nothing changed (%u steps checked in %.1f s).\n",
                                               self->n_skipped),
                                  lab, self->n_skipped, self->seconds);
          return g_string_free (g_steal_pointer (&s), FALSE);
        }
      {
        g_autofree char *now = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u step done now",
                                                             "%u steps done now", self->n_changed),
                                                self->n_changed);
        g_autofree char *before = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u was done already",
                                                                "%u were done already", self->n_skipped),
                                                   self->n_skipped);

        /* TRANSLATORS: "Lab X is up in 3.0 s: 2 steps done now, 1 was done already." */
        g_string_append_printf (s, _("Lab %s is up in %.1f s: %s, %s.\n"), lab, self->seconds, now, before);
      }
      g_string_append (s, _("Time per step:\n"));
      for (guint i = 0; i < self->rows->len; i++)
        {
          Row *row = g_ptr_array_index (self->rows, i);

          if (g_strcmp0 (row->result, "done") == 0)
            g_string_append_printf (s, "  %7.2f s  %s\n", row->seconds, row->title);
        }
      return g_string_free (g_steal_pointer (&s), FALSE);
    }

  if (self->n_changed == 0)
    {
      g_string_append_printf (s, _("Nothing to remove: lab %s is not up.\n"), lab);
      return g_string_free (g_steal_pointer (&s), FALSE);
    }
  g_string_append (s, _("Removed, in reverse order:\n"));
  for (guint i = 0; i < self->rows->len; i++)
    {
      Row *row = g_ptr_array_index (self->rows, i);

      if (g_strcmp0 (row->result, "undone") == 0)
        g_string_append_printf (s, "  %7.2f s  %s\n", row->seconds, row->title);
    }
  g_string_append_printf (s, _("Lab %s is down in %.1f s.\n"), lab, self->seconds);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

JsonNode *
lab_stand_report_to_json (LabStandReport *self, gboolean ok, const GError *error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  lab_json_member_string (b, "lab", self->stand->recipe->name);
  lab_json_member_string (b, "command", self->down ? "down" : "up");
  lab_json_member_boolean (b, "ok", ok);
  lab_json_member_boolean (b, "changed", self->n_changed > 0);
  lab_json_member_double (b, "seconds", self->seconds);
  json_builder_set_member_name (b, "steps");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->rows->len; i++)
    {
      Row *row = g_ptr_array_index (self->rows, i);

      json_builder_begin_object (b);
      lab_json_member_string (b, "id", row->id);
      lab_json_member_string (b, "title", row->title);
      lab_json_member_string (b, "result", row->result);
      lab_json_member_double (b, "seconds", row->seconds);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (error != NULL)
    {
      lab_json_member_string (b, "error", error->message);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
run_plan (LabStand *stand, gpointer data, GError **error)
{
  gboolean down = GPOINTER_TO_INT (data);

  return down ? lab_plan_down (stand->plan, error) : lab_plan_up (stand->plan, error);
}

gboolean
lab_stand_report_run (LabStand *stand, gboolean down, FILE *stream, LabStandReport **out_report,
                      GError **error)
{
  LabStandReport *report = lab_stand_report_new (stand, stream, down);
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok = lab_stand_run_in_thread (run_plan, stand, GINT_TO_POINTER (down), error);

  lab_stand_report_finish (report, (g_get_monotonic_time () - t0) / 1e6);
  *out_report = report;
  return ok;
}
