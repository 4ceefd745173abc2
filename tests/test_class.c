/* test_class.c — the interface as a class meets it, without a terminal:
 * typed answers in the screens' own number forms, formulas kept whole when
 * text wraps, finding a lesson from the command line, adding a folder of
 * lessons to the course, finished pages in the progress, and the App's
 * page jump, Esc habit, presentation mode (no saved answers shown or
 * recorded), search across lessons and question feedback kept on screen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../src/lesson/lesson.h"
#include "../src/lesson/progress.h"
#include "../src/view/app.h"
#include "../src/view/grid.h"
#include "../src/view/wrap.h"

/* ---------------------------------------------------------------------------
 * Typed answers */

static void test_typed_answers(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double value;
    } good[] = {
        {"65504", 65504},
        {"65,504", 65504},
        {"65 504", 65504},
        {"65\u2009504", 65504},
        {"1,048,576", 1048576},
        {"1,000.5", 1000.5},
        {"10%", 0.1},
        {"10 %", 0.1},
        {"99.5%", 0.995},
        {"\u22123", -3},
        {"-2e3", -2000},
        {" 0.25 ", 0.25},
        {"+7", 7},
        {".5", 0.5},
        {"-1,024", -1024},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double v = -12345;
        if (!question_parse_typed(good[i].text, &v))
            fail_msg("'%s' not taken as a number", good[i].text);
        if (v != good[i].value) fail_msg("'%s' read as %g, not %g", good[i].text, v, good[i].value);
    }
    /* Not numbers: say so rather than "wrong". */
    static const char *const bad[] = {"",       "abc",  "1,5",     "12,34", "1,2345",  ",504",
                                      "65,",    "1 2",  "10%%",    "%",     "inf",     "1e999",
                                      "5,00.1", "0x10", "1.5,000", "--1",   "1,000,00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v;
        if (question_parse_typed(bad[i], &v)) fail_msg("'%s' taken as the number %g", bad[i], v);
    }
    /* Percent where the answer is a fraction. */
    Question q = {.kind = QUESTION_NUMBER, .answer = 0.1, .tolerance = 0.001};
    double v;
    assert_true(question_parse_typed("10%", &v));
    assert_true(question_accepts(&q, v));
    assert_true(question_parse_typed("12%", &v));
    assert_false(question_accepts(&q, v));
}

/* ---------------------------------------------------------------------------
 * Formulas are not cut at the spaces around an operator */

static void test_wrap_keeps_formulas(void **state)
{
    (void)state;
    WrapSpan s = {"LoRA trains a product of the form d × k = (d × r)·(r × k) here, then more words",
                  0};
    /* The formula "d × k = (d × r)·(r × k)" is 23 columns: from there on it is never cut. */
    for (int width = 23; width <= 60; width++) {
        Wrap w;
        wrap_spans(&w, &s, 1, width);
        for (int i = 0; i < w.n_lines; i++) {
            char *t = wrap_line_text(&w, &s, i);
            size_t n = strlen(t);
            /* No line may end or start with a lone operator. */
            if ((n >= 2 && (strcmp(t + n - 2, " =") == 0)) ||
                (n >= 3 && strcmp(t + n - 3, " ×") == 0) || strncmp(t, "× ", 3) == 0 ||
                strncmp(t, "= ", 2) == 0)
                fail_msg("width %d line %d cuts a formula: '%s'", width, i, t);
            free(t);
        }
        wrap_free(&w);
    }
    /* A formula longer than the line still breaks (never lost or overflowing). */
    WrapSpan f = {"a + b + c + d + e + f + g + h + i + j", 0};
    Wrap w;
    wrap_spans(&w, &f, 1, 10);
    assert_true(w.n_lines >= 4);
    for (int i = 0; i < w.n_lines; i++)
        assert_true(w.lines[i].width <= 10);
    wrap_free(&w);
}

/* ---------------------------------------------------------------------------
 * Lessons: a small course in memory */

static const char lesson_one[] = "# First lesson\n\nIntro text.\n\n## Page two\n\nNothing "
                                 "here.\n\n## Page three\n\nLast page.\n";
static const char lesson_two[] =
    "# Second lesson\n\nThe word zebra is here.\n\n## More\n\n```question\nid = how-many\nask = How many?\nanswer "
    "= 0.1\n"
    "tolerance = 0.001\nhint = Think of a tenth.\nexplain = A tenth.\n```\n";

