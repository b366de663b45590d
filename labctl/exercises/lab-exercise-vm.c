/* lab-exercise-vm.c: what the exercises share: state keys, the VMs they
 * make on the nodes' libvirt, the facts a check reads from the domains,
 * the watcher daemon. */
#include "config.h"

#include "lab-exercise-private.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include <glib/gstdio.h>

#include "lab-error.h"
#include "lab-flavor.h"
#include "lab-guest.h"
#include "lab-i18n.h"
#include "lab-json.h"
#include "lab-probe.h"
#include "lab-runner.h"
#include "lab-util.h"

#define WATCH_POLL_MS 500

static gboolean remove_images (LabExerciseEnv *env, const LabExercise *exercise, GError **error);

/* ---- state --------------------------------------------------------------- */

char *
lab_exercise_key (const LabExercise *exercise, const char *format, ...)
{
  g_autofree char *rest = NULL;
  va_list ap;

  va_start (ap, format);
  rest = g_strdup_vprintf (format, ap);
  va_end (ap);
  return g_strdup_printf ("exercises.%s.%s", exercise->name, rest);
}

void
lab_exercise_forget (LabExerciseEnv *env, const LabExercise *exercise)
{
  g_autofree char *prefix = g_strdup_printf ("exercises.%s.", exercise->name);

  lab_state_remove_prefix (env->ctx->state, prefix);
}

/* Beside the lab's state directory, not in it: that one is 0700, and the
 * nodes' QEMU (another user) must reach the exercise's disk images. */
static char *
exercises_root (LabExerciseEnv *env)
{
  g_autofree char *state_dir = lab_context_get_state_dir (env->ctx);

  return g_strconcat (state_dir, ".exercises", NULL);
}

char *
lab_exercise_dir (LabExerciseEnv *env, const LabExercise *exercise)
{
  g_autofree char *root = exercises_root (env);
  char *dir = g_build_filename (root, exercise->name, NULL);

  g_mkdir_with_parents (dir, 0755);
  return dir;
}

void
lab_exercise_record_file (LabExerciseEnv *env, const LabExercise *exercise, const char *path)
{
  g_autofree char *prefix = lab_exercise_key (exercise, "file.");
  g_auto(GStrv) keys = lab_state_list_keys (env->ctx->state, prefix);
  g_autofree char *key = lab_exercise_key (exercise, "file.%u", g_strv_length (keys));

  lab_state_set_string (env->ctx->state, key, path);
}

gboolean
lab_exercise_remove_files (LabExerciseEnv *env, const LabExercise *exercise, GError **error)
{
  g_autofree char *prefix = lab_exercise_key (exercise, "file.");
  g_auto(GStrv) keys = lab_state_list_keys (env->ctx->state, prefix);
  g_autofree char *parent = exercises_root (env);
  g_autofree char *dir = g_build_filename (parent, exercise->name, NULL);

  if (!remove_images (env, exercise, error))
    return FALSE;

  for (guint i = 0; keys[i] != NULL; i++)
    {
      const char *path = lab_state_get_string (env->ctx->state, keys[i]);

      if (path != NULL && g_unlink (path) < 0 && errno != ENOENT)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot remove %s: %s; remove it by hand"), path,
                       g_strerror (errno));
          return FALSE;
        }
      lab_state_remove (env->ctx->state, keys[i]);
    }
  /* only when empty: what else is there is not labctl's */
  g_rmdir (dir);
  g_rmdir (parent);
  return TRUE;
}

/* ---- the lab ------------------------------------------------------------- */

LabGuest *
lab_exercise_guest (LabExerciseEnv *env, GError **error)
{
  LabRecipe *r = env->ctx->recipe;

  if (r->guests->len == 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED,
                   _("Lab %s has no guest: add a [guest NAME] section to its recipe"), r->name);
      return NULL;
    }
  return g_ptr_array_index (r->guests, 0);
}

