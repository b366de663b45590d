/* test-plan.c: LabPlan up/down/resume/cancel/describe with a fake provider,
 * and the progress output. */
#define _GNU_SOURCE 1 /* posix_openpt and friends */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-plan.h"

#define N_THINGS 4

/* The fake provider: four "things" that exist or not. */
typedef struct {
  gboolean      exists[N_THINGS];
  int           fail_at;        /* 0: no failure; else the 1-based step whose apply fails */
  int           cancel_after;   /* 0: never; else cancel ctx->cancellable after this apply */
  GString      *calls;          /* "apply 1;undo 2;..." */
} World;

typedef struct {
  World *world;
  int    n;   /* 1-based */
} Thing;

static gboolean
thing_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  Thing *t = data;

  *done = t->world->exists[t->n - 1];
  return TRUE;
}

static gboolean
thing_apply (LabContext *ctx, gpointer data, GError **error)
{
  Thing *t = data;

  g_string_append_printf (t->world->calls, "apply %d;", t->n);
  lab_progress_info (ctx->progress, "making thing %d", t->n);
  if (t->world->fail_at == t->n)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL, "maker failed (exit 22): thing %d is stuck", t->n);
      return FALSE;
    }
  t->world->exists[t->n - 1] = TRUE;
  lab_state_set_int (ctx->state, t->n == 1 ? "fake.one" : "fake.other", t->n);
  if (t->world->cancel_after == t->n)
    g_cancellable_cancel (ctx->cancellable);
  return TRUE;
}

static gboolean
thing_undo (LabContext *ctx, gpointer data, GError **error)
{
  Thing *t = data;

  g_string_append_printf (t->world->calls, "undo %d;", t->n);
  t->world->exists[t->n - 1] = FALSE;
  if (t->n == 1)
    lab_state_remove (ctx->state, "fake.one");
  else
    lab_state_remove (ctx->state, "fake.other");
  return TRUE;
}

static char **
thing_describe (LabContext *ctx, gpointer data, gboolean down)
{
  Thing *t = data;
  char **lines = g_new0 (char *, 3);

  if (down)
    lines[0] = g_strdup_printf ("maker remove thing-%d", t->n);
  else
    {
      lines[0] = g_strdup_printf ("maker create thing-%d", t->n);
      lines[1] = g_strdup_printf ("maker start thing-%d", t->n);
    }
  return lines;
}

static const LabStepInfo thing_step = {
  "fake.thing", N_("Create thing %s"), FALSE, thing_check, thing_apply, thing_undo, thing_describe,
};
/* no check: done when the state says so */
static const LabStepInfo last_step = {
  "fake.last", N_("Finish the things"), TRUE, NULL, thing_apply, thing_undo, NULL,
};

typedef struct {
  char         *dir;
  World         world;
  LabContext    ctx;
  GCancellable *cancellable;
  GString      *events;
  LabProgress  *progress;
} Fixture;

static void
collect_event (LabProgress *progress, LabProgressEvent event, guint index, guint total,
               const char *title, double seconds, const char *detail, gpointer user_data)
{
  GString *events = user_data;
  static const char *names[] = { "START", "DONE", "SKIPPED", "FAILED", "INFO" };

  g_string_append_printf (events, "%s %u/%u %s", names[event], index + 1, total, title);
  if (detail != NULL)
    g_string_append_printf (events, " [%s]", detail);
  g_string_append_c (events, '\n');
}

static LabState *
load_state (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  LabState *state = lab_state_load (f->dir, "course", &error);

  g_assert_no_error (error);
  return state;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("labctl-test-plan-XXXXXX", &error);
  g_assert_no_error (error);
  f->world.calls = g_string_new (NULL);
  f->events = g_string_new (NULL);
  f->progress = lab_progress_new (collect_event, f->events, NULL);
  f->cancellable = g_cancellable_new ();
  f->ctx.state = load_state (f);
  f->ctx.runner = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  f->ctx.progress = f->progress;
  f->ctx.cancellable = f->cancellable;
  f->ctx.sysroot = "/";
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "state.json", NULL);

  g_unlink (path);
  g_rmdir (f->dir);
  g_free (f->dir);
  g_string_free (f->world.calls, TRUE);
  g_string_free (f->events, TRUE);
  lab_progress_free (f->progress);
  g_object_unref (f->cancellable);
  lab_state_free (f->ctx.state);
  g_object_unref (f->ctx.runner);
}

