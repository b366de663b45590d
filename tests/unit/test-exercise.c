/* test-exercise.c: the exercises' checks on libvirt's test:/// driver (one
 * driver per node, each from a file of its own and kept open by the
 * exercise's environment), with guests that are tables: a correct solution
 * passes, each typical mistake fails the step it is about with its hint.
 * The snapshot exercise runs its real watcher in a thread. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "lab-class-report.h"
#include "lab-error.h"
#include "lab-exercise.h"
#include "lab-guest.h"
#include "lab-recipe.h"
#include "lab-runner.h"
#include "lab-state.h"
#include "lab-test-fs.h"

static const char recipe_text[] =
  "[lab]\nname = exl\nflavor = container\n"
  "[storage]\nsize = 256M\nportal = 10.200.9.1:3261\n"
  "[network]\nsubnet = 10.200.9.0/24\n"
  "[nodes]\ncount = 2\ndisk = 4M\n"
  "[guest tiny]\nnode = node1\nmemory = 96\ndisk = 16M\nkernel = /boot/k\ninitrd = /boot/i\n"
  "cmdline = console=ttyS0 guestip=10.200.9.51/24\naddress = 10.200.9.51\n";

static const char node_xml[] =
  "<node><cpu><mhz>2000</mhz><model>x86_64</model><nodes>1</nodes><sockets>1</sockets><cores>2</cores>"
  "<threads>1</threads></cpu><memory>16777216</memory></node>\n";

/* The guests: address -> boot_id (absent: no answer); answering ping. */
static GMutex guests_lock;
static GHashTable *boot_ids;
static GHashTable *pinged;
static char *work_dir;

typedef struct {
  LabRecipe     *recipe;
  LabState      *state;
  LabRunner     *runner;
  LabContext     ctx;
  LabExerciseEnv *env;
} Fixture;

static char *
fake_node_uri (LabExerciseEnv *env, const char *node, GError **error)
{
  g_autofree char *file = g_strdup_printf ("%s.xml", node);
  g_autofree char *path = g_build_filename (work_dir, file, NULL);

  return g_strconcat ("test://", path, NULL);
}

static gboolean
fake_guest_id (LabExerciseEnv *env, const char *address, LabGuestId *out, GError **error)
{
  g_autofree char *boot = NULL;

  g_mutex_lock (&guests_lock);
  boot = g_strdup (g_hash_table_lookup (boot_ids, address));
  g_mutex_unlock (&guests_lock);
  memset (out, 0, sizeof *out);
  if (boot == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no answer from %s", address);
      return FALSE;
    }
  out->boot_id = g_steal_pointer (&boot);
  out->uptime = 42;
  out->counter = 21;
  return TRUE;
}

static gboolean
fake_ping (LabExerciseEnv *env, const char *address, guint timeout_ms)
{
  return g_hash_table_contains (pinged, address);
}

static const LabExerciseProbes fake_probes = { fake_node_uri, fake_guest_id, fake_ping };

static void
set_boot (const char *address, const char *boot)
{
  g_mutex_lock (&guests_lock);
  if (boot != NULL)
    g_hash_table_insert (boot_ids, g_strdup (address), g_strdup (boot));
  else
    g_hash_table_remove (boot_ids, address);
  g_mutex_unlock (&guests_lock);
}

static void
silent (void *data, virErrorPtr err)
{
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  work_dir = g_dir_make_tmp ("labctl-exercise-XXXXXX", &error);
  g_assert_no_error (error);
  for (int i = 1; i <= 2; i++)
    {
      g_autofree char *file = g_strdup_printf ("%s/node%d.xml", work_dir, i);
      g_assert_true (g_file_set_contents (file, node_xml, -1, NULL));
    }
  g_setenv ("LABCTL_STATE_DIR", work_dir, TRUE);
  boot_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  pinged = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  f->recipe = lab_recipe_load_data (recipe_text, -1, "exl.lab", &error);
  g_assert_no_error (error);
  f->state = lab_state_new_in_memory ("exl");
  f->runner = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  lab_context_init (&f->ctx, f->recipe, f->state, f->runner, NULL, FALSE);
  f->ctx.cancellable = g_cancellable_new ();
  f->env = lab_exercise_env_new (&f->ctx, &fake_probes);
  virSetErrorFunc (NULL, silent);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  lab_exercise_env_free (f->env);
  g_object_unref (f->ctx.cancellable);
  g_object_unref (f->runner);
  lab_state_free (f->state);
  lab_recipe_free (f->recipe);
  g_hash_table_unref (boot_ids);
  g_hash_table_unref (pinged);
  lab_test_remove_tree (work_dir);
  g_clear_pointer (&work_dir, g_free);
}

static virConnectPtr
node (Fixture *f, const char *name)
{
  return lab_exercise_env_node (f->env, name, NULL);
}

