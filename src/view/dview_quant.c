/* dview_quant.c — lesson 4's views: a weight matrix's histogram under the
 * quantization levels with the scheme controls and the error against the
 * bits; the memory table for whole models; and the tiny GPT's loss after
 * quantization. The scheme controls (scheme, bits, granularity, block,
 * zero point) are shared by the first and the last. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../demo/demo.h"
#include "../demo/demo_quant.h"
#include "dview.h"
#include "vmem.h"

/* ===========================================================================
 * Shared: the scheme controls */

enum { SC_SCHEME, SC_BITS, SC_GRAN, SC_BLOCK, SC_ZERO, SC_N };

static const char *const scheme_options[] = {"int", "q8_0", "q4_0", "nf4", "nf4-dq"};
static const char *const gran_options[] = {"tensor", "row", "block"};
static const char *const zero_options[] = {"symmetric", "asymmetric"};
enum { N_SCHEMES = 5 };

typedef struct SchemeControls {
    int scheme;          /* 0 int, then QUANT_Q8_0.. in order */
    Slider bits, block;
    int gran;
    bool asym;
    SliderHit bits_hit, block_hit;
    ChoiceHit scheme_hit, gran_hit, zero_hit;
    int rows[SC_N];
} SchemeControls;

static void sc_init(SchemeControls *c, const QuantConfig *cfg)
{
    memset(c, 0, sizeof *c);
    c->scheme = cfg->kind == QUANT_INT ? 0 : 1 + (cfg->kind - QUANT_Q8_0);
    int bits = cfg->kind == QUANT_INT ? cfg->bits : 8;
    int block = cfg->kind == QUANT_INT ? cfg->block : 64;
    slider_init_linear(&c->bits, "bits", 2, 8, bits, 1, 2, true);
    slider_init_log(&c->block, "block", 2, 4096, block, 2, 8, true);
    c->gran = cfg->kind == QUANT_INT ? (int)cfg->granularity : QUANT_PER_BLOCK;
    c->asym = cfg->kind == QUANT_INT && cfg->asymmetric;
}

static QuantConfig sc_config(const SchemeControls *c)
{
    if (c->scheme > 0) return quant_config_fixed((QuantKind)(QUANT_Q8_0 + c->scheme - 1));
    return quant_config_int((int)c->bits.value, (QuantGranularity)c->gran, (int)c->block.value, c->asym);
}

/* A control that does not apply to the current scheme. */
static bool sc_disabled(const SchemeControls *c, int control)
{
    if (control == SC_SCHEME) return false;
    if (c->scheme > 0) return true;
    return control == SC_BLOCK && c->gran != QUANT_PER_BLOCK;
}

static int sc_draw(SchemeControls *c, Grid *g, int y, Rect r, const ViewEnv *env, int focus)
{
    const int lw = 15;
    QuantConfig fixed = sc_config(c);
    c->rows[SC_SCHEME] = y;
    widget_choice(g, y++, r.x, r.w, lw, "scheme", scheme_options, N_SCHEMES, c->scheme, focus == SC_SCHEME,
                  false, env, &c->scheme_hit);
    c->rows[SC_BITS] = y;
    if (sc_disabled(c, SC_BITS)) {
        grid_put(g, y, r.x + 2, "bits", ROLE_DIM, lw);
        grid_printf(g, y, r.x + 2 + lw, ROLE_DIM, r.w - 2 - lw, " %d per code, fixed by %s, one scale per %d weights",
                    fixed.bits, scheme_options[c->scheme], fixed.block);
        if (focus == SC_BITS) grid_put(g, y, r.x, env->ascii ? "> " : "▶ ", ROLE_FOCUS, 2);
    } else {
        widget_slider(g, y, r.x, r.w, lw, &c->bits, focus == SC_BITS, env, &c->bits_hit);
    }
    y++;
    c->rows[SC_GRAN] = y;
    widget_choice(g, y++, r.x, r.w, lw, "one scale per", gran_options, 3, c->scheme > 0 ? 2 : c->gran,
                  focus == SC_GRAN, sc_disabled(c, SC_GRAN), env, &c->gran_hit);
    c->rows[SC_BLOCK] = y;
    if (sc_disabled(c, SC_BLOCK)) {
        c->block_hit.w = 0;
        grid_put(g, y, r.x + 2, "block", ROLE_DIM, lw);
        if (c->scheme > 0) grid_printf(g, y, r.x + 2 + lw, ROLE_DIM, r.w - 2 - lw, " %d weights", fixed.block);
        else grid_put(g, y, r.x + 2 + lw, " (only with one scale per block)", ROLE_DIM, r.w - 2 - lw);
        if (focus == SC_BLOCK) grid_put(g, y, r.x, env->ascii ? "> " : "▶ ", ROLE_FOCUS, 2);
    } else {
        widget_slider(g, y, r.x, r.w, lw, &c->block, focus == SC_BLOCK, env, &c->block_hit);
    }
    y++;
    c->rows[SC_ZERO] = y;
    widget_choice(g, y++, r.x, r.w, lw, "zero point", zero_options, 2, c->scheme > 0 ? 0 : c->asym,
                  focus == SC_ZERO, sc_disabled(c, SC_ZERO), env, &c->zero_hit);
    return y;
}

