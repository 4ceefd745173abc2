/* parse.c — CommonMark lesson text → the lesson model (see lesson.h).
 *
 * libcmark does all the Markdown work; this file walks cmark's tree once,
 * with its iterator (so even absurdly nested input cannot overflow our stack),
 * and flattens it into pages of blocks:
 *
 *   heading 1 (first)   → Lesson.title
 *   heading 2 (top)     → a new Page (its text is Page.title)
 *   paragraph, heading  → a block of Spans; emphasis / strong / code / link
 *                         nesting is tracked with counters, not a stack
 *   list item           → BLOCK_LIST_ITEM with depth, ordered flag, number
 *   ```demo NAME        → BLOCK_DEMO with "key = value" Params
 *   ```question         → BLOCK_QUESTION
 *
 * The bodies of demo and question blocks use one small line syntax, parsed
 * here: "key = value"; a line indented more than the key lines continues the
 * previous value (joined with one space); a line starting with '#' is a
 * comment; blank lines are skipped. Every problem becomes a Diagnostic with its source line;
 * nothing in the input can make parsing fail except running out of memory. */
#include <cmark.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson.h"

/* ---------------------------------------------------------------------------
 * Small helpers */

/* Grow *arr (of elem-sized items, n used, *cap allocated) to hold one more.
 * Returns a pointer to the new zeroed slot, or NULL when memory ran out. */
static void *grow(void **arr, int *cap, int n, size_t elem)
{
    if (n >= *cap) {
        if (*cap > INT_MAX / 2) return NULL;
        int ncap = *cap ? *cap * 2 : 8;
        void *p = realloc(*arr, (size_t)ncap * elem);
        if (!p) return NULL;
        *arr = p;
        *cap = ncap;
    }
    void *slot = (char *)*arr + (size_t)n * elem;
    memset(slot, 0, elem);
    return slot;
}

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static char *dup_s(const char *s)
{
    return dup_n(s, strlen(s));
}

static bool is_blank(int c)
{
    return c == ' ' || c == '\t';
}

/* s[0..n) without leading and trailing blanks, as *start and the length. */
static size_t trim(const char **start, size_t n)
{
    const char *s = *start;
    while (n > 0 && is_blank((unsigned char)*s))
        s++, n--;
    while (n > 0 && (is_blank((unsigned char)s[n - 1]) || s[n - 1] == '\r'))
        n--;
    *start = s;
    return n;
}

/* A short, printable excerpt of s[0..n) for messages: control bytes become
 * '?', and a long text is cut at a UTF-8 character boundary with "...". */
static void excerpt(char *out, size_t size, const char *s, size_t n)
{
    const size_t limit = size > 48 ? 40 : size - 8;
    size_t k = n < limit ? n : limit;
    while (k > 0 && k < n && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    size_t o = 0;
    for (size_t i = 0; i < k && o + 1 < size; i++)
        out[o++] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7F) ? '?' : s[i];
    if (k < n && o + 4 < size) memcpy(out + o, "...", 3), o += 3;
    out[o] = '\0';
}

/* ---------------------------------------------------------------------------
 * Diagnostics and the empty lesson */

/* Drop an incomplete UTF-8 sequence left at the end of s by a truncating
 * snprintf, so messages stay valid UTF-8 however long the quoted text was. */
static void utf8_trim_tail(char *s)
{
    size_t n = strlen(s), i = n;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80 && n - i < 3)
        i--;
    if (i == 0 || (unsigned char)s[i - 1] < 0xC0) return; /* ASCII end, or only continuations */
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (n - (i - 1) < need) s[i - 1] = '\0';
}

int lesson_add_diag(Lesson *l, int line, const char *fmt, ...)
{
    char buf[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    utf8_trim_tail(buf);
    Diagnostic *d = realloc(l->diags, ((size_t)l->n_diags + 1) * sizeof *d);
    if (!d) return LS_ERR_NOMEM;
    l->diags = d;
    d[l->n_diags].line = line;
    d[l->n_diags].message = dup_s(buf);
    if (!d[l->n_diags].message) return LS_ERR_NOMEM;
    l->n_diags++;
    return LS_OK;
}

void lesson_sort_diags(Lesson *l)
{
    /* qsort is not stable and problems on one line read best in the order
     * they were found; an insertion sort is stable, and lessons have few. */
    for (int i = 1; i < l->n_diags; i++) {
        Diagnostic d = l->diags[i];
        int j = i - 1;
        while (j >= 0 && l->diags[j].line > d.line) {
            l->diags[j + 1] = l->diags[j];
            j--;
        }
        l->diags[j + 1] = d;
    }
}

bool lesson_file_name(const char *name, int *order)
{
    const char *p = name;
    long v = 0;
    if (!isdigit((unsigned char)*p)) return false;
    while (isdigit((unsigned char)*p)) {
        if (v < 100000000) v = v * 10 + (*p - '0');
        p++;
    }
    if (*p != '-') return false;
    size_t n = strlen(p + 1);
    if (n < 4 || strcmp(p + 1 + n - 3, ".md") != 0) return false; /* "-x.md" at least */
    if (order) *order = (int)v;
    return true;
}

/* path, id, order, title and a first empty page: the part every lesson has. */
static int lesson_start(Lesson *l, const char *path)
{
    *l = (Lesson){0};
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 3 && strcmp(base + n - 3, ".md") == 0) n -= 3;
    l->path = dup_s(path);
    l->id = dup_n(base, n);
    if (!l->path || !l->id) return LS_ERR_NOMEM;
    if (!lesson_file_name(base, &l->order)) l->order = INT_MAX;
    return LS_OK;
}

