/* lab-failover.c: `labctl experiment failover`: a fault in the node that
 * runs an HA guest, and every phase of the recovery timed from the
 * cluster's own logs and from the probe. */
#include "config.h"

#include "lab-failover.h"
#include "lab-experiment-stack.h"
#include "lab-plot.h"

#include <string.h>

#include "lab-cluster.h"
#include "lab-cluster-log.h"
#include "lab-error.h"
#include "lab-flavor.h"
#include "lab-i18n.h"
#include "lab-json.h"

#define DEFAULT_TIMEOUT_MS    180000
#define PROBE_INTERVAL_US     20000
#define LOG_LINES             "40000"
/* Proxmox VE's HA design (ha-manager.adoc, pve-ha-manager NodeStatus.pm) */
#define PVE_WATCHDOG_S        60
#define PVE_FENCE_DELAY_S     60

static const char * const mode_names[LAB_N_FAILOVER_MODES] = { "poweroff", "crash", "partition" };

const char *
lab_failover_mode_to_string (LabFailoverMode mode)
{
  return mode < LAB_N_FAILOVER_MODES ? mode_names[mode] : "unknown";
}

gboolean
lab_failover_mode_from_string (const char *name, LabFailoverMode *mode)
{
  for (guint i = 0; i < LAB_N_FAILOVER_MODES; i++)
    if (g_strcmp0 (name, mode_names[i]) == 0)
      {
        *mode = (LabFailoverMode) i;
        return TRUE;
      }
  return FALSE;
}

static void
phase_clear (gpointer p)
{
  LabFailoverPhase *ph = p;

  g_free (ph->id);
  g_free (ph->label);
  g_free (ph->node);
}

void
lab_failover_result_clear (LabFailoverResult *r)
{
  g_clear_pointer (&r->guest, g_free);
  g_clear_pointer (&r->victim, g_free);
  g_clear_pointer (&r->new_node, g_free);
  g_clear_pointer (&r->stuck, g_free);
  g_clear_pointer (&r->phases, g_array_unref);
  g_clear_pointer (&r->samples, g_array_unref);
}

static const char *
phase_label (const char *id)
{
  if (g_str_equal (id, "link-down"))
    return _("corosync: link to the node down");
  if (g_str_equal (id, "token-lost"))
    return _("corosync: token lost");
  if (g_str_equal (id, "membership"))
    return _("membership lost (corosync)");
  if (g_str_equal (id, "detected"))
    return _("failure detected (pacemaker monitor)");
  if (g_str_equal (id, "fence-requested"))
    return _("fence requested");
  if (g_str_equal (id, "fence-done"))
    return _("fence confirmed");
  if (g_str_equal (id, "fence-failed"))
    return _("fence FAILED");
  if (g_str_equal (id, "started"))
    return _("guest started by the cluster");
  if (g_str_equal (id, "answers"))
    return _("guest answers ping");
  return id;
}

static void
add_phase (LabFailoverResult *r, const char *id, gint64 offset_us, const char *node)
{
  LabFailoverPhase ph = { g_strdup (id), g_strdup (phase_label (id)), offset_us, g_strdup (node) };

  g_array_append_val (r->phases, ph);
}

static void
add_event_phase (LabFailoverResult *r, const char *id, LabClusterEvent *e, gint64 fault_real_us)
{
  if (e != NULL)
    add_phase (r, id, e->time_us - fault_real_us, e->node);
}

static gint
phase_cmp (gconstpointer a, gconstpointer b)
{
  const LabFailoverPhase *x = a, *y = b;

  return x->offset_us < y->offset_us ? -1 : x->offset_us > y->offset_us;
}

void
lab_failover_result_ensure_phases (LabFailoverResult *r)
{
  if (r->phases == NULL)
    {
      r->phases = g_array_new (FALSE, TRUE, sizeof (LabFailoverPhase));
      g_array_set_clear_func (r->phases, phase_clear);
    }
}

