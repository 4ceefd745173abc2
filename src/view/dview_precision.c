/* dview_precision.c — lesson 3's views: the bit explorer (type a number,
 * flip its bits), the number line of representable values, one operation
 * rounded in every format, and the long sum, naive against Kahan. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../demo/demo.h"
#include "../demo/demo_precision.h"
#include "dview.h"
#include "vmem.h"

/* ===========================================================================
 * Shared: a one-line number entry */

typedef struct Entry {
    bool editing;
    char buf[ARITH_TEXT_MAX];
} Entry;

/* Keys for an entry. Starts on Enter or a digit, '-', '.'; while typing it
 * takes every key. *commit is set when Enter or Tab ends the typing (Tab
 * returns 0 so that focus moves on as well). */
static int entry_key(Entry *e, int key, bool *commit)
{
    *commit = false;
    size_t n = strlen(e->buf);
    if (!e->editing) {
        if (key == VK_ENTER) {
            e->editing = true;
            e->buf[0] = '\0';
            return EV_HANDLED | EV_REDRAW;
        }
        if ((key >= '0' && key <= '9') || key == '-' || key == '.') {
            e->editing = true;
            e->buf[0] = (char)key;
            e->buf[1] = '\0';
            return EV_HANDLED | EV_REDRAW;
        }
        return 0;
    }
    if (key == VK_ENTER || key == VK_TAB) {
        e->editing = false;
        *commit = n > 0;
        return key == VK_TAB ? 0 : EV_HANDLED | EV_REDRAW;
    }
    if (key == VK_ESC) {
        e->editing = false;
        return EV_HANDLED | EV_REDRAW;
    }
    if (key == VK_BACKSPACE) {
        if (n) e->buf[n - 1] = '\0';
        return EV_HANDLED | EV_REDRAW;
    }
    if (key > 32 && key < 127 && n + 1 < sizeof e->buf) {
        e->buf[n] = (char)key;
        e->buf[n + 1] = '\0';
        return EV_HANDLED | EV_REDRAW;
    }
    return EV_HANDLED; /* typing swallows everything else */
}

/* Draw "label  text_" (the cursor while typing); returns the columns used. */
static int entry_draw(Grid *g, int y, int x, int label_w, const char *label, const Entry *e,
                      const char *shown, bool focused, const ViewEnv *env)
{
    grid_put(g, y, x, focused ? (env->ascii ? "> " : "▶ ") : "  ", ROLE_FOCUS, 2);
    grid_put(g, y, x + 2, label, focused ? ROLE_FOCUS : ROLE_LABEL, label_w);
    int cx = x + 2 + label_w;
    if (e->editing) {
        char *s = vmem_printf(" %s_ ", e->buf);
        cx += grid_put(g, y, cx, s, ROLE_PROMPT, -1);
        free(s);
    } else {
        cx += grid_put(g, y, cx, " ", ROLE_TEXT, 1);
        cx += grid_put(g, y, cx, shown, ROLE_VALUE, -1);
        cx += grid_put(g, y, cx, " ", ROLE_TEXT, 1);
    }
    return cx - x;
}

/* Parse a typed number (decimal, exponent form, inf, nan). */
static bool parse_number(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    while (*end == ' ') end++;
    if (end == s || *end) return false;
    *out = v;
    return true;
}

static const char *const format_options[NUMFMT_COUNT] = {"fp32", "fp16", "bf16", "e4m3", "e5m2"};

/* Field colours: sign, exponent, mantissa. */
static Role field_role(BitField f)
{
    return f == BITS_SIGN ? ROLE_SERIES3 : f == BITS_EXPONENT ? ROLE_SERIES2 : ROLE_SERIES1;
}

/* ===========================================================================
 * bits: one number in every format, bit by bit */

enum { BV_VALUE, BV_GRID, BV_N };

typedef struct BitsView {
    BitsDemo d;
    Entry entry;
    Status st;
    int row_value;
    int row_y[NUMFMT_COUNT];
    int bit_x[NUMFMT_COUNT][32];
    int name_x, name_w;
    char hint[160];
} BitsView;

static void *bv_create(const DemoArgs *args, Status *st)
{
    BitsView *v = vmem_alloc(sizeof *v);
    if (demo_impl_find("bits")->init(&v->d, args, st)) {
        free(v);
        return NULL;
    }
    /* Show the value as the lesson wrote it. */
    const char *t = demo_args_text(args, "value");
    snprintf(v->entry.buf, sizeof v->entry.buf, "%s", t ? t : "");
    for (int r = 0; r < NUMFMT_COUNT; r++) v->row_y[r] = -1;
    return v;
}

static void bv_destroy(void *self) { free(self); }

static int bv_height(void *self, int width, const ViewEnv *env)
{
    (void)self, (void)width, (void)env;
    return 2 + 1 + NUMFMT_COUNT + 1 + 4;
}

