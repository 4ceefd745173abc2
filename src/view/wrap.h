/* wrap.h — word wrapping of styled text to a column width.
 *
 * Input is a list of spans (text + role), as a paragraph's emphasis, code
 * and links come from the lesson. Output is lines of segments, each segment
 * a byte range of one span, so the caller draws every piece in its own role.
 * Widths are terminal columns (wide characters count 2, combining marks 0).
 * Greedy filling: a word goes on the current line when it fits, else on the
 * next; a word longer than the width is broken between characters. A '\n' in
 * a span forces a break (CommonMark hard line breaks). */
#ifndef LS_VIEW_WRAP_H
#define LS_VIEW_WRAP_H

typedef struct WrapSpan {
    const char *text;  /* UTF-8 */
    int role;          /* passed through to the caller */
} WrapSpan;

typedef struct WrapSeg {
    int span;          /* index into the spans; -1 = one synthetic space */
    int off, len;      /* byte range in spans[span].text */
} WrapSeg;

typedef struct WrapLine {
    int first, n;      /* segments [first, first + n) */
    int width;         /* columns used */
} WrapLine;

typedef struct Wrap {
    WrapLine *lines;
    int n_lines, cap_lines;
    WrapSeg *segs;
    int n_segs, cap_segs;
} Wrap;

/* Wrap spans to width columns (width >= 1). Always yields at least one line
 * (an empty paragraph gives one empty line). Free with wrap_free. */
void wrap_spans(Wrap *out, const WrapSpan *spans, int n_spans, int width);
void wrap_free(Wrap *w);
/* Line i as one malloc'd string (tests, search). */
char *wrap_line_text(const Wrap *w, const WrapSpan *spans, int i);

#endif
