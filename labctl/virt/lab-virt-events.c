/* lab-virt-events.c: a libvirt event loop implementation on a private
 * GMainContext (see lab-virt-events.h). Modelled on libvirt's own
 * GLib-based implementation, minus the use of the default context. */
#include "config.h"

#include "lab-virt-events.h"

#include <glib-unix.h>
#include <libvirt/libvirt.h>

typedef struct {
  int                    id;
  int                    fd;
  int                    events;
  virEventHandleCallback cb;
  void                  *opaque;
  virFreeCallback        ff;
  GSource               *source;
} Handle;

typedef struct {
  int                     id;
  int                     interval;
  virEventTimeoutCallback cb;
  void                   *opaque;
  virFreeCallback         ff;
  GSource                *source;
} Timer;

static GMutex        lock;
static GMainContext *context;
static GHashTable   *handles;   /* id -> Handle* */
static GHashTable   *timers;    /* id -> Timer* */
static int           next_id = 1;

GMainContext *
lab_virt_events_get_context (void)
{
  return context;
}

static GIOCondition
to_condition (int events)
{
  GIOCondition cond = 0;

  if (events & VIR_EVENT_HANDLE_READABLE)
    cond |= G_IO_IN;
  if (events & VIR_EVENT_HANDLE_WRITABLE)
    cond |= G_IO_OUT;
  return cond;
}

static int
from_condition (GIOCondition cond)
{
  int events = 0;

  if (cond & G_IO_IN)
    events |= VIR_EVENT_HANDLE_READABLE;
  if (cond & G_IO_OUT)
    events |= VIR_EVENT_HANDLE_WRITABLE;
  if (cond & G_IO_ERR)
    events |= VIR_EVENT_HANDLE_ERROR;
  if (cond & G_IO_HUP)
    events |= VIR_EVENT_HANDLE_HANGUP;
  return events;
}

static void
destroy_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_source_unref (*source);
      *source = NULL;
    }
}

/* ---- handles ------------------------------------------------------------ */

static gboolean
handle_dispatch (int fd, GIOCondition cond, gpointer data)
{
  int id = GPOINTER_TO_INT (data);
  virEventHandleCallback cb = NULL;
  void *opaque = NULL;
  Handle *h;

  g_mutex_lock (&lock);
  h = g_hash_table_lookup (handles, GINT_TO_POINTER (id));
  if (h != NULL)
    {
      cb = h->cb;
      opaque = h->opaque;
    }
  g_mutex_unlock (&lock);
  if (cb != NULL)
    cb (id, fd, from_condition (cond), opaque);
  return G_SOURCE_CONTINUE;
}

/* lock held */
static void
handle_watch (Handle *h)
{
  destroy_source (&h->source);
  if (h->events == 0)
    return;
  /* ERR and HUP are always reported by poll() */
  h->source = g_unix_fd_source_new (h->fd, to_condition (h->events) | G_IO_ERR | G_IO_HUP);
  g_source_set_callback (h->source, G_SOURCE_FUNC (handle_dispatch), GINT_TO_POINTER (h->id), NULL);
  g_source_set_name (h->source, "[labctl] libvirt fd watch");
  g_source_attach (h->source, context);
}

static int
add_handle (int fd, int events, virEventHandleCallback cb, void *opaque, virFreeCallback ff)
{
  Handle *h = g_new0 (Handle, 1);
  int id;

  g_mutex_lock (&lock);
  id = h->id = next_id++;
  h->fd = fd;
  h->events = events;
  h->cb = cb;
  h->opaque = opaque;
  h->ff = ff;
  g_hash_table_insert (handles, GINT_TO_POINTER (id), h);
  handle_watch (h);
  g_mutex_unlock (&lock);
  return id;
}

static void
update_handle (int id, int events)
{
  Handle *h;

  g_mutex_lock (&lock);
  h = g_hash_table_lookup (handles, GINT_TO_POINTER (id));
  if (h != NULL && h->events != events)
    {
      h->events = events;
      handle_watch (h);
    }
  g_mutex_unlock (&lock);
}

typedef struct {
  virFreeCallback ff;
  void           *opaque;
} Release;

/* libvirt deadlocks if ff runs inside the remove call: run it later, in
 * the event thread */
