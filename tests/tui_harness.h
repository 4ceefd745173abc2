/* tui_harness.h — drive the real lorascope binary in tmux from a test.
 *
 * Each test starts lorascope in a detached tmux session on a private socket
 * (tmux -L lorascope-test-PID), with XDG_STATE_HOME in a fresh temporary
 * folder, types with send-keys and reads the screen with capture-pane,
 * polling until the expected text appears (no fixed sleeps). After the
 * program ends, the same pane prints its exit status and runs `stty -a`, so
 * a test can check the terminal was put back (icanon and echo on).
 * Header-only (static inline) so each test program stays one file. */
#ifndef LS_TEST_TUI_HARNESS_H
#define LS_TEST_TUI_HARNESS_H

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
#include <cjson/cJSON.h>

typedef struct Tui {
    char sock[64];
    char state[256];   /* XDG_STATE_HOME */
    char bin[1024];
    char root[1024];
} Tui;

static inline void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static inline int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* Output of a shell command (malloc'd). */
static inline char *sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *sh_out(const char *fmt, ...)
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

static inline char *capture(const Tui *t)
{
    return sh_out("tmux -L %s capture-pane -p -t t 2>/dev/null", t->sock);
}

/* s with every run of spaces and newlines as one space (wrapped text). */
static inline char *flat(const char *s)
{
    char *out = malloc(strlen(s) + 1);
    size_t k = 0;
    for (const char *p = s; *p; p++) {
        bool space = *p == ' ' || *p == '\n';
        if (space && k > 0 && out[k - 1] == ' ') continue;
        out[k++] = space ? ' ' : *p;
    }
    out[k] = '\0';
    return out;
}

/* Poll the screen until `text` appears; returns the screen (flattened
 * when wrapped: text that may wrap) or NULL. */
static inline char *wait_for_text(const Tui *t, const char *text, int timeout_ms, bool wrapped)
{
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        char *s = capture(t);
        if (wrapped) {
            char *f = flat(s);
            free(s);
            s = f;
        }
        if (strstr(s, text)) return s;
        free(s);
        sleep_ms(50);
    }
    char *s = capture(t);
    print_message("--- waited %d ms for '%s'%s; the screen was:\n%s---\n", timeout_ms, text,
                  wrapped ? " (wrapped)" : "", s);
    free(s);
    return NULL;
}

static inline char *wait_for(const Tui *t, const char *text, int timeout_ms)
{
    return wait_for_text(t, text, timeout_ms, false);
}

static inline char *wait_flat(const Tui *t, const char *text, int timeout_ms)
{
    return wait_for_text(t, text, timeout_ms, true);
}

/* Fail the test unless `text` appears within timeout_ms (wait_for prints
 * the screen it saw). */
static inline void expect_text(const Tui *t, const char *text, int timeout_ms)
{
    char *s = wait_for(t, text, timeout_ms);
    assert_non_null(s);
    free(s);
}

static inline void keys(const Tui *t, const char *k)
{
    sh("tmux -L %s send-keys -t t %s", t->sock, k);
}

static inline bool have_tmux(void)
{
    return sh("tmux -V >/dev/null 2>&1") == 0;
}

/* Start lorascope with extra arguments in a w × h session. The pane writes
 * the program's pid to STATE/pid, and after it ends prints its status and
 * the terminal modes. */
static inline void start_env(Tui *t, const char *env, const char *args, int w, int h)
{
    snprintf(t->sock, sizeof t->sock, "lorascope-test-%d", (int)getpid());
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
    snprintf(t->state, sizeof t->state, "/tmp/lorascope-tui-XXXXXX");
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
    /* A server just killed (the last test's) may take a moment to go away. */
    int rc = 1;
    for (int i = 0; i < 50 && rc != 0; i++) {
        if (i) sleep_ms(100);
        rc = sh("tmux -L %s -f '%s' new-session -d -s t -x %d -y %d 'sh %s' >/dev/null 2>&1", t->sock, conf, w,
                h, script);
    }
    assert_int_equal(rc, 0);
}

