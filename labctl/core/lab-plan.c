/* lab-plan.c: ordered, idempotent steps; `up` in order, `down` in reverse. */
#include "config.h"

#include "lab-plan.h"

#include <string.h>

#include "lab-error.h"
#include "lab-i18n.h"

typedef struct {
  const LabStepInfo *info;
  char              *id;
  char              *title;    /* translated, title_arg formatted in */
  char              *undo_title;  /* what `down` shows: "Undo 'title'" */
  LabPhase           phase;
  gpointer           data;
  GDestroyNotify     destroy;
} Step;

struct _LabPlan
{
  LabContext *ctx;
  GPtrArray  *steps;           /* Step*, sorted by phase, then by when they were added */
  LabPhase    phase;           /* of the steps added next */
  GData      *data;            /* lab_plan_set_data() */
  gboolean    sweep;           /* lab_plan_set_sweep() */
};

void
lab_context_init (LabContext *ctx, LabRecipe *recipe, LabState *state, LabRunner *runner, LabProgress *progress,
                  gboolean dry_run)
{
  memset (ctx, 0, sizeof *ctx);
  ctx->recipe = recipe;
  ctx->state = state;
  ctx->runner = runner;
  ctx->progress = progress;
  ctx->dry_run = dry_run;
  ctx->sysroot = "/";
}

char *
lab_context_get_state_dir (LabContext *ctx)
{
  const char *dir;

  g_return_val_if_fail (ctx != NULL && ctx->state != NULL, NULL);
  dir = lab_state_get_dir (ctx->state);
  if (dir != NULL)
    return g_strdup (dir);
  return lab_state_dir_for_lab (lab_state_get_lab_name (ctx->state));
}

const char *
lab_phase_to_string (LabPhase phase)
{
  static const char * const names[LAB_N_PHASES] = {
    "check", "network", "storage", "nodes", "install", "configure", "cluster", "guests", "ready",
  };

  g_return_val_if_fail (phase < LAB_N_PHASES, NULL);
  return names[phase];
}

static void
step_free (gpointer p)
{
  Step *step = p;

  if (step->destroy != NULL)
    step->destroy (step->data);
  g_free (step->id);
  g_free (step->title);
  g_free (step->undo_title);
  g_free (step);
}

LabPlan *
lab_plan_new (LabContext *ctx)
{
  LabPlan *plan;

  g_return_val_if_fail (ctx != NULL, NULL);

  plan = g_new0 (LabPlan, 1);
  plan->ctx = ctx;
  plan->steps = g_ptr_array_new_with_free_func (step_free);
  plan->phase = LAB_PHASE_CHECK;
  g_datalist_init (&plan->data);
  return plan;
}

void
lab_plan_free (LabPlan *plan)
{
  if (plan == NULL)
    return;
  /* the steps first: their data may point into the providers' shared data */
  g_ptr_array_unref (plan->steps);
  g_datalist_clear (&plan->data);
  g_free (plan);
}

void
lab_plan_set_phase (LabPlan *plan, LabPhase phase)
{
  g_return_if_fail (plan != NULL && phase < LAB_N_PHASES);
  plan->phase = phase;
}

LabPhase
lab_plan_get_step_phase (LabPlan *plan, guint index)
{
  g_return_val_if_fail (plan != NULL && index < plan->steps->len, LAB_PHASE_CHECK);
  return ((Step *) g_ptr_array_index (plan->steps, index))->phase;
}

gpointer
lab_plan_get_data (LabPlan *plan, const char *key)
{
  g_return_val_if_fail (plan != NULL && key != NULL, NULL);
  return g_datalist_get_data (&plan->data, key);
}

void
lab_plan_set_data (LabPlan *plan, const char *key, gpointer data, GDestroyNotify destroy)
{
  g_return_if_fail (plan != NULL && key != NULL);
  g_datalist_set_data_full (&plan->data, key, data, destroy);
}

void
lab_plan_add_step (LabPlan           *plan,
                   const LabStepInfo *info,
                   const char        *id_suffix,
                   const char        *title_arg,
                   gpointer           data,
                   GDestroyNotify     destroy)
{
  Step *step;
  GString *title;
  guint at;

  g_return_if_fail (plan != NULL);
  g_return_if_fail (info != NULL && info->id != NULL && info->title != NULL);

  step = g_new0 (Step, 1);
  step->info = info;
  step->id = id_suffix != NULL ? g_strconcat (info->id, ":", id_suffix, NULL) : g_strdup (info->id);
  /* "%s" is replaced literally: titles are not printf formats */
  title = g_string_new (_(info->title));
  if (title_arg != NULL)
    g_string_replace (title, "%s", title_arg, 1);
  step->title = g_string_free (title, FALSE);
  /* TRANSLATORS: the title of a step in `labctl down`; %s: its title in `up` */
  step->undo_title = g_strdup_printf (_("Undo '%s'"), step->title);
  step->phase = plan->phase;
  step->data = data;
  step->destroy = destroy;
  /* after every step of this and earlier phases */
  for (at = plan->steps->len; at > 0; at--)
    if (((Step *) g_ptr_array_index (plan->steps, at - 1))->phase <= step->phase)
      break;
  g_ptr_array_insert (plan->steps, (gint) at, step);
}

