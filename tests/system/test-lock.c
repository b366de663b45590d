/* test-lock.c: two real `labctl up` of one lab started together (root).
 * One builds the lab, the other exits at once with code 5 naming the
 * first's command and pid; the lab is then whole (status says it is up, a
 * third `up` changes nothing), and `down` removes everything. The lab is
 * tests/data/e2e.lab without its guest (container flavor, two nodes). */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "lab-runner.h"
#include "stand-test-util.h"

static const char *labctl;
static char *recipe_path;
static char *state_dir;
static char *lab;

typedef struct {
  GSubprocess *proc;
  char        *out;
  char        *err;
  int          status;
} Run;

#define start(...) stand_test_labctl_start (labctl, recipe_path, __VA_ARGS__)

static void
finish (Run *run, GSubprocess *proc)
{
  g_autoptr(GError) error = NULL;

  run->proc = proc;
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  run->status = g_subprocess_get_exit_status (proc);
  g_test_message ("labctl: exit %d\nstdout: %s\nstderr: %s", run->status, run->out, run->err);
}

static void
run_clear (Run *run)
{
  g_clear_object (&run->proc);
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

static void
test_two_ups (void)
{
  GSubprocess *a = start ("up", NULL);
  GSubprocess *b = start ("up", NULL);
  g_autofree char *pid_a = g_strdup (g_subprocess_get_identifier (a));
  g_autofree char *pid_b = g_strdup (g_subprocess_get_identifier (b));
  Run ra = { 0 }, rb = { 0 };
  Run *won, *lost;
  g_autofree char *named = NULL;

  finish (&ra, a);
  finish (&rb, b);
  /* exactly one built it; the other said at once who holds the lab */
  g_assert_true ((ra.status == 0 && rb.status == 5) || (ra.status == 5 && rb.status == 0));
  won = ra.status == 0 ? &ra : &rb;
  lost = ra.status == 0 ? &rb : &ra;
  named = g_strdup_printf ("'labctl up' (pid %s,", won == &ra ? pid_a : pid_b);
  g_assert_nonnull (strstr (lost->err, "is busy"));
  g_assert_nonnull (strstr (lost->err, named));
  run_clear (&ra);
  run_clear (&rb);

  /* the lab is whole */
  {
    Run s = { 0 };
    g_autoptr(JsonParser) p = json_parser_new ();

    finish (&s, start ("status", "--json", NULL));
    g_assert_cmpint (s.status, ==, 0);
    g_assert_true (json_parser_load_from_data (p, s.out, -1, NULL));
    g_assert_true (json_object_get_boolean_member (json_node_get_object (json_parser_get_root (p)), "up"));
    run_clear (&s);
  }
  {
    Run u = { 0 };

    finish (&u, start ("up", NULL));
    g_assert_cmpint (u.status, ==, 0);
    g_assert_nonnull (strstr (u.out, "nothing changed"));
    run_clear (&u);
  }
}

static void
test_down (void)
{
  Run d = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *netns = NULL;
  g_autofree char *prefix = g_strdup_printf ("labctl-%s-", lab);

  finish (&d, start ("down", NULL));
  g_assert_cmpint (d.status, ==, 0);
  run_clear (&d);
  netns = stand_test_run ("ip netns list", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (strstr (netns, prefix));
  g_assert_false (g_file_test (state_dir, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *work = NULL;
  int rc;

  if (!stand_test_init (&argc, &argv, "the lab creates namespaces, a bridge, an iSCSI target and daemons", &labctl))
    return g_test_run ();
  lab = g_strdup_printf ("lock%u", (guint) getpid ());
  /* no guest: the lock is the point, not the guest's boot */
  recipe_path = stand_test_prepare_lab (lab, FALSE, &work, &state_dir, &error);
  if (recipe_path == NULL)
    {
      g_printerr ("cannot prepare the test's lab: %s\n", error->message);
      return 1;
    }
  g_test_add_func ("/lock/two-ups", test_two_ups);
  g_test_add_func ("/lock/down", test_down);
  rc = g_test_run ();
  {
    Run d = { 0 };
    g_autofree char *cmd = g_strdup_printf ("rm -rf %s", work);

    finish (&d, start ("down", NULL));
    run_clear (&d);
    stand_test_run (cmd, NULL, NULL);
  }
  return rc;
}
