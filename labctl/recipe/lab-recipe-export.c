/* lab-recipe-export.c: a recipe with every default applied, as JSON
 * (`recipe show --json`) and as a .lab key file (`recipe show`). */
#include "config.h"

#include "lab-recipe.h"

#include "lab-util.h"

static void
add_string (JsonBuilder *b, const char *key, const char *value)
{
  json_builder_set_member_name (b, key);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b, const char *key, gint64 value)
{
  json_builder_set_member_name (b, key);
  json_builder_add_int_value (b, value);
}

JsonNode *
lab_recipe_to_json (LabRecipe *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (r != NULL, NULL);
  json_builder_begin_object (b);
  add_string (b, "path", r->path);
  add_string (b, "hash", r->hash);

  json_builder_set_member_name (b, "lab");
  json_builder_begin_object (b);
  add_string (b, "name", r->name);
  add_string (b, "description", r->description);
  add_string (b, "flavor", lab_flavor_to_string (r->flavor));
  add_string (b, "domain", r->domain);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "storage");
  json_builder_begin_object (b);
  add_string (b, "backing_file", r->backing_file);
  add_int (b, "size_bytes", (gint64) r->image_size);
  add_string (b, "iqn", r->iqn);
  add_string (b, "portal_address", r->portal_address);
  add_int (b, "portal_port", r->portal_port);
  add_int (b, "control_port", r->control_port);
  add_string (b, "vg", r->vg_name);
  add_string (b, "lv_prefix", r->lv_prefix);
  json_builder_set_member_name (b, "chap");
  json_builder_add_boolean_value (b, r->chap);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "network");
  json_builder_begin_object (b);
  add_string (b, "name", r->net_name);
  add_string (b, "subnet", r->subnet);
  add_string (b, "gateway", r->gateway);
  add_string (b, "bridge", r->bridge);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "nodes");
  json_builder_begin_object (b);
  add_string (b, "cpu_mode", r->cpu_mode);
  add_string (b, "cache_mode", r->cache_mode);
  add_string (b, "install_media", r->install_media);
  add_string (b, "os", r->os_id);
  json_builder_set_member_name (b, "list");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *n = r->nodes->pdata[i];

      json_builder_begin_object (b);
      add_string (b, "name", n->name);
      add_int (b, "vcpus", n->vcpus);
      add_int (b, "memory_mib", (gint64) n->memory_mib);
      add_int (b, "disk_bytes", (gint64) n->disk_bytes);
      add_string (b, "lv", n->lv_name);
      add_string (b, "address", n->address);
      add_string (b, "mac", n->mac);
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
      add_string (b, "name", g->name);
      add_string (b, "node", g->node);
      add_int (b, "vcpus", g->vcpus);
      add_int (b, "memory_mib", (gint64) g->memory_mib);
      add_string (b, "kernel", g->kernel);
      add_string (b, "initrd", g->initrd);
      add_string (b, "cmdline", g->cmdline);
      add_string (b, "address", g->address);
      add_string (b, "mac", g->mac);
      add_int (b, "disk_bytes", (gint64) g->disk_bytes);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "exercises");
  json_builder_begin_array (b);
  for (guint i = 0; r->exercises != NULL && r->exercises[i] != NULL; i++)
    json_builder_add_string_value (b, r->exercises[i]);
  json_builder_end_array (b);

  add_int (b, "storage_bytes", (gint64) lab_recipe_storage_bytes (r));
  add_int (b, "memory_mib", (gint64) lab_recipe_memory_mib (r));
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
  if (r->exercises != NULL && r->exercises[0] != NULL)
    g_key_file_set_string_list (kf, "exercises", "list", (const char * const *) r->exercises,
                                g_strv_length (r->exercises));

  body = g_key_file_to_data (kf, NULL, NULL);
  header = g_strdup_printf ("# Lab recipe '%s' with every default filled in%s%s\n",
                            r->name, r->path != NULL ? ", from " : "", r->path != NULL ? r->path : "");
  return g_strconcat (header, body, NULL);
}
