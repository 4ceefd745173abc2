/* widgets.c — sliders, plots, bars, images, matrices and tables drawn into
 * a Grid (see widgets.h). */
#include "widgets.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "vmem.h"
#include "wrap.h"

/* ---------------------------------------------------------------------------
 * Numbers */

void fmt_count(long long v, char *buf, int size)
{
    char digits[32];
    snprintf(digits, sizeof digits, "%lld", v < 0 ? -v : v);
    int nd = (int)strlen(digits), n = 0;
    char out[48];
    if (v < 0) out[n++] = '-';
    for (int i = 0; i < nd; i++) {
        out[n++] = digits[i];
        if ((nd - 1 - i) % 3 == 0 && i != nd - 1) out[n++] = ',';
    }
    out[n] = 0;
    snprintf(buf, (size_t)size, "%s", out);
}

void fmt_num(double v, int width, char *buf, int size)
{
    if (width < 1) width = 1;
    if (!isfinite(v)) {
        snprintf(buf, (size_t)size, "%s", isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"));
        return;
    }
    if (v == 0) v = 0; /* no "-0" */
    if (fabs(v - nearbyint(v)) < 1e-9 && fabs(v) < 1e9) {
        snprintf(buf, (size_t)size, "%.0f", v);
        if ((int)strlen(buf) <= width) return;
    }
    for (int prec = width; prec >= 1; prec--) {
        snprintf(buf, (size_t)size, "%.*g", prec, v);
        if ((int)strlen(buf) <= width) return;
    }
    snprintf(buf, (size_t)size, "%.0e", v);
}

/* ---------------------------------------------------------------------------
 * Text */

int widget_text_rows(int w, const char *s, bool ascii)
{
    if (w < 1) return 1;
    char *a = ascii ? utf8_to_ascii(s) : NULL;
    Wrap wr = {0};
    WrapSpan sp = {a ? a : s, 0};
    wrap_spans(&wr, &sp, 1, w);
    int n = wr.n_lines;
    wrap_free(&wr);
    free(a);
    return n;
}

int widget_text(Grid *g, int y, int x, int w, const char *s, Role role, int max_rows)
{
    if (w < 1 || max_rows < 1) return 0;
    /* Wrap what the grid will show: in ASCII, "≥" takes two columns. */
    char *a = g->ascii ? utf8_to_ascii(s) : NULL;
    const char *t = a ? a : s;
    Wrap wr = {0};
    WrapSpan sp = {t, 0};
    wrap_spans(&wr, &sp, 1, w);
    int n = wr.n_lines < max_rows ? wr.n_lines : max_rows;
    for (int i = 0; i < n; i++) {
        const WrapLine *l = &wr.lines[i];
        int cx = x;
        for (int k = l->first; k < l->first + l->n; k++) {
            const WrapSeg *sg = &wr.segs[k];
            if (sg->span < 0) cx += grid_put(g, y + i, cx, " ", role, 1);
            else cx += grid_putn(g, y + i, cx, t + sg->off, (size_t)sg->len, role, x + w - cx);
        }
    }
    /* Words that did not fit the rows: count them as cut (layout tests). */
    if (wr.n_lines > max_rows && !g->cuts++) snprintf(g->first_cut, sizeof g->first_cut, "%.63s", t);
    wrap_free(&wr);
    free(a);
    return n;
}

/* ---------------------------------------------------------------------------
 * Slider */

void widget_slider(Grid *g, int y, int x, int w, int label_w, const Slider *s, bool focused,
                   const ViewEnv *env, SliderHit *hit)
{
    char val[48];
    slider_format(s, val, (int)sizeof val);
    if (label_w <= 0) label_w = grid_text_width(g, s->label) + 1;
    int val_w = grid_text_width(g, val) + 1;
    if (val_w < 8) val_w = 8;
    grid_put(g, y, x, focused ? (env->ascii ? "> " : "▶ ") : "  ", ROLE_FOCUS, 2);
    grid_put(g, y, x + 2, s->label, focused ? ROLE_FOCUS : ROLE_LABEL, label_w - 1);
    int tx = x + 2 + label_w;
    int tw = w - 2 - label_w - val_w - 1;
    if (tw < 4) tw = 4;
    int knob = slider_knob_col(s, tw);
    for (int i = 0; i < tw; i++) {
        if (i == knob) grid_put(g, y, tx + i, env->ascii ? "O" : "●", ROLE_KNOB, 1);
        else if (i < knob) grid_put(g, y, tx + i, env->ascii ? "=" : "━", ROLE_FILL, 1);
        else grid_put(g, y, tx + i, env->ascii ? "-" : "─", ROLE_TRACK, 1);
    }
    grid_put(g, y, tx + tw + 1, val, ROLE_VALUE, val_w);
    if (hit) *hit = (SliderHit){y, tx, tw};
}

/* ---------------------------------------------------------------------------
 * Plot: a dot canvas (2 × 4 braille dots per cell, or 1 × 1 in ASCII) */

typedef struct Canvas {
    int cw, ch;            /* cells */
    int dx, dy;            /* dots per cell */
    unsigned char *bits;   /* (ch, cw) braille bits */
    signed char *owner;    /* (ch, cw) series drawn last, -1 = none */
} Canvas;

static void canvas_dot(Canvas *c, int px, int py, int series)
{
    if (px < 0 || py < 0 || px >= c->cw * c->dx || py >= c->ch * c->dy) return;
    int cx = px / c->dx, cy = py / c->dy;
    static const unsigned char bit[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};
    size_t i = (size_t)cy * (size_t)c->cw + (size_t)cx;
    c->bits[i] |= c->dx == 2 ? bit[py % 4][px % 2] : 1;
    c->owner[i] = (signed char)series;
}

static void canvas_line(Canvas *c, int x0, int y0, int x1, int y1, int series)
{
    int dx = abs(x1 - x0), dy = -abs(y1 - y0);
    int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
    for (int guard = 0; guard < 100000; guard++) {
        canvas_dot(c, x0, y0, series);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * err;
        if (e2 >= dy) err += dy, x0 += sx;
        if (e2 <= dx) err += dx, y0 += sy;
    }
}

static const char *const ascii_marks[] = {"*", "o", "+", "x"};

/* "1.2e+06" -> "1.2e6", "1e-05" -> "1e-5": the exponent without '+' or
 * leading zeros, so more labels fit a narrow column. */
static void compact_exponent(char *s)
{
    char *e = strchr(s, 'e');
    if (!e) return;
    char *d = e + 1, *p = e + 1;
    if (*p == '+') p++;
    else if (*p == '-') *d++ = *p++;
    while (*p == '0' && p[1]) p++;
    memmove(d, p, strlen(p) + 1);
}

/* Labels for linear ticks `step` apart: as few decimals as the step needs,
 * or a mantissa and exponent when that is too wide. */
static void linear_labels(PlotAxis *a, double step, int label_w)
{
    int k = (int)floor(log10(step) + 1e-9);
    /* As many decimals as the step has: 0.25 needs two. */
    int decimals = 0;
    for (double m = step; decimals < 12 && fabs(m - nearbyint(m)) > 1e-6 * m; m *= 10) decimals++;
    double maxabs = fmax(fabs(a->lo), fabs(a->hi));
    bool fixed = true;
    for (int i = 0; i < a->n && fixed; i++) {
        double v = fabs(a->at[i]) < step * 1e-6 ? 0 : a->at[i];
        snprintf(a->label[i], PLOT_TICK_LABEL, v == 0 ? "0" : "%.*f", decimals, v);
        fixed = (int)strlen(a->label[i]) <= label_w;
    }
    if (fixed) return;
    int digits = (int)floor(log10(maxabs)) - k;
    if (digits < 0) digits = 0;
    for (int prec = digits > 4 ? 4 : digits;; prec--) {
        bool fits = true;
        for (int i = 0; i < a->n; i++) {
            double v = fabs(a->at[i]) < step * 1e-6 ? 0 : a->at[i];
            snprintf(a->label[i], PLOT_TICK_LABEL, v == 0 ? "0" : "%.*e", prec, v);
            compact_exponent(a->label[i]);
            fits = fits && (int)strlen(a->label[i]) <= label_w;
        }
        if (fits || prec == 0) return;
    }
}

void plot_axis(PlotAxis *a, double lo, double hi, bool log_scale, int max_ticks, int label_w)
{
    if (max_ticks < 2) max_ticks = 2;
    if (max_ticks > PLOT_TICKS_MAX) max_ticks = PLOT_TICKS_MAX;
    if (!isfinite(lo) || !isfinite(hi)) lo = log_scale ? 0.1 : 0, hi = 1;
    if (hi < lo) {
        double t = lo;
        lo = hi, hi = t;
    }
    memset(a, 0, sizeof *a);
    if (log_scale) {
        if (!(lo > 0)) lo = hi > 0 ? hi / 10 : 0.1;
        if (!(hi > 0)) hi = 1;
        int d_lo = (int)floor(log10(lo) + 1e-9), d_hi = (int)ceil(log10(hi) - 1e-9);
        if (d_hi <= d_lo) d_hi = d_lo + 1;
        int stride = (d_hi - d_lo + max_ticks - 2) / (max_ticks - 1);
        d_lo = d_hi - stride * ((d_hi - d_lo + stride - 1) / stride);
        a->lo = pow(10, d_lo), a->hi = pow(10, d_hi);
        for (int e = d_lo; e <= d_hi; e += stride, a->n++) {
            a->at[a->n] = pow(10, e);
            if (e >= -3 && e <= 4) snprintf(a->label[a->n], PLOT_TICK_LABEL, "%.*f", e < 0 ? -e : 0, a->at[a->n]);
            else snprintf(a->label[a->n], PLOT_TICK_LABEL, "1e%d", e);
        }
        return;
    }
    if (hi == lo) {
        double d = lo == 0 ? 1 : fabs(lo) * 0.1;
        lo -= lo == 0 ? 0 : d, hi += d;
    }
    /* The smallest step of 1, 2, 2.5 or 5 × 10^k whose rounded-out ends
     * need at most max_ticks ticks. */
    static const double mant[] = {1, 2, 2.5, 5, 10, 20};
    int k = (int)floor(log10((hi - lo) / (max_ticks - 1)));
    double step = 0, a_lo = 0, a_hi = 0;
    for (int m = 0; m < (int)(sizeof mant / sizeof mant[0]); m++) {
        step = mant[m] * pow(10, k);
        a_lo = floor(lo / step + 1e-9) * step;
        a_hi = ceil(hi / step - 1e-9) * step;
        if (a_lo > lo) a_lo -= step; /* the tolerance must never cut data off */
        if (a_hi < hi) a_hi += step;
        if ((int)lround((a_hi - a_lo) / step) + 1 <= max_ticks) break;
    }
    a->lo = a_lo, a->hi = a_hi;
    a->n = (int)lround((a_hi - a_lo) / step) + 1;
    if (a->n > PLOT_TICKS_MAX) a->n = PLOT_TICKS_MAX;
    for (int i = 0; i < a->n; i++) a->at[i] = i + 1 == a->n ? a_hi : a_lo + i * step;
    linear_labels(a, step, label_w);
}

void widget_plot(Grid *g, Rect r, const PlotSeries *series, int n_series, const PlotOpts *o,
                 const ViewEnv *env)
{
    const int yl_w = 9; /* y tick labels */
    if (r.w < yl_w + 8 || r.h < 5) return;
    /* Data range. */
    int nmax = 1;
    double lo = INFINITY, hi = -INFINITY, lo_pos = INFINITY;
    for (int s = 0; s < n_series; s++) {
        if (series[s].n > nmax) nmax = series[s].n;
        for (int i = 0; i < series[s].n; i++) {
            double v = series[s].y[i];
            if (!isfinite(v)) continue;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
            if (v > 0 && v < lo_pos) lo_pos = v;
        }
    }
    bool given = o->y_min != 0 || o->y_max != 0;
    if (given) lo = o->y_min, hi = o->y_max, lo_pos = o->y_min;
    if (!isfinite(lo)) lo = 0, hi = 1, lo_pos = 1;
    if (o->log_y) {
        /* Values ≤ 0 cannot be shown; more than 12 decades below the top
         * are drawn at the bottom. */
        if (!isfinite(lo_pos) || lo_pos <= 0) lo_pos = hi > 0 ? hi * 1e-6 : 1e-6;
        if (hi <= 0) hi = 1;
        lo = hi / lo_pos > 1e12 ? hi * 1e-12 : lo_pos;
    } else if (!given) {
        if (lo > 0 && lo < hi / 3) lo = 0;
        if (hi < 0 && hi > lo / 3) hi = 0;
    }
    /* Rows: title/legend, plot, axis, x label. */
    int top = r.y + 1, ph = r.h - 3 - (o->x_label ? 1 : 0);
    int left = r.x + yl_w, pw = r.w - yl_w - 1;
    if (ph < 2) return;
    Canvas c = {pw, ph, env->ascii ? 1 : 2, env->ascii ? 1 : 4, NULL, NULL};
    c.bits = vmem_alloc((size_t)pw * (size_t)ph);
    c.owner = vmem_alloc((size_t)pw * (size_t)ph);
    memset(c.owner, -1, (size_t)pw * (size_t)ph);
    int W = pw * c.dx, H = ph * c.dy;
    /* Ticks a row apart at least, so that their labels never touch. */
    int max_ticks = 1 + (ph - 1) / 2;
    PlotAxis ax;
    plot_axis(&ax, lo, hi, o->log_y, max_ticks > 6 ? 6 : max_ticks, yl_w - 2);
    lo = ax.lo, hi = ax.hi;
    double llo = o->log_y ? log10(lo) : lo, lhi = o->log_y ? log10(hi) : hi;
#define MAPY(v) ((int)lround((H - 1) * (1.0 - ((o->log_y ? log10((v) > lo ? (v) : lo) : (v)) - llo) / (lhi - llo))))
#define MAPX(i) (nmax > 1 ? (int)lround((double)(i) * (W - 1) / (nmax - 1)) : 0)
    for (int s = 0; s < n_series; s++) {
        int px = -1, py = -1;
        for (int i = 0; i < series[s].n; i++) {
            double v = series[s].y[i];
            if (!isfinite(v)) continue;
            int x = MAPX(i), y = MAPY(v);
            if (y < 0) y = 0;
            if (y > H - 1) y = H - 1;
            if (px >= 0) canvas_line(&c, px, py, x, y, s);
            else canvas_dot(&c, x, y, s);
            px = x, py = y;
        }
    }
    /* Cells: dots, then the cut-off and the horizontal line in empty cells. */
    int cut_col = -1, hl_row = -1;
    if (o->cutoff_x >= 1 && o->cutoff_x <= nmax) cut_col = MAPX(o->cutoff_x - 1) / c.dx;
    if (isfinite(o->hline_y) && (!o->log_y || o->hline_y > 0) && o->hline_y >= lo && o->hline_y <= hi)
        hl_row = MAPY(o->hline_y) / c.dy;
    for (int cy = 0; cy < ph; cy++)
        for (int cx = 0; cx < pw; cx++) {
            size_t i = (size_t)cy * (size_t)pw + (size_t)cx;
            if (c.bits[i]) {
                int s = c.owner[i];
                Role role = series[s].role;
                if (env->ascii) {
                    grid_put(g, top + cy, left + cx, ascii_marks[s % 4], role, 1);
                } else {
                    char u[4];
                    int n = utf8_encode(0x2800 + c.bits[i], u);
                    grid_putn(g, top + cy, left + cx, u, (size_t)n, role, 1);
                }
            } else if (cx == cut_col) {
                grid_put(g, top + cy, left + cx, env->ascii ? "|" : "│", ROLE_CUTOFF, 1);
            } else if (cy == hl_row) {
                grid_put(g, top + cy, left + cx, env->ascii ? "-" : "╌", ROLE_WARN, 1);
            }
        }
    /* Axes and ticks. */
    for (int cy = 0; cy < ph; cy++) grid_put(g, top + cy, left - 1, env->ascii ? "|" : "│", ROLE_AXIS, 1);
    grid_put(g, top + ph, left - 1, env->ascii ? "+" : "└", ROLE_AXIS, 1);
    for (int cx = 0; cx < pw; cx++) grid_put(g, top + ph, left + cx, env->ascii ? "-" : "─", ROLE_AXIS, 1);
    for (int t = 0; t < ax.n; t++) {
        int row = MAPY(ax.at[t]) / c.dy;
        if (row < 0) row = 0;
        if (row > ph - 1) row = ph - 1;
        int bw = (int)strlen(ax.label[t]);
        grid_put(g, top + row, left - 2 - bw, ax.label[t], ROLE_AXIS, yl_w - 2);
        grid_put(g, top + row, left - 1, env->ascii ? "+" : "┤", ROLE_AXIS, 1);
    }
    char xb[32];
    grid_put(g, top + ph + 1, left, "1", ROLE_AXIS, 4);
    snprintf(xb, sizeof xb, "%d", nmax);
    grid_put(g, top + ph + 1, left + pw - (int)strlen(xb), xb, ROLE_AXIS, -1);
    if (nmax > 4) {
        snprintf(xb, sizeof xb, "%d", (nmax + 1) / 2);
        grid_put(g, top + ph + 1, left + MAPX((nmax + 1) / 2 - 1) / c.dx - (int)strlen(xb) / 2, xb,
                 ROLE_AXIS, -1);
    }
    if (o->x_label) grid_put(g, top + ph + 2, left, o->x_label, ROLE_DIM, pw);
    if (cut_col >= 0 && o->cutoff_label) {
        int lw = grid_text_width(g, o->cutoff_label);
        int lx = left + cut_col + 1;
        if (lx + lw > left + pw) lx = left + cut_col - lw;
        grid_put(g, top, lx, o->cutoff_label, ROLE_CUTOFF, lw);
    }
    if (hl_row >= 0 && o->hline_label) {
        int lw = grid_text_width(g, o->hline_label);
        grid_put(g, top + hl_row, left + pw - lw, o->hline_label, ROLE_WARN, lw);
    }
    /* Title and legend on the first row. */
    int used = o->title ? grid_put(g, r.y, r.x, o->title, ROLE_LABEL, r.w) : 0;
    int lw = 0;
    /* Each entry is "■ name" and three blanks before the next. */
    for (int s = 0; s < n_series; s++) lw += (s ? 3 : 0) + 2 + grid_text_width(g, series[s].name ? series[s].name : "");
    int lx = r.x + r.w - lw;
    if (lx < r.x + used + 2) lx = r.x + used + 2;
    for (int s = 0; s < n_series; s++) {
        lx += grid_put(g, r.y, lx, env->ascii ? ascii_marks[s % 4] : "■", series[s].role, 1);
        lx += grid_put(g, r.y, lx, " ", ROLE_TEXT, 1);
        lx += grid_put(g, r.y, lx, series[s].name ? series[s].name : "", ROLE_LABEL, r.x + r.w - lx);
        lx += 3;
    }
#undef MAPX
#undef MAPY
    free(c.bits);
    free(c.owner);
}

/* ---------------------------------------------------------------------------
 * Horizontal bars */

static const char *const eighths[8] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};

