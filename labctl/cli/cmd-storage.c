/* cmd-storage.c: `labctl storage up|down|status` — the lab's shared storage
 * (sparse image, tgt target, iSCSI attach, LVM) on its own.
 *
 * --dry-run prints the commands each step would run (no root, no daemon).
 * --json: `status` prints lab_storage_status(); up/down print
 * {"ok": true, "state": <public state>}.
 */
#include "config.h"

#include <unistd.h>

#include "lab-cli.h"
#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-plan.h"
#include "lab-recipe.h"
#include "lab-runner.h"
#include "lab-state.h"
#include "lab-storage.h"

gboolean
lab_cmd_storage (LabCli *cli, int argc, char **argv, GError **error)
{
  g_autoptr(LabRecipe) recipe = NULL;
  g_autoptr(LabState) state = NULL;
  g_autoptr(LabRunner) runner = NULL;
  g_autoptr(LabPlan) plan = NULL;
  g_autoptr(LabProgress) progress = NULL;
  g_autofree char *path = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *log = NULL;
  LabContext ctx = { 0 };
  const char *action;
  gboolean down;

  if (!lab_cli_parse (cli, "storage", "up|down|status",
                      _("The lab's shared storage on its own: a sparse image exported by a loopback "
                        "iSCSI target (tgt) bound to the lab's addresses, attached on this host "
                        "(open-iscsi, or qemu-storage-daemon where the kernel has no initiator), "
                        "LVM on it with one logical volume per node.\n\n"
                        "up and down need root; --dry-run prints the tgtadm, iscsiadm and LVM "
                        "commands instead. Environment: LABCTL_STORAGE_ATTACH=iscsiadm|fuse|auto, "
                        "LABCTL_LVM_SYSTEM_DIR=DIR (a private lvm.conf)."),
                      LAB_CLI_OPT_ALL, NULL, &argc, &argv, error))
    return error == NULL || *error == NULL;

  if (argc != 2)
    {
      lab_cli_set_usage_error (error, "storage", _("labctl storage: expected one action: up, down or status"));
      return FALSE;
    }
  action = argv[1];
  if (!g_str_equal (action, "up") && !g_str_equal (action, "down") && !g_str_equal (action, "status"))
    {
      lab_cli_set_usage_error (error, "storage", _("labctl storage: unknown action '%s' (up, down, status)"),
                               action);
      return FALSE;
    }
  down = g_str_equal (action, "down");

  path = lab_recipe_resolve_path (cli->recipe, error);
  if (path == NULL)
    return FALSE;
  recipe = lab_recipe_load (path, error);
  if (recipe == NULL)
    return FALSE;

  dir = lab_state_dir_for_lab (recipe->name);
  state = lab_state_load (dir, recipe->name, error);
  if (state == NULL)
    return FALSE;

  runner = lab_runner_new (cli->dry_run ? LAB_RUNNER_MODE_DRY_RUN : LAB_RUNNER_MODE_REAL);
  if (!cli->dry_run && !g_str_equal (action, "status") && geteuid () == 0)
    {
      log = g_build_filename (dir, "labctl.log", NULL);
      g_mkdir_with_parents (dir, 0700);
      lab_runner_set_log_path (runner, log);
    }
  if (!cli->json)
    progress = lab_progress_new_for_stream (cli->out);

  ctx.recipe = recipe;
  ctx.state = state;
  ctx.runner = runner;
  ctx.progress = progress;
  ctx.cancellable = cli->cancellable;
  ctx.dry_run = cli->dry_run;
  ctx.sysroot = "/";

  if (g_str_equal (action, "status"))
    {
      g_autoptr(JsonNode) status = lab_storage_status (&ctx);

      if (cli->json)
        lab_cli_print_json (cli, status);
      else
        {
          g_autofree char *text = lab_storage_status_to_text (status);
          fputs (text, cli->out);
        }
      return TRUE;
    }

  plan = lab_plan_new (&ctx);
  if (!lab_storage_add_steps (plan, &ctx, error))
    return FALSE;

  if (cli->dry_run)
    {
      g_autoptr(GString) out = g_string_new (NULL);

      lab_plan_describe (plan, down, out);
      if (cli->json)
        {
          g_autoptr(JsonBuilder) b = json_builder_new ();
          g_autoptr(JsonNode) node = NULL;

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "dry_run");
          json_builder_add_string_value (b, out->str);
          json_builder_end_object (b);
          node = json_builder_get_root (b);
          lab_cli_print_json (cli, node);
        }
      else
        fputs (out->str, cli->out);
      return TRUE;
    }

  if (lab_plan_needs_root (plan, down) && geteuid () != 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_PERMISSION,
                   _("run as root: sudo labctl storage %s (tgtadm, iscsiadm and LVM need it; "
                     "--dry-run shows the commands without root)"), action);
      return FALSE;
    }

  if (!(down ? lab_plan_down (plan, error) : lab_plan_up (plan, error)))
    {
      if (log != NULL)
        g_prefix_error (error, _("(log: %s) "), log);
      return FALSE;
    }

  if (cli->json)
    {
      g_autoptr(JsonNode) status = lab_storage_status (&ctx);
      lab_cli_print_json (cli, status);
    }
  return TRUE;
}
