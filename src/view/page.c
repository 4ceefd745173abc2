/* page.c — laying out one lesson page into a canvas (see page.h). */
#include "page.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "utf8.h"
#include "vmem.h"
#include "wrap.h"

/* Drawing helpers that only count when g is NULL (the measuring pass). */
#define PUT(g, y, x, s, r, w) ((g) ? grid_put((g), (y), (x), (s), (r), (w)) : utf8_width(s))

/* ---------------------------------------------------------------------------
 * Wrapped text */

typedef struct TextLayout {
    WrapSpan *ws;
    const char **urls; /* per span, for links (may be NULL entries) */
    char **owned;   /* ASCII spellings, freed with the layout */
    int n;
    Wrap wrap;
} TextLayout;

static Role span_role(int style, Role base)
{
    if (style & SPAN_CODE) return ROLE_CODE;
    if (style & SPAN_LINK) return ROLE_LINK;
    if (style & SPAN_STRONG) return base == ROLE_HEADING || base == ROLE_TITLE ? base : ROLE_STRONG;
    if (style & SPAN_EMPH) return base == ROLE_HEADING || base == ROLE_TITLE ? base : ROLE_EMPH;
    return base;
}

static void layout_text(TextLayout *t, const WrapSpan *in, int n, bool ascii, int width)
{
    memset(t, 0, sizeof *t);
    t->n = n;
    t->ws = vmem_array((size_t)(n ? n : 1), sizeof *t->ws);
    t->owned = vmem_array((size_t)(n ? n : 1), sizeof *t->owned);
    for (int i = 0; i < n; i++) {
        t->ws[i] = in[i];
        if (ascii && in[i].text) {
            t->owned[i] = utf8_to_ascii(in[i].text);
            t->ws[i].text = t->owned[i];
        }
    }
    wrap_spans(&t->wrap, t->ws, n, width < 1 ? 1 : width);
}

static void layout_spans(TextLayout *t, const Span *spans, int n, Role base, bool ascii, int width)
{
    WrapSpan *ws = vmem_array((size_t)(n ? n : 1), sizeof *ws);
    for (int i = 0; i < n; i++) ws[i] = (WrapSpan){spans[i].text, (int)span_role(spans[i].style, base)};
    layout_text(t, ws, n, ascii, width);
    free(ws);
    t->urls = vmem_array((size_t)(n ? n : 1), sizeof *t->urls);
    for (int i = 0; i < n; i++) t->urls[i] = (spans[i].style & SPAN_LINK) ? spans[i].url : NULL;
}

static void layout_string(TextLayout *t, const char *s, Role role, bool ascii, int width)
{
    WrapSpan w = {s ? s : "", (int)role};
    layout_text(t, &w, 1, ascii, width);
}

static void text_free(TextLayout *t)
{
    free(t->urls);
    for (int i = 0; i < t->n; i++) free(t->owned[i]);
    free(t->owned);
    free(t->ws);
    wrap_free(&t->wrap);
}

static void add_link(PageView *pv, int y, int x0, int x1, const char *url)
{
    if (!pv || !url) return;
    if (pv->n_links == pv->cap_links) {
        pv->cap_links = pv->cap_links ? 2 * pv->cap_links : 8;
        pv->links = vmem_realloc(pv->links, (size_t)pv->cap_links * sizeof *pv->links);
    }
    pv->links[pv->n_links++] = (PageLink){y, x0, x1, url};
}

/* Draw line i of t at (y, x); links are recorded in pv (may be NULL). */
static void text_draw_line_links(Grid *g, const TextLayout *t, int i, int y, int x, PageView *pv)
{
    if (!g) return;
    const WrapLine *ln = &t->wrap.lines[i];
    for (int k = 0; k < ln->n; k++) {
        const WrapSeg *sg = &t->wrap.segs[ln->first + k];
        if (sg->span < 0) {
            x += grid_put(g, y, x, " ", ROLE_TEXT, 1);
            continue;
        }
        const WrapSpan *sp = &t->ws[sg->span];
        int used = grid_putn(g, y, x, sp->text + sg->off, (size_t)sg->len, (Role)sp->role, -1);
        if (t->urls && t->urls[sg->span]) add_link(pv, y, x, x + used, t->urls[sg->span]);
        x += used;
    }
}

static void text_draw_line(Grid *g, const TextLayout *t, int i, int y, int x)
{
    text_draw_line_links(g, t, i, y, x, NULL);
}

/* Draw all lines; returns the row count. */
static int text_draw(Grid *g, const TextLayout *t, int y, int x)
{
    for (int i = 0; i < t->wrap.n_lines; i++) text_draw_line(g, t, i, y + i, x);
    return t->wrap.n_lines;
}

/* Wrap and draw a plain string; returns rows. */
static int draw_string(Grid *g, int y, int x, int w, const char *s, Role r, bool ascii)
{
    TextLayout t;
    layout_string(&t, s, r, ascii, w);
    int n = text_draw(g, &t, y, x);
    text_free(&t);
    return n;
}

