/* demo_precision_image.c — lesson 3's precision slider: a custom format eXmY
 * (E exponent bits, M mantissa bits) applied to a photograph or to a matrix
 * product, and what it costs (see demo_precision.h).
 *
 * The photograph: every pixel (in [0, 1]) is rounded to eXmY. With few
 * mantissa bits neighbouring grays merge into bands; with few exponent bits
 * the dark pixels fall below the smallest normal number and are stored as
 * subnormals (evenly spaced, 2^(1 − B − M) apart, with fewer significant
 * bits), and only those below half the smallest subnormal become 0.
 *
 * The matrix product C = A·B (A, B n × n, entries N(0, 1)) is computed the
 * way a chip with eXmY arithmetic would: inputs rounded, then either every
 * product and every partial sum rounded to eXmY, or products and sums kept
 * in fp32 (what tensor cores do with fp16 and bf16 inputs). Both are
 * measured against C in double from the unrounded inputs; the gap between
 * the two is why accumulators — and master weights — stay in fp32.
 *
 * Errors against M = 0..23 (a curve for the plot) are computed once per
 * exponent width; for the image they come from the distinct pixel values
 * and their counts, so a whole curve costs a few thousand roundings. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rng.h"
#include "../core/io.h"
#include "demo_image.h"
#include "demo_precision.h"

/* ===========================================================================
 * Fast rounding */

static uint32_t f32_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static uint64_t f64_bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

void fast_round_init(FastRound *r, const NumFormat *f)
{
    NumLimits l;
    numfmt_limits(&l, f);
    r->f = *f;
    r->shift = 23 - f->man_bits;
    r->lo = f32_bits(l.min_normal);
    r->hi = f32_bits(l.max);
    r->lo_d = f64_bits((double)l.min_normal);
    r->hi_d = f64_bits((double)l.max);
}

float fast_round(const FastRound *r, float x)
{
    uint32_t u = f32_bits(x), a = u & 0x7FFFFFFFu;
    if (a < r->lo || a > r->hi) return numfmt_round(&r->f, x);
    /* Normal in the target and at most its max: round the fraction to M
     * bits, ties to even, on the float's own bits (a carry moves into the
     * exponent, which is right). Rounding cannot pass max: max is on the
     * grid and rounding is monotone. */
    if (r->shift > 0) {
        uint32_t lsb = (a >> r->shift) & 1u;
        a += ((1u << (r->shift - 1)) - 1u) + lsb;
        a &= ~((1u << r->shift) - 1u);
    }
    u = (u & 0x80000000u) | a;
    float y;
    memcpy(&y, &u, sizeof y);
    return y;
}

float fast_round_d(const FastRound *r, double x)
{
    uint64_t u = f64_bits(x), a = u & UINT64_C(0x7FFFFFFFFFFFFFFF);
    if (a < r->lo_d || a > r->hi_d) return numfmt_round_double(&r->f, x);
    int shift = r->shift + 29; /* 52 − M */
    uint64_t lsb = (a >> shift) & 1u;
    a += ((UINT64_C(1) << (shift - 1)) - 1u) + lsb;
    a &= ~((UINT64_C(1) << shift) - 1u);
    u = (u & UINT64_C(0x8000000000000000)) | a;
    double y;
    memcpy(&y, &u, sizeof y);
    return (float)y; /* exact: M <= 23 bits, within the float range */
}

void fast_round_array(const FastRound *r, float *out, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = fast_round(r, in[i]);
}

/* ===========================================================================
 * Shared */

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static void describe_format(PrecisionResult *r, const NumFormat *f)
{
    static const struct {
        int e, m;
        const char *alias;
    } known[] = {{8, 23, "fp32"}, {5, 10, "fp16"}, {8, 7, "bf16"}, {5, 2, "fp8 E5M2"}};
    r->exp_bits = f->exp_bits;
    r->man_bits = f->man_bits;
    snprintf(r->name, sizeof r->name, "%s", f->name);
    r->alias = NULL;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (known[i].e == f->exp_bits && known[i].m == f->man_bits) r->alias = known[i].alias;
    /* e4m3 as custom is IEEE-style (max 240), not OCP's E4M3 (max 448). */
    if (f->exp_bits == 4 && f->man_bits == 3) r->alias = "like fp8 E4M3, but IEEE-style";
    r->width = numfmt_width(f);
    numfmt_limits(&r->limits, f);
}

