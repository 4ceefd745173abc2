/* utf8.c — UTF-8 decoding, cell widths (our own table) and ASCII spellings. */
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

#include "vmem.h"

int utf8_decode(const char *s, size_t len, uint32_t *cp)
{
    if (len == 0) {
        *cp = 0;
        return 0;
    }
    const unsigned char *u = (const unsigned char *)s;
    unsigned c = u[0];
    int n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    if ((size_t)n > len) {
        *cp = 0xFFFD;
        return 1;
    }
    for (int i = 1; i < n; i++) {
        if ((u[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (u[i] & 0x3F);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are malformed. */
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = v;
    return n;
}

int utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---------------------------------------------------------------------------
 * Width tables: sorted, non-overlapping inclusive ranges. */

typedef struct Range {
    uint32_t lo, hi;
} Range;

/* Combining marks and zero-width characters (the common scripts and the
 * mark blocks math and accents use). */
static const Range zero_width[] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x05BF, 0x05BF},
    {0x05C1, 0x05C2}, {0x05C4, 0x05C5}, {0x05C7, 0x05C7}, {0x0610, 0x061A},
    {0x064B, 0x065F}, {0x0670, 0x0670}, {0x06D6, 0x06DC}, {0x06DF, 0x06E4},
    {0x06E7, 0x06E8}, {0x06EA, 0x06ED}, {0x0900, 0x0902}, {0x093A, 0x093A},
    {0x093C, 0x093C}, {0x0941, 0x0948}, {0x094D, 0x094D}, {0x0951, 0x0957},
    {0x0E31, 0x0E31}, {0x0E34, 0x0E3A}, {0x0E47, 0x0E4E}, {0x1AB0, 0x1AFF},
    {0x1DC0, 0x1DFF}, {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x2064},
    {0x20D0, 0x20FF}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF},
    {0x1F3FB, 0x1F3FF}, {0xE0001, 0xE007F}, {0xE0100, 0xE01EF},
};

/* East Asian Wide / Fullwidth and emoji presentation characters. */
static const Range wide[] = {
    {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},   {0x23E9, 0x23EC},
    {0x23F0, 0x23F0},   {0x23F3, 0x23F3},   {0x25FD, 0x25FE},   {0x2614, 0x2615},
    {0x2648, 0x2653},   {0x267F, 0x267F},   {0x2693, 0x2693},   {0x26A1, 0x26A1},
    {0x26AA, 0x26AB},   {0x26BD, 0x26BE},   {0x26C4, 0x26C5},   {0x26CE, 0x26CE},
    {0x26D4, 0x26D4},   {0x26EA, 0x26EA},   {0x26F2, 0x26F3},   {0x26F5, 0x26F5},
    {0x26FA, 0x26FA},   {0x26FD, 0x26FD},   {0x2705, 0x2705},   {0x270A, 0x270B},
    {0x2728, 0x2728},   {0x274C, 0x274C},   {0x274E, 0x274E},   {0x2753, 0x2755},
    {0x2757, 0x2757},   {0x2795, 0x2797},   {0x27B0, 0x27B0},   {0x27BF, 0x27BF},
    {0x2B1B, 0x2B1C},   {0x2B50, 0x2B50},   {0x2B55, 0x2B55},   {0x2E80, 0x303E},
    {0x3041, 0x33FF},   {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},
    {0xA960, 0xA97F},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFE10, 0xFE19},
    {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x16FE0, 0x16FE4},
    {0x17000, 0x18AFF}, {0x1B000, 0x1B2FF}, {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF},
    {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A}, {0x1F200, 0x1F202}, {0x1F210, 0x1F23B},
    {0x1F240, 0x1F248}, {0x1F250, 0x1F251}, {0x1F260, 0x1F265}, {0x1F300, 0x1F320},
    {0x1F32D, 0x1F335}, {0x1F337, 0x1F37C}, {0x1F37E, 0x1F393}, {0x1F3A0, 0x1F3CA},
    {0x1F3CF, 0x1F3D3}, {0x1F3E0, 0x1F3F0}, {0x1F3F4, 0x1F3F4}, {0x1F3F8, 0x1F3FA},
    {0x1F400, 0x1F43E}, {0x1F440, 0x1F440}, {0x1F442, 0x1F4FC}, {0x1F4FF, 0x1F53D},
    {0x1F54B, 0x1F54E}, {0x1F550, 0x1F567}, {0x1F57A, 0x1F57A}, {0x1F595, 0x1F596},
    {0x1F5A4, 0x1F5A4}, {0x1F5FB, 0x1F64F}, {0x1F680, 0x1F6C5}, {0x1F6CC, 0x1F6CC},
    {0x1F6D0, 0x1F6D2}, {0x1F6D5, 0x1F6D7}, {0x1F6EB, 0x1F6EC}, {0x1F6F4, 0x1F6FC},
    {0x1F7E0, 0x1F7EB}, {0x1F90C, 0x1F93A}, {0x1F93C, 0x1F945}, {0x1F947, 0x1F9FF},
    {0x1FA70, 0x1FAFF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

static bool in_table(uint32_t cp, const Range *t, size_t n)
{
    if (cp < t[0].lo || cp > t[n - 1].hi) return false;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < t[mid].lo) hi = mid;
        else if (cp > t[mid].hi) lo = mid + 1;
        else return true;
    }
    return false;
}

