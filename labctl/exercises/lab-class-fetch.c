/* lab-class-fetch.c: `labctl class report --hosts FILE`: every seat's
 * `labctl exercise check NAME --json` results fetched over ssh (the
 * system's OpenSSH client, BatchMode: never a password prompt), in
 * parallel with a time limit per seat, into DIR/SEAT/NAME.json; then the
 * report of DIR with the seats that could not be reached as rows of
 * their own. */
#include "config.h"

#include "lab-class-report.h"
#include "lab-class-report-private.h"

#include <string.h>

#include "lab-error.h"
#include "lab-exercise.h"
#include "lab-i18n.h"
#include "lab-runner.h"

#define DEFAULT_TIMEOUT_S 20
#define DEFAULT_PARALLEL  8
#define MARKER            "@@labctl-class-report "

void
lab_class_seat_free (LabClassSeat *seat)
{
  if (seat == NULL)
    return;
  g_free (seat->seat);
  g_free (seat->destination);
  g_free (seat);
}

static gboolean
seat_name_ok (const char *name)
{
  if (*name == '\0' || *name == '.')
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("._-@", *p) == NULL)
      return FALSE;
  return TRUE;
}

GPtrArray *
lab_class_hosts_load (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) seats = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_class_seat_free);
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *line = g_strdup (lines[i]);
      char *hash = strchr (line, '#');
      g_auto(GStrv) words = NULL;
      g_autoptr(GPtrArray) w = g_ptr_array_new ();
      LabClassSeat *seat;

      if (hash != NULL)
        *hash = '\0';
      words = g_strsplit_set (g_strstrip (line), " \t", -1);
      for (guint k = 0; words[k] != NULL; k++)
        if (*words[k] != '\0')
          g_ptr_array_add (w, words[k]);
      if (w->len == 0)
        continue;
      if (w->len > 2)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_USAGE,
                       _("%s:%u: '%s': a line is an ssh destination and an optional seat name "
                         "(e.g. 'student@pc07 seat-07')"), path, i + 1, lines[i]);
          return NULL;
        }
      /* a destination is never an option of ssh */
      if (*(char *) w->pdata[0] == '-')
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_USAGE,
                       _("%s:%u: '%s' is not an ssh destination (user@host, host, or ssh://user@host:port); "
                         "ssh options go to --ssh-option"), path, i + 1, (char *) w->pdata[0]);
          return NULL;
        }
      seat = g_new0 (LabClassSeat, 1);
      seat->destination = g_strdup (w->pdata[0]);
      if (w->len == 2)
        seat->seat = g_strdup (w->pdata[1]);
      else
        {
          /* the host part of the destination */
          const char *d = seat->destination;
          const char *at;

          if (g_str_has_prefix (d, "ssh://"))
            d += 6;
          at = strrchr (d, '@');
          seat->seat = g_strndup (at != NULL ? at + 1 : d, strcspn (at != NULL ? at + 1 : d, ":/"));
        }
      seat->line = i + 1;
      if (!seat_name_ok (seat->seat))
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_USAGE,
                       _("%s:%u: seat name '%s': use letters, digits, '.', '_', '-' or '@' (it names the "
                         "seat's directory of results)"), path, i + 1, seat->seat);
          lab_class_seat_free (seat);
          return NULL;
        }
      if (g_hash_table_contains (names, seat->seat))
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_USAGE,
                       _("%s:%u: seat '%s' is listed twice; give the second one a name of its own "
                         "(DESTINATION SEAT)"), path, i + 1, seat->seat);
          lab_class_seat_free (seat);
          return NULL;
        }
      g_hash_table_add (names, seat->seat);
      g_ptr_array_add (seats, seat);
    }
  if (seats->len == 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_USAGE,
                   _("%s lists no seat: write one ssh destination a line (e.g. 'student@pc07 seat-07')"), path);
      return NULL;
    }
  return g_steal_pointer (&seats);
}

/* ---- fetching ------------------------------------------------------------- */

typedef struct {
  const LabClassFetchOptions *opts;
  const char  *dir;
  char        *remote;        /* the command the seats run */
  GMutex       lock;
  GPtrArray   *reached;       /* seat names (borrowed) */
  JsonArray   *unreachable;   /* {seat, host, error} */
} Fetch;

