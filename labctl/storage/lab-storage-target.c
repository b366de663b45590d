/* lab-storage-target.c: steps storage.target, storage.lun, storage.acl and
 * storage.chap, the lab's iSCSI target on its tgtd through tgtadm
 * (lab-tgt.h). storage.target makes the recipe's IQN on the first free tid
 * and records storage.target.tid and storage.target.iqn (a target of that
 * IQN whose LUN 1 is the lab's image is adopted after a lost state, any
 * other is refused); storage.lun adds LUN 1 on the image
 * (storage.lun.path); storage.acl binds the target to the lab's addresses
 * or to its initiator names only, never ALL, and unbinds anything else on
 * it (storage.acl.addresses, storage.acl.names, ";"-separated); storage.chap, when the recipe asks for it, binds the
 * account labctl-<lab> with a generated password (storage.chap.user, the
 * password as the secret storage.chap.password, never logged). The four
 * share one `tgtadm --op show` between changes (Storage.tgt_cache); target,
 * LUN and ACL read back what they made when commands really run. undo
 * touches only the target whose tid and IQN the state records, and the
 * lab's own CHAP account. */
#include "config.h"

#include "lab-storage-private.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-tgt.h"
#include "lab-util.h"

/* ---- the lab's tgtd, as the four steps ask it ------------------------ */

static guint
state_tid (LabContext *ctx)
{
  return (guint) lab_state_get_int (ctx->state, K_TGT_TID, 0);
}

/* The targets of the lab's tgtd, from one `tgtadm --op show` per change:
 * every changing tgtadm command (run_tgt) drops the cache, so a read-back
 * after a change is a real query. The caller owns a reference. */
static GPtrArray *
tgt_targets (LabContext *ctx, Storage *s, GError **error)
{
  if (s->tgt_cache == NULL)
    s->tgt_cache = lab_tgt_show (ctx->runner, s->control_port, error);
  return s->tgt_cache != NULL ? g_ptr_array_ref (s->tgt_cache) : NULL;
}

static gboolean
tgt_ping (LabContext *ctx, Storage *s, gboolean *running, GError **error)
{
  if (s->tgt_cache != NULL)
    {
      *running = TRUE;
      return TRUE;
    }
  return lab_tgt_ping (ctx->runner, s->control_port, running, error);
}

static gboolean
run_tgt (LabContext *ctx, Storage *s, char **argv, GError **error)
{
  g_clear_pointer (&s->tgt_cache, g_ptr_array_unref);
  return storage_run_argv (ctx, argv, lab_tgt_run, error);
}

/* Where the four undos start: the targets of the lab's tgtd, or NULL in
 * *targets when no tgtd answers (then nothing of the lab's is left on
 * it). FALSE only when tgtd cannot be asked. */
static gboolean
undo_targets (LabContext *ctx, Storage *s, GPtrArray **targets, GError **error)
{
  gboolean running = FALSE;

  *targets = NULL;
  if (!tgt_ping (ctx, s, &running, error))
    return FALSE;
  if (running)
    *targets = tgt_targets (ctx, s, error);
  return !running || *targets != NULL;
}

/* ---- storage.target -------------------------------------------------- */

static LabTgtTarget *
our_target (GPtrArray *targets, LabContext *ctx, Storage *s)
{
  LabTgtTarget *t = lab_tgt_find_by_tid (targets, state_tid (ctx));

  if (t != NULL && g_ascii_strcasecmp (t->iqn, s->iqn) == 0)
    return t;
  return NULL;
}