void widget_hbars(Grid *g, Rect r, const HBar *bars, int n, double max, bool log, int decades,
                  double marker, const char *marker_label, const ViewEnv *env)
{
    int lab_w = 0, txt_w = 0;
    char txt[16][96]; /* room for a caller's whole text: never cut it here */
    if (n > 16) n = 16;
    for (int i = 0; i < n; i++) {
        int w = grid_text_width(g, bars[i].label ? bars[i].label : "");
        if (w > lab_w) lab_w = w;
        if (bars[i].text) snprintf(txt[i], sizeof txt[i], "%s", bars[i].text);
        else fmt_num(bars[i].value, 9, txt[i], (int)sizeof txt[i]);
        w = grid_text_width(g, txt[i]);
        if (w > txt_w) txt_w = w;
        if (max <= 0 || bars[i].value > max) max = max > bars[i].value ? max : bars[i].value;
    }
    if (max <= 0) max = 1;
    if (decades < 1) decades = 6;
    int bw = r.w - lab_w - txt_w - 3;
    if (bw < 4) bw = 4;
    int bx = r.x + lab_w + 1;
    /* Fraction of the bar for value v. */
#define FRAC(v) (log ? ((v) <= 0 ? 0.0 : fmax(0.0, 1.0 + log10((v) / max) / decades)) : fmax(0.0, (v) / max))
    int mcol = -1;
    if (marker > 0) {
        double f = FRAC(marker);
        if (f <= 1) mcol = (int)lround(f * (bw - 1));
    }
    for (int i = 0; i < n && i < r.h; i++) {
        int y = r.y + i;
        grid_put(g, y, r.x, bars[i].label ? bars[i].label : "", ROLE_LABEL, lab_w);
        double f = FRAC(bars[i].value);
        if (f > 1) f = 1;
        int eighth = (int)lround(f * bw * 8);
        int full = eighth / 8, part = eighth % 8;
        for (int k = 0; k < bw; k++) {
            const char *ch = NULL;
            Role role = bars[i].role;
            if (k < full) ch = env->ascii ? "#" : "█";
            else if (k == full && part) ch = env->ascii ? (part >= 4 ? "#" : "") : eighths[part];
            if (k == mcol && (!ch || !ch[0])) {
                grid_put(g, y, bx + k, env->ascii ? ":" : "┆", ROLE_CUTOFF, 1);
                continue;
            }
            if (ch && ch[0]) grid_put(g, y, bx + k, ch, role, 1);
        }
        grid_put(g, y, bx + bw + 1, txt[i], ROLE_VALUE, txt_w + 1);
    }
    if (mcol >= 0 && marker_label && n < r.h) {
        int lw = grid_text_width(g, marker_label);
        int lx = bx + mcol - lw / 2;
        if (lx + lw > r.x + r.w) lx = r.x + r.w - lw;
        if (lx < bx) lx = bx;
        grid_put(g, r.y + n, lx, marker_label, ROLE_CUTOFF, lw);
    }
#undef FRAC
}

