/* lab-pve-server.c: the contract test server (see lab-pve-server.h).
 *
 * Sources the model follows (Proxmox repositories as of the snapshots in
 * ../shared/research/proxmox-autoinstall-and-api.md; messages marked
 * "paraphrased" give the sense of Proxmox's text, not its exact words):
 * - schema checks: pve-common src/PVE/JSONSchema.pm (check_type,
 *   check_format, parse_property_string, `additionalProperties`), pve-docs
 *   api-viewer/apidata.js (the schema itself);
 * - auth: pve-manager PVE/HTTPServer.pm and pve-http-server
 *   src/PVE/APIServer/AnyEvent.pm (ticket in the PVEAuthCookie cookie,
 *   CSRFPreventionToken header on non-GET calls, 401 "permission denied -
 *   invalid PVE ticket", "invalid csrf token", tokens refused where
 *   `allowtoken` is 0: "API token not allowed"), pve-access-control
 *   src/PVE/RPCEnvironment.pm (a method without `permissions` is for
 *   root@pam only: "user != root@pam");
 * - tasks: pve-common src/PVE/RESTEnvironment.pm fork_worker and
 *   src/PVE/Tools.pm upid_encode (UPID:node:pid:pstart:starttime:type:id:user:),
 *   pve-manager PVE/API2/Tasks.pm read_task_status (status running/stopped,
 *   exitstatus "OK" or the error);
 * - cluster: pve-cluster src/PVE/API2/ClusterConfig.pm (create and join
 *   are workers `clustercreate`/`clusterjoin`; join_info returns nodelist
 *   with pve_fp and pve_addr) and src/PVE/Cluster/Setup.pm (join: the
 *   member adds the node, the node takes corosync.conf and the cluster's
 *   authkey, restarts pve-cluster, regenerates pve-ssl.pem signed by the
 *   cluster CA /etc/pve/pve-root-ca.pem and reloads pveproxy: the API
 *   drops and comes back with another certificate; a node with guests or a
 *   corosync.conf cannot join; `force` re-adds a node the member already
 *   lists); pve-manager PVE/API2/Cluster.pm (GET /cluster/status: a
 *   `cluster` entry with quorate and nodes, a `node` entry per member);
 *   pve-manager PVE/API2/Certificates.pm (certificates/info lists
 *   pve-root-ca.pem and pve-ssl.pem with their PEM and fingerprint);
 * - storage: pve-storage src/PVE/API2/Storage/Config.pm (create: "storage
 *   ID '%s' already defined"), src/PVE/Storage/ISCSIPlugin.pm (portal and
 *   target are required, content images or none), LVMPlugin.pm (vgname
 *   required; disks are LVs vm-<vmid>-disk-<n>), API2/Storage/Status.pm
 *   upload (vztmpl must be .tar.gz/.tar.xz/.tar.zst; task `imgcopy`);
 * - guests: qemu-server PVE/API2/Qemu.pm (create `qmcreate`, start
 *   `qmstart`, stop `qmstop`, destroy `qmdestroy`: only when stopped),
 *   pve-container src/PVE/API2/LXC.pm (`vzcreate` ... `vzdestroy`; the
 *   template must exist on the node's storage).
 */
#include "lab-pve-server.h"

#include <crypt.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lab-json.h"
#include "lab-pve-private.h"
#include "lab-runner.h"
#include "lab-test-fs.h"

/* How long the modelled tasks run (real ones take seconds; the client's
 * polling is the same). */
#define TASK_MS 50
#define JOIN_DROP_MS 60
#define JOIN_BACK_MS 200
#define JOIN_MS 400
/* A migration (real ones: seconds to minutes, QemuMigrate.pm). */
#define MIGRATE_MS 300
/* The HA manager, scaled down about 100 times (pve-ha-manager: the CRM
 * works every 10 s; a node whose LRM lost its lock is fenced once its
 * watchdog must have reset it, 60 s; ha-manager.adoc says "about 2
 * minutes" for the whole recovery): when a new resource is started, when
 * the services of a lost node go to `fence`, when the node counts as
 * fenced (`recovery`), and when the guest runs on its new node. */
#define HA_START_MS 200
#define HA_FENCE_MS 400
#define HA_FENCED_MS 900
#define HA_RECOVERY_MS 300

typedef struct _Node Node;
typedef struct _Task Task;

typedef struct {
  char       *cluster;     /* NULL: a standalone node's /etc/pve */
  GPtrArray  *nodelist;    /* names in corosync.conf (a half-joined node too) */
  JsonObject *storage;     /* storage.cfg: id -> options */
  GHashTable *guests;      /* vmid -> Guest */
  guint       authkey;     /* which key signs tickets */
  Node       *ca_node;     /* whose pve-root-ca.pem is the cluster's */
  GHashTable *ha;          /* sid ("vm:100") -> HaResource */
} Cfs;

/* An HA resource (pve-ha-manager: resources.cfg and the CRM's service
 * state in manager_status). */
typedef struct {
  char   *sid;
  guint   vmid;
  char   *request;         /* the configured state: "started" ... */
  char   *state;           /* the CRM's: request_start, started, migrate, fence, recovery */
  char   *target;          /* of a requested migration */
  gint64  since_us;        /* when it entered state */
  gint64  max_restart, max_relocate;
} HaResource;

typedef struct {
  guint  vmid;
  char  *kind;             /* "qemu", "lxc" */
  char  *node;
  char  *status;           /* "stopped", "running" */
  char  *name;
  char  *volid;            /* its disk on the shared LVM */
  struct _GuestExtra *extra; /* config, process, snapshots (lab-pve-server-guests.c) */
} Guest;

struct _Task {
  char       *upid;
  guint       pid;
  char       *type;
  char       *id;
  gint64      start_us, end_us;
  gint64      start_real_s; /* its starttime (real time) */
  char       *exitstatus;  /* set when stopped */
  char       *fail;        /* injected failure */
  GPtrArray  *log;         /* its log lines (GET .../tasks/{upid}/log) */
  void      (*finish) (Node *node, Task *task);
  JsonObject *args;
};

struct _Node {
  LabPveServer *server;
  char         *name, *address, *password;
  char         *listen, *answer;
  guint         port;
  SoupServer   *soup;
  char         *dir;       /* its certificate files */
  GTlsCertificate *cert;   /* what it presents now */
  char         *fp;
  char         *ca_pem;
  char         *ssl_pem;
  char         *install_fp;
  Cfs          *cfs;
  GHashTable   *templates; /* "local:vztmpl/x.tar.gz" -> size */
  GPtrArray    *tasks;
  gboolean      fail_join;
  gboolean      down;      /* API restarting, or powered off */
  gint64        off_us;    /* powered off since (monotonic); 0: on */
  GPtrArray    *sockets;   /* the connections it served (the restart closes them) */
};

typedef struct {
  char       *path;
  char      **segs;
  JsonObject *info;
} Endpoint;

struct _LabPveServer {
  GMutex        lock;
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  char         *dir;
  char         *version;
  GPtrArray    *endpoints;
  GPtrArray    *nodes;
  GPtrArray    *cfses;
  char         *iqn, *portal, *vg;
  GStrv         own_lvs;
  GPtrArray    *violations;
  GPtrArray    *calls;
  GHashTable   *tickets;    /* ticket -> csrf */
  GHashTable   *ticket_key; /* ticket -> authkey (as pointer) */
  guint         next_authkey;
  guint         logins;
  guint         pid;
  char         *fail_type, *fail_status;
  char         *vm_bridge;  /* lab_pve_server_run_vms: the VMs' QEMU on it */
  GHashTable   *vm_procs;   /* vmid -> struct _StandInVm */
  guint         vm_starts;
  GError       *start_error;
  GMutex        start_lock;
  GCond         start_cond;
  gboolean      started;
};

/* lab-pve-server-guests.c */
static char *import_path   (LabPveServer *s, const char *volid);
static void  stand_in_free (gpointer p);

/* ---- certificates (openssl, as the test's own CA) ----------------------- */

static gboolean
run_openssl (const char *dir, const char *const *argv, GError **error)
{
  int status;
  g_autofree char *err = NULL;

  if (!g_spawn_sync (dir, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                     &err, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, error))
    {
      g_prefix_error (error, "openssl %s: %s: ", argv[1], err);
      return FALSE;
    }
  return TRUE;
}

/* <name>-ca.{key,pem}: a CA as the installer makes one
 * (pve-cluster Cluster/Setup.pm gen_pveca_cert). */
static gboolean
make_ca (const char *dir, const char *name, GError **error)
{
  g_autofree char *key = g_strdup_printf ("%s-ca.key", name);
  g_autofree char *pem = g_strdup_printf ("%s-ca.pem", name);
  g_autofree char *subj = g_strdup_printf ("/CN=Proxmox Virtual Environment/OU=%s/O=PVE Cluster Manager CA", name);
  const char *argv[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                         "-nodes", "-keyout", key, "-out", pem, "-days", "3650", "-subj", subj,
                         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=keyCertSign,cRLSign",
                         NULL };
  return run_openssl (dir, argv, error);
}

