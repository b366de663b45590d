/* bench-stand.c: the stand's figures in one run, on the e2e lab
 * (tests/data/e2e.lab: 2 container nodes, a tiny guest):
 *   - `labctl up`: the time of every step;
 *   - `labctl reset` against `labctl down` + `labctl up` (goal: <= 10 %);
 *   - live-migration downtime: the probe's figure next to libvirt's.
 * Needs root. `meson test --benchmark -C build` or run it directly. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "bench-goal.h"
#include "stand-test-util.h"

#define MIGRATIONS 4
#define RESETS     3

static const char *labctl;
static char *recipe;

static JsonParser *
labctl_json (const char *what, const char *arg2, GError **error)
{
  g_autoptr(GSubprocess) proc = NULL;
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (arg2 != NULL)
    proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, error,
                             labctl, what, arg2, "--json", "--recipe", recipe, NULL);
  else
    proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, error,
                             labctl, what, "--json", "--recipe", recipe, NULL);
  if (proc == NULL || !g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, error))
    return NULL;
  if (g_subprocess_get_exit_status (proc) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "labctl %s failed: %s", what, err);
      return NULL;
    }
  if (!json_parser_load_from_data (parser, out, -1, error))
    return NULL;
  return g_steal_pointer (&parser);
}

static JsonObject *
root (JsonParser *p)
{
  return json_node_get_object (json_parser_get_root (p));
}

static gboolean
bench (GError **error)
{
  g_autoptr(JsonParser) up = NULL;
  g_autoptr(GArray) resets = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) probe_dt = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) libvirt_dt = g_array_new (FALSE, FALSE, sizeof (double));
  JsonArray *steps;
  double down_s, up_s, reset_s;

  /* 1. up, step by step */
  if ((up = labctl_json ("up", NULL, error)) == NULL)
    return FALSE;
  steps = json_object_get_array_member (root (up), "steps");
  printf ("labctl up: %.2f s in all\n", json_object_get_double_member (root (up), "seconds"));
  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      JsonObject *st = json_array_get_object_element (steps, i);
      printf ("  %7.2f s  %-8s %s\n", json_object_get_double_member (st, "seconds"),
              json_object_get_string_member (st, "result"), json_object_get_string_member (st, "id"));
    }

  /* 2. migrations: probe vs libvirt */
  printf ("\nlive migration (ping every 10 ms from the host; libvirt's completed-job stats):\n");
  for (guint i = 0; i < MIGRATIONS; i++)
    {
      g_autoptr(JsonParser) m = labctl_json ("experiment", "migrate", error);
      JsonObject *o, *probe, *lv;
      double p, l;

      if (m == NULL)
        return FALSE;
      o = root (m);
      probe = json_object_get_object_member (o, "probe");
      lv = json_object_get_object_member (o, "libvirt");
      p = json_object_get_double_member (probe, "downtime_ms");
      l = lv != NULL ? (double) json_object_get_int_member (lv, "downtime_ms") : -1;
      g_array_append_val (probe_dt, p);
      g_array_append_val (libvirt_dt, l);
      printf ("  %s -> %s: probe %6.1f ms (%2" G_GINT64_FORMAT " lost)   libvirt %4.0f ms   "
              "migration %4" G_GINT64_FORMAT " ms, %.1f MiB, command %.2f s\n",
              json_object_get_string_member (o, "from"), json_object_get_string_member (o, "to"), p,
              json_object_get_int_member (probe, "lost"), l,
              lv != NULL ? json_object_get_int_member (lv, "time_elapsed_ms") : -1,
              lv != NULL ? json_object_get_int_member (lv, "data_transferred") / 1048576.0 : 0,
              json_object_get_double_member (o, "command_seconds"));
    }
  {
    double p = bench_median (probe_dt), l = bench_median (libvirt_dt);

    printf ("  median downtime: probe %.1f ms, libvirt %.0f ms (probe/libvirt %.2f)\n", p, l, l > 0 ? p / l : 0);
  }

  /* 3. reset against down + up */
  for (guint i = 0; i < RESETS; i++)
    {
      g_autoptr(JsonParser) r = labctl_json ("reset", NULL, error);
      double s;

      if (r == NULL)
        return FALSE;
      s = json_object_get_double_member (root (r), "reset_seconds");
      g_array_append_val (resets, s);
    }
  {
    g_autoptr(JsonParser) d = labctl_json ("down", NULL, error);
    g_autoptr(JsonParser) u = NULL;

    if (d == NULL)
      return FALSE;
    down_s = json_object_get_double_member (root (d), "seconds");
    if ((u = labctl_json ("up", NULL, error)) == NULL)
      return FALSE;
    up_s = json_object_get_double_member (root (u), "seconds");
  }
  reset_s = bench_median (resets);
  printf ("\nreset: %.2f s (median of %u)   down + up: %.2f s + %.2f s = %.2f s   "
          "reset / (down + up) = %.1f %% (goal <= 10 %%: %s)\n",
          reset_s, RESETS, down_s, up_s, down_s + up_s, 100.0 * reset_s / (down_s + up_s),
          bench_goal ("reset / (down + up) <= 10 %", reset_s / (down_s + up_s) <= 0.10));
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *kernel = NULL, *initrd = NULL, *work = NULL, *lab = NULL, *st = NULL;
  gboolean ok;

  if (getuid () != 0)
    {
      printf ("bench-stand: skipped: needs root (namespaces, bridge, iSCSI target, libvirtd)\n");
      return 0;
    }
  labctl = g_getenv ("LABCTL");
  if (labctl == NULL)
    labctl = LABCTL_BUILD_DIR "/labctl/labctl";
  if (g_getenv ("LABCTL") == NULL)
    g_setenv ("LABCTL", labctl, TRUE);
  if (!stand_test_tiny_guest (&kernel, &initrd, &error))
    {
      fprintf (stderr, "bench-stand: %s\n", error->message);
      return 1;
    }
  work = g_dir_make_tmp ("labctl-bench-XXXXXX", &error);
  g_chmod (work, 0755);
  st = g_build_filename (work, "state", NULL);
  g_setenv ("LABCTL_STATE_DIR", st, TRUE);
  lab = g_strdup_printf ("bench%u", (guint) getpid ());
  if (!stand_test_lvm_system_dir (work, &error))
    {
      fprintf (stderr, "bench-stand: %s\n", error->message);
      return 1;
    }
  recipe = stand_test_write_e2e_recipe (work, lab, kernel, initrd, NULL, NULL, &error);
  if (recipe == NULL)
    {
      fprintf (stderr, "bench-stand: %s\n", error->message);
      return 1;
    }
  ok = bench (&error);
  if (!ok)
    fprintf (stderr, "bench-stand: %s\n", error->message);
  {
    g_autoptr(GError) e2 = NULL;
    g_autoptr(JsonParser) d = labctl_json ("down", NULL, &e2);
    g_autofree char *cmd = g_strdup_printf ("rm -rf %s", work);
    g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
  }
  bench_goal_summary ("bench-stand");
  return ok ? 0 : 1;
}
