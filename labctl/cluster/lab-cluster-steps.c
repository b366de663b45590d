/* lab-cluster-steps.c: the steps of the cluster phase (cluster.corosync,
 * cluster.quorum, cluster.pacemaker, cluster.online, cluster.configure)
 * and the HA guest's cluster.guest in the guests phase. */
#include "config.h"

#include "lab-cluster.h"
#include "lab-cluster-private.h"

#include <signal.h>
#include <string.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-paths.h"
#include "lab-util.h"

#define COROSYNC_CONF "/etc/corosync/corosync.conf"
#define ONLINE_TIMEOUT_MS 120000
#define GUEST_TIMEOUT_MS  120000
#define GUEST_STOP_TIMEOUT_MS 30000

typedef struct {
  const LabClusterOps *ops;
  LabNode             *node;   /* per-node steps */
  LabGuest            *guest;  /* cluster.guest */
} StepData;

#define step_data_free g_free

static StepData *
step_data (const LabClusterOps *ops, LabNode *node, LabGuest *guest)
{
  StepData *d = g_new0 (StepData, 1);

  d->ops = ops;
  d->node = node;
  d->guest = guest;
  return d;
}

static const char *
first_node (LabContext *ctx)
{
  return ((LabNode *) g_ptr_array_index (ctx->recipe->nodes, 0))->name;
}

/* ---- daemons labctl owns ------------------------------------------------ */

static char *
pid_key (const char *node, const char *daemon)
{
  return g_strdup_printf ("cluster.%s.%s_pid", node, daemon);
}

static GPid
state_pid (LabContext *ctx, const char *node, const char *daemon)
{
  g_autofree char *key = pid_key (node, daemon);

  return (GPid) lab_state_get_int (ctx->state, key, 0);
}

static gboolean
daemon_running (LabContext *ctx, const char *node, const char *daemon)
{
  return lab_process_is (state_pid (ctx, node, daemon), daemon);
}

/* Starts daemon's argv on node as a child labctl owns; records its PID. */
static gboolean
spawn_on (LabContext *ctx, const LabClusterOps *ops, const char *node, const char *daemon,
          const char *const *argv, GError **error)
{
  g_auto(GStrv) cmd = ops->node_command (ctx, node, argv, error);
  g_autofree char *dir = lab_context_get_state_dir (ctx);
  g_autofree char *file = g_strdup_printf ("cluster-%s.log", node);
  g_autofree char *log = g_build_filename (dir, file, NULL);
  g_autofree char *key = pid_key (node, daemon);
  GPid pid = 0;

  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  if (cmd == NULL || !lab_runner_spawn_daemon (ctx->runner, (const char * const *) cmd, log, &pid, error))
    return FALSE;
  if (pid > 0)
    lab_state_set_int (ctx->state, key, pid);
  if (!lab_state_save (ctx->state, error))
    return FALSE;
  /* the PID is nsenter's (and env's) until they exec the daemon */
  while (pid > 0 && lab_process_alive (pid) && !lab_process_is (pid, daemon) && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  if (pid > 0 && !lab_process_is (pid, daemon))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("%s on node %s exited at start; see %s"), daemon, node, log);
      return FALSE;
    }
  return TRUE;
}

/* The direct children of pid (pacemakerd's daemons). */
static GArray *
children_of (GPid pid)
{
  GArray *kids = g_array_new (FALSE, FALSE, sizeof (GPid));
  g_autoptr(GDir) d = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *stat = NULL;
      const char *paren;
      int ppid = 0;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_strdup_printf ("/proc/%s/stat", name);
      if (!g_file_get_contents (path, &stat, NULL, NULL) || (paren = strrchr (stat, ')')) == NULL)
        continue;
      if (sscanf (paren + 2, "%*c %d", &ppid) == 1 && ppid == pid)
        {
          GPid kid = (GPid) atoi (name);
          g_array_append_val (kids, kid);
        }
    }
  return kids;
}

/* Stops the recorded daemon: SIGTERM, wait, SIGKILL (and, for pacemakerd,
 * whatever of its children outlived it). */
