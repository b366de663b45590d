/* lab-stand.c: the stand of a recipe as one plan, built phase by phase
 * from the stand's own steps (check, storage, ready) and its flavor's
 * row; its reset; a session on a lab (recipe, state, runner, progress).
 * Status: lab-stand-status.c; the check and ready steps:
 * lab-stand-check.c, lab-stand-ready.c. */
#include "config.h"

#include "lab-stand.h"
#include "lab-stand-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "lab-error.h"
#include "lab-flavor.h"
#include "lab-i18n.h"
#include "lab-lock.h"
#include "lab-storage.h"

/* ---- the plan ----------------------------------------------------------- */

LabPlan *
lab_stand_build_plan (LabContext *ctx, GError **error)
{
  const LabFlavor *flavor = lab_flavor_for_context (ctx);
  g_autoptr(LabPlan) plan = lab_plan_new (ctx);

  /* phase by phase: the stand's own steps, then the flavor's */
  for (LabPhase phase = 0; phase < LAB_N_PHASES; phase++)
    {
      lab_plan_set_phase (plan, phase);
      if (phase == LAB_PHASE_CHECK)
        lab_stand_add_check_steps (plan, ctx);
      else if (phase == LAB_PHASE_STORAGE && !lab_storage_add_steps (plan, ctx, error))
        return NULL;
      else if (phase == LAB_PHASE_READY)
        lab_stand_add_ready_steps (plan, ctx);
      if (flavor->add_steps[phase] != NULL)
        flavor->add_steps[phase] (plan, ctx);
    }
  return g_steal_pointer (&plan);
}

/* ---- reset ---------------------------------------------------------------- */

gboolean
lab_stand_reset_redoes (LabStand *self, guint index)
{
  return lab_plan_step_matches (self->plan, index, lab_flavor_for_context (&self->ctx)->reset_undoes);
}

gboolean
lab_stand_reset (LabStand *self, guint *out_redone, GError **error)
{
  LabContext *ctx = &self->ctx;
  const LabFlavor *flavor = lab_flavor_for_context (ctx);
  g_autoptr(GError) local_error = NULL;
  guint redone;

  if (out_redone != NULL)
    *out_redone = 0;
  if (flavor->reset == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED, _("Lab %s (flavor %s) has no reset"),
                   ctx->recipe->name, lab_flavor_to_string (ctx->recipe->flavor));
      return FALSE;
    }
  if (!flavor->reset (ctx, &local_error))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "%s",
                                  _("Reset failed; 'labctl down' and 'labctl up' rebuild the lab: "));
      return FALSE;
    }
  /* what went with the nodes' disks is forgotten (saved at once: an
   * interrupted run leaves these steps to be done, not recorded done) */
  redone = lab_plan_forget_steps (self->plan, flavor->reset_undoes);
  if (out_redone != NULL)
    *out_redone = redone;
  if (redone == 0)
    return TRUE;
  if (!lab_state_save (ctx->state, error))
    return FALSE;
  lab_progress_info (ctx->progress,
                     g_dngettext (GETTEXT_PACKAGE, "the reset undid %u step: the plan runs again to apply it",
                                  "the reset undid %u steps: the plan runs again to apply them", redone),
                     redone);
  if (!lab_plan_up (self->plan, &local_error))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  _("The nodes of lab %s are back to their clean state, but applying again what the "
                                    "reset undid stopped. The state is saved: 'labctl up' (or 'labctl reset') "
                                    "finishes the job. "), ctx->recipe->name);
      return FALSE;
    }
  return TRUE;
}

void
lab_stand_describe_reset (LabStand *stand, GString *out)
{
  g_autoptr(GString) steps = g_string_new (NULL);
  const LabFlavor *flavor = lab_flavor_for_context (&stand->ctx);

  g_string_append_printf (out, _("# labctl reset --recipe %s: lab %s, flavor %s\n"), stand->recipe->path,
                          stand->recipe->name, lab_flavor_to_string (stand->recipe->flavor));
  lab_plan_describe_steps (stand->plan, flavor->reset_undoes, steps);
  if (steps->len == 0)
    {
      g_string_append (out, _("# This flavor's reset leaves the work of every step of 'labctl up' in place: no "
                              "step runs again.\n"));
      return;
    }
  g_string_append (out, _("# The flavor's reset takes the nodes back to their clean state; what these steps of "
                          "'labctl up' made goes with it, so they run again (as root), in order; every other step "
                          "is only checked:\n"));
  g_string_append (out, steps->str);
}

