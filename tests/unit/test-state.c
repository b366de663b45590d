/* test-state.c: LabState persistence, atomicity and refusal of bad files. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab-error.h"
#include "lab-state.h"
#include "lab-test-fs.h"

typedef struct {
  char *dir;     /* the state dir (created by save) lives inside */
  char *state_dir;
  char *path;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("labctl-test-state-XXXXXX", &error);
  g_assert_no_error (error);
  f->state_dir = g_build_filename (f->dir, "labs", "course", NULL);
  f->path = g_build_filename (f->state_dir, "state.json", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  lab_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->state_dir);
  g_free (f->path);
}

static void
write_state_file (Fixture *f, const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (f->state_dir, 0700), ==, 0);
  g_file_set_contents (f->path, contents, -1, &error);
  g_assert_no_error (error);
}

static char *
read_file (const char *path)
{
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  return contents;
}

static void
test_missing_is_empty (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabState) state = lab_state_load (f->state_dir, "course", &error);

  g_assert_no_error (error);
  g_assert_nonnull (state);
  g_assert_true (lab_state_is_empty (state));
  g_assert_cmpstr (lab_state_get_path (state), ==, f->path);
  g_assert_cmpstr (lab_state_get_dir (state), ==, f->state_dir);
  g_assert_cmpstr (lab_state_get_lab_name (state), ==, "course");
  /* nothing is written until save */
  g_assert_false (g_file_test (f->state_dir, G_FILE_TEST_EXISTS));
}

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabState) state = lab_state_load (f->state_dir, "course", &error);
  g_autoptr(LabState) again = NULL;
  g_auto(GStrv) keys = NULL;
  struct stat st;

  g_assert_no_error (error);
  lab_state_set_string (state, "storage.tgt.iqn", "iqn.2024-01.lab.course:storage");
  lab_state_set_int (state, "storage.tgt.tid", 7);
  lab_state_set_int (state, "storage.image.size", G_GINT64_CONSTANT (107374182400));
  lab_state_set_bool (state, "storage.loop.attached", TRUE);
  lab_state_set_bool (state, "net.created", FALSE);
  lab_state_set_secret (state, "nodes.pve1.root-password", "Pa55-w0rd");
  lab_state_set_recipe_hash (state, "abc123");
  lab_state_set_step (state, "storage.image", LAB_STEP_STATE_DONE, 0.25);
  lab_state_set_step (state, "storage.target", LAB_STEP_STATE_STARTED, 0);
  lab_state_set_step (state, "storage.gone", LAB_STEP_STATE_DONE, 1);
  lab_state_set_step (state, "storage.gone", LAB_STEP_STATE_NONE, 0);
  g_assert_false (lab_state_is_empty (state));
  g_assert_true (lab_state_save (state, &error));
  g_assert_no_error (error);

  /* what is public, readable by the group; the secrets by the owner alone */
  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0640);
  g_assert_cmpint (g_stat (f->state_dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0750);
  {
    g_autofree char *secrets = g_build_filename (f->state_dir, "secrets.json", NULL);
    g_autofree char *public_text = read_file (f->path);
    g_autofree char *secret_text = read_file (secrets);

    g_assert_cmpint (g_stat (secrets, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
    g_assert_nonnull (public_text);
    g_assert_null (strstr (public_text != NULL ? public_text : "", "Pa55-w0rd"));
    g_assert_null (strstr (public_text != NULL ? public_text : "", "secrets"));
    g_assert_nonnull (strstr (secret_text != NULL ? secret_text : "", "Pa55-w0rd"));
  }

  again = lab_state_load (f->state_dir, "course", &error);
  g_assert_no_error (error);
  g_assert_nonnull (again);
  g_assert_cmpstr (lab_state_get_string (again, "storage.tgt.iqn"), ==, "iqn.2024-01.lab.course:storage");
  g_assert_cmpint (lab_state_get_int (again, "storage.tgt.tid", -1), ==, 7);
  g_assert_cmpint (lab_state_get_int (again, "storage.image.size", -1), ==, G_GINT64_CONSTANT (107374182400));
  g_assert_true (lab_state_get_bool (again, "storage.loop.attached", FALSE));
  g_assert_false (lab_state_get_bool (again, "net.created", TRUE));
  g_assert_cmpstr (lab_state_get_secret (again, "nodes.pve1.root-password"), ==, "Pa55-w0rd");
  g_assert_cmpstr (lab_state_get_recipe_hash (again), ==, "abc123");
  g_assert_cmpint (lab_state_get_step (again, "storage.image"), ==, LAB_STEP_STATE_DONE);
  g_assert_cmpfloat_with_epsilon (lab_state_get_step_seconds (again, "storage.image"), 0.25, 1e-9);
  g_assert_cmpint (lab_state_get_step (again, "storage.target"), ==, LAB_STEP_STATE_STARTED);
  g_assert_cmpint (lab_state_get_step (again, "storage.gone"), ==, LAB_STEP_STATE_NONE);
  g_assert_cmpint (lab_state_get_step (again, "never"), ==, LAB_STEP_STATE_NONE);

  /* fallbacks and type mismatches */
  g_assert_null (lab_state_get_string (again, "absent"));
  g_assert_null (lab_state_get_string (again, "storage.tgt.tid"));
  g_assert_cmpint (lab_state_get_int (again, "storage.tgt.iqn", 42), ==, 42);
  g_assert_true (lab_state_get_bool (again, "absent", TRUE));
  g_assert_true (lab_state_has (again, "net.created"));
  g_assert_false (lab_state_has (again, "nodes.pve1.root-password"));

  keys = lab_state_list_keys (again, "storage.");
  g_assert_cmpuint (g_strv_length (keys), ==, 4);
  g_assert_cmpstr (keys[0], ==, "storage.image.size");
  g_assert_cmpstr (keys[1], ==, "storage.loop.attached");
  g_assert_cmpstr (keys[2], ==, "storage.tgt.iqn");
  g_assert_cmpstr (keys[3], ==, "storage.tgt.tid");

  lab_state_remove_prefix (again, "storage.tgt.");
  lab_state_remove (again, "net.created");
  g_clear_pointer (&keys, g_strfreev);
  keys = lab_state_list_keys (again, NULL);
  g_assert_cmpuint (g_strv_length (keys), ==, 2);
}

/* A state.json from before secrets.json: its secrets are read, and the
 * next save moves them out of it. */
static void
test_secrets_migrate (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabState) state = NULL;
  g_autoptr(LabState) again = NULL;
  g_autofree char *secrets = g_build_filename (f->state_dir, "secrets.json", NULL);
  g_autofree char *text = NULL;

  write_state_file (f, "{ \"format\": 1, \"lab\": \"course\", \"steps\": {}, "
                       "\"resources\": { \"a\": 1 }, \"secrets\": { \"chap\": \"old-secret\" } }");
  state = lab_state_load (f->state_dir, "course", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lab_state_get_secret (state, "chap"), ==, "old-secret");
  g_assert_true (lab_state_save (state, &error));
  text = read_file (f->path);
  g_assert_null (strstr (text, "old-secret"));
  g_assert_true (g_file_test (secrets, G_FILE_TEST_IS_REGULAR));
  again = lab_state_load (f->state_dir, "course", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lab_state_get_secret (again, "chap"), ==, "old-secret");
  /* delete removes both files */
  g_assert_true (lab_state_delete (again, &error));
  g_assert_false (g_file_test (secrets, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (f->path, G_FILE_TEST_EXISTS));
}

static void
test_public_json (Fixture *f, gconstpointer data)
{
  g_autoptr(LabState) state = lab_state_new_in_memory ("course");
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *root;

  lab_state_set_secret (state, "chap.password", "very-secret");
  lab_state_set_int (state, "storage.tgt.tid", 3);
  lab_state_set_step (state, "storage.target", LAB_STEP_STATE_DONE, 1.5);
  node = lab_state_to_json_public (state);
  text = json_to_string (node, FALSE);
  g_assert_null (strstr (text, "very-secret"));
  root = json_node_get_object (node);
  g_assert_cmpint (json_object_get_int_member (root, "format"), ==, LAB_STATE_FORMAT);
  g_assert_cmpstr (json_object_get_string_member (root, "lab"), ==, "course");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "resources"),
                                               "storage.tgt.tid"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (json_object_get_object_member (root, "steps"),
                                                    "storage.target"), "status"), ==, "done");
  /* in memory: save does nothing and succeeds */
  g_assert_null (lab_state_get_path (state));
  g_assert_true (lab_state_save (state, &error));
  g_assert_no_error (error);
}

