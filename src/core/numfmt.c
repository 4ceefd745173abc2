/* numfmt.c — floating-point formats: exact rounding, decoding, neighbours,
 * limits, fast fp16/bf16 arrays and summation in a format (see numfmt.h).
 *
 * The general encoder works on the 64 bits of a double: a finite double is
 * sig · 2^(e − 52) with a 53-bit integer sig, so rounding to M fraction bits
 * is one integer division by a power of two, rounded to nearest even. Doing
 * it on the exponent and fraction fields together makes the carry of a
 * round-up flow into the exponent by itself (1.111…1 → 10.000…0), and the
 * largest pattern plus one is exactly where overflow begins. */
#include "numfmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * The named formats (a traits table: every format is just these numbers) */

static const NumFormat formats[NUMFMT_COUNT] = {
    [NUMFMT_FP32] = {"fp32", 8, 23, 127, NUMFMT_IEEE, false},
    [NUMFMT_FP16] = {"fp16", 5, 10, 15, NUMFMT_IEEE, false},
    [NUMFMT_BF16] = {"bf16", 8, 7, 127, NUMFMT_IEEE, false},
    [NUMFMT_E4M3] = {"e4m3", 4, 3, 7, NUMFMT_FN, false},
    [NUMFMT_E5M2] = {"e5m2", 5, 2, 15, NUMFMT_IEEE, false},
};

const NumFormat *numfmt_get(int id)
{
    return id >= 0 && id < NUMFMT_COUNT ? &formats[id] : NULL;
}

int numfmt_custom(NumFormat *out, int exp_bits, int man_bits, Status *st)
{
    if (exp_bits < 2 || exp_bits > 8 || man_bits < 0 || man_bits > 23)
        return status_fail(st, LS_ERR_RANGE,
                           "format e%dm%d: needs 2..8 exponent bits and 0..23 mantissa bits",
                           exp_bits, man_bits);
    *out = (NumFormat){0};
    snprintf(out->name, sizeof out->name, "e%dm%d", exp_bits, man_bits);
    out->exp_bits = exp_bits;
    out->man_bits = man_bits;
    out->bias = (1 << (exp_bits - 1)) - 1;
    out->specials = man_bits == 0 ? NUMFMT_FN : NUMFMT_IEEE;
    return LS_OK;
}

int numfmt_parse(NumFormat *out, const char *name, Status *st)
{
    for (int i = 0; i < NUMFMT_COUNT; i++)
        if (strcmp(name, formats[i].name) == 0) {
            *out = formats[i];
            return LS_OK;
        }
    int e, m, used = 0;
    if (sscanf(name, "e%dm%d%n", &e, &m, &used) == 2 && name[used] == '\0' &&
        (name[1] >= '0' && name[1] <= '9'))
        return numfmt_custom(out, e, m, st);
    return status_fail(st, LS_ERR_ARG,
                       "unknown number format '%s' (fp32, fp16, bf16, e4m3, e5m2 or eXmY)", name);
}

int numfmt_width(const NumFormat *f)
{
    return 1 + f->exp_bits + f->man_bits;
}

/* ---------------------------------------------------------------------------
 * Patterns that every format derives from E, M and its specials */

static uint32_t top_exp(const NumFormat *f)
{
    return (1u << f->exp_bits) - 1;
}
static uint32_t mag_mask(const NumFormat *f)
{
    return (1u << (f->exp_bits + f->man_bits)) - 1;
}
static uint32_t sign_bit(const NumFormat *f)
{
    return 1u << (f->exp_bits + f->man_bits);
}
static uint32_t inf_bits(const NumFormat *f)
{
    return top_exp(f) << f->man_bits;
}

static uint32_t nan_bits(const NumFormat *f)
{
    /* IEEE: the quiet NaN (top fraction bit set); FN: the one NaN pattern. */
    return f->specials == NUMFMT_IEEE ? inf_bits(f) | (1u << (f->man_bits - 1)) : mag_mask(f);
}

