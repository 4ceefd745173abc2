/* dview_rank.c — lesson 1's three views: the editable matrix with its live
 * rank, row reduction one step at a time, and noise against tolerance. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../demo/demo.h"
#include "../demo/demo_rank.h"
#include "dview.h"
#include "utf8.h"
#include "vmem.h"

/* Singular values as horizontal bars σ₁ σ₂ … (log scale when asked). */
static int sigma_bars(Grid *g, int y, int x, int w, const float *s, int n, int kept, bool log,
                      double marker, const char *marker_label, const ViewEnv *env)
{
    static const char *const sub[] = {"₁", "₂", "₃", "₄", "₅", "₆", "₇", "₈", "₉"};
    HBar bars[RANK_DEMO_MAX];
    char labels[RANK_DEMO_MAX][16], texts[RANK_DEMO_MAX][24];
    for (int i = 0; i < n; i++) {
        if (i < 9) snprintf(labels[i], sizeof labels[i], "σ%s", sub[i]);
        else snprintf(labels[i], sizeof labels[i], "σ%d", i + 1);
        snprintf(texts[i], sizeof texts[i], "%.3g", (double)s[i]);
        bars[i] = (HBar){labels[i], s[i], i < kept ? ROLE_KEPT : ROLE_DROPPED, texts[i]};
    }
    widget_hbars(g, (Rect){y, x, n + (marker > 0 ? 1 : 0), w}, bars, n, 0, log, 9, marker,
                 marker_label, env);
    return n + (marker > 0 ? 1 : 0);
}

/* ===========================================================================
 * matrix: an editable grid with its live rank */

typedef struct MatrixView {
    MatrixDemo d;
    bool editable;
    int show;          /* 0 rank, 1 steps, 2 singular (the schema's order) */
    int ci, cj;        /* cursor */
    bool editing;
    char buf[24];
    Rect at;           /* where the grid was drawn */
    Status st;
    char hint[128];
} MatrixView;

static void *mx_create(const DemoArgs *args, Status *st)
{
    MatrixView *v = vmem_alloc(sizeof *v);
    if (demo_impl_find("matrix")->init(&v->d, args, st)) {
        free(v);
        return NULL;
    }
    v->editable = demo_args_bool(args, "editable");
    const DemoValue *show = demo_args_get(args, "show");
    v->show = show && show->set ? (int)show->i : 0;
    return v;
}

static void mx_destroy(void *self) { free(self); }

static int mx_height(void *self, int width, const ViewEnv *env)
{
    (void)width, (void)env;
    MatrixView *v = self;
    int h = v->d.rows + 1 + 3;
    if (v->show == 1) h += v->d.rows + 2;
    if (v->show == 2) h += v->d.n_s + 2;
    return h + 1;
}

