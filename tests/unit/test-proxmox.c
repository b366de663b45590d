/* test-proxmox.c: the proxmox flavor's install media on files.
 *
 *  - answer files: a golden file per release (and the snake_case spelling
 *    of releases before 8.4), each parsed back by a real TOML parser
 *    (python3-toml) and its values checked; every validate-answer rule
 *    with a bad input and its message;
 *  - the prepared ISO: a synthetic hybrid ISO built here with xorriso
 *    (/auto-installer-capable, a grub.cfg, El Torito BIOS + EFI images, the
 *    EFI one also a GPT partition): after preparation the volume UUID, the
 *    boot records and every original file are unchanged and
 *    /auto-installer-mode.toml holds exactly the expected bytes; an ISO
 *    without /auto-installer-capable is refused;
 *  - the answer image: FAT, labelled PROXMOX-AIS, answer.toml in its root.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "lab-error.h"
#include "lab-proxmox.h"
#include "lab-proxmox-private.h"
#include "lab-pve-server.h"
#include "lab-recipe.h"
#include "lab-runner.h"
#include "lab-test-fs.h"
#include "lab-iso.h"
#include "lab-plan.h"
#include "lab-state.h"
#include "virt-test-util.h"

#define HASH "$6$labctltest$N5Yt1r1wJ3l6cH0wVZQ0yqfJm0qQd1f3o9pXw1m0uKk0l2x3c4v5b6n7m8q9w0e1r2t3y4u5i6o7p8a9s0d1"
#define SSH_KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGxhYmN0bC10ZXN0LWtleS1ub3QtYS1yZWFsLW9uZQ labctl@course"

static char *
host_root (void)
{
  return g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", "hosts", "intel-nested", NULL);
}

static LabRecipe *
recipe_for (const char *version)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strdup_printf ("[lab]\nname = course\nflavor = proxmox\n[nodes]\npve-version = %s\n",
                                           version);
  LabRecipe *r = lab_recipe_load_data (text, -1, "course.lab", &error);

  g_assert_no_error (error);
  return r;
}

static gboolean
run (const char * const *argv, char **out, int *status)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  g_autofree char *ignored = NULL;
  int st = -1;
  /* the tools' stdout is captured even when not wanted: on the test's own
   * stdout it would break TAP */
  gboolean ok = g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, out != NULL ? out : &ignored,
                              &err, &st, &error);

  g_assert_no_error (error);
  if (status != NULL)
    *status = g_spawn_check_wait_status (st, NULL) ? 0 : (WIFEXITED (st) ? WEXITSTATUS (st) : -1);
  else if (!g_spawn_check_wait_status (st, NULL))
    {
      g_test_message ("%s failed: %s", argv[0], err);
      return FALSE;
    }
  return ok;
}

static void
check_golden (const char *name, const char *actual)
{
  g_autofree char *path = g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", "proxmox", name, NULL);
  g_autofree char *expected = NULL;

  if (g_getenv ("LABCTL_UPDATE_GOLDEN") != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (path);
      g_mkdir_with_parents (dir, 0755);
      g_assert_true (g_file_set_contents (path, actual, -1, NULL));
      return;
    }
  g_assert_true (g_file_get_contents (path, &expected, NULL, NULL));
  g_assert_cmpstr (actual, ==, expected);
}

/* The TOML read back by python3-toml, as JSON. */
static JsonObject *
parse_toml (const char *text, JsonParser *parser)
{
  g_autofree char *dir = g_dir_make_tmp ("labctl-toml-XXXXXX", NULL);
  g_autofree char *file = g_build_filename (dir, "answer.toml", NULL);
  g_autofree char *out = NULL;
  /* Debian's interpreter, where python3-toml is (not one of a PATH of the user's) */
  const char *argv[] = { "/usr/bin/python3", "-c",
                         "import json, sys, toml; print(json.dumps(toml.load(open(sys.argv[1]))))", file, NULL };

  g_assert_true (g_file_set_contents (file, text, -1, NULL));
  g_assert_true (run (argv, &out, NULL));
  lab_test_remove_tree (dir);
  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  return json_node_get_object (json_parser_get_root (parser));
}

/* ---- answer files ------------------------------------------------------ */

