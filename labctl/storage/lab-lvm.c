/* lab-lvm.c: pvcreate/vgcreate/lvcreate ... with JSON reports. */
#include "config.h"

#include "lab-lvm.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-util.h"

char *
lab_lvm_tag (const char *lab_name)
{
  return g_strdup_printf ("labctl:%s", lab_name);
}

gboolean
lab_lvm_has_tag (GStrv tags, const char *tag)
{
  return tags != NULL && g_strv_contains ((const char * const *) tags, tag);
}

/* ---- report parsing -------------------------------------------------- */

static void
pv_free (gpointer p)
{
  LabLvmPv *pv = p;
  g_free (pv->name);
  g_free (pv->vg_name);
  g_strfreev (pv->tags);
  g_free (pv);
}

static void
vg_free (gpointer p)
{
  LabLvmVg *vg = p;
  g_free (vg->name);
  g_strfreev (vg->tags);
  g_free (vg);
}

static void
lv_free (gpointer p)
{
  LabLvmLv *lv = p;
  g_free (lv->name);
  g_free (lv->vg_name);
  g_strfreev (lv->tags);
  g_strfreev (lv->vg_tags);
  g_free (lv);
}

static void
set_report_error (GError **error, const char *kind, const char *what)
{
  g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
               _("LVM's JSON report is not what labctl reads: %s (report[0].%s); "
                 "is lvm2 >= 2.02.158 installed?"), what, kind);
}

/* report[0].<kind> as an array of objects; NULL without an error when the
 * report has no such rows. Every node is checked for its type before it
 * is read: the report is another program's output. */
static JsonArray *
report_rows (JsonParser *parser, const char *json, const char *kind, GError **error)
{
  JsonNode *root;
  JsonNode *node;
  JsonObject *obj;
  JsonArray *report;
  JsonObject *first;
  JsonArray *rows;

  if (!json_parser_load_from_data (parser, json != NULL ? json : "", -1, error))
    {
      g_prefix_error (error, _("LVM's JSON report could not be parsed: "));
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)
      || (obj = json_node_get_object (root)) == NULL
      || (node = json_object_get_member (obj, "report")) == NULL
      || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                   _("LVM's JSON report has no \"report\" array; is lvm2 >= 2.02.158 installed?"));
      return NULL;
    }
  report = json_node_get_array (node);
  if (json_array_get_length (report) == 0)
    return NULL;
  node = json_array_get_element (report, 0);
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      set_report_error (error, kind, _("the first report is not an object"));
      return NULL;
    }
  first = json_node_get_object (node);
  if ((node = json_object_get_member (first, kind)) == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      set_report_error (error, kind, _("the rows are not an array"));
      return NULL;
    }
  rows = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    if (!JSON_NODE_HOLDS_OBJECT (json_array_get_element (rows, i)))
      {
        set_report_error (error, kind, _("a row is not an object"));
        return NULL;
      }
  return rows;
}

/* A field's text; "" when it is missing or not a string (LVM reports
 * every field as a string). */
static const char *
str_member (JsonObject *o, const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return "";
  return json_node_get_string (node);
}

static guint64
u64_member (JsonObject *o, const char *name)
{
  return g_ascii_strtoull (str_member (o, name), NULL, 10);
}

static GStrv
tags_member (JsonObject *o, const char *name)
{
  const char *s = str_member (o, name);
  g_auto(GStrv) parts = g_strsplit (s, ",", -1);
  GPtrArray *a = g_ptr_array_new ();

  for (guint i = 0; parts[i] != NULL; i++)
    if (*g_strstrip (parts[i]) != '\0')
      g_ptr_array_add (a, g_strdup (parts[i]));
  g_ptr_array_add (a, NULL);
  return (GStrv) g_ptr_array_free (a, FALSE);
}

static gpointer
pv_from_row (JsonObject *o)
{
  LabLvmPv *pv = g_new0 (LabLvmPv, 1);

  pv->name = g_strdup (str_member (o, "pv_name"));
  pv->vg_name = g_strdup (str_member (o, "vg_name"));
  pv->size = u64_member (o, "pv_size");
  pv->free = u64_member (o, "pv_free");
  pv->tags = tags_member (o, "pv_tags");
  return pv;
}

