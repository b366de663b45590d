/* The course's command, and what labctl builds for it.
 *
 * The course creates each node with
 *   virt-install --name=pve1 --vcpus=2 --cpu=host-passthrough,cache.mode=passthrough
 *     --memory=2048 --disk path=/dev/vg_iscsi/lv_pve1,size=10 --cdrom=isos/proxmox-ve_6.1-1.iso
 * This test builds labctl's domain XML for the same node (recipe -> osinfo
 * -> LabVirtDomainSpec -> XML) and compares it with what that very line
 * makes virt-install print (--print-xml 1 --dry-run: the install phase).
 * virt-install runs without libvirtd through virtinst's test URI, with the
 * capabilities of this machine's libvirt 9.0 / QEMU 7.2
 * (tests/data/virt/qemu-*caps*.xml) and labctl's osinfo overlay
 * (OSINFO_USER_DIR), so it sees what it would see on qemu:///system.
 * Temporary files stand in for the LV and the ISO (a fake ISO 9660 image
 * with the Proxmox VE volume id "PVE").
 *
 * Both documents are flattened into sets of lines ("/domain/devices/disk
 * [device=disk]/target@bus=virtio"), UUIDs and MAC values normalised,
 * memory converted to KiB. Every line in one set and not the other must be
 * explained by an entry of allowed_differences[] below, and every entry must
 * still be needed: a change on either side makes the test fail until the
 * table is updated with a reason. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "fake-iso.h"
#include "lab-vm.h"
#include "lab-osinfo.h"
#include "lab-recipe.h"
#include "lab-virt-xml.h"

typedef struct {
  const char *side;      /* "virt-install" or "labctl": where the line appears alone */
  const char *pattern;   /* glob over the flattened line */
  const char *reason;
} AllowedDifference;

