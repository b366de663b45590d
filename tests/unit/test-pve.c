/* test-pve.c: the Proxmox flavor's API side (flavors/proxmox/) against the
 * contract test server (tests/lib/lab-pve-server.c), which checks every
 * request against Proxmox's published schema, for 8.4 and 9.1.3.
 *
 * The state of each lab holds what the install step records (API
 * address, pinned fingerprint, root password): no ISO can be installed
 * here, so lab_pve_server_write_install_records() writes them
 * for the server's nodes. */
#define _GNU_SOURCE /* unshare */
#include "config.h"

#include <crypt.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "lab-error.h"
#include "lab-experiment-stack.h"
#include "lab-flavor.h"
#include "lab-plan.h"
#include "lab-pve-client.h"
#include "lab-pve-private.h"
#include "lab-pve-server.h"
#include "lab-pve.h"
#include "lab-recipe.h"
#include "lab-state.h"
#include "lab-test-fs.h"
#include "lab-virt.h"
#include "lab-vm.h"


typedef struct {
  LabRecipe    *recipe;
  LabPveServer *server;
  char         *dir;
  LabState     *state;
  LabRunner    *runner;
  LabContext    ctx;
} Fixture;

static char *
schema_path (const char *version)
{
  g_autofree char *name = g_strdup_printf ("apidata-%s.json", version);
  return g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", "pve", name, NULL);
}

static void
fixture_setup (Fixture *f, const char *version)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *schema = schema_path (version);

  f->recipe = lab_recipe_load_data (LAB_PVE_TEST_RECIPE, -1, "test.lab", &error);
  g_assert_no_error (error);
  f->server = lab_pve_server_new_for_recipe (schema, f->recipe, lab_pve_test_passwords, &error);
  g_assert_no_error (error);
  f->dir = g_dir_make_tmp ("labctl-test-pve-XXXXXX", &error);
  g_assert_no_error (error);
  f->state = lab_state_load (f->dir, "course", &error);
  g_assert_no_error (error);
  f->runner = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  lab_context_init (&f->ctx, f->recipe, f->state, f->runner, NULL, FALSE);
  lab_pve_server_write_install_records (f->server, f->recipe, f->state, lab_pve_test_passwords);
}

static void
fixture_teardown (Fixture *f)
{
  lab_pve_server_free (f->server);
  lab_state_free (f->state);
  g_object_unref (f->runner);
  lab_recipe_free (f->recipe);
  lab_test_remove_tree (f->dir);
  g_free (f->dir);
}

static LabPlan *
pve_plan (Fixture *f)
{
  LabPlan *plan = lab_plan_new (&f->ctx);

  lab_plan_set_phase (plan, LAB_PHASE_CONFIGURE);
  lab_pve_add_configure_steps (plan, &f->ctx);
  lab_plan_set_phase (plan, LAB_PHASE_CLUSTER);
  lab_pve_add_cluster_steps (plan, &f->ctx);
  lab_plan_set_phase (plan, LAB_PHASE_GUESTS);
  lab_pve_add_guest_steps (plan, &f->ctx);
  return plan;
}

static void
assert_no_violations (Fixture *f)
{
  g_autoptr(GPtrArray) v = lab_pve_server_get_violations (f->server);

  for (guint i = 0; i < v->len; i++)
    g_test_message ("violation: %s", (const char *) v->pdata[i]);
  g_assert_cmpuint (v->len, ==, 0);
}

static gboolean
has_violation (Fixture *f, const char *needle)
{
  g_autoptr(GPtrArray) v = lab_pve_server_get_violations (f->server);

  for (guint i = 0; i < v->len; i++)
    if (strstr (v->pdata[i], needle) != NULL)
      return TRUE;
  return FALSE;
}

static JsonObject *
dump_node (JsonNode *dump, const char *node)
{
  return json_object_get_object_member (json_object_get_object_member (json_node_get_object (dump), "nodes"), node);
}

static LabPveClient *
client_for (Fixture *f, const char *node, const char *fingerprint)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = lab_pve_server_get_url (f->server, node);
  g_autofree char *pin = lab_pve_server_get_fingerprint (f->server, node);
  LabPveClient *c = lab_pve_client_new (node, url, fingerprint != NULL ? fingerprint : pin, &error);

  g_assert_no_error (error);
  lab_pve_client_set_password (c, lab_pve_test_passwords[node[3] - '1']);
  return c;
}

/* ---- the whole sequence ---------------------------------------------------------- */

static void
check_stand (Fixture *f)
{
  g_autoptr(JsonNode) dump = lab_pve_server_dump (f->server);

  for (guint i = 0; i < 3; i++)
    {
      LabNode *n = f->recipe->nodes->pdata[i];
      JsonObject *o = dump_node (dump, n->name);
      g_autofree char *key = g_strdup_printf ("pve.node.%s.fingerprint", n->name);
      g_autofree char *install_fp = lab_pve_server_get_fingerprint (f->server, n->name);

      g_assert_cmpstr (json_object_get_string_member (o, "cluster"), ==, "course");
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "members")), ==, 3);
      if (i == 0)
        g_assert_cmpstr (json_object_get_string_member (o, "fingerprint"), ==, install_fp);
      else
        {
          /* joined: a new certificate from the cluster CA, recorded as the new pin */
          g_assert_cmpstr (json_object_get_string_member (o, "fingerprint"), !=, install_fp);
          g_assert_cmpstr (lab_state_get_string (f->state, key), ==, json_object_get_string_member (o, "fingerprint"));
        }
    }
  {
    JsonObject *o = dump_node (dump, "pve1");
    JsonObject *storage = json_object_get_object_member (o, "storage");
    JsonObject *iscsi = json_object_get_object_member (storage, "lab-iscsi");
    JsonObject *lvm = json_object_get_object_member (storage, "lab-lvm");
    JsonObject *guests = json_object_get_object_member (o, "guests");
    JsonObject *vm, *ct;

    g_assert_nonnull (iscsi);
    g_assert_nonnull (lvm);
    g_assert_cmpstr (json_object_get_string_member (iscsi, "target"), ==, f->recipe->iqn);
    g_assert_cmpstr (json_object_get_string_member (iscsi, "portal"), ==, f->recipe->gateway);
    g_assert_cmpstr (json_object_get_string_member (lvm, "vgname"), ==, "vg_iscsi");
    g_assert_cmpstr (json_object_get_string_member (lvm, "shared"), ==, "1");
    g_assert_cmpstr (json_object_get_string_member (lvm, "content"), ==, "images,rootdir");
    vm = json_object_get_object_member (guests, "qemu/100");
    ct = json_object_get_object_member (guests, "lxc/101");
    g_assert_nonnull (vm);
    g_assert_nonnull (ct);
    g_assert_cmpstr (json_object_get_string_member (vm, "status"), ==, "running");
    g_assert_cmpstr (json_object_get_string_member (vm, "disk"), ==, "lab-lvm:vm-100-disk-0");
    g_assert_cmpstr (json_object_get_string_member (vm, "node"), ==, "pve1");
    g_assert_cmpstr (json_object_get_string_member (ct, "status"), ==, "running");
    g_assert_cmpstr (json_object_get_string_member (ct, "node"), ==, "pve2");
    g_assert_cmpstr (json_object_get_string_member (ct, "disk"), ==, "lab-lvm:vm-101-disk-0");
  }
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (dump_node (dump, "pve2"), "templates")), ==, 1);
  /* the VM's disk image: uploaded to pve1's lab-import (content import),
   * which the VM's disk on the shared LVM was imported from */
  {
    JsonObject *import = json_object_get_object_member (
      json_object_get_object_member (dump_node (dump, "pve1"), "storage"), "lab-import");
    JsonArray *files = json_object_get_array_member (dump_node (dump, "pve1"), "templates");

    g_assert_nonnull (import);
    g_assert_cmpstr (json_object_get_string_member (import, "type"), ==, "dir");
    g_assert_cmpstr (json_object_get_string_member (import, "content"), ==, "import");
    g_assert_cmpuint (json_array_get_length (files), ==, 1);
    g_assert_cmpstr (json_array_get_string_element (files, 0), ==, "lab-import:import/labctl-tiny.raw");
  }
}

