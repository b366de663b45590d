/* lab-experiment-stack.c: `experiment migrate` and `experiment failover`
 * on a flavor whose nodes run their own management stack (the row's
 * LabStackOps, lab-flavor.h: Proxmox VE's API). The probe is the same as
 * on the libvirt path; the move, the HA resource and the phases are the
 * stack's: its migration task with its own figures, its HA manager's
 * service states polled from the surviving nodes. */
#include "config.h"

#include "lab-experiment-stack.h"

#include <string.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-json.h"

#define REPLIES_BEFORE     20
#define REPLIES_AFTER      30
#define HA_READY_MS        120000
#define HA_POLL_MS         250
#define DEFAULT_TIMEOUT_MS 300000
#define PROBE_INTERVAL_US  20000

static const char *
next_node (LabRecipe *recipe, const char *from)
{
  for (guint i = 0; i < recipe->nodes->len; i++)
    if (g_strcmp0 (((LabNode *) recipe->nodes->pdata[i])->name, from) == 0)
      return ((LabNode *) recipe->nodes->pdata[(i + 1) % recipe->nodes->len])->name;
  return NULL;
}

typedef struct {
  const LabStackOps *ops;
  gpointer           session;
} Stack;

static void
stack_close (Stack *st)
{
  if (st->session != NULL)
    st->ops->session_free (st->session);
}

/* The probe, started and answering (NULL with *error set, or NULL without
 * an error when the guest has no address: the stack's figures only). */
static LabProbe *
start_probe (LabContext *ctx, const LabStackGuest *g, gint64 interval_us, guint replies, GError **error)
{
  g_autoptr(LabProbe) probe = NULL;

  if (g->address == NULL)
    {
      lab_progress_info (ctx->progress,
                         _("guest %s has no address on the lab network: no ping probe, only the cluster's own figures"),
                         g->name);
      return NULL;
    }
  probe = lab_probe_new (g->address, error);
  if (probe == NULL)
    return NULL;
  if (interval_us > 0)
    lab_probe_set_interval (probe, interval_us);
  if (!lab_probe_start (probe, error))
    return NULL;
  if (!lab_probe_wait_replies (probe, replies, 10000, ctx->cancellable, error))
    {
      lab_probe_stop (probe, 0, NULL, NULL);
      g_prefix_error (error, _("Guest %s (%s) does not answer ping before the experiment: "), g->name, g->address);
      return NULL;
    }
  return g_steal_pointer (&probe);
}

/* ---- migrate ----------------------------------------------------------------- */

gboolean
lab_experiment_migrate_stack (LabContext *ctx, const LabFlavor *flavor, const char *guest_name, const char *to_node,
                              gint64 interval_us, LabMigrationResult *result, GError **error)
{
  Stack st = { flavor->stack, NULL };
  LabStackGuest g = { 0 };
  g_autoptr(LabProbe) probe = NULL;
  g_autoptr(GError) migrate_error = NULL;
  gint64 t_start, t_end, t0 = 0;
  gboolean ok = FALSE;

  memset (result, 0, sizeof *result);
  result->have_stack = TRUE;
  st.session = st.ops->session_new (ctx);
  if (!st.ops->guest_find (ctx, st.session, guest_name, &g, error))
    goto out;
  if (!g.running)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("Guest %s is not running (on %s); run 'labctl up' (or 'labctl reset') first"), g.name, g.node);
      goto out;
    }
  if (to_node == NULL)
    to_node = next_node (ctx->recipe, g.node);
  if (to_node == NULL || lab_recipe_find_node (ctx->recipe, to_node) == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, _("Lab %s has no node '%s'"), ctx->recipe->name,
                   to_node != NULL ? to_node : "");
      goto out;
    }
  if (g_str_equal (to_node, g.node))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_USAGE, _("Guest %s already runs on %s; choose another node with --to"),
                   g.name, g.node);
      goto out;
    }
  result->guest = g_strdup (g.name);
  result->from_node = g_strdup (g.node);
  result->to_node = g_strdup (to_node);

  probe = start_probe (ctx, &g, interval_us, REPLIES_BEFORE, error);
  if (probe == NULL && g.address != NULL)
    goto out;
  lab_progress_info (ctx->progress, _("migrating %s from %s to %s (%s)"), g.name, g.node, to_node,
                     g_str_equal (g.kind, "ct") ? _("restart migration: LXC has no live migration")
                                                : _("online migration"));
  t_start = g_get_monotonic_time ();
  ok = st.ops->guest_migrate (ctx, st.session, &g, to_node, &result->stack, &migrate_error);
  t_end = g_get_monotonic_time ();
  result->migration.migrated = result->stack.migrated;
  result->migration.command_seconds = result->stack.command_seconds;

  if (probe != NULL)
    {
      if (result->stack.migrated)
        result->answers_after = lab_probe_wait_replies (probe, lab_probe_get_n_received (probe) + REPLIES_AFTER,
                                                        30000, ctx->cancellable, NULL);
      lab_probe_stop (probe, 300, &result->probe, NULL);
      result->samples = lab_probe_get_samples (probe);
      if (result->samples->len > 0)
        t0 = g_array_index (result->samples, LabProbeSample, 0).sent_us;
      result->migration_start_us = t_start - t0;
      result->migration_end_us = t_end - t0;
    }
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&migrate_error));
out:
  lab_stack_guest_clear (&g);
  stack_close (&st);
  return ok;
}

