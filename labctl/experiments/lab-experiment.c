/* lab-experiment.c: live migration with measured downtime. */
#include "config.h"

#include "lab-experiment.h"
#include "lab-virt.h"

#include <string.h>

#include <libvirt/libvirt.h>

#include "lab-error.h"
#include "lab-flavor.h"
#include "lab-guest.h"
#include "lab-i18n.h"

#define REPLIES_BEFORE 20
#define REPLIES_AFTER  30

void
lab_migration_result_clear (LabMigrationResult *result)
{
  g_free (result->guest);
  g_free (result->from_node);
  g_free (result->to_node);
  memset (result, 0, sizeof *result);
}

JsonNode *
lab_migration_result_to_json (const LabMigrationResult *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "experiment");
  json_builder_add_string_value (b, "migrate");
  json_builder_set_member_name (b, "guest");
  json_builder_add_string_value (b, r->guest);
  json_builder_set_member_name (b, "from");
  json_builder_add_string_value (b, r->from_node);
  json_builder_set_member_name (b, "to");
  json_builder_add_string_value (b, r->to_node);
  json_builder_set_member_name (b, "answers_after");
  json_builder_add_boolean_value (b, r->answers_after);
  json_builder_set_member_name (b, "command_seconds");
  json_builder_add_double_value (b, r->command_seconds);
  json_builder_set_member_name (b, "probe");
  json_builder_add_value (b, lab_probe_result_to_json (&r->probe));
  json_builder_set_member_name (b, "libvirt");
  if (r->have_job_stats)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "downtime_ms");
      json_builder_add_int_value (b, (gint64) r->libvirt_downtime_ms);
      json_builder_set_member_name (b, "time_elapsed_ms");
      json_builder_add_int_value (b, (gint64) r->libvirt_elapsed_ms);
      json_builder_set_member_name (b, "data_transferred");
      json_builder_add_int_value (b, (gint64) r->data_transferred);
      json_builder_set_member_name (b, "memory_transferred");
      json_builder_add_int_value (b, (gint64) r->memory_transferred);
      json_builder_set_member_name (b, "memory_total");
      json_builder_add_int_value (b, (gint64) r->memory_total);
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

