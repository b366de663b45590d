/* lab-cluster-fence-virt.c: fencing of VM nodes by the host's libvirt, with
 * the standard agents: fence_virtd (package fence-virtd: libvirt backend,
 * multicast listener) on the host, fence_xvm (package fence-virt) as the
 * cluster's stonith device in the nodes. A per-lab key (the state dir,
 * 0600) authenticates the requests; fence_virtd joins the multicast group
 * on the lab network's bridge only (the interface of its gateway address),
 * and its static group map lets only the lab's node addresses fence only
 * the lab's node domains, so no other VM of the host can be powered off
 * through it.
 *
 * Steps (phase cluster, before corosync; added by a VM flavor):
 *   cluster.fence-virtd        key, fence_virtd.conf, fence_virtd -F started
 *                              (PID cluster.fence_virtd_pid); undo stops
 *                              exactly that process
 *   cluster.fence-key:<node>   the key in the node's /etc/cluster/fence_xvm.key
 */
#include "config.h"

#include "lab-cluster.h"
#include "lab-cluster-private.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <glib/gstdio.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-util.h"

#define K_FENCE_VIRTD_PID "cluster.fence_virtd_pid"
#define KEY_BYTES 512

/* ---- the configuration (pure) ------------------------------------------- */

char *
lab_fence_virtd_conf (const LabFenceVirtdConf *c)
{
  g_autoptr(GString) s = g_string_new (NULL);

  g_string_append_printf (s, "# fence_virt.conf written by labctl for lab %s (fence_virt.conf(5))\n", c->lab);
  g_string_append (s, "fence_virtd {\n"
                      "\tlistener = \"multicast\";\n"
                      "\tbackend = \"libvirt\";\n"
                      "\tforeground = \"yes\";\n"
                      "\twait_for_init = \"yes\";\n");
  if (c->module_path != NULL)
    g_string_append_printf (s, "\tmodule_path = \"%s\";\n", c->module_path);
  g_string_append (s, "}\n\n"
                      "listeners {\n"
                      "\tmulticast {\n");
  g_string_append_printf (s, "\t\tkey_file = \"%s\";\n", c->key_file);
  g_string_append_printf (s, "\t\t# the lab network only: the bridge of its gateway address %s\n", c->gateway);
  g_string_append_printf (s, "\t\tinterface = \"%s\";\n", c->interface);
  g_string_append_printf (s, "\t\taddress = \"%s\";\n", LAB_FENCE_XVM_MCAST);
  g_string_append_printf (s, "\t\tport = \"%u\";\n", c->port);
  g_string_append (s, "\t\tfamily = \"ipv4\";\n"
                      "\t\thash = \"sha256\";\n"
                      "\t\tauth = \"sha256\";\n"
                      "\t}\n"
                      "}\n\n"
                      "backends {\n"
                      "\tlibvirt {\n");
  g_string_append_printf (s, "\t\turi = \"%s\";\n", c->uri);
  g_string_append (s, "\t}\n"
                      "}\n\n"
                      "# only the lab's nodes may fence, and only the lab's node domains\n"
                      "groups {\n"
                      "\tgroup {\n");
  g_string_append_printf (s, "\t\tname = \"%s\";\n", c->lab);
  for (guint i = 0; c->node_addresses != NULL && c->node_addresses[i] != NULL; i++)
    g_string_append_printf (s, "\t\tip = \"%s\";\n", c->node_addresses[i]);
  for (guint i = 0; c->domains != NULL && c->domains[i] != NULL; i++)
    g_string_append_printf (s, "\t\tuuid = \"%s\";\n", c->domains[i]);
  g_string_append (s, "\t}\n"
                      "}\n");
  return g_string_free (g_steal_pointer (&s), FALSE);
}

char **
lab_fence_xvm_params (LabRecipe *r, guint port)
{
  g_autoptr(GPtrArray) p = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) map = g_string_new (NULL);
  g_autofree char *ipport = g_strdup_printf ("%u", port);

  /* node name (pacemaker's) : domain name (the host's libvirt's) */
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *n = g_ptr_array_index (r->nodes, i);

      g_string_append_printf (map, "%s%s:%s", i > 0 ? ";" : "", n->name, n->name);
    }
  lab_strv_add (p, "key_file", LAB_FENCE_XVM_NODE_KEY, "multicast_address", LAB_FENCE_XVM_MCAST, "ipport", ipport,
                "pcmk_host_map", map->str, NULL);
  g_ptr_array_add (p, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&p), FALSE);
}

