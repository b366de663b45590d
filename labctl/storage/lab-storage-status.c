/* lab-storage-status.c: lab_storage_status() and
 * lab_storage_status_to_text(), every piece of the lab's storage as it is
 * now: the image (size, allocation, mark), the target as the lab's tgtd
 * lists it (LUN 1, ACL, CHAP users, sessions), the attached disk, and LVM
 * (PV, VG, LVs). Read-only: it records no state key, it reads
 * storage.tgtd.pid, storage.attach.method and storage.attach.device. */
#include "config.h"

#include "lab-storage-private.h"

#include <sys/stat.h>
#include <unistd.h>

#include "lab-i18n.h"
#include "lab-json.h"
#include "lab-lvm.h"
#include "lab-tgt.h"
#include "lab-util.h"

static void
set_error_member (JsonBuilder *b, GError *error)
{
  lab_json_member_string (b, "error", error->message);
}

static void
add_str_array (JsonBuilder *b, const char *name, GStrv values)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    json_builder_add_string_value (b, values[i]);
  json_builder_end_array (b);
}

JsonNode *
lab_storage_status (LabContext *ctx)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GError) error = NULL;
  Storage *s = storage_new (ctx, &error);
  struct stat st;
  const char *dev;
  gboolean running = FALSE;

  if (s == NULL)
    {
      json_builder_begin_object (b);
      set_error_member (b, error);
      json_builder_end_object (b);
      return json_builder_get_root (b);
    }
  lab_runner_setenv (ctx->runner, "LVM_SUPPRESS_FD_WARNINGS", "1");
  if (g_getenv ("LABCTL_LVM_SYSTEM_DIR") != NULL)
    lab_runner_setenv (ctx->runner, "LVM_SYSTEM_DIR", g_getenv ("LABCTL_LVM_SYSTEM_DIR"));

  json_builder_begin_object (b);
  lab_json_member_string (b, "lab", s->lab);

  /* image */
  json_builder_set_member_name (b, "image");
  json_builder_begin_object (b);
  lab_json_member_string (b, "path", s->image);
  lab_json_member_boolean (b, "exists", stat (s->image, &st) == 0);
  if (stat (s->image, &st) == 0)
    {
      lab_json_member_int (b, "size", st.st_size);
      lab_json_member_int (b, "allocated", (gint64) st.st_blocks * 512);
      lab_json_member_boolean (b, "labctl", storage_image_is_ours (ctx, s));
    }
  json_builder_end_object (b);

  /* target */
  json_builder_set_member_name (b, "target");
  json_builder_begin_object (b);
  lab_json_member_string (b, "iqn", s->iqn);
  lab_json_member_string (b, "portal", s->portal);
  lab_json_member_int (b, "control_port", s->control_port);
  if (!lab_tgt_ping (ctx->runner, s->control_port, &running, &error))
    set_error_member (b, error);
  else if (!running && geteuid () != 0)
    {
      lab_json_member_string (b, "error", _("tgtd cannot be asked without root: sudo labctl storage status"));
    }
  else
    {
      lab_json_member_boolean (b, "tgtd_running", running);
      if (lab_state_has (ctx->state, K_TGTD_PID))
        {
          lab_json_member_int (b, "tgtd_pid", lab_state_get_int (ctx->state, K_TGTD_PID, 0));
        }
      if (running)
        {
          g_autoptr(GPtrArray) targets = lab_tgt_show (ctx->runner, s->control_port, &error);
          LabTgtTarget *t = targets != NULL ? lab_tgt_find_by_iqn (targets, s->iqn) : NULL;

          if (targets == NULL)
            set_error_member (b, error);
          lab_json_member_boolean (b, "exists", t != NULL);
          if (t != NULL)
            {
              LabTgtLun *lun = lab_tgt_target_get_lun (t, 1);
              g_autoptr(GPtrArray) sessions = g_ptr_array_new_with_free_func (g_free);

              lab_json_member_int (b, "tid", t->tid);
              json_builder_set_member_name (b, "lun1");
              if (lun != NULL)
                {
                  json_builder_begin_object (b);
                  lab_json_member_string (b, "backing_path", lun->backing_path);
                  lab_json_member_int (b, "size_mb", lun->size_bytes / 1000000);
                  json_builder_end_object (b);
                }
              else
                json_builder_add_null_value (b);
              add_str_array (b, "acl", t->acl);
              add_str_array (b, "acl_names", t->acl_names);
              add_str_array (b, "chap_users", t->accounts);
              for (guint i = 0; i < t->nexus->len; i++)
                {
                  LabTgtNexus *n = g_ptr_array_index (t->nexus, i);
                  g_ptr_array_add (sessions, g_strdup_printf ("%s@%s", n->initiator ? n->initiator : "?",
                                                              n->address ? n->address : "?"));
                }
              g_ptr_array_add (sessions, NULL);
              add_str_array (b, "sessions", (GStrv) sessions->pdata);
            }
        }
    }
  g_clear_error (&error);
  json_builder_end_object (b);

  /* attach */
  json_builder_set_member_name (b, "attach");
  json_builder_begin_object (b);
  lab_json_member_string (b, "method", lab_state_get_string (ctx->state, K_ATTACH_METHOD));
  dev = lab_state_get_string (ctx->state, K_ATTACH_DEVICE);
  lab_json_member_string (b, "device", dev);
  lab_json_member_boolean (b, "present", storage_block_device_exists (dev));
  json_builder_end_object (b);

  /* LVM */
  json_builder_set_member_name (b, "lvm");
  json_builder_begin_object (b);
  lab_json_member_string (b, "vg", s->vg);
  if (storage_block_device_exists (dev))
    {
      g_autoptr(GPtrArray) pvs = lab_lvm_pvs (ctx->runner, dev, &error);
      g_autoptr(GPtrArray) vgs = pvs != NULL ? lab_lvm_vgs (ctx->runner, dev, s->vg, &error) : NULL;
      g_autoptr(GPtrArray) lvs = vgs != NULL ? lab_lvm_lvs (ctx->runner, dev, s->vg, &error) : NULL;
      LabLvmVg *vg = lab_lvm_find_vg (vgs, s->vg);

      if (error != NULL)
        set_error_member (b, error);
      lab_json_member_boolean (b, "pv", pvs != NULL && pvs->len > 0);
      lab_json_member_boolean (b, "vg_exists", vg != NULL);
      if (vg != NULL)
        {
          lab_json_member_int (b, "vg_size", vg->size);
          lab_json_member_int (b, "vg_free", vg->free);
          add_str_array (b, "vg_tags", vg->tags);
        }
      json_builder_set_member_name (b, "lvs");
      json_builder_begin_array (b);
      for (guint i = 0; lvs != NULL && i < lvs->len; i++)
        {
          LabLvmLv *lv = g_ptr_array_index (lvs, i);
          json_builder_begin_object (b);
          lab_json_member_string (b, "name", lv->name);
          lab_json_member_int (b, "size", lv->size);
          lab_json_member_boolean (b, "labctl", lab_lvm_has_tag (lv->tags, s->tag));
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  json_builder_end_object (b);

  json_builder_end_object (b);
  storage_unref (s);
  return json_builder_get_root (b);
}

static const char *
str_or (JsonObject *o, const char *name, const char *fallback)
{
  if (o == NULL || !json_object_has_member (o, name) || json_object_get_null_member (o, name))
    return fallback;
  return json_object_get_string_member_with_default (o, name, fallback);
}

static char *
joined_array (JsonObject *o, const char *name)
{
  GString *s = g_string_new (NULL);
  JsonArray *a = o != NULL && json_object_has_member (o, name) ? json_object_get_array_member (o, name) : NULL;

  for (guint i = 0; a != NULL && i < json_array_get_length (a); i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", json_array_get_string_element (a, i));
  if (s->len == 0)
    g_string_append (s, "-");
  return g_string_free (s, FALSE);
}

char *
lab_storage_status_to_text (JsonNode *status)
{
  JsonObject *root = json_node_get_object (status);
  JsonObject *img = json_object_get_object_member (root, "image");
  JsonObject *tgt = json_object_get_object_member (root, "target");
  JsonObject *att = json_object_get_object_member (root, "attach");
  JsonObject *lvm = json_object_get_object_member (root, "lvm");
  GString *out = g_string_new (NULL);

  if (json_object_has_member (root, "error"))
    {
      g_string_append_printf (out, "%s\n", str_or (root, "error", ""));
      return g_string_free (out, FALSE);
    }
  if (json_object_get_boolean_member_with_default (img, "exists", FALSE))
    {
      g_autofree char *size = lab_format_size (json_object_get_int_member (img, "size"));
      g_autofree char *alloc = lab_format_size (json_object_get_int_member (img, "allocated"));
      g_string_append_printf (out, _("Image:    %s, %s (%s allocated)%s\n"), str_or (img, "path", ""),
                              size, alloc,
                              json_object_get_boolean_member_with_default (img, "labctl", FALSE)
                                ? "" : _(" [not labctl's]"));
    }
  else
    g_string_append_printf (out, _("Image:    %s (absent)\n"), str_or (img, "path", ""));

  if (json_object_has_member (tgt, "error"))
    g_string_append_printf (out, _("Target:   %s: %s\n"), str_or (tgt, "iqn", ""), str_or (tgt, "error", ""));
  else if (!json_object_get_boolean_member_with_default (tgt, "tgtd_running", FALSE))
    g_string_append_printf (out, _("Target:   %s (tgtd not running on control port %d)\n"),
                            str_or (tgt, "iqn", ""), (int) json_object_get_int_member (tgt, "control_port"));
  else if (!json_object_get_boolean_member_with_default (tgt, "exists", FALSE))
    g_string_append_printf (out, _("Target:   %s (absent)\n"), str_or (tgt, "iqn", ""));
  else
    {
      g_autofree char *addresses = joined_array (tgt, "acl");
      g_autofree char *names = joined_array (tgt, "acl_names");
      /* one line: the addresses and the initiator names the target admits */
      g_autofree char *acl = g_str_equal (names, "-") ? g_strdup (addresses)
                             : g_str_equal (addresses, "-") ? g_strdup (names)
                             : g_strconcat (addresses, ", ", names, NULL);
      g_autofree char *sessions = joined_array (tgt, "sessions");
      g_autofree char *chap = joined_array (tgt, "chap_users");
      JsonObject *lun = json_object_get_null_member (tgt, "lun1") ? NULL : json_object_get_object_member (tgt, "lun1");

      g_string_append_printf (out, _("Target:   %s, tid %d, portal %s\n"), str_or (tgt, "iqn", ""),
                              (int) json_object_get_int_member (tgt, "tid"), str_or (tgt, "portal", ""));
      g_string_append_printf (out, _("LUN 1:    %s\n"), lun ? str_or (lun, "backing_path", "?") : _("absent"));
      g_string_append_printf (out, _("ACL:      %s\n"), acl);
      g_string_append_printf (out, _("CHAP:     %s\n"), chap);
      g_string_append_printf (out, _("Sessions: %s\n"), sessions);
    }
  g_string_append_printf (out, _("Disk:     %s%s\n"), str_or (att, "device", _("not attached")),
                          str_or (att, "method", NULL) != NULL && json_object_get_boolean_member_with_default (att, "present", FALSE)
                            ? "" : _(" (absent)"));
  if (json_object_has_member (lvm, "error"))
    g_string_append_printf (out, _("LVM:      %s\n"), str_or (lvm, "error", ""));
  if (json_object_get_boolean_member_with_default (lvm, "vg_exists", FALSE))
    {
      g_autofree char *size = lab_format_size (json_object_get_int_member (lvm, "vg_size"));
      g_autofree char *free_s = lab_format_size (json_object_get_int_member (lvm, "vg_free"));
      JsonArray *lvs = json_object_get_array_member (lvm, "lvs");

      g_string_append_printf (out, _("VG:       %s, %s, %s free\n"), str_or (lvm, "vg", ""), size, free_s);
      for (guint i = 0; lvs != NULL && i < json_array_get_length (lvs); i++)
        {
          JsonObject *lv = json_array_get_object_element (lvs, i);
          g_autofree char *lsize = lab_format_size (json_object_get_int_member (lv, "size"));
          g_string_append_printf (out, _("LV:       %s, %s%s\n"), str_or (lv, "name", ""), lsize,
                                  json_object_get_boolean_member_with_default (lv, "labctl", FALSE)
                                    ? "" : _(" [not labctl's]"));
        }
    }
  else
    g_string_append_printf (out, _("VG:       %s (absent)\n"), str_or (lvm, "vg", ""));
  return g_string_free (out, FALSE);
}
