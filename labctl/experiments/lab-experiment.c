/* lab-experiment.c: live migration with measured downtime. */
#include "config.h"

#include "lab-experiment.h"
#include "lab-experiment-stack.h"
#include "lab-virt.h"

#include <string.h>

#include "lab-error.h"
#include "lab-flavor.h"
#include "lab-guest.h"
#include "lab-i18n.h"
#include "lab-json.h"
#include "lab-plot.h"

#define REPLIES_BEFORE 20
#define REPLIES_AFTER  30
/* a restarted container on a TCG node: libvirt_lxc, its init, its NIC */
#define RESTART_ANSWER_MS (2 * 60 * 1000)

void
lab_migration_result_clear (LabMigrationResult *result)
{
  g_free (result->guest);
  g_free (result->from_node);
  g_free (result->to_node);
  g_clear_pointer (&result->samples, g_array_unref);
  lab_stack_migration_clear (&result->stack);
  memset (result, 0, sizeof *result);
}

JsonNode *
lab_migration_result_to_json (const LabMigrationResult *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  lab_json_member_string (b, "experiment", "migrate");
  lab_json_member_string (b, "guest", r->guest);
  lab_json_member_string (b, "from", r->from_node);
  lab_json_member_string (b, "to", r->to_node);
  lab_json_member_string (b, "kind", r->restart ? "restart" : r->migration.paused ? "paused" : "live");
  lab_json_member_boolean (b, "answers_after", r->answers_after);
  lab_json_member_double (b, "command_seconds", r->migration.command_seconds);
  json_builder_set_member_name (b, "probe");
  json_builder_add_value (b, lab_probe_result_to_json (&r->probe));
  if (r->have_stack)
    lab_migration_stack_to_json (r, b);
  json_builder_set_member_name (b, "libvirt");
  if (r->migration.have_job_stats)
    {
      json_builder_begin_object (b);
      lab_json_member_int (b, "downtime_ms", (gint64) r->migration.downtime_ms);
      lab_json_member_int (b, "time_elapsed_ms", (gint64) r->migration.elapsed_ms);
      lab_json_member_int (b, "data_transferred", (gint64) r->migration.data_transferred);
      lab_json_member_int (b, "memory_transferred", (gint64) r->migration.memory_transferred);
      lab_json_member_int (b, "memory_total", (gint64) r->migration.memory_total);
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);
  /* the raw pings, for plots: [offset from the first send, round trip]
   * in microseconds, round trip -1 for a lost reply */
  json_builder_set_member_name (b, "timeline");
  json_builder_begin_object (b);
  lab_json_member_int (b, "migration_start_us", r->migration_start_us);
  lab_json_member_int (b, "migration_end_us", r->migration_end_us);
  json_builder_set_member_name (b, "samples");
  json_builder_begin_array (b);
  for (guint i = 0; r->samples != NULL && i < r->samples->len; i++)
    {
      const LabProbeSample *sample = &g_array_index (r->samples, LabProbeSample, i);
      gint64 t0 = g_array_index (r->samples, LabProbeSample, 0).sent_us;

      json_builder_begin_array (b);
      json_builder_add_int_value (b, sample->sent_us - t0);
      json_builder_add_int_value (b, sample->received_us > 0 ? sample->received_us - sample->sent_us : -1);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

char *
lab_migration_result_format (const LabMigrationResult *r)
{
  g_autoptr(GString) s = NULL;

  if (r->have_stack)
    return lab_migration_stack_format (r);
  s = g_string_new (NULL);
  if (r->restart)
    g_string_append_printf (s, _("Restart migration of container %s: %s -> %s\n"), r->guest, r->from_node,
                            r->to_node);
  else if (r->migration.paused)
    g_string_append_printf (s, _("Migration of %s, paused: %s -> %s\n"), r->guest, r->from_node, r->to_node);
  else
    g_string_append_printf (s, _("Live migration of %s: %s -> %s\n"), r->guest, r->from_node, r->to_node);
  g_string_append_printf (s, _("  downtime seen by ping:   %.1f ms (longest gap between replies, "
                               "ping every %.0f ms; seq %u -> %u at +%.0f ms)\n"),
                          r->probe.longest_gap_us / 1000.0, r->probe.interval_us / 1000.0,
                          r->probe.gap_from_seq, r->probe.gap_to_seq, r->probe.gap_offset_us / 1000.0);
  g_string_append_printf (s, _("  pings: %u sent, %u answered, %u lost\n"),
                          r->probe.n_sent, r->probe.n_received, r->probe.n_lost);
  if (r->restart)
    g_string_append (s, _("  why it is longer than a VM's: a container shares its node's kernel, so its processes "
                          "and memory cannot be copied to another node while it runs (libvirt's LXC driver has no "
                          "live migration); it was stopped, its LV released on the source and mounted on the "
                          "destination, and it started there: the downtime is a stop and a whole start, where a "
                          "VM's is only the last pass of its memory\n"));
  else
    {
      if (r->migration.paused)
        g_string_append (s, _("  why paused: the nodes run under TCG (this host has no usable hardware "
                              "virtualization), and a live migration of a TCG guest inside a TCG node sometimes "
                              "loses the guest's last memory writes; so the guest was paused for the whole copy of "
                              "its memory and resumed on the destination: its downtime is the whole copy, not only "
                              "the last pass. On KVM nodes labctl migrates it live\n"));
      if (r->migration.have_job_stats)
        {
          g_string_append_printf (s, _("  downtime by libvirt:     %llu ms\n"),
                                  (unsigned long long) r->migration.downtime_ms);
          g_string_append_printf (s, _("  migration time (libvirt): %llu ms, data transferred %.1f MiB\n"),
                                  (unsigned long long) r->migration.elapsed_ms,
                                  r->migration.data_transferred / (double) (1 << 20));
        }
      else
        g_string_append (s, _("  libvirt reported no completed-job statistics\n"));
    }
  g_string_append_printf (s, _("  migration command: %.2f s; guest answers on %s: %s\n"),
                          r->migration.command_seconds, r->to_node, r->answers_after ? _("yes") : _("no"));
  return g_string_free (g_steal_pointer (&s), FALSE);
}

gboolean
lab_migration_result_plot (const LabMigrationResult *r, const char *path, GError **error)
{
  LabPlotMarker markers[] = {
    { _("migration starts"), r->migration_start_us },
    { _("migration returns"), r->migration_end_us },
  };
  g_autofree char *title = g_strdup_printf (r->migration.paused ? _("Migration of %s, paused: %s -> %s")
                                                                : _("Live migration of %s: %s -> %s"),
                                            r->guest, r->from_node, r->to_node);
  LabPlotData data = {
    .samples = r->samples != NULL ? (const LabProbeSample *) r->samples->data : NULL,
    .n_samples = r->samples != NULL ? r->samples->len : 0,
    .markers = markers,
    .n_markers = G_N_ELEMENTS (markers),
    .title = title,
  };

  return lab_plot_save (&data, path, error);
}

/* --progress=json: the pings as they come, so that a program (the GUI)
 * draws the timeline while the guest moves. A thread reads the probe every
 * 100 ms and writes the samples in order; one without a reply waits until
 * it is a second old (then it is lost) or the probe stopped. */
typedef struct {
  LabProbe *probe;
  GThread  *thread;
  GMutex    lock;
  GCond     cond;
  gboolean  stop;
  guint     written;
  gint64    t0;
} SampleStream;

static void
stream_flush (SampleStream *st, gboolean final)
{
  g_autoptr(GArray) samples = lab_probe_get_samples (st->probe);
  gint64 now = g_get_monotonic_time ();

  for (; st->written < samples->len; st->written++)
    {
      const LabProbeSample *s = &g_array_index (samples, LabProbeSample, st->written);

      if (st->written == 0)
        st->t0 = s->sent_us;
      if (s->received_us == 0 && !final && now - s->sent_us < G_USEC_PER_SEC)
        break;
      lab_progress_write_sample (s->seq, s->sent_us - st->t0, s->received_us > 0 ? s->received_us - s->sent_us : -1);
    }
}

static gpointer
stream_thread (gpointer data)
{
  SampleStream *st = data;
  gboolean stop = FALSE;

  while (!stop)
    {
      gint64 until = g_get_monotonic_time () + 100 * G_TIME_SPAN_MILLISECOND;

      g_mutex_lock (&st->lock);
      while (!st->stop && g_cond_wait_until (&st->cond, &st->lock, until))
        ;
      stop = st->stop;
      g_mutex_unlock (&st->lock);
      if (!stop)
        stream_flush (st, FALSE);
    }
  return NULL;
}

static void
stream_start (SampleStream *st, LabProbe *probe)
{
  memset (st, 0, sizeof *st);
  if (lab_progress_get_json_stream () == NULL)
    return;
  st->probe = probe;
  g_mutex_init (&st->lock);
  g_cond_init (&st->cond);
  st->thread = g_thread_new ("labctl-samples", stream_thread, st);
}

/* after lab_probe_stop: the rest of the samples, lost ones included */
static void
stream_finish (SampleStream *st)
{
  if (st->thread == NULL)
    return;
  g_mutex_lock (&st->lock);
  st->stop = TRUE;
  g_cond_signal (&st->cond);
  g_mutex_unlock (&st->lock);
  g_thread_join (st->thread);
  stream_flush (st, TRUE);
  g_mutex_clear (&st->lock);
  g_cond_clear (&st->cond);
}

static gint64
first_send (LabProbe *probe)
{
  g_autoptr(GArray) samples = lab_probe_get_samples (probe);

  return samples->len > 0 ? g_array_index (samples, LabProbeSample, 0).sent_us : 0;
}

static const char *
next_node (LabRecipe *recipe, const char *from)
{
  for (guint i = 0; i < recipe->nodes->len; i++)
    {
      LabNode *n = g_ptr_array_index (recipe->nodes, i);

      if (g_strcmp0 (n->name, from) == 0)
        return ((LabNode *) g_ptr_array_index (recipe->nodes, (i + 1) % recipe->nodes->len))->name;
    }
  return NULL;
}

gboolean
lab_experiment_migrate (LabContext *ctx, const char *guest_name, const char *to_node,
                        gint64 interval_us, LabMigrationResult *result, GError **error)
{
  LabRecipe *recipe = ctx->recipe;
  LabGuest *guest;
  g_autofree char *from = NULL;
  g_autofree char *src_uri = NULL, *dst_uri = NULL, *peer_uri = NULL;
  g_autoptr(LabProbe) probe = NULL;
  g_autoptr(GError) migrate_error = NULL;
  g_autoptr(GError) deactivate_error = NULL;
  gboolean active = FALSE;
  gint64 t_start, t_end;
  SampleStream stream;
  gboolean ok;
  const LabFlavor *flavor = lab_flavor_for_context (ctx);

  /* the nodes' own stack moves its guests (Proxmox's API) */
  if (flavor->stack != NULL)
    return lab_experiment_migrate_stack (ctx, flavor, guest_name, to_node, interval_us, result, error);
  memset (result, 0, sizeof *result);
  if (recipe->guests->len == 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("Lab %s has no guest to migrate; add a [guest NAME] section to the recipe"), recipe->name);
      return FALSE;
    }
  guest = guest_name != NULL ? lab_recipe_find_guest (recipe, guest_name) : g_ptr_array_index (recipe->guests, 0);
  if (guest == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, _("Lab %s has no guest '%s'"), recipe->name, guest_name);
      return FALSE;
    }
  if (guest->address == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                   _("Guest %s has no address: its downtime cannot be measured; give it an address in the recipe"),
                   guest->name);
      return FALSE;
    }
  {
    /* a migration killed half-way: the guest on two nodes, or paused */
    g_autofree char *note = NULL;

    if (!lab_guest_settle (ctx, guest, TRUE, &note, error))
      return FALSE;
    if (note != NULL)
      lab_progress_info (ctx->progress, "%s", note);
  }
  if (!lab_guest_locate (ctx, guest, &from, &active, error))
    return FALSE;
  if (from == NULL || !active)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("Guest %s is not running on any node; run 'labctl up' (or 'labctl reset') first"), guest->name);
      return FALSE;
    }
  if (to_node == NULL)
    to_node = next_node (recipe, from);
  if (to_node == NULL || lab_recipe_find_node (recipe, to_node) == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND, _("Lab %s has no node '%s'"), recipe->name,
                   to_node != NULL ? to_node : "");
      return FALSE;
    }
  if (g_strcmp0 (to_node, from) == 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_USAGE,
                   _("Guest %s already runs on %s; choose another node with --to"), guest->name, from);
      return FALSE;
    }
  result->guest = g_strdup (guest->name);
  result->from_node = g_strdup (from);
  result->to_node = g_strdup (to_node);

  result->restart = guest->container;
  if (!guest->container)
    {
      src_uri = lab_flavor_node_uri (ctx, from, error);
      dst_uri = src_uri != NULL ? lab_flavor_node_uri (ctx, to_node, error) : NULL;
      peer_uri = dst_uri != NULL ? lab_flavor_node_peer_uri (ctx, to_node, error) : NULL;
      if (peer_uri == NULL)
        return FALSE;
      /* the guest's disk usable on the destination too (a shared LV on kvm
       * nodes: active on both while the memory moves) */
      if (!lab_flavor_guest_disk_activate (ctx, guest, to_node, TRUE, error))
        return FALSE;
    }

  /* the probe runs first and sees the guest answer before anything moves */
  probe = lab_probe_new (guest->address, error);
  if (probe == NULL)
    return FALSE;
  if (interval_us > 0)
    lab_probe_set_interval (probe, interval_us);
  if (!lab_probe_start (probe, error))
    return FALSE;
  stream_start (&stream, probe);
  if (!lab_probe_wait_replies (probe, REPLIES_BEFORE, 10000, ctx->cancellable, error))
    {
      lab_probe_stop (probe, 0, NULL, NULL);
      stream_finish (&stream);
      g_prefix_error (error, _("Before the migration: "));
      return FALSE;
    }

  if (guest->container)
    lab_progress_info (ctx->progress, _("restarting container %s on %s (stopped on %s first)"), guest->name,
                       to_node, from);
  else
    lab_progress_info (ctx->progress, _("migrating %s from %s to %s (%s)"), guest->name, from, to_node, peer_uri);
  t_start = g_get_monotonic_time ();
  lab_progress_write_phase (_("migration starts"), t_start - first_send (probe));
  if (guest->container)
    {
      ok = lab_guest_restart_on (ctx, guest, from, to_node, &migrate_error);
      result->migration.migrated = ok;
      result->migration.command_seconds = (g_get_monotonic_time () - t_start) / 1e6;
    }
  else
    {
      g_autofree char *pin = NULL;
      LabVirtMigrateOptions how = { NULL, FALSE };

      lab_guest_migrate_options (ctx, guest, &pin, &how.paused);
      how.pin_cpuset = pin;
      ok = lab_virt_migrate (guest->name, src_uri, from, peer_uri, dst_uri, to_node, &how, &result->migration,
                             &migrate_error);
    }
  t_end = g_get_monotonic_time ();
  lab_progress_write_phase (_("migration returns"), t_end - first_send (probe));

  /* the guest must answer again (from the destination) */
  if (result->migration.migrated)
    {
      guint have = lab_probe_get_n_received (probe);

      /* a restarted container answers once its init brought eth0 up */
      result->answers_after = lab_probe_wait_replies (probe, have + REPLIES_AFTER,
                                                      guest->container ? RESTART_ANSWER_MS : 10000,
                                                      ctx->cancellable, NULL);
    }
  lab_probe_stop (probe, 300, &result->probe, NULL);
  stream_finish (&stream);
  result->samples = lab_probe_get_samples (probe);
  if (result->samples != NULL && result->samples->len > 0)
    {
      gint64 t0 = g_array_index (result->samples, LabProbeSample, 0).sent_us;

      result->migration_start_us = t_start - t0;
      result->migration_end_us = t_end - t0;
    }

  /* it runs there now, even when its statistics could not be read: the
   * state follows it before any error is returned */
  if (result->migration.migrated)
    {
      g_autofree char *key = g_strdup_printf ("guests.%s.node", guest->name);

      lab_state_set_string (ctx->state, key, to_node);
      if (lab_state_get_path (ctx->state) != NULL && !lab_state_save (ctx->state, error))
        return FALSE;
      /* ... and its disk is let go where it was (the source's QEMU is gone;
       * a restarted container let it go before it started) */
      if (!guest->container && !lab_flavor_guest_disk_activate (ctx, guest, from, FALSE, &deactivate_error))
        lab_progress_info (ctx->progress, "%s", deactivate_error->message);
    }
  if (!ok)
    {
      g_propagate_error (error, g_steal_pointer (&migrate_error));
      return FALSE;
    }
  return TRUE;
}
