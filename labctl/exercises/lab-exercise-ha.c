/* lab-exercise-ha.c: make the lab's guest highly available and survive
 * the failure of its node.
 *
 * On a lab with a [cluster] the guest is a pacemaker resource
 * (ocf:heartbeat:VirtualDomain, lab-cluster.h). start takes it out of the
 * cluster's care (the meta attribute is-managed=false: the cluster sees it
 * but does nothing when it fails, as Proxmox's `ha-manager set --state
 * ignored`), records where it runs and its boot_id, and starts the
 * watcher (a ping every 10 ms and the guest's boot_id). The student marks
 * it HA again and forces its node off (`labctl nodes poweroff`, the
 * container analogue of `virsh destroy`). check reads the CIB, crm_mon,
 * the survivors' corosync and pacemaker logs (lab-cluster-log.h), where
 * libvirt runs the guest and what the guest says, and shows the phases of
 * the failover with the failover experiment's own extraction
 * (lab_failover_phases_from_events). The grading itself is
 * lab_exercise_ha_grade(), pure, unit-tested on logs recorded here.
 * finish gives is-managed back the value start found.
 */
#include "config.h"

#include "lab-exercise-private.h"

#include <string.h>

#include "lab-cluster.h"
#include "lab-cluster-log.h"
#include "lab-error.h"
#include "lab-failover.h"
#include "lab-flavor.h"
#include "lab-i18n.h"
#include "lab-xml-reader.h"

#define LOG_LINES "40000"

static char *
unavailable (LabExerciseEnv *env)
{
  g_autoptr(GError) error = NULL;

  if (lab_flavor_cluster_ops (env->ctx, &error) == NULL)
    return g_strdup_printf (_("needs an HA cluster across the nodes (a [cluster] section in the recipe): %s"),
                            error->message);
  return lab_exercise_needs_guests (env, 3);
}

/* The nodes in the recipe's order, but first (NULL: none first). */
static GPtrArray *
nodes_but (LabExerciseEnv *env, const char *first, gboolean skip_first)
{
  GPtrArray *names = g_ptr_array_new ();

  if (first != NULL && !skip_first)
    g_ptr_array_add (names, (gpointer) first);
  for (guint i = 0; i < env->ctx->recipe->nodes->len; i++)
    {
      const char *n = ((LabNode *) g_ptr_array_index (env->ctx->recipe->nodes, i))->name;

      if (g_strcmp0 (n, first) != 0)
        g_ptr_array_add (names, (gpointer) n);
    }
  g_ptr_array_add (names, NULL);
  return names;
}

/* Runs argv on the first node of nodes that runs it; its output. */
static gboolean
run_on_any (LabExerciseEnv *env, const LabClusterOps *ops, GPtrArray *nodes, const char *const *argv, char **out,
            GError **error)
{
  g_autoptr(GError) last = NULL;

  for (guint i = 0; g_ptr_array_index (nodes, i) != NULL; i++)
    {
      g_clear_error (&last);
      if (lab_cluster_node_run (env->ctx, ops, g_ptr_array_index (nodes, i), argv,
                                LAB_RUN_QUERY | LAB_RUN_QUIET_OUTPUT, NULL, NULL, out, &last))
        return TRUE;
    }
  g_propagate_error (error, g_steal_pointer (&last));
  return FALSE;
}

/* is-managed of resource rsc in the CIB: TRUE/FALSE; "" when the CIB sets
 * none (managed: pacemaker's default); NULL with an error when there is
 * no such resource or the CIB does not parse. The value as written in
 * *value (NULL: none). */
