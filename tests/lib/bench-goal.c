/* bench-goal.c: the goals of a benchmark, the summary of the missed ones,
 * and the min / median / max rows of its figures. */
#include "config.h"

#include "bench-goal.h"

#include <stdio.h>

static GPtrArray *missed;
static guint n_goals;

const char *
bench_goal (const char *what, gboolean met)
{
  if (missed == NULL)
    missed = g_ptr_array_new_with_free_func (g_free);
  n_goals++;
  if (!met)
    g_ptr_array_add (missed, g_strdup (what));
  return met ? "met" : "MISSED";
}

void
bench_goal_summary (const char *bench)
{
  g_autoptr(GString) list = g_string_new (NULL);

  if (n_goals == 0)
    {
      printf ("%s: summary: no goal measured\n", bench);
      return;
    }
  if (missed == NULL || missed->len == 0)
    {
      printf ("%s: summary: every goal met (%u)\n", bench, n_goals);
      return;
    }
  for (guint i = 0; i < missed->len; i++)
    g_string_append_printf (list, "%s%s", i > 0 ? ", " : "", (char *) g_ptr_array_index (missed, i));
  printf ("%s: summary: MISSED %u of %u goals: %s\n", bench, missed->len, n_goals, list->str);
}

static int
compare_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

gboolean
bench_stats (GArray *a, double *min, double *median, double *max)
{
  if (a->len == 0)
    return FALSE;
  g_array_sort (a, compare_double);
  *min = g_array_index (a, double, 0);
  *max = g_array_index (a, double, a->len - 1);
  *median = a->len % 2 == 1
              ? g_array_index (a, double, a->len / 2)
              : (g_array_index (a, double, a->len / 2 - 1) + g_array_index (a, double, a->len / 2)) / 2;
  return TRUE;
}

double
bench_median (GArray *a)
{
  double min, median = 0, max;

  bench_stats (a, &min, &median, &max);
  return median;
}

void
bench_print_row (const char *what, GArray *a, const char *unit)
{
  double min, med, max;

  if (!bench_stats (a, &min, &med, &max))
    return;
  if (g_str_equal (unit, "s"))
    printf ("    %-24s %8.2f s %8.2f s %8.2f s   (%u)\n", what, min, med, max, a->len);
  else
    printf ("    %-24s %8.0f   %8.0f   %8.0f     (%u)\n", what, min, med, max, a->len);
}
