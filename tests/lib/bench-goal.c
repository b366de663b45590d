/* bench-goal.c: the goals of a benchmark, and the summary of the missed ones. */
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