static Page *add_page(Lesson *l, const char *title, int line)
{
    Page *p = realloc(l->pages, ((size_t)l->n_pages + 1) * sizeof *p);
    if (!p) return NULL;
    l->pages = p;
    p = &l->pages[l->n_pages];
    *p = (Page){.line = line, .title = dup_s(title)};
    if (!p->title) return NULL;
    l->n_pages++;
    return p;
}

/* Make the lesson satisfy the shape promises (a title, at least one page). */
static int lesson_finish(Lesson *l)
{
    if (!l->title) {
        l->title = dup_s(l->id);
        if (!l->title) return LS_ERR_NOMEM;
    }
    if (l->n_pages == 0 && !add_page(l, "", 1)) return LS_ERR_NOMEM;
    return LS_OK;
}

/* ---------------------------------------------------------------------------
 * The walker */

typedef struct ListLevel {
    bool ordered;
    int next; /* number of the next item */
} ListLevel;

enum { MAX_TRACKED_LISTS = 64 };

typedef struct Parser {
    Lesson *l;
    const char *src; /* the raw text, for fence checks */
    size_t len;
    size_t *line_start; /* offset of each 1-based line (index 0 unused) */
    int n_lines;
    bool oom;

    int title_line; /* line of the "# " title, 0 before */
    int list_depth, quote_depth;
    ListLevel lists[MAX_TRACKED_LISTS];
    bool item_pending; /* entered a list item whose bullet is not out yet */
    int item_line, item_number;
    bool item_ordered;

    /* The block whose inline text is being collected (heading / paragraph). */
    Block cur;
    int span_cap;
    bool collecting;
    int emph, strong, link; /* nesting counters */
    const char *url;        /* innermost link/image target while link > 0 */
    int block_cap;          /* capacity of the current page's blocks */
} Parser;

static void *nomem(Parser *ps)
{
    ps->oom = true;
    return NULL;
}

