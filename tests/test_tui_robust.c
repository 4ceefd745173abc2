/* test_tui_robust.c — the real binary in odd terminals: a resize storm,
 * tiny windows, TERM=dumb and unknown terminals, a terminal without colour,
 * and a state folder that cannot be written. Each case must end in a clear
 * message or a graceful fallback, never a crash, and leave the terminal in
 * its normal modes. */
#include "tui_harness.h"

static void resize(const Tui *t, int w, int h)
{
    sh("tmux -L %s resize-window -t t -x %d -y %d >/dev/null 2>&1", t->sock, w, h);
}

/* Fifty resizes in about a second while a live demo is on screen, then a
 * normal size again: the page is drawn whole and q still quits cleanly. */
static void test_resize_storm(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start(&t, "", 100, 30);
    expect_text(&t, "Lessons", 5000);
    keys(&t, "j Enter");
    expect_text(&t, "The SVD", 3000);
    assert_true(goto_svd_demo(&t));
    static const int sizes[][2] = {{80, 24}, {160, 50}, {30, 8}, {120, 40}, {81, 25},
                                   {200, 60}, {79, 23}, {100, 30}, {10, 3}, {140, 35}};
    for (int i = 0; i < 50; i++) {
        resize(&t, sizes[i % 10][0], sizes[i % 10][1]);
        sleep_ms(20);
    }
    resize(&t, 100, 30);
    expect_text(&t, "live demo · svd", 3000);
    assert_true(pid_of(&t) > 0);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
}

/* 20×5 says how large the terminal must be; 1×1 survives; growing back
 * shows the contents again. */
static void test_tiny_terminals(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start(&t, "", 20, 5);
    expect_text(&t, "20×5", 5000);
    resize(&t, 1, 1);
    sleep_ms(300);
    resize(&t, 100, 30);
    expect_text(&t, "Lessons", 3000);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);

    /* Starting at 1×1 directly. */
    start(&t, "", 1, 1);
    sleep_ms(500);
    resize(&t, 100, 30);
    expect_text(&t, "Lessons", 3000);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
}

static void test_term_dumb(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start_env(&t, "export TERM=dumb", "", 100, 30);
    char *s = wait_for(&t, "cannot move the cursor", 5000);
    assert_non_null(s);
    assert_non_null(strstr(s, "lorascope: TERM='dumb'"));
    free(s);
    check_exit(&t, "1");
    stop(&t);
}

static void test_term_unknown(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start_env(&t, "export TERM=no-such-terminal-xyz", "", 100, 30);
    expect_text(&t, "no terminfo entry", 5000);
    check_exit(&t, "1");
    stop(&t);
}

/* vt100 has no colours: the lessons still open, drawn with attributes. */
static void test_no_colour_terminal(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start_env(&t, "export TERM=vt100", "", 100, 30);
    expect_text(&t, "Lessons", 5000);
    keys(&t, "Enter");
    expect_text(&t, "page 1/", 3000);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
}

/* A state folder that cannot be created: a warning, and the lessons work. */
static void test_unwritable_state(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start_env(&t, "export XDG_STATE_HOME=/proc/lorascope-cannot-exist", "", 100, 30);
    expect_text(&t, "Lessons", 5000);
    keys(&t, "Enter");
    expect_text(&t, "progress not saved", 3000);
    keys(&t, "n");
    expect_text(&t, "page 2/", 3000);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resize_storm),
        cmocka_unit_test(test_tiny_terminals),
        cmocka_unit_test(test_term_dumb),
        cmocka_unit_test(test_term_unknown),
        cmocka_unit_test(test_no_colour_terminal),
        cmocka_unit_test(test_unwritable_state),
    };
    return cmocka_run_group_tests_name("tui_robust", tests, NULL, NULL);
}