/* The report's step id: its result, and its hint contains hint_part. */
static void
assert_step (LabExerciseReport *r, const char *id, LabExerciseResult result, const char *hint_part)
{
  for (guint i = 0; i < r->steps->len; i++)
    {
      LabExerciseStep *s = g_ptr_array_index (r->steps, i);

      if (!g_str_equal (s->id, id))
        continue;
      if (s->result != result)
        g_test_message ("step %s: %s (%s; hint %s)", id, lab_exercise_result_to_string (s->result), s->detail,
                        s->hint);
      g_assert_cmpstr (lab_exercise_result_to_string (s->result), ==, lab_exercise_result_to_string (result));
      if (hint_part != NULL)
        {
          g_assert_nonnull (s->hint);
          if (s->hint != NULL && strstr (s->hint, hint_part) == NULL)
            g_test_message ("step %s: hint '%s' lacks '%s'", id, s->hint, hint_part);
          g_assert_true (s->hint != NULL && strstr (s->hint, hint_part) != NULL);
        }
      return;
    }
  g_test_message ("no step %s", id);
  g_assert_not_reached ();
}

static LabExerciseReport *
check (Fixture *f, const char *name)
{
  g_autoptr(GError) error = NULL;
  LabExerciseReport *r = lab_exercise_check (f->env, lab_exercise_find (name), &error);

  g_assert_no_error (error);
  g_assert_nonnull (r);
  if (r != NULL)
    {
      g_autofree char *text = lab_exercise_report_format (r);
      g_test_message ("%s", text);
    }
  return r;
}

static void
start (Fixture *f, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *task = lab_exercise_start (f->env, lab_exercise_find (name), &error);

  g_assert_no_error (error);
  g_assert_nonnull (task);
}

/* ---- snapshot ------------------------------------------------------------ */

#define SNAP_VM_ADDR "10.200.9.200"

typedef struct {
  Fixture *f;
  GError  *error;
} WatchJob;

static gpointer
watch_thread (gpointer data)
{
  WatchJob *job = data;

  lab_exercise_watch (job->f->env, lab_exercise_find ("snapshot"), &job->error);
  return NULL;
}

/* The student's session on ex-snap: snapshot (if snap), a restart (if
 * change), a revert (if revert), with the real watcher recording it. */
static LabExerciseReport *
snapshot_session (Fixture *f, gboolean snap, gboolean change, gboolean revert)
{
  g_autoptr(virDomain) dom = NULL;
  g_autoptr(virDomainSnapshot) s = NULL;
  WatchJob job = { f, NULL };
  GThread *thread;

  set_boot (SNAP_VM_ADDR, "boot-A");
  start (f, "snapshot");
  dom = virDomainLookupByName (node (f, "node1"), "ex-snap");
  g_assert_nonnull (dom);
  g_assert_cmpint (virDomainIsActive (dom), ==, 1);
  thread = g_thread_new ("watch", watch_thread, &job);
  if (snap)
    {
      s = virDomainSnapshotCreateXML (dom, "<domainsnapshot><name>before</name></domainsnapshot>", 0);
      g_assert_nonnull (s);
    }
  /* samples after the snapshot's second */
  g_usleep (1100 * 1000);
  if (change)
    {
      set_boot (SNAP_VM_ADDR, "boot-B");
      g_usleep (800 * 1000);
    }
  if (revert && s != NULL)
    {
      g_assert_cmpint (virDomainRevertToSnapshot (s, 0), ==, 0);
      set_boot (SNAP_VM_ADDR, "boot-A");
      g_usleep (800 * 1000);
    }
  g_cancellable_cancel (f->ctx.cancellable);
  g_thread_join (thread);
  g_assert_no_error (job.error);
  g_clear_error (&job.error);
  g_cancellable_reset (f->ctx.cancellable);
  return check (f, "snapshot");
}

static void
test_snapshot_correct (Fixture *f, gconstpointer data)
{
  g_autoptr(LabExerciseReport) r = snapshot_session (f, TRUE, TRUE, TRUE);
  g_autoptr(GError) error = NULL;

  assert_step (r, "snapshot.exists", LAB_EXERCISE_PASS, NULL);
  assert_step (r, "snapshot.changed", LAB_EXERCISE_PASS, NULL);
  assert_step (r, "snapshot.reverted", LAB_EXERCISE_PASS, NULL);
  g_assert_true (lab_exercise_report_passed (r));

  /* finish: the VM, its image and the pool are gone, and the state forgets */
  g_assert_true (lab_exercise_finish (f->env, lab_exercise_find ("snapshot"), &error));
  g_assert_no_error (error);
  {
    g_autoptr(virDomain) dom = virDomainLookupByName (node (f, "node1"), "ex-snap");
    g_autoptr(virStoragePool) pool = virStoragePoolLookupByName (node (f, "node1"), "labctl-exl");
    g_auto(GStrv) keys = lab_state_list_keys (f->state, "exercises.snapshot.");

    g_assert_null (dom);
    g_assert_null (pool);
    g_assert_cmpuint (g_strv_length (keys), ==, 0);
  }
}

