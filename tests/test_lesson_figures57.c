/* test_lesson_figures57.c — figures that lessons 5 to 7 repeat, kept in step
 * with the code that computes them.
 *
 *  - The default lab's length lives in one constant (LAB_DEFAULT_STEPS):
 *    lab_config_defaults, the lab and lora-delta schema defaults, the
 *    `finetune` help, lesson 7's sentence, its first lab block (which must
 *    not override it) and lesson 5's lora-delta block all agree.
 *  - Lesson 7's epoch arithmetic (steps × batch × n_positions against the
 *    size of the training chapters) and the question built on it.
 *  - LoRA parameter counts the lessons state (q + v and all targets at
 *    r = 8) against lora_modules_for on the base model's configuration.
 *  - Lesson 7's description of the default lab (its methods, the curve's
 *    evaluation interval) and the default learning rates it quotes,
 *    against LAB_DEFAULT_METHODS, lab_config_defaults and tune_methods.
 *  - "Where to go next": every file it names under out/lora_8/ is one that
 *    `finetune --methods lora:8 --save out` really writes.
 *  - Lesson 6's prompt tuning: the counts of prompt:16 and prefix:16 on the
 *    base model (2048, 16 384, eight times), that the two start as the same
 *    model, and that the prompt needs more activation memory.
 *  - "Is the comparison fair?": the shipped experiment
 *    (data/lab-results/domain.json) is what the page says it is (methods,
 *    grid, three seeds done), the rates it names are the ones the sweep
 *    chose, and each finding's verdict and figures are the ones the
 *    findings table gives on the file's numbers. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "../src/lesson/demo_schema.h"
#include "../src/nn/checkpoint.h"
#include "../src/tune/experiment.h"
#include "../src/tune/findings.h"
#include "../src/tune/lab.h"
#include "../src/tune/lora.h"
#include "cli_run.h"

static const char *root(void)
{
    const char *r = getenv("LORASCOPE_ROOT");
    return r && *r ? r : ".";
}

static char *read_lesson(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/lessons/%s", root(), name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    char *s = cli_slurp(f);
    fclose(f);
    return s;
}

/* The lesson's text with line breaks and "> " quote marks turned into single
 * spaces, so a sentence can be found whatever its wrapping. */
static char *flatten(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    for (const char *p = s; *p; p++) {
        if (*p == '\n') {
            if (o > out && o[-1] != ' ') *o++ = ' ';
            while (p[1] == ' ' || p[1] == '>') p++;
            continue;
        }
        *o++ = *p;
    }
    *o = 0;
    return out;
}

static void must_contain(const char *text, const char *want, const char *lesson)
{
    if (!strstr(text, want)) fail_msg("%s does not say \"%s\"", lesson, want);
}

/* 112640 -> "112 640", as the lessons write numbers. */
static void spaced(char *out, size_t size, long long v)
{
    char digits[32];
    snprintf(digits, sizeof digits, "%lld", v);
    size_t n = strlen(digits), k = 0;
    for (size_t i = 0; i < n && k + 2 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0) out[k++] = ' ';
        out[k++] = digits[i];
    }
    out[k] = 0;
}

/* The body of the first ```demo NAME block after `from`, or NULL. */
static char *demo_block(const char *text, const char *name, const char **from)
{
    char fence[64];
    snprintf(fence, sizeof fence, "```demo %s\n", name);
    const char *a = strstr(*from, fence);
    if (!a) return NULL;
    a += strlen(fence);
    const char *b = strstr(a, "```");
    assert_non_null(b);
    *from = b + 3;
    (void)text;
    return strndup(a, (size_t)(b - a));
}

