/* cmd-check.c: `labctl check`: can this host run the lab?
 *
 * Text: one line per check ("PASS  kvm.nested  Nested virtualization is
 * enabled"), an indented "fix:" block under each WARN and FAIL, a summary.
 * --json: one object
 *   {"checks": [{"id", "status": "pass|warn|fail|skip", "message", "fix"|null}, ...],
 *    "summary": {"pass": n, "warn": n, "fail": n, "skip": n}, "ok": bool,
 *    "recipe": path|null, "sysroot": "/"}
 * Exit status: 0 when no check FAILs (warnings allowed), 1 otherwise.
 */
#include "config.h"

#include "lab-cli.h"
#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-stand-host.h"

static char *opt_sysroot;

static const GOptionEntry check_options[] = {
  { "sysroot", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &opt_sysroot,
    N_("Read /proc, /sys and /dev under DIR (tests; default $LABCTL_SYSROOT or /)"), N_("DIR") },
  { NULL }
};

static const LabCliOptionComplete check_option_complete[] = {
  { "sysroot", LAB_CLI_COMPLETE_DIRS },
  { NULL }
};

static gboolean
cmd_check (LabCli *cli, int argc, char **argv, GError **error)
{
  g_autoptr(LabStandHostCheck) check = lab_stand_host_check (cli->recipe, opt_sysroot, error);

  if (check == NULL)
    return FALSE;
  if (cli->json)
    {
      g_autoptr(JsonNode) root = lab_stand_host_check_to_json (check);

      lab_cli_print_json (cli, root);
    }
  else
    {
      g_autofree char *text = lab_stand_host_check_format (check, cli->color);

      fputs (text, cli->out);
      fflush (cli->out);
    }
  /* FALSE without an error: the exit status is 1, the output above says why */
  return lab_stand_host_check_ok (check);
}

const LabCommand lab_command_check = {
  .name = "check",
  .summary = N_("Check that this host can run the lab (CPU, KVM, nesting, memory, disk, tools)"),
  .description = N_("Checks that this host can run the lab: CPU virtualization, KVM, nested "
                    "virtualization, memory, disk, tools and libvirt. Every warning and failure "
                    "comes with the commands that fix it.\n\n"
                    "--json prints one object: {\"checks\": [{\"id\", \"status\" (pass|warn|fail|skip), "
                    "\"message\", \"fix\" (null when none)}...], \"summary\", \"ok\", \"recipe\", \"sysroot\"}.\n\n"
                    "Exit status: 0 when nothing fails (warnings allowed), 1 when a check fails."),
  .common = LAB_CLI_OPT_RECIPE | LAB_CLI_OPT_JSON,
  .options = check_options,
  .option_complete = check_option_complete,
  .handler = cmd_check,
};