static gpointer
vg_from_row (JsonObject *o)
{
  LabLvmVg *vg = g_new0 (LabLvmVg, 1);

  vg->name = g_strdup (str_member (o, "vg_name"));
  vg->size = u64_member (o, "vg_size");
  vg->free = u64_member (o, "vg_free");
  vg->extent_size = u64_member (o, "vg_extent_size");
  vg->pv_count = u64_member (o, "pv_count");
  vg->lv_count = u64_member (o, "lv_count");
  vg->tags = tags_member (o, "vg_tags");
  return vg;
}

static gpointer
lv_from_row (JsonObject *o)
{
  LabLvmLv *lv = g_new0 (LabLvmLv, 1);

  lv->name = g_strdup (str_member (o, "lv_name"));
  lv->vg_name = g_strdup (str_member (o, "vg_name"));
  lv->size = u64_member (o, "lv_size");
  lv->tags = tags_member (o, "lv_tags");
  lv->vg_tags = tags_member (o, "vg_tags");
  lv->pv_count = u64_member (o, "pv_count");
  return lv;
}

/* The rows of report[0].<kind>, each made by from_row: the three reports
 * differ only in their kind and fields. */
static GPtrArray *
parse_report (const char *json, const char *kind, gpointer (*from_row) (JsonObject *),
              GDestroyNotify free_row, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (free_row);
  g_autoptr(GError) local_error = NULL;
  JsonArray *rows = report_rows (parser, json, kind, &local_error);

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  for (guint i = 0; rows != NULL && i < json_array_get_length (rows); i++)
    g_ptr_array_add (out, from_row (json_array_get_object_element (rows, i)));
  return g_steal_pointer (&out);
}

GPtrArray *
lab_lvm_parse_pvs (const char *json, GError **error)
{
  return parse_report (json, "pv", pv_from_row, pv_free, error);
}

GPtrArray *
lab_lvm_parse_vgs (const char *json, GError **error)
{
  return parse_report (json, "vg", vg_from_row, vg_free, error);
}

GPtrArray *
lab_lvm_parse_lvs (const char *json, GError **error)
{
  return parse_report (json, "lv", lv_from_row, lv_free, error);
}

LabLvmVg *
lab_lvm_find_vg (GPtrArray *vgs, const char *name)
{
  for (guint i = 0; vgs != NULL && i < vgs->len; i++)
    if (g_str_equal (((LabLvmVg *) g_ptr_array_index (vgs, i))->name, name))
      return g_ptr_array_index (vgs, i);
  return NULL;
}

LabLvmLv *
lab_lvm_find_lv (GPtrArray *lvs, const char *name)
{
  for (guint i = 0; lvs != NULL && i < lvs->len; i++)
    if (g_str_equal (((LabLvmLv *) g_ptr_array_index (lvs, i))->name, name))
      return g_ptr_array_index (lvs, i);
  return NULL;
}

/* ---- the host's local devices ----------------------------------------- */

/* Mountpoints of FUSE file systems, from sysroot's /proc/mounts. */
static GPtrArray *
fuse_mountpoints (const char *sysroot)
{
  g_autofree char *path = g_build_filename (sysroot, "proc", "mounts", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *mounts = g_ptr_array_new_with_free_func (g_free);

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return mounts;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) f = g_strsplit (lines[i], " ", 4);

      if (g_strv_length (f) >= 3 && g_str_has_prefix (f[2], "fuse"))
        g_ptr_array_add (mounts, g_strcompress (f[1]));  /* \040 for a space */
    }
  return mounts;
}