static void bv_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    BitsView *v = self;
    BitsDemo *d = &v->d;
    int y = r.y;
    v->row_value = y;
    char shown[48];
    if (strcmp(d->origin, "typed") == 0 && v->entry.buf[0]) snprintf(shown, sizeof shown, "%s", v->entry.buf);
    else precision_format_value(shown, sizeof shown, d->x);
    int x = r.x + entry_draw(g, y, r.x, 7, "value", &v->entry, shown, focus == BV_VALUE, env);
    if (!v->entry.editing) {
        char *o = vmem_printf("  (%s)", d->origin);
        grid_put(g, y, x, o, ROLE_DIM, r.x + r.w - x);
        free(o);
    }
    if (v->st.code) grid_put(g, y, x + 2, v->st.msg, ROLE_ERROR, r.x + r.w - x - 2);
    y += 2;

    /* Header, with the field names in their colours. */
    int bx = r.x + 10, bits_w = 34, vx = bx + bits_w + 2;
    bool wide = r.w >= 84;
    int ex = vx + (wide ? 24 : 21);
    grid_put(g, y, r.x + 2, "format", ROLE_LABEL, -1);
    int hx = bx;
    hx += grid_put(g, y, hx, "sign", field_role(BITS_SIGN), -1) + 1;
    hx += grid_put(g, y, hx, "exponent", field_role(BITS_EXPONENT), -1) + 1;
    grid_put(g, y, hx, "mantissa", field_role(BITS_MANTISSA), -1);
    grid_put(g, y, vx, "stored value", ROLE_LABEL, -1);
    grid_put(g, y, ex, "rel. err", ROLE_LABEL, r.x + r.w - ex);
    y++;
    for (int row = 0; row < NUMFMT_COUNT; row++) {
        const NumFormat *f = numfmt_get(row);
        const NumInfo *in = &d->info[row];
        bool sel = row == d->row;
        v->row_y[row] = y;
        grid_put(g, y, r.x, sel ? (env->ascii ? ">" : "▸") : " ", focus == BV_GRID ? ROLE_FOCUS : ROLE_DIM, 1);
        grid_put(g, y, r.x + 2, f->name, sel ? ROLE_STRONG : ROLE_LABEL, 6);
        v->name_x = r.x + 2;
        v->name_w = 6;
        int cx = bx, width = numfmt_width(f);
        for (int b = 0; b < width; b++) {
            if (b == 1 || b == 1 + f->exp_bits) cx++; /* a gap between the fields */
            BitField fld = bits_field(f, b);
            bool on = (in->bits >> (width - 1 - b)) & 1u;
            bool cursor = focus == BV_GRID && sel && b == d->bit;
            grid_put(g, y, cx, on ? "1" : "0", cursor ? ROLE_SELECTED : field_role(fld), 1);
            if (!cursor && sel && b == d->bit) grid_attr(g, y, cx, TA_UNDERLINE);
            v->bit_x[row][b] = cx;
            cx++;
        }
        char val[48], err[32];
        precision_format_value(val, sizeof val, in->value);
        /* A narrow column: fewer digits rather than a cut number (9 still
         * read back every float exactly). */
        for (int digits = 16; (int)strlen(val) > ex - vx - 1 && digits >= 9 && isfinite(in->value); digits--)
            if (snprintf(val, sizeof val, "%.*g", digits, in->value) >= (int)sizeof val) break;
        if (isnan(in->rel_error)) snprintf(err, sizeof err, "—");
        else if (isinf(in->rel_error)) snprintf(err, sizeof err, "inf");
        else if (in->rel_error == 0) snprintf(err, sizeof err, "0 (exact)");
        else snprintf(err, sizeof err, "%.2g", in->rel_error);
        grid_put(g, y, vx, val, sel ? ROLE_VALUE : ROLE_TEXT, ex - vx - 1);
        grid_put(g, y, ex, err, in->rel_error == 0 ? ROLE_GOOD : ROLE_TEXT, r.x + r.w - ex);
        y++;
    }
    y++;
    /* How the selected format reads its bits. */
    const NumFormat *f = numfmt_get(d->row);
    char ex_buf[400];
    bits_demo_explain(d, d->row, ex_buf, sizeof ex_buf);
    char *eq = strstr(ex_buf, " = ");
    if (eq && eq - ex_buf < (long)sizeof ex_buf) {
        *eq = '\0';
        int w0 = grid_put(g, y, r.x + 2, f->name, ROLE_STRONG, -1);
        grid_put(g, y, r.x + 2 + w0, " = ", ROLE_LABEL, -1);
        grid_put(g, y, r.x + 5 + w0, ex_buf, ROLE_VALUE, r.w - 5 - w0);
        y++;
        grid_put(g, y, r.x + 4 + w0, "= ", ROLE_LABEL, -1);
        grid_put(g, y, r.x + 6 + w0, eq + 3, ROLE_VALUE, r.w - 6 - w0);
    } else {
        grid_put(g, y, r.x + 2, ex_buf, ROLE_VALUE, r.w - 2);
        y++;
    }
    y++;
    const NumInfo *in = &d->info[d->row];
    char u[40], dn[48], up[48];
    precision_format_value(u, sizeof u, in->ulp);
    precision_format_value(dn, sizeof dn, in->next_down);
    precision_format_value(up, sizeof up, in->next_up);
    grid_printf(g, y, r.x + 2, ROLE_DIM, r.w - 2, "%s number · spacing to the next one up (ulp) %s",
                numfmt_class_name(in->cls), u);
    grid_printf(g, y + 1, r.x + 2, ROLE_DIM, r.w - 2, "next down %s · next up %s", dn, up);
}

static int bv_n_controls(void *self)
{
    (void)self;
    return BV_N;
}

static int bv_commit(BitsView *v)
{
    double x;
    status_clear(&v->st);
    if (!parse_number(v->entry.buf, &x)) {
        status_fail(&v->st, LS_ERR_PARSE, "'%s' is not a number", v->entry.buf);
        return EV_HANDLED | EV_REDRAW;
    }
    bits_demo_set_value(&v->d, x, "typed");
    return EV_HANDLED | EV_REDRAW;
}

