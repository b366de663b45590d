/* test-gui-pkexec.c: the GUI's privileged children through the real
 * pkexec (root sets up, the GUI's side runs as nobody; suite system).
 *
 * In a mount namespace of its own the test starts what a desktop has: a
 * system bus (dbus-daemon --system, on a tmpfs over /run/dbus) and polkitd
 * (it drops to user polkitd), with the actions of this machine plus labctl's policy
 * as meson builds it (gui/example.labctl.policy, its exec.path pointed at
 * the build tree's labctl) and one rule in /etc/polkit-1/rules.d (private
 * copies, bind-mounted): the stand-in for the administrator who types the
 * password. The rule says yes to example.labctl.up for nobody when the
 * program is this labctl, and no to example.labctl.down.
 *
 * Then, as nobody, lab-gui-child.c starts `up --dry-run` privileged: the
 * command line is pkexec labctl ...; polkit must match the policy's action
 * for the verb (the rule answers only that one), labctl runs as root (its
 * dry run shows root's state directory, /var/lib/labctl) and the GUI reads
 * its --progress=json stream through pkexec. `down --dry-run` is refused:
 * the child ends with pkexec's 127 and its "Not authorized", which the
 * Build page shows as it comes. Nothing is left: the namespace's mounts go
 * with the process, the bus and polkitd are stopped. */
#define _GNU_SOURCE   /* unshare () */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "lab-gui-child.h"
#include "lab-test-fs.h"

#define NOBODY 65534

static char *work;
static GPid dbus_pid, polkitd_pid;

/* ---- as nobody: the GUI's side -------------------------------------------- */

typedef struct {
  GMainLoop *loop;
  guint      n_steps;
  guint      n_commands;
  gboolean   root_state;    /* a command names /var/lib/labctl */
  gboolean   result_ok;
  int        status;
  char      *err;
} Run;

static void
on_event (JsonObject *event, gpointer user_data)
{
  Run *run = user_data;
  const char *name = json_object_get_string_member_with_default (event, "event", "");
  const char *text = json_object_get_string_member_with_default (event, "text", "");

  if (g_str_equal (name, "step-started"))
    run->n_steps++;
  else if (g_str_equal (name, "command"))
    {
      run->n_commands++;
      if (strstr (text, "/var/lib/labctl/") != NULL)
        run->root_state = TRUE;
    }
  else if (g_str_equal (name, "result"))
    run->result_ok = json_object_get_boolean_member_with_default (event, "ok", FALSE);
}

static void
on_done (int status, const char *err, gpointer user_data)
{
  Run *run = user_data;

  run->status = status;
  run->err = g_strdup (err);
  g_main_loop_quit (run->loop);
}

/* `test-gui-pkexec --child VERB RECIPE`: one privileged child, its outcome
 * as a line of JSON on stdout */
static int
child_main (const char *verb, const char *recipe)
{
  const char *args[] = { verb, "--dry-run", "--recipe", recipe, NULL };
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = lab_gui_child_argv (args, TRUE, geteuid ());
  Run run = { g_main_loop_new (NULL, FALSE), 0 };
  g_autofree char *err_json = NULL;

  if (lab_gui_child_start (args, TRUE, on_event, on_done, &run, &error) == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  g_main_loop_run (run.loop);
  err_json = g_strescape (run.err != NULL ? run.err : "", NULL);
  g_print ("{\"uid\":%u,\"argv0\":\"%s\",\"steps\":%u,\"commands\":%u,\"root_state\":%s,\"ok\":%s,"
           "\"status\":%d,\"stderr\":\"%s\"}\n", (guint) geteuid (), argv[0], run.n_steps, run.n_commands,
           run.root_state ? "true" : "false", run.result_ok ? "true" : "false", run.status, err_json);
  g_main_loop_unref (run.loop);
  g_free (run.err);
  return 0;
}

/* ---- as root: the desktop around it --------------------------------------- */

static void
become_nobody (gpointer data)
{
  if (setgroups (0, NULL) != 0 || setgid (NOBODY) != 0 || setuid (NOBODY) != 0)
    _exit (126);
}

static JsonObject *
run_as_nobody (const char *verb, JsonParser *parser)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                                                       | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *recipe = g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", "e2e.lab", NULL);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;

  g_subprocess_launcher_set_child_setup (launcher, become_nobody, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "HOME", work, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "XDG_RUNTIME_DIR");
  proc = g_subprocess_launcher_spawn (launcher, &error, self, "--child", verb, recipe, NULL);
  g_assert_no_error (error);
  if (proc == NULL)
    return NULL;
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_test_message ("%s as nobody: %s%s", verb, out, err);
  if (out == NULL || !json_parser_load_from_data (parser, out, -1, NULL))
    return NULL;
  return json_node_get_object (json_parser_get_root (parser));
}

