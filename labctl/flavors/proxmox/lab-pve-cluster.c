/* lab-pve-cluster.c: steps pve.api:<node> (configure), pve.cluster.create,
 * pve.cluster.join:<node> and pve.cluster.quorum (cluster).
 *
 * State: pve.node.<node>.version (the API answered), pve.cluster.name,
 * pve.cluster.ca (the cluster CA's PEM, fetched from the first node over
 * its pinned channel), pve.node.<node>.fingerprint (the certificate a node
 * presents after its join, signed by that CA).
 *
 * Undo forgets the records only: a Proxmox cluster cannot be taken apart
 * again short of reinstalling its nodes (pvecm delnode needs the node off
 * for good), and `down` removes the nodes, and with them the cluster, in
 * the nodes phase after this one. */
#include "config.h"

#include "lab-pve-private.h"

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-util.h"

/* ---- pve.api:<node> --------------------------------------------------------- */

static char *
version_key (LabNode *node)
{
  return g_strdup_printf ("pve.node.%s.version", node->name);
}

static LabPveCall *
version_call (void)
{
  return lab_pve_call_new ("GET", "/version", NULL, NULL);
}

static gboolean
api_apply (LabContext *ctx, gpointer data, GError **error)
{
  LabPveStep *d = data;
  LabPveClient *c = lab_pve_client_for (ctx, d->shared, d->node, error);
  g_autoptr(LabPveCall) call = version_call ();
  g_autoptr(JsonNode) v = NULL;
  g_autofree char *key = version_key (d->node);
  const char *version;

  if (c == NULL || (v = lab_pve_call_run (c, call, error)) == NULL)
    return FALSE;
  version = JSON_NODE_HOLDS_OBJECT (v)
              ? json_object_get_string_member_with_default (json_node_get_object (v), "version", NULL)
              : NULL;
  if (version == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                   _("GET /version on %s answered without a version; is %s a Proxmox VE node?"), d->node->name,
                   lab_pve_client_get_base_url (c));
      return FALSE;
    }
  lab_progress_info (ctx->progress, _("%s: Proxmox VE %s"), d->node->name, version);
  lab_state_set_string (ctx->state, key, version);
  return TRUE;
}

static void
api_forget (LabContext *ctx, gpointer data)
{
  LabPveStep *d = data;
  g_autofree char *key = version_key (d->node);

  lab_state_remove (ctx->state, key);
}

static gboolean
api_undo (LabContext *ctx, gpointer data, GError **error)
{
  api_forget (ctx, data);
  return TRUE;
}

static char **
api_describe (LabContext *ctx, gpointer data, gboolean down)
{
  LabPveStep *d = data;
  GPtrArray *lines = g_ptr_array_new ();
  g_autoptr(LabPveCall) call = version_call ();

  if (!down)
    lab_pve_call_describe (call, d->node, lines);
  return lab_lines_steal (lines);
}

static const LabStepInfo api_step = {
  "pve.api", N_("Log in to the Proxmox API of %s (pinned certificate)"), FALSE, NULL, api_apply, api_undo, api_describe,
  .forget = api_forget,
};

void
lab_pve_add_configure_steps (LabPlan *plan, LabContext *ctx)
{
  LabPveShared *shared = lab_pve_shared (plan);

  for (guint i = 0; i < ctx->recipe->nodes->len; i++)
    {
      LabNode *node = ctx->recipe->nodes->pdata[i];
      lab_plan_add_step (plan, &api_step, node->name, node->name, lab_pve_step_new (shared, node), lab_pve_step_free);
    }
}

/* ---- pve.cluster.create -------------------------------------------------------- */

/* The cluster's name: the lab's, cut to Proxmox's 15 characters. */
static char *
cluster_name (LabContext *ctx)
{
  char *name = g_strndup (ctx->recipe->name, 15);

  while (name[0] != '\0' && name[strlen (name) - 1] == '-')
    name[strlen (name) - 1] = '\0';
  return name;
}

/* From GET /cluster/status: the cluster's name (NULL: standalone); with
 * online/n_nodes/quorate when asked. */
