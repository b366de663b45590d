/* lab-container.h: the "container" node flavor: each node is a network
 * namespace with its own libvirtd on the host kernel (as kind runs
 * Kubernetes nodes as containers), so guests run with the host's own
 * acceleration and no nested virtualization is needed.
 *
 * Layout for a lab L with gateway G/P on bridge B (the lab network):
 *   host:            bridge B (alias "labctl:L"), address G/P
 *   node N:          netns "labctl-L-N"; veth "lcXXXXXXXX" (host side, in B)
 *                    <-> "eth0" (node side, in the node's own bridge br0,
 *                    which carries the node's address and the guests' taps)
 *   node daemons:    virtlogd + libvirtd in the node's netns and in a mount
 *                    + UTS namespace of their own, with /run/libvirt,
 *                    /var/lib/libvirt, /var/cache/libvirt, /var/log/libvirt
 *                    and /etc/libvirt bind-mounted from <state dir>/nodes/N.
 *                    libvirtd listens for TCP (auth none) only on the
 *                    node's address on the lab's private network, has its
 *                    own host_uuid and migration_host, no cgroups, and is
 *                    pinned to CPU 0 so that a seeded QEMU capabilities
 *                    cache stays valid (start in ~0.2 s instead of ~8 s).
 *   clients:         qemu+unix:///system?socket=<state dir>/nodes/N/run/libvirt-sock
 *   migration:       qemu+tcp://<node address>/system (peer to peer)
 *
 * Files: lab-container.c (this node object, names, URIs),
 * lab-container-bridge.c (network.bridge), lab-container-netns.c
 * (nodes.netns), lab-container-libvirtd.c (nodes.libvirtd),
 * lab-container-flavor.c (the flavor's row: phases, status, reset).
 *
 * Every command goes through LabRunner; daemons through
 * lab_runner_spawn_daemon(). Ownership: the bridge carries the alias
 * "labctl:<lab>", namespaces carry the lab's prefix, daemons are known by
 * the PIDs recorded in the state and checked by name before any signal.
 */
#pragma once

#include <gio/gio.h>

#include "lab-plan.h"
#include "lab-recipe.h"
#include "lab-runner.h"

G_BEGIN_DECLS

typedef struct {
  char   *lab_name;
  char   *node_name;
  char   *netns;       /* "labctl-<lab>-<node>" */
  char   *veth;        /* host end of the node's veth, <= 15 chars */
  char   *address;     /* the node's address on the lab network */
  char   *mac;         /* the node's MAC (eth0 and br0 in its netns) */
  guint   prefix;
  char   *gateway;
  char   *bridge;      /* the lab bridge on the host */
  char   *dir;         /* <state dir>/nodes/<node> */
  char   *uuid;        /* libvirtd host_uuid, stable per lab and node */
  char   *caps_cache;  /* seed/keep the QEMU capabilities cache here; may be NULL */
  gboolean cluster;    /* the lab has a [cluster]: the node gets corosync's and pacemaker's directories */
} LabContainerNode;

/* The fence agent of container nodes (labctl/cluster/fence_labctl, put
 * in each node's /usr/sbin). */
#define LAB_CONTAINER_FENCE_AGENT "fence_labctl"

LabContainerNode *lab_container_node_new   (LabRecipe  *recipe,
                                            LabNode    *node,
                                            const char *state_dir);
void              lab_container_node_free  (LabContainerNode *node);
/* The client URI of the node's libvirtd (unix socket in its run dir). */
char             *lab_container_node_uri   (LabContainerNode *node);
/* The URI a peer libvirtd uses to reach it (migration). */
char             *lab_container_node_peer_uri (LabContainerNode *node);
/* The machine-wide QEMU capabilities cache: $LABCTL_CACHE_DIR/qemu-capabilities,
 * /var/cache/labctl/... for root, $XDG_CACHE_HOME/labctl/... otherwise. */
char             *lab_container_default_caps_cache (void);

/* The labctl executable that runs a node's libvirtd as `labctl reap --
 * libvirtd ...` (a child subreaper: QEMU's zombies are reaped at once):
 * $LABCTL when set (tests), else this process when it is labctl; NULL:
 * libvirtd runs directly. */
char             *lab_container_reaper_path (void);

/* ---- the lab bridge on the host ------------------------------------- */

/* *exists: a bridge of this name with our alias exists. LAB_ERROR_FOREIGN
 * when a link of this name exists without the alias "labctl:<lab>". */
gboolean  lab_container_bridge_check   (LabRunner  *runner,
                                        const char *bridge,
                                        const char *lab_name,
                                        gboolean   *exists,
                                        GError    **error);
gboolean  lab_container_bridge_create  (LabRunner  *runner,
                                        const char *bridge,
                                        const char *gateway,
                                        guint       prefix,
                                        const char *lab_name,
                                        GError    **error);
/* Absent is success; a foreign link is refused. */
gboolean  lab_container_bridge_delete  (LabRunner  *runner,
                                        const char *bridge,
                                        const char *lab_name,
                                        GError    **error);
char    **lab_container_bridge_describe (const char *bridge,
                                        const char *gateway,
                                        guint       prefix,
                                        const char *lab_name,
                                        gboolean    down);

/* ---- the node's namespace --------------------------------------------- */

gboolean  lab_container_netns_exists   (LabContainerNode *node);
gboolean  lab_container_netns_create   (LabRunner        *runner,
                                        LabContainerNode *node,
                                        GError          **error);
gboolean  lab_container_netns_delete   (LabRunner        *runner,
                                        LabContainerNode *node,
                                        GError          **error);
char    **lab_container_netns_describe (LabContainerNode *node,
                                        gboolean          down);

/* ---- the node's daemons ----------------------------------------------- */

/* Writes the node's private libvirt configuration and starts virtlogd and
 * libvirtd; returns when libvirtd answers on its socket. */
gboolean  lab_container_daemons_start  (LabRunner        *runner,
                                        LabContainerNode *node,
                                        GPid             *out_virtlogd,
                                        GPid             *out_libvirtd,
                                        GCancellable     *cancellable,
                                        GError          **error);
/* TRUE when libvirtd (pid) is alive and answers on its socket. */
gboolean  lab_container_daemons_running (LabContainerNode *node,
                                         GPid              libvirtd);
/* Destroys whatever domains still run on the node's private libvirtd,
 * stops libvirtd and virtlogd (PIDs checked by name), kills QEMU processes
 * left by a dead libvirtd, and removes the node's directory. Any of the
 * PIDs may be 0 (unknown). */
gboolean  lab_container_daemons_stop   (LabRunner        *runner,
                                        LabContainerNode *node,
                                        GPid              virtlogd,
                                        GPid              libvirtd,
                                        GError          **error);
char    **lab_container_daemons_describe (LabContainerNode *node,
                                          gboolean          down);

/* ---- plan steps (the flavor's row: lab-container-flavor.c) ------------ */

/* Network phase: "network.bridge" (lab-container-bridge.c). */
void      lab_container_add_network_steps (LabPlan    *plan,
                                           LabContext *ctx);
/* Nodes phase: per node "nodes.netns:<node>" (lab-container-netns.c), then
 * per node "nodes.libvirtd:<node>" (lab-container-libvirtd.c). */
void      lab_container_add_node_steps    (LabPlan    *plan,
                                           LabContext *ctx);

/* The LabContainerNode of a recipe node in this context (its directory
 * under the context's state directory). */
LabContainerNode *lab_container_node_for (LabContext *ctx,
                                          LabNode    *node);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabContainerNode, lab_container_node_free)

G_END_DECLS