/* ---------------------------------------------------------------------------
 * Image */

/* Mean of the source box [y0, y1) × [x0, x1), mapped to 0..1. */
static float box_mean(const float *px, int stride, double y0, double y1, double x0, double x1,
                      int rows, int cols, float lo, float hi)
{
    int iy0 = (int)y0, iy1 = (int)ceil(y1), ix0 = (int)x0, ix1 = (int)ceil(x1);
    if (iy1 <= iy0) iy1 = iy0 + 1;
    if (ix1 <= ix0) ix1 = ix0 + 1;
    if (iy1 > rows) iy1 = rows;
    if (ix1 > cols) ix1 = cols;
    double sum = 0;
    int cnt = 0;
    for (int y = iy0; y < iy1; y++)
        for (int x = ix0; x < ix1; x++) {
            sum += px[(size_t)y * (size_t)stride + (size_t)x];
            cnt++;
        }
    float v = cnt ? (float)(sum / cnt) : 0.0f;
    v = (v - lo) / (hi - lo);
    if (!(v > 0)) v = 0;
    if (v > 1) v = 1;
    return v;
}

static int gray_colour(float v, ColourMode mode)
{
    if (mode == CMODE_RGB) {
        int q = (int)lroundf(v * 63.0f);  /* 64 levels keep the pair count small */
        int c = q * 255 / 63;
        return GRID_RGB(c, c, c);
    }
    return theme_gray256(v);
}

