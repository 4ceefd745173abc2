/* test_tui.c — end-to-end: the real binary driven in tmux.
 *
 * Each test starts lorascope in a detached tmux session on a private socket
 * (tmux -L lorascope-test-PID), with XDG_STATE_HOME in a fresh temporary
 * folder, types with send-keys and reads the screen with capture-pane,
 * polling until the expected text appears (no fixed sleeps). After the
 * program ends, the same pane runs `stty -a`, so the tests can check that
 * the terminal was put back (icanon and echo on) on every way out: q,
 * Ctrl-C, SIGTERM, SIGHUP.
 *
 * tmux is required: when it is missing every test fails with a message
 * saying so (CI installs it; nothing is skipped silently). */
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

/* ---------------------------------------------------------------------------
 * Tests */

/* Contents -> lesson 2 -> the photo demo: the rank slider moves and the
 * numbers under it change. */
static void test_svd_slider(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start(&t, "", 100, 30);
    char *s = wait_for(&t, "Lessons", 5000);
    assert_non_null(s);
    assert_non_null(strstr(s, "not started"));
    free(s);
    keys(&t, "j Enter");
    expect_text(&t, "The SVD", 3000);
    assert_true(goto_svd_demo(&t));
    keys(&t, "Tab");
    s = wait_for(&t, "▶ rank k", 3000);
    assert_non_null(s);
    double e0 = number_after(s, "energy captured ");
    double k0 = number_after(s, "rank k = ");
    free(s);
    assert_true(e0 > 0);
    keys(&t, "Right Right Right");
    char want[64];
    snprintf(want, sizeof want, "rank k = %d", (int)k0 + 3);
    s = wait_for(&t, want, 3000);
    assert_non_null(s);
    double e1 = number_after(s, "energy captured ");
    assert_true(e1 > e0);
    /* Eckart–Young holds on screen. */
    assert_non_null(strstr(s, "✓"));
    free(s);
    keys(&t, "S-Right");
    snprintf(want, sizeof want, "rank k = %d", 2 * ((int)k0 + 3));
    expect_text(&t, want, 3000);
    keys(&t, "q");
    check_exit(&t, "0");
    /* The page was saved. */
    char *prog = sh_out("cat '%s/lorascope/progress.json'", t.state);
    assert_non_null(strstr(prog, "02-svd"));
    free(prog);
    stop(&t);
}

/* Resizing relays out; below 80×24 a message says how large it must be. */
static void test_resize(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start(&t, "", 100, 30);
    expect_text(&t, "Lessons", 5000);
    keys(&t, "Enter");
    expect_text(&t, "page 1/", 3000);
    sh("tmux -L %s resize-window -t t -x 80 -y 24", t.sock);
    char *s = wait_for(&t, "page 1/", 3000);
    assert_non_null(s);
    /* The status bar sits on row 24 now: count the lines. */
    int lines = 0;
    for (char *p = s; *p; p++) lines += *p == '\n';
    assert_int_equal(lines, 24);
    free(s);
    sh("tmux -L %s resize-window -t t -x 160 -y 50", t.sock);
    s = wait_for(&t, "page 1/", 3000);
    assert_non_null(s);
    lines = 0;
    for (char *p = s; *p; p++) lines += *p == '\n';
    assert_int_equal(lines, 50);
    free(s);
    sh("tmux -L %s resize-window -t t -x 70 -y 20", t.sock);
    s = wait_for(&t, "needs at least 80×24", 3000);
    assert_non_null(s);
    assert_non_null(strstr(s, "70×20"));
    free(s);
    sh("tmux -L %s resize-window -t t -x 100 -y 30", t.sock);
    s = wait_for(&t, "page 1/", 3000);
    assert_non_null(s);
    assert_null(strstr(s, "needs at least"));
    free(s);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
}

