/* Unit tests of the kvm flavor: the node image's configuration and cache
 * key, each node's identity and its debugfs script, the SSH keys (real
 * ssh-keygen in a temporary state dir: pinned, 0600), the ssh command and
 * libvirt URIs, the plan's steps per phase, and the faults: a node that
 * never answers ssh, a changed host key, a failed iSCSI login inside a
 * node (recorded tool output), a node started again since it was
 * configured. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "lab-error.h"
#include "lab-flavor.h"
#include "lab-guest.h"
#include "lab-kvm.h"
#include "lab-kvm-private.h"
#include "lab-stand.h"
#include "lab-test-cli.h"
#include "lab-test-fs.h"

static const char kvm_text[] =
  "[lab]\nname = kt\nflavor = kvm\n"
  "[storage]\nsize = 16G\n"
  "[network]\nsubnet = 10.200.11.0/24\n"
  "[nodes]\ncount = 2\nos = debian12\ndisk = 5G\n";

typedef struct {
  char       *dir;
  LabRecipe  *recipe;
  LabState   *state;
  LabRunner  *runner;
  LabContext  ctx;
} Lab;

static void
lab_open (Lab *lab, gboolean on_disk)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state_dir = NULL;

  memset (lab, 0, sizeof *lab);
  lab->dir = g_dir_make_tmp ("labctl-kvm-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("LABCTL_STATE_DIR", lab->dir, TRUE);
  g_setenv ("LABCTL_CACHE_DIR", lab->dir, TRUE);
  lab->recipe = lab_recipe_load_data (kvm_text, -1, "kvm-test.lab", &error);
  g_assert_no_error (error);
  if (on_disk)
    {
      state_dir = g_build_filename (lab->dir, lab->recipe->name, NULL);
      lab->state = lab_state_load (state_dir, lab->recipe->name, &error);
      g_assert_no_error (error);
    }
  else
    lab->state = lab_state_new_in_memory (lab->recipe->name);
  lab->runner = lab_runner_new (on_disk ? LAB_RUNNER_MODE_REAL : LAB_RUNNER_MODE_RECORD);
  lab_context_init (&lab->ctx, lab->recipe, lab->state, lab->runner, NULL, FALSE);
}

static void
lab_close (Lab *lab)
{
  g_object_unref (lab->runner);
  lab_state_free (lab->state);
  lab_recipe_free (lab->recipe);
  lab_test_remove_tree (lab->dir);
  g_free (lab->dir);
}

static const LabKvmFile *
find_file (GPtrArray *files, const char *path)
{
  for (guint i = 0; i < files->len; i++)
    {
      LabKvmFile *f = g_ptr_array_index (files, i);
      if (g_str_equal (f->path, path))
        return f;
    }
  return NULL;
}

/* What one image must hold for the kvm nodes and for the HA work. */
static void
test_image_packages (void)
{
  static const char * const needed[] = {
    "linux-image-amd64", "systemd-sysv", "openssh-server", "qemu-system-x86", "libvirt-daemon-system",
    "libvirt-clients", "libvirt-daemon-driver-lxc", "open-iscsi", "lvm2", "corosync", "pacemaker",
    "pacemaker-cli-utils", "crmsh", "resource-agents", "fence-agents", NULL
  };
  const char * const *pkgs = lab_kvm_image_packages ();
  g_auto(GStrv) argv = lab_kvm_mmdebstrap_argv ("/tmp/root", NULL);
  g_autofree char *line = g_strjoinv (" ", argv);
  guint n = g_strv_length (argv);

  for (guint i = 0; needed[i] != NULL; i++)
    {
      g_test_message ("package %s", needed[i]);
      g_assert_true (g_strv_contains (pkgs, needed[i]));
      g_assert_nonnull (strstr (line, needed[i]));
    }
  g_assert_cmpstr (argv[0], ==, "mmdebstrap");
  g_assert_true (g_strv_contains ((const char * const *) argv, "--variant=apt"));
  /* suite, target, mirror: the last three (mmdebstrap reads a sources
   * list from stdin when no mirror is given) */
  g_assert_cmpuint (n, >, 3);
  g_assert_cmpstr (argv[n - 3], ==, LAB_KVM_IMAGE_SUITE);
  g_assert_cmpstr (argv[n - 2], ==, "/tmp/root");
  g_assert_cmpstr (argv[n - 1], ==, LAB_KVM_DEFAULT_MIRROR);
  g_assert_nonnull (strstr (line, "systemctl enable systemd-networkd.service"));

  g_setenv ("LABCTL_DEBIAN_MIRROR", "http://mirror.example/debian", TRUE);
  {
    g_auto(GStrv) other = lab_kvm_mmdebstrap_argv ("/tmp/root", NULL);
    g_assert_cmpstr (other[g_strv_length (other) - 1], ==, "http://mirror.example/debian");
  }
  g_unsetenv ("LABCTL_DEBIAN_MIRROR");
  {
    g_auto(GStrv) cached = lab_kvm_mmdebstrap_argv ("/tmp/root", "/c/debs");
    g_autofree char *all = g_strjoinv ("\n", cached);
    g_assert_nonnull (strstr (all, "--setup-hook=sync-in /c/debs /var/cache/apt/archives\n"));
    g_assert_nonnull (strstr (all, "--customize-hook=sync-out /var/cache/apt/archives /c/debs\n"));
    g_assert_cmpstr (cached[g_strv_length (cached) - 2], ==, "/tmp/root");
  }
}

