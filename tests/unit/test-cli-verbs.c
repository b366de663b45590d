/* test-cli-verbs.c: the command and verb tables through the built labctl
 * (env LABCTL): help, argument counts, usage errors, options before and
 * after the verb, and the completion (`labctl __complete`, and
 * data/labctl.bash-completion with bash-completion when it is installed).
 * Nothing here needs root or starts a daemon. */
#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "lab-test-cli.h"

static char *state_root;

/* The lines of text, empty ones left out. */
static GStrv
lines_of (const char *text)
{
  g_auto(GStrv) all = g_strsplit (text != NULL ? text : "", "\n", -1);
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  for (guint i = 0; all[i] != NULL; i++)
    if (all[i][0] != '\0')
      g_strv_builder_add (b, all[i]);
  return g_strv_builder_end (b);
}

static guint
count (const char *haystack, const char *needle)
{
  guint n = 0;

  for (const char *p = haystack; (p = strstr (p, needle)) != NULL; p += strlen (needle))
    n++;
  return n;
}

/* `labctl __complete -- words...` (NULL-terminated): its lines. */
static GStrv
complete (const char *first, ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_auto(LabTestRun) r = { 0 };
  const char *exe = g_getenv ("LABCTL");
  va_list ap;

  g_ptr_array_add (args, (gpointer) (exe != NULL ? exe : LABCTL_BUILD_DIR "/labctl/labctl"));
  g_ptr_array_add (args, "__complete");
  g_ptr_array_add (args, "--");
  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  if (!lab_test_run_argv (&r, NULL, (const char * const *) args->pdata))
    return g_new0 (char *, 1);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.err, ==, "");
  return lines_of (r.out);
}

static void
assert_strv (GStrv got, const char * const *want)
{
  g_autofree char *got_text = g_strjoinv (" ", got);
  g_autofree char *want_text = g_strjoinv (" ", (char **) want);

  g_assert_cmpstr (got_text, ==, want_text);
}

static void
test_command_help (void)
{
  g_auto(LabTestRun) r = { 0 };
  static const char * const verbs[] = { "list", "start", "stop", "console", "ssh", "poweroff", "snapshot", "revert" };

  if (!lab_test_run_labctl (&r, "nodes", "--help", NULL))
    return;
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.err, ==, "");
  g_assert_true (g_str_has_prefix (r.out, "Usage:\n  labctl nodes [OPTION"));
  g_assert_nonnull (strstr (r.out, "\nActions:\n"));
  for (guint i = 0; i < G_N_ELEMENTS (verbs); i++)
    {
      g_autofree char *line = g_strdup_printf ("\n  %s ", verbs[i]);

      g_assert_nonnull (strstr (r.out, line));
    }
  g_assert_nonnull (strstr (r.out, "snapshot NODE [SNAPSHOT]"));
  g_assert_nonnull (strstr (r.out, "(the default)"));
  g_assert_nonnull (strstr (r.out, "labctl nodes ACTION --help"));
  /* the verbs' own options are in their help, not here */
  g_assert_null (strstr (r.out, "--timeout"));
}

static void
test_verb_help (void)
{
  g_auto(LabTestRun) r = { 0 };
  g_auto(LabTestRun) s = { 0 };

  if (lab_test_run_labctl (&r, "nodes", "stop", "--help", NULL))
    {
      g_assert_cmpint (r.status, ==, 0);
      g_assert_cmpstr (r.err, ==, "");
      g_assert_true (g_str_has_prefix (r.out, "Usage:\n  labctl nodes stop [OPTION"));
      g_assert_nonnull (strstr (r.out, "[NODE...]"));
      g_assert_nonnull (strstr (r.out, "--timeout=SECONDS"));
      g_assert_nonnull (strstr (r.out, "--recipe"));
      g_assert_null (strstr (r.out, "--list"));
    }
  /* --help before the verb is the verb's help too */
  if (lab_test_run_labctl (&s, "nodes", "--help", "snapshot", NULL))
    {
      g_assert_cmpint (s.status, ==, 0);
      g_assert_true (g_str_has_prefix (s.out, "Usage:\n  labctl nodes snapshot [OPTION"));
      g_assert_nonnull (strstr (s.out, "--list"));
      g_assert_nonnull (strstr (s.out, "--description=TEXT"));
    }
}