static void
test_snapshot_never_reverted (Fixture *f, gconstpointer data)
{
  g_autoptr(LabExerciseReport) r = snapshot_session (f, TRUE, TRUE, FALSE);

  assert_step (r, "snapshot.exists", LAB_EXERCISE_PASS, NULL);
  assert_step (r, "snapshot.changed", LAB_EXERCISE_PASS, NULL);
  assert_step (r, "snapshot.reverted", LAB_EXERCISE_FAIL, "snapshot-revert ex-snap before");
  g_assert_false (lab_exercise_report_passed (r));
}

static void
test_snapshot_never_changed (Fixture *f, gconstpointer data)
{
  g_autoptr(LabExerciseReport) r = snapshot_session (f, TRUE, FALSE, TRUE);

  assert_step (r, "snapshot.changed", LAB_EXERCISE_FAIL, "reset ex-snap");
  assert_step (r, "snapshot.reverted", LAB_EXERCISE_FAIL, "snapshot.changed");
}

static void
test_snapshot_none (Fixture *f, gconstpointer data)
{
  g_autoptr(LabExerciseReport) r = snapshot_session (f, FALSE, TRUE, FALSE);

  assert_step (r, "snapshot.exists", LAB_EXERCISE_FAIL, "snapshot-create-as ex-snap");
}

/* ---- clone --------------------------------------------------------------- */

static void
expect_slice (Fixture *f, const char *lv, guint first_extent)
{
  g_autofree char *lvs = g_strdup_printf ("{\"report\":[{\"seg\":[{\"lv_name\":\"%s\",\"seg_size\":\"8388608\","
                                          "\"seg_pe_ranges\":\"/dev/loop9:%u-%u\"}]}]}",
                                          lv, first_extent, first_extent + 1);

  lab_runner_expect (f->runner, "pvs", 0,
                     "{\"report\":[{\"pv\":[{\"pv_name\":\"/dev/loop9\",\"pe_start\":\"1048576\","
                     "\"vg_extent_size\":\"4194304\"}]}]}", NULL);
  lab_runner_expect (f->runner, "lvs", 0, lvs, NULL);
}

static void
clone_start (Fixture *f)
{
  lab_state_set_string (f->state, "storage.pv.device", "/dev/loop9");
  expect_slice (f, "lv_ex_base", 10);
  expect_slice (f, "lv_ex_clone", 12);
  start (f, "clone");
}

/* The student's clone: ex-base's XML with some of the changes. */
static void
define_clone (Fixture *f, const char *on, gboolean new_uuid, gboolean new_mac, gboolean own_disk,
              const char *address, gboolean run)
{
  g_autoptr(virDomain) base = virDomainLookupByName (node (f, "node1"), "ex-base");
  g_autofree char *xml = NULL;
  g_autoptr(GString) s = NULL;
  g_autoptr(GRegex) uuid = g_regex_new ("<uuid>[^<]*</uuid>", 0, 0, NULL);
  g_autoptr(GRegex) mac = g_regex_new ("<mac address='[^']*'/>", 0, 0, NULL);
  g_autoptr(virDomain) dom = NULL;
  g_autofree char *addr = g_strdup_printf ("guestip=%s/", address);
  char *tmp;

  g_assert_nonnull (base);
  xml = virDomainGetXMLDesc (base, VIR_DOMAIN_XML_INACTIVE);
  s = g_string_new (xml);
  g_string_replace (s, "<name>ex-base</name>", "<name>ex-clone</name>", 1);
  if (new_uuid)
    {
      tmp = g_regex_replace (uuid, s->str, -1, 0, "", 0, NULL);
      g_string_assign (s, tmp);
      g_free (tmp);
    }
  if (new_mac)
    {
      tmp = g_regex_replace (mac, s->str, -1, 0, "", 0, NULL);
      g_string_assign (s, tmp);
      g_free (tmp);
    }
  if (own_disk)
    /* extent 12: 1 MiB + 12 x 4 MiB */
    g_string_replace (s, "offset='42991616'", "offset='51380224'", 1);
  g_string_replace (s, "guestip=10.200.9.201/", addr, 1);
  dom = virDomainDefineXML (node (f, on), s->str);
  g_assert_nonnull (dom);
  if (run)
    g_assert_cmpint (virDomainCreate (dom), ==, 0);
  g_hash_table_add (pinged, g_strdup (address));
}

