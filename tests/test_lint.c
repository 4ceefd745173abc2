/* test_lint.c — lesson checking: every kind of problem, on its line, once;
 * the demo table itself; FORMAT.md against the table; and the real
 * `lorascope lint` command (exit codes and file:line: message output).
 *
 * Each case is a small lesson in a string: the line of the expected message
 * is easy to count by eye. Paths in demo parameters are data/... in the
 * lorascope root's data folder (the repository, when run by tests/run.sh or
 * from the repository root), or beside the lesson file (test_lesson_paths). */
/* cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/lesson/demo_schema.h"
#include "../src/lesson/lesson.h"
#include "cli_run.h"

/* ------------------------------------------------------------------------
 * Helpers */

static Lesson check_str(const char *text)
{
    Lesson l;
    Status st;
    assert_int_equal(lesson_parse(&l, text, strlen(text), "mem/03-case.md", &st), LS_OK);
    assert_int_equal(lesson_check(&l, &st), LS_OK);
    lesson_sort_diags(&l);
    return l;
}

static void dump(const Lesson *l)
{
    for (int i = 0; i < l->n_diags; i++)
        print_message("    %d: %s\n", l->diags[i].line, l->diags[i].message);
}

/* The first block of the last page (where every case puts its block). */
static const Block *first_block(const Lesson *l)
{
    const Page *p = &l->pages[l->n_pages - 1];
    assert_true(p->n_blocks > 0);
    return &p->blocks[0];
}

typedef struct LintCase {
    const char *name;
    const char *text;
    int line;         /* where the message must be */
    const char *part; /* a piece of the message */
    int count;        /* problems in total (one typo, one message) */
} LintCase;

/* "# T\n\n## P\n\n" puts the block's fence on line 5. */
#define HEAD "# T\n\n## P\n\n"

static const LintCase demo_cases[] = {
    {"unknown demo", HEAD "```demo wavelet\nlevels = 3\n```\n", 5, "unknown demo 'wavelet'", 1},
    {"near miss", HEAD "```demo spectrm\n```\n", 5, "did you mean 'spectrum'", 1},
    {"no name", HEAD "```demo\nrank = 3\n```\n", 5, "demo block without a name", 1},
    {"junk after name", HEAD "```demo svd please\nimage = data/images/boats.pgm\n```\n", 5,
     "unexpected 'please'", 1},
    {"unknown parameter", HEAD "```demo lora-cost\nd = 8\nrnak = 2\n```\n", 7,
     "unknown parameter 'rnak' (did you mean 'rank'?)", 1},
    {"unknown parameter, far", HEAD "```demo lora-cost\ncolour = red\n```\n", 6,
     "unknown parameter 'colour' (parameters: d, k, rank)", 1},
    {"not an int", HEAD "```demo lora-cost\nd = 8\nk = 12.5\n```\n", 7,
     "k: '12.5' is not a whole number", 1},
    {"not a real", HEAD "```demo spectrum\nnoise = lots\n```\n", 6, "noise: 'lots' is not a number",
     1},
    {"real nan refused", HEAD "```demo spectrum\nnoise = nan\n```\n", 6, "not a number", 1},
    {"int out of range", HEAD "```demo svd\nimage = data/images/boats.pgm\nrank = 0\n```\n", 7,
     "rank: 0 is out of range 1..4096", 1},
    {"real out of range", HEAD "```demo rank-noise\nnoise = 2\n```\n", 6,
     "noise: 2 is out of range 0..1", 1},
    {"bad enum", HEAD "```demo matrix\nrows = 1 2; 3 4\nshow = all\n```\n", 7,
     "show: 'all' is not one of: rank, steps, singular", 1},
    {"bad bool", HEAD "```demo matrix\nrows = 1 2; 3 4\neditable = maybe\n```\n", 7,
     "editable: 'maybe' is not yes or no", 1},
    {"bad rows", HEAD "```demo matrix\nrows = 1 2; 3\n```\n", 6,
     "rows: row 2 has 1 number but row 1 has 2", 1},
    {"rows not numbers", HEAD "```demo rowreduce\nrows = 1 x; 3 4\n```\n", 6,
     "'x' in row 1 is not a number", 1},
    {"rows too big", HEAD "```demo matrix\nrows = 1 2 3 4 5 6 7 8 9 10 11 12 13\n```\n", 6,
     "more than 12 numbers", 1},
    {"missing required", HEAD "```demo svd\nrank = 3\n```\n", 5,
     "missing required parameter 'image'", 1},
    {"missing data file", HEAD "```demo svd\nimage = data/images/no-such-photo.pgm\n```\n", 6,
     "image: data file 'data/images/no-such-photo.pgm' not found", 1},
    {"wrong file type", HEAD "```demo svd\nimage = data/matrices/rank2.csv\n```\n", 6,
     "should end in one of: .pgm, .png", 1},
    {"given twice", HEAD "```demo lora-cost\nd = 8\nk = 8\nd = 9\n```\n", 8,
     "'d' given twice (first on line 6)", 1},
    {"one of, neither", HEAD "```demo matrix\nshow = rank\n```\n", 5, "needs one of: matrix, rows",
     1},
    {"one of, both",
     HEAD "```demo rowreduce\nmatrix = data/matrices/rank2.csv\nrows = 1 2; 3 4\n```\n", 7,
     "give only one of: matrix, rows", 1},
    {"rule", HEAD "```demo spectrum\nsize = 10\nrank = 20\n```\n", 7,
     "rank (20) must not exceed size (10)", 1},
    {"rule against default", HEAD "```demo lora-cost\nd = 4\n```\n", 6,
     "rank (8) must not exceed d (4)", 1},
    {"no equals", HEAD "```demo lora-cost\nd 8\n```\n", 6, "expected 'key = value', got 'd 8'", 1},
    {"bad key", HEAD "```demo lora-cost\n9d = 8\n```\n", 6, "'9d' is not a parameter name", 1},
    {"empty value", HEAD "```demo lora-cost\nd =\n```\n", 6, "'d' has no value", 2},
    {"unclosed", HEAD "```demo lora-cost\nd = 64\n", 5, "block is never closed", 1},
};