void
lab_failover_phases_from_events (LabFailoverResult *r, GPtrArray *events, gint64 fault_real_us, guint n_nodes)
{
  /* the logs have milliseconds: an event in the fault's millisecond counts */
  gint64 since = fault_real_us - 1000;
  LabClusterEvent *start = lab_cluster_events_first (events, LAB_CLUSTER_EVENT_START_OK, NULL, 0, since);

  lab_failover_result_ensure_phases (r);
  g_clear_pointer (&r->stuck, g_free);
  if (r->mode == LAB_FAILOVER_CRASH)
    {
      LabClusterEvent *mon = lab_cluster_events_first (events, LAB_CLUSTER_EVENT_MONITOR_FAILED, r->victim, 0, since);

      add_event_phase (r, "detected", mon, fault_real_us);
      if (mon != NULL && start != NULL && start->time_us < mon->time_us)
        start = lab_cluster_events_first (events, LAB_CLUSTER_EVENT_START_OK, NULL, 0, mon->time_us);
      if (mon == NULL)
        r->stuck = g_strdup ("detected");
    }
  else
    {
      LabClusterEvent *token = lab_cluster_events_first (events, LAB_CLUSTER_EVENT_TOKEN_LOST, NULL, 0, since);
      LabClusterEvent *memb = lab_cluster_events_first (events, LAB_CLUSTER_EVENT_MEMBERSHIP, NULL, n_nodes, since);
      LabClusterEvent *req = lab_cluster_events_first (events, LAB_CLUSTER_EVENT_FENCE_REQUESTED, r->victim, 0, since);
      LabClusterEvent *ok = lab_cluster_events_first (events, LAB_CLUSTER_EVENT_FENCE_OK, r->victim, 0, since);
      LabClusterEvent *failed = lab_cluster_events_first (events, LAB_CLUSTER_EVENT_FENCE_FAILED, r->victim, 0, since);

      add_event_phase (r, "token-lost", token, fault_real_us);
      add_event_phase (r, "membership", memb, fault_real_us);
      add_event_phase (r, "fence-requested", req, fault_real_us);
      if (failed != NULL && (ok == NULL || failed->time_us < ok->time_us))
        add_event_phase (r, "fence-failed", failed, fault_real_us);
      add_event_phase (r, "fence-done", ok, fault_real_us);
      /* the guest may start only once its old node is known to be off */
      if (start != NULL && ok != NULL && start->time_us < ok->time_us)
        start = lab_cluster_events_first (events, LAB_CLUSTER_EVENT_START_OK, NULL, 0, ok->time_us);
      if (memb == NULL)
        r->stuck = g_strdup ("membership");
      else if (req == NULL)
        r->stuck = g_strdup ("fence-requested");
      else if (ok == NULL)
        r->stuck = g_strdup ("fence-done");
      else if (start == NULL)
        r->stuck = g_strdup ("started");
      if (ok == NULL)
        start = NULL;  /* no start counts before the fence */
    }
  add_event_phase (r, "started", start, fault_real_us);
  if (start != NULL)
    {
      g_free (r->new_node);
      r->new_node = g_strdup (start->node);
    }
  else if (r->stuck == NULL)
    r->stuck = g_strdup ("started");
  g_array_sort (r->phases, phase_cmp);
}

/* ---- the experiment ------------------------------------------------------ */

static LabGuest *
pick_guest (LabContext *ctx, const char *name, GError **error)
{
  LabRecipe *r = ctx->recipe;
  LabGuest *g = name != NULL ? lab_recipe_find_guest (r, name) : r->guests->len > 0 ? r->guests->pdata[0] : NULL;

  if (g == NULL)
    g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, name != NULL ? _("Lab %s has no guest '%s'")
                                                                    : _("Lab %s has no guests"), r->name, name);
  else if (g->address == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED, _("Guest %s has no address to ping"), g->name);
      g = NULL;
    }
  return g;
}

static gboolean
inject (LabContext *ctx, const LabClusterOps *ops, LabFailoverResult *r, GError **error)
{
  switch (r->mode)
    {
    case LAB_FAILOVER_POWEROFF:
      return lab_flavor_node_fault (ctx, r->victim, LAB_NODE_FAULT_POWEROFF, error);
    case LAB_FAILOVER_PARTITION:
      return lab_flavor_node_fault (ctx, r->victim, LAB_NODE_FAULT_LINK_DOWN, error);
    case LAB_FAILOVER_CRASH:
      {
        /* libvirt's pid file of the guest's QEMU, on the node */
        g_autofree char *script = g_strdup_printf ("kill -KILL $(cat /run/libvirt/qemu/%s.pid)", r->guest);
        const char *argv[] = { "sh", "-c", script, NULL };

        return lab_cluster_node_run (ctx, ops, r->victim, argv, 0, NULL, NULL, NULL, error);
      }
    case LAB_N_FAILOVER_MODES:
      break;
    }
  g_return_val_if_reached (FALSE);
}

