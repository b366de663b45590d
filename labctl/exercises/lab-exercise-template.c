/* lab-exercise-template.c: turn a stopped VM into a template and deploy
 * two VMs from it.
 *
 * start makes VM ex-tmpl (stopped) on a qcow2 image in the node's pool.
 * The student makes it a template the way libvirt can: its disk
 * read-only, no autostart, labctl's template mark in its metadata
 * (<template/> in LAB_EXERCISE_TEMPLATE_XMLNS); then deploys two VMs, each
 * on a qcow2 overlay whose backing file is the template's image, and starts
 * them. The check reads the domains, and the overlays' backing store from
 * the node's storage pool (libvirt reads the qcow2 headers).
 * (Proxmox: `qm template` gives template=1 on local-lvm; not written yet.)
 */
#include "config.h"

#include "lab-exercise-private.h"

#include "lab-error.h"
#include "lab-i18n.h"

#define TMPL "ex-tmpl"
#define TMPL_HOST 210
#define IMAGE_SIZE (32 * 1024 * 1024)
#define LAB_EXERCISE_TEMPLATE_XMLNS "https://labctl.example/xmlns/template/1"

static char *
unavailable (LabExerciseEnv *env)
{
  return lab_exercise_needs_guests (env, 1);
}

static const char *
home (LabExerciseEnv *env)
{
  return lab_exercise_guest (env, NULL)->node;
}

static char *
start (LabExerciseEnv *env, GError **error)
{
  LabRecipe *r = env->ctx->recipe;
  LabGuest *g = lab_exercise_guest (env, error);
  g_autofree char *address = lab_exercise_address (env, TMPL_HOST);
  g_autofree char *a1 = lab_exercise_address (env, TMPL_HOST + 1);
  g_autofree char *a2 = lab_exercise_address (env, TMPL_HOST + 2);
  g_autofree char *uri = NULL;
  g_autofree char *image = NULL;
  g_autoptr(LabVirtGuestSpec) spec = NULL;

  if (g == NULL)
    return NULL;
  uri = env->probes->node_uri (env, g->node, error);
  if (uri == NULL)
    return NULL;
  image = lab_exercise_make_image (env, &lab_exercise_template, g->node, TMPL ".qcow2", IMAGE_SIZE, error);
  if (image == NULL)
    return NULL;
  spec = lab_exercise_vm_spec (env, &lab_exercise_template, TMPL, address);
  spec->disk_file = g_strdup (image);
  spec->disk_format = g_strdup ("qcow2");
  if (!lab_exercise_define (env, &lab_exercise_template, g->node, spec, FALSE, error))
    return NULL;
  return g_strdup_printf (_("VM %s is defined on node %s and stopped; its disk is %s.\n"
                            "1. Make it a template: its disk read-only (<readonly/> in its <disk>: virsh dumpxml, "
                            "edit, virsh define), no autostart, and labctl's template mark:\n"
                            "     virsh -c '%s' autostart --disable %s\n"
                            "     virsh -c '%s' metadata %s --config --uri %s --key tmpl --set '<template/>'\n"
                            "2. Deploy two VMs from it, each on an overlay of the template's image:\n"
                            "     virsh -c '%s' vol-create-as labctl-%s ex-vm1.qcow2 32M --format qcow2 "
                            "--backing-vol %s --backing-vol-format qcow2\n"
                            "   and a VM ex-vm1 from the template's XML with its own name, no <uuid>, no <mac>, "
                            "no <readonly/>, the overlay as its disk, guestip=%s/%u; the same for ex-vm2 "
                            "(guestip=%s/%u); start both.\n"
                            "Then: labctl exercise check template\n"),
                          TMPL, g->node, image, uri, TMPL, uri, TMPL, LAB_EXERCISE_TEMPLATE_XMLNS, uri, r->name,
                          image, a1, r->subnet_prefix, a2, r->subnet_prefix);
}

/* The backing file of the image at path on node, as the node's libvirt
 * reads it (NULL: none, or not a volume of a pool). */
