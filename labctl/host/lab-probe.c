/* lab-probe.c: ICMP echo at a fine interval, downtime from reply gaps. */
#define _GNU_SOURCE 1
#include "config.h"

#include "lab-probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <glib-unix.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-json.h"

#define PROBE_MAGIC "labprobe"
#define PROBE_MAGIC_LEN 8

typedef struct {
  char    magic[PROBE_MAGIC_LEN];
  guint32 seq;       /* network order: the full sequence number */
  guint32 pad;
} ProbePayload;

struct _LabProbe {
  GObject       parent_instance;

  char         *address;
  struct in_addr addr;
  char         *netns;
  LabProbeSocket socket_kind;
  gint64        interval_us;
  guint16       ident;

  GThread      *thread;
  int           stop_pipe[2];
  gint64        linger_us;

  GMutex        lock;
  GCond         cond;
  GArray       *samples;        /* LabProbeSample, index == seq */
  guint         n_received;
  gboolean      ready;          /* thread has its socket (or failed) */
  GError       *start_error;
  gboolean      raw;
};

G_DEFINE_TYPE (LabProbe, lab_probe, G_TYPE_OBJECT)

/* ---- analysis -------------------------------------------------------- */

typedef struct {
  gint64  received_us;
  guint32 seq;
} Reply;

static int
compare_reply (gconstpointer a, gconstpointer b)
{
  const Reply *ra = a, *rb = b;

  if (ra->received_us != rb->received_us)
    return ra->received_us < rb->received_us ? -1 : 1;
  return ra->seq < rb->seq ? -1 : (ra->seq > rb->seq ? 1 : 0);
}

static int
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : (x > y ? 1 : 0);
}

gboolean
lab_probe_analyze (const LabProbeSample *samples, guint n_samples,
                   gint64 interval_us, LabProbeResult *result)
{
  g_autoptr(GArray) replies = g_array_new (FALSE, FALSE, sizeof (Reply));
  g_autoptr(GArray) rtts = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint32 lo, hi;

  g_return_val_if_fail (result != NULL, FALSE);
  memset (result, 0, sizeof *result);
  result->interval_us = interval_us;
  if (n_samples == 0)
    return FALSE;

  result->n_sent = n_samples;
  result->duration_us = samples[n_samples - 1].sent_us - samples[0].sent_us;
  for (guint i = 0; i < n_samples; i++)
    {
      if (samples[i].received_us > 0)
        {
          Reply r = { samples[i].received_us, samples[i].seq };
          gint64 rtt = samples[i].received_us - samples[i].sent_us;

          g_array_append_val (replies, r);
          g_array_append_val (rtts, rtt);
        }
    }
  result->n_received = replies->len;
  result->n_lost = n_samples - replies->len;
  if (rtts->len > 0)
    {
      g_array_sort (rtts, compare_gint64);
      result->rtt_median_us = g_array_index (rtts, gint64, rtts->len / 2);
    }
  if (replies->len < 2)
    return TRUE;

  g_array_sort (replies, compare_reply);
  for (guint i = 1; i < replies->len; i++)
    {
      const Reply *a = &g_array_index (replies, Reply, i - 1);
      const Reply *b = &g_array_index (replies, Reply, i);
      gint64 gap = b->received_us - a->received_us;

      if (gap > result->longest_gap_us)
        {
          result->longest_gap_us = gap;
          result->gap_from_seq = a->seq;
          result->gap_to_seq = b->seq;
          result->gap_offset_us = a->received_us - samples[0].sent_us;
        }
    }

  lo = MIN (result->gap_from_seq, result->gap_to_seq);
  hi = MAX (result->gap_from_seq, result->gap_to_seq);
  for (guint i = 0; i < n_samples; i++)
    if (samples[i].seq > lo && samples[i].seq < hi && samples[i].received_us == 0)
      result->gap_lost++;
  return TRUE;
}

JsonNode *
lab_probe_result_to_json (const LabProbeResult *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  lab_json_member_double (b, "downtime_ms", r->longest_gap_us / 1000.0);
  lab_json_member_double (b, "interval_ms", r->interval_us / 1000.0);
  lab_json_member_int (b, "sent", r->n_sent);
  lab_json_member_int (b, "received", r->n_received);
  lab_json_member_int (b, "lost", r->n_lost);
  lab_json_member_int (b, "gap_from_seq", r->gap_from_seq);
  lab_json_member_int (b, "gap_to_seq", r->gap_to_seq);
  lab_json_member_double (b, "gap_offset_ms", r->gap_offset_us / 1000.0);
  lab_json_member_int (b, "gap_lost", r->gap_lost);
  lab_json_member_double (b, "rtt_median_ms", r->rtt_median_us / 1000.0);
  lab_json_member_double (b, "duration_ms", r->duration_us / 1000.0);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* ---- the object ------------------------------------------------------ */

static void
lab_probe_finalize (GObject *object)
{
  LabProbe *self = LAB_PROBE (object);

  if (self->thread != NULL)
    lab_probe_stop (self, 0, NULL, NULL);
  if (self->stop_pipe[0] >= 0)
    close (self->stop_pipe[0]);
  if (self->stop_pipe[1] >= 0)
    close (self->stop_pipe[1]);
  g_clear_error (&self->start_error);
  g_array_unref (self->samples);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self->address);
  g_free (self->netns);
  G_OBJECT_CLASS (lab_probe_parent_class)->finalize (object);
}