static void diag(Parser *ps, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void diag(Parser *ps, int line, const char *fmt, ...)
{
    char buf[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (lesson_add_diag(ps->l, line, "%s", buf)) ps->oom = true;
}

/* Index the starts of lines the way cmark counts them (\n, \r\n or \r). */
static bool index_lines(Parser *ps)
{
    size_t cap = 64;
    ps->line_start = malloc(cap * sizeof *ps->line_start);
    if (!ps->line_start) return false;
    ps->line_start[0] = 0;
    ps->line_start[1] = 0;
    ps->n_lines = 1;
    for (size_t i = 0; i < ps->len; i++) {
        char c = ps->src[i];
        if (c != '\n' && c != '\r') continue;
        if (c == '\r' && i + 1 < ps->len && ps->src[i + 1] == '\n') i++;
        if (i + 1 >= ps->len) break;
        if ((size_t)ps->n_lines + 2 > cap) {
            cap *= 2;
            size_t *p = realloc(ps->line_start, cap * sizeof *p);
            if (!p) return false;
            ps->line_start = p;
        }
        ps->line_start[++ps->n_lines] = i + 1;
    }
    return true;
}

/* Source line `line` as a pointer and length (without the line ending). */
static size_t source_line(const Parser *ps, int line, const char **out)
{
    if (line < 1 || line > ps->n_lines) {
        *out = "";
        return 0;
    }
    size_t a = ps->line_start[line], b = a;
    while (b < ps->len && ps->src[b] != '\n' && ps->src[b] != '\r')
        b++;
    *out = ps->src + a;
    return b - a;
}

/* The page blocks go to, made on first use ("" intro page). */
static Page *cur_page(Parser *ps)
{
    Lesson *l = ps->l;
    if (l->n_pages == 0) {
        ps->block_cap = 0;
        if (!add_page(l, "", 1)) return nomem(ps);
    }
    return &l->pages[l->n_pages - 1];
}

/* Append a finished block to the current page (taking ownership of it). */
static Block *emit(Parser *ps, const Block *b)
{
    Page *pg = cur_page(ps);
    if (!pg) return NULL;
    Block *slot = grow((void **)&pg->blocks, &ps->block_cap, pg->n_blocks, sizeof *slot);
    if (!slot) return nomem(ps);
    *slot = *b;
    pg->n_blocks++;
    return slot;
}

/* Emit the bullet of a list item that has no paragraph of its own first. */
static void flush_item(Parser *ps)
{
    if (!ps->item_pending) return;
    ps->item_pending = false;
    Block b = {.kind = BLOCK_LIST_ITEM,
               .line = ps->item_line,
               .indent = ps->list_depth - 1,
               .quote = ps->quote_depth,
               .ordered = ps->item_ordered,
               .number = ps->item_number,
               .valid = true};
    emit(ps, &b);
}

static void free_block(Block *b);

static void free_spans(Span *spans, int n)
{
    for (int i = 0; i < n; i++) {
        free(spans[i].text);
        free(spans[i].url);
    }
    free(spans);
}

/* Add text to the block being collected, merging with the previous span when
 * the style and link are the same (cmark splits text at every '[', '!' ...). */
static void add_text(Parser *ps, const char *text, size_t n, int extra_style)
{
    if (!ps->collecting || n == 0) return;
    int style = extra_style | (ps->emph ? SPAN_EMPH : 0) | (ps->strong ? SPAN_STRONG : 0) |
                (ps->link ? SPAN_LINK : 0);
    const char *url = ps->link ? ps->url : NULL;
    Block *b = &ps->cur;
    if (b->n_spans > 0) {
        Span *last = &b->spans[b->n_spans - 1];
        bool same_url = (!last->url && !url) || (last->url && url && strcmp(last->url, url) == 0);
        if (last->style == style && same_url) {
            size_t old = strlen(last->text);
            char *t = realloc(last->text, old + n + 1);
            if (!t) {
                ps->oom = true;
                return;
            }
            memcpy(t + old, text, n);
            t[old + n] = '\0';
            last->text = t;
            return;
        }
    }
    Span *s = grow((void **)&b->spans, &ps->span_cap, b->n_spans, sizeof *s);
    if (!s) {
        ps->oom = true;
        return;
    }
    s->style = style;
    s->text = dup_n(text, n);
    s->url = url ? dup_s(url) : NULL;
    if (!s->text || (url && !s->url)) {
        free(s->text);
        free(s->url);
        ps->oom = true;
        return;
    }
    b->n_spans++;
}

static void start_collect(Parser *ps, BlockKind kind, int line, int level)
{
    ps->cur = (Block){.kind = kind,
                      .line = line,
                      .level = level,
                      .indent = ps->list_depth,
                      .quote = ps->quote_depth,
                      .valid = true};
    ps->span_cap = 0;
    ps->collecting = true;
    ps->emph = ps->strong = ps->link = 0;
    ps->url = NULL;
}

/* The plain text of the collected spans (for titles). */
static char *spans_text(const Block *b)
{
    size_t n = 0;
    for (int i = 0; i < b->n_spans; i++)
        n += strlen(b->spans[i].text);
    char *t = malloc(n + 1);
    if (!t) return NULL;
    t[0] = '\0';
    char *p = t;
    for (int i = 0; i < b->n_spans; i++) {
        size_t k = strlen(b->spans[i].text);
        memcpy(p, b->spans[i].text, k);
        p += k;
    }
    *p = '\0';
    /* A title is one line: hard breaks become spaces. */
    for (p = t; *p; p++)
        if (*p == '\n') *p = ' ';
    return t;
}

static void end_heading(Parser *ps, bool top_level)
{
    ps->collecting = false;
    Block b = ps->cur;
    ps->cur = (Block){0};
    Lesson *l = ps->l;
    if (b.level == 1 && top_level && !l->title) {
        l->title = spans_text(&b);
        if (!l->title) ps->oom = true;
        ps->title_line = b.line;
        free_spans(b.spans, b.n_spans);
        return;
    }
    if (b.level == 2 && top_level) {
        char *title = spans_text(&b);
        free_spans(b.spans, b.n_spans);
        if (!title) {
            ps->oom = true;
            return;
        }
        /* The previous "##" page got nothing: say so, it is probably a slip. */
        if (l->n_pages > 0 && l->pages[l->n_pages - 1].n_blocks == 0 &&
            l->pages[l->n_pages - 1].title[0])
            diag(ps, l->pages[l->n_pages - 1].line, "page '%s' is empty",
                 l->pages[l->n_pages - 1].title);
        ps->block_cap = 0;
        if (!add_page(l, title, b.line)) ps->oom = true;
        free(title);
        return;
    }
    if (b.level == 1 && top_level)
        diag(ps, b.line, "a second '# ' title (the first is on line %d); start pages with '## '",
             ps->title_line);
    if (!emit(ps, &b)) free_spans(b.spans, b.n_spans);
}

static void end_paragraph(Parser *ps)
{
    ps->collecting = false;
    Block b = ps->cur;
    ps->cur = (Block){0};
    if (ps->item_pending) {
        /* The first paragraph of a list item carries its bullet. */
        ps->item_pending = false;
        b.kind = BLOCK_LIST_ITEM;
        b.indent = ps->list_depth - 1;
        b.ordered = ps->item_ordered;
        b.number = ps->item_number;
    }
    if (!emit(ps, &b)) free_spans(b.spans, b.n_spans);
}

/* ---------------------------------------------------------------------------
 * "key = value" bodies */

static bool is_key(const char *s, size_t n)
{
    if (n == 0 || !isalpha((unsigned char)s[0])) return false;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
            return false;
    return true;
}

/* Split a demo / question body into Params. `what` names the block in
 * messages ("demo svd", "question"). Returns the number of problems. */
static int parse_kv(Parser *ps, const char *body, int first_line, const char *what, Param **out,
                    int *n_out)
{
    Param *params = NULL;
    int n = 0, cap = 0, problems = 0;
    int line = first_line;
    /* Lines indented like the first key line are keys; lines indented more
     * continue the previous value. (So a block indented as a whole works.) */
    size_t base = 0;
    size_t last_len = 0, last_cap = 0; /* the last value's length and buffer size */
    for (const char *p = body; *p; line++) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        const char *s = p;
        size_t indent = 0;
        while (indent < len && is_blank((unsigned char)p[indent]))
            indent++;
        p = eol ? eol + 1 : p + len;
        size_t tl = trim(&s, len);
        if (tl == 0) continue;
        if (n > 0 && indent > base) {
            /* Continue the previous value, growing its buffer geometrically
             * so that thousands of continuation lines stay linear. */
            Param *prev = &params[n - 1];
            if (last_len + tl + 2 > last_cap) {
                size_t ncap = (last_len + tl + 2) * 2;
                char *v = realloc(prev->value, ncap);
                if (!v) {
                    ps->oom = true;
                    break;
                }
                prev->value = v;
                last_cap = ncap;
            }
            if (last_len) prev->value[last_len++] = ' ';
            memcpy(prev->value + last_len, s, tl);
            last_len += tl;
            prev->value[last_len] = '\0';
            continue;
        }
        if (s[0] == '#') continue; /* a comment */
        const char *eq = memchr(s, '=', tl);
        char ex[64];
        if (!eq) {
            excerpt(ex, sizeof ex, s, tl);
            diag(ps, line, "%s: expected 'key = value', got '%s'", what, ex);
            problems++;
            continue;
        }
        const char *k = s;
        size_t kl = trim(&k, (size_t)(eq - s));
        const char *v = eq + 1;
        size_t vl = trim(&v, tl - (size_t)(eq - s) - 1);
        if (!is_key(k, kl)) {
            excerpt(ex, sizeof ex, k, kl);
            diag(ps, line, "%s: '%s' is not a parameter name (letters, digits, '_' or '-')", what,
                 ex);
            problems++;
            continue;
        }
        Param *slot = grow((void **)&params, &cap, n, sizeof *slot);
        if (!slot) {
            ps->oom = true;
            break;
        }
        slot->key = dup_n(k, kl);
        slot->value = dup_n(v, vl);
        slot->line = line;
        if (n == 0) base = indent;
        last_len = vl;
        last_cap = vl + 1;
        if (!slot->key || !slot->value) {
            free(slot->key);
            free(slot->value);
            ps->oom = true;
            break;
        }
        n++;
    }
    for (int i = 0; i < n; i++)
        if (!params[i].value[0]) {
            diag(ps, params[i].line, "%s: '%s' has no value", what, params[i].key);
            problems++;
        }
    *out = params;
    *n_out = n;
    return problems;
}

static void free_params(Param *p, int n)
{
    for (int i = 0; i < n; i++) {
        free(p[i].key);
        free(p[i].value);
    }
    free(p);
}

/* ---------------------------------------------------------------------------
 * Questions
 *
 * Keys: ask (required), choice (repeatable; "* " in front marks the right
 * one), correct (1-based choice number), answer, tolerance, hint, explain,
 * id (the stable key saved answers are filed under), was (the 1-based
 * position the question had when answers were filed by position).
 * With choices it is multiple choice; without, it needs a numeric answer. */

enum {
    Q_ASK,
    Q_CHOICE,
    Q_CORRECT,
    Q_ANSWER,
    Q_TOLERANCE,
    Q_HINT,
    Q_EXPLAIN,
    Q_ID,
    Q_WAS,
    Q_NKEYS
};

static const struct {
    const char *name;
    bool repeatable;
} question_keys[Q_NKEYS] = {
    [Q_ASK] = {"ask", false},
    [Q_CHOICE] = {"choice", true},
    [Q_CORRECT] = {"correct", false},
    [Q_ANSWER] = {"answer", false},
    [Q_TOLERANCE] = {"tolerance", false},
    [Q_HINT] = {"hint", false},
    [Q_EXPLAIN] = {"explain", false},
    [Q_ID] = {"id", false},
    [Q_WAS] = {"was", false},
};

/* An explicit question id: lower-case letters, digits and '-', starting
 * with a letter or digit, at most QUESTION_KEY_MAX bytes. */
static bool valid_question_id(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > QUESTION_KEY_MAX || v[0] == '-') return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)v[i]) || isdigit((unsigned char)v[i]) || v[i] == '-'))
            return false;
    return true;
}