static void
test_image_files (void)
{
  g_autoptr(GPtrArray) files = lab_kvm_image_files ();
  const LabKvmFile *f;

  f = find_file (files, "/etc/fstab");
  g_assert_nonnull (f);
  g_assert_true (f != NULL && g_str_has_prefix (f->content, "/dev/vda / ext4"));
  /* LVM inside a node: the lab's LUN only, nothing activated by itself */
  f = find_file (files, "/etc/lvm/lvm.conf");
  g_assert_nonnull (f);
  g_assert_nonnull (f != NULL ? strstr (f->content, "\"a|^/dev/disk/by-path/ip-.*-iscsi-.*-lun-.*|\", \"r|.*|\"") : NULL);
  g_assert_nonnull (f != NULL ? strstr (f->content, "auto_activation_volume_list = [ ]") : NULL);
  /* only the pinned host key, no passwords */
  f = find_file (files, "/etc/ssh/sshd_config.d/labctl.conf");
  g_assert_nonnull (f != NULL ? strstr (f->content, "HostKey /etc/ssh/ssh_host_ed25519_key\n") : NULL);
  g_assert_nonnull (f != NULL ? strstr (f->content, "PasswordAuthentication no") : NULL);
  /* migration refuses equal host UUIDs: each node's from its machine id */
  f = find_file (files, "/etc/libvirt/libvirtd.conf");
  g_assert_nonnull (f != NULL ? strstr (f->content, "host_uuid_source = \"machine-id\"") : NULL);
  f = find_file (files, "/etc/systemd/network/11-eth0.network");
  g_assert_nonnull (f != NULL ? strstr (f->content, "Bridge=br0") : NULL);
  for (guint i = 0; i < files->len; i++)
    {
      LabKvmFile *x = g_ptr_array_index (files, i);
      g_assert_true (g_path_is_absolute (x->path));
      g_assert_cmpuint (x->mode & 0777, ==, x->mode);
    }
}

static void
test_image_key (void)
{
  g_autofree char *k1 = lab_kvm_image_key ();
  g_autofree char *k2 = lab_kvm_image_key ();
  g_autofree char *dir = NULL;
  g_autofree char *want = NULL;
  g_autofree char *cmdline = lab_kvm_kernel_cmdline (FALSE);
  g_autofree char *tcg = lab_kvm_kernel_cmdline (TRUE);

  g_assert_cmpstr (k1, ==, k2);
  g_assert_cmpuint (strlen (k1), ==, 16);
  g_assert_true (strspn (k1, "0123456789abcdef") == 16);
  g_setenv ("LABCTL_CACHE_DIR", "/var/tmp/kc", TRUE);
  dir = lab_kvm_image_dir ();
  want = g_strdup_printf ("/var/tmp/kc/node-images/kvm-%s", k1);
  g_assert_cmpstr (dir, ==, want);
  g_unsetenv ("LABCTL_CACHE_DIR");
  g_assert_nonnull (strstr (cmdline, "root=/dev/vda"));
  g_assert_nonnull (strstr (cmdline, "console=ttyS0"));
  g_assert_nonnull (strstr (cmdline, "net.ifnames=0"));
  g_assert_null (strstr (cmdline, "systemd.service_watchdogs"));
  /* TCG: systemd's timeouts and watchdogs would fail a slow boot */
  g_assert_true (g_str_has_prefix (tcg, cmdline));
  g_assert_nonnull (strstr (tcg, " systemd.service_watchdogs=0"));
  g_assert_nonnull (strstr (tcg, " systemd.default_timeout_start_sec=900"));
}