/* <out>.{key,pem}: pve-ssl.pem of node, signed by <ca>-ca. */
static gboolean
make_node_cert (const char *dir, const char *name, const char *ca, const char *out, GError **error)
{
  g_autofree char *key = g_strdup_printf ("%s.key", out);
  g_autofree char *csr = g_strdup_printf ("%s.csr", out);
  g_autofree char *pem = g_strdup_printf ("%s.pem", out);
  g_autofree char *ext = g_strdup_printf ("%s.ext", out);
  g_autofree char *ext_path = g_build_filename (dir, ext, NULL);
  g_autofree char *ca_pem = g_strdup_printf ("%s-ca.pem", ca);
  g_autofree char *ca_key = g_strdup_printf ("%s-ca.key", ca);
  g_autofree char *subj = g_strdup_printf ("/OU=PVE Cluster Node/O=Proxmox Virtual Environment/CN=%s.lab", name);
  g_autofree char *serial = g_strdup_printf ("0x%08X", g_random_int ());
  const char *req[] = { "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                        "-keyout", key, "-out", csr, "-subj", subj, NULL };
  const char *sign[] = { "openssl", "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-set_serial", serial,
                         "-out", pem, "-days", "3650", "-extfile", ext, NULL };

  if (!g_file_set_contents (ext_path,
                            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                            "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n", -1, error))
    return FALSE;
  return run_openssl (dir, req, error) && run_openssl (dir, sign, error);
}

static char *cert_cache;

static void
remove_cert_cache (void)
{
  lab_test_remove_tree (cert_cache);
}

/* A node's CA and install-time certificate into dir: made once per test
 * process (openssl takes a while), copied for every server. */
static gboolean
install_certs (const char *dir, const char *name, GError **error)
{
  static char *cache;
  static const char *const suffixes[] = { "-ca.key", "-ca.pem", ".key", ".pem", NULL };
  g_autofree char *probe = NULL;

  if (cache == NULL)
    {
      cache = g_dir_make_tmp ("labctl-pve-certs-XXXXXX", error);
      if (cache == NULL)
        return FALSE;
      atexit (remove_cert_cache);
      cert_cache = cache;
    }
  probe = g_strdup_printf ("%s/%s.pem", cache, name);
  if (!g_file_test (probe, G_FILE_TEST_EXISTS)
      && (!make_ca (cache, name, error) || !make_node_cert (cache, name, name, name, error)))
    return FALSE;
  for (guint i = 0; suffixes[i] != NULL; i++)
    {
      g_autofree char *from = g_strdup_printf ("%s/%s%s", cache, name, suffixes[i]);
      g_autofree char *to = g_strdup_printf ("%s/%s%s", dir, name, suffixes[i]);
      g_autofree char *data = NULL;
      gsize len;
      if (!g_file_get_contents (from, &data, &len, error) || !g_file_set_contents (to, data, len, error))
        return FALSE;
    }
  return TRUE;
}

static char *
fingerprint (GTlsCertificate *cert)
{
  g_autoptr(GByteArray) der = NULL;
  g_autofree char *hex = NULL;
  GString *out = g_string_new (NULL);

  g_object_get (cert, "certificate", &der, NULL);
  hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
  for (guint i = 0; hex[i] != '\0'; i += 2)
    g_string_append_printf (out, "%s%c%c", i > 0 ? ":" : "", g_ascii_toupper (hex[i]), g_ascii_toupper (hex[i + 1]));
  return g_string_free (out, FALSE);
}

static gboolean
load_cert (Node *n, const char *base, GError **error)
{
  g_autofree char *pem = g_strdup_printf ("%s/%s.pem", n->server->dir, base);
  g_autofree char *key = g_strdup_printf ("%s/%s.key", n->server->dir, base);
  GTlsCertificate *cert = g_tls_certificate_new_from_files (pem, key, error);

  if (cert == NULL)
    return FALSE;
  g_clear_object (&n->cert);
  n->cert = cert;
  g_free (n->fp);
  n->fp = fingerprint (cert);
  g_free (n->ssl_pem);
  return g_file_get_contents (pem, &n->ssl_pem, NULL, error);
}

/* ---- violations and responses ------------------------------------------ */

typedef struct {
  Node        *node;      /* the node that received the call */
  Node        *target;    /* the node the call is about ({node}, or node) */
  const char  *method;
  char        *what;      /* "POST /cluster/config on pve1" */
  GHashTable  *params;    /* name -> value (path parameters too) */
  GBytes      *file;      /* multipart upload */
  JsonObject  *info;
  guint        status;
  char        *reason;
  JsonNode    *data;
  JsonObject  *errors;
  const char  *kind;      /* "qemu" or "lxc" on a guest's endpoint: one handler serves both */
} Req;

static void
violation (Req *r, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
violation (Req *r, const char *format, ...)
{
  va_list ap;
  g_autofree char *text = NULL;

  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_ptr_array_add (r->node->server->violations, g_strdup_printf ("%s: %s", r->what, text));
}

static void
fail (Req *r, guint status, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
fail (Req *r, guint status, const char *format, ...)
{
  va_list ap;

  if (r->status != 0)
    return;
  va_start (ap, format);
  g_free (r->reason);
  r->reason = g_strdup_vprintf (format, ap);
  va_end (ap);
  r->status = status;
}

static void
param_error (Req *r, const char *name, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
param_error (Req *r, const char *name, const char *format, ...)
{
  va_list ap;
  g_autofree char *text = NULL;

  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  if (r->errors == NULL)
    r->errors = json_object_new ();
  json_object_set_string_member (r->errors, name, text);
}

static void
ok (Req *r, JsonNode *data)
{
  if (r->data != NULL)
    json_node_unref (r->data);
  r->data = data != NULL ? data : json_node_new (JSON_NODE_NULL);
}

static JsonNode *
str_node (const char *s)
{
  JsonNode *n = json_node_new (JSON_NODE_VALUE);
  json_node_set_string (n, s);
  return n;
}

static const char *
param (Req *r, const char *name)
{
  return g_hash_table_lookup (r->params, name);
}

/* ---- schema checks (pve-common JSONSchema.pm) --------------------------- */

static gboolean
match_full (const char *pattern, const char *value)
{
  /* Perl's (?^:...) groups are plain non-capturing groups in PCRE. */
  g_autoptr(GString) p = g_string_new (pattern);
  g_autofree char *anchored = NULL;
  g_autoptr(GRegex) re = NULL;

  g_string_replace (p, "(?^:", "(?:", 0);
  g_string_replace (p, "(?^i:", "(?i:", 0);
  anchored = g_strdup_printf ("^(?:%s)$", p->str);
  re = g_regex_new (anchored, 0, 0, NULL);
  return re == NULL || g_regex_match (re, value, 0, NULL);
}

static gboolean
is_boolean (const char *v)
{
  const char *ok_values[] = { "0", "1", "on", "off", "yes", "no", "true", "false", NULL };
  for (guint i = 0; ok_values[i] != NULL; i++)
    if (g_ascii_strcasecmp (v, ok_values[i]) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
is_true (const char *v)
{
  return v != NULL
         && (g_str_equal (v, "1") || g_ascii_strcasecmp (v, "on") == 0 || g_ascii_strcasecmp (v, "yes") == 0
             || g_ascii_strcasecmp (v, "true") == 0);
}

static char *check_value (JsonObject *schema, const char *value);

/* A property string ("virtio,bridge=vmbr0"): every key known, each value
 * of its type (JSONSchema.pm parse_property_string). */
static char *
check_property_string (JsonObject *format, const char *value)
{
  g_auto(GStrv) parts = g_strsplit (value, ",", -1);
  const char *default_key = NULL;
  g_autoptr(GList) keys = json_object_get_members (format);

  for (GList *l = keys; l != NULL; l = l->next)
    {
      JsonNode *k = json_object_get_member (format, l->data);
      if (JSON_NODE_HOLDS_OBJECT (k)
          && json_object_get_int_member_with_default (json_node_get_object (k), "default_key", 0))
        default_key = l->data;
    }
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *eq = strchr (parts[i], '=');
      g_autofree char *key = eq != NULL ? g_strndup (parts[i], eq - parts[i]) : g_strdup (default_key);
      const char *v = eq != NULL ? eq + 1 : parts[i];
      JsonNode *k;
      g_autofree char *why = NULL;

      if (parts[i][0] == '\0')
        continue;
      if (key == NULL)
        return g_strdup_printf ("value without key, but schema does not define a default key: %s", parts[i]);
      k = json_object_get_member (format, key);
      if (k == NULL || !JSON_NODE_HOLDS_OBJECT (k))
        return g_strdup_printf ("invalid format - unknown key '%s'", key);
      if (json_object_has_member (json_node_get_object (k), "alias"))
        continue;
      why = check_value (json_node_get_object (k), v);
      if (why != NULL)
        return g_strdup_printf ("invalid format - %s: %s", key, why);
    }
  return NULL;
}

static char *
check_value (JsonObject *schema, const char *value)
{
  const char *type = json_object_get_string_member_with_default (schema, "type", "string");
  JsonNode *format = json_object_get_member (schema, "format");

  if (g_str_equal (type, "integer"))
    {
      char *end = NULL;
      gint64 v = g_ascii_strtoll (value, &end, 10);
      if (value[0] == '\0' || *end != '\0')
        return g_strdup_printf ("type check ('integer') failed - got '%s'", value);
      if (json_object_has_member (schema, "minimum") && v < json_object_get_int_member (schema, "minimum"))
        return g_strdup_printf ("value must have a minimum value of %" G_GINT64_FORMAT,
                                json_object_get_int_member (schema, "minimum"));
      if (json_object_has_member (schema, "maximum") && v > json_object_get_int_member (schema, "maximum"))
        return g_strdup_printf ("value must have a maximum value of %" G_GINT64_FORMAT,
                                json_object_get_int_member (schema, "maximum"));
    }
  else if (g_str_equal (type, "number"))
    {
      char *end = NULL;
      g_ascii_strtod (value, &end);
      if (value[0] == '\0' || *end != '\0')
        return g_strdup_printf ("type check ('number') failed - got '%s'", value);
    }
  else if (g_str_equal (type, "boolean"))
    {
      if (!is_boolean (value))
        return g_strdup_printf ("type check ('boolean') failed - got '%s'", value);
    }
  else if (g_str_equal (type, "string"))
    {
      if (json_object_has_member (schema, "maxLength")
          && (gint64) g_utf8_strlen (value, -1) > json_object_get_int_member (schema, "maxLength"))
        return g_strdup_printf ("value may only be %" G_GINT64_FORMAT " characters long",
                                json_object_get_int_member (schema, "maxLength"));
      if (json_object_has_member (schema, "minLength")
          && (gint64) g_utf8_strlen (value, -1) < json_object_get_int_member (schema, "minLength"))
        return g_strdup_printf ("value must be at least %" G_GINT64_FORMAT " characters long",
                                json_object_get_int_member (schema, "minLength"));
    }
  if (json_object_has_member (schema, "enum"))
    {
      JsonArray *e = json_object_get_array_member (schema, "enum");
      gboolean found = FALSE;
      for (guint i = 0; i < json_array_get_length (e); i++)
        found |= g_strcmp0 (json_array_get_string_element (e, i), value) == 0;
      if (!found)
        return g_strdup_printf ("value '%s' does not have a value in the enumeration", value);
    }
  if (json_object_has_member (schema, "pattern")
      && !match_full (json_object_get_string_member (schema, "pattern"), value))
    return g_strdup_printf ("value does not match the regex pattern");
  if (format != NULL && JSON_NODE_HOLDS_OBJECT (format))
    return check_property_string (json_node_get_object (format), value);
  if (format != NULL && JSON_NODE_HOLDS_VALUE (format))
    {
      const char *f = json_node_get_string (format);
      /* The formats labctl's values go through (JSONSchema.pm, Storage/Plugin.pm). */
      if (g_str_equal (f, "pve-node") && !match_full ("[a-zA-Z0-9]([a-zA-Z0-9\\-]*[a-zA-Z0-9])?", value))
        return g_strdup_printf ("value does not look like a valid node name");
      if (g_str_equal (f, "pve-storage-id") && !match_full ("[a-z][a-z0-9\\-_.]*[a-z0-9]", value))
        return g_strdup_printf ("storage ID '%s' contains illegal characters", value);
      if (g_str_equal (f, "pve-storage-content-list"))
        {
          g_auto(GStrv) c = g_strsplit (value, ",", -1);
          for (guint i = 0; c[i] != NULL; i++)
            if (!match_full ("images|rootdir|vztmpl|iso|backup|snippets|import|none", c[i]))
              return g_strdup_printf ("invalid content type '%s'", c[i]);
        }
      if (g_str_equal (f, "dns-name") && !match_full ("([a-zA-Z0-9]([a-zA-Z0-9\\-]*[a-zA-Z0-9])?)(\\.[a-zA-Z0-9]([a-zA-Z0-9\\-]*[a-zA-Z0-9])?)*", value))
        return g_strdup_printf ("value does not look like a valid DNS name");
      if (g_str_equal (f, "pve-tag-list") && !match_full ("[a-z0-9_][a-z0-9_\\-+.]*(;[a-z0-9_][a-z0-9_\\-+.]*)*", value))
        return g_strdup_printf ("invalid tag list");
    }
  return NULL;
}

/* The schema property for a parameter name ("link0" matches "link[n]"). */
static JsonObject *
find_property (JsonObject *props, const char *name)
{
  g_autoptr(GList) keys = json_object_get_members (props);

  if (json_object_has_member (props, name))
    return json_object_get_object_member (props, name);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      const char *k = l->data;
      gsize plen;
      if (!g_str_has_suffix (k, "[n]"))
        continue;
      plen = strlen (k) - 3;
      if (strncmp (name, k, plen) == 0 && name[plen] != '\0' && strspn (name + plen, "0123456789") == strlen (name + plen))
        return json_object_get_object_member (props, k);
    }
  return NULL;
}

static gboolean
check_params (Req *r)
{
  JsonObject *pschema = json_object_get_object_member (r->info, "parameters");
  JsonObject *props = pschema != NULL && json_object_has_member (pschema, "properties")
                        ? json_object_get_object_member (pschema, "properties")
                        : NULL;
  GHashTableIter it;
  gpointer k, v;
  g_autoptr(GList) names = props != NULL ? json_object_get_members (props) : NULL;

  g_hash_table_iter_init (&it, r->params);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      JsonObject *p = props != NULL ? find_property (props, k) : NULL;
      g_autofree char *why = NULL;
      if (p == NULL)
        {
          param_error (r, k, "property is not defined in schema and the schema does not allow additional properties");
          continue;
        }
      why = check_value (p, v);
      if (why != NULL)
        param_error (r, k, "%s", why);
    }
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonObject *p = json_object_get_object_member (props, l->data);
      if (g_str_has_suffix (l->data, "[n]") || json_object_get_int_member_with_default (p, "optional", 0))
        continue;
      if (!g_hash_table_contains (r->params, l->data))
        param_error (r, l->data, "property is missing and it is not optional");
    }
  if (r->errors != NULL)
    {
      g_autoptr(GList) bad = json_object_get_members (r->errors);
      for (GList *l = bad; l != NULL; l = l->next)
        violation (r, "parameter %s: %s", (const char *) l->data,
                   json_object_get_string_member (r->errors, l->data));
      fail (r, 400, "Parameter verification failed.");
      return FALSE;
    }
  return TRUE;
}

/* The modelled answer against the method's `returns` schema: the types,
 * and the members an object must have; a mismatch is the model's fault
 * and fails the tests the same way. */
static void
check_returns (Req *r, JsonObject *schema, JsonNode *value, const char *where)
{
  const char *type = json_object_get_string_member_with_default (schema, "type", NULL);
  gboolean ok = TRUE;

  if (type == NULL || value == NULL)
    return;
  if (g_str_equal (type, "null"))
    ok = JSON_NODE_HOLDS_NULL (value);
  else if (JSON_NODE_HOLDS_NULL (value))
    ok = json_object_get_int_member_with_default (schema, "optional", 0) != 0;
  else if (g_str_equal (type, "object"))
    ok = JSON_NODE_HOLDS_OBJECT (value);
  else if (g_str_equal (type, "array"))
    ok = JSON_NODE_HOLDS_ARRAY (value);
  else if (g_str_equal (type, "string"))
    ok = JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING;
  else if (g_str_equal (type, "integer"))
    ok = JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_INT64;
  else if (g_str_equal (type, "number"))
    ok = JSON_NODE_HOLDS_VALUE (value)
         && (json_node_get_value_type (value) == G_TYPE_INT64 || json_node_get_value_type (value) == G_TYPE_DOUBLE);
  else if (g_str_equal (type, "boolean"))
    ok = JSON_NODE_HOLDS_VALUE (value)
         && (json_node_get_value_type (value) == G_TYPE_BOOLEAN || json_node_get_value_type (value) == G_TYPE_INT64);
  if (!ok)
    {
      violation (r, "the test server's answer: %s is not of type %s", where, type);
      return;
    }
  if (JSON_NODE_HOLDS_OBJECT (value) && json_object_has_member (schema, "properties"))
    {
      JsonObject *props = json_object_get_object_member (schema, "properties");
      g_autoptr(GList) names = json_object_get_members (props);
      for (GList *l = names; l != NULL; l = l->next)
        {
          JsonObject *p = json_object_get_object_member (props, l->data);
          JsonNode *m = json_object_get_member (json_node_get_object (value), l->data);
          g_autofree char *sub = g_strdup_printf ("%s.%s", where, (const char *) l->data);
          if (m == NULL && !json_object_get_int_member_with_default (p, "optional", 0))
            violation (r, "the test server's answer: %s is missing", sub);
          else if (m != NULL)
            check_returns (r, p, m, sub);
        }
    }
  if (JSON_NODE_HOLDS_ARRAY (value) && json_object_has_member (schema, "items"))
    {
      JsonArray *a = json_node_get_array (value);
      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          g_autofree char *sub = g_strdup_printf ("%s[%u]", where, i);
          check_returns (r, json_object_get_object_member (schema, "items"), json_array_get_element (a, i), sub);
        }
    }
}

/* ---- the model ---------------------------------------------------------- */

static Node *
find_node (LabPveServer *s, const char *name_or_address)
{
  for (guint i = 0; i < s->nodes->len; i++)
    {
      Node *n = g_ptr_array_index (s->nodes, i);
      if (g_strcmp0 (n->name, name_or_address) == 0 || g_strcmp0 (n->address, name_or_address) == 0)
        return n;
    }
  return NULL;
}

static gboolean
is_member (Cfs *c, const char *name)
{
  for (guint i = 0; i < c->nodelist->len; i++)
    if (g_str_equal (g_ptr_array_index (c->nodelist, i), name))
      return TRUE;
  return FALSE;
}

static void
ha_resource_free (gpointer p)
{
  HaResource *h = p;
  g_free (h->sid);
  g_free (h->request);
  g_free (h->state);
  g_free (h->target);
  g_free (h);
}

static Cfs *
cfs_new (LabPveServer *s, Node *owner)
{
  Cfs *c = g_new0 (Cfs, 1);
  JsonObject *local = json_object_new ();

  c->nodelist = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (c->nodelist, g_strdup (owner->name));
  c->storage = json_object_new ();
  /* A fresh install's storage.cfg: dir "local" (pve-manager's default). */
  json_object_set_string_member (local, "type", "dir");
  json_object_set_string_member (local, "path", "/var/lib/vz");
  json_object_set_string_member (local, "content", "iso,vztmpl,backup");
  json_object_set_object_member (c->storage, "local", local);
  /* and "local-lvm", the thin pool of an ext4/xfs install (the
   * installer's default: proxmox-installer, lvmthin data on VG pve) */
  local = json_object_new ();
  json_object_set_string_member (local, "type", "lvmthin");
  json_object_set_string_member (local, "vgname", "pve");
  json_object_set_string_member (local, "thinpool", "data");
  json_object_set_string_member (local, "content", "rootdir,images");
  json_object_set_object_member (c->storage, "local-lvm", local);
  c->guests = g_hash_table_new (g_direct_hash, g_direct_equal);
  c->ha = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, ha_resource_free);
  c->authkey = ++s->next_authkey;
  c->ca_node = owner;
  g_ptr_array_add (s->cfses, c);
  return c;
}

static void guest_extra_free (struct _GuestExtra *x);
static void guests_task_done (Node *n, Task *t);