/* One way for every command and every verb the tables list: exit 0, the
 * help on stdout, nothing on stderr. */
static void
test_help_everywhere (void)
{
  g_auto(GStrv) commands = complete ("", NULL);

  g_assert_cmpuint (g_strv_length (commands), >=, 9);
  for (guint i = 0; commands[i] != NULL; i++)
    {
      g_auto(GStrv) verbs = complete (commands[i], "", NULL);
      g_auto(LabTestRun) r = { 0 };
      g_autofree char *usage = g_strdup_printf ("Usage:\n  labctl %s [OPTION", commands[i]);

      if (lab_test_run_labctl (&r, commands[i], "--help", NULL))
        {
          g_assert_cmpint (r.status, ==, 0);
          g_assert_cmpstr (r.err, ==, "");
          g_assert_true (g_str_has_prefix (r.out, usage));
          g_assert_nonnull (strstr (r.out, "-h, --help"));
        }
      /* commands without verbs complete their arguments here: recipe names,
       * node names or nothing, never an action */
      if (!g_str_equal (commands[i], "nodes") && !g_str_equal (commands[i], "storage")
          && !g_str_equal (commands[i], "recipe") && !g_str_equal (commands[i], "experiment"))
        continue;
      g_assert_cmpuint (g_strv_length (verbs), >, 0);
      for (guint j = 0; verbs[j] != NULL; j++)
        {
          g_auto(LabTestRun) v = { 0 };
          g_autofree char *verb_usage = g_strdup_printf ("Usage:\n  labctl %s %s [OPTION", commands[i], verbs[j]);

          if (!lab_test_run_labctl (&v, commands[i], verbs[j], "--help", NULL))
            continue;
          g_assert_cmpint (v.status, ==, 0);
          g_assert_cmpstr (v.err, ==, "");
          g_assert_true (g_str_has_prefix (v.out, verb_usage));
        }
    }
}

