/* wrap.c — greedy word wrapping over styled spans (see wrap.h). */
#include "wrap.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "vmem.h"

/* A run of non-space bytes inside one span. */
typedef struct Piece {
    int span, off, len, width;
} Piece;

/* Pieces that touch form a word (e.g. "**rank**-k" is three pieces). */
typedef struct Word {
    int first, n, width;
    int sp_span, sp_off;  /* the space before it, or sp_span = -1 */
    bool hard_break;      /* a '\n' came before it */
} Word;

typedef struct Scan {
    Piece *pieces;
    int n_pieces, cap_pieces;
    Word *words;
    int n_words, cap_words;
} Scan;

static void push_piece(Scan *s, Piece p)
{
    if (s->n_pieces == s->cap_pieces) {
        s->cap_pieces = s->cap_pieces ? 2 * s->cap_pieces : 16;
        s->pieces = vmem_realloc(s->pieces, (size_t)s->cap_pieces * sizeof *s->pieces);
    }
    s->pieces[s->n_pieces++] = p;
}

static Word *push_word(Scan *s)
{
    if (s->n_words == s->cap_words) {
        s->cap_words = s->cap_words ? 2 * s->cap_words : 16;
        s->words = vmem_realloc(s->words, (size_t)s->cap_words * sizeof *s->words);
    }
    Word *w = &s->words[s->n_words++];
    memset(w, 0, sizeof *w);
    w->sp_span = -1;
    return w;
}

/* Split the spans into words. */
static void scan_words(Scan *s, const WrapSpan *spans, int n_spans)
{
    Word *cur = NULL;
    int sp_span = -1, sp_off = 0;
    bool brk = false;
    for (int si = 0; si < n_spans; si++) {
        const char *t = spans[si].text ? spans[si].text : "";
        int len = (int)strlen(t);
        int i = 0;
        while (i < len) {
            uint32_t cp;
            int n = utf8_decode(t + i, (size_t)(len - i), &cp);
            if (cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n') {
                if (cp == '\n') brk = true;
                else if (sp_span < 0 && !brk) sp_span = si, sp_off = i;
                cur = NULL;
                i += n;
                continue;
            }
            if (!cur) {
                cur = push_word(s);
                cur->first = s->n_pieces;
                cur->sp_span = sp_span;
                cur->sp_off = sp_off;
                cur->hard_break = brk;
                sp_span = -1;
                brk = false;
            }
            Piece *last = cur->n ? &s->pieces[s->n_pieces - 1] : NULL;
            int cw = uc_width(cp);
            if (last && last->span == si && last->off + last->len == i) {
                last->len += n;
                last->width += cw;
            } else {
                push_piece(s, (Piece){si, i, n, cw});
                cur->n++;
            }
            cur->width += cw;
            i += n;
        }
        /* A word may continue into the next span ("**rank**-k"). */
    }
}

static void push_seg(Wrap *w, WrapSeg seg)
{
    if (w->n_segs == w->cap_segs) {
        w->cap_segs = w->cap_segs ? 2 * w->cap_segs : 32;
        w->segs = vmem_realloc(w->segs, (size_t)w->cap_segs * sizeof *w->segs);
    }
    w->segs[w->n_segs++] = seg;
    w->lines[w->n_lines - 1].n++;
}

static void new_line(Wrap *w)
{
    if (w->n_lines == w->cap_lines) {
        w->cap_lines = w->cap_lines ? 2 * w->cap_lines : 8;
        w->lines = vmem_realloc(w->lines, (size_t)w->cap_lines * sizeof *w->lines);
    }
    w->lines[w->n_lines++] = (WrapLine){w->n_segs, 0, 0};
}

/* Is the word an operator standing alone ("d × k", "h = W₀x + b")? A
 * formula is not broken at the spaces around one. */
static bool word_is_operator(const Scan *s, const WrapSpan *spans, const Word *wd)
{
    static const char *const ops[] = {"×", "·", "=", "+", "−", "-", "/", "≈", "≤", "≥", "<",
                                      ">", "≠", "±", "→", "∈", "⊙", "*"};
    if (wd->n != 1) return false;
    const Piece *p = &s->pieces[wd->first];
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if ((int)strlen(ops[i]) == p->len && memcmp(spans[p->span].text + p->off, ops[i], (size_t)p->len) == 0)
            return true;
    return false;
}

