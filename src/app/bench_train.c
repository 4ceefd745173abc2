/* bench_train.c — speed of one full training step of the tiny GPT on the
 * reference config (L4 H4 D128 T64, batch 32): forward, backward, gradient
 * clipping and AdamW, next to a 1024^3 sgemm measured in the same run.
 *
 * FLOPs counted (matrix products only; LayerNorm, GELU, softmax and AdamW
 * are not counted), per step of N = B*T tokens:
 *   linear layers and the tied head:  6 * N * (L * 12 C^2 + V C)
 *     (2 for the forward product, 2 + 2 for the input and weight gradients)
 *   attention, causal part only:      6 * B * L * 2 * C * T (T + 1) / 2
 *     (q k^T and A v forward; each has two products in the backward)
 * The sgemm calls in the attention compute the full T x T blocks; the extra
 * half they spend on masked entries is not counted, so the figure is the
 * useful work per second.
 *
 * Measured on the 2-core AMD EPYC (Zen 4) these notes were written on: ~130 ms
 * per step on 1 thread, ~75 % of the sgemm rate. Debian's OpenBLAS 0.3.21
 * runs its Haswell (AVX2) kernels on Zen 4; with OPENBLAS_CORETYPE=SKYLAKEX in
 * the environment it uses its AVX-512 kernels instead, sgemm nearly doubles
 * (~190 GFLOP/s) and a step takes ~82 ms.
 *
 * PyTorch is measured, not quoted: when Debian's python3-torch is installed,
 * bench_train_pytorch.py times the same step (same config, thread count and
 * OpenBLAS) just before and just after this engine is timed, so a busy spell
 * of a shared machine weighs on both. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../base/json_out.h"
#include "../base/paths.h"
#include "../base/rng.h"
#include "../core/linalg.h"
#include "../nn/layers_par.h"
#include "../nn/train.h"
#include "bench.h"
#include "cli.h"

/* One timing of the PyTorch reference at one thread setting. */
typedef struct TorchTiming {
    bool ok;
    int torch_threads, blas_threads; /* torch.set_num_threads, OpenBLAS's */
    double ms, ms_best;
    char version[32];
    char why[160]; /* when !ok: why there is no figure */
} TorchTiming;

/* Runs bench_train_pytorch.py with Debian's python3 (where python3-torch
 * installs) or the python3 on PATH, with torch_threads intra-op threads and
 * blas_threads OpenBLAS threads. */
static TorchTiming time_pytorch(int torch_threads, int blas_threads, int steps)
{
    TorchTiming t = {.torch_threads = torch_threads, .blas_threads = blas_threads};
    char script[4096];
    if (paths_resolve(script, sizeof script, "src/app/bench_train_pytorch.py") || access(script, R_OK)) {
        snprintf(t.why, sizeof t.why, "reference script src/app/bench_train_pytorch.py not found");
        return t;
    }
    const char *python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    char cmd[4400];
    snprintf(cmd, sizeof cmd,
             "OMP_NUM_THREADS=%d OPENBLAS_NUM_THREADS=%d '%s' '%s' --threads %d --steps %d 2>/dev/null",
             torch_threads, blas_threads, python, script, torch_threads, steps);
    FILE *p = popen(cmd, "r");
    char line[1024] = "";
    if (p) {
        if (!fgets(line, sizeof line, p)) line[0] = '\0';
        int status = pclose(p);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
            snprintf(t.why, sizeof t.why, "PyTorch is not installed (apt-get install python3-torch)");
            return t;
        }
    }
    cJSON *j = cJSON_Parse(line);
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(j, "ms_per_step");
    const cJSON *best = cJSON_GetObjectItemCaseSensitive(j, "ms_per_step_best");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(j, "version");
    if (cJSON_IsNumber(ms) && cJSON_IsNumber(best)) {
        t.ok = true;
        t.ms = ms->valuedouble;
        t.ms_best = best->valuedouble;
        snprintf(t.version, sizeof t.version, "%s", cJSON_IsString(ver) ? ver->valuestring : "?");
    } else {
        snprintf(t.why, sizeof t.why, "the PyTorch reference did not run (%s)", python);
    }
    cJSON_Delete(j);
    return t;
}

/* The thread settings PyTorch is timed at for n threads in all: n intra-op
 * threads over n OpenBLAS threads, and for n > 1 also (n, 1) and (1, n); the
 * best of them is the figure to beat. */
enum { MAX_TORCH_SETTINGS = 3 };

