/* lab-proxmox-iso.c: steps iso.fetch (network phase, first: the recipe's
 * ISO in the ISO cache, downloaded or read again until its SHA-256
 * matches) and nodes.iso (nodes phase: the prepared ISO, once per ISO, in the cache
 * beside it). Both live in the machine's ISO cache, shared by every lab:
 * `down` leaves them (`labctl iso remove NAME` deletes them). */
#include "config.h"

#include "lab-proxmox.h"
#include "lab-proxmox-private.h"

#include <glib/gstdio.h>
#include <string.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-iso.h"
#include "lab-util.h"
#include "lab-pve.h"
#include "lab-vm.h"

/* ---- the ISOs of a recipe ---------------------------------------------- */

gboolean
lab_proxmox_iso (LabContext *ctx, LabIsoEntry **out_entry, char **out_path, GError **error)
{
  const char *media = ctx->recipe->install_media;
  g_autoptr(GPtrArray) cat = NULL;
  LabIsoEntry *e;

  *out_entry = NULL;
  *out_path = NULL;
  if (media == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_RECIPE, _("The recipe names no install media; set [nodes] pve-version"));
      return FALSE;
    }
  if (strchr (media, '/') != NULL)
    {
      *out_path = g_strdup (media);
      return TRUE;
    }
  cat = lab_iso_catalogue_load (NULL, error);
  if (cat == NULL || (e = lab_iso_catalogue_find (cat, media, error)) == NULL)
    return FALSE;
  *out_path = lab_iso_path (e, NULL);
  for (guint i = 0; i < cat->len; i++)
    if (cat->pdata[i] == e)
      *out_entry = g_ptr_array_steal_index (cat, i);
  return TRUE;
}

char *
lab_proxmox_prepared_iso (LabContext *ctx)
{
  g_autoptr(LabIsoEntry) e = NULL;
  g_autofree char *raw = NULL;
  g_autofree char *dir = lab_iso_cache_dir ();
  g_autofree char *base = NULL;
  g_autofree char *in_cache = NULL;

  if (!lab_proxmox_iso (ctx, &e, &raw, NULL))
    return NULL;
  base = g_path_get_basename (raw);
  in_cache = g_build_filename (dir, base, NULL);
  return lab_pve_prepared_iso_path (in_cache);
}

/* ---- iso.fetch ----------------------------------------------------------- */

static void
fetch_progress (guint64 done, guint64 total, double rate, gpointer user_data)
{
  LabContext *ctx = user_data;
  static gint64 last;
  gint64 now = g_get_monotonic_time ();
  g_autofree char *line = NULL;

  if (now - last < 5 * G_USEC_PER_SEC && !(total > 0 && done >= total))
    return;
  last = now;
  line = lab_iso_progress_line (done, total, rate);
  lab_progress_info (ctx->progress, "%s", line);
}

static gboolean
fetch_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  g_autoptr(LabIsoEntry) e = NULL;
  g_autofree char *path = NULL;

  if (!lab_proxmox_iso (ctx, &e, &path, error))
    return FALSE;
  *done = e != NULL ? lab_iso_is_verified (path, e->sha256) : g_file_test (path, G_FILE_TEST_IS_REGULAR);
  return TRUE;
}

