/* grid.c — the screen model (see grid.h). */
#include "grid.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "vmem.h"

static void cell_blank(Cell *c, Role r)
{
    c->ch[0] = ' ';
    c->ch[1] = 0;
    c->width = 1;
    c->role = (unsigned char)r;
    c->attrs = 0;
    c->fg = c->bg = -1;
    c->text = 0;
}

void grid_init(Grid *g, int w, int h, bool ascii)
{
    memset(g, 0, sizeof *g);
    g->ascii = ascii;
    grid_resize(g, w, h);
}

void grid_free(Grid *g)
{
    if (!g) return;
    grid_drop_images(g);
    free(g->images);
    g->images = NULL;
    g->cap_images = 0;
    free(g->cells);
    g->cells = NULL;
    g->w = g->h = 0;
}

void grid_resize(Grid *g, int w, int h)
{
    if (w < 0) w = 0;
    if (h < 0) h = 0;
    free(g->cells);
    g->w = w;
    g->h = h;
    g->cells = vmem_array((size_t)w * (size_t)h + 1, sizeof(Cell));
    grid_unclip(g);
    grid_clear(g, ROLE_TEXT);
}

void grid_grow(Grid *g, int h)
{
    if (h <= g->h) return;
    g->cells = vmem_realloc(g->cells, ((size_t)g->w * (size_t)h + 1) * sizeof(Cell));
    for (size_t i = (size_t)g->w * (size_t)g->h; i < (size_t)g->w * (size_t)h; i++)
        cell_blank(&g->cells[i], ROLE_TEXT);
    g->h = h;
    grid_unclip(g);
}

void grid_clear(Grid *g, Role r)
{
    g->cuts = g->overlaps = 0;
    g->first_cut[0] = g->first_overlap[0] = 0;
    grid_drop_images(g);
    for (size_t i = 0; i < (size_t)g->w * (size_t)g->h; i++) cell_blank(&g->cells[i], r);
}

void grid_clip(Grid *g, Rect r)
{
    int y0 = r.y < 0 ? 0 : r.y, x0 = r.x < 0 ? 0 : r.x;
    int y1 = r.y + r.h > g->h ? g->h : r.y + r.h;
    int x1 = r.x + r.w > g->w ? g->w : r.x + r.w;
    g->clip = (Rect){y0, x0, y1 > y0 ? y1 - y0 : 0, x1 > x0 ? x1 - x0 : 0};
}

void grid_unclip(Grid *g)
{
    g->clip = (Rect){0, 0, g->h, g->w};
}

static bool clip_has(const Grid *g, int y, int x)
{
    return y >= g->clip.y && y < g->clip.y + g->clip.h && x >= g->clip.x &&
           x < g->clip.x + g->clip.w;
}

Cell *grid_at(Grid *g, int y, int x)
{
    if (y < 0 || y >= g->h || x < 0 || x >= g->w) return NULL;
    return &g->cells[(size_t)y * (size_t)g->w + (size_t)x];
}

const Cell *grid_cat(const Grid *g, int y, int x)
{
    if (y < 0 || y >= g->h || x < 0 || x >= g->w) return NULL;
    return &g->cells[(size_t)y * (size_t)g->w + (size_t)x];
}

/* Before overwriting (y, x): never leave half of a wide character behind. */
static void unsplit(Grid *g, int y, int x)
{
    Cell *c = grid_at(g, y, x);
    if (!c) return;
    if (c->width == 0) { /* right half: blank the left half */
        Cell *l = grid_at(g, y, x - 1);
        if (l) {
            Role r = (Role)l->role;
            cell_blank(l, r);
        }
    } else if (c->width == 2) { /* left half: blank the right half */
        Cell *rc = grid_at(g, y, x + 1);
        if (rc) cell_blank(rc, (Role)c->role);
    }
}

/* Put one ASCII-or-UTF-8 character of width cw (1 or 2) at (y, x). */
static void put_char(Grid *g, int y, int x, const char *u, int n, int cw, Role r)
{
    unsplit(g, y, x);
    if (cw == 2) unsplit(g, y, x + 1);
    Cell *c = grid_at(g, y, x);
    c->text = 0;
    memcpy(c->ch, u, (size_t)n);
    c->ch[n] = 0;
    c->width = (unsigned char)cw;
    c->role = (unsigned char)r;
    c->attrs = 0;
    c->fg = c->bg = -1;
    if (cw == 2) {
        Cell *rc = grid_at(g, y, x + 1);
        rc->ch[0] = 0;
        rc->width = 0;
        rc->role = (unsigned char)r;
        rc->attrs = 0;
        rc->fg = rc->bg = -1;
    }
}

