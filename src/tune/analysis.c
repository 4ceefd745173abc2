/* analysis.c — spectra of ΔW, subspace similarity, amplification
 * (see analysis.h). */
#include "analysis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rng.h"
#include "../core/linalg.h"
#include "tune_lora.h"

int analysis_energy_rank(const float *s, int n, double frac)
{
    double total = 0;
    for (int i = 0; i < n; i++)
        total += (double)s[i] * s[i];
    if (total <= 0) return 0;
    double acc = 0;
    for (int i = 0; i < n; i++) {
        acc += (double)s[i] * s[i];
        if (acc >= frac * total) return i + 1;
    }
    return n;
}

/* Vt (r, in): the right singular vectors of A (r, in) as rows. */
static int right_vectors(Mat *vt, const float *A, int r, int in, Status *st)
{
    Mat a = mat_wrap((float *)A, r, in);
    Svd s;
    int rc = svd_compute(&s, &a, st);
    if (rc) return rc;
    rc = mat_init(vt, s.k, in, st);
    if (!rc) mat_copy(vt, &s.Vt);
    svd_free(&s);
    return rc;
}

int analysis_subspace_similarity(float *phi, const float *A1, int r1, const float *A2, int r2,
                                 int in, Status *st)
{
    if (r1 > in || r2 > in) return status_fail(st, LS_ERR_RANGE, "rank exceeds the input width");
    Mat v1, v2, m;
    int rc = right_vectors(&v1, A1, r1, in, st);
    if (rc) return rc;
    rc = right_vectors(&v2, A2, r2, in, st);
    if (rc) {
        mat_free(&v1);
        return rc;
    }
    /* M (r1, r2) = V1ᵀ-rows · V2ᵀ-rowsᵀ: cosines between the directions. */
    rc = mat_init(&m, r1, r2, st);
    if (!rc) rc = linalg_gemm(&m, &v1, false, &v2, true, 1.0f, 0.0f, st);
    if (!rc) {
        /* φ(i, j) = Σ_{a<i, b<j} M² / min(i, j), by 2-D prefix sums. */
        double *ps = calloc((size_t)(r1 + 1) * (r2 + 1), sizeof(double));
        if (!ps) rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
        for (int i = 1; !rc && i <= r1; i++)
            for (int j = 1; j <= r2; j++) {
                double x = MAT_AT(&m, i - 1, j - 1);
                ps[i * (r2 + 1) + j] = x * x + ps[(i - 1) * (r2 + 1) + j] +
                                       ps[i * (r2 + 1) + j - 1] - ps[(i - 1) * (r2 + 1) + j - 1];
                phi[(i - 1) * r2 + (j - 1)] = (float)(ps[i * (r2 + 1) + j] / (i < j ? i : j));
            }
        free(ps);
    }
    mat_free(&m);
    mat_free(&v1);
    mat_free(&v2);
    return rc;
}

/* ‖Uᵀ W V‖_F for U (in, r) given as columns of u (stride ldu) and V (cols, r)
 * given as rows of vt (r, cols). */
static double projected_norm(const float *W, int ldw, int in, int cols, const Mat *u, const Mat *vt,
                             int r)
{
    /* P (r, cols) = Uᵀ W, then Q (r, r) = P Vtᵀ. */
    float *P = malloc((size_t)r * cols * sizeof(float)), *Q = malloc((size_t)r * r * sizeof(float));
    if (!P || !Q) {
        free(P);
        free(Q);
        return NAN;
    }
    linalg_sgemm(true, false, r, cols, in, 1.0f, u->data, u->stride, W, ldw, 0.0f, P, cols);
    linalg_sgemm(false, true, r, r, cols, 1.0f, P, cols, vt->data, vt->stride, 0.0f, Q, r);
    double s = 0;
    for (int i = 0; i < r * r; i++)
        s += (double)Q[i] * Q[i];
    free(P);
    free(Q);
    return sqrt(s);
}

