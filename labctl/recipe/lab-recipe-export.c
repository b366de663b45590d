/* lab-recipe-export.c: a recipe with every default applied, as JSON
 * (`recipe show --json`) and as a .lab key file (`recipe show`). */
#include "config.h"

#include "lab-recipe.h"

#include "lab-json.h"
#include "lab-util.h"

JsonNode *
lab_recipe_to_json (LabRecipe *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (r != NULL, NULL);
  json_builder_begin_object (b);
  lab_json_member_nullable (b, "path", r->path);
  lab_json_member_nullable (b, "hash", r->hash);

  json_builder_set_member_name (b, "lab");
  json_builder_begin_object (b);
  lab_json_member_nullable (b, "name", r->name);
  lab_json_member_nullable (b, "description", r->description);
  lab_json_member_nullable (b, "flavor", lab_flavor_to_string (r->flavor));
  lab_json_member_nullable (b, "domain", r->domain);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "storage");
  json_builder_begin_object (b);
  lab_json_member_nullable (b, "backing_file", r->backing_file);
  lab_json_member_int (b, "size_bytes", (gint64) r->image_size);
  lab_json_member_nullable (b, "iqn", r->iqn);
  lab_json_member_nullable (b, "portal_address", r->portal_address);
  lab_json_member_int (b, "portal_port", r->portal_port);
  lab_json_member_int (b, "control_port", r->control_port);
  lab_json_member_nullable (b, "vg", r->vg_name);
  lab_json_member_nullable (b, "lv_prefix", r->lv_prefix);
  lab_json_member_boolean (b, "chap", r->chap);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "network");
  json_builder_begin_object (b);
  lab_json_member_nullable (b, "name", r->net_name);
  lab_json_member_nullable (b, "subnet", r->subnet);
  lab_json_member_nullable (b, "gateway", r->gateway);
  lab_json_member_nullable (b, "bridge", r->bridge);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "nodes");
  json_builder_begin_object (b);
  lab_json_member_nullable (b, "cpu_mode", r->cpu_mode);
  lab_json_member_nullable (b, "cache_mode", r->cache_mode);
  lab_json_member_nullable (b, "install_media", r->install_media);
  lab_json_member_nullable (b, "os", r->os_id);
  lab_json_member_nullable (b, "pve_version", r->pve_version);
  json_builder_set_member_name (b, "list");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *n = r->nodes->pdata[i];

      json_builder_begin_object (b);
      lab_json_member_nullable (b, "name", n->name);
      lab_json_member_int (b, "vcpus", n->vcpus);
      lab_json_member_int (b, "memory_mib", (gint64) n->memory_mib);
      lab_json_member_int (b, "disk_bytes", (gint64) n->disk_bytes);
      lab_json_member_nullable (b, "lv", n->lv_name);
      lab_json_member_nullable (b, "address", n->address);
      lab_json_member_nullable (b, "mac", n->mac);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "guests");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->guests->len; i++)
    {
      LabGuest *g = r->guests->pdata[i];

      json_builder_begin_object (b);
      lab_json_member_nullable (b, "name", g->name);
      lab_json_member_nullable (b, "node", g->node);
      lab_json_member_int (b, "vcpus", g->vcpus);
      lab_json_member_int (b, "memory_mib", (gint64) g->memory_mib);
      lab_json_member_nullable (b, "kernel", g->kernel);
      lab_json_member_nullable (b, "initrd", g->initrd);
      lab_json_member_nullable (b, "cmdline", g->cmdline);
      lab_json_member_nullable (b, "address", g->address);
      lab_json_member_nullable (b, "mac", g->mac);
      lab_json_member_int (b, "disk_bytes", (gint64) g->disk_bytes);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  if (r->cluster)
    {
      json_builder_set_member_name (b, "cluster");
      json_builder_begin_object (b);
      lab_json_member_int (b, "token_ms", r->cluster_token_ms);
      lab_json_member_int (b, "stickiness", r->cluster_stickiness);
      json_builder_end_object (b);
    }

  json_builder_set_member_name (b, "exercises");
  json_builder_begin_array (b);
  for (guint i = 0; r->exercises != NULL && r->exercises[i] != NULL; i++)
    json_builder_add_string_value (b, r->exercises[i]);
  json_builder_end_array (b);

  lab_json_member_int (b, "storage_bytes", (gint64) lab_recipe_storage_bytes (r));
  lab_json_member_int (b, "memory_mib", (gint64) lab_recipe_memory_mib (r));
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
kf_set_size (GKeyFile *kf, const char *group, const char *key, guint64 bytes)
{
  g_autofree char *s = lab_format_size_exact (bytes);

  g_key_file_set_string (kf, group, key, s);
}

static void
kf_set_uint (GKeyFile *kf, const char *group, const char *key, guint64 value)
{
  g_autofree char *s = g_strdup_printf ("%" G_GUINT64_FORMAT, value);

  g_key_file_set_string (kf, group, key, s);
}

char *
lab_recipe_to_keyfile (LabRecipe *r)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *portal = NULL;
  g_autofree char *body = NULL;
  g_autofree char *header = NULL;

  g_return_val_if_fail (r != NULL, NULL);
  g_key_file_set_string (kf, "lab", "name", r->name);
  if (r->description != NULL)
    g_key_file_set_string (kf, "lab", "description", r->description);
  g_key_file_set_string (kf, "lab", "flavor", lab_flavor_to_string (r->flavor));
  g_key_file_set_string (kf, "lab", "domain", r->domain);

  g_key_file_set_string (kf, "storage", "backing-file", r->backing_file);
  kf_set_size (kf, "storage", "size", r->image_size);
  g_key_file_set_string (kf, "storage", "iqn", r->iqn);
  portal = g_strdup_printf ("%s:%u", r->portal_address, r->portal_port);
  g_key_file_set_string (kf, "storage", "portal", portal);
  kf_set_uint (kf, "storage", "control-port", r->control_port);
  g_key_file_set_string (kf, "storage", "vg", r->vg_name);
  g_key_file_set_string (kf, "storage", "lv-prefix", r->lv_prefix);
  g_key_file_set_string (kf, "storage", "chap", r->chap ? "true" : "false");

  g_key_file_set_string (kf, "network", "name", r->net_name);
  g_key_file_set_string (kf, "network", "subnet", r->subnet);
  g_key_file_set_string (kf, "network", "bridge", r->bridge);

  g_key_file_set_string (kf, "nodes", "cpu-mode", r->cpu_mode);
  g_key_file_set_string (kf, "nodes", "cache-mode", r->cache_mode);
  if (r->install_media != NULL)
    g_key_file_set_string (kf, "nodes", "install-media", r->install_media);
  if (r->os_id != NULL)
    g_key_file_set_string (kf, "nodes", "os", r->os_id);
  if (r->pve_version != NULL)
    g_key_file_set_string (kf, "nodes", "pve-version", r->pve_version);
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *n = r->nodes->pdata[i];
      g_autofree char *group = g_strdup_printf ("node %s", n->name);
      g_autofree char *comment = g_strdup_printf (" LV %s/%s, MAC %s", r->vg_name, n->lv_name, n->mac);

      kf_set_uint (kf, group, "vcpus", n->vcpus);
      kf_set_uint (kf, group, "memory", n->memory_mib);
      kf_set_size (kf, group, "disk", n->disk_bytes);
      g_key_file_set_string (kf, group, "address", n->address);
      g_key_file_set_comment (kf, group, NULL, comment, NULL);
    }
  for (guint i = 0; i < r->guests->len; i++)
    {
      LabGuest *g = r->guests->pdata[i];
      g_autofree char *group = g_strdup_printf ("guest %s", g->name);
      g_autofree char *comment = g_strdup_printf (" MAC %s", g->mac);

      g_key_file_set_string (kf, group, "node", g->node);
      kf_set_uint (kf, group, "vcpus", g->vcpus);
      kf_set_uint (kf, group, "memory", g->memory_mib);
      if (g->kernel != NULL)
        g_key_file_set_string (kf, group, "kernel", g->kernel);
      if (g->initrd != NULL)
        g_key_file_set_string (kf, group, "initrd", g->initrd);
      if (g->cmdline != NULL)
        g_key_file_set_string (kf, group, "cmdline", g->cmdline);
      g_key_file_set_string (kf, group, "address", g->address);
      if (g->disk_bytes > 0)
        kf_set_size (kf, group, "disk", g->disk_bytes);
      g_key_file_set_comment (kf, group, NULL, comment, NULL);
    }
  if (r->cluster)
    {
      g_key_file_set_integer (kf, "cluster", "token", (gint) r->cluster_token_ms);
      g_key_file_set_integer (kf, "cluster", "stickiness", (gint) r->cluster_stickiness);
    }
  if (r->exercises != NULL && r->exercises[0] != NULL)
    g_key_file_set_string_list (kf, "exercises", "list", (const char * const *) r->exercises,
                                g_strv_length (r->exercises));

  body = g_key_file_to_data (kf, NULL, NULL);
  header = g_strdup_printf ("# Lab recipe '%s' with every default filled in%s%s\n",
                            r->name, r->path != NULL ? ", from " : "", r->path != NULL ? r->path : "");
  return g_strconcat (header, body, NULL);
}
