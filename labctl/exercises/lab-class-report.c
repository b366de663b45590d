/* lab-class-report.c: many seats' check results as one table. */
#include "config.h"

#include "lab-class-report.h"
#include "lab-class-report-private.h"

#include <string.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-json.h"

gboolean
lab_class_report_format_from_string (const char *name, LabClassReportFormat *out)
{
  if (g_strcmp0 (name, "text") == 0)
    *out = LAB_CLASS_REPORT_TEXT;
  else if (g_strcmp0 (name, "csv") == 0)
    *out = LAB_CLASS_REPORT_CSV;
  else if (g_strcmp0 (name, "html") == 0)
    *out = LAB_CLASS_REPORT_HTML;
  else
    return FALSE;
  return TRUE;
}

typedef struct {
  char    *seat;
  char    *exercise;
  char    *time;
  char    *file;
  gboolean passed;
  char    *result;   /* the first step not passed: FAIL or ERROR; NULL when passed */
  char    *step;
  char    *title;
  char    *hint;
  guint    n_passed, n_steps;
} Cell;

void
lab_class_cell_free (gpointer data)
{
  Cell *c = data;

  g_free (c->seat);
  g_free (c->exercise);
  g_free (c->time);
  g_free (c->file);
  g_free (c->result);
  g_free (c->step);
  g_free (c->title);
  g_free (c->hint);
  g_free (c);
}

static const char *
str (JsonObject *o, const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
           ? json_node_get_string (n) : NULL;
}

/* A check result, or NULL when the file is not one. */
static Cell *
read_result (const char *path, const char *rel)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o;
  JsonArray *steps;
  Cell *c;

  if (!json_parser_load_from_file (parser, path, NULL) || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  o = json_node_get_object (json_parser_get_root (parser));
  if (str (o, "exercise") == NULL || !json_object_has_member (o, "steps")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "steps")))
    return NULL;
  steps = json_object_get_array_member (o, "steps");
  c = g_new0 (Cell, 1);
  c->exercise = g_strdup (str (o, "exercise"));
  /* the seat: as the file says, else the file's directory or name */
  if (str (o, "seat") != NULL)
    c->seat = g_strdup (str (o, "seat"));
  else
    {
      g_autofree char *base = g_path_get_basename (path);
      char *dot = strrchr (base, '.');

      if (dot != NULL)
        *dot = '\0';
      c->seat = g_steal_pointer (&base);
    }
  c->time = g_strdup (str (o, "time") != NULL ? str (o, "time") : "");
  c->file = g_strdup (rel);
  c->n_steps = json_array_get_length (steps);
  for (guint i = 0; i < c->n_steps; i++)
    {
      JsonObject *s = json_array_get_object_element (steps, i);

      if (g_strcmp0 (str (s, "result"), "PASS") == 0)
        c->n_passed++;
      else if (c->result == NULL)
        {
          c->result = g_strdup (str (s, "result") != NULL ? str (s, "result") : "ERROR");
          c->step = g_strdup (str (s, "id"));
          c->title = g_strdup (str (s, "title"));
          c->hint = g_strdup (str (s, "hint"));
        }
    }
  c->passed = c->n_steps > 0 && c->result == NULL;
  return c;
}

static void
scan (const char *dir, const char *rel, GPtrArray *cells, JsonBuilder *skipped, guint depth)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL || depth > 3)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *r = rel != NULL ? g_build_filename (rel, name, NULL) : g_strdup (name);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        scan (path, r, cells, skipped, depth + 1);
      else if (g_str_has_suffix (name, ".json"))
        {
          Cell *c = read_result (path, r);

          if (c != NULL)
            g_ptr_array_add (cells, c);
          else
            json_builder_add_string_value (skipped, r);
        }
    }
}

