/* app.c — the interface's state machine (see app.h). */
#include "app.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../demo/lab_keep.h"
#include "keys.h"
#include "utf8.h"
#include "vmem.h"
#include "wrap.h"

#ifndef LS_VERSION
#define LS_VERSION "?"
#endif

/* ---------------------------------------------------------------------------
 * Set-up */

void app_message(App *a, bool error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->message, sizeof a->message, fmt, ap);
    va_end(ap);
    a->message_is_error = error;
}

void app_notice(App *a, const char *title, const char *text)
{
    free(a->notice);
    a->notice = vmem_strdup(text);
    snprintf(a->notice_title, sizeof a->notice_title, "%s", title);
    a->overlay = OVERLAY_NOTICE;
}

static bool too_small(const App *a)
{
    return a->w < APP_MIN_W || a->h < APP_MIN_H;
}

/* Presentation mode keeps one row at the bottom for the page indicator. */
int app_view_rows(const App *a)
{
    return a->present ? a->h - 1 : a->h - 2;
}

static int view_top(const App *a)
{
    return a->present ? 0 : 1;
}

const Theme *app_theme(const App *a)
{
    return a->theme;
}

static const Lesson *cur_lesson(const App *a)
{
    return &a->lessons->lessons[a->lesson];
}

/* The progress to show and record: none in presentation mode, so a class
 * starts clean and the instructor's own answers and place are neither shown
 * nor changed by what happens at the front. */
static Progress *student_progress(const App *a)
{
    return a->present ? NULL : a->progress;
}

static void save_progress(App *a)
{
    if (!a->progress) return;
    Status st = {0};
    if (progress_save(a->progress, a->progress_path, &st) != LS_OK)
        app_message(a, true, "progress not saved: %s", st.msg);
}

static void render_page(App *a)
{
    if (!a->page_open || too_small(a)) return;
    PageEnv env = {&a->env, a->present, student_progress(a), a->keep};
    a->page.start_budget_ms = a->start_budget_ms;
    a->page.canvas.pixels = a->pixels;
    page_render(&a->page, a->w, &env);
}

static void clamp_scroll(App *a)
{
    int max = a->page_open ? a->page.height - app_view_rows(a) : 0;
    if (a->scroll > max) a->scroll = max;
    if (a->scroll < 0) a->scroll = 0;
}

void app_open_lesson(App *a, int i, int p)
{
    if (!a->lessons || a->lessons->n == 0) return;
    if (i < 0) i = 0;
    if (i >= a->lessons->n) i = a->lessons->n - 1;
    const Lesson *l = &a->lessons->lessons[i];
    Progress *prog = student_progress(a);
    if (p < 0) p = prog ? progress_page(prog, l->id) : 0;
    if (p >= l->n_pages) p = l->n_pages - 1;
    if (p < 0) p = 0;
    if (a->page_open) page_close(&a->page);
    a->lesson = i;
    a->toc_sel = i;
    page_open(&a->page, l, p);
    a->page_open = true;
    a->screen = SCREEN_PAGE;
    a->scroll = 0;
    a->match_row = -1;
    if (a->present) a->page.reveal = 0;
    render_page(a);
    if (prog) {
        Status st = {0};
        progress_set_current(prog, l->id, &st);
        progress_set_page(prog, l->id, p, &st);
        save_progress(a);
    }
}

/* Finished lab runs: saved beside the progress file; only for the session
 * without one, or in presentation mode (a class starts clean). */
static LabKeep *new_keep(const Progress *progress, const char *progress_path, bool present)
{
    char path[4096], dir[4200];
    const char *dir_or_null = NULL;
    if (progress && !present && !progress->read_only &&
        (progress_path ? snprintf(path, sizeof path, "%s", progress_path) < (int)sizeof path
                       : progress_default_path(path, sizeof path, NULL) == LS_OK) &&
        lab_keep_dir_for(dir, sizeof dir, path, NULL) == LS_OK)
        dir_or_null = dir;
    return lab_keep_new(dir_or_null);
}

void app_init(App *a, const LessonList *lessons, Progress *progress, const char *progress_path,
              ViewEnv env, const Theme *theme, bool present)
{
    memset(a, 0, sizeof *a);
    a->lessons = lessons;
    a->progress = progress;
    a->progress_path = progress_path;
    a->env = env;
    a->theme = theme ? theme : theme_table[0];
    a->w = APP_MIN_W;
    a->h = APP_MIN_H;
    a->match_row = -1;
    a->screen = SCREEN_TOC;
    a->keep = new_keep(progress, progress_path, present);
    /* Answers saved by position (version 1) move onto question keys; the
     * next save writes them so. */
    for (int i = 0; progress && lessons && i < lessons->n; i++) {
        Status st = {0};
        progress_migrate(progress, &lessons->lessons[i], &st);
    }
    /* Select the lesson open last. */
    const char *cur = progress ? progress_current(progress) : NULL;
    for (int i = 0; cur && lessons && i < lessons->n; i++)
        if (lessons->lessons[i].id && strcmp(lessons->lessons[i].id, cur) == 0) a->toc_sel = i;
    if (present && lessons && lessons->n > 0) {
        /* A class starts at the beginning (--lesson/--page choose another). */
        a->toc_sel = 0;
        a->present = true;
        a->theme_saved = a->theme;
        a->theme = theme_find("contrast");
        app_open_lesson(a, a->toc_sel, -1);
    }
}

void app_free(App *a)
{
    if (a->page_open) page_close(&a->page);
    a->page_open = false;
    lab_keep_delete(a->keep);
    a->keep = NULL;
    free(a->notice);
    a->notice = NULL;
}

void app_resize(App *a, int w, int h)
{
    a->w = w;
    a->h = h;
    render_page(a);
    clamp_scroll(a);
}

/* ---------------------------------------------------------------------------
 * Moving around */

static void scroll_to_row(App *a, int row, int below)
{
    int rows = app_view_rows(a);
    if (row < a->scroll) a->scroll = row - 1;
    else if (row + below >= a->scroll + rows) a->scroll = row + below - rows + 1;
    clamp_scroll(a);
}

/* Is the focused item a question (not a demo control)? */
static bool focus_is_question(const App *a)
{
    const PageView *pv = &a->page;
    return a->page_open && pv->focus >= 0 && !pv->blocks[pv->focus_items[pv->focus].block].view;
}

/* Keep the focused control in view. A question is shown whole when it fits,
 * else down to its end: its feedback (✗, hint, explanation) is at its end. */
static void show_focus(App *a)
{
    PageView *pv = &a->page;
    if (pv->focus < 0) return;
    if (!focus_is_question(a)) {
        scroll_to_row(a, page_focus_row(pv), 4);
        return;
    }
    const PageBlock *pb = &pv->blocks[pv->focus_items[pv->focus].block];
    int rows = app_view_rows(a);
    if (pb->y + pb->h > a->scroll + rows) a->scroll = pb->y + pb->h - rows;
    if (pb->y < a->scroll && pb->h <= rows) a->scroll = pb->y;
    clamp_scroll(a);
}