static void
test_arg_counts (void)
{
  static const struct {
    const char *args[5];
    const char *says;
  } cases[] = {
    { { "nodes", "console", NULL }, "labctl nodes console: missing argument; usage: labctl nodes console NODE\n" },
    { { "nodes", "console", "pve1", "pve2", NULL }, "labctl nodes console: unexpected argument 'pve2'; usage: "
                                                    "labctl nodes console NODE\n" },
    { { "nodes", "revert", "pve1", NULL }, "labctl nodes revert: missing argument; usage: labctl nodes revert "
                                           "NODE SNAPSHOT\n" },
    { { "nodes", "snapshot", "pve1", "a", "b" }, "labctl nodes snapshot: unexpected argument 'b'" },
    { { "storage", "up", "extra", NULL }, "labctl storage up: unexpected argument 'extra'\n" },
    { { "recipe", "show", "a", "b", NULL }, "labctl recipe show: unexpected argument 'b'; usage: "
                                            "labctl recipe show [FILE]\n" },
    { { "experiment", "migrate", "x", NULL }, "labctl experiment migrate: unexpected argument 'x'\n" },
    { { "reap", NULL }, "labctl reap: missing argument; usage: labctl reap -- COMMAND [ARG...]\n" },
    { { "nodes", "poweroff", NULL }, "labctl nodes poweroff: missing argument; usage: labctl nodes poweroff NODE\n" },
    { { "class", "report", NULL }, "labctl class report: give the directory of collected results, or --hosts FILE" },
    { { "class", "report", "d", "--hosts", "h" }, "labctl class report: give DIR or --hosts FILE, not both" },
    { { "class", "report", "d", "--save", "x" }, "labctl class report: --save, --ssh-option, --exercise and "
                                                  "--labctl go with --hosts" },
    { { "class", "report", "--hosts", "h", "--timeout=0" }, "labctl class report: --timeout and --parallel must be "
                                                            "positive" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(LabTestRun) r = { 0 };
      const char * const *a = cases[i].args;

      if (!lab_test_run_labctl (&r, a[0], a[1], a[2], a[3], a[4], NULL))
        continue;
      g_assert_cmpint (r.status, ==, 2);
      g_assert_cmpstr (r.out, ==, "");
      g_assert_true (g_str_has_prefix (r.err, cases[i].says));
      g_assert_nonnull (strstr (r.err, "Try 'labctl "));
    }
}

static void
test_no_action (void)
{
  g_auto(LabTestRun) r = { 0 };
  g_auto(LabTestRun) e = { 0 };

  if (lab_test_run_labctl (&r, "storage", NULL))
    {
      g_assert_cmpint (r.status, ==, 2);
      g_assert_cmpstr (r.out, ==, "");
      g_assert_cmpuint (count (r.err, "expected one action"), ==, 1);
      g_assert_cmpuint (count (r.err, "labctl storage:"), ==, 1);
      g_assert_cmpstr (r.err, ==, "labctl storage: expected one action: up, down, status\n"
                                  "Try 'labctl storage --help'.\n");
    }
  /* options alone are no action either */
  if (lab_test_run_labctl (&e, "storage", "--dry-run", NULL))
    {
      g_assert_cmpint (e.status, ==, 2);
      g_assert_cmpuint (count (e.err, "expected one action"), ==, 1);
    }
}

static void
test_unknown_action (void)
{
  static const char * const commands[] = { "nodes", "storage", "recipe", "experiment" };

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_auto(LabTestRun) r = { 0 };
      g_autofree char *says = g_strdup_printf ("labctl %s: unknown action 'sideways'; expected one of: ",
                                               commands[i]);

      if (!lab_test_run_labctl (&r, commands[i], "sideways", NULL))
        continue;
      g_assert_cmpint (r.status, ==, 2);
      g_assert_true (g_str_has_prefix (r.err, says));
    }
}

/* A verb's options before or after it, the common ones even before the
 * command; an option of another verb is an error. */
static void
test_option_places (void)
{
  g_auto(LabTestRun) a = { 0 };
  g_auto(LabTestRun) b = { 0 };
  g_auto(LabTestRun) c = { 0 };
  g_auto(LabTestRun) d = { 0 };
  g_auto(LabTestRun) e = { 0 };
  g_auto(LabTestRun) f = { 0 };

  if (lab_test_run_labctl (&a, "nodes", "snapshot", "--list", "pve1", "--dry-run", NULL))
    {
      g_assert_cmpint (a.status, ==, 0);
      g_assert_nonnull (strstr (a.out, " snapshot-list pve1\n"));
    }
  if (lab_test_run_labctl (&b, "nodes", "--list", "--dry-run", "snapshot", "pve1", NULL))
    {
      g_assert_cmpint (b.status, ==, 0);
      g_assert_nonnull (strstr (b.out, " snapshot-list pve1\n"));
    }
  if (lab_test_run_labctl (&c, "storage", "--dry-run", "up", "--recipe", "kvm-3node", NULL))
    {
      g_assert_cmpint (c.status, ==, 0);
      g_assert_nonnull (strstr (c.out, "tgtadm --lld iscsi --op new --mode target"));
      g_assert_nonnull (strstr (c.out, "lv_node3"));
    }
  if (lab_test_run_labctl (&d, "--recipe", "kvm-3node", "--dry-run", "nodes", "stop", "--timeout", "5", NULL))
    {
      g_assert_cmpint (d.status, ==, 0);
      g_assert_cmpstr (d.out, ==, "virsh -c qemu:///system shutdown node1\n"
                                  "virsh -c qemu:///system shutdown node2\n"
                                  "virsh -c qemu:///system shutdown node3\n");
    }
  if (lab_test_run_labctl (&e, "nodes", "start", "--timeout", "5", NULL))
    {
      g_assert_cmpint (e.status, ==, 2);
      g_assert_nonnull (strstr (e.err, "--timeout"));
    }
  /* the default verb takes its options with no verb named */
  if (lab_test_run_labctl (&f, "nodes", "--dry-run", "--recipe", "kvm-3node", NULL))
    {
      g_assert_cmpint (f.status, ==, 0);
      g_assert_nonnull (strstr (f.out, "/dev/vg_iscsi/lv_node1"));
    }
}