static void
test_stand (gconstpointer version)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(LabPlan) plan = NULL;
  g_autoptr(LabPlan) again = NULL;
  g_autoptr(LabPlan) down = NULL;
  g_autoptr(JsonNode) after = NULL;
  g_autoptr(GPtrArray) calls = NULL;

  fixture_setup (&f, version);
  g_assert_cmpstr (lab_pve_server_get_version (f.server), ==, version);
  plan = pve_plan (&f);
  lab_plan_up (plan, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < lab_plan_get_n_steps (plan); i++)
    g_test_message ("%s: %.2f s", lab_plan_get_step_id (plan, i),
                    lab_state_get_step_seconds (f.state, lab_plan_get_step_id (plan, i)));
  check_stand (&f);
  assert_no_violations (&f);

  /* a second up: every step is done already; only the quorum's check
   * asks (a login, the version, /cluster/status), nothing is changed */
  again = pve_plan (&f);
  calls = lab_pve_server_get_calls (f.server);
  lab_plan_up (again, &error);
  g_assert_no_error (error);
  {
    g_autoptr(GPtrArray) now = lab_pve_server_get_calls (f.server);
    gboolean status_read = FALSE;

    for (guint i = calls->len; i < now->len; i++)
      {
        const char *call = now->pdata[i];
        g_test_message ("second up: %s", call);
        g_assert_true (g_str_has_prefix (call, "GET ") || g_str_has_prefix (call, "POST /access/ticket "));
        status_read |= g_str_has_prefix (call, "GET /cluster/status ");
      }
    g_assert_true (status_read);
  }

  /* down removes the guests, the template and the storage; the nodes'
   * own LVs are never touched (a violation says so) */
  down = pve_plan (&f);
  lab_plan_down (down, &error);
  g_assert_no_error (error);
  after = lab_pve_server_dump (f.server);
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (dump_node (after, "pve1"), "guests")), ==, 0);
  g_assert_false (json_object_has_member (json_object_get_object_member (dump_node (after, "pve1"), "storage"),
                                          "lab-lvm"));
  g_assert_false (json_object_has_member (json_object_get_object_member (dump_node (after, "pve1"), "storage"),
                                          "lab-iscsi"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (dump_node (after, "pve2"), "templates")), ==, 0);
  assert_no_violations (&f);
  fixture_teardown (&f);
}

/* ---- faults ---------------------------------------------------------------------- */

static void
test_join_half_way (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(LabPlan) plan = NULL;
  g_autoptr(LabPlan) again = NULL;

  fixture_setup (&f, "9.1.3");
  lab_pve_server_fail_join_half_way (f.server, "pve2");
  plan = pve_plan (&f);
  g_assert_false (lab_plan_up (plan, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_TOOL);
  g_assert_nonnull (strstr (error->message, "half-way"));
  g_assert_nonnull (strstr (error->message, "UPID:pve2:"));
  g_assert_cmpint (lab_state_get_step (f.state, "pve.cluster.join:pve2"), ==, LAB_STEP_STATE_STARTED);
  g_clear_error (&error);
  /* the next up joins again, with force: pve1 lists pve2 already */
  again = pve_plan (&f);
  lab_plan_up (again, &error);
  g_assert_no_error (error);
  check_stand (&f);
  assert_no_violations (&f);
  fixture_teardown (&f);
}

static void
test_task_error (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(LabPlan) plan = NULL;
  g_autoptr(LabPlan) again = NULL;
  const char *why = "start failed: QEMU exited with code 1";

  fixture_setup (&f, "8.4");
  lab_pve_server_fail_next_task (f.server, "qmstart", why);
  plan = pve_plan (&f);
  g_assert_false (lab_plan_up (plan, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_TOOL);
  g_assert_nonnull (strstr (error->message, why));
  g_assert_nonnull (strstr (error->message, ":qmstart:100:"));
  g_clear_error (&error);
  again = pve_plan (&f);
  lab_plan_up (again, &error);
  g_assert_no_error (error);
  check_stand (&f);
  assert_no_violations (&f);
  fixture_teardown (&f);
}

static void
test_fingerprint_mismatch (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(LabPlan) plan = NULL;
  g_autofree char *pve2 = NULL;
  g_autofree char *pve1 = NULL;

  fixture_setup (&f, "9.1.3");
  /* pve1's address answers with pve2's certificate pinned: refused */
  pve2 = lab_pve_server_get_fingerprint (f.server, "pve2");
  pve1 = lab_pve_server_get_fingerprint (f.server, "pve1");
  lab_state_set_string (f.state, "nodes.pve1.pve.fingerprint", pve2);
  plan = pve_plan (&f);
  g_assert_false (lab_plan_up (plan, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_CHECK_FAILED);
  g_assert_nonnull (strstr (error->message, pve1));
  g_assert_nonnull (strstr (error->message, pve2));
  g_assert_nonnull (strstr (error->message, "pve1"));
  /* nothing was sent over the refused channel */
  {
    g_autoptr(GPtrArray) calls = lab_pve_server_get_calls (f.server);
    for (guint i = 0; i < calls->len; i++)
      g_assert_null (strstr (calls->pdata[i], "on pve1"));
  }
  fixture_teardown (&f);
}

/* With the cluster CA known, a certificate that CA did not sign is still
 * refused (pve2's own install certificate, signed by pve2's CA). */
static void
test_foreign_ca (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(LabPveClient) c1 = NULL;
  g_autoptr(LabPveClient) c2 = NULL;
  g_autoptr(JsonNode) certs = NULL;
  g_autoptr(JsonNode) v = NULL;
  g_autofree char *pin1 = NULL;
  const char *ca = NULL;

  fixture_setup (&f, "9.1.3");
  c1 = client_for (&f, "pve1", NULL);
  certs = lab_pve_client_call (c1, "GET", "/nodes/pve1/certificates/info", NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (certs)); i++)
    {
      JsonObject *o = json_array_get_object_element (json_node_get_array (certs), i);
      if (g_str_equal (json_object_get_string_member (o, "filename"), "pve-root-ca.pem"))
        ca = json_object_get_string_member (o, "pem");
    }
  g_assert_nonnull (ca);
  pin1 = lab_pve_server_get_fingerprint (f.server, "pve1");
  c2 = client_for (&f, "pve2", pin1);
  g_assert_true (lab_pve_client_set_cluster_ca (c2, ca, &error));
  v = lab_pve_client_call (c2, "GET", "/version", NULL, &error);
  g_assert_null (v);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_CHECK_FAILED);
  g_assert_nonnull (strstr (error->message, "nor signed by the cluster's CA"));
  g_clear_error (&error);
  g_assert_false (lab_pve_client_set_cluster_ca (c2, "not a certificate", &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_STATE);
  fixture_teardown (&f);
}

static void
test_relogin (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(LabPveClient) c = NULL;
  g_autoptr(JsonNode) v1 = NULL;
  g_autoptr(JsonNode) v2 = NULL;

  fixture_setup (&f, "9.1.3");
  c = client_for (&f, "pve1", NULL);
  v1 = lab_pve_client_call (c, "GET", "/version", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lab_pve_server_count_logins (f.server), ==, 1);
  lab_pve_server_expire_tickets (f.server);
  v2 = lab_pve_client_call (c, "GET", "/version", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (v2), "version"), ==, "9.1.3");
  g_assert_cmpuint (lab_pve_server_count_logins (f.server), ==, 2);
  assert_no_violations (&f);
  fixture_teardown (&f);
}

static void
test_wrong_password (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(LabPveClient) c = NULL;
  g_autoptr(JsonNode) v = NULL;

  fixture_setup (&f, "9.1.3");
  c = client_for (&f, "pve1", NULL);
  lab_pve_client_set_password (c, "not-the-password");
  v = lab_pve_client_call (c, "GET", "/version", NULL, &error);
  g_assert_null (v);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_TOOL);
  g_assert_nonnull (strstr (error->message, "401"));
  g_assert_null (strstr (error->message, "not-the-password"));
  fixture_teardown (&f);
}

/* ---- the server's checks can fail ---------------------------------------------------- */

static gboolean
accept_any (SoupMessage *msg, GTlsCertificate *cert, GTlsCertificateFlags errors, gpointer data)
{
  return TRUE;
}

static guint
raw_request (Fixture *f, const char *method, const char *path, const char *body, const char *cookie,
             const char *csrf, const char *authorization)
{
  g_autofree char *base = lab_pve_server_get_url (f->server, "pve1");
  g_autofree char *uri = g_strdup_printf ("%s/api2/json%s", base, path);
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;

  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_any), NULL);
  if (body != NULL)
    {
      g_autoptr(GBytes) b = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", b);
    }
  if (cookie != NULL)
    {
      g_autofree char *t = g_uri_escape_string (cookie, NULL, FALSE);
      g_autofree char *c = g_strdup_printf ("PVEAuthCookie=%s", t);
      soup_message_headers_append (soup_message_get_request_headers (msg), "Cookie", c);
    }
  if (csrf != NULL)
    soup_message_headers_append (soup_message_get_request_headers (msg), "CSRFPreventionToken", csrf);
  if (authorization != NULL)
    soup_message_headers_append (soup_message_get_request_headers (msg), "Authorization", authorization);
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  return soup_message_get_status (msg);
}

/* Calls that break the schema, each with the violation the server must
 * report: the contract server's checks can fail. */
typedef struct {
  const char *method;
  const char *path;
  const char *params[10];
  const char *violation;
} BadCall;

