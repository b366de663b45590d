/* test-cli-check.c: the built labctl executable ($LABCTL): `labctl check`,
 * global options and usage errors (exit codes, JSON shape, stderr). */
#include "config.h"
#include "lab-test-fs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

typedef struct {
  int   status;     /* exit status */
  char *out;
  char *err;
} Run;

static void
run_clear (Run *r)
{
  g_free (r->out);
  g_free (r->err);
}

static const char *
labctl_path (void)
{
  const char *path = g_getenv ("LABCTL");

  g_assert_nonnull (path);
  return path;
}

static char *
host_dir (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "data", "hosts", name, NULL);
}

typedef struct {
  uid_t uid;
  gid_t gid;
} Drop;

static void
drop_privileges (gpointer data)
{
  Drop *d = data;

  /* in the child, before exec: become an unprivileged user */
  if (setgroups (0, NULL) != 0 || setgid (d->gid) != 0 || setuid (d->uid) != 0)
    _exit (125);
}

/* Runs labctl with args; env: extra NAME=VALUE pairs (NULL-terminated) */
static void
run_labctl_full (Run *r, const char *const *env, Drop *drop, const char *first, ...)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  va_list ap;

  memset (r, 0, sizeof *r);
  g_ptr_array_add (argv, (char *) labctl_path ());
  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  /* never the machine's libvirtd from a unit test */
  g_subprocess_launcher_setenv (launcher, "LABCTL_LIBVIRT_URI", "test:///default", TRUE);
  g_subprocess_launcher_setenv (launcher, "NO_COLOR", "1", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "LABCTL_SYSROOT");
  for (const char *const *e = env; e != NULL && *e != NULL; e++)
    {
      g_auto(GStrv) kv = g_strsplit (*e, "=", 2);

      g_subprocess_launcher_setenv (launcher, kv[0], kv[1], TRUE);
    }
  if (drop != NULL)
    g_subprocess_launcher_set_child_setup (launcher, drop_privileges, drop, NULL);

  proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  if (proc == NULL)
    {
      r->status = -1;
      return;
    }
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &r->out, &r->err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  r->status = g_subprocess_get_exit_status (proc);
  if (r->out == NULL)
    r->out = g_strdup ("");
  if (r->err == NULL)
    r->err = g_strdup ("");
  g_test_message ("exit %d\nstdout: %s\nstderr: %s", r->status, r->out, r->err);
}

#define run_labctl(r, ...) run_labctl_full ((r), NULL, NULL, __VA_ARGS__, NULL)

static JsonObject *
find_check (JsonArray *checks, const char *id)
{
  for (guint i = 0; i < json_array_get_length (checks); i++)
    {
      JsonObject *c = json_array_get_object_element (checks, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (c, "id", NULL), id) == 0)
        return c;
    }
  return NULL;
}

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  if (error != NULL)
    return NULL;
  return json_node_copy (json_parser_get_root (parser));
}

static void
test_check_json_amd (void)
{
  g_autofree char *root_dir = host_dir ("amd-nonested");
  g_autoptr(JsonNode) root = NULL;
  JsonObject *obj;
  JsonArray *checks;
  JsonObject *nested;
  Run r;

  run_labctl (&r, "check", "--json", "--sysroot", root_dir);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_cmpstr (r.err, ==, "");      /* the JSON says why; no extra error line */
  root = parse_json (r.out);
  g_assert_nonnull (root);
  if (root == NULL)
    {
      run_clear (&r);
      return;
    }
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  obj = json_node_get_object (root);
  g_assert_false (json_object_get_boolean_member (obj, "ok"));
  g_assert_cmpstr (json_object_get_string_member (obj, "sysroot"), ==, root_dir);
  checks = json_object_get_array_member (obj, "checks");
  g_assert_cmpuint (json_array_get_length (checks), >=, 17);
  for (guint i = 0; i < json_array_get_length (checks); i++)
    {
      JsonObject *c = json_array_get_object_element (checks, i);
      const char *status = json_object_get_string_member (c, "status");

      g_assert_nonnull (json_object_get_string_member (c, "id"));
      g_assert_nonnull (json_object_get_string_member (c, "message"));
      g_assert_true (json_object_has_member (c, "fix"));
      g_assert_true (g_strv_contains ((const char *const[]) { "pass", "warn", "fail", "skip", NULL }, status));
    }
  nested = find_check (checks, "kvm.nested");
  g_assert_nonnull (nested);
  if (nested != NULL)
    {
      g_assert_cmpstr (json_object_get_string_member (nested, "status"), ==, "fail");
      g_assert_nonnull (strstr (json_object_get_string_member (nested, "fix"), "options kvm_amd nested=1"));
    }
  g_assert_nonnull (find_check (checks, "libvirt.reachable"));
  g_assert_cmpstr (json_object_get_string_member (find_check (checks, "libvirt.reachable"), "status"), ==, "pass");
  run_clear (&r);
}