static uint32_t max_bits(const NumFormat *f)
{
    return f->specials == NUMFMT_IEEE ? inf_bits(f) - 1 : mag_mask(f) - 1;
}

static uint32_t overflow_bits(const NumFormat *f)
{
    if (f->saturate) return max_bits(f);
    return f->specials == NUMFMT_IEEE ? inf_bits(f) : nan_bits(f);
}

/* v / 2^s rounded to nearest, ties to even (0 <= s). */
static uint64_t shift_rne(uint64_t v, int s)
{
    if (s == 0) return v;
    if (s >= 64) return 0; /* v < 2^63, so v / 2^64 < 1/2 */
    uint64_t q = v >> s, rem = v & ((UINT64_C(1) << s) - 1), half = UINT64_C(1) << (s - 1);
    return q + (rem > half || (rem == half && (q & 1)));
}

/* ---------------------------------------------------------------------------
 * Conversion */

uint32_t numfmt_encode_double(const NumFormat *f, double x)
{
    uint64_t w;
    memcpy(&w, &x, sizeof w);
    uint32_t sign = (w >> 63) ? sign_bit(f) : 0;
    uint64_t a = w & ~(UINT64_C(1) << 63);
    const uint64_t dbl_inf = UINT64_C(0x7FF0000000000000);
    if (a > dbl_inf) return sign | nan_bits(f);
    if (a == dbl_inf) return sign | overflow_bits(f);

    int M = f->man_bits, emin = 1 - f->bias;
    int raw = (int)(a >> 52);
    uint64_t frac = a & ((UINT64_C(1) << 52) - 1);
    uint64_t enc;
    if (raw != 0 && raw - 1023 >= emin) {
        /* Normal in the target: keep the exponent field next to the fraction
         * so a rounding carry bumps the exponent. (e + B) < 2^11 always. */
        uint64_t fields = ((uint64_t)(raw - 1023 + f->bias) << 52) | frac;
        enc = shift_rne(fields, 52 - M);
    } else {
        /* Subnormal (or zero) in the target: count units of the smallest
         * subnormal 2^(emin − M). A round-up to 2^M lands on the smallest
         * normal pattern, which is the right answer. */
        uint64_t sig = raw ? frac | (UINT64_C(1) << 52) : frac;
        int e = raw ? raw - 1023 : -1022;
        enc = shift_rne(sig, 52 - M + (emin - e));
    }
    if (enc > max_bits(f)) return sign | overflow_bits(f);
    return sign | (uint32_t)enc;
}

uint32_t numfmt_encode(const NumFormat *f, float x)
{
    return numfmt_encode_double(f, (double)x); /* float → double is exact */
}

NumClass numfmt_classify(const NumFormat *f, uint32_t bits)
{
    uint32_t mag = bits & mag_mask(f);
    uint32_t e = mag >> f->man_bits, m = mag & ((1u << f->man_bits) - 1);
    if (f->specials == NUMFMT_FN) {
        if (mag == mag_mask(f)) return NUMFMT_NAN;
    } else if (e == top_exp(f)) {
        return m ? NUMFMT_NAN : NUMFMT_INF;
    }
    if (e == 0) return m ? NUMFMT_SUBNORMAL : NUMFMT_ZERO;
    return NUMFMT_NORMAL;
}

const char *numfmt_class_name(NumClass c)
{
    static const char *const names[] = {[NUMFMT_ZERO] = "zero",
                                        [NUMFMT_SUBNORMAL] = "subnormal",
                                        [NUMFMT_NORMAL] = "normal",
                                        [NUMFMT_INF] = "infinity",
                                        [NUMFMT_NAN] = "NaN"};
    return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "?";
}

float numfmt_decode(const NumFormat *f, uint32_t bits)
{
    int M = f->man_bits;
    uint32_t e = (bits >> M) & top_exp(f), m = bits & ((1u << M) - 1);
    float v;
    switch (numfmt_classify(f, bits)) {
    case NUMFMT_NAN: v = NAN; break;
    case NUMFMT_INF: v = INFINITY; break;
    case NUMFMT_ZERO:
    case NUMFMT_SUBNORMAL: v = ldexpf((float)m, 1 - f->bias - M); break;
    default: v = ldexpf((float)(m | (1u << M)), (int)e - f->bias - M); break;
    }
    return (bits & sign_bit(f)) ? -v : v;
}

