/* test-i18n.c: the Russian translation.
 *
 * Runs the built labctl (env LABCTL) with LANGUAGE=ru against the message
 * catalogue built into the build tree (LABCTL_LOCALEDIR, set by test_env), checks
 * the plural forms of the catalogue, and checks that po/ru.po translates every
 * message of the current sources (xgettext + msgmerge + msgfmt --statistics). */
#include "config.h"

#include <libintl.h>
#include <locale.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "lab-test-cli.h"

/* glibc honours LANGUAGE whenever LC_MESSAGES is not "C"/"POSIX"; C.UTF-8 exists
 * on every Debian system, ru_RU.UTF-8 often does not. */
#define RU_LC_ALL "C.UTF-8"

static const char * const ru_env[] = {
  "LANGUAGE=ru", "LC_ALL=" RU_LC_ALL, "LC_MESSAGES", NULL
};

/* Runs argv (NULL-terminated); when @russian, with LANGUAGE=ru. */
static gboolean
run_argv (LabTestRun *result, gboolean russian, const char * const *argv)
{
  return lab_test_run_argv (result, russian ? ru_env : NULL, argv);
}

#define run_labctl_ru(result, ...) lab_test_run_labctl_env ((result), ru_env, __VA_ARGS__)

static void
test_catalogue_built (void)
{
  const char *dir = g_getenv ("LABCTL_LOCALEDIR");
  g_autofree char *mo = NULL;

  g_assert_nonnull (dir);
  if (dir == NULL)
    return;
  mo = g_build_filename (dir, "ru", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);
  g_assert_true (g_file_test (mo, G_FILE_TEST_IS_REGULAR));
}

static void
test_help (void)
{
  g_auto(LabTestRun) r = { 0 };

  if (!run_labctl_ru (&r, "--help", NULL))
    return;
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "Команды:\n"));
  g_assert_nonnull (strstr (r.out, "Использование: labctl"));
  g_assert_null (strstr (r.out, "Commands:"));
  /* command names stay untranslated, in their column */
  g_assert_nonnull (strstr (r.out, "\n  recipe       "));
}

/* As README's user runs it after its first command: the build tree's
 * labctl, LANGUAGE=ru, none of the test environment's variables. */
static void
test_build_tree (void)
{
  static const char * const user_env[] = {
    "LANGUAGE=ru", "LC_ALL=" RU_LC_ALL, "LC_MESSAGES", "LABCTL_LOCALEDIR", "LABCTL_DATA_DIR", NULL
  };
  const char * const argv[] = { LABCTL_BUILD_DIR "/labctl/labctl", "--help", NULL };
  g_auto(LabTestRun) r = { 0 };

  if (!lab_test_run_argv (&r, user_env, argv))
    return;
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "Команды:\n"));
  g_assert_null (strstr (r.out, "Commands:"));
}

/* Counts take the plural their number needs, in both languages. */
static void
test_count_plurals (void)
{
  g_autofree char *recipe = g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", "e2e.lab", NULL);
  g_auto(LabTestRun) en = { 0 };
  g_auto(LabTestRun) ru = { 0 };

  if (lab_test_run_labctl (&en, "up", "--dry-run", "--recipe", recipe, NULL))
    g_assert_nonnull (strstr (en.out, ", 2 nodes, 1 guest\n"));
  if (run_labctl_ru (&ru, "up", "--dry-run", "--recipe", recipe, NULL))
    g_assert_nonnull (strstr (ru.out, ", 2 узла, 1 гость\n"));
}

static void
test_command_help (void)
{
  g_auto(LabTestRun) r = { 0 };

  if (!run_labctl_ru (&r, "recipe", "--help", NULL))
    return;
  g_assert_cmpint (r.status, ==, 0);
  /* the option descriptions come from labctl's own domain */
  g_assert_nonnull (strstr (r.out, "Машиночитаемый вывод в JSON"));
  g_assert_nonnull (strstr (r.out, "--json"));
}

static void
test_unknown_command (void)
{
  g_auto(LabTestRun) r = { 0 };

  if (!run_labctl_ru (&r, "no-such-command", NULL))
    return;
  g_assert_cmpint (r.status, ==, 2);
  g_assert_cmpstr (r.out, ==, "");
  g_assert_nonnull (strstr (r.err, "labctl: неизвестная команда 'no-such-command'"));
}