char *
lab_exercise_needs_guests (LabExerciseEnv *env, guint min_nodes)
{
  LabRecipe *r = env->ctx->recipe;
  const LabFlavor *flavor = lab_flavor_for_context (env->ctx);

  if (!lab_flavor_has_guests (flavor))
    return g_strdup_printf (_("the nodes of flavor %s run no libvirt labctl reaches yet"),
                            lab_flavor_to_string (r->flavor));
  if (r->guests->len == 0)
    return g_strdup (_("the recipe has no [guest NAME] section"));
  if (r->guests->len > 0 && ((LabGuest *) g_ptr_array_index (r->guests, 0))->address == NULL)
    return g_strdup (_("the recipe's first guest has no address"));
  if (r->nodes->len < min_nodes)
    return g_strdup_printf (ngettext ("it needs %u node", "it needs %u nodes", min_nodes), min_nodes);
  return NULL;
}

char *
lab_exercise_address (LabExerciseEnv *env, guint host)
{
  guint32 a = env->ctx->recipe->subnet_addr + host;

  return g_strdup_printf ("%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

char *
lab_exercise_mac (LabExerciseEnv *env, const char *name)
{
  g_autofree char *seed = g_strdup_printf ("labctl-exercise/%s/%s", env->ctx->recipe->name, name);
  g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, seed, -1);

  return g_strdup_printf ("52:54:00:%.2s:%.2s:%.2s", sum, sum + 2, sum + 4);
}

/* The guest's command line with guestip= set to address (added when absent). */
static char *
cmdline_with_address (const char *cmdline, const char *address, guint prefix)
{
  g_auto(GStrv) words = g_strsplit (cmdline != NULL ? cmdline : "", " ", -1);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  gboolean set = FALSE;

  for (guint i = 0; words[i] != NULL; i++)
    {
      if (*words[i] == '\0')
        continue;
      if (g_str_has_prefix (words[i], "guestip="))
        {
          g_ptr_array_add (out, g_strdup_printf ("guestip=%s/%u", address, prefix));
          set = TRUE;
        }
      else
        g_ptr_array_add (out, g_strdup (words[i]));
    }
  if (!set)
    g_ptr_array_add (out, g_strdup_printf ("guestip=%s/%u", address, prefix));
  g_ptr_array_add (out, NULL);
  return g_strjoinv (" ", (char **) out->pdata);
}

LabVirtGuestSpec *
lab_exercise_vm_spec (LabExerciseEnv *env, const LabExercise *exercise, const char *name, const char *address)
{
  LabRecipe *r = env->ctx->recipe;
  LabGuest *g = g_ptr_array_index (r->guests, 0);
  LabVirtGuestSpec *spec = lab_guest_spec (r, g, NULL);
  g_autofree char *seed = g_strdup_printf ("labctl-exercise/%s/%s", r->name, name);

  g_free (spec->name);
  spec->name = g_strdup (name);
  g_free (spec->uuid);
  spec->uuid = lab_uuid_from_seed (seed);
  g_free (spec->mac);
  spec->mac = lab_exercise_mac (env, name);
  g_free (spec->cmdline);
  spec->cmdline = cmdline_with_address (g->cmdline, address, r->subnet_prefix);
  spec->exercise = g_strdup (exercise->name);
  return spec;
}

/* ---- disk images on a node ------------------------------------------- */

/* The lab's directory pool on node for the exercises' images,
 * under the node's own libvirt directory (where its QEMU may read). */
static virStoragePoolPtr
lab_pool (LabExerciseEnv *env, const LabExercise *exercise, const char *node, GError **error)
{
  virConnectPtr conn = lab_exercise_env_node (env, node, error);
  g_autofree char *name = g_strdup_printf ("labctl-%s", env->ctx->recipe->name);
  g_autofree char *path = g_strdup_printf ("/var/lib/libvirt/images/labctl-%s", env->ctx->recipe->name);
  g_autofree char *xml = NULL;
  g_autofree char *key = NULL;
  virStoragePoolPtr pool;

  if (conn == NULL)
    return NULL;
  pool = virStoragePoolLookupByName (conn, name);
  if (pool != NULL)
    return pool;
  xml = g_strdup_printf ("<pool type='dir'><name>%s</name><target><path>%s</path></target></pool>", name, path);
  /* define, build (mkdir), start: what `virsh pool-define-as`, `pool-build`
   * and `pool-start` do */
  pool = virStoragePoolDefineXML (conn, xml, 0);
  if (pool == NULL)
    {
      lab_virt_set_error (error, _("Cannot define the storage pool %s on node %s"), name, node);
      return NULL;
    }
  key = lab_exercise_key (exercise, "pool.%s", node);
  lab_state_set_string (env->ctx->state, key, name);
  if (virStoragePoolBuild (pool, 0) < 0 || virStoragePoolCreate (pool, 0) < 0)
    {
      lab_virt_set_error (error, _("Cannot start the storage pool %s on node %s"), name, node);
      virStoragePoolFree (pool);
      return NULL;
    }
  return pool;
}

char *
lab_exercise_make_image (LabExerciseEnv *env, const LabExercise *exercise, const char *node, const char *name,
                         guint64 bytes, GError **error)
{
  g_autoptr(virStoragePool) pool = lab_pool (env, exercise, node, error);
  g_autoptr(virStorageVol) vol = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *key = NULL;

  if (pool == NULL)
    return NULL;
  vol = virStorageVolLookupByName (pool, name);
  if (vol != NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_EXISTS,
                   _("Node %s has an image %s in pool labctl-%s already; labctl leaves it alone: remove it "
                     "(virsh vol-delete %s --pool labctl-%s)"), node, name, env->ctx->recipe->name, name,
                   env->ctx->recipe->name);
      return NULL;
    }
  xml = g_strdup_printf ("<volume><name>%s</name><capacity unit='bytes'>%" G_GUINT64_FORMAT "</capacity>"
                         "<target><format type='qcow2'/></target></volume>", name, bytes);
  vol = virStorageVolCreateXML (pool, xml, 0);
  if (vol == NULL)
    {
      lab_virt_set_error (error, _("Cannot create image %s on node %s"), name, node);
      return NULL;
    }
  key = lab_exercise_key (exercise, "image.%s", name);
  lab_state_set_string (env->ctx->state, key, node);
  return virStorageVolGetPath (vol);
}

