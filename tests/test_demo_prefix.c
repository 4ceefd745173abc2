/* test_demo_prefix.c — lesson 6's demos: the attention matrix with a prefix
 * from a real forward pass (every row sums to 1 over the columns it may
 * see, masked entries are exactly 0, every query sees every prefix column,
 * the first query without a prefix puts all its weight on itself; the mean
 * over heads is the mean of the heads), the prefix start is the model's own
 * keys and values for the bytes before, and the cost counts. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../src/demo/demo_prefix.h"
#include "../src/nn/checkpoint.h"
#include "../src/view/dview.h"

static void path_of(char *out, size_t size, const char *rel)
{
    const char *r = getenv("LORASCOPE_ROOT");
    snprintf(out, size, "%s/%s", r && *r ? r : ".", rel);
}

/* The checks every setting must pass. */
static void check_matrix(const PrefixAttnDemo *d)
{
    int P = d->P, T = d->T, S = P + T;
    assert_true(d->row_sum_err <= 1e-5);
    assert_true(d->masked_max == 0);
    for (int t = 0; t < T; t++) {
        double sum = 0, pre = 0;
        int allowed = 0;
        for (int j = 0; j < S; j++) {
            size_t i = (size_t)t * S + j;
            bool should = j < P || j - P <= t;
            assert_int_equal(d->allowed[i], should);
            if (should) {
                sum += d->att[i];
                allowed++;
                assert_true(d->att[i] >= 0);
            } else {
                assert_true(d->att[i] == 0.0f); /* masked: exactly 0 */
            }
            if (j < P) pre += d->att[i];
        }
        assert_int_equal(allowed, P + t + 1);
        assert_true(fabs(sum - 1) <= 1e-5);
        assert_true(fabs(pre - d->query_prefix[t]) <= 1e-6);
    }
}

static void test_attention_base_model(void **state)
{
    (void)state;
    char dir[1024], text[1024];
    path_of(dir, sizeof dir, "data/models/base");
    path_of(text, sizeof text, "data/text/moby-train.txt");
    PrefixAttnDemo d;
    Status st = {0};
    assert_int_equal(prefix_attn_init(&d, dir, text, 38, 8, 16, 0, 0, &st), LS_OK);
    assert_string_equal(d.query_bytes, " Some years ago-");
    assert_string_equal(d.prefix_bytes, "Ishmael.");
    check_matrix(&d);
    assert_true(d.prefix_share > 0 && d.prefix_share < 1);
    int NH = d.model.cfg.n_head;
    for (int P = 0; P <= 16; P += 8)
        for (int l = 0; l < d.model.cfg.n_layer; l++)
            for (int h = 0; h <= NH; h++) {
                assert_int_equal(prefix_attn_set(&d, P, 12, l, h, &st), LS_OK);
                check_matrix(&d);
            }
    /* No prefix: the first query sees only itself. */
    assert_int_equal(prefix_attn_set(&d, 0, 16, 2, 1, &st), LS_OK);
    assert_true(d.att[0] == 1.0f);
    assert_true(d.prefix_share == 0);
    /* The mean over heads is the mean of the heads. */
    assert_int_equal(prefix_attn_set(&d, 4, 8, 1, NH, &st), LS_OK);
    int S = 12;
    float *mean = malloc(8 * S * sizeof(float));
    memcpy(mean, d.att, 8 * S * sizeof(float));
    float *sum = calloc(8 * S, sizeof(float));
    for (int h = 0; h < NH; h++) {
        assert_int_equal(prefix_attn_set(&d, 4, 8, 1, h, &st), LS_OK);
        for (int i = 0; i < 8 * S; i++) sum[i] += d.att[i] / NH;
    }
    for (int i = 0; i < 8 * S; i++) assert_true(fabsf(sum[i] - mean[i]) <= 1e-6);
    free(mean);
    free(sum);
    /* Out-of-range settings are clamped. */
    assert_int_equal(prefix_attn_set(&d, 99, 99, 99, 99, &st), LS_OK);
    assert_int_equal(d.P, PREFIX_ATTN_MAX_P);
    assert_int_equal(d.T, PREFIX_ATTN_MAX_T);
    assert_int_equal(d.layer, d.model.cfg.n_layer - 1);
    assert_int_equal(d.head, NH);
    check_matrix(&d);
    prefix_attn_free(&d);
    /* An offset with too few bytes before it is refused. */
    assert_int_not_equal(prefix_attn_init(&d, dir, text, 10, 8, 16, 0, 0, &st), LS_OK);
}

