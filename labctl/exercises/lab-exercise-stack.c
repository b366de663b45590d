/* lab-exercise-stack.c: the exercises on a lab whose guests the nodes'
 * own management stack runs (the flavor row's `stack`: Proxmox VE's API),
 * graded from what that API shows: the VMs' configuration and status,
 * their snapshots, the tasks the nodes ran, the storages. Nothing here
 * names a flavor: the stack's words (its VM command, its storages) come
 * from the row.
 *
 * What the API proves, and what only a guest would: the VMs the
 * exercises make have no OS, so no check here asks a guest. A snapshot's
 * revert is a rollback task after the snapshot and the VM running again
 * from its saved memory; a live migration is a migration task with no
 * stop, shutdown or start task of the VM since the exercise started (the
 * process uptime Proxmox reports is the QEMU process's, which a live
 * migration starts anew on the target, so uptime cannot tell a live move
 * from a restart); a clone's identity is its configuration (MAC, SMBIOS
 * uuid, generation id). That the guest's own state went back, or that
 * the clone answers ping without an address conflict, only a guest that
 * answers shows (the libvirt flavors' checks ask it). */
#include "config.h"

#include "lab-exercise-private.h"

#include <string.h>
#include <time.h>

#include "lab-flavor.h"
#include "lab-error.h"
#include "lab-i18n.h"

#define SNAP_VMID 9100
#define BASE_VMID 9110
#define TMPL_VMID 9120

const LabStackOps *
lab_exercise_stack (LabExerciseEnv *env)
{
  return lab_flavor_for_context (env->ctx)->stack;
}

gpointer
lab_exercise_stack_session (LabExerciseEnv *env)
{
  if (env->stack_session == NULL)
    env->stack_session = lab_exercise_stack (env)->session_new (env->ctx);
  return env->stack_session;
}

/* labctl's mark in a VM's description (a clone copies it). */
static char *
mark (LabExerciseEnv *env, const LabExercise *exercise)
{
  return g_strdup_printf ("labctl:%s exercise:%s", env->ctx->recipe->name, exercise->name);
}

static gboolean
has_mark (const LabStackVm *vm, const char *m)
{
  return vm->description != NULL && strstr (vm->description, m) != NULL;
}

static LabStackVm *
vm_by_id (GPtrArray *vms, guint vmid)
{
  for (guint i = 0; i < vms->len; i++)
    if (((LabStackVm *) vms->pdata[i])->vmid == vmid)
      return vms->pdata[i];
  return NULL;
}

static LabStackVm *
vm_by_name (GPtrArray *vms, const char *name)
{
  for (guint i = 0; i < vms->len; i++)
    if (g_strcmp0 (((LabStackVm *) vms->pdata[i])->name, name) == 0)
      return vms->pdata[i];
  return NULL;
}

/* Every step ERROR with why: the checker could not read the stack. */
static void
all_error (LabExerciseReport *report, const char * const *steps, const char *why)
{
  for (guint i = 0; steps[i] != NULL; i += 2)
    lab_exercise_report_add (report, steps[i], _(steps[i + 1]), LAB_EXERCISE_ERROR, NULL, why);
}

static void
skip_rest (LabExerciseReport *report, const char * const *steps, guint from, const char *because)
{
  for (guint i = from * 2; steps[i] != NULL; i += 2)
    lab_exercise_report_skip (report, steps[i], _(steps[i + 1]), because);
}

/* The VM start makes for an exercise, on the lab's first node. */
static char *
make_vm (LabExerciseEnv *env, const LabExercise *exercise, guint vmid, const char *name, const char *storage,
         gboolean start, GError **error)
{
  const LabStackOps *ops = lab_exercise_stack (env);
  g_autofree char *m = mark (env, exercise);
  g_autofree char *k_vmid = lab_exercise_key (exercise, "stack.vmid");
  LabNode *node = env->ctx->recipe->nodes->pdata[0];
  g_autoptr(GPtrArray) vms = ops->vms (env->ctx, lab_exercise_stack_session (env), error);
  LabStackVm *taken;

  if (vms == NULL)
    return NULL;
  taken = vm_by_id (vms, vmid);
  if (taken != NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                   _("The cluster has a VM %u (%s, on %s) already; the exercise needs that id: remove it "
                     "(%s destroy %u) if it is yours"), vmid, taken->name != NULL ? taken->name : "?", taken->node,
                   ops->vm_cli, vmid);
      return NULL;
    }
  lab_state_set_int (env->ctx->state, k_vmid, vmid);
  if (!ops->vm_create (env->ctx, lab_exercise_stack_session (env), vmid, name, node->name, storage, m, start, error))
    return NULL;
  return g_strdup (node->name);
}

