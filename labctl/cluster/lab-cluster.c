/* lab-cluster.c: corosync.conf, commands on the nodes, what crm_mon says,
 * and the HA guests' hand-over for reset. */
#include "config.h"

#include "lab-cluster.h"
#include "lab-cluster-private.h"

#include <string.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-util.h"
#include "lab-xml-reader.h"
#include "lab-xml-writer.h"

/* ---- corosync.conf ------------------------------------------------------ */

char *
lab_cluster_corosync_conf (LabRecipe *r)
{
  g_autoptr(GString) s = g_string_new (NULL);

  g_string_append_printf (s, "# corosync.conf written by labctl for lab %s\n", r->name);
  g_string_append (s, "totem {\n"
                      "    version: 2\n");
  g_string_append_printf (s, "    cluster_name: %s\n", r->name);
  g_string_append (s, "    transport: knet\n"
                      "    # the lab network is one host's private bridge\n"
                      "    crypto_cipher: none\n"
                      "    crypto_hash: none\n");
  g_string_append_printf (s,
                          "    # [cluster] token: a node silent for this long is lost; corosync adds\n"
                          "    # token_coefficient (650 ms) per node beyond two: %u ms with %u nodes\n"
                          "    token: %u\n"
                          "}\n",
                          r->cluster_token_ms + 650 * (r->nodes->len > 2 ? r->nodes->len - 2 : 0),
                          r->nodes->len, r->cluster_token_ms);
  g_string_append (s, "nodelist {\n");
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *n = g_ptr_array_index (r->nodes, i);

      g_string_append_printf (s,
                              "    node {\n"
                              "        name: %s\n"
                              "        nodeid: %u\n"
                              "        ring0_addr: %s\n"
                              "    }\n",
                              n->name, i + 1, n->address);
    }
  g_string_append (s, "}\n"
                      "quorum {\n"
                      "    # one vote per node: a partition needs a majority to run guests\n"
                      "    provider: corosync_votequorum\n"
                      "}\n"
                      "logging {\n"
                      "    to_logfile: yes\n"
                      "    logfile: " LAB_CLUSTER_COROSYNC_LOG "\n"
                      "    to_stderr: no\n"
                      "    to_syslog: no\n"
                      "    # milliseconds: the failover experiment reads its phases here\n"
                      "    timestamp: hires\n"
                      "}\n");
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* ---- commands on nodes -------------------------------------------------- */

gboolean
lab_cluster_node_run (LabContext *ctx, const LabClusterOps *ops, const char *node, const char *const *argv,
                      LabRunFlags flags, const char *stdin_text, int *exit_status, char **out, GError **error)
{
  g_auto(GStrv) cmd = ops->node_command (ctx, node, argv, error);

  if (cmd == NULL)
    return FALSE;
  return lab_runner_run_full (ctx->runner, (const char * const *) cmd, flags, stdin_text, 120000, exit_status,
                              out, NULL, ctx->cancellable, error);
}