char *
lab_stand_count_text (LabRecipe *r)
{
  g_autofree char *nodes = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u node", "%u nodes", r->nodes->len),
                                            r->nodes->len);
  g_autofree char *guests = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u guest", "%u guests",
                                                          r->guests->len),
                                             r->guests->len);

  /* TRANSLATORS: "2 nodes, 1 guest" */
  return g_strdup_printf (_("%s, %s"), nodes, guests);
}

/* ---- a session on a lab ------------------------------------------------- */

LabStand *
lab_stand_open (const char *recipe_name, gboolean dry_run, FILE *progress_stream,
                GCancellable *cancellable, GError **error)
{
  g_autoptr(LabStand) self = g_new0 (LabStand, 1);
  g_autofree char *dir = NULL;

  self->recipe = lab_recipe_load_named (recipe_name, error);
  if (self->recipe == NULL)
    return NULL;
  dir = lab_state_dir_for_lab (self->recipe->name);
  if (dry_run)
    {
      self->state = lab_state_new_in_memory (self->recipe->name);
      self->runner = lab_runner_new (LAB_RUNNER_MODE_DRY_RUN);
    }
  else
    {
      g_autofree char *log = g_build_filename (dir, "labctl.log", NULL);

      self->state = lab_state_load (dir, self->recipe->name, error);
      if (self->state == NULL)
        return NULL;
      self->runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
      /* a lab that was never built gets no directory from a mere look */
      if (g_file_test (dir, G_FILE_TEST_IS_DIR))
        lab_runner_set_log_path (self->runner, log);
    }
  if (progress_stream != NULL)
    self->progress = lab_progress_new_for_stream (progress_stream);
  lab_context_init (&self->ctx, self->recipe, self->state, self->runner, self->progress, dry_run);
  self->ctx.cancellable = cancellable;
  self->plan = lab_stand_build_plan (&self->ctx, error);
  if (self->plan == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

gboolean
lab_stand_preview (LabStand *self, gboolean down, GError **error)
{
  FILE *json = lab_progress_get_json_stream ();

  if (json == NULL)
    return TRUE;
  g_clear_pointer (&self->progress, lab_progress_free);
  self->progress = lab_progress_new_for_stream (json);
  self->ctx.progress = self->progress;
  return lab_plan_preview (self->plan, down, error);
}

void
lab_stand_free (LabStand *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->plan, lab_plan_free);
  g_clear_pointer (&self->progress, lab_progress_free);
  g_clear_object (&self->runner);
  g_clear_pointer (&self->state, lab_state_free);
  g_clear_pointer (&self->recipe, lab_recipe_free);
  g_clear_object (&self->echo);
  g_free (self);
}

gboolean
lab_stand_require_root (LabStand *self, gboolean down, const char *command, GError **error)
{
  if (geteuid () == 0 || !lab_plan_needs_root (self->plan, down))
    return TRUE;
  g_set_error (error, LAB_ERROR, LAB_ERROR_PERMISSION,
               _("'labctl %s' creates namespaces, bridges, an iSCSI target and daemons: it needs root. "
                 "Run: sudo labctl %s --recipe %s (or add --dry-run to see the commands)"),
               command, command, self->recipe->path != NULL ? self->recipe->path : self->recipe->name);
  return FALSE;
}

typedef struct {
  gboolean   (*fn) (LabStand *stand, gpointer data, GError **error);
  LabStand    *stand;
  gpointer     data;
  gboolean     ok;
  GError      *error;
  GMainContext *context;
  gboolean     finished;
} ThreadJob;

static gboolean
job_wake (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static gpointer
job_thread (gpointer data)
{
  ThreadJob *job = data;

  job->ok = job->fn (job->stand, job->data, &job->error);
  g_atomic_int_set (&job->finished, TRUE);
  g_main_context_invoke (job->context, job_wake, NULL);
  return NULL;
}

gboolean
lab_stand_run_in_thread (gboolean (*fn) (LabStand *stand, gpointer data, GError **error),
                         LabStand *stand, gpointer data, GError **error)
{
  ThreadJob job = { fn, stand, data, FALSE, NULL, g_main_context_default (), FALSE };
  GThread *thread = g_thread_new ("lab-stand", job_thread, &job);

  /* SIGINT/SIGTERM handlers (GLib sources) run here and cancel */
  while (!g_atomic_int_get (&job.finished))
    g_main_context_iteration (job.context, TRUE);
  g_thread_join (thread);
  if (!job.ok)
    {
      if (job.error != NULL)
        g_propagate_error (error, job.error);
      return FALSE;
    }
  return TRUE;
}

GPtrArray *
lab_stand_find_traces (LabStand *self)
{
  GPtrArray *found = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *dir = lab_state_dir_for_lab (self->recipe->name);
  g_autofree char *dir_slash = g_strconcat (dir, "/", NULL);
  const char *name;

  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    g_autoptr(GString) names = g_string_new (NULL);

    while (d != NULL && (name = g_dir_read_name (d)) != NULL)
      if (!g_str_equal (name, LAB_LOCK_FILE_NAME) && !g_str_has_suffix (name, ".log"))
        g_string_append_printf (names, "%s%s", names->len > 0 ? ", " : "", name);
    if (names->len > 0)
      g_ptr_array_add (found, g_strdup_printf (_("in %s: %s"), dir, names->str));
  }
  for (guint i = 0; self->recipe->nodes != NULL && i < self->recipe->nodes->len; i++)
    {
      /* the container nodes' namespaces (lab-container.c names them) */
      const char *node = ((LabNode *) g_ptr_array_index (self->recipe->nodes, i))->name;
      g_autofree char *ns = g_strdup_printf ("labctl-%s-%s", self->recipe->name, node);
      g_autofree char *path = g_build_filename ("/run/netns", ns, NULL);

      if (g_file_test (path, G_FILE_TEST_EXISTS))
        g_ptr_array_add (found, g_strdup_printf (_("the network namespace %s"), ns));
    }
  {
    g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);

    while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
      {
        g_autofree char *path = g_build_filename ("/proc", name, "cmdline", NULL);
        g_autofree char *comm_path = g_build_filename ("/proc", name, "comm", NULL);
        g_autofree char *cmd = NULL;
        g_autofree char *comm = NULL;
        gsize len = 0;

        if (!g_ascii_isdigit (name[0]) || atoi (name) == getpid ()
            || !g_file_get_contents (path, &cmd, &len, NULL) || len == 0)
          continue;
        for (gsize k = 0; k + 1 < len; k++)
          if (cmd[k] == '\0')
            cmd[k] = ' ';
        if (strstr (cmd, dir_slash) == NULL)
          continue;
        if (g_file_get_contents (comm_path, &comm, NULL, NULL))
          g_strchomp (comm);
        g_ptr_array_add (found, g_strdup_printf (_("process %s (%s)"), name, comm != NULL ? comm : "?"));
      }
  }
  lab_storage_find_traces (&self->ctx, found);
  return found;
}