static void
lab_probe_class_init (LabProbeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lab_probe_finalize;
}

static void
lab_probe_init (LabProbe *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->samples = g_array_new (FALSE, TRUE, sizeof (LabProbeSample));
  self->interval_us = LAB_PROBE_DEFAULT_INTERVAL_US;
  self->stop_pipe[0] = self->stop_pipe[1] = -1;
  self->ident = (guint16) g_random_int_range (1, 0xffff);
}

LabProbe *
lab_probe_new (const char *address, GError **error)
{
  g_autoptr(LabProbe) self = NULL;

  g_return_val_if_fail (address != NULL, NULL);
  self = g_object_new (LAB_TYPE_PROBE, NULL);
  if (inet_pton (AF_INET, address, &self->addr) != 1)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_USAGE,
                   _("Cannot probe '%s': not an IPv4 address; give a dotted address such as 10.0.0.5"),
                   address);
      return NULL;
    }
  self->address = g_strdup (address);
  return g_steal_pointer (&self);
}

void
lab_probe_set_interval (LabProbe *self, gint64 interval_us)
{
  g_return_if_fail (LAB_IS_PROBE (self));
  g_return_if_fail (self->thread == NULL);
  self->interval_us = MAX (interval_us, 1000);
}

void
lab_probe_set_socket (LabProbe *self, LabProbeSocket kind)
{
  g_return_if_fail (LAB_IS_PROBE (self));
  g_return_if_fail (self->thread == NULL);
  self->socket_kind = kind;
}

void
lab_probe_set_netns (LabProbe *self, const char *netns_name)
{
  g_return_if_fail (LAB_IS_PROBE (self));
  g_return_if_fail (self->thread == NULL);
  g_free (self->netns);
  self->netns = g_strdup (netns_name);
}

gboolean
lab_probe_is_raw (LabProbe *self)
{
  return self->raw;
}

static guint16
icmp_checksum (const void *data, gsize len)
{
  const guint8 *p = data;
  guint32 sum = 0;

  for (; len > 1; len -= 2, p += 2)
    sum += (guint32) (p[0] << 8 | p[1]);
  if (len == 1)
    sum += (guint32) (p[0] << 8);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return htons ((guint16) ~sum);
}

/* Runs in the probe thread: join the namespace, open the socket. */
static int
probe_open_socket (LabProbe *self, gboolean *raw, GError **error)
{
  int fd;

  if (self->netns != NULL)
    {
      g_autofree char *path = g_build_filename ("/run/netns", self->netns, NULL);
      int nsfd = open (path, O_RDONLY | O_CLOEXEC);

      if (nsfd < 0)
        {
          int saved = errno;
          g_set_error (error, LAB_ERROR, saved == ENOENT ? LAB_ERROR_NOT_FOUND : LAB_ERROR_PERMISSION,
                       _("Cannot open network namespace %s: %s; check 'ip netns list'"),
                       path, g_strerror (saved));
          return -1;
        }
      /* Only this thread moves; the socket stays in the namespace. */
      if (setns (nsfd, CLONE_NEWNET) < 0)
        {
          int saved = errno;
          close (nsfd);
          g_set_error (error, LAB_ERROR, LAB_ERROR_PERMISSION,
                       _("Cannot enter network namespace %s: %s; probing inside a namespace needs root"),
                       self->netns, g_strerror (saved));
          return -1;
        }
      close (nsfd);
    }

  if (self->socket_kind != LAB_PROBE_SOCKET_PING)
    {
      fd = socket (AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMP);
      if (fd >= 0)
        {
          *raw = TRUE;
          return fd;
        }
      if (self->socket_kind == LAB_PROBE_SOCKET_RAW)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_PERMISSION,
                       _("Cannot open a raw ICMP socket: %s; this needs root (or CAP_NET_RAW)"),
                       g_strerror (errno));
          return -1;
        }
    }
  fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMP);
  if (fd >= 0)
    {
      *raw = FALSE;
      return fd;
    }
  g_set_error (error, LAB_ERROR, LAB_ERROR_PERMISSION,
               _("Cannot open an ICMP socket: %s; run as root, or allow ping sockets for your group "
                 "(sysctl net.ipv4.ping_group_range)"), g_strerror (errno));
  return -1;
}