int uc_width(uint32_t cp)
{
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) return 0; /* controls */
    if (cp < 0x300) return 1;
    if (in_table(cp, zero_width, sizeof zero_width / sizeof zero_width[0])) return 0;
    if (in_table(cp, wide, sizeof wide / sizeof wide[0])) return 2;
    return 1;
}

int utf8_width_n(const char *s, size_t len)
{
    int w = 0;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        int n = utf8_decode(s + i, len - i, &cp);
        w += uc_width(cp);
        i += (size_t)n;
    }
    return w;
}

int utf8_width(const char *s)
{
    return utf8_width_n(s, strlen(s));
}

size_t utf8_fit(const char *s, size_t len, int cols, int *used)
{
    size_t i = 0;
    int w = 0;
    while (i < len) {
        uint32_t cp;
        int n = utf8_decode(s + i, len - i, &cp);
        int cw = uc_width(cp);
        if (w + cw > cols) break;
        w += cw;
        i += (size_t)n;
    }
    if (used) *used = w;
    return i;
}

/* ---------------------------------------------------------------------------
 * ASCII spellings, sorted by code point for a binary search. */

typedef struct Spell {
    uint32_t cp;
    const char *ascii;
} Spell;

static const Spell spellings[] = {
    {0x00A0, " "}, {0x00A9, "(c)"}, {0x00AB, "<<"}, {0x00AD, ""}, {0x00B0, "deg"},
    {0x00B1, "+/-"}, {0x00B2, "^2"}, {0x00B3, "^3"}, {0x00B5, "u"}, {0x00B7, "*"},
    {0x00B9, "^1"}, {0x00BB, ">>"}, {0x00BC, "1/4"}, {0x00BD, "1/2"}, {0x00BE, "3/4"},
    {0x00C0, "A"}, {0x00C1, "A"}, {0x00C2, "A"}, {0x00C3, "A"}, {0x00C4, "A"},
    {0x00C5, "A"}, {0x00C6, "AE"}, {0x00C7, "C"}, {0x00C8, "E"}, {0x00C9, "E"},
    {0x00CA, "E"}, {0x00CB, "E"}, {0x00CC, "I"}, {0x00CD, "I"}, {0x00CE, "I"},
    {0x00CF, "I"}, {0x00D1, "N"}, {0x00D2, "O"}, {0x00D3, "O"}, {0x00D4, "O"},
    {0x00D5, "O"}, {0x00D6, "O"}, {0x00D7, "x"}, {0x00D8, "O"}, {0x00D9, "U"},
    {0x00DA, "U"}, {0x00DB, "U"}, {0x00DC, "U"}, {0x00DD, "Y"}, {0x00DF, "ss"},
    {0x00E0, "a"}, {0x00E1, "a"}, {0x00E2, "a"}, {0x00E3, "a"}, {0x00E4, "a"},
    {0x00E5, "a"}, {0x00E6, "ae"}, {0x00E7, "c"}, {0x00E8, "e"}, {0x00E9, "e"},
    {0x00EA, "e"}, {0x00EB, "e"}, {0x00EC, "i"}, {0x00ED, "i"}, {0x00EE, "i"},
    {0x00EF, "i"}, {0x00F1, "n"}, {0x00F2, "o"}, {0x00F3, "o"}, {0x00F4, "o"},
    {0x00F5, "o"}, {0x00F6, "o"}, {0x00F7, "/"}, {0x00F8, "o"}, {0x00F9, "u"},
    {0x00FA, "u"}, {0x00FB, "u"}, {0x00FC, "u"}, {0x00FD, "y"}, {0x00FF, "y"},
    {0x0391, "A"}, {0x0392, "B"}, {0x0393, "Gamma"}, {0x0394, "Delta"}, {0x0398, "Theta"},
    {0x039B, "Lambda"}, {0x039E, "Xi"}, {0x03A0, "Pi"}, {0x03A3, "Sigma"}, {0x03A6, "Phi"},
    {0x03A8, "Psi"}, {0x03A9, "Omega"}, {0x03B1, "alpha"}, {0x03B2, "beta"},
    {0x03B3, "gamma"}, {0x03B4, "delta"}, {0x03B5, "epsilon"}, {0x03B6, "zeta"},
    {0x03B7, "eta"}, {0x03B8, "theta"}, {0x03B9, "iota"}, {0x03BA, "kappa"},
    {0x03BB, "lambda"}, {0x03BC, "mu"}, {0x03BD, "nu"}, {0x03BE, "xi"}, {0x03C0, "pi"},
    {0x03C1, "rho"}, {0x03C3, "sigma"}, {0x03C4, "tau"}, {0x03C5, "upsilon"},
    {0x03C6, "phi"}, {0x03C7, "chi"}, {0x03C8, "psi"}, {0x03C9, "omega"},
    {0x1D40, "^T"}, {0x1D62, "_i"}, {0x1D63, "_r"}, {0x1D64, "_u"}, {0x1D65, "_v"},
    {0x2010, "-"}, {0x2011, "-"}, {0x2012, "-"}, {0x2013, "-"}, {0x2014, "--"},
    {0x2015, "--"}, {0x2016, "||"}, {0x2018, "'"}, {0x2019, "'"}, {0x201A, ","},
    {0x201C, "\""}, {0x201D, "\""}, {0x201E, "\""}, {0x2020, "+"}, {0x2022, "*"},
    {0x2026, "..."}, {0x2032, "'"}, {0x2033, "''"}, {0x2039, "<"}, {0x203A, ">"},
    {0x2070, "^0"}, {0x2071, "^i"}, {0x2074, "^4"}, {0x2075, "^5"}, {0x2076, "^6"},
    {0x2077, "^7"}, {0x2078, "^8"}, {0x2079, "^9"}, {0x207A, "^+"}, {0x207B, "^-"},
    {0x207F, "^n"}, {0x2080, "_0"}, {0x2081, "_1"}, {0x2082, "_2"}, {0x2083, "_3"},
    {0x2084, "_4"}, {0x2085, "_5"}, {0x2086, "_6"}, {0x2087, "_7"}, {0x2088, "_8"},
    {0x2089, "_9"}, {0x208A, "_+"}, {0x208B, "_-"}, {0x2090, "_a"}, {0x2091, "_e"},
    {0x2092, "_o"}, {0x2093, "_x"}, {0x2095, "_h"}, {0x2096, "_k"}, {0x2097, "_l"},
    {0x2098, "_m"}, {0x2099, "_n"}, {0x209A, "_p"}, {0x209B, "_s"}, {0x209C, "_t"},
    {0x20AC, "EUR"}, {0x2102, "C"}, {0x2115, "N"}, {0x211A, "Q"}, {0x211D, "R"},
    {0x2124, "Z"}, {0x2190, "<-"}, {0x2191, "^"}, {0x2192, "->"}, {0x2193, "v"},
    {0x2194, "<->"}, {0x21A9, "<-'"}, {0x21AA, "->"}, {0x21D0, "<="}, {0x21D2, "=>"},
    {0x21D4, "<=>"}, {0x2200, "for all"}, {0x2202, "d"}, {0x2203, "exists"},
    {0x2205, "{}"}, {0x2207, "grad"}, {0x2208, " in "}, {0x2209, " not in "},
    {0x220F, "Prod"}, {0x2211, "Sum"}, {0x2212, "-"}, {0x2215, "/"}, {0x2217, "*"},
    {0x2218, "o"}, {0x2219, "*"}, {0x221A, "sqrt"}, {0x221D, "~"}, {0x221E, "inf"},
    {0x2225, "||"}, {0x2227, "and"}, {0x2228, "or"}, {0x2229, "^"}, {0x222A, "U"},
    {0x222B, "Int"}, {0x223C, "~"}, {0x2243, "~="}, {0x2245, "~="}, {0x2248, "~="},
    {0x2260, "!="}, {0x2261, "=="}, {0x2264, "<="}, {0x2265, ">="}, {0x226A, "<<"},
    {0x226B, ">>"}, {0x2282, "subset of"}, {0x2286, "subset of"}, {0x2295, "(+)"},
    {0x2297, "(x)"}, {0x22C5, "*"}, {0x22EF, "..."}, {0x2308, "ceil("}, {0x2309, ")"},
    {0x230A, "floor("}, {0x230B, ")"}, {0x23A1, "["}, {0x23A2, "|"}, {0x23A3, "["},
    {0x23A4, "]"}, {0x23A5, "|"}, {0x23A6, "]"}, {0x2500, "-"}, {0x2501, "="}, {0x2502, "|"},
    {0x2503, "|"}, {0x250C, "+"}, {0x250F, "+"}, {0x2510, "+"}, {0x2513, "+"},
    {0x2514, "+"}, {0x2517, "+"}, {0x2518, "+"}, {0x251B, "+"}, {0x251C, "+"},
    {0x2524, "+"}, {0x252C, "+"}, {0x2534, "+"}, {0x253C, "+"}, {0x254C, "-"}, {0x254E, ":"}, {0x2550, "="},
    {0x2551, "|"}, {0x2554, "+"}, {0x2557, "+"}, {0x255A, "+"}, {0x255D, "+"},
    {0x2574, "-"}, {0x2576, "-"}, {0x2580, "\""}, {0x2581, "_"}, {0x2582, "_"},
    {0x2583, "="}, {0x2584, "="}, {0x2585, "#"}, {0x2586, "#"}, {0x2587, "#"},
    {0x2588, "#"}, {0x2589, "#"}, {0x258A, "#"}, {0x258B, "#"}, {0x258C, "#"}, {0x258D, "#"}, {0x258E, "#"}, {0x258F, "|"}, {0x2590, "#"}, {0x2591, "."}, {0x2592, ":"},
    {0x2593, "#"}, {0x25A0, "#"}, {0x25A1, "[]"}, {0x25AA, "*"}, {0x25B2, "^"},
    {0x25B6, ">"}, {0x25B8, ">"}, {0x25BA, ">"}, {0x25BC, "v"}, {0x25C0, "<"},
    {0x25C2, "<"}, {0x25C4, "<"}, {0x25CB, "o"}, {0x25CF, "o"}, {0x25E6, "o"},
    {0x2605, "*"}, {0x2699, "*"}, {0x26A0, "!"}, {0x2713, "ok"}, {0x2714, "ok"}, {0x2715, "x"}, {0x2717, "x"},
    {0x2718, "x"}, {0x27E8, "<"}, {0x27E9, ">"}, {0x2A2F, "x"}, {0x2C7C, "_j"},
    {0xFFFD, "?"},
};

