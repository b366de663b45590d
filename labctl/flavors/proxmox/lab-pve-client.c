/* lab-pve-client.c: the Proxmox VE API client (see lab-pve-client.h).
 *
 * The pinning is a GTlsDatabase of our own, set as the session's
 * tls-database: glib-networking asks it, and only it, whether a peer's
 * chain is acceptable, so a certificate that some system CA happens to
 * trust is still refused when it is not the pinned one. */
#include "config.h"

#include "lab-pve-client.h"

#include <libsoup/soup.h>

#include "lab-error.h"
#include "lab-i18n.h"

#define PVE_USER "root@pam"

/* ---- the pinning database ---------------------------------------------- */

#define LAB_TYPE_PVE_PIN_DATABASE (lab_pve_pin_database_get_type ())
G_DECLARE_FINAL_TYPE (LabPvePinDatabase, lab_pve_pin_database, LAB, PVE_PIN_DATABASE, GTlsDatabase)

struct _LabPvePinDatabase
{
  GTlsDatabase     parent_instance;
  GMutex           lock;
  char            *pin;        /* expected fingerprint */
  GTlsCertificate *ca;         /* cluster CA, or NULL */
  char            *last_fp;    /* what the peer presented last */
  char            *refusal;    /* why the last chain was refused, or NULL */
};

G_DEFINE_TYPE (LabPvePinDatabase, lab_pve_pin_database, G_TYPE_TLS_DATABASE)

static GTlsCertificateFlags
pin_verify_chain (GTlsDatabase *db, GTlsCertificate *chain, const char *purpose, GSocketConnectable *identity,
                  GTlsInteraction *interaction, GTlsDatabaseVerifyFlags flags, GCancellable *cancellable,
                  GError **error)
{
  LabPvePinDatabase *self = LAB_PVE_PIN_DATABASE (db);
  g_autofree char *fp = lab_pve_fingerprint (chain);
  GTlsCertificateFlags result = G_TLS_CERTIFICATE_UNKNOWN_CA;
  g_autofree char *refusal = NULL;

  g_mutex_lock (&self->lock);
  if (fp != NULL && g_ascii_strcasecmp (fp, self->pin) == 0)
    result = 0;
  else if (self->ca != NULL && g_tls_certificate_verify (chain, NULL, self->ca) == 0)
    result = 0;
  else if (self->ca != NULL)
    refusal = g_strdup_printf (_("it presented the certificate %s, which is neither the pinned one (%s) "
                                 "nor signed by the cluster's CA"),
                               fp != NULL ? fp : "?", self->pin);
  else
    refusal = g_strdup_printf (_("it presented the certificate %s, but the fingerprint recorded at install is %s"),
                               fp != NULL ? fp : "?", self->pin);
  g_free (self->last_fp);
  self->last_fp = g_steal_pointer (&fp);
  g_free (self->refusal);
  self->refusal = g_steal_pointer (&refusal);
  g_mutex_unlock (&self->lock);
  return result;
}

static void
pin_finalize (GObject *object)
{
  LabPvePinDatabase *self = LAB_PVE_PIN_DATABASE (object);

  g_free (self->pin);
  g_clear_object (&self->ca);
  g_free (self->last_fp);
  g_free (self->refusal);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (lab_pve_pin_database_parent_class)->finalize (object);
}

static void
lab_pve_pin_database_class_init (LabPvePinDatabaseClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pin_finalize;
  G_TLS_DATABASE_CLASS (klass)->verify_chain = pin_verify_chain;
}

static void
lab_pve_pin_database_init (LabPvePinDatabase *self)
{
  g_mutex_init (&self->lock);
}

/* ---- the client ---------------------------------------------------------- */

struct _LabPveClient
{
  char              *node;
  char              *base_url;
  SoupSession       *session;
  LabPvePinDatabase *db;
  char              *password;
  char              *ticket;
  char              *csrf;
};

