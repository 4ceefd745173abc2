/* dview_precision_image.c — lesson 3's precision sliders: exponent and
 * mantissa bits of a custom format eXmY, presets for the real formats, the
 * photo (or matrix product) before and after rounding with the error, and
 * the error against the mantissa bits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../demo/demo.h"
#include "../demo/demo_precision.h"
#include "dview.h"
#include "vmem.h"

enum { PV_EXP, PV_MAN, PV_PRESET, PV_N };

/* The real formats as E, M (e4m3 here is IEEE-style: see the demo). */
static const struct {
    const char *name;
    int e, m;
} presets[] = {{"fp32", 8, 23}, {"fp16", 5, 10}, {"bf16", 8, 7}, {"e5m2", 5, 2}, {"e4m3", 4, 3}};
enum { N_PRESETS = sizeof presets / sizeof presets[0] };

typedef struct PrecisionView {
    PrecisionDemo d;
    Slider sl[2];
    SliderHit hit[2];
    ChoiceHit phit;
    int rows[PV_N];
    Rect plot;
    int plot_left, plot_w;
    Status st;
    bool large;     /* z: the two pictures as wide as the page allows */
    char hint[160];
} PrecisionView;

static void *pv_create(const DemoArgs *args, Status *st)
{
    PrecisionView *v = vmem_alloc(sizeof *v);
    if (demo_impl_find("precision")->init(&v->d, args, st)) {
        free(v);
        return NULL;
    }
    slider_init_linear(&v->sl[0], "exponent E", 2, 8, v->d.res.exp_bits, 1, 1, true);
    slider_init_linear(&v->sl[1], "mantissa M", 0, PREC_MAN_MAX, v->d.res.man_bits, 1, 4, true);
    return v;
}

static void pv_destroy(void *self)
{
    PrecisionView *v = self;
    if (!v) return;
    precision_demo_free(&v->d);
    free(v);
}

/* Pictures side by side: before, after and the error; the large view (z)
 * drops the error and gives the two the whole width. */
static int pv_n_images(const PrecisionView *v)
{
    return v->large ? 2 : 3;
}

/* Image cells: at most 36 columns and 12 rows each (96 × 48 large). */
static void pv_image_size(const PrecisionView *v, int width, int *iw, int *ih)
{
    int n = pv_n_images(v);
    int w = (width - 2 * (n - 1)) / n;
    int cap_w = v->large ? 96 : 36, cap_h = v->large ? 48 : 12;
    if (w > cap_w) w = cap_w;
    if (w < 8) w = 8;
    int rows = v->d.original.rows, cols = v->d.original.cols;
    double scale = fmax((double)cols / w, (double)rows / (2.0 * cap_h));
    *iw = (int)lround(cols / scale);
    *ih = ((int)lround(rows / scale) + 1) / 2;
}

enum { PV_STATS = 4, PV_PLOT_ROWS = 11 };

static int pv_height(void *self, int width, const ViewEnv *env)
{
    (void)env;
    int iw, ih;
    pv_image_size(self, width, &iw, &ih);
    return PV_N + 1 + PV_STATS + 1 + ih + 1 + 1 + PV_PLOT_ROWS;
}

static int preset_of(const PrecisionResult *r)
{
    for (int i = 0; i < N_PRESETS; i++)
        if (presets[i].e == r->exp_bits && presets[i].m == r->man_bits) return i;
    return -1;
}

static void pct(char *buf, size_t size, double v)
{
    if (isinf(v)) snprintf(buf, size, "∞ (overflow)");
    else if (v == 0) snprintf(buf, size, "0 (exact)");
    else snprintf(buf, size, "%.3g %%", 100 * v);
}

