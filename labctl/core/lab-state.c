/* lab-state.c: what labctl created, persisted as JSON (atomically). */
#include "config.h"

#include "lab-state.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-json.h"

#define STATE_FILE_NAME   "state.json"
#define SECRETS_FILE_NAME "secrets.json"
/* root's labs: readable (not their secrets) by this group */
#define SHARED_GROUP      "libvirt"
#define SYSTEM_STATE_ROOT "/var/lib/labctl"

struct _LabState
{
  char       *dir;          /* NULL when in memory */
  char       *path;
  char       *secrets_path;
  gboolean    secrets_unreadable;  /* secrets.json is there, but not for us */
  char       *lab_name;
  char       *recipe_hash;
  JsonObject *steps;
  JsonObject *resources;
  JsonObject *secrets;
};

char *
lab_state_dir_for_lab (const char *lab_name)
{
  const char *env = g_getenv ("LABCTL_STATE_DIR");

  g_return_val_if_fail (lab_name != NULL, NULL);

  g_autofree char *own = NULL;
  g_autofree char *own_file = NULL;
  g_autofree char *system_file = NULL;

  if (env != NULL && *env != '\0')
    return g_build_filename (env, lab_name, NULL);
  if (getuid () == 0)
    return g_build_filename (SYSTEM_STATE_ROOT, lab_name, NULL);
  /* a user sees root's lab of that name when they have none of their own
   * (`sudo labctl up`, then `labctl status`) */
  own = g_build_filename (g_get_user_state_dir (), "labctl", lab_name, NULL);
  own_file = g_build_filename (own, STATE_FILE_NAME, NULL);
  system_file = g_build_filename (SYSTEM_STATE_ROOT, lab_name, STATE_FILE_NAME, NULL);
  if (!g_file_test (own_file, G_FILE_TEST_EXISTS) && g_file_test (system_file, G_FILE_TEST_EXISTS))
    return g_build_filename (SYSTEM_STATE_ROOT, lab_name, NULL);
  return g_steal_pointer (&own);
}

/* root's files go to SHARED_GROUP (when it exists), which may read what is
 * not secret */
static void
share_with_group (const char *path, int fd)
{
  struct group *g;

  if (geteuid () != 0 || (g = getgrnam (SHARED_GROUP)) == NULL)
    return;
  if (fd >= 0 ? fchown (fd, (uid_t) -1, g->gr_gid) : chown (path, (uid_t) -1, g->gr_gid))
    g_debug ("cannot give %s to group %s: %s", path, SHARED_GROUP, g_strerror (errno));
}

static void
set_dir_error (GError **error, const char *dir, int saved)
{
  g_set_error (error, LAB_ERROR, saved == EACCES || saved == EPERM ? LAB_ERROR_PERMISSION : LAB_ERROR_STATE,
               _("Cannot create the state directory %s: %s"), dir, g_strerror (saved));
}

gboolean
lab_state_prepare_dir (const char *dir, GError **error)
{
  g_autofree char *parent = g_path_get_dirname (dir);
  struct stat st;

  if (g_mkdir_with_parents (parent, 0755) != 0)
    {
      set_dir_error (error, parent, errno);
      return FALSE;
    }
  /* others must get through to the labs (an earlier labctl made it 0700) */
  if (stat (parent, &st) == 0 && st.st_uid == geteuid () && (st.st_mode & 0755) != 0755)
    g_chmod (parent, (st.st_mode | 0755) & 07777);
  if (g_mkdir (dir, 0750) != 0 && errno != EEXIST)
    {
      set_dir_error (error, dir, errno);
      return FALSE;
    }
  if (stat (dir, &st) == 0 && st.st_uid == geteuid ())
    {
      if ((st.st_mode & 07777) != 0750)
        g_chmod (dir, 0750);
      share_with_group (dir, -1);
    }
  return TRUE;
}

static LabState *
state_new (const char *dir, const char *lab_name)
{
  LabState *self = g_new0 (LabState, 1);

  if (dir != NULL)
    {
      self->dir = g_strdup (dir);
      self->path = g_build_filename (dir, STATE_FILE_NAME, NULL);
      self->secrets_path = g_build_filename (dir, SECRETS_FILE_NAME, NULL);
    }
  self->lab_name = g_strdup (lab_name);
  self->steps = json_object_new ();
  self->resources = json_object_new ();
  self->secrets = json_object_new ();
  return self;
}