/* Apply a key to control `control`: EV flags (EV_REDRAW when the
 * configuration changed), 0 when not a control key. */
static int sc_key(SchemeControls *c, int control, Action act)
{
    int dir = act == ACT_INC || act == ACT_INC_BIG ? 1 : act == ACT_DEC || act == ACT_DEC_BIG ? -1 : 0;
    bool ends = act == ACT_MIN || act == ACT_MAX;
    if (!dir && !ends) return 0;
    if (sc_disabled(c, control)) return EV_HANDLED;
    switch (control) {
    case SC_SCHEME: {
        int s = ends ? (act == ACT_MIN ? 0 : N_SCHEMES - 1) : (c->scheme + dir + N_SCHEMES) % N_SCHEMES;
        if (s == c->scheme) return EV_HANDLED;
        c->scheme = s;
        return EV_HANDLED | EV_REDRAW;
    }
    case SC_BITS: return dview_slider_key(&c->bits, act);
    case SC_BLOCK: return dview_slider_key(&c->block, act);
    case SC_GRAN: {
        int gr = ends ? (act == ACT_MIN ? 0 : 2) : (c->gran + dir + 3) % 3;
        if (gr == c->gran) return EV_HANDLED;
        c->gran = gr;
        return EV_HANDLED | EV_REDRAW;
    }
    case SC_ZERO:
        c->asym = ends ? act == ACT_MAX : !c->asym;
        return EV_HANDLED | EV_REDRAW;
    default: return 0;
    }
}

/* A click or drag on the controls; *control gets the one hit. */
static int sc_mouse(SchemeControls *c, const MouseEvent *ev, int *control)
{
    if (ev->kind == MOUSE_PRESS) {
        int o;
        if ((o = widget_choice_at(&c->scheme_hit, ev->y, ev->x)) >= 0) {
            *control = SC_SCHEME;
            c->scheme = o;
            return EV_HANDLED | EV_REDRAW;
        }
        if ((o = widget_choice_at(&c->gran_hit, ev->y, ev->x)) >= 0) {
            *control = SC_GRAN;
            if (sc_disabled(c, SC_GRAN)) return EV_HANDLED | EV_REDRAW;
            c->gran = o;
            return EV_HANDLED | EV_REDRAW;
        }
        if ((o = widget_choice_at(&c->zero_hit, ev->y, ev->x)) >= 0) {
            *control = SC_ZERO;
            if (sc_disabled(c, SC_ZERO)) return EV_HANDLED | EV_REDRAW;
            c->asym = o == 1;
            return EV_HANDLED | EV_REDRAW;
        }
    }
    if (!sc_disabled(c, SC_BITS)) {
        int fl = dview_slider_mouse(&c->bits, &c->bits_hit, ev, ev->kind == MOUSE_DRAG && *control == SC_BITS);
        if (fl) {
            *control = SC_BITS;
            return fl;
        }
    }
    if (!sc_disabled(c, SC_BLOCK)) {
        int fl = dview_slider_mouse(&c->block, &c->block_hit, ev, ev->kind == MOUSE_DRAG && *control == SC_BLOCK);
        if (fl) {
            *control = SC_BLOCK;
            return fl;
        }
    }
    if (ev->kind == MOUSE_PRESS)
        for (int i = 0; i < SC_N; i++)
            if (ev->y == c->rows[i]) {
                *control = i;
                return EV_HANDLED | EV_REDRAW;
            }
    return 0;
}

static const char *sc_hint(const SchemeControls *c, int control)
{
    static const char *const what[SC_N] = {
        "scheme: ←/→ int, q8_0/q4_0 (ggml), nf4/nf4-dq (QLoRA)",
        "bits per code: ←/→ one more or less",
        "one scale per: ←/→ tensor, row or block",
        "block size: ←/→ doubles or halves it",
        "zero point: ←/→ symmetric (±absmax) or min/max",
    };
    if (control < 0 || control >= SC_N) control = 0;
    if (sc_disabled(c, control)) return c->scheme > 0 ? "fixed by this scheme: choose int to change it"
                                                      : "only with one scale per block";
    return what[control];
}

/* "65.5 kB", "3.94 GB" (10³ steps). */
static void fmt_bytes(char *buf, size_t size, double b)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    int u = 0;
    while (b >= 999.5 && u < 5) b /= 1000, u++;
    if (u == 0) snprintf(buf, size, "%.0f B", b);
    else snprintf(buf, size, "%.3g %s", b, units[u]);
}