static gboolean
target_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  Storage *s = data;
  g_autoptr(GPtrArray) targets = tgt_targets (ctx, s, error);
  LabTgtTarget *t;

  *done = FALSE;
  if (targets == NULL)
    return FALSE;
  if (our_target (targets, ctx, s) != NULL)
    {
      *done = TRUE;
      return TRUE;
    }
  t = lab_tgt_find_by_iqn (targets, s->iqn);
  if (t != NULL)
    {
      LabTgtLun *lun = lab_tgt_target_get_lun (t, 1);

      /* ours from a lost state: LUN 1 on the lab's image */
      if (lun != NULL && g_strcmp0 (lun->backing_path, s->image) == 0 && storage_image_is_ours (ctx, s))
        return TRUE;   /* apply adopts it */
      g_set_error (error, LAB_ERROR, LAB_ERROR_EXISTS,
                   _("The iSCSI target %s already exists (tid %u) with other settings (LUN 1: %s); "
                     "labctl did not create it: set another [storage] iqn in the recipe, or remove "
                     "it if it is stale: tgtadm -C %u --lld iscsi --op delete --mode target --tid %u"),
                   s->iqn, t->tid, lun && lun->backing_path ? lun->backing_path : _("none"),
                   s->control_port, t->tid);
      return FALSE;
    }
  return TRUE;
}

static gboolean
target_apply (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  g_autoptr(GPtrArray) targets = tgt_targets (ctx, s, error);
  g_autoptr(GPtrArray) after = NULL;
  LabTgtTarget *t;
  guint tid;

  if (targets == NULL)
    return FALSE;
  t = lab_tgt_find_by_iqn (targets, s->iqn);
  if (t != NULL)
    tid = t->tid;   /* adopted, see target_check */
  else
    {
      tid = lab_tgt_find_free_tid (targets);
      if (!run_tgt (ctx, s, lab_tgt_argv_new_target (s->control_port, tid, s->iqn), error))
        return FALSE;
    }
  lab_state_set_int (ctx->state, K_TGT_TID, tid);
  lab_state_set_string (ctx->state, K_TGT_IQN, s->iqn);
  if (!storage_is_real (ctx))
    return TRUE;
  after = tgt_targets (ctx, s, error);
  if (after == NULL)
    return FALSE;
  if (our_target (after, ctx, s) == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                   _("tgtadm reported success but the target %s (tid %u) is not listed by "
                     "tgtadm --op show --mode target"), s->iqn, tid);
      return FALSE;
    }
  return storage_fail_point ("storage.target", error);
}

static gboolean
target_undo (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;

  if (state_tid (ctx) != 0)
    {
      g_autoptr(GPtrArray) targets = NULL;

      if (!undo_targets (ctx, s, &targets, error))
        return FALSE;
      if (our_target (targets, ctx, s) != NULL
          && !run_tgt (ctx, s, lab_tgt_argv_delete_target (s->control_port, state_tid (ctx)), error))
        return FALSE;
    }
  else if (storage_is_real (ctx))
    {
      /* no tid recorded (the state was lost): the lab's target by its IQN,
       * as target_check adopts it: LUN 1 on the lab's marked image; --force
       * takes its LUN and ACL with it */
      g_autoptr(GPtrArray) targets = NULL;
      LabTgtTarget *t;
      LabTgtLun *lun;

      if (!undo_targets (ctx, s, &targets, error))
        return FALSE;
      t = targets != NULL ? lab_tgt_find_by_iqn (targets, s->iqn) : NULL;
      lun = t != NULL ? lab_tgt_target_get_lun (t, 1) : NULL;
      if (lun != NULL && g_strcmp0 (lun->backing_path, s->image) == 0 && storage_image_is_ours (ctx, s)
          && !run_tgt (ctx, s, lab_tgt_argv_delete_target (s->control_port, t->tid), error))
        return FALSE;
    }
  lab_state_remove (ctx->state, K_TGT_TID);
  lab_state_remove (ctx->state, K_TGT_IQN);
  return TRUE;
}

static guint
describe_tid (LabContext *ctx)
{
  guint tid = state_tid (ctx);
  return tid != 0 ? tid : 1;
}

static char **
target_describe (LabContext *ctx, gpointer data, gboolean down)
{
  Storage *s = data;
  GPtrArray *l = g_ptr_array_new ();

  if (down)
    storage_add_line (l, ctx, lab_tgt_argv_delete_target (s->control_port, describe_tid (ctx)));
  else
    {
      if (state_tid (ctx) == 0)
        g_ptr_array_add (l, g_strdup (_("# tid: the first free one (1 on an empty tgtd)")));
      storage_add_line (l, ctx, lab_tgt_argv_new_target (s->control_port, describe_tid (ctx), s->iqn));
    }
  return lab_lines_steal (l);
}

