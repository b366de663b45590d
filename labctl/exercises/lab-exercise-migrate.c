/* lab-exercise-migrate.c: live-migrate the lab's guest with virsh.
 *
 * start records where the guest runs and its boot_id, and starts the
 * watcher: it pings the guest every 10 ms (lab-probe) and polls its
 * boot_id while the exercise is open. check stops the watcher to read the
 * longest gap between replies (the downtime the network saw), starts it
 * again, and reads where the guest runs now and whether it is the same
 * boot (a shutdown + start elsewhere is not a migration).
 */
#include "config.h"

#include "lab-exercise-private.h"

#include "lab-error.h"
#include "lab-flavor.h"
#include "lab-guest.h"
#include "lab-i18n.h"

static char *
unavailable (LabExerciseEnv *env)
{
  return lab_exercise_needs_guests (env, 2);
}

/* The node after `from` in the recipe's order. */
static const char *
next_node (LabExerciseEnv *env, const char *from)
{
  GPtrArray *nodes = env->ctx->recipe->nodes;

  for (guint i = 0; i < nodes->len; i++)
    if (g_strcmp0 (((LabNode *) g_ptr_array_index (nodes, i))->name, from) == 0)
      return ((LabNode *) g_ptr_array_index (nodes, (i + 1) % nodes->len))->name;
  return ((LabNode *) g_ptr_array_index (nodes, 0))->name;
}

/* Where the guest runs: the running copy among the domains. */
static LabExerciseDomain *
running_guest (GPtrArray *domains, LabGuest *g)
{
  LabExerciseDomain *d = lab_exercise_domains_find (domains, g->name);

  return d != NULL && d->active ? d : NULL;
}

static char *
start (LabExerciseEnv *env, GError **error)
{
  const LabExercise *ex = &lab_exercise_migrate;
  LabGuest *g = lab_exercise_guest (env, error);
  g_autoptr(GPtrArray) domains = NULL;
  LabExerciseDomain *d;
  LabGuestId id = { 0 };
  g_autofree char *k_node = lab_exercise_key (ex, "node");
  g_autofree char *k_boot = lab_exercise_key (ex, "boot_id");
  g_autofree char *uri = NULL, *peer = NULL;
  const char *to;
  char *task;

  if (g == NULL)
    return NULL;
  domains = lab_exercise_domains (env, NULL, error);
  if (domains == NULL)
    return NULL;
  d = running_guest (domains, g);
  if (d == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("Guest %s runs on no node; bring the lab up first: labctl up (or labctl reset)"), g->name);
      return NULL;
    }
  if (!env->probes->guest_id (env, g->address, &id, error))
    return NULL;
  to = next_node (env, d->node);
  uri = env->probes->node_uri (env, d->node, error);
  peer = uri != NULL ? lab_flavor_node_peer_uri (env->ctx, to, error) : NULL;
  if (peer == NULL)
    {
      lab_guest_id_clear (&id);
      return NULL;
    }
  lab_state_set_string (env->ctx->state, k_node, d->node);
  lab_state_set_string (env->ctx->state, k_boot, id.boot_id);
  if (!lab_exercise_watch_start (env, ex, g->address, TRUE, error))
    {
      lab_guest_id_clear (&id);
      return NULL;
    }
  task = g_strdup_printf (_("Guest %s runs on node %s (boot_id=%s); labctl pings it every 10 ms from now on.\n"
                            "Move it to node %s while it runs, without a restart:\n"
                            "     virsh -c '%s' migrate --live --p2p --persistent --undefinesource %s '%s'\n"
                            "     curl http://%s/cgi-bin/id      # the same boot_id, the counter goes on\n"
                            "Then: labctl exercise check migrate (it shows the downtime the pings saw)\n"),
                          g->name, d->node, id.boot_id, to, uri, g->name, peer, g->address);
  lab_guest_id_clear (&id);
  return task;
}

