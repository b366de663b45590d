/* lab-host-check.c: host preflight. See lab-host-check.h. */
#include "config.h"

#include "lab-host-check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "lab-i18n.h"
#include "lab-json.h"
#include "lab-util.h"
#include "lab-virt.h"

#define DEFAULT_LIBVIRT_URI "qemu:///system"
/* Memory kept for the host itself (desktop, libvirtd, tgtd, QEMU overhead). */
#define HOST_RESERVE_MIB    1024
/* Oldest kernel we expect: Debian 11's 5.10 (nested EPT/NPT fixes, io_uring). */
#define MIN_KERNEL_MAJOR    5
#define MIN_KERNEL_MINOR    10

typedef enum {
  VENDOR_UNKNOWN,
  VENDOR_INTEL,
  VENDOR_AMD,
} Vendor;

struct _LabHostCheck {
  char      *sysroot;
  char      *libvirt_uri;
  LabRecipe *recipe;      /* borrowed */

  /* facts gathered by run() */
  Vendor     vendor;
  char      *vendor_id;
  char     **flags;       /* "flags" plus "vmx flags" of the first CPU */
  guint      cpus;
  gboolean   cpuinfo_read;
  gboolean   virt_flag;
  gboolean   module_loaded;
  guint64    memory_available_mib;
  guint64    disk_free_bytes;
};

/* ---------------------------------------------------------------------- */
/* results                                                                 */

LabCheckResult *
lab_check_result_new (const char *id, LabCheckStatus status, const char *message, const char *fix)
{
  LabCheckResult *r = g_new0 (LabCheckResult, 1);

  r->id = g_strdup (id);
  r->status = status;
  r->message = g_strdup (message);
  r->fix = g_strdup (fix);
  return r;
}

void
lab_check_result_free (LabCheckResult *result)
{
  if (result == NULL)
    return;
  g_free (result->id);
  g_free (result->message);
  g_free (result->fix);
  g_free (result);
}

const char *
lab_check_status_to_string (LabCheckStatus status)
{
  switch (status)
    {
    case LAB_CHECK_PASS:
      return "pass";
    case LAB_CHECK_WARN:
      return "warn";
    case LAB_CHECK_FAIL:
      return "fail";
    case LAB_CHECK_SKIP:
      return "skip";
    default:
      g_return_val_if_reached ("fail");
    }
}

JsonNode *
lab_check_result_to_json (LabCheckResult *result)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  lab_json_member_string (b, "id", result->id);
  lab_json_member_string (b, "status", lab_check_status_to_string (result->status));
  lab_json_member_string (b, "message", result->message);
  json_builder_set_member_name (b, "fix");
  if (result->fix != NULL)
    json_builder_add_string_value (b, result->fix);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

LabCheckResult *
lab_check_results_find (GPtrArray *results, const char *id)
{
  for (guint i = 0; i < results->len; i++)
    {
      LabCheckResult *r = g_ptr_array_index (results, i);

      if (g_strcmp0 (r->id, id) == 0)
        return r;
    }
  return NULL;
}

guint
lab_check_results_count (GPtrArray *results, LabCheckStatus status)
{
  guint n = 0;

  for (guint i = 0; i < results->len; i++)
    if (((LabCheckResult *) g_ptr_array_index (results, i))->status == status)
      n++;
  return n;
}

JsonNode *
lab_check_results_to_json (GPtrArray *results)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  static const LabCheckStatus all[] = { LAB_CHECK_PASS, LAB_CHECK_WARN, LAB_CHECK_FAIL, LAB_CHECK_SKIP };

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "checks");
  json_builder_begin_array (b);
  for (guint i = 0; i < results->len; i++)
    json_builder_add_value (b, lab_check_result_to_json (g_ptr_array_index (results, i)));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "summary");
  json_builder_begin_object (b);
  for (gsize i = 0; i < G_N_ELEMENTS (all); i++)
    {
      lab_json_member_int (b, lab_check_status_to_string (all[i]), lab_check_results_count (results, all[i]));
    }
  json_builder_end_object (b);
  lab_json_member_boolean (b, "ok", lab_check_results_count (results, LAB_CHECK_FAIL) == 0);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
add (GPtrArray *results, const char *id, LabCheckStatus status, const char *message, const char *fix)
{
  g_ptr_array_add (results, lab_check_result_new (id, status, message, fix));
}

/* ---------------------------------------------------------------------- */
/* object                                                                  */

LabHostCheck *
lab_host_check_new (const char *sysroot)
{
  LabHostCheck *self = g_new0 (LabHostCheck, 1);

  if (sysroot == NULL || *sysroot == '\0')
    sysroot = g_getenv ("LABCTL_SYSROOT");
  if (sysroot == NULL || *sysroot == '\0')
    sysroot = "/";
  self->sysroot = g_strdup (sysroot);
  lab_host_check_set_libvirt_uri (self, NULL);
  return self;
}