static void
guest_free (gpointer p)
{
  Guest *g = p;
  guest_extra_free (g->extra);
  g_free (g->kind);
  g_free (g->node);
  g_free (g->status);
  g_free (g->name);
  g_free (g->volid);
  g_free (g);
}

static void
cfs_free (gpointer p)
{
  Cfs *c = p;
  g_free (c->cluster);
  g_ptr_array_unref (c->nodelist);
  json_object_unref (c->storage);
  g_hash_table_destroy (c->guests);
  g_hash_table_destroy (c->ha);
  g_free (c);
}

/* A line of a task's log, as a worker writes it: with the time first
 * where Proxmox's migration code logs so (AbstractMigrate.pm log()). */
static void
task_log (Task *t, gboolean stamped, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
task_log (Task *t, gboolean stamped, const char *format, ...)
{
  va_list ap;
  g_autofree char *text = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%d %H:%M:%S ");

  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_ptr_array_add (t->log, g_strdup_printf ("%s%s", stamped ? stamp : "", text));
}

static Task *
task_new (Req *r, Node *n, const char *type, const char *id, guint ms, void (*finish) (Node *, Task *))
{
  LabPveServer *s = n->server;
  Task *t = g_new0 (Task, 1);
  gint64 now = g_get_real_time ();

  t->type = g_strdup (type);
  t->id = g_strdup (id != NULL ? id : "");
  t->start_us = g_get_monotonic_time ();
  t->start_real_s = now / G_USEC_PER_SEC;
  t->end_us = t->start_us + (gint64) ms * 1000;
  t->finish = finish;
  t->args = json_object_new ();
  t->log = g_ptr_array_new_with_free_func (g_free);
  s->pid++;
  t->pid = s->pid;
  t->upid = g_strdup_printf ("UPID:%s:%08X:%08X:%08X:%s:%s:root@pam:", n->name, s->pid, 4242 + s->pid,
                             (guint) (now / G_USEC_PER_SEC), type, t->id);
  if (s->fail_type != NULL && g_str_equal (s->fail_type, type))
    {
      t->fail = g_steal_pointer (&s->fail_status);
      g_clear_pointer (&s->fail_type, g_free);
    }
  g_ptr_array_add (n->tasks, t);
  ok (r, str_node (t->upid));
  return t;
}

static void
task_free (gpointer p)
{
  Task *t = p;
  g_free (t->upid);
  g_free (t->type);
  g_free (t->id);
  g_free (t->exitstatus);
  g_free (t->fail);
  json_object_unref (t->args);
  g_ptr_array_unref (t->log);
  g_free (t);
}

/* Tasks end when their time is up (checked whenever a call comes in). */
static void
advance_tasks (LabPveServer *s)
{
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < s->nodes->len; i++)
    {
      Node *n = g_ptr_array_index (s->nodes, i);
      for (guint j = 0; j < n->tasks->len; j++)
        {
          Task *t = g_ptr_array_index (n->tasks, j);
          if (t->exitstatus != NULL || now < t->end_us)
            continue;
          if (t->fail != NULL)
            t->exitstatus = g_strdup (t->fail);
          else
            {
              if (t->finish != NULL)
                t->finish (n, t);
              guests_task_done (n, t);
              if (t->exitstatus == NULL)
                t->exitstatus = g_strdup ("OK");
            }
          /* the worker's last line (RESTEnvironment.pm fork_worker) */
          if (g_str_equal (t->exitstatus, "OK"))
            task_log (t, FALSE, "TASK OK");
          else
            task_log (t, FALSE, "TASK ERROR: %s", t->exitstatus);
        }
    }
}

static Guest *
find_guest (Cfs *c, guint vmid)
{
  return g_hash_table_lookup (c->guests, GUINT_TO_POINTER (vmid));
}

static void
ha_set_state (HaResource *h, const char *state)
{
  g_free (h->state);
  h->state = g_strdup (state);
  h->since_us = g_get_monotonic_time ();
}

static HaResource *
ha_of (Cfs *c, guint vmid)
{
  GHashTableIter it;
  gpointer k, v;

  g_hash_table_iter_init (&it, c->ha);
  while (g_hash_table_iter_next (&it, &k, &v))
    if (((HaResource *) v)->vmid == vmid)
      return v;
  return NULL;
}

/* ---- the endpoints --------------------------------------------------------- */

/* root@pam's password on n: the one given, or the one whose SHA-512 crypt
 * hash the node's answer file holds (read at each login: the answer is
 * written after the server starts). */
static gboolean
password_ok (Node *n, const char *password)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  struct crypt_data data = { 0 };

  if (n->answer == NULL)
    return g_strcmp0 (password, n->password) == 0;
  if (password == NULL || !g_file_get_contents (n->answer, &text, NULL, NULL))
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) kv = g_strsplit (lines[i], "=", 2);
      g_autofree char *hash = NULL;
      const char *got;

      if (kv[0] == NULL || kv[1] == NULL
          || (g_strcmp0 (g_strstrip (kv[0]), "root-password-hashed") != 0
              && g_strcmp0 (kv[0], "root_password_hashed") != 0))
        continue;
      hash = g_strdup (g_strstrip (kv[1]));
      if (strlen (hash) < 2 || hash[0] != '"' || hash[strlen (hash) - 1] != '"')
        return FALSE;
      hash[strlen (hash) - 1] = '\0';
      got = crypt_r (password, hash + 1, &data);
      return got != NULL && g_str_equal (got, hash + 1);
    }
  return FALSE;
}

static void
ep_ticket (Req *r)
{
  LabPveServer *s = r->node->server;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  char *ticket, *csrf;

  if (g_strcmp0 (param (r, "username"), "root@pam") != 0 || !password_ok (r->node, param (r, "password")))
    {
      fail (r, 401, "authentication failure");
      return;
    }
  s->logins++;
  ticket = g_strdup_printf ("PVE:root@pam:%08X::%08x%08x", (guint) (g_get_real_time () / G_USEC_PER_SEC),
                            g_random_int (), g_random_int ());
  csrf = g_strdup_printf ("%08X:%08x%08x", (guint) (g_get_real_time () / G_USEC_PER_SEC), g_random_int (),
                          g_random_int ());
  g_hash_table_insert (s->tickets, g_strdup (ticket), g_strdup (csrf));
  g_hash_table_insert (s->ticket_key, g_strdup (ticket), GUINT_TO_POINTER (r->node->cfs->authkey));
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "username");
  json_builder_add_string_value (b, "root@pam");
  json_builder_set_member_name (b, "ticket");
  json_builder_add_string_value (b, ticket);
  json_builder_set_member_name (b, "CSRFPreventionToken");
  json_builder_add_string_value (b, csrf);
  if (r->node->cfs->cluster != NULL)
    {
      json_builder_set_member_name (b, "clustername");
      json_builder_add_string_value (b, r->node->cfs->cluster);
    }
  json_builder_end_object (b);
  ok (r, json_builder_get_root (b));
  g_free (ticket);
  g_free (csrf);
}

static void
ep_version (Req *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const char *v = r->node->server->version;
  g_autofree char *release = g_strndup (v, strchr (v, '.') != NULL && strchr (strchr (v, '.') + 1, '.') != NULL
                                               ? (gsize) (strchr (strchr (v, '.') + 1, '.') - v)
                                               : strlen (v));

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, v);
  json_builder_set_member_name (b, "release");
  json_builder_add_string_value (b, release);
  json_builder_set_member_name (b, "repoid");
  json_builder_add_string_value (b, "c0ffee00");
  json_builder_end_object (b);
  ok (r, json_builder_get_root (b));
}

/* GET /cluster/status (pve-manager PVE/API2/Cluster.pm): one `cluster`
 * entry when clustered, one `node` entry per member. Every modelled member
 * runs, so it is online; a name only in corosync.conf is offline. */
static void
ep_cluster_status (Req *r)
{
  Cfs *c = r->node->cfs;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  guint online = 0;

  for (guint i = 0; i < c->nodelist->len; i++)
    {
      Node *m = find_node (r->node->server, g_ptr_array_index (c->nodelist, i));
      online += m != NULL && m->cfs == c && !m->down;
    }
  json_builder_begin_array (b);
  if (c->cluster != NULL)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, "cluster");
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, "cluster");
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, c->cluster);
      json_builder_set_member_name (b, "nodes");
      json_builder_add_int_value (b, c->nodelist->len);
      json_builder_set_member_name (b, "quorate");
      json_builder_add_int_value (b, online * 2 > c->nodelist->len);
      json_builder_set_member_name (b, "version");
      json_builder_add_int_value (b, c->nodelist->len);
      json_builder_end_object (b);
    }
  for (guint i = 0; i < c->nodelist->len; i++)
    {
      const char *name = g_ptr_array_index (c->nodelist, i);
      Node *m = find_node (r->node->server, name);
      g_autofree char *id = g_strdup_printf ("node/%s", name);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, "node");
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, id);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, name);
      json_builder_set_member_name (b, "ip");
      json_builder_add_string_value (b, m != NULL ? m->address : "");
      json_builder_set_member_name (b, "local");
      json_builder_add_int_value (b, m == r->node);
      json_builder_set_member_name (b, "nodeid");
      json_builder_add_int_value (b, c->cluster != NULL ? i + 1 : 0);
      json_builder_set_member_name (b, "online");
      json_builder_add_int_value (b, m != NULL && m->cfs == c && !m->down);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  ok (r, json_builder_get_root (b));
}

static void
finish_create (Node *n, Task *t)
{
  Cfs *c = n->cfs;

  if (c->cluster != NULL)
    {
      t->exitstatus = g_strdup ("cluster config '/etc/pve/corosync.conf' already exists");
      return;
    }
  c->cluster = g_strdup (json_object_get_string_member (t->args, "clustername"));
}

static void
ep_cluster_create (Req *r)
{
  Task *t;

  if (r->node->cfs->cluster != NULL)
    {
      fail (r, 500, "cluster config '/etc/pve/corosync.conf' already exists");
      return;
    }
  t = task_new (r, r->node, "clustercreate", param (r, "clustername"), TASK_MS, finish_create);
  json_object_set_string_member (t->args, "clustername", param (r, "clustername"));
}

/* GET /cluster/config/join on a member: what a joining node needs. */
static void
ep_join_info (Req *r)
{
  Cfs *c = r->node->cfs;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (c->cluster == NULL)
    {
      fail (r, 500, "node is not in a cluster, no join info available!");
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "config_digest");
  json_builder_add_string_value (b, "0123456789abcdef0123456789abcdef01234567");
  json_builder_set_member_name (b, "preferred_node");
  json_builder_add_string_value (b, r->node->name);
  json_builder_set_member_name (b, "totem");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "cluster_name");
  json_builder_add_string_value (b, c->cluster);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "nodelist");
  json_builder_begin_array (b);
  for (guint i = 0; i < c->nodelist->len; i++)
    {
      Node *m = find_node (r->node->server, g_ptr_array_index (c->nodelist, i));
      if (m == NULL)
        continue;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, m->name);
      json_builder_set_member_name (b, "nodeid");
      json_builder_add_int_value (b, i + 1);
      json_builder_set_member_name (b, "pve_addr");
      json_builder_add_string_value (b, m->address);
      json_builder_set_member_name (b, "pve_fp");
      json_builder_add_string_value (b, m->fp);
      json_builder_set_member_name (b, "quorum_votes");
      json_builder_add_int_value (b, 1);
      json_builder_set_member_name (b, "ring0_addr");
      json_builder_add_string_value (b, m->address);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  ok (r, json_builder_get_root (b));
}

static void
ep_cluster_nodes (Req *r)
{
  Cfs *c = r->node->cfs;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  for (guint i = 0; c->cluster != NULL && i < c->nodelist->len; i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "node");
      json_builder_add_string_value (b, g_ptr_array_index (c->nodelist, i));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  ok (r, json_builder_get_root (b));
}

static gboolean listen_node (Node *n, GError **error);

/* The join's restart: pveproxy stops (the connection drops) ... */
static gboolean
join_drop (gpointer data)
{
  Node *n = data;

  g_mutex_lock (&n->server->lock);
  n->down = TRUE;
  soup_server_disconnect (n->soup);
  g_clear_object (&n->soup);
  /* pveproxy's processes exit: every open connection ends */
  for (guint i = 0; i < n->sockets->len; i++)
    g_socket_shutdown (n->sockets->pdata[i], TRUE, TRUE, NULL);
  g_ptr_array_set_size (n->sockets, 0);
  g_mutex_unlock (&n->server->lock);
  return G_SOURCE_REMOVE;
}

/* ... and comes back with the certificate the cluster CA signed. */
static gboolean
join_back (gpointer data)
{
  Node *n = data;
  g_autoptr(GError) error = NULL;
  LabPveServer *s = n->server;
  Cfs *c;

  g_mutex_lock (&s->lock);
  c = n->cfs;
  g_autofree char *out = g_strdup_printf ("%s-joined", n->name);
  if (!make_node_cert (s->dir, n->name, c->ca_node->name, out, &error) || !load_cert (n, out, &error)
      || !listen_node (n, &error))
    g_ptr_array_add (s->violations, g_strdup_printf ("test server: restarting %s: %s", n->name, error->message));
  n->down = FALSE;
  g_mutex_unlock (&s->lock);
  return G_SOURCE_REMOVE;
}

static void
schedule (LabPveServer *s, guint ms, GSourceFunc func, gpointer data)
{
  GSource *src = g_timeout_source_new (ms);
  g_source_set_callback (src, func, data, NULL);
  g_source_attach (src, s->context);
  g_source_unref (src);
}

/* POST /cluster/config/join on the joining node (Setup.pm join). */
static void
ep_join (Req *r)
{
  LabPveServer *s = r->node->server;
  Node *n = r->node;
  Node *m = find_node (s, param (r, "hostname"));
  Task *t;

  if (n->cfs->cluster != NULL)
    {
      fail (r, 500, "detected error: corosync config '/etc/pve/corosync.conf' already exists (paraphrased)");
      return;
    }
  if (g_hash_table_size (n->cfs->guests) > 0)
    {
      fail (r, 500, "this host already contains virtual guests");
      return;
    }
  if (m == NULL || m == n || m->cfs->cluster == NULL)
    {
      fail (r, 500, "unable to join: '%s' is not a cluster member (paraphrased)", param (r, "hostname"));
      return;
    }
  if (g_ascii_strcasecmp (param (r, "fingerprint"), m->fp) != 0)
    {
      fail (r, 500, "fingerprint mismatch for %s: got %s, the member presents %s (paraphrased)", m->name,
            param (r, "fingerprint"), m->fp);
      return;
    }
  if (!password_ok (m, param (r, "password")))
    {
      fail (r, 500, "401 authentication failure (login to %s as root@pam)", m->name);
      return;
    }
  if (is_member (m->cfs, n->name) && !is_true (param (r, "force")))
    {
      t = task_new (r, n, "clusterjoin", NULL, TASK_MS, NULL);
      t->fail = g_strdup_printf ("can't add existing node '%s' (paraphrased; join with force=1)", n->name);
      return;
    }
  if (!is_member (m->cfs, n->name))
    g_ptr_array_add (m->cfs->nodelist, g_strdup (n->name));
  if (n->fail_join)
    {
      n->fail_join = FALSE;
      t = task_new (r, n, "clusterjoin", NULL, TASK_MS, NULL);
      t->fail = g_strdup ("starting pve-cluster failed: modelled fault half-way through the join (paraphrased)");
      return;
    }
  t = task_new (r, n, "clusterjoin", NULL, JOIN_MS, NULL);
  /* The node takes the cluster's /etc/pve now: its auth key, storage.cfg. */
  n->cfs = m->cfs;
  schedule (s, JOIN_DROP_MS, join_drop, n);
  schedule (s, JOIN_BACK_MS, join_back, n);
}

