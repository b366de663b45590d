/* test-plans.c: golden dry-run transcripts, as libvirt keeps its .args
 * files: for each shipped recipe (and the container flavor's e2e recipe),
 * `labctl up --dry-run` and `labctl down --dry-run` must print exactly
 * tests/data/plans/<recipe>.up.sh and .down.sh. They document the commands
 * of every step and catch any change to them.
 *
 * The environment is pinned so that the transcript reads as root's on any
 * machine: state under /var/lib/labctl, caches under /var/cache/labctl,
 * KVM as the domain type. The source tree's path is replaced by @DATADIR@
 * and the recipe's SHA-256 (in the ownership metadata) by RECIPE-SHA256, so
 * that neither the checkout's place nor a comment in a recipe changes them.
 *
 * After an intended change: LABCTL_UPDATE_GOLDEN=1 meson test -C build plans,
 * then read the diff (it is what a student will type). */
#include "config.h"

#include <string.h>

#include "lab-kvm.h"
#include "lab-test-cli.h"

static const char * const pinned_env[] = {
  "LABCTL_STATE_DIR=/var/lib/labctl",
  "LABCTL_CACHE_DIR=/var/cache/labctl",
  "LABCTL_DOMAIN_TYPE=kvm",
  "LABCTL_ISO_DIR",
  "LABCTL_LIBVIRT_URI",
  "LABCTL_STORAGE_ATTACH",
  "LABCTL_LVM_SYSTEM_DIR",
  "LABCTL_FAIL_STEP",
  "LABCTL_ISO_MIRROR",
  /* the host's keyboard and time zone go into the Proxmox answer files */
  "LABCTL_SYSROOT=" LABCTL_SOURCE_DIR "/tests/data/hosts/intel-nested",
  "NO_COLOR=1",
  NULL,
};

typedef struct {
  const char *name;     /* the transcripts' base name */
  const char *recipe;   /* relative to the source tree */
} PlanCase;

static const PlanCase cases[] = {
  { "container-3node", "recipes/container-3node.lab" },
  { "kvm-3node", "recipes/kvm-3node.lab" },
  { "proxmox-3node", "recipes/proxmox-3node.lab" },
  { "e2e", "tests/data/e2e.lab" },
  { "ha-cluster", "tests/data/ha-cluster.lab" },
  { "ha-kvm", "tests/data/ha-kvm.lab" },
};

static char *
normalise (const char *text)
{
  g_autoptr(GRegex) hash = g_regex_new ("recipe='[0-9a-f]{64}'", 0, 0, NULL);
  g_autoptr(GRegex) hash_quoted = g_regex_new ("recipe='\\\\''[0-9a-f]{64}'\\\\''", 0, 0, NULL);
  g_auto(GStrv) parts = g_strsplit (text, LABCTL_SOURCE_DIR, -1);
  g_autofree char *joined = g_strjoinv ("@DATADIR@", parts);
  g_autofree char *step1 = g_regex_replace_literal (hash, joined, -1, 0, "recipe='RECIPE-SHA256'", 0, NULL);

  return g_regex_replace_literal (hash_quoted, step1, -1, 0, "recipe='\\''RECIPE-SHA256'\\''", 0, NULL);
}

static void
check_transcript (const PlanCase *c, const char *command)
{
  g_auto(LabTestRun) run;
  g_autofree char *recipe = g_build_filename (LABCTL_SOURCE_DIR, c->recipe, NULL);
  g_autofree char *file = g_strdup_printf ("%s.%s.sh", c->name, command);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "plans", file, NULL);
  g_autofree char *actual = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (lab_test_run_labctl_env (&run, pinned_env, command, "--dry-run", "--recipe", recipe, NULL));
  g_assert_cmpint (run.status, ==, 0);
  /* a dry run says everything on stdout; a warning here would be missing
   * from the transcript */
  g_assert_cmpstr (run.err, ==, "");
  actual = normalise (run.out);
  g_assert_null (strstr (actual, LABCTL_SOURCE_DIR));

  if (g_getenv ("LABCTL_UPDATE_GOLDEN") != NULL)
    {
      g_assert_true (g_file_set_contents (path, actual, -1, &error));
      g_assert_no_error (error);
      g_test_message ("updated %s", path);
      return;
    }
  g_assert_true (g_file_get_contents (path, &expected, NULL, &error));
  g_assert_no_error (error);
  if (g_strcmp0 (expected, actual) != 0)
    g_test_message ("%s differs; labctl now prints:\n%s", file, actual);
  g_assert_cmpstr (expected, ==, actual);
}

static void
test_up (gconstpointer data)
{
  check_transcript (data, "up");
}

static void
test_down (gconstpointer data)
{
  check_transcript (data, "down");
}

/* `reset --dry-run`: the steps that the flavor's reset undoes and that
 * run again after it (none for the container and plain kvm labs; the
 * cluster in the nodes for ha-kvm; the API phases for proxmox) */
static void
test_reset (gconstpointer data)
{
  check_transcript (data, "reset");
}

/* Every LVM command of every plan is restricted to named devices (issue
 * 15): an LVM command that scans every block device sits in
 * uninterruptible sleep on one whose backend stopped answering (an orphaned
 * FUSE export, an iSCSI disk whose tgtd is gone). On the host: `--devices`
 * on the command line. Inside a kvm node (after `ssh ... --`): the node's
 * lvm.conf, which accepts only the lab's iSCSI LUN and rejects the rest. */
