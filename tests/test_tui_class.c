/* test_tui_class.c — end-to-end in tmux, as a class meets the interface:
 * a question's feedback stays on screen, typed answers in the screens' own
 * forms, the hint on request, Esc twice stays in the lesson, the contents
 * show finished pages, search beyond the lesson, presentation mode's page
 * indicator and page jump, --lesson/--page, --add-lessons, a revealed demo
 * keeps its controls on screen at 80×24, and --help lists the options.
 * tmux is required (see test_tui.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tui_harness.h"

/* A folder with one lesson whose question sits below a screen of text. */
static void write_lessons(char *dir, size_t size, const char *name)
{
    snprintf(dir, size, "/tmp/lorascope-class-lessons-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("# Class test\n\nFirst page.\n\n## Long page\n\n", f);
    for (int i = 0; i < 12; i++)
        fprintf(f, "Filler paragraph %d, to push the question down.\n\n", i + 1);
    fputs("```question\n"
          "ask = fp16 has 5 exponent bits and 10 mantissa bits. Its largest exponent\n"
          "  field that is not reserved for infinity is 11110, which is 30, so 15 after\n"
          "  the bias. What is the largest finite number fp16 can store?\n"
          "answer = 65504\n"
          "hint = The largest exponent, every mantissa bit set.\n"
          "explain = (2 - 2^-10) x 2^15 = 65504. The next step up would need an exponent\n"
          "  of 16, which fp16 reserves for infinity and NaN, so anything above 65504\n"
          "  plus half a step rounds to infinity. That is why fp16 training scales the\n"
          "  loss: small gradients underflow, large activations overflow. END OF TEXT.\n"
          "```\n\n## Third\n\nThe word quokka lives here.\n",
          f);
    fclose(f);
}

static void remove_lessons(const char *dir)
{
    sh("rm -rf '%s'", dir);
}

/* Feedback of a question at the bottom of a page is scrolled into view,
 * at 80×24 and 100×30; 65,504 is a number, abc is not; i shows the hint. */
static void question_feedback(int w, int h)
{
    REQUIRE_TMUX();
    char dir[128];
    write_lessons(dir, sizeof dir, "01-class.md");
    char args[256];
    snprintf(args, sizeof args, "--lessons '%s' --lesson 1 --page 2", dir);
    Tui t;
    start(&t, args, w, h);
    expect_text(&t, "Filler paragraph 1,", 5000);
    keys(&t, "Tab");
    expect_text(&t, "i shows a hint", 3000);
    keys(&t, "i");
    expect_text(&t, "Hint: The largest exponent", 3000);
    keys(&t, "Enter a b c Enter");
    expect_text(&t, "'abc' is not a number", 3000);
    keys(&t, "Enter 6 5 0 0 0 Enter");
    expect_text(&t, "Not quite. Try again.", 3000);
    keys(&t, "Enter 6 5 , 5 0 4 Enter");
    expect_text(&t, "Right. (2 - 2^-10)", 3000);
    expect_text(&t, "END OF TEXT.", 3000);
    /* Esc leaves the question, a second Esc stays in the lesson. */
    keys(&t, "Escape");
    sleep_ms(100);
    keys(&t, "Escape");
    expect_text(&t, "t or Backspace shows the contents", 3000);
    char *s = capture(&t);
    assert_non_null(strstr(s, "page 2/3"));
    free(s);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
    remove_lessons(dir);
}

static void test_question_feedback_100(void **state)
{
    (void)state;
    question_feedback(100, 30);
}

static void test_question_feedback_80(void **state)
{
    (void)state;
    question_feedback(80, 24);
}

/* The contents show pages finished (turned past), not the page visited. */
static void test_finished_pages(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    char dir[128];
    write_lessons(dir, sizeof dir, "01-class.md");
    char args[256];
    snprintf(args, sizeof args, "--lessons '%s' --lesson 1 --page 3", dir);
    Tui t;
    start(&t, args, 100, 30);
    expect_text(&t, "quokka", 5000);
    keys(&t, "t");
    expect_text(&t, "0/3 pages done", 3000);
    keys(&t, "Enter 1 Enter");
    expect_text(&t, "First page.", 3000);
    keys(&t, "n t");
    expect_text(&t, "1/3 pages done", 3000);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
    remove_lessons(dir);
}

/* --add-lessons puts a folder beside the built-in course; search (/) goes
 * on into the other lessons. */
static void test_add_lessons_and_search(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    char dir[128];
    write_lessons(dir, sizeof dir, "09-class.md");
    char args[256];
    snprintf(args, sizeof args, "--add-lessons '%s'", dir);
    Tui t;
    start(&t, args, 100, 30);
    expect_text(&t, "Class test", 5000);
    char *s = capture(&t);
    assert_non_null(strstr(s, "Rank")); /* lesson 1 is still there */
    free(s);
    keys(&t, "Enter / q u o k k a Enter");
    expect_text(&t, "'quokka' found in lesson 9, page 3", 5000);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
    remove_lessons(dir);
}

/* Presentation mode: a page indicator, digits + Enter go to a page, and
 * --lesson/--page open where asked; nothing of the saved progress shows. */
static void present(int w, int h)
{
    REQUIRE_TMUX();
    Tui t;
    start(&t, "--present --lesson 2 --page 2", w, h);
    expect_text(&t, "lesson 2 · page 2/", 5000);
    keys(&t, "4");
    expect_text(&t, "go to page 4_", 3000);
    keys(&t, "Enter");
    expect_text(&t, "lesson 2 · page 4/", 3000);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
}

static void test_present_100(void **state)
{
    (void)state;
    present(100, 30);
}

static void test_present_80(void **state)
{
    (void)state;
    present(80, 24);
}

/* At 80×24, revealing lesson 2's photo demo block by block leaves its rank
 * slider on screen. */
static void test_reveal_demo_controls_80(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start(&t, "--present --lesson 2", 80, 24);
    expect_text(&t, "lesson 2 · page 1/", 5000);
    /* Each page in turn, block by block, until the photo demo shows. */
    bool seen = false;
    for (int p = 1; p <= 7 && !seen; p++) {
        char k[32];
        snprintf(k, sizeof k, "%d Enter", p);
        keys(&t, k);
        char want[32];
        snprintf(want, sizeof want, "page %d/", p);
        expect_text(&t, want, 3000);
        for (int i = 0; i < 12 && !seen; i++) {
            keys(&t, "Space");
            sleep_ms(120);
            char *s = capture(&t);
            seen = strstr(s, "live demo · svd") != NULL;
            if (seen) {
                /* Once the demo shows, its slider must be on screen. */
                if (!strstr(s, "rank k ")) print_message("demo without its slider:\n%s\n", s);
                assert_non_null(strstr(s, "rank k "));
            }
            bool next = strstr(s, "page ") && !strstr(s, want);
            free(s);
            if (next) break;
        }
    }
    assert_true(seen);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
}

/* lorascope --help lists the interface's options. */
static void test_help_lists_options(void **state)
{
    (void)state;
    const char *bin = getenv("LORASCOPE_BIN");
    char *out = sh_out("'%s' --help 2>&1", bin && *bin ? bin : "./lorascope");
    static const char *const opts[] = {"--present", "--theme",       "--reset-progress",
                                       "--lessons", "--add-lessons", "--lesson N",
                                       "--page P",  "--graphics"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (!strstr(out, opts[i])) fail_msg("--help does not list %s:\n%s", opts[i], out);
    free(out);
    out = sh_out("'%s' --page 2 2>&1; echo rc=$?", bin && *bin ? bin : "./lorascope");
    assert_non_null(strstr(out, "--page needs --lesson"));
    assert_non_null(strstr(out, "rc=2"));
    free(out);
    out = sh_out("'%s' --lesson 99 2>&1; echo rc=$?", bin && *bin ? bin : "./lorascope");
    assert_non_null(strstr(out, "no lesson '99'"));
    assert_non_null(strstr(out, "rc=2"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_lists_options),
        cmocka_unit_test(test_question_feedback_100),
        cmocka_unit_test(test_question_feedback_80),
        cmocka_unit_test(test_finished_pages),
        cmocka_unit_test(test_add_lessons_and_search),
        cmocka_unit_test(test_present_100),
        cmocka_unit_test(test_present_80),
        cmocka_unit_test(test_reveal_demo_controls_80),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
