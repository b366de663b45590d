/* lab-exercise-snapshot.c: take a snapshot of a running VM, change the
 * VM, go back to the snapshot.
 *
 * start makes VM ex-snap (the lab's guest on a qcow2 image of its own, so
 * that libvirt takes internal snapshots with the memory) and a watcher
 * that records the boot_id the guest reports every 500 ms. The change is
 * a restart (`virsh reset`): a new boot, a new boot_id. A revert to a
 * snapshot with memory brings back the boot that was saved; no boot can
 * come up with an old boot_id, so "the guest shows the boot of the
 * snapshot again after another boot" proves the revert.
 */
#include "config.h"

#include "lab-exercise-private.h"

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-probe.h"

#define VM "ex-snap"
#define VM_HOST 200        /* its address: the lab subnet's .200 */
#define DISK_SIZE (32 * 1024 * 1024)
#define BOOT_TIMEOUT_MS 180000

static char *
unavailable (LabExerciseEnv *env)
{
  return lab_exercise_needs_guests (env, 1);
}

static char *
vm_node (LabExerciseEnv *env)
{
  g_autofree char *key = lab_exercise_key (&lab_exercise_snapshot, "domain.%s", VM);
  const char *node = lab_state_get_string (env->ctx->state, key);

  return g_strdup (node != NULL ? node : lab_exercise_guest (env, NULL)->node);
}

/* The guest's report, waiting up to timeout_ms for it to answer. */
static gboolean
wait_id (LabExerciseEnv *env, const char *address, guint timeout_ms, LabGuestId *id, GError **error)
{
  gint64 until = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      g_autoptr(GError) local = NULL;

      if (env->probes->guest_id (env, address, id, &local))
        return TRUE;
      if (g_get_monotonic_time () > until || g_cancellable_is_cancelled (env->ctx->cancellable))
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT,
                       _("VM %s did not answer on http://%s/cgi-bin/id within %u s (%s); see its console: "
                         "virsh console %s"), VM, address, timeout_ms / 1000, local->message, VM);
          return FALSE;
        }
      g_usleep (500 * 1000);
    }
}

static char *
start (LabExerciseEnv *env, GError **error)
{
  LabGuest *g = lab_exercise_guest (env, error);
  g_autofree char *disk = NULL;
  g_autofree char *address = lab_exercise_address (env, VM_HOST);
  g_autofree char *uri = NULL;
  g_autofree char *k_boot = lab_exercise_key (&lab_exercise_snapshot, "boot_id");
  g_autoptr(LabVirtGuestSpec) spec = NULL;
  LabGuestId id = { 0 };
  char *task;

  if (g == NULL)
    return NULL;
  uri = env->probes->node_uri (env, g->node, error);
  if (uri == NULL)
    return NULL;
  disk = lab_exercise_make_image (env, &lab_exercise_snapshot, g->node, VM ".qcow2", DISK_SIZE, error);
  if (disk == NULL)
    return NULL;
  spec = lab_exercise_vm_spec (env, &lab_exercise_snapshot, VM, address);
  spec->disk_file = g_strdup (disk);
  spec->disk_format = g_strdup ("qcow2");
  if (!lab_exercise_define (env, &lab_exercise_snapshot, g->node, spec, TRUE, error))
    return NULL;
  lab_progress_info (env->ctx->progress, _("waiting for VM %s to boot (about 20 s under TCG)"), VM);
  if (!wait_id (env, address, BOOT_TIMEOUT_MS, &id, error))
    return NULL;
  lab_state_set_string (env->ctx->state, k_boot, id.boot_id);
  if (!lab_exercise_watch_start (env, &lab_exercise_snapshot, address, FALSE, error))
    {
      lab_guest_id_clear (&id);
      return NULL;
    }
  task = g_strdup_printf (_("VM %s runs on node %s and answers at http://%s/cgi-bin/id (boot_id=%s).\n"
                            "1. Take a snapshot while it runs:\n"
                            "     virsh -c '%s' snapshot-create-as %s before\n"
                            "2. Change it: restart it, and wait until its boot_id is a new one:\n"
                            "     virsh -c '%s' reset %s\n"
                            "     curl http://%s/cgi-bin/id\n"
                            "3. Go back to the snapshot, and see the old boot_id again:\n"
                            "     virsh -c '%s' snapshot-revert %s before\n"
                            "Then: labctl exercise check snapshot\n"),
                          VM, g->node, address, id.boot_id, uri, VM, uri, VM, address, uri, VM);
  lab_guest_id_clear (&id);
  return task;
}