const LabStepInfo storage_step_target = {
  "storage.target", N_("Create the iSCSI target"), TRUE,
  target_check, target_apply, target_undo, target_describe };

/* ---- storage.lun ----------------------------------------------------- */

static gboolean
lun_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  Storage *s = data;
  g_autoptr(GPtrArray) targets = tgt_targets (ctx, s, error);
  LabTgtTarget *t;
  LabTgtLun *lun;

  *done = FALSE;
  if (targets == NULL)
    return FALSE;
  t = our_target (targets, ctx, s);
  lun = lab_tgt_target_get_lun (t, 1);
  if (lun == NULL)
    return TRUE;
  if (g_strcmp0 (lun->backing_path, s->image) != 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_EXISTS,
                   _("LUN 1 of the target %s is backed by %s, not by the lab's image %s; "
                     "run labctl storage down, then up"),
                   s->iqn, lun->backing_path ? lun->backing_path : _("nothing"), s->image);
      return FALSE;
    }
  *done = TRUE;
  return TRUE;
}

static gboolean
lun_apply (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  g_autoptr(GPtrArray) targets = NULL;

  if (storage_is_real (ctx) && !g_file_test (s->image, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("The LUN's backing file %s is missing; run labctl storage down, then up "
                     "to create it again"), s->image);
      return FALSE;
    }
  if (!run_tgt (ctx, s, lab_tgt_argv_new_lun (s->control_port, state_tid (ctx), 1, s->image), error))
    return FALSE;
  if (!storage_fail_point ("storage.lun", error))
    return FALSE;
  lab_state_set_string (ctx->state, K_LUN_PATH, s->image);
  if (!storage_is_real (ctx))
    return TRUE;
  targets = tgt_targets (ctx, s, error);
  if (targets == NULL)
    return FALSE;
  {
    LabTgtLun *lun = lab_tgt_target_get_lun (our_target (targets, ctx, s), 1);
    if (lun == NULL || g_strcmp0 (lun->backing_path, s->image) != 0)
      {
        g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                     _("tgtadm reported success but LUN 1 on %s is not listed for the target %s"),
                     s->image, s->iqn);
        return FALSE;
      }
  }
  return TRUE;
}

static gboolean
lun_undo (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;

  if (state_tid (ctx) != 0)
    {
      g_autoptr(GPtrArray) targets = NULL;
      LabTgtLun *lun;

      if (!undo_targets (ctx, s, &targets, error))
        return FALSE;
      lun = lab_tgt_target_get_lun (our_target (targets, ctx, s), 1);
      if (lun != NULL && g_strcmp0 (lun->backing_path, s->image) == 0
          && !run_tgt (ctx, s, lab_tgt_argv_delete_lun (s->control_port, state_tid (ctx), 1), error))
        return FALSE;
    }
  lab_state_remove (ctx->state, K_LUN_PATH);
  return TRUE;
}

static char **
lun_describe (LabContext *ctx, gpointer data, gboolean down)
{
  Storage *s = data;
  GPtrArray *l = g_ptr_array_new ();

  if (down)
    storage_add_line (l, ctx, lab_tgt_argv_delete_lun (s->control_port, describe_tid (ctx), 1));
  else
    storage_add_line (l, ctx, lab_tgt_argv_new_lun (s->control_port, describe_tid (ctx), 1, s->image));
  return lab_lines_steal (l);
}

const LabStepInfo storage_step_lun = {
  "storage.lun", N_("Add LUN 1 on the backing file"), TRUE,
  lun_check, lun_apply, lun_undo, lun_describe };

/* ---- storage.acl ----------------------------------------------------- */

/* The two lists of an ACL (tgtd admits a login when either matches): the
 * addresses (-I) and the initiator names (--initiator-name). */
typedef struct {
  const char *key;                               /* the state key of what labctl bound */
  gboolean  (*validate) (const char *, GError **);
  char     **(*bind)    (guint16, guint, const char *);
  char     **(*unbind)  (guint16, guint, const char *);
} AclList;