static void pv_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    PrecisionView *v = self;
    const PrecisionDemo *d = &v->d;
    const PrecisionResult *res = &d->res;
    int y = r.y;
    for (int i = 0; i < 2; i++) {
        v->rows[i] = y;
        widget_slider(g, y++, r.x, r.w, 12, &v->sl[i], focus == i, env, &v->hit[i]);
    }
    v->rows[PV_PRESET] = y;
    const char *names[N_PRESETS];
    for (int i = 0; i < N_PRESETS; i++) names[i] = presets[i].name;
    widget_choice(g, y++, r.x, r.w, 12, "presets", names, N_PRESETS, preset_of(res), focus == PV_PRESET,
                  false, env, &v->phit);
    y++;
    /* The format. */
    char mx[32], mn[32];
    fmt_num(res->limits.max, 10, mx, (int)sizeof mx);
    snprintf(mn, sizeof mn, "%.3g", (double)res->limits.min_subnormal);
    int x = r.x + 2;
    x += grid_put(g, y, x, res->name, ROLE_STRONG, -1);
    char *rest = vmem_printf(": %d bits · max %s · min %s · ε 2^-%d", res->width, mx, mn, res->man_bits);
    char alias[48] = "";
    if (res->alias) snprintf(alias, sizeof alias, " (%s)", res->alias);
    /* The alias only when the figures still fit after it. */
    if (x + grid_text_width(g, alias) + grid_text_width(g, rest) <= r.x + r.w)
        x += grid_put(g, y, x, alias, ROLE_STRONG, -1);
    grid_put(g, y, x, rest, ROLE_LABEL, r.x + r.w - x);
    free(rest);
    y++;
    char a[48], b[48];
    x = r.x + 2;
    if (d->target == PREC_IMAGE) {
        pct(a, sizeof a, res->rel_error);
        x += grid_put(g, y, x, "relative error ", ROLE_LABEL, -1);
        x += grid_put(g, y, x, a, ROLE_VALUE, -1);
        if (isfinite(res->psnr_db)) snprintf(b, sizeof b, "%.1f dB", res->psnr_db);
        else snprintf(b, sizeof b, "∞");
        x += grid_put(g, y, x, " · PSNR ", ROLE_LABEL, -1);
        x += grid_put(g, y, x, b, ROLE_VALUE, -1);
        x += grid_put(g, y, x, " · largest pixel error ", ROLE_LABEL, -1);
        snprintf(b, sizeof b, "%.2g", res->max_abs);
        grid_put(g, y, x, b, ROLE_VALUE, r.x + r.w - x);
        y++;
        x = r.x + 2;
        x += grid_printf(g, y, x, ROLE_VALUE, -1, "%d", res->distinct);
        x += grid_printf(g, y, x, ROLE_LABEL, -1, " gray levels left (the photo has %zu)", d->n_uniq);
        /* Subnormals first: they are what a few exponent bits usually do
         * to the dark pixels; only the darkest of them reach 0. */
        char n[32];
        if (res->n_subnormal) {
            fmt_count((long long)res->n_subnormal, n, (int)sizeof n);
            x += grid_printf(g, y, x, ROLE_WARN, r.x + r.w - x, " · %s subnormal", n);
        }
        if (res->n_zeroed) {
            fmt_count((long long)res->n_zeroed, n, (int)sizeof n);
            grid_printf(g, y, x, ROLE_WARN, r.x + r.w - x, " · %s became 0", n);
        }
        if (res->n_overflow) grid_printf(g, y, x, ROLE_BAD, r.x + r.w - x, " · %zu pixels overflowed", res->n_overflow);
        if (d->note[0]) grid_put(g, y + 1, r.x + 2, d->note, ROLE_DIM, r.w - 2);
    } else {
        pct(a, sizeof a, res->rel_error_fmt);
        pct(b, sizeof b, res->rel_error_f32);
        grid_printf(g, y, x, ROLE_LABEL, -1, "C = A·B, %d × %d, entries N(0, 1), relative error of C:", d->n, d->n);
        y++;
        x = r.x + 4;
        x += grid_printf(g, y, x, ROLE_SERIES1, -1, "every product and sum in %s: ", res->name);
        grid_put(g, y, x, a, ROLE_VALUE, r.x + r.w - x);
        y++;
        x = r.x + 4;
        x += grid_printf(g, y, x, ROLE_SERIES2, -1, "%s inputs, sums in fp32:%*s", res->name,
                         (int)strlen(res->name) > 8 ? 1 : 9 - (int)strlen(res->name), "");
        grid_put(g, y, x, b, ROLE_VALUE, r.x + r.w - x);
    }
    if (v->st.code) grid_put(g, y, r.x + 2, v->st.msg, ROLE_ERROR, r.w - 2);
    y = r.y + PV_N + 1 + PV_STATS + 1;

    /* Before, after, and the error (scaled so that it always shows). */
    int iw, ih;
    pv_image_size(v, r.w, &iw, &ih);
    const Mat *mats[3] = {&d->original, &d->rounded, &d->error};
    char cap[3][48];
    float lo = 0, hi = 1;
    if (d->target == PREC_MATMUL) {
        float m = 0;
        for (int i = 0; i < d->n * d->n; i++) m = fmaxf(m, fabsf(d->original.data[i]));
        lo = -m, hi = m;
        snprintf(cap[0], sizeof cap[0], "C exact");
        snprintf(cap[1], sizeof cap[1], "C in %s", res->name);
    } else {
        snprintf(cap[0], sizeof cap[0], "original");
        snprintf(cap[1], sizeof cap[1], "in %s", res->name);
    }
    double em = isfinite(res->max_abs) && res->max_abs > 0 ? res->max_abs : 1;
    snprintf(cap[2], sizeof cap[2], "error, ±%.2g", em);
    int ix = r.x;
    for (int i = 0; i < pv_n_images(v); i++) {
        const Mat *m = mats[i];
        float l = i == 2 ? (float)-em : lo, h = i == 2 ? (float)em : hi;
        Rect used = widget_image(g, (Rect){y, ix, ih, iw}, m->data, m->rows, m->cols, m->stride, l, h, env);
        int cw = grid_text_width(g, cap[i]);
        grid_put(g, y + ih, ix + (used.w - cw) / 2, cap[i], i == 1 ? ROLE_VALUE : ROLE_LABEL, iw + 2);
        ix += iw + 2;
    }
    y += ih + 2;

    /* Error against mantissa bits, M = 1..23 (x is M itself). */
    PlotSeries s[2] = {
        {res->curve + 1, PREC_MAN_MAX, ROLE_SERIES1, d->target == PREC_IMAGE ? "relative error" : "sums in eXmY"},
        {res->curve_f32 + 1, PREC_MAN_MAX, ROLE_SERIES2, "sums in fp32"},
    };
    char cut[32], title[64];
    snprintf(cut, sizeof cut, " M=%d", res->man_bits);
    snprintf(title, sizeof title, "error against M, with E = %d (log scale)", res->exp_bits);
    PlotOpts po = {
        .title = title,
        .log_y = true,
        .cutoff_x = res->man_bits,
        .cutoff_label = cut,
        .hline_y = NAN,
        .x_label = "mantissa bits M (click to set)",
    };
    v->plot = (Rect){y, r.x, PV_PLOT_ROWS, r.w};
    widget_plot(g, v->plot, s, d->target == PREC_IMAGE ? 1 : 2, &po, env);
    v->plot_left = r.x + 9;
    v->plot_w = r.w - 9 - 1;
}

