/* bench_quant.c — the quantization slider's promise and the fp16 converter's
 * speed: quantize + dequantize + metrics of a 1M-weight matrix in <= 20 ms
 * for every scheme, and fp32 -> fp16 at >= 200 million values per second. */
#include <stdio.h>
#include <stdlib.h>

#include "../base/json_out.h"
#include "../base/rng.h"
#include "../core/numfmt.h"
#include "../core/quant.h"
#include "bench.h"
#include "cli.h"

enum { WEIGHTS = 1 << 20 };
static const double TARGET_MS = 20.0, TARGET_MVALS = 200.0;

typedef struct Timed {
    const char *label;
    QuantConfig cfg;
} Timed;

/* Median ms of quant_roundtrip over reps runs (after one warm-up run that
 * sizes the buffers, as a slider's first move would). */
static int time_scheme(double *ms, QuantTensor *qt, float *deq, const QuantConfig *cfg,
                       const float *w, int rows, int cols, int reps, Status *st)
{
    double t[32];
    QuantMetrics m;
    if (quant_roundtrip(deq, &m, qt, cfg, w, rows, cols, st)) return st->code;
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        quant_roundtrip(deq, &m, qt, cfg, w, rows, cols, st);
        t[r] = 1e3 * (bench_now() - t0);
    }
    *ms = bench_median(t, reps);
    return LS_OK;
}

/* Million values per second of one array conversion, median of reps. */
typedef void (*ConvertFn)(uint16_t *out, const float *in, size_t n);
static double throughput(ConvertFn fn, uint16_t *out, const float *in, size_t n, int reps)
{
    double t[32];
    fn(out, in, n); /* warm-up: pages in the output */
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        fn(out, in, n);
        t[r] = bench_now() - t0;
    }
    double s = bench_median(t, reps);
    return s > 0 ? (double)n / s / 1e6 : 0.0;
}

static int run(const BenchOptions *o, cJSON *out)
{
    Status st;
    status_clear(&st);
    int reps = o->quick ? 3 : 11;
    int rows, cols;
    quant_gaussian_shape(WEIGHTS, &rows, &cols);
    size_t n_conv = o->quick ? (size_t)1 << 20 : (size_t)1 << 23; /* 8M values = 32 MB */
    float *w = malloc(WEIGHTS * sizeof(float)), *deq = malloc(WEIGHTS * sizeof(float));
    float *x = malloc(n_conv * sizeof(float));
    uint16_t *h = malloc(n_conv * sizeof(uint16_t));
    QuantTensor qt;
    quant_tensor_init(&qt);
    int rc = 0;
    if (!w || !deq || !x || !h) rc = cli_error("out of memory for the quantization benchmark");
    if (!rc && quant_make_gaussian(w, WEIGHTS, 0.02f, 0, 1, &st)) rc = cli_status(&st);

    static const Timed schemes[] = {
        {"int8 tensor", {QUANT_INT, 8, QUANT_PER_TENSOR, 64, false}},
        {"int8 row", {QUANT_INT, 8, QUANT_PER_ROW, 64, false}},
        {"int8 block 64", {QUANT_INT, 8, QUANT_PER_BLOCK, 64, false}},
        {"int4 block 32 asym", {QUANT_INT, 4, QUANT_PER_BLOCK, 32, true}},
        {"int2 block 16 asym", {QUANT_INT, 2, QUANT_PER_BLOCK, 16, true}},
        {"q8_0", {QUANT_Q8_0, 8, QUANT_PER_BLOCK, QK8_0, false}},
        {"q4_0", {QUANT_Q4_0, 4, QUANT_PER_BLOCK, QK4_0, false}},
        {"nf4", {QUANT_NF4, 4, QUANT_PER_BLOCK, QK_NF4, false}},
        {"nf4-dq", {QUANT_NF4_DQ, 4, QUANT_PER_BLOCK, QK_NF4, false}},
    };
    enum { NS = sizeof schemes / sizeof schemes[0] };
    double ms[NS] = {0}, worst = 0.0;
    for (int i = 0; i < NS && !rc; i++) {
        if (time_scheme(&ms[i], &qt, deq, &schemes[i].cfg, w, rows, cols, reps, &st))
            rc = cli_status(&st);
        worst = ms[i] > worst ? ms[i] : worst;
    }

    double fast = 0, ref = 0, back = 0, bf16 = 0;
    if (!rc) {
        Rng r;
        rng_seed(&r, 2);
        for (size_t i = 0; i < n_conv; i++)
            x[i] = 100.0f * rng_normal(&r);
        fast = throughput(numfmt_fp16_from_fp32_array, h, x, n_conv, reps);
        /* The reference twin is slow; a 1M slice is plenty to time it. */
        ref = throughput(numfmt_fp16_from_fp32_array_ref, h, x, (size_t)1 << 20, o->quick ? 1 : 3);
        bf16 = throughput(numfmt_bf16_from_fp32_array, h, x, n_conv, reps);
        double t[32];
        for (int k = 0; k < reps; k++) {
            double t0 = bench_now();
            numfmt_fp16_to_fp32_array(x, h, n_conv);
            t[k] = bench_now() - t0;
        }
        double s = bench_median(t, reps);
        back = s > 0 ? (double)n_conv / s / 1e6 : 0.0;
    }

    if (!rc && !o->json) {
        printf("quantize + dequantize + metrics, %d weights (%d x %d), median of %d:\n", WEIGHTS,
               rows, cols, reps);
        for (int i = 0; i < NS; i++)
            printf("  %-20s %7.2f ms\n", schemes[i].label, ms[i]);
        printf("  worst %.2f ms (target <= %.0f ms): %s\n", worst, TARGET_MS,
               worst <= TARGET_MS ? "PASS" : "MISS");
        printf("fp32 -> fp16, %zu values: %.0f M values/s (target >= %.0f): %s\n", n_conv, fast,
               TARGET_MVALS, fast >= TARGET_MVALS ? "PASS" : "MISS");
        printf("  reference twin %.0f M/s; fp16 -> fp32 %.0f M/s; fp32 -> bf16 %.0f M/s\n", ref,
               back, bf16);
    }
    if (!rc) {
        cJSON *per = cJSON_AddObjectToObject(out, "roundtrip_ms");
        for (int i = 0; i < NS; i++)
            json_add_double(per, schemes[i].label, ms[i]);
        json_add_double(out, "roundtrip_worst_ms", worst);
        cJSON_AddNumberToObject(out, "weights", WEIGHTS);
        cJSON_AddNumberToObject(out, "reps", reps);
        json_add_double(out, "fp16_from_fp32_mvals_per_s", fast);
        json_add_double(out, "fp16_from_fp32_ref_mvals_per_s", ref);
        json_add_double(out, "fp16_to_fp32_mvals_per_s", back);
        json_add_double(out, "bf16_from_fp32_mvals_per_s", bf16);
        cJSON_AddNumberToObject(out, "conversion_values", (double)n_conv);
        cJSON_AddBoolToObject(out, "target_met", worst <= TARGET_MS && fast >= TARGET_MVALS);
    }
    quant_tensor_free(&qt);
    free(w);
    free(deq);
    free(x);
    free(h);
    return rc;
}

const BenchEntry bench_quant = {
    .name = "quant",
    .summary = "quantize+dequantize+metrics of 1M weights per scheme (target <= 20 ms), "
               "fp32->fp16 (>= 200 M/s)",
    .run = run,
};