static gboolean
cib_managed (const char *cib, const char *rsc, char **value, GError **error)
{
  g_autoptr(LabXmlReader) r = lab_xml_reader_new (cib, _("the cluster's CIB"), error);
  g_autofree char *q = NULL, *v = NULL;
  static const char * const no[] = { "false", "no", "off", "0", "n", "f", NULL };

  *value = NULL;
  if (r == NULL)
    return FALSE;
  q = g_strdup_printf ("/cib/configuration/resources//primitive[@id='%s']", rsc);
  if (!lab_xml_reader_exists (r, NULL, q))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, _("the cluster has no resource %s"), rsc);
      return FALSE;
    }
  g_free (q);
  q = g_strdup_printf ("/cib/configuration/resources//primitive[@id='%s']/meta_attributes/"
                       "nvpair[@name='is-managed']/@value", rsc);
  v = lab_xml_reader_get_string (r, NULL, q);
  *value = g_strdup (v);
  if (v == NULL)
    return TRUE;
  {
    g_autofree char *lower = g_ascii_strdown (v, -1);

    return !g_strv_contains (no, lower);
  }
}

static char *
mark_ha_command (const char *node, const char *guest)
{
  return g_strdup_printf ("labctl nodes ssh %s -- crm_resource --resource %s --meta --delete-parameter is-managed",
                          node, guest);
}

static char *
start (LabExerciseEnv *env, GError **error)
{
  const LabExercise *ex = &lab_exercise_ha;
  const LabClusterOps *ops = lab_flavor_cluster_ops (env->ctx, error);
  LabGuest *g = lab_exercise_guest (env, error);
  LabClusterStatus st = { 0 };
  LabGuestId id = { 0 };
  g_autofree char *victim = NULL, *cib = NULL, *value = NULL, *mark = NULL, *other_node = NULL;
  g_autoptr(GPtrArray) order = NULL;
  g_autofree char *k_node = lab_exercise_key (ex, "node");
  g_autofree char *k_boot = lab_exercise_key (ex, "boot_id");
  g_autofree char *k_since = lab_exercise_key (ex, "since_ms");
  g_autofree char *k_unmanaged = lab_exercise_key (ex, "unmanaged");
  g_autofree char *k_was = lab_exercise_key (ex, "was_managed");
  const char *query[] = { "cibadmin", "--query", NULL };
  const char *unmanage[] = { "crm_resource", "--resource", NULL, "--meta", "--set-parameter", "is-managed",
                             "--parameter-value", "false", NULL };
  char *task;

  if (ops == NULL || g == NULL)
    return NULL;
  if (!lab_cluster_wait_online (env->ctx, ops, 30000, error)
      || !lab_cluster_status_query (env->ctx, ops, NULL, &st, error))
    return NULL;
  victim = g_strdup (g_hash_table_lookup (st.running, g->name));
  lab_cluster_status_clear (&st);
  if (victim == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("The cluster does not run guest %s now; run `labctl up` (or `labctl reset`) first"), g->name);
      return NULL;
    }
  order = nodes_but (env, victim, FALSE);
  if (!run_on_any (env, ops, order, query, &cib, error))
    return NULL;
  cib_managed (cib, g->name, &value, NULL);
  if (!env->probes->guest_id (env, g->address, &id, error))
    return NULL;
  lab_state_set_string (env->ctx->state, k_node, victim);
  lab_state_set_string (env->ctx->state, k_boot, id.boot_id);
  lab_state_set_int (env->ctx->state, k_since, g_get_real_time () / 1000);
  lab_guest_id_clear (&id);
  /* what finish gives back: the value the CIB had (none: the key is absent) */
  if (value != NULL)
    lab_state_set_string (env->ctx->state, k_was, value);
  unmanage[2] = g->name;
  lab_state_set_bool (env->ctx->state, k_unmanaged, TRUE);
  if (!lab_cluster_node_run (env->ctx, ops, victim, unmanage, 0, NULL, NULL, NULL, error))
    return NULL;
  if (!lab_exercise_watch_start (env, ex, g->address, TRUE, error))
    return NULL;
  other_node = g_strdup (g_ptr_array_index (order, 1));
  mark = mark_ha_command (other_node, g->name);
  task = g_strdup_printf (_("Guest %s runs on node %s; the cluster sees it but does not look after it now "
                            "(is-managed=false):\n"
                            "     labctl nodes ssh %s -- crm_mon -1 -r      # %s ... (unmanaged)\n"
                            "labctl pings it every 10 ms from now on. Make it highly available again, then force "
                            "its node off as a power failure would (not a clean shutdown):\n"
                            "     %s\n"
                            "     labctl nodes poweroff %s\n"
                            "Watch the cluster fence node %s and start %s on another node (crm_mon, ping %s).\n"
                            "Then: labctl exercise check ha (it shows the time of every phase), and labctl up "
                            "starts node %s again.\n"),
                          g->name, victim, other_node, g->name, mark, victim, victim, g->name, g->address, victim);
  return task;
}