/* Attach a combining mark to the character left of column x. */
static void attach_mark(Grid *g, int y, int x, const char *u, int n)
{
    Cell *c = grid_at(g, y, x - 1);
    if (c && c->width == 0) c = grid_at(g, y, x - 2);
    if (!c || c->width == 0) return;
    size_t len = strlen(c->ch);
    if (len + (size_t)n < CELL_TEXT_MAX) {
        memcpy(c->ch + len, u, (size_t)n);
        c->ch[len + (size_t)n] = 0;
    }
}

/* Text stopped at `stop` (the first byte not drawn): count it as cut when
 * anything but blanks was left undrawn — a word split, or whole words lost
 * at the edge. */
/* Whether s has a letter or digit (Latin, Greek, sub- and superscripts…),
 * rather than only rules, blocks, braille dots and punctuation. */
static bool has_letter(const char *s, size_t len)
{
    for (size_t i = 0; i < len && s[i];) {
        uint32_t cp;
        i += (size_t)utf8_decode(s + i, len - i, &cp);
        if (cp < 0x80 ? isalnum((int)cp) != 0 : (cp >= 0xC0 && cp < 0x2000) || (cp >= 0x2070 && cp <= 0x209F))
            return true;
    }
    return false;
}

/* Before text `id` (0: a single character) writes u over cell (y, x): a
 * letter of another text replaced by a different visible character is an
 * overlap. Then the cell belongs to this text. */
static void note_overlap(Grid *g, int y, int x, const char *u, int n, unsigned short id, const char *s, size_t len)
{
    Cell *c = grid_at(g, y, x);
    bool visible = !(n == 1 && u[0] == ' ');
    if (c->text && c->text != id && visible && c->ch[0] && strcmp(c->ch, " ") != 0 &&
        (strlen(c->ch) != (size_t)n || memcmp(c->ch, u, (size_t)n) != 0))
        if (!g->overlaps++) snprintf(g->first_overlap, sizeof g->first_overlap, "%.*s", (int)(len < 63 ? len : 63), s);
}

static void note_cut(Grid *g, const char *s, size_t len, size_t stop)
{
    size_t k = stop;
    while (k < len && s[k] == ' ') k++;
    if (k >= len || !s[k]) return;
    if (!g->cuts++) snprintf(g->first_cut, sizeof g->first_cut, "%.*s", (int)(len < 63 ? len : 63), s);
}

int grid_putn(Grid *g, int y, int x, const char *s, size_t len, Role r, int maxw)
{
    if (y < g->clip.y || y >= g->clip.y + g->clip.h) return 0;
    int limit = g->clip.x + g->clip.w;
    if (maxw >= 0 && x + maxw < limit) limit = x + maxw;
    int x0 = x;
    size_t i = 0;
    /* Texts of two or more characters with a letter or digit get an id, to
     * tell overlaps (rules, bars and dots are not texts). */
    unsigned short id = 0;
    if (len > 1 && s[0] && s[1] && has_letter(s, len)) {
        id = ++g->text_seq;
        if (!id) id = ++g->text_seq;
    }
    while (i < len && s[i]) {
        uint32_t cp;
        int n = utf8_decode(s + i, len - i, &cp);
        const char *u = s + i;
        size_t at = i;
        i += (size_t)n;
        if (cp == '\n' || cp == '\t' || cp == '\r') cp = ' ', u = " ", n = 1;
        if (g->ascii && cp >= 0x80) {
            const char *sp = uc_ascii(cp);
            int sl = (int)strlen(sp);
            for (int k = 0; k < sl && x < limit; k++, x++)
                if (clip_has(g, y, x)) {
                    note_overlap(g, y, x, sp + k, 1, id, s, len);
                    put_char(g, y, x, sp + k, 1, 1, r);
                    grid_at(g, y, x)->text = id;
                }
            if (x >= limit && i < len && s[i]) {
                note_cut(g, s, len, i);
                break;
            }
            continue;
        }
        int cw = uc_width(cp);
        if (cw == 0) {
            if (cp >= 0x20 && x > x0) attach_mark(g, y, x, u, n);
            continue;
        }
        if (x + cw > limit) {
            if (cw == 2 && x < limit && clip_has(g, y, x)) put_char(g, y, x, " ", 1, 1, r), x++;
            note_cut(g, s, len, at);
            break;
        }
        if (x >= g->clip.x && clip_has(g, y, x + cw - 1)) {
            note_overlap(g, y, x, u, n, id, s, len);
            put_char(g, y, x, u, n, cw, r);
            grid_at(g, y, x)->text = id;
        }
        x += cw;
    }
    return x - x0;
}

