/* test_lesson.c — the lesson parser and loader (src/lesson/parse.c, load.c).
 *
 * A well-formed fixture lesson (tests/data/lessons/good/01-basics.md) must
 * come out as exactly the pages, blocks, spans, parameters and questions it
 * holds, with the right source lines. Then the shape rules (intro page,
 * title, at least one page), the lesson-file name filter, folder loading
 * (sorted, non-lessons skipped, broken lessons kept), and bad input of every
 * kind we could think of: it must never crash, never fail, and only ever hand
 * the interface valid UTF-8. Run from the repository root. */
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

#include "../src/lesson/lesson.h"

#define GOOD "tests/data/lessons/good"
#define MIXED "tests/data/lessons/mixed"

/* ------------------------------------------------------------------------
 * Helpers */

static Lesson parse_str(const char *text)
{
    Lesson l;
    Status st;
    assert_int_equal(lesson_parse(&l, text, strlen(text), "mem/03-test.md", &st), LS_OK);
    return l;
}

/* Is s valid UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF)? */
static bool utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        int n = c < 0x80             ? 0
                : (c & 0xE0) == 0xC0 ? 1
                : (c & 0xF0) == 0xE0 ? 2
                : (c & 0xF8) == 0xF0 ? 3
                                     : -1;
        if (n < 0 || (n == 1 && c < 0xC2)) return false;
        unsigned cp = n == 0 ? c : n == 1 ? c & 0x1F : n == 2 ? c & 0x0F : c & 0x07;
        for (int i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        p += n + 1;
    }
    return true;
}

/* Walk every string the interface could draw and check the shape promises. */
static void check_sane(const Lesson *l)
{
    assert_non_null(l->title);
    assert_non_null(l->id);
    assert_true(utf8_ok(l->title));
    assert_true(l->n_pages >= 1);
    int questions = 0;
    for (int p = 0; p < l->n_pages; p++) {
        const Page *pg = &l->pages[p];
        assert_non_null(pg->title);
        assert_true(utf8_ok(pg->title));
        for (int i = 0; i < pg->n_blocks; i++) {
            const Block *b = &pg->blocks[i];
            assert_true(b->line >= 1);
            for (int s = 0; s < b->n_spans; s++) {
                assert_non_null(b->spans[s].text);
                assert_true(utf8_ok(b->spans[s].text));
            }
            if (b->code) assert_true(utf8_ok(b->code));
            for (int k = 0; k < b->n_params; k++) {
                assert_true(utf8_ok(b->params[k].key));
                assert_true(utf8_ok(b->params[k].value));
            }
            if (b->kind == BLOCK_QUESTION) {
                assert_non_null(b->question.prompt);
                assert_int_equal(b->question.index, questions);
                questions++;
                if (b->question.kind == QUESTION_CHOICE && b->question.n_choices > 0) {
                    assert_true(b->question.correct >= 0);
                    assert_true(b->question.correct < b->question.n_choices);
                }
            }
        }
    }
    assert_int_equal(questions, l->n_questions);
    for (int i = 0; i < l->n_diags; i++) {
        assert_non_null(l->diags[i].message);
        assert_true(utf8_ok(l->diags[i].message));
        assert_true(l->diags[i].line >= 0);
    }
}

static bool has_diag(const Lesson *l, int line, const char *part)
{
    for (int i = 0; i < l->n_diags; i++)
        if ((line < 0 || l->diags[i].line == line) && strstr(l->diags[i].message, part))
            return true;
    return false;
}

/* ------------------------------------------------------------------------
 * File names */

static void test_file_names(void **state)
{
    (void)state;
    int order = -1;
    assert_true(lesson_file_name("01-rank.md", &order));
    assert_int_equal(order, 1);
    assert_true(lesson_file_name("7-lab.md", &order));
    assert_int_equal(order, 7);
    assert_true(lesson_file_name("123-x.md", &order));
    assert_int_equal(order, 123);
    assert_true(lesson_file_name("02-svd.md", NULL));

    static const char *const not_lessons[] = {
        "FORMAT.md",  "README.md", "rank.md",     "01-rank.md~",    ".01-rank.md",
        "01_rank.md", "01-.md",    "01-rank.txt", "01-rank.md.swp", "-01-rank.md",
        "01rank.md",  "",          "01-rank.MD",
    };
    for (size_t i = 0; i < sizeof not_lessons / sizeof not_lessons[0]; i++)
        if (lesson_file_name(not_lessons[i], NULL))
            fail_msg("'%s' taken as a lesson", not_lessons[i]);
}

