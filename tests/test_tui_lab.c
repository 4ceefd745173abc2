/* test_tui_lab.c — end to end, the lab in the real binary driven through
 * tmux (tests/tui_harness.h): lesson 7's default lab starts and its step
 * counter climbs; a small lab (tests/data/lessons/lab) runs to the end
 * with its tables filled; keys pressed during training are handled within
 * a second (a focus change, a scroll); Stop ends training and the results
 * cover what ran; q quits mid-training; and SIGINT, SIGTERM and SIGHUP in
 * the middle of training end the program with the terminal restored and
 * the progress file whole. A finished lab is shown again, marked, after
 * leaving its page and after a restart, and beside a later lab that
 * compares with it; `o` opens a results file (a bad one says what was
 * expected); the toggles change what runs (the kept file's labels and
 * seed); at 80 × 24 the last control scrolls into view. */
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

/* The kept results file of the test lab's first lab, or NULL. */
static cJSON *kept_file(const Tui *t)
{
    char path[600];
    snprintf(path, sizeof path, "%s/lorascope/lab-results/07-lab--small.json", t->state);
    char *text = sh_out("cat '%s' 2>/dev/null", path);
    cJSON *j = cJSON_Parse(text);
    free(text);
    return j;
}

/* Leave the page and come back, restart and come back: the run is there,
 * marked; the page that compares with it shows its rows. */
static void test_results_kept(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start_test_lab(&t, 2);
    char *s = wait_for(&t, "[ Run again ]", 60000);
    assert_non_null(s);
    assert_null(strstr(s, "An earlier run"));
    free(s);
    keys(&t, "Escape n");
    expect_text(&t, "page 3/", 3000);
    keys(&t, "p");
    s = wait_for(&t, "An earlier run, kept from this session", 3000);
    assert_non_null(s);
    assert_non_null(strstr(s, "100%  done"));
    assert_non_null(strstr(s, "[ Run again ]"));
    free(s);
    /* The compare page: the first lab's rows and samples under the tables. */
    keys(&t, "n n G");
    s = wait_for(&t, "For comparison, the lab 'small'", 3000);
    assert_non_null(s);
    assert_non_null(strstr(s, "30/30 steps"));
    free(s);
    /* A page that only shows it, and the findings it tested. */
    keys(&t, "n");
    s = wait_for(&t, "The lab 'small' as it last ran, kept from this session", 3000);
    assert_non_null(s);
    assert_null(strstr(s, "Start the lab"));
    free(s);
    keys(&t, "G");
    s = wait_for(&t, "What the papers found, tested on this run", 3000);
    assert_non_null(s);
    free(s);
    keys(&t, "q");
    check_exit(&t, "0");
    cJSON *j = kept_file(&t);
    assert_non_null(j);
    cJSON_Delete(j);
    /* A restart: the same, from the saved file. */
    restart(&t, 100, 30);
    expect_text(&t, "Lessons", 5000);
    keys(&t, "Enter");
    expect_text(&t, "page 5/", 3000);
    keys(&t, "2 Enter");
    expect_text(&t, "An earlier run, saved with your progress", 3000);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
}

/* o opens a results file: a bad one is refused with what was expected,
 * a good one is drawn; the toggles (targets, seed) change what runs. */
