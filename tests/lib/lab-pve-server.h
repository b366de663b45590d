/* lab-pve-server.h: a contract test server for labctl's Proxmox VE client.
 *
 * One HTTPS SoupServer per node on 127.0.0.1 (certificates made by the
 * test with openssl: a CA per node, as a fresh install has, and the
 * certificate the cluster CA issues on join), all served by one thread.
 * Every request is checked against Proxmox's published API schema (a
 * trimmed apidata.js, tests/data/pve/apidata-<version>.json): unknown
 * endpoints and parameters, missing required ones, wrong types, formats
 * and patterns, an API token on a method that refuses tokens or is
 * root@pam-only, a write without the CSRFPreventionToken of its ticket:
 * each is a violation (lab_pve_server_get_violations) and is answered
 * as Proxmox would answer it. The server's own answers are checked
 * against the method's `returns` schema the same way.
 *
 * Modelled state (what each endpoint does is in lab-pve-server.c, with
 * the Proxmox source or document it follows): standalone nodes, cluster
 * create, join (the node restarts its API with a certificate signed by
 * the cluster CA and takes the cluster's auth key, so old tickets fail),
 * quorum, storage.cfg (iscsi, lvm), node-local templates, QEMU and LXC
 * guests with their disks on the shared VG, tasks (UPIDs) that run for a
 * while and stop with an exit status and a log, migrations (the VM online,
 * the container by restart), HA resources and the HA manager's states
 * (started, fence, recovery, started elsewhere) after a power-off, and a
 * node installed again (lab_pve_server_node_reinstalled: `reset`).
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "lab-recipe.h"
#include "lab-state.h"

G_BEGIN_DECLS

typedef struct _LabPveServer LabPveServer;

typedef struct {
  const char *name;      /* "pve1" */
  const char *address;   /* its address on the lab network (what join's hostname names) */
  const char *password;  /* root@pam */
  /* For a node that is a VM of the test (the e2e test's fake node, whose
   * 8006 forwards here): where its API listens (NULL: 127.0.0.1; port 0:
   * any), and instead of password, the node's answer.toml, whose
   * root-password-hashed (SHA-512 crypt) checks the password at each login,
   * as PAM checks the hash the installer wrote to /etc/shadow. */
  const char *listen;
  guint       port;
  const char *answer;
} LabPveServerNode;

/* schema: path of a trimmed apidata JSON; iqn, portal, vg: the lab's
 * iSCSI target (the VG appears on the nodes once an iscsi storage names
 * that portal and target); own_lvs: the nodes' own LVs in that VG, which
 * no call may touch (NULL-terminated). */
LabPveServer *lab_pve_server_new             (const char             *schema,
                                              const LabPveServerNode *nodes,
                                              guint                   n_nodes,
                                              const char             *iqn,
                                              const char             *portal,
                                              const char             *vg,
                                              const char * const     *own_lvs,
                                              GError                **error);
void          lab_pve_server_free            (LabPveServer *self);

/* The unit tests' proxmox lab (3 nodes pve1..pve3 on 192.168.150.0/24)
 * and its nodes' root passwords, shared by test-pve and exercise-pve. */
#define LAB_PVE_TEST_RECIPE                                                                                            \
  "[lab]\nname = course\nflavor = proxmox\n[storage]\nsize = 100G\n[network]\nsubnet = 192.168.150.0/24\n"      \
  "[nodes]\ncount = 3\nname-pattern = pve%d\n"
extern const char * const lab_pve_test_passwords[3];

/* The recipe's nodes served on 127.0.0.1, node i with root password
 * passwords[i], the recipe's target and VG, the nodes' own LVs
 * (LabNode.lv_name) untouchable: the fixture of the unit tests. */
LabPveServer *lab_pve_server_new_for_recipe  (const char             *schema,
                                              LabRecipe              *recipe,
                                              const char * const     *passwords,
                                              GError                **error);
/* What `nodes.install` records for each node of recipe (the API's URL, the
 * pinned certificate fingerprint, the root password), written into state:
 * a unit test standing in for the install (e2e-proxmox runs the real one). */
void          lab_pve_server_write_install_records (LabPveServer       *self,
                                              LabRecipe              *recipe,
                                              LabState               *state,
                                              const char * const     *passwords);