static void
stop_daemon (LabContext *ctx, const char *node, const char *daemon, guint timeout_ms)
{
  g_autofree char *key = pid_key (node, daemon);
  GPid pid = state_pid (ctx, node, daemon);
  g_autoptr(GArray) kids = lab_process_is (pid, daemon) ? children_of (pid) : g_array_new (FALSE, FALSE, sizeof (GPid));

  lab_process_stop (pid, daemon, timeout_ms);
  for (guint i = 0; i < kids->len; i++)
    lab_process_stop (g_array_index (kids, GPid, i), "pacemaker", 5000);
  lab_state_remove (ctx->state, key);
}

/* ---- daemons as the node's systemd units (ops->node_systemd) ------------ */

static gboolean
unit_active (LabContext *ctx, const LabClusterOps *ops, const char *node, const char *unit)
{
  const char *argv[] = { "systemctl", "is-active", "--quiet", unit, NULL };
  int status = -1;

  return lab_cluster_node_run (ctx, ops, node, argv, LAB_RUN_QUERY, NULL, &status, NULL, NULL) && status == 0;
}

static gboolean
unit_ctl (LabContext *ctx, const LabClusterOps *ops, const char *node, const char *verb, const char *unit,
          GError **error)
{
  const char *argv[] = { "systemctl", verb, unit, NULL };

  return lab_cluster_node_run (ctx, ops, node, argv, 0, NULL, NULL, NULL, error);
}

/* Stopping on a node that is gone already (fenced, powered off) is done. */
static void
unit_stop (LabContext *ctx, const LabClusterOps *ops, const char *node, const char *unit)
{
  g_autoptr(GError) local = NULL;

  if (!unit_ctl (ctx, ops, node, "stop", unit, &local))
    lab_progress_info (ctx->progress, _("cannot stop %s on node %s (%s); the node's own shutdown stops it"), unit,
                       node, local->message);
}

static gboolean
cluster_daemon_running (LabContext *ctx, StepData *d, const char *daemon, const char *unit)
{
  if (d->ops->node_systemd)
    return unit_active (ctx, d->ops, d->node->name, unit);
  return daemon_running (ctx, d->node->name, daemon);
}

/* ---- cluster.corosync:<node> ----------------------------------------------- */

static gboolean
corosync_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  StepData *d = data;

  *done = cluster_daemon_running (ctx, d, "corosync", "corosync.service");
  return TRUE;
}

static gboolean
corosync_apply (LabContext *ctx, gpointer data, GError **error)
{
  StepData *d = data;
  const char *node = d->node->name;
  g_autofree char *conf = lab_cluster_corosync_conf (ctx->recipe);
  const char *write[] = { "sh", "-c", "mkdir -p /etc/corosync && cat > " COROSYNC_CONF, NULL };
  const char *run[] = { "corosync", "-f", NULL };
  const char *ask[] = { "corosync-cfgtool", "-s", NULL };
  gint64 deadline;

  if (!d->ops->node_systemd)
    stop_daemon (ctx, node, "corosync", 10000);
  if (!lab_cluster_node_run (ctx, d->ops, node, write, 0, conf, NULL, NULL, error))
    return FALSE;
  if (d->ops->node_systemd ? !unit_ctl (ctx, d->ops, node, "restart", "corosync.service", error)
                           : !spawn_on (ctx, d->ops, node, "corosync", run, error))
    return FALSE;
  if (lab_runner_is_dry_run (ctx->runner))
    return TRUE;
  /* it answers once its IPC is up */
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  for (;;)
    {
      int status = -1;

      if (!cluster_daemon_running (ctx, d, "corosync", "corosync.service"))
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                       _("corosync on node %s exited at start; see %s on the node and %s"), node,
                       LAB_CLUSTER_COROSYNC_LOG, lab_runner_get_log_path (ctx->runner));
          return FALSE;
        }
      if (lab_cluster_node_run (ctx, d->ops, node, ask, LAB_RUN_QUERY, NULL, &status, NULL, NULL) && status == 0)
        return TRUE;
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT, _("corosync on node %s does not answer after 20 s; see %s"),
                       node, LAB_CLUSTER_COROSYNC_LOG);
          return FALSE;
        }
      g_usleep (100 * 1000);
    }
}

static gboolean
corosync_undo (LabContext *ctx, gpointer data, GError **error)
{
  StepData *d = data;

  if (d->ops->node_systemd)
    unit_stop (ctx, d->ops, d->node->name, "corosync.service");
  else
    stop_daemon (ctx, d->node->name, "corosync", 15000);
  return TRUE;
}

