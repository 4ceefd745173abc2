/* theme.c — the role table for each theme.
 *
 * dark:     the default, for a dark terminal background;
 * light:    for a light background (dark ink, no pale yellows);
 * contrast: black background, white and saturated colours, bold values —
 *           the projector theme presentation mode switches to. */
#include "theme.h"

#include <stddef.h>
#include <string.h>

/* xterm-256 indices used below. */
enum {
    C_BLACK = 0, C_RED = 1, C_GREEN = 2, C_YELLOW = 3, C_BLUE = 4, C_MAGENTA = 5,
    C_CYAN = 6, C_WHITE = 7, C_GRAY = 8, C_BRED = 9, C_BGREEN = 10, C_BYELLOW = 11,
    C_BBLUE = 12, C_BMAGENTA = 13, C_BCYAN = 14, C_BWHITE = 15,
    C_ORANGE = 208, C_SKY = 117, C_PINK = 211, C_LIME = 149, C_NAVY = 18,
    C_DKGRAY = 236, C_MIDGRAY = 244, C_LTGRAY = 252, C_PAPER = 254,
    C_DKBLUE = 25, C_DKGREEN = 28, C_DKRED = 124, C_BROWN = 130, C_PURPLE = 91,
    /* Black from the colour cube: xterm draws bold text in colours 0-7 in
     * their bright twins (its boldColors default), so bold "black" would be
     * grey there; 16 stays black (and still fits to 0 on 8 colours). */
    C_INK = 16,
};

#define S(f, b, a) {(short)(f), (short)(b), (a)}

/* The lab's method palette, one list for every theme: the hues a
 * registry row picks from (tune.h's TuneColour), then one colour per
 * offered size of a method with several (LoRA's ranks), ascending. xterm-256
 * colours that read on dark and light alike. A new method picks a free hue
 * in its own row; only a new hue comes here. */
#define METHOD_HUES(X)                                                                  \
    X(RED, 160) X(PINK, 205) X(TEAL, 30) X(BROWN, 130) X(NAVY, 24) X(ORCHID, 134)       \
    X(OLIVE, 100) X(SLATE, 67)
#define METHOD_RANKS(X)                                                                 \
    X(RANK1, 172) X(RANK2, 142) X(RANK3, 34) X(RANK4, 37) X(RANK5, 33) X(RANK6, 99)     \
    X(RANK7, 164) X(RANK8, 137) X(RANK9, 66) X(RANK10, 95)
#define ON_ANY(name, c) [ROLE_METHOD_##name] = S(c, -1, 0),
#define ON_BLACK(name, c) [ROLE_METHOD_##name] = S(c, C_BLACK, TA_BOLD),
#define MONO_BOLD(name, c) [ROLE_METHOD_##name] = S(-1, -1, TA_BOLD),
#define MONO_PLAIN(name, c) [ROLE_METHOD_##name] = S(-1, -1, 0),

