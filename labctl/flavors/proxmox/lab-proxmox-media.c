/* lab-proxmox-media.c: the install media of the Proxmox nodes, on files:
 *
 *  - the prepared ISO: what `proxmox-auto-install-assistant prepare-iso
 *    --fetch-from partition` does (its main.rs, see the research note
 *    section 1), with the same xorriso calls: /auto-installer-capable
 *    must be on the ISO; its volume UUID is read from the system area
 *    report; a copy gets /auto-installer-mode.toml as a new session with
 *    `-boot_image any keep -volume_date uuid U` (boot images and UUID kept,
 *    nothing remastered). The checks read the ISO with -indev (read-only);
 *    the assistant opens it with -dev.
 *  - the answer image of a node: a 1.44 MB FAT file system labelled
 *    PROXMOX-AIS with answer.toml in its root, made by mkfs.vfat -C and
 *    mcopy (mtools): no mount, no root.
 */
#include "config.h"

#include "lab-proxmox.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-runner.h"
#include "lab-util.h"

#define ANSWER_IMAGE_KIB "1440"

char *
lab_pve_prepared_iso_path (const char *iso)
{
  g_autofree char *stem = g_str_has_suffix (iso, ".iso") ? g_strndup (iso, strlen (iso) - 4) : g_strdup (iso);

  return g_strconcat (stem, "-auto-from-partition.iso", NULL);
}

static char **
capable_argv (const char *iso)
{
  return lab_strv_new ("xorriso", "-indev", iso, "-find", "/auto-installer-capable", NULL);
}

static char **
uuid_argv (const char *iso)
{
  return lab_strv_new ("xorriso", "-indev", iso, "-report_system_area", "cmd", NULL);
}

static char **
inject_argv (const char *uuid, const char *tmp, const char *mode_file)
{
  return lab_strv_new ("xorriso", "-boot_image", "any", "keep", "-volume_date", "uuid", uuid, "-dev", tmp, "-map",
                       mode_file, "/auto-installer-mode.toml", NULL);
}

static char *
argv_line (char **argv)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autofree char *q = lab_shell_quote (argv[i]);
      g_string_append_printf (s, "%s%s", i > 0 ? " " : "", q);
    }
  return g_string_free (s, FALSE);
}

/* The UUID from xorriso's "-volume_date uuid '2026112200054200'" line. */
static char *
parse_uuid (const char *report)
{
  g_auto(GStrv) lines = g_strsplit (report != NULL ? report : "", "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *l = g_strstrip (lines[i]);
      const char *v;

      if (!g_str_has_prefix (l, "-volume_date uuid "))
        continue;
      v = l + strlen ("-volume_date uuid ");
      {
        g_autofree char *u = g_strdup (v);
        g_strdelimit (u, "'", ' ');
        return g_strdup (g_strstrip (u));
      }
    }
  return NULL;
}

