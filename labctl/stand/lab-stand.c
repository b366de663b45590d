/* lab-stand.c: the stand of a recipe as one plan, its status and reset. */
#include "config.h"

#include "lab-stand.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <libvirt/libvirt.h>

#include "lab-container.h"
#include "lab-error.h"
#include "lab-guest.h"
#include "lab-host-check.h"
#include "lab-i18n.h"
#include "lab-vm.h"
#include "lab-probe.h"
#include "lab-storage.h"
#include "lab-virt.h"

/* ---- check ----------------------------------------------------------- */

gboolean
lab_stand_check_matters (LabFlavor flavor, const char *id)
{
  static const char * const not_for_containers[] = {
    "cpu.virt-flag", "kvm.module", "kvm.device", "kvm.nested", "cpu.ept", "cpu.npt",
    "libvirt.reachable", "tool.iscsiadm", NULL,
  };

  if (flavor != LAB_FLAVOR_CONTAINER)
    return TRUE;
  return !g_strv_contains (not_for_containers, id);
}

static gboolean
check_apply (LabContext *ctx, gpointer data, GError **error)
{
  g_autoptr(LabHostCheck) hc = lab_host_check_new (ctx->sysroot);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GString) failed = g_string_new (NULL);

  lab_host_check_set_recipe (hc, ctx->recipe);
  if (ctx->libvirt_uri != NULL)
    lab_host_check_set_libvirt_uri (hc, ctx->libvirt_uri);
  results = lab_host_check_run (hc);
  for (guint i = 0; i < results->len; i++)
    {
      LabCheckResult *r = g_ptr_array_index (results, i);

      if (r->status == LAB_CHECK_WARN
          || (r->status == LAB_CHECK_FAIL && !lab_stand_check_matters (ctx->recipe->flavor, r->id)))
        lab_progress_info (ctx->progress, "%s: %s", r->id, r->message);
      else if (r->status == LAB_CHECK_FAIL)
        g_string_append_printf (failed, "\n  %s: %s%s%s", r->id, r->message,
                                r->fix != NULL ? "\n    " : "", r->fix != NULL ? r->fix : "");
    }
  if (failed->len > 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_CHECK_FAILED,
                   _("This host cannot run lab %s (flavor %s):%s\nFix these and run 'labctl up' again "
                     "('labctl check' shows every check)."),
                   ctx->recipe->name, lab_flavor_to_string (ctx->recipe->flavor), failed->str);
      return FALSE;
    }
  return TRUE;
}

static char **
check_describe (LabContext *ctx, gpointer data, gboolean down)
{
  GPtrArray *lines = g_ptr_array_new ();

  if (!down)
    g_ptr_array_add (lines, g_strdup_printf ("labctl check --recipe %s",
                                             ctx->recipe->path != NULL ? ctx->recipe->path : ctx->recipe->name));
  g_ptr_array_add (lines, NULL);
  return (char **) g_ptr_array_free (lines, FALSE);
}

static const LabStepInfo check_step = {
  "check.host", N_("Check the host (CPU, memory, disk, tools)"), FALSE,
  NULL, check_apply, NULL, check_describe,
};

/* ---- ready ------------------------------------------------------------ */

static gboolean
ready_apply (LabContext *ctx, gpointer data, GError **error)
{
  LabRecipe *r = ctx->recipe;

  if (r->flavor == LAB_FLAVOR_CONTAINER)
    {
      for (guint i = 0; i < r->nodes->len; i++)
        {
          LabNode *n = g_ptr_array_index (r->nodes, i);
          g_autofree char *uri = lab_guest_node_uri (ctx, n->name, error);
          virConnectPtr conn = uri != NULL ? lab_guest_connect (uri, error) : NULL;

          if (conn == NULL)
            return FALSE;
          virConnectClose (conn);
        }
    }
  for (guint i = 0; r->flavor == LAB_FLAVOR_CONTAINER && i < r->guests->len; i++)
    {
      LabGuest *g = g_ptr_array_index (r->guests, i);

      if (g->address != NULL
          && !lab_probe_ping_once (g->address, NULL, 10000, ctx->cancellable, error))
        return FALSE;
    }
  lab_progress_info (ctx->progress, _("lab %s is ready: %u nodes, %u guests"), r->name,
                     r->nodes->len, r->guests->len);
  return TRUE;
}