static int torch_settings(int n, int torch_threads[], int blas_threads[])
{
    torch_threads[0] = n, blas_threads[0] = n;
    if (n == 1) return 1;
    torch_threads[1] = n, blas_threads[1] = 1;
    torch_threads[2] = 1, blas_threads[2] = n;
    return 3;
}

/* Before and after timings of one setting merged: mean median, best best. */
static TorchTiming torch_merge(TorchTiming before, TorchTiming after)
{
    if (!before.ok || !after.ok) return before.ok ? before : after;
    TorchTiming t = before;
    t.ms = 0.5 * (before.ms + after.ms);
    t.ms_best = fmin(before.ms_best, after.ms_best);
    return t;
}

/* GFLOP/s of a 1024^3 sgemm: the best of reps, as a peak should be (on
 * shared cores a median can catch another job's burst). */
static double sgemm_gflops(int reps)
{
    enum { N = 1024 };
    float *a = malloc(sizeof(float) * N * N), *b = malloc(sizeof(float) * N * N),
          *c = calloc((size_t)N * N, sizeof(float));
    if (!a || !b || !c) {
        free(a);
        free(b);
        free(c);
        return 0.0;
    }
    Rng r;
    rng_seed(&r, 7);
    for (int i = 0; i < N * N; i++) {
        a[i] = rng_uniform(&r) - 0.5f;
        b[i] = rng_uniform(&r) - 0.5f;
    }
    linalg_sgemm(false, false, N, N, N, 1.0f, a, N, b, N, 0.0f, c, N); /* warm-up */
    double t[16] = {0};
    for (int i = 0; i < reps; i++) {
        double t0 = bench_now();
        linalg_sgemm(false, false, N, N, N, 1.0f, a, N, b, N, 0.0f, c, N);
        t[i] = bench_now() - t0;
    }
    double s = t[0];
    for (int i = 1; i < reps; i++) s = t[i] < s ? t[i] : s;
    free(a);
    free(b);
    free(c);
    return 2.0 * N * N * (double)N / s * 1e-9;
}

/* The products of one step's linear layers and head alone, at the model's
 * own shapes, split between `threads` threads as the engine splits them
 * (par_sgemm): forward, input gradient and weight gradient of c_attn,
 * attn.c_proj, c_fc and mlp.c_proj per layer, and of the tied head. The
 * best of reps, in ms: what a step would take if nothing but these
 * products cost time (attention, LayerNorm, GELU, the loss and AdamW are
 * left out). */
static double products_floor_ms(const GptConfig *c, int B, int T, int threads, int reps)
{
    int N = B * T, C = c->n_embd, V = c->vocab_size;
    const int shapes[5][2] = {{C, 3 * C}, {C, C}, {C, 4 * C}, {4 * C, C}, {C, V}}; /* (in, out) */
    size_t big = (size_t)N * 4 * C;
    float *x = calloc(big, sizeof(float)), *y = calloc(big > (size_t)N * V ? big : (size_t)N * V, sizeof(float));
    float *w = calloc((size_t)4 * C * (V > 4 * C ? V : 4 * C), sizeof(float)), *dw = calloc((size_t)4 * C * (V > 4 * C ? V : 4 * C), sizeof(float));
    Pool *pool = NULL;
    if (threads > 1 && pool_new(&pool, threads, NULL)) pool = NULL;
    int blas = linalg_get_threads();
    linalg_set_threads(1);
    double best = 0.0;
    if (x && y && w && dw) {
        for (int r = 0; r < reps; r++) {
            double t0 = bench_now();
            for (int k = 0; k < 5; k++) {
                int IC = shapes[k][0], OC = shapes[k][1], times = k < 4 ? c->n_layer : 1;
                for (int l = 0; l < times; l++) {
                    par_sgemm(pool, false, false, N, OC, IC, 1.0f, x, IC, w, OC, 0.0f, y, OC);
                    par_sgemm(pool, false, true, N, IC, OC, 1.0f, y, OC, w, OC, 0.0f, x, IC);
                    par_sgemm(pool, true, false, IC, OC, N, 1.0f, x, IC, y, OC, 1.0f, dw, OC);
                }
            }
            double t = bench_now() - t0;
            best = r == 0 || t < best ? t : best;
        }
    }
    linalg_set_threads(blas);
    pool_delete(pool);
    free(x);
    free(y);
    free(w);
    free(dw);
    return 1e3 * best;
}

static double train_step_flops(const GptConfig *c, int B, int T)
{
    double N = (double)B * T, C = c->n_embd, L = c->n_layer, V = c->vocab_size;
    double linear = 6.0 * N * (L * 12.0 * C * C + V * C);
    double attention = 6.0 * B * L * 2.0 * C * (double)T * (T + 1) / 2.0;
    return linear + attention;
}