static int bv_key(void *self, int control, int key, Action act)
{
    BitsView *v = self;
    BitsDemo *d = &v->d;
    if (control == BV_VALUE) {
        bool commit;
        int fl = entry_key(&v->entry, key, &commit);
        if (commit) fl |= bv_commit(v);
        if (key == VK_TAB) return 0; /* typed or not, Tab moves on */
        if (fl || v->entry.editing) return fl;
        if (act == ACT_INC || act == ACT_DEC) {
            bits_demo_step(d, act == ACT_INC ? +1 : -1);
            v->entry.buf[0] = '\0';
            return EV_HANDLED | EV_REDRAW;
        }
        if (act == ACT_INC_BIG || act == ACT_DEC_BIG) {
            bits_demo_set_value(d, act == ACT_INC_BIG ? d->x * 2 : d->x / 2,
                                act == ACT_INC_BIG ? "doubled" : "halved");
            v->entry.buf[0] = '\0';
            return EV_HANDLED | EV_REDRAW;
        }
        return 0;
    }
    const NumFormat *f = numfmt_get(d->row);
    int width = numfmt_width(f);
    if (key == VK_UP || key == 'k') {
        d->row = d->row > 0 ? d->row - 1 : NUMFMT_COUNT - 1;
    } else if (key == VK_DOWN || key == 'j') {
        d->row = (d->row + 1) % NUMFMT_COUNT;
    } else if (act == ACT_DEC) {
        d->bit = d->bit > 0 ? d->bit - 1 : width - 1;
    } else if (act == ACT_INC) {
        d->bit = d->bit + 1 < width ? d->bit + 1 : 0;
    } else if (act == ACT_DEC_BIG || act == ACT_INC_BIG) {
        /* Jump between fields: sign, exponent, mantissa. */
        int starts[3] = {0, 1, 1 + f->exp_bits};
        int cur = bits_field(f, d->bit);
        int next = act == ACT_INC_BIG ? (cur + 1) % 3 : (cur + 2) % 3;
        d->bit = starts[next] < width ? starts[next] : 0;
    } else if (key == ' ' || key == VK_ENTER || key == 'f' || key == 'x') {
        bits_demo_flip(d, d->row, d->bit);
        v->entry.buf[0] = '\0';
    } else if (key == '0' || key == '1') {
        bits_demo_set_bit(d, d->row, d->bit, key - '0');
        v->entry.buf[0] = '\0';
    } else {
        return 0;
    }
    /* Keep the cursor inside the newly selected row. */
    int w = numfmt_width(numfmt_get(d->row));
    if (d->bit >= w) d->bit = w - 1;
    return EV_HANDLED | EV_REDRAW;
}

static int bv_mouse(void *self, const MouseEvent *ev, int *control)
{
    BitsView *v = self;
    *control = -1;
    if (ev->kind != MOUSE_PRESS) return 0;
    if (ev->y == v->row_value) {
        *control = BV_VALUE;
        return EV_HANDLED | EV_REDRAW;
    }
    for (int row = 0; row < NUMFMT_COUNT; row++) {
        if (ev->y != v->row_y[row]) continue;
        int width = numfmt_width(numfmt_get(row));
        *control = BV_GRID;
        for (int b = 0; b < width; b++)
            if (ev->x == v->bit_x[row][b]) {
                v->d.row = row;
                v->d.bit = b;
                bits_demo_flip(&v->d, row, b);
                v->entry.buf[0] = '\0';
                return EV_HANDLED | EV_REDRAW;
            }
        v->d.row = row;
        if (v->d.bit >= width) v->d.bit = width - 1;
        return EV_HANDLED | EV_REDRAW;
    }
    return 0;
}

static const char *bv_hint(void *self, int control)
{
    BitsView *v = self;
    const char *fmt = numfmt_get(v->d.row)->name;
    if (control == BV_VALUE) {
        if (v->entry.editing)
            snprintf(v->hint, sizeof v->hint, "type a number (0.1, 1e-8, inf) · Enter sets it · Esc cancels");
        else
            snprintf(v->hint, sizeof v->hint,
                     "Enter types a number · ←/→ next %s value · Shift+←/→ ÷2 ×2", fmt);
    } else {
        snprintf(v->hint, sizeof v->hint,
                 "←/→ bit · ↑/↓ format · Space flips · 0/1 set · Shift+←/→ field");
    }
    return v->hint;
}

static int bv_control_row(void *self, int control)
{
    BitsView *v = self;
    return control == BV_VALUE ? v->row_value : v->row_y[v->d.row];
}

const DemoViewOps dview_bits = {
    .name = "bits", .create = bv_create, .destroy = bv_destroy, .height = bv_height,
    .draw = bv_draw, .n_controls = bv_n_controls, .key = bv_key, .mouse = bv_mouse,
    .hint = bv_hint, .control_row = bv_control_row,
};

/* ===========================================================================
 * number-line: the representable values around x */

enum { NL_FORMAT, NL_X, NL_ZOOM, NL_N };

typedef struct NumLineView {
    NumberLineDemo d;
    Slider x, zoom;
    SliderHit hit[NL_N];
    ChoiceHit fhit;
    int rows[NL_N];
    int cols;          /* columns the demo last counted for */
    char hint[128];
} NumLineView;

/* The x slider spans the format: from its smallest value (or 1e-8) to its
 * largest (or 1e6, so the track stays usable for fp32). */
static void nl_x_range(NumLineView *v)
{
    NumLimits l;
    numfmt_limits(&l, &v->d.fmt);
    double lo = fmax(l.min_subnormal, 1e-8), hi = fmin(l.max, 1e6);
    if (v->d.x > hi) hi = fmin(l.max, v->d.x);
    double keep = v->d.x;
    slider_init_log(&v->x, "x", lo, hi, keep, pow(2, 0.25), 2, false);
    v->x.zero_floor = true;
    slider_set(&v->x, keep);
}

static void *nl_create(const DemoArgs *args, Status *st)
{
    NumLineView *v = vmem_alloc(sizeof *v);
    if (demo_impl_find("number-line")->init(&v->d, args, st)) {
        free(v);
        return NULL;
    }
    nl_x_range(v);
    slider_init_log(&v->zoom, "zoom", 1, 1048576, (double)v->d.zoom, 2, 16, true);
    v->zoom.unit = "ulp";
    return v;
}

static void nl_destroy(void *self) { free(self); }

enum { NL_STRIP = 3 };

static int nl_height(void *self, int width, const ViewEnv *env)
{
    (void)self, (void)width, (void)env;
    return NL_N + 1 + 3 + 1 + 1 + NL_STRIP + 1 + 1 + 1 + 2;
}

/* "2^-10 = 0.0009765625" for a power of two (just "2^-10" when short),
 * the plain value otherwise. */
static void gap_text(char *buf, size_t size, float gap, bool short_form)
{
    char v[40];
    precision_format_value(v, sizeof v, gap);
    int e;
    float m = frexpf(gap, &e);
    if (gap > 0 && m == 0.5f) {
        if (short_form) snprintf(buf, size, "2^%d", e - 1);
        else snprintf(buf, size, "2^%d = %s", e - 1, v);
    } else {
        snprintf(buf, size, "%s", v);
    }
}