static void
test_answer_golden (gconstpointer data)
{
  const char *version = data;
  gboolean snake = g_str_equal (version, "8.3");
  g_autoptr(LabRecipe) r = recipe_for (snake ? "8.4" : version);
  g_autofree char *root = host_root ();
  g_autoptr(LabPveAnswer) a = lab_pve_answer_for_node (r, g_ptr_array_index (r->nodes, 1), root, HASH, SSH_KEY);
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *toml = NULL;
  g_autofree char *golden = g_strdup_printf ("answer-%s.toml", version);
  JsonObject *doc, *global, *net, *disk;
  const char *k_hash = snake ? "root_password_hashed" : "root-password-hashed";

  if (snake)
    {
      /* a release before 8.4 reads snake_case keys only */
      g_free (a->version);
      a->version = g_strdup ("8.3");
      a->snake_case = TRUE;
      g_clear_pointer (&a->reboot_mode, g_free);
    }
  problems = lab_pve_answer_validate (a);
  for (guint i = 0; i < problems->len; i++)
    g_test_message ("problem: %s", (char *) problems->pdata[i]);
  g_assert_cmpuint (problems->len, ==, 0);
  toml = lab_pve_answer_to_toml (a, FALSE);
  check_golden (golden, toml);

  doc = parse_toml (toml, parser);
  global = json_object_get_object_member (doc, "global");
  g_assert_cmpstr (json_object_get_string_member (global, "fqdn"), ==, "pve2.lab.labctl");
  g_assert_cmpstr (json_object_get_string_member (global, "keyboard"), ==, "de");
  g_assert_cmpstr (json_object_get_string_member (global, "country"), ==, "de");
  g_assert_cmpstr (json_object_get_string_member (global, "timezone"), ==, "Europe/Berlin");
  g_assert_cmpstr (json_object_get_string_member (global, k_hash), ==, HASH);
  g_assert_false (json_object_has_member (global, snake ? "root-password-hashed" : "root_password_hashed"));
  g_assert_cmpstr (json_array_get_string_element (
                     json_object_get_array_member (global, snake ? "root_ssh_keys" : "root-ssh-keys"), 0), ==, SSH_KEY);
  if (!snake)
    g_assert_cmpstr (json_object_get_string_member (global, "reboot-mode"), ==, "power-off");
  net = json_object_get_object_member (doc, "network");
  g_assert_cmpstr (json_object_get_string_member (net, "source"), ==, "from-answer");
  g_assert_cmpstr (json_object_get_string_member (net, "cidr"), ==, "192.168.150.12/24");
  g_assert_cmpstr (json_object_get_string_member (net, "gateway"), ==, "192.168.150.1");
  g_assert_cmpstr (json_object_get_string_member (net, "dns"), ==, "192.168.150.1");
  {
    /* the filter matches the node's MAC as udev names the NIC: enx<mac> */
    LabNode *n = g_ptr_array_index (r->nodes, 1);
    const char *glob = json_object_get_string_member (json_object_get_object_member (net, "filter"), "ID_NET_NAME_MAC");
    g_autofree char *hex = g_strdup (n->mac);
    g_autofree char *name = NULL;
    char *w = hex;

    for (const char *c = n->mac; *c; c++)
      if (*c != ':')
        *w++ = *c;
    *w = '\0';
    name = g_strconcat ("enx", hex, NULL);
    g_assert_true (g_pattern_match_simple (glob, name));
  }
  disk = json_object_get_object_member (doc, "disk-setup");
  g_assert_cmpstr (json_object_get_string_member (disk, "filesystem"), ==, "ext4");
  g_assert_cmpstr (json_array_get_string_element (
                     json_object_get_array_member (disk, snake ? "disk_list" : "disk-list"), 0), ==, "vda");
}

static void
test_answer_masked (void)
{
  g_autoptr(LabRecipe) r = recipe_for ("9.2");
  g_autoptr(LabPveAnswer) a = lab_pve_answer_for_node (r, g_ptr_array_index (r->nodes, 0), NULL, HASH, SSH_KEY);
  g_autofree char *masked = lab_pve_answer_to_toml (a, TRUE);

  g_assert_null (strstr (masked, HASH));
  g_assert_nonnull (strstr (masked, "root-password-hashed = \"******\""));
}

typedef void (*Mutate) (LabPveAnswer *a);

#define SET(field, value) G_STMT_START { g_free (a->field); a->field = g_strdup (value); } G_STMT_END
static void m_no_password (LabPveAnswer *a) { g_clear_pointer (&a->root_password_hashed, g_free); }
static void m_both_passwords (LabPveAnswer *a) { SET (root_password, "long enough"); }
static void m_short_password (LabPveAnswer *a) { g_clear_pointer (&a->root_password_hashed, g_free); SET (root_password, "short"); }
static void m_bare_hostname (LabPveAnswer *a) { SET (fqdn, "pve1"); }
static void m_mail (LabPveAnswer *a) { SET (mailto, "root at example"); }
static void m_country (LabPveAnswer *a) { SET (country, "xx"); }
static void m_timezone (LabPveAnswer *a) { SET (timezone, "Mars/Olympus_Mons"); }
static void m_keyboard (LabPveAnswer *a) { SET (keyboard, "ru"); }
static void m_reboot_mode (LabPveAnswer *a) { SET (reboot_mode, "halt"); }
static void m_no_disk (LabPveAnswer *a) { g_clear_pointer (&a->disk_list, g_strfreev); }
static void m_both_disks (LabPveAnswer *a) { SET (disk_filter_key, "ID_SERIAL"); SET (disk_filter_value, "*"); }
static void m_duplicate_disk (LabPveAnswer *a)
{
  g_strfreev (a->disk_list);
  a->disk_list = g_strdupv ((char *[]) { "sda", "sdb", "sda", NULL });
  SET (filesystem, "zfs");
  SET (raid, "raidz-1");
}
static void m_zfs_raid10 (LabPveAnswer *a) { SET (filesystem, "zfs"); SET (raid, "raid10"); }
static void m_zfs_no_raid (LabPveAnswer *a) { SET (filesystem, "zfs"); }
static void m_filesystem (LabPveAnswer *a) { SET (filesystem, "ntfs"); }
static void m_swap (LabPveAnswer *a) { a->hdsize = 10; a->swapsize = 6; }
static void m_net_missing (LabPveAnswer *a) { g_clear_pointer (&a->gateway, g_free); }
static void m_net_filter (LabPveAnswer *a) { g_clear_pointer (&a->net_filter_key, g_free); }
static void m_net_source (LabPveAnswer *a) { SET (net_source, "from-nowhere"); }
static void m_snake_on_9 (LabPveAnswer *a) { a->snake_case = TRUE; }
static void m_kebab_on_83 (LabPveAnswer *a) { SET (version, "8.3"); }
#undef SET