gboolean
lab_fence_virt_key_write (const char *path, GError **error)
{
  guint8 raw[KEY_BYTES];
  g_autoptr(GString) hex = g_string_sized_new (2 * KEY_BYTES);
  gsize got = 0;

  /* the key is bytes to fence_xvm; hex text travels on a command's stdin */
  while (got < sizeof raw)
    {
      ssize_t n = getrandom (raw + got, sizeof raw - got, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot read random bytes for the fence key: %s"),
                       g_strerror (errno));
          return FALSE;
        }
      got += (gsize) n;
    }
  for (guint i = 0; i < sizeof raw; i++)
    g_string_append_printf (hex, "%02x", raw[i]);
  memset (raw, 0, sizeof raw);
  return g_file_set_contents_full (path, hex->str, (gssize) hex->len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/* ---- the daemon labctl owns ---------------------------------------------- */

gboolean
lab_fence_virtd_is_ours (GPid pid, const char *conf_path)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/cmdline", (int) pid);
  g_autofree char *cmdline = NULL;
  gsize len = 0;
  gboolean has_f = FALSE;

  if (pid <= 0 || !lab_process_is (pid, "fence_virtd") || !g_file_get_contents (path, &cmdline, &len, NULL))
    return FALSE;
  /* argv: fence_virtd ... -f CONF ... */
  for (const char *a = cmdline; a < cmdline + len; a += strlen (a) + 1)
    {
      if (has_f && g_str_equal (a, conf_path))
        return TRUE;
      has_f = g_str_equal (a, "-f");
    }
  return FALSE;
}

char **
lab_fence_virtd_argv (const char *conf_path)
{
  /* -d2: every request it takes (the domain, the action, the result) in
   * its log; stdbuf -oL: its debug lines go to its stdout, a file, which
   * would otherwise hold them until it exits */
  return lab_strv_new ("stdbuf", "-oL", "fence_virtd", "-F", "-w", "-d2", "-f", conf_path, NULL);
}

gboolean
lab_fence_virtd_start (LabRunner *runner, const char *conf_path, const char *log_path, GPid *out_pid,
                       GError **error)
{
  g_auto(GStrv) argv = lab_fence_virtd_argv (conf_path);
  GPid pid = 0;

  if (!lab_runner_spawn_daemon (runner, (const char * const *) argv, log_path, &pid, error))
    return FALSE;
  *out_pid = pid;
  if (pid <= 0)
    return TRUE;  /* dry run */
  /* it reads its configuration, loads its plugins and connects to libvirt
   * (wait_for_init) before it listens: a bad configuration or a key it
   * cannot read ends it within a moment */
  for (guint i = 0; i < 15; i++)
    {
      g_usleep (100 * 1000);
      if (!lab_process_alive (pid))
        {
          g_autofree char *log = NULL;

          g_file_get_contents (log_path, &log, NULL, NULL);
          g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("fence_virtd exited at start (see %s):\n%s"), log_path,
                       log != NULL ? g_strstrip (log) : "");
          return FALSE;
        }
    }
  return TRUE;
}

void
lab_fence_virtd_stop (GPid pid, const char *conf_path)
{
  /* never a fence_virtd labctl did not start: the PID must run ours */
  if (lab_fence_virtd_is_ours (pid, conf_path))
    lab_process_stop (pid, "fence_virtd", 10000);
}

/* ---- cluster.fence-virtd ------------------------------------------------- */

static gboolean
program_exists (const char *name)
{
  g_autofree char *path = g_find_program_in_path (name);

  /* root's PATH may lack /usr/sbin under sudo's secure_path: look there too */
  if (path == NULL)
    {
      g_autofree char *sbin = g_build_filename ("/usr/sbin", name, NULL);

      return g_file_test (sbin, G_FILE_TEST_IS_EXECUTABLE);
    }
  return TRUE;
}

typedef struct {
  const LabClusterOps *ops;
  LabNode             *node;
} FenceData;

static char *
state_file (LabContext *ctx, const char *name)
{
  g_autofree char *dir = lab_context_get_state_dir (ctx);

  return g_build_filename (dir, name, NULL);
}

/* The host's libvirt, as labctl reaches it (lab_virt_default_uri ()). */
static const char *
host_libvirt_uri (LabContext *ctx)
{
  const char *env = g_getenv ("LABCTL_LIBVIRT_URI");

  if (ctx->libvirt_uri != NULL && *ctx->libvirt_uri != '\0')
    return ctx->libvirt_uri;
  return env != NULL && *env != '\0' ? env : "qemu:///system";
}