/* The key of a question without an id: its first QUESTION_SLUG_WORDS words
 * (ASCII letters and digits, lower-cased, joined by '-'), so editing the
 * rest of the wording keeps it. "q" when the prompt has no such word. */
static char *question_slug(const char *prompt)
{
    char buf[QUESTION_KEY_MAX + 1];
    size_t n = 0;
    int words = 0;
    bool in_word = false;
    for (const char *s = prompt; *s && words <= QUESTION_SLUG_WORDS; s++) {
        unsigned char c = (unsigned char)*s;
        bool alnum = c < 0x80 && isalnum(c);
        if (!alnum) {
            in_word = false;
            continue;
        }
        if (!in_word) {
            if (++words > QUESTION_SLUG_WORDS) break;
            if (n > 0 && n < QUESTION_KEY_MAX) buf[n++] = '-';
            in_word = true;
        }
        if (n < QUESTION_KEY_MAX) buf[n++] = (char)tolower(c);
    }
    while (n > 0 && buf[n - 1] == '-')
        n--;
    if (n == 0) return dup_s("q");
    return dup_n(buf, n);
}

/* Most choices a question may have: the interface answers with keys 1..9. */
enum { QUESTION_MAX_CHOICES = 9 };

bool question_parse_number(const char *text, double *out)
{
    const char *s = text;
    size_t n = trim(&s, strlen(text));
    if (n == 0 || n > 64) return false;
    char buf[72];
    memcpy(buf, s, n);
    buf[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)buf[i]) && !strchr("+-.eE", buf[i])) return false;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (end == buf || *end || !isfinite(v)) return false;
    *out = v;
    return true;
}

/* Group separators a student may copy from the screen: ',' (fmt_count),
 * a space, a thin space U+2009 and a narrow no-break space U+202F. Returns
 * the separator's length in bytes at s, or 0. */
static size_t group_sep_len(const char *s)
{
    if (*s == ',' || *s == ' ') return 1;
    if (strncmp(s, "\xE2\x80\x89", 3) == 0 || strncmp(s, "\xE2\x80\xAF", 3) == 0) return 3;
    return 0;
}

bool question_parse_typed(const char *text, double *out)
{
    const char *s = text;
    size_t n = trim(&s, strlen(text));
    if (n == 0 || n > 64) return false;
    char buf[72];
    size_t k = 0, i = 0;
    /* A sign: ASCII, or the minus sign U+2212 the screens print. */
    if (s[0] == '+' || s[0] == '-') buf[k++] = s[i++];
    else if (n >= 3 && strncmp(s, "\xE2\x88\x92", 3) == 0) buf[k++] = '-', i = 3;
    /* The integer part: digits, optionally in groups of three. */
    size_t group = 0, groups = 0;
    bool grouped = false;
    while (i < n) {
        if (isdigit((unsigned char)s[i])) {
            buf[k++] = s[i++];
            group++;
            continue;
        }
        size_t sl = group_sep_len(s + i);
        if (!sl || i + sl >= n || !isdigit((unsigned char)s[i + sl])) break;
        /* The first group has 1-3 digits, every later one exactly 3. */
        if (group == 0 || group > 3 || (groups > 0 && group != 3)) return false;
        groups++, grouped = true, group = 0;
        i += sl;
    }
    if (grouped && group != 3) return false;
    /* The rest (fraction, exponent) without separators; then maybe '%'. */
    bool percent = false;
    while (i < n && k + 1 < sizeof buf) {
        if (s[i] == '%') {
            percent = true;
            i++;
            break;
        }
        if (s[i] == ' ' && i + 1 < n && s[i + 1] == '%') {
            i++;
            continue;
        }
        buf[k++] = s[i++];
    }
    if (i != n) return false;
    buf[k] = '\0';
    double v;
    if (!question_parse_number(buf, &v)) return false;
    *out = percent ? v / 100.0 : v;
    return true;
}

