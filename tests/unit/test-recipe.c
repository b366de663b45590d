/* test-recipe.c: LabRecipe parsing, validation, defaults and output. */
#include "config.h"

#include <string.h>

#include "lab-error.h"
#include "lab-recipe.h"

typedef struct {
  const char *name;
  const char *text;
  guint       line;
  const char *key;
  const char *hint;
} BadCase;

#define HEAD "[lab]\nname = t\n"   /* lines 1-2 */

static const BadCase bad_cases[] = {
  { "memory-2GB", HEAD "[nodes]\nmemory = 2 GB\n", 4, "memory", "write 2G or 2GiB" },
  { "memory-junk", HEAD "[nodes]\nvcpus = 2\nmemory = lots\n", 5, "memory", "2048M" },
  { "unknown-section", HEAD "[network]\nsubnet = 10.0.0.0/24\n[nodez]\n", 5, "[nodez]", "did you mean [nodes]" },
  { "unknown-section-far", HEAD "[zzzzzzzzzz]\n", 3, "[zzzzzzzzzz]", "known sections" },
  { "section-without-name", HEAD "[node]\nvcpus = 2\n", 3, "[node]", "[node pve1]" },
  { "unknown-key", HEAD "[nodes]\nmemroy = 2048\n", 4, "memroy", "did you mean 'memory'?" },
  { "key-wrong-section", HEAD "[storage]\nsubnet = 10.0.0.0/24\n", 4, "subnet", "belongs in [network]" },
  { "size-10GB", HEAD "[storage]\nsize = 10 GB\n", 4, "size", "write 10G or 10GiB (binary units)" },
  { "size-10GB-nospace", HEAD "[storage]\nsize = 10GB\n", 4, "size", "write 10G or 10GiB" },
  { "size-negative", HEAD "[nodes]\ndisk = -1\n", 4, "disk", "positive size" },
  { "size-zero", HEAD "[nodes]\ndisk = 0\n", 4, "disk", "greater than zero" },
  { "size-1e99", HEAD "[storage]\nsize = 1e99\n", 4, "size", "whole number" },
  { "size-overflow", HEAD "[storage]\nsize = 99999999999999999999999G\n", 4, "size", "at most 1P" },
  { "size-mul-overflow", HEAD "[storage]\nsize = 17179869184G\n", 4, "size", "at most 1P" },
  { "size-junk", HEAD "[storage]\nsize = big\n", 4, "size", "binary unit" },
  { "size-unit", HEAD "[storage]\nsize = 10X\n", 4, "size", "use K, M, G or T" },
  { "size-inline-comment", HEAD "[storage]\nsize = 10G # big\n", 4, "size", "own line" },
  { "vcpus-zero", HEAD "[nodes]\nvcpus = 0\n", 4, "vcpus", "from 1 to 64" },
  { "vcpus-65", HEAD "[node pve2]\nvcpus = 65\n", 4, "vcpus", "from 1 to 64" },
  { "count-17", HEAD "[nodes]\ncount = 17\n", 4, "count", "from 1 to 16" },
  { "cluster-token-low", HEAD "flavor = container\n[nodes]\ncount = 3\n[cluster]\ntoken = 50\n", 7, "token",
    "from 200 to 60000" },
  { "cluster-unknown-key", HEAD "flavor = container\n[cluster]\ntokn = 500\n", 5, "tokn", "did you mean 'token'?" },
  { "cluster-two-nodes", HEAD "flavor = container\n[nodes]\ncount = 2\n[cluster]\n", 5, "count", "3 votes" },
  { "cluster-flavor", HEAD "flavor = proxmox\n[nodes]\ncount = 3\n[cluster]\n", 6, "[cluster]", "flavor = kvm" },
  { "iqn-upper", HEAD "[storage]\niqn = iqn.2026-01.labctl.Lab:course\n", 4, "iqn", "lowercase" },
  { "iqn-prefix", HEAD "[storage]\niqn = eui.02004567A425678D\n", 4, "iqn", "iqn.YYYY-MM" },
  { "iqn-date", HEAD "[storage]\niqn = iqn.2026-13.labctl.lab:course\n", 4, "iqn", "impossible date" },
  { "iqn-nodate", HEAD "[storage]\niqn = iqn.labctl.lab:course\n", 4, "iqn", "YYYY-MM" },
  { "iqn-domain", HEAD "[storage]\niqn = iqn.2026-01..lab:x\n", 4, "iqn", "reversed domain" },
  { "iqn-char", HEAD "[storage]\niqn = iqn.2026-01.labctl.lab:a_b\n", 4, "iqn", "only a-z" },
  { "cidr-prefix", HEAD "[network]\nsubnet = 10.0.0.0/31\n", 4, "subnet", "/8 to /30" },
  { "cidr-hostbits", HEAD "[network]\nsubnet = 192.168.150.1/24\n", 4, "subnet", "did you mean 192.168.150.0/24" },
  { "cidr-loopback", HEAD "[network]\nsubnet = 127.1.0.0/16\n", 4, "subnet", "loopback" },
  { "cidr-loopback-8", HEAD "[network]\nsubnet = 127.0.0.0/8\n", 4, "subnet", "loopback" },
  { "cidr-wide", HEAD "[network]\nsubnet = 64.0.0.0/2\n", 4, "subnet", "/8 to /30" },
  { "cidr-multicast", HEAD "[network]\nsubnet = 224.1.0.0/16\n", 4, "subnet", "private network" },
  { "cidr-noprefix", HEAD "[network]\nsubnet = 10.0.0.0\n", 4, "subnet", "a.b.c.d/n" },
  { "cidr-octet", HEAD "[network]\nsubnet = 10.0.300.0/24\n", 4, "subnet", "a.b.c.d/n" },
  { "duplicate-node", HEAD "[node a1]\n[node b1]\n[node a1]\n", 5, "[node a1]", "line 3" },
  { "duplicate-key", HEAD "[nodes]\nvcpus = 2\nvcpus = 3\n", 5, "vcpus", "line 4" },
  { "name-upper", HEAD "[node Pve1]\n", 3, "[node Pve1]", "lowercase letter" },
  { "name-underscore", HEAD "[node pve_1]\n", 3, "[node pve_1]", "letters, digits and '-'" },
  { "name-lvm-reserved", HEAD "[node snapshot]\n", 3, "[node snapshot]", "reserved by LVM" },
  { "name-too-long", HEAD "[node abcdefghijabcdefghijabcdefghij]\n", 3, "[node abcdefghij", "longer than 28" },
  { "name-trailing-dash", HEAD "[node pve-]\n", 3, "[node pve-]", "cannot end with '-'" },
  { "lab-name", "[lab]\nname = 1lab\n", 2, "name", "lowercase letter" },
  { "lab-missing-name", "# x\n[lab]\ndescription = x\n", 2, "name", "name = mylab" },
  { "no-lab-section", "[nodes]\ncount = 1\n", 1, "[lab]", "[lab]" },
  { "name-pattern", HEAD "[nodes]\nname-pattern = pve\n", 4, "name-pattern", "%d" },
  { "flavor", HEAD "flavor = proxmx\n", 3, "flavor", "did you mean 'proxmox'?" },
  { "cpu-mode", HEAD "[nodes]\ncpu-mode = passthrough\n", 4, "cpu-mode", "host-passthrough" },
  { "cache-mode", HEAD "[nodes]\ncache-mode = none\n", 4, "cache-mode", "'passthrough', 'emulate', 'disable'" },
  { "address-outside", HEAD "[node pve1]\naddress = 10.1.1.1\n", 4, "address", "outside the lab network 192.168.150.0/24" },
  { "address-gateway", HEAD "[node pve1]\naddress = 192.168.150.1\n", 4, "address", "gateway" },
  { "address-broadcast", HEAD "[node pve1]\naddress = 192.168.150.255\n", 4, "address", "broadcast" },
  { "address-dup", HEAD "[node pve1]\naddress = 192.168.150.20\n[node pve2]\naddress = 192.168.150.20\n", 6, "address", "already used by 'pve1'" },
  { "too-many-nodes", HEAD "[network]\nsubnet = 10.0.0.0/28\n[nodes]\ncount = 6\n", 6, "count", "larger subnet" },
  { "guest-unknown-node", HEAD "[guest web1]\nnode = pve9\n", 4, "node", "'pve1', 'pve2', 'pve3'" },
  { "image-too-small", HEAD "[storage]\nsize = 30G\n", 4, "size", "set 'size = 30724M' or more in [storage]" },
  { "image-too-small-guest", HEAD "[storage]\nsize = 30724M\n[guest g1]\ndisk = 1M\n", 4, "size", "size = 30728M" },
  { "memory-too-small", HEAD "[nodes]\nmemory = 1\n", 4, "memory", "between 32 MiB" },
  { "memory-fraction", HEAD "[nodes]\nmemory = 1536K\n", 4, "memory", "whole number of MiB" },
  { "not-key-value", HEAD "[nodes]\ncount 3\n", 4, "count 3", "'= value'" },
  { "key-outside", "name = x\n[lab]\n", 1, "name", "below a section" },
  { "bad-header", HEAD "[nodes\n", 3, "[nodes", "[name]" },
  { "override-not-generated", HEAD "[nodes]\ncount = 2\n[node pve3]\n", 5, "[node pve3]", "remove 'count'" },
  { "pattern-unused", HEAD "[nodes]\nname-pattern = n%d\n[node a]\n", 4, "name-pattern", "remove name-pattern" },
  { "chap", HEAD "[storage]\nchap = maybe\n", 4, "chap", "true or false" },
  { "portal", HEAD "[storage]\nportal = localhost\n", 4, "portal", "ADDRESS[:PORT]" },
  { "vg-name", HEAD "[storage]\nvg = -vg\n", 4, "vg", "cannot start with '-'" },
  { "bridge", HEAD "[network]\nbridge = a-very-long-bridge-name\n", 4, "bridge", "1 to 15" },
  { "guest-name-is-node", HEAD "[guest pve1]\n", 3, "[guest pve1]", "own name" },
  { "locale-key", HEAD "[nodes]\nos[ru] = x\n", 4, "os[ru]", "only 'description'" },
  { "exercise-name", HEAD "[exercises]\nlist = Live_Migration\n", 4, "list", "lowercase" },
  { "keyfile-syntax", HEAD "[nodes]\nvcpus = 2\n[a[b]\n", 5, "(syntax)", "fix the syntax" },
  { "short-key-other-section", HEAD "[nodes]\nvg = x\n", 4, "vg", "belongs in [storage]" },
  { "image-default-too-small", HEAD "[nodes]\ncount = 11\n", 4, "size", "size = 112644M" },
  { "image-default-big-disk", "\n[lab]\nname = t\n[nodes]\ndisk = 40G\n", 5, "size", "size = 122884M" },
  { "empty-value", HEAD "[nodes]\nos =\n", 4, "os", "remove the line" },
  { "pve-version", HEAD "[nodes]\npve-version = 8.2\n", 4, "pve-version", "'9.2', '9.1', '8.4'" },
  { "pve-version-kvm", "[lab]\nname = t\nflavor = kvm\n[nodes]\npve-version = 9.2\n", 5, "pve-version",
    "only the proxmox flavor" },
};