char *
lab_pve_fingerprint (GTlsCertificate *cert)
{
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof digest;
  GString *out = g_string_new (NULL);

  g_object_get (cert, "certificate", &der, NULL);
  if (der == NULL)
    return g_string_free (out, TRUE), NULL;
  g_checksum_update (sum, der->data, der->len);
  g_checksum_get_digest (sum, digest, &len);
  for (gsize i = 0; i < len; i++)
    g_string_append_printf (out, "%s%02X", i > 0 ? ":" : "", digest[i]);
  return g_string_free (out, FALSE);
}

char *
lab_pve_escape (const char *segment)
{
  return g_uri_escape_string (segment, NULL, FALSE);
}

char *
lab_pve_upid_node (const char *upid)
{
  g_auto(GStrv) parts = NULL;

  if (upid == NULL || !g_str_has_prefix (upid, "UPID:"))
    return NULL;
  parts = g_strsplit (upid, ":", 3);
  if (g_strv_length (parts) < 3 || parts[1][0] == '\0')
    return NULL;
  return g_strdup (parts[1]);
}

static SoupSession *
new_session (LabPvePinDatabase *db)
{
  return g_object_new (SOUP_TYPE_SESSION, "tls-database", db, "timeout", 60, "idle-timeout", 30,
                       "user-agent", "labctl/" PACKAGE_VERSION, NULL);
}

LabPveClient *
lab_pve_client_new (const char *node, const char *base_url, const char *fingerprint, GError **error)
{
  LabPveClient *self;

  if (base_url == NULL || !g_str_has_prefix (base_url, "https://"))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_STATE,
                   _("Node %s has no Proxmox API address in the state (got \"%s\", want https://ADDRESS:8006); "
                     "the install step records it: run 'labctl up' again"),
                   node, base_url != NULL ? base_url : "");
      return NULL;
    }
  if (fingerprint == NULL || strlen (fingerprint) != 95)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_STATE,
                   _("Node %s has no certificate fingerprint in the state (got \"%s\", want 32 hex bytes "
                     "separated by colons); the install step records it: run 'labctl up' again"),
                   node, fingerprint != NULL ? fingerprint : "");
      return NULL;
    }
  self = g_new0 (LabPveClient, 1);
  self->node = g_strdup (node);
  self->base_url = g_strdup (base_url);
  while (g_str_has_suffix (self->base_url, "/"))
    self->base_url[strlen (self->base_url) - 1] = '\0';
  self->db = g_object_new (LAB_TYPE_PVE_PIN_DATABASE, NULL);
  self->db->pin = g_ascii_strup (fingerprint, -1);
  self->session = new_session (self->db);
  return self;
}

void
lab_pve_client_free (LabPveClient *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->session);
  g_clear_object (&self->db);
  g_free (self->node);
  g_free (self->base_url);
  if (self->password != NULL)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  g_free (self->ticket);
  g_free (self->csrf);
  g_free (self);
}

void
lab_pve_client_set_password (LabPveClient *self, const char *password)
{
  g_free (self->password);
  self->password = g_strdup (password);
  g_clear_pointer (&self->ticket, g_free);
}

gboolean
lab_pve_client_set_cluster_ca (LabPveClient *self, const char *ca_pem, GError **error)
{
  GTlsCertificate *ca = NULL;
  g_autoptr(GError) local = NULL;

  if (ca_pem != NULL)
    {
      ca = g_tls_certificate_new_from_pem (ca_pem, -1, &local);
      if (ca == NULL)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_STATE,
                       _("The cluster CA recorded for the Proxmox cluster is not a PEM certificate: %s; "
                         "run 'labctl up' again to fetch it"),
                       local->message);
          return FALSE;
        }
    }
  g_mutex_lock (&self->db->lock);
  g_clear_object (&self->db->ca);
  self->db->ca = ca;
  g_mutex_unlock (&self->db->lock);
  return TRUE;
}

