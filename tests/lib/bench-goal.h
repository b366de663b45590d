/* bench-goal.h: the goals of a benchmark. Each figure that has a goal is
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

G_END_DECLS
