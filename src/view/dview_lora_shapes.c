/* dview_lora_shapes.c — lesson 5: W₀ + (α/r)·B·A drawn to scale. W₀ is
 * the real weight matrix of the chosen layer (as a grayscale picture), B is
 * d × r and starts at zero, A is r × k and starts random; the sliders pick
 * the layer, the matrix and r, and the counts follow. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../demo/demo.h"
#include "../demo/demo_lora.h"
#include "dview.h"
#include "vmem.h"

enum { LS_LAYER, LS_MATRIX, LS_RANK, LS_N };
enum { LS_LABEL_W = 10, LS_PIC_ROWS = 12 };

typedef struct ShapesView {
    LoraShapesDemo d;
    Slider layer, rank;
    SliderHit hit[LS_N];
    ChoiceHit matrix_hit;
    int rows[LS_N];
    char hint[120];
} ShapesView;

static void *sv_create(const DemoArgs *args, Status *st)
{
    ShapesView *v = vmem_alloc(sizeof *v);
    if (demo_impl_find("lora-shapes")->init(&v->d, args, st)) {
        free(v);
        return NULL;
    }
    slider_init_linear(&v->layer, "layer", 0, v->d.model.cfg.n_layer - 1, v->d.layer, 1, 1, true);
    slider_init_log(&v->rank, "rank r", 1, LORA_SHAPES_MAX_RANK, v->d.rank, 2, 4, true);
    return v;
}

static void sv_destroy(void *self)
{
    ShapesView *v = self;
    if (!v) return;
    lora_shapes_free(&v->d);
    free(v);
}

/* Pixels per cell column for W at this width: W, B and A side by side. */
static double pic_scale(const ShapesView *v, int width)
{
    int max_w = (width - 20) / 3 - 2;
    if (max_w > 32) max_w = 32;
    if (max_w < 8) max_w = 8;
    return fmax((double)v->d.k / max_w, (double)v->d.d / (2.0 * LS_PIC_ROWS));
}

static int sv_height(void *self, int width, const ViewEnv *env)
{
    (void)env;
    ShapesView *v = self;
    double s = pic_scale(v, width);
    int h = (int)ceil(v->d.d / (2 * s));
    return LS_N + 1 + 1 + 2 + h + 2 + 6;
}

/* A frame around r's inside. */
static void frame(Grid *g, Rect in, Role role)
{
    grid_box(g, (Rect){in.y - 1, in.x - 1, in.h + 2, in.w + 2}, role, NULL, role);
}

static void sv_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    ShapesView *v = self;
    const LoraShapesDemo *d = &v->d;
    int y = r.y;
    v->rows[LS_LAYER] = y;
    widget_slider(g, y++, r.x, r.w, LS_LABEL_W, &v->layer, focus == LS_LAYER, env, &v->hit[LS_LAYER]);
    v->rows[LS_MATRIX] = y;
    widget_choice(g, y++, r.x, r.w, LS_LABEL_W, "matrix", lora_matrix_names, LM_COUNT, d->which, focus == LS_MATRIX,
                  false, env, &v->matrix_hit);
    v->rows[LS_RANK] = y;
    widget_slider(g, y++, r.x, r.w, LS_LABEL_W, &v->rank, focus == LS_RANK, env, &v->hit[LS_RANK]);
    y++;
    LoraShapesCounts c = lora_shapes_counts(d);
    grid_printf(g, y++, r.x + 2, ROLE_LABEL, r.w - 2, "h.%d.%s of data/models/base: W₀ is d × k = %d × %d (out × in)",
                d->layer, lora_matrix_names[d->which], d->d, d->k);
    /* The picture: W₀ | + (α/r) · | B | A, all at one scale. */
    double s = pic_scale(v, r.w);
    int ww = (int)lround(d->k / s), wh = (int)ceil(d->d / (2 * s));
    int bw = (int)lround(d->rank / s), ah = (int)lround(d->rank / (2 * s));
    if (ww < 1) ww = 1;
    if (bw < 1) bw = 1;
    if (ah < 1) ah = 1;
    int top = y + 2, x = r.x + 3;
    int w0_label_x = x;
    Rect wr = {top, x, wh, ww};
    Rect got = widget_image(g, wr, d->w, d->d, d->k, d->k, -d->w_absmax, d->w_absmax, env);
    if (got.w > 0) wr = got;
    frame(g, wr, ROLE_FRAME);
    x = wr.x + wr.w + 2;
    char sc[32];
    snprintf(sc, sizeof sc, "+ %g ·", c.scale);
    x += grid_put(g, top + wr.h / 2, x, sc, ROLE_STRONG, -1) + 2;
    /* B (d × r): zero at the start. */
    Rect br = {top, x, wr.h, bw};
    /* W₀'s label, shortened when W₀ is narrow and B's label is near. */
    const char *w0_label = "W₀ (real weights)";
    if (w0_label_x + grid_text_width(g, w0_label) + 1 > x) w0_label = "W₀";
    grid_put(g, y, w0_label_x, w0_label, ROLE_LABEL, x - 1 - w0_label_x);
    grid_put(g, y, x, "B", ROLE_LABEL, -1);
    grid_fill(g, br, "0", ROLE_DIM);
    frame(g, br, ROLE_FRAME);
    grid_put(g, top + (ah < 2 ? 0 : ah / 2), br.x + br.w + 2, "·", ROLE_STRONG, 1);
    x = br.x + br.w + 5;
    /* A (r × k): random at the start, as tall as r is. */
    Rect ar = {top, x, ah, ww};
    grid_put(g, y, x, "A", ROLE_LABEL, -1);
    float amax = 1.0f / sqrtf((float)d->k);
    Rect ag = widget_image(g, ar, d->a, d->rank, d->k, d->k, -amax, amax, env);
    if (ag.w > 0) ar.w = ag.w, ar.h = ag.h;
    frame(g, ar, ROLE_FRAME);
    y = top + wr.h + 2;
    /* The counts. */
    char a[32], b[32];
    fmt_count(c.frozen, a, (int)sizeof a);
    grid_printf(g, y++, r.x + 2, ROLE_TEXT, r.w - 2, "W₀  %4d × %-4d %9s numbers, frozen", d->d, d->k, a);
    fmt_count(c.b, a, (int)sizeof a);
    grid_printf(g, y++, r.x + 2, ROLE_TEXT, r.w - 2, "B   %4d × %-4d %9s, all 0 at the start", d->d, d->rank, a);
    fmt_count(c.a, a, (int)sizeof a);
    grid_printf(g, y++, r.x + 2, ROLE_TEXT, r.w - 2, "A   %4d × %-4d %9s, random at the start", d->rank, d->k, a);
    fmt_count(c.lora, a, (int)sizeof a);
    int xx = r.x + 2;
    xx += grid_put(g, y, xx, "LoRA trains r(d + k) = ", ROLE_LABEL, -1);
    xx += grid_put(g, y, xx, a, ROLE_VALUE, -1);
    grid_printf(g, y++, xx, ROLE_LABEL, r.x + r.w - xx, " numbers, %.3g %% of W₀'s · α/r = %g", c.percent,
                c.scale);
    fmt_count(c.model_lora, a, (int)sizeof a);
    fmt_count(c.model_params, b, (int)sizeof b);
    grid_printf(g, y++, r.x + 2, ROLE_LABEL, r.w - 2, "q and v of all %d layers: %s numbers, %.3g %% of the model (%s)",
                c.layers, a, 100.0 * (double)c.model_lora / (double)c.model_params, b);
    grid_put(g, y++, r.x + 2, "The boxes are to scale: B and A grow with r; W₀ never changes.", ROLE_DIM, r.w - 2);
}