static gboolean
path_is_under (const char *path, const char *dir)
{
  gsize n = strlen (dir);

  if (g_str_equal (dir, "/"))
    return TRUE;
  return strncmp (path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

char *
lab_lvm_host_devices (const char *sysroot, const char * const *exclude)
{
  static const char * const skipped[] = { "dm-", "sr", "zram", "nbd", "rbd", "ram", "fd", "md-", NULL };
  g_autofree char *class_dir = g_build_filename (sysroot != NULL ? sysroot : "/", "sys", "class", "block", NULL);
  g_autoptr(GDir) dir = g_dir_open (class_dir, 0, NULL);
  g_autoptr(GPtrArray) fuse = fuse_mountpoints (sysroot != NULL ? sysroot : "/");
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *entry = g_build_filename (class_dir, name, NULL);
      g_autofree char *target = g_file_read_link (entry, NULL);
      g_autofree char *dev = g_strconcat ("/dev/", name, NULL);
      gboolean skip = FALSE;

      for (guint i = 0; skipped[i] != NULL && !skip; i++)
        skip = g_str_has_prefix (name, skipped[i]);
      /* an iSCSI disk sits under its session in sysfs */
      if (skip || target == NULL || strstr (target, "/session") != NULL)
        continue;
      if (g_str_has_prefix (name, "loop"))
        {
          g_autofree char *bf_path = g_build_filename (entry, "loop", "backing_file", NULL);
          g_autofree char *backing = NULL;

          if (!g_file_get_contents (bf_path, &backing, NULL, NULL))
            continue;  /* not attached */
          g_strchomp (backing);
          for (guint i = 0; i < fuse->len && !skip; i++)
            skip = path_is_under (backing, g_ptr_array_index (fuse, i));
          if (skip || *backing == '\0')
            continue;
        }
      else if (strstr (target, "/virtual/") != NULL && !g_str_has_prefix (name, "md"))
        continue;  /* other virtual devices: none holds a host's PV */
      if (exclude != NULL && g_strv_contains (exclude, dev))
        continue;
      g_ptr_array_add (found, g_steal_pointer (&dev));
    }
  if (found->len == 0)
    return NULL;
  g_ptr_array_sort (found, compare_names);
  g_ptr_array_add (found, NULL);
  return g_strjoinv (",", (char **) found->pdata);
}

/* ---- argv ------------------------------------------------------------ */

static char **
lvm_argv (const char *cmd, const char *device, const char *first, ...)
{
  GPtrArray *a = g_ptr_array_new ();
  va_list ap;

  g_ptr_array_add (a, g_strdup (cmd));
  if (device != NULL)
    lab_strv_add (a, "--devices", device, NULL);
  va_start (ap, first);
  lab_strv_add_valist (a, first, ap);
  va_end (ap);
  return lab_lines_steal (a);
}

#define REPORT_ARGS "--reportformat", "json", "--units", "b", "--nosuffix"

char **
lab_lvm_argv_pvs (const char *device)
{
  return lvm_argv ("pvs", device, REPORT_ARGS, "-o", "pv_name,vg_name,pv_size,pv_free,pv_tags",
                   device, NULL);
}

char **
lab_lvm_argv_vgs (const char *device, const char *vg)
{
  return lvm_argv ("vgs", device, REPORT_ARGS,
                   "-o", "vg_name,vg_size,vg_free,vg_tags,pv_count,lv_count,vg_extent_size",
                   vg, NULL);
}

char **
lab_lvm_argv_lvs (const char *device, const char *vg)
{
  return lvm_argv ("lvs", device, REPORT_ARGS, "-o", "lv_name,vg_name,lv_size,lv_tags,vg_tags,pv_count", vg, NULL);
}

char **
lab_lvm_argv_pvcreate (const char *device)
{
  return lvm_argv ("pvcreate", device, device, NULL);
}

char **
lab_lvm_argv_pvchange_addtag (const char *device, const char *tag)
{
  return lvm_argv ("pvchange", device, "--addtag", tag, device, NULL);
}

char **
lab_lvm_argv_pvremove (const char *device)
{
  return lvm_argv ("pvremove", device, "-y", device, NULL);
}

char **
lab_lvm_argv_vgcreate (const char *device, const char *vg, const char *tag)
{
  return lvm_argv ("vgcreate", device, "--addtag", tag, vg, device, NULL);
}

char **
lab_lvm_argv_vgremove (const char *device, const char *vg)
{
  return lvm_argv ("vgremove", device, "-y", vg, NULL);
}

char **
lab_lvm_argv_lvcreate (const char *device, const char *vg, const char *lv, guint64 bytes,
                       const char *tag)
{
  g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT "b", bytes);
  /* -Wy -Zy: wipe old signatures in the new LV (a no-op without activation) */
  return lvm_argv ("lvcreate", device, "-y", "-L", size, "-n", lv, "--addtag", tag, vg, NULL);
}