static void
test_corrupt (Fixture *f, gconstpointer data)
{
  const char *garbage = "{ \"format\": 1, \"lab\": \"course\", \"steps\": { oops";
  g_autoptr(GError) error = NULL;
  g_autoptr(LabState) state = NULL;
  g_autofree char *after = NULL;

  write_state_file (f, garbage);
  state = lab_state_load (f->state_dir, "course", &error);
  g_assert_null (state);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_STATE);
  g_assert_nonnull (strstr (error->message, f->path));
  g_assert_nonnull (strstr (error->message, "not valid JSON"));
  g_assert_nonnull (strstr (error->message, "left untouched"));
  g_assert_nonnull (strstr (error->message, "labctl down --force"));
  g_assert_true (g_regex_match_simple ("not valid JSON \\(1:\\d+: ", error->message, 0, 0));
  after = read_file (f->path);
  g_assert_cmpstr (after, ==, garbage);
  g_clear_error (&error);

  /* valid JSON, wrong shape */
  write_state_file (f, "[1, 2]");
  g_assert_null (lab_state_load (f->state_dir, "course", &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_STATE);
  g_clear_error (&error);
  write_state_file (f, "{ \"format\": 1, \"lab\": \"course\", \"resources\": [] }");
  g_assert_null (lab_state_load (f->state_dir, "course", &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_STATE);
}

static void
test_newer_format (Fixture *f, gconstpointer data)
{
  const char *newer = "{ \"format\": 99, \"lab\": \"course\", \"steps\": {}, \"resources\": {} }";
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;

  write_state_file (f, newer);
  g_assert_null (lab_state_load (f->state_dir, "course", &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_STATE);
  g_assert_nonnull (strstr (error->message, "newer labctl"));
  after = read_file (f->path);
  g_assert_cmpstr (after, ==, newer);
}

static void
test_lab_mismatch (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  write_state_file (f, "{ \"format\": 1, \"lab\": \"other\" }");
  g_assert_null (lab_state_load (f->state_dir, "course", &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_STATE);
  g_assert_nonnull (strstr (error->message, "'other'"));
}

static void
test_delete (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabState) state = lab_state_load (f->state_dir, "course", &error);

  lab_state_set_bool (state, "x", TRUE);
  g_assert_true (lab_state_save (state, &error));
  g_assert_true (g_file_test (f->path, G_FILE_TEST_EXISTS));
  g_assert_true (lab_state_delete (state, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (f->path, G_FILE_TEST_EXISTS));
  /* deleting twice is fine */
  g_assert_true (lab_state_delete (state, &error));
  g_assert_no_error (error);
}

static int
count_temp_files (const char *dir_path)
{
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  int n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, ".state.json."))
      n++;
  return n;
}

/* A crash after the new state is written but before it replaces the old
 * one: the old state stays readable and the next save works. */
static void
test_crash_before_rename (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabState) state = lab_state_load (f->state_dir, "course", &error);
  g_autoptr(LabState) reloaded = NULL;
  g_autoptr(LabState) final = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  pid_t pid;
  int wstatus = 0;

  lab_state_set_int (state, "storage.tgt.tid", 1);
  g_assert_true (lab_state_save (state, &error));
  before = read_file (f->path);

  lab_state_set_int (state, "storage.tgt.tid", 2);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      g_setenv ("LABCTL_STATE_CRASH_BEFORE_RENAME", "1", TRUE);
      lab_state_save (state, NULL);
      _exit (0); /* not reached: the hook exits with 99 */
    }
  g_assert_cmpint (waitpid (pid, &wstatus, 0), ==, pid);
  g_assert_true (WIFEXITED (wstatus));
  g_assert_cmpint (WEXITSTATUS (wstatus), ==, 99);

  /* the half-done save left its temp file, the state is unchanged */
  g_assert_cmpint (count_temp_files (f->state_dir), ==, 1);
  after = read_file (f->path);
  g_assert_cmpstr (after, ==, before);
  reloaded = lab_state_load (f->state_dir, "course", &error);
  g_assert_no_error (error);
  g_assert_cmpint (lab_state_get_int (reloaded, "storage.tgt.tid", -1), ==, 1);

  /* the next save succeeds over the stale temp file */
  lab_state_set_int (reloaded, "storage.tgt.tid", 3);
  g_assert_true (lab_state_save (reloaded, &error));
  g_assert_no_error (error);
  final = lab_state_load (f->state_dir, "course", &error);
  g_assert_no_error (error);
  g_assert_cmpint (lab_state_get_int (final, "storage.tgt.tid", -1), ==, 3);
}