static gboolean
finish (LabExerciseEnv *env, const LabExercise *exercise, GError **error)
{
  const LabStackOps *ops = lab_exercise_stack (env);
  g_autofree char *m = mark (env, exercise);
  g_autoptr(GPtrArray) vms = ops->vms (env->ctx, lab_exercise_stack_session (env), error);

  if (vms == NULL)
    return FALSE;
  /* the copies first: a template's base volume cannot go while linked
   * clones use it */
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < vms->len; i++)
      {
        LabStackVm *vm = vms->pdata[i];

        if (has_mark (vm, m) && vm->template == (pass == 1)
            && !ops->vm_destroy (env->ctx, lab_exercise_stack_session (env), vm, error))
          return FALSE;
      }
  return TRUE;
}

/* ---- snapshot -------------------------------------------------------------- */

static const char *const snap_steps[] = {
  "snapshot.exists", N_("a snapshot with the VM's memory, taken after start"),
  "snapshot.reverted", N_("the VM was rolled back to it"),
  "snapshot.running", N_("the VM runs again from the saved memory"),
  NULL,
};

static char *
snapshot_start (LabExerciseEnv *env, GError **error)
{
  const LabStackOps *ops = lab_exercise_stack (env);
  g_autofree char *node = make_vm (env, &lab_exercise_snapshot, SNAP_VMID, "ex-snap", ops->local_storage, TRUE,
                                   error);

  if (node == NULL)
    return NULL;
  return g_strdup_printf (_("VM %u (ex-snap) runs on %s, its disk on %s: the shared LVM over iSCSI (%s) "
                            "takes no snapshots of raw disks.\n"
                            "1. Take a snapshot with its memory: %s snapshot %u before --vmstate 1\n"
                            "2. Change the VM, then go back: %s rollback %u before\n"
                            "3. labctl exercise check snapshot\n"), SNAP_VMID, node, ops->local_storage,
                          ops->shared_storage, ops->vm_cli, SNAP_VMID, ops->vm_cli, SNAP_VMID);
}

static void
snapshot_check (LabExerciseEnv *env, LabExerciseReport *report)
{
  const LabStackOps *ops = lab_exercise_stack (env);
  g_autofree char *k_started = lab_exercise_key (&lab_exercise_snapshot, "started");
  gint64 started = lab_state_get_int (env->ctx->state, k_started, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) vms = ops->vms (env->ctx, lab_exercise_stack_session (env), &error);
  g_autoptr(GPtrArray) snaps = NULL;
  g_autoptr(GPtrArray) tasks = NULL;
  LabStackVm *vm = vms != NULL ? vm_by_id (vms, SNAP_VMID) : NULL;
  LabStackSnapshot *with_memory = NULL, *without = NULL;
  LabStackTask *rollback = NULL;
  g_autofree char *detail = NULL, *hint = NULL;

  if (vm != NULL)
    snaps = ops->snapshots (env->ctx, lab_exercise_stack_session (env), vm, &error);
  if (snaps != NULL)
    tasks = ops->tasks (env->ctx, lab_exercise_stack_session (env), SNAP_VMID, &error);
  if (tasks == NULL)
    {
      g_autofree char *why = vms != NULL && vm == NULL
                               ? g_strdup_printf (_("VM %u is gone; finish the exercise and start it again"), SNAP_VMID)
                               : g_strdup (error->message);
      all_error (report, snap_steps, why);
      return;
    }
  for (guint i = 0; i < snaps->len; i++)
    {
      LabStackSnapshot *s = snaps->pdata[i];
      if (s->snaptime < started)
        continue;
      if (s->vmstate)
        with_memory = s;
      else
        without = s;
    }
  if (with_memory == NULL)
    {
      detail = without != NULL ? g_strdup_printf (_("snapshot %s has no memory (vmstate)"), without->name)
                               : g_strdup_printf (_("VM %u has no snapshot since start"), SNAP_VMID);
      hint = g_strdup_printf (_("take it while the VM runs, with its memory: %s snapshot %u before --vmstate 1"),
                              ops->vm_cli, SNAP_VMID);
      lab_exercise_report_add (report, snap_steps[0], _(snap_steps[1]), LAB_EXERCISE_FAIL, detail, hint);
      skip_rest (report, snap_steps, 1, snap_steps[0]);
      return;
    }
  detail = g_strdup_printf (_("snapshot %s, with memory"), with_memory->name);
  lab_exercise_report_add (report, snap_steps[0], _(snap_steps[1]), LAB_EXERCISE_PASS, detail, NULL);
  g_clear_pointer (&detail, g_free);

  for (guint i = 0; i < tasks->len; i++)
    {
      LabStackTask *t = tasks->pdata[i];
      if (g_strcmp0 (t->type, "qmrollback") == 0 && t->starttime >= with_memory->snaptime)
        rollback = t;
    }
  if (rollback == NULL || g_strcmp0 (rollback->status, "OK") != 0)
    {
      detail = rollback == NULL ? g_strdup_printf (_("no rollback of VM %u after the snapshot"), SNAP_VMID)
                                : g_strdup_printf (_("the rollback task ended with: %s"),
                                                   rollback->status != NULL ? rollback->status : _("(still running)"));
      g_clear_pointer (&hint, g_free);
      hint = g_strdup_printf (_("change the VM, then go back to the snapshot: %s rollback %u %s"), ops->vm_cli,
                              SNAP_VMID, with_memory->name);
      lab_exercise_report_add (report, snap_steps[2], _(snap_steps[3]), LAB_EXERCISE_FAIL, detail, hint);
      skip_rest (report, snap_steps, 2, snap_steps[2]);
      return;
    }
  detail = g_strdup_printf (_("task %s"), rollback->upid);
  lab_exercise_report_add (report, snap_steps[2], _(snap_steps[3]), LAB_EXERCISE_PASS, detail, NULL);
  g_clear_pointer (&detail, g_free);

  detail = vm->running ? g_strdup_printf (_("running on %s (QEMU pid %lld, up %lld s); that the guest's own state went "
                                            "back only a guest that answers shows"), vm->node,
                                          (long long) vm->pid, (long long) vm->uptime)
                       : g_strdup (_("stopped"));
  g_clear_pointer (&hint, g_free);
  hint = g_strdup_printf (_("a rollback to a snapshot with memory resumes the VM; start it: %s start %u"),
                          ops->vm_cli, SNAP_VMID);
  lab_exercise_report_add (report, snap_steps[4], _(snap_steps[5]),
                           vm->running ? LAB_EXERCISE_PASS : LAB_EXERCISE_FAIL, detail, hint);
}