static char **
corosync_describe (LabContext *ctx, gpointer data, gboolean down)
{
  StepData *d = data;
  const char *node = d->node->name;
  GPtrArray *lines = g_ptr_array_new ();

  if (down && d->ops->node_systemd)
    g_ptr_array_add (lines, lab_cluster_describe_cmd (ctx, d->ops, node, "systemctl", "stop", "corosync.service", NULL));
  else if (down)
    g_ptr_array_add (lines, lab_cluster_describe_cmd (ctx, d->ops, node, "pkill", "-TERM", "-x", "corosync", NULL));
  else
    {
      g_autofree char *conf = lab_cluster_corosync_conf (ctx->recipe);
      g_autofree char *write = lab_cluster_describe_cmd (ctx, d->ops, node, "sh", "-c", "cat > " COROSYNC_CONF, NULL);

      g_ptr_array_add (lines, g_strdup_printf ("%s <<'EOF'\n%sEOF", write, conf));
      if (d->ops->node_systemd)
        g_ptr_array_add (lines, lab_cluster_describe_cmd (ctx, d->ops, node, "systemctl", "restart",
                                                          "corosync.service", NULL));
      else
        g_ptr_array_add (lines, g_strconcat ("setsid ", lab_cluster_describe_cmd (ctx, d->ops, node, "corosync", "-f",
                                                                                 NULL), " &", NULL));
    }
  return lab_lines_steal (lines);
}

static const LabStepInfo corosync_step = {
  "cluster.corosync", N_("Start corosync on node %s"), TRUE,
  corosync_check, corosync_apply, corosync_undo, corosync_describe,
};

/* ---- cluster.quorum ---------------------------------------------------------- */

/* corosync-quorumtool -s on the first node that answers: quorate with
 * every vote. */
static gboolean
quorum_complete (LabContext *ctx, const LabClusterOps *ops, char **out_text)
{
  LabRecipe *r = ctx->recipe;
  const char *argv[] = { "corosync-quorumtool", "-s", NULL };
  g_autofree char *votes = g_strdup_printf ("%u", r->nodes->len);

  for (guint i = 0; i < r->nodes->len; i++)
    {
      g_autofree char *out = NULL;
      g_auto(GStrv) lines = NULL;
      gboolean quorate = FALSE, all = FALSE;
      int status = -1;

      if (!lab_cluster_node_run (ctx, ops, ((LabNode *) g_ptr_array_index (r->nodes, i))->name, argv,
                                 LAB_RUN_QUERY, NULL, &status, &out, NULL))
        continue;
      lines = g_strsplit (out != NULL ? out : "", "\n", -1);
      for (guint k = 0; lines[k] != NULL; k++)
        {
          g_auto(GStrv) kv = g_strsplit (lines[k], ":", 2);

          if (kv[0] == NULL || kv[1] == NULL)
            continue;
          g_strstrip (kv[0]);
          g_strstrip (kv[1]);
          if (g_str_equal (kv[0], "Quorate"))
            quorate = g_str_equal (kv[1], "Yes");
          else if (g_str_equal (kv[0], "Total votes"))
            all = g_str_equal (kv[1], votes);
        }
      if (out_text != NULL)
        {
          g_free (*out_text);
          *out_text = g_strdup (out);
        }
      return quorate && all;
    }
  return FALSE;
}

static gboolean
quorum_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  StepData *d = data;

  *done = quorum_complete (ctx, d->ops, NULL);
  return TRUE;
}

static gboolean
quorum_apply (LabContext *ctx, gpointer data, GError **error)
{
  StepData *d = data;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  g_autofree char *last = NULL;

  if (lab_runner_is_dry_run (ctx->runner))
    return TRUE;
  while (!quorum_complete (ctx, d->ops, &last))
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT,
                       _("corosync has no quorum with all %u votes after 60 s (is the lab network up? see %s "
                         "on the nodes); corosync-quorumtool said:\n%s"),
                       ctx->recipe->nodes->len, LAB_CLUSTER_COROSYNC_LOG, last != NULL ? last : "-");
          return FALSE;
        }
      if (g_cancellable_set_error_if_cancelled (ctx->cancellable, error))
        return FALSE;
      g_usleep (200 * 1000);
    }
  return TRUE;
}

static gboolean
nothing_to_undo (LabContext *ctx, gpointer data, GError **error)
{
  return TRUE;
}