static const struct {
  const char *name;
  Mutate      mutate;
  const char *message;
} bad_answers[] = {
  { "no-password", m_no_password, "One of `global.root-password` or `global.root-password-hashed` must be set" },
  { "both-passwords", m_both_passwords, "`global.root-password` and `global.root-password-hashed` cannot be set at the same time" },
  { "short-password", m_short_password, "`global.root-password` must be at least 8 characters long" },
  { "bare-hostname", m_bare_hostname, "either a fully-qualified domain name or extendend configuration for usage with DHCP must be specified" },
  { "mail", m_mail, "Email does not look like a valid address" },
  { "country", m_country, "country code 'xx' is not valid" },
  { "timezone", m_timezone, "timezone 'Mars/Olympus_Mons' is not valid" },
  { "keyboard", m_keyboard, "unknown variant `ru` for `global.keyboard`" },
  { "reboot-mode", m_reboot_mode, "unknown variant `halt` for `global.reboot-mode`" },
  { "no-disk", m_no_disk, "Need either 'disk-list' or 'filter' set" },
  { "both-disk-selections", m_both_disks, "Cannot use both 'disk-list' and 'filter'" },
  { "duplicate-disk", m_duplicate_disk, "List of disks contains duplicate device sda" },
  { "zfs-raid10", m_zfs_raid10, "ZFS RAID10 needs at least 4 disks, got 1" },
  { "zfs-no-raid", m_zfs_no_raid, "missing field `raid` in `disk-setup.zfs`" },
  { "filesystem", m_filesystem, "unknown variant `ntfs` for `disk-setup.filesystem`" },
  { "swap", m_swap, "Swap size 6 GiB cannot be greater than 5 GiB (hard disk size / 2)" },
  { "network-incomplete", m_net_missing, "needs `cidr`, `dns` and `gateway`" },
  { "network-filter", m_net_filter, "needs a `filter` that selects the NIC" },
  { "network-source", m_net_source, "`network.source` must be \"from-dhcp\" or \"from-answer\"" },
  { "snake-case-on-9", m_snake_on_9, "deprecated snake_case keys" },
  { "kebab-case-before-8.4", m_kebab_on_83, "kebab-case keys need Proxmox VE 8.4 or later" },
};

static void
test_answer_bad (gconstpointer data)
{
  guint i = GPOINTER_TO_UINT (data);
  g_autoptr(LabRecipe) r = recipe_for ("9.2");
  g_autofree char *root = host_root ();
  g_autoptr(LabPveAnswer) a = lab_pve_answer_for_node (r, g_ptr_array_index (r->nodes, 0), root, HASH, SSH_KEY);
  g_autoptr(GPtrArray) problems = NULL;

  bad_answers[i].mutate (a);
  problems = lab_pve_answer_validate (a);
  g_assert_cmpuint (problems->len, ==, 1);
  if (problems->len >= 1)
    {
      g_test_message ("%s", (char *) problems->pdata[0]);
      g_assert_nonnull (strstr (problems->pdata[0], bad_answers[i].message));
    }
}