char *
lab_cluster_describe_argv (LabContext *ctx, const LabClusterOps *ops, const char *node, const char *const *argv)
{
  g_autofree char *prefix = NULL;
  g_autoptr(GString) s = NULL;

  if (ops->describe_cmd != NULL)
    return ops->describe_cmd (ctx, node, argv);
  prefix = ops->describe_prefix (ctx, node);
  s = g_string_new (prefix);
  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autofree char *q = lab_shell_quote (argv[i]);

      g_string_append_printf (s, " %s", q);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

char *
lab_cluster_describe_cmd (LabContext *ctx, const LabClusterOps *ops, const char *node, const char *argv0, ...)
{
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
  va_list ap;

  va_start (ap, argv0);
  lab_strv_add_valist (words, argv0, ap);
  va_end (ap);
  g_ptr_array_add (words, NULL);
  return lab_cluster_describe_argv (ctx, ops, node, (const char * const *) words->pdata);
}

/* ---- crm_mon ------------------------------------------------------------ */

void
lab_cluster_status_clear (LabClusterStatus *st)
{
  g_clear_pointer (&st->asked, g_free);
  g_clear_pointer (&st->dc, g_free);
  g_clear_pointer (&st->online, g_ptr_array_unref);
  g_clear_pointer (&st->offline, g_ptr_array_unref);
  g_clear_pointer (&st->running, g_hash_table_unref);
  g_clear_pointer (&st->failed, g_hash_table_unref);
  g_clear_pointer (&st->fence_history, g_ptr_array_unref);
  st->quorate = FALSE;
}

static gboolean
attr_true (LabXmlNode *node, const char *name)
{
  g_autofree char *v = lab_xml_node_get_attr (node, name);

  return g_strcmp0 (v, "true") == 0;
}

gboolean
lab_cluster_status_parse (const char *xml, LabClusterStatus *st, GError **error)
{
  g_autoptr(LabXmlReader) r = lab_xml_reader_new (xml, "crm_mon's XML", error);
  g_autoptr(GPtrArray) nodes = NULL;
  g_autoptr(GPtrArray) rscs = NULL;
  g_autoptr(GPtrArray) fences = NULL;
  g_autofree char *dc_present = NULL;

  if (r == NULL)
    return FALSE;
  if (!lab_xml_reader_exists (r, NULL, "/pacemaker-result/summary"))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL, _("crm_mon printed no cluster summary"));
      return FALSE;
    }
  st->online = g_ptr_array_new_with_free_func (g_free);
  st->offline = g_ptr_array_new_with_free_func (g_free);
  st->running = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  st->failed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  st->fence_history = g_ptr_array_new_with_free_func (g_free);
  dc_present = lab_xml_reader_get_string (r, NULL, "/pacemaker-result/summary/current_dc/@present");
  if (g_strcmp0 (dc_present, "true") == 0)
    {
      g_autofree char *q = lab_xml_reader_get_string (r, NULL, "/pacemaker-result/summary/current_dc/@with_quorum");

      st->dc = lab_xml_reader_get_string (r, NULL, "/pacemaker-result/summary/current_dc/@name");
      st->quorate = g_strcmp0 (q, "true") == 0;
    }
  nodes = lab_xml_reader_get_nodes (r, NULL, "/pacemaker-result/nodes/node");
  for (guint i = 0; i < nodes->len; i++)
    {
      LabXmlNode *n = g_ptr_array_index (nodes, i);
      char *name = lab_xml_node_get_attr (n, "name");

      if (name == NULL)
        continue;
      /* a node that is still joining (pending) runs nothing yet */
      if (attr_true (n, "online") && !attr_true (n, "unclean") && !attr_true (n, "pending"))
        g_ptr_array_add (st->online, name);
      else
        g_ptr_array_add (st->offline, name);
    }
  rscs = lab_xml_reader_get_nodes (r, NULL, "/pacemaker-result/resources/resource");
  for (guint i = 0; i < rscs->len; i++)
    {
      LabXmlNode *rsc = g_ptr_array_index (rscs, i);
      g_autofree char *id = lab_xml_node_get_attr (rsc, "id");
      g_autofree char *role = lab_xml_node_get_attr (rsc, "role");
      g_autofree char *on = lab_xml_reader_get_string (r, rsc, "node/@name");

      if (id == NULL)
        continue;
      if (attr_true (rsc, "failed") || attr_true (rsc, "blocked"))
        g_hash_table_insert (st->failed, g_strdup (id), GINT_TO_POINTER (TRUE));
      if (on != NULL && attr_true (rsc, "active") && g_strcmp0 (role, "Started") == 0)
        g_hash_table_insert (st->running, g_strdup (id), g_steal_pointer (&on));
    }
  fences = lab_xml_reader_get_nodes (r, NULL, "/pacemaker-result/fence_history/fence_event");
  for (guint i = 0; i < fences->len; i++)
    {
      LabXmlNode *f = g_ptr_array_index (fences, i);
      g_autofree char *target = lab_xml_node_get_attr (f, "target");
      g_autofree char *action = lab_xml_node_get_attr (f, "action");
      g_autofree char *status = lab_xml_node_get_attr (f, "status");

      g_ptr_array_add (st->fence_history, g_strdup_printf ("%s %s %s", target, action, status));
    }
  return TRUE;
}

