/* lab-container-bridge.c: step network.bridge: the lab bridge on the host,
 * carrying the gateway address (the iSCSI portal listens there, so the
 * network phase comes before storage). Its alias "labctl:<lab>" marks it
 * as the lab's; a link of that name without the alias is refused.
 * State: network.bridge (the bridge's name). */
#include "config.h"

#include "lab-container.h"
#include "lab-container-private.h"

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-util.h"

#define ALIAS_PREFIX "labctl:"

gboolean
lab_container_bridge_check (LabRunner *runner, const char *bridge, const char *lab_name,
                            gboolean *exists, GError **error)
{
  g_autofree char *alias = NULL;
  g_autofree char *want = g_strconcat (ALIAS_PREFIX, lab_name, NULL);
  gboolean found;

  *exists = FALSE;
  if (!lab_container_link_query (runner, NULL, bridge, &found, &alias, error))
    return FALSE;
  if (!found)
    return TRUE;
  if (g_strcmp0 (alias, want) != 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                   _("A network interface named %s exists and is not lab %s's (its alias is '%s'); "
                     "labctl leaves it alone: choose another bridge name in the recipe's [network] bridge"),
                   bridge, lab_name, alias != NULL ? alias : "");
      return FALSE;
    }
  *exists = TRUE;
  return TRUE;
}

gboolean
lab_container_bridge_create (LabRunner *runner, const char *bridge, const char *gateway,
                             guint prefix, const char *lab_name, GError **error)
{
  g_autofree char *cidr = g_strdup_printf ("%s/%u", gateway, prefix);
  g_autofree char *alias = g_strconcat (ALIAS_PREFIX, lab_name, NULL);
  gboolean exists = FALSE;

  if (!lab_container_bridge_check (runner, bridge, lab_name, &exists, error))
    return FALSE;
  if (!exists
      && !lab_runner_runv (runner, 0, NULL, error, "ip", "link", "add", bridge, "type", "bridge", NULL))
    return FALSE;
  /* the alias first: from now on `down` knows the bridge is ours */
  return lab_runner_runv (runner, 0, NULL, error, "ip", "link", "set", "dev", bridge, "alias", alias, NULL)
      && lab_runner_runv (runner, 0, NULL, error, "ip", "addr", "replace", cidr, "dev", bridge, NULL)
      && lab_runner_runv (runner, 0, NULL, error, "ip", "link", "set", bridge, "up", NULL);
}

gboolean
lab_container_bridge_delete (LabRunner *runner, const char *bridge, const char *lab_name,
                             GError **error)
{
  gboolean exists = FALSE;

  if (!lab_container_bridge_check (runner, bridge, lab_name, &exists, error))
    return FALSE;
  if (!exists)
    return TRUE;
  return lab_runner_runv (runner, 0, NULL, error, "ip", "link", "del", bridge, NULL);
}

char **
lab_container_bridge_describe (const char *bridge, const char *gateway, guint prefix,
                               const char *lab_name, gboolean down)
{
  GPtrArray *lines = g_ptr_array_new ();
  g_autofree char *cidr = g_strdup_printf ("%s/%u", gateway, prefix);
  g_autofree char *alias = g_strconcat (ALIAS_PREFIX, lab_name, NULL);

  if (down)
    lab_lines_add_cmd (lines, "ip", "link", "del", bridge, NULL);
  else
    {
      lab_lines_add_cmd (lines, "ip", "link", "add", bridge, "type", "bridge", NULL);
      lab_lines_add_cmd (lines, "ip", "link", "set", "dev", bridge, "alias", alias, NULL);
      lab_lines_add_cmd (lines, "ip", "addr", "replace", cidr, "dev", bridge, NULL);
      lab_lines_add_cmd (lines, "ip", "link", "set", bridge, "up", NULL);
    }
  return lab_lines_steal (lines);
}

/* ---- step network.bridge ---------------------------------------------- */

static gboolean
bridge_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  LabRecipe *r = ctx->recipe;

  return lab_container_bridge_check (ctx->runner, r->bridge, r->name, done, error);
}

static gboolean
bridge_apply (LabContext *ctx, gpointer data, GError **error)
{
  LabRecipe *r = ctx->recipe;

  lab_state_set_string (ctx->state, "network.bridge", r->bridge);
  if (!lab_state_save (ctx->state, error))
    return FALSE;
  return lab_container_bridge_create (ctx->runner, r->bridge, r->gateway, r->subnet_prefix, r->name, error);
}

static gboolean
bridge_undo (LabContext *ctx, gpointer data, GError **error)
{
  LabRecipe *r = ctx->recipe;
  const char *bridge = lab_state_get_string (ctx->state, "network.bridge");

  if (!lab_container_bridge_delete (ctx->runner, bridge != NULL ? bridge : r->bridge, r->name, error))
    return FALSE;
  lab_state_remove (ctx->state, "network.bridge");
  return TRUE;
}

static char **
bridge_describe (LabContext *ctx, gpointer data, gboolean down)
{
  LabRecipe *r = ctx->recipe;

  return lab_container_bridge_describe (r->bridge, r->gateway, r->subnet_prefix, r->name, down);
}

static const LabStepInfo bridge_step = {
  "network.bridge", N_("Create the lab bridge %s with the gateway address"), TRUE,
  bridge_check, bridge_apply, bridge_undo, bridge_describe,
};

void
lab_container_add_network_steps (LabPlan *plan, LabContext *ctx)
{
  lab_plan_add_step (plan, &bridge_step, NULL, ctx->recipe->bridge, NULL, NULL);
}
