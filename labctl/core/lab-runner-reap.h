/* lab-runner-reap.h: `labctl reap -- COMMAND...` (hidden): run COMMAND as
 * a child of this process, which is the child subreaper of everything
 * COMMAND starts.
 *
 * A node's libvirtd runs under it (lab-container.c): libvirt daemonizes
 * each QEMU, so a QEMU's parent is the nearest child subreaper or PID 1.
 * Where PID 1 reaps late, a destroyed QEMU stays a zombie and libvirt
 * waits for it (about 2 s per destroy, restore or migration). As the
 * subreaper of the node's daemons, this process reaps at once.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Runs argv (NULL-terminated, argv[0] looked up in PATH) and reaps every
 * orphan reparented to this process until argv[0] exits. TERM, INT, HUP
 * and QUIT are forwarded to it. Returns its exit status (128 + the signal
 * when a signal ended it; 127 when it could not be executed), or -1 with
 * error when it could not be started. */
int lab_runner_reap_exec (char   **argv,
                          GError **error);

G_END_DECLS
