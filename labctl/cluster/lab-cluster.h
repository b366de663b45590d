/* lab-cluster.h: a high-availability cluster across the lab's nodes:
 * corosync 3 (knet over the lab network, one vote per node, votequorum)
 * and pacemaker, configured through pacemaker's own tools (crm_attribute,
 * cibadmin with XML documents, crm_resource), never by editing the CIB;
 * fencing on (stonith-enabled=true, stonith-action=off) with the agent the
 * flavor names; the lab's guests as ocf:heartbeat:VirtualDomain resources.
 *
 * The layer knows nothing of what a node is: it runs every command on a
 * node through the argv the flavor gives (LabClusterOps.node_command:
 * the container flavor enters the node's namespaces, a VM flavor would use
 * ssh), and starts the daemons as children labctl owns (corosync -f,
 * pacemakerd), recorded in the state by PID.
 *
 * Steps (phase cluster), lab-cluster-steps.c:
 *   cluster.corosync:<node>   corosync.conf written, corosync started
 *   cluster.quorum            every vote present, quorate
 *   cluster.pacemaker:<node>  pacemakerd started
 *   cluster.online            every node online, a DC elected
 *   cluster.configure         properties, stickiness, the fence device
 * and, added by the flavor in the guests phase after the guest's own steps:
 *   cluster.guest:<g>         the guest's XML on every node, its resource
 *                             (and, when its disk is an LV the node must
 *                             activate, <g>-disk ordered before it)
 *
 * State: cluster.<node>.corosync_pid, cluster.<node>.pacemakerd_pid.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "lab-plan.h"
#include "lab-recipe.h"

G_BEGIN_DECLS

/* The argv that runs argv as root on node (the flavor table's
 * lab_flavor_node_command()). */
typedef char **(*LabClusterNodeCommandFunc) (LabContext        *ctx,
                                             const char        *node,
                                             const char *const *argv,
                                             GError           **error);

typedef struct {
  LabClusterNodeCommandFunc node_command;
  /* The shell words a person types before a command to run it on node
   * (dry-run transcripts), e.g. "nsenter -t $(cat ...) -m -u -n --". */
  char     *(*describe_prefix) (LabContext *ctx,
                                const char *node);
  /* Optional: the whole line a person types to run argv on node, when
   * the words after a prefix need more than one level of quoting (ssh
   * hands the remote shell one line). NULL: describe_prefix + argv. */
  char     *(*describe_cmd)    (LabContext        *ctx,
                                const char        *node,
                                const char *const *argv);
  /* The stonith agent (an executable in the nodes' /usr/sbin) and its
   * instance attributes besides pcmk_host_list: key, value, ..., NULL. */
  const char *fence_agent;
  char    **(*fence_params)    (LabContext *ctx);
  /* The domain XML of an HA guest as it is now (its disk's place on the
   * LUN is known once the guest's own steps ran). */
  char     *(*guest_xml)       (LabContext *ctx,
                                LabGuest   *guest);
  /* Optional: the guest's disk as the nodes' LVM names it ("VG/LV"),
   * which must be active on the node that runs the guest: the guest gets
   * a disk resource (ocf:labctl:lv, the agent copied into every node)
   * ordered before it and colocated with it. NULL, or NULL returned: the
   * disk needs nothing on the node (container nodes: QEMU's own iSCSI
   * initiator reaches the LUN). */
  char     *(*guest_volume)    (LabContext *ctx,
                                LabGuest   *guest);
  /* TRUE: the nodes run systemd and Debian's units (corosync.service,
   * pacemaker.service): the daemons are started, checked and stopped with
   * systemctl inside the node (VM nodes). FALSE: labctl spawns them as
   * its own children and records their PIDs (container nodes share the
   * host's PID space). */
  gboolean  node_systemd;
} LabClusterOps;

/* The directory on every node that holds the HA guests' domain XML. */
#define LAB_CLUSTER_GUEST_DIR "/etc/libvirt/labctl-ha"
/* The LV agent (labctl/cluster/lv.ocf): ocf:labctl:lv, at its OCF path
 * on every node that needs it (LabClusterOps.guest_volume). */
#define LAB_CLUSTER_LV_AGENT_FILE "lv.ocf"
#define LAB_CLUSTER_LV_AGENT_PATH "/usr/lib/ocf/resource.d/labctl/lv"
/* The fence device's resource id. */
#define LAB_CLUSTER_FENCE_ID  "labctl-fence"
/* Where the daemons log on a node (corosync.conf, PCMK_logfile). */
#define LAB_CLUSTER_COROSYNC_LOG  "/var/log/corosync/corosync.log"
#define LAB_CLUSTER_PACEMAKER_LOG "/var/log/pacemaker/pacemaker.log"

/* corosync.conf for the recipe's nodes (pure: golden-tested). */
char     *lab_cluster_corosync_conf   (LabRecipe *recipe);

/* The steps of the cluster phase (the plan's phase is set by the caller). */
void      lab_cluster_add_steps       (LabPlan             *plan,
                                       LabContext          *ctx,
                                       const LabClusterOps *ops);
/* cluster.guest:<guest>: after the guest's own steps (it runs on its home
 * node), its domain XML (ops->guest_xml) goes to every node and pacemaker
 * takes it over as a VirtualDomain resource. */
void      lab_cluster_add_guest_step  (LabPlan             *plan,
                                       LabContext          *ctx,
                                       const LabClusterOps *ops,
                                       LabGuest            *guest);

/* Runs argv on node (through ops); flags as lab_runner_run_full(). With
 * exit_status NULL a non-zero exit is an error. */
gboolean  lab_cluster_node_run        (LabContext          *ctx,
                                       const LabClusterOps *ops,
                                       const char          *node,
                                       const char *const   *argv,
                                       LabRunFlags          flags,
                                       const char          *stdin_text,
                                       int                 *exit_status,
                                       char               **out,
                                       GError             **error);

