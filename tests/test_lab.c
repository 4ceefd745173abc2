/* test_lab.c — the lab and its tasks: the addition generator (deterministic,
 * held-out problems never trained on, line-aligned batches), answer scoring
 * and batched greedy decoding against one-at-a-time decoding, a divergent
 * method leaving the others bit-identical to running them alone, the time
 * budget and stopping, the user's-text task, and the snapshot; the units of
 * work: each within its bound, and a lab done unit by unit bit-identical to
 * one done at once; a step in halves equal to a whole step. Runs on a tiny
 * in-memory base model so it stays fast. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/base/rng.h"
#include "../src/core/linalg.h"
#include "../src/nn/gpt.h"
#include "../src/nn/sample.h"
#include "../src/tune/lab.h"
#include "../src/tune/task.h"

static bool under_valgrind(void)
{
    return getenv("LORASCOPE_UNDER_VALGRIND") != NULL;
}

static void tiny_base(Gpt *m)
{
    GptConfig c = gpt_config_make(2, 2, 16, 16);
    assert_int_equal(gpt_init(m, &c, NULL), LS_OK);
    gpt_init_weights(m, 42);
}

static LabConfig tiny_lab(const Gpt *base, const char *methods, int steps)
{
    LabConfig c;
    lab_config_defaults(&c);
    c.base_model = base;
    c.methods = methods;
    c.steps = steps;
    c.batch = 2;
    c.eval_every = 2;
    c.eval_windows = 2;
    c.final_windows = 4;
    c.sample_bytes = 8;
    c.accuracy_problems = 12;
    return c;
}

static void run_to_end(Lab *lab)
{
    Status st;
    while (!lab_done(lab)) {
        int rc = lab_step(lab, 1000.0, &st);
        if (rc) print_error("%s\n", st.msg);
        assert_int_equal(rc, LS_OK);
    }
}

// ----------------------------------------------------------------------------
// Addition

static void test_addition_generator(void **state)
{
    (void)state;
    for (int digits = 2; digits <= 3; digits++) {
        TaskConfig tc = {.kind = TASK_ADDITION, .digits = digits};
        Task a, b;
        Status st;
        assert_int_equal(task_init(&a, &tc, &st), LS_OK);
        assert_int_equal(task_init(&b, &tc, &st), LS_OK);
        /* Deterministic. */
        assert_int_equal(a.train.n, b.train.n);
        assert_memory_equal(a.train.bytes, b.train.bytes, a.train.n);
        assert_memory_equal(a.valid.bytes, b.valid.bytes, a.valid.n);
        assert_true(a.n_heldout > 50);
        /* Held-out problems: held out, distinct, and written as the valid text. */
        int limit = 1;
        for (int i = 0; i < digits; i++)
            limit *= 10;
        /* The validation problems follow the test ones: held out, distinct from them. */
        assert_true(a.n_validation >= a.n_heldout - 1 && a.n_validation > 50);
        for (int i = 0; i < a.n_heldout + a.n_validation; i++) {
            assert_true(addition_is_heldout(a.heldout[i].a, a.heldout[i].b, digits));
            assert_true(a.heldout[i].a < limit && a.heldout[i].b < limit);
            for (int j = 0; j < i; j++)
                assert_false(a.heldout[i].a == a.heldout[j].a && a.heldout[i].b == a.heldout[j].b);
        }
        char first[32];
        int k = snprintf(first, sizeof first, "%d+%d=%d\n", a.heldout[0].a, a.heldout[0].b,
                         a.heldout[0].a + a.heldout[0].b);
        assert_memory_equal(a.valid.bytes, first, (size_t)k);
        const AdditionProblem *v0 = &a.heldout[a.n_heldout];
        k = snprintf(first, sizeof first, "%d+%d=%d\n", v0->a, v0->b, v0->a + v0->b);
        assert_memory_equal(a.validation.bytes, first, (size_t)k);
        /* Every training line is a correct sum of a pair that is not held out. */
        size_t lines = 0;
        const char *p = (const char *)a.train.bytes, *end = p + a.train.n;
        while (p < end) {
            int x, y, s, n = 0;
            assert_int_equal(sscanf(p, "%d+%d=%d\n%n", &x, &y, &s, &n), 3);
            assert_int_equal(x + y, s);
            assert_false(addition_is_heldout(x, y, digits));
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            assert_non_null(nl);
            p = nl + 1;
            lines++;
        }
        assert_int_equal(lines, TASK_ADDITION_TRAIN_LINES);
        assert_int_equal(a.n_lines, lines);
        /* Batches start at line starts. */
        Rng r;
        rng_seed(&r, 1);
        int in[4 * 16], tg[4 * 16];
        task_batch(&a, &r, in, tg, 4, 16);
        for (int bi = 0; bi < 4; bi++) {
            assert_true(in[bi * 16] >= '0' && in[bi * 16] <= '9');
            assert_int_equal(tg[bi * 16], in[bi * 16 + 1]);
        }
        task_free(&a);
        task_free(&b);
    }
    TaskConfig bad = {.kind = TASK_ADDITION, .digits = 9};
    Task t;
    Status st;
    assert_int_equal(task_init(&t, &bad, &st), LS_ERR_RANGE);
}