gboolean
lab_stand_remove_state_dir (LabStand *self, GError **error)
{
  g_autofree char *dir = lab_state_dir_for_lab (self->recipe->name);
  static const char * const subdirs[] = { "guests", "nodes", NULL };
  g_autofree char *log = g_build_filename (dir, "labctl.log", NULL);
  g_autofree char *state = g_build_filename (dir, "state.json", NULL);

  if (g_file_test (state, G_FILE_TEST_EXISTS) || !g_file_test (dir, G_FILE_TEST_IS_DIR))
    return TRUE;
  for (guint i = 0; subdirs[i] != NULL; i++)
    {
      g_autofree char *sub = g_build_filename (dir, subdirs[i], NULL);
      g_rmdir (sub);
    }
  g_unlink (log);
  {
    /* the lock file: the command that removes the directory holds the
     * lock, and a waiting labctl notices the file went (lab-lock.c) */
    g_autofree char *lock = g_build_filename (dir, LAB_LOCK_FILE_NAME, NULL);
    g_unlink (lock);
  }
  {
    /* the daemons' logs (tgtd.log, qemu-storage-daemon.log ...) */
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;

    while (d != NULL && (name = g_dir_read_name (d)) != NULL)
      if (g_str_has_suffix (name, ".log"))
        {
          g_autofree char *path = g_build_filename (dir, name, NULL);
          if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
            g_unlink (path);
        }
  }
  if (g_rmdir (dir) < 0 && errno != ENOENT)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                   _("The lab is down, but its directory %s is not empty (%s); labctl removes only "
                     "what it made: look at what is left there"), dir, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

gboolean
lab_stand_prepare_dir (LabStand *self, GError **error)
{
  g_autofree char *dir = lab_state_dir_for_lab (self->recipe->name);
  g_autofree char *log = g_build_filename (dir, "labctl.log", NULL);

  if (!lab_state_prepare_dir (dir, error))
    return FALSE;
  lab_runner_set_log_path (self->runner, log);
  return TRUE;
}

