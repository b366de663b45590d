/* lab-state.h: what labctl created, persisted as JSON.
 *
 * Two files per lab, each written atomically (temp file, fsync, rename)
 * after every step:
 *   <state dir>/state.json    what is public: mode 0640 (root's labs: group
 *                             libvirt, so its members see root's lab)
 *     { "format": 1, "lab": "course", "recipe_hash": "...",
 *       "steps":     { "<step id>": { "status": "started|done", "updated": <unix>, "seconds": <float> } },
 *       "resources": { "<key>": <string|int|bool>, ... } }   e.g. "storage.tgt.tid": 1
 *   <state dir>/secrets.json  the generated secrets (CHAP, passwords, keys):
 *                             mode 0600, only when there are any
 *     { "format": 1, "lab": "course", "secrets": { "<key>": "<string>" } }
 * The state dir is 0750 (root's: group libvirt) in a 0755 parent. A user who
 * cannot read secrets.json gets the state without its secrets (and never
 * overwrites that file). An older state.json with a "secrets" member is
 * read, and the next save moves them to secrets.json. A corrupt file or
 * one written by a newer labctl is an error, never silently overwritten.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define LAB_STATE_FORMAT 1

typedef enum {
  LAB_STEP_STATE_NONE,     /* never applied, or undone */
  LAB_STEP_STATE_STARTED,  /* apply began and did not finish (failure or interruption) */
  LAB_STEP_STATE_DONE,
} LabStepState;

typedef struct _LabState LabState;

/* The directory for a lab's state and log: $LABCTL_STATE_DIR/<lab> if set,
 * /var/lib/labctl/<lab> for root, $XDG_STATE_HOME/labctl/<lab> otherwise;
 * but for a user who has no lab of that name and root has one (readable:
 * the libvirt group), root's, /var/lib/labctl/<lab>. */
char         *lab_state_dir_for_lab    (const char *lab_name);
/* Makes dir (0750; root's: group libvirt) and its parents (0755). */
gboolean      lab_state_prepare_dir    (const char *dir,
                                        GError    **error);

/* Loads <dir>/state.json; a missing file gives an empty state (nothing is
 * written until lab_state_save()). */
LabState     *lab_state_load           (const char *dir,
                                        const char *lab_name,
                                        GError    **error);
LabState     *lab_state_new_in_memory  (const char *lab_name);
void          lab_state_free           (LabState   *self);
gboolean      lab_state_save           (LabState   *self,
                                        GError    **error);
/* Removes the state file (after a complete `down`). */
gboolean      lab_state_delete         (LabState   *self,
                                        GError    **error);

const char   *lab_state_get_path       (LabState   *self);   /* NULL when in memory */
const char   *lab_state_get_dir        (LabState   *self);
const char   *lab_state_get_lab_name   (LabState   *self);
gboolean      lab_state_is_empty       (LabState   *self);   /* no step, no resource */

LabStepState  lab_state_get_step       (LabState   *self, const char *step_id);
void          lab_state_set_step       (LabState   *self, const char *step_id,
                                        LabStepState state, double seconds);
double        lab_state_get_step_seconds (LabState *self, const char *step_id);

/* Resources: flat keys, "module.object.field" by convention. */
void          lab_state_set_string     (LabState *self, const char *key, const char *value);
const char   *lab_state_get_string     (LabState *self, const char *key);  /* NULL if absent */
void          lab_state_set_int        (LabState *self, const char *key, gint64 value);
gint64        lab_state_get_int        (LabState *self, const char *key, gint64 fallback);
void          lab_state_set_bool       (LabState *self, const char *key, gboolean value);
gboolean      lab_state_get_bool       (LabState *self, const char *key, gboolean fallback);
gboolean      lab_state_has            (LabState *self, const char *key);
void          lab_state_remove         (LabState *self, const char *key);
/* Removes every resource whose key starts with prefix. */
void          lab_state_remove_prefix  (LabState *self, const char *prefix);
/* Keys starting with prefix, sorted. Free with g_strfreev(). */
char        **lab_state_list_keys      (LabState *self, const char *prefix);

/* Secrets live only here (secrets.json); never logged. NULL also when the
 * secrets file is not readable by this user. */
void          lab_state_set_secret     (LabState *self, const char *key, const char *value);
const char   *lab_state_get_secret     (LabState *self, const char *key);

void          lab_state_set_recipe_hash (LabState *self, const char *hash);
const char   *lab_state_get_recipe_hash (LabState *self);

/* A copy of the whole document, secrets removed (for `status --json`). */
JsonNode     *lab_state_to_json_public (LabState *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabState, lab_state_free)

G_END_DECLS
