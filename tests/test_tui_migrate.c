/* test_tui_migrate.c — a student's old progress file (version 1, answers
 * saved by question position) meets the lessons with question ids: the real
 * binary in tmux moves each answer onto the question that held that position
 * ("was = N" in the lesson), shows it on that question, and the next save
 * writes version 2 with the answers under the question ids. */
#include "tui_harness.h"

static void test_version1_answers_follow_their_question(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    /* Lesson 3 before ids: its 3rd question (position 2) was "why is 0.1 +
     * 0.2 not 0.3", answered right; its 9th (position 8) was "why accumulate
     * in fp32", answered wrong; position 0 asked something since replaced. */
    start_env(&t,
              "mkdir -p \"$XDG_STATE_HOME/lorascope\"; "
              "printf '{\"version\":1,\"current\":\"03-precision\",\"lessons\":{\"03-precision\":"
              "{\"page\":3,\"answers\":{\"0\":true,\"2\":true,\"8\":false}}}}' "
              "> \"$XDG_STATE_HOME/lorascope/progress.json\"",
              "", 100, 30);
    /* The contents count the two migrated answers, not the dropped one. */
    char *s = wait_for(&t, "Lessons", 5000);
    assert_non_null(s);
    free(s);
    s = wait_for(&t, "1/10 right", 3000);
    assert_non_null(s);
    free(s);
    /* The lesson opens on page 4, where the answered question shows it. */
    keys(&t, "Enter");
    expect_text(&t, "Why 0.1 + 0.2 is not 0.3", 5000);
    keys(&t, "G");
    s = wait_for(&t, "✓ answered", 3000);
    if (!s) print_message("%s\n", capture(&t));
    assert_non_null(s);
    free(s);
    /* Next page saves; then quit and read the file. */
    keys(&t, "n");
    expect_text(&t, "The top of the range", 3000);
    keys(&t, "q");
    check_exit(&t, "0");
    char *prog = sh_out("cat '%s/lorascope/progress.json'", t.state);
    cJSON *root = cJSON_Parse(prog);
    if (!root) fail_msg("not JSON:\n%s", prog);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(root, "version")->valueint, 2);
    cJSON *answers = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "lessons"),
                                         "03-precision"),
        "answers");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(answers, "why-not-0-3")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(answers, "why-fp32-accumulate")));
    assert_int_equal(cJSON_GetArraySize(answers), 2);
    cJSON_Delete(root);
    free(prog);
    stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version1_answers_follow_their_question),
    };
    return cmocka_run_group_tests_name("tui_migrate", tests, NULL, NULL);
}