static void
test_check_text (void)
{
  g_autofree char *amd = host_dir ("amd-nonested");
  g_autofree char *intel = host_dir ("intel-nested");
  g_autofree char *env_sysroot = g_strconcat ("LABCTL_SYSROOT=", intel, NULL);
  const char *env[] = { env_sysroot, NULL };
  Run r;

  run_labctl (&r, "check", "--sysroot", amd);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_true (g_regex_match_simple ("^FAIL  kvm\\.nested +Nested virtualization is disabled", r.out,
                                       G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^      fix: Shut down all virtual machines", r.out, G_REGEX_MULTILINE, 0));
  g_assert_nonnull (strstr (r.out, "\n             echo \"options kvm_amd nested=1\" | sudo tee /etc/modprobe.d/kvm-nested.conf\n"));
  g_assert_true (g_regex_match_simple ("^PASS  cpu\\.vendor ", r.out, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^Summary: [0-9]+ passed, [0-9]+ warnings?, [0-9]+ failed, [0-9]+ skipped\\.$",
                                       r.out, G_REGEX_MULTILINE, 0));
  /* the count decides the noun: "1 warning", "2 warnings" */
  g_assert_false (g_regex_match_simple ("^Summary: .*[^0-9]1 warnings", r.out, G_REGEX_MULTILINE, 0));
  g_assert_null (strstr (r.out, "\033["));   /* NO_COLOR, and not a tty */
  g_assert_cmpstr (r.err, ==, "");
  run_clear (&r);

  /* LABCTL_SYSROOT instead of --sysroot; the Intel host passes the KVM checks */
  run_labctl_full (&r, env, NULL, "check", NULL);
  g_assert_true (g_regex_match_simple ("^PASS  kvm\\.nested +Nested virtualization is enabled$", r.out,
                                       G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^PASS  cpu\\.ept ", r.out, G_REGEX_MULTILINE, 0));
  run_clear (&r);
}

/* With the tools and libvirt present, the Intel fake host fails nothing:
 * exit 0. PATH holds fake tools so that the result does not depend on
 * what this machine has installed. */
static void
test_check_exit_ok (void)
{
  g_autofree char *intel = host_dir ("intel-nested");
  g_autoptr(GError) error = NULL;
  g_autofree char *bin = g_dir_make_tmp ("labctl-clicheck-XXXXXX", &error);
  g_autofree char *env_path = g_strconcat ("PATH=", bin, NULL);
  const char *env[] = { env_path, NULL };
  const char *progs[] = { "tgtadm", "iscsiadm", "lvm", "qemu-system-x86_64", "qemu-img", "virsh" };
  g_autofree char *recipe = NULL;
  g_autofree char *img = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) json = NULL;
  Run r;

  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (progs); i++)
    {
      g_autofree char *p = g_build_filename (bin, progs[i], NULL);

      g_file_set_contents (p, "#!/bin/sh\nexit 0\n", -1, &error);
      g_assert_no_error (error);
      g_assert_cmpint (g_chmod (p, 0755), ==, 0);
    }
  /* a small lab whose image lives in the temp dir: the disk check passes
   * whatever this machine's disks hold */
  recipe = g_build_filename (bin, "small.lab", NULL);
  img = g_build_filename (bin, "images", "small.img", NULL);
  text = g_strdup_printf ("[lab]\nname = checktest\nflavor = kvm\n"
                          "[storage]\nbacking-file = %s\nsize = 64M\n"
                          "[nodes]\ncount = 2\nvcpus = 1\nmemory = 256\ndisk = 16M\n", img);
  g_file_set_contents (recipe, text, -1, &error);
  g_assert_no_error (error);

  run_labctl_full (&r, env, NULL, "check", "--sysroot", intel, "--recipe", recipe, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_null (strstr (r.out, "FAIL "));
  g_assert_nonnull (strstr (r.out, recipe));
  g_assert_true (g_regex_match_simple ("^PASS  host\\.disk ", r.out, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^PASS  host\\.memory .*2 nodes", r.out, G_REGEX_MULTILINE, 0));
  g_assert_nonnull (strstr (r.out, " 0 failed"));
  g_assert_cmpstr (r.err, ==, "");
  run_clear (&r);

  run_labctl_full (&r, env, NULL, "check", "--json", "--sysroot", intel, "--recipe", recipe, NULL);
  g_assert_cmpint (r.status, ==, 0);
  json = parse_json (r.out);
  if (json != NULL)
    {
      JsonObject *obj = json_node_get_object (json);

      g_assert_true (json_object_get_boolean_member (obj, "ok"));
      g_assert_cmpstr (json_object_get_string_member (obj, "recipe"), ==, recipe);
      g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (obj, "summary"), "fail"), ==, 0);
    }
  run_clear (&r);

  /* a recipe that does not exist: exit 1, the reason on stderr */
  run_labctl_full (&r, env, NULL, "check", "--sysroot", intel, "--recipe", "/nonexistent/x.lab", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_true (g_str_has_prefix (r.err, "labctl check: "));
  g_assert_nonnull (strstr (r.err, "/nonexistent/x.lab"));
  g_assert_cmpstr (r.out, ==, "");
  run_clear (&r);

  g_unlink (recipe);

  for (gsize i = 0; i < G_N_ELEMENTS (progs); i++)
    {
      g_autofree char *p = g_build_filename (bin, progs[i], NULL);

      g_unlink (p);
    }
  g_rmdir (bin);
}

static void
test_global (void)
{
  Run r;

  run_labctl (&r, "--help");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "check"));
  run_clear (&r);

  run_labctl (&r, "--version");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_str_has_prefix (r.out, "labctl " PACKAGE_VERSION));
  run_clear (&r);

  run_labctl (&r, "check", "--help");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "--json"));
  g_assert_nonnull (strstr (r.out, "--recipe"));
  g_assert_null (strstr (r.out, "--sysroot"));   /* hidden */
  run_clear (&r);
}