static const Theme theme_dark = {
    .name = "dark",
    .summary = "for dark terminals (default)",
    .roles = {
        [ROLE_TEXT] = S(-1, -1, 0),
        [ROLE_DIM] = S(C_MIDGRAY, -1, 0),
        [ROLE_TITLE] = S(C_BCYAN, -1, TA_BOLD),
        [ROLE_HEADING] = S(C_SKY, -1, TA_BOLD),
        [ROLE_EMPH] = S(-1, -1, TA_ITALIC),
        [ROLE_STRONG] = S(C_BWHITE, -1, TA_BOLD),
        [ROLE_CODE] = S(C_BYELLOW, -1, 0),
        [ROLE_CODEBLOCK] = S(C_LTGRAY, C_DKGRAY, 0),
        [ROLE_LINK] = S(C_SKY, -1, TA_UNDERLINE),
        [ROLE_QUOTE] = S(C_LIME, -1, TA_ITALIC),
        [ROLE_BULLET] = S(C_BCYAN, -1, 0),
        [ROLE_RULE] = S(C_MIDGRAY, -1, 0),
        [ROLE_TOPBAR] = S(C_BWHITE, C_DKBLUE, TA_BOLD),
        [ROLE_BOTTOMBAR] = S(C_LTGRAY, C_DKGRAY, 0),
        [ROLE_KEY] = S(C_BYELLOW, C_DKGRAY, TA_BOLD),
        [ROLE_SELECTED] = S(C_BLACK, C_SKY, 0),
        [ROLE_FOCUS] = S(C_BYELLOW, -1, TA_BOLD),
        [ROLE_FRAME] = S(C_MIDGRAY, -1, 0),
        [ROLE_LABEL] = S(C_LTGRAY, -1, 0),
        [ROLE_VALUE] = S(C_BWHITE, -1, TA_BOLD),
        [ROLE_TRACK] = S(C_MIDGRAY, -1, 0),
        [ROLE_FILL] = S(C_BCYAN, -1, 0),
        [ROLE_KNOB] = S(C_BYELLOW, -1, TA_BOLD),
        [ROLE_AXIS] = S(C_MIDGRAY, -1, 0),
        [ROLE_SERIES1] = S(C_BCYAN, -1, 0),
        [ROLE_SERIES2] = S(C_ORANGE, -1, 0),
        [ROLE_SERIES3] = S(C_BGREEN, -1, 0),
        [ROLE_SERIES4] = S(C_PINK, -1, 0),
        [ROLE_CUTOFF] = S(C_BRED, -1, TA_BOLD),
        [ROLE_KEPT] = S(C_BCYAN, -1, 0),
        [ROLE_DROPPED] = S(C_GRAY, -1, 0),
        [ROLE_GOOD] = S(C_BGREEN, -1, TA_BOLD),
        [ROLE_BAD] = S(C_BRED, -1, TA_BOLD),
        [ROLE_WARN] = S(C_BYELLOW, -1, 0),
        [ROLE_ERROR] = S(C_BRED, -1, TA_BOLD),
        [ROLE_MATCH] = S(C_BLACK, C_BYELLOW, 0),
        [ROLE_DONE] = S(C_BGREEN, -1, 0),
        [ROLE_TODO] = S(C_MIDGRAY, -1, 0),
        [ROLE_PROMPT] = S(C_BWHITE, C_NAVY, 0),
        METHOD_HUES(ON_ANY) METHOD_RANKS(ON_ANY)
    },
};

static const Theme theme_light = {
    .name = "light",
    .summary = "for light terminals",
    .roles = {
        [ROLE_TEXT] = S(-1, -1, 0),
        [ROLE_DIM] = S(C_MIDGRAY, -1, 0),
        [ROLE_TITLE] = S(C_DKBLUE, -1, TA_BOLD),
        [ROLE_HEADING] = S(C_PURPLE, -1, TA_BOLD),
        [ROLE_EMPH] = S(-1, -1, TA_ITALIC),
        [ROLE_STRONG] = S(C_INK, -1, TA_BOLD),
        [ROLE_CODE] = S(C_BROWN, -1, 0),
        [ROLE_CODEBLOCK] = S(C_BLACK, C_PAPER, 0),
        [ROLE_LINK] = S(C_DKBLUE, -1, TA_UNDERLINE),
        [ROLE_QUOTE] = S(C_DKGREEN, -1, TA_ITALIC),
        [ROLE_BULLET] = S(C_DKBLUE, -1, 0),
        [ROLE_RULE] = S(C_MIDGRAY, -1, 0),
        [ROLE_TOPBAR] = S(C_BWHITE, C_DKBLUE, TA_BOLD),
        [ROLE_BOTTOMBAR] = S(C_BLACK, C_LTGRAY, 0),
        [ROLE_KEY] = S(C_DKRED, C_LTGRAY, TA_BOLD),
        [ROLE_SELECTED] = S(C_BWHITE, C_DKBLUE, 0),
        [ROLE_FOCUS] = S(C_DKRED, -1, TA_BOLD),
        [ROLE_FRAME] = S(C_MIDGRAY, -1, 0),
        [ROLE_LABEL] = S(C_DKGRAY, -1, 0),
        [ROLE_VALUE] = S(C_INK, -1, TA_BOLD),
        [ROLE_TRACK] = S(C_MIDGRAY, -1, 0),
        [ROLE_FILL] = S(C_DKBLUE, -1, 0),
        [ROLE_KNOB] = S(C_DKRED, -1, TA_BOLD),
        [ROLE_AXIS] = S(C_MIDGRAY, -1, 0),
        [ROLE_SERIES1] = S(C_DKBLUE, -1, 0),
        [ROLE_SERIES2] = S(C_ORANGE, -1, 0),
        [ROLE_SERIES3] = S(C_DKGREEN, -1, 0),
        [ROLE_SERIES4] = S(C_PURPLE, -1, 0),
        [ROLE_CUTOFF] = S(C_DKRED, -1, TA_BOLD),
        [ROLE_KEPT] = S(C_DKBLUE, -1, 0),
        [ROLE_DROPPED] = S(C_MIDGRAY, -1, 0),
        [ROLE_GOOD] = S(C_DKGREEN, -1, TA_BOLD),
        [ROLE_BAD] = S(C_DKRED, -1, TA_BOLD),
        [ROLE_WARN] = S(C_BROWN, -1, 0),
        [ROLE_ERROR] = S(C_DKRED, -1, TA_BOLD),
        [ROLE_MATCH] = S(C_BLACK, C_BYELLOW, 0),
        [ROLE_DONE] = S(C_DKGREEN, -1, 0),
        [ROLE_TODO] = S(C_MIDGRAY, -1, 0),
        [ROLE_PROMPT] = S(C_BLACK, C_PAPER, 0),
        METHOD_HUES(ON_ANY) METHOD_RANKS(ON_ANY)
    },
};

