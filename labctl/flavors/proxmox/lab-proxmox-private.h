/* lab-proxmox-private.h: what the proxmox flavor's step files share and
 * nothing outside flavors/proxmox/ includes. */
#pragma once

#include "lab-iso.h"
#include "lab-proxmox.h"

G_BEGIN_DECLS

/* The recipe's ISO: a catalogue entry (*out_entry) and its place in the
 * cache, or the path of an ISO of the user's (*out_entry NULL). */
gboolean  lab_proxmox_iso              (LabContext   *ctx,
                                        LabIsoEntry **out_entry,
                                        char        **out_path,
                                        GError      **error);
/* Where the prepared ISO of the recipe's ISO is (in the ISO cache). */
char     *lab_proxmox_prepared_iso     (LabContext   *ctx);
/* <state dir>/nodes/<node>/answer.img */
char     *lab_proxmox_answer_image     (LabContext    *ctx,
                                        const LabNode *node);
void      lab_proxmox_add_prepare_step (LabPlan      *plan,
                                        LabContext   *ctx);

G_END_DECLS
