/* test-interrupt.c: `labctl up` interrupted by SIGTERM or SIGINT (root).
 *
 * At a few steps of the e2e lab (tests/data/e2e.lab: two container nodes,
 * a tiny guest), `up` gets SIGTERM or SIGINT once the state file shows the
 * step "started" (guests.start: each signal once at once, once when the
 * guest's QEMU runs: issue 15, item 6), must exit 130 with the state saved, and a plain
 * `down` right after must remove everything: no QEMU of the guest, no
 * daemon, no namespace, no state directory. (SIGKILL in the middle of a
 * step, then `up` again: tests/e2e.) */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "lab-guest.h"
#include "lab-recipe.h"
#include "lab-runner.h"
#include "stand-test-util.h"

static const char *labctl;
static char *lab;
static char *recipe_path;
static char *state_dir;
static char *guest_uuid;

typedef struct {
  int         signo;
  const char *step;
  gboolean    qemu_runs;  /* and once the guest's QEMU runs */
  const char *name;
} Moment;

/* each cycle builds the lab up to the step: about 20 s */
static const Moment moments[] = {
  { SIGINT,  "nodes.libvirtd:node2", FALSE, "sigint/nodes.libvirtd" },
  { SIGTERM, "guests.start:tiny",    FALSE, "sigterm/guests.start" },
  { SIGINT,  "guests.start:tiny",    FALSE, "sigint/guests.start" },
  { SIGTERM, "guests.start:tiny",    TRUE,  "sigterm/guests.start-qemu-runs" },
  { SIGINT,  "guests.start:tiny",    TRUE,  "sigint/guests.start-qemu-runs" },
  { SIGTERM, "guests.snapshot:tiny", FALSE, "sigterm/guests.snapshot" },
};

static char *
step_status (const char *step_id)
{
  return stand_test_step_status (state_dir, step_id);
}

static gboolean
guest_qemu_runs (void)
{
  return stand_test_process_running (guest_uuid);
}

static void
test_moment (gconstpointer data)
{
  const Moment *m = data;
  g_autoptr(GSubprocess) up = stand_test_labctl_start (labctl, recipe_path, "up", NULL);
  g_autoptr(GSubprocess) down = NULL;
  g_autofree char *status = NULL;
  g_autofree char *up_err = NULL, *down_err = NULL;
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  GPid pid;
  int rc;

  g_assert_nonnull (up);
  if (up == NULL)
    return;
  pid = (GPid) atoi (g_subprocess_get_identifier (up));
  for (;;)
    {
      g_free (status);
      status = step_status (m->step);
      if (g_str_equal (status, "done"))
        break;
      if (g_str_equal (status, "started") && (!m->qemu_runs || guest_qemu_runs ()))
        break;
      if (g_get_monotonic_time () > deadline || !lab_process_alive (pid))
        break;
      g_usleep (2000);
    }
  g_subprocess_send_signal (up, m->signo);
  rc = stand_test_finish (up, &up_err);
  g_test_message ("%s at step %s ('%s'): up exited %d: %s", g_strsignal (m->signo), m->step, status, rc, up_err);
  g_assert_cmpstr (status, ==, "started");
  g_assert_cmpint (rc, ==, 130);
  g_assert_nonnull (strstr (up_err, "Interrupted"));

  /* a plain down right after removes everything, the guest's QEMU too */
  down = stand_test_labctl_start (labctl, recipe_path, "down", NULL);
  g_assert_nonnull (down);
  if (down == NULL)
    return;
  rc = stand_test_finish (down, &down_err);
  g_assert_cmpint (rc, ==, 0);
  if (rc != 0)
    g_test_message ("down: %s", down_err);
  {
    g_autofree char *state_dir_slash = g_strconcat (state_dir, "/", NULL);
    g_autoptr(GError) error = NULL;
    g_autofree char *netns = stand_test_run ("ip netns list", NULL, &error);
    g_autofree char *prefix = g_strdup_printf ("labctl-%s-", lab);

    g_assert_false (stand_test_process_with (guest_uuid));
    g_assert_false (stand_test_process_with (state_dir_slash));
    g_assert_no_error (error);
    g_assert_null (strstr (netns != NULL ? netns : "", prefix));
    g_assert_false (g_file_test (state_dir, G_FILE_TEST_EXISTS));
  }
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *work = NULL;
  int rc;

  if (!stand_test_init (&argc, &argv, "the lab creates namespaces, a bridge, an iSCSI target and daemons", &labctl))
    return g_test_run ();
  lab = g_strdup_printf ("int%u", (guint) getpid ());
  recipe_path = stand_test_prepare_lab (lab, TRUE, &work, &state_dir, &error);
  if (recipe_path == NULL)
    {
      g_printerr ("cannot prepare the test's lab: %s\n", error->message);
      return 1;
    }
  {
    g_autoptr(LabRecipe) r = lab_recipe_load (recipe_path, &error);

    g_assert_no_error (error);
    if (r == NULL)
      return 1;
    guest_uuid = lab_guest_uuid (r, lab_recipe_find_guest (r, "tiny"));
  }
  for (guint i = 0; i < G_N_ELEMENTS (moments); i++)
    {
      g_autofree char *path = g_strdup_printf ("/interrupt/%s", moments[i].name);
      g_test_add_data_func (path, &moments[i], test_moment);
    }
  rc = g_test_run ();
  {
    g_autoptr(GSubprocess) d = stand_test_labctl_start (labctl, recipe_path, "down", NULL);
    g_autofree char *err = NULL;
    g_autofree char *cmd = g_strdup_printf ("rm -rf %s", work);

    if (d != NULL)
      stand_test_finish (d, &err);
    stand_test_run (cmd, NULL, NULL);
  }
  return rc;
}