/* ------------------------------------------------------------------------
 * The well-formed fixture, block by block */

static void test_parse_good_fixture(void **state)
{
    (void)state;
    Lesson l;
    Status st;
    assert_int_equal(lesson_load(&l, GOOD "/01-basics.md", &st), LS_OK);
    check_sane(&l);
    for (int i = 0; i < l.n_diags; i++)
        print_message("diag %d: %s\n", l.diags[i].line, l.diags[i].message);
    assert_int_equal(l.n_diags, 0);
    assert_string_equal(l.id, "01-basics");
    assert_int_equal(l.order, 1);
    assert_string_equal(l.title, "Basics of everything");
    assert_int_equal(l.n_pages, 4);
    assert_int_equal(l.n_questions, 3);

    /* Page 0: the introduction (the HTML comment is dropped). */
    const Page *p = &l.pages[0];
    assert_string_equal(p->title, "");
    assert_int_equal(p->n_blocks, 1);
    const Block *b = &p->blocks[0];
    assert_int_equal(b->kind, BLOCK_PARAGRAPH);
    assert_int_equal(b->line, 3);
    static const struct {
        const char *text;
        int style;
    } spans[] = {
        {"An intro with ", SPAN_PLAIN},
        {"emphasis", SPAN_EMPH},
        {", ", SPAN_PLAIN},
        {"strong", SPAN_STRONG},
        {", ", SPAN_PLAIN},
        {"code", SPAN_CODE},
        {" and a ", SPAN_PLAIN},
        {"link", SPAN_LINK},
        {". Second line of the same paragraph.", SPAN_PLAIN},
    };
    assert_int_equal(b->n_spans, (int)(sizeof spans / sizeof spans[0]));
    for (int i = 0; i < b->n_spans; i++) {
        assert_string_equal(b->spans[i].text, spans[i].text);
        assert_int_equal(b->spans[i].style, spans[i].style);
    }
    assert_string_equal(b->spans[7].url, "https://example.org/x");
    assert_null(b->spans[0].url);

    /* Page 1: text blocks of every kind. */
    p = &l.pages[1];
    assert_string_equal(p->title, "First page");
    assert_int_equal(p->line, 8);
    static const struct {
        BlockKind kind;
        int line, indent, quote, level;
        bool ordered;
        int number;
        const char *text;
    } want[] = {
        {BLOCK_HEADING, 10, 0, 0, 3, false, 0, "A subheading"},
        {BLOCK_LIST_ITEM, 12, 0, 0, 0, false, 1, "top item"},
        {BLOCK_LIST_ITEM, 13, 1, 0, 0, false, 1, "nested item"},
        {BLOCK_LIST_ITEM, 14, 0, 0, 0, false, 2, "second top item"},
        {BLOCK_PARAGRAPH, 16, 1, 0, 0, false, 0, "continued paragraph of the second item"},
        {BLOCK_LIST_ITEM, 18, 0, 0, 0, true, 3, "third"},
        {BLOCK_LIST_ITEM, 19, 0, 0, 0, true, 4, "fourth"},
        {BLOCK_PARAGRAPH, 21, 0, 1, 0, false, 0, "quoted text"},
        {BLOCK_CODE, 23, 0, 0, 0, false, 0, NULL},
        {BLOCK_RULE, 27, 0, 0, 0, false, 0, NULL},
        {BLOCK_PARAGRAPH, 29, 0, 0, 0, false, 0, "Hard break here\nnext line."},
    };
    assert_int_equal(p->n_blocks, (int)(sizeof want / sizeof want[0]));
    for (int i = 0; i < p->n_blocks; i++) {
        b = &p->blocks[i];
        assert_int_equal(b->kind, want[i].kind);
        assert_int_equal(b->line, want[i].line);
        assert_int_equal(b->indent, want[i].indent);
        assert_int_equal(b->quote, want[i].quote);
        assert_int_equal(b->level, want[i].level);
        if (b->kind == BLOCK_LIST_ITEM) {
            assert_int_equal(b->ordered, want[i].ordered);
            if (want[i].ordered) assert_int_equal(b->number, want[i].number);
        }
        if (want[i].text) {
            assert_int_equal(b->n_spans, 1);
            assert_string_equal(b->spans[0].text, want[i].text);
        }
        assert_true(b->valid);
    }
    assert_string_equal(p->blocks[8].info, "c");
    assert_string_equal(p->blocks[8].code, "int x = 1;\n");

    /* Page 2: demos, with parameters and their lines (comments and blank
     * lines skipped). */
    p = &l.pages[2];
    assert_string_equal(p->title, "Demos");
    assert_int_equal(p->n_blocks, 3);
    b = &p->blocks[0];
    assert_int_equal(b->kind, BLOCK_DEMO);
    assert_int_equal(b->line, 34);
    assert_string_equal(b->info, "matrix");
    assert_true(b->valid);
    assert_int_equal(b->n_params, 3);
    assert_string_equal(b->params[0].key, "rows");
    assert_string_equal(b->params[0].value, "1 2 3; 1 5 6; 3 4 7");
    assert_int_equal(b->params[0].line, 36);
    assert_string_equal(b->params[1].key, "show");
    assert_string_equal(b->params[1].value, "steps");
    assert_int_equal(b->params[1].line, 37);
    assert_string_equal(b->params[2].key, "editable");
    assert_int_equal(b->params[2].line, 39);
    assert_ptr_equal(block_param(b, "show"), &b->params[1]);
    assert_null(block_param(b, "rank"));
    assert_string_equal(p->blocks[1].info, "svd");
    assert_string_equal(block_param(&p->blocks[1], "rank")->value, "2");
    assert_string_equal(p->blocks[2].info, "rowreduce");

    /* Page 3: questions. */
    p = &l.pages[3];
    assert_string_equal(p->title, "Questions");
    assert_int_equal(p->n_blocks, 3);
    const Question *q = &p->blocks[0].question;
    assert_int_equal(p->blocks[0].kind, BLOCK_QUESTION);
    assert_int_equal(p->blocks[0].line, 53);
    assert_int_equal(q->kind, QUESTION_CHOICE);
    assert_string_equal(q->prompt, "What is the rank of A?");
    assert_int_equal(q->n_choices, 3);
    assert_string_equal(q->choices[0], "1");
    assert_string_equal(q->choices[1], "2");
    assert_string_equal(q->choices[2], "* 3"); /* "\*" is a literal star */
    assert_int_equal(q->correct, 1);
    assert_string_equal(q->hint, "Count columns.");
    assert_string_equal(q->explain, "Column 3 is the sum of columns 1 and 2.");
    assert_int_equal(q->index, 0);

    q = &p->blocks[1].question;
    assert_int_equal(q->kind, QUESTION_NUMBER);
    assert_true(fabs(q->answer - 0.5) < 1e-12);
    assert_true(fabs(q->tolerance - 0.01) < 1e-12);
    assert_null(q->hint);
    assert_null(q->explain);
    assert_int_equal(q->index, 1);

    q = &p->blocks[2].question;
    assert_int_equal(q->kind, QUESTION_CHOICE);
    assert_int_equal(q->correct, 1); /* correct = 2 counts from 1 */
    assert_int_equal(q->index, 2);
    assert_ptr_equal(lesson_question(&l, 2), &p->blocks[2]);
    assert_null(lesson_question(&l, 3));

    lesson_free(&l);
    lesson_free(&l); /* a freed lesson is zeroed: freeing again is harmless */
    lesson_free(NULL);
}

