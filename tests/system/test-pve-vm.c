/* test-pve-vm.c: the proxmox VM's disk image (lab-pve-image.c) boots for
 * real and answers ping at the address DHCP reserves for its MAC.
 *
 * In a private network namespace of this process: a bridge with
 * 10.77.0.1/24, dnsmasq on it with one reservation (the MAC labctl gives
 * the lab's VM -> 10.77.0.52, as the lab network's DHCP has it), and the
 * contract server's stand-in QEMU (lab_pve_stand_in_vm_start: TCG,
 * 128 MiB, SeaBIOS, the image as a raw disk, a virtio NIC with that MAC on
 * a tap on the bridge). Checked: the VM answers ping at 10.77.0.52, its
 * console says it is up with that address; QMP's system_powerdown (the
 * ACPI power button: what `qm shutdown` sends) makes it power off, QEMU
 * exits by itself, and nothing answers there any more. */
#define _GNU_SOURCE /* unshare */
#include "config.h"

#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include "lab-pve-server.h"
#include "lab-recipe.h"
#include "lab-test-fs.h"

#define BRIDGE  "lpvbr0"
#define TAP     "lpvtap0"
#define ADDRESS "10.77.0.52"

static char *dir;
static char *image;
static char *mac;

static int
run (const char *cmd)
{
  g_autofree char *out = NULL, *err = NULL;
  const char *argv[] = { "sh", "-c", cmd, NULL };
  int status = -1;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, NULL);
  return g_spawn_check_wait_status (status, NULL) ? 0 : 1;
}

static gboolean
answers (guint tries)
{
  g_autofree char *cmd = g_strdup_printf ("ping -c 1 -W 1 %s >/dev/null 2>&1", ADDRESS);

  for (guint i = 0; i < tries; i++)
    if (run (cmd) == 0)
      return TRUE;
  return FALSE;
}

/* QMP: the greeting, capabilities, then command; FALSE on an error. */
static gboolean
qmp_command (const char *path, const char *command)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) addr = g_unix_socket_address_new (path);
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  GOutputStream *out;
  g_autofree char *cmd = g_strdup_printf ("{\"execute\": \"qmp_capabilities\"}\n{\"execute\": \"%s\"}\n", command);
  gboolean ok = TRUE;

  conn = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (addr), NULL, NULL);
  if (conn == NULL)
    return FALSE;
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (conn)));
  out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  if (!g_output_stream_write_all (out, cmd, strlen (cmd), NULL, NULL, NULL))
    return FALSE;
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *line = g_data_input_stream_read_line (in, NULL, NULL, NULL);
      g_test_message ("qmp: %s", line != NULL ? line : "(eof)");
      ok &= line != NULL && strstr (line, "\"error\"") == NULL;
    }
  return ok;
}

static gboolean
exited (GPid pid, guint seconds)
{
  for (guint i = 0; i < seconds * 10; i++)
    {
      if (waitpid (pid, NULL, WNOHANG) == pid)
        return TRUE;
      g_usleep (100 * 1000);
    }
  return FALSE;
}

static void
test_boot_ping (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *log = g_build_filename (dir, "serial.log", NULL);
  g_autofree char *qmp = g_build_filename (dir, "qmp.sock", NULL);
  g_autofree char *dhcp_host = g_strdup_printf ("--dhcp-host=%s,%s", mac, ADDRESS);
  const char *dnsmasq[] = { "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--bind-interfaces",
                            "--interface=" BRIDGE, "--except-interface=lo", "--port=0", "--leasefile-ro",
                            "--dhcp-range=10.77.0.100,10.77.0.200,1h", dhcp_host, "--pid-file=", NULL };
  g_autofree char *console = NULL;
  GPid dns = 0, vm;
  gint64 t0;
  gboolean up;

  g_assert_nonnull (image);
  if (image == NULL)
    return;
  g_assert_cmpint (run ("ip link set lo up && ip link add " BRIDGE " type bridge && "
                        "ip addr add 10.77.0.1/24 dev " BRIDGE " && ip link set " BRIDGE " up"), ==, 0);
  g_assert_true (g_spawn_async (NULL, (char **) dnsmasq, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                                NULL, &dns, &error));
  g_assert_no_error (error);
  t0 = g_get_monotonic_time ();
  vm = lab_pve_stand_in_vm_start (image, mac, BRIDGE, TAP, log, qmp, &error);
  g_assert_no_error (error);
  g_assert_cmpint (vm, >, 0);
  /* TCG on a busy machine: SeaBIOS, syslinux, the kernel and udhcpc */
  up = answers (240);
  g_file_get_contents (log, &console, NULL, NULL);
  g_test_message ("the VM answered ping at %s %.1f s after QEMU started; its console:\n%s", ADDRESS,
                  (g_get_monotonic_time () - t0) / 1e6, console != NULL ? console : "");
  g_assert_true (up);
  g_assert_nonnull (console != NULL ? strstr (console, "labctl-tiny: up, eth0 " ADDRESS "/24") : NULL);
  /* qm shutdown: the ACPI power button; the guest powers off, QEMU ends */
  g_assert_true (qmp_command (qmp, "system_powerdown"));
  if (exited (vm, 60))
    vm = 0;
  g_clear_pointer (&console, g_free);
  g_file_get_contents (log, &console, NULL, NULL);
  g_test_message ("after system_powerdown:\n%s", console != NULL ? console : "");
  g_assert_cmpint (vm, ==, 0);
  g_assert_nonnull (console != NULL ? strstr (console, "labctl-tiny: ACPI power button, powering off") : NULL);
  lab_pve_stand_in_vm_stop (vm, TAP);
  g_assert_false (answers (3));
  if (dns > 0)
    {
      kill (dns, SIGTERM);
      waitpid (dns, NULL, 0);
    }
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  if (geteuid () != 0 || unshare (CLONE_NEWNET) != 0)
    {
      g_printerr ("test-pve-vm: needs root (a private network namespace, a bridge, a tap)\n");
      return 1;
    }
  dir = g_dir_make_tmp ("labctl-test-pve-vm-XXXXXX", NULL);
  image = lab_pve_test_vm_image (dir, &error);
  if (image == NULL)
    g_printerr ("the VM's disk image: %s\n", error->message);
  mac = lab_recipe_make_mac ("course", "lab-vm");
  g_test_add_func ("/system/pve-vm/boot-ping", test_boot_ping);
  rc = g_test_run ();
  lab_test_remove_tree (dir);
  return rc;
}
