/* grid.h — the screen model: a rectangle of styled character cells.
 *
 * Everything the interface shows is first drawn into a Grid (the tmux
 * pattern): lesson text, widgets, bars. src/ui then emits the grid to the
 * terminal once per loop turn. Because a Grid is plain memory, layout and
 * widgets are tested without a terminal.
 *
 * A cell holds one character (UTF-8, plus any combining marks that follow
 * it) with a role and optional explicit colours (images and heatmaps need
 * per-cell colours; text uses its role's). A wide character occupies its
 * cell and a continuation cell to its right (width 0, empty text). */
#ifndef LS_VIEW_GRID_H
#define LS_VIEW_GRID_H

#include <stdbool.h>
#include <stddef.h>

#include "theme.h"

/* Explicit colours: -1 = the role's; 0..255 = xterm palette;
 * GRID_RGB(r, g, b) = direct colour (used only when the terminal has it). */
#define GRID_RGB(r, g, b) (0x1000000 | ((int)(r) << 16) | ((int)(g) << 8) | (int)(b))
#define GRID_IS_RGB(c) ((c) >= 0x1000000)

enum { CELL_TEXT_MAX = 16 };

typedef struct Cell {
    char ch[CELL_TEXT_MAX]; /* UTF-8; "" for a wide character's right half */
    unsigned char width;    /* 1 or 2; 0 for a continuation */
    unsigned char role;     /* Role */
    unsigned char attrs;    /* TA_* added to the role's */
    int fg, bg;             /* explicit colours or -1 */
    unsigned short text;    /* which text of 2+ characters wrote it (0: none), for overlaps */
} Cell;

typedef struct Rect {
    int y, x, h, w;
} Rect;

/* A picture over a rectangle of cells, for terminals that show real
 * pixels (gfx.h); the cells under it hold its text fallback. */
typedef struct GridImage {
    Rect at;                /* the cells it covers */
    unsigned char *gray;    /* (h, w) 8-bit gray, owned */
    int w, h;
    unsigned long hash;     /* of size and pixels: unchanged pictures are not resent */
} GridImage;

typedef struct Grid {
    int w, h;
    Cell *cells;   /* (h, w) */
    bool ascii;    /* spell non-ASCII text in ASCII (no UTF-8 locale) */
    bool pixels;   /* the terminal shows pictures: widget_image adds them */
    Rect clip;     /* drawing outside is dropped */
    /* Text cut short by a width or the clip edge, words left undrawn (for
     * layout tests; grid_clear resets): how many times, the first text. */
    int cuts;
    char first_cut[64];
    /* Text written over another text's letters in the same frame (a label
     * running into a label): how many characters, and the first text. */
    int overlaps;
    char first_overlap[64];
    unsigned short text_seq; /* the last id given to a text */
    GridImage *images;  /* (n_images) */
    int n_images, cap_images;
} Grid;

void grid_init(Grid *g, int w, int h, bool ascii);
void grid_free(Grid *g);
/* New size; contents cleared to blanks of ROLE_TEXT. */
void grid_resize(Grid *g, int w, int h);
/* Grow to at least h rows, keeping contents (for tall page canvases). */
void grid_grow(Grid *g, int h);
/* Every cell blank with role r. */
void grid_clear(Grid *g, Role r);
/* Restrict drawing to r (intersected with the grid); grid_unclip undoes. */
void grid_clip(Grid *g, Rect r);
void grid_unclip(Grid *g);

/* The cell at (y, x) or NULL outside the grid. */
Cell *grid_at(Grid *g, int y, int x);
const Cell *grid_cat(const Grid *g, int y, int x);

/* Draw text (UTF-8) at (y, x), at most maxw columns (maxw < 0: to the clip
 * edge). A wide character that does not fit is not split. Returns the
 * columns used. Newlines and tabs become spaces. */
int grid_put(Grid *g, int y, int x, const char *s, Role r, int maxw);
int grid_putn(Grid *g, int y, int x, const char *s, size_t len, Role r, int maxw);
int grid_printf(Grid *g, int y, int x, Role r, int maxw, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Like grid_put, but text wider than maxw (>= 0) keeps only the whole words
 * that fit, then an ellipsis ("…", "..." in ASCII); never a cut word. */
int grid_put_words(Grid *g, int y, int x, const char *s, Role r, int maxw);
/* Fill a rectangle with one character (a blank when ch is NULL). */
void grid_fill(Grid *g, Rect r, const char *ch, Role role);
/* Set a cell's explicit colours / extra attributes. */
void grid_colour(Grid *g, int y, int x, int fg, int bg);
void grid_attr(Grid *g, int y, int x, unsigned attrs);
/* Change the role of every cell in a rectangle (highlights). */
void grid_recolour(Grid *g, Rect r, Role role);
/* A horizontal line of ch (a box-drawing character, or "-" in ASCII). */
void grid_hline(Grid *g, int y, int x, int w, Role r);
/* A frame around r with an optional title on its top edge. */
void grid_box(Grid *g, Rect r, Role role, const char *title, Role title_role);

/* Add a picture over the cells at (clipped away when not wholly inside the
 * clip rectangle); the pixels are copied. grid_clear and grid_resize drop
 * every picture, grid_drop_images only them. */
void grid_add_image(Grid *g, Rect at, const unsigned char *gray, int w, int h);
void grid_drop_images(Grid *g);

/* Copy h rows from src (starting at row sy) into dst at row dy, same
 * columns (both grids should have the same width; the narrower wins).
 * Pictures wholly inside the copied rows come along. */
void grid_copy_rows(Grid *dst, int dy, const Grid *src, int sy, int h);

/* Columns text takes in this grid (its ASCII spelling in an ASCII grid). */
int grid_text_width(const Grid *g, const char *s);

/* Row y as a malloc'd UTF-8 string, trailing blanks trimmed. */
char *grid_row_text(const Grid *g, int y);
/* The first column of the first occurrence of needle (case-insensitive for
 * ASCII) in row y at or after column from, or -1. */
int grid_row_find(const Grid *g, int y, const char *needle, int from);

#endif