/* ------------------------------------------------------------------------
 * Shape rules */

static void test_pages_and_titles(void **state)
{
    (void)state;
    /* Title straight into "##": no empty intro page. */
    Lesson l = parse_str("# T\n\n## One\n\nA.\n\n## Two\n\nB.\n");
    assert_int_equal(l.n_pages, 2);
    assert_string_equal(l.pages[0].title, "One");
    assert_int_equal(l.pages[0].line, 3);
    assert_string_equal(l.pages[1].title, "Two");
    assert_int_equal(l.n_diags, 0);
    lesson_free(&l);

    /* No "##" at all: one untitled page. */
    l = parse_str("# Only\n\nText.\n");
    assert_int_equal(l.n_pages, 1);
    assert_string_equal(l.pages[0].title, "");
    assert_int_equal(l.pages[0].n_blocks, 1);
    lesson_free(&l);

    /* No title: the id stands in, and lint says so. */
    l = parse_str("Just a paragraph.\n");
    assert_string_equal(l.title, "03-test");
    assert_int_equal(l.order, 3);
    assert_true(has_diag(&l, 1, "no '# Title'"));
    lesson_free(&l);

    /* A second "#" is a heading block, and a problem. Nested "##" in a quote
     * does not start a page. Formatting in a title is dropped. */
    l = parse_str("# The **first**\n\n## P\n\n# Again\n\n> ## quoted\n");
    assert_string_equal(l.title, "The first");
    assert_int_equal(l.n_pages, 1);
    assert_int_equal(l.pages[0].n_blocks, 2);
    assert_int_equal(l.pages[0].blocks[0].kind, BLOCK_HEADING);
    assert_int_equal(l.pages[0].blocks[0].level, 1);
    assert_int_equal(l.pages[0].blocks[1].level, 2);
    assert_int_equal(l.pages[0].blocks[1].quote, 1);
    assert_true(has_diag(&l, 5, "second '# ' title (the first is on line 1)"));
    lesson_free(&l);

    /* Empty pages are reported on their heading line. */
    l = parse_str("# T\n\n## Empty\n\n## Full\n\nx\n\n## Last empty\n");
    assert_int_equal(l.n_pages, 3);
    assert_true(has_diag(&l, 3, "page 'Empty' is empty"));
    assert_true(has_diag(&l, 9, "page 'Last empty' is empty"));
    assert_int_equal(l.n_diags, 2);
    lesson_free(&l);

    /* Other code blocks keep their language; HTML that is not a comment is
     * shown as code; an empty list item still has its bullet. */
    l = parse_str("# T\n\n```python extra words\nprint(1)\n```\n\n<div>x</div>\n\n-\n- b\n");
    const Page *p = &l.pages[0];
    assert_int_equal(p->n_blocks, 4);
    assert_int_equal(p->blocks[0].kind, BLOCK_CODE);
    assert_string_equal(p->blocks[0].info, "python");
    assert_int_equal(p->blocks[1].kind, BLOCK_CODE);
    assert_string_equal(p->blocks[1].info, "html");
    assert_int_equal(p->blocks[2].kind, BLOCK_LIST_ITEM);
    assert_int_equal(p->blocks[2].n_spans, 0);
    assert_int_equal(p->blocks[3].kind, BLOCK_LIST_ITEM);
    lesson_free(&l);
}

