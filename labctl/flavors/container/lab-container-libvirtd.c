/* lab-container-libvirtd.c: step nodes.libvirtd:<node>: virtlogd and
 * libvirtd of a node, in its network namespace and in a mount + UTS
 * namespace of their own with libvirt's directories bind-mounted from
 * <state dir>/nodes/<node>, under the hidden `labctl reap` subreaper.
 * State: nodes.<node>.virtlogd_pid, nodes.<node>.libvirtd_pid,
 * nodes.<node>.uri. */
#include "config.h"

#include "lab-container.h"
#include "lab-container-private.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-paths.h"
#include "lab-util.h"
#include "lab-virt.h"


/* The directories libvirt uses, bind-mounted from the node's dir. */
static const struct {
  const char *sub;
  const char *target;
} node_mounts[] = {
  { "run",   "/run/libvirt" },
  { "lib",   "/var/lib/libvirt" },
  { "cache", "/var/cache/libvirt" },
  { "log",   "/var/log/libvirt" },
  { "etc",   "/etc/libvirt" },
};

/* With a [cluster]: the directories corosync and pacemaker keep, private
 * to the node (a skeleton of the host's, owners and modes kept), and the
 * node's own /run and /dev/shm (pid files, libqb's rings, the resource
 * agents' state) as tmpfs: a fresh start of the node is a reboot. */
static const struct {
  const char *sub;
  const char *target;
} cluster_mounts[] = {
  { "cluster/etc-corosync",  "/etc/corosync" },
  { "cluster/lib-corosync",  "/var/lib/corosync" },
  { "cluster/log-corosync",  "/var/log/corosync" },
  { "cluster/lib-pacemaker", "/var/lib/pacemaker" },
  { "cluster/log-pacemaker", "/var/log/pacemaker" },
};

/* ---- the node's daemons ------------------------------------------------ */

static char *
libvirtd_conf (LabContainerNode *node)
{
  return g_strdup_printf ("# written by labctl for node %s of lab %s\n"
                          "listen_tls = 0\n"
                          "listen_tcp = 1\n"
                          "# TCP without authentication, only on the lab's private network\n"
                          "listen_addr = \"%s\"\n"
                          "auth_tcp = \"none\"\n"
                          "auth_unix_rw = \"none\"\n"
                          "host_uuid = \"%s\"\n"
                          "log_outputs = \"3:file:/var/log/libvirt/libvirtd.log\"\n",
                          node->node_name, node->lab_name, node->address, node->uuid);
}

static char *
qemu_conf_tail (LabContainerNode *node)
{
  return g_strdup_printf ("\n# --- labctl: node %s of lab %s ---\n"
                          "migration_host = \"%s\"\n"
                          "cgroup_controllers = [ ]\n",
                          node->node_name, node->lab_name, node->address);
}

/* The shell line run inside the node's fresh mount + UTS namespace. */
static char *
mount_script (LabContainerNode *node, const char *exec_line)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autofree char *hn = g_shell_quote (node->node_name);

  if (node->cluster)
    {
      /* the host's /run/netns stays visible (the fence agent finds the
       * nodes' namespaces there) */
      g_autofree char *keep = g_build_filename (node->dir, "cluster", "netns", NULL);
      g_autofree char *qkeep = g_shell_quote (keep);

      g_string_append_printf (s, "mount --rbind /run/netns %s && mount -t tmpfs -o mode=0755 tmpfs /run && "
                                 "mkdir -p /run/netns /run/libvirt /run/resource-agents /run/lock && "
                                 "mount --move %s /run/netns && mount -t tmpfs -o mode=1777 tmpfs /dev/shm && ",
                              qkeep, qkeep);
    }
  for (guint i = 0; i < G_N_ELEMENTS (node_mounts); i++)
    {
      g_autofree char *src = g_build_filename (node->dir, node_mounts[i].sub, NULL);
      g_autofree char *qsrc = g_shell_quote (src);

      g_string_append_printf (s, "mount --bind %s %s && ", qsrc, node_mounts[i].target);
    }
  for (guint i = 0; node->cluster && i < G_N_ELEMENTS (cluster_mounts); i++)
    {
      g_autofree char *src = g_build_filename (node->dir, cluster_mounts[i].sub, NULL);
      g_autofree char *qsrc = g_shell_quote (src);

      g_string_append_printf (s, "mount --bind %s %s && ", qsrc, cluster_mounts[i].target);
    }
  if (node->cluster)
    {
      /* the fence agent among the host's (pacemaker runs agents from /usr/sbin only) */
      g_autofree char *sbin = g_build_filename (node->dir, "cluster", "sbin", NULL);
      g_autofree char *opt = g_strdup_printf ("lowerdir=%s:/usr/sbin", sbin);
      g_autofree char *qopt = g_shell_quote (opt);

      g_string_append_printf (s, "mount -t overlay -o %s overlay /usr/sbin && ", qopt);
    }
  g_string_append_printf (s, "hostname %s && exec %s", hn, exec_line);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* dst as a directory with the owner and mode of src. */