static gboolean
fetch_apply (LabContext *ctx, gpointer data, GError **error)
{
  g_autoptr(LabIsoEntry) e = NULL;
  g_autofree char *path = NULL;
  const char *mirror = g_getenv ("LABCTL_ISO_MIRROR");
  g_autofree char *url = NULL;

  if (!lab_proxmox_iso (ctx, &e, &path, error))
    return FALSE;
  if (e == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("The install media %s ([nodes] install-media) does not exist; fix the path or use "
                     "[nodes] pve-version to take an ISO of the catalogue"), path);
      return FALSE;
    }
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      /* there, but never checked (copied by hand): read it once */
      g_autofree char *sum = lab_iso_sha256_file (path, fetch_progress, ctx, ctx->cancellable, error);

      if (sum == NULL)
        return FALSE;
      if (g_strcmp0 (sum, e->sha256) != 0)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_CHECK_FAILED,
                       _("%s in the ISO cache has the SHA-256 %s, not the catalogue's %s: it is not used; "
                         "`labctl iso remove %s`, then `labctl up` fetches it again"), path, sum, e->sha256, e->name);
          return FALSE;
        }
      return lab_iso_record_sha256 (path, sum, error);
    }
  if (mirror != NULL && *mirror != '\0')
    url = lab_iso_mirror_url (e, mirror);
  lab_progress_info (ctx->progress, _("downloading %s from %s"), e->file, url != NULL ? url : e->url);
  return lab_iso_fetch (e, NULL, url, fetch_progress, ctx, ctx->cancellable, error);
}

static char **
fetch_describe (LabContext *ctx, gpointer data, gboolean down)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(LabIsoEntry) e = NULL;
  g_autofree char *path = NULL;

  if (down)
    {
      g_ptr_array_add (lines, g_strdup ("# the ISO cache is shared by every lab and stays: labctl iso remove NAME"));
      return lab_lines_steal (g_steal_pointer (&lines));
    }
  if (!lab_proxmox_iso (ctx, &e, &path, NULL))
    g_ptr_array_add (lines, g_strdup ("# the recipe's install media is not in the ISO catalogue"));
  else if (e == NULL)
    {
      g_autofree char *q = lab_shell_quote (path);
      g_ptr_array_add (lines, g_strdup_printf ("test -f %s", q));
    }
  else
    {
      g_autofree char *part = g_strconcat (path, ".part", NULL);
      g_autofree char *q_part = lab_shell_quote (part);
      g_autofree char *q_path = lab_shell_quote (path);
      g_ptr_array_add (lines, g_strdup_printf ("labctl iso fetch %s  # offline: labctl iso add PATH/%s", e->name,
                                               e->file));
      g_ptr_array_add (lines, g_strdup_printf ("# the same by hand (-C -: resume):"));
      g_ptr_array_add (lines, g_strdup_printf ("curl -fL -C - -o %s %s", q_part, e->url));
      g_ptr_array_add (lines, g_strdup_printf ("echo '%s  %s' | sha256sum -c && mv %s %s", e->sha256, part,
                                               q_part, q_path));
    }
  return lab_lines_steal (g_steal_pointer (&lines));
}

static gboolean
nothing_to_undo (LabContext *ctx, gpointer data, GError **error)
{
  return TRUE;
}

static const LabStepInfo fetch_step = {
  "iso.fetch", N_("Fetch the install ISO into the ISO cache"), FALSE,
  fetch_check, fetch_apply, nothing_to_undo, fetch_describe,
};

/* ---- nodes.iso ------------------------------------------------------- */

/* Prepared from which ISO: <prepared>.source holds the SHA-256 (or the
 * path) of the ISO it was made from. */
static char *
source_record (const char *prepared)
{
  return g_strconcat (prepared, ".source", NULL);
}

static char *
source_id (LabIsoEntry *e, const char *raw)
{
  return g_strdup (e != NULL ? e->sha256 : raw);
}

static gboolean
prepare_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  g_autoptr(LabIsoEntry) e = NULL;
  g_autofree char *raw = NULL;
  g_autofree char *prepared = lab_proxmox_prepared_iso (ctx);
  g_autofree char *rec = NULL;
  g_autofree char *text = NULL;
  g_autofree char *id = NULL;

  if (!lab_proxmox_iso (ctx, &e, &raw, error))
    return FALSE;
  rec = source_record (prepared);
  id = source_id (e, raw);
  *done = g_file_test (prepared, G_FILE_TEST_IS_REGULAR) && g_file_get_contents (rec, &text, NULL, NULL)
          && g_strcmp0 (g_strstrip (text), id) == 0;
  return TRUE;
}