static gboolean
snapshot_finish (LabExerciseEnv *env, GError **error)
{
  return finish (env, &lab_exercise_snapshot, error);
}

const LabExerciseStackRow lab_exercise_snapshot_stack = { snapshot_start, snapshot_check, snapshot_finish };

/* ---- clone ------------------------------------------------------------------ */

static const char *const clone_steps[] = {
  "clone.exists", N_("VM ex-clone exists"),
  "clone.identity", N_("its MAC, SMBIOS uuid and generation id are its own"),
  "clone.storage", N_("its disks are its own, on shared storage"),
  "clone.running", N_("it runs"),
  NULL,
};

static char *
clone_start (LabExerciseEnv *env, GError **error)
{
  const LabStackOps *ops = lab_exercise_stack (env);
  g_autofree char *node = make_vm (env, &lab_exercise_clone, BASE_VMID, "ex-base", ops->shared_storage, FALSE,
                                   error);

  if (node == NULL)
    return NULL;
  return g_strdup_printf (_("VM %u (ex-base) is stopped on %s, its disk on the shared storage %s.\n"
                            "1. Clone it in full to the shared storage as ex-clone: %s clone %u NEWID --name ex-clone "
                            "--full 1 --storage %s\n"
                            "2. Start the clone: %s start NEWID\n"
                            "3. labctl exercise check clone\n"), BASE_VMID, node, ops->shared_storage, ops->vm_cli,
                          BASE_VMID, ops->shared_storage, ops->vm_cli);
}

static gboolean
in_list (GPtrArray *list, const char *s)
{
  for (guint i = 0; list != NULL && i < list->len; i++)
    if (g_ascii_strcasecmp (list->pdata[i], s) == 0)
      return TRUE;
  return FALSE;
}