Rect widget_image(Grid *g, Rect r, const float *px, int rows, int cols, int stride, float lo,
                  float hi, const ViewEnv *env)
{
    if (r.w < 1 || r.h < 1 || rows < 1 || cols < 1) return (Rect){r.y, r.x, 0, 0};
    if (hi <= lo) hi = lo + 1;
    bool halves = !env->ascii && env->colour >= CMODE_256;
    /* Output pixels per cell: 1 × 2 (half blocks, or two averaged for ramps). */
    double scale = fmax((double)cols / r.w, (double)rows / (2.0 * r.h));
    int out_w = (int)lround(cols / scale), out_hp = (int)lround(rows / scale);
    if (out_w < 1) out_w = 1;
    if (out_w > r.w) out_w = r.w;
    if (out_hp < 1) out_hp = 1;
    if (out_hp > 2 * r.h) out_hp = 2 * r.h;
    int out_h = (out_hp + 1) / 2;
    static const char *const shades[5] = {" ", "░", "▒", "▓", "█"};
    static const char ramp[] = " .:-=+*#%@";
    for (int cy = 0; cy < out_h; cy++)
        for (int cx = 0; cx < out_w; cx++) {
            double x0 = cx * scale, x1 = (cx + 1) * scale;
            double y0 = 2 * cy * scale, ym = (2 * cy + 1) * scale, y1 = (2 * cy + 2) * scale;
            float top = box_mean(px, stride, y0, ym, x0, x1, rows, cols, lo, hi);
            float bot = 2 * cy + 1 < out_hp ? box_mean(px, stride, ym, y1, x0, x1, rows, cols, lo, hi) : top;
            int y = r.y + cy, x = r.x + cx;
            if (halves) {
                grid_put(g, y, x, "▀", ROLE_TEXT, 1);
                grid_colour(g, y, x, gray_colour(top, env->colour),
                            2 * cy + 1 < out_hp ? gray_colour(bot, env->colour) : -1);
            } else if (!env->ascii) {
                float v = 0.5f * (top + bot);
                grid_put(g, y, x, shades[(int)lroundf(v * 4)], ROLE_TEXT, 1);
            } else {
                float v = 0.5f * (top + bot);
                char ch[2] = {ramp[(int)lroundf(v * 9)], 0};
                grid_put(g, y, x, ch, ROLE_TEXT, 1);
            }
        }
    if (g->pixels) {
        /* Every pixel, for a terminal that can show them over these cells. */
        unsigned char *gray = vmem_alloc((size_t)rows * (size_t)cols);
        for (int y = 0; y < rows; y++)
            for (int x = 0; x < cols; x++) {
                float v = (px[(size_t)y * (size_t)stride + (size_t)x] - lo) / (hi - lo);
                v = v < 0 || v != v ? 0 : (v > 1 ? 1 : v);
                gray[(size_t)y * (size_t)cols + (size_t)x] = (unsigned char)lroundf(v * 255);
            }
        grid_add_image(g, (Rect){r.y, r.x, out_h, out_w}, gray, cols, rows);
        free(gray);
    }
    return (Rect){r.y, r.x, out_h, out_w};
}