static void
test_dir_for_lab (void)
{
  g_autofree char *saved = g_strdup (g_getenv ("LABCTL_STATE_DIR"));
  g_autofree char *with_env = NULL;
  g_autofree char *without = NULL;

  g_setenv ("LABCTL_STATE_DIR", "/tmp/labctl-states", TRUE);
  with_env = lab_state_dir_for_lab ("course");
  g_assert_cmpstr (with_env, ==, "/tmp/labctl-states/course");

  g_unsetenv ("LABCTL_STATE_DIR");
  without = lab_state_dir_for_lab ("course");
  if (getuid () == 0)
    g_assert_cmpstr (without, ==, "/var/lib/labctl/course");
  else
    {
      g_autofree char *expected = g_build_filename (g_get_user_state_dir (), "labctl", "course", NULL);
      g_assert_cmpstr (without, ==, expected);
    }
  if (saved != NULL)
    g_setenv ("LABCTL_STATE_DIR", saved, TRUE);
}

#define WRITES 300

static int writer_done;

static gpointer
write_many (gpointer data)
{
  Fixture *f = data;
  g_autoptr(LabState) disk = NULL;
  g_autoptr(GError) error = NULL;

  disk = lab_state_load (f->state_dir, "course", &error);
  g_assert_no_error (error);
  for (int i = 1; i <= WRITES && disk != NULL; i++)
    {
      g_autofree char *key = g_strdup_printf ("grow.key%d", i);

      /* a file that grows, so that a torn read would show */
      lab_state_set_int (disk, "counter", i);
      lab_state_set_string (disk, key, "a value long enough to make the file grow by a few blocks");
      lab_state_set_secret (disk, "secret", key);
      if (!lab_state_save (disk, &error))
        break;
    }
  g_assert_no_error (error);
  g_atomic_int_set (&writer_done, 1);
  return NULL;
}