static inline void start(Tui *t, const char *args, int w, int h)
{
    start_env(t, "", args, w, h);
}

/* Start the program again in the same state folder (the saved progress
 * and whatever else it keeps there), after it ended: a restart. */
static inline void restart(Tui *t, int w, int h)
{
    sh("tmux -L %s kill-server >/dev/null 2>&1", t->sock);
    sh("rm -f '%s/pid'", t->state);
    /* The old server may take a moment to go away. */
    int rc = 1;
    for (int i = 0; i < 50 && rc != 0; i++) {
        if (i) sleep_ms(100);
        rc = sh("tmux -L %s -f '%s/tmux.conf' new-session -d -s t -x %d -y %d 'sh %s/run.sh' >/dev/null 2>&1",
                t->sock, t->state, w, h, t->state);
    }
    assert_int_equal(rc, 0);
}

static inline void stop(Tui *t)
{
    sh("tmux -L %s kill-server >/dev/null 2>&1", t->sock);
    sh("rm -rf '%s'", t->state);
}

/* After the program ended: its status and sane terminal modes. */
static inline void check_exit(const Tui *t, const char *status)
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
    /* The cursor was made visible again (tmux's cursor_flag for the pane). */
    char *flag = sh_out("tmux -L %s display-message -p -t t '#{cursor_flag}' 2>/dev/null", t->sock);
    if (strncmp(flag, "1", 1) != 0) print_message("cursor_flag after exit: '%s'\n", flag);
    assert_int_equal(strncmp(flag, "1", 1), 0);
    free(flag);
}

/* The saved progress file is whole, valid JSON and remembers `lesson` on
 * page index `page` (as progress.c writes it). */
static inline void check_progress_intact(const Tui *t, const char *lesson, int page)
{
    char path[600];
    snprintf(path, sizeof path, "%s/lorascope/progress.json", t->state);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("no progress file at %s", path);
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cJSON *root = cJSON_Parse(buf);
    if (!root) fail_msg("progress file is not valid JSON:\n%s", buf);
    cJSON *lessons = cJSON_GetObjectItemCaseSensitive(root, "lessons");
    cJSON *entry = cJSON_GetObjectItemCaseSensitive(lessons, lesson);
    cJSON *p = cJSON_GetObjectItemCaseSensitive(entry, "page");
    if (!cJSON_IsNumber(p) || p->valueint != page)
        fail_msg("progress file does not have %s on page %d:\n%s", lesson, page, buf);
    cJSON_Delete(root);
}

static inline int pid_of(const Tui *t)
{
    char path[300];
    snprintf(path, sizeof path, "%s/pid", t->state);
    for (int i = 0; i < 100; i++) {
        FILE *f = fopen(path, "r");
        int pid = 0;
        if (f) {
            if (fscanf(f, "%d", &pid) != 1) pid = 0;
            fclose(f);
        }
        if (pid > 0) return pid;
        sleep_ms(50);
    }
    return 0;
}

/* The number after `label` on the screen (e.g. "energy captured "). */
static inline double number_after(const char *screen, const char *label)
{
    const char *p = strstr(screen, label);
    if (!p) return -1;
    return atof(p + strlen(label));
}

/* Page forward through the open lesson until the svd demo is on screen
 * (whatever page the lesson puts it on). */
static inline bool goto_svd_demo(const Tui *t)
{
    for (int i = 0; i < 10; i++) {
        char *s = capture(t);
        bool found = strstr(s, "live demo · svd") != NULL;
        free(s);
        if (found) return true;
        keys(t, "n");
        sleep_ms(150);
    }
    return false;
}

#define REQUIRE_TMUX()                                                                     \
    do {                                                                                   \
        if (!have_tmux()) fail_msg("tmux is not installed: the end-to-end tests need it "  \
                                   "(Debian: apt-get install tmux; make deps installs it)"); \
    } while (0)

#endif