static const Theme theme_contrast = {
    .name = "contrast",
    .summary = "high contrast: black background, bright colours (projectors)",
    .roles = {
        [ROLE_TEXT] = S(C_BWHITE, C_BLACK, 0),
        [ROLE_DIM] = S(C_LTGRAY, C_BLACK, 0),
        [ROLE_TITLE] = S(C_BYELLOW, C_BLACK, TA_BOLD),
        [ROLE_HEADING] = S(C_BCYAN, C_BLACK, TA_BOLD),
        [ROLE_EMPH] = S(C_BWHITE, C_BLACK, TA_UNDERLINE),
        [ROLE_STRONG] = S(C_BWHITE, C_BLACK, TA_BOLD),
        [ROLE_CODE] = S(C_BGREEN, C_BLACK, TA_BOLD),
        [ROLE_CODEBLOCK] = S(C_BGREEN, C_BLACK, 0),
        [ROLE_LINK] = S(C_BCYAN, C_BLACK, TA_UNDERLINE | TA_BOLD),
        [ROLE_QUOTE] = S(C_BWHITE, C_BLACK, TA_ITALIC),
        [ROLE_BULLET] = S(C_BYELLOW, C_BLACK, TA_BOLD),
        [ROLE_RULE] = S(C_BWHITE, C_BLACK, 0),
        [ROLE_TOPBAR] = S(C_BLACK, C_BYELLOW, TA_BOLD),
        [ROLE_BOTTOMBAR] = S(C_BLACK, C_BWHITE, 0),
        [ROLE_KEY] = S(C_BLACK, C_BWHITE, TA_BOLD),
        [ROLE_SELECTED] = S(C_BLACK, C_BYELLOW, TA_BOLD),
        [ROLE_FOCUS] = S(C_BYELLOW, C_BLACK, TA_BOLD),
        [ROLE_FRAME] = S(C_BWHITE, C_BLACK, 0),
        [ROLE_LABEL] = S(C_BWHITE, C_BLACK, 0),
        [ROLE_VALUE] = S(C_BYELLOW, C_BLACK, TA_BOLD),
        [ROLE_TRACK] = S(C_BWHITE, C_BLACK, 0),
        [ROLE_FILL] = S(C_BCYAN, C_BLACK, TA_BOLD),
        [ROLE_KNOB] = S(C_BYELLOW, C_BLACK, TA_BOLD),
        [ROLE_AXIS] = S(C_BWHITE, C_BLACK, 0),
        [ROLE_SERIES1] = S(C_BCYAN, C_BLACK, TA_BOLD),
        [ROLE_SERIES2] = S(C_BYELLOW, C_BLACK, TA_BOLD),
        [ROLE_SERIES3] = S(C_BGREEN, C_BLACK, TA_BOLD),
        [ROLE_SERIES4] = S(C_BMAGENTA, C_BLACK, TA_BOLD),
        [ROLE_CUTOFF] = S(C_BRED, C_BLACK, TA_BOLD),
        [ROLE_KEPT] = S(C_BCYAN, C_BLACK, TA_BOLD),
        [ROLE_DROPPED] = S(C_LTGRAY, C_BLACK, 0),
        [ROLE_GOOD] = S(C_BGREEN, C_BLACK, TA_BOLD),
        [ROLE_BAD] = S(C_BRED, C_BLACK, TA_BOLD),
        [ROLE_WARN] = S(C_BYELLOW, C_BLACK, TA_BOLD),
        [ROLE_ERROR] = S(C_BRED, C_BLACK, TA_BOLD),
        [ROLE_MATCH] = S(C_BLACK, C_BYELLOW, TA_BOLD),
        [ROLE_DONE] = S(C_BGREEN, C_BLACK, TA_BOLD),
        [ROLE_TODO] = S(C_LTGRAY, C_BLACK, 0),
        [ROLE_PROMPT] = S(C_BLACK, C_BWHITE, 0),
        METHOD_HUES(ON_BLACK) METHOD_RANKS(ON_BLACK)
    },
};

