/* test_tui_gfx.c — pictures end to end.
 *
 * In tmux (the text fallback): auto never asks a multiplexer, the photo is
 * drawn in half blocks, nothing of a query leaks onto the page, and a
 * forced sixel mode still leaves the half blocks under the picture.
 *
 * On a pseudo-terminal this test plays the terminal itself, so it can
 * answer the start-up question as a sixel or a kitty terminal would, or
 * not at all: lorascope must start within its timeout whatever happens,
 * and send the photo as sixel or kitty graphics when told it may. */
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

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>

#include "tui_harness.h"

/* A string literal and its length, for byte searches. */
#define LIT(s) s, sizeof s - 1

/* ---------------------------------------------------------------------------
 * In tmux: the text fallback */

static void test_tmux_fallback(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    /* TMUX is set inside the session: auto must not ask, and must draw text. */
    start(&t, "--lesson 2 --page 3", 100, 30);
    expect_text(&t, "live demo · svd", 5000);
    expect_text(&t, "▀▀▀▀▀▀▀▀▀▀", 3000);
    char *s = capture(&t);
    assert_null(strstr(s, "Gi=31"));
    assert_null(strstr(s, "AAAA"));
    free(s);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
    /* Forced sixel (tmux 3.3 drops what it cannot show): the page and the
     * half blocks under the picture are still there, and the exit is clean. */
    start_env(&t, "export LORASCOPE_GRAPHICS=sixel", "--lesson 2 --page 3", 80, 24);
    expect_text(&t, "live demo · svd", 5000);
    expect_text(&t, "▀▀▀▀▀▀▀▀▀▀", 3000);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
    /* A mode that does not exist is a usage error. */
    start(&t, "--graphics png", 80, 24);
    expect_text(&t, "unknown graphics mode 'png'", 5000);
    check_exit(&t, "2");
    stop(&t);
}

/* The longest run of half blocks on one row: a picture's width in cells. */
static int widest_picture(const char *screen)
{
    static const char hb[] = "▀";
    int best = 0, run = 0;
    for (const char *p = screen; *p;) {
        if (strncmp(p, hb, sizeof hb - 1) == 0) {
            run++;
            p += sizeof hb - 1;
            if (run > best) best = run;
        } else {
            run = 0;
            p++;
        }
    }
    return best;
}

/* z on the photo's slider: two pictures as wide as the page, and back. */
static void test_tmux_bigger_pictures(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start(&t, "--lesson 2 --page 3", 100, 30);
    expect_text(&t, "page 3/", 5000);
    assert_true(goto_svd_demo(&t));
    expect_text(&t, "▀▀▀▀▀▀▀▀▀▀", 3000);
    keys(&t, "Tab");
    expect_text(&t, "z bigger pictures", 3000);
    char *s = capture(&t);
    int small = widest_picture(s);
    free(s);
    keys(&t, "z");
    expect_text(&t, "z smaller pictures", 3000);
    sleep_ms(200);
    s = capture(&t);
    int large = widest_picture(s);
    print_message("picture width at 100 columns: %d cells, %d with z (2 pixels a cell)\n", small,
                  large);
    assert_true(small >= 28 && small <= 32);
    assert_true(large >= 46);
    assert_null(strstr(s, "error ×4"));
    free(s);
    keys(&t, "z");
    expect_text(&t, "z bigger pictures", 3000);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
}

/* ---------------------------------------------------------------------------
 * On a pseudo-terminal: this test is the terminal */

typedef struct Pty {
    int master;
    pid_t pid;
    char *out; /* everything lorascope wrote */
    size_t n, cap;
    char state[64];
} Pty;