/* The survivors' names (the victim last, for a crash only). */
static GPtrArray *
survivors (LabContext *ctx, const LabFailoverResult *r)
{
  GPtrArray *names = g_ptr_array_new ();

  for (guint i = 0; i < ctx->recipe->nodes->len; i++)
    {
      LabNode *n = g_ptr_array_index (ctx->recipe->nodes, i);

      if (!g_str_equal (n->name, r->victim))
        g_ptr_array_add (names, n->name);
    }
  if (r->mode == LAB_FAILOVER_CRASH)
    g_ptr_array_add (names, r->victim);
  g_ptr_array_add (names, NULL);
  return names;
}

/* Every event the survivors' logs hold about the guest. */
static GPtrArray *
collect_events (LabContext *ctx, const LabClusterOps *ops, LabFailoverResult *r, GPtrArray *nodes)
{
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_cluster_event_free);
  const char *logs[] = { LAB_CLUSTER_COROSYNC_LOG, LAB_CLUSTER_PACEMAKER_LOG };

  for (guint i = 0; g_ptr_array_index (nodes, i) != NULL; i++)
    for (guint k = 0; k < G_N_ELEMENTS (logs); k++)
      {
        const char *node = g_ptr_array_index (nodes, i);
        const char *argv[] = { "tail", "-n", LOG_LINES, logs[k], NULL };
        g_autofree char *text = NULL;
        g_autoptr(GPtrArray) some = NULL;

        if (!lab_cluster_node_run (ctx, ops, node, argv, LAB_RUN_QUERY | LAB_RUN_QUIET_OUTPUT, NULL, NULL, &text, NULL))
          continue;
        some = lab_cluster_log_parse (text, node, r->guest, NULL, NULL);
        g_ptr_array_extend_and_steal (events, g_steal_pointer (&some));
      }
  return events;
}

/* Waits until the cluster runs the guest where it may (elsewhere, or
 * anywhere after a crash) and the probe has heard it again. */
static gboolean
wait_recovery (LabContext *ctx, const LabClusterOps *ops, LabFailoverResult *r, LabProbe *probe, guint n_before,
               GPtrArray *prefer, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gboolean started = FALSE;
  guint n_at_start = 0;

  while (g_get_monotonic_time () < deadline && !g_cancellable_is_cancelled (ctx->cancellable))
    {
      if (!started)
        {
          LabClusterStatus st = { 0 };

          if (lab_cluster_status_query (ctx, ops, (const char * const *) prefer->pdata, &st, NULL))
            {
              const char *on = g_hash_table_lookup (st.running, r->guest);

              started = on != NULL && (r->mode == LAB_FAILOVER_CRASH || !g_str_equal (on, r->victim));
              n_at_start = lab_probe_get_n_received (probe);
            }
          lab_cluster_status_clear (&st);
        }
      /* replies after the restart, not the last ones before the fault */
      if (started && lab_probe_get_n_received (probe) >= MAX (n_at_start, n_before) + 3)
        return TRUE;
      g_usleep (200 * 1000);
    }
  return FALSE;
}

void
lab_failover_probe_figures (LabFailoverResult *r)
{
  gint64 first_after = -1;

  r->lost_probes = 0;
  r->answer_offset_us = -1;
  for (guint i = 0; r->samples != NULL && i < r->samples->len; i++)
    {
      LabProbeSample *s = &g_array_index (r->samples, LabProbeSample, i);

      if (s->sent_us < r->fault_mono_us)
        continue;
      if (s->received_us == 0)
        r->lost_probes++;
      else if (first_after < 0 && r->lost_probes > 0)
        first_after = s->received_us;
    }
  if (r->recovered && first_after > 0)
    r->answer_offset_us = first_after - r->fault_mono_us;
}

