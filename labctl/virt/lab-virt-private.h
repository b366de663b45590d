/* lab-virt-private.h: what the parts of LabVirt share (lab-virt.c: the
 * object, connection, errors and events; lab-virt-network.c,
 * lab-virt-domain.c, lab-virt-snapshot.c). Not for use outside virt/. */
#pragma once

#include "lab-virt.h"

G_BEGIN_DECLS

/* Shared between the LabVirt and libvirt's event thread; freed by libvirt
 * when the callback is deregistered. */
typedef struct {
  GMutex        lock;
  GCond         cond;
  guint64       generation;   /* bumped on every lifecycle event and on cancel */
  GMainContext *context;      /* where "domain-event" is emitted */
  GWeakRef      owner;        /* the LabVirt */
} EventShared;

struct _LabVirt {
  GObject        parent_instance;
  char          *uri;
  LabRunner     *runner;        /* for qemu-img (external snapshot revert); may be NULL */
  virConnectPtr  conn;
  EventShared   *events;
  int            lifecycle_cb;   /* -1 when not registered */
};

/* libvirt's last error (of this thread) has this code. */
gboolean      lab_virt_last_error_is      (int code);
/* Its message, or "unknown libvirt error". */
const char   *lab_virt_last_error_message (void);
/* Wakes every lab_virt_wait_for_state() (an event came, or a cancel). */
void          lab_virt_event_shared_wake  (EventShared *ev);
/* "labctl lab \"OWNER\"" or "someone else (no labctl mark)", for messages. */
char         *lab_virt_foreign_owner_text (const char *owner);
/* A domain of this lab that must exist: LAB_ERROR_NOT_FOUND when absent,
 * LAB_ERROR_FOREIGN when it is not ours. */
virDomainPtr  lab_virt_lookup_existing    (LabVirt    *self,
                                           const char *name,
                                           const char *lab_name,
                                           GError    **error);
/* The overlay files of every external snapshot of dom (labctl removes
 * them with the domain). */
GPtrArray    *lab_virt_external_overlays  (virDomainPtr dom);

G_END_DECLS