bool question_accepts(const Question *q, double value)
{
    if (q->kind != QUESTION_NUMBER || !isfinite(value)) return false;
    /* Slack for answers typed in decimal that are not exact in binary. */
    double slack = 1e-9 * fmax(1.0, fabs(q->answer));
    return fabs(value - q->answer) <= q->tolerance + slack;
}

/* Fill b->question from its Params; returns the number of problems. */
static int build_question(Parser *ps, Block *b, const Param *pa, int n)
{
    Question *q = &b->question;
    int problems = 0;
    int first[Q_NKEYS] = {0}; /* line of the first occurrence */
    int correct_line = 0, star_line = 0, n_stars = 0;
    long correct_num = 0;
    bool have_answer = false, have_tol = false;
    char ex[64];

    q->correct = -1;
    q->was = -1;
    for (int i = 0; i < n; i++) {
        int key = -1;
        for (int k = 0; k < Q_NKEYS; k++)
            if (strcmp(pa[i].key, question_keys[k].name) == 0) key = k;
        if (key < 0) {
            diag(ps, pa[i].line,
                 "question: unknown key '%s' (keys: ask, choice, correct, answer, tolerance, "
                 "hint, explain, id, was)",
                 pa[i].key);
            problems++;
            continue;
        }
        if (first[key] && !question_keys[key].repeatable) {
            diag(ps, pa[i].line, "question: '%s' given twice (first on line %d)", pa[i].key,
                 first[key]);
            problems++;
            continue;
        }
        if (!first[key]) first[key] = pa[i].line;
        const char *v = pa[i].value;
        switch (key) { /* each key stores into a different field */
        case Q_ASK:
            free(q->prompt);
            q->prompt = dup_s(v);
            break;
        case Q_HINT: q->hint = dup_s(v); break;
        case Q_EXPLAIN: q->explain = dup_s(v); break;
        case Q_ID:
            if (!valid_question_id(v)) {
                excerpt(ex, sizeof ex, v, strlen(v));
                diag(ps, pa[i].line,
                     "question: id = '%s': use lower-case letters, digits and '-' (at most %d)",
                     ex, QUESTION_KEY_MAX);
                problems++;
            } else {
                free(q->key);
                if (!(q->key = dup_s(v))) ps->oom = true;
                q->key_given = true;
            }
            break;
        case Q_WAS: {
            double d;
            if (!question_parse_number(v, &d) || d != floor(d) || d < 1 || d > QUESTION_WAS_MAX) {
                excerpt(ex, sizeof ex, v, strlen(v));
                diag(ps, pa[i].line, "question: was = '%s' is not a question position (1, 2, ...)",
                     ex);
                problems++;
            } else {
                q->was = (int)d - 1;
            }
            break;
        }
        case Q_CHOICE: {
            if (q->n_choices >= QUESTION_MAX_CHOICES) {
                diag(ps, pa[i].line, "question: more than %d choices", QUESTION_MAX_CHOICES);
                problems++;
                break;
            }
            bool star = v[0] == '*' && (v[1] == ' ' || v[1] == '\t');
            if (star) {
                n_stars++;
                if (n_stars == 1) q->correct = q->n_choices;
                if (n_stars == 2) {
                    diag(ps, pa[i].line,
                         "question: more than one choice marked '*' (first on line %d)", star_line);
                    problems++;
                }
                if (!star_line) star_line = pa[i].line;
                v += 2;
                while (is_blank((unsigned char)*v))
                    v++;
            } else if (v[0] == '\\' && v[1] == '*') {
                v++; /* "\*" is a literal star */
            }
            char **c = realloc(q->choices, ((size_t)q->n_choices + 1) * sizeof *c);
            if (!c) {
                ps->oom = true;
                break;
            }
            q->choices = c;
            c[q->n_choices] = dup_s(v);
            if (!c[q->n_choices])
                ps->oom = true;
            else
                q->n_choices++;
            break;
        }
        case Q_CORRECT: {
            double d;
            correct_line = pa[i].line;
            if (!question_parse_number(v, &d) || d != floor(d) || d < 1 || d > 1000) {
                excerpt(ex, sizeof ex, v, strlen(v));
                diag(ps, pa[i].line, "question: correct = '%s' is not a choice number (1, 2, ...)",
                     ex);
                problems++;
                correct_line = -1;
            } else {
                correct_num = (long)d;
            }
            break;
        }
        case Q_ANSWER:
            if (question_parse_number(v, &q->answer)) {
                have_answer = true;
            } else {
                excerpt(ex, sizeof ex, v, strlen(v));
                diag(ps, pa[i].line, "question: answer = '%s' is not a number", ex);
                problems++;
                have_answer = true; /* written, so no "missing answer" as well */
            }
            break;
        case Q_TOLERANCE:
            have_tol = true;
            if (!question_parse_number(v, &q->tolerance) || q->tolerance < 0) {
                excerpt(ex, sizeof ex, v, strlen(v));
                diag(ps, pa[i].line, "question: tolerance = '%s' must be a number zero or larger",
                     ex);
                problems++;
                q->tolerance = 0;
            }
            break;
        }
    }
    if (!q->prompt) {
        q->prompt = dup_s("");
        diag(ps, b->line, "question: missing 'ask = ...' (the question itself)");
        problems++;
    }
    if (!q->prompt) ps->oom = true;
    if (!q->key && q->prompt && !(q->key = question_slug(q->prompt))) ps->oom = true;

    if (q->n_choices > 0) {
        q->kind = QUESTION_CHOICE;
        if (have_answer || have_tol) {
            diag(ps, have_answer ? first[Q_ANSWER] : first[Q_TOLERANCE],
                 "question: has choices and also '%s'; a question is either multiple choice "
                 "or numeric",
                 have_answer ? "answer" : "tolerance");
            problems++;
        }
        if (q->n_choices == 1) {
            diag(ps, first[Q_CHOICE], "question: only one choice; give at least two");
            problems++;
        }
        if (correct_line > 0) {
            if (correct_num > q->n_choices) {
                diag(ps, correct_line, "question: correct = %ld but there %s only %d choice%s",
                     correct_num, q->n_choices == 1 ? "is" : "are", q->n_choices,
                     q->n_choices == 1 ? "" : "s");
                problems++;
            } else if (n_stars > 0 && q->correct != correct_num - 1) {
                diag(ps, correct_line,
                     "question: correct = %ld disagrees with the choice marked '*' on line %d",
                     correct_num, star_line);
                problems++;
            } else {
                q->correct = (int)correct_num - 1;
            }
        } else if (n_stars == 0 && correct_line == 0) {
            diag(ps, b->line,
                 "question: no right answer: mark a choice with '* ' (choice = * ...) or add "
                 "'correct = N'");
            problems++;
        }
        if (q->correct < 0 || q->correct >= q->n_choices) q->correct = 0;
    } else {
        q->kind = QUESTION_NUMBER;
        q->correct = 0;
        if (correct_line != 0) {
            diag(ps, first[Q_CORRECT],
                 "question: 'correct' needs choices; a numeric question uses 'answer = ...'");
            problems++;
        }
        if (!have_answer && have_tol) {
            diag(ps, b->line, "question: numeric question (it has 'tolerance') without 'answer'");
            problems++;
        } else if (!have_answer && correct_line == 0) {
            diag(ps, b->line,
                 "question: needs 'choice = ...' lines (multiple choice) or 'answer = ...' "
                 "(a number)");
            problems++;
        }
    }
    return problems;
}