static int
compare_str (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static GPtrArray *
sorted_keys (GHashTable *set)
{
  GPtrArray *a = g_ptr_array_new ();
  GHashTableIter it;
  gpointer key;

  g_hash_table_iter_init (&it, set);
  while (g_hash_table_iter_next (&it, &key, NULL))
    g_ptr_array_add (a, key);
  g_ptr_array_sort (a, compare_str);
  return a;
}

JsonNode *
lab_class_report_build (GPtrArray *cells, GPtrArray *extra_seats, JsonArray *unreachable, JsonNode *skipped_list)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GHashTable) latest = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) seats = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) exercises = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) seat_list = NULL;
  g_autoptr(GPtrArray) ex_list = NULL;

  /* the latest result of each seat and exercise */
  for (guint i = 0; i < cells->len; i++)
    {
      Cell *c = g_ptr_array_index (cells, i);
      g_autofree char *key = g_strdup_printf ("%s\n%s", c->seat, c->exercise);
      Cell *old = g_hash_table_lookup (latest, key);

      if (old == NULL || g_strcmp0 (c->time, old->time) > 0)
        g_hash_table_insert (latest, g_steal_pointer (&key), c);
      g_hash_table_add (seats, c->seat);
      g_hash_table_add (exercises, c->exercise);
    }
  for (guint i = 0; extra_seats != NULL && i < extra_seats->len; i++)
    g_hash_table_add (seats, g_ptr_array_index (extra_seats, i));
  for (guint i = 0; unreachable != NULL && i < json_array_get_length (unreachable); i++)
    g_hash_table_add (seats, (gpointer) str (json_array_get_object_element (unreachable, i), "seat"));
  seat_list = sorted_keys (seats);
  ex_list = sorted_keys (exercises);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "seats");
  json_builder_begin_array (b);
  for (guint i = 0; i < seat_list->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (seat_list, i));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "exercises");
  json_builder_begin_array (b);
  for (guint i = 0; i < ex_list->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (ex_list, i));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "cells");
  json_builder_begin_array (b);
  for (guint i = 0; i < seat_list->len; i++)
    for (guint j = 0; j < ex_list->len; j++)
      {
        g_autofree char *key = g_strdup_printf ("%s\n%s", (char *) g_ptr_array_index (seat_list, i),
                                                (char *) g_ptr_array_index (ex_list, j));
        Cell *c = g_hash_table_lookup (latest, key);

        if (c == NULL)
          continue;
        json_builder_begin_object (b);
        lab_json_member_string (b, "seat", c->seat);
        lab_json_member_string (b, "exercise", c->exercise);
        lab_json_member_boolean (b, "passed", c->passed);
        lab_json_member_nullable (b, "result", c->passed ? "PASS" : c->result != NULL ? c->result : "ERROR");
        lab_json_member_nullable (b, "step", c->step);
        lab_json_member_nullable (b, "title", c->title);
        lab_json_member_nullable (b, "hint", c->hint);
        lab_json_member_int (b, "steps_passed", c->n_passed);
        lab_json_member_int (b, "steps", c->n_steps);
        lab_json_member_string (b, "time", c->time);
        lab_json_member_string (b, "file", c->file);
        json_builder_end_object (b);
      }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "unreachable");
  if (unreachable != NULL)
    {
      JsonNode *n = json_node_new (JSON_NODE_ARRAY);

      json_node_set_array (n, unreachable);
      json_builder_add_value (b, n);
    }
  else
    {
      json_builder_begin_array (b);
      json_builder_end_array (b);
    }
  json_builder_set_member_name (b, "skipped");
  json_builder_add_value (b, skipped_list);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonNode *
lab_class_report_scan (const char *dir, GPtrArray *cells)
{
  g_autoptr(JsonBuilder) skipped = json_builder_new ();

  json_builder_begin_array (skipped);
  scan (dir, NULL, cells, skipped, 0);
  json_builder_end_array (skipped);
  return json_builder_get_root (skipped);
}

JsonNode *
lab_class_report_load (const char *dir, GError **error)
{
  g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func (lab_class_cell_free);
  JsonNode *skipped;

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("%s is not a directory: give the directory where the seats' results were collected"), dir);
      return NULL;
    }
  skipped = lab_class_report_scan (dir, cells);
  if (cells->len == 0)
    {
      json_node_unref (skipped);
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("No exercise result in %s: collect each seat's 'labctl exercise check NAME --json' output "
                     "there as SEAT-NAME.json"), dir);
      return NULL;
    }
  return lab_class_report_build (cells, NULL, NULL, skipped);
}

/* The cell of seat and exercise, or NULL. */
static JsonObject *
find_cell (JsonArray *cells, const char *seat, const char *exercise)
{
  for (guint i = 0; i < json_array_get_length (cells); i++)
    {
      JsonObject *c = json_array_get_object_element (cells, i);

      if (g_strcmp0 (str (c, "seat"), seat) == 0 && g_strcmp0 (str (c, "exercise"), exercise) == 0)
        return c;
    }
  return NULL;
}

/* The unreachable seat's entry ({seat, host, error}), or NULL. */
static JsonObject *
find_unreachable (JsonObject *report, const char *seat)
{
  JsonArray *u = json_object_has_member (report, "unreachable") ? json_object_get_array_member (report, "unreachable")
                                                                : NULL;

  for (guint i = 0; u != NULL && i < json_array_get_length (u); i++)
    if (g_strcmp0 (str (json_array_get_object_element (u, i), "seat"), seat) == 0)
      return json_array_get_object_element (u, i);
  return NULL;
}

