/* lab-container.c: the container flavor's node object: the names of a
 * node's namespace, veth and directories, the URIs of its libvirtd, and
 * the link query the bridge and namespace steps share. */
#include "config.h"

#include "lab-container.h"
#include "lab-container-private.h"

#include <string.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-util.h"

/* ---- names ------------------------------------------------------------- */

LabContainerNode *
lab_container_node_new (LabRecipe *recipe, LabNode *node, const char *state_dir)
{
  LabContainerNode *self = g_new0 (LabContainerNode, 1);
  g_autofree char *seed = g_strdup_printf ("%s/%s", recipe->name, node->name);
  g_autofree char *h = g_compute_checksum_for_string (G_CHECKSUM_SHA256, seed, -1);

  self->lab_name = g_strdup (recipe->name);
  self->node_name = g_strdup (node->name);
  self->netns = g_strdup_printf ("labctl-%s-%s", recipe->name, node->name);
  self->veth = g_strdup_printf ("lc%.10s", h);
  self->address = g_strdup (node->address);
  self->mac = g_strdup (node->mac);
  self->prefix = recipe->subnet_prefix;
  self->gateway = g_strdup (recipe->gateway);
  self->bridge = g_strdup (recipe->bridge);
  self->dir = g_build_filename (state_dir, "nodes", node->name, NULL);
  {
    g_autofree char *uuid_seed = g_strdup_printf ("labctl-node/%s/%s", recipe->name, node->name);
    self->uuid = lab_uuid_from_seed (uuid_seed);
  }
  self->caps_cache = lab_container_default_caps_cache ();
  self->cluster = recipe->cluster;
  return self;
}

void
lab_container_node_free (LabContainerNode *node)
{
  if (node == NULL)
    return;
  g_free (node->lab_name);
  g_free (node->node_name);
  g_free (node->netns);
  g_free (node->veth);
  g_free (node->address);
  g_free (node->mac);
  g_free (node->gateway);
  g_free (node->bridge);
  g_free (node->dir);
  g_free (node->uuid);
  g_free (node->caps_cache);
  g_free (node);
}

char *
lab_container_node_uri (LabContainerNode *node)
{
  return g_strdup_printf ("qemu+unix:///system?socket=%s/run/libvirt-sock", node->dir);
}

char *
lab_container_node_peer_uri (LabContainerNode *node)
{
  return g_strdup_printf ("qemu+tcp://%s/system", node->address);
}

char *
lab_container_default_caps_cache (void)
{
  const char *env = g_getenv ("LABCTL_CACHE_DIR");

  if (env != NULL && *env != '\0')
    return g_build_filename (env, "qemu-capabilities", NULL);
  if (geteuid () == 0)
    return g_strdup ("/var/cache/labctl/qemu-capabilities");
  return g_build_filename (g_get_user_cache_dir (), "labctl", "qemu-capabilities", NULL);
}

/* ---- links ------------------------------------------------------------- */

/* ip -j link show dev NAME: *found, *alias (may be NULL). */
gboolean
lab_container_link_query (LabRunner *runner, const char *netns, const char *name,
                          gboolean *found, char **alias, GError **error)
{
  g_autofree char *out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  JsonNode *root;
  int status = 0;

  *found = FALSE;
  if (alias != NULL)
    *alias = NULL;
  g_ptr_array_add (argv, (char *) "ip");
  if (netns != NULL)
    {
      g_ptr_array_add (argv, (char *) "-n");
      g_ptr_array_add (argv, (char *) netns);
    }
  g_ptr_array_add (argv, (char *) "-j");
  g_ptr_array_add (argv, (char *) "link");
  g_ptr_array_add (argv, (char *) "show");
  g_ptr_array_add (argv, (char *) "dev");
  g_ptr_array_add (argv, (char *) name);
  g_ptr_array_add (argv, NULL);
  if (!lab_runner_run_full (runner, (const char * const *) argv->pdata, LAB_RUN_QUERY, NULL, 0,
                            &status, &out, NULL, NULL, error))
    return FALSE;
  if (status != 0 || out == NULL || *out == '\0')
    return TRUE;  /* "Device does not exist" */
  if (!json_parser_load_from_data (parser, out, -1, NULL))
    return TRUE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root) || json_array_get_length (json_node_get_array (root)) == 0)
    return TRUE;
  *found = TRUE;
  if (alias != NULL)
    {
      JsonObject *o = json_array_get_object_element (json_node_get_array (root), 0);
      if (o != NULL && json_object_has_member (o, "ifalias"))
        *alias = g_strdup (json_object_get_string_member (o, "ifalias"));
    }
  return TRUE;
}

/* ---- a node in a plan's context ---------------------------------------- */

LabContainerNode *
lab_container_node_for (LabContext *ctx, LabNode *node)
{
  g_autofree char *dir = lab_context_get_state_dir (ctx);

  return lab_container_node_new (ctx->recipe, node, dir);
}
