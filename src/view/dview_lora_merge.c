/* dview_lora_merge.c — lesson 5: merging an adapter into W and taking it
 * out again, on the real model. A button trains A and B (a short real LoRA
 * run through the tick hook) or puts B back to zero; sliders pick the layer
 * compared and the rank. The figures are the demo's measurements. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../demo/demo.h"
#include "../demo/demo_lora.h"
#include "dview.h"
#include "vmem.h"

enum { LM_RUN, LM_LAYER, LM_RANK, LM_NC };
enum { LM_LABEL_W = 10 };

typedef struct MergeView {
    LoraMergeDemo d;
    Slider layer, rank;
    SliderHit hit[LM_NC];
    int rows[LM_NC];
    int run_y, run_x0, run_x1;
    Status st;
    char hint[120];
} MergeView;

static void *mv_create(const DemoArgs *args, Status *st)
{
    MergeView *v = vmem_alloc(sizeof *v);
    if (demo_impl_find("lora-merge")->init(&v->d, args, st)) {
        free(v);
        return NULL;
    }
    slider_init_linear(&v->layer, "layer", 0, v->d.model.cfg.n_layer - 1, v->d.layer, 1, 1, true);
    slider_init_log(&v->rank, "rank r", 1, LAB_DEMO_MAX_RANK, v->d.rank, 2, 4, true);
    return v;
}

static void mv_destroy(void *self)
{
    MergeView *v = self;
    if (!v) return;
    lora_merge_demo_free(&v->d);
    free(v);
}

static int mv_height(void *self, int width, const ViewEnv *env)
{
    (void)self, (void)width, (void)env;
    return LM_NC + 1 + 3 + 2 + 1 + 6 + 2;
}

static void mv_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    MergeView *v = self;
    const LoraMergeDemo *d = &v->d;
    const LoraMergeResult *res = &d->res;
    int y = r.y;
    /* The button. */
    v->rows[LM_RUN] = y;
    grid_put(g, y, r.x, focus == LM_RUN ? (env->ascii ? "> " : "▶ ") : "  ", ROLE_FOCUS, 2);
    char *b;
    if (d->training) {
        const LabSnapshot *s = &d->train.snap;
        b = vmem_printf("[ training A and B: step %d of %d ]", s->round, s->steps);
    } else if (d->trained_steps) {
        b = vmem_strdup("[ B = 0 again ]");
    } else {
        b = vmem_printf("[ Train A and B for %d steps ]", d->steps);
    }
    int bw = grid_put(g, y, r.x + 2, b, focus == LM_RUN ? ROLE_SELECTED : ROLE_STRONG, -1);
    free(b);
    v->run_y = y, v->run_x0 = r.x + 2, v->run_x1 = r.x + 2 + bw;
    y++;
    v->rows[LM_LAYER] = y;
    widget_slider(g, y++, r.x, r.w, LM_LABEL_W, &v->layer, focus == LM_LAYER, env, &v->hit[LM_LAYER]);
    v->rows[LM_RANK] = y;
    widget_slider(g, y++, r.x, r.w, LM_LABEL_W, &v->rank, focus == LM_RANK, env, &v->hit[LM_RANK]);
    y++;
    /* The adapter. */
    grid_printf(g, y++, r.x + 2, ROLE_LABEL, r.w - 2, "adapter: rank %d on q and v of all %d layers, α/r = %g", d->rank,
                d->model.cfg.n_layer, d->ad.scale);
    if (d->trained_steps)
        grid_printf(g, y, r.x + 2, ROLE_VALUE, r.w - 2, "trained %d steps on Moby-Dick: held-out loss %.3f → %.3f nats/byte",
                    d->trained_steps, d->loss_before, d->loss_after);
    else grid_put(g, y, r.x + 2, "B = 0, as LoRA starts (A random)", ROLE_VALUE, r.w - 2);
    y++;
    if (v->st.code || d->err.code)
        grid_put(g, y, r.x + 2, v->st.code ? v->st.msg : d->err.msg, ROLE_ERROR, r.w - 2);
    else
        grid_printf(g, y, r.x + 2, ROLE_DIM, r.w - 2, "both models read the same %d bytes of %s (%d windows of %d):",
                    res->tokens, d->text_name, d->B, d->T);
    y++;
    grid_put(g, y++, r.x + 4, "unmerged   y = W₀x + (α/r)·B(Ax)   the adapter beside W₀", ROLE_CODE, r.w - 4);
    grid_put(g, y++, r.x + 4, "merged     y = (W₀ + (α/r)·BA)x    one matrix, as fast as W₀", ROLE_CODE, r.w - 4);
    y++;
    /* The measurements, as a table. */
    char n1[32], n2[32], n3[32];
    fmt_count((long long)res->outputs, n1, (int)sizeof n1);
    fmt_count((long long)d->B * d->T * d->model.cfg.vocab_size, n2, (int)sizeof n2);
    fmt_count((long long)d->model.num_params, n3, (int)sizeof n3);
    char *cells[5 * 3];
    cells[0] = vmem_strdup("compared");
    cells[1] = vmem_strdup("max |difference|");
    cells[2] = vmem_strdup("largest |value|");
    cells[3] = vmem_printf("h.%d.attn.c_attn outputs (%s)", res->layer, n1);
    cells[4] = res->y_identical ? vmem_strdup("0") : vmem_printf("%.3g", res->y_diff);
    cells[5] = vmem_printf("%.3g", res->y_absmax);
    cells[6] = vmem_printf("logits (%s)", n2);
    cells[7] = res->logits_diff == 0 ? vmem_strdup("0") : vmem_printf("%.3g", res->logits_diff);
    cells[8] = vmem_printf("%.3g", res->logits_absmax);
    cells[9] = vmem_printf("W after unmerging vs W₀ (%s)", n3);
    cells[10] = res->w_identical ? vmem_strdup("0") : vmem_printf("%.3g", res->w_diff);
    cells[11] = vmem_strdup("");
    cells[12] = vmem_strdup("the update (α/r)·BA");
    cells[13] = vmem_strdup("");
    cells[14] = vmem_printf("%.3g", res->update_absmax);
    widget_table(g, y, r.x + 2, r.w - 2, (const char *const *)cells, 5, 3, -1, env);
    for (int i = 0; i < 15; i++) free(cells[i]);
    y += 6;
    if (res->y_identical && res->logits_diff == 0)
        grid_put(g, y, r.x + 2, "→ identical, bit for bit: the update is exactly zero", ROLE_GOOD, r.w - 2);
    else
        grid_printf(g, y, r.x + 2, ROLE_GOOD, r.w - 2, "→ the same up to float rounding: %.1g of the outputs' size",
                    res->y_absmax > 0 ? res->y_diff / res->y_absmax : 0.0);
    y++;
    grid_put(g, y, r.x + 2, res->w_identical ? "→ unmerging gives W₀ back exactly" : "→ unmerging gives W₀ back up to rounding, not exactly",
             res->w_identical ? ROLE_GOOD : ROLE_WARN, r.w - 2);
}

