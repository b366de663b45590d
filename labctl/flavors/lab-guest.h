/* lab-guest.h: the recipe's [guest NAME] sections as libvirt domains on
 * the lab's nodes (container flavor): a TCG domain with a direct kernel
 * boot, a NIC on the node's bridge br0 and the lab's iSCSI LUN as its
 * shared disk (QEMU's iscsi driver, cache=none, the same on every node), so
 * that it can migrate live between nodes.
 *
 * Each guest has a home node (its recipe `node`); after a migration it runs
 * elsewhere and the state records where ("guests.<g>.node"). Its clean
 * state ("snapshot") is a libvirt save image taken once it answered ping
 * after the first boot; `reset` recreates the domain from its template on
 * the home node and restores that image: seconds instead of a boot.
 * (An iSCSI raw disk has no internal snapshots, and reverting external
 * snapshots needs libvirt >= 9.9.)
 *
 * Ownership: the domain XML carries
 *   <metadata><labctl:lab xmlns:labctl='https://labctl.example/xmlns/1' name='LAB' guest='G'/></metadata>
 * and only such domains are touched.
 */
#pragma once

#include <gio/gio.h>

#include "lab-plan.h"
#include "lab-recipe.h"
#include "lab-virt-xml.h"

G_BEGIN_DECLS

typedef struct {
  const char *iqn;      /* target IQN */
  guint       lun;      /* 1 */
  const char *host;     /* portal address */
  guint16     port;
  guint64     offset;   /* slice of the LUN (an LV's extents); 0 and size 0: the whole LUN */
  guint64     size;
} LabGuestDisk;

/* The domain (virt's guest spec) of a guest; disk NULL: none. */
LabVirtGuestSpec *lab_guest_spec      (LabRecipe          *recipe,
                                       LabGuest           *guest,
                                       const LabGuestDisk *disk);
/* The domain XML (template) of a guest. disk may be NULL. */
char        *lab_guest_domain_xml     (LabRecipe          *recipe,
                                       LabGuest           *guest,
                                       const LabGuestDisk *disk);
/* The domain XML of a guest in this lab as it is now: with its disk's
 * place on the LUN once the guests.disk step recorded it. */
char        *lab_guest_xml            (LabContext *ctx,
                                       LabGuest   *guest);
/* How the guest migrates in this lab (the flavor's guest_spec: a guest
 * on TCG kvm nodes is pinned and paused): *pin_cpuset the node CPUs it is
 * pinned to first (NULL: none; the caller's to free), *paused TRUE when it
 * migrates paused rather than live. */
void         lab_guest_migrate_options (LabContext *ctx,
                                        LabGuest   *guest,
                                        char      **pin_cpuset,
                                        gboolean   *paused);
/* The guest's stable UUID (from lab and guest names). */
char        *lab_guest_uuid           (LabRecipe *recipe,
                                       LabGuest  *guest);

/* After a migration that was killed or failed half-way the guest can be
 * on two nodes (defined on the target and still on the source, or a
 * paused copy beside the running one) or paused with no running copy.
 * lab_guest_settle() finds that on every node whose libvirtd answers.
 * repair FALSE: only says (status). repair TRUE, with no migration job
 * running: a stale copy beside the running one is destroyed and
 * undefined; a lone paused copy is resumed; the state records where the
 * guest runs. What it cannot repair (no copy runs, or two run) is
 * LAB_ERROR_FAILED with the fix. *out_note (may be NULL): one line on
 * what it found and did, NULL when all was well. */
gboolean     lab_guest_settle         (LabContext *ctx,
                                       LabGuest   *guest,
                                       gboolean    repair,
                                       char      **out_note,
                                       GError    **error);

/* Where the guest is: *out_node (NULL if defined nowhere) and whether it
 * runs there. A domain of that name without our mark is LAB_ERROR_FOREIGN.
 * Nodes whose libvirtd is down are skipped. */
gboolean     lab_guest_locate         (LabContext *ctx,
                                       LabGuest   *guest,
                                       char      **out_node,
                                       gboolean   *out_active,
                                       GError    **error);
/* Destroys and undefines the guest on every node; removes its save image. */
gboolean     lab_guest_remove         (LabContext *ctx,
                                       LabGuest   *guest,
                                       GError    **error);
/* A restart migration (a container's: its processes cannot move live):
 * stopped and undefined on from, its disk released there, then its disk
 * taken, defined and started on to. */
gboolean     lab_guest_restart_on     (LabContext *ctx,
                                       LabGuest   *guest,
                                       const char *from,
                                       const char *to,
                                       GError    **error);
/* Back to the clean state: recreate on the home node from the template,
 * restore the clean image, wait for ping. */
gboolean     lab_guest_reset          (LabContext *ctx,
                                       LabGuest   *guest,
                                       GError    **error);
/* The save image of the guest's clean state. */
char        *lab_guest_clean_image    (LabContext *ctx,
                                       LabGuest   *guest);

/* Where the LV named lv is on the lab's LUN (the attached disk, the PV):
 * one contiguous segment, *offset bytes in, *size bytes long. */
gboolean     lab_guest_lv_slice       (LabContext *ctx,
                                       const char *lv,
                                       guint64    *offset,
                                       guint64    *size,
                                       GError    **error);

/* "guests.define:<g>", "guests.start:<g>" (waits for ping),
 * "guests.snapshot:<g>" (the clean image). */
void         lab_guest_add_steps      (LabPlan    *plan,
                                       LabContext *ctx);
/* The same; clean_image FALSE: no guests.snapshot (reset boots the guest
 * again: kvm nodes, whose own disks reset rewrites, could not keep the
 * image, and the host's files are not theirs); lun_slices FALSE: no
 * guests.disk (the nodes see the guests' LVs themselves). */
void         lab_guest_add_steps_full (LabPlan    *plan,
                                       LabContext *ctx,
                                       gboolean    clean_image,
                                       gboolean    lun_slices);

G_END_DECLS
