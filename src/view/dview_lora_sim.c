/* dview_lora_sim.c — lesson 5: Hu et al. §7 on two real LoRA runs. A
 * button trains lora:r₁ and lora:r₂ (the lab, through the tick hook); then
 * for the chosen layer and matrix the subspace similarity φ(i, j) of their
 * A matrices beside the random baseline max(i, j)/in, and each run's
 * amplification factor ‖ΔW‖ / ‖UᵀWV‖ beside W's own top-r and random
 * directions. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../demo/demo.h"
#include "../demo/demo_lora_sim.h"
#include "dview.h"
#include "vmem.h"

enum { SM_RUN, SM_LAYER, SM_MATRIX, SM_N };
enum { SM_LABEL_W = 10, SM_MAX_I = 8, SM_MAX_J = 8 };

static const char *const matrix_names[] = {"q", "v"};

typedef struct SimView {
    LoraSimDemo d;
    Slider layer;
    SliderHit layer_hit;
    ChoiceHit matrix_hit;
    int matrix;
    int rows[SM_N];
    int run_y, run_x0, run_x1;
    char hint[120];
} SimView;

static void *sm_create(const DemoArgs *args, Status *st)
{
    SimView *v = vmem_alloc(sizeof *v);
    if (demo_impl_find("lora-similarity")->init(&v->d, args, st)) {
        free(v);
        return NULL;
    }
    slider_init_linear(&v->layer, "layer", 0, 3, 0, 1, 1, true); /* the base model's 4 layers */
    return v;
}

static void sm_destroy(void *self)
{
    SimView *v = self;
    if (!v) return;
    lora_sim_demo_free(&v->d);
    free(v);
}

/* The j columns shown: 1, 2, 4 … up to r₂ (at most SM_MAX_J). */
static int j_columns(const LoraSimDemo *d, int *js)
{
    int n = 0;
    for (int j = 1; j <= d->r_large && n < SM_MAX_J; j *= 2) js[n++] = j;
    if (n < SM_MAX_J && js[n - 1] != d->r_large) js[n++] = d->r_large;
    return n;
}

static int i_rows(const LoraSimDemo *d)
{
    return d->r_small < SM_MAX_I ? d->r_small : SM_MAX_I;
}

static int sm_height(void *self, int width, const ViewEnv *env)
{
    (void)width, (void)env;
    SimView *v = self;
    return SM_N + 1 + 1 + 1 + 1 + (i_rows(&v->d) + 2) + 4 + 1 + 4 + 2 + (v->d.err.code ? 1 : 0);
}

static void draw_status(SimView *v, Grid *g, int y, Rect r, const ViewEnv *env)
{
    const LoraSimDemo *d = &v->d;
    int x = r.x + 2;
    if (d->analysed && d->an.small_method >= 0) {
        grid_printf(g, y, x, ROLE_VALUE, r.w - 2, "%s, %d steps: held-out %.3f → %.3f and %.3f nats per byte",
                    d->methods, d->run.set.steps, d->base_loss, d->loss_small, d->loss_large);
        return;
    }
    if (d->run.state == LABD_IDLE) {
        grid_printf(g, y, x, ROLE_DIM, r.w - 2, "Not run yet: Enter trains LoRA r = %d and r = %d, %d steps.",
                    d->r_small, d->r_large, d->run.set.steps);
        return;
    }
    if (!d->run.have_lab) return;
    const LabSnapshot *s = &d->run.snap;
    int bw = 16, filled = (int)lround(s->progress * bw);
    for (int i = 0; i < bw; i++)
        x += grid_put(g, y, x, i < filled ? (env->ascii ? "#" : "█") : (env->ascii ? "." : "░"),
                      i < filled ? ROLE_DONE : ROLE_TODO, 1);
    grid_printf(g, y, x, ROLE_LABEL, r.x + r.w - x, " %3.0f%%  step %d of %d · %.1f s", 100 * s->progress, s->round,
                s->steps, s->elapsed_s);
}

static char *num(double x, const char *fmt)
{
    return isfinite(x) ? vmem_printf(fmt, x) : vmem_strdup("–");
}