/* ---- fencing by the host's libvirt: fence_virtd + fence_xvm ------------- */
/* (lab-cluster-fence-virt.c; for VM nodes: the kvm flavor) */

#define LAB_FENCE_XVM_MCAST      "225.0.0.12"
#define LAB_FENCE_XVM_PORT       1229
/* where the nodes keep the key (fence_xvm's default) */
#define LAB_FENCE_XVM_NODE_KEY   "/etc/cluster/fence_xvm.key"
/* in the lab's state dir (0600) */
#define LAB_FENCE_VIRT_KEY_NAME   "fence_xvm.key"
#define LAB_FENCE_VIRTD_CONF_NAME "fence_virtd.conf"

typedef struct {
  char   *lab;
  char   *interface;       /* the lab network's bridge */
  char   *gateway;         /* its address (the host's on the lab network) */
  char   *key_file;        /* the per-lab key on the host */
  char   *uri;             /* the host's libvirt (the nodes' domains) */
  char   *module_path;     /* NULL: fence_virtd's built-in plugin dir */
  guint   port;
  char  **node_addresses;  /* who may ask for a fence */
  char  **domains;         /* what may be fenced */
} LabFenceVirtdConf;

void      lab_fence_virtd_conf_free   (LabFenceVirtdConf *conf);
/* fence_virt.conf(5): multicast listener on the lab bridge, libvirt
 * backend, a static group of the lab's node addresses and domains
 * (pure: unit-tested). */
char     *lab_fence_virtd_conf        (const LabFenceVirtdConf *conf);
/* The fence_xvm stonith device's instance attributes (key, value, ...,
 * NULL): key_file, multicast_address, ipport, pcmk_host_map node:domain. */
char    **lab_fence_xvm_params        (LabRecipe  *recipe,
                                       guint       port);
/* A new random key (hex text, 0600) at path. */
gboolean  lab_fence_virt_key_write    (const char *path,
                                       GError    **error);
/* stdbuf -oL fence_virtd -F -w -d2 -f conf_path (requests logged) */
char    **lab_fence_virtd_argv        (const char *conf_path);
/* Starts fence_virtd as a daemon (output to log_path) and waits a moment:
 * one that exits at start is an error quoting its log. *out_pid 0 in a
 * dry run. */
gboolean  lab_fence_virtd_start       (LabRunner  *runner,
                                       const char *conf_path,
                                       const char *log_path,
                                       GPid       *out_pid,
                                       GError    **error);
/* TRUE when pid is a fence_virtd started with -f conf_path. */
gboolean  lab_fence_virtd_is_ours     (GPid        pid,
                                       const char *conf_path);
/* Stops pid only when it is ours (above). */
void      lab_fence_virtd_stop        (GPid        pid,
                                       const char *conf_path);
/* cluster.fence-virtd (the host's daemon) and cluster.fence-key:<node>
 * (the key into every node); before lab_cluster_add_steps(). */
void      lab_cluster_add_fence_virt_steps (LabPlan             *plan,
                                            LabContext          *ctx,
                                            const LabClusterOps *ops);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabFenceVirtdConf, lab_fence_virtd_conf_free)

/* ---- what the cluster says ------------------------------------------- */

typedef struct {
  char      *asked;        /* the node that answered */
  gboolean   quorate;
  char      *dc;           /* NULL: no DC */
  GPtrArray *online;       /* names of the online nodes */
  GPtrArray *offline;      /* configured, not online (or unclean) */
  /* resource id -> the node it is started on (absent: stopped) */
  GHashTable *running;
  /* resource id -> TRUE when it is failed or blocked somewhere */
  GHashTable *failed;
  /* every fence action completed so far: fence_event elements as
   * "target action status" strings */
  GPtrArray *fence_history;
} LabClusterStatus;

void      lab_cluster_status_clear    (LabClusterStatus *status);
/* Parses `crm_mon --output-as=xml` (pure: unit-tested on recorded output). */
gboolean  lab_cluster_status_parse    (const char       *xml,
                                       LabClusterStatus *status,
                                       GError          **error);
/* Asks the first node of prefer (may be NULL), then the others, that
 * answers `crm_mon --one-shot --output-as=xml`. */
gboolean  lab_cluster_status_query    (LabContext          *ctx,
                                       const LabClusterOps *ops,
                                       const char *const   *prefer,
                                       LabClusterStatus    *status,
                                       GError             **error);

/* `reset` of an HA guest: the cluster stops it wherever it runs and
 * starts it again on node (its home), a fresh boot from its disk; a
 * temporary location constraint (labctl-home-<guest>) says where. */
gboolean  lab_cluster_guest_restart_on (LabContext          *ctx,
                                        const LabClusterOps *ops,
                                        const char          *guest,
                                        const char          *node,
                                        guint                timeout_ms,
                                        GError             **error);

/* Waits until resource rsc runs (want_node: on that node; "": anywhere;
 * *out_node, may be NULL, gets where) or, want_node NULL, runs nowhere. */
gboolean  lab_cluster_wait_resource   (LabContext          *ctx,
                                       const LabClusterOps *ops,
                                       const char          *rsc,
                                       const char          *want_node,
                                       guint                timeout_ms,
                                       char               **out_node,
                                       GError             **error);

/* Waits until the cluster reports quorum, every node of the recipe online
 * and a DC (timeout_ms); LAB_ERROR_TIMEOUT names what is missing. */
gboolean  lab_cluster_wait_online     (LabContext          *ctx,
                                       const LabClusterOps *ops,
                                       guint                timeout_ms,
                                       GError             **error);

G_END_DECLS
