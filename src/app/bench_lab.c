/* bench_lab.c — what a training step costs per tuning method, on the
 * reference config (L4 H4 D128 T64, batch 32): full tuning, LoRA r = 1 and
 * r = 8 on q and v, prefix tuning with P = 16, QLoRA r = 8 on an NF4 base.
 *
 * The target (issue 14): a LoRA r = 8 step takes at most 0.73 x a
 * full-tuning step. Where the time goes: LoRA skips every weight-gradient
 * product (the frozen weights get none), the embedding gradients and block
 * 0's c_attn input gradient, about 1/3 of the step's matrix work; the
 * forward pass, the other input gradients, attention, GELU and LayerNorm
 * remain. lora_floor() counts the products of both steps: their ratio
 * (~0.68) is what the ratio would be if only the products took time.
 *
 * Steps are timed in rounds (one step of each method per round, the same
 * batch) so that a slow spell of a shared machine hits every method alike;
 * the figure per method is the median over rounds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../base/json_out.h"
#include "../base/rng.h"
#include "../core/linalg.h"
#include "../nn/dataset.h"
#include "../tune/tune.h"
#include "bench.h"
#include "cli.h"

static const char *const specs[] = {"full", "lora:1", "lora:8", "prefix:16", "qlora:8"};
enum { N_SPECS = sizeof specs / sizeof specs[0], B = 32, MAX_ROUNDS = 64 };

/* Matrix-product FLOPs of a LoRA (rank r on q and v, embeddings frozen)
 * step over a full-tuning step, per token: linear layers and the tied head
 * 2 (forward) + 2 (input gradient) + 2 (weight gradient) x their weights;
 * attention 6 x 2 C (T + 1) / 2 per layer in both; LoRA skips the weight
 * gradients and block 0's c_attn input gradient and adds its adapters
 * (2 modules of C -> r -> C: 4 C r forward, 8 C r backward). */
static double lora_floor(const GptConfig *c, int r)
{
    double C = c->n_embd, L = c->n_layer, V = c->vocab_size, T = c->n_positions;
    double weights = L * 12.0 * C * C + V * C;
    double attention = 6.0 * L * 2.0 * C * (T + 1.0) / 2.0;
    double full = 6.0 * weights + attention;
    double lora = 4.0 * weights - 2.0 * 3.0 * C * C + attention + L * 2.0 * 12.0 * C * r;
    return lora / full;
}

static int run(const BenchOptions *o, cJSON *out)
{
    GptConfig cfg = gpt_config_make(4, 4, 128, 64);
    int T = cfg.n_positions;
    Status st;
    status_clear(&st);
    Gpt base;
    if (gpt_init(&base, &cfg, &st)) return cli_status(&st);
    gpt_init_weights(&base, 1);
    /* Random bytes: the speed of a step does not depend on the text. */
    TextData data = {.n = 1 << 16};
    data.bytes = malloc(data.n);
    int *inputs = malloc((size_t)B * T * sizeof(int)),
        *targets = malloc((size_t)B * T * sizeof(int));
    int start[64];
    TuneRun *runs = calloc(N_SPECS, sizeof *runs);
    double *t = calloc((size_t)N_SPECS * MAX_ROUNDS, sizeof(double));
    int rc = (!data.bytes || !inputs || !targets || !runs || !t) ? cli_error("out of memory") : 0;
    Rng r;
    rng_seed(&r, 3);
    for (size_t i = 0; !rc && i < data.n; i++)
        data.bytes[i] = (unsigned char)rng_below(&r, 256);
    for (int i = 0; i < 64; i++)
        start[i] = 'a' + i % 26;
    int rounds = o->quick ? 1 : 20, warmup = o->quick ? 0 : 2, built = 0;
    TuneSchedule sched = tune_schedule_defaults(1000);
    for (int k = 0; k < N_SPECS && !rc; k++) {
        TuneSpec spec;
        if (tune_spec_parse(&spec, specs[k], &st) ||
            tune_run_init(&runs[k], &spec, &base, B, T, &sched, 1, start, 64, &st))
            rc = cli_status(&st);
        else
            built++;
    }
    /* Warm-up rounds, then the timed ones. */
    for (int round = -warmup; round < rounds && !rc; round++) {
        text_random_batch(&data, &r, inputs, targets, B, T);
        for (int k = 0; k < N_SPECS && !rc; k++) {
            double t0 = bench_now();
            if (tune_run_step(&runs[k], inputs, targets, NULL, &st)) rc = cli_status(&st);
            if (round >= 0) t[k * MAX_ROUNDS + round] = bench_now() - t0;
        }
    }
    if (!rc) {
        double ms[N_SPECS], best[N_SPECS];
        for (int k = 0; k < N_SPECS; k++) {
            ms[k] = 1e3 * bench_median(t + k * MAX_ROUNDS, rounds);
            best[k] = 1e3 * t[k * MAX_ROUNDS];
        }
        double ratio = ms[2] / ms[0], floor = lora_floor(&cfg, 8);
        bool met = ratio <= 0.73;
        if (!o->json) {
            printf("config:  L%d H%d D%d T%d, batch %d (%zu parameters); medians of %d rounds\n",
                   cfg.n_layer, cfg.n_head, cfg.n_embd, T, B, base.num_params, rounds);
            printf("  %-10s %10s %10s %12s %10s\n", "method", "ms/step", "best", "trainable",
                   "vs full");
            for (int k = 0; k < N_SPECS; k++)
                printf("  %-10s %10.1f %10.1f %12zu %9.2fx\n", specs[k], ms[k], best[k],
                       runs[k].trainable_params, ms[k] / ms[0]);
            printf("lora:8 / full = %.3f (target <= 0.73; products alone would give %.3f): %s\n", ratio, floor,
                   met ? "PASS" : "MISS");
        }
        cJSON *m = cJSON_AddObjectToObject(out, "ms_per_step");
        for (int k = 0; k < N_SPECS; k++)
            json_add_double(m, specs[k], ms[k]);
        cJSON *bb = cJSON_AddObjectToObject(out, "ms_per_step_best");
        for (int k = 0; k < N_SPECS; k++)
            json_add_double(bb, specs[k], best[k]);
        json_add_double(out, "lora8_over_full", ratio);
        json_add_double(out, "lora8_over_full_floor", floor);
        cJSON_AddBoolToObject(out, "target_met", met);
        cJSON_AddNumberToObject(out, "rounds", rounds);
        cJSON_AddNumberToObject(out, "batch", B);
        cJSON_AddNumberToObject(out, "threads", o->threads);
    }
    for (int k = 0; k < built; k++)
        tune_run_free(&runs[k]);
    free(runs);
    free(t);
    free(inputs);
    free(targets);
    free(data.bytes);
    gpt_free(&base);
    return rc;
}

const BenchEntry bench_lab = {
    .name = "lab",
    .summary = "one tuning step per method, L4 H4 D128 T64 batch 32 (target: lora:8 <= 0.73 x full)",
    .run = run,
};
