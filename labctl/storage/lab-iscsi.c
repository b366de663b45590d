/* lab-iscsi.c: open-iscsi login and the FUSE attach fallback. */
#include "config.h"

#include "lab-iscsi.h"

#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-util.h"

gboolean
lab_iscsi_attach_from_string (const char *text, LabIscsiAttach *out, GError **error)
{
  if (text == NULL || *text == '\0' || g_str_equal (text, "auto"))
    *out = LAB_ISCSI_ATTACH_AUTO;
  else if (g_str_equal (text, "iscsiadm"))
    *out = LAB_ISCSI_ATTACH_ISCSIADM;
  else if (g_str_equal (text, "fuse"))
    *out = LAB_ISCSI_ATTACH_FUSE;
  else
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_USAGE,
                   _("Unknown storage attach method \"%s\"; use iscsiadm, fuse or auto"), text);
      return FALSE;
    }
  return TRUE;
}

const char *
lab_iscsi_attach_to_string (LabIscsiAttach method)
{
  switch (method)
    {
    case LAB_ISCSI_ATTACH_ISCSIADM:
      return "iscsiadm";
    case LAB_ISCSI_ATTACH_FUSE:
      return "fuse";
    case LAB_ISCSI_ATTACH_AUTO:
    default:
      return "auto";
    }
}

gboolean
lab_iscsi_attach_from_env (LabIscsiAttach *out, GError **error)
{
  const char *env = g_getenv ("LABCTL_STORAGE_ATTACH");

  if (!lab_iscsi_attach_from_string (env, out, NULL))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_USAGE,
                   _("LABCTL_STORAGE_ATTACH=\"%s\" is not a storage attach method; "
                     "use iscsiadm, fuse or auto (or unset it)"), env);
      return FALSE;
    }
  return TRUE;
}

char *
lab_iscsi_portal (const char *address, guint16 port)
{
  if (strchr (address, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", address, port);
  return g_strdup_printf ("%s:%u", address, port);
}

char *
lab_iscsi_by_path_name (const char *address, guint16 port, const char *iqn, guint lun)
{
  g_autofree char *portal = lab_iscsi_portal (address, port);

  /* udev's path_id: "ip-" + portal + "-iscsi-" + target + "-lun-" + lun */
  return g_strdup_printf ("/dev/disk/by-path/ip-%s-iscsi-%s-lun-%u", portal, iqn, lun);
}

char **
lab_iscsi_argv_discovery (const char *portal)
{
  return lab_strv_new ("iscsiadm", "-m", "discovery", "-t", "sendtargets", "-p", portal, NULL);
}

char **
lab_iscsi_argv_login (const char *iqn, const char *portal)
{
  return lab_strv_new ("iscsiadm", "-m", "node", "-T", iqn, "-p", portal, "--login", NULL);
}

char **
lab_iscsi_argv_logout (const char *iqn, const char *portal)
{
  return lab_strv_new ("iscsiadm", "-m", "node", "-T", iqn, "-p", portal, "--logout", NULL);
}

char *
lab_iscsi_iface_name (const char *iqn)
{
  g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, iqn, -1);

  return g_strdup_printf ("labctl-%.12s", sum);
}

char **
lab_iscsi_argv_iface_new (const char *iface)
{
  return lab_strv_new ("iscsiadm", "-m", "iface", "-I", iface, "-o", "new", NULL);
}

char **
lab_iscsi_argv_iface_update (const char *iface, const char *name, const char *value)
{
  return lab_strv_new ("iscsiadm", "-m", "iface", "-I", iface, "-o", "update", "-n", name, "-v", value, NULL);
}

char **
lab_iscsi_argv_iface_delete (const char *iface)
{
  return lab_strv_new ("iscsiadm", "-m", "iface", "-I", iface, "-o", "delete", NULL);
}

char **
lab_iscsi_argv_discovery_iface (const char *portal, const char *iface)
{
  return lab_strv_new ("iscsiadm", "-m", "discovery", "-t", "sendtargets", "-p", portal, "-I", iface, NULL);
}

char **
lab_iscsi_argv_delete_node (const char *iqn, const char *portal)
{
  return lab_strv_new ("iscsiadm", "-m", "node", "-T", iqn, "-p", portal, "-o", "delete", NULL);
}

char **
lab_iscsi_argv_update_node (const char *iqn, const char *portal, const char *name, const char *value)
{
  return lab_strv_new ("iscsiadm", "-m", "node", "-T", iqn, "-p", portal,
                   "-o", "update", "-n", name, "-v", value, NULL);
}

char **
lab_iscsi_argv_sessions (void)
{
  return lab_strv_new ("iscsiadm", "-m", "session", NULL);
}

void
lab_iscsi_session_free (LabIscsiSession *s)
{
  if (s == NULL)
    return;
  g_free (s->portal);
  g_free (s->iqn);
  g_free (s);
}

GPtrArray *
lab_iscsi_parse_sessions (const char *text)
{
  GPtrArray *sessions = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_iscsi_session_free);
  g_auto(GStrv) lines = g_strsplit (text != NULL ? text : "", "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      /* tcp: [1] 10.0.0.1:3260,1 iqn.2026-11.lab.labctl:course (non-flash) */
      g_auto(GStrv) f = g_strsplit_set (g_strstrip (lines[i]), " \t", -1);
      g_autoptr(GPtrArray) words = g_ptr_array_new ();
      LabIscsiSession *s;
      char *comma;

      for (guint j = 0; f[j] != NULL; j++)
        if (*f[j] != '\0')
          g_ptr_array_add (words, f[j]);
      if (words->len < 4 || !g_str_has_suffix (g_ptr_array_index (words, 0), ":")
          || *(const char *) g_ptr_array_index (words, 1) != '[')
        continue;
      s = g_new0 (LabIscsiSession, 1);
      s->portal = g_strdup (g_ptr_array_index (words, 2));
      comma = strrchr (s->portal, ',');
      if (comma != NULL)
        *comma = '\0';
      s->iqn = g_strdup (g_ptr_array_index (words, 3));
      g_ptr_array_add (sessions, s);
    }
  return sessions;
}