static char *
mode_file_path (const char *prepared)
{
  return g_strconcat (prepared, ".mode.toml", NULL);
}

static gboolean
prepare_apply (LabContext *ctx, gpointer data, GError **error)
{
  g_autoptr(LabIsoEntry) e = NULL;
  g_autofree char *raw = NULL;
  g_autofree char *prepared = lab_proxmox_prepared_iso (ctx);
  g_autofree char *mode = mode_file_path (prepared);
  g_autofree char *rec = source_record (prepared);
  g_autofree char *id = NULL;
  g_autofree char *line = NULL;
  g_autoptr(LabIsoLock) lock = NULL;
  g_autoptr(GError) local = NULL;

  if (!lab_proxmox_iso (ctx, &e, &raw, error))
    return FALSE;
  if (e != NULL && !lab_iso_is_verified (raw, e->sha256))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_CHECK_FAILED,
                   _("%s is not verified (its SHA-256 was not checked); run `labctl iso verify %s`"), raw, e->name);
      return FALSE;
    }
  lock = lab_iso_lock (prepared, NULL, NULL, error);
  if (lock == NULL)
    return FALSE;
  if (!g_file_set_contents_full (mode, LAB_PVE_MODE_PARTITION, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &local))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot write %s: %s"), mode, local->message);
      return FALSE;
    }
  lab_progress_info (ctx->progress, _("adding /auto-installer-mode.toml to a copy of %s"), raw);
  if (!lab_pve_prepare_iso (ctx->runner, raw, prepared, mode, ctx->cancellable, error))
    return FALSE;
  id = source_id (e, raw);
  line = g_strdup_printf ("%s\n", id);
  if (!g_file_set_contents_full (rec, line, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &local))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot write %s: %s"), rec, local->message);
      return FALSE;
    }
  lab_state_set_string (ctx->state, "pve.iso.prepared", prepared);
  return TRUE;
}

static gboolean
prepare_undo (LabContext *ctx, gpointer data, GError **error)
{
  /* the prepared ISO belongs to the cache, shared by every lab */
  lab_state_remove (ctx->state, "pve.iso.prepared");
  return TRUE;
}

static char **
prepare_describe (LabContext *ctx, gpointer data, gboolean down)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(LabIsoEntry) e = NULL;
  g_autofree char *raw = NULL;
  g_autofree char *prepared = lab_proxmox_prepared_iso (ctx);
  g_autofree char *mode = NULL;

  if (down)
    {
      g_ptr_array_add (lines, g_strdup ("# the prepared ISO stays in the ISO cache: labctl iso remove NAME"));
      return lab_lines_steal (g_steal_pointer (&lines));
    }
  if (prepared == NULL || !lab_proxmox_iso (ctx, &e, &raw, NULL))
    {
      g_ptr_array_add (lines, g_strdup ("# the recipe's install media is not in the ISO catalogue"));
      return lab_lines_steal (g_steal_pointer (&lines));
    }
  mode = mode_file_path (prepared);
  lab_pve_prepare_iso_describe (lines, raw, prepared, mode);
  return lab_lines_steal (g_steal_pointer (&lines));
}

static const LabStepInfo prepare_step = {
  "nodes.iso", N_("Prepare the ISO for the automated installer"), FALSE,
  prepare_check, prepare_apply, prepare_undo, prepare_describe,
};

/* The ISO first: without it nothing else is worth building. */
void
lab_proxmox_add_network_steps (LabPlan *plan, LabContext *ctx)
{
  lab_plan_add_step (plan, &fetch_step, NULL, NULL, NULL, NULL);
  lab_vm_set_network_hosts_func (plan, ctx, lab_pve_network_hosts);
  lab_vm_add_network_steps (plan, ctx);
}

void
lab_proxmox_add_prepare_step (LabPlan *plan, LabContext *ctx)
{
  lab_plan_add_step (plan, &prepare_step, NULL, NULL, NULL, NULL);
}
