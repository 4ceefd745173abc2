/* dview_spectrum.c — lesson 2's second demo: the spectrum of a random
 * matrix beside that of a low-rank matrix plus noise, with size, rank and
 * noise sliders. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../demo/demo.h"
#include "../demo/demo_spectrum.h"
#include "dview.h"
#include "vmem.h"

enum { SP_SIZE, SP_RANK, SP_NOISE, SP_SEED, SP_N };

typedef struct SpectrumView {
    SpectrumDemo demo;
    Slider sl[SP_N];
    SliderHit hit[SP_N];
    int rows[SP_N];
    Status st;
    char hint[96];
} SpectrumView;

static void *sp_create(const DemoArgs *args, Status *st)
{
    SpectrumView *v = vmem_alloc(sizeof *v);
    if (demo_impl_find("spectrum")->init(&v->demo, args, st)) {
        free(v);
        return NULL;
    }
    const SpectrumParams *p = &v->demo.p;
    slider_init_log(&v->sl[SP_SIZE], "size", 2, 512, p->size, 1.25, 2, true);
    slider_init_log(&v->sl[SP_RANK], "rank r", 1, p->size, p->rank, 1.000001, 2, true);
    slider_init_log(&v->sl[SP_NOISE], "noise", 1e-4, 10, p->noise, pow(10, 0.125), pow(10, 0.5), false);
    v->sl[SP_NOISE].zero_floor = true;
    slider_set(&v->sl[SP_NOISE], p->noise);
    /* The seed: new random matrices with the same statistics. */
    double seed_max = p->seed > 1000 ? (double)p->seed : 1000;
    slider_init_linear(&v->sl[SP_SEED], "seed", 0, seed_max, (double)p->seed, 1, 10, true);
    return v;
}

static void sp_destroy(void *self)
{
    SpectrumView *v = self;
    if (!v) return;
    spectrum_demo_free(&v->demo);
    free(v);
}

enum { SP_PLOT_ROWS = 14 };

static int sp_height(void *self, int width, const ViewEnv *env)
{
    (void)self, (void)width, (void)env;
    return SP_N + 1 + 3 + 1 + SP_PLOT_ROWS;
}

static void sp_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    SpectrumView *v = self;
    const SpectrumResult *res = &v->demo.res;
    int y = r.y;
    for (int i = 0; i < SP_N; i++) {
        v->rows[i] = y;
        widget_slider(g, y++, r.x, r.w, 9, &v->sl[i], focus == i, env, &v->hit[i]);
    }
    y++;
    char a[64], b[64];
    int x = r.x + 2;
    snprintf(a, sizeof a, "%.1f %%", 100 * res->random_energy_r);
    snprintf(b, sizeof b, "%.1f %%", 100 * res->lowrank_energy_r);
    x += grid_printf(g, y, x, ROLE_LABEL, -1, "energy in the top %d values:  random ", v->demo.p.rank);
    x += grid_put(g, y, x, a, ROLE_SERIES2, -1);
    x += grid_put(g, y, x, "   low rank + noise ", ROLE_LABEL, -1);
    grid_put(g, y, x, b, ROLE_SERIES1, -1);
    y++;
    x = r.x + 2;
    x += grid_put(g, y, x, "numerical rank (NumPy tolerance):  random ", ROLE_LABEL, -1);
    x += grid_printf(g, y, x, ROLE_SERIES2, -1, "%d", res->random_rank);
    x += grid_put(g, y, x, "   low rank + noise ", ROLE_LABEL, -1);
    x += grid_printf(g, y, x, ROLE_SERIES1, -1, "%d", res->lowrank_rank);
    y++;
    x = r.x + 2;
    x += grid_put(g, y, x, "values above the noise edge 2·noise·√size: ", ROLE_LABEL, -1);
    x += grid_printf(g, y, x, ROLE_VALUE, -1, "%d", res->lowrank_rank_at_noise);
    grid_printf(g, y, x, ROLE_DIM, -1, "  (the signal's rank is %d)", v->demo.p.rank);
    if (v->st.code) grid_put(g, y, r.x + 2, v->st.msg, ROLE_ERROR, r.w - 2);
    y += 2;
    PlotSeries s[2] = {
        {res->lowrank_s, res->n, ROLE_SERIES1, "low rank + noise"},
        {res->random_s, res->n, ROLE_SERIES2, "random"},
    };
    char cut[32];
    snprintf(cut, sizeof cut, " r=%d", v->demo.p.rank);
    double edge = 2.0 * v->demo.p.noise * sqrt((double)res->n);
    PlotOpts po = {
        .title = "singular values σᵢ (log scale)",
        .log_y = true,
        .cutoff_x = v->demo.p.rank,
        .cutoff_label = cut,
        .hline_y = edge > 0 ? edge : NAN,
        .hline_label = "noise edge",
        .x_label = "i",
    };
    widget_plot(g, (Rect){y, r.x, SP_PLOT_ROWS, r.w}, s, 2, &po, env);
}

static int sp_n_controls(void *self)
{
    (void)self;
    return SP_N;
}

static int sp_apply(SpectrumView *v)
{
    SpectrumParams p = v->demo.p;
    p.size = (int)v->sl[SP_SIZE].value;
    /* The rank slider's range follows the size. */
    v->sl[SP_RANK].max = p.size;
    slider_set(&v->sl[SP_RANK], v->sl[SP_RANK].value);
    p.rank = (int)v->sl[SP_RANK].value;
    p.noise = v->sl[SP_NOISE].value;
    p.seed = (uint64_t)v->sl[SP_SEED].value;
    status_clear(&v->st);
    spectrum_demo_update(&v->demo, &p, &v->st);
    return EV_REDRAW;
}

static int sp_key(void *self, int control, int key, Action act)
{
    (void)key;
    SpectrumView *v = self;
    if (control < 0 || control >= SP_N) return 0;
    int fl = dview_slider_key(&v->sl[control], act);
    if (fl & EV_REDRAW) fl |= sp_apply(v);
    return fl;
}

static int sp_mouse(void *self, const MouseEvent *ev, int *control)
{
    SpectrumView *v = self;
    for (int i = 0; i < SP_N; i++) {
        bool captured = ev->kind == MOUSE_DRAG && *control == i;
        int fl = dview_slider_mouse(&v->sl[i], &v->hit[i], ev, captured);
        if (fl) {
            *control = i;
            if (fl & EV_REDRAW) fl |= sp_apply(v);
            return fl;
        }
    }
    *control = -1;
    return 0;
}

static const char *sp_hint(void *self, int control)
{
    SpectrumView *v = self;
    static const char *const what[SP_N] = {"matrix size", "rank of the signal", "noise level",
                                           "random seed"};
    snprintf(v->hint, sizeof v->hint, "%s: ←/→ step, Shift+←/→ big step; Tab next slider",
             what[control < 0 || control >= SP_N ? 0 : control]);
    return v->hint;
}

static int sp_control_row(void *self, int control)
{
    SpectrumView *v = self;
    return v->rows[control < 0 || control >= SP_N ? 0 : control];
}

const DemoViewOps dview_spectrum = {
    .name = "spectrum",
    .create = sp_create,
    .destroy = sp_destroy,
    .height = sp_height,
    .draw = sp_draw,
    .n_controls = sp_n_controls,
    .key = sp_key,
    .mouse = sp_mouse,
    .hint = sp_hint,
    .control_row = sp_control_row,
};