/* Answer the first question of lesson 1; the answer is saved. */
static void test_question(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start(&t, "", 100, 30);
    expect_text(&t, "Lessons", 5000);
    keys(&t, "Enter");
    /* Page through lesson 1 until a question is on screen. */
    int found = 0;
    for (int i = 0; i < 10 && !found; i++) {
        keys(&t, "G");
        sleep_ms(150);
        char *s = capture(&t);
        found = strstr(s, "Question") != NULL;
        free(s);
        if (!found) keys(&t, "n");
    }
    assert_true(found);
    /* Tab until the question has focus (demos come first on some pages). */
    for (int i = 0; i < 8; i++) {
        keys(&t, "Tab");
        sleep_ms(100);
        char *s = capture(&t);
        bool q = strstr(s, "press 1") || strstr(s, "press Enter and type");
        free(s);
        if (q) break;
    }
    char *s = capture(&t);
    bool number = strstr(s, "press Enter and type") != NULL;
    free(s);
    if (number) keys(&t, "Enter 3 Enter");
    else keys(&t, "1");
    s = NULL;
    for (int i = 0; i < 60 && !s; i++) {
        char *c = capture(&t);
        if (strstr(c, "Right.") || strstr(c, "Not quite")) s = c;
        else free(c), sleep_ms(50);
    }
    assert_non_null(s);
    free(s);
    keys(&t, "q");
    check_exit(&t, "0");
    char *prog = sh_out("cat '%s/lorascope/progress.json'", t.state);
    assert_non_null(strstr(prog, "\"answers\""));
    assert_true(strstr(prog, "true") || strstr(prog, "false"));
    free(prog);
    stop(&t);
}

/* Progress resumes: the lesson and page open last come back. */
static void test_resume(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start(&t, "", 100, 30);
    expect_text(&t, "Lessons", 5000);
    keys(&t, "j Enter n n");
    expect_text(&t, "page 3/", 3000);
    keys(&t, "q");
    check_exit(&t, "0");
    /* Same state folder, new run: the contents show lesson 2 selected, and
     * Enter opens it at page 3 again. */
    char keep[256];
    snprintf(keep, sizeof keep, "%s", t.state);
    sh("tmux -L %s kill-server >/dev/null 2>&1", t.sock);
    Tui t2;
    start(&t2, "", 100, 30);
    sh("rm -rf '%s' && mv '%s' '%s'", t2.state, keep, t2.state);
    sh("tmux -L %s kill-server >/dev/null 2>&1", t2.sock);
    /* Restart on the moved state folder. */
    Tui t3 = t2;
    char script[512];
    snprintf(script, sizeof script, "%s/run.sh", t3.state);
    sh("sed -i 's#XDG_STATE_HOME=[^ ]*#XDG_STATE_HOME=%s#' '%s'", t3.state, script);
    sh("tmux -L %s -f '%s/tmux.conf' new-session -d -s t -x 100 -y 30 'sh %s' >/dev/null 2>&1",
       t3.sock, t3.state, script);
    /* The contents count pages finished (1 and 2 were turned past). */
    char *s = wait_for(&t3, "pages done", 5000);
    assert_non_null(s);
    const char *sel = strstr(s, "▸  2");
    assert_non_null(sel);
    const char *eol = strchr(sel, '\n');
    const char *done = strstr(sel, " 2/");
    assert_true(done && (!eol || done < eol));
    assert_non_null(strstr(done, "pages done"));
    free(s);
    keys(&t3, "Enter");
    expect_text(&t3, "[3]", 3000);
    keys(&t3, "q");
    check_exit(&t3, "0");
    stop(&t3);
}

/* Ctrl-C, SIGTERM and SIGHUP end the program and restore the terminal. */

/* Start lorascope and open lesson 1 on its second page. */
static void start_mid_lesson(Tui *t)
{
    start(t, "", 100, 30);
    expect_text(t, "Lessons", 5000);
    keys(t, "Enter");
    expect_text(t, "page 1/", 3000);
    keys(t, "n");
    expect_text(t, "page 2/", 3000);
}

static void test_ctrl_c(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start_mid_lesson(&t);
    keys(&t, "C-c");
    check_exit(&t, "130");
    check_progress_intact(&t, "01-rank", 1);
    stop(&t);
}

/* A signal from outside, in the middle of a lesson: the shell's status
 * for death by that signal, the terminal restored, the progress whole. */
static void check_killed_mid_lesson(const char *signal_name, const char *status)
{
    Tui t;
    start_mid_lesson(&t);
    int pid = pid_of(&t);
    assert_true(pid > 0);
    sh("kill -%s %d", signal_name, pid);
    check_exit(&t, status);
    check_progress_intact(&t, "01-rank", 1);
    stop(&t);
}

