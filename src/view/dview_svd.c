/* dview_svd.c — lesson 2's photograph: rank slider, the numbers that
 * matter right under it, original / rank-k / error images side by side, and
 * the singular value spectrum with the cut-off at k (click it to pick k). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../demo/demo.h"
#include "../demo/demo_svd.h"
#include "dview.h"
#include "utf8.h"
#include "vmem.h"

typedef struct SvdView {
    SvdDemo demo;
    Slider rank;
    bool show_error;
    bool large;       /* z: two pictures as wide as the page allows */
    SliderHit hit;
    Rect plot;        /* where the spectrum was drawn (canvas) */
    int plot_left, plot_w, plot_n; /* its data columns */
    int row_slider;
    char hint[128];
    Status st;        /* the last update failure, shown in place */
} SvdView;

static void *svd_create(const DemoArgs *args, Status *st)
{
    SvdView *v = vmem_alloc(sizeof *v);
    const DemoImpl *impl = demo_impl_find("svd");
    if (impl->init(&v->demo, args, st)) {
        free(v);
        return NULL;
    }
    const SvdDemoResult *r = &v->demo.res;
    /* A log track: the interesting ranks (1..30) get most of the room;
     * a step is one rank, a big step doubles or halves it. */
    slider_init_log(&v->rank, "rank k", 1, r->k_max, r->k, 1.000001, 2.0, true);
    v->show_error = demo_args_bool(args, "error");
    return v;
}

static void svd_destroy(void *self)
{
    SvdView *v = self;
    if (!v) return;
    svd_demo_free(&v->demo);
    free(v);
}

/* Pictures side by side: the original, rank k and (asked for, and not in
 * the large view) the error. */
static int n_images(const SvdView *v)
{
    return v->show_error && !v->large ? 3 : 2;
}

/* Image cells: as wide as its share of the row allows, at most 40 columns
 * (96 in the large view: two pixels a cell, a 256-pixel photo at 100
 * columns is then drawn 48 × 48). */
static void image_size(const SvdView *v, int width, int *iw, int *ih)
{
    int n_img = n_images(v);
    int w = (width - 2 * (n_img - 1)) / n_img;
    int cap = v->large ? 96 : 40;
    if (w > cap) w = cap;
    if (w < 8) w = 8;
    const SvdDemoResult *r = &v->demo.res;
    double scale = fmax((double)r->n / w, (double)r->m / (2.0 * cap));
    *iw = (int)lround(r->n / scale);
    *ih = ((int)lround(r->m / scale) + 1) / 2;
}

enum { SVD_STATS_ROWS = 3, SVD_PLOT_ROWS = 12 };

static int svd_height(void *self, int width, const ViewEnv *env)
{
    (void)env;
    int iw, ih;
    image_size(self, width, &iw, &ih);
    const SvdView *v = self;
    return 1 + SVD_STATS_ROWS + (v->demo.note[0] != '\0') + 1 + ih + 1 + 1 + SVD_PLOT_ROWS;
}

static int apply_rank(SvdView *v)
{
    int k = (int)v->rank.value;
    if (k == v->demo.res.k) return EV_REDRAW;
    status_clear(&v->st);
    svd_demo_set_rank(&v->demo, k, &v->st);
    return EV_REDRAW;
}