static gboolean
release_idle (gpointer data)
{
  Release *r = data;

  r->ff (r->opaque);
  return G_SOURCE_REMOVE;
}

static void
release_later (virFreeCallback ff, void *opaque)
{
  Release *r;
  GSource *idle;

  if (ff == NULL)
    return;
  r = g_new0 (Release, 1);
  r->ff = ff;
  r->opaque = opaque;
  idle = g_idle_source_new ();
  g_source_set_callback (idle, release_idle, r, g_free);
  g_source_attach (idle, context);
  g_source_unref (idle);
}

static int
remove_handle (int id)
{
  Handle *h;

  g_mutex_lock (&lock);
  h = g_hash_table_lookup (handles, GINT_TO_POINTER (id));
  if (h == NULL)
    {
      g_mutex_unlock (&lock);
      return -1;
    }
  g_hash_table_steal (handles, GINT_TO_POINTER (id));
  destroy_source (&h->source);
  release_later (h->ff, h->opaque);
  g_mutex_unlock (&lock);
  g_free (h);
  return 0;
}

/* ---- timers ------------------------------------------------------------- */

static gboolean
timer_dispatch (gpointer data)
{
  int id = GPOINTER_TO_INT (data);
  virEventTimeoutCallback cb = NULL;
  void *opaque = NULL;
  Timer *t;

  g_mutex_lock (&lock);
  t = g_hash_table_lookup (timers, GINT_TO_POINTER (id));
  if (t != NULL)
    {
      cb = t->cb;
      opaque = t->opaque;
    }
  g_mutex_unlock (&lock);
  if (cb != NULL)
    cb (id, opaque);
  return G_SOURCE_CONTINUE;
}

/* lock held. interval: -1 disabled, 0 as often as possible, else ms. */
static void
timer_arm (Timer *t)
{
  destroy_source (&t->source);
  if (t->interval < 0)
    return;
  t->source = t->interval == 0 ? g_idle_source_new () : g_timeout_source_new (t->interval);
  g_source_set_callback (t->source, timer_dispatch, GINT_TO_POINTER (t->id), NULL);
  g_source_set_name (t->source, "[labctl] libvirt timer");
  g_source_attach (t->source, context);
}

static int
add_timeout (int interval, virEventTimeoutCallback cb, void *opaque, virFreeCallback ff)
{
  Timer *t = g_new0 (Timer, 1);
  int id;

  g_mutex_lock (&lock);
  id = t->id = next_id++;
  t->interval = interval;
  t->cb = cb;
  t->opaque = opaque;
  t->ff = ff;
  g_hash_table_insert (timers, GINT_TO_POINTER (id), t);
  timer_arm (t);
  g_mutex_unlock (&lock);
  return id;
}

static void
update_timeout (int id, int interval)
{
  Timer *t;

  g_mutex_lock (&lock);
  t = g_hash_table_lookup (timers, GINT_TO_POINTER (id));
  if (t != NULL)
    {
      /* re-armed even when unchanged: libvirt uses that to restart it */
      t->interval = interval;
      timer_arm (t);
    }
  g_mutex_unlock (&lock);
}

static int
remove_timeout (int id)
{
  Timer *t;

  g_mutex_lock (&lock);
  t = g_hash_table_lookup (timers, GINT_TO_POINTER (id));
  if (t == NULL)
    {
      g_mutex_unlock (&lock);
      return -1;
    }
  g_hash_table_steal (timers, GINT_TO_POINTER (id));
  destroy_source (&t->source);
  release_later (t->ff, t->opaque);
  g_mutex_unlock (&lock);
  g_free (t);
  return 0;
}

/* ---- the thread ------------------------------------------------------- */

static gpointer
event_thread (gpointer data)
{
  g_main_context_push_thread_default (context);
  for (;;)
    g_main_context_iteration (context, TRUE);
  return NULL;
}

void
lab_virt_events_register (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      context = g_main_context_new ();
      handles = g_hash_table_new (g_direct_hash, g_direct_equal);
      timers = g_hash_table_new (g_direct_hash, g_direct_equal);
      virEventRegisterImpl (add_handle, update_handle, remove_handle,
                            add_timeout, update_timeout, remove_timeout);
      g_thread_unref (g_thread_new ("libvirt-events", event_thread, NULL));
      g_once_init_leave (&once, 1);
    }
}