/* Deletes the images recorded under "image.*", then the pools it made. */
static gboolean
remove_images (LabExerciseEnv *env, const LabExercise *exercise, GError **error)
{
  g_autofree char *p_img = lab_exercise_key (exercise, "image.");
  g_autofree char *p_pool = lab_exercise_key (exercise, "pool.");
  g_auto(GStrv) images = lab_state_list_keys (env->ctx->state, p_img);
  g_auto(GStrv) pools = lab_state_list_keys (env->ctx->state, p_pool);

  for (guint i = 0; images[i] != NULL; i++)
    {
      const char *node = lab_state_get_string (env->ctx->state, images[i]);
      const char *name = images[i] + strlen (p_img);
      g_autoptr(virStoragePool) pool = NULL;
      g_autoptr(virStorageVol) vol = NULL;

      pool = lab_pool (env, exercise, node, NULL);
      vol = pool != NULL ? virStorageVolLookupByName (pool, name) : NULL;
      if (vol != NULL && virStorageVolDelete (vol, 0) < 0)
        {
          lab_virt_set_error (error, _("Cannot delete image %s on node %s"), name, node);
          return FALSE;
        }
      lab_state_remove (env->ctx->state, images[i]);
    }
  for (guint i = 0; pools[i] != NULL; i++)
    {
      const char *node = pools[i] + strlen (p_pool);
      virConnectPtr conn = lab_exercise_env_node (env, node, NULL);
      g_autoptr(virStoragePool) pool = conn != NULL
        ? virStoragePoolLookupByName (conn, lab_state_get_string (env->ctx->state, pools[i])) : NULL;
      virStorageVolPtr *vols = NULL;
      int n = pool != NULL ? virStoragePoolListAllVolumes (pool, &vols, 0) : -1;

      for (int k = 0; k < n; k++)
        virStorageVolFree (vols[k]);
      free (vols);
      /* only an empty pool: what else is in it is not the exercise's */
      if (pool != NULL && n == 0)
        {
          if (virStoragePoolIsActive (pool) == 1)
            virStoragePoolDestroy (pool);
          virStoragePoolDelete (pool, 0);
          if (virStoragePoolUndefine (pool) < 0)
            {
              lab_virt_set_error (error, _("Cannot undefine the storage pool %s on node %s"),
                                  virStoragePoolGetName (pool), node);
              return FALSE;
            }
        }
      lab_state_remove (env->ctx->state, pools[i]);
    }
  return TRUE;
}

/* ---- the marks ----------------------------------------------------------- */