static void svd_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    SvdView *v = self;
    const SvdDemoResult *res = &v->demo.res;
    int y = r.y;
    v->row_slider = y;
    char of[32];
    snprintf(v->rank.label, sizeof v->rank.label, "rank k");
    widget_slider(g, y, r.x, r.w - 10, 10, &v->rank, focus == 0, env, &v->hit);
    snprintf(of, sizeof of, "of %d", res->k_max);
    grid_put(g, y, r.x + r.w - 9, of, ROLE_DIM, 9);
    y++;

    /* The numbers, right under the slider so they change in view. */
    char a[48], b[48], c[48];
    int x = r.x + 2;
    x += grid_put(g, y, x, "energy captured ", ROLE_LABEL, -1);
    snprintf(a, sizeof a, "%.2f %%", 100.0 * res->stats.energy);
    x += grid_put(g, y, x, a, ROLE_VALUE, -1);
    x += grid_put(g, y, x, "    relative error ", ROLE_LABEL, -1);
    snprintf(a, sizeof a, "%.2f %%", 100.0 * res->stats.relative_error);
    x += grid_put(g, y, x, a, ROLE_VALUE, -1);
    x += grid_put(g, y, x, "    image ", ROLE_LABEL, -1);
    snprintf(a, sizeof a, "%d×%d", res->m, res->n);
    grid_put(g, y, x, a, ROLE_VALUE, -1);
    y++;
    x = r.x + 2;
    fmt_count(res->stats.storage, a, (int)sizeof a);
    fmt_count(res->stats.full_storage, b, (int)sizeof b);
    x += grid_put(g, y, x, "storage k(m+n+1) = ", ROLE_LABEL, -1);
    x += grid_put(g, y, x, a, ROLE_VALUE, -1);
    x += grid_put(g, y, x, " numbers vs m·n = ", ROLE_LABEL, -1);
    x += grid_put(g, y, x, b, ROLE_VALUE, -1);
    if (res->stats.compression >= 1) snprintf(c, sizeof c, "  %.1f× smaller", res->stats.compression);
    else snprintf(c, sizeof c, "  %.2f× — larger than the image!", res->stats.compression);
    grid_put(g, y, x, c, res->stats.compression >= 1 ? ROLE_GOOD : ROLE_BAD, r.x + r.w - x);
    y++;
    x = r.x + 2;
    snprintf(a, sizeof a, "%.4f", res->err_measured);
    snprintf(b, sizeof b, "%.4f", res->err_predicted);
    double rel = fabs(res->err_measured - res->err_predicted) / fmax(res->norm_a, 1e-30);
    /* The long wording when it fits, a compact one at 80 columns. */
    bool wide = r.w >= 88;
    x += grid_put(g, y, x, wide ? "Eckart–Young: ‖A − A_k‖_F from the pixels " : "‖A − A_k‖_F: pixels ",
                  ROLE_LABEL, -1);
    x += grid_put(g, y, x, a, ROLE_VALUE, -1);
    x += grid_put(g, y, x, wide ? " = √(Σ dropped σᵢ²) " : " = √(Σ dropped σ²) ", ROLE_LABEL, -1);
    x += grid_put(g, y, x, b, ROLE_VALUE, -1);
    grid_put(g, y, x, rel < 1e-3 ? (env->ascii ? "  ok" : "  ✓") : (env->ascii ? "  x" : "  ✗"),
             rel < 1e-3 ? ROLE_GOOD : ROLE_BAD, -1);
    y++;
    if (v->st.code) {
        grid_put(g, y - 1, r.x + 2, v->st.msg, ROLE_ERROR, r.w - 2);
    }
    if (v->demo.note[0]) grid_put(g, y++, r.x + 2, v->demo.note, ROLE_DIM, r.w - 2);
    y++;

    /* Images side by side. */
    int iw, ih;
    image_size(v, r.w, &iw, &ih);
    int n_img = n_images(v), gap = 2;
    const Mat *mats[3] = {&v->demo.original, &v->demo.approx, &v->demo.error};
    char cap[3][48];
    snprintf(cap[0], sizeof cap[0], "original");
    snprintf(cap[1], sizeof cap[1], "rank %d", res->k);
    snprintf(cap[2], sizeof cap[2], "error ×4 (gray = 0)");
    int ix = r.x;
    for (int i = 0; i < n_img; i++) {
        const Mat *m = mats[i];
        float lo = 0, hi = 1;
        if (i == 2) lo = -0.125f, hi = 0.125f;
        Rect used = widget_image(g, (Rect){y, ix, ih, iw}, m->data, m->rows, m->cols, m->stride, lo,
                                 hi, env);
        int cw = grid_text_width(g, cap[i]);
        grid_put(g, y + ih, ix + (used.w - cw) / 2, cap[i], i == 1 ? ROLE_VALUE : ROLE_LABEL, iw);
        ix += iw + gap;
    }
    y += ih + 2;

    /* The spectrum with the cut-off. */
    PlotSeries s = {res->s, res->k_max, ROLE_SERIES1, "σᵢ (log scale)"};
    char cut[32];
    snprintf(cut, sizeof cut, " k=%d", res->k);
    PlotOpts po = {
        .title = "singular values — keep those left of the line",
        .log_y = true,
        .cutoff_x = res->k,
        .cutoff_label = cut,
        .hline_y = NAN,
        .x_label = "i (click to set k)",
    };
    v->plot = (Rect){y, r.x, SVD_PLOT_ROWS, r.w};
    widget_plot(g, v->plot, &s, 1, &po, env);
    v->plot_left = r.x + 9;
    v->plot_w = r.w - 9 - 1;
    v->plot_n = res->k_max;
}

static int svd_n_controls(void *self)
{
    (void)self;
    return 1;
}

static int svd_key(void *self, int control, int key, Action act)
{
    (void)control;
    (void)key;
    SvdView *v = self;
    if (key == 'z') {
        v->large = !v->large;
        return EV_HANDLED | EV_REDRAW | EV_RELAYOUT;
    }
    int fl = dview_slider_key(&v->rank, act);
    if (fl & EV_REDRAW) fl |= apply_rank(v);
    return fl;
}

static int svd_mouse(void *self, const MouseEvent *ev, int *control)
{
    SvdView *v = self;
    *control = -1;
    int fl = dview_slider_mouse(&v->rank, &v->hit, ev, ev->kind == MOUSE_DRAG);
    if (fl) {
        *control = 0;
        if (fl & EV_REDRAW) fl |= apply_rank(v);
        return fl;
    }
    if (ev->kind == MOUSE_PRESS && rect_has(v->plot, ev->y, ev->x) && ev->x >= v->plot_left &&
        v->plot_w > 1) {
        double t = (double)(ev->x - v->plot_left) / (v->plot_w - 1);
        int k = 1 + (int)lround(t * (v->plot_n - 1));
        *control = 0;
        if (slider_set(&v->rank, k)) return EV_HANDLED | apply_rank(v);
        return EV_HANDLED | EV_REDRAW;
    }
    return 0;
}

static const char *svd_hint(void *self, int control)
{
    (void)control;
    SvdView *v = self;
    snprintf(v->hint, sizeof v->hint, "rank k = %d · ←/→ ±1 · Shift+←/→ ×2 ÷2 · 0/$ ends · z %s pictures",
             v->demo.res.k, v->large ? "smaller" : "bigger");
    return v->hint;
}

static int svd_control_row(void *self, int control)
{
    (void)control;
    return ((SvdView *)self)->row_slider;
}

const DemoViewOps dview_svd = {
    .name = "svd",
    .create = svd_create,
    .destroy = svd_destroy,
    .height = svd_height,
    .draw = svd_draw,
    .n_controls = svd_n_controls,
    .key = svd_key,
    .mouse = svd_mouse,
    .hint = svd_hint,
    .control_row = svd_control_row,
};
