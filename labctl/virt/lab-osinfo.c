/* lab-osinfo.c: libosinfo with labctl's overlay database. */
#include "config.h"

#include "lab-osinfo.h"

#include <osinfo/osinfo.h>
#include <string.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-paths.h"

struct _LabOsinfo {
  GObject       parent_instance;
  OsinfoLoader *loader;
  OsinfoDb     *db;          /* owned by loader */
};

G_DEFINE_TYPE (LabOsinfo, lab_osinfo, G_TYPE_OBJECT)

static void
lab_osinfo_finalize (GObject *object)
{
  LabOsinfo *self = LAB_OSINFO (object);

  g_clear_object (&self->loader);
  G_OBJECT_CLASS (lab_osinfo_parent_class)->finalize (object);
}

static void
lab_osinfo_class_init (LabOsinfoClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lab_osinfo_finalize;
}

static void
lab_osinfo_init (LabOsinfo *self)
{
}

void
lab_osinfo_profile_free (LabOsinfoProfile *profile)
{
  if (profile == NULL)
    return;
  g_free (profile->id);
  g_free (profile->short_id);
  g_free (profile->name);
  g_free (profile);
}

LabOsinfo *
lab_osinfo_new (const char *overlay_dir, GError **error)
{
  g_autoptr(LabOsinfo) self = g_object_new (LAB_TYPE_OSINFO, NULL);
  g_autofree char *overlay = NULL;
  g_autoptr(GError) local_error = NULL;

  self->loader = osinfo_loader_new ();
  osinfo_loader_process_default_path (self->loader, &local_error);
  if (local_error != NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                   _("Cannot load the osinfo database: %s; install osinfo-db"),
                   local_error->message);
      return NULL;
    }
  overlay = overlay_dir != NULL ? g_strdup (overlay_dir)
                                : lab_paths_data_file ("iso-cache", "osinfo", NULL);
  if (g_file_test (overlay, G_FILE_TEST_IS_DIR))
    {
      osinfo_loader_process_path (self->loader, overlay, &local_error);
      if (local_error != NULL)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                       _("Cannot load labctl's osinfo overlay %s: %s"),
                       overlay, local_error->message);
          return NULL;
        }
    }
  self->db = osinfo_loader_get_db (self->loader);
  return g_steal_pointer (&self);
}

static OsinfoOs *
find_os (LabOsinfo *self, const char *id)
{
  OsinfoOs *os = osinfo_db_get_os (self->db, id);
  g_autoptr(OsinfoOsList) list = NULL;

  if (os != NULL)
    return os;
  list = osinfo_db_get_os_list (self->db);
  for (int i = 0; i < osinfo_list_get_length (OSINFO_LIST (list)); i++)
    {
      OsinfoOs *cand = OSINFO_OS (osinfo_list_get_nth (OSINFO_LIST (list), i));
      g_autoptr(GList) shorts = osinfo_entity_get_param_value_list (OSINFO_ENTITY (cand),
                                                                    OSINFO_PRODUCT_PROP_SHORT_ID);
      for (GList *l = shorts; l != NULL; l = l->next)
        if (g_strcmp0 (l->data, id) == 0)
          return cand;
    }
  return NULL;
}

static gboolean
has_device (OsinfoOs *os, const char *const *ids)
{
  g_autoptr(OsinfoDeviceList) devs = osinfo_os_get_all_devices (os, NULL);

  for (int i = 0; i < osinfo_list_get_length (OSINFO_LIST (devs)); i++)
    {
      OsinfoEntity *dev = osinfo_list_get_nth (OSINFO_LIST (devs), i);
      for (guint j = 0; ids[j] != NULL; j++)
        if (g_strcmp0 (osinfo_entity_get_id (dev), ids[j]) == 0)
          return TRUE;
    }
  return FALSE;
}

/* Resources for x86_64 (or "all"), following derives-from when missing. */
static OsinfoResources *
find_resources (OsinfoOs *os, gboolean recommended)
{
  for (OsinfoOs *cur = os; cur != NULL; )
    {
      g_autoptr(OsinfoResourcesList) list = recommended
        ? osinfo_os_get_recommended_resources (cur)
        : osinfo_os_get_minimum_resources (cur);
      OsinfoResources *all = NULL;
      g_autoptr(OsinfoProductList) parents = NULL;

      for (int i = 0; i < osinfo_list_get_length (OSINFO_LIST (list)); i++)
        {
          OsinfoResources *r = OSINFO_RESOURCES (osinfo_list_get_nth (OSINFO_LIST (list), i));
          const char *arch = osinfo_resources_get_architecture (r);
          if (g_strcmp0 (arch, "x86_64") == 0)
            return g_object_ref (r);
          if (g_strcmp0 (arch, "all") == 0)
            all = r;
        }
      if (all != NULL)
        return g_object_ref (all);
      parents = osinfo_product_get_related (OSINFO_PRODUCT (cur), OSINFO_PRODUCT_RELATIONSHIP_DERIVES_FROM);
      cur = osinfo_list_get_length (OSINFO_LIST (parents)) > 0
        ? OSINFO_OS (osinfo_list_get_nth (OSINFO_LIST (parents), 0)) : NULL;
    }
  return NULL;
}