int grid_put(Grid *g, int y, int x, const char *s, Role r, int maxw)
{
    return grid_putn(g, y, x, s, strlen(s), r, maxw);
}

int grid_printf(Grid *g, int y, int x, Role r, int maxw, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return grid_put(g, y, x, buf, r, maxw);
}

int grid_put_words(Grid *g, int y, int x, const char *s, Role r, int maxw)
{
    if (maxw < 0 || grid_text_width(g, s) <= maxw) return grid_put(g, y, x, s, r, maxw);
    const char *ell = g->ascii ? "..." : "…";
    size_t n = strlen(s);
    char *t = vmem_alloc(n + 4);
    /* Drop the last word (and the blanks and commas before it) until the
     * rest and the ellipsis fit. */
    size_t fit = n;
    do {
        while (fit > 0 && s[fit - 1] != ' ') fit--;
        while (fit > 0 && (s[fit - 1] == ' ' || s[fit - 1] == ',')) fit--;
        memcpy(t, s, fit);
        snprintf(t + fit, 4, "%s", ell);
    } while (fit > 0 && grid_text_width(g, t) > maxw);
    int used = fit > 0 ? grid_put(g, y, x, t, r, maxw) : 0;
    free(t);
    return used;
}

void grid_fill(Grid *g, Rect r, const char *ch, Role role)
{
    if (!ch) ch = " ";
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++) grid_put(g, y, x, ch, role, 1);
}

void grid_colour(Grid *g, int y, int x, int fg, int bg)
{
    if (!clip_has(g, y, x)) return;
    Cell *c = grid_at(g, y, x);
    if (!c) return;
    c->fg = fg;
    c->bg = bg;
}

void grid_attr(Grid *g, int y, int x, unsigned attrs)
{
    if (!clip_has(g, y, x)) return;
    Cell *c = grid_at(g, y, x);
    if (c) c->attrs = (unsigned char)(c->attrs | attrs);
}

void grid_recolour(Grid *g, Rect r, Role role)
{
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++) {
            if (!clip_has(g, y, x)) continue;
            Cell *c = grid_at(g, y, x);
            if (c) c->role = (unsigned char)role, c->fg = c->bg = -1;
        }
}

void grid_hline(Grid *g, int y, int x, int w, Role r)
{
    for (int i = 0; i < w; i++) grid_put(g, y, x + i, "─", r, 1);
}

void grid_box(Grid *g, Rect r, Role role, const char *title, Role title_role)
{
    if (r.w < 2 || r.h < 2) return;
    int x1 = r.x + r.w - 1, y1 = r.y + r.h - 1;
    const char *h = "─", *v = "│";
    grid_put(g, r.y, r.x, "┌", role, 1);
    grid_put(g, r.y, x1, "┐", role, 1);
    grid_put(g, y1, r.x, "└", role, 1);
    grid_put(g, y1, x1, "┘", role, 1);
    for (int x = r.x + 1; x < x1; x++) {
        grid_put(g, r.y, x, h, role, 1);
        grid_put(g, y1, x, h, role, 1);
    }
    for (int y = r.y + 1; y < y1; y++) {
        grid_put(g, y, r.x, v, role, 1);
        grid_put(g, y, x1, v, role, 1);
    }
    if (title && title[0] && r.w > 6) {
        int used = grid_put(g, r.y, r.x + 2, " ", title_role, 1);
        used += grid_put(g, r.y, r.x + 2 + used, title, title_role, r.w - 6);
        grid_put(g, r.y, r.x + 2 + used, " ", title_role, 1);
    }
}

void grid_drop_images(Grid *g)
{
    for (int i = 0; i < g->n_images; i++) free(g->images[i].gray);
    g->n_images = 0;
}

