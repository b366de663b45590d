/* Benchmark of the kvm flavor's node image (root; network access to the
 * Debian mirror when the cache is cold): the build as `labctl up` runs it
 * (lab_kvm_image_build), cold when the cache dir has no image of this
 * format, then warm (the cached entry found). The cache is
 * $LABCTL_CACHE_DIR (the test environment: /var/tmp/labctl-cache), so a
 * second run measures the warm case twice; `--cold` removes the image
 * first (the package cache stays: a rebuild after a format change).
 * Figures: seconds, with the goals (warm < 1 s; cold < 10 min). */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "lab-kvm.h"
#include "lab-kvm-private.h"
#include "lab-plan.h"
#include "lab-runner.h"

static double
build_once (LabContext *ctx, gboolean *ok)
{
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();

  *ok = lab_kvm_image_build (ctx, &error);
  if (!*ok)
    g_printerr ("bench-kvm: image build failed: %s\n", error->message);
  return (g_get_monotonic_time () - t0) / 1e6;
}

int
main (int argc, char **argv)
{
  g_autoptr(LabRunner) runner = NULL;
  g_autoptr(LabProgress) progress = NULL;
  g_autofree char *dir = NULL;
  LabContext ctx = { 0 };
  gboolean ok, cold, remove_first = argc > 1 && g_str_equal (argv[1], "--cold");
  double first, warm;

  if (geteuid () != 0)
    {
      g_print ("bench-kvm: needs root (mmdebstrap, mke2fs of a root file system)\n");
      return 77;
    }
  if (g_getenv ("LABCTL_CACHE_DIR") == NULL)
    g_setenv ("LABCTL_CACHE_DIR", "/var/tmp/labctl-cache", TRUE);
  runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  progress = lab_progress_new_for_stream (stdout);
  ctx.runner = runner;
  ctx.progress = progress;
  dir = lab_kvm_image_dir ();
  if (remove_first)
    {
      const char *rm[] = { "rm", "-rf", dir, NULL };
      lab_runner_run (runner, rm, 0, NULL, NULL);
    }
  cold = !g_file_test (dir, G_FILE_TEST_IS_DIR);
  first = build_once (&ctx, &ok);
  if (!ok)
    return 1;
  warm = build_once (&ctx, &ok);
  if (!ok)
    return 1;
  g_print ("image %s\n", dir);
  g_print ("image build %s: %.1f s (goal < 600 s: %s)\n", cold ? "cold" : "warm (cached already)", first,
           first < 600 ? "met" : "MISSED");
  g_print ("image build warm: %.3f s (goal < 1 s: %s)\n", warm, warm < 1 ? "met" : "MISSED");
  return 0;
}
