/* cmd-storage.c: `labctl storage up|down|status` — the lab's shared storage
 * (sparse image, tgt target, iSCSI attach, LVM) on its own.
 *
 * --dry-run prints the commands each step would run (no root, no daemon).
 * --json: `status` prints lab_storage_status(); up/down print
 * {"ok": true, "state": <public state>}.
 */
#include "config.h"

#include "lab-cli.h"
#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-json.h"
#include "lab-stand-storage.h"

static LabStandStorage *
open_storage (LabCli *cli, gboolean changes, GError **error)
{
  return lab_stand_storage_open (cli->recipe, cli->dry_run, changes, cli->json ? NULL : cli->out,
                                 cli->cancellable, error);
}

static gboolean
storage_status (LabCli *cli, int argc, char **argv, GError **error)
{
  g_autoptr(LabStandStorage) storage = open_storage (cli, FALSE, error);
  g_autoptr(JsonNode) status = NULL;

  if (storage == NULL)
    return FALSE;
  status = lab_stand_storage_status (storage);
  lab_cli_print_report (cli, status, lab_stand_storage_status_format);
  return TRUE;
}

static gboolean
storage_up_down (LabCli *cli, gboolean down, GError **error)
{
  g_autoptr(LabStandStorage) storage = open_storage (cli, TRUE, error);

  if (storage == NULL)
    return FALSE;
  if (cli->dry_run)
    {
      g_autofree char *text = lab_stand_storage_describe (storage, down, error);

      if (text == NULL)
        return FALSE;
      if (cli->json)
        {
          g_autoptr(JsonBuilder) b = json_builder_new ();
          g_autoptr(JsonNode) node = NULL;

          json_builder_begin_object (b);
          lab_json_member_string (b, "dry_run", text);
          json_builder_end_object (b);
          node = json_builder_get_root (b);
          lab_cli_print_json (cli, node);
        }
      else
        fputs (text, cli->out);
      return TRUE;
    }
  if (!lab_stand_storage_run (storage, down, error))
    return FALSE;
  if (cli->json)
    {
      g_autoptr(JsonNode) status = lab_stand_storage_status (storage);
      lab_cli_print_json (cli, status);
    }
  return TRUE;
}

static gboolean
storage_up (LabCli *cli, int argc, char **argv, GError **error)
{
  return storage_up_down (cli, FALSE, error);
}

static gboolean
storage_down (LabCli *cli, int argc, char **argv, GError **error)
{
  return storage_up_down (cli, TRUE, error);
}

static const LabCommand storage_verbs[] = {
  {
    .name = "up",
    .summary = N_("Build the shared storage, or continue an interrupted build (root)"),
    .common = LAB_CLI_OPT_ALL,
    .handler = storage_up,
    .flags = LAB_CLI_LOCKS_LAB,
  },
  {
    .name = "down",
    .summary = N_("Remove the shared storage the lab made (root)"),
    .common = LAB_CLI_OPT_ALL,
    .handler = storage_down,
    .flags = LAB_CLI_LOCKS_LAB,
  },
  {
    .name = "status",
    .summary = N_("Show every piece of the shared storage as it is now"),
    .common = LAB_CLI_OPT_ALL,
    .handler = storage_status,
  },
  { NULL }
};

const LabCommand lab_command_storage = {
  .name = "storage",
  .summary = N_("Build, remove or show the lab's shared storage: iSCSI target and LVM (up | down | status)"),
  .description = N_("The lab's shared storage on its own: a sparse image exported by a loopback "
                    "iSCSI target (tgt) bound to the lab's own initiators (its addresses, or "
                    "its nodes' and this host's initiator names), attached on this host "
                    "(open-iscsi, or qemu-storage-daemon where the kernel has no initiator), "
                    "LVM on it with one logical volume per node.\n\n"
                    "up and down need root; --dry-run prints the tgtadm, iscsiadm and LVM "
                    "commands instead. Environment: LABCTL_STORAGE_ATTACH=iscsiadm|fuse|auto, "
                    "LABCTL_LVM_SYSTEM_DIR=DIR (a private lvm.conf)."),
  .common = LAB_CLI_OPT_ALL,
  .verbs = storage_verbs,
};
