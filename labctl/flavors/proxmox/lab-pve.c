/* lab-pve.c: what the Proxmox steps share: one API client per node, built
 * from the state, and API calls that also print as the command a person
 * would type on the node (lab-pve-private.h). */
#include "config.h"

#include "lab-pve-private.h"

#include <stdarg.h>

#include "lab-error.h"
#include "lab-util.h"

#define SHARED_KEY "pve"

LabPveShared *
lab_pve_shared_new (void)
{
  LabPveShared *s = g_new0 (LabPveShared, 1);

  s->clients = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) lab_pve_client_free);
  return s;
}

void
lab_pve_shared_free (gpointer p)
{
  LabPveShared *s = p;

  if (s == NULL)
    return;
  g_hash_table_destroy (s->clients);
  g_free (s);
}

LabPveShared *
lab_pve_shared (LabPlan *plan)
{
  LabPveShared *s = lab_plan_get_data (plan, SHARED_KEY);

  if (s == NULL)
    {
      s = lab_pve_shared_new ();
      lab_plan_set_data (plan, SHARED_KEY, s, lab_pve_shared_free);
    }
  return s;
}

LabPveStep *
lab_pve_step_new (LabPveShared *shared, LabNode *node)
{
  LabPveStep *d = g_new0 (LabPveStep, 1);

  d->shared = shared;
  d->node = node;
  return d;
}

void
lab_pve_step_free (gpointer step)
{
  g_free (step);
}

char *
lab_pve_key (const char *node, const char *what)
{
  return g_strdup_printf ("nodes.%s.pve.%s", node, what);
}

gboolean
lab_pve_nothing_to_undo (LabContext *ctx, gpointer data, GError **error)
{
  return TRUE;
}

LabNode *
lab_pve_first_node (LabContext *ctx)
{
  return ctx->recipe->nodes->pdata[0];
}

LabPveClient *
lab_pve_client_for (LabContext *ctx, LabPveShared *shared, LabNode *node, GError **error)
{
  LabPveClient *c = g_hash_table_lookup (shared->clients, node->name);
  g_autofree char *joined_key = g_strdup_printf ("pve.node.%s.fingerprint", node->name);

  if (c == NULL)
    {
      g_autofree char *api_key = lab_pve_key (node->name, "api");
      g_autofree char *fp_key = lab_pve_key (node->name, "fingerprint");
      g_autofree char *pw_key = lab_pve_key (node->name, "root_password");
      const char *fp = lab_state_get_string (ctx->state, joined_key);

      c = lab_pve_client_new (node->name, lab_state_get_string (ctx->state, api_key),
                              fp != NULL ? fp : lab_state_get_string (ctx->state, fp_key), error);
      if (c == NULL)
        return NULL;
      lab_pve_client_set_password (c, lab_state_get_secret (ctx->state, pw_key));
      g_hash_table_insert (shared->clients, g_strdup (node->name), c);
    }
  if (!lab_pve_client_set_cluster_ca (c, lab_state_get_string (ctx->state, LAB_PVE_KEY_CLUSTER_CA), error))
    return NULL;
  return c;
}

/* ---- calls ------------------------------------------------------------------ */

LabPveCall *
lab_pve_call_new (const char *method, const char *path, const char *cli, ...)
{
  LabPveCall *call = g_new0 (LabPveCall, 1);
  va_list ap;

  call->method = g_strdup (method);
  call->path = g_strdup (path);
  call->params = g_ptr_array_new_with_free_func (g_free);
  call->cli = g_ptr_array_new_with_free_func (g_free);
  call->cli_args = g_ptr_array_new_with_free_func (g_free);
  va_start (ap, cli);
  for (const char *w = cli; w != NULL; w = va_arg (ap, const char *))
    g_ptr_array_add (call->cli, g_strdup (w));
  va_end (ap);
  return call;
}

void
lab_pve_call_add (LabPveCall *call, const char *key, const char *value, LabPveArg how)
{
  g_ptr_array_add (call->params, g_strdup (key));
  g_ptr_array_add (call->params, g_strdup (value));
  if (how == LAB_PVE_ARG_OPTION)
    g_ptr_array_add (call->cli_args, g_strdup_printf ("--%s", key));
  if (how != LAB_PVE_ARG_API_ONLY)
    g_ptr_array_add (call->cli_args, g_strdup (value));
}

void
lab_pve_call_free (LabPveCall *call)
{
  if (call == NULL)
    return;
  g_free (call->method);
  g_free (call->path);
  g_ptr_array_unref (call->params);
  g_ptr_array_unref (call->cli);
  g_ptr_array_unref (call->cli_args);
  g_free (call);
}

JsonNode *
lab_pve_call_run (LabPveClient *client, LabPveCall *call, GError **error)
{
  g_autoptr(GPtrArray) params = g_ptr_array_new ();

  for (guint i = 0; i < call->params->len; i++)
    g_ptr_array_add (params, call->params->pdata[i]);
  g_ptr_array_add (params, NULL);
  return lab_pve_client_call (client, call->method, call->path, (const char *const *) params->pdata, error);
}

gboolean
lab_pve_call_run_task (LabContext *ctx, LabPveClient *client, LabPveCall *call, GError **error)
{
  g_autoptr(JsonNode) upid = lab_pve_call_run (client, call, error);

  if (upid == NULL)
    return FALSE;
  return lab_pve_client_wait_task (client, JSON_NODE_HOLDS_VALUE (upid) ? json_node_get_string (upid) : NULL,
                                   LAB_PVE_TASK_TIMEOUT, ctx->cancellable, NULL, error);
}

static const char *
pvesh_verb (const char *method)
{
  if (g_str_equal (method, "POST"))
    return "create";
  if (g_str_equal (method, "PUT"))
    return "set";
  if (g_str_equal (method, "DELETE"))
    return "delete";
  return "get";
}

void
lab_pve_call_describe (LabPveCall *call, LabNode *node, GPtrArray *lines)
{
  g_autofree char *host = g_strdup_printf ("root@%s", node->address);
  GString *s = g_string_new ("ssh ");
  GPtrArray *words = call->cli;
  g_autoptr(GPtrArray) pvesh = NULL;

  if (words->len == 0)
    {
      /* no dedicated command: pvesh, the parameters as its options */
      pvesh = g_ptr_array_new ();
      g_ptr_array_add (pvesh, (char *) "pvesh");
      g_ptr_array_add (pvesh, (char *) pvesh_verb (call->method));
      g_ptr_array_add (pvesh, call->path);
      words = pvesh;
    }
  g_string_append (s, host);
  for (guint i = 0; i < words->len; i++)
    {
      g_autofree char *q = lab_shell_quote (words->pdata[i]);
      g_string_append_printf (s, " %s", q);
    }
  for (guint i = 0; i < call->cli_args->len; i++)
    {
      g_autofree char *q = lab_shell_quote (call->cli_args->pdata[i]);
      g_string_append_printf (s, " %s", q);
    }
  g_ptr_array_add (lines, g_string_free (s, FALSE));
}

void
lab_pve_lines_comment (GPtrArray *lines, const char *format, ...)
{
  va_list ap;
  g_autofree char *text = NULL;

  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_ptr_array_add (lines, g_strdup_printf ("# %s", text));
}
