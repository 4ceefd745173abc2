/* keys.c — the key table: every binding lorascope has, as data. */
#include "keys.h"

#include <stdio.h>
#include <string.h>

#include "utf8.h"

const KeyBinding keymap[] = {
    /* Everywhere. */
    {KCTX_ANY, ACT_HELP, {'?', VK_F1}, "show every key (this screen)"},
    {KCTX_ANY, ACT_QUIT, {'q', VK_CTRL_C}, "quit (progress is saved)"},
    {KCTX_ANY, ACT_SCROLL_UP, {VK_UP, 'k'}, "scroll up a line"},
    {KCTX_ANY, ACT_SCROLL_DOWN, {VK_DOWN, 'j'}, "scroll down a line"},
    {KCTX_ANY, ACT_SCREEN_UP, {VK_PGUP, 'u'}, "scroll up a screen"},
    {KCTX_ANY, ACT_SCREEN_DOWN, {VK_PGDN, ' ', 'd'}, "scroll down a screen"},
    {KCTX_ANY, ACT_TOP, {'g', VK_HOME}, "go to the top"},
    {KCTX_ANY, ACT_BOTTOM, {'G', VK_END}, "go to the bottom"},
    {KCTX_ANY, ACT_SEARCH, {'/'}, "search the lesson (or the contents)"},
    {KCTX_ANY, ACT_SEARCH_NEXT, {'*'}, "next search match"},
    {KCTX_ANY, ACT_SEARCH_PREV, {'#'}, "previous search match"},
    {KCTX_ANY, ACT_THEME, {'T'}, "next colour theme (dark, light, contrast)"},
    {KCTX_ANY, ACT_PRESENT, {'P', VK_F5}, "presentation mode on/off"},
    /* Contents. */
    {KCTX_TOC, ACT_OPEN, {VK_ENTER, VK_RIGHT, 'l', 'o'}, "open the selected lesson where you left it"},
    {KCTX_TOC, ACT_SCROLL_UP, {VK_UP, 'k'}, "select the lesson above"},
    {KCTX_TOC, ACT_SCROLL_DOWN, {VK_DOWN, 'j', VK_TAB}, "select the lesson below"},
    /* Reading. */
    {KCTX_PAGE, ACT_NEXT_PAGE, {'n', VK_RIGHT, 'l'}, "next page"},
    {KCTX_PAGE, ACT_PREV_PAGE, {'p', VK_LEFT, 'h'}, "previous page"},
    {KCTX_PAGE, ACT_FOCUS_NEXT, {VK_TAB}, "focus the next widget or question"},
    {KCTX_PAGE, ACT_FOCUS_PREV, {VK_BTAB}, "focus the previous widget"},
    {KCTX_PAGE, ACT_CONTENTS, {'t', VK_BACKSPACE}, "back to the contents"},
    {KCTX_PAGE, ACT_UNFOCUS, {VK_ESC}, "clear the search highlight (Esc never leaves the lesson)"},
    {KCTX_PAGE, ACT_SEARCH_NEXT, {'N'}, "next search match"},
    {KCTX_PAGE, ACT_JUMP, {'1', '2', '3', '4', '5', '6'}, "digits, then Enter: go to that page (1-9, 0 too)"},
    /* A focused widget. */
    {KCTX_WIDGET, ACT_DEC, {VK_LEFT, 'h', '[', '-'}, "slider: one step down"},
    {KCTX_WIDGET, ACT_INC, {VK_RIGHT, 'l', ']', '+', '='}, "slider: one step up"},
    {KCTX_WIDGET, ACT_DEC_BIG, {VK_SLEFT, 'H', '{', '_'}, "slider: a big step down"},
    {KCTX_WIDGET, ACT_INC_BIG, {VK_SRIGHT, 'L', '}'}, "slider: a big step up"},
    {KCTX_WIDGET, ACT_MIN, {'0', '<'}, "slider: minimum"},
    {KCTX_WIDGET, ACT_MAX, {'$', '>'}, "slider: maximum"},
    {KCTX_WIDGET, ACT_ANSWER, {'1', '2', '3', '4', '5', '6'}, "question: choose an answer (1-9)"},
    {KCTX_WIDGET, ACT_OPEN, {VK_ENTER}, "question: type a number / grid: edit a cell"},
    {KCTX_WIDGET, ACT_HINT, {'i'}, "question: show its hint"},
    {KCTX_WIDGET, ACT_OPEN_FILE, {'o'}, "lab: open a results file (lorascope finetune --json)"},
    {KCTX_WIDGET, ACT_RERUN_CELL, {'r'}, "lab: re-run one cell of the shipped (or opened) experiment live"},
    {KCTX_WIDGET, ACT_FOCUS_NEXT, {VK_TAB}, "focus the next widget"},
    {KCTX_WIDGET, ACT_FOCUS_PREV, {VK_BTAB}, "focus the previous widget"},
    {KCTX_WIDGET, ACT_UNFOCUS, {VK_ESC}, "leave the widget (arrows page again)"},
    {KCTX_WIDGET, ACT_NEXT_PAGE, {'n'}, "next page"},
    {KCTX_WIDGET, ACT_PREV_PAGE, {'p'}, "previous page"},
    /* Presentation mode (clickers send PgDn/PgUp, Right/Left, b or .). */
    {KCTX_PRESENT, ACT_REVEAL_NEXT, {VK_PGDN, VK_RIGHT, ' ', 'n', VK_ENTER}, "reveal the next block, then the next page"},
    {KCTX_PRESENT, ACT_REVEAL_PREV, {VK_PGUP, VK_LEFT, 'p', VK_BACKSPACE}, "hide the last block, then the previous page"},
    {KCTX_PRESENT, ACT_BLANK, {'b', '.'}, "blank the screen (any key returns)"},
    {KCTX_PRESENT, ACT_FOCUS_NEXT, {VK_TAB}, "focus a widget"},
    {KCTX_PRESENT, ACT_PRESENT, {VK_ESC, 'P', VK_F5}, "leave presentation mode"},
    {KCTX_COUNT, ACT_NONE, {0}, NULL},
};