static char **
quorum_describe (LabContext *ctx, gpointer data, gboolean down)
{
  StepData *d = data;
  GPtrArray *lines = g_ptr_array_new ();

  if (!down)
    g_ptr_array_add (lines, lab_cluster_describe_cmd (ctx, d->ops, first_node (ctx), "corosync-quorumtool", "-s",
                                                      NULL));
  return lab_lines_steal (lines);
}

static const LabStepInfo quorum_step = {
  "cluster.quorum", N_("Wait until corosync has quorum with every node's vote"), TRUE,
  quorum_check, quorum_apply, nothing_to_undo, quorum_describe,
};

/* ---- cluster.pacemaker:<node> ------------------------------------------------ */

static gboolean
pacemaker_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  StepData *d = data;

  *done = cluster_daemon_running (ctx, d, "pacemakerd", "pacemaker.service");
  return TRUE;
}

static gboolean
pacemaker_apply (LabContext *ctx, gpointer data, GError **error)
{
  StepData *d = data;
  const char *run[] = { "env", "PCMK_logfile=" LAB_CLUSTER_PACEMAKER_LOG, "pacemakerd", NULL };

  if (d->ops->node_systemd)
    return unit_ctl (ctx, d->ops, d->node->name, "restart", "pacemaker.service", error);
  stop_daemon (ctx, d->node->name, "pacemakerd", 30000);
  return spawn_on (ctx, d->ops, d->node->name, "pacemakerd", run, error);
}

static gboolean
pacemaker_undo (LabContext *ctx, gpointer data, GError **error)
{
  StepData *d = data;

  /* pacemakerd stops its resources and daemons on SIGTERM */
  if (d->ops->node_systemd)
    unit_stop (ctx, d->ops, d->node->name, "pacemaker.service");
  else
    stop_daemon (ctx, d->node->name, "pacemakerd", 60000);
  return TRUE;
}

static char **
pacemaker_describe (LabContext *ctx, gpointer data, gboolean down)
{
  StepData *d = data;
  GPtrArray *lines = g_ptr_array_new ();

  if (down && d->ops->node_systemd)
    g_ptr_array_add (lines, lab_cluster_describe_cmd (ctx, d->ops, d->node->name, "systemctl", "stop",
                                                      "pacemaker.service", NULL));
  else if (down)
    g_ptr_array_add (lines, lab_cluster_describe_cmd (ctx, d->ops, d->node->name, "pacemakerd", "--shutdown", NULL));
  else if (d->ops->node_systemd)
    g_ptr_array_add (lines, lab_cluster_describe_cmd (ctx, d->ops, d->node->name, "systemctl", "restart",
                                                      "pacemaker.service", NULL));
  else
    g_ptr_array_add (lines, g_strconcat ("setsid ",
                                         lab_cluster_describe_cmd (ctx, d->ops, d->node->name, "env",
                                                                   "PCMK_logfile=" LAB_CLUSTER_PACEMAKER_LOG,
                                                                   "pacemakerd", NULL),
                                         " &", NULL));
  return lab_lines_steal (lines);
}

static const LabStepInfo pacemaker_step = {
  "cluster.pacemaker", N_("Start pacemaker on node %s"), TRUE,
  pacemaker_check, pacemaker_apply, pacemaker_undo, pacemaker_describe,
};

/* ---- cluster.online ---------------------------------------------------------- */

static gboolean
online_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  StepData *d = data;

  *done = lab_cluster_wait_online (ctx, d->ops, 0, NULL);
  return TRUE;
}

static gboolean
online_apply (LabContext *ctx, gpointer data, GError **error)
{
  StepData *d = data;

  if (lab_runner_is_dry_run (ctx->runner))
    return TRUE;
  return lab_cluster_wait_online (ctx, d->ops, ONLINE_TIMEOUT_MS, error);
}

static char **
online_describe (LabContext *ctx, gpointer data, gboolean down)
{
  StepData *d = data;
  GPtrArray *lines = g_ptr_array_new ();

  if (!down)
    g_ptr_array_add (lines, lab_cluster_describe_cmd (ctx, d->ops, first_node (ctx), "crm_mon", "--one-shot", NULL));
  return lab_lines_steal (lines);
}

static const LabStepInfo online_step = {
  "cluster.online", N_("Wait until every node is online in pacemaker"), TRUE,
  online_check, online_apply, nothing_to_undo, online_describe,
};

