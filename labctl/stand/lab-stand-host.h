/* lab-stand-host.h: can this host run the lab? The host checks of
 * `labctl check` (lab-host-check) for a recipe, as text and as JSON.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "lab-host-check.h"
#include "lab-recipe.h"

G_BEGIN_DECLS

typedef struct {
  LabRecipe    *recipe;   /* NULL: none given and the default one not installed */
  LabHostCheck *check;
  GPtrArray    *results;  /* LabCheckResult*, in the checks' fixed order */
} LabStandHostCheck;

/* Runs every check for recipe_name (a path or a shipped name: it must
 * load; NULL: the default recipe when it is installed, otherwise none, and
 * the checks assume the course's default lab). sysroot: NULL for
 * $LABCTL_SYSROOT or "/". */
LabStandHostCheck *lab_stand_host_check        (const char        *recipe_name,
                                                const char        *sysroot,
                                                GError           **error);
void               lab_stand_host_check_free   (LabStandHostCheck *self);
/* No check failed (warnings allowed). */
gboolean           lab_stand_host_check_ok     (LabStandHostCheck *self);
/* One line per check ("PASS  kvm.nested  Nested virtualization is
 * enabled"), an indented "fix:" block under each WARN and FAIL, a summary;
 * color: the status in colour (a terminal). */
char              *lab_stand_host_check_format (LabStandHostCheck *self,
                                                gboolean           color);
/* {"checks": [{"id", "status": "pass|warn|fail|skip", "message", "fix"|null}, ...],
 *  "summary": {"pass": n, "warn": n, "fail": n, "skip": n}, "ok": bool,
 *  "recipe": path|null, "sysroot": "/"} */
JsonNode          *lab_stand_host_check_to_json (LabStandHostCheck *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabStandHostCheck, lab_stand_host_check_free)

G_END_DECLS