static void test_answer_scoring(void **state)
{
    (void)state;
    AdditionProblem p = {47, 38};
    assert_true(addition_answer_correct(&p, "85\n", 3));
    assert_true(addition_answer_correct(&p, "85\n9", 4));
    assert_true(addition_answer_correct(&p, "85", 2));
    assert_false(addition_answer_correct(&p, "851", 3));
    assert_false(addition_answer_correct(&p, "8\n", 2));
    assert_false(addition_answer_correct(&p, "", 0));
    assert_false(addition_answer_correct(&p, "84\n", 3));
    AdditionProblem z = {0, 0};
    assert_true(addition_answer_correct(&z, "0\n", 2));
}

/* Batched greedy decoding equals gpt_sample at temperature 0, one by one. */
static void test_batched_decoding(void **state)
{
    (void)state;
    Gpt m;
    tiny_base(&m);
    /* Bias the model towards digits and newlines so answers look like some. */
    TaskConfig tc = {.kind = TASK_ADDITION, .digits = 2};
    Task t;
    assert_int_equal(task_init(&t, &tc, NULL), LS_OK);
    char answers[2048];
    TaskAccuracy acc;
    int n = 20;
    assert_int_equal(task_addition_accuracy(&t, &m, n, &acc, answers, sizeof answers, n, NULL),
                     LS_OK);
    assert_int_equal(acc.total, n);
    assert_true(acc.accuracy >= 0 && acc.accuracy <= 1);
    const char *line = answers;
    int correct = 0;
    for (int i = 0; i < n; i++) {
        char prompt[32];
        int k = snprintf(prompt, sizeof prompt, "%d+%d=", t.heldout[i].a, t.heldout[i].b);
        SampleConfig sc = {.tokens = 4, .temperature = 0.0f};
        unsigned char out[4];
        assert_int_equal(
            gpt_sample(&m, (const unsigned char *)prompt, (size_t)k, &sc, out, NULL, NULL, NULL),
            LS_OK);
        char want[64];
        int w = snprintf(want, sizeof want, "%s", prompt);
        for (int j = 0; j < 4 && out[j] != '\n' && out[j]; j++)
            want[w++] = (out[j] >= 32 && out[j] < 127) ? (char)out[j] : '?';
        want[w] = '\0';
        correct += addition_answer_correct(&t.heldout[i], (const char *)out, 4);
        const char *nl = strchr(line, '\n');
        assert_non_null(nl);
        if (strncmp(line, want, strlen(want)) != 0 || line[strlen(want)] != ' ') {
            print_error("problem %d: batched '%.*s', one by one '%s'\n", i, (int)(nl - line), line,
                        want);
            fail();
        }
        line = nl + 1;
    }
    assert_int_equal(acc.correct, correct);
    task_free(&t);
    gpt_free(&m);
}

// ----------------------------------------------------------------------------
// The lab

/* Method i of `big` matches method j of `alone` bit for bit. */
static void assert_same_run(const LabSnapshot *big, int i, const LabSnapshot *alone, int j)
{
    const LabMethodSnapshot *a = &big->methods[i], *b = &alone->methods[j];
    assert_string_equal(a->label, b->label);
    assert_int_equal(a->n_train, b->n_train);
    assert_memory_equal(a->train_loss, b->train_loss, (size_t)a->n_train * sizeof(float));
    assert_int_equal(a->n_eval, b->n_eval);
    assert_memory_equal(a->eval_loss, b->eval_loss, (size_t)a->n_eval * sizeof(float));
    assert_true(a->result->eval_loss == b->result->eval_loss);
    assert_true(a->result->forget_loss == b->result->forget_loss);
    assert_string_equal(a->result->sample, b->result->sample);
}