static int goto_page(App *a, int p, bool reveal_all)
{
    const Lesson *l = cur_lesson(a);
    if (p < 0 || p >= l->n_pages) return EV_HANDLED;
    if (a->page_open) page_close(&a->page);
    page_open(&a->page, l, p);
    a->page_open = true;
    a->scroll = 0;
    a->match_row = -1;
    if (a->present && !reveal_all) a->page.reveal = 0;
    render_page(a);
    if (a->present && reveal_all) a->scroll = a->page.height;
    clamp_scroll(a);
    Progress *prog = student_progress(a);
    if (prog) {
        Status st = {0};
        progress_set_page(prog, l->id, p, &st);
        progress_set_current(prog, l->id, &st);
        save_progress(a);
    }
    return EV_HANDLED | EV_REDRAW;
}

/* The open page counts as finished once the student turns past it (saved
 * with the page turn that follows: one write, not two). */
static void mark_done(App *a)
{
    Progress *prog = student_progress(a);
    if (!prog || !a->page_open) return;
    Status st = {0};
    progress_mark_done(prog, cur_lesson(a)->id, a->page.index, &st);
}

static int next_page(App *a)
{
    const Lesson *l = cur_lesson(a);
    mark_done(a);
    if (a->page.index + 1 < l->n_pages) return goto_page(a, a->page.index + 1, false);
    if (a->lesson + 1 < a->lessons->n) {
        app_open_lesson(a, a->lesson + 1, 0);
        return EV_HANDLED | EV_REDRAW;
    }
    if (student_progress(a)) save_progress(a);
    app_message(a, false, "This is the last page. t shows the contents.");
    return EV_HANDLED | EV_REDRAW;
}

static int prev_page(App *a, bool reveal_all)
{
    if (a->page.index > 0) return goto_page(a, a->page.index - 1, reveal_all);
    if (a->lesson > 0) {
        app_open_lesson(a, a->lesson - 1, cur_lesson(a)->n_pages);
        const Lesson *l = cur_lesson(a);
        return goto_page(a, l->n_pages - 1, true);
    }
    app_message(a, false, "This is the first page.");
    return EV_HANDLED | EV_REDRAW;
}

/* ---------------------------------------------------------------------------
 * Actions, one handler each (the key table says which key means what) */

typedef int (*ActionFn)(App *a);

static int act_quit(App *a)
{
    (void)a;
    return EV_QUIT;
}

static int act_help(App *a)
{
    a->overlay = OVERLAY_HELP;
    a->help_scroll = 0;
    return EV_HANDLED | EV_REDRAW;
}

static int scroll_by(App *a, int n)
{
    if (a->screen == SCREEN_TOC) {
        int n_l = a->lessons ? a->lessons->n : 0;
        a->toc_sel += n;
        if (a->toc_sel >= n_l) a->toc_sel = n_l - 1;
        if (a->toc_sel < 0) a->toc_sel = 0;
        return EV_HANDLED | EV_REDRAW;
    }
    a->scroll += n;
    clamp_scroll(a);
    return EV_HANDLED | EV_REDRAW;
}

static int act_scroll_up(App *a) { return scroll_by(a, -1); }
static int act_scroll_down(App *a) { return scroll_by(a, 1); }
static int act_screen_up(App *a) { return scroll_by(a, -(app_view_rows(a) - 2)); }
static int act_screen_down(App *a) { return scroll_by(a, app_view_rows(a) - 2); }
static int act_top(App *a) { return scroll_by(a, -1000000); }
static int act_bottom(App *a) { return scroll_by(a, 1000000); }

static int act_next_page(App *a)
{
    return a->screen == SCREEN_PAGE ? next_page(a) : 0;
}

static int act_prev_page(App *a)
{
    return a->screen == SCREEN_PAGE ? prev_page(a, false) : 0;
}

static int act_open(App *a)
{
    if (a->screen != SCREEN_TOC || !a->lessons || a->lessons->n == 0) return 0;
    app_open_lesson(a, a->toc_sel, -1);
    return EV_HANDLED | EV_REDRAW;
}

static int act_contents(App *a)
{
    if (a->screen != SCREEN_PAGE) return 0;
    if (a->page_open) page_close(&a->page);
    a->page_open = false;
    a->screen = SCREEN_TOC;
    a->toc_sel = a->lesson;
    return EV_HANDLED | EV_REDRAW;
}

static int act_focus(App *a, int dir)
{
    if (a->screen != SCREEN_PAGE) return 0;
    page_focus_step(&a->page, dir);
    render_page(a); /* the focus mark moved */
    if (a->page.focus < 0) app_message(a, false, "No widget has focus: arrows turn pages again.");
    else show_focus(a);
    return EV_HANDLED | EV_REDRAW;
}

static int act_focus_next(App *a) { return act_focus(a, +1); }
static int act_focus_prev(App *a) { return act_focus(a, -1); }

static int act_unfocus(App *a)
{
    if (a->screen != SCREEN_PAGE) return 0;
    /* Esc twice must not throw a student out of the lesson (as in less or
     * vim, Esc with nothing to cancel does nothing but say where to go). */
    if (a->page.focus < 0) {
        if (a->match_row >= 0) a->match_row = -1;
        else app_message(a, false, "Nothing to leave here: t or Backspace shows the contents, q quits.");
        return EV_HANDLED | EV_REDRAW;
    }
    page_focus_set(&a->page, -1);
    render_page(a);
    return EV_HANDLED | EV_REDRAW;
}

static int act_search(App *a)
{
    a->overlay = OVERLAY_SEARCH;
    a->search[0] = 0;
    return EV_HANDLED | EV_REDRAW;
}

static int search_run(App *a, int dir);
static int act_search_next(App *a) { return search_run(a, +1); }
static int act_search_prev(App *a) { return search_run(a, -1); }

static int act_present(App *a)
{
    if (!a->present) {
        a->present = true;
        a->theme_saved = a->theme;
        a->theme = theme_find("contrast");
        if (a->screen == SCREEN_TOC) {
            if (!a->lessons || a->lessons->n == 0) return EV_HANDLED | EV_REDRAW;
            app_open_lesson(a, a->toc_sel, -1);
        }
        /* Start the page over, one block at a time. */
        a->page.reveal = 0;
        page_focus_set(&a->page, -1);
        a->scroll = 0;
    } else {
        a->present = false;
        a->blank = false;
        if (a->theme_saved) a->theme = a->theme_saved;
        if (a->page_open) a->page.reveal = a->page.n_blocks;
    }
    render_page(a);
    clamp_scroll(a);
    return EV_HANDLED | EV_REDRAW;
}