static void test_sigterm(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    check_killed_mid_lesson("TERM", "143");
}

static void test_sighup(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    check_killed_mid_lesson("HUP", "129");
}

/* Help lists the keys; presentation mode has no bars and reveals blocks. */
static void test_help_and_present(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start(&t, "--present", 100, 30);
    char *s = wait_for(&t, "──", 5000);
    assert_non_null(s);
    /* No chrome: neither the contents link nor the status bar. */
    assert_null(strstr(s, "contents"));
    assert_null(strstr(s, "? keys"));
    free(s);
    char *before = capture(&t);
    keys(&t, "PgDn");
    sleep_ms(200);
    char *after = capture(&t);
    assert_string_not_equal(before, after);
    free(before);
    free(after);
    keys(&t, "b");
    sleep_ms(200);
    s = capture(&t);
    size_t visible = 0;
    for (char *p = s; *p; p++) visible += *p != '\n' && *p != ' ';
    assert_int_equal(visible, 0);
    free(s);
    keys(&t, "Escape");  /* unblank */
    sleep_ms(100);
    keys(&t, "Escape");  /* leave presentation mode */
    expect_text(&t, "? keys", 3000);
    keys(&t, "?");
    s = wait_for(&t, "Every key", 3000);
    assert_non_null(s);
    assert_non_null(strstr(s, "scroll down a line"));
    free(s);
    keys(&t, "Escape q");
    check_exit(&t, "0");
    stop(&t);
}

/* Search finds text on another page. */
static void test_search(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start(&t, "", 100, 30);
    expect_text(&t, "Lessons", 5000);
    keys(&t, "Enter / p i v o t Enter");
    expect_text(&t, "found on page", 3000);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
}

/* Another folder of lessons: a broken one shows its problems with file and
 * line on its page; the good one still works. */
static void test_broken_lesson(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    char dir[] = "/tmp/lorascope-lessons-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/01-good.md", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("# Good lesson\n\n## Only page\n\nAll fine here.\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/02-broken.md", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("# Broken lesson\n\n## Page\n\nBefore the demo.\n\n```demo svdd\nrank = 3\n```\n\nAfter it.\n", f);
    fclose(f);
    char args[300];
    snprintf(args, sizeof args, "--lessons %s", dir);
    Tui t;
    start(&t, args, 100, 30);
    char *s = wait_for(&t, "Broken lesson", 5000);
    assert_non_null(s);
    assert_non_null(strstr(s, "Good lesson"));
    free(s);
    keys(&t, "j Enter");
    s = wait_for(&t, "02-broken.md:7:", 3000);
    assert_non_null(s);
    assert_non_null(strstr(s, "After it."));
    assert_non_null(strstr(s, "cannot run"));
    free(s);
    keys(&t, "t k Enter");
    expect_text(&t, "All fine here.", 3000);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
    sh("rm -rf '%s'", dir);
}

/* A damaged progress file is reported and set aside (test_tui_files.c
 * checks where it went). */
static void test_corrupt_progress(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start_env(&t, "mkdir -p \"$XDG_STATE_HOME/lorascope\"; printf '{not json' > \"$XDG_STATE_HOME/lorascope/progress.json\"",
              "", 100, 30);
    char *s = wait_for(&t, "cannot be used", 5000);
    assert_non_null(s);
    assert_non_null(strstr(s, "Lessons"));
    free(s);
    keys(&t, "Space Enter q");
    check_exit(&t, "0");
    /* The next save replaced it with good JSON. */
    char *prog = sh_out("cat '%s/lorascope/progress.json'", t.state);
    assert_non_null(strstr(prog, "\"version\""));
    free(prog);
    stop(&t);
}

/* --reset-progress forgets the saved page. */
static void test_reset_progress(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start_env(&t, "mkdir -p \"$XDG_STATE_HOME/lorascope\"; "
                  "printf '{\"version\":1,\"current\":\"02-svd\",\"lessons\":{\"02-svd\":{\"page\":2,\"answers\":{}}}}' "
                  "> \"$XDG_STATE_HOME/lorascope/progress.json\"",
              "--reset-progress", 100, 30);
    char *s = wait_for(&t, "Progress was reset", 5000);
    assert_non_null(s);
    assert_null(strstr(s, "page 3/"));
    free(s);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
}

/* The mouse: a click on the slider track sets the rank, a drag moves it,
 * the wheel scrolls. Reports are X10 mouse sequences, as tmux sends them. */
static void mouse(const Tui *t, int button, int x, int y)
{
    char seq[16];
    snprintf(seq, sizeof seq, "\033[M%c%c%c", 32 + button, 33 + x, 33 + y);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "tmux -L %s send-keys -t t -l '%s'", t->sock, seq);
    assert_int_equal(system(cmd), 0);
    sleep_ms(60);
}

