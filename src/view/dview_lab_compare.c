/* dview_lab_compare.c — lessons 5 and 6: a few lab methods side by side on
 * one table (demo_lab_compare.h). A button runs the lab (through the tick
 * hook, with a progress bar); the table fills in with each method's trained
 * parameters, held-out loss, share of full fine-tuning's gain and
 * forgetting. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../demo/demo.h"
#include "../demo/demo_lab_compare.h"
#include "dview.h"
#include "vmem.h"

enum { LC_RUN, LC_N };

typedef struct CompareView {
    LabCompareDemo d;
    int run_row, run_y, run_x0, run_x1;
    char hint[120];
} CompareView;

static void *lc_create(const DemoArgs *args, Status *st)
{
    CompareView *v = vmem_alloc(sizeof *v);
    if (demo_impl_find("lab-compare")->init(&v->d, args, st)) {
        free(v);
        return NULL;
    }
    return v;
}

static void lc_destroy(void *self)
{
    CompareView *v = self;
    if (!v) return;
    lab_compare_demo_free(&v->d);
    free(v);
}

static int lc_height(void *self, int width, const ViewEnv *env)
{
    (void)width, (void)env;
    CompareView *v = self;
    return 1 + 1 + 1 + 1 + 1 + (v->d.n_specs + 2) + 1 + 2 + (v->d.err.code ? 1 : 0);
}

static char *num(double x, const char *fmt)
{
    return isfinite(x) ? vmem_printf(fmt, x) : vmem_strdup("–");
}

static void draw_status(CompareView *v, Grid *g, int y, Rect r, const ViewEnv *env)
{
    const LabDemo *run = &v->d.run;
    int x = r.x + 2;
    if (run->state == LABD_IDLE) {
        grid_printf(g, y, x, ROLE_DIM, r.w - 2, "Not run yet: Enter trains these methods, %d steps each.",
                    run->set.steps);
        return;
    }
    if (!run->have_lab) return;
    const LabSnapshot *s = &run->snap;
    if (run->state == LABD_DONE) {
        grid_printf(g, y, x, ROLE_VALUE, r.w - 2, "done: %d steps of %d × %d bytes, %.1f s", s->steps, s->batch,
                    s->seq, s->elapsed_s);
        return;
    }
    int bw = 16, filled = (int)lround(s->progress * bw);
    for (int i = 0; i < bw; i++)
        x += grid_put(g, y, x, i < filled ? (env->ascii ? "#" : "█") : (env->ascii ? "." : "░"),
                      i < filled ? ROLE_DONE : ROLE_TODO, 1);
    grid_printf(g, y, x, ROLE_LABEL, r.x + r.w - x, " %3.0f%%  step %d of %d · %.1f s", 100 * s->progress, s->round,
                s->steps, s->elapsed_s);
}

static void lc_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    CompareView *v = self;
    LabCompareDemo *d = &v->d;
    int y = r.y;
    v->run_row = y;
    grid_put(g, y, r.x, focus == LC_RUN ? (env->ascii ? "> " : "▶ ") : "  ", ROLE_FOCUS, 2);
    const char *label = lab_demo_running(&d->run) ? "[ training… ]"
                        : d->run.state == LABD_DONE ? "[ Run it again ]"
                                                    : "[ Run the comparison ]";
    int bw = grid_put(g, y, r.x + 2, label, focus == LC_RUN ? ROLE_SELECTED : ROLE_STRONG, -1);
    v->run_y = y, v->run_x0 = r.x + 2, v->run_x1 = r.x + 2 + bw;
    y++;
    grid_put(g, y++, r.x + 2, d->preset->what, ROLE_LABEL, r.w - 2);
    y++;
    draw_status(v, g, y++, r, env);
    if (d->err.code) grid_put(g, y++, r.x + 2, d->err.msg, ROLE_ERROR, r.w - 2);
    y++;
    int n = d->n_specs;
    const char *head[] = {"method", "trains", "held-out", "of full's gain", "forget"};
    int cols = 5, rows = n + 2;
    char **c = vmem_array((size_t)rows * cols, sizeof(char *));
    for (int k = 0; k < cols; k++) c[k] = vmem_strdup(head[k]);
    const LabSnapshot *s = &d->run.snap;
    bool live = d->run.have_lab && d->run.state != LABD_FAILED;
    char **b = c + cols;
    b[0] = vmem_strdup("base model");
    b[1] = vmem_strdup("0");
    b[2] = num(live && s->base && s->base->ready ? s->base->eval_loss : NAN, "%.4f");
    b[3] = vmem_strdup("0 %");
    b[4] = vmem_strdup("0");
    for (int i = 0; i < n; i++) {
        char **row = c + (size_t)(i + 2) * cols;
        LabDemoRow m;
        bool have = live && i < s->n_methods;
        if (have) lab_demo_row(&d->run, i, &m);
        row[0] = vmem_strdup(have ? m.m->label : d->specs[i].label);
        if (have && m.m->trainable_params) {
            char t[32];
            fmt_count((long long)m.m->trainable_params, t, sizeof t);
            row[1] = vmem_strdup(t);
        } else {
            row[1] = vmem_strdup("–");
        }
        row[2] = num(have && m.final ? m.eval_loss : NAN, "%.4f");
        double share = lab_compare_gain_share(d, i);
        row[3] = num(100 * share, "%.0f %%");
        row[4] = num(have && m.final ? m.forgetting : NAN, "%+.4f");
    }
    widget_table(g, y, r.x + 2, r.w - 2, (const char *const *)c, rows, cols, -1, env);
    for (int i = 0; i < rows * cols; i++) free(c[i]);
    free(c);
    y += rows + 1;
    grid_put(g, y++, r.x + 2, "held-out and forget in nats per byte (forget > 0: worse on the old text)", ROLE_DIM,
             r.w - 2);
    grid_put(g, y, r.x + 2, "of full's gain = (base − method) ÷ (base − full), on the held-out loss", ROLE_DIM,
             r.w - 2);
}

static int lc_n_controls(void *self)
{
    (void)self;
    return LC_N;
}

static int lc_button(CompareView *v)
{
    if (lab_demo_running(&v->d.run)) return EV_HANDLED;
    Status st;
    lab_compare_demo_start(&v->d, &st);
    return EV_HANDLED | EV_REDRAW | EV_RELAYOUT;
}

static int lc_key(void *self, int control, int key, Action act)
{
    (void)act;
    CompareView *v = self;
    if (control == LC_RUN) return key == VK_ENTER || key == ' ' ? lc_button(v) : 0;
    return 0;
}

static int lc_mouse(void *self, const MouseEvent *ev, int *control)
{
    CompareView *v = self;
    if (ev->kind == MOUSE_PRESS && ev->y == v->run_y && ev->x >= v->run_x0 && ev->x < v->run_x1) {
        *control = LC_RUN;
        return lc_button(v);
    }
    *control = -1;
    return 0;
}

static const char *lc_hint(void *self, int control)
{
    (void)control;
    CompareView *v = self;
    snprintf(v->hint, sizeof v->hint, "%s · Tab next",
             lab_demo_running(&v->d.run) ? "training…" : "Enter runs the comparison (about half a minute)");
    return v->hint;
}

static int lc_control_row(void *self, int control)
{
    (void)control;
    return ((CompareView *)self)->run_row;
}

static bool lc_busy(void *self)
{
    return lab_demo_running(&((CompareView *)self)->d.run);
}

static int lc_tick(void *self, double budget_ms)
{
    CompareView *v = self;
    bool had = v->d.err.code != 0;
    if (!lab_compare_demo_tick(&v->d, budget_ms)) return 0;
    return EV_REDRAW | ((v->d.err.code != 0) != had ? EV_RELAYOUT : 0);
}

const DemoViewOps dview_lab_compare = {
    .name = "lab-compare",
    .create = lc_create,
    .destroy = lc_destroy,
    .height = lc_height,
    .draw = lc_draw,
    .n_controls = lc_n_controls,
    .key = lc_key,
    .mouse = lc_mouse,
    .hint = lc_hint,
    .control_row = lc_control_row,
    .busy = lc_busy,
    .tick = lc_tick,
};