/* ---- the grade ------------------------------------------------------------ */

void
lab_exercise_ha_grade (LabExerciseReport *report, const LabExerciseHaFacts *f)
{
  const char *t_managed = _("The guest is managed by the cluster (HA)");
  const char *t_fault = _("Its node failed and the cluster fenced it");
  const char *t_restart = _("The cluster restarted the guest on another node");
  const char *t_answers = _("The guest answers again, a new boot from its disk");
  g_autofree char *value = NULL, *detail = NULL, *hint = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *mark = mark_ha_command (f->ask_node != NULL ? f->ask_node : "node2", f->guest);
  gboolean managed = FALSE;
  LabClusterEvent *ok = NULL, *req = NULL, *failed = NULL;
  LabFailoverResult r = { 0 };
  gint64 fault_us = f->fault_us;
  gint64 since_us = f->since_us - 1000;

  /* 1: HA */
  if (f->cib_xml == NULL)
    lab_exercise_report_add (report, "ha.managed", t_managed, LAB_EXERCISE_ERROR, NULL,
                             f->cluster_error != NULL ? f->cluster_error : _("the cluster's CIB could not be read"));
  else
    {
      gboolean known = TRUE;

      managed = cib_managed (f->cib_xml, f->guest, &value, &error);
      if (error != NULL && g_error_matches (error, LAB_ERROR, LAB_ERROR_NOT_FOUND))
        {
          lab_exercise_report_add (report, "ha.managed", t_managed, LAB_EXERCISE_FAIL, error->message,
                                   _("the guest's resource is gone: `labctl up` makes it again (step cluster.guest); "
                                     "then finish the exercise and start it again"));
          known = FALSE;
        }
      else if (error != NULL)
        {
          lab_exercise_report_add (report, "ha.managed", t_managed, LAB_EXERCISE_ERROR, NULL, error->message);
          known = FALSE;
        }
      if (known)
        {
          detail = managed ? (value != NULL ? g_strdup_printf (_("resource %s, is-managed=%s"), f->guest, value)
                                            : g_strdup_printf (_("resource %s, managed (no is-managed=false)"),
                                                               f->guest))
                           : g_strdup_printf (_("resource %s has is-managed=%s: the cluster watches it but does "
                                                "nothing when it fails"), f->guest, value);
          g_free (hint);
          hint = g_strdup_printf (_("mark it highly available: %s"), mark);
          lab_exercise_report_add (report, "ha.managed", t_managed, managed ? LAB_EXERCISE_PASS : LAB_EXERCISE_FAIL,
                                   detail, hint);
        }
    }

  /* 2: a failure, fenced */
  g_clear_pointer (&detail, g_free);
  g_clear_pointer (&hint, g_free);
  if (f->events != NULL)
    {
      ok = lab_cluster_events_first (f->events, LAB_CLUSTER_EVENT_FENCE_OK, f->victim, 0, since_us);
      req = lab_cluster_events_first (f->events, LAB_CLUSTER_EVENT_FENCE_REQUESTED, f->victim, 0, since_us);
      failed = lab_cluster_events_first (f->events, LAB_CLUSTER_EVENT_FENCE_FAILED, f->victim, 0, since_us);
    }
  if (f->events == NULL)
    {
      lab_exercise_report_add (report, "ha.fault", t_fault, LAB_EXERCISE_ERROR, NULL,
                               f->cluster_error != NULL ? f->cluster_error
                                                        : _("no surviving node's cluster logs could be read"));
      lab_exercise_report_skip (report, "ha.restarted", t_restart, "ha.fault");
      lab_exercise_report_skip (report, "ha.answers", t_answers, "ha.fault");
      return;
    }
  if (ok != NULL)
    {
      g_autoptr(GDateTime) at = g_date_time_new_from_unix_local (ok->time_us / G_USEC_PER_SEC);
      g_autofree char *when = g_date_time_format (at, "%H:%M:%S");

      detail = g_strdup_printf (_("node %s fenced at %s (%s's log: the fence agent confirmed it off)"), f->victim,
                                when, ok->source);
      lab_exercise_report_add (report, "ha.fault", t_fault, LAB_EXERCISE_PASS, detail, NULL);
    }
  else
    {
      if (req != NULL || failed != NULL)
        {
          detail = g_strdup_printf (_("the cluster asked to fence node %s, but no fence succeeded"), f->victim);
          hint = g_strdup (_("the cluster starts the guest elsewhere only once its old node is known to be off: "
                             "look at the fence device (crm_mon -1 --fence-history, stonith_admin "
                             "--list-registered)"));
        }
      else if (f->victim_online && g_strcmp0 (f->runs_on, f->victim) == 0)
        {
          detail = g_strdup_printf (_("node %s is up and still runs guest %s"), f->victim, f->guest);
          hint = g_strdup_printf (_("force it off as a power failure would: labctl nodes poweroff %s"), f->victim);
        }
      else if (f->victim_online)
        {
          detail = g_strdup_printf (_("node %s is still in the cluster: the guest was moved or stopped without a "
                                      "failure (standby, crm_resource --move, virsh)"), f->victim);
          hint = g_strdup_printf (_("a planned move is not a failover: nothing failed and nothing was fenced. "
                                    "Finish the exercise, start it again and force the node off: "
                                    "labctl nodes poweroff %s"), f->victim);
        }
      else
        {
          detail = g_strdup_printf (_("node %s left the cluster without being fenced: a clean shutdown, and the "
                                      "cluster moved the guest as planned"), f->victim);
          hint = g_strdup_printf (_("HA is about a node that fails: force it off, do not shut it down (labctl "
                                    "nodes poweroff %s; virsh destroy for a VM node). Then labctl up, finish "
                                    "the exercise and start it again"), f->victim);
        }
      lab_exercise_report_add (report, "ha.fault", t_fault, LAB_EXERCISE_FAIL, detail, hint);
      lab_exercise_report_skip (report, "ha.restarted", t_restart, "ha.fault");
      lab_exercise_report_skip (report, "ha.answers", t_answers, "ha.fault");
      return;
    }

  /* the phases, as the failover experiment extracts them: from the fault
   * the probe saw (the last reply before the gap), else from the first
   * sign of it in corosync's log */
  if (fault_us <= 0)
    {
      LabClusterEvent *link = lab_cluster_events_first (f->events, LAB_CLUSTER_EVENT_LINK_DOWN, NULL, 0, since_us);
      LabClusterEvent *token = lab_cluster_events_first (f->events, LAB_CLUSTER_EVENT_TOKEN_LOST, NULL, 0, since_us);

      fault_us = link != NULL ? link->time_us : token != NULL ? token->time_us : ok->time_us;
      json_object_set_string_member (report->figures, "fault_from", "cluster-log");
    }
  else
    json_object_set_string_member (report->figures, "fault_from", "probe");
  r.mode = LAB_FAILOVER_POWEROFF;
  r.guest = g_strdup (f->guest);
  r.victim = g_strdup (f->victim);
  lab_failover_phases_from_events (&r, f->events, fault_us, f->n_nodes);
  {
    JsonArray *phases = json_array_new ();

    for (guint i = 0; i < r.phases->len; i++)
      {
        LabFailoverPhase *ph = &g_array_index (r.phases, LabFailoverPhase, i);
        JsonObject *o = json_object_new ();

        json_object_set_string_member (o, "id", ph->id);
        json_object_set_string_member (o, "label", ph->label);
        json_object_set_int_member (o, "offset_ms", ph->offset_us / 1000);
        if (ph->node != NULL)
          json_object_set_string_member (o, "node", ph->node);
        json_array_add_object_element (phases, o);
      }
    json_object_set_array_member (report->figures, "phases", phases);
  }
  json_object_set_string_member (report->figures, "victim", f->victim);
  if (r.new_node != NULL)
    json_object_set_string_member (report->figures, "new_node", r.new_node);

  /* 3: restarted by the cluster, elsewhere */
  if (f->runs_on == NULL)
    {
      detail = g_strdup_printf (_("guest %s runs on no node%s%s"), f->guest,
                                f->unreachable != NULL && *f->unreachable ? _("; no answer from ") : "",
                                f->unreachable != NULL ? f->unreachable : "");
      if (!managed)
        hint = g_strdup_printf (_("the cluster does not restart a guest it does not manage: %s"), mark);
      else
        hint = g_strdup_printf (_("the cluster has not started it yet (its failover waits before \"%s\"): wait a few "
                                  "seconds and check again; crm_mon -1 -r shows what it does"),
                                r.stuck != NULL ? r.stuck : "started");
      lab_exercise_report_add (report, "ha.restarted", t_restart, LAB_EXERCISE_FAIL, detail, hint);
      lab_exercise_report_skip (report, "ha.answers", t_answers, "ha.restarted");
      lab_failover_result_clear (&r);
      return;
    }
  if (g_str_equal (f->runs_on, f->victim))
    {
      detail = g_strdup_printf (_("guest %s runs on node %s, the node that failed"), f->guest, f->victim);
      hint = g_strdup (_("after a failure the cluster starts the guest on a surviving node; this one was started "
                         "again where it was: finish the exercise and start it again"));
      lab_exercise_report_add (report, "ha.restarted", t_restart, LAB_EXERCISE_FAIL, detail, hint);
      lab_exercise_report_skip (report, "ha.answers", t_answers, "ha.restarted");
      lab_failover_result_clear (&r);
      return;
    }
  if (g_strcmp0 (r.new_node, f->runs_on) != 0)
    {
      detail = g_strdup_printf (_("guest %s runs on node %s, but the cluster did not start it there: it was started "
                                  "by hand"), f->guest, f->runs_on);
      hint = g_strdup_printf (_("a person who starts an HA guest beside the cluster can run it twice on one disk: "
                                "stop your copy (virsh destroy %s on node %s), mark it HA (%s) and let the cluster "
                                "start it"), f->guest, f->runs_on, mark);
      lab_exercise_report_add (report, "ha.restarted", t_restart, LAB_EXERCISE_FAIL, detail, hint);
      lab_exercise_report_skip (report, "ha.answers", t_answers, "ha.restarted");
      lab_failover_result_clear (&r);
      return;
    }
  {
    const LabFailoverPhase *started = NULL;

    for (guint i = 0; i < r.phases->len; i++)
      if (g_str_equal (g_array_index (r.phases, LabFailoverPhase, i).id, "started"))
        started = &g_array_index (r.phases, LabFailoverPhase, i);
    detail = g_strdup_printf (_("the cluster started it on node %s, %.1f s after the fault"), f->runs_on,
                              started != NULL ? started->offset_us / 1e6 : 0.0);
  }
  lab_exercise_report_add (report, "ha.restarted", t_restart, LAB_EXERCISE_PASS, detail, NULL);
  lab_failover_result_clear (&r);

  /* 4: it answers, a new boot */
  g_clear_pointer (&detail, g_free);
  if (f->boot_now == NULL)
    {
      detail = g_strdup_printf (_("it does not answer at http://%s/cgi-bin/id%s%s"), f->address,
                                f->guest_error != NULL ? ": " : "", f->guest_error != NULL ? f->guest_error : "");
      lab_exercise_report_add (report, "ha.answers", t_answers, LAB_EXERCISE_FAIL, detail,
                               _("it may still be booting: wait a few seconds and check again; else see its "
                                 "console (virsh console)"));
    }
  else if (g_strcmp0 (f->boot_now, f->boot0) == 0)
    {
      detail = g_strdup_printf (_("the same boot as before the fault (boot_id %s)"), f->boot_now);
      lab_exercise_report_add (report, "ha.answers", t_answers, LAB_EXERCISE_FAIL, detail,
                               _("a guest whose node failed cannot keep running: it was moved live before the "
                                 "fault. Finish the exercise, start it again and force the node off"));
    }
  else
    {
      detail = g_strdup_printf (_("boot_id %s (before: %s): restarted from its disk, its memory is lost, unlike "
                                  "a live migration"), f->boot_now, f->boot0);
      lab_exercise_report_add (report, "ha.answers", t_answers, LAB_EXERCISE_PASS, detail, NULL);
    }
}