static void
clone_check (LabExerciseEnv *env, LabExerciseReport *report)
{
  const LabStackOps *ops = lab_exercise_stack (env);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) vms = ops->vms (env->ctx, lab_exercise_stack_session (env), &error);
  g_autoptr(GPtrArray) storages = vms != NULL ? ops->storages (env->ctx, lab_exercise_stack_session (env), &error) : NULL;
  g_autoptr(GString) clash = g_string_new (NULL);
  g_autoptr(GString) bad = g_string_new (NULL);
  g_autofree char *detail = NULL, *hint = NULL;
  LabStackVm *c, *base;

  if (storages == NULL)
    {
      all_error (report, clone_steps, error->message);
      return;
    }
  c = vm_by_name (vms, "ex-clone");
  base = vm_by_id (vms, BASE_VMID);
  if (c == NULL)
    {
      hint = g_strdup_printf (_("%s clone %u NEWID --name ex-clone --full 1 --storage %s"), ops->vm_cli, BASE_VMID,
                              ops->shared_storage);
      lab_exercise_report_add (report, clone_steps[0], _(clone_steps[1]), LAB_EXERCISE_FAIL,
                               _("no VM of the cluster is called ex-clone"), hint);
      skip_rest (report, clone_steps, 1, clone_steps[0]);
      return;
    }
  detail = g_strdup_printf (_("VM %u on %s"), c->vmid, c->node);
  lab_exercise_report_add (report, clone_steps[0], _(clone_steps[1]), LAB_EXERCISE_PASS, detail, NULL);
  g_clear_pointer (&detail, g_free);

  for (guint i = 0; i < vms->len; i++)
    {
      LabStackVm *o = vms->pdata[i];
      if (o == c)
        continue;
      for (guint j = 0; j < c->macs->len; j++)
        if (in_list (o->macs, c->macs->pdata[j]))
          g_string_append_printf (clash, _("%sMAC %s as VM %u (%s)"), clash->len ? ", " : "",
                                  (char *) c->macs->pdata[j], o->vmid, o->name != NULL ? o->name : "?");
      if (c->uuid != NULL && g_strcmp0 (c->uuid, o->uuid) == 0)
        g_string_append_printf (clash, _("%sSMBIOS uuid %s as VM %u"), clash->len ? ", " : "", c->uuid, o->vmid);
      if (c->vmgenid != NULL && g_strcmp0 (c->vmgenid, o->vmgenid) == 0)
        g_string_append_printf (clash, _("%sgeneration id as VM %u"), clash->len ? ", " : "", o->vmid);
    }
  if (c->macs->len == 0)
    g_string_append (clash, _("no network device"));
  if (clash->len > 0)
    {
      hint = g_strdup_printf (_("a configuration copied by hand keeps the original's identity; give it new ones "
                                "(%s set %u --net0 virtio,bridge=vmbr0 --smbios1 uuid=$(uuidgen) --vmgenid 1), "
                                "or clone with %s clone"), ops->vm_cli, c->vmid, ops->vm_cli);
      lab_exercise_report_add (report, clone_steps[2], _(clone_steps[3]), LAB_EXERCISE_FAIL, clash->str, hint);
      g_clear_pointer (&hint, g_free);
    }
  else
    {
      detail = g_strdup_printf (_("MAC %s, uuid %s"), (char *) c->macs->pdata[0], c->uuid != NULL ? c->uuid : "-");
      lab_exercise_report_add (report, clone_steps[2], _(clone_steps[3]), LAB_EXERCISE_PASS, detail, NULL);
      g_clear_pointer (&detail, g_free);
    }

  for (guint i = 0; i < c->disks->len; i++)
    {
      const char *volid = c->disks->pdata[i];
      g_autofree char *store = g_strndup (volid, strcspn (volid, ":"));
      gboolean shared = FALSE;

      for (guint j = 0; j < storages->len; j++)
        if (g_str_equal (((LabStackStorage *) storages->pdata[j])->id, store))
          shared = ((LabStackStorage *) storages->pdata[j])->shared;
      if (base != NULL && in_list (base->disks, volid))
        g_string_append_printf (bad, _("%s%s is the base's own disk"), bad->len ? ", " : "", volid);
      else if (!shared)
        g_string_append_printf (bad, _("%s%s is on %s, which the other nodes do not reach"), bad->len ? ", " : "",
                                volid, store);
    }
  if (c->disks->len == 0)
    g_string_append (bad, _("no disk"));
  hint = g_strdup_printf (_("clone in full to the shared storage: --full 1 --storage %s"), ops->shared_storage);
  lab_exercise_report_add (report, clone_steps[4], _(clone_steps[5]),
                           bad->len == 0 ? LAB_EXERCISE_PASS : LAB_EXERCISE_FAIL,
                           bad->len == 0 ? (char *) c->disks->pdata[0] : bad->str, hint);
  g_clear_pointer (&hint, g_free);

  hint = g_strdup_printf (_("%s start %u"), ops->vm_cli, c->vmid);
  detail = g_strdup_printf (c->running ? _("running on %s (that it answers ping only a guest with an OS shows)")
                                       : _("stopped on %s"), c->node);
  lab_exercise_report_add (report, clone_steps[6], _(clone_steps[7]),
                           c->running ? LAB_EXERCISE_PASS : LAB_EXERCISE_FAIL, detail, hint);
}

static gboolean
clone_finish (LabExerciseEnv *env, GError **error)
{
  return finish (env, &lab_exercise_clone, error);
}

const LabExerciseStackRow lab_exercise_clone_stack = { clone_start, clone_check, clone_finish };

/* ---- template --------------------------------------------------------------- */

static const char *const tmpl_steps[] = {
  "template.mark", N_("VM ex-tmpl is a template"),
  "template.no-start", N_("it cannot be started, and it does not run"),
  "template.deployed", N_("two VMs deployed from it run"),
  NULL,
};

static char *
template_start (LabExerciseEnv *env, GError **error)
{
  const LabStackOps *ops = lab_exercise_stack (env);
  g_autofree char *node = make_vm (env, &lab_exercise_template, TMPL_VMID, "ex-tmpl", ops->local_storage, FALSE,
                                   error);

  if (node == NULL)
    return NULL;
  return g_strdup_printf (_("VM %u (ex-tmpl) is stopped on %s, its disk on %s: the shared LVM over iSCSI (%s) "
                            "cannot hold templates or linked clones.\n"
                            "1. Make it a template: %s template %u\n"
                            "2. Deploy two VMs from it (linked clones) and start them: %s clone %u NEWID --name "
                            "ex-tmpl-1; %s start NEWID\n"
                            "3. labctl exercise check template\n"), TMPL_VMID, node, ops->local_storage,
                          ops->shared_storage, ops->vm_cli, TMPL_VMID, ops->vm_cli, TMPL_VMID, ops->vm_cli);
}