gboolean
lab_experiment_failover (LabContext *ctx, const char *guest, LabFailoverMode mode, guint timeout_ms,
                         LabFailoverResult *r, GError **error)
{
  const LabClusterOps *ops;
  LabRecipe *rec = ctx->recipe;
  LabGuest *g;
  g_autoptr(LabProbe) probe = NULL;
  g_autoptr(GPtrArray) prefer = NULL;
  g_autoptr(GPtrArray) events = NULL;
  gint64 fault_real_us;
  guint n_before;
  gboolean recovered;

  /* the nodes' own HA manager (Proxmox) instead of pacemaker */
  if (lab_flavor_for_context (ctx)->stack != NULL)
    return lab_experiment_failover_stack (ctx, lab_flavor_for_context (ctx), guest, mode, timeout_ms, r, error);
  ops = lab_flavor_cluster_ops (ctx, error);
  memset (r, 0, sizeof *r);
  r->rejoin_s = -1;
  r->answer_offset_us = -1;
  if (ops == NULL || (g = pick_guest (ctx, guest, error)) == NULL)
    return FALSE;
  r->guest = g_strdup (g->name);
  r->mode = mode;
  r->token_ms = rec->cluster_token_ms + 650 * (rec->nodes->len > 2 ? rec->nodes->len - 2 : 0);
  lab_failover_result_ensure_phases (r);

  /* a complete cluster that runs the guest */
  if (!lab_cluster_wait_online (ctx, ops, 30000, error))
    return FALSE;
  /* a cleanup or a probe just now may hide it for a moment */
  if (!lab_cluster_wait_resource (ctx, ops, g->name, "", 30000, &r->victim, NULL))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                   _("The cluster does not run guest %s now; run `labctl up` (or `labctl reset`) first"), g->name);
      return FALSE;
    }

  probe = lab_probe_new (g->address, error);
  if (probe == NULL)
    return FALSE;
  r->interval_us = PROBE_INTERVAL_US;
  lab_probe_set_interval (probe, r->interval_us);
  if (!lab_probe_start (probe, error) || !lab_probe_wait_replies (probe, 5, 10000, ctx->cancellable, error))
    {
      lab_probe_stop (probe, 0, &r->probe, NULL);
      return FALSE;
    }
  lab_progress_info (ctx->progress, _("guest %s answers on %s; fault: %s of node %s"), g->name, g->address,
                     lab_failover_mode_to_string (mode), r->victim);
  n_before = lab_probe_get_n_received (probe);
  fault_real_us = g_get_real_time ();
  r->fault_mono_us = g_get_monotonic_time ();
  if (!inject (ctx, ops, r, error))
    {
      lab_probe_stop (probe, 0, &r->probe, NULL);
      return FALSE;
    }
  prefer = survivors (ctx, r);
  recovered = wait_recovery (ctx, ops, r, probe, n_before, prefer, timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS);
  if (mode == LAB_FAILOVER_PARTITION)
    {
      g_autoptr(GError) local = NULL;

      /* the node is off by now (or never will be): its cable goes back */
      if (!lab_flavor_node_fault (ctx, r->victim, LAB_NODE_FAULT_LINK_UP, &local))
        lab_progress_info (ctx->progress, _("cannot restore the link of node %s: %s"), r->victim, local->message);
    }
  if (!lab_probe_stop (probe, 500, &r->probe, error))
    return FALSE;
  r->samples = lab_probe_get_samples (probe);

  events = collect_events (ctx, ops, r, prefer);
  lab_failover_phases_from_events (r, events, fault_real_us, rec->nodes->len);
  r->recovered = recovered && r->stuck == NULL;
  if (!r->recovered && r->stuck == NULL)
    r->stuck = g_strdup ("answers");
  lab_failover_probe_figures (r);
  if (r->answer_offset_us >= 0)
    {
      add_phase (r, "answers", r->answer_offset_us, r->new_node);
      g_array_sort (r->phases, phase_cmp);
    }
  if (r->recovered)
    {
      const char *cleanup[] = { "crm_resource", "--cleanup", "--resource", r->guest, NULL };

      /* the failure is in the report now: the cluster forgets it (and
       * re-probes: the guest shows as running again afterwards) */
      lab_cluster_node_run (ctx, ops, r->new_node, cleanup, 0, NULL, NULL, NULL, NULL);
      lab_cluster_wait_resource (ctx, ops, r->guest, "", 30000, NULL, NULL);
    }
  return TRUE;
}