float numfmt_round(const NumFormat *f, float x)
{
    return numfmt_decode(f, numfmt_encode(f, x));
}

float numfmt_round_double(const NumFormat *f, double x)
{
    return numfmt_decode(f, numfmt_encode_double(f, x));
}

void numfmt_round_array(float *out, const NumFormat *f, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = numfmt_round(f, in[i]);
}

/* ---------------------------------------------------------------------------
 * Neighbours, ulp, limits */

uint32_t numfmt_next_up(const NumFormat *f, uint32_t bits)
{
    NumClass c = numfmt_classify(f, bits);
    if (c == NUMFMT_NAN) return nan_bits(f);
    uint32_t mag = bits & mag_mask(f);
    if (!(bits & sign_bit(f))) {
        if (c == NUMFMT_INF) return mag;
        if (mag == max_bits(f)) return f->specials == NUMFMT_IEEE ? inf_bits(f) : nan_bits(f);
        return mag + 1;
    }
    if (mag == 0) return 1;         /* −0 → +min_subnormal */
    return sign_bit(f) | (mag - 1); /* towards zero; −∞ − 1 pattern is −max */
}

uint32_t numfmt_next_down(const NumFormat *f, uint32_t bits)
{
    /* nextDown(x) = −nextUp(−x): negating is flipping the sign bit. */
    if (numfmt_classify(f, bits) == NUMFMT_NAN) return nan_bits(f);
    uint32_t up = numfmt_next_up(f, bits ^ sign_bit(f));
    return numfmt_classify(f, up) == NUMFMT_NAN ? up : up ^ sign_bit(f);
}

float numfmt_ulp(const NumFormat *f, uint32_t bits)
{
    NumClass c = numfmt_classify(f, bits);
    if (c == NUMFMT_NAN || c == NUMFMT_INF) return NAN;
    int e = (int)((bits >> f->man_bits) & top_exp(f));
    if (e == 0) e = 1; /* subnormals share the smallest normal binade's spacing */
    return ldexpf(1.0f, e - f->bias - f->man_bits);
}

void numfmt_limits(NumLimits *out, const NumFormat *f)
{
    out->width = numfmt_width(f);
    out->emin = 1 - f->bias;
    out->emax = (int)(max_bits(f) >> f->man_bits) - f->bias;
    out->max = numfmt_decode(f, max_bits(f));
    out->min_normal = ldexpf(1.0f, out->emin);
    out->min_subnormal = ldexpf(1.0f, out->emin - f->man_bits);
    out->epsilon = ldexpf(1.0f, -f->man_bits);
}

void numfmt_info(NumInfo *out, const NumFormat *f, double x)
{
    NumInfo r = {.input = x};
    r.bits = numfmt_encode_double(f, x);
    r.sign = (r.bits & sign_bit(f)) != 0;
    r.exponent = (r.bits >> f->man_bits) & top_exp(f);
    r.mantissa = r.bits & ((1u << f->man_bits) - 1);
    r.cls = numfmt_classify(f, r.bits);
    if (r.cls == NUMFMT_NORMAL)
        r.exp_unbiased = (int)r.exponent - f->bias;
    else if (r.cls == NUMFMT_SUBNORMAL || r.cls == NUMFMT_ZERO)
        r.exp_unbiased = 1 - f->bias;
    r.value = numfmt_decode(f, r.bits);
    double v = (double)r.value;
    if (isnan(x) || isnan(v))
        r.abs_error = NAN;
    else if (v == x)
        r.abs_error = 0.0; /* also covers ∞ == ∞ */
    else
        r.abs_error = fabs(v - x);
    if (isnan(r.abs_error))
        r.rel_error = NAN;
    else if (r.abs_error == 0.0)
        r.rel_error = 0.0;
    else
        r.rel_error = r.abs_error / fabs(x); /* x = 0 gives ∞ */
    r.ulp = numfmt_ulp(f, r.bits);
    r.next_up = numfmt_decode(f, numfmt_next_up(f, r.bits));
    r.next_down = numfmt_decode(f, numfmt_next_down(f, r.bits));
    *out = r;
}