static void
test_bad (gconstpointer data)
{
  const BadCase *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRecipe) r = lab_recipe_load_data (c->text, -1, "bad.lab", &error);
  g_autofree char *prefix = g_strdup_printf ("bad.lab:%u: %s", c->line, c->key);

  g_assert_null (r);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_RECIPE);
  if (error == NULL)
    return;
  g_test_message ("%s -> %s", c->name, error->message);
  if (!g_str_has_prefix (error->message, prefix))
    g_test_fail_printf ("'%s' does not start with '%s'", error->message, prefix);
  g_assert_nonnull (strstr (error->message, "; "));
  if (strstr (error->message, c->hint) == NULL)
    g_test_fail_printf ("'%s' lacks the hint '%s'", error->message, c->hint);
}

static LabRecipe *
load_shipped (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = lab_recipe_resolve_path (name, &error);
  LabRecipe *r;

  g_assert_no_error (error);
  if (path == NULL)
    return NULL;
  r = lab_recipe_load (path, &error);
  g_assert_no_error (error);
  return r;
}

static void
test_shipped_proxmox (void)
{
  g_autoptr(LabRecipe) r = load_shipped ("proxmox-3node");
  LabNode *n;

  g_assert_nonnull (r);
  if (r == NULL)
    return;
  g_assert_cmpstr (r->name, ==, "course");
  g_assert_cmpint (r->flavor, ==, LAB_FLAVOR_PROXMOX);
  g_assert_cmpuint (r->image_size, ==, 100 * LAB_GIB);
  g_assert_cmpstr (r->vg_name, ==, "vg_iscsi");
  g_assert_cmpstr (r->iqn, ==, "iqn.2026-01.labctl.lab:course");
  g_assert_cmpstr (r->subnet, ==, "192.168.150.0/24");
  g_assert_cmpstr (r->gateway, ==, "192.168.150.1");
  g_assert_cmpstr (r->portal_address, ==, "192.168.150.1");
  g_assert_cmpuint (r->portal_port, ==, 3260);
  g_assert_cmpstr (r->cpu_mode, ==, "host-passthrough");
  g_assert_cmpstr (r->cache_mode, ==, "passthrough");
  /* pve-version = 9.2 picks the ISO and the OS profile */
  g_assert_cmpstr (r->pve_version, ==, "9.2");
  g_assert_cmpstr (r->install_media, ==, "proxmox-ve-9.2");
  g_assert_cmpstr (r->os_id, ==, "proxmox-ve-9");
  g_assert_cmpstr (r->net_name, ==, "labctl-course");
  g_assert_cmpstr (r->bridge, ==, "lab-course");
  g_assert_true (g_str_has_suffix (r->backing_file, "/course/course.img"));
  g_assert_true (g_path_is_absolute (r->backing_file));
  g_assert_cmpuint (r->nodes->len, ==, 3);
  for (guint i = 0; i < r->nodes->len; i++)
    {
      g_autofree char *name = g_strdup_printf ("pve%u", i + 1);
      g_autofree char *lv = g_strdup_printf ("lv_pve%u", i + 1);
      g_autofree char *addr = g_strdup_printf ("192.168.150.%u", 11 + i);

      n = r->nodes->pdata[i];
      g_assert_cmpstr (n->name, ==, name);
      g_assert_cmpstr (n->lv_name, ==, lv);
      g_assert_cmpstr (n->address, ==, addr);
      g_assert_cmpuint (n->vcpus, ==, 2);
      g_assert_cmpuint (n->memory_mib, ==, 2048);
      g_assert_cmpuint (n->disk_bytes, ==, 10 * LAB_GIB);
      g_assert_true (g_str_has_prefix (n->mac, "52:54:00:"));
      g_assert_cmpuint (strlen (n->mac), ==, 17);
    }
  g_assert_cmpstr (((LabNode *) r->nodes->pdata[0])->mac, !=, ((LabNode *) r->nodes->pdata[1])->mac);
  g_assert_cmpuint (lab_recipe_memory_mib (r), ==, 3 * 2048);
  g_assert_cmpuint (lab_recipe_storage_bytes (r), ==, 100 * LAB_GIB);
  g_assert_nonnull (r->exercises);
  g_assert_true (g_strv_contains ((const char * const *) r->exercises, "migrate"));
  g_assert_cmpuint (strlen (r->hash), ==, 64);
  g_assert_true (lab_recipe_find_node (r, "pve2") == r->nodes->pdata[1]);
  g_assert_null (lab_recipe_find_node (r, "pve4"));
}