static gboolean
cluster_status (LabPveClient *c, char **name, gboolean *quorate, guint *n_nodes, GHashTable *online, GError **error)
{
  g_autoptr(JsonNode) st = lab_pve_client_call (c, "GET", "/cluster/status", NULL, error);
  JsonArray *a;

  if (st == NULL)
    return FALSE;
  *name = NULL;
  if (!JSON_NODE_HOLDS_ARRAY (st))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL, _("GET /cluster/status on %s answered no list"),
                   lab_pve_client_get_node (c));
      return FALSE;
    }
  a = json_node_get_array (st);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);
      const char *type = o != NULL ? json_object_get_string_member_with_default (o, "type", "") : "";

      if (g_str_equal (type, "cluster"))
        {
          *name = g_strdup (json_object_get_string_member_with_default (o, "name", ""));
          if (quorate != NULL)
            *quorate = json_object_get_int_member_with_default (o, "quorate", 0) == 1;
          if (n_nodes != NULL)
            *n_nodes = json_object_get_int_member_with_default (o, "nodes", 0);
        }
      else if (g_str_equal (type, "node") && online != NULL
               && json_object_get_int_member_with_default (o, "online", 0) == 1)
        g_hash_table_add (online, g_strdup (json_object_get_string_member_with_default (o, "name", "")));
    }
  return TRUE;
}

static LabPveCall *
create_call (LabContext *ctx)
{
  g_autofree char *name = cluster_name (ctx);
  LabPveCall *call = lab_pve_call_new ("POST", "/cluster/config", "pvecm", "create", NULL);

  lab_pve_call_add (call, "clustername", name, LAB_PVE_ARG_POSITIONAL);
  lab_pve_call_add (call, "link0", lab_pve_first_node (ctx)->address, LAB_PVE_ARG_OPTION);
  return call;
}

static LabPveCall *
certificates_call (LabNode *node)
{
  g_autofree char *path = g_strdup_printf ("/nodes/%s/certificates/info", node->name);
  return lab_pve_call_new ("GET", path, NULL, NULL);
}

/* The cluster CA (pve-root-ca.pem) as the first node lists it. */
static char *
fetch_cluster_ca (LabPveClient *c, LabNode *node, GError **error)
{
  g_autoptr(LabPveCall) call = certificates_call (node);
  g_autoptr(JsonNode) list = lab_pve_call_run (c, call, error);

  if (list == NULL)
    return NULL;
  for (guint i = 0; JSON_NODE_HOLDS_ARRAY (list) && i < json_array_get_length (json_node_get_array (list)); i++)
    {
      JsonObject *o = json_array_get_object_element (json_node_get_array (list), i);
      if (o != NULL && g_strcmp0 (json_object_get_string_member_with_default (o, "filename", ""), "pve-root-ca.pem") == 0
          && json_object_get_string_member_with_default (o, "pem", NULL) != NULL)
        return g_strdup (json_object_get_string_member (o, "pem"));
    }
  g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
               _("%s on %s lists no pve-root-ca.pem; the joined nodes' certificates cannot be checked without it"),
               call->path, node->name);
  return NULL;
}

static gboolean
create_apply (LabContext *ctx, gpointer data, GError **error)
{
  LabPveStep *d = data;
  LabNode *first = lab_pve_first_node (ctx);
  LabPveClient *c = lab_pve_client_for (ctx, d->shared, first, error);
  g_autofree char *want = cluster_name (ctx);
  g_autofree char *have = NULL;
  g_autofree char *ca = NULL;

  if (c == NULL || !cluster_status (c, &have, NULL, NULL, NULL, error))
    return FALSE;
  if (have != NULL && !g_str_equal (have, want))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                   _("Node %s is already in the cluster \"%s\", which labctl did not create (it makes \"%s\"); "
                     "reinstall the node ('labctl down', then 'labctl up')"),
                   first->name, have, want);
      return FALSE;
    }
  if (have == NULL)
    {
      g_autoptr(LabPveCall) call = create_call (ctx);
      if (!lab_pve_call_run_task (ctx, c, call, error))
        return FALSE;
    }
  lab_state_set_string (ctx->state, LAB_PVE_KEY_CLUSTER, want);
  ca = fetch_cluster_ca (c, first, error);
  if (ca == NULL)
    return FALSE;
  lab_state_set_string (ctx->state, LAB_PVE_KEY_CLUSTER_CA, ca);
  return TRUE;
}

static void
create_forget (LabContext *ctx, gpointer data)
{
  lab_state_remove (ctx->state, LAB_PVE_KEY_CLUSTER);
  lab_state_remove (ctx->state, LAB_PVE_KEY_CLUSTER_CA);
}

static gboolean
create_undo (LabContext *ctx, gpointer data, GError **error)
{
  create_forget (ctx, data);
  return TRUE;
}