LabState *
lab_state_new_in_memory (const char *lab_name)
{
  g_return_val_if_fail (lab_name != NULL, NULL);
  return state_new (NULL, lab_name);
}

void
lab_state_free (LabState *self)
{
  if (self == NULL)
    return;
  g_free (self->dir);
  g_free (self->path);
  g_free (self->secrets_path);
  g_free (self->lab_name);
  g_free (self->recipe_hash);
  json_object_unref (self->steps);
  json_object_unref (self->resources);
  json_object_unref (self->secrets);
  g_free (self);
}

static void
set_corrupt_error (GError **error, const char *path, const char *why)
{
  g_set_error (error, LAB_ERROR, LAB_ERROR_STATE,
               _("The state file %s is not valid (%s); it was left untouched. "
                 "Move it away, or run `labctl down --force` to remove what labctl created "
                 "(found by its ownership marks)."),
               path, why);
}

/* Copies the members of an optional object member of root into dest.
 * FALSE when the member exists but is not an object. */
static gboolean
copy_object_member (JsonObject *root, const char *name, JsonObject *dest)
{
  JsonNode *node = json_object_get_member (root, name);
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, &key, &value))
    json_object_set_member (dest, key, json_node_copy (value));
  return TRUE;
}

/* secrets.json, when there and readable (root's lab read by a user: it
 * is not, and the state has no secrets then) */
static gboolean
load_secrets (LabState *self, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  if (!g_file_test (self->secrets_path, G_FILE_TEST_EXISTS))
    return TRUE;
  if (!json_parser_load_from_file (parser, self->secrets_path, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_ACCES)
          || g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_PERM))
        {
          self->secrets_unreadable = TRUE;
          return TRUE;
        }
      set_corrupt_error (error, self->secrets_path, local_error->message);
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)
      || !copy_object_member (json_node_get_object (root), "secrets", self->secrets))
    {
      set_corrupt_error (error, self->secrets_path, _("\"secrets\" must be an object"));
      return FALSE;
    }
  return TRUE;
}