static void
test_shipped_kvm (void)
{
  g_autoptr(LabRecipe) r = load_shipped ("kvm-3node.lab");

  g_assert_nonnull (r);
  if (r == NULL)
    return;
  g_assert_cmpint (r->flavor, ==, LAB_FLAVOR_KVM);
  g_assert_cmpstr (r->os_id, ==, "debian12");
  g_assert_cmpuint (r->nodes->len, ==, 3);
  g_assert_cmpstr (((LabNode *) r->nodes->pdata[2])->name, ==, "node3");
  g_assert_cmpstr (((LabNode *) r->nodes->pdata[2])->lv_name, ==, "lv_node3");
  g_assert_cmpuint (((LabNode *) r->nodes->pdata[0])->memory_mib, ==, 2048);
}

/* The lab for a computer without KVM: container nodes, one tiny guest
 * whose kernel and initramfs lie beside the recipe (recipes/meson.build
 * installs them to <pkgdatadir>/recipes/tiny-guest). */
static void
test_shipped_container (void)
{
  g_autoptr(LabRecipe) r = load_shipped ("container-3node");
  g_autofree char *dir = NULL;
  LabGuest *g;

  g_assert_nonnull (r);
  if (r == NULL)
    return;
  g_assert_cmpint (r->flavor, ==, LAB_FLAVOR_CONTAINER);
  g_assert_cmpuint (r->nodes->len, ==, 3);
  g_assert_cmpstr (((LabNode *) r->nodes->pdata[1])->name, ==, "node2");
  g_assert_cmpstr (r->subnet, ==, "192.168.152.0/24");
  g_assert_cmpuint (r->guests->len, ==, 1);
  g = r->guests->pdata[0];
  g_assert_cmpstr (g->node, ==, "node1");
  g_assert_cmpstr (g->address, ==, "192.168.152.51");
  g_assert_nonnull (strstr (g->cmdline, "guestip=192.168.152.51/24"));
  dir = g_path_get_dirname (r->path);
  g_assert_true (g_str_has_prefix (g->kernel, dir));
  g_assert_true (g_str_has_suffix (g->kernel, "/recipes/tiny-guest/vmlinux"));
  g_assert_true (g_str_has_suffix (g->initrd, "/recipes/tiny-guest/initramfs.cpio.gz"));
  g_assert_true (g_strv_contains ((const char * const *) r->exercises, "migrate"));
  /* not the subnet of another shipped lab: they can exist side by side */
  {
    g_autoptr(LabRecipe) kvm = load_shipped ("kvm-3node");
    g_autoptr(LabRecipe) course = load_shipped ("proxmox-3node");

    g_assert_cmpstr (r->subnet, !=, kvm->subnet);
    g_assert_cmpstr (r->subnet, !=, course->subnet);
    g_assert_cmpstr (r->name, !=, kvm->name);
  }
}