gboolean
lab_iscsi_is_driver_missing (int exit_status, const char *stderr_text)
{
  /* ISCSI_ERR_TRANS_NOT_FOUND = 12 */
  return exit_status == 12
         || (stderr_text != NULL && strstr (stderr_text, "iSCSI driver not found") != NULL)
         /* iface mode without the kernel's iSCSI transport classes */
         || (stderr_text != NULL && strstr (stderr_text, "Could not scan /sys/class/iscsi_transport") != NULL);
}

gboolean
lab_iscsi_has_session (LabRunner *runner, const char *iqn, const char *portal,
                       gboolean *logged_in, GError **error)
{
  g_auto(GStrv) argv = lab_iscsi_argv_sessions ();
  g_autofree char *out = NULL;
  g_autoptr(GPtrArray) sessions = NULL;
  int status = 0;

  *logged_in = FALSE;
  /* exit 21: "No active sessions" */
  if (!lab_runner_run_full (runner, (const char * const *) argv, LAB_RUN_QUERY, NULL, 30000,
                            &status, &out, NULL, NULL, error))
    return FALSE;
  if (status != 0)
    return TRUE;
  sessions = lab_iscsi_parse_sessions (out);
  for (guint i = 0; i < sessions->len; i++)
    {
      LabIscsiSession *s = g_ptr_array_index (sessions, i);
      if (g_ascii_strcasecmp (s->iqn, iqn) == 0 && g_str_equal (s->portal, portal))
        *logged_in = TRUE;
    }
  return TRUE;
}

static gboolean
iscsiadm_run (LabRunner *runner, char **argv, GError **error)
{
  g_autofree char *err_text = NULL;
  g_autofree char *line = NULL;
  int status = 0;
  const char *hint = NULL;
  int code = LAB_ERROR_TOOL;

  if (!lab_runner_run_full (runner, (const char * const *) argv, LAB_RUN_DEFAULT, NULL, 120000,
                            &status, NULL, &err_text, NULL, error))
    return FALSE;
  if (status == 0)
    return TRUE;
  g_strstrip (err_text);
  line = lab_runner_format_argv (runner, (const char * const *) argv);
  if (lab_iscsi_is_driver_missing (status, err_text))
    {
      code = LAB_ERROR_UNSUPPORTED;
      hint = _("this host has no kernel iSCSI initiator (modprobe iscsi_tcp failed); "
               "use LABCTL_STORAGE_ATTACH=fuse to attach the LUN through qemu-storage-daemon");
    }
  else if (status == 24 || strstr (err_text, "authorization failure") != NULL)
    hint = _("login refused by the target: this host's address is not in the target's ACL "
             "or the CHAP credentials differ; check labctl storage status");
  else if (status == 20 || strstr (err_text, "can not connect to iSCSI daemon") != NULL)
    hint = _("iscsid is not running: start it (service open-iscsi start, or iscsid)");
  else if (status == 8 || status == 4 || strstr (err_text, "connection") != NULL)
    hint = _("the portal does not answer: is tgtd running and listening on it?");
  else if (status == 3 || status == 21)
    hint = _("the target is not offered on this portal: check labctl storage status");
  g_set_error (error, LAB_ERROR, code, _("%s failed (exit %d): %s%s%s"), line, status, err_text,
               hint ? "; " : "", hint ? hint : "");
  return FALSE;
}

