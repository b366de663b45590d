/* lab-proxmox-answer-step.c: step nodes.answer:<node>: the node's root
 * password (generated once, kept only in the lab's 0600 state as the
 * secret nodes.<node>.pve.root_password), labctl's SSH key (<state
 * dir>/ssh/id_ed25519, made once), the node's answer.toml (validated, with
 * the password's hash only) and the FAT image labelled PROXMOX-AIS that
 * carries it to the installer, both 0600 in <state dir>/nodes/<node>/.
 * State: pve.answer.<node>.image. */
#include "config.h"

#include "lab-proxmox.h"
#include "lab-proxmox-private.h"
#include "lab-vm.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-util.h"

#define K_SSH_KEY "pve.ssh.key"

static char *
node_dir (LabContext *ctx, const LabNode *node)
{
  g_autofree char *state = lab_context_get_state_dir (ctx);

  return g_build_filename (state, "nodes", node->name, NULL);
}

char *
lab_proxmox_answer_image (LabContext *ctx, const LabNode *node)
{
  g_autofree char *dir = node_dir (ctx, node);

  return g_build_filename (dir, "answer.img", NULL);
}

static char *
answer_file (LabContext *ctx, const LabNode *node)
{
  g_autofree char *dir = node_dir (ctx, node);

  return g_build_filename (dir, "answer.toml", NULL);
}

static char *
key_path (LabContext *ctx)
{
  g_autofree char *state = lab_context_get_state_dir (ctx);

  return g_build_filename (state, "ssh", "id_ed25519", NULL);
}

static char *
secret_key (const LabNode *node)
{
  return g_strdup_printf ("nodes.%s.pve.root_password", node->name);
}

static char *
state_key (const LabNode *node)
{
  return g_strdup_printf ("pve.answer.%s.image", node->name);
}

static const char *
locale_root (LabContext *ctx)
{
  const char *env = g_getenv ("LABCTL_SYSROOT");

  return env != NULL && *env != '\0' ? env : ctx->sysroot;
}

/* labctl's key pair of the lab, made when missing; its public line. */
static char *
ensure_ssh_key (LabContext *ctx, GError **error)
{
  g_autofree char *key = key_path (ctx);
  g_autofree char *pub = g_strconcat (key, ".pub", NULL);
  g_autofree char *dir = g_path_get_dirname (key);
  g_autofree char *comment = g_strdup_printf ("labctl@%s", ctx->recipe->name);
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;

  if (!g_file_test (pub, G_FILE_TEST_EXISTS))
    {
      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          int e = errno;
          g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot create %s: %s"), dir, g_strerror (e));
          return NULL;
        }
      if (!lab_runner_runv (ctx->runner, LAB_RUN_DEFAULT, NULL, error, "ssh-keygen", "-q", "-t", "ed25519", "-N", "",
                            "-C", comment, "-f", key, NULL))
        return NULL;
      /* made by labctl: down removes it with the first node's answer */
      lab_state_set_string (ctx->state, K_SSH_KEY, key);
    }
  if (!g_file_get_contents (pub, &text, NULL, &local))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot read %s: %s"), pub, local->message);
      return NULL;
    }
  return g_strdup (g_strstrip (text));
}

static gboolean
answer_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  LabNode *node = data;
  g_autofree char *image = lab_proxmox_answer_image (ctx, node);
  g_autofree char *secret = secret_key (node);

  *done = g_file_test (image, G_FILE_TEST_IS_REGULAR) && lab_state_get_secret (ctx->state, secret) != NULL;
  return TRUE;
}

static char *
problems_text (GPtrArray *problems)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < problems->len; i++)
    g_string_append_printf (s, "%s%s", i > 0 ? "; " : "", (const char *) problems->pdata[i]);
  return g_string_free (s, FALSE);
}

static gboolean
answer_apply (LabContext *ctx, gpointer data, GError **error)
{
  LabNode *node = data;
  g_autofree char *secret = secret_key (node);
  g_autofree char *dir = node_dir (ctx, node);
  g_autofree char *toml_path = answer_file (ctx, node);
  g_autofree char *image = lab_proxmox_answer_image (ctx, node);
  g_autofree char *key = NULL;
  g_autofree char *password = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *toml = NULL;
  g_autoptr(LabPveAnswer) answer = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GError) local = NULL;
  const char *kept = lab_state_get_secret (ctx->state, secret);
  g_autofree char *k = state_key (node);

  password = kept != NULL ? g_strdup (kept) : lab_pve_new_password ();
  if (kept == NULL)
    {
      /* saved with the step: a resumed `up` gives the node the same one */
      lab_state_set_secret (ctx->state, secret, password);
      if (!lab_state_save (ctx->state, error))
        return FALSE;
    }
  lab_runner_add_secret (ctx->runner, password);
  hash = lab_pve_hash_password (password, error);
  key = hash != NULL ? ensure_ssh_key (ctx, error) : NULL;
  if (key == NULL)
    return FALSE;
  answer = lab_pve_answer_for_node (ctx->recipe, node, locale_root (ctx), hash, key);
  problems = lab_pve_answer_validate (answer);
  if (problems->len > 0)
    {
      g_autofree char *text = problems_text (problems);
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("The answer file of node %s would be refused: %s"),
                   node->name, text);
      return FALSE;
    }
  toml = lab_pve_answer_to_toml (answer, FALSE);
  if (g_mkdir_with_parents (dir, 0700) != 0
      || !g_file_set_contents_full (toml_path, toml, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot write %s: %s"), toml_path,
                   local != NULL ? local->message : g_strerror (errno));
      return FALSE;
    }
  if (!lab_pve_answer_image (ctx->runner, toml_path, image, error))
    return FALSE;
  lab_state_set_string (ctx->state, k, image);
  return TRUE;
}