/* ---------------------------------------------------------------------------
 * Code blocks */

/* For a fenced block opened on line `start`: was it closed before `end`?
 * cmark does not say, so look at the source: the last line must be a fence
 * of the same character, at least as long as the opening one. */
static bool fence_closed(const Parser *ps, int start, int end)
{
    if (end <= start) return false;
    const char *s;
    size_t n = source_line(ps, start, &s);
    size_t i = 0;
    while (i < n && s[i] != '`' && s[i] != '~')
        i++;
    if (i == n) return true; /* not a fence we recognise: do not complain */
    char fc = s[i];
    size_t open = 0;
    while (i < n && s[i] == fc)
        i++, open++;
    n = source_line(ps, end, &s);
    i = 0;
    while (i < n && (is_blank((unsigned char)s[i]) || s[i] == '>'))
        i++;
    size_t close = 0;
    while (i < n && s[i] == fc)
        i++, close++;
    while (i < n && is_blank((unsigned char)s[i]))
        i++;
    return close >= open && i == n;
}

static void code_block(Parser *ps, cmark_node *node)
{
    flush_item(ps);
    const char *info = cmark_node_get_fence_info(node);
    const char *lit = cmark_node_get_literal(node);
    int start = cmark_node_get_start_line(node), end = cmark_node_get_end_line(node);
    info = info ? info : "";
    lit = lit ? lit : "";

    /* info = first word (the language, or "demo"/"question") + the rest */
    const char *w = info;
    size_t wl = trim(&w, strlen(info));
    size_t first = 0;
    while (first < wl && !is_blank((unsigned char)w[first]))
        first++;
    const char *rest = w + first;
    size_t rl = trim(&rest, wl - first);

    Block b = {.kind = BLOCK_CODE,
               .line = start,
               .indent = ps->list_depth,
               .quote = ps->quote_depth,
               .valid = true};
    b.code = dup_s(lit);
    bool is_demo = first == 4 && memcmp(w, "demo", 4) == 0;
    bool is_question = first == 8 && memcmp(w, "question", 8) == 0;
    char ex[64];

    if (wl > 0 && !fence_closed(ps, start, end)) {
        excerpt(ex, sizeof ex, w, wl);
        diag(ps, start, "```%s block is never closed: it runs to line %d; end it with ```", ex,
             end);
        b.valid = false;
    }

    if (is_demo) {
        b.kind = BLOCK_DEMO;
        size_t nl = 0;
        while (nl < rl && !is_blank((unsigned char)rest[nl]))
            nl++;
        b.info = dup_n(rest, nl);
        if (nl < rl) {
            const char *extra = rest + nl;
            size_t el = trim(&extra, rl - nl);
            excerpt(ex, sizeof ex, extra, el);
            diag(ps, start, "demo %.*s: unexpected '%s' after the demo name", (int)nl, rest, ex);
            b.valid = false;
        }
        char what[96];
        snprintf(what, sizeof what, "demo %.*s", (int)(nl < 40 ? nl : 40), rest);
        if (nl == 0) {
            diag(ps, start, "demo block without a name: write ```demo NAME");
            b.valid = false;
        }
        if (parse_kv(ps, lit, start + 1, what, &b.params, &b.n_params)) b.valid = false;
    } else if (is_question) {
        b.kind = BLOCK_QUESTION;
        b.info = dup_s("");
        if (rl > 0) {
            excerpt(ex, sizeof ex, rest, rl);
            diag(ps, start, "question: unexpected '%s' after ```question", ex);
            b.valid = false;
        }
        Param *pa = NULL;
        int n = 0;
        int bad = parse_kv(ps, lit, start + 1, "question", &pa, &n);
        bad += build_question(ps, &b, pa, n);
        free_params(pa, n);
        if (bad) b.valid = false;
        b.question.index = ps->l->n_questions++;
    } else {
        b.info = dup_n(w, first);
    }
    if (!b.code || !b.info) ps->oom = true;
    if (!emit(ps, &b)) free_block(&b); /* out of memory: nobody owns it */
}