static gboolean
mirror_dir (const char *src, const char *dst, GError **error)
{
  struct stat st;

  if (g_stat (src, &st) < 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("%s is missing: are corosync and pacemaker installed? (sudo sh scripts/install-deps)"), src);
      return FALSE;
    }
  if (g_mkdir_with_parents (dst, 0755) < 0 || chown (dst, st.st_uid, st.st_gid) < 0
      || chmod (dst, st.st_mode & 07777) < 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot create %s: %s"), dst, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

/* The node's private copies of the cluster's directories (the host's and
 * their sub-directories, empty) and the fence agent for its /usr/sbin. */
static gboolean
prepare_cluster_dirs (LabRunner *runner, LabContainerNode *node, GError **error)
{
  g_autofree char *sbin = g_build_filename (node->dir, "cluster", "sbin", NULL);
  g_autofree char *agent = lab_paths_data_file ("labctl", "cluster", LAB_CONTAINER_FENCE_AGENT, NULL);
  g_autofree char *agent_dst = g_build_filename (sbin, LAB_CONTAINER_FENCE_AGENT, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cluster_mounts); i++)
    {
      g_autofree char *dst = g_build_filename (node->dir, cluster_mounts[i].sub, NULL);
      g_autoptr(GDir) d = g_dir_open (cluster_mounts[i].target, 0, NULL);
      const char *name;

      if (!mirror_dir (cluster_mounts[i].target, dst, error))
        return FALSE;
      while (d != NULL && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *sub_src = g_build_filename (cluster_mounts[i].target, name, NULL);
          g_autofree char *sub_dst = g_build_filename (dst, name, NULL);

          if (g_file_test (sub_src, G_FILE_TEST_IS_DIR) && !g_file_test (sub_src, G_FILE_TEST_IS_SYMLINK)
              && !mirror_dir (sub_src, sub_dst, error))
            return FALSE;
        }
    }
  {
    g_autofree char *keep = g_build_filename (node->dir, "cluster", "netns", NULL);

    if (g_mkdir_with_parents (keep, 0755) < 0)
      {
        g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot create %s: %s"), keep, g_strerror (errno));
        return FALSE;
      }
  }
  return lab_runner_runv (runner, 0, NULL, error, "install", "-D", "-m", "0755", agent, agent_dst, NULL);
}

static gboolean
write_file (const char *path, const char *contents, GError **error)
{
  g_autoptr(GError) local_error = NULL;

  if (g_file_set_contents (path, contents, -1, &local_error))
    return TRUE;
  g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot write %s: %s"), path, local_error->message);
  return FALSE;
}

/* The host's qemu.conf with our keys appended: a key the host set itself
 * is commented out (libvirt would take the first one). */
static gboolean
write_qemu_conf (const char *path, const char *tail, GError **error)
{
  static const char * const ours[] = { "migration_host", "cgroup_controllers", NULL };
  g_autofree char *old = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) out = g_string_new (NULL);

  if (g_file_get_contents (path, &old, NULL, NULL))
    lines = g_strsplit (old, "\n", -1);
  for (guint i = 0; lines != NULL && lines[i] != NULL; i++)
    {
      const char *l = lines[i];
      gboolean clash = FALSE;

      while (*l == ' ' || *l == '\t')
        l++;
      for (guint k = 0; ours[k] != NULL; k++)
        if (g_str_has_prefix (l, ours[k]) && strchr (" \t=", l[strlen (ours[k])]) != NULL)
          clash = TRUE;
      if (clash)
        g_string_append (out, "# (set below by labctl) ");
      g_string_append (out, lines[i]);
      if (lines[i + 1] != NULL)
        g_string_append_c (out, '\n');
    }
  g_string_append (out, tail);
  return write_file (path, out->str, error);
}