static int mv_n_controls(void *self)
{
    (void)self;
    return LM_NC;
}

static int mv_button(MergeView *v)
{
    status_clear(&v->st);
    if (v->d.training) return EV_HANDLED;
    if (v->d.trained_steps) lora_merge_demo_reset(&v->d, v->d.rank, &v->st);
    else lora_merge_demo_train(&v->d, &v->st);
    return EV_HANDLED | EV_REDRAW;
}

static int mv_apply(MergeView *v, int control)
{
    status_clear(&v->st);
    if (control == LM_LAYER) lora_merge_demo_set_layer(&v->d, (int)v->layer.value, &v->st);
    else lora_merge_demo_reset(&v->d, (int)v->rank.value, &v->st);
    return EV_REDRAW;
}

static int mv_key(void *self, int control, int key, Action act)
{
    MergeView *v = self;
    if (control == LM_RUN) return key == VK_ENTER || key == ' ' ? mv_button(v) : 0;
    Slider *s = control == LM_LAYER ? &v->layer : control == LM_RANK ? &v->rank : NULL;
    if (!s) return 0;
    if (v->d.training && (act == ACT_INC || act == ACT_DEC || act == ACT_INC_BIG || act == ACT_DEC_BIG ||
                          act == ACT_MIN || act == ACT_MAX))
        return EV_HANDLED; /* wait for the run */
    int fl = dview_slider_key(s, act);
    if (fl & EV_REDRAW) fl |= mv_apply(v, control);
    return fl;
}

static int mv_mouse(void *self, const MouseEvent *ev, int *control)
{
    MergeView *v = self;
    if (ev->kind == MOUSE_PRESS && ev->y == v->run_y && ev->x >= v->run_x0 && ev->x < v->run_x1) {
        *control = LM_RUN;
        return mv_button(v);
    }
    Slider *sl[2] = {&v->layer, &v->rank};
    int ids[2] = {LM_LAYER, LM_RANK};
    for (int i = 0; i < 2 && !v->d.training; i++) {
        int fl = dview_slider_mouse(sl[i], &v->hit[ids[i]], ev, ev->kind == MOUSE_DRAG && *control == ids[i]);
        if (fl) {
            *control = ids[i];
            if (fl & EV_REDRAW) fl |= mv_apply(v, ids[i]);
            return fl;
        }
    }
    *control = -1;
    return 0;
}

static const char *mv_hint(void *self, int control)
{
    MergeView *v = self;
    const char *h;
    if (control == LM_RUN)
        h = v->d.training ? "training a real adapter on Moby-Dick…"
            : v->d.trained_steps ? "Enter puts B back to 0 (a fresh adapter)"
                                 : "Enter trains A and B on Moby-Dick, then compares again";
    else if (control == LM_LAYER) h = "the layer whose outputs are compared: ←/→";
    else h = "rank r: ←/→ ×2 (a new adapter, B = 0)";
    snprintf(v->hint, sizeof v->hint, "%s · Tab next", h);
    return v->hint;
}

static int mv_control_row(void *self, int control)
{
    MergeView *v = self;
    return v->rows[control < 0 || control >= LM_NC ? 0 : control];
}

static bool mv_busy(void *self)
{
    return ((MergeView *)self)->d.training;
}

static int mv_tick(void *self, double budget_ms)
{
    MergeView *v = self;
    return lora_merge_demo_tick(&v->d, budget_ms) ? EV_REDRAW : 0;
}

const DemoViewOps dview_lora_merge = {
    .name = "lora-merge",
    .create = mv_create,
    .destroy = mv_destroy,
    .height = mv_height,
    .draw = mv_draw,
    .n_controls = mv_n_controls,
    .key = mv_key,
    .mouse = mv_mouse,
    .hint = mv_hint,
    .control_row = mv_control_row,
    .busy = mv_busy,
    .tick = mv_tick,
};
