/* theme.h — colour roles and the themes that give them colours.
 *
 * Widgets never name a colour: they name a role (ROLE_VALUE, ROLE_CUTOFF …),
 * and the active theme says how that role looks (the htop pattern). A colour
 * is an xterm-256 palette index or -1 for the terminal's default. Terminals
 * with fewer colours get the nearest basic colour (theme_fit_colour); with
 * NO_COLOR or no colour support the "mono" theme uses attributes only.
 * No curses here: src/ui turns a RoleStyle into colour pairs. */
#ifndef LS_VIEW_THEME_H
#define LS_VIEW_THEME_H

#include <stdbool.h>

typedef enum Role {
    ROLE_TEXT,      /* body text */
    ROLE_DIM,       /* secondary text, hints */
    ROLE_TITLE,     /* page title, level-1/2 headings */
    ROLE_HEADING,   /* level-3+ headings */
    ROLE_EMPH,      /* *emphasis* */
    ROLE_STRONG,    /* **strong** */
    ROLE_CODE,      /* `inline code` */
    ROLE_CODEBLOCK, /* fenced code */
    ROLE_LINK,      /* [links](url) */
    ROLE_QUOTE,     /* block quote text and bar */
    ROLE_BULLET,    /* list markers */
    ROLE_RULE,      /* thematic breaks, separators */
    ROLE_TOPBAR,    /* title bar */
    ROLE_BOTTOMBAR, /* status bar */
    ROLE_KEY,       /* a key name in the status bar or help */
    ROLE_SELECTED,  /* selected row (contents, search) */
    ROLE_FOCUS,     /* the focused widget's label and frame */
    ROLE_FRAME,     /* widget frames */
    ROLE_LABEL,     /* widget labels */
    ROLE_VALUE,     /* live numbers */
    ROLE_TRACK,     /* slider track */
    ROLE_FILL,      /* slider fill */
    ROLE_KNOB,      /* slider knob */
    ROLE_AXIS,      /* plot axes and ticks */
    ROLE_SERIES1,   /* plot series, in legend order */
    ROLE_SERIES2,
    ROLE_SERIES3,
    ROLE_SERIES4,
    ROLE_CUTOFF,    /* the rank cut-off line */
    ROLE_KEPT,      /* bars kept by the approximation */
    ROLE_DROPPED,   /* bars dropped */
    ROLE_GOOD,      /* right answer, checks that hold */
    ROLE_BAD,       /* wrong answer */
    ROLE_WARN,
    ROLE_ERROR,     /* diagnostics */
    ROLE_MATCH,     /* search hits */
    ROLE_DONE,      /* progress: done */
    ROLE_TODO,      /* progress: to do */
    ROLE_PROMPT,    /* the search / input line */
    ROLE_METHOD_RED,    /* the lab's method hues (tune.h's TuneColour; theme.c's METHOD_HUES) */
    ROLE_METHOD_PINK,
    ROLE_METHOD_TEAL,
    ROLE_METHOD_BROWN,
    ROLE_METHOD_NAVY,
    ROLE_METHOD_ORCHID,
    ROLE_METHOD_OLIVE,
    ROLE_METHOD_SLATE,
    ROLE_METHOD_RANK1,  /* a method offered at several sizes: one per size, ascending */
    ROLE_METHOD_RANK2,
    ROLE_METHOD_RANK3,
    ROLE_METHOD_RANK4,
    ROLE_METHOD_RANK5,
    ROLE_METHOD_RANK6,
    ROLE_METHOD_RANK7,
    ROLE_METHOD_RANK8,
    ROLE_METHOD_RANK9,
    ROLE_METHOD_RANK10,
    ROLE_COUNT
} Role;

/* Attributes, combinable. */
enum {
    TA_BOLD = 1 << 0,
    TA_UNDERLINE = 1 << 1,
    TA_REVERSE = 1 << 2,
    TA_DIM = 1 << 3,
    TA_ITALIC = 1 << 4,
};

typedef struct RoleStyle {
    short fg, bg;   /* xterm-256 index, -1 = terminal default */
    unsigned attrs; /* TA_* */
} RoleStyle;

typedef struct Theme {
    const char *name;      /* "dark" */
    const char *summary;
    RoleStyle roles[ROLE_COUNT];
} Theme;

/* The themes a user may choose, in cycle order; NULL-terminated. */
extern const Theme *const theme_table[];
/* Attributes only: for NO_COLOR and terminals without colour. */
extern const Theme theme_mono;

/* The theme called name, or NULL. */
const Theme *theme_find(const char *name);
/* The next theme in theme_table after t (wraps). */
const Theme *theme_next(const Theme *t);
/* A colour the terminal can show: c itself when c < ncolors, else the
 * nearest of the first ncolors (8 or 16) by RGB distance. -1 stays -1. */
short theme_fit_colour(short c, int ncolors);
/* The RGB value (0xRRGGBB) of an xterm-256 palette index. */
unsigned theme_palette_rgb(int index);
/* The xterm-256 index nearest to gray level v in [0, 1] (the 24-step ramp
 * plus black, white and the cube's grays). */
short theme_gray256(float v);
/* True when NO_COLOR is set to a non-empty value (no-color.org). */
bool theme_no_color(const char *no_color_env);

#endif