/* Removes labctl's iface of the target; "not found" is fine. */
static void
iface_delete (LabRunner *runner, const char *iqn)
{
  g_autofree char *iface = lab_iscsi_iface_name (iqn);
  g_auto(GStrv) del = lab_iscsi_argv_iface_delete (iface);
  int status = 0;

  lab_runner_run_full (runner, (const char * const *) del, LAB_RUN_DEFAULT, NULL, 30000,
                       &status, NULL, NULL, NULL, NULL);
}

gboolean
lab_iscsi_login (LabRunner *runner, const char *iqn, const char *portal, const char *initiator_name,
                 const char *chap_user, const char *chap_password, GError **error)
{
  g_auto(GStrv) disc = lab_iscsi_argv_discovery (portal);
  g_auto(GStrv) login = lab_iscsi_argv_login (iqn, portal);
  gboolean logged_in = FALSE;

  if (!lab_iscsi_has_session (runner, iqn, portal, &logged_in, error))
    return FALSE;
  if (logged_in)
    return TRUE;
  if (initiator_name != NULL)
    {
      /* the name goes in an iface of labctl's (iscsiadm refuses it on a
       * node record: "Use iface mode"); discovery through that iface asks
       * with it, and a name ACL offers the target to it only */
      g_autofree char *iface = lab_iscsi_iface_name (iqn);
      g_auto(GStrv) mk = lab_iscsi_argv_iface_new (iface);
      g_auto(GStrv) set = lab_iscsi_argv_iface_update (iface, "iface.initiatorname", initiator_name);
      g_auto(GStrv) d = lab_iscsi_argv_discovery_iface (portal, iface);
      int st = 0;

      /* "already exists" from an earlier run is fine: the update follows */
      if (!lab_runner_run_full (runner, (const char * const *) mk, LAB_RUN_DEFAULT, NULL, 30000,
                                &st, NULL, NULL, NULL, error))
        return FALSE;
      if (!iscsiadm_run (runner, set, error) || !iscsiadm_run (runner, d, error))
        {
          iface_delete (runner, iqn);
          return FALSE;
        }
    }
  else if (!iscsiadm_run (runner, disc, error))
    return FALSE;
  if (chap_user != NULL)
    {
      g_auto(GStrv) a1 = lab_iscsi_argv_update_node (iqn, portal, "node.session.auth.authmethod", "CHAP");
      g_auto(GStrv) a2 = lab_iscsi_argv_update_node (iqn, portal, "node.session.auth.username", chap_user);
      g_auto(GStrv) a3 = lab_iscsi_argv_update_node (iqn, portal, "node.session.auth.password", chap_password);

      lab_runner_add_secret (runner, chap_password);
      if (!iscsiadm_run (runner, a1, error) || !iscsiadm_run (runner, a2, error)
          || !iscsiadm_run (runner, a3, error))
        return FALSE;
    }
  if (!iscsiadm_run (runner, login, error))
    {
      /* labctl's iface goes with a failed login */
      if (initiator_name != NULL)
        iface_delete (runner, iqn);
      return FALSE;
    }
  return TRUE;
}

gboolean
lab_iscsi_logout (LabRunner *runner, const char *iqn, const char *portal, gboolean own_iface,
                  GError **error)
{
  g_auto(GStrv) logout = lab_iscsi_argv_logout (iqn, portal);
  g_auto(GStrv) del = lab_iscsi_argv_delete_node (iqn, portal);
  gboolean logged_in = FALSE;
  int status = 0;

  if (!lab_iscsi_has_session (runner, iqn, portal, &logged_in, error))
    return FALSE;
  if (logged_in && !iscsiadm_run (runner, logout, error))
    return FALSE;
  /* the node record: exit 21 "No records found" is fine */
  if (!lab_runner_run_full (runner, (const char * const *) del, LAB_RUN_DEFAULT, NULL, 30000,
                            &status, NULL, NULL, NULL, error))
    return FALSE;
  if (own_iface)
    iface_delete (runner, iqn);
  return TRUE;
}