static const BadCall bad_calls[] = {
  { "POST", "/cluster/config", { "clustername", "course", "colour", "blue" }, "parameter colour" },
  { "POST", "/cluster/config", { "clustername", "a-much-too-long-cluster-name" },
    "parameter clustername: value may only be 15 characters long" },
  { "POST", "/storage", { "type", "lvm" }, "parameter storage: property is missing" },
  { "POST", "/storage", { "storage", "x1", "type", "lvm", "vgname", "vg", "shared", "maybe" },
    "parameter shared: type check ('boolean') failed" },
  { "POST", "/storage", { "storage", "x1", "type", "floppy" },
    "parameter type: value 'floppy' does not have a value in the enumeration" },
  { "POST", "/nodes/pve1/qemu", { "vmid", "100", "net0", "model=virtio,colour=blue" },
    "parameter net0: invalid format - unknown key 'colour'" },
  { "GET", "/nodes/pve1/no-such-thing", { NULL }, "GET /nodes/pve1/no-such-thing on pve1: no such endpoint" },
  /* the VM's disk by import */
  { "POST", "/nodes/pve1/qemu", { "vmid", "100", "scsi0", "lab-lvm:0,import_from=lab-import:import/x.raw" },
    "parameter scsi0: invalid format - unknown key 'import_from'" },
  { "POST", "/nodes/pve1/storage/lab-import/upload", { "content", "images", "filename", "x.raw" },
    "parameter content: value 'images' does not have a value in the enumeration" },
  /* the experiments' calls */
  { "POST", "/nodes/pve1/qemu/100/migrate", { "target", "pve2", "live", "1" }, "parameter live" },
  { "POST", "/nodes/pve1/qemu/100/migrate", { "online", "1" }, "parameter target: property is missing" },
  { "POST", "/nodes/pve1/lxc/101/migrate", { "target", "pve2", "restart", "soon" },
    "parameter restart: type check ('boolean') failed" },
  { "POST", "/cluster/ha/resources", { "sid", "vm:100", "state", "running" },
    "parameter state: value 'running' does not have a value in the enumeration" },
  { "POST", "/cluster/ha/resources", { "state", "started" }, "parameter sid: property is missing" },
  { "GET", "/nodes/pve1/tasks/UPID:pve1:1/log", { "limit", "many" }, "parameter limit: type check ('integer') failed" },
};

static void
test_schema_refuses (gconstpointer version)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(LabPveClient) c = NULL;
  const char *ticket_body = NULL;
  g_autofree char *body = NULL;

  fixture_setup (&f, version);
  c = client_for (&f, "pve1", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (bad_calls); i++)
    {
      const BadCall *bc = &bad_calls[i];
      g_autoptr(JsonNode) r = lab_pve_client_call (c, bc->method, bc->path, bc->params, &error);
      g_autofree char *what = g_strdup_printf ("%s %s on pve1", bc->method, bc->path);

      g_test_message ("%s: %s", what, error != NULL ? error->message : "accepted");
      g_assert_null (r);
      g_assert_error (error, LAB_ERROR, LAB_ERROR_TOOL);
      /* the error quotes the call and Proxmox's answer */
      g_assert_nonnull (strstr (error->message, what));
      g_assert_true (has_violation (&f, bc->violation));
      g_clear_error (&error);
    }
  {
    /* the first: the message names the parameter, as Proxmox's 400 does */
    g_autoptr(JsonNode) r = lab_pve_client_call (c, "POST", "/cluster/config", bad_calls[0].params, &error);
    g_assert_null (r);
    g_assert_nonnull (strstr (error->message, "400"));
    g_assert_nonnull (strstr (error->message, "colour"));
    g_clear_error (&error);
  }

  /* auth: a token on a root@pam-only method, a token where tokens are
   * refused, a write without its CSRF token */
  g_assert_cmpuint (raw_request (&f, "POST", "/cluster/config", "clustername=course", NULL, NULL,
                                 "PVEAPIToken=root@pam!labctl=00000000-0000-0000-0000-000000000000"),
                    ==, 403);
  g_assert_true (has_violation (&f, "an API token (root@pam!labctl) on a root@pam-only method"));
  g_assert_cmpuint (raw_request (&f, "POST", "/access/ticket", "username=root%40pam&password=x", NULL, NULL, NULL),
                    ==, 401);
  {
    g_autoptr(JsonNode) v = lab_pve_client_call (c, "GET", "/version", NULL, &error);
    g_assert_no_error (error);
  }
  body = g_strdup_printf ("username=root%%40pam&password=%s", lab_pve_test_passwords[0]);
  ticket_body = body;
  {
    g_autofree char *base = lab_pve_server_get_url (f.server, "pve1");
    g_autofree char *uri = g_strdup_printf ("%s/api2/json/access/ticket", base);
    g_autoptr(SoupSession) session = soup_session_new ();
    g_autoptr(SoupMessage) msg = soup_message_new ("POST", uri);
    g_autoptr(GBytes) b = g_bytes_new (ticket_body, strlen (ticket_body));
    g_autoptr(GBytes) reply = NULL;
    g_autoptr(JsonParser) p = json_parser_new ();
    const char *ticket;

    g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_any), NULL);
    soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", b);
    reply = soup_session_send_and_read (session, msg, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (json_parser_load_from_data (p, g_bytes_get_data (reply, NULL), g_bytes_get_size (reply), NULL));
    ticket = json_object_get_string_member (
      json_object_get_object_member (json_node_get_object (json_parser_get_root (p)), "data"), "ticket");
    g_assert_cmpuint (raw_request (&f, "POST", "/cluster/config", "clustername=course", ticket, NULL, NULL), ==, 401);
    g_assert_true (has_violation (&f, "a write without the CSRFPreventionToken"));
    g_assert_cmpuint (raw_request (&f, "GET", "/version", NULL, ticket, NULL, NULL), ==, 200);
  }
  fixture_teardown (&f);
}

/* ---- experiments through the API -------------------------------------------------- */

/* The proxmox row with the experiments' members set (what the row in
 * lab-proxmox-flavor.c gets), its fault a stand-in: the server's node
 * loses its power as when the host's libvirt destroys its domain
 * (lab_pve_node_fault, tested on libvirt's test driver below). */
static LabPveServer *fault_server;

static gboolean
power_off_stand_in (LabContext *ctx, LabNode *node, LabNodeFault fault, GError **error)
{
  g_assert_cmpint (fault, ==, LAB_NODE_FAULT_POWEROFF);
  lab_pve_server_power_off (fault_server, node->name);
  return TRUE;
}

static LabFlavor
experiment_row (Fixture *f)
{
  LabFlavor row = lab_flavor_proxmox;

  row.stack = &lab_pve_stack_ops;
  row.node_fault = power_off_stand_in;
  fault_server = f->server;
  return row;
}

static void
stand_up (Fixture *f, const char *version)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabPlan) plan = NULL;

  fixture_setup (f, version);
  plan = pve_plan (f);
  lab_plan_up (plan, &error);
  g_assert_no_error (error);
}

static const char *
guest_node_in (Fixture *f, const char *id)
{
  g_autoptr(JsonNode) dump = lab_pve_server_dump (f->server);
  JsonObject *guests = json_object_get_object_member (dump_node (dump, "pve1"), "guests");
  JsonObject *g = json_object_get_object_member (guests, id);
  static char node[16];

  g_strlcpy (node, g != NULL ? json_object_get_string_member (g, "node") : "", sizeof node);
  return node;
}

static gboolean
log_has (GStrv log, const char *needle)
{
  for (guint i = 0; log != NULL && log[i] != NULL; i++)
    if (strstr (log[i], needle) != NULL)
      return TRUE;
  return FALSE;
}

/* The VM migrates online: `qm migrate 100 pve2 --online 1`, the task
 * followed by UPID, its log read and its figures taken; the probe pings
 * the VM's reserved address (its stand-in, guest_stand_ins). */