static void test_divergence_isolated(void **state)
{
    (void)state;
    Gpt base;
    tiny_base(&base);
    int steps = under_valgrind() ? 3 : 6;
    static Lab big, a, b; /* large structs: not on the stack */
    LabConfig c = tiny_lab(&base, "lora:2,full,nan=2,prefix:4", steps);
    Status st;
    assert_int_equal(lab_init(&big, &c, &st), LS_OK);
    run_to_end(&big);
    c.methods = "lora:2";
    assert_int_equal(lab_init(&a, &c, &st), LS_OK);
    run_to_end(&a);
    c.methods = "prefix:4";
    assert_int_equal(lab_init(&b, &c, &st), LS_OK);
    run_to_end(&b);
    LabSnapshot sb, sa, sp;
    lab_snapshot(&big, &sb);
    lab_snapshot(&a, &sa);
    lab_snapshot(&b, &sp);
    assert_int_equal(sb.n_methods, 3);
    /* The diverged one: marked at step 2, its results NaN, the others carry on. */
    const LabMethodSnapshot *f = &sb.methods[1];
    assert_true(f->diverged);
    assert_int_equal(f->diverged_step, 2);
    assert_int_equal(f->step, 2);
    assert_true(isnan(f->train_loss[1]));
    assert_true(isnan(f->result->eval_loss));
    assert_true(f->result->ready);
    assert_non_null(strstr(f->result->sample, "diverged at step 2"));
    assert_int_equal(sb.methods[0].step, steps);
    assert_int_equal(sb.methods[2].step, steps);
    assert_same_run(&sb, 0, &sa, 0);
    assert_same_run(&sb, 2, &sp, 0);
    lab_free(&big);
    lab_free(&a);
    lab_free(&b);
    gpt_free(&base);
}

static void test_budget_stop_snapshot(void **state)
{
    (void)state;
    Gpt base;
    tiny_base(&base);
    static Lab lab;
    LabConfig c = tiny_lab(&base, "full,lora:1,qlora:2", 1000);
    Status st;
    assert_int_equal(lab_init(&lab, &c, &st), LS_OK);
    LabSnapshot s;
    lab_snapshot(&lab, &s);
    assert_int_equal(s.phase, LAB_PHASE_BASELINE);
    assert_int_equal(s.n_methods, 3);
    assert_string_equal(s.task_name, "domain");
    assert_false(s.base->ready);
    /* Tiny budgets: each call does at least one unit and returns. */
    double last_progress = 0;
    for (int i = 0; i < 40; i++) {
        assert_int_equal(lab_step(&lab, 0.001, &st), LS_OK);
        lab_snapshot(&lab, &s);
        assert_true(s.progress >= last_progress);
        last_progress = s.progress;
    }
    assert_int_equal(s.phase, LAB_PHASE_TRAINING);
    assert_true(s.base->ready);
    assert_true(isfinite(s.base->eval_loss) && isfinite(s.base->forget_loss));
    /* The lab's held-out loss is `lorascope eval`'s protocol on the same windows. */
    Gpt copy;
    assert_int_equal(gpt_init(&copy, &base.cfg, NULL), LS_OK);
    memcpy(copy.param_block, base.param_block, base.num_params * sizeof(float));
    EvalResult er;
    assert_int_equal(gpt_eval_text(&copy, &lab.task.valid, 2, 4, &er, NULL), LS_OK);
    assert_true(er.nats == s.base->eval_loss);
    gpt_free(&copy);
    assert_false(s.base->has_accuracy);
    assert_true(s.methods[0].step > 0);
    /* Curves start at step 0; qlora's base is quantised so it starts elsewhere. */
    assert_int_equal(s.methods[0].eval_step[0], 0);
    assert_true(s.methods[0].eval_loss[0] ==
                s.methods[1].eval_loss[0]); /* lora starts at the base */
    assert_true(s.methods[2].eval_loss[0] != s.methods[0].eval_loss[0]);
    /* The snapshot's figures. */
    const LabMethodSnapshot *full = &s.methods[0], *lora = &s.methods[1], *q = &s.methods[2];
    assert_int_equal(full->trainable_params, base.num_params);
    assert_float_equal(full->trainable_share, 1.0, 1e-12);
    assert_true(lora->trainable_share < 0.05);
    assert_true(q->bytes.frozen < lora->bytes.frozen); /* 4-bit base */
    assert_true(full->ms_per_step > 0);
    assert_int_equal(full->bytes.total, full->bytes.frozen + full->bytes.trainable +
                                            full->bytes.grads + full->bytes.optimizer +
                                            full->bytes.activations);
    lab_stop(&lab);
    run_to_end(&lab);
    lab_snapshot(&lab, &s);
    assert_int_equal(s.phase, LAB_PHASE_DONE);
    assert_true(s.stopped);
    assert_float_equal(s.progress, 1.0, 0);
    for (int i = 0; i < 3; i++) {
        assert_true(s.methods[i].step < 1000);
        assert_true(s.methods[i].result->ready);
        assert_true(isfinite(s.methods[i].result->eval_loss));
        assert_true(isfinite(s.methods[i].result->train_loss));
        assert_true(strlen(s.methods[i].result->sample) > 0);
    }
    assert_non_null(lab_method_run(&lab, 2));
    assert_null(lab_method_run(&lab, 3));
    lab_free(&lab);
    gpt_free(&base);
}

