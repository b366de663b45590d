/* lab-storage.h: the lab's shared storage as LabPlan steps.
 *
 * Steps, in order (ids key the state; each family has its own file,
 * lab-storage-<family>.c, listed in lab-storage-private.h):
 *   storage.image    sparse backing file (xattr user.labctl.lab=<lab> when the fs has xattrs)
 *   storage.tgtd     a tgtd on the recipe's control port: a running one is used,
 *                    otherwise labctl starts `tgtd -f` and records its pid
 *   storage.target   the target with the recipe's IQN on a free tid
 *   storage.lun      LUN 1 on the backing file
 *   storage.acl      the target bound to the lab's own addresses, or its own
 *                    initiator names, only (never ALL)
 *   storage.chap     CHAP account (only when the recipe asks for it)
 *   storage.attach   the LUN as a block device on this host (iscsiadm or fuse, see lab-iscsi.h)
 *   storage.pv       LVM physical volume (refuses a device with a foreign signature)
 *   storage.vg       volume group, tagged labctl:<lab>
 *   storage.lv:NAME  one LV per node (and per guest with a disk), tagged
 *
 * Environment:
 *   LABCTL_STORAGE_ATTACH=iscsiadm|fuse|auto  attach method (default auto)
 *   LABCTL_LVM_SYSTEM_DIR=DIR   LVM_SYSTEM_DIR for every LVM command (a private
 *                               lvm.conf, e.g. activation = 0 on hosts without
 *                               device-mapper)
 *   LABCTL_FAIL_STEP=ID         test hook: the apply of step ID fails after its
 *                               main command (to test resume and cleanup)
 */
#pragma once

#include "lab-plan.h"
#include "lab-recipe.h"

G_BEGIN_DECLS

typedef enum {
  LAB_STORAGE_PART_TARGET = 1 << 0,   /* image, tgtd, target, LUN, ACL, CHAP */
  LAB_STORAGE_PART_ATTACH = 1 << 1,   /* login / FUSE attach */
  LAB_STORAGE_PART_LVM    = 1 << 2,   /* PV, VG, LVs */
  LAB_STORAGE_PART_ALL    = 0x7,
} LabStorageParts;

/* Adds the storage steps to plan (all parts). ctx->recipe and ctx->runner
 * must be set. Fails only on a bad LABCTL_STORAGE_ATTACH. */
gboolean  lab_storage_add_steps       (LabPlan         *plan,
                                       LabContext      *ctx,
                                       GError         **error);
gboolean  lab_storage_add_steps_parts (LabPlan         *plan,
                                       LabContext      *ctx,
                                       LabStorageParts  parts,
                                       GError         **error);

/* The initiator addresses the target admits: the portal address (unless
 * inside the lab subnet) and the lab subnet; none when the target admits
 * by name (lab_storage_acl_names_for_recipe()). Never "ALL". */
char    **lab_storage_acl_for_recipe  (LabRecipe       *recipe);
/* The initiator names the target admits, when the recipe gives every node
 * one (LabNode.initiator: the nodes log in themselves): each node's name
 * and the host's (lab_storage_host_initiator()). Empty otherwise: then the
 * ACL is by address. tgtd admits a login when either list matches, so a
 * name ACL has no address beside it. */
char    **lab_storage_acl_names_for_recipe (LabRecipe  *recipe);
/* The initiator name this host attaches the LUN with when the target
 * admits by name: "<lab IQN>:host.labctl" (a node name has no '.'); NULL
 * when it admits by address (the initiator's own name is used then). */
char     *lab_storage_host_initiator  (LabRecipe       *recipe);

/* Every piece as it is now (file size and allocation, target, ACL,
 * sessions, PV, VG, LVs); read-only. Parts that cannot be queried (not
 * root, daemon not running) say so in an "error" member. */
JsonNode *lab_storage_status          (LabContext      *ctx);
/* What the lab's storage left on this host that names it, whatever the
 * state says (for `down` after the state was lost): the marked image, the
 * tgtd labctl started on the lab's ports, exports and loop devices of the
 * lab's FUSE mountpoint. Appends a description of each to found. Reads
 * /proc and sysfs only. */
void      lab_storage_find_traces     (LabContext      *ctx,
                                       GPtrArray       *found);
/* Human-readable form of lab_storage_status(). */
char     *lab_storage_status_to_text  (JsonNode        *status);

G_END_DECLS