static void
probe_send (LabProbe *self, int fd, guint32 seq)
{
  guint8 packet[sizeof (struct icmphdr) + sizeof (ProbePayload)];
  struct icmphdr *icmp = (struct icmphdr *) packet;
  ProbePayload payload = { 0 };
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = self->addr };
  LabProbeSample sample = { seq, 0, 0 };

  memset (packet, 0, sizeof packet);
  icmp->type = ICMP_ECHO;
  icmp->code = 0;
  icmp->un.echo.id = htons (self->ident);
  icmp->un.echo.sequence = htons ((guint16) (seq & 0xffff));
  memcpy (payload.magic, PROBE_MAGIC, PROBE_MAGIC_LEN);
  payload.seq = htonl (seq);
  memcpy (packet + sizeof (struct icmphdr), &payload, sizeof payload);
  icmp->checksum = icmp_checksum (packet, sizeof packet);

  g_mutex_lock (&self->lock);
  sample.sent_us = g_get_monotonic_time ();
  g_array_append_val (self->samples, sample);
  g_mutex_unlock (&self->lock);
  /* An unreachable network (link down) is a lost request, not an error. */
  (void) sendto (fd, packet, sizeof packet, 0, (struct sockaddr *) &to, sizeof to);
}

static void
probe_receive (LabProbe *self, int fd)
{
  for (;;)
    {
      guint8 buf[1500];
      struct sockaddr_in from;
      socklen_t fromlen = sizeof from;
      ssize_t n = recvfrom (fd, buf, sizeof buf, 0, (struct sockaddr *) &from, &fromlen);
      gint64 now = g_get_monotonic_time ();
      const guint8 *p = buf;
      gsize len;
      const struct icmphdr *icmp;
      ProbePayload payload;
      guint32 seq;

      if (n < 0)
        return;  /* EAGAIN: drained */
      len = (gsize) n;
      if (self->raw)
        {
          const struct iphdr *ip = (const struct iphdr *) buf;
          gsize hl;

          if (len < sizeof (struct iphdr))
            continue;
          hl = (gsize) ip->ihl * 4;
          if (len < hl)
            continue;
          p += hl;
          len -= hl;
        }
      if (from.sin_addr.s_addr != self->addr.s_addr)
        continue;
      if (len < sizeof (struct icmphdr) + sizeof (ProbePayload))
        continue;
      icmp = (const struct icmphdr *) p;
      if (icmp->type != ICMP_ECHOREPLY)
        continue;
      if (self->raw && ntohs (icmp->un.echo.id) != self->ident)
        continue;
      memcpy (&payload, p + sizeof (struct icmphdr), sizeof payload);
      if (memcmp (payload.magic, PROBE_MAGIC, PROBE_MAGIC_LEN) != 0)
        continue;
      seq = ntohl (payload.seq);

      g_mutex_lock (&self->lock);
      if (seq < self->samples->len)
        {
          LabProbeSample *s = &g_array_index (self->samples, LabProbeSample, seq);
          if (s->received_us == 0)
            {
              s->received_us = now;
              self->n_received++;
              g_cond_broadcast (&self->cond);
            }
        }
      g_mutex_unlock (&self->lock);
    }
}

static gboolean
probe_all_answered (LabProbe *self)
{
  gboolean all;

  g_mutex_lock (&self->lock);
  all = self->n_received == self->samples->len;
  g_mutex_unlock (&self->lock);
  return all;
}

static gpointer
probe_thread (gpointer data)
{
  LabProbe *self = data;
  g_autoptr(GError) error = NULL;
  gboolean raw = FALSE;
  int fd = probe_open_socket (self, &raw, &error);
  gint64 next_send, deadline = 0;
  gboolean stopping = FALSE;
  guint32 seq = 0;

  g_mutex_lock (&self->lock);
  self->ready = TRUE;
  self->raw = raw;
  if (fd < 0)
    self->start_error = g_steal_pointer (&error);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  if (fd < 0)
    return NULL;

  next_send = g_get_monotonic_time ();
  for (;;)
    {
      struct pollfd pfd[2] = {
        { .fd = fd, .events = POLLIN },
        { .fd = self->stop_pipe[0], .events = POLLIN },
      };
      gint64 now = g_get_monotonic_time ();
      gint64 wait_us;
      struct timespec ts;

      if (!stopping && now >= next_send)
        {
          probe_send (self, fd, seq++);
          next_send += self->interval_us;
          /* after a stall (suspend, overload) do not send a burst */
          if (next_send < now)
            next_send = now + self->interval_us;
        }
      if (stopping && (now >= deadline || probe_all_answered (self)))
        break;

      wait_us = (stopping ? deadline : next_send) - g_get_monotonic_time ();
      if (wait_us < 0)
        wait_us = 0;
      ts.tv_sec = wait_us / G_USEC_PER_SEC;
      ts.tv_nsec = (wait_us % G_USEC_PER_SEC) * 1000;
      if (ppoll (pfd, 2, &ts, NULL) < 0 && errno != EINTR)
        break;
      if (pfd[0].revents & POLLIN)
        probe_receive (self, fd);
      if (!stopping && (pfd[1].revents & POLLIN))
        {
          stopping = TRUE;
          deadline = g_get_monotonic_time () + self->linger_us;
        }
    }
  close (fd);
  return NULL;
}