/* ===========================================================================
 * quant: histogram, levels, error */

typedef struct QuantView {
    QuantDemo d;
    SchemeControls sc;
    Slider outliers;
    SliderHit out_hit;
    int out_row;
    bool gaussian;       /* the outliers control exists */
    Status st;
    char hint[160];
} QuantView;

static void *qv_create(const DemoArgs *args, Status *st)
{
    QuantView *v = vmem_alloc(sizeof *v);
    if (demo_impl_find("quant")->init(&v->d, args, st)) {
        free(v);
        return NULL;
    }
    sc_init(&v->sc, &v->d.cfg);
    v->gaussian = !v->d.from_model;
    slider_init_linear(&v->outliers, "outliers", 0, 64, v->d.src.outliers, 1, 4, true);
    return v;
}

static void qv_destroy(void *self)
{
    QuantView *v = self;
    if (!v) return;
    quant_demo_free(&v->d);
    free(v);
}

enum { QV_HIST_ROWS = 12, QV_PLOT_ROWS = 11 };

static int qv_n_controls(void *self)
{
    return ((QuantView *)self)->gaussian ? SC_N + 1 : SC_N;
}

static int qv_height(void *self, int width, const ViewEnv *env)
{
    (void)width, (void)env;
    QuantView *v = self;
    return qv_n_controls(v) + 1 + 4 + (v->d.note[0] ? 1 : 0) + 1 + QV_HIST_ROWS + 1 + QV_PLOT_ROWS + 2;
}