char *numfmt_bits_string(char *buf, size_t size, const NumFormat *f, uint32_t bits, char sep)
{
    char tmp[64];
    size_t k = 0;
    int width = numfmt_width(f);
    for (int i = width - 1; i >= 0; i--) {
        tmp[k++] = (char)('0' + ((bits >> i) & 1));
        /* a separator after the sign and after the exponent (none before an
         * empty fraction field) */
        bool boundary = i == width - 1 || (i == f->man_bits && f->man_bits > 0);
        if (sep && boundary) tmp[k++] = sep;
    }
    tmp[k] = '\0';
    if (size) snprintf(buf, size, "%s", tmp);
    return buf;
}

/* ---------------------------------------------------------------------------
 * Fast fp16 / bf16
 *
 * fp32 → fp16 for a normal result: subtract (127 − 15) from the exponent
 * field and round the 13 dropped fraction bits to nearest even by adding
 * 0x0fff plus the lowest kept bit before shifting — the carry again moves
 * into the exponent. For a subnormal result (|x| < 2^−14) the FPU does the
 * rounding: in |x| + 0.5 the unit of the last place is 2^−24, fp16's
 * subnormal step, so the addition itself rounds |x| to that grid (ties to
 * even) and the low bits of the sum are the fp16 pattern. Each case is
 * computed and the right one selected, so the loop has no branches. */