static char **
create_describe (LabContext *ctx, gpointer data, gboolean down)
{
  GPtrArray *lines = g_ptr_array_new ();
  g_autoptr(LabPveCall) call = create_call (ctx);
  g_autoptr(LabPveCall) certs = certificates_call (lab_pve_first_node (ctx));

  if (down)
    {
      lab_pve_lines_comment (lines, "%s", _("the cluster goes with the nodes' disks"));
      return lab_lines_steal (lines);
    }
  lab_pve_call_describe (call, lab_pve_first_node (ctx), lines);
  lab_pve_lines_comment (lines, "%s", _("the cluster CA (pve-root-ca.pem), to check the joined nodes' certificates:"));
  lab_pve_call_describe (certs, lab_pve_first_node (ctx), lines);
  return lab_lines_steal (lines);
}

static const LabStepInfo create_step = {
  "pve.cluster.create", N_("Create the Proxmox cluster on %s"), FALSE, NULL, create_apply, create_undo,
  create_describe, .forget = create_forget,
};

/* ---- pve.cluster.join:<node> ----------------------------------------------------- */

static char *
joined_key (LabNode *node, const char *what)
{
  return g_strdup_printf ("pve.node.%s.%s", node->name, what);
}

static LabPveCall *
join_info_call (void)
{
  return lab_pve_call_new ("GET", "/cluster/config/join", NULL, NULL);
}

static LabPveCall *
join_call (LabContext *ctx, LabNode *node, const char *fingerprint, const char *password, gboolean force)
{
  LabPveCall *call = lab_pve_call_new ("POST", "/cluster/config/join", "pvecm", "add", NULL);

  lab_pve_call_add (call, "hostname", lab_pve_first_node (ctx)->address, LAB_PVE_ARG_POSITIONAL);
  lab_pve_call_add (call, "fingerprint", fingerprint, LAB_PVE_ARG_OPTION);
  /* pvecm add asks for the member's root password */
  lab_pve_call_add (call, "password", password, LAB_PVE_ARG_API_ONLY);
  lab_pve_call_add (call, "link0", node->address, LAB_PVE_ARG_OPTION);
  if (force)
    lab_pve_call_add (call, "force", "1", LAB_PVE_ARG_OPTION);
  return call;
}

/* The first node's join information: its fingerprint as it announces it
 * (it must be the pinned one) and whether node is already in its
 * corosync.conf (a join that failed half-way: join again with force). */
static gboolean
join_info (LabPveClient *c1, LabNode *first, LabNode *node, char **fingerprint, gboolean *listed, GError **error)
{
  g_autoptr(LabPveCall) call = join_info_call ();
  g_autoptr(JsonNode) info = lab_pve_call_run (c1, call, error);
  JsonArray *list;
  g_autofree char *pinned = lab_pve_client_get_peer_fingerprint (c1);

  if (info == NULL)
    return FALSE;
  *fingerprint = NULL;
  *listed = FALSE;
  list = JSON_NODE_HOLDS_OBJECT (info) && json_object_has_member (json_node_get_object (info), "nodelist")
           ? json_object_get_array_member (json_node_get_object (info), "nodelist")
           : NULL;
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
    {
      JsonObject *o = json_array_get_object_element (list, i);
      const char *name = o != NULL ? json_object_get_string_member_with_default (o, "name", "") : "";
      if (g_str_equal (name, first->name))
        *fingerprint = g_strdup (json_object_get_string_member_with_default (o, "pve_fp", NULL));
      else if (g_str_equal (name, node->name))
        *listed = TRUE;
    }
  if (*fingerprint == NULL || pinned == NULL || g_ascii_strcasecmp (*fingerprint, pinned) != 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_CHECK_FAILED,
                   _("The join information of %s names the certificate %s, but %s presents %s; "
                     "refusing to join %s to it"),
                   first->name, *fingerprint != NULL ? *fingerprint : "?", first->name, pinned != NULL ? pinned : "?",
                   node->name);
      g_clear_pointer (fingerprint, g_free);
      return FALSE;
    }
  return TRUE;
}