static void parse(Lesson *l, const char *text, const char *path)
{
    assert_int_equal(lesson_parse(l, text, strlen(text), path, NULL), LS_OK);
}

static void course(LessonList *list)
{
    list->n = 2;
    list->lessons = calloc(2, sizeof *list->lessons);
    parse(&list->lessons[0], lesson_one, "x/01-first.md");
    parse(&list->lessons[1], lesson_two, "x/02-second.md");
}

static void test_lessons_find(void **state)
{
    (void)state;
    LessonList list;
    course(&list);
    assert_int_equal(lessons_find(&list, "1"), 0);
    assert_int_equal(lessons_find(&list, "2"), 1);
    assert_int_equal(lessons_find(&list, "02-second"), 1);
    assert_int_equal(lessons_find(&list, "lessons/02-second.md"), 1);
    assert_int_equal(lessons_find(&list, "01-first.md"), 0);
    assert_int_equal(lessons_find(&list, "3"), -1);
    assert_int_equal(lessons_find(&list, "second"), -1);
    assert_int_equal(lessons_find(&list, ""), -1);
    lessons_free(&list);
}

static void test_lessons_merge(void **state)
{
    (void)state;
    LessonList list, more = {0};
    course(&list);
    more.n = 3;
    more.lessons = calloc(3, sizeof *more.lessons);
    parse(&more.lessons[0], "# Mine\n\nAdded.\n", "y/08-mine.md");
    parse(&more.lessons[1], "# Second, rewritten\n\nNew text.\n", "y/02-second.md");
    parse(&more.lessons[2], "# Clash\n\nSame number.\n", "y/01-clash.md");
    assert_int_equal(lessons_merge(&list, &more, NULL), LS_OK);
    assert_int_equal(more.n, 0);
    assert_int_equal(list.n, 4);
    /* In course order; the copy of lesson 2 replaced it. */
    assert_string_equal(list.lessons[0].id, "01-clash");
    assert_string_equal(list.lessons[1].id, "01-first");
    assert_string_equal(list.lessons[2].title, "Second, rewritten");
    assert_string_equal(list.lessons[3].id, "08-mine");
    /* The clash is reported on the added lesson, not hidden. */
    assert_int_equal(list.lessons[0].n_diags, 1);
    assert_non_null(strstr(list.lessons[0].diags[0].message, "also used by 01-first.md"));
    assert_int_equal(list.lessons[1].n_diags, 0);
    lessons_free(&list);
}

/* ---------------------------------------------------------------------------
 * Finished pages in the progress */

static void test_progress_done(void **state)
{
    (void)state;
    char dir[] = "/tmp/lorascope-class-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/progress.json", dir);
    Progress p;
    progress_init(&p);
    Status st;
    assert_int_equal(progress_mark_done(&p, "01-first", 0, &st), LS_OK);
    assert_int_equal(progress_mark_done(&p, "01-first", 2, &st), LS_OK);
    assert_int_equal(progress_mark_done(&p, "01-first", -1, &st), LS_ERR_RANGE);
    assert_true(progress_page_done(&p, "01-first", 2));
    assert_false(progress_page_done(&p, "01-first", 1));
    assert_int_equal(progress_done_count(&p, "01-first", 3), 2);
    assert_int_equal(progress_done_count(&p, "01-first", 2), 1); /* the lesson shrank */
    assert_int_equal(progress_save(&p, path, &st), LS_OK);
    progress_free(&p);
    assert_int_equal(progress_load(&p, path, &st), LS_OK);
    assert_int_equal(progress_done_count(&p, "01-first", 3), 2);
    assert_true(progress_page_done(&p, "01-first", 0));
    progress_free(&p);
    /* Bad "done" lists make the file corrupt (ignored whole). */
    static const char *const bad[] = {
        "{\"version\":1,\"lessons\":{\"a\":{\"done\":3}}}",
        "{\"version\":1,\"lessons\":{\"a\":{\"done\":[-1]}}}",
        "{\"version\":1,\"lessons\":{\"a\":{\"done\":[1.5]}}}",
        "{\"version\":1,\"lessons\":{\"a\":{\"done\":[\"x\"]}}}",
        "{\"version\":1,\"lessons\":{\"a\":{\"done\":[100001]}}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        progress_init(&p);
        if (progress_parse(&p, bad[i], strlen(bad[i]), &st) != LS_ERR_PARSE)
            fail_msg("accepted %s", bad[i]);
        progress_free(&p);
    }
    unlink(path);
    rmdir(dir);
}