static gboolean
answer_undo (LabContext *ctx, gpointer data, GError **error)
{
  LabNode *node = data;
  g_autofree char *k = state_key (node);
  g_autofree char *toml_path = answer_file (ctx, node);
  g_autofree char *image = lab_proxmox_answer_image (ctx, node);
  g_autofree char *dir = node_dir (ctx, node);

  g_unlink (image);
  g_unlink (toml_path);
  {
    /* the serial log labctl had libvirt write beside them */
    g_autofree char *log = lab_proxmox_console_log (ctx, node);
    g_unlink (log);
  }
  g_rmdir (dir);
  {
    /* <state dir>/nodes, when this was its last node */
    g_autofree char *parent = g_path_get_dirname (dir);
    g_rmdir (parent);
  }
  lab_state_remove (ctx->state, k);
  /* the first node's answer is undone last: the key pair goes with it */
  if (node == g_ptr_array_index (ctx->recipe->nodes, 0) && lab_state_get_string (ctx->state, K_SSH_KEY) != NULL)
    {
      g_autofree char *key = g_strdup (lab_state_get_string (ctx->state, K_SSH_KEY));
      g_autofree char *pub = g_strconcat (key, ".pub", NULL);
      g_autofree char *ssh_dir = g_path_get_dirname (key);

      g_unlink (key);
      g_unlink (pub);
      g_rmdir (ssh_dir);
      lab_state_remove (ctx->state, K_SSH_KEY);
    }
  return TRUE;
}

static char **
answer_describe (LabContext *ctx, gpointer data, gboolean down)
{
  LabNode *node = data;
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *toml_path = answer_file (ctx, node);
  g_autofree char *image = lab_proxmox_answer_image (ctx, node);
  g_autofree char *q_toml = lab_shell_quote (toml_path);
  g_autofree char *q_image = lab_shell_quote (image);
  g_autofree char *key = key_path (ctx);
  g_autofree char *q_key = lab_shell_quote (key);
  g_autoptr(LabPveAnswer) answer = NULL;
  g_autofree char *toml = NULL;

  if (down)
    {
      g_autofree char *log = lab_proxmox_console_log (ctx, node);
      g_autofree char *q_log = lab_shell_quote (log);
      g_ptr_array_add (lines, g_strdup_printf ("rm -f %s %s %s", q_image, q_toml, q_log));
      if (node == g_ptr_array_index (ctx->recipe->nodes, 0))
        g_ptr_array_add (lines, g_strdup_printf ("rm -f %s %s.pub  # labctl's key, when labctl made it", q_key, q_key));
      return lab_lines_steal (g_steal_pointer (&lines));
    }
  {
    g_autofree char *pub_line = g_strdup_printf ("$(cat %s.pub)", key);
    answer = lab_pve_answer_for_node (ctx->recipe, node, locale_root (ctx), "******", pub_line);
  }
  toml = lab_pve_answer_to_toml (answer, TRUE);
  g_ptr_array_add (lines, g_strdup_printf ("# root password: generated, kept only in the lab's state "
                                           "(secret nodes.%s.pve.root_password); the file holds its SHA-512 crypt hash",
                                           node->name));
  g_ptr_array_add (lines, g_strdup_printf ("test -f %s || ssh-keygen -q -t ed25519 -N '' -C labctl@%s -f %s", q_key,
                                           ctx->recipe->name, q_key));
  g_ptr_array_add (lines, g_strdup_printf ("cat > %s <<EOF", q_toml));
  g_ptr_array_add (lines, g_strdup_printf ("%sEOF", toml));
  g_ptr_array_add (lines, g_strdup_printf ("proxmox-auto-install-assistant validate-answer %s  # labctl applies its "
                                           "rules", q_toml));
  lab_pve_answer_image_describe (lines, toml_path, image);
  return lab_lines_steal (g_steal_pointer (&lines));
}

static const LabStepInfo answer_step = {
  "nodes.answer", N_("Write the answer file of node %s"), FALSE,
  answer_check, answer_apply, answer_undo, answer_describe,
};

/* The nodes boot the prepared ISO with their answer image beside it. */
static char *
media_iso (LabContext *ctx)
{
  return lab_proxmox_prepared_iso (ctx);
}

static void
media_adjust (LabContext *ctx, const LabNode *node, LabVirtDomainSpec *spec)
{
  spec->extra_disk_path = lab_proxmox_answer_image (ctx, node);
  /* nodes.install follows the installer and names its last lines */
  g_free (spec->serial_log);
  spec->serial_log = lab_proxmox_console_log (ctx, node);
}

static const LabVmMedia media = { media_iso, media_adjust };

void
lab_proxmox_add_node_steps (LabPlan *plan, LabContext *ctx)
{
  lab_proxmox_add_prepare_step (plan, ctx);
  for (guint i = 0; i < ctx->recipe->nodes->len; i++)
    {
      LabNode *node = g_ptr_array_index (ctx->recipe->nodes, i);
      lab_plan_add_step (plan, &answer_step, node->name, node->name, node, NULL);
    }
  lab_vm_set_media (plan, ctx, &media);
  lab_vm_add_node_steps (plan, ctx);
}
