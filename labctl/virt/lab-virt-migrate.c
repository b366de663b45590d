/* lab-virt-migrate.c: live migration of a domain between two libvirt
 * daemons and libvirt's statistics of it (see lab-virt.h). */
#include "config.h"

#include "lab-virt.h"

#include <string.h>

#include "lab-i18n.h"

/* Peer to peer: the source's libvirtd talks to the destination's itself
 * (at the URI it can reach, which need not be labctl's); the domain is
 * defined there and gone here afterwards. */
#define MIGRATE_FLAGS (VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_PERSIST_DEST \
                       | VIR_MIGRATE_UNDEFINE_SOURCE)

typedef struct {
  virTypedParameterPtr params;
  int                  n;
} TypedParams;

static void
typed_params_clear (TypedParams *p)
{
  virTypedParamsFree (p->params, p->n);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TypedParams, typed_params_clear)

/* The completed migration job, as the destination recorded it. */
static void
read_job_stats (virDomainPtr dom, LabVirtMigration *out)
{
  g_auto(TypedParams) p = { NULL, 0 };
  int type = 0;
  unsigned long long v;

  if (virDomainGetJobStats (dom, &type, &p.params, &p.n, VIR_DOMAIN_JOB_STATS_COMPLETED) < 0)
    return;
  out->have_job_stats = virTypedParamsGetULLong (p.params, p.n, VIR_DOMAIN_JOB_DOWNTIME, &v) == 1;
  if (out->have_job_stats)
    out->downtime_ms = v;
  if (virTypedParamsGetULLong (p.params, p.n, VIR_DOMAIN_JOB_TIME_ELAPSED, &v) == 1)
    out->elapsed_ms = v;
  if (virTypedParamsGetULLong (p.params, p.n, VIR_DOMAIN_JOB_DATA_PROCESSED, &v) == 1)
    out->data_transferred = v;
  if (virTypedParamsGetULLong (p.params, p.n, VIR_DOMAIN_JOB_MEMORY_PROCESSED, &v) == 1)
    out->memory_transferred = v;
  if (virTypedParamsGetULLong (p.params, p.n, VIR_DOMAIN_JOB_MEMORY_TOTAL, &v) == 1)
    out->memory_total = v;
}

gboolean
lab_virt_migrate (const char *name, const char *src_uri, const char *from_node, const char *peer_uri,
                  const char *dst_uri, const char *to_node, LabVirtMigration *out, GError **error)
{
  g_autoptr(virConnect) src = NULL;
  g_autoptr(virConnect) dst = NULL;
  g_autoptr(virDomain) dom = NULL;
  gint64 t0;
  int rc;

  memset (out, 0, sizeof *out);
  src = lab_virt_open (src_uri, error);
  if (src == NULL)
    return FALSE;
  dom = virDomainLookupByName (src, name);
  if (dom == NULL)
    {
      lab_virt_set_error (error, _("Guest %s vanished from node %s"), name, from_node);
      return FALSE;
    }

  t0 = g_get_monotonic_time ();
  rc = virDomainMigrateToURI3 (dom, peer_uri, NULL, 0, MIGRATE_FLAGS);
  out->command_seconds = (g_get_monotonic_time () - t0) / 1e6;
  if (rc < 0)
    {
      lab_virt_set_error (error, _("Live migration of %s from %s to %s failed"), name, from_node, to_node);
      return FALSE;
    }
  out->migrated = TRUE;
  /* the source has nothing more to say: let it go before asking the other */
  g_clear_pointer (&dom, virDomainFree);
  g_clear_pointer (&src, virConnectClose);

  dst = lab_virt_open (dst_uri, error);
  if (dst == NULL)
    return FALSE;
  dom = virDomainLookupByName (dst, name);
  if (dom != NULL)
    read_job_stats (dom, out);
  return TRUE;
}
