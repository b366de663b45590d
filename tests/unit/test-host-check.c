/* test-host-check.c: LabHostCheck against the fake hosts in tests/data/hosts,
 * synthetic recipes, temporary PATHs and libvirt's test:///default driver. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "lab-host-check.h"
#include "lab-test-fs.h"

/* ---------------------------------------------------------------------- */
/* helpers                                                                 */

/* A recipe built in memory: count nodes of vcpus/memory/disk each. */
static LabRecipe *
make_recipe (guint count, guint vcpus, guint64 memory_mib, guint64 disk_bytes,
             const char *backing_file, guint64 image_size)
{
  LabRecipe *r = g_new0 (LabRecipe, 1);

  r->name = g_strdup ("test");
  r->backing_file = g_strdup (backing_file);
  r->image_size = image_size;
  r->nodes = g_ptr_array_new ();
  r->guests = g_ptr_array_new ();
  for (guint i = 0; i < count; i++)
    {
      LabNode *n = g_new0 (LabNode, 1);

      n->name = g_strdup_printf ("node%u", i + 1);
      n->vcpus = vcpus;
      n->memory_mib = memory_mib;
      n->disk_bytes = disk_bytes;
      g_ptr_array_add (r->nodes, n);
    }
  return r;
}

static void
free_recipe (LabRecipe *r)
{
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *n = g_ptr_array_index (r->nodes, i);

      g_free (n->name);
      g_free (n);
    }
  for (guint i = 0; i < r->guests->len; i++)
    {
      LabGuest *g = g_ptr_array_index (r->guests, i);

      g_free (g->name);
      g_free (g);
    }
  g_ptr_array_unref (r->nodes);
  g_ptr_array_unref (r->guests);
  g_free (r->name);
  g_free (r->backing_file);
  g_free (r);
}

static char *
host_dir (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "data", "hosts", name, NULL);
}

static GPtrArray *
run_at (const char *sysroot, LabRecipe *recipe)
{
  g_autoptr(LabHostCheck) check = lab_host_check_new (sysroot);

  lab_host_check_set_recipe (check, recipe);
  lab_host_check_set_libvirt_uri (check, "test:///default");
  return lab_host_check_run (check);
}

static GPtrArray *
run_host (const char *name, LabRecipe *recipe)
{
  g_autofree char *dir = host_dir (name);

  return run_at (dir, recipe);
}

#define assert_status(results_, id_, expected_) \
  G_STMT_START { \
    LabCheckResult *r_ = lab_check_results_find ((results_), (id_)); \
    g_assert_nonnull (r_); \
    if (r_ != NULL) \
      { \
        if (r_->status != (expected_)) \
          g_test_message ("%s: %s (fix: %s)", r_->id, r_->message, r_->fix); \
        g_assert_cmpstr (lab_check_status_to_string (r_->status), ==, \
                         lab_check_status_to_string (expected_)); \
        g_assert_nonnull (r_->message); \
        if ((expected_) == LAB_CHECK_WARN || (expected_) == LAB_CHECK_FAIL) \
          g_assert_nonnull (r_->fix); \
        else \
          g_assert_null (r_->fix); \
      } \
  } G_STMT_END

static const char *
fix_of (GPtrArray *results, const char *id)
{
  LabCheckResult *r = lab_check_results_find (results, id);

  g_assert_nonnull (r);
  return r != NULL && r->fix != NULL ? r->fix : "";
}

static const char *
message_of (GPtrArray *results, const char *id)
{
  LabCheckResult *r = lab_check_results_find (results, id);

  g_assert_nonnull (r);
  return r != NULL ? r->message : "";
}

#define assert_contains(haystack, needle) \
  G_STMT_START { \
    const char *h_ = (haystack); \
    if (strstr (h_, (needle)) == NULL) \
      g_test_message ("'%s' not in '%s'", (needle), h_); \
    g_assert_nonnull (strstr (h_, (needle))); \
  } G_STMT_END