char *
lab_pve_client_get_peer_fingerprint (LabPveClient *self)
{
  char *fp;

  g_mutex_lock (&self->db->lock);
  fp = g_strdup (self->db->last_fp);
  g_mutex_unlock (&self->db->lock);
  return fp;
}

const char *
lab_pve_client_get_node (LabPveClient *self)
{
  return self->node;
}

const char *
lab_pve_client_get_base_url (LabPveClient *self)
{
  return self->base_url;
}

void
lab_pve_client_reset (LabPveClient *self)
{
  soup_session_abort (self->session);
  g_clear_object (&self->session);
  self->session = new_session (self->db);
  g_clear_pointer (&self->ticket, g_free);
  g_clear_pointer (&self->csrf, g_free);
}

static char *
encode_params (const char *const *params)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; params != NULL && params[i] != NULL && params[i + 1] != NULL; i += 2)
    {
      g_autofree char *k = g_uri_escape_string (params[i], NULL, FALSE);
      g_autofree char *v = g_uri_escape_string (params[i + 1], NULL, FALSE);
      g_string_append_printf (out, "%s%s=%s", out->len > 0 ? "&" : "", k, v);
    }
  return g_string_free (out, FALSE);
}

/* Proxmox's error body: {"data": null, "errors": {"param": "why"}, "message": "..."}. */
static char *
describe_failure (SoupMessage *msg, GBytes *body)
{
  GString *out = g_string_new (NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *reason = soup_message_get_reason_phrase (msg);
  gsize size = 0;
  const char *text = body != NULL ? g_bytes_get_data (body, &size) : NULL;

  g_string_append_printf (out, "HTTP %u %s", soup_message_get_status (msg), reason != NULL ? reason : "");
  while (out->len > 0 && g_ascii_isspace (out->str[out->len - 1]))
    g_string_truncate (out, out->len - 1);
  if (text != NULL && size > 0 && json_parser_load_from_data (parser, text, size, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      JsonObject *o = json_node_get_object (json_parser_get_root (parser));
      JsonNode *errors = json_object_get_member (o, "errors");
      const char *message = json_object_get_string_member_with_default (o, "message", NULL);

      if (message != NULL && g_strstr_len (out->str, -1, message) == NULL)
        g_string_append_printf (out, ": %s", g_strstrip (g_strdup (message)));
      if (errors != NULL && JSON_NODE_HOLDS_OBJECT (errors))
        {
          g_autoptr(GList) names = json_object_get_members (json_node_get_object (errors));
          for (GList *l = names; l != NULL; l = l->next)
            {
              JsonNode *v = json_object_get_member (json_node_get_object (errors), l->data);
              g_autofree char *s = JSON_NODE_HOLDS_VALUE (v) ? g_strdup (json_node_get_string (v)) : NULL;
              g_string_append_printf (out, "%s %s: %s", l == names ? " (" : ";", (const char *) l->data,
                                      s != NULL ? g_strstrip (s) : "?");
            }
          if (names != NULL)
            g_string_append (out, ")");
        }
    }
  return g_string_free (out, FALSE);
}

/* The connection-level failure of a call, as an error naming the call. A
 * refused certificate becomes LAB_ERROR_CHECK_FAILED with the reason;
 * network errors keep their GIO domain (callers retry those while a node
 * restarts its API). */
static void
set_transport_error (LabPveClient *self, const char *what, GError *cause, GError **error)
{
  g_autofree char *refusal = NULL;

  g_mutex_lock (&self->db->lock);
  refusal = g_strdup (self->db->refusal);
  g_mutex_unlock (&self->db->lock);
  if (g_error_matches (cause, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE) && refusal != NULL)
    g_set_error (error, LAB_ERROR, LAB_ERROR_CHECK_FAILED,
                 _("%s on %s (%s) refused: %s. Either another machine answers at this address or the node "
                   "was reinstalled; check the address, or run 'labctl down' and 'labctl up' to reinstall"),
                 what, self->node, self->base_url, refusal);
  else
    g_set_error (error, cause->domain, cause->code, _("%s on %s (%s) failed: %s"), what, self->node,
                 self->base_url, cause->message);
}

/* One HTTP exchange; *status gets the HTTP status (0 on a transport error). */
static GBytes *
send_once (LabPveClient *self, SoupMessage *msg, const char *what, gboolean write, GError **error)
{
  g_autoptr(GError) local = NULL;
  GBytes *body;
  SoupMessageHeaders *h = soup_message_get_request_headers (msg);

  if (self->ticket != NULL)
    {
      g_autofree char *t = g_uri_escape_string (self->ticket, NULL, FALSE);
      g_autofree char *cookie = g_strdup_printf ("PVEAuthCookie=%s", t);
      soup_message_headers_replace (h, "Cookie", cookie);
      if (write)
        soup_message_headers_replace (h, "CSRFPreventionToken", self->csrf);
    }
  body = soup_session_send_and_read (self->session, msg, NULL, &local);
  if (body == NULL)
    set_transport_error (self, what, local, error);
  return body;
}

static JsonNode *
parse_data (LabPveClient *self, const char *what, GBytes *body, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local = NULL;
  gsize size = 0;
  const char *text = g_bytes_get_data (body, &size);
  JsonNode *root;
  JsonNode *data;

  if (!json_parser_load_from_data (parser, size > 0 ? text : "", size, &local)
      || !JSON_NODE_HOLDS_OBJECT (root = json_parser_get_root (parser)))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                   _("%s on %s (%s) answered something that is not Proxmox's JSON (%s); "
                     "check that the address is a Proxmox VE node"),
                   what, self->node, self->base_url, local != NULL ? local->message : _("not an object"));
      return NULL;
    }
  data = json_object_get_member (json_node_get_object (root), "data");
  return data != NULL ? json_node_copy (data) : json_node_new (JSON_NODE_NULL);
}