static gboolean
wait_for_path (const char *path, GPid pid, guint timeout_ms, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      if (pid > 0 && !lab_process_alive (pid))
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                       _("The daemon (pid %d) exited before %s appeared"), (int) pid, path);
          return FALSE;
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT, _("%s did not appear within %u s"),
                       path, timeout_ms / 1000);
          return FALSE;
        }
      g_usleep (20 * 1000);
    }
  return TRUE;
}

static char *
tail_of_file (const char *path)
{
  g_autofree char *text = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &text, &len, NULL) || len == 0)
    return g_strdup ("");
  if (len > 600)
    return g_strstrip (g_strdup (text + len - 600));
  return g_strstrip (g_steal_pointer (&text));
}

static gboolean
dir_has_entries (const char *path)
{
  g_autoptr(GDir) d = g_dir_open (path, 0, NULL);

  return d != NULL && g_dir_read_name (d) != NULL;
}

/* Waits until the node's libvirtd (lv_pid, its output in lv_log) answers
 * at uri, then has its QEMU driver probe the host. */
static gboolean
wait_answering (LabContainerNode *node, const char *uri, GPid lv_pid, const char *lv_log,
                GCancellable *cancellable, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  g_autoptr(virConnect) conn = NULL;

  /* each refused connection until then is expected, not an error */
  while ((conn = lab_virt_open (uri, NULL)) == NULL)
    {
      if (!lab_process_alive (lv_pid))
        {
          g_autofree char *tail = tail_of_file (lv_log);
          g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                       _("libvirtd of node %s exited at start: %s; see %s"), node->node_name, tail, lv_log);
          return FALSE;
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT,
                       _("libvirtd of node %s does not answer on %s after 60 s; see %s"),
                       node->node_name, uri, lv_log);
          return FALSE;
        }
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      g_usleep (50 * 1000);
    }
  {
    /* make the QEMU driver probe now, so the cache is complete when the
     * caller copies it */
    char *caps = virConnectGetDomainCapabilities (conn, NULL, NULL, NULL, "qemu", 0);
    free (caps);
  }
  return TRUE;
}

