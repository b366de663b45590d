/* test-exercise-pve.c: the exercises on a proxmox lab, graded through
 * the Proxmox API (exercises/lab-exercise-stack.c over
 * flavors/proxmox/lab-pve-exercise.c) against the contract test server
 * (tests/lib/lab-pve-server.c and -guests.c: every request checked
 * against Proxmox's published schema, 8.4 and 9.1.3).
 *
 * The lab is brought up by the real API steps (cluster, storage, the
 * guests); a scripted student then does each exercise with the calls
 * `qm` makes (one API client of its own, as root@pam on pve1), the right
 * way and each typical wrong way, and the check must pass or fail the
 * right step with its hint. The install records the client reads are
 * written by the test for the server's nodes (no ISO installs here). */
#include "config.h"

#include <string.h>

#include "lab-error.h"
#include "lab-exercise.h"
#include "lab-flavor.h"
#include "lab-plan.h"
#include "lab-pve-client.h"
#include "lab-pve-server.h"
#include "lab-pve.h"
#include "lab-recipe.h"
#include "lab-state.h"
#include "lab-test-fs.h"


typedef struct {
  LabRecipe      *recipe;
  LabPveServer   *server;
  char           *dir;
  LabState       *state;
  LabRunner      *runner;
  LabContext      ctx;
  LabExerciseEnv *env;
  LabPveClient   *student;   /* the student's own session on pve1 */
} Lab;

static void
lab_setup (Lab *f, const char *version)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_strdup_printf ("apidata-%s.json", version);
  g_autofree char *schema = g_build_filename (LABCTL_SOURCE_DIR, "tests", "data", "pve", name, NULL);
  g_autoptr(LabPlan) plan = NULL;
  g_autofree char *url = NULL, *pin = NULL;

  f->recipe = lab_recipe_load_data (LAB_PVE_TEST_RECIPE, -1, "test.lab", &error);
  g_assert_no_error (error);
  f->server = lab_pve_server_new_for_recipe (schema, f->recipe, lab_pve_test_passwords, &error);
  g_assert_no_error (error);
  f->dir = g_dir_make_tmp ("labctl-test-exercise-pve-XXXXXX", &error);
  g_assert_no_error (error);
  f->state = lab_state_load (f->dir, "course", &error);
  g_assert_no_error (error);
  f->runner = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  lab_context_init (&f->ctx, f->recipe, f->state, f->runner, NULL, FALSE);
  /* what nodes.install records, standing in for an install */
  lab_pve_server_write_install_records (f->server, f->recipe, f->state, lab_pve_test_passwords);
  /* up: the API steps the proxmox lab runs after its install */
  plan = lab_plan_new (&f->ctx);
  lab_plan_set_phase (plan, LAB_PHASE_CONFIGURE);
  lab_pve_add_configure_steps (plan, &f->ctx);
  lab_plan_set_phase (plan, LAB_PHASE_CLUSTER);
  lab_pve_add_cluster_steps (plan, &f->ctx);
  lab_plan_set_phase (plan, LAB_PHASE_GUESTS);
  lab_pve_add_guest_steps (plan, &f->ctx);
  lab_plan_up (plan, &error);
  g_assert_no_error (error);
  f->env = lab_exercise_env_new (&f->ctx, NULL);
  url = lab_pve_server_get_url (f->server, "pve1");
  pin = lab_pve_server_get_fingerprint (f->server, "pve1");
  f->student = lab_pve_client_new ("pve1", url, pin, &error);
  g_assert_no_error (error);
  lab_pve_client_set_password (f->student, lab_pve_test_passwords[0]);
}

static void
assert_no_violations (Lab *f)
{
  g_autoptr(GPtrArray) v = lab_pve_server_get_violations (f->server);

  for (guint i = 0; i < v->len; i++)
    g_test_message ("violation: %s", (const char *) v->pdata[i]);
  g_assert_cmpuint (v->len, ==, 0);
}

