/* test_tui_keys.c — the machinery of `lorascope bench keys` (the benchmark
 * itself is timed, so it is not a test): the pty driver runs the real
 * binary and keeps its screen through libvterm, and "the text moved" is
 * told apart from "the screen changed". Checked on a static lesson page
 * (j moves the text up a line, k back, nothing moves by itself) and on
 * the small test lab while it trains (its progress redraws on their own,
 * which never counts as a move; a j during training does). Not under
 * valgrind (named test_tui*): the lab runs the real base model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../src/app/pty_screen.h"
#include "../src/base/clock.h"

/* Rows of text from a string of lines ("a\nb\n..."). */
static void text_of(PtyText *t, const char *lines)
{
    for (int y = 0; y < t->h; y++) {
        size_t n = strcspn(lines, "\n");
        snprintf(t->rows[y], PTY_ROW_BYTES, "%.*s", (int)n, lines);
        lines += n + (lines[n] == '\n');
    }
}

static void test_shifted_counts_moved_rows(void **state)
{
    (void)state;
    PtyText a, b;
    assert_int_equal(pty_text_init(&a, 6), 0);
    assert_int_equal(pty_text_init(&b, 6), 0);
    text_of(&a, "title\none\ntwo\nthree\nfour\nstatus");
    /* Scrolled down a line: rows 1..3 show the old rows 2..4. */
    text_of(&b, "title\ntwo\nthree\nfour\nfive\nstatus");
    assert_int_equal(pty_text_shifted(&a, &b, 1), 3);
    assert_int_equal(pty_text_shifted(&a, &b, -1), 0);
    /* And back up: the other direction. */
    assert_int_equal(pty_text_shifted(&b, &a, -1), 3);
    /* Redrawn in place (a progress line, a number): no move at all. */
    text_of(&b, "title\none\ntwo 7%\nthree\nfour\nstatus");
    assert_int_equal(pty_text_shifted(&a, &b, 1), 0);
    assert_int_equal(pty_text_shifted(&a, &b, -1), 0);
    /* Blank rows and unchanged rows never count. */
    text_of(&a, "\n\n\nx\nx\nx");
    text_of(&b, "\n\nx\nx\nx\nx");
    assert_int_equal(pty_text_shifted(&a, &b, 1), 1);
    pty_text_free(&a);
    pty_text_free(&b);
}

typedef struct Run {
    PtyScreen p;
    PtyText before, now;
    char state[64];
    char env_state[96];
} Run;

static void run_start(Run *r, const char *args[], int w, int h)
{
    const char *bin = getenv("LORASCOPE_BIN");
    snprintf(r->state, sizeof r->state, "/tmp/lorascope-test-keys-XXXXXX");
    assert_non_null(mkdtemp(r->state));
    snprintf(r->env_state, sizeof r->env_state, "XDG_STATE_HOME=%s", r->state);
    char *argv[16] = {(char *)(bin && *bin ? bin : "./lorascope")};
    for (int i = 0; args[i] && i < 14; i++) argv[i + 1] = (char *)args[i];
    char *env[] = {r->env_state, "TERM=xterm-256color", "LANG=C.UTF-8", "LC_ALL=C.UTF-8",
                   "LORASCOPE_GRAPHICS=text", NULL};
    Status st = {0};
    assert_int_equal(pty_screen_spawn(&r->p, w, h, argv, env, &st), LS_OK);
    assert_int_equal(pty_text_init(&r->before, h), 0);
    assert_int_equal(pty_text_init(&r->now, h), 0);
}

/* Quit with q: the program ends by itself with status 0. */
static void run_quit(Run *r)
{
    assert_int_equal(pty_screen_send(&r->p, "q"), 0);
    for (int i = 0; i < 500 && r->p.fd >= 0; i++) pty_screen_pump(&r->p, 20);
    assert_true(r->p.fd < 0);
    assert_int_equal(r->p.exit_status, 0);
    pty_screen_close(&r->p);
    pty_text_free(&r->before);
    pty_text_free(&r->now);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", r->state);
    assert_int_equal(system(cmd), 0);
}

/* Type key and pump until the text moved by dy rows; true if it did
 * within 10 s (generous: this checks detection, not speed). */
