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
/* A seat of the class as the hosts file names it. */
typedef struct {
  char  *seat;          /* the row's name (the second word, else the host) */
  char  *destination;   /* what ssh connects to: host, user@host, ssh://user@host:port, an ssh_config alias */
  guint  line;
} LabClassSeat;

void       lab_class_seat_free  (LabClassSeat *seat);
/* The hosts file: one seat a line, "DESTINATION [SEAT]"; '#' starts a
 * comment. Errors name the file, the line and the fix. LabClassSeat*. */
GPtrArray *lab_class_hosts_load (const char   *path,
                                 GError      **error);

typedef struct {
  guint               timeout_s;    /* per seat, connection and checks together (0: 20 s) */
  guint               parallel;     /* seats fetched at once (0: 8) */
  const char * const *ssh_options;  /* each passed as ssh -o OPTION; may be NULL */
  const char * const *exercises;    /* NULL: every exercise of the table */
  const char         *labctl;       /* the command on the seats, as their shell reads it (NULL: labctl) */
  /* called as each seat is done (from a worker thread, one at a time):
   * error NULL when it was reached, with the number of results */
  void              (*seat_done)    (const char *seat,
                                     const char *error,
                                     guint       n_results,
                                     gpointer    user_data);
  gpointer            user_data;
} LabClassFetchOptions;

/* Runs `labctl exercise check NAME --json` for each exercise on every
 * seat over ssh (BatchMode=yes: a seat that would ask for a password or
 * a host key is unreachable, never a prompt), in parallel, saving each
 * result as dir/SEAT/NAME.json (its "seat" the hosts file's name); then
 * the report of dir as lab_class_report_load() makes it, with every seat
 * listed: those reached without a result, and those that could not be
 * reached in "unreachable" ([{seat, host, error}]). */
JsonNode  *lab_class_report_fetch (GPtrArray                  *seats,
                                   const LabClassFetchOptions *options,
                                   const char                 *dir,
                                   GError                    **error);

/* { seats: [..], exercises: [..], cells: [{seat, exercise, passed,
 * result, step, title, hint, time, file}], unreachable: [{seat, host,
 * error}], skipped: [..] } rendered. */
char     *lab_class_report_render (JsonNode             *report,
                                   LabClassReportFormat  format);

G_END_DECLS