static char *
backing_of (LabExerciseEnv *env, const char *node, const char *path)
{
  virConnectPtr conn = lab_exercise_env_node (env, node, NULL);
  g_autoptr(virStorageVol) vol = conn != NULL && path != NULL ? virStorageVolLookupByPath (conn, path) : NULL;
  g_autofree char *xml = vol != NULL ? virStorageVolGetXMLDesc (vol, 0) : NULL;
  g_autoptr(LabXmlReader) reader = xml != NULL ? lab_virt_xml_reader_new (xml, "volume XML", NULL) : NULL;

  return reader != NULL ? lab_xml_reader_get_string (reader, NULL, "/volume/backingStore/path") : NULL;
}

static gboolean
template_mark (LabExerciseEnv *env, const char *node)
{
  virConnectPtr conn = lab_exercise_env_node (env, node, NULL);
  g_autoptr(virDomain) dom = conn != NULL ? virDomainLookupByName (conn, TMPL) : NULL;
  g_autofree char *md = dom != NULL ? virDomainGetMetadata (dom, VIR_DOMAIN_METADATA_ELEMENT,
                                                            LAB_EXERCISE_TEMPLATE_XMLNS,
                                                            VIR_DOMAIN_AFFECT_CONFIG)
                                    : NULL;

  return md != NULL && g_strstr_len (md, -1, "template") != NULL;
}

static void
check (LabExerciseEnv *env, LabExerciseReport *report)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) unreachable = g_string_new (NULL);
  g_autoptr(GPtrArray) domains = lab_exercise_domains (env, unreachable, &error);
  const char *t_mark = _("The VM carries labctl's template mark");
  const char *t_ro = _("The template's image is read-only");
  const char *t_start = _("The template does not start (not running, no autostart)");
  const char *t_deploy = _("Two VMs deployed from the template run, each on an overlay of its image");
  g_autofree char *uri = env->probes->node_uri (env, home (env), NULL);
  g_autofree char *hint = NULL;
  g_autofree char *detail = NULL;
  LabExerciseDomain *t;
  LabExerciseDisk *tdisk;
  guint deployed = 0;
  g_autoptr(GString) names = g_string_new (NULL);

  t = domains != NULL ? lab_exercise_domains_find (domains, TMPL) : NULL;
  if (t == NULL)
    {
      lab_exercise_report_add (report, "template.mark", t_mark, domains == NULL ? LAB_EXERCISE_ERROR : LAB_EXERCISE_FAIL,
                               domains == NULL ? NULL : _("VM ex-tmpl is gone"),
                               domains == NULL ? error->message
                                               : _("labctl exercise finish template; labctl exercise start template"));
      lab_exercise_report_skip (report, "template.readonly", t_ro, "template.mark");
      lab_exercise_report_skip (report, "template.no-start", t_start, "template.mark");
      lab_exercise_report_skip (report, "template.deployed", t_deploy, "template.mark");
      return;
    }
  hint = g_strdup_printf (_("mark it: virsh -c '%s' metadata %s --config --uri %s --key tmpl --set '<template/>'"),
                          uri, TMPL, LAB_EXERCISE_TEMPLATE_XMLNS);
  lab_exercise_report_add (report, "template.mark", t_mark,
                           template_mark (env, t->node) ? LAB_EXERCISE_PASS : LAB_EXERCISE_FAIL, NULL, hint);
  tdisk = t->disks->len > 0 ? g_ptr_array_index (t->disks, 0) : NULL;
  lab_exercise_report_add (report, "template.readonly", t_ro,
                           tdisk != NULL && tdisk->readonly ? LAB_EXERCISE_PASS : LAB_EXERCISE_FAIL,
                           tdisk != NULL ? tdisk->source : _("it has no disk"),
                           _("add <readonly/> to the template's <disk> (virsh dumpxml, edit, virsh define): a VM "
                             "started from it by mistake cannot change the image its VMs are built on"));
  g_clear_pointer (&detail, g_free);
  if (t->active)
    detail = g_strdup (_("the template is running"));
  else if (t->autostart)
    detail = g_strdup (_("the template starts with its node (autostart)"));
  g_free (hint);
  hint = g_strdup_printf (_("a template never runs: virsh -c '%s' destroy %s; virsh -c '%s' autostart --disable %s"),
                          uri, TMPL, uri, TMPL);
  lab_exercise_report_add (report, "template.no-start", t_start, detail == NULL ? LAB_EXERCISE_PASS : LAB_EXERCISE_FAIL,
                           detail, hint);

  /* the deployed VMs: running, on an overlay of the template's image */
  for (guint i = 0; tdisk != NULL && i < domains->len; i++)
    {
      LabExerciseDomain *d = g_ptr_array_index (domains, i);
      LabExerciseDisk *disk = d->disks->len > 0 ? g_ptr_array_index (d->disks, 0) : NULL;
      g_autofree char *backing = NULL;

      if (d == t || g_strcmp0 (d->name, TMPL) == 0 || disk == NULL || !d->active)
        continue;
      backing = backing_of (env, d->node, disk->source);
      if (g_strcmp0 (backing, tdisk->source) != 0 || d->address == NULL || !env->probes->ping (env, d->address, 30000))
        continue;
      deployed++;
      g_string_append_printf (names, "%s%s", names->len > 0 ? ", " : "", d->name);
    }
  g_clear_pointer (&detail, g_free);
  detail = deployed > 0 ? g_strdup_printf (_("running and answering: %s"), names->str)
                        : g_strdup (_("no running VM on an overlay of the template's image"));
  g_free (hint);
  hint = g_strdup (_("for each VM: an overlay (virsh vol-create-as ... --backing-vol TEMPLATE-IMAGE "
                     "--backing-vol-format qcow2) as its disk, its own name, UUID, MAC and guestip=; start it"));
  lab_exercise_report_add (report, "template.deployed", t_deploy, deployed >= 2 ? LAB_EXERCISE_PASS : LAB_EXERCISE_FAIL,
                           detail, hint);
}

