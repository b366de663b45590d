/* lab-stand-ready.c: step stand.ready, the last one: every node answers
 * (as its flavor asks it) and every guest answers ping. */
#include "config.h"

#include "lab-stand.h"
#include "lab-stand-private.h"

#include "lab-flavor.h"
#include "lab-i18n.h"
#include "lab-util.h"
#include "lab-probe.h"

#define GUEST_PING_TIMEOUT_MS 10000

static gboolean
ready_apply (LabContext *ctx, gpointer data, GError **error)
{
  const LabFlavor *flavor = lab_flavor_for_context (ctx);
  LabRecipe *r = ctx->recipe;

  for (guint i = 0; flavor->node_ready != NULL && i < r->nodes->len; i++)
    if (!flavor->node_ready (ctx, g_ptr_array_index (r->nodes, i), error))
      return FALSE;
  for (guint i = 0; lab_flavor_has_guests (flavor) && i < r->guests->len; i++)
    {
      LabGuest *g = g_ptr_array_index (r->guests, i);

      if (g->address != NULL
          && !lab_probe_ping_once (g->address, NULL, GUEST_PING_TIMEOUT_MS, ctx->cancellable, error))
        return FALSE;
    }
  {
    g_autofree char *counts = lab_stand_count_text (r);

    lab_progress_info (ctx->progress, _("lab %s is ready: %s"), r->name, counts);
  }
  return TRUE;
}

static char **
ready_describe (LabContext *ctx, gpointer data, gboolean down)
{
  GPtrArray *lines = g_ptr_array_new ();

  if (!down)
    g_ptr_array_add (lines, g_strdup ("labctl status"));
  return lab_lines_steal (lines);
}

static const LabStepInfo ready_step = {
  "stand.ready", N_("Check that every node and guest answers"), FALSE,
  NULL, ready_apply, NULL, ready_describe,
};

void
lab_stand_add_ready_steps (LabPlan *plan, LabContext *ctx)
{
  lab_plan_add_step (plan, &ready_step, NULL, NULL, NULL, NULL);
}
