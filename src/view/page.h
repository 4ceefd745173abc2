/* page.h — one lesson page laid out into a tall canvas.
 *
 * The page's blocks (headings, wrapped paragraphs with emphasis, inline and
 * block code, lists, quotes, rules, live demos and questions) are drawn one
 * under another into a Grid as wide as the screen and as tall as the page.
 * The screen then shows a window of it (scrolling is a copy of rows). The
 * page owns its demo views, so sliders keep their values while the lesson
 * is open, and it knows which controls can take focus, in page order.
 *
 * Layout happens on open, on resize, and whenever a block's height may
 * have changed; it is cheap (text wrapping of a few dozen blocks), so the
 * whole canvas is redrawn after every change — there is no partial update
 * to get wrong. No curses here. */
#ifndef LS_VIEW_PAGE_H
#define LS_VIEW_PAGE_H

#include <stdbool.h>

#include "../lesson/lesson.h"
#include "../lesson/progress.h"
#include "dview.h"
#include "event.h"
#include "grid.h"
#include "keys.h"
#include "widgets.h"

typedef struct QuestionState {
    int chosen;        /* choice picked this session, -1 = none */
    bool answered;     /* answered this session */
    bool right;
    bool typing;       /* entering a number */
    bool not_number;   /* the last entry was not a number */
    bool hint_shown;   /* the student asked for the hint */
    char buf[32];
} QuestionState;

typedef struct PageBlock {
    int y, h;                  /* canvas rows, after layout */
    const DemoViewOps *ops;    /* demo blocks that started */
    void *view;
    char *error;               /* why a demo could not start */
    QuestionState q;
} PageBlock;

typedef struct FocusItem {
    int block;
    int control;               /* demo control, 0 for a question */
} FocusItem;

/* An answer given on this page, for the caller to record. */
typedef struct AnswerEvent {
    bool pending;
    int index;                 /* Question.index */
    bool right;
} AnswerEvent;

/* A link drawn on the canvas, for clicks. */
typedef struct PageLink {
    int y, x0, x1;             /* row and columns [x0, x1) */
    const char *url;           /* borrowed from the lesson */
} PageLink;

typedef struct PageView {
    const Lesson *lesson;
    int index;                 /* page number in the lesson */
    PageBlock *blocks;         /* (page->n_blocks) */
    int n_blocks;
    Grid canvas;               /* (height, width) */
    int width, height;         /* laid out at width; content rows */
    FocusItem *focus_items;
    int n_focus;
    int focus;                 /* index into focus_items, -1 = none */
    int reveal;                /* presentation: blocks shown (n_blocks = all) */
    int capture;               /* focus item a mouse drag holds, -1 = none */
    AnswerEvent answer;
    bool started;              /* every demo created (or failed) */
    int next_start;            /* blocks before it have had their demo started */
    /* Demo set-up per render, in ms (the caller's to set): a page with many
     * heavy demos starts them a few at a time, the loop polling keys in
     * between (0: all at once, as tests and benches want). */
    double start_budget_ms;
    PageLink *links;
    int n_links, cap_links;
    struct LabKeep *keep;      /* borrowed: given to demos as they start */
} PageView;

typedef struct PageEnv {
    const ViewEnv *view;
    bool present;              /* presentation: bigger margins, reveal */
    const Progress *progress;  /* answers from earlier sessions (may be NULL) */
    struct LabKeep *keep;      /* the session's kept lab runs (may be NULL) */
} PageEnv;

/* Open page `index` of lesson l (no layout yet). */
void page_open(PageView *pv, const Lesson *l, int index);
void page_close(PageView *pv);
/* Lay out and draw the canvas at `width`. Starts demos on first use
 * (within pv->start_budget_ms; demos not yet started show as such). */
void page_render(PageView *pv, int width, const PageEnv *env);

/* Start more demos of a page still starting them (within
 * pv->start_budget_ms) without laying it out: the canvas row where the
 * first one started sits (as last laid out), or -1 when none did. The
 * caller lays the page out again when that row is on screen or above it. */
int page_start_more(PageView *pv);

/* Keys for the focused control or question (raw key + its action in the
 * widget context). Returns EV_* flags; 0 = not handled. */
int page_key(PageView *pv, int key, Action act);
/* Mouse in canvas coordinates (y already includes the scroll). */
int page_mouse(PageView *pv, const MouseEvent *ev);

/* Focus: next / previous control (wraps through "none"); -1 clears. */
void page_focus_step(PageView *pv, int dir);
void page_focus_set(PageView *pv, int item);
/* The canvas row the focused control sits on (-1 = none). */
int page_focus_row(const PageView *pv);
/* The status-bar hint for the focused control, or NULL. */
const char *page_focus_hint(const PageView *pv);

/* Presentation: number of blocks, and the canvas row just below block i. */
int page_block_bottom(const PageView *pv, int i);

/* The link URL at canvas (y, x), or NULL. */
const char *page_link_at(const PageView *pv, int y, int x);

/* Does this page's text (any block, in the lesson model) contain needle
 * (ASCII case-insensitive)? */
bool page_text_contains(const Page *p, const char *needle);

#endif
