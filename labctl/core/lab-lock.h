/* lab-lock.h: one labctl at a time per lab.
 *
 * An flock(2) on <state dir>/lock, taken by every command that changes a
 * lab (the CLI takes it for the rows flagged LAB_CLI_LOCKS_LAB, before
 * their handler runs). The kernel releases it when the process dies, so a
 * SIGKILL never leaves a stale lock. The file also says who holds it (pid,
 * the time it was taken, the command), for the message a second labctl
 * prints. Readers (status, dry runs) never take it: the state file is
 * replaced atomically, so they read the old or the new state, never half
 * of one.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define LAB_LOCK_FILE_NAME "lock"

typedef struct _LabLock LabLock;

/* Takes the lock of the lab whose state directory is dir (made by
 * lab_state_prepare_dir() if missing), for command ("up", "nodes stop"), named lab_name in messages.
 * Held by another process: LAB_ERROR_BUSY naming its command, pid and
 * start time, or with wait, waits until it is free (iterating the default
 * main context, so SIGINT/SIGTERM handlers run; cancellable cancelled:
 * LAB_ERROR_CANCELLED). on_wait (may be NULL) is called once, with the
 * holder's description, when it starts waiting. */
LabLock  *lab_lock_acquire        (const char   *dir,
                                   const char   *lab_name,
                                   const char   *command,
                                   gboolean      wait,
                                   void        (*on_wait) (const char *holder, gpointer data),
                                   gpointer      data,
                                   GCancellable *cancellable,
                                   GError      **error);
/* Releases it. When the lab has no state file any more (down removed it,
 * or the command never built anything) the lock file goes, and so does the
 * directory if nothing else is in it. */
void      lab_lock_release        (LabLock      *lock);
/* "'labctl up' (pid 1234, since 2026-12-01 22:41:05)": who holds the lock
 * of dir now; NULL when nobody does. */
char     *lab_lock_describe_holder (const char  *dir);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabLock, lab_lock_release)

G_END_DECLS
