/* lab-plot.h: the ping timeline of an experiment, drawn with cairo.
 *
 * One drawing for every place that shows it: `labctl experiment migrate
 * --plot FILE` (an SVG or PNG file) and the GUI's experiment page (a
 * GtkDrawingArea's cairo context). It shows the reply latency of each
 * probe (one mark per reply, at its send time), the lost replies as
 * shaded bands, and the phases of the experiment (migration start and
 * end, failover ...) as labelled vertical lines. Axis titles are in the
 * user's language.
 */
#pragma once

#include <cairo.h>
#include <gio/gio.h>

#include "lab-probe.h"

G_BEGIN_DECLS

typedef struct {
  const char *label;       /* shown beside the line */
  gint64      offset_us;   /* from the first sample's send time */
} LabPlotMarker;

typedef struct {
  const LabProbeSample *samples;     /* in send order; may be empty */
  guint                 n_samples;
  const LabPlotMarker  *markers;
  guint                 n_markers;
  const char           *title;       /* may be NULL */
} LabPlotData;

/* The size lab_plot_save() draws at, in pixels (PNG) or points (SVG). */
#define LAB_PLOT_WIDTH  960
#define LAB_PLOT_HEIGHT 480

/* Draws the whole picture into the rectangle (0, 0, width, height) of cr,
 * background included. A series with no sample draws the axes and says so. */
void     lab_plot_draw (cairo_t           *cr,
                        double             width,
                        double             height,
                        const LabPlotData *data);

/* Writes the picture to path: SVG when it ends in .svg, PNG when it ends
 * in .png (case does not matter), any other name is LAB_ERROR_USAGE. The
 * SVG carries the title and the marker labels as text (<title>, <desc>)
 * as well as drawn. */
/* Whether lab_plot_save() can write path (its suffix names a format);
 * otherwise LAB_ERROR_USAGE saying what to name it. */
gboolean lab_plot_check_path (const char *path,
                              GError    **error);
gboolean lab_plot_save (const LabPlotData *data,
                        const char        *path,
                        GError           **error);

G_END_DECLS