static void
lab_teardown (Lab *f)
{
  assert_no_violations (f);
  lab_pve_client_free (f->student);
  lab_exercise_env_free (f->env);
  lab_pve_server_free (f->server);
  lab_state_free (f->state);
  g_object_unref (f->runner);
  lab_recipe_free (f->recipe);
  lab_test_remove_tree (f->dir);
  g_free (f->dir);
}

/* The student's call; a UPID is followed to its end. NULL-terminated
 * key, value pairs. Returns the error message, NULL on success. */
static char *
student (Lab *f, const char *method, const char *path, ...)
{
  g_autoptr(GPtrArray) params = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) data = NULL;
  const char *k;
  va_list ap;

  va_start (ap, path);
  while ((k = va_arg (ap, const char *)) != NULL)
    {
      g_ptr_array_add (params, (char *) k);
      g_ptr_array_add (params, va_arg (ap, char *));
    }
  va_end (ap);
  g_ptr_array_add (params, NULL);
  data = lab_pve_client_call (f->student, method, path, (const char * const *) params->pdata, &error);
  if (data != NULL && JSON_NODE_HOLDS_VALUE (data) && json_node_get_value_type (data) == G_TYPE_STRING
      && g_str_has_prefix (json_node_get_string (data), "UPID:"))
    lab_pve_client_wait_task (f->student, json_node_get_string (data), 30, NULL, NULL, &error);
  return error != NULL ? g_strdup (error->message) : NULL;
}

#define student_ok(f, ...)                                                                                             \
  G_STMT_START                                                                                                         \
  {                                                                                                                    \
    g_autofree char *why_ = student (f, __VA_ARGS__);                                                                  \
    g_assert_cmpstr (why_, ==, NULL);                                                                                  \
  }                                                                                                                    \
  G_STMT_END

static void
start (Lab *f, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *task = lab_exercise_start (f->env, lab_exercise_find (name), &error);

  g_assert_no_error (error);
  g_test_message ("%s", task);
}

static LabExerciseReport *
check (Lab *f, const char *name)
{
  g_autoptr(GError) error = NULL;
  LabExerciseReport *r = lab_exercise_check (f->env, lab_exercise_find (name), &error);
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  text = lab_exercise_report_format (r);
  g_test_message ("%s", text);
  return r;
}

static LabExerciseStep *
step (LabExerciseReport *r, const char *id)
{
  for (guint i = 0; i < r->steps->len; i++)
    if (g_str_equal (((LabExerciseStep *) r->steps->pdata[i])->id, id))
      return r->steps->pdata[i];
  g_error ("no step %s", id);
  return NULL;
}

/* The step failed with a hint that says hint_has. */
static void
assert_fail (LabExerciseReport *r, const char *id, const char *hint_has)
{
  LabExerciseStep *s = step (r, id);

  g_assert_cmpstr (lab_exercise_result_to_string (s->result), ==, "FAIL");
  g_assert_nonnull (s->hint);
  if (strstr (s->hint, hint_has) == NULL)
    g_error ("step %s: hint '%s' does not say '%s'", id, s->hint, hint_has);
}

/* The VMs of the cluster: "vmid:name" sorted, for "as start found it". */
static char *
vm_list (Lab *f)
{
  g_autoptr(JsonNode) dump = lab_pve_server_dump (f->server);
  JsonObject *nodes = json_object_get_object_member (json_node_get_object (dump), "nodes");
  JsonObject *guests = json_object_get_object_member (json_object_get_object_member (nodes, "pve1"), "guests");
  g_autoptr(GList) keys = g_list_sort (json_object_get_members (guests), (GCompareFunc) g_strcmp0);
  GString *s = g_string_new (NULL);

  for (GList *l = keys; l != NULL; l = l->next)
    g_string_append_printf (s, "%s ", (const char *) l->data);
  return g_string_free (s, FALSE);
}

static void
finish (Lab *f, const char *name, const char *before)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;

  lab_exercise_finish (f->env, lab_exercise_find (name), &error);
  g_assert_no_error (error);
  after = vm_list (f);
  g_assert_cmpstr (after, ==, before);
}