static void
test_clone_correct (Fixture *f, gconstpointer data)
{
  g_autoptr(LabExerciseReport) r = NULL;
  g_autoptr(GError) error = NULL;

  clone_start (f);
  {
    g_autoptr(virDomain) base = virDomainLookupByName (node (f, "node1"), "ex-base");
    g_autofree char *xml = virDomainGetXMLDesc (base, 0);

    /* stopped, on the LUN at extent 10 */
    g_assert_cmpint (virDomainIsActive (base), ==, 0);
    g_assert_nonnull (strstr (xml, "offset='42991616'"));
  }
  define_clone (f, "node2", TRUE, TRUE, TRUE, "10.200.9.202", TRUE);
  r = check (f, "clone");
  assert_step (r, "clone.exists", LAB_EXERCISE_PASS, NULL);
  assert_step (r, "clone.identity", LAB_EXERCISE_PASS, NULL);
  assert_step (r, "clone.storage", LAB_EXERCISE_PASS, NULL);
  assert_step (r, "clone.boots", LAB_EXERCISE_PASS, NULL);
  g_assert_true (lab_exercise_report_passed (r));

  /* finish: the base, the clone (it carries the mark) and both LVs */
  lab_runner_clear_recorded (f->runner);
  g_assert_true (lab_exercise_finish (f->env, lab_exercise_find ("clone"), &error));
  g_assert_no_error (error);
  {
    g_autoptr(virDomain) b = virDomainLookupByName (node (f, "node1"), "ex-base");
    g_autoptr(virDomain) c = virDomainLookupByName (node (f, "node2"), "ex-clone");
    GPtrArray *cmds = lab_runner_get_recorded (f->runner);
    guint removed = 0;

    g_assert_null (b);
    g_assert_null (c);
    for (guint i = 0; i < cmds->len; i++)
      removed += strstr (g_ptr_array_index (cmds, i), "lvremove") != NULL;
    g_assert_cmpuint (removed, ==, 2);
  }
}

static void
test_clone_same_mac (Fixture *f, gconstpointer data)
{
  g_autoptr(LabExerciseReport) r = NULL;

  clone_start (f);
  define_clone (f, "node1", TRUE, FALSE, TRUE, "10.200.9.202", TRUE);
  r = check (f, "clone");
  assert_step (r, "clone.identity", LAB_EXERCISE_FAIL, "<mac>");
}

static void
test_clone_same_uuid (Fixture *f, gconstpointer data)
{
  g_autoptr(LabExerciseReport) r = NULL;

  clone_start (f);
  /* on another node: the same node would refuse a second domain with one UUID */
  define_clone (f, "node2", FALSE, TRUE, TRUE, "10.200.9.202", TRUE);
  r = check (f, "clone");
  assert_step (r, "clone.identity", LAB_EXERCISE_FAIL, "<uuid>");
}

static void
test_clone_same_disk (Fixture *f, gconstpointer data)
{
  g_autoptr(LabExerciseReport) r = NULL;

  clone_start (f);
  define_clone (f, "node2", TRUE, TRUE, FALSE, "10.200.9.202", TRUE);
  r = check (f, "clone");
  assert_step (r, "clone.storage", LAB_EXERCISE_FAIL, "lv_ex_clone");
}

static void
test_clone_same_address (Fixture *f, gconstpointer data)
{
  g_autoptr(LabExerciseReport) r = NULL;

  clone_start (f);
  define_clone (f, "node2", TRUE, TRUE, TRUE, "10.200.9.201", TRUE);
  r = check (f, "clone");
  assert_step (r, "clone.boots", LAB_EXERCISE_FAIL, "free one");
}

static void
test_clone_missing (Fixture *f, gconstpointer data)
{
  g_autoptr(LabExerciseReport) r = NULL;

  clone_start (f);
  r = check (f, "clone");
  assert_step (r, "clone.exists", LAB_EXERCISE_FAIL, "virsh define ex-clone.xml");
  assert_step (r, "clone.boots", LAB_EXERCISE_FAIL, "clone.exists");
}


/* ---- template ------------------------------------------------------------ */

#define TMPL_NS "https://labctl.example/xmlns/template/1"

static char *
pool_path (Fixture *f, const char *vol_name)
{
  g_autoptr(virStoragePool) pool = virStoragePoolLookupByName (node (f, "node1"), "labctl-exl");
  g_autoptr(virStorageVol) vol = pool != NULL ? virStorageVolLookupByName (pool, vol_name) : NULL;

  return vol != NULL ? virStorageVolGetPath (vol) : NULL;
}