static void pty_start(Pty *p, const char *const *args, int w, int h)
{
    memset(p, 0, sizeof *p);
    p->master = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(p->master >= 0);
    assert_int_equal(grantpt(p->master), 0);
    assert_int_equal(unlockpt(p->master), 0);
    const char *slave = ptsname(p->master);
    assert_non_null(slave);
    struct winsize ws = {(unsigned short)h, (unsigned short)w, (unsigned short)(w * 10),
                         (unsigned short)(h * 20)};
    ioctl(p->master, TIOCSWINSZ, &ws);
    snprintf(p->state, sizeof p->state, "/tmp/lorascope-gfx-XXXXXX");
    assert_non_null(mkdtemp(p->state));
    const char *bin = getenv("LORASCOPE_BIN");
    const char *root = getenv("LORASCOPE_ROOT");
    char cwd[1024];
    if (!root || !*root) root = getcwd(cwd, sizeof cwd);
    char path[2048];
    if (!bin || !*bin) bin = "./lorascope";
    if (bin[0] != '/')
        snprintf(path, sizeof path, "%s/%s", root, bin);
    else
        snprintf(path, sizeof path, "%s", bin);
    p->pid = fork();
    assert_true(p->pid >= 0);
    if (p->pid == 0) {
        setsid();
        int s = open(slave, O_RDWR);
        if (s < 0) _exit(127);
        dup2(s, 0), dup2(s, 1), dup2(s, 2);
        if (s > 2) close(s);
        close(p->master);
        unsetenv("TMUX");
        unsetenv("STY");
        unsetenv("LORASCOPE_GRAPHICS");
        setenv("TERM", "xterm-256color", 1);
        setenv("LANG", "C.UTF-8", 1);
        setenv("LC_ALL", "C.UTF-8", 1);
        setenv("XDG_STATE_HOME", p->state, 1);
        setenv("LORASCOPE_ROOT", root, 1);
        if (chdir(root) != 0) _exit(127);
        char *argv[16];
        int n = 0;
        argv[n++] = path;
        for (int i = 0; args[i] && n < 15; i++)
            argv[n++] = (char *)args[i];
        argv[n] = NULL;
        execv(path, argv);
        _exit(127);
    }
}

/* Read what lorascope writes for up to ms; true once needle was seen
 * (searching everything written so far). */
static bool pty_wait(Pty *p, const char *needle, size_t nlen, int ms)
{
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (p->out && nlen <= p->n)
            for (size_t i = 0; i + nlen <= p->n; i++)
                if (memcmp(p->out + i, needle, nlen) == 0) return true;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = ms - ((now.tv_sec - t0.tv_sec) * 1000L + (now.tv_nsec - t0.tv_nsec) / 1000000L);
        if (left <= 0) return false;
        struct pollfd pf = {p->master, POLLIN, 0};
        if (poll(&pf, 1, (int)left) <= 0) continue;
        if (p->n + 65536 > p->cap) {
            p->cap = p->cap ? 2 * p->cap : 1 << 20;
            p->out = realloc(p->out, p->cap);
            assert_non_null(p->out);
        }
        ssize_t k = read(p->master, p->out + p->n, p->cap - p->n);
        if (k <= 0) return false;
        p->n += (size_t)k;
    }
}

static void pty_send(Pty *p, const char *s)
{
    ssize_t k = write(p->master, s, strlen(s));
    assert_int_equal(k, (ssize_t)strlen(s));
}

/* Where needle is in what was written, or NULL. */
static const char *pty_find(const Pty *p, const char *needle, size_t nlen)
{
    for (size_t i = 0; p->out && i + nlen <= p->n; i++)
        if (memcmp(p->out + i, needle, nlen) == 0) return p->out + i;
    return NULL;
}

/* Page on through lesson 2 until its photo demo is drawn (the lessons may
 * move it; it starts on the page --page names). */
static bool pty_goto_photo(Pty *p)
{
    static const char demo[] = "live demo · svd";
    for (int i = 0; i < 8; i++) {
        if (pty_wait(p, demo, sizeof demo - 1, 2000)) return true;
        pty_send(p, "n");
    }
    return false;
}