void precision_demo_free(PrecisionDemo *d)
{
    if (!d) return;
    mat_free(&d->original);
    mat_free(&d->rounded);
    mat_free(&d->error);
    free(d->uniq);
    free(d->uniq_count);
    free(d->a);
    free(d->b);
    free(d->c_ref);
    free(d->ar);
    free(d->br);
    memset(d, 0, sizeof *d);
}

/* ===========================================================================
 * Image */

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The distinct pixel values and their counts. */
static int image_uniques(PrecisionDemo *d, Status *st)
{
    const Mat *m = &d->original;
    size_t n = (size_t)m->rows * (size_t)m->cols;
    float *v = malloc(n * sizeof *v);
    d->uniq = malloc(n * sizeof *d->uniq);
    d->uniq_count = malloc(n * sizeof *d->uniq_count);
    if (!v || !d->uniq || !d->uniq_count) {
        free(v);
        return status_fail(st, LS_ERR_NOMEM, "out of memory for %zu pixels", n);
    }
    size_t k = 0;
    for (int i = 0; i < m->rows; i++)
        for (int j = 0; j < m->cols; j++) v[k++] = MAT_AT(m, i, j);
    qsort(v, n, sizeof *v, cmp_float);
    d->n_uniq = 0;
    for (size_t i = 0; i < n; i++) {
        if (d->n_uniq && d->uniq[d->n_uniq - 1] == v[i]) {
            d->uniq_count[d->n_uniq - 1]++;
        } else {
            d->uniq[d->n_uniq] = v[i];
            d->uniq_count[d->n_uniq++] = 1;
        }
    }
    free(v);
    return LS_OK;
}

/* ‖round(A) − A‖_F / ‖A‖_F from the distinct values (NaN on overflow). */
static float image_rel_error(const PrecisionDemo *d, const FastRound *fr)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < d->n_uniq; i++) {
        double v = d->uniq[i], e = (double)fast_round(fr, d->uniq[i]) - v;
        num += (double)d->uniq_count[i] * e * e;
        den += (double)d->uniq_count[i] * v * v;
    }
    if (!isfinite(num)) return NAN;
    return den > 0 ? (float)sqrt(num / den) : 0.0f;
}

static void image_update(PrecisionDemo *d)
{
    PrecisionResult *r = &d->res;
    const Mat *a = &d->original;
    double num = 0, den = 0, worst = 0;
    size_t zeroed = 0, over = 0, subnormal = 0;
    float min_normal = r->limits.min_normal;
    for (int i = 0; i < a->rows; i++)
        for (int j = 0; j < a->cols; j++) {
            float v = MAT_AT(a, i, j), q = fast_round(&d->fr, v);
            MAT_AT(&d->rounded, i, j) = q;
            double e = (double)q - v;
            MAT_AT(&d->error, i, j) = isfinite(e) ? (float)e : 0.0f;
            if (!isfinite(q)) over++;
            else if (q == 0 && v != 0) zeroed++;
            else if (q != 0 && fabsf(q) < min_normal) subnormal++;
            num += e * e;
            den += (double)v * v;
            if (fabs(e) > worst) worst = fabs(e);
        }
    size_t n = (size_t)a->rows * (size_t)a->cols;
    r->n_overflow = over;
    r->n_zeroed = zeroed;
    r->n_subnormal = subnormal;
    r->rel_error = over ? INFINITY : (den > 0 ? sqrt(num / den) : 0);
    r->rmse = over ? INFINITY : sqrt(num / (double)n);
    r->max_abs = over ? INFINITY : worst;
    r->psnr_db = r->rmse > 0 ? 20 * log10(1.0 / r->rmse) : INFINITY;
    /* Rounding is monotone, so the distinct results are counted along the
     * sorted distinct inputs. */
    int distinct = 0;
    float prev = NAN;
    for (size_t i = 0; i < d->n_uniq; i++) {
        float q = fast_round(&d->fr, d->uniq[i]);
        if (distinct == 0 || q != prev) distinct++;
        prev = q;
    }
    r->distinct = distinct;
}