static void test_default_lab_length(void **state)
{
    (void)state;
    LabConfig c;
    lab_config_defaults(&c);
    assert_int_equal(c.steps, LAB_DEFAULT_STEPS);
    assert_int_equal(atoi(LAB_DEFAULT_STEPS_STR), LAB_DEFAULT_STEPS);
    const char *kinds[] = {"lab", "lora-delta"};
    for (int i = 0; i < 2; i++) {
        const DemoParamSpec *p = demo_param_find(demo_kind_find(kinds[i]), "steps", NULL);
        assert_non_null(p);
        assert_string_equal(p->def, LAB_DEFAULT_STEPS_STR);
    }
    /* The help `finetune` prints. */
    CliResult r = cli_run("help finetune", NULL);
    assert_int_equal(r.status, 0);
    must_contain(r.out, "steps per method (default " LAB_DEFAULT_STEPS_STR ")", "finetune's help");
    cli_result_free(&r);

    /* Lesson 7 names the length; its first lab is the default lab. */
    char *raw = read_lesson("07-lab.md"), *text = flatten(raw);
    char want[128];
    snprintf(want, sizeof want, "%d steps each on batches of %d × 64 bytes", LAB_DEFAULT_STEPS, c.batch);
    must_contain(text, want, "07-lab.md");
    const char *at = raw;
    char *first = demo_block(raw, "lab", &at);
    assert_non_null(first);
    if (strstr(first, "steps")) fail_msg("07-lab.md's first lab sets its steps: it is meant to be the default lab");
    free(first);
    free(text);
    free(raw);
    /* Lesson 5's full-tuning run is the lab's. */
    raw = read_lesson("05-lora.md");
    at = raw;
    char *delta = demo_block(raw, "lora-delta", &at);
    assert_non_null(delta);
    if (strstr(delta, "steps")) fail_msg("05-lora.md's lora-delta sets its steps: it says it is the lab's run");
    free(delta);
    free(raw);
}

static void test_epoch_arithmetic(void **state)
{
    (void)state;
    char dir[1024], path[1024];
    snprintf(dir, sizeof dir, "%s/data/models/base", root());
    snprintf(path, sizeof path, "%s/data/text/moby-train.txt", root());
    Gpt m;
    Status st = {0};
    assert_int_equal(gpt_load(&m, dir, &st), LS_OK);
    int T = m.cfg.n_positions;
    gpt_free(&m);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    LabConfig c;
    lab_config_defaults(&c);
    long long seen = (long long)c.steps * c.batch * T, size = (long long)sb.st_size;
    char *raw = read_lesson("07-lab.md"), *text = flatten(raw);
    char a[32], b[32], want[256];
    snprintf(want, sizeof want, "draws %d × %d windows of %d bytes at random", c.steps, c.batch, T);
    must_contain(text, want, "07-lab.md");
    spaced(a, sizeof a, seen);
    spaced(b, sizeof b, size);
    snprintf(want, sizeof want, "%s bytes, about a third of the %s bytes of the training chapters", a, b);
    must_contain(text, want, "07-lab.md");
    double frac = (double)seen / (double)size;
    if (!(frac > 0.28 && frac < 0.39)) fail_msg("%lld of %lld bytes is %.3f, not about a third", seen, size, frac);
    /* The question: four times as many steps is about 1.3 passes. */
    must_contain(raw, "answer = 1.3\ntolerance = 0.1", "07-lab.md");
    if (fabs(4 * frac - 1.3) > 0.1) fail_msg("4 × %.3f is not 1.3 ± 0.1", frac);
    snprintf(want, sizeof want, "4 × %s = ", a);
    must_contain(text, want, "07-lab.md");
    free(text);
    free(raw);
}

static long long lora_count(const GptConfig *cfg, unsigned targets, int r)
{
    LoraModule mods[LORA_MAX_MODULES];
    int n = lora_modules_for(mods, cfg, targets);
    long long per_layer = 0;
    for (int i = 0; i < n; i++) per_layer += (long long)r * (mods[i].in + mods[i].cols);
    return per_layer * cfg->n_layer;
}

