/* test_alloc_fail.c — a failed allocation anywhere in the library is
 * reported to the caller, never a crash.
 *
 * This program is linked with -Wl,--wrap=malloc,calloc,realloc (see the
 * Makefile), which routes every allocation made by lorascope's own code (the
 * library objects; not the shared libraries it uses) through the wrappers
 * below. Each scenario is run again and again, making allocation number
 * N = 0, 1, 2, ... fail, until a run completes without reaching N. Every run
 * must return either success or an error with a message; under
 * `make test SANITIZE=1` and `make valgrind` the failed runs must also leak
 * nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../src/base/rng.h"
#include "../src/core/io.h"
#include "../src/core/lowrank.h"
#include "../src/core/quant.h"
#include "../src/core/rowreduce.h"
#include "../src/lesson/lesson.h"
#include "../src/lesson/progress.h"
#include "../src/nn/checkpoint.h"
#include "../src/tune/tune.h"

/* ---------------------------------------------------------------------------
 * Allocation failure injection */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static long fail_at = -1; /* the allocation to fail; -1: none */
static long seen = 0;     /* allocations so far in this run */

static int should_fail(void) { return fail_at >= 0 && seen++ == fail_at; }

void *__wrap_malloc(size_t n) { return should_fail() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { return should_fail() ? NULL : __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t n) { return should_fail() ? NULL : __real_realloc(p, n); }

typedef int (*Scenario)(Status *st);

/* Run s with allocation N failing, for N = 0, 1, ... until s completes
 * without reaching N. Returns how many failure points were exercised. */
static int run_with_failures(Scenario s, const char *name)
{
    for (long n = 0;; n++) {
        Status st;
        status_clear(&st);
        seen = 0;
        fail_at = n;
        int rc = s(&st);
        long reached = seen;
        fail_at = -1;
        if (reached <= n) {
            /* No allocation failed: the scenario must simply work. */
            if (rc != LS_OK) fail_msg("%s: fails without injected failure: %s", name, st.msg);
            return (int)n;
        }
        if (rc != LS_OK && st.msg[0] == '\0')
            fail_msg("%s: allocation %ld failed and the error has no message", name, n);
        if (n > 100000) fail_msg("%s: too many allocations", name);
    }
}

/* ---------------------------------------------------------------------------
 * Scenarios: each frees everything it made, whatever happened. */

static int read_image(Status *st)
{
    Mat m = {0};
    int rc = io_read_image(&m, "data/images/boats.pgm", st);
    mat_free(&m);
    return rc;
}

static int read_matrix(Status *st)
{
    Mat m = {0};
    int rc = io_read_matrix(&m, "data/matrices/rank2.csv", st);
    mat_free(&m);
    return rc;
}

static int write_png(Status *st)
{
    Mat m = {0};
    int rc = mat_init(&m, 8, 8, st);
    if (!rc) rc = io_write_image("/tmp/lorascope-alloc-fail.png", &m, st);
    mat_free(&m);
    unlink("/tmp/lorascope-alloc-fail.png");
    return rc;
}

static int low_rank(Status *st)
{
    Mat a = {0}, out = {0};
    int rc = mat_init(&a, 24, 16, st);
    if (rc) return rc;
    Rng r;
    rng_seed(&r, 3);
    for (int i = 0; i < 24 * 16; i++) a.data[i] = rng_normal(&r);
    LowRank lr;
    rc = lowrank_init(&lr, &a, st);
    if (!rc) {
        rc = mat_init(&out, 24, 16, st);
        if (!rc) rc = lowrank_rebuild(&out, &lr, 5, st);
        lowrank_free(&lr);
    }
    mat_free(&out);
    mat_free(&a);
    return rc;
}

static int row_reduce(Status *st)
{
    float v[] = {1, 2, 3, 1, 5, 6, 3, 4, 7};
    Mat a = mat_wrap(v, 3, 3);
    RowReduction rr;
    int rc = rowreduce(&rr, &a, -1.0, st);
    rowreduce_free(&rr);
    return rc;
}

static int parse_lesson(Status *st)
{
    Lesson l;
    int rc = lesson_load(&l, "lessons/02-svd.md", st);
    lesson_free(&l);
    return rc;
}

static int load_lessons(Status *st)
{
    LessonList list;
    int rc = lessons_load_dir(&list, "lessons", st);
    lessons_free(&list);
    return rc;
}

static int progress_round_trip(Status *st)
{
    Progress p;
    progress_init(&p);
    int rc = progress_set_page(&p, "01-rank", 3, st);
    if (!rc) rc = progress_record_answer(&p, "01-rank", "rank-of-sum", true, st);
    if (!rc) rc = progress_save(&p, "/tmp/lorascope-alloc-fail/progress.json", st);
    progress_free(&p);
    if (!rc) {
        progress_init(&p);
        rc = progress_load(&p, "/tmp/lorascope-alloc-fail/progress.json", st);
        progress_free(&p);
    }
    return rc;
}

static int quantize(Status *st)
{
    float w[256], deq[256];
    for (int i = 0; i < 256; i++) w[i] = (float)(i % 17) - 8.0f;
    int rc = LS_OK;
    static const QuantKind kinds[] = {QUANT_Q8_0, QUANT_Q4_0, QUANT_NF4, QUANT_NF4_DQ};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds && !rc; k++) {
        QuantTensor qt;
        quant_tensor_init(&qt);
        QuantConfig cfg = quant_config_fixed(kinds[k]);
        rc = quant_roundtrip(deq, NULL, &qt, &cfg, w, 2, 128, st);
        quant_tensor_free(&qt);
    }
    return rc;
}

