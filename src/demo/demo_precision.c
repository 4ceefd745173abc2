/* demo_precision.c — lesson 3's bit explorer, number line, arithmetic and
 * summation demos (see demo_precision.h). */
#include "demo_precision.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ===========================================================================
 * Printing values */

void precision_format_value(char *buf, size_t size, double v)
{
    if (isnan(v)) {
        snprintf(buf, size, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, size, v > 0 ? "inf" : "-inf");
        return;
    }
    /* %.17g shows a double exactly enough to read it back, and so every
     * float exactly enough to see how far it is from what was typed. */
    snprintf(buf, size, "%.17g", v);
}

/* ===========================================================================
 * bits */

static int clamp_int(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void bits_demo_set_value(BitsDemo *d, double x, const char *origin)
{
    d->x = x;
    snprintf(d->origin, sizeof d->origin, "%s", origin ? origin : "");
    for (int i = 0; i < NUMFMT_COUNT; i++) numfmt_info(&d->info[i], numfmt_get(i), x);
}

void bits_demo_init(BitsDemo *d, double x, int row)
{
    memset(d, 0, sizeof *d);
    d->row = clamp_int(row, 0, NUMFMT_COUNT - 1);
    d->bit = 0;
    bits_demo_set_value(d, x, "typed");
}

BitField bits_field(const NumFormat *f, int bit)
{
    if (bit <= 0) return BITS_SIGN;
    if (bit <= f->exp_bits) return BITS_EXPONENT;
    return BITS_MANTISSA;
}

/* Bit `bit` counted from the left is bit (width − 1 − bit) of the pattern. */
static uint32_t bit_mask(const NumFormat *f, int bit)
{
    return 1u << (numfmt_width(f) - 1 - bit);
}

void bits_demo_flip(BitsDemo *d, int row, int bit)
{
    row = clamp_int(row, 0, NUMFMT_COUNT - 1);
    const NumFormat *f = numfmt_get(row);
    bit = clamp_int(bit, 0, numfmt_width(f) - 1);
    uint32_t p = d->info[row].bits ^ bit_mask(f, bit);
    char origin[48];
    snprintf(origin, sizeof origin, "%s bits", f->name);
    bits_demo_set_value(d, (double)numfmt_decode(f, p), origin);
    /* The edited row must show exactly the pattern the student made, even
     * for a NaN payload that rounding would not reproduce. */
    numfmt_info(&d->info[row], f, (double)numfmt_decode(f, p));
    if (isnan(numfmt_decode(f, p))) {
        d->info[row].bits = p;
        d->info[row].sign = (int)((p >> (numfmt_width(f) - 1)) & 1);
        d->info[row].exponent = (p >> f->man_bits) & ((1u << f->exp_bits) - 1);
        d->info[row].mantissa = p & ((1u << f->man_bits) - 1);
    }
}

bool bits_demo_set_bit(BitsDemo *d, int row, int bit, int v)
{
    row = clamp_int(row, 0, NUMFMT_COUNT - 1);
    const NumFormat *f = numfmt_get(row);
    bit = clamp_int(bit, 0, numfmt_width(f) - 1);
    bool on = (d->info[row].bits & bit_mask(f, bit)) != 0;
    if (on == (v != 0)) return false;
    bits_demo_flip(d, row, bit);
    return true;
}

void bits_demo_step(BitsDemo *d, int dir)
{
    const NumFormat *f = numfmt_get(d->row);
    uint32_t p = d->info[d->row].bits;
    uint32_t q = dir > 0 ? numfmt_next_up(f, p) : numfmt_next_down(f, p);
    char origin[48];
    snprintf(origin, sizeof origin, "next %s in %s", dir > 0 ? "up" : "down", f->name);
    bits_demo_set_value(d, (double)numfmt_decode(f, q), origin);
}

/* The mantissa field as "1.1001100110" (hidden bit first) in base 2. */
static void mantissa_binary(char *buf, size_t size, const NumFormat *f, uint32_t m, bool hidden)
{
    size_t n = 0;
    if (size < 4) return;
    buf[n++] = hidden ? '1' : '0';
    if (f->man_bits > 0) buf[n++] = '.';
    for (int i = f->man_bits - 1; i >= 0 && n + 2 < size; i--) buf[n++] = (m >> i) & 1 ? '1' : '0';
    buf[n] = '\0';
}

void bits_demo_explain(const BitsDemo *d, int row, char *buf, size_t size)
{
    row = clamp_int(row, 0, NUMFMT_COUNT - 1);
    const NumFormat *f = numfmt_get(row);
    const NumInfo *in = &d->info[row];
    char val[40], mb[40];
    precision_format_value(val, sizeof val, in->value);
    const char *sign = in->sign ? "(−1)" : "(+1)";
    switch (in->cls) {
    case NUMFMT_NAN:
        snprintf(buf, size, "%s: not a number (%s)", f->name,
                 f->specials == NUMFMT_FN ? "the one all-ones pattern"
                                          : "exponent all ones, mantissa not 0");
        break;
    case NUMFMT_INF:
        snprintf(buf, size, "%s: exponent all ones, mantissa 0: %s", f->name,
                 in->sign ? "−∞" : "+∞");
        break;
    case NUMFMT_ZERO:
        snprintf(buf, size, "%s: exponent 0 and mantissa 0: %szero", f->name,
                 in->sign ? "negative " : "");
        break;
    case NUMFMT_SUBNORMAL: {
        mantissa_binary(mb, sizeof mb, f, in->mantissa, false);
        double frac = (double)in->mantissa / (double)(1u << f->man_bits);
        snprintf(buf, size, "%s × 2^(1 − %d) × %s₂ (subnormal: no hidden 1) = %s × %.10g × %.10g = %s",
                 sign, f->bias, mb, in->sign ? "−1" : "1", ldexp(1.0, 1 - f->bias), frac, val);
        break;
    }
    default: {
        mantissa_binary(mb, sizeof mb, f, in->mantissa, true);
        double frac = 1.0 + (double)in->mantissa / (double)(1u << f->man_bits);
        snprintf(buf, size, "%s × 2^(%u − %d) × %s₂ = %s × %.10g × %.12g = %s", sign, in->exponent,
                 f->bias, mb, in->sign ? "−1" : "1", ldexp(1.0, in->exp_unbiased), frac, val);
        break;
    }
    }
}

/* ===========================================================================
 * number-line */

/* Patterns of finite values, ordered like the values: +mag for positive,
 * −mag for negative (so +0 and −0 are both 0). */
static long long ord_of(const NumFormat *f, uint32_t bits)
{
    uint32_t sign = 1u << (f->exp_bits + f->man_bits);
    long long mag = (long long)(bits & (sign - 1));
    return (bits & sign) ? -mag : mag;
}

static float value_of_ord(const NumFormat *f, long long o)
{
    uint32_t sign = 1u << (f->exp_bits + f->man_bits);
    return numfmt_decode(f, o < 0 ? sign | (uint32_t)(-o) : (uint32_t)o);
}

/* The ordinal of the largest finite value. */
static long long ord_max(const NumFormat *f)
{
    NumLimits l;
    numfmt_limits(&l, f);
    return ord_of(f, numfmt_encode(f, l.max));
}

/* Smallest ordinal whose value is >= a (ord_max + 1 when none). */
static long long ord_ceil(const NumFormat *f, double a, long long omax, float max)
{
    if (a > (double)max) return omax + 1;
    if (a <= -(double)max) return -omax;
    uint32_t p = numfmt_encode_double(f, a);
    long long o = ord_of(f, p);
    if ((double)numfmt_decode(f, p) < a) o++;
    return o;
}

/* Largest ordinal whose value is <= b (−ord_max − 1 when none). */
static long long ord_floor(const NumFormat *f, double b, long long omax, float max)
{
    if (b >= (double)max) return omax;
    if (b < -(double)max) return -omax - 1;
    uint32_t p = numfmt_encode_double(f, b);
    long long o = ord_of(f, p);
    if ((double)numfmt_decode(f, p) > b) o--;
    return o;
}

long long numfmt_count_between(const NumFormat *f, double a, double b)
{
    if (!(a <= b)) return 0;
    NumLimits l;
    numfmt_limits(&l, f);
    long long omax = ord_max(f);
    long long n = ord_floor(f, b, omax, l.max) - ord_ceil(f, a, omax, l.max) + 1;
    return n > 0 ? n : 0;
}

void number_line_demo_set(NumberLineDemo *d, int fmt_id, double x, long zoom, int cols)
{
    d->fmt_id = clamp_int(fmt_id, 0, NUMFMT_COUNT - 1);
    d->fmt = *numfmt_get(d->fmt_id);
    const NumFormat *f = &d->fmt;
    NumLimits l;
    numfmt_limits(&l, f);
    if (!(x >= 0)) x = 0;
    if (x > l.max) x = l.max;
    if (zoom < 1) zoom = 1;
    if (zoom > (1L << 30)) zoom = 1L << 30;
    cols = clamp_int(cols, 1, NUMLINE_MAX_COLS);
    d->x = x;
    d->zoom = zoom;

    NumberLineResult *r = &d->res;
    memset(r, 0, sizeof *r);
    r->x = x;
    r->max = l.max;
    uint32_t p = numfmt_encode_double(f, x);
    r->stored = numfmt_decode(f, p);
    r->gap_above = numfmt_ulp(f, p);
    if (!isfinite(r->gap_above)) r->gap_above = r->stored - numfmt_decode(f, numfmt_next_down(f, p));
    uint32_t down = numfmt_next_down(f, p);
    r->gap_below = r->stored - numfmt_decode(f, down);
    r->half = (double)zoom * (double)r->gap_above;
    r->lo = x - r->half;
    r->hi = x + r->half;
    r->cols = cols;
    r->beyond_max = r->hi > l.max;

    /* The window is [lo, hi): half-open, so that equal columns tile it. */
    long long omax = ord_max(f);
    long long first = ord_ceil(f, r->lo, omax, l.max), last = ord_ceil(f, r->hi, omax, l.max) - 1;
    r->count = last >= first ? last - first + 1 : 0;
    /* Spacing is smallest next to zero: at the window's value nearest it. */
    r->finest = r->lo <= 0 ? numfmt_ulp(f, 0) : numfmt_ulp(f, numfmt_encode(f, value_of_ord(f, first)));
    /* Per column: [edge_c, edge_c+1). */
    double w = (r->hi - r->lo) / cols;
    long long prev = first;
    for (int c = 0; c < cols; c++) {
        long long next = c + 1 < cols ? ord_ceil(f, r->lo + (c + 1) * w, omax, l.max) : last + 1;
        r->col_count[c] = next > prev ? next - prev : 0;
        prev = next > prev ? next : prev;
    }
    if (r->count <= NUMLINE_MAX_TICKS)
        for (long long o = first; o <= last; o++) r->ticks[r->n_ticks++] = value_of_ord(f, o);

    /* Where the spacing changes: powers of two between min normal and max
     * (the spacing doubles there), and min normal itself (below it the
     * subnormals keep the spacing of the lowest binade). */
    if (r->hi > 0) {
        double p2 = ldexp(1.0, l.emin);
        while (p2 <= r->lo && p2 <= l.max) p2 *= 2;
        for (; p2 < r->hi && p2 <= l.max && r->n_edges < NUMLINE_MAX_EDGES; p2 *= 2) {
            uint32_t pb = numfmt_encode_double(f, p2);
            NumLineEdge *e = &r->edges[r->n_edges++];
            e->at = p2;
            e->gap_above = numfmt_ulp(f, pb);
            e->gap_below = (float)(p2 - numfmt_decode(f, numfmt_next_down(f, pb)));
        }
    }
}

/* ===========================================================================
 * arith */

const char *arith_op_symbol(ArithOp op)
{
    static const char *const s[ARITH_OP_COUNT] = {"+", "−", "×", "÷"};
    return (unsigned)op < ARITH_OP_COUNT ? s[op] : "?";
}

const char *arith_op_name(ArithOp op)
{
    static const char *const s[ARITH_OP_COUNT] = {"add", "sub", "mul", "div"};
    return (unsigned)op < ARITH_OP_COUNT ? s[op] : "?";
}

static bool parse_ld(const char *s, long double *out)
{
    while (*s == ' ') s++;
    if (!*s) return false;
    char *end;
    errno = 0;
    long double v = strtold(s, &end);
    while (*end == ' ') end++;
    if (end == s || *end) return false;
    *out = v;
    return true;
}

static long double apply_ld(ArithOp op, long double a, long double b)
{
    switch (op) {
    case ARITH_SUB: return a - b;
    case ARITH_MUL: return a * b;
    case ARITH_DIV: return a / b;
    default: return a + b;
    }
}

static double apply_d(ArithOp op, double a, double b)
{
    switch (op) {
    case ARITH_SUB: return a - b;
    case ARITH_MUL: return a * b;
    case ARITH_DIV: return a / b;
    default: return a + b;
    }
}

/* Why a row's result is special, if it is (va, vb: the operands as typed). */
static const char *arith_note(double a, double b, long double va, long double vb, double result,
                              long double exact)
{
    if ((!isfinite(a) && isfinite((double)va)) || (!isfinite(b) && isfinite((double)vb)))
        return "input overflow";
    if (!isfinite(result) && isfinite((double)exact) && isfinite(a) && isfinite(b))
        return isnan(result) ? "overflow: NaN" : "overflow: inf";
    if ((a == 0 && va != 0) || (b == 0 && vb != 0)) return "input underflow";
    if (result == 0 && exact != 0 && isfinite((double)exact)) return "underflow: 0";
    return "";
}

static double rel_err(double result, long double exact)
{
    if (isnan(result) || isnan((double)exact)) return NAN;
    if (isinf(result) || isinf((double)exact)) return result == (double)exact ? 0 : INFINITY;
    long double e = fabsl((long double)result - exact);
    if (exact == 0) return e == 0 ? 0 : INFINITY;
    return (double)(e / fabsl(exact));
}

int arith_demo_set(ArithDemo *d, const char *a, ArithOp op, const char *b, Status *st)
{
    long double va, vb;
    if (!parse_ld(a, &va)) return status_fail(st, LS_ERR_PARSE, "'%s' is not a number", a);
    if (!parse_ld(b, &vb)) return status_fail(st, LS_ERR_PARSE, "'%s' is not a number", b);
    if ((unsigned)op >= ARITH_OP_COUNT) op = ARITH_ADD;
    /* a or b may be d->a_text or d->b_text themselves (a view passes the
     * kept text back when only the operation changes): copy before writing. */
    char ta[ARITH_TEXT_MAX], tb[ARITH_TEXT_MAX];
    snprintf(ta, sizeof ta, "%s", a);
    snprintf(tb, sizeof tb, "%s", b);
    memcpy(d->a_text, ta, sizeof ta);
    memcpy(d->b_text, tb, sizeof tb);
    d->op = op;
    d->a = va;
    d->b = vb;
    d->exact = apply_ld(op, va, vb);
    /* fp64: C's double, rounded by the hardware. */
    ArithRow *r = &d->rows[0];
    snprintf(r->name, sizeof r->name, "fp64");
    r->a = (double)va;
    r->b = (double)vb;
    r->result = apply_d(op, r->a, r->b);
    r->nearest = (double)d->exact;
    r->rel_error = rel_err(r->result, d->exact);
    r->same = r->result == r->nearest;
    r->note = arith_note(r->a, r->b, va, vb, r->result, d->exact);
    for (int i = 0; i < NUMFMT_COUNT; i++) {
        const NumFormat *f = numfmt_get(i);
        r = &d->rows[1 + i];
        snprintf(r->name, sizeof r->name, "%s", f->name);
        r->a = numfmt_round_double(f, (double)va);
        r->b = numfmt_round_double(f, (double)vb);
        r->result = numfmt_round_double(f, apply_d(op, r->a, r->b));
        r->nearest = numfmt_round_double(f, (double)d->exact);
        r->rel_error = rel_err(r->result, d->exact);
        r->same = r->result == r->nearest;
        r->note = arith_note(r->a, r->b, va, vb, r->result, d->exact);
    }
    return LS_OK;
}

/* ===========================================================================
 * sum */

void sum_demo_free(SumDemo *d)
{
    if (!d) return;
    for (int i = 0; i < SUM_FORMATS; i++) {
        free(d->naive[i]);
        free(d->kahan[i]);
    }
    free(d->exact);
    free(d->x);
    memset(d, 0, sizeof *d);
}

static int sum_reserve(SumDemo *d, int count, Status *st)
{
    if (count <= d->cap) return LS_OK;
    int cap = SUM_MAX_COUNT;
    float **bufs[2 * SUM_FORMATS + 2];
    int n = 0;
    for (int i = 0; i < SUM_FORMATS; i++) bufs[n++] = &d->naive[i], bufs[n++] = &d->kahan[i];
    bufs[n++] = &d->exact;
    bufs[n++] = &d->x;
    for (int i = 0; i < n; i++) {
        /* x holds the start value too. */
        float *p = realloc(*bufs[i], (size_t)(cap + 1) * sizeof(float));
        if (!p) return status_fail(st, LS_ERR_NOMEM, "out of memory for %d partial sums", cap);
        *bufs[i] = p;
    }
    d->cap = cap;
    return LS_OK;
}

int sum_demo_set(SumDemo *d, double start, double term, int count, Status *st)
{
    count = clamp_int(count, 1, SUM_MAX_COUNT);
    int rc = sum_reserve(d, count, st);
    if (rc) return rc;
    d->start = start;
    d->term = term;
    d->count = count;
    d->fmt_ids[0] = NUMFMT_FP32;
    d->fmt_ids[1] = NUMFMT_FP16;
    d->fmt_ids[2] = NUMFMT_BF16;
    d->x[0] = (float)start;
    for (int i = 1; i <= count; i++) d->x[i] = (float)term;
    /* The exact running sum, in double (start + i·term, no accumulation). */
    for (int i = 0; i < count; i++) d->exact[i] = (float)(start + (double)(i + 1) * term);
    d->exact_final = start + (double)count * term;
    /* numfmt sums the whole array [start, term, …]; the first partial sum is
     * the start itself, the ones after it are what we plot. A scratch slot
     * in front keeps the plotted arrays aligned at 0. */
    float *tmp = malloc((size_t)(count + 1) * sizeof(float));
    if (!tmp) return status_fail(st, LS_ERR_NOMEM, "out of memory for %d partial sums", count);
    for (int k = 0; k < SUM_FORMATS; k++) {
        const NumFormat *f = numfmt_get(d->fmt_ids[k]);
        d->term_stored[k] = numfmt_round_double(f, term);
        d->final_naive[k] = numfmt_sum_naive(f, d->x, (size_t)count + 1, tmp);
        memcpy(d->naive[k], tmp + 1, (size_t)count * sizeof(float));
        d->final_kahan[k] = numfmt_sum_kahan(f, d->x, (size_t)count + 1, tmp);
        memcpy(d->kahan[k], tmp + 1, (size_t)count * sizeof(float));
        /* The stall: the last term that changed the sum, when that was
         * before the end (0: not even the first one did). */
        float last = d->naive[k][count - 1];
        int j = count - 1;
        while (j > 0 && d->naive[k][j - 1] == last) j--;
        int stall = (j == 0 && numfmt_round_double(f, start) == last) ? 0 : j + 1;
        d->stall[k] = (stall < count && term != 0) ? stall : -1;
        d->stall_sum[k] = last;
        d->stall_half_ulp[k] = 0.5f * numfmt_ulp(f, numfmt_encode(f, last));
    }
    free(tmp);
    float lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < count; i++) {
        float v[2 * SUM_FORMATS + 1];
        int n = 0;
        for (int k = 0; k < SUM_FORMATS; k++) v[n++] = d->naive[k][i], v[n++] = d->kahan[k][i];
        v[n++] = d->exact[i];
        for (int j = 0; j < n; j++)
            if (isfinite(v[j])) lo = fminf(lo, v[j]), hi = fmaxf(hi, v[j]);
    }
    d->y_lo = isfinite(lo) ? lo : 0;
    d->y_hi = isfinite(hi) ? hi : 1;
    return LS_OK;
}

int sum_demo_init(SumDemo *d, double start, double term, int count, Status *st)
{
    memset(d, 0, sizeof *d);
    int rc = sum_demo_set(d, start, term, count, st);
    if (rc) sum_demo_free(d);
    return rc;
}