void
lab_host_check_free (LabHostCheck *self)
{
  if (self == NULL)
    return;
  g_free (self->sysroot);
  g_free (self->libvirt_uri);
  g_free (self->vendor_id);
  g_strfreev (self->flags);
  g_free (self);
}

void
lab_host_check_get_facts (LabHostCheck *self, LabHostFacts *facts)
{
  facts->cpus = self->cpus;
  facts->memory_available_mib = self->memory_available_mib;
  facts->disk_free_bytes = self->disk_free_bytes;
}

const char *
lab_host_check_get_sysroot (LabHostCheck *self)
{
  return self->sysroot;
}

void
lab_host_check_set_recipe (LabHostCheck *self, LabRecipe *recipe)
{
  self->recipe = recipe;
}

void
lab_host_check_set_libvirt_uri (LabHostCheck *self, const char *uri)
{
  if (uri == NULL || *uri == '\0')
    uri = g_getenv ("LABCTL_LIBVIRT_URI");
  if (uri == NULL || *uri == '\0')
    uri = DEFAULT_LIBVIRT_URI;
  g_free (self->libvirt_uri);
  self->libvirt_uri = g_strdup (uri);
}

const char *
lab_host_check_get_libvirt_uri (LabHostCheck *self)
{
  return self->libvirt_uri;
}

static char *
host_path (LabHostCheck *self, const char *path)
{
  return g_build_filename (self->sysroot, path, NULL);
}

/* Reads <sysroot>/path, stripped; NULL when it cannot be read. */
static char *
read_host_file (LabHostCheck *self, const char *path)
{
  g_autofree char *full = host_path (self, path);
  g_autofree char *text = NULL;

  if (!g_file_get_contents (full, &text, NULL, NULL))
    return NULL;
  return g_strstrip (g_steal_pointer (&text));
}

static const char *
kvm_module (LabHostCheck *self)
{
  switch (self->vendor)
    {
    case VENDOR_INTEL:
      return "kvm_intel";
    case VENDOR_AMD:
      return "kvm_amd";
    default:
      return NULL;
    }
}

static gboolean
has_flag (LabHostCheck *self, const char *flag)
{
  return self->flags != NULL && g_strv_contains ((const char * const *) self->flags, flag);
}

/* "Y", "y", "1" (kvm_amd prints 1, kvm_intel Y) */
static gboolean
param_is_true (const char *value)
{
  return value != NULL && (g_ascii_strcasecmp (value, "Y") == 0 || g_strcmp0 (value, "1") == 0);
}

/* ---------------------------------------------------------------------- */
/* CPU                                                                     */

static void
parse_cpuinfo (LabHostCheck *self, const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr(GPtrArray) flags = g_ptr_array_new_with_free_func (g_free);
  gboolean first_cpu_done = FALSE;

  for (char **l = lines; *l != NULL; l++)
    {
      const char *colon = strchr (*l, ':');
      g_autofree char *key = NULL;
      g_autofree char *value = NULL;

      if (colon == NULL)
        continue;
      key = g_strstrip (g_strndup (*l, colon - *l));
      value = g_strstrip (g_strdup (colon + 1));
      if (g_str_equal (key, "processor"))
        {
          if (self->cpus > 0)
            first_cpu_done = TRUE;
          self->cpus++;
        }
      else if (g_str_equal (key, "vendor_id") && self->vendor_id == NULL)
        self->vendor_id = g_strdup (value);
      else if (!first_cpu_done && (g_str_equal (key, "flags") || g_str_equal (key, "vmx flags")))
        {
          g_auto(GStrv) words = g_strsplit_set (value, " \t", -1);

          for (char **w = words; *w != NULL; w++)
            if (**w != '\0')
              g_ptr_array_add (flags, g_strdup (*w));
        }
    }
  g_ptr_array_add (flags, NULL);
  self->flags = (char **) g_ptr_array_free (g_steal_pointer (&flags), FALSE);

  if (g_strcmp0 (self->vendor_id, "GenuineIntel") == 0)
    self->vendor = VENDOR_INTEL;
  else if (g_strcmp0 (self->vendor_id, "AuthenticAMD") == 0)
    self->vendor = VENDOR_AMD;
  else
    self->vendor = VENDOR_UNKNOWN;
}