/* ---------------------------------------------------------------------------
 * Geometry */

typedef struct Geo {
    int left, text_w;   /* text column and width */
    int wide_w;         /* demos and code: wider */
} Geo;

static Geo geometry(int width, bool present)
{
    Geo g;
    if (present) {
        g.text_w = width - 8 > 96 ? 96 : width - 8;
        g.left = (width - g.text_w) / 2;
        g.wide_w = width - 2 * g.left;
    } else {
        g.left = 2;
        g.text_w = width - 4 > 100 ? 100 : width - 4;
        g.wide_w = width - 4;
    }
    if (g.text_w < 10) g.text_w = 10;
    if (g.wide_w < g.text_w) g.wide_w = g.text_w;
    return g;
}

static const char *file_base(const char *path)
{
    const char *s = strrchr(path ? path : "", '/');
    return s ? s + 1 : (path ? path : "");
}

/* ---------------------------------------------------------------------------
 * Diagnostics: those whose line falls on this page (line 0 on page 0). */

static bool diag_on_page(const Lesson *l, int index, const Diagnostic *d)
{
    int start = l->pages[index].line;
    int end = index + 1 < l->n_pages ? l->pages[index + 1].line : 1 << 30;
    if (index == 0 && d->line < end) return true;
    return d->line >= start && d->line < end;
}

/* Diagnostics between block lines [lo, hi). */
static int draw_block_diags(Grid *g, int y, int x, int w, const Lesson *l, int lo, int hi, bool ascii)
{
    int rows = 0;
    for (int i = 0; i < l->n_diags; i++) {
        const Diagnostic *d = &l->diags[i];
        if (d->line < lo || d->line >= hi) continue;
        char *msg = vmem_printf("%s:%d: %s", file_base(l->path), d->line, d->message);
        rows += draw_string(g, y + rows, x, w, msg, ROLE_ERROR, ascii);
        free(msg);
    }
    return rows;
}

static int draw_page_diags(Grid *g, int y, const Geo *geo, const PageView *pv, bool ascii)
{
    const Lesson *l = pv->lesson;
    int n = 0;
    for (int i = 0; i < l->n_diags; i++) n += diag_on_page(l, pv->index, &l->diags[i]);
    if (n == 0) return 0;
    int rows = 0;
    char *head = vmem_printf("%s %s has %d problem%s here (the rest of the lesson still works):",
                             ascii ? "!" : "⚠", file_base(l->path), n, n == 1 ? "" : "s");
    rows += draw_string(g, y + rows, geo->left, geo->text_w, head, ROLE_ERROR, ascii);
    free(head);
    for (int i = 0; i < l->n_diags; i++) {
        const Diagnostic *d = &l->diags[i];
        if (!diag_on_page(l, pv->index, d)) continue;
        char *msg = d->line > 0 ? vmem_printf("%s:%d: %s", file_base(l->path), d->line, d->message)
                                : vmem_printf("%s: %s", file_base(l->path), d->message);
        rows += draw_string(g, y + rows, geo->left + 2, geo->text_w - 2, msg, ROLE_WARN, ascii);
        free(msg);
    }
    return rows + 1;
}

/* ---------------------------------------------------------------------------
 * Blocks */

typedef struct DrawCtx {
    PageView *pv;
    const PageEnv *env;
    Geo geo;
    bool ascii;
} DrawCtx;

static int quote_prefix(Grid *g, int y, int x, int depth, bool ascii)
{
    for (int q = 0; q < depth; q++) PUT(g, y, x + 2 * q, ascii ? "|" : "│", ROLE_QUOTE, 1);
    return 2 * depth;
}

static int draw_text_block(Grid *g, int y, const DrawCtx *c, const Block *b)
{
    int indent = 2 * b->indent;
    int qw = 2 * b->quote;
    int x = c->geo.left + qw + indent;
    int w = c->geo.text_w - qw - indent;
    Role base = b->quote ? ROLE_QUOTE : ROLE_TEXT;
    char bullet[16] = "";
    if (b->kind == BLOCK_HEADING) base = b->level <= 2 ? ROLE_TITLE : ROLE_HEADING;
    if (b->kind == BLOCK_LIST_ITEM) {
        static const char *const dots[3] = {"•", "◦", "▪"};
        if (b->ordered) snprintf(bullet, sizeof bullet, "%d.", b->number);
        else snprintf(bullet, sizeof bullet, "%s", c->ascii ? (b->indent % 2 ? "-" : "*") : dots[b->indent % 3]);
    }
    int bw = bullet[0] ? (c->ascii ? (int)strlen(bullet) : utf8_width(bullet)) + 1 : 0;
    TextLayout t;
    layout_spans(&t, b->spans, b->n_spans, base, c->ascii, w - bw);
    for (int i = 0; i < t.wrap.n_lines; i++) {
        if (g) quote_prefix(g, y + i, c->geo.left, b->quote, c->ascii);
        if (i == 0 && bw) PUT(g, y, x, bullet, ROLE_BULLET, bw);
        text_draw_line_links(g, &t, i, y + i, x + bw, c->pv);
    }
    int rows = t.wrap.n_lines;
    text_free(&t);
    return rows;
}