static const AllowedDifference allowed_differences[] = {
  { "labctl", "/domain/metadata/labctl:lab*",
    "labctl's ownership mark (lab, node, recipe hash): nothing without it is ever touched" },
  { "labctl", "/domain/metadata/libosinfo:libosinfo/libosinfo:os@id=http://proxmox.com/proxmox-ve/6",
    "every Proxmox VE ISO has the volume id PVE: labctl takes the major version from the file name "
    "(proxmox-ve_6.1-1.iso), virt-install takes the first match of the overlay (9)" },
  { "virt-install", "/domain/metadata/libosinfo:libosinfo/libosinfo:os@id=http://proxmox.com/proxmox-ve/9",
    "(the other side of the line above)" },
  { "virt-install", "/domain/devices/video/model@type=virtio",
    "follows from the OS version above: osinfo lists a virtio-gpu driver from Debian 11 on (Proxmox VE 7, 8, 9), "
    "not for Debian 10 (Proxmox VE 6); labctl, like virt-install, takes virtio when the OS has it, else qxl" },
  { "labctl", "/domain/devices/video/model@type=qxl", "(video model, see above)" },
  { "virt-install", "/domain/os/boot[dev=cdrom]",
    "labctl orders boot per device (disk 1, cdrom 2): the empty disk falls through to the installer, and "
    "after the install the node boots from its disk with the same definition (virt-install redefines it)" },
  { "virt-install", "/domain/os/boot[dev=hd]", "(per-device boot order, see above)" },
  { "labctl", "/domain/devices/disk[device=disk]/boot@order=1", "(per-device boot order, see above)" },
  { "labctl", "/domain/devices/disk[device=cdrom]/boot@order=2", "(per-device boot order, see above)" },
  { "virt-install", "/domain/on_reboot=destroy",
    "virt-install's install phase stops at the installer's reboot so it can redefine the domain; labctl's "
    "single definition lets the node reboot into the installed system" },
  { "labctl", "/domain/on_reboot=restart", "(single definition, see above)" },
  { "labctl", "/domain/on_poweroff=destroy", "libvirt's default, written out" },
  { "labctl", "/domain/on_crash=destroy", "libvirt's default, written out" },
  { "labctl", "/domain/devices/disk[device=disk]/driver@cache=none",
    "cache='none' (O_DIRECT) is required for live migration on the shared iSCSI/LVM storage" },
  { "labctl", "/domain/devices/disk[device=disk]/driver@io=native", "native AIO, the usual pair of cache='none'" },
  { "labctl", "/domain/devices/disk[device=disk]/driver@discard=unmap",
    "the guest's TRIM reaches the sparse backing image through the LV" },
  { "labctl", "/domain/devices/disk[device=*]/driver@type=raw",
    "the format is stated, never probed (probing a guest-written raw disk is unsafe)" },
  { "virt-install", "/domain/devices/emulator=/usr/bin/qemu-system-x86_64",
    "libvirt fills in the emulator from its capabilities" },
  { "virt-install", "/domain/devices/controller[type=usb,model=qemu-xhci]@ports=15",
    "libvirt adds q35's default USB controller (qemu-xhci) itself" },
  { "virt-install", "/domain/devices/controller[type=pci,model=pcie-root]",
    "libvirt adds the PCIe root and the root ports the devices need at define time; virt-install reserves "
    "14 extra ports for hot-plug, which the nodes do not use" },
  { "virt-install", "/domain/devices/controller[type=pci,model=pcie-root-port]", "(PCIe ports, see above)" },
  { "virt-install", "/domain/devices/interface[type=network]/source@network=default",
    "the course's line has no --network (libvirt's default NAT network); labctl puts the nodes on the "
    "lab's own network with a DHCP reservation per node" },
  { "labctl", "/domain/devices/interface[type=network]/source@network=labctl-course", "(lab network, see above)" },
  { "labctl", "/domain/devices/serial[type=pty]*",
    "an explicit serial port: the console below and 'labctl nodes console' use it" },
  { "labctl", "/domain/devices/console[type=pty]/target@type=serial", "(serial console, see above)" },
  { "labctl", "/domain/devices/console[type=pty]/target@port=0", "(serial console, see above)" },
  { "virt-install", "/domain/devices/graphics[type=spice]@port=-1", "libvirt's default (autoport)" },
  { "virt-install", "/domain/devices/graphics[type=spice]@tlsPort=-1", "libvirt's default (autoport)" },
  { "labctl", "/domain/devices/graphics[type=spice]/listen@type=address",
    "the node's screen listens on 127.0.0.1 only, not on every address of the desktop" },
  { "labctl", "/domain/devices/graphics[type=spice]/listen@address=127.0.0.1", "(localhost only, see above)" },
  { "virt-install", "/domain/devices/sound@model=ich9", "a node is a server: no sound card" },
  { "virt-install", "/domain/devices/redirdev[type=spicevmc]@bus=usb",
    "USB redirection from the viewer is of no use to a node" },
};

/* ---- flattening ---------------------------------------------------------- */

typedef struct {
  GPtrArray  *path;     /* components */
  GHashTable *lines;
  GString    *text;
  GPtrArray  *units;    /* memory unit per level */
} Flat;

static const char *
attr_of (const char **names, const char **values, const char *name)
{
  for (guint i = 0; names[i] != NULL; i++)
    if (g_str_equal (names[i], name))
      return values[i];
  return NULL;
}

static const char *const *
discriminators (const char *element, const char *parent)
{
  static const char *const type_model[] = { "type", "model", NULL };
  static const char *const device[] = { "device", NULL };
  static const char *const type[] = { "type", NULL };
  static const char *const name[] = { "name", NULL };
  static const char *const dev[] = { "dev", NULL };

  if (g_str_equal (element, "disk"))
    return device;
  if (g_str_equal (element, "controller"))
    return type_model;
  if (g_str_equal (element, "timer"))
    return name;
  if (g_str_equal (element, "boot") && g_strcmp0 (parent, "os") == 0)
    return dev;
  if (g_str_equal (element, "channel") || g_str_equal (element, "input") || g_str_equal (element, "graphics")
      || g_str_equal (element, "interface") || g_str_equal (element, "serial") || g_str_equal (element, "console")
      || g_str_equal (element, "redirdev"))
    return type;
  return NULL;
}

static char *
joined_path (Flat *f)
{
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i < f->path->len; i++)
    g_string_append_printf (s, "/%s", (const char *) g_ptr_array_index (f->path, i));
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
add_line (Flat *f, char *line)
{
  g_hash_table_add (f->lines, line);
}

