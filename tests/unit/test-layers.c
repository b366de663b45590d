/* test-layers.c: the dependency rule of HACKING.md ("Layers"), checked on
 * the sources. Every .c and .h under labctl/ and gui/ is read, and each
 * #include, process spawn and use of a library is held against the two
 * tables below. The same checker runs on a fixture tree with known faults
 * (tests/data/layers), so a checker that no longer finds anything fails
 * there instead of passing here in silence. */
#include "config.h"

#include <string.h>

#include <glib.h>

/* The layers, lowest first. A file may include the headers of its own layer
 * and of the layers before it; a front end (cli/, gui/) only those of its
 * own folder and of the layers in front_end_uses. Sub-folders belong to
 * their folder's layer (flavors/vm, flavors/container ...). Folders that do
 * not exist yet have their place already. */
typedef struct {
  const char *dir;        /* relative to the source root */
  gboolean    front_end;
} Layer;

static const Layer layers[] = {
  { "labctl/core",        FALSE },
  { "labctl/recipe",      FALSE },
  { "labctl/iso",         FALSE },
  { "labctl/storage",     FALSE },
  { "labctl/virt",        FALSE },
  { "labctl/host",        FALSE },
  { "labctl/cluster",     FALSE },
  { "labctl/flavors",     FALSE },
  { "labctl/experiments", FALSE },
  { "labctl/exercises",   FALSE },
  { "labctl/stand",       FALSE },
  { "labctl/cli",         TRUE },
  { "gui",                TRUE },
};

static const char * const front_end_uses[] = { "labctl/core", "labctl/recipe", "labctl/stand", NULL };

/* Where the rest of the system may be touched: each row is a pattern and
 * the files (globs, relative to the root) allowed to match it. For one
 * match the first row that fits decides, so the narrower row comes first
 * (virterror.h before the rest of libvirt). */
typedef enum {
  USE_INCLUDE,  /* the name in an #include <...> */
  USE_CALL,     /* a call in the code; group 1 is the function */
  USE_NAME,     /* a name in the code; group 1 is the name */
} UseKind;

typedef struct {
  const char *rule;         /* short name, what the fixture test compares */
  UseKind     kind;
  const char *pattern;      /* a GRegex */
  const char *allowed[4];   /* NULL-terminated */
  const char *why;
  const char *fix;
} UseRule;

/* A call of one of the names, not of a member of the same name (ops->fork). */
#define CALL_OF(names) "(?<![\\w.])(?<!->)(" names ")\\s*\\("

/* gui/lab-gui-child.c: the GUI reads its labctl child's --progress=json
 * stream line by line from the main loop, which the runner (it waits and
 * hands back the whole output) does not do (HACKING.md, "The GUI") */
#define SPAWN_ONLY { "labctl/core/lab-runner*.c", "gui/lab-gui-child.c" }
#define SPAWN_WHY "processes are started only by the runner (core/lab-runner.c)"
#define SPAWN_FIX "run the program through the LabRunner the code is given"
#define LIBVIRT_ONLY { "labctl/virt/*", "labctl/flavors/*" }
#define LIBVIRT_WHY "libvirt connections belong in virt/ or flavors/"
#define LIBVIRT_FIX "move the call there and call it"

static const UseRule use_rules[] = {
  { "spawn", USE_NAME, "\\b(g_spawn_\\w+|g_subprocess_\\w+|GSubprocess\\w*)", SPAWN_ONLY,
    SPAWN_WHY, SPAWN_FIX },
  { "spawn", USE_CALL,
    CALL_OF ("fork|vfork|execl|execle|execlp|execv|execve|execvp|execvpe|execveat|fexecve"
             "|posix_spawnp?|system|popen"), SPAWN_ONLY,
    SPAWN_WHY, SPAWN_FIX },
  { "libvirt", USE_INCLUDE, "^libvirt/virterror\\.h$",
    { "labctl/virt/*", "labctl/host/*", "labctl/flavors/*" },
    "libvirt's error types are used only in virt/, host/ and flavors/", "move the code there and call it" },
  { "libvirt", USE_INCLUDE, "^libvirt/", LIBVIRT_ONLY, LIBVIRT_WHY, LIBVIRT_FIX },
  { "libvirt", USE_CALL, CALL_OF ("virConnectOpen\\w*"), LIBVIRT_ONLY, LIBVIRT_WHY, LIBVIRT_FIX },
  { "osinfo", USE_INCLUDE, "^osinfo/", { "labctl/virt/*" },
    "libosinfo belongs in virt/", "ask virt/lab-osinfo.h instead" },
  { "gtk", USE_INCLUDE, "^(gtk|gdk)/|^adwaita\\.h$", { "gui/*" },
    "GTK and libadwaita belong in gui/", "move the code to gui/" },
  { "soup", USE_INCLUDE, "^libsoup/", { "labctl/iso/*", "labctl/flavors/*" },
    "libsoup (downloads) belongs in iso/ and flavors/", "download through iso/" },
};