static void
test_defaults (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRecipe) r = lab_recipe_load_data ("[lab]\nname = mini\nflavor = container\n", -1,
                                                 "/tmp/x/mini.lab", &error);
  LabNode *n;

  g_assert_no_error (error);
  if (r == NULL)
    return;
  g_assert_cmpstr (r->domain, ==, "lab.labctl");
  g_assert_cmpstr (r->iqn, ==, "iqn.2026-01.labctl.lab:mini");
  g_assert_cmpuint (r->image_size, ==, LAB_DEFAULT_IMAGE_SIZE);
  g_assert_cmpstr (r->vg_name, ==, LAB_DEFAULT_VG);
  g_assert_cmpstr (r->lv_prefix, ==, LAB_DEFAULT_LV_PREFIX);
  g_assert_cmpuint (r->control_port, ==, 0);
  g_assert_false (r->chap);
  g_assert_cmpuint (r->nodes->len, ==, LAB_DEFAULT_NODE_COUNT);
  n = r->nodes->pdata[0];
  g_assert_cmpstr (n->name, ==, "node1");
  g_assert_cmpuint (n->line, ==, 0);
  g_assert_cmpuint (n->vcpus, ==, LAB_DEFAULT_VCPUS);
  g_assert_cmpuint (n->memory_mib, ==, LAB_DEFAULT_MEMORY_MIB);
  g_assert_cmpuint (n->disk_bytes, ==, LAB_DEFAULT_DISK);
  g_assert_cmpstr (n->address, ==, "192.168.150.11");
  g_assert_null (r->install_media);
  g_assert_null (r->os_id);
  g_assert_nonnull (r->exercises);
  g_assert_null (r->exercises[0]);
  g_assert_cmpuint (r->guests->len, ==, 0);
}