const Theme theme_mono = {
    .name = "mono",
    .summary = "attributes only (NO_COLOR or no colour support)",
    .roles = {
        [ROLE_TEXT] = S(-1, -1, 0),
        [ROLE_DIM] = S(-1, -1, TA_DIM),
        [ROLE_TITLE] = S(-1, -1, TA_BOLD | TA_UNDERLINE),
        [ROLE_HEADING] = S(-1, -1, TA_BOLD),
        [ROLE_EMPH] = S(-1, -1, TA_ITALIC),
        [ROLE_STRONG] = S(-1, -1, TA_BOLD),
        [ROLE_CODE] = S(-1, -1, TA_BOLD),
        [ROLE_CODEBLOCK] = S(-1, -1, 0),
        [ROLE_LINK] = S(-1, -1, TA_UNDERLINE),
        [ROLE_QUOTE] = S(-1, -1, TA_ITALIC),
        [ROLE_BULLET] = S(-1, -1, TA_BOLD),
        [ROLE_RULE] = S(-1, -1, 0),
        [ROLE_TOPBAR] = S(-1, -1, TA_REVERSE | TA_BOLD),
        [ROLE_BOTTOMBAR] = S(-1, -1, TA_REVERSE),
        [ROLE_KEY] = S(-1, -1, TA_REVERSE | TA_BOLD),
        [ROLE_SELECTED] = S(-1, -1, TA_REVERSE),
        [ROLE_FOCUS] = S(-1, -1, TA_BOLD | TA_UNDERLINE),
        [ROLE_FRAME] = S(-1, -1, 0),
        [ROLE_LABEL] = S(-1, -1, 0),
        [ROLE_VALUE] = S(-1, -1, TA_BOLD),
        [ROLE_TRACK] = S(-1, -1, 0),
        [ROLE_FILL] = S(-1, -1, TA_BOLD),
        [ROLE_KNOB] = S(-1, -1, TA_REVERSE | TA_BOLD),
        [ROLE_AXIS] = S(-1, -1, 0),
        [ROLE_SERIES1] = S(-1, -1, TA_BOLD),
        [ROLE_SERIES2] = S(-1, -1, 0),
        [ROLE_SERIES3] = S(-1, -1, TA_DIM),
        [ROLE_SERIES4] = S(-1, -1, TA_UNDERLINE),
        [ROLE_CUTOFF] = S(-1, -1, TA_BOLD),
        [ROLE_KEPT] = S(-1, -1, TA_BOLD),
        [ROLE_DROPPED] = S(-1, -1, TA_DIM),
        [ROLE_GOOD] = S(-1, -1, TA_BOLD),
        [ROLE_BAD] = S(-1, -1, TA_BOLD | TA_UNDERLINE),
        [ROLE_WARN] = S(-1, -1, TA_BOLD),
        [ROLE_ERROR] = S(-1, -1, TA_BOLD | TA_REVERSE),
        [ROLE_MATCH] = S(-1, -1, TA_REVERSE),
        [ROLE_DONE] = S(-1, -1, TA_BOLD),
        [ROLE_TODO] = S(-1, -1, TA_DIM),
        [ROLE_PROMPT] = S(-1, -1, TA_REVERSE),
        METHOD_HUES(MONO_BOLD) METHOD_RANKS(MONO_PLAIN)
        /* Without colour the curves carry marks (F, P, Q, the rank). */
    },
};

