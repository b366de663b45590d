/* lab-plan.h: ordered, idempotent steps with check / apply / undo / describe.
 *
 * `up` walks the steps in order: a step whose check says "done" is skipped,
 * the others are applied; the state is saved after every step (a step is
 * marked STARTED before apply so that `down` also undoes a half-applied one).
 * `down` walks the steps in reverse and undoes those the state records as
 * STARTED or DONE. Providers add their steps with lab_plan_add_step().
 *
 * The order comes from phases (check, network, storage, nodes, install,
 * configure, cluster, guests, ready): whoever builds the plan says which
 * phase the next steps belong to (lab_plan_set_phase), and a step lands
 * after every step of its own and earlier phases, before those of later
 * ones. So a provider need not know who adds steps before or after it.
 */
#pragma once

#include <gio/gio.h>
#include <stdio.h>

#include <json-glib/json-glib.h>

#include "lab-runner.h"
#include "lab-state.h"

G_BEGIN_DECLS

/* The plan carries the recipe for its steps without reading it: the core
 * layer sits below recipe/ (recipe/lab-recipe.h defines it). */
typedef struct _LabRecipe LabRecipe;
typedef struct _LabProgress LabProgress;

/* Everything a step may use. Owned by the caller of the plan. */
typedef struct {
  LabRecipe    *recipe;
  LabState     *state;
  LabRunner    *runner;
  LabProgress  *progress;     /* may be NULL */
  GCancellable *cancellable;  /* may be NULL */
  gboolean      dry_run;
  const char   *libvirt_uri;  /* NULL: qemu:///system (or LABCTL_LIBVIRT_URI) */
  const char   *sysroot;      /* "/" normally; fake trees in tests */
} LabContext;

/* Fills ctx: the given objects (borrowed), no cancellable, libvirt at its
 * default URI, the real root as sysroot. */
void  lab_context_init          (LabContext   *ctx,
                                 LabRecipe    *recipe,
                                 LabState     *state,
                                 LabRunner    *runner,
                                 LabProgress  *progress,
                                 gboolean      dry_run);

/* The lab's state directory in this context: the loaded state's, or,
 * for an in-memory state (a dry run), where it would be. */
char *lab_context_get_state_dir (LabContext *ctx);

/* check: sets *done. May return FALSE with an error (e.g. a foreign object
 * is in the way). NULL check: the step is done when the state says DONE.
 * apply: makes it so; records in ctx->state every object it creates, as it
 * creates it. undo: removes only what the state (or ownership marks) say
 * labctl created; must succeed when there is nothing to remove.
 * describe: the equivalent shell commands, one per element (NULL-terminated,
 * freed with g_strfreev); `down` == TRUE for the undo commands. */
typedef gboolean (*LabStepCheckFunc)    (LabContext *ctx, gpointer data, gboolean *done, GError **error);
typedef gboolean (*LabStepApplyFunc)    (LabContext *ctx, gpointer data, GError **error);
typedef gboolean (*LabStepUndoFunc)     (LabContext *ctx, gpointer data, GError **error);
typedef char   **(*LabStepDescribeFunc) (LabContext *ctx, gpointer data, gboolean down);
/* forget: what apply made is gone without labctl's undo (a `reset`
 * reinstalled the nodes it lived on): drops the records apply wrote in
 * ctx->state, touches nothing else. */
typedef void     (*LabStepForgetFunc)   (LabContext *ctx, gpointer data);

typedef struct {
  const char          *id;          /* stable, e.g. "storage.image"; keys the state */
  const char          *title;       /* translatable: N_("Create the sparse backing file") */
  gboolean             needs_root;
  LabStepCheckFunc     check;
  LabStepApplyFunc     apply;
  LabStepUndoFunc      undo;
  LabStepDescribeFunc  describe;
  /* apply only reads (the host check): a preview runs it for real */
  gboolean             preview_applies;
  /* NULL: the step records nothing beyond its status */
  LabStepForgetFunc    forget;
} LabStepInfo;