char **
lab_lvm_argv_lvremove (const char *device, const char *vg, const char *lv)
{
  g_autofree char *full = g_strdup_printf ("%s/%s", vg, lv);
  return lvm_argv ("lvremove", device, "-y", full, NULL);
}

char **
lab_lvm_argv_blkid (const char *device)
{
  const char *argv[] = { "blkid", "-p", "-o", "export", device, NULL };

  return g_strdupv ((char **) argv);
}

/* ---- running --------------------------------------------------------- */

/* LVM's stderr without its activation warnings (they are expected here). */
static char *
lvm_message (const char *err_text)
{
  g_auto(GStrv) lines = g_strsplit (err_text != NULL ? err_text : "", "\n", -1);
  GString *s = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *l = g_strstrip (lines[i]);
      if (*l == '\0' || g_str_has_prefix (l, "WARNING: Activation disabled")
          || strstr (l, "compiled without activation support") != NULL
          || strstr (l, "not zeroed") != NULL)
        continue;
      if (s->len > 0)
        g_string_append (s, " / ");
      g_string_append (s, l);
    }
  return g_string_free (s, FALSE);
}

gboolean
lab_lvm_run (LabRunner *runner, const char * const *argv, GError **error)
{
  g_autofree char *err_text = NULL;
  g_autofree char *msg = NULL;
  g_autofree char *line = NULL;
  const char *hint = NULL;
  int status = 0;
  int code = LAB_ERROR_TOOL;

  if (!lab_runner_run_full (runner, argv, LAB_RUN_DEFAULT, NULL, 120000, &status,
                            NULL, &err_text, NULL, error))
    return FALSE;
  if (status == 0)
    return TRUE;
  msg = lvm_message (err_text);
  line = lab_runner_format_argv (runner, argv);
  if (strstr (msg, "already exists") != NULL)
    {
      code = LAB_ERROR_EXISTS;
      hint = _("the name is taken: choose another [storage] vg in the recipe, "
               "or remove the old volume group if it is yours");
    }
  else if (strstr (msg, "Insufficient free space") != NULL
           || strstr (msg, "insufficient free space") != NULL)
    {
      code = LAB_ERROR_NO_SPACE;
      hint = _("the volume group is too small for the node disks: raise [storage] size "
               "or lower [nodes] disk in the recipe");
    }
  else if (strstr (msg, "excluded by a filter") != NULL || strstr (msg, "not found") != NULL)
    hint = _("LVM cannot see the device: check it exists and is not in use");
  g_set_error (error, LAB_ERROR, code, _("%s failed (exit %d): %s%s%s"), line, status, msg,
               hint ? "; " : "", hint ? hint : "");
  return FALSE;
}

static char *
lvm_query (LabRunner *runner, char **argv, GError **error)
{
  g_autofree char *out = NULL;
  g_autofree char *err_text = NULL;
  int status = 0;

  if (!lab_runner_run_full (runner, (const char * const *) argv, LAB_RUN_QUERY | LAB_RUN_QUIET_OUTPUT,
                            NULL, 60000, &status, &out, &err_text, NULL, error))
    return NULL;
  /* exit 5 with a valid report: "Volume group ... not found" */
  if (status != 0 && (out == NULL || strstr (out, "\"report\"") == NULL))
    {
      g_autofree char *msg = lvm_message (err_text);
      g_autofree char *line = lab_runner_format_argv (runner, (const char * const *) argv);
      g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL, _("%s failed (exit %d): %s"), line, status, msg);
      return NULL;
    }
  if (out == NULL || *out == '\0')
    return g_strdup ("{\"report\":[{}]}");  /* dry-run / record mode without an answer */
  return g_steal_pointer (&out);
}

GPtrArray *
lab_lvm_pvs (LabRunner *runner, const char *device, GError **error)
{
  g_auto(GStrv) argv = lab_lvm_argv_pvs (device);
  g_autofree char *out = lvm_query (runner, argv, error);

  return out != NULL ? lab_lvm_parse_pvs (out, error) : NULL;
}

GPtrArray *
lab_lvm_vgs (LabRunner *runner, const char *device, const char *vg, GError **error)
{
  g_auto(GStrv) argv = lab_lvm_argv_vgs (device, vg);
  g_autofree char *out = lvm_query (runner, argv, error);

  return out != NULL ? lab_lvm_parse_vgs (out, error) : NULL;
}