static void
test_identity (void)
{
  Lab lab;
  LabKvmKeys keys = {
    .lab_pubkey = "ssh-ed25519 AAAAlab labctl-kt", .peer_pubkey = "ssh-ed25519 AAAApeer labctl-kt",
    .peer_key = "-----BEGIN OPENSSH PRIVATE KEY-----\npeer\n-----END OPENSSH PRIVATE KEY-----",
    .host_key = "-----BEGIN OPENSSH PRIVATE KEY-----\nhost\n-----END OPENSSH PRIVATE KEY-----\n",
    .host_pubkey = "ssh-ed25519 AAAAhost1 labctl-kt", .known_hosts = "node1,10.200.11.11 ssh-ed25519 AAAAhost1\n",
  };
  LabNode *n1, *n2;
  g_autoptr(GPtrArray) f1 = NULL;
  g_autoptr(GPtrArray) f2 = NULL;
  g_autofree char *id1 = NULL;
  g_autofree char *id2 = NULL;
  g_autofree char *script = NULL;
  const LabKvmFile *f;

  lab_open (&lab, FALSE);
  n1 = lab_recipe_find_node (lab.recipe, "node1");
  n2 = lab_recipe_find_node (lab.recipe, "node2");
  g_assert_nonnull (n1);
  g_assert_nonnull (n2);
  id1 = lab_kvm_machine_id (lab.recipe, n1);
  id2 = lab_kvm_machine_id (lab.recipe, n2);
  g_assert_cmpuint (strlen (id1), ==, 32);
  g_assert_cmpstr (id1, !=, id2);
  f1 = lab_kvm_identity_files (lab.recipe, n1, &keys);
  f2 = lab_kvm_identity_files (lab.recipe, n2, &keys);

  f = find_file (f1, "/etc/hostname");
  g_assert_cmpstr (f != NULL ? f->content : NULL, ==, "node1\n");
  f = find_file (f2, "/etc/hostname");
  g_assert_cmpstr (f != NULL ? f->content : NULL, ==, "node2\n");
  f = find_file (f1, "/etc/machine-id");
  g_assert_true (f != NULL && g_str_has_prefix (f->content, id1));
  /* every node knows every node (libvirt builds migration URIs from names) */
  f = find_file (f1, "/etc/hosts");
  g_assert_nonnull (f != NULL ? strstr (f->content, "10.200.11.11\tnode1\n") : NULL);
  g_assert_nonnull (f != NULL ? strstr (f->content, "10.200.11.12\tnode2\n") : NULL);
  /* the static address of the lab network's reservation */
  f = find_file (f2, "/etc/systemd/network/20-br0.network");
  g_assert_nonnull (f != NULL ? strstr (f->content, "Address=10.200.11.12/24\n") : NULL);
  g_assert_nonnull (f != NULL ? strstr (f->content, "Gateway=10.200.11.1\n") : NULL);
  /* its own initiator name, under the lab's IQN */
  f = find_file (f2, "/etc/iscsi/initiatorname.iscsi");
  g_assert_nonnull (f);
  if (f != NULL)
    {
      g_autofree char *want = g_strdup_printf ("InitiatorName=%s:node2\n", lab.recipe->iqn);
      g_assert_cmpstr (f->content, ==, want);
    }
  f = find_file (f1, "/root/.ssh/authorized_keys");
  g_assert_nonnull (f != NULL ? strstr (f->content, "AAAAlab") : NULL);
  g_assert_nonnull (f != NULL ? strstr (f->content, "AAAApeer") : NULL);
  g_assert_cmpuint (f != NULL ? f->mode : 0, ==, 0600);
  f = find_file (f1, "/etc/ssh/ssh_host_ed25519_key");
  g_assert_cmpuint (f != NULL ? f->mode : 0, ==, 0600);
  g_assert_true (f != NULL && g_str_has_suffix (f->content, "KEY-----\n"));
  f = find_file (f1, "/root/.ssh/id_ed25519");
  g_assert_cmpuint (f != NULL ? f->mode : 0, ==, 0600);
  /* a private key file must end with a newline or ssh refuses it */
  g_assert_true (f != NULL && g_str_has_suffix (f->content, "KEY-----\n"));

  script = lab_kvm_debugfs_script (f1, "/s/id");
  for (guint i = 0; i < f1->len; i++)
    {
      LabKvmFile *x = g_ptr_array_index (f1, i);
      g_autofree char *w = g_strdup_printf ("write /s/id/%u %s\n", i, x->path);
      g_autofree char *m = g_strdup_printf ("set_inode_field %s mode 0100%o\n", x->path, x->mode);
      g_autofree char *rm = g_strdup_printf ("rm %s\n", x->path);
      g_assert_nonnull (strstr (script, w));
      g_assert_nonnull (strstr (script, m));
      g_assert_nonnull (strstr (script, rm));
    }
  g_assert_nonnull (strstr (script, "set_inode_field /etc/ssh/ssh_host_ed25519_key mode 0100600\n"));
  g_assert_nonnull (strstr (script, "set_inode_field /etc/ssh/ssh_host_ed25519_key uid 0\n"));
  lab_close (&lab);
}

static gboolean
mode_is (const char *path, guint mode)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 && (st.st_mode & 0777) == mode;
}

/* The keys step for real (ssh-keygen): generated once, pinned (a second
 * apply keeps them), private keys 0600 in a 0700 dir, known_hosts with
 * every node's host key at its address. */