/* Width of the formula starting at word wi: words joined by operators. */
static int glued_width(const Scan *s, const bool *glued, int wi)
{
    int w = s->words[wi].width;
    for (int k = wi + 1; k < s->n_words && glued[k]; k++) w += 1 + s->words[k].width;
    return w;
}

void wrap_spans(Wrap *out, const WrapSpan *spans, int n_spans, int width)
{
    memset(out, 0, sizeof *out);
    if (width < 1) width = 1;
    Scan s = {0};
    scan_words(&s, spans, n_spans);
    /* glued[i]: the space before word i is not a place to break. */
    bool *glued = vmem_array((size_t)(s.n_words ? s.n_words : 1), sizeof *glued);
    for (int wi = 1; wi < s.n_words; wi++)
        glued[wi] = !s.words[wi].hard_break && s.words[wi].sp_span >= 0 &&
                    (word_is_operator(&s, spans, &s.words[wi]) || word_is_operator(&s, spans, &s.words[wi - 1]));
    new_line(out);
    for (int wi = 0; wi < s.n_words; wi++) {
        const Word *wd = &s.words[wi];
        WrapLine *ln = &out->lines[out->n_lines - 1];
        if (wd->hard_break && (ln->n > 0 || wi > 0)) {
            new_line(out);
            ln = &out->lines[out->n_lines - 1];
        }
        /* A formula that would be cut goes to the next line whole, when it
         * fits on one; a longer one breaks where it must. */
        int gw = glued[wi] ? 0 : glued_width(&s, glued, wi);
        if (ln->width > 0 && gw > wd->width && gw <= width && ln->width + 1 + gw > width) {
            new_line(out);
            ln = &out->lines[out->n_lines - 1];
        }
        if (ln->width > 0 && ln->width + 1 + wd->width > width) {
            new_line(out);
            ln = &out->lines[out->n_lines - 1];
        }
        if (ln->width > 0) {
            push_seg(out, (WrapSeg){wd->sp_span, wd->sp_off, 1});
            ln = &out->lines[out->n_lines - 1];
            ln->width += 1;
        }
        for (int pi = 0; pi < wd->n; pi++) {
            const Piece *p = &s.pieces[wd->first + pi];
            const char *t = spans[p->span].text;
            int off = p->off, left = p->len;
            while (left > 0) {
                ln = &out->lines[out->n_lines - 1];
                int used = 0;
                size_t fit = utf8_fit(t + off, (size_t)left, width - ln->width, &used);
                if (fit == 0) {
                    if (ln->width > 0) {
                        new_line(out);
                        continue;
                    }
                    /* Not even one character fits an empty line: take one. */
                    uint32_t cp;
                    fit = (size_t)utf8_decode(t + off, (size_t)left, &cp);
                    used = uc_width(cp);
                }
                /* Keep combining marks with their base character. */
                while ((int)fit < left) {
                    uint32_t cp;
                    int n = utf8_decode(t + off + fit, (size_t)left - fit, &cp);
                    if (uc_width(cp) != 0) break;
                    fit += (size_t)n;
                }
                push_seg(out, (WrapSeg){p->span, off, (int)fit});
                out->lines[out->n_lines - 1].width += used;
                off += (int)fit;
                left -= (int)fit;
                if (left > 0) new_line(out);
            }
        }
    }
    free(glued);
    free(s.pieces);
    free(s.words);
}

void wrap_free(Wrap *w)
{
    if (!w) return;
    free(w->lines);
    free(w->segs);
    memset(w, 0, sizeof *w);
}

char *wrap_line_text(const Wrap *w, const WrapSpan *spans, int i)
{
    if (i < 0 || i >= w->n_lines) return vmem_strdup("");
    const WrapLine *ln = &w->lines[i];
    size_t total = 1;
    for (int k = 0; k < ln->n; k++) total += (size_t)w->segs[ln->first + k].len;
    char *out = vmem_alloc(total);
    size_t n = 0;
    for (int k = 0; k < ln->n; k++) {
        const WrapSeg *sg = &w->segs[ln->first + k];
        if (sg->span < 0) {
            out[n++] = ' ';
            continue;
        }
        memcpy(out + n, spans[sg->span].text + sg->off, (size_t)sg->len);
        n += (size_t)sg->len;
    }
    out[n] = 0;
    return out;
}
