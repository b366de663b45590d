/* lab-cluster-log.c: corosync's and pacemaker's log lines as events. */
#include "config.h"

#include "lab-cluster-log.h"

#include <stdio.h>
#include <string.h>

static const char * const kind_names[LAB_CLUSTER_N_EVENTS] = {
  [LAB_CLUSTER_EVENT_LINK_DOWN] = "link-down",
  [LAB_CLUSTER_EVENT_TOKEN_LOST] = "token-lost",
  [LAB_CLUSTER_EVENT_MEMBERSHIP] = "membership",
  [LAB_CLUSTER_EVENT_QUORUM_LOST] = "quorum-lost",
  [LAB_CLUSTER_EVENT_FENCE_REQUESTED] = "fence-requested",
  [LAB_CLUSTER_EVENT_FENCE_OK] = "fence-ok",
  [LAB_CLUSTER_EVENT_FENCE_FAILED] = "fence-failed",
  [LAB_CLUSTER_EVENT_MONITOR_FAILED] = "monitor-failed",
  [LAB_CLUSTER_EVENT_START_OK] = "start-ok",
  [LAB_CLUSTER_EVENT_START_FAILED] = "start-failed",
};

const char *
lab_cluster_event_kind_to_string (LabClusterEventKind kind)
{
  return kind < LAB_CLUSTER_N_EVENTS ? kind_names[kind] : "unknown";
}

void
lab_cluster_event_free (LabClusterEvent *e)
{
  if (e == NULL)
    return;
  g_free (e->node);
  g_free (e->source);
  g_free (e);
}

static const char * const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", NULL };

/* "Dec 01 23:00:11.032 ..." -> microseconds since the epoch; *rest after
 * the stamp. FALSE when the line does not start with one. */
static gboolean
parse_stamp (const char *line, GDateTime *now, GTimeZone *tz, gint64 *out, const char **rest)
{
  char mon[4] = { 0 };
  int day = 0, h = 0, m = 0, s = 0, ms = 0, used = 0;
  int month = 0;
  g_autoptr(GDateTime) t = NULL;
  int year = g_date_time_get_year (now);

  if (sscanf (line, "%3s %d %d:%d:%d.%d%n", mon, &day, &h, &m, &s, &ms, &used) != 6)
    return FALSE;
  for (int i = 0; months[i] != NULL; i++)
    if (g_str_equal (mon, months[i]))
      month = i + 1;
  if (month == 0)
    return FALSE;
  t = g_date_time_new (tz, year, month, day, h, m, s + ms / 1000.0);
  if (t == NULL)
    return FALSE;
  /* a December line read in January */
  if (g_date_time_difference (t, now) > G_TIME_SPAN_DAY)
    {
      g_autoptr(GDateTime) earlier = g_date_time_add_years (t, -1);
      g_date_time_unref (t);
      t = g_steal_pointer (&earlier);
    }
  *out = g_date_time_to_unix (t) * G_USEC_PER_SEC + (gint64) ms * 1000;
  *rest = line + used;
  return TRUE;
}

/* The word after prefix in text, up to a space, quote or the end. */
static char *
word_after (const char *text, const char *prefix)
{
  const char *p = strstr (text, prefix);
  const char *end;

  if (p == NULL)
    return NULL;
  p += strlen (prefix);
  end = p;
  while (*end != '\0' && *end != ' ' && *end != '\'' && *end != ':' && *end != '|')
    end++;
  return end > p ? g_strndup (p, end - p) : NULL;
}

static LabClusterEvent *
event_new (LabClusterEventKind kind, gint64 t, const char *source, char *node)
{
  LabClusterEvent *e = g_new0 (LabClusterEvent, 1);

  e->kind = kind;
  e->time_us = t;
  e->source = g_strdup (source);
  e->node = node;
  return e;
}

