/* lab-virt-migrate.c: live migration of a domain between two libvirt
 * daemons and libvirt's statistics of it (see lab-virt.h). */
#include "config.h"

#include "lab-virt.h"

#include <string.h>

#include "lab-error.h"
#include "lab-i18n.h"

/* Peer to peer: the source's libvirtd talks to the destination's itself
 * (at the URI it can reach, which need not be labctl's); the domain is
 * defined there and gone here afterwards. */
#define MIGRATE_FLAGS (VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_UNDEFINE_SOURCE)

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

/* A CPU list ("0", "0-1,3") as libvirt's cpumap; NULL when it is not one. */
static guchar *
cpumap_parse (const char *cpuset, int *maplen)
{
  g_auto(GStrv) parts = g_strsplit (cpuset, ",", -1);
  g_autoptr(GArray) cpus = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint64 top = 0;
  guchar *map;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_auto(GStrv) range = g_strsplit (parts[i], "-", 2);
      guint64 lo, hi;

      if (!g_ascii_string_to_unsigned (range[0], 10, 0, 4095, &lo, NULL))
        return NULL;
      hi = lo;
      if (range[1] != NULL && !g_ascii_string_to_unsigned (range[1], 10, lo, 4095, &hi, NULL))
        return NULL;
      for (guint64 c = lo; c <= hi; c++)
        g_array_append_val (cpus, c);
      top = MAX (top, hi);
    }
  if (cpus->len == 0)
    return NULL;
  *maplen = (int) (top / 8 + 1);
  map = g_new0 (guchar, *maplen);
  for (guint i = 0; i < cpus->len; i++)
    {
      guint64 c = g_array_index (cpus, guint64, i);
      map[c / 8] |= (guchar) (1u << (c % 8));
    }
  return map;
}

/* Every vCPU and the emulator threads of the running dom pinned to
 * cpuset, live. */
static gboolean
pin_live (virDomainPtr dom, const char *name, const char *node, const char *cpuset, GError **error)
{
  int maplen = 0;
  g_autofree guchar *map = cpumap_parse (cpuset, &maplen);
  int n = map != NULL ? virDomainGetVcpusFlags (dom, VIR_DOMAIN_AFFECT_LIVE) : -1;

  if (map == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("'%s' is not a list of CPUs"), cpuset);
      return FALSE;
    }
  /* it runs: CURRENT is its live definition (not the persistent one) */
  for (int v = 0; v < n; v++)
    if (virDomainPinVcpuFlags (dom, (unsigned) v, map, maplen, VIR_DOMAIN_AFFECT_CURRENT) < 0)
      n = -1;
  if (n < 0 || virDomainPinEmulator (dom, map, maplen, VIR_DOMAIN_AFFECT_CURRENT) < 0)
    {
      lab_virt_set_error (error, _("Cannot pin guest %s to CPU %s of node %s before it migrates"), name, cpuset,
                          node);
      return FALSE;
    }
  return TRUE;
}

gboolean
lab_virt_migrate (const char *name, const char *src_uri, const char *from_node, const char *peer_uri,
                  const char *dst_uri, const char *to_node, const LabVirtMigrateOptions *opts,
                  LabVirtMigration *out, GError **error)
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
  if (opts != NULL && opts->pin_cpuset != NULL && !pin_live (dom, name, from_node, opts->pin_cpuset, error))
    return FALSE;

  out->paused = opts != NULL && opts->paused;
  t0 = g_get_monotonic_time ();
  rc = virDomainMigrateToURI3 (dom, peer_uri, NULL, 0, MIGRATE_FLAGS | (out->paused ? 0 : VIR_MIGRATE_LIVE));
  out->command_seconds = (g_get_monotonic_time () - t0) / 1e6;
  if (rc < 0)
    {
      lab_virt_set_error (error, out->paused ? _("Migration of %s from %s to %s failed")
                                             : _("Live migration of %s from %s to %s failed"),
                          name, from_node, to_node);
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
