/* widgets.h — drawing demo results into a Grid.
 *
 * Widgets only draw numbers a demo already computed (they never call BLAS
 * or decompose anything): a slider, a line plot with several series, a
 * legend and a log axis (braille dots, or ASCII markers), horizontal bars,
 * a grayscale image (half blocks ▀ with 256-colour or direct-colour grays,
 * shades or an ASCII ramp otherwise), a matrix as a heatmap with numbers
 * (also the editable grid), and a table. Every widget clips to the
 * rectangle it is given. */
#ifndef LS_VIEW_WIDGETS_H
#define LS_VIEW_WIDGETS_H

#include <stdbool.h>

#include "grid.h"
#include "slider.h"
#include "theme.h"

typedef enum ColourMode {
    CMODE_NONE,   /* NO_COLOR or a monochrome terminal: attributes only */
    CMODE_BASIC,  /* 8 or 16 colours */
    CMODE_256,    /* the xterm palette */
    CMODE_RGB,    /* direct colour (COLORTERM=truecolor and a terminal with RGB) */
} ColourMode;

/* What the terminal can show; widgets pick characters and colours by it. */
typedef struct ViewEnv {
    bool ascii;          /* no UTF-8 locale: ASCII characters only */
    ColourMode colour;
} ViewEnv;

/* ---------------------------------------------------------------------------
 * Slider:  ▶ rank k  ━━━━━━━━━━●──────────────  12 */

/* Where the track landed, for the mouse. */
typedef struct SliderHit {
    int y, x, w;   /* track row, first column, width (in grid coordinates) */
} SliderHit;

/* Draw s in one row of width w. The label column is label_w wide (0 =
 * fit the label). hit may be NULL. */
void widget_slider(Grid *g, int y, int x, int w, int label_w, const Slider *s, bool focused,
                   const ViewEnv *env, SliderHit *hit);

/* ---------------------------------------------------------------------------
 * Line plot */

typedef struct PlotSeries {
    const float *y;    /* (n) values */
    int n;
    Role role;         /* ROLE_SERIES1.. */
    const char *name;  /* for the legend */
} PlotSeries;

typedef struct PlotOpts {
    const char *title;   /* left of the legend row, may be NULL */
    bool log_y;          /* logarithmic y axis */
    double y_min, y_max; /* both 0: from the data */
    double cutoff_x;     /* a vertical line at this x (1-based index); <= 0: none */
    const char *cutoff_label;
    double hline_y;      /* a horizontal line at this y; <= 0 on log axes / NaN: none */
    const char *hline_label;
    const char *x_label; /* under the axis, may be NULL */
} PlotOpts;

/* A y axis: its ends and its ticks. */
enum { PLOT_TICKS_MAX = 8, PLOT_TICK_LABEL = 16 };
typedef struct PlotAxis {
    double lo, hi;                  /* the ends: lo ≤ every value covered ≤ hi */
    int n;                          /* ticks, lo first and hi last */
    double at[PLOT_TICKS_MAX];
    char label[PLOT_TICKS_MAX][PLOT_TICK_LABEL];
} PlotAxis;

/* Ticks covering the values [lo, hi] with at most max_ticks (2..8) ticks and
 * labels at most label_w columns wide. Linear: steps of 1, 2, 2.5 or 5 × 10^k, the
 * ends rounded outward to a step (a single value gets a range around it).
 * Log: powers of ten, every decade or every few. Non-finite ends fall back to
 * [0, 1] (log: [0.1, 1]); on a log axis lo must be > 0. */
void plot_axis(PlotAxis *a, double lo, double hi, bool log_scale, int max_ticks, int label_w);

/* x runs over 1..max n (the index, as for singular values σ₁, σ₂, …). The y
 * axis covers the data (or [y_min, y_max]) with plot_axis's ticks; a linear
 * axis starts at 0 when the data are all positive and 0 is near them. */
void widget_plot(Grid *g, Rect r, const PlotSeries *series, int n_series, const PlotOpts *o,
                 const ViewEnv *env);

/* ---------------------------------------------------------------------------
 * Horizontal bars:  σ₁ ████████████▍ 12.4 */

typedef struct HBar {
    const char *label;
    double value;
    Role role;
    const char *text;   /* shown after the bar (NULL: the value) */
} HBar;

/* Bars scaled to max (0 = the largest value); log scales by log10 over
 * `decades` decades below max. marker > 0 draws a ┆ at that value (a
 * tolerance), labelled marker_label in the first row. */
void widget_hbars(Grid *g, Rect r, const HBar *bars, int n, double max, bool log, int decades,
                  double marker, const char *marker_label, const ViewEnv *env);

/* ---------------------------------------------------------------------------
 * Image */