static const LintCase question_cases[] = {
    {"no choices, no answer", HEAD "```question\nask = Why?\n```\n", 5,
     "needs 'choice = ...' lines (multiple choice) or 'answer = ...'", 1},
    {"missing ask", HEAD "```question\nanswer = 1\n```\n", 5, "missing 'ask = ...'", 1},
    {"one choice", HEAD "```question\nask = ?\nchoice = * a\n```\n", 7, "only one choice", 1},
    {"correct out of range",
     HEAD "```question\nask = ?\nchoice = a\nchoice = b\ncorrect = 3\n```\n", 9,
     "correct = 3 but there are only 2 choices", 1},
    {"correct not a number",
     HEAD "```question\nask = ?\nchoice = a\nchoice = b\ncorrect = b\n```\n", 9,
     "correct = 'b' is not a choice number", 1},
    {"correct zero", HEAD "```question\nask = ?\nchoice = a\nchoice = b\ncorrect = 0\n```\n", 9,
     "is not a choice number", 1},
    {"no right choice", HEAD "```question\nask = ?\nchoice = a\nchoice = b\n```\n", 5,
     "no right answer", 1},
    {"two stars", HEAD "```question\nask = ?\nchoice = * a\nchoice = * b\n```\n", 8,
     "more than one choice marked '*' (first on line 7)", 1},
    {"star and correct disagree",
     HEAD "```question\nask = ?\nchoice = * a\nchoice = b\ncorrect = 2\n```\n", 9,
     "correct = 2 disagrees with the choice marked '*' on line 7", 1},
    {"numeric without answer", HEAD "```question\nask = ?\ntolerance = 0.1\n```\n", 5,
     "numeric question (it has 'tolerance') without 'answer'", 1},
    {"answer not a number", HEAD "```question\nask = ?\nanswer = two\n```\n", 7,
     "answer = 'two' is not a number", 1},
    {"negative tolerance", HEAD "```question\nask = ?\nanswer = 2\ntolerance = -1\n```\n", 8,
     "tolerance = '-1' must be a number zero or larger", 1},
    {"both kinds", HEAD "```question\nask = ?\nchoice = * a\nchoice = b\nanswer = 3\n```\n", 9,
     "has choices and also 'answer'", 1},
    {"correct without choices", HEAD "```question\nask = ?\ncorrect = 1\n```\n", 7,
     "'correct' needs choices", 1},
    {"unknown key", HEAD "```question\nask = ?\nanswer = 1\nhnit = x\n```\n", 8,
     "unknown key 'hnit'", 1},
    {"duplicate key", HEAD "```question\nask = ?\nask = again\nanswer = 1\n```\n", 7,
     "'ask' given twice (first on line 6)", 1},
    {"junk after question", HEAD "```question 3\nask = ?\nanswer = 1\n```\n", 5,
     "unexpected '3' after ```question", 1},
    {"too many choices",
     HEAD "```question\nask = ?\nchoice = * 1\nchoice = 2\nchoice = 3\nchoice = 4\nchoice = 5\n"
          "choice = 6\nchoice = 7\nchoice = 8\nchoice = 9\nchoice = 10\n```\n",
     16, "more than 9 choices", 1},
    {"empty hint", HEAD "```question\nask = ?\nanswer = 1\nhint =\n```\n", 8, "'hint' has no value",
     1},
    {"unclosed question", HEAD "```question\nask = ?\nanswer = 1\n", 5, "never closed", 1},
};