static void test_crlf_and_comment_lines(void **state)
{
    (void)state;
    Lesson l = parse_str("# T\r\n\r\n## P\r\n\r\n```demo lora-cost\r\n# note\r\nd = 64\r\n"
                         "k = 32\r\n```\r\n");
    check_sane(&l);
    assert_int_equal(l.n_diags, 0);
    const Block *b = &l.pages[0].blocks[0];
    assert_int_equal(b->line, 5);
    assert_int_equal(b->n_params, 2);
    assert_string_equal(b->params[0].value, "64");
    assert_int_equal(b->params[0].line, 7);
    assert_int_equal(b->params[1].line, 8);
    lesson_free(&l);
}

static void test_indentation_and_continuations(void **state)
{
    (void)state;
    /* A block indented as a whole: every line is still a key line. */
    Lesson l =
        parse_str("# T\n\n```demo lora-cost\n  d = 64\n  k = 32\n    # not a comment\n```\n");
    const Block *b = &l.pages[0].blocks[0];
    assert_int_equal(b->n_params, 2);
    assert_string_equal(b->params[0].value, "64");
    assert_string_equal(b->params[1].value, "32 # not a comment"); /* deeper: continues */
    lesson_free(&l);

    /* Continuations join with one space; blank lines in between are skipped. */
    l = parse_str("# T\n\n```question\nask = one\n\n   two\n\tthree\nanswer = 1\n```\n");
    assert_int_equal(l.n_diags, 0);
    assert_string_equal(l.pages[0].blocks[0].question.prompt, "one two three");
    lesson_free(&l);

    /* A value built from very many continuation lines stays linear in time. */
    size_t lines = 300000, n = 0;
    char *buf = malloc(lines * 4 + 64);
    assert_non_null(buf);
    n += (size_t)sprintf(buf, "# T\n\n```question\nask = q\n");
    for (size_t i = 0; i < lines; i++)
        memcpy(buf + n, " x\n", 3), n += 3;
    memcpy(buf + n, "answer = 2\n```\n", 16);
    n += 16;
    assert_int_equal(lesson_parse(&l, buf, n, "x/03-long.md", NULL), LS_OK);
    assert_int_equal(strlen(l.pages[0].blocks[0].question.prompt), 1 + 2 * lines);
    assert_int_equal(l.n_diags, 0);
    lesson_free(&l);
    free(buf);
}