static void test_text_and_addition_tasks(void **state)
{
    (void)state;
    char path[] = "/tmp/lorascope_text_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < 200; i++)
        fprintf(f, "line %d of the user's own text, to tune on.\n", i);
    fclose(f);
    TaskConfig tc = {.kind = TASK_TEXT, .text_path = path};
    Task t;
    Status st;
    assert_int_equal(task_init(&t, &tc, &st), LS_OK);
    /* The held-out 10 % is the validation slice, then the test part. */
    size_t held = t.validation.n + t.valid.n, total = t.train.n + held;
    assert_true(held <= total / 10 + 1 && held + 64 > total / 10); /* from the next line start */
    assert_int_equal(t.train.bytes[t.train.n - 1], '\n');          /* cut at a line start */
    assert_int_equal(t.validation.bytes[t.validation.n - 1], '\n');
    assert_true(t.validation.n > held / 3 && t.valid.n > held / 3);
    assert_memory_equal(t.sample_prompt, "line ", 5);
    task_free(&t);
    /* Too short. */
    f = fopen(path, "w");
    fputs("tiny\n", f);
    fclose(f);
    assert_int_equal(task_init(&t, &tc, &st), LS_ERR_RANGE);
    assert_non_null(strstr(st.msg, "too short"));
    unlink(path);

    /* A whole addition lab on the tiny model: accuracy and answers reported. */
    Gpt base;
    tiny_base(&base);
    static Lab lab;
    LabConfig c = tiny_lab(&base, "lora:1", 2);
    c.task = TASK_ADDITION;
    assert_int_equal(lab_init(&lab, &c, &st), LS_OK);
    run_to_end(&lab);
    LabSnapshot s;
    lab_snapshot(&lab, &s);
    assert_true(s.base->has_accuracy);
    assert_int_equal(s.base->total, 12);
    assert_true(s.methods[0].result->has_accuracy);
    assert_true(s.methods[0].result->accuracy >= 0 && s.methods[0].result->accuracy <= 1);
    assert_non_null(strstr(s.methods[0].result->sample, "+"));
    lab_free(&lab);
    /* Bad method lists fail lab_init with the parser's message. */
    c.methods = "lora:1,wat";
    assert_int_not_equal(lab_init(&lab, &c, &st), LS_OK);
    assert_non_null(strstr(st.msg, "wat"));
    gpt_free(&base);
}

// ----------------------------------------------------------------------------
// Units of work

/* Every snapshot figure of two labs, bit for bit. */
static void assert_same_lab(const Lab *x, const Lab *y)
{
    LabSnapshot a, b;
    lab_snapshot(x, &a);
    lab_snapshot(y, &b);
    assert_int_equal(a.phase, LAB_PHASE_DONE);
    assert_int_equal(b.phase, LAB_PHASE_DONE);
    assert_int_equal(a.round, b.round);
    assert_memory_equal(a.base, b.base, sizeof *a.base);
    assert_int_equal(a.n_methods, b.n_methods);
    for (int i = 0; i < a.n_methods; i++) {
        const LabMethodSnapshot *p = &a.methods[i], *q = &b.methods[i];
        assert_true(p->built && q->built);
        assert_int_equal(p->step, q->step);
        assert_int_equal(p->diverged_step, q->diverged_step);
        assert_string_equal(p->label, q->label);
        assert_int_equal(p->n_train, q->n_train);
        assert_memory_equal(p->train_loss, q->train_loss, (size_t)p->n_train * sizeof(float));
        assert_int_equal(p->n_eval, q->n_eval);
        assert_memory_equal(p->eval_loss, q->eval_loss, (size_t)p->n_eval * sizeof(float));
        assert_memory_equal(p->eval_step, q->eval_step, (size_t)p->n_eval * sizeof(int));
        /* The whole result, NaNs and the sample's bytes included. */
        assert_memory_equal(p->result, q->result, sizeof *p->result);
        assert_int_equal(p->bytes.total, q->bytes.total);
    }
}