gboolean
lab_iscsi_wait_device (const char *path, guint timeout_ms, GCancellable *cancellable, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      struct stat st;

      if (stat (path, &st) == 0 && S_ISBLK (st.st_mode))
        return TRUE;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT,
                       _("The iSCSI disk %s did not appear within %u s after login; "
                         "check `iscsiadm -m session -P 3` and `udevadm settle`, "
                         "and that udev runs on this host"),
                       path, timeout_ms / 1000);
          return FALSE;
        }
      g_usleep (50 * 1000);
    }
}

/* ---- fuse ------------------------------------------------------------ */

char **
lab_iscsi_argv_fuse_export (const char *address, guint16 port, const char *iqn, guint lun,
                            const char *initiator_name, const char *mountpoint, const char *pidfile,
                            const char *chap_user, const char *secret_file)
{
  GPtrArray *a = g_ptr_array_new ();
  g_autofree char *portal = lab_iscsi_portal (address, port);
  GString *bd = g_string_new (NULL);

  g_ptr_array_add (a, g_strdup ("qemu-storage-daemon"));
  if (chap_user != NULL && secret_file != NULL)
    {
      g_ptr_array_add (a, g_strdup ("--object"));
      g_ptr_array_add (a, g_strdup_printf ("secret,id=chap0,file=%s", secret_file));
    }
  g_string_append_printf (bd, "driver=iscsi,node-name=lun%u,transport=tcp,portal=%s,target=%s,lun=%u",
                          lun, portal, iqn, lun);
  if (initiator_name != NULL)
    g_string_append_printf (bd, ",initiator-name=%s", initiator_name);
  if (chap_user != NULL && secret_file != NULL)
    g_string_append_printf (bd, ",user=%s,password-secret=chap0", chap_user);
  g_ptr_array_add (a, g_strdup ("--blockdev"));
  g_ptr_array_add (a, g_string_free (bd, FALSE));
  g_ptr_array_add (a, g_strdup ("--export"));
  g_ptr_array_add (a, g_strdup_printf ("type=fuse,id=exp0,node-name=lun%u,mountpoint=%s,writable=on",
                                       lun, mountpoint));
  if (pidfile != NULL)
    {
      g_ptr_array_add (a, g_strdup ("--pidfile"));
      g_ptr_array_add (a, g_strdup (pidfile));
    }
  return lab_lines_steal (a);
}

char **
lab_iscsi_argv_losetup_attach (const char *file)
{
  return lab_strv_new ("losetup", "--find", "--show", file, NULL);
}

char **
lab_iscsi_argv_losetup_detach (const char *loop_device)
{
  return lab_strv_new ("losetup", "--detach", loop_device, NULL);
}

gboolean
lab_iscsi_fuse_is_mounted (const char *mountpoint)
{
  g_autofree char *mounts = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents ("/proc/self/mounts", &mounts, NULL, NULL))
    return FALSE;
  lines = g_strsplit (mounts, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) f = g_strsplit (lines[i], " ", 4);
      g_autofree char *mp = NULL;

      if (g_strv_length (f) < 3 || !g_str_has_prefix (f[2], "fuse"))
        continue;
      mp = g_strcompress (f[1]);  /* \040 escapes */
      if (g_str_equal (mp, mountpoint))
        return TRUE;
    }
  return FALSE;
}

/* TRUE when /proc/PID/cmdline contains needle: guards against a recorded pid reused by another program. */
static gboolean
pid_cmdline_contains (GPid pid, const char *needle)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/cmdline", (int) pid);
  g_autofree char *data = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &data, &len, NULL))
    return FALSE;
  for (gsize i = 0; i + 1 < len; i++)
    if (data[i] == '\0')
      data[i] = ' ';
  return strstr (data, needle) != NULL;
}

/* The file a loop device is attached to ("" when detached), from sysfs. */
static char *
loop_backing_file (const char *loop_device)
{
  g_autofree char *base = g_path_get_basename (loop_device);
  g_autofree char *path = g_strdup_printf ("/sys/block/%s/loop/backing_file", base);
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("");
  return g_strstrip (text);
}