/* Show a block just revealed. One that fits is shown down to its end; a
 * taller demo so that its controls are on screen (a projector at 80×24
 * must not hide the sliders the instructor is about to move); any other
 * tall block from its top. */
static void show_revealed(App *a, int bi)
{
    PageView *pv = &a->page;
    const PageBlock *pb = &pv->blocks[bi];
    int rows = app_view_rows(a);
    if (pb->h + 1 <= rows) {
        scroll_to_row(a, pb->y + pb->h, 0);
        return;
    }
    int lo = pb->y + pb->h, hi = -1;
    for (int k = 0; k < pv->n_focus; k++) {
        if (pv->focus_items[k].block != bi || !pb->view || !pb->ops->control_row) continue;
        int r = pb->ops->control_row(pb->view, pv->focus_items[k].control);
        if (r < pb->y || r >= pb->y + pb->h) continue;
        if (r < lo) lo = r;
        if (r > hi) hi = r;
    }
    int top = pb->y; /* the demo's header rule */
    if (hi >= 0 && hi + 2 > top + rows) top = hi + 2 - rows;
    if (hi >= 0 && top > lo) top = lo;
    a->scroll = top;
    clamp_scroll(a);
}

static int act_reveal_next(App *a)
{
    if (a->screen != SCREEN_PAGE) return 0;
    PageView *pv = &a->page;
    if (pv->reveal >= pv->n_blocks) {
        /* All shown: first let the student scroll to the end, then turn. */
        if (a->scroll + app_view_rows(a) < pv->height) return scroll_by(a, app_view_rows(a) - 2);
        return next_page(a);
    }
    pv->reveal++;
    render_page(a);
    show_revealed(a, pv->reveal - 1);
    return EV_HANDLED | EV_REDRAW;
}

static int act_reveal_prev(App *a)
{
    if (a->screen != SCREEN_PAGE) return 0;
    PageView *pv = &a->page;
    if (pv->reveal <= 0) return prev_page(a, true);
    pv->reveal--;
    render_page(a);
    clamp_scroll(a);
    if (pv->reveal > 0) scroll_to_row(a, page_block_bottom(pv, pv->reveal - 1), 0);
    return EV_HANDLED | EV_REDRAW;
}

static int act_blank(App *a)
{
    a->blank = true;
    return EV_HANDLED | EV_REDRAW;
}

static int act_theme(App *a)
{
    a->theme = theme_next(a->theme);
    app_message(a, false, "Theme: %s (%s)", a->theme->name, a->theme->summary);
    return EV_HANDLED | EV_REDRAW;
}

/* A digit starts (or continues) a page number; Enter goes there. */
static int act_jump(App *a)
{
    if (a->screen != SCREEN_PAGE || a->key < '0' || a->key > '9') return 0;
    size_t n = strlen(a->jump);
    if (n == 0 && a->key == '0') return EV_HANDLED;
    if (n + 1 < sizeof a->jump) {
        a->jump[n] = (char)a->key;
        a->jump[n + 1] = 0;
    }
    return EV_HANDLED | EV_REDRAW;
}

/* Keys while a page number is being typed: digits, Backspace, Enter, Esc. */
static int jump_key(App *a, int key)
{
    size_t n = strlen(a->jump);
    if (key >= '0' && key <= '9') {
        a->key = key;
        return act_jump(a);
    }
    if (key == VK_BACKSPACE) {
        a->jump[n - 1] = 0;
        return EV_HANDLED | EV_REDRAW;
    }
    int page = atoi(a->jump);
    a->jump[0] = 0;
    if (key != VK_ENTER) return EV_HANDLED | EV_REDRAW; /* Esc or any other key cancels */
    const Lesson *l = cur_lesson(a);
    if (page < 1 || page > l->n_pages) {
        app_message(a, true, "This lesson has pages 1 to %d.", l->n_pages);
        return EV_HANDLED | EV_REDRAW;
    }
    return goto_page(a, page - 1, false);
}

static int act_nothing(App *a)
{
    (void)a;
    return 0;
}

static const ActionFn action_fns[ACT_COUNT] = {
    [ACT_NONE] = act_nothing,
    [ACT_QUIT] = act_quit,
    [ACT_HELP] = act_help,
    [ACT_SCROLL_UP] = act_scroll_up,
    [ACT_SCROLL_DOWN] = act_scroll_down,
    [ACT_SCREEN_UP] = act_screen_up,
    [ACT_SCREEN_DOWN] = act_screen_down,
    [ACT_TOP] = act_top,
    [ACT_BOTTOM] = act_bottom,
    [ACT_NEXT_PAGE] = act_next_page,
    [ACT_PREV_PAGE] = act_prev_page,
    [ACT_OPEN] = act_open,
    [ACT_CONTENTS] = act_contents,
    [ACT_FOCUS_NEXT] = act_focus_next,
    [ACT_FOCUS_PREV] = act_focus_prev,
    [ACT_UNFOCUS] = act_unfocus,
    [ACT_DEC] = act_nothing,
    [ACT_INC] = act_nothing,
    [ACT_DEC_BIG] = act_nothing,
    [ACT_INC_BIG] = act_nothing,
    [ACT_MIN] = act_nothing,
    [ACT_MAX] = act_nothing,
    [ACT_ANSWER] = act_nothing,
    [ACT_HINT] = act_nothing,
    [ACT_SEARCH] = act_search,
    [ACT_SEARCH_NEXT] = act_search_next,
    [ACT_SEARCH_PREV] = act_search_prev,
    [ACT_PRESENT] = act_present,
    [ACT_REVEAL_NEXT] = act_reveal_next,
    [ACT_REVEAL_PREV] = act_reveal_prev,
    [ACT_BLANK] = act_blank,
    [ACT_THEME] = act_theme,
    [ACT_JUMP] = act_jump,
    [ACT_OPEN_FILE] = act_nothing, /* the focused lab's (dview_lab.c) */
    [ACT_RERUN_CELL] = act_nothing,
};

/* ---------------------------------------------------------------------------
 * Search */

static bool lesson_contains(const Lesson *l, const char *needle)
{
    size_t n = strlen(needle);
    const char *t = l->title ? l->title : "";
    for (const char *h = t; *h; h++)
        if (strncasecmp(h, needle, n) == 0) return true;
    for (int p = 0; p < l->n_pages; p++)
        if (page_text_contains(&l->pages[p], needle)) return true;
    return false;
}

