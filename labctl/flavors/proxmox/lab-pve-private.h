/* lab-pve-private.h: what the Proxmox step files share; nothing outside
 * flavors/proxmox/ includes it. */
#pragma once

#include "lab-pve.h"
#include "lab-pve-client.h"
#include "lab-recipe.h"

G_BEGIN_DECLS

/* Task timeouts (seconds). */
#define LAB_PVE_TASK_TIMEOUT   300
#define LAB_PVE_QUORUM_TIMEOUT 180

/* Storage ids in storage.cfg. */
#define LAB_PVE_ISCSI_STORAGE "lab-iscsi"
#define LAB_PVE_LVM_STORAGE   "lab-lvm"
/* a directory storage labctl adds for the VM's disk image (content
 * import), so that it changes nothing of the nodes' own `local` */
#define LAB_PVE_IMPORT_STORAGE "lab-import"
#define LAB_PVE_IMPORT_PATH    "/var/lib/labctl-import"

/* One client per node for the whole plan, made on first use from the
 * state (the install step writes it earlier in the same run). */
typedef struct {
  GHashTable *clients;   /* node name -> LabPveClient */
} LabPveShared;

typedef struct {
  LabPveShared *shared;
  LabNode      *node;    /* NULL for the cluster-wide steps */
} LabPveStep;

LabPveShared *lab_pve_shared        (LabPlan      *plan);
/* The same outside a plan (the experiments). */
LabPveShared *lab_pve_shared_new    (void);
void          lab_pve_shared_free   (gpointer      shared);
LabPveStep   *lab_pve_step_new      (LabPveShared *shared,
                                     LabNode      *node);
void          lab_pve_step_free     (gpointer      step);
/* The client of node, with the pin (the one recorded after a join, else
 * the install's), the root password and the cluster CA once known. */
LabPveClient *lab_pve_client_for    (LabContext   *ctx,
                                     LabPveShared *shared,
                                     LabNode      *node,
                                     GError      **error);
LabNode      *lab_pve_first_node    (LabContext   *ctx);
/* The first node of names (NULL: every node of the recipe) whose API
 * answers, and its client in *client; a certificate that is not the
 * node's pin stops the search with that refusal (lab-pve-experiment.c). */
gboolean      lab_pve_any_client    (LabContext         *ctx,
                                     LabPveShared       *shared,
                                     const char * const *names,
                                     LabPveClient      **client,
                                     GError            **error);

/* The storage steps (lab-pve-storage.c), after the quorum in the
 * cluster phase: storage.cfg is the cluster's, a node that joins later
 * takes the cluster's and drops its own. */
void          lab_pve_add_storage_steps (LabPlan      *plan,
                                     LabContext   *ctx,
                                     LabPveShared *shared);
/* A step without anything to remove. */
gboolean      lab_pve_nothing_to_undo (LabContext *ctx,
                                     gpointer    data,
                                     GError    **error);

/* State keys (resources; the secret is the install step's). */
char         *lab_pve_key           (const char   *node,
                                     const char   *what);   /* "nodes.<node>.pve.<what>" */
#define LAB_PVE_KEY_CLUSTER    "pve.cluster.name"
#define LAB_PVE_KEY_CLUSTER_CA "pve.cluster.ca"
#define LAB_PVE_KEY_HA_SID     "pve.ha.sid"      /* the HA resource the failover experiment added */

/* One API call, and the command line that does the same on the node. */
typedef enum {
  LAB_PVE_ARG_OPTION,      /* --key value on the command line (pvesh: every parameter) */
  LAB_PVE_ARG_POSITIONAL,  /* the value alone, in order */
  LAB_PVE_ARG_API_ONLY,    /* not on the command line (pvecm add asks for the password) */
} LabPveArg;

typedef struct {
  char      *method;
  char      *path;
  GPtrArray *params;       /* key, value, ..., NULL */
  GPtrArray *cli;          /* the command's words before its arguments; empty: pvesh */
  GPtrArray *cli_args;
} LabPveCall;

LabPveCall   *lab_pve_call_new      (const char   *method,
                                     const char   *path,
                                     const char   *cli,     /* first word of the command ("qm"), then the */
                                     ...) G_GNUC_NULL_TERMINATED;  /* others ("create"), NULL; none: pvesh */
void          lab_pve_call_add      (LabPveCall   *call,
                                     const char   *key,
                                     const char   *value,
                                     LabPveArg     how);
void          lab_pve_call_free     (LabPveCall   *call);
JsonNode     *lab_pve_call_run      (LabPveClient *client,
                                     LabPveCall   *call,
                                     GError      **error);
gboolean      lab_pve_call_run_task (LabContext   *ctx,
                                     LabPveClient *client,
                                     LabPveCall   *call,
                                     GError      **error);
/* "ssh root@<address> qm create 100 --name vm ..." */
void          lab_pve_call_describe (LabPveCall   *call,
                                     LabNode      *node,
                                     GPtrArray    *lines);