/* ---- cluster.configure ------------------------------------------------------- */

/* The cluster options: fencing on, and a fenced node stays off (labctl
 * brings it back); no quorum, no resources; guests stay where they run. */
static const char * const properties[] = {
  "stonith-enabled", "true",
  "stonith-action", "off",
  "no-quorum-policy", "stop",
  NULL,
};

GPtrArray *
lab_cluster_configure_commands (LabContext *ctx, const LabClusterOps *ops)
{
  LabRecipe *r = ctx->recipe;
  GPtrArray *cmds = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autofree char *stickiness = g_strdup_printf ("%u", r->cluster_stickiness);
  g_autoptr(GPtrArray) params = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) extra = ops->fence_params (ctx);
  g_autoptr(GString) hosts = g_string_new (NULL);
  g_autofree char *xml = NULL;

  for (guint i = 0; properties[i] != NULL; i += 2)
    g_ptr_array_add (cmds, lab_strv_new ("crm_attribute", "--type", "crm_config", "--name", properties[i], "--update",
                                         properties[i + 1], NULL));
  g_ptr_array_add (cmds, lab_strv_new ("crm_attribute", "--type", "rsc_defaults", "--name", "resource-stickiness",
                                       "--update", stickiness, NULL));
  for (guint i = 0; i < r->nodes->len; i++)
    g_string_append_printf (hosts, "%s%s", i > 0 ? " " : "", ((LabNode *) g_ptr_array_index (r->nodes, i))->name);
  lab_strv_add (params, "pcmk_host_list", hosts->str, "pcmk_host_check", "static-list", NULL);
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (params, g_strdup (extra[i]));
  g_ptr_array_add (params, NULL);
  xml = lab_cluster_primitive_xml (LAB_CLUSTER_FENCE_ID, "stonith", NULL, ops->fence_agent,
                                   (const char * const *) params->pdata, NULL,
                                   (const char *[]) { "monitor", "60s", "20s", NULL });
  g_ptr_array_add (cmds, lab_strv_new ("cibadmin", "--modify", "--allow-create", "--scope", "resources",
                                       "--xml-text", xml, NULL));
  return cmds;
}

static gboolean
configure_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  StepData *d = data;
  const char *fence[] = { "cibadmin", "--query", "--xpath", "//primitive[@id='" LAB_CLUSTER_FENCE_ID "']", NULL };
  const char *stonith[] = { "crm_attribute", "--type", "crm_config", "--name", "stonith-enabled", "--query",
                            "--quiet", NULL };
  g_autofree char *on = NULL;

  *done = lab_cluster_tool (ctx, d->ops, fence, NULL, NULL, NULL)
          && lab_cluster_tool (ctx, d->ops, stonith, NULL, &on, NULL) && g_str_equal (g_strstrip (on), "true");
  return TRUE;
}

static gboolean
configure_apply (LabContext *ctx, gpointer data, GError **error)
{
  StepData *d = data;
  g_autoptr(GPtrArray) cmds = lab_cluster_configure_commands (ctx, d->ops);

  for (guint i = 0; i < cmds->len; i++)
    if (!lab_cluster_tool (ctx, d->ops, g_ptr_array_index (cmds, i), NULL, NULL, error))
      return FALSE;
  return TRUE;
}

static char **
configure_describe (LabContext *ctx, gpointer data, gboolean down)
{
  StepData *d = data;
  GPtrArray *lines = g_ptr_array_new ();

  if (!down)
    {
      g_autoptr(GPtrArray) cmds = lab_cluster_configure_commands (ctx, d->ops);

      for (guint i = 0; i < cmds->len; i++)
        g_ptr_array_add (lines, lab_cluster_describe_argv (ctx, d->ops, first_node (ctx),
                                                           g_ptr_array_index (cmds, i)));
    }
  return lab_lines_steal (lines);
}

static const LabStepInfo configure_step = {
  "cluster.configure", N_("Configure the cluster: fencing on, stickiness, the fence device"), TRUE,
  configure_check, configure_apply, nothing_to_undo, configure_describe,
};