/* The first (dir > 0) or last match in canvas rows [from, to). */
static bool find_in_canvas(App *a, int row, int col, int dir)
{
    const Grid *g = &a->page.canvas;
    const char *needle = a->last_search;
    if (dir > 0) {
        for (int y = row; y < g->h; y++) {
            int x = grid_row_find(g, y, needle, y == row ? col : 0);
            if (x >= 0) {
                a->match_row = y, a->match_col = x;
                return true;
            }
        }
    } else {
        for (int y = row; y >= 0; y--) {
            int best = -1, x = -1;
            while ((x = grid_row_find(g, y, needle, x + 1)) >= 0) {
                if (y == row && x >= col) break;
                best = x;
            }
            if (best >= 0) {
                a->match_row = y, a->match_col = best;
                return true;
            }
        }
    }
    return false;
}

static int search_run(App *a, int dir)
{
    if (!a->last_search[0]) {
        app_message(a, false, "Nothing to search for yet: press / first.");
        return EV_HANDLED | EV_REDRAW;
    }
    if (!a->lessons || a->lessons->n == 0) return EV_HANDLED;
    int n_l = a->lessons->n;
    if (a->screen == SCREEN_TOC) {
        for (int k = 1; k <= n_l; k++) {
            int i = ((a->toc_sel + dir * k) % n_l + n_l) % n_l;
            if (lesson_contains(&a->lessons->lessons[i], a->last_search)) {
                a->toc_sel = i;
                app_message(a, false, "'%s' is in lesson %d — Enter opens it, then * finds it",
                            a->last_search, i + 1);
                return EV_HANDLED | EV_REDRAW;
            }
        }
        app_message(a, true, "'%s' is in no lesson", a->last_search);
        return EV_HANDLED | EV_REDRAW;
    }
    /* On this page, after (or before) the current match or the top of the view. */
    int row = a->match_row >= 0 ? a->match_row : a->scroll;
    int col = a->match_row >= 0 ? a->match_col + (dir > 0 ? 1 : 0) : 0;
    if (a->match_row < 0 && dir < 0) row = a->scroll + app_view_rows(a) - 1, col = 1 << 20;
    if (find_in_canvas(a, row, col, dir)) {
        scroll_to_row(a, a->match_row, 0);
        return EV_HANDLED | EV_REDRAW;
    }
    /* Then the following pages through the whole course, round its end. */
    int total = 0;
    for (int i = 0; i < n_l; i++) total += a->lessons->lessons[i].n_pages;
    int li = a->lesson, pi = a->page.index, from = a->lesson;
    for (int k = 1; k <= total; k++) {
        pi += dir;
        while (pi < 0 || pi >= a->lessons->lessons[li].n_pages) {
            li = ((li + dir) % n_l + n_l) % n_l;
            pi = dir > 0 ? 0 : a->lessons->lessons[li].n_pages - 1;
        }
        const Lesson *o = &a->lessons->lessons[li];
        if (!page_text_contains(&o->pages[pi], a->last_search)) continue;
        if (li != a->lesson) app_open_lesson(a, li, pi);
        else if (pi != a->page.index) goto_page(a, pi, true);
        if (a->present) {
            a->page.reveal = a->page.n_blocks;
            render_page(a);
        }
        if (find_in_canvas(a, dir > 0 ? 0 : a->page.height - 1, dir > 0 ? 0 : 1 << 20, dir)) {
            scroll_to_row(a, a->match_row, 0);
            if (li == from) app_message(a, false, "'%s' found on page %d", a->last_search, pi + 1);
            else
                app_message(a, false, "'%s' found in lesson %d, page %d", a->last_search,
                            o->order < 1000 ? o->order : li + 1, pi + 1);
            return EV_HANDLED | EV_REDRAW;
        }
    }
    a->match_row = -1;
    app_message(a, true, "'%s' is in no lesson", a->last_search);
    return EV_HANDLED | EV_REDRAW;
}

static int search_key(App *a, int key)
{
    size_t n = strlen(a->search);
    if (key == VK_ESC) {
        a->overlay = OVERLAY_NONE;
        return EV_HANDLED | EV_REDRAW;
    }
    if (key == VK_ENTER) {
        a->overlay = OVERLAY_NONE;
        if (!a->search[0]) return EV_HANDLED | EV_REDRAW;
        snprintf(a->last_search, sizeof a->last_search, "%s", a->search);
        a->match_row = -1;
        return search_run(a, +1);
    }
    if (key == VK_BACKSPACE) {
        if (n == 0) a->overlay = OVERLAY_NONE;
        else {
            /* Drop one UTF-8 character. */
            do n--; while (n > 0 && ((unsigned char)a->search[n] & 0xC0) == 0x80);
            a->search[n] = 0;
        }
        return EV_HANDLED | EV_REDRAW;
    }
    if (key >= 32 && key < VK_BASE && key != 127) {
        char u[4];
        int k = utf8_encode((uint32_t)key, u);
        if (n + (size_t)k + 1 < sizeof a->search) {
            memcpy(a->search + n, u, (size_t)k);
            a->search[n + (size_t)k] = 0;
        }
        return EV_HANDLED | EV_REDRAW;
    }
    return EV_HANDLED;
}

/* ---------------------------------------------------------------------------
 * Keys */

static int after_page_input(App *a, int fl)
{
    PageView *pv = &a->page;
    if (pv->answer.pending && student_progress(a)) {
        Status st = {0};
        const Block *qb = lesson_question(cur_lesson(a), pv->answer.index);
        if (qb && qb->question.key)
            progress_record_answer(a->progress, cur_lesson(a)->id, qb->question.key, pv->answer.right, &st);
        save_progress(a);
    }
    pv->answer.pending = false;
    if (fl & (EV_REDRAW | EV_RELAYOUT)) {
        render_page(a);
        clamp_scroll(a);
        /* A question is shown whole; a demo keeps in view the row its
         * control names (a lab's path prompt or cell chooser). */
        if (focus_is_question(a) || (fl & EV_RELAYOUT)) show_focus(a);
    }
    return fl;
}