static int sv_n_controls(void *self)
{
    (void)self;
    return LS_N;
}

static int sv_apply(ShapesView *v, int which)
{
    Status st;
    int d, k;
    lora_matrix_shape(&v->d.model.cfg, (LoraMatrix)which, &d, &k);
    int rmax = d < k ? d : k;
    v->rank.max = rmax < LORA_SHAPES_MAX_RANK ? rmax : LORA_SHAPES_MAX_RANK;
    slider_set(&v->rank, v->rank.value);
    lora_shapes_set(&v->d, (int)v->layer.value, (LoraMatrix)which, (int)v->rank.value, &st);
    return EV_REDRAW | EV_RELAYOUT;
}

static int sv_key(void *self, int control, int key, Action act)
{
    (void)key;
    ShapesView *v = self;
    if (control == LS_MATRIX) {
        int dir = act == ACT_INC || act == ACT_INC_BIG ? 1 : act == ACT_DEC || act == ACT_DEC_BIG ? -1 : 0;
        if (!dir) return 0;
        return EV_HANDLED | sv_apply(v, ((int)v->d.which + dir + LM_COUNT) % LM_COUNT);
    }
    Slider *s = control == LS_LAYER ? &v->layer : control == LS_RANK ? &v->rank : NULL;
    if (!s) return 0;
    int fl = dview_slider_key(s, act);
    if (fl & EV_REDRAW) fl |= sv_apply(v, v->d.which);
    return fl;
}

static int sv_mouse(void *self, const MouseEvent *ev, int *control)
{
    ShapesView *v = self;
    int o;
    if (ev->kind == MOUSE_PRESS && (o = widget_choice_at(&v->matrix_hit, ev->y, ev->x)) >= 0) {
        *control = LS_MATRIX;
        return EV_HANDLED | sv_apply(v, o);
    }
    Slider *sl[2] = {&v->layer, &v->rank};
    int ids[2] = {LS_LAYER, LS_RANK};
    for (int i = 0; i < 2; i++) {
        int fl = dview_slider_mouse(sl[i], &v->hit[ids[i]], ev, ev->kind == MOUSE_DRAG && *control == ids[i]);
        if (fl) {
            *control = ids[i];
            if (fl & EV_REDRAW) fl |= sv_apply(v, v->d.which);
            return fl;
        }
    }
    *control = -1;
    return 0;
}

static const char *sv_hint(void *self, int control)
{
    ShapesView *v = self;
    static const char *const what[LS_N] = {"the layer: ←/→", "the matrix: ←/→ q, k, v, c_proj, c_fc, mlp.c_proj",
                                           "rank r: ←/→ doubles or halves"};
    snprintf(v->hint, sizeof v->hint, "%s · Tab next", what[control < 0 || control >= LS_N ? 0 : control]);
    return v->hint;
}

static int sv_control_row(void *self, int control)
{
    ShapesView *v = self;
    return v->rows[control < 0 || control >= LS_N ? 0 : control];
}

const DemoViewOps dview_lora_shapes = {
    .name = "lora-shapes",
    .create = sv_create,
    .destroy = sv_destroy,
    .height = sv_height,
    .draw = sv_draw,
    .n_controls = sv_n_controls,
    .key = sv_key,
    .mouse = sv_mouse,
    .hint = sv_hint,
    .control_row = sv_control_row,
};