static void qv_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    QuantView *v = self;
    QuantDemo *d = &v->d;
    const QuantDemoResult *res = &d->res;
    int y = sc_draw(&v->sc, g, r.y, r, env, focus);
    if (v->gaussian) {
        v->out_row = y;
        widget_slider(g, y++, r.x, r.w, 15, &v->outliers, focus == SC_N, env, &v->out_hit);
    }
    y++;
    /* Which weights, and what the scheme costs. */
    int x = r.x + 2;
    grid_put(g, y, x, d->source_desc, d->from_model ? ROLE_VALUE : ROLE_TEXT, r.x + r.w - x);
    y++;
    if (d->note[0]) grid_put(g, y++, r.x + 2, d->note, ROLE_WARN, r.w - 2);
    char label[48], a[48], b[48], c[48];
    quant_config_label(&d->cfg, d->cols, label, sizeof label);
    x = r.x + 2;
    x += grid_put(g, y, x, label, ROLE_STRONG, -1);
    x += grid_put(g, y, x, ": SNR ", ROLE_LABEL, -1);
    snprintf(a, sizeof a, isfinite(res->m.snr_db) ? "%.1f dB" : "∞", res->m.snr_db);
    x += grid_put(g, y, x, a, ROLE_VALUE, -1);
    /* The MSE only when the whole line fits (it is SNR's other face). */
    char mse[32], mx[32];
    snprintf(mse, sizeof mse, "%.3g", res->m.mse);
    snprintf(mx, sizeof mx, "%.3g", res->m.max_abs_error);
    if (x + grid_text_width(g, mse) + grid_text_width(g, mx) + 24 <= r.x + r.w) {
        x += grid_put(g, y, x, " · MSE ", ROLE_LABEL, -1);
        x += grid_put(g, y, x, mse, ROLE_VALUE, -1);
    }
    x += grid_put(g, y, x, " · largest error ", ROLE_LABEL, -1);
    grid_put(g, y, x, mx, ROLE_VALUE, r.x + r.w - x);
    y++;
    x = r.x + 2;
    snprintf(a, sizeof a, "%.5g", res->bits_per_weight);
    fmt_bytes(b, sizeof b, (double)res->bytes);
    fmt_bytes(c, sizeof c, (double)res->fp32_bytes);
    x += grid_put(g, y, x, a, ROLE_VALUE, -1);
    x += grid_put(g, y, x, " bits a weight with the scales · ", ROLE_LABEL, -1);
    x += grid_put(g, y, x, b, ROLE_VALUE, -1);
    x += grid_printf(g, y, x, ROLE_LABEL, -1, " (fp32: %s, %.1f× more)", c,
                     (double)res->fp32_bytes / (double)(res->bytes ? res->bytes : 1));
    y++;
    x = r.x + 2;
    fmt_num(res->typical_step, 8, a, (int)sizeof a);
    fmt_num(res->outlier_step, 8, b, (int)sizeof b);
    if (res->n_groups > 1) {
        char n[32];
        fmt_count((long long)res->n_groups, n, (int)sizeof n);
        /* NF4 scales a group by its absmax (its levels are not evenly
         * spaced): there the figure is the absmax, and the largest weight's
         * group's absmax is that weight's |w|. */
        bool nf4 = d->cfg.kind == QUANT_NF4 || d->cfg.kind == QUANT_NF4_DQ;
        x += grid_printf(g, y, x, ROLE_LABEL, -1, nf4 ? "%s groups: typical absmax " : "%s groups: typical step ", n);
        x += grid_put(g, y, x, a, ROLE_VALUE, -1);
        x += grid_put(g, y, x, nf4 ? ", the largest |w|'s group's " : ", in the largest |w|'s group ", ROLE_LABEL, -1);
        grid_put(g, y, x, b, res->outlier_step > 4 * res->typical_step ? ROLE_WARN : ROLE_VALUE, r.x + r.w - x);
    } else {
        x += grid_put(g, y, x, "one scale: the levels are ", ROLE_LABEL, -1);
        x += grid_put(g, y, x, a, ROLE_VALUE, -1);
        fmt_num(res->absmax, 8, b, (int)sizeof b);
        grid_printf(g, y, x, ROLE_LABEL, r.x + r.w - x, " apart, set by the largest |w|, %s", b);
    }
    if (res->zeroed * 4 > d->n) {
        char n[32];
        fmt_count((long long)res->zeroed, n, (int)sizeof n);
        y++;
        grid_printf(g, y, r.x + 2, ROLE_BAD, r.w - 2, "%s of %zu weights (%.0f %%) became exactly 0", n, d->n,
                    100.0 * (double)res->zeroed / (double)d->n);
    }
    if (v->st.code) grid_put(g, y, r.x + 2, v->st.msg, ROLE_ERROR, r.w - 2);
    y = r.y + qv_n_controls(v) + 1 + 4 + (d->note[0] ? 1 : 0) + 1;

    /* The histogram, with the levels of a typical group over it. */
    Rect hr = {y, r.x, QV_HIST_ROWS, r.w};
    int bins = widget_histogram_bins(r.w);
    if (bins > QUANT_HIST_MAX_BINS) bins = QUANT_HIST_MAX_BINS;
    if (bins != res->bins) quant_demo_histogram(d, bins);
    char note[96] = "", mark[64];
    if (res->beyond) {
        char n[32], m[32];
        fmt_count((long long)res->beyond, n, (int)sizeof n);
        fmt_num(res->absmax, 7, m, (int)sizeof m);
        snprintf(note, sizeof note, "%s beyond the view (up to ±%s)", n, m);
    }
    snprintf(mark, sizeof mark, "%d levels%s", res->n_levels, res->n_groups > 1 ? " of a typical group" : "");
    HistOpts ho = {
        .title = "how many weights have each value",
        .bar_name = "weights",
        .mark_name = mark,
        .marks = res->levels,
        .n_marks = res->n_levels,
        .note = note[0] ? note : NULL,
    };
    widget_histogram(g, hr, res->counts, res->bins, res->lo, res->hi, &ho, env);
    y += QV_HIST_ROWS + 1;

    /* SNR against bits for each granularity; x is the bits (1 is empty). */
    char blk[32];
    snprintf(blk, sizeof blk, "per block of %d%s", d->int_block, d->int_asym ? " (asym)" : "");
    PlotSeries s[3] = {
        {&res->snr_curve[QUANT_PER_TENSOR][1], 8, ROLE_SERIES2, d->int_asym ? "per tensor (asym)" : "per tensor"},
        {&res->snr_curve[QUANT_PER_ROW][1], 8, ROLE_SERIES3, "per row"},
        {&res->snr_curve[QUANT_PER_BLOCK][1], 8, ROLE_SERIES1, blk},
    };
    char cut[24];
    snprintf(cut, sizeof cut, " %d bits", d->cfg.kind == QUANT_INT ? d->cfg.bits : 0);
    PlotOpts po = {
        .title = "SNR (dB) of intN",
        .cutoff_x = d->cfg.kind == QUANT_INT ? d->cfg.bits : 0,
        .cutoff_label = cut,
        .hline_y = NAN,
        .x_label = "bits per code",
    };
    widget_plot(g, (Rect){y, r.x, QV_PLOT_ROWS - 1, r.w}, s, 3, &po, env);
    y += QV_PLOT_ROWS - 1;
    grid_put(g, y++, r.x + 2, "the fixed formats, SNR at their bits per weight:", ROLE_DIM, r.w - 2);
    x = r.x + 4;
    for (int k = QUANT_Q8_0; k < QUANT_KIND_COUNT; k++) {
        char e[64];
        snprintf(e, sizeof e, "%s %.1f dB at %.3g", scheme_options[1 + k - QUANT_Q8_0], res->snr_fixed[k],
                 res->bpw_fixed[k]);
        int ew = grid_text_width(g, e) + 3;
        if (x > r.x + 4 && x + ew > r.x + r.w) y++, x = r.x + 4; /* wrap */
        x += grid_put(g, y, x, e, d->cfg.kind == (QuantKind)k ? ROLE_VALUE : ROLE_LABEL, r.x + r.w - x);
        x += grid_put(g, y, x, "   ", ROLE_TEXT, 3);
    }
}