static void
test_authorized (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o = run_as_nobody ("up", parser);

  g_assert_nonnull (o);
  if (o == NULL)
    return;
  g_assert_cmpint (json_object_get_int_member (o, "uid"), ==, NOBODY);
  g_assert_cmpstr (json_object_get_string_member (o, "argv0"), ==, "pkexec");
  g_assert_cmpint (json_object_get_int_member (o, "status"), ==, 0);
  g_assert_true (json_object_get_boolean_member (o, "ok"));
  /* the whole stream came through pkexec, from a labctl running as root */
  g_assert_cmpint (json_object_get_int_member (o, "steps"), >, 10);
  g_assert_cmpint (json_object_get_int_member (o, "commands"), >, 10);
  g_assert_true (json_object_get_boolean_member (o, "root_state"));
}

static void
test_refused (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o = run_as_nobody ("down", parser);

  g_assert_nonnull (o);
  if (o == NULL)
    return;
  g_assert_cmpstr (json_object_get_string_member (o, "argv0"), ==, "pkexec");
  /* pkexec's own refusal: labctl never ran */
  g_assert_cmpint (json_object_get_int_member (o, "status"), ==, 127);
  g_assert_cmpint (json_object_get_int_member (o, "steps"), ==, 0);
  g_assert_nonnull (strstr (json_object_get_string_member (o, "stderr"), "Not authorized"));
}