static Task *
find_task (Node *n, const char *upid)
{
  for (guint i = 0; i < n->tasks->len; i++)
    if (g_str_equal (((Task *) g_ptr_array_index (n->tasks, i))->upid, upid))
      return g_ptr_array_index (n->tasks, i);
  return NULL;
}

static void
ep_task_status (Req *r)
{
  Task *t = find_task (r->target, param (r, "upid"));
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (t == NULL)
    {
      fail (r, 500, "no such task");
      return;
    }
  json_builder_begin_object (b);
  lab_json_member_string (b, "upid", t->upid);
  lab_json_member_string (b, "node", r->target->name);
  lab_json_member_string (b, "type", t->type);
  lab_json_member_string (b, "id", t->id);
  lab_json_member_string (b, "user", "root@pam");
  lab_json_member_int (b, "starttime", t->start_us / G_USEC_PER_SEC);
  lab_json_member_int (b, "pid", t->pid);
  lab_json_member_int (b, "pstart", 4242 + t->pid);
  lab_json_member_string (b, "status", t->exitstatus != NULL ? "stopped" : "running");
  if (t->exitstatus != NULL)
    lab_json_member_string (b, "exitstatus", t->exitstatus);
  json_builder_end_object (b);
  ok (r, json_builder_get_root (b));
}

static void
ep_certificates (Req *r)
{
  Node *n = r->target;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  Node *ca = n->cfs->ca_node;
  g_autoptr(GTlsCertificate) ca_cert = g_tls_certificate_new_from_pem (ca->ca_pem, -1, NULL);
  g_autofree char *ca_fp = ca_cert != NULL ? fingerprint (ca_cert) : g_strdup ("");

  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "filename");
  json_builder_add_string_value (b, "pve-root-ca.pem");
  json_builder_set_member_name (b, "fingerprint");
  json_builder_add_string_value (b, ca_fp);
  json_builder_set_member_name (b, "pem");
  json_builder_add_string_value (b, ca->ca_pem);
  json_builder_end_object (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "filename");
  json_builder_add_string_value (b, "pve-ssl.pem");
  json_builder_set_member_name (b, "fingerprint");
  json_builder_add_string_value (b, n->fp);
  json_builder_set_member_name (b, "pem");
  json_builder_add_string_value (b, n->ssl_pem);
  json_builder_end_object (b);
  json_builder_end_array (b);
  ok (r, json_builder_get_root (b));
}

/* Storage (pve-storage API2/Storage/Config.pm and the plugins). */
static void
ep_storage_create (Req *r)
{
  Cfs *c = r->node->cfs;
  const char *id = param (r, "storage");
  const char *type = param (r, "type");
  JsonObject *o;
  GHashTableIter it;
  gpointer k, v;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (json_object_has_member (c->storage, id))
    {
      fail (r, 500, "create storage failed: storage ID '%s' already defined", id);
      return;
    }
  if (g_str_equal (type, "iscsi"))
    {
      if (param (r, "portal") == NULL)
        param_error (r, "portal", "property is missing and it is not optional");
      if (param (r, "target") == NULL)
        param_error (r, "target", "property is missing and it is not optional");
      if (param (r, "vgname") != NULL)
        param_error (r, "vgname", "unexpected property");
    }
  else if (g_str_equal (type, "lvm"))
    {
      if (param (r, "vgname") == NULL)
        param_error (r, "vgname", "property is missing and it is not optional");
      if (param (r, "portal") != NULL || param (r, "target") != NULL)
        param_error (r, "portal", "unexpected property");
    }
  else if (g_str_equal (type, "dir"))
    {
      /* (pve-storage DirPlugin: path is fixed and required) */
      if (param (r, "path") == NULL)
        param_error (r, "path", "property is missing and it is not optional");
      if (param (r, "vgname") != NULL || param (r, "portal") != NULL || param (r, "target") != NULL)
        param_error (r, "path", "unexpected property");
    }
  else
    param_error (r, "type", "labctl's contract covers iscsi, lvm and dir only");
  if (r->errors != NULL)
    {
      violation (r, "storage options do not fit type %s", type);
      fail (r, 400, "Parameter verification failed.");
      return;
    }
  if (g_str_equal (type, "lvm") && param (r, "base") == NULL)
    {
      /* Without base the VG must already be visible: it is, once an iscsi
       * storage names the lab's portal and target. */
      gboolean visible = FALSE;
      g_autoptr(GList) ids = json_object_get_members (c->storage);
      for (GList *l = ids; l != NULL; l = l->next)
        {
          JsonObject *s = json_object_get_object_member (c->storage, l->data);
          visible |= g_strcmp0 (json_object_get_string_member_with_default (s, "type", ""), "iscsi") == 0
                     && g_strcmp0 (json_object_get_string_member_with_default (s, "target", ""), r->node->server->iqn) == 0
                     && g_str_has_prefix (json_object_get_string_member_with_default (s, "portal", ""),
                                          r->node->server->portal);
        }
      if (!visible || !g_str_equal (param (r, "vgname"), r->node->server->vg))
        {
          fail (r, 500, "create storage failed: volume group '%s' not found (no iscsi storage for the lab's target)",
                param (r, "vgname"));
          return;
        }
    }
  o = json_object_new ();
  g_hash_table_iter_init (&it, r->params);
  while (g_hash_table_iter_next (&it, &k, &v))
    if (!g_str_equal (k, "storage"))
      json_object_set_string_member (o, k, v);
  json_object_set_object_member (c->storage, id, o);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "storage");
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  json_builder_end_object (b);
  ok (r, json_builder_get_root (b));
}

static void
ep_storage_get (Req *r)
{
  Cfs *c = r->node->cfs;
  const char *id = param (r, "storage");

  if (!json_object_has_member (c->storage, id))
    {
      fail (r, 500, "storage '%s' does not exist", id);
      return;
    }
  ok (r, json_node_copy (json_object_get_member (c->storage, id)));
  json_object_set_string_member (json_node_get_object (r->data), "storage", id);
}

static void
ep_storage_delete (Req *r)
{
  Cfs *c = r->node->cfs;
  const char *id = param (r, "storage");

  if (!json_object_has_member (c->storage, id))
    {
      fail (r, 500, "delete storage failed: storage '%s' does not exist", id);
      return;
    }
  json_object_remove_member (c->storage, id);
  ok (r, NULL);
}

static void
ep_storage_list (Req *r)
{
  Cfs *c = r->node->cfs;
  g_autoptr(GList) ids = json_object_get_members (c->storage);
  JsonArray *a = json_array_new ();
  JsonNode *n = json_node_new (JSON_NODE_ARRAY);

  for (GList *l = ids; l != NULL; l = l->next)
    {
      JsonNode *copy = json_node_copy (json_object_get_member (c->storage, l->data));
      json_object_set_string_member (json_node_get_object (copy), "storage", l->data);
      json_array_add_element (a, copy);
    }
  json_node_take_array (n, a);
  ok (r, n);
}

static JsonObject *
storage_of (Req *r, const char *id)
{
  JsonNode *s = json_object_get_member (r->target->cfs->storage, id);
  return s != NULL ? json_node_get_object (s) : NULL;
}

static void
ep_content_list (Req *r)
{
  const char *id = param (r, "storage");
  JsonArray *a = json_array_new ();
  JsonNode *out = json_node_new (JSON_NODE_ARRAY);
  GHashTableIter it;
  gpointer k, v;

  if (storage_of (r, id) == NULL)
    {
      json_array_unref (a);
      json_node_unref (out);
      fail (r, 500, "storage '%s' does not exist", id);
      return;
    }
  /* the node's own files on this storage: templates, import images */
  g_hash_table_iter_init (&it, r->target->templates);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      const char *volid = k;
      gboolean import = strstr (volid, ":import/") != NULL;
      JsonObject *o;

      if (!g_str_has_prefix (volid, id) || volid[strlen (id)] != ':')
        continue;
      o = json_object_new ();
      json_object_set_string_member (o, "volid", volid);
      json_object_set_string_member (o, "content", import ? "import" : "vztmpl");
      json_object_set_string_member (o, "format", import ? "raw" : "tgz");
      json_object_set_int_member (o, "size", GPOINTER_TO_SIZE (v));
      json_array_add_object_element (a, o);
    }
  g_hash_table_iter_init (&it, r->target->cfs->guests);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      Guest *g = v;
      if (g->volid != NULL && g_str_has_prefix (g->volid, id) && g->volid[strlen (id)] == ':')
        {
          JsonObject *o = json_object_new ();
          json_object_set_string_member (o, "volid", g->volid);
          json_object_set_string_member (o, "content", g_str_equal (g->kind, "qemu") ? "images" : "rootdir");
          json_object_set_string_member (o, "format", "raw");
          json_object_set_int_member (o, "vmid", g->vmid);
          json_array_add_object_element (a, o);
        }
    }
  json_node_take_array (out, a);
  ok (r, out);
}

static void
ep_content_delete (Req *r)
{
  const char *volume = param (r, "volume");
  g_autofree char *volid = strchr (volume, ':') != NULL ? g_strdup (volume)
                                                        : g_strdup_printf ("%s:%s", param (r, "storage"), volume);

  for (guint i = 0; r->node->server->own_lvs != NULL && r->node->server->own_lvs[i] != NULL; i++)
    if (g_str_has_suffix (volid, r->node->server->own_lvs[i]))
      violation (r, "deletes %s, a node's own LV", volid);
  if (!g_hash_table_remove (r->target->templates, volid))
    {
      fail (r, 500, "volume '%s' does not exist (paraphrased)", volid);
      return;
    }
  ok (r, NULL);
}

/* A gzip'ed tar: does it hold path? (what pct create would unpack) */
static gboolean
tar_gz_has (GBytes *file, const char *path)
{
  g_autoptr(GZlibDecompressor) z = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  g_autoptr(GInputStream) raw = g_memory_input_stream_new_from_bytes (file);
  g_autoptr(GInputStream) in = g_converter_input_stream_new (raw, G_CONVERTER (z));
  guint8 header[512];
  gsize got;

  while (g_input_stream_read_all (in, header, sizeof header, &got, NULL, NULL) && got == sizeof header)
    {
      char name[101] = { 0 };
      char size_text[13] = { 0 };
      guint64 size;
      const char *n;

      if (header[0] == '\0')
        return FALSE;
      memcpy (name, header, 100);
      memcpy (size_text, header + 124, 12);
      size = g_ascii_strtoull (size_text, NULL, 8);
      n = g_str_has_prefix (name, "./") ? name + 2 : name;
      if (g_str_equal (n, path))
        return TRUE;
      /* read, not skip: GConverterInputStream would skip compressed bytes */
      for (guint64 left = (size + 511) / 512 * 512; left > 0;)
        {
          guint8 buf[65536];
          gssize n = g_input_stream_read (in, buf, MIN (left, sizeof buf), NULL, NULL);
          if (n <= 0)
            return FALSE;
          left -= n;
        }
    }
  return FALSE;
}

static void
finish_upload (Node *n, Task *t)
{
  g_hash_table_insert (n->templates, g_strdup (json_object_get_string_member (t->args, "volid")),
                       GSIZE_TO_POINTER (json_object_get_int_member (t->args, "size")));
}

/* The upload's file name has the extension its content takes (FALSE:
 * answered, a 400 and a violation). */
static gboolean
filename_fits (Req *r, const char *pattern, const char *message, const char *what)
{
  if (match_full (pattern, param (r, "filename")))
    return TRUE;
  param_error (r, "filename", "%s", message);
  violation (r, "%s file name %s", what, param (r, "filename"));
  fail (r, 400, "Parameter verification failed.");
  return FALSE;
}

static void
ep_upload (Req *r)
{
  const char *filename = param (r, "filename");
  g_autofree char *volid = NULL;
  Task *t;

  if (r->file == NULL)
    {
      violation (r, "no file in the upload");
      fail (r, 400, "Parameter verification failed.");
      return;
    }
  if (g_str_equal (param (r, "content"), "import"))
    {
      /* an image for import-from (pve-storage Status.pm upload: content
       * import takes a disk image or an OVA by its extension; paraphrased) */
      JsonObject *st = storage_of (r, param (r, "storage"));
      const char *content = st != NULL ? json_object_get_string_member_with_default (st, "content", "") : "";
      g_auto(GStrv) types = g_strsplit (content, ",", -1);
      gsize size = g_bytes_get_size (r->file);
      const guint8 *data = g_bytes_get_data (r->file, NULL);

      if (st == NULL || !g_strv_contains ((const char *const *) types, "import"))
        {
          fail (r, 500, "storage '%s' does not support content type 'import' (paraphrased)", param (r, "storage"));
          return;
        }
      if (!filename_fits (r, "[^/]+\\.(ova|qcow2|raw|vmdk)", "invalid filename or wrong extension", "import"))
        return;
      /* labctl's contract: a raw disk a BIOS boots (a boot sector) */
      if (!g_str_has_suffix (filename, ".raw") || size < 512 || size % 512 != 0 || data[510] != 0x55
          || data[511] != 0xaa)
        violation (r, "the image %s is no raw disk with a boot sector", filename);
      volid = g_strdup_printf ("%s:import/%s", param (r, "storage"), filename);
      if (r->node->server->vm_bridge != NULL)
        {
          /* kept for the stand-in's QEMU (lab-pve-server-guests.c) */
          g_autofree char *keep = import_path (r->node->server, volid);
          g_file_set_contents (keep, (const char *) data, size, NULL);
        }
    }
  else
    {
      if (!g_str_equal (param (r, "storage"), "local") || !g_str_equal (param (r, "content"), "vztmpl"))
        {
          fail (r, 500, "storage '%s' does not support content type '%s' (paraphrased)", param (r, "storage"),
                param (r, "content"));
          return;
        }
      if (!filename_fits (r, "[^/]+\\.tar\\.(gz|xz|zst)", "wrong file extension", "template"))
        return;
      if (!tar_gz_has (r->file, "sbin/init"))
        violation (r, "the template %s is no gzip'ed tar with sbin/init", filename);
      volid = g_strdup_printf ("local:vztmpl/%s", filename);
    }
  t = task_new (r, r->target, "imgcopy", NULL, TASK_MS, finish_upload);
  json_object_set_string_member (t->args, "volid", volid);
  json_object_set_int_member (t->args, "size", g_bytes_get_size (r->file));
}