static int pv_n_controls(void *self)
{
    (void)self;
    return PV_N;
}

static int pv_apply(PrecisionView *v)
{
    status_clear(&v->st);
    precision_demo_set(&v->d, (int)v->sl[0].value, (int)v->sl[1].value, &v->st);
    return EV_REDRAW;
}

static int pv_preset(PrecisionView *v, int i)
{
    slider_set(&v->sl[0], presets[i].e);
    slider_set(&v->sl[1], presets[i].m);
    return EV_HANDLED | pv_apply(v);
}

static int pv_key(void *self, int control, int key, Action act)
{
    PrecisionView *v = self;
    if (key == 'z') {
        v->large = !v->large;
        return EV_HANDLED | EV_REDRAW | EV_RELAYOUT;
    }
    if (control == PV_PRESET) {
        int p = preset_of(&v->d.res);
        if (act == ACT_INC || act == ACT_INC_BIG) p = (p + 1) % N_PRESETS;
        else if (act == ACT_DEC || act == ACT_DEC_BIG) p = p <= 0 ? N_PRESETS - 1 : p - 1;
        else return 0;
        return pv_preset(v, p);
    }
    if (control < 0 || control > PV_MAN) return 0;
    int fl = dview_slider_key(&v->sl[control], act);
    if (fl & EV_REDRAW) fl |= pv_apply(v);
    return fl;
}

static int pv_mouse(void *self, const MouseEvent *ev, int *control)
{
    PrecisionView *v = self;
    if (ev->kind == MOUSE_PRESS) {
        int o = widget_choice_at(&v->phit, ev->y, ev->x);
        if (o >= 0) {
            *control = PV_PRESET;
            return pv_preset(v, o);
        }
        if (rect_has(v->plot, ev->y, ev->x) && ev->x >= v->plot_left && v->plot_w > 1) {
            double t = (double)(ev->x - v->plot_left) / (v->plot_w - 1);
            *control = PV_MAN;
            slider_set(&v->sl[1], 1 + lround(t * (PREC_MAN_MAX - 1)));
            return EV_HANDLED | pv_apply(v);
        }
    }
    for (int i = 0; i < 2; i++) {
        int fl = dview_slider_mouse(&v->sl[i], &v->hit[i], ev, ev->kind == MOUSE_DRAG && *control == i);
        if (fl) {
            *control = i;
            if (fl & EV_REDRAW) fl |= pv_apply(v);
            return fl;
        }
    }
    *control = -1;
    return 0;
}

static const char *pv_hint(void *self, int control)
{
    PrecisionView *v = self;
    static const char *const what[PV_N] = {"exponent bits: range", "mantissa bits: precision",
                                           "presets: the formats in use"};
    snprintf(v->hint, sizeof v->hint, "%s · ←/→ change · Tab next · z %s pictures",
             what[control < 0 || control >= PV_N ? 0 : control], v->large ? "smaller" : "bigger");
    return v->hint;
}

static int pv_control_row(void *self, int control)
{
    PrecisionView *v = self;
    return v->rows[control < 0 || control >= PV_N ? 0 : control];
}

const DemoViewOps dview_precision = {
    .name = "precision", .create = pv_create, .destroy = pv_destroy, .height = pv_height,
    .draw = pv_draw, .n_controls = pv_n_controls, .key = pv_key, .mouse = pv_mouse,
    .hint = pv_hint, .control_row = pv_control_row,
};