static void test_question_numbers(void **state)
{
    (void)state;
    double v;
    assert_true(question_parse_number("0.5", &v));
    assert_true(v == 0.5);
    assert_true(question_parse_number("  -2e3 ", &v));
    assert_true(v == -2000);
    assert_true(question_parse_number("65536", &v));
    static const char *const bad[] = {"",    " ",    "abc", "1,5",   "inf",
                                      "nan", "0x10", "1 2", "1e999", "--1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (question_parse_number(bad[i], &v)) fail_msg("'%s' taken as a number", bad[i]);

    Question q = {.kind = QUESTION_NUMBER, .answer = 0.5, .tolerance = 0.01};
    assert_true(question_accepts(&q, 0.5));
    assert_true(question_accepts(&q, 0.51));
    assert_true(question_accepts(&q, 0.49));
    assert_false(question_accepts(&q, 0.52));
    assert_false(question_accepts(&q, NAN));
    q.tolerance = 0;
    q.answer = 0.1;
    assert_true(question_accepts(&q, 0.1));
    assert_true(question_accepts(&q, 0.3 - 0.2)); /* decimal round-off is not "wrong" */
    assert_false(question_accepts(&q, 0.1001));
    Question c = {.kind = QUESTION_CHOICE};
    assert_false(question_accepts(&c, 0));
}

/* Question keys: explicit ids checked, derived keys from the first six
 * words made unique, repeated ids and "was" positions reported. */
static void test_question_keys(void **state)
{
    (void)state;
    Lesson l = parse_str("# T\n\n## P\n\n"
                         "```question\nask = Same words here?\nanswer = 1\n```\n\n"
                         "```question\nask = Same words here!\nanswer = 2\n```\n\n"
                         "```question\nid = same-words-here\nask = X\nanswer = 3\n```\n\n"
                         "```question\nid = keep-me\nwas = 2\nask = Y\nanswer = 4\n```\n\n"
                         "```question\nask = σ₁ ≥ σ₂ — one two three four five six seven?\n"
                         "answer = 5\n```\n");
    check_sane(&l);
    assert_int_equal(l.n_diags, 0);
    /* The explicit id keeps its name; the derived ones give way. */
    assert_string_equal(lesson_question(&l, 0)->question.key, "same-words-here-2");
    assert_string_equal(lesson_question(&l, 1)->question.key, "same-words-here-3");
    assert_string_equal(lesson_question(&l, 2)->question.key, "same-words-here");
    assert_true(lesson_question(&l, 2)->question.key_given);
    assert_false(lesson_question(&l, 0)->question.key_given);
    assert_string_equal(lesson_question(&l, 3)->question.key, "keep-me");
    assert_int_equal(lesson_question(&l, 3)->question.was, 1);
    assert_int_equal(lesson_question(&l, 0)->question.was, -1);
    /* Non-ASCII is a separator; only the first six words count. */
    assert_string_equal(lesson_question(&l, 4)->question.key, "one-two-three-four-five-six");
    lesson_free(&l);

    l = parse_str("# T\n\n## P\n\n"
                  "```question\nid = Bad Id\nask = A?\nanswer = 1\n```\n\n"
                  "```question\nid = twin\nwas = 3\nask = B?\nanswer = 1\n```\n\n"
                  "```question\nid = twin\nwas = 3\nask = C?\nanswer = 1\n```\n\n"
                  "```question\nwas = zero\nask = D?\nanswer = 1\n```\n");
    check_sane(&l);
    assert_true(has_diag(&l, 6, "id = 'Bad Id'"));
    assert_true(has_diag(&l, 18, "id 'twin' repeats the question on line 11"));
    assert_true(has_diag(&l, 18, "was = 3 repeats"));
    assert_true(has_diag(&l, 26, "was = 'zero'"));
    assert_false(lesson_question(&l, 2)->valid);
    assert_string_equal(lesson_question(&l, 0)->question.key, "a"); /* derived after a bad id */
    lesson_free(&l);
}

/* ------------------------------------------------------------------------
 * Folders and files */

static void test_load_dir_sorted_and_filtered(void **state)
{
    (void)state;
    LessonList list;
    Status st;
    assert_int_equal(lessons_load_dir(&list, GOOD, &st), LS_OK);
    /* README.md, FORMAT.md, rank.md and 01-basics.md~ are not lessons. */
    assert_int_equal(list.n, 3);
    assert_string_equal(list.lessons[0].id, "01-basics");
    assert_string_equal(list.lessons[1].id, "02-second");
    assert_string_equal(list.lessons[2].id, "10-tenth"); /* numeric order, not "10" < "2" */
    for (int i = 0; i < list.n; i++) {
        check_sane(&list.lessons[i]);
        assert_int_equal(list.lessons[i].n_diags, 0);
    }
    assert_string_equal(list.lessons[1].title, "Second lesson");
    lessons_free(&list);
    lessons_free(&list);
    lessons_free(NULL);

    /* A trailing slash makes no difference. */
    assert_int_equal(lessons_load_dir(&list, GOOD "/", &st), LS_OK);
    assert_int_equal(list.n, 3);
    assert_string_equal(list.lessons[0].path, GOOD "/01-basics.md");
    lessons_free(&list);
}

static void test_broken_lesson_keeps_others(void **state)
{
    (void)state;
    LessonList list;
    Status st;
    assert_int_equal(lessons_load_dir(&list, MIXED, &st), LS_OK);
    assert_int_equal(list.n, 3);
    assert_string_equal(list.lessons[0].id, "01-first");
    assert_string_equal(list.lessons[1].id, "02-broken");
    assert_string_equal(list.lessons[2].id, "03-third");
    assert_int_equal(list.lessons[0].n_diags, 0);
    assert_int_equal(list.lessons[2].n_diags, 0);
    const Lesson *bad = &list.lessons[1];
    check_sane(bad);
    assert_true(bad->n_diags >= 2);
    assert_true(has_diag(bad, 5, "unknown demo 'svdd'"));
    assert_true(has_diag(bad, 9, "question"));
    /* The broken blocks are still there, marked not valid. */
    assert_int_equal(bad->pages[0].n_blocks, 2);
    assert_false(bad->pages[0].blocks[0].valid);
    assert_false(bad->pages[0].blocks[1].valid);
    assert_true(list.lessons[2].pages[0].blocks[0].valid);
    lessons_free(&list);
}

static void test_load_errors(void **state)
{
    (void)state;
    LessonList list;
    Status st;
    assert_int_equal(lessons_load_dir(&list, "tests/data/lessons/no-such-folder", &st), LS_ERR_IO);
    assert_non_null(strstr(st.msg, "no-such-folder"));
    assert_int_equal(list.n, 0);
    lessons_free(&list);

    /* An unreadable file is still a lesson: one page, one diagnostic. */
    Lesson l;
    assert_int_equal(lesson_load(&l, "tests/data/lessons/none/04-missing.md", &st), LS_ERR_IO);
    check_sane(&l);
    assert_int_equal(l.n_pages, 1);
    assert_int_equal(l.n_diags, 1);
    assert_int_equal(l.diags[0].line, 0);
    assert_string_equal(l.id, "04-missing");
    assert_string_equal(l.title, "04-missing");
    lesson_free(&l);

    assert_int_equal(lesson_load(&l, GOOD, &st), LS_ERR_IO); /* a folder */
    assert_true(has_diag(&l, 0, "not a regular file"));
    lesson_free(&l);

    /* Too large to be a lesson. */
    char dir[] = "/tmp/lorascope-test-lesson-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/01-big.md", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fseek(f, (long)LESSON_MAX_BYTES + 10, SEEK_SET), 0);
    fputc('x', f);
    fclose(f);
    assert_int_equal(lesson_load(&l, path, &st), LS_ERR_RANGE);
    assert_true(has_diag(&l, 0, "too large"));
    lesson_free(&l);

    /* ... and a folder holding it still lists it. */
    assert_int_equal(lessons_load_dir(&list, dir, &st), LS_OK);
    assert_int_equal(list.n, 1);
    assert_int_equal(list.lessons[0].n_pages, 1);
    lessons_free(&list);

    /* An empty folder is not an error: zero lessons. */
    unlink(path);
    assert_int_equal(lessons_load_dir(&list, dir, &st), LS_OK);
    assert_int_equal(list.n, 0);
    lessons_free(&list);
    rmdir(dir);
}