static gboolean
is_exercise_domain (virDomainPtr dom, const char *lab, const char *exercise)
{
  g_autofree char *m_lab = NULL, *m_guest = NULL, *m_ex = NULL;

  lab_virt_domain_get_mark (dom, &m_lab, &m_guest, &m_ex, NULL, NULL);
  return g_strcmp0 (m_lab, lab) == 0 && g_strcmp0 (m_ex, exercise) == 0;
}

gboolean
lab_exercise_define (LabExerciseEnv *env, const LabExercise *exercise, const char *node,
                     const LabVirtGuestSpec *spec, gboolean start, GError **error)
{
  virConnectPtr conn = lab_exercise_env_node (env, node, error);
  g_autoptr(virDomain) old = NULL;
  g_autoptr(virDomain) dom = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *key = NULL;

  if (conn == NULL)
    return FALSE;
  old = virDomainLookupByName (conn, spec->name);
  if (old != NULL && !is_exercise_domain (old, env->ctx->recipe->name, exercise->name))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                   _("Node %s has a domain '%s' that exercise %s did not make; labctl leaves it alone: "
                     "rename or remove it"), node, spec->name, exercise->name);
      return FALSE;
    }
  xml = lab_virt_guest_xml (spec);
  dom = virDomainDefineXML (conn, xml);
  if (dom == NULL)
    {
      lab_virt_set_error (error, _("Cannot define VM %s on node %s"), spec->name, node);
      return FALSE;
    }
  key = lab_exercise_key (exercise, "domain.%s", spec->name);
  lab_state_set_string (env->ctx->state, key, node);
  if (start && virDomainIsActive (dom) != 1 && virDomainCreate (dom) < 0)
    {
      lab_virt_set_error (error, _("Cannot start VM %s on node %s"), spec->name, node);
      return FALSE;
    }
  return TRUE;
}

static void
domain_free (gpointer dom)
{
  virDomainFree (dom);
}

gboolean
lab_exercise_remove_marked (LabExerciseEnv *env, const LabExercise *exercise, GError **error)
{
  LabRecipe *r = env->ctx->recipe;

  for (guint i = 0; i < r->nodes->len; i++)
    {
      const char *node = ((LabNode *) g_ptr_array_index (r->nodes, i))->name;
      virConnectPtr conn = lab_exercise_env_node (env, node, NULL);
      virDomainPtr *list = NULL;
      int n;
      g_autoptr(GPtrArray) doms = NULL;

      if (conn == NULL)
        continue;  /* its libvirtd is down: nothing of the exercise runs there */
      n = virConnectListAllDomains (conn, &list, 0);
      doms = lab_virt_take_list (list, n, domain_free);
      for (guint j = 0; j < doms->len; j++)
        {
          virDomainPtr dom = g_ptr_array_index (doms, j);

          if (!is_exercise_domain (dom, r->name, exercise->name))
            continue;
          if (virDomainIsActive (dom) == 1 && virDomainDestroy (dom) < 0)
            {
              lab_virt_set_error (error, _("Cannot stop VM %s on node %s"), virDomainGetName (dom), node);
              return FALSE;
            }
          if (virDomainIsPersistent (dom) == 1
              && virDomainUndefineFlags (dom, VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA) < 0)
            {
              lab_virt_set_error (error, _("Cannot undefine VM %s on node %s"), virDomainGetName (dom), node);
              return FALSE;
            }
        }
    }
  {
    g_autofree char *prefix = lab_exercise_key (exercise, "domain.");

    lab_state_remove_prefix (env->ctx->state, prefix);
  }
  return TRUE;
}

/* ---- facts ------------------------------------------------------------- */

static void
disk_free (gpointer data)
{
  LabExerciseDisk *d = data;

  g_free (d->offset);
  g_free (d->source);
  g_free (d->protocol);
  g_free (d->format);
  g_free (d);
}

void
lab_exercise_domain_free (LabExerciseDomain *d)
{
  if (d == NULL)
    return;
  g_free (d->node);
  g_free (d->name);
  g_free (d->uuid);
  g_ptr_array_unref (d->macs);
  g_ptr_array_unref (d->disks);
  g_free (d->address);
  g_free (d->mark_lab);
  g_free (d->mark_guest);
  g_free (d->mark_exercise);
  g_free (d);
}