static void
check_cpu (LabHostCheck *self, GPtrArray *results)
{
  g_autofree char *text = read_host_file (self, "proc/cpuinfo");
  g_autofree char *path = host_path (self, "proc/cpuinfo");
  g_autofree char *msg = NULL;
  const char *flag;

  if (text == NULL)
    {
      msg = g_strdup_printf (_("Cannot read %s"), path);
      add (results, "cpu.vendor", LAB_CHECK_FAIL, msg,
           _("Run labctl on the Linux host itself, with /proc mounted."));
      add (results, "cpu.virt-flag", LAB_CHECK_SKIP, _("CPU flags unknown (see cpu.vendor)"), NULL);
      return;
    }
  self->cpuinfo_read = TRUE;
  parse_cpuinfo (self, text);

  if (self->vendor == VENDOR_UNKNOWN)
    {
      msg = g_strdup_printf (_("CPU vendor '%s' is neither GenuineIntel nor AuthenticAMD"),
                             self->vendor_id ? self->vendor_id : "?");
      add (results, "cpu.vendor", LAB_CHECK_FAIL, msg,
           _("The lab needs an x86-64 CPU with Intel VT-x or AMD-V; use such a machine."));
      add (results, "cpu.virt-flag", LAB_CHECK_SKIP, _("No VT-x/AMD-V on this CPU vendor"), NULL);
      return;
    }
  msg = g_strdup_printf (_("%s CPU (%s)"), self->vendor == VENDOR_INTEL ? "Intel" : "AMD", self->vendor_id);
  add (results, "cpu.vendor", LAB_CHECK_PASS, msg, NULL);
  g_clear_pointer (&msg, g_free);

  flag = self->vendor == VENDOR_INTEL ? "vmx" : "svm";
  self->virt_flag = has_flag (self, flag);
  if (self->virt_flag)
    {
      msg = g_strdup_printf (_("Hardware virtualization available (%s flag)"), flag);
      add (results, "cpu.virt-flag", LAB_CHECK_PASS, msg, NULL);
    }
  else
    {
      g_autofree char *fix = NULL;

      msg = g_strdup_printf (_("The CPU does not offer hardware virtualization (no '%s' flag in /proc/cpuinfo)"), flag);
      if (has_flag (self, "hypervisor"))
        fix = g_strdup_printf (_("This machine is itself a virtual machine: enable nested virtualization on its host "
                                 "(e.g. give it the CPU model 'host-passthrough' and load %s with nested=1 there)."),
                               self->vendor == VENDOR_INTEL ? "kvm_intel" : "kvm_amd");
      else if (self->vendor == VENDOR_INTEL)
        fix = g_strdup (_("Reboot into the firmware setup (UEFI/BIOS) and enable \"Intel Virtualization Technology\" (VT-x), "
                          "then power the machine off and on."));
      else
        fix = g_strdup (_("Reboot into the firmware setup (UEFI/BIOS) and enable \"SVM Mode\" (AMD-V), "
                          "then power the machine off and on."));
      add (results, "cpu.virt-flag", LAB_CHECK_FAIL, msg, fix);
    }
}

/* ---------------------------------------------------------------------- */
/* KVM                                                                     */

static void
check_kvm_module (LabHostCheck *self, GPtrArray *results)
{
  const char *module = kvm_module (self);
  g_autofree char *rel = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *msg = NULL;
  g_autofree char *fix = NULL;

  if (module == NULL)
    {
      add (results, "kvm.module", LAB_CHECK_SKIP, _("No KVM module for this CPU (see cpu.vendor)"), NULL);
      return;
    }
  rel = g_build_filename ("sys", "module", module, NULL);
  dir = host_path (self, rel);
  self->module_loaded = g_file_test (dir, G_FILE_TEST_IS_DIR);
  if (self->module_loaded)
    {
      msg = g_strdup_printf (_("Kernel module %s is loaded"), module);
      add (results, "kvm.module", LAB_CHECK_PASS, msg, NULL);
      return;
    }
  msg = g_strdup_printf (_("Kernel module %s is not loaded"), module);
  if (self->virt_flag)
    fix = g_strdup_printf (_("Load it:\n  sudo modprobe %s\n"
                             "If that fails, 'sudo dmesg | grep kvm' tells why (\"disabled by bios\": "
                             "enable virtualization in the firmware setup)."), module);
  else
    fix = g_strdup_printf (_("Enable hardware virtualization first (see cpu.virt-flag), then:\n  sudo modprobe %s"),
                           module);
  add (results, "kvm.module", LAB_CHECK_FAIL, msg, fix);
}