static void
test_usage_errors (void)
{
  Run r;

  run_labctl (&r, "nosuchcmd");
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "nosuchcmd"));
  g_assert_cmpstr (r.out, ==, "");
  run_clear (&r);

  run_labctl (&r, "check", "--nosuchopt");
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "--nosuchopt"));
  g_assert_nonnull (strstr (r.err, "labctl check --help"));
  g_assert_null (strstr (r.err, "labctl check: labctl check:"));   /* said once */
  g_assert_cmpstr (r.out, ==, "");
  run_clear (&r);

  run_labctl (&r, "check", "extra-argument");
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "extra-argument"));
  g_assert_true (g_str_has_prefix (r.err, "labctl check: unexpected argument"));
  run_clear (&r);
}

/* TRUE when every directory on the way to path is searchable by others
 * and path itself is readable or executable by others. */
static gboolean
reachable_by_others (const char *path, char **why)
{
  g_autofree char *p = g_canonicalize_filename (path, NULL);

  for (char *cur = g_strdup (p); ; )
    {
      GStatBuf st;
      char *parent;
      gboolean is_leaf = g_str_equal (cur, p);

      if (g_stat (cur, &st) != 0
          || (!is_leaf && !(st.st_mode & S_IXOTH))
          || (is_leaf && !(st.st_mode & (S_IXOTH | S_IROTH))))
        {
          *why = g_strdup_printf ("%s (mode %o) is closed to other users", cur, (unsigned) (st.st_mode & 07777));
          g_free (cur);
          return FALSE;
        }
      parent = g_path_get_dirname (cur);
      if (g_str_equal (parent, cur))
        {
          g_free (parent);
          g_free (cur);
          return TRUE;
        }
      g_free (cur);
      cur = parent;
    }
}

