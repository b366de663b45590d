/* lab-exercise-clone.c: clone a stopped VM by hand.
 *
 * start makes two LVs on the lab's shared LUN (one for the base VM, one
 * for the student's clone) and VM ex-base on the first, stopped. The
 * student writes the clone from ex-base's XML: a new name, UUID and MAC,
 * the second LV as its disk, a free address in its kernel command line;
 * then starts it. The check reads every domain of the lab's nodes.
 */
#include "config.h"

#include "lab-exercise-private.h"

#include <string.h>

#include "lab-error.h"
#include "lab-guest.h"
#include "lab-i18n.h"
#include "lab-lvm.h"

#define BASE "ex-base"
#define CLONE "ex-clone"
#define BASE_HOST 201
#define CLONE_HOST 202
#define LV_SIZE (8 * 1024 * 1024)

static char *
unavailable (LabExerciseEnv *env)
{
  return lab_exercise_needs_guests (env, 1);
}

static char *
lv_name (LabExerciseEnv *env, const char *vm)
{
  g_autofree char *under = g_strdelimit (g_strdup (vm), "-", '_');

  return g_strconcat (env->ctx->recipe->lv_prefix, under, NULL);
}

static gboolean
make_lv (LabExerciseEnv *env, const char *lv, GError **error)
{
  LabRecipe *r = env->ctx->recipe;
  const char *dev = lab_state_get_string (env->ctx->state, "storage.pv.device");
  g_autofree char *tag = lab_lvm_tag (r->name);
  g_autofree char *key = lab_exercise_key (&lab_exercise_clone, "lv.%s", lv);
  g_auto(GStrv) argv = NULL;

  if (dev == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("The lab's PV is not recorded: the storage steps have not run; run 'labctl up'"));
      return FALSE;
    }
  argv = lab_lvm_argv_lvcreate (dev, r->vg_name, lv, LV_SIZE, tag);
  if (!lab_lvm_run (env->ctx->runner, (const char * const *) argv, error))
    return FALSE;
  lab_state_set_string (env->ctx->state, key, lv);
  return TRUE;
}

static char *
start (LabExerciseEnv *env, GError **error)
{
  LabRecipe *r = env->ctx->recipe;
  LabGuest *g = lab_exercise_guest (env, error);
  g_autofree char *lv_base = lv_name (env, BASE);
  g_autofree char *lv_clone = lv_name (env, CLONE);
  g_autofree char *address = lab_exercise_address (env, BASE_HOST);
  g_autofree char *free_address = lab_exercise_address (env, CLONE_HOST);
  g_autofree char *uri = NULL;
  g_autoptr(LabVirtGuestSpec) spec = NULL;
  guint64 offset = 0, size = 0, c_offset = 0, c_size = 0;

  if (g == NULL)
    return NULL;
  uri = env->probes->node_uri (env, g->node, error);
  if (uri == NULL)
    return NULL;
  if (!make_lv (env, lv_base, error) || !make_lv (env, lv_clone, error)
      || !lab_guest_lv_slice (env->ctx, lv_base, &offset, &size, error)
      || !lab_guest_lv_slice (env->ctx, lv_clone, &c_offset, &c_size, error))
    return NULL;
  spec = lab_exercise_vm_spec (env, &lab_exercise_clone, BASE, address);
  spec->iscsi_iqn = g_strdup (r->iqn);
  spec->iscsi_lun = 1;
  spec->iscsi_host = g_strdup (r->portal_address);
  spec->iscsi_port = r->portal_port;
  spec->slice_offset = offset;
  spec->slice_size = size;
  if (!lab_exercise_define (env, &lab_exercise_clone, g->node, spec, FALSE, error))
    return NULL;
  return g_strdup_printf (_("VM %s is defined on node %s and stopped; its disk is LV %s on the lab's iSCSI LUN "
                            "(slice offset %llu).\n"
                            "Clone it by hand as %s, on the same shared storage:\n"
                            "     virsh -c '%s' dumpxml %s > %s.xml\n"
                            "  in %s.xml: the name %s; no <uuid> line (libvirt makes one); no <mac> line\n"
                            "  (libvirt makes one); the disk's <slice> offset='%llu' size='%llu' (LV %s);\n"
                            "  in <cmdline> guestip=%s/%u (a free address)\n"
                            "     virsh -c '%s' define %s.xml\n"
                            "     virsh -c '%s' start %s\n"
                            "     ping -c 3 %s\n"
                            "Then: labctl exercise check clone\n"),
                          BASE, g->node, lv_base, (unsigned long long) offset, CLONE, uri, BASE, CLONE, CLONE,
                          CLONE, (unsigned long long) c_offset, (unsigned long long) c_size, lv_clone,
                          free_address, r->subnet_prefix, uri, CLONE, uri, CLONE, free_address);
}

static gboolean
shares (GPtrArray *a, GPtrArray *b)
{
  for (guint i = 0; i < a->len; i++)
    for (guint j = 0; j < b->len; j++)
      if (g_strcmp0 (g_ptr_array_index (a, i), g_ptr_array_index (b, j)) == 0)
        return TRUE;
  return FALSE;
}

