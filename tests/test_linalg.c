/* test_linalg.c — the numeric core: products against the reference, the SVD,
 * Eckart–Young, numerical rank, and the rank-k rebuild. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../src/base/rng.h"
#include "../src/core/io.h"
#include "../src/core/linalg.h"
#include "../src/core/lowrank.h"

static void fill_random(Mat *m, uint64_t seed)
{
    Rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < m->rows; i++)
        for (int j = 0; j < m->cols; j++) MAT_AT(m, i, j) = rng_normal(&r);
}

static Mat make(int rows, int cols, const float *v)
{
    Mat m;
    assert_int_equal(mat_init(&m, rows, cols, NULL), LS_OK);
    for (int i = 0; i < rows * cols; i++) m.data[i] = v[i];
    return m;
}

static int rank_of(const Mat *a, float tol)
{
    int k = a->rows < a->cols ? a->rows : a->cols;
    float *s = malloc((size_t)k * sizeof(float));
    assert_non_null(s);
    assert_int_equal(svd_values(s, a, NULL), LS_OK);
    if (tol < 0) tol = rank_default_tolerance(s, k, a->rows, a->cols);
    int r = rank_from_values(s, k, tol);
    free(s);
    return r;
}

/* ------------------------------------------------------------------------ */

static void test_gemm_matches_reference(void **state)
{
    (void)state;
    static const int shapes[][3] = {{1, 1, 1}, {3, 5, 4}, {17, 9, 33}, {64, 64, 64}, {100, 3, 70}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int M = shapes[s][0], K = shapes[s][1], N = shapes[s][2];
        Mat a, b, c, ref;
        mat_init(&a, M, K, NULL);
        mat_init(&b, K, N, NULL);
        mat_init(&c, M, N, NULL);
        mat_init(&ref, M, N, NULL);
        fill_random(&a, 10 + s);
        fill_random(&b, 20 + s);
        assert_int_equal(linalg_gemm(&c, &a, false, &b, false, 1.0f, 0.0f, NULL), LS_OK);
        mat_mul_ref(&ref, &a, &b);
        assert_true(mat_max_abs_diff(&c, &ref) <= 1e-4 * (1.0 + K));
        mat_free(&a);
        mat_free(&b);
        mat_free(&c);
        mat_free(&ref);
    }
}

/* Transposed operands and views with a stride wider than their columns. */
static void test_gemm_transposes_and_views(void **state)
{
    (void)state;
    Mat big, bt, c, ref, at;
    mat_init(&big, 20, 30, NULL);
    fill_random(&big, 3);
    Mat a = mat_view(&big, 2, 3, 6, 7);   /* 6 x 7 view, stride 30 */
    mat_init(&bt, 5, 7, NULL);            /* B stored transposed: 5 x 7 */
    fill_random(&bt, 4);
    mat_init(&c, 6, 5, NULL);
    assert_int_equal(linalg_gemm(&c, &a, false, &bt, true, 1.0f, 0.0f, NULL), LS_OK);
    /* Reference: materialise Bᵀ. */
    Mat b;
    mat_init(&b, 7, 5, NULL);
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 5; j++) MAT_AT(&b, i, j) = MAT_AT(&bt, j, i);
    mat_init(&ref, 6, 5, NULL);
    mat_mul_ref(&ref, &a, &b);
    assert_true(mat_max_abs_diff(&c, &ref) < 1e-4);
    /* Aᵀ stored: (7 x 6), used with trans_a. */
    mat_init(&at, 7, 6, NULL);
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 7; j++) MAT_AT(&at, j, i) = MAT_AT(&a, i, j);
    assert_int_equal(linalg_gemm(&c, &at, true, &b, false, 1.0f, 0.0f, NULL), LS_OK);
    assert_true(mat_max_abs_diff(&c, &ref) < 1e-4);
    /* Shape mismatch is an error with a message, not a crash. */
    Status st;
    assert_int_equal(linalg_gemm(&c, &a, false, &bt, false, 1.0f, 0.0f, &st), LS_ERR_ARG);
    assert_non_null(strstr(st.msg, "shapes"));
    mat_free(&big);
    mat_free(&bt);
    mat_free(&b);
    mat_free(&c);
    mat_free(&ref);
    mat_free(&at);
}

static void check_reconstruction(const Mat *a)
{
    Svd svd;
    assert_int_equal(svd_compute(&svd, a, NULL), LS_OK);
    for (int i = 1; i < svd.k; i++) assert_true(svd.s[i - 1] >= svd.s[i]);
    Mat back;
    mat_init(&back, a->rows, a->cols, NULL);
    lowrank_rebuild_ref(&back, &svd, svd.k);
    double rel = mat_frobenius_diff(a, &back) / mat_frobenius(a);
    assert_true(rel < 1e-5);
    mat_free(&back);
    svd_free(&svd);
}