/* The prefix holds the keys and values the model computes for the bytes
 * just before the real ones. */
static void test_prefix_start(void **state)
{
    (void)state;
    Gpt m;
    Status st = {0};
    GptConfig cfg = gpt_config_make(2, 2, 16, 64);
    assert_int_equal(gpt_init(&m, &cfg, &st), LS_OK);
    gpt_init_weights(&m, 2);
    unsigned char bytes[PREFIX_ATTN_MAX_P + PREFIX_ATTN_MAX_T];
    for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (unsigned char)('a' + i % 26);
    PrefixAttnDemo d;
    assert_int_equal(prefix_attn_init_model(&d, &m, bytes, sizeof bytes, 4, 8, 1, 0, &st), LS_OK);
    check_matrix(&d);
    /* The model's own keys for the 4 bytes before the real ones. */
    int tok[4];
    for (int i = 0; i < 4; i++) tok[i] = bytes[PREFIX_ATTN_MAX_P - 4 + i];
    assert_int_equal(gpt_reserve(&m, 1, 4, &st), LS_OK);
    assert_int_equal(gpt_forward(&m, tok, NULL, 1, 4, false, &st), LS_OK);
    int C = cfg.n_embd;
    const float *qkv1 = m.acts.qkv + (size_t)1 * 4 * 3 * C; /* layer 1 */
    const float *k1 = d.prefix.kv + (size_t)2 * 1 * 4 * C;  /* layer 1's keys */
    for (int t = 0; t < 4; t++)
        for (int c = 0; c < C; c++) assert_true(fabsf(k1[t * C + c] - qkv1[t * 3 * C + C + c]) <= 1e-6);
    prefix_attn_free(&d);
    gpt_free(&m);
}

static void test_cost(void **state)
{
    (void)state;
    GptConfig cfg = gpt_config_make(4, 4, 128, 64);
    PrefixCost c = prefix_cost(&cfg, 16);
    assert_int_equal(c.prefix, 4LL * 2 * 16 * 128);
    assert_int_equal(c.full, (long long)gpt_num_params(&cfg));
    for (int i = 0; i < c.n_lora; i++) assert_int_equal(c.lora[i], 4LL * 2 * c.lora_rank[i] * 256);
    /* P = 2r trains as many numbers as LoRA of rank r on q and v. */
    int r8 = -1;
    for (int i = 0; i < c.n_lora; i++)
        if (c.lora_rank[i] == 8) r8 = i;
    assert_true(r8 >= 0);
    assert_int_equal(c.prefix, c.lora[r8]);
    /* The MLP: E (P, d), W1 (d, d), b1 (d), W2 (d, 2Ld), b2 (2Ld). */
    assert_int_equal(c.prefix_mlp, 16LL * 128 + 128 * 128 + 128 + 128LL * 8 * 128 + 8 * 128);
    /* And from the base model's own configuration. */
    char dir[1024];
    path_of(dir, sizeof dir, "data/models/base");
    PrefixCostDemo pd;
    Status st = {0};
    assert_int_equal(prefix_cost_demo_init(&pd, dir, 16, &st), LS_OK);
    assert_int_equal(prefix_cost(&pd.cfg, 16).prefix, (long long)pd.cfg.n_layer * 2 * 16 * pd.cfg.n_embd);
}

static void test_views_start(void **state)
{
    (void)state;
    static const char *const names[] = {"prefix-attention", "prefix-cost"};
    for (size_t i = 0; i < 2; i++) {
        const DemoViewOps *ops = dview_find(names[i]);
        assert_non_null(ops);
        char md[128];
        snprintf(md, sizeof md, "# T\n\n## P\n\n```demo %s\n```\n", names[i]);
        Lesson l;
        Status st = {0};
        assert_int_equal(lesson_parse(&l, md, strlen(md), "06-t.md", &st), LS_OK);
        DemoArgs a;
        assert_int_equal(demo_args_from_block(&a, &l.pages[l.n_pages - 1].blocks[0], &st), LS_OK);
        void *v = ops->create(&a, &st);
        if (!v) fail_msg("%s: %s", names[i], st.msg);
        ops->destroy(v);
        lesson_free(&l);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attention_base_model),
        cmocka_unit_test(test_prefix_start),
        cmocka_unit_test(test_cost),
        cmocka_unit_test(test_views_start),
    };
    return cmocka_run_group_tests_name("demo_prefix", tests, NULL, NULL);
}