gboolean
lab_pve_prepare_iso (LabRunner *runner, const char *iso, const char *dest, const char *mode_file,
                     GCancellable *cancellable, GError **error)
{
  g_auto(GStrv) capable = capable_argv (iso);
  g_auto(GStrv) report = uuid_argv (iso);
  g_auto(GStrv) inject = NULL;
  g_autofree char *tmp = g_strconcat (dest, ".tmp", NULL);
  g_autofree char *out = NULL;
  g_autofree char *uuid = NULL;
  g_autoptr(GFile) src = g_file_new_for_path (iso);
  g_autoptr(GFile) dst = g_file_new_for_path (tmp);
  g_autoptr(GError) local = NULL;
  int status = 0;

  if (!lab_runner_run_full (runner, (const char * const *) capable, LAB_RUN_QUERY, NULL, 0, &status, NULL, NULL,
                            cancellable, error))
    return FALSE;
  if (status != 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED,
                   _("%s is not able to be installed automatically: it has no /auto-installer-capable (xorriso exit "
                     "%d); use a Proxmox VE ISO of 8.1 or later (`labctl iso list`)"), iso, status);
      return FALSE;
    }
  if (!lab_runner_run (runner, (const char * const *) report, LAB_RUN_QUERY, &out, error))
    return FALSE;
  uuid = parse_uuid (out);
  if (uuid == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED,
                   _("Cannot read the volume UUID of %s (no \"-volume_date uuid\" in xorriso's system area report); "
                     "is it an ISO 9660 image?"), iso);
      return FALSE;
    }
  g_unlink (tmp);
  if (!g_file_copy (src, dst, G_FILE_COPY_OVERWRITE, cancellable, NULL, NULL, &local))
    {
      g_unlink (tmp);
      g_set_error (error, LAB_ERROR,
                   g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NO_SPACE) ? LAB_ERROR_NO_SPACE : LAB_ERROR_FAILED,
                   _("Cannot copy %s to %s: %s"), iso, tmp, local->message);
      return FALSE;
    }
  inject = inject_argv (uuid, tmp, mode_file);
  if (!lab_runner_run (runner, (const char * const *) inject, LAB_RUN_DEFAULT, NULL, error))
    {
      g_unlink (tmp);
      return FALSE;
    }
  if (g_rename (tmp, dest) != 0)
    {
      int e = errno;
      g_unlink (tmp);
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot rename %s to %s: %s"), tmp, dest, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

void
lab_pve_prepare_iso_describe (GPtrArray *lines, const char *iso, const char *dest, const char *mode_file)
{
  g_auto(GStrv) capable = capable_argv (iso);
  g_auto(GStrv) report = uuid_argv (iso);
  g_autofree char *tmp = g_strconcat (dest, ".tmp", NULL);
  g_auto(GStrv) inject = inject_argv ("$uuid", tmp, mode_file);
  g_autofree char *l1 = argv_line (capable);
  g_autofree char *l2 = argv_line (report);
  g_autofree char *l3 = argv_line (inject);
  g_autofree char *q_iso = lab_shell_quote (iso);
  g_autofree char *q_tmp = lab_shell_quote (tmp);
  g_autofree char *q_dest = lab_shell_quote (dest);
  g_autofree char *q_mode = lab_shell_quote (mode_file);

  g_ptr_array_add (lines, g_strdup ("# what `proxmox-auto-install-assistant prepare-iso --fetch-from partition` does:"));
  /* the exact bytes of LAB_PVE_MODE_PARTITION, its newlines as \n */
  g_ptr_array_add (lines, g_strdup_printf ("printf 'mode = \"partition\"\\npartition_label = \"proxmox-ais\"\\n\\n"
                                           "[http]\\n' > %s", q_mode));
  g_ptr_array_add (lines, g_strdup_printf ("%s  # refused unless it exits 0", l1));
  g_ptr_array_add (lines, g_strdup_printf ("uuid=$(%s | sed -n \"s/^-volume_date uuid '\\(.*\\)'$/\\1/p\")", l2));
  g_ptr_array_add (lines, g_strdup_printf ("cp %s %s", q_iso, q_tmp));
  /* "$uuid" must stay unquoted by lab_shell_quote's single quotes */
  {
    g_autofree char *quoted_uuid = lab_shell_quote ("$uuid");
    g_auto(GStrv) parts = g_strsplit (l3, quoted_uuid, -1);
    g_ptr_array_add (lines, g_strjoinv ("\"$uuid\"", parts));
  }
  g_ptr_array_add (lines, g_strdup_printf ("mv %s %s", q_tmp, q_dest));
}

static char **
mkfs_argv (const char *image)
{
  return lab_strv_new ("mkfs.vfat", "-C", "-n", LAB_PVE_ANSWER_LABEL, image, ANSWER_IMAGE_KIB, NULL);
}

static char **
mcopy_argv (const char *answer_file, const char *image)
{
  return lab_strv_new ("mcopy", "-o", "-i", image, answer_file, "::answer.toml", NULL);
}

gboolean
lab_pve_answer_image (LabRunner *runner, const char *answer_file, const char *image, GError **error)
{
  g_autofree char *tmp = g_strconcat (image, ".tmp", NULL);
  g_auto(GStrv) mkfs = mkfs_argv (tmp);
  g_auto(GStrv) mcopy = mcopy_argv (answer_file, tmp);

  /* mkfs.vfat -C refuses an existing file */
  g_unlink (tmp);
  if (!lab_runner_run (runner, (const char * const *) mkfs, LAB_RUN_DEFAULT, NULL, error)
      || !lab_runner_run (runner, (const char * const *) mcopy, LAB_RUN_DEFAULT, NULL, error))
    {
      g_unlink (tmp);
      return FALSE;
    }
  if (lab_runner_is_dry_run (runner))
    return TRUE;
  /* it holds the password hash */
  if (g_chmod (tmp, 0600) != 0 || g_rename (tmp, image) != 0)
    {
      int e = errno;
      g_unlink (tmp);
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot write %s: %s"), image, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

void
lab_pve_answer_image_describe (GPtrArray *lines, const char *answer_file, const char *image)
{
  g_auto(GStrv) mkfs = mkfs_argv (image);
  g_auto(GStrv) mcopy = mcopy_argv (answer_file, image);

  g_ptr_array_add (lines, argv_line (mkfs));
  g_ptr_array_add (lines, argv_line (mcopy));
}
