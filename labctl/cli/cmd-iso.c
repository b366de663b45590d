/* cmd-iso.c: `labctl iso list|fetch|add|verify|remove` — the machine's
 * ISO cache (stand/lab-stand-iso.h), shared by every lab.
 *
 * --json: list and verify print their report; fetch, add and remove print
 * {"ok": true, "name": ...}.
 */
#include "config.h"

#include "lab-cli.h"
#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-json.h"
#include "lab-stand-iso.h"

#include <unistd.h>

static char *opt_url;
static char *opt_mirror;
static char *opt_sha256;

/* Progress goes to stderr with --json (stdout is the report). */
static FILE *
progress_stream (LabCli *cli, gboolean *tty)
{
  FILE *f = cli->json ? cli->err : cli->out;

  *tty = isatty (fileno (f));
  return f;
}

static void
print_ok (LabCli *cli, const char *name, guint removed)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (b);
  lab_json_member_boolean (b, "ok", TRUE);
  lab_json_member_string (b, "name", name);
  if (removed != G_MAXUINT)
    lab_json_member_int (b, "removed_files", removed);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  lab_cli_print_json (cli, node);
}

static gboolean
iso_list (LabCli *cli, int argc, char **argv, GError **error)
{
  g_autoptr(JsonNode) list = lab_stand_iso_list (error);

  if (list == NULL)
    return FALSE;
  lab_cli_print_report (cli, list, lab_stand_iso_list_format);
  return TRUE;
}

static gboolean
iso_fetch (LabCli *cli, int argc, char **argv, GError **error)
{
  gboolean tty;
  FILE *f = progress_stream (cli, &tty);

  if (opt_url != NULL && opt_mirror != NULL)
    {
      lab_cli_set_usage_error (error, cli->command, _("give --url or --mirror, not both"));
      return FALSE;
    }
  if (!lab_stand_iso_fetch (argv[1], opt_url, opt_mirror, f, tty, cli->cancellable, error))
    return FALSE;
  if (cli->json)
    print_ok (cli, argv[1], G_MAXUINT);
  return TRUE;
}

static gboolean
iso_add (LabCli *cli, int argc, char **argv, GError **error)
{
  gboolean tty;
  FILE *f = progress_stream (cli, &tty);
  g_autofree char *name = NULL;

  if (!lab_stand_iso_add (argv[1], opt_sha256, f, tty, &name, cli->cancellable, error))
    return FALSE;
  if (cli->json)
    print_ok (cli, name, G_MAXUINT);
  else
    fprintf (cli->out, _("%s added to the ISO cache as %s\n"), argv[1], name);
  return TRUE;
}

static gboolean
iso_verify (LabCli *cli, int argc, char **argv, GError **error)
{
  gboolean tty;
  FILE *f = progress_stream (cli, &tty);
  g_autoptr(JsonNode) report = NULL;
  gboolean ok = lab_stand_iso_verify (argc > 1 ? argv[1] : NULL, cli->json ? NULL : f, tty, &report,
                                      cli->cancellable, error);

  if (cli->json && report != NULL)
    lab_cli_print_json (cli, report);
  return ok;
}

static gboolean
iso_remove (LabCli *cli, int argc, char **argv, GError **error)
{
  guint removed = 0;

  if (!lab_stand_iso_remove (argv[1], &removed, error))
    return FALSE;
  if (cli->json)
    print_ok (cli, argv[1], removed);
  else
    fprintf (cli->out, ngettext ("%s: %u file removed from the ISO cache\n",
                                 "%s: %u files removed from the ISO cache\n", removed), argv[1], removed);
  return TRUE;
}

static const GOptionEntry fetch_options[] = {
  { "url", 0, 0, G_OPTION_ARG_STRING, &opt_url, N_("Download from this URL instead of the catalogue's"), N_("URL") },
  { "mirror", 0, 0, G_OPTION_ARG_STRING, &opt_mirror,
    N_("Download from this mirror: BASE-URL/<file name> (e.g. https://download.proxmox.com/iso)"), N_("BASE-URL") },
  { NULL }
};

static const GOptionEntry add_options[] = {
  { "sha256", 0, 0, G_OPTION_ARG_STRING, &opt_sha256,
    N_("The file's published SHA-256: accept an ISO that is not in the catalogue (checked first)"), N_("SUM") },
  { NULL }
};

static const LabCommand iso_verbs[] = {
  {
    .name = "list",
    .summary = N_("List the catalogue's ISOs and what the cache holds"),
    .common = LAB_CLI_OPT_JSON,
    .handler = iso_list,
    .flags = LAB_CLI_DEFAULT,
  },
  {
    .name = "fetch",
    .parameter_string = N_("NAME"),
    .summary = N_("Download an ISO of the catalogue into the cache (resumes; checks the SHA-256)"),
    .min_args = 1,
    .max_args = 1,
    .common = LAB_CLI_OPT_JSON,
    .options = fetch_options,
    .handler = iso_fetch,
  },
  {
    .name = "add",
    .parameter_string = N_("FILE"),
    .summary = N_("Put an ISO you already have into the cache (checked against the catalogue, or --sha256)"),
    .min_args = 1,
    .max_args = 1,
    .common = LAB_CLI_OPT_JSON,
    .options = add_options,
    .complete = LAB_CLI_COMPLETE_FILES,
    .handler = iso_add,
  },
  {
    .name = "verify",
    .parameter_string = N_("[NAME]"),
    .summary = N_("Read the cached ISOs (or one) again and compare their SHA-256"),
    .max_args = 1,
    .common = LAB_CLI_OPT_JSON,
    .handler = iso_verify,
  },
  {
    .name = "remove",
    .parameter_string = N_("NAME"),
    .summary = N_("Delete an ISO from the cache, with what labctl prepared from it"),
    .min_args = 1,
    .max_args = 1,
    .common = LAB_CLI_OPT_JSON,
    .handler = iso_remove,
  },
  { NULL }
};

const LabCommand lab_command_iso = {
  .name = "iso",
  .summary = N_("Manage the ISO cache: install media shared by every lab (list | fetch | add | verify | remove)"),
  .description = N_("The install media labctl knows are listed in its catalogue (name, version, URL, "
                    "SHA-256). `fetch` downloads one into the cache, resuming an interrupted download; "
                    "`add` takes a file you already have (offline machines). No ISO is used before its "
                    "SHA-256 matched. `labctl up` fetches what the recipe needs by itself.\n\n"
                    "The cache: /var/cache/labctl/iso for root, ~/.cache/labctl/iso otherwise; "
                    "LABCTL_ISO_DIR=DIR puts it elsewhere."),
  .common = LAB_CLI_OPT_JSON,
  .verbs = iso_verbs,
};