gboolean
lab_iscsi_fuse_attach (LabRunner *runner, const char *address, guint16 port, const char *iqn,
                       const char *initiator_name, const char *mountpoint, const char *chap_user, const char *secret_file,
                       const char *log_file, GPid *out_pid, char **out_loop_device, GError **error)
{
  g_autofree char *pidfile = g_strdup_printf ("%s.pid", mountpoint);
  g_auto(GStrv) argv = lab_iscsi_argv_fuse_export (address, port, iqn, 1, initiator_name, mountpoint, pidfile,
                                                   chap_user, secret_file);
  g_auto(GStrv) losetup = lab_iscsi_argv_losetup_attach (mountpoint);
  g_autofree char *out = NULL;
  gboolean real = lab_runner_get_mode (runner) == LAB_RUNNER_MODE_REAL;
  GPid pid = 0;

  *out_pid = 0;
  *out_loop_device = NULL;
  if (real && lab_iscsi_fuse_is_mounted (mountpoint))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_EXISTS,
                   _("A FUSE export is already mounted on %s (a qemu-storage-daemon labctl lost "
                     "track of?); stop it or run umount %s, then labctl storage up again"),
                   mountpoint, mountpoint);
      return FALSE;
    }
  if (real)
    {
      /* the mount point of a FUSE file export is a regular file */
      if (!g_file_set_contents_full (mountpoint, "", 0, G_FILE_SET_CONTENTS_NONE, 0600, error))
        return FALSE;
    }
  if (!lab_runner_spawn_daemon (runner, (const char * const *) argv, log_file, &pid, error))
    return FALSE;
  *out_pid = pid;
  if (real)
    {
      gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;

      while (!lab_iscsi_fuse_is_mounted (mountpoint))
        {
          if (!lab_process_alive (pid) || g_get_monotonic_time () > deadline)
            {
              g_autofree char *log = NULL;
              if (log_file != NULL)
                g_file_get_contents (log_file, &log, NULL, NULL);
              g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                           _("qemu-storage-daemon could not export iscsi://%s:%u/%s/1 on %s: %s; "
                             "is the target's ACL admitting this host and is /dev/fuse available?"),
                           address, port, iqn, mountpoint, log ? g_strstrip (log) : _("(no log)"));
              return FALSE;
            }
          g_usleep (20 * 1000);
        }
    }
  if (!lab_runner_run (runner, (const char * const *) losetup, LAB_RUN_DEFAULT, &out, error))
    return FALSE;
  *out_loop_device = g_strdup (out != NULL ? g_strstrip (out) : "");
  if (real && !g_str_has_prefix (*out_loop_device, "/dev/loop"))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                   _("losetup --find --show %s printed \"%s\", not a loop device"),
                   mountpoint, *out_loop_device);
      return FALSE;
    }
  return TRUE;
}

/* The pid in the export's pidfile (<mountpoint>.pid, written by
 * qemu-storage-daemon), or 0. */
static GPid
pidfile_pid (const char *mountpoint)
{
  g_autofree char *pidfile = g_strdup_printf ("%s.pid", mountpoint);
  g_autofree char *text = NULL;
  guint64 pid = 0;

  if (!g_file_get_contents (pidfile, &text, NULL, NULL)
      || !g_ascii_string_to_unsigned (g_strstrip (text), 10, 1, G_MAXINT, &pid, NULL))
    return 0;
  return (GPid) pid;
}

GPtrArray *
lab_iscsi_fuse_find_exports (const char *mountpoint)
{
  g_autofree char *needle = g_strdup_printf ("mountpoint=%s,", mountpoint);
  GPtrArray *pids = g_ptr_array_new ();
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  GPid from_file = pidfile_pid (mountpoint);

  /* the pidfile first: the export may not show its argv (a zombie) */
  if (from_file > 0 && lab_process_alive (from_file) && pid_cmdline_contains (from_file, needle))
    g_ptr_array_add (pids, GINT_TO_POINTER (from_file));
  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      guint64 pid = 0;

      if (!g_ascii_string_to_unsigned (name, 10, 1, G_MAXINT, &pid, NULL) || (GPid) pid == from_file)
        continue;
      if (pid_cmdline_contains ((GPid) pid, "qemu-storage-daemon")
          && pid_cmdline_contains ((GPid) pid, needle))
        g_ptr_array_add (pids, GINT_TO_POINTER ((GPid) pid));
    }
  return pids;
}

