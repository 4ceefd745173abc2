/* demo.c — the table of runnable demos (see demo.h). */
#include "demo.h"

#include <string.h>

#include "../base/paths.h"
#include "../core/io.h"
#include "demo_lora_cost.h"
#include "demo_rank.h"
#include "demo_spectrum.h"
#include "demo_svd.h"

int demo_args_matrix(Mat *out, const DemoArgs *args, Status *st)
{
    const char *file = demo_args_given(args, "matrix") ? demo_args_text(args, "matrix") : NULL;
    if (file) {
        char path[4096];
        if (paths_resolve(path, sizeof path, file) != 0)
            return status_fail(st, LS_ERR_RANGE, "%s: path too long", file);
        return io_read_matrix(out, path, st);
    }
    const char *rows = demo_args_text(args, "rows");
    if (!rows) return status_fail(st, LS_ERR_ARG, "the demo needs 'matrix' or 'rows'");
    return demo_rows_parse(out, rows, st);
}

/* ---- svd ---- */

static int svd_init(void *state, const DemoArgs *a, Status *st)
{
    char path[4096];
    const char *img = demo_args_text(a, "image");
    if (!img) return status_fail(st, LS_ERR_ARG, "the svd demo needs an image");
    if (paths_resolve(path, sizeof path, img) != 0)
        return status_fail(st, LS_ERR_RANGE, "%s: path too long", img);
    return svd_demo_init_image(state, path, (int)demo_args_int(a, "rank"), st);
}

static void svd_free_(void *state) { svd_demo_free(state); }

/* ---- spectrum ---- */

static int spectrum_init(void *state, const DemoArgs *a, Status *st)
{
    SpectrumParams p = {
        .size = (int)demo_args_int(a, "size"),
        .rank = (int)demo_args_int(a, "rank"),
        .noise = demo_args_real(a, "noise"),
        .seed = (uint64_t)demo_args_int(a, "seed"),
    };
    return spectrum_demo_init(state, &p, st);
}

static void spectrum_free_(void *state) { spectrum_demo_free(state); }

/* ---- matrix, rowreduce, rank-noise ---- */

static int matrix_init(void *state, const DemoArgs *a, Status *st)
{
    Mat m;
    int rc = demo_args_matrix(&m, a, st);
    if (rc) return rc;
    rc = matrix_demo_init(state, &m, st);
    mat_free(&m);
    return rc;
}

static int rowreduce_init(void *state, const DemoArgs *a, Status *st)
{
    Mat m;
    int rc = demo_args_matrix(&m, a, st);
    if (rc) return rc;
    rc = rowreduce_demo_init(state, &m, (int)demo_args_int(a, "step"), st);
    mat_free(&m);
    return rc;
}

static void rowreduce_free_(void *state) { rowreduce_demo_free(state); }

static int rank_noise_init(void *state, const DemoArgs *a, Status *st)
{
    Mat m;
    int rc = demo_args_matrix(&m, a, st);
    if (rc) return rc;
    rc = rank_noise_demo_init(state, &m, demo_args_real(a, "noise"), demo_args_real(a, "tolerance"),
                              (uint64_t)demo_args_int(a, "seed"), st);
    mat_free(&m);
    return rc;
}

static void nothing(void *state) { (void)state; }

/* ---- lora-cost ---- */

static int lora_cost_init(void *state, const DemoArgs *a, Status *st)
{
    (void)st;
    LoraCostDemo *d = state;
    d->d = demo_args_int(a, "d");
    d->k = demo_args_int(a, "k");
    d->r = demo_args_int(a, "rank");
    return LS_OK;
}

static const DemoImpl impl_svd = {"svd", sizeof(SvdDemo), svd_init, svd_free_};
static const DemoImpl impl_spectrum = {"spectrum", sizeof(SpectrumDemo), spectrum_init,
                                       spectrum_free_};
static const DemoImpl impl_matrix = {"matrix", sizeof(MatrixDemo), matrix_init, nothing};
static const DemoImpl impl_rowreduce = {"rowreduce", sizeof(RowReduceDemo), rowreduce_init,
                                        rowreduce_free_};
static const DemoImpl impl_rank_noise = {"rank-noise", sizeof(RankNoiseDemo), rank_noise_init,
                                         nothing};
static const DemoImpl impl_lora_cost = {"lora-cost", sizeof(LoraCostDemo), lora_cost_init,
                                        nothing};

const DemoImpl *const demo_impls[] = {
    &impl_matrix, &impl_rowreduce, &impl_rank_noise, &impl_svd,
    &impl_spectrum, &impl_lora_cost, NULL,
};

const DemoImpl *demo_impl_find(const char *name)
{
    if (!name) return NULL;
    for (int i = 0; demo_impls[i]; i++)
        if (strcmp(demo_impls[i]->name, name) == 0) return demo_impls[i];
    return NULL;
}