static int qv_apply(QuantView *v)
{
    status_clear(&v->st);
    QuantConfig c = sc_config(&v->sc);
    quant_demo_set(&v->d, &c, (int)v->outliers.value, &v->st);
    return EV_REDRAW;
}

static int qv_key(void *self, int control, int key, Action act)
{
    (void)key;
    QuantView *v = self;
    int fl;
    if (control == SC_N) fl = dview_slider_key(&v->outliers, act);
    else fl = sc_key(&v->sc, control, act);
    if (fl & EV_REDRAW) fl |= qv_apply(v);
    return fl;
}

static int qv_mouse(void *self, const MouseEvent *ev, int *control)
{
    QuantView *v = self;
    int c = *control;
    int fl = sc_mouse(&v->sc, ev, &c);
    if (!fl && v->gaussian) {
        fl = dview_slider_mouse(&v->outliers, &v->out_hit, ev, ev->kind == MOUSE_DRAG && *control == SC_N);
        if (fl) c = SC_N;
    }
    if (!fl) {
        *control = -1;
        return 0;
    }
    *control = c;
    if (fl & EV_REDRAW) fl |= qv_apply(v);
    return fl;
}

static const char *qv_hint(void *self, int control)
{
    QuantView *v = self;
    if (control == SC_N) return "outliers: ←/→ one more or less; Shift+←/→ four";
    snprintf(v->hint, sizeof v->hint, "%s · Tab next", sc_hint(&v->sc, control));
    return v->hint;
}

static int qv_control_row(void *self, int control)
{
    QuantView *v = self;
    if (control == SC_N) return v->out_row;
    return v->sc.rows[control < 0 || control >= SC_N ? 0 : control];
}

const DemoViewOps dview_quant = {
    .name = "quant", .create = qv_create, .destroy = qv_destroy, .height = qv_height,
    .draw = qv_draw, .n_controls = qv_n_controls, .key = qv_key, .mouse = qv_mouse,
    .hint = qv_hint, .control_row = qv_control_row,
};

/* ===========================================================================
 * quant-memory: bytes per weight, and whole models */

typedef struct MemoryView {
    QuantMemory m;
    Slider sl[2];
    SliderHit hit[2];
    int rows[2];
    char hint[96];
} MemoryView;

static void *mv_create(const DemoArgs *args, Status *st)
{
    MemoryView *v = vmem_alloc(sizeof *v);
    if (demo_impl_find("quant-memory")->init(&v->m, args, st)) {
        free(v);
        return NULL;
    }
    slider_init_log(&v->sl[0], "model size", 1e6, 1e13, v->m.params, pow(10, 0.125), pow(10, 0.5), false);
    v->sl[0].unit = "weights";
    slider_init_log(&v->sl[1], "memory", 1, 10000, v->m.budget_gb, pow(2, 0.5), 2, false);
    v->sl[1].unit = "GB";
    return v;
}

static void mv_destroy(void *self) { free(self); }

static int mv_height(void *self, int width, const ViewEnv *env)
{
    (void)width, (void)env;
    MemoryView *v = self;
    return 2 + 1 + 2 + v->m.n + 1 + 3;
}

/* "1.00e9 weights" reads badly: 7 B, 405 B, 830 k. */
static void fmt_params(char *buf, size_t size, double n)
{
    if (n >= 1e12) snprintf(buf, size, "%.3g T", n / 1e12);
    else if (n >= 1e9) snprintf(buf, size, "%.3g B", n / 1e9);
    else if (n >= 1e6) snprintf(buf, size, "%.3g M", n / 1e6);
    else snprintf(buf, size, "%.3g k", n / 1e3);
}