/* Columns for the strip, chosen so that every column spans a whole number
 * of the finest spacings (or a column a whole number of them): then the
 * ticks fall evenly and the bars step cleanly where the spacing doubles,
 * instead of aliasing. */
static int nl_columns(const NumberLineDemo *d, int avail)
{
    if (avail > NUMLINE_MAX_COLS) avail = NUMLINE_MAX_COLS;
    const NumberLineResult *r = &d->res;
    if (!(r->finest > 0) || !(r->hi > r->lo)) return avail;
    double units = (r->hi - r->lo) / r->finest;
    if (units < 1 || units > 1e15 || fabs(units - nearbyint(units)) > 1e-6) return avail;
    long long u = (long long)nearbyint(units);
    if (u <= avail) return (int)(u * (avail / u));
    for (int c = avail; c >= avail / 2; c--)
        if (u % c == 0) return c;
    return avail;
}

static void nl_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    NumLineView *v = self;
    /* Count for the width first (the window decides the columns). */
    int cols = nl_columns(&v->d, r.w - 4);
    if (cols != v->cols || cols != v->d.res.cols) {
        v->cols = cols;
        number_line_demo_set(&v->d, v->d.fmt_id, v->d.x, v->d.zoom, cols);
    }
    const NumberLineResult *res = &v->d.res;
    int y = r.y;
    v->rows[NL_FORMAT] = y;
    widget_choice(g, y++, r.x, r.w, 7, "format", format_options, NUMFMT_COUNT, v->d.fmt_id,
                  focus == NL_FORMAT, false, env, &v->fhit);
    v->rows[NL_X] = y;
    widget_slider(g, y++, r.x, r.w, 7, &v->x, focus == NL_X, env, &v->hit[NL_X]);
    v->rows[NL_ZOOM] = y;
    widget_slider(g, y++, r.x, r.w, 7, &v->zoom, focus == NL_ZOOM, env, &v->hit[NL_ZOOM]);
    y++;
    char xs[48], st[48], a[64], b[64];
    precision_format_value(xs, sizeof xs, res->x);
    precision_format_value(st, sizeof st, res->stored);
    int x = r.x + 2;
    x += grid_printf(g, y, x, ROLE_LABEL, -1, "x = %s is stored in %s as ", xs, v->d.fmt.name);
    x += grid_put(g, y, x, st, ROLE_VALUE, -1);
    if ((double)res->stored != res->x) {
        char e[32];
        snprintf(e, sizeof e, "  (off by %.2g)", fabs((double)res->stored - res->x));
        grid_put(g, y, x, e, ROLE_DIM, r.x + r.w - x);
    }
    y++;
    gap_text(a, sizeof a, res->gap_below, false);
    gap_text(b, sizeof b, res->gap_above, false);
    x = r.x + 2;
    x += grid_put(g, y, x, "spacing above it (its ulp): ", ROLE_LABEL, -1);
    grid_put(g, y, x, b, ROLE_VALUE, r.x + r.w - x);
    y++;
    x = r.x + 2;
    x += grid_put(g, y, x, "spacing below it:           ", ROLE_LABEL, -1);
    grid_put(g, y, x, a, ROLE_VALUE, r.x + r.w - x);
    y += 2;

    /* The strip: a tick per value, or bars of how many values share a column. */
    int left = r.x + 2;
    long long maxc = 0;
    for (int c = 0; c < res->cols; c++)
        if (res->col_count[c] > maxc) maxc = res->col_count[c];
    double span = res->hi - res->lo;
    int xcol = span > 0 ? (int)lround((res->x - res->lo) / span * (res->cols - 1)) : res->cols / 2;
    grid_put(g, y, left + xcol, env->ascii ? "v" : "▼", ROLE_CUTOFF, 1);
    grid_put(g, y, left + xcol + 2, "x", ROLE_CUTOFF, 1);
    y++;
    static const char *const eighth[9] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    for (int c = 0; c < res->cols; c++) {
        long long n = res->col_count[c];
        bool edge = false;
        for (int k = 0; k < res->n_edges; k++) {
            int ec = span > 0 ? (int)floor((res->edges[k].at - res->lo) / span * res->cols) : -1;
            if (ec == c) edge = true;
        }
        Role role = edge ? ROLE_CUTOFF : ROLE_SERIES1;
        if (maxc <= 1) {
            for (int k = 0; n && k < NL_STRIP; k++)
                grid_put(g, y + k, left + c, env->ascii ? "|" : "│", role, 1);
        } else {
            int e = (int)llround((double)n * NL_STRIP * 8 / (double)maxc);
            if (n > 0 && e == 0) e = 1;
            for (int k = 0; k < NL_STRIP; k++) {
                int fill = e - 8 * k;
                const char *ch = fill >= 8 ? (env->ascii ? "#" : "█")
                                           : fill > 0 ? (env->ascii ? (fill >= 4 ? "#" : ".") : eighth[fill]) : NULL;
                if (ch) grid_put(g, y + NL_STRIP - 1 - k, left + c, ch, role, 1);
            }
        }
        /* Past the largest finite value there is nothing: mark it. */
        if (res->beyond_max && n == 0 && res->lo + (c + 0.5) * span / res->cols > res->max)
            grid_put(g, y + NL_STRIP - 1, left + c, env->ascii ? "x" : "×", ROLE_BAD, 1);
    }
    y += NL_STRIP;
    grid_hline(g, y, left, res->cols, ROLE_AXIS);
    y++;
    char lo[40], hi[40];
    precision_format_value(lo, sizeof lo, res->lo);
    precision_format_value(hi, sizeof hi, res->hi);
    grid_put(g, y, left, lo, ROLE_AXIS, -1);
    int hw = grid_text_width(g, hi);
    grid_put(g, y, left + res->cols - hw, hi, ROLE_AXIS, -1);
    y++;
    char cnt[32];
    fmt_count(res->count, cnt, (int)sizeof cnt);
    x = r.x + 2;
    x += grid_put(g, y, x, cnt, ROLE_VALUE, -1);
    x += grid_printf(g, y, x, ROLE_LABEL, -1, " value%s in view", res->count == 1 ? "" : "s");
    if (maxc > 1) {
        char per[32];
        fmt_count(maxc, per, (int)sizeof per);
        x += grid_printf(g, y, x, ROLE_DIM, -1, " · up to %s in one column: the bars count them", per);
    } else {
        x += grid_put(g, y, x, " · one tick each", ROLE_DIM, -1);
    }
    if (res->beyond_max) {
        char m[40];
        precision_format_value(m, sizeof m, res->max);
        grid_printf(g, y, x, ROLE_BAD, r.x + r.w - x, " · nothing above %s (the max)", m);
    }
    y++;
    /* Where the spacing doubles. */
    for (int k = 0; k < res->n_edges && k < 2; k++) {
        char at[40];
        precision_format_value(at, sizeof at, res->edges[k].at);
        if (strlen(at) > 8) snprintf(at, sizeof at, "2^%d", ilogb(res->edges[k].at)); /* a power of two */
        gap_text(a, sizeof a, res->edges[k].gap_below, true);
        gap_text(b, sizeof b, res->edges[k].gap_above, true);
        /* At the smallest normal the subnormals below keep the same
         * spacing: say so rather than "doubles". */
        if (res->edges[k].gap_below == res->edges[k].gap_above)
            grid_printf(g, y++, r.x + 2, ROLE_CUTOFF, r.w - 2,
                        "at 2^%d (the smallest normal) the spacing stays %s: subnormals below",
                        ilogb(res->edges[k].at), b);
        else
            grid_printf(g, y++, r.x + 2, ROLE_CUTOFF, r.w - 2,
                        "at %s (a power of two) the spacing doubles: %s below, %s above", at, a, b);
    }
}