static void
test_host_locale (void)
{
  g_autofree char *root = host_root ();
  g_autofree char *empty = g_dir_make_tmp ("labctl-locale-XXXXXX", NULL);
  char *kbd = NULL, *country = NULL, *tz = NULL;

  lab_pve_host_locale (root, &kbd, &country, &tz);
  g_assert_cmpstr (kbd, ==, "de");
  g_assert_cmpstr (country, ==, "de");
  g_assert_cmpstr (tz, ==, "Europe/Berlin");
  g_free (kbd), g_free (country), g_free (tz);
  /* a host with nothing set: the installer's defaults */
  g_setenv ("LANG", "C.UTF-8", TRUE);
  lab_pve_host_locale (empty, &kbd, &country, &tz);
  g_assert_cmpstr (kbd, ==, "en-us");
  g_assert_cmpstr (country, ==, "us");
  g_assert_cmpstr (tz, ==, "UTC");
  g_free (kbd), g_free (country), g_free (tz);
  /* Etc/UTC through the /etc/localtime link, a layout the installer lacks */
  lab_test_write_file (empty, "etc/default/keyboard", "XKBLAYOUT=\"ru,us\"\n", -1);
  {
    g_autofree char *etc = g_build_filename (empty, "etc", "localtime", NULL);
    g_assert_cmpint (symlink ("/usr/share/zoneinfo/Etc/UTC", etc), ==, 0);
  }
  g_setenv ("LANG", "ru_RU.UTF-8", TRUE);
  lab_pve_host_locale (empty, &kbd, &country, &tz);
  g_assert_cmpstr (kbd, ==, "en-us");
  g_assert_cmpstr (country, ==, "ru");
  g_assert_cmpstr (tz, ==, "UTC");
  g_free (kbd), g_free (country), g_free (tz);
  lab_test_remove_tree (empty);
}

static void
test_password (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pw = lab_pve_new_password ();
  g_autofree char *hash = lab_pve_hash_password (pw, &error);
  g_autoptr(LabRecipe) r = recipe_for ("9.2");
  g_autoptr(LabPveAnswer) a = lab_pve_answer_for_node (r, g_ptr_array_index (r->nodes, 0), NULL, hash, SSH_KEY);
  g_autofree char *toml = lab_pve_answer_to_toml (a, FALSE);

  g_assert_no_error (error);
  g_assert_cmpuint (strlen (pw), ==, 20);
  g_assert_true (g_str_has_prefix (hash, "$6$"));
  /* the file has the hash, never the password */
  g_assert_null (strstr (toml, pw));
  g_assert_nonnull (strstr (toml, hash));
}

/* ---- the prepared ISO ------------------------------------------------ */

typedef struct {
  char *dir;
  char *tree;
  char *iso;
  char *log;
} IsoFixture;

/* The layout of a Proxmox VE ISO (xorriso -as mkisofs with isohybrid
 * GPT): an MBR and a GPT whose partitions point into the ISO (the EFI
 * partition is the El Torito EFI image /boot/efi.img), El Torito BIOS and
 * EFI boot images. The MBR template is zeros (no isolinux here). */
static void
build_iso (IsoFixture *f, gboolean capable)
{
  g_autofree char *efi = g_build_filename (f->tree, "boot", "efi.img", NULL);
  g_autofree char *bios = g_build_filename (f->tree, "boot", "bios.img", NULL);
  g_autofree char *mbr = g_build_filename (f->dir, "mbr.bin", NULL);
  const char *mkfs[] = { "mkfs.vfat", "-C", efi, "1440", NULL };
  const char *mk[] = { "xorriso", "-as", "mkisofs", "-o", f->iso, "-V", "PVE", "-r", "-J", "-isohybrid-mbr", mbr,
                       "-b", "boot/bios.img", "-no-emul-boot", "-boot-load-size", "4",
                       "-eltorito-alt-boot", "-e", "boot/efi.img", "-no-emul-boot", "-isohybrid-gpt-basdat",
                       f->tree, NULL };
  g_autofree char *zeros = g_malloc0 (2048);

  lab_test_write_file (f->tree, "boot/grub/grub.cfg",
                       "if [ -f auto-installer-mode.toml ]; then\n  set timeout=10\n"
                       "  menuentry 'Install Proxmox VE (Automated)' { linux /boot/linux26 proxmox-start-auto-installer; }\n"
                       "fi\n", -1);
  lab_test_write_file (f->tree, "boot/linux26", "not a kernel\n", -1);
  lab_test_write_file (f->tree, ".disk/info", "Proxmox VE test\n", -1);
  if (capable)
    lab_test_write_file (f->tree, "auto-installer-capable", "", -1);
  memcpy (zeros + 510, "\x55\xaa", 2);
  g_assert_true (g_file_set_contents (bios, zeros, 2048, NULL));
  g_assert_true (g_file_set_contents (mbr, zeros, 432, NULL));
  g_assert_true (run (mkfs, NULL, NULL));
  g_assert_true (run (mk, NULL, NULL));
}

static void
iso_setup (IsoFixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp ("labctl-pveiso-XXXXXX", NULL);
  f->tree = g_build_filename (f->dir, "tree", NULL);
  f->iso = g_build_filename (f->dir, "proxmox-ve_9.2-1.iso", NULL);
  f->log = g_build_filename (f->dir, "labctl.log", NULL);
  build_iso (f, GPOINTER_TO_INT (data));
}

static void
iso_teardown (IsoFixture *f, gconstpointer data)
{
  lab_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->tree);
  g_free (f->iso);
  g_free (f->log);
}

static char *
xorriso_report (const char *iso, const char *what, const char *how)
{
  const char *argv[] = { "xorriso", "-indev", iso, what, how, NULL };
  char *out = NULL;

  g_assert_true (run (argv, &out, NULL));
  return out;
}