/* "PASS", or "FAIL step: hint", or "-" (no result). */
static char *
cell_text (JsonObject *c, gboolean with_hint)
{
  if (c == NULL)
    return g_strdup ("-");
  if (json_object_get_boolean_member (c, "passed"))
    return g_strdup ("PASS");
  if (with_hint && str (c, "hint") != NULL)
    return g_strdup_printf ("%s %s: %s", str (c, "result"), str (c, "step") != NULL ? str (c, "step") : "",
                            str (c, "hint"));
  return g_strdup_printf ("%s %s", str (c, "result"), str (c, "step") != NULL ? str (c, "step") : "");
}

static void
csv_field (GString *s, const char *v)
{
  g_string_append_c (s, '"');
  for (const char *p = v != NULL ? v : ""; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (s, '"');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
}

static void
html_text (GString *s, const char *v)
{
  g_autofree char *e = g_markup_escape_text (v != NULL ? v : "", -1);

  g_string_append (s, e);
}

char *
lab_class_report_render (JsonNode *report, LabClassReportFormat format)
{
  JsonObject *o = json_node_get_object (report);
  JsonArray *seats = json_object_get_array_member (o, "seats");
  JsonArray *exs = json_object_get_array_member (o, "exercises");
  JsonArray *cells = json_object_get_array_member (o, "cells");
  GString *s = g_string_new (NULL);
  guint n_seats = json_array_get_length (seats), n_ex = json_array_get_length (exs);

  if (format == LAB_CLASS_REPORT_CSV)
    {
      /* one row per seat and exercise: spreadsheets filter it */
      g_string_append (s, "seat,exercise,result,step,title,hint,steps_passed,steps,time\n");
      for (guint i = 0; i < json_array_get_length (cells); i++)
        {
          JsonObject *c = json_array_get_object_element (cells, i);
          g_autofree char *passed = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (c, "steps_passed"));
          g_autofree char *steps = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (c, "steps"));
          const char *fields[] = { str (c, "seat"), str (c, "exercise"), str (c, "result"), str (c, "step"),
                                   str (c, "title"), str (c, "hint"), passed, steps, str (c, "time") };

          for (guint k = 0; k < G_N_ELEMENTS (fields); k++)
            {
              if (k > 0)
                g_string_append_c (s, ',');
              csv_field (s, fields[k]);
            }
          g_string_append_c (s, '\n');
        }
      /* a seat that could not be reached: one row, why in the hint */
      for (guint i = 0; i < n_seats; i++)
        {
          JsonObject *u = find_unreachable (o, json_array_get_string_element (seats, i));
          const char *fields[] = { str (u, "seat"), "", "UNREACHABLE", "", str (u, "host"), str (u, "error"), "0", "0",
                                   "" };

          for (guint k = 0; u != NULL && k < G_N_ELEMENTS (fields); k++)
            {
              if (k > 0)
                g_string_append_c (s, ',');
              csv_field (s, fields[k]);
            }
          if (u != NULL)
            g_string_append_c (s, '\n');
        }
      return g_string_free (s, FALSE);
    }
  if (format == LAB_CLASS_REPORT_TEXT)
    {
      guint width = 4;

      for (guint i = 0; i < n_seats; i++)
        width = MAX (width, strlen (json_array_get_string_element (seats, i)));
      g_string_append_printf (s, "%-*s", (int) width + 2, _("seat"));
      for (guint j = 0; j < n_ex; j++)
        g_string_append_printf (s, " %-24s", json_array_get_string_element (exs, j));
      g_string_append_c (s, '\n');
      for (guint i = 0; i < n_seats; i++)
        {
          const char *seat = json_array_get_string_element (seats, i);

          g_string_append_printf (s, "%-*s", (int) width + 2, seat);
          if (find_unreachable (o, seat) != NULL)
            {
              g_string_append_printf (s, " %s\n", "UNREACHABLE");
              continue;
            }
          for (guint j = 0; j < n_ex; j++)
            {
              g_autofree char *t = cell_text (find_cell (cells, seat, json_array_get_string_element (exs, j)), FALSE);

              g_string_append_printf (s, " %-24s", t);
            }
          g_string_append_c (s, '\n');
        }
      /* the hints below the table, where they fit */
      for (guint i = 0; i < n_seats; i++)
        {
          JsonObject *u = find_unreachable (o, json_array_get_string_element (seats, i));

          if (u != NULL)
            g_string_append_printf (s, _("%s: unreachable (%s): %s\n"), str (u, "seat"), str (u, "host"),
                                    str (u, "error"));
        }
      for (guint i = 0; i < json_array_get_length (cells); i++)
        {
          JsonObject *c = json_array_get_object_element (cells, i);

          if (!json_object_get_boolean_member (c, "passed") && find_unreachable (o, str (c, "seat")) == NULL)
            g_string_append_printf (s, "%s / %s: %s %s: %s\n", str (c, "seat"), str (c, "exercise"),
                                    str (c, "result"), str (c, "title") != NULL ? str (c, "title") : "",
                                    str (c, "hint") != NULL ? str (c, "hint") : "");
        }
      return g_string_free (s, FALSE);
    }

  /* HTML: one page, its style inline, no script, nothing to fetch */
  g_string_append (s, "<!DOCTYPE html>\n<html lang=\"ru\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
  html_text (s, _("Class report"));
  g_string_append (s, "</title>\n<style>\n"
                      "body { font-family: sans-serif; margin: 1.5em; }\n"
                      "table { border-collapse: collapse; }\n"
                      "th, td { border: 1px solid #999; padding: 0.4em 0.6em; vertical-align: top; }\n"
                      "th { background: #eee; }\n"
                      "td.pass { background: #c8f0c8; }\n"
                      "td.fail { background: #f8d0d0; }\n"
                      "td.error { background: #f8ecc0; }\n"
                      "td.none { color: #888; }\n"
                      "td.unreachable { background: #ddd; }\n"
                      ".hint { font-size: 0.85em; color: #333; }\n"
                      "</style>\n</head>\n<body>\n<h1>");
  html_text (s, _("Class report"));
  g_string_append_printf (s, "</h1>\n<p>");
  {
    g_autofree char *line = g_strdup_printf (_("%u seats, %u exercises"), n_seats, n_ex);

    html_text (s, line);
  }
  g_string_append (s, "</p>\n<table>\n<tr><th>");
  html_text (s, _("seat"));
  g_string_append (s, "</th>");
  for (guint j = 0; j < n_ex; j++)
    {
      g_string_append (s, "<th>");
      html_text (s, json_array_get_string_element (exs, j));
      g_string_append (s, "</th>");
    }
  g_string_append (s, "</tr>\n");
  for (guint i = 0; i < n_seats; i++)
    {
      const char *seat = json_array_get_string_element (seats, i);

      JsonObject *u = find_unreachable (o, seat);

      g_string_append (s, "<tr><th>");
      html_text (s, seat);
      g_string_append (s, "</th>");
      if (u != NULL)
        {
          g_string_append_printf (s, "<td class=\"unreachable\" colspan=\"%u\" data-seat=\"", MAX (n_ex, 1));
          html_text (s, seat);
          g_string_append (s, "\"><b>");
          html_text (s, _("unreachable"));
          g_string_append (s, "</b> ");
          html_text (s, str (u, "host"));
          g_string_append (s, "<div class=\"hint\">");
          html_text (s, str (u, "error"));
          g_string_append (s, "</div></td></tr>\n");
          continue;
        }
      for (guint j = 0; j < n_ex; j++)
        {
          const char *ex = json_array_get_string_element (exs, j);
          JsonObject *c = find_cell (cells, seat, ex);
          const char *cls = c == NULL                                     ? "none"
                            : json_object_get_boolean_member (c, "passed") ? "pass"
                            : g_strcmp0 (str (c, "result"), "ERROR") == 0  ? "error"
                                                                           : "fail";

          g_string_append_printf (s, "<td class=\"%s\" data-seat=\"", cls);
          html_text (s, seat);
          g_string_append (s, "\" data-exercise=\"");
          html_text (s, ex);
          g_string_append (s, "\">");
          if (c == NULL)
            g_string_append (s, "&#8212;");
          else if (json_object_get_boolean_member (c, "passed"))
            g_string_append (s, "PASS");
          else
            {
              g_string_append (s, "<b>");
              html_text (s, str (c, "result"));
              g_string_append (s, "</b> ");
              html_text (s, str (c, "title") != NULL ? str (c, "title") : str (c, "step"));
              if (str (c, "hint") != NULL)
                {
                  g_string_append (s, "<div class=\"hint\">");
                  html_text (s, str (c, "hint"));
                  g_string_append (s, "</div>");
                }
            }
          g_string_append (s, "</td>");
        }
      g_string_append (s, "</tr>\n");
    }
  g_string_append (s, "</table>\n</body>\n</html>\n");
  return g_string_free (s, FALSE);
}
