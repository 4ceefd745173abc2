/* test_demo.c — the demos' numbers: Eckart–Young on the rank-k image, the
 * two spectra, the three rank demos on lesson 1's example matrix, the LoRA
 * cost counter, and the table that starts each demo from lesson parameters. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../src/base/rng.h"
#include "../src/demo/demo.h"
#include "../src/demo/demo_lora_cost.h"
#include "../src/demo/demo_rank.h"
#include "../src/demo/demo_spectrum.h"
#include "../src/demo/demo_svd.h"

/* A smooth 48 × 40 "image" plus a little noise. */
static void make_image(Mat *m)
{
    Status st = {0};
    assert_int_equal(mat_init(m, 48, 40, &st), LS_OK);
    Rng rng;
    rng_seed(&rng, 7);
    for (int i = 0; i < 48; i++)
        for (int j = 0; j < 40; j++)
            MAT_AT(m, i, j) = 0.5f + 0.3f * sinf(0.2f * (float)i) * cosf(0.15f * (float)j) +
                              0.05f * rng_uniform(&rng);
}

static void test_svd_eckart_young(void **state)
{
    (void)state;
    Mat a;
    make_image(&a);
    SvdDemo d;
    Status st = {0};
    assert_int_equal(svd_demo_init_mat(&d, &a, 1, &st), LS_OK);
    assert_int_equal(d.res.k_max, 40);
    double prev_energy = 0, prev_err = INFINITY;
    for (int k = 1; k <= 40; k++) {
        assert_int_equal(svd_demo_set_rank(&d, k, &st), LS_OK);
        const SvdDemoResult *r = &d.res;
        assert_int_equal(r->k, k);
        /* The error measured on the pixels is the root of the dropped σ². */
        assert_true(fabs(r->err_measured - r->err_predicted) <= 1e-3 * r->norm_a + 1e-4);
        assert_true(r->stats.energy >= prev_energy - 1e-12);
        assert_true(r->err_measured <= prev_err + 1e-4);
        assert_int_equal(r->stats.storage, (long long)k * (48 + 40 + 1));
        assert_int_equal(r->stats.full_storage, 48 * 40);
        prev_energy = r->stats.energy;
        prev_err = r->err_measured;
    }
    assert_true(fabs(d.res.stats.energy - 1) < 1e-6);
    assert_true(d.res.err_measured < 1e-3);
    /* Ranks out of range are clamped. */
    svd_demo_set_rank(&d, 0, &st);
    assert_int_equal(d.res.k, 1);
    svd_demo_set_rank(&d, 999, &st);
    assert_int_equal(d.res.k, 40);
    /* The error image is A − A_k. */
    svd_demo_set_rank(&d, 3, &st);
    assert_true(fabs(MAT_AT(&d.error, 5, 7) - (MAT_AT(&d.original, 5, 7) - MAT_AT(&d.approx, 5, 7))) < 1e-6);
    svd_demo_free(&d);
    mat_free(&a);
}

static void test_svd_from_file(void **state)
{
    (void)state;
    /* The lesson's photograph, if the data is there (it is in the tree). */
    const char *root = getenv("LORASCOPE_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/data/images/boats.pgm", root && *root ? root : ".");
    SvdDemo d;
    Status st = {0};
    assert_int_equal(svd_demo_init_image(&d, path, 8, &st), LS_OK);
    assert_int_equal(d.res.k, 8);
    assert_true(d.res.stats.energy > 0.9);
    assert_true(fabs(d.res.err_measured - d.res.err_predicted) < 1e-3 * d.res.norm_a);
    svd_demo_free(&d);
    assert_int_not_equal(svd_demo_init_image(&d, "/nonexistent.pgm", 8, &st), LS_OK);
    assert_true(strlen(st.msg) > 0);
}