static void sm_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    SimView *v = self;
    LoraSimDemo *d = &v->d;
    int y = r.y;
    v->rows[SM_RUN] = y;
    grid_put(g, y, r.x, focus == SM_RUN ? (env->ascii ? "> " : "▶ ") : "  ", ROLE_FOCUS, 2);
    const char *label = lab_demo_running(&d->run) ? "[ training… ]" : d->analysed ? "[ Run it again ]"
                                                                                  : "[ Train both and compare ]";
    int bw = grid_put(g, y, r.x + 2, label, focus == SM_RUN ? ROLE_SELECTED : ROLE_STRONG, -1);
    v->run_y = y, v->run_x0 = r.x + 2, v->run_x1 = r.x + 2 + bw;
    y++;
    v->rows[SM_LAYER] = y;
    widget_slider(g, y++, r.x, r.w, SM_LABEL_W, &v->layer, focus == SM_LAYER, env, &v->layer_hit);
    v->rows[SM_MATRIX] = y;
    widget_choice(g, y++, r.x, r.w, SM_LABEL_W, "matrix", matrix_names, 2, v->matrix, focus == SM_MATRIX, false, env,
                  &v->matrix_hit);
    y++;
    draw_status(v, g, y++, r, env);
    if (d->err.code) grid_put(g, y++, r.x + 2, d->err.msg, ROLE_ERROR, r.w - 2);
    y++;
    int layer = (int)v->layer.value;
    const SubspaceSim *sim = lora_sim_phi(d, layer, v->matrix);
    /* φ(i, j): rows i, columns j, then the random baseline for i = 1. */
    int js[SM_MAX_J], nj = j_columns(d, js), ni = i_rows(d);
    int cols = nj + 1, rows = ni + 2;
    char **cells = vmem_array((size_t)rows * (size_t)cols, sizeof(char *));
    cells[0] = vmem_printf("φ, h.%d.%s: i \\ j", layer, matrix_names[v->matrix]);
    for (int c = 0; c < nj; c++) cells[1 + c] = vmem_printf("%d", js[c]);
    for (int i = 1; i <= ni; i++) {
        char **row = cells + (size_t)i * cols;
        row[0] = vmem_printf("%d", i);
        for (int c = 0; c < nj; c++)
            row[1 + c] = sim ? vmem_printf("%.3f", sim->phi[(i - 1) * d->r_large + (js[c] - 1)]) : vmem_strdup("–");
    }
    char **base = cells + (size_t)(ni + 1) * cols;
    base[0] = vmem_strdup("random, i = 1");
    for (int c = 0; c < nj; c++)
        base[1 + c] = d->an.sim_in > 0 ? vmem_printf("%.3f", (double)js[c] / d->an.sim_in) : vmem_strdup("–");
    widget_table(g, y, r.x + 2, r.w - 2, (const char *const *)cells, rows, cols, -1, env);
    for (int i = 0; i < rows * cols; i++) free(cells[i]);
    free(cells);
    y += rows + 1;
    /* Three short lines: ASCII spells the symbols several letters long. */
    grid_put(g, y++, r.x + 2, "φ = ‖U₁ᵢᵀU₂ⱼ‖² / min(i, j): how much of the top i input", ROLE_DIM, r.w - 2);
    grid_printf(g, y++, r.x + 2, ROLE_DIM, r.w - 2, "directions of A (r = %d) lies in the top j of A (r = %d);",
                d->r_small, d->r_large);
    grid_put(g, y++, r.x + 2, "1 = all of it", ROLE_DIM, r.w - 2);
    y++;
    /* Amplification of both runs. */
    const char *head[] = {"amplification", "r", "‖ΔW‖", "‖UᵀWV‖", "factor", "W top-r", "random"};
    int ac = 7, ar = 3;
    char **amp = vmem_array((size_t)ac * ar, sizeof(char *));
    for (int c = 0; c < ac; c++) amp[c] = vmem_strdup(head[c]);
    for (int w = 0; w < 2; w++) {
        char **row = amp + (size_t)(w + 1) * ac;
        const Amplification *a = lora_sim_amp(d, w, layer, v->matrix);
        row[0] = vmem_printf("lora:%d", w ? d->r_large : d->r_small);
        row[1] = a ? vmem_printf("%d", a->r) : vmem_strdup("–");
        row[2] = num(a ? a->delta_norm : NAN, "%.3f");
        row[3] = num(a ? a->proj : NAN, "%.3f");
        row[4] = num(a ? a->factor : NAN, "%.1f");
        row[5] = num(a ? a->proj_top : NAN, "%.3f");
        row[6] = num(a ? a->proj_random : NAN, "%.3f");
    }
    widget_table(g, y, r.x + 2, r.w - 2, (const char *const *)amp, ar, ac, -1, env);
    for (int i = 0; i < ac * ar; i++) free(amp[i]);
    free(amp);
    y += ar + 1;
    grid_put(g, y++, r.x + 2, "factor = ‖ΔW‖ / ‖UᵀWV‖, U, V: ΔW's top-r singular vectors;", ROLE_DIM, r.w - 2);
    grid_put(g, y, r.x + 2, "W top-r, random: ‖UᵀWV‖ with W's own top-r directions, with random ones", ROLE_DIM,
             r.w - 2);
}