GPtrArray *
lab_lvm_lvs (LabRunner *runner, const char *device, const char *vg, GError **error)
{
  g_auto(GStrv) argv = lab_lvm_argv_lvs (device, vg);
  g_autofree char *out = lvm_query (runner, argv, error);

  return out != NULL ? lab_lvm_parse_lvs (out, error) : NULL;
}

char *
lab_lvm_parse_blkid (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text != NULL ? text : "", "\n", -1);
  char *pttype = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *l = g_strstrip (lines[i]);
      if (g_str_has_prefix (l, "TYPE="))
        {
          g_free (pttype);
          return g_strdup (l + 5);
        }
      if (g_str_has_prefix (l, "PTTYPE=") && pttype == NULL)
        pttype = g_strdup (l + 7);
    }
  return pttype;
}

gboolean
lab_lvm_probe_signature (LabRunner *runner, const char *device, char **type, GError **error)
{
  g_auto(GStrv) argv = lab_lvm_argv_blkid (device);
  g_autofree char *out = NULL;
  g_autofree char *err_text = NULL;
  int status = 0;

  *type = NULL;
  if (!lab_runner_run_full (runner, (const char * const *) argv, LAB_RUN_QUERY, NULL, 30000,
                            &status, &out, &err_text, NULL, error))
    return FALSE;
  if (status == 2)   /* nothing found */
    return TRUE;
  if (status != 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                   _("blkid -p %s failed (exit %d): %s; is the device readable?"),
                   device, status, g_strstrip (err_text));
      return FALSE;
    }
  *type = lab_lvm_parse_blkid (out);
  return TRUE;
}

gboolean
lab_lvm_check_device (LabRunner *runner, const char *device, const char *tag,
                      gboolean pv_is_ours, gboolean *is_pv, GError **error)
{
  g_autofree char *type = NULL;
  g_autoptr(GPtrArray) pvs = NULL;
  LabLvmPv *pv = NULL;

  *is_pv = FALSE;
  if (!lab_lvm_probe_signature (runner, device, &type, error))
    return FALSE;
  if (type == NULL)
    return TRUE;
  if (!g_str_equal (type, "LVM2_member"))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                   _("%s already carries a signature of type %s (see wipefs -n %s): it is not the lab's "
                     "disk and labctl will not overwrite it; if its data is disposable, erase it "
                     "yourself (wipefs -a %s) and run labctl storage up again"),
                   device, type, device, device);
      return FALSE;
    }
  pvs = lab_lvm_pvs (runner, device, error);
  if (pvs == NULL)
    return FALSE;
  for (guint i = 0; i < pvs->len; i++)
    {
      LabLvmPv *p = g_ptr_array_index (pvs, i);
      if (g_str_equal (p->name, device))
        pv = p;
    }
  if (pv == NULL && pvs->len == 1)
    pv = g_ptr_array_index (pvs, 0);  /* device given by a symlink */
  if (pv != NULL && (lab_lvm_has_tag (pv->tags, tag) || (*pv->vg_name == '\0' && pv_is_ours)))
    {
      *is_pv = TRUE;
      return TRUE;
    }
  if (pv != NULL && *pv->vg_name != '\0')
    {
      /* a PV of a VG: ours only if the VG is tagged */
      g_autoptr(GPtrArray) vgs = lab_lvm_vgs (runner, device, pv->vg_name, error);
      if (vgs == NULL)
        return FALSE;
      if (vgs->len == 1 && lab_lvm_has_tag (((LabLvmVg *) g_ptr_array_index (vgs, 0))->tags, tag))
        {
          *is_pv = TRUE;
          return TRUE;
        }
      g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                   _("%s is a physical volume of the volume group \"%s\", which is not this lab's "
                     "(no LVM tag %s): labctl will not touch it; remove that VG yourself if it is "
                     "disposable"),
                   device, pv->vg_name, tag);
      return FALSE;
    }
  g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
               _("%s is an LVM physical volume labctl did not create: labctl will not touch it; "
                 "if it is disposable, run pvremove %s yourself"),
               device, device);
  return FALSE;
}
