/* lab-stand-report.h: what `up`, `down` and `reset` did, step by step:
 * a LabProgress that prints the checklist and records each step's result
 * and time, for the closing summary and for --json. */
#pragma once

#include <stdio.h>

#include <json-glib/json-glib.h>

#include "lab-stand.h"

G_BEGIN_DECLS

typedef struct _LabStandReport LabStandReport;

/* Installs itself as the stand's progress (printing to stream). */
LabStandReport *lab_stand_report_new       (LabStand       *stand,
                                            FILE           *stream,
                                            gboolean        down);
void            lab_stand_report_free      (LabStandReport *report);
void            lab_stand_report_finish    (LabStandReport *report,
                                            double          seconds);
/* The stand's plan up (or down) in a worker thread (lab_stand_run_in_thread:
 * SIGINT/SIGTERM cancel), each step reported and printed to stream, the
 * time finished: what `up` and `down` (and the GUI) run. *out_report gets
 * the report, also on failure. */
gboolean        lab_stand_report_run       (LabStand        *stand,
                                            gboolean         down,
                                            FILE            *stream,
                                            LabStandReport **out_report,
                                            GError         **error);
/* Steps applied (up) or undone (down) now, and skipped. */
guint           lab_stand_report_n_changed (LabStandReport *report);
guint           lab_stand_report_n_skipped (LabStandReport *report);
/* Titles of the steps changed now, in order. */
GPtrArray      *lab_stand_report_changed   (LabStandReport *report);
char           *lab_stand_report_format    (LabStandReport *report);
/* The title of the step that failed, NULL: none did. Its error (what, why,
 * the fix) is on the progress already: a command's last words need not
 * repeat it. */
const char     *lab_stand_report_failed_step (LabStandReport *report);
JsonNode       *lab_stand_report_to_json   (LabStandReport *report,
                                            gboolean        ok,
                                            const GError   *error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabStandReport, lab_stand_report_free)

G_END_DECLS