/* ---- check, finish -------------------------------------------------------- */

static void
check (LabExerciseEnv *env, LabExerciseReport *report)
{
  const LabExercise *ex = &lab_exercise_ha;
  g_autoptr(GError) error = NULL;
  const LabClusterOps *ops = lab_flavor_cluster_ops (env->ctx, &error);
  LabGuest *g = lab_exercise_guest (env, NULL);
  g_autofree char *k_node = lab_exercise_key (ex, "node");
  g_autofree char *k_boot = lab_exercise_key (ex, "boot_id");
  g_autofree char *k_since = lab_exercise_key (ex, "since_ms");
  g_autofree char *k_at = lab_exercise_key (ex, "probe.gap_at_ms");
  LabExerciseHaFacts f = { 0 };
  LabClusterStatus st = { 0 };
  g_autoptr(GPtrArray) survivors = NULL;
  g_autoptr(GPtrArray) domains = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GString) unreachable = g_string_new (NULL);
  g_autofree char *cib = NULL, *cluster_error = NULL;
  LabGuestId now = { 0 };
  g_autoptr(GError) guest_error = NULL;
  const char *query[] = { "cibadmin", "--query", NULL };
  LabExerciseDomain *d;

  f.guest = g->name;
  f.address = g->address;
  f.victim = lab_state_get_string (env->ctx->state, k_node);
  f.boot0 = lab_state_get_string (env->ctx->state, k_boot);
  f.since_us = lab_state_get_int (env->ctx->state, k_since, 0) * 1000;
  f.n_nodes = env->ctx->recipe->nodes->len;
  lab_exercise_probe_figures (env, ex, report, g->address);
  f.fault_us = lab_state_get_int (env->ctx->state, k_at, 0) * 1000;
  survivors = nodes_but (env, f.victim, TRUE);
  f.ask_node = g_ptr_array_index (survivors, 0);
  if (ops == NULL)
    cluster_error = g_strdup (error->message);
  else
    {
      if (lab_cluster_status_query (env->ctx, ops, (const char * const *) survivors->pdata, &st, &error))
        {
          for (guint i = 0; i < st.online->len; i++)
            f.victim_online |= g_strcmp0 (g_ptr_array_index (st.online, i), f.victim) == 0;
          f.ask_node = st.asked;
        }
      else
        cluster_error = g_strdup_printf (_("no node's cluster answers: %s"), error->message);
      g_clear_error (&error);
      if (cluster_error == NULL && run_on_any (env, ops, survivors, query, &cib, &error))
        f.cib_xml = cib;
      else if (cluster_error == NULL)
        cluster_error = g_strdup (error->message);
      /* what the survivors' logs say about the guest */
      events = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_cluster_event_free);
      for (guint i = 0; cluster_error == NULL && g_ptr_array_index (survivors, i) != NULL; i++)
        {
          const char *logs[] = { LAB_CLUSTER_COROSYNC_LOG, LAB_CLUSTER_PACEMAKER_LOG };

          for (guint k = 0; k < G_N_ELEMENTS (logs); k++)
            {
              const char *argv[] = { "tail", "-n", LOG_LINES, logs[k], NULL };
              const char *node = g_ptr_array_index (survivors, i);
              g_autofree char *text = NULL;

              if (lab_cluster_node_run (env->ctx, ops, node, argv, LAB_RUN_QUERY | LAB_RUN_QUIET_OUTPUT, NULL, NULL,
                                        &text, NULL))
                g_ptr_array_extend_and_steal (events, lab_cluster_log_parse (text, node, g->name, NULL, NULL));
            }
        }
      if (cluster_error == NULL)
        f.events = events;
    }
  f.cluster_error = cluster_error;
  domains = lab_exercise_domains (env, unreachable, NULL);
  d = domains != NULL ? lab_exercise_domains_find (domains, g->name) : NULL;
  f.runs_on = d != NULL && d->active ? d->node : NULL;
  f.unreachable = unreachable->str;
  if (env->probes->guest_id (env, g->address, &now, &guest_error))
    f.boot_now = now.boot_id;
  else
    f.guest_error = guest_error->message;
  lab_exercise_ha_grade (report, &f);
  lab_guest_id_clear (&now);
  lab_cluster_status_clear (&st);
}