void
lab_cluster_add_steps (LabPlan *plan, LabContext *ctx, const LabClusterOps *ops)
{
  LabRecipe *r = ctx->recipe;

  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *n = g_ptr_array_index (r->nodes, i);

      lab_plan_add_step (plan, &corosync_step, n->name, n->name, step_data (ops, n, NULL), step_data_free);
    }
  lab_plan_add_step (plan, &quorum_step, NULL, NULL, step_data (ops, NULL, NULL), step_data_free);
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *n = g_ptr_array_index (r->nodes, i);

      lab_plan_add_step (plan, &pacemaker_step, n->name, n->name, step_data (ops, n, NULL), step_data_free);
    }
  lab_plan_add_step (plan, &online_step, NULL, NULL, step_data (ops, NULL, NULL), step_data_free);
  lab_plan_add_step (plan, &configure_step, NULL, NULL, step_data (ops, NULL, NULL), step_data_free);
}

/* ---- cluster.guest:<g> ------------------------------------------------------- */

static char *
guest_config (LabGuest *g)
{
  return g_strdup_printf (LAB_CLUSTER_GUEST_DIR "/%s.xml", g->name);
}

static char *
disk_id (LabGuest *g)
{
  return g_strdup_printf ("%s-disk", g->name);
}

char **
lab_cluster_guest_cib_argv (LabContext *ctx, const LabClusterOps *ops, LabGuest *g)
{
  g_autofree char *config = guest_config (g);
  g_autofree char *volume = ops->guest_volume != NULL ? ops->guest_volume (ctx, g) : NULL;
  const char *params[] = { "config", config, "hypervisor", "qemu:///system", "force_stop", "true", NULL };
  /* a monitor every 5 s: a crashed guest is seen within 5 s */
  const char *vm_ops[] = { "start", "0", "90s", "stop", "0", "90s", "monitor", "5s", "30s", NULL };
  const char *meta[] = { "allow-migrate", "false", NULL };
  g_autoptr(LabXmlWriter) w = lab_xml_writer_new ();
  g_autofree char *xml = NULL;
  g_autofree char *disk = disk_id (g);

  lab_xml_writer_start (w, "configuration");
  lab_xml_writer_start (w, "resources");
  if (volume != NULL)
    {
      const char *disk_params[] = { "volume", volume, NULL };
      const char *disk_ops[] = { "start", "0", "60s", "stop", "0", "60s", "monitor", "10s", "30s", NULL };

      lab_cluster_write_primitive (w, disk, "ocf", "labctl", "lv", disk_params, NULL, disk_ops);
    }
  lab_cluster_write_primitive (w, g->name, "ocf", "heartbeat", "VirtualDomain", params, meta, vm_ops);
  lab_xml_writer_end (w);
  if (volume != NULL)
    {
      g_autofree char *order = g_strdup_printf ("%s-first", disk);
      g_autofree char *colo = g_strdup_printf ("%s-with-disk", g->name);

      /* the disk goes where the guest is placed (colocated with it: the
       * guest's stickiness and location decide, and a stopped guest's
       * disk is stopped too), and is active before the guest starts and
       * inactive only after it stopped (the order). Not a group: the guest
       * stays a top-level resource under its own name, which `reset`
       * (target-role, a location constraint) and the experiments address.
       * guest_undo removes the constraints by these ids. */
      lab_xml_writer_start (w, "constraints");
      lab_xml_writer_empty (w, "rsc_order", "id", order, "first", disk, "then", g->name, "kind", "Mandatory", NULL);
      lab_xml_writer_empty (w, "rsc_colocation", "id", colo, "rsc", disk, "with-rsc", g->name, "score", "INFINITY",
                            NULL);
      lab_xml_writer_end (w);
    }
  xml = lab_xml_writer_finish (w);
  return lab_strv_new ("cibadmin", "--modify", "--allow-create", "--scope", "configuration", "--xml-text", xml, NULL);
}

/* The agent of the guest's disk resource, NULL when it has none. */
static char *
disk_agent (LabContext *ctx, StepData *d)
{
  g_autofree char *volume = d->ops->guest_volume != NULL ? d->ops->guest_volume (ctx, d->guest) : NULL;

  return volume != NULL ? lab_paths_data_file ("labctl", "cluster", LAB_CLUSTER_LV_AGENT_FILE, NULL) : NULL;
}

/* The guest's XML (and the disk agent) is on every node that runs
 * commands. */
