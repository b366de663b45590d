/* stand-test-util.c: helpers shared by the stand's system and e2e tests. */
#include "config.h"

#include <json-glib/json-glib.h>

#include "stand-test-util.h"
#include "lab-test-lvm.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

gboolean
stand_test_tiny_guest (char **kernel, char **initrd, GError **error)
{
  const char *env = g_getenv ("LABCTL_TINY_GUEST_DIR");
  g_autofree char *dir = env != NULL ? g_strdup (env)
                                     : g_build_filename (LABCTL_BUILD_DIR, "tests", "tiny-guest", NULL);
  g_autofree char *script = g_build_filename (LABCTL_SOURCE_DIR, "tests", "lib", "build-tiny-guest.sh", NULL);
  g_autofree char *lock = g_strconcat (dir, ".lock", NULL);
  g_autofree char *parent = g_path_get_dirname (dir);
  /* one build at a time: the stand tests run in parallel (CI: 2), and two
   * scripts writing the same .tmp files break each other */
  const char *argv[] = { "flock", lock, "sh", script, dir, NULL };
  g_autofree char *err = NULL;
  int status = 0;

  g_mkdir_with_parents (parent, 0755);
  /* the script keeps its result while the kernel and the script are the same */
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, &err, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, error))
    {
      g_prefix_error (error, "build-tiny-guest.sh %s: %s: ", dir, err);
      return FALSE;
    }
  /* QEMU runs as libvirt-qemu: the files must be readable on the way */
  g_chmod (dir, 0755);
  *kernel = g_build_filename (dir, "vmlinux", NULL);
  *initrd = g_build_filename (dir, "initramfs.cpio.gz", NULL);
  return TRUE;
}

GSubprocess *
stand_test_labctl_start (const char *labctl, const char *recipe, const char *first, ...)
{
  GSubprocess *proc;
  va_list ap;

  va_start (ap, first);
  proc = stand_test_labctl_start_va (labctl, recipe, first, ap);
  va_end (ap);
  return proc;
}

GSubprocess *
stand_test_labctl_start_va (const char *labctl, const char *recipe, const char *first, va_list ap)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *proc;

  g_ptr_array_add (argv, (char *) labctl);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) a);
  g_ptr_array_add (argv, (char *) "--recipe");
  g_ptr_array_add (argv, (char *) recipe);
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_newv ((const char * const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  if (proc == NULL)
    g_printerr ("cannot start %s: %s\n", labctl, error->message);
  return proc;
}

char *
stand_test_subnet_prefix (void)
{
  guint pid = (guint) getpid ();

  return g_strdup_printf ("10.%u.%u", 64 + ((pid >> 8) & 63), pid & 255);
}

char *
stand_test_run (const char *cmdline, int *exit_status, GError **error)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  if (!g_spawn_command_line_sync (cmdline, &out, &err, &status, error))
    return NULL;
  if (exit_status != NULL)
    {
      *exit_status = WIFEXITED (status) ? WEXITSTATUS (status) : 128;
      return g_steal_pointer (&out);
    }
  if (!g_spawn_check_wait_status (status, error))
    {
      g_prefix_error (error, "%s: %s: ", cmdline, err);
      return NULL;
    }
  return g_steal_pointer (&out);
}

char *
stand_test_write_e2e_recipe (const char *work_dir, const char *lab, const char *kernel,
                             const char *initrd, char **out_guest_address, guint *out_control_port,
                             GError **error)
{
  g_autofree char *src = g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", "e2e.lab", NULL);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *prefix = stand_test_subnet_prefix ();
  g_autofree char *subnet = g_strdup_printf ("%s.0/24", prefix);
  g_autofree char *address = g_strdup_printf ("%s.51", prefix);
  g_autofree char *cmdline = g_strdup_printf ("console=ttyS0 quiet guestip=%s/24", address);
  g_autofree char *path = g_build_filename (work_dir, "e2e.lab", NULL);
  /* never 3260 or control port 0: other tgtd may run on this machine */
  guint portal_port = (guint) g_random_int_range (40000, 60000);
  /* tgtd takes control ports up to 32767 */
  guint control_port = (guint) g_random_int_range (20000, 32000);
  g_autofree char *portal = g_strdup_printf ("%s.1:%u", prefix, portal_port);

  if (!g_key_file_load_from_file (kf, src, G_KEY_FILE_KEEP_COMMENTS, error))
    return NULL;
  g_key_file_set_string (kf, "lab", "name", lab);
  {
    /* a volume group name of its own too: other labs may run on this machine */
    g_autofree char *vg = g_strdup_printf ("vg_%s", lab);
    g_key_file_set_string (kf, "storage", "vg", vg);
  }
  g_key_file_set_string (kf, "network", "subnet", subnet);
  g_key_file_set_string (kf, "storage", "portal", portal);
  g_key_file_set_integer (kf, "storage", "control-port", (int) control_port);
  g_key_file_set_string (kf, "guest tiny", "kernel", kernel);
  g_key_file_set_string (kf, "guest tiny", "initrd", initrd);
  g_key_file_set_string (kf, "guest tiny", "cmdline", cmdline);
  g_key_file_set_string (kf, "guest tiny", "address", address);
  if (!g_key_file_save_to_file (kf, path, error))
    return NULL;
  if (out_guest_address != NULL)
    *out_guest_address = g_steal_pointer (&address);
  if (out_control_port != NULL)
    *out_control_port = control_port;
  return g_steal_pointer (&path);
}

