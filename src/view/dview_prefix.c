/* dview_prefix.c — lesson 6's views: the attention matrix of the base
 * model with P prefix columns (a real forward pass; the prefix columns
 * marked, the causal mask visible), and prefix tuning's parameter count
 * against LoRA's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../demo/demo.h"
#include "../demo/demo_prefix.h"
#include "dview.h"
#include "vmem.h"

/* ===========================================================================
 * prefix-attention */

enum { PA_P, PA_T, PA_LAYER, PA_HEAD, PA_N };
enum { PA_LABEL_W = 14, PA_MAX_HEADS = 16 };

typedef struct AttnView {
    PrefixAttnDemo d;
    Slider P, T, layer;
    SliderHit hit[PA_N];
    ChoiceHit head_hit;
    char head_names[PA_MAX_HEADS + 1][16];
    const char *head_opts[PA_MAX_HEADS + 1];
    int n_heads;
    int rows[PA_N];
    Status st;
    char hint[120];
} AttnView;

static void *av_create(const DemoArgs *args, Status *st)
{
    AttnView *v = vmem_alloc(sizeof *v);
    if (demo_impl_find("prefix-attention")->init(&v->d, args, st)) {
        free(v);
        return NULL;
    }
    const GptConfig *c = &v->d.model.cfg;
    slider_init_linear(&v->P, "prefix P", 0, PREFIX_ATTN_MAX_P, v->d.P, 1, 4, true);
    slider_init_linear(&v->T, "real tokens T", 1, c->n_positions < PREFIX_ATTN_MAX_T ? c->n_positions : PREFIX_ATTN_MAX_T,
                       v->d.T, 1, 4, true);
    slider_init_linear(&v->layer, "layer", 0, c->n_layer - 1, v->d.layer, 1, 1, true);
    v->n_heads = c->n_head < PA_MAX_HEADS ? c->n_head : PA_MAX_HEADS;
    for (int h = 0; h < v->n_heads; h++) snprintf(v->head_names[h], sizeof v->head_names[h], "%d", h);
    snprintf(v->head_names[v->n_heads], sizeof v->head_names[0], "mean");
    for (int h = 0; h <= v->n_heads; h++) v->head_opts[h] = v->head_names[h];
    return v;
}

static void av_destroy(void *self)
{
    AttnView *v = self;
    if (!v) return;
    prefix_attn_free(&v->d);
    free(v);
}

/* Columns per cell: 2 when the whole matrix fits so, else 1. */
static int cell_w(const AttnView *v, int width)
{
    int need = 7 + (v->d.P + v->d.T) * 2 + 2 + 9;
    return need <= width ? 2 : 1;
}

static int av_height(void *self, int width, const ViewEnv *env)
{
    (void)width, (void)env;
    AttnView *v = self;
    return PA_N + 1 + 2 + v->d.T + 1 + 6 + (v->st.code ? 1 : 0); /* the last line may wrap */
}

/* A cell's look: background shades in 256 colours (bluish in the prefix),
 * shade characters otherwise. */
static void put_cell(Grid *g, int y, int x, int cw, float t, bool masked, bool prefix, const ViewEnv *env)
{
    static const char *const shades[5] = {" ", "░", "▒", "▓", "█"};
    static const char ramp[] = " .:-=+*#%@";
    if (masked) {
        for (int k = 0; k < cw; k++) grid_put(g, y, x + k, k == cw - 1 ? (env->ascii ? "x" : "·") : " ", ROLE_DIM, 1);
        return;
    }
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    if (!env->ascii && env->colour >= CMODE_256) {
        int bg;
        if (prefix) {
            int r = (int)lroundf(t * 3), gg = (int)lroundf(t * 4), b = 1 + (int)lroundf(t * 4);
            bg = 16 + 36 * r + 6 * gg + b;
        } else {
            bg = theme_gray256(t);
        }
        for (int k = 0; k < cw; k++) {
            grid_put(g, y, x + k, " ", ROLE_TEXT, 1);
            grid_colour(g, y, x + k, -1, bg);
        }
        return;
    }
    for (int k = 0; k < cw; k++) {
        if (env->ascii) {
            char c[2] = {ramp[(int)lroundf(t * 9)], 0};
            grid_put(g, y, x + k, c, ROLE_TEXT, 1);
        } else {
            grid_put(g, y, x + k, shades[(int)lroundf(t * 4)], prefix ? ROLE_SERIES2 : ROLE_TEXT, 1);
        }
    }
}