gboolean
lab_cluster_status_query (LabContext *ctx, const LabClusterOps *ops, const char *const *prefer,
                          LabClusterStatus *st, GError **error)
{
  LabRecipe *r = ctx->recipe;
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  g_autoptr(GError) last = NULL;
  const char *argv[] = { "crm_mon", "--one-shot", "--inactive", "--fence-history=1", "--output-as=xml", NULL };

  for (guint i = 0; prefer != NULL && prefer[i] != NULL; i++)
    g_ptr_array_add (order, (char *) prefer[i]);
  for (guint i = 0; i < r->nodes->len; i++)
    g_ptr_array_add (order, ((LabNode *) g_ptr_array_index (r->nodes, i))->name);
  for (guint i = 0; i < order->len; i++)
    {
      g_autofree char *out = NULL;
      int status = 0;

      g_clear_error (&last);
      if (!lab_cluster_node_run (ctx, ops, g_ptr_array_index (order, i), argv, LAB_RUN_QUERY | LAB_RUN_QUIET_OUTPUT,
                                 NULL, &status, &out, &last))
        continue;
      if (status != 0)
        {
          g_set_error (&last, LAB_ERROR, LAB_ERROR_TOOL, _("crm_mon on node %s exited with status %d"),
                       (const char *) g_ptr_array_index (order, i), status);
          continue;
        }
      lab_cluster_status_clear (st);
      if (!lab_cluster_status_parse (out, st, &last))
        continue;
      st->asked = g_strdup (g_ptr_array_index (order, i));
      return TRUE;
    }
  if (last != NULL)
    g_propagate_prefixed_error (error, g_steal_pointer (&last), _("No node of lab %s tells the cluster's state: "),
                                r->name);
  else
    g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, _("Lab %s has no nodes"), r->name);
  return FALSE;
}

static gboolean
strv_contains (GPtrArray *a, const char *s)
{
  for (guint i = 0; a != NULL && i < a->len; i++)
    if (g_str_equal (g_ptr_array_index (a, i), s))
      return TRUE;
  return FALSE;
}

/* What keeps the cluster from being complete; NULL when nothing does. */
static char *
missing (LabRecipe *r, LabClusterStatus *st)
{
  g_autoptr(GString) s = g_string_new (NULL);

  if (st->dc == NULL)
    g_string_append (s, _("no DC elected"));
  else if (!st->quorate)
    g_string_append (s, _("no quorum"));
  for (guint i = 0; i < r->nodes->len; i++)
    {
      const char *name = ((LabNode *) g_ptr_array_index (r->nodes, i))->name;

      if (!strv_contains (st->online, name))
        {
          if (s->len > 0)
            g_string_append (s, ", ");
          g_string_append_printf (s, _("node %s not online"), name);
        }
    }
  return s->len > 0 ? g_string_free (g_steal_pointer (&s), FALSE) : NULL;
}

gboolean
lab_cluster_wait_online (LabContext *ctx, const LabClusterOps *ops, guint timeout_ms, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  g_autofree char *what = NULL;

  for (;;)
    {
      LabClusterStatus st = { 0 };
      g_autoptr(GError) local = NULL;

      if (lab_cluster_status_query (ctx, ops, NULL, &st, &local))
        {
          g_free (what);
          what = missing (ctx->recipe, &st);
          lab_cluster_status_clear (&st);
          if (what == NULL)
            return TRUE;
        }
      else
        {
          g_free (what);
          what = g_strdup (local->message);
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT,
                       _("The cluster of lab %s is not complete after %u s: %s; see %s on the nodes"),
                       ctx->recipe->name, timeout_ms / 1000, what, LAB_CLUSTER_PACEMAKER_LOG);
          return FALSE;
        }
      if (g_cancellable_set_error_if_cancelled (ctx->cancellable, error))
        return FALSE;
      g_usleep (500 * 1000);
    }
}