static void
test_keys (void)
{
  Lab lab;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *key = NULL;
  g_autofree char *pub1 = NULL;
  g_autofree char *pub2 = NULL;
  g_autofree char *known = NULL;
  g_autofree char *host1 = NULL;
  g_autofree char *pub_path = NULL;
  gboolean done = TRUE;
  LabKvmKeys keys;

  if (g_find_program_in_path ("ssh-keygen") == NULL)
    {
      g_test_fail_printf ("ssh-keygen is missing: install openssh-client (scripts/install-deps)");
      return;
    }
  lab_open (&lab, TRUE);
  g_assert_true (lab_kvm_keys_step.check (&lab.ctx, NULL, &done, &error));
  g_assert_false (done);
  g_assert_true (lab_kvm_keys_step.apply (&lab.ctx, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (lab_kvm_keys_step.check (&lab.ctx, NULL, &done, &error));
  g_assert_true (done);
  dir = lab_kvm_ssh_dir (&lab.ctx);
  key = lab_kvm_lab_key (&lab.ctx);
  g_assert_true (mode_is (dir, 0700));
  g_assert_true (mode_is (key, 0600));
  host1 = g_build_filename (dir, "host-node1", NULL);
  g_assert_true (mode_is (host1, 0600));
  pub_path = g_strconcat (host1, ".pub", NULL);
  g_assert_true (g_file_get_contents (pub_path, &pub1, NULL, NULL));
  g_assert_true (lab_kvm_keys_step.apply (&lab.ctx, NULL, &error));
  g_assert_true (g_file_get_contents (pub_path, &pub2, NULL, NULL));
  g_assert_cmpstr (pub1, ==, pub2);
  known = lab_kvm_known_hosts (&lab.ctx);
  {
    g_autofree char *text = NULL;
    g_auto(GStrv) parts = g_strsplit (pub1, " ", 3);
    g_autofree char *line = g_strdup_printf ("10.200.11.11 %s %s\n", parts[0], parts[1]);
    g_assert_true (g_file_get_contents (known, &text, NULL, NULL));
    g_assert_nonnull (strstr (text, line));
    g_assert_nonnull (strstr (text, "10.200.11.12 ssh-ed25519 "));
    g_assert_true (mode_is (known, 0600));
  }
  g_assert_true (lab_kvm_keys_load (&lab.ctx, lab_recipe_find_node (lab.recipe, "node2"), &keys, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (keys.host_key, "-----BEGIN OPENSSH PRIVATE KEY-----"));
  g_assert_nonnull (strstr (keys.known_hosts, "node1,10.200.11.11 ssh-ed25519 "));
  g_assert_nonnull (strstr (keys.known_hosts, "node2,10.200.11.12 ssh-ed25519 "));
  g_assert_cmpstr (keys.host_pubkey, !=, pub1);
  lab_kvm_keys_clear (&keys);
  g_assert_true (lab_kvm_keys_step.undo (&lab.ctx, NULL, &error));
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  lab_close (&lab);
}

/* `down` leaves nothing of the nodes in the state: the image step, the
 * nodes' first, is undone last and takes the accelerator nodes.define
 * recorded. */
static void
test_state_undone (void)
{
  Lab lab;
  g_autoptr(GError) error = NULL;

  lab_open (&lab, FALSE);
  lab_state_set_string (lab.state, "kvm.image.dir", "/var/tmp/labctl-cache/node-images/kvm-0");
  lab_kvm_record_tcg (&lab.ctx, TRUE);
  g_assert_true (lab_kvm_nodes_tcg (&lab.ctx));
  g_assert_false (lab_state_is_empty (lab.state));
  g_assert_true (lab_kvm_image_step.undo (&lab.ctx, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (lab_kvm_nodes_tcg (&lab.ctx));
  g_assert_true (lab_state_is_empty (lab.state));
  lab_close (&lab);
}

static void
test_ssh_and_uris (void)
{
  Lab lab;
  const char *argv[] = { "crm_mon", "-1", "a b", NULL };
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) cmd = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *config = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *peer = NULL;
  g_autofree char *line = NULL;
  g_autofree char *text = NULL;

  lab_open (&lab, FALSE);
  dir = lab_kvm_ssh_dir (&lab.ctx);
  config = g_build_filename (dir, "config", NULL);
  cmd = lab_flavor_node_command (&lab.ctx, "node2", argv, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (cmd), ==, 9);
  g_assert_cmpstr (cmd[0], ==, "ssh");
  g_assert_cmpstr (cmd[1], ==, "-F");
  g_assert_cmpstr (cmd[2], ==, config);
  g_assert_cmpstr (cmd[4], ==, "node2");
  g_assert_cmpstr (cmd[5], ==, "--");
  g_assert_cmpstr (cmd[6], ==, "crm_mon");
  /* one line for the node's shell: quoted once */
  g_assert_cmpstr (cmd[8], ==, "'a b'");
  line = lab_kvm_ssh_describe (&lab.ctx, lab_recipe_find_node (lab.recipe, "node2"), argv);
  g_assert_true (g_str_has_suffix (line, "-T node2 -- crm_mon -1 'a b'"));
  text = lab_kvm_ssh_config_text (&lab.ctx);
  g_assert_nonnull (strstr (text, "Host node1\n  HostName 10.200.11.11\n"));
  g_assert_nonnull (strstr (text, "StrictHostKeyChecking yes\n"));
  g_assert_nonnull (strstr (text, "GlobalKnownHostsFile /dev/null\n"));
  g_assert_nonnull (strstr (text, "BatchMode yes\n"));
  {
    g_autofree char *mux = g_strdup_printf ("ControlPath %s/mux-%%n\n", dir);
    g_assert_nonnull (strstr (text, "ControlMaster auto\n"));
    g_assert_nonnull (strstr (text, mux));
  }
  {
    g_autofree char *known = lab_kvm_known_hosts (&lab.ctx);
    g_autofree char *want = g_strdup_printf ("UserKnownHostsFile %s\n", known);
    g_assert_nonnull (strstr (text, want));
  }
  uri = lab_flavor_node_uri (&lab.ctx, "node1", &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (uri, "qemu+libssh://root@10.200.11.11/system?keyfile="));
  g_assert_nonnull (strstr (uri, "known_hosts_verify=normal"));
  g_assert_nonnull (strstr (uri, "&known_hosts="));
  peer = lab_flavor_node_peer_uri (&lab.ctx, "node2", &error);
  g_assert_cmpstr (peer, ==, "qemu+ssh://root@node2/system");
  lab_close (&lab);
}

/* nodes phase: image, keys, one disk per node, then the vm flavor's
 * define and start; install and configure per node after them. */
static void
test_plan (void)
{
  static const char * const order[] = {
    "nodes.network", "storage.lv:lv_node2", "nodes.image", "nodes.keys", "nodes.disk:node1", "nodes.disk:node2",
    "nodes.define:node1", "nodes.define:node2", "nodes.start", "nodes.install:node1", "nodes.install:node2",
    "nodes.configure:node1", "nodes.configure:node2", "stand.ready",
  };
  Lab lab;
  g_autoptr(LabPlan) plan = NULL;
  guint last = 0;

  lab_open (&lab, FALSE);
  plan = lab_stand_build_plan (&lab.ctx, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      guint at = G_MAXUINT;
      for (guint j = 0; j < lab_plan_get_n_steps (plan); j++)
        if (g_str_equal (lab_plan_get_step_id (plan, j), order[i]))
          at = j;
      g_test_message ("%s at %u", order[i], at);
      g_assert_cmpuint (at, !=, G_MAXUINT);
      g_assert_true (i == 0 || at > last);
      last = at;
    }
  for (guint j = 0; j < lab_plan_get_n_steps (plan); j++)
    {
      const char *id = lab_plan_get_step_id (plan, j);
      if (g_str_has_prefix (id, "nodes.install:"))
        g_assert_cmpint (lab_plan_get_step_phase (plan, j), ==, LAB_PHASE_INSTALL);
      if (g_str_has_prefix (id, "nodes.configure:"))
        g_assert_cmpint (lab_plan_get_step_phase (plan, j), ==, LAB_PHASE_CONFIGURE);
    }
  /* no KVM: shown, not fatal (the nodes run under TCG) */
  g_assert_false (lab_flavor_check_matters (lab_flavor_get (LAB_FLAVOR_KVM), "kvm.module"));
  g_assert_true (lab_flavor_check_matters (lab_flavor_get (LAB_FLAVOR_KVM), "libvirt.reachable"));
  lab_close (&lab);
}

static const char guests_text[] =
  "[lab]\nname = kg\nflavor = kvm\n"
  "[storage]\nsize = 16G\nvg = vg_kg\n"
  "[network]\nsubnet = 10.200.12.0/24\n"
  "[nodes]\ncount = 2\nos = debian12\ndisk = 5G\n"
  "[guest vm]\nnode = node1\nmemory = 112\ndisk = 16M\nkernel = /opt/g/vmlinux\ninitrd = /opt/g/initrd.gz\n"
  "cmdline = console=ttyS0\naddress = 10.200.12.51\n"
  "[guest ct]\ntype = container\nnode = node1\nmemory = 64\ndisk = 32M\ninitrd = /opt/g/initrd.gz\n"
  "address = 10.200.12.52\n";

/* A guest on kvm nodes: its files and its LV as the node sees them,
 * its console logged there, pinned to CPU 0 when it migrates only under
 * TCG (booted unpinned); a container:
 * LXC, its root the LV mounted on the node, its address by libvirt. */
static void
test_guest_domains (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRecipe) r = lab_recipe_load_data (guests_text, -1, "kvm-guests.lab", &error);
  LabGuest *vm, *ct;
  g_autoptr(LabVirtGuestSpec) tcg = NULL;
  g_autoptr(LabVirtGuestSpec) kvm = NULL;
  g_autoptr(LabVirtGuestSpec) lxc = NULL;
  g_autofree char *tcg_xml = NULL, *kvm_xml = NULL, *lxc_xml = NULL;
  g_autofree char *script = NULL;

  g_assert_no_error (error);
  vm = lab_recipe_find_guest (r, "vm");
  ct = lab_recipe_find_guest (r, "ct");
  g_assert_false (vm->container);
  g_assert_true (ct->container);
  tcg = lab_guest_spec (r, vm, NULL);
  lab_kvm_guest_spec_apply (r, vm, TRUE, tcg);
  tcg_xml = lab_virt_guest_xml (tcg);
  g_assert_nonnull (strstr (tcg_xml, "<kernel>/var/lib/labctl/guests/vm/kernel</kernel>"));
  g_assert_nonnull (strstr (tcg_xml, "<initrd>/var/lib/labctl/guests/vm/initrd</initrd>"));
  g_assert_nonnull (strstr (tcg_xml, "<disk type='block' device='disk'>"));
  g_assert_nonnull (strstr (tcg_xml, "<source dev='/dev/vg_kg/lv_vm'/>"));
  g_assert_nonnull (strstr (tcg_xml, "cache='none' io='native'"));
  /* booted unpinned, pinned to CPU 0 when it migrates */
  g_assert_null (strstr (tcg_xml, "cputune"));
  g_assert_cmpstr (tcg->migrate_pin_cpuset, ==, "0");
  /* and migrated paused, not live */
  g_assert_true (tcg->migrate_paused);
  g_assert_nonnull (strstr (tcg_xml, "<log file='/var/log/libvirt/qemu/vm-console.log' append='on'/>"));
  g_assert_null (strstr (tcg_xml, "iscsi"));
  g_assert_null (strstr (tcg_xml, "/opt/g"));
  kvm = lab_guest_spec (r, vm, NULL);
  lab_kvm_guest_spec_apply (r, vm, FALSE, kvm);
  kvm_xml = lab_virt_guest_xml (kvm);
  g_assert_null (strstr (kvm_xml, "cputune"));
  g_assert_null (kvm->migrate_pin_cpuset);
  g_assert_false (kvm->migrate_paused);
  lxc = lab_guest_spec (r, ct, NULL);
  lab_kvm_guest_spec_apply (r, ct, TRUE, lxc);
  lxc_xml = lab_virt_container_xml (lxc);
  g_test_message ("%s", lxc_xml);
  g_assert_nonnull (strstr (lxc_xml, "<domain type='lxc'>"));
  g_assert_nonnull (strstr (lxc_xml, "<type>exe</type>"));
  g_assert_nonnull (strstr (lxc_xml, "<init>/init</init>"));
  g_assert_nonnull (strstr (lxc_xml, "<source dir='/var/lib/labctl/guests/ct/root'/>"));
  g_assert_nonnull (strstr (lxc_xml, "<ip address='10.200.12.52' family='ipv4' prefix='24'/>"));
  g_assert_nonnull (strstr (lxc_xml, "<source bridge='br0'/>"));
  g_assert_nonnull (strstr (lxc_xml, "guest='ct'"));
  g_assert_null (strstr (lxc_xml, "kernel"));
  /* the VM's files go into every node's root with its identity */
  script = lab_kvm_guest_files_script (r);
  g_assert_nonnull (strstr (script, "write \"/opt/g/vmlinux\" /var/lib/labctl/guests/vm/kernel\n"));
  g_assert_nonnull (strstr (script, "write \"/opt/g/initrd.gz\" /var/lib/labctl/guests/vm/initrd\n"));
}

/* The plan of a kvm lab with guests: the container's root before the
 * nodes start, the guests after the nodes are configured, no clean image
 * (reset boots them). */
static void
test_guest_plan (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LabRecipe) r = lab_recipe_load_data (guests_text, -1, "kvm-guests.lab", &error);
  g_autoptr(LabState) state = lab_state_new_in_memory ("kg");
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_RECORD);
  g_autoptr(LabPlan) plan = NULL;
  LabContext ctx;
  int rootfs = -1, start = -1, configure = -1, vm_start = -1;

  g_assert_no_error (error);
  lab_context_init (&ctx, r, state, runner, NULL, FALSE);
  plan = lab_stand_build_plan (&ctx, NULL);
  for (guint j = 0; j < lab_plan_get_n_steps (plan); j++)
    {
      const char *id = lab_plan_get_step_id (plan, j);
      g_assert_false (g_str_has_prefix (id, "guests.snapshot"));
      if (g_str_equal (id, "guests.rootfs:ct"))
        rootfs = (int) j;
      if (g_str_equal (id, "nodes.start"))
        start = (int) j;
      if (g_str_equal (id, "nodes.configure:node2"))
        configure = (int) j;
      if (g_str_equal (id, "guests.start:vm"))
        vm_start = (int) j;
    }
  g_assert_cmpint (rootfs, >=, 0);
  g_assert_cmpint (rootfs, <, start);
  g_assert_cmpint (configure, <, vm_start);
  g_assert_false (lab_plan_get_step_id (plan, 0) == NULL);
}

/* A container needs kvm nodes, an initrd and a disk. */
static void
test_container_recipe (void)
{
  static const char *const bad[] = {
    "[lab]\nname = kc\nflavor = container\n[nodes]\ncount = 2\n"
    "[guest ct]\ntype = container\ninitrd = /x\ndisk = 32M\n",
    "[lab]\nname = kc\nflavor = kvm\n[storage]\nsize = 16G\n[nodes]\ncount = 2\nos = debian12\ndisk = 5G\n"
    "[guest ct]\ntype = container\ndisk = 32M\n",
    "[lab]\nname = kc\nflavor = kvm\n[storage]\nsize = 16G\n[nodes]\ncount = 2\nos = debian12\ndisk = 5G\n"
    "[guest ct]\ntype = lxc\n",
  };
  static const char *const want[] = { "kvm nodes only", "needs 'initrd'", "lxc" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(LabRecipe) r = lab_recipe_load_data (bad[i], -1, "bad.lab", &error);

      g_assert_null (r);
      g_assert_nonnull (error);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, want[i]));
      g_assert_nonnull (strstr (error->message, "bad.lab"));
    }
}