static void av_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    AttnView *v = self;
    const PrefixAttnDemo *d = &v->d;
    int y = r.y;
    Slider *sl[3] = {&v->P, &v->T, &v->layer};
    for (int k = 0; k < 3; k++) {
        v->rows[k] = y;
        widget_slider(g, y++, r.x, r.w, PA_LABEL_W, sl[k], focus == k, env, &v->hit[k]);
    }
    v->rows[PA_HEAD] = y;
    widget_choice(g, y++, r.x, r.w, PA_LABEL_W, "head", v->head_opts, v->n_heads + 1, d->head, focus == PA_HEAD, false,
                  env, &v->head_hit);
    if (v->st.code) grid_put(g, y++, r.x + 2, v->st.msg, ROLE_ERROR, r.w - 2);
    y++;
    int P = d->P, T = d->T, S = P + T, cw = cell_w(v, r.w);
    int x0 = r.x + 7, sep = x0 + P * cw, xr = sep + (P > 0 ? 1 : 0);
    /* Header: which columns are the prefix, then the key bytes. */
    /* The longest label that fits over its columns. */
    if (P > 0) grid_put(g, y, x0, P * cw >= 6 ? "prefix" : "P", ROLE_SERIES2, P * cw);
    grid_put(g, y, xr, T * cw >= 18 ? "real tokens (keys)" : T * cw >= 4 ? "keys" : "k", ROLE_LABEL, T * cw);
    grid_put(g, y, r.x + 1, "query", ROLE_DIM, 5);
    y++;
    for (int j = 0; j < S; j++) {
        char c[2] = {j < P ? d->prefix_bytes[j] : d->query_bytes[j - P], 0};
        if (c[0] == ' ') c[0] = '_';
        int x = j < P ? x0 + j * cw : xr + (j - P) * cw;
        grid_put(g, y, x + cw - 1, c, j < P ? ROLE_SERIES2 : ROLE_LABEL, 1);
    }
    if (P > 0) grid_put(g, y, sep, env->ascii ? "|" : "│", ROLE_FRAME, 1);
    if (P > 0) grid_put(g, y, xr + T * cw + 1, xr + T * cw + 10 <= r.x + r.w ? "on prefix" : "pre.", ROLE_DIM, -1);
    y++;
    float mx = d->att_max > 0 ? d->att_max : 1;
    for (int t = 0; t < T; t++, y++) {
        char c[8];
        snprintf(c, sizeof c, "'%c'", d->query_bytes[t]);
        grid_put(g, y, r.x + 2, c, ROLE_LABEL, 3);
        for (int j = 0; j < S; j++) {
            int x = j < P ? x0 + j * cw : xr + (j - P) * cw;
            size_t i = (size_t)t * S + j;
            put_cell(g, y, x, cw, d->att[i] / mx, !d->allowed[i], j < P, env);
        }
        if (P > 0) grid_put(g, y, sep, env->ascii ? "|" : "│", ROLE_FRAME, 1);
        if (P > 0) grid_printf(g, y, xr + T * cw + 1, ROLE_VALUE, -1, "%3.0f%%", 100 * d->query_prefix[t]);
    }
    y++;
    char head[32];
    if (d->head < d->model.cfg.n_head) snprintf(head, sizeof head, "head %d", d->head);
    else snprintf(head, sizeof head, "mean of %d heads", d->model.cfg.n_head);
    grid_printf(g, y++, r.x + 2, ROLE_LABEL, r.w - 2, "layer %d, %s · lightest cell %.3g · %s = masked", d->layer,
                head, d->att_max, env->ascii ? "x" : "·");
    int x = r.x + 2;
    x += grid_put(g, y, x, "every row sums to 1 over the columns it may see: largest error ", ROLE_LABEL, -1);
    grid_printf(g, y++, x, ROLE_VALUE, r.x + r.w - x, "%.1g", d->row_sum_err);
    x = r.x + 2;
    x += grid_put(g, y, x, "masked entries (later tokens): largest ", ROLE_LABEL, -1);
    grid_printf(g, y++, x, d->masked_max == 0 ? ROLE_GOOD : ROLE_BAD, r.x + r.w - x, "%g%s", d->masked_max,
                d->masked_max == 0 ? " (exactly 0)" : "");
    if (P > 0) {
        x = r.x + 2;
        x += grid_printf(g, y, x, ROLE_LABEL, -1, "mean attention on the %d prefix columns: ", P);
        grid_printf(g, y, x, ROLE_VALUE, r.x + r.w - x, "%.1f %%", 100 * d->prefix_share);
    } else {
        grid_put(g, y, r.x + 2, "P = 0: plain causal attention, a triangle.", ROLE_LABEL, r.w - 2);
    }
    y++;
    char *t = vmem_printf("prefix made from \"%s\" · real tokens \"%s\"", d->prefix_bytes, d->query_bytes);
    widget_text(g, y, r.x + 2, r.w - 2, t, ROLE_DIM, 2);
    free(t);
}