static const AclList acl_lists[] = {
  { K_ACL,       lab_tgt_validate_initiator,      lab_tgt_argv_bind,      lab_tgt_argv_unbind },
  { K_ACL_NAMES, lab_tgt_validate_initiator_name, lab_tgt_argv_bind_name, lab_tgt_argv_unbind_name },
};

static char **
wanted (Storage *s, guint list)
{
  return list == 0 ? s->acl : s->acl_names;
}

static char **
bound (LabTgtTarget *t, guint list)
{
  return list == 0 ? t->acl : t->acl_names;
}

static gboolean
same_set (char **have, char **want)
{
  if (g_strv_length (have) != g_strv_length (want))
    return FALSE;
  for (guint i = 0; want[i] != NULL; i++)
    if (!g_strv_contains ((const char * const *) have, want[i]))
      return FALSE;
  return TRUE;
}

static gboolean
acl_matches (LabTgtTarget *t, Storage *s)
{
  return t != NULL && same_set (t->acl, s->acl) && same_set (t->acl_names, s->acl_names);
}

static gboolean
acl_validate (Storage *s, GError **error)
{
  for (guint l = 0; l < G_N_ELEMENTS (acl_lists); l++)
    for (char **v = wanted (s, l); *v != NULL; v++)
      if (!acl_lists[l].validate (*v, error))
        return FALSE;
  return TRUE;
}

static gboolean
acl_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  Storage *s = data;
  g_autoptr(GPtrArray) targets = NULL;

  *done = FALSE;
  if (!acl_validate (s, error))
    return FALSE;
  targets = tgt_targets (ctx, s, error);
  if (targets == NULL)
    return FALSE;
  *done = acl_matches (our_target (targets, ctx, s), s);
  return TRUE;
}

/* Unbinds a stale entry of our own target. The parser sorts tgtd's one
 * list by the form of each line, so garbage bound by name (tgtadm takes
 * any string) reads as an address: tgtd's "does not exist" for one list
 * means the entry is in the other. */
static gboolean
unbind_stale (LabContext *ctx, Storage *s, guint tid, guint list, const char *entry, GError **error)
{
  g_autoptr(GError) local_error = NULL;

  if (run_tgt (ctx, s, acl_lists[list].unbind (s->control_port, tid, entry), &local_error))
    return TRUE;
  if (!g_error_matches (local_error, LAB_ERROR, LAB_ERROR_NOT_FOUND)
      || strstr (local_error->message, "access control rule") == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return run_tgt (ctx, s, acl_lists[1 - list].unbind (s->control_port, tid, entry), error);
}

static gboolean
acl_apply (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  g_autoptr(GPtrArray) targets = tgt_targets (ctx, s, error);
  g_autoptr(GPtrArray) after = NULL;
  g_autofree char *joined = NULL;
  LabTgtTarget *t;
  guint tid = state_tid (ctx);

  if (targets == NULL)
    return FALSE;
  if (!acl_validate (s, error))
    return FALSE;
  t = our_target (targets, ctx, s);
  if (t == NULL && storage_is_real (ctx))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("The target %s is gone (tgtd restarted?); run labctl storage up again"), s->iqn);
      return FALSE;
    }
  /* on our own target: anything else (ALL, stale addresses or names) goes */
  for (guint l = 0; t != NULL && l < G_N_ELEMENTS (acl_lists); l++)
    for (char **v = bound (t, l); *v != NULL; v++)
      if (!g_strv_contains ((const char * const *) wanted (s, l), *v)
          && !unbind_stale (ctx, s, tid, l, *v, error))
        return FALSE;
  for (guint l = 0; l < G_N_ELEMENTS (acl_lists); l++)
    {
      g_autofree char *list = g_strjoinv (";", wanted (s, l));

      /* recorded before binding: down removes what a killed run bound */
      if (*list != '\0')
        lab_state_set_string (ctx->state, acl_lists[l].key, list);
      else
        lab_state_remove (ctx->state, acl_lists[l].key);
      for (char **v = wanted (s, l); *v != NULL; v++)
        if ((t == NULL || !g_strv_contains ((const char * const *) bound (t, l), *v))
            && !run_tgt (ctx, s, acl_lists[l].bind (s->control_port, tid, *v), error))
          return FALSE;
    }
  if (!storage_is_real (ctx))
    return TRUE;
  after = tgt_targets (ctx, s, error);
  if (after == NULL)
    return FALSE;
  if (!acl_matches (our_target (after, ctx, s), s))
    {
      g_autofree char *a = g_strjoinv (";", s->acl);
      g_autofree char *n = g_strjoinv (";", s->acl_names);

      joined = g_strconcat (a, *a != '\0' && *n != '\0' ? ";" : "", n, NULL);
      g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                   _("After binding, the ACL of %s is not exactly %s; check tgtadm --op show --mode target"),
                   s->iqn, joined);
      return FALSE;
    }
  return storage_fail_point ("storage.acl", error);
}

