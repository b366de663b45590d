/* test-class-report-ssh.c: `labctl class report --hosts FILE` for real:
 * two seats are OpenSSH servers (Debian's sshd) that this test starts on
 * 127.0.0.1 with a host key and a client key it generates, each seat with
 * a lab state of its own (sshd's SetEnv LABCTL_STATE_DIR): on seat-a the
 * storage exercise is started, seat-b has none. Two more seats cannot be
 * reached: a port nobody listens on (connection refused), and a socket
 * that accepts and never speaks (the per-seat timeout). The report must
 * list all four, the unreachable ones with the reason, fetch seat-a's
 * result through the system ssh client, keep it under --save, and render
 * the table as text and as an HTML page that headless Chromium opens and
 * screenshots. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

static const char *labctl;
static char *tmp;
static GPtrArray *daemons;   /* GSubprocess* of the sshd we started */

static char *
run (const char * const *argv, const char * const *env, int *status, char **err_out)
{
  g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                                                | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  g_autofree char *err = NULL;

  for (guint i = 0; env != NULL && env[i] != NULL; i += 2)
    g_subprocess_launcher_setenv (l, env[i], env[i + 1], TRUE);
  proc = g_subprocess_launcher_spawnv (l, argv, &error);
  g_assert_no_error (error);
  if (proc == NULL)
    return NULL;
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  *status = g_subprocess_get_exit_status (proc);
  g_test_message ("%s %s: exit %d\nstderr: %s", argv[0], argv[1], *status, err);
  if (err_out != NULL)
    *err_out = g_steal_pointer (&err);
  return out;
}

/* A port free on 127.0.0.1 now; with keep, the listening socket stays
 * open (and never accepts: a seat that never answers). */
static guint16
free_port (GSocketListener **keep)
{
  g_autoptr(GSocketListener) l = g_socket_listener_new ();
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) got = NULL;
  g_autoptr(GError) error = NULL;

  g_socket_listener_add_address (l, any, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &got, &error);
  g_assert_no_error (error);
  if (got == NULL)
    return 0;
  if (keep != NULL)
    *keep = g_object_ref (l);
  else
    g_socket_listener_close (l);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (got));
}

static gboolean
keygen (const char *path)
{
  const char *argv[] = { "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "labctl-test", "-f", path, NULL };
  int rc = -1;

  g_free (run (argv, NULL, &rc, NULL));
  return rc == 0;
}

/* Waits until port on 127.0.0.1 accepts a connection. */
static gboolean
wait_port (guint16 port)
{
  for (int i = 0; i < 100; i++)
    {
      g_autoptr(GSocketClient) c = g_socket_client_new ();
      g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host (c, "127.0.0.1", port, NULL, NULL);

      if (conn != NULL)
        return TRUE;
      g_usleep (100 * 1000);
    }
  return FALSE;
}

/* sshd on 127.0.0.1:port for a seat whose lab state is in state_dir. */
static gboolean
start_sshd (guint16 port, const char *host_key, const char *authorized, const char *state_dir)
{
  g_autofree char *conf = g_strdup_printf ("%s/sshd-%u.conf", tmp, port);
  g_autofree char *text = g_strdup_printf ("Port %u\nListenAddress 127.0.0.1\nHostKey %s\nAuthorizedKeysFile %s\n"
                                           "PidFile none\nUsePAM no\nPermitRootLogin prohibit-password\n"
                                           "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                                           "StrictModes no\nSetEnv LABCTL_STATE_DIR=%s\n",
                                           port, host_key, authorized, state_dir);
  g_autoptr(GError) error = NULL;
  GSubprocess *p;

  g_assert_true (g_file_set_contents (conf, text, -1, NULL));
  p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error, "/usr/sbin/sshd", "-D", "-e", "-f", conf, NULL);
  g_assert_no_error (error);
  if (p == NULL)
    return FALSE;
  g_ptr_array_add (daemons, p);
  return wait_port (port);
}