static gboolean
join_apply (LabContext *ctx, gpointer data, GError **error)
{
  LabPveStep *d = data;
  LabNode *first = lab_pve_first_node (ctx);
  LabPveClient *c1 = lab_pve_client_for (ctx, d->shared, first, error);
  LabPveClient *cn = c1 != NULL ? lab_pve_client_for (ctx, d->shared, d->node, error) : NULL;
  const char *want = lab_state_get_string (ctx->state, LAB_PVE_KEY_CLUSTER);
  g_autofree char *pw_key = lab_pve_key (first->name, "root_password");
  g_autofree char *fp_key = joined_key (d->node, "fingerprint");
  g_autofree char *member_key = joined_key (d->node, "cluster");
  g_autofree char *have = NULL;
  g_autofree char *fp = NULL;
  g_autofree char *now = NULL;
  g_autoptr(LabPveCall) call = NULL;
  g_autoptr(JsonNode) upid = NULL;
  gboolean listed;

  if (cn == NULL)
    return FALSE;
  if (want == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_STATE,
                   _("The state records no Proxmox cluster to join %s to; run 'labctl up' again"), d->node->name);
      return FALSE;
    }
  if (!cluster_status (cn, &have, NULL, NULL, NULL, error))
    return FALSE;
  if (have != NULL && !g_str_equal (have, want))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                   _("Node %s is already in the cluster \"%s\", not in the lab's \"%s\"; reinstall the node "
                     "('labctl down', then 'labctl up')"),
                   d->node->name, have, want);
      return FALSE;
    }
  if (have == NULL)
    {
      if (!join_info (c1, first, d->node, &fp, &listed, error))
        return FALSE;
      if (listed)
        lab_progress_info (ctx->progress,
                           _("%s is in %s's cluster configuration already (an earlier join stopped half-way): "
                             "joining again with force"),
                           d->node->name, first->name);
      call = join_call (ctx, d->node, fp, lab_state_get_secret (ctx->state, pw_key), listed);
      /* The node restarts its API during the join and comes back with a
       * certificate from the cluster CA: the client accepts it because
       * the CA is in the state (lab_pve_client_for). */
      if (!lab_pve_call_run_task (ctx, cn, call, error))
        return FALSE;
      g_clear_pointer (&have, g_free);
      if (!cluster_status (cn, &have, NULL, NULL, NULL, error))
        return FALSE;
      if (g_strcmp0 (have, want) != 0)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                       _("The join of %s ended without error, but the node reports cluster \"%s\" instead of \"%s\""),
                       d->node->name, have != NULL ? have : "", want);
          return FALSE;
        }
    }
  now = lab_pve_client_get_peer_fingerprint (cn);
  if (now != NULL)
    lab_state_set_string (ctx->state, fp_key, now);
  lab_state_set_string (ctx->state, member_key, want);
  return TRUE;
}

/* The certificate of the join is gone too: the node presents its
 * install's again, the one nodes.install pinned. */
static void
join_forget (LabContext *ctx, gpointer data)
{
  LabPveStep *d = data;
  g_autofree char *fp_key = joined_key (d->node, "fingerprint");
  g_autofree char *member_key = joined_key (d->node, "cluster");

  lab_state_remove (ctx->state, fp_key);
  lab_state_remove (ctx->state, member_key);
}

static gboolean
join_undo (LabContext *ctx, gpointer data, GError **error)
{
  join_forget (ctx, data);
  return TRUE;
}

static char **
join_describe (LabContext *ctx, gpointer data, gboolean down)
{
  LabPveStep *d = data;
  GPtrArray *lines = g_ptr_array_new ();
  LabNode *first = lab_pve_first_node (ctx);
  g_autofree char *fp_key = lab_pve_key (first->name, "fingerprint");
  const char *fp = lab_state_get_string (ctx->state, fp_key);
  g_autofree char *placeholder = g_strdup_printf ("<fingerprint of %s>", first->name);
  g_autoptr(LabPveCall) info = join_info_call ();
  g_autoptr(LabPveCall) call = join_call (ctx, d->node, fp != NULL ? fp : placeholder, "", FALSE);

  if (down)
    {
      lab_pve_lines_comment (lines, "%s", _("the cluster goes with the nodes' disks"));
      return lab_lines_steal (lines);
    }
  lab_pve_call_describe (info, first, lines);
  lab_pve_call_describe (call, d->node, lines);
  return lab_lines_steal (lines);
}

static const LabStepInfo join_step = {
  "pve.cluster.join", N_("Join %s to the Proxmox cluster"), FALSE, NULL, join_apply, join_undo, join_describe,
  .forget = join_forget,
};

/* ---- pve.cluster.quorum -------------------------------------------------------------- */

/* The cluster as any node that answers sees it (a node started again may
 * not yet): *quorate, its node count and, in missing, the recipe's nodes
 * it does not show online ("a, b"). FALSE: no node answered, or one
 * presented a certificate that is not its pin (LAB_ERROR_CHECK_FAILED). */
