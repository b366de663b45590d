/* lab-probe.h: ICMP echo at a fine interval; downtime = the longest gap
 * between consecutive replies.
 *
 * A LabProbe sends an echo request every interval (default 10 ms) from a
 * thread of its own and records, per request, the monotonic send time and
 * the monotonic receive time of its reply. It uses a raw ICMP socket when it
 * may (root / CAP_NET_RAW) and an unprivileged ping socket (SOCK_DGRAM,
 * net.ipv4.ping_group_range) otherwise. With lab_probe_set_netns() the
 * thread joins /run/netns/<name> before it opens the socket, so the probe
 * sees the network from inside that namespace.
 *
 * The analysis is a pure function over the samples (lab_probe_analyze) so
 * that it is tested on synthetic sequences.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define LAB_PROBE_DEFAULT_INTERVAL_US 10000

/* One echo request. Times are g_get_monotonic_time() microseconds;
 * received_us is 0 when no reply came. */
typedef struct {
  guint32 seq;            /* 0, 1, 2 ... (on the wire: the low 16 bits) */
  gint64  sent_us;
  gint64  received_us;
} LabProbeSample;

typedef struct {
  guint   n_sent;
  guint   n_received;
  guint   n_lost;          /* requests without a reply */
  gint64  interval_us;
  gint64  duration_us;     /* first send to last send */
  /* The longest gap between two consecutive replies (by receive time):
   * the downtime the guest showed to the network. 0 with fewer than two
   * replies. */
  gint64  longest_gap_us;
  guint32 gap_from_seq;    /* the reply before the gap */
  guint32 gap_to_seq;      /* the reply after the gap */
  gint64  gap_offset_us;   /* receive time of gap_from_seq, from the first send */
  guint   gap_lost;        /* requests sent inside the gap that got no reply */
  /* Replies that arrived (median round trip), for a sanity view. */
  gint64  rtt_median_us;
} LabProbeResult;

/* Pure analysis: samples in send order (seq ascending). Returns FALSE when
 * nothing was sent. */
gboolean   lab_probe_analyze          (const LabProbeSample *samples,
                                       guint                 n_samples,
                                       gint64                interval_us,
                                       LabProbeResult       *result);
JsonNode  *lab_probe_result_to_json   (const LabProbeResult *result);

#define LAB_TYPE_PROBE (lab_probe_get_type ())
G_DECLARE_FINAL_TYPE (LabProbe, lab_probe, LAB, PROBE, GObject)

/* address: a dotted IPv4 address. */
LabProbe  *lab_probe_new              (const char *address,
                                       GError    **error);
void       lab_probe_set_interval     (LabProbe   *self,
                                       gint64      interval_us);
typedef enum {
  LAB_PROBE_SOCKET_AUTO,   /* raw when permitted, else a ping socket */
  LAB_PROBE_SOCKET_RAW,    /* SOCK_RAW: root or CAP_NET_RAW */
  LAB_PROBE_SOCKET_PING,   /* SOCK_DGRAM ping socket: net.ipv4.ping_group_range */
} LabProbeSocket;

/* Which socket to use (default AUTO). Must be called before start. */
void       lab_probe_set_socket       (LabProbe      *self,
                                       LabProbeSocket kind);
/* NULL: the caller's namespace. Must be called before start. */
void       lab_probe_set_netns        (LabProbe   *self,
                                       const char *netns_name);
/* Opens the socket (in the namespace) and starts sending. Fails when the
 * namespace or socket cannot be had, with the reason and the fix. */
gboolean   lab_probe_start            (LabProbe   *self,
                                       GError    **error);
/* Waits until at least n replies arrived in total (since start). */
gboolean   lab_probe_wait_replies     (LabProbe     *self,
                                       guint         n,
                                       guint         timeout_ms,
                                       GCancellable *cancellable,
                                       GError      **error);
guint      lab_probe_get_n_received   (LabProbe   *self);
/* TRUE when the probe uses a raw socket (else an unprivileged ping socket). */
gboolean   lab_probe_is_raw           (LabProbe   *self);
/* Stops sending, waits linger_ms for late replies, ends the thread, and
 * analyses what it saw. */
gboolean   lab_probe_stop             (LabProbe       *self,
                                       guint           linger_ms,
                                       LabProbeResult *result,
                                       GError        **error);
/* A copy of the samples (valid after stop). */
GArray    *lab_probe_get_samples      (LabProbe   *self);

/* Convenience: is address answering within timeout_ms (one probe run)? */
gboolean   lab_probe_ping_once        (const char   *address,
                                       const char   *netns_name,
                                       guint         timeout_ms,
                                       GCancellable *cancellable,
                                       GError      **error);

G_END_DECLS