static void
test_hosts (void)
{
  g_autofree char *host_key = g_build_filename (tmp, "host_key", NULL);
  g_autofree char *client_key = g_build_filename (tmp, "client_key", NULL);
  g_autofree char *client_pub = g_strconcat (client_key, ".pub", NULL);
  g_autofree char *known = g_build_filename (tmp, "known_hosts", NULL);
  g_autofree char *hosts = g_build_filename (tmp, "hosts", NULL);
  g_autofree char *save = g_build_filename (tmp, "results", NULL);
  g_autofree char *seat_a = g_build_filename (tmp, "seat-a", NULL);
  g_autofree char *seat_b = g_build_filename (tmp, "seat-b", NULL);
  g_autofree char *recipe = g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", "e2e.lab", NULL);
  g_autofree char *seat_labctl = NULL, *opt_id = NULL, *opt_known = NULL, *text = NULL, *out = NULL;
  g_autofree char *html = g_build_filename (tmp, "report.html", NULL);
  g_autofree char *kept = NULL, *page = NULL;
  g_autoptr(GSocketListener) silent = NULL;
  g_autoptr(JsonParser) p = json_parser_new ();
  guint16 port_a, port_b, port_down, port_silent;
  JsonObject *o;
  JsonArray *u;
  int rc = -1;

  if (!keygen (host_key) || !keygen (client_key))
    return;
  port_a = free_port (NULL);
  port_b = free_port (NULL);
  port_down = free_port (NULL);
  port_silent = free_port (&silent);
  g_mkdir_with_parents (seat_a, 0755);
  g_mkdir_with_parents (seat_b, 0755);
  /* seat-a's student started the storage exercise */
  {
    const char *argv[] = { labctl, "--recipe", recipe, "exercise", "start", "storage", NULL };
    const char *env[] = { "LABCTL_STATE_DIR", seat_a, NULL };

    g_free (run (argv, env, &rc, NULL));
    g_assert_cmpint (rc, ==, 0);
  }
  g_assert_true (start_sshd (port_a, host_key, client_pub, seat_a));
  g_assert_true (start_sshd (port_b, host_key, client_pub, seat_b));
  text = g_strdup_printf ("# the class of the test\n"
                          "ssh://root@127.0.0.1:%u seat-a\n"
                          "ssh://root@127.0.0.1:%u   seat-b   # no exercise started\n"
                          "\n"
                          "ssh://root@127.0.0.1:%u seat-down\n"
                          "ssh://root@127.0.0.1:%u seat-silent\n",
                          port_a, port_b, port_down, port_silent);
  g_assert_true (g_file_set_contents (hosts, text, -1, NULL));
  seat_labctl = g_strdup_printf ("'%s' --recipe '%s'", labctl, recipe);
  opt_id = g_strdup_printf ("IdentityFile=%s", client_key);
  opt_known = g_strdup_printf ("UserKnownHostsFile=%s", known);

  {
    const char *argv[] = { labctl, "class", "report", "--hosts", hosts, "--ssh-option", opt_id, "--ssh-option",
                           opt_known, "--ssh-option", "StrictHostKeyChecking=accept-new", "--labctl", seat_labctl,
                           "--timeout", "5", "--save", save, "--json", NULL };
    gint64 t0 = g_get_monotonic_time ();

    out = run (argv, NULL, &rc, NULL);
    g_test_message ("fetched 4 seats in %.1f s", (g_get_monotonic_time () - t0) / 1e6);
    g_assert_cmpint (rc, ==, 0);
  }
  g_assert_true (out != NULL && json_parser_load_from_data (p, out, -1, NULL));
  if (out == NULL || json_parser_get_root (p) == NULL)
    return;
  o = json_node_get_object (json_parser_get_root (p));
  /* every seat is a row, reached or not */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "seats")), ==, 4);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "cells")), ==, 1);
  {
    JsonObject *c = json_array_get_object_element (json_object_get_array_member (o, "cells"), 0);

    g_assert_cmpstr (json_object_get_string_member (c, "seat"), ==, "seat-a");
    g_assert_cmpstr (json_object_get_string_member (c, "exercise"), ==, "storage");
    g_assert_cmpstr (json_object_get_string_member (c, "result"), ==, "FAIL");
    g_assert_cmpstr (json_object_get_string_member (c, "step"), ==, "storage.answers");
  }
  u = json_object_get_array_member (o, "unreachable");
  g_assert_cmpuint (json_array_get_length (u), ==, 2);
  for (guint i = 0; i < json_array_get_length (u); i++)
    {
      JsonObject *e = json_array_get_object_element (u, i);
      const char *seat = json_object_get_string_member (e, "seat");
      const char *why = json_object_get_string_member (e, "error");

      g_test_message ("%s: %s", seat, why);
      if (g_str_equal (seat, "seat-down"))
        g_assert_nonnull (strstr (why, "refused"));
      else
        {
          g_assert_cmpstr (seat, ==, "seat-silent");
          /* ours, or ssh's own ConnectTimeout in the banner exchange */
          g_assert_true (strstr (why, "5 s") != NULL || strstr (why, "timed out") != NULL);
        }
    }
  /* the fetched result, kept with the hosts file's name for the seat */
  {
    g_autofree char *path = g_build_filename (save, "seat-a", "storage.json", NULL);

    g_assert_true (g_file_get_contents (path, &kept, NULL, NULL));
    g_assert_true (kept != NULL && strstr (kept, "\"seat\" : \"seat-a\"") != NULL);
  }

  /* text: the unreachable seats say why */
  g_free (out);
  {
    const char *argv[] = { labctl, "class", "report", save, NULL };

    out = run (argv, NULL, &rc, NULL);
    g_assert_cmpint (rc, ==, 0);
  }
  {
    const char *argv[] = { labctl, "class", "report", "--hosts", hosts, "--ssh-option", opt_id, "--ssh-option",
                           opt_known, "--labctl", seat_labctl, "--timeout", "5", "-e", "storage", NULL };

    g_free (out);
    out = run (argv, NULL, &rc, NULL);
    g_assert_cmpint (rc, ==, 0);
    g_test_message ("%s", out);
    g_assert_true (out != NULL && strstr (out, "seat-silent") != NULL && strstr (out, "UNREACHABLE") != NULL);
    g_assert_true (out != NULL && strstr (out, "seat-down: unreachable (ssh://root@127.0.0.1:") != NULL);
  }
  /* bad input: the file, the line, the fix */
  {
    g_autofree char *bad = g_build_filename (tmp, "bad-hosts", NULL);
    g_autofree char *err = NULL;
    const char *argv[] = { labctl, "class", "report", "--hosts", bad, NULL };

    g_file_set_contents (bad, "pc01\n-oProxyCommand=x pc02\n", -1, NULL);
    g_free (run (argv, NULL, &rc, &err));
    g_assert_cmpint (rc, !=, 0);
    g_assert_true (err != NULL && strstr (err, "bad-hosts:2:") != NULL && strstr (err, "--ssh-option") != NULL);
  }

  /* HTML in a real browser */
  {
    const char *argv[] = { labctl, "class", "report", "--hosts", hosts, "--ssh-option", opt_id, "--ssh-option",
                           opt_known, "--labctl", seat_labctl, "--timeout", "5", "--format", "html", "-o", html,
                           NULL };

    g_free (run (argv, NULL, &rc, NULL));
    g_assert_cmpint (rc, ==, 0);
  }
  g_assert_true (g_file_get_contents (html, &page, NULL, NULL));
  if (g_file_test ("/usr/bin/chromium", G_FILE_TEST_IS_EXECUTABLE))
    {
      g_autofree char *log_dir = g_build_filename (LABCTL_BUILD_DIR, "meson-logs", NULL);
      g_autofree char *png = g_build_filename (log_dir, "class-report-ssh.png", NULL);
      g_autofree char *shot = g_strconcat ("--screenshot=", png, NULL);
      g_autofree char *profile = g_build_filename (tmp, "profile", NULL);
      g_autofree char *dir_arg = g_strconcat ("--user-data-dir=", profile, NULL);
      g_autofree char *url = g_strconcat ("file://", html, NULL);
      g_autofree char *dom = NULL;
      GStatBuf st;

      g_mkdir_with_parents (log_dir, 0755);
      g_unlink (png);
      {
        const char *argv[] = { "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                               "--no-first-run", dir_arg, "--window-size=1280,480", shot, url, NULL };

        g_free (run (argv, NULL, &rc, NULL));
        g_assert_cmpint (rc, ==, 0);
      }
      g_assert_cmpint (g_stat (png, &st), ==, 0);
      g_test_message ("screenshot: %s (%lld bytes)", png, (long long) st.st_size);
      {
        const char *argv[] = { "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                               dir_arg, "--dump-dom", url, NULL };

        dom = run (argv, NULL, &rc, NULL);
      }
      g_assert_true (dom != NULL && strstr (dom, "<td class=\"unreachable\" colspan=\"1\" data-seat=\"seat-down\">")
                                      != NULL);
      g_assert_true (dom != NULL && strstr (dom, "<td class=\"fail\" data-seat=\"seat-a\" data-exercise=\"storage\">")
                                      != NULL);
      g_assert_true (dom != NULL && strstr (dom, "<td class=\"none\" data-seat=\"seat-b\" data-exercise=\"storage\">")
                                      != NULL);
    }
  else
    g_test_message ("no /usr/bin/chromium: the page is checked as text only");
  g_assert_true (page != NULL && strstr (page, "class=\"unreachable\"") != NULL);
  g_socket_listener_close (silent);
}

int
main (int argc, char **argv)
{
  int rc;
  gboolean made_run_sshd = FALSE;

  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  labctl = g_getenv ("LABCTL");
  if (labctl == NULL)
    labctl = LABCTL_BUILD_DIR "/labctl/labctl";
  if (getuid () != 0)
    {
      g_test_skip ("needs root: sshd logs a user in only as root");
      return g_test_run ();
    }
  if (!g_file_test ("/usr/sbin/sshd", G_FILE_TEST_IS_EXECUTABLE) || g_find_program_in_path ("ssh") == NULL)
    {
      g_test_skip ("no /usr/sbin/sshd or ssh: install openssh-server and openssh-client (scripts/install-deps)");
      return g_test_run ();
    }
  /* sshd's privilege separation directory (Debian's service makes it) */
  if (!g_file_test ("/run/sshd", G_FILE_TEST_IS_DIR))
    made_run_sshd = g_mkdir ("/run/sshd", 0755) == 0;
  tmp = g_dir_make_tmp ("labctl-class-ssh-XXXXXX", NULL);
  g_chmod (tmp, 0755);
  daemons = g_ptr_array_new_with_free_func (g_object_unref);
  g_test_add_func ("/class-report-ssh/hosts", test_hosts);
  rc = g_test_run ();
  for (guint i = 0; i < daemons->len; i++)
    {
      GSubprocess *p = g_ptr_array_index (daemons, i);

      g_subprocess_send_signal (p, SIGTERM);
      g_subprocess_wait (p, NULL, NULL);
    }
  g_ptr_array_unref (daemons);
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf %s", tmp);

    g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
  }
  if (made_run_sshd)
    g_rmdir ("/run/sshd");
  return rc;
}