static void mv_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    MemoryView *v = self;
    const QuantMemory *m = &v->m;
    int y = r.y;
    for (int i = 0; i < 2; i++) {
        v->rows[i] = y;
        widget_slider(g, y++, r.x, r.w, 11, &v->sl[i], focus == i, env, &v->hit[i]);
    }
    y++;
    char np[32];
    fmt_params(np, sizeof np, m->params);
    /* The scales' share of the bits is its own column when there is room. */
    bool scales = r.w >= 90;
    int n = m->n + 1, cols = scales ? 6 : 5;
    char **cells = vmem_array((size_t)n * (size_t)cols, sizeof(char *));
    int k = 0;
    cells[k++] = vmem_strdup("format");
    cells[k++] = vmem_strdup("bits/weight");
    if (scales) cells[k++] = vmem_strdup("of it scales");
    cells[k++] = vmem_strdup("7B model");
    cells[k++] = vmem_strdup("70B model");
    cells[k++] = vmem_printf("%s model", np);
    double budget = m->budget_gb * 1e9;
    const char *fit = env->ascii ? " *" : " ✓";
    for (int i = 0; i < m->n; i++) {
        const QuantMemRow *row = &m->rows[i];
        char b[3][32];
        fmt_bytes(b[0], sizeof b[0], row->bytes_7b);
        fmt_bytes(b[1], sizeof b[1], row->bytes_70b);
        fmt_bytes(b[2], sizeof b[2], row->bytes_n);
        cells[k++] = vmem_strdup(row->name);
        cells[k++] = vmem_printf("%.4g", row->bpw);
        if (scales) cells[k++] = vmem_printf("%.3g", row->bpw - row->code_bits);
        cells[k++] = vmem_printf("%s%s", b[0], row->bytes_7b <= budget ? fit : "  ");
        cells[k++] = vmem_printf("%s%s", b[1], row->bytes_70b <= budget ? fit : "  ");
        cells[k++] = vmem_printf("%s%s", b[2], row->bytes_n <= budget ? fit : "  ");
    }
    widget_table(g, y, r.x + 2, r.w - 2, (const char *const *)cells, n, cols, -1, env);
    for (int i = 0; i < n * cols; i++) free(cells[i]);
    free(cells);
    y += n + 1 + 1;
    char bud[32];
    fmt_bytes(bud, sizeof bud, budget);
    grid_printf(g, y++, r.x + 2, ROLE_DIM, r.w - 2, "weights × bits ÷ 8 · %s = fits in %s", env->ascii ? "*" : "✓",
                bud);
    grid_put(g, y++, r.x + 2, "Weights only: activations, the KV cache and, when training,", ROLE_DIM, r.w - 2);
    grid_put(g, y, r.x + 2, "gradients and optimizer state come on top.", ROLE_DIM, r.w - 2);
}

static int mv_n_controls(void *self)
{
    (void)self;
    return 2;
}

static int mv_apply(MemoryView *v)
{
    quant_memory_compute(&v->m, v->sl[0].value, v->sl[1].value);
    return EV_REDRAW;
}

static int mv_key(void *self, int control, int key, Action act)
{
    (void)key;
    MemoryView *v = self;
    if (control < 0 || control > 1) return 0;
    int fl = dview_slider_key(&v->sl[control], act);
    if (fl & EV_REDRAW) fl |= mv_apply(v);
    return fl;
}

static int mv_mouse(void *self, const MouseEvent *ev, int *control)
{
    MemoryView *v = self;
    for (int i = 0; i < 2; i++) {
        int fl = dview_slider_mouse(&v->sl[i], &v->hit[i], ev, ev->kind == MOUSE_DRAG && *control == i);
        if (fl) {
            *control = i;
            if (fl & EV_REDRAW) fl |= mv_apply(v);
            return fl;
        }
    }
    *control = -1;
    return 0;
}

static const char *mv_hint(void *self, int control)
{
    (void)self;
    return control == 1 ? "memory to fit in: ←/→ ×√2, Shift ×2 · Tab next"
                        : "model size: ←/→ ×10^⅛, Shift ×√10 · Tab next";
}

static int mv_control_row(void *self, int control)
{
    MemoryView *v = self;
    return v->rows[control == 1 ? 1 : 0];
}

const DemoViewOps dview_quant_memory = {
    .name = "quant-memory", .create = mv_create, .destroy = mv_destroy, .height = mv_height,
    .draw = mv_draw, .n_controls = mv_n_controls, .key = mv_key, .mouse = mv_mouse,
    .hint = mv_hint, .control_row = mv_control_row,
};

/* ===========================================================================
 * quant-loss: the tiny GPT, quantized and evaluated */

/* A configuration's label on the model's matrices, whose rows (out × in)
 * are n_embd or 4·n_embd long: a block at least as long as every row is
 * one scale per row, and says so. */
static const char *loss_label(const QuantLossDemo *d, const QuantConfig *c, char *buf, size_t size)
{
    int longest = 4 * d->model.cfg.n_embd; /* mlp.c_proj's rows */
    if (c->kind != QUANT_INT || c->granularity != QUANT_PER_BLOCK || c->block < longest)
        return quant_config_label(c, 0, buf, size);
    char name[16];
    quant_scheme_name(c, name, sizeof name);
    snprintf(buf, size, "%s row (block ≥ row)%s", name, c->asymmetric ? " asym" : "");
    return buf;
}

typedef struct LossView {
    QuantLossDemo d;
    SchemeControls sc;
    Status st;
    char hint[160];
} LossView;