static const char * const lvm_commands[] = {
  "lvm", "pvs", "vgs", "lvs", "pvcreate", "pvremove", "pvchange", "pvscan", "pvresize", "pvmove",
  "vgcreate", "vgremove", "vgchange", "vgscan", "vgextend", "vgreduce", "vgrename", "vgimport",
  "vgexport", "vgck", "vgcfgbackup", "vgcfgrestore", "lvcreate", "lvremove", "lvchange", "lvscan",
  "lvextend", "lvreduce", "lvresize", "lvrename", "lvconvert", "lvdisplay", "vgdisplay", "pvdisplay",
  NULL,
};

/* Counts the LVM commands on one transcript line in *found; returns how
 * many of them are not restricted (and says which). */
static guint
check_lvm_line (const char *file, guint lineno, const char *line, gboolean node_filter, guint *found)
{
  g_auto(GStrv) words = NULL;
  guint bad = 0;

  if (*line == '#' || !g_shell_parse_argv (line, NULL, &words, NULL))
    return 0;
  for (guint i = 0; words[i] != NULL; i++)
    {
      gboolean on_node = i > 0 && g_str_equal (words[i - 1], "--") && g_str_equal (words[0], "ssh");
      gboolean restricted = FALSE;

      /* a command word: the first, or the remote command of an ssh */
      if ((i != 0 && !on_node) || !g_strv_contains (lvm_commands, words[i]))
        continue;
      (*found)++;
      for (guint j = i + 1; words[j] != NULL && !restricted; j++)
        restricted = g_str_equal (words[j], "--devices") || g_str_has_prefix (words[j], "--devices=");
      if (!restricted && on_node)
        restricted = node_filter;
      if (!restricted)
        {
          g_test_message ("%s:%u: %s has no --devices: %s", file, lineno, words[i], line);
          bad++;
        }
    }
  return bad;
}

static void
test_lvm_restricted (void)
{
  g_autoptr(GPtrArray) files = lab_kvm_image_files ();
  g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "data", "plans", NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  gboolean node_filter = FALSE;
  const char *name;
  guint n = 0, bad = 0, probe = 0;

  /* the check itself sees an unrestricted command, on the host or a node */
  g_assert_cmpuint (check_lvm_line ("probe", 1, "vgs --reportformat json vg_iscsi", TRUE, &probe), ==, 1);
  g_assert_cmpuint (check_lvm_line ("probe", 2, "ssh -T node1 -- vgs vg_iscsi", FALSE, &probe), ==, 1);
  g_assert_cmpuint (check_lvm_line ("probe", 3, "vgs --devices /dev/sda,/dev/sdb vg_iscsi", FALSE, &probe), ==, 0);
  g_assert_cmpuint (probe, ==, 3);

  /* the node's filter: the lab's LUN, then reject everything else */
  for (guint i = 0; i < files->len; i++)
    {
      LabKvmFile *f = g_ptr_array_index (files, i);

      if (g_str_equal (f->path, "/etc/lvm/lvm.conf"))
        node_filter = strstr (f->content, "global_filter = [ \"a|^/dev/disk/by-path/ip-.*-iscsi-.*-lun-.*|\", \"r|.*|\" ]") != NULL;
    }
  g_assert_true (node_filter);
  g_assert_nonnull (d);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *text = NULL;
      g_auto(GStrv) lines = NULL;

      if (!g_str_has_suffix (name, ".sh") || !g_file_get_contents (path, &text, NULL, NULL))
        continue;
      lines = g_strsplit (text, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        bad += check_lvm_line (name, i + 1, lines[i], node_filter, &n);
    }
  g_test_message ("checked %u LVM commands", n);
  /* the scan sees them: PV, VG, LVs, their removal, the nodes' vgs */
  g_assert_cmpuint (n, >=, 40);
  g_assert_cmpuint (bad, ==, 0);
}

/* The normalisation hides only what it says it hides. */
static void
test_normalise (void)
{
  g_autofree char *in = g_strdup_printf ("a %s/recipes/x.lab recipe='%s' b\n"
                                         "--set '<lab recipe='\\''%s'\\''/>'\n",
                                         LABCTL_SOURCE_DIR,
                                         "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                                         "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  g_autofree char *out = normalise (in);

  g_assert_cmpstr (out, ==, "a @DATADIR@/recipes/x.lab recipe='RECIPE-SHA256' b\n"
                            "--set '<lab recipe='\\''RECIPE-SHA256'\\''/>'\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  g_test_add_func ("/plans/normalise", test_normalise);
  g_test_add_func ("/plans/lvm-restricted", test_lvm_restricted);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *up = g_strdup_printf ("/plans/%s/up", cases[i].name);
      g_autofree char *down = g_strdup_printf ("/plans/%s/down", cases[i].name);
      g_autofree char *reset = g_strdup_printf ("/plans/%s/reset", cases[i].name);

      g_test_add_data_func (up, &cases[i], test_up);
      g_test_add_data_func (down, &cases[i], test_down);
      g_test_add_data_func (reset, &cases[i], test_reset);
    }
  return g_test_run ();
}
