/* dview_lora_delta.c — lesson 5: the rank of a real ΔW. A button runs full
 * fine-tuning of the base model (the lab, through the tick hook, with a
 * progress bar); then the singular values of ΔW = W_tuned − W₀ for the
 * chosen matrix beside W₀'s own and a random matrix's (each divided by its
 * largest), the rank that holds 90 % and 99 % of the energy, and a table of
 * those ranks for every matrix of every layer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../demo/demo.h"
#include "../demo/demo_lora.h"
#include "dview.h"
#include "vmem.h"

enum { LD_RUN, LD_LAYER, LD_MATRIX, LD_N };
enum { LD_LABEL_W = 10, LD_PLOT_ROWS = 12, LD_STATUS_ROWS = 2 /* the status wraps at 80 columns */ };

typedef struct DeltaView {
    LoraDeltaDemo d;
    Slider layer;
    SliderHit layer_hit;
    ChoiceHit matrix_hit;
    int matrix;
    int rows[LD_N];
    int run_y, run_x0, run_x1;
    int n_layers;
    char hint[120];
} DeltaView;

static void *dv_create(const DemoArgs *args, Status *st)
{
    DeltaView *v = vmem_alloc(sizeof *v);
    if (demo_impl_find("lora-delta")->init(&v->d, args, st)) {
        free(v);
        return NULL;
    }
    /* The layer count is known once the run starts; the base model has 4. */
    v->n_layers = 4;
    slider_init_linear(&v->layer, "layer", 0, v->n_layers - 1, 0, 1, 1, true);
    return v;
}

static void dv_destroy(void *self)
{
    DeltaView *v = self;
    if (!v) return;
    lora_delta_demo_free(&v->d);
    free(v);
}

static int dv_height(void *self, int width, const ViewEnv *env)
{
    (void)width, (void)env;
    DeltaView *v = self;
    return LD_N + 1 + LD_STATUS_ROWS + 1 + LD_PLOT_ROWS + 4 + 2 + LM_COUNT + 1 + (v->d.err.code ? 1 : 0);
}

static int selected(const DeltaView *v)
{
    int i = (int)v->layer.value * LM_COUNT + v->matrix;
    return v->d.analysed && i < v->d.an.n_spectra ? i : -1;
}

static void draw_status(DeltaView *v, Grid *g, int y, Rect r, const ViewEnv *env)
{
    const LoraDeltaDemo *d = &v->d;
    const LabDemo *run = &d->run;
    int x = r.x + 2;
    if (d->analysed) {
        char *t = vmem_printf("full fine-tuning, %d steps on Moby-Dick: held-out loss %.3f → %.3f nats per byte",
                              run->set.steps, d->base_loss, d->tuned_loss);
        widget_text(g, y, x, r.w - 2, t, ROLE_VALUE, LD_STATUS_ROWS);
        free(t);
        return;
    }
    if (run->state == LABD_IDLE) {
        char *t = vmem_printf("Not run yet: Enter trains every weight of the base model for %d steps, then takes "
                              "each ΔW apart.", run->set.steps);
        widget_text(g, y, x, r.w - 2, t, ROLE_DIM, LD_STATUS_ROWS);
        free(t);
        return;
    }
    if (!run->have_lab) return;
    const LabSnapshot *s = &run->snap;
    int bw = r.w >= 100 ? 16 : 10, filled = (int)lround(s->progress * bw);
    for (int i = 0; i < bw; i++)
        x += grid_put(g, y, x, i < filled ? (env->ascii ? "#" : "█") : (env->ascii ? "." : "░"),
                      i < filled ? ROLE_DONE : ROLE_TODO, 1);
    const LabMethodSnapshot *m = s->n_methods ? &s->methods[0] : NULL;
    double held = m && m->n_eval ? m->eval_loss[m->n_eval - 1] : NAN;
    /* The held-out loss once there is one (never "nan"); the parts after
     * the step only while they fit. */
    char held_s[48] = "", time_s[24];
    if (isfinite(held)) snprintf(held_s, sizeof held_s, " · held-out %.3f nats/byte", held);
    snprintf(time_s, sizeof time_s, " · %.1f s", s->elapsed_s);
    x += grid_printf(g, y, x, ROLE_LABEL, -1, " %3.0f%%  full tuning · step %d of %d", 100 * s->progress, s->round,
                     s->steps);
    if (x + grid_text_width(g, time_s) + grid_text_width(g, held_s) <= r.x + r.w)
        x += grid_put(g, y, x, time_s, ROLE_LABEL, -1);
    if (x + grid_text_width(g, held_s) <= r.x + r.w) grid_put(g, y, x, held_s, ROLE_LABEL, -1);
}