static void run_cases(const LintCase *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        Lesson l = check_str(cases[i].text);
        bool found = false;
        for (int d = 0; d < l.n_diags; d++)
            if (l.diags[d].line == cases[i].line && strstr(l.diags[d].message, cases[i].part))
                found = true;
        if (!found || l.n_diags != cases[i].count) {
            dump(&l);
            fail_msg("case '%s': want %d problem(s), one on line %d with \"%s\"; got %d",
                     cases[i].name, cases[i].count, cases[i].line, cases[i].part, l.n_diags);
        }
        /* The block is still in the model, marked as not to be run. */
        const Block *b = first_block(&l);
        if ((b->kind == BLOCK_DEMO || b->kind == BLOCK_QUESTION) && b->valid)
            fail_msg("case '%s': block still marked valid", cases[i].name);
        lesson_free(&l);
    }
}

/* ------------------------------------------------------------------------
 * Problems, one kind at a time */

static void test_demo_problems(void **state)
{
    (void)state;
    run_cases(demo_cases, sizeof demo_cases / sizeof demo_cases[0]);
}

static void test_question_problems(void **state)
{
    (void)state;
    run_cases(question_cases, sizeof question_cases / sizeof question_cases[0]);
}

static void test_clean_blocks_stay_valid(void **state)
{
    (void)state;
    Lesson l = check_str(HEAD "```demo svd\nimage = data/images/boats.pgm\n```\n\n"
                              "```demo rank-noise\nnoise = 1e-3\ntolerance = 0\n```\n\n"
                              "```demo spectrum\nsize = 8\nrank = 8\n```\n\n"
                              "```demo rowreduce\nmatrix = data/matrices/rank2.csv\n```\n\n"
                              "```question\nask = ?\nchoice = a\nchoice = b\ncorrect = 2\n```\n");
    if (l.n_diags) dump(&l);
    assert_int_equal(l.n_diags, 0);
    for (int i = 0; i < l.pages[0].n_blocks; i++)
        assert_true(l.pages[0].blocks[i].valid);
    lesson_free(&l);
}

static void test_several_problems_in_order(void **state)
{
    (void)state;
    Lesson l =
        check_str(HEAD "```demo svd\nrank = x\nimage = data/images/nope.pgm\nfoo = 1\n```\n\n"
                       "```question\nask = ?\n```\n");
    if (l.n_diags != 4) dump(&l);
    assert_int_equal(l.n_diags, 4);
    assert_int_equal(l.diags[0].line, 6);
    assert_int_equal(l.diags[1].line, 7);
    assert_int_equal(l.diags[2].line, 8);
    assert_int_equal(l.diags[3].line, 11);
    lesson_free(&l);
}

static void test_file_name_and_numbers(void **state)
{
    (void)state;
    Lesson l;
    Status st;
    assert_int_equal(lesson_parse(&l, "# T\n\nx\n", 8, "some/dir/rank.md", &st), LS_OK);
    assert_int_equal(lesson_check_file_name(&l, &st), LS_OK);
    assert_int_equal(l.n_diags, 1);
    assert_int_equal(l.diags[0].line, 0);
    assert_non_null(strstr(l.diags[0].message, "'rank.md' is not a lesson file name"));
    lesson_free(&l);
    assert_int_equal(lesson_parse(&l, "# T\n\nx\n", 8, "some/dir/04-rank.md", &st), LS_OK);
    assert_int_equal(lesson_check_file_name(&l, &st), LS_OK);
    assert_int_equal(l.n_diags, 0);
    lesson_free(&l);

    /* Two lessons numbered 4 in one folder: the second one hears about it. */
    char dir[] = "/tmp/lorascope-test-lint-XXXXXX";
    assert_non_null(mkdtemp(dir));
    static const char *const names[] = {"04-a.md", "04-b.md", "05-c.md"};
    char path[128];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs("# T\n\n## P\n\nx\n", f);
        fclose(f);
    }
    LessonList list;
    assert_int_equal(lessons_load_dir(&list, dir, &st), LS_OK);
    assert_int_equal(list.n, 3);
    assert_int_equal(list.lessons[0].n_diags, 0);
    assert_int_equal(list.lessons[1].n_diags, 1);
    assert_non_null(
        strstr(list.lessons[1].diags[0].message, "lesson number 4 is also used by 04-a.md"));
    assert_int_equal(list.lessons[2].n_diags, 0);
    lessons_free(&list);
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* ------------------------------------------------------------------------
 * The demo table */

