/* test_findings.c — the findings table (src/tune/findings.h) and the noise
 * rule (spread.h) on made-up figures: mean and sample std; a
 * difference smaller than the two std together is "inside the noise"; a
 * directional claim holds, fails or is noise as the figures say; a closeness
 * claim (QLoRA vs LoRA) holds inside the noise; a finding whose methods are
 * missing is "not tested"; every row has a claim and a source. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "../src/tune/findings.h"

static void test_spread(void **state)
{
    (void)state;
    double v[] = {1.0, 2.0, 3.0, NAN};
    Spread s = spread_of(v, 4);
    assert_int_equal(s.n, 3);
    assert_true(fabs(s.mean - 2.0) < 1e-12);
    assert_true(fabs(s.std - 1.0) < 1e-12); /* sample std: sqrt(2 / 2) */
    assert_true(s.min == 1.0 && s.max == 3.0);
    Spread o = spread_of(v, 1);
    assert_true(isnan(o.std));
    Spread a = {.n = 3, .mean = 1.0, .std = 0.01}, b = {.n = 3, .mean = 1.015, .std = 0.01};
    assert_true(spread_inside_noise(&a, &b)); /* 0.015 < 0.02 */
    b.mean = 1.03;
    assert_false(spread_inside_noise(&a, &b));
    assert_false(spread_inside_noise(&a, &o)); /* one seed: never noise */
}

static void add_method(FindingsInput *in, const char *label, double loss, double sd)
{
    FindingMethod *m = &in->methods[in->n_methods++];
    memset(m, 0, sizeof *m);
    m->label = label;
    Status st;
    assert_int_equal(tune_spec_parse(&m->spec, label, &st), LS_OK);
    m->eval_loss = (Spread){.n = 3, .mean = loss, .std = sd, .min = loss - sd, .max = loss + sd};
    m->forgetting = (Spread){.n = 3, .mean = 0.1, .std = 0.01};
    m->ms_per_step = (Spread){.n = 3, .mean = 50, .std = 1};
    m->trainable_params = 16384;
}

static const Finding *by_id(const Finding *f, int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (strcmp(f[i].id, id) == 0) return &f[i];
    fail_msg("no finding %s", id);
    return NULL;
}

static FindingVerdict verdict_of(FindingsInput *in, const char *id)
{
    static Finding f[FINDINGS_MAX];
    int n = findings_compute(in, f);
    return by_id(f, n, id)->verdict;
}

static void test_verdicts(void **state)
{
    (void)state;
    FindingsInput in;
    memset(&in, 0, sizeof in);
    in.seeds = 3;
    in.base_eval_loss = (Spread){.n = 3, .mean = 2.0, .std = 0};
    add_method(&in, "lora:8", 1.70, 0.01);
    add_method(&in, "prefix:16", 1.78, 0.01);
    assert_int_equal(verdict_of(&in, "lora_beats_prefix"), FINDING_HOLDS);
    in.methods[1].eval_loss.mean = 1.60;
    assert_int_equal(verdict_of(&in, "lora_beats_prefix"), FINDING_FAILS);
    in.methods[1].eval_loss.mean = 1.71;
    assert_int_equal(verdict_of(&in, "lora_beats_prefix"), FINDING_NOISE);
    /* Closeness: QLoRA inside the noise of LoRA holds; far from it does not. */
    add_method(&in, "qlora:8", 1.715, 0.01);
    assert_int_equal(verdict_of(&in, "qlora_matches_lora"), FINDING_HOLDS);
    in.methods[2].eval_loss.mean = 1.80;
    assert_int_equal(verdict_of(&in, "qlora_matches_lora"), FINDING_FAILS);
    /* Missing methods. */
    assert_int_equal(verdict_of(&in, "dora_beats_lora"), FINDING_UNTESTED);
    assert_int_equal(verdict_of(&in, "subspace_similarity"), FINDING_UNTESTED);
    /* Rank saturation: r = 1 with 95 % of r = 16's gain holds. */
    add_method(&in, "lora:1", 1.715, 0.001);
    add_method(&in, "lora:16", 1.70, 0.001);
    assert_int_equal(verdict_of(&in, "rank_saturation"), FINDING_HOLDS);
    in.methods[3].eval_loss.mean = 1.85; /* 50 % */
    assert_int_equal(verdict_of(&in, "rank_saturation"), FINDING_FAILS);
    /* Step time: 4N / 6N. */
    add_method(&in, "full", 1.6, 0.01);
    in.methods[5].ms_per_step.mean = 75;
    assert_int_equal(verdict_of(&in, "step_time"), FINDING_HOLDS); /* 50 / 75 */
    in.methods[5].ms_per_step.mean = 52;
    assert_int_equal(verdict_of(&in, "step_time"), FINDING_FAILS);
    /* Deep against shallow: prefix:16 (1.71 ± 0.01) against prompt:16. */
    assert_int_equal(verdict_of(&in, "prefix_beats_prompt"), FINDING_UNTESTED);
    add_method(&in, "prompt:16", 1.80, 0.01);
    int p = in.n_methods - 1;
    assert_int_equal(verdict_of(&in, "prefix_beats_prompt"), FINDING_HOLDS);
    in.methods[p].eval_loss.mean = 1.65;
    assert_int_equal(verdict_of(&in, "prefix_beats_prompt"), FINDING_FAILS);
    in.methods[p].eval_loss.mean = 1.72;
    assert_int_equal(verdict_of(&in, "prefix_beats_prompt"), FINDING_NOISE);
    in.methods[p].spec.size = 8; /* another length: not comparable */
    assert_int_equal(verdict_of(&in, "prefix_beats_prompt"), FINDING_UNTESTED);
}

static void test_table(void **state)
{
    (void)state;
    FindingsInput in;
    memset(&in, 0, sizeof in);
    Finding f[FINDINGS_MAX];
    int n = findings_compute(&in, f);
    assert_int_equal(n, findings_count());
    assert_true(n >= 13 && n <= FINDINGS_MAX);
    for (int i = 0; i < n; i++) {
        assert_true(strlen(f[i].claim) > 20 && strlen(f[i].source) > 5 && f[i].value[0]);
        assert_int_equal(f[i].verdict, FINDING_UNTESTED);
        FindingVerdict v;
        assert_true(finding_verdict_parse(&v, finding_verdict_name(f[i].verdict)));
        for (int j = 0; j < i; j++) assert_string_not_equal(f[i].id, f[j].id);
    }
    cJSON *j = findings_json(f, n, "domain");
    assert_int_equal(cJSON_GetArraySize(j), n);
    cJSON *x = cJSON_GetArrayItem(j, 0);
    static const char *const keys[] = {"claim", "source", "value", "verdict", "task"};
    for (int k = 0; k < 5; k++) assert_true(cJSON_IsString(cJSON_GetObjectItem(x, keys[k])));
    cJSON_Delete(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spread),
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