/* ---------------------------------------------------------------------------
 * The App */

static bool screen_has(App *a, Grid *g, const char *text)
{
    app_draw(a, g);
    bool found = false;
    for (int y = 0; y < g->h && !found; y++) {
        char *row = grid_row_text(g, y);
        found = strstr(row, text) != NULL;
        free(row);
    }
    return found;
}

static void type(App *a, const char *keys)
{
    for (const char *k = keys; *k; k++)
        app_key(a, *k);
}

typedef struct Fixture {
    LessonList list;
    Progress progress;
    char dir[64], path[96];
    App app;
    Grid g;
} Fixture;

static void fixture_open(Fixture *f, int w, int h, bool present)
{
    memset(f, 0, sizeof *f);
    course(&f->list);
    progress_init(&f->progress);
    snprintf(f->dir, sizeof f->dir, "/tmp/lorascope-class-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/progress.json", f->dir);
    app_init(&f->app, &f->list, &f->progress, f->path, (ViewEnv){false, CMODE_256}, NULL, present);
    app_resize(&f->app, w, h);
    grid_init(&f->g, 1, 1, false);
}

static void fixture_close(Fixture *f)
{
    grid_free(&f->g);
    app_free(&f->app);
    progress_free(&f->progress);
    lessons_free(&f->list);
    unlink(f->path);
    rmdir(f->dir);
}

static void test_app_jump_and_esc(void **state)
{
    (void)state;
    Fixture f;
    fixture_open(&f, 80, 24, false);
    App *a = &f.app;
    app_open_lesson(a, 0, 0);
    assert_true(screen_has(a, &f.g, "page 1/3"));
    /* Digits, then Enter, go to that page; the status bar shows the number. */
    app_key(a, '3');
    assert_true(screen_has(a, &f.g, "Go to page: 3_"));
    app_key(a, VK_ENTER);
    assert_true(screen_has(a, &f.g, "page 3/3"));
    assert_true(screen_has(a, &f.g, "Last page."));
    /* Out of range: a message, no move; Esc cancels a number. */
    type(a, "9");
    app_key(a, VK_ENTER);
    assert_true(screen_has(a, &f.g, "pages 1 to 3"));
    assert_true(screen_has(a, &f.g, "page 3/3"));
    type(a, "1");
    app_key(a, VK_ESC);
    assert_true(screen_has(a, &f.g, "page 3/3"));
    assert_false(screen_has(a, &f.g, "Go to page"));
    /* Esc (twice) never leaves the lesson; t does. */
    app_key(a, VK_ESC);
    app_key(a, VK_ESC);
    assert_int_equal(a->screen, SCREEN_PAGE);
    assert_true(screen_has(a, &f.g, "t or Backspace shows the contents"));
    app_key(a, 't');
    assert_int_equal(a->screen, SCREEN_TOC);
    fixture_close(&f);
}

static void test_app_finished_pages(void **state)
{
    (void)state;
    Fixture f;
    fixture_open(&f, 100, 30, false);
    App *a = &f.app;
    app_open_lesson(a, 0, 0);
    /* Visiting page 3 by a jump finishes nothing. */
    type(a, "3");
    app_key(a, VK_ENTER);
    app_key(a, 't');
    assert_true(screen_has(a, &f.g, "0/3 pages done"));
    assert_false(screen_has(a, &f.g, "page 3/3"));
    /* Turning past pages 1 and 2 finishes them. */
    app_key(a, VK_ENTER);
    app_key(a, 'g');
    type(a, "1");
    app_key(a, VK_ENTER);
    app_key(a, 'n');
    app_key(a, 'n');
    app_key(a, 't');
    assert_true(screen_has(a, &f.g, "2/3 pages done"));
    assert_true(screen_has(a, &f.g, "2 Page two ✓"));
    assert_false(screen_has(a, &f.g, "3 Page three ✓"));
    /* And it is saved. */
    Progress p;
    progress_init(&p);
    assert_int_equal(progress_load(&p, f.path, NULL), LS_OK);
    assert_int_equal(progress_done_count(&p, "01-first", 3), 2);
    progress_free(&p);
    fixture_close(&f);
}

