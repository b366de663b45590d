/* lab-exercise.h: graded exercises on a lab that is up.
 *
 * An exercise is a row of a table (LabExercise): its name, title, the
 * flavors it works on (a test of what the lab's flavor offers, never of
 * its name), and start / check / finish. `start` prepares the stand (a VM
 * to snapshot or clone, a watcher that records what the guest shows) and
 * records every object it made in the lab's state under
 * "exercises.<name>."; `check` grades what the student did as ordered
 * steps, each PASS, FAIL (with a hint) or ERROR (the checker itself could
 * not run the step: never counted against the student); `finish` removes
 * what start made and the VMs that carry the exercise's mark (a copy of a
 * marked VM carries it too), nothing else.
 *
 * The checks read the real objects: the nodes' libvirt through the C API,
 * the guest's own report (its HTTP /cgi-bin/id: boot_id, uptime, counter),
 * ping, the storage as labctl reads it. What reaches the outside world
 * goes through LabExerciseProbes, so that the unit tests give the checks
 * libvirt's test:/// driver and guests that are tables.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "lab-plan.h"
#include "lab-recipe.h"
#include "lab-virt.h"

G_BEGIN_DECLS

typedef enum {
  LAB_EXERCISE_PASS,
  LAB_EXERCISE_FAIL,
  LAB_EXERCISE_ERROR,   /* the checker could not run: not the student's fault */
} LabExerciseResult;

const char *lab_exercise_result_to_string (LabExerciseResult result);   /* "PASS" ... */

typedef struct {
  char              *id;       /* stable, e.g. "snapshot.reverted" */
  char              *title;    /* translated */
  LabExerciseResult  result;
  char              *detail;   /* what the checker saw (translated); may be NULL */
  char              *hint;     /* FAIL: what to do; ERROR: why it could not check; may be NULL */
} LabExerciseStep;

typedef struct {
  char       *exercise;
  char       *lab;
  GPtrArray  *steps;      /* LabExerciseStep */
  JsonObject *figures;    /* measurements shown with the result (downtime ...); may be empty */
} LabExerciseReport;

LabExerciseReport *lab_exercise_report_new    (const char *exercise,
                                               const char *lab);
void               lab_exercise_report_free   (LabExerciseReport *report);
/* Adds a step; detail and hint may be NULL. Returns TRUE for PASS (so a
 * check can stop at the first step whose failure makes the rest moot). */
gboolean           lab_exercise_report_add    (LabExerciseReport *report,
                                               const char        *id,
                                               const char        *title,
                                               LabExerciseResult  result,
                                               const char        *detail,
                                               const char        *hint);
/* Steps that cannot be checked because an earlier one failed: ERROR
 * would blame the checker, FAIL the student twice; they are recorded as
 * FAIL with the hint "first fix step X". */
void               lab_exercise_report_skip   (LabExerciseReport *report,
                                               const char        *id,
                                               const char        *title,
                                               const char        *because_id);
/* Every step passed. */
gboolean           lab_exercise_report_passed (const LabExerciseReport *report);
/* Some step is ERROR. */
gboolean           lab_exercise_report_has_error (const LabExerciseReport *report);
/* { exercise, lab, seat, time, passed, steps: [{id, title, result,
 * detail, hint}], figures } and its text form. */
JsonNode          *lab_exercise_report_to_json (const LabExerciseReport *report);
char              *lab_exercise_report_format  (const LabExerciseReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabExerciseReport, lab_exercise_report_free)

/* What the guest reports on http://ADDRESS/cgi-bin/id. */
typedef struct {
  char   *boot_id;
  double  uptime;     /* seconds */
  gint64  counter;    /* bumped every second since boot */
} LabGuestId;

void     lab_guest_id_clear (LabGuestId *id);
/* Parses "boot_id=... uptime=... counter=..."; FALSE when boot_id is missing. */
gboolean lab_guest_id_parse (const char *text,
                             LabGuestId *out);

typedef struct _LabExerciseEnv LabExerciseEnv;

/* The outside world, as the checks reach it. */
typedef struct {
  /* the libvirt URI of a node (the flavor's node_uri) */
  char    *(*node_uri) (LabExerciseEnv *env, const char *node, GError **error);
  /* the guest's report at address (HTTP GET /cgi-bin/id) */
  gboolean (*guest_id) (LabExerciseEnv *env, const char *address, LabGuestId *out, GError **error);
  /* does address answer ping within timeout_ms */
  gboolean (*ping)     (LabExerciseEnv *env, const char *address, guint timeout_ms);
} LabExerciseProbes;