static void
run_migrate_vm (Fixture *fp)
{
  Fixture f = *fp;
  g_autoptr(GError) error = NULL;
  LabFlavor row;
  LabMigrationResult r = { 0 };
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(GPtrArray) calls = NULL;
  gboolean migrate_call = FALSE;

  row = experiment_row (&f);
  g_assert_true (lab_experiment_migrate_stack (&f.ctx, &row, "lab-vm", NULL, 0, &r, &error));
  g_assert_no_error (error);
  g_assert_true (r.have_stack);
  g_assert_true (r.stack.migrated);
  g_assert_cmpstr (r.from_node, ==, "pve1");
  g_assert_cmpstr (r.to_node, ==, "pve2");
  g_assert_cmpstr (r.stack.method, ==, "online");
  g_assert_true (g_str_has_prefix (r.stack.task, "UPID:pve1:"));
  g_assert_nonnull (strstr (r.stack.task, ":qmigrate:100:"));
  g_assert_cmpint (r.stack.downtime_ms, ==, 41);
  g_assert_cmpint (r.stack.duration_ms, ==, 3000);
  g_assert_true (log_has (r.stack.log, "starting online/live migration"));
  g_assert_true (log_has (r.stack.log, "TASK OK"));
  g_assert_cmpuint (r.probe.n_received, >=, 1);
  g_assert_true (r.answers_after);
  g_assert_cmpstr (guest_node_in (&f, "qemu/100"), ==, "pve2");
  g_assert_cmpstr (lab_state_get_string (f.state, "pve.guest.qemu.node"), ==, "pve2");
  calls = lab_pve_server_get_calls (f.server);
  for (guint i = 0; i < calls->len; i++)
    migrate_call |= g_str_equal (calls->pdata[i], "POST /nodes/pve1/qemu/100/migrate on pve1");
  g_assert_true (migrate_call);
  text = lab_migration_result_format (&r);
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, "Live migration of lab-vm: pve1 -> pve2"));
  g_assert_nonnull (strstr (text, "downtime by Proxmox:     41 ms"));
  g_assert_null (strstr (text, "no ping probe"));
  json = lab_migration_result_to_json (&r);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (json_node_get_object (json), "cluster"),
                                               "downtime_ms"), ==, 41);
  lab_migration_result_clear (&r);

  /* again: back to the next node, pve3 (the state follows the guest) */
  g_assert_true (lab_experiment_migrate_stack (&f.ctx, &row, "lab-vm", NULL, 0, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (r.to_node, ==, "pve3");
  lab_migration_result_clear (&r);
  /* to where it runs: refused before any call */
  g_assert_false (lab_experiment_migrate_stack (&f.ctx, &row, "lab-vm", "pve3", 0, &r, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_USAGE);
  g_clear_error (&error);
  lab_migration_result_clear (&r);
  g_assert_false (lab_experiment_migrate_stack (&f.ctx, &row, "no-such-guest", NULL, 0, &r, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "lab-vm"));
  g_clear_error (&error);
  lab_migration_result_clear (&r);

  /* a migration task that fails: the error quotes its exit status and the
   * last lines of its log; the guest stays where it was */
  lab_pve_server_fail_next_task (f.server, "qmigrate", "migration problems");
  g_assert_false (lab_experiment_migrate_stack (&f.ctx, &row, "lab-vm", "pve1", 0, &r, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_TOOL);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "ended with exit status \"migration problems\""));
  g_assert_nonnull (strstr (error->message, "its last lines: "));
  g_assert_nonnull (strstr (error->message, "TASK ERROR: migration problems"));
  g_assert_nonnull (strstr (error->message, "starting VM 100 on remote node 'pve1'"));
  g_clear_error (&error);
  g_assert_false (r.stack.migrated);
  g_assert_cmpstr (guest_node_in (&f, "qemu/100"), ==, "pve3");
  g_assert_cmpstr (lab_state_get_string (f.state, "pve.guest.qemu.node"), ==, "pve3");
  lab_migration_result_clear (&r);
  assert_no_violations (&f);
}

/* The guests' addresses (the container's 192.168.150.51, the VM's .52)
 * answer on lo of a private network namespace, in a child process
 * (trap_in_netns): stand-ins for the guests, which here are only the
 * model's. They answer all along, so a probe shows the experiment's path
 * works, not a gap (e2e-proxmox boots the VM's disk for real). */
static void
guest_stand_ins (void)
{
  g_autoptr(GError) error = NULL;
  const char *lo_up[] = { "ip", "link", "set", "lo", "up", NULL };
  const char *ct[] = { "ip", "addr", "add", "192.168.150.51/32", "dev", "lo", NULL };
  const char *vm[] = { "ip", "addr", "add", "192.168.150.52/32", "dev", "lo", NULL };
  const char *const *cmds[] = { lo_up, ct, vm };
  int status = -1;

  g_assert_cmpint (unshare (CLONE_NEWNET), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (cmds); i++)
    {
      g_assert_true (g_spawn_sync (NULL, (char **) cmds[i], NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status,
                                   &error));
      g_assert_no_error (error);
      g_assert_cmpint (status, ==, 0);
    }
}

/* Runs this test's /subprocess child (which makes the stand-ins). */
static void
trap_in_netns (gconstpointer unused)
{
  g_autofree char *path = g_strconcat (g_test_get_path (), "/subprocess", NULL);

  if (geteuid () != 0)
    {
      g_test_skip ("not root: the guests' stand-in addresses need a private network namespace (unshare) "
                   "and the probe an ICMP socket");
      return;
    }
  g_test_trap_subprocess (path, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* The container: restart migration (`pct migrate 101 pve3 --restart 1`),
 * pinged from the host (its stand-in). */
static void
test_migrate_ct_child (gconstpointer version)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  LabFlavor row;
  LabMigrationResult r = { 0 };
  g_autofree char *text = NULL;

  guest_stand_ins ();
  stand_up (&f, version);
  row = experiment_row (&f);
  g_assert_true (lab_experiment_migrate_stack (&f.ctx, &row, "lab-ct", NULL, 0, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (r.from_node, ==, "pve2");
  g_assert_cmpstr (r.to_node, ==, "pve3");
  g_assert_cmpstr (r.stack.method, ==, "restart");
  g_assert_nonnull (strstr (r.stack.task, ":vzmigrate:101:"));
  g_assert_true (log_has (r.stack.log, "shutdown CT 101"));
  g_assert_true (log_has (r.stack.log, "start container on target node"));
  /* Proxmox gives no downtime for a restart migration: the probe's is the figure */
  g_assert_cmpint (r.stack.downtime_ms, ==, -1);
  g_assert_cmpint (r.stack.duration_ms, >=, 0);
  g_assert_cmpuint (r.probe.n_received, >=, 20);
  g_assert_true (r.answers_after);
  g_assert_cmpstr (guest_node_in (&f, "lxc/101"), ==, "pve3");
  text = lab_migration_result_format (&r);
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, "Restart migration of lab-ct: pve2 -> pve3"));
  g_assert_nonnull (strstr (text, "downtime seen by ping"));
  g_assert_nonnull (strstr (text, "none given"));
  lab_migration_result_clear (&r);
  assert_no_violations (&f);
  fixture_teardown (&f);
}

/* HA failover: the VM made an HA resource (POST /cluster/ha/resources
 * vm:100), its node powered off, the phases read from
 * /cluster/ha/status/current on the survivors. */
static void
run_failover (Fixture *fp, const char *victim)
{
  Fixture f = *fp;
  g_autoptr(GError) error = NULL;
  LabFlavor row;
  LabFailoverResult r = { 0 };
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) dump = NULL;
  const char *order[] = { "membership", "fence-requested", "fence-done", "started" };
  LabFailoverResult refused = { 0 };

  row = experiment_row (&f);
  /* Proxmox's HA fences by watchdog: a crash or a cut link are not this experiment's */
  g_assert_false (lab_experiment_failover_stack (&f.ctx, &row, "lab-vm", LAB_FAILOVER_CRASH, 0, &refused, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  lab_failover_result_clear (&refused);

  g_assert_true (lab_experiment_failover_stack (&f.ctx, &row, "lab-vm", LAB_FAILOVER_POWEROFF, 30000, &r, &error));
  g_assert_no_error (error);
  text = lab_failover_result_format (&r);
  g_test_message ("%s", text);
  g_assert_true (r.stack);
  g_assert_true (r.recovered);
  g_assert_null (r.stuck);
  g_assert_cmpstr (r.victim, ==, victim);
  g_assert_nonnull (r.new_node);
  g_assert_cmpstr (r.new_node, !=, victim);
  g_assert_cmpuint (r.phases->len, ==, G_N_ELEMENTS (order));
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      LabFailoverPhase *ph = &g_array_index (r.phases, LabFailoverPhase, i);
      g_assert_cmpstr (ph->id, ==, order[i]);
      g_assert_cmpint (ph->offset_us, >=, 0);
      if (i > 0)
        g_assert_cmpint (ph->offset_us, >=, g_array_index (r.phases, LabFailoverPhase, i - 1).offset_us);
    }
  /* the model's fence comes when the node has been gone 0.9 s */
  g_assert_cmpint (g_array_index (r.phases, LabFailoverPhase, 2).offset_us, >=, 900 * 1000);
  g_assert_nonnull (strstr (text, "Proxmox HA"));
  g_assert_nonnull (strstr (text, "watchdog"));
  dump = lab_pve_server_dump (f.server);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (dump_node (dump, r.new_node), "ha"),
                                                  "vm:100"), ==, "started");
  g_assert_false (json_object_get_boolean_member (dump_node (dump, victim), "powered"));
  g_assert_cmpstr (guest_node_in (&f, "qemu/100"), ==, r.new_node);
  g_assert_cmpstr (lab_state_get_string (f.state, "pve.ha.sid"), ==, "vm:100");
  lab_failover_result_clear (&r);
  assert_no_violations (&f);
}

static gpointer
power_on_later (gpointer server)
{
  g_usleep (1500 * 1000);
  lab_pve_server_power_on (server, "pve3");
  return NULL;
}

/* One stand per schema: the VM migrated (and a migration that fails),
 * then failed over from where it ended (pve3). */