gboolean
lab_container_daemons_start (LabRunner *runner, LabContainerNode *node, GPid *out_virtlogd,
                             GPid *out_libvirtd, GCancellable *cancellable, GError **error)
{
  g_autofree char *etc = g_build_filename (node->dir, "etc", NULL);
  g_autofree char *etc_src = g_strdup ("/etc/libvirt/.");
  g_autofree char *conf_path = g_build_filename (etc, "libvirtd.conf", NULL);
  g_autofree char *qemu_conf_path = g_build_filename (etc, "qemu.conf", NULL);
  g_autofree char *autostart = g_build_filename (etc, "qemu", "networks", "autostart", NULL);
  g_autofree char *conf = libvirtd_conf (node);
  g_autofree char *qtail = qemu_conf_tail (node);
  g_autofree char *vl_script = mount_script (node, "virtlogd -p /run/libvirt/virtlogd.pid");
  g_autofree char *vl_log = g_build_filename (node->dir, "virtlogd.out", NULL);
  g_autofree char *lv_log = g_build_filename (node->dir, "libvirtd.out", NULL);
  g_autofree char *vl_sock = g_build_filename (node->dir, "run", "virtlogd-sock", NULL);
  g_autofree char *cache_qemu = g_build_filename (node->dir, "cache", "qemu", NULL);
  g_autofree char *cache_dst = g_build_filename (node->dir, "cache", NULL);
  g_autofree char *uri = lab_container_node_uri (node);
  g_autofree char *vl_pid_str = NULL;
  GPid vl_pid = 0, lv_pid = 0;

  *out_virtlogd = *out_libvirtd = 0;

  /* private directories and configuration */
  for (guint i = 0; i < G_N_ELEMENTS (node_mounts); i++)
    {
      g_autofree char *sub = g_build_filename (node->dir, node_mounts[i].sub, NULL);

      if (g_mkdir_with_parents (sub, 0755) < 0)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot create %s: %s"), sub, g_strerror (errno));
          return FALSE;
        }
      /* the mount point on the host (exists once libvirt ran there) */
      if (g_mkdir_with_parents (node_mounts[i].target, 0755) < 0)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot create %s: %s"),
                       node_mounts[i].target, g_strerror (errno));
          return FALSE;
        }
    }
  if (node->cluster && !prepare_cluster_dirs (runner, node, error))
    return FALSE;
  if (!lab_runner_runv (runner, 0, NULL, error, "cp", "-a", etc_src, etc, NULL))
    return FALSE;
  {
    g_autoptr(GDir) d = g_dir_open (autostart, 0, NULL);
    const char *name;

    /* the host's autostarted networks stay the host's */
    while (d != NULL && (name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *p = g_build_filename (autostart, name, NULL);
        g_unlink (p);
      }
  }
  if (!write_file (conf_path, conf, error) || !write_qemu_conf (qemu_conf_path, qtail, error))
    return FALSE;
  if (node->caps_cache != NULL && dir_has_entries (node->caps_cache))
    {
      g_autofree char *src = g_build_filename (node->caps_cache, ".", NULL);

      if (!lab_runner_runv (runner, 0, NULL, error, "cp", "-a", src, cache_dst, NULL))
        return FALSE;
    }

  /* virtlogd: enters the node's netns and a new mount + UTS namespace */
  {
    const char *argv[] = { "ip", "netns", "exec", node->netns, "unshare", "--mount", "--uts",
                           "--propagation", "private", "sh", "-c", vl_script, NULL };

    if (!lab_runner_spawn_daemon (runner, argv, vl_log, &vl_pid, error))
      return FALSE;
  }
  *out_virtlogd = vl_pid;
  if (!wait_for_path (vl_sock, vl_pid, 10000, error))
    {
      g_autofree char *tail = tail_of_file (vl_log);
      g_prefix_error (error, _("virtlogd of node %s did not start (%s): "), node->node_name, tail);
      return FALSE;
    }

  /* libvirtd joins virtlogd's namespaces */
  vl_pid_str = g_strdup_printf ("%d", (int) vl_pid);
  {
    g_autoptr(GPtrArray) argv = g_ptr_array_new ();
    g_autofree char *reaper = lab_container_reaper_path ();
    const char *tail[] = { "taskset", "-c", "0", "libvirtd", "--listen", "-p", "/run/libvirt/libvirtd.pid", NULL };

    g_ptr_array_add (argv, (char *) "nsenter");
    g_ptr_array_add (argv, (char *) "-t");
    g_ptr_array_add (argv, vl_pid_str);
    g_ptr_array_add (argv, (char *) "-m");
    g_ptr_array_add (argv, (char *) "-u");
    g_ptr_array_add (argv, (char *) "-n");
    /* libvirtd under `labctl reap`: QEMU's zombies are reaped at once */
    if (reaper != NULL)
      {
        g_ptr_array_add (argv, reaper);
        g_ptr_array_add (argv, (char *) "reap");
        g_ptr_array_add (argv, (char *) "--");
      }
    for (guint i = 0; tail[i] != NULL; i++)
      g_ptr_array_add (argv, (char *) tail[i]);
    g_ptr_array_add (argv, NULL);
    if (!lab_runner_spawn_daemon (runner, (const char * const *) argv->pdata, lv_log, &lv_pid, error))
      return FALSE;
  }
  *out_libvirtd = lv_pid;

  if (!wait_answering (node, uri, lv_pid, lv_log, cancellable, error))
    return FALSE;

  if (node->caps_cache != NULL && !dir_has_entries (node->caps_cache) && dir_has_entries (cache_qemu))
    {
      g_autofree char *src = g_build_filename (cache_dst, ".", NULL);

      if (g_mkdir_with_parents (node->caps_cache, 0755) == 0)
        lab_runner_runv (runner, 0, NULL, NULL, "cp", "-a", src, node->caps_cache, NULL);
    }
  return TRUE;
}

gboolean
lab_container_daemons_running (LabContainerNode *node, GPid libvirtd)
{
  g_autofree char *uri = lab_container_node_uri (node);
  g_autoptr(virConnect) conn = NULL;

  if (libvirtd <= 0 || !lab_process_alive (libvirtd))
    return FALSE;
  conn = lab_virt_open (uri, NULL);
  return conn != NULL;
}