/* Raw HTML: an HTML comment is a note for instructors and is dropped; other
 * HTML cannot be drawn in a terminal and is shown as code. */
static void html_block(Parser *ps, cmark_node *node)
{
    const char *lit = cmark_node_get_literal(node);
    lit = lit ? lit : "";
    const char *s = lit;
    trim(&s, strlen(lit));
    if (strncmp(s, "<!--", 4) == 0) return;
    flush_item(ps);
    Block b = {.kind = BLOCK_CODE,
               .line = cmark_node_get_start_line(node),
               .indent = ps->list_depth,
               .quote = ps->quote_depth,
               .valid = true};
    b.code = dup_s(lit);
    b.info = dup_s("html");
    if (!b.code || !b.info) ps->oom = true;
    if (!emit(ps, &b)) free_block(&b);
}

/* ---------------------------------------------------------------------------
 * The walk */

static void walk_enter(Parser *ps, cmark_node *node)
{
    int line = cmark_node_get_start_line(node);
    switch (cmark_node_get_type(node)) { /* cmark's node types, one case each */
    case CMARK_NODE_HEADING:
        flush_item(ps);
        start_collect(ps, BLOCK_HEADING, line, cmark_node_get_heading_level(node));
        break;
    case CMARK_NODE_PARAGRAPH: start_collect(ps, BLOCK_PARAGRAPH, line, 0); break;
    case CMARK_NODE_CODE_BLOCK: code_block(ps, node); break;
    case CMARK_NODE_HTML_BLOCK: html_block(ps, node); break;
    case CMARK_NODE_THEMATIC_BREAK: {
        flush_item(ps);
        Block b = {.kind = BLOCK_RULE,
                   .line = line,
                   .indent = ps->list_depth,
                   .quote = ps->quote_depth,
                   .valid = true};
        emit(ps, &b);
        break;
    }
    case CMARK_NODE_BLOCK_QUOTE:
        flush_item(ps);
        ps->quote_depth++;
        break;
    case CMARK_NODE_LIST:
        flush_item(ps);
        if (ps->list_depth < MAX_TRACKED_LISTS) {
            ListLevel *lv = &ps->lists[ps->list_depth];
            lv->ordered = cmark_node_get_list_type(node) == CMARK_ORDERED_LIST;
            lv->next = cmark_node_get_list_start(node);
        }
        ps->list_depth++;
        break;
    case CMARK_NODE_ITEM:
        flush_item(ps);
        ps->item_pending = true;
        ps->item_line = line;
        if (ps->list_depth >= 1 && ps->list_depth <= MAX_TRACKED_LISTS) {
            ListLevel *lv = &ps->lists[ps->list_depth - 1];
            ps->item_ordered = lv->ordered;
            ps->item_number = lv->next++;
        } else {
            ps->item_ordered = false;
            ps->item_number = 0;
        }
        break;
    case CMARK_NODE_TEXT:
    case CMARK_NODE_HTML_INLINE: {
        const char *t = cmark_node_get_literal(node);
        if (t) add_text(ps, t, strlen(t), 0);
        break;
    }
    case CMARK_NODE_CODE: {
        const char *t = cmark_node_get_literal(node);
        if (t) add_text(ps, t, strlen(t), SPAN_CODE);
        break;
    }
    case CMARK_NODE_SOFTBREAK: add_text(ps, " ", 1, 0); break;
    case CMARK_NODE_LINEBREAK: add_text(ps, "\n", 1, 0); break;
    case CMARK_NODE_EMPH: ps->emph++; break;
    case CMARK_NODE_STRONG: ps->strong++; break;
    case CMARK_NODE_LINK:
    case CMARK_NODE_IMAGE:
        if (ps->link++ == 0) ps->url = cmark_node_get_url(node);
        break;
    default: break;
    }
}

static void walk_exit(Parser *ps, cmark_node *node)
{
    switch (cmark_node_get_type(node)) {
    case CMARK_NODE_HEADING:
        end_heading(ps, cmark_node_parent(node) &&
                            cmark_node_get_type(cmark_node_parent(node)) == CMARK_NODE_DOCUMENT);
        break;
    case CMARK_NODE_PARAGRAPH: end_paragraph(ps); break;
    case CMARK_NODE_BLOCK_QUOTE: ps->quote_depth--; break;
    case CMARK_NODE_LIST: ps->list_depth--; break;
    case CMARK_NODE_ITEM:
        flush_item(ps); /* an empty item still shows its bullet */
        break;
    case CMARK_NODE_EMPH: ps->emph--; break;
    case CMARK_NODE_STRONG: ps->strong--; break;
    case CMARK_NODE_LINK:
    case CMARK_NODE_IMAGE:
        if (--ps->link == 0) ps->url = NULL;
        break;
    default: break;
    }
}

/* The i-th question block of the lesson (0-based, file order). */
static Block *nth_question(Lesson *l, int index)
{
    return (Block *)lesson_question(l, index);
}

/* Every question's key is unique in its lesson, so a saved answer belongs
 * to exactly one question: a repeated explicit id (or `was`) is an error;
 * a derived key that repeats one before it gets "-2", "-3", ... */
