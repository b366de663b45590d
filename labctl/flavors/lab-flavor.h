/* lab-flavor.h: the flavor table. A flavor is what a node is (a libvirt
 * VM on its LV, a network namespace with its own libvirtd, later a Debian
 * KVM host or a Proxmox VE node) and everything that follows from it: the
 * steps it adds in each phase of the plan, how to reach a node's libvirt,
 * what `status` says about a node, what `reset` does, and which host checks
 * do not matter for it. The stand asks the table and never tests a flavor
 * by name, in the spirit of libvirt's virStorageBackend tables.
 *
 * Adding a flavor: a folder flavors/<name>/ with its steps (one file per
 * step family, named after the step ids), a `const LabFlavor` row there, a
 * LabFlavorId value in recipe/lab-recipe.h, and one line in lab-flavor.c.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "lab-cluster.h"
#include "lab-plan.h"
#include "lab-recipe.h"
#include "lab-virt-xml.h"

G_BEGIN_DECLS

/* Faults the experiments inject into a node (node_fault). */
typedef enum {
  LAB_NODE_FAULT_POWEROFF,   /* all of the node stops at once (virDomainDestroy, "force off") */
  LAB_NODE_FAULT_LINK_DOWN,  /* the node's link to the lab network is cut */
  LAB_NODE_FAULT_LINK_UP,    /* ... and restored */
} LabNodeFault;

/* Adds the flavor's steps of one phase to plan (the plan's phase is set). */
typedef void     (*LabFlavorAddStepsFunc)  (LabPlan    *plan,
                                            LabContext *ctx);
/* A URI for a node's libvirt; NULL with an error when there is none. */
typedef char    *(*LabFlavorNodeUriFunc)   (LabContext *ctx,
                                            LabNode    *node,
                                            GError    **error);
/* The argv that runs argv as root on node (NULL-terminated, free with
 * g_strfreev()); argv NULL: an interactive shell there. NULL with an
 * error when the node cannot be reached. */
typedef char   **(*LabFlavorNodeCommandFunc) (LabContext        *ctx,
                                              LabNode           *node,
                                              const char *const *argv,
                                              GError           **error);

/* Guests run by the nodes' own management stack (Proxmox VE's API), not
 * by a libvirt labctl talks to: how the experiments move them and time
 * their high availability through that stack (the row's `stack`). */
typedef struct {
  char     *name;      /* "lab-vm" */
  char     *kind;      /* the stack's word: "vm", "ct" */
  char     *address;   /* on the lab network (the probe's target); NULL: none answers */
  char     *node;      /* where it runs now */
  gboolean  running;
} LabStackGuest;

void lab_stack_guest_clear (LabStackGuest *guest);

/* What the stack's own migration task reported. */
typedef struct {
  gboolean  migrated;
  char     *method;          /* "online" (memory copied while it runs), "restart" (stopped, started there) */
  char     *task;            /* the task's id (a Proxmox UPID) */
  double    command_seconds; /* from the call until the task stopped */
  gint64    downtime_ms;     /* the stack's own figure; -1: it gives none */
  gint64    duration_ms;     /* the task's own duration; -1: none */
  GStrv     log;             /* the task's log, line by line */
} LabStackMigration;

void lab_stack_migration_clear (LabStackMigration *migration);

/* One look at the stack's HA manager: the guest's service state ("started",
 * "fence", "recovery", ...; NULL: not an HA resource), the node it is
 * placed on, and which nodes the cluster sees online. */
typedef struct {
  char      *state;
  char      *node;
  GPtrArray *online;         /* node names */
  gboolean   quorate;
} LabStackHaStatus;

void lab_stack_ha_status_clear (LabStackHaStatus *status);