static bool key_moves(Run *r, const char *key, int dy)
{
    pty_screen_pump(&r->p, 0);
    pty_screen_text(&r->p, &r->before);
    if (pty_screen_send(&r->p, key)) return false;
    double end = clock_now_s() + 10.0;
    while (clock_now_s() < end) {
        if (pty_screen_pump(&r->p, 50) < 0) return false;
        pty_screen_text(&r->p, &r->now);
        if (pty_text_shifted(&r->before, &r->now, dy) >= 3) return true;
    }
    return false;
}

static void test_static_page_scrolls(void **state)
{
    (void)state;
    Run r;
    const char *args[] = {"--lesson", "1", "--page", "2", NULL};
    run_start(&r, args, 80, 24);
    assert_true(pty_screen_wait_text(&r.p, "n/p page", 10000));
    /* Nothing moves by itself on a page without a live demo. */
    pty_screen_text(&r.p, &r.before);
    pty_screen_pump(&r.p, 300);
    pty_screen_text(&r.p, &r.now);
    assert_int_equal(pty_text_shifted(&r.before, &r.now, 1), 0);
    assert_int_equal(pty_text_shifted(&r.before, &r.now, -1), 0);
    assert_true(key_moves(&r, "j", 1));
    assert_true(key_moves(&r, "k", -1));
    run_quit(&r);
}

static void test_lab_redraws_do_not_count(void **state)
{
    (void)state;
    Run r;
    const char *args[] = {"--lessons", "tests/data/lessons/lab", "--lesson", "07-lab", "--page", "3", NULL};
    const char *root = getenv("LORASCOPE_ROOT");
    if (root && *root) assert_int_equal(chdir(root), 0);
    /* Tall enough that the lab's progress line shows below its 13 controls. */
    run_start(&r, args, 100, 40);
    assert_true(pty_screen_wait_text(&r.p, "n/p page", 10000));
    assert_int_equal(pty_screen_send(&r.p, "\t"), 0);
    assert_true(pty_screen_wait_text(&r.p, "Enter starts the lab", 5000));
    assert_int_equal(pty_screen_send(&r.p, "\r"), 0);
    assert_true(pty_screen_wait_text(&r.p, "training · step", 60000));
    assert_int_equal(pty_screen_send(&r.p, "\033"), 0);
    assert_true(pty_screen_wait_text(&r.p, "n/p page", 5000));
    /* Training redraws the screen by itself: changed, but not moved. */
    pty_screen_text(&r.p, &r.before);
    bool changed = false;
    for (int i = 0; i < 200 && !changed; i++) {
        pty_screen_pump(&r.p, 50);
        pty_screen_text(&r.p, &r.now);
        for (int y = 0; y < r.now.h; y++) changed |= strcmp(r.now.rows[y], r.before.rows[y]) != 0;
    }
    assert_true(changed);
    assert_true(pty_text_shifted(&r.before, &r.now, 1) < 3);
    assert_true(pty_text_shifted(&r.before, &r.now, -1) < 3);
    /* A key during training moves the text. */
    assert_true(key_moves(&r, "j", 1));
    assert_true(key_moves(&r, "k", -1));
    run_quit(&r);
}

/* --threads: listed by --help; a bad count is refused before the terminal
 * is touched. */
static void test_threads_option(void **state)
{
    (void)state;
    const char *bin = getenv("LORASCOPE_BIN");
    char cmd[1200];
    static const struct {
        const char *args, *want;
    } cases[] = {
        {"--help", "--threads N"},
        {"--threads 0", "--threads needs a number from 1 to 64, not '0'"},
        {"--threads two", "--threads needs a number from 1 to 64, not 'two'"},
        {"--threads", "--threads needs a value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", bin && *bin ? bin : "./lorascope", cases[i].args);
        FILE *f = popen(cmd, "r");
        assert_non_null(f);
        char out[8192];
        size_t n = fread(out, 1, sizeof out - 1, f);
        out[n] = 0;
        int rc = pclose(f);
        if (!strstr(out, cases[i].want)) fail_msg("%s: no '%s' in:\n%s", cases[i].args, cases[i].want, out);
        assert_int_equal(WEXITSTATUS(rc), i == 0 ? 0 : 2);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shifted_counts_moved_rows),
        cmocka_unit_test(test_threads_option),
        cmocka_unit_test(test_static_page_scrolls),
        cmocka_unit_test(test_lab_redraws_do_not_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