static int draw_code_block(Grid *g, int y, const DrawCtx *c, const Block *b)
{
    int qw = 2 * b->quote;
    int x = c->geo.left + qw + 2 * b->indent;
    int w = c->geo.wide_w - qw - 2 * b->indent;
    if (w > c->geo.text_w + 20) w = c->geo.text_w + 20;
    const char *code = b->code ? b->code : "";
    /* The box fits the longest line (at least 40 columns), so short
     * snippets do not sit in a screen-wide band. */
    int longest = 0;
    for (const char *p = code; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        int lw = utf8_width_n(p, len);
        if (lw > longest) longest = lw;
        if (!nl) break;
        p = nl + 1;
    }
    if (longest + 4 < w) w = longest + 4 < 40 ? (w < 40 ? w : 40) : longest + 4;
    int rows = 0;
    /* A padding row above and below, in the code background. */
    if (g) grid_fill(g, (Rect){y, x, 1, w}, NULL, ROLE_CODEBLOCK);
    if (g && b->info && b->info[0] && strcmp(b->info, "text") != 0) grid_put(g, y, x + w - utf8_width(b->info) - 1, b->info, ROLE_CODEBLOCK, -1);
    rows++;
    const char *p = code;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (!nl && len == 0) break;
        /* Expand tabs, spell ASCII if needed. */
        char *line = vmem_alloc(len * 4 + 1);
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
            if (p[i] == '\t') do line[n++] = ' '; while (n % 4);
            else line[n++] = p[i];
        }
        line[n] = 0;
        if (c->ascii) {
            char *a = utf8_to_ascii(line);
            free(line);
            line = a;
            n = strlen(line);
        }
        size_t off = 0;
        bool first = true;
        do {
            int used = 0;
            int avail = w - 2 - (first ? 0 : 2);
            size_t fit = utf8_fit(line + off, n - off, avail < 1 ? 1 : avail, &used);
            if (fit == 0 && off < n) fit = 1;
            if (g) {
                grid_fill(g, (Rect){y + rows, x, 1, w}, NULL, ROLE_CODEBLOCK);
                int cx = x + 1;
                if (!first) cx += grid_put(g, y + rows, cx, c->ascii ? "> " : "↪ ", ROLE_CODEBLOCK, 2);
                grid_putn(g, y + rows, cx, line + off, fit, ROLE_CODEBLOCK, w - 2);
            }
            rows++;
            off += fit;
            first = false;
        } while (off < n);
        free(line);
        if (!nl) break;
        p = nl + 1;
    }
    if (g) grid_fill(g, (Rect){y + rows, x, 1, w}, NULL, ROLE_CODEBLOCK);
    rows++;
    if (g) for (int i = 0; i < rows; i++) quote_prefix(g, y + i, c->geo.left, b->quote, c->ascii);
    return rows;
}

/* The source line just past block bi (for placing diagnostics). */
static int block_end_line(const PageView *pv, int bi)
{
    const Page *p = &pv->lesson->pages[pv->index];
    if (bi + 1 < p->n_blocks) return p->blocks[bi + 1].line;
    if (pv->index + 1 < pv->lesson->n_pages) return pv->lesson->pages[pv->index + 1].line;
    return 1 << 30;
}

static int focus_control_of(const PageView *pv, int block)
{
    if (pv->focus < 0) return -1;
    const FocusItem *f = &pv->focus_items[pv->focus];
    return f->block == block ? f->control : -1;
}

static int draw_demo_block(Grid *g, int y, const DrawCtx *c, int bi)
{
    PageView *pv = c->pv;
    const Block *b = &pv->lesson->pages[pv->index].blocks[bi];
    PageBlock *pb = &pv->blocks[bi];
    int x = c->geo.left, w = c->geo.wide_w;
    const DemoKind *kind = demo_kind_find(b->info);
    int focus = focus_control_of(pv, bi);
    if (!pb->view && !pb->error) { /* not started yet (see start_demos): one plain rule */
        if (g) {
            grid_hline(g, y, x, w, ROLE_FRAME);
            char *label = vmem_printf(" starting demo %s... ", b->info ? b->info : "?");
            grid_put(g, y, x + 2, label, ROLE_DIM, w - 4);
            free(label);
        }
        return 1;
    }
    /* Header rule with the demo's name and what it shows. */
    if (g) {
        grid_hline(g, y, x, w, focus >= 0 ? ROLE_FOCUS : ROLE_FRAME);
        char *label = vmem_printf(" live demo · %s%s%s ", b->info ? b->info : "?",
                                  kind ? " — " : "", kind ? kind->summary : "");
        /* Too long for the rule: whole words and an ellipsis, a blank after. */
        int lw = grid_put_words(g, y, x + 2, label, focus >= 0 ? ROLE_FOCUS : ROLE_LABEL, w - 5);
        if (grid_text_width(g, label) > w - 5) grid_put(g, y, x + 2 + lw, " ", ROLE_LABEL, 1);
        free(label);
    }
    int rows = 1;
    if (!pb->view) {
        char *msg = vmem_printf("%s This demo cannot run%s%s", c->ascii ? "!" : "⚠",
                                pb->error ? ": " : "", pb->error ? pb->error : "");
        rows += draw_string(g, y + rows, x + 2, w - 2, msg, ROLE_ERROR, c->ascii);
        free(msg);
        rows += draw_block_diags(g, y + rows, x + 4, w - 4, pv->lesson, b->line, block_end_line(pv, bi), c->ascii);
        return rows;
    }
    int h = pb->ops->height(pb->view, w, c->env->view);
    if (g) pb->ops->draw(pb->view, g, (Rect){y + rows, x, h, w}, c->env->view, focus);
    return rows + h;
}