static int nl_n_controls(void *self)
{
    (void)self;
    return NL_N;
}

static int nl_apply(NumLineView *v, int fmt_id)
{
    bool new_fmt = fmt_id != v->d.fmt_id;
    number_line_demo_set(&v->d, fmt_id, v->x.value, (long)v->zoom.value, v->cols > 0 ? v->cols : 64);
    if (new_fmt) {
        nl_x_range(v);
        slider_set(&v->x, v->d.x);
    }
    return EV_REDRAW;
}

static int nl_key(void *self, int control, int key, Action act)
{
    (void)key;
    NumLineView *v = self;
    if (control == NL_FORMAT) {
        int f = v->d.fmt_id;
        if (act == ACT_INC || act == ACT_INC_BIG) f = (f + 1) % NUMFMT_COUNT;
        else if (act == ACT_DEC || act == ACT_DEC_BIG) f = (f + NUMFMT_COUNT - 1) % NUMFMT_COUNT;
        else if (act == ACT_MIN) f = 0;
        else if (act == ACT_MAX) f = NUMFMT_COUNT - 1;
        else return 0;
        return EV_HANDLED | nl_apply(v, f);
    }
    Slider *s = control == NL_X ? &v->x : &v->zoom;
    int fl = dview_slider_key(s, act);
    if (fl & EV_REDRAW) fl |= nl_apply(v, v->d.fmt_id);
    return fl;
}

static int nl_mouse(void *self, const MouseEvent *ev, int *control)
{
    NumLineView *v = self;
    if (ev->kind == MOUSE_PRESS) {
        int o = widget_choice_at(&v->fhit, ev->y, ev->x);
        if (o >= 0 || ev->y == v->rows[NL_FORMAT]) {
            *control = NL_FORMAT;
            return EV_HANDLED | (o >= 0 ? nl_apply(v, o) : EV_REDRAW);
        }
    }
    Slider *sl[2] = {&v->x, &v->zoom};
    for (int i = 0; i < 2; i++) {
        int c = NL_X + i;
        int fl = dview_slider_mouse(sl[i], &v->hit[c], ev, ev->kind == MOUSE_DRAG && *control == c);
        if (fl) {
            *control = c;
            if (fl & EV_REDRAW) fl |= nl_apply(v, v->d.fmt_id);
            return fl;
        }
    }
    *control = -1;
    return 0;
}

static const char *nl_hint(void *self, int control)
{
    NumLineView *v = self;
    static const char *const what[NL_N] = {"format: ←/→ choose", "x: ←/→ ×2^¼, Shift ×2, 0 for zero",
                                           "zoom: ←/→ ×2, Shift ×16 (half-width in ulps of x)"};
    snprintf(v->hint, sizeof v->hint, "%s · Tab next", what[control < 0 || control >= NL_N ? 0 : control]);
    return v->hint;
}

static int nl_control_row(void *self, int control)
{
    NumLineView *v = self;
    return v->rows[control < 0 || control >= NL_N ? 0 : control];
}

const DemoViewOps dview_number_line = {
    .name = "number-line", .create = nl_create, .destroy = nl_destroy, .height = nl_height,
    .draw = nl_draw, .n_controls = nl_n_controls, .key = nl_key, .mouse = nl_mouse,
    .hint = nl_hint, .control_row = nl_control_row,
};

/* ===========================================================================
 * arith: one operation in every format */

enum { AV_A, AV_OP, AV_B, AV_N };

typedef struct ArithView {
    ArithDemo d;
    Entry a, b;
    ChoiceHit ophit;
    int row;           /* the controls' row */
    int ax, bx, opx;   /* where the fields start (for clicks) */
    Status st;
    char hint[128];
} ArithView;

static const char *const op_options[ARITH_OP_COUNT] = {"+", "−", "×", "÷"};

static void *av_create(const DemoArgs *args, Status *st)
{
    ArithView *v = vmem_alloc(sizeof *v);
    if (demo_impl_find("arith")->init(&v->d, args, st)) {
        free(v);
        return NULL;
    }
    snprintf(v->a.buf, sizeof v->a.buf, "%s", v->d.a_text);
    snprintf(v->b.buf, sizeof v->b.buf, "%s", v->d.b_text);
    return v;
}

static void av_destroy(void *self) { free(self); }

static int av_height(void *self, int width, const ViewEnv *env)
{
    (void)self, (void)width, (void)env;
    return 1 + 1 + 1 + 1 + 1 + ARITH_ROWS + 1 + 1;
}

