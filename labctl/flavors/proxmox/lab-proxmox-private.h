/* lab-proxmox-private.h: what the proxmox flavor's step files share and
 * nothing outside flavors/proxmox/ includes. */
#pragma once

#include "lab-iso.h"
#include "lab-proxmox.h"

G_BEGIN_DECLS

/* The recipe's ISO: a catalogue entry (*out_entry) and its place in the
 * cache, or the path of an ISO of the user's (*out_entry NULL). */
gboolean  lab_proxmox_iso              (LabContext   *ctx,
                                        LabIsoEntry **out_entry,
                                        char        **out_path,
                                        GError      **error);
/* Where the prepared ISO of the recipe's ISO is (in the ISO cache). */
char     *lab_proxmox_prepared_iso     (LabContext   *ctx);
/* <state dir>/nodes/<node>/answer.img */
char     *lab_proxmox_answer_image     (LabContext    *ctx,
                                        const LabNode *node);
void      lab_proxmox_add_prepare_step (LabPlan      *plan,
                                        LabContext   *ctx);
/* <state dir>/nodes/<node>/console.log: the node's serial console */
char     *lab_proxmox_console_log      (LabContext    *ctx,
                                        const LabNode *node);
/* The last n non-empty lines of a console log, escape sequences and
 * control characters removed ("" when there is none). */
char     *lab_proxmox_console_tail     (const char   *path,
                                        guint         n);
/* One try: address:port completes a TLS handshake (any certificate) and
 * answers an HTTP request; *out_fingerprint: the certificate's SHA-256
 * ("AA:BB:..."). */
gboolean  lab_proxmox_probe_api        (const char   *address,
                                        guint         port,
                                        GCancellable *cancellable,
                                        char        **out_fingerprint,
                                        GError      **error);

G_END_DECLS