static SoupMessage *
new_message (LabPveClient *self, const char *method, const char *path, const char *const *params)
{
  g_autofree char *uri = g_strdup_printf ("%s/api2/json%s", self->base_url, path);
  g_autofree char *form = encode_params (params);
  SoupMessage *msg;

  if (g_str_equal (method, "GET") || g_str_equal (method, "DELETE"))
    {
      g_autofree char *full = form[0] != '\0' ? g_strdup_printf ("%s?%s", uri, form) : g_strdup (uri);
      msg = soup_message_new (method, full);
    }
  else
    {
      g_autoptr(GBytes) bytes = g_bytes_new_take (g_steal_pointer (&form), strlen (form));
      msg = soup_message_new (method, uri);
      if (msg != NULL)
        soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", bytes);
    }
  return msg;
}

gboolean
lab_pve_client_login (LabPveClient *self, GError **error)
{
  const char *params[] = { "username", PVE_USER, "password", self->password, NULL };
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonNode) data = NULL;
  const char *what = "POST /access/ticket";
  JsonObject *o;

  if (self->password == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_STATE,
                   _("No root password for node %s in the state; the install step records it: run 'labctl up' again"),
                   self->node);
      return FALSE;
    }
  g_clear_pointer (&self->ticket, g_free);
  g_clear_pointer (&self->csrf, g_free);
  msg = new_message (self, "POST", "/access/ticket", params);
  body = send_once (self, msg, what, TRUE, error);
  if (body == NULL)
    return FALSE;
  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    {
      g_autofree char *why = describe_failure (msg, body);
      g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                   _("Logging in as %s on %s (%s) failed: %s; the root password recorded at install was not "
                     "accepted (was it changed on the node?)"),
                   PVE_USER, self->node, self->base_url, why);
      return FALSE;
    }
  data = parse_data (self, what, body, error);
  if (data == NULL)
    return FALSE;
  o = JSON_NODE_HOLDS_OBJECT (data) ? json_node_get_object (data) : NULL;
  if (o == NULL || json_object_get_string_member_with_default (o, "ticket", NULL) == NULL
      || json_object_get_string_member_with_default (o, "CSRFPreventionToken", NULL) == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                   _("%s on %s (%s) gave no ticket and CSRFPreventionToken (a second factor set for root?)"),
                   what, self->node, self->base_url);
      return FALSE;
    }
  self->ticket = g_strdup (json_object_get_string_member (o, "ticket"));
  self->csrf = g_strdup (json_object_get_string_member (o, "CSRFPreventionToken"));
  return TRUE;
}