gboolean
stand_test_init (int *argc, char ***argv, const char *why_root, const char **labctl)
{
  g_test_init (argc, argv, NULL);
  g_test_set_nonfatal_assertions ();
  if (g_getenv ("LABCTL") == NULL)
    g_setenv ("LABCTL", LABCTL_BUILD_DIR "/labctl/labctl", TRUE);
  if (labctl != NULL)
    *labctl = g_getenv ("LABCTL");
  if (getuid () != 0)
    {
      g_autofree char *why = g_strconcat ("needs root: ", why_root, NULL);

      g_test_skip (why);
      return FALSE;
    }
  return TRUE;
}

char *
stand_test_prepare_lab (const char *lab, gboolean with_guest, char **work_dir, char **state_dir, GError **error)
{
  g_autofree char *kernel = NULL, *initrd = NULL, *work = NULL, *root = NULL, *recipe = NULL;
  g_autoptr(GKeyFile) kf = g_key_file_new ();

  if (with_guest && !stand_test_tiny_guest (&kernel, &initrd, error))
    return NULL;
  work = g_dir_make_tmp ("labctl-test-XXXXXX", error);
  if (work == NULL)
    return NULL;
  g_chmod (work, 0755);
  root = g_build_filename (work, "state", NULL);
  g_setenv ("LABCTL_STATE_DIR", root, TRUE);
  if (!stand_test_lvm_system_dir (work, error))
    return NULL;
  recipe = stand_test_write_e2e_recipe (work, lab, with_guest ? kernel : "unused", with_guest ? initrd : "unused",
                                        NULL, NULL, error);
  if (recipe == NULL)
    return NULL;
  if (!with_guest
      && (!g_key_file_load_from_file (kf, recipe, G_KEY_FILE_KEEP_COMMENTS, error)
          || !g_key_file_remove_group (kf, "guest tiny", error) || !g_key_file_save_to_file (kf, recipe, error)))
    return NULL;
  *state_dir = g_build_filename (root, lab, NULL);
  *work_dir = g_steal_pointer (&work);
  return g_steal_pointer (&recipe);
}

gboolean
stand_test_lvm_system_dir (const char *work_dir, GError **error)
{
  g_autofree char *dir = lab_test_lvm_system_dir (work_dir, error);

  return dir != NULL;
}

char *
stand_test_labctl_v (const char * const *wrapper, const char *labctl, const char *recipe, int *status,
                     const char *first, va_list ap)
{
  return stand_test_labctl_err_v (wrapper, labctl, recipe, status, NULL, first, ap);
}

char *
stand_test_labctl_err_v (const char * const *wrapper, const char *labctl, const char *recipe, int *status,
                         char **out_err, const char *first, va_list ap)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  gint64 t0 = g_get_monotonic_time ();
  gboolean recipe_added = FALSE;

  for (guint i = 0; wrapper != NULL && wrapper[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) wrapper[i]);
  g_ptr_array_add (argv, (char *) labctl);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    {
      /* before "--": what follows it is the command of `nodes ssh` */
      if (g_str_equal (a, "--") && !recipe_added)
        {
          g_ptr_array_add (argv, (char *) "--recipe");
          g_ptr_array_add (argv, (char *) recipe);
          recipe_added = TRUE;
        }
      g_ptr_array_add (argv, (char *) a);
    }
  if (!recipe_added)
    {
      g_ptr_array_add (argv, (char *) "--recipe");
      g_ptr_array_add (argv, (char *) recipe);
    }
  g_ptr_array_add (argv, NULL);
  *status = -1;
  proc = g_subprocess_newv ((const char * const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  if (proc == NULL)
    return NULL;
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  *status = g_subprocess_get_exit_status (proc);
  if (*status != 0 || g_test_verbose ())
    g_test_message ("labctl %s: exit %d in %.1f s\nstdout: %s\nstderr: %s", first, *status,
                    (g_get_monotonic_time () - t0) / 1e6, out, err);
  if (out_err != NULL)
    *out_err = g_steal_pointer (&err);
  return g_steal_pointer (&out);
}

char *
stand_test_guest_id_command (const char *address)
{
  return g_strdup_printf ("curl -s -m 20 --retry 2 --retry-all-errors http://%s/cgi-bin/id", address);
}

static gboolean
alive (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  const char *paren;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return FALSE;
  paren = strrchr (stat, ')');
  return paren != NULL && paren[1] == ' ' && paren[2] != 'Z';
}

static gboolean process_with (const char *needle, gboolean say);

gboolean
stand_test_process_with (const char *needle)
{
  return process_with (needle, TRUE);
}

gboolean
stand_test_process_running (const char *needle)
{
  return process_with (needle, FALSE);
}

static gboolean
process_with (const char *needle, gboolean say)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  gboolean found = FALSE;

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc", name, "cmdline", NULL);
      g_autofree char *cmd = NULL;
      gsize len = 0;

      if (!g_ascii_isdigit (name[0]) || !g_file_get_contents (path, &cmd, &len, NULL))
        continue;
      for (gsize k = 0; k + 1 < len; k++)
        if (cmd[k] == '\0')
          cmd[k] = ' ';
      if (strstr (cmd, needle) != NULL && alive (atoi (name)))
        {
          if (!say)
            return TRUE;
          g_test_message ("left: pid %s: %s", name, cmd);
          found = TRUE;
        }
    }
  return found;
}