/* Four steps, infos[n - 1] for thing n; all but the last step get the
 * thing's number as their id suffix. */
static LabPlan *
make_plan_of (Fixture *f, const LabStepInfo * const *infos)
{
  LabPlan *plan = lab_plan_new (&f->ctx);

  for (int n = 1; n <= N_THINGS; n++)
    {
      Thing *t = g_new0 (Thing, 1);
      g_autofree char *suffix = g_strdup_printf ("%d", n);

      t->world = &f->world;
      t->n = n;
      lab_plan_add_step (plan, infos[n - 1], n < N_THINGS ? suffix : NULL, suffix, t, g_free);
    }
  return plan;
}

static LabPlan *
make_plan (Fixture *f)
{
  const LabStepInfo *infos[N_THINGS] = { &thing_step, &thing_step, &thing_step, &last_step };

  return make_plan_of (f, infos);
}

/* Reload the state from disk, as a new labctl process would. */
static void
restart (Fixture *f)
{
  lab_state_free (f->ctx.state);
  f->ctx.state = load_state (f);
  g_string_truncate (f->world.calls, 0);
  g_string_truncate (f->events, 0);
}

static const char * const thing_ids[] = { "fake.thing:1", "fake.thing:2", "fake.thing:3", "fake.last" };
static const char * const reset_ids[] = { "fake.thing:1", "fake.redo:2", "fake.redo:3", "fake.last" };

/* The four steps' states in memory and on disk. */
static void
assert_ids (Fixture *f, const char * const *ids, LabStepState s1, LabStepState s2, LabStepState s3, LabStepState s4)
{
  g_autoptr(LabState) disk = load_state (f);
  LabState *states[] = { f->ctx.state, disk };
  LabStepState want[] = { s1, s2, s3, s4 };

  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    for (guint k = 0; k < G_N_ELEMENTS (want); k++)
      g_assert_cmpint (lab_state_get_step (states[i], ids[k]), ==, want[k]);
}

#define assert_steps(f, s1, s2, s3, s4) assert_ids (f, thing_ids, s1, s2, s3, s4)

