/* lab-kvm-private.h: what the kvm flavor's step files share and nothing
 * outside flavors/kvm/ includes. */
#pragma once

#include "lab-kvm.h"
#include "lab-flavor.h"

G_BEGIN_DECLS

/* How long a node may take from `virsh start` to sshd answering: a TCG
 * node boots in ~1 min on an idle host (5 and more on a loaded one), a KVM
 * one in seconds; one attempt may take long too (sshd's first login under
 * TCG). */
#define LAB_KVM_SSH_TIMEOUT_MS (10 * 60 * 1000)
/* One command on a node. */
#define LAB_KVM_SSH_ATTEMPT_MS (120 * 1000)
#define LAB_KVM_COMMAND_TIMEOUT_MS (3 * 60 * 1000)

/* State: where the node's LV is on the attached LUN (nodes.disk). */
#define LAB_KVM_K_DISK_OFFSET "kvm.node.%s.disk_offset"
#define LAB_KVM_K_DISK_SIZE   "kvm.node.%s.disk_size"
#define LAB_KVM_K_DISK_DEVICE "kvm.node.%s.disk_device"
/* 1 when the nodes run under TCG (nodes.define) */
#define LAB_KVM_K_TCG         "kvm.nodes.tcg"
/* 1 once a container's root is on its LV (guests.rootfs) */
#define LAB_KVM_K_ROOTFS      "kvm.guest.%s.rootfs"

extern const LabStepInfo lab_kvm_image_step;
extern const LabStepInfo lab_kvm_keys_step;
extern const LabStepInfo lab_kvm_disk_step;
extern const LabStepInfo lab_kvm_install_step;
extern const LabStepInfo lab_kvm_configure_step;
extern const LabStepInfo lab_kvm_rootfs_step;

void     lab_kvm_files_add   (GPtrArray  *files,
                              const char *path,
                              guint       mode,
                              char       *content);   /* taken */
/* Builds the image into the cache unless it is there. */
gboolean lab_kvm_image_build (LabContext *ctx,
                              GError    **error);

/* The keys of nodes.keys read back from the state dir (NULL members when
 * absent); free with lab_kvm_keys_clear(). */
gboolean lab_kvm_keys_load   (LabContext    *ctx,
                              const LabNode *node,
                              LabKvmKeys    *keys,
                              GError       **error);
void     lab_kvm_keys_clear  (LabKvmKeys    *keys);
/* <ssh dir>/id_ed25519 and <ssh dir>/known_hosts */
char    *lab_kvm_lab_key     (LabContext    *ctx);
char    *lab_kvm_known_hosts (LabContext    *ctx);

/* The disk step's work, also for `reset`: the image into the node's LV,
 * then its identity. */
gboolean lab_kvm_disk_write  (LabContext    *ctx,
                              const LabNode *node,
                              GError       **error);
/* Waits for the node's sshd (install step, reset). */
gboolean lab_kvm_wait_ssh    (LabContext    *ctx,
                              const LabNode *node,
                              guint          timeout_ms,
                              GError       **error);
/* The configure step's work (also for `reset`). */
gboolean lab_kvm_configure_node (LabContext    *ctx,
                                 const LabNode *node,
                                 GError       **error);

/* The flavor row's guest hooks (lab-kvm-guests.c). */
void     lab_kvm_guest_spec  (LabContext       *ctx,
                              LabGuest         *guest,
                              LabVirtGuestSpec *spec);
gboolean lab_kvm_guest_disk_activate (LabContext *ctx,
                                      LabGuest   *guest,
                                      const char *node,
                                      gboolean    active,
                                      GError    **error);
gboolean lab_kvm_reset_guests (LabContext *ctx,
                               GError    **error);
/* Every container's root made again on its LV (the host, nodes stopped). */
gboolean lab_kvm_reset_rootfs (LabContext *ctx,
                               GError    **error);
gboolean lab_kvm_container_rootfs_write (LabContext *ctx,
                                         LabGuest   *guest,
                                         GError    **error);
/* /var/lib/labctl/guests/<g>/root on the node */
char    *lab_kvm_container_root (LabGuest *guest);
/* The cluster on kvm nodes (lab-kvm-cluster.c): the flavor row's
 * cluster_ops, its cluster-phase steps and node_fault. */
extern const LabClusterOps lab_kvm_cluster_ops;
void     lab_kvm_add_cluster_steps (LabPlan      *plan,
                                    LabContext   *ctx);
gboolean lab_kvm_node_fault     (LabContext    *ctx,
                                 LabNode       *node,
                                 LabNodeFault   fault,
                                 GError       **error);

G_END_DECLS
