/* lab-stand-storage.c: the lab's shared storage on its own, through the
 * storage steps of lab-storage. */
#include "config.h"

#include "lab-stand-storage.h"

#include <unistd.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-plan.h"
#include "lab-recipe.h"
#include "lab-runner.h"
#include "lab-state.h"
#include "lab-storage.h"

struct _LabStandStorage {
  LabRecipe   *recipe;
  LabState    *state;
  LabRunner   *runner;
  LabProgress *progress;
  char        *log;      /* the log file, when there is one */
  LabContext   ctx;
};

LabStandStorage *
lab_stand_storage_open (const char *recipe_name, gboolean dry_run, gboolean changes, FILE *progress_stream,
                        GCancellable *cancellable, GError **error)
{
  g_autoptr(LabStandStorage) self = g_new0 (LabStandStorage, 1);
  g_autofree char *dir = NULL;

  self->recipe = lab_recipe_load_named (recipe_name, error);
  if (self->recipe == NULL)
    return NULL;

  dir = lab_state_dir_for_lab (self->recipe->name);
  self->state = lab_state_load (dir, self->recipe->name, error);
  if (self->state == NULL)
    return NULL;

  self->runner = lab_runner_new (dry_run ? LAB_RUNNER_MODE_DRY_RUN : LAB_RUNNER_MODE_REAL);
  if (!dry_run && changes && geteuid () == 0)
    {
      self->log = g_build_filename (dir, "labctl.log", NULL);
      g_mkdir_with_parents (dir, 0700);
      lab_runner_set_log_path (self->runner, self->log);
    }
  if (progress_stream != NULL)
    self->progress = lab_progress_new_for_stream (progress_stream);

  lab_context_init (&self->ctx, self->recipe, self->state, self->runner, self->progress, dry_run);
  self->ctx.cancellable = cancellable;
  return g_steal_pointer (&self);
}

void
lab_stand_storage_free (LabStandStorage *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->progress, lab_progress_free);
  g_clear_object (&self->runner);
  g_clear_pointer (&self->state, lab_state_free);
  g_clear_pointer (&self->recipe, lab_recipe_free);
  g_free (self->log);
  g_free (self);
}

JsonNode *
lab_stand_storage_status (LabStandStorage *self)
{
  return lab_storage_status (&self->ctx);
}

char *
lab_stand_storage_status_format (JsonNode *status)
{
  return lab_storage_status_to_text (status);
}

static LabPlan *
storage_plan (LabStandStorage *self, GError **error)
{
  g_autoptr(LabPlan) plan = lab_plan_new (&self->ctx);

  if (!lab_storage_add_steps (plan, &self->ctx, error))
    return NULL;
  return g_steal_pointer (&plan);
}

char *
lab_stand_storage_describe (LabStandStorage *self, gboolean down, GError **error)
{
  g_autoptr(LabPlan) plan = storage_plan (self, error);
  g_autoptr(GString) out = NULL;

  if (plan == NULL)
    return NULL;
  out = g_string_new (NULL);
  lab_plan_describe (plan, down, out);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

gboolean
lab_stand_storage_run (LabStandStorage *self, gboolean down, GError **error)
{
  g_autoptr(LabPlan) plan = storage_plan (self, error);

  if (plan == NULL)
    return FALSE;
  if (lab_plan_needs_root (plan, down) && geteuid () != 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_PERMISSION,
                   _("run as root: sudo labctl storage %s (tgtadm, iscsiadm and LVM need it; "
                     "--dry-run shows the commands without root)"), down ? "down" : "up");
      return FALSE;
    }
  if (!(down ? lab_plan_down (plan, error) : lab_plan_up (plan, error)))
    {
      if (self->log != NULL)
        g_prefix_error (error, _("(log: %s) "), self->log);
      return FALSE;
    }
  return TRUE;
}
