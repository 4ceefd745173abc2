/* test_tui_lessons34.c — end to end, lessons 3 and 4 in the real binary
 * driven through tmux: flip a bit of 0.1 and see its value change; type a
 * number; follow the arith demo's instructions as the lesson gives them;
 * move the quantization bits slider and see the SNR and MSE change;
 * the ASCII fallback on the histogram. Private tmux socket
 * (lorascope-t34-PID), a fresh XDG_STATE_HOME, and polling capture-pane
 * until the expected text appears (helpers in tui_harness.h). */
#include "tui_harness.h"

/* Select, in the contents, the lesson one of whose page titles is
 * `page_title` (the contents list the selected lesson's pages), and open it. */
static void open_lesson(const Tui *t, const char *page_title)
{
    expect_text(t, "Lessons", 5000);
    for (int i = 0; i < 12; i++) {
        char *s = capture(t);
        if (strstr(s, page_title)) {
            free(s);
            break;
        }
        keys(t, "j");
        /* Wait for the selection to move before looking again. */
        for (int w = 0; w < 40; w++) {
            char *now = capture(t);
            bool moved = strcmp(now, s) != 0;
            free(now);
            if (moved) break;
            sleep_ms(50);
        }
        free(s);
    }
    keys(t, "Enter");
    /* The contents list page titles too: wait for the lesson itself. */
    expect_text(t, "page 1/", 5000);
}

/* Turn pages until `text` is on the screen. */
static char *page_with(const Tui *t, const char *text)
{
    for (int i = 0; i < 12; i++) {
        char *s = capture(t);
        if (strstr(s, text)) return s;
        free(s);
        keys(t, "n");
        sleep_ms(200);
    }
    return wait_for(t, text, 500);
}


/* ---------------------------------------------------------------------------
 * Tests */

/* Lesson 3: the bit explorer. Flip fp16's sign bit of 0.1 with Space: the
 * value turns negative; ← wraps to the last mantissa bit, Space flips it;
 * then type a number into the value. */
static void test_flip_a_bit(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start(&t, "", 100, 30);
    open_lesson(&t, "Sign, exponent, mantissa");
    char *s = page_with(&t, "Sign, exponent, mantissa");
    assert_non_null(s);
    free(s);
    keys(&t, "Tab Tab");
    s = wait_for(&t, "Space flips", 3000);
    assert_non_null(s);
    assert_non_null(strstr(s, "0 01011 1001100110"));
    assert_non_null(strstr(s, "0.0999755859375"));
    free(s);
    /* The cursor starts on the sign bit. */
    keys(&t, "Space");
    s = wait_for(&t, "1 01011 1001100110", 3000);
    assert_non_null(s);
    assert_non_null(strstr(s, "-0.0999755859375"));
    assert_non_null(strstr(s, "(fp16 bits)"));
    free(s);
    /* ← from the sign bit wraps to the last mantissa bit. */
    keys(&t, "Left Space");
    s = wait_for(&t, "1 01011 1001100111", 3000);
    assert_non_null(s);
    assert_non_null(strstr(s, "-0.10003662109375"));
    free(s);
    /* Back to the value: type 65504. */
    keys(&t, "BTab");
    keys(&t, "6 5 5 0 4 Enter");
    s = wait_for(&t, "0 11110 1111111111", 3000);
    assert_non_null(s);
    assert_non_null(strstr(s, "65504"));
    free(s);
    keys(&t, "Escape q");
    check_exit(&t, "0");
    stop(&t);
}

/* Lesson 4: the histogram demo. One step down the bits slider: int8 → int7,
 * and the SNR and MSE on the screen change (SNR down, MSE up). */
static void test_quant_bits_slider(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start(&t, "", 100, 30);
    open_lesson(&t, "From weights to integers");
    char *s = page_with(&t, "From weights to integers");
    assert_non_null(s);
    free(s);
    keys(&t, "Tab Tab");
    expect_text(&t, "bits per code:", 3000);
    s = wait_for(&t, "int8 tensor: SNR ", 3000);
    assert_non_null(s);
    double snr8 = number_after(s, "int8 tensor: SNR ");
    double mse8 = number_after(s, " · MSE ");
    free(s);
    assert_true(snr8 > 20 && mse8 > 0);
    keys(&t, "Left");
    s = wait_for(&t, "int7 tensor: SNR ", 3000);
    assert_non_null(s);
    double snr7 = number_after(s, "int7 tensor: SNR ");
    double mse7 = number_after(s, " · MSE ");
    free(s);
    assert_true(snr7 < snr8);
    assert_true(mse7 > mse8);
    /* Four more steps: int3, and a much larger error. */
    keys(&t, "Left Left Left Left");
    s = wait_for(&t, "int3 tensor: SNR ", 3000);
    assert_non_null(s);
    assert_true(number_after(s, "int3 tensor: SNR ") < snr7 - 12);
    free(s);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
}