/* Draw a grayscale image (rows × cols floats, stride floats per row) into
 * r, keeping its aspect ratio (a cell is one pixel wide and two tall).
 * Values map linearly from [lo, hi] to black..white. Returns the rectangle
 * actually covered. */
Rect widget_image(Grid *g, Rect r, const float *px, int rows, int cols, int stride, float lo,
                  float hi, const ViewEnv *env);

/* ---------------------------------------------------------------------------
 * Matrix as a heatmap with numbers (also the editable grid) */

typedef struct MatrixViewOpts {
    int cell_w;          /* columns per number (0 = 7) */
    bool heat;           /* colour cells by value (when colours exist) */
    double scale;        /* |value| of the strongest colour (0 = max |a|) */
    int cur_i, cur_j;    /* cursor cell, -1 = none */
    const char *edit;    /* text being typed in the cursor cell, or NULL */
    int hl_row1, hl_row2;/* rows to highlight (-1 = none) */
    const int *pivot_cols; /* (n_pivots) pivot of row p is at (p, pivot_cols[p]) */
    int n_pivots;
    bool focused;
} MatrixViewOpts;

/* Draw at (y, x); returns the rectangle used (rows × (cols·cell_w + 4)). */
Rect widget_matrix(Grid *g, int y, int x, const double *a, int rows, int cols,
                   const MatrixViewOpts *o, const ViewEnv *env);
/* The cell under (y, x) of a matrix drawn at `at`; false when outside. */
bool widget_matrix_hit(Rect at, int rows, int cols, int cell_w, int y, int x, int *i, int *j);

/* ---------------------------------------------------------------------------
 * Table */

/* cells is rows × cols strings, row-major; row 0 is the header. Columns
 * after the first are right-aligned. highlight_row (>= 1) is drawn
 * selected. Returns the rows used. */
int widget_table(Grid *g, int y, int x, int w, const char *const *cells, int rows, int cols,
                 int highlight_row, const ViewEnv *env);

/* ---------------------------------------------------------------------------
 * Choice: one of a few words   ▶ scheme   int  q8_0 [q4_0] nf4  nf4-dq */

enum { CHOICE_MAX = 16 };

/* Where each option landed, for the mouse. */
typedef struct ChoiceHit {
    int y, n;
    int x[CHOICE_MAX], w[CHOICE_MAX];
} ChoiceHit;

/* Draw options[0..n) in one row after a label column label_w wide (0 = fit
 * the label); option `sel` is bracketed (so it shows without colour; -1 =
 * none), dimmed when disabled. hit may be NULL. */
void widget_choice(Grid *g, int y, int x, int w, int label_w, const char *label,
                   const char *const *options, int n, int sel, bool focused, bool disabled,
                   const ViewEnv *env, ChoiceHit *hit);
/* The option at (y, x) of a choice drawn with hit, or -1. */
int widget_choice_at(const ChoiceHit *hit, int y, int x);

/* ---------------------------------------------------------------------------
 * Histogram: counts as vertical bars over [lo, hi], one column per bin, with
 * marks (quantization levels, say) drawn over it */

typedef struct HistOpts {
    const char *title;      /* first row, left */
    const char *bar_name;   /* legend for the bars (may be NULL) */
    const char *mark_name;  /* legend for the marks (may be NULL) */
    const float *marks;     /* (n_marks) x values to mark */
    int n_marks;
    const char *note;       /* right end of the first row, e.g. "4 beyond" (may be NULL) */
} HistOpts;

/* The number of bins a histogram drawn in a rectangle w wide shows (one per
 * column): ask the demo for this many counts. */
int widget_histogram_bins(int w);
/* Rows: title, bars (r.h − 4), axis, marks, x labels. counts has
 * widget_histogram_bins(r.w) entries (fewer are drawn left-aligned). */
void widget_histogram(Grid *g, Rect r, const size_t *counts, int bins, double lo, double hi,
                      const HistOpts *o, const ViewEnv *env);

/* ---------------------------------------------------------------------------
 * Text: a sentence word-wrapped into at most max_rows rows of width w
 * (a view reserves the rows; the words beyond them are dropped, never cut
 * mid-word). Returns the rows used. */
int widget_text(Grid *g, int y, int x, int w, const char *s, Role role, int max_rows);
/* The rows widget_text needs for s at width w (ascii: in an ASCII grid). */
int widget_text_rows(int w, const char *s, bool ascii);

/* ---------------------------------------------------------------------------
 * Number formatting shared by the views */

/* 16777216 -> "16,777,216". */
void fmt_count(long long v, char *buf, int size);
/* A number in at most `width` columns: integers plainly, else %g-style. */
void fmt_num(double v, int width, char *buf, int size);

#endif