/* ---- snapshot ------------------------------------------------------------- */

static void
test_snapshot (gconstpointer version)
{
  Lab f = { 0 };
  g_autofree char *before = NULL, *refused = NULL;

  lab_setup (&f, version);
  before = vm_list (&f);
  start (&f, "snapshot");
  {
    /* the mistake a first try makes: a snapshot without the memory */
    g_autoptr(LabExerciseReport) r = NULL;
    student_ok (&f, "POST", "/nodes/pve1/qemu/9100/snapshot", "snapname", "nomem", NULL);
    r = check (&f, "snapshot");
    assert_fail (r, "snapshot.exists", "--vmstate 1");
    g_assert_false (lab_exercise_report_passed (r));
  }
  {
    /* with memory, never rolled back */
    g_autoptr(LabExerciseReport) r = NULL;
    student_ok (&f, "POST", "/nodes/pve1/qemu/9100/snapshot", "snapname", "before", "vmstate", "1", NULL);
    r = check (&f, "snapshot");
    g_assert_cmpint (step (r, "snapshot.exists")->result, ==, LAB_EXERCISE_PASS);
    assert_fail (r, "snapshot.reverted", "rollback 9100 before");
  }
  {
    g_autoptr(LabExerciseReport) r = NULL;
    student_ok (&f, "POST", "/nodes/pve1/qemu/9100/snapshot/before/rollback", NULL);
    r = check (&f, "snapshot");
    g_assert_true (lab_exercise_report_passed (r));
  }
  /* the lab's own VM is on the shared thick LVM: 8.x takes no snapshot
   * there, nor 9.x without snapshot-as-volume-chain on the storage */
  refused = student (&f, "POST", "/nodes/pve1/qemu/100/snapshot", "snapname", "x", NULL);
  g_assert_nonnull (refused);
  g_assert_nonnull (strstr (refused, "snapshot feature is not available"));
  finish (&f, "snapshot", before);
  lab_teardown (&f);
}

/* 9.x: a thick LVM storage with snapshot-as-volume-chain takes
 * snapshots (8.4's schema has no such option). */
static void
test_snapshot_volume_chain (void)
{
  Lab f = { 0 };
  g_autofree char *refused = NULL;

  lab_setup (&f, "9.1.3");
  student_ok (&f, "POST", "/storage", "storage", "lab-lvm-chain", "type", "lvm", "vgname", f.recipe->vg_name, "shared",
              "1", "content", "images", "snapshot-as-volume-chain", "1", NULL);
  student_ok (&f, "POST", "/nodes/pve1/qemu", "vmid", "9200", "name", "chain", "scsi0", "lab-lvm-chain:1", NULL);
  student_ok (&f, "POST", "/nodes/pve1/qemu/9200/snapshot", "snapname", "s1", NULL);
  /* the plain shared storage still refuses */
  refused = student (&f, "POST", "/nodes/pve1/qemu/100/snapshot", "snapname", "s1", NULL);
  g_assert_nonnull (refused);
  g_assert_nonnull (strstr (refused, "snapshot feature is not available"));
  lab_teardown (&f);
}

/* ---- clone ------------------------------------------------------------------ */

static char *
mac_of (Lab *f, const char *vmid)
{
  g_autofree char *path = g_strdup_printf ("/nodes/pve1/qemu/%s/config", vmid);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) conf = lab_pve_client_call (f->student, "GET", path, NULL, &error);
  const char *net0;

  g_assert_no_error (error);
  net0 = json_object_get_string_member (json_node_get_object (conf), "net0");
  return g_strndup (strchr (net0, '=') + 1, 17);
}