LabState *
lab_state_load (const char *dir, const char *lab_name, GError **error)
{
  g_autoptr(LabState) self = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *root_node;
  JsonObject *root;
  JsonNode *node;
  gint64 format;
  const char *file_lab;

  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (lab_name != NULL, NULL);

  self = state_new (dir, lab_name);
  if (!g_file_test (self->path, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&self);

  parser = json_parser_new ();
  if (!json_parser_load_from_file (parser, self->path, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_ACCES) ||
          g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_PERM))
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_PERMISSION,
                       _("Cannot read the state file %s: %s. Run labctl as the user who built the lab (sudo for a system lab)."),
                       self->path, local_error->message);
          return NULL;
        }
      if (local_error->domain == G_FILE_ERROR)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_STATE,
                       _("Cannot read the state file %s: %s"), self->path, local_error->message);
          return NULL;
        }
      {
        /* json-glib says "<file>:<line>:<col>: Parse error: ..."; keep "line:col: ..." */
        const char *why = local_error->message;

        if (g_str_has_prefix (why, self->path) && why[strlen (self->path)] == ':')
          why += strlen (self->path) + 1;
        g_set_error (error, LAB_ERROR, LAB_ERROR_STATE,
                     _("The state file %s is not valid JSON (%s); it was left untouched. "
                       "Move it away, or run `labctl down --force` to remove what labctl created "
                       "(found by its ownership marks)."),
                     self->path, why);
      }
      return NULL;
    }

  root_node = json_parser_get_root (parser);
  if (root_node == NULL || !JSON_NODE_HOLDS_OBJECT (root_node))
    {
      set_corrupt_error (error, self->path, _("the document is not a JSON object"));
      return NULL;
    }
  root = json_node_get_object (root_node);

  node = json_object_get_member (root, "format");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    {
      set_corrupt_error (error, self->path, _("no integer \"format\" member"));
      return NULL;
    }
  format = json_node_get_int (node);
  if (format > LAB_STATE_FORMAT)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_STATE,
                   _("The state file %s was written by a newer labctl (format %lld, "
                     "this labctl reads up to %d); it was left untouched. Use the newer labctl."),
                   self->path, (long long) format, LAB_STATE_FORMAT);
      return NULL;
    }
  if (format < 1)
    {
      set_corrupt_error (error, self->path, _("unknown format number"));
      return NULL;
    }

  node = json_object_get_member (root, "lab");
  file_lab = node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
             json_node_get_value_type (node) == G_TYPE_STRING ? json_node_get_string (node) : NULL;
  if (file_lab == NULL)
    {
      set_corrupt_error (error, self->path, _("no \"lab\" member"));
      return NULL;
    }
  if (g_strcmp0 (file_lab, lab_name) != 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_STATE,
                   _("The state file %s belongs to the lab '%s', not '%s'; it was left untouched. "
                     "Use the recipe of lab '%s', or set LABCTL_STATE_DIR to another directory."),
                   self->path, file_lab, lab_name, file_lab);
      return NULL;
    }

  node = json_object_get_member (root, "recipe_hash");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING)
    self->recipe_hash = g_strdup (json_node_get_string (node));

  /* "secrets" here: a state file from before secrets.json (the next save
   * moves them there) */
  if (!copy_object_member (root, "steps", self->steps) ||
      !copy_object_member (root, "resources", self->resources) ||
      !copy_object_member (root, "secrets", self->secrets))
    {
      set_corrupt_error (error, self->path, _("\"steps\", \"resources\" and \"secrets\" must be objects"));
      return NULL;
    }
  if (!load_secrets (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

/* secrets.json: { "format": 1, "lab": "...", "secrets": { ... } } */
static JsonNode *
build_secrets_document (LabState *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_builder_begin_object (builder);
  lab_json_member_int (builder, "format", LAB_STATE_FORMAT);
  lab_json_member_string (builder, "lab", self->lab_name);
  json_node_set_object (node, self->secrets);
  json_builder_set_member_name (builder, "secrets");
  json_builder_add_value (builder, json_node_copy (node));
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* state.json: everything but the secrets */
static JsonNode *
build_document (LabState *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  JsonNode *node;

  json_builder_begin_object (builder);
  lab_json_member_int (builder, "format", LAB_STATE_FORMAT);
  lab_json_member_string (builder, "lab", self->lab_name);
  if (self->recipe_hash != NULL)
    {
      lab_json_member_string (builder, "recipe_hash", self->recipe_hash);
    }

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, self->steps);
  json_builder_set_member_name (builder, "steps");
  json_builder_add_value (builder, json_node_copy (node));
  json_node_set_object (node, self->resources);
  json_builder_set_member_name (builder, "resources");
  json_builder_add_value (builder, json_node_copy (node));
  json_node_unref (node);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static gboolean
write_all (int fd, const char *data, gsize len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

static gboolean
fsync_dir (const char *dir, GError **error)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0 || fsync (fd) != 0)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, LAB_ERROR, LAB_ERROR_STATE,
                   _("Cannot sync the state directory %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

/* Writes doc to path atomically (temp file, fsync, rename, fsync of the
 * directory) with mode; shared: root's file goes to SHARED_GROUP. */
static gboolean
write_atomically (LabState *self, const char *path, JsonNode *doc, int mode, gboolean shared, GError **error)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *data = NULL;
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmp_name = g_strdup_printf (".%s.XXXXXX", base);
  g_autofree char *tmp_path = g_build_filename (self->dir, tmp_name, NULL);
  gsize len = 0;
  int fd;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, doc);
  data = json_generator_to_data (generator, &len);

  fd = g_mkstemp_full (tmp_path, O_RDWR | O_CLOEXEC, mode);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, LAB_ERROR, saved == EACCES ? LAB_ERROR_PERMISSION : LAB_ERROR_STATE,
                   _("Cannot write the state file in %s: %s"), self->dir, g_strerror (saved));
      return FALSE;
    }
  /* the umask may have taken bits of mode */
  if (fchmod (fd, mode) != 0)
    g_debug ("cannot set the mode of %s: %s", tmp_path, g_strerror (errno));
  if (shared)
    share_with_group (tmp_path, fd);
  if (!write_all (fd, data, len) || !write_all (fd, "\n", 1) || fsync (fd) != 0)
    {
      int saved = errno;
      close (fd);
      g_unlink (tmp_path);
      g_set_error (error, LAB_ERROR, saved == ENOSPC ? LAB_ERROR_NO_SPACE : LAB_ERROR_STATE,
                   _("Cannot write the state file %s: %s; the previous state was kept"),
                   tmp_path, g_strerror (saved));
      return FALSE;
    }
  close (fd);

  /* Test hook: a crash between writing the new state and publishing it. */
  if (g_strcmp0 (g_getenv ("LABCTL_STATE_CRASH_BEFORE_RENAME"), "1") == 0)
    _exit (99);

  if (g_rename (tmp_path, path) != 0)
    {
      int saved = errno;
      g_unlink (tmp_path);
      g_set_error (error, LAB_ERROR, LAB_ERROR_STATE,
                   _("Cannot replace the state file %s: %s; the previous state was kept"),
                   path, g_strerror (saved));
      return FALSE;
    }
  return fsync_dir (self->dir, error);
}