/* A lab done one unit per call (budget 0) gives exactly the figures of one
 * done in a single call, and every unit stays within its bound: at most one
 * forward or one backward, of at most B windows of n_positions tokens; at
 * most one run built; at most LAB_WARM_BYTES zeroed. Work, not time: the
 * bounds hold on any machine. */
static void test_units_small_and_invisible(void **state)
{
    (void)state;
    Gpt base;
    tiny_base(&base);
    static Lab one, all;
    static const struct {
        TaskKind task;
        const char *methods;
    } cases[] = {
        {TASK_DOMAIN, "full,lora:2,prefix:4,mlp,qlora:2"},
        {TASK_ADDITION, "lora:1,full,nan=3"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        LabConfig c = tiny_lab(&base, cases[k].methods, under_valgrind() ? 4 : 7);
        c.task = cases[k].task;
        c.batch = 3;
        c.eval_windows = 5; /* two chunks of B, the last one short */
        c.final_windows = 7;
        Status st;
        assert_int_equal(lab_init(&one, &c, &st), LS_OK);
        assert_int_equal(lab_init(&all, &c, &st), LS_OK);
        /* Starting builds nothing: the runs come with the first units. */
        LabSnapshot s;
        lab_snapshot(&one, &s);
        assert_false(s.methods[0].built);
        assert_null(lab_method_run(&one, 0));
        assert_true(isinf(lab_next_unit_ms(&one))); /* nothing measured yet */
        int units = 0, samples = 0, scores = 0, warms = 0, halves = 0;
        size_t max_tokens = (size_t)c.batch * (size_t)base.cfg.n_positions;
        while (!lab_done(&one)) {
            assert_int_equal(lab_step(&one, 0.0, &st), LS_OK);
            const LabUnitStats *u = &one.last;
            units++;
            assert_true(u->forwards + u->backwards <= 1);
            assert_true(u->builds <= 1);
            assert_true(u->tokens <= max_tokens);
            assert_true(u->bytes <= LAB_WARM_BYTES);
            if (u->kind == LAB_UNIT_BUILD || u->kind == LAB_UNIT_WARM || u->kind == LAB_UNIT_NOTE)
                assert_int_equal(u->forwards + u->backwards, 0);
            if (u->kind == LAB_UNIT_LOSS || u->kind == LAB_UNIT_SAMPLE ||
                u->kind == LAB_UNIT_SCORE || u->kind == LAB_UNIT_FORWARD)
                assert_int_equal(u->forwards, 1);
            samples += u->kind == LAB_UNIT_SAMPLE;
            scores += u->kind == LAB_UNIT_SCORE;
            warms += u->kind == LAB_UNIT_WARM;
            halves += u->kind == LAB_UNIT_FORWARD || u->kind == LAB_UNIT_BACKWARD;
            if (!lab_done(&one)) assert_true(lab_next_unit_ms(&one) >= 0);
        }
        assert_true(lab_next_unit_ms(&one) == 0);
        /* Big budgets: a call stops early only before a kind of unit it has
         * not timed yet. */
        for (int calls = 0; !lab_done(&all); calls++) {
            assert_true(calls < LAB_UNIT_KINDS);
            assert_int_equal(lab_step(&all, 1e9, &st), LS_OK);
        }
        assert_same_lab(&one, &all);
        lab_snapshot(&one, &s);
        int n = s.n_methods;
        assert_true(warms >= n + 1);
        if (cases[k].task == TASK_ADDITION) {
            /* One answer byte per unit: more units than groups of prompts. */
            assert_true(scores > 2 * (n + 1));
            assert_int_equal(samples, 0);
        } else {
            /* A sample is one byte per unit, for the base and each method. */
            assert_int_equal(samples, c.sample_bytes * (n + 1));
        }
        /* Two halves per step that trained, one for a diverging step. */
        int want = 0;
        for (int i = 0; i < n; i++)
            want +=
                s.methods[i].diverged ? 2 * s.methods[i].diverged_step - 1 : 2 * s.methods[i].step;
        assert_int_equal(halves, want);
        assert_true(units > halves);
        lab_free(&one);
        lab_free(&all);
    }
    gpt_free(&base);
}

/* A stop between a step's halves finishes the step, then evaluates. */
static void test_stop_between_halves(void **state)
{
    (void)state;
    Gpt base;
    tiny_base(&base);
    static Lab lab;
    LabConfig c = tiny_lab(&base, "lora:1,full", 50);
    Status st;
    assert_int_equal(lab_init(&lab, &c, &st), LS_OK);
    while (!(lab.phase == LAB_PHASE_TRAINING && lab.round == 2 &&
             lab.last.kind == LAB_UNIT_FORWARD && lab.last.method == 1))
        assert_int_equal(lab_step(&lab, 0.0, &st), LS_OK);
    assert_true(lab.methods[1].run.pending);
    lab_stop(&lab);
    assert_int_equal(lab_step(&lab, 0.0, &st), LS_OK);
    assert_int_equal(lab.last.kind, LAB_UNIT_BACKWARD);
    assert_int_equal(lab.last.method, 1);
    LabSnapshot s;
    lab_snapshot(&lab, &s);
    assert_int_equal(s.phase, LAB_PHASE_FINAL);
    run_to_end(&lab);
    lab_snapshot(&lab, &s);
    assert_int_equal(s.methods[0].step, 3);
    assert_int_equal(s.methods[1].step, 3);
    assert_true(isfinite(s.methods[1].train_loss[2]));
    assert_true(s.methods[1].result->ready);
    lab_free(&lab);
    gpt_free(&base);
}

/* A step in two halves is tune_run_step, bit for bit. */
static void test_step_halves(void **state)
{
    (void)state;
    Gpt base;
    tiny_base(&base);
    int B = 2, T = base.cfg.n_positions;
    int in[2 * 16], tg[2 * 16];
    for (int i = 0; i < B * T; i++)
        in[i] = (i * 7) % 256, tg[i] = (i * 7 + 1) % 256;
    TuneSchedule sched = tune_schedule_defaults(10);
    static const char *const specs[] = {"full", "lora:2", "prefix:3,mlp", "qlora:2"};
    int start[8] = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'};
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        TuneSpec spec;
        TuneRun a, b;
        assert_int_equal(tune_spec_parse(&spec, specs[k], NULL), LS_OK);
        assert_int_equal(tune_run_init(&a, &spec, &base, B, T, &sched, 5, start, 8, NULL), LS_OK);
        assert_int_equal(tune_run_init(&b, &spec, &base, B, T, &sched, 5, start, 8, NULL), LS_OK);
        for (int s = 0; s < 3; s++) {
            float la, lb;
            assert_int_equal(tune_run_step(&a, in, tg, &la, NULL), LS_OK);
            assert_int_equal(tune_run_forward(&b, in, tg, &lb, NULL), LS_OK);
            assert_true(b.pending);
            assert_int_equal(b.step, s);
            /* No second forward before the backward. */
            Status st;
            assert_int_not_equal(tune_run_forward(&b, in, tg, NULL, &st), LS_OK);
            assert_int_equal(tune_run_backward(&b, NULL), LS_OK);
            assert_false(b.pending);
            assert_true(la == lb);
        }
        /* The trained parameters and the AdamW moments. */
        TuneSpan sa[TUNE_MAX_SPANS], sb[TUNE_MAX_SPANS];
        int na = a.method->spans(&a, sa), nb = b.method->spans(&b, sb);
        assert_int_equal(na, nb);
        assert_true(na > 0);
        for (int q = 0; q < na; q++) {
            assert_int_equal(sa[q].n, sb[q].n);
            assert_memory_equal(sa[q].params, sb[q].params, sa[q].n * sizeof(float));
        }
        assert_memory_equal(a.opt.m, b.opt.m, 2 * a.opt.n * sizeof(float));
        tune_run_free(&a);
        tune_run_free(&b);
    }
    gpt_free(&base);
}

int main(void)
{
    linalg_set_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addition_generator),
        cmocka_unit_test(test_answer_scoring),
        cmocka_unit_test(test_batched_decoding),
        cmocka_unit_test(test_divergence_isolated),
        cmocka_unit_test(test_budget_stop_snapshot),
        cmocka_unit_test(test_text_and_addition_tasks),
        cmocka_unit_test(test_units_small_and_invisible),
        cmocka_unit_test(test_stop_between_halves),
        cmocka_unit_test(test_step_halves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
