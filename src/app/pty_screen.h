/* pty_screen.h — a program run in a pseudo-terminal, its screen kept by a
 * terminal emulator (libvterm), for measuring what a person sees: the time
 * from a key to the screen showing its effect (`lorascope bench keys`).
 *
 * The program's output is read only when asked (pty_screen_pump), so the
 * screen is what it had drawn by the last pump. Its queries to the terminal
 * (device attributes and the like) are answered by the emulator. */
#ifndef LS_PTY_SCREEN_H
#define LS_PTY_SCREEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../base/status.h"

typedef struct PtyScreen {
    int fd;             /* the pty's master side; -1 when closed */
    pid_t pid;          /* the child; 0 once reaped */
    int w, h;           /* columns, rows */
    int exit_status;    /* as waitpid reports it, once reaped */
    double cpu_s;       /* the child's user + system CPU seconds, once reaped */
    struct VTerm *vt;   /* the emulator (owned) */
} PtyScreen;

/* The text of a screen: h rows of at most PTY_ROW_BYTES bytes each (UTF-8,
 * NUL-terminated, trailing blanks dropped). */
enum { PTY_ROW_BYTES = 4 * 256 + 1 };
typedef struct PtyText {
    int h;
    char (*rows)[PTY_ROW_BYTES]; /* h rows (owned) */
} PtyText;

/* Run argv[0] (a path) with argv in a w x h pty, with `env` ("NAME=value",
 * NULL-terminated, may be NULL) added to this process's environment. */
int pty_screen_spawn(PtyScreen *p, int w, int h, char *const argv[], char *const env[], Status *st);

/* Read what the program wrote within timeout_ms (0: only what is there) into
 * the screen. Returns the bytes read, or -1 once the program closed the pty
 * (then it is reaped: p->exit_status). */
int pty_screen_pump(PtyScreen *p, int timeout_ms);

/* Type these bytes (a key's sequence: "j", "\t", "\r", "\033"). 0 on success. */
int pty_screen_send(PtyScreen *p, const char *bytes);

/* The screen as text into t (t must come from pty_text_init with p->h rows). */
void pty_screen_text(const PtyScreen *p, PtyText *t);

/* Pump until `text` is on the screen or timeout_ms pass; true if it is. */
bool pty_screen_wait_text(PtyScreen *p, const char *text, int timeout_ms);

/* End the program (SIGTERM, then SIGKILL if it does not go within a
 * second), reap it and free the emulator. Safe on a closed screen. */
void pty_screen_close(PtyScreen *p);

int pty_text_init(PtyText *t, int h);
void pty_text_free(PtyText *t);
/* Whether text occurs anywhere on the screen t. */
bool pty_text_has(const PtyText *t, const char *text);

/* How many rows of `now` show `before`'s rows moved up by `dy` rows (the page
 * scrolled down dy lines; dy < 0: moved down): rows y with now[y] ==
 * before[y + dy], not blank, and changed (now[y] != before[y]). Text the
 * program redraws in place (a progress line) never counts; lesson text
 * that scrolled does, so a few such rows mean the page visibly moved. */
int pty_text_shifted(const PtyText *before, const PtyText *now, int dy);

#endif