gboolean
lab_state_save (LabState *self, GError **error)
{
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  if (self->path == NULL)
    return TRUE;
  if (!lab_state_prepare_dir (self->dir, error))
    return FALSE;
  /* the secrets first: a crash in between leaves new secrets and the old
   * state, never a state whose secrets are lost */
  if (self->secrets_unreadable)
    g_debug ("%s is not readable: kept as it is", self->secrets_path);
  else if (json_object_get_size (self->secrets) > 0 || g_file_test (self->secrets_path, G_FILE_TEST_EXISTS))
    {
      g_autoptr(JsonNode) secrets = build_secrets_document (self);

      if (!write_atomically (self, self->secrets_path, secrets, 0600, FALSE, error))
        return FALSE;
    }
  root = build_document (self);
  return write_atomically (self, self->path, root, 0640, TRUE, error);
}

gboolean
lab_state_delete (LabState *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->path == NULL)
    return TRUE;
  if (g_unlink (self->secrets_path) != 0 && errno != ENOENT)
    {
      int saved = errno;
      g_set_error (error, LAB_ERROR, LAB_ERROR_STATE,
                   _("Cannot remove the state file %s: %s"), self->secrets_path, g_strerror (saved));
      return FALSE;
    }
  if (g_unlink (self->path) != 0 && errno != ENOENT)
    {
      int saved = errno;
      g_set_error (error, LAB_ERROR, LAB_ERROR_STATE,
                   _("Cannot remove the state file %s: %s"), self->path, g_strerror (saved));
      return FALSE;
    }
  if (g_file_test (self->dir, G_FILE_TEST_IS_DIR))
    return fsync_dir (self->dir, error);
  return TRUE;
}

const char *
lab_state_get_path (LabState *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->path;
}

const char *
lab_state_get_dir (LabState *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->dir;
}

const char *
lab_state_get_lab_name (LabState *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->lab_name;
}

gboolean
lab_state_is_empty (LabState *self)
{
  g_return_val_if_fail (self != NULL, TRUE);
  return json_object_get_size (self->steps) == 0 &&
         json_object_get_size (self->resources) == 0;
}

/* ---- steps ------------------------------------------------------------- */

LabStepState
lab_state_get_step (LabState *self, const char *step_id)
{
  JsonObject *step;
  const char *status;

  g_return_val_if_fail (self != NULL, LAB_STEP_STATE_NONE);
  g_return_val_if_fail (step_id != NULL, LAB_STEP_STATE_NONE);

  if (!json_object_has_member (self->steps, step_id))
    return LAB_STEP_STATE_NONE;
  step = json_object_get_object_member (self->steps, step_id);
  if (step == NULL)
    return LAB_STEP_STATE_NONE;
  status = json_object_get_string_member_with_default (step, "status", "");
  if (g_str_equal (status, "done"))
    return LAB_STEP_STATE_DONE;
  if (g_str_equal (status, "started"))
    return LAB_STEP_STATE_STARTED;
  return LAB_STEP_STATE_NONE;
}

void
lab_state_set_step (LabState *self, const char *step_id, LabStepState state, double seconds)
{
  JsonObject *step;

  g_return_if_fail (self != NULL);
  g_return_if_fail (step_id != NULL);

  if (state == LAB_STEP_STATE_NONE)
    {
      json_object_remove_member (self->steps, step_id);
      return;
    }
  step = json_object_new ();
  json_object_set_string_member (step, "status", state == LAB_STEP_STATE_DONE ? "done" : "started");
  json_object_set_int_member (step, "updated", g_get_real_time () / G_USEC_PER_SEC);
  json_object_set_double_member (step, "seconds", seconds);
  json_object_set_object_member (self->steps, step_id, step);
}