/* ------------------------------------------------------------------------
 * Bad input never crashes */

static void parse_bytes(const char *buf, size_t n)
{
    Lesson l;
    Status st;
    assert_int_equal(lesson_parse(&l, buf, n, "junk/05-junk.md", &st), LS_OK);
    check_sane(&l);
    assert_int_equal(lesson_check(&l, &st), LS_OK);
    check_sane(&l);
    lesson_free(&l);
}

static void parse_cstr(const char *s)
{
    parse_bytes(s, strlen(s));
}

static void test_empty_and_blank(void **state)
{
    (void)state;
    Lesson l;
    Status st;
    assert_int_equal(lesson_parse(&l, NULL, 0, "x/06-empty.md", &st), LS_OK);
    check_sane(&l);
    assert_int_equal(l.n_pages, 1);
    assert_true(has_diag(&l, 0, "empty lesson file"));
    lesson_free(&l);
    parse_cstr("");
    parse_cstr("   \n\n\t\n");
    parse_cstr("#");
    parse_cstr("##");
    parse_cstr("```");
    parse_cstr("```demo");
    parse_cstr("```question");
    parse_cstr("```demo \n=\n = \n==\n");
}

static void test_unterminated_fences(void **state)
{
    (void)state;
    Lesson l = parse_str("# T\n\n## P\n\n```demo svd\nimage = data/images/boats.pgm\n");
    assert_true(has_diag(&l, 5, "never closed"));
    assert_false(l.pages[0].blocks[0].valid);
    lesson_free(&l);

    l = parse_str("# T\n\n```question\nask = x\nanswer = 1\n\n## Swallowed\n");
    assert_true(has_diag(&l, 3, "never closed"));
    assert_int_equal(l.n_pages, 1); /* the "##" is inside the open fence */
    lesson_free(&l);

    /* A longer closing fence closes; a shorter one does not. */
    l = parse_str("# T\n\n````demo lora-cost\nd = 8\n`````\n\ntext\n");
    assert_false(has_diag(&l, -1, "never closed"));
    lesson_free(&l);
    l = parse_str("# T\n\n````demo lora-cost\nd = 8\n```\n");
    assert_true(has_diag(&l, 3, "never closed"));
    lesson_free(&l);

    /* Inside a list item and a quote. */
    l = parse_str("# T\n\n- a\n  ```demo lora-cost\n  d = 8\n- b\n");
    assert_true(has_diag(&l, 4, "never closed"));
    lesson_free(&l);
    l = parse_str("# T\n\n> ```demo lora-cost\n> d = 8\n> ```\n");
    assert_false(has_diag(&l, -1, "never closed"));
    lesson_free(&l);
}