static gboolean
acl_undo (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  g_autoptr(GPtrArray) targets = NULL;
  LabTgtTarget *t = NULL;

  if (state_tid (ctx) != 0
      && (lab_state_get_string (ctx->state, K_ACL) != NULL
          || lab_state_get_string (ctx->state, K_ACL_NAMES) != NULL))
    {
      if (!undo_targets (ctx, s, &targets, error))
        return FALSE;
      t = our_target (targets, ctx, s);
    }
  /* only what labctl recorded binding, on its own target */
  for (guint l = 0; l < G_N_ELEMENTS (acl_lists); l++)
    {
      const char *recorded = lab_state_get_string (ctx->state, acl_lists[l].key);
      g_auto(GStrv) entries = recorded != NULL ? g_strsplit (recorded, ";", -1) : NULL;

      for (guint i = 0; t != NULL && entries != NULL && entries[i] != NULL; i++)
        if (g_strv_contains ((const char * const *) bound (t, l), entries[i])
            && !run_tgt (ctx, s, acl_lists[l].unbind (s->control_port, t->tid, entries[i]), error))
          return FALSE;
      lab_state_remove (ctx->state, acl_lists[l].key);
    }
  return TRUE;
}

static char **
acl_describe (LabContext *ctx, gpointer data, gboolean down)
{
  Storage *s = data;
  GPtrArray *l = g_ptr_array_new ();

  for (guint list = 0; list < G_N_ELEMENTS (acl_lists); list++)
    for (char **v = wanted (s, list); *v != NULL; v++)
      storage_add_line (l, ctx, down ? acl_lists[list].unbind (s->control_port, describe_tid (ctx), *v)
                                     : acl_lists[list].bind (s->control_port, describe_tid (ctx), *v));
  return lab_lines_steal (l);
}

const LabStepInfo storage_step_acl = {
  "storage.acl", N_("Admit only the lab's own initiators to the target"), TRUE,
  acl_check, acl_apply, acl_undo, acl_describe };

/* ---- storage.chap ---------------------------------------------------- */

char *
storage_chap_user (Storage *s)
{
  return g_strdup_printf ("labctl-%s", s->lab);
}

static char *
generate_secret (void)
{
  static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  GString *str = g_string_new (NULL);
  g_autoptr(GRand) rand = NULL;
  guint32 seed[4];
  int fd = g_open ("/dev/urandom", O_RDONLY | O_CLOEXEC, 0);

  if (fd < 0 || read (fd, seed, sizeof seed) != sizeof seed)
    {
      seed[0] = g_random_int ();
      seed[1] = g_random_int ();
      seed[2] = (guint32) g_get_real_time ();
      seed[3] = (guint32) getpid ();
    }
  if (fd >= 0)
    close (fd);
  rand = g_rand_new_with_seed_array (seed, G_N_ELEMENTS (seed));
  /* iSCSI initiators want 12..16 characters */
  for (int i = 0; i < 16; i++)
    g_string_append_c (str, alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)]);
  return g_string_free (str, FALSE);
}