static void test_lora_counts(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/data/models/base", root());
    Gpt m;
    Status st = {0};
    assert_int_equal(gpt_load(&m, dir, &st), LS_OK);
    long long qv = lora_count(&m.cfg, LORA_TARGET_DEFAULT, 8), all = lora_count(&m.cfg, LORA_TARGET_ALL, 8);
    gpt_free(&m);
    char s[32], want[128];
    char *raw5 = read_lesson("05-lora.md"), *t5 = flatten(raw5);
    snprintf(want, sizeof want, "answer = %lld\n", all);
    must_contain(raw5, want, "05-lora.md (LoRA r = 8 on all targets)");
    spaced(s, sizeof s, qv);
    snprintf(want, sizeof want, "four and a half times the %s of q and v", s);
    must_contain(t5, want, "05-lora.md");
    assert_true(fabs((double)all / (double)qv - 4.5) < 1e-9);
    char *raw7 = read_lesson("07-lab.md"), *t7 = flatten(raw7);
    snprintf(want, sizeof want, "LoRA of rank 8 on q and v trains %s numbers", s);
    must_contain(t7, want, "07-lab.md");
    /* 16 bytes per trained parameter, in KiB. */
    snprintf(want, sizeof want, "answer = %lld\n", qv * 16 / 1024);
    must_contain(raw7, want, "07-lab.md (LoRA's params + grads + Adam in KiB)");
    free(t5);
    free(raw5);
    free(t7);
    free(raw7);
}

/* 1e-3 -> "1e-3", 5e-2 -> "5e-2": the lessons' way. */
static void short_exp(char *out, size_t size, double v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.0e", v); /* "1e-03" */
    char *e = strchr(buf, 'e');
    assert_non_null(e);
    int x = atoi(e + 1);
    *e = 0;
    snprintf(out, size, "%se%d", buf, x);
}

static void test_default_lab_description(void **state)
{
    (void)state;
    TuneSpec specs[LAB_MAX_METHODS];
    int n = 0;
    Status st = {0};
    assert_int_equal(tune_spec_list_parse(specs, LAB_MAX_METHODS, &n, LAB_DEFAULT_METHODS, &st), LS_OK);
    char ranks[128] = "", prefix[64] = "";
    int n_lora = 0, lora[LAB_MAX_METHODS];
    bool full = false;
    for (int i = 0; i < n; i++) {
        if (specs[i].kind == TUNE_FULL) full = true;
        if (specs[i].kind == TUNE_LORA) lora[n_lora++] = specs[i].size;
        if (specs[i].kind == TUNE_PREFIX) snprintf(prefix, sizeof prefix, "%d", specs[i].size);
    }
    assert_true(full && n_lora >= 2 && prefix[0]);
    for (int i = 0; i < n_lora; i++) {
        size_t k = strlen(ranks);
        snprintf(ranks + k, sizeof ranks - k, "%s%d", i == 0 ? "" : i == n_lora - 1 ? " and " : ", ", lora[i]);
    }
    char want[512];
    snprintf(want, sizeof want, "full fine-tuning, LoRA of rank %s on q and v, and prefix tuning with %s virtual tokens",
             ranks, prefix);
    char *raw = read_lesson("07-lab.md"), *text = flatten(raw);
    must_contain(text, want, "07-lab.md");
    LabConfig c;
    lab_config_defaults(&c);
    snprintf(want, sizeof want, "held-out loss (on chapter 41, which training never sees) every %d steps", c.eval_every);
    must_contain(text, want, "07-lab.md");
    char f[48], l[48], p[48];
    short_exp(f, sizeof f, tune_method(TUNE_FULL)->default_lr);
    short_exp(l, sizeof l, tune_method(TUNE_LORA)->default_lr);
    short_exp(p, sizeof p, tune_method(TUNE_PREFIX)->default_lr);
    snprintf(want, sizeof want, "full %s, LoRA %s, prefix %s", f, l, p);
    must_contain(text, want, "07-lab.md");
    free(text);
    free(raw);
}