static void test_huge_lines(void **state)
{
    (void)state;
    size_t n = 2u << 20;
    char *buf = malloc(n + 64);
    assert_non_null(buf);
    /* One enormous paragraph line. */
    memset(buf, 'a', n);
    parse_bytes(buf, n);
    /* An enormous demo name, parameter name, value, and question text. */
    static const char *const heads[] = {
        "```demo ", "```demo svd\nrank = ", "```demo svd\n", "```question\nask = ",
        "# ",       "```demo svd\nk"};
    for (size_t h = 0; h < sizeof heads / sizeof heads[0]; h++) {
        size_t k = strlen(heads[h]);
        memcpy(buf, heads[h], k);
        memset(buf + k, 'x', n - k);
        memcpy(buf + n - 4, "\n```", 4);
        parse_bytes(buf, n);
    }
    /* Multi-byte characters all the way, so cuts in messages fall inside them. */
    const char *head = "```demo ";
    size_t k = strlen(head);
    memcpy(buf, head, k);
    for (size_t i = k; i + 3 <= n; i += 3)
        memcpy(buf + i, "\xE2\x82\xAC", 3); /* € */
    parse_bytes(buf, n - (n - k) % 3);
    free(buf);
}

static void test_binary_junk(void **state)
{
    (void)state;
    size_t n = 1u << 16;
    unsigned char *buf = malloc(n);
    assert_non_null(buf);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int round = 0; round < 24; round++) {
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
            buf[i] = (unsigned char)(x >> 24);
        }
        /* Some rounds get structure mixed in, to reach the demo and question
         * code with junk inside. */
        if (round % 3 == 1) memcpy(buf + 100, "\n```demo svd\nrank = ", 20);
        if (round % 3 == 2) memcpy(buf + 100, "\n```question\nchoice = * ", 24);
        parse_bytes((const char *)buf, n);
    }
    /* NUL bytes in the middle of things. */
    static const char with_nul[] =
        "# T\0itle\n\n## P\0\n\n```demo svd\nrank\0 = 3\nimage = a\0.pgm\n```\n";
    parse_bytes(with_nul, sizeof with_nul - 1);
    /* Invalid UTF-8 sequences become U+FFFD. */
    Lesson l;
    Status st;
    static const char bad_utf8[] = "# Caf\xC3 \xFF\xFE\n\ntext \xED\xA0\x80 end\n";
    assert_int_equal(lesson_parse(&l, bad_utf8, sizeof bad_utf8 - 1, "x/07-u.md", &st), LS_OK);
    check_sane(&l);
    assert_non_null(strstr(l.title, "\xEF\xBF\xBD"));
    lesson_free(&l);
    free(buf);
}