static int draw_question_block(Grid *g, int y, const DrawCtx *c, int bi)
{
    PageView *pv = c->pv;
    const Block *b = &pv->lesson->pages[pv->index].blocks[bi];
    const Question *q = &b->question;
    QuestionState *qs = &pv->blocks[bi].q;
    int x = c->geo.left, w = c->geo.text_w;
    bool focused = focus_control_of(pv, bi) >= 0;
    AnswerState before = c->env->progress && pv->lesson->id
                             ? progress_answer(c->env->progress, pv->lesson->id, q->key)
                             : ANSWER_NONE;
    bool right = (qs->answered && qs->right) || (!qs->answered && before == ANSWER_RIGHT);
    int rows = 0;
    const char *bar = c->ascii ? "|" : "┃";
    Role bar_role = focused ? ROLE_FOCUS : ROLE_FRAME;
    int tx = x + 2, tw = w - 2;
    /* Title. */
    if (g) {
        int cx = tx;
        cx += grid_printf(g, y, cx, focused ? ROLE_FOCUS : ROLE_HEADING, -1, "Question %d", q->index + 1);
        if (right) grid_put(g, y, cx, c->ascii ? "  (answered: right)" : "  ✓ answered", ROLE_GOOD, -1);
        else if (before == ANSWER_WRONG && !qs->answered) grid_put(g, y, cx, "  (tried before)", ROLE_DIM, -1);
    }
    rows++;
    if (!b->valid) {
        rows += draw_string(g, y + rows, tx, tw, "This question cannot be shown:", ROLE_ERROR, c->ascii);
        rows += draw_block_diags(g, y + rows, tx + 2, tw - 2, pv->lesson, b->line, block_end_line(pv, bi), c->ascii);
    } else {
        rows += draw_string(g, y + rows, tx, tw, q->prompt, ROLE_TEXT, c->ascii);
        if (q->kind == QUESTION_CHOICE) {
            for (int i = 0; i < q->n_choices; i++) {
                char key[16];
                snprintf(key, sizeof key, "[%d]", i + 1);
                Role r = ROLE_TEXT;
                const char *mark = "  ";
                if (right && i == q->correct) r = ROLE_GOOD, mark = c->ascii ? "ok" : "✓ ";
                else if (qs->answered && i == qs->chosen && !qs->right) r = ROLE_BAD, mark = c->ascii ? "x " : "✗ ";
                if (g) {
                    grid_put(g, y + rows, tx + 2, mark, r, 2);
                    grid_put(g, y + rows, tx + 4, key, ROLE_BULLET, 4);
                }
                TextLayout t;
                layout_string(&t, q->choices[i], r, c->ascii, tw - 9);
                rows += text_draw(g, &t, y + rows, tx + 9);
                text_free(&t);
            }
        } else if (g) {
            int cx = tx + 2;
            cx += grid_put(g, y + rows, cx, "answer: ", ROLE_LABEL, -1);
            if (qs->typing) {
                char *s = vmem_printf(" %s_ ", qs->buf);
                grid_put(g, y + rows, cx, s, ROLE_PROMPT, -1);
                free(s);
            } else if (qs->not_number) {
                grid_put(g, y + rows, cx, qs->buf, ROLE_BAD, -1);
            } else if (qs->answered) {
                cx += grid_put(g, y + rows, cx, qs->buf, qs->right ? ROLE_GOOD : ROLE_BAD, -1);
                grid_put(g, y + rows, cx, qs->right ? (c->ascii ? "  ok" : "  ✓") : (c->ascii ? "  x" : "  ✗"),
                         qs->right ? ROLE_GOOD : ROLE_BAD, -1);
            } else if (right) {
                char num[32];
                fmt_num(q->answer, 12, num, (int)sizeof num);
                grid_put(g, y + rows, cx, num, ROLE_GOOD, -1);
            } else {
                grid_put(g, y + rows, cx, "____", ROLE_DIM, -1);
            }
        }
        if (q->kind == QUESTION_NUMBER) rows++;
        /* Feedback. */
        if (qs->not_number && !qs->typing) {
            char *s = vmem_printf("%s '%s' is not a number: type digits such as 0.25, 65,504 or 10%%.",
                                  c->ascii ? "x" : "✗", qs->buf);
            rows += draw_string(g, y + rows, tx, tw, s, ROLE_BAD, c->ascii);
            free(s);
        } else if (qs->answered && !qs->right) {
            char *s = vmem_printf("%s Not quite. Try again.", c->ascii ? "x" : "✗");
            rows += draw_string(g, y + rows, tx, tw, s, ROLE_BAD, c->ascii);
            free(s);
        } else if (right) {
            char *s = vmem_printf("%s %s%s%s", c->ascii ? "ok" : "✓",
                                  qs->answered ? "Right." : "You answered this right before.",
                                  q->explain ? " " : "", q->explain ? q->explain : "");
            rows += draw_string(g, y + rows, tx, tw, s, ROLE_GOOD, c->ascii);
            free(s);
        }
        /* The hint, once asked for. */
        if (qs->hint_shown && q->hint && !right) {
            char *s = vmem_printf("Hint: %s", q->hint);
            rows += draw_string(g, y + rows, tx, tw, s, ROLE_EMPH, c->ascii);
            free(s);
        }
        /* How to answer (and how to ask for the hint). */
        char how[128];
        const char *hint_key = q->hint && !qs->hint_shown && !right ? " · i shows a hint" : "";
        if (q->kind == QUESTION_CHOICE)
            snprintf(how, sizeof how, focused ? "press 1–%d to answer%s" : "Tab to this question, then 1–%d%s",
                     q->n_choices, focused ? hint_key : "");
        else if (qs->typing)
            snprintf(how, sizeof how, "type the number, Enter checks it, Esc cancels");
        else
            snprintf(how, sizeof how, "%s%s", focused ? "press Enter and type your answer" : "Tab to this question, then Enter",
                     focused ? hint_key : "");
        rows += draw_string(g, y + rows, tx, tw, how, ROLE_DIM, c->ascii);
    }
    if (g)
        for (int i = 0; i < rows; i++) grid_put(g, y + i, x, bar, bar_role, 1);
    return rows;
}