static void
test_recipe_error (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("labctl-i18n-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_auto(LabTestRun) r = { 0 };

  g_assert_no_error (error);
  if (dir == NULL)
    return;
  path = g_build_filename (dir, "bad.lab", NULL);
  g_file_set_contents (path, "[lab]\nname = Bad\n", -1, &error);
  g_assert_no_error (error);
  if (run_labctl_ru (&r, "recipe", "validate", path, NULL))
    {
      g_autofree char *expect = g_strdup_printf ("%s:2: ", path);

      g_assert_cmpint (r.status, ==, 1);
      g_assert_nonnull (strstr (r.err, expect));
      g_assert_nonnull (strstr (r.err, "имя стенда 'Bad' должно начинаться со строчной буквы"));
      g_assert_null (strstr (r.err, "must start"));
    }
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_recipe_plural (void)
{
  g_auto(LabTestRun) r = { 0 };
  g_autofree char *path = g_build_filename (g_getenv ("LABCTL_DATA_DIR"), "recipes", "proxmox-3node.lab", NULL);

  if (!run_labctl_ru (&r, "recipe", "validate", path, NULL))
    return;
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, ": OK (стенд 'course', 3 узла, вариант proxmox)\n"));
}

/* Russian has three plural forms: 1, 21 (one); 2-4, 22 (few); 0, 5-20, 11-14 (many). */
static void
test_plural_forms (void)
{
  static const struct { unsigned long n; const char *word; } cases[] = {
    { 1, "узел" }, { 21, "узел" }, { 101, "узел" },
    { 2, "узла" }, { 3, "узла" }, { 4, "узла" }, { 22, "узла" },
    { 0, "узлов" }, { 5, "узлов" }, { 11, "узлов" }, { 12, "узлов" }, { 14, "узлов" }, { 111, "узлов" },
  };
  const char *dir = g_getenv ("LABCTL_LOCALEDIR");

  g_assert_nonnull (dir);
  if (dir == NULL)
    return;
  g_setenv ("LANGUAGE", "ru", TRUE);
  g_assert_nonnull (setlocale (LC_ALL, RU_LC_ALL));
  bindtextdomain (GETTEXT_PACKAGE, dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *s = dngettext (GETTEXT_PACKAGE, "%u node: %s, plus 1 GiB for the host",
                                 "%u nodes: %s, plus 1 GiB for the host", cases[i].n);
      g_autofree char *expect = g_strdup_printf ("%%u %s: %%s, ", cases[i].word);

      g_test_message ("n=%lu: %s", cases[i].n, s);
      g_assert_true (g_str_has_prefix (s, expect));
    }
  setlocale (LC_ALL, "C");
  g_unsetenv ("LANGUAGE");
}

static gboolean
uses_gettext (const char *text)
{
  static const char * const calls[] = { "_ (\"", "_(\"", "N_ (\"", "N_(\"", "C_ (", "C_(",
                                        "NC_ (", "NC_(", "g_dngettext (", "g_dngettext(", NULL };

  for (const char * const *c = calls; *c != NULL; c++)
    for (const char *p = strstr (text, *c); p != NULL; p = strstr (p + 1, *c))
      {
        /* "_ (" must not be the tail of an identifier such as LAB_ ("  */
        if (p == text || !(g_ascii_isalnum (p[-1]) || p[-1] == '_'))
          return TRUE;
      }
  return FALSE;
}

/* The .c files with translatable strings under dir (relative to srcdir),
 * in every sub-folder: each must be listed in po/POTFILES.in. */
static void
check_potfiles_in (const char *srcdir, const char *rel_dir, const char * const *listed, guint *checked)
{
  g_autofree char *path = g_build_filename (srcdir, rel_dir, NULL);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr(GError) error = NULL;
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);
      g_autofree char *rel = g_strdup_printf ("%s/%s", rel_dir, name);
      g_autofree char *text = NULL;

      if (g_file_test (file, G_FILE_TEST_IS_DIR))
        {
          check_potfiles_in (srcdir, rel, listed, checked);
          continue;
        }
      if (!g_str_has_suffix (name, ".c"))
        continue;
      g_file_get_contents (file, &text, NULL, &error);
      g_assert_no_error (error);
      g_clear_error (&error);
      if (text == NULL || !uses_gettext (text))
        continue;
      (*checked)++;
      if (!g_strv_contains (listed, rel))
        g_test_message ("%s has translatable strings but is missing from po/POTFILES.in", rel);
      g_assert_true (g_strv_contains (listed, rel));
    }
}