static void mx_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    MatrixView *v = self;
    const MatrixDemo *d = &v->d;
    int y = r.y;
    MatrixViewOpts o = {
        .cell_w = 8, .heat = true, .cur_i = focus == 0 ? v->ci : -1, .cur_j = focus == 0 ? v->cj : -1,
        .edit = v->editing ? v->buf : NULL, .hl_row1 = -1, .hl_row2 = -1, .focused = focus == 0,
    };
    grid_put(g, y, r.x, focus == 0 ? (env->ascii ? ">" : "▶") : " ", ROLE_FOCUS, 1);
    v->at = widget_matrix(g, y, r.x + 2, d->a, d->rows, d->cols, &o, env);
    /* Beside the grid: the rank, big. */
    int sx = v->at.x + v->at.w + 3;
    if (sx + 30 < r.x + r.w) {
        int x = sx;
        x += grid_put(g, y, x, "rank ", ROLE_LABEL, -1);
        grid_printf(g, y, x, ROLE_VALUE, -1, "%d", d->rank);
        grid_printf(g, y + 1, sx, ROLE_DIM, r.x + r.w - sx, "of at most %d (%d×%d)",
                    d->rows < d->cols ? d->rows : d->cols, d->rows, d->cols);
    }
    y += d->rows + 1;
    char dep[160], piv[64] = "";
    matrix_demo_dependency(d, dep, (int)sizeof dep);
    int n = 0;
    for (int i = 0; i < d->rank && n < (int)sizeof piv - 8; i++)
        n += snprintf(piv + n, sizeof piv - (size_t)n, "%s%d", i ? ", " : "", d->pivot_cols[i] + 1);
    int x = r.x + 2;
    x += grid_put(g, y, x, "row reduction: ", ROLE_LABEL, -1);
    x += grid_printf(g, y, x, ROLE_VALUE, -1, "%d pivot%s", d->rank, d->rank == 1 ? "" : "s");
    if (d->rank) grid_printf(g, y, x, ROLE_LABEL, -1, " (columns %s)", piv);
    y++;
    x = r.x + 2;
    x += grid_put(g, y, x, "singular values: ", ROLE_LABEL, -1);
    x += grid_printf(g, y, x, ROLE_VALUE, -1, "%d above", d->rank_svd);
    grid_printf(g, y, x, ROLE_LABEL, -1, " the tolerance %.2g (NumPy's rule)", (double)d->tol);
    y++;
    if (dep[0]) grid_put(g, y, r.x + 2, dep, ROLE_WARN, r.w - 2);
    else grid_put(g, y, r.x + 2, "the columns are independent: full rank", ROLE_GOOD, r.w - 2);
    if (v->st.code) grid_put(g, y, r.x + 2, v->st.msg, ROLE_ERROR, r.w - 2);
    y++;
    if (v->show == 1) {
        y++;
        grid_put(g, y++, r.x + 2, "row echelon form:", ROLE_LABEL, -1);
        MatrixViewOpts eo = {.cell_w = 8, .cur_i = -1, .cur_j = -1, .hl_row1 = -1, .hl_row2 = -1,
                             .pivot_cols = d->pivot_cols, .n_pivots = d->rank};
        widget_matrix(g, y, r.x + 2, d->echelon, d->rows, d->cols, &eo, env);
        y += d->rows;
    } else if (v->show == 2) {
        y++;
        grid_put(g, y++, r.x + 2, "singular values (bars on a log scale):", ROLE_LABEL, -1);
        y += sigma_bars(g, y, r.x + 2, r.w - 4, d->s, d->n_s, d->rank_svd, true, 0, NULL, env);
    }
}

static int mx_n_controls(void *self)
{
    (void)self;
    return 1;
}

static int mx_commit(MatrixView *v)
{
    char *end;
    double val = strtod(v->buf, &end);
    v->editing = false;
    status_clear(&v->st);
    if (end == v->buf || *end || !isfinite(val)) {
        status_fail(&v->st, LS_ERR_PARSE, "'%s' is not a number", v->buf);
        return EV_HANDLED | EV_REDRAW;
    }
    matrix_demo_set(&v->d, v->ci, v->cj, val, &v->st);
    return EV_HANDLED | EV_REDRAW;
}

static int mx_key(void *self, int control, int key, Action act)
{
    (void)control;
    MatrixView *v = self;
    bool numeric = (key >= '0' && key <= '9') || key == '.' || key == '-' ||
                   (v->editing && (key == 'e' || key == 'E' || key == '+'));
    if (v->editable && numeric) {
        if (!v->editing) v->editing = true, v->buf[0] = 0;
        size_t n = strlen(v->buf);
        if (n + 1 < sizeof v->buf) v->buf[n] = (char)key, v->buf[n + 1] = 0;
        return EV_HANDLED | EV_REDRAW;
    }
    if (v->editing) {
        if (key == VK_ENTER || key == VK_TAB) return mx_commit(v);
        if (key == VK_BACKSPACE) {
            size_t n = strlen(v->buf);
            if (n) v->buf[n - 1] = 0;
            return EV_HANDLED | EV_REDRAW;
        }
        if (key == VK_ESC) {
            v->editing = false;
            return EV_HANDLED | EV_REDRAW;
        }
        mx_commit(v); /* moving away keeps what was typed */
    }
    double *cell = &v->d.a[(size_t)v->ci * (size_t)v->d.cols + (size_t)v->cj];
    if (key == VK_UP || key == 'k') v->ci = v->ci > 0 ? v->ci - 1 : 0;
    else if (key == VK_DOWN || key == 'j') v->ci = v->ci + 1 < v->d.rows ? v->ci + 1 : v->ci;
    else if (act == ACT_DEC && key != '[') v->cj = v->cj > 0 ? v->cj - 1 : 0;
    else if (act == ACT_INC && key != ']' && key != '+' && key != '=') v->cj = v->cj + 1 < v->d.cols ? v->cj + 1 : v->cj;
    else if (v->editable && (key == ']' || key == '+' || key == '=')) {
        matrix_demo_set(&v->d, v->ci, v->cj, *cell + 1, &v->st);
    } else if (v->editable && (key == '[' || key == '_')) {
        matrix_demo_set(&v->d, v->ci, v->cj, *cell - 1, &v->st);
    } else if (v->editable && key == VK_ENTER) {
        v->editing = true;
        fmt_num(*cell, 12, v->buf, (int)sizeof v->buf);
    } else {
        return 0;
    }
    return EV_HANDLED | EV_REDRAW;
}

