/* lab-class-report.h: `labctl class report DIR`: the results of
 * `labctl exercise check --json` from many seats (one file per check,
 * *.json, in DIR or its sub-directories) as one table, seats x exercises:
 * each cell passed, or the first step that did not pass with its hint.
 * The latest result of a seat and exercise wins (its "time").
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  LAB_CLASS_REPORT_TEXT,
  LAB_CLASS_REPORT_CSV,
  LAB_CLASS_REPORT_HTML,   /* one self-contained page */
} LabClassReportFormat;

gboolean  lab_class_report_format_from_string (const char           *name,
                                               LabClassReportFormat *out);

/* Reads every result under dir; files that are not results are listed
 * in the report's "skipped" member. LAB_ERROR_NOT_FOUND when dir has no
 * result at all. */
JsonNode *lab_class_report_load   (const char  *dir,
                                   GError     **error);
/* { seats: [..], exercises: [..], cells: [{seat, exercise, passed,
 * result, step, title, hint, time, file}], skipped: [..] } rendered. */
char     *lab_class_report_render (JsonNode             *report,
                                   LabClassReportFormat  format);

G_END_DECLS