static void test_svd_reconstructs_input(void **state)
{
    (void)state;
    static const int shapes[][2] = {{1, 1}, {5, 5}, {8, 3}, {3, 8}, {60, 40}, {40, 60}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        Mat a;
        mat_init(&a, shapes[s][0], shapes[s][1], NULL);
        fill_random(&a, 100 + s);
        check_reconstruction(&a);
        mat_free(&a);
    }
}

static void test_svd_fallback_to_gesvd(void **state)
{
    (void)state;
    Mat a;
    mat_init(&a, 30, 20, NULL);
    fill_random(&a, 7);
    Svd first, second;
    assert_int_equal(svd_compute(&first, &a, NULL), LS_OK);
    assert_string_equal(first.routine, "sgesdd");
    assert_int_equal(svd_compute_with(&second, &a, true, NULL), LS_OK);
    assert_string_equal(second.routine, "sgesvd");
    for (int i = 0; i < first.k; i++)
        assert_float_equal(first.s[i], second.s[i], 1e-4f * first.s[0]);
    /* The choice was this call's only: the next one is sgesdd again. */
    Svd third;
    assert_int_equal(svd_compute(&third, &a, NULL), LS_OK);
    assert_string_equal(third.routine, "sgesdd");
    svd_free(&third);
    svd_free(&first);
    svd_free(&second);
    mat_free(&a);
}

/* ‖A − A_k‖_F = sqrt(Σ_{i>k} σᵢ²) to 1e-4 relative, for every k. Near full
 * rank the dropped tail falls below what a float32 rebuild can resolve, so
 * the comparison also allows that round-off floor: 16·ε·‖A‖_F (measured
 * worst case on the photograph: 9·ε·‖A‖_F at k = min(m, n)). */
static void check_eckart_young(const Mat *a)
{
    LowRank lr;
    assert_int_equal(lowrank_init(&lr, a, NULL), LS_OK);
    Mat ak, ref;
    mat_init(&ak, a->rows, a->cols, NULL);
    mat_init(&ref, a->rows, a->cols, NULL);
    double norm = mat_frobenius(a);
    for (int k = 0; k <= lr.svd.k; k++) {
        assert_int_equal(lowrank_rebuild(&ak, &lr, k, NULL), LS_OK);
        double measured = mat_frobenius_diff(a, &ak);
        double predicted = lowrank_tail_norm(lr.svd.s, lr.svd.k, k);
        double floor = 16.0 * FLT_EPSILON * norm;
        if (fabs(measured - predicted) > 1e-4 * predicted + floor)
            fail_msg("k=%d: measured %.9g, predicted %.9g", k, measured, predicted);
        if (k % 7 == 0) { /* the fast path equals the plain-loop reference */
            lowrank_rebuild_ref(&ref, &lr.svd, k);
            assert_true(mat_max_abs_diff(&ak, &ref) <= 1e-4 * (1.0 + mat_max_abs(a)));
        }
        LowRankStats s = lowrank_stats(&lr, k);
        assert_true(fabs(s.relative_error - predicted / norm) <= 1e-5 * (predicted / norm) + 1e-9);
        assert_true(fabs(s.energy * norm * norm + predicted * predicted - norm * norm) <=
                    1e-3 * norm * norm);
    }
    mat_free(&ak);
    mat_free(&ref);
    lowrank_free(&lr);
}

static void test_eckart_young_random(void **state)
{
    (void)state;
    Mat a;
    mat_init(&a, 48, 32, NULL);
    fill_random(&a, 11);
    check_eckart_young(&a);
    mat_free(&a);
}

static void test_eckart_young_image(void **state)
{
    (void)state;
    Mat img;
    Status st;
    int rc = io_read_image(&img, "data/images/boats.pgm", &st);
    if (rc) fail_msg("cannot read the test photograph: %s", st.msg);
    check_eckart_young(&img);
    mat_free(&img);
}

static void test_storage_and_energy(void **state)
{
    (void)state;
    assert_int_equal(lowrank_storage(256, 256, 8), 8 * (256 + 256 + 1));
    float s[] = {3, 4, 0};
    assert_true(fabs(lowrank_energy(s, 3, 1) - 9.0 / 25.0) < 1e-12);
    assert_true(fabs(lowrank_energy(s, 3, 2) - 1.0) < 1e-12);
    assert_true(fabs(lowrank_tail_norm(s, 3, 1) - 4.0) < 1e-12);
    float z[] = {0, 0};
    assert_true(lowrank_energy(z, 2, 0) == 1.0);
}