/* The phases of a stand, in the order `up` runs them. */
typedef enum {
  LAB_PHASE_CHECK,       /* host preflight */
  LAB_PHASE_NETWORK,     /* the lab network (the iSCSI portal listens on its gateway) */
  LAB_PHASE_STORAGE,     /* image, target, attach, LVM */
  LAB_PHASE_NODES,       /* the nodes: domains, namespaces, daemons */
  LAB_PHASE_INSTALL,     /* an operating system on the nodes */
  LAB_PHASE_CONFIGURE,   /* the nodes' own services (libvirt, iSCSI initiator, LVM) */
  LAB_PHASE_CLUSTER,     /* the cluster across the nodes */
  LAB_PHASE_GUESTS,      /* guests on the nodes */
  LAB_PHASE_READY,       /* everything answers */
  LAB_N_PHASES
} LabPhase;

/* "check", "network" ... (stable: JSON and tests use them). */
const char *lab_phase_to_string (LabPhase phase);

typedef struct _LabPlan LabPlan;

LabPlan   *lab_plan_new          (LabContext *ctx);
void       lab_plan_free         (LabPlan    *plan);
/* info must outlive the plan (static tables); data is freed with destroy.
 * title_arg, when not NULL, is formatted into the title ("%s" in it). */
void       lab_plan_add_step     (LabPlan           *plan,
                                  const LabStepInfo *info,
                                  const char        *id_suffix,   /* NULL or e.g. "pve1": id becomes "nodes.define:pve1" */
                                  const char        *title_arg,
                                  gpointer           data,
                                  GDestroyNotify     destroy);
/* The phase of the steps added from now on (a new plan is in
 * LAB_PHASE_CHECK). */
void       lab_plan_set_phase    (LabPlan    *plan,
                                  LabPhase    phase);
LabPhase   lab_plan_get_step_phase (LabPlan  *plan,
                                  guint       index);
/* Data shared by several steps of one provider (e.g. one libvirt
 * connection for a flavor's network and node steps), kept until the plan
 * is freed. set replaces (and destroys) what key held. */
gpointer   lab_plan_get_data     (LabPlan    *plan,
                                  const char *key);
void       lab_plan_set_data     (LabPlan    *plan,
                                  const char *key,
                                  gpointer    data,
                                  GDestroyNotify destroy);
guint      lab_plan_get_n_steps  (LabPlan    *plan);
/* TRUE if any step needs root (for the CLI's early privilege check). */
gboolean   lab_plan_needs_root   (LabPlan    *plan, gboolean down);

gboolean   lab_plan_up           (LabPlan    *plan, GError **error);
gboolean   lab_plan_down         (LabPlan    *plan, GError **error);
/* A sweep: `down` runs the undo of every step, recorded or not, for a lab
 * whose state was lost while what it made is still there. Each undo finds
 * what it removes by the names and ownership marks only the lab uses (and
 * must succeed when there is nothing), as it does after a killed run. */
void       lab_plan_set_sweep    (LabPlan    *plan, gboolean sweep);
/* Step i (0-based, in `up` order): its id and translated title. */
const char *lab_plan_get_step_id    (LabPlan *plan, guint index);
const char *lab_plan_get_step_title (LabPlan *plan, guint index);
/* Runs step i's check alone (for `status`): *done as the check says
 * (without a check: the state says DONE). */
gboolean   lab_plan_check_step   (LabPlan    *plan,
                                  guint       index,
                                  gboolean   *done,
                                  GError    **error);
/* Removes the steps whose id starts with id_prefix (e.g. `down
 * --keep-storage` keeps the image); returns how many were removed. */
guint      lab_plan_remove_steps (LabPlan    *plan,
                                  const char *id_prefix);
/* After a `reset` that undid the work of the steps whose id starts with
 * one of id_prefixes (NULL-terminated; NULL: none): each such step the
 * state records (started or done) is forgotten: its forget drops its
 * records, and it is recorded STARTED, so that the next lab_plan_up asks
 * its check again (a step without one is applied again; one whose check
 * finds its work in place is recorded done, still labctl's) and `down`
 * still undoes it if that run stops half-way. Nothing in a dry run; the
 * caller saves the state. Returns how many steps were forgotten. */
guint      lab_plan_forget_steps (LabPlan            *plan,
                                  const char * const *id_prefixes);
/* TRUE when step i's id starts with one of id_prefixes (NULL: never). */
gboolean   lab_plan_step_matches (LabPlan            *plan,
                                  guint               index,
                                  const char * const *id_prefixes);