/* ---------------------------------------------------------------------------
 * Matrix */

/* Diverging backgrounds: dark to bright, for negative and positive values. */
static const short heat_neg[5] = {17, 18, 19, 20, 21};
static const short heat_pos[5] = {52, 88, 124, 160, 196};

Rect widget_matrix(Grid *g, int y, int x, const double *a, int rows, int cols,
                   const MatrixViewOpts *o, const ViewEnv *env)
{
    int cw = o->cell_w > 0 ? o->cell_w : 7;
    double scale = o->scale;
    if (scale <= 0)
        for (int i = 0; i < rows * cols; i++) scale = fmax(scale, fabs(a[i]));
    if (scale <= 0) scale = 1;
    int width = cols * cw + 4;
    for (int i = 0; i < rows; i++) {
        const char *lb, *rb;
        if (env->ascii) lb = "[", rb = "]";
        else if (rows == 1) lb = "[", rb = "]";
        else if (i == 0) lb = "⎡", rb = "⎤";
        else if (i == rows - 1) lb = "⎣", rb = "⎦";
        else lb = "⎢", rb = "⎥";
        bool hl = i == o->hl_row1 || i == o->hl_row2;
        Role br = o->focused ? ROLE_FOCUS : ROLE_FRAME;
        grid_put(g, y + i, x, lb, br, 1);
        grid_put(g, y + i, x + width - 1, rb, br, 1);
        if (hl) grid_put(g, y + i, x + width, env->ascii ? " <" : " ◀", ROLE_CUTOFF, 2);
        for (int j = 0; j < cols; j++) {
            double v = a[(size_t)i * (size_t)cols + (size_t)j];
            bool cur = i == o->cur_i && j == o->cur_j;
            bool piv = false;
            for (int p = 0; p < o->n_pivots; p++)
                if (p == i && o->pivot_cols[p] == j) piv = true;
            char num[32];
            if (cur && o->edit) snprintf(num, sizeof num, "%s_", o->edit);
            else fmt_num(v, cw - 1, num, (int)sizeof num);
            int cx = x + 2 + j * cw;
            int nw = grid_text_width(g, num);
            Role role = piv ? ROLE_GOOD : (hl ? ROLE_STRONG : ROLE_VALUE);
            if (v == 0 && !piv && !cur) role = ROLE_DIM;
            /* Right-aligned in its cell, one blank before. */
            grid_put(g, y + i, cx + cw - 1 - nw, num, role, cw);
            if (cur) {
                grid_recolour(g, (Rect){y + i, cx, 1, cw}, o->focused ? ROLE_SELECTED : ROLE_MATCH);
            } else if (o->heat && env->colour >= CMODE_256 && v != 0) {
                double t = fabs(v) / scale;
                int lvl = (int)fmin(4, floor(t * 5));
                short bg = v < 0 ? heat_neg[lvl] : heat_pos[lvl];
                for (int k = 0; k < cw; k++) grid_colour(g, y + i, cx + k, piv ? 46 : 231, bg);
            }
        }
    }
    return (Rect){y, x, rows, width};
}

