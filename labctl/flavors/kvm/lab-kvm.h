/* lab-kvm.h: the kvm flavor: every node a Debian 12 KVM/libvirt host, a
 * libvirt VM on the host (the vm flavor's domains and lab network) booting
 * an image labctl builds once and caches, written into the node's LV. Its
 * steps, after the vm flavor's nodes.network:
 *
 *   nodes.image           (nodes) the node image: mmdebstrap, cached by
 *                         content under the cache dir (lab-kvm-image.c)
 *   nodes.keys            (nodes) labctl's SSH key, an inter-node key and
 *                         every node's host key, pinned (lab-kvm-keys.c)
 *   nodes.disk:<node>     (nodes) the image written sparsely into the node's
 *                         LV and the node's identity into it with debugfs
 *                         (lab-kvm-disk.c)
 *   nodes.define:<node>, nodes.start  the vm flavor's (lab-vm-nodes.c),
 *                         with a direct kernel boot of the image's kernel
 *   nodes.install:<node>  (install) the node's sshd answers with its
 *                         pinned host key (lab-kvm-install.c)
 *   nodes.configure:<node> (configure) inside the node: iSCSI login with its
 *                         own initiator, the shared VG seen, libvirtd up
 *                         (lab-kvm-configure.c)
 */
#pragma once

#include "lab-plan.h"
#include "lab-recipe.h"
#include "lab-runner.h"
#include "lab-virt-xml.h"

G_BEGIN_DECLS

/* Bumped whenever what the image build does changes (the cache key). */
#define LAB_KVM_IMAGE_FORMAT  1
#define LAB_KVM_IMAGE_SUITE   "bookworm"
#define LAB_KVM_IMAGE_BYTES   (G_GUINT64_CONSTANT (4) << 30)
#define LAB_KVM_DEFAULT_MIRROR "http://deb.debian.org/debian"

/* One file of the image or of a node's identity. */
typedef struct {
  char  *path;      /* absolute, inside the node */
  guint  mode;      /* e.g. 0644 */
  char  *content;
} LabKvmFile;

void        lab_kvm_file_free          (LabKvmFile *file);

/* ---- the image (lab-kvm-image.c) ---------------------------------------- */

/* The packages of the node image (NULL-terminated, static). */
const char * const *lab_kvm_image_packages (void);
/* The files the image build writes into every node's root (LabKvmFile*):
 * fstab, networking, sshd, libvirt, LVM, iSCSI settings. */
GPtrArray  *lab_kvm_image_files        (void);
/* The cache key (hex) of the image: format, suite, packages, files. */
char       *lab_kvm_image_key          (void);
/* <cache>/node-images/kvm-<key>: root.img, vmlinuz, initrd.img. */
char       *lab_kvm_image_dir          (void);
char       *lab_kvm_image_file         (const char *name);
/* The Debian mirror ($LABCTL_DEBIAN_MIRROR, else deb.debian.org). */
const char *lab_kvm_mirror             (void);
/* <cache>/debs/<suite>: the packages of the last build, kept. */
char       *lab_kvm_deb_cache_dir      (void);
/* The mmdebstrap command line that builds the root into dir (debs: a
 * package cache it fills and reuses; NULL: none). */
char      **lab_kvm_mmdebstrap_argv    (const char *dir,
                                        const char *debs);
/* The node's kernel command line; tcg: the nodes run under TCG (longer
 * systemd timeouts, no service watchdogs). */
char       *lab_kvm_kernel_cmdline     (gboolean    tcg);

/* ---- per-node identity (lab-kvm-disk.c) --------------------------------- */

typedef struct {
  const char *lab_pubkey;       /* labctl's key (authorized) */
  const char *peer_pubkey;      /* the nodes' common key (authorized) */
  const char *peer_key;         /* its private part (/root/.ssh/id_ed25519) */
  const char *host_key;         /* the node's host key, private */
  const char *host_pubkey;
  const char *known_hosts;      /* every node's host key (/etc/ssh/ssh_known_hosts) */
} LabKvmKeys;

/* The node's stable machine id (32 hex digits, from lab and node names). */
char       *lab_kvm_machine_id         (LabRecipe     *recipe,
                                        const LabNode *node);
/* Its iSCSI initiator name: <target IQN>:<node> (LabNode.initiator, the
 * name the target's ACL admits). */
