/* test-shared-state.c: a lab root built is visible to the users of the
 * libvirt group, its secrets are not (root; no daemon).
 *
 * As root, the state of a lab is recorded in /var/lib/labctl/<lab> as `up`
 * leaves it (every step done, a secret); then, as the user nobody:
 *  - in the libvirt group, `labctl status` shows that lab (exit 0), without
 *    the secret, and `labctl down` says it needs root (exit 4);
 *  - outside it, `labctl status` sees no such lab (exit 3).
 * The files: state.json 0640 and the directory 0750, both group libvirt;
 * secrets.json 0600 root's. */
#include "config.h"

#include <grp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "lab-stand.h"
#include "lab-test-cli.h"
#include "stand-test-util.h"

#define SECRET "r-very-secret-chap"

static char *recipe_path;
static char *lab_dir;
static char *user_state;
static gid_t libvirt_gid;

/* labctl ARGS --recipe <recipe> as nobody, with or without the libvirt group */
static gboolean
run_as_nobody (LabTestRun *run, gboolean in_group, const char *a1, const char *a2)
{
  g_autofree char *groups = in_group ? g_strdup_printf ("--groups=%u", (guint) libvirt_gid)
                                     : g_strdup ("--clear-groups");
  g_autofree char *xdg = g_strdup_printf ("XDG_STATE_HOME=%s", user_state);
  const char * const env[] = { "LABCTL_STATE_DIR", "HOME=/nonexistent", xdg, NULL };
  const char *argv[10] = { "setpriv", "--reuid=65534", "--regid=65534", groups, g_getenv ("LABCTL"), a1 };
  guint n = 6;

  if (a2 != NULL)
    argv[n++] = a2;
  argv[n++] = "--recipe";
  argv[n++] = recipe_path;
  return lab_test_run_argv (run, env, argv);
}

static void
test_files (void)
{
  g_autofree char *state = g_build_filename (lab_dir, "state.json", NULL);
  g_autofree char *secrets = g_build_filename (lab_dir, "secrets.json", NULL);
  g_autofree char *text = NULL;
  struct stat st;

  g_assert_cmpint (g_stat (lab_dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0750);
  g_assert_cmpint (st.st_gid, ==, libvirt_gid);
  g_assert_cmpint (g_stat ("/var/lib/labctl", &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0755, ==, 0755);
  g_assert_cmpint (g_stat (state, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0640);
  g_assert_cmpint (st.st_gid, ==, libvirt_gid);
  g_assert_cmpint (g_stat (secrets, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
  g_assert_cmpint (st.st_uid, ==, 0);
  g_assert_true (g_file_get_contents (state, &text, NULL, NULL));
  g_assert_null (strstr (text != NULL ? text : "", SECRET));
}

static void
test_user_in_group (void)
{
  g_auto(LabTestRun) s = { 0 };
  g_auto(LabTestRun) d = { 0 };
  g_autoptr(JsonParser) p = json_parser_new ();
  g_autofree char *state = g_build_filename (lab_dir, "state.json", NULL);

  if (!run_as_nobody (&s, TRUE, "status", "--json"))
    return;
  g_assert_cmpint (s.status, ==, 0);
  g_assert_null (strstr (s.out, SECRET));
  g_assert_true (json_parser_load_from_data (p, s.out, -1, NULL));
  if (json_parser_get_root (p) != NULL)
    {
      JsonObject *o = json_node_get_object (json_parser_get_root (p));

      g_assert_cmpstr (json_object_get_string_member (o, "state_file"), ==, state);
      g_assert_true (json_object_get_boolean_member (o, "up"));
    }
  /* changing it needs root, and says so */
  if (!run_as_nobody (&d, TRUE, "down", NULL))
    return;
  g_assert_cmpint (d.status, ==, 4);
  g_assert_nonnull (strstr (d.err, "sudo labctl down"));
  g_assert_true (g_file_test (state, G_FILE_TEST_IS_REGULAR));
}

static void
test_user_outside_group (void)
{
  g_auto(LabTestRun) s = { 0 };

  if (!run_as_nobody (&s, FALSE, "status", NULL))
    return;
  g_assert_cmpint (s.status, ==, 3);
  g_assert_null (strstr (s.out, SECRET));
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabStand) stand = NULL;
  g_autofree char *work = NULL, *lab = NULL;
  struct group *g;
  int rc;

  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  if (getuid () != 0)
    {
      g_test_skip ("needs root: writes a lab's state in /var/lib/labctl and runs labctl as another user");
      return g_test_run ();
    }
  if ((g = getgrnam ("libvirt")) == NULL)
    {
      g_test_skip ("no group libvirt on this machine (package libvirt-daemon-system)");
      return g_test_run ();
    }
  libvirt_gid = g->gr_gid;
  g_unsetenv ("LABCTL_STATE_DIR");
  work = g_dir_make_tmp ("labctl-shared-XXXXXX", &error);
  g_assert_no_error (error);
  g_chmod (work, 0755);
  user_state = g_build_filename (work, "nobody-state", NULL);
  lab = g_strdup_printf ("rshare%u", (guint) getpid ());
  recipe_path = stand_test_write_e2e_recipe (work, lab, "unused", "unused", NULL, NULL, &error);
  g_assert_no_error (error);
  g_chmod (recipe_path, 0644);
  lab_dir = g_build_filename ("/var/lib/labctl", lab, NULL);

  /* the state as `sudo labctl up` leaves it */
  stand = lab_stand_open (recipe_path, FALSE, NULL, NULL, &error);
  g_assert_no_error (error);
  if (stand == NULL)
    return 1;
  g_assert_cmpstr (lab_state_get_dir (stand->state), ==, lab_dir);
  for (guint i = 0; i < lab_plan_get_n_steps (stand->plan); i++)
    lab_state_set_step (stand->state, lab_plan_get_step_id (stand->plan, i), LAB_STEP_STATE_DONE, 0.1);
  lab_state_set_secret (stand->state, "storage.chap.password", SECRET);
  g_assert_true (lab_state_save (stand->state, &error));
  g_assert_no_error (error);

  g_test_add_func ("/shared-state/files", test_files);
  g_test_add_func ("/shared-state/user-in-group", test_user_in_group);
  g_test_add_func ("/shared-state/user-outside-group", test_user_outside_group);
  rc = g_test_run ();
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf %s %s", lab_dir, work);
    stand_test_run (cmd, NULL, NULL);
  }
  return rc;
}