/* A linked clone's disk names the template's base volume:
 * "STORE:base-9120-disk-0/vm-9121-disk-0". */
static gboolean
linked_to (const LabStackVm *vm, const LabStackVm *tmpl)
{
  for (guint i = 0; i < vm->disks->len; i++)
    for (guint j = 0; j < tmpl->disks->len; j++)
      {
        g_autofree char *prefix = g_strdup_printf ("%s/", (char *) tmpl->disks->pdata[j]);
        if (g_str_has_prefix (vm->disks->pdata[i], prefix))
          return TRUE;
      }
  return FALSE;
}

static void
template_check (LabExerciseEnv *env, LabExerciseReport *report)
{
  const LabStackOps *ops = lab_exercise_stack (env);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) vms = ops->vms (env->ctx, lab_exercise_stack_session (env), &error);
  g_autoptr(GString) running = g_string_new (NULL);
  g_autoptr(GString) stopped = g_string_new (NULL);
  g_autofree char *detail = NULL, *hint = NULL;
  LabStackVm *t = vms != NULL ? vm_by_id (vms, TMPL_VMID) : NULL;
  guint n_running = 0;

  if (t == NULL)
    {
      g_autofree char *why = vms != NULL ? g_strdup_printf (_("VM %u is gone; finish the exercise and start it "
                                                              "again"), TMPL_VMID)
                                         : g_strdup (error->message);
      all_error (report, tmpl_steps, why);
      return;
    }
  hint = g_strdup_printf (_("stop it and make it a template: %s template %u"), ops->vm_cli, TMPL_VMID);
  detail = g_strdup_printf (t->template ? _("template=1, disk %s") : _("an ordinary VM: it can still be started"),
                            t->disks->len > 0 ? (char *) t->disks->pdata[0] : "-");
  if (!lab_exercise_report_add (report, tmpl_steps[0], _(tmpl_steps[1]),
                                t->template ? LAB_EXERCISE_PASS : LAB_EXERCISE_FAIL, detail, hint))
    {
      skip_rest (report, tmpl_steps, 1, tmpl_steps[0]);
      return;
    }
  g_clear_pointer (&hint, g_free);
  hint = g_strdup_printf (_("a template does not run: %s stop %u, then %s template %u"), ops->vm_cli, TMPL_VMID,
                          ops->vm_cli, TMPL_VMID);
  lab_exercise_report_add (report, tmpl_steps[2], _(tmpl_steps[3]),
                           t->running ? LAB_EXERCISE_FAIL : LAB_EXERCISE_PASS,
                           t->running ? _("it runs") : _("stopped; the API refuses to start a template"), hint);

  for (guint i = 0; i < vms->len; i++)
    {
      LabStackVm *vm = vms->pdata[i];
      if (vm == t || !linked_to (vm, t))
        continue;
      g_string_append_printf (vm->running ? running : stopped, "%s%u", (vm->running ? running : stopped)->len ? ", " : "",
                              vm->vmid);
      n_running += vm->running;
    }
  g_clear_pointer (&detail, g_free);
  detail = g_strdup_printf (_("linked clones running: %s; stopped: %s"), running->len ? running->str : "-",
                            stopped->len ? stopped->str : "-");
  g_clear_pointer (&hint, g_free);
  hint = g_strdup_printf (_("deploy and start two (a full clone keeps no trace of its template: make linked "
                            "ones): %s clone %u NEWID --name ex-tmpl-1; %s start NEWID"), ops->vm_cli, TMPL_VMID,
                          ops->vm_cli);
  lab_exercise_report_add (report, tmpl_steps[4], _(tmpl_steps[5]),
                           n_running >= 2 ? LAB_EXERCISE_PASS : LAB_EXERCISE_FAIL, detail, hint);
}

static gboolean
template_finish (LabExerciseEnv *env, GError **error)
{
  return finish (env, &lab_exercise_template, error);
}

const LabExerciseStackRow lab_exercise_template_stack = { template_start, template_check, template_finish };

/* ---- migrate ---------------------------------------------------------------- */

static const char *const mig_steps[] = {
  "migrate.moved", N_("the VM runs on another node"),
  "migrate.live", N_("it moved while it ran (a live migration, no restart)"),
  NULL,
};

/* The lab's VM as start finds it: it must run; where, its id, its
 * name and the UPIDs of its tasks so far are recorded (the checks look
 * only at newer tasks). */
