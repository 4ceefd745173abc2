/* lowrank.c — rank-k reconstruction and its error budget (see lowrank.h). */
#include "lowrank.h"

#include <math.h>

int lowrank_init(LowRank *lr, const Mat *a, Status *st)
{
    *lr = (LowRank){0};
    int rc = svd_compute(&lr->svd, a, st);
    if (rc) return rc;
    if ((rc = mat_clone(&lr->a, a, st))) {
        lowrank_free(lr);
        return rc;
    }
    const Svd *s = &lr->svd;
    if ((rc = mat_clone(&lr->us, &s->U, st))) {
        lowrank_free(lr);
        return rc;
    }
    for (int i = 0; i < s->m; i++)
        for (int j = 0; j < s->k; j++) MAT_AT(&lr->us, i, j) *= s->s[j];
    double e = 0.0;
    for (int i = 0; i < s->k; i++) e += (double)s->s[i] * s->s[i];
    lr->total_energy = e;
    return LS_OK;
}

void lowrank_free(LowRank *lr)
{
    if (!lr) return;
    svd_free(&lr->svd);
    mat_free(&lr->us);
    mat_free(&lr->a);
    *lr = (LowRank){0};
}

int lowrank_rebuild(Mat *out, const LowRank *lr, int k, Status *st)
{
    const Svd *s = &lr->svd;
    if (k < 0 || k > s->k)
        return status_fail(st, LS_ERR_RANGE, "rank %d is outside 0..%d", k, s->k);
    if (out->rows != s->m || out->cols != s->n)
        return status_fail(st, LS_ERR_ARG, "output is %d x %d, expected %d x %d", out->rows,
                           out->cols, s->m, s->n);
    if (2 * k <= s->k) {
        /* A_k = (U diag(s))[:, :k] · Vt[:k, :] */
        Mat us_k = mat_view(&lr->us, 0, 0, s->m, k);
        Mat vt_k = mat_view(&s->Vt, 0, 0, k, s->n);
        return linalg_gemm(out, &us_k, false, &vt_k, false, 1.0f, 0.0f, st);
    }
    /* A_k = A − (U diag(s))[:, k:] · Vt[k:, :]: fewer terms past half. */
    int drop = s->k - k;
    mat_copy(out, &lr->a);
    Mat us_d = mat_view(&lr->us, 0, k, s->m, drop);
    Mat vt_d = mat_view(&s->Vt, k, 0, drop, s->n);
    return linalg_gemm(out, &us_d, false, &vt_d, false, -1.0f, 1.0f, st);
}

void lowrank_rebuild_ref(Mat *out, const Svd *svd, int k)
{
    for (int i = 0; i < svd->m; i++)
        for (int j = 0; j < svd->n; j++) {
            double acc = 0.0;
            for (int r = 0; r < k; r++)
                acc += (double)MAT_AT(&svd->U, i, r) * svd->s[r] * MAT_AT(&svd->Vt, r, j);
            MAT_AT(out, i, j) = (float)acc;
        }
}

double lowrank_energy(const float *s, int n, int k)
{
    double kept = 0.0, total = 0.0;
    for (int i = 0; i < n; i++) {
        double e = (double)s[i] * s[i];
        total += e;
        if (i < k) kept += e;
    }
    return total > 0.0 ? kept / total : 1.0;
}

double lowrank_tail_norm(const float *s, int n, int k)
{
    double tail = 0.0;
    for (int i = k; i < n; i++) tail += (double)s[i] * s[i];
    return sqrt(tail);
}

long long lowrank_storage(int m, int n, int k) { return (long long)k * (m + n + 1); }

LowRankStats lowrank_stats(const LowRank *lr, int k)
{
    const Svd *s = &lr->svd;
    LowRankStats r = {.k = k};
    r.energy = lowrank_energy(s->s, s->k, k);
    r.tail_norm = lowrank_tail_norm(s->s, s->k, k);
    double norm = sqrt(lr->total_energy);
    r.relative_error = norm > 0.0 ? r.tail_norm / norm : 0.0;
    r.storage = lowrank_storage(s->m, s->n, k);
    r.full_storage = (long long)s->m * s->n;
    r.compression = r.storage > 0 ? (double)r.full_storage / (double)r.storage : 0.0;
    return r;
}