static int draw_text_bi(Grid *g, int y, const DrawCtx *c, int bi)
{
    return draw_text_block(g, y, c, &c->pv->lesson->pages[c->pv->index].blocks[bi]);
}

static int draw_code_bi(Grid *g, int y, const DrawCtx *c, int bi)
{
    return draw_code_block(g, y, c, &c->pv->lesson->pages[c->pv->index].blocks[bi]);
}

static int draw_rule_bi(Grid *g, int y, const DrawCtx *c, int bi)
{
    (void)bi;
    if (g) grid_hline(g, y, c->geo.left, c->geo.text_w, ROLE_RULE);
    return 1;
}

/* How each kind of block is drawn (measured when g is NULL). */
typedef int (*BlockDrawer)(Grid *g, int y, const DrawCtx *c, int bi);
static const BlockDrawer block_drawers[] = {
    [BLOCK_HEADING] = draw_text_bi,       [BLOCK_PARAGRAPH] = draw_text_bi,
    [BLOCK_LIST_ITEM] = draw_text_bi,     [BLOCK_CODE] = draw_code_bi,
    [BLOCK_RULE] = draw_rule_bi,          [BLOCK_DEMO] = draw_demo_block,
    [BLOCK_QUESTION] = draw_question_block,
};

static int draw_block(Grid *g, int y, const DrawCtx *c, int bi)
{
    const Block *b = &c->pv->lesson->pages[c->pv->index].blocks[bi];
    if ((size_t)b->kind >= sizeof block_drawers / sizeof block_drawers[0]) return 0;
    return block_drawers[b->kind](g, y, c, bi);
}

/* ---------------------------------------------------------------------------
 * Page */

void page_open(PageView *pv, const Lesson *l, int index)
{
    memset(pv, 0, sizeof *pv);
    if (index < 0) index = 0;
    if (index >= l->n_pages) index = l->n_pages - 1;
    pv->lesson = l;
    pv->index = index;
    const Page *p = &l->pages[index];
    pv->n_blocks = p->n_blocks;
    pv->blocks = vmem_array((size_t)(p->n_blocks ? p->n_blocks : 1), sizeof *pv->blocks);
    for (int i = 0; i < p->n_blocks; i++) pv->blocks[i].q.chosen = -1;
    pv->focus = -1;
    pv->capture = -1;
    pv->reveal = p->n_blocks;
    grid_init(&pv->canvas, 1, 1, false);
}

void page_close(PageView *pv)
{
    if (!pv || !pv->lesson) return;
    for (int i = 0; i < pv->n_blocks; i++) {
        PageBlock *pb = &pv->blocks[i];
        if (pb->view) pb->ops->destroy(pb->view);
        free(pb->error);
    }
    free(pv->blocks);
    free(pv->focus_items);
    free(pv->links);
    grid_free(&pv->canvas);
    memset(pv, 0, sizeof *pv);
}