/* 80 × 24, and without a UTF-8 locale: the outlier page is all ASCII and the
 * granularity choice moves from tensor to row. */
static void test_ascii_80x24(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start_env(&t, "export LANG=C LC_ALL=C", "", 80, 24);
    expect_text(&t, "Lessons", 5000);
    open_lesson(&t, "From weights to integers");
    char *s = page_with(&t, "One outlier ruins it");
    assert_non_null(s);
    free(s);
    keys(&t, "Tab Tab Tab");
    expect_text(&t, "[tensor]", 3000);
    keys(&t, "Right");
    s = wait_for(&t, "[row]", 3000);
    assert_non_null(s);
    for (char *p = s; *p; p++) assert_true((unsigned char)*p < 0x80);
    int lines = 0;
    for (char *p = s; *p; p++) lines += *p == '\n';
    assert_int_equal(lines, 24);
    free(s);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
}

/* Lesson 3's arith demo, following the page's own instructions: "change
 * the operation to ÷ and type 1 and 3. Then try 1e-5 × 1e-5", then on the
 * overflow page "Tab to b
 * and press → to double it: 8, 16, 32". Changing the operation keeps a and
 * b; each → doubles b again. */
static void arith_as_the_lesson_says(int w, int h)
{
    Tui t;
    start(&t, "", w, h);
    open_lesson(&t, "Why 0.1 + 0.2 is not 0.3");
    char *s = page_with(&t, "exactly: 0.1 + 0.2 = 0.3");
    assert_non_null(s);
    free(s);
    /* Tab to the operation; → three times: −, ×, ÷. a and b stay. */
    keys(&t, "Tab Tab");
    expect_text(&t, "operation: ", 3000);
    keys(&t, "Right");
    expect_text(&t, "exactly: 0.1 − 0.2 = -0.1", 3000);
    keys(&t, "Right Right");
    s = wait_for(&t, "exactly: 0.1 ÷ 0.2 = 0.5", 3000);
    assert_non_null(s);
    assert_null(strstr(s, "not a number"));
    free(s);
    /* Back to a, type 1; Tab Tab to b, type 3. */
    keys(&t, "BTab 1 Tab Tab 3 Enter");
    s = wait_for(&t, "exactly: 1 ÷ 3 = 0.333333", 3000);
    assert_non_null(s);
    assert_non_null(strstr(s, "0.33333333333333331"));
    assert_null(strstr(s, "not a number"));
    free(s);
    /* "Then try 1e-5 × 1e-5": back to the operation, ← to ×, then a and b. */
    keys(&t, "BTab Left");
    expect_text(&t, "exactly: 1 × 3 = 3", 3000);
    keys(&t, "BTab 1 e - 5 Tab Tab 1 e - 5 Enter");
    s = wait_for(&t, "exactly: 1e-5 × 1e-5 = ", 3000);
    assert_non_null(s);
    assert_non_null(strstr(s, "underflow: 0")); /* fp16 cannot hold 1e-10 */
    free(s);
    /* The next page: 65504 + 8; → on b doubles it, again and again. */
    keys(&t, "Escape n");
    expect_text(&t, "smallest b whose sum", 3000);
    keys(&t, "Tab Tab Tab Tab"); /* the prediction question comes first */
    expect_text(&t, "b: Enter types", 3000);
    /* The question above pushes the results below the screen: scroll. */
    keys(&t, "Down Down Down Down Down Down Down Down");
    expect_text(&t, "exactly: 65504 + 8 = 65512", 3000);
    keys(&t, "Right");
    expect_text(&t, "exactly: 65504 + 16 = 65520", 3000);
    keys(&t, "Right");
    expect_text(&t, "exactly: 65504 + 32 = 65536", 3000);
    keys(&t, "Right");
    s = wait_for(&t, "exactly: 65504 + 64 = 65568", 3000);
    assert_non_null(s);
    assert_non_null(strstr(s, "overflow: inf"));
    assert_null(strstr(s, "not a number"));
    free(s);
    /* ← halves it back. */
    keys(&t, "Left");
    expect_text(&t, "exactly: 65504 + 32 = 65536", 3000);
    keys(&t, "Escape q");
    check_exit(&t, "0");
    stop(&t);
}

static void test_arith_as_the_lesson_says(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    arith_as_the_lesson_says(100, 30);
    arith_as_the_lesson_says(80, 24);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flip_a_bit),
        cmocka_unit_test(test_arith_as_the_lesson_says),
        cmocka_unit_test(test_quant_bits_slider),
        cmocka_unit_test(test_ascii_80x24),
    };
    return cmocka_run_group_tests_name("tui lessons 3 and 4 (tmux end to end)", tests, NULL, NULL);
}