static JsonNode *
call_message (LabPveClient *self, const char *method, const char *path, const char *const *params,
              const char *filename, GBytes *contents, GError **error)
{
  g_autofree char *what = g_strdup_printf ("%s %s", method, path);
  gboolean write = !g_str_equal (method, "GET");

  for (int attempt = 0;; attempt++)
    {
      g_autoptr(SoupMessage) msg = NULL;
      g_autoptr(GBytes) body = NULL;
      guint status;

      if (self->ticket == NULL && !lab_pve_client_login (self, error))
        return NULL;
      if (filename != NULL)
        {
          g_autoptr(SoupMultipart) mp = soup_multipart_new ("multipart/form-data");
          g_autofree char *uri = g_strdup_printf ("%s/api2/json%s", self->base_url, path);
          for (guint i = 0; params != NULL && params[i] != NULL && params[i + 1] != NULL; i += 2)
            soup_multipart_append_form_string (mp, params[i], params[i + 1]);
          soup_multipart_append_form_file (mp, "filename", filename, "application/octet-stream", contents);
          msg = soup_message_new_from_multipart (uri, mp);
        }
      else
        msg = new_message (self, method, path, params);
      if (msg == NULL)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("%s on %s: %s/api2/json%s is not a valid URL"), what,
                       self->node, self->base_url, path);
          return NULL;
        }
      body = send_once (self, msg, what, write, error);
      if (body == NULL)
        return NULL;
      status = soup_message_get_status (msg);
      if (status == SOUP_STATUS_UNAUTHORIZED && attempt == 0)
        {
          /* The ticket expired (2 h), or the node took the cluster's key. */
          g_clear_pointer (&self->ticket, g_free);
          continue;
        }
      if (status != SOUP_STATUS_OK)
        {
          g_autofree char *why = describe_failure (msg, body);
          g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL, _("Proxmox API call %s on %s (%s) failed: %s"), what,
                       self->node, self->base_url, why);
          return NULL;
        }
      return parse_data (self, what, body, error);
    }
}

JsonNode *
lab_pve_client_call (LabPveClient *self, const char *method, const char *path, const char *const *params,
                     GError **error)
{
  return call_message (self, method, path, params, NULL, NULL, error);
}

JsonNode *
lab_pve_client_upload (LabPveClient *self, const char *path, const char *const *params, const char *filename,
                       GBytes *contents, GError **error)
{
  return call_message (self, "POST", path, params, filename, contents, error);
}

/* A network error while a node restarts its API (join). */
static gboolean
is_transient (const GError *error)
{
  return (error->domain == G_IO_ERROR && error->code != G_IO_ERROR_CANCELLED)
         || g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_EOF)
         || g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_MISC)
         || g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS)
         || g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE);
}