static int mx_mouse(void *self, const MouseEvent *ev, int *control)
{
    MatrixView *v = self;
    int i, j;
    *control = -1;
    if (ev->kind != MOUSE_PRESS) return 0;
    if (!widget_matrix_hit(v->at, v->d.rows, v->d.cols, 8, ev->y, ev->x, &i, &j)) return 0;
    if (v->editing) mx_commit(v);
    v->ci = i, v->cj = j;
    *control = 0;
    return EV_HANDLED | EV_REDRAW;
}

static const char *mx_hint(void *self, int control)
{
    (void)control;
    MatrixView *v = self;
    if (!v->editable) return "arrows move; this matrix is read-only";
    snprintf(v->hint, sizeof v->hint, "%s",
             v->editing ? "typing: Enter keeps it, Esc cancels, Backspace deletes"
                        : "arrows move; type a number (Enter keeps it); +/- add or subtract 1");
    return v->hint;
}

static int mx_control_row(void *self, int control)
{
    (void)control;
    return ((MatrixView *)self)->at.y;
}

const DemoViewOps dview_matrix = {
    .name = "matrix", .create = mx_create, .destroy = mx_destroy, .height = mx_height,
    .draw = mx_draw, .n_controls = mx_n_controls, .key = mx_key, .mouse = mx_mouse,
    .hint = mx_hint, .control_row = mx_control_row,
};

/* ===========================================================================
 * rowreduce: the elimination replayed one operation at a time */

typedef struct RowReduceView {
    RowReduceDemo d;
    Slider step;
    SliderHit hit;
    int row;
    char hint[96];
} RowReduceView;

static void *rr_create(const DemoArgs *args, Status *st)
{
    RowReduceView *v = vmem_alloc(sizeof *v);
    if (demo_impl_find("rowreduce")->init(&v->d, args, st)) {
        free(v);
        return NULL;
    }
    slider_init_linear(&v->step, "step", 0, v->d.rr.n_ops, v->d.step, 1, 1, true);
    return v;
}

static void rr_destroy(void *self)
{
    RowReduceView *v = self;
    if (!v) return;
    rowreduce_demo_free(&v->d);
    free(v);
}

static int rr_height(void *self, int width, const ViewEnv *env)
{
    (void)width, (void)env;
    RowReduceView *v = self;
    return 1 + 1 + 1 + v->d.rows + 1 + 1;
}