/* The student's template: read-only disk, the mark; running when run_it. */
static void
make_template (Fixture *f, gboolean readonly, gboolean mark, gboolean run_it)
{
  g_autoptr(virDomain) t = virDomainLookupByName (node (f, "node1"), "ex-tmpl");
  g_autofree char *xml = NULL;
  g_autoptr(GString) s = NULL;
  g_autoptr(virDomain) again = NULL;

  g_assert_nonnull (t);
  xml = virDomainGetXMLDesc (t, VIR_DOMAIN_XML_INACTIVE);
  s = g_string_new (xml);
  if (readonly)
    g_string_replace (s, "<target dev='vda'", "<readonly/>\n      <target dev='vda'", 1);
  again = virDomainDefineXML (node (f, "node1"), s->str);
  g_assert_nonnull (again);
  if (mark)
    g_assert_cmpint (virDomainSetMetadata (again, VIR_DOMAIN_METADATA_ELEMENT, "<template/>", "tmpl", TMPL_NS,
                                           VIR_DOMAIN_AFFECT_CONFIG), ==, 0);
  if (run_it)
    g_assert_cmpint (virDomainCreate (again), ==, 0);
}

/* A VM from the template's XML on a new image (an overlay of the
 * template's when overlay). */
static void
deploy (Fixture *f, const char *name, const char *address, gboolean overlay)
{
  g_autoptr(virDomain) t = virDomainLookupByName (node (f, "node1"), "ex-tmpl");
  g_autofree char *xml = virDomainGetXMLDesc (t, VIR_DOMAIN_XML_INACTIVE);
  g_autofree char *base = pool_path (f, "ex-tmpl.qcow2");
  g_autoptr(virStoragePool) pool = virStoragePoolLookupByName (node (f, "node1"), "labctl-exl");
  g_autofree char *vol_xml = NULL;
  g_autoptr(virStorageVol) vol = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GString) s = g_string_new (xml);
  g_autoptr(GRegex) uuid = g_regex_new ("<uuid>[^<]*</uuid>", 0, 0, NULL);
  g_autoptr(GRegex) mac = g_regex_new ("<mac address='[^']*'/>", 0, 0, NULL);
  g_autofree char *n1 = g_strdup_printf ("<name>%s</name>", name);
  g_autofree char *ip = g_strdup_printf ("guestip=%s/", address);
  g_autofree char *src = NULL;
  g_autoptr(virDomain) dom = NULL;
  char *tmp;

  vol_xml = g_strdup_printf ("<volume><name>%s.qcow2</name><capacity>33554432</capacity>"
                             "<target><format type='qcow2'/></target>%s%s%s</volume>", name,
                             overlay ? "<backingStore><path>" : "", overlay ? base : "",
                             overlay ? "</path><format type='qcow2'/></backingStore>" : "");
  vol = virStorageVolCreateXML (pool, vol_xml, 0);
  g_assert_nonnull (vol);
  path = virStorageVolGetPath (vol);
  src = g_strdup_printf ("<source file='%s'/>", path);
  g_string_replace (s, "<name>ex-tmpl</name>", n1, 1);
  g_string_replace (s, "<readonly/>", "", 1);
  g_string_replace (s, "guestip=10.200.9.210/", ip, 1);
  {
    g_autofree char *old = g_strdup_printf ("<source file='%s'/>", base);
    g_string_replace (s, old, src, 1);
  }
  tmp = g_regex_replace (uuid, s->str, -1, 0, "", 0, NULL);
  g_string_assign (s, tmp);
  g_free (tmp);
  tmp = g_regex_replace (mac, s->str, -1, 0, "", 0, NULL);
  g_string_assign (s, tmp);
  g_free (tmp);
  dom = virDomainDefineXML (node (f, "node1"), s->str);
  g_assert_nonnull (dom);
  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  g_hash_table_add (pinged, g_strdup (address));
}

static void
test_template_correct (Fixture *f, gconstpointer data)
{
  g_autoptr(LabExerciseReport) r = NULL;
  g_autoptr(GError) error = NULL;

  start (f, "template");
  make_template (f, TRUE, TRUE, FALSE);
  deploy (f, "ex-vm1", "10.200.9.211", TRUE);
  deploy (f, "ex-vm2", "10.200.9.212", TRUE);
  r = check (f, "template");
  assert_step (r, "template.mark", LAB_EXERCISE_PASS, NULL);
  assert_step (r, "template.readonly", LAB_EXERCISE_PASS, NULL);
  assert_step (r, "template.no-start", LAB_EXERCISE_PASS, NULL);
  assert_step (r, "template.deployed", LAB_EXERCISE_PASS, NULL);
  g_assert_true (lab_exercise_report_passed (r));
  /* finish: the template, the two VMs (they carry its mark), the overlays,
   * the image and the pool */
  g_assert_true (lab_exercise_finish (f->env, lab_exercise_find ("template"), &error));
  g_assert_no_error (error);
  {
    g_autoptr(virDomain) t = virDomainLookupByName (node (f, "node1"), "ex-tmpl");
    g_autoptr(virDomain) v = virDomainLookupByName (node (f, "node1"), "ex-vm1");
    g_autoptr(virStoragePool) pool = virStoragePoolLookupByName (node (f, "node1"), "labctl-exl");

    g_assert_null (t);
    g_assert_null (v);
    g_assert_null (pool);
  }
}