static void
test_experiments (gconstpointer version)
{
  Fixture f = { 0 };

  g_autoptr(LabPlan) down = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(JsonNode) after = NULL;
  g_autoptr(GError) error = NULL;

  guest_stand_ins ();
  stand_up (&f, version);
  run_migrate_vm (&f);
  run_failover (&f, "pve3");
  {
    /* an HA resource now: the API call asks the HA manager (`hamigrate`),
     * whose LRM on the source node runs the migration task we read */
    LabFlavor row = experiment_row (&f);
    LabMigrationResult r = { 0 };

    g_assert_true (lab_experiment_migrate_stack (&f.ctx, &row, "lab-vm", "pve2", 0, &r, &error));
    g_assert_no_error (error);
    g_assert_true (r.stack.migrated);
    g_assert_cmpstr (r.stack.method, ==, "online (HA)");
    g_assert_true (g_str_has_prefix (r.stack.task, "UPID:pve1:"));
    g_assert_nonnull (strstr (r.stack.task, ":qmigrate:100:"));
    g_assert_true (log_has (r.stack.log, "migration finished successfully"));
    g_assert_cmpstr (guest_node_in (&f, "qemu/100"), ==, "pve2");
    lab_migration_result_clear (&r);
  }
  /* the node comes back (the stand's plan starts it): the plan's next up
   * waits until /cluster/status shows it online again (the failover
   * report's "rejoined"); then down removes the HA resource first: Proxmox
   * refuses to destroy an HA resource */
  {
    g_autoptr(LabPlan) again = pve_plan (&f);
    GThread *later = g_thread_new ("power-on", power_on_later, f.server);
    gint64 t0 = g_get_monotonic_time ();

    lab_plan_up (again, &error);
    g_assert_no_error (error);
    g_assert_cmpint (g_get_monotonic_time () - t0, >=, 1500 * 1000);
    g_thread_join (later);
  }
  down = pve_plan (&f);
  lab_plan_describe (down, TRUE, text);
  g_assert_nonnull (strstr (text->str, "ssh root@192.168.150.11 ha-manager remove vm:100\n"));
  lab_plan_down (down, &error);
  g_assert_no_error (error);
  after = lab_pve_server_dump (f.server);
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (dump_node (after, "pve1"), "guests")), ==, 0);
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (dump_node (after, "pve1"), "ha")), ==, 0);
  g_assert_false (lab_state_has (f.state, "pve.ha.sid"));
  assert_no_violations (&f);
  fixture_teardown (&f);
}

/* `labctl reset` on proxmox: the nodes back to their fresh install (the
 * server's reinstall hook stands in for the clean snapshot), the API
 * phases' steps forgotten as the row declares (lab_stand_reset), and the
 * plan run again: the cluster re-forms, the storage, uploads and guests
 * are made again at home, and the state's records describe that
 * cluster, not the one that went. */
static void
test_reset (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(LabPlan) plan = NULL;
  g_autoptr(JsonNode) fresh = NULL;
  g_autoptr(JsonNode) after = NULL;
  g_autofree char *old_pin = NULL;
  g_autofree char *install_pin = NULL;
  guint forgotten, recorded = 0;

  guest_stand_ins ();
  stand_up (&f, "9.1.3");
  run_migrate_vm (&f);
  run_failover (&f, "pve3");
  lab_pve_server_power_on (f.server, "pve3");
  old_pin = g_strdup (lab_state_get_string (f.state, "pve.node.pve2.fingerprint"));
  install_pin = g_strdup (lab_state_get_string (f.state, "nodes.pve2.pve.fingerprint"));
  for (guint i = 0; i < 3; i++)
    {
      const char *n = ((LabNode *) f.recipe->nodes->pdata[i])->name;

      lab_pve_server_power_off (f.server, n);
      lab_pve_server_node_reinstalled (f.server, n);
      lab_pve_server_power_on (f.server, n);
    }
  fresh = lab_pve_server_dump (f.server);
  g_assert_null (json_object_get_string_member (dump_node (fresh, "pve1"), "cluster"));
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (dump_node (fresh, "pve1"), "guests")), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (dump_node (fresh, "pve2"), "fingerprint"), ==, install_pin);

  plan = pve_plan (&f);
  /* every step labctl recorded; a wait that `up` found done by its check
   * (the quorum, reached as the last join ended) has no record to forget */
  for (guint i = 0; i < lab_plan_get_n_steps (plan); i++)
    recorded += lab_state_get_step (f.state, lab_plan_get_step_id (plan, i)) != LAB_STEP_STATE_NONE;
  g_assert_cmpuint (recorded, >=, lab_plan_get_n_steps (plan) - 1);
  forgotten = lab_plan_forget_steps (plan, lab_flavor_proxmox.reset_undoes);
  g_assert_cmpuint (forgotten, ==, recorded);
  /* the API phases' records went; the install's stay (the pins, the URLs) */
  g_assert_false (lab_state_has (f.state, "pve.cluster.name"));
  g_assert_false (lab_state_has (f.state, "pve.cluster.ca"));
  g_assert_false (lab_state_has (f.state, "pve.node.pve2.fingerprint"));
  g_assert_false (lab_state_has (f.state, "pve.node.pve1.version"));
  g_assert_false (lab_state_has (f.state, "pve.storage.lab-lvm"));
  g_assert_false (lab_state_has (f.state, "pve.template.volid"));
  g_assert_false (lab_state_has (f.state, "pve.guest.qemu.vmid"));
  g_assert_false (lab_state_has (f.state, "pve.ha.sid"));
  g_assert_cmpstr (lab_state_get_string (f.state, "nodes.pve2.pve.fingerprint"), ==, install_pin);
  g_assert_true (lab_state_has (f.state, "nodes.pve1.pve.api"));
  g_assert_cmpint (lab_state_get_step (f.state, "pve.cluster.create"), ==, LAB_STEP_STATE_STARTED);

  lab_plan_up (plan, &error);
  g_assert_no_error (error);
  check_stand (&f);
  after = lab_pve_server_dump (f.server);
  /* the HA resource went with the old cluster; the new pin is the new join's */
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (dump_node (after, "pve1"), "ha")), ==, 0);
  g_assert_cmpstr (lab_state_get_string (f.state, "pve.node.pve2.fingerprint"), !=, old_pin);
  g_assert_cmpstr (lab_state_get_string (f.state, "pve.guest.qemu.node"), ==, "pve1");
  for (guint i = 0; i < lab_plan_get_n_steps (plan); i++)
    {
      const char *id = lab_plan_get_step_id (plan, i);
      gboolean done = FALSE;

      if (lab_state_get_step (f.state, id) == LAB_STEP_STATE_DONE)
        continue;
      /* not recorded: only a step whose check found it done */
      g_assert_cmpint (lab_state_get_step (f.state, id), ==, LAB_STEP_STATE_NONE);
      g_assert_true (lab_plan_check_step (plan, i, &done, &error));
      g_assert_no_error (error);
      g_assert_true (done);
    }
  assert_no_violations (&f);
  fixture_teardown (&f);
}

/* Without quorum the HA manager recovers nothing: two nodes off, the
 * failover is reported stuck, not recovered. */
static void
test_failover_no_quorum (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  LabFlavor row;
  LabFailoverResult r = { 0 };
  g_autofree char *text = NULL;

  guest_stand_ins ();
  stand_up (&f, "9.1.3");
  row = experiment_row (&f);
  lab_pve_server_power_off (f.server, "pve3");
  g_assert_true (lab_experiment_failover_stack (&f.ctx, &row, "lab-vm", LAB_FAILOVER_POWEROFF, 3000, &r, &error));
  g_assert_no_error (error);
  text = lab_failover_result_format (&r);
  g_test_message ("%s", text);
  g_assert_false (r.recovered);
  g_assert_cmpstr (r.stuck, ==, "fence-requested");
  g_assert_nonnull (strstr (text, "NOT RECOVERED"));
  g_assert_cmpstr (guest_node_in (&f, "qemu/100"), ==, "pve1");
  lab_failover_result_clear (&r);
  assert_no_violations (&f);
  fixture_teardown (&f);
}

/* 9.x refuses HA groups (migrated to rules) before anything else; 8.4
 * takes the parameter (and then finds no guest 100: no stand here). */
static void
test_ha_groups (void)
{
  const char *params[] = { "sid", "vm:100", "group", "lab", NULL };

  for (guint v = 0; v < 2; v++)
    {
      Fixture f = { 0 };
      g_autoptr(GError) error = NULL;
      g_autoptr(LabPveClient) c = NULL;
      g_autoptr(JsonNode) r = NULL;

      fixture_setup (&f, v == 0 ? "8.4" : "9.1.3");
      c = client_for (&f, "pve1", NULL);
      r = lab_pve_client_call (c, "POST", "/cluster/ha/resources", params, &error);
      g_assert_null (r);
      g_assert_error (error, LAB_ERROR, LAB_ERROR_TOOL);
      g_assert_true ((strstr (error->message, "ha groups have been migrated to rules") != NULL) == (v == 1));
      assert_no_violations (&f);
      fixture_teardown (&f);
    }
}

/* The experiments refuse a node whose certificate is not its pin (and do
 * not go on to the next node): nothing is sent over that channel. */