static void
stack_json (JsonBuilder *b, const LabStackMigration *m)
{
  json_builder_begin_object (b);
  lab_json_member_nullable (b, "method", m->method);
  lab_json_member_nullable (b, "task", m->task);
  lab_json_member_int (b, "downtime_ms", m->downtime_ms);
  lab_json_member_int (b, "duration_ms", m->duration_ms);
  json_builder_set_member_name (b, "log");
  json_builder_begin_array (b);
  for (guint i = 0; m->log != NULL && m->log[i] != NULL; i++)
    json_builder_add_string_value (b, m->log[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
}

void
lab_migration_stack_to_json (const LabMigrationResult *r, JsonBuilder *b)
{
  json_builder_set_member_name (b, "cluster");
  stack_json (b, &r->stack);
}

char *
lab_migration_stack_format (const LabMigrationResult *r)
{
  g_autoptr(GString) s = g_string_new (NULL);
  const LabStackMigration *m = &r->stack;

  g_string_append_printf (s, g_str_has_prefix (m->method, "restart") ? _("Restart migration of %s: %s -> %s\n")
                                                                 : _("Live migration of %s: %s -> %s\n"),
                          r->guest, r->from_node, r->to_node);
  if (r->probe.n_sent > 0)
    {
      g_string_append_printf (s, _("  downtime seen by ping:   %.1f ms (longest gap between replies, "
                                   "ping every %.0f ms; seq %u -> %u at +%.0f ms)\n"),
                              r->probe.longest_gap_us / 1000.0, r->probe.interval_us / 1000.0,
                              r->probe.gap_from_seq, r->probe.gap_to_seq, r->probe.gap_offset_us / 1000.0);
      g_string_append_printf (s, _("  pings: %u sent, %u answered, %u lost\n"), r->probe.n_sent,
                              r->probe.n_received, r->probe.n_lost);
    }
  else
    g_string_append (s, _("  no ping probe: the guest has no address on the lab network\n"));
  if (m->downtime_ms >= 0)
    g_string_append_printf (s, _("  downtime by Proxmox:     %lld ms (its task log)\n"), (long long) m->downtime_ms);
  else if (g_str_has_prefix (m->method, "restart"))
    g_string_append (s, _("  downtime by Proxmox:     none given: the container is stopped, moved and started "
                          "again, so its downtime is the whole restart (the probe measures it)\n"));
  if (m->duration_ms >= 0)
    g_string_append_printf (s, _("  migration task:          %.0f s by its log (%s)\n"), m->duration_ms / 1000.0,
                            m->task != NULL ? m->task : "");
  g_string_append_printf (s, _("  migration command: %.2f s; guest answers on %s: %s\n"), m->command_seconds,
                          r->to_node, r->probe.n_sent == 0 ? _("not probed") : r->answers_after ? _("yes") : _("no"));
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* ---- failover ------------------------------------------------------------------ */

static void
add_phase (LabFailoverResult *r, const char *id, const char *label, gint64 offset_us, const char *node)
{
  LabFailoverPhase ph = { g_strdup (id), g_strdup (label), offset_us, g_strdup (node) };

  g_array_append_val (r->phases, ph);
}

static gboolean
has_phase (LabFailoverResult *r, const char *id)
{
  for (guint i = 0; i < r->phases->len; i++)
    if (g_str_equal (g_array_index (r->phases, LabFailoverPhase, i).id, id))
      return TRUE;
  return FALSE;
}

/* The phases, in the order the HA manager goes through them (ids as the
 * pacemaker path's where they mean the same). */
static const struct {
  const char *id;
  const char *label;
} stack_phases[] = {
  { "membership", N_("node offline in the cluster (corosync)") },
  { "fence-requested", N_("HA manager: service to fence (its node is lost)") },
  { "fence-done", N_("HA manager: node fenced, service in recovery") },
  { "started", N_("HA manager: guest started on another node") },
};

static const char *
stack_label (const char *id)
{
  for (guint i = 0; i < G_N_ELEMENTS (stack_phases); i++)
    if (g_str_equal (stack_phases[i].id, id))
      return _(stack_phases[i].label);
  return id;
}

static void
note_phase (LabFailoverResult *r, const char *id, gint64 offset_us, const char *node, LabProgress *progress)
{
  if (has_phase (r, id))
    return;
  add_phase (r, id, stack_label (id), offset_us, node);
  lab_progress_info (progress, "%+.1f s: %s%s%s", offset_us / 1e6, stack_label (id), node != NULL ? ": " : "",
                     node != NULL ? node : "");
}

/* Polls the survivors until the manager started the guest elsewhere and
 * the probe (if any) heard it 3 times after that, or the timeout. */
static gboolean
follow_recovery (LabContext *ctx, Stack *st, const LabStackGuest *g, LabFailoverResult *r, LabProbe *probe,
                 const char *const *survivors, guint timeout_ms)
{
  gint64 deadline = r->fault_mono_us + (gint64) timeout_ms * 1000;
  guint n_at_start = 0;

  while (g_get_monotonic_time () < deadline && !g_cancellable_is_cancelled (ctx->cancellable))
    {
      LabStackHaStatus hs = { 0 };
      gint64 now = g_get_monotonic_time () - r->fault_mono_us;

      if (!has_phase (r, "started") && st->ops->ha_status (ctx, st->session, g, survivors, &hs, NULL))
        {
          const char *state = hs.state != NULL ? hs.state : "";
          gboolean victim_online = FALSE;

          for (guint i = 0; i < hs.online->len; i++)
            victim_online |= g_str_equal (hs.online->pdata[i], r->victim);
          if (!victim_online)
            note_phase (r, "membership", now, r->victim, ctx->progress);
          if (g_str_equal (state, "fence"))
            note_phase (r, "fence-requested", now, r->victim, ctx->progress);
          if (has_phase (r, "fence-requested") && !g_str_equal (state, "fence"))
            note_phase (r, "fence-done", now, r->victim, ctx->progress);
          if (g_str_equal (state, "started") && hs.node != NULL && !g_str_equal (hs.node, r->victim))
            {
              note_phase (r, "started", now, hs.node, ctx->progress);
              g_free (r->new_node);
              r->new_node = g_strdup (hs.node);
              n_at_start = probe != NULL ? lab_probe_get_n_received (probe) : 0;
            }
        }
      lab_stack_ha_status_clear (&hs);
      if (has_phase (r, "started") && (probe == NULL || lab_probe_get_n_received (probe) >= n_at_start + 3))
        return TRUE;
      g_usleep (HA_POLL_MS * 1000);
    }
  return FALSE;
}

/* Waits until the manager reports the guest started where it runs. */
static gboolean
wait_ha_started (LabContext *ctx, Stack *st, const LabStackGuest *g, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) HA_READY_MS * 1000;
  g_autofree char *last = NULL;

  while (g_get_monotonic_time () < deadline)
    {
      LabStackHaStatus hs = { 0 };
      gboolean ready;

      if (!st->ops->ha_status (ctx, st->session, g, NULL, &hs, error))
        return FALSE;
      ready = g_strcmp0 (hs.state, "started") == 0 && g_strcmp0 (hs.node, g->node) == 0;
      g_free (last);
      last = g_strdup_printf ("%s on %s", hs.state != NULL ? hs.state : "-", hs.node != NULL ? hs.node : "-");
      lab_stack_ha_status_clear (&hs);
      if (ready)
        return TRUE;
      if (g_cancellable_set_error_if_cancelled (ctx->cancellable, error))
        return FALSE;
      g_usleep (HA_POLL_MS * 1000);
    }
  g_set_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT,
               _("The HA manager did not report guest %s started on %s within %d s (last: %s); see "
                 "ha-manager status on a node"),
               g->name, g->node, HA_READY_MS / 1000, last != NULL ? last : "-");
  return FALSE;
}

static gint
phase_cmp (gconstpointer a, gconstpointer b)
{
  const LabFailoverPhase *x = a, *y = b;

  return x->offset_us < y->offset_us ? -1 : x->offset_us > y->offset_us;
}

gboolean
lab_experiment_failover_stack (LabContext *ctx, const LabFlavor *flavor, const char *guest, LabFailoverMode mode,
                               guint timeout_ms, LabFailoverResult *r, GError **error)
{
  Stack st = { flavor->stack, NULL };
  LabStackGuest g = { 0 };
  g_autoptr(LabProbe) probe = NULL;
  g_autoptr(GPtrArray) survivors = g_ptr_array_new ();
  gboolean ok = FALSE, recovered;

  memset (r, 0, sizeof *r);
  r->stack = TRUE;
  r->rejoin_s = -1;
  r->answer_offset_us = -1;
  r->mode = mode;
  lab_failover_result_ensure_phases (r);
  if (mode != LAB_FAILOVER_POWEROFF || flavor->node_fault == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED,
                   _("On a %s lab the failover experiment powers a node off (--mode poweroff); mode %s is not "
                     "available there"),
                   flavor->name, lab_failover_mode_to_string (mode));
      return FALSE;
    }
  st.session = st.ops->session_new (ctx);
  if (!st.ops->guest_find (ctx, st.session, guest, &g, error))
    goto out;
  r->guest = g_strdup (g.name);
  r->victim = g_strdup (g.node);
  if (!g.running)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("Guest %s is not running (on %s); run 'labctl up' (or 'labctl reset') first"), g.name, g.node);
      goto out;
    }
  if (!st.ops->ha_enable (ctx, st.session, &g, error) || !wait_ha_started (ctx, &st, &g, error))
    goto out;
  for (guint i = 0; i < ctx->recipe->nodes->len; i++)
    if (!g_str_equal (((LabNode *) ctx->recipe->nodes->pdata[i])->name, g.node))
      g_ptr_array_add (survivors, ((LabNode *) ctx->recipe->nodes->pdata[i])->name);
  g_ptr_array_add (survivors, NULL);

  r->interval_us = PROBE_INTERVAL_US;
  probe = start_probe (ctx, &g, r->interval_us, 5, error);
  if (probe == NULL && g.address != NULL)
    goto out;
  lab_progress_info (ctx->progress, _("guest %s runs on %s under the HA manager; fault: %s of node %s"), g.name, g.node,
                     lab_failover_mode_to_string (mode), g.node);
  r->fault_mono_us = g_get_monotonic_time ();
  if (!flavor->node_fault (ctx, lab_recipe_find_node (ctx->recipe, g.node), LAB_NODE_FAULT_POWEROFF, error))
    {
      if (probe != NULL)
        lab_probe_stop (probe, 0, &r->probe, NULL);
      goto out;
    }
  recovered = follow_recovery (ctx, &st, &g, r, probe, (const char *const *) survivors->pdata,
                               timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS);
  if (probe != NULL)
    {
      if (!lab_probe_stop (probe, 500, &r->probe, error))
        goto out;
      r->samples = lab_probe_get_samples (probe);
    }
  for (guint i = 0; i < G_N_ELEMENTS (stack_phases) && recovered == FALSE; i++)
    if (!has_phase (r, stack_phases[i].id))
      {
        r->stuck = g_strdup (stack_phases[i].id);
        break;
      }
  if (!recovered && r->stuck == NULL)
    r->stuck = g_strdup ("answers");
  r->recovered = recovered;
  lab_failover_probe_figures (r);
  if (r->answer_offset_us >= 0)
    add_phase (r, "answers", _("guest answers ping"), r->answer_offset_us, r->new_node);
  g_array_sort (r->phases, phase_cmp);
  ok = TRUE;