char *
lab_container_reaper_path (void)
{
  const char *env = g_getenv ("LABCTL");
  g_autofree char *self = NULL;
  g_autofree char *base = NULL;

  if (env != NULL && *env != '\0' && g_file_test (env, G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup (env);
  self = g_file_read_link ("/proc/self/exe", NULL);
  if (self == NULL)
    return NULL;
  base = g_path_get_basename (self);
  return g_str_equal (base, "labctl") ? g_steal_pointer (&self) : NULL;
}

static GPid
pid_from_file (LabContainerNode *node, const char *name)
{
  g_autofree char *path = g_build_filename (node->dir, "run", name, NULL);
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  return (GPid) g_ascii_strtoll (text, NULL, 10);
}

/* QEMU processes of the node, from the pid files its libvirtd left. */
static void
kill_leftover_qemu (LabContainerNode *node)
{
  g_autofree char *qdir = g_build_filename (node->dir, "run", "qemu", NULL);
  g_autoptr(GDir) d = g_dir_open (qdir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *text = NULL;
      GPid pid;

      if (!g_str_has_suffix (name, ".pid"))
        continue;
      path = g_build_filename (qdir, name, NULL);
      if (!g_file_get_contents (path, &text, NULL, NULL))
        continue;
      pid = (GPid) g_ascii_strtoll (text, NULL, 10);
      if (lab_process_is (pid, "qemu"))
        {
          kill (pid, SIGKILL);
          lab_process_wait_gone (pid, 5000);
        }
    }
}

static void
domain_free (gpointer dom)
{
  virDomainFree (dom);
}

/* Destroys every domain that runs on the node's libvirtd: it is the lab's
 * own, so whatever runs on it is the lab's. */
static void
destroy_domains (LabContainerNode *node)
{
  g_autofree char *uri = lab_container_node_uri (node);
  g_autoptr(virConnect) conn = lab_virt_open (uri, NULL);
  virDomainPtr *list = NULL;
  g_autoptr(GPtrArray) doms = NULL;
  int n;

  if (conn == NULL)
    return;
  n = virConnectListAllDomains (conn, &list, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
  doms = lab_virt_take_list (list, n, domain_free);
  for (guint i = 0; i < doms->len; i++)
    virDomainDestroy (g_ptr_array_index (doms, i));
}

gboolean
lab_container_daemons_stop (LabRunner *runner, LabContainerNode *node, GPid virtlogd,
                            GPid libvirtd, GError **error)
{
  GPid libvirtd_child;

  /* the daemons' own pid files too: a start interrupted before the state
   * recorded the PIDs leaves them only there */
  if (virtlogd <= 0)
    virtlogd = pid_from_file (node, "virtlogd.pid");
  libvirtd_child = pid_from_file (node, "libvirtd.pid");

  if ((libvirtd > 0 && lab_process_alive (libvirtd)) || lab_process_is (libvirtd_child, "libvirtd"))
    destroy_domains (node);
  /* libvirtd, or `labctl reap` which forwards the signal to it */
  if (lab_process_is (libvirtd, "labctl"))
    lab_process_stop (libvirtd, "labctl", 15000);
  else
    lab_process_stop (libvirtd, "libvirtd", 15000);
  lab_process_stop (libvirtd_child, "libvirtd", 15000);
  kill_leftover_qemu (node);
  lab_process_stop (virtlogd, "virtlogd", 10000);

  if (g_file_test (node->dir, G_FILE_TEST_IS_DIR))
    return lab_runner_runv (runner, 0, NULL, error, "rm", "-rf", "--one-file-system", node->dir, NULL);
  return TRUE;
}

char **
lab_container_daemons_describe (LabContainerNode *node, gboolean down)
{
  GPtrArray *lines = g_ptr_array_new ();
  g_autofree char *run = g_build_filename (node->dir, "run", NULL);
  g_autofree char *etc = g_build_filename (node->dir, "etc", NULL);

  if (down)
    {
      g_autofree char *uri = lab_container_node_uri (node);
      g_autofree char *lvpid = g_strdup_printf ("kill $(cat %s/libvirtd.pid)", run);
      g_autofree char *vlpid = g_strdup_printf ("kill $(cat %s/virtlogd.pid)", run);

      g_ptr_array_add (lines, g_strdup_printf ("virsh -c '%s' list --name | xargs -r -n1 virsh -c '%s' destroy",
                                               uri, uri));
      g_ptr_array_add (lines, g_steal_pointer (&lvpid));
      g_ptr_array_add (lines, g_steal_pointer (&vlpid));
      lab_lines_add_cmd (lines, "rm", "-rf", node->dir, NULL);
    }
  else
    {
      g_autofree char *conf = libvirtd_conf (node);
      g_autofree char *qtail = qemu_conf_tail (node);
      g_autofree char *script = mount_script (node, "virtlogd -p /run/libvirt/virtlogd.pid");
      g_autofree char *q = g_shell_quote (script);
      g_autofree char *cache_dst = g_build_filename (node->dir, "cache", NULL);

      g_ptr_array_add (lines, g_strdup_printf ("mkdir -p %s/{run,lib,cache,log,etc} /run/libvirt", node->dir));
      lab_lines_add_cmd (lines, "cp", "-a", "/etc/libvirt/.", etc, NULL);
      g_ptr_array_add (lines, g_strdup_printf ("rm -f %s/qemu/networks/autostart/*", etc));
      g_ptr_array_add (lines, g_strdup_printf ("cat > %s/libvirtd.conf <<'EOF'\n%sEOF", etc, conf));
      g_ptr_array_add (lines, g_strdup_printf ("cat >> %s/qemu.conf <<'EOF'%sEOF", etc, qtail));
      if (node->caps_cache != NULL)
        g_ptr_array_add (lines, g_strdup_printf ("cp -a %s/. %s/   # seed the QEMU capabilities cache",
                                                 node->caps_cache, cache_dst));
      g_ptr_array_add (lines, g_strdup_printf ("setsid ip netns exec %s unshare --mount --uts --propagation private "
                                               "sh -c %s &", node->netns, q));
      g_ptr_array_add (lines, g_strdup_printf ("setsid nsenter -t $! -m -u -n labctl reap -- taskset -c 0 libvirtd --listen "
                                               "-p /run/libvirt/libvirtd.pid &"));
    }
  return lab_lines_steal (lines);
}

/* ---- step nodes.libvirtd ---------------------------------------------- */

static GPid
state_pid (LabContext *ctx, const char *node, const char *daemon)
{
  g_autofree char *key = g_strdup_printf ("nodes.%s.%s_pid", node, daemon);

  return (GPid) lab_state_get_int (ctx->state, key, 0);
}

static void
set_state_pid (LabContext *ctx, const char *node, const char *daemon, GPid pid)
{
  g_autofree char *key = g_strdup_printf ("nodes.%s.%s_pid", node, daemon);

  if (pid > 0)
    lab_state_set_int (ctx->state, key, pid);
  else
    lab_state_remove (ctx->state, key);
}

static gboolean
daemons_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  LabNode *n = data;
  g_autoptr(LabContainerNode) node = lab_container_node_for (ctx, n);

  *done = lab_container_daemons_running (node, state_pid (ctx, n->name, "libvirtd"));
  return TRUE;
}

static gboolean
daemons_apply (LabContext *ctx, gpointer data, GError **error)
{
  LabNode *n = data;
  g_autoptr(LabContainerNode) node = lab_container_node_for (ctx, n);
  g_autofree char *uri = lab_container_node_uri (node);
  g_autofree char *key = g_strdup_printf ("nodes.%s.uri", n->name);
  GPid vl = 0, lv = 0;
  gboolean ok;

  /* leftovers of an interrupted start are stopped first */
  if (!lab_container_daemons_stop (ctx->runner, node, state_pid (ctx, n->name, "virtlogd"),
                                   state_pid (ctx, n->name, "libvirtd"), error))
    return FALSE;
  ok = lab_container_daemons_start (ctx->runner, node, &vl, &lv, ctx->cancellable, error);
  /* record what was started even on failure: `down` stops it */
  set_state_pid (ctx, n->name, "virtlogd", vl);
  set_state_pid (ctx, n->name, "libvirtd", lv);
  lab_state_set_string (ctx->state, key, uri);
  if (!lab_state_save (ctx->state, ok ? error : NULL))
    return FALSE;
  return ok;
}

static gboolean
daemons_undo (LabContext *ctx, gpointer data, GError **error)
{
  LabNode *n = data;
  g_autoptr(LabContainerNode) node = lab_container_node_for (ctx, n);
  g_autofree char *key = g_strdup_printf ("nodes.%s.uri", n->name);

  if (!lab_container_daemons_stop (ctx->runner, node, state_pid (ctx, n->name, "virtlogd"),
                                   state_pid (ctx, n->name, "libvirtd"), error))
    return FALSE;
  set_state_pid (ctx, n->name, "virtlogd", 0);
  set_state_pid (ctx, n->name, "libvirtd", 0);
  lab_state_remove (ctx->state, key);
  return TRUE;
}

static char **
daemons_describe (LabContext *ctx, gpointer data, gboolean down)
{
  g_autoptr(LabContainerNode) node = lab_container_node_for (ctx, data);

  return lab_container_daemons_describe (node, down);
}

const LabStepInfo lab_container_libvirtd_step = {
  "nodes.libvirtd", N_("Start virtlogd and libvirtd of node %s"), TRUE,
  daemons_check, daemons_apply, daemons_undo, daemons_describe,
};