/* The VM's disk image, built for real (the product's lab_pve_vm_image_path
 * with a real runner) into cache_dir, which becomes $LABCTL_CACHE_DIR: the
 * unit tests' plans run with a recording runner (no mkfs.vfat, no
 * syslinux run), so their pve.image step finds it in the cache, by its
 * content key. Its path, or NULL with error. */
char         *lab_pve_test_vm_image          (const char   *cache_dir,
                                              GError      **error);

/* The VMs' QEMU (lab-pve-server-guests.c): from now on every VM the model
 * runs on a node with power boots the image it was imported from, on a
 * tap device on bridge, in the network namespace of the server's thread. */
void          lab_pve_server_run_vms         (LabPveServer *self,
                                              const char   *bridge);
/* How many times a VM's QEMU was started; the VM's serial console so far
 * (NULL: none). */
guint         lab_pve_server_vm_starts       (LabPveServer *self);
char         *lab_pve_server_vm_log          (LabPveServer *self,
                                              guint         vmid);
/* The stand-in's QEMU for a VM, in the calling thread's network namespace:
 * qemu-system-x86_64 (TCG, 128 MiB, SeaBIOS) boots image (raw,
 * snapshot=on), a virtio NIC with mac on a new tap device tap on bridge, its
 * serial console appended to log, its QMP on the unix socket qmp (NULL:
 * none). Its pid, or 0 with error. stop kills it (pid 0: already gone)
 * and removes the tap. */
GPid          lab_pve_stand_in_vm_start      (const char   *image,
                                              const char   *mac,
                                              const char   *bridge,
                                              const char   *tap,
                                              const char   *log,
                                              const char   *qmp,
                                              GError      **error);
void          lab_pve_stand_in_vm_stop       (GPid          pid,
                                              const char   *tap);

const char   *lab_pve_server_get_version     (LabPveServer *self);
/* "https://127.0.0.1:PORT" (or its listen address) and the SHA-256 fingerprint of the node's
 * install-time certificate. */
char         *lab_pve_server_get_url         (LabPveServer *self, const char *node);
char         *lab_pve_server_get_fingerprint (LabPveServer *self, const char *node);

/* Faults. The next task of type (e.g. "qmstart") on any node stops with
 * exitstatus instead of doing its work. */
void          lab_pve_server_fail_next_task  (LabPveServer *self,
                                              const char   *type,
                                              const char   *exitstatus);
/* The next join of node fails half-way: the member has added it to its
 * corosync.conf, the node has not taken the cluster's configuration. */
void          lab_pve_server_fail_join_half_way (LabPveServer *self,
                                              const char   *node);
/* The node's power goes off (its domain destroyed): its API and every
 * connection to it end at once, the cluster sees it offline, and the HA
 * manager fences its services and recovers them on a member that runs
 * (times scaled down, lab-pve-server.c). power_on: its API comes back.
 * Both return once the server did it. */
void          lab_pve_server_power_off       (LabPveServer *self,
                                              const char   *node);
void          lab_pve_server_power_on        (LabPveServer *self,
                                              const char   *node);
/* The node was installed again (call it while the node is powered off):
 * its state goes back to a fresh install's: no cluster, the installer's
 * storage, no guests, HA resources or uploads, the install's certificate
 * and a new auth key. */
void          lab_pve_server_node_reinstalled (LabPveServer *self,
                                              const char   *node);
/* Every ticket issued so far stops working (expiry). */
void          lab_pve_server_expire_tickets  (LabPveServer *self);

/* What went wrong on the client's side (strings), and every call served
 * ("POST /cluster/config on pve1"). Copies; free with g_ptr_array_unref. */
GPtrArray    *lab_pve_server_get_violations  (LabPveServer *self);
GPtrArray    *lab_pve_server_get_calls       (LabPveServer *self);
guint         lab_pve_server_count_logins    (LabPveServer *self);

/* The model, for assertions: {"nodes": {NAME: {"cluster", "fingerprint",
 * "members", "storage", "templates", "guests", "ha": {sid: CRM state},
 * "powered", "tasks"}}}. */
JsonNode     *lab_pve_server_dump            (LabPveServer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabPveServer, lab_pve_server_free)

G_END_DECLS