static char *
cmdline_address (const char *cmdline)
{
  g_auto(GStrv) words = g_strsplit (cmdline != NULL ? cmdline : "", " ", -1);

  for (guint i = 0; words[i] != NULL; i++)
    if (g_str_has_prefix (words[i], "guestip=") && g_ascii_isdigit (words[i][8]))
      {
        char *slash = strchr (words[i], '/');

        return slash != NULL ? g_strndup (words[i] + 8, slash - words[i] - 8) : g_strdup (words[i] + 8);
      }
  return NULL;
}

static LabExerciseDomain *
read_domain (virDomainPtr dom, const char *node)
{
  LabExerciseDomain *d = g_new0 (LabExerciseDomain, 1);
  g_autofree char *xml = virDomainGetXMLDesc (dom, 0);
  g_autoptr(LabXmlReader) reader = xml != NULL ? lab_virt_xml_reader_new (xml, "domain XML", NULL) : NULL;
  char uuid[VIR_UUID_STRING_BUFLEN] = "";
  int autostart = 0;

  d->node = g_strdup (node);
  d->name = g_strdup (virDomainGetName (dom));
  if (virDomainGetUUIDString (dom, uuid) == 0)
    d->uuid = g_strdup (uuid);
  d->active = virDomainIsActive (dom) == 1;
  d->autostart = virDomainGetAutostart (dom, &autostart) == 0 && autostart;
  d->macs = g_ptr_array_new_with_free_func (g_free);
  d->disks = g_ptr_array_new_with_free_func (disk_free);
  lab_virt_domain_get_mark (dom, &d->mark_lab, &d->mark_guest, &d->mark_exercise, NULL, NULL);
  if (reader == NULL)
    return d;
  {
    g_autoptr(GPtrArray) macs = lab_xml_reader_get_nodes (reader, NULL, "/domain/devices/interface/mac");

    for (guint i = 0; i < macs->len; i++)
      {
        char *mac = lab_xml_node_get_attr (g_ptr_array_index (macs, i), "address");

        if (mac != NULL)
          g_ptr_array_add (d->macs, g_ascii_strdown (mac, -1));
        g_free (mac);
      }
  }
  {
    g_autoptr(GPtrArray) disks = lab_xml_reader_get_nodes (reader, NULL, "/domain/devices/disk[@device='disk']");

    for (guint i = 0; i < disks->len; i++)
      {
        LabXmlNode *n = g_ptr_array_index (disks, i);
        LabExerciseDisk *disk = g_new0 (LabExerciseDisk, 1);

        disk->protocol = lab_xml_reader_get_string (reader, n, "source/@protocol");
        disk->source = lab_xml_reader_get_string (reader, n, "source/@file | source/@dev | source/@name");
        disk->offset = lab_xml_reader_get_string (reader, n, "source/slices/slice[@type='storage']/@offset");
        disk->format = lab_xml_reader_get_string (reader, n, "driver/@type");
        disk->readonly = lab_xml_reader_exists (reader, n, "readonly");
        g_ptr_array_add (d->disks, disk);
      }
  }
  {
    g_autofree char *cmdline = lab_xml_reader_get_string (reader, NULL, "/domain/os/cmdline");

    d->address = cmdline_address (cmdline);
  }
  return d;
}

GPtrArray *
lab_exercise_domains (LabExerciseEnv *env, GString *unreachable, GError **error)
{
  LabRecipe *r = env->ctx->recipe;
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_exercise_domain_free);
  guint reached = 0;
  g_autoptr(GError) first = NULL;

  for (guint i = 0; i < r->nodes->len; i++)
    {
      const char *node = ((LabNode *) g_ptr_array_index (r->nodes, i))->name;
      g_autoptr(GError) local = NULL;
      virConnectPtr conn = lab_exercise_env_node (env, node, &local);
      virDomainPtr *list = NULL;
      int n;
      g_autoptr(GPtrArray) doms = NULL;

      if (conn == NULL)
        {
          if (unreachable != NULL)
            g_string_append_printf (unreachable, "%s%s", unreachable->len > 0 ? ", " : "", node);
          if (first == NULL)
            first = g_steal_pointer (&local);
          continue;
        }
      reached++;
      n = virConnectListAllDomains (conn, &list, 0);
      doms = lab_virt_take_list (list, n, domain_free);
      for (guint j = 0; j < doms->len; j++)
        g_ptr_array_add (out, read_domain (g_ptr_array_index (doms, j), node));
    }
  if (reached == 0)
    {
      g_ptr_array_unref (out);
      if (first != NULL)
        g_propagate_error (error, g_steal_pointer (&first));
      else
        g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, _("Lab %s has no node"), r->name);
      return NULL;
    }
  return out;
}