char *
lab_migration_result_format (const LabMigrationResult *r)
{
  g_autoptr(GString) s = g_string_new (NULL);

  g_string_append_printf (s, _("Live migration of %s: %s -> %s\n"), r->guest, r->from_node, r->to_node);
  g_string_append_printf (s, _("  downtime seen by ping:   %.1f ms (longest gap between replies, "
                               "ping every %.0f ms; seq %u -> %u at +%.0f ms)\n"),
                          r->probe.longest_gap_us / 1000.0, r->probe.interval_us / 1000.0,
                          r->probe.gap_from_seq, r->probe.gap_to_seq, r->probe.gap_offset_us / 1000.0);
  g_string_append_printf (s, _("  pings: %u sent, %u answered, %u lost\n"),
                          r->probe.n_sent, r->probe.n_received, r->probe.n_lost);
  if (r->have_job_stats)
    {
      g_string_append_printf (s, _("  downtime by libvirt:     %llu ms\n"),
                              (unsigned long long) r->libvirt_downtime_ms);
      g_string_append_printf (s, _("  migration time (libvirt): %llu ms, data transferred %.1f MiB\n"),
                              (unsigned long long) r->libvirt_elapsed_ms, r->data_transferred / (double) (1 << 20));
    }
  else
    g_string_append (s, _("  libvirt reported no completed-job statistics\n"));
  g_string_append_printf (s, _("  migration command: %.2f s; guest answers on %s: %s\n"),
                          r->command_seconds, r->to_node, r->answers_after ? _("yes") : _("no"));
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
read_job_stats (virDomainPtr dom, LabMigrationResult *r)
{
  virTypedParameterPtr params = NULL;
  int nparams = 0;
  int type = 0;
  unsigned long long v;

  if (virDomainGetJobStats (dom, &type, &params, &nparams, VIR_DOMAIN_JOB_STATS_COMPLETED) < 0)
    return;
  r->have_job_stats = virTypedParamsGetULLong (params, nparams, VIR_DOMAIN_JOB_DOWNTIME, &v) == 1;
  if (r->have_job_stats)
    r->libvirt_downtime_ms = v;
  if (virTypedParamsGetULLong (params, nparams, VIR_DOMAIN_JOB_TIME_ELAPSED, &v) == 1)
    r->libvirt_elapsed_ms = v;
  if (virTypedParamsGetULLong (params, nparams, VIR_DOMAIN_JOB_DATA_PROCESSED, &v) == 1)
    r->data_transferred = v;
  if (virTypedParamsGetULLong (params, nparams, VIR_DOMAIN_JOB_MEMORY_PROCESSED, &v) == 1)
    r->memory_transferred = v;
  if (virTypedParamsGetULLong (params, nparams, VIR_DOMAIN_JOB_MEMORY_TOTAL, &v) == 1)
    r->memory_total = v;
  virTypedParamsFree (params, nparams);
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
  virConnectPtr src = NULL, dst = NULL;
  virDomainPtr dom = NULL;
  gboolean active = FALSE;
  gint64 t0;
  int rc;

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

  src_uri = lab_flavor_node_uri (ctx, from, error);
  dst_uri = src_uri != NULL ? lab_flavor_node_uri (ctx, to_node, error) : NULL;
  peer_uri = dst_uri != NULL ? lab_flavor_node_peer_uri (ctx, to_node, error) : NULL;
  if (peer_uri == NULL)
    return FALSE;

  /* the probe runs first and sees the guest answer before anything moves */
  probe = lab_probe_new (guest->address, error);
  if (probe == NULL)
    return FALSE;
  if (interval_us > 0)
    lab_probe_set_interval (probe, interval_us);
  if (!lab_probe_start (probe, error))
    return FALSE;
  if (!lab_probe_wait_replies (probe, REPLIES_BEFORE, 10000, ctx->cancellable, error))
    {
      lab_probe_stop (probe, 0, NULL, NULL);
      g_prefix_error (error, _("Before the migration: "));
      return FALSE;
    }

  src = lab_guest_connect (src_uri, error);
  if (src == NULL)
    {
      lab_probe_stop (probe, 0, NULL, NULL);
      return FALSE;
    }
  dom = virDomainLookupByName (src, guest->name);
  if (dom == NULL)
    {
      lab_virt_set_error (error, _("Guest %s vanished from node %s"), guest->name, from);
      lab_probe_stop (probe, 0, NULL, NULL);
      virConnectClose (src);
      return FALSE;
    }

  lab_progress_info (ctx->progress, _("migrating %s from %s to %s (%s)"), guest->name, from, to_node, peer_uri);
  t0 = g_get_monotonic_time ();
  rc = virDomainMigrateToURI3 (dom, peer_uri, NULL, 0,
                               VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_PERSIST_DEST
                               | VIR_MIGRATE_UNDEFINE_SOURCE);
  result->command_seconds = (g_get_monotonic_time () - t0) / 1e6;
  if (rc < 0)
    lab_virt_set_error (&migrate_error, _("Live migration of %s from %s to %s failed"),
                                 guest->name, from, to_node);
  virDomainFree (dom);
  virConnectClose (src);

  /* the guest must answer again (from the destination) */
  if (migrate_error == NULL)
    {
      guint have = lab_probe_get_n_received (probe);

      result->answers_after = lab_probe_wait_replies (probe, have + REPLIES_AFTER, 10000,
                                                      ctx->cancellable, NULL);
    }
  lab_probe_stop (probe, 300, &result->probe, NULL);
  if (migrate_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&migrate_error));
      return FALSE;
    }

  {
    g_autofree char *key = g_strdup_printf ("guests.%s.node", guest->name);

    lab_state_set_string (ctx->state, key, to_node);
    if (lab_state_get_path (ctx->state) != NULL && !lab_state_save (ctx->state, error))
      return FALSE;
  }

  dst = lab_guest_connect (dst_uri, error);
  if (dst == NULL)
    return FALSE;
  dom = virDomainLookupByName (dst, guest->name);
  if (dom != NULL)
    {
      read_job_stats (dom, result);
      virDomainFree (dom);
    }
  virConnectClose (dst);
  return TRUE;
}
