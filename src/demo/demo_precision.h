/* demo_precision.h — lesson 3: how a number is stored, and what rounding
 * costs. Five demos, all curses-free (parameters in, plain results out):
 *
 *   bits         one value in every named format side by side (fp32, fp16,
 *                bf16, e4m3, e5m2): its bits split into sign | exponent |
 *                mantissa, the stored value and its error. Flipping a bit of
 *                one format makes that pattern's value the new input, so all
 *                the other rows follow.
 *   number-line  the representable values of one format around a point x,
 *                counted per column of a window x ± zoom·ulp(x). Counting is
 *                exact even when there are billions of values in view:
 *                positive patterns are ordered like the values they encode,
 *                so the values in [a, b] are ord(b) − ord(a) + 1.
 *   arith        a ∘ b (+ − × ÷) in fp64 and every format: both operands are
 *                rounded, the result is rounded once more. Compared with the
 *                exact result (long double) and with the number you would get
 *                by rounding the exact result (is 0.1 + 0.2 "0.3"?). Overflow
 *                (fp16 max 65504) and underflow show up as notes.
 *   sum          start + term + term + … (count terms) in fp32, fp16 and bf16,
 *                naively and with Kahan's compensation, every partial sum kept
 *                for plotting. A naive sum stalls once ulp(s)/2 exceeds the
 *                term: s + term rounds back to s.
 *   precision    (demo_precision_image.c) a custom eXmY format applied to a
 *                photograph or to a matrix product, with the error as a
 *                function of the mantissa bits.
 *
 * Arithmetic "in a format" means: compute exactly (double is wide enough for
 * +, −, ×, ÷ of two values of at most 24 bits: 53 >= 2·24 + 2, so rounding
 * the double result again is the same as rounding the exact one), then round
 * once to the format with numfmt (nearest, ties to even). */
#ifndef LS_DEMO_PRECISION_H
#define LS_DEMO_PRECISION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/status.h"
#include "../core/mat.h"
#include "../core/numfmt.h"

/* ===========================================================================
 * bits: one value in every format, bit by bit */

typedef enum BitField { BITS_SIGN, BITS_EXPONENT, BITS_MANTISSA } BitField;

typedef struct BitsDemo {
    double x;              /* the value every row shows */
    char origin[48];       /* how x was set: "typed", "fp16 bits", "next up in fp16" */
    int row;               /* the selected format (a NUMFMT_* id) */
    int bit;               /* the selected bit, 0 = the leftmost (the sign) */
    NumInfo info[NUMFMT_COUNT]; /* x in each format */
} BitsDemo;

/* Start on x with format row selected (clamped). */
void bits_demo_init(BitsDemo *d, double x, int row);
/* A new value (typed): every row rounds it. */
void bits_demo_set_value(BitsDemo *d, double x, const char *origin);
/* Which field bit `bit` (0 = leftmost) of a format belongs to. */
BitField bits_field(const NumFormat *f, int bit);
/* Flip bit `bit` (0 = leftmost) of row's stored pattern; x becomes the value
 * of the new pattern, and every row follows. */
void bits_demo_flip(BitsDemo *d, int row, int bit);
/* Set that bit to v (0 or 1); returns true when it changed. */
bool bits_demo_set_bit(BitsDemo *d, int row, int bit, int v);
/* x becomes the next representable value above (dir > 0) or below the
 * selected row's stored value, in that row's format. */
void bits_demo_step(BitsDemo *d, int dir);
/* How the selected row's pattern encodes its value, in words:
 * "(+1) × 2^(123 − 127) × 1.60000002384 = 0.100000001490116". */
void bits_demo_explain(const BitsDemo *d, int row, char *buf, size_t size);

/* A value printed so that every digit of a float's exact value up to 17
 * significant digits shows (trailing zeros dropped): "0.10000000149011612".
 * "inf", "-inf", "nan" for the specials. */
void precision_format_value(char *buf, size_t size, double v);

/* ===========================================================================
 * number-line: the representable values around x */

enum { NUMLINE_MAX_COLS = 512, NUMLINE_MAX_EDGES = 8, NUMLINE_MAX_TICKS = 256 };

typedef struct NumLineEdge {
    double at;           /* a power of two (or min normal) inside the window */
    float gap_below;     /* spacing of the values just below it */
    float gap_above;     /* ... and just above */
} NumLineEdge;