static gboolean
chap_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  Storage *s = data;
  g_autoptr(GPtrArray) targets = tgt_targets (ctx, s, error);
  g_autofree char *user = storage_chap_user (s);
  LabTgtTarget *t;

  *done = FALSE;
  if (targets == NULL)
    return FALSE;
  t = our_target (targets, ctx, s);
  *done = t != NULL && lab_state_get_secret (ctx->state, K_CHAP_SECRET) != NULL
          && g_strv_contains ((const char * const *) t->accounts, user);
  return TRUE;
}

static gboolean
chap_apply (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  g_autofree char *user = storage_chap_user (s);
  const char *secret = lab_state_get_secret (ctx->state, K_CHAP_SECRET);
  g_autofree char *generated = NULL;
  g_autoptr(GError) local_error = NULL;

  if (secret == NULL)
    {
      generated = generate_secret ();
      lab_state_set_secret (ctx->state, K_CHAP_SECRET, generated);
      secret = generated;
    }
  lab_runner_add_secret (ctx->runner, secret);
  lab_state_set_string (ctx->state, K_CHAP_USER, user);
  if (!run_tgt (ctx, s, lab_tgt_argv_new_account (s->control_port, user, secret), &local_error))
    {
      /* left over from an interrupted run of this lab: same user name */
      if (!g_error_matches (local_error, LAB_ERROR, LAB_ERROR_EXISTS)
          && (local_error->message == NULL || strstr (local_error->message, "exist") == NULL))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_clear_error (&local_error);
      if (!run_tgt (ctx, s, lab_tgt_argv_delete_account (s->control_port, user), error)
          || !run_tgt (ctx, s, lab_tgt_argv_new_account (s->control_port, user, secret), error))
        return FALSE;
    }
  if (!run_tgt (ctx, s, lab_tgt_argv_bind_account (s->control_port, state_tid (ctx), user), error))
    return FALSE;
  return storage_fail_point ("storage.chap", error);
}

static gboolean
chap_undo (LabContext *ctx, gpointer data, GError **error)
{
  Storage *s = data;
  const char *user = lab_state_get_string (ctx->state, K_CHAP_USER);

  if (user != NULL)
    {
      g_autoptr(GPtrArray) targets = NULL;
      LabTgtTarget *t;
      int status = 0;

      if (!undo_targets (ctx, s, &targets, error))
        return FALSE;
      t = our_target (targets, ctx, s);
      if (t != NULL && g_strv_contains ((const char * const *) t->accounts, user)
          && !run_tgt (ctx, s, lab_tgt_argv_unbind_account (s->control_port, t->tid, user), error))
        return FALSE;
      if (targets != NULL)
        {
          /* an account is tgtd's, not the target's: it goes even when the target is
           * gone; "can't find the account" is fine */
          g_auto(GStrv) del = lab_tgt_argv_delete_account (s->control_port, user);
          if (!lab_runner_run_full (ctx->runner, (const char * const *) del, LAB_RUN_DEFAULT, NULL,
                                    30000, &status, NULL, NULL, NULL, error))
            return FALSE;
        }
    }
  lab_state_remove (ctx->state, K_CHAP_USER);
  lab_state_set_secret (ctx->state, K_CHAP_SECRET, NULL);
  return TRUE;
}

static char **
chap_describe (LabContext *ctx, gpointer data, gboolean down)
{
  Storage *s = data;
  GPtrArray *l = g_ptr_array_new ();
  g_autofree char *user = storage_chap_user (s);

  if (down)
    {
      storage_add_line (l, ctx, lab_tgt_argv_unbind_account (s->control_port, describe_tid (ctx), user));
      storage_add_line (l, ctx, lab_tgt_argv_delete_account (s->control_port, user));
    }
  else
    {
      g_ptr_array_add (l, g_strdup (_("# the password is generated and kept only in the state file")));
      storage_add_line (l, ctx, lab_tgt_argv_new_account (s->control_port, user, "******"));
      storage_add_line (l, ctx, lab_tgt_argv_bind_account (s->control_port, describe_tid (ctx), user));
    }
  return lab_lines_steal (l);
}

const LabStepInfo storage_step_chap = {
  "storage.chap", N_("Require CHAP authentication"), TRUE,
  chap_check, chap_apply, chap_undo, chap_describe };