/* The permission paths, for real: labctl runs as an unprivileged user
 * against a root-only /dev/kvm and a root-only libvirt socket, and must
 * tell the user to join the kvm and libvirt groups. As root the child drops
 * to nobody (files mode 0600/0700, owned by root); as a normal user the
 * files get mode 0, so that open() and connect() fail with EACCES. */
static void
test_check_unprivileged (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("labctl-clicheck-XXXXXX", &error);
  g_autofree char *kvm = NULL;
  g_autofree char *sock_path = NULL;
  g_autofree char *uri_env = NULL;
  g_autofree char *why = NULL;
  g_autoptr(JsonNode) json = NULL;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  gboolean as_root = getuid () == 0;
  Drop drop = { 65534, 65534 };
  const char *env[2] = { NULL, NULL };
  int fd;
  Run r;

  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (root, 0755), ==, 0);
  lab_test_write_file (root, "proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vmx ept\n", 0644);
  lab_test_write_file (root, "dev/kvm", "", as_root ? 0600 : 0);
  kvm = g_build_filename (root, "dev", "kvm", NULL);

  if (as_root)
    {
      struct passwd *nobody = getpwnam ("nobody");

      if (nobody != NULL)
        {
          drop.uid = nobody->pw_uid;
          drop.gid = nobody->pw_gid;
        }
      if (!reachable_by_others (labctl_path (), &why) || !reachable_by_others (root, &why))
        {
          /* the unprivileged child could not even start labctl */
          g_autofree char *reason = g_strdup_printf ("cannot run labctl as nobody: %s", why);

          g_test_skip (reason);
          lab_test_remove_tree (root);
          return;
        }
    }

  sock_path = g_build_filename (root, "libvirt-sock", NULL);
  g_assert_cmpuint (strlen (sock_path), <, sizeof addr.sun_path);
  strncpy (addr.sun_path, sock_path, sizeof addr.sun_path - 1);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (listen (fd, 1), ==, 0);
  g_assert_cmpint (g_chmod (sock_path, as_root ? 0700 : 0), ==, 0);

  uri_env = g_strdup_printf ("LABCTL_LIBVIRT_URI=qemu+unix:///system?socket=%s", sock_path);
  env[0] = uri_env;
  run_labctl_full (&r, env, as_root ? &drop : NULL, "check", "--json", "--sysroot", root, NULL);
  g_assert_cmpint (r.status, ==, 1);
  json = parse_json (r.out);
  if (json != NULL)
    {
      JsonArray *checks = json_object_get_array_member (json_node_get_object (json), "checks");
      JsonObject *dev = find_check (checks, "kvm.device");
      JsonObject *lv = find_check (checks, "libvirt.reachable");

      g_assert_nonnull (dev);
      g_assert_nonnull (lv);
      if (dev != NULL && lv != NULL)
        {
          g_assert_cmpstr (json_object_get_string_member (dev, "status"), ==, "fail");
          g_assert_nonnull (strstr (json_object_get_string_member (dev, "message"), kvm));
          g_assert_nonnull (strstr (json_object_get_string_member (dev, "fix"), "sudo usermod -aG kvm $USER"));
          g_assert_cmpstr (json_object_get_string_member (lv, "status"), ==, "fail");
          g_assert_nonnull (strstr (json_object_get_string_member (lv, "message"), "Permission denied"));
          g_assert_nonnull (strstr (json_object_get_string_member (lv, "fix"), "sudo usermod -aG libvirt $USER"));
          g_assert_null (strstr (json_object_get_string_member (lv, "fix"), "systemctl"));
        }
    }
  run_clear (&r);

  close (fd);
  lab_test_remove_tree (root);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

  g_test_add_func ("/cli/global", test_global);
  g_test_add_func ("/cli/usage-errors", test_usage_errors);
  g_test_add_func ("/cli/check/json", test_check_json_amd);
  g_test_add_func ("/cli/check/text", test_check_text);
  g_test_add_func ("/cli/check/exit-ok", test_check_exit_ok);
  g_test_add_func ("/cli/check/unprivileged", test_check_unprivileged);

  return g_test_run ();
}