/* A dry run told to a progress consumer (`--progress=json --dry-run`):
 * every step in order (reverse for down) is STARTED, then shows its
 * commands as COMMAND events and is DONE; a step that only reads
 * (preview_applies: the host check) is applied for real and may be
 * FAILED with its error, and the preview goes on; down: a step the state
 * does not record is SKIPPED, as `down` would. Nothing is changed or
 * recorded. FALSE with the first step's error when one failed. */
gboolean   lab_plan_preview      (LabPlan    *plan,
                                  gboolean    down,
                                  GError    **error);

/* Writes, for each step, a comment line with its title and its commands. */
void       lab_plan_describe     (LabPlan    *plan,
                                  gboolean    down,
                                  GString    *out);
/* The same for `up`, only the steps whose id starts with one of
 * id_prefixes, numbered as in the whole plan. */
void       lab_plan_describe_steps (LabPlan            *plan,
                                  const char * const *id_prefixes,
                                  GString            *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabPlan, lab_plan_free)

/* ---- progress ------------------------------------------------------- */

typedef enum {
  LAB_PROGRESS_STEP_START,
  LAB_PROGRESS_STEP_DONE,      /* applied / undone now */
  LAB_PROGRESS_STEP_SKIPPED,   /* already done (up) or nothing to undo (down) */
  LAB_PROGRESS_STEP_FAILED,
  LAB_PROGRESS_STEP_INFO,      /* a line of detail inside a step (e.g. download %) */
  LAB_PROGRESS_STEP_COMMAND,   /* a command the step would run (lab_plan_preview) */
} LabProgressEvent;

typedef void (*LabProgressFunc) (LabProgress     *progress,
                                 LabProgressEvent event,
                                 guint            index,      /* 0-based step index */
                                 guint            total,
                                 const char      *title,
                                 double           seconds,    /* for DONE/FAILED */
                                 const char      *detail,     /* INFO text or error message; may be NULL */
                                 gpointer         user_data);

struct _LabProgress {
  LabProgressFunc func;
  gpointer        user_data;
  /* private, kept by lab_progress_emit() for lab_progress_info(): */
  GDestroyNotify  user_data_destroy;
  guint           current_index;
  guint           current_total;
  char           *current_title;
};

/* A progress that calls func (e.g. a GUI, or a test collecting events);
 * user_data_destroy (may be NULL) is called by lab_progress_free(). */
LabProgress *lab_progress_new            (LabProgressFunc func,
                                          gpointer        user_data,
                                          GDestroyNotify  user_data_destroy);
/* A terminal checklist when stream is a tty (colour unless NO_COLOR),
 * plain lines otherwise. */
LabProgress *lab_progress_new_for_stream (FILE *stream);
void         lab_progress_free           (LabProgress *progress);

/* Machine-readable progress (`--progress=json`, HACKING.md lists the
 * events): once a stream is set, lab_progress_new_for_stream() makes a
 * progress that writes each event as one JSON object on one line to this
 * stream (whatever stream it is given), flushed at once. NULL: back to
 * text. */
void         lab_progress_set_json_stream (FILE *stream);
FILE        *lab_progress_get_json_stream (void);
/* One object (the "error" and "result" events of the CLI) as one line on
 * that stream; nothing when none is set. */
void         lab_progress_write_json     (JsonNode *object);
/* An event object: begin gives a builder inside the object with member
 * "event" set; write ends it, writes it as above and frees the builder. */
JsonBuilder *lab_progress_event_begin    (const char  *event);
void         lab_progress_event_write    (JsonBuilder *builder);
/* An experiment's measurements as they come, on that stream (nothing
 * without one): a probe's reply ("sample": seq, offset_us from the first
 * ping, rtt_us or -1 for no reply) and a phase of the experiment starting
 * ("phase": label, offset_us). */
void         lab_progress_write_sample   (guint32     seq,
                                          gint64      offset_us,
                                          gint64      rtt_us);
void         lab_progress_write_phase    (const char *label,
                                          gint64      offset_us);
void         lab_progress_emit           (LabProgress     *progress,
                                          LabProgressEvent event,
                                          guint            index,
                                          guint            total,
                                          const char      *title,
                                          double           seconds,
                                          const char      *detail);
/* Convenience for steps: an INFO line (printf format). progress may be NULL. */
void         lab_progress_info           (LabProgress *progress,
                                          const char  *format,
                                          ...) G_GNUC_PRINTF (2, 3);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabProgress, lab_progress_free)

G_END_DECLS