/* Start the page's valid demos in order, from pv->next_start, until
 * budget_ms is spent (at least one; 0: all), then list the focusable
 * controls of what has started. A key can arrive between two calls, so a
 * page of many heavy demos never holds the interface for long. Returns the
 * first block started (-1: none). */
static int start_demos(PageView *pv, double budget_ms)
{
    const Page *p = &pv->lesson->pages[pv->index];
    double t0 = clock_now_s();
    int first = -1;
    while (pv->next_start < p->n_blocks) {
        int i = pv->next_start++;
        const Block *b = &p->blocks[i];
        PageBlock *pb = &pv->blocks[i];
        if (b->kind != BLOCK_DEMO) continue;
        if (first < 0) first = i;
        if (b->valid) {
            Status st = {0};
            DemoArgs args;
            const DemoViewOps *ops = dview_find(b->info);
            if (!ops) {
                pb->error = vmem_printf("no view for demo '%s'", b->info ? b->info : "");
            } else if (demo_args_from_block(&args, b, &st) != LS_OK) {
                pb->error = vmem_strdup(st.msg);
            } else if (!(pb->view = ops->create(&args, &st))) {
                pb->error = vmem_strdup(st.msg[0] ? st.msg : "unknown error");
            } else {
                pb->ops = ops;
                if (ops->keep) ops->keep(pb->view, pv->keep);
            }
        } else {
            pb->error = vmem_strdup("see the problems listed for this lesson");
        }
        if (budget_ms > 0 && (clock_now_s() - t0) * 1000.0 >= budget_ms) break;
    }
    pv->started = pv->next_start >= p->n_blocks;
    /* The focus list again, keeping the focused and the captured item. */
    FocusItem was = pv->focus >= 0 ? pv->focus_items[pv->focus] : (FocusItem){-1, -1};
    FocusItem held = pv->capture >= 0 ? pv->focus_items[pv->capture] : (FocusItem){-1, -1};
    int cap = 0;
    for (int i = 0; i < p->n_blocks; i++) {
        PageBlock *pb = &pv->blocks[i];
        cap += pb->view ? pb->ops->n_controls(pb->view)
                        : (p->blocks[i].kind == BLOCK_QUESTION && p->blocks[i].valid);
    }
    free(pv->focus_items);
    pv->focus_items = vmem_array((size_t)(cap ? cap : 1), sizeof *pv->focus_items);
    pv->n_focus = 0;
    pv->focus = pv->capture = -1;
    for (int i = 0; i < p->n_blocks; i++) {
        PageBlock *pb = &pv->blocks[i];
        int n = pb->view ? pb->ops->n_controls(pb->view)
                         : (p->blocks[i].kind == BLOCK_QUESTION && p->blocks[i].valid);
        for (int k = 0; k < n; k++) {
            if (i == was.block && k == was.control) pv->focus = pv->n_focus;
            if (i == held.block && k == held.control) pv->capture = pv->n_focus;
            pv->focus_items[pv->n_focus++] = (FocusItem){i, k};
        }
    }
    return first;
}

int page_start_more(PageView *pv)
{
    if (!pv->lesson || pv->started) return -1;
    int first = start_demos(pv, pv->start_budget_ms);
    return first < 0 ? -1 : pv->blocks[first].y;
}

/* Two blocks in a row that need no blank line between them. */
static bool tight(const Block *a, const Block *b)
{
    return a->kind == BLOCK_LIST_ITEM && b->kind == BLOCK_LIST_ITEM;
}

void page_render(PageView *pv, int width, const PageEnv *env)
{
    pv->keep = env->keep;
    if (!pv->started) start_demos(pv, pv->start_budget_ms);
    const Page *p = &pv->lesson->pages[pv->index];
    DrawCtx c = {pv, env, geometry(width, env->present), env->view->ascii};
    /* Measure, then draw into a canvas of exactly that height. */
    int y = 0;
    int *heights = vmem_array((size_t)(p->n_blocks + 1), sizeof(int));
    y += 3; /* title, rule, blank */
    Geo *geo = &c.geo;
    y += draw_page_diags(NULL, y, geo, pv, c.ascii);
    int shown = pv->reveal < p->n_blocks ? pv->reveal : p->n_blocks;
    for (int i = 0; i < shown; i++) {
        heights[i] = draw_block(NULL, y, &c, i);
        y += heights[i] + (i + 1 < p->n_blocks && tight(&p->blocks[i], &p->blocks[i + 1]) ? 0 : 1);
    }
    int total = y + 1;
    pv->width = width;
    pv->height = total;
    pv->canvas.ascii = c.ascii;
    grid_resize(&pv->canvas, width, total);
    Grid *g = &pv->canvas;
    /* Title: the page's heading, else the lesson's. */
    const char *title = p->title && p->title[0] ? p->title : pv->lesson->title;
    int tw = grid_put(g, 0, geo->left, title ? title : "", ROLE_TITLE, geo->text_w);
    grid_hline(g, 1, geo->left, tw > 0 ? tw : geo->text_w, ROLE_TITLE);
    y = 3;
    y += draw_page_diags(g, y, geo, pv, c.ascii);
    for (int i = 0; i < pv->n_blocks; i++) pv->blocks[i].y = pv->blocks[i].h = 0;
    pv->n_links = 0;
    for (int i = 0; i < shown; i++) {
        pv->blocks[i].y = y;
        pv->blocks[i].h = heights[i];
        draw_block(g, y, &c, i);
        y += heights[i] + (i + 1 < p->n_blocks && tight(&p->blocks[i], &p->blocks[i + 1]) ? 0 : 1);
    }
    free(heights);
}