/* ---- output -------------------------------------------------------------- */

JsonNode *
lab_failover_result_to_json (const LabFailoverResult *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  lab_json_member_string (b, "guest", r->guest);
  lab_json_member_string (b, "mode", lab_failover_mode_to_string (r->mode));
  lab_json_member_string (b, "victim", r->victim);
  lab_json_member_nullable (b, "new_node", r->new_node);
  lab_json_member_boolean (b, "recovered", r->recovered);
  lab_json_member_nullable (b, "stuck", r->stuck);
  lab_json_member_int (b, "token_ms", r->token_ms);
  json_builder_set_member_name (b, "phases");
  json_builder_begin_array (b);
  for (guint i = 0; r->phases != NULL && i < r->phases->len; i++)
    {
      LabFailoverPhase *ph = &g_array_index (r->phases, LabFailoverPhase, i);

      json_builder_begin_object (b);
      lab_json_member_string (b, "id", ph->id);
      lab_json_member_string (b, "label", ph->label);
      lab_json_member_int (b, "offset_ms", ph->offset_us / 1000);
      lab_json_member_nullable (b, "node", ph->node);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  lab_json_member_int (b, "answer_offset_ms", r->answer_offset_us >= 0 ? r->answer_offset_us / 1000 : -1);
  lab_json_member_int (b, "downtime_ms", r->probe.longest_gap_us / 1000);
  lab_json_member_int (b, "lost_probes", r->lost_probes);
  lab_json_member_int (b, "probe_interval_ms", r->interval_us / 1000);
  json_builder_set_member_name (b, "probe");
  json_builder_add_value (b, lab_probe_result_to_json (&r->probe));
  lab_json_member_double (b, "rejoin_s", r->rejoin_s);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static const LabFailoverPhase *
find_phase (const LabFailoverResult *r, const char *id)
{
  for (guint i = 0; r->phases != NULL && i < r->phases->len; i++)
    if (g_str_equal (g_array_index (r->phases, LabFailoverPhase, i).id, id))
      return &g_array_index (r->phases, LabFailoverPhase, i);
  return NULL;
}

static double
secs (gint64 us)
{
  return us / 1e6;
}

char *
lab_failover_result_format (const LabFailoverResult *r)
{
  g_autoptr(GString) s = g_string_new (NULL);
  const LabFailoverPhase *memb = find_phase (r, "membership");
  const LabFailoverPhase *detected = find_phase (r, "detected");
  const LabFailoverPhase *fence = find_phase (r, "fence-done");
  const LabFailoverPhase *started = find_phase (r, "started");
  const LabFailoverPhase *answers = find_phase (r, "answers");

  if (r->stack)
    return lab_failover_stack_format (r);
  g_string_append_printf (s, _("Failover of guest %s: %s of node %s\n"), r->guest,
                          lab_failover_mode_to_string (r->mode), r->victim);
  g_string_append (s, _("  time since the fault  phase\n"));
  for (guint i = 0; r->phases != NULL && i < r->phases->len; i++)
    {
      LabFailoverPhase *ph = &g_array_index (r->phases, LabFailoverPhase, i);

      g_string_append_printf (s, "  %+9.3f s            %s%s%s\n", secs (ph->offset_us), ph->label,
                              ph->node != NULL ? ": " : "", ph->node != NULL ? ph->node : "");
    }
  if (!r->recovered)
    {
      g_string_append_printf (s, _("NOT RECOVERED: the failover is stuck before \"%s\"; the guest does not answer.\n"),
                              phase_label (r->stuck != NULL ? r->stuck : "answers"));
      if (g_strcmp0 (r->stuck, "fence-done") == 0)
        g_string_append (s, _("The cluster does not start the guest elsewhere while it cannot confirm that the old "
                              "node is off: two copies of a guest on one disk would destroy its data. Check the "
                              "fence device (crm_mon --fence-history, stonith_admin --list-registered).\n"));
      else if (g_strcmp0 (r->stuck, "membership") == 0)
        g_string_append (s, _("corosync never reported the node as lost.\n"));
      g_string_append_printf (s, _("Node %s was left as it is: fix the cause, then `labctl up` starts it again.\n"),
                              r->victim);
      return g_string_free (g_steal_pointer (&s), FALSE);
    }
  g_string_append_printf (s, _("Guest %s runs on %s again. Downtime seen by ping: %.2f s, %u of its probes "
                               "(every %lld ms) lost.\n"),
                          r->guest, r->new_node, secs (r->probe.longest_gap_us), r->lost_probes,
                          (long long) (r->interval_us / 1000));
  g_string_append (s, _("Where the time went:\n"));
  if (memb != NULL)
    g_string_append_printf (s, _("  %6.2f s  detection: corosync's token timeout (%u ms) and consensus\n"),
                            secs (memb->offset_us), r->token_ms);
  if (detected != NULL)
    g_string_append_printf (s, _("  %6.2f s  detection: the resource's monitor (every 5 s) found the guest dead\n"),
                            secs (detected->offset_us));
  if (memb != NULL && fence != NULL)
    g_string_append_printf (s, _("  %6.2f s  fencing: the fence agent powered the node off and confirmed it\n"),
                            secs (fence->offset_us - memb->offset_us));
  if (started != NULL)
    {
      const LabFailoverPhase *before = fence != NULL ? fence : detected;

      if (before != NULL)
        g_string_append_printf (s, _("  %6.2f s  recovery: pacemaker stopped/started the guest (VirtualDomain)\n"),
                                secs (started->offset_us - before->offset_us));
    }
  if (started != NULL && answers != NULL)
    g_string_append_printf (s, _("  %6.2f s  boot: the guest's kernel booted until it answered ping\n"),
                            secs (answers->offset_us - started->offset_us));
  g_string_append_printf (s,
                          _("Why Proxmox VE takes about two minutes by design: a node that lost quorum stops "
                            "feeding its watchdog, which resets it within %d s; only then may the others be sure "
                            "it is off, and the HA manager waits a fence delay of another %d s before it starts "
                            "the guest elsewhere (about %d s, plus the boot). This cluster has a power switch "
                            "(the fence agent kills the node at once and says so), so it waits for no watchdog: "
                            "its time went to detection, fencing, restart and, mostly, the guest's boot.\n"),
                          PVE_WATCHDOG_S, PVE_FENCE_DELAY_S, PVE_WATCHDOG_S + PVE_FENCE_DELAY_S);
  if (r->rejoin_s >= 0)
    g_string_append_printf (s, _("Node %s was started again and rejoined the cluster in %.1f s.\n"), r->victim,
                            r->rejoin_s);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* ---- quorum ---------------------------------------------------------------- */

#define QUORUM_WATCH_S 20

void
lab_quorum_result_clear (LabQuorumResult *r)
{
  g_clear_pointer (&r->guest, g_free);
  g_clear_pointer (&r->cut, g_free);
  g_clear_pointer (&r->returning, g_free);
  g_clear_pointer (&r->survivor, g_free);
  g_clear_pointer (&r->new_node, g_free);
}

static gboolean
set_link (LabContext *ctx, const char *node, gboolean up, GError **error)
{
  return lab_flavor_node_fault (ctx, node, up ? LAB_NODE_FAULT_LINK_UP : LAB_NODE_FAULT_LINK_DOWN, error);
}

gboolean
lab_experiment_quorum (LabContext *ctx, const char *guest, LabQuorumResult *r, GError **error)
{
  const LabClusterOps *ops = lab_flavor_cluster_ops (ctx, error);
  LabRecipe *rec = ctx->recipe;
  LabClusterStatus st = { 0 };
  g_autoptr(LabProbe) probe = NULL;
  LabProbeResult pr = { 0 };
  LabGuest *g;
  const char *on;
  gint64 t_end, t_back, deadline;
  guint n_alone;

  memset (r, 0, sizeof *r);
  r->recover_offset_us = -1;
  r->rejoin_s = -1;
  if (ops == NULL || (g = pick_guest (ctx, guest, error)) == NULL)
    return FALSE;
  if (rec->nodes->len != 3)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED,
                   _("The quorum experiment needs exactly 3 nodes (lab %s has %u)"), rec->name, rec->nodes->len);
      return FALSE;
    }
  if (!lab_cluster_wait_online (ctx, ops, 30000, error) || !lab_cluster_status_query (ctx, ops, NULL, &st, error))
    return FALSE;
  on = g_hash_table_lookup (st.running, g->name);
  if (on == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                   _("The cluster does not run guest %s now; run `labctl up` (or `labctl reset`) first"), g->name);
      lab_cluster_status_clear (&st);
      return FALSE;
    }
  r->guest = g_strdup (g->name);
  r->cut = g_strdup (on);
  lab_cluster_status_clear (&st);
  for (guint i = 0; i < rec->nodes->len; i++)
    {
      const char *name = ((LabNode *) g_ptr_array_index (rec->nodes, i))->name;

      if (g_str_equal (name, r->cut))
        continue;
      if (r->returning == NULL)
        r->returning = g_strdup (name);
      else
        r->survivor = g_strdup (name);
    }

  probe = lab_probe_new (g->address, error);
  if (probe == NULL)
    return FALSE;
  lab_probe_set_interval (probe, PROBE_INTERVAL_US);
  if (!lab_probe_start (probe, error) || !lab_probe_wait_replies (probe, 5, 10000, ctx->cancellable, error))
    {
      lab_probe_stop (probe, 0, &pr, NULL);
      return FALSE;
    }
  lab_progress_info (ctx->progress, _("cutting the links of nodes %s and %s: %s is alone with 1 of 3 votes"), r->cut,
                     r->returning, r->survivor);
  if (!set_link (ctx, r->cut, FALSE, error) || !set_link (ctx, r->returning, FALSE, error))
    {
      set_link (ctx, r->cut, TRUE, NULL);
      lab_probe_stop (probe, 0, &pr, NULL);
      return FALSE;
    }
  n_alone = lab_probe_get_n_received (probe);
  /* the survivor alone: watched, never helped */
  t_end = g_get_monotonic_time () + QUORUM_WATCH_S * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < t_end && !g_cancellable_is_cancelled (ctx->cancellable))
    {
      const char *only[] = { r->survivor, NULL };
      g_autofree char *out = NULL;
      int status = -1;
      const char *argv[] = { "crm_mon", "--one-shot", "--output-as=xml", NULL };

      if (lab_cluster_node_run (ctx, ops, only[0], argv, LAB_RUN_QUERY | LAB_RUN_QUIET_OUTPUT, NULL, &status, &out, NULL)
          && status == 0 && lab_cluster_status_parse (out, &st, NULL))
        {
          const char *where = g_hash_table_lookup (st.running, g->name);

          /* a DC with quorum, right after the cut, is the old view */
          if (g_get_monotonic_time () > t_end - (QUORUM_WATCH_S - 10) * G_USEC_PER_SEC)
            r->survivor_quorate |= st.quorate;
          r->survivor_started |= g_strcmp0 (where, r->survivor) == 0;
        }
      lab_cluster_status_clear (&st);
      g_usleep (1000 * 1000);
    }
  r->watch_s = QUORUM_WATCH_S;
  /* a reply while the guest's node was cut off would come from a copy the survivor started */
  r->survivor_started |= lab_probe_get_n_received (probe) > n_alone + 1;

  lab_progress_info (ctx->progress, _("restoring the link of node %s: %s and %s have 2 of 3 votes"), r->returning,
                     r->returning, r->survivor);
  t_back = g_get_monotonic_time ();
  if (!set_link (ctx, r->returning, TRUE, error))
    {
      set_link (ctx, r->cut, TRUE, NULL);
      lab_probe_stop (probe, 0, &pr, NULL);
      return FALSE;
    }
  deadline = t_back + 150 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline && !g_cancellable_is_cancelled (ctx->cancellable))
    {
      const char *prefer[] = { r->survivor, r->returning, NULL };

      if (lab_cluster_status_query (ctx, ops, prefer, &st, NULL))
        {
          const char *where = g_hash_table_lookup (st.running, g->name);

          if (where != NULL && !g_str_equal (where, r->cut) && r->new_node == NULL)
            r->new_node = g_strdup (where);
        }
      lab_cluster_status_clear (&st);
      if (r->new_node != NULL && lab_probe_ping_once (g->address, NULL, 1000, ctx->cancellable, NULL))
        {
          r->recovered = TRUE;
          r->recover_offset_us = g_get_monotonic_time () - t_back;
          break;
        }
      g_usleep (300 * 1000);
    }
  /* A is fenced (or will be): its cable goes back for the plan to restart it */
  if (!set_link (ctx, r->cut, TRUE, error))
    {
      lab_probe_stop (probe, 0, &pr, NULL);
      return FALSE;
    }
  return lab_probe_stop (probe, 0, &pr, error);
}