/* One line's event, or NULL. */
static LabClusterEvent *
parse_line (const char *body, gint64 t, const char *source, const char *rsc)
{
  const char *p;

  /* corosync */
  if (strstr (body, "[KNET  ] link: host: ") != NULL && g_str_has_suffix (body, " is down"))
    return event_new (LAB_CLUSTER_EVENT_LINK_DOWN, t, source, word_after (body, "link: host: "));
  if (strstr (body, "[TOTEM ] A processor failed, forming new configuration") != NULL)
    return event_new (LAB_CLUSTER_EVENT_TOKEN_LOST, t, source, NULL);
  if ((p = strstr (body, "[QUORUM] Members[")) != NULL)
    {
      LabClusterEvent *e = event_new (LAB_CLUSTER_EVENT_MEMBERSHIP, t, source, NULL);

      e->n_members = (guint) atoi (p + strlen ("[QUORUM] Members["));
      return e;
    }
  /* pacemaker */
  if (strstr (body, "pacemaker-controld") != NULL && strstr (body, "notice: Quorum lost") != NULL)
    return event_new (LAB_CLUSTER_EVENT_QUORUM_LOST, t, source, NULL);
  if (strstr (body, "pacemaker-controld") != NULL && (p = strstr (body, "Requesting fencing (")) != NULL)
    return event_new (LAB_CLUSTER_EVENT_FENCE_REQUESTED, t, source, word_after (p, " of node "));
  /* pacemaker-fenced's finalize_op: "Operation 'off' targeting node1 by
   * node3 for pacemaker-controld.24957@node2: OK" (or an error) */
  if (strstr (body, "pacemaker-fenced") != NULL && strstr (body, "(finalize_op)") != NULL
      && (p = strstr (body, "Operation '")) != NULL && strstr (p, " targeting ") != NULL)
    {
      const char *colon = strstr (p, ": ");
      gboolean ok = colon != NULL && g_str_has_prefix (colon + 2, "OK");

      return event_new (ok ? LAB_CLUSTER_EVENT_FENCE_OK : LAB_CLUSTER_EVENT_FENCE_FAILED, t, source,
                        word_after (p, " targeting "));
    }
  /* pacemaker-controld's log_executor_event: "Result of start operation
   * for tiny on node3: ok" */
  if (rsc != NULL && strstr (body, "pacemaker-controld") != NULL && (p = strstr (body, "Result of ")) != NULL)
    {
      g_autofree char *start = g_strdup_printf ("Result of start operation for %s on ", rsc);
      g_autofree char *monitor = g_strdup_printf ("Result of monitor operation for %s on ", rsc);
      const char *colon;

      if (g_str_has_prefix (p, start))
        {
          colon = strstr (p, ": ");
          return event_new (colon != NULL && g_str_has_prefix (colon + 2, "ok") ? LAB_CLUSTER_EVENT_START_OK
                                                                               : LAB_CLUSTER_EVENT_START_FAILED,
                            t, source, word_after (p, start));
        }
      if (g_str_has_prefix (p, monitor) && (colon = strstr (p, ": ")) != NULL && !g_str_has_prefix (colon + 2, "ok"))
        return event_new (LAB_CLUSTER_EVENT_MONITOR_FAILED, t, source, word_after (p, monitor));
    }
  return NULL;
}

GPtrArray *
lab_cluster_log_parse (const char *text, const char *source, const char *rsc, GDateTime *now, GTimeZone *tz)
{
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_cluster_event_free);
  g_autoptr(GDateTime) reference = now != NULL ? g_date_time_ref (now) : g_date_time_new_now_local ();
  g_autoptr(GTimeZone) zone = tz != NULL ? g_time_zone_ref (tz) : g_time_zone_new_local ();
  g_auto(GStrv) lines = g_strsplit (text != NULL ? text : "", "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *rest = NULL;
      gint64 t = 0;
      LabClusterEvent *e;

      g_strchomp (lines[i]);
      if (!parse_stamp (lines[i], reference, zone, &t, &rest))
        continue;
      e = parse_line (rest, t, source, rsc);
      if (e != NULL)
        g_ptr_array_add (events, e);
    }
  return events;
}

LabClusterEvent *
lab_cluster_events_first (GPtrArray *events, LabClusterEventKind kind, const char *node, guint max_members,
                          gint64 since_us)
{
  LabClusterEvent *best = NULL;

  for (guint i = 0; events != NULL && i < events->len; i++)
    {
      LabClusterEvent *e = g_ptr_array_index (events, i);

      if (e->kind != kind || e->time_us < since_us)
        continue;
      if (kind == LAB_CLUSTER_EVENT_MEMBERSHIP ? e->n_members >= max_members
                                               : node != NULL && g_strcmp0 (e->node, node) != 0)
        continue;
      if (best == NULL || e->time_us < best->time_us)
        best = e;
    }
  return best;
}