static void
test_template_still_starts (Fixture *f, gconstpointer data)
{
  g_autoptr(LabExerciseReport) r = NULL;

  start (f, "template");
  make_template (f, TRUE, TRUE, TRUE);
  r = check (f, "template");
  assert_step (r, "template.no-start", LAB_EXERCISE_FAIL, "destroy ex-tmpl");
}

static void
test_template_autostart (Fixture *f, gconstpointer data)
{
  g_autoptr(LabExerciseReport) r = NULL;
  g_autoptr(virDomain) t = NULL;

  start (f, "template");
  make_template (f, FALSE, FALSE, FALSE);
  t = virDomainLookupByName (node (f, "node1"), "ex-tmpl");
  g_assert_cmpint (virDomainSetAutostart (t, 1), ==, 0);
  r = check (f, "template");
  assert_step (r, "template.mark", LAB_EXERCISE_FAIL, "--key tmpl");
  assert_step (r, "template.readonly", LAB_EXERCISE_FAIL, "<readonly/>");
  assert_step (r, "template.no-start", LAB_EXERCISE_FAIL, "autostart --disable");
}

static void
test_template_copies (Fixture *f, gconstpointer data)
{
  g_autoptr(LabExerciseReport) r = NULL;

  start (f, "template");
  make_template (f, TRUE, TRUE, FALSE);
  /* full copies, not overlays of the template's image */
  deploy (f, "ex-vm1", "10.200.9.211", FALSE);
  deploy (f, "ex-vm2", "10.200.9.212", TRUE);
  r = check (f, "template");
  assert_step (r, "template.deployed", LAB_EXERCISE_FAIL, "--backing-vol");
}

/* ---- migrate ------------------------------------------------------------- */

#define GUEST_ADDR "10.200.9.51"

static char *
guest_xml (Fixture *f)
{
  return lab_guest_domain_xml (f->recipe, lab_recipe_find_guest (f->recipe, "tiny"), NULL);
}

static void
guest_run_on (Fixture *f, const char *on)
{
  g_autofree char *xml = guest_xml (f);
  g_autoptr(virDomain) dom = virDomainDefineXML (node (f, on), xml);

  g_assert_nonnull (dom);
  g_assert_cmpint (virDomainCreate (dom), ==, 0);
}

static void
guest_remove_from (Fixture *f, const char *from)
{
  g_autoptr(virDomain) dom = virDomainLookupByName (node (f, from), "tiny");

  g_assert_nonnull (dom);
  virDomainDestroy (dom);
  virDomainUndefine (dom);
}

static void
migrate_start (Fixture *f)
{
  guest_run_on (f, "node1");
  set_boot (GUEST_ADDR, "boot-A");
  start (f, "migrate");
  g_assert_cmpstr (lab_state_get_string (f->state, "exercises.migrate.node"), ==, "node1");
}

static void
test_migrate_correct (Fixture *f, gconstpointer data)
{
  g_autoptr(LabExerciseReport) r = NULL;

  migrate_start (f);
  /* live: the same boot goes on on node2 */
  guest_run_on (f, "node2");
  guest_remove_from (f, "node1");
  r = check (f, "migrate");
  assert_step (r, "migrate.moved", LAB_EXERCISE_PASS, NULL);
  assert_step (r, "migrate.live", LAB_EXERCISE_PASS, NULL);
  g_assert_cmpstr (json_object_get_string_member (r->figures, "to"), ==, "node2");
}

static void
test_migrate_shutdown_start (Fixture *f, gconstpointer data)
{
  g_autoptr(LabExerciseReport) r = NULL;

  migrate_start (f);
  guest_remove_from (f, "node1");
  guest_run_on (f, "node2");
  set_boot (GUEST_ADDR, "boot-B");
  r = check (f, "migrate");
  assert_step (r, "migrate.moved", LAB_EXERCISE_PASS, NULL);
  assert_step (r, "migrate.live", LAB_EXERCISE_FAIL, "not a migration");
}

static void
test_migrate_not_moved (Fixture *f, gconstpointer data)
{
  g_autoptr(LabExerciseReport) r = NULL;

  migrate_start (f);
  r = check (f, "migrate");
  assert_step (r, "migrate.moved", LAB_EXERCISE_FAIL, "migrate --live");
}

/* ---- the framework ------------------------------------------------------- */

static void
test_ha_unavailable (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *task = lab_exercise_start (f->env, lab_exercise_find ("ha"), &error);

  g_assert_null (task);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "HA cluster"));
}

static void
test_check_not_started (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabExerciseReport) r = lab_exercise_check (f->env, lab_exercise_find ("clone"), &error);

  g_assert_null (r);
  g_assert_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "labctl exercise start clone"));
}