/* Quit with q; the status must be 0 within a few seconds. */
static void pty_finish(Pty *p)
{
    pty_send(p, "q");
    int status = -1;
    for (int i = 0; i < 200; i++) {
        pty_wait(p, LIT("\001never\001"), 50); /* keep draining the output */
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) break;
    }
    if (waitpid(p->pid, &status, WNOHANG) == 0) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &status, 0);
        size_t from = p->n > 400 ? p->n - 400 : 0;
        print_message("last output: %.*s\n", (int)(p->n - from), p->out ? p->out + from : "");
        fail_msg("lorascope did not quit within 10 s of q");
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* What it wrote last, on the way out, may still wait in the pty. */
    pty_wait(p, LIT("\001never\001"), 500);
}

static void pty_free(Pty *p)
{
    close(p->master);
    free(p->out);
    sh("rm -rf '%s'", p->state);
}

static const char *const photo_args[] = {"--lesson", "2", "--page", "3", NULL};

/* A terminal that never answers: lorascope starts anyway, in text. */
static void test_pty_no_answer(void **state)
{
    (void)state;
    Pty p;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pty_start(&p, photo_args, 100, 50);
    assert_true(pty_wait(&p, LIT("\033_Gi=31"), 5000)); /* it asked */
    assert_true(pty_goto_photo(&p));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    print_message("started without an answer in %.0f ms\n",
                  (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
    assert_false(pty_wait(&p, LIT("\033P0;1;0q"), 300));
    assert_false(pty_wait(&p, LIT("\033_Ga=T"), 1));
    pty_finish(&p);
    pty_free(&p);
}

/* A sixel terminal (DA1 lists 4): the photo goes out as sixel. */
static void test_pty_sixel(void **state)
{
    (void)state;
    Pty p;
    pty_start(&p, photo_args, 100, 50);
    assert_true(pty_wait(&p, LIT("\033[c"), 5000));
    pty_send(&p, "\033[?62;4;22c");
    assert_true(pty_goto_photo(&p));
    assert_true(pty_wait(&p, LIT("\033P0;1;0q\"1;1;"), 5000));
    /* Sent at the cell size the terminal gave (10 × 20 pixels a cell). */
    const char *s = pty_find(&p, LIT("\033P0;1;0q\"1;1;"));
    int pw = 0, ph = 0;
    assert_int_equal(sscanf(s + 13, "%d;%d", &pw, &ph), 2);
    assert_int_equal(pw % 10, 0);
    assert_int_equal(ph % 20, 0);
    assert_true(pw >= 200);
    pty_finish(&p);
    pty_free(&p);
}

/* A kitty terminal: the photo goes out as kitty graphics. */
static void test_pty_kitty(void **state)
{
    (void)state;
    Pty p;
    pty_start(&p, photo_args, 100, 50);
    assert_true(pty_wait(&p, LIT("\033[c"), 5000));
    pty_send(&p, "\033_Gi=31;OK\033\\\033[?62;22c");
    assert_true(pty_goto_photo(&p));
    assert_true(pty_wait(&p, LIT("\033_Ga=T,f=24,s=256,v=256,"), 5000));
    const char *placed = pty_find(&p, LIT("\033_Ga=T,f=24,s=256,v=256,"));
    size_t at = (size_t)(placed - p.out);
    pty_finish(&p);
    /* On the way out the pictures are removed. */
    const char *last = NULL;
    for (size_t i = p.n; i-- > at;)
        if (memcmp(p.out + i, "\033_Ga=d,d=a,q=2\033\\", 16) == 0) {
            last = p.out + i;
            break;
        }
    assert_non_null(last);
    assert_true((size_t)(last - p.out) > at);
    pty_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tmux_fallback), cmocka_unit_test(test_tmux_bigger_pictures),
        cmocka_unit_test(test_pty_no_answer), cmocka_unit_test(test_pty_sixel),
        cmocka_unit_test(test_pty_kitty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
