/* lab-cluster-log.h: the cluster's own record of a failover, read from
 * the daemons' logs on the nodes (corosync.log with `timestamp: hires`,
 * pacemaker.log): link down, token lost, membership changed, fencing
 * requested and its result, a resource's monitor failure and start.
 *
 * The parser is a pure function over the text of a log (unit-tested on
 * logs captured from real failovers, tests/data/cluster/). Lines look like
 *   Dec 01 23:00:11.032 [24775] node2 corosync notice  [QUORUM] Members[2]: 2 3
 *   Dec 01 23:00:11.152 node2 pacemaker-controld  [24957] (controld_execute_fence_action) notice: Requesting fencing (off) of node node1 | ...
 * and carry local time without a year: the year is the one that puts the
 * line closest before `now`.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  LAB_CLUSTER_EVENT_LINK_DOWN,        /* corosync: knet link to a node down */
  LAB_CLUSTER_EVENT_TOKEN_LOST,       /* corosync: token timed out, new configuration */
  LAB_CLUSTER_EVENT_MEMBERSHIP,       /* corosync: the quorum's member list (n members) */
  LAB_CLUSTER_EVENT_QUORUM_LOST,      /* pacemaker: this partition lost quorum */
  LAB_CLUSTER_EVENT_FENCE_REQUESTED,  /* pacemaker-controld asks for a node to be fenced */
  LAB_CLUSTER_EVENT_FENCE_OK,         /* pacemaker-fenced: the fence action succeeded */
  LAB_CLUSTER_EVENT_FENCE_FAILED,     /* ... failed */
  LAB_CLUSTER_EVENT_MONITOR_FAILED,   /* a resource's monitor found it not running / failed */
  LAB_CLUSTER_EVENT_START_OK,         /* a resource started on a node */
  LAB_CLUSTER_EVENT_START_FAILED,
  LAB_CLUSTER_N_EVENTS
} LabClusterEventKind;

typedef struct {
  LabClusterEventKind kind;
  gint64  time_us;   /* real time, microseconds since the epoch */
  /* FENCE_*: the target; MONITOR_FAILED, START_*: the node the resource
   * is on; LINK_DOWN: the corosync node id of the peer; else NULL */
  char   *node;
  guint   n_members; /* MEMBERSHIP */
  char   *source;    /* the node whose log said it */
} LabClusterEvent;

void        lab_cluster_event_free  (LabClusterEvent *event);
/* "link-down", "token-lost" ... (stable: JSON and tests). */
const char *lab_cluster_event_kind_to_string (LabClusterEventKind kind);

/* The events of one log's text (corosync's or pacemaker's), in order,
 * about resource rsc (NULL: no resource events); source names the node
 * whose log it is. now: the reference for the year (NULL: the present);
 * tz: the logs' time zone (NULL: local). Returns LabClusterEvent*. */
GPtrArray  *lab_cluster_log_parse   (const char *text,
                                     const char *source,
                                     const char *rsc,
                                     GDateTime  *now,
                                     GTimeZone  *tz);

/* The first event of kind at or after since_us (node NULL: any; for
 * MEMBERSHIP node is ignored and the member count must be below
 * max_members); NULL when none. */
LabClusterEvent *lab_cluster_events_first (GPtrArray          *events,
                                           LabClusterEventKind kind,
                                           const char         *node,
                                           guint               max_members,
                                           gint64              since_us);

G_END_DECLS
