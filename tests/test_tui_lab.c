/* test_tui_lab.c — end to end, the lab in the real binary driven through
 * tmux (tests/tui_harness.h): lesson 7's default lab starts and its step
 * counter climbs; a small lab (tests/data/lessons/lab) runs to the end
 * with its tables filled; keys pressed during training are handled within
 * a second (a focus change, a scroll); Stop ends training and the results
 * cover what ran; q quits mid-training; and SIGINT, SIGTERM and SIGHUP in
 * the middle of training end the program with the terminal restored and
 * the progress file whole. */
#include "tui_harness.h"
#include "../src/tune/lab_defaults.h"

#define LAB_LESSONS "--lessons tests/data/lessons/lab"

/* Open the test lab lesson on page `page` (1-based) and start its lab. */
static void start_test_lab(Tui *t, int page)
{
    start(t, LAB_LESSONS, 100, 30);
    expect_text(t, "Lessons", 5000);
    keys(t, "Enter");
    expect_text(t, "page 1/", 3000);
    for (int p = 1; p < page; p++) keys(t, "n");
    char want[32];
    snprintf(want, sizeof want, "page %d/", page);
    expect_text(t, want, 3000);
    keys(t, "Tab");
    expect_text(t, "Enter starts the lab", 3000);
    keys(t, "Enter");
}

/* The step of the progress line ("training · step N of M"), or -1. */
static int step_on(const char *screen)
{
    const char *p = strstr(screen, "training · step ");
    return p ? atoi(p + strlen("training · step ")) : -1;
}

/* Wait until training shows a step of at least `min`; returns it. */
static int wait_step(const Tui *t, int min, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        char *s = capture(t);
        int step = step_on(s);
        free(s);
        if (step >= min) return step;
        sleep_ms(50);
    }
    char *s = capture(t);
    print_message("--- no step >= %d within %d ms; the screen was:\n%s---\n", min, timeout_ms, s);
    free(s);
    return -1;
}

/* Lesson 7 itself: the default lab starts and its step counter climbs. */
static void test_lesson7_default_lab(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start(&t, "", 100, 30);
    expect_text(&t, "Lessons", 5000);
    /* The seventh lesson, its third page (the second predicts the costs). */
    keys(&t, "j j j j j j Enter");
    expect_text(&t, "The lab: fine-tuning side by side", 3000);
    keys(&t, "n");
    expect_text(&t, "Predict the costs first", 3000);
    keys(&t, "n");
    expect_text(&t, "[ Start the lab ]", 3000);
    keys(&t, "Tab");
    char *s = wait_for(&t, "Enter starts the lab", 3000);
    assert_non_null(s);
    assert_non_null(strstr(s, "7 methods · domain · " LAB_DEFAULT_STEPS_STR " steps"));
    free(s);
    keys(&t, "Enter");
    expect_text(&t, "[ Stop training ]", 5000);
    int a = wait_step(&t, 1, 30000);
    assert_true(a >= 1);
    int b = wait_step(&t, a + 2, 30000);
    assert_true(b > a);
    /* The table has live numbers: ms per step and a held-out point. */
    s = capture(&t);
    assert_null(strstr(s, "not started"));
    free(s);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
}

/* The small lab runs to the end: tables, samples, Run again. */
static void test_small_lab_to_the_end(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start_test_lab(&t, 2);
    char *s = wait_for(&t, "[ Run again ]", 60000);
    assert_non_null(s);
    assert_non_null(strstr(s, "100%  done"));
    free(s);
    /* Scroll to the tables: every method done, samples below. */
    keys(&t, "Escape G");
    s = wait_for(&t, "Samples", 3000);
    assert_non_null(s);
    assert_non_null(strstr(s, "30/30"));
    assert_non_null(strstr(s, "the base model, before tuning"));
    free(s);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
}

/* Keys during training are handled within a second; Stop evaluates. */
static void test_keys_during_training(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start_test_lab(&t, 3);
    int a = wait_step(&t, 3, 20000);
    assert_true(a >= 3);
    /* Focus moves to the task control: its hint appears. */
    keys(&t, "Tab");
    expect_text(&t, "the task (stop the lab to change it)", 1000);
    /* The settings are locked: ←/→ on the task changes nothing. */
    keys(&t, "Right");
    sleep_ms(200);
    char *s = capture(&t);
    assert_non_null(strstr(s, "[domain]"));
    free(s);
    /* A scroll: the title scrolls away within a second. */
    keys(&t, "Escape");
    expect_text(&t, "n/p page", 1000);
    keys(&t, "j j j");
    bool gone = false;
    for (int waited = 0; waited <= 1000 && !gone; waited += 50) {
        s = capture(&t);
        gone = strstr(s, "A long lab\n") == NULL;
        free(s);
        if (!gone) sleep_ms(50);
    }
    assert_true(gone);
    /* Training went on meanwhile. */
    assert_true(wait_step(&t, a + 1, 20000) > a);
    /* Back to the button; Stop: the results cover what ran. */
    keys(&t, "g Tab");
    expect_text(&t, "Enter stops training", 1000);
    keys(&t, "Enter");
    s = wait_for(&t, "[ Run again ]", 20000);
    assert_non_null(s);
    assert_non_null(strstr(s, "stopped and evaluated"));
    free(s);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
}

/* q in the middle of training quits at once, cleanly. */
static void test_quit_during_training(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start_test_lab(&t, 3);
    assert_true(wait_step(&t, 2, 20000) >= 2);
    keys(&t, "q");
    check_exit(&t, "0");
    check_progress_intact(&t, "07-lab", 2);
    stop(&t);
}

/* A signal in the middle of training: the terminal comes back, the
 * progress file is whole. */
static void signal_during_training(const char *sig, const char *status)
{
    REQUIRE_TMUX();
    Tui t;
    start_test_lab(&t, 3);
    assert_true(wait_step(&t, 2, 20000) >= 2);
    int pid = pid_of(&t);
    assert_true(pid > 0);
    sh("kill -%s %d", sig, pid);
    check_exit(&t, status);
    check_progress_intact(&t, "07-lab", 2);
    stop(&t);
}

static void test_sigint_during_training(void **state)
{
    (void)state;
    signal_during_training("INT", "130");
}

static void test_sigterm_during_training(void **state)
{
    (void)state;
    signal_during_training("TERM", "143");
}

static void test_sighup_during_training(void **state)
{
    (void)state;
    signal_during_training("HUP", "129");
}

/* Ctrl-C typed in the middle of training. */
static void test_ctrl_c_during_training(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start_test_lab(&t, 3);
    assert_true(wait_step(&t, 2, 20000) >= 2);
    keys(&t, "C-c");
    check_exit(&t, "130");
    check_progress_intact(&t, "07-lab", 2);
    stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lesson7_default_lab),
        cmocka_unit_test(test_small_lab_to_the_end),
        cmocka_unit_test(test_keys_during_training),
        cmocka_unit_test(test_quit_during_training),
        cmocka_unit_test(test_sigint_during_training),
        cmocka_unit_test(test_sigterm_during_training),
        cmocka_unit_test(test_sighup_during_training),
        cmocka_unit_test(test_ctrl_c_during_training),
    };
    return cmocka_run_group_tests_name("tui_lab", tests, NULL, NULL);
}