static LabStackVm *
record_guest (LabExerciseEnv *env, const LabExercise *exercise, GError **error)
{
  const LabStackOps *ops = lab_exercise_stack (env);
  g_autofree char *k_node = lab_exercise_key (exercise, "stack.node");
  g_autofree char *k_vmid = lab_exercise_key (exercise, "stack.vmid");
  g_autofree char *k_name = lab_exercise_key (exercise, "stack.guest");
  g_autofree char *k_tasks = lab_exercise_key (exercise, "stack.tasks");
  g_autoptr(GPtrArray) vms = NULL;
  g_autoptr(GPtrArray) tasks = NULL;
  g_autoptr(GString) known = g_string_new (NULL);
  LabStackGuest g = { 0 };
  LabStackVm *vm = NULL;
  guint at = 0;

  if (!ops->guest_find (env->ctx, lab_exercise_stack_session (env), NULL, &g, error))
    return NULL;
  vms = ops->vms (env->ctx, lab_exercise_stack_session (env), error);
  vm = vms != NULL ? vm_by_name (vms, g.name) : NULL;
  if (vm != NULL && vm->running)
    tasks = ops->tasks (env->ctx, lab_exercise_stack_session (env), vm->vmid, error);
  else if (vms != NULL)
    g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                 _("The lab's VM %s does not run; start it (labctl up) before the exercise"), g.name);
  if (tasks == NULL)
    {
      lab_stack_guest_clear (&g);
      return NULL;
    }
  for (guint i = 0; i < tasks->len; i++)
    g_string_append_printf (known, "%s ", ((LabStackTask *) tasks->pdata[i])->upid);
  lab_state_set_string (env->ctx->state, k_node, vm->node);
  lab_state_set_int (env->ctx->state, k_vmid, vm->vmid);
  lab_state_set_string (env->ctx->state, k_name, g.name);
  lab_state_set_string (env->ctx->state, k_tasks, known->str);
  lab_stack_guest_clear (&g);
  g_ptr_array_find (vms, vm, &at);
  return g_ptr_array_steal_index (vms, at);
}

/* Tasks start did not see. */
static gboolean
is_new (const LabStackTask *t, GStrv known)
{
  return t->upid != NULL && !g_strv_contains ((const char * const *) known, t->upid);
}

static GStrv
known_tasks (LabExerciseEnv *env, const LabExercise *exercise)
{
  g_autofree char *k_tasks = lab_exercise_key (exercise, "stack.tasks");
  const char *known = lab_state_get_string (env->ctx->state, k_tasks);

  return g_strsplit (known != NULL ? known : "", " ", -1);
}

static char *
migrate_start (LabExerciseEnv *env, GError **error)
{
  const LabStackOps *ops = lab_exercise_stack (env);
  g_autoptr(LabStackVm) vm = record_guest (env, &lab_exercise_migrate, error);

  if (vm == NULL)
    return NULL;
  return g_strdup_printf (_("VM %u (%s) runs on %s.\n"
                            "1. Move it to another node while it runs: %s migrate %u TARGET --online 1\n"
                            "2. labctl exercise check migrate\n"), vm->vmid, vm->name, vm->node, ops->vm_cli,
                          vm->vmid);
}

static void
migrate_check (LabExerciseEnv *env, LabExerciseReport *report)
{
  const LabStackOps *ops = lab_exercise_stack (env);
  g_autofree char *k_node = lab_exercise_key (&lab_exercise_migrate, "stack.node");
  g_autofree char *k_vmid = lab_exercise_key (&lab_exercise_migrate, "stack.vmid");
  const char *node0 = lab_state_get_string (env->ctx->state, k_node);
  guint vmid = lab_state_get_int (env->ctx->state, k_vmid, 0);
  g_auto(GStrv) known = known_tasks (env, &lab_exercise_migrate);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) vms = ops->vms (env->ctx, lab_exercise_stack_session (env), &error);
  g_autoptr(GPtrArray) tasks = vms != NULL ? ops->tasks (env->ctx, lab_exercise_stack_session (env), vmid, &error) : NULL;
  g_autoptr(GString) restarts = g_string_new (NULL);
  g_autofree char *detail = NULL, *hint = NULL;
  LabStackTask *moved = NULL;
  LabStackVm *vm;

  if (tasks == NULL)
    {
      all_error (report, mig_steps, error->message);
      return;
    }
  vm = vm_by_id (vms, vmid);
  if (vm == NULL || !vm->running || g_strcmp0 (vm->node, node0) == 0)
    {
      detail = vm == NULL ? g_strdup_printf (_("VM %u is gone"), vmid)
                          : g_strdup_printf (vm->running ? _("still on %s") : _("stopped, on %s"), vm->node);
      hint = g_strdup_printf (_("%s migrate %u TARGET --online 1 (TARGET: another node of the cluster)"),
                              ops->vm_cli, vmid);
      lab_exercise_report_add (report, mig_steps[0], _(mig_steps[1]), LAB_EXERCISE_FAIL, detail, hint);
      skip_rest (report, mig_steps, 1, mig_steps[0]);
      return;
    }
  detail = g_strdup_printf (_("from %s to %s"), node0, vm->node);
  lab_exercise_report_add (report, mig_steps[0], _(mig_steps[1]), LAB_EXERCISE_PASS, detail, NULL);
  g_clear_pointer (&detail, g_free);

  /* the VM's own tasks since start: a stop, shutdown, reboot or start
   * means its guest booted again, whatever moved it */
  for (guint i = 0; i < tasks->len; i++)
    {
      LabStackTask *t = tasks->pdata[i];
      const char *restarting[] = { "qmstop", "qmshutdown", "qmreboot", "qmreset", "qmstart", NULL };

      if (!is_new (t, known))
        continue;
      if (g_strv_contains (restarting, t->type))
        g_string_append_printf (restarts, "%s%s on %s", restarts->len ? ", " : "", t->type, t->node);
      if (g_strcmp0 (t->type, "qmigrate") == 0 && g_strcmp0 (t->status, "OK") == 0)
        moved = t;
    }
  if (restarts->len > 0 || moved == NULL)
    {
      detail = restarts->len > 0 ? g_strdup_printf (_("the VM was restarted: %s"), restarts->str)
                                 : g_strdup (_("no migration task of the VM ended OK since start"));
      hint = g_strdup_printf (_("stopping it and starting it elsewhere is a restart, not a migration: move it "
                                "while it runs with %s migrate %u TARGET --online 1"), ops->vm_cli, vmid);
      lab_exercise_report_add (report, mig_steps[2], _(mig_steps[3]), LAB_EXERCISE_FAIL, detail, hint);
      return;
    }
  detail = g_strdup_printf (_("task %s, no restart since start (that the guest kept its boot only a guest that "
                              "answers shows)"), moved->upid);
  lab_exercise_report_add (report, mig_steps[2], _(mig_steps[3]), LAB_EXERCISE_PASS, detail, NULL);
}