static void
finish_guest_create (Node *n, Task *t)
{
  Guest *g = g_new0 (Guest, 1);

  g->vmid = json_object_get_int_member (t->args, "vmid");
  g->kind = g_strdup (json_object_get_string_member (t->args, "kind"));
  g->node = g_strdup (n->name);
  g->status = g_strdup ("stopped");
  g->name = g_strdup (json_object_get_string_member_with_default (t->args, "name", ""));
  g->volid = g_strdup (json_object_get_string_member (t->args, "volid"));
  g_hash_table_insert (n->cfs->guests, GUINT_TO_POINTER (g->vmid), g);
}

/* "store:size[,opts]" on a storage that takes content on this node. */
static char *
allocate_disk (Req *r, const char *spec, const char *content, guint vmid)
{
  g_auto(GStrv) parts = g_strsplit (spec, ",", 2);
  g_auto(GStrv) ss = g_strsplit (parts[0], ":", 2);
  JsonObject *s;

  g_autofree char *import_from = NULL;

  if (ss[1] == NULL || strspn (ss[1], "0123456789.") != strlen (ss[1]))
    {
      fail (r, 500, "unable to parse volume '%s' (want STORAGE:SIZE_GiB)", spec);
      return NULL;
    }
  if (parts[1] != NULL)
    {
      g_auto(GStrv) opts = g_strsplit (parts[1], ",", -1);
      for (guint i = 0; opts[i] != NULL; i++)
        if (g_str_has_prefix (opts[i], "import-from="))
          import_from = g_strdup (opts[i] + strlen ("import-from="));
    }
  /* qemu-server: size 0 means "import", and import-from a volume the
   * node has (its file on a storage with content import; paraphrased) */
  if (import_from != NULL || g_strcmp0 (ss[1], "0") == 0)
    {
      if (import_from == NULL || g_strcmp0 (ss[1], "0") != 0)
        {
          fail (r, 500, "unable to parse volume '%s': import-from goes with the size 0, and the size 0 with "
                "import-from (paraphrased)", spec);
          return NULL;
        }
      if (!g_str_equal (content, "images") || !g_hash_table_contains (r->target->templates, import_from)
          || strstr (import_from, ":import/") == NULL)
        {
          fail (r, 500, "volume '%s' does not exist (paraphrased)", import_from);
          return NULL;
        }
    }
  s = storage_of (r, ss[0]);
  if (s == NULL)
    {
      fail (r, 500, "storage '%s' does not exist", ss[0]);
      return NULL;
    }
  if (strstr (json_object_get_string_member_with_default (s, "content", ""), content) == NULL)
    {
      fail (r, 500, "storage '%s' does not support %s content (paraphrased)", ss[0], content);
      return NULL;
    }
  if (!g_str_equal (json_object_get_string_member_with_default (s, "type", ""), "lvm")
      && !g_str_equal (json_object_get_string_member_with_default (s, "type", ""), "lvmthin"))
    violation (r, "disk on storage %s of type %s: labctl puts guest disks on the shared LVM", ss[0],
               json_object_get_string_member_with_default (s, "type", ""));
  return g_strdup_printf ("%s:vm-%u-disk-0", ss[0], vmid);
}

static void
ep_guest_create (Req *r)
{
  const char *kind = r->kind;
  guint vmid = g_ascii_strtoull (param (r, "vmid"), NULL, 10);
  gboolean qemu = g_str_equal (kind, "qemu");
  const char *disk = qemu ? param (r, "scsi0") : param (r, "rootfs");
  g_autofree char *volid = NULL;
  Task *t;

  if (find_guest (r->target->cfs, vmid) != NULL)
    {
      fail (r, 500, "unable to create %s %u: config file already exists (paraphrased)", qemu ? "VM" : "CT", vmid);
      return;
    }
  if (!qemu && !g_hash_table_contains (r->target->templates, param (r, "ostemplate")))
    {
      fail (r, 500, "volume '%s' does not exist", param (r, "ostemplate"));
      return;
    }
  if (disk == NULL)
    {
      violation (r, "a guest without a disk on the shared storage");
      fail (r, 500, "no disk");
      return;
    }
  volid = allocate_disk (r, disk, qemu ? "images" : "rootdir", vmid);
  if (volid == NULL)
    return;
  t = task_new (r, r->target, qemu ? "qmcreate" : "vzcreate", param (r, "vmid"), TASK_MS, finish_guest_create);
  json_object_set_int_member (t->args, "vmid", vmid);
  json_object_set_string_member (t->args, "kind", kind);
  json_object_set_string_member (t->args, "volid", volid);
  json_object_set_string_member (t->args, "name", qemu ? param (r, "name") : param (r, "hostname"));
}


static Guest *
guest_here (Req *r, const char *kind)
{
  guint vmid = g_ascii_strtoull (param (r, "vmid"), NULL, 10);
  Guest *g = find_guest (r->target->cfs, vmid);

  if (g == NULL || !g_str_equal (g->kind, kind) || !g_str_equal (g->node, r->target->name))
    {
      fail (r, 500, "Configuration file 'nodes/%s/%s/%u.conf' does not exist", r->target->name,
            g_str_equal (kind, "qemu") ? "qemu-server" : "lxc", vmid);
      return NULL;
    }
  return g;
}

static void
finish_power (Node *n, Task *t)
{
  Guest *g = find_guest (n->cfs, json_object_get_int_member (t->args, "vmid"));

  if (g != NULL)
    {
      g_free (g->status);
      g->status = g_strdup (json_object_get_string_member (t->args, "status"));
    }
}

static void
finish_destroy (Node *n, Task *t)
{
  guint vmid = json_object_get_int_member (t->args, "vmid");
  Guest *g = find_guest (n->cfs, vmid);

  g_hash_table_remove (n->cfs->guests, GUINT_TO_POINTER (vmid));
  if (g != NULL)
    guest_free (g);
}

static void
ep_guest_status (Req *r)
{
  Guest *g = guest_here (r, r->kind);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (g == NULL)
    return;
  json_builder_begin_object (b);
  lab_json_member_int (b, "vmid", g->vmid);
  lab_json_member_string (b, "status", g->status);
  lab_json_member_string (b, "name", g->name);
  json_builder_end_object (b);
  ok (r, json_builder_get_root (b));
}

static void
ep_guest_power (Req *r, const char *to)
{
  const char *kind = r->kind;
  Guest *g = guest_here (r, kind);
  Task *t;
  char type[16];

  if (g == NULL)
    return;
  g_snprintf (type, sizeof type, "%s%s", g_str_equal (kind, "qemu") ? "qm" : "vz",
              g_str_equal (to, "running") ? "start" : "stop");
  if (g_str_equal (to, "running") && g_str_equal (g->status, "running"))
    {
      fail (r, 500, "VM %u already running", g->vmid);
      return;
    }
  t = task_new (r, r->target, type, param (r, "vmid"), TASK_MS, finish_power);
  json_object_set_int_member (t->args, "vmid", g->vmid);
  json_object_set_string_member (t->args, "status", to);
}

static void ep_guest_start (Req *r) { ep_guest_power (r, "running"); }
static void ep_guest_stop (Req *r) { ep_guest_power (r, "stopped"); }

static void
ep_guest_destroy (Req *r)
{
  const char *kind = r->kind;
  Guest *g = guest_here (r, kind);
  Task *t;

  if (g == NULL)
    return;
  if (g_str_equal (g->status, "running"))
    {
      fail (r, 500, "%s %u is running - destroy failed", g_str_equal (kind, "qemu") ? "VM" : "CT", g->vmid);
      return;
    }
  /* Qemu.pm destroy_vm, LXC.pm destroy_vm */
  if (ha_of (r->target->cfs, g->vmid) != NULL && !is_true (param (r, "purge")))
    {
      fail (r, 500, "unable to remove %s %u - used in HA resources and purge parameter not set.",
            g_str_equal (kind, "qemu") ? "VM" : "CT", g->vmid);
      return;
    }
  t = task_new (r, r->target, g_str_equal (kind, "qemu") ? "qmdestroy" : "vzdestroy", param (r, "vmid"), TASK_MS,
                finish_destroy);
  json_object_set_int_member (t->args, "vmid", g->vmid);
}


static void
ep_resources (Req *r)
{
  GHashTableIter it;
  gpointer k, v;
  JsonArray *a = json_array_new ();
  JsonNode *out = json_node_new (JSON_NODE_ARRAY);

  g_hash_table_iter_init (&it, r->node->cfs->guests);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      Guest *g = v;
      JsonObject *o = json_object_new ();
      g_autofree char *id = g_strdup_printf ("%s/%u", g->kind, g->vmid);
      json_object_set_string_member (o, "id", id);
      json_object_set_string_member (o, "type", g->kind);
      json_object_set_int_member (o, "vmid", g->vmid);
      json_object_set_string_member (o, "node", g->node);
      json_object_set_string_member (o, "status", g->status);
      json_object_set_string_member (o, "name", g->name);
      json_array_add_object_element (a, o);
    }
  json_node_take_array (out, a);
  ok (r, out);
}

/* ---- migration (qemu-server PVE/API2/Qemu.pm migrate_vm, QemuMigrate.pm;
 * pve-container src/PVE/API2/LXC.pm migrate_vm, src/PVE/LXC/Migrate.pm) -- */

static gboolean
volume_shared (Req *r, const char *volid)
{
  g_auto(GStrv) parts = g_strsplit (volid != NULL ? volid : "", ":", 2);
  JsonObject *st = storage_of (r, parts[0]);

  /* storage.cfg keeps what the call sent: "shared" is "1" */
  return st != NULL && is_true (json_object_get_string_member_with_default (st, "shared", "0"));
}

static void
finish_migrate (Node *n, Task *t)
{
  Guest *g = find_guest (n->cfs, json_object_get_int_member (t->args, "vmid"));
  const char *target = json_object_get_string_member (t->args, "target");
  gboolean qemu = g != NULL && g_str_equal (g->kind, "qemu");

  if (g == NULL)
    return;
  g_free (g->node);
  g->node = g_strdup (target);
  if (qemu && g_str_equal (g->status, "running"))
    {
      task_log (t, TRUE, "migration active, transferred 251.3 MiB of 264.0 MiB VM-state, 118.7 MiB/s");
      task_log (t, TRUE, "average migration speed: 88.0 MiB/s - downtime 41 ms");
      task_log (t, TRUE, "migration status: completed");
    }
  else if (!qemu && json_object_get_boolean_member (t->args, "restart"))
    task_log (t, TRUE, "start container on target node");
  /* the figures of these lines are a real log's shape, not measured here */
  task_log (t, TRUE, "migration finished successfully (duration 00:00:03)");
}

static void
ep_guest_migrate (Req *r)
{
  const char *kind = r->kind;
  Guest *g = guest_here (r, kind);
  gboolean qemu = g_str_equal (kind, "qemu");
  const char *target = param (r, "target");
  Node *to = find_node (r->node->server, target);
  gboolean running;
  Task *t;

  if (g == NULL)
    return;
  running = g_str_equal (g->status, "running");
  if (to == NULL || to->cfs != r->target->cfs || !g_str_equal (to->name, target))
    {
      fail (r, 500, "no such cluster node '%s'", target);
      return;
    }
  if (to == r->target)
    {
      fail (r, 500, "target is local node.");
      return;
    }
  if (to->down)
    {
      fail (r, 500, "target node '%s' is not online (paraphrased)", target);
      return;
    }
  if (qemu && running && !is_true (param (r, "online")))
    {
      fail (r, 500, "can't migrate running VM without --online");
      return;
    }
  if (!qemu && running && is_true (param (r, "online")))
    {
      fail (r, 500, "lxc live migration is currently not implemented");
      return;
    }
  if (!qemu && running && !is_true (param (r, "restart")))
    {
      fail (r, 500, "CT is running - use online or restart migration (paraphrased)");
      return;
    }
  if (!volume_shared (r, g->volid))
    {
      violation (r, "migrating a guest whose disk %s is not on shared storage", g->volid);
      fail (r, 500, "can't migrate local disk '%s' (paraphrased)", g->volid);
      return;
    }
  /* an HA resource is moved by the HA manager: the API call only asks it
   * to (Qemu.pm / LXC.pm migrate_vm: a `hamigrate` worker running
   * `ha-manager migrate`); the CRM migrates it later */
  if (ha_of (r->target->cfs, g->vmid) != NULL)
    {
      HaResource *h = ha_of (r->target->cfs, g->vmid);

      t = task_new (r, r->target, "hamigrate", param (r, "vmid"), TASK_MS, NULL);
      task_log (t, FALSE, "Requesting HA migration for %s %u to node %s", qemu ? "VM" : "CT", g->vmid, target);
      g_free (h->target);
      h->target = g_strdup (target);
      ha_set_state (h, "migrate");
      return;
    }
  t = task_new (r, r->target, qemu ? "qmigrate" : "vzmigrate", param (r, "vmid"), MIGRATE_MS, finish_migrate);
  json_object_set_int_member (t->args, "vmid", g->vmid);
  json_object_set_string_member (t->args, "target", target);
  json_object_set_boolean_member (t->args, "restart", is_true (param (r, "restart")));
  if (!qemu && running)
    task_log (t, TRUE, "shutdown CT %u", g->vmid);
  task_log (t, TRUE, "starting migration of %s %u to node '%s' (%s)", qemu ? "VM" : "CT", g->vmid, target,
            to->address);
  task_log (t, TRUE, "volume '%s' is on shared storage", g->volid);
  if (qemu && running)
    {
      task_log (t, TRUE, "starting VM %u on remote node '%s'", g->vmid, target);
      task_log (t, TRUE, "starting online/live migration on unix:/run/qemu-server/%u.migrate", g->vmid);
      task_log (t, TRUE, "migration downtime limit: 100 ms");
    }
}


/* GET /nodes/{node}/tasks/{upid}/log (pve-manager PVE/API2/Tasks.pm
 * read_task_log: lines {n, t} from `start`, at most `limit` (50), "no
 * content" for an empty log). */