static void
test_storage_answers (Fixture *f, gconstpointer data)
{
  g_autoptr(LabExerciseReport) r = NULL;
  g_autofree char *answers = g_build_filename (work_dir, "answers.txt", NULL);

  start (f, "storage");
  f->env->answers = answers;
  /* no file: the student's to write */
  r = check (f, "storage");
  assert_step (r, "storage.answers", LAB_EXERCISE_FAIL, "answers.txt");
  lab_exercise_report_free (g_steal_pointer (&r));
  /* a file, but the checker cannot read the target (no tgtd answers
   * here): ERROR, not held against the student */
  g_assert_true (g_file_set_contents (answers, "iqn = x\nportal = 10.200.9.1:3261\n", -1, NULL));
  r = check (f, "storage");
  assert_step (r, "storage.answers", LAB_EXERCISE_PASS, NULL);
  assert_step (r, "storage.iqn", LAB_EXERCISE_ERROR, NULL);
  g_assert_true (lab_exercise_report_has_error (r));
}

static void
test_guest_id_parse (void)
{
  LabGuestId id = { 0 };

  g_assert_true (lab_guest_id_parse ("boot_id=ab-cd uptime=12.50 counter=7 vda=disk-counter=7\n", &id));
  g_assert_cmpstr (id.boot_id, ==, "ab-cd");
  g_assert_cmpfloat (id.uptime, ==, 12.5);
  g_assert_cmpint (id.counter, ==, 7);
  lab_guest_id_clear (&id);
  g_assert_false (lab_guest_id_parse ("<html>404</html>", &id));
  lab_guest_id_clear (&id);
}

/* ---- the class report ---------------------------------------------------- */

static void
write_result (const char *dir, const char *file, const char *seat, const char *exercise, const char *time,
              const char *second_result, const char *hint)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autofree char *text = g_strdup_printf (
    "{\"exercise\":\"%s\",\"lab\":\"course\",\"seat\":\"%s\",\"time\":\"%s\",\"passed\":%s,"
    "\"steps\":[{\"id\":\"%s.one\",\"title\":\"One\",\"result\":\"PASS\",\"detail\":null,\"hint\":null},"
    "{\"id\":\"%s.two\",\"title\":\"Two <&>\",\"result\":\"%s\",\"detail\":null,\"hint\":%s%s%s}],\"figures\":{}}",
    exercise, seat, time, g_str_equal (second_result, "PASS") ? "true" : "false", exercise, exercise,
    second_result, hint != NULL ? "\"" : "", hint != NULL ? hint : "null", hint != NULL ? "\"" : "");

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

static void
test_class_report (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("labctl-class-XXXXXX", &error);
  g_autofree char *sub = g_build_filename (dir, "seat2", NULL);
  g_autoptr(JsonNode) report = NULL;
  g_autofree char *text = NULL, *csv = NULL, *html = NULL;

  g_assert_no_error (error);
  g_mkdir (sub, 0755);
  write_result (dir, "seat1-clone.json", "seat1", "clone", "2026-12-01T10:00:00Z", "FAIL", "remove the <mac> line");
  /* a later result of the same seat and exercise wins */
  write_result (dir, "seat1-clone-2.json", "seat1", "clone", "2026-12-01T11:00:00Z", "PASS", NULL);
  write_result (dir, "seat1-snapshot.json", "seat1", "snapshot", "2026-12-01T10:00:00Z", "FAIL", "revert it");
  write_result (sub, "snapshot.json", "seat2", "snapshot", "2026-12-01T10:00:00Z", "ERROR", "node down");
  {
    g_autofree char *junk = g_build_filename (dir, "notes.json", NULL);
    g_assert_true (g_file_set_contents (junk, "[1, 2]", -1, NULL));
  }
  report = lab_class_report_load (dir, &error);
  g_assert_no_error (error);
  g_assert_nonnull (report);
  if (report == NULL)
    return;
  text = lab_class_report_render (report, LAB_CLASS_REPORT_TEXT);
  csv = lab_class_report_render (report, LAB_CLASS_REPORT_CSV);
  html = lab_class_report_render (report, LAB_CLASS_REPORT_HTML);
  g_test_message ("%s\n%s", text, csv);
  g_assert_nonnull (strstr (text, "seat1"));
  g_assert_nonnull (strstr (text, "FAIL snapshot.two"));
  g_assert_nonnull (strstr (text, "ERROR snapshot.two"));
  g_assert_nonnull (strstr (text, "seat1 / snapshot: FAIL Two <&>: revert it"));
  /* seat1's clone: the later PASS, not the earlier FAIL */
  g_assert_null (strstr (text, "<mac>"));
  g_assert_nonnull (strstr (csv, "\"seat1\",\"clone\",\"PASS\""));
  g_assert_nonnull (strstr (csv, "\"seat2\",\"snapshot\",\"ERROR\",\"snapshot.two\",\"Two <&>\",\"node down\""));
  g_assert_nonnull (strstr (html, "<td class=\"fail\" data-seat=\"seat1\" data-exercise=\"snapshot\">"));
  g_assert_nonnull (strstr (html, "Two &lt;&amp;&gt;"));
  g_assert_nonnull (strstr (html, "<td class=\"none\" data-seat=\"seat2\" data-exercise=\"clone\">"));
  g_assert_null (strstr (html, "<script"));
  g_assert_null (strstr (html, "http"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (report), "skipped")),
                    ==, 1);
  lab_test_remove_tree (dir);

  /* nothing to report is an error that says what to collect */
  {
    g_autoptr(GError) e2 = NULL;
    g_autofree char *empty = g_dir_make_tmp ("labctl-class-XXXXXX", NULL);
    g_autoptr(JsonNode) none = lab_class_report_load (empty, &e2);

    g_assert_null (none);
    g_assert_error (e2, LAB_ERROR, LAB_ERROR_NOT_FOUND);
    g_rmdir (empty);
  }
}

