/* lab-stand.h: the whole stand of a recipe as one LabPlan, its status and
 * its reset.
 *
 * The plan is built phase by phase (lab-plan.h's LabPhase): in each phase
 * the stand's own steps, then those of the lab's flavor (flavors/
 * lab-flavor.h: the flavor table). With the flavors of today:
 *   check       "check.host": the host preflight (lab-stand-check.c)
 *   network     vm: "nodes.network" (the libvirt network); container:
 *               "network.bridge". The iSCSI portal listens on the lab
 *               network's gateway address, so the network comes first.
 *   storage     image, tgtd, target, LUN, ACL, attach, PV, VG, LVs
 *               (storage/)
 *   nodes       vm: "nodes.define:<node>", "nodes.start"; container:
 *               "nodes.netns:<node>", "nodes.libvirtd:<node>"
 *   guests      container: disk (the LV's place on the LUN), define,
 *               start, clean image (flavors/lab-guest.c)
 *   ready       "stand.ready": every node answers, every guest answers
 *               ping (lab-stand-ready.c)
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "lab-plan.h"
#include "lab-recipe.h"

G_BEGIN_DECLS

/* The id prefix of the storage step that makes the backing image
 * (`down --keep-storage` leaves it). */
#define LAB_STAND_IMAGE_STEP "storage.image"

LabPlan  *lab_stand_build_plan     (LabContext *ctx,
                                    GError    **error);

/* What a command needs to work on a lab: the recipe, its state (loaded
 * from the state dir; in memory for a dry run), a runner (logging to
 * <state dir>/labctl.log), a progress on progress_stream (may be NULL) and
 * the context and plan over them. */
typedef struct {
  LabRecipe   *recipe;
  LabState    *state;
  LabRunner   *runner;
  LabProgress *progress;
  LabContext   ctx;
  LabPlan     *plan;
  GOutputStream *echo;
} LabStand;

LabStand *lab_stand_open           (const char   *recipe_name,
                                    gboolean      dry_run,
                                    FILE         *progress_stream,
                                    GCancellable *cancellable,
                                    GError      **error);
void      lab_stand_free           (LabStand     *stand);
/* Creates the lab's state directory (0700) and logs there from now on
 * (`up` before its first step). */
gboolean  lab_stand_prepare_dir    (LabStand     *stand,
                                    GError      **error);
/* LAB_ERROR_PERMISSION with the sudo command line when the plan needs root
 * and we are not. */
gboolean  lab_stand_require_root   (LabStand     *stand,
                                    gboolean      down,
                                    const char   *command,
                                    GError      **error);
/* `--dry-run` for a program (`--progress=json`, lab_progress_set_json_stream):
 * the plan walked as a preview (lab_plan_preview: each step's commands as
 * events, the host check run for real) on the JSON stream. Without a JSON
 * stream it does nothing and returns TRUE. */
gboolean  lab_stand_preview        (LabStand     *stand,
                                    gboolean      down,
                                    GError      **error);
/* Runs fn in a worker thread while this thread runs a main loop, so that
 * SIGINT/SIGTERM (g_unix_signal_add in the CLI) cancel the context's
 * cancellable while a long step runs. */
gboolean  lab_stand_run_in_thread  (gboolean    (*fn) (LabStand *stand, gpointer data, GError **error),
                                    LabStand     *stand,
                                    gpointer      data,
                                    GError      **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabStand, lab_stand_free)

/* Every piece and its health: the steps (recorded state, and what their
 * checks find now), the nodes, the guests. */
JsonNode *lab_stand_status         (LabContext *ctx,
                                    LabPlan    *plan);
char     *lab_stand_status_format  (JsonNode   *status);

/* Back to the clean post-install state, as the lab's flavor does it
 * (container: every guest recreated from its template on its home node
 * from its clean image; vm: every node reverted to its snapshot "clean"),
 * then converged again: the steps the flavor's reset undid (its row's
 * reset_undoes) are forgotten and the plan runs forward on the stand's
 * progress, so that they are applied again and every other step's check
 * finds its work in place. *out_redone (may be NULL): how many steps
 * were forgotten. A failure while converging leaves the state resumable
 * (the error says that `labctl up` or `labctl reset` finishes). */
gboolean  lab_stand_reset          (LabStand   *stand,
                                    guint      *out_redone,
                                    GError    **error);
/* `reset --dry-run`: the header, then the steps the reset applies again
 * with their commands (lab_plan_describe_steps). */
void      lab_stand_describe_reset (LabStand   *stand,
                                    GString    *out);
/* TRUE when the flavor's reset redoes step i (it need not be done before
 * a reset: the reset applies it again). */
gboolean  lab_stand_reset_redoes   (LabStand   *stand,
                                    guint       index);

/* After a complete `down` (the state file is gone): removes what is left
 * of the lab's state directory: the logs (*.log) and the empty directories
 * the steps made. Never removes any other file. */
/* What the lab left on this host that names it, whatever its state says
 * (descriptions, translated; empty when nothing): files in its state
 * directory (other than the lock and logs), the network namespaces of its
 * nodes (labctl-<lab>-<node>), processes whose command line names its state directory
 * (libvirtd, virtlogd, qemu-storage-daemon, QEMU), and its storage
 * (lab_storage_find_traces()). Reads /proc, /run/netns and sysfs only. */
GPtrArray *lab_stand_find_traces    (LabStand     *stand);
gboolean  lab_stand_remove_state_dir (LabStand  *stand,
                                      GError   **error);

/* "2 nodes, 1 guest": the lab's counts, in the plural each needs. */
char     *lab_stand_count_text     (LabRecipe  *recipe);

/* FALSE for the host-check ids that do not matter for a flavor (the
 * container flavor needs neither KVM nor nesting nor the host's
 * libvirtd): the flavor table's ignored_checks. */
gboolean  lab_stand_check_matters  (LabFlavorId flavor,
                                    const char *check_id);

G_END_DECLS