static void rr_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    RowReduceView *v = self;
    const RowReduceDemo *d = &v->d;
    int y = r.y;
    v->row = y;
    widget_slider(g, y, r.x, r.w - 12, 7, &v->step, focus == 0, env, &v->hit);
    grid_printf(g, y, r.x + r.w - 11, ROLE_DIM, 11, "of %d", d->rr.n_ops);
    y += 2;
    int x = r.x + 2;
    if (d->step == 0) x += grid_put(g, y, x, "the matrix as given", ROLE_LABEL, -1);
    else {
        x += grid_printf(g, y, x, ROLE_LABEL, -1, "step %d: ", d->step);
        x += grid_put(g, y, x, d->last, ROLE_VALUE, -1);
    }
    y++;
    MatrixViewOpts o = {.cell_w = 8, .cur_i = -1, .cur_j = -1, .hl_row1 = d->last_row,
                        .hl_row2 = d->last_src == d->last_row ? -1 : d->last_src,
                        .pivot_cols = d->rr.pivot_cols, .n_pivots = d->pivots_done};
    Rect at = widget_matrix(g, y, r.x + 2, d->cur, d->rows, d->cols, &o, env);
    int sx = at.x + at.w + 4;
    if (sx + 24 < r.x + r.w) {
        grid_printf(g, y, sx, ROLE_LABEL, -1, "pivots so far: %d", d->pivots_done);
        if (d->step == d->rr.n_ops) {
            grid_put(g, y + 1, sx, "row echelon form reached:", ROLE_GOOD, -1);
            grid_printf(g, y + 2, sx, ROLE_VALUE, -1, "rank = %d pivots = %d", d->rr.rank, d->rr.rank);
        } else {
            grid_put(g, y + 1, sx, "→ for the next operation", ROLE_DIM, -1);
        }
    }
    y += d->rows + 1;
    grid_put(g, y, r.x + 2, "green numbers are pivots; ◀ marks the rows the step used", ROLE_DIM, r.w - 2);
}

static int rr_n_controls(void *self)
{
    (void)self;
    return 1;
}

static int rr_key(void *self, int control, int key, Action act)
{
    (void)control, (void)key;
    RowReduceView *v = self;
    int fl = dview_slider_key(&v->step, act);
    if (fl & EV_REDRAW) rowreduce_demo_set_step(&v->d, (int)v->step.value);
    return fl;
}

static int rr_mouse(void *self, const MouseEvent *ev, int *control)
{
    RowReduceView *v = self;
    int fl = dview_slider_mouse(&v->step, &v->hit, ev, ev->kind == MOUSE_DRAG && *control == 0);
    *control = fl ? 0 : -1;
    if (fl & EV_REDRAW) rowreduce_demo_set_step(&v->d, (int)v->step.value);
    return fl;
}

static const char *rr_hint(void *self, int control)
{
    (void)control;
    RowReduceView *v = self;
    snprintf(v->hint, sizeof v->hint, "step %d of %d: → next operation, ← back, 0/$ start/end",
             v->d.step, v->d.rr.n_ops);
    return v->hint;
}

static int rr_control_row(void *self, int control)
{
    (void)control;
    return ((RowReduceView *)self)->row;
}

const DemoViewOps dview_rowreduce = {
    .name = "rowreduce", .create = rr_create, .destroy = rr_destroy, .height = rr_height,
    .draw = rr_draw, .n_controls = rr_n_controls, .key = rr_key, .mouse = rr_mouse,
    .hint = rr_hint, .control_row = rr_control_row,
};

/* ===========================================================================
 * rank-noise: exact rank against numerical rank */

enum { RN_NOISE, RN_TOL, RN_N };

typedef struct RankNoiseView {
    RankNoiseDemo d;
    Slider sl[RN_N];
    SliderHit hit[RN_N];
    int rows[RN_N];
    Status st;
    char hint[96];
} RankNoiseView;

static void *rn_create(const DemoArgs *args, Status *st)
{
    RankNoiseView *v = vmem_alloc(sizeof *v);
    if (demo_impl_find("rank-noise")->init(&v->d, args, st)) {
        free(v);
        return NULL;
    }
    slider_init_log(&v->sl[RN_NOISE], "noise", 1e-8, 1, v->d.noise, pow(10, 0.25), 10, false);
    v->sl[RN_NOISE].zero_floor = true;
    slider_set(&v->sl[RN_NOISE], v->d.noise);
    slider_init_log(&v->sl[RN_TOL], "tolerance τ", 1e-8, 10, v->d.tol, pow(10, 0.25), 10, false);
    return v;
}

static void rn_destroy(void *self) { free(self); }

static int rn_height(void *self, int width, const ViewEnv *env)
{
    (void)width, (void)env;
    RankNoiseView *v = self;
    return RN_N + 1 + v->d.rows + 1 + 4 + v->d.n_s + 1 + 1;
}