static void *lv_create(const DemoArgs *args, Status *st)
{
    LossView *v = vmem_alloc(sizeof *v);
    if (demo_impl_find("quant-loss")->init(&v->d, args, st)) {
        free(v);
        return NULL;
    }
    sc_init(&v->sc, &v->d.cfg);
    return v;
}

static void lv_destroy(void *self)
{
    LossView *v = self;
    if (!v) return;
    quant_loss_demo_free(&v->d);
    free(v);
}

enum { LV_TABLE_MAX = 12, LV_PLOT_ROWS = 10 };

/* Header, fp32, then what was evaluated (the most bits first). */
static int lv_table_rows(const LossView *v)
{
    return 2 + (v->d.n_hist < LV_TABLE_MAX ? v->d.n_hist : LV_TABLE_MAX);
}

static int lv_height(void *self, int width, const ViewEnv *env)
{
    (void)width, (void)env;
    LossView *v = self;
    return SC_N + 1 + 5 + 1 + 1 + lv_table_rows(v) + 1 + LV_PLOT_ROWS;
}

static int cmp_entry(const void *a, const void *b)
{
    const QuantLossEntry *x = *(const QuantLossEntry *const *)a, *y = *(const QuantLossEntry *const *)b;
    return (x->bpw < y->bpw) - (x->bpw > y->bpw);
}

static void lv_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    LossView *v = self;
    const QuantLossDemo *d = &v->d;
    int y = sc_draw(&v->sc, g, r.y, r, env, focus);
    y++;
    char n[32], w[32];
    fmt_count((long long)d->n_quantized, n, (int)sizeof n);
    fmt_count((long long)d->model.num_params, w, (int)sizeof w);
    grid_printf(g, y++, r.x + 2, ROLE_LABEL, r.w - 2, "model: %s parameters, %d linear layers (%s weights) quantized",
                w, d->n_matrices, n);
    fmt_count((long long)d->tokens, n, (int)sizeof n);
    const char *base = strrchr(d->text_path, '/');
    grid_printf(g, y++, r.x + 2, ROLE_LABEL, r.w - 2, "loss on %s bytes of %s (%d windows, the same every time)", n,
                base ? base + 1 : d->text_path, d->windows);
    int x = r.x + 2;
    char a[64];
    x += grid_put(g, y, x, "fp32: ", ROLE_STRONG, -1);
    snprintf(a, sizeof a, "%.4f bits/byte", d->base.bits_per_byte);
    x += grid_put(g, y, x, a, ROLE_VALUE, -1);
    grid_printf(g, y, x, ROLE_DIM, r.x + r.w - x, " (%.4f nats a byte)", d->base.nats);
    y++;
    char label[48];
    loss_label(d, &d->cur.cfg, label, sizeof label);
    x = r.x + 2;
    x += grid_printf(g, y, x, ROLE_STRONG, -1, "%s: ", label);
    snprintf(a, sizeof a, "%.4f bits/byte", d->cur.bits_per_byte);
    x += grid_put(g, y, x, a, ROLE_VALUE, -1);
    double delta = d->cur.bits_per_byte - d->base.bits_per_byte;
    snprintf(a, sizeof a, " (%+.4f, %+.2f %%)", delta, 100 * delta / d->base.bits_per_byte);
    grid_put(g, y, x, a, fabs(delta) < 0.01 ? ROLE_GOOD : delta > 0.1 ? ROLE_BAD : ROLE_WARN, -1);
    y++;
    grid_printf(g, y, r.x + 4, ROLE_DIM, r.w - 4, "%.3g bits a weight · weights' SNR %.1f dB · evaluated in %.0f ms",
                d->cur.bpw, d->cur.snr_db, d->cur.ms);
    if (v->st.code) grid_put(g, y, r.x + 2, v->st.msg, ROLE_ERROR, r.w - 2);
    y += 2;

    /* Everything evaluated so far, most bits first. */
    int rows = lv_table_rows(v);
    const QuantLossEntry *sorted[QLOSS_MAX_ENTRIES];
    for (int i = 0; i < d->n_hist; i++) sorted[i] = &d->hist[i];
    qsort(sorted, (size_t)d->n_hist, sizeof sorted[0], cmp_entry);
    int cols = 5;
    char **cells = vmem_array((size_t)rows * (size_t)cols, sizeof(char *));
    cells[0] = vmem_strdup("evaluated so far");
    cells[1] = vmem_strdup("bits/weight");
    cells[2] = vmem_strdup("SNR dB");
    cells[3] = vmem_strdup("bits/byte");
    cells[4] = vmem_strdup("vs fp32");
    int hl = -1;
    cells[5] = vmem_strdup("fp32 (not quantized)");
    cells[6] = vmem_strdup("32");
    cells[7] = vmem_strdup("∞");
    cells[8] = vmem_printf("%.4f", d->base.bits_per_byte);
    cells[9] = vmem_strdup("");
    for (int i = 0; i + 2 < rows; i++) {
        const QuantLossEntry *e = sorted[i];
        char **c = cells + (size_t)(i + 2) * cols;
        c[0] = vmem_strdup(loss_label(d, &e->cfg, label, sizeof label));
        c[1] = vmem_printf("%.3g", e->bpw);
        c[2] = vmem_printf("%.1f", e->snr_db);
        c[3] = vmem_printf("%.4f", e->bits_per_byte);
        c[4] = vmem_printf("%+.2f %%", 100 * (e->bits_per_byte - d->base.bits_per_byte) / d->base.bits_per_byte);
        if (quant_config_same(&e->cfg, &d->cur.cfg)) hl = i + 2;
    }
    widget_table(g, y, r.x + 2, r.w - 2, (const char *const *)cells, rows, cols, hl, env);
    for (int i = 0; i < rows * cols; i++) free(cells[i]);
    free(cells);
    y += rows + 1 + 1;

    /* Loss against bits for the integer scheme at this granularity. */
    float curve[8];
    QuantConfig c = sc_config(&v->sc);
    if (c.kind != QUANT_INT) c = quant_config_int(4, (QuantGranularity)v->sc.gran, (int)v->sc.block.value, v->sc.asym);
    double lo = d->base.bits_per_byte, hi = lo;
    for (int b = 1; b <= 8; b++) {
        QuantConfig cb = c;
        cb.bits = b;
        const QuantLossEntry *e = b >= 2 ? quant_loss_demo_find(d, &cb) : NULL;
        curve[b - 1] = e ? (float)e->bits_per_byte : NAN;
        if (e) lo = fmin(lo, e->bits_per_byte), hi = fmax(hi, e->bits_per_byte);
    }
    /* The axis spans what was measured, fp32 included, with a margin. */
    double pad = fmax(0.05 * (hi - lo), 0.01);
    loss_label(d, &c, label, sizeof label);
    char *title = vmem_printf("bits/byte of int%s (evaluated points)", strchr(label, ' ') ? strchr(label, ' ') : "");
    PlotSeries s = {curve, 8, ROLE_SERIES1, "quantized"};
    PlotOpts po = {.title = title, .y_min = lo - pad, .y_max = hi + pad,
                   .cutoff_x = v->sc.scheme == 0 ? v->sc.bits.value : 0, .hline_y = d->base.bits_per_byte,
                   .hline_label = "fp32", .x_label = "bits per code (Enter evaluates them all)"};
    widget_plot(g, (Rect){y, r.x, LV_PLOT_ROWS, r.w}, &s, 1, &po, env);
    free(title);
}

