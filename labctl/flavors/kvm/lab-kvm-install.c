/* lab-kvm-install.c: step nodes.install:<node>: the installed node is up:
 * its sshd answers as root with labctl's key and the host key labctl
 * pinned. A node that never answers is an error that names it, its
 * address and its console log (with the log's last lines); a node that
 * answers with another host key is refused at once.
 * State: kvm.node.<node>.boot_id (the boot that answered); the step is
 * done while the node runs that boot. */
#include "config.h"

#include "lab-kvm.h"
#include "lab-kvm-private.h"

#include <string.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-util.h"

#define RETRY_MS 2000
#define CHECK_ATTEMPT_MS (30 * 1000)

/* The last lines of a file, or "" */
static char *
tail_of (const char *path, guint lines)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) all = NULL;
  guint n, from;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("");
  all = g_strsplit (g_strchomp (text), "\n", -1);
  n = g_strv_length (all);
  from = n > lines ? n - lines : 0;
  return g_strjoinv ("\n", all + from);
}

gboolean
lab_kvm_wait_ssh (LabContext *ctx, const LabNode *node, guint timeout_ms, GError **error)
{
  const char *boot_id[] = { "cat", "/proc/sys/kernel/random/boot_id", NULL };
  g_auto(GStrv) argv = lab_kvm_ssh_argv (ctx, node, boot_id);
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gint64 t0 = g_get_monotonic_time ();
  g_autofree char *last = NULL;

  for (;;)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      int status = 0;

      if (!lab_runner_run_full (ctx->runner, (const char * const *) argv, 0, NULL, LAB_KVM_SSH_ATTEMPT_MS, &status, &out, &err,
                                ctx->cancellable, error))
        {
          if (!g_error_matches (*error, LAB_ERROR, LAB_ERROR_TIMEOUT))
            return FALSE;
          g_clear_error (error);
          status = -1;
        }
      if (status == 0)
        {
          g_autofree char *key = g_strdup_printf ("kvm.node.%s.boot_id", node->name);
          lab_state_set_string (ctx->state, key, g_strstrip (out));
          lab_progress_info (ctx->progress, _("node %s answers ssh at %s after %.0f s"), node->name,
                             node->address, (g_get_monotonic_time () - t0) / 1e6);
          return TRUE;
        }
      if (err != NULL && (strstr (err, "Host key verification failed") != NULL
                          || strstr (err, "REMOTE HOST IDENTIFICATION HAS CHANGED") != NULL))
        {
          g_autofree char *known = lab_kvm_known_hosts (ctx);
          g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                       _("Node %s at %s answers ssh with a host key that is not the one labctl gave it (pinned "
                         "in %s); refusing to talk to it. Another machine may have the address, or the node's "
                         "disk was changed: run 'labctl down' and 'labctl up'"),
                       node->name, node->address, known);
          return FALSE;
        }
      g_free (last);
      last = g_strdup (err != NULL ? g_strstrip (err) : "");
      if (g_get_monotonic_time () >= deadline)
        {
          g_autofree char *log = lab_kvm_console_log (ctx, node);
          g_autofree char *tail = tail_of (log, 8);
          g_set_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT,
                       _("Node %s did not answer ssh at %s within %u s (ssh said: %s). Its console log is %s; "
                         "its last lines:\n%s"),
                       node->name, node->address, timeout_ms / 1000, last, log, tail);
          return FALSE;
        }
      if (g_cancellable_is_cancelled (ctx->cancellable))
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_CANCELLED, _("Interrupted"));
          return FALSE;
        }
      g_usleep (RETRY_MS * 1000);
    }
}

/* Done when the node answers ssh in the boot the step saw: a node
 * started again since (fenced by the cluster, powered off and started
 * by the plan) is waited for again, and so configured again (its
 * nodes.configure is keyed on this boot id). One attempt: a node that
 * does not answer is not done. A dry run goes by the state. */
static gboolean
install_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  LabNode *node = data;
  const char *boot_id[] = { "cat", "/proc/sys/kernel/random/boot_id", NULL };
  g_autofree char *key = g_strdup_printf ("kvm.node.%s.boot_id", node->name);
  const char *seen = lab_state_get_string (ctx->state, key);
  g_auto(GStrv) argv = NULL;
  g_autofree char *out = NULL;
  int status = -1;

  *done = FALSE;
  if (seen == NULL)
    return TRUE;
  if (lab_runner_is_dry_run (ctx->runner))
    {
      *done = TRUE;
      return TRUE;
    }
  argv = lab_kvm_ssh_argv (ctx, node, boot_id);
  if (lab_runner_run_full (ctx->runner, (const char * const *) argv, 0, NULL, CHECK_ATTEMPT_MS, &status, &out, NULL,
                           ctx->cancellable, NULL)
      && status == 0)
    *done = g_str_equal (g_strstrip (out), seen);
  return TRUE;
}

static gboolean
install_apply (LabContext *ctx, gpointer data, GError **error)
{
  return lab_kvm_wait_ssh (ctx, data, LAB_KVM_SSH_TIMEOUT_MS, error);
}

static gboolean
install_undo (LabContext *ctx, gpointer data, GError **error)
{
  LabNode *node = data;
  g_autofree char *key = g_strdup_printf ("kvm.node.%s.boot_id", node->name);

  /* the nodes stop next: their shared ssh connections go first */
  lab_kvm_ssh_close (ctx, node);
  lab_state_remove (ctx->state, key);
  return TRUE;
}

static char **
install_describe (LabContext *ctx, gpointer data, gboolean down)
{
  LabNode *node = data;
  const char *boot_id[] = { "cat", "/proc/sys/kernel/random/boot_id", NULL };
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *log = lab_kvm_console_log (ctx, node);

  if (down)
    return lab_lines_steal (g_steal_pointer (&lines));
  g_ptr_array_add (lines, g_strdup_printf ("# every 2 s until it answers (at most %u s; the boot: %s)",
                                           LAB_KVM_SSH_TIMEOUT_MS / 1000, log));
  g_ptr_array_add (lines, lab_kvm_ssh_describe (ctx, node, boot_id));
  return lab_lines_steal (g_steal_pointer (&lines));
}

const LabStepInfo lab_kvm_install_step = {
  "nodes.install", N_("Wait until node %s answers ssh"), FALSE,
  install_check, install_apply, install_undo, install_describe,
};