static void
vol_free (gpointer vol)
{
  virStorageVolFree (vol);
}

/* The overlays of the template's image in the lab's pool on node: made
 * from labctl's image, they go with it (as the VMs with its mark do). */
static gboolean
remove_overlays (LabExerciseEnv *env, const char *node, GError **error)
{
  virConnectPtr conn = lab_exercise_env_node (env, node, NULL);
  g_autofree char *name = g_strdup_printf ("labctl-%s", env->ctx->recipe->name);
  g_autoptr(virStoragePool) pool = conn != NULL ? virStoragePoolLookupByName (conn, name) : NULL;
  g_autoptr(virStorageVol) base = pool != NULL ? virStorageVolLookupByName (pool, TMPL ".qcow2") : NULL;
  g_autofree char *base_path = base != NULL ? virStorageVolGetPath (base) : NULL;
  virStorageVolPtr *list = NULL;
  int n;
  g_autoptr(GPtrArray) vols = NULL;

  if (base_path == NULL)
    return TRUE;
  n = virStoragePoolListAllVolumes (pool, &list, 0);
  vols = lab_virt_take_list (list, n, vol_free);
  for (guint i = 0; i < vols->len; i++)
    {
      virStorageVolPtr vol = g_ptr_array_index (vols, i);
      g_autofree char *path = virStorageVolGetPath (vol);
      g_autofree char *backing = backing_of (env, node, path);

      if (g_strcmp0 (backing, base_path) == 0 && virStorageVolDelete (vol, 0) < 0)
        {
          lab_virt_set_error (error, _("Cannot delete image %s on node %s"), virStorageVolGetName (vol), node);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
finish (LabExerciseEnv *env, GError **error)
{
  return lab_exercise_remove_marked (env, &lab_exercise_template, error)
         && remove_overlays (env, home (env), error)
         && lab_exercise_remove_files (env, &lab_exercise_template, error);
}

const LabExercise lab_exercise_template = {
  "template", N_("Template: a VM that cannot start, and two VMs deployed from it"),
  unavailable, start, check, finish, &lab_exercise_template_stack,
};