bool widget_matrix_hit(Rect at, int rows, int cols, int cell_w, int y, int x, int *i, int *j)
{
    int cw = cell_w > 0 ? cell_w : 7;
    int ii = y - at.y, jj = (x - at.x - 2);
    if (ii < 0 || ii >= rows || jj < 0) return false;
    jj /= cw;
    if (jj >= cols) return false;
    *i = ii;
    *j = jj;
    return true;
}

/* ---------------------------------------------------------------------------
 * Table */

int widget_table(Grid *g, int y, int x, int w, const char *const *cells, int rows, int cols,
                 int highlight_row, const ViewEnv *env)
{
    (void)env;
    if (cols < 1 || rows < 1) return 0;
    int *cwid = vmem_array((size_t)cols, sizeof(int));
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            int cwv = grid_text_width(g, cells[r * cols + c] ? cells[r * cols + c] : "");
            if (cwv > cwid[c]) cwid[c] = cwv;
        }
    int total = 0;
    for (int c = 0; c < cols; c++) total += cwid[c] + 3;
    if (total > w) total = w;
    int row_y = y;
    for (int r = 0; r < rows; r++) {
        int cx = x;
        Role role = r == 0 ? ROLE_HEADING : ROLE_TEXT;
        for (int c = 0; c < cols; c++) {
            const char *t = cells[r * cols + c] ? cells[r * cols + c] : "";
            int tw = grid_text_width(g, t);
            int off = c == 0 ? 0 : cwid[c] - tw;
            Role cr = role;
            if (r > 0 && c > 0) cr = ROLE_VALUE;
            grid_put(g, row_y, cx + off, t, cr, x + w - cx - off);
            cx += cwid[c] + 3;
        }
        if (r == highlight_row) grid_recolour(g, (Rect){row_y, x, 1, total}, ROLE_SELECTED);
        row_y++;
        if (r == 0) {
            grid_hline(g, row_y, x, total, ROLE_RULE);
            row_y++;
        }
    }
    free(cwid);
    return row_y - y;
}

