/* demo_svd.c — the rank-k photograph (see demo_svd.h). */
#include "demo_svd.h"

#include <math.h>
#include <string.h>

#include "../core/io.h"
#include "demo_image.h"

int svd_demo_init_mat(SvdDemo *d, const Mat *a, int k, Status *st)
{
    memset(d, 0, sizeof *d);
    int rc;
    if (a->rows < 1 || a->cols < 1) return status_fail(st, LS_ERR_ARG, "the image is empty");
    if ((rc = mat_clone(&d->original, a, st))) goto fail;
    if ((rc = lowrank_init(&d->lr, &d->original, st))) goto fail;
    if ((rc = mat_init(&d->approx, a->rows, a->cols, st))) goto fail;
    if ((rc = mat_init(&d->error, a->rows, a->cols, st))) goto fail;
    d->res.m = a->rows;
    d->res.n = a->cols;
    d->res.k_max = d->lr.svd.k;
    d->res.s = d->lr.svd.s;
    d->res.norm_a = sqrt(d->lr.total_energy);
    if ((rc = svd_demo_set_rank(d, k, st))) goto fail;
    return LS_OK;
fail:
    svd_demo_free(d);
    return rc;
}

int svd_demo_init_image(SvdDemo *d, const char *path, int k, Status *st)
{
    Mat img = {0};
    char note[sizeof d->note];
    memset(d, 0, sizeof *d);
    int rc = demo_read_image(&img, path, note, sizeof note, st);
    if (rc) return rc;
    rc = svd_demo_init_mat(d, &img, k, st);
    mat_free(&img);
    if (!rc) memcpy(d->note, note, sizeof note);
    return rc;
}

int svd_demo_set_rank(SvdDemo *d, int k, Status *st)
{
    SvdDemoResult *r = &d->res;
    if (k < 1) k = 1;
    if (k > r->k_max) k = r->k_max;
    int rc = lowrank_rebuild(&d->approx, &d->lr, k, st);
    if (rc) return rc;
    r->k = k;
    r->stats = lowrank_stats(&d->lr, k);
    r->err_predicted = lowrank_tail_norm(r->s, r->k_max, k);
    /* The measured error, straight from the pixels, in double. */
    double sum = 0, worst = 0;
    for (int i = 0; i < r->m; i++)
        for (int j = 0; j < r->n; j++) {
            double e = (double)MAT_AT(&d->original, i, j) - MAT_AT(&d->approx, i, j);
            MAT_AT(&d->error, i, j) = (float)e;
            sum += e * e;
            if (fabs(e) > worst) worst = fabs(e);
        }
    r->err_measured = sqrt(sum);
    r->max_pixel_err = worst;
    return LS_OK;
}

void svd_demo_free(SvdDemo *d)
{
    if (!d) return;
    lowrank_free(&d->lr);
    mat_free(&d->original);
    mat_free(&d->approx);
    mat_free(&d->error);
    memset(d, 0, sizeof *d);
}