static void
flat_start (GMarkupParseContext *c, const char *element, const char **names, const char **values,
            gpointer data, GError **error)
{
  Flat *f = data;
  const char *parent = f->path->len > 0 ? g_ptr_array_index (f->path, f->path->len - 1) : NULL;
  const char *const *disc = discriminators (element, parent);
  g_autoptr(GString) comp = g_string_new (element);
  g_autofree char *path = NULL;
  gboolean any = FALSE;

  if (disc != NULL)
    {
      g_string_append_c (comp, '[');
      for (guint i = 0; disc[i] != NULL; i++)
        g_string_append_printf (comp, "%s%s=%s", i > 0 ? "," : "", disc[i],
                                attr_of (names, values, disc[i]) ? attr_of (names, values, disc[i]) : "");
      g_string_append_c (comp, ']');
    }
  g_ptr_array_add (f->path, g_string_free (g_steal_pointer (&comp), FALSE));
  g_ptr_array_add (f->units, g_strdup (attr_of (names, values, "unit")));
  path = joined_path (f);
  for (guint i = 0; names[i] != NULL; i++)
    {
      const char *value = values[i];
      gboolean skip = g_str_has_prefix (names[i], "xmlns") || g_str_equal (names[i], "unit");

      for (guint j = 0; disc != NULL && disc[j] != NULL; j++)
        if (g_str_equal (names[i], disc[j]))
          skip = TRUE;
      if (g_str_equal (element, "mac") && g_str_equal (names[i], "address"))
        value = "MAC";
      if (!skip)
        add_line (f, g_strdup_printf ("%s@%s=%s", path, names[i], value));
      any = any || !skip;
    }
  if (!any && !g_str_equal (element, "uuid"))
    add_line (f, g_strdup (path));
  g_string_truncate (f->text, 0);
}

static void
flat_text (GMarkupParseContext *c, const char *text, gsize len, gpointer data, GError **error)
{
  Flat *f = data;

  g_string_append_len (f->text, text, len);
}

static void
flat_end (GMarkupParseContext *c, const char *element, gpointer data, GError **error)
{
  Flat *f = data;
  g_autofree char *path = joined_path (f);
  g_autofree char *text = g_strstrip (g_strdup (f->text->str));
  const char *unit = g_ptr_array_index (f->units, f->units->len - 1);

  if (*text != '\0' && !g_str_equal (element, "uuid"))
    {
      if (g_str_equal (element, "memory") || g_str_equal (element, "currentMemory"))
        {
          guint64 v = g_ascii_strtoull (text, NULL, 10);
          if (g_strcmp0 (unit, "MiB") == 0)
            v *= 1024;
          else if (g_strcmp0 (unit, "GiB") == 0)
            v *= 1024 * 1024;
          g_free (text);
          text = g_strdup_printf ("%" G_GUINT64_FORMAT, v);
        }
      add_line (f, g_strdup_printf ("%s=%s", path, text));
      /* an element with text is not a bare presence line */
      g_hash_table_remove (f->lines, path);
    }
  g_string_truncate (f->text, 0);
  g_ptr_array_remove_index (f->path, f->path->len - 1);
  g_ptr_array_remove_index (f->units, f->units->len - 1);
}

static GHashTable *
flatten (const char *xml)
{
  static const GMarkupParser parser = { flat_start, flat_end, flat_text, NULL, NULL };
  Flat f = { g_ptr_array_new_with_free_func (g_free), g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
             g_string_new (NULL), g_ptr_array_new_with_free_func (g_free) };
  g_autoptr(GMarkupParseContext) ctx = g_markup_parse_context_new (&parser, 0, &f, NULL);
  g_autoptr(GError) error = NULL;

  g_markup_parse_context_parse (ctx, xml, -1, &error);
  g_assert_no_error (error);
  g_ptr_array_unref (f.path);
  g_ptr_array_unref (f.units);
  g_string_free (f.text, TRUE);
  return f.lines;
}

/* ---- the two sides ------------------------------------------------------- */