/* ---------------------------------------------------------------------------
 * Choice */

void widget_choice(Grid *g, int y, int x, int w, int label_w, const char *label,
                   const char *const *options, int n, int sel, bool focused, bool disabled,
                   const ViewEnv *env, ChoiceHit *hit)
{
    if (n > CHOICE_MAX) n = CHOICE_MAX;
    if (label_w <= 0) label_w = grid_text_width(g, label) + 1;
    grid_put(g, y, x, focused ? (env->ascii ? "> " : "▶ ") : "  ", ROLE_FOCUS, 2);
    grid_put(g, y, x + 2, label, focused ? ROLE_FOCUS : ROLE_LABEL, label_w - 1);
    int cx = x + 2 + label_w, end = x + w;
    if (hit) {
        hit->y = y;
        hit->n = 0;
    }
    for (int i = 0; i < n; i++) {
        int ow = grid_text_width(g, options[i]);
        if (cx + ow + 2 > end) break;
        bool on = i == sel;
        Role r = disabled ? ROLE_DIM : on ? (focused ? ROLE_SELECTED : ROLE_VALUE) : ROLE_LABEL;
        grid_put(g, y, cx, on ? "[" : " ", r, 1);
        grid_put(g, y, cx + 1, options[i], r, ow);
        grid_put(g, y, cx + 1 + ow, on ? "]" : " ", r, 1);
        if (hit) {
            hit->x[hit->n] = cx;
            hit->w[hit->n] = ow + 2;
            hit->n++;
        }
        cx += ow + 2;
    }
}

int widget_choice_at(const ChoiceHit *hit, int y, int x)
{
    if (!hit || y != hit->y) return -1;
    for (int i = 0; i < hit->n; i++)
        if (x >= hit->x[i] && x < hit->x[i] + hit->w[i]) return i;
    return -1;
}

/* ---------------------------------------------------------------------------
 * Histogram */

enum { HIST_YL_W = 8 };

int widget_histogram_bins(int w)
{
    int b = w - HIST_YL_W - 1;
    return b < 1 ? 1 : b;
}

