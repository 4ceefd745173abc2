/* term.h — the terminal: curses set-up and restore, colours, input, output.
 *
 * The only place (with ui_main.c) that includes curses. It turns the view
 * layer's Grid into screen cells (one refresh per loop turn; curses sends
 * only what changed), theme roles into colour pairs, and curses key codes
 * and mouse reports into the view layer's VK_* keys and MouseEvents.
 *
 * Restoring the terminal: term_close() is idempotent and runs on the normal
 * exit paths — q, and the loop noticing SIGINT/SIGTERM/SIGHUP (their
 * handlers only set a flag). The abnormal ones restore without freeing: an
 * atexit hook (a library calling exit(), as OpenBLAS does when it cannot
 * allocate) and a fatal-signal handler (SIGSEGV, SIGABRT …) that restores
 * before dying again — or, when the view layer ran out of memory (vmem.h),
 * says so and exits with status 1. While curses is on, stdout and stderr
 * are held in buffers so a library's message is shown after the restore
 * instead of being lost on the page. */
#ifndef LS_UI_TERM_H
#define LS_UI_TERM_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "../view/event.h"
#include "../view/gfx.h"
#include "../view/grid.h"
#include "../view/theme.h"
#include "../view/widgets.h"

typedef struct PairEntry {
    int fg, bg;
    int pair;      /* 0 = empty slot */
} PairEntry;

typedef struct Term {
    void *screen;          /* SCREEN * */
    FILE *out, *in;        /* what the screen writes to / reads from */
    bool own_files;        /* opened by term_open_offscreen */
    bool active;           /* curses is on: restore needed */
    bool holding_output;   /* stdout/stderr held back until restored */
    bool utf8;
    bool mouse;
    bool pressed;          /* button 1 is down (drags) */
    ColourMode colour;
    int ncolors, npairs;
    const Theme *theme;    /* the one role pairs were made for */
    int role_pair[ROLE_COUNT];
    unsigned long role_attr[ROLE_COUNT]; /* attr_t */
    PairEntry *cache;      /* explicit (fg, bg) -> pair, open addressing */
    int cache_size, next_pair, cache_used;
    GfxMode gfx;           /* how pictures are shown (GFX_TEXT: cells only) */
    unsigned long gfx_shown; /* pictures on screen now (0 = none) */
} Term;

/* Start curses on the controlling terminal. utf8: the locale is UTF-8;
 * no_color: NO_COLOR is set. Returns 0, or -1 with a message in err. */
int term_open(Term *t, bool utf8, bool no_color, bool mouse, char *err, int err_size);
/* An off-screen terminal of w × h writing to /dev/null (benchmarks). */
int term_open_offscreen(Term *t, int w, int h, const char *termname, char *err, int err_size);
/* Leave curses and put the terminal back as it was. Safe to call twice. */
void term_close(Term *t);

/* Ask the terminal on stdin/stdout, before term_open, whether it shows
 * pictures (gfx.h) and what its background is, waiting at most timeout_ms
 * for the answer: GFX_TEXT and *background -1 when it does not answer, or
 * not in time; else *background is 1 light, 0 dark, -1 not said. The
 * terminal modes are put back whatever happens. */
GfxMode term_detect_graphics(int timeout_ms, int *background);
/* Show the grids' pictures this way from the next term_emit on. */
void term_set_graphics(Term *t, GfxMode mode);

/* The size curses sees now. */
void term_size(const Term *t, int *w, int *h);
/* Draw g (theme gives the role colours) and refresh once. */
void term_emit(Term *t, const Grid *g, const Theme *theme);

enum { TERM_NONE, TERM_KEY, TERM_MOUSE };
/* Wait up to timeout_ms for input: TERM_KEY with *key (VK_* or a code
 * point), TERM_MOUSE with *ev, or TERM_NONE. */
int term_read(Term *t, int timeout_ms, int *key, MouseEvent *ev);

/* Signals: SIGINT/SIGTERM/SIGHUP set a flag term_signalled() returns;
 * fatal signals restore the terminal then die as they would have. */
void term_install_signals(Term *t);
int term_signalled(void);

#endif