typedef struct NumberLineResult {
    double x;            /* the point asked about */
    float stored;        /* x as the format stores it (nearest) */
    float gap_above;     /* stored → next value up (the ulp) */
    float gap_below;     /* next value down → stored */
    double lo, hi;       /* the window [x − h, x + h) */
    double half;         /* h = zoom · gap_above */
    long long count;     /* representable values in [lo, hi), exact */
    float finest;        /* the smallest spacing inside the window */
    int cols;            /* columns the window was split into */
    long long col_count[NUMLINE_MAX_COLS]; /* values in each column */
    int n_ticks;         /* when count <= NUMLINE_MAX_TICKS: every value */
    float ticks[NUMLINE_MAX_TICKS];
    int n_edges;         /* where the spacing changes inside the window */
    NumLineEdge edges[NUMLINE_MAX_EDGES];
    bool beyond_max;     /* the window reaches past the largest finite value */
    float max;           /* the format's largest finite value */
} NumberLineResult;

typedef struct NumberLineDemo {
    int fmt_id;          /* NUMFMT_* */
    NumFormat fmt;
    double x;            /* >= 0 */
    long zoom;           /* half-width of the window in ulps of x, >= 1 */
    NumberLineResult res;
} NumberLineDemo;

/* Set format, point and zoom, and count the values in `cols` columns
 * (clamped to 1..NUMLINE_MAX_COLS). */
void number_line_demo_set(NumberLineDemo *d, int fmt_id, double x, long zoom, int cols);
/* Representable values of f in [a, b] (exact; finite values, ±0 counted once). */
long long numfmt_count_between(const NumFormat *f, double a, double b);

/* ===========================================================================
 * arith: a ∘ b in every format */

typedef enum ArithOp { ARITH_ADD, ARITH_SUB, ARITH_MUL, ARITH_DIV, ARITH_OP_COUNT } ArithOp;

enum { ARITH_ROWS = 1 + NUMFMT_COUNT, ARITH_TEXT_MAX = 40 };

typedef struct ArithRow {
    char name[16];      /* "fp64", "fp32", ... */
    double a, b;        /* the operands as stored */
    double result;      /* round(a ∘ b) */
    double nearest;     /* the exact result rounded to the format */
    double rel_error;   /* |result − exact| / |exact| (∞ on overflow) */
    bool same;          /* result == nearest (NaN never equal) */
    const char *note;   /* "", "overflow: inf", "overflow: NaN" (formats without
                           inf), "underflow: 0", "input overflow", "input underflow" */
} ArithRow;

typedef struct ArithDemo {
    char a_text[ARITH_TEXT_MAX], b_text[ARITH_TEXT_MAX]; /* as typed */
    ArithOp op;
    long double a, b, exact;  /* the decimal operands and result, 64-bit mantissa */
    ArithRow rows[ARITH_ROWS];
} ArithDemo;

/* "+", "−" (UTF-8), "×", "÷" and "add", "sub", "mul", "div". */
const char *arith_op_symbol(ArithOp op);
const char *arith_op_name(ArithOp op);
/* Parse a and b (decimal, exponent form, "inf", "nan" allowed) and compute
 * every row. On a bad number the demo keeps its old values. */
int arith_demo_set(ArithDemo *d, const char *a, ArithOp op, const char *b, Status *st);

/* ===========================================================================
 * sum: start + count × term, naive and Kahan */

enum { SUM_FORMATS = 3, SUM_MAX_COUNT = 20000 };

typedef struct SumDemo {
    double start, term;
    int count;                    /* terms added, 1..SUM_MAX_COUNT */
    int fmt_ids[SUM_FORMATS];     /* NUMFMT_FP32, NUMFMT_FP16, NUMFMT_BF16 */
    /* Running sums after 1, 2, …, count terms (count floats each). */
    float *naive[SUM_FORMATS];
    float *kahan[SUM_FORMATS];
    float *exact;                 /* in double, stored as float for plotting */
    double exact_final;           /* start + count·term in double */
    float final_naive[SUM_FORMATS], final_kahan[SUM_FORMATS];
    float term_stored[SUM_FORMATS]; /* the term as each format stores it */
    int stall[SUM_FORMATS];       /* terms after which the naive sum never moved
                                   * again (-1: it kept moving to the end) */
    float stall_sum[SUM_FORMATS]; /* the sum it stalled at */
    float stall_half_ulp[SUM_FORMATS]; /* half the spacing there: terms below it vanish */
    float y_lo, y_hi;             /* the range of every series, for plots that share an axis */
    float *x;                     /* scratch: start, then the terms */
    int cap;
} SumDemo;

int sum_demo_init(SumDemo *d, double start, double term, int count, Status *st);
/* Recompute (count clamped to 1..SUM_MAX_COUNT). */
int sum_demo_set(SumDemo *d, double start, double term, int count, Status *st);
void sum_demo_free(SumDemo *d);

