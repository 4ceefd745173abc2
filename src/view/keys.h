/* keys.h — key codes and actions, and the key table that binds them.
 *
 * src/ui translates curses key codes into these (so nothing here needs
 * curses). Printable keys are their Unicode code point; control keys are
 * 1..31 (Ctrl-C is 3); special keys live above the Unicode range.
 * Bindings are data (the keymap table in keys.c): a context, an action and
 * the keys that trigger it. The help screen is generated from the same
 * table, so it always shows every key. */
#ifndef LS_VIEW_KEYS_H
#define LS_VIEW_KEYS_H

#include <stdbool.h>

enum {
    VK_BASE = 0x110000,
    VK_UP, VK_DOWN, VK_LEFT, VK_RIGHT,
    VK_SUP, VK_SDOWN, VK_SLEFT, VK_SRIGHT, /* with Shift */
    VK_PGUP, VK_PGDN, VK_HOME, VK_END,
    VK_ENTER, VK_TAB, VK_BTAB, VK_ESC, VK_BACKSPACE, VK_DELETE,
    VK_F1, VK_F2, VK_F3, VK_F4, VK_F5, VK_F6, VK_F7, VK_F8, VK_F9, VK_F10,
    VK_RESIZE,
    VK_CTRL_C = 3,
};

typedef enum Action {
    ACT_NONE,
    ACT_QUIT,
    ACT_HELP,
    ACT_SCROLL_UP,
    ACT_SCROLL_DOWN,
    ACT_SCREEN_UP,      /* one screen */
    ACT_SCREEN_DOWN,
    ACT_TOP,
    ACT_BOTTOM,
    ACT_NEXT_PAGE,
    ACT_PREV_PAGE,
    ACT_OPEN,           /* Enter: open the lesson / activate the widget */
    ACT_CONTENTS,       /* back to the table of contents */
    ACT_FOCUS_NEXT,
    ACT_FOCUS_PREV,
    ACT_UNFOCUS,
    ACT_DEC,            /* focused slider: one step */
    ACT_INC,
    ACT_DEC_BIG,        /* ... a big step */
    ACT_INC_BIG,
    ACT_MIN,
    ACT_MAX,
    ACT_ANSWER,         /* digits 1-9: pick a choice */
    ACT_HINT,           /* a focused question: show its hint */
    ACT_SEARCH,
    ACT_SEARCH_NEXT,
    ACT_SEARCH_PREV,
    ACT_PRESENT,        /* toggle presentation mode */
    ACT_REVEAL_NEXT,    /* presentation: next block (or page) */
    ACT_REVEAL_PREV,
    ACT_BLANK,          /* presentation: blank the screen */
    ACT_THEME,          /* next theme */
    ACT_JUMP,           /* a digit: start typing a page number to go to */
    ACT_OPEN_FILE,      /* a focused lab: open a results file */
    ACT_RERUN_CELL,     /* a focused lab: re-run one cell of an experiment live */
    ACT_COUNT
} Action;

typedef enum KeyCtx {
    KCTX_ANY,       /* everywhere */
    KCTX_TOC,       /* the table of contents */
    KCTX_PAGE,      /* reading a page, no widget focused */
    KCTX_WIDGET,    /* a widget has focus */
    KCTX_PRESENT,   /* presentation mode, no widget focused */
    KCTX_COUNT
} KeyCtx;

enum { KEYMAP_MAX_KEYS = 6 };

typedef struct KeyBinding {
    KeyCtx ctx;
    Action action;
    int keys[KEYMAP_MAX_KEYS]; /* 0-terminated */
    const char *help;          /* what it does, for the help screen */
} KeyBinding;

/* The bindings, in help-screen order; ends with an ACT_NONE entry. */
extern const KeyBinding keymap[];

/* The action bound to key, looking through ctxs in order (most specific
 * first), then KCTX_ANY. ACT_NONE when unbound. */
Action keymap_lookup(int key, const KeyCtx *ctxs, int n_ctxs);
/* A key's name for display ("↓", "PgDn", "Space", "Shift+→", "q"); ASCII
 * names when ascii is set. Returns a pointer to buf. */
const char *vk_name(int key, bool ascii, char *buf, int size);
/* A context's title for the help screen. */
const char *keyctx_title(KeyCtx ctx);

#endif