static int run(const BenchOptions *o, cJSON *out)
{
    enum { B = 32 };
    GptConfig cfg = gpt_config_make(4, 4, 128, 64);
    int T = cfg.n_positions;
    Status st;
    status_clear(&st);
    /* Random bytes: the speed of a step does not depend on the text. */
    TextData data = {.n = 1 << 16};
    data.bytes = malloc(data.n);
    if (!data.bytes) return cli_error("out of memory");
    Rng r;
    rng_seed(&r, 3);
    for (size_t i = 0; i < data.n; i++) data.bytes[i] = (unsigned char)rng_below(&r, 256);
    Gpt m;
    Trainer tr = {0};
    int steps = o->quick ? 3 : 30;
    TrainConfig tc = train_config_defaults(&cfg, 1000);
    tc.batch = B;
    if (gpt_init(&m, &cfg, &st)) {
        free(data.bytes);
        return cli_status(&st);
    }
    gpt_init_weights(&m, 1);
    if (trainer_init(&tr, &m, &data, &tc, &st)) {
        gpt_free(&m);
        free(data.bytes);
        return cli_status(&st);
    }
    int rc = 0;
    double *t_step = calloc((size_t)steps, sizeof(double));
    double *t_fwd = calloc((size_t)steps, sizeof(double));
    double *t_bwd = calloc((size_t)steps, sizeof(double));
    double *t_upd = calloc((size_t)steps, sizeof(double));
    /* The reference brackets this engine's timing (--quick skips it), at
     * each thread setting. */
    int torch_steps = 15, tt[MAX_TORCH_SETTINGS], bt[MAX_TORCH_SETTINGS];
    int n_settings = o->quick ? 0 : torch_settings(o->threads, tt, bt);
    TorchTiming torch_before[MAX_TORCH_SETTINGS], torch_after[MAX_TORCH_SETTINGS];
    if (n_settings && !o->json)
        fprintf(stderr, "timing the PyTorch reference (%d steps, %d thread setting%s)...\n", torch_steps,
                n_settings, n_settings == 1 ? "" : "s");
    for (int k = 0; k < n_settings; k++) torch_before[k] = time_pytorch(tt[k], bt[k], torch_steps);
    for (int i = 0; i < 3 && !rc; i++) rc = trainer_step(&tr, NULL, &st); /* warm-up */
    for (int i = 0; i < steps && !rc; i++) {
        TrainStepInfo info;
        double t0 = bench_now();
        rc = trainer_step(&tr, &info, &st);
        t_step[i] = bench_now() - t0;
        t_fwd[i] = info.t_forward;
        t_bwd[i] = info.t_backward;
        t_upd[i] = info.t_update;
    }
    TorchTiming torch = {.why = "skipped (--quick)"}, torch_all[MAX_TORCH_SETTINGS];
    for (int k = n_settings - 1; k >= 0; k--) {
        torch_after[k] = torch_before[k].ok ? time_pytorch(tt[k], bt[k], torch_steps) : torch_before[k];
        torch_all[k] = torch_merge(torch_before[k], torch_after[k]);
        if (k == n_settings - 1 || (torch_all[k].ok && (!torch.ok || torch_all[k].ms < torch.ms)))
            torch = torch_all[k];
    }
    if (rc) {
        rc = cli_status(&st);
    } else {
        double ms = 1e3 * bench_median(t_step, steps); /* sorts t_step */
        double ms_best = 1e3 * t_step[0];
        double fwd = 1e3 * bench_median(t_fwd, steps), bwd = 1e3 * bench_median(t_bwd, steps);
        double upd = 1e3 * bench_median(t_upd, steps);
        double flops = train_step_flops(&cfg, B, T);
        double gflops = flops / (ms * 1e-3) * 1e-9;
        double tok_s = (double)B * T / (ms * 1e-3);
        double peak = sgemm_gflops(o->quick ? 3 : 15);
        double floor_ms = products_floor_ms(&cfg, B, T, o->threads, o->quick ? 2 : 10);
        /* Issue 14: 70 % of the sgemm rate on one thread; on more, where the
         * many small products of a step scale worse than one big one, 55 %. */
        double target = o->threads == 1 ? 0.70 : 0.55;
        if (!o->json) {
            printf("config:           L%d H%d D%d T%d, batch %d (%zu parameters)\n", cfg.n_layer, cfg.n_head,
                   cfg.n_embd, T, B, m.num_params);
            printf("training step:    %.1f ms (median of %d, best %.1f); medians of the parts: forward %.1f, "
                   "backward %.1f, clip + AdamW %.1f\n",
                   ms, steps, ms_best, fwd, bwd, upd);
            printf("throughput:       %.0f tokens/s\n", tok_s);
            printf("matmul work:      %.2f GFLOP/step -> %.1f GFLOP/s = %.0f %% of sgemm 1024^3 (%.1f GFLOP/s) "
                   "(target >= %.0f %%): %s\n",
                   flops * 1e-9, gflops, 100.0 * gflops / peak, peak, 100.0 * target, gflops >= target * peak ? "PASS" : "MISS");
            printf("                  (the best step: %.0f %%; on a shared machine the median carries other jobs' "
                   "bursts)\n",
                   100.0 * flops / (ms_best * 1e-3) * 1e-9 / peak);
            printf("products alone:   %.1f ms (linear layers and head at the model's shapes, same threads): the "
                   "step takes %.2fx that\n",
                   floor_ms, ms / floor_ms);
            if (torch.ok) {
                for (int k = 0; k < n_settings; k++)
                    if (torch_all[k].ok)
                        printf("PyTorch %s:    %.1f ms/step (best %.1f) with %d torch thread%s and %d OpenBLAS "
                               "thread%s\n",
                               torch_all[k].version, torch_all[k].ms, torch_all[k].ms_best, tt[k],
                               tt[k] == 1 ? "" : "s", bt[k], bt[k] == 1 ? "" : "s");
                printf("vs PyTorch's best setting (%d torch, %d OpenBLAS threads), same step and config, timed "
                       "just before and after: this engine takes %.2fx its time: %s\n",
                       torch.torch_threads, torch.blas_threads, ms / torch.ms, ms < torch.ms ? "FASTER" : "SLOWER");
            } else
                printf("vs PyTorch:       not measured: %s\n", torch.why);
        }
        json_add_double(out, "ms_per_step", ms);
        json_add_double(out, "ms_per_step_best", ms_best);
        json_add_double(out, "ms_forward", fwd);
        json_add_double(out, "ms_backward", bwd);
        json_add_double(out, "ms_update", upd);
        json_add_double(out, "tokens_per_s", tok_s);
        json_add_double(out, "gflop_per_step", flops * 1e-9);
        json_add_double(out, "gflops", gflops);
        json_add_double(out, "sgemm_gflops", peak);
        json_add_double(out, "products_floor_ms", floor_ms);
        json_add_double(out, "fraction_of_sgemm", gflops / peak);
        json_add_double(out, "fraction_of_sgemm_best_step", flops / (ms_best * 1e-3) * 1e-9 / peak);
        cJSON_AddBoolToObject(out, "target_met", gflops >= target * peak);
        if (torch.ok) {
            json_add_double(out, "pytorch_ms_per_step", torch.ms);
            json_add_double(out, "pytorch_ms_per_step_best", torch.ms_best);
            cJSON_AddStringToObject(out, "pytorch_version", torch.version);
            cJSON_AddNumberToObject(out, "pytorch_torch_threads", torch.torch_threads);
            cJSON_AddNumberToObject(out, "pytorch_blas_threads", torch.blas_threads);
            cJSON_AddBoolToObject(out, "faster_than_pytorch", ms < torch.ms);
        } else {
            cJSON_AddNullToObject(out, "pytorch_ms_per_step");
            cJSON_AddStringToObject(out, "pytorch_note", torch.why);
            cJSON_AddNullToObject(out, "faster_than_pytorch");
        }
        cJSON_AddNumberToObject(out, "threads", o->threads);
        cJSON_AddNumberToObject(out, "steps_timed", steps);
        cJSON_AddNumberToObject(out, "batch", B);
        cJSON_AddNumberToObject(out, "n_layer", cfg.n_layer);
        cJSON_AddNumberToObject(out, "n_head", cfg.n_head);
        cJSON_AddNumberToObject(out, "n_embd", cfg.n_embd);
        cJSON_AddNumberToObject(out, "n_positions", T);
    }
    free(t_step);
    free(t_fwd);
    free(t_bwd);
    free(t_upd);
    trainer_free(&tr);
    gpt_free(&m);
    free(data.bytes);
    return rc;
}

const BenchEntry bench_train = {
    .name = "train",
    .summary = "one GPT training step, L4 H4 D128 T64 batch 32 (target: >= 70% of sgemm on 1 thread, 55% on more; < PyTorch's best)",
    .run = run,
};