static void test_schema_table_is_consistent(void **state)
{
    (void)state;
    int n;
    const DemoKind *k = demo_kinds(&n);
    assert_true(n >= 6);
    static const char *const needed[] = {"matrix", "rowreduce", "rank-noise",
                                         "svd",    "spectrum",  "lora-cost"};
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
        assert_non_null(demo_kind_find(needed[i]));
    assert_null(demo_kind_find("nope"));
    assert_null(demo_kind_find(NULL));

    for (int i = 0; i < n; i++) {
        assert_non_null(k[i].summary);
        assert_true(k[i].n_params <= DEMO_MAX_PARAMS);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(k[i].name, k[j].name);
        for (int p = 0; p < k[i].n_params; p++) {
            const DemoParamSpec *s = &k[i].params[p];
            assert_non_null(s->help);
            for (int q = 0; q < p; q++)
                assert_string_not_equal(s->name, k[i].params[q].name);
            if (s->type == DEMO_PARAM_ENUM) assert_non_null(s->choices);
            if (s->type == DEMO_PARAM_INT || s->type == DEMO_PARAM_REAL)
                assert_true(s->min <= s->max);
            /* A required parameter has no default; every default parses. */
            if (s->required) assert_null(s->def);
            if (s->def) {
                DemoValue v;
                char msg[256];
                if (!demo_value_parse(s, s->def, &v, msg, sizeof msg))
                    fail_msg("%s.%s: default '%s': %s", k[i].name, s->name, s->def, msg);
            }
        }
        for (int o = 0; k[i].one_of && k[i].one_of[o]; o++)
            assert_non_null(demo_param_find(&k[i], k[i].one_of[o], NULL));
        for (int r = 0; r < k[i].n_rules; r++) {
            const DemoParamSpec *a = demo_param_find(&k[i], k[i].rules[r].small, NULL);
            const DemoParamSpec *b = demo_param_find(&k[i], k[i].rules[r].large, NULL);
            assert_non_null(a);
            assert_non_null(b);
            assert_true(a->type == DEMO_PARAM_INT || a->type == DEMO_PARAM_REAL);
            assert_true(b->type == DEMO_PARAM_INT || b->type == DEMO_PARAM_REAL);
        }
        /* A block with only the required (or one-of) parameters resolves
         * with defaults and no rule broken. */
        Block b = {.kind = BLOCK_DEMO, .line = 1, .info = (char *)k[i].name};
        Param pa[2];
        int np = 0;
        if (k[i].need_one) pa[np++] = (Param){"rows", "1 2; 3 4", 2};
        if (strcmp(k[i].name, "svd") == 0) pa[np++] = (Param){"image", "data/images/boats.pgm", 2};
        b.params = pa;
        b.n_params = np;
        DemoArgs args;
        Status st;
        if (demo_args_from_block(&args, &b, &st) != LS_OK) fail_msg("%s: %s", k[i].name, st.msg);
    }
    assert_string_equal(demo_param_type_name(DEMO_PARAM_ROWS), "rows");
}