static void test_spectrum(void **state)
{
    (void)state;
    SpectrumDemo d;
    Status st = {0};
    SpectrumParams p = {64, 4, 0.05, 1};
    assert_int_equal(spectrum_demo_init(&d, &p, &st), LS_OK);
    const SpectrumResult *r = &d.res;
    assert_int_equal(r->n, 64);
    for (int i = 1; i < 64; i++) {
        assert_true(r->random_s[i] <= r->random_s[i - 1] + 1e-4f);
        assert_true(r->lowrank_s[i] <= r->lowrank_s[i - 1] + 1e-4f);
    }
    /* Low rank plus noise: the top 4 hold almost everything; random: not. */
    assert_true(r->lowrank_energy_r > 0.95);
    assert_true(r->random_energy_r < 0.4);
    assert_int_equal(r->lowrank_rank_at_noise, 4);
    /* Same seed, same numbers; another seed, others. */
    float first = r->random_s[0];
    assert_int_equal(spectrum_demo_update(&d, &p, &st), LS_OK);
    assert_true(d.res.random_s[0] == first);
    p.seed = 2;
    spectrum_demo_update(&d, &p, &st);
    assert_true(d.res.random_s[0] != first);
    /* Clamping. */
    p = (SpectrumParams){1, 100, -1, 3};
    assert_int_equal(spectrum_demo_update(&d, &p, &st), LS_OK);
    assert_int_equal(d.p.size, 2);
    assert_int_equal(d.p.rank, 2);
    spectrum_demo_free(&d);
}

static Mat example(float *buf)
{
    static const float v[9] = {1, 2, 3, 1, 5, 6, 3, 4, 7};
    memcpy(buf, v, sizeof v);
    return mat_wrap(buf, 3, 3);
}

static void test_matrix_demo(void **state)
{
    (void)state;
    float buf[9];
    Mat a = example(buf);
    MatrixDemo d;
    Status st = {0};
    assert_int_equal(matrix_demo_init(&d, &a, &st), LS_OK);
    assert_int_equal(d.rank, 2);
    assert_int_equal(d.rank_svd, 2);
    assert_true(d.has_null);
    char dep[160];
    matrix_demo_dependency(&d, dep, (int)sizeof dep);
    assert_string_equal(dep, "column 3 = 1·column 1 + 1·column 2");
    assert_true(d.s[2] < 1e-5f * d.s[0]);
    /* Change the last entry: full rank. */
    assert_int_equal(matrix_demo_set(&d, 2, 2, 8, &st), LS_OK);
    assert_int_equal(d.rank, 3);
    assert_false(d.has_null);
    matrix_demo_dependency(&d, dep, (int)sizeof dep);
    assert_string_equal(dep, "");
    assert_int_not_equal(matrix_demo_set(&d, 3, 0, 1, &st), LS_OK);
    assert_int_not_equal(matrix_demo_set(&d, 0, 0, NAN, &st), LS_OK);
    /* A wide matrix with dependent columns (more columns than rows). */
    float w[6] = {1, 2, 3, 2, 4, 7};
    Mat wm = mat_wrap(w, 2, 3);
    assert_int_equal(matrix_demo_init(&d, &wm, &st), LS_OK);
    assert_int_equal(d.rank, 2);
    assert_true(d.has_null);
    /* A v = 0 for the reported direction. */
    for (int i = 0; i < 2; i++) {
        double acc = 0;
        for (int j = 0; j < 3; j++) acc += w[i * 3 + j] * d.null_vec[j];
        assert_true(fabs(acc) < 1e-4);
    }
    /* Too big. */
    Mat big;
    mat_init(&big, 13, 2, &st);
    assert_int_equal(matrix_demo_init(&d, &big, &st), LS_ERR_RANGE);
    mat_free(&big);
}

static void test_rowreduce_demo(void **state)
{
    (void)state;
    float buf[9];
    Mat a = example(buf);
    RowReduceDemo d;
    Status st = {0};
    assert_int_equal(rowreduce_demo_init(&d, &a, 0, &st), LS_OK);
    assert_string_equal(d.last, "the matrix as given");
    assert_true(d.cur[4] == 5);
    int n = d.rr.n_ops;
    assert_true(n > 0);
    rowreduce_demo_set_step(&d, n);
    for (int i = 0; i < 9; i++) assert_true(fabs(d.cur[i] - d.rr.echelon[i]) < 1e-9);
    assert_int_equal(d.pivots_done, 2);
    assert_true(d.last_row >= 0);
    rowreduce_demo_set_step(&d, 1000);
    assert_int_equal(d.step, n);
    rowreduce_demo_set_step(&d, -3);
    assert_int_equal(d.step, 0);
    rowreduce_demo_free(&d);
}