static void
test_complete (void)
{
  g_autofree char *e2e = g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", "e2e.lab", NULL);
  g_autofree char *recipe_eq = g_strconcat ("--recipe=", e2e, NULL);

  {
    g_auto(GStrv) got = complete ("n", NULL);
    assert_strv (got, (const char * const[]) { "nodes", NULL });
  }
  {
    g_auto(GStrv) got = complete ("", NULL);

    g_assert_true (g_strv_contains ((const char * const *) got, "check"));
    g_assert_true (g_strv_contains ((const char * const *) got, "storage"));
    /* hidden */
    g_assert_false (g_strv_contains ((const char * const *) got, "reap"));
    g_assert_false (g_strv_contains ((const char * const *) got, "__complete"));
  }
  {
    g_auto(GStrv) got = complete ("nodes", "", NULL);
    assert_strv (got, (const char * const[]) { "list", "start", "stop", "console", "ssh", "poweroff", "snapshot", "revert", NULL });
  }
  {
    g_auto(GStrv) got = complete ("nodes", "snapshot", "--", NULL);
    assert_strv (got, (const char * const[]) { "--list", "--delete", "--description", "--recipe", "--json",
                                               "--dry-run", "--wait", "--progress", "--verbose", "--help", NULL });
  }
  {
    g_auto(GStrv) got = complete ("--recipe", "kvm-3node", "nodes", "start", "", NULL);
    assert_strv (got, (const char * const[]) { "node1", "node2", "node3", NULL });
  }
  {
    g_auto(GStrv) got = complete ("nodes", "stop", "--recipe=kvm-3node", "--timeout", "5", "node1", "node", NULL);
    assert_strv (got, (const char * const[]) { "node1", "node2", "node3", NULL });
  }
  {
    /* the default recipe: proxmox-3node */
    g_auto(GStrv) got = complete ("nodes", "console", "", NULL);
    assert_strv (got, (const char * const[]) { "pve1", "pve2", "pve3", NULL });
  }
  {
    g_auto(GStrv) got = complete ("nodes", "console", "pve1", "", NULL);
    assert_strv (got, (const char * const[]) { NULL });
  }
  {
    g_auto(GStrv) got = complete ("recipe", "show", "--recipe", "", NULL);
    assert_strv (got, (const char * const[]) { "container-3node", "kvm-3node", "proxmox-3node", "@files lab", NULL });
  }
  {
    g_auto(GStrv) got = complete ("recipe", "validate", "prox", NULL);
    assert_strv (got, (const char * const[]) { "proxmox-3node", "@files lab", NULL });
  }
  {
    g_auto(GStrv) got = complete ("experiment", "migrate", "--recipe", e2e, "--guest", "", NULL);
    assert_strv (got, (const char * const[]) { "tiny", NULL });
  }
  {
    g_auto(GStrv) got = complete ("experiment", recipe_eq, "migrate", "--to", "", NULL);
    assert_strv (got, (const char * const[]) { "node1", "node2", NULL });
  }
  {
    g_auto(GStrv) got = complete ("exercise", "start", "", NULL);
    assert_strv (got, (const char * const[]) { "snapshot", "clone", "template", "migrate", "storage", "ha", NULL });
  }
  {
    g_auto(GStrv) got = complete ("exercise", "check", "--recipe", e2e, "c", NULL);
    assert_strv (got, (const char * const[]) { "clone", NULL });
  }
  {
    g_auto(GStrv) got = complete ("check", "--", NULL);
    /* --sysroot is hidden */
    assert_strv (got, (const char * const[]) { "--recipe", "--json", "--progress", "--verbose", "--help", NULL });
  }
  {
    g_auto(GStrv) got = complete ("nosuch", "", NULL);
    assert_strv (got, (const char * const[]) { NULL });
  }
}