static void value_text(char *buf, size_t size, double v, int digits)
{
    if (!isfinite(v)) precision_format_value(buf, size, v);
    else snprintf(buf, size, "%.*g", digits, v);
}

static void av_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    ArithView *v = self;
    const ArithDemo *d = &v->d;
    int y = r.y;
    v->row = y;
    int x = r.x;
    v->ax = x;
    x += entry_draw(g, y, x, 2, "a", &v->a, d->a_text, focus == AV_A, env) + 2;
    v->opx = x;
    widget_choice(g, y, x, 26, 3, "op", op_options, ARITH_OP_COUNT, d->op, focus == AV_OP, false, env, &v->ophit);
    x += 2 + 3 + 4 * 4 + 2;
    v->bx = x;
    entry_draw(g, y, x, 2, "b", &v->b, d->b_text, focus == AV_B, env);
    if (v->st.code) grid_put(g, y + 1, r.x + 2, v->st.msg, ROLE_ERROR, r.w - 2);
    y += 2;
    char ex[64];
    long double e = d->exact;
    if (isfinite((double)e)) snprintf(ex, sizeof ex, "%.19Lg", e);
    else snprintf(ex, sizeof ex, "%s", isnan((double)e) ? "nan" : (e > 0 ? "inf" : "-inf"));
    char *line = vmem_printf("exactly: %s %s %s = %s", d->a_text, arith_op_symbol(d->op), d->b_text, ex);
    grid_put(g, y++, r.x + 2, line, ROLE_STRONG, r.w - 2);
    free(line);
    y++;
    /* The texts first, so every column is as wide as its longest entry. */
    enum { AV_TXT = 48 };
    char txt[ARITH_ROWS][5][AV_TXT]; /* a stored, b stored, result, nearest, error */
    int wa = 8, wres = 0, wnear = 0, wnote = 0;
    for (int row = 0; row < ARITH_ROWS; row++) {
        const ArithRow *ar = &d->rows[row];
        value_text(txt[row][0], AV_TXT, ar->a, 8);
        value_text(txt[row][1], AV_TXT, ar->b, 8);
        precision_format_value(txt[row][2], AV_TXT, ar->result);
        precision_format_value(txt[row][3], AV_TXT, ar->nearest);
        if (isnan(ar->rel_error)) snprintf(txt[row][4], AV_TXT, "—");
        else if (isinf(ar->rel_error)) snprintf(txt[row][4], AV_TXT, "inf");
        else snprintf(txt[row][4], AV_TXT, "%.2g", ar->rel_error);
        int la = (int)strlen(txt[row][0]), lb = (int)strlen(txt[row][1]);
        if (la > wa) wa = la;
        if (lb > wa) wa = lb;
        if ((int)strlen(txt[row][2]) > wres) wres = (int)strlen(txt[row][2]);
        if ((int)strlen(txt[row][3]) > wnear) wnear = (int)strlen(txt[row][3]);
        if (grid_text_width(g, ar->note) > wnote) wnote = grid_text_width(g, ar->note);
    }
    char res_h[48];
    snprintf(res_h, sizeof res_h, "a %s b, rounded", arith_op_symbol(d->op));
    const char *near_h = "nearest to exact";
    wres = wres > grid_text_width(g, res_h) ? wres : grid_text_width(g, res_h);
    wnear = wnear > (int)strlen(near_h) ? wnear : (int)strlen(near_h);
    /* Columns (one blank between): the optional ones (the stored operands,
     * the nearest value) only when the notes still fit beside them. */
    int fixed = 2 + 6 + (wres + 1) + 5 + 8 + (wnote > 4 ? wnote : 4);
    bool nearest = fixed + wnear + 1 <= r.w;
    bool operands = nearest && fixed + wnear + 1 + 2 * (wa + 1) <= r.w;
    int cx[8], wid[8], src[8], n = 0, c = r.x + 2;
    const char *heads[8];
#define AV_COL(w_, h_, s_) (cx[n] = c, wid[n] = (w_), heads[n] = (h_), src[n] = (s_), c += (w_) + 1, n++)
    AV_COL(5, "", -1);
    if (operands) AV_COL(wa, "a stored", 0), AV_COL(wa, "b stored", 1);
    AV_COL(wres, res_h, 2);
    if (nearest) AV_COL(wnear, near_h, 3);
    AV_COL(4, "same", -2);
    AV_COL(7, "error", 4);
    AV_COL(r.x + r.w - c, "note", -3);
#undef AV_COL
    for (int i = 0; i < n; i++) grid_put(g, y, cx[i], heads[i], ROLE_LABEL, wid[i]);
    y++;
    for (int row = 0; row < ARITH_ROWS; row++) {
        const ArithRow *ar = &d->rows[row];
        for (int i = 0; i < n; i++) {
            if (src[i] == -1) grid_put(g, y, cx[i], ar->name, ROLE_STRONG, wid[i]);
            else if (src[i] == -2)
                grid_put(g, y, cx[i], isnan(ar->result) ? "no" : (ar->same ? "yes" : "no"),
                         ar->same ? ROLE_GOOD : ROLE_BAD, wid[i]);
            else if (src[i] == -3) grid_put(g, y, cx[i], ar->note, ROLE_WARN, wid[i]);
            else grid_put(g, y, cx[i], txt[row][src[i]], src[i] == 2 ? ROLE_VALUE : ROLE_TEXT, wid[i]);
        }
        y++;
    }
    y++;
    grid_put(g, y, r.x + 2,
             "same: is the rounded result the format's nearest value to the exact one?",
             ROLE_DIM, r.w - 2);
}

static int av_n_controls(void *self)
{
    (void)self;
    return AV_N;
}

static int av_recompute(ArithView *v, const char *a, ArithOp op, const char *b)
{
    status_clear(&v->st);
    arith_demo_set(&v->d, a, op, b, &v->st);
    snprintf(v->a.buf, sizeof v->a.buf, "%s", v->d.a_text);
    snprintf(v->b.buf, sizeof v->b.buf, "%s", v->d.b_text);
    return EV_HANDLED | EV_REDRAW;
}