static void
test_sizes (void)
{
  static const struct { const char *text; guint64 bytes; } good[] = {
    { "100G", 100 * LAB_GIB }, { "100GiB", 100 * LAB_GIB }, { "10 GiB", 10 * LAB_GIB },
    { "512M", 512 * LAB_MIB }, { "2048MiB", 2048 * LAB_MIB }, { "1073741824", LAB_GIB },
    { "1T", 1024 * LAB_GIB }, { "40960k", 40 * LAB_MIB },
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = g_strdup_printf ("[lab]\nname = s\n[storage]\nsize = 2T\n[nodes]\ncount = 1\ndisk = %s\n",
                                               good[i].text);
      g_autoptr(LabRecipe) r = lab_recipe_load_data (text, -1, "s.lab", &error);

      g_assert_no_error (error);
      if (r != NULL)
        g_assert_cmpuint (((LabNode *) r->nodes->pdata[0])->disk_bytes, ==, good[i].bytes);
    }
}

static void
test_memory_units (void)
{
  static const char * const texts[] = { "2048", "2048M", "2G", "2GiB", "2048 MiB" };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = g_strdup_printf ("[lab]\nname = m\n[nodes]\nmemory = %s\n", texts[i]);
      g_autoptr(LabRecipe) r = lab_recipe_load_data (text, -1, "m.lab", &error);

      g_assert_no_error (error);
      if (r != NULL)
        g_assert_cmpuint (((LabNode *) r->nodes->pdata[0])->memory_mib, ==, 2048);
    }
}

static const char explicit_text[] =
  "# explicit node list\n"
  "[lab]\n"
  "name = small\n"
  "flavor = kvm\n"
  "domain = example.org\n"
  "[storage]\n"
  "size = 8G\n"
  "backing-file = images/small.img\n"
  "portal = 127.0.0.1:13260\n"
  "control-port = 12345\n"
  "chap = yes\n"
  "[network]\n"
  "subnet = 10.20.30.0/24\n"
  "[nodes]\n"
  "memory = 512M\n"
  "disk = 1G\n"
  "[node alpha]\n"
  "vcpus = 4\n"
  "address = 10.20.30.99\n"
  "[node beta]\n"
  "disk = 2G\n"
  "[guest tiny]\n"
  "node = beta\n"
  "memory = 64\n"
  "kernel = vmlinuz\n"
  "initrd = ../boot/initrd.img\n"
  "cmdline = console=ttyS0 quiet\n"
  "disk = 256M\n"
  "[exercises]\n"
  "list = live-migration;snapshots\n";

