/* bench_svd.c — the rank slider's promise: after one SVD, rebuilding a
 * 512 x 512 image at any rank k takes <= 2 ms, so the slider can redraw at
 * 60 frames per second. Every k from 1 to 512 is timed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../base/json_out.h"
#include "../base/paths.h"
#include "../base/rng.h"
#include "../core/io.h"
#include "../core/lowrank.h"
#include "bench.h"
#include "cli.h"

enum { SIZE = 512 };

/* A 512 x 512 test image: the shipped photograph scaled up 2x (bilinear) when
 * it can be found, else smooth noise. Timing does not depend on content, but a
 * real picture keeps the figures honest about what the lesson does. */
static int make_image(Mat *img, const char **source, Status *st)
{
    int rc = mat_init(img, SIZE, SIZE, st);
    if (rc) return rc;
    char path[4096];
    Mat photo = {0};
    Status ignore;
    if (paths_resolve(path, sizeof path, "data/images/boats.pgm") == 0 &&
        io_read_image(&photo, path, &ignore) == LS_OK && photo.rows >= 2 && photo.cols >= 2) {
        for (int i = 0; i < SIZE; i++)
            for (int j = 0; j < SIZE; j++) {
                float y = (float)i * (float)(photo.rows - 1) / (SIZE - 1);
                float x = (float)j * (float)(photo.cols - 1) / (SIZE - 1);
                int y0 = (int)y, x0 = (int)x;
                int y1 = y0 + 1 < photo.rows ? y0 + 1 : y0, x1 = x0 + 1 < photo.cols ? x0 + 1 : x0;
                float fy = y - (float)y0, fx = x - (float)x0;
                float top = MAT_AT(&photo, y0, x0) * (1 - fx) + MAT_AT(&photo, y0, x1) * fx;
                float bot = MAT_AT(&photo, y1, x0) * (1 - fx) + MAT_AT(&photo, y1, x1) * fx;
                MAT_AT(img, i, j) = top * (1 - fy) + bot * fy;
            }
        *source = "data/images/boats.pgm scaled to 512x512";
        mat_free(&photo);
        return LS_OK;
    }
    Rng r;
    rng_seed(&r, 1);
    for (int i = 0; i < SIZE; i++)
        for (int j = 0; j < SIZE; j++)
            MAT_AT(img, i, j) = 0.5f + 0.25f * sinf((float)i / 17.0f) * cosf((float)j / 23.0f) +
                                0.05f * rng_normal(&r);
    *source = "synthetic 512x512 (photo not found)";
    return LS_OK;
}

static int run(const BenchOptions *o, cJSON *out)
{
    Status st;
    status_clear(&st);
    Mat img = {0}, work = {0};
    LowRank lr = {0};
    const char *source = "";
    if (make_image(&img, &source, &st) || mat_init(&work, SIZE, SIZE, &st)) {
        mat_free(&img);
        return cli_status(&st);
    }
    double t0 = bench_now();
    if (lowrank_init(&lr, &img, &st)) {
        mat_free(&img);
        mat_free(&work);
        return cli_status(&st);
    }
    double svd_ms = 1e3 * (bench_now() - t0);

    /* Best of `reps` for every k; the slider's worst case is the max. */
    int reps = o->quick ? 1 : 5, step = o->quick ? 37 : 1;
    double worst = 0.0, total = 0.0;
    int worst_k = 1, count = 0;
    double *per_k = calloc(SIZE + 1, sizeof(double));
    lowrank_rebuild(&work, &lr, SIZE, &st); /* warm-up: page in buffers */
    for (int k = 1; k <= SIZE; k += step) {
        double best = 1e30;
        for (int r = 0; r < reps; r++) {
            double s = bench_now();
            lowrank_rebuild(&work, &lr, k, &st);
            double ms = 1e3 * (bench_now() - s);
            if (ms < best) best = ms;
        }
        per_k[k] = best;
        total += best;
        count++;
        if (best > worst) {
            worst = best;
            worst_k = k;
        }
    }
    double sorted[SIZE];
    int n = 0;
    for (int k = 1; k <= SIZE; k += step) sorted[n++] = per_k[k];
    bench_sort(sorted, n);
    double median = sorted[n / 2];

    static const int sample_ks[] = {1, 8, 32, 64, 128, 256, 512};
    if (!o->json) {
        printf("image:            %s\n", source);
        printf("sgesdd 512x512:   %.1f ms (%s, once per image)\n", svd_ms, lr.svd.routine);
        printf("rank-k rebuild:   ");
        for (size_t i = 0; i < sizeof sample_ks / sizeof *sample_ks; i++)
            if (per_k[sample_ks[i]] > 0) printf("k=%d %.3f ms  ", sample_ks[i], per_k[sample_ks[i]]);
        printf("\n                  median %.3f ms, worst %.3f ms at k=%d over %d ranks "
               "(target <= 2 ms): %s\n",
               median, worst, worst_k, count, worst <= 2.0 ? "PASS" : "MISS");
    }
    json_add_double(out, "svd_ms", svd_ms);
    json_add_double(out, "rebuild_median_ms", median);
    json_add_double(out, "rebuild_worst_ms", worst);
    cJSON_AddNumberToObject(out, "rebuild_worst_k", worst_k);
    cJSON_AddNumberToObject(out, "ranks_timed", count);
    json_add_double(out, "rebuild_mean_ms", total / count);
    cJSON *ks = cJSON_AddObjectToObject(out, "rebuild_ms_at_k");
    for (size_t i = 0; i < sizeof sample_ks / sizeof *sample_ks; i++) {
        char key[16];
        snprintf(key, sizeof key, "%d", sample_ks[i]);
        if (per_k[sample_ks[i]] > 0) json_add_double(ks, key, per_k[sample_ks[i]]);
    }
    cJSON_AddBoolToObject(out, "target_met", worst <= 2.0);
    cJSON_AddStringToObject(out, "image", source);
    free(per_k);
    lowrank_free(&lr);
    mat_free(&work);
    mat_free(&img);
    return 0;
}

const BenchEntry bench_svd = {
    .name = "svd",
    .summary = "rank-k rebuild of a 512x512 image after one SVD (target <= 2 ms every k)",
    .run = run,
};