static int sm_n_controls(void *self)
{
    (void)self;
    return SM_N;
}

static int sm_button(SimView *v)
{
    if (lab_demo_running(&v->d.run)) return EV_HANDLED;
    Status st;
    lora_sim_demo_start(&v->d, &st);
    return EV_HANDLED | EV_REDRAW | EV_RELAYOUT;
}

static int sm_key(void *self, int control, int key, Action act)
{
    SimView *v = self;
    if (control == SM_RUN) return key == VK_ENTER || key == ' ' ? sm_button(v) : 0;
    if (control == SM_MATRIX) {
        int dir = act == ACT_INC || act == ACT_INC_BIG ? 1 : act == ACT_DEC || act == ACT_DEC_BIG ? -1 : 0;
        if (!dir) return 0;
        v->matrix = 1 - v->matrix;
        return EV_HANDLED | EV_REDRAW;
    }
    if (control == SM_LAYER) return dview_slider_key(&v->layer, act);
    return 0;
}

static int sm_mouse(void *self, const MouseEvent *ev, int *control)
{
    SimView *v = self;
    if (ev->kind == MOUSE_PRESS && ev->y == v->run_y && ev->x >= v->run_x0 && ev->x < v->run_x1) {
        *control = SM_RUN;
        return sm_button(v);
    }
    int o;
    if (ev->kind == MOUSE_PRESS && (o = widget_choice_at(&v->matrix_hit, ev->y, ev->x)) >= 0) {
        *control = SM_MATRIX;
        v->matrix = o;
        return EV_HANDLED | EV_REDRAW;
    }
    int fl = dview_slider_mouse(&v->layer, &v->layer_hit, ev, ev->kind == MOUSE_DRAG && *control == SM_LAYER);
    if (fl) {
        *control = SM_LAYER;
        return fl;
    }
    *control = -1;
    return 0;
}

static const char *sm_hint(void *self, int control)
{
    SimView *v = self;
    const char *h = control == SM_RUN     ? (lab_demo_running(&v->d.run) ? "training both LoRA runs…"
                                                                         : "Enter trains both runs (seconds)")
                    : control == SM_LAYER ? "the layer: ←/→"
                                          : "the matrix: ←/→";
    snprintf(v->hint, sizeof v->hint, "%s · Tab next", h);
    return v->hint;
}

static int sm_control_row(void *self, int control)
{
    SimView *v = self;
    return v->rows[control < 0 || control >= SM_N ? 0 : control];
}

static bool sm_busy(void *self)
{
    return lab_demo_running(&((SimView *)self)->d.run);
}

static int sm_tick(void *self, double budget_ms)
{
    SimView *v = self;
    bool had = v->d.err.code != 0;
    if (!lora_sim_demo_tick(&v->d, budget_ms)) return 0;
    if (v->d.analysed && v->d.run.have_lab) {
        int L = lab_base(&v->d.run.lab)->cfg.n_layer;
        if (L > 0 && L - 1 != (int)v->layer.max) {
            v->layer.max = L - 1;
            slider_set(&v->layer, v->layer.value);
        }
    }
    return EV_REDRAW | ((v->d.err.code != 0) != had ? EV_RELAYOUT : 0);
}

const DemoViewOps dview_lora_similarity = {
    .name = "lora-similarity",
    .create = sm_create,
    .destroy = sm_destroy,
    .height = sm_height,
    .draw = sm_draw,
    .n_controls = sm_n_controls,
    .key = sm_key,
    .mouse = sm_mouse,
    .hint = sm_hint,
    .control_row = sm_control_row,
    .busy = sm_busy,
    .tick = sm_tick,
};