/* Orthonormal columns (n, r) from a seeded Gaussian matrix (via its SVD). */
static int random_frame(Mat *out, int n, int r, Rng *rng, Status *st)
{
    Mat g;
    int rc = mat_init(&g, n, r, st);
    if (rc) return rc;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < r; j++)
            MAT_AT(&g, i, j) = rng_normal(rng);
    Svd s;
    rc = svd_compute(&s, &g, st);
    mat_free(&g);
    if (rc) return rc;
    rc = mat_clone(out, &s.U, st);
    svd_free(&s);
    return rc;
}

int analysis_amplification(Amplification *out, const float *W, int ldw, const float *dW, int in,
                           int cols, int r, unsigned long long seed, Status *st)
{
    memset(out, 0, sizeof *out);
    int k = in < cols ? in : cols;
    if (r > k) r = k;
    out->r = r;
    Mat d = mat_wrap((float *)dW, in, cols), w;
    int rc = mat_init(&w, in, cols, st);
    if (rc) return rc;
    for (int i = 0; i < in; i++)
        memcpy(&MAT_AT(&w, i, 0), W + (size_t)i * ldw, (size_t)cols * sizeof(float));
    out->delta_norm = mat_frobenius(&d);
    Svd sd, sw;
    rc = svd_compute(&sd, &d, st);
    if (rc) {
        mat_free(&w);
        return rc;
    }
    rc = svd_compute(&sw, &w, st);
    if (!rc) {
        out->proj = projected_norm(W, ldw, in, cols, &sd.U, &sd.Vt, r);
        out->proj_top = projected_norm(W, ldw, in, cols, &sw.U, &sw.Vt, r);
        out->factor = out->proj > 0 ? out->delta_norm / out->proj : INFINITY;
        Rng rng;
        rng_seed(&rng, seed);
        Mat ru, rv;
        rc = random_frame(&ru, in, r, &rng, st);
        if (!rc) {
            rc = random_frame(&rv, cols, r, &rng, st);
            if (!rc) {
                /* rv is (cols, r); projected_norm wants rows (r, cols). */
                Mat rvt;
                rc = mat_init(&rvt, r, cols, st);
                if (!rc) {
                    for (int i = 0; i < cols; i++)
                        for (int j = 0; j < r; j++)
                            MAT_AT(&rvt, j, i) = MAT_AT(&rv, i, j);
                    out->proj_random = projected_norm(W, ldw, in, cols, &ru, &rvt, r);
                }
                mat_free(&rvt);
                mat_free(&rv);
            }
            mat_free(&ru);
        }
        svd_free(&sw);
    }
    svd_free(&sd);
    mat_free(&w);
    return rc;
}

// ----------------------------------------------------------------------------
// The lab's runs

/* The matrices of a block, as (family, first column, columns, input) in
 * units of C, with their names. */
static const struct {
    const char *name;
    GptTensorId family;
    GptLinearId linear;
    int col0, cols, in, ld;
} matrices[] = {
    {"q", GPT_QKVW, GPT_LINEAR_QKV, 0, 1, 1, 3},
    {"k", GPT_QKVW, GPT_LINEAR_QKV, 1, 1, 1, 3},
    {"v", GPT_QKVW, GPT_LINEAR_QKV, 2, 1, 1, 3},
    {"attn.c_proj", GPT_ATTPROJW, GPT_LINEAR_ATTPROJ, 0, 1, 1, 1},
    {"mlp.c_fc", GPT_FCW, GPT_LINEAR_FC, 0, 4, 1, 4},
    {"mlp.c_proj", GPT_FCPROJW, GPT_LINEAR_FCPROJ, 0, 1, 4, 1},
};
enum { N_MATRICES = sizeof matrices / sizeof matrices[0] };