static int lv_n_controls(void *self)
{
    (void)self;
    return SC_N;
}

static int lv_apply(LossView *v)
{
    int before = lv_table_rows(v);
    status_clear(&v->st);
    QuantConfig c = sc_config(&v->sc);
    quant_loss_demo_set(&v->d, &c, &v->st);
    return EV_REDRAW | (lv_table_rows(v) != before ? EV_RELAYOUT : 0);
}

static int lv_key(void *self, int control, int key, Action act)
{
    LossView *v = self;
    if (key == VK_ENTER) {
        int before = lv_table_rows(v);
        status_clear(&v->st);
        quant_loss_demo_sweep(&v->d, &v->st);
        return EV_HANDLED | EV_REDRAW | (lv_table_rows(v) != before ? EV_RELAYOUT : 0);
    }
    int fl = sc_key(&v->sc, control, act);
    if (fl & EV_REDRAW) fl |= lv_apply(v);
    return fl;
}

static int lv_mouse(void *self, const MouseEvent *ev, int *control)
{
    LossView *v = self;
    int c = *control;
    int fl = sc_mouse(&v->sc, ev, &c);
    if (!fl) {
        *control = -1;
        return 0;
    }
    *control = c;
    if (fl & EV_REDRAW) fl |= lv_apply(v);
    return fl;
}

static const char *lv_hint(void *self, int control)
{
    LossView *v = self;
    snprintf(v->hint, sizeof v->hint, "%s · Enter evaluates all", sc_hint(&v->sc, control));
    return v->hint;
}

static int lv_control_row(void *self, int control)
{
    LossView *v = self;
    return v->sc.rows[control < 0 || control >= SC_N ? 0 : control];
}

const DemoViewOps dview_quant_loss = {
    .name = "quant-loss", .create = lv_create, .destroy = lv_destroy, .height = lv_height,
    .draw = lv_draw, .n_controls = lv_n_controls, .key = lv_key, .mouse = lv_mouse,
    .hint = lv_hint, .control_row = lv_control_row,
};