static void rn_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    RankNoiseView *v = self;
    const RankNoiseDemo *d = &v->d;
    int y = r.y;
    for (int i = 0; i < RN_N; i++) {
        v->rows[i] = y;
        widget_slider(g, y++, r.x, r.w, 13, &v->sl[i], focus == i, env, &v->hit[i]);
    }
    y++;
    MatrixViewOpts o = {.cell_w = 12, .cur_i = -1, .cur_j = -1, .hl_row1 = -1, .hl_row2 = -1};
    grid_put(g, y, r.x + 2, "A + noise·E =", ROLE_LABEL, -1);
    widget_matrix(g, y, r.x + 16, d->noisy, d->rows, d->cols, &o, env);
    y += d->rows + 1;
    int x = r.x + 2;
    x += grid_put(g, y, x, "without noise: rank ", ROLE_LABEL, -1);
    x += grid_printf(g, y, x, ROLE_VALUE, -1, "%d", d->rank_clean);
    grid_put(g, y, x, "   (row reduction)", ROLE_DIM, -1);
    y++;
    x = r.x + 2;
    x += grid_put(g, y, x, "exact rank, every σ > 0 counts: ", ROLE_LABEL, -1);
    x += grid_printf(g, y, x, ROLE_VALUE, -1, "%d", d->rank_exact);
    if (d->rank_exact > d->rank_clean)
        grid_put(g, y, x, "   noise (even round-off): full rank", ROLE_WARN, -1);
    y++;
    x = r.x + 2;
    x += grid_printf(g, y, x, ROLE_LABEL, -1, "NumPy's tolerance %.2g: rank ", (double)d->numpy_tol);
    grid_printf(g, y, x, ROLE_VALUE, -1, "%d", d->rank_numpy);
    y++;
    x = r.x + 2;
    char tol[32];
    format_real(d->tol, tol, (int)sizeof tol);
    x += grid_printf(g, y, x, ROLE_LABEL, -1, "your tolerance τ = %s: numerical rank ", tol);
    x += grid_printf(g, y, x, ROLE_VALUE, -1, "%d", d->rank_tol);
    if (d->rank_tol == d->rank_clean) grid_put(g, y, x, env->ascii ? "  = the true rank" : "  ✓ the true rank", ROLE_GOOD, -1);
    if (v->st.code) grid_put(g, y, r.x + 2, v->st.msg, ROLE_ERROR, r.w - 2);
    y += 2;
    sigma_bars(g, y, r.x + 2, r.w - 4, d->s, d->n_s, d->rank_tol, true, d->tol, "τ", env);
}

static int rn_n_controls(void *self)
{
    (void)self;
    return RN_N;
}

static int rn_apply(RankNoiseView *v)
{
    status_clear(&v->st);
    rank_noise_demo_update(&v->d, v->sl[RN_NOISE].value, v->sl[RN_TOL].value, &v->st);
    return EV_REDRAW;
}

static int rn_key(void *self, int control, int key, Action act)
{
    (void)key;
    RankNoiseView *v = self;
    if (control < 0 || control >= RN_N) return 0;
    int fl = dview_slider_key(&v->sl[control], act);
    if (fl & EV_REDRAW) fl |= rn_apply(v);
    return fl;
}

static int rn_mouse(void *self, const MouseEvent *ev, int *control)
{
    RankNoiseView *v = self;
    for (int i = 0; i < RN_N; i++) {
        int fl = dview_slider_mouse(&v->sl[i], &v->hit[i], ev, ev->kind == MOUSE_DRAG && *control == i);
        if (fl) {
            *control = i;
            if (fl & EV_REDRAW) fl |= rn_apply(v);
            return fl;
        }
    }
    *control = -1;
    return 0;
}

static const char *rn_hint(void *self, int control)
{
    RankNoiseView *v = self;
    snprintf(v->hint, sizeof v->hint, "%s: ←/→ a quarter decade, Shift+←/→ a decade; Tab next",
             control == RN_TOL ? "tolerance τ" : "noise");
    return v->hint;
}

static int rn_control_row(void *self, int control)
{
    RankNoiseView *v = self;
    return v->rows[control < 0 || control >= RN_N ? 0 : control];
}

const DemoViewOps dview_rank_noise = {
    .name = "rank-noise", .create = rn_create, .destroy = rn_destroy, .height = rn_height,
    .draw = rn_draw, .n_controls = rn_n_controls, .key = rn_key, .mouse = rn_mouse,
    .hint = rn_hint, .control_row = rn_control_row,
};