/* Layer l's matrix i of model m: pointer (row stride via *ld). */
static const float *matrix_of(const Gpt *m, int l, int i, int *ld)
{
    int C = m->cfg.n_embd;
    GptTensorId f = matrices[i].family;
    size_t per = gpt_tensor_numel(&m->cfg, f) / (size_t)m->cfg.n_layer;
    *ld = matrices[i].ld * C;
    return m->params.t[f] + (size_t)l * per + (size_t)matrices[i].col0 * C;
}

/* Which row of `matrices` a LoRA module is. */
static int matrix_of_module(const LoraModule *mo, int C)
{
    for (int i = 0; i < N_MATRICES; i++)
        if (matrices[i].linear == mo->linear && matrices[i].col0 * C == mo->col0 &&
            matrices[i].cols * C == mo->cols)
            return i;
    return -1;
}

static int full_spectra(LabAnalysis *a, const Gpt *base, const Gpt *tuned, Status *st)
{
    int L = base->cfg.n_layer, C = base->cfg.n_embd;
    a->spectra = calloc((size_t)L * N_MATRICES, sizeof *a->spectra);
    if (!a->spectra) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    for (int l = 0; l < L; l++)
        for (int i = 0; i < N_MATRICES; i++) {
            int in = matrices[i].in * C, cols = matrices[i].cols * C, ld;
            const float *w0 = matrix_of(base, l, i, &ld), *w1 = matrix_of(tuned, l, i, &ld);
            Mat d, w;
            int rc = mat_init(&d, in, cols, st);
            if (!rc) rc = mat_init(&w, in, cols, st);
            if (rc) return rc;
            for (int r = 0; r < in; r++)
                for (int c = 0; c < cols; c++) {
                    MAT_AT(&d, r, c) = w1[(size_t)r * ld + c] - w0[(size_t)r * ld + c];
                    MAT_AT(&w, r, c) = w0[(size_t)r * ld + c];
                }
            DeltaSpectrum *s = &a->spectra[a->n_spectra];
            snprintf(s->name, sizeof s->name, "h.%d.%s", l, matrices[i].name);
            s->layer = l;
            s->in = in;
            s->out = cols;
            s->k = in < cols ? in : cols;
            s->sigma = malloc((size_t)s->k * sizeof(float));
            if (!s->sigma) rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
            if (!rc) rc = svd_values(s->sigma, &d, st);
            s->frobenius = mat_frobenius(&d);
            s->base_frobenius = mat_frobenius(&w);
            mat_free(&d);
            mat_free(&w);
            if (rc) return rc;
            s->rank90 = analysis_energy_rank(s->sigma, s->k, 0.90);
            s->rank99 = analysis_energy_rank(s->sigma, s->k, 0.99);
            a->n_spectra++;
        }
    return LS_OK;
}

static bool lora_like(const TuneRun *r)
{
    return tune_run_adapter(r) && !tune_lora_opts(&r->spec).pissa &&
           !r->diverged && r->step > 0;
}