static void test_deep_nesting(void **state)
{
    (void)state;
    size_t n = 200000;
    char *buf = malloc(n * 3 + 16);
    assert_non_null(buf);
    /* Block quotes, lists, emphasis and brackets nested absurdly deep. */
    static const char *const units[] = {">", "- ", "*", "[", "**", "1. ", "  - "};
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t k = strlen(units[u]), len = 0;
        while (len + k < n)
            memcpy(buf + len, units[u], k), len += k;
        memcpy(buf + len, "x\n", 2);
        parse_bytes(buf, len + 2);
    }
    /* Thousands of lines of nested list items, each a new level. */
    size_t len = 0;
    for (int d = 0; d < 2000 && len + 2 * d + 8 < n * 3; d++) {
        for (int s = 0; s < 2 * d; s++)
            buf[len++] = ' ';
        memcpy(buf + len, "- i\n", 4);
        len += 4;
    }
    parse_bytes(buf, len);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_names),
        cmocka_unit_test(test_parse_good_fixture),
        cmocka_unit_test(test_pages_and_titles),
        cmocka_unit_test(test_crlf_and_comment_lines),
        cmocka_unit_test(test_indentation_and_continuations),
        cmocka_unit_test(test_question_numbers),
        cmocka_unit_test(test_question_keys),
        cmocka_unit_test(test_load_dir_sorted_and_filtered),
        cmocka_unit_test(test_broken_lesson_keeps_others),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_empty_and_blank),
        cmocka_unit_test(test_unterminated_fences),
        cmocka_unit_test(test_huge_lines),
        cmocka_unit_test(test_binary_junk),
        cmocka_unit_test(test_deep_nesting),
    };
    return cmocka_run_group_tests_name("lesson", tests, NULL, NULL);
}