GStrv
lab_iscsi_fuse_find_loops (const char *mountpoint)
{
  GPtrArray *loops = g_ptr_array_new ();
  g_autoptr(GDir) dir = g_dir_open ("/sys/block", 0, NULL);
  const char *name;

  /* sysfs only: reading a block device whose export no longer answers would hang */
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *dev = NULL;
      g_autofree char *backing = NULL;

      if (!g_str_has_prefix (name, "loop"))
        continue;
      dev = g_strconcat ("/dev/", name, NULL);
      backing = loop_backing_file (dev);
      if (g_str_equal (backing, mountpoint))
        g_ptr_array_add (loops, g_steal_pointer (&dev));
    }
  g_ptr_array_add (loops, NULL);
  return (GStrv) g_ptr_array_free (loops, FALSE);
}

gboolean
lab_iscsi_fuse_exports_target (const char *mountpoint, const char *iqn)
{
  g_autoptr(GPtrArray) pids = lab_iscsi_fuse_find_exports (mountpoint);
  g_autofree char *needle = g_strdup_printf (",target=%s,", iqn);

  for (guint i = 0; i < pids->len; i++)
    if (pid_cmdline_contains (GPOINTER_TO_INT (g_ptr_array_index (pids, i)), needle))
      return TRUE;
  return FALSE;
}

static void
stop_export (GPid pid)
{
  kill (pid, SIGTERM);
  if (!lab_process_wait_gone (pid, 10000))
    {
      kill (pid, SIGKILL);
      lab_process_wait_gone (pid, 5000);
    }
}

gboolean
lab_iscsi_fuse_detach (LabRunner *runner, GPid pid, const char *mountpoint,
                       const char *loop_device, GError **error)
{
  gboolean real = lab_runner_get_mode (runner) == LAB_RUNNER_MODE_REAL;
  g_autoptr(GPtrArray) loops = g_ptr_array_new_with_free_func (g_free);

  if (loop_device != NULL && *loop_device != '\0')
    g_ptr_array_add (loops, g_strdup (loop_device));
  if (real && mountpoint != NULL)
    {
      /* also those the state does not know (a run killed before it recorded them) */
      g_auto(GStrv) found = lab_iscsi_fuse_find_loops (mountpoint);
      for (guint i = 0; found[i] != NULL; i++)
        if (loop_device == NULL || !g_str_equal (found[i], loop_device))
          g_ptr_array_add (loops, g_strdup (found[i]));
    }
  for (guint i = 0; i < loops->len; i++)
    {
      const char *loop = g_ptr_array_index (loops, i);
      g_autofree char *backing = real ? loop_backing_file (loop) : g_strdup (mountpoint);

      /* detach only if it is still ours: the number may have been reused */
      if (mountpoint != NULL && g_str_equal (backing, mountpoint))
        {
          g_auto(GStrv) argv = lab_iscsi_argv_losetup_detach (loop);
          if (!lab_runner_run (runner, (const char * const *) argv, LAB_RUN_DEFAULT, NULL, error))
            return FALSE;
        }
    }
  if (real && mountpoint != NULL)
    {
      /* the recorded pid, the pidfile's, and any export on this mountpoint:
       * each proven by its command line naming the mountpoint */
      g_autofree char *needle = g_strdup_printf ("mountpoint=%s,", mountpoint);
      g_autoptr(GPtrArray) pids = lab_iscsi_fuse_find_exports (mountpoint);

      if (pid > 0 && lab_process_alive (pid) && pid_cmdline_contains (pid, needle)
          && !g_ptr_array_find (pids, GINT_TO_POINTER (pid), NULL))
        g_ptr_array_add (pids, GINT_TO_POINTER (pid));
      for (guint i = 0; i < pids->len; i++)
        stop_export (GPOINTER_TO_INT (g_ptr_array_index (pids, i)));
    }
  if (mountpoint != NULL && real)
    {
      if (lab_iscsi_fuse_is_mounted (mountpoint))
        {
          const char *argv[] = { "umount", "--lazy", mountpoint, NULL };
          if (!lab_runner_run (runner, argv, LAB_RUN_DEFAULT, NULL, error))
            return FALSE;
        }
      g_autofree char *pidfile = g_strdup_printf ("%s.pid", mountpoint);
      g_unlink (mountpoint);
      g_unlink (pidfile);
    }
  return TRUE;
}
