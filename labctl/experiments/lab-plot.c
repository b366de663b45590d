/* lab-plot.c: the ping timeline (reply latency, lost replies, phases). */
#include "config.h"

#include "lab-plot.h"

#include <math.h>
#include <string.h>

#include <cairo-svg.h>

#include "lab-error.h"
#include "lab-i18n.h"

#define MARGIN_LEFT   72.0
#define MARGIN_RIGHT  24.0
#define MARGIN_TOP    74.0
#define MARGIN_BOTTOM 52.0
#define FONT_SIZE     13.0

typedef struct {
  double x0, y0, w, h;     /* the plot area */
  double t_max_s;          /* time axis: 0 .. t_max_s */
  double rtt_max_ms;       /* latency axis: 0 .. rtt_max_ms */
} Frame;

static double
x_of (const Frame *f, double t_s)
{
  return f->x0 + f->w * (t_s / f->t_max_s);
}

static double
y_of (const Frame *f, double ms)
{
  return f->y0 + f->h * (1.0 - MIN (ms, f->rtt_max_ms) / f->rtt_max_ms);
}

/* 1, 2 or 5 times a power of ten, the first step giving at most n ticks */
static double
nice_step (double range, int n)
{
  double raw = range / n;
  double p = pow (10.0, floor (log10 (raw)));

  if (raw <= p)
    return p;
  if (raw <= 2 * p)
    return 2 * p;
  if (raw <= 5 * p)
    return 5 * p;
  return 10 * p;
}

static void
frame_init (Frame *f, double width, double height, const LabPlotData *data)
{
  gint64 t0 = data->n_samples > 0 ? data->samples[0].sent_us : 0;
  double t_max = 0, rtt_max = 0;

  f->x0 = MARGIN_LEFT;
  f->y0 = MARGIN_TOP;
  f->w = MAX (width - MARGIN_LEFT - MARGIN_RIGHT, 10.0);
  f->h = MAX (height - MARGIN_TOP - MARGIN_BOTTOM, 10.0);
  for (guint i = 0; i < data->n_samples; i++)
    {
      const LabProbeSample *s = &data->samples[i];

      t_max = MAX (t_max, (s->sent_us - t0) / 1e6);
      if (s->received_us > 0)
        rtt_max = MAX (rtt_max, (s->received_us - s->sent_us) / 1e3);
    }
  for (guint i = 0; i < data->n_markers; i++)
    t_max = MAX (t_max, data->markers[i].offset_us / 1e6);
  f->t_max_s = t_max > 0 ? t_max * 1.02 : 1.0;
  f->rtt_max_ms = MAX (rtt_max * 1.15, 1.0);
}

static void
show_text_at (cairo_t *cr, double x, double y, double align, const char *text)
{
  cairo_text_extents_t ext;

  cairo_text_extents (cr, text, &ext);
  cairo_move_to (cr, x - align * ext.x_advance, y);
  cairo_show_text (cr, text);
}

/* Lost replies: every run of samples without a reply, from the send time
 * of its first to the send time of the next answered one. */
static void
draw_gaps (cairo_t *cr, const Frame *f, const LabPlotData *data, gint64 t0)
{
  cairo_set_source_rgba (cr, 0.90, 0.38, 0.30, 0.35);
  for (guint i = 0; i < data->n_samples;)
    {
      guint j;
      gint64 from, to;

      if (data->samples[i].received_us > 0)
        {
          i++;
          continue;
        }
      for (j = i; j < data->n_samples && data->samples[j].received_us == 0; j++)
        ;
      from = data->samples[i].sent_us - t0;
      to = j < data->n_samples ? data->samples[j].sent_us - t0 : data->samples[j - 1].sent_us - t0;
      {
        double xa = x_of (f, from / 1e6), xb = x_of (f, to / 1e6);

        cairo_rectangle (cr, xa, f->y0, MAX (xb - xa, 2.0), f->h);
        cairo_fill (cr);
      }
      i = j;
    }
}