static void
test_clone (gconstpointer version)
{
  Lab f = { 0 };
  g_autofree char *before = NULL, *base_mac = NULL, *same = NULL, *refused = NULL;

  lab_setup (&f, version);
  before = vm_list (&f);
  start (&f, "clone");
  {
    g_autoptr(LabExerciseReport) r = check (&f, "clone");
    assert_fail (r, "clone.exists", "clone 9110");
  }
  /* a full clone, but to the node's own storage */
  student_ok (&f, "POST", "/nodes/pve1/qemu/9110/clone", "newid", "9111", "name", "ex-clone", "full", "1", "storage",
              "local-lvm", NULL);
  student_ok (&f, "POST", "/nodes/pve1/qemu/9111/status/start", NULL);
  {
    g_autoptr(LabExerciseReport) r = check (&f, "clone");
    g_assert_cmpint (step (r, "clone.identity")->result, ==, LAB_EXERCISE_PASS);
    assert_fail (r, "clone.storage", "--storage lab-lvm");
  }
  student_ok (&f, "POST", "/nodes/pve1/qemu/9111/status/stop", NULL);
  student_ok (&f, "DELETE", "/nodes/pve1/qemu/9111", NULL);
  /* the right clone ... */
  student_ok (&f, "POST", "/nodes/pve1/qemu/9110/clone", "newid", "9112", "name", "ex-clone", "full", "1", "storage",
              "lab-lvm", NULL);
  {
    g_autoptr(LabExerciseReport) r = check (&f, "clone");
    assert_fail (r, "clone.running", "start 9112");
  }
  student_ok (&f, "POST", "/nodes/pve1/qemu/9112/status/start", NULL);
  {
    g_autoptr(LabExerciseReport) r = check (&f, "clone");
    g_assert_true (lab_exercise_report_passed (r));
  }
  /* ... then given the base's MAC by hand */
  base_mac = mac_of (&f, "9110");
  same = g_strdup_printf ("virtio=%s,bridge=vmbr0", base_mac);
  student_ok (&f, "PUT", "/nodes/pve1/qemu/9112/config", "net0", same, NULL);
  {
    g_autoptr(LabExerciseReport) r = check (&f, "clone");
    LabExerciseStep *s = step (r, "clone.identity");
    assert_fail (r, "clone.identity", "--net0");
    g_assert_nonnull (strstr (s->detail, base_mac));
  }
  /* thick LVM holds no templates: the worker fails in create_base */
  refused = student (&f, "POST", "/nodes/pve1/qemu/9110/template", NULL);
  g_assert_nonnull (refused);
  g_assert_nonnull (strstr (refused, "can't create base images in lvm storage"));
  finish (&f, "clone", before);
  lab_teardown (&f);
}

/* ---- template ----------------------------------------------------------------- */

static void
test_template (gconstpointer version)
{
  Lab f = { 0 };
  g_autofree char *before = NULL, *refused = NULL;

  lab_setup (&f, version);
  before = vm_list (&f);
  start (&f, "template");
  {
    /* the mistake: it is still an ordinary VM, which starts */
    g_autoptr(LabExerciseReport) r = NULL;
    student_ok (&f, "POST", "/nodes/pve1/qemu/9120/status/start", NULL);
    r = check (&f, "template");
    assert_fail (r, "template.mark", "template 9120");
  }
  refused = student (&f, "POST", "/nodes/pve1/qemu/9120/template", NULL);
  g_assert_nonnull (strstr (refused, "running"));
  g_clear_pointer (&refused, g_free);
  student_ok (&f, "POST", "/nodes/pve1/qemu/9120/status/stop", NULL);
  student_ok (&f, "POST", "/nodes/pve1/qemu/9120/template", NULL);
  /* a template cannot be started */
  refused = student (&f, "POST", "/nodes/pve1/qemu/9120/status/start", NULL);
  g_assert_nonnull (refused);
  g_assert_nonnull (strstr (refused, "template"));
  /* a linked clone takes no storage */
  g_clear_pointer (&refused, g_free);
  refused = student (&f, "POST", "/nodes/pve1/qemu/9120/clone", "newid", "9121", "name", "ex-tmpl-1", "storage",
                     "lab-lvm", NULL);
  g_assert_nonnull (strstr (refused, "not allowed for linked clones"));
  student_ok (&f, "POST", "/nodes/pve1/qemu/9120/clone", "newid", "9121", "name", "ex-tmpl-1", NULL);
  student_ok (&f, "POST", "/nodes/pve1/qemu/9121/status/start", NULL);
  {
    g_autoptr(LabExerciseReport) r = check (&f, "template");
    g_assert_cmpint (step (r, "template.mark")->result, ==, LAB_EXERCISE_PASS);
    g_assert_cmpint (step (r, "template.no-start")->result, ==, LAB_EXERCISE_PASS);
    assert_fail (r, "template.deployed", "clone 9120");
  }
  student_ok (&f, "POST", "/nodes/pve1/qemu/9120/clone", "newid", "9122", "name", "ex-tmpl-2", NULL);
  student_ok (&f, "POST", "/nodes/pve1/qemu/9122/status/start", NULL);
  {
    g_autoptr(LabExerciseReport) r = check (&f, "template");
    g_assert_true (lab_exercise_report_passed (r));
  }
  /* finish removes the clones (they carry the mark), then the template */
  finish (&f, "template", before);
  lab_teardown (&f);
}