/* The operand scaled by f, as short decimal text. */
static void scaled(char *buf, size_t size, long double x, long double f)
{
    snprintf(buf, size, "%.15Lg", x * f);
}

static int av_key(void *self, int control, int key, Action act)
{
    ArithView *v = self;
    ArithDemo *d = &v->d;
    if (control == AV_OP) {
        int op = d->op;
        if (act == ACT_INC || act == ACT_INC_BIG) op = (op + 1) % ARITH_OP_COUNT;
        else if (act == ACT_DEC || act == ACT_DEC_BIG) op = (op + ARITH_OP_COUNT - 1) % ARITH_OP_COUNT;
        else return 0;
        return av_recompute(v, d->a_text, (ArithOp)op, d->b_text);
    }
    Entry *e = control == AV_A ? &v->a : &v->b;
    bool commit;
    int fl = entry_key(e, key, &commit);
    if (commit) {
        char a[ARITH_TEXT_MAX], b[ARITH_TEXT_MAX];
        snprintf(a, sizeof a, "%s", control == AV_A ? e->buf : d->a_text);
        snprintf(b, sizeof b, "%s", control == AV_B ? e->buf : d->b_text);
        int rf = av_recompute(v, a, d->op, b);
        return key == VK_TAB ? 0 : fl | rf;
    }
    if (key == VK_TAB) return 0;
    if (fl || e->editing) return fl;
    long double f;
    if (act == ACT_INC) f = 2;
    else if (act == ACT_DEC) f = 0.5L;
    else if (act == ACT_INC_BIG) f = 10;
    else if (act == ACT_DEC_BIG) f = 0.1L;
    else return 0;
    char t[ARITH_TEXT_MAX];
    scaled(t, sizeof t, control == AV_A ? d->a : d->b, f);
    return control == AV_A ? av_recompute(v, t, d->op, d->b_text) : av_recompute(v, d->a_text, d->op, t);
}

static int av_mouse(void *self, const MouseEvent *ev, int *control)
{
    ArithView *v = self;
    *control = -1;
    if (ev->kind != MOUSE_PRESS || ev->y != v->row) return 0;
    int o = widget_choice_at(&v->ophit, ev->y, ev->x);
    if (o >= 0) {
        *control = AV_OP;
        return av_recompute(v, v->d.a_text, (ArithOp)o, v->d.b_text);
    }
    *control = ev->x >= v->bx ? AV_B : ev->x >= v->opx ? AV_OP : AV_A;
    return EV_HANDLED | EV_REDRAW;
}

static const char *av_hint(void *self, int control)
{
    ArithView *v = self;
    if (control == AV_OP) return "operation: ←/→ choose · Tab next";
    const Entry *e = control == AV_A ? &v->a : &v->b;
    if (e->editing) return "type a number (0.1, 65504, 1e-8) · Enter sets it · Esc cancels";
    snprintf(v->hint, sizeof v->hint, "%s: Enter types · ←/→ ÷2 ×2 · Shift+←/→ ÷10 ×10",
             control == AV_A ? "a" : "b");
    return v->hint;
}

static int av_control_row(void *self, int control)
{
    (void)control;
    return ((ArithView *)self)->row;
}

const DemoViewOps dview_arith = {
    .name = "arith", .create = av_create, .destroy = av_destroy, .height = av_height,
    .draw = av_draw, .n_controls = av_n_controls, .key = av_key, .mouse = av_mouse,
    .hint = av_hint, .control_row = av_control_row,
};

/* ===========================================================================
 * sum: start + count × term, naive and Kahan */

enum { SV_COUNT, SV_TERM, SV_START, SV_N };

typedef struct SumView {
    SumDemo d;
    Slider sl[SV_N];
    SliderHit hit[SV_N];
    int rows[SV_N];
    Status st;
    char hint[128];
} SumView;

static void *sv_create(const DemoArgs *args, Status *st)
{
    SumView *v = vmem_alloc(sizeof *v);
    if (demo_impl_find("sum")->init(&v->d, args, st)) {
        free(v);
        return NULL;
    }
    slider_init_log(&v->sl[SV_COUNT], "count", 1, SUM_MAX_COUNT, v->d.count, pow(10, 0.125), pow(10, 0.5), true);
    slider_init_log(&v->sl[SV_TERM], "term", 1e-8, 1000, v->d.term, pow(10, 0.125), 10, false);
    slider_init_log(&v->sl[SV_START], "start", 1e-3, 1e6, fabs(v->d.start), 2, 10, false);
    v->sl[SV_START].zero_floor = true;
    slider_set(&v->sl[SV_START], fabs(v->d.start));
    return v;
}

static void sv_destroy(void *self)
{
    SumView *v = self;
    if (!v) return;
    sum_demo_free(&v->d);
    free(v);
}

enum { SV_PLOT_ROWS = 12 };

static bool sv_side_by_side(int width)
{
    return width >= 104;
}

static int sv_height(void *self, int width, const ViewEnv *env)
{
    (void)self, (void)env;
    int plots = sv_side_by_side(width) ? SV_PLOT_ROWS : 2 * SV_PLOT_ROWS + 1;
    return SV_N + 1 + 1 + 1 + 1 + SUM_FORMATS + SUM_FORMATS + 1 + plots;
}

