/* test_tui_lessons34.c — end to end, lessons 3 and 4 in the real binary
 * driven through tmux: flip a bit of 0.1 and see its value change; type a
 * number; move the quantization bits slider and see the SNR and MSE change;
 * the ASCII fallback on the histogram. Private tmux socket
 * (lorascope-t34-PID), a fresh XDG_STATE_HOME, and polling capture-pane
 * until the expected text appears (the helpers are test_tui.c's). */
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

typedef struct Tui {
    char sock[64];
    char state[256];   /* XDG_STATE_HOME */
    char bin[1024];
    char root[1024];
} Tui;

/* ---------------------------------------------------------------------------
 * Helpers */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* Output of a shell command (malloc'd). */
static char *sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sh_out(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!p) {
        buf[0] = 0;
        return buf;
    }
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (n + 1 >= cap) buf = realloc(buf, cap *= 2);
    }
    buf[n] = 0;
    pclose(p);
    return buf;
}

static char *capture(const Tui *t)
{
    return sh_out("tmux -L %s capture-pane -p -t t 2>/dev/null", t->sock);
}

/* Poll the screen until `text` appears; returns the screen or NULL. */
static char *wait_for(const Tui *t, const char *text, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        char *s = capture(t);
        if (strstr(s, text)) return s;
        free(s);
        sleep_ms(50);
    }
    char *s = capture(t);
    print_message("--- waited %d ms for '%s'; the screen was:\n%s---\n", timeout_ms, text, s);
    free(s);
    return NULL;
}

static void keys(const Tui *t, const char *k)
{
    sh("tmux -L %s send-keys -t t %s", t->sock, k);
}

static bool have_tmux(void)
{
    return sh("tmux -V >/dev/null 2>&1") == 0;
}

/* Start lorascope with extra arguments in a w × h session. The pane writes
 * the program's pid to STATE/pid, and after it ends prints its status and
 * the terminal modes. */
static void start_env(Tui *t, const char *env, const char *args, int w, int h)
{
    snprintf(t->sock, sizeof t->sock, "lorascope-t34-%d", (int)getpid());
    const char *bin = getenv("LORASCOPE_BIN");
    snprintf(t->bin, sizeof t->bin, "%s", bin && *bin ? bin : "./lorascope");
    const char *root = getenv("LORASCOPE_ROOT");
    if (!root || !*root) {
        if (!getcwd(t->root, sizeof t->root)) snprintf(t->root, sizeof t->root, ".");
    } else {
        snprintf(t->root, sizeof t->root, "%s", root);
    }
    if (t->bin[0] != '/') {
        char abs[2100];
        snprintf(abs, sizeof abs, "%s/%s", t->root, t->bin);
        snprintf(t->bin, sizeof t->bin, "%.1000s", abs);
    }
    snprintf(t->state, sizeof t->state, "/tmp/lorascope-t34-XXXXXX");
    assert_non_null(mkdtemp(t->state));
    char script[512];
    snprintf(script, sizeof script, "%s/run.sh", t->state);
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fprintf(f,
            "trap true INT\n"
            "cd '%s'\n"
            "export XDG_STATE_HOME='%s' LORASCOPE_ROOT='%s' LANG=C.UTF-8 LC_ALL=C.UTF-8\n"
            "%s\n"
            "sh -c 'echo $$ > \"%s/pid\"; exec \"%s\" %s'\n"
            "echo __EXIT=$?\n"
            "stty -a | tr '\\n' ' '; echo; echo __DONE\n"
            "sleep 600\n",
            t->root, t->state, t->root, env, t->state, t->bin, args);
    fclose(f);
    /* A private configuration: 256 colours inside, nothing from ~/.tmux.conf. */
    char conf[512];
    snprintf(conf, sizeof conf, "%s/tmux.conf", t->state);
    f = fopen(conf, "w");
    assert_non_null(f);
    fputs("set -g default-terminal tmux-256color\nset -g escape-time 10\n", f);
    fclose(f);
    sh("tmux -L %s kill-server >/dev/null 2>&1", t->sock);
    int rc = sh("tmux -L %s -f '%s' new-session -d -s t -x %d -y %d 'sh %s' >/dev/null 2>&1",
                t->sock, conf, w, h, script);
    assert_int_equal(rc, 0);
}

static void start(Tui *t, const char *args, int w, int h)
{
    start_env(t, "", args, w, h);
}

static void stop(Tui *t)
{
    sh("tmux -L %s kill-server >/dev/null 2>&1", t->sock);
    sh("rm -rf '%s'", t->state);
}

/* After the program ended: its status and sane terminal modes. */
static void check_exit(const Tui *t, const char *status)
{
    char *s = wait_for(t, "__DONE", 5000);
    assert_non_null(s);
    char want[64];
    snprintf(want, sizeof want, "__EXIT=%s", status);
    if (!strstr(s, want)) print_message("expected %s in:\n%s\n", want, s);
    assert_non_null(strstr(s, want));
    /* stty -a lists "icanon" and "echo" when on, "-icanon" / "-echo" when off. */
    assert_null(strstr(s, "-icanon"));
    assert_null(strstr(s, " -echo "));
    assert_non_null(strstr(s, "icanon"));
    free(s);
}

/* The number after `label` on the screen (e.g. "energy captured "). */
static double number_after(const char *screen, const char *label)
{
    const char *p = strstr(screen, label);
    if (!p) return -1;
    return atof(p + strlen(label));
}


#define REQUIRE_TMUX()                                                                     \
    do {                                                                                   \
        if (!have_tmux()) fail_msg("tmux is not installed: the end-to-end tests need it "  \
                                   "(Debian: apt-get install tmux; make deps installs it)"); \
    } while (0)

/* Select, in the contents, the lesson one of whose page titles is
 * `page_title` (the contents list the selected lesson's pages), and open it. */
static void open_lesson(const Tui *t, const char *page_title)
{
    char *s = wait_for(t, "Lessons", 5000);
    assert_non_null(s);
    free(s);
    for (int i = 0; i < 12; i++) {
        s = capture(t);
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
    s = wait_for(&t, "bits per code:", 3000);
    assert_non_null(s);
    free(s);
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
    char *s = wait_for(&t, "Lessons", 5000);
    assert_non_null(s);
    free(s);
    open_lesson(&t, "From weights to integers");
    s = page_with(&t, "One outlier ruins it");
    assert_non_null(s);
    free(s);
    keys(&t, "Tab Tab Tab");
    s = wait_for(&t, "[tensor]", 3000);
    assert_non_null(s);
    free(s);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flip_a_bit),
        cmocka_unit_test(test_quant_bits_slider),
        cmocka_unit_test(test_ascii_80x24),
    };
    return cmocka_run_group_tests_name("tui lessons 3 and 4 (tmux end to end)", tests, NULL, NULL);
}
