/* dview_lab_plot.c — many coloured curves over training steps (see
 * dview_lab_plot.h). */
#include "dview_lab_plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "vmem.h"

/* Letters instead of colours: no UTF-8 braille or no colour at all. */
static bool mark_mode(const ViewEnv *env)
{
    return env->ascii || env->colour == CMODE_NONE;
}

static bool entry_listed(const CurveSeries *s)
{
    return s->name && s->name[0];
}

/* Width of one legend entry: "■ name" or "F name". */
static int entry_w(const Grid *g, const CurveSeries *s)
{
    return 2 + grid_text_width(g, s->name);
}

int curve_legend_rows(const Grid *g, int w, const CurveSeries *s, int n, const ViewEnv *env)
{
    (void)env;
    int rows = 0, x = w;
    for (int i = 0; i < n; i++) {
        if (!entry_listed(&s[i])) continue;
        int ew = entry_w(g, &s[i]);
        if (x + ew > w) {
            rows++;
            x = 0;
        }
        x += ew + 3;
    }
    return rows;
}

static void draw_legend(Grid *g, int y, int x0, int w, const CurveSeries *s, int n, const ViewEnv *env)
{
    int x = x0 + w, row = y - 1;
    for (int i = 0; i < n; i++) {
        if (!entry_listed(&s[i])) continue;
        int ew = entry_w(g, &s[i]);
        if (x + ew > x0 + w) {
            row++;
            x = x0;
        }
        char m[2] = {s[i].mark ? s[i].mark : '*', 0};
        const char *sym = mark_mode(env) ? m : "■";
        grid_put(g, row, x, sym, s[i].role, 1);
        if (s[i].colour >= 0) grid_colour(g, row, x, s[i].colour, -1);
        grid_put(g, row, x + 2, s[i].name, ROLE_LABEL, x0 + w - x - 2);
        x += ew + 3;
    }
}

typedef struct Dots {
    int cw, ch, dx, dy;
    unsigned char *bits;  /* (ch, cw) braille bits */
    signed char *owner;   /* (ch, cw) series drawn last */
    char *mark;           /* (ch, cw) a letter at a data point (mark mode) */
    signed char *band;    /* (ch, cw) the band covering the cell (-1: none) */
} Dots;

static void dot(Dots *d, int px, int py, int series)
{
    if (px < 0 || py < 0 || px >= d->cw * d->dx || py >= d->ch * d->dy) return;
    static const unsigned char bit[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};
    size_t i = (size_t)(py / d->dy) * (size_t)d->cw + (size_t)(px / d->dx);
    d->bits[i] |= d->dx == 2 ? bit[py % 4][px % 2] : 1;
    d->owner[i] = (signed char)series;
}

static void line(Dots *d, int x0, int y0, int x1, int y1, int series)
{
    int dx = abs(x1 - x0), dy = -abs(y1 - y0);
    int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
    for (int guard = 0; guard < 100000; guard++) {
        dot(d, x0, y0, series);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * err;
        if (e2 >= dy) err += dy, x0 += sx;
        if (e2 <= dx) err += dx, y0 += sy;
    }
}