/* Every out/lora_8/... path of "Where to go next" exists after --save. */
static void test_where_to_go_next_files(void **state)
{
    (void)state;
    if (getenv("LORASCOPE_UNDER_VALGRIND")) skip();
    char dir[] = "/tmp/lorascope_next_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char args[1024];
    snprintf(args, sizeof args,
             "finetune --methods lora:8 --steps 1 --batch 1 --eval-every 0 --final-windows 1 "
             "--sample-bytes 0 --no-analysis --save %s",
             dir);
    CliResult r = cli_run(args, NULL);
    if (r.status != 0) fail_msg("%s", r.err);
    cli_result_free(&r);
    char *raw = read_lesson("07-lab.md");
    const char *page = strstr(raw, "## Where to go next");
    assert_non_null(page);
    must_contain(page, "lorascope finetune --methods lora:8 --save out", "07-lab.md");
    int named = 0;
    for (const char *p = strstr(page, "out/lora_8"); p; p = strstr(p + 1, "out/lora_8")) {
        char rel[256];
        size_t n = strcspn(p + 3, " \n\")");
        if (n >= sizeof rel) n = sizeof rel - 1;
        memcpy(rel, p + 3, n);
        rel[n] = 0;
        char full[1200];
        snprintf(full, sizeof full, "%s/%s", dir, rel + 1);
        struct stat sb;
        if (stat(full, &sb) != 0) fail_msg("07-lab.md names out%s, which --save does not write (%s)", rel, full);
        named++;
    }
    assert_true(named >= 4); /* the folder, two adapter files, merged/ */
    free(raw);
    snprintf(args, sizeof args, "rm -rf %s", dir);
    assert_int_equal(system(args), 0);
}

/* Lesson 6: prompt:16 and prefix:16 on the base model, from the same 16
 * bytes, measured through their runs. */
static void test_prompt_prefix(void **state)
{
    (void)state;
    if (getenv("LORASCOPE_UNDER_VALGRIND")) skip(); /* forwards of the real base model */
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/data/models/base", root());
    Gpt m;
    Status st = {0};
    assert_int_equal(gpt_load(&m, dir, &st), LS_OK);
    const char *text = "Call me Ishmael. Some years ago, never mind how long precisely, having little";
    enum { T = 64 };
    int in[T], tg[T], start[16];
    for (int i = 0; i < T; i++) in[i] = (unsigned char)text[i + 1], tg[i] = (unsigned char)text[i + 2];
    for (int i = 0; i < 16; i++) start[i] = (unsigned char)text[i];
    const char *specs[] = {"prompt:16", "prefix:16"};
    size_t params[2], acts[2];
    double loss[2];
    for (int k = 0; k < 2; k++) {
        TuneSpec spec;
        assert_int_equal(tune_spec_parse(&spec, specs[k], NULL), LS_OK);
        TuneSchedule sched = tune_schedule_defaults(10);
        TuneRun r;
        if (tune_run_init(&r, &spec, &m, 1, T, &sched, 1, start, 16, &st)) fail_msg("%s", st.msg);
        params[k] = r.trainable_params;
        acts[k] = tune_run_bytes(&r).activations;
        assert_int_equal(tune_run_prepare_eval(&r, NULL), LS_OK);
        assert_int_equal(gpt_forward(&r.model, in, tg, 1, T, false, NULL), LS_OK);
        loss[k] = r.model.mean_loss;
        tune_run_free(&r);
    }
    gpt_free(&m);
    char *raw = read_lesson("06-prefix.md"), *t = flatten(raw), want[128], sp[32];
    snprintf(want, sizeof want, "answer = %zu\n", params[0]);
    must_contain(raw, want, "06-prefix.md (prompt:16's count)");
    spaced(sp, sizeof sp, (long long)params[1]);
    snprintf(want, sizeof want, "= %s at the same P", sp);
    must_contain(t, want, "06-prefix.md (prefix:16's count)");
    assert_int_equal(params[1], 8 * params[0]);
    must_contain(t, "It trains eight times as many numbers here", "06-prefix.md");
    /* The same model before the first step (float rounding apart). */
    must_contain(t, "`prompt:16` and `prefix:16` are the same model", "06-prefix.md");
    assert_true(isfinite(loss[0]) && isfinite(loss[1]) && loss[1] > 0.5);
    if (fabs(loss[0] - loss[1]) > 1e-5 * loss[1])
        fail_msg("prompt:16 starts at %.7f nats, prefix:16 at %.7f", loss[0], loss[1]);
    /* Its rows go through every layer: more activation memory. */
    must_contain(t, "every layer processes P + T rows per sequence", "06-prefix.md");
    assert_true(acts[0] > acts[1]);
    free(t);
    free(raw);
}