/* Another VM (or a node, or a guest of the recipe) with this address. */
static const char *
address_user (LabExerciseEnv *env, GPtrArray *domains, LabExerciseDomain *clone)
{
  LabRecipe *r = env->ctx->recipe;

  if (g_strcmp0 (clone->address, r->gateway) == 0)
    return _("the lab's gateway");
  for (guint i = 0; i < r->nodes->len; i++)
    if (g_strcmp0 (((LabNode *) g_ptr_array_index (r->nodes, i))->address, clone->address) == 0)
      return ((LabNode *) g_ptr_array_index (r->nodes, i))->name;
  for (guint i = 0; i < r->guests->len; i++)
    if (g_strcmp0 (((LabGuest *) g_ptr_array_index (r->guests, i))->address, clone->address) == 0)
      return ((LabGuest *) g_ptr_array_index (r->guests, i))->name;
  for (guint i = 0; i < domains->len; i++)
    {
      LabExerciseDomain *d = g_ptr_array_index (domains, i);

      if (d != clone && g_strcmp0 (d->name, clone->name) != 0 && g_strcmp0 (d->address, clone->address) == 0)
        return d->name;
    }
  return NULL;
}

static void
check (LabExerciseEnv *env, LabExerciseReport *report)
{
  LabRecipe *r = env->ctx->recipe;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) unreachable = g_string_new (NULL);
  g_autoptr(GPtrArray) domains = lab_exercise_domains (env, unreachable, &error);
  LabExerciseDomain *base, *clone;
  const char *t_exists = _("The clone exists");
  const char *t_identity = _("The clone has its own name, UUID and MAC address");
  const char *t_storage = _("The clone's disk is its own, on the shared storage");
  const char *t_boots = _("The clone runs and answers ping at an address of its own");
  g_autofree char *detail = NULL;
  g_autofree char *hint = NULL;
  gboolean ok;

  if (domains == NULL)
    {
      lab_exercise_report_add (report, "clone.exists", t_exists, LAB_EXERCISE_ERROR, NULL, error->message);
      lab_exercise_report_skip (report, "clone.identity", t_identity, "clone.exists");
      lab_exercise_report_skip (report, "clone.storage", t_storage, "clone.exists");
      lab_exercise_report_skip (report, "clone.boots", t_boots, "clone.exists");
      return;
    }
  base = lab_exercise_domains_find (domains, BASE);
  clone = lab_exercise_domains_find (domains, CLONE);
  if (base == NULL || clone == NULL)
    {
      LabExerciseResult res = unreachable->len > 0 ? LAB_EXERCISE_ERROR : LAB_EXERCISE_FAIL;

      if (res == LAB_EXERCISE_ERROR)
        hint = g_strdup_printf (_("the libvirt of node(s) %s does not answer: is the lab up? (labctl status)"),
                                unreachable->str);
      else if (base == NULL)
        hint = g_strdup_printf (_("VM %s is gone: labctl exercise finish clone; labctl exercise start clone"), BASE);
      else
        hint = g_strdup_printf (_("define the clone: virsh dumpxml %s > %s.xml, edit it, virsh define %s.xml"),
                                BASE, CLONE, CLONE);
      detail = g_strdup_printf (_("no VM called %s on the lab's nodes"), base == NULL ? BASE : CLONE);
      lab_exercise_report_add (report, "clone.exists", t_exists, res, detail, hint);
      lab_exercise_report_skip (report, "clone.identity", t_identity, "clone.exists");
      lab_exercise_report_skip (report, "clone.storage", t_storage, "clone.exists");
      lab_exercise_report_skip (report, "clone.boots", t_boots, "clone.exists");
      return;
    }
  detail = g_strdup_printf (_("%s on node %s"), CLONE, clone->node);
  lab_exercise_report_add (report, "clone.exists", t_exists, LAB_EXERCISE_PASS, detail, NULL);

  /* identity: UUID and MAC unlike the base's and every other VM's */
  g_clear_pointer (&detail, g_free);
  if (g_strcmp0 (clone->uuid, base->uuid) == 0)
    {
      detail = g_strdup_printf (_("the clone has %s's UUID %s"), BASE, base->uuid);
      hint = g_strdup (_("remove the <uuid> line from the clone's XML: libvirt gives it a new UUID; "
                         "two VMs with one UUID are one VM to libvirt and to migration"));
    }
  else if (clone->macs->len == 0)
    {
      detail = g_strdup (_("the clone has no network interface"));
      hint = g_strdup (_("keep the <interface> of the base, without its <mac> line"));
    }
  else
    for (guint i = 0; i < domains->len && detail == NULL; i++)
      {
        LabExerciseDomain *d = g_ptr_array_index (domains, i);

        if (d != clone && g_strcmp0 (d->name, CLONE) != 0 && shares (d->macs, clone->macs))
          {
            detail = g_strdup_printf (_("the clone has the MAC address of %s (node %s)"), d->name, d->node);
            hint = g_strdup (_("remove the <mac> line of the clone's <interface>: libvirt gives it a new "
                               "address; two NICs with one MAC on a bridge steal each other's traffic"));
          }
      }
  ok = lab_exercise_report_add (report, "clone.identity", t_identity,
                                detail == NULL ? LAB_EXERCISE_PASS : LAB_EXERCISE_FAIL,
                                detail != NULL ? detail : g_ptr_array_index (clone->macs, 0), hint);
  g_clear_pointer (&detail, g_free);
  g_clear_pointer (&hint, g_free);

  /* storage: every disk on the lab's LUN, none of them the base's */
  for (guint i = 0; i < clone->disks->len && detail == NULL; i++)
    {
      LabExerciseDisk *cd = g_ptr_array_index (clone->disks, i);

      if (g_strcmp0 (cd->protocol, "iscsi") != 0 || cd->source == NULL || !g_str_has_prefix (cd->source, r->iqn))
        {
          detail = g_strdup_printf (_("disk %s is not on the lab's iSCSI target %s"),
                                    cd->source != NULL ? cd->source : "?", r->iqn);
          hint = g_strdup (_("keep the base's <disk type='network'> (the lab's LUN, reachable from every node) "
                             "and change only its <slice>"));
        }
      for (guint j = 0; j < base->disks->len && detail == NULL; j++)
        {
          LabExerciseDisk *bd = g_ptr_array_index (base->disks, j);

          if (g_strcmp0 (bd->source, cd->source) == 0 && g_strcmp0 (bd->offset, cd->offset) == 0)
            {
              g_autofree char *lv = lv_name (env, CLONE);

              detail = g_strdup_printf (_("the clone writes %s's disk (slice offset %s)"), BASE,
                                        cd->offset != NULL ? cd->offset : "0");
              hint = g_strdup_printf (_("give the clone its own disk: the <slice> of LV %s that "
                                        "'labctl exercise start clone' printed"), lv);
            }
        }
    }
  if (detail == NULL && clone->disks->len == 0)
    {
      detail = g_strdup (_("the clone has no disk"));
      hint = g_strdup (_("keep the base's <disk> and change only its <slice>"));
    }
  lab_exercise_report_add (report, "clone.storage", t_storage, detail == NULL ? LAB_EXERCISE_PASS : LAB_EXERCISE_FAIL,
                           detail, hint);
  g_clear_pointer (&detail, g_free);
  g_clear_pointer (&hint, g_free);

  /* it runs, with an address nobody else has, and answers there */
  {
    const char *user = clone->address != NULL ? address_user (env, domains, clone) : NULL;
    LabExerciseResult res = LAB_EXERCISE_FAIL;

    if (clone->address == NULL)
      {
        detail = g_strdup (_("its kernel command line has no guestip="));
        hint = g_strdup (_("keep the base's <cmdline> and change guestip= to a free address"));
      }
    else if (user != NULL)
      {
        detail = g_strdup_printf (_("its address %s is also %s's"), clone->address, user);
        hint = g_strdup_printf (_("two machines with one address answer in turn: give the clone a free one "
                                  "(guestip= in <cmdline>), e.g. the one 'labctl exercise start clone' printed"));
      }
    else if (!clone->active)
      {
        detail = g_strdup_printf (_("%s is not running"), CLONE);
        hint = g_strdup_printf (_("start it: virsh start %s"), CLONE);
      }
    else if (!env->probes->ping (env, clone->address, 60000))
      {
        detail = g_strdup_printf (_("%s does not answer ping at %s"), CLONE, clone->address);
        hint = g_strdup_printf (_("see its console (virsh console %s): did it boot? Is its NIC on br0?"), CLONE);
      }
    else
      {
        res = LAB_EXERCISE_PASS;
        detail = g_strdup_printf (_("answers ping at %s"), clone->address);
      }
    lab_exercise_report_add (report, "clone.boots", t_boots, res, detail, hint);
  }
  (void) ok;
}

static gboolean
finish (LabExerciseEnv *env, GError **error)
{
  const char *dev = lab_state_get_string (env->ctx->state, "storage.pv.device");
  g_autofree char *prefix = lab_exercise_key (&lab_exercise_clone, "lv.");
  g_auto(GStrv) keys = lab_state_list_keys (env->ctx->state, prefix);

  if (!lab_exercise_remove_marked (env, &lab_exercise_clone, error))
    return FALSE;
  for (guint i = 0; keys[i] != NULL; i++)
    {
      const char *lv = lab_state_get_string (env->ctx->state, keys[i]);
      g_auto(GStrv) argv = NULL;

      if (dev == NULL || lv == NULL)
        continue;
      argv = lab_lvm_argv_lvremove (dev, env->ctx->recipe->vg_name, lv);
      if (!lab_lvm_run (env->ctx->runner, (const char * const *) argv, error))
        return FALSE;
      lab_state_remove (env->ctx->state, keys[i]);
    }
  return TRUE;
}

const LabExercise lab_exercise_clone = {
  "clone", N_("Clone: a copy of a stopped VM with its own identity and disk"),
  unavailable, start, check, finish, &lab_exercise_clone_stack,
};