/* ------------------------------------------------------------------------ */

static void test_rank_known_matrices(void **state)
{
    (void)state;
    /* The lesson's example: column 3 = column 1 + column 2. */
    float ex[] = {1, 2, 3, 1, 5, 6, 3, 4, 7};
    Mat a = make(3, 3, ex);
    assert_int_equal(rank_of(&a, -1), 2);
    mat_free(&a);

    for (int n = 1; n <= 6; n++) {
        Mat id;
        mat_init(&id, n, n, NULL);
        for (int i = 0; i < n; i++) MAT_AT(&id, i, i) = 1.0f;
        assert_int_equal(rank_of(&id, -1), n);
        mat_free(&id);
    }

    Mat outer;
    mat_init(&outer, 7, 5, NULL);
    Rng r;
    rng_seed(&r, 5);
    float u[7], v[5];
    for (int i = 0; i < 7; i++) u[i] = rng_normal(&r);
    for (int j = 0; j < 5; j++) v[j] = rng_normal(&r);
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 5; j++) MAT_AT(&outer, i, j) = u[i] * v[j];
    assert_int_equal(rank_of(&outer, -1), 1);
    mat_free(&outer);

    Mat zero;
    mat_init(&zero, 4, 6, NULL);
    assert_int_equal(rank_of(&zero, -1), 0);
    mat_free(&zero);
}

/* A rank-2 matrix plus noise of 1e-7: numerically full rank when the
 * tolerance is tight, rank 2 at the default σ₁·max(m,n)·ε. */
static void test_rank_noise_against_tolerance(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 9);
    enum { M = 6, N = 5 };
    float u[2][M], v[2][N];
    for (int t = 0; t < 2; t++) {
        for (int i = 0; i < M; i++) u[t][i] = rng_uniform(&r) - 0.5f;
        for (int j = 0; j < N; j++) v[t][j] = rng_uniform(&r) - 0.5f;
    }
    Mat a, noisy;
    mat_init(&a, M, N, NULL);
    mat_init(&noisy, M, N, NULL);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            MAT_AT(&a, i, j) = u[0][i] * v[0][j] + u[1][i] * v[1][j];
            MAT_AT(&noisy, i, j) = MAT_AT(&a, i, j) + 1e-7f * rng_normal(&r);
        }
    assert_int_equal(rank_of(&a, -1), 2);
    assert_int_equal(rank_of(&noisy, -1), 2);
    assert_int_equal(rank_of(&noisy, 1e-12f), 5);
    mat_free(&a);
    mat_free(&noisy);
}

static void test_default_tolerance_formula(void **state)
{
    (void)state;
    float s[] = {10.0f, 1.0f};
    assert_float_equal(rank_default_tolerance(s, 2, 3, 7), 10.0f * 7 * FLT_EPSILON, 1e-12f);
    assert_int_equal(rank_from_values(s, 2, 1.0f), 1); /* strictly greater */
    assert_int_equal(rank_from_values(s, 2, 0.5f), 2);
}

static void test_empty_matrix_is_an_error(void **state)
{
    (void)state;
    Mat e = {0};
    Svd svd;
    Status st;
    assert_int_equal(svd_compute(&svd, &e, &st), LS_ERR_ARG);
    assert_non_null(strstr(st.msg, "empty"));
    LowRank lr;
    float one[] = {2};
    Mat a = make(1, 1, one);
    assert_int_equal(lowrank_init(&lr, &a, NULL), LS_OK);
    Mat out;
    mat_init(&out, 1, 1, NULL);
    assert_int_equal(lowrank_rebuild(&out, &lr, 2, &st), LS_ERR_RANGE);
    assert_int_equal(lowrank_rebuild(&out, &lr, 1, NULL), LS_OK);
    assert_float_equal(out.data[0], 2.0f, 1e-6f);
    lowrank_free(&lr);
    mat_free(&out);
    mat_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm_matches_reference),
        cmocka_unit_test(test_gemm_transposes_and_views),
        cmocka_unit_test(test_svd_reconstructs_input),
        cmocka_unit_test(test_svd_fallback_to_gesvd),
        cmocka_unit_test(test_eckart_young_random),
        cmocka_unit_test(test_eckart_young_image),
        cmocka_unit_test(test_storage_and_energy),
        cmocka_unit_test(test_rank_known_matrices),
        cmocka_unit_test(test_rank_noise_against_tolerance),
        cmocka_unit_test(test_default_tolerance_formula),
        cmocka_unit_test(test_empty_matrix_is_an_error),
    };
    return cmocka_run_group_tests_name("linalg", tests, NULL, NULL);
}