static gboolean
guest_files_everywhere (LabContext *ctx, StepData *d)
{
  LabRecipe *r = ctx->recipe;
  g_autofree char *config = guest_config (d->guest);
  g_autofree char *agent = disk_agent (ctx, d);
  const char *argv[] = { "test", "-f", config, agent != NULL ? "-a" : NULL, "-x", LAB_CLUSTER_LV_AGENT_PATH, NULL };

  for (guint i = 0; i < r->nodes->len; i++)
    {
      int status = -1;

      if (!lab_cluster_node_run (ctx, d->ops, ((LabNode *) g_ptr_array_index (r->nodes, i))->name, argv,
                                 LAB_RUN_QUERY, NULL, &status, NULL, NULL) || status != 0)
        return FALSE;
    }
  return TRUE;
}

static gboolean
guest_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  StepData *d = data;
  LabClusterStatus st = { 0 };

  *done = FALSE;
  if (!lab_cluster_status_query (ctx, d->ops, NULL, &st, NULL))
    return TRUE;
  *done = g_hash_table_contains (st.running, d->guest->name) && guest_files_everywhere (ctx, d);
  lab_cluster_status_clear (&st);
  return TRUE;
}

static gboolean
guest_apply (LabContext *ctx, gpointer data, GError **error)
{
  StepData *d = data;
  LabRecipe *r = ctx->recipe;
  g_autofree char *config = guest_config (d->guest);
  g_autofree char *script = g_strdup_printf ("mkdir -p " LAB_CLUSTER_GUEST_DIR " && cat > %s", config);
  const char *write[] = { "sh", "-c", script, NULL };
  const char *install[] = { "install", "-D", "-m", "0755", "/dev/stdin", LAB_CLUSTER_LV_AGENT_PATH, NULL };
  g_auto(GStrv) create = lab_cluster_guest_cib_argv (ctx, d->ops, d->guest);
  g_autofree char *where = NULL;
  g_autofree char *domain = d->ops->guest_xml (ctx, d->guest);
  g_autofree char *agent_file = disk_agent (ctx, d);
  g_autofree char *agent = NULL;

  if (agent_file != NULL && !g_file_get_contents (agent_file, &agent, NULL, error))
    return FALSE;
  for (guint i = 0; i < r->nodes->len; i++)
    {
      const char *node = ((LabNode *) g_ptr_array_index (r->nodes, i))->name;

      if (!lab_cluster_node_run (ctx, d->ops, node, write, 0, domain, NULL, NULL, error)
          || (agent != NULL && !lab_cluster_node_run (ctx, d->ops, node, install, 0, agent, NULL, NULL, error)))
        return FALSE;
    }
  if (!lab_cluster_tool (ctx, d->ops, (const char * const *) create, NULL, NULL, error))
    return FALSE;
  if (lab_runner_is_dry_run (ctx->runner))
    return TRUE;
  if (!lab_cluster_wait_resource (ctx, d->ops, d->guest->name, "", GUEST_TIMEOUT_MS, &where, error))
    return FALSE;
  lab_progress_info (ctx->progress, _("guest %s is a cluster resource, running on %s"), d->guest->name, where);
  return TRUE;
}

/* Stops the resource rsc; *exists FALSE (and nothing done) when no node
 * answers for the CIB or it has no such resource. */
static gboolean
stop_resource (LabContext *ctx, StepData *d, const char *rsc, gboolean *exists, GError **error)
{
  const char *query[] = { "cibadmin", "--query", "--xpath", NULL, NULL };
  g_autofree char *xpath = g_strdup_printf ("//primitive[@id='%s']", rsc);
  g_autoptr(GError) local = NULL;

  query[3] = xpath;
  /* no node runs the cluster: nothing holds the resource any more */
  *exists = lab_cluster_tool (ctx, d->ops, query, NULL, NULL, &local);
  if (!*exists)
    return TRUE;
  if (!lab_cluster_set_meta (ctx, d->ops, rsc, "target-role", "Stopped", error))
    return FALSE;
  /* a cluster that cannot stop it (its node is unclean and cannot be
   * fenced) leaves it to the guest's own undo, which destroys it on every
   * node that still runs */
  if (!lab_cluster_wait_resource (ctx, d->ops, rsc, NULL, GUEST_STOP_TIMEOUT_MS, NULL, &local))
    lab_progress_info (ctx->progress, _("the cluster did not stop resource %s (%s); removing it from the cluster "
                                        "anyway"), rsc, local->message);
  return TRUE;
}