int app_key(App *a, int key)
{
    if (key == VK_RESIZE) return EV_REDRAW;
    if (too_small(a)) return (key == 'q' || key == VK_CTRL_C) ? EV_QUIT : EV_HANDLED;
    if (a->blank) {
        a->blank = false;
        return (key == 'q' || key == VK_CTRL_C) ? EV_QUIT : EV_HANDLED | EV_REDRAW;
    }
    bool had_message = a->message[0] != 0;
    a->message[0] = 0;
    if (a->overlay == OVERLAY_SEARCH) return search_key(a, key);
    if (a->overlay == OVERLAY_NOTICE) {
        if (key == VK_CTRL_C) return EV_QUIT;
        a->overlay = OVERLAY_NONE; /* any other key: read, go on */
        return EV_HANDLED | EV_REDRAW;
    }
    if (a->jump[0] && a->screen == SCREEN_PAGE) return jump_key(a, key);
    a->key = key;
    if (a->overlay == OVERLAY_HELP) {
        if (key == VK_DOWN || key == 'j') a->help_scroll++;
        else if (key == VK_UP || key == 'k') a->help_scroll = a->help_scroll > 0 ? a->help_scroll - 1 : 0;
        else if (key == VK_PGDN || key == ' ') a->help_scroll += a->h - 6;
        else if (key == VK_PGUP) a->help_scroll = a->help_scroll > a->h - 6 ? a->help_scroll - (a->h - 6) : 0;
        else if (key == VK_CTRL_C) return EV_QUIT;
        else a->overlay = OVERLAY_NONE;
        return EV_HANDLED | EV_REDRAW;
    }
    KeyCtx ctxs[3];
    int n = 0;
    if (a->screen == SCREEN_TOC) {
        ctxs[n++] = KCTX_TOC;
    } else {
        if (a->page.focus >= 0) {
            Action wact = keymap_lookup(key, (KeyCtx[]){KCTX_WIDGET}, 1);
            int fl = page_key(&a->page, key, wact);
            if (fl) return after_page_input(a, fl);
            ctxs[n++] = KCTX_WIDGET;
        }
        if (a->present) ctxs[n++] = KCTX_PRESENT;
        ctxs[n++] = KCTX_PAGE;
    }
    Action act = keymap_lookup(key, ctxs, n);
    int fl = action_fns[act](a);
    if (had_message && !(fl & EV_REDRAW)) fl |= EV_REDRAW;
    return fl;
}

/* ---------------------------------------------------------------------------
 * Work in the background */

bool app_busy(const App *a)
{
    if (a->screen != SCREEN_PAGE || !a->page_open) return false;
    if (!a->page.started && !too_small(a)) return true; /* demos still starting */
    for (int i = 0; i < a->page.n_blocks; i++) {
        const PageBlock *pb = &a->page.blocks[i];
        if (pb->view && pb->ops->busy && pb->ops->busy(pb->view)) return true;
    }
    return false;
}

int app_tick(App *a, double budget_ms)
{
    if (!app_busy(a)) return 0;
    if (!a->page.started) {
        /* Start the next few demos; lay the page out again only when one
         * of them shows (or moves what shows), or all have started. */
        a->page.start_budget_ms = a->start_budget_ms;
        int y = page_start_more(&a->page);
        /* Below the screen, with the screen where it was at the last
         * layout: nothing to show yet (a layout of many demos is costly). */
        if (!a->page.started && (y < 0 || y >= a->scroll + app_view_rows(a)) &&
            a->scroll == a->start_scroll)
            return 0;
        render_page(a);
        a->start_scroll = a->scroll;
        clamp_scroll(a);
        return EV_REDRAW;
    }
    int n = 0, fl = 0;
    for (int i = 0; i < a->page.n_blocks; i++) {
        const PageBlock *pb = &a->page.blocks[i];
        n += pb->view && pb->ops->busy && pb->ops->tick && pb->ops->busy(pb->view);
    }
    for (int i = 0; i < a->page.n_blocks && n > 0; i++) {
        PageBlock *pb = &a->page.blocks[i];
        if (pb->view && pb->ops->busy && pb->ops->tick && pb->ops->busy(pb->view))
            fl |= pb->ops->tick(pb->view, budget_ms / n);
    }
    if (fl & (EV_REDRAW | EV_RELAYOUT)) {
        render_page(a);
        clamp_scroll(a);
    }
    return fl;
}

/* ---------------------------------------------------------------------------
 * Mouse */

static bool open_lesson_link(App *a, const char *url)
{
    /* "02-svd.md" (optionally with a directory) opens that lesson. */
    const char *base = strrchr(url, '/');
    base = base ? base + 1 : url;
    size_t n = strlen(base);
    if (n < 4 || strcmp(base + n - 3, ".md") != 0) return false;
    for (int i = 0; a->lessons && i < a->lessons->n; i++) {
        const char *id = a->lessons->lessons[i].id;
        if (id && strlen(id) == n - 3 && strncmp(id, base, n - 3) == 0) {
            app_open_lesson(a, i, -1);
            return true;
        }
    }
    return false;
}

