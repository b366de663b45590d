/* lab-exercise-storage.c: questions about the lab's shared storage,
 * answered from the live stand with the storage tools (tgtadm, iscsiadm,
 * vgs), written to a file, checked against what labctl reads itself
 * (lab_storage_status). Nothing to make, nothing to remove.
 */
#include "config.h"

#include "lab-exercise-private.h"

#include <string.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-storage.h"

#define ANSWERS_DEFAULT "storage-answers.txt"

static const char * const keys[] = { "iqn", "portal", "lun-size", "vg-free", NULL };

/* "key = value" lines; '#' starts a comment. */
static GHashTable *
read_answers (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GHashTable *out;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  out = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *hash = strchr (lines[i], '#');
      char *eq;

      if (hash != NULL)
        *hash = '\0';
      eq = strchr (lines[i], '=');
      if (eq == NULL)
        continue;
      *eq = '\0';
      g_hash_table_insert (out, g_ascii_strdown (g_strstrip (lines[i]), -1), g_strdup (g_strstrip (eq + 1)));
    }
  return out;
}

/* "256M", "256 MiB", "268MB", "268435456": bytes; FALSE when not a size. */
static gboolean
parse_size (const char *text, guint64 *out)
{
  char *end = NULL;
  double v = g_ascii_strtod (text, &end);
  g_autofree char *unit = NULL;
  double mult = 1;

  if (end == text || v < 0)
    return FALSE;
  unit = g_ascii_strdown (g_strstrip (g_strdup (end)), -1);
  if (*unit == '\0' || g_str_equal (unit, "b"))
    mult = 1;
  else if (g_str_equal (unit, "k") || g_str_equal (unit, "kib"))
    mult = 1024.0;
  else if (g_str_equal (unit, "m") || g_str_equal (unit, "mib"))
    mult = 1024.0 * 1024;
  else if (g_str_equal (unit, "g") || g_str_equal (unit, "gib"))
    mult = 1024.0 * 1024 * 1024;
  else if (g_str_equal (unit, "kb"))
    mult = 1e3;
  else if (g_str_equal (unit, "mb"))
    mult = 1e6;
  else if (g_str_equal (unit, "gb"))
    mult = 1e9;
  else
    return FALSE;
  *out = (guint64) (v * mult + 0.5);
  return TRUE;
}

/* Within 1 MB and 1 %: tools round sizes differently. */
static gboolean
size_close (guint64 answer, guint64 truth)
{
  guint64 diff = answer > truth ? answer - truth : truth - answer;

  return diff <= 1000000 || diff <= truth / 100;
}

static char *
answers_path (LabExerciseEnv *env)
{
  return g_strdup (env->answers != NULL ? env->answers : ANSWERS_DEFAULT);
}

static char *
start (LabExerciseEnv *env, GError **error)
{
  g_autofree char *path = answers_path (env);

  return g_strdup_printf (_("Answer from the running stand, with the storage tools (tgtadm, iscsiadm, vgs), and "
                            "write the answers to %s:\n"
                            "     iqn = ...        # the IQN of the lab's iSCSI target\n"
                            "     portal = ...     # its portal, ADDRESS:PORT\n"
                            "     lun-size = ...   # the size of LUN 1 (e.g. 256M or 268MB)\n"
                            "     vg-free = ...    # the free space in the lab's volume group\n"
                            "Then: labctl exercise check storage --answers %s\n"),
                          path, path);
}

static JsonObject *
member (JsonObject *o, const char *name)
{
  return o != NULL && json_object_has_member (o, name) ? json_object_get_object_member (o, name) : NULL;
}

