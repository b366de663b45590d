/* lab-virt-events.h: libvirt's event loop on a GLib main context of its own.
 *
 * libvirt needs an event loop implementation registered before the first
 * connection for domain events and keepalives. Its default one
 * (virEventRegisterDefaultImpl) runs on GLib's global default context,
 * which belongs to the application: a GTK front end's main loop, or
 * libosinfo's synchronous calls, which iterate it too; a thread running it
 * for libvirt would take it away from them. This implementation
 * (virEventRegisterImpl) attaches libvirt's fd watches and timers to a
 * private GMainContext iterated by one dedicated thread. Callbacks run in
 * that thread; LabVirt passes what the application needs on to the
 * application's context.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Registers the implementation and starts its thread; idempotent,
 * thread-safe. Must run before the first virConnectOpen(). */
void          lab_virt_events_register    (void);
/* The context libvirt's callbacks run in (NULL before registration). */
GMainContext *lab_virt_events_get_context (void);

G_END_DECLS