static void
ep_task_log (Req *r)
{
  Task *t = find_task (r->target, param (r, "upid"));
  guint start = param (r, "start") != NULL ? g_ascii_strtoull (param (r, "start"), NULL, 10) : 0;
  guint limit = param (r, "limit") != NULL ? g_ascii_strtoull (param (r, "limit"), NULL, 10) : 50;
  JsonArray *a = json_array_new ();

  if (t == NULL)
    {
      json_array_unref (a);
      fail (r, 500, "no such task");
      return;
    }
  for (guint i = start; i < t->log->len && i < start + limit; i++)
    {
      JsonObject *o = json_object_new ();
      json_object_set_int_member (o, "n", i + 1);
      json_object_set_string_member (o, "t", g_ptr_array_index (t->log, i));
      json_array_add_object_element (a, o);
    }
  if (t->log->len == 0)
    {
      JsonObject *o = json_object_new ();
      json_object_set_int_member (o, "n", 1);
      json_object_set_string_member (o, "t", "no content");
      json_array_add_object_element (a, o);
    }
  ok (r, json_node_init_array (json_node_alloc (), a));
}

/* GET /nodes/{node}/tasks (Tasks.pm node_tasks): the node's tasks, the
 * newest first, filtered by vmid and typefilter, at most limit (50). */
static void
ep_node_tasks (Req *r)
{
  GPtrArray *tasks = r->target->tasks;
  guint limit = param (r, "limit") != NULL ? g_ascii_strtoull (param (r, "limit"), NULL, 10) : 50;
  JsonArray *a = json_array_new ();

  for (guint i = tasks->len; i > 0 && json_array_get_length (a) < limit; i--)
    {
      Task *t = g_ptr_array_index (tasks, i - 1);
      JsonObject *o;

      if ((param (r, "vmid") != NULL && !g_str_equal (t->id, param (r, "vmid")))
          || (param (r, "typefilter") != NULL && !g_str_equal (t->type, param (r, "typefilter"))))
        continue;
      o = json_object_new ();
      json_object_set_string_member (o, "upid", t->upid);
      json_object_set_string_member (o, "node", r->target->name);
      json_object_set_string_member (o, "type", t->type);
      json_object_set_string_member (o, "id", t->id);
      json_object_set_string_member (o, "user", "root@pam");
      json_object_set_int_member (o, "pid", t->pid);
      json_object_set_int_member (o, "pstart", 4242 + t->pid);
      json_object_set_int_member (o, "starttime", t->start_real_s);
      if (t->exitstatus != NULL)
        json_object_set_string_member (o, "status", t->exitstatus);
      json_array_add_object_element (a, o);
    }
  ok (r, json_node_init_array (json_node_alloc (), a));
}

/* ---- HA (pve-ha-manager src/PVE/API2/HA/Resources.pm, Status.pm,
 * src/PVE/HA/Manager.pm) ---------------------------------------------------- */

/* "vm:100" or "100" -> "vm:100" (PVE::HA::Config parse_sid); NULL if not one. */
static char *
normal_sid (const char *sid, const char *type, guint *vmid)
{
  g_auto(GStrv) parts = g_strsplit (sid != NULL ? sid : "", ":", 2);
  const char *t = parts[1] != NULL ? parts[0] : type != NULL ? type : "vm";
  const char *id = parts[1] != NULL ? parts[1] : parts[0];

  if (id[0] == '\0' || strspn (id, "0123456789") != strlen (id))
    return NULL;
  *vmid = g_ascii_strtoull (id, NULL, 10);
  return g_strdup_printf ("%s:%s", t, id);
}

static guint
cfs_online (LabPveServer *s, Cfs *c)
{
  guint online = 0;

  for (guint i = 0; i < c->nodelist->len; i++)
    {
      Node *m = find_node (s, g_ptr_array_index (c->nodelist, i));
      online += m != NULL && m->cfs == c && !m->down;
    }
  return online;
}

/* The CRM's work, done whenever a call comes in: start new resources,
 * fence the services of a node that is off, recover them elsewhere (only
 * with quorum: a minority never recovers anything). */
static void
advance_ha (LabPveServer *s)
{
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < s->cfses->len; i++)
    {
      Cfs *c = g_ptr_array_index (s->cfses, i);
      gboolean quorate = cfs_online (s, c) * 2 > c->nodelist->len;
      GHashTableIter it;
      gpointer k, v;

      g_hash_table_iter_init (&it, c->ha);
      while (g_hash_table_iter_next (&it, &k, &v))
        {
          HaResource *h = v;
          Guest *g = find_guest (c, h->vmid);
          Node *on = g != NULL ? find_node (s, g->node) : NULL;

          if (g == NULL || on == NULL || !quorate)
            continue;
          if (g_str_equal (h->state, "request_start") && now - h->since_us >= HA_START_MS * 1000 && !on->down)
            {
              g_free (g->status);
              g->status = g_strdup ("running");
              ha_set_state (h, "started");
            }
          else if (g_str_equal (h->state, "migrate") && now - h->since_us >= (TASK_MS + MIGRATE_MS) * 1000)
            {
              /* the source node's LRM ran the migration: its task there */
              Req none = { .node = on, .what = (char *) "HA LRM migrate" };
              Task *t = task_new (&none, on, g_str_equal (g->kind, "qemu") ? "qmigrate" : "vzmigrate", h->sid + 3, 0,
                                  NULL);

              task_log (t, TRUE, "starting migration of %s %u to node '%s'", g->kind, g->vmid, h->target);
              task_log (t, TRUE, "migration finished successfully (duration 00:00:03)");
              g_clear_pointer (&none.data, json_node_unref);
              g_free (g->node);
              g->node = g_strdup (h->target);
              ha_set_state (h, "started");
            }
          else if (g_str_equal (h->state, "started") && on->off_us != 0 && now - on->off_us >= HA_FENCE_MS * 1000)
            ha_set_state (h, "fence");
          else if (g_str_equal (h->state, "fence") && now - on->off_us >= HA_FENCED_MS * 1000)
            ha_set_state (h, "recovery");
          else if (g_str_equal (h->state, "recovery") && now - h->since_us >= HA_RECOVERY_MS * 1000)
            for (guint j = 0; j < c->nodelist->len; j++)
              {
                Node *m = find_node (s, g_ptr_array_index (c->nodelist, j));
                Req none = { .node = m, .what = (char *) "HA LRM start" };
                Task *t;

                if (m == NULL || m->down || m->cfs != c)
                  continue;
                /* the new node's LRM starts it: a start task there */
                t = task_new (&none, m, g_str_equal (g->kind, "qemu") ? "qmstart" : "vzstart", h->sid + 3, 0, NULL);
                task_log (t, FALSE, "%s %u recovered from node '%s' (paraphrased)", g->kind, g->vmid, g->node);
                g_clear_pointer (&none.data, json_node_unref);
                g_free (g->node);
                g->node = g_strdup (m->name);
                g_free (g->status);
                g->status = g_strdup ("running");
                ha_set_state (h, "started");
                break;
              }
        }
    }
}

static void
ep_ha_create (Req *r)
{
  Cfs *c = r->target->cfs;
  guint vmid = 0;
  g_autofree char *sid = normal_sid (param (r, "sid"), param (r, "type"), &vmid);
  Guest *g;
  HaResource *h;

  if (param (r, "group") != NULL && g_str_has_prefix (r->node->server->version, "9"))
    {
      fail (r, 500, "ha groups have been migrated to rules");
      return;
    }
  if (sid == NULL || (g = find_guest (c, vmid)) == NULL)
    {
      fail (r, 500, "unable to find %s '%s' (paraphrased)", "guest", param (r, "sid"));
      return;
    }
  if ((g_str_has_prefix (sid, "vm:") && !g_str_equal (g->kind, "qemu"))
      || (g_str_has_prefix (sid, "ct:") && !g_str_equal (g->kind, "lxc")))
    {
      fail (r, 500, "resource '%s' is not a %s (paraphrased)", sid, g->kind);
      return;
    }
  if (g_hash_table_contains (c->ha, sid))
    {
      fail (r, 500, "resource ID '%s' already defined", sid);
      return;
    }
  h = g_new0 (HaResource, 1);
  h->sid = g_steal_pointer (&sid);
  h->vmid = vmid;
  h->request = g_strdup (param (r, "state") != NULL ? param (r, "state") : "started");
  h->max_restart = param (r, "max_restart") != NULL ? g_ascii_strtoll (param (r, "max_restart"), NULL, 10) : 1;
  h->max_relocate = param (r, "max_relocate") != NULL ? g_ascii_strtoll (param (r, "max_relocate"), NULL, 10) : 1;
  if (!g_str_equal (h->request, "started"))
    violation (r, "HA resource %s requested %s: labctl's HA guest is to be kept started", h->sid, h->request);
  ha_set_state (h, g_str_equal (g->status, "running") ? "started" : "request_start");
  g_hash_table_insert (c->ha, h->sid, h);
  ok (r, NULL);
}

static void
ep_ha_list (Req *r)
{
  GHashTableIter it;
  gpointer k, v;
  JsonArray *a = json_array_new ();

  g_hash_table_iter_init (&it, r->target->cfs->ha);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      HaResource *h = v;
      JsonObject *o = json_object_new ();
      json_object_set_string_member (o, "sid", h->sid);
      json_object_set_string_member (o, "state", h->request);
      json_object_set_string_member (o, "type", g_str_has_prefix (h->sid, "ct:") ? "ct" : "vm");
      json_object_set_int_member (o, "max_restart", h->max_restart);
      json_object_set_int_member (o, "max_relocate", h->max_relocate);
      json_array_add_object_element (a, o);
    }
  ok (r, json_node_init_array (json_node_alloc (), a));
}

static void
ep_ha_delete (Req *r)
{
  guint vmid;
  g_autofree char *sid = normal_sid (param (r, "sid"), NULL, &vmid);

  if (sid == NULL || !g_hash_table_remove (r->target->cfs->ha, sid))
    {
      fail (r, 500, "no such resource '%s' (paraphrased)", param (r, "sid"));
      return;
    }
  ok (r, NULL);
}

static void
status_entry (JsonArray *a, const char *id, const char *type, const char *node, const char *status)
{
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "id", id);
  json_object_set_string_member (o, "type", type);
  json_object_set_string_member (o, "node", node);
  json_object_set_string_member (o, "status", status);
  json_array_add_object_element (a, o);
}

/* GET /cluster/ha/status/current (Status.pm): quorum, the master, each
 * LRM, each service with its CRM state and node. */
static void
ep_ha_status (Req *r)
{
  LabPveServer *s = r->node->server;
  Cfs *c = r->target->cfs;
  JsonArray *a = json_array_new ();
  gboolean quorate = cfs_online (s, c) * 2 > c->nodelist->len;
  Node *master = NULL;
  GHashTableIter it;
  gpointer k, v;

  status_entry (a, "quorum", "quorum", r->target->name, quorate ? "OK" : "No quorum on node");
  json_object_set_boolean_member (json_array_get_object_element (a, 0), "quorate", quorate);
  for (guint i = 0; i < c->nodelist->len && master == NULL; i++)
    {
      Node *m = find_node (s, g_ptr_array_index (c->nodelist, i));
      if (m != NULL && !m->down && m->cfs == c)
        master = m;
    }
  if (master != NULL && g_hash_table_size (c->ha) > 0)
    {
      g_autofree char *text = g_strdup_printf ("%s (active)", master->name);
      status_entry (a, "master", "master", master->name, text);
    }
  for (guint i = 0; i < c->nodelist->len && g_hash_table_size (c->ha) > 0; i++)
    {
      const char *name = g_ptr_array_index (c->nodelist, i);
      Node *m = find_node (s, name);
      g_autofree char *id = g_strdup_printf ("lrm:%s", name);
      g_autofree char *text = g_strdup_printf ("%s (%s)", name, m != NULL && !m->down ? "active" : "old timestamp - dead?");
      status_entry (a, id, "lrm", name, text);
    }
  g_hash_table_iter_init (&it, c->ha);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      HaResource *h = v;
      Guest *g = find_guest (c, h->vmid);
      g_autofree char *id = g_strdup_printf ("service:%s", h->sid);
      g_autofree char *text = g_strdup_printf ("%s (%s, %s)", h->sid, g != NULL ? g->node : "?", h->state);
      JsonObject *o;

      status_entry (a, id, "service", g != NULL ? g->node : "", text);
      o = json_array_get_object_element (a, json_array_get_length (a) - 1);
      json_object_set_string_member (o, "sid", h->sid);
      json_object_set_string_member (o, "state", h->state);
      json_object_set_string_member (o, "crm_state", h->state);
      json_object_set_string_member (o, "request_state", h->request);
      json_object_set_int_member (o, "max_restart", h->max_restart);
      json_object_set_int_member (o, "max_relocate", h->max_relocate);
    }
  ok (r, json_node_init_array (json_node_alloc (), a));
}

typedef struct {
  const char *method;
  const char *path;
  void      (*func) (Req *r);
} Route;

static const Route routes[] = {
  { "POST", "/access/ticket", ep_ticket },
  { "GET", "/version", ep_version },
  { "GET", "/cluster/status", ep_cluster_status },
  { "GET", "/cluster/resources", ep_resources },
  { "POST", "/cluster/config", ep_cluster_create },
  { "GET", "/cluster/config/join", ep_join_info },
  { "POST", "/cluster/config/join", ep_join },
  { "GET", "/cluster/config/nodes", ep_cluster_nodes },
  { "GET", "/nodes/{node}/tasks/{upid}/status", ep_task_status },
  { "GET", "/nodes/{node}/certificates/info", ep_certificates },
  { "GET", "/storage", ep_storage_list },
  { "POST", "/storage", ep_storage_create },
  { "GET", "/storage/{storage}", ep_storage_get },
  { "DELETE", "/storage/{storage}", ep_storage_delete },
  { "GET", "/nodes/{node}/storage/{storage}/content", ep_content_list },
  { "DELETE", "/nodes/{node}/storage/{storage}/content/{volume}", ep_content_delete },
  { "POST", "/nodes/{node}/storage/{storage}/upload", ep_upload },
  { "POST", "/nodes/{node}/qemu", ep_guest_create },
  { "DELETE", "/nodes/{node}/qemu/{vmid}", ep_guest_destroy },
  { "GET", "/nodes/{node}/qemu/{vmid}/status/current", ep_guest_status },
  { "POST", "/nodes/{node}/qemu/{vmid}/status/start", ep_guest_start },
  { "POST", "/nodes/{node}/qemu/{vmid}/status/stop", ep_guest_stop },
  { "POST", "/nodes/{node}/lxc", ep_guest_create },
  { "DELETE", "/nodes/{node}/lxc/{vmid}", ep_guest_destroy },
  { "GET", "/nodes/{node}/lxc/{vmid}/status/current", ep_guest_status },
  { "POST", "/nodes/{node}/lxc/{vmid}/status/start", ep_guest_start },
  { "POST", "/nodes/{node}/lxc/{vmid}/status/stop", ep_guest_stop },
  { "POST", "/nodes/{node}/qemu/{vmid}/migrate", ep_guest_migrate },
  { "POST", "/nodes/{node}/lxc/{vmid}/migrate", ep_guest_migrate },
  { "GET", "/nodes/{node}/tasks/{upid}/log", ep_task_log },
  { "GET", "/nodes/{node}/tasks", ep_node_tasks },
  { "GET", "/cluster/ha/resources", ep_ha_list },
  { "POST", "/cluster/ha/resources", ep_ha_create },
  { "DELETE", "/cluster/ha/resources/{sid}", ep_ha_delete },
  { "GET", "/cluster/ha/status/current", ep_ha_status },
};