static void
test_explicit_nodes (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRecipe) r = lab_recipe_load_data (explicit_text, -1, "/srv/labs/small.lab", &error);
  LabNode *a, *b;
  LabGuest *g;

  g_assert_no_error (error);
  if (r == NULL)
    return;
  g_assert_cmpuint (r->nodes->len, ==, 2);
  a = lab_recipe_find_node (r, "alpha");
  b = lab_recipe_find_node (r, "beta");
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  if (a == NULL || b == NULL)
    return;
  g_assert_cmpuint (a->line, ==, 17);
  g_assert_cmpuint (b->line, ==, 20);
  g_assert_cmpuint (a->vcpus, ==, 4);
  g_assert_cmpuint (b->vcpus, ==, 2);
  g_assert_cmpuint (a->memory_mib, ==, 512);
  g_assert_cmpuint (a->disk_bytes, ==, LAB_GIB);
  g_assert_cmpuint (b->disk_bytes, ==, 2 * LAB_GIB);
  g_assert_cmpstr (a->address, ==, "10.20.30.99");
  g_assert_cmpstr (b->address, ==, "10.20.30.12");
  g_assert_cmpstr (r->iqn, ==, "iqn.2026-01.org.example:small");
  g_assert_cmpstr (r->backing_file, ==, "/srv/labs/images/small.img");
  g_assert_cmpstr (r->portal_address, ==, "127.0.0.1");
  g_assert_cmpuint (r->portal_port, ==, 13260);
  g_assert_cmpuint (r->control_port, ==, 12345);
  g_assert_true (r->chap);
  g = lab_recipe_find_guest (r, "tiny");
  g_assert_nonnull (g);
  if (g == NULL)
    return;
  g_assert_cmpstr (g->node, ==, "beta");
  g_assert_cmpuint (g->memory_mib, ==, 64);
  g_assert_cmpstr (g->kernel, ==, "/srv/labs/vmlinuz");
  g_assert_cmpstr (g->initrd, ==, "/srv/boot/initrd.img");
  g_assert_cmpstr (g->cmdline, ==, "console=ttyS0 quiet");
  g_assert_cmpstr (g->address, ==, "10.20.30.51");
  g_assert_cmpuint (g->disk_bytes, ==, 256 * LAB_MIB);
  g_assert_true (g_str_has_prefix (g->mac, "52:54:00:"));
  g_assert_cmpstr (g->mac, !=, a->mac);
}

static void
test_crlf (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRecipe) r = lab_recipe_load_data ("[lab]\r\nname = crlf\r\n[nodes]\r\nmemory = 4G\r\ncount = 2\r\n",
                                                 -1, "crlf.lab", &error);
  g_autoptr(LabRecipe) bad = NULL;

  g_assert_no_error (error);
  if (r != NULL)
    {
      g_assert_cmpstr (r->name, ==, "crlf");
      g_assert_cmpuint (r->nodes->len, ==, 2);
      g_assert_cmpuint (((LabNode *) r->nodes->pdata[1])->memory_mib, ==, 4096);
    }
  g_clear_error (&error);
  bad = lab_recipe_load_data ("[lab]\r\nname = crlf\r\n[nodes]\r\nmemory = 4 GB\r\n", -1, "crlf.lab", &error);
  g_assert_null (bad);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_RECIPE);
  if (error != NULL)
    g_assert_true (g_str_has_prefix (error->message, "crlf.lab:4: memory: "));
}

static void
test_mac_stable (void)
{
  g_autoptr(LabRecipe) r1 = lab_recipe_load_data ("[lab]\nname = aa\n", -1, NULL, NULL);
  g_autoptr(LabRecipe) r2 = lab_recipe_load_data ("[lab]\nname = aa\ndescription = other\n", -1, NULL, NULL);
  g_autoptr(LabRecipe) r3 = lab_recipe_load_data ("[lab]\nname = bb\n", -1, NULL, NULL);

  g_assert_nonnull (r1);
  g_assert_nonnull (r2);
  g_assert_nonnull (r3);
  if (r1 == NULL || r2 == NULL || r3 == NULL)
    return;
  g_assert_cmpstr (((LabNode *) r1->nodes->pdata[0])->mac, ==, ((LabNode *) r2->nodes->pdata[0])->mac);
  g_assert_cmpstr (((LabNode *) r1->nodes->pdata[0])->mac, !=, ((LabNode *) r3->nodes->pdata[0])->mac);
  g_assert_cmpstr (r1->hash, !=, r2->hash);
}

static void
test_override_generated (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRecipe) r = lab_recipe_load_data ("[lab]\nname = o\n[nodes]\ncount = 3\n[node pve2]\nmemory = 4G\n",
                                                 -1, "o.lab", &error);

  g_assert_no_error (error);
  if (r == NULL)
    return;
  g_assert_cmpuint (r->nodes->len, ==, 3);
  g_assert_cmpuint (((LabNode *) r->nodes->pdata[0])->memory_mib, ==, 2048);
  g_assert_cmpuint (((LabNode *) r->nodes->pdata[1])->memory_mib, ==, 4096);
  g_assert_cmpuint (((LabNode *) r->nodes->pdata[1])->line, ==, 5);
}