static int av_n_controls(void *self)
{
    (void)self;
    return PA_N;
}

static int av_apply(AttnView *v, int head)
{
    status_clear(&v->st);
    prefix_attn_set(&v->d, (int)v->P.value, (int)v->T.value, (int)v->layer.value, head, &v->st);
    return EV_REDRAW | EV_RELAYOUT;
}

static int av_key(void *self, int control, int key, Action act)
{
    (void)key;
    AttnView *v = self;
    if (control == PA_HEAD) {
        int dir = act == ACT_INC || act == ACT_INC_BIG ? 1 : act == ACT_DEC || act == ACT_DEC_BIG ? -1 : 0;
        if (!dir) return 0;
        return EV_HANDLED | av_apply(v, (v->d.head + dir + v->n_heads + 1) % (v->n_heads + 1));
    }
    if (control < 0 || control > PA_LAYER) return 0;
    Slider *sl[3] = {&v->P, &v->T, &v->layer};
    int fl = dview_slider_key(sl[control], act);
    if (fl & EV_REDRAW) fl |= av_apply(v, v->d.head);
    return fl;
}

static int av_mouse(void *self, const MouseEvent *ev, int *control)
{
    AttnView *v = self;
    int o;
    if (ev->kind == MOUSE_PRESS && (o = widget_choice_at(&v->head_hit, ev->y, ev->x)) >= 0) {
        *control = PA_HEAD;
        return EV_HANDLED | av_apply(v, o);
    }
    Slider *sl[3] = {&v->P, &v->T, &v->layer};
    for (int k = 0; k < 3; k++) {
        int fl = dview_slider_mouse(sl[k], &v->hit[k], ev, ev->kind == MOUSE_DRAG && *control == k);
        if (fl) {
            *control = k;
            if (fl & EV_REDRAW) fl |= av_apply(v, v->d.head);
            return fl;
        }
    }
    *control = -1;
    return 0;
}

static const char *av_hint(void *self, int control)
{
    AttnView *v = self;
    static const char *const what[PA_N] = {"prefix length P: ←/→", "real tokens T: ←/→", "the layer: ←/→",
                                           "the head, or the mean of all: ←/→"};
    snprintf(v->hint, sizeof v->hint, "%s · Tab next", what[control < 0 || control >= PA_N ? 0 : control]);
    return v->hint;
}

static int av_control_row(void *self, int control)
{
    AttnView *v = self;
    return v->rows[control < 0 || control >= PA_N ? 0 : control];
}

const DemoViewOps dview_prefix_attention = {
    .name = "prefix-attention",
    .create = av_create,
    .destroy = av_destroy,
    .height = av_height,
    .draw = av_draw,
    .n_controls = av_n_controls,
    .key = av_key,
    .mouse = av_mouse,
    .hint = av_hint,
    .control_row = av_control_row,
};

/* ===========================================================================
 * prefix-cost */

typedef struct CostView {
    PrefixCostDemo d;
    Slider P;
    SliderHit hit;
    int row;
} CostView;

static void *cv_create(const DemoArgs *args, Status *st)
{
    CostView *v = vmem_alloc(sizeof *v);
    if (demo_impl_find("prefix-cost")->init(&v->d, args, st)) {
        free(v);
        return NULL;
    }
    slider_init_log(&v->P, "prefix P", 1, 1024, v->d.P, 2, 4, true);
    return v;
}

static void cv_destroy(void *self) { free(self); }

static int cv_height(void *self, int width, const ViewEnv *env)
{
    (void)width, (void)env;
    CostView *v = self;
    PrefixCost c = prefix_cost(&v->d.cfg, v->d.P);
    return 1 + 1 + 1 + 2 + c.n_lora + 1 + 1 + 3;
}