static void
draw_axes (cairo_t *cr, const Frame *f)
{
  double step;
  char buf[32];

  cairo_set_line_width (cr, 1.0);
  /* grid and tick labels: latency */
  step = nice_step (f->rtt_max_ms, 5);
  for (double v = 0; v <= f->rtt_max_ms + 1e-9; v += step)
    {
      double y = y_of (f, v);

      cairo_set_source_rgb (cr, 0.88, 0.88, 0.88);
      cairo_move_to (cr, f->x0, y);
      cairo_line_to (cr, f->x0 + f->w, y);
      cairo_stroke (cr);
      cairo_set_source_rgb (cr, 0.25, 0.25, 0.25);
      g_snprintf (buf, sizeof buf, step < 1 ? "%.1f" : "%.0f", v);
      show_text_at (cr, f->x0 - 6, y + FONT_SIZE / 3, 1.0, buf);
    }
  /* time */
  step = nice_step (f->t_max_s, 8);
  for (double t = 0; t <= f->t_max_s + 1e-9; t += step)
    {
      double x = x_of (f, t);

      cairo_set_source_rgb (cr, 0.88, 0.88, 0.88);
      cairo_move_to (cr, x, f->y0);
      cairo_line_to (cr, x, f->y0 + f->h);
      cairo_stroke (cr);
      cairo_set_source_rgb (cr, 0.25, 0.25, 0.25);
      g_snprintf (buf, sizeof buf, step < 1 ? "%.1f" : "%.0f", t);
      show_text_at (cr, x, f->y0 + f->h + FONT_SIZE + 4, 0.5, buf);
    }
  cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
  cairo_rectangle (cr, f->x0, f->y0, f->w, f->h);
  cairo_stroke (cr);

  show_text_at (cr, f->x0 + f->w / 2, f->y0 + f->h + 2 * FONT_SIZE + 12, 0.5,
                _("time since the first ping (s)"));
  cairo_save (cr);
  cairo_move_to (cr, 0, 0);
  cairo_translate (cr, FONT_SIZE + 4, f->y0 + f->h / 2);
  cairo_rotate (cr, -G_PI / 2);
  show_text_at (cr, 0, 0, 0.5, _("reply latency (ms)"));
  cairo_restore (cr);
}

static void
draw_markers (cairo_t *cr, const Frame *f, const LabPlotData *data)
{
  static const double dash[] = { 6.0, 4.0 };

  for (guint i = 0; i < data->n_markers; i++)
    {
      double x = x_of (f, data->markers[i].offset_us / 1e6);
      /* labels alternate between two rows so that close markers stay legible */
      double y = f->y0 - 8 - (i % 2) * (FONT_SIZE + 2);

      cairo_set_source_rgb (cr, 0.11, 0.35, 0.75);
      cairo_set_line_width (cr, 1.5);
      cairo_set_dash (cr, dash, G_N_ELEMENTS (dash), 0);
      cairo_move_to (cr, x, f->y0);
      cairo_line_to (cr, x, f->y0 + f->h);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
      if (data->markers[i].label != NULL)
        show_text_at (cr, x, y, x > f->x0 + f->w * 0.8 ? 1.0 : 0.0, data->markers[i].label);
    }
}