/* The newest snapshot of dom taken while it ran (with its memory) since
 * `since` (unix time): its name and creation time. */
static gboolean
find_snapshot (virDomainPtr dom, gint64 since, char **out_name, gint64 *out_time, guint *out_count)
{
  virDomainSnapshotPtr *snaps = NULL;
  int n = virDomainListAllSnapshots (dom, &snaps, 0);
  gboolean found = FALSE;

  *out_count = n > 0 ? (guint) n : 0;
  for (int i = 0; i < n; i++)
    {
      g_autofree char *xml = virDomainSnapshotGetXMLDesc (snaps[i], 0);
      g_autoptr(LabXmlReader) r = xml != NULL ? lab_virt_xml_reader_new (xml, "snapshot XML", NULL) : NULL;
      g_autofree char *state = r != NULL ? lab_xml_reader_get_string (r, NULL, "/domainsnapshot/state") : NULL;
      g_autofree char *created = r != NULL ? lab_xml_reader_get_string (r, NULL, "/domainsnapshot/creationTime")
                                           : NULL;
      gint64 t = created != NULL ? g_ascii_strtoll (created, NULL, 10) : 0;

      if ((g_strcmp0 (state, "running") == 0 || g_strcmp0 (state, "paused") == 0) && t >= since
          && (!found || t > *out_time))
        {
          g_free (*out_name);
          *out_name = g_strdup (virDomainSnapshotGetName (snaps[i]));
          *out_time = t;
          found = TRUE;
        }
      virDomainSnapshotFree (snaps[i]);
    }
  free (snaps);
  return found;
}