/* ===========================================================================
 * precision: a custom eXmY format applied to an image or a matrix product
 * (demo_precision_image.c) */

typedef enum PrecisionTarget { PREC_IMAGE, PREC_MATMUL } PrecisionTarget;

enum { PREC_MAN_MAX = 23, PREC_CURVE = PREC_MAN_MAX + 1, PREC_MATMUL_MAX = 64 };

/* Rounding to eXmY fast: a float that is normal in the target and no larger
 * than its max is rounded by adding half an ulp on its own bits and
 * truncating (ties to even); everything else (subnormals, overflow, NaN)
 * goes through numfmt_round. The tests hold it to numfmt_round bit for bit. */
typedef struct FastRound {
    NumFormat f;
    int shift;            /* 23 − M: fraction bits of a float dropped */
    uint32_t lo, hi;      /* float magnitudes (as bits) rounded inline: [lo, hi] */
    uint64_t lo_d, hi_d;  /* the same range for doubles (52 − M bits dropped) */
} FastRound;

void fast_round_init(FastRound *r, const NumFormat *f);
/* numfmt_round(f, x), fast. */
float fast_round(const FastRound *r, float x);
/* numfmt_round_double(f, x), fast: one rounding straight from the double,
 * so a product or sum computed exactly in double is rounded exactly once. */
float fast_round_d(const FastRound *r, double x);
void fast_round_array(const FastRound *r, float *out, const float *in, size_t n);

typedef struct PrecisionResult {
    int exp_bits, man_bits;
    char name[16];          /* "e5m10" */
    const char *alias;      /* "fp16", "bf16", "fp8 E5M2", "fp32" or NULL */
    int width;              /* 1 + E + M */
    NumLimits limits;
    /* image */
    double rel_error;       /* ‖A − round(A)‖_F / ‖A‖_F (∞ if anything overflowed) */
    double rmse, max_abs;   /* over the pixels */
    double psnr_db;         /* 20·log10(1 / rmse) for pixels in [0, 1]; ∞ when exact */
    int distinct;           /* different values left in the rounded image */
    size_t n_zeroed;        /* non-zero entries that rounded to 0 (underflow) */
    size_t n_subnormal;     /* entries stored as subnormals (0 < |q| < min normal) */
    size_t n_overflow;      /* entries that became ±∞ or NaN */
    /* matmul: C = A·B with A, B rounded; two ways to add up the products */
    double rel_error_fmt;   /* every product and partial sum rounded to eXmY */
    double rel_error_f32;   /* products and sums in fp32 (mixed precision) */
    size_t n_overflow_f32;
    /* relative error against mantissa bits 0..23 at the current exponent
     * bits (NaN where not computed; ∞ → NaN so plots skip it) */
    float curve[PREC_CURVE];
    float curve_f32[PREC_CURVE]; /* matmul: the fp32-accumulate variant */
} PrecisionResult;

typedef struct PrecisionDemo {
    PrecisionTarget target;
    FastRound fr;
    /* image */
    Mat original;           /* (m, n) pixels in [0, 1] */
    Mat rounded;            /* (m, n) in eXmY */
    Mat error;              /* (m, n) rounded − original */
    float *uniq;            /* (n_uniq) the distinct pixel values, ascending */
    size_t *uniq_count;     /* (n_uniq) how many pixels have each */
    size_t n_uniq;
    /* matmul (original, rounded and error then hold C in double, C in eXmY
     * and their difference) */
    int n;                  /* A, B and C are n × n */
    float *a, *b;           /* (n, n) entries ~ N(0, 1) */
    double *c_ref;          /* (n, n) A·B in double */
    float *ar, *br;         /* (n, n) A, B rounded */
    int curve_exp;          /* exponent bits the curves were computed for (-1 none) */
    PrecisionResult res;
    char note[160];         /* image: "" or how a large one was shrunk (demo_image.h) */
} PrecisionDemo;

/* An image (PGM/PNG) with the format eXmY. */
int precision_demo_init_image(PrecisionDemo *d, const char *path, int exp_bits, int man_bits,
                              Status *st);
/* The same from pixels in memory (copied). */
int precision_demo_init_mat(PrecisionDemo *d, const Mat *img, int exp_bits, int man_bits,
                            Status *st);
/* A product of two n × n Gaussian matrices (seeded). */
int precision_demo_init_matmul(PrecisionDemo *d, int n, uint64_t seed, int exp_bits, int man_bits,
                               Status *st);
/* A new format (E 2..8, M 0..23, clamped). */
int precision_demo_set(PrecisionDemo *d, int exp_bits, int man_bits, Status *st);
void precision_demo_free(PrecisionDemo *d);

#endif