static void test_open_file_and_toggles(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start(&t, LAB_LESSONS, 100, 30);
    char good[600], bad[600], exp[600];
    snprintf(good, sizeof good, "%s/good.json", t.state);
    snprintf(exp, sizeof exp, "%s/exp.json", t.state);
    assert_int_equal(sh("cd '%s' && '%s' finetune --seeds 2 --methods lora:1,lora:2 --steps 4 --batch 2 "
                        "--final-windows 2 --eval-windows 2 --sample-bytes 8 --no-analysis --json '%s' >/dev/null 2>&1",
                        t.root, t.bin, exp),
                     0);
    snprintf(bad, sizeof bad, "%s/bad.json", t.state);
    assert_int_equal(sh("cd '%s' && '%s' finetune --methods full,lora:2 --steps 4 --batch 2 --final-windows 2 "
                        "--eval-windows 2 --sample-bytes 8 --no-analysis --json '%s' >/dev/null 2>&1",
                        t.root, t.bin, good),
                     0);
    assert_int_equal(sh("printf %s >  '%s'", "'{\"task\": 3}'", bad), 0);
    expect_text(&t, "Lessons", 5000);
    keys(&t, "Enter");
    expect_text(&t, "page 1/", 3000);
    keys(&t, "n");
    expect_text(&t, "page 2/", 3000);
    keys(&t, "Tab");
    expect_text(&t, "o opens · r re-runs a cell", 3000);
    /* The first time, the shipped experiment is offered. */
    keys(&t, "o");
    expect_text(&t, "Open a finetune --json file or an experiment: data/lab-results/domain.json_", 3000);
    keys(&t, "C-u");
    expect_text(&t, "Open a finetune --json file or an experiment: _", 3000);
    sh("tmux -L %s send-keys -t t -l '%s'", t.sock, bad);
    keys(&t, "Enter");
    char *s = wait_for(&t, "Could not open it:", 3000);
    assert_non_null(s);
    char *f = flat(s);
    assert_non_null(strstr(f, "Expected the JSON that `lorascope finetune --json FILE` writes"));
    assert_non_null(strstr(f, "Not started"));
    free(f);
    free(s);
    /* The last path comes back, to correct; Ctrl-U clears it. */
    keys(&t, "o");
    expect_text(&t, "bad.json_", 3000);
    keys(&t, "C-u");
    expect_text(&t, "Open a finetune --json file or an experiment: _", 3000);
    sh("tmux -L %s send-keys -t t -l '%s'", t.sock, good);
    keys(&t, "Enter");
    s = wait_for(&t, "Opened from", 3000);
    assert_non_null(s);
    assert_non_null(strstr(s, "100%  done · step 4 of 4"));
    assert_null(strstr(s, "Could not open"));
    free(s);
    /* An experiment (as data/lab-results ships): its seeds as a band, the
     * findings with their spread. */
    keys(&t, "o C-u");
    expect_text(&t, "Open a finetune --json file or an experiment: _", 3000);
    sh("tmux -L %s send-keys -t t -l '%s'", t.sock, exp);
    keys(&t, "Enter");
    s = wait_for(&t, "an experiment of 2 seeds", 3000);
    assert_non_null(s);
    free(s);
    keys(&t, "Escape j j j j j j j j j j j j j j j j");
    expect_text(&t, "this experiment: min–max of 2 seeds", 3000);
    keys(&t, "G");
    expect_text(&t, "tested on this experiment (mean and spread", 3000);
    keys(&t, "g Tab");
    expect_text(&t, "o opens · r re-runs a cell", 3000);
    /* Targets: all linear layers; seed 2; then run. */
    keys(&t, "Tab Tab Tab Tab Tab Tab Tab");
    expect_text(&t, "the matrices LoRA adapts", 3000);
    keys(&t, "Right Right");
    expect_text(&t, "[all]", 3000);
    keys(&t, "Tab Tab Tab Tab Tab");
    expect_text(&t, "seed of the batches", 3000);
    keys(&t, "Right");
    keys(&t, "BTab BTab BTab BTab BTab BTab BTab BTab BTab BTab BTab BTab");
    expect_text(&t, "Enter runs again", 3000);
    keys(&t, "Enter");
    s = wait_for(&t, "100%  done · step 30 of 30", 60000);
    assert_non_null(s);
    free(s);
    /* Coming back: the controls as they ran it. */
    keys(&t, "Escape n");
    expect_text(&t, "page 3/", 3000);
    keys(&t, "p");
    s = wait_for(&t, "An earlier run, kept from this session", 3000);
    assert_non_null(s);
    assert_non_null(strstr(s, "[all]"));
    free(s);
    keys(&t, "q");
    check_exit(&t, "0");
    cJSON *j = kept_file(&t);
    assert_non_null(j);
    assert_int_equal(cJSON_GetObjectItem(j, "seed")->valueint, 2);
    cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "methods"), 0);
    assert_string_equal(cJSON_GetObjectItem(m, "method")->valuestring, "lora:1,targets=all");
    cJSON_Delete(j);
    stop(&t);
}