static void
test_experiment_pin (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *pve2 = NULL;
  LabFlavor row;
  LabMigrationResult r = { 0 };
  LabFailoverResult fr = { 0 };

  fixture_setup (&f, "9.1.3");
  row = experiment_row (&f);
  pve2 = lab_pve_server_get_fingerprint (f.server, "pve2");
  lab_state_set_string (f.state, "nodes.pve1.pve.fingerprint", pve2);
  g_assert_false (lab_experiment_migrate_stack (&f.ctx, &row, "lab-vm", NULL, 0, &r, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_CHECK_FAILED);
  g_assert_nonnull (strstr (error->message, pve2));
  g_clear_error (&error);
  g_assert_false (lab_experiment_failover_stack (&f.ctx, &row, "lab-vm", LAB_FAILOVER_POWEROFF, 1000, &fr, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_CHECK_FAILED);
  {
    g_autoptr(GPtrArray) calls = lab_pve_server_get_calls (f.server);
    g_assert_cmpuint (calls->len, ==, 0);
  }
  lab_migration_result_clear (&r);
  lab_failover_result_clear (&fr);
  fixture_teardown (&f);
}

/* The real fault: the node's domain destroyed through the host's libvirt
 * (libvirt's test driver stands in for qemu:///system). */
static void
test_node_fault (void)
{
  g_autoptr(GError) error = NULL;
  LabRecipe *recipe = lab_recipe_load_data (LAB_PVE_TEST_RECIPE, -1, "test.lab", &error);
  g_autoptr(LabState) state = lab_state_new_in_memory ("course");
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  g_autoptr(LabVirt) virt = NULL;
  g_autoptr(LabVirtDomainSpec) spec = NULL;
  virDomainPtr dom = NULL;
  LabContext ctx;

  g_assert_no_error (error);
  lab_context_init (&ctx, recipe, state, runner, NULL, FALSE);
  ctx.libvirt_uri = "test:///default";
  virt = lab_virt_connect (ctx.libvirt_uri, &error);
  g_assert_no_error (error);
  spec = lab_vm_domain_spec (recipe, recipe->nodes->pdata[0], NULL, "qemu", NULL);
  g_assert_true (lab_virt_domain_define (virt, spec, &error));
  g_assert_no_error (error);
  g_assert_true (lab_virt_domain_lookup (virt, "pve1", "course", &dom, &error));
  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  g_assert_cmpint (virDomainIsActive (dom), ==, 1);

  g_assert_true (lab_pve_node_fault (&ctx, recipe->nodes->pdata[0], LAB_NODE_FAULT_POWEROFF, &error));
  g_assert_no_error (error);
  g_assert_cmpint (virDomainIsActive (dom), ==, 0);
  /* a node labctl has no domain for, and a fault this flavor does not inject */
  g_assert_false (lab_pve_node_fault (&ctx, recipe->nodes->pdata[1], LAB_NODE_FAULT_POWEROFF, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (lab_pve_node_fault (&ctx, recipe->nodes->pdata[0], LAB_NODE_FAULT_LINK_DOWN, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_assert_true (lab_virt_domain_undefine (virt, "pve1", "course", &error));
  virDomainFree (dom);
  lab_recipe_free (recipe);
}

/* The figures of a task log (the lines as QemuMigrate.pm writes them). */
static void
test_migration_figures (void)
{
  static const struct {
    const char *log[4];
    gint64      downtime_ms, duration_ms;
  } cases[] = {
    { { "2026-01-01 10:00:05 average migration speed: 128.0 MiB/s - downtime 38 ms",
        "2026-01-01 10:00:08 migration finished successfully (duration 00:01:08)", "TASK OK" }, 38, 68000 },
    { { "2026-01-01 10:00:08 migration finished successfully (duration 00:00:05)", "TASK OK" }, -1, 5000 },
    { { "2026-01-01 10:00:08 ERROR: online migrate failure - aborted", "TASK ERROR: migration problems" }, -1, -1 },
    { { "downtime 5 ms (not the speed line)" }, -1, -1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 down, dur;

      lab_pve_migration_figures (cases[i].log, &down, &dur);
      g_assert_cmpint (down, ==, cases[i].downtime_ms);
      g_assert_cmpint (dur, ==, cases[i].duration_ms);
    }
}

/* ---- dry run ---------------------------------------------------------------------- */

static void
test_describe (void)
{
  Fixture f = { 0 };
  g_autoptr(LabPlan) plan = NULL;
  g_autoptr(GString) up = g_string_new (NULL);
  g_autoptr(GString) down = g_string_new (NULL);
  g_autofree char *pin = NULL;
  g_autofree char *join = NULL;

  fixture_setup (&f, "9.1.3");
  pin = lab_pve_server_get_fingerprint (f.server, "pve1");
  plan = pve_plan (&f);
  lab_plan_describe (plan, FALSE, up);
  lab_plan_describe (plan, TRUE, down);
  g_test_message ("%s", up->str);
  g_assert_nonnull (strstr (up->str, "ssh root@192.168.150.11 pvesh get /version\n"));
  g_assert_nonnull (strstr (up->str, "ssh root@192.168.150.11 pvecm create course --link0 192.168.150.11\n"));
  g_assert_nonnull (strstr (up->str, "ssh root@192.168.150.11 pvesh get /nodes/pve1/certificates/info\n"));
  g_assert_nonnull (strstr (up->str, "ssh root@192.168.150.11 pvesh get /cluster/config/join\n"));
  join = g_strdup_printf ("ssh root@192.168.150.12 pvecm add 192.168.150.11 --fingerprint %s --link0 192.168.150.12\n",
                          pin);
  g_assert_nonnull (strstr (up->str, join));
  g_assert_nonnull (strstr (up->str, "ssh root@192.168.150.11 pvecm status\n"));
  g_assert_nonnull (strstr (up->str, "pvesm add iscsi lab-iscsi --portal 192.168.150.1 --target iqn."));
  g_assert_nonnull (strstr (up->str, "pvesm add lvm lab-lvm --vgname vg_iscsi --shared 1 --content images,rootdir\n"));
  g_assert_nonnull (strstr (up->str, "pvesm add dir lab-import --path /var/lib/labctl-import --content import\n"));
  g_assert_nonnull (strstr (up->str, "scp labctl-tiny.raw root@192.168.150.11:/var/lib/labctl-import/import/\n"));
  {
    /* the VM's MAC is labctl's, the one the lab network reserves an address for */
    g_autofree char *mac = lab_recipe_make_mac ("course", "lab-vm");
    g_autofree char *create = g_strdup_printf (
      "ssh root@192.168.150.11 qm create 100 --name lab-vm --memory 256 --cores 1 "
      "--ostype l26 --scsi0 lab-lvm:0,import-from=lab-import:import/labctl-tiny.raw "
      "--boot order=scsi0 --serial0 socket --net0 virtio=%s,bridge=vmbr0", mac);
    g_assert_nonnull (strstr (up->str, create));
  }
  g_assert_nonnull (strstr (up->str, "ssh root@192.168.150.12 pct create 101 local:vztmpl/labctl-busybox_1.0_amd64.tar.gz"));
  g_assert_nonnull (strstr (up->str, "ip=192.168.150.51/24,gw=192.168.150.1"));
  g_assert_nonnull (strstr (up->str, "ssh root@192.168.150.12 pct start 101\n"));
  g_assert_nonnull (strstr (down->str, "ssh root@192.168.150.12 pct destroy 101\n"));
  g_assert_nonnull (strstr (down->str, "ssh root@192.168.150.11 pvesm remove lab-lvm\n"));
  g_assert_nonnull (strstr (down->str, "ssh root@192.168.150.11 pvesm free lab-import:import/labctl-tiny.raw\n"));
  g_assert_nonnull (strstr (down->str, "ssh root@192.168.150.11 pvesm remove lab-import\n"));
  for (guint i = 0; i < 3; i++)
    {
      g_assert_null (strstr (up->str, lab_pve_test_passwords[i]));
      g_assert_null (strstr (down->str, lab_pve_test_passwords[i]));
    }
  fixture_teardown (&f);
}

/* The VM's disk image (built in main, for real, into the test's cache): an
 * MBR with syslinux's code and one active FAT16 partition at 1 MiB that
 * fills the rest; on it the host's kernel, the initramfs, syslinux.cfg and
 * ldlinux.sys; the initramfs holds init, busybox and virtio_net with its
 * dependencies loaded first. A second build is the cached file. */
static char *image_cache;
static char *image_path;

static char *
run_ok (const char *const *argv)
{
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  int status = -1;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                &status, &error);
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  return out;
}

/* The guests' busybox (the template's userland, the VM's initramfs'):
 * missing, or linked dynamically (no C library in either guest), it is
 * refused with the package to install. */
static void
test_static_busybox (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("labctl-busybox-XXXXXX", NULL);
  g_autofree char *bin = g_build_filename (root, "bin", NULL);
  g_autofree char *path = g_build_filename (bin, "busybox", NULL);
  static const char dynamic[] = "\177ELF\2\1\1 ... /lib64/ld-linux-x86-64.so.2 ...";
  static const char statically[] = "\177ELF\2\1\1 ... no loader named ...";
  g_autoptr(GBytes) ok = NULL;

  g_assert_null (lab_pve_static_busybox (root, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "busybox-static"));
  g_clear_error (&error);
  g_assert_cmpint (g_mkdir (bin, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path, dynamic, sizeof dynamic, NULL));
  g_assert_null (lab_pve_static_busybox (root, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "busybox-static instead of busybox"));
  g_clear_error (&error);
  g_assert_null (lab_pve_template_build (root, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (path, statically, sizeof statically, NULL));
  ok = lab_pve_static_busybox (root, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (ok), ==, sizeof statically);
  g_assert_cmpint (g_remove (path), ==, 0);
  g_assert_cmpint (g_rmdir (bin), ==, 0);
  g_assert_cmpint (g_rmdir (root), ==, 0);
}

static void
test_vm_image (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMappedFile) file = NULL;
  g_autoptr(GMappedFile) mbr_code = g_mapped_file_new ("/usr/lib/syslinux/mbr/mbr.bin", FALSE, NULL);
  g_autoptr(GBytes) initrd = NULL;
  g_autofree char *again = NULL, *kver = NULL, *fat = NULL, *listing = NULL, *kernel_path = NULL;
  g_autofree char *cpio = NULL, *modules = NULL;
  const guint8 *d;
  gsize size;
  guint32 start, count;

  g_assert_nonnull (image_path);
  if (image_path == NULL)
    return;
  file = g_mapped_file_new (image_path, FALSE, &error);
  g_assert_no_error (error);
  d = (const guint8 *) g_mapped_file_get_contents (file);
  size = g_mapped_file_get_length (file);
  g_assert_cmpuint (size % 512, ==, 0);
  g_assert_nonnull (mbr_code);
  g_assert_cmpmem (d, 440, g_mapped_file_get_contents (mbr_code), 440);
  g_assert_cmpuint (d[510], ==, 0x55);
  g_assert_cmpuint (d[511], ==, 0xaa);
  g_assert_cmphex (d[446], ==, 0x80);
  g_assert_cmphex (d[446 + 4], ==, 0x0e);
  start = d[454] | d[455] << 8 | d[456] << 16 | (guint32) d[457] << 24;
  count = d[458] | d[459] << 8 | d[460] << 16 | (guint32) d[461] << 24;
  g_assert_cmpuint (start, ==, 2048);
  g_assert_cmpuint ((guint64) (start + count) * 512, ==, size);
  /* the FAT's boot sector: its hidden sectors are the partition's start */
  g_assert_cmpuint (d[start * 512 + 510], ==, 0x55);
  g_assert_cmpuint (d[start * 512 + 28] | d[start * 512 + 29] << 8, ==, 2048);
  fat = g_strdup_printf ("%s@@1M", image_path);
  {
    const char *argv[] = { "mdir", "-a", "-b", "-i", fat, "::", NULL };
    listing = run_ok (argv);
  }
  g_assert_nonnull (strstr (listing, "::/vmlinuz"));
  g_assert_nonnull (strstr (listing, "::/initrd.gz"));
  g_assert_nonnull (strstr (listing, "::/syslinux.cfg"));
  g_assert_nonnull (strstr (listing, "::/ldlinux.sys"));
  /* the kernel on it is the host's */
  kver = lab_pve_vm_image_kernel ("/", &error);
  g_assert_no_error (error);
  kernel_path = g_strdup_printf ("/boot/vmlinuz-%s", kver);
  {
    g_autofree char *on_disk = NULL, *host = NULL;
    const char *argv[] = { "mtype", "-i", fat, "::/vmlinuz", NULL };
    gsize host_len;

    on_disk = run_ok (argv);
    g_assert_true (g_file_get_contents (kernel_path, &host, &host_len, NULL));
    g_assert_cmpuint (strlen (on_disk), <=, host_len);
    g_assert_cmpmem (on_disk, MIN (strlen (on_disk), 4096), host, MIN (strlen (on_disk), 4096));
  }
  initrd = lab_pve_vm_initramfs ("/", kver, &error);
  g_assert_no_error (error);
  {
    g_autoptr(GInputStream) mem = g_memory_input_stream_new_from_bytes (initrd);
    g_autoptr(GZlibDecompressor) z = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
    g_autoptr(GInputStream) in = g_converter_input_stream_new (mem, G_CONVERTER (z));
    g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
    g_autoptr(GBytes) raw = NULL;

    g_output_stream_splice (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, &error);
    g_assert_no_error (error);
    raw = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
    cpio = g_strndup (g_bytes_get_data (raw, NULL), MIN (g_bytes_get_size (raw), 64));
    g_assert_true (g_str_has_prefix (cpio, "070701"));
    g_assert_nonnull (memmem (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw), "bin/busybox", 12));
    g_assert_nonnull (memmem (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw), "lib/modules/virtio_net.ko", 26));
    g_assert_nonnull (memmem (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw), "udhcpc -i eth0", 14));
    /* the ACPI power button (qm shutdown) */
    g_assert_nonnull (memmem (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw), "lib/modules/button.ko", 22));
    g_assert_nonnull (memmem (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw), "lib/modules/evdev.ko", 21));
    {
      const char *m = memmem (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw), "virtio_ring\n", 12);
      const char *n = memmem (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw), "\nvirtio_net\n", 12);
      g_assert_nonnull (m);
      g_assert_nonnull (n);
      g_assert_true (m < n);
    }
  }
  /* the same inputs, the same key: the cached file */
  {
    g_autoptr(LabRunner) record = lab_runner_new (LAB_RUNNER_MODE_RECORD);
    GPtrArray *ran;

    again = lab_pve_vm_image_path (record, "/", &error);
    g_assert_no_error (error);
    g_assert_cmpstr (again, ==, image_path);
    ran = lab_runner_get_recorded (record);
    g_assert_cmpuint (ran->len, ==, 0);
  }
}