static void
test_to_json (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRecipe) r = lab_recipe_load_data (explicit_text, -1, "/srv/labs/small.lab", &error);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *o, *storage, *nodes;
  JsonArray *list, *guests;

  g_assert_no_error (error);
  if (r == NULL)
    return;
  root = lab_recipe_to_json (r);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  o = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "lab"), "name"), ==, "small");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "lab"), "flavor"), ==, "kvm");
  storage = json_object_get_object_member (o, "storage");
  g_assert_cmpint (json_object_get_int_member (storage, "size_bytes"), ==, 8 * (gint64) LAB_GIB);
  g_assert_cmpstr (json_object_get_string_member (storage, "vg"), ==, "vg_iscsi");
  g_assert_cmpstr (json_object_get_string_member (storage, "iqn"), ==, "iqn.2026-01.org.example:small");
  g_assert_cmpint (json_object_get_int_member (storage, "portal_port"), ==, 13260);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "network"), "gateway"), ==,
                   "10.20.30.1");
  nodes = json_object_get_object_member (o, "nodes");
  list = json_object_get_array_member (nodes, "list");
  g_assert_cmpuint (json_array_get_length (list), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 1), "lv"), ==, "lv_beta");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (list, 0), "memory_mib"), ==, 512);
  guests = json_object_get_array_member (o, "guests");
  g_assert_cmpuint (json_array_get_length (guests), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (guests, 0), "node"), ==, "beta");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "exercises")), ==, 2);
  g_assert_cmpint (json_object_get_int_member (o, "memory_mib"), ==, 1024);
  g_assert_cmpstr (json_object_get_string_member (o, "hash"), ==, r->hash);
}

static void
assert_recipes_equal (LabRecipe *a, LabRecipe *b)
{
  g_assert_cmpstr (a->name, ==, b->name);
  g_assert_cmpstr (a->description, ==, b->description);
  g_assert_cmpint (a->flavor, ==, b->flavor);
  g_assert_cmpstr (a->domain, ==, b->domain);
  g_assert_cmpstr (a->backing_file, ==, b->backing_file);
  g_assert_cmpuint (a->image_size, ==, b->image_size);
  g_assert_cmpstr (a->iqn, ==, b->iqn);
  g_assert_cmpstr (a->portal_address, ==, b->portal_address);
  g_assert_cmpuint (a->portal_port, ==, b->portal_port);
  g_assert_cmpuint (a->control_port, ==, b->control_port);
  g_assert_cmpstr (a->vg_name, ==, b->vg_name);
  g_assert_cmpstr (a->lv_prefix, ==, b->lv_prefix);
  g_assert_cmpint (a->chap, ==, b->chap);
  g_assert_cmpstr (a->net_name, ==, b->net_name);
  g_assert_cmpstr (a->subnet, ==, b->subnet);
  g_assert_cmpstr (a->gateway, ==, b->gateway);
  g_assert_cmpstr (a->bridge, ==, b->bridge);
  g_assert_cmpstr (a->cpu_mode, ==, b->cpu_mode);
  g_assert_cmpstr (a->cache_mode, ==, b->cache_mode);
  g_assert_cmpstr (a->install_media, ==, b->install_media);
  g_assert_cmpstr (a->os_id, ==, b->os_id);
  g_assert_cmpuint (a->nodes->len, ==, b->nodes->len);
  for (guint i = 0; i < MIN (a->nodes->len, b->nodes->len); i++)
    {
      LabNode *x = a->nodes->pdata[i], *y = b->nodes->pdata[i];

      g_assert_cmpstr (x->name, ==, y->name);
      g_assert_cmpuint (x->vcpus, ==, y->vcpus);
      g_assert_cmpuint (x->memory_mib, ==, y->memory_mib);
      g_assert_cmpuint (x->disk_bytes, ==, y->disk_bytes);
      g_assert_cmpstr (x->lv_name, ==, y->lv_name);
      g_assert_cmpstr (x->address, ==, y->address);
      g_assert_cmpstr (x->mac, ==, y->mac);
    }
  g_assert_cmpuint (a->guests->len, ==, b->guests->len);
  for (guint i = 0; i < MIN (a->guests->len, b->guests->len); i++)
    {
      LabGuest *x = a->guests->pdata[i], *y = b->guests->pdata[i];

      g_assert_cmpstr (x->name, ==, y->name);
      g_assert_cmpstr (x->node, ==, y->node);
      g_assert_cmpuint (x->vcpus, ==, y->vcpus);
      g_assert_cmpuint (x->memory_mib, ==, y->memory_mib);
      g_assert_cmpstr (x->kernel, ==, y->kernel);
      g_assert_cmpstr (x->initrd, ==, y->initrd);
      g_assert_cmpstr (x->cmdline, ==, y->cmdline);
      g_assert_cmpstr (x->address, ==, y->address);
      g_assert_cmpstr (x->mac, ==, y->mac);
      g_assert_cmpuint (x->disk_bytes, ==, y->disk_bytes);
    }
  g_assert_true (g_strv_equal ((const char * const *) a->exercises, (const char * const *) b->exercises));
}

