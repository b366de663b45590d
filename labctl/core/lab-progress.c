/* lab-progress.c: step progress as a terminal checklist or plain lines. */
#include "config.h"

#include "lab-plan.h"

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "lab-i18n.h"
#include "lab-json.h"

#define COLOR_GREEN  "\033[32m"
#define COLOR_RED    "\033[31m"
#define COLOR_YELLOW "\033[33m"
#define COLOR_DIM    "\033[2m"
#define COLOR_BOLD   "\033[1m"
#define COLOR_RESET  "\033[0m"
#define CLEAR_LINE   "\r\033[K"

typedef struct {
  FILE     *stream;
  gboolean  tty;
  gboolean  colour;
  gboolean  line_open;   /* tty: the "…" line of the running step is shown */
} StreamProgress;

LabProgress *
lab_progress_new (LabProgressFunc func, gpointer user_data, GDestroyNotify user_data_destroy)
{
  LabProgress *progress = g_new0 (LabProgress, 1);

  progress->func = func;
  progress->user_data = user_data;
  progress->user_data_destroy = user_data_destroy;
  return progress;
}

void
lab_progress_free (LabProgress *progress)
{
  if (progress == NULL)
    return;
  if (progress->user_data_destroy != NULL)
    progress->user_data_destroy (progress->user_data);
  g_free (progress->current_title);
  g_free (progress);
}

void
lab_progress_emit (LabProgress     *progress,
                   LabProgressEvent event,
                   guint            index,
                   guint            total,
                   const char      *title,
                   double           seconds,
                   const char      *detail)
{
  if (progress == NULL)
    return;
  if (event == LAB_PROGRESS_STEP_START)
    {
      progress->current_index = index;
      progress->current_total = total;
      g_free (progress->current_title);
      progress->current_title = g_strdup (title);
    }
  if (progress->func != NULL)
    progress->func (progress, event, index, total, title, seconds, detail, progress->user_data);
}

void
lab_progress_info (LabProgress *progress, const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list ap;

  if (progress == NULL)
    return;
  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  lab_progress_emit (progress, LAB_PROGRESS_STEP_INFO, progress->current_index,
                     progress->current_total, progress->current_title, 0, text);
}

/* ---- the stream implementation ---------------------------------------- */

static const char *
colour (StreamProgress *sp, const char *code)
{
  return sp->colour ? code : "";
}

static void
print_tty (StreamProgress  *sp,
           LabProgressEvent event,
           guint            index,
           guint            total,
           const char      *title,
           double           seconds,
           const char      *detail)
{
  g_autofree char *total_str = g_strdup_printf ("%u", total);
  int width = (int) strlen (total_str);
  int indent = 2 * width + 6;   /* details line up with the title: "[ 3/12] ✓ " */
  g_autofree char *counter = NULL;

  counter = g_strdup_printf ("[%*u/%u]", width, index + 1, total);

  switch (event)
    {
    case LAB_PROGRESS_STEP_START:
      fprintf (sp->stream, "%s%s %s…%s %s", sp->line_open ? CLEAR_LINE : "", counter,
               colour (sp, COLOR_YELLOW), colour (sp, COLOR_RESET), title);
      sp->line_open = TRUE;
      break;
    case LAB_PROGRESS_STEP_DONE:
      fprintf (sp->stream, "%s%s %s✓%s %s  ", sp->line_open ? CLEAR_LINE : "", counter,
               colour (sp, COLOR_GREEN), colour (sp, COLOR_RESET), title);
      fprintf (sp->stream, _("(%.1f s)"), seconds);
      fputc ('\n', sp->stream);
      sp->line_open = FALSE;
      break;
    case LAB_PROGRESS_STEP_SKIPPED:
      fprintf (sp->stream, "%s%s %s– %s  ", sp->line_open ? CLEAR_LINE : "", counter,
               colour (sp, COLOR_DIM), title);
      fprintf (sp->stream, "%s%s\n", _("(nothing to do)"), colour (sp, COLOR_RESET));
      sp->line_open = FALSE;
      break;
    case LAB_PROGRESS_STEP_FAILED:
      fprintf (sp->stream, "%s%s %s✗ %s%s  ", sp->line_open ? CLEAR_LINE : "", counter,
               colour (sp, COLOR_RED), title, colour (sp, COLOR_RESET));
      fprintf (sp->stream, _("(failed after %.1f s)"), seconds);
      fputc ('\n', sp->stream);
      if (detail != NULL)
        fprintf (sp->stream, "%*s%s\n", indent, "", detail);
      sp->line_open = FALSE;
      break;
    case LAB_PROGRESS_STEP_INFO:
      /* the detail goes above the running line, which is drawn again */
      fprintf (sp->stream, "%s%*s%s%s%s\n", sp->line_open ? CLEAR_LINE : "", indent, "",
               colour (sp, COLOR_DIM), detail != NULL ? detail : "", colour (sp, COLOR_RESET));
      if (sp->line_open)
        fprintf (sp->stream, "%s %s…%s %s", counter, colour (sp, COLOR_YELLOW),
                 colour (sp, COLOR_RESET), title != NULL ? title : "");
      break;
    default:
      break;
    }
  fflush (sp->stream);
}