LabExerciseDomain *
lab_exercise_domains_find (GPtrArray *domains, const char *name)
{
  LabExerciseDomain *found = NULL;

  for (guint i = 0; i < domains->len; i++)
    {
      LabExerciseDomain *d = g_ptr_array_index (domains, i);

      if (g_strcmp0 (d->name, name) != 0)
        continue;
      if (d->active)
        return d;
      if (found == NULL)
        found = d;
    }
  return found;
}

/* ---- the watcher ------------------------------------------------------- */

static char *
watch_file (LabExerciseEnv *env, const LabExercise *exercise)
{
  g_autofree char *dir = lab_exercise_dir (env, exercise);

  return g_build_filename (dir, "watch.json", NULL);
}

/* pid is `labctl exercise watch NAME` (guards against a reused pid). */
static gboolean
is_watcher (GPid pid, const char *name)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/cmdline", (int) pid);
  g_autofree char *cmd = NULL;
  gsize len = 0;
  gboolean seen_watch = FALSE;

  if (!g_file_get_contents (path, &cmd, &len, NULL))
    return FALSE;
  for (gsize k = 0; k < len; k += strlen (cmd + k) + 1)
    {
      if (seen_watch && g_str_equal (cmd + k, name))
        return TRUE;
      seen_watch |= g_str_equal (cmd + k, "watch");
    }
  return FALSE;
}

gboolean
lab_exercise_watch_start (LabExerciseEnv *env, const LabExercise *exercise, const char *address, gboolean probe,
                          GError **error)
{
  g_autofree char *self = env->labctl != NULL ? g_strdup (env->labctl) : g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = lab_exercise_dir (env, exercise);
  g_autofree char *log = g_build_filename (dir, "watch.log", NULL);
  g_autofree char *file = watch_file (env, exercise);
  g_autofree char *k_pid = lab_exercise_key (exercise, "watch.pid");
  g_autofree char *k_addr = lab_exercise_key (exercise, "watch.address");
  g_autofree char *k_probe = lab_exercise_key (exercise, "watch.probe");
  const char *recipe = env->ctx->recipe->path;
  GPid pid = 0;

  if (self == NULL || recipe == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("Cannot start the exercise's watcher: the labctl executable or the recipe file is unknown"));
      return FALSE;
    }
  lab_state_set_string (env->ctx->state, k_addr, address);
  lab_state_set_bool (env->ctx->state, k_probe, probe);
  /* the watcher reads the state: it must be on disk first */
  if (!lab_state_save (env->ctx->state, error))
    return FALSE;
  {
    const char *argv[] = { self, "exercise", "watch", "--recipe", recipe, exercise->name, NULL };

    if (!lab_runner_spawn_daemon (env->ctx->runner, argv, log, &pid, error))
      return FALSE;
  }
  lab_state_set_int (env->ctx->state, k_pid, pid);
  lab_exercise_record_file (env, exercise, log);
  lab_exercise_record_file (env, exercise, file);
  /* wait for its first report, so that a check right after start sees one */
  for (int i = 0; i < 100 && pid > 0 && lab_process_alive (pid); i++)
    {
      if (g_file_test (file, G_FILE_TEST_EXISTS))
        return TRUE;
      g_usleep (100 * 1000);
    }
  if (pid > 0 && !lab_process_alive (pid))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("The exercise's watcher exited at once; see %s"), log);
      return FALSE;
    }
  return TRUE;
}

void
lab_exercise_watch_stop (LabExerciseEnv *env, const LabExercise *exercise)
{
  g_autofree char *k_pid = lab_exercise_key (exercise, "watch.pid");
  GPid pid = (GPid) lab_state_get_int (env->ctx->state, k_pid, 0);

  if (pid > 0 && lab_process_alive (pid) && is_watcher (pid, exercise->name))
    {
      kill (pid, SIGTERM);
      if (!lab_process_wait_gone (pid, 5000))
        kill (pid, SIGKILL);
    }
  lab_state_remove (env->ctx->state, k_pid);
}

