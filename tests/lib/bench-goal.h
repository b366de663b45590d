/* bench-goal.h: the goals of a benchmark, and the figures of its summary. Each figure that has a goal is
 * printed on a line that ends with "met" or "MISSED"; bench_goal_summary()
 * ends the run with the list of the missed ones. A benchmark never fails
 * for a missed goal (only when it cannot measure). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Records the goal named what (met or not) and returns "met" or "MISSED"
 * for the figure's line. */
const char *bench_goal         (const char *what,
                                gboolean    met);
/* "bench-NAME: summary: every goal met (N)" or "bench-NAME: summary: MISSED
 * M of N goals: what, what"; "no goal measured" when none was. */
void        bench_goal_summary (const char *bench);

/* min, median (the mean of the middle two for an even count) and max of
 * a (doubles, sorted in place); FALSE when a is empty. */
gboolean    bench_stats        (GArray     *a,
                                double     *min,
                                double     *median,
                                double     *max);
/* The median of a (as above); 0 when a is empty. */
double      bench_median       (GArray     *a);
/* One row of a summary table: "    WHAT  min  median  max  (count)",
 * seconds with unit "s", plain counts otherwise; nothing when a is
 * empty. */
void        bench_print_row    (const char *what,
                                GArray     *a,
                                const char *unit);

G_END_DECLS