/* A VM of the stack as its API shows it (the exercises read these). */
typedef struct {
  guint      vmid;
  char      *name;
  char      *node;
  gboolean   running;
  gboolean   template;
  gint64     uptime;       /* seconds its process runs; 0: stopped */
  gint64     pid;          /* its QEMU process; 0: stopped */
  char      *uuid;         /* the SMBIOS uuid the guest sees; NULL: none */
  char      *vmgenid;      /* the VM generation id; NULL: none */
  char      *description;  /* labctl's mark lives here (a copy keeps it) */
  GPtrArray *macs;         /* char*, one per network device */
  GPtrArray *disks;        /* char*, volume ids "STORAGE:NAME" */
} LabStackVm;

void lab_stack_vm_free (gpointer vm);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabStackVm, lab_stack_vm_free)

/* A snapshot of a VM. */
typedef struct {
  char     *name;
  char     *parent;        /* NULL: the first */
  gboolean  vmstate;       /* with the memory (a running VM resumes from it) */
  gint64    snaptime;      /* real time, seconds */
} LabStackSnapshot;

void lab_stack_snapshot_free (gpointer snapshot);

/* A task the stack ran (its worker: a start, a migration, a rollback). */
typedef struct {
  char   *upid;
  char   *node;
  char   *type;            /* "qmstart", "qmigrate", "qmrollback" ... */
  char   *id;              /* the guest it was about ("100") */
  char   *status;          /* "OK", the error; NULL: still running */
  gint64  starttime;       /* real time, seconds */
} LabStackTask;

void lab_stack_task_free (gpointer task);

/* A storage of the stack's configuration. */
typedef struct {
  char     *id;
  char     *type;          /* "lvm", "lvmthin", "iscsi", "dir" */
  gboolean  shared;        /* every node reaches the same volumes */
  char     *content;       /* "images,rootdir" */
  char     *detail;        /* what it sits on: the VG, the portal and target */
} LabStackStorage;

void lab_stack_storage_free (gpointer storage);

/* The operations; each takes the session session_new() made (its API
 * clients and their logins), freed with session_free() when the
 * experiment ends. */
typedef struct {
  gpointer (*session_new)   (LabContext          *ctx);
  void     (*session_free)  (gpointer             session);
  /* The guest named name (NULL: the stack's first), as it is now. */
  gboolean (*guest_find)    (LabContext          *ctx,
                             gpointer             session,
                             const char          *name,
                             LabStackGuest       *out,
                             GError             **error);
  /* Moves guest to to_node the way the stack does it for its kind,
   * follows the task to its end and reads its log. */
  gboolean (*guest_migrate) (LabContext          *ctx,
                             gpointer             session,
                             const LabStackGuest *guest,
                             const char          *to_node,
                             LabStackMigration   *out,
                             GError             **error);
  /* Makes guest an HA resource that the manager keeps started (nothing
   * when it is one already). */
  gboolean (*ha_enable)     (LabContext          *ctx,
                             gpointer             session,
                             const LabStackGuest *guest,
                             GError             **error);
  /* The HA manager's view now, asked of the first of nodes that answers. */
  gboolean (*ha_status)     (LabContext          *ctx,
                             gpointer             session,
                             const LabStackGuest *guest,
                             const char * const  *nodes,
                             LabStackHaStatus    *out,
                             GError             **error);
  /* Removes the guest's HA resource (nothing when it is none). */
  gboolean (*ha_disable)    (LabContext          *ctx,
                             gpointer             session,
                             const LabStackGuest *guest,
                             GError             **error);

  /* The exercises (exercises/lab-exercise-stack.c). The stack's command
   * for VMs (hints quote it: "qm"), the node-local storage that holds
   * snapshots and templates, the shared one, where the storage
   * configuration is read. */
  const char *vm_cli;
  const char *local_storage;
  const char *shared_storage;
  /* where an admin reads the storage configuration */
  const char *storage_where;
  /* the stack's command that makes a VM an HA resource, with %u for
   * the VM's id ("ha-manager add vm:%u --state started") */
  const char *ha_add_cli;
  /* Every VM of the cluster, each with its configuration and status
   * (LabStackVm), asked of the first node that answers. */
  GPtrArray *(*vms)         (LabContext          *ctx,
                             gpointer             session,
                             GError             **error);
  /* The snapshots of vm (LabStackSnapshot), oldest first. */
  GPtrArray *(*snapshots)   (LabContext          *ctx,
                             gpointer             session,
                             const LabStackVm    *vm,
                             GError             **error);
  /* The tasks every node that answers ran about vmid (LabStackTask),
   * oldest first. */
  GPtrArray *(*tasks)       (LabContext          *ctx,
                             gpointer             session,
                             guint                vmid,
                             GError             **error);
  /* The storages of the cluster (LabStackStorage). */
  GPtrArray *(*storages)    (LabContext          *ctx,
                             gpointer             session,
                             GError             **error);
  /* A VM for an exercise (a small disk on storage, one network device,
   * description the mark) on node, started when start; follows the
   * tasks to their end. */
  gboolean   (*vm_create)   (LabContext          *ctx,
                             gpointer             session,
                             guint                vmid,
                             const char          *name,
                             const char          *node,
                             const char          *storage,
                             const char          *description,
                             gboolean             start,
                             GError             **error);
  /* Stops vm when it runs and destroys it with its disks. */
  gboolean   (*vm_destroy)  (LabContext          *ctx,
                             gpointer             session,
                             const LabStackVm    *vm,
                             GError             **error);
} LabStackOps;