/* The real ones: the flavor's node URI, HTTP over GIO, lab-probe. */
extern const LabExerciseProbes lab_exercise_real_probes;

struct _LabExerciseEnv {
  LabContext              *ctx;
  const LabExerciseProbes *probes;
  GHashTable              *conns;       /* node name -> virConnectPtr, opened once */
  const char              *labctl;      /* the executable for the watcher (NULL: /proc/self/exe) */
  const char              *answers;     /* storage: the student's answers file (NULL: the default) */
  gpointer                 stack_session; /* the flavor's stack session (its API clients), made on first use */
};

/* env over ctx (borrowed); probes NULL: the real ones. */
LabExerciseEnv *lab_exercise_env_new  (LabContext              *ctx,
                                       const LabExerciseProbes *probes);
void            lab_exercise_env_free (LabExerciseEnv          *env);
/* The connection to a node's libvirt, opened on first use and kept. */
virConnectPtr   lab_exercise_env_node (LabExerciseEnv          *env,
                                       const char              *node,
                                       GError                 **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabExerciseEnv, lab_exercise_env_free)

/* An exercise on a lab whose guests the nodes' own management stack
 * runs (the flavor row's `stack`): the same verbs through that stack's
 * API (lab-exercise-stack.c). */
typedef struct {
  char     *(*start)       (LabExerciseEnv *env, GError **error);
  void      (*check)       (LabExerciseEnv *env, LabExerciseReport *report);
  gboolean  (*finish)      (LabExerciseEnv *env, GError **error);
} LabExerciseStackRow;

typedef struct {
  const char *name;       /* "snapshot" */
  const char *title;      /* N_ */
  /* NULL when the lab can run it, else why not (translated, newly allocated) */
  char     *(*unavailable) (LabExerciseEnv *env);
  /* prepares the stand, records what it made; returns the task (translated) */
  char     *(*start)       (LabExerciseEnv *env, GError **error);
  void      (*check)       (LabExerciseEnv *env, LabExerciseReport *report);
  /* removes what start made (and the VMs with its mark) */
  gboolean  (*finish)      (LabExerciseEnv *env, GError **error);
  /* the same on a stack's lab; NULL: not written for one */
  const LabExerciseStackRow *stack;
} LabExercise;

/* The table, NULL-terminated; lookup by name (NULL: none). */
const LabExercise * const *lab_exercise_table (void);
const LabExercise         *lab_exercise_find  (const char *name);

/* The guide of an exercise: <data dir>/lab-guides/<name>.<lang>.md for
 * the user's language (ru when it is Russian, else en). */
char       *lab_exercise_guide_path (const LabExercise *exercise);

/* Started: the state records it. */
gboolean    lab_exercise_is_started (LabExerciseEnv *env, const LabExercise *exercise);

/* The verbs. start: LAB_ERROR_UNSUPPORTED when unavailable,
 * LAB_ERROR_EXISTS when already started (finish it first); saves the state.
 * check: LAB_ERROR_NOT_FOUND when not started. finish: removes and
 * forgets; not started is success. */
char              *lab_exercise_start  (LabExerciseEnv *env, const LabExercise *exercise, GError **error);
LabExerciseReport *lab_exercise_check  (LabExerciseEnv *env, const LabExercise *exercise, GError **error);
gboolean           lab_exercise_finish (LabExerciseEnv *env, const LabExercise *exercise, GError **error);

/* The list: [{ name, title, available, why, started, guide }]. */
JsonNode   *lab_exercise_list_json   (LabExerciseEnv *env);
char       *lab_exercise_list_format (JsonNode *list);

/* `labctl exercise watch NAME` (hidden; started by `start` as a daemon):
 * polls the guest the exercise watches every 500 ms (its boot_id and
 * uptime) and, for migrate, pings it every 10 ms, writing what it saw to
 * the exercise's watch file until it is stopped (SIGTERM) or the
 * exercise is finished. */
gboolean    lab_exercise_watch       (LabExerciseEnv *env, const LabExercise *exercise, GError **error);

G_END_DECLS