static void test_mouse(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start(&t, "", 100, 30);
    expect_text(&t, "Lessons", 5000);
    keys(&t, "j Enter");
    assert_true(goto_svd_demo(&t));
    char *s = capture(&t);
    /* Find the slider row and its knob. */
    int row = 0;
    char *line = s, *knob_line = NULL;
    while (line && *line) {
        if (strstr(line, "rank k") && strstr(line, "●") && (!strchr(line, '\n') || strstr(line, "●") < strchr(line, '\n'))) {
            knob_line = line;
            break;
        }
        line = strchr(line, '\n');
        if (line) line++, row++;
    }
    assert_non_null(knob_line);
    free(s);
    mouse(&t, 0, 60, row);      /* press far right on the track */
    mouse(&t, 3, 60, row);      /* release */
    s = wait_for(&t, "▶ rank k", 3000);
    assert_non_null(s);
    double k1 = number_after(s, "rank k = ");
    assert_true(k1 > 10);
    free(s);
    /* Drag back towards the left. */
    mouse(&t, 0, 60, row);
    mouse(&t, 32, 40, row);     /* motion with the button held */
    mouse(&t, 32, 30, row + 3); /* the drag may leave the row */
    mouse(&t, 3, 30, row + 3);
    sleep_ms(200);
    s = capture(&t);
    double k2 = number_after(s, "rank k = ");
    assert_true(k2 > 0 && k2 < k1);
    free(s);
    /* Wheel down scrolls the page. */
    keys(&t, "Escape");
    s = wait_for(&t, "% ", 2000);
    free(s);
    mouse(&t, 65, 10, 10);
    sleep_ms(200);
    s = capture(&t);
    assert_null(strstr(s, "· 0%"));
    free(s);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
}

/* Without a UTF-8 locale everything on screen is ASCII. */
static void test_ascii_locale(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start_env(&t, "export LANG=C LC_ALL=C", "", 100, 30);
    expect_text(&t, "Lessons", 5000);
    keys(&t, "j Enter n n Tab");
    char *s = wait_for(&t, "rank k = ", 3000);
    assert_non_null(s);
    for (char *p = s; *p; p++) assert_true((unsigned char)*p < 0x80);
    free(s);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
}

/* Bad options are usage errors (no terminal needed). */
static void test_usage_error(void **state)
{
    (void)state;
    const char *bin = getenv("LORASCOPE_BIN");
    char *out = sh_out("'%s' --bogus >/dev/null 2>&1; echo $?", bin && *bin ? bin : "./lorascope");
    assert_int_equal(atoi(out), 2);
    free(out);
    out = sh_out("'%s' --theme purple 2>&1 >/dev/null; echo $?", bin && *bin ? bin : "./lorascope");
    assert_non_null(strstr(out, "unknown theme"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_error),
        cmocka_unit_test(test_svd_slider),
        cmocka_unit_test(test_resize),
        cmocka_unit_test(test_question),
        cmocka_unit_test(test_resume),
        cmocka_unit_test(test_ctrl_c),
        cmocka_unit_test(test_sigterm),
        cmocka_unit_test(test_sighup),
        cmocka_unit_test(test_help_and_present),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_broken_lesson),
        cmocka_unit_test(test_corrupt_progress),
        cmocka_unit_test(test_reset_progress),
        cmocka_unit_test(test_mouse),
        cmocka_unit_test(test_ascii_locale),
    };
    return cmocka_run_group_tests_name("tui (tmux end to end)", tests, NULL, NULL);
}