static LabFenceVirtdConf *
conf_for (LabContext *ctx)
{
  LabRecipe *r = ctx->recipe;
  LabFenceVirtdConf *c = g_new0 (LabFenceVirtdConf, 1);
  GPtrArray *addrs = g_ptr_array_new ();
  GPtrArray *doms = g_ptr_array_new ();

  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *n = g_ptr_array_index (r->nodes, i);

      g_ptr_array_add (addrs, g_strdup (n->address));
      g_ptr_array_add (doms, g_strdup (n->name));
    }
  g_ptr_array_add (addrs, NULL);
  g_ptr_array_add (doms, NULL);
  c->lab = g_strdup (r->name);
  c->interface = g_strdup (r->bridge);
  c->gateway = g_strdup (r->gateway);
  c->key_file = state_file (ctx, LAB_FENCE_VIRT_KEY_NAME);
  c->uri = g_strdup (host_libvirt_uri (ctx));
  c->port = LAB_FENCE_XVM_PORT;
  c->node_addresses = (char **) g_ptr_array_free (addrs, FALSE);
  c->domains = (char **) g_ptr_array_free (doms, FALSE);
  return c;
}

void
lab_fence_virtd_conf_free (LabFenceVirtdConf *c)
{
  if (c == NULL)
    return;
  g_free (c->lab);
  g_free (c->interface);
  g_free (c->gateway);
  g_free (c->key_file);
  g_free (c->uri);
  g_free (c->module_path);
  g_strfreev (c->node_addresses);
  g_strfreev (c->domains);
  g_free (c);
}

static gboolean
fence_virtd_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  g_autofree char *conf = state_file (ctx, LAB_FENCE_VIRTD_CONF_NAME);
  g_autofree char *key = state_file (ctx, LAB_FENCE_VIRT_KEY_NAME);

  *done = g_file_test (key, G_FILE_TEST_IS_REGULAR)
          && lab_fence_virtd_is_ours ((GPid) lab_state_get_int (ctx->state, K_FENCE_VIRTD_PID, 0), conf);
  return TRUE;
}

static gboolean
fence_virtd_apply (LabContext *ctx, gpointer data, GError **error)
{
  g_autoptr(LabFenceVirtdConf) c = conf_for (ctx);
  g_autofree char *conf_path = state_file (ctx, LAB_FENCE_VIRTD_CONF_NAME);
  g_autofree char *log = state_file (ctx, "fence_virtd.log");
  g_autofree char *text = lab_fence_virtd_conf (c);
  GPid pid = 0;

  if (lab_runner_is_dry_run (ctx->runner))
    return TRUE;
  if (!program_exists ("fence_virtd"))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("fence_virtd is not installed on this host: the kvm nodes of a [cluster] are fenced through "
                     "it; install the package fence-virtd (scripts/install-deps does)"));
      return FALSE;
    }
  lab_fence_virtd_stop ((GPid) lab_state_get_int (ctx->state, K_FENCE_VIRTD_PID, 0), conf_path);
  /* the key stays for the lab's life: the nodes have a copy */
  if (!g_file_test (c->key_file, G_FILE_TEST_IS_REGULAR) && !lab_fence_virt_key_write (c->key_file, error))
    return FALSE;
  if (!g_file_set_contents_full (conf_path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return FALSE;
  if (!lab_fence_virtd_start (ctx->runner, conf_path, log, &pid, error))
    return FALSE;
  lab_state_set_int (ctx->state, K_FENCE_VIRTD_PID, pid);
  return lab_state_save (ctx->state, error);
}

static gboolean
fence_virtd_undo (LabContext *ctx, gpointer data, GError **error)
{
  g_autofree char *conf_path = state_file (ctx, LAB_FENCE_VIRTD_CONF_NAME);
  g_autofree char *key = state_file (ctx, LAB_FENCE_VIRT_KEY_NAME);

  lab_fence_virtd_stop ((GPid) lab_state_get_int (ctx->state, K_FENCE_VIRTD_PID, 0), conf_path);
  lab_state_remove (ctx->state, K_FENCE_VIRTD_PID);
  if (lab_runner_is_dry_run (ctx->runner))
    return TRUE;
  g_unlink (conf_path);
  g_unlink (key);
  return TRUE;
}

static char **
fence_virtd_describe (LabContext *ctx, gpointer data, gboolean down)
{
  g_autoptr(LabFenceVirtdConf) c = conf_for (ctx);
  g_autofree char *conf_path = state_file (ctx, LAB_FENCE_VIRTD_CONF_NAME);
  g_autofree char *qconf = lab_shell_quote (conf_path);
  g_autofree char *qkey = lab_shell_quote (c->key_file);
  GPtrArray *lines = g_ptr_array_new ();

  if (down)
    {
      g_ptr_array_add (lines, g_strdup_printf ("pkill -TERM -f -x 'fence_virtd -F -w -d2 -f %s'", conf_path));
      g_ptr_array_add (lines, g_strdup_printf ("rm -f %s %s", qconf, qkey));
    }
  else
    {
      g_autofree char *text = lab_fence_virtd_conf (c);

      g_ptr_array_add (lines, g_strdup_printf ("(umask 077 && od -An -vtx1 -N%d /dev/urandom | tr -d ' \\n' > %s)",
                                               KEY_BYTES, qkey));
      g_ptr_array_add (lines, g_strdup_printf ("(umask 077 && cat > %s) <<'EOF'\n%sEOF", qconf, text));
      g_ptr_array_add (lines, g_strdup_printf ("setsid stdbuf -oL fence_virtd -F -w -d2 -f %s &", qconf));
    }
  return lab_lines_steal (lines);
}

static const LabStepInfo fence_virtd_step = {
  "cluster.fence-virtd", N_("Start fence_virtd: the host's libvirt as the nodes' power switch"), TRUE,
  fence_virtd_check, fence_virtd_apply, fence_virtd_undo, fence_virtd_describe,
};

/* ---- cluster.fence-key:<node> -------------------------------------------- */

static const char key_script[] = "umask 077 && mkdir -p /etc/cluster && cat > " LAB_FENCE_XVM_NODE_KEY;

static gboolean
fence_key_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  FenceData *d = data;
  g_autofree char *key = state_file (ctx, LAB_FENCE_VIRT_KEY_NAME);
  g_autofree char *text = NULL;
  g_autofree char *sum = NULL;
  g_autofree char *out = NULL;
  const char *argv[] = { "sha256sum", LAB_FENCE_XVM_NODE_KEY, NULL };
  int status = -1;

  *done = FALSE;
  if (!g_file_get_contents (key, &text, NULL, NULL))
    return TRUE;
  sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
  if (!lab_cluster_node_run (ctx, d->ops, d->node->name, argv, LAB_RUN_QUERY, NULL, &status, &out, NULL))
    return TRUE;
  *done = status == 0 && out != NULL && g_str_has_prefix (out, sum);
  return TRUE;
}