/* The method of the experiment's summary labelled label. */
static const ExpMethodSummary *summary_method(const ExpTaskSummary *t, const char *label)
{
    for (int i = 0; i < t->n_methods; i++)
        if (strcmp(t->methods[i].label, label) == 0) return &t->methods[i];
    fail_msg("the shipped experiment has no method %s", label);
    return NULL;
}

/* The methods of t whose chosen rate is an edge of the grid, as
 * "a, b"; returns their count, *at_top how many chose the highest. */
static int grid_edges(const Experiment *e, const ExpTaskSummary *t, char *out, size_t size, int *at_top)
{
    int n = 0;
    out[0] = '\0';
    *at_top = 0;
    for (int k = 0; k < t->n_methods; k++) {
        const ExpMethodSummary *m = &t->methods[k];
        if (m->chosen != 0 && m->chosen != e->cfg.n_grid - 1) continue;
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s", n ? ", " : "", m->label);
        *at_top += m->chosen == e->cfg.n_grid - 1;
        n++;
    }
    return n;
}

/* The number after `key` in a finding's value (NAN when absent). */
static double value_after(const Finding *f, const char *key)
{
    const char *p = strstr(f->value, key);
    return p ? strtod(p + strlen(key), NULL) : NAN;
}

static void test_fair_experiment_text(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/data/lab-results/domain.json", root());
    Experiment *e = malloc(sizeof *e);
    ExpTaskSummary *t = malloc(sizeof *t);
    FindingsInput *in = malloc(sizeof *in);
    Finding f[FINDINGS_MAX];
    Status st;
    if (experiment_load(path, e, &st)) fail_msg("%s", st.msg);
    assert_int_equal(experiment_summarize(e, 0, t, &st), LS_OK);
    char *raw = read_lesson("07-lab.md"), *text = flatten(raw);
    /* What the page says the experiment is. */
    /* The seeds every method finished, as the page counts them. */
    static const char *const words[] = {"no", "one", "two", "three"};
    int done = t->methods[0].eval_loss.n;
    for (int k = 0; k < t->n_methods; k++)
        if (t->methods[k].eval_loss.n != done) fail_msg("%s has %d seeds done, %s %d", t->methods[k].label,
                                                        t->methods[k].eval_loss.n, t->methods[0].label, done);
    assert_true(done >= 2 && done <= 3);
    char want[512];
    /* The grid points that ran (the shipped files may stop short of the
     * planned grid; the page must then say so). */
    bool ran[EXP_MAX_GRID] = {false};
    for (int i = 0; i < e->n_cells; i++) ran[e->cells[i].grid] |= e->cells[i].done;
    const char *rates = ran[0] && ran[1] && ran[2] ? "a third of, once and three times a centre"
                        : ran[0] && ran[1]         ? "a third of and once a centre"
                                                   : "";
    if (!rates[0]) fail_msg("the shipped experiment lacks the rates the page can describe");
    snprintf(want, sizeof want, "every method at %s (the rate an earlier sweep chose for it on that task), with %s seeds",
             rates, words[done]);
    must_contain(text, want, "07-lab.md");
    if (!ran[2]) must_contain(text, "three times a centre had not finished", "07-lab.md");
    snprintf(want, sizeof want, "Each figure is a mean over the %s seeds", words[done]);
    must_contain(text, want, "07-lab.md");
    assert_true(e->cfg.grid_factors && e->cfg.n_grid == 3 && fabs(e->cfg.grid[0] * 3 - 1) < 1e-12 &&
                e->cfg.grid[1] == 1 && e->cfg.grid[2] == 3);
    TuneSpec lab[LAB_MAX_METHODS];
    int n = 0;
    assert_int_equal(tune_spec_list_parse(lab, LAB_MAX_METHODS, &n, LAB_DEFAULT_METHODS, &st), LS_OK);
    for (int i = 0; i < n; i++) summary_method(t, lab[i].label);
    must_contain(text, "the lab's methods and six more — LoRA of rank 8 on all linear layers, QLoRA, the prefix "
                       "through its MLP, IA3, DoRA and prompt tuning", "07-lab.md");
    static const char *const more[] = {"lora:8,targets=all", "qlora:8", "prefix:16,mlp", "ia3", "dora:8", "prompt:16"};
    for (int i = 0; i < 6; i++) summary_method(t, more[i]);
    assert_int_equal(t->n_methods, n + 6);
    /* The rates the sweep chose. */
    char a[32], b[32], c[32];
    snprintf(a, sizeof a, "%.2g", summary_method(t, "full")->lrs[summary_method(t, "full")->chosen]);
    snprintf(b, sizeof b, "%.2g", summary_method(t, "lora:8")->lrs[summary_method(t, "lora:8")->chosen]);
    snprintf(c, sizeof c, "%.2g", summary_method(t, "prefix:16")->lrs[summary_method(t, "prefix:16")->chosen]);
    snprintf(want, sizeof want, "On the domain task the sweep chose %s for full tuning, %s for LoRA of rank 8 and %s for the prefix", a, b, c);
    must_contain(text, want, "07-lab.md");
    /* The winners at an edge of their grid, named, on both tasks. */
    char edge[200];
    int at_top, n_edge = grid_edges(e, t, edge, sizeof edge, &at_top);
    assert_int_equal(n_edge, 1); /* the sentence below is written for one */
    const ExpMethodSummary *em = NULL;
    for (int k = 0; k < t->n_methods; k++)
        if (strcmp(t->methods[k].label, edge) == 0) em = &t->methods[k];
    int next = em->chosen == 0 ? 1 : em->chosen - 1;
    assert_true(fabs(em->valid_mean[em->chosen] - em->valid_mean[next]) < 1e-3); /* "a near tie" */
    snprintf(want, sizeof want, "One of the %d chose a rate at an edge of its grid (%s), by a near tie with the next "
             "rate (validation %.4f against %.4f)", t->n_methods, edge, em->valid_mean[em->chosen], em->valid_mean[next]);
    must_contain(text, want, "07-lab.md");
    Experiment *ea = malloc(sizeof *ea);
    ExpTaskSummary *ta = malloc(sizeof *ta);
    snprintf(path, sizeof path, "%s/data/lab-results/addition.json", root());
    if (experiment_load(path, ea, &st)) fail_msg("%s", st.msg);
    assert_int_equal(experiment_summarize(ea, 0, ta, &st), LS_OK);
    int n_edge_a = grid_edges(ea, ta, edge, sizeof edge, &at_top);
    assert_true(n_edge_a >= 1 && n_edge_a <= 3 && at_top == n_edge_a);
    snprintf(want, sizeof want, "on addition %s did (%s), each at its highest rate", words[n_edge_a], edge);
    must_contain(text, want, "07-lab.md");
    /* Validation and test can disagree: full tuning's rates on chapter 41. */
    const ExpMethodSummary *fm = summary_method(t, "full");
    double low = 0;
    int seeds = 0;
    for (int i = 0; i < e->n_cells; i++)
        if (e->cells[i].done && e->cells[i].grid == 0) {
            low += e->cells[i].rec->methods[fm->method_index].result.eval_loss;
            seeds++;
        }
    low /= seeds;
    assert_true(fm->chosen > 0 && low < fm->eval_loss.mean);
    /* "... and forgets about half as much" */
    double forget_low = 0;
    for (int i = 0; i < e->n_cells; i++)
        if (e->cells[i].done && e->cells[i].grid == 0)
            forget_low += e->cells[i].rec->methods[fm->method_index].result.forgetting / seeds;
    double half = forget_low / fm->forgetting.mean;
    if (!(half > 0.4 && half < 0.6)) fail_msg("full tuning at its lowest rate forgets %.2f of the chosen rate's", half);
    must_contain(text, "and forgets about half as much", "07-lab.md");
    /* The prefix against the prompt: the gap and the parameter ratio. */
    const ExpMethodSummary *pre = summary_method(t, "prefix:16"), *pro = summary_method(t, "prompt:16");
    const LabRecordMethod *pre_m = &e->cells[pre->cells[0]].rec->methods[pre->method_index];
    const LabRecordMethod *pro_m = &e->cells[pro->cells[0]].rec->methods[pro->method_index];
    assert_int_equal(pre_m->trainable_params, 8 * pro_m->trainable_params);
    snprintf(want, sizeof want, "here by %.2f nats, with an eighth of the parameters for the prompt",
             pro->eval_loss.mean - pre->eval_loss.mean);
    must_contain(text, want, "07-lab.md");
    snprintf(want, sizeof want, "full tuning at %.2g ends at %.3f there, lower than at its chosen %.2g (%.3f)",
             fm->lrs[0], low, fm->lrs[fm->chosen], fm->eval_loss.mean);
    must_contain(text, want, "07-lab.md");
    /* Each finding's verdict, as its bullet gives it. */
    static const struct {
        const char *id, *title;
    } titles[] = {
        {"rank_saturation", "*Rank saturation*"},
        {"subspace_similarity", "*Subspace similarity*"},
        {"amplification", "*Amplification*"},
        {"all_linear_layers", "*All linear layers*"},
        {"learns_less_forgets_less", "*Learns less, forgets less*"},
        {"qlora_matches_lora", "*QLoRA against LoRA*"},
        {"lora_beats_prefix", "*LoRA against prefix*"},
        {"prefix_mlp", "*The prefix's MLP*"},
        {"prefix_beats_prompt", "*Prefix against prompt*"},
        {"dora_beats_lora", "*DoRA against LoRA*"},
        {"ia3_beats_lora", "*IA3 against LoRA*"},
        {"step_time", "*Step time*"},
        {"memory", "*Memory*"},
    };
    experiment_findings_input(in, e, t);
    int nf = findings_compute(in, f);
    assert_int_equal(nf, (int)(sizeof titles / sizeof titles[0]));
    for (int i = 0; i < nf; i++) {
        assert_string_equal(f[i].id, titles[i].id);
        const char *at = strstr(text, titles[i].title);
        if (!at) fail_msg("07-lab.md has no bullet %s", titles[i].title);
        const char *v = strstr(at, "**");
        char verdict[64];
        snprintf(verdict, sizeof verdict, "**%s**", finding_verdict_name(f[i].verdict));
        if (!v || v - at > 160 || strncmp(v, verdict, strlen(verdict)) != 0)
            fail_msg("07-lab.md's %s should say %s (%s)", titles[i].title, verdict, f[i].value);
    }
    /* The re-run's tolerance, as the lab page states and applies it. */
    snprintf(want, sizeof want, "marked *reproduced* when each is within %.2g of it (nats; on addition, accuracy within %.0f points)",
             EXP_RERUN_TOLERANCE, 100 * EXP_RERUN_TOLERANCE);
    must_contain(text, want, "07-lab.md");
    /* The figures the all-linear bullet quotes. */
    double base = t->base_eval_loss.mean;
    const ExpMethodSummary *full = summary_method(t, "full"), *all = summary_method(t, "lora:8,targets=all"),
                           *qv = summary_method(t, "lora:8");
    snprintf(want, sizeof want, "%.0f %% of full tuning's gain against %.0f %% on q and v",
             100 * (base - all->eval_loss.mean) / (base - full->eval_loss.mean),
             100 * (base - qv->eval_loss.mean) / (base - full->eval_loss.mean));
    must_contain(text, want, "07-lab.md");
    /* Rank saturation: rank 1's share of rank 16's gain. */
    const ExpMethodSummary *r1 = summary_method(t, "lora:1"), *r16 = summary_method(t, "lora:16");
    snprintf(want, sizeof want, "here rank 1 gets %.0f %% of rank 16's gain",
             100 * (base - r1->eval_loss.mean) / (base - r16->eval_loss.mean));
    must_contain(text, want, "07-lab.md");
    /* Subspace similarity: phi and its ratio to random directions. */
    double phi = value_after(&f[1], "1, 1) = "), rnd = value_after(&f[1], "(random directions: ");
    assert_string_equal(f[1].id, "subspace_similarity");
    snprintf(want, sizeof want, "here φ = %.2f between ranks 1 and 16: below 0.5, though %.0f times what random", phi,
             phi / rnd);
    must_contain(text, want, "07-lab.md");
    /* Learns less, forgets less: all linear layers against full tuning. */
    snprintf(want, sizeof want, "within the noise (%.3f against %.3f) and forgets about half as much (%.2f against %.2f)",
             all->eval_loss.mean, full->eval_loss.mean, all->forgetting.mean, full->forgetting.mean);
    must_contain(text, want, "07-lab.md");
    assert_true(spread_inside_noise(&all->eval_loss, &full->eval_loss));
    double half_all = all->forgetting.mean / full->forgetting.mean;
    assert_true(half_all > 0.4 && half_all < 0.6);
    assert_true(low < all->eval_loss.mean && forget_low <= all->forgetting.mean); /* "learn more and forget no more" */
    /* QLoRA: its gap and the allowance. */
    const ExpMethodSummary *ql = summary_method(t, "qlora:8");
    double gap = ql->eval_loss.mean - qv->eval_loss.mean;
    assert_true(gap > 0.01 && gap < 0.02); /* "just over the 0.01" */
    snprintf(want, sizeof want, "here QLoRA trails by %.3f nats, just over the 0.01 the report allows", gap);
    must_contain(text, want, "07-lab.md");
    /* The prefix's MLP: slightly worse. */
    const ExpMethodSummary *mlp = summary_method(t, "prefix:16,mlp");
    assert_true(mlp->eval_loss.mean > pre->eval_loss.mean);
    snprintf(want, sizeof want, "the MLP's mean is even slightly worse (%.3f against %.3f)", mlp->eval_loss.mean,
             pre->eval_loss.mean);
    must_contain(text, want, "07-lab.md");
    /* Step time: LoRA r = 8 against full. */
    snprintf(want, sizeof want, "2/3 of full tuning's time; here %.2f.",
             qv->ms_per_step.mean / full->ms_per_step.mean);
    must_contain(text, want, "07-lab.md");
    /* Addition's verdicts against domain's. */
    Finding fa[FINDINGS_MAX];
    experiment_findings_input(in, ea, ta);
    int nfa = findings_compute(in, fa), differ = 0;
    assert_int_equal(nfa, nf);
    static const char *const numbers[] = {"no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                                          "ten", "eleven", "twelve", "thirteen"};
    for (int i = 0; i < nf; i++) differ += fa[i].verdict != f[i].verdict;
    snprintf(want, sizeof want, "On the addition task %s of the %d verdicts differ", numbers[differ], nf);
    must_contain(text, want, "07-lab.md");
    for (int i = 0; i < nfa; i++) {
        if (!strcmp(fa[i].id, "ia3_beats_lora") || !strcmp(fa[i].id, "qlora_matches_lora"))
            assert_int_equal(fa[i].verdict, FINDING_HOLDS);
        if (!strcmp(fa[i].id, "learns_less_forgets_less")) assert_int_equal(fa[i].verdict, FINDING_FAILS);
        if (!strcmp(fa[i].id, "ia3_beats_lora") || !strcmp(fa[i].id, "qlora_matches_lora") ||
            !strcmp(fa[i].id, "learns_less_forgets_less"))
            assert_int_not_equal(fa[i].verdict, f[i].verdict);
    }
    free(text);
    free(raw);
    experiment_free(e);
    experiment_free(ea);
    free(e);
    free(ea);
    free(t);
    free(ta);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_lab_length),
        cmocka_unit_test(test_epoch_arithmetic),
        cmocka_unit_test(test_lora_counts),
        cmocka_unit_test(test_default_lab_description),
        cmocka_unit_test(test_where_to_go_next_files),
        cmocka_unit_test(test_prompt_prefix),
        cmocka_unit_test(test_fair_experiment_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