static char *
labctl_xml (const char *lv, const char *iso)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strdup_printf (
    "[lab]\nname = course\n"
    "[storage]\nvg = vg_iscsi\n"
    "[nodes]\ncount = 1\nname-pattern = pve%%d\nvcpus = 2\ncpu-mode = host-passthrough\n"
    "cache-mode = passthrough\nmemory = 2048\ndisk = 10G\ninstall-media = %s\n", iso);
  g_autoptr(LabRecipe) recipe = lab_recipe_load_data (text, -1, "course.lab", &error);
  g_autoptr(LabOsinfo) osinfo = NULL;
  g_autoptr(LabOsinfoProfile) profile = NULL;
  g_autoptr(LabVirtDomainSpec) spec = NULL;
  LabNode *node;

  g_assert_no_error (error);
  g_assert_nonnull (recipe);
  osinfo = lab_osinfo_new (NULL, &error);
  g_assert_no_error (error);
  profile = lab_osinfo_identify_iso (osinfo, iso, &error);
  g_assert_no_error (error);
  g_assert_nonnull (profile);
  node = g_ptr_array_index (recipe->nodes, 0);
  g_assert_cmpstr (node->name, ==, "pve1");
  spec = lab_vm_domain_spec (recipe, node, profile, "kvm", iso);
  /* /dev/vg_iscsi/lv_pve1 is a block device on a real stand; here both
   * sides get the same stand-in file */
  g_assert_cmpstr (spec->disk_path, ==, "/dev/vg_iscsi/lv_pve1");
  g_free (spec->disk_path);
  spec->disk_path = g_strdup (lv);
  return lab_virt_domain_xml (spec);
}