static void sv_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    SumView *v = self;
    const SumDemo *d = &v->d;
    int y = r.y;
    for (int i = 0; i < SV_N; i++) {
        v->rows[i] = y;
        widget_slider(g, y++, r.x, r.w, 7, &v->sl[i], focus == i, env, &v->hit[i]);
    }
    y++;
    char t[32], s[32], e[40], c[32];
    snprintf(t, sizeof t, "%g", d->term);
    snprintf(s, sizeof s, "%g", d->start);
    precision_format_value(e, sizeof e, d->exact_final);
    fmt_count(d->count, c, (int)sizeof c);
    grid_printf(g, y++, r.x + 2, ROLE_STRONG, r.w - 2, "exactly: %s + %s × %s = %s", s, c, t, e);
    if (v->st.code) grid_put(g, y - 1, r.x + 2, v->st.msg, ROLE_ERROR, r.w - 2);
    y++;
    /* %.9g takes up to 16 columns ("-1.23456789e-05"). */
    int cx[4] = {r.x + 2, r.x + 9, r.x + 26, r.x + 43};
    const char *heads[4] = {"format", "term stored", "naive sum", "Kahan sum"};
    for (int i = 0; i < 4; i++) grid_put(g, y, cx[i], heads[i], ROLE_LABEL, i < 3 ? cx[i + 1] - cx[i] - 1 : r.x + r.w - cx[i]);
    y++;
    static const Role roles[SUM_FORMATS] = {ROLE_SERIES1, ROLE_SERIES2, ROLE_SERIES3};
    for (int k = 0; k < SUM_FORMATS; k++) {
        char ts[40], ns[40], ks[40];
        snprintf(ts, sizeof ts, "%.9g", (double)d->term_stored[k]);
        snprintf(ns, sizeof ns, "%.9g", (double)d->final_naive[k]);
        snprintf(ks, sizeof ks, "%.9g", (double)d->final_kahan[k]);
        grid_put(g, y, cx[0], numfmt_get(d->fmt_ids[k])->name, roles[k], 6);
        grid_put(g, y, cx[1], ts, ROLE_TEXT, 16);
        grid_put(g, y, cx[2], ns, ROLE_VALUE, 16);
        grid_put(g, y, cx[3], ks, ROLE_VALUE, r.x + r.w - cx[3]);
        y++;
    }
    /* Where each naive sum stopped, and why: the term is below half the
     * spacing (ulp) at the sum. */
    for (int k = 0; k < SUM_FORMATS; k++) {
        const char *nm = numfmt_get(d->fmt_ids[k])->name;
        if (d->stall[k] < 0) {
            grid_printf(g, y++, r.x + 2, ROLE_GOOD, r.w - 2, "naive %s: kept moving to the end", nm);
            continue;
        }
        char n[32], at[40];
        fmt_count(d->stall[k], n, (int)sizeof n);
        snprintf(at, sizeof at, "%.9g", (double)d->stall_sum[k]);
        if (d->stall[k] == 0)
            grid_printf(g, y++, r.x + 2, ROLE_BAD, r.w - 2, "naive %s: never moved from %s (half an ulp there: %.3g)", nm,
                        at, (double)d->stall_half_ulp[k]);
        else
            grid_printf(g, y++, r.x + 2, ROLE_BAD, r.w - 2, "naive %s: stuck at %s after %s terms (half an ulp there: %.3g)",
                        nm, at, n, (double)d->stall_half_ulp[k]);
    }
    y++;
    /* The running sums: naive and Kahan on the same axis. */
    PlotSeries naive[4], kahan[4];
    for (int k = 0; k < SUM_FORMATS; k++) {
        const char *nm = numfmt_get(d->fmt_ids[k])->name;
        naive[k] = (PlotSeries){d->naive[k], d->count, roles[k], nm};
        kahan[k] = (PlotSeries){d->kahan[k], d->count, roles[k], nm};
    }
    naive[3] = kahan[3] = (PlotSeries){d->exact, d->count, ROLE_SERIES4, "exact"};
    double lo = d->y_lo, hi = d->y_hi;
    if (hi <= lo) hi = lo + 1;
    PlotOpts po = {.title = "naive: s = round(s + term)", .y_min = lo, .y_max = hi, .hline_y = NAN,
                   .x_label = "terms added"};
    PlotOpts pk = po;
    pk.title = "Kahan: the lost part is added back";
    if (sv_side_by_side(r.w)) {
        int w = (r.w - 2) / 2;
        widget_plot(g, (Rect){y, r.x, SV_PLOT_ROWS, w}, naive, 4, &po, env);
        widget_plot(g, (Rect){y, r.x + w + 2, SV_PLOT_ROWS, w}, kahan, 4, &pk, env);
    } else {
        widget_plot(g, (Rect){y, r.x, SV_PLOT_ROWS, r.w}, naive, 4, &po, env);
        widget_plot(g, (Rect){y + SV_PLOT_ROWS + 1, r.x, SV_PLOT_ROWS, r.w}, kahan, 4, &pk, env);
    }
}

static int sv_n_controls(void *self)
{
    (void)self;
    return SV_N;
}

static int sv_apply(SumView *v)
{
    status_clear(&v->st);
    double start = v->d.start < 0 ? -v->sl[SV_START].value : v->sl[SV_START].value;
    sum_demo_set(&v->d, start, v->sl[SV_TERM].value, (int)v->sl[SV_COUNT].value, &v->st);
    return EV_REDRAW;
}

static int sv_key(void *self, int control, int key, Action act)
{
    (void)key;
    SumView *v = self;
    if (control < 0 || control >= SV_N) return 0;
    int fl = dview_slider_key(&v->sl[control], act);
    if (fl & EV_REDRAW) fl |= sv_apply(v);
    return fl;
}

static int sv_mouse(void *self, const MouseEvent *ev, int *control)
{
    SumView *v = self;
    for (int i = 0; i < SV_N; i++) {
        int fl = dview_slider_mouse(&v->sl[i], &v->hit[i], ev, ev->kind == MOUSE_DRAG && *control == i);
        if (fl) {
            *control = i;
            if (fl & EV_REDRAW) fl |= sv_apply(v);
            return fl;
        }
    }
    *control = -1;
    return 0;
}

static const char *sv_hint(void *self, int control)
{
    SumView *v = self;
    static const char *const what[SV_N] = {"how many terms", "the term added", "the starting value"};
    snprintf(v->hint, sizeof v->hint, "%s: ←/→ step, Shift+←/→ big step · Tab next",
             what[control < 0 || control >= SV_N ? 0 : control]);
    return v->hint;
}

static int sv_control_row(void *self, int control)
{
    SumView *v = self;
    return v->rows[control < 0 || control >= SV_N ? 0 : control];
}

const DemoViewOps dview_sum = {
    .name = "sum", .create = sv_create, .destroy = sv_destroy, .height = sv_height,
    .draw = sv_draw, .n_controls = sv_n_controls, .key = sv_key, .mouse = sv_mouse,
    .hint = sv_hint, .control_row = sv_control_row,
};