static inline uint32_t f2u(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline float u2f(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* cond ? a : b with masks rather than a branch, which the vectoriser takes. */
static inline uint32_t select(bool cond, uint32_t a, uint32_t b)
{
    uint32_t m = 0u - (uint32_t)cond;
    return (a & m) | (b & ~m);
}

static inline uint16_t fp16_from_fp32(float x)
{
    uint32_t w = f2u(x);
    uint32_t sign = (w >> 16) & 0x8000u;
    uint32_t a = w & 0x7FFFFFFFu;
    uint32_t normal = (a - 0x38000000u + 0x0FFFu + ((a >> 13) & 1u)) >> 13;
    uint32_t sub = f2u(u2f(a) + 0.5f) - 0x3F000000u;
    /* a < 2^31, so signed comparisons (which SSE2 has) give the same answers */
    int32_t sa = (int32_t)a;
    uint32_t h = select(sa < 0x38800000, sub, normal); /* below 2^−14: subnormal */
    h = select(sa >= 0x477FF000, 0x7C00u, h);          /* 65520 and up round to ∞ */
    h = select(sa > 0x7F800000, 0x7E00u, h);           /* NaN */
    return (uint16_t)(sign | h);
}

/* fp16 → fp32: the inverse tricks. Normal: shift the fields up and add
 * (127 − 15) to the exponent (twice for ∞/NaN, so 31 becomes 255).
 * Subnormal: put the fraction under the 0.5's exponent and subtract 0.5. */
static inline float fp16_to_fp32(uint16_t h)
{
    uint32_t sign = ((uint32_t)h & 0x8000u) << 16;
    uint32_t em = (uint32_t)h & 0x7FFFu;
    uint32_t normal = (em << 13) + 0x38000000u;
    normal += select(em >= 0x7C00u, 0x38000000u, 0u);
    normal = select(em > 0x7C00u, 0x7FC00000u, normal);
    uint32_t sub = f2u(u2f(0x3F000000u | em) - 0.5f);
    return u2f(sign | select(em < 0x0400u, sub, normal));
}

/* fp32 → bf16: drop the low 16 bits, rounding to nearest even; the carry
 * turns fp32's largest values into ∞ exactly when RNE says so. */
static inline uint16_t bf16_from_fp32(float x)
{
    uint32_t w = f2u(x);
    uint32_t r = (w + 0x7FFFu + ((w >> 16) & 1u)) >> 16;
    uint32_t nan = ((w >> 16) & 0x8000u) | 0x7FC0u;
    return (uint16_t)select((w & 0x7FFFFFFFu) > 0x7F800000u, nan, r);
}

uint16_t numfmt_fp16_from_fp32(float x)
{
    return fp16_from_fp32(x);
}
float numfmt_fp16_to_fp32(uint16_t h)
{
    return fp16_to_fp32(h);
}
uint16_t numfmt_bf16_from_fp32(float x)
{
    return bf16_from_fp32(x);
}

float numfmt_bf16_to_fp32(uint16_t h)
{
    uint32_t w = (uint32_t)h << 16;
    return u2f((w & 0x7FFFFFFFu) > 0x7F800000u ? (w & 0x80000000u) | 0x7FC00000u : w);
}

/* Fixed-length inner loops so the compiler can vectorise them at -O2. */
enum { CHUNK = 16 };

void numfmt_fp16_from_fp32_array(uint16_t *out, const float *in, size_t n)
{
    size_t i = 0;
    for (; i + CHUNK <= n; i += CHUNK)
        for (int k = 0; k < CHUNK; k++)
            out[i + k] = fp16_from_fp32(in[i + k]);
    for (; i < n; i++)
        out[i] = fp16_from_fp32(in[i]);
}

void numfmt_fp16_from_fp32_array_ref(uint16_t *out, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (uint16_t)numfmt_encode(&formats[NUMFMT_FP16], in[i]);
}

void numfmt_fp16_to_fp32_array(float *out, const uint16_t *in, size_t n)
{
    size_t i = 0;
    for (; i + CHUNK <= n; i += CHUNK)
        for (int k = 0; k < CHUNK; k++)
            out[i + k] = fp16_to_fp32(in[i + k]);
    for (; i < n; i++)
        out[i] = fp16_to_fp32(in[i]);
}

void numfmt_fp16_to_fp32_array_ref(float *out, const uint16_t *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = numfmt_decode(&formats[NUMFMT_FP16], in[i]);
}

void numfmt_bf16_from_fp32_array(uint16_t *out, const float *in, size_t n)
{
    size_t i = 0;
    for (; i + CHUNK <= n; i += CHUNK)
        for (int k = 0; k < CHUNK; k++)
            out[i + k] = bf16_from_fp32(in[i + k]);
    for (; i < n; i++)
        out[i] = bf16_from_fp32(in[i]);
}

void numfmt_bf16_from_fp32_array_ref(uint16_t *out, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (uint16_t)numfmt_encode(&formats[NUMFMT_BF16], in[i]);
}

/* ---------------------------------------------------------------------------
 * Summation in a format
 *
 * Each operation is done in double and rounded once to the format. That is
 * the correctly rounded result of the format's own addition: two values of
 * at most 24 significant bits add exactly in double unless their exponents
 * are more than 29 apart, and then the smaller one is far below half an ulp
 * of the larger and cannot move the rounding either way. */

static float add_in(const NumFormat *f, float a, float b)
{
    return numfmt_round_double(f, (double)a + (double)b);
}

float numfmt_sum_naive(const NumFormat *f, const float *x, size_t n, float *partial)
{
    float s = 0.0f;
    for (size_t i = 0; i < n; i++) {
        s = add_in(f, s, numfmt_round(f, x[i]));
        if (partial) partial[i] = s;
    }
    return s;
}

float numfmt_sum_kahan(const NumFormat *f, const float *x, size_t n, float *partial)
{
    float s = 0.0f, c = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float y = add_in(f, numfmt_round(f, x[i]), -c); /* the term, corrected */
        float t = add_in(f, s, y);
        c = add_in(f, add_in(f, t, -s), -y); /* what t failed to take */
        s = t;
        if (partial) partial[i] = s;
    }
    return s;
}