/* The last line of ssh's stderr that says something. */
static char *
last_line (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text != NULL ? text : "", "\n", -1);

  for (guint n = g_strv_length (lines); n > 0; n--)
    {
      g_strstrip (lines[n - 1]);
      if (*lines[n - 1] != '\0')
        return g_strdup (lines[n - 1]);
    }
  return g_strdup (_("ssh failed without a message"));
}

/* Splits the seat's output at the markers and saves each result as
 * DIR/SEAT/NAME.json with the seat's name from the hosts file. The number
 * saved; *missing_labctl when the seat has no labctl. */
static guint
save_results (Fetch *f, LabClassSeat *seat, const char *out, gboolean *missing_labctl, GError **error)
{
  g_auto(GStrv) lines = g_strsplit (out != NULL ? out : "", "\n", -1);
  g_autoptr(GString) chunk = g_string_new (NULL);
  g_autofree char *seat_dir = g_build_filename (f->dir, seat->seat, NULL);
  guint saved = 0, markers = 0;

  *missing_labctl = FALSE;
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) m = NULL;
      g_autoptr(JsonParser) p = NULL;
      JsonObject *o;

      if (!g_str_has_prefix (lines[i], MARKER))
        {
          g_string_append_printf (chunk, "%s\n", lines[i]);
          continue;
        }
      markers++;
      m = g_strsplit (lines[i] + strlen (MARKER), " ", 2);
      if (g_strv_length (m) == 2 && g_str_equal (m[1], "127"))
        *missing_labctl = TRUE;
      p = json_parser_new ();
      if (g_strv_length (m) == 2 && lab_exercise_find (m[0]) != NULL
          && json_parser_load_from_data (p, chunk->str, -1, NULL) && json_parser_get_root (p) != NULL
          && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p))
          && g_strcmp0 (json_object_get_string_member_with_default (
                          (o = json_node_get_object (json_parser_get_root (p))), "exercise", NULL), m[0]) == 0)
        {
          g_autoptr(JsonGenerator) gen = json_generator_new ();
          g_autofree char *file = g_strdup_printf ("%s.json", m[0]);
          g_autofree char *path = g_build_filename (seat_dir, file, NULL);
          g_autofree char *text = NULL;

          /* the instructor's name for the seat, not the host's own */
          json_object_set_string_member (o, "seat", seat->seat);
          json_object_set_string_member (o, "host", seat->destination);
          json_generator_set_root (gen, json_parser_get_root (p));
          json_generator_set_pretty (gen, TRUE);
          text = json_generator_to_data (gen, NULL);
          if (g_mkdir_with_parents (seat_dir, 0755) != 0 || !g_file_set_contents (path, text, -1, error))
            {
              if (error != NULL && *error == NULL)
                g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot make %s"), seat_dir);
              return saved;
            }
          saved++;
        }
      g_string_truncate (chunk, 0);
    }
  if (markers == 0)
    g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                 _("the seat answered, but not as a POSIX shell running the check (its output starts: %.60s)"),
                 out != NULL ? out : "");
  return saved;
}

