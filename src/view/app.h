/* app.h — the whole interface as a state machine, without a terminal.
 *
 * The App holds what the student sees: the table of contents or a lesson
 * page, the help and search overlays, presentation mode, the theme, the
 * scroll position and focus. src/ui feeds it keys (already translated to
 * VK_* codes), mouse events and the terminal size, and asks it to draw into
 * a Grid, which it then emits. Every handler returns EV_* flags, and the
 * loop redraws once per turn when one asked for it. Progress (page, answers)
 * is recorded through src/lesson/progress.h and saved at once, atomically.
 *
 * Because nothing here touches the terminal, the tests drive an App with
 * keys and read its Grid. */
#ifndef LS_VIEW_APP_H
#define LS_VIEW_APP_H

#include <stdbool.h>

#include "../lesson/lesson.h"
#include "../lesson/progress.h"
#include "event.h"
#include "grid.h"
#include "page.h"
#include "theme.h"
#include "widgets.h"

/* The smallest terminal the interface lays out for. */
enum { APP_MIN_W = 80, APP_MIN_H = 24 };

typedef enum AppScreen { SCREEN_TOC, SCREEN_PAGE } AppScreen;
typedef enum AppOverlay { OVERLAY_NONE, OVERLAY_HELP, OVERLAY_SEARCH, OVERLAY_NOTICE } AppOverlay;

/* A clickable place on the screen (page tabs in the title bar). */
typedef struct AppHit {
    int y, x0, x1;
    int page;                  /* page to open */
} AppHit;

typedef struct App {
    const LessonList *lessons; /* borrowed */
    Progress *progress;        /* borrowed, may be NULL */
    const char *progress_path; /* NULL = the default file */
    ViewEnv env;
    const Theme *theme;        /* the chosen theme */
    const Theme *theme_saved;  /* the theme before presentation mode */
    int w, h;
    AppScreen screen;
    AppOverlay overlay;
    int toc_sel, toc_scroll;
    int lesson;                /* open lesson */
    PageView page;
    bool page_open;
    int scroll;                /* first canvas row shown */
    bool present, blank;
    bool pixels;               /* the terminal shows real pictures (gfx.h) */
    int help_scroll;
    char search[64];           /* being typed */
    char last_search[64];
    int match_row, match_col;  /* current match on the canvas, -1 = none */
    char jump[8];              /* page number being typed (digits, then Enter) */
    int key;                   /* the key being handled (for ACT_JUMP) */
    char message[256];         /* one-line notice in the status bar */
    bool message_is_error;
    char *notice;              /* OVERLAY_NOTICE's text (malloc'd), or NULL */
    char notice_title[64];
    AppHit hits[40];
    int n_hits;
    struct LabKeep *keep;      /* finished lab runs (owned; lab_keep.h) */
    double start_budget_ms;    /* demo set-up per render (PageView); 0 = all at once */
    int start_scroll;          /* scroll at the last layout while demos start */
} App;

/* Start on the contents, or (present) in presentation mode on the lesson
 * the progress says was open last. theme may be NULL (dark). */
void app_init(App *a, const LessonList *lessons, Progress *progress, const char *progress_path,
              ViewEnv env, const Theme *theme, bool present);
void app_free(App *a);
/* A notice for the status bar (one line, cut at the width). */
void app_message(App *a, bool error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A notice the student must read before going on (the progress file could
 * not be used, say): a box over the screen with the whole text wrapped to
 * the width, never cut, until a key is pressed. */
void app_notice(App *a, const char *title, const char *text);

void app_resize(App *a, int w, int h);
int app_key(App *a, int key);
int app_mouse(App *a, const MouseEvent *ev);
/* Draw everything into g (resized to the app's size). */
void app_draw(App *a, Grid *g);
/* The theme to colour with right now. */
const Theme *app_theme(const App *a);
/* Open lesson i at page p (p < 0: where the progress says). */
void app_open_lesson(App *a, int i, int p);
/* Rows the page area has. */
int app_view_rows(const App *a);

/* Work in the background (a demo training a model): app_busy is true while
 * a demo on the open page has work running; the loop then polls input
 * without waiting and calls app_tick between polls, which gives each busy
 * demo about budget_ms of work and returns EV_* flags (redraw when a demo
 * has something new to show). */
bool app_busy(const App *a);
int app_tick(App *a, double budget_ms);
/* How long a page may spend starting its demos between two key polls (the
 * lab's training ticks get UI_TICK_MS, see src/ui/ui_main.c). */
enum { APP_TICK_MS = 40 };

#endif