gboolean
lab_probe_start (LabProbe *self, GError **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (LAB_IS_PROBE (self), FALSE);
  g_return_val_if_fail (self->thread == NULL, FALSE);

  if (!g_unix_open_pipe (self->stop_pipe, FD_CLOEXEC, &local_error))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot start the probe: %s"),
                   local_error->message);
      return FALSE;
    }
  g_array_set_size (self->samples, 0);
  self->n_received = 0;
  self->ready = FALSE;
  self->thread = g_thread_new ("lab-probe", probe_thread, self);

  g_mutex_lock (&self->lock);
  while (!self->ready)
    g_cond_wait (&self->cond, &self->lock);
  local_error = g_steal_pointer (&self->start_error);
  g_mutex_unlock (&self->lock);

  if (local_error != NULL)
    {
      g_thread_join (g_steal_pointer (&self->thread));
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

guint
lab_probe_get_n_received (LabProbe *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->n_received;
  g_mutex_unlock (&self->lock);
  return n;
}

gboolean
lab_probe_wait_replies (LabProbe *self, guint n, guint timeout_ms,
                        GCancellable *cancellable, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gboolean ok;

  g_return_val_if_fail (LAB_IS_PROBE (self), FALSE);
  g_mutex_lock (&self->lock);
  while (self->n_received < n)
    {
      gint64 slice = MIN (deadline, g_get_monotonic_time () + 50 * 1000);

      if (g_get_monotonic_time () >= deadline)
        break;
      if (g_cancellable_is_cancelled (cancellable))
        break;
      g_cond_wait_until (&self->cond, &self->lock, slice);
    }
  ok = self->n_received >= n;
  g_mutex_unlock (&self->lock);

  if (ok)
    return TRUE;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  g_set_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT,
               _("%s did not answer ping within %.1f s (%u of %u replies); check that the guest is "
                 "running and its address is on the lab network"),
               self->address, timeout_ms / 1000.0, lab_probe_get_n_received (self), n);
  return FALSE;
}

gboolean
lab_probe_stop (LabProbe *self, guint linger_ms, LabProbeResult *result, GError **error)
{
  LabProbeResult local;

  g_return_val_if_fail (LAB_IS_PROBE (self), FALSE);
  if (self->thread == NULL)
    {
      g_set_error_literal (error, LAB_ERROR, LAB_ERROR_FAILED, _("The probe is not running"));
      return FALSE;
    }
  self->linger_us = (gint64) linger_ms * 1000;
  if (write (self->stop_pipe[1], "x", 1) < 0)
    {
      /* cannot happen with a fresh pipe; the thread would run on */
    }
  g_thread_join (g_steal_pointer (&self->thread));
  close (self->stop_pipe[0]);
  close (self->stop_pipe[1]);
  self->stop_pipe[0] = self->stop_pipe[1] = -1;

  lab_probe_analyze ((const LabProbeSample *) self->samples->data, self->samples->len,
                     self->interval_us, result != NULL ? result : &local);
  return TRUE;
}

GArray *
lab_probe_get_samples (LabProbe *self)
{
  GArray *copy;

  g_mutex_lock (&self->lock);
  copy = g_array_sized_new (FALSE, FALSE, sizeof (LabProbeSample), self->samples->len);
  g_array_append_vals (copy, self->samples->data, self->samples->len);
  g_mutex_unlock (&self->lock);
  return copy;
}

gboolean
lab_probe_ping_once (const char *address, const char *netns_name, guint timeout_ms,
                     GCancellable *cancellable, GError **error)
{
  g_autoptr(LabProbe) probe = lab_probe_new (address, error);
  gboolean ok;

  if (probe == NULL)
    return FALSE;
  lab_probe_set_interval (probe, 100 * 1000);
  lab_probe_set_netns (probe, netns_name);
  if (!lab_probe_start (probe, error))
    return FALSE;
  ok = lab_probe_wait_replies (probe, 1, timeout_ms, cancellable, error);
  lab_probe_stop (probe, 0, NULL, NULL);
  return ok;
}