static void
check (LabExerciseEnv *env, LabExerciseReport *report)
{
  const LabExercise *ex = &lab_exercise_snapshot;
  g_autofree char *node = vm_node (env);
  g_autofree char *k_boot = lab_exercise_key (ex, "boot_id");
  g_autofree char *k_started = lab_exercise_key (ex, "started");
  const char *boot0 = lab_state_get_string (env->ctx->state, k_boot);
  gint64 started = lab_state_get_int (env->ctx->state, k_started, 0);
  g_autofree char *address = lab_exercise_address (env, VM_HOST);
  g_autofree char *uri = env->probes->node_uri (env, node, NULL);
  g_autoptr(GError) error = NULL;
  virConnectPtr conn = lab_exercise_env_node (env, node, &error);
  g_autoptr(virDomain) dom = NULL;
  g_autofree char *snap = NULL;
  g_autofree char *detail = NULL;
  g_autofree char *hint = NULL;
  g_autoptr(JsonObject) watch = NULL;
  gint64 snap_time = 0;
  guint n_snaps = 0;
  const char *t_exists = _("A snapshot of the running VM exists");
  const char *t_changed = _("The VM was changed after the snapshot (a new boot)");
  const char *t_reverted = _("The VM was reverted to the snapshot (the boot of the snapshot is back)");

  if (conn == NULL)
    {
      lab_exercise_report_add (report, "snapshot.exists", t_exists, LAB_EXERCISE_ERROR, NULL, error->message);
      lab_exercise_report_skip (report, "snapshot.changed", t_changed, "snapshot.exists");
      lab_exercise_report_skip (report, "snapshot.reverted", t_reverted, "snapshot.exists");
      return;
    }
  dom = virDomainLookupByName (conn, VM);
  if (dom == NULL)
    {
      detail = g_strdup_printf (_("VM %s is not on node %s any more"), VM, node);
      lab_exercise_report_add (report, "snapshot.exists", t_exists, LAB_EXERCISE_FAIL, detail,
                               _("start the exercise again: labctl exercise finish snapshot; "
                                 "labctl exercise start snapshot"));
      lab_exercise_report_skip (report, "snapshot.changed", t_changed, "snapshot.exists");
      lab_exercise_report_skip (report, "snapshot.reverted", t_reverted, "snapshot.exists");
      return;
    }
  if (!find_snapshot (dom, started, &snap, &snap_time, &n_snaps))
    {
      detail = g_strdup_printf (ngettext ("%u snapshot, none taken while the VM ran",
                                          "%u snapshots, none taken while the VM ran", n_snaps), n_snaps);
      hint = g_strdup_printf (_("take it while the VM runs, so that it holds the memory: "
                                "virsh -c '%s' snapshot-create-as %s before"), uri, VM);
      lab_exercise_report_add (report, "snapshot.exists", t_exists, LAB_EXERCISE_FAIL, detail, hint);
      lab_exercise_report_skip (report, "snapshot.changed", t_changed, "snapshot.exists");
      lab_exercise_report_skip (report, "snapshot.reverted", t_reverted, "snapshot.exists");
      return;
    }
  detail = g_strdup_printf (_("snapshot '%s' with the VM's memory"), snap);
  lab_exercise_report_add (report, "snapshot.exists", t_exists, LAB_EXERCISE_PASS, detail, NULL);
  json_object_set_string_member (report->figures, "snapshot", snap);
  json_object_set_string_member (report->figures, "boot_id_at_start", boot0);

  /* what the watcher saw after the snapshot: another boot, then? */
  watch = lab_exercise_watch_read (env, ex);
  {
    JsonArray *ids = watch != NULL && json_object_has_member (watch, "ids")
                         ? json_object_get_array_member (watch, "ids") : NULL;
    guint n = ids != NULL ? json_array_get_length (ids) : 0;
    const char *other = NULL;
    gboolean back = FALSE;
    LabGuestId now = { 0 };
    g_autoptr(GError) local = NULL;

    if (ids == NULL)
      {
        lab_exercise_report_add (report, "snapshot.changed", t_changed, LAB_EXERCISE_ERROR, NULL,
                                 _("the exercise's watcher recorded nothing (see watch.log in the exercise's "
                                   "directory); finish and start the exercise again"));
        lab_exercise_report_skip (report, "snapshot.reverted", t_reverted, "snapshot.changed");
        return;
      }
    for (guint i = 0; i < n; i++)
      {
        JsonObject *s = json_array_get_object_element (ids, i);
        const char *b = json_object_get_string_member (s, "boot_id");

        if (json_object_get_double_member (s, "t") < (double) snap_time)
          continue;
        if (other == NULL && g_strcmp0 (b, boot0) != 0)
          other = b;
        else if (other != NULL && g_strcmp0 (b, boot0) == 0)
          back = TRUE;
      }
    if (other == NULL)
      {
        hint = g_strdup_printf (_("after the snapshot, restart the VM (virsh -c '%s' reset %s) and wait until "
                                  "http://%s/cgi-bin/id shows a new boot_id"), uri, VM, address);
        lab_exercise_report_add (report, "snapshot.changed", t_changed, LAB_EXERCISE_FAIL,
                                 _("since the snapshot the VM has shown only the boot of the snapshot"), hint);
        lab_exercise_report_skip (report, "snapshot.reverted", t_reverted, "snapshot.changed");
        return;
      }
    g_free (detail);
    detail = g_strdup_printf (_("after the snapshot it booted again: boot_id %s"), other);
    lab_exercise_report_add (report, "snapshot.changed", t_changed, LAB_EXERCISE_PASS, detail, NULL);

    /* now: the boot of the snapshot, seen by the watcher and live */
    g_free (hint);
    hint = g_strdup_printf (_("go back to the snapshot: virsh -c '%s' snapshot-revert %s %s"), uri, VM, snap);
    if (!env->probes->guest_id (env, address, &now, &local))
      {
        g_free (detail);
        detail = g_strdup_printf (_("the VM does not answer at http://%s/cgi-bin/id: %s"), address,
                                  local->message);
        lab_exercise_report_add (report, "snapshot.reverted", t_reverted, LAB_EXERCISE_FAIL, detail, hint);
        return;
      }
    g_free (detail);
    detail = g_strdup_printf (_("boot_id now %s (at the snapshot: %s), uptime %.0f s"), now.boot_id, boot0,
                              now.uptime);
    lab_exercise_report_add (report, "snapshot.reverted", t_reverted,
                             back && g_strcmp0 (now.boot_id, boot0) == 0 ? LAB_EXERCISE_PASS : LAB_EXERCISE_FAIL,
                             detail, hint);
    lab_guest_id_clear (&now);
  }
}

static gboolean
finish (LabExerciseEnv *env, GError **error)
{
  lab_exercise_watch_stop (env, &lab_exercise_snapshot);
  return lab_exercise_remove_marked (env, &lab_exercise_snapshot, error)
         && lab_exercise_remove_files (env, &lab_exercise_snapshot, error);
}

const LabExercise lab_exercise_snapshot = {
  "snapshot", N_("Snapshot: take one, change the VM, go back to it"),
  unavailable, start, check, finish, &lab_exercise_snapshot_stack,
};