/* What the model refuses of an import (Proxmox would too): an image the
 * node does not have, a size 0 without import-from, an image that is no
 * disk a BIOS boots (a violation: labctl's contract), an upload to a
 * storage without content import. */
static void
test_import_refusals (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(LabPveClient) c = NULL;
  const char *missing[] = { "vmid", "102", "scsi0", "lab-lvm:0,import-from=lab-import:import/missing.raw", NULL };
  const char *no_import[] = { "vmid", "102", "scsi0", "lab-lvm:0", NULL };
  const char *params[] = { "content", "import", NULL };
  g_autoptr(GBytes) not_a_disk = g_bytes_new_static ("hello", 5);
  g_autoptr(JsonNode) r1 = NULL, r2 = NULL, r3 = NULL, r4 = NULL;
  g_autoptr(GPtrArray) v = NULL;

  stand_up (&f, "9.1.3");
  c = client_for (&f, "pve1", NULL);
  r1 = lab_pve_client_call (c, "POST", "/nodes/pve1/qemu", missing, &error);
  g_assert_null (r1);
  g_assert_nonnull (strstr (error->message, "volume 'lab-import:import/missing.raw' does not exist"));
  g_clear_error (&error);
  r2 = lab_pve_client_call (c, "POST", "/nodes/pve1/qemu", no_import, &error);
  g_assert_null (r2);
  g_assert_nonnull (strstr (error->message, "goes with the size 0"));
  g_clear_error (&error);
  assert_no_violations (&f);
  r3 = lab_pve_client_upload (c, "/nodes/pve1/storage/lab-lvm/upload", params, "x.raw", not_a_disk, &error);
  g_assert_null (r3);
  g_assert_nonnull (strstr (error->message, "does not support content type 'import'"));
  g_clear_error (&error);
  r4 = lab_pve_client_upload (c, "/nodes/pve1/storage/lab-import/upload", params, "x.raw", not_a_disk, &error);
  g_assert_no_error (error);
  /* an extension import does not take: Proxmox's 400 on filename */
  {
    g_autoptr(JsonNode) r5 = lab_pve_client_upload (c, "/nodes/pve1/storage/lab-import/upload", params, "x.img",
                                                    not_a_disk, &error);
    g_assert_null (r5);
    g_assert_nonnull (error != NULL ? strstr (error->message, "400") : NULL);
    g_clear_error (&error);
  }
  v = lab_pve_server_get_violations (f.server);
  g_assert_cmpuint (v->len, ==, 2);
  g_assert_nonnull (strstr (v->pdata[0], "the image x.raw is no raw disk with a boot sector"));
  g_assert_nonnull (strstr (v->pdata[1], "import file name x.img"));
  fixture_teardown (&f);
}

/* A node whose root password is the one its answer file's hash was made
 * from (the e2e test's nodes): checked at each login, as PAM would. */