static void
print_plain (StreamProgress  *sp,
             LabProgressEvent event,
             guint            index,
             guint            total,
             const char      *title,
             double           seconds,
             const char      *detail)
{
  /* total 0: an event from outside a plan (a step's body run on its own,
   * as the benchmarks do): no step counter to show */
  g_autofree char *head = total == 0 ? g_strdup (title != NULL && *title != '\0' ? title : "labctl")
                                     : g_strdup_printf (_("step %u/%u: %s"), index + 1, total,
                                                        title != NULL ? title : "");

  switch (event)
    {
    case LAB_PROGRESS_STEP_START:
      fprintf (sp->stream, _("%s: started"), head);
      break;
    case LAB_PROGRESS_STEP_DONE:
      fprintf (sp->stream, _("%s: done in %.1f s"), head, seconds);
      break;
    case LAB_PROGRESS_STEP_SKIPPED:
      fprintf (sp->stream, _("%s: nothing to do"), head);
      break;
    case LAB_PROGRESS_STEP_FAILED:
      fprintf (sp->stream, _("%s: failed after %.1f s: %s"), head, seconds,
               detail != NULL ? detail : "");
      break;
    case LAB_PROGRESS_STEP_INFO:
      fprintf (sp->stream, "%s: %s", head, detail != NULL ? detail : "");
      break;
    default:
      break;
    }
  fputc ('\n', sp->stream);
  fflush (sp->stream);
}

static void
stream_progress_func (LabProgress     *progress,
                      LabProgressEvent event,
                      guint            index,
                      guint            total,
                      const char      *title,
                      double           seconds,
                      const char      *detail,
                      gpointer         user_data)
{
  StreamProgress *sp = user_data;

  if (sp->tty)
    print_tty (sp, event, index, total, title, seconds, detail);
  else
    print_plain (sp, event, index, total, title, seconds, detail);
}

/* ---- the JSON implementation (--progress=json) ------------------------ */

static FILE *json_stream;
static GMutex json_lock;   /* steps report from a worker thread */

void
lab_progress_set_json_stream (FILE *stream)
{
  json_stream = stream;
}

FILE *
lab_progress_get_json_stream (void)
{
  return json_stream;
}

void
lab_progress_write_json (JsonNode *object)
{
  g_autofree char *line = NULL;

  if (json_stream == NULL)
    return;
  line = json_to_string (object, FALSE);   /* one line: no pretty printing */
  g_mutex_lock (&json_lock);
  fprintf (json_stream, "%s\n", line);
  fflush (json_stream);
  g_mutex_unlock (&json_lock);
}

JsonBuilder *
lab_progress_event_begin (const char *event)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  lab_json_member_string (b, "event", event);
  return b;
}