static gboolean
migrate_finish (LabExerciseEnv *env, GError **error)
{
  /* start made nothing: the VM is the lab's, and stays where it is */
  return TRUE;
}

const LabExerciseStackRow lab_exercise_migrate_stack = { migrate_start, migrate_check, migrate_finish };

/* ---- ha ------------------------------------------------------------------------- */

static const char *const ha_steps[] = {
  "ha.managed", N_("the VM is an HA resource the manager keeps started"),
  "ha.fault", N_("its node was forced off (not moved gracefully)"),
  "ha.restarted", N_("the HA manager restarted it on another node"),
  NULL,
};

static char *
ha_start (LabExerciseEnv *env, GError **error)
{
  const LabStackOps *ops = lab_exercise_stack (env);
  g_autofree char *k_was = lab_exercise_key (&lab_exercise_ha, "stack.was_ha");
  g_autoptr(LabStackVm) vm = record_guest (env, &lab_exercise_ha, error);
  g_autofree char *add = NULL;
  LabStackGuest g = { 0 };
  LabStackHaStatus st = { 0 };
  gboolean ok;

  if (vm == NULL)
    return NULL;
  g.name = vm->name;
  ok = ops->ha_status (env->ctx, lab_exercise_stack_session (env), &g, NULL, &st, error);
  /* finish takes back only a resource the student added */
  lab_state_set_int (env->ctx->state, k_was, st.state != NULL);
  lab_stack_ha_status_clear (&st);
  if (!ok)
    return NULL;
  add = g_strdup_printf (ops->ha_add_cli, vm->vmid);
  return g_strdup_printf (_("VM %u (%s) runs on %s.\n"
                            "1. Make it an HA resource that the cluster keeps started: %s\n"
                            "2. Force its node off, as a power cut: labctl nodes poweroff %s\n"
                            "3. Wait for the HA manager to fence the node and start the VM elsewhere (about two "
                            "minutes on a real cluster), then: labctl exercise check ha\n"), vm->vmid, vm->name,
                          vm->node, add, vm->node);
}