/* VM configuration, snapshots, templates, clones: routes asked first */
#include "lab-pve-server-guests.c"

/* ---- request handling ------------------------------------------------------- */

static Endpoint *
match_endpoint (LabPveServer *s, char **segs, GHashTable *params)
{
  for (guint i = 0; i < s->endpoints->len; i++)
    {
      Endpoint *e = g_ptr_array_index (s->endpoints, i);
      guint n = g_strv_length (e->segs);
      /* a volume id keeps its slashes ("local:vztmpl/x.tar.gz"): the
       * last {volume} takes the rest of the path */
      gboolean rest = n > 0 && g_str_equal (e->segs[n - 1], "{volume}") && g_strv_length (segs) > n;
      gboolean match = n == g_strv_length (segs) || rest;

      for (guint j = 0; match && j < n; j++)
        match = e->segs[j][0] == '{' || g_str_equal (e->segs[j], segs[j]);
      if (!match)
        continue;
      for (guint j = 0; j < n; j++)
        if (e->segs[j][0] == '{')
          g_hash_table_insert (params, g_strndup (e->segs[j] + 1, strlen (e->segs[j]) - 2),
                               rest && j == n - 1 ? g_strjoinv ("/", segs + j) : g_uri_unescape_string (segs[j], NULL));
      return e;
    }
  return NULL;
}

static void
read_body (Req *r, SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  const char *ctype = soup_message_headers_get_content_type (h, NULL);

  if (g_bytes_get_size (bytes) == 0)
    return;
  if (g_strcmp0 (ctype, "application/x-www-form-urlencoded") == 0)
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      GHashTable *form = soup_form_decode (text);
      GHashTableIter it;
      gpointer k, v;
      g_hash_table_iter_init (&it, form);
      while (g_hash_table_iter_next (&it, &k, &v))
        g_hash_table_insert (r->params, g_strdup (k), g_strdup (v));
      g_hash_table_unref (form);
    }
  else if (g_strcmp0 (ctype, "multipart/form-data") == 0)
    {
      g_autoptr(SoupMultipart) mp = soup_multipart_new_from_message (h, bytes);
      for (int i = 0; mp != NULL && i < soup_multipart_get_length (mp); i++)
        {
          SoupMessageHeaders *ph;
          GBytes *pb;
          g_autoptr(GHashTable) dp = NULL;
          char *disposition = NULL;
          const char *name, *file;

          if (!soup_multipart_get_part (mp, i, &ph, &pb)
              || !soup_message_headers_get_content_disposition (ph, &disposition, &dp))
            continue;
          g_free (disposition);
          name = g_hash_table_lookup (dp, "name");
          file = g_hash_table_lookup (dp, "filename");
          if (name == NULL)
            continue;
          if (file != NULL)
            {
              g_clear_pointer (&r->file, g_bytes_unref);
              r->file = g_bytes_ref (pb);
              /* the file part carries the file name (Status.pm upload) */
              if (!g_hash_table_contains (r->params, "filename"))
                g_hash_table_insert (r->params, g_strdup ("filename"), g_strdup (file));
            }
          else
            g_hash_table_insert (r->params, g_strdup (name),
                                 g_strndup (g_bytes_get_data (pb, NULL), g_bytes_get_size (pb)));
        }
    }
  else
    violation (r, "request body of type %s (Proxmox takes form data)", ctype != NULL ? ctype : "none");
}

/* Cookie auth and CSRF, or a token (HTTPServer.pm, RPCEnvironment.pm).
 * FALSE: answered already. */
static gboolean
check_auth (Req *r, SoupServerMessage *msg)
{
  LabPveServer *s = r->node->server;
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  const char *authz = soup_message_headers_get_one (h, "Authorization");
  const char *cookie = soup_message_headers_get_one (h, "Cookie");
  gboolean write = !g_str_equal (r->method, "GET");
  JsonNode *perm = json_object_get_member (r->info, "permissions");
  g_autofree char *ticket = NULL;
  const char *csrf;

  if (authz != NULL && g_str_has_prefix (authz, "PVEAPIToken="))
    {
      g_autofree char *user = g_strndup (authz + 12, strcspn (authz + 12, "="));
      if (!json_object_get_int_member_with_default (r->info, "allowtoken", 1))
        {
          violation (r, "an API token on a method that refuses tokens (allowtoken 0)");
          fail (r, 401, "API token not allowed");
          return FALSE;
        }
      if (perm == NULL || JSON_NODE_HOLDS_NULL (perm))
        {
          violation (r, "an API token (%s) on a root@pam-only method", user);
          fail (r, 403, "Permission check failed (user != root@pam)");
          return FALSE;
        }
      return TRUE;
    }
  if (cookie != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (cookie, ";", -1);
      for (guint i = 0; parts[i] != NULL; i++)
        {
          const char *p = parts[i] + strspn (parts[i], " ");
          if (g_str_has_prefix (p, "PVEAuthCookie="))
            ticket = g_uri_unescape_string (p + 14, NULL);
        }
    }
  if (ticket == NULL || !g_hash_table_contains (s->tickets, ticket)
      || GPOINTER_TO_UINT (g_hash_table_lookup (s->ticket_key, ticket)) != r->node->cfs->authkey)
    {
      fail (r, 401, "permission denied - invalid PVE ticket");
      return FALSE;
    }
  csrf = soup_message_headers_get_one (h, "CSRFPreventionToken");
  if (write && g_strcmp0 (csrf, g_hash_table_lookup (s->tickets, ticket)) != 0)
    {
      violation (r, "a write without the CSRFPreventionToken of its ticket");
      fail (r, 401, "Permission denied - invalid csrf token");
      return FALSE;
    }
  return TRUE;
}

static void
respond (Req *r, SoupServerMessage *msg)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "data");
  if (r->status == 0 && r->data != NULL)
    json_builder_add_value (b, json_node_copy (r->data));
  else
    json_builder_add_null_value (b);
  if (r->errors != NULL)
    {
      json_builder_set_member_name (b, "errors");
      json_builder_add_value (b, json_node_init_object (json_node_alloc (), r->errors));
    }
  if (r->status != 0)
    {
      g_autofree char *m = g_strdup_printf ("%s\n", r->reason);
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, m);
    }
  json_builder_end_object (b);
  json_generator_set_root (gen, json_builder_get_root (b));
  text = json_generator_to_data (gen, NULL);
  soup_server_message_set_status (msg, r->status != 0 ? r->status : 200, r->status != 0 ? r->reason : "OK");
  soup_server_message_set_response (msg, "application/json;charset=UTF-8", SOUP_MEMORY_COPY, text, strlen (text));
}

static void
handle (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data)
{
  Node *n = data;
  LabPveServer *s = n->server;
  Req r = { .node = n, .method = soup_server_message_get_method (msg) };
  const char *api = path + strlen ("/api2/json");
  g_auto(GStrv) segs = NULL;
  Endpoint *e;
  JsonNode *info;

  g_mutex_lock (&s->lock);
  advance_tasks (s);
  advance_ha (s);
  guests_run (s);
  r.what = g_strdup_printf ("%s %s on %s", r.method, api, n->name);
  g_ptr_array_add (s->calls, g_strdup (r.what));
  r.params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  segs = g_strsplit (api[0] == '/' ? api + 1 : api, "/", -1);
  e = match_endpoint (s, segs, r.params);
  info = e != NULL ? json_object_get_member (e->info, r.method) : NULL;
  if (info == NULL)
    {
      violation (&r, "no such endpoint in Proxmox %s's schema", s->version);
      fail (&r, 501, "Method '%s %s' not implemented", r.method, api);
      goto out;
    }
  r.info = json_node_get_object (info);
  if (query != NULL)
    {
      GHashTableIter it;
      gpointer k, v;
      g_hash_table_iter_init (&it, query);
      while (g_hash_table_iter_next (&it, &k, &v))
        g_hash_table_insert (r.params, g_strdup (k), g_strdup (v));
    }
  read_body (&r, msg);
  if (!g_str_equal (api, "/access/ticket") && !check_auth (&r, msg))
    goto out;
  if (!check_params (&r))
    goto out;
  r.target = n;
  if (param (&r, "node") != NULL)
    {
      /* proxyto node: the call goes to that node, which must be a member
       * of this node's cluster (or this node). */
      Node *t = find_node (s, param (&r, "node"));
      if (t == NULL || !g_str_equal (t->name, param (&r, "node")) || (t != n && (t->cfs != n->cfs || t->down)))
        {
          fail (&r, 595, "no such cluster node '%s' (paraphrased)", param (&r, "node"));
          goto out;
        }
      r.target = t;
    }
  if (guests_dispatch (&r, e->path))
    {
      if (r.status == 0 && json_object_has_member (r.info, "returns"))
        check_returns (&r, json_object_get_object_member (r.info, "returns"), r.data, "data");
      goto out;
    }
  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    if (g_str_equal (routes[i].method, r.method) && g_str_equal (routes[i].path, e->path))
      {
        r.kind = g_str_has_prefix (e->path, "/nodes/{node}/qemu") ? "qemu"
                 : g_str_has_prefix (e->path, "/nodes/{node}/lxc") ? "lxc" : NULL;
        routes[i].func (&r);
        if (r.status == 0 && json_object_has_member (r.info, "returns"))
          check_returns (&r, json_object_get_object_member (r.info, "returns"), r.data, "data");
        goto out;
      }
  violation (&r, "the test server does not model this endpoint");
  fail (&r, 501, "not modelled");
out:
  respond (&r, msg);
  g_free (r.what);
  g_free (r.reason);
  g_hash_table_unref (r.params);
  g_clear_pointer (&r.file, g_bytes_unref);
  g_clear_pointer (&r.data, json_node_unref);
  g_clear_pointer (&r.errors, json_object_unref);
  g_mutex_unlock (&s->lock);
}

static void
request_started (SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  Node *n = data;
  GSocket *sock = soup_server_message_get_socket (msg);

  if (sock != NULL && !g_ptr_array_find (n->sockets, sock, NULL))
    g_ptr_array_add (n->sockets, g_object_ref (sock));
}

static gboolean
listen_node (Node *n, GError **error)
{
  GSList *uris;

  n->soup = soup_server_new ("tls-certificate", n->cert, "server-header", "pve-api-daemon/3.0", NULL);
  soup_server_add_handler (n->soup, "/api2/json", handle, n, NULL);
  g_signal_connect (n->soup, "request-started", G_CALLBACK (request_started), n);
  if (n->listen != NULL)
    {
      g_autoptr(GSocketAddress) addr = g_inet_socket_address_new_from_string (n->listen, n->port);
      if (addr == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: not an address", n->listen);
          return FALSE;
        }
      if (!soup_server_listen (n->soup, addr, SOUP_SERVER_LISTEN_HTTPS, error))
        return FALSE;
    }
  else if (!soup_server_listen_local (n->soup, n->port, SOUP_SERVER_LISTEN_IPV4_ONLY | SOUP_SERVER_LISTEN_HTTPS,
                                      error))
    return FALSE;
  uris = soup_server_get_uris (n->soup);
  if (uris != NULL)
    n->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return TRUE;
}

/* ---- life cycle --------------------------------------------------------------- */

static gpointer
server_thread (gpointer data)
{
  LabPveServer *s = data;
  GError *error = NULL;

  g_main_context_push_thread_default (s->context);
  for (guint i = 0; i < s->nodes->len && error == NULL; i++)
    listen_node (g_ptr_array_index (s->nodes, i), &error);
  g_mutex_lock (&s->start_lock);
  s->start_error = error;
  s->started = TRUE;
  g_cond_signal (&s->start_cond);
  g_mutex_unlock (&s->start_lock);
  if (error == NULL)
    g_main_loop_run (s->loop);
  for (guint i = 0; i < s->nodes->len; i++)
    {
      Node *n = g_ptr_array_index (s->nodes, i);
      if (n->soup != NULL)
        soup_server_disconnect (n->soup);
      g_clear_object (&n->soup);
    }
  while (g_main_context_iteration (s->context, FALSE))
    ;
  g_main_context_pop_thread_default (s->context);
  return NULL;
}

static gboolean
load_schema (LabPveServer *s, const char *path, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  JsonArray *paths;

  if (!json_parser_load_from_mapped_file (parser, path, error))
    return FALSE;
  root = json_node_get_object (json_parser_get_root (parser));
  s->version = g_strdup (json_object_get_string_member (root, "version"));
  paths = json_object_get_array_member (root, "paths");
  for (guint i = 0; i < json_array_get_length (paths); i++)
    {
      JsonObject *p = json_array_get_object_element (paths, i);
      Endpoint *e = g_new0 (Endpoint, 1);
      e->path = g_strdup (json_object_get_string_member (p, "path"));
      e->segs = g_strsplit (e->path + 1, "/", -1);
      e->info = json_object_ref (json_object_get_object_member (p, "info"));
      g_ptr_array_add (s->endpoints, e);
    }
  return TRUE;
}

static void
endpoint_free (gpointer p)
{
  Endpoint *e = p;
  g_free (e->path);
  g_strfreev (e->segs);
  json_object_unref (e->info);
  g_free (e);
}

static void
node_free (gpointer p)
{
  Node *n = p;
  g_free (n->name);
  g_free (n->address);
  g_free (n->password);
  g_free (n->listen);
  g_free (n->answer);
  g_free (n->dir);
  g_clear_object (&n->cert);
  g_free (n->fp);
  g_free (n->ca_pem);
  g_free (n->ssl_pem);
  g_free (n->install_fp);
  g_hash_table_destroy (n->templates);
  g_ptr_array_unref (n->tasks);
  g_ptr_array_unref (n->sockets);
  g_free (n);
}