/* Every source file with translatable strings is listed in po/POTFILES.in. */
static void
test_potfiles_complete (void)
{
  static const char * const dirs[] = { "labctl", "gui", NULL };
  const char *srcdir = LABCTL_SOURCE_DIR;
  g_autofree char *potfiles_path = g_build_filename (srcdir, "po", "POTFILES.in", NULL);
  g_autofree char *potfiles = NULL;
  g_auto(GStrv) listed = NULL;
  g_autoptr(GError) error = NULL;
  guint checked = 0;

  g_file_get_contents (potfiles_path, &potfiles, NULL, &error);
  g_assert_no_error (error);
  if (potfiles == NULL)
    return;
  listed = g_strsplit (potfiles, "\n", -1);
  for (const char * const *d = dirs; *d != NULL; d++)
    check_potfiles_in (srcdir, *d, (const char * const *) listed, &checked);
  g_assert_cmpuint (checked, >, 0);
}

static char *
need_program (const char *name)
{
  char *path = g_find_program_in_path (name);

  if (path == NULL)
    g_test_message ("%s is not installed (Debian package gettext)", name);
  g_assert_nonnull (path);
  return path;
}

/* po/ru.po translates every message of the current sources: extract the
 * messages afresh (as `meson compile labctl-pot` does), merge ru.po into them and
 * let msgfmt count. New strings show up as untranslated, changed ones as fuzzy. */
static void
test_po_complete (void)
{
  const char *srcdir = LABCTL_SOURCE_DIR;
  g_autofree char *xgettext = need_program ("xgettext");
  g_autofree char *msgmerge = need_program ("msgmerge");
  g_autofree char *msgfmt = need_program ("msgfmt");
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("labctl-po-XXXXXX", &error);
  g_autofree char *potfiles = g_build_filename (srcdir, "po", "POTFILES.in", NULL);
  g_autofree char *ru_po = g_build_filename (srcdir, "po", "ru.po", NULL);
  g_autofree char *pot = NULL;
  g_autofree char *merged = NULL;
  g_auto(LabTestRun) x = { 0 };
  g_auto(LabTestRun) m = { 0 };
  g_auto(LabTestRun) f = { 0 };

  g_assert_no_error (error);
  if (tmp == NULL || xgettext == NULL || msgmerge == NULL || msgfmt == NULL)
    return;
  pot = g_build_filename (tmp, "labctl.pot", NULL);
  merged = g_build_filename (tmp, "ru.po", NULL);
  {
    /* the language by file name: C, and the desktop file and polkit policy
     * of the GUI (gettext's ITS rules) */
    const char *argv[] = { xgettext, "--from-code=UTF-8",
                           "--keyword=_", "--keyword=N_", "--keyword=C_:1c,2", "--keyword=NC_:1c,2",
                           "--keyword=g_dcgettext:2", "--keyword=g_dngettext:2,3",
                           "--keyword=g_dpgettext2:2c,3", "--flag=g_dngettext:2:pass-c-format",
                           "--flag=g_strdup_printf:1:c-format", "--flag=g_set_error:4:c-format",
                           "--package-name=labctl", "-D", srcdir, "-f", potfiles, "-o", pot, NULL };

    if (run_argv (&x, FALSE, argv))
      {
        g_assert_cmpint (x.status, ==, 0);
        /* e.g. a G_GUINT64_FORMAT spliced into a msgid: gettext cannot translate it */
        g_assert_null (strstr (x.err, "warning"));
      }
  }
  {
    const char *argv[] = { msgmerge, "--quiet", "-o", merged, ru_po, pot, NULL };

    if (run_argv (&m, FALSE, argv))
      g_assert_cmpint (m.status, ==, 0);
  }
  {
    const char *argv[] = { msgfmt, "--check", "--statistics", "-o", "/dev/null", merged, NULL };

    if (run_argv (&f, FALSE, argv))
      {
        g_assert_cmpint (f.status, ==, 0);
        g_assert_nonnull (strstr (f.err, "translated message"));
        g_assert_null (strstr (f.err, "untranslated"));
        g_assert_null (strstr (f.err, "fuzzy"));
      }
  }
  g_unlink (pot);
  g_unlink (merged);
  g_rmdir (tmp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

  g_test_add_func ("/i18n/catalogue-built", test_catalogue_built);
  g_test_add_func ("/i18n/ru/help", test_help);
  g_test_add_func ("/i18n/ru/build-tree", test_build_tree);
  g_test_add_func ("/i18n/count-plurals", test_count_plurals);
  g_test_add_func ("/i18n/ru/command-help", test_command_help);
  g_test_add_func ("/i18n/ru/unknown-command", test_unknown_command);
  g_test_add_func ("/i18n/ru/recipe-error", test_recipe_error);
  g_test_add_func ("/i18n/ru/recipe-plural", test_recipe_plural);
  g_test_add_func ("/i18n/ru/plural-forms", test_plural_forms);
  g_test_add_func ("/i18n/potfiles-complete", test_potfiles_complete);
  g_test_add_func ("/i18n/ru/po-complete", test_po_complete);
  return g_test_run ();
}