guint
lab_plan_get_n_steps (LabPlan *plan)
{
  g_return_val_if_fail (plan != NULL, 0);
  return plan->steps->len;
}

gboolean
lab_plan_needs_root (LabPlan *plan, gboolean down)
{
  g_return_val_if_fail (plan != NULL, FALSE);

  for (guint i = 0; i < plan->steps->len; i++)
    {
      Step *step = g_ptr_array_index (plan->steps, i);

      if (!step->info->needs_root)
        continue;
      /* down only runs the undo of what the state records */
      if (down && plan->ctx->state != NULL && !plan->sweep &&
          lab_state_get_step (plan->ctx->state, step->id) == LAB_STEP_STATE_NONE)
        continue;
      return TRUE;
    }
  return FALSE;
}

/* In dry-run mode nothing is recorded: the state stays as it was. */
static void
mark (LabPlan *plan, Step *step, LabStepState state, double seconds)
{
  if (plan->ctx->dry_run || plan->ctx->state == NULL)
    return;
  lab_state_set_step (plan->ctx->state, step->id, state, seconds);
}

static gboolean
save (LabPlan *plan, GError **error)
{
  if (plan->ctx->dry_run || plan->ctx->state == NULL)
    return TRUE;
  return lab_state_save (plan->ctx->state, error);
}

static LabStepState
recorded_state (LabPlan *plan, Step *step)
{
  /* a sweep: every step may have left something */
  if (plan->sweep)
    return LAB_STEP_STATE_STARTED;
  if (plan->ctx->state == NULL)
    return LAB_STEP_STATE_NONE;
  return lab_state_get_step (plan->ctx->state, step->id);
}

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

/* After a failure: report it, keep the state on disk as it is in memory
 * (a save error is secondary to the step's own error). */
static void
step_failed (LabPlan    *plan,
             Step       *step,
             guint       index,
             gint64      start,
             gboolean    down,
             const char *prefix_format,
             GError    **error)
{
  LabContext *ctx = plan->ctx;
  g_autoptr(GError) save_error = NULL;
  const char *shown = down ? step->undo_title : step->title;

  if (!save (plan, &save_error))
    g_warning ("%s", save_error->message);
  if (error != NULL && *error == NULL)
    g_set_error_literal (error, LAB_ERROR, LAB_ERROR_FAILED, _("no details were given"));
  if (error != NULL)
    {
      g_prefix_error (error, prefix_format, step->title);
      lab_progress_emit (ctx->progress, LAB_PROGRESS_STEP_FAILED, index, plan->steps->len,
                         shown, seconds_since (start), (*error)->message);
    }
  else
    lab_progress_emit (ctx->progress, LAB_PROGRESS_STEP_FAILED, index, plan->steps->len,
                       shown, seconds_since (start), NULL);
}

static gboolean
check_cancelled (LabPlan *plan, Step *next, gboolean down, GError **error)
{
  g_autoptr(GError) save_error = NULL;

  if (!g_cancellable_is_cancelled (plan->ctx->cancellable))
    return FALSE;
  if (!save (plan, &save_error))
    g_warning ("%s", save_error->message);
  if (down)
    g_set_error (error, LAB_ERROR, LAB_ERROR_CANCELLED,
                 _("Interrupted before undoing step '%s'; the state was saved. Run `labctl down` again to finish."),
                 next->title);
  else
    g_set_error (error, LAB_ERROR, LAB_ERROR_CANCELLED,
                 _("Interrupted before step '%s'; the state was saved. Run `labctl up` again to resume."),
                 next->title);
  return TRUE;
}