static void test_typed_args(void **state)
{
    (void)state;
    Param pa[] = {{"rank", "16", 3}, {"image", "data/images/boats.pgm", 4}};
    Block b = {.kind = BLOCK_DEMO, .line = 2, .info = "svd", .params = pa, .n_params = 2};
    DemoArgs a;
    Status st;
    assert_int_equal(demo_args_from_block(&a, &b, &st), LS_OK);
    assert_int_equal(demo_args_int(&a, "rank"), 16);
    assert_true(demo_args_given(&a, "rank"));
    assert_string_equal(demo_args_text(&a, "image"), "data/images/boats.pgm");
    assert_true(demo_args_bool(&a, "error")); /* the default */
    assert_false(demo_args_given(&a, "error"));
    assert_int_equal(demo_args_get(&a, "rank")->line, 3);
    assert_null(demo_args_get(&a, "nope"));
    assert_int_equal(demo_args_int(&a, "nope"), 0);

    Param pb[] = {{"show", "singular", 3}, {"rows", "1 2 3; 1 5 6; 3 4 7", 4}};
    Block m = {.kind = BLOCK_DEMO, .line = 2, .info = "matrix", .params = pb, .n_params = 2};
    assert_int_equal(demo_args_from_block(&a, &m, &st), LS_OK);
    assert_string_equal(demo_args_text(&a, "show"), "singular");
    assert_int_equal(demo_args_int(&a, "show"), 2); /* the choice's index */
    assert_false(demo_args_given(&a, "matrix"));

    Param pc[] = {{"noise", "0.25", 3}};
    Block rn = {.kind = BLOCK_DEMO, .line = 2, .info = "rank-noise", .params = pc, .n_params = 1};
    assert_int_equal(demo_args_from_block(&a, &rn, &st), LS_OK);
    assert_true(demo_args_real(&a, "noise") == 0.25);
    assert_string_equal(demo_args_text(&a, "rows"), "1 2 3; 1 5 6; 3 4 7"); /* default example */

    /* A bad value reports the first problem with its line. */
    pa[0].value = "huge";
    assert_int_equal(demo_args_from_block(&a, &b, &st), LS_ERR_PARSE);
    assert_non_null(strstr(st.msg, "line 3"));
    assert_non_null(strstr(st.msg, "rank"));
    assert_int_equal(demo_args_int(&a, "rank"), 8); /* the default stands in */
}

static void test_rows_parse(void **state)
{
    (void)state;
    Mat m;
    Status st;
    assert_int_equal(demo_rows_parse(&m, "1 2 3; 1 5 6; 3 4 7", &st), LS_OK);
    assert_int_equal(m.rows, 3);
    assert_int_equal(m.cols, 3);
    assert_true(MAT_AT(&m, 1, 1) == 5.0f);
    assert_true(MAT_AT(&m, 2, 2) == 7.0f);
    mat_free(&m);
    assert_int_equal(demo_rows_parse(&m, " 1, -2.5e0 ;3 4; ", &st), LS_OK);
    assert_int_equal(m.rows, 2);
    assert_true(MAT_AT(&m, 0, 1) == -2.5f);
    mat_free(&m);
    static const char *const bad[] = {"", ";", "1 2; 3", "1;;2", "a b", "1 2; 3 inf", "1e999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (demo_rows_parse(&m, bad[i], &st) == LS_OK) fail_msg("'%s' accepted", bad[i]);
        assert_null(m.data);
    }
}

/* ------------------------------------------------------------------------
 * FORMAT.md tells the truth */

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