static LabOsinfoProfile *
profile_from_os (OsinfoOs *os)
{
  static const char *const virtio_disk[] = { "http://pcisig.com/pci/1af4/1001", "http://pcisig.com/pci/1af4/1042", NULL };
  static const char *const virtio_net[] = { "http://pcisig.com/pci/1af4/1000", "http://pcisig.com/pci/1af4/1041", NULL };
  static const char *const virtio_gpu[] = { "http://pcisig.com/pci/1af4/1050", NULL };
  static const char *const q35[] = { "http://qemu.org/chipset/x86/q35", NULL };
  static const char *const tablet[] = { "http://usb.org/usb/80ee/0021", NULL };
  LabOsinfoProfile *p = g_new0 (LabOsinfoProfile, 1);
  g_autoptr(OsinfoResources) min = find_resources (os, FALSE);
  g_autoptr(OsinfoResources) rec = find_resources (os, TRUE);

  p->id = g_strdup (osinfo_entity_get_id (OSINFO_ENTITY (os)));
  p->short_id = g_strdup (osinfo_product_get_short_id (OSINFO_PRODUCT (os)));
  p->name = g_strdup (osinfo_product_get_name (OSINFO_PRODUCT (os)));
  p->virtio_disk = has_device (os, virtio_disk);
  p->virtio_net = has_device (os, virtio_net);
  p->virtio_gpu = has_device (os, virtio_gpu);
  p->q35 = has_device (os, q35);
  p->usb_tablet = has_device (os, tablet);
  if (min != NULL)
    {
      gint64 ram = osinfo_resources_get_ram (min);
      gint64 storage = osinfo_resources_get_storage (min);
      gint cpus = osinfo_resources_get_n_cpus (min);
      p->min_ram_mib = ram > 0 ? (guint64) ram >> 20 : 0;
      p->min_storage = storage > 0 ? (guint64) storage : 0;
      p->min_vcpus = cpus > 0 ? (guint) cpus : 0;
    }
  if (rec != NULL)
    {
      gint64 ram = osinfo_resources_get_ram (rec);
      p->rec_ram_mib = ram > 0 ? (guint64) ram >> 20 : 0;
    }
  return p;
}

LabOsinfoProfile *
lab_osinfo_lookup (LabOsinfo *self, const char *id, GError **error)
{
  OsinfoOs *os;

  g_return_val_if_fail (LAB_IS_OSINFO (self), NULL);
  os = find_os (self, id);
  if (os == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("Unknown operating system \"%s\": neither the osinfo database nor labctl's overlay has it; "
                     "set [nodes] os to an id such as debian12 or proxmox-ve-8"), id);
      return NULL;
    }
  return profile_from_os (os);
}

LabOsinfoProfile *
lab_osinfo_identify_iso (LabOsinfo *self, const char *path, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(OsinfoMedia) media = NULL;
  g_autoptr(OsinfoMediaList) matches = NULL;
  OsinfoOs *os;
  g_autofree char *base = NULL;

  g_return_val_if_fail (LAB_IS_OSINFO (self), NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("Install ISO %s does not exist; put it into the ISO cache or fix [nodes] install-media"),
                   path);
      return NULL;
    }
  media = osinfo_media_create_from_location (path, NULL, &local_error);
  if (media == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED,
                   _("Cannot read %s as an install ISO: %s; check the file (sha256) or set [nodes] os"),
                   path, local_error->message);
      return NULL;
    }
  matches = osinfo_db_identify_medialist (self->db, media);
  if (osinfo_list_get_length (OSINFO_LIST (matches)) == 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED,
                   _("Cannot identify the operating system on %s (volume id \"%s\"); set [nodes] os in the recipe"),
                   path, osinfo_media_get_volume_id (media) ? osinfo_media_get_volume_id (media) : "");
      return NULL;
    }
  os = osinfo_media_get_os (OSINFO_MEDIA (osinfo_list_get_nth (OSINFO_LIST (matches), 0)));
  base = g_path_get_basename (path);
  if (os != NULL && g_str_has_prefix (osinfo_entity_get_id (OSINFO_ENTITY (os)), "http://proxmox.com/proxmox-ve/")
      && g_str_has_prefix (base, "proxmox-ve_"))
    {
      /* "proxmox-ve_6.1-1.iso" -> proxmox-ve-6 */
      guint64 major = g_ascii_strtoull (base + strlen ("proxmox-ve_"), NULL, 10);
      g_autofree char *id = g_strdup_printf ("http://proxmox.com/proxmox-ve/%" G_GUINT64_FORMAT, major);
      OsinfoOs *refined = osinfo_db_get_os (self->db, id);
      if (refined != NULL)
        os = refined;
    }
  if (os == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED,
                   _("The install media %s matches no operating system; set [nodes] os in the recipe"), path);
      return NULL;
    }
  return profile_from_os (os);
}

GPtrArray *
lab_osinfo_check_resources (const LabOsinfoProfile *p, guint vcpus, guint64 memory_mib, guint64 disk_bytes)
{
  GPtrArray *warnings = g_ptr_array_new_with_free_func (g_free);

  if (p->min_vcpus > 0 && vcpus < p->min_vcpus)
    g_ptr_array_add (warnings, g_strdup_printf (_("%u vCPUs is below the minimum of %u for %s"),
                                                vcpus, p->min_vcpus, p->name));
  if (p->min_ram_mib > 0 && memory_mib < p->min_ram_mib)
    g_ptr_array_add (warnings, g_strdup_printf (_("%llu MiB of memory is below the minimum of %llu MiB for %s"),
                                                (unsigned long long) memory_mib,
                                                (unsigned long long) p->min_ram_mib, p->name));
  if (p->min_storage > 0 && disk_bytes > 0 && disk_bytes < p->min_storage)
    g_ptr_array_add (warnings, g_strdup_printf (_("a %llu MiB disk is below the minimum of %llu MiB for %s"),
                                                (unsigned long long) (disk_bytes >> 20),
                                                (unsigned long long) (p->min_storage >> 20), p->name));
  return warnings;
}