void grid_add_image(Grid *g, Rect at, const unsigned char *gray, int w, int h)
{
    const Rect *c = &g->clip;
    if (w < 1 || h < 1 || at.w < 1 || at.h < 1 || at.y < c->y || at.x < c->x || at.y + at.h > c->y + c->h ||
        at.x + at.w > c->x + c->w)
        return;
    if (g->n_images == g->cap_images) {
        g->cap_images = g->cap_images ? 2 * g->cap_images : 4;
        g->images = vmem_realloc(g->images, (size_t)g->cap_images * sizeof *g->images);
    }
    size_t n = (size_t)w * (size_t)h;
    GridImage *im = &g->images[g->n_images++];
    *im = (GridImage){at, vmem_alloc(n), w, h, 0};
    memcpy(im->gray, gray, n);
    /* FNV-1a over the size and the pixels. */
    unsigned long hash = 2166136261u;
    int dims[2] = {w, h};
    for (size_t i = 0; i < sizeof dims; i++) hash = (hash ^ ((const unsigned char *)dims)[i]) * 16777619u;
    for (size_t i = 0; i < n; i++) hash = (hash ^ gray[i]) * 16777619u;
    im->hash = hash;
}

void grid_copy_rows(Grid *dst, int dy, const Grid *src, int sy, int h)
{
    /* A picture cut by the rows copied keeps its visible part (a student
     * scrolling past a photo still sees the photo, not its text stand-in):
     * the source rows under the visible cell rows. */
    for (int i = 0; i < src->n_images; i++) {
        const GridImage *im = &src->images[i];
        int top = im->at.y > sy ? im->at.y : sy;
        int bottom = im->at.y + im->at.h < sy + h ? im->at.y + im->at.h : sy + h;
        if (bottom <= top) continue;
        int r0 = (int)((long)(top - im->at.y) * im->h / im->at.h);
        int r1 = (int)(((long)(bottom - im->at.y) * im->h + im->at.h - 1) / im->at.h);
        if (r1 > im->h) r1 = im->h;
        if (r1 <= r0) continue;
        Rect at = {top + dy - sy, im->at.x, bottom - top, im->at.w};
        grid_add_image(dst, at, im->gray + (size_t)r0 * (size_t)im->w, im->w, r1 - r0);
    }
    int w = dst->w < src->w ? dst->w : src->w;
    for (int i = 0; i < h; i++) {
        int ty = dy + i, fy = sy + i;
        if (ty < 0 || ty >= dst->h) continue;
        Cell *d = &dst->cells[(size_t)ty * (size_t)dst->w];
        if (fy < 0 || fy >= src->h) {
            for (int x = 0; x < w; x++) cell_blank(&d[x], ROLE_TEXT);
            continue;
        }
        memcpy(d, &src->cells[(size_t)fy * (size_t)src->w], (size_t)w * sizeof(Cell));
        /* A wide character cut by the narrower width becomes a blank. */
        if (w > 0 && d[w - 1].width == 2) cell_blank(&d[w - 1], (Role)d[w - 1].role);
    }
}

int grid_text_width(const Grid *g, const char *s)
{
    if (!g->ascii) return utf8_width(s);
    char *a = utf8_to_ascii(s);
    int w = (int)strlen(a);
    free(a);
    return w;
}

char *grid_row_text(const Grid *g, int y)
{
    if (y < 0 || y >= g->h) return vmem_strdup("");
    size_t cap = (size_t)g->w * CELL_TEXT_MAX + 1, n = 0;
    char *out = vmem_alloc(cap);
    for (int x = 0; x < g->w; x++) {
        const Cell *c = grid_cat(g, y, x);
        size_t l = strlen(c->ch);
        memcpy(out + n, c->ch, l);
        n += l;
    }
    while (n > 0 && out[n - 1] == ' ') n--;
    out[n] = 0;
    return out;
}

int grid_row_find(const Grid *g, int y, const char *needle, int from)
{
    size_t nl = strlen(needle);
    if (nl == 0 || y < 0 || y >= g->h) return -1;
    for (int x = from < 0 ? 0 : from; x < g->w; x++) {
        /* Compare cell texts one after another against the needle. */
        size_t k = 0;
        int cx = x;
        while (k < nl && cx < g->w) {
            const Cell *c = grid_cat(g, y, cx);
            if (c->width == 0) {
                cx++;
                continue;
            }
            size_t l = strlen(c->ch);
            if (l == 0 || k + l > nl) break;
            bool same = true;
            for (size_t j = 0; j < l; j++)
                if (tolower((unsigned char)c->ch[j]) != tolower((unsigned char)needle[k + j])) {
                    same = false;
                    break;
                }
            if (!same) break;
            k += l;
            cx++;
        }
        if (k == nl) return x;
    }
    return -1;
}