static void
check_kvm_device (LabHostCheck *self, GPtrArray *results)
{
  g_autofree char *path = host_path (self, "dev/kvm");
  g_autofree char *msg = NULL;
  g_autofree char *fix = NULL;
  const char *module = kvm_module (self);
  int fd;
  int saved;

  fd = open (path, O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd >= 0)
    {
      close (fd);
      msg = g_strdup_printf (_("%s is present and usable (read-write)"), path);
      add (results, "kvm.device", LAB_CHECK_PASS, msg, NULL);
      return;
    }
  saved = errno;
  if (saved == EACCES || saved == EPERM)
    {
      msg = g_strdup_printf (_("No read-write access to %s"), path);
      fix = g_strdup (_("Add yourself to the kvm group, then log out and in again:\n"
                        "  sudo usermod -aG kvm $USER"));
    }
  else if (saved == ENOENT)
    {
      msg = g_strdup_printf (_("%s does not exist"), path);
      if (module != NULL && !self->module_loaded)
        fix = g_strdup_printf (_("Load the KVM module (see kvm.module):\n  sudo modprobe %s"), module);
      else
        fix = g_strdup (_("The module is loaded but the device node is missing (no udev?). Create it:\n"
                          "  sudo mknod -m 0660 /dev/kvm c 10 232 && sudo chgrp kvm /dev/kvm"));
    }
  else
    {
      msg = g_strdup_printf (_("Cannot open %s: %s"), path, g_strerror (saved));
      fix = g_strdup (_("Check the device: ls -l /dev/kvm (a character device 10:232, group kvm, mode 0660)."));
    }
  add (results, "kvm.device", LAB_CHECK_FAIL, msg, fix);
}

static char *
read_module_param (LabHostCheck *self, const char *module, const char *param)
{
  g_autofree char *rel = g_build_filename ("sys", "module", module, "parameters", param, NULL);

  return read_host_file (self, rel);
}

static void
check_kvm_nested (LabHostCheck *self, GPtrArray *results)
{
  const char *module = kvm_module (self);
  g_autofree char *value = NULL;
  g_autofree char *msg = NULL;
  g_autofree char *fix = NULL;

  if (module == NULL || !self->module_loaded)
    {
      add (results, "kvm.nested", LAB_CHECK_SKIP,
           _("Nested virtualization cannot be checked without the KVM module (see kvm.module)"), NULL);
      return;
    }
  value = read_module_param (self, module, "nested");
  if (param_is_true (value))
    {
      add (results, "kvm.nested", LAB_CHECK_PASS, _("Nested virtualization is enabled"), NULL);
      return;
    }
  if (value == NULL)
    msg = g_strdup_printf (_("Nested virtualization state unknown: %s has no 'nested' parameter"), module);
  else
    msg = g_strdup_printf (_("Nested virtualization is disabled (%s nested=%s): the nodes cannot run VMs"),
                           module, value);
  fix = g_strdup_printf (_("Shut down all virtual machines, then run:\n"
                           "  echo \"options %s nested=1\" | sudo tee /etc/modprobe.d/kvm-nested.conf\n"
                           "  sudo modprobe -r %s && sudo modprobe %s"),
                         module, module, module);
  add (results, "kvm.nested", LAB_CHECK_FAIL, msg, fix);
}

/* Intel EPT / AMD NPT: second-level address translation. Without it the
 * nodes' guests run on shadow page tables: correct, but very slow. */
static void
check_slat (LabHostCheck *self, GPtrArray *results)
{
  const char *module = kvm_module (self);
  const char *flag;
  const char *name;
  g_autofree char *id = NULL;
  g_autofree char *value = NULL;
  g_autofree char *msg = NULL;
  g_autofree char *fix = NULL;

  if (module == NULL)
    {
      add (results, "cpu.ept", LAB_CHECK_SKIP, _("No EPT/NPT on this CPU vendor (see cpu.vendor)"), NULL);
      return;
    }
  flag = self->vendor == VENDOR_INTEL ? "ept" : "npt";
  name = self->vendor == VENDOR_INTEL ? "EPT" : "NPT";
  id = g_strconcat ("cpu.", flag, NULL);

  if (!self->virt_flag)
    {
      msg = g_strdup_printf (_("%s cannot be used without hardware virtualization (see cpu.virt-flag)"), name);
      add (results, id, LAB_CHECK_SKIP, msg, NULL);
      return;
    }
  if (!has_flag (self, flag))
    {
      msg = g_strdup_printf (_("The CPU lacks %s ('%s' flag): nested guests will be slow"), name, flag);
      fix = g_strdup (_("Nothing to configure: use a CPU with EPT/NPT (every VT-x CPU since 2008, every AMD-V CPU since 2007), "
                        "or, when this machine is a VM, give it the CPU model 'host-passthrough'."));
      add (results, id, LAB_CHECK_WARN, msg, fix);
      return;
    }
  if (self->module_loaded)
    value = read_module_param (self, module, flag);
  if (value != NULL && !param_is_true (value))
    {
      msg = g_strdup_printf (_("The CPU has %s but %s runs with %s=%s: nested guests will be slow"),
                             name, module, flag, value);
      fix = g_strdup_printf (_("Shut down all virtual machines, then run:\n"
                               "  echo \"options %s %s=1\" | sudo tee /etc/modprobe.d/kvm-%s.conf\n"
                               "  sudo modprobe -r %s && sudo modprobe %s"),
                             module, flag, flag, module, module);
      add (results, id, LAB_CHECK_WARN, msg, fix);
      return;
    }
  msg = g_strdup_printf (_("%s (second-level address translation) is available"), name);
  add (results, id, LAB_CHECK_PASS, msg, NULL);
}