static gboolean
fence_key_apply (LabContext *ctx, gpointer data, GError **error)
{
  FenceData *d = data;
  g_autofree char *key = state_file (ctx, LAB_FENCE_VIRT_KEY_NAME);
  g_autofree char *text = NULL;
  const char *argv[] = { "sh", "-c", key_script, NULL };

  if (lab_runner_is_dry_run (ctx->runner))
    return lab_cluster_node_run (ctx, d->ops, d->node->name, argv, 0, "", NULL, NULL, error);
  if (!g_file_get_contents (key, &text, NULL, error))
    {
      g_prefix_error (error, _("The lab's fence key is missing (step cluster.fence-virtd makes it): "));
      return FALSE;
    }
  return lab_cluster_node_run (ctx, d->ops, d->node->name, argv, 0, text, NULL, NULL, error);
}

static gboolean
fence_key_undo (LabContext *ctx, gpointer data, GError **error)
{
  /* the node's disk goes with the node */
  return TRUE;
}

static char **
fence_key_describe (LabContext *ctx, gpointer data, gboolean down)
{
  FenceData *d = data;
  GPtrArray *lines = g_ptr_array_new ();

  if (!down)
    {
      g_autofree char *key = state_file (ctx, LAB_FENCE_VIRT_KEY_NAME);
      g_autofree char *qkey = lab_shell_quote (key);
      g_autofree char *cmd = lab_cluster_describe_cmd (ctx, d->ops, d->node->name, "sh", "-c", key_script, NULL);

      g_ptr_array_add (lines, g_strdup_printf ("%s < %s", cmd, qkey));
    }
  return lab_lines_steal (lines);
}

static const LabStepInfo fence_key_step = {
  "cluster.fence-key", N_("Copy the lab's fence key to node %s"), TRUE,
  fence_key_check, fence_key_apply, fence_key_undo, fence_key_describe,
};

void
lab_cluster_add_fence_virt_steps (LabPlan *plan, LabContext *ctx, const LabClusterOps *ops)
{
  LabRecipe *r = ctx->recipe;

  lab_plan_add_step (plan, &fence_virtd_step, NULL, NULL, NULL, NULL);
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *n = g_ptr_array_index (r->nodes, i);
      FenceData *d = g_new0 (FenceData, 1);

      d->ops = ops;
      d->node = n;
      lab_plan_add_step (plan, &fence_key_step, n->name, n->name, d, g_free);
    }
}