/* r re-runs one cell of the shipped experiment live, at 80 × 24: the
 * chooser opens the shipped file itself, ←/→ and ↑/↓ pick the method and
 * seed, Esc cancels, Enter trains that method alone as the cell ran it;
 * then its figures stand beside the shipped ones with the verdict
 * (experiment_rerun_compare, tolerance EXP_RERUN_TOLERANCE). */
static void test_rerun_shipped_cell(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start(&t, LAB_LESSONS, 80, 24);
    expect_text(&t, "Lessons", 5000);
    keys(&t, "Enter");
    expect_text(&t, "page 1/", 3000);
    keys(&t, "n Tab");
    expect_text(&t, "r re-runs a cell", 3000);
    keys(&t, "r");
    char *f = wait_flat(&t, "Re-run one cell live: full at its chosen rate", 3000);
    assert_non_null(f);
    free(f);
    keys(&t, "Escape");
    f = wait_flat(&t, "Opened from data/lab-results/domain.json: an experiment of 3 seeds", 3000);
    assert_non_null(f);
    assert_null(strstr(f, "Re-run one cell live"));
    free(f);
    keys(&t, "r");
    f = wait_flat(&t, "Re-run one cell live: full", 3000);
    assert_non_null(f);
    free(f);
    keys(&t, "Right Down");
    f = wait_flat(&t, "(seed 2 of 3)", 3000);
    assert_non_null(f);
    assert_non_null(strstr(f, "Re-run one cell live: lora:1 at its chosen rate"));
    assert_non_null(strstr(f, "seed 2 (seed 2 of 3); shipped held-out 1."));
    free(f);
    keys(&t, "Enter");
    f = wait_flat(&t, "of the shipped one (r picks another cell)", 180000);
    assert_non_null(f);
    assert_non_null(strstr(f, "Re-run of lora:1,lr="));
    assert_non_null(strstr(f, ", seed 2, as the experiment ran it"));
    assert_non_null(strstr(f, "held-out 1."));
    assert_non_null(strstr(f, "(shipped 1."));
    assert_non_null(strstr(f, "— reproduced: every figure within 0.02"));
    assert_null(strstr(f, "NOT reproduced"));
    free(f);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
}

/* 80 × 24: Tab to the lab's last control scrolls it into view. */
static void test_controls_at_80x24(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start(&t, LAB_LESSONS, 80, 24);
    expect_text(&t, "Lessons", 5000);
    keys(&t, "Enter");
    expect_text(&t, "page 1/", 3000);
    keys(&t, "n Tab");
    expect_text(&t, "o opens · r re-runs a cell", 3000);
    keys(&t, "Tab Tab Tab Tab Tab Tab Tab Tab Tab Tab Tab Tab");
    char *s = wait_for(&t, "seed of the batches", 3000);
    assert_non_null(s);
    assert_non_null(strstr(s, "▶ seed"));
    free(s);
    keys(&t, "Tab");
    s = wait_for(&t, "which curves", 3000);
    assert_non_null(s);
    assert_non_null(strstr(s, "▶ curves"));
    free(s);
    /* A results-only block before its lab ran says so, whole, at 80. */
    keys(&t, "Escape 5 Enter");
    expect_text(&t, "The lab 'small' has not run yet: its results appear here once it has.", 3000);
    keys(&t, "q");
    check_exit(&t, "0");
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
        cmocka_unit_test(test_results_kept),
        cmocka_unit_test(test_open_file_and_toggles),
        cmocka_unit_test(test_controls_at_80x24),
        cmocka_unit_test(test_rerun_shipped_cell),
    };
    return cmocka_run_group_tests_name("tui_lab", tests, NULL, NULL);
}