const char *uc_ascii(uint32_t cp)
{
    if (cp < 0x80) return NULL;
    if (uc_width(cp) == 0) return ""; /* combining marks: the base letter suffices */
    size_t lo = 0, hi = sizeof spellings / sizeof spellings[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < spellings[mid].cp) hi = mid;
        else if (cp > spellings[mid].cp) lo = mid + 1;
        else return spellings[mid].ascii;
    }
    /* Braille patterns (plots) become a dot; anything else a question mark. */
    if (cp >= 0x2800 && cp <= 0x28FF) return cp == 0x2800 ? " " : ".";
    return uc_width(cp) == 2 ? "??" : "?";
}

char *utf8_to_ascii(const char *s)
{
    size_t len = strlen(s), cap = len + 16, n = 0;
    char *out = vmem_alloc(cap);
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        int k = utf8_decode(s + i, len - i, &cp);
        const char *sp = uc_ascii(cp);
        char one[2] = {(char)cp, 0};
        if (!sp) sp = one;
        size_t sl = strlen(sp);
        if (n + sl + 1 > cap) {
            cap = 2 * cap + sl;
            out = vmem_realloc(out, cap);
        }
        memcpy(out + n, sp, sl);
        n += sl;
        i += (size_t)k;
    }
    out[n] = 0;
    return out;
}

bool utf8_locale_is_utf8(const char *codeset)
{
    if (!codeset) return false;
    /* "UTF-8", "utf8", "UTF8" ... */
    char norm[16];
    size_t j = 0;
    for (size_t i = 0; codeset[i] && j + 1 < sizeof norm; i++) {
        char c = codeset[i];
        if (c == '-' || c == '_') continue;
        if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
        norm[j++] = c;
    }
    norm[j] = 0;
    return strcmp(norm, "UTF8") == 0;
}