/* ---- migrate -------------------------------------------------------------------- */

static void
test_migrate (gconstpointer version)
{
  Lab f = { 0 };
  g_autofree char *before = NULL;

  lab_setup (&f, version);
  before = vm_list (&f);
  start (&f, "migrate");
  {
    g_autoptr(LabExerciseReport) r = check (&f, "migrate");
    assert_fail (r, "migrate.moved", "migrate 100");
  }
  student_ok (&f, "POST", "/nodes/pve1/qemu/100/migrate", "target", "pve2", "online", "1", NULL);
  {
    g_autoptr(LabExerciseReport) r = check (&f, "migrate");
    g_assert_true (lab_exercise_report_passed (r));
  }
  finish (&f, "migrate", before);
  lab_teardown (&f);
}

/* The mistake: stopped here, moved, started there. */
static void
test_migrate_restart (gconstpointer version)
{
  Lab f = { 0 };

  lab_setup (&f, version);
  start (&f, "migrate");
  student_ok (&f, "POST", "/nodes/pve1/qemu/100/status/stop", NULL);
  student_ok (&f, "POST", "/nodes/pve1/qemu/100/migrate", "target", "pve2", NULL);
  student_ok (&f, "POST", "/nodes/pve2/qemu/100/status/start", NULL);
  {
    g_autoptr(LabExerciseReport) r = check (&f, "migrate");
    LabExerciseStep *s = step (r, "migrate.live");
    g_assert_cmpint (step (r, "migrate.moved")->result, ==, LAB_EXERCISE_PASS);
    assert_fail (r, "migrate.live", "--online 1");
    g_assert_nonnull (strstr (s->detail, "qmstop"));
    g_assert_nonnull (strstr (s->detail, "qmstart"));
  }
  lab_teardown (&f);
}

/* ---- the API out of reach ---------------------------------------------------------- */

static void
test_unreachable (void)
{
  Lab f = { 0 };
  const char *names[] = { "snapshot", "clone", "template", "migrate", "ha" };

  lab_setup (&f, "9.1.3");
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    start (&f, names[i]);
  for (guint i = 0; i < 3; i++)
    lab_pve_server_power_off (f.server, ((LabNode *) f.recipe->nodes->pdata[i])->name);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(LabExerciseReport) r = check (&f, names[i]);

      g_assert_cmpuint (r->steps->len, >, 0);
      /* the checker could not look: ERROR, not the student's FAIL */
      for (guint j = 0; j < r->steps->len; j++)
        {
          LabExerciseStep *s = r->steps->pdata[j];
          g_assert_cmpint (s->result, ==, LAB_EXERCISE_ERROR);
          g_assert_nonnull (s->hint);
        }
    }
  lab_teardown (&f);
}