/* The folders checked, relative to the root. */
static const char * const checked_dirs[] = { "labctl", "gui", NULL };

typedef struct {
  char       *path;   /* relative to the root */
  guint       line;
  const char *rule;   /* a use rule's name, or "layer", "header", "layout" */
  char       *text;   /* path:line: what: why; fix */
} Violation;

static void
violation_free (gpointer data)
{
  Violation *v = data;

  g_free (v->path);
  g_free (v->text);
  g_free (v);
}

typedef struct {
  const char *root;
  GHashTable *headers;      /* basename -> path relative to the root */
  GRegex     *include;
  GRegex     *uses[G_N_ELEMENTS (use_rules)];
  GPtrArray  *violations;   /* of Violation */
} Checker;

static void
checker_clear (Checker *c)
{
  g_clear_pointer (&c->headers, g_hash_table_unref);
  g_clear_pointer (&c->include, g_regex_unref);
  for (guint i = 0; i < G_N_ELEMENTS (c->uses); i++)
    g_clear_pointer (&c->uses[i], g_regex_unref);
  g_clear_pointer (&c->violations, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Checker, checker_clear)

static void add_violation (Checker *c, const char *path, guint line, const char *rule,
                           const char *format, ...) G_GNUC_PRINTF (5, 6);

static void
add_violation (Checker *c, const char *path, guint line, const char *rule, const char *format, ...)
{
  Violation *v = g_new0 (Violation, 1);
  g_autofree char *body = NULL;
  va_list args;

  va_start (args, format);
  body = g_strdup_vprintf (format, args);
  va_end (args);
  v->path = g_strdup (path);
  v->line = line;
  v->rule = rule;
  v->text = g_strdup_printf ("%s:%u: %s", path, line, body);
  g_ptr_array_add (c->violations, v);
}

static const Layer *
layer_of (const char *path)
{
  for (guint i = 0; i < G_N_ELEMENTS (layers); i++)
    {
      gsize len = strlen (layers[i].dir);

      if (strncmp (path, layers[i].dir, len) == 0 && path[len] == '/')
        return &layers[i];
    }
  return NULL;
}

/* "labctl/stand" -> "stand", as HACKING.md names the folders */
static const char *
short_dir (const char *dir)
{
  return g_str_has_prefix (dir, "labctl/") ? dir + strlen ("labctl/") : dir;
}

static gboolean
layer_may_use (const Layer *user, const Layer *used)
{
  if (user == used)
    return TRUE;
  if (user->front_end)
    return g_strv_contains (front_end_uses, used->dir);
  return used < user;
}

/* "core/, recipe/ and stand/" */
static char *
front_end_uses_text (void)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; front_end_uses[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append (s, front_end_uses[i + 1] == NULL ? " and " : ", ");
      g_string_append_printf (s, "%s/", short_dir (front_end_uses[i]));
    }
  return g_string_free (s, FALSE);
}

/* The code of a C file with every comment and the insides of every string
 * and character literal blanked out, byte for byte, so that lines and
 * columns still match the text: a fork() in a comment or a message is no
 * call, and the quotes of #include "x.h" stay where they were. */
typedef enum { IN_CODE, IN_LINE_COMMENT, IN_BLOCK_COMMENT, IN_STRING, IN_CHAR } LexState;

static void
blank (char *code, gsize i)
{
  if (code[i] != '\n')
    code[i] = ' ';
}