static void
check (LabExerciseEnv *env, LabExerciseReport *report)
{
  static const char *titles[] = { N_("The target's IQN"), N_("The target's portal"), N_("The size of LUN 1"),
                                  N_("The free space of the volume group") };
  static const char *hints[] = {
    N_("tgtadm --lld iscsi --op show --mode target (the line 'Target 1: IQN')"),
    N_("iscsiadm -m discovery -t sendtargets -p ADDRESS:PORT, or the recipe's portal"),
    N_("tgtadm --lld iscsi --op show --mode target: 'LUN: 1' ... 'Size:'"),
    N_("vgs -o vg_name,vg_free VG (mind the units: --units m)"),
  };
  g_autofree char *path = answers_path (env);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) answers = read_answers (path, &error);
  g_autoptr(JsonNode) status = NULL;
  JsonObject *st, *target, *lun, *lvm;
  char *truth[4] = { NULL };
  const char *why[4] = { NULL };

  if (answers == NULL)
    {
      g_autofree char *hint = g_strdup_printf (_("write your answers to %s (or give --answers FILE)"), path);

      lab_exercise_report_add (report, "storage.answers", _("The answers file"), LAB_EXERCISE_FAIL, error->message,
                               hint);
      return;
    }
  lab_exercise_report_add (report, "storage.answers", _("The answers file"), LAB_EXERCISE_PASS, path, NULL);

  /* what labctl reads from the stand */
  status = lab_storage_status (env->ctx);
  st = json_node_get_object (status);
  target = member (st, "target");
  lun = member (target, "lun1");
  lvm = member (st, "lvm");
  if (target != NULL && json_object_has_member (target, "error"))
    why[0] = why[1] = why[2] = json_object_get_string_member (target, "error");
  else if (target == NULL || !json_object_get_boolean_member_with_default (target, "exists", FALSE))
    why[0] = why[1] = why[2] = _("the lab's target does not exist: is the lab up? (labctl status)");
  else
    {
      truth[0] = g_strdup (json_object_get_string_member_with_default (target, "iqn", NULL));
      truth[1] = g_strdup (json_object_get_string_member_with_default (target, "portal", NULL));
      if (lun != NULL)
        truth[2] = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (lun, "size_mb") * 1000000);
      else
        why[2] = _("the target has no LUN 1");
    }
  if (lvm != NULL && json_object_has_member (lvm, "error"))
    why[3] = json_object_get_string_member (lvm, "error");
  else if (lvm == NULL || !json_object_get_boolean_member_with_default (lvm, "vg_exists", FALSE))
    why[3] = _("the lab's volume group does not exist: is the lab up? (labctl status)");
  else
    truth[3] = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (lvm, "vg_free"));

  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autofree char *id = g_strdup_printf ("storage.%s", keys[i]);
      const char *answer = g_hash_table_lookup (answers, keys[i]);
      g_autofree char *detail = NULL;
      gboolean right = FALSE;

      if (truth[i] == NULL)
        {
          lab_exercise_report_add (report, id, _(titles[i]), LAB_EXERCISE_ERROR, NULL,
                                   why[i] != NULL ? why[i] : _("labctl could not read it"));
          continue;
        }
      if (answer == NULL || *answer == '\0')
        {
          detail = g_strdup_printf (_("no '%s = ...' line"), keys[i]);
          lab_exercise_report_add (report, id, _(titles[i]), LAB_EXERCISE_FAIL, detail, _(hints[i]));
          continue;
        }
      if (i >= 2)
        {
          guint64 a = 0;

          right = parse_size (answer, &a) && size_close (a, g_ascii_strtoull (truth[i], NULL, 10));
        }
      else
        right = g_ascii_strcasecmp (answer, truth[i]) == 0;
      /* the right answer is shown only once it is given */
      detail = right ? g_strdup (answer) : g_strdup_printf (_("your answer '%s' is not what the stand says"), answer);
      lab_exercise_report_add (report, id, _(titles[i]), right ? LAB_EXERCISE_PASS : LAB_EXERCISE_FAIL, detail,
                               right ? NULL : _(hints[i]));
    }
  for (guint i = 0; i < G_N_ELEMENTS (truth); i++)
    g_free (truth[i]);
}

static gboolean
finish (LabExerciseEnv *env, GError **error)
{
  return TRUE;
}

/* ---- on a stack's lab: the same questions, and how the stack's storage
 * configuration uses that target and VG (read through its API) ------------ */

static char *
stack_start (LabExerciseEnv *env, GError **error)
{
  g_autofree char *task = start (env, error);

  return g_strdup_printf (_("%sAlso answer, in the same file, from the cluster's storage configuration (%s):\n"
                            "     stack-iscsi = ...  # the id of the storage that logs in to that target\n"
                            "     stack-lvm = ...    # the id of the shared LVM storage on that volume group\n"),
                          task, lab_exercise_stack (env)->storage_where);
}

static void
stack_check (LabExerciseEnv *env, LabExerciseReport *report)
{
  const LabStackOps *ops = lab_exercise_stack (env);
  const char *ids[] = { "storage.stack-iscsi", "storage.stack-lvm" };
  const char *titles[] = { N_("The stack's iSCSI storage of the target"), N_("The stack's shared LVM storage") };
  g_autofree char *path = answers_path (env);
  g_autoptr(GHashTable) answers = read_answers (path, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) storages = NULL;
  g_autofree char *vg = g_strdup_printf ("vg %s", env->ctx->recipe->vg_name);
  char *truth[2] = { NULL, NULL };

  check (env, report);
  if (answers == NULL)
    return;   /* storage.answers failed already */
  storages = ops->storages (env->ctx, lab_exercise_stack_session (env), &error);
  for (guint i = 0; storages != NULL && i < storages->len; i++)
    {
      LabStackStorage *s = storages->pdata[i];

      if (g_strcmp0 (s->type, "iscsi") == 0 && s->detail != NULL && strstr (s->detail, env->ctx->recipe->iqn) != NULL)
        truth[0] = s->id;
      if (g_strcmp0 (s->type, "lvm") == 0 && s->shared && g_strcmp0 (s->detail, vg) == 0)
        truth[1] = s->id;
    }
  for (guint i = 0; i < 2; i++)
    {
      const char *key = ids[i] + strlen ("storage.");
      const char *answer = g_hash_table_lookup (answers, key);
      g_autofree char *detail = NULL, *hint = NULL;
      gboolean right;

      if (truth[i] == NULL)
        {
          lab_exercise_report_add (report, ids[i], _(titles[i]), LAB_EXERCISE_ERROR, NULL,
                                   storages == NULL ? error->message
                                                    : _("the cluster has no such storage: is the lab up? (labctl status)"));
          continue;
        }
      right = answer != NULL && g_str_equal (answer, truth[i]);
      detail = right ? g_strdup (answer)
               : answer == NULL ? g_strdup_printf (_("no '%s = ...' line"), key)
                                : g_strdup_printf (_("your answer '%s' is not what the stand says"), answer);
      hint = g_strdup_printf (_("the storages and what each sits on (its target, its volume group): %s"),
                              ops->storage_where);
      lab_exercise_report_add (report, ids[i], _(titles[i]), right ? LAB_EXERCISE_PASS : LAB_EXERCISE_FAIL, detail,
                               hint);
    }
}

static const LabExerciseStackRow storage_stack = { stack_start, stack_check, finish };

const LabExercise lab_exercise_storage = {
  "storage", N_("Shared storage: read the target, the LUN and the volume group off the stand"),
  NULL, start, check, finish, &storage_stack,
};
