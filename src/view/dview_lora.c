/* dview_lora.c — lesson 5's cost counter: d, k and r sliders; the numbers
 * a full update and a rank-r update train, as bars and as a table over r. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../demo/demo.h"
#include "../demo/demo_lora_cost.h"
#include "dview.h"
#include "vmem.h"

enum { LC_D, LC_K, LC_R, LC_N };

typedef struct LoraView {
    LoraCostDemo demo;
    Slider sl[LC_N];
    SliderHit hit[LC_N];
    int rows[LC_N];
    char hint[96];
} LoraView;

static void *lc_create(const DemoArgs *args, Status *st)
{
    LoraView *v = vmem_alloc(sizeof *v);
    if (demo_impl_find("lora-cost")->init(&v->demo, args, st)) {
        free(v);
        return NULL;
    }
    double dmax = fmax(65536, (double)v->demo.d), kmax = fmax(65536, (double)v->demo.k);
    slider_init_log(&v->sl[LC_D], "d (rows)", 1, dmax, (double)v->demo.d, 1.000001, 2, true);
    slider_init_log(&v->sl[LC_K], "k (cols)", 1, kmax, (double)v->demo.k, 1.000001, 2, true);
    slider_init_log(&v->sl[LC_R], "rank r", 1, fmin(dmax, kmax), (double)v->demo.r, 1.000001, 2, true);
    return v;
}

static void lc_destroy(void *self) { free(self); }

/* The line under the bars (malloc'd); it wraps when narrow. */
static char *break_even_text(const LoraCostResult *res)
{
    return vmem_printf("B is %lld×%lld, A is %lld×%lld; at r ≥ %lld LoRA stores as much as ΔW itself.", res->d,
                       res->r, res->r, res->k, res->break_even);
}

static int lc_height(void *self, int width, const ViewEnv *env)
{
    LoraView *v = self;
    LoraCostResult res = lora_cost(v->demo.d, v->demo.k, v->demo.r);
    char *be = break_even_text(&res);
    int be_rows = widget_text_rows(width - 2, be, env->ascii);
    free(be);
    return LC_N + 1 + 3 + be_rows + 1 + 2 + res.n_rows;
}

static void lc_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    LoraView *v = self;
    LoraCostResult res = lora_cost(v->demo.d, v->demo.k, v->demo.r);
    int y = r.y;
    for (int i = 0; i < LC_N; i++) {
        v->rows[i] = y;
        widget_slider(g, y++, r.x, r.w, 10, &v->sl[i], focus == i, env, &v->hit[i]);
    }
    y++;
    char full[32], lora[32], t1[64], t2[64];
    fmt_count(res.full, full, (int)sizeof full);
    fmt_count(res.lora, lora, (int)sizeof lora);
    snprintf(t1, sizeof t1, "%s", full);
    snprintf(t2, sizeof t2, "%s  (%.3g %%, %.1f× fewer)", lora, res.percent, res.ratio);
    HBar bars[2] = {
        {"full ΔW  d·k", (double)res.full, ROLE_SERIES2, t1},
        {"LoRA  r(d+k)", (double)res.lora, ROLE_SERIES1, t2},
    };
    widget_hbars(g, (Rect){y, r.x + 2, 2, r.w - 2}, bars, 2, 0, false, 0, 0, NULL, env);
    y += 2;
    char *be = break_even_text(&res);
    y += widget_text(g, y, r.x + 2, r.w - 2, be, ROLE_DIM, 2);
    free(be);
    grid_put(g, y++, r.x + 2, "Bars are to scale: a small r is a sliver of the full update.", ROLE_DIM,
             r.w - 2);
    y++;
    /* The table over r = 1, 2, 4, ... */
    int n = res.n_rows + 1;
    char **cells = vmem_array((size_t)n * 3, sizeof(char *));
    cells[0] = vmem_strdup("r");
    cells[1] = vmem_strdup("numbers trained r(d+k)");
    cells[2] = vmem_strdup("% of d·k");
    int hl = -1;
    for (int i = 0; i < res.n_rows; i++) {
        char c[48];
        cells[(i + 1) * 3] = vmem_printf("%lld", res.rows[i].r);
        fmt_count(res.rows[i].lora, c, (int)sizeof c);
        cells[(i + 1) * 3 + 1] = vmem_strdup(c);
        cells[(i + 1) * 3 + 2] = vmem_printf("%.3g %%", res.rows[i].percent);
        if (res.rows[i].r == res.r) hl = i + 1;
    }
    widget_table(g, y, r.x + 2, r.w - 2, (const char *const *)cells, n, 3, hl, env);
    for (int i = 0; i < n * 3; i++) free(cells[i]);
    free(cells);
}

static int lc_n_controls(void *self)
{
    (void)self;
    return LC_N;
}

static int lc_apply(LoraView *v)
{
    double rmax = fmin(v->sl[LC_D].value, v->sl[LC_K].value);
    v->sl[LC_R].max = rmax;
    slider_set(&v->sl[LC_R], v->sl[LC_R].value);
    bool rows_change = lora_cost((long long)v->sl[LC_D].value, (long long)v->sl[LC_K].value, 1).n_rows !=
                       lora_cost(v->demo.d, v->demo.k, 1).n_rows;
    v->demo.d = (long long)v->sl[LC_D].value;
    v->demo.k = (long long)v->sl[LC_K].value;
    v->demo.r = (long long)v->sl[LC_R].value;
    return EV_REDRAW | (rows_change ? EV_RELAYOUT : 0);
}

static int lc_key(void *self, int control, int key, Action act)
{
    (void)key;
    LoraView *v = self;
    if (control < 0 || control >= LC_N) return 0;
    int fl = dview_slider_key(&v->sl[control], act);
    if (fl & EV_REDRAW) fl |= lc_apply(v);
    return fl;
}

static int lc_mouse(void *self, const MouseEvent *ev, int *control)
{
    LoraView *v = self;
    for (int i = 0; i < LC_N; i++) {
        int fl = dview_slider_mouse(&v->sl[i], &v->hit[i], ev, ev->kind == MOUSE_DRAG && *control == i);
        if (fl) {
            *control = i;
            if (fl & EV_REDRAW) fl |= lc_apply(v);
            return fl;
        }
    }
    *control = -1;
    return 0;
}

static const char *lc_hint(void *self, int control)
{
    LoraView *v = self;
    static const char *const what[LC_N] = {"rows d", "columns k", "rank r"};
    snprintf(v->hint, sizeof v->hint, "%s: ←/→ step, Shift+←/→ doubles/halves; Tab next",
             what[control < 0 || control >= LC_N ? 0 : control]);
    return v->hint;
}

static int lc_control_row(void *self, int control)
{
    LoraView *v = self;
    return v->rows[control < 0 || control >= LC_N ? 0 : control];
}

const DemoViewOps dview_lora_cost = {
    .name = "lora-cost",
    .create = lc_create,
    .destroy = lc_destroy,
    .height = lc_height,
    .draw = lc_draw,
    .n_controls = lc_n_controls,
    .key = lc_key,
    .mouse = lc_mouse,
    .hint = lc_hint,
    .control_row = lc_control_row,
};