char *
stand_test_step_status (const char *state_dir, const char *step_id)
{
  g_autofree char *path = g_build_filename (state_dir, "state.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *steps;

  /* state.json is replaced by rename: a read sees a whole file */
  if (!json_parser_load_from_file (parser, path, NULL) || (root = json_parser_get_root (parser)) == NULL
      || !JSON_NODE_HOLDS_OBJECT (root))
    return g_strdup ("");
  steps = json_object_get_object_member (json_node_get_object (root), "steps");
  if (steps == NULL || !json_object_has_member (steps, step_id))
    return g_strdup ("");
  return g_strdup (json_object_get_string_member (json_object_get_object_member (steps, step_id), "status"));
}

int
stand_test_finish (GSubprocess *proc, char **out_err)
{
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, out_err, &error);
  g_assert_no_error (error);
  return g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc)
                                           : 128 + g_subprocess_get_term_sig (proc);
}

char *
stand_test_write_ha_recipe (const char *work_dir, const char *lab, const char *kernel, const char *initrd,
                            const char *description, char **out_guest_address, GError **error)
{
  g_autofree char *path = stand_test_write_e2e_recipe (work_dir, lab, kernel, initrd, out_guest_address, NULL,
                                                       error);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *vg = g_strdup_printf ("vg_%s", lab);

  if (path == NULL || !g_key_file_load_from_file (kf, path, G_KEY_FILE_KEEP_COMMENTS, error))
    return NULL;
  g_key_file_set_string (kf, "lab", "description", description);
  g_key_file_set_integer (kf, "nodes", "count", 3);
  g_key_file_set_string (kf, "storage", "vg", vg);
  g_key_file_set_integer (kf, "cluster", "token", 1000);
  if (!g_key_file_save_to_file (kf, path, error))
    return NULL;
  return g_steal_pointer (&path);
}

gboolean
stand_test_crm_mon_state (const char *xml, const char *resource, gboolean *quorate, guint *online, char **on)
{
  g_autofree char *open = g_strdup_printf ("<resource id=\"%s\"", resource);
  const char *p;

  *quorate = FALSE;
  *online = 0;
  if (on != NULL)
    *on = NULL;
  if (xml == NULL || strstr (xml, "<pacemaker-result") == NULL)
    return FALSE;
  *quorate = strstr (xml, "with_quorum=\"true\"") != NULL;
  for (p = xml; (p = strstr (p, "online=\"true\"")) != NULL; p++)
    (*online)++;
  /* the node inside the resource's element, if it has one */
  if (on != NULL && (p = strstr (xml, open)) != NULL)
    {
      const char *end = strstr (p, "</resource>");

      if (end != NULL && (p = strstr (p, "<node name=\"")) != NULL && p < end)
        *on = g_strndup (p + strlen ("<node name=\""), strcspn (p + strlen ("<node name=\""), "\""));
    }
  return TRUE;
}

gint64
stand_test_phase_ms (JsonObject *o, const char *id)
{
  JsonArray *phases = json_object_has_member (o, "phases") ? json_object_get_array_member (o, "phases") : NULL;

  for (guint i = 0; phases != NULL && i < json_array_get_length (phases); i++)
    {
      JsonObject *p = json_array_get_object_element (phases, i);

      if (g_str_equal (json_object_get_string_member (p, "id"), id))
        return json_object_get_int_member (p, "offset_ms");
    }
  return -1;
}

void
stand_test_assert_phases (JsonObject *o, const char *const *ids)
{
  gint64 last = 0;

  for (guint i = 0; ids[i] != NULL; i++)
    {
      gint64 t = stand_test_phase_ms (o, ids[i]);

      g_test_message ("%s at %" G_GINT64_FORMAT " ms", ids[i], t);
      g_assert_cmpint (t, >=, 0);
      g_assert_cmpint (t, >=, last);
      last = t;
    }
}
