/* lab-pve-client.h: a Proxmox VE API client (libsoup3 + json-glib).
 *
 * One client talks to one node's API (https://<address>:8006/api2/json).
 * - Authentication: a ticket for root@pam (POST /access/ticket): the cookie
 *   PVEAuthCookie on every call, the header CSRFPreventionToken on writes.
 *   A 401 (expired ticket, or a node that changed its auth key when it
 *   joined a cluster) logs in again once and repeats the call. The
 *   cluster calls (create, join) are root@pam-only and refuse API tokens,
 *   so labctl never uses tokens.
 * - TLS: the node's certificate is pinned by the SHA-256 fingerprint of its
 *   DER (upper-case hex, colon-separated) recorded at install. Another
 *   certificate is refused with both fingerprints in the message, unless a
 *   cluster CA was given (lab_pve_client_set_cluster_ca) and it signed the
 *   certificate: after a join the node's certificate is re-issued by the
 *   cluster CA, which labctl fetched over the already-pinned channel.
 * - Errors: LAB_ERROR_TOOL quoting the call ("POST /cluster/config on
 *   pve1"), the HTTP status and Proxmox's message and per-parameter errors.
 *   Passwords never appear in a message.
 * - Tasks: a call that returns a UPID is followed with GET
 *   /nodes/{node}/tasks/{upid}/status until `stopped`; an exit status
 *   other than "OK" (or "WARNINGS: n") is an error quoting it and the
 *   last lines of the task's log.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "lab-plan.h"

G_BEGIN_DECLS

typedef struct _LabPveClient LabPveClient;

/* base_url: "https://<address>:8006"; fingerprint: "AA:BB:...". */
LabPveClient *lab_pve_client_new             (const char   *node,
                                              const char   *base_url,
                                              const char   *fingerprint,
                                              GError      **error);
void          lab_pve_client_free            (LabPveClient *self);

/* Credentials for root@pam (copied; the login happens on the first call). */
void          lab_pve_client_set_password    (LabPveClient *self,
                                              const char   *password);
/* Also accept a certificate signed by this CA (PEM). NULL: pin only. */
gboolean      lab_pve_client_set_cluster_ca  (LabPveClient *self,
                                              const char   *ca_pem,
                                              GError      **error);
/* The fingerprint of the certificate the node presented last (NULL before
 * the first connection). */
char         *lab_pve_client_get_peer_fingerprint (LabPveClient *self);
const char   *lab_pve_client_get_node        (LabPveClient *self);
const char   *lab_pve_client_get_base_url    (LabPveClient *self);
/* Drops the connections and the ticket (after the node restarted its API). */
void          lab_pve_client_reset           (LabPveClient *self);

gboolean      lab_pve_client_login           (LabPveClient *self,
                                              GError      **error);

/* One call. method "GET", "POST", "PUT", "DELETE"; path below /api2/json
 * ("/cluster/config"); params: NULL or key, value, ..., NULL (path
 * segments must already be in path, escaped with lab_pve_escape()).
 * Returns the response's "data" member (a JSON null node when it is null). */
JsonNode     *lab_pve_client_call            (LabPveClient       *self,
                                              const char         *method,
                                              const char         *path,
                                              const char * const *params,
                                              GError            **error);
/* A multipart upload (POST .../upload): params as above, then the file. */
JsonNode     *lab_pve_client_upload          (LabPveClient       *self,
                                              const char         *path,
                                              const char * const *params,
                                              const char         *filename,
                                              GBytes             *contents,
                                              GError            **error);

/* Follows a task until it stops. The node is taken from the UPID
 * ("UPID:node:..."). timeout_s: give up after that long (LAB_ERROR_TIMEOUT).
 * *exitstatus (may be NULL) gets the task's exit status. */
gboolean      lab_pve_client_wait_task       (LabPveClient *self,
                                              const char   *upid,
                                              guint         timeout_s,
                                              GCancellable *cancellable,
                                              char        **exitstatus,
                                              GError      **error);
/* The log of a task, line by line (GET /nodes/{node}/tasks/{upid}/log,
 * the node taken from the UPID). */
GStrv         lab_pve_client_task_log        (LabPveClient *self,
                                              const char   *upid,
                                              GError      **error);
/* SHA-256 of a certificate's DER, "AA:BB:..." (upper case). */
char         *lab_pve_fingerprint            (GTlsCertificate *cert);
/* One path segment, percent-escaped (a UPID, a volume id). */
char         *lab_pve_escape                 (const char      *segment);
/* The node a UPID belongs to ("UPID:pve1:..." gives "pve1"); NULL if it
 * is not a UPID. */
char         *lab_pve_upid_node              (const char      *upid);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabPveClient, lab_pve_client_free)

G_END_DECLS