static void test_format_documents_every_demo(void **state)
{
    (void)state;
    char *doc = read_all("lessons/FORMAT.md");
    assert_non_null(doc);
    int n;
    const DemoKind *k = demo_kinds(&n);
    char want[96];
    for (int i = 0; i < n; i++) {
        snprintf(want, sizeof want, "### `%s`", k[i].name);
        if (!strstr(doc, want)) fail_msg("FORMAT.md has no section %s", want);
        const char *sec = strstr(doc, want);
        const char *end = strstr(sec + 4, "\n### ");
        for (int p = 0; p < k[i].n_params; p++) {
            snprintf(want, sizeof want, "| `%s` |", k[i].params[p].name);
            const char *hit = strstr(sec, want);
            if (!hit || (end && hit > end))
                fail_msg("FORMAT.md: demo %s does not document '%s'", k[i].name,
                         k[i].params[p].name);
            /* the default, when there is one, is on that row */
            if (k[i].params[p].def) {
                const char *eol = strchr(hit, '\n');
                snprintf(want, sizeof want, "`%s`", k[i].params[p].def);
                const char *d = strstr(hit, want);
                if (!d || d > eol)
                    fail_msg("FORMAT.md: %s.%s default is not %s", k[i].name, k[i].params[p].name,
                             want);
            }
        }
    }
    static const char *const keys[] = {"`ask`",       "`choice`", "`correct`", "`answer`",
                                       "`tolerance`", "`hint`",   "`explain`"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_non_null(strstr(doc, keys[i]));
    free(doc);
}

static void test_format_template_lints_clean(void **state)
{
    (void)state;
    Lesson f;
    Status st;
    char *doc = read_all("lessons/FORMAT.md");
    assert_non_null(doc);
    assert_int_equal(lesson_parse(&f, doc, strlen(doc), "lessons/FORMAT.md", &st), LS_OK);
    free(doc);
    int templates = 0;
    for (int p = 0; p < f.n_pages; p++)
        for (int i = 0; i < f.pages[p].n_blocks; i++) {
            const Block *b = &f.pages[p].blocks[i];
            if (b->kind != BLOCK_CODE || strcmp(b->info, "markdown") != 0) continue;
            templates++;
            Lesson t = check_str(b->code);
            if (t.n_diags) dump(&t);
            assert_int_equal(t.n_diags, 0);
            assert_true(t.n_questions >= 1);
            lesson_free(&t);
        }
    assert_int_equal(templates, 1);
    /* The ```text examples of demos and questions are valid too. */
    for (int p = 0; p < f.n_pages; p++)
        for (int i = 0; i < f.pages[p].n_blocks; i++) {
            const Block *b = &f.pages[p].blocks[i];
            if (b->kind != BLOCK_CODE || strcmp(b->info, "text") != 0) continue;
            if (strncmp(b->code, "```", 3) != 0) continue;
            size_t len = strlen(b->code) + 32;
            char *wrapped = malloc(len);
            snprintf(wrapped, len, "# T\n\n%s", b->code);
            Lesson t = check_str(wrapped);
            if (t.n_diags) dump(&t);
            assert_int_equal(t.n_diags, 0);
            lesson_free(&t);
            free(wrapped);
        }
    lesson_free(&f);
}

/* ------------------------------------------------------------------------
 * The lint command */

static void test_cli_shipped_lessons_pass(void **state)
{
    (void)state;
    CliResult r = cli_run("lint lessons", NULL);
    if (r.status != 0) print_message("%s%s", r.out, r.err);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, " lessons OK\n"));
    assert_string_equal(r.err, "");
    cli_result_free(&r);

    /* No argument: the lessons folder under the root. */
    r = cli_run("lint", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, " lessons OK\n"));
    cli_result_free(&r);

    /* The shipped lessons hold demos and questions, and teach lessons 1, 2. */
    LessonList list;
    Status st;
    assert_int_equal(lessons_load_dir(&list, "lessons", &st), LS_OK);
    assert_true(list.n >= 2);
    assert_string_equal(list.lessons[0].id, "01-rank");
    assert_string_equal(list.lessons[1].id, "02-svd");
    for (int i = 0; i < 2; i++) {
        const Lesson *l = &list.lessons[i];
        int demos = 0;
        for (int p = 0; p < l->n_pages; p++)
            for (int b = 0; b < l->pages[p].n_blocks; b++)
                demos += l->pages[p].blocks[b].kind == BLOCK_DEMO;
        assert_true(l->n_pages >= 5);
        assert_true(demos >= 2);
        assert_true(l->n_questions >= 4);
    }
    lessons_free(&list);
}

static void test_cli_good_folder(void **state)
{
    (void)state;
    CliResult r = cli_run("lint tests/data/lessons/good", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "3 lessons OK\n");
    assert_string_equal(r.err, "");
    cli_result_free(&r);

    r = cli_run("lint tests/data/lessons/good/02-second.md", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "1 lesson OK\n");
    cli_result_free(&r);
}

static void test_cli_reports_file_line_message(void **state)
{
    (void)state;
    CliResult r = cli_run("lint tests/data/lessons/broken/05-errors.md", NULL);
    assert_int_equal(r.status, 1);
    /* Every line of the report, in order. */
    static const char *const want[] = {
        ":5: unknown demo 'wavelet'",
        ":10: demo svd: image: data file 'assets/missing.pgm' not found",
        ":11: demo svd: rank: 'eight' is not a whole number",
        ":14: demo svd: missing required parameter 'image'",
        ":15: demo svd: rank: 99999 is out of range 1..4096",
        ":20: demo spectrum: rank (20) must not exceed size (10)",
        ":21: demo spectrum: noise: 'lots' is not a number",
        ":26: demo matrix: show: 'everything' is not one of: rank, steps, singular",
        ":27: demo matrix: expected 'key = value', got 'this line has no equals sign'",
        ":32: question: needs 'choice = ...' lines",
        ":40: question: correct = 5 but there are only 2 choices",
        ":43: question: numeric question (it has 'tolerance') without 'answer'",
        ":48: question: missing 'ask = ...'",
        ":49: question: only one choice",
        ":56: question: has choices and also 'answer'",
        ":59: ```demo lora-cost block is never closed",
    };
    const char *p = r.out;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *eol = strchr(p, '\n');
        assert_non_null(eol);
        const char *prefix = "tests/data/lessons/broken/05-errors.md";
        if (strncmp(p, prefix, strlen(prefix)) != 0 || !strstr(p, want[i]) ||
            strstr(p, want[i]) > eol)
            fail_msg("line %zu: want %s%s..., got %.*s", i + 1, prefix, want[i], (int)(eol - p), p);
        p = eol + 1;
    }
    assert_string_equal(p, ""); /* nothing more */
    assert_non_null(strstr(r.err, "lorascope: 16 problems in 1 of 1 file"));
    cli_result_free(&r);
}