static void dv_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    DeltaView *v = self;
    LoraDeltaDemo *d = &v->d;
    int y = r.y;
    v->rows[LD_RUN] = y;
    grid_put(g, y, r.x, focus == LD_RUN ? (env->ascii ? "> " : "▶ ") : "  ", ROLE_FOCUS, 2);
    const char *label = lab_demo_running(&d->run) ? "[ fine-tuning… ]"
                        : d->analysed              ? "[ Run it again ]"
                                                   : "[ Fine-tune the base model fully ]";
    int bw = grid_put(g, y, r.x + 2, label, focus == LD_RUN ? ROLE_SELECTED : ROLE_STRONG, -1);
    v->run_y = y, v->run_x0 = r.x + 2, v->run_x1 = r.x + 2 + bw;
    y++;
    v->rows[LD_LAYER] = y;
    widget_slider(g, y++, r.x, r.w, LD_LABEL_W, &v->layer, focus == LD_LAYER, env, &v->layer_hit);
    v->rows[LD_MATRIX] = y;
    widget_choice(g, y++, r.x, r.w, LD_LABEL_W, "matrix", lora_matrix_names, LM_COUNT, v->matrix, focus == LD_MATRIX,
                  false, env, &v->matrix_hit);
    y++;
    draw_status(v, g, y, r, env);
    y += LD_STATUS_ROWS;
    if (d->err.code) grid_put(g, y++, r.x + 2, d->err.msg, ROLE_ERROR, r.w - 2);
    y++;
    int sel = selected(v);
    if (sel < 0) {
        grid_put(g, y + LD_PLOT_ROWS / 2, r.x + 4, "The spectra appear here when the run is done.", ROLE_DIM, r.w - 4);
        y += LD_PLOT_ROWS + 4;
    } else {
        const DeltaSpectrum *sp = &d->an.spectra[sel];
        const LoraDeltaSpectrum *ws = &d->w[sel];
        int ri = lora_delta_random_of(d, sel);
        int k = sp->k;
        /* Each spectrum divided by its largest value: the shapes compare. */
        float *a = vmem_array((size_t)k, sizeof(float)), *b = vmem_array((size_t)k, sizeof(float)),
              *c = vmem_array((size_t)k, sizeof(float));
        for (int i = 0; i < k; i++) {
            a[i] = sp->sigma[0] > 0 ? sp->sigma[i] / sp->sigma[0] : 0;
            b[i] = ws->w_sigma[0] > 0 ? ws->w_sigma[i] / ws->w_sigma[0] : 0;
            c[i] = ri >= 0 && d->rand_sigma[ri][0] > 0 ? d->rand_sigma[ri][i] / d->rand_sigma[ri][0] : NAN;
        }
        PlotSeries s[3] = {{a, k, ROLE_SERIES1, "ΔW"}, {b, k, ROLE_SERIES2, "W₀"}, {c, k, ROLE_SERIES3, "random"}};
        char *title = vmem_printf("%s: σᵢ / σ₁ (log scale)", sp->name);
        char cut[32];
        snprintf(cut, sizeof cut, "ΔW 90%%: %d", sp->rank90);
        PlotOpts o = {.title = title, .log_y = true, .cutoff_x = sp->rank90, .cutoff_label = cut, .hline_y = NAN,
                      .x_label = "i (singular values in order)"};
        widget_plot(g, (Rect){y, r.x, LD_PLOT_ROWS, r.w}, s, 3, &o, env);
        free(title);
        free(a);
        free(b);
        free(c);
        y += LD_PLOT_ROWS;
        grid_printf(g, y++, r.x + 2, ROLE_LABEL, r.w - 2, "%s is %d × %d (in × out): ‖ΔW‖ = %.3g against ‖W₀‖ = %.3g",
                    sp->name, sp->in, sp->out, sp->frobenius, sp->base_frobenius);
        const int lw = 30;
        for (int e = 0; e < 2; e++) {
            int x = r.x + 2;
            grid_put(g, y, x, e ? "rank holding 99 % of the energy:" : "rank holding 90 % of the energy:", ROLE_LABEL,
                     lw + 3);
            x += lw + 3;
            x += grid_put(g, y, x, "ΔW ", ROLE_LABEL, -1);
            x += grid_printf(g, y, x, ROLE_VALUE, -1, "%-5d", e ? sp->rank99 : sp->rank90);
            x += grid_put(g, y, x, " W₀ ", ROLE_LABEL, -1);
            x += grid_printf(g, y, x, ROLE_VALUE, -1, "%-5d", e ? ws->w_rank99 : ws->w_rank90);
            x += grid_put(g, y, x, " random ", ROLE_LABEL, -1);
            x += grid_printf(g, y, x, ROLE_VALUE, -1, "%-5d", ri < 0 ? 0 : e ? d->rand_rank99[ri] : d->rand_rank90[ri]);
            grid_printf(g, y, x, ROLE_DIM, r.x + r.w - x, " of %d", k);
            y++;
        }
        y++;
    }
    /* Every matrix, every layer: r90 / r99 of ΔW, and of a random matrix. */
    int L = d->analysed ? d->an.n_spectra / LM_COUNT : v->n_layers;
    int cols = L + 2, rows = LM_COUNT + 1;
    char **cells = vmem_array((size_t)rows * cols, sizeof(char *));
    cells[0] = vmem_strdup("ΔW, r90/r99");
    for (int l = 0; l < L; l++) cells[1 + l] = vmem_printf("h.%d", l);
    cells[cols - 1] = vmem_strdup("random");
    for (int m = 0; m < LM_COUNT; m++) {
        char **row = cells + (size_t)(m + 1) * cols;
        row[0] = vmem_strdup(lora_matrix_names[m]);
        for (int l = 0; l < L; l++) {
            int i = l * LM_COUNT + m;
            if (d->analysed && i < d->an.n_spectra) {
                const DeltaSpectrum *sp = &d->an.spectra[i];
                row[1 + l] = vmem_printf("%d/%d", sp->rank90, sp->rank99);
            } else {
                row[1 + l] = vmem_strdup("–");
            }
        }
        int ri = d->analysed ? lora_delta_random_of(d, m) : -1;
        row[cols - 1] = ri >= 0 ? vmem_printf("%d/%d", d->rand_rank90[ri], d->rand_rank99[ri]) : vmem_strdup("–");
    }
    int hl = d->analysed ? v->matrix + 1 : -1;
    widget_table(g, y, r.x + 2, r.w - 2, (const char *const *)cells, rows, cols, hl, env);
    grid_put(g, y + rows + 1, r.x + 2, "r90/r99: the smallest rank holding 90 % / 99 % of the energy Σσ²", ROLE_DIM,
             r.w - 2);
    for (int i = 0; i < rows * cols; i++) free(cells[i]);
    free(cells);
}