/* cibadmin --delete of the element with that id in scope. */
static gboolean
delete_element (LabContext *ctx, StepData *d, const char *scope, const char *element, const char *id,
                GError **error)
{
  g_autofree char *xml = g_strdup_printf ("<%s id=\"%s\"/>", element, id);
  const char *del[] = { "cibadmin", "--delete", "--scope", scope, "--xml-text", xml, NULL };

  return lab_cluster_tool (ctx, d->ops, del, NULL, NULL, error);
}

static gboolean
guest_undo (LabContext *ctx, gpointer data, GError **error)
{
  StepData *d = data;
  const char *g = d->guest->name;
  g_autofree char *disk = disk_id (d->guest);
  g_autofree char *order = g_strdup_printf ("%s-first", disk);
  g_autofree char *colo = g_strdup_printf ("%s-with-disk", g);
  gboolean vm = FALSE, lv = FALSE;

  /* the guest, then its disk (deactivated where it is active), then the
   * constraints that tie them, then the resources */
  if (!stop_resource (ctx, d, g, &vm, error)
      || (d->ops->guest_volume != NULL && !stop_resource (ctx, d, disk, &lv, error)))
    return FALSE;
  if (lv && (!delete_element (ctx, d, "constraints", "rsc_order", order, error)
             || !delete_element (ctx, d, "constraints", "rsc_colocation", colo, error)))
    return FALSE;
  return (!vm || delete_element (ctx, d, "resources", "primitive", g, error))
         && (!lv || delete_element (ctx, d, "resources", "primitive", disk, error));
}

static char **
guest_describe (LabContext *ctx, gpointer data, gboolean down)
{
  StepData *d = data;
  LabRecipe *r = ctx->recipe;
  GPtrArray *lines = g_ptr_array_new ();
  const char *first = first_node (ctx);
  g_autofree char *agent = disk_agent (ctx, d);
  g_autofree char *disk = disk_id (d->guest);

  if (down)
    {
      g_ptr_array_add (lines, lab_cluster_describe_cmd (ctx, d->ops, first, "crm_resource", "--resource",
                                                        d->guest->name, "--meta", "--set-parameter", "target-role",
                                                        "--parameter-value", "Stopped", NULL));
      if (agent != NULL)
        g_ptr_array_add (lines, lab_cluster_describe_cmd (ctx, d->ops, first, "crm_resource", "--resource", disk,
                                                          "--meta", "--set-parameter", "target-role",
                                                          "--parameter-value", "Stopped", NULL));
      /* crm also deletes the constraints that name what it deletes */
      g_ptr_array_add (lines, lab_cluster_describe_cmd (ctx, d->ops, first, "crm", "configure", "delete",
                                                        d->guest->name, agent != NULL ? disk : NULL, NULL));
    }
  else
    {
      g_autofree char *config = guest_config (d->guest);
      g_auto(GStrv) create = lab_cluster_guest_cib_argv (ctx, d->ops, d->guest);

      for (guint i = 0; i < r->nodes->len; i++)
        {
          const char *node = ((LabNode *) g_ptr_array_index (r->nodes, i))->name;
          g_autofree char *w = lab_cluster_describe_cmd (ctx, d->ops, node, "sh", "-c", "cat > \"$0\"", config, NULL);

          g_ptr_array_add (lines, g_strdup_printf ("%s < %s.xml", w, d->guest->name));
          if (agent != NULL)
            {
              g_autofree char *i_cmd = lab_cluster_describe_cmd (ctx, d->ops, node, "install", "-D", "-m", "0755",
                                                                 "/dev/stdin", LAB_CLUSTER_LV_AGENT_PATH, NULL);

              g_ptr_array_add (lines, g_strdup_printf ("%s < " LAB_CLUSTER_LV_AGENT_FILE, i_cmd));
            }
        }
      g_ptr_array_add (lines, lab_cluster_describe_argv (ctx, d->ops, first, (const char * const *) create));
    }
  return lab_lines_steal (lines);
}

static const LabStepInfo guest_step = {
  "cluster.guest", N_("Make guest %s a cluster resource (VirtualDomain)"), TRUE,
  guest_check, guest_apply, guest_undo, guest_describe,
};

void
lab_cluster_add_guest_step (LabPlan *plan, LabContext *ctx, const LabClusterOps *ops, LabGuest *guest)
{
  lab_plan_add_step (plan, &guest_step, guest->name, guest->name, step_data (ops, NULL, guest), step_data_free);
}