/* The hosts file of `class report --hosts`: seats, names, the errors. */
static void
test_class_hosts (void)
{
  g_autofree char *dir = g_dir_make_tmp ("labctl-hosts-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "hosts", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) seats = NULL;
  LabClassSeat *s;
  const struct {
    const char *text;
    const char *in_error;
  } bad[] = {
    { "pc01\n-oProxyCommand=x pc02\n", "hosts:2: '-oProxyCommand=x' is not an ssh destination" },
    { "pc01 a b\n", "hosts:1: 'pc01 a b'" },
    { "pc01 seat/1\n", "hosts:1: seat name 'seat/1'" },
    { "pc01 s\npc02 s\n", "hosts:2: seat 's' is listed twice" },
    { "# nobody\n\n", "lists no seat" },
  };

  g_assert_true (g_file_set_contents (path, "# room 204\nstudent@pc07 seat-07\n  pc08   # no name: the host\n"
                                            "ssh://root@10.0.0.9:2222\n", -1, NULL));
  seats = lab_class_hosts_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (seats);
  if (seats == NULL)
    return;
  g_assert_cmpuint (seats->len, ==, 3);
  s = g_ptr_array_index (seats, 0);
  g_assert_cmpstr (s->seat, ==, "seat-07");
  g_assert_cmpstr (s->destination, ==, "student@pc07");
  g_assert_cmpuint (s->line, ==, 2);
  s = g_ptr_array_index (seats, 1);
  g_assert_cmpstr (s->seat, ==, "pc08");
  s = g_ptr_array_index (seats, 2);
  g_assert_cmpstr (s->seat, ==, "10.0.0.9");
  g_assert_cmpstr (s->destination, ==, "ssh://root@10.0.0.9:2222");
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) e = NULL;
      g_autoptr(GPtrArray) none = NULL;

      g_assert_true (g_file_set_contents (path, bad[i].text, -1, NULL));
      none = lab_class_hosts_load (path, &e);
      g_assert_null (none);
      g_assert_nonnull (e);
      if (e != NULL && strstr (e->message, bad[i].in_error) == NULL)
        g_test_message ("%s (wanted %s)", e->message, bad[i].in_error);
      g_assert_true (e != NULL && strstr (e->message, bad[i].in_error) != NULL);
    }
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

#define ADD(path, fn) g_test_add ("/exercise/" path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("snapshot/correct", test_snapshot_correct);
  ADD ("snapshot/never-reverted", test_snapshot_never_reverted);
  ADD ("snapshot/never-changed", test_snapshot_never_changed);
  ADD ("snapshot/none", test_snapshot_none);
  ADD ("clone/correct", test_clone_correct);
  ADD ("clone/same-mac", test_clone_same_mac);
  ADD ("clone/same-uuid", test_clone_same_uuid);
  ADD ("clone/same-disk", test_clone_same_disk);
  ADD ("clone/same-address", test_clone_same_address);
  ADD ("clone/missing", test_clone_missing);
  ADD ("template/correct", test_template_correct);
  ADD ("template/still-starts", test_template_still_starts);
  ADD ("template/autostart-unmarked", test_template_autostart);
  ADD ("template/copies", test_template_copies);
  ADD ("migrate/correct", test_migrate_correct);
  ADD ("migrate/shutdown-start", test_migrate_shutdown_start);
  ADD ("migrate/not-moved", test_migrate_not_moved);
  ADD ("ha/unavailable", test_ha_unavailable);
  ADD ("check/not-started", test_check_not_started);
  ADD ("storage/answers", test_storage_answers);
  g_test_add_func ("/exercise/guest-id", test_guest_id_parse);
  g_test_add_func ("/exercise/class-report", test_class_report);
  g_test_add_func ("/exercise/class-hosts", test_class_hosts);
  return g_test_run ();
}