/* ---------------------------------------------------------------------- */
/* resources                                                               */

/* What the lab needs: from the recipe, or the course's default lab. */
typedef struct {
  guint    nodes;
  guint    total_vcpus;
  guint    max_node_vcpus;
  guint64  memory_mib;
  guint64  disks;         /* bytes of node and guest disks */
} Needs;

static void
get_needs (LabHostCheck *self, Needs *needs)
{
  memset (needs, 0, sizeof *needs);
  if (self->recipe == NULL || self->recipe->nodes == NULL)
    {
      needs->nodes = LAB_DEFAULT_NODE_COUNT;
      needs->total_vcpus = LAB_DEFAULT_NODE_COUNT * LAB_DEFAULT_VCPUS;
      needs->max_node_vcpus = LAB_DEFAULT_VCPUS;
      needs->memory_mib = LAB_DEFAULT_NODE_COUNT * LAB_DEFAULT_MEMORY_MIB;
      needs->disks = LAB_DEFAULT_NODE_COUNT * LAB_DEFAULT_DISK;
      return;
    }
  for (guint i = 0; i < self->recipe->nodes->len; i++)
    {
      LabNode *n = g_ptr_array_index (self->recipe->nodes, i);

      needs->nodes++;
      needs->total_vcpus += n->vcpus;
      needs->max_node_vcpus = MAX (needs->max_node_vcpus, n->vcpus);
      needs->disks += n->disk_bytes;
    }
  needs->memory_mib = lab_recipe_memory_mib (self->recipe);
  /* Guests run inside the nodes (their memory is the nodes'), but their
   * disks are LVs on the shared image. */
  for (guint i = 0; self->recipe->guests != NULL && i < self->recipe->guests->len; i++)
    needs->disks += ((LabGuest *) g_ptr_array_index (self->recipe->guests, i))->disk_bytes;
}

/* 1.5x headroom: the nodes' page cache and their own guests push QEMU's
 * resident size above the configured memory, and the desktop keeps running. */
LabCheckResult *
lab_host_check_judge_memory (guint64 available_mib, guint64 needed_mib, const char *what)
{
  g_autofree char *avail = lab_format_size (available_mib * LAB_MIB);
  g_autofree char *need = lab_format_size (needed_mib * LAB_MIB);
  g_autofree char *msg = NULL;

  if (available_mib < needed_mib)
    {
      msg = g_strdup_printf (_("%s of memory available; the lab needs %s (%s)"), avail, need, what);
      return lab_check_result_new ("host.memory", LAB_CHECK_FAIL, msg,
                                   _("Close applications to free memory, or lower the nodes' memory in the recipe "
                                     "([nodes] memory = 1536) or their count ([nodes] count = 2)."));
    }
  if (available_mib * 2 < needed_mib * 3)
    {
      msg = g_strdup_printf (_("%s of memory available for a lab that needs %s (%s): less than 1.5x, "
                               "the host may swap"), avail, need, what);
      return lab_check_result_new ("host.memory", LAB_CHECK_WARN, msg,
                                   _("Close applications before 'labctl up', or lower the nodes' memory in the recipe "
                                     "([nodes] memory = 1536)."));
    }
  msg = g_strdup_printf (_("%s of memory available; the lab needs %s (%s)"), avail, need, what);
  return lab_check_result_new ("host.memory", LAB_CHECK_PASS, msg, NULL);
}

static void
check_memory (LabHostCheck *self, GPtrArray *results, const Needs *needs)
{
  g_autofree char *text = read_host_file (self, "proc/meminfo");
  g_auto(GStrv) lines = NULL;
  g_autofree char *what = NULL;
  g_autofree char *node_mem = NULL;
  guint64 avail_kib = 0;
  gboolean found = FALSE;

  if (text == NULL)
    {
      g_autofree char *path = host_path (self, "proc/meminfo");
      g_autofree char *msg = g_strdup_printf (_("Cannot read %s"), path);

      add (results, "host.memory", LAB_CHECK_SKIP, msg, NULL);
      return;
    }
  lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    if (g_str_has_prefix (*l, "MemAvailable:"))
      {
        found = sscanf (*l + strlen ("MemAvailable:"), "%" G_GUINT64_FORMAT, &avail_kib) == 1;
        break;
      }
  if (!found)
    {
      add (results, "host.memory", LAB_CHECK_SKIP,
           _("/proc/meminfo has no MemAvailable line (kernel older than 3.14)"), NULL);
      return;
    }
  self->memory_available_mib = avail_kib / 1024;
  node_mem = lab_format_size (needs->memory_mib * LAB_MIB);
  if (self->recipe != NULL)
    what = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u node: %s, plus 1 GiB for the host",
                                         "%u nodes: %s, plus 1 GiB for the host", needs->nodes),
                            needs->nodes, node_mem);
  else
    what = g_strdup_printf (_("the default lab of %u nodes: %s, plus 1 GiB for the host"), needs->nodes, node_mem);
  g_ptr_array_add (results, lab_host_check_judge_memory (avail_kib / 1024, needs->memory_mib + HOST_RESERVE_MIB, what));
}

