/* lab-stand-storage.h: the lab's shared storage on its own (`labctl
 * storage`): the storage steps of the stand (lab-storage: sparse image,
 * tgt target, iSCSI attach, LVM) as a plan of their own, over the lab's
 * state, and their status.
 */
#pragma once

#include <stdio.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _LabStandStorage LabStandStorage;

/* The storage of recipe_name (a path or a shipped name; NULL: the
 * default) with the lab's state. dry_run: commands are printed, not run.
 * changes: for up or down, which then log to <state dir>/labctl.log (as
 * root, not in a dry run). progress_stream: the step checklist (NULL: none). */
LabStandStorage *lab_stand_storage_open          (const char      *recipe_name,
                                                  gboolean         dry_run,
                                                  gboolean         changes,
                                                  FILE            *progress_stream,
                                                  GCancellable    *cancellable,
                                                  GError         **error);
void             lab_stand_storage_free          (LabStandStorage *self);

/* Every piece as it is now (lab_storage_status()); read-only. */
JsonNode        *lab_stand_storage_status        (LabStandStorage *self);
char            *lab_stand_storage_status_format (JsonNode        *status);

/* The commands up (down: down) runs, as a person would type them. */
char            *lab_stand_storage_describe      (LabStandStorage *self,
                                                  gboolean         down,
                                                  GError         **error);
/* Builds (down: removes) the storage; LAB_ERROR_PERMISSION with the sudo
 * command line when that needs root and we are not. */
gboolean         lab_stand_storage_run           (LabStandStorage *self,
                                                  gboolean         down,
                                                  GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabStandStorage, lab_stand_storage_free)

G_END_DECLS
