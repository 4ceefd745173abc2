/* dview_lora_scale.c — lesson 5: ‖ΔW‖ after LoRA's first Adam steps
 * against the rank r, for three rules of the scale s (α = 2r with α/r, α
 * fixed with α/r, α fixed with α/√r). A button runs the real steps (through
 * the tick hook); a plot on a log scale and a table with each figure's
 * ratio to r = 1 show how the size grows, shrinks or stays level. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../demo/demo.h"
#include "../demo/demo_lora_scale.h"
#include "dview.h"
#include "vmem.h"

enum { LS_RUN, LS_LAYER, LS_MATRIX, LS_STEP, LS_N };
enum { LS_LABEL_W = 10, LS_PLOT_ROWS = 10 };

static const char *const matrix_names[] = {"q", "v"};

typedef struct ScaleView {
    LoraScaleDemo d;
    bool started;
    Slider layer, step;
    SliderHit layer_hit, step_hit;
    ChoiceHit matrix_hit;
    int rows[LS_N];
    int run_y, run_x0, run_x1;
    char hint[120];
} ScaleView;

static void *sv_create(const DemoArgs *args, Status *st)
{
    ScaleView *v = vmem_alloc(sizeof *v);
    if (demo_impl_find("lora-scale")->init(&v->d, args, st)) {
        free(v);
        return NULL;
    }
    slider_init_linear(&v->layer, "layer", 0, v->d.base.cfg.n_layer - 1, v->d.layer, 1, 1, true);
    slider_init_linear(&v->step, "step", 1, v->d.steps, v->d.steps, 1, 1, true);
    return v;
}

static void sv_destroy(void *self)
{
    ScaleView *v = self;
    if (!v) return;
    lora_scale_demo_free(&v->d);
    free(v);
}

static int sv_height(void *self, int width, const ViewEnv *env)
{
    (void)width, (void)env;
    ScaleView *v = self;
    return LS_N + 1 + 2 + 1 + LS_PLOT_ROWS + 1 + (LSCALE_RANKS + 1) + 3 + (v->d.err.code ? 1 : 0);
}

static bool running(const ScaleView *v)
{
    return v->started && !lora_scale_demo_done(&v->d);
}

static void draw_status(ScaleView *v, Grid *g, int y, Rect r, const ViewEnv *env)
{
    const LoraScaleDemo *d = &v->d;
    int x = r.x + 2;
    const char *mname = matrix_names[d->matrix];
    if (!v->started) {
        grid_printf(g, y, x, ROLE_DIM, r.w - 2, "Not run yet: Enter trains r = 1 … 64 under each rule, %d steps each.",
                    d->steps);
    } else if (running(v)) {
        int bw = 16, filled = (int)lround(lora_scale_demo_progress(d) * bw);
        for (int i = 0; i < bw; i++)
            x += grid_put(g, y, x, i < filled ? (env->ascii ? "#" : "█") : (env->ascii ? "." : "░"),
                          i < filled ? ROLE_DONE : ROLE_TODO, 1);
        grid_printf(g, y, x, ROLE_LABEL, r.x + r.w - x, " %3.0f%%  training run %d of %d",
                    100 * lora_scale_demo_progress(d), d->next + 1, LSCALE_RULES * LSCALE_RANKS);
    } else {
        grid_printf(g, y, x, ROLE_VALUE, r.w - 2, "‖ΔW‖ of h.%d.%s (%d × %d) after each of %d steps", d->layer, mname,
                    d->base.cfg.n_embd, d->base.cfg.n_embd, d->steps);
    }
    grid_printf(g, y + 1, r.x + 2, ROLE_DIM, r.w - 2, "LoRA on q and v · peak lr %g, lab warmup · %d × %d bytes a step",
                (double)d->lr, d->batch, d->base.cfg.n_positions);
}

static void sv_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    ScaleView *v = self;
    LoraScaleDemo *d = &v->d;
    int y = r.y;
    v->rows[LS_RUN] = y;
    grid_put(g, y, r.x, focus == LS_RUN ? (env->ascii ? "> " : "▶ ") : "  ", ROLE_FOCUS, 2);
    const char *label = running(v) ? "[ measuring… ]" : v->started ? "[ Measure again ]" : "[ Measure ‖ΔW‖ ]";
    int bw = grid_put(g, y, r.x + 2, label, focus == LS_RUN ? ROLE_SELECTED : ROLE_STRONG, -1);
    v->run_y = y, v->run_x0 = r.x + 2, v->run_x1 = r.x + 2 + bw;
    y++;
    v->rows[LS_LAYER] = y;
    widget_slider(g, y++, r.x, r.w, LS_LABEL_W, &v->layer, focus == LS_LAYER, env, &v->layer_hit);
    v->rows[LS_MATRIX] = y;
    widget_choice(g, y++, r.x, r.w, LS_LABEL_W, "matrix", matrix_names, 2, d->matrix, focus == LS_MATRIX, false, env,
                  &v->matrix_hit);
    v->rows[LS_STEP] = y;
    widget_slider(g, y++, r.x, r.w, LS_LABEL_W, &v->step, focus == LS_STEP, env, &v->step_hit);
    y++;
    draw_status(v, g, y, r, env);
    y += 2;
    if (d->err.code) grid_put(g, y++, r.x + 2, d->err.msg, ROLE_ERROR, r.w - 2);
    y++;
    int k = (int)v->step.value - 1;
    float *ys[LSCALE_RULES];
    PlotSeries s[LSCALE_RULES];
    static const Role roles[LSCALE_RULES] = {ROLE_SERIES1, ROLE_SERIES2, ROLE_SERIES3};
    bool any = false;
    for (int u = 0; u < LSCALE_RULES; u++) {
        ys[u] = vmem_array(LSCALE_RANKS, sizeof(float));
        for (int i = 0; i < LSCALE_RANKS; i++) {
            double n = d->norm[u][i][k];
            ys[u][i] = isfinite(n) && n > 0 ? (float)n : NAN;
            any |= isfinite(n);
        }
        s[u] = (PlotSeries){ys[u], LSCALE_RANKS, roles[u], lora_scale_rule_names[u]};
    }
    if (any) {
        char *title = vmem_printf("‖ΔW‖ after step %d (log)", k + 1);
        PlotOpts o = {.title = title, .log_y = true, .hline_y = NAN,
                      .x_label = "r = 1, 2, 4, 8, 16, 32, 64 (a column per doubling)"};
        widget_plot(g, (Rect){y, r.x, LS_PLOT_ROWS, r.w}, s, LSCALE_RULES, &o, env);
        free(title);
    } else {
        grid_put(g, y + LS_PLOT_ROWS / 2, r.x + 4, "The curves appear here as the runs finish.", ROLE_DIM, r.w - 4);
    }
    for (int u = 0; u < LSCALE_RULES; u++) free(ys[u]);
    y += LS_PLOT_ROWS + 1;
    /* The table: each figure and its ratio to r = 1, beside √r. */
    int cols = 2 + LSCALE_RULES, rows = LSCALE_RANKS + 1;
    char **cells = vmem_array((size_t)rows * (size_t)cols, sizeof(char *));
    cells[0] = vmem_strdup("r");
    for (int u = 0; u < LSCALE_RULES; u++) cells[1 + u] = vmem_strdup(lora_scale_rule_names[u]);
    cells[cols - 1] = vmem_strdup(env->ascii ? "sqrt(r)" : "√r"); /* ASCII spells it wider */
    for (int i = 0; i < LSCALE_RANKS; i++) {
        char **row = cells + (size_t)(i + 1) * cols;
        int rank = lora_scale_ranks[i];
        row[0] = vmem_printf("%d", rank);
        for (int u = 0; u < LSCALE_RULES; u++) {
            double n = d->norm[u][i][k], n1 = d->norm[u][0][k];
            row[1 + u] = isfinite(n) && isfinite(n1) && n1 > 0 ? vmem_printf("%.2e ×%.2f", n, n / n1)
                                                              : vmem_strdup("–");
        }
        row[cols - 1] = vmem_printf("%.2f", sqrt((double)rank));
    }
    widget_table(g, y, r.x + 2, r.w - 2, (const char *const *)cells, rows, cols, -1, env);
    for (int i = 0; i < rows * cols; i++) free(cells[i]);
    free(cells);
    y += rows + 1;
    grid_put(g, y++, r.x + 2, "×: ‖ΔW‖ over its value at r = 1 (all rules give s = 2 there)", ROLE_DIM, r.w - 2);
    grid_put(g, y, r.x + 2, "s = α/r: 2 at α = 2r, 2/r at α = 2; rsLoRA: 2/√r", ROLE_DIM, r.w - 2);
}