static char **
ready_describe (LabContext *ctx, gpointer data, gboolean down)
{
  GPtrArray *lines = g_ptr_array_new ();

  if (!down)
    g_ptr_array_add (lines, g_strdup ("labctl status"));
  g_ptr_array_add (lines, NULL);
  return (char **) g_ptr_array_free (lines, FALSE);
}

static const LabStepInfo ready_step = {
  "stand.ready", N_("Check that every node and guest answers"), FALSE,
  NULL, ready_apply, NULL, ready_describe,
};

/* ---- the plan ----------------------------------------------------------- */

LabPlan *
lab_stand_build_plan (LabContext *ctx, GError **error)
{
  g_autoptr(LabPlan) plan = lab_plan_new (ctx);
  gboolean container = ctx->recipe->flavor == LAB_FLAVOR_CONTAINER;

  lab_plan_add_step (plan, &check_step, NULL, NULL, NULL, NULL);
  /* the container flavor's portal listens on the bridge's gateway address:
   * the bridge comes first */
  if (container)
    lab_container_add_network_steps (plan, ctx);
  if (!lab_storage_add_steps (plan, ctx, error))
    return NULL;
  if (container)
    {
      lab_container_add_node_steps (plan, ctx);
      lab_guest_add_steps (plan, ctx);
    }
  else
    {
      lab_vm_add_steps (plan, ctx);
      /* the portal listens on the lab network's gateway address: the
       * network first, then storage, then the nodes on it */
      lab_plan_move_steps (plan, "nodes.network", "storage.");
    }
  lab_plan_add_step (plan, &ready_step, NULL, NULL, NULL, NULL);
  return g_steal_pointer (&plan);
}

/* ---- status ------------------------------------------------------------- */

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
  LabRecipe *r = ctx->recipe;
  guint n_done = 0, n = lab_plan_get_n_steps (plan);
  gboolean healthy = TRUE;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "lab");
  json_builder_add_string_value (b, r->name);
  json_builder_set_member_name (b, "flavor");
  json_builder_add_string_value (b, lab_flavor_to_string (r->flavor));
  json_builder_set_member_name (b, "state_file");
  json_builder_add_string_value (b, lab_state_get_path (ctx->state));

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
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, id);
      json_builder_set_member_name (b, "title");
      json_builder_add_string_value (b, lab_plan_get_step_title (plan, i));
      json_builder_set_member_name (b, "recorded");
      json_builder_add_string_value (b, step_state_name (rec));
      json_builder_set_member_name (b, "seconds");
      json_builder_add_double_value (b, lab_state_get_step_seconds (ctx->state, id));
      json_builder_set_member_name (b, "health");
      json_builder_add_string_value (b, health);
      if (error != NULL)
        {
          json_builder_set_member_name (b, "error");
          json_builder_add_string_value (b, error->message);
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
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, node->name);
      json_builder_set_member_name (b, "address");
      json_builder_add_string_value (b, node->address);
      if (r->flavor == LAB_FLAVOR_CONTAINER)
        {
          g_autoptr(LabContainerNode) cn = lab_container_node_for (ctx, node);
          g_autofree char *key = g_strdup_printf ("nodes.%s.libvirtd_pid", node->name);
          g_autofree char *uri = lab_container_node_uri (cn);
          GPid pid = (GPid) lab_state_get_int (ctx->state, key, 0);

          json_builder_set_member_name (b, "netns");
          json_builder_add_string_value (b, cn->netns);
          json_builder_set_member_name (b, "netns_exists");
          json_builder_add_boolean_value (b, lab_container_netns_exists (cn));
          json_builder_set_member_name (b, "libvirtd_pid");
          json_builder_add_int_value (b, pid);
          json_builder_set_member_name (b, "libvirtd_answers");
          json_builder_add_boolean_value (b, lab_container_daemons_running (cn, pid));
          json_builder_set_member_name (b, "uri");
          json_builder_add_string_value (b, uri);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "guests");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->guests->len; i++)
    {
      LabGuest *g = g_ptr_array_index (r->guests, i);
      g_autofree char *where = NULL;
      gboolean active = FALSE, answers = FALSE;

      if (r->flavor == LAB_FLAVOR_CONTAINER)
        lab_guest_locate (ctx, g, &where, &active, NULL);
      if (active && g->address != NULL)
        answers = lab_probe_ping_once (g->address, NULL, 1000, NULL, NULL);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, g->name);
      json_builder_set_member_name (b, "address");
      json_builder_add_string_value (b, g->address);
      json_builder_set_member_name (b, "home");
      json_builder_add_string_value (b, g->node);
      json_builder_set_member_name (b, "node");
      json_builder_add_string_value (b, where);
      json_builder_set_member_name (b, "running");
      json_builder_add_boolean_value (b, active);
      json_builder_set_member_name (b, "answers_ping");
      json_builder_add_boolean_value (b, answers);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "up");
  json_builder_add_boolean_value (b, n > 0 && n_done == n);
  json_builder_set_member_name (b, "healthy");
  json_builder_add_boolean_value (b, healthy);
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
      if (json_object_has_member (no, "netns"))
        g_string_append_printf (s, _(" netns %s (%s), libvirtd %s"),
                                json_object_get_string_member (no, "netns"),
                                json_object_get_boolean_member (no, "netns_exists") ? _("present") : _("absent"),
                                json_object_get_boolean_member (no, "libvirtd_answers") ? _("answers") : _("down"));
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
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* ---- reset ---------------------------------------------------------------- */