static void test_rank_noise_demo(void **state)
{
    (void)state;
    float buf[9];
    Mat a = example(buf);
    RankNoiseDemo d;
    Status st = {0};
    assert_int_equal(rank_noise_demo_init(&d, &a, 0, 1e-4, 1, &st), LS_OK);
    assert_int_equal(d.rank_clean, 2);
    assert_int_equal(d.rank_tol, 2);
    assert_int_equal(d.rank_numpy, 2);
    /* Noise 1e-3: every σ > 0, so full rank in exact terms; a tolerance
     * above the noise still finds 2, one below it finds 3. */
    rank_noise_demo_update(&d, 1e-3, 1e-2, &st);
    assert_int_equal(d.rank_exact, 3);
    assert_int_equal(d.rank_tol, 2);
    rank_noise_demo_update(&d, 1e-3, 1e-6, &st);
    assert_int_equal(d.rank_tol, 3);
    assert_int_equal(d.rank_numpy, 3);
    /* The noise is fixed by the seed: same seed, same matrix. */
    double n0 = d.noisy[0];
    RankNoiseDemo e;
    rank_noise_demo_init(&e, &a, 1e-3, 1e-6, 1, &st);
    assert_true(e.noisy[0] == n0);
}

static void test_lora_cost(void **state)
{
    (void)state;
    LoraCostResult r = lora_cost(4096, 4096, 8);
    assert_int_equal(r.full, 16777216);
    assert_int_equal(r.lora, 65536);
    assert_true(fabs(r.percent - 0.390625) < 1e-9);
    assert_true(fabs(r.ratio - 256) < 1e-9);
    assert_int_equal(r.break_even, 2048);
    assert_int_equal(r.rows[0].r, 1);
    assert_int_equal(r.rows[3].r, 8);
    assert_int_equal(r.n_rows, LORA_COST_ROWS);
    r = lora_cost(10, 20, 50);
    assert_int_equal(r.r, 10);
    assert_int_equal(r.break_even, 7);  /* 7·30 = 210 >= 200 */
    r = lora_cost(0, -1, 0);
    assert_int_equal(r.d, 1);
    assert_int_equal(r.r, 1);
}

static void test_demo_table(void **state)
{
    (void)state;
    /* Every schema demo has an implementation, with the same name. */
    int n;
    const DemoKind *kinds = demo_kinds(&n);
    for (int i = 0; i < n; i++) assert_non_null(demo_impl_find(kinds[i].name));
    for (int i = 0; demo_impls[i]; i++) assert_non_null(demo_kind_find(demo_impls[i]->name));
    assert_null(demo_impl_find("nope"));
    /* Start one from a block, as a lesson writes it. */
    Param params[1] = {{"rows", "1 2 3; 1 5 6; 3 4 7", 3}};
    Block b = {.kind = BLOCK_DEMO, .line = 2, .info = "matrix", .params = params, .n_params = 1, .valid = true};
    DemoArgs args;
    Status st = {0};
    assert_int_equal(demo_args_from_block(&args, &b, &st), LS_OK);
    const DemoImpl *impl = demo_impl_find("matrix");
    void *state_mem = calloc(1, impl->size);
    assert_int_equal(impl->init(state_mem, &args, &st), LS_OK);
    assert_int_equal(((MatrixDemo *)state_mem)->rank, 2);
    impl->free(state_mem);
    free(state_mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_svd_eckart_young),
        cmocka_unit_test(test_svd_from_file),
        cmocka_unit_test(test_spectrum),
        cmocka_unit_test(test_matrix_demo),
        cmocka_unit_test(test_rowreduce_demo),
        cmocka_unit_test(test_rank_noise_demo),
        cmocka_unit_test(test_lora_cost),
        cmocka_unit_test(test_demo_table),
    };
    return cmocka_run_group_tests_name("demo", tests, NULL, NULL);
}