static char *
virt_install_xml (const char *dir, const char *lv, const char *iso)
{
  g_autofree char *caps = g_test_build_filename (G_TEST_DIST, "data", "virt", "qemu-caps.xml", NULL);
  g_autofree char *domcaps = g_test_build_filename (G_TEST_DIST, "data", "virt", "qemu-domcaps-kvm.xml", NULL);
  g_autofree char *overlay = g_build_filename (LABCTL_SOURCE_DIR, "iso-cache", "osinfo", NULL);
  g_autofree char *connect = g_strdup_printf ("__virtinst_test__test:///default,caps=%s,domcaps=%s,predictable,"
                                              "fakeuri=qemu:///system", caps, domcaps);
  g_autofree char *disk = g_strdup_printf ("path=%s,size=10", lv);
  g_autofree char *cdrom = g_strdup_printf ("--cdrom=%s", iso);
  /* the course's line, plus where to connect and what to print */
  const char *argv[] = { "virt-install", "--connect", connect,
                         "--name=pve1", "--vcpus=2", "--cpu=host-passthrough,cache.mode=passthrough",
                         "--memory=2048", "--disk", disk, cdrom,
                         "--print-xml", "1", "--dry-run", NULL };
  g_auto(GStrv) env = g_get_environ ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = -1;

  env = g_environ_setenv (env, "OSINFO_USER_DIR", overlay, TRUE);
  env = g_environ_setenv (env, "XDG_CACHE_HOME", dir, TRUE);
  env = g_environ_setenv (env, "HOME", dir, TRUE);
  g_assert_true (g_spawn_sync (dir, (char **) argv, env, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_test_message ("virt-install: %s", err);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return g_steal_pointer (&out);
}

static const AllowedDifference *
explain (const char *side, const char *line, gboolean *used)
{
  for (guint i = 0; i < G_N_ELEMENTS (allowed_differences); i++)
    if (g_str_equal (allowed_differences[i].side, side)
        && g_pattern_match_simple (allowed_differences[i].pattern, line))
      {
        used[i] = TRUE;
        return &allowed_differences[i];
      }
  return NULL;
}

static int
compare_lines (gconstpointer a, gconstpointer b, gpointer data)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static guint
report (const char *side, GHashTable *mine, GHashTable *other, gboolean *used)
{
  g_autofree const char **lines = (const char **) g_hash_table_get_keys_as_array (mine, NULL);
  guint unexplained = 0;

  g_qsort_with_data (lines, g_strv_length ((char **) lines), sizeof (char *), compare_lines, NULL);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const AllowedDifference *why;

      if (g_hash_table_contains (other, lines[i]))
        continue;
      why = explain (side, lines[i], used);
      if (why != NULL)
        g_test_message ("only %s: %s -- %s", side, lines[i], why->reason);
      else
        {
          g_test_message ("UNEXPLAINED, only %s: %s", side, lines[i]);
          unexplained++;
        }
    }
  return unexplained;
}

static void
test_equivalence (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("labctl-virt-install-XXXXXX", &error);
  g_autofree char *isos = g_build_filename (dir, "isos", NULL);
  g_autofree char *iso = g_build_filename (isos, "proxmox-ve_6.1-1.iso", NULL);
  g_autofree char *lv = g_build_filename (dir, "lv_pve1", NULL);
  g_autofree char *ours = NULL;
  g_autofree char *theirs = NULL;
  g_autoptr(GHashTable) a = NULL;
  g_autoptr(GHashTable) b = NULL;
  gboolean used[G_N_ELEMENTS (allowed_differences)] = { 0 };
  guint unexplained = 0, common = 0;
  GHashTableIter it;
  gpointer key;

  g_assert_no_error (error);
  g_mkdir (isos, 0755);
  g_assert_true (fake_iso_write (iso, "PVE", &error));
  g_assert_true (g_file_set_contents (lv, "", 0, &error));

  ours = labctl_xml (lv, iso);
  theirs = virt_install_xml (dir, lv, iso);
  g_assert_nonnull (theirs);
  if (theirs == NULL)
    return;
  g_test_message ("labctl:\n%s", ours);
  g_test_message ("virt-install:\n%s", theirs);
  a = flatten (ours);
  b = flatten (theirs);

  g_hash_table_iter_init (&it, a);
  while (g_hash_table_iter_next (&it, &key, NULL))
    if (g_hash_table_contains (b, key))
      common++;
  g_test_message ("%u lines in common", common);
  /* the essentials of the course's command are the same on both sides */
  g_assert_true (g_hash_table_contains (a, "/domain@type=kvm"));
  g_assert_true (g_hash_table_contains (b, "/domain@type=kvm"));
  for (guint i = 0; i < 2; i++)
    {
      GHashTable *t = i == 0 ? a : b;
      g_assert_true (g_hash_table_contains (t, "/domain/cpu@mode=host-passthrough"));
      g_assert_true (g_hash_table_contains (t, "/domain/cpu/cache@mode=passthrough"));
      g_assert_true (g_hash_table_contains (t, "/domain/vcpu=2"));
      g_assert_true (g_hash_table_contains (t, "/domain/memory=2097152"));
      g_assert_true (g_hash_table_contains (t, "/domain/os/type@machine=q35"));
      g_assert_true (g_hash_table_contains (t, "/domain/devices/disk[device=disk]/target@bus=virtio"));
      g_assert_true (g_hash_table_contains (t, "/domain/devices/disk[device=cdrom]/target@bus=sata"));
    }

  unexplained += report ("labctl", a, b, used);
  unexplained += report ("virt-install", b, a, used);
  g_assert_cmpuint (unexplained, ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (allowed_differences); i++)
    if (!used[i])
      {
        g_test_message ("stale entry in allowed_differences[]: %s %s", allowed_differences[i].side,
                        allowed_differences[i].pattern);
        g_assert_true (used[i]);
      }

  g_unlink (iso);
  g_unlink (lv);
  g_rmdir (isos);
  {
    /* virt-install may leave its log under XDG_CACHE_HOME */
    const char *rm[] = { "rm", "-rf", dir, NULL };
    g_spawn_sync (NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
  }
}

/* The virt-install line `--dry-run` prints for a node is a working command:
 * run it (against the same capabilities) and look at what it builds. */
static void
test_describe_runs (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("labctl-virt-install-XXXXXX", &error);
  g_autofree char *iso = g_build_filename (dir, "proxmox-ve-8.2.iso", NULL);
  g_autofree char *lv = g_build_filename (dir, "lv_pve1", NULL);
  g_autofree char *caps = g_test_build_filename (G_TEST_DIST, "data", "virt", "qemu-caps.xml", NULL);
  g_autofree char *domcaps = g_test_build_filename (G_TEST_DIST, "data", "virt", "qemu-domcaps-kvm.xml", NULL);
  g_autofree char *connect = g_strdup_printf ("__virtinst_test__test:///default,caps=%s,domcaps=%s,predictable,"
                                              "fakeuri=qemu:///system", caps, domcaps);
  g_autofree char *overlay = g_build_filename (LABCTL_SOURCE_DIR, "iso-cache", "osinfo", NULL);
  g_autofree char *text = NULL;
  g_autoptr(LabRecipe) recipe = NULL;
  g_autoptr(LabOsinfo) osinfo = NULL;
  g_autoptr(LabOsinfoProfile) profile = NULL;
  g_autoptr(LabVirtDomainSpec) spec = NULL;
  g_auto(GStrv) lines = NULL;
  g_auto(GStrv) argv = NULL;
  g_auto(GStrv) env = g_get_environ ();
  g_autofree char *cmd = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *start;
  char *redirect;
  int status = -1;

  g_assert_no_error (error);
  g_assert_true (fake_iso_write (iso, "PVE", &error));
  g_assert_true (g_file_set_contents (lv, "", 0, &error));
  text = g_strdup_printf ("[lab]\nname = course\n[nodes]\ncount = 1\nname-pattern = pve%%d\nos = proxmox-ve-8\n"
                          "install-media = %s\n", iso);
  recipe = lab_recipe_load_data (text, -1, "course.lab", &error);
  g_assert_no_error (error);
  osinfo = lab_osinfo_new (NULL, &error);
  profile = lab_osinfo_lookup (osinfo, "proxmox-ve-8", &error);
  g_assert_no_error (error);
  spec = lab_vm_domain_spec (recipe, g_ptr_array_index (recipe->nodes, 0), profile, "kvm", iso);
  g_free (spec->disk_path);
  spec->disk_path = g_strdup (lv);

  lines = lab_virt_domain_describe (spec, connect, overlay);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  /* "OSINFO_USER_DIR=... virt-install ... --print-xml > pve1.xml" */
  g_assert_true (g_str_has_prefix (lines[0], "OSINFO_USER_DIR="));
  start = strstr (lines[0], "virt-install ");
  g_assert_nonnull (start);
  cmd = g_strdup (start);
  redirect = strstr (cmd, " > pve1.xml");
  g_assert_nonnull (redirect);
  *redirect = '\0';
  g_assert_true (g_shell_parse_argv (cmd, NULL, &argv, &error));
  g_assert_no_error (error);
  env = g_environ_setenv (env, "OSINFO_USER_DIR", overlay, TRUE);
  env = g_environ_setenv (env, "XDG_CACHE_HOME", dir, TRUE);
  env = g_environ_setenv (env, "HOME", dir, TRUE);
  g_assert_true (g_spawn_sync (dir, argv, env, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_test_message ("virt-install: %s", err);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (out, "<cpu mode=\"host-passthrough\">"));
  g_assert_nonnull (strstr (out, "<cache mode=\"passthrough\"/>"));
  g_assert_nonnull (strstr (out, "cache=\"none\""));
  g_assert_nonnull (strstr (out, "<source network=\"labctl-course\"/>"));
  g_assert_nonnull (strstr (out, spec->mac));
  g_assert_nonnull (strstr (out, "<boot order=\"2\"/>"));
  g_assert_nonnull (strstr (out, "http://proxmox.com/proxmox-ve/8"));
  /* then: virsh define, virsh metadata with labctl's mark */
  g_assert_nonnull (strstr (lines[1], " define pve1.xml"));
  g_assert_nonnull (strstr (lines[2], " metadata pve1 https://labctl.example/xmlns/1 --key labctl --config --set"));
  {
    const char *rm[] = { "rm", "-rf", dir, NULL };
    g_spawn_sync (NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

  g_test_add_func ("/virt/virt-install/equivalence", test_equivalence);
  g_test_add_func ("/virt/virt-install/describe-runs", test_describe_runs);
  return g_test_run ();
}
