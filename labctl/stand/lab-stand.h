/* lab-stand.h: the whole stand of a recipe as one LabPlan, its status and
 * its reset.
 *
 * The plan, in order:
 *   check       "check.host": the host preflight (lab-host-check)
 *   network     container flavor: "network.bridge" (the portal listens on
 *               the gateway address, so the bridge comes before storage)
 *   storage     image, tgtd, target, LUN, ACL, attach, PV, VG, LVs
 *               (lab-storage)
 *   nodes       container flavor: namespaces + libvirtd per node
 *               (lab-container); other flavors: network and node domains
 *               (lab-nodes)
 *   guests      container flavor: disk (the LV's place on the LUN), define,
 *               start, clean image (lab-guest)
 *   ready       "stand.ready": every node answers, every guest answers ping
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

/* The node snapshot `reset` reverts to in the VM flavors. */
#define LAB_STAND_CLEAN_SNAPSHOT "clean"

/* Back to the clean post-install state: container flavor: every guest
 * recreated from its template on its home node from its clean image;
 * other flavors: every node reverted to its snapshot "clean". */
gboolean  lab_stand_reset          (LabContext *ctx,
                                    GError    **error);

/* After a complete `down` (the state file is gone): removes what is left
 * of the lab's state directory: the logs (*.log) and the empty directories
 * the steps made. Never removes any other file. */
gboolean  lab_stand_remove_state_dir (LabStand  *stand,
                                      GError   **error);

/* The host-check ids that do not matter for a flavor (the container
 * flavor needs neither KVM nor nesting nor the host's libvirtd). */
gboolean  lab_stand_check_matters  (LabFlavor   flavor,
                                    const char *check_id);

G_END_DECLS