static gboolean
bind_private (const char *target, const char *source, GError **error)
{
  if (mount (source, target, NULL, MS_BIND, NULL) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "mount --bind %s %s: %s", source, target,
                   g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

/* copies every file of dir into copy */
static gboolean
copy_dir (const char *dir, const char *copy, GError **error)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, error);
  const char *name;

  if (d == NULL)
    return FALSE;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *from = g_build_filename (dir, name, NULL);
      g_autofree char *to = g_build_filename (copy, name, NULL);
      g_autofree char *text = NULL;
      gsize len;

      if (!g_file_get_contents (from, &text, &len, error) || !g_file_set_contents (to, text, len, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
wait_for_name (const char *name, GError **error)
{
  g_autoptr(GDBusConnection) bus = g_dbus_connection_new_for_address_sync (
    "unix:path=/run/dbus/system_bus_socket",
    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL,
    error);

  for (int i = 0; bus != NULL && i < 100; i++)
    {
      g_autoptr(GVariant) r = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                           "org.freedesktop.DBus", "NameHasOwner",
                                                           g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
                                                           G_DBUS_CALL_FLAGS_NONE, 1000, NULL, NULL);
      gboolean owned = FALSE;

      if (r != NULL)
        g_variant_get (r, "(b)", &owned);
      if (owned)
        return TRUE;
      g_usleep (100000);
    }
  if (bus != NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s did not come on the bus", name);
  return FALSE;
}

static gboolean
desktop_up (GError **error)
{
  const char *labctl = lab_gui_child_labctl ();
  g_autofree char *actions = g_build_filename (work, "actions", NULL);
  g_autofree char *rules = g_build_filename (work, "rules", NULL);
  g_autofree char *policy = NULL, *ours = NULL, *rule = NULL;
  g_autofree char *policy_path = g_build_filename (actions, "example.labctl.policy", NULL);
  g_autofree char *rule_path = g_build_filename (rules, "50-labctl-test.rules", NULL);
  g_autofree char *installed_path = g_strconcat (">", LABCTL_BINDIR, "/labctl<", NULL);
  g_autofree char *build_path = g_strconcat (">", labctl, "<", NULL);
  g_auto(GStrv) parts = NULL;
  g_autofree char *pid_text = NULL;
  const char *dbus_argv[] = { "dbus-daemon", "--system", "--fork", "--print-pid", NULL };
  /* started as root, polkitd becomes user polkitd itself */
  const char *polkitd_argv[] = { "/usr/lib/polkit-1/polkitd", "--no-debug", NULL };
  int status;

  /* the policy as meson builds it, for this build tree's labctl */
  if (!g_file_get_contents (LABCTL_BUILD_DIR "/gui/example.labctl.policy", &policy, NULL, error))
    return FALSE;
  parts = g_strsplit (policy, installed_path, -1);
  g_assert_cmpuint (g_strv_length (parts), >, 6);   /* an exec.path per verb */
  ours = g_strjoinv (build_path, parts);
  rule = g_strdup_printf ("polkit.addRule(function(action, subject) {\n"
                          "  if (subject.user != \"nobody\" || action.lookup(\"program\") != \"%s\")\n"
                          "    return polkit.Result.NOT_HANDLED;\n"
                          "  if (action.id == \"example.labctl.up\")\n"
                          "    return polkit.Result.YES;\n"
                          "  if (action.id == \"example.labctl.down\")\n"
                          "    return polkit.Result.NO;\n"
                          "});\n", labctl);
  if (g_mkdir_with_parents (actions, 0755) != 0 || g_mkdir_with_parents (rules, 0755) != 0
      || !copy_dir ("/usr/share/polkit-1/actions", actions, error)
      || !g_file_set_contents (policy_path, ours, -1, error) || !g_file_set_contents (rule_path, rule, -1, error))
    return FALSE;

  /* a mount namespace of this process: nothing of it outlives the test */
  if (unshare (CLONE_NEWNS) != 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "unshare -m: %s", g_strerror (errno));
      return FALSE;
    }
  if (mount ("tmpfs", "/run/dbus", "tmpfs", 0, "mode=0755") != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "mount tmpfs /run/dbus: %s", g_strerror (errno));
      return FALSE;
    }
  if (!bind_private ("/usr/share/polkit-1/actions", actions, error)
      || !bind_private ("/etc/polkit-1/rules.d", rules, error))
    return FALSE;

  if (!g_spawn_sync (NULL, (char **) dbus_argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &pid_text, NULL, &status,
                     error) || !g_spawn_check_wait_status (status, error))
    return FALSE;
  dbus_pid = atoi (pid_text);
  if (!g_spawn_async (NULL, (char **) polkitd_argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                      NULL, NULL, &polkitd_pid, error))
    return FALSE;
  return wait_for_name ("org.freedesktop.PolicyKit1", error);
}

static void
desktop_down (void)
{
  if (polkitd_pid > 0)
    {
      kill (polkitd_pid, SIGTERM);
      waitpid (polkitd_pid, NULL, 0);
    }
  if (dbus_pid > 0)
    kill (dbus_pid, SIGTERM);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *why = NULL;
  int status;

  if (argc == 4 && g_str_equal (argv[1], "--child"))
    return child_main (argv[2], argv[3]);

  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  if (geteuid () != 0)
    why = g_strdup ("starting a system bus and polkitd needs root: run as root");
  else if (!g_file_test ("/usr/bin/pkexec", G_FILE_TEST_IS_EXECUTABLE)
           || !g_file_test ("/usr/lib/polkit-1/polkitd", G_FILE_TEST_IS_EXECUTABLE))
    why = g_strdup ("no pkexec or polkitd: apt install pkexec polkitd (scripts/install-deps)");
  if (why != NULL)
    {
      g_test_skip (why);
      return g_test_run ();
    }
  work = g_dir_make_tmp ("labctl-pkexec-XXXXXX", &error);
  g_assert_no_error (error);
  g_chmod (work, 0755);
  if (!desktop_up (&error))
    {
      g_test_message ("the system bus and polkitd did not come up: %s", error->message);
      desktop_down ();
      lab_test_remove_tree (work);
      return 1;
    }
  g_test_add_func ("/gui-pkexec/authorized", test_authorized);
  g_test_add_func ("/gui-pkexec/refused", test_refused);
  status = g_test_run ();
  desktop_down ();
  lab_test_remove_tree (work);
  return status;
}
