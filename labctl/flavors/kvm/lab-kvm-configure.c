/* lab-kvm-configure.c: step nodes.configure:<node>: inside the node, over
 * ssh: open-iscsi discovers the host's target at the lab network's gateway
 * and logs in with the node's own initiator name (node.startup automatic,
 * so a reboot logs in again), the LUN appears under /dev/disk/by-path, LVM
 * sees the lab's VG on it, libvirtd answers. A failure quotes the node's
 * own message (iscsiadm's, vgs'). undo logs out when the node answers.
 * State: kvm.node.<node>.configured_boot, the boot it was configured in. */
#include "config.h"

#include "lab-kvm.h"
#include "lab-kvm-private.h"

#include <string.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-util.h"

/* iscsiadm: "session already present" */
#define ISCSI_ERR_SESS_EXISTS 15
#define LUN_WAIT_S 30
/* the boot id (kvm.node.<node>.boot_id) the node was configured in */
#define K_CONFIGURED_BOOT "kvm.node.%s.configured_boot"

static char *
portal (LabRecipe *r)
{
  return g_strdup_printf ("%s:%u", r->portal_address, r->portal_port);
}

static char *
lun_path (LabRecipe *r)
{
  g_autofree char *p = portal (r);

  return g_strdup_printf ("/dev/disk/by-path/ip-%s-iscsi-%s-lun-1", p, r->iqn);
}

/* The commands of the step (for apply and describe), one argv each. */
static GPtrArray *
configure_commands (LabContext *ctx)
{
  LabRecipe *r = ctx->recipe;
  GPtrArray *c = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autofree char *p = portal (r);
  g_autofree char *lun = lun_path (r);
  g_autofree char *wait = g_strdup_printf ("for i in $(seq %d); do test -b %s && exit 0; sleep 0.5; done; exit 1",
                                           LUN_WAIT_S * 2, lun);

  g_ptr_array_add (c, lab_strv_new ("iscsiadm", "-m", "discovery", "-t", "sendtargets", "-p", p, NULL));
  g_ptr_array_add (c, lab_strv_new ("iscsiadm", "-m", "node", "-T", r->iqn, "-p", p, "--op", "update",
                                    "-n", "node.startup", "-v", "automatic", NULL));
  if (r->chap)
    {
      const char *user = lab_state_get_string (ctx->state, "storage.chap.user");
      const char *secret = lab_state_get_secret (ctx->state, "storage.chap.password");
      if (secret != NULL)
        lab_runner_add_secret (ctx->runner, secret);
      g_ptr_array_add (c, lab_strv_new ("iscsiadm", "-m", "node", "-T", r->iqn, "-p", p, "--op", "update",
                                        "-n", "node.session.auth.authmethod", "-v", "CHAP", NULL));
      g_ptr_array_add (c, lab_strv_new ("iscsiadm", "-m", "node", "-T", r->iqn, "-p", p, "--op", "update",
                                        "-n", "node.session.auth.username", "-v", user != NULL ? user : "", NULL));
      g_ptr_array_add (c, lab_strv_new ("iscsiadm", "-m", "node", "-T", r->iqn, "-p", p, "--op", "update",
                                        "-n", "node.session.auth.password", "-v", secret != NULL ? secret : "",
                                        NULL));
    }
  g_ptr_array_add (c, lab_strv_new ("iscsiadm", "-m", "node", "-T", r->iqn, "-p", p, "--login", NULL));
  g_ptr_array_add (c, lab_strv_new ("sh", "-c", wait, NULL));
  g_ptr_array_add (c, lab_strv_new ("vgs", "--noheadings", "-o", "vg_name", r->vg_name, NULL));
  g_ptr_array_add (c, lab_strv_new ("systemctl", "start", "libvirtd.service", NULL));
  g_ptr_array_add (c, lab_strv_new ("virsh", "-c", "qemu:///system", "version", NULL));
  return c;
}