/* A reader (status) while `up` saves after every step: it reads the old or
 * the new state, never half of one, and never waits. */
static void
test_concurrent_readers (Fixture *f, gconstpointer data)
{
  GThread *writer = g_thread_new ("writer", write_many, f);
  gint64 last = 0;
  guint reads = 0;

  while (last < WRITES && !g_atomic_int_get (&writer_done))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(LabState) state = lab_state_load (f->state_dir, "course", &error);
      gint64 n;

      g_assert_no_error (error);
      if (state == NULL)
        break;
      n = lab_state_get_int (state, "counter", 0);
      /* never backwards; what it holds belongs together */
      g_assert_cmpint (n, >=, last);
      if (n > 0)
        {
          g_autofree char *key = g_strdup_printf ("grow.key%d", (int) n);
          g_assert_true (lab_state_has (state, key));
        }
      last = n;
      reads++;
    }
  g_thread_join (writer);
  g_test_message ("%u reads during %d writes", reads, WRITES);
  g_assert_cmpuint (reads, >, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/state/load/missing-is-empty", test_missing_is_empty);
  ADD ("/state/round-trip", test_round_trip);
  ADD ("/state/public-json", test_public_json);
  ADD ("/state/secrets-migrate", test_secrets_migrate);
  ADD ("/state/load/corrupt", test_corrupt);
  ADD ("/state/load/newer-format", test_newer_format);
  ADD ("/state/load/lab-mismatch", test_lab_mismatch);
  ADD ("/state/delete", test_delete);
  ADD ("/state/save/crash-before-rename", test_crash_before_rename);
  ADD ("/state/concurrent-readers", test_concurrent_readers);
#undef ADD
  g_test_add_func ("/state/dir-for-lab", test_dir_for_lab);

  return g_test_run ();
}