out:
  lab_stack_guest_clear (&g);
  stack_close (&st);
  return ok;
}

char *
lab_failover_stack_format (const LabFailoverResult *r)
{
  g_autoptr(GString) s = g_string_new (NULL);
  const LabFailoverPhase *fence = NULL, *fenced = NULL, *started = NULL;

  g_string_append_printf (s, _("Failover of guest %s (Proxmox HA): %s of node %s\n"), r->guest,
                          lab_failover_mode_to_string (r->mode), r->victim);
  g_string_append (s, _("  time since the fault  phase\n"));
  for (guint i = 0; r->phases != NULL && i < r->phases->len; i++)
    {
      const LabFailoverPhase *ph = &g_array_index (r->phases, LabFailoverPhase, i);

      g_string_append_printf (s, "  %+9.3f s            %s%s%s\n", ph->offset_us / 1e6, ph->label,
                              ph->node != NULL ? ": " : "", ph->node != NULL ? ph->node : "");
      if (g_str_equal (ph->id, "fence-requested"))
        fence = ph;
      else if (g_str_equal (ph->id, "fence-done"))
        fenced = ph;
      else if (g_str_equal (ph->id, "started"))
        started = ph;
    }
  if (!r->recovered)
    {
      g_string_append_printf (s, _("NOT RECOVERED: the failover is stuck before \"%s\".\n"),
                              stack_label (r->stuck != NULL ? r->stuck : "answers"));
      g_string_append_printf (s, _("Node %s was left as it is: see ha-manager status on a surviving node, then "
                                   "`labctl up` starts it again.\n"),
                              r->victim);
      return g_string_free (g_steal_pointer (&s), FALSE);
    }
  if (r->probe.n_sent > 0)
    g_string_append_printf (s, _("Guest %s runs on %s again. Downtime seen by ping: %.2f s, %u of its probes "
                                 "(every %lld ms) lost.\n"),
                            r->guest, r->new_node, r->probe.longest_gap_us / 1e6, r->lost_probes,
                            (long long) (r->interval_us / 1000));
  else
    g_string_append_printf (s, _("Guest %s runs on %s again (no ping probe: it has no address on the lab network).\n"),
                            r->guest, r->new_node);
  g_string_append (s, _("Where the time went:\n"));
  if (fence != NULL)
    g_string_append_printf (s, _("  %6.2f s  until the HA manager gave the node up (its LRM stopped reporting)\n"),
                            fence->offset_us / 1e6);
  if (fence != NULL && fenced != NULL)
    g_string_append_printf (s, _("  %6.2f s  fencing: the lost node's watchdog must have reset it\n"),
                            (fenced->offset_us - fence->offset_us) / 1e6);
  if (fenced != NULL && started != NULL)
    g_string_append_printf (s, _("  %6.2f s  recovery: the guest started on another node\n"),
                            (started->offset_us - fenced->offset_us) / 1e6);
  g_string_append (s, _("Why about two minutes, by design: Proxmox VE has no power switch to fence with. A node "
                        "that lost the cluster stops feeding its watchdog, which resets it within 60 s; the HA "
                        "manager may start the guest elsewhere only when that time has surely passed (its lock "
                        "on the node expired), so that no two copies of the guest ever write its disk.\n"));
  if (r->rejoin_s >= 0)
    g_string_append_printf (s, _("Node %s was started again and rejoined the cluster in %.1f s.\n"), r->victim,
                            r->rejoin_s);
  return g_string_free (g_steal_pointer (&s), FALSE);
}