static char *
make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("labctl-hostcheck-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

/* ---------------------------------------------------------------------- */
/* fake hosts                                                              */

static void
test_intel_nested (void)
{
  g_autoptr(GPtrArray) res = run_host ("intel-nested", NULL);

  assert_status (res, "cpu.vendor", LAB_CHECK_PASS);
  assert_status (res, "cpu.virt-flag", LAB_CHECK_PASS);
  assert_status (res, "kvm.module", LAB_CHECK_PASS);
  assert_status (res, "kvm.device", LAB_CHECK_PASS);
  assert_status (res, "kvm.nested", LAB_CHECK_PASS);
  assert_status (res, "cpu.ept", LAB_CHECK_PASS);
  g_assert_null (lab_check_results_find (res, "cpu.npt"));
  /* 8 CPUs for the default 3x2 vCPUs */
  assert_status (res, "host.cores", LAB_CHECK_PASS);
  assert_contains (message_of (res, "host.cores"), "8 CPUs for 6 vCPUs");
  /* 24000000 kB available, default lab needs 3x2048+1024 MiB */
  assert_status (res, "host.memory", LAB_CHECK_PASS);
  assert_status (res, "host.disk", LAB_CHECK_SKIP);
  assert_status (res, "host.kernel", LAB_CHECK_PASS);
  assert_contains (message_of (res, "host.kernel"), "6.1.0-13-amd64");
  assert_status (res, "libvirt.reachable", LAB_CHECK_PASS);
  assert_contains (message_of (res, "kvm.nested"), "Nested virtualization is enabled");
}

static void
test_amd_nonested (void)
{
  g_autoptr(GPtrArray) res = run_host ("amd-nonested", NULL);
  const char *fix;

  assert_status (res, "cpu.vendor", LAB_CHECK_PASS);
  assert_contains (message_of (res, "cpu.vendor"), "AuthenticAMD");
  assert_status (res, "cpu.virt-flag", LAB_CHECK_PASS);
  assert_contains (message_of (res, "cpu.virt-flag"), "svm");
  assert_status (res, "kvm.module", LAB_CHECK_PASS);
  assert_contains (message_of (res, "kvm.module"), "kvm_amd");
  assert_status (res, "kvm.device", LAB_CHECK_PASS);
  assert_status (res, "kvm.nested", LAB_CHECK_FAIL);
  assert_contains (message_of (res, "kvm.nested"), "nested=0");
  fix = fix_of (res, "kvm.nested");
  assert_contains (fix, "echo \"options kvm_amd nested=1\" | sudo tee /etc/modprobe.d/kvm-nested.conf");
  assert_contains (fix, "sudo modprobe -r kvm_amd && sudo modprobe kvm_amd");
  g_assert_null (strstr (fix, "kvm_intel"));
  assert_status (res, "cpu.npt", LAB_CHECK_PASS);
  g_assert_null (lab_check_results_find (res, "cpu.ept"));
  /* 4 CPUs, 6 vCPUs: within 2:1 */
  assert_status (res, "host.cores", LAB_CHECK_PASS);
  /* 6000000 kB = 5859 MiB < 7168 MiB */
  assert_status (res, "host.memory", LAB_CHECK_FAIL);
  assert_contains (message_of (res, "host.memory"), "7.0 GiB");
  /* 5.10 is the oldest accepted */
  assert_status (res, "host.kernel", LAB_CHECK_PASS);
}

static void
test_no_vtx (void)
{
  g_autoptr(GPtrArray) res = run_host ("no-vtx", NULL);

  assert_status (res, "cpu.vendor", LAB_CHECK_PASS);
  assert_status (res, "cpu.virt-flag", LAB_CHECK_FAIL);
  assert_contains (fix_of (res, "cpu.virt-flag"), "VT-x");
  assert_contains (fix_of (res, "cpu.virt-flag"), "firmware setup");
  assert_status (res, "kvm.module", LAB_CHECK_FAIL);
  assert_contains (fix_of (res, "kvm.module"), "sudo modprobe kvm_intel");
  assert_contains (fix_of (res, "kvm.module"), "cpu.virt-flag");
  assert_status (res, "kvm.device", LAB_CHECK_FAIL);
  assert_contains (fix_of (res, "kvm.device"), "sudo modprobe kvm_intel");
  assert_status (res, "kvm.nested", LAB_CHECK_SKIP);
  assert_status (res, "cpu.ept", LAB_CHECK_SKIP);
  /* 2 CPUs for 6 vCPUs: more than 2:1 */
  assert_status (res, "host.cores", LAB_CHECK_WARN);
  assert_status (res, "host.memory", LAB_CHECK_FAIL);
  assert_status (res, "host.kernel", LAB_CHECK_WARN);
  assert_contains (message_of (res, "host.kernel"), "4.19");
}

static void
test_no_devkvm (void)
{
  g_autoptr(GPtrArray) res = run_host ("no-devkvm", NULL);

  assert_status (res, "cpu.virt-flag", LAB_CHECK_PASS);
  assert_status (res, "kvm.module", LAB_CHECK_PASS);
  assert_status (res, "kvm.device", LAB_CHECK_FAIL);
  assert_contains (message_of (res, "kvm.device"), "does not exist");
  assert_contains (fix_of (res, "kvm.device"), "mknod");
  assert_status (res, "kvm.nested", LAB_CHECK_PASS);
  /* the fake's kvm_intel runs with ept=N */
  assert_status (res, "cpu.ept", LAB_CHECK_WARN);
  assert_contains (message_of (res, "cpu.ept"), "ept=N");
  assert_contains (fix_of (res, "cpu.ept"), "options kvm_intel ept=1");
  assert_status (res, "host.memory", LAB_CHECK_PASS);
}

/* Intel with nested off: the fix names kvm_intel, never kvm_amd. */
static void
test_intel_nested_off (void)
{
  g_autofree char *root = make_tmpdir ();
  g_autoptr(GPtrArray) res = NULL;
  const char *fix;

  lab_test_write_file (root, "proc/cpuinfo",
                       "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vmx ept\n\n"
                       "processor\t: 1\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vmx ept\n\n", -1);
  lab_test_write_file (root, "sys/module/kvm_intel/parameters/nested", "N\n", -1);
  lab_test_write_file (root, "dev/kvm", "", -1);
  res = run_at (root, NULL);
  assert_status (res, "kvm.nested", LAB_CHECK_FAIL);
  assert_contains (message_of (res, "kvm.nested"), "nested=N");
  fix = fix_of (res, "kvm.nested");
  assert_contains (fix, "echo \"options kvm_intel nested=1\" | sudo tee /etc/modprobe.d/kvm-nested.conf");
  assert_contains (fix, "sudo modprobe -r kvm_intel && sudo modprobe kvm_intel");
  g_assert_null (strstr (fix, "kvm_amd"));
  /* no ept parameter file: the cpuinfo flag decides */
  assert_status (res, "cpu.ept", LAB_CHECK_PASS);
  /* no meminfo, no osrelease in this tree */
  assert_status (res, "host.memory", LAB_CHECK_SKIP);
  assert_status (res, "host.kernel", LAB_CHECK_WARN);
  assert_contains (message_of (res, "host.cores"), "2 CPUs");
  lab_test_remove_tree (root);
}

static void
test_odd_hosts (void)
{
  g_autofree char *root = make_tmpdir ();
  g_autofree char *missing = g_build_filename (root, "does-not-exist", NULL);
  g_autoptr(GPtrArray) res = NULL;

  /* a VM without nested virtualization: no svm, "hypervisor" flag */
  lab_test_write_file (root, "proc/cpuinfo",
                       "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu hypervisor npt\n", -1);
  res = run_at (root, NULL);
  assert_status (res, "cpu.virt-flag", LAB_CHECK_FAIL);
  assert_contains (fix_of (res, "cpu.virt-flag"), "host-passthrough");
  assert_status (res, "kvm.module", LAB_CHECK_FAIL);
  assert_contains (fix_of (res, "kvm.module"), "modprobe kvm_amd");
  assert_status (res, "cpu.npt", LAB_CHECK_SKIP);
  g_clear_pointer (&res, g_ptr_array_unref);

  /* another vendor: no KVM checks apply */
  lab_test_write_file (root, "proc/cpuinfo",
                       "processor\t: 0\nvendor_id\t: CentaurHauls\nflags\t\t: fpu vmx\n", -1);
  res = run_at (root, NULL);
  assert_status (res, "cpu.vendor", LAB_CHECK_FAIL);
  assert_contains (message_of (res, "cpu.vendor"), "CentaurHauls");
  assert_status (res, "cpu.virt-flag", LAB_CHECK_SKIP);
  assert_status (res, "kvm.module", LAB_CHECK_SKIP);
  assert_status (res, "kvm.nested", LAB_CHECK_SKIP);
  g_clear_pointer (&res, g_ptr_array_unref);

  /* no /proc at all */
  res = run_at (missing, NULL);
  assert_status (res, "cpu.vendor", LAB_CHECK_FAIL);
  assert_contains (message_of (res, "cpu.vendor"), "proc/cpuinfo");
  assert_status (res, "host.cores", LAB_CHECK_WARN);
  assert_status (res, "host.memory", LAB_CHECK_SKIP);
  g_clear_pointer (&res, g_ptr_array_unref);
  lab_test_remove_tree (root);
}

static void
test_sysroot_env (void)
{
  g_autoptr(LabHostCheck) a = NULL;
  g_autoptr(LabHostCheck) b = NULL;
  g_autoptr(LabHostCheck) c = NULL;
  g_autofree char *saved_uri = g_strdup (g_getenv ("LABCTL_LIBVIRT_URI"));

  g_setenv ("LABCTL_SYSROOT", "/some/where", TRUE);
  a = lab_host_check_new (NULL);
  g_assert_cmpstr (lab_host_check_get_sysroot (a), ==, "/some/where");
  b = lab_host_check_new ("/explicit");
  g_assert_cmpstr (lab_host_check_get_sysroot (b), ==, "/explicit");
  g_unsetenv ("LABCTL_SYSROOT");
  c = lab_host_check_new (NULL);
  g_assert_cmpstr (lab_host_check_get_sysroot (c), ==, "/");

  g_unsetenv ("LABCTL_LIBVIRT_URI");
  lab_host_check_set_libvirt_uri (c, NULL);
  g_assert_cmpstr (lab_host_check_get_libvirt_uri (c), ==, "qemu:///system");
  g_setenv ("LABCTL_LIBVIRT_URI", "test:///default", TRUE);
  lab_host_check_set_libvirt_uri (c, NULL);
  g_assert_cmpstr (lab_host_check_get_libvirt_uri (c), ==, "test:///default");
  if (saved_uri != NULL)
    g_setenv ("LABCTL_LIBVIRT_URI", saved_uri, TRUE);
  else
    g_unsetenv ("LABCTL_LIBVIRT_URI");
}

/* ---------------------------------------------------------------------- */
/* resources                                                               */

static void
test_memory_rule (void)
{
  struct { guint64 avail, need; LabCheckStatus expected; } cases[] = {
    { 7000, 7168, LAB_CHECK_FAIL },
    { 7168, 7168, LAB_CHECK_WARN },
    { 10751, 7168, LAB_CHECK_WARN },
    { 10752, 7168, LAB_CHECK_PASS },   /* exactly 1.5x */
    { 64000, 7168, LAB_CHECK_PASS },
    { 0, 1024, LAB_CHECK_FAIL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(LabCheckResult) r = lab_host_check_judge_memory (cases[i].avail, cases[i].need, "x");

      g_test_message ("avail %" G_GUINT64_FORMAT " need %" G_GUINT64_FORMAT ": %s",
                      cases[i].avail, cases[i].need, r->message);
      g_assert_cmpstr (r->id, ==, "host.memory");
      g_assert_cmpstr (lab_check_status_to_string (r->status), ==, lab_check_status_to_string (cases[i].expected));
      g_assert_true ((r->fix != NULL) == (cases[i].expected != LAB_CHECK_PASS));
    }
}

/* intel-nested has MemAvailable 24000000 kB = 23437 MiB. */
static void
test_memory_recipe (void)
{
  struct { guint count; guint64 mib; LabCheckStatus expected; } cases[] = {
    { 3, 2048, LAB_CHECK_PASS },   /* needs 7168, 1.5x = 10752 */
    { 2, 7168, LAB_CHECK_PASS },   /* needs 15360, 1.5x = 23040 */
    { 2, 8192, LAB_CHECK_WARN },   /* needs 17408, 1.5x = 26112 */
    { 3, 8192, LAB_CHECK_FAIL },   /* needs 25600 */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      LabRecipe *recipe = make_recipe (cases[i].count, 2, cases[i].mib, LAB_GIB, "/nonexistent/lab.img", LAB_GIB);
      g_autoptr(GPtrArray) res = run_host ("intel-nested", recipe);

      g_test_message ("%s", message_of (res, "host.memory"));
      assert_status (res, "host.memory", cases[i].expected);
      free_recipe (recipe);
    }
}

static void
test_disk_rule (void)
{
  g_autoptr(LabCheckResult) warn = lab_host_check_judge_disk ("/var/lib/labctl/course.img", "/var/lib/labctl", 50 * LAB_GIB, 100 * LAB_GIB, 30 * LAB_GIB);
  g_autoptr(LabCheckResult) fail = lab_host_check_judge_disk ("/var/lib/labctl/course.img", "/var/lib/labctl", 20 * LAB_GIB, 100 * LAB_GIB, 30 * LAB_GIB);
  g_autoptr(LabCheckResult) pass = lab_host_check_judge_disk ("/var/lib/labctl/course.img", "/var/lib/labctl", 200 * LAB_GIB, 100 * LAB_GIB, 30 * LAB_GIB);

  g_assert_cmpint (warn->status, ==, LAB_CHECK_WARN);
  assert_contains (warn->message, "/var/lib/labctl/course.img can grow to 100.0 GiB");
  assert_contains (warn->message, "50.0 GiB free in /var/lib/labctl");
  g_assert_nonnull (warn->fix);
  g_assert_cmpint (fail->status, ==, LAB_CHECK_FAIL);
  assert_contains (fail->message, "30.0 GiB");
  assert_contains (fail->fix, "backing-file");
  g_assert_cmpint (pass->status, ==, LAB_CHECK_PASS);
  g_assert_null (pass->fix);
}

/* The real statvfs on a temp dir; the image's directory does not exist
 * yet, so its nearest existing parent is measured. */
static void
test_disk_recipe (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *img = g_build_filename (dir, "not", "yet", "lab.img", NULL);
  g_autofree char *existing = g_build_filename (dir, "lab.img", NULL);
  struct statvfs vfs;
  guint64 free_bytes;
  guint64 huge;
  LabRecipe *recipe;
  GPtrArray *res;

  g_assert_cmpint (statvfs (dir, &vfs), ==, 0);
  free_bytes = (guint64) vfs.f_bavail * vfs.f_frsize;
  huge = free_bytes + 1024 * LAB_GIB;

  recipe = make_recipe (3, 2, 2048, LAB_MIB, img, 3 * LAB_MIB);
  res = run_host ("intel-nested", recipe);
  assert_status (res, "host.disk", LAB_CHECK_PASS);
  assert_contains (message_of (res, "host.disk"), dir);
  g_ptr_array_unref (res);
  free_recipe (recipe);

  /* sparse image larger than the free space, nodes small: WARN */
  recipe = make_recipe (3, 2, 2048, LAB_MIB, img, huge);
  res = run_host ("intel-nested", recipe);
  assert_status (res, "host.disk", LAB_CHECK_WARN);
  assert_contains (message_of (res, "host.disk"), "can grow to");
  g_ptr_array_unref (res);
  free_recipe (recipe);

  /* node disks alone exceed the free space: FAIL */
  recipe = make_recipe (2, 2, 2048, huge / 2 + LAB_GIB, img, huge * 2);
  res = run_host ("intel-nested", recipe);
  assert_status (res, "host.disk", LAB_CHECK_FAIL);
  g_ptr_array_unref (res);
  free_recipe (recipe);

  /* an image that already holds what the nodes need: nothing more to write */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *data = g_malloc0 (256 * 1024);
    GStatBuf st;
    guint64 allocated;

    memset (data, 0x5a, 256 * 1024);
    g_file_set_contents (existing, data, 256 * 1024, &error);
    g_assert_no_error (error);
    g_assert_cmpint (g_stat (existing, &st), ==, 0);
    allocated = (guint64) st.st_blocks * 512;
    g_assert_cmpuint (allocated, >=, 256 * 1024);
    recipe = make_recipe (1, 2, 2048, allocated, existing, allocated);
    res = run_host ("intel-nested", recipe);
    assert_status (res, "host.disk", LAB_CHECK_PASS);
    g_ptr_array_unref (res);
    free_recipe (recipe);
  }
  lab_test_remove_tree (dir);
}

/* A recipe parsed by LabRecipe, as `labctl check --recipe` loads it. */
static void
test_recipe_file (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *text = g_strdup_printf ("[lab]\nname = hostcheck\nflavor = kvm\n"
                                           "[storage]\nbacking-file = %s/img/lab.img\nsize = 1G\n"
                                           "[nodes]\ncount = 2\nvcpus = 2\nmemory = 8192\ndisk = 256M\n", dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRecipe) recipe = lab_recipe_load_data (text, -1, "hostcheck.lab", &error);
  g_autoptr(GPtrArray) res = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (recipe);
  if (recipe == NULL)
    return;
  res = run_host ("intel-nested", recipe);
  /* 2 x 8192 + 1024 = 17408 MiB; 23437 available is under 1.5x */
  assert_status (res, "host.memory", LAB_CHECK_WARN);
  assert_contains (message_of (res, "host.memory"), "17.0 GiB");
  assert_contains (message_of (res, "host.memory"), "2 nodes");
  assert_status (res, "host.cores", LAB_CHECK_PASS);
  assert_contains (message_of (res, "host.cores"), "4 vCPUs");
  assert_status (res, "host.disk", LAB_CHECK_PASS);
  assert_contains (message_of (res, "host.disk"), "lab.img can grow to 1.0 GiB");
  lab_test_remove_tree (dir);
}

static void
test_cores_rule (void)
{
  struct { guint cpus, total, max; LabCheckStatus expected; } cases[] = {
    { 8, 6, 2, LAB_CHECK_PASS },
    { 4, 8, 2, LAB_CHECK_PASS },   /* exactly 2:1 */
    { 4, 9, 3, LAB_CHECK_WARN },
    { 2, 6, 2, LAB_CHECK_WARN },
    { 2, 4, 4, LAB_CHECK_WARN },   /* one node larger than the host */
    { 0, 6, 2, LAB_CHECK_WARN },   /* unknown */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(LabCheckResult) r = lab_host_check_judge_cores (cases[i].cpus, cases[i].total, cases[i].max);

      g_test_message ("%u/%u/%u: %s", cases[i].cpus, cases[i].total, cases[i].max, r->message);
      g_assert_cmpstr (r->id, ==, "host.cores");
      g_assert_cmpint (r->status, ==, cases[i].expected);
    }

  /* from a recipe: 3 nodes of 4 vCPUs on intel-nested's 8 CPUs = 12 <= 16 */
  {
    LabRecipe *recipe = make_recipe (3, 4, 1024, LAB_GIB, "/nonexistent/x.img", LAB_GIB);
    g_autoptr(GPtrArray) res = run_host ("intel-nested", recipe);

    assert_status (res, "host.cores", LAB_CHECK_PASS);
    assert_contains (message_of (res, "host.cores"), "12 vCPUs");
    free_recipe (recipe);
  }
  {
    LabRecipe *recipe = make_recipe (3, 4, 1024, LAB_GIB, "/nonexistent/x.img", LAB_GIB);
    g_autoptr(GPtrArray) res = run_host ("amd-nonested", recipe);   /* 4 CPUs: 12 > 8 */

    assert_status (res, "host.cores", LAB_CHECK_WARN);
    free_recipe (recipe);
  }
}

/* ---------------------------------------------------------------------- */
/* tools                                                                   */

static const struct { const char *id, *program, *package; } tool_table[] = {
  { "tool.tgtadm", "tgtadm", "sudo apt install tgt" },
  { "tool.iscsiadm", "iscsiadm", "sudo apt install open-iscsi" },
  { "tool.lvm", "lvm", "sudo apt install lvm2" },
  { "tool.qemu", "qemu-system-x86_64", "sudo apt install qemu-system-x86" },
  { "tool.qemu-img", "qemu-img", "sudo apt install qemu-utils" },
  { "tool.virsh", "virsh", "sudo apt install libvirt-clients" },
};

static void
test_tools (void)
{
  g_autofree char *saved_path = g_strdup (g_getenv ("PATH"));
  g_autofree char *bin = make_tmpdir ();
  g_autofree char *root = make_tmpdir ();
  GPtrArray *res;

  /* nothing in PATH, nothing in <sysroot>/usr/sbin */
  g_setenv ("PATH", bin, TRUE);
  res = run_at (root, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (tool_table); i++)
    {
      gboolean optional = g_str_equal (tool_table[i].id, "tool.virsh");

      assert_status (res, tool_table[i].id, optional ? LAB_CHECK_WARN : LAB_CHECK_FAIL);
      assert_contains (fix_of (res, tool_table[i].id), tool_table[i].package);
    }
  g_ptr_array_unref (res);

  /* a file that is not executable does not count */
  {
    g_autofree char *p = g_build_filename (bin, "tgtadm", NULL);

    lab_test_write_file (bin, "tgtadm", "#!/bin/sh\nexit 0\n", -1);
    g_assert_cmpint (g_chmod (p, 0644), ==, 0);
    res = run_at (root, NULL);
    assert_status (res, "tool.tgtadm", LAB_CHECK_FAIL);
    g_ptr_array_unref (res);
  }

  /* all present in PATH */
  for (gsize i = 0; i < G_N_ELEMENTS (tool_table); i++)
    {
      g_autofree char *p = g_build_filename (bin, tool_table[i].program, NULL);

      lab_test_write_file (bin, tool_table[i].program, "#!/bin/sh\nexit 0\n", -1);
      g_assert_cmpint (g_chmod (p, 0755), ==, 0);
    }
  res = run_at (root, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (tool_table); i++)
    {
      assert_status (res, tool_table[i].id, LAB_CHECK_PASS);
      assert_contains (message_of (res, tool_table[i].id), bin);
    }
  g_ptr_array_unref (res);

  /* an sbin tool outside a user's PATH is found under <sysroot>/usr/sbin */
  {
    g_autofree char *empty = g_build_filename (root, "empty", NULL);
    g_autofree char *sbin_tool = g_build_filename (root, "usr", "sbin", "iscsiadm", NULL);

    g_assert_cmpint (g_mkdir_with_parents (empty, 0755), ==, 0);
    g_setenv ("PATH", empty, TRUE);
    lab_test_write_file (root, "usr/sbin/iscsiadm", "#!/bin/sh\nexit 0\n", -1);
    g_assert_cmpint (g_chmod (sbin_tool, 0755), ==, 0);
    res = run_at (root, NULL);
    assert_status (res, "tool.iscsiadm", LAB_CHECK_PASS);
    assert_contains (message_of (res, "tool.iscsiadm"), sbin_tool);
    assert_status (res, "tool.tgtadm", LAB_CHECK_FAIL);
    g_ptr_array_unref (res);
  }

  g_setenv ("PATH", saved_path, TRUE);
  lab_test_remove_tree (bin);
  lab_test_remove_tree (root);
}

/* ---------------------------------------------------------------------- */
/* libvirt                                                                 */

static GPtrArray *
run_libvirt (const char *uri)
{
  g_autofree char *dir = host_dir ("intel-nested");
  g_autoptr(LabHostCheck) check = lab_host_check_new (dir);

  lab_host_check_set_libvirt_uri (check, uri);
  return lab_host_check_run (check);
}

static void
test_libvirt (void)
{
  g_autoptr(GPtrArray) ok = run_libvirt ("test:///default");
  g_autoptr(GPtrArray) down = run_libvirt ("qemu+unix:///system?socket=/nonexistent");

  assert_status (ok, "libvirt.reachable", LAB_CHECK_PASS);
  assert_contains (message_of (ok, "libvirt.reachable"), "test:///default");
  assert_contains (message_of (ok, "libvirt.reachable"), "driver TEST");

  assert_status (down, "libvirt.reachable", LAB_CHECK_FAIL);
  assert_contains (message_of (down, "libvirt.reachable"), "/nonexistent");
  assert_contains (fix_of (down, "libvirt.reachable"), "sudo systemctl enable --now libvirtd");
  assert_contains (fix_of (down, "libvirt.reachable"), "LABCTL_LIBVIRT_URI");
  g_assert_null (strstr (fix_of (down, "libvirt.reachable"), "usermod"));
}

static void
test_libvirt_errors (void)
{
  virError eacces = { .code = VIR_ERR_SYSTEM_ERROR, .domain = VIR_FROM_RPC, .int1 = EACCES,
                      .message = (char *) "Failed to connect socket to '/run/libvirt/libvirt-sock': Permission denied" };
  virError auth = { .code = VIR_ERR_AUTH_UNAVAILABLE, .domain = VIR_FROM_RPC,
                    .message = (char *) "authentication unavailable: no polkit agent available" };
  virError refused = { .code = VIR_ERR_SYSTEM_ERROR, .domain = VIR_FROM_RPC, .int1 = ECONNREFUSED,
                       .message = (char *) "Connection refused" };
  virError nodriver = { .code = VIR_ERR_NO_CONNECT, .domain = VIR_FROM_NONE,
                        .message = (char *) "no connection driver available for qemu:///system" };
  virError other = { .code = VIR_ERR_INTERNAL_ERROR, .domain = VIR_FROM_RPC, .message = (char *) "boom" };
  g_autoptr(LabCheckResult) r1 = lab_host_check_judge_libvirt_error ("qemu:///system", &eacces, TRUE);
  g_autoptr(LabCheckResult) r2 = lab_host_check_judge_libvirt_error ("qemu:///system", &auth, TRUE);
  g_autoptr(LabCheckResult) r3 = lab_host_check_judge_libvirt_error ("qemu:///system", &refused, FALSE);
  g_autoptr(LabCheckResult) r4 = lab_host_check_judge_libvirt_error ("qemu:///system", &nodriver, FALSE);
  g_autoptr(LabCheckResult) r5 = lab_host_check_judge_libvirt_error ("qemu:///system", &other, FALSE);
  g_autoptr(LabCheckResult) r6 = lab_host_check_judge_libvirt_error ("qemu:///system", NULL, FALSE);

  g_assert_cmpint (r1->status, ==, LAB_CHECK_FAIL);
  assert_contains (r1->fix, "sudo usermod -aG libvirt $USER");
  assert_contains (r1->fix, "log out and in again");
  assert_contains (r1->message, "Permission denied");
  g_assert_null (strstr (r1->fix, "LABCTL_LIBVIRT_URI"));   /* default URI: no hint */
  assert_contains (r2->fix, "sudo usermod -aG libvirt $USER");
  assert_contains (r3->fix, "systemctl");
  g_assert_null (strstr (r3->fix, "usermod"));
  assert_contains (r4->fix, "libvirt-daemon-system");
  assert_contains (r5->fix, "journalctl");
  assert_contains (r5->message, "boom");
  g_assert_cmpint (r6->status, ==, LAB_CHECK_FAIL);
}

/* ---------------------------------------------------------------------- */

static void
test_json (void)
{
  g_autoptr(GPtrArray) res = run_host ("amd-nonested", NULL);
  g_autoptr(JsonNode) root = lab_check_results_to_json (res);
  JsonObject *obj = json_node_get_object (root);
  JsonArray *checks = json_object_get_array_member (obj, "checks");
  JsonObject *summary = json_object_get_object_member (obj, "summary");
  guint total = 0;

  g_assert_cmpuint (json_array_get_length (checks), ==, res->len);
  for (guint i = 0; i < json_array_get_length (checks); i++)
    {
      JsonObject *c = json_array_get_object_element (checks, i);
      const char *status = json_object_get_string_member (c, "status");

      g_assert_true (json_object_has_member (c, "id"));
      g_assert_true (json_object_has_member (c, "message"));
      g_assert_true (json_object_has_member (c, "fix"));
      if (g_str_equal (status, "fail") || g_str_equal (status, "warn"))
        g_assert_nonnull (json_object_get_string_member (c, "fix"));
      else
        g_assert_true (json_object_get_null_member (c, "fix"));
    }
  total = json_object_get_int_member (summary, "pass") + json_object_get_int_member (summary, "warn")
          + json_object_get_int_member (summary, "fail") + json_object_get_int_member (summary, "skip");
  g_assert_cmpuint (total, ==, res->len);
  g_assert_cmpint (json_object_get_int_member (summary, "fail"), >=, 2);   /* nested, memory */
  g_assert_false (json_object_get_boolean_member (obj, "ok"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  /* the tests choose their sysroot and libvirt URI themselves */
  g_unsetenv ("LABCTL_SYSROOT");

  g_test_add_func ("/host-check/hosts/intel-nested", test_intel_nested);
  g_test_add_func ("/host-check/hosts/amd-nonested", test_amd_nonested);
  g_test_add_func ("/host-check/hosts/no-vtx", test_no_vtx);
  g_test_add_func ("/host-check/hosts/no-devkvm", test_no_devkvm);
  g_test_add_func ("/host-check/hosts/intel-nested-off", test_intel_nested_off);
  g_test_add_func ("/host-check/hosts/odd", test_odd_hosts);
  g_test_add_func ("/host-check/sysroot-env", test_sysroot_env);
  g_test_add_func ("/host-check/memory/rule", test_memory_rule);
  g_test_add_func ("/host-check/memory/recipe", test_memory_recipe);
  g_test_add_func ("/host-check/disk/rule", test_disk_rule);
  g_test_add_func ("/host-check/disk/recipe", test_disk_recipe);
  g_test_add_func ("/host-check/recipe-file", test_recipe_file);
  g_test_add_func ("/host-check/cores", test_cores_rule);
  g_test_add_func ("/host-check/tools", test_tools);
  g_test_add_func ("/host-check/libvirt/connect", test_libvirt);
  g_test_add_func ("/host-check/libvirt/errors", test_libvirt_errors);
  g_test_add_func ("/host-check/json", test_json);

  return g_test_run ();
}