char       *lab_kvm_initiator_name     (LabRecipe     *recipe,
                                        const LabNode *node);
/* /etc/hosts of every node: localhost and every node of the lab. */
char       *lab_kvm_hosts_file         (LabRecipe     *recipe);
/* The files that make the image node's own (LabKvmFile*): hostname,
 * machine-id, hosts, static address, initiator name, SSH keys. */
GPtrArray  *lab_kvm_identity_files     (LabRecipe        *recipe,
                                        const LabNode    *node,
                                        const LabKvmKeys *keys);
/* The debugfs script that writes files (local copies under local_dir,
 * named by their index) into the image: rm, write, mode, owner. */
char       *lab_kvm_debugfs_script     (GPtrArray  *files,
                                        const char *local_dir);

/* The debugfs commands that copy the recipe's guests' kernels and initrds
 * into a node's root (lab_kvm_guest_file()). */
char       *lab_kvm_guest_files_script (LabRecipe  *recipe);

/* ---- reaching a node (lab-kvm-keys.c) ----------------------------------- */

/* <state dir>/ssh: labctl's key pair, the pinned known_hosts, the keys,
 * and an ssh config naming them (`ssh -F <dir>/config node1`). */
char       *lab_kvm_ssh_dir            (LabContext *ctx);
/* That config: each node's address; user root, labctl's key, the pinned
 * known_hosts only, StrictHostKeyChecking yes, BatchMode. */
char       *lab_kvm_ssh_config_text    (LabContext *ctx);
/* ssh -F <config> NODE -- argv (NULL: a shell). */
char      **lab_kvm_ssh_argv           (LabContext        *ctx,
                                        const LabNode     *node,
                                        const char *const *argv);
/* Ends the node's shared ssh connection (before the node stops). */
void        lab_kvm_ssh_close          (LabContext        *ctx,
                                        const LabNode     *node);
/* That command line as a person types it (--dry-run). */
char       *lab_kvm_ssh_describe       (LabContext        *ctx,
                                        const LabNode     *node,
                                        const char *const *argv);
/* Runs argv on the node through ssh; the error quotes the node's stderr. */
gboolean    lab_kvm_node_run           (LabContext        *ctx,
                                        const LabNode     *node,
                                        const char *const *argv,
                                        guint              timeout_ms,
                                        char             **out_stdout,
                                        GError           **error);
/* The node's serial console log (<state dir>/nodes/<node>/console.log). */
char       *lab_kvm_console_log        (LabContext    *ctx,
                                        const LabNode *node);

/* ---- guests on the nodes (lab-kvm-guests.c) ----------------------------- */

/* A file of the guest inside every node: /var/lib/labctl/guests/<g>/<name>
 * ("kernel", "initrd"). */
char       *lab_kvm_guest_file         (LabGuest         *guest,
                                        const char       *name);
/* The guest's disk as a node sees it (/dev/<vg>/<lv>); NULL: none. */
char       *lab_kvm_guest_disk         (LabRecipe        *recipe,
                                        LabGuest         *guest);
/* The same LV as LVM's commands name it (<vg>/<lv>); NULL: none. */
char       *lab_kvm_guest_volume       (LabRecipe        *recipe,
                                        LabGuest         *guest);
/* The guest's domain on a kvm node (lab-guest.c's spec made the node's):
 * its files, its LV, its console log, pinned to CPU 0 when tcg. */
void        lab_kvm_guest_spec_apply   (LabRecipe        *recipe,
                                        LabGuest         *guest,
                                        gboolean          tcg,
                                        LabVirtGuestSpec *spec);
/* Whether the nodes run under TCG, as recorded when they were defined. */
void        lab_kvm_record_tcg         (LabContext       *ctx,
                                        gboolean          tcg);
gboolean    lab_kvm_nodes_tcg          (LabContext       *ctx);

/* The flavor's steps. */
void        lab_kvm_add_node_steps      (LabPlan    *plan,
                                         LabContext *ctx);
void        lab_kvm_add_install_steps   (LabPlan    *plan,
                                         LabContext *ctx);
void        lab_kvm_add_configure_steps (LabPlan    *plan,
                                         LabContext *ctx);
void        lab_kvm_add_guest_steps     (LabPlan    *plan,
                                         LabContext *ctx);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabKvmFile, lab_kvm_file_free)

G_END_DECLS