LabPveServer *
lab_pve_server_new (const char *schema, const LabPveServerNode *nodes, guint n_nodes, const char *iqn,
                    const char *portal, const char *vg, const char *const *own_lvs, GError **error)
{
  LabPveServer *s = g_new0 (LabPveServer, 1);

  g_mutex_init (&s->lock);
  g_mutex_init (&s->start_lock);
  g_cond_init (&s->start_cond);
  s->endpoints = g_ptr_array_new_with_free_func (endpoint_free);
  s->nodes = g_ptr_array_new_with_free_func (node_free);
  s->cfses = g_ptr_array_new_with_free_func (cfs_free);
  s->violations = g_ptr_array_new_with_free_func (g_free);
  s->calls = g_ptr_array_new_with_free_func (g_free);
  s->tickets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  s->ticket_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  s->vm_procs = g_hash_table_new_full (NULL, NULL, NULL, stand_in_free);
  s->iqn = g_strdup (iqn);
  s->portal = g_strdup (portal);
  s->vg = g_strdup (vg);
  s->own_lvs = g_strdupv ((char **) own_lvs);
  s->context = g_main_context_new ();
  s->loop = g_main_loop_new (s->context, FALSE);
  s->dir = g_dir_make_tmp ("labctl-pve-server-XXXXXX", error);
  if (s->dir == NULL || !load_schema (s, schema, error))
    goto fail;
  for (guint i = 0; i < n_nodes; i++)
    {
      Node *n = g_new0 (Node, 1);
      g_autofree char *ca = NULL;

      n->server = s;
      n->name = g_strdup (nodes[i].name);
      n->address = g_strdup (nodes[i].address);
      n->password = g_strdup (nodes[i].password);
      n->listen = g_strdup (nodes[i].listen);
      n->answer = g_strdup (nodes[i].answer);
      n->port = nodes[i].port;
      n->templates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      n->tasks = g_ptr_array_new_with_free_func (task_free);
      n->sockets = g_ptr_array_new_with_free_func (g_object_unref);
      g_ptr_array_add (s->nodes, n);
      ca = g_strdup_printf ("%s/%s-ca.pem", s->dir, n->name);
      if (!install_certs (s->dir, n->name, error) || !load_cert (n, n->name, error)
          || !g_file_get_contents (ca, &n->ca_pem, NULL, error))
        goto fail;
      n->install_fp = g_strdup (n->fp);
      n->cfs = cfs_new (s, n);
    }
  s->thread = g_thread_new ("pve-server", server_thread, s);
  g_mutex_lock (&s->start_lock);
  while (!s->started)
    g_cond_wait (&s->start_cond, &s->start_lock);
  g_mutex_unlock (&s->start_lock);
  if (s->start_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&s->start_error));
      goto fail;
    }
  return s;
fail:
  lab_pve_server_free (s);
  return NULL;
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

const char * const lab_pve_test_passwords[3] = { "pw-pve1-secret", "pw-pve2-secret", "pw-pve3-secret" };

LabPveServer *
lab_pve_server_new_for_recipe (const char *schema, LabRecipe *recipe, const char *const *passwords, GError **error)
{
  guint n = recipe->nodes->len;
  g_autofree LabPveServerNode *nodes = g_new0 (LabPveServerNode, n);
  g_autofree const char **own = g_new0 (const char *, n + 1);

  for (guint i = 0; i < n; i++)
    {
      LabNode *node = g_ptr_array_index (recipe->nodes, i);

      nodes[i] = (LabPveServerNode) { node->name, node->address, passwords[i] };
      own[i] = node->lv_name;
    }
  return lab_pve_server_new (schema, nodes, n, recipe->iqn, recipe->portal_address, recipe->vg_name, own, error);
}

char *
lab_pve_test_vm_image (const char *cache_dir, GError **error)
{
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_REAL);

  g_setenv ("LABCTL_CACHE_DIR", cache_dir, TRUE);
  return lab_pve_vm_image_path (runner, "/", error);
}

void
lab_pve_server_write_install_records (LabPveServer *self, LabRecipe *recipe, LabState *state,
                                      const char *const *passwords)
{
  for (guint i = 0; i < recipe->nodes->len; i++)
    {
      LabNode *n = g_ptr_array_index (recipe->nodes, i);
      g_autofree char *api = g_strdup_printf ("nodes.%s.pve.api", n->name);
      g_autofree char *fp = g_strdup_printf ("nodes.%s.pve.fingerprint", n->name);
      g_autofree char *pw = g_strdup_printf ("nodes.%s.pve.root_password", n->name);
      g_autofree char *url = lab_pve_server_get_url (self, n->name);
      g_autofree char *pin = lab_pve_server_get_fingerprint (self, n->name);

      lab_state_set_string (state, api, url);
      lab_state_set_string (state, fp, pin);
      lab_state_set_secret (state, pw, passwords[i]);
    }
}

/* The VMs' QEMU stop in the server's thread (its network namespace, where
 * their taps are), then the loop ends. */
static gboolean
stop_vms_and_quit (gpointer data)
{
  LabPveServer *s = data;

  g_mutex_lock (&s->lock);
  g_hash_table_remove_all (s->vm_procs);
  g_mutex_unlock (&s->lock);
  return quit_loop (s->loop);
}

void
lab_pve_server_free (LabPveServer *s)
{
  if (s == NULL)
    return;
  if (s->thread != NULL)
    {
      /* a source, not g_main_loop_quit() here: a quit before the thread
       * entered g_main_loop_run() would be lost */
      GSource *src = g_idle_source_new ();
      g_source_set_callback (src, stop_vms_and_quit, s, NULL);
      g_source_attach (src, s->context);
      g_source_unref (src);
      g_thread_join (s->thread);
    }
  g_clear_pointer (&s->vm_procs, g_hash_table_destroy);
  g_free (s->vm_bridge);
  if (s->dir != NULL)
    lab_test_remove_tree (s->dir);
  g_free (s->dir);
  g_ptr_array_unref (s->nodes);
  g_ptr_array_unref (s->cfses);
  g_ptr_array_unref (s->endpoints);
  g_ptr_array_unref (s->violations);
  g_ptr_array_unref (s->calls);
  g_hash_table_destroy (s->tickets);
  g_hash_table_destroy (s->ticket_key);
  g_free (s->version);
  g_free (s->iqn);
  g_free (s->portal);
  g_free (s->vg);
  g_strfreev (s->own_lvs);
  g_free (s->fail_type);
  g_free (s->fail_status);
  g_main_loop_unref (s->loop);
  g_main_context_unref (s->context);
  g_mutex_clear (&s->lock);
  g_mutex_clear (&s->start_lock);
  g_cond_clear (&s->start_cond);
  g_free (s);
}

const char *
lab_pve_server_get_version (LabPveServer *s)
{
  return s->version;
}

char *
lab_pve_server_get_url (LabPveServer *s, const char *node)
{
  Node *n;
  char *url;

  g_mutex_lock (&s->lock);
  n = find_node (s, node);
  url = n != NULL ? g_strdup_printf ("https://%s:%u", n->listen != NULL ? n->listen : "127.0.0.1", n->port) : NULL;
  g_mutex_unlock (&s->lock);
  return url;
}

char *
lab_pve_server_get_fingerprint (LabPveServer *s, const char *node)
{
  Node *n;
  char *fp;

  g_mutex_lock (&s->lock);
  n = find_node (s, node);
  fp = n != NULL ? g_strdup (n->install_fp) : NULL;
  g_mutex_unlock (&s->lock);
  return fp;
}

void
lab_pve_server_fail_next_task (LabPveServer *s, const char *type, const char *exitstatus)
{
  g_mutex_lock (&s->lock);
  g_free (s->fail_type);
  g_free (s->fail_status);
  s->fail_type = g_strdup (type);
  s->fail_status = g_strdup (exitstatus);
  g_mutex_unlock (&s->lock);
}

void
lab_pve_server_fail_join_half_way (LabPveServer *s, const char *node)
{
  g_mutex_lock (&s->lock);
  find_node (s, node)->fail_join = TRUE;
  g_mutex_unlock (&s->lock);
}

void
lab_pve_server_expire_tickets (LabPveServer *s)
{
  g_mutex_lock (&s->lock);
  g_hash_table_remove_all (s->tickets);
  g_hash_table_remove_all (s->ticket_key);
  g_mutex_unlock (&s->lock);
}

/* Power off: the node's API is gone at once, with every connection (as
 * join_drop, without the way back). Runs in the server's thread. */
static gboolean
power_off_now (gpointer data)
{
  Node *n = data;

  join_drop (n);
  g_mutex_lock (&n->server->lock);
  n->off_us = g_get_monotonic_time ();
  /* its VMs' QEMU die with it */
  guests_run (n->server);
  g_mutex_unlock (&n->server->lock);
  return G_SOURCE_REMOVE;
}

static gboolean
power_on_now (gpointer data)
{
  Node *n = data;
  g_autoptr(GError) error = NULL;

  g_mutex_lock (&n->server->lock);
  if (!listen_node (n, &error))
    g_ptr_array_add (n->server->violations, g_strdup_printf ("test server: starting %s: %s", n->name, error->message));
  n->down = FALSE;
  n->off_us = 0;
  g_mutex_unlock (&n->server->lock);
  return G_SOURCE_REMOVE;
}

/* Waits until the server's thread did it: the caller's next call sees it. */
static void
power (LabPveServer *s, const char *node, gboolean on)
{
  Node *n = find_node (s, node);
  gboolean done = FALSE;

  g_return_if_fail (n != NULL);
  schedule (s, 0, on ? power_on_now : power_off_now, n);
  while (!done)
    {
      g_usleep (1000);
      g_mutex_lock (&s->lock);
      done = on ? !n->down : n->off_us != 0;
      g_mutex_unlock (&s->lock);
    }
}

void
lab_pve_server_power_off (LabPveServer *s, const char *node)
{
  power (s, node, FALSE);
}

void
lab_pve_server_power_on (LabPveServer *s, const char *node)
{
  power (s, node, TRUE);
}

/* The node installed again while it is off (its disk back to the
 * install's, as `labctl reset` takes it to its clean snapshot): what
 * lab_pve_server_new gave it. A standalone /etc/pve of its own (no
 * cluster, the installer's storage.cfg, no guests, no HA resource, a new
 * auth key, so its old tickets fail), the install's certificate, no
 * uploaded files, no finished tasks. The cluster it was in keeps it in
 * its corosync.conf, as Proxmox's members do until `pvecm delnode`, and
 * counts it offline. */
void
lab_pve_server_node_reinstalled (LabPveServer *s, const char *node)
{
  Node *n = find_node (s, node);
  g_autoptr(GError) error = NULL;

  g_return_if_fail (n != NULL);
  g_mutex_lock (&s->lock);
  n->cfs = cfs_new (s, n);
  if (!load_cert (n, n->name, &error))
    g_ptr_array_add (s->violations, g_strdup_printf ("test server: reinstalling %s: %s", n->name, error->message));
  g_hash_table_remove_all (n->templates);
  for (guint i = n->tasks->len; i > 0; i--)
    if (((Task *) g_ptr_array_index (n->tasks, i - 1))->exitstatus != NULL)
      g_ptr_array_remove_index (n->tasks, i - 1);
  n->fail_join = FALSE;
  g_mutex_unlock (&s->lock);
}

static GPtrArray *
copy_strings (LabPveServer *s, GPtrArray *a)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);

  g_mutex_lock (&s->lock);
  for (guint i = 0; i < a->len; i++)
    g_ptr_array_add (out, g_strdup (g_ptr_array_index (a, i)));
  g_mutex_unlock (&s->lock);
  return out;
}

GPtrArray *
lab_pve_server_get_violations (LabPveServer *s)
{
  return copy_strings (s, s->violations);
}

GPtrArray *
lab_pve_server_get_calls (LabPveServer *s)
{
  return copy_strings (s, s->calls);
}

guint
lab_pve_server_count_logins (LabPveServer *s)
{
  guint n;

  g_mutex_lock (&s->lock);
  n = s->logins;
  g_mutex_unlock (&s->lock);
  return n;
}

JsonNode *
lab_pve_server_dump (LabPveServer *s)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  g_mutex_lock (&s->lock);
  advance_tasks (s);
  advance_ha (s);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "nodes");
  json_builder_begin_object (b);
  for (guint i = 0; i < s->nodes->len; i++)
    {
      Node *n = g_ptr_array_index (s->nodes, i);
      GHashTableIter it;
      gpointer k, v;

      json_builder_set_member_name (b, n->name);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "cluster");
      if (n->cfs->cluster != NULL)
        json_builder_add_string_value (b, n->cfs->cluster);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "fingerprint");
      json_builder_add_string_value (b, n->fp);
      json_builder_set_member_name (b, "members");
      json_builder_begin_array (b);
      for (guint j = 0; j < n->cfs->nodelist->len; j++)
        json_builder_add_string_value (b, g_ptr_array_index (n->cfs->nodelist, j));
      json_builder_end_array (b);
      json_builder_set_member_name (b, "storage");
      json_builder_add_value (b, json_node_init_object (json_node_alloc (), n->cfs->storage));
      json_builder_set_member_name (b, "templates");
      json_builder_begin_array (b);
      g_hash_table_iter_init (&it, n->templates);
      while (g_hash_table_iter_next (&it, &k, &v))
        json_builder_add_string_value (b, k);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "guests");
      json_builder_begin_object (b);
      g_hash_table_iter_init (&it, n->cfs->guests);
      while (g_hash_table_iter_next (&it, &k, &v))
        {
          Guest *g = v;
          g_autofree char *id = g_strdup_printf ("%s/%u", g->kind, g->vmid);
          json_builder_set_member_name (b, id);
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "node");
          json_builder_add_string_value (b, g->node);
          json_builder_set_member_name (b, "status");
          json_builder_add_string_value (b, g->status);
          json_builder_set_member_name (b, "disk");
          json_builder_add_string_value (b, g->volid);
          json_builder_end_object (b);
        }
      json_builder_end_object (b);
      json_builder_set_member_name (b, "ha");
      json_builder_begin_object (b);
      g_hash_table_iter_init (&it, n->cfs->ha);
      while (g_hash_table_iter_next (&it, &k, &v))
        {
          json_builder_set_member_name (b, k);
          json_builder_add_string_value (b, ((HaResource *) v)->state);
        }
      json_builder_end_object (b);
      json_builder_set_member_name (b, "powered");
      json_builder_add_boolean_value (b, n->off_us == 0);
      json_builder_set_member_name (b, "tasks");
      json_builder_begin_array (b);
      for (guint j = 0; j < n->tasks->len; j++)
        {
          Task *t = g_ptr_array_index (n->tasks, j);
          g_autofree char *line = g_strdup_printf ("%s %s", t->type, t->exitstatus != NULL ? t->exitstatus : "running");
          json_builder_add_string_value (b, line);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  g_mutex_unlock (&s->lock);
  return json_builder_get_root (b);
}