static gboolean
quorum_read (LabContext *ctx, LabPveStep *d, gboolean *quorate, guint *n_nodes, GString *missing, GError **error)
{
  g_autoptr(GHashTable) online = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *name = NULL;
  LabPveClient *c = NULL;

  *quorate = FALSE;
  *n_nodes = 0;
  if (!lab_pve_any_client (ctx, d->shared, NULL, &c, error)
      || !cluster_status (c, &name, quorate, n_nodes, online, error))
    return FALSE;
  for (guint i = 0; i < ctx->recipe->nodes->len; i++)
    {
      LabNode *n = ctx->recipe->nodes->pdata[i];

      if (!g_hash_table_contains (online, n->name))
        g_string_append_printf (missing, "%s%s", missing->len > 0 ? ", " : "", n->name);
    }
  return TRUE;
}

/* Done when every node of the recipe is online and the cluster quorate:
 * after a node was off (a failover) the next `up` waits here for it to
 * rejoin. A node that does not answer is "not done" (apply says why). */
static gboolean
quorum_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  g_autoptr(GString) missing = g_string_new (NULL);
  gboolean quorate;
  guint n_nodes;

  *done = lab_state_get_string (ctx->state, LAB_PVE_KEY_CLUSTER) != NULL
          && quorum_read (ctx, data, &quorate, &n_nodes, missing, NULL)
          && quorate && n_nodes == ctx->recipe->nodes->len && missing->len == 0;
  return TRUE;
}

static gboolean
quorum_apply (LabContext *ctx, gpointer data, GError **error)
{
  LabPveStep *d = data;
  LabNode *first = lab_pve_first_node (ctx);
  gint64 deadline = g_get_monotonic_time () + (gint64) LAB_PVE_QUORUM_TIMEOUT * G_USEC_PER_SEC;
  guint total = ctx->recipe->nodes->len;

  for (guint round = 0;; round++)
    {
      g_autoptr(GString) missing = g_string_new (NULL);
      g_autoptr(GError) local = NULL;
      gboolean quorate = FALSE;
      guint n_nodes = 0;

      /* no node answers yet: wait; a certificate that is not its pin
       * stops the wait */
      if (!quorum_read (ctx, d, &quorate, &n_nodes, missing, &local))
        {
          if (g_error_matches (local, LAB_ERROR, LAB_ERROR_CHECK_FAILED) || g_get_monotonic_time () > deadline)
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
          g_usleep (G_USEC_PER_SEC);
          continue;
        }
      if (quorate && n_nodes == total && missing->len == 0)
        {
          lab_progress_info (ctx->progress, _("quorate, %u of %u votes, every node online"), total, total);
          return TRUE;
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT,
                       _("The Proxmox cluster has %u of %u nodes, is %s, offline: %s, after %u s; "
                         "see 'pvecm status' on %s"),
                       n_nodes, total, quorate ? _("quorate") : _("not quorate"),
                       missing->len > 0 ? missing->str : _("none"), LAB_PVE_QUORUM_TIMEOUT, first->name);
          return FALSE;
        }
      if (round == 0)
        lab_progress_info (ctx->progress, _("waiting for quorum and every node online (offline: %s)"),
                           missing->len > 0 ? missing->str : _("none"));
      if (g_cancellable_set_error_if_cancelled (ctx->cancellable, error))
        return FALSE;
      g_usleep (G_USEC_PER_SEC);
    }
}

static char **
quorum_describe (LabContext *ctx, gpointer data, gboolean down)
{
  GPtrArray *lines = g_ptr_array_new ();
  g_autoptr(LabPveCall) call = lab_pve_call_new ("GET", "/cluster/status", "pvecm", "status", NULL);

  if (!down)
    lab_pve_call_describe (call, lab_pve_first_node (ctx), lines);
  return lab_lines_steal (lines);
}

static const LabStepInfo quorum_step = {
  "pve.cluster.quorum", N_("Wait for the Proxmox cluster's quorum"), FALSE, quorum_check, quorum_apply,
  lab_pve_nothing_to_undo,
  quorum_describe,
};

void
lab_pve_add_cluster_steps (LabPlan *plan, LabContext *ctx)
{
  LabPveShared *shared = lab_pve_shared (plan);
  LabNode *first = lab_pve_first_node (ctx);

  lab_plan_add_step (plan, &create_step, NULL, first->name, lab_pve_step_new (shared, NULL), lab_pve_step_free);
  for (guint i = 1; i < ctx->recipe->nodes->len; i++)
    {
      LabNode *node = ctx->recipe->nodes->pdata[i];
      lab_plan_add_step (plan, &join_step, node->name, node->name, lab_pve_step_new (shared, node), lab_pve_step_free);
    }
  lab_plan_add_step (plan, &quorum_step, NULL, NULL, lab_pve_step_new (shared, NULL), lab_pve_step_free);
  lab_pve_add_storage_steps (plan, ctx, shared);
}