static int dv_n_controls(void *self)
{
    (void)self;
    return LD_N;
}

static int dv_button(DeltaView *v)
{
    if (lab_demo_running(&v->d.run)) return EV_HANDLED;
    Status st;
    lora_delta_demo_start(&v->d, &st);
    return EV_HANDLED | EV_REDRAW | EV_RELAYOUT;
}

static int dv_key(void *self, int control, int key, Action act)
{
    DeltaView *v = self;
    if (control == LD_RUN) return key == VK_ENTER || key == ' ' ? dv_button(v) : 0;
    if (control == LD_MATRIX) {
        int dir = act == ACT_INC || act == ACT_INC_BIG ? 1 : act == ACT_DEC || act == ACT_DEC_BIG ? -1 : 0;
        if (!dir) return 0;
        v->matrix = (v->matrix + dir + LM_COUNT) % LM_COUNT;
        return EV_HANDLED | EV_REDRAW;
    }
    if (control == LD_LAYER) return dview_slider_key(&v->layer, act);
    return 0;
}

static int dv_mouse(void *self, const MouseEvent *ev, int *control)
{
    DeltaView *v = self;
    if (ev->kind == MOUSE_PRESS && ev->y == v->run_y && ev->x >= v->run_x0 && ev->x < v->run_x1) {
        *control = LD_RUN;
        return dv_button(v);
    }
    int o;
    if (ev->kind == MOUSE_PRESS && (o = widget_choice_at(&v->matrix_hit, ev->y, ev->x)) >= 0) {
        *control = LD_MATRIX;
        v->matrix = o;
        return EV_HANDLED | EV_REDRAW;
    }
    int fl = dview_slider_mouse(&v->layer, &v->layer_hit, ev, ev->kind == MOUSE_DRAG && *control == LD_LAYER);
    if (fl) {
        *control = LD_LAYER;
        return fl;
    }
    *control = -1;
    return 0;
}

static const char *dv_hint(void *self, int control)
{
    DeltaView *v = self;
    const char *h = control == LD_RUN ? (lab_demo_running(&v->d.run) ? "fine-tuning every weight of the base model…"
                                                                      : "Enter runs full fine-tuning (a few seconds)")
                    : control == LD_LAYER ? "the layer: ←/→"
                                          : "the matrix: ←/→";
    snprintf(v->hint, sizeof v->hint, "%s · Tab next", h);
    return v->hint;
}

static int dv_control_row(void *self, int control)
{
    DeltaView *v = self;
    return v->rows[control < 0 || control >= LD_N ? 0 : control];
}

static bool dv_busy(void *self)
{
    return lab_demo_running(&((DeltaView *)self)->d.run);
}

static int dv_tick(void *self, double budget_ms)
{
    DeltaView *v = self;
    bool had = v->d.err.code != 0;
    if (!lora_delta_demo_tick(&v->d, budget_ms)) return 0;
    if (v->d.analysed) {
        int L = v->d.an.n_spectra / LM_COUNT;
        if (L > 0 && L != v->n_layers) {
            v->n_layers = L;
            v->layer.max = L - 1;
            slider_set(&v->layer, v->layer.value);
        }
    }
    return EV_REDRAW | ((v->d.err.code != 0) != had ? EV_RELAYOUT : 0);
}

const DemoViewOps dview_lora_delta = {
    .name = "lora-delta",
    .create = dv_create,
    .destroy = dv_destroy,
    .height = dv_height,
    .draw = dv_draw,
    .n_controls = dv_n_controls,
    .key = dv_key,
    .mouse = dv_mouse,
    .hint = dv_hint,
    .control_row = dv_control_row,
    .busy = dv_busy,
    .tick = dv_tick,
};
