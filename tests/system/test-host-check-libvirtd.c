/* test-host-check-libvirtd.c: the libvirt.reachable check against a real
 * libvirtd (QEMU driver) started by the test in its own mount and network
 * namespaces, with libvirt's run/lib/cache/log/etc directories bind-mounted
 * from a scratch directory (so it never meets the machine's or another
 * test's libvirtd). Then the daemon is stopped and the check must FAIL with
 * the "start libvirtd" fix. Needs root. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "lab-host-check.h"
#include "lab-test-fs.h"

static char *
host_dir (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "data", "hosts", name, NULL);
}

static gboolean
run_sync (const char *const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_NONE, &error);

  g_assert_no_error (error);
  if (p == NULL || !g_subprocess_wait_check (p, NULL, &error))
    {
      g_test_message ("%s: %s", argv[0], error ? error->message : "?");
      return FALSE;
    }
  return TRUE;
}

static LabCheckResult *
check_libvirt (const char *uri, GPtrArray **keep)
{
  g_autofree char *root = host_dir ("intel-nested");
  g_autoptr(LabHostCheck) check = lab_host_check_new (root);

  lab_host_check_set_libvirt_uri (check, uri);
  *keep = lab_host_check_run (check);
  return lab_check_results_find (*keep, "libvirt.reachable");
}

static void
test_libvirtd (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *work = NULL;
  g_autofree char *etc = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *qemu_conf = NULL;
  g_autofree char *script = NULL;
  g_autofree char *sock = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *log = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(GPtrArray) res = NULL;
  LabCheckResult *r = NULL;
  gint64 deadline;
  const char *const dirs[] = { "run", "lib", "cache", "log", "etc" };

  if (getuid () != 0)
    {
      g_test_skip ("starting libvirtd in private mount/network namespaces needs root");
      return;
    }
  if (g_find_program_in_path ("libvirtd") == NULL && !g_file_test ("/usr/sbin/libvirtd", G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("libvirtd is not installed (Debian package libvirt-daemon-system)");
      return;
    }

  work = g_dir_make_tmp ("labctl-hc-libvirtd-XXXXXX", &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (work, 0755), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *d = g_build_filename (work, dirs[i], NULL);

      g_assert_cmpint (g_mkdir_with_parents (d, 0755), ==, 0);
    }
  /* mount points (present wherever libvirt is installed; /run/libvirt only once it ran) */
  g_assert_cmpint (g_mkdir_with_parents ("/run/libvirt", 0755), ==, 0);

  etc = g_build_filename (work, "etc", NULL);
  {
    g_autofree char *src = g_strdup ("/etc/libvirt/.");
    const char *cp[] = { "cp", "-a", src, etc, NULL };

    g_assert_true (run_sync (cp));
  }
  {
    /* no autostarted networks: nothing but the daemon itself */
    g_autofree char *autostart = g_build_filename (etc, "qemu", "networks", "autostart", NULL);

    lab_test_remove_tree (autostart);
  }
  conf = g_build_filename (etc, "libvirtd.conf", NULL);
  log = g_build_filename (work, "log", "libvirtd.log", NULL);
  g_file_set_contents (conf,
                       "listen_tls = 0\nlisten_tcp = 0\nauth_unix_rw = \"none\"\nauth_unix_ro = \"none\"\n"
                       "log_outputs = \"3:file:/var/log/libvirt/libvirtd.log\"\n", -1, &error);
  g_assert_no_error (error);
  qemu_conf = g_build_filename (etc, "qemu.conf", NULL);
  {
    g_autofree char *text = NULL;
    g_autofree char *more = NULL;

    g_file_get_contents (qemu_conf, &text, NULL, NULL);
    more = g_strconcat (text ? text : "", "\ncgroup_controllers = [ ]\n", NULL);
    g_file_set_contents (qemu_conf, more, -1, &error);
    g_assert_no_error (error);
  }

  script = g_strdup_printf ("mount --bind %1$s/run /run/libvirt && "
                            "mount --bind %1$s/lib /var/lib/libvirt && "
                            "mount --bind %1$s/cache /var/cache/libvirt && "
                            "mount --bind %1$s/log /var/log/libvirt && "
                            "mount --bind %1$s/etc /etc/libvirt && "
                            "exec taskset -c 0 libvirtd -p /run/libvirt/libvirtd.pid", work);
  /* output to a file: a pipe nobody reads would block the daemon */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  {
    g_autofree char *out = g_build_filename (work, "libvirtd.out", NULL);

    g_subprocess_launcher_set_stdout_file_path (launcher, out);
  }
  daemon = g_subprocess_launcher_spawn (launcher, &error, "unshare", "--mount", "--net", "--propagation", "private",
                                        "sh", "-ec", script, NULL);
  g_assert_no_error (error);

  sock = g_build_filename (work, "run", "libvirt-sock", NULL);
  uri = g_strdup_printf ("qemu+unix:///system?socket=%s", sock);

  /* wait for the daemon to answer, at most 60 s (QEMU capability probing) */
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (daemon != NULL && g_get_monotonic_time () < deadline)
    {
      g_clear_pointer (&res, g_ptr_array_unref);
      r = check_libvirt (uri, &res);
      if (r != NULL && r->status == LAB_CHECK_PASS)
        break;
      if (g_subprocess_get_identifier (daemon) == NULL)
        break;  /* exited */
      g_usleep (100 * 1000);
    }
  g_assert_nonnull (r);
  if (r != NULL)
    {
      g_test_message ("%s: %s", r->id, r->message);
      g_assert_cmpint (r->status, ==, LAB_CHECK_PASS);
      g_assert_nonnull (strstr (r->message, "driver QEMU"));
      g_assert_nonnull (strstr (r->message, sock));
    }

  /* stop it: the check must now say libvirtd is not running */
  if (daemon != NULL && g_subprocess_get_identifier (daemon) != NULL)
    {
      g_subprocess_send_signal (daemon, SIGTERM);
      g_subprocess_wait (daemon, NULL, NULL);
    }
  g_clear_pointer (&res, g_ptr_array_unref);
  r = check_libvirt (uri, &res);
  g_assert_nonnull (r);
  if (r != NULL)
    {
      g_test_message ("%s: %s", r->id, r->message);
      g_assert_cmpint (r->status, ==, LAB_CHECK_FAIL);
      g_assert_nonnull (r->fix);
      g_assert_nonnull (strstr (r->fix, "sudo systemctl enable --now libvirtd"));
    }

  if (g_test_failed ())
    {
      g_autofree char *text = NULL;

      if (g_file_get_contents (log, &text, NULL, NULL))
        g_test_message ("libvirtd.log:\n%s", text);
    }
  lab_test_remove_tree (work);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

  g_test_add_func ("/host-check/system/libvirtd", test_libvirtd);

  return g_test_run ();
}
