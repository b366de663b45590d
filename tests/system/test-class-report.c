/* test-class-report.c: `labctl class report DIR --format html` on results
 * recorded from real `labctl exercise check --json` runs
 * (tests/data/class/), opened in a real browser: headless Chromium from
 * Debian renders the page to a PNG (kept in the test log dir) and dumps its
 * DOM, which must hold the cells of the table. */
#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

static const char *labctl;

static char *
run (const char * const *argv, int *status, char **err_out)
{
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  g_autofree char *err = NULL;

  proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  if (proc == NULL)
    return NULL;
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  *status = g_subprocess_get_exit_status (proc);
  if (*status != 0)
    g_test_message ("%s: exit %d: %s", argv[0], *status, err);
  if (err_out != NULL)
    *err_out = g_steal_pointer (&err);
  return out;
}

static const char *
chromium (void)
{
  static const char *const names[] = { "/usr/bin/chromium", "/usr/bin/chromium-browser", NULL };

  for (guint i = 0; names[i] != NULL; i++)
    if (g_file_test (names[i], G_FILE_TEST_IS_EXECUTABLE))
      return names[i];
  return NULL;
}

static void
test_html_in_chromium (void)
{
  g_autofree char *data = g_test_build_filename (G_TEST_DIST, "data", "class", NULL);
  g_autofree char *tmp = g_dir_make_tmp ("labctl-class-XXXXXX", NULL);
  g_autofree char *html = g_build_filename (tmp, "report.html", NULL);
  g_autofree char *profile = g_build_filename (tmp, "profile", NULL);
  g_autofree char *log_dir = g_build_filename (LABCTL_BUILD_DIR, "meson-logs", NULL);
  g_autofree char *png = g_build_filename (log_dir, "class-report.png", NULL);
  g_autofree char *shot = g_strconcat ("--screenshot=", png, NULL);
  g_autofree char *dir_arg = g_strconcat ("--user-data-dir=", profile, NULL);
  g_autofree char *url = g_strconcat ("file://", html, NULL);
  g_autofree char *out = NULL, *dom = NULL, *page = NULL;
  const char *browser = chromium ();
  GStatBuf st;
  int rc = -1;

  if (browser == NULL)
    {
      g_test_skip ("no /usr/bin/chromium: install Debian's chromium (scripts/install-deps)");
      return;
    }
  {
    const char *argv[] = { labctl, "class", "report", data, "--format", "html", "-o", html, NULL };
    out = run (argv, &rc, NULL);
    g_assert_cmpint (rc, ==, 0);
  }
  g_assert_true (g_file_get_contents (html, &page, NULL, NULL));
  if (page == NULL)
    return;
  /* self-contained: nothing to fetch, nothing to run */
  g_assert_null (strstr (page, "<script"));
  g_assert_null (strstr (page, "src="));
  g_assert_null (strstr (page, "<link"));

  g_mkdir_with_parents (log_dir, 0755);
  g_unlink (png);
  {
    const char *argv[] = { browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--no-first-run", dir_arg, "--window-size=1280,720", shot, url, NULL };
    g_free (run (argv, &rc, NULL));
    g_assert_cmpint (rc, ==, 0);
  }
  g_assert_cmpint (g_stat (png, &st), ==, 0);
  g_test_message ("screenshot: %s (%lld bytes)", png, (long long) st.st_size);
  g_assert_cmpint (st.st_size, >, 1000);
  {
    g_autofree char *head = NULL;
    gsize len = 0;

    g_assert_true (g_file_get_contents (png, &head, &len, NULL));
    g_assert_true (len > 8 && memcmp (head, "\x89PNG\r\n\x1a\n", 8) == 0);
  }
  /* the DOM the browser built: the table's cells as the recorded results say */
  {
    const char *argv[] = { browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", dir_arg,
                           "--dump-dom", url, NULL };
    dom = run (argv, &rc, NULL);
    g_assert_cmpint (rc, ==, 0);
  }
  g_assert_nonnull (dom);
  if (dom == NULL)
    return;
  g_assert_nonnull (strstr (dom, "<td class=\"pass\" data-seat=\"seat01\" data-exercise=\"snapshot\">PASS</td>"));
  g_assert_nonnull (strstr (dom, "<td class=\"fail\" data-seat=\"seat02\" data-exercise=\"clone\">"));
  g_assert_nonnull (strstr (dom, "remove the &lt;mac&gt; line"));
  g_assert_nonnull (strstr (dom, "<td class=\"fail\" data-seat=\"seat02\" data-exercise=\"migrate\">"));
  g_assert_nonnull (strstr (dom, "<td class=\"none\" data-seat=\"seat03\" data-exercise=\"clone\">"));
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf %s", tmp);
    g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
  }
}

static void
test_text_and_csv (void)
{
  g_autofree char *data = g_test_build_filename (G_TEST_DIST, "data", "class", NULL);
  g_autofree char *text = NULL, *csv = NULL;
  int rc = -1;

  {
    const char *argv[] = { labctl, "class", "report", data, NULL };
    text = run (argv, &rc, NULL);
    g_assert_cmpint (rc, ==, 0);
  }
  g_assert_nonnull (text);
  if (text == NULL)
    return;
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, "seat02 / clone: FAIL"));
  {
    const char *argv[] = { labctl, "class", "report", data, "--format", "csv", NULL };
    csv = run (argv, &rc, NULL);
    g_assert_cmpint (rc, ==, 0);
  }
  g_assert_true (csv != NULL && strstr (csv, "\"seat01\",\"snapshot\",\"PASS\"") != NULL);
  {
    const char *argv[] = { labctl, "class", "report", data, "--format", "pdf", NULL };
    g_free (run (argv, &rc, NULL));
    g_assert_cmpint (rc, ==, 2);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  labctl = g_getenv ("LABCTL");
  if (labctl == NULL)
    labctl = LABCTL_BUILD_DIR "/labctl/labctl";
  g_test_add_func ("/class-report/text-csv", test_text_and_csv);
  g_test_add_func ("/class-report/html-in-chromium", test_html_in_chromium);
  return g_test_run ();
}