static int load_model_and_step(Status *st)
{
    Gpt m;
    memset(&m, 0, sizeof m);
    int rc = gpt_load(&m, "data/models/base", st);
    if (!rc) rc = gpt_alloc_grads(&m, st);
    if (!rc) rc = gpt_reserve(&m, 1, 8, st);
    int in[8] = {'T', 'h', 'e', ' ', 'U', 'n', 'i', 'o'}, tg[8] = {'h', 'e', ' ', 'U', 'n', 'i', 'o', 'n'};
    if (!rc) rc = gpt_forward(&m, in, tg, 1, 8, true, st);
    if (!rc) rc = gpt_backward(&m, st);
    gpt_free(&m);
    return rc;
}

/* Every method of the registry built on a tiny model and trained a step. */
static int tune_every_method(Status *st)
{
    GptConfig c = gpt_config_make(1, 1, 8, 6);
    Gpt base;
    int rc = gpt_init(&base, &c, st);
    if (rc) return rc;
    gpt_init_weights(&base, 1);
    static const int in[6] = {1, 2, 3, 4, 5, 6}, tg[6] = {2, 3, 4, 5, 6, 7}, start[4] = {65, 66, 67, 68};
    for (int k = 0; k < TUNE_NUM_KINDS && !rc; k++) {
        const TuneMethod *m = tune_method((TuneKind)k);
        int size = m->size_name ? (m->size_min > 2 ? m->size_min : 2) : 0;
        TuneSpec spec = tune_spec_make((TuneKind)k, size);
        TuneSchedule sched = tune_schedule_defaults(2);
        TuneRun r;
        rc = tune_run_init(&r, &spec, &base, 1, 6, &sched, 1, start, 4, st);
        if (!rc) {
            rc = tune_run_step(&r, in, tg, NULL, st);
            tune_run_free(&r);
        }
    }
    gpt_free(&base);
    return rc;
}

#define SCENARIO_TEST(fn)                                                          \
    static void test_##fn(void **state)                                            \
    {                                                                              \
        (void)state;                                                               \
        int points = run_with_failures(fn, #fn);                                   \
        print_message("%s: %d allocation failure points, all handled\n", #fn, points); \
        assert_true(points > 0);                                                   \
    }

SCENARIO_TEST(read_image)
SCENARIO_TEST(read_matrix)
SCENARIO_TEST(write_png)
SCENARIO_TEST(low_rank)
SCENARIO_TEST(row_reduce)
SCENARIO_TEST(parse_lesson)
SCENARIO_TEST(load_lessons)
SCENARIO_TEST(progress_round_trip)
SCENARIO_TEST(quantize)
SCENARIO_TEST(load_model_and_step)
SCENARIO_TEST(tune_every_method)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_image),      cmocka_unit_test(test_read_matrix),
        cmocka_unit_test(test_write_png),       cmocka_unit_test(test_low_rank),
        cmocka_unit_test(test_row_reduce),      cmocka_unit_test(test_parse_lesson),
        cmocka_unit_test(test_load_lessons),    cmocka_unit_test(test_progress_round_trip),
        cmocka_unit_test(test_quantize),        cmocka_unit_test(test_load_model_and_step),
        cmocka_unit_test(test_tune_every_method),
    };
    return cmocka_run_group_tests_name("alloc_fail", tests, NULL, NULL);
}