static char *
code_only (const char *text)
{
  char *code = g_strdup (text);
  LexState state = IN_CODE;

  for (gsize i = 0; text[i] != '\0'; i++)
    {
      char ch = text[i];
      char next = text[i + 1];

      switch (state)
        {
        case IN_CODE:
          if (ch == '/' && next == '*')
            state = IN_BLOCK_COMMENT;
          else if (ch == '/' && next == '/')
            state = IN_LINE_COMMENT;
          else if (ch == '"')
            state = IN_STRING;
          else if (ch == '\'')
            state = IN_CHAR;
          if (state == IN_BLOCK_COMMENT || state == IN_LINE_COMMENT)
            {
              blank (code, i++);
              blank (code, i);
            }
          break;
        case IN_LINE_COMMENT:
          /* a backslash at the end of the line continues the comment */
          if (ch == '\\' && next == '\n')
            blank (code, i++);
          else if (ch == '\n')
            state = IN_CODE;
          else
            blank (code, i);
          break;
        case IN_BLOCK_COMMENT:
          if (ch == '*' && next == '/')
            {
              blank (code, i++);
              state = IN_CODE;
            }
          blank (code, i);
          break;
        case IN_STRING:
        case IN_CHAR:
          if (ch == '\\' && next != '\0')
            {
              blank (code, i++);
              blank (code, i);
            }
          else if (ch == (state == IN_STRING ? '"' : '\'') || ch == '\n')
            state = IN_CODE;   /* the closing quote stays; a newline ends a broken literal */
          else
            blank (code, i);
          break;
        }
    }
  return code;
}

static gboolean
is_allowed (const UseRule *rule, const char *path)
{
  for (guint i = 0; i < G_N_ELEMENTS (rule->allowed) && rule->allowed[i] != NULL; i++)
    if (g_pattern_match_simple (rule->allowed[i], path))
      return TRUE;
  return FALSE;
}

/* Holds the name of an #include <...> (include: TRUE), or one line of
 * code, against the use rules: one report per rule and line. */
static void
check_uses (Checker *c, const char *path, guint line, gboolean include, const char *subject)
{
  for (guint i = 0; i < G_N_ELEMENTS (use_rules); i++)
    {
      const UseRule *rule = &use_rules[i];
      g_autoptr(GMatchInfo) match = NULL;
      g_autofree char *what = NULL;
      g_autofree char *name = NULL;

      if ((rule->kind == USE_INCLUDE) != include)
        continue;
      if (!g_regex_match (c->uses[i], subject, 0, &match))
        continue;
      if (is_allowed (rule, path))
        {
          /* an allowed include is allowed for every row after this one too */
          if (include)
            return;
          continue;
        }
      name = g_match_info_fetch (match, 1);
      if (rule->kind == USE_INCLUDE)
        what = g_strdup_printf ("includes <%s>", subject);
      else if (rule->kind == USE_CALL)
        what = g_strdup_printf ("calls %s()", name);
      else
        what = g_strdup_printf ("uses %s", name);
      add_violation (c, path, line, rule->rule, "%s: %s; %s", what, rule->why, rule->fix);
      if (include)
        return;
    }
}

static void
check_project_include (Checker *c, const char *path, guint line, const char *name)
{
  g_autofree char *base = g_path_get_basename (name);
  const Layer *layer = layer_of (path);
  const Layer *used;
  const char *header;

  /* generated by meson in the build tree; every file starts with it */
  if (g_str_equal (base, "config.h"))
    return;
  header = g_hash_table_lookup (c->headers, base);
  if (header == NULL)
    {
      add_violation (c, path, line, "header",
                     "includes \"%s\": no header of that name under labctl/ or gui/; "
                     "fix the name, or write <%s> for a system header", name, name);
      return;
    }
  used = layer_of (header);
  /* a file or a header outside the layers is reported once, as itself */
  if (layer == NULL || used == NULL || layer_may_use (layer, used))
    return;
  if (layer->front_end)
    {
      g_autofree char *uses = front_end_uses_text ();

      add_violation (c, path, line, "layer",
                     "includes \"%s\" from %s/: %s/ may use only %s; "
                     "add what it needs to stand/ and call that",
                     name, short_dir (used->dir), short_dir (layer->dir), uses);
    }
  else
    add_violation (c, path, line, "layer",
                   "includes \"%s\" from %s/: %s/ may use only itself and the layers before it; "
                   "move the code up, or what it needs down",
                   name, short_dir (used->dir), short_dir (layer->dir));
}