void curve_plot(Grid *g, Rect r, const CurveSeries *s, int n, const CurveOpts *o, const ViewEnv *env)
{
    const int yl_w = 8;
    if (r.w < yl_w + 10 || r.h < 6) return;
    bool marks = mark_mode(env);
    /* The y range: from the data unless given (plot_axis rounds it out). */
    double lo = o->y_min, hi = o->y_max;
    if (lo == 0 && hi == 0) {
        lo = INFINITY, hi = -INFINITY;
        for (int k = 0; k < n; k++)
            for (int i = 0; i < s[k].n; i++) {
                for (int e = 0; e < (s[k].y_hi ? 2 : 1); e++) {
                    double v = e ? s[k].y_hi[i] : s[k].y[i];
                    if (!isfinite(v)) continue;
                    lo = fmin(lo, v);
                    hi = fmax(hi, v);
                }
            }
        if (!isfinite(lo)) lo = 0, hi = 1;
    }
    if (hi < lo) hi = lo;
    double xmin = o->x_min, xmax = o->x_max > o->x_min ? o->x_max : o->x_min + 1;

    int y = r.y;
    if (o->title) grid_put(g, y++, r.x, o->title, ROLE_LABEL, r.w);
    int lrows = curve_legend_rows(g, r.w - 2, s, n, env);
    draw_legend(g, y, r.x + 2, r.w - 2, s, n, env);
    y += lrows;
    int top = y, bottom = r.y + r.h - 2 - (o->x_label ? 1 : 0); /* axis row */
    int ph = bottom - top, left = r.x + yl_w, pw = r.w - yl_w - 1;
    if (ph < 2 || pw < 4) return;

    Dots d = {pw, ph, marks ? 1 : 2, marks ? 1 : 4, NULL, NULL, NULL, NULL};
    d.bits = vmem_alloc((size_t)pw * (size_t)ph);
    d.owner = vmem_alloc((size_t)pw * (size_t)ph);
    d.mark = vmem_alloc((size_t)pw * (size_t)ph);
    d.band = vmem_alloc((size_t)pw * (size_t)ph);
    memset(d.owner, -1, (size_t)pw * (size_t)ph);
    memset(d.band, -1, (size_t)pw * (size_t)ph);
    int W = pw * d.dx, H = ph * d.dy;
    /* The y axis covers the data with round ticks a row apart at least. */
    PlotAxis ax;
    int max_ticks = 1 + (ph - 1) / 2;
    plot_axis(&ax, lo, hi, false, max_ticks > 6 ? 6 : max_ticks, yl_w - 2);
    lo = ax.lo, hi = ax.hi;
#define MAPX(v) ((int)lround(((v) - xmin) / (xmax - xmin) * (W - 1)))
#define MAPY(v) ((int)lround((H - 1) * (1.0 - ((v) - lo) / (hi - lo))))
    /* Bands: every column between two points, shaded from edge to edge. */
    for (int k = 0; k < n; k++) {
        if (!s[k].y_hi) continue;
        for (int i = 1; i < s[k].n; i++) {
            double x0 = s[k].x ? s[k].x[i - 1] : s[k].x0 + i - 1, x1 = s[k].x ? s[k].x[i] : s[k].x0 + i;
            double a0 = s[k].y[i - 1], b0 = s[k].y_hi[i - 1], a1 = s[k].y[i], b1 = s[k].y_hi[i];
            if (!isfinite(x0 + x1 + a0 + b0 + a1 + b1)) continue;
            int c0 = MAPX(x0), c1 = MAPX(x1);
            for (int c = c0; c <= c1; c++) {
                double t = c1 > c0 ? (double)(c - c0) / (c1 - c0) : 0;
                int ya = MAPY(a0 + t * (a1 - a0)) / d.dy, yb = MAPY(b0 + t * (b1 - b0)) / d.dy;
                int r0 = ya < yb ? ya : yb, r1 = ya < yb ? yb : ya;
                for (int cy = r0 < 0 ? 0 : r0; cy <= r1 && cy < ph; cy++)
                    if (c / d.dx >= 0 && c / d.dx < pw) d.band[(size_t)cy * (size_t)pw + (size_t)(c / d.dx)] = (signed char)k;
            }
        }
    }
    for (int k = 0; k < n; k++) {
        if (s[k].y_hi) continue;
        int px = -1, py = -1, every = s[k].mark_every > 1 ? s[k].mark_every : 1;
        for (int i = 0; i < s[k].n; i++) {
            double v = s[k].y[i];
            double xv = s[k].x ? s[k].x[i] : s[k].x0 + i;
            if (!isfinite(v) || !isfinite(xv)) {
                px = -1;
                continue;
            }
            int xx = MAPX(xv), yy = MAPY(v);
            if (yy < 0) yy = 0;
            if (yy > H - 1) yy = H - 1;
            if (px >= 0) line(&d, px, py, xx, yy, k);
            else dot(&d, xx, yy, k);
            if (marks && s[k].mark && (i % every == 0 || i == s[k].n - 1) && xx >= 0 && xx < W) {
                size_t c = (size_t)(yy / d.dy) * (size_t)pw + (size_t)(xx / d.dx);
                d.mark[c] = s[k].mark;
                d.owner[c] = (signed char)k;
            }
            px = xx, py = yy;
        }
    }
    for (int cy = 0; cy < ph; cy++)
        for (int cx = 0; cx < pw; cx++) {
            size_t i = (size_t)cy * (size_t)pw + (size_t)cx;
            if (!d.bits[i] && !d.mark[i] && d.band[i] >= 0) {
                grid_put(g, top + cy, left + cx, env->ascii ? ":" : "░", s[d.band[i]].role, 1);
                continue;
            }
            if (!d.bits[i] && !d.mark[i]) continue;
            const CurveSeries *cs = &s[d.owner[i]];
            if (marks) {
                char m[2] = {d.mark[i], 0};
                grid_put(g, top + cy, left + cx, d.mark[i] ? m : (env->ascii ? "." : "·"), cs->role, 1);
            } else {
                char u[4];
                int len = utf8_encode(0x2800 + d.bits[i], u);
                grid_putn(g, top + cy, left + cx, u, (size_t)len, cs->role, 1);
            }
            if (cs->colour >= 0) grid_colour(g, top + cy, left + cx, cs->colour, -1);
        }
    /* Axes, the y ticks, x ticks at both ends and the middle. */
    for (int cy = 0; cy < ph; cy++) grid_put(g, top + cy, left - 1, env->ascii ? "|" : "│", ROLE_AXIS, 1);
    grid_put(g, top + ph, left - 1, env->ascii ? "+" : "└", ROLE_AXIS, 1);
    for (int cx = 0; cx < pw; cx++) grid_put(g, top + ph, left + cx, env->ascii ? "-" : "─", ROLE_AXIS, 1);
    for (int t = 0; t < ax.n; t++) {
        int row = MAPY(ax.at[t]) / d.dy;
        row = row < 0 ? 0 : row > ph - 1 ? ph - 1 : row;
        grid_put(g, top + row, left - 2 - (int)strlen(ax.label[t]), ax.label[t], ROLE_AXIS, yl_w - 2);
        grid_put(g, top + row, left - 1, env->ascii ? "+" : "┤", ROLE_AXIS, 1);
    }
    char xb[32];
    snprintf(xb, sizeof xb, "%g", xmin);
    grid_put(g, top + ph + 1, left, xb, ROLE_AXIS, -1);
    snprintf(xb, sizeof xb, "%g", xmax);
    grid_put(g, top + ph + 1, left + pw - (int)strlen(xb), xb, ROLE_AXIS, -1);
    double mid = round((xmin + xmax) / 2);
    if (mid > xmin && mid < xmax) {
        snprintf(xb, sizeof xb, "%g", mid);
        grid_put(g, top + ph + 1, left + MAPX(mid) / d.dx - (int)strlen(xb) / 2, xb, ROLE_AXIS, -1);
    }
    if (o->x_label) grid_put(g, top + ph + 2, left, o->x_label, ROLE_DIM, pw);
#undef MAPX
#undef MAPY
    free(d.bits);
    free(d.owner);
    free(d.mark);
    free(d.band);
}