/* ---- storage ------------------------------------------------------------------------ */

static void
test_storage (void)
{
  Lab f = { 0 };
  g_autofree char *answers = NULL;
  g_autoptr(GError) error = NULL;

  lab_setup (&f, "9.1.3");
  answers = g_build_filename (f.dir, "answers.txt", NULL);
  f.env->answers = answers;
  start (&f, "storage");
  g_file_set_contents (answers, "stack-iscsi = lab-iscsi\nstack-lvm = local-lvm  # the node's own\n", -1, &error);
  g_assert_no_error (error);
  {
    g_autoptr(LabExerciseReport) r = check (&f, "storage");
    g_assert_cmpint (step (r, "storage.stack-iscsi")->result, ==, LAB_EXERCISE_PASS);
    assert_fail (r, "storage.stack-lvm", "pvesm status");
    /* the host's target and VG are not there in a unit test: the
     * checker says it could not read them, it does not blame the student */
    g_assert_cmpint (step (r, "storage.iqn")->result, ==, LAB_EXERCISE_ERROR);
  }
  g_file_set_contents (answers, "stack-iscsi = lab-iscsi\nstack-lvm = lab-lvm\n", -1, &error);
  g_assert_no_error (error);
  {
    g_autoptr(LabExerciseReport) r = check (&f, "storage");
    g_assert_cmpint (step (r, "storage.stack-lvm")->result, ==, LAB_EXERCISE_PASS);
  }
  lab_teardown (&f);
}

/* ---- ha ------------------------------------------------------------------------------ */

static gboolean
ha_resource (Lab *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) list = lab_pve_client_call (f->student, "GET", "/cluster/ha/resources", NULL, &error);

  g_assert_no_error (error);
  return json_array_get_length (json_node_get_array (list)) > 0;
}

/* The check until step id passes (the HA manager works on its own time,
 * scaled down in the server: about 1.6 s to the recovery). */
static LabExerciseReport *
check_until (Lab *f, const char *name, const char *id)
{
  for (guint i = 0;; i++)
    {
      LabExerciseReport *r = check (f, name);

      if (step (r, id)->result == LAB_EXERCISE_PASS || i == 40)
        return r;
      lab_exercise_report_free (r);
      g_usleep (250 * 1000);
    }
}

static void
test_ha (gconstpointer version)
{
  Lab f = { 0 };
  g_autoptr(GError) error = NULL;

  lab_setup (&f, version);
  start (&f, "ha");
  {
    g_autoptr(LabExerciseReport) r = check (&f, "ha");
    assert_fail (r, "ha.managed", "ha-manager add vm:100");
  }
  student_ok (&f, "POST", "/cluster/ha/resources", "sid", "vm:100", "state", "started", NULL);
  {
    /* the wrong way first: a graceful move fences nothing */
    g_autoptr(LabExerciseReport) r = check_until (&f, "ha", "ha.managed");
    g_assert_cmpint (step (r, "ha.managed")->result, ==, LAB_EXERCISE_PASS);
    assert_fail (r, "ha.fault", "labctl nodes poweroff pve1");
  }
  /* the student's `labctl nodes poweroff pve1` (the flavor's node_fault:
   * its domain destroyed through the host's libvirt, the server's
   * power-off here) */
  lab_pve_server_power_off (f.server, "pve1");
  {
    g_autoptr(LabExerciseReport) r = check_until (&f, "ha", "ha.restarted");
    LabExerciseStep *s = step (r, "ha.restarted");
    g_assert_cmpint (step (r, "ha.fault")->result, ==, LAB_EXERCISE_PASS);
    g_assert_cmpint (s->result, ==, LAB_EXERCISE_PASS);
    g_assert_nonnull (strstr (s->detail, "qmstart"));
    g_assert_true (lab_exercise_report_passed (r));
    g_assert_cmpstr (json_object_get_string_member (r->figures, "victim"), ==, "pve1");
  }
  /* finish takes back the HA resource the student added; the lab's VM
   * stays where the manager started it */
  lab_pve_server_power_on (f.server, "pve1");
  lab_exercise_finish (f.env, lab_exercise_find ("ha"), &error);
  g_assert_no_error (error);
  g_assert_false (ha_resource (&f));
  lab_teardown (&f);
}