/* ===========================================================================
 * Matrix product */

/* C (n, n) with every product and partial sum rounded by fr (fmt), or in
 * fp32 (f32); returns ‖C − C_ref‖_F / ‖C_ref‖_F (∞ on overflow) and counts
 * the entries that overflowed. out may be NULL. */
static double matmul_error(const PrecisionDemo *d, const FastRound *fr, const float *ar,
                           const float *br, bool f32, float *out, size_t *n_over)
{
    int n = d->n;
    double num = 0, den = 0;
    size_t over = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            float acc = 0;
            if (f32) {
                for (int k = 0; k < n; k++) acc += ar[i * n + k] * br[k * n + j];
            } else {
                for (int k = 0; k < n; k++) {
                    float p = fast_round_d(fr, (double)ar[i * n + k] * br[k * n + j]);
                    acc = fast_round_d(fr, (double)acc + p);
                }
            }
            double ref = d->c_ref[i * n + j], e = (double)acc - ref;
            if (!isfinite(acc)) over++;
            num += e * e;
            den += ref * ref;
            if (out) out[i * n + j] = acc;
        }
    if (n_over) *n_over = over;
    if (over) return INFINITY;
    return den > 0 ? sqrt(num / den) : 0;
}

static void round_inputs(const PrecisionDemo *d, const FastRound *fr, float *ar, float *br)
{
    size_t nn = (size_t)d->n * (size_t)d->n;
    fast_round_array(fr, ar, d->a, nn);
    fast_round_array(fr, br, d->b, nn);
}

static void matmul_update(PrecisionDemo *d)
{
    PrecisionResult *r = &d->res;
    int n = d->n;
    round_inputs(d, &d->fr, d->ar, d->br);
    r->rel_error_fmt = matmul_error(d, &d->fr, d->ar, d->br, false, d->rounded.data, &r->n_overflow);
    r->rel_error_f32 = matmul_error(d, &d->fr, d->ar, d->br, true, NULL, &r->n_overflow_f32);
    r->rel_error = r->rel_error_fmt;
    double worst = 0, num = 0;
    for (int i = 0; i < n * n; i++) {
        double e = (double)d->rounded.data[i] - d->c_ref[i];
        d->error.data[i] = isfinite(e) ? (float)e : 0.0f;
        if (fabs(e) > worst) worst = fabs(e);
        num += e * e;
    }
    r->max_abs = worst;
    r->rmse = sqrt(num / ((double)n * n));
    r->psnr_db = NAN;
    r->distinct = 0;
    r->n_zeroed = 0;
    r->n_subnormal = 0;
}

/* ===========================================================================
 * Curves and the slider call */

static void compute_curves(PrecisionDemo *d, int exp_bits)
{
    PrecisionResult *r = &d->res;
    float *ar = NULL, *br = NULL;
    if (d->target == PREC_MATMUL) {
        size_t nn = (size_t)d->n * (size_t)d->n;
        ar = malloc(nn * sizeof *ar);
        br = malloc(nn * sizeof *br);
    }
    for (int m = 0; m < PREC_CURVE; m++) {
        NumFormat f;
        r->curve[m] = r->curve_f32[m] = NAN;
        if (numfmt_custom(&f, exp_bits, m, NULL) != LS_OK) continue;
        FastRound fr;
        fast_round_init(&fr, &f);
        if (d->target == PREC_IMAGE) {
            r->curve[m] = image_rel_error(d, &fr);
        } else if (ar && br) {
            round_inputs(d, &fr, ar, br);
            double e = matmul_error(d, &fr, ar, br, false, NULL, NULL);
            double e32 = matmul_error(d, &fr, ar, br, true, NULL, NULL);
            r->curve[m] = isfinite(e) ? (float)e : NAN;
            r->curve_f32[m] = isfinite(e32) ? (float)e32 : NAN;
        }
    }
    free(ar);
    free(br);
    d->curve_exp = exp_bits;
}

