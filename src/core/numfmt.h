/* numfmt.h — how binary floating-point formats store a number, and what
 * rounding to them costs.
 *
 * A binary format with E exponent bits and M mantissa (fraction) bits stores a
 * sign s, an exponent field e and a fraction field f. With bias B = 2^(E−1) − 1:
 *
 *   normal     0 < e < 2^E − 1   (−1)^s · (1 + f / 2^M) · 2^(e − B)
 *   subnormal  e = 0             (−1)^s · (f / 2^M)     · 2^(1 − B)
 *   special    e = 2^E − 1       IEEE: f = 0 is ±∞, f ≠ 0 is NaN
 *
 * OCP fp8 E4M3 (and every custom format with M = 0) has no infinities: the top
 * exponent holds ordinary numbers and only the all-ones pattern S.1111.111 is
 * NaN, which buys one more binade (max 448 instead of 240).
 *
 * Conversion rounds to nearest, ties to even, exactly (integer arithmetic on
 * the bits, never a double rounding through an intermediate format). A value
 * whose rounded magnitude exceeds the largest finite number overflows to ±∞
 * (IEEE formats) or to NaN (E4M3: the OCP spec's non-saturating conversion,
 * as PyTorch and ml_dtypes convert to float8_e4m3fn); a format with
 * .saturate = true clamps to ±max instead (the spec's optional saturating
 * mode; ±∞ then also becomes ±max, NaN stays NaN).
 *
 * Terms used below: ulp(v) is the gap between the stored value v and the next
 * representable number of larger magnitude (2^(e − B − M) for normal numbers,
 * 2^(1 − B − M) for subnormals and zero); machine epsilon is ulp(1) = 2^−M. */
#ifndef LS_NUMFMT_H
#define LS_NUMFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/status.h"

typedef enum NumSpecials {
    NUMFMT_IEEE, /* top exponent: ±∞ (fraction 0) and NaN */
    NUMFMT_FN    /* "finite + NaN": no ∞, only the all-ones pattern is NaN */
} NumSpecials;

typedef struct NumFormat {
    char name[16]; /* "fp16", "e4m3", "e3m4" */
    int exp_bits;  /* E, 2..8 */
    int man_bits;  /* M, 0..23 */
    int bias;      /* 2^(E−1) − 1 */
    NumSpecials specials;
    bool saturate; /* overflow clamps to ±max (see the header comment) */
} NumFormat;

/* The named formats, in the order the CLI shows them. */
enum { NUMFMT_FP32, NUMFMT_FP16, NUMFMT_BF16, NUMFMT_E4M3, NUMFMT_E5M2, NUMFMT_COUNT };

/* One of the named formats (id < NUMFMT_COUNT). */
const NumFormat *numfmt_get(int id);

/* An IEEE-like custom format with E = 2..8, M = 0..23, named "eEmM". With
 * M = 0 there is no fraction to tell ∞ from NaN, so such a format follows the
 * E4M3 convention (no ∞, the top pattern is NaN). */
int numfmt_custom(NumFormat *out, int exp_bits, int man_bits, Status *st);

/* A format by name: "fp32", "fp16", "bf16", "e4m3", "e5m2" (the OCP fp8
 * formats), or "eXmY" for a custom format (e.g. "e3m4"; "e5m10" behaves like
 * fp16, "e8m7" like bf16). */
int numfmt_parse(NumFormat *out, const char *name, Status *st);

/* Total width in bits: 1 + E + M. */
int numfmt_width(const NumFormat *f);

/* ---------------------------------------------------------------------------
 * Conversion (bit patterns are right-aligned in a uint32_t) */

/* Round x to the format (nearest, ties to even); returns the bit pattern.
 * NaN gives a quiet NaN with x's sign. Exact for every float and double. */
uint32_t numfmt_encode(const NumFormat *f, float x);
uint32_t numfmt_encode_double(const NumFormat *f, double x);
/* The value of a bit pattern (exact: every format here fits in a float). */
float numfmt_decode(const NumFormat *f, uint32_t bits);
/* decode(encode(x)): x as the format would store it. */
float numfmt_round(const NumFormat *f, float x);
float numfmt_round_double(const NumFormat *f, double x);
/* out[i] = numfmt_round(f, in[i]); out may equal in. */
void numfmt_round_array(float *out, const NumFormat *f, const float *in, size_t n);

typedef enum NumClass {
    NUMFMT_ZERO,
    NUMFMT_SUBNORMAL,
    NUMFMT_NORMAL,
    NUMFMT_INF,
    NUMFMT_NAN
} NumClass;

NumClass numfmt_classify(const NumFormat *f, uint32_t bits);
const char *numfmt_class_name(NumClass c); /* "zero", "subnormal", ... */