static gboolean
finish (LabExerciseEnv *env, GError **error)
{
  const LabExercise *ex = &lab_exercise_ha;
  g_autofree char *k_unmanaged = lab_exercise_key (ex, "unmanaged");
  g_autofree char *k_was = lab_exercise_key (ex, "was_managed");
  g_autofree char *k_node = lab_exercise_key (ex, "node");
  LabGuest *g = lab_exercise_guest (env, NULL);
  const char *was = lab_state_get_string (env->ctx->state, k_was);

  lab_exercise_watch_stop (env, ex);
  if (g != NULL && lab_state_get_bool (env->ctx->state, k_unmanaged, FALSE))
    {
      const LabClusterOps *ops = lab_flavor_cluster_ops (env->ctx, error);
      const char *restore[] = { "crm_resource", "--resource", g->name, "--meta", "--set-parameter", "is-managed",
                                "--parameter-value", was, NULL };
      const char *drop[] = { "crm_resource", "--resource", g->name, "--meta", "--delete-parameter", "is-managed",
                             NULL };
      g_autoptr(GPtrArray) order = nodes_but (env, lab_state_get_string (env->ctx->state, k_node), TRUE);
      g_autoptr(GError) local = NULL;
      g_autofree char *cib = NULL, *value = NULL;
      const char *query[] = { "cibadmin", "--query", NULL };
      gboolean done = FALSE;

      if (ops == NULL)
        return FALSE;
      /* is-managed as start found it; a student who already deleted it leaves nothing to do */
      if (was == NULL && run_on_any (env, ops, order, query, &cib, NULL)
          && cib_managed (cib, g->name, &value, NULL) && value == NULL)
        done = TRUE;
      for (guint i = 0; !done && g_ptr_array_index (order, i) != NULL; i++)
        {
          g_clear_error (&local);
          done = lab_cluster_node_run (env->ctx, ops, g_ptr_array_index (order, i),
                                       was != NULL ? restore : drop, 0, NULL, NULL, NULL, &local);
        }
      if (!done)
        {
          g_autofree char *cmd = mark_ha_command ("NODE", g->name);

          g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                       _("Cannot give guest %s back to the cluster (%s); when a node answers, run: %s"), g->name,
                       local != NULL ? local->message : _("no node answers"), cmd);
          return FALSE;
        }
      lab_state_remove (env->ctx->state, k_unmanaged);
    }
  return lab_exercise_remove_files (env, ex, error);
}

const LabExercise lab_exercise_ha = {
  "ha", N_("High availability: restart a VM on another node after its node fails"),
  unavailable, start, check, finish, &lab_exercise_ha_stack,
};