/* path -> sha256 of every file extracted from iso */
static GHashTable *
extract_files (const char *iso, const char *into)
{
  const char *argv[] = { "xorriso", "-osirrox", "on", "-indev", iso, "-extract", "/", into, NULL };
  const char *find[] = { "find", into, "-type", "f", NULL };
  g_autofree char *list = NULL;
  g_auto(GStrv) files = NULL;
  GHashTable *t = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_assert_true (run (argv, NULL, NULL));
  g_assert_true (run (find, &list, NULL));
  files = g_strsplit (list, "\n", -1);
  for (guint i = 0; files[i] != NULL; i++)
    {
      g_autofree char *data = NULL;
      gsize len = 0;

      if (*files[i] == '\0')
        continue;
      g_assert_true (g_file_get_contents (files[i], &data, &len, NULL));
      g_hash_table_insert (t, g_strdup (files[i] + strlen (into)),
                           g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guchar *) data, len));
    }
  return t;
}

/* s, kept until the test program ends (for the assertion macros). */
static const char *
keep (char *s)
{
  static GPtrArray *kept;

  if (kept == NULL)
    kept = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (kept, s);
  return s;
}

static const char *
uuid_line (const char *report)
{
  const char *l = strstr (report, "-volume_date uuid '");
  const char *e = l != NULL ? strchr (l, '\n') : NULL;

  return e != NULL ? keep (g_strndup (l, e - l)) : "(none)";
}

/* The first n bytes of two files are the same. */
static gboolean
same_head (const char *a, const char *b, gsize n)
{
  g_autofree char *da = NULL;
  g_autofree char *db = NULL;
  gsize la = 0, lb = 0;

  return g_file_get_contents (a, &da, &la, NULL) && g_file_get_contents (b, &db, &lb, NULL) && la >= n && lb >= n
         && memcmp (da, db, n) == 0;
}

/* The plain El Torito report without its "El Torito catalog" line. */
static char *
without_catalog_impl (const char *report)
{
  g_auto(GStrv) lines = g_strsplit (report, "\n", -1);
  GString *s = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    if (!g_str_has_prefix (lines[i], "El Torito catalog"))
      g_string_append_printf (s, "%s\n", lines[i]);
  return g_string_free (s, FALSE);
}

static const char *
without_catalog (const char *report)
{
  return keep (without_catalog_impl (report));
}