void
lab_progress_event_write (JsonBuilder *b)
{
  g_autoptr(JsonNode) node = NULL;

  json_builder_end_object (b);
  node = json_builder_get_root (b);
  lab_progress_write_json (node);
  g_object_unref (b);
}

void
lab_progress_write_sample (guint32 seq, gint64 offset_us, gint64 rtt_us)
{
  JsonBuilder *b;

  if (json_stream == NULL)
    return;
  b = lab_progress_event_begin ("sample");
  lab_json_member_int (b, "seq", seq);
  lab_json_member_int (b, "offset_us", offset_us);
  lab_json_member_int (b, "rtt_us", rtt_us);
  lab_progress_event_write (b);
}

void
lab_progress_write_phase (const char *label, gint64 offset_us)
{
  JsonBuilder *b;

  if (json_stream == NULL)
    return;
  b = lab_progress_event_begin ("phase");
  lab_json_member_string (b, "label", label);
  lab_json_member_int (b, "offset_us", offset_us);
  lab_progress_event_write (b);
}

static const char *
json_event_name (LabProgressEvent event)
{
  switch (event)
    {
    case LAB_PROGRESS_STEP_START:
      return "step-started";
    case LAB_PROGRESS_STEP_DONE:
      return "step-done";
    case LAB_PROGRESS_STEP_SKIPPED:
      return "step-skipped";
    case LAB_PROGRESS_STEP_FAILED:
      return "step-failed";
    case LAB_PROGRESS_STEP_INFO:
      return "info";
    case LAB_PROGRESS_STEP_COMMAND:
      return "command";
    default:
      return NULL;
    }
}

static void
json_progress_func (LabProgress     *progress,
                    LabProgressEvent event,
                    guint            index,
                    guint            total,
                    const char      *title,
                    double           seconds,
                    const char      *detail,
                    gpointer         user_data)
{
  const char *name = json_event_name (event);
  JsonBuilder *b;

  if (name == NULL)
    return;
  b = lab_progress_event_begin (name);
  lab_json_member_int (b, "index", index);
  lab_json_member_int (b, "total", total);
  lab_json_member_string (b, "title", title != NULL ? title : "");
  if (event == LAB_PROGRESS_STEP_DONE || event == LAB_PROGRESS_STEP_FAILED)
    lab_json_member_double (b, "seconds", seconds);
  if (event == LAB_PROGRESS_STEP_FAILED)
    lab_json_member_nullable (b, "message", detail);
  if (event == LAB_PROGRESS_STEP_INFO || event == LAB_PROGRESS_STEP_COMMAND)
    lab_json_member_string (b, "text", detail != NULL ? detail : "");
  lab_progress_event_write (b);

  /* how far the walk is, after each step that ended */
  if (event == LAB_PROGRESS_STEP_DONE || event == LAB_PROGRESS_STEP_SKIPPED || event == LAB_PROGRESS_STEP_FAILED)
    {
      b = lab_progress_event_begin ("progress");
      lab_json_member_int (b, "done", index + 1);
      lab_json_member_int (b, "total", total);
      lab_json_member_double (b, "fraction", total > 0 ? (index + 1) / (double) total : 1.0);
      lab_progress_event_write (b);
    }
}

LabProgress *
lab_progress_new_for_stream (FILE *stream)
{
  if (json_stream != NULL)
    return lab_progress_new (json_progress_func, NULL, NULL);

  StreamProgress *sp = g_new0 (StreamProgress, 1);
  const char *no_color = g_getenv ("NO_COLOR");

  g_return_val_if_fail (stream != NULL, NULL);

  sp->stream = stream;
  sp->tty = isatty (fileno (stream));
  sp->colour = sp->tty && (no_color == NULL || *no_color == '\0') &&
               g_strcmp0 (g_getenv ("TERM"), "dumb") != 0;
  return lab_progress_new (stream_progress_func, sp, g_free);
}