JsonNode *
lab_quorum_result_to_json (const LabQuorumResult *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  lab_json_member_string (b, "guest", r->guest);
  lab_json_member_string (b, "cut", r->cut);
  lab_json_member_string (b, "returning", r->returning);
  lab_json_member_string (b, "survivor", r->survivor);
  lab_json_member_double (b, "watch_s", r->watch_s);
  lab_json_member_boolean (b, "survivor_quorate", r->survivor_quorate);
  lab_json_member_boolean (b, "survivor_started", r->survivor_started);
  lab_json_member_boolean (b, "recovered", r->recovered);
  lab_json_member_nullable (b, "new_node", r->new_node);
  lab_json_member_int (b, "recover_offset_ms", r->recover_offset_us >= 0 ? r->recover_offset_us / 1000 : -1);
  lab_json_member_double (b, "rejoin_s", r->rejoin_s);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

char *
lab_quorum_result_format (const LabQuorumResult *r)
{
  g_autoptr(GString) s = g_string_new (NULL);

  g_string_append_printf (s, _("Quorum with 3 votes, guest %s on node %s.\n"), r->guest, r->cut);
  g_string_append_printf (s, _("Links of %s and %s cut: %s alone, watched for %.0f s: %s, %s.\n"), r->cut, r->returning,
                          r->survivor, r->watch_s, r->survivor_quorate ? _("it HAD quorum") : _("no quorum"),
                          r->survivor_started ? _("it STARTED the guest") : _("it did not start the guest"));
  if (r->recovered)
    g_string_append_printf (s, _("Link of %s restored: 2 of 3 votes, node %s fenced, guest answering on %s %.1f s "
                                 "later.\n"),
                            r->returning, r->cut, r->new_node, r->recover_offset_us / 1e6);
  else
    g_string_append_printf (s, _("Link of %s restored, but the guest did not come back.\n"), r->returning);
  g_string_append (s, _("A node alone cannot tell whether the others are dead or only out of reach, and the others "
                        "may be running the guest: without a majority of the votes it must not start it, or two "
                        "copies would write the same disk. With two nodes a split leaves 1 of 2 votes on each side: "
                        "neither has a majority, so either both stop or, told to go on alone (two_node), both "
                        "try to fence each other. A third vote breaks the tie: a third node, or a tie-breaker "
                        "such as corosync-qdevice (Proxmox: an external QDevice).\n"));
  if (r->rejoin_s >= 0)
    g_string_append_printf (s, _("Node %s was started again and rejoined the cluster in %.1f s.\n"), r->cut, r->rejoin_s);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

gboolean
lab_failover_result_plot (const LabFailoverResult *r, const char *path, GError **error)
{
  const LabProbeSample *samples = r->samples != NULL ? (const LabProbeSample *) (gpointer) r->samples->data : NULL;
  guint n_samples = r->samples != NULL ? r->samples->len : 0;
  gint64 t0 = n_samples > 0 ? samples[0].sent_us : r->fault_mono_us;
  guint n_phases = r->phases != NULL ? r->phases->len : 0;
  g_autofree LabPlotMarker *markers = g_new0 (LabPlotMarker, n_phases + 1);
  g_autofree char *title = g_strdup_printf (_("Failover of %s (%s of node %s)"), r->guest,
                                            lab_failover_mode_to_string (r->mode), r->victim);
  LabPlotData data = { 0 };

  /* the markers' times count from the first ping; the phases' from the fault */
  markers[0].label = _("fault");
  markers[0].offset_us = r->fault_mono_us - t0;
  for (guint i = 0; i < n_phases; i++)
    {
      const LabFailoverPhase *ph = &g_array_index (r->phases, LabFailoverPhase, i);

      markers[i + 1].label = ph->label;
      markers[i + 1].offset_us = r->fault_mono_us + ph->offset_us - t0;
    }
  data.samples = samples;
  data.n_samples = n_samples;
  data.markers = markers;
  data.n_markers = n_phases + 1;
  data.title = title;
  return lab_plot_save (&data, path, error);
}