LabCheckResult *
lab_host_check_judge_disk (const char *image, const char *dir, guint64 free_bytes, guint64 image_left, guint64 written)
{
  g_autofree char *free_s = lab_format_size (free_bytes);
  g_autofree char *image_s = lab_format_size (image_left);
  g_autofree char *written_s = lab_format_size (written);
  g_autofree char *msg = NULL;
  g_autofree char *fix = NULL;

  if (free_bytes < written)
    {
      msg = g_strdup_printf (_("%s free in %s, but installing the nodes will write up to %s into %s"),
                             free_s, dir, written_s, image);
      fix = g_strdup_printf (_("Free space in %s, or put the image on a larger file system "
                               "([storage] backing-file = /path/with/space/lab.img in the recipe), "
                               "or give the nodes smaller disks ([nodes] disk)."), dir);
      return lab_check_result_new ("host.disk", LAB_CHECK_FAIL, msg, fix);
    }
  if (free_bytes < image_left)
    {
      msg = g_strdup_printf (_("The sparse image %s can grow to %s; %s free in %s"), image, image_s, free_s, dir);
      fix = g_strdup_printf (_("Enough for the installs, but the image must not fill up: free space in %s, "
                               "or lower [storage] size in the recipe, or move [storage] backing-file."), dir);
      return lab_check_result_new ("host.disk", LAB_CHECK_WARN, msg, fix);
    }
  msg = g_strdup_printf (_("%s free in %s; the sparse image %s can grow to %s"), free_s, dir, image, image_s);
  return lab_check_result_new ("host.disk", LAB_CHECK_PASS, msg, NULL);
}

static char *
nearest_existing_dir (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);

  while (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      char *parent = g_path_get_dirname (dir);

      if (g_str_equal (parent, dir))
        {
          g_free (parent);
          break;
        }
      g_free (dir);
      dir = parent;
    }
  return g_steal_pointer (&dir);
}

static void
check_disk (LabHostCheck *self, GPtrArray *results, const Needs *needs)
{
  g_autofree char *dir = NULL;
  g_autofree char *msg = NULL;
  struct statvfs vfs;
  struct stat st;
  guint64 allocated = 0;
  guint64 image_left;
  guint64 written;

  if (self->recipe == NULL || self->recipe->backing_file == NULL)
    {
      add (results, "host.disk", LAB_CHECK_SKIP,
           _("No recipe: the location of the backing image is unknown (use --recipe)"), NULL);
      return;
    }
  dir = nearest_existing_dir (self->recipe->backing_file);
  if (statvfs (dir, &vfs) != 0)
    {
      int saved = errno;

      msg = g_strdup_printf (_("Cannot query free space in %s: %s"), dir, g_strerror (saved));
      add (results, "host.disk", LAB_CHECK_FAIL, msg,
           _("Choose a backing-file in the recipe's [storage] section on a mounted, readable file system."));
      return;
    }
  /* An image left from an earlier run already holds what it holds. */
  if (stat (self->recipe->backing_file, &st) == 0 && S_ISREG (st.st_mode))
    allocated = (guint64) st.st_blocks * 512;
  image_left = lab_recipe_storage_bytes (self->recipe);
  image_left = image_left > allocated ? image_left - allocated : 0;
  written = needs->disks > allocated ? needs->disks - allocated : 0;
  self->disk_free_bytes = (guint64) vfs.f_bavail * vfs.f_frsize;
  g_ptr_array_add (results, lab_host_check_judge_disk (self->recipe->backing_file, dir,
                                                      (guint64) vfs.f_bavail * vfs.f_frsize,
                                                      image_left, written));
}

/* The rule: vCPUs are host threads. Up to 2 vCPUs per host CPU is fine for
 * nodes that mostly install packages and idle in a cluster; beyond that the
 * installers crawl and corosync/HA miss their timeouts (token loss, fencing).
 * A single node with more vCPUs than the host has CPUs makes its guest
 * kernel's spinlocks wait on descheduled vCPUs. Both WARN, never FAIL:
 * libvirt overcommits happily, it is only slow. */