static void cv_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    CostView *v = self;
    PrefixCost c = prefix_cost(&v->d.cfg, v->d.P);
    int y = r.y;
    v->row = y;
    widget_slider(g, y++, r.x, r.w, 12, &v->P, focus == 0, env, &v->hit);
    y++;
    char m[32];
    fmt_count(c.model, m, (int)sizeof m);
    grid_printf(g, y++, r.x + 2, ROLE_LABEL, r.w - 2, "the base model: L = %d layers, d = %d channels, %s parameters", c.L,
                c.d, m);
    enum { MAXB = 12 };
    HBar bars[MAXB];
    char labels[MAXB][40], texts[MAXB][48];
    int n = 0;
    char a[32];
    snprintf(labels[n], sizeof labels[n], "prefix P = %d", c.P);
    fmt_count(c.prefix, a, (int)sizeof a);
    snprintf(texts[n], sizeof texts[n], "L·2·P·d = %s", a);
    bars[n] = (HBar){labels[n], (double)c.prefix, ROLE_SERIES2, texts[n]};
    n++;
    snprintf(labels[n], sizeof labels[n], "  while training (MLP)");
    fmt_count(c.prefix_mlp, a, (int)sizeof a);
    snprintf(texts[n], sizeof texts[n], "%s, dropped after", a);
    bars[n] = (HBar){labels[n], (double)c.prefix_mlp, ROLE_DIM, texts[n]};
    n++;
    for (int i = 0; i < c.n_lora && n < MAXB - 1; i++) {
        snprintf(labels[n], sizeof labels[n], "LoRA r = %d on q, v", c.lora_rank[i]);
        fmt_count(c.lora[i], a, (int)sizeof a);
        snprintf(texts[n], sizeof texts[n], "L·2·r·2d = %s", a);
        bars[n] = (HBar){labels[n], (double)c.lora[i], ROLE_SERIES1, texts[n]};
        n++;
    }
    snprintf(labels[n], sizeof labels[n], "full fine-tuning");
    fmt_count(c.full, a, (int)sizeof a);
    snprintf(texts[n], sizeof texts[n], "%s", a);
    bars[n] = (HBar){labels[n], (double)c.full, ROLE_SERIES4, texts[n]};
    n++;
    widget_hbars(g, (Rect){y, r.x + 2, n, r.w - 2}, bars, n, 0, true, 4, 0, NULL, env);
    y += n + 1;
    /* Equal counts: L·2·P·d = L·2·r·2d when P = 2r. */
    if (c.P % 2 == 0)
        grid_printf(g, y++, r.x + 2, ROLE_TEXT, r.w - 2, "P = %d virtual tokens train as many numbers as LoRA of rank %d (q, v).",
                    c.P, c.P / 2);
    else
        grid_printf(g, y++, r.x + 2, ROLE_TEXT, r.w - 2, "P = %d virtual tokens train as many numbers as LoRA of rank %.1f (q, v).",
                    c.P, c.P / 2.0);
    int T = v->d.cfg.n_positions;
    grid_printf(g, y++, r.x + 2, ROLE_TEXT, r.w - 2,
                "attention grows too: %d × %d scores a head, not %d × %d (%+.0f %%)", T, T + c.P, T, T,
                100.0 * c.P / T);
    grid_put(g, y++, r.x + 2, "Bars on a log scale: a quarter of the width is a factor of ten.", ROLE_DIM, r.w - 2);
}

static int cv_n_controls(void *self)
{
    (void)self;
    return 1;
}

static int cv_key(void *self, int control, int key, Action act)
{
    (void)control, (void)key;
    CostView *v = self;
    int fl = dview_slider_key(&v->P, act);
    if (fl & EV_REDRAW) v->d.P = (int)v->P.value;
    return fl;
}

static int cv_mouse(void *self, const MouseEvent *ev, int *control)
{
    CostView *v = self;
    int fl = dview_slider_mouse(&v->P, &v->hit, ev, ev->kind == MOUSE_DRAG && *control == 0);
    if (fl) {
        *control = 0;
        if (fl & EV_REDRAW) v->d.P = (int)v->P.value;
        return fl;
    }
    *control = -1;
    return 0;
}

static const char *cv_hint(void *self, int control)
{
    (void)self, (void)control;
    return "prefix length P: ←/→ doubles or halves · Tab next";
}

static int cv_control_row(void *self, int control)
{
    (void)control;
    return ((CostView *)self)->row;
}

const DemoViewOps dview_prefix_cost = {
    .name = "prefix-cost",
    .create = cv_create,
    .destroy = cv_destroy,
    .height = cv_height,
    .draw = cv_draw,
    .n_controls = cv_n_controls,
    .key = cv_key,
    .mouse = cv_mouse,
    .hint = cv_hint,
    .control_row = cv_control_row,
};