/* ---- pacemaker's tools -------------------------------------------------- */

/* Runs a pacemaker tool on the first node that runs one: the CIB is the
 * cluster's, any member changes it. */
gboolean
lab_cluster_tool (LabContext *ctx, const LabClusterOps *ops, const char *const *argv, const char *stdin_text,
                  char **out, GError **error)
{
  LabRecipe *r = ctx->recipe;
  g_autoptr(GError) last = NULL;

  for (guint i = 0; i < r->nodes->len; i++)
    {
      const char *node = ((LabNode *) g_ptr_array_index (r->nodes, i))->name;
      g_auto(GStrv) cmd = NULL;

      g_clear_error (&last);
      cmd = ops->node_command (ctx, node, argv, &last);
      if (cmd == NULL)
        continue;  /* that node is down: another one answers */
      if (lab_runner_run_full (ctx->runner, (const char * const *) cmd, 0, stdin_text, 120000, NULL, out, NULL,
                               ctx->cancellable, &last))
        return TRUE;
      /* a node that is still joining refuses the tools: another one answers */
      if (!g_error_matches (last, LAB_ERROR, LAB_ERROR_TOOL))
        break;
    }
  if (last != NULL && g_error_matches (last, LAB_ERROR, LAB_ERROR_TOOL))
    {
      g_propagate_error (error, g_steal_pointer (&last));
      return FALSE;
    }
  g_propagate_prefixed_error (error, g_steal_pointer (&last), _("No node of lab %s runs the cluster: "),
                              ctx->recipe->name);
  return FALSE;
}

gboolean
lab_cluster_set_meta (LabContext *ctx, const LabClusterOps *ops, const char *rsc, const char *name,
                      const char *value, GError **error)
{
  const char *argv[] = { "crm_resource", "--resource", rsc, "--meta", "--set-parameter", name,
                         "--parameter-value", value, NULL };

  return lab_cluster_tool (ctx, ops, argv, NULL, NULL, error);
}

/* Waits until rsc runs (want_node non-NULL: there; "" anywhere) or is
 * stopped everywhere (want_node NULL). */
gboolean
lab_cluster_wait_resource (LabContext *ctx, const LabClusterOps *ops, const char *rsc, const char *want_node,
                           guint timeout_ms, char **out_node, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      LabClusterStatus st = { 0 };

      if (lab_cluster_status_query (ctx, ops, NULL, &st, NULL))
        {
          const char *on = g_hash_table_lookup (st.running, rsc);
          gboolean ok = want_node == NULL ? on == NULL
                                          : on != NULL && (*want_node == '\0' || g_str_equal (on, want_node));

          if (ok && out_node != NULL)
            *out_node = g_strdup (on);
          lab_cluster_status_clear (&st);
          if (ok)
            return TRUE;
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT,
                       want_node == NULL ? _("The cluster did not stop resource %s within %u s")
                                         : _("The cluster did not start resource %s within %u s"),
                       rsc, timeout_ms / 1000);
          return FALSE;
        }
      if (g_cancellable_set_error_if_cancelled (ctx->cancellable, error))
        return FALSE;
      g_usleep (300 * 1000);
    }
}