static char *
ssh_prefix (Lab *lab, const char *node, const char *const *argv)
{
  g_auto(GStrv) ssh = lab_kvm_ssh_argv (&lab->ctx, lab_recipe_find_node (lab->recipe, node), argv);

  return lab_runner_format_argv (lab->runner, (const char * const *) ssh);
}

/* A node that never answers: the error names the node, its address and
 * its console log with its last lines. */
static void
test_ssh_timeout (void)
{
  Lab lab;
  const char *boot_id[] = { "cat", "/proc/sys/kernel/random/boot_id", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *log = NULL;
  g_autofree char *log_dir = NULL;
  LabNode *n2;

  lab_open (&lab, FALSE);
  n2 = lab_recipe_find_node (lab.recipe, "node2");
  log = lab_kvm_console_log (&lab.ctx, n2);
  log_dir = g_path_get_dirname (log);
  g_assert_cmpint (g_mkdir_with_parents (log_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (log, "[    0.0] Linux version 6.1\n[   31.2] Kernel panic - not syncing: VFS\n",
                                      -1, NULL));
  prefix = ssh_prefix (&lab, "node2", boot_id);
  lab_runner_expect (lab.runner, prefix, 255, "", "ssh: connect to host 10.200.11.12 port 22: No route to host\n");
  g_assert_false (lab_kvm_wait_ssh (&lab.ctx, n2, 0, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT);
  if (error != NULL)
    {
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, "node2"));
      g_assert_nonnull (strstr (error->message, "10.200.11.12"));
      g_assert_nonnull (strstr (error->message, log));
      g_assert_nonnull (strstr (error->message, "Kernel panic - not syncing"));
      g_assert_nonnull (strstr (error->message, "No route to host"));
    }
  lab_close (&lab);
}

/* A node answering with another host key is refused at once. */
static void
test_changed_host_key (void)
{
  Lab lab;
  const char *boot_id[] = { "cat", "/proc/sys/kernel/random/boot_id", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *prefix = NULL;

  lab_open (&lab, FALSE);
  prefix = ssh_prefix (&lab, "node1", boot_id);
  lab_runner_expect (lab.runner, prefix, 255, "",
                     "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
                     "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n"
                     "Host key verification failed.\n");
  g_assert_false (lab_kvm_wait_ssh (&lab.ctx, lab_recipe_find_node (lab.recipe, "node1"), 600000, &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_FOREIGN);
  g_assert_nonnull (error != NULL ? strstr (error->message, "node1") : NULL);
  g_assert_nonnull (error != NULL ? strstr (error->message, "refusing") : NULL);
  /* one attempt only */
  g_assert_cmpuint (lab_runner_get_recorded (lab.runner)->len, ==, 1);
  lab_close (&lab);
}

/* A failed iSCSI login inside a node quotes the node's iscsiadm. */
static void
test_iscsi_login_fails (void)
{
  Lab lab;
  g_autoptr(GError) error = NULL;
  g_autofree char *portal = NULL;
  g_autofree char *prefix = NULL;
  const char *login[] = { "iscsiadm", "-m", "node", "-T", NULL, "-p", NULL, "--login", NULL };

  lab_open (&lab, FALSE);
  portal = g_strdup_printf ("%s:%u", lab.recipe->portal_address, lab.recipe->portal_port);
  login[4] = lab.recipe->iqn;
  login[6] = portal;
  prefix = ssh_prefix (&lab, "node1", login);
  lab_runner_expect (lab.runner, prefix, 24, "",
                     "iscsiadm: Could not login to [iface: default, target: x, portal: 10.200.11.1,3260].\n"
                     "iscsiadm: initiator reported error (24 - iSCSI login failed due to authorization failure)\n");
  g_assert_false (lab_kvm_configure_node (&lab.ctx, lab_recipe_find_node (lab.recipe, "node1"), &error));
  g_assert_error (error, LAB_ERROR, LAB_ERROR_TOOL);
  if (error != NULL)
    {
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, "node1"));
      g_assert_nonnull (strstr (error->message, "authorization failure"));
      g_assert_nonnull (strstr (error->message, "--login"));
    }
  lab_close (&lab);
}

static gboolean
step_done (Lab *lab, const LabStepInfo *info, const char *node)
{
  g_autoptr(GError) error = NULL;
  gboolean done = TRUE;

  g_assert_true (info->check (&lab->ctx, lab_recipe_find_node (lab->recipe, node), &done, &error));
  g_assert_no_error (error);
  return done;
}

/* A node started again since it was installed and configured (fenced by
 * the cluster, then started by the plan): nodes.install is not done until
 * it answers in its new boot, and nodes.configure is not done in that new
 * boot until it is configured again. A node that does not answer is not
 * installed. */
static void
test_rebooted_node (void)
{
  Lab lab, off;
  const char *boot_id[] = { "cat", "/proc/sys/kernel/random/boot_id", NULL };
  const char *vgs[] = { "vgs", NULL };
  g_autofree char *prefix = NULL;
  g_autofree char *vgs_prefix = NULL;
  g_autofree char *vgs_out = NULL;
  g_autoptr(GError) error = NULL;
  LabNode *n1;

  lab_open (&lab, FALSE);
  n1 = lab_recipe_find_node (lab.recipe, "node1");
  /* never installed: not done, without asking the node */
  g_assert_false (step_done (&lab, &lab_kvm_install_step, "node1"));
  g_assert_false (step_done (&lab, &lab_kvm_configure_step, "node1"));
  g_assert_cmpuint (lab_runner_get_recorded (lab.runner)->len, ==, 0);
  /* installed and configured in boot A; the node now runs boot B */
  lab_state_set_string (lab.state, "kvm.node.node1.boot_id", "boot-A");
  lab_state_set_string (lab.state, "kvm.node.node1.configured_boot", "boot-A");
  prefix = ssh_prefix (&lab, "node1", boot_id);
  /* (each expectation answers once: the check, the wait, the check) */
  for (guint i = 0; i < 3; i++)
    lab_runner_expect (lab.runner, prefix, 0, "boot-B\n", "");
  vgs_prefix = ssh_prefix (&lab, "node1", vgs);
  vgs_out = g_strdup_printf ("  %s\n", lab.recipe->vg_name);
  lab_runner_expect (lab.runner, vgs_prefix, 0, vgs_out, "");
  g_assert_false (step_done (&lab, &lab_kvm_install_step, "node1"));
  g_assert_true (lab_kvm_install_step.apply (&lab.ctx, n1, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (lab_state_get_string (lab.state, "kvm.node.node1.boot_id"), ==, "boot-B");
  g_assert_true (step_done (&lab, &lab_kvm_install_step, "node1"));
  /* configured in A, not in B */
  g_assert_false (step_done (&lab, &lab_kvm_configure_step, "node1"));
  g_assert_true (lab_kvm_configure_step.apply (&lab.ctx, n1, &error));
  g_assert_no_error (error);
  g_assert_true (step_done (&lab, &lab_kvm_configure_step, "node1"));
  /* down forgets the boot it was configured in */
  g_assert_true (lab_kvm_configure_step.undo (&lab.ctx, n1, &error));
  g_assert_null (lab_state_get_string (lab.state, "kvm.node.node1.configured_boot"));
  lab_close (&lab);

  /* a node that does not answer (off, or booting) */
  lab_open (&off, FALSE);
  lab_state_set_string (off.state, "kvm.node.node2.boot_id", "boot-A");
  g_free (prefix);
  prefix = ssh_prefix (&off, "node2", boot_id);
  lab_runner_expect (off.runner, prefix, 255, "", "ssh: connect to host 10.200.11.12 port 22: No route to host\n");
  g_assert_false (step_done (&off, &lab_kvm_install_step, "node2"));
  lab_close (&off);
}

/* `labctl nodes ssh` through the binary: the command it runs (dry run),
 * a node the lab does not have. */
static void
test_cli_ssh (void)
{
  g_auto(LabTestRun) r = { 0 };
  g_auto(LabTestRun) bad = { 0 };
  const char *env[] = { "LABCTL_STATE_DIR=/var/lib/labctl", NULL };

  if (!lab_test_run_labctl_env (&r, env, "nodes", "ssh", "--dry-run", "--recipe", "kvm-3node", "node2", "--",
                                "vgs", "-o", "vg_name", NULL))
    return;
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "ssh -F /var/lib/labctl/kvm/ssh/config -T node2 -- vgs -o vg_name\n");
  if (!lab_test_run_labctl_env (&bad, env, "nodes", "ssh", "--dry-run", "--recipe", "kvm-3node", "node7", NULL))
    return;
  g_assert_cmpint (bad.status, !=, 0);
  g_assert_nonnull (strstr (bad.err, "node7"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  g_test_add_func ("/kvm/image/packages", test_image_packages);
  g_test_add_func ("/kvm/image/files", test_image_files);
  g_test_add_func ("/kvm/image/key", test_image_key);
  g_test_add_func ("/kvm/identity", test_identity);
  g_test_add_func ("/kvm/keys", test_keys);
  g_test_add_func ("/kvm/state-undone", test_state_undone);
  g_test_add_func ("/kvm/ssh-and-uris", test_ssh_and_uris);
  g_test_add_func ("/kvm/plan", test_plan);
  g_test_add_func ("/kvm/guests/domains", test_guest_domains);
  g_test_add_func ("/kvm/guests/plan", test_guest_plan);
  g_test_add_func ("/kvm/guests/container-recipe", test_container_recipe);
  g_test_add_func ("/kvm/fault/ssh-timeout", test_ssh_timeout);
  g_test_add_func ("/kvm/fault/changed-host-key", test_changed_host_key);
  g_test_add_func ("/kvm/fault/iscsi-login", test_iscsi_login_fails);
  g_test_add_func ("/kvm/fault/rebooted-node", test_rebooted_node);
  g_test_add_func ("/kvm/cli/ssh", test_cli_ssh);
  return g_test_run ();
}