gboolean
lab_kvm_configure_node (LabContext *ctx, const LabNode *node, GError **error)
{
  LabRecipe *r = ctx->recipe;
  g_autoptr(GPtrArray) cmds = configure_commands (ctx);
  g_autofree char *lun = lun_path (r);
  gint64 t0 = g_get_monotonic_time ();

  for (guint i = 0; i < cmds->len; i++)
    {
      char **argv = g_ptr_array_index (cmds, i);
      g_auto(GStrv) ssh = lab_kvm_ssh_argv (ctx, node, (const char * const *) argv);
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      int status = 0;

      if (!lab_runner_run_full (ctx->runner, (const char * const *) ssh, 0, NULL, LAB_KVM_COMMAND_TIMEOUT_MS,
                                &status, &out, &err, ctx->cancellable, error))
        return FALSE;
      if (status == 0)
        {
          if (g_str_equal (argv[0], "vgs") && !lab_runner_is_dry_run (ctx->runner)
              && (out == NULL || strstr (out, r->vg_name) == NULL))
            {
              g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                           _("Node %s is logged in to the LUN (%s) but LVM there does not see volume group %s"),
                           node->name, lun, r->vg_name);
              return FALSE;
            }
          continue;
        }
      if (g_str_equal (argv[0], "iscsiadm") && g_strv_contains ((const char * const *) argv, "--login")
          && status == ISCSI_ERR_SESS_EXISTS)
        continue;
      {
        g_autofree char *line = g_strjoinv (" ", argv);
        const char *why = err != NULL && *g_strstrip (err) != '\0' ? err : (out != NULL ? g_strstrip (out) : "");
        if (g_str_equal (argv[0], "sh"))
          g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                       _("Node %s logged in to the target, but the LUN did not appear as %s within %d s"),
                       node->name, lun, LUN_WAIT_S);
        else
          g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL, _("On node %s, '%s' failed (exit %d): %s"), node->name,
                       line, status, why);
        return FALSE;
      }
    }
  {
    /* configured in this boot (the one nodes.install saw) */
    g_autofree char *k_boot = g_strdup_printf ("kvm.node.%s.boot_id", node->name);
    g_autofree char *k_conf = g_strdup_printf (K_CONFIGURED_BOOT, node->name);
    const char *boot = lab_state_get_string (ctx->state, k_boot);
    if (boot != NULL)
      lab_state_set_string (ctx->state, k_conf, boot);
  }
  lab_progress_info (ctx->progress, _("node %s: logged in to %s as %s, sees VG %s, libvirtd answers (%.1f s)"),
                     node->name, r->iqn, node->name, r->vg_name, (g_get_monotonic_time () - t0) / 1e6);
  return TRUE;
}

/* Done when the node was configured in the boot it runs now (the one
 * nodes.install, just before, saw answer): a node started again since
 * (a fence, a power cut) is configured again, libvirtd started. */
static gboolean
configure_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  LabNode *node = data;
  g_autofree char *k_boot = g_strdup_printf ("kvm.node.%s.boot_id", node->name);
  g_autofree char *k_conf = g_strdup_printf (K_CONFIGURED_BOOT, node->name);
  const char *conf = lab_state_get_string (ctx->state, k_conf);

  *done = conf != NULL && g_strcmp0 (conf, lab_state_get_string (ctx->state, k_boot)) == 0;
  return TRUE;
}

static gboolean
configure_apply (LabContext *ctx, gpointer data, GError **error)
{
  return lab_kvm_configure_node (ctx, data, error);
}

static gboolean
configure_undo (LabContext *ctx, gpointer data, GError **error)
{
  LabNode *node = data;
  LabRecipe *r = ctx->recipe;
  g_autofree char *p = portal (r);
  const char *logout[] = { "iscsiadm", "-m", "node", "-T", r->iqn, "-p", p, "--logout", NULL };
  g_auto(GStrv) ssh = lab_kvm_ssh_argv (ctx, node, logout);
  int status = 0;

  /* a node that does not answer is about to be destroyed: its session
   * ends with it */
  lab_runner_run_full (ctx->runner, (const char * const *) ssh, 0, NULL, 30000, &status, NULL, NULL,
                       ctx->cancellable, NULL);
  {
    g_autofree char *k_conf = g_strdup_printf (K_CONFIGURED_BOOT, node->name);
    lab_state_remove (ctx->state, k_conf);
  }
  return TRUE;
}

static char **
configure_describe (LabContext *ctx, gpointer data, gboolean down)
{
  LabNode *node = data;
  LabRecipe *r = ctx->recipe;
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) cmds = NULL;
  g_autofree char *p = portal (r);

  if (down)
    {
      const char *logout[] = { "iscsiadm", "-m", "node", "-T", r->iqn, "-p", p, "--logout", NULL };
      g_ptr_array_add (lines, lab_kvm_ssh_describe (ctx, node, logout));
      return lab_lines_steal (g_steal_pointer (&lines));
    }
  cmds = configure_commands (ctx);
  for (guint i = 0; i < cmds->len; i++)
    g_ptr_array_add (lines, lab_kvm_ssh_describe (ctx, node, g_ptr_array_index (cmds, i)));
  return lab_lines_steal (g_steal_pointer (&lines));
}

const LabStepInfo lab_kvm_configure_step = {
  "nodes.configure", N_("Configure node %s: iSCSI login, shared VG, libvirt"), FALSE,
  configure_check, configure_apply, configure_undo, configure_describe,
};