static void
fetch_seat (gpointer data, gpointer user_data)
{
  LabClassSeat *seat = data;
  Fetch *f = user_data;
  const LabClassFetchOptions *o = f->opts;
  guint timeout_s = o->timeout_s > 0 ? o->timeout_s : DEFAULT_TIMEOUT_S;
  g_autoptr(LabRunner) runner = lab_runner_new (LAB_RUNNER_MODE_REAL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *out = NULL, *err = NULL, *why = NULL;
  g_autoptr(GError) error = NULL;
  gboolean missing = FALSE;
  int status = 0;
  guint saved = 0;

  g_ptr_array_add (argv, g_strdup ("ssh"));
  g_ptr_array_add (argv, g_strdup ("-o"));
  g_ptr_array_add (argv, g_strdup ("BatchMode=yes"));
  g_ptr_array_add (argv, g_strdup ("-o"));
  g_ptr_array_add (argv, g_strdup_printf ("ConnectTimeout=%u", timeout_s));
  for (guint i = 0; o->ssh_options != NULL && o->ssh_options[i] != NULL; i++)
    {
      g_ptr_array_add (argv, g_strdup ("-o"));
      g_ptr_array_add (argv, g_strdup (o->ssh_options[i]));
    }
  g_ptr_array_add (argv, g_strdup ("--"));
  g_ptr_array_add (argv, g_strdup (seat->destination));
  g_ptr_array_add (argv, g_strdup (f->remote));
  g_ptr_array_add (argv, NULL);

  if (!lab_runner_run_full (runner, (const char * const *) argv->pdata, LAB_RUN_QUERY | LAB_RUN_QUIET_OUTPUT, NULL,
                            timeout_s * 1000, &status, &out, &err, NULL, &error))
    why = g_error_matches (error, LAB_ERROR, LAB_ERROR_TIMEOUT)
            ? g_strdup_printf (_("no answer within %u s"), timeout_s)
            : g_strdup (error->message);
  else if (status == 255)
    why = last_line (err);
  else
    {
      saved = save_results (f, seat, out, &missing, &error);
      if (error != NULL)
        why = g_strdup (error->message);
      else if (missing && saved == 0)
        why = g_strdup_printf (_("the seat has no '%s' command (--labctl names it)"),
                               o->labctl != NULL ? o->labctl : "labctl");
    }

  g_mutex_lock (&f->lock);
  if (why != NULL)
    {
      JsonObject *u = json_object_new ();

      json_object_set_string_member (u, "seat", seat->seat);
      json_object_set_string_member (u, "host", seat->destination);
      json_object_set_string_member (u, "error", why);
      json_array_add_object_element (f->unreachable, u);
    }
  else
    g_ptr_array_add (f->reached, seat->seat);
  if (o->seat_done != NULL)
    o->seat_done (seat->seat, why, saved, o->user_data);
  g_mutex_unlock (&f->lock);
}

/* The shell command a seat runs: each exercise's check, each followed by
 * a marker line with its name and exit status. */
static char *
remote_command (const LabClassFetchOptions *o)
{
  const LabExercise * const *table = lab_exercise_table ();
  g_autoptr(GString) s = g_string_new ("for e in");

  if (o->exercises != NULL)
    for (guint i = 0; o->exercises[i] != NULL; i++)
      g_string_append_printf (s, " %s", o->exercises[i]);
  else
    for (guint i = 0; table[i] != NULL; i++)
      g_string_append_printf (s, " %s", table[i]->name);
  g_string_append_printf (s, "; do %s exercise check \"$e\" --json </dev/null 2>/dev/null; "
                             "echo; echo \"" MARKER "$e $?\"; done",
                          o->labctl != NULL ? o->labctl : "labctl");
  return g_string_free (g_steal_pointer (&s), FALSE);
}

JsonNode *
lab_class_report_fetch (GPtrArray *seats, const LabClassFetchOptions *opts, const char *dir, GError **error)
{
  Fetch f = { 0 };
  GThreadPool *pool;
  g_autoptr(GPtrArray) cells = NULL;
  JsonNode *skipped;
  JsonNode *report;

  for (guint i = 0; opts->exercises != NULL && opts->exercises[i] != NULL; i++)
    if (lab_exercise_find (opts->exercises[i]) == NULL)
      {
        g_set_error (error, LAB_ERROR, LAB_ERROR_USAGE, _("No exercise '%s'"), opts->exercises[i]);
        return NULL;
      }
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot make the directory %s for the results"), dir);
      return NULL;
    }
  f.opts = opts;
  f.dir = dir;
  f.remote = remote_command (opts);
  f.reached = g_ptr_array_new ();
  f.unreachable = json_array_new ();
  g_mutex_init (&f.lock);
  pool = g_thread_pool_new (fetch_seat, &f, opts->parallel > 0 ? (gint) opts->parallel : DEFAULT_PARALLEL, FALSE,
                            error);
  if (pool == NULL)
    {
      g_free (f.remote);
      g_ptr_array_unref (f.reached);
      json_array_unref (f.unreachable);
      return NULL;
    }
  for (guint i = 0; i < seats->len; i++)
    g_thread_pool_push (pool, g_ptr_array_index (seats, i), NULL);
  /* waits for every seat */
  g_thread_pool_free (pool, FALSE, TRUE);
  g_mutex_clear (&f.lock);

  cells = g_ptr_array_new_with_free_func (lab_class_cell_free);
  skipped = lab_class_report_scan (dir, cells);
  report = lab_class_report_build (cells, f.reached, f.unreachable, skipped);
  g_free (f.remote);
  g_ptr_array_unref (f.reached);
  json_array_unref (f.unreachable);
  return report;
}