static void
ha_check (LabExerciseEnv *env, LabExerciseReport *report)
{
  const LabStackOps *ops = lab_exercise_stack (env);
  g_autofree char *k_node = lab_exercise_key (&lab_exercise_ha, "stack.node");
  g_autofree char *k_vmid = lab_exercise_key (&lab_exercise_ha, "stack.vmid");
  g_autofree char *k_name = lab_exercise_key (&lab_exercise_ha, "stack.guest");
  const char *victim = lab_state_get_string (env->ctx->state, k_node);
  guint vmid = lab_state_get_int (env->ctx->state, k_vmid, 0);
  g_auto(GStrv) known = known_tasks (env, &lab_exercise_ha);
  g_autoptr(GPtrArray) survivors = g_ptr_array_new ();
  LabStackGuest g = { .name = (char *) lab_state_get_string (env->ctx->state, k_name) };
  LabStackHaStatus st = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tasks = NULL;
  g_autofree char *detail = NULL, *hint = NULL, *add = g_strdup_printf (ops->ha_add_cli, vmid);
  LabStackTask *recovery = NULL;
  gboolean victim_online;

  /* the survivors answer for the cluster */
  for (guint i = 0; i < env->ctx->recipe->nodes->len; i++)
    if (g_strcmp0 (((LabNode *) env->ctx->recipe->nodes->pdata[i])->name, victim) != 0)
      g_ptr_array_add (survivors, ((LabNode *) env->ctx->recipe->nodes->pdata[i])->name);
  g_ptr_array_add (survivors, NULL);
  if (!ops->ha_status (env->ctx, lab_exercise_stack_session (env), &g, (const char * const *) survivors->pdata, &st,
                       &error)
      || (tasks = ops->tasks (env->ctx, lab_exercise_stack_session (env), vmid, &error)) == NULL)
    {
      all_error (report, ha_steps, error->message);
      lab_stack_ha_status_clear (&st);
      return;
    }
  detail = st.state != NULL ? g_strdup_printf (_("service state %s on %s"), st.state, st.node != NULL ? st.node : "?")
                            : g_strdup (_("not an HA resource"));
  if (!lab_exercise_report_add (report, ha_steps[0], _(ha_steps[1]),
                                st.state != NULL ? LAB_EXERCISE_PASS : LAB_EXERCISE_FAIL, detail, add))
    {
      skip_rest (report, ha_steps, 1, ha_steps[0]);
      lab_stack_ha_status_clear (&st);
      return;
    }
  g_clear_pointer (&detail, g_free);

  victim_online = FALSE;
  for (guint i = 0; i < st.online->len; i++)
    victim_online |= g_strcmp0 (st.online->pdata[i], victim) == 0;
  detail = g_strdup_printf (victim_online ? _("node %s is online") : _("node %s is offline"), victim);
  hint = g_strdup_printf (_("a graceful move fences nothing; force the node off: labctl nodes poweroff %s"), victim);
  if (!lab_exercise_report_add (report, ha_steps[2], _(ha_steps[3]),
                                victim_online ? LAB_EXERCISE_FAIL : LAB_EXERCISE_PASS, detail, hint))
    {
      skip_rest (report, ha_steps, 2, ha_steps[2]);
      lab_stack_ha_status_clear (&st);
      return;
    }
  g_clear_pointer (&detail, g_free);
  g_clear_pointer (&hint, g_free);

  /* the recovery is a start task the new node's LRM ran */
  for (guint i = 0; i < tasks->len; i++)
    {
      LabStackTask *t = tasks->pdata[i];
      if (is_new (t, known) && g_strcmp0 (t->type, "qmstart") == 0 && g_strcmp0 (t->node, victim) != 0
          && g_strcmp0 (t->status, "OK") == 0)
        recovery = t;
    }
  if (g_strcmp0 (st.state, "started") == 0 && g_strcmp0 (st.node, victim) != 0 && recovery != NULL)
    {
      g_autoptr(GDateTime) at = g_date_time_new_from_unix_local (recovery->starttime);
      g_autofree char *when = g_date_time_format (at, "%H:%M:%S");

      detail = g_strdup_printf (_("started on %s at %s (task %s)"), st.node, when, recovery->upid);
      json_object_set_string_member (report->figures, "victim", victim);
      json_object_set_string_member (report->figures, "recovered_on", st.node);
      json_object_set_int_member (report->figures, "recovery_task_time", recovery->starttime);
      lab_exercise_report_add (report, ha_steps[4], _(ha_steps[5]), LAB_EXERCISE_PASS, detail, NULL);
    }
  else
    {
      detail = g_strdup_printf (_("service state %s on %s, no start on another node yet"),
                                st.state, st.node != NULL ? st.node : "?");
      lab_exercise_report_add (report, ha_steps[4], _(ha_steps[5]), LAB_EXERCISE_FAIL, detail,
                               _("the HA manager fences the lost node first (watchdog, lock expiry: about two "
                                 "minutes); check again; a VM started by hand is not a recovery"));
    }
  lab_stack_ha_status_clear (&st);
}

/* The HA resource the student added goes (the VM stays where the
 * manager put it; a node forced off stays off: labctl nodes start). */
static gboolean
ha_finish (LabExerciseEnv *env, GError **error)
{
  const LabStackOps *ops = lab_exercise_stack (env);
  g_autofree char *k_was = lab_exercise_key (&lab_exercise_ha, "stack.was_ha");
  g_autofree char *k_name = lab_exercise_key (&lab_exercise_ha, "stack.guest");
  LabStackGuest g = { .name = (char *) lab_state_get_string (env->ctx->state, k_name) };

  if (g.name == NULL || lab_state_get_int (env->ctx->state, k_was, 1))
    return TRUE;
  return ops->ha_disable (env->ctx, lab_exercise_stack_session (env), &g, error);
}

const LabExerciseStackRow lab_exercise_ha_stack = { ha_start, ha_check, ha_finish };