/* Neighbours of a stored pattern, as patterns: the next value up (towards +∞)
 * and down, as IEEE 754's nextUp/nextDown: nextUp(+max) = +∞,
 * nextUp(+∞) = +∞, nextUp(−0) = +min_subnormal. In an E4M3-style format
 * nothing lies above +max, so nextUp(+max) is NaN. NaN gives NaN. */
uint32_t numfmt_next_up(const NumFormat *f, uint32_t bits);
uint32_t numfmt_next_down(const NumFormat *f, uint32_t bits);

/* ulp at a stored pattern (see the header comment); NaN for ∞ and NaN. */
float numfmt_ulp(const NumFormat *f, uint32_t bits);

typedef struct NumLimits {
    int width;           /* 1 + E + M */
    int emin, emax;      /* unbiased exponents of the smallest/largest normal binade */
    float max;           /* largest finite value */
    float min_normal;    /* 2^emin */
    float min_subnormal; /* 2^(emin − M): the smallest positive value (= min_normal when M = 0) */
    float epsilon;       /* 2^−M: the gap between 1 and the next value */
} NumLimits;

void numfmt_limits(NumLimits *out, const NumFormat *f);

/* Everything the precision lesson shows about one value in one format. */
typedef struct NumInfo {
    double input;      /* the value asked about */
    uint32_t bits;     /* the stored pattern */
    int sign;          /* sign field, 0 or 1 */
    uint32_t exponent; /* exponent field as stored (biased) */
    uint32_t mantissa; /* fraction field */
    int exp_unbiased;  /* e − B (normal), 1 − B (subnormal, zero); 0 for ∞/NaN */
    NumClass cls;
    float value;      /* the stored value */
    double abs_error; /* |value − input| (0 when both are the same ∞) */
    double rel_error; /* abs_error / |input|; 0/0 counts as 0, x/0 as ∞ */
    float ulp;        /* numfmt_ulp at the stored value */
    float next_up;    /* value of numfmt_next_up */
    float next_down;  /* value of numfmt_next_down */
} NumInfo;

/* Round x (a double, so that the error of fp32 itself can be shown) once to
 * the format and describe the result. */
void numfmt_info(NumInfo *out, const NumFormat *f, double x);

/* The pattern as binary digits with `sep` between the fields, e.g.
 * "0|01011|1001100110" for fp16(0.1); sep '\0' leaves no separator.
 * Returns buf (size >= 40 is always enough). */
char *numfmt_bits_string(char *buf, size_t size, const NumFormat *f, uint32_t bits, char sep);

/* ---------------------------------------------------------------------------
 * Fast fp16 / bf16 conversion of whole arrays
 *
 * The fast versions are branch-free bit twiddling (no F16C instructions), so
 * the compiler can vectorise them; the _ref twins go through numfmt_encode /
 * numfmt_decode one value at a time and are what the tests compare against.
 * Both give the same bits for every input (NaN → quiet NaN 0x7e00/0x7fc0 with
 * the sign kept). */

uint16_t numfmt_fp16_from_fp32(float x);
float numfmt_fp16_to_fp32(uint16_t h);
uint16_t numfmt_bf16_from_fp32(float x);
float numfmt_bf16_to_fp32(uint16_t h);

void numfmt_fp16_from_fp32_array(uint16_t *out, const float *in, size_t n);
void numfmt_fp16_from_fp32_array_ref(uint16_t *out, const float *in, size_t n);
void numfmt_fp16_to_fp32_array(float *out, const uint16_t *in, size_t n);
void numfmt_fp16_to_fp32_array_ref(float *out, const uint16_t *in, size_t n);
void numfmt_bf16_from_fp32_array(uint16_t *out, const float *in, size_t n);
void numfmt_bf16_from_fp32_array_ref(uint16_t *out, const float *in, size_t n);

/* ---------------------------------------------------------------------------
 * Summation in a format (every intermediate rounded to it)
 *
 * Each x[i] is first rounded to the format; every addition is then rounded
 * once. Naive: s ← round(s + x). Kahan keeps the part each addition lost in a
 * compensation term c (also in the format):
 *     y = round(x − c);  t = round(s + y);  c = round(round(t − s) − y);  s = t
 * so a long run of small terms keeps adding up after the naive sum has
 * stalled (once ulp(s)/2 > x, s + x rounds back to s). When `partial` is not
 * NULL it receives the running sum after each term (n floats), for plotting. */
float numfmt_sum_naive(const NumFormat *f, const float *x, size_t n, float *partial);
float numfmt_sum_kahan(const NumFormat *f, const float *x, size_t n, float *partial);

#endif