gboolean
lab_cluster_guest_restart_on (LabContext *ctx, const LabClusterOps *ops, const char *guest, const char *node,
                              guint timeout_ms, GError **error)
{
  g_autofree char *id = g_strdup_printf ("labctl-home-%s", guest);
  g_autoptr(LabXmlWriter) w = lab_xml_writer_new ();
  g_autofree char *xml = NULL;
  g_autofree char *del = g_strdup_printf ("<rsc_location id=\"%s\"/>", id);
  const char *remove[] = { "cibadmin", "--delete", "--scope", "constraints", "--xml-text", del, NULL };
  const char *create[] = { "cibadmin", "--modify", "--allow-create", "--scope", "constraints", "--xml-text", NULL,
                           NULL };
  gboolean ok;

  lab_xml_writer_empty (w, "rsc_location", "id", id, "rsc", guest, "node", node, "score", "INFINITY", NULL);
  xml = lab_xml_writer_finish (w);
  create[6] = xml;
  /* stopped by the cluster wherever it runs; started by it on node (a
   * location constraint for the moment), where stickiness then keeps it */
  if (!lab_cluster_set_meta (ctx, ops, guest, "target-role", "Stopped", error)
      || !lab_cluster_wait_resource (ctx, ops, guest, NULL, timeout_ms, NULL, error)
      || !lab_cluster_tool (ctx, ops, create, NULL, NULL, error))
    return FALSE;
  ok = lab_cluster_set_meta (ctx, ops, guest, "target-role", "Started", error)
       && lab_cluster_wait_resource (ctx, ops, guest, node, timeout_ms, NULL, error);
  return lab_cluster_tool (ctx, ops, remove, NULL, NULL, ok ? error : NULL) && ok;
}

/* ---- documents ---------------------------------------------------------- */

/* <element id="ID-SUFFIX"> with an <nvpair> per key, value (none: nothing). */
static void
write_nvset (LabXmlWriter *w, const char *element, const char *id, const char *suffix, const char *const *kv)
{
  g_autofree char *set_id = g_strdup_printf ("%s-%s", id, suffix);

  if (kv == NULL || kv[0] == NULL)
    return;
  lab_xml_writer_start_attrs (w, element, "id", set_id, NULL);
  for (guint i = 0; kv[i] != NULL && kv[i + 1] != NULL; i += 2)
    {
      g_autofree char *nv_id = g_strdup_printf ("%s-%s", set_id, kv[i]);

      lab_xml_writer_empty (w, "nvpair", "id", nv_id, "name", kv[i], "value", kv[i + 1], NULL);
    }
  lab_xml_writer_end (w);
}

void
lab_cluster_write_primitive (LabXmlWriter *w, const char *id, const char *klass, const char *provider,
                             const char *type, const char *const *params, const char *const *meta,
                             const char *const *ops)
{
  lab_xml_writer_start_attrs (w, "primitive", "id", id, "class", klass, NULL);
  if (provider != NULL)
    lab_xml_writer_attr (w, "provider", provider);
  lab_xml_writer_attr (w, "type", type);
  write_nvset (w, "instance_attributes", id, "params", params);
  write_nvset (w, "meta_attributes", id, "meta", meta);
  /* ops: name, interval, timeout triples */
  if (ops != NULL && ops[0] != NULL)
    {
      lab_xml_writer_start (w, "operations");
      for (guint i = 0; ops[i] != NULL && ops[i + 1] != NULL && ops[i + 2] != NULL; i += 3)
        {
          g_autofree char *op_id = g_strdup_printf ("%s-%s-%s", id, ops[i], ops[i + 1]);

          lab_xml_writer_empty (w, "op", "id", op_id, "name", ops[i], "interval", ops[i + 1], "timeout", ops[i + 2],
                                NULL);
        }
      lab_xml_writer_end (w);
    }
  lab_xml_writer_end (w);
}

char *
lab_cluster_primitive_xml (const char *id, const char *klass, const char *provider, const char *type,
                           const char *const *params, const char *const *meta, const char *const *ops)
{
  g_autoptr(LabXmlWriter) w = lab_xml_writer_new ();

  lab_cluster_write_primitive (w, id, klass, provider, type, params, meta, ops);
  return lab_xml_writer_finish (w);
}