/* Other flavors: every node back to its snapshot "clean" (taken after
 * the install, e.g. `labctl nodes snapshot NODE clean`). */
static gboolean
reset_nodes (LabContext *ctx, GError **error)
{
  LabRecipe *r = ctx->recipe;
  g_autoptr(LabVirt) virt = lab_virt_connect (lab_virt_default_uri (ctx->libvirt_uri), error);

  if (virt == NULL)
    return FALSE;
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *n = g_ptr_array_index (r->nodes, i);
      g_auto(GStrv) names = lab_virt_snapshot_list (virt, n->name, r->name, error);
      gint64 t0 = g_get_monotonic_time ();

      if (names == NULL)
        return FALSE;
      if (!g_strv_contains ((const char * const *) names, LAB_STAND_CLEAN_SNAPSHOT))
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                       _("Node %s has no snapshot \"%s\" to go back to; take it once the node is installed: "
                         "labctl nodes snapshot %s %s"), n->name, LAB_STAND_CLEAN_SNAPSHOT, n->name,
                       LAB_STAND_CLEAN_SNAPSHOT);
          return FALSE;
        }
      if (!lab_virt_snapshot_revert (virt, n->name, r->name, LAB_STAND_CLEAN_SNAPSHOT, error))
        return FALSE;
      lab_progress_info (ctx->progress, _("node %s back to its clean snapshot in %.2f s"), n->name,
                         (g_get_monotonic_time () - t0) / 1e6);
    }
  return TRUE;
}

gboolean
lab_stand_reset (LabContext *ctx, GError **error)
{
  LabRecipe *r = ctx->recipe;

  if (r->flavor != LAB_FLAVOR_CONTAINER)
    return reset_nodes (ctx, error);
  for (guint i = 0; i < r->guests->len; i++)
    {
      LabGuest *g = g_ptr_array_index (r->guests, i);
      gint64 t0 = g_get_monotonic_time ();

      if (!lab_guest_reset (ctx, g, error))
        return FALSE;
      lab_progress_info (ctx->progress, _("guest %s back to its clean state on %s in %.2f s"), g->name,
                         g->node, (g_get_monotonic_time () - t0) / 1e6);
    }
  return lab_state_save (ctx->state, error);
}

/* ---- a session on a lab ------------------------------------------------- */

LabStand *
lab_stand_open (const char *recipe_name, gboolean dry_run, FILE *progress_stream,
                GCancellable *cancellable, GError **error)
{
  g_autoptr(LabStand) self = g_new0 (LabStand, 1);
  g_autofree char *path = lab_recipe_resolve_path (recipe_name, error);
  g_autofree char *dir = NULL;

  if (path == NULL)
    return NULL;
  self->recipe = lab_recipe_load (path, error);
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
  self->ctx.recipe = self->recipe;
  self->ctx.state = self->state;
  self->ctx.runner = self->runner;
  self->ctx.progress = self->progress;
  self->ctx.cancellable = cancellable;
  self->ctx.dry_run = dry_run;
  self->ctx.libvirt_uri = NULL;
  self->ctx.sysroot = "/";
  self->plan = lab_stand_build_plan (&self->ctx, error);
  if (self->plan == NULL)
    return NULL;
  return g_steal_pointer (&self);
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

  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int saved = errno;
      g_set_error (error, LAB_ERROR, saved == EACCES ? LAB_ERROR_PERMISSION : LAB_ERROR_FAILED,
                   _("Cannot create the lab's directory %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }
  lab_runner_set_log_path (self->runner, log);
  return TRUE;
}