/* Checked before the HA manager fenced the node and recovered the VM:
 * ha.restarted fails with "check again". */
static void
test_ha_not_yet (void)
{
  Lab f = { 0 };

  lab_setup (&f, "9.1.3");
  start (&f, "ha");
  student_ok (&f, "POST", "/cluster/ha/resources", "sid", "vm:100", "state", "started", NULL);
  {
    g_autoptr(LabExerciseReport) r = check_until (&f, "ha", "ha.managed");
  }
  lab_pve_server_power_off (f.server, "pve1");
  {
    /* before the manager had its time: not restarted yet */
    g_autoptr(LabExerciseReport) r = check (&f, "ha");
    g_assert_cmpint (step (r, "ha.fault")->result, ==, LAB_EXERCISE_PASS);
    assert_fail (r, "ha.restarted", "check again");
  }
  lab_pve_server_power_on (f.server, "pve1");
  lab_teardown (&f);
}

/* Every exercise is offered on a proxmox lab. */
static void
test_available (void)
{
  Lab f = { 0 };
  g_autoptr(JsonNode) list = NULL;
  JsonArray *a;

  lab_setup (&f, "8.4");
  list = lab_exercise_list_json (f.env);
  a = json_node_get_array (list);
  g_assert_cmpuint (json_array_get_length (a), ==, 6);
  for (guint i = 0; i < json_array_get_length (a); i++)
    g_assert_true (json_object_get_boolean_member (json_array_get_object_element (a, i), "available"));
  lab_teardown (&f);
}

int
main (int argc, char **argv)
{
  g_autofree char *cache = g_dir_make_tmp ("labctl-test-exercise-pve-cache-XXXXXX", NULL);
  g_autoptr(GError) image_error = NULL;
  g_autofree char *image = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  /* the plans' pve.image finds it there (lab-pve-server.h) */
  image = lab_pve_test_vm_image (cache, &image_error);
  if (image == NULL)
    g_printerr ("the VM's disk image: %s\n", image_error->message);
  g_test_add_data_func ("/exercise-pve/snapshot/8.4", "8.4", test_snapshot);
  g_test_add_data_func ("/exercise-pve/snapshot/9.1.3", "9.1.3", test_snapshot);
  g_test_add_func ("/exercise-pve/snapshot-volume-chain/9.1.3", test_snapshot_volume_chain);
  g_test_add_data_func ("/exercise-pve/clone/8.4", "8.4", test_clone);
  g_test_add_data_func ("/exercise-pve/clone/9.1.3", "9.1.3", test_clone);
  g_test_add_data_func ("/exercise-pve/template/8.4", "8.4", test_template);
  g_test_add_data_func ("/exercise-pve/template/9.1.3", "9.1.3", test_template);
  g_test_add_data_func ("/exercise-pve/migrate/8.4", "8.4", test_migrate);
  g_test_add_data_func ("/exercise-pve/migrate/9.1.3", "9.1.3", test_migrate);
  g_test_add_data_func ("/exercise-pve/migrate-restart/9.1.3", "9.1.3", test_migrate_restart);
  g_test_add_func ("/exercise-pve/unreachable", test_unreachable);
  g_test_add_func ("/exercise-pve/storage", test_storage);
  g_test_add_data_func ("/exercise-pve/ha/8.4", "8.4", test_ha);
  g_test_add_data_func ("/exercise-pve/ha/9.1.3", "9.1.3", test_ha);
  g_test_add_func ("/exercise-pve/ha-not-yet", test_ha_not_yet);
  g_test_add_func ("/exercise-pve/available", test_available);
  rc = g_test_run ();
  lab_test_remove_tree (cache);
  return rc;
}