int app_mouse(App *a, const MouseEvent *ev)
{
    if (too_small(a)) return 0;
    if (a->blank) {
        a->blank = false;
        return EV_HANDLED | EV_REDRAW;
    }
    if (a->overlay == OVERLAY_NOTICE) {
        if (ev->kind == MOUSE_PRESS) a->overlay = OVERLAY_NONE;
        return EV_HANDLED | EV_REDRAW;
    }
    if (a->overlay == OVERLAY_HELP) {
        if (ev->kind == MOUSE_WHEEL_DOWN) a->help_scroll += 3;
        else if (ev->kind == MOUSE_WHEEL_UP) a->help_scroll = a->help_scroll > 3 ? a->help_scroll - 3 : 0;
        else if (ev->kind == MOUSE_PRESS) a->overlay = OVERLAY_NONE;
        return EV_HANDLED | EV_REDRAW;
    }
    if (ev->kind == MOUSE_WHEEL_UP) return scroll_by(a, a->screen == SCREEN_TOC ? -1 : -3);
    if (ev->kind == MOUSE_WHEEL_DOWN) return scroll_by(a, a->screen == SCREEN_TOC ? 1 : 3);
    /* Title-bar tabs. */
    if (ev->kind == MOUSE_PRESS)
        for (int i = 0; i < a->n_hits; i++)
            if (a->hits[i].y == ev->y && ev->x >= a->hits[i].x0 && ev->x < a->hits[i].x1) {
                if (a->hits[i].page == -2) return act_contents(a);
                if (a->screen == SCREEN_TOC) {
                    a->toc_sel = a->hits[i].page;
                    return act_open(a);
                }
                return goto_page(a, a->hits[i].page, true);
            }
    if (a->screen != SCREEN_PAGE) return 0;
    int top = view_top(a);
    if (ev->y < top || ev->y >= top + app_view_rows(a)) {
        if (ev->kind == MOUSE_RELEASE || ev->kind == MOUSE_DRAG) {
            MouseEvent pe = *ev;
            pe.y = ev->y - top + a->scroll;
            return after_page_input(a, page_mouse(&a->page, &pe));
        }
        return 0;
    }
    MouseEvent pe = *ev;
    pe.y = ev->y - top + a->scroll;
    int fl = page_mouse(&a->page, &pe);
    if (fl) return after_page_input(a, fl);
    if (ev->kind == MOUSE_PRESS) {
        const char *url = page_link_at(&a->page, pe.y, pe.x);
        if (url) {
            if (!open_lesson_link(a, url)) app_message(a, false, "link: %s", url);
            return EV_HANDLED | EV_REDRAW;
        }
        /* A click on plain text leaves any widget. */
        if (a->page.focus >= 0) return act_unfocus(a);
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * Drawing */

static void add_hit(App *a, int y, int x0, int x1, int page)
{
    if (a->n_hits < (int)(sizeof a->hits / sizeof a->hits[0])) a->hits[a->n_hits++] = (AppHit){y, x0, x1, page};
}

static void draw_bar(Grid *g, int y, Role r)
{
    grid_fill(g, (Rect){y, 0, 1, g->w}, NULL, r);
}

static void draw_too_small(App *a, Grid *g)
{
    const char *lines[4];
    char l0[96], l1[96];
    snprintf(l0, sizeof l0, "The terminal is %d×%d.", a->w, a->h);
    snprintf(l1, sizeof l1, "lorascope needs at least %d×%d.", APP_MIN_W, APP_MIN_H);
    lines[0] = l0;
    lines[1] = l1;
    lines[2] = "Enlarge the window or use a smaller font.";
    lines[3] = "q quits.";
    int y0 = a->h / 2 - 2;
    if (y0 < 0) y0 = 0;
    for (int i = 0; i < 4; i++) {
        int w = utf8_width(lines[i]);
        if (g->ascii) w = (int)strlen(lines[i]);
        int x = (a->w - w) / 2;
        grid_put(g, y0 + i, x < 0 ? 0 : x, lines[i], i < 2 ? ROLE_WARN : ROLE_TEXT, a->w);
    }
}

/* The last " · " in s, or NULL. */
static char *strrstr_dot(char *s)
{
    char *last = NULL;
    for (char *p = strstr(s, " · "); p; p = strstr(p + 1, " · ")) last = p;
    return last;
}

static void draw_status(App *a, Grid *g, const char *hint, bool keyed, const char *right)
{
    int y = a->h - 1;
    draw_bar(g, y, ROLE_BOTTOMBAR);
    int rw = right ? grid_text_width(g, right) : 0;
    if (a->overlay == OVERLAY_SEARCH) {
        int x = grid_put(g, y, 1, "Search: ", ROLE_BOTTOMBAR, -1) + 1;
        char *s = vmem_printf("%s_", a->search);
        x += grid_put(g, y, x, s, ROLE_PROMPT, a->w - x - 30);
        free(s);
        grid_put(g, y, x + 2, "Enter finds · Esc cancels", ROLE_BOTTOMBAR, -1);
        return;
    }
    if (a->jump[0]) {
        int x = 1 + grid_put(g, y, 1, "Go to page: ", ROLE_BOTTOMBAR, -1);
        char *s = vmem_printf("%s_", a->jump);
        x += grid_put(g, y, x, s, ROLE_PROMPT, -1);
        free(s);
        grid_put(g, y, x + 2, "Enter goes · Esc cancels", ROLE_BOTTOMBAR, a->w - rw - 3 - x);
    } else if (a->message[0]) {
        grid_put(g, y, 1, a->message, a->message_is_error ? ROLE_ERROR : ROLE_KEY, a->w - rw - 4);
    } else if (hint && !keyed) {
        int x = 1 + grid_put(g, y, 1, "Esc", ROLE_KEY, -1);
        x += grid_put(g, y, x, " leave   ", ROLE_BOTTOMBAR, -1);
        /* Too long: drop its last " · " parts, then words; never cut one. */
        int room = a->w - rw - 3 - x;
        char *h = vmem_strdup(hint);
        char *dot;
        while (grid_text_width(g, h) > room && (dot = strrstr_dot(h)) != NULL) *dot = 0;
        grid_put_words(g, y, x, h, ROLE_BOTTOMBAR, room);
        free(h);
    } else if (hint) {
        /* "key text · key text": keys in the key role. */
        int x = 1;
        const char *p = hint;
        bool key = true;
        while (*p && x < a->w - rw - 3) {
            const char *end = strstr(p, key ? " " : " · ");
            size_t len = end ? (size_t)(end - p) : strlen(p);
            if (key) { /* a key and its text fit whole, or neither is shown */
                const char *pair_end = strstr(p, " · ");
                char *pair = vmem_printf("%.*s", (int)(pair_end ? (size_t)(pair_end - p) : strlen(p)), p);
                bool fits = x + grid_text_width(g, pair) + 1 <= a->w - rw - 3;
                free(pair);
                if (!fits) break;
            }
            x += grid_putn(g, y, x, p, len, key ? ROLE_KEY : ROLE_BOTTOMBAR, a->w - rw - 3 - x);
            if (!end) break;
            if (key) {
                x += grid_put(g, y, x, " ", ROLE_BOTTOMBAR, 1);
                p = end + 1;
            } else {
                x += grid_put(g, y, x, "  ", ROLE_BOTTOMBAR, 2);
                p = end + 3;
            }
            key = !key;
        }
    }
    if (right) grid_put(g, y, a->w - rw - 1, right, ROLE_BOTTOMBAR, rw);
}

static void draw_toc(App *a, Grid *g)
{
    draw_bar(g, 0, ROLE_TOPBAR);
    grid_put(g, 0, 1, "lorascope — why low-rank adaptation works, with live numbers", ROLE_TOPBAR, a->w - 12);
    grid_put(g, 0, a->w - 8, "v" LS_VERSION, ROLE_TOPBAR, 8);
    int y = 2;
    grid_put(g, y++, 2, "Lessons", ROLE_TITLE, -1);
    grid_hline(g, y++, 2, 7, ROLE_TITLE);
    y++;
    int n = a->lessons ? a->lessons->n : 0;
    if (n == 0) {
        grid_put(g, y, 4, "No lessons found. Start with --lessons DIR to open a folder of lessons.", ROLE_WARN, a->w - 6);
    }
    int list_rows = a->h - y - 8;
    if (list_rows < 3) list_rows = 3;
    if (a->toc_sel < a->toc_scroll) a->toc_scroll = a->toc_sel;
    if (a->toc_sel >= a->toc_scroll + list_rows) a->toc_scroll = a->toc_sel - list_rows + 1;
    int title_w = a->w - 50;
    if (title_w < 20) title_w = 20;
    for (int i = a->toc_scroll; i < n && i < a->toc_scroll + list_rows; i++, y++) {
        const Lesson *l = &a->lessons->lessons[i];
        bool sel = i == a->toc_sel;
        const Progress *prog = student_progress(a);
        int answered = 0, right = 0;
        if (prog) progress_count(prog, l->id, &answered, &right);
        bool started = prog && progress_find(prog, l->id);
        int done = prog ? progress_done_count(prog, l->id, l->n_pages) : 0;
        int x = 2;
        grid_put(g, y, x, sel ? (a->env.ascii ? ">" : "▸") : " ", ROLE_FOCUS, 1);
        x += 2;
        char num[16];
        snprintf(num, sizeof num, "%2d ", l->order < 1000 ? l->order : i + 1);
        x += grid_put(g, y, x, num, ROLE_DIM, -1);
        int tw = grid_put(g, y, x, l->title ? l->title : l->id, sel ? ROLE_STRONG : ROLE_TEXT, title_w);
        if (l->n_diags) grid_put(g, y, x + tw + 1, a->env.ascii ? "(!)" : "⚠", ROLE_ERROR, 3);
        x += title_w + 2;
        /* Progress (none in presentation mode): pages finished, not the
         * page visited last. */
        if (prog) {
            int bw = 10;
            int filled = done * bw / (l->n_pages > 0 ? l->n_pages : 1);
            for (int k = 0; k < bw; k++)
                grid_put(g, y, x + k, k < filled ? (a->env.ascii ? "#" : "█") : (a->env.ascii ? "." : "░"),
                         k < filled ? ROLE_DONE : ROLE_TODO, 1);
            x += bw + 2;
            char info[64];
            if (!started) snprintf(info, sizeof info, "not started");
            else if (done == l->n_pages) snprintf(info, sizeof info, "finished");
            else snprintf(info, sizeof info, "%d/%d pages done", done, l->n_pages);
            grid_put(g, y, x, info, started ? ROLE_LABEL : ROLE_DIM, 16);
            x += 16; /* a column: the counts line up */
            if (l->n_questions) {
                snprintf(info, sizeof info, "  %d/%d right", right, l->n_questions);
                grid_put(g, y, x, info, right == l->n_questions ? ROLE_GOOD : ROLE_LABEL, a->w - x - 1);
            }
        }
        if (sel) grid_recolour(g, (Rect){y, 4, 1, title_w + 2}, ROLE_SELECTED);
        add_hit(a, y, 2, a->w - 2, i);
    }
    /* The selected lesson's pages. */
    if (n > 0) {
        const Lesson *l = &a->lessons->lessons[a->toc_sel];
        y = a->h - 6;
        grid_hline(g, y - 1, 2, a->w - 4, ROLE_RULE);
        int x = 2;
        x += grid_put(g, y, x, "Pages: ", ROLE_LABEL, -1);
        for (int p = 0; p < l->n_pages && y < a->h - 2; p++) {
            const char *t = l->pages[p].title && l->pages[p].title[0] ? l->pages[p].title : "Introduction";
            const Progress *prog = student_progress(a);
            bool fin = prog && progress_page_done(prog, l->id, p);
            char *item = vmem_printf("%d %s%s", p + 1, t, fin ? (a->env.ascii ? " (done)" : " ✓") : "");
            int w = grid_text_width(g, item);
            if (x + w + 3 > a->w - 2 && x > 9) {
                y++;
                x = 9;
            }
            if (y >= a->h - 2) {
                free(item);
                break;
            }
            x += grid_put(g, y, x, item, ROLE_TEXT, a->w - 2 - x);
            x += grid_put(g, y, x, p + 1 < l->n_pages ? " · " : "", ROLE_DIM, 3);
            free(item);
        }
        if (l->n_diags)
            grid_printf(g, a->h - 2, 2, ROLE_ERROR, a->w - 4, "%s this lesson has %d problem%s; they are listed on its pages.",
                        a->env.ascii ? "(!)" : "⚠", l->n_diags, l->n_diags == 1 ? "" : "s");
    }
    draw_status(a, g, "↑↓ choose · Enter open · / search · P present · T theme · ? keys · q quit", true, NULL);
}

static void draw_page(App *a, Grid *g)
{
    PageView *pv = &a->page;
    const Lesson *l = cur_lesson(a);
    int top = view_top(a), rows = app_view_rows(a);
    /* The page window. */
    grid_copy_rows(g, top, &pv->canvas, a->scroll, rows);
    /* Search matches in view. */
    if (a->last_search[0] && a->match_row >= 0) {
        int nl = a->env.ascii ? (int)strlen(a->last_search) : utf8_width(a->last_search);
        for (int y = 0; y < rows; y++) {
            int cy = a->scroll + y, x = -1;
            while ((x = grid_row_find(&pv->canvas, cy, a->last_search, x + 1)) >= 0) {
                bool cur = cy == a->match_row && x == a->match_col;
                grid_recolour(g, (Rect){top + y, x, 1, nl}, cur ? ROLE_SELECTED : ROLE_MATCH);
            }
        }
    }
    if (a->present) {
        /* The bottom row: where we are (dim, right), and a page number
         * being typed or a notice (left). */
        char where[64];
        snprintf(where, sizeof where, "lesson %d · page %d/%d", l->order < 1000 ? l->order : a->lesson + 1,
                 pv->index + 1, l->n_pages);
        int ww = grid_text_width(g, where);
        grid_put(g, a->h - 1, a->w - ww - 1, where, ROLE_DIM, ww);
        if (a->jump[0]) {
            char *s = vmem_printf("go to page %s_  (Enter)", a->jump);
            grid_put(g, a->h - 1, 1, s, ROLE_PROMPT, a->w - ww - 4);
            free(s);
        } else if (a->message[0]) {
            grid_put(g, a->h - 1, 1, a->message, a->message_is_error ? ROLE_ERROR : ROLE_DIM, a->w - ww - 4);
        }
        return;
    }
    /* Title bar: contents, lesson, page tabs, page title. */
    draw_bar(g, 0, ROLE_TOPBAR);
    int x = 1;
    const char *contents = a->env.ascii ? "< contents" : "‹ contents";
    int cw = grid_put(g, 0, x, contents, ROLE_TOPBAR, -1);
    add_hit(a, 0, x, x + cw, -2);
    x += cw;
    x += grid_put(g, 0, x, "  ", ROLE_TOPBAR, 2);
    char *head = vmem_printf("%d · %s", l->order < 1000 ? l->order : a->lesson + 1, l->title ? l->title : l->id);
    /* The tabs' real width (" 9 ", " 10 "); too many for the bar: "page n/N". */
    int tabs_w = 0;
    for (int p = 0; p < l->n_pages; p++) tabs_w += p + 1 < 10 ? 3 : p + 1 < 100 ? 4 : 5;
    bool tabs = l->n_pages <= 15 && tabs_w <= a->w - x - 16;
    if (!tabs) tabs_w = 12;
    x += grid_put_words(g, 0, x, head, ROLE_TOPBAR, a->w - x - tabs_w - 3);
    free(head);
    x += grid_put(g, 0, x, "  ", ROLE_TOPBAR, 2);
    if (tabs) {
        for (int p = 0; p < l->n_pages; p++) {
            char tab[16];
            snprintf(tab, sizeof tab, p == pv->index ? "[%d]" : " %d ", p + 1);
            int tw = grid_put(g, 0, x, tab, p == pv->index ? ROLE_KEY : ROLE_TOPBAR, -1);
            add_hit(a, 0, x, x + tw, p);
            x += tw;
        }
    } else {
        x += grid_printf(g, 0, x, ROLE_TOPBAR, -1, "page %d/%d", pv->index + 1, l->n_pages);
    }
    /* Status bar. */
    char right[48];
    int max = pv->height - rows;
    int pct = max <= 0 ? 100 : (int)(100L * a->scroll / max);
    snprintf(right, sizeof right, "page %d/%d · %d%%", pv->index + 1, l->n_pages, pct);
    const char *hint = page_focus_hint(pv);
    bool keyed = hint == NULL;
    if (hint) {
    } else if (a->last_search[0] && a->match_row >= 0) {
        hint = "* next match · # previous · / new search · n/p page · ? keys";
    } else {
        hint = pv->n_focus ? "n/p page · Tab widget · ↑↓ scroll · / search · t contents · ? keys · q quit"
                           : "n/p page · ↑↓ Space scroll · / search · t contents · ? keys · q quit";
    }
    draw_status(a, g, hint, keyed, right);
}

/* The help screen, generated from the key table. */
/* The notice, wrapped (a long path is broken between characters, never
 * cut), in a box as tall as it needs. */
static void draw_notice(App *a, Grid *g)
{
    int bw = a->w - 8 < 76 ? a->w - 8 : 76, tw = bw - 4;
    WrapSpan span = {a->notice ? a->notice : "", ROLE_TEXT};
    Wrap w = {0};
    wrap_spans(&w, &span, 1, tw);
    int bh = w.n_lines + 4;
    if (bh > a->h - 2) bh = a->h - 2;
    Rect box = {(a->h - bh) / 2, (a->w - bw) / 2, bh, bw};
    grid_fill(g, box, NULL, ROLE_TEXT);
    grid_box(g, box, ROLE_FRAME, a->notice_title, ROLE_TITLE);
    for (int i = 0; i < w.n_lines && i < bh - 4; i++) {
        char *line = wrap_line_text(&w, &span, i);
        grid_put(g, box.y + 1 + i, box.x + 2, line, ROLE_WARN, tw);
        free(line);
    }
    grid_put(g, box.y + bh - 2, box.x + 2, "Press any key to go on.", ROLE_DIM, tw);
    wrap_free(&w);
}

static void draw_help(App *a, Grid *g)
{
    Rect box = {1, 2, a->h - 2, a->w - 4};
    grid_fill(g, (Rect){1, 0, a->h - 2, a->w}, NULL, ROLE_TEXT); /* the margins too: no page shows through */
    grid_box(g, box, ROLE_FRAME, "Every key (↑↓ scroll · any other key closes)", ROLE_TITLE);
    /* Build the lines first, then show a window of them. */
    enum { MAX_LINES = 160 };
    char *lines[MAX_LINES];
    Role roles[MAX_LINES];
    int n = 0;
    for (int ctx = 0; ctx < KCTX_COUNT && n < MAX_LINES - 2; ctx++) {
        roles[n] = ROLE_HEADING;
        lines[n++] = vmem_strdup(keyctx_title((KeyCtx)ctx));
        for (int i = 0; keymap[i].action != ACT_NONE && n < MAX_LINES - 2; i++) {
            if ((int)keymap[i].ctx != ctx) continue;
            char keys[96] = "";
            size_t kl = 0;
            for (int k = 0; k < KEYMAP_MAX_KEYS && keymap[i].keys[k]; k++) {
                char nm[24];
                vk_name(keymap[i].keys[k], a->env.ascii, nm, (int)sizeof nm);
                kl += (size_t)snprintf(keys + kl, sizeof keys - kl, "%s%s", k ? " " : "", nm);
                if (kl >= sizeof keys) break;
            }
            int pad = 24 - utf8_width(keys);
            /* The description wraps under its own column (80 columns
             * leave it about 47). */
            int col = 2 + utf8_width(keys) + (pad > 0 ? pad : 1) + 1;
            WrapSpan span = {keymap[i].help, 0};
            Wrap w = {0};
            wrap_spans(&w, &span, 1, box.w - 4 - col > 12 ? box.w - 4 - col : 12);
            for (int l = 0; l < w.n_lines && n < MAX_LINES - 2; l++) {
                char *t = wrap_line_text(&w, &span, l);
                lines[n] = l == 0 ? vmem_printf("  %s%*s %s", keys, pad > 0 ? pad : 1, "", t)
                                  : vmem_printf("%*s%s", col, "", t);
                free(t);
                roles[n++] = ROLE_TEXT;
            }
            wrap_free(&w);
        }
        roles[n] = ROLE_TEXT;
        lines[n++] = vmem_strdup("");
    }
    static const char *const extra[] = {
        "Mouse",
        "  click or drag a slider, click a grid cell, a question's answer, a link or a page number",
        "  in the title bar; the wheel scrolls",
        "",
        "Start-up options",
        "  --lessons DIR        only the lessons in DIR",
        "  --add-lessons DIR    add the lessons in DIR to the course",
        "  --lesson N --page P  open lesson N at page P",
        "  --present            presentation mode, progress left alone",
        "  --theme NAME         dark, light or contrast",
        "  --graphics MODE      pictures: auto, sixel, kitty or text",
        "  --reset-progress     forget the saved progress",
        "  Progress is kept in $XDG_STATE_HOME/lorascope/progress.json.",
        "  NO_COLOR is honoured.",
    };
    for (size_t i = 0; i < sizeof extra / sizeof extra[0] && n < MAX_LINES; i++) {
        roles[n] = extra[i][0] && extra[i][0] != ' ' ? ROLE_HEADING : ROLE_TEXT;
        lines[n++] = vmem_strdup(extra[i]);
    }
    int rows = box.h - 2;
    if (a->help_scroll > n - rows) a->help_scroll = n - rows > 0 ? n - rows : 0;
    for (int i = 0; i < rows && a->help_scroll + i < n; i++)
        grid_put(g, box.y + 1 + i, box.x + 2, lines[a->help_scroll + i], roles[a->help_scroll + i], box.w - 4);
    for (int i = 0; i < n; i++) free(lines[i]);
}

void app_draw(App *a, Grid *g)
{
    if (g->w != a->w || g->h != a->h) grid_resize(g, a->w, a->h);
    g->ascii = a->env.ascii;
    grid_clear(g, ROLE_TEXT);
    a->n_hits = 0;
    if (too_small(a)) {
        draw_too_small(a, g);
        return;
    }
    if (a->blank) return;
    if (a->screen == SCREEN_PAGE && a->page_open) {
        if (a->page.width != a->w) render_page(a);
        clamp_scroll(a);
        draw_page(a, g);
    } else {
        draw_toc(a, g);
    }
    if (a->overlay == OVERLAY_HELP) {
        grid_drop_images(g); /* no picture over the help */
        draw_help(a, g);
    }
    if (a->overlay == OVERLAY_NOTICE) {
        grid_drop_images(g);
        draw_notice(a, g);
    }
    if (a->overlay == OVERLAY_SEARCH && a->present) draw_status(a, g, NULL, true, NULL);
}