int lab_analyze(LabAnalysis *a, Lab *lab, Status *st)
{
    memset(a, 0, sizeof *a);
    a->full_method = a->small_method = a->large_method = -1;
    const Gpt *base = lab_base(lab);
    int C = base->cfg.n_embd, L = base->cfg.n_layer, rc = LS_OK;

    /* 1. Full tuning's ΔW spectra (the first full run that trained). */
    for (int i = 0; i < lab->n_methods && a->full_method < 0; i++) {
        TuneRun *r = lab_method_run(lab, i);
        if (r->spec.kind == TUNE_FULL && !r->diverged && r->step > 0) a->full_method = i;
    }
    if (a->full_method >= 0)
        rc = full_spectra(a, base, &lab_method_run(lab, a->full_method)->model, st);

    /* 2. Subspace similarity: the smallest- and largest-rank plain LoRA runs
     * with the same targets. */
    for (int i = 0; i < lab->n_methods && !rc; i++) {
        TuneRun *ri = lab_method_run(lab, i);
        if (!lora_like(ri) || ri->spec.kind != TUNE_LORA) continue;
        for (int j = 0; j < lab->n_methods; j++) {
            TuneRun *rj = lab_method_run(lab, j);
            if (!lora_like(rj) || rj->spec.kind != TUNE_LORA ||
                tune_lora_opts(&rj->spec).targets != tune_lora_opts(&ri->spec).targets ||
                rj->spec.size <= ri->spec.size)
                continue;
            int span = rj->spec.size - ri->spec.size;
            int best = a->small_method >= 0 ? a->r_large - a->r_small : -1;
            if (span > best) {
                a->small_method = i;
                a->large_method = j;
                a->r_small = ri->spec.size;
                a->r_large = rj->spec.size;
            }
        }
    }
    if (!rc && a->small_method >= 0) {
        const LoraAdapter *s = tune_run_adapter(lab_method_run(lab, a->small_method));
        const LoraAdapter *g = tune_run_adapter(lab_method_run(lab, a->large_method));
        a->sim_in = s->mod[0].in;
        a->sims = calloc((size_t)L * s->n_mod, sizeof *a->sims);
        if (!a->sims) rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
        for (int l = 0; l < L && !rc; l++)
            for (int m = 0; m < s->n_mod && !rc; m++) {
                SubspaceSim *x = &a->sims[a->n_sims];
                int mi = matrix_of_module(&s->mod[m], C);
                snprintf(x->name, sizeof x->name, "h.%d.%s", l, mi >= 0 ? matrices[mi].name : "?");
                x->phi = malloc((size_t)a->r_small * a->r_large * sizeof(float));
                if (!x->phi) {
                    rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
                    break;
                }
                a->n_sims++;
                rc = analysis_subspace_similarity(x->phi, lora_A(s, l, m), a->r_small,
                                                  lora_A(g, l, m), a->r_large, s->mod[m].in, st);
            }
    }

    /* 3. Amplification of every plain LoRA run's ΔW against the base W. */
    int total = 0;
    for (int i = 0; i < lab->n_methods; i++) {
        TuneRun *r = lab_method_run(lab, i);
        if (lora_like(r)) total += L * tune_run_adapter(r)->n_mod;
    }
    if (!rc && total > 0) {
        a->amps = calloc((size_t)total, sizeof *a->amps);
        if (!a->amps) rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < lab->n_methods && !rc; i++) {
        TuneRun *r = lab_method_run(lab, i);
        if (!lora_like(r)) continue;
        const LoraAdapter *ad = tune_run_adapter(r);
        for (int l = 0; l < L && !rc; l++)
            for (int m = 0; m < ad->n_mod && !rc; m++) {
                int mi = matrix_of_module(&ad->mod[m], C), ld;
                if (mi < 0) continue;
                int in = ad->mod[m].in, cols = ad->mod[m].cols;
                float *dw = malloc((size_t)in * cols * sizeof(float));
                if (!dw) {
                    rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
                    break;
                }
                lora_delta(ad, l, m, dw);
                AmplificationRow *row = &a->amps[a->n_amps];
                row->method = i;
                snprintf(row->name, sizeof row->name, "h.%d.%s", l, matrices[mi].name);
                const float *W = matrix_of(base, l, mi, &ld);
                rc = analysis_amplification(&row->amp, W, ld, dw, in, cols, ad->rank,
                                            7 + (unsigned long long)l, st);
                free(dw);
                if (!rc) a->n_amps++;
            }
    }
    if (rc) lab_analysis_free(a);
    return rc;
}

void lab_analysis_free(LabAnalysis *a)
{
    if (!a) return;
    for (int i = 0; i < a->n_spectra; i++)
        free(a->spectra[i].sigma);
    free(a->spectra);
    for (int i = 0; i < a->n_sims; i++)
        free(a->sims[i].phi);
    free(a->sims);
    free(a->amps);
    memset(a, 0, sizeof *a);
    a->full_method = a->small_method = a->large_method = -1;
}