void
lab_plot_draw (cairo_t *cr, double width, double height, const LabPlotData *data)
{
  Frame f;
  gint64 t0;
  guint n_lost = 0;
  double title_y = FONT_SIZE + 6;

  g_return_if_fail (cr != NULL && data != NULL);

  frame_init (&f, width, height, data);
  t0 = data->n_samples > 0 ? data->samples[0].sent_us : 0;

  cairo_save (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_rectangle (cr, 0, 0, width, height);
  cairo_fill (cr);
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, FONT_SIZE);

  draw_gaps (cr, &f, data, t0);
  draw_axes (cr, &f);

  /* one mark per reply */
  cairo_set_source_rgb (cr, 0.15, 0.55, 0.25);
  for (guint i = 0; i < data->n_samples; i++)
    {
      const LabProbeSample *s = &data->samples[i];

      if (s->received_us == 0)
        {
          n_lost++;
          continue;
        }
      cairo_rectangle (cr, x_of (&f, (s->sent_us - t0) / 1e6) - 1.25,
                       y_of (&f, (s->received_us - s->sent_us) / 1e3) - 1.25, 2.5, 2.5);
    }
  cairo_fill (cr);

  draw_markers (cr, &f, data);

  cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
  if (data->title != NULL)
    {
      cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
      show_text_at (cr, MARGIN_LEFT, title_y, 0.0, data->title);
      cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    }
  {
    g_autofree char *legend = NULL;

    if (data->n_samples == 0)
      legend = g_strdup (_("no pings yet"));
    else
      legend = g_strdup_printf (ngettext ("%u ping, %u lost (shaded)", "%u pings, %u lost (shaded)",
                                          data->n_samples),
                                data->n_samples, n_lost);
    /* under the title, at the right: a long title never covers it */
    show_text_at (cr, width - MARGIN_RIGHT, title_y + FONT_SIZE + 5, 1.0, legend);
  }
  cairo_restore (cr);
}

/* The title and the marker labels as SVG text, after the <svg> start tag:
 * cairo draws text as glyph outlines, which no search or screen reader
 * can read. */
static gboolean
add_svg_text (const LabPlotData *data, const char *path, GError **error)
{
  g_autofree char *svg = NULL;
  g_autoptr(GString) meta = g_string_new (NULL);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *title = g_markup_escape_text (data->title != NULL ? data->title : _("Ping timeline"), -1);
  const char *start, *end;

  if (!g_file_get_contents (path, &svg, NULL, error))
    return FALSE;
  start = strstr (svg, "<svg");
  end = start != NULL ? strchr (start, '>') : NULL;
  if (end == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("cairo wrote no <svg> element to %s"), path);
      return FALSE;
    }
  g_string_append_printf (meta, "\n<title>%s</title>\n<desc>", title);
  for (guint i = 0; i < data->n_markers; i++)
    {
      g_autofree char *label = g_markup_escape_text (data->markers[i].label != NULL ? data->markers[i].label : "", -1);

      g_string_append_printf (meta, "%s%s: %.3f s", i > 0 ? "; " : "", label, data->markers[i].offset_us / 1e6);
    }
  g_string_append (meta, "</desc>");
  g_string_append_len (out, svg, end + 1 - svg);
  g_string_append (out, meta->str);
  g_string_append (out, end + 1);
  return g_file_set_contents (path, out->str, out->len, error);
}

static gboolean
is_svg (const char *path)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);

  return g_str_has_suffix (lower, ".svg");
}

gboolean
lab_plot_check_path (const char *path, GError **error)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);

  if (g_str_has_suffix (lower, ".svg") || g_str_has_suffix (lower, ".png"))
    return TRUE;
  g_set_error (error, LAB_ERROR, LAB_ERROR_USAGE,
               _("Cannot tell the picture format of %s: name the file .svg or .png"), path);
  return FALSE;
}

gboolean
lab_plot_save (const LabPlotData *data, const char *path, GError **error)
{
  gboolean svg = is_svg (path);
  cairo_surface_t *surface;
  cairo_status_t status;
  cairo_t *cr;

  if (!lab_plot_check_path (path, error))
    return FALSE;
  if (svg)
    surface = cairo_svg_surface_create (path, LAB_PLOT_WIDTH, LAB_PLOT_HEIGHT);
  else
    surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, LAB_PLOT_WIDTH, LAB_PLOT_HEIGHT);
  cr = cairo_create (surface);
  lab_plot_draw (cr, LAB_PLOT_WIDTH, LAB_PLOT_HEIGHT, data);
  cairo_destroy (cr);
  if (svg)
    cairo_surface_finish (surface);   /* writes the file */
  status = cairo_surface_status (surface);
  if (!svg && status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_write_to_png (surface, path);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot write the picture %s: %s"), path,
                   cairo_status_to_string (status));
      return FALSE;
    }
  return svg ? add_svg_text (data, path, error) : TRUE;
}