int precision_demo_set(PrecisionDemo *d, int exp_bits, int man_bits, Status *st)
{
    NumFormat f;
    exp_bits = clampi(exp_bits, 2, 8);
    man_bits = clampi(man_bits, 0, PREC_MAN_MAX);
    int rc = numfmt_custom(&f, exp_bits, man_bits, st);
    if (rc) return rc;
    fast_round_init(&d->fr, &f);
    describe_format(&d->res, &f);
    if (d->target == PREC_IMAGE) image_update(d);
    else matmul_update(d);
    if (d->curve_exp != exp_bits) compute_curves(d, exp_bits);
    return LS_OK;
}

static int alloc_like(PrecisionDemo *d, int rows, int cols, Status *st)
{
    int rc;
    if ((rc = mat_init(&d->rounded, rows, cols, st))) return rc;
    return mat_init(&d->error, rows, cols, st);
}

int precision_demo_init_mat(PrecisionDemo *d, const Mat *img, int exp_bits, int man_bits,
                            Status *st)
{
    memset(d, 0, sizeof *d);
    d->target = PREC_IMAGE;
    d->curve_exp = -1;
    int rc;
    if (img->rows < 1 || img->cols < 1) return status_fail(st, LS_ERR_ARG, "the image is empty");
    if ((rc = mat_clone(&d->original, img, st))) goto fail;
    if ((rc = alloc_like(d, img->rows, img->cols, st))) goto fail;
    if ((rc = image_uniques(d, st))) goto fail;
    if ((rc = precision_demo_set(d, exp_bits, man_bits, st))) goto fail;
    return LS_OK;
fail:
    precision_demo_free(d);
    return rc;
}

int precision_demo_init_image(PrecisionDemo *d, const char *path, int exp_bits, int man_bits,
                              Status *st)
{
    Mat img = {0};
    char note[sizeof d->note];
    memset(d, 0, sizeof *d);
    int rc = demo_read_image(&img, path, note, sizeof note, st);
    if (rc) return rc;
    rc = precision_demo_init_mat(d, &img, exp_bits, man_bits, st);
    mat_free(&img);
    if (!rc) memcpy(d->note, note, sizeof note);
    return rc;
}

int precision_demo_init_matmul(PrecisionDemo *d, int n, uint64_t seed, int exp_bits, int man_bits,
                               Status *st)
{
    memset(d, 0, sizeof *d);
    d->target = PREC_MATMUL;
    d->curve_exp = -1;
    n = clampi(n, 2, PREC_MATMUL_MAX);
    d->n = n;
    size_t nn = (size_t)n * (size_t)n;
    int rc;
    d->a = malloc(nn * sizeof *d->a);
    d->b = malloc(nn * sizeof *d->b);
    d->ar = malloc(nn * sizeof *d->ar);
    d->br = malloc(nn * sizeof *d->br);
    d->c_ref = malloc(nn * sizeof *d->c_ref);
    if (!d->a || !d->b || !d->ar || !d->br || !d->c_ref) {
        rc = status_fail(st, LS_ERR_NOMEM, "out of memory for %d x %d matrices", n, n);
        goto fail;
    }
    if ((rc = mat_init(&d->original, n, n, st))) goto fail;
    if ((rc = alloc_like(d, n, n, st))) goto fail;
    Rng rng;
    rng_seed(&rng, seed);
    for (size_t i = 0; i < nn; i++) d->a[i] = rng_normal(&rng);
    for (size_t i = 0; i < nn; i++) d->b[i] = rng_normal(&rng);
    /* The reference: exact inputs, double arithmetic (plain loops: this is
     * the slow, obviously right version the rounded ones are measured by). */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < n; k++) s += (double)d->a[i * n + k] * d->b[k * n + j];
            d->c_ref[i * n + j] = s;
            d->original.data[i * n + j] = (float)s;
        }
    if ((rc = precision_demo_set(d, exp_bits, man_bits, st))) goto fail;
    return LS_OK;
fail:
    precision_demo_free(d);
    return rc;
}
