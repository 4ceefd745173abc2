/* dview_lab_plot.h — the lab's loss plot: many curves on one step axis.
 *
 * widget_plot draws up to four series by role over an index axis; the lab
 * needs one curve per method (up to a dozen), each in its own colour, on an
 * axis of training steps with points at arbitrary steps (held-out losses
 * every few steps). Colours are explicit palette entries (the terminal fits
 * them to 8/16 colours); without colour or without UTF-8 each curve is drawn
 * with its own letter at its points, joined by dots, so curves stay
 * distinguishable on a monochrome projector too. */
#ifndef LS_VIEW_DVIEW_LAB_PLOT_H
#define LS_VIEW_DVIEW_LAB_PLOT_H

#include <stdbool.h>

#include "grid.h"
#include "widgets.h"

typedef struct CurveSeries {
    const float *x;     /* (n) x of each point, or NULL: x = x0 + i */
    const float *y;     /* (n) NaN or inf: no point */
    int n;
    float x0;
    int colour;         /* xterm-256 index (-1: the role's colour) */
    Role role;
    char mark;          /* letter at points without colour (0: dots only) */
    int mark_every;     /* mark every k-th point (0 or 1: all) */
    const char *name;   /* legend entry (NULL: none) */
    const float *y_hi;  /* (n) not NULL: a band from y to y_hi, shaded behind
                         * every line (a spread over seeds), not a line */
} CurveSeries;

typedef struct CurveOpts {
    const char *title;   /* first row, left */
    double x_min, x_max; /* the x axis */
    double y_min, y_max; /* both 0: from the data, with a margin */
    const char *x_label; /* under the axis (NULL: none) */
} CurveOpts;

/* Rows the legend takes at width w (the plot draws it under the title). */
int curve_legend_rows(const Grid *g, int w, const CurveSeries *s, int n, const ViewEnv *env);
/* Draw into r: title, legend, plot area, axis, x labels, x_label. */
void curve_plot(Grid *g, Rect r, const CurveSeries *s, int n, const CurveOpts *o, const ViewEnv *env);

#endif