/* ---------------------------------------------------------------------------
 * Focus */

void page_focus_set(PageView *pv, int item)
{
    if (item < -1 || item >= pv->n_focus) item = -1;
    if (pv->focus >= 0 && pv->focus != item) {
        /* Leaving a question that was being typed into. */
        PageBlock *pb = &pv->blocks[pv->focus_items[pv->focus].block];
        pb->q.typing = false;
    }
    pv->focus = item;
}

void page_focus_step(PageView *pv, int dir)
{
    if (pv->n_focus == 0) return;
    /* Only blocks already revealed (presentation mode) take focus. */
    int n = pv->n_focus, f = pv->focus;
    for (int tries = 0; tries <= n; tries++) {
        if (dir > 0) f = f + 1 >= n ? -1 : f + 1;
        else f = f < 0 ? n - 1 : f - 1;
        if (f < 0 || pv->focus_items[f].block < pv->reveal) break;
    }
    page_focus_set(pv, f);
}

int page_focus_row(const PageView *pv)
{
    if (pv->focus < 0) return -1;
    const FocusItem *f = &pv->focus_items[pv->focus];
    const PageBlock *pb = &pv->blocks[f->block];
    if (pb->view && pb->ops->control_row) {
        int r = pb->ops->control_row(pb->view, f->control);
        if (r >= pb->y && r < pb->y + pb->h) return r;
    }
    return pb->y;
}

const char *page_focus_hint(const PageView *pv)
{
    if (pv->focus < 0) return NULL;
    const FocusItem *f = &pv->focus_items[pv->focus];
    const PageBlock *pb = &pv->blocks[f->block];
    if (pb->view && pb->ops->hint) return pb->ops->hint(pb->view, f->control);
    const Block *b = &pv->lesson->pages[pv->index].blocks[f->block];
    if (b->kind != BLOCK_QUESTION) return NULL;
    if (pb->q.typing) return "type a number (65,504 and 10% work too); Enter checks, Esc cancels";
    bool hint = b->question.hint != NULL;
    if (b->question.kind == QUESTION_CHOICE)
        return hint ? "a question: press the number of your answer · i hint"
                    : "a question: press the number of your answer";
    return hint ? "a question: Enter, then type a number · i hint" : "a question: Enter, then type a number";
}

int page_block_bottom(const PageView *pv, int i)
{
    if (i < 0 || i >= pv->n_blocks) return 0;
    return pv->blocks[i].y + pv->blocks[i].h;
}

/* ---------------------------------------------------------------------------
 * Input */

static void answer(PageView *pv, int bi, bool right)
{
    const Question *q = &pv->lesson->pages[pv->index].blocks[bi].question;
    PageBlock *pb = &pv->blocks[bi];
    pb->q.answered = true;
    pb->q.right = right;
    pv->answer = (AnswerEvent){true, q->index, right};
}

static int question_key(PageView *pv, int bi, int key, Action act)
{
    const Question *q = &pv->lesson->pages[pv->index].blocks[bi].question;
    QuestionState *qs = &pv->blocks[bi].q;
    if (act == ACT_HINT && !qs->typing) {
        if (!q->hint) return 0;
        qs->hint_shown = true;
        return EV_HANDLED | EV_REDRAW;
    }
    if (q->kind == QUESTION_CHOICE) {
        if (key >= '1' && key <= '9' && key - '1' < q->n_choices) {
            qs->chosen = key - '1';
            answer(pv, bi, qs->chosen == q->correct);
            return EV_HANDLED | EV_REDRAW;
        }
        return 0;
    }
    if (!qs->typing) {
        if (key == VK_ENTER || (key >= '0' && key <= '9') || key == '-' || key == '.' || key == '+') {
            qs->typing = true;
            qs->buf[0] = 0;
            if (key != VK_ENTER) qs->buf[0] = (char)key, qs->buf[1] = 0;
            return EV_HANDLED | EV_REDRAW;
        }
        return 0;
    }
    size_t n = strlen(qs->buf);
    if (key == VK_ENTER) {
        double v;
        qs->typing = false;
        /* Not a number is not a wrong answer: say so, record nothing. */
        qs->not_number = !question_parse_typed(qs->buf, &v);
        if (qs->not_number) return EV_HANDLED | EV_REDRAW;
        answer(pv, bi, question_accepts(q, v));
        return EV_HANDLED | EV_REDRAW;
    }
    if (key == VK_ESC) {
        qs->typing = false;
        return EV_HANDLED | EV_REDRAW;
    }
    if (key == VK_BACKSPACE) {
        /* Drop one UTF-8 character (a pasted − or thin space is several bytes). */
        while (n > 0 && ((unsigned char)qs->buf[n - 1] & 0xC0) == 0x80) n--;
        if (n) qs->buf[n - 1] = 0;
        return EV_HANDLED | EV_REDRAW;
    }
    if (key >= 32 && key < VK_BASE && key != 127) {
        char u[4];
        int k = utf8_encode((uint32_t)key, u);
        if (n + (size_t)k + 1 < sizeof qs->buf) {
            memcpy(qs->buf + n, u, (size_t)k);
            qs->buf[n + (size_t)k] = 0;
        }
        return EV_HANDLED | EV_REDRAW;
    }
    return EV_HANDLED; /* typing swallows everything else */
}