static void test_cli_mixed_folder(void **state)
{
    (void)state;
    CliResult r = cli_run("lint tests/data/lessons/mixed", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.out, "tests/data/lessons/mixed/02-broken.md:5: unknown demo 'svdd' "
                                  "(did you mean 'svd'?)\n"));
    assert_non_null(strstr(r.out, "tests/data/lessons/mixed/02-broken.md:9: question: "));
    assert_null(strstr(r.out, "01-first"));
    assert_null(strstr(r.out, "03-third"));
    assert_non_null(strstr(r.err, "2 problems in 1 of 3 files"));
    cli_result_free(&r);

    /* Good and bad together: still exit 1; good files add nothing. */
    r = cli_run("lint tests/data/lessons/good tests/data/lessons/mixed/02-broken.md", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "2 problems in 1 of 4 files"));
    cli_result_free(&r);
}

static void test_cli_errors_and_usage(void **state)
{
    (void)state;
    CliResult r = cli_run("lint tests/data/lessons/no-such-thing", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "lorascope: tests/data/lessons/no-such-thing: No such file"));
    cli_result_free(&r);

    r = cli_run("lint --frobnicate", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "lorascope: unknown option '--frobnicate'"));
    cli_result_free(&r);

    r = cli_run("lint --help", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "Usage: lorascope lint"));
    cli_result_free(&r);

    /* A folder without lesson files: nothing was checked, which is an error. */
    r = cli_run("lint tests/data/lessons/good/assets", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "no lesson files"));
    cli_result_free(&r);

    /* A file whose name is not a lesson name: reported without a line. */
    r = cli_run("lint tests/data/lessons/good/README.md", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(
        strstr(r.out, "tests/data/lessons/good/README.md: 'README.md' is not a lesson file name"));
    assert_non_null(strstr(r.out, "tests/data/lessons/good/README.md:4: unknown demo 'nonsense'"));
    cli_result_free(&r);
}

/* ------------------------------------------------------------------------
 * What a lesson may read: files beside it and in lorascope's data folder,
 * nothing else (absolute paths, ".." and symbolic links that lead out are
 * refused by lint and by the interface, with file:line). */