gboolean
lab_plan_up (LabPlan *plan, GError **error)
{
  LabContext *ctx;
  guint total;

  g_return_val_if_fail (plan != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  ctx = plan->ctx;
  total = plan->steps->len;
  for (guint i = 0; i < total; i++)
    {
      Step *step = g_ptr_array_index (plan->steps, i);
      gint64 start;
      gboolean done = FALSE;

      if (check_cancelled (plan, step, FALSE, error))
        return FALSE;

      start = g_get_monotonic_time ();
      lab_progress_emit (ctx->progress, LAB_PROGRESS_STEP_START, i, total, step->title, 0, NULL);

      if (step->info->check != NULL)
        {
          if (!step->info->check (ctx, step->data, &done, error))
            {
              step_failed (plan, step, i, start, FALSE, _("Step '%s' failed: "), error);
              return FALSE;
            }
        }
      else
        done = recorded_state (plan, step) == LAB_STEP_STATE_DONE;

      if (done)
        {
          /* applied by an interrupted run that did not get to record it */
          if (recorded_state (plan, step) == LAB_STEP_STATE_STARTED)
            {
              mark (plan, step, LAB_STEP_STATE_DONE, 0);
              if (!save (plan, error))
                return FALSE;
            }
          lab_progress_emit (ctx->progress, LAB_PROGRESS_STEP_SKIPPED, i, total, step->title, 0, NULL);
          continue;
        }

      mark (plan, step, LAB_STEP_STATE_STARTED, 0);
      if (!save (plan, error))
        {
          step_failed (plan, step, i, start, FALSE, _("Step '%s' failed: "), error);
          return FALSE;
        }

      if (step->info->apply != NULL && !step->info->apply (ctx, step->data, error))
        {
          step_failed (plan, step, i, start, FALSE, _("Step '%s' failed: "), error);
          return FALSE;
        }

      mark (plan, step, LAB_STEP_STATE_DONE, seconds_since (start));
      if (!save (plan, error))
        {
          step_failed (plan, step, i, start, FALSE, _("Step '%s' failed: "), error);
          return FALSE;
        }
      lab_progress_emit (ctx->progress, LAB_PROGRESS_STEP_DONE, i, total, step->title,
                         seconds_since (start), NULL);
    }
  return TRUE;
}

gboolean
lab_plan_down (LabPlan *plan, GError **error)
{
  LabContext *ctx;
  guint total;

  g_return_val_if_fail (plan != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  ctx = plan->ctx;
  total = plan->steps->len;
  for (guint k = 0; k < total; k++)
    {
      Step *step = g_ptr_array_index (plan->steps, total - 1 - k);
      gint64 start;

      if (check_cancelled (plan, step, TRUE, error))
        return FALSE;

      start = g_get_monotonic_time ();
      lab_progress_emit (ctx->progress, LAB_PROGRESS_STEP_START, k, total, step->undo_title, 0, NULL);

      if (recorded_state (plan, step) == LAB_STEP_STATE_NONE)
        {
          lab_progress_emit (ctx->progress, LAB_PROGRESS_STEP_SKIPPED, k, total, step->undo_title, 0, NULL);
          continue;
        }

      if (step->info->undo != NULL && !step->info->undo (ctx, step->data, error))
        {
          step_failed (plan, step, k, start, TRUE, _("Undoing step '%s' failed: "), error);
          return FALSE;
        }

      mark (plan, step, LAB_STEP_STATE_NONE, 0);
      if (!save (plan, error))
        {
          step_failed (plan, step, k, start, TRUE, _("Undoing step '%s' failed: "), error);
          return FALSE;
        }
      lab_progress_emit (ctx->progress, LAB_PROGRESS_STEP_DONE, k, total, step->undo_title,
                         seconds_since (start), NULL);
    }

  if (!ctx->dry_run && ctx->state != NULL && lab_state_is_empty (ctx->state))
    return lab_state_delete (ctx->state, error);
  return TRUE;
}

void
lab_plan_set_sweep (LabPlan *plan, gboolean sweep)
{
  g_return_if_fail (plan != NULL);
  plan->sweep = sweep;
}

const char *
lab_plan_get_step_id (LabPlan *plan, guint index)
{
  g_return_val_if_fail (plan != NULL && index < plan->steps->len, NULL);
  return ((Step *) g_ptr_array_index (plan->steps, index))->id;
}

const char *
lab_plan_get_step_title (LabPlan *plan, guint index)
{
  g_return_val_if_fail (plan != NULL && index < plan->steps->len, NULL);
  return ((Step *) g_ptr_array_index (plan->steps, index))->title;
}

gboolean
lab_plan_check_step (LabPlan *plan, guint index, gboolean *done, GError **error)
{
  Step *step;

  g_return_val_if_fail (plan != NULL && index < plan->steps->len, FALSE);
  step = g_ptr_array_index (plan->steps, index);
  *done = FALSE;
  if (step->info->check != NULL)
    return step->info->check (plan->ctx, step->data, done, error);
  *done = recorded_state (plan, step) == LAB_STEP_STATE_DONE;
  return TRUE;
}

guint
lab_plan_remove_steps (LabPlan *plan, const char *id_prefix)
{
  guint removed = 0;

  g_return_val_if_fail (plan != NULL && id_prefix != NULL, 0);
  for (guint i = plan->steps->len; i > 0; i--)
    if (g_str_has_prefix (((Step *) g_ptr_array_index (plan->steps, i - 1))->id, id_prefix))
      {
        g_ptr_array_remove_index (plan->steps, i - 1);
        removed++;
      }
  return removed;
}

gboolean
lab_plan_preview (LabPlan *plan, gboolean down, GError **error)
{
  LabContext *ctx;
  g_autoptr(GError) first_error = NULL;
  guint total;

  g_return_val_if_fail (plan != NULL, FALSE);
  ctx = plan->ctx;
  g_return_val_if_fail (ctx->dry_run, FALSE);

  total = plan->steps->len;
  for (guint k = 0; k < total; k++)
    {
      Step *step = g_ptr_array_index (plan->steps, down ? total - 1 - k : k);
      gint64 start = g_get_monotonic_time ();
      g_auto(GStrv) lines = NULL;

      lab_progress_emit (ctx->progress, LAB_PROGRESS_STEP_START, k, total, step->title, 0, NULL);
      if (down && recorded_state (plan, step) == LAB_STEP_STATE_NONE)
        {
          lab_progress_emit (ctx->progress, LAB_PROGRESS_STEP_SKIPPED, k, total, step->title, 0, NULL);
          continue;
        }
      if (step->info->describe != NULL)
        lines = step->info->describe (ctx, step->data, down);
      for (guint j = 0; lines != NULL && lines[j] != NULL; j++)
        lab_progress_emit (ctx->progress, LAB_PROGRESS_STEP_COMMAND, k, total, step->title, 0, lines[j]);
      if (!down && step->info->preview_applies && step->info->apply != NULL)
        {
          g_autoptr(GError) step_error = NULL;

          if (!step->info->apply (ctx, step->data, &step_error))
            {
              g_prefix_error (&step_error, _("Step '%s' failed: "), step->title);
              lab_progress_emit (ctx->progress, LAB_PROGRESS_STEP_FAILED, k, total, step->title,
                                 seconds_since (start), step_error->message);
              if (first_error == NULL)
                first_error = g_steal_pointer (&step_error);
              continue;
            }
        }
      lab_progress_emit (ctx->progress, LAB_PROGRESS_STEP_DONE, k, total, step->title, seconds_since (start),
                         NULL);
    }
  if (first_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&first_error));
      return FALSE;
    }
  return TRUE;
}