static void
test_prepare_iso (IsoFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  g_autofree char *dest = lab_pve_prepared_iso_path (f->iso);
  g_autofree char *mode = g_build_filename (f->dir, "mode.toml", NULL);
  g_autofree char *before_area = xorriso_report (f->iso, "-report_system_area", "cmd");
  g_autofree char *before_boot = xorriso_report (f->iso, "-report_el_torito", "cmd");
  g_autofree char *after_area = NULL;
  g_autofree char *after_boot = NULL;
  g_autofree char *before_boot_plain = NULL;
  g_autofree char *x1 = g_build_filename (f->dir, "x-before", NULL);
  g_autofree char *x2 = g_build_filename (f->dir, "x-after", NULL);
  g_autoptr(GHashTable) files1 = NULL;
  g_autoptr(GHashTable) files2 = NULL;
  g_autofree char *mode_bytes = NULL;
  g_autofree char *mode_path = NULL;
  gsize mode_len = 0;
  GHashTableIter it;
  gpointer k, v;

  g_assert_cmpstr (dest, ==, g_strconcat (f->dir, "/proxmox-ve_9.2-1-auto-from-partition.iso", NULL));
  g_assert_cmpuint (strlen (LAB_PVE_MODE_PARTITION), ==, 59);
  lab_runner_set_log_path (runner, f->log);
  g_assert_true (g_file_set_contents (mode, LAB_PVE_MODE_PARTITION, -1, NULL));
  g_assert_true (lab_pve_prepare_iso (runner, f->iso, dest, mode, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (dest, G_FILE_TEST_IS_REGULAR));
  /* the source is untouched, no temporary copy is left */
  {
    g_autofree char *tmp = g_strconcat (dest, ".tmp", NULL);
    g_autofree char *again = xorriso_report (f->iso, "-report_system_area", "cmd");
    g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
    g_assert_cmpstr (again, ==, before_area);
  }
  /* volume UUID, system area (MBR, GPT: the first 16 blocks, byte for
   * byte) and the El Torito boot images as before; only the boot catalog
   * has a new copy in the new session */
  after_area = xorriso_report (dest, "-report_system_area", "cmd");
  after_boot = xorriso_report (dest, "-report_el_torito", "plain");
  before_boot_plain = xorriso_report (f->iso, "-report_el_torito", "plain");
  g_test_message ("system area:\n%s", after_area);
  g_test_message ("el torito:\n%s", after_boot);
  g_assert_nonnull (strstr (before_area, "-volume_date uuid '"));
  g_assert_cmpstr (uuid_line (after_area), ==, uuid_line (before_area));
  g_assert_nonnull (strstr (before_boot, "-boot_image any efi_path='/boot/efi.img'"));
  g_assert_true (same_head (f->iso, dest, 16 * 2048));
  g_assert_cmpstr (without_catalog (after_boot), ==, without_catalog (before_boot_plain));
  g_assert_nonnull (strstr (before_boot_plain, "El Torito boot img :   2  UEFI"));
  /* every original file, byte for byte, plus the mode file */
  files1 = extract_files (f->iso, x1);
  files2 = extract_files (dest, x2);
  g_assert_cmpuint (g_hash_table_size (files2), ==, g_hash_table_size (files1) + 1);
  g_hash_table_iter_init (&it, files1);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_assert_cmpstr (g_hash_table_lookup (files2, k), ==, v);
  g_assert_true (g_hash_table_contains (files1, "/boot/grub/grub.cfg"));
  g_assert_true (g_hash_table_contains (files1, "/auto-installer-capable"));
  mode_path = g_build_filename (x2, "auto-installer-mode.toml", NULL);
  g_assert_true (g_file_get_contents (mode_path, &mode_bytes, &mode_len, NULL));
  g_assert_cmpuint (mode_len, ==, 59);
  g_assert_cmpstr (mode_bytes, ==, "mode = \"partition\"\npartition_label = \"proxmox-ais\"\n\n[http]\n");
}

static void
test_prepare_refused (IsoFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  g_autofree char *dest = lab_pve_prepared_iso_path (f->iso);
  g_autofree char *mode = g_build_filename (f->dir, "mode.toml", NULL);

  g_assert_true (g_file_set_contents (mode, LAB_PVE_MODE_PARTITION, -1, NULL));
  g_assert_false (lab_pve_prepare_iso (runner, f->iso, dest, mode, NULL, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "not able to be installed automatically"));
  g_assert_false (g_file_test (dest, G_FILE_TEST_EXISTS));
}

static void
test_answer_image (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  g_autofree char *dir = g_dir_make_tmp ("labctl-ais-XXXXXX", NULL);
  g_autofree char *toml = g_build_filename (dir, "answer.toml", NULL);
  g_autofree char *img = g_build_filename (dir, "answer.img", NULL);
  g_autofree char *label = NULL;
  g_autofree char *back = NULL;
  const char *fatlabel[] = { "fatlabel", img, NULL };
  const char *mtype[] = { "mtype", "-i", img, "::answer.toml", NULL };
  struct stat st;

  g_assert_true (g_file_set_contents (toml, "[global]\nfqdn = \"pve1.lab.labctl\"\n", -1, NULL));
  g_assert_true (lab_pve_answer_image (runner, toml, img, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (img, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (run (fatlabel, &label, NULL));
  g_assert_cmpstr (g_strstrip (label), ==, LAB_PVE_ANSWER_LABEL);
  g_assert_true (run (mtype, &back, NULL));
  g_assert_cmpstr (back, ==, "[global]\nfqdn = \"pve1.lab.labctl\"\n");
  /* again over the old one (a re-run of the step) */
  g_assert_true (lab_pve_answer_image (runner, toml, img, &error));
  g_assert_no_error (error);
  lab_test_remove_tree (dir);
}

/* The proxmox row's steps for real on files (xorriso, mkfs.vfat, mcopy,
 * ssh-keygen) and libvirt's test driver: the ISO found verified in the
 * cache, the prepared ISO made beside it, every node's password, answer
 * and PROXMOX-AIS image, the domains defined with both and started; then
 * `up` again finds everything done, and `down` removes what is the lab's
 * and leaves the shared ISO cache. */
static void
test_plan (IsoFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *isos = g_build_filename (f->dir, "isos", NULL);
  g_autofree char *states = g_build_filename (f->dir, "state", NULL);
  g_autofree char *iso = g_build_filename (isos, "proxmox-ve_9.2-1.iso", NULL);
  g_autofree char *prepared = g_build_filename (isos, "proxmox-ve_9.2-1-auto-from-partition.iso", NULL);
  g_autofree char *uri = virt_test_uri ();
  g_autofree char *recipe_path = g_build_filename (LABCTL_SOURCE_DIR, "recipes", "proxmox-3node.lab", NULL);
  g_autoptr(LabRecipe) r = lab_recipe_load (recipe_path, &error);
  g_autoptr(LabState) state = NULL;
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  g_autoptr(LabPlan) plan = NULL;
  g_autofree char *log = g_build_filename (f->dir, "plan.log", NULL);
  LabContext ctx;

  g_assert_no_error (error);
  if (r == NULL)
    return;
  g_mkdir_with_parents (isos, 0755);
  g_assert_cmpint (g_rename (f->iso, iso), ==, 0);
  /* in the cache and checked (the record is what `iso fetch` leaves) */
  g_assert_true (lab_iso_record_sha256 (iso, "4e88fe416df9b527624a175f24c9aa07c714d3332afb1ee3dbf3879573ef2c6c", NULL));
  for (guint i = 1; i <= 3; i++)
    {
      g_autofree char *lv = g_strdup_printf ("dev/vg_iscsi/lv_pve%u", i);
      lab_test_write_file (f->dir, lv, "", -1);
    }
  g_setenv ("LABCTL_ISO_DIR", isos, TRUE);
  g_setenv ("LABCTL_STATE_DIR", states, TRUE);
  g_setenv ("LABCTL_DOMAIN_TYPE", "kvm", TRUE);
  g_setenv ("LABCTL_SYSROOT", LABCTL_SOURCE_DIR "/tests/data/hosts/intel-nested", TRUE);
  {
    g_autofree char *dir = g_build_filename (states, "course", NULL);
    g_mkdir_with_parents (dir, 0700);
    state = lab_state_load (dir, "course", &error);
    g_assert_no_error (error);
  }
  lab_runner_set_log_path (runner, log);
  lab_context_init (&ctx, r, state, runner, NULL, FALSE);
  ctx.libvirt_uri = uri;
  ctx.sysroot = f->dir;
  plan = lab_plan_new (&ctx);
  lab_plan_set_phase (plan, LAB_PHASE_NETWORK);
  lab_proxmox_add_network_steps (plan, &ctx);
  lab_plan_set_phase (plan, LAB_PHASE_NODES);
  lab_proxmox_add_node_steps (plan, &ctx);
  g_assert_cmpstr (lab_plan_get_step_id (plan, 0), ==, "iso.fetch");
  g_assert_cmpstr (lab_plan_get_step_id (plan, 2), ==, "nodes.iso");
  g_assert_cmpstr (lab_plan_get_step_id (plan, 3), ==, "nodes.answer:pve1");

  g_assert_true (lab_plan_up (plan, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (prepared, G_FILE_TEST_IS_REGULAR));
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *n = g_ptr_array_index (r->nodes, i);
      g_autofree char *key = g_strdup_printf ("nodes.%s.pve.root_password", n->name);
      g_autofree char *step = g_strdup_printf ("nodes.define:%s", n->name);
      g_autofree char *toml_path = g_build_filename (states, "course", "nodes", n->name, "answer.toml", NULL);
      g_autofree char *img = g_build_filename (states, "course", "nodes", n->name, "answer.img", NULL);
      g_autofree char *toml = NULL;
      g_autofree char *label = NULL;
      const char *fatlabel[] = { "fatlabel", img, NULL };
      const char *pw = lab_state_get_secret (state, key);
      struct stat st;

      g_assert_nonnull (pw);
      g_assert_cmpuint (pw != NULL ? strlen (pw) : 0, ==, 20);
      g_assert_cmpint (lab_state_get_step (state, step), ==, LAB_STEP_STATE_DONE);
      g_assert_true (g_file_get_contents (toml_path, &toml, NULL, NULL));
      g_assert_cmpint (g_stat (toml_path, &st), ==, 0);
      g_assert_cmpint (st.st_mode & 0777, ==, 0600);
      /* the hash of the password, never the password */
      g_assert_nonnull (strstr (toml, "root-password-hashed = \"$6$"));
      g_assert_null (pw != NULL ? strstr (toml, pw) : "");
      g_assert_nonnull (strstr (toml, "root-ssh-keys = [\"ssh-ed25519 "));
      g_assert_true (run (fatlabel, &label, NULL));
      g_assert_cmpstr (g_strstrip (label), ==, LAB_PVE_ANSWER_LABEL);
    }
  g_assert_cmpint (lab_state_get_step (state, "nodes.start"), ==, LAB_STEP_STATE_DONE);
  /* the password is never logged */
  {
    g_autofree char *text = NULL;
    g_autofree char *key = g_strdup ("nodes.pve1.pve.root_password");
    g_assert_true (g_file_get_contents (log, &text, NULL, NULL));
    g_assert_null (strstr (text, lab_state_get_secret (state, key)));
    g_assert_nonnull (strstr (text, "xorriso -boot_image any keep -volume_date uuid"));
  }
  /* everything is found done */
  g_assert_true (lab_plan_up (plan, &error));
  g_assert_no_error (error);
  g_assert_true (lab_plan_down (plan, &error));
  g_assert_no_error (error);
  {
    g_autofree char *img = g_build_filename (states, "course", "nodes", "pve1", "answer.img", NULL);
    g_autofree char *key = g_build_filename (states, "course", "ssh", "id_ed25519", NULL);
    g_autofree char *nodes = g_build_filename (states, "course", "nodes", NULL);
    g_assert_false (g_file_test (img, G_FILE_TEST_EXISTS));
    g_assert_false (g_file_test (key, G_FILE_TEST_EXISTS));
    /* no node directory is left */
    g_assert_true (g_rmdir (nodes) == 0 || !g_file_test (nodes, G_FILE_TEST_EXISTS));
  }
  /* the shared cache stays */
  g_assert_true (g_file_test (prepared, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (iso, G_FILE_TEST_IS_REGULAR));
  g_unsetenv ("LABCTL_ISO_DIR");
  g_unsetenv ("LABCTL_STATE_DIR");
  g_unsetenv ("LABCTL_DOMAIN_TYPE");
  g_unsetenv ("LABCTL_SYSROOT");
}

/* nodes.install's probe of port 8006, against the contract server's TLS
 * (a node's own self-signed certificate): the fingerprint is the one the
 * pve.* steps pin; a closed port is an error, not an answer. */
static void
test_probe_api (void)
{
  g_autofree char *schema = g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", "pve", "apidata-9.1.3.json", NULL);
  const LabPveServerNode nodes[] = { { "pve1", "192.168.150.11", "secret-password" } };
  const char *own[] = { "lv_pve1", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(LabPveServer) server = lab_pve_server_new (schema, nodes, 1, "iqn.2026-01.labctl.lab:course",
                                                       "192.168.150.1:3260", "vg_iscsi", own, &error);
  g_autofree char *url = NULL;
  g_autofree char *want = NULL;
  g_autofree char *fp = NULL;
  g_autofree char *none = NULL;
  const char *colon;
  guint port;

  g_assert_no_error (error);
  if (server == NULL)
    return;
  url = lab_pve_server_get_url (server, "pve1");
  want = lab_pve_server_get_fingerprint (server, "pve1");
  colon = strrchr (url, ':');
  port = (guint) g_ascii_strtoull (colon + 1, NULL, 10);
  g_assert_true (lab_proxmox_probe_api ("127.0.0.1", port, NULL, &fp, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (fp, ==, want);
  g_assert_cmpuint (strlen (fp), ==, 32 * 3 - 1);
  /* port 1 on the loopback: nothing listens */
  g_assert_false (lab_proxmox_probe_api ("127.0.0.1", 1, NULL, &none, &error));
  g_assert_nonnull (error);
  g_assert_null (none);
}

/* What a failed install quotes: the last lines of the serial log, without
 * the installer's escape sequences, carriage returns and empty lines. */
static void
test_console_tail (void)
{
  g_autofree char *dir = g_dir_make_tmp ("labctl-test-console-XXXXXX", NULL);
  g_autofree char *log = g_build_filename (dir, "console.log", NULL);
  g_autofree char *tail = NULL;
  g_autofree char *last = NULL;
  g_autofree char *missing = NULL;
  const char *text = "SeaBIOS\r\nbooting\r\n\033[1;31mERROR\033[0m: disk vda not found\r\n\r\n"
                     "\033[2J\033[Hpowering off\a\r\n\r\n";

  g_assert_true (g_file_set_contents (log, text, -1, NULL));
  tail = lab_proxmox_console_tail (log, 2);
  g_assert_cmpstr (tail, ==, "ERROR: disk vda not found\npowering off");
  last = lab_proxmox_console_tail (log, 1);
  g_assert_cmpstr (last, ==, "powering off");
  missing = lab_proxmox_console_tail ("/nonexistent/console.log", 5);
  g_assert_cmpstr (missing, ==, "");
  g_unlink (log);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  static const char * const versions[] = { "8.4", "9.1", "9.2", "8.3" };

  g_setenv ("MTOOLS_SKIP_CHECK", "1", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  for (guint i = 0; i < G_N_ELEMENTS (versions); i++)
    {
      g_autofree char *path = g_strdup_printf ("/proxmox/answer/golden/%s", versions[i]);
      g_test_add_data_func (path, versions[i], test_answer_golden);
    }
  g_test_add_func ("/proxmox/answer/masked", test_answer_masked);
  g_test_add_func ("/proxmox/answer/password", test_password);
  g_test_add_func ("/proxmox/answer/host-locale", test_host_locale);
  for (guint i = 0; i < G_N_ELEMENTS (bad_answers); i++)
    {
      g_autofree char *path = g_strdup_printf ("/proxmox/answer/bad/%s", bad_answers[i].name);
      g_test_add_data_func (path, GUINT_TO_POINTER (i), test_answer_bad);
    }
  g_test_add ("/proxmox/iso/prepare", IsoFixture, GINT_TO_POINTER (TRUE), iso_setup, test_prepare_iso, iso_teardown);
  g_test_add ("/proxmox/iso/not-capable", IsoFixture, GINT_TO_POINTER (FALSE), iso_setup, test_prepare_refused,
              iso_teardown);
  g_test_add_func ("/proxmox/answer-image", test_answer_image);
  g_test_add ("/proxmox/plan/up-down", IsoFixture, GINT_TO_POINTER (TRUE), iso_setup, test_plan, iso_teardown);
  g_test_add_func ("/proxmox/install/probe-api", test_probe_api);
  g_test_add_func ("/proxmox/install/console-tail", test_console_tail);
  return g_test_run ();
}