void widget_histogram(Grid *g, Rect r, const size_t *counts, int bins, double lo, double hi,
                      const HistOpts *o, const ViewEnv *env)
{
    static const char *const eighth[9] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    int bh = r.h - 4;
    int cols = widget_histogram_bins(r.w);
    if (bh < 2 || bins < 1 || !(hi > lo)) return;
    if (bins > cols) bins = cols;
    int left = r.x + HIST_YL_W, top = r.y + 1, axis = top + bh;
    size_t max = 1;
    for (int b = 0; b < bins; b++)
        if (counts[b] > max) max = counts[b];
    /* Which columns hold a mark, and whether they are sparse enough to draw
     * as lines through the bars' empty space. */
    unsigned char *marked = vmem_alloc((size_t)cols);
    int in_view = 0, marked_cols = 0;
    for (int i = 0; o->marks && i < o->n_marks; i++) {
        double t = (o->marks[i] - lo) / (hi - lo);
        if (!(t >= 0 && t <= 1)) continue;
        int c = (int)fmin(bins - 1, floor(t * bins));
        in_view++;
        marked_cols += !marked[c];
        marked[c] = 1;
    }
    bool lines = marked_cols > 0 && marked_cols <= bins / 3;
    for (int b = 0; b < bins; b++) {
        int e = (int)lround((double)counts[b] * bh * 8 / (double)max);
        if (counts[b] > 0 && e == 0) e = 1; /* a lone weight still shows */
        for (int k = 0; k < bh; k++) {
            int y = axis - 1 - k, fill = e - 8 * k;
            if (fill >= 8) grid_put(g, y, left + b, env->ascii ? "#" : "█", ROLE_SERIES1, 1);
            else if (fill > 0) grid_put(g, y, left + b, env->ascii ? (fill >= 4 ? "#" : ".") : eighth[fill], ROLE_SERIES1, 1);
            else if (lines && marked[b]) grid_put(g, y, left + b, env->ascii ? ":" : "┆", ROLE_CUTOFF, 1);
        }
    }
    /* Axis, the marks under it, labels. */
    grid_put(g, axis, left - 1, env->ascii ? "+" : "└", ROLE_AXIS, 1);
    for (int c = 0; c < bins; c++) {
        grid_put(g, axis, left + c, env->ascii ? "-" : "─", ROLE_AXIS, 1);
        if (marked[c]) grid_put(g, axis + 1, left + c, env->ascii ? "^" : "▲", ROLE_CUTOFF, 1);
    }
    for (int k = 0; k < bh; k++) grid_put(g, top + k, left - 1, env->ascii ? "|" : "│", ROLE_AXIS, 1);
    char buf[32];
    fmt_count((long long)max, buf, (int)sizeof buf);
    grid_put(g, top, left - 2 - grid_text_width(g, buf), buf, ROLE_AXIS, HIST_YL_W - 1);
    grid_put(g, axis - 1, left - 3, "0", ROLE_AXIS, 1);
    char l[32], m[32], h[32];
    fmt_num(lo, 8, l, (int)sizeof l);
    fmt_num((lo + hi) / 2, 8, m, (int)sizeof m);
    fmt_num(hi, 8, h, (int)sizeof h);
    int ly = axis + 2;
    grid_put(g, ly, left, l, ROLE_AXIS, -1);
    int mw = grid_text_width(g, m), hw = grid_text_width(g, h);
    grid_put(g, ly, left + bins / 2 - mw / 2, m, ROLE_AXIS, -1);
    grid_put(g, ly, left + bins - hw, h, ROLE_AXIS, -1);
    /* Title and legend. */
    int used = o->title ? grid_put(g, r.y, r.x, o->title, ROLE_LABEL, r.w) : 0;
    int lx = r.x + used + 3;
    /* Entries are "■ name" three blanks apart; when both do not fit beside
     * the title the bars' entry goes (the title says what they count), and
     * an entry that still does not fit is left out rather than cut. */
    int bar_w = o->bar_name ? 2 + grid_text_width(g, o->bar_name) + 3 : 0;
    int mark_w = o->mark_name && in_view ? 2 + grid_text_width(g, o->mark_name) : 0;
    bool show_bar = bar_w && lx + bar_w + mark_w <= r.x + r.w;
    bool show_mark = mark_w && lx + (show_bar ? bar_w : 0) + mark_w <= r.x + r.w;
    if (show_bar) {
        lx += grid_put(g, r.y, lx, env->ascii ? "#" : "█", ROLE_SERIES1, 1);
        lx += grid_put(g, r.y, lx, " ", ROLE_TEXT, 1);
        lx += grid_put(g, r.y, lx, o->bar_name, ROLE_LABEL, r.x + r.w - lx) + 3;
    }
    if (show_mark) {
        lx += grid_put(g, r.y, lx, env->ascii ? "^" : "▲", ROLE_CUTOFF, 1);
        lx += grid_put(g, r.y, lx, " ", ROLE_TEXT, 1);
        lx += grid_put(g, r.y, lx, o->mark_name, ROLE_LABEL, r.x + r.w - lx);
    }
    /* The note right-aligned on the same row, when it fits. */
    if (o->note) {
        int nw = grid_text_width(g, o->note);
        if (r.x + r.w - nw >= lx + 2) grid_put(g, r.y, r.x + r.w - nw, o->note, ROLE_WARN, nw);
    }
    free(marked);
}