static void
check_file (Checker *c, const char *path)
{
  g_autofree char *file = g_build_filename (c->root, path, NULL);
  g_autofree char *text = NULL;
  g_autofree char *code = NULL;
  g_auto(GStrv) text_lines = NULL;
  g_auto(GStrv) code_lines = NULL;
  g_autoptr(GError) error = NULL;

  if (layer_of (path) == NULL)
    add_violation (c, path, 1, "layout",
                   "is in no layer's folder: every source file belongs to one layer; "
                   "move it into its layer's folder (HACKING.md, \"Layers\")");
  if (!g_file_get_contents (file, &text, NULL, &error))
    {
      g_assert_no_error (error);
      return;
    }
  code = code_only (text);
  /* code_only keeps every newline in place: line i of one is line i of the other */
  text_lines = g_strsplit (text, "\n", -1);
  code_lines = g_strsplit (code, "\n", -1);
  for (guint i = 0; code_lines[i] != NULL; i++)
    {
      g_autoptr(GMatchInfo) match = NULL;

      if (g_regex_match (c->include, code_lines[i], 0, &match))
        {
          int start, end;
          char close;
          const char *stop;

          g_match_info_fetch_pos (match, 1, &start, &end);
          close = code_lines[i][start] == '"' ? '"' : '>';
          stop = strchr (code_lines[i] + end, close);
          if (stop != NULL)
            {
              /* the name from the text: in the code it is blanked out */
              g_autofree char *name = g_strndup (text_lines[i] + end, stop - (code_lines[i] + end));

              if (close == '"')
                check_project_include (c, path, i + 1, name);
              else
                check_uses (c, path, i + 1, TRUE, name);
            }
        }
      check_uses (c, path, i + 1, FALSE, code_lines[i]);
    }
}

static void
collect_sources (const char *root, const char *dir, GPtrArray *paths)
{
  g_autofree char *full = g_build_filename (root, dir, NULL);
  g_autoptr(GDir) d = g_dir_open (full, 0, NULL);
  const char *name;

  /* gui/ has no sources yet; the fixture has no gui/ of its own either */
  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_strconcat (dir, "/", name, NULL);
      g_autofree char *child = g_build_filename (root, path, NULL);

      if (name[0] == '.')
        continue;
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        collect_sources (root, path, paths);
      else if (g_str_has_suffix (name, ".c") || g_str_has_suffix (name, ".h"))
        g_ptr_array_add (paths, g_steal_pointer (&path));
    }
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static int
compare_violations (gconstpointer a, gconstpointer b)
{
  const Violation *va = *(const Violation * const *) a;
  const Violation *vb = *(const Violation * const *) b;
  int by_path = strcmp (va->path, vb->path);

  if (by_path != 0)
    return by_path;
  return va->line < vb->line ? -1 : va->line > vb->line;
}

/* Checks the tree at root: the violations (Violation), in the order of
 * path and line; *n_files: how many files were read. */
static GPtrArray *
check_layers (const char *root, guint *n_files)
{
  g_auto(Checker) c = { 0 };
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);

  c.root = root;
  c.headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  c.include = g_regex_new ("^\\s*#\\s*include\\s*([\"<])", 0, 0, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (use_rules); i++)
    {
      c.uses[i] = g_regex_new (use_rules[i].pattern, 0, 0, NULL);
      g_assert_nonnull (c.uses[i]);
    }
  c.violations = g_ptr_array_new_with_free_func (violation_free);

  for (guint i = 0; checked_dirs[i] != NULL; i++)
    collect_sources (root, checked_dirs[i], paths);
  g_ptr_array_sort (paths, compare_paths);

  /* includes name the header only: its basename must say where it is */
  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = paths->pdata[i];
      g_autofree char *base = g_path_get_basename (path);
      const char *other;

      if (!g_str_has_suffix (path, ".h"))
        continue;
      other = g_hash_table_lookup (c.headers, base);
      if (other != NULL)
        add_violation (&c, path, 1, "layout",
                       "has the same name as %s: includes find a header by its name alone; rename one",
                       other);
      else
        g_hash_table_insert (c.headers, g_steal_pointer (&base), (gpointer) path);
    }

  for (guint i = 0; i < paths->len; i++)
    check_file (&c, paths->pdata[i]);
  *n_files = paths->len;
  g_ptr_array_sort (c.violations, compare_violations);   /* stable: a line's reports keep their order */
  return g_steal_pointer (&c.violations);
}