static Action lookup_in(int key, KeyCtx ctx)
{
    for (int i = 0; keymap[i].action != ACT_NONE; i++) {
        if (keymap[i].ctx != ctx) continue;
        for (int k = 0; k < KEYMAP_MAX_KEYS && keymap[i].keys[k]; k++)
            if (keymap[i].keys[k] == key) return keymap[i].action;
    }
    return ACT_NONE;
}

Action keymap_lookup(int key, const KeyCtx *ctxs, int n_ctxs)
{
    for (int i = 0; i < n_ctxs; i++) {
        Action a = lookup_in(key, ctxs[i]);
        if (a != ACT_NONE) return a;
    }
    /* Digits beyond the six listed still answer questions, or go to a page. */
    if ((key >= '7' && key <= '9') || key == '0') {
        for (int i = 0; i < n_ctxs; i++) {
            if (ctxs[i] == KCTX_WIDGET && key != '0') return ACT_ANSWER;
            if (ctxs[i] == KCTX_PAGE) return ACT_JUMP;
        }
    }
    return lookup_in(key, KCTX_ANY);
}

typedef struct KeyNameEntry {
    int key;
    const char *utf8, *ascii;
} KeyNameEntry;

static const KeyNameEntry key_names[] = {
    {VK_UP, "↑", "Up"},          {VK_DOWN, "↓", "Down"},
    {VK_LEFT, "←", "Left"},      {VK_RIGHT, "→", "Right"},
    {VK_SUP, "Shift+↑", "S-Up"}, {VK_SDOWN, "Shift+↓", "S-Down"},
    {VK_SLEFT, "Shift+←", "S-Left"}, {VK_SRIGHT, "Shift+→", "S-Right"},
    {VK_PGUP, "PgUp", "PgUp"},   {VK_PGDN, "PgDn", "PgDn"},
    {VK_HOME, "Home", "Home"},   {VK_END, "End", "End"},
    {VK_ENTER, "Enter", "Enter"}, {VK_TAB, "Tab", "Tab"},
    {VK_BTAB, "Shift+Tab", "S-Tab"}, {VK_ESC, "Esc", "Esc"},
    {VK_BACKSPACE, "Backspace", "Backspace"}, {VK_DELETE, "Del", "Del"},
    {VK_F1, "F1", "F1"},         {VK_F5, "F5", "F5"},
    {' ', "Space", "Space"},     {VK_CTRL_C, "Ctrl-C", "Ctrl-C"},
};

const char *vk_name(int key, bool ascii, char *buf, int size)
{
    for (size_t i = 0; i < sizeof key_names / sizeof key_names[0]; i++)
        if (key_names[i].key == key) {
            snprintf(buf, (size_t)size, "%s", ascii ? key_names[i].ascii : key_names[i].utf8);
            return buf;
        }
    if (key > 0 && key < 32) {
        snprintf(buf, (size_t)size, "Ctrl-%c", '@' + key);
    } else if (key < VK_BASE && key > 0) {
        char u[5] = {0};
        utf8_encode((uint32_t)key, u);
        snprintf(buf, (size_t)size, "%s", u);
    } else {
        snprintf(buf, (size_t)size, "key %d", key);
    }
    return buf;
}

const char *keyctx_title(KeyCtx ctx)
{
    static const char *const titles[KCTX_COUNT] = {
        [KCTX_ANY] = "Everywhere",
        [KCTX_TOC] = "Contents",
        [KCTX_PAGE] = "Reading a page",
        [KCTX_WIDGET] = "A focused widget (Tab to focus)",
        [KCTX_PRESENT] = "Presentation mode",
    };
    return ctx < KCTX_COUNT ? titles[ctx] : "";
}