static void
check (LabExerciseEnv *env, LabExerciseReport *report)
{
  const LabExercise *ex = &lab_exercise_migrate;
  LabGuest *g = lab_exercise_guest (env, NULL);
  g_autofree char *k_node = lab_exercise_key (ex, "node");
  g_autofree char *k_boot = lab_exercise_key (ex, "boot_id");
  const char *from = lab_state_get_string (env->ctx->state, k_node);
  const char *boot0 = lab_state_get_string (env->ctx->state, k_boot);
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) unreachable = g_string_new (NULL);
  g_autoptr(GPtrArray) domains = NULL;
  LabExerciseDomain *d;
  LabGuestId now = { 0 };
  g_autofree char *detail = NULL;
  g_autofree char *hint = NULL;
  g_autofree char *uri = NULL, *peer = NULL;
  const char *t_moved = _("The guest runs on another node");
  const char *t_live = _("It is the same boot (a live migration, not a restart)");

  lab_exercise_probe_figures (env, ex, report, g->address);
  json_object_set_string_member (report->figures, "from", from);
  domains = lab_exercise_domains (env, unreachable, &error);
  if (domains == NULL)
    {
      lab_exercise_report_add (report, "migrate.moved", t_moved, LAB_EXERCISE_ERROR, NULL, error->message);
      lab_exercise_report_skip (report, "migrate.live", t_live, "migrate.moved");
      return;
    }
  d = running_guest (domains, g);
  uri = env->probes->node_uri (env, from, NULL);
  peer = lab_flavor_node_peer_uri (env->ctx, next_node (env, from), NULL);
  hint = g_strdup_printf (_("migrate it while it runs: virsh -c '%s' migrate --live --p2p --persistent "
                            "--undefinesource %s '%s'"), uri, g->name, peer);
  if (d == NULL)
    {
      detail = g_strdup_printf (_("guest %s runs on no node%s%s"), g->name, unreachable->len > 0 ? _("; no answer from ") : "",
                                unreachable->str);
      lab_exercise_report_add (report, "migrate.moved", t_moved,
                               unreachable->len > 0 ? LAB_EXERCISE_ERROR : LAB_EXERCISE_FAIL, detail,
                               unreachable->len > 0 ? _("a node's libvirt does not answer: is the lab up? (labctl status)")
                                                    : _("start it again (virsh start, or labctl reset) and migrate "
                                                        "it while it runs"));
      lab_exercise_report_skip (report, "migrate.live", t_live, "migrate.moved");
      return;
    }
  json_object_set_string_member (report->figures, "to", d->node);
  detail = g_strdup_printf (_("on node %s (it was on %s)"), d->node, from);
  if (!lab_exercise_report_add (report, "migrate.moved", t_moved,
                                g_strcmp0 (d->node, from) != 0 ? LAB_EXERCISE_PASS : LAB_EXERCISE_FAIL, detail, hint))
    {
      lab_exercise_report_skip (report, "migrate.live", t_live, "migrate.moved");
      return;
    }
  g_clear_pointer (&detail, g_free);
  if (!env->probes->guest_id (env, g->address, &now, &error))
    {
      detail = g_strdup_printf (_("it does not answer at http://%s/cgi-bin/id: %s"), g->address, error->message);
      lab_exercise_report_add (report, "migrate.live", t_live, LAB_EXERCISE_FAIL, detail,
                               _("see its console (virsh console): a live migration keeps it answering"));
      return;
    }
  if (g_strcmp0 (now.boot_id, boot0) == 0)
    {
      detail = g_strdup_printf (_("boot_id %s as before, uptime %.0f s"), now.boot_id, now.uptime);
      lab_exercise_report_add (report, "migrate.live", t_live, LAB_EXERCISE_PASS, detail, NULL);
    }
  else
    {
      detail = g_strdup_printf (_("it booted again: boot_id %s, before %s (uptime %.0f s)"), now.boot_id, boot0,
                                now.uptime);
      g_free (hint);
      hint = g_strdup_printf (_("a shutdown and a start on another node is a restart, not a migration: "
                                "its memory and connections are lost; bring it back (labctl reset), start the "
                                "exercise again and use virsh migrate --live"));
      lab_exercise_report_add (report, "migrate.live", t_live, LAB_EXERCISE_FAIL, detail, hint);
    }
  lab_guest_id_clear (&now);
}

static gboolean
finish (LabExerciseEnv *env, GError **error)
{
  lab_exercise_watch_stop (env, &lab_exercise_migrate);
  return lab_exercise_remove_files (env, &lab_exercise_migrate, error);
}

const LabExercise lab_exercise_migrate = {
  "migrate", N_("Live migration: move the running guest to another node with virsh"),
  unavailable, start, check, finish, &lab_exercise_migrate_stack,
};
