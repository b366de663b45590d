/* lab-stand-check.c: step check.host: the host preflight (host/
 * lab-host-check) before anything is made. A failed check stops `up`
 * unless the lab's flavor says it does not matter for it (the container
 * flavor needs neither KVM nor the host's libvirtd); those are shown. */
#include "config.h"

#include "lab-stand.h"
#include "lab-stand-private.h"

#include "lab-error.h"
#include "lab-flavor.h"
#include "lab-host-check.h"
#include "lab-i18n.h"
#include "lab-util.h"

gboolean
lab_stand_check_matters (LabFlavorId flavor, const char *id)
{
  return lab_flavor_check_matters (lab_flavor_get (flavor), id);
}

static gboolean
check_apply (LabContext *ctx, gpointer data, GError **error)
{
  /* the real root: LABCTL_SYSROOT, as `labctl check` reads it */
  g_autoptr(LabHostCheck) hc = lab_host_check_new (g_strcmp0 (ctx->sysroot, "/") == 0 ? NULL : ctx->sysroot);
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
  return lab_lines_steal (lines);
}

static const LabStepInfo check_step = {
  "check.host", N_("Check the host (CPU, memory, disk, tools)"), FALSE,
  NULL, check_apply, NULL, check_describe,
  TRUE,   /* it only reads /proc, /sys and asks libvirt: a preview runs it */
};

void
lab_stand_add_check_steps (LabPlan *plan, LabContext *ctx)
{
  lab_plan_add_step (plan, &check_step, NULL, NULL, NULL, NULL);
}