static int sv_n_controls(void *self)
{
    (void)self;
    return LS_N;
}

/* Start (or restart) the runs for the chosen layer and matrix. */
static int sv_restart(ScaleView *v, int layer, int matrix, bool start)
{
    Status st;
    if (layer == v->d.layer && matrix == v->d.matrix && !start) return EV_HANDLED;
    lora_scale_demo_set(&v->d, layer, matrix, &st);
    if (start) v->started = true;
    return EV_HANDLED | EV_REDRAW | EV_RELAYOUT;
}

static int sv_button(ScaleView *v)
{
    if (running(v)) return EV_HANDLED;
    return sv_restart(v, v->d.layer, v->d.matrix, true);
}

static int sv_key(void *self, int control, int key, Action act)
{
    ScaleView *v = self;
    if (control == LS_RUN) return key == VK_ENTER || key == ' ' ? sv_button(v) : 0;
    if (control == LS_MATRIX) {
        int dir = act == ACT_INC || act == ACT_INC_BIG ? 1 : act == ACT_DEC || act == ACT_DEC_BIG ? -1 : 0;
        if (!dir) return 0;
        return sv_restart(v, v->d.layer, 1 - v->d.matrix, false) | EV_REDRAW;
    }
    if (control == LS_LAYER) {
        int fl = dview_slider_key(&v->layer, act);
        if (fl & EV_REDRAW) fl |= sv_restart(v, (int)v->layer.value, v->d.matrix, false);
        return fl;
    }
    if (control == LS_STEP) return dview_slider_key(&v->step, act);
    return 0;
}