static void unique_question_keys(Parser *ps)
{
    Lesson *l = ps->l;
    for (int i = 1; i < l->n_questions && !ps->oom; i++) {
        Block *b = nth_question(l, i);
        Question *q = &b->question;
        for (int j = 0; j < i; j++) {
            const Block *o = nth_question(l, j);
            if (q->was >= 0 && o->question.was == q->was)
                diag(ps, b->line, "question: was = %d repeats the question on line %d", q->was + 1,
                     o->line);
            if (q->key_given && o->question.key_given && strcmp(o->question.key, q->key) == 0) {
                diag(ps, b->line, "question: id '%s' repeats the question on line %d", q->key,
                     o->line);
                b->valid = false;
            }
        }
    }
    /* Derived keys give way to every other key: "-2", "-3", ... until free. */
    for (int i = 0; i < l->n_questions && !ps->oom; i++) {
        Question *q = &nth_question(l, i)->question;
        if (q->key_given) continue;
        char buf[QUESTION_KEY_MAX + 16];
        snprintf(buf, sizeof buf, "%s", q->key);
        for (int k = 2;; k++) {
            bool taken = false;
            for (int m = 0; m < l->n_questions && !taken; m++) {
                const Question *o = &nth_question(l, m)->question;
                /* Explicit ids anywhere, derived keys only before this one. */
                taken = m != i && (o->key_given || m < i) && strcmp(o->key, buf) == 0;
            }
            if (!taken) break;
            snprintf(buf, sizeof buf, "%s-%d", q->key, k);
        }
        if (strcmp(buf, q->key) == 0) continue;
        char *d = dup_s(buf);
        if (!d) {
            ps->oom = true;
            return;
        }
        free(q->key);
        q->key = d;
    }
}

int lesson_parse(Lesson *out, const char *text, size_t len, const char *path, Status *st)
{
    status_clear(st);
    if (lesson_start(out, path ? path : "lesson.md")) goto oom;
    Parser ps = {.l = out, .src = text ? text : "", .len = text ? len : 0};
    if (!index_lines(&ps)) {
        free(ps.line_start);
        goto oom;
    }

    bool empty = true;
    for (size_t i = 0; i < ps.len && empty; i++)
        empty = isspace((unsigned char)ps.src[i]) != 0;
    if (empty) {
        diag(&ps, 0, "empty lesson file");
    } else {
        /* VALIDATE_UTF8: invalid bytes become U+FFFD, so every string we keep
         * is valid UTF-8 whatever the file held. */
        cmark_node *doc = cmark_parse_document(ps.src, ps.len, CMARK_OPT_VALIDATE_UTF8);
        if (!doc) {
            free(ps.line_start);
            goto oom;
        }
        cmark_iter *it = cmark_iter_new(doc);
        if (!it) {
            cmark_node_free(doc);
            free(ps.line_start);
            goto oom;
        }
        cmark_event_type ev;
        while (!ps.oom && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
            cmark_node *node = cmark_iter_get_node(it);
            if (ev == CMARK_EVENT_ENTER)
                walk_enter(&ps, node);
            else if (ev == CMARK_EVENT_EXIT)
                walk_exit(&ps, node);
        }
        cmark_iter_free(it);
        cmark_node_free(doc);
        if (ps.collecting) free_spans(ps.cur.spans, ps.cur.n_spans); /* only after oom */
        /* The last "##" page with nothing under it. */
        Lesson *l = out;
        if (!ps.oom && l->n_pages > 0 && l->pages[l->n_pages - 1].n_blocks == 0 &&
            l->pages[l->n_pages - 1].title[0])
            diag(&ps, l->pages[l->n_pages - 1].line, "page '%s' is empty",
                 l->pages[l->n_pages - 1].title);
        if (!ps.oom && !l->title)
            diag(&ps, 1, "no '# Title' line: the lesson list will show '%s'", l->id);
        if (!ps.oom) unique_question_keys(&ps);
    }
    free(ps.line_start);
    if (ps.oom || lesson_finish(out)) goto oom;
    return LS_OK;
oom:
    return status_fail(st, LS_ERR_NOMEM, "%s: out of memory while parsing", path ? path : "lesson");
}

/* ---------------------------------------------------------------------------
 * Freeing and queries */

static void free_block(Block *b)
{
    free_spans(b->spans, b->n_spans);
    free(b->code);
    free(b->info);
    free_params(b->params, b->n_params);
    Question *q = &b->question;
    free(q->prompt);
    for (int i = 0; i < q->n_choices; i++)
        free(q->choices[i]);
    free(q->choices);
    free(q->hint);
    free(q->explain);
    free(q->key);
}

void lesson_free(Lesson *l)
{
    if (!l) return;
    for (int p = 0; p < l->n_pages; p++) {
        for (int b = 0; b < l->pages[p].n_blocks; b++)
            free_block(&l->pages[p].blocks[b]);
        free(l->pages[p].blocks);
        free(l->pages[p].title);
    }
    free(l->pages);
    for (int i = 0; i < l->n_diags; i++)
        free(l->diags[i].message);
    free(l->diags);
    free(l->path);
    free(l->id);
    free(l->title);
    *l = (Lesson){0};
}

const Param *block_param(const Block *b, const char *key)
{
    if (!b || !key) return NULL;
    for (int i = 0; i < b->n_params; i++)
        if (strcmp(b->params[i].key, key) == 0) return &b->params[i];
    return NULL;
}

const Block *lesson_question(const Lesson *l, int index)
{
    if (!l) return NULL;
    for (int p = 0; p < l->n_pages; p++)
        for (int i = 0; i < l->pages[p].n_blocks; i++) {
            const Block *b = &l->pages[p].blocks[i];
            if (b->kind == BLOCK_QUESTION && b->question.index == index) return b;
        }
    return NULL;
}