static gboolean
step_matches (Step *step, const char * const *id_prefixes)
{
  for (guint i = 0; id_prefixes != NULL && id_prefixes[i] != NULL; i++)
    if (g_str_has_prefix (step->id, id_prefixes[i]))
      return TRUE;
  return FALSE;
}

gboolean
lab_plan_step_matches (LabPlan *plan, guint index, const char * const *id_prefixes)
{
  g_return_val_if_fail (plan != NULL && index < plan->steps->len, FALSE);
  return step_matches (g_ptr_array_index (plan->steps, index), id_prefixes);
}

guint
lab_plan_forget_steps (LabPlan *plan, const char * const *id_prefixes)
{
  guint forgotten = 0;

  g_return_val_if_fail (plan != NULL, 0);
  if (plan->ctx->dry_run || plan->ctx->state == NULL)
    return 0;
  for (guint i = 0; i < plan->steps->len; i++)
    {
      Step *step = g_ptr_array_index (plan->steps, i);

      if (!step_matches (step, id_prefixes)
          || lab_state_get_step (plan->ctx->state, step->id) == LAB_STEP_STATE_NONE)
        continue;
      if (step->info->forget != NULL)
        step->info->forget (plan->ctx, step->data);
      mark (plan, step, LAB_STEP_STATE_STARTED, 0);
      forgotten++;
    }
  return forgotten;
}

static void
describe (LabPlan *plan, gboolean down, const char * const *id_prefixes, GString *out)
{
  guint total = plan->steps->len;

  for (guint k = 0; k < total; k++)
    {
      Step *step = g_ptr_array_index (plan->steps, down ? total - 1 - k : k);
      g_auto(GStrv) lines = NULL;

      if (id_prefixes != NULL && !step_matches (step, id_prefixes))
        continue;
      g_string_append_printf (out, "# %u. %s\n", k + 1, down ? step->undo_title : step->title);
      if (step->info->describe != NULL)
        lines = step->info->describe (plan->ctx, step->data, down);
      for (guint j = 0; lines != NULL && lines[j] != NULL; j++)
        g_string_append_printf (out, "%s\n", lines[j]);
    }
}

void
lab_plan_describe (LabPlan *plan, gboolean down, GString *out)
{
  g_return_if_fail (plan != NULL);
  g_return_if_fail (out != NULL);
  describe (plan, down, NULL, out);
}

void
lab_plan_describe_steps (LabPlan *plan, const char * const *id_prefixes, GString *out)
{
  static const char * const none[] = { NULL };

  g_return_if_fail (plan != NULL);
  g_return_if_fail (out != NULL);
  describe (plan, FALSE, id_prefixes != NULL ? id_prefixes : none, out);
}