/* A comment line for describe(). */
void          lab_pve_lines_comment (GPtrArray    *lines,
                                     const char   *format,
                                     ...) G_GNUC_PRINTF (2, 3);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabPveCall, lab_pve_call_free)

/* The guests (lab-pve-guests.c): VM 100 and container 101. */
typedef struct {
  const char *kind;       /* API path element: qemu, lxc */
  const char *cli;        /* qm, pct */
  guint       vmid;
  const char *name;
  guint       node_index; /* where it is created, modulo the node count */
  const char *ha_type;    /* the HA resource's type: vm, ct ("vm:100") */
} LabPveGuestSpec;

extern const LabPveGuestSpec lab_pve_vm_spec;
extern const LabPveGuestSpec lab_pve_ct_spec;

/* Where the guest is now and how it runs (GET /cluster/resources): node
 * and status NULL when the cluster has no such guest. */
gboolean      lab_pve_find_guest    (LabPveClient          *client,
                                     const LabPveGuestSpec *spec,
                                     char                 **node,
                                     char                 **status,
                                     GError               **error);
/* The guests' addresses on the lab network: the first (the container's)
 * and the second (the VM's, reserved in the lab network's DHCP for the
 * VM's MAC) of gateway + 50, + 51 ... that no node or guest of the recipe
 * has ("dhcp": none). */
char         *lab_pve_container_address (LabRecipe     *recipe);
char         *lab_pve_vm_address        (LabRecipe     *recipe);
char         *lab_pve_vm_mac            (LabRecipe     *recipe);

/* The experiments' calls (lab-pve-experiment.c), for describe and tests. */
LabPveCall   *lab_pve_migrate_call  (const LabPveGuestSpec *spec,
                                     const char            *from,
                                     const char            *to,
                                     gboolean               running);
LabPveCall   *lab_pve_ha_add_call   (const LabPveGuestSpec *spec);
LabPveCall   *lab_pve_ha_remove_call (const LabPveGuestSpec *spec);
/* The guest's HA resource removed when there is one (before a guest is
 * stopped and destroyed: Proxmox refuses to destroy an HA resource). */
gboolean      lab_pve_ha_remove     (LabContext            *ctx,
                                     LabPveClient          *client,
                                     const LabPveGuestSpec *spec,
                                     GError               **error);

/* The exercises' side of the row's stack (lab-pve-exercise.c): the
 * members of LabStackOps after ha_status. */
#define LAB_PVE_LOCAL_STORAGE "local-lvm"
GPtrArray    *lab_pve_exercise_vms       (LabContext *ctx, gpointer session, GError **error);
GPtrArray    *lab_pve_exercise_snapshots (LabContext *ctx, gpointer session, const LabStackVm *vm, GError **error);
GPtrArray    *lab_pve_exercise_tasks     (LabContext *ctx, gpointer session, guint vmid, GError **error);
GPtrArray    *lab_pve_exercise_storages  (LabContext *ctx, gpointer session, GError **error);
gboolean      lab_pve_exercise_vm_create (LabContext *ctx, gpointer session, guint vmid, const char *name,
                                          const char *node, const char *storage, const char *description,
                                          gboolean start, GError **error);
gboolean      lab_pve_exercise_vm_destroy (LabContext *ctx, gpointer session, const LabStackVm *vm,
                                           GError **error);

/* The container template (lab-pve-template.c): a gzip'ed tar of a busybox
 * root file system, built from the host's static busybox. */
#define LAB_PVE_TEMPLATE_NAME "labctl-busybox_1.0_amd64.tar.gz"
GBytes       *lab_pve_template_build (const char  *sysroot,
                                      GError     **error);
/* sysroot's /bin/busybox (sysroot NULL: "/"), the whole userland of the
 * container template and of the VM's initramfs: refused, naming the
 * package to install, when it is missing or linked dynamically (neither
 * guest has a C library). */
GBytes       *lab_pve_static_busybox (const char  *sysroot,
                                      GError     **error);

/* The VM's disk image (lab-pve-image.c): the host's kernel and a busybox
 * initramfs (eth0 by DHCP, answers ping) on a FAT partition that syslinux
 * boots, built once and cached by content under the cache directory. */
#define LAB_PVE_VM_IMAGE_NAME "labctl-tiny.raw"
char         *lab_pve_vm_image_kernel (const char  *sysroot,
                                       GError     **error);
GBytes       *lab_pve_vm_initramfs    (const char  *sysroot,
                                       const char  *kver,
                                       GError     **error);
GBytes       *lab_pve_vm_image_mbr    (GBytes      *code,
                                       guint32      part_sectors,
                                       guint32      signature);
char         *lab_pve_vm_image_path   (LabRunner   *runner,
                                       const char  *sysroot,
                                       GError     **error);
GBytes       *lab_pve_vm_image_build  (LabRunner   *runner,
                                       const char  *sysroot,
                                       GError     **error);

G_END_DECLS