typedef struct {
  const char *name;       /* "vm", "container" */

  /* The steps the flavor adds, per phase (NULL: none). The stand adds the
   * host check, the shared storage and the final check itself. */
  LabFlavorAddStepsFunc add_steps[LAB_N_PHASES];

  /* How labctl reaches a node's libvirt (client), and how a peer node's
   * libvirtd reaches it (peer-to-peer migration). NULL: the flavor's nodes
   * run no libvirt labctl talks to, so it has no guests either. */
  LabFlavorNodeUriFunc node_uri;
  LabFlavorNodeUriFunc node_peer_uri;

  /* How labctl runs a command on a node as root (the cluster and the
   * exercises use it): container nodes enter the node's namespaces, VM
   * nodes with an OS get ssh with the lab's key. NULL: the flavor's nodes
   * run nothing labctl can reach. */
  LabFlavorNodeCommandFunc node_command;

  /* The cluster (a recipe's [cluster]): how the cluster layer reaches the
   * nodes, which fence agent powers them off. NULL: no cluster on this
   * flavor's nodes. */
  const LabClusterOps *cluster_ops;
  /* Experiments: inject a fault into a node. NULL: none. */
  gboolean (*node_fault)        (LabContext   *ctx,
                                 LabNode      *node,
                                 LabNodeFault  fault,
                                 GError      **error);

  /* stand.ready: TRUE when the node answers (NULL: nothing to ask). */
  gboolean (*node_ready)        (LabContext   *ctx,
                                 LabNode      *node,
                                 GError      **error);
  /* `status`: members it adds to a node's JSON object (NULL: none), and
   * the text that follows the node's name and address (NULL: none). */
  void     (*node_status)       (LabContext   *ctx,
                                 LabNode      *node,
                                 JsonBuilder  *builder);
  void     (*node_status_text)  (JsonObject   *node,
                                 GString      *line);
  /* Guests (lab-guest.c) on nodes that cannot see the host's files (kvm):
   * guest_spec adjusts a guest's domain (its kernel and disk as the node
   * sees them, pinning); guest_disk_activate makes the guest's disk usable
   * on node before the guest starts or arrives there (active TRUE) and
   * lets it go after it left (FALSE). NULL: the domain as lab-guest.c
   * builds it, nothing to activate. */
  void     (*guest_spec)        (LabContext       *ctx,
                                 LabGuest         *guest,
                                 LabVirtGuestSpec *spec);
  gboolean (*guest_disk_activate) (LabContext    *ctx,
                                   LabGuest      *guest,
                                   const char    *node,
                                   gboolean       active,
                                   GError       **error);
  /* `reset`: back to the clean post-install state. */
  gboolean (*reset)             (LabContext   *ctx,
                                 GError      **error);
  /* What that reset undoes beyond its own repair: the ids (prefixes) of
   * the steps whose work went with the nodes' disks. After the reset the
   * stand forgets them (lab_plan_forget_steps) and runs the plan forward,
   * so each is checked and applied again. NULL-terminated, or NULL: the
   * reset leaves every step's work in place. */
  const char * const *reset_undoes;
  /* Ids of host checks (lab-host-check.h) that do not matter for this
   * flavor: their failures are shown, not fatal. NULL-terminated, or NULL. */
  const char * const *ignored_checks;

  /* Guests of the nodes' own management stack (experiments migrate and
   * failover go through it instead of the nodes' libvirt and the
   * pacemaker cluster). NULL: none. */
  const LabStackOps *stack;
} LabFlavor;