GStrv
lab_pve_client_task_log (LabPveClient *self, const char *upid, GError **error)
{
  g_autofree char *node = lab_pve_upid_node (upid);
  g_autofree char *esc = lab_pve_escape (upid != NULL ? upid : "");
  g_autofree char *path = g_strdup_printf ("/nodes/%s/tasks/%s/log", node != NULL ? node : self->node, esc);
  /* the API's default is 50 lines; a migration writes more */
  const char *params[] = { "start", "0", "limit", "5000", NULL };
  g_autoptr(JsonNode) data = lab_pve_client_call (self, "GET", path, params, error);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  JsonArray *a;

  if (data == NULL)
    return NULL;
  a = JSON_NODE_HOLDS_ARRAY (data) ? json_node_get_array (data) : NULL;
  for (guint i = 0; a != NULL && i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);
      const char *t = o != NULL ? json_object_get_string_member_with_default (o, "t", NULL) : NULL;

      /* "no content" is the log of a task that wrote nothing yet */
      if (t != NULL && !g_str_equal (t, "no content"))
        g_ptr_array_add (lines, g_strdup (t));
    }
  g_ptr_array_add (lines, NULL);
  return (GStrv) g_ptr_array_steal (lines, NULL);
}

#define TAIL_LINES 5

/* ": its last lines: a | b | c", or "" when the log cannot be read. The
 * text lives until the next call (one message at a time). */
static const char *
tail_text (LabPveClient *self, const char *upid)
{
  static GPrivate text = G_PRIVATE_INIT (g_free);
  g_auto(GStrv) log = lab_pve_client_task_log (self, upid, NULL);
  guint n = log != NULL ? g_strv_length (log) : 0;
  GString *out = g_string_new (NULL);

  for (guint i = n > TAIL_LINES ? n - TAIL_LINES : 0; i < n; i++)
    g_string_append_printf (out, "%s%s", out->len == 0 ? _("; its last lines: ") : " | ", log[i]);
  g_private_replace (&text, out->str);
  return g_string_free (out, FALSE);
}

gboolean
lab_pve_client_wait_task (LabPveClient *self, const char *upid, guint timeout_s, GCancellable *cancellable,
                          char **exitstatus, GError **error)
{
  g_autofree char *node = lab_pve_upid_node (upid);
  g_autofree char *esc = NULL;
  g_autofree char *path = NULL;
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;
  gulong delay_ms = 100;

  if (node == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL, _("Node %s (%s) answered \"%s\" where a task id (UPID) was expected"),
                   self->node, self->base_url, upid != NULL ? upid : "null");
      return FALSE;
    }
  esc = lab_pve_escape (upid);
  path = g_strdup_printf ("/nodes/%s/tasks/%s/status", node, esc);
  for (;;)
    {
      g_autoptr(GError) local = NULL;
      g_autoptr(JsonNode) data = lab_pve_client_call (self, "GET", path, NULL, &local);
      JsonObject *o = data != NULL && JSON_NODE_HOLDS_OBJECT (data) ? json_node_get_object (data) : NULL;

      if (data == NULL && !is_transient (local))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (o != NULL && g_strcmp0 (json_object_get_string_member_with_default (o, "status", NULL), "stopped") == 0)
        {
          const char *exit = json_object_get_string_member_with_default (o, "exitstatus", "");
          if (exitstatus != NULL)
            *exitstatus = g_strdup (exit);
          if (g_str_equal (exit, "OK") || g_str_has_prefix (exit, "WARNINGS"))
            return TRUE;
          g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                       _("Proxmox task %s on %s ended with exit status \"%s\"%s; its whole log: "
                         "pvesh get /nodes/%s/tasks/%s/log"),
                       upid, self->node, exit, tail_text (self, upid), node, esc);
          return FALSE;
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT,
                       _("Proxmox task %s on %s did not end within %u s%s%s; see its log on the node "
                         "(pvesh get /nodes/%s/tasks/%s/log)"),
                       upid, self->node, timeout_s, local != NULL ? ": " : "", local != NULL ? local->message : "",
                       node, esc);
          return FALSE;
        }
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (local != NULL)
        lab_pve_client_reset (self); /* the node restarts its API: new connection, new ticket */
      g_usleep (delay_ms * 1000);
      delay_ms = MIN (delay_ms * 2, 1000);
    }
}