const Theme *const theme_table[] = {&theme_dark, &theme_light, &theme_contrast, NULL};

const Theme *theme_find(const char *name)
{
    for (int i = 0; theme_table[i]; i++)
        if (strcmp(theme_table[i]->name, name) == 0) return theme_table[i];
    if (strcmp(name, "mono") == 0) return &theme_mono;
    return NULL;
}

const Theme *theme_next(const Theme *t)
{
    for (int i = 0; theme_table[i]; i++)
        if (theme_table[i] == t) return theme_table[i + 1] ? theme_table[i + 1] : theme_table[0];
    return theme_table[0];
}

unsigned theme_palette_rgb(int index)
{
    static const unsigned basic[16] = {
        0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5,
        0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00, 0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff,
    };
    if (index < 0) return 0;
    if (index < 16) return basic[index];
    if (index < 232) {
        static const unsigned lv[6] = {0, 95, 135, 175, 215, 255};
        int i = index - 16;
        return (lv[i / 36] << 16) | (lv[(i / 6) % 6] << 8) | lv[i % 6];
    }
    if (index < 256) {
        unsigned g = 8 + 10 * (unsigned)(index - 232);
        return (g << 16) | (g << 8) | g;
    }
    return 0xffffff;
}

short theme_fit_colour(short c, int ncolors)
{
    if (c < 0 || c < ncolors) return c;
    int n = ncolors >= 16 ? 16 : 8;
    if (ncolors < 8) return -1;
    unsigned rgb = theme_palette_rgb(c);
    int r = (int)(rgb >> 16), g = (int)((rgb >> 8) & 255), b = (int)(rgb & 255);
    int best = 0;
    long bestd = -1;
    for (int i = 0; i < n; i++) {
        unsigned p = theme_palette_rgb(i);
        long dr = r - (int)(p >> 16), dg = g - (int)((p >> 8) & 255), db = b - (int)(p & 255);
        long d = dr * dr + dg * dg + db * db;
        if (bestd < 0 || d < bestd) bestd = d, best = i;
    }
    return (short)best;
}

short theme_gray256(float v)
{
    /* Gray levels available in the xterm palette, with their indices. */
    static const struct {
        unsigned char level;
        unsigned char index;
    } grays[] = {
        {0, 16},    {8, 232},   {18, 233},  {28, 234},  {38, 235},  {48, 236},
        {58, 237},  {68, 238},  {78, 239},  {88, 240},  {95, 59},   {98, 241},
        {108, 242}, {118, 243}, {128, 244}, {135, 102}, {138, 245}, {148, 246},
        {158, 247}, {168, 248}, {175, 145}, {178, 249}, {188, 250}, {198, 251},
        {208, 252}, {215, 188}, {218, 253}, {228, 254}, {238, 255}, {255, 231},
    };
    if (!(v > 0)) v = 0; /* NaN too */
    if (v > 1) v = 1;
    int target = (int)(v * 255.0f + 0.5f);
    int best = 0, bestd = 1000;
    for (size_t i = 0; i < sizeof grays / sizeof grays[0]; i++) {
        int d = target - grays[i].level;
        if (d < 0) d = -d;
        if (d < bestd) bestd = d, best = (int)i;
    }
    return grays[best].index;
}

bool theme_no_color(const char *no_color_env)
{
    return no_color_env && no_color_env[0];
}
