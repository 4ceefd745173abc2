/* test_rowreduce.c — recorded elimination: the steps replayed reproduce the
 * echelon form, and the pivot count is the rank. */
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
#include "../src/core/rowreduce.h"

static Mat make(int rows, int cols, const float *v)
{
    Mat m;
    assert_int_equal(mat_init(&m, rows, cols, NULL), LS_OK);
    memcpy(m.data, v, (size_t)rows * cols * sizeof(float));
    return m;
}

/* Replay the steps on the original and compare with the echelon form. */
static void check_replay(const Mat *a, const RowReduction *rr)
{
    size_t n = (size_t)a->rows * a->cols;
    double *m = malloc(n * sizeof(double));
    for (size_t i = 0; i < n; i++) m[i] = a->data[i];
    rowreduce_replay(m, a->rows, a->cols, rr->ops, rr->n_ops);
    for (size_t i = 0; i < n; i++) assert_true(fabs(m[i] - rr->echelon[i]) <= 1e-9 + rr->tol);
    free(m);
}

/* Echelon shape: each pivot is 1 and everything below a pivot is 0, and
 * pivot columns strictly increase. */
static void check_echelon(const RowReduction *rr)
{
    for (int p = 0; p < rr->rank; p++) {
        int c = rr->pivot_cols[p];
        if (p > 0) assert_true(c > rr->pivot_cols[p - 1]);
        assert_true(fabs(rr->echelon[(size_t)p * rr->cols + c] - 1.0) < 1e-12);
        for (int i = p + 1; i < rr->rows; i++)
            assert_true(rr->echelon[(size_t)i * rr->cols + c] == 0.0);
    }
    for (int i = rr->rank; i < rr->rows; i++)
        for (int j = 0; j < rr->cols; j++)
            assert_true(fabs(rr->echelon[(size_t)i * rr->cols + j]) <= 10 * rr->tol + 1e-12);
}

static void test_lesson_example(void **state)
{
    (void)state;
    float v[] = {1, 2, 3, 1, 5, 6, 3, 4, 7};
    Mat a = make(3, 3, v);
    RowReduction rr;
    assert_int_equal(rowreduce(&rr, &a, -1.0, NULL), LS_OK);
    assert_int_equal(rr.rank, 2);
    /* Partial pivoting starts by swapping the row with 3 in column 1 up. */
    assert_int_equal(rr.ops[0].kind, RR_SWAP);
    assert_int_equal(rr.ops[0].row, 0);
    assert_int_equal(rr.ops[0].src, 2);
    char text[64];
    rowop_describe(&rr.ops[0], text, sizeof text);
    assert_string_equal(text, "swap R1 and R3");
    check_echelon(&rr);
    check_replay(&a, &rr);
    rowreduce_free(&rr);
    mat_free(&a);
}

static void test_every_kind_of_step(void **state)
{
    (void)state;
    float v[] = {2, 4, 1, 1, 3, 2};
    Mat a = make(2, 3, v);
    RowReduction rr;
    assert_int_equal(rowreduce(&rr, &a, -1.0, NULL), LS_OK);
    int seen[3] = {0};
    for (int i = 0; i < rr.n_ops; i++) seen[rr.ops[i].kind]++;
    assert_int_equal(seen[RR_SWAP], 0);    /* 2 is already the largest */
    assert_true(seen[RR_SCALE] >= 1);
    assert_int_equal(seen[RR_ELIMINATE], 1);
    char text[64];
    rowop_describe(&rr.ops[0], text, sizeof text);
    assert_string_equal(text, "R1 <- 0.5 * R1");
    rowop_describe(&rr.ops[1], text, sizeof text);
    assert_string_equal(text, "R2 <- R2 - 1 * R1");
    assert_int_equal(rr.rank, 2);
    check_replay(&a, &rr);
    rowreduce_free(&rr);
    mat_free(&a);
}

static void test_random_and_degenerate(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 42);
    for (int trial = 0; trial < 30; trial++) {
        int m = 1 + (int)rng_below(&r, 7), n = 1 + (int)rng_below(&r, 7);
        int want = 1 + (int)rng_below(&r, (uint32_t)(m < n ? m : n));
        /* Build a rank-`want` matrix as a sum of outer products. */
        Mat a;
        mat_init(&a, m, n, NULL);
        for (int t = 0; t < want; t++) {
            float u[8], w[8];
            for (int i = 0; i < m; i++) u[i] = rng_normal(&r);
            for (int j = 0; j < n; j++) w[j] = rng_normal(&r);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) MAT_AT(&a, i, j) += u[i] * w[j];
        }
        RowReduction rr;
        assert_int_equal(rowreduce(&rr, &a, -1.0, NULL), LS_OK);
        assert_int_equal(rr.rank, want);
        check_echelon(&rr);
        check_replay(&a, &rr);
        rowreduce_free(&rr);
        mat_free(&a);
    }
    Mat zero;
    mat_init(&zero, 3, 4, NULL);
    RowReduction rr;
    assert_int_equal(rowreduce(&rr, &zero, -1.0, NULL), LS_OK);
    assert_int_equal(rr.rank, 0);
    assert_int_equal(rr.n_ops, 0);
    rowreduce_free(&rr);
    mat_free(&zero);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lesson_example),
        cmocka_unit_test(test_every_kind_of_step),
        cmocka_unit_test(test_random_and_degenerate),
    };
    return cmocka_run_group_tests_name("rowreduce", tests, NULL, NULL);
}