static int sv_mouse(void *self, const MouseEvent *ev, int *control)
{
    ScaleView *v = self;
    if (ev->kind == MOUSE_PRESS && ev->y == v->run_y && ev->x >= v->run_x0 && ev->x < v->run_x1) {
        *control = LS_RUN;
        return sv_button(v);
    }
    int o;
    if (ev->kind == MOUSE_PRESS && (o = widget_choice_at(&v->matrix_hit, ev->y, ev->x)) >= 0) {
        *control = LS_MATRIX;
        return sv_restart(v, v->d.layer, o, false) | EV_REDRAW;
    }
    int fl = dview_slider_mouse(&v->layer, &v->layer_hit, ev, ev->kind == MOUSE_DRAG && *control == LS_LAYER);
    if (fl) {
        *control = LS_LAYER;
        if (fl & EV_REDRAW) fl |= sv_restart(v, (int)v->layer.value, v->d.matrix, false);
        return fl;
    }
    fl = dview_slider_mouse(&v->step, &v->step_hit, ev, ev->kind == MOUSE_DRAG && *control == LS_STEP);
    if (fl) {
        *control = LS_STEP;
        return fl;
    }
    *control = -1;
    return 0;
}

static const char *sv_hint(void *self, int control)
{
    ScaleView *v = self;
    const char *h = control == LS_RUN     ? (running(v) ? "training LoRA at every rank…" : "Enter trains and measures (seconds)")
                    : control == LS_LAYER ? "the layer: ←/→ (measures again)"
                    : control == LS_MATRIX ? "the matrix: ←/→ (measures again)"
                                           : "which step's ‖ΔW‖: ←/→";
    snprintf(v->hint, sizeof v->hint, "%s · Tab next", h);
    return v->hint;
}

static int sv_control_row(void *self, int control)
{
    ScaleView *v = self;
    return v->rows[control < 0 || control >= LS_N ? 0 : control];
}

static bool sv_busy(void *self)
{
    return running(self);
}

static int sv_tick(void *self, double budget_ms)
{
    ScaleView *v = self;
    if (!running(v)) return 0;
    bool had = v->d.err.code != 0;
    if (!lora_scale_demo_tick(&v->d, budget_ms)) return 0;
    return EV_REDRAW | ((v->d.err.code != 0) != had ? EV_RELAYOUT : 0);
}

const DemoViewOps dview_lora_scale = {
    .name = "lora-scale",
    .create = sv_create,
    .destroy = sv_destroy,
    .height = sv_height,
    .draw = sv_draw,
    .n_controls = sv_n_controls,
    .key = sv_key,
    .mouse = sv_mouse,
    .hint = sv_hint,
    .control_row = sv_control_row,
    .busy = sv_busy,
    .tick = sv_tick,
};