static void test_lesson_paths(void **state)
{
    (void)state;
    char dir[] = "/tmp/lorascope-test-paths-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char root_data[4096], cmd[8192];
    assert_non_null(realpath("data/images/boats.pgm", root_data));
    snprintf(cmd, sizeof cmd,
             "set -e; cd %s; mkdir -p lesson/sub secret; "
             "printf '1 2\\n3 4\\n' > secret/outside.csv; "
             "printf '1 0\\n0 1\\n' > lesson/mine.csv; printf '1 0\\n0 1\\n' > lesson/sub/deep.csv; "
             "ln -s %s/secret/outside.csv lesson/link.csv; ln -s %s/secret lesson/escape",
             dir, dir, dir);
    assert_int_equal(system(cmd), 0);
    char lesson[4200];
    snprintf(lesson, sizeof lesson, "%s/lesson/01-paths.md", dir);
    FILE *f = fopen(lesson, "w");
    assert_non_null(f);
    fprintf(f,
            "# Paths\n"                                /* 1 */
            "\n"                                       /* 2 */
            "```demo matrix\n"                         /* 3 */
            "matrix = mine.csv\n"                      /* 4: beside the lesson */
            "```\n"                                    /* 5 */
            "```demo matrix\n"                         /* 6 */
            "matrix = sub/./deep.csv\n"                /* 7: in a subfolder */
            "```\n"                                    /* 8 */
            "```demo svd\n"                            /* 9 */
            "image = data/images/boats.pgm\n"          /* 10: lorascope's data */
            "```\n"                                    /* 11 */
            "```demo matrix\n"                         /* 12 */
            "matrix = ../secret/outside.csv\n"         /* 13: .. out */
            "```\n"                                    /* 14 */
            "```demo matrix\n"                         /* 15 */
            "matrix = %s/secret/outside.csv\n"         /* 16: absolute */
            "```\n"                                    /* 17 */
            "```demo matrix\n"                         /* 18 */
            "matrix = link.csv\n"                      /* 19: a link out */
            "```\n"                                    /* 20 */
            "```demo matrix\n"                         /* 21 */
            "matrix = escape/outside.csv\n"            /* 22: a linked folder */
            "```\n"                                    /* 23 */
            "```demo svd\n"                            /* 24 */
            "image = %s\n"                             /* 25: absolute, in data */
            "```\n"                                    /* 26 */
            "```demo matrix\n"                         /* 27 */
            "matrix = data/../../../../../../../../../../../../etc/hosts.csv\n" /* 28 */
            "```\n",                                   /* 29 */
            dir, root_data);
    fclose(f);

    Lesson l;
    Status st;
    assert_int_equal(lesson_load(&l, lesson, &st), LS_OK);
    lesson_sort_diags(&l);
    static const struct {
        int line;
        const char *text;
    } want[] = {
        {13, "leads outside the lesson's folder"}, {16, "absolute path"},
        {19, "symbolic link"},                     {22, "symbolic link"},
        {25, "absolute path"},                     {28, "leads outside"},
    };
    int n = (int)(sizeof want / sizeof want[0]);
    if (l.n_diags != n)
        for (int i = 0; i < l.n_diags; i++)
            print_message("%d: %s\n", l.diags[i].line, l.diags[i].message);
    assert_int_equal(l.n_diags, n);
    for (int i = 0; i < n; i++) {
        assert_int_equal(l.diags[i].line, want[i].line);
        assert_non_null(strstr(l.diags[i].message, want[i].text));
    }
    /* The good ones run; the refused ones are placeholders, never read. */
    const Page *pg = &l.pages[0];
    assert_int_equal(pg->n_blocks, 9);
    for (int i = 0; i < pg->n_blocks; i++) assert_int_equal(pg->blocks[i].valid, i < 3);
    DemoArgs a;
    assert_int_equal(demo_args_from_block(&a, &pg->blocks[0], &st), LS_OK);
    char path[4096];
    assert_int_equal(demo_args_path(&a, "matrix", path, sizeof path, &st), LS_OK);
    assert_non_null(strstr(path, "/lesson/mine.csv"));
    /* The interface's own path goes through the same rule. */
    assert_int_equal(demo_args_from_block(&a, &pg->blocks[5], &st), LS_ERR_PARSE);
    assert_non_null(strstr(st.msg, "line 19"));
    lesson_free(&l);

    /* lint says file:line for each. */
    char args[4300];
    snprintf(args, sizeof args, "lint %s", lesson);
    CliResult r = cli_run(args, NULL);
    assert_int_equal(r.status, 1);
    for (int i = 0; i < n; i++) {
        char at[4300];
        snprintf(at, sizeof at, "%s:%d: ", lesson, want[i].line);
        if (!strstr(r.out, at)) print_error("no '%s' in:\n%s\n", at, r.out);
        assert_non_null(strstr(r.out, at));
    }
    assert_null(strstr(r.out, ":4: "));
    cli_result_free(&r);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_problems),
        cmocka_unit_test(test_question_problems),
        cmocka_unit_test(test_clean_blocks_stay_valid),
        cmocka_unit_test(test_several_problems_in_order),
        cmocka_unit_test(test_file_name_and_numbers),
        cmocka_unit_test(test_schema_table_is_consistent),
        cmocka_unit_test(test_typed_args),
        cmocka_unit_test(test_rows_parse),
        cmocka_unit_test(test_format_documents_every_demo),
        cmocka_unit_test(test_format_template_lints_clean),
        cmocka_unit_test(test_cli_shipped_lessons_pass),
        cmocka_unit_test(test_cli_good_folder),
        cmocka_unit_test(test_cli_reports_file_line_message),
        cmocka_unit_test(test_cli_mixed_folder),
        cmocka_unit_test(test_cli_errors_and_usage),
        cmocka_unit_test(test_lesson_paths),
    };
    return cmocka_run_group_tests_name("lint", tests, NULL, NULL);
}