static void test_app_present_clean(void **state)
{
    (void)state;
    Fixture f;
    fixture_open(&f, 80, 24, true);
    /* The instructor answered lesson 2's question before. */
    Status st;
    assert_int_equal(progress_record_answer(&f.progress, "02-second", "how-many", true, &st), LS_OK);
    App *a = &f.app;
    /* Starts at lesson 1, page 1, with the page indicator. */
    assert_true(screen_has(a, &f.g, "lesson 1 · page 1/3"));
    type(a, "2");
    assert_true(screen_has(a, &f.g, "go to page 2_"));
    app_key(a, VK_ENTER);
    assert_true(screen_has(a, &f.g, "lesson 1 · page 2/3"));
    /* Lesson 2's question shows no earlier answer, and a new one is not
     * recorded. */
    app_open_lesson(a, 1, 1);
    app_key(a, VK_PGDN);
    assert_true(screen_has(a, &f.g, "Question 1"));
    assert_false(screen_has(a, &f.g, "answered"));
    assert_false(screen_has(a, &f.g, "right before"));
    app_key(a, VK_TAB);
    type(a, "5");
    app_key(a, VK_ENTER);
    assert_true(screen_has(a, &f.g, "Not quite"));
    assert_int_equal(progress_answer(&f.progress, "02-second", "how-many"), ANSWER_RIGHT);
    assert_int_equal(progress_page(&f.progress, "02-second"), 0);
    assert_null(progress_current(&f.progress));
    fixture_close(&f);
}

static void test_app_search_course(void **state)
{
    (void)state;
    Fixture f;
    fixture_open(&f, 100, 30, false);
    App *a = &f.app;
    app_open_lesson(a, 0, 0);
    app_key(a, '/');
    type(a, "zebra");
    app_key(a, VK_ENTER);
    assert_int_equal(a->lesson, 1);
    assert_true(screen_has(a, &f.g, "found in lesson 2, page 1"));
    app_key(a, '/');
    type(a, "no such word");
    app_key(a, VK_ENTER);
    assert_true(screen_has(a, &f.g, "is in no lesson"));
    fixture_close(&f);
}

static void test_app_question_feedback(void **state)
{
    (void)state;
    Fixture f;
    fixture_open(&f, 80, 24, false);
    App *a = &f.app;
    app_open_lesson(a, 1, 1);
    app_key(a, VK_TAB);
    /* The hint is there for the asking. */
    assert_true(screen_has(a, &f.g, "i shows a hint"));
    assert_false(screen_has(a, &f.g, "Think of a tenth"));
    app_key(a, 'i');
    assert_true(screen_has(a, &f.g, "Hint: Think of a tenth."));
    /* Not a number: said so, nothing recorded. */
    app_key(a, VK_ENTER);
    type(a, "ten");
    app_key(a, VK_ENTER);
    assert_true(screen_has(a, &f.g, "'ten' is not a number"));
    assert_int_equal(progress_answer(&f.progress, "02-second", "how-many"), ANSWER_NONE);
    /* A typed Unicode minus (as the screens print it) makes a number: wrong,
     * not "not a number"; Backspace drops it whole. */
    app_key(a, VK_ENTER);
    app_key(a, 0x2212);
    app_key(a, VK_BACKSPACE);
    app_key(a, 0x2212);
    type(a, "5");
    assert_true(screen_has(a, &f.g, "\u22125_"));
    app_key(a, VK_ENTER);
    assert_true(screen_has(a, &f.g, "Not quite. Try again."));
    assert_int_equal(progress_answer(&f.progress, "02-second", "how-many"), ANSWER_WRONG);
    /* The screens' forms: 10% is a tenth. */
    app_key(a, VK_ENTER);
    type(a, "10%");
    app_key(a, VK_ENTER);
    assert_true(screen_has(a, &f.g, "Right. A tenth."));
    assert_int_equal(progress_answer(&f.progress, "02-second", "how-many"), ANSWER_RIGHT);
    fixture_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typed_answers),      cmocka_unit_test(test_wrap_keeps_formulas),
        cmocka_unit_test(test_lessons_find),       cmocka_unit_test(test_lessons_merge),
        cmocka_unit_test(test_progress_done),      cmocka_unit_test(test_app_jump_and_esc),
        cmocka_unit_test(test_app_finished_pages), cmocka_unit_test(test_app_present_clean),
        cmocka_unit_test(test_app_search_course),  cmocka_unit_test(test_app_question_feedback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