/* data/labctl.bash-completion in bash, with bash-completion's helpers. */
static void
test_bash_completion (void)
{
  const char *helpers = "/usr/share/bash-completion/bash_completion";
  g_autofree char *script = g_build_filename (LABCTL_SOURCE_DIR, "data", "labctl.bash-completion", NULL);
  g_autofree char *bin_dir = NULL;
  g_autofree char *path_env = NULL;
  g_autofree char *data_dir = g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", NULL);
  g_autofree char *program = NULL;
  g_autofree char *bash = g_find_program_in_path ("bash");
  g_auto(LabTestRun) r = { 0 };
  const char *exe = g_getenv ("LABCTL");

  if (!g_file_test (helpers, G_FILE_TEST_EXISTS) || bash == NULL)
    {
      g_test_skip ("bash-completion is not installed (Debian package bash-completion)");
      return;
    }
  bin_dir = g_path_get_dirname (exe != NULL ? exe : LABCTL_BUILD_DIR "/labctl/labctl");
  path_env = g_strdup_printf ("PATH=%s:%s", bin_dir, g_getenv ("PATH"));
  /* what bash gives a completion function for the line, cursor at the end */
  program = g_strdup_printf (
    "source %s; source %s; cd %s\n"
    "comp () {\n"
    "  COMP_LINE=$1; COMP_POINT=${#COMP_LINE}\n"
    "  COMP_WORDS=($COMP_LINE); [[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')\n"
    "  COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=()\n"
    "  _labctl labctl \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\"\n"
    "  echo \"$1|${COMPREPLY[*]}\"\n"
    "}\n"
    "comp 'labctl n'\n"
    "comp 'labctl nodes '\n"
    "comp 'labctl --recipe kvm-3node nodes start '\n"
    "comp 'labctl recipe validate e2e'\n"
    "comp 'labctl up --recipe kvm'\n"
    "comp 'labctl exercise finish s'\n",
    helpers, script, data_dir);
  {
    const char *argv[] = { bash, "-c", program, NULL };
    const char *env[] = { path_env, NULL };

    if (!lab_test_run_argv (&r, env, argv))
      return;
  }
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==,
                   "labctl n|nodes\n"
                   "labctl nodes |list start stop console ssh poweroff snapshot revert\n"
                   "labctl --recipe kvm-3node nodes start |node1 node2 node3\n"
                   "labctl recipe validate e2e|e2e.lab\n"
                   "labctl up --recipe kvm|kvm-3node\n"
                   "labctl exercise finish s|snapshot storage\n");
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  state_root = g_dir_make_tmp ("labctl-cli-verbs-XXXXXX", NULL);
  g_setenv ("LABCTL_STATE_DIR", state_root, TRUE);
  g_test_add_func ("/cli/verbs/command-help", test_command_help);
  g_test_add_func ("/cli/verbs/verb-help", test_verb_help);
  g_test_add_func ("/cli/verbs/help-everywhere", test_help_everywhere);
  g_test_add_func ("/cli/verbs/arg-counts", test_arg_counts);
  g_test_add_func ("/cli/verbs/no-action", test_no_action);
  g_test_add_func ("/cli/verbs/unknown-action", test_unknown_action);
  g_test_add_func ("/cli/verbs/option-places", test_option_places);
  g_test_add_func ("/cli/verbs/complete", test_complete);
  g_test_add_func ("/cli/verbs/bash-completion", test_bash_completion);
  rc = g_test_run ();
  g_rmdir (state_root);
  return rc;
}