static GPtrArray *
check_and_print (const char *root, guint *n_files)
{
  GPtrArray *violations = check_layers (root, n_files);

  g_test_message ("%u files under %s, %u violations", *n_files, root, violations->len);
  for (guint i = 0; i < violations->len; i++)
    g_test_message ("%s", ((Violation *) violations->pdata[i])->text);
  return violations;
}

/* The fixture: a fake labctl/ and gui/ whose files say in comments what
 * the checker must find, and hold traps it must not fall into (fork( in a
 * comment and in a string, a member called fork, a string with a comment
 * opener, a quote in a character literal). */
static void
test_fixture (void)
{
  /* in the checker's order: by path, then line */
  static const char * const expected[] = {
    "gui/lab-window.c:6: layer",
    "gui/lab-window.c:11: spawn",
    "labctl/cli/cmd-up.c:7: layer",
    "labctl/cli/cmd-up.c:8: header",
    "labctl/cli/cmd-up.c:14: spawn",
    "labctl/core/lab-state.c:5: layer",
    "labctl/core/lab-state.c:6: gtk",
    "labctl/core/lab-state.c:20: spawn",
    "labctl/flavors/vm/lab-vm.c:6: osinfo",
    "labctl/host/lab-host-check.c:5: libvirt",
    "labctl/host/lab-host-check.c:13: libvirt",
    "labctl/host/lab-runner.h:1: layout",
    "labctl/lab-stray.c:1: layout",
    "labctl/stand/lab-stand.c:5: soup",
    "labctl/stand/lab-stand.c:12: spawn",
    NULL
  };
  g_autofree char *root = g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", "layers", NULL);
  g_autoptr(GPtrArray) violations = NULL;
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  guint n_files = 0;

  violations = check_and_print (root, &n_files);
  g_assert_cmpuint (n_files, ==, 15);
  for (guint i = 0; i < violations->len; i++)
    {
      Violation *v = violations->pdata[i];
      g_autofree char *prefix = g_strdup_printf ("%s:%u: ", v->path, v->line);
      const char *body = v->text + strlen (prefix);

      /* every report reads path:line: what: why; fix */
      g_assert_true (g_str_has_prefix (v->text, prefix));
      g_assert_nonnull (strstr (body, ": "));
      g_assert_nonnull (strstr (body, "; "));
      g_ptr_array_add (found, g_strdup_printf ("%s:%u: %s", v->path, v->line, v->rule));
    }
  g_ptr_array_add (found, NULL);
  g_assert_cmpstrv ((const char * const *) found->pdata, expected);
  /* one report word for word */
  g_assert_cmpuint (violations->len, >, 9);
  if (violations->len > 9)
    g_assert_cmpstr (((Violation *) violations->pdata[9])->text, ==,
                     "labctl/host/lab-host-check.c:5: includes <libvirt/libvirt.h>: "
                     "libvirt connections belong in virt/ or flavors/; move the call there and call it");
}

/* The real tree keeps the rule. */
static void
test_tree (void)
{
  g_autoptr(GPtrArray) violations = NULL;
  guint n_files = 0;

  violations = check_and_print (LABCTL_SOURCE_DIR, &n_files);
  /* a wrong root would find nothing to complain about */
  g_assert_cmpuint (n_files, >, 50);
  g_assert_cmpuint (violations->len, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  g_test_add_func ("/layers/fixture", test_fixture);
  g_test_add_func ("/layers/tree", test_tree);
  return g_test_run ();
}
