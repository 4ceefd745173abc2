/* test_layers_par.c — the layers split between a pool's threads give the
 * serial kernels' results (src/nn/layers_par.h), with 2 and 3 threads (an
 * uneven split), and the pool itself runs every share exactly once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/base/rng.h"
#include "../src/nn/layers.h"
#include "../src/nn/layers_par.h"

static float *rnd(size_t n, Rng *r, float scale)
{
    float *x = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) x[i] = scale * rng_normal(r);
    return x;
}

static float *copy(const float *x, size_t n)
{
    float *y = malloc(n * sizeof(float));
    memcpy(y, x, n * sizeof(float));
    return y;
}

static void close_to_at(int line, const float *a, const float *b, size_t n, double tol)
{
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]), s = fabs((double)a[i]) + fabs((double)b[i]) + 1.0;
        if (d / s > tol) {
            print_error("line %d, entry %zu: %.9g vs %.9g\n", line, i, (double)a[i], (double)b[i]);
            fail();
        }
    }
}

#define close_to(a, b, n, tol) close_to_at(__LINE__, a, b, n, tol)

static void count_task(void *ctx, int i, int n)
{
    int *hits = ctx;
    __atomic_fetch_add(&hits[i], n, __ATOMIC_RELAXED);
}

static void test_pool_runs_each_share(void **state)
{
    (void)state;
    Pool *p;
    assert_int_equal(pool_new(&p, 3, NULL), LS_OK);
    int hits[3] = {0};
    for (int k = 0; k < 100; k++) pool_run(p, count_task, hits);
    for (int i = 0; i < 3; i++) assert_int_equal(hits[i], 300);
    pool_delete(p);
    assert_int_equal(pool_new(&p, 1, NULL), LS_ERR_ARG);
    int lo, hi, covered = 0;
    for (int i = 0; i < 3; i++) {
        pool_share(i, 3, 100, 16, &lo, &hi);
        assert_int_equal(lo, covered);
        assert_true(lo % 16 == 0 && hi >= lo);
        covered = hi;
    }
    assert_int_equal(covered, 100);
}

static void check_with(int threads)
{
    enum { B = 3, T = 7, C = 16, NH = 2, P = 2, V = 37 };
    int N = B * T, S = P + T;
    Pool *p;
    assert_int_equal(pool_new(&p, threads, NULL), LS_OK);
    size_t per = par_scratch_floats(C, T, P);
    ParScratch sc = {malloc((size_t)(threads - 1) * per * sizeof(float)), per};
    Rng r;
    rng_seed(&r, (unsigned long long)threads);

    /* LayerNorm forward and backward (with parameter gradients). */
    float *x = rnd((size_t)N * C, &r, 1.0f), *w = rnd(C, &r, 1.0f), *b = rnd(C, &r, 1.0f);
    float *o1 = malloc((size_t)N * C * 4), *o2 = malloc((size_t)N * C * 4);
    float m1[N], m2[N], s1[N], s2[N];
    layernorm_forward(o1, m1, s1, x, w, b, 1e-5f, N, C);
    par_layernorm_forward(p, o2, m2, s2, x, w, b, 1e-5f, N, C);
    close_to(o1, o2, (size_t)N * C, 0.0);
    float *dout = rnd((size_t)N * C, &r, 1.0f), *dx1 = rnd((size_t)N * C, &r, 1.0f), *dx2 = copy(dx1, (size_t)N * C);
    float *dw1 = rnd(C, &r, 1.0f), *dw2 = copy(dw1, C), *db1 = rnd(C, &r, 1.0f), *db2 = copy(db1, C);
    layernorm_backward(dx1, dw1, db1, dout, x, w, m1, s1, N, C);
    par_layernorm_backward(p, sc, dx2, dw2, db2, dout, x, w, m1, s1, N, C);
    close_to(dx1, dx2, (size_t)N * C, 0.0);
    close_to(dw1, dw2, C, 1e-5);
    close_to(db1, db2, C, 1e-5);

    /* Linear forward, residual forward, backward with every gradient. */
    int IC = C, OC = 3 * C;
    float *wt = rnd((size_t)IC * OC, &r, 0.3f), *bias = rnd(OC, &r, 1.0f);
    float *y1 = malloc((size_t)N * OC * 4), *y2 = malloc((size_t)N * OC * 4);
    matmul_forward(y1, x, wt, bias, N, IC, OC);
    par_matmul_forward(p, y2, x, wt, bias, N, IC, OC);
    close_to(y1, y2, (size_t)N * OC, 1e-6);
    float *res = rnd((size_t)N * OC, &r, 1.0f);
    matmul_forward_residual(y1, res, x, wt, bias, N, IC, OC);
    par_matmul_forward_residual(p, y2, res, x, wt, bias, N, IC, OC);
    close_to(y1, y2, (size_t)N * OC, 1e-6);
    float *dy = rnd((size_t)N * OC, &r, 1.0f);
    float *gw1 = rnd((size_t)IC * OC, &r, 1.0f), *gw2 = copy(gw1, (size_t)IC * OC);
    float *gb1 = rnd(OC, &r, 1.0f), *gb2 = copy(gb1, OC);
    matmul_backward(dx1, gw1, gb1, dy, x, wt, N, IC, OC);
    par_matmul_backward(p, dx2, gw2, gb2, dy, x, wt, N, IC, OC);
    close_to(dx1, dx2, (size_t)N * IC, 1e-5);
    close_to(gw1, gw2, (size_t)IC * OC, 1e-5);
    close_to(gb1, gb2, OC, 1e-5);

    /* Attention with a prefix, forward and backward. */
    float *qkv = rnd((size_t)N * 3 * C, &r, 1.0f), *pk = rnd((size_t)P * C, &r, 1.0f), *pv = rnd((size_t)P * C, &r, 1.0f);
    size_t na = (size_t)B * NH * T * S;
    float *a1 = malloc(na * 4), *a2 = malloc(na * 4), *at1 = malloc((size_t)N * C * 4), *at2 = malloc((size_t)N * C * 4);
    attention_forward(at1, a1, qkv, pk, pv, B, T, C, NH, P);
    par_attention_forward(p, at2, a2, qkv, pk, pv, B, T, C, NH, P);
    close_to(at1, at2, (size_t)N * C, 0.0);
    close_to(a1, a2, na, 0.0);
    float *dq1 = malloc((size_t)N * 3 * C * 4), *dq2 = malloc((size_t)N * 3 * C * 4), datt[T * S];
    float *dpk1 = rnd((size_t)P * C, &r, 1.0f), *dpk2 = copy(dpk1, (size_t)P * C);
    float *dpv1 = rnd((size_t)P * C, &r, 1.0f), *dpv2 = copy(dpv1, (size_t)P * C);
    attention_backward(dq1, dpk1, dpv1, datt, dout, qkv, a1, pk, pv, B, T, C, NH, P);
    par_attention_backward(p, datt, sc, dq2, dpk2, dpv2, dout, qkv, a1, pk, pv, B, T, C, NH, P);
    close_to(dq1, dq2, (size_t)N * 3 * C, 0.0);
    close_to(dpk1, dpk2, (size_t)P * C, 1e-5);
    close_to(dpv1, dpv2, (size_t)P * C, 1e-5);

    /* GELU forward, backward with and without the bias gradient. */
    int H = 4 * C;
    float *h = rnd((size_t)N * H, &r, 2.0f), *dh = rnd((size_t)N * H, &r, 1.0f);
    float *g1 = malloc((size_t)N * H * 4), *g2 = malloc((size_t)N * H * 4);
    gelu_forward(g1, h, (size_t)N * H);
    par_gelu_forward(p, g2, h, (size_t)N * H);
    close_to(g1, g2, (size_t)N * H, 0.0);
    float *hb1 = rnd(H, &r, 1.0f), *hb2 = copy(hb1, H);
    gelu_backward_bias(g1, hb1, h, dh, N, H);
    par_gelu_backward_bias(p, sc, g2, hb2, h, dh, N, H);
    close_to(g1, g2, (size_t)N * H, 0.0);
    close_to(hb1, hb2, H, 1e-5);
    gelu_backward(g1, h, dh, (size_t)N * H);
    par_gelu_backward_bias(p, sc, g2, NULL, h, dh, N, H);
    close_to(g1, g2, (size_t)N * H, 0.0);

    /* Cross-entropy with its gradient, and the head's products. */
    float *lg1 = rnd((size_t)N * V, &r, 2.0f), *lg2 = copy(lg1, (size_t)N * V), l1[N], l2[N];
    int tg[N];
    for (int i = 0; i < N; i++) tg[i] = (int)rng_below(&r, V);
    crossentropy_forward(l1, lg1, tg, 1.0f / N, N, V);
    par_crossentropy_forward(p, l2, lg2, tg, 1.0f / N, N, V);
    close_to(l1, l2, N, 0.0);
    close_to(lg1, lg2, (size_t)N * V, 0.0);
    float *wte = rnd((size_t)V * C, &r, 1.0f), *hd1 = malloc((size_t)N * V * 4), *hd2 = malloc((size_t)N * V * 4);
    for (int t = 0; t < 2; t++) { /* rows split (M >= N) and columns split */
        bool ta = t == 1;
        int M = ta ? V : N, K = ta ? N : C, Nn = ta ? C : V;
        const float *A = ta ? lg1 : o1, *Bm = ta ? o1 : wte;
        par_sgemm(NULL, ta, !ta, M, Nn, K, 1.0f, A, ta ? V : C, Bm, C, 0.0f, hd1, Nn);
        par_sgemm(p, ta, !ta, M, Nn, K, 1.0f, A, ta ? V : C, Bm, C, 0.0f, hd2, Nn);
        close_to(hd1, hd2, (size_t)M * Nn, 1e-6);
    }

    free(x), free(w), free(b), free(o1), free(o2), free(dout), free(dx1), free(dx2), free(dw1), free(dw2);
    free(db1), free(db2), free(wt), free(bias), free(y1), free(y2), free(res), free(dy), free(gw1), free(gw2);
    free(gb1), free(gb2), free(qkv), free(pk), free(pv), free(a1), free(a2), free(at1), free(at2), free(dq1);
    free(dq2), free(dpk1), free(dpk2), free(dpv1), free(dpv2), free(h), free(dh), free(g1), free(g2), free(hb1);
    free(hb2), free(lg1), free(lg2), free(wte), free(hd1), free(hd2);
    free(sc.f);
    pool_delete(p);
}

static void test_two_threads(void **state)
{
    (void)state;
    check_with(2);
}

static void test_three_threads(void **state)
{
    (void)state;
    check_with(3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_runs_each_share),
        cmocka_unit_test(test_two_threads),
        cmocka_unit_test(test_three_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