JsonObject *
lab_exercise_watch_read (LabExerciseEnv *env, const LabExercise *exercise)
{
  g_autofree char *file = watch_file (env, exercise);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!json_parser_load_from_file (parser, file, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return JSON_NODE_HOLDS_OBJECT (root) ? json_object_ref (json_node_get_object (root)) : NULL;
}

/* The watcher's probe (migrate, ha): see lab-exercise-private.h. */
void
lab_exercise_probe_figures (LabExerciseEnv *env, const LabExercise *ex, LabExerciseReport *report,
                            const char *address)
{
  g_autofree char *k_pid = lab_exercise_key (ex, "watch.pid");
  g_autoptr(JsonObject) watch = NULL;
  g_autofree char *k_gap = lab_exercise_key (ex, "probe.longest_gap_ms");
  g_autofree char *k_sent = lab_exercise_key (ex, "probe.sent");
  g_autofree char *k_lost = lab_exercise_key (ex, "probe.lost");
  g_autofree char *k_at = lab_exercise_key (ex, "probe.gap_at_ms");
  JsonObject *probe;
  double gap;

  if (lab_state_has (env->ctx->state, k_pid))
    {
      lab_exercise_watch_stop (env, ex);
      watch = lab_exercise_watch_read (env, ex);
      probe = watch != NULL && json_object_has_member (watch, "probe") ? json_object_get_object_member (watch, "probe")
                                                                       : NULL;
      if (probe != NULL)
        {
          /* the worst gap of every period the watcher ran */
          gap = json_object_get_double_member_with_default (probe, "downtime_ms", 0);
          if (gap > lab_state_get_int (env->ctx->state, k_gap, 0))
            {
              double t0 = json_object_get_double_member_with_default (probe, "t0", 0);

              lab_state_set_int (env->ctx->state, k_gap, (gint64) (gap + 0.5));
              /* when the gap began: the last reply before it, real time */
              if (t0 > 0)
                lab_state_set_int (env->ctx->state, k_at,
                                   (gint64) (t0 * 1000
                                             + json_object_get_double_member_with_default (probe, "gap_offset_ms", 0)));
            }
          lab_state_set_int (env->ctx->state, k_sent, lab_state_get_int (env->ctx->state, k_sent, 0)
                                                          + json_object_get_int_member_with_default (probe, "sent", 0));
          lab_state_set_int (env->ctx->state, k_lost, lab_state_get_int (env->ctx->state, k_lost, 0)
                                                          + json_object_get_int_member_with_default (probe, "lost", 0));
        }
      /* and on it goes, for a later check */
      lab_exercise_watch_start (env, ex, address, TRUE, NULL);
      lab_state_save (env->ctx->state, NULL);
    }
  if (lab_state_has (env->ctx->state, k_sent))
    {
      json_object_set_int_member (report->figures, "probe_downtime_ms", lab_state_get_int (env->ctx->state, k_gap, 0));
      json_object_set_int_member (report->figures, "probe_sent", lab_state_get_int (env->ctx->state, k_sent, 0));
      json_object_set_int_member (report->figures, "probe_lost", lab_state_get_int (env->ctx->state, k_lost, 0));
    }
}

/* The watcher's record: the boot_id changes it saw, the latest report. */
typedef struct {
  GPtrArray *ids;       /* JsonObject* {t, boot_id, uptime} */
  JsonObject *probe;    /* the last probe analysis; NULL: none */
} WatchRecord;

static JsonObject *
id_sample (const LabGuestId *id)
{
  JsonObject *o = json_object_new ();

  json_object_set_double_member (o, "t", g_get_real_time () / 1e6);
  json_object_set_string_member (o, "boot_id", id->boot_id);
  json_object_set_double_member (o, "uptime", id->uptime);
  json_object_set_int_member (o, "counter", id->counter);
  return o;
}

static gboolean
watch_write (const char *file, const char *address, WatchRecord *rec, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  lab_json_member_string (b, "address", address);
  json_builder_set_member_name (b, "ids");
  json_builder_begin_array (b);
  for (guint i = 0; i < rec->ids->len; i++)
    {
      JsonNode *n = json_node_new (JSON_NODE_OBJECT);

      json_node_set_object (n, g_ptr_array_index (rec->ids, i));
      json_builder_add_value (b, n);
    }
  json_builder_end_array (b);
  if (rec->probe != NULL)
    {
      JsonNode *n = json_node_new (JSON_NODE_OBJECT);

      json_node_set_object (n, rec->probe);
      json_builder_set_member_name (b, "probe");
      json_builder_add_value (b, n);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  return g_file_set_contents (file, text, -1, error);
}

/* Keeps the first sample of each boot and the latest one. */
static void
watch_add_id (WatchRecord *rec, const LabGuestId *id)
{
  JsonObject *last = rec->ids->len > 0 ? g_ptr_array_index (rec->ids, rec->ids->len - 1) : NULL;
  JsonObject *before = rec->ids->len > 1 ? g_ptr_array_index (rec->ids, rec->ids->len - 2) : NULL;

  /* the latest sample replaces the previous latest of the same boot */
  if (last != NULL && before != NULL
      && g_strcmp0 (json_object_get_string_member (last, "boot_id"), id->boot_id) == 0
      && g_strcmp0 (json_object_get_string_member (before, "boot_id"), id->boot_id) == 0)
    g_ptr_array_remove_index (rec->ids, rec->ids->len - 1);
  g_ptr_array_add (rec->ids, id_sample (id));
}

gboolean
lab_exercise_watch (LabExerciseEnv *env, const LabExercise *exercise, GError **error)
{
  g_autofree char *k_addr = lab_exercise_key (exercise, "watch.address");
  g_autofree char *k_probe = lab_exercise_key (exercise, "watch.probe");
  const char *address = lab_state_get_string (env->ctx->state, k_addr);
  gboolean with_probe = lab_state_get_bool (env->ctx->state, k_probe, FALSE);
  g_autofree char *file = watch_file (env, exercise);
  g_autoptr(LabProbe) probe = NULL;
  g_autoptr(JsonObject) old = lab_exercise_watch_read (env, exercise);
  WatchRecord rec = { g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref), NULL };
  gboolean ok = TRUE;
  double probe_t0 = 0;

  if (address == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("Exercise %s is not started or watches nothing: run 'labctl exercise start %s'"),
                   exercise->name, exercise->name);
      g_ptr_array_unref (rec.ids);
      return FALSE;
    }
  /* a watcher restarted by a check goes on with the boots seen so far */
  if (old != NULL && json_object_has_member (old, "ids"))
    {
      JsonArray *ids = json_object_get_array_member (old, "ids");

      for (guint i = 0; i < json_array_get_length (ids); i++)
        g_ptr_array_add (rec.ids, json_object_ref (json_array_get_object_element (ids, i)));
    }
  if (with_probe)
    {
      probe = lab_probe_new (address, error);
      if (probe == NULL || !lab_probe_start (probe, error))
        {
          g_ptr_array_unref (rec.ids);
          return FALSE;
        }
      /* the real time of the first send: the gap's offsets count from it */
      probe_t0 = g_get_real_time () / 1e6;
    }
  while (!g_cancellable_is_cancelled (env->ctx->cancellable))
    {
      LabGuestId id = { 0 };

      if (env->probes->guest_id (env, address, &id, NULL))
        watch_add_id (&rec, &id);
      lab_guest_id_clear (&id);
      if (!watch_write (file, address, &rec, error))
        {
          ok = FALSE;
          break;
        }
      g_usleep (WATCH_POLL_MS * 1000);
    }
  if (probe != NULL)
    {
      LabProbeResult result = { 0 };

      if (lab_probe_stop (probe, 200, &result, NULL))
        {
          g_autoptr(JsonNode) n = lab_probe_result_to_json (&result);

          rec.probe = json_object_ref (json_node_get_object (n));
          json_object_set_double_member (rec.probe, "t0", probe_t0);
        }
    }
  if (ok)
    ok = watch_write (file, address, &rec, error);
  g_ptr_array_unref (rec.ids);
  g_clear_pointer (&rec.probe, json_object_unref);
  return ok;
}