int page_key(PageView *pv, int key, Action act)
{
    if (pv->focus < 0) return 0;
    const FocusItem *f = &pv->focus_items[pv->focus];
    PageBlock *pb = &pv->blocks[f->block];
    if (pb->view) return pb->ops->key(pb->view, f->control, key, act);
    return question_key(pv, f->block, key, act);
}

int page_mouse(PageView *pv, const MouseEvent *ev)
{
    if (ev->kind == MOUSE_RELEASE) {
        int had = pv->capture >= 0;
        pv->capture = -1;
        return had ? EV_HANDLED : 0;
    }
    /* A drag goes to the control that the press caught. */
    if (ev->kind == MOUSE_DRAG) {
        if (pv->capture < 0) return 0;
        const FocusItem *f = &pv->focus_items[pv->capture];
        PageBlock *pb = &pv->blocks[f->block];
        int control = f->control;
        return pb->view ? pb->ops->mouse(pb->view, ev, &control) : 0;
    }
    if (ev->kind != MOUSE_PRESS) return 0;
    for (int i = 0; i < pv->n_blocks && i < pv->reveal; i++) {
        PageBlock *pb = &pv->blocks[i];
        if (ev->y < pb->y || ev->y >= pb->y + pb->h) continue;
        const Block *b = &pv->lesson->pages[pv->index].blocks[i];
        if (pb->view) {
            int control = -1;
            int fl = pb->ops->mouse(pb->view, ev, &control);
            if (control >= 0) {
                for (int k = 0; k < pv->n_focus; k++)
                    if (pv->focus_items[k].block == i && pv->focus_items[k].control == control) {
                        page_focus_set(pv, k);
                        pv->capture = k;
                    }
                return fl | EV_HANDLED | EV_REDRAW;
            }
            return fl;
        }
        if (b->kind == BLOCK_QUESTION && b->valid) {
            for (int k = 0; k < pv->n_focus; k++)
                if (pv->focus_items[k].block == i) page_focus_set(pv, k);
            /* A click on a choice line answers with that choice. */
            const Question *q = &b->question;
            if (q->kind == QUESTION_CHOICE) {
                Grid *g = &pv->canvas;
                char *row = grid_row_text(g, ev->y);
                /* Choice rows carry "[n]" after the bar and the mark. */
                int num = 0;
                const char *s = strchr(row, '[');
                if (s && isdigit((unsigned char)s[1]) && s[2] == ']') num = s[1] - '0';
                free(row);
                if (num >= 1 && num <= q->n_choices && ev->y > pb->y + 1) return question_key(pv, i, '0' + num, ACT_ANSWER) | EV_REDRAW;
            }
            return EV_HANDLED | EV_REDRAW;
        }
    }
    return 0;
}

const char *page_link_at(const PageView *pv, int y, int x)
{
    for (int i = 0; i < pv->n_links; i++)
        if (pv->links[i].y == y && x >= pv->links[i].x0 && x < pv->links[i].x1) return pv->links[i].url;
    return NULL;
}

/* ---------------------------------------------------------------------------
 * Search in the model */

static bool contains_ci(const char *hay, const char *needle)
{
    if (!hay || !needle || !needle[0]) return false;
    size_t n = strlen(needle);
    for (const char *h = hay; *h; h++) {
        size_t i = 0;
        while (i < n && h[i] && tolower((unsigned char)h[i]) == tolower((unsigned char)needle[i])) i++;
        if (i == n) return true;
    }
    return false;
}

bool page_text_contains(const Page *p, const char *needle)
{
    if (contains_ci(p->title, needle)) return true;
    for (int i = 0; i < p->n_blocks; i++) {
        const Block *b = &p->blocks[i];
        for (int s = 0; s < b->n_spans; s++)
            if (contains_ci(b->spans[s].text, needle)) return true;
        if (b->kind == BLOCK_CODE && contains_ci(b->code, needle)) return true;
        if (b->kind == BLOCK_QUESTION) {
            if (contains_ci(b->question.prompt, needle)) return true;
            for (int k = 0; k < b->question.n_choices; k++)
                if (contains_ci(b->question.choices[k], needle)) return true;
        }
    }
    return false;
}
