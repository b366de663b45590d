/* lab-stand-nodes.h: the node VMs of a lab on their own (`labctl nodes`):
 * their state, start and stop, snapshots, and what `up` does for them.
 *
 * The nodes are libvirt domains on $LABCTL_LIBVIRT_URI (default
 * qemu:///system), made by the steps of lab-vm; a domain of a node's name
 * that labctl did not make is shown, never touched (lab-virt). libvirt is
 * connected to when an operation first needs it.
 */
#pragma once

#include <stdio.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "lab-recipe.h"

G_BEGIN_DECLS

typedef struct _LabStandNodes LabStandNodes;

/* The nodes of recipe_name (a path or a shipped name; NULL: the default). */
LabStandNodes *lab_stand_nodes_open            (const char    *recipe_name,
                                                GError       **error);
void           lab_stand_nodes_free            (LabStandNodes *self);
LabRecipe     *lab_stand_nodes_get_recipe      (LabStandNodes *self);
const char    *lab_stand_nodes_get_uri         (LabStandNodes *self);

/* What `up` does for the nodes, as the commands a person would type
 * (virt-install and virsh equivalents), ending with a newline. */
char          *lab_stand_nodes_describe        (LabStandNodes *self);

/* nodes: LabNode* of the recipe. An array, one object per node:
 * {"name", "defined", "state" (libvirt's, or "undefined", or "foreign"),
 *  "vcpus", "memory_mib", "reserved_address", "mac", "addresses": [...]} */
JsonNode      *lab_stand_nodes_list            (LabStandNodes *self,
                                                GPtrArray     *nodes,
                                                GError       **error);
/* lab_stand_nodes_list() as the table `labctl nodes list` prints. */
char          *lab_stand_nodes_list_format     (JsonNode      *list);

/* In parallel: start waits (libvirt events) until each one runs; stop
 * waits timeout_s for a clean shutdown, then pulls the plug. */
gboolean       lab_stand_nodes_start           (LabStandNodes *self,
                                                GPtrArray     *nodes,
                                                GCancellable  *cancellable,
                                                GError       **error);
gboolean       lab_stand_nodes_stop            (LabStandNodes *self,
                                                GPtrArray     *nodes,
                                                guint          timeout_s,
                                                GCancellable  *cancellable,
                                                GError       **error);

/* `labctl nodes ssh`: runs argv (NULL: an interactive shell) as root on
 * node, the way the lab's flavor reaches its nodes (kvm: ssh with the
 * lab's key and the pinned host keys), on this terminal; *exit_status is
 * the command's. dry_run: prints the command line to out instead. */
gboolean       lab_stand_node_shell            (const char        *recipe_name,
                                                const char        *node,
                                                const char *const *argv,
                                                gboolean           dry_run,
                                                FILE              *out,
                                                int               *exit_status,
                                                GError           **error);

/* `labctl nodes poweroff`: forces node off at once, as a power failure
 * would (the flavor's POWEROFF fault: virDomainDestroy for a VM node,
 * every process of a container node killed); nothing is shut down. */
gboolean       lab_stand_node_poweroff         (const char        *recipe_name,
                                                const char        *node,
                                                GError           **error);

char         **lab_stand_nodes_snapshot_list   (LabStandNodes *self,
                                                const char    *node,
                                                GError       **error);
/* description may be NULL. */
gboolean       lab_stand_nodes_snapshot_create (LabStandNodes *self,
                                                const char    *node,
                                                const char    *snapshot,
                                                const char    *description,
                                                GError       **error);
gboolean       lab_stand_nodes_snapshot_delete (LabStandNodes *self,
                                                const char    *node,
                                                const char    *snapshot,
                                                GError       **error);
gboolean       lab_stand_nodes_snapshot_revert (LabStandNodes *self,
                                                const char    *node,
                                                const char    *snapshot,
                                                GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabStandNodes, lab_stand_nodes_free)

G_END_DECLS