/* The row that builds a recipe flavor's nodes. kvm has its own row (an
 * installed image, reached by ssh); the proxmox recipes use the vm row
 * (libvirt VMs on their LVs, no OS yet) until theirs exists. */
const LabFlavor *lab_flavor_get            (LabFlavorId  id);
const LabFlavor *lab_flavor_for_context    (LabContext  *ctx);

/* TRUE when the flavor's nodes run the recipe's [guest NAME] guests
 * through their libvirt (it adds guest steps and has node_uri). The
 * proxmox row's guests phase makes its own guests (VM 100, container 101)
 * through the Proxmox API: not these. */
gboolean         lab_flavor_has_guests     (const LabFlavor *flavor);
/* FALSE when a failure of check_id does not stop this flavor's `up`. */
gboolean         lab_flavor_check_matters  (const LabFlavor *flavor,
                                            const char      *check_id);

/* The row's guest_disk_activate on the node named node (TRUE when the
 * row has none). */
gboolean         lab_flavor_guest_disk_activate (LabContext *ctx,
                                                 LabGuest   *guest,
                                                 const char *node,
                                                 gboolean    active,
                                                 GError    **error);

/* LAB_ERROR_UNSUPPORTED unless the flavor has libvirt on its nodes. */
gboolean         lab_flavor_require_node_libvirt (LabContext *ctx,
                                                  GError    **error);
/* The client and peer URIs of the node named node (LAB_ERROR_NOT_FOUND
 * when the lab has none, LAB_ERROR_UNSUPPORTED when its flavor has no
 * libvirt on the nodes). */
char            *lab_flavor_node_uri       (LabContext  *ctx,
                                            const char  *node,
                                            GError     **error);
char            *lab_flavor_node_peer_uri  (LabContext  *ctx,
                                            const char  *node,
                                            GError     **error);

/* The argv that runs argv as root on the node named node (through the
 * row's node_command): LAB_ERROR_NOT_FOUND when the lab has no such node,
 * LAB_ERROR_UNSUPPORTED when its flavor cannot run commands on nodes. */
char           **lab_flavor_node_command   (LabContext        *ctx,
                                            const char        *node,
                                            const char *const *argv,
                                            GError           **error);

/* The row's cluster operations, LAB_ERROR_UNSUPPORTED when the lab has no
 * [cluster] or its flavor builds none. */
const LabClusterOps *lab_flavor_cluster_ops (LabContext *ctx,
                                             GError    **error);
/* Injects fault into the node named node (LAB_ERROR_UNSUPPORTED when the
 * flavor cannot). */
gboolean         lab_flavor_node_fault     (LabContext   *ctx,
                                            const char   *node,
                                            LabNodeFault  fault,
                                            GError      **error);

/* The flavors' rows (flavors/<name>/lab-<name>-flavor.c). */
extern const LabFlavor lab_flavor_vm;
extern const LabFlavor lab_flavor_kvm;
extern const LabFlavor lab_flavor_container;
extern const LabFlavor lab_flavor_proxmox;

G_END_DECLS