double
lab_state_get_step_seconds (LabState *self, const char *step_id)
{
  JsonObject *step;
  JsonNode *node;

  g_return_val_if_fail (self != NULL, 0.0);

  if (!json_object_has_member (self->steps, step_id))
    return 0.0;
  step = json_object_get_object_member (self->steps, step_id);
  if (step == NULL)
    return 0.0;
  node = json_object_get_member (step, "seconds");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0.0;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return (double) json_node_get_int (node);
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return json_node_get_double (node);
  return 0.0;
}

/* ---- resources --------------------------------------------------------- */

static JsonNode *
get_value (JsonObject *object, const char *key, GType type)
{
  JsonNode *node = json_object_get_member (object, key);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    return NULL;
  return node;
}

void
lab_state_set_string (LabState *self, const char *key, const char *value)
{
  g_return_if_fail (self != NULL && key != NULL);
  if (value == NULL)
    json_object_remove_member (self->resources, key);
  else
    json_object_set_string_member (self->resources, key, value);
}

const char *
lab_state_get_string (LabState *self, const char *key)
{
  JsonNode *node;

  g_return_val_if_fail (self != NULL && key != NULL, NULL);
  node = get_value (self->resources, key, G_TYPE_STRING);
  return node != NULL ? json_node_get_string (node) : NULL;
}

void
lab_state_set_int (LabState *self, const char *key, gint64 value)
{
  g_return_if_fail (self != NULL && key != NULL);
  json_object_set_int_member (self->resources, key, value);
}

gint64
lab_state_get_int (LabState *self, const char *key, gint64 fallback)
{
  JsonNode *node;

  g_return_val_if_fail (self != NULL && key != NULL, fallback);
  node = get_value (self->resources, key, G_TYPE_INT64);
  return node != NULL ? json_node_get_int (node) : fallback;
}

void
lab_state_set_bool (LabState *self, const char *key, gboolean value)
{
  g_return_if_fail (self != NULL && key != NULL);
  json_object_set_boolean_member (self->resources, key, value);
}

gboolean
lab_state_get_bool (LabState *self, const char *key, gboolean fallback)
{
  JsonNode *node;

  g_return_val_if_fail (self != NULL && key != NULL, fallback);
  node = get_value (self->resources, key, G_TYPE_BOOLEAN);
  return node != NULL ? json_node_get_boolean (node) : fallback;
}

gboolean
lab_state_has (LabState *self, const char *key)
{
  g_return_val_if_fail (self != NULL && key != NULL, FALSE);
  return json_object_has_member (self->resources, key);
}

void
lab_state_remove (LabState *self, const char *key)
{
  g_return_if_fail (self != NULL && key != NULL);
  json_object_remove_member (self->resources, key);
}

static int
compare_keys (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static char **
keys_with_prefix (JsonObject *object, const char *prefix)
{
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &key, &value))
    if (prefix == NULL || g_str_has_prefix (key, prefix))
      g_ptr_array_add (keys, g_strdup (key));
  g_ptr_array_sort (keys, compare_keys);
  g_ptr_array_add (keys, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&keys), FALSE);
}

void
lab_state_remove_prefix (LabState *self, const char *prefix)
{
  g_auto(GStrv) keys = NULL;

  g_return_if_fail (self != NULL && prefix != NULL);
  keys = keys_with_prefix (self->resources, prefix);
  for (guint i = 0; keys[i] != NULL; i++)
    json_object_remove_member (self->resources, keys[i]);
}

char **
lab_state_list_keys (LabState *self, const char *prefix)
{
  g_return_val_if_fail (self != NULL, NULL);
  return keys_with_prefix (self->resources, prefix);
}

void
lab_state_set_secret (LabState *self, const char *key, const char *value)
{
  g_return_if_fail (self != NULL && key != NULL);
  if (value == NULL)
    json_object_remove_member (self->secrets, key);
  else
    json_object_set_string_member (self->secrets, key, value);
}

const char *
lab_state_get_secret (LabState *self, const char *key)
{
  JsonNode *node;

  g_return_val_if_fail (self != NULL && key != NULL, NULL);
  node = get_value (self->secrets, key, G_TYPE_STRING);
  return node != NULL ? json_node_get_string (node) : NULL;
}

void
lab_state_set_recipe_hash (LabState *self, const char *hash)
{
  g_return_if_fail (self != NULL);
  g_free (self->recipe_hash);
  self->recipe_hash = g_strdup (hash);
}

const char *
lab_state_get_recipe_hash (LabState *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->recipe_hash;
}

JsonNode *
lab_state_to_json_public (LabState *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return build_document (self);
}