static void
round_trip (LabRecipe *r)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = lab_recipe_to_keyfile (r);
  g_autoptr(LabRecipe) again = NULL;
  g_autofree char *text2 = NULL;

  /* loaded from elsewhere: paths in the output are absolute */
  again = lab_recipe_load_data (text, -1, "/nonexistent/elsewhere.lab", &error);
  g_assert_no_error (error);
  if (again == NULL)
    {
      g_test_message ("%s", text);
      return;
    }
  assert_recipes_equal (r, again);
  text2 = lab_recipe_to_keyfile (again);
  /* only the header comment names the source file */
  g_assert_cmpstr (strchr (text, '\n'), ==, strchr (text2, '\n'));
}

static void
test_keyfile_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRecipe) explicit = lab_recipe_load_data (explicit_text, -1, "/srv/labs/small.lab", &error);
  g_autoptr(LabRecipe) course = load_shipped ("proxmox-3node");
  g_autoptr(LabRecipe) kvm = load_shipped ("kvm-3node");
  g_autoptr(LabRecipe) weird = lab_recipe_load_data ("[lab]\nname = w\ndescription = \\sleading; semi # x\n"
                                                     "[guest g]\ncmdline = a=b \\\\ c\n", -1, NULL, &error);

  g_assert_no_error (error);
  if (explicit != NULL)
    round_trip (explicit);
  if (course != NULL)
    round_trip (course);
  if (kvm != NULL)
    round_trip (kvm);
  g_assert_nonnull (weird);
  if (weird != NULL)
    {
      g_assert_cmpstr (weird->description, ==, "leading; semi # x");
      g_assert_cmpstr (((LabGuest *) weird->guests->pdata[0])->cmdline, ==, "a=b \\ c");
      round_trip (weird);
    }
}

static void
test_resolve_path (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *def = lab_recipe_resolve_path (NULL, &error);
  g_autofree char *missing = NULL;
  g_auto(GStrv) shipped = lab_recipe_list_shipped ();

  g_assert_no_error (error);
  g_assert_nonnull (def);
  if (def != NULL)
    g_assert_true (g_str_has_suffix (def, "recipes/proxmox-3node.lab"));
  g_assert_true (g_strv_contains ((const char * const *) shipped, "proxmox-3node"));
  g_assert_true (g_strv_contains ((const char * const *) shipped, "kvm-3node"));
  g_assert_true (g_strv_contains ((const char * const *) shipped, "container-3node"));
  missing = lab_recipe_resolve_path ("no-such-lab", &error);
  g_assert_null (missing);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);
  if (error != NULL)
    {
      g_assert_nonnull (strstr (error->message, "no-such-lab"));
      g_assert_nonnull (strstr (error->message, "container-3node, kvm-3node, proxmox-3node"));
    }
}

static void
test_load_missing_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRecipe) r = lab_recipe_load ("/nonexistent/x.lab", &error);

  g_assert_null (r);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  g_setenv ("LABCTL_STATE_DIR", "/var/tmp/labctl-test-state", TRUE);

  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/recipe/bad/%s", bad_cases[i].name);

      g_test_add_data_func (path, &bad_cases[i], test_bad);
    }
  g_test_add_func ("/recipe/shipped/proxmox-3node", test_shipped_proxmox);
  g_test_add_func ("/recipe/shipped/kvm-3node", test_shipped_kvm);
  g_test_add_func ("/recipe/shipped/container-3node", test_shipped_container);
  g_test_add_func ("/recipe/defaults", test_defaults);
  g_test_add_func ("/recipe/sizes", test_sizes);
  g_test_add_func ("/recipe/memory-units", test_memory_units);
  g_test_add_func ("/recipe/explicit-nodes", test_explicit_nodes);
  g_test_add_func ("/recipe/override-generated", test_override_generated);
  g_test_add_func ("/recipe/mac-stable", test_mac_stable);
  g_test_add_func ("/recipe/crlf", test_crlf);
  g_test_add_func ("/recipe/to-json", test_to_json);
  g_test_add_func ("/recipe/keyfile-round-trip", test_keyfile_round_trip);
  g_test_add_func ("/recipe/resolve-path", test_resolve_path);
  g_test_add_func ("/recipe/load-missing-file", test_load_missing_file);
  return g_test_run ();
}
