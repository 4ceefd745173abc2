/* pty_screen.c — a program in a pseudo-terminal, seen through libvterm
 * (see pty_screen.h). */
/* forkpty, putenv: the build defines _DEFAULT_SOURCE (ncursesw's flags). */
#include "pty_screen.h"

#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vterm.h>

#include "../base/clock.h"

/* The emulator's replies to the program's queries go back to the program. */
static void answer(const char *s, size_t len, void *user)
{
    PtyScreen *p = user;
    while (len > 0 && p->fd >= 0) {
        ssize_t n = write(p->fd, s, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        s += n;
        len -= (size_t)n;
    }
}

int pty_screen_spawn(PtyScreen *p, int w, int h, char *const argv[], char *const env[], Status *st)
{
    memset(p, 0, sizeof *p);
    p->fd = -1;
    if (w < 1 || h < 1 || w > 256 || h > 256) return status_fail(st, LS_ERR_ARG, "pty size %dx%d", w, h);
    p->w = w;
    p->h = h;
    p->vt = vterm_new(h, w);
    if (!p->vt) return status_fail(st, LS_ERR_NOMEM, "out of memory (terminal emulator)");
    vterm_set_utf8(p->vt, 1);
    vterm_output_set_callback(p->vt, answer, p);
    vterm_screen_reset(vterm_obtain_screen(p->vt), 1);
    struct winsize ws = {.ws_row = (unsigned short)h, .ws_col = (unsigned short)w};
    int fd;
    pid_t pid = forkpty(&fd, NULL, NULL, &ws);
    if (pid < 0) {
        vterm_free(p->vt);
        p->vt = NULL;
        return status_fail(st, LS_ERR_IO, "forkpty: %s", strerror(errno));
    }
    if (pid == 0) {
        for (int i = 0; env && env[i]; i++) putenv(env[i]);
        execv(argv[0], argv);
        _exit(127);
    }
    p->fd = fd;
    p->pid = pid;
    return LS_OK;
}

static void reap(PtyScreen *p, bool wait)
{
    if (p->pid <= 0) return;
    int status;
    struct rusage ru;
    pid_t r = wait4(p->pid, &status, wait ? 0 : WNOHANG, &ru);
    if (r == p->pid) {
        p->exit_status = status;
        p->cpu_s = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
                   1e-6 * (double)ru.ru_stime.tv_usec;
        p->pid = 0;
    }
}

int pty_screen_pump(PtyScreen *p, int timeout_ms)
{
    if (p->fd < 0) return -1;
    struct pollfd pf = {.fd = p->fd, .events = POLLIN};
    int got = 0;
    for (;;) {
        int r = poll(&pf, 1, got ? 0 : timeout_ms);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return got;
        char buf[8192];
        ssize_t n = read(p->fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            /* The program closed its side (Linux reports EIO): it ended. */
            close(p->fd);
            p->fd = -1;
            reap(p, true);
            return -1;
        }
        vterm_input_write(p->vt, buf, (size_t)n);
        got += (int)n;
    }
}

int pty_screen_send(PtyScreen *p, const char *bytes)
{
    size_t len = strlen(bytes);
    while (len > 0) {
        if (p->fd < 0) return -1;
        ssize_t n = write(p->fd, bytes, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        bytes += n;
        len -= (size_t)n;
    }
    return 0;
}

void pty_screen_text(const PtyScreen *p, PtyText *t)
{
    VTermScreen *vs = vterm_obtain_screen(p->vt);
    for (int y = 0; y < t->h; y++) {
        char *row = t->rows[y];
        size_t n = 0;
        if (y < p->h) {
            VTermRect r = {.start_row = y, .end_row = y + 1, .start_col = 0, .end_col = p->w};
            n = vterm_screen_get_text(vs, row, PTY_ROW_BYTES - 1, r);
        }
        while (n > 0 && row[n - 1] == ' ') n--;
        row[n] = 0;
    }
}

bool pty_screen_wait_text(PtyScreen *p, const char *text, int timeout_ms)
{
    PtyText t;
    if (pty_text_init(&t, p->h)) return false;
    double end = clock_now_s() + 1e-3 * timeout_ms;
    bool found = false;
    for (;;) {
        pty_screen_text(p, &t);
        found = pty_text_has(&t, text);
        double left = end - clock_now_s();
        if (found || left <= 0) break;
        if (pty_screen_pump(p, (int)(1e3 * left) + 1) < 0) {
            pty_screen_text(p, &t);
            found = pty_text_has(&t, text);
            break;
        }
    }
    pty_text_free(&t);
    return found;
}

void pty_screen_close(PtyScreen *p)
{
    if (p->pid > 0) {
        kill(p->pid, SIGTERM);
        for (int i = 0; i < 100 && p->pid > 0; i++) {
            if (p->fd >= 0) pty_screen_pump(p, 10);
            else nanosleep(&(struct timespec){0, 10000000}, NULL);
            reap(p, false);
        }
        if (p->pid > 0) kill(p->pid, SIGKILL);
        reap(p, true);
    }
    if (p->fd >= 0) close(p->fd);
    p->fd = -1;
    if (p->vt) vterm_free(p->vt);
    p->vt = NULL;
}

int pty_text_init(PtyText *t, int h)
{
    t->h = h;
    t->rows = calloc((size_t)(h > 0 ? h : 1), sizeof *t->rows);
    return t->rows ? 0 : -1;
}

void pty_text_free(PtyText *t)
{
    free(t->rows);
    t->rows = NULL;
    t->h = 0;
}

bool pty_text_has(const PtyText *t, const char *text)
{
    for (int y = 0; y < t->h; y++)
        if (strstr(t->rows[y], text)) return true;
    return false;
}

int pty_text_shifted(const PtyText *before, const PtyText *now, int dy)
{
    int n = 0, h = now->h < before->h ? now->h : before->h;
    for (int y = 0; y < h; y++) {
        int from = y + dy;
        if (from < 0 || from >= h || !now->rows[y][0]) continue;
        n += strcmp(now->rows[y], before->rows[from]) == 0 && strcmp(now->rows[y], before->rows[y]) != 0;
    }
    return n;
}