static void
test_answer_password (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *schema = schema_path ("9.1.3");
  g_autofree char *dir = g_dir_make_tmp ("labctl-pve-answer-XXXXXX", &error);
  g_autofree char *answer = g_build_filename (dir, "answer.toml", NULL);
  g_autofree char *text = NULL;
  struct crypt_data data = { 0 };
  const char *hash = crypt_r ("s3cret", "$6$labctltest$", &data);
  LabPveServerNode node = { "pve1", "192.168.150.11", NULL, NULL, 0, answer };
  g_autoptr(LabPveServer) server = NULL;
  const char *tries[] = { "s3cret", "wrong", NULL };

  g_assert_nonnull (hash);
  text = g_strdup_printf ("[global]\nkeyboard = \"en-us\"\nroot-password-hashed = \"%s\"\n", hash);
  g_assert_true (g_file_set_contents (answer, text, -1, &error));
  server = lab_pve_server_new (schema, &node, 1, "iqn.2026-01.labctl.lab:course", "192.168.150.1", "vg_iscsi", NULL,
                               &error);
  g_assert_no_error (error);
  for (guint i = 0; tries[i] != NULL; i++)
    {
      g_autofree char *url = lab_pve_server_get_url (server, "pve1");
      g_autofree char *pin = lab_pve_server_get_fingerprint (server, "pve1");
      g_autoptr(LabPveClient) c = lab_pve_client_new ("pve1", url, pin, &error);
      g_autoptr(JsonNode) v = NULL;

      g_assert_no_error (error);
      lab_pve_client_set_password (c, tries[i]);
      v = lab_pve_client_call (c, "GET", "/version", NULL, &error);
      if (i == 0)
        {
          g_assert_no_error (error);
          g_assert_nonnull (v);
        }
      else
        {
          g_assert_null (v);
          g_assert_nonnull (error);
          g_assert_nonnull (strstr (error->message, "authentication failure"));
          g_clear_error (&error);
        }
    }
  g_assert_cmpuint (lab_pve_server_count_logins (server), ==, 1);
  lab_test_remove_tree (dir);
}

/* The container takes the first guest address no recipe guest has. */
static void
test_container_address (void)
{
  g_autoptr(GError) error = NULL;
  LabRecipe *recipe = lab_recipe_load_data (LAB_PVE_TEST_RECIPE "[guest g1]\naddress = 192.168.150.51\n", -1, "test.lab", &error);
  g_autoptr(LabState) state = lab_state_new_in_memory ("course");
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  g_autoptr(GString) up = g_string_new (NULL);
  LabContext ctx;
  LabPlan *plan;

  g_assert_no_error (error);
  lab_context_init (&ctx, recipe, state, runner, NULL, TRUE);
  plan = lab_plan_new (&ctx);
  lab_plan_set_phase (plan, LAB_PHASE_GUESTS);
  lab_pve_add_guest_steps (plan, &ctx);
  lab_plan_describe (plan, FALSE, up);
  g_assert_nonnull (strstr (up->str, "ip=192.168.150.52/24,gw=192.168.150.1"));
  /* the VM's address: the next free one, reserved for its MAC in the lab network */
  {
    g_autofree char *vm = lab_pve_vm_address (recipe);
    g_autofree char *mac = lab_pve_vm_mac (recipe);
    g_autoptr(LabVirtNetworkSpec) net = lab_vm_network_spec (recipe);
    g_autofree char *xml = NULL;
    g_autofree char *host = NULL;

    g_assert_cmpstr (vm, ==, "192.168.150.53");
    g_assert_cmpstr (mac, ==, lab_recipe_make_mac ("course", "lab-vm"));
    g_assert_cmpstr (mac, !=, ((LabGuest *) recipe->guests->pdata[0])->mac);
    lab_pve_network_hosts (&ctx, net);
    xml = lab_virt_network_xml (net);
    host = g_strdup_printf ("<host mac='%s' name='lab-vm' ip='192.168.150.53'/>", mac);
    g_test_message ("%s", xml);
    g_assert_nonnull (strstr (xml, host));
  }
  lab_plan_free (plan);
  lab_recipe_free (recipe);
}

/* ---- the trimmed schema is Proxmox's ---------------------------------------------------- */

static void
test_trimmed_schema (gconstpointer version)
{
  g_autofree char *trimmed = schema_path (version);
  g_autofree char *name = g_strdup_printf ("apidata-%s.js", (const char *) version);
  g_autofree char *full = g_build_filename (LABCTL_SOURCE_DIR, "..", "shared", "research", "pve-apidata", name, NULL);
  g_autoptr(JsonParser) tp = json_parser_new ();
  g_autoptr(JsonParser) fp = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GHashTable) paths = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *stack = g_ptr_array_new ();
  JsonArray *tpaths;
  char *start, *end;

  json_parser_load_from_file (tp, trimmed, &error);
  g_assert_no_error (error);
  tpaths = json_object_get_array_member (json_node_get_object (json_parser_get_root (tp)), "paths");
  g_assert_cmpuint (json_array_get_length (tpaths), >=, 20);
  g_assert_nonnull (strstr (json_object_get_string_member (json_node_get_object (json_parser_get_root (tp)),
                                                           "provenance"),
                            "pve-docs"));
  if (!g_file_get_contents (full, &text, NULL, NULL))
    {
      g_ptr_array_unref (stack);
      g_test_skip ("the full schema (../shared/research/pve-apidata) is not here; the trimmed copy is what CI uses");
      return;
    }
  start = strchr (text, '[');
  end = strrchr (text, ']');
  g_assert_true (start != NULL && end != NULL);
  json_parser_load_from_data (fp, start, end - start + 1, &error);
  g_assert_no_error (error);
  g_ptr_array_add (stack, json_node_get_array (json_parser_get_root (fp)));
  while (stack->len > 0)
    {
      JsonArray *a = g_ptr_array_steal_index (stack, stack->len - 1);
      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonObject *o = json_array_get_object_element (a, i);
          g_hash_table_insert (paths, (gpointer) json_object_get_string_member (o, "path"), o);
          if (json_object_has_member (o, "children"))
            g_ptr_array_add (stack, json_object_get_array_member (o, "children"));
        }
    }
  g_ptr_array_unref (stack);
  for (guint i = 0; i < json_array_get_length (tpaths); i++)
    {
      JsonObject *t = json_array_get_object_element (tpaths, i);
      JsonObject *f = g_hash_table_lookup (paths, json_object_get_string_member (t, "path"));
      g_assert_nonnull (f);
      g_assert_true (json_node_equal (json_object_get_member (t, "info"), json_object_get_member (f, "info")));
    }
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) image_error = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  image_cache = g_dir_make_tmp ("labctl-test-pve-cache-XXXXXX", NULL);
  image_path = lab_pve_test_vm_image (image_cache, &image_error);
  if (image_path == NULL)
    g_printerr ("the VM's disk image: %s\n", image_error->message);
  g_test_add_data_func ("/pve/stand/8.4", "8.4", test_stand);
  g_test_add_data_func ("/pve/stand/9.1.3", "9.1.3", test_stand);
  g_test_add_func ("/pve/fault/join-half-way", test_join_half_way);
  g_test_add_func ("/pve/fault/task-error", test_task_error);
  g_test_add_func ("/pve/fault/fingerprint-mismatch", test_fingerprint_mismatch);
  g_test_add_func ("/pve/client/foreign-ca", test_foreign_ca);
  g_test_add_func ("/pve/client/relogin", test_relogin);
  g_test_add_func ("/pve/client/wrong-password", test_wrong_password);
  g_test_add_data_func ("/pve/server/refuses/8.4", "8.4", test_schema_refuses);
  g_test_add_data_func ("/pve/server/refuses/9.1.3", "9.1.3", test_schema_refuses);
  g_test_add_data_func ("/pve/experiment/migrate-failover/8.4", NULL, trap_in_netns);
  g_test_add_data_func ("/pve/experiment/migrate-failover/8.4/subprocess", "8.4", test_experiments);
  g_test_add_data_func ("/pve/experiment/migrate-failover/9.1.3", NULL, trap_in_netns);
  g_test_add_data_func ("/pve/experiment/migrate-failover/9.1.3/subprocess", "9.1.3", test_experiments);
  g_test_add_data_func ("/pve/experiment/migrate-ct/9.1.3", NULL, trap_in_netns);
  g_test_add_data_func ("/pve/experiment/migrate-ct/9.1.3/subprocess", "9.1.3", test_migrate_ct_child);
  g_test_add_func ("/pve/experiment/figures", test_migration_figures);
  g_test_add_func ("/pve/experiment/node-fault", test_node_fault);
  g_test_add_func ("/pve/experiment/pin", test_experiment_pin);
  g_test_add_data_func ("/pve/experiment/failover-no-quorum", NULL, trap_in_netns);
  g_test_add_func ("/pve/experiment/failover-no-quorum/subprocess", test_failover_no_quorum);
  g_test_add_data_func ("/pve/reset/converge", NULL, trap_in_netns);
  g_test_add_func ("/pve/reset/converge/subprocess", test_reset);
  g_test_add_func ("/pve/server/ha-groups", test_ha_groups);
  g_test_add_func ("/pve/describe", test_describe);
  g_test_add_func ("/pve/vm-image", test_vm_image);
  g_test_add_func ("/pve/static-busybox", test_static_busybox);
  g_test_add_func ("/pve/server/import-refusals", test_import_refusals);
  g_test_add_func ("/pve/server/answer-password", test_answer_password);
  g_test_add_func ("/pve/describe/container-address", test_container_address);
  g_test_add_data_func ("/pve/schema/trimmed/8.4", "8.4", test_trimmed_schema);
  g_test_add_data_func ("/pve/schema/trimmed/9.1.3", "9.1.3", test_trimmed_schema);
  rc = g_test_run ();
  lab_test_remove_tree (image_cache);
  return rc;
}
