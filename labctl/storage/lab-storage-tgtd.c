/* lab-storage-tgtd.c: step storage.tgtd, a tgtd answering on the recipe's
 * control port. A tgtd that already answers there (the tgt service, or one
 * an earlier run started) is used as it is; otherwise apply starts `tgtd -f`
 * listening on the lab's portal and records storage.tgtd.pid and
 * storage.tgtd.control-port (also when it started but proved unusable, so
 * that down stops it). undo stops only the tgtd labctl started (recorded,
 * or, when a killed run did not record it, found by its command line: the
 * lab's control port and portal), and leaves it running when it serves
 * targets labctl did not create. */
#include "config.h"

#include "lab-storage-private.h"

#include "lab-i18n.h"
#include "lab-tgt.h"
#include "lab-util.h"

/* ---- storage.tgtd ---------------------------------------------------- */

static gboolean
tgtd_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  Storage *s = data;

  return lab_tgt_ping (ctx->runner, s->control_port, done, error);
}

static gboolean
tgtd_apply (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  g_autofree char *log = g_build_filename (s->work_dir, "tgtd.log", NULL);
  GPid pid = 0;

  g_mkdir_with_parents (s->work_dir, 0700);
  if (!lab_tgt_start_daemon (ctx->runner, s->control_port, s->portal_address, s->portal_port,
                             log, &pid, error))
    {
      if (pid > 0)
        {
          /* it started but is unusable: record it so that down stops it */
          lab_state_set_int (ctx->state, K_TGTD_PID, pid);
          lab_state_set_int (ctx->state, K_TGTD_PORT, s->control_port);
        }
      return FALSE;
    }
  lab_state_set_int (ctx->state, K_TGTD_PID, pid);
  lab_state_set_int (ctx->state, K_TGTD_PORT, s->control_port);
  lab_progress_info (ctx->progress, _("Started tgtd (pid %d) on control port %u, portal %s"),
                     (int) pid, s->control_port, s->portal);
  return storage_fail_point ("storage.tgtd", error);
}

static gboolean
tgtd_undo (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  GPid pid = (GPid) lab_state_get_int (ctx->state, K_TGTD_PID, 0);
  guint16 port = (guint16) lab_state_get_int (ctx->state, K_TGTD_PORT, s->control_port);

  /* a run killed before it recorded the tgtd it started: found by its
   * command line, which names the lab's control port and portal */
  if (!lab_state_has (ctx->state, K_TGTD_PID) && lab_runner_get_mode (ctx->runner) == LAB_RUNNER_MODE_REAL)
    pid = lab_tgt_find_daemon (s->control_port, s->portal_address, s->portal_port);
  if (lab_state_has (ctx->state, K_TGTD_PID) || pid > 0)
    {
      gboolean running = FALSE;
      g_autoptr(GPtrArray) targets = NULL;

      if (!lab_tgt_ping (ctx->runner, port, &running, error))
        return FALSE;
      if (running)
        targets = lab_tgt_show (ctx->runner, port, NULL);
      if (targets != NULL && targets->len > 0)
        {
          /* someone else added targets to the tgtd labctl started: leave it running */
          lab_progress_info (ctx->progress,
                             _("Leaving tgtd (pid %d) running: it serves %u target(s) labctl did not "
                               "create; stop it with tgtadm -C %u --op delete --mode system"),
                             (int) pid, targets->len, port);
        }
      else if (!lab_tgt_stop_daemon (ctx->runner, port, pid, error))
        return FALSE;
    }
  g_clear_pointer (&s->tgt_cache, g_ptr_array_unref);
  lab_state_remove (ctx->state, K_TGTD_PID);
  lab_state_remove (ctx->state, K_TGTD_PORT);
  return TRUE;
}

static char **
tgtd_describe (LabContext *ctx, gpointer data, gboolean down)
{
  Storage *s = data;
  GPtrArray *l = g_ptr_array_new ();

  if (down)
    {
      g_ptr_array_add (l, g_strdup (_("# only if labctl started this tgtd:")));
      storage_add_line (l, ctx, lab_tgt_argv_delete_system (s->control_port));
    }
  else
    {
      g_ptr_array_add (l, g_strdup_printf (_("# only when no tgtd answers on control port %u (the tgt service):"),
                                           s->control_port));
      storage_add_line (l, ctx, lab_tgt_argv_daemon (s->control_port, s->portal_address, s->portal_port));
    }
  return lab_lines_steal (l);
}

const LabStepInfo storage_step_tgtd = {
  "storage.tgtd", N_("Run the iSCSI target daemon (tgtd)"), TRUE,
  tgtd_check, tgtd_apply, tgtd_undo, tgtd_describe };