static void
test_up_then_up (Fixture *f, gconstpointer data)
{
  g_autoptr(LabPlan) plan = make_plan (f);
  g_autoptr(LabPlan) plan2 = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (lab_plan_get_n_steps (plan), ==, 4);
  g_assert_true (lab_plan_up (plan, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (f->world.calls->str, ==, "apply 1;apply 2;apply 3;apply 4;");
  g_assert_cmpstr (f->events->str, ==,
                   "START 1/4 Create thing 1\n"
                   "INFO 1/4 Create thing 1 [making thing 1]\n"
                   "DONE 1/4 Create thing 1\n"
                   "START 2/4 Create thing 2\n"
                   "INFO 2/4 Create thing 2 [making thing 2]\n"
                   "DONE 2/4 Create thing 2\n"
                   "START 3/4 Create thing 3\n"
                   "INFO 3/4 Create thing 3 [making thing 3]\n"
                   "DONE 3/4 Create thing 3\n"
                   "START 4/4 Finish the things\n"
                   "INFO 4/4 Finish the things [making thing 4]\n"
                   "DONE 4/4 Finish the things\n");
  assert_steps (f, LAB_STEP_STATE_DONE, LAB_STEP_STATE_DONE, LAB_STEP_STATE_DONE, LAB_STEP_STATE_DONE);
  g_assert_cmpfloat (lab_state_get_step_seconds (f->ctx.state, "fake.thing:1"), >=, 0.0);

  restart (f);
  plan2 = make_plan (f);
  g_assert_true (lab_plan_up (plan2, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (f->world.calls->str, ==, "");
  g_assert_cmpstr (f->events->str, ==,
                   "START 1/4 Create thing 1\nSKIPPED 1/4 Create thing 1\n"
                   "START 2/4 Create thing 2\nSKIPPED 2/4 Create thing 2\n"
                   "START 3/4 Create thing 3\nSKIPPED 3/4 Create thing 3\n"
                   "START 4/4 Finish the things\nSKIPPED 4/4 Finish the things\n");
}

static void
test_failure_resume_down (Fixture *f, gconstpointer data)
{
  g_autoptr(LabPlan) plan = make_plan (f);
  g_autoptr(GError) error = NULL;

  f->world.fail_at = 3;
  g_assert_false (lab_plan_up (plan, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_TOOL);
  g_assert_cmpstr (error->message, ==, "Step 'Create thing 3' failed: maker failed (exit 22): thing 3 is stuck");
  g_clear_error (&error);
  g_assert_cmpstr (f->world.calls->str, ==, "apply 1;apply 2;apply 3;");
  g_assert_nonnull (strstr (f->events->str,
                            "FAILED 3/4 Create thing 3 [Step 'Create thing 3' failed: maker failed (exit 22): thing 3 is stuck]\n"));
  g_assert_true (g_str_has_suffix (f->events->str, "stuck]\n"));
  assert_steps (f, LAB_STEP_STATE_DONE, LAB_STEP_STATE_DONE, LAB_STEP_STATE_STARTED, LAB_STEP_STATE_NONE);

  /* resume: only 3 and 4 are applied */
  {
    g_autoptr(LabPlan) resume = NULL;

    restart (f);
    f->world.fail_at = 0;
    resume = make_plan (f);
    g_assert_true (lab_plan_up (resume, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (f->world.calls->str, ==, "apply 3;apply 4;");
    assert_steps (f, LAB_STEP_STATE_DONE, LAB_STEP_STATE_DONE, LAB_STEP_STATE_DONE, LAB_STEP_STATE_DONE);
  }

  /* down: reverse order, state file gone at the end */
  {
    g_autoptr(LabPlan) down = NULL;
    g_autofree char *path = g_build_filename (f->dir, "state.json", NULL);

    restart (f);
    down = make_plan (f);
    g_assert_true (lab_plan_needs_root (down, TRUE));
    g_assert_true (lab_plan_down (down, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (f->world.calls->str, ==, "undo 4;undo 3;undo 2;undo 1;");
    g_assert_cmpstr (f->events->str, ==,
                     "START 1/4 Undo 'Finish the things'\nDONE 1/4 Undo 'Finish the things'\n"
                     "START 2/4 Undo 'Create thing 3'\nDONE 2/4 Undo 'Create thing 3'\n"
                     "START 3/4 Undo 'Create thing 2'\nDONE 3/4 Undo 'Create thing 2'\n"
                     "START 4/4 Undo 'Create thing 1'\nDONE 4/4 Undo 'Create thing 1'\n");
    g_assert_true (lab_state_is_empty (f->ctx.state));
    g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
    /* nothing recorded: down needs no root */
    g_assert_false (lab_plan_needs_root (down, TRUE));
    g_assert_true (lab_plan_needs_root (down, FALSE));

    /* nothing recorded, a second down undoes nothing; a sweep (the state
     * was lost while the things remain) undoes every step, and needs root */
    g_string_truncate (f->world.calls, 0);
    g_assert_true (lab_plan_down (down, &error));
    g_assert_cmpstr (f->world.calls->str, ==, "");
    lab_plan_set_sweep (down, TRUE);
    g_assert_true (lab_plan_needs_root (down, TRUE));
    g_assert_true (lab_plan_down (down, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (f->world.calls->str, ==, "undo 4;undo 3;undo 2;undo 1;");
    g_assert_true (lab_state_is_empty (f->ctx.state));
    g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  }

  /* second down: a no-op */
  {
    g_autoptr(LabPlan) again = NULL;

    restart (f);
    again = make_plan (f);
    g_assert_true (lab_plan_down (again, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (f->world.calls->str, ==, "");
    g_assert_cmpstr (f->events->str, ==,
                     "START 1/4 Undo 'Finish the things'\nSKIPPED 1/4 Undo 'Finish the things'\n"
                     "START 2/4 Undo 'Create thing 3'\nSKIPPED 2/4 Undo 'Create thing 3'\n"
                     "START 3/4 Undo 'Create thing 2'\nSKIPPED 3/4 Undo 'Create thing 2'\n"
                     "START 4/4 Undo 'Create thing 1'\nSKIPPED 4/4 Undo 'Create thing 1'\n");
  }
}

static void
test_down_after_failure (Fixture *f, gconstpointer data)
{
  g_autoptr(LabPlan) plan = make_plan (f);
  g_autoptr(LabPlan) down = NULL;
  g_autoptr(GError) error = NULL;

  f->world.fail_at = 3;
  g_assert_false (lab_plan_up (plan, &error));
  g_clear_error (&error);

  restart (f);
  down = make_plan (f);
  g_assert_true (lab_plan_down (down, &error));
  g_assert_no_error (error);
  /* the half-applied step 3 is undone too; 4 never started */
  g_assert_cmpstr (f->world.calls->str, ==, "undo 3;undo 2;undo 1;");
  assert_steps (f, LAB_STEP_STATE_NONE, LAB_STEP_STATE_NONE, LAB_STEP_STATE_NONE, LAB_STEP_STATE_NONE);
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr(LabPlan) plan = make_plan (f);
  g_autoptr(GError) error = NULL;

  f->world.cancel_after = 2;
  g_assert_false (lab_plan_up (plan, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_CANCELLED);
  g_assert_nonnull (strstr (error->message, "Create thing 3"));
  g_assert_cmpstr (f->world.calls->str, ==, "apply 1;apply 2;");
  assert_steps (f, LAB_STEP_STATE_DONE, LAB_STEP_STATE_DONE, LAB_STEP_STATE_NONE, LAB_STEP_STATE_NONE);
  g_assert_cmpint (lab_error_to_exit_code (error), ==, LAB_EXIT_CANCELLED);
  g_clear_error (&error);

  /* down is interrupted the same way */
  {
    g_autoptr(LabPlan) down = make_plan (f);

    g_assert_false (lab_plan_down (down, &error));
    g_assert_error (error, LAB_ERROR, LAB_ERROR_CANCELLED);
    assert_steps (f, LAB_STEP_STATE_DONE, LAB_STEP_STATE_DONE, LAB_STEP_STATE_NONE, LAB_STEP_STATE_NONE);
  }
}

static void
test_dry_run_keeps_state (Fixture *f, gconstpointer data)
{
  g_autoptr(LabPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (f->dir, "state.json", NULL);

  f->ctx.dry_run = TRUE;
  plan = make_plan (f);
  g_assert_true (lab_plan_up (plan, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (f->world.calls->str, ==, "apply 1;apply 2;apply 3;apply 4;");
  g_assert_cmpint (lab_state_get_step (f->ctx.state, "fake.thing:1"), ==, LAB_STEP_STATE_NONE);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
test_describe (Fixture *f, gconstpointer data)
{
  g_autoptr(LabPlan) plan = make_plan (f);
  g_autoptr(GString) up = g_string_new (NULL);
  g_autoptr(GString) down = g_string_new (NULL);

  lab_plan_describe (plan, FALSE, up);
  g_assert_cmpstr (up->str, ==,
                   "# 1. Create thing 1\nmaker create thing-1\nmaker start thing-1\n"
                   "# 2. Create thing 2\nmaker create thing-2\nmaker start thing-2\n"
                   "# 3. Create thing 3\nmaker create thing-3\nmaker start thing-3\n"
                   "# 4. Finish the things\n");
  lab_plan_describe (plan, TRUE, down);
  g_assert_cmpstr (down->str, ==,
                   "# 1. Undo 'Finish the things'\n"
                   "# 2. Undo 'Create thing 3'\nmaker remove thing-3\n"
                   "# 3. Undo 'Create thing 2'\nmaker remove thing-2\n"
                   "# 4. Undo 'Create thing 1'\nmaker remove thing-1\n");
  /* describing changes nothing */
  g_assert_cmpstr (f->world.calls->str, ==, "");
}

static char *
normalise_seconds (const char *text)
{
  g_autoptr(GRegex) regex = g_regex_new ("\\d+\\.\\d s", 0, 0, NULL);

  return g_regex_replace_literal (regex, text, -1, 0, "N s", 0, NULL);
}

static char *
read_stream (FILE *stream)
{
  GString *s = g_string_new (NULL);
  char buf[256];
  size_t n;

  rewind (stream);
  while ((n = fread (buf, 1, sizeof buf, stream)) > 0)
    g_string_append_len (s, buf, n);
  return g_string_free (s, FALSE);
}

static void
test_progress_stream (Fixture *f, gconstpointer data)
{
  FILE *stream = tmpfile ();
  g_autoptr(LabProgress) progress = NULL;
  g_autoptr(LabPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *raw = NULL;
  g_autofree char *text = NULL;

  g_assert_nonnull (stream);
  progress = lab_progress_new_for_stream (stream);
  f->ctx.progress = progress;
  f->world.fail_at = 4;
  f->world.exists[1] = TRUE;   /* thing 2 is already there */
  plan = make_plan (f);
  g_assert_false (lab_plan_up (plan, &error));
  f->ctx.progress = f->progress;

  raw = read_stream (stream);
  fclose (stream);
  /* not a terminal: plain lines, no escape sequences */
  g_assert_null (strchr (raw, '\033'));
  text = normalise_seconds (raw);
  g_assert_cmpstr (text, ==,
                   "step 1/4: Create thing 1: started\n"
                   "step 1/4: Create thing 1: making thing 1\n"
                   "step 1/4: Create thing 1: done in N s\n"
                   "step 2/4: Create thing 2: started\n"
                   "step 2/4: Create thing 2: nothing to do\n"
                   "step 3/4: Create thing 3: started\n"
                   "step 3/4: Create thing 3: making thing 3\n"
                   "step 3/4: Create thing 3: done in N s\n"
                   "step 4/4: Finish the things: started\n"
                   "step 4/4: Finish the things: making thing 4\n"
                   "step 4/4: Finish the things: failed after N s: "
                   "Step 'Finish the things' failed: maker failed (exit 22): thing 4 is stuck\n");
}

/* A terminal: a pseudo-terminal whose master side we read. */
static char *
run_on_tty (Fixture *f, gboolean colour)
{
  g_autofree char *saved = g_strdup (g_getenv ("NO_COLOR"));
  g_autoptr(LabProgress) progress = NULL;
  g_autoptr(LabPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  GString *out = g_string_new (NULL);
  struct termios tio;
  FILE *stream;
  char buf[4096];
  ssize_t n;
  int master, slave;

  master = posix_openpt (O_RDWR | O_NOCTTY);
  g_assert_cmpint (master, >=, 0);
  g_assert_cmpint (grantpt (master), ==, 0);
  g_assert_cmpint (unlockpt (master), ==, 0);
  slave = open (ptsname (master), O_RDWR | O_NOCTTY);
  g_assert_cmpint (slave, >=, 0);
  g_assert_cmpint (tcgetattr (slave, &tio), ==, 0);
  cfmakeraw (&tio);
  g_assert_cmpint (tcsetattr (slave, TCSANOW, &tio), ==, 0);
  stream = fdopen (slave, "w");

  if (colour)
    g_unsetenv ("NO_COLOR");
  else
    g_setenv ("NO_COLOR", "1", TRUE);
  progress = lab_progress_new_for_stream (stream);
  if (saved != NULL)
    g_setenv ("NO_COLOR", saved, TRUE);
  else
    g_unsetenv ("NO_COLOR");

  f->ctx.progress = progress;
  f->world.fail_at = 3;
  f->world.exists[1] = TRUE;
  plan = make_plan (f);
  g_assert_false (lab_plan_up (plan, &error));
  f->ctx.progress = f->progress;
  fclose (stream);

  g_assert_cmpint (fcntl (master, F_SETFL, O_NONBLOCK), ==, 0);
  while ((n = read (master, buf, sizeof buf)) > 0)
    g_string_append_len (out, buf, n);
  close (master);
  return g_string_free (out, FALSE);
}

static void
test_progress_tty (Fixture *f, gconstpointer data)
{
  g_autofree char *raw = run_on_tty (f, FALSE);
  g_autofree char *text = normalise_seconds (raw);

  g_assert_cmpstr (text, ==,
                   "[1/4] … Create thing 1"
                   "\r\033[K        making thing 1\n"
                   "[1/4] … Create thing 1"
                   "\r\033[K[1/4] ✓ Create thing 1  (N s)\n"
                   "[2/4] … Create thing 2"
                   "\r\033[K[2/4] – Create thing 2  (nothing to do)\n"
                   "[3/4] … Create thing 3"
                   "\r\033[K        making thing 3\n"
                   "[3/4] … Create thing 3"
                   "\r\033[K[3/4] ✗ Create thing 3  (failed after N s)\n"
                   "        Step 'Create thing 3' failed: maker failed (exit 22): thing 3 is stuck\n");
}

static void
test_progress_tty_colour (Fixture *f, gconstpointer data)
{
  g_autofree char *raw = run_on_tty (f, TRUE);

  g_assert_nonnull (strstr (raw, "\033[32m✓\033[0m Create thing 1"));
  g_assert_nonnull (strstr (raw, "\033[31m✗ Create thing 3\033[0m"));
}

/* A step's body run outside a plan (the benchmarks do: bench-kvm builds
 * the node image alone): its lines carry no "step 1/0" counter. */
static void
test_progress_outside_plan (void)
{
  FILE *stream = tmpfile ();
  g_autoptr(LabProgress) progress = NULL;
  g_autofree char *text = NULL;

  g_assert_nonnull (stream);
  progress = lab_progress_new_for_stream (stream);
  lab_progress_info (progress, "node image: ready in %d s", 309);
  text = read_stream (stream);
  fclose (stream);
  g_assert_cmpstr (text, ==, "labctl: node image: ready in 309 s\n");
}

static void
test_progress_info_without_progress (void)
{
  /* steps may call it with ctx->progress == NULL */
  lab_progress_info (NULL, "nothing %d", 1);
  lab_progress_emit (NULL, LAB_PROGRESS_STEP_DONE, 0, 1, "x", 0, NULL);
  g_assert_true (TRUE);
}

/* Steps land in their phase's place whatever order they are added in, and
 * keep the order they were added in within a phase; down undoes in the
 * reverse of that order. */
static void
test_phases (Fixture *f, gconstpointer data)
{
  g_autoptr(LabPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  Thing things[5];
  static const struct { LabPhase phase; const char *name; } adds[] = {
    { LAB_PHASE_NODES, "n1" }, { LAB_PHASE_READY, "r" }, { LAB_PHASE_NETWORK, "net" },
    { LAB_PHASE_NODES, "n2" }, { LAB_PHASE_CHECK, "chk" },
  };
  static const char * const order[] = {
    "fake.thing:chk", "fake.thing:net", "fake.thing:n1", "fake.thing:n2", "fake.thing:r",
  };

  plan = lab_plan_new (&f->ctx);
  for (guint i = 0; i < G_N_ELEMENTS (adds); i++)
    {
      things[i].world = &f->world;
      things[i].n = 1 + i % N_THINGS;
      lab_plan_set_phase (plan, adds[i].phase);
      lab_plan_add_step (plan, &thing_step, adds[i].name, adds[i].name, &things[i], NULL);
    }
  g_assert_cmpuint (lab_plan_get_n_steps (plan), ==, G_N_ELEMENTS (order));
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    g_assert_cmpstr (lab_plan_get_step_id (plan, i), ==, order[i]);
  g_assert_cmpint (lab_plan_get_step_phase (plan, 0), ==, LAB_PHASE_CHECK);
  g_assert_cmpint (lab_plan_get_step_phase (plan, 2), ==, LAB_PHASE_NODES);
  g_assert_cmpint (lab_plan_get_step_phase (plan, 4), ==, LAB_PHASE_READY);
  g_assert_cmpstr (lab_phase_to_string (LAB_PHASE_NETWORK), ==, "network");
  g_assert_cmpstr (lab_phase_to_string (LAB_PHASE_READY), ==, "ready");

  g_assert_true (lab_plan_up (plan, &error));
  g_assert_no_error (error);
  /* chk is thing 1, net thing 3, n1 thing 1 (made by chk: skipped), n2
   * thing 4, r thing 2 */
  g_assert_cmpstr (f->world.calls->str, ==, "apply 1;apply 3;apply 4;apply 2;");
  g_string_truncate (f->world.calls, 0);
  /* the skipped n1 is not recorded: nothing of it to undo */
  g_assert_true (lab_plan_down (plan, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (f->world.calls->str, ==, "undo 2;undo 4;undo 3;undo 1;");
}

static void
count_destroy (gpointer data)
{
  (*(int *) data)++;
}

/* Providers keep what their steps share in the plan, until it is freed. */
static void
test_plan_data (Fixture *f, gconstpointer data)
{
  LabPlan *plan = lab_plan_new (&f->ctx);
  int a = 0, b = 0;

  g_assert_null (lab_plan_get_data (plan, "shared"));
  lab_plan_set_data (plan, "shared", &a, count_destroy);
  g_assert_true (lab_plan_get_data (plan, "shared") == &a);
  lab_plan_set_data (plan, "shared", &b, count_destroy);
  g_assert_cmpint (a, ==, 1);
  g_assert_true (lab_plan_get_data (plan, "shared") == &b);
  lab_plan_free (plan);
  g_assert_cmpint (b, ==, 1);
}

/* ---- after a reset: forget what it undid, converge again ---------------- */

/* A step whose work a reset may undo: its record is "fake.redo.<n>". */
static gboolean
redo_apply (LabContext *ctx, gpointer data, GError **error)
{
  Thing *t = data;
  g_autofree char *key = g_strdup_printf ("fake.redo.%d", t->n);

  if (!thing_apply (ctx, data, error))
    return FALSE;
  lab_state_set_int (ctx->state, key, t->n);
  return TRUE;
}

static void
redo_forget (LabContext *ctx, gpointer data)
{
  Thing *t = data;
  g_autofree char *key = g_strdup_printf ("fake.redo.%d", t->n);

  g_string_append_printf (t->world->calls, "forget %d;", t->n);
  lab_state_remove (ctx->state, key);
}

static const LabStepInfo redo_step = {
  "fake.redo", N_("Make thing %s on the nodes"), FALSE, thing_check, redo_apply, thing_undo, thing_describe,
  .forget = redo_forget,
};

/* thing:1 (a reset leaves it), redo:2 and redo:3 (the reset may undo
 * them), last (no check, the reset may undo it). */
static LabPlan *
make_reset_plan (Fixture *f)
{
  const LabStepInfo *infos[N_THINGS] = { &thing_step, &redo_step, &redo_step, &last_step };

  return make_plan_of (f, infos);
}

static const char * const reset_undoes[] = { "fake.redo", "fake.last", NULL };

static void
test_reset_forget (Fixture *f, gconstpointer data)
{
  g_autoptr(LabPlan) plan = make_reset_plan (f);
  g_autoptr(LabPlan) plan2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) described = g_string_new (NULL);

  g_assert_true (lab_plan_up (plan, &error));
  g_assert_no_error (error);
  g_assert_true (lab_state_has (f->ctx.state, "fake.redo.2"));

  /* the "reset": thing 2 and the last one are gone, thing 3 survived it */
  f->world.exists[1] = FALSE;
  f->world.exists[3] = FALSE;
  g_string_truncate (f->world.calls, 0);
  g_assert_true (lab_plan_step_matches (plan, 1, reset_undoes));
  g_assert_false (lab_plan_step_matches (plan, 0, reset_undoes));
  g_assert_false (lab_plan_step_matches (plan, 0, NULL));
  g_assert_cmpuint (lab_plan_forget_steps (plan, reset_undoes), ==, 3);
  g_assert_cmpstr (f->world.calls->str, ==, "forget 2;forget 3;");
  g_assert_false (lab_state_has (f->ctx.state, "fake.redo.2"));
  g_assert_false (lab_state_has (f->ctx.state, "fake.redo.3"));
  /* thing 1's record is not the reset's */
  g_assert_true (lab_state_has (f->ctx.state, "fake.one"));
  g_assert_true (lab_state_save (f->ctx.state, &error));
  g_assert_no_error (error);
  /* still labctl's (down undoes them), not done */
  assert_ids (f, reset_ids, LAB_STEP_STATE_DONE, LAB_STEP_STATE_STARTED, LAB_STEP_STATE_STARTED, LAB_STEP_STATE_STARTED);

  /* converging again in a new process; thing 2 fails the first time:
   * the state stays resumable */
  restart (f);
  plan2 = make_reset_plan (f);
  f->world.fail_at = 2;
  g_assert_false (lab_plan_up (plan2, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_TOOL);
  g_clear_error (&error);
  assert_ids (f, reset_ids, LAB_STEP_STATE_DONE, LAB_STEP_STATE_STARTED, LAB_STEP_STATE_STARTED, LAB_STEP_STATE_STARTED);

  restart (f);
  g_clear_pointer (&plan2, lab_plan_free);
  plan2 = make_reset_plan (f);
  f->world.fail_at = 0;
  g_assert_true (lab_plan_up (plan2, &error));
  g_assert_no_error (error);
  /* thing 1 and thing 3 found by their checks, 2 and the last applied */
  g_assert_cmpstr (f->world.calls->str, ==, "apply 2;apply 4;");
  g_assert_cmpstr (f->events->str, ==,
                   "START 1/4 Create thing 1\nSKIPPED 1/4 Create thing 1\n"
                   "START 2/4 Make thing 2 on the nodes\nINFO 2/4 Make thing 2 on the nodes [making thing 2]\n"
                   "DONE 2/4 Make thing 2 on the nodes\n"
                   "START 3/4 Make thing 3 on the nodes\nSKIPPED 3/4 Make thing 3 on the nodes\n"
                   "START 4/4 Finish the things\nINFO 4/4 Finish the things [making thing 4]\n"
                   "DONE 4/4 Finish the things\n");
  assert_ids (f, reset_ids, LAB_STEP_STATE_DONE, LAB_STEP_STATE_DONE, LAB_STEP_STATE_DONE, LAB_STEP_STATE_DONE);
  g_assert_true (lab_state_has (f->ctx.state, "fake.redo.2"));

  /* what `reset --dry-run` shows: those steps only, numbered as in up */
  lab_plan_describe_steps (plan2, reset_undoes, described);
  g_assert_cmpstr (described->str, ==,
                   "# 2. Make thing 2 on the nodes\nmaker create thing-2\nmaker start thing-2\n"
                   "# 3. Make thing 3 on the nodes\nmaker create thing-3\nmaker start thing-3\n"
                   "# 4. Finish the things\n");
  g_string_truncate (described, 0);
  lab_plan_describe_steps (plan2, NULL, described);
  g_assert_cmpstr (described->str, ==, "");
}

/* A step `up` found done without applying it is not labctl's: a reset
 * does not make it so, and its check decides again. */
static void
test_reset_keeps_foreign (Fixture *f, gconstpointer data)
{
  g_autoptr(LabPlan) plan = make_reset_plan (f);
  g_autoptr(GError) error = NULL;

  f->world.exists[2] = TRUE;
  g_assert_true (lab_plan_up (plan, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (f->world.calls->str, ==, "apply 1;apply 2;apply 4;");
  g_string_truncate (f->world.calls, 0);
  g_assert_cmpuint (lab_plan_forget_steps (plan, reset_undoes), ==, 2);
  g_assert_cmpstr (f->world.calls->str, ==, "forget 2;");
  g_assert_cmpint (lab_state_get_step (f->ctx.state, "fake.redo:3"), ==, LAB_STEP_STATE_NONE);
  /* nothing to forget: none of the steps matches */
  g_assert_cmpuint (lab_plan_forget_steps (plan, NULL), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/plan/up/apply-then-skip", test_up_then_up);
  ADD ("/plan/up/failure-resume-down", test_failure_resume_down);
  ADD ("/plan/down/after-failure", test_down_after_failure);
  ADD ("/plan/cancel", test_cancel);
  ADD ("/plan/dry-run/keeps-state", test_dry_run_keeps_state);
  ADD ("/plan/describe", test_describe);
  ADD ("/plan/progress/stream-plain", test_progress_stream);
  ADD ("/plan/progress/tty", test_progress_tty);
  ADD ("/plan/progress/tty-colour", test_progress_tty_colour);
  ADD ("/plan/phases", test_phases);
  ADD ("/plan/data", test_plan_data);
  ADD ("/plan/reset/forget-converge", test_reset_forget);
  ADD ("/plan/reset/keeps-foreign", test_reset_keeps_foreign);
#undef ADD
  g_test_add_func ("/plan/progress/null", test_progress_info_without_progress);
  g_test_add_func ("/plan/progress/outside-plan", test_progress_outside_plan);

  return g_test_run ();
}
