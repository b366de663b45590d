/* lab-class-report-private.h: what lab-class-fetch.c shares with
 * lab-class-report.c. */
#pragma once

#include "lab-class-report.h"

G_BEGIN_DECLS

/* frees a cell of the report (a result read from a file) */
void      lab_class_cell_free     (gpointer    cell);
/* Reads the results under dir into cells; returns the files that are
 * not results as a JSON array. */
JsonNode *lab_class_report_scan   (const char *dir,
                                   GPtrArray  *cells);
/* The report of cells (the latest per seat and exercise), with
 * extra_seats (reached, without a result) and unreachable ({seat, host,
 * error}, a reference is taken); both may be NULL. skipped is taken. */
JsonNode *lab_class_report_build  (GPtrArray  *cells,
                                   GPtrArray  *extra_seats,
                                   JsonArray  *unreachable,
                                   JsonNode   *skipped);

G_END_DECLS