LabCheckResult *
lab_host_check_judge_cores (guint host_cpus, guint total_vcpus, guint max_node_vcpus)
{
  g_autofree char *msg = NULL;

  if (host_cpus == 0)
    return lab_check_result_new ("host.cores", LAB_CHECK_WARN,
                                 _("Cannot count the CPUs in /proc/cpuinfo"),
                                 _("Run labctl on the Linux host itself, with /proc mounted."));
  if (max_node_vcpus > host_cpus)
    {
      msg = g_strdup_printf (_("A node has %u vCPUs but the host has only %u CPUs"), max_node_vcpus, host_cpus);
      return lab_check_result_new ("host.cores", LAB_CHECK_WARN, msg,
                                   _("Lower vcpus in the recipe's [nodes] section to at most the host's CPU count."));
    }
  if (total_vcpus > 2 * host_cpus)
    {
      msg = g_strdup_printf (_("%u CPUs for %u vCPUs in the lab: more than 2 vCPUs per CPU, "
                               "installs will be slow and cluster timeouts may trip"), host_cpus, total_vcpus);
      return lab_check_result_new ("host.cores", LAB_CHECK_WARN, msg,
                                   _("Lower vcpus ([nodes] vcpus = 1) or the node count ([nodes] count = 2) in the recipe."));
    }
  msg = g_strdup_printf (_("%u CPUs for %u vCPUs in the lab"), host_cpus, total_vcpus);
  return lab_check_result_new ("host.cores", LAB_CHECK_PASS, msg, NULL);
}

static void
check_kernel (LabHostCheck *self, GPtrArray *results)
{
  g_autofree char *release = read_host_file (self, "proc/sys/kernel/osrelease");
  g_autofree char *msg = NULL;
  guint major = 0, minor = 0;

  if (release == NULL || sscanf (release, "%u.%u", &major, &minor) != 2)
    {
      msg = g_strdup_printf (_("Cannot tell the kernel version (osrelease: %s)"), release ? release : "?");
      add (results, "host.kernel", LAB_CHECK_WARN, msg,
           _("Run labctl on the Linux host itself, with /proc mounted."));
      return;
    }
  if (major < MIN_KERNEL_MAJOR || (major == MIN_KERNEL_MAJOR && minor < MIN_KERNEL_MINOR))
    {
      msg = g_strdup_printf (_("Kernel %s is older than %u.%u: nested virtualization may be unstable"),
                             release, MIN_KERNEL_MAJOR, MIN_KERNEL_MINOR);
      add (results, "host.kernel", LAB_CHECK_WARN, msg,
           _("Upgrade to a current kernel (Debian 12 ships 6.1: sudo apt install linux-image-amd64)."));
      return;
    }
  msg = g_strdup_printf (_("Kernel %s"), release);
  add (results, "host.kernel", LAB_CHECK_PASS, msg, NULL);
}

/* ---------------------------------------------------------------------- */
/* tools                                                                   */

typedef struct {
  const char *id;
  const char *program;
  const char *package;     /* Debian */
  gboolean    required;
  const char *purpose;     /* N_() */
} Tool;

static const Tool tools[] = {
  { "tool.tgtadm",   "tgtadm",             "tgt",             TRUE,  N_("the iSCSI target") },
  { "tool.iscsiadm", "iscsiadm",           "open-iscsi",      TRUE,  N_("the iSCSI initiator") },
  { "tool.lvm",      "lvm",                "lvm2",            TRUE,  N_("the shared volume group") },
  { "tool.qemu",     "qemu-system-x86_64", "qemu-system-x86", TRUE,  N_("the node VMs") },
  { "tool.qemu-img", "qemu-img",           "qemu-utils",      TRUE,  N_("disk images") },
  { "tool.virsh",    "virsh",              "libvirt-clients", FALSE, N_("the exercises in the guides (optional)") },
};

static char *
find_tool (LabHostCheck *self, const char *program)
{
  static const char *const sbin[] = { "usr/local/sbin", "usr/sbin", "sbin" };
  char *found = g_find_program_in_path (program);

  if (found != NULL)
    return found;
  for (gsize i = 0; i < G_N_ELEMENTS (sbin); i++)
    {
      g_autofree char *path = g_build_filename (self->sysroot, sbin[i], program, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE) && !g_file_test (path, G_FILE_TEST_IS_DIR))
        return g_steal_pointer (&path);
    }
  return NULL;
}

static void
check_tools (LabHostCheck *self, GPtrArray *results)
{
  for (gsize i = 0; i < G_N_ELEMENTS (tools); i++)
    {
      const Tool *t = &tools[i];
      g_autofree char *path = find_tool (self, t->program);
      g_autofree char *msg = NULL;
      g_autofree char *fix = NULL;

      if (path != NULL)
        {
          msg = g_strdup_printf (_("%s found: %s"), t->program, path);
          add (results, t->id, LAB_CHECK_PASS, msg, NULL);
          continue;
        }
      msg = g_strdup_printf (_("%s not found (needed for %s)"), t->program, _(t->purpose));
      fix = g_strdup_printf (_("Install it:\n  sudo apt install %s"), t->package);
      add (results, t->id, t->required ? LAB_CHECK_FAIL : LAB_CHECK_WARN, msg, fix);
    }
}

/* ---------------------------------------------------------------------- */
/* libvirt                                                                 */

static gboolean
is_permission_error (const virError *err)
{
  switch (err->code)
    {
    case VIR_ERR_AUTH_FAILED:
    case VIR_ERR_AUTH_CANCELLED:
    case VIR_ERR_AUTH_UNAVAILABLE:
    case VIR_ERR_ACCESS_DENIED:
    case VIR_ERR_OPERATION_DENIED:
      return TRUE;
    case VIR_ERR_SYSTEM_ERROR:
      return err->int1 == EACCES || err->int1 == EPERM;
    default:
      return FALSE;
    }
}

static gboolean
is_not_running_error (const virError *err)
{
  return err->code == VIR_ERR_SYSTEM_ERROR
         && (err->int1 == ENOENT || err->int1 == ECONNREFUSED || err->int1 == ENOTDIR);
}

LabCheckResult *
lab_host_check_judge_libvirt_error (const char *uri, const virError *err, gboolean read_write)
{
  g_autofree char *msg = NULL;
  g_autoptr(GString) fix = g_string_new (NULL);
  const char *why = err != NULL && err->message != NULL ? err->message : _("unknown error");

  if (read_write)
    msg = g_strdup_printf (_("libvirt at %s answers read-only, but labctl cannot manage it: %s"), uri, why);
  else
    msg = g_strdup_printf (_("Cannot connect to libvirt at %s: %s"), uri, why);

  if (err != NULL && is_permission_error (err))
    g_string_append (fix, _("Add yourself to the libvirt group, then log out and in again "
                            "(group membership is read at login):\n"
                            "  sudo usermod -aG libvirt $USER"));
  else if (err != NULL && is_not_running_error (err))
    g_string_append (fix, _("libvirtd is not running. Start it (and at every boot):\n"
                            "  sudo systemctl enable --now libvirtd"));
  else if (err != NULL && err->code == VIR_ERR_NO_CONNECT)
    g_string_append (fix, _("The libvirt driver for this URI is missing:\n"
                            "  sudo apt install libvirt-daemon-system"));
  else
    g_string_append (fix, _("See libvirtd's log:\n  sudo journalctl -u libvirtd"));
  if (g_strcmp0 (uri, DEFAULT_LIBVIRT_URI) != 0)
    g_string_append_printf (fix, _("\nThe URI comes from LABCTL_LIBVIRT_URI; unset it to use %s."),
                            DEFAULT_LIBVIRT_URI);
  return lab_check_result_new ("libvirt.reachable", LAB_CHECK_FAIL, msg, fix->str);
}

static void
check_libvirt (LabHostCheck *self, GPtrArray *results)
{
  g_auto(LabVirtProbeResult) r = { 0 };
  g_autofree char *msg = NULL;

  /* libvirt's errors are judged here, with the fix, never printed by it */
  lab_virt_probe (self->libvirt_uri, &r);
  if (!r.read_write)
    {
      g_ptr_array_add (results, lab_host_check_judge_libvirt_error (self->libvirt_uri, r.error, r.reachable));
      return;
    }
  msg = g_strdup_printf (_("libvirt %lu.%lu.%lu reachable at %s (driver %s)"),
                         r.lib_version / 1000000, (r.lib_version / 1000) % 1000, r.lib_version % 1000,
                         self->libvirt_uri, r.driver ? r.driver : "?");
  add (results, "libvirt.reachable", LAB_CHECK_PASS, msg, NULL);
}

/* ---------------------------------------------------------------------- */

static void
reset_facts (LabHostCheck *self)
{
  self->vendor = VENDOR_UNKNOWN;
  g_clear_pointer (&self->vendor_id, g_free);
  g_clear_pointer (&self->flags, g_strfreev);
  self->cpus = 0;
  self->cpuinfo_read = FALSE;
  self->virt_flag = FALSE;
  self->module_loaded = FALSE;
}

GPtrArray *
lab_host_check_run (LabHostCheck *self)
{
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_check_result_free);
  Needs needs;

  reset_facts (self);
  get_needs (self, &needs);

  check_cpu (self, results);
  check_kvm_module (self, results);
  check_kvm_device (self, results);
  check_kvm_nested (self, results);
  check_slat (self, results);
  g_ptr_array_add (results, lab_host_check_judge_cores (self->cpus, needs.total_vcpus, needs.max_node_vcpus));
  check_memory (self, results, &needs);
  check_disk (self, results, &needs);
  check_kernel (self, results);
  check_tools (self, results);
  check_libvirt (self, results);
  return g_steal_pointer (&results);
}
