/* gfx.c — image protocols: mode choice, start-up answer, sixel and kitty
 * encoders (see gfx.h). */
#include "gfx.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------------------
 * Choosing the mode */

static const struct {
    const char *name;
    GfxMode mode;
    bool is_auto;
} mode_names[] = {
    {"auto", GFX_TEXT, true},    {"text", GFX_TEXT, false},   {"off", GFX_TEXT, false},
    {"sixel", GFX_SIXEL, false}, {"kitty", GFX_KITTY, false},
};

bool gfx_mode_parse(const char *s, GfxMode *mode, bool *is_auto)
{
    for (size_t i = 0; s && i < sizeof mode_names / sizeof mode_names[0]; i++)
        if (strcasecmp(s, mode_names[i].name) == 0) {
            *mode = mode_names[i].mode;
            *is_auto = mode_names[i].is_auto;
            return true;
        }
    return false;
}

const char *gfx_mode_name(GfxMode m)
{
    static const char *const names[] = {
        [GFX_TEXT] = "text", [GFX_SIXEL] = "sixel", [GFX_KITTY] = "kitty"};
    return (unsigned)m < sizeof names / sizeof names[0] ? names[m] : "?";
}

bool gfx_may_query(const char *term, const char *tmux, const char *sty)
{
    /* Multiplexers answer DA1 themselves and keep images from the outer
     * terminal unless configured otherwise: force a mode there instead. */
    if ((tmux && tmux[0]) || (sty && sty[0])) return false;
    if (!term || !term[0]) return false;
    static const char *const no[] = {"dumb",  "linux", "screen", "tmux",
                                     "vt100", "vt220", "cons",   "emacs"};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (strncmp(term, no[i], strlen(no[i])) == 0) return false;
    return true;
}

/* ---------------------------------------------------------------------------
 * The start-up question */

/* A 1×1 RGB kitty query (image id 31), the background colour (OSC 11),
 * then DA1. Terminals answer in order and every one answers DA1, so its
 * reply ends the wait; a terminal that knows neither of the first two says
 * nothing about them. */
const char gfx_query[] = "\033_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\033\\\033]11;?\033\\\033[c";

/* The DA1 reply: ESC [ ? params c. Returns its start, or NULL. */
static const char *find_da1(const char *r, size_t n, size_t *end)
{
    for (size_t i = 0; i + 2 < n; i++) {
        if (r[i] != '\033' || r[i + 1] != '[' || r[i + 2] != '?') continue;
        size_t j = i + 3;
        while (j < n && ((r[j] >= '0' && r[j] <= '9') || r[j] == ';'))
            j++;
        if (j < n && r[j] == 'c') {
            *end = j;
            return r + i + 3;
        }
    }
    return NULL;
}

bool gfx_reply_complete(const char *reply, size_t n)
{
    size_t end;
    return find_da1(reply, n, &end) != NULL;
}

GfxMode gfx_parse_reply(const char *reply, size_t n)
{
    /* Kitty: ESC _ G i=31 ; OK ESC \ (an error says something else). */
    static const char ok[] = "\033_Gi=31;OK";
    for (size_t i = 0; i + sizeof ok - 1 <= n; i++)
        if (memcmp(reply + i, ok, sizeof ok - 1) == 0) return GFX_KITTY;
    size_t end;
    const char *p = find_da1(reply, n, &end);
    if (!p) return GFX_TEXT;
    const char *stop = reply + end;
    while (p < stop) {
        long v = 0;
        bool digits = false;
        while (p < stop && *p >= '0' && *p <= '9')
            v = v * 10 + (*p++ - '0'), digits = true;
        if (digits && v == 4) return GFX_SIXEL;
        if (p < stop) p++; /* ';' */
    }
    return GFX_TEXT;
}

/* One colour component of an X11 "rgb:" colour: 1 to 4 hex digits, scaled
 * to 0..1. Returns the digits read (0: none). */
static int hex_component(const char *p, const char *stop, double *v)
{
    unsigned long x = 0;
    int k = 0;
    while (p + k < stop && k < 4 && isxdigit((unsigned char)p[k])) {
        char c = p[k];
        x = x * 16 + (unsigned long)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        k++;
    }
    if (k > 0) *v = (double)x / (double)((1ul << (4 * k)) - 1);
    return k;
}

int gfx_parse_background(const char *reply, size_t n)
{
    /* ESC ] 11 ; rgb:RRRR/GGGG/BBBB, ended by ST or BEL. */
    static const char head[] = "\033]11;rgb:";
    const size_t h = sizeof head - 1;
    for (size_t i = 0; i + h <= n; i++) {
        if (memcmp(reply + i, head, h) != 0) continue;
        const char *p = reply + i + h, *stop = reply + n;
        double c[3];
        int k = 0;
        for (; k < 3; k++) {
            int d = hex_component(p, stop, &c[k]);
            if (d == 0) break;
            p += d;
            if (k < 2) {
                if (p >= stop || *p != '/') break;
                p++;
            }
        }
        if (k < 3) return -1;
        /* Relative luminance (ITU-R BT.709 weights) of the background. */
        double y = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
        return y > 0.5 ? 1 : 0;
    }
    return -1;
}

int gfx_background_from_colorfgbg(const char *v)
{
    /* rxvt and Konsole export "FG;BG" (sometimes "FG;default;BG"): the last
     * field is the background's ANSI number; 7 and 15 are light greys/white. */
    if (!v || !v[0]) return -1;
    const char *last = strrchr(v, ';');
    if (!last || !last[1]) return -1;
    char *end;
    long bg = strtol(last + 1, &end, 10);
    if (*end != '\0' || end == last + 1 || bg < 0 || bg > 255) return -1;
    return bg == 7 || bg == 15 ? 1 : 0;
}

/* ---------------------------------------------------------------------------
 * Resampling */

void gfx_resample(unsigned char *out, int ow, int oh, const unsigned char *in, int iw, int ih)
{
    for (int y = 0; y < oh; y++) {
        int y0 = (int)((long)y * ih / oh), y1 = (int)((long)(y + 1) * ih / oh);
        if (y1 <= y0) y1 = y0 + 1;
        for (int x = 0; x < ow; x++) {
            int x0 = (int)((long)x * iw / ow), x1 = (int)((long)(x + 1) * iw / ow);
            if (x1 <= x0) x1 = x0 + 1;
            unsigned long sum = 0, cnt = 0;
            for (int sy = y0; sy < y1 && sy < ih; sy++)
                for (int sx = x0; sx < x1 && sx < iw; sx++)
                    sum += in[(size_t)sy * (size_t)iw + (size_t)sx], cnt++;
            out[(size_t)y * (size_t)ow + (size_t)x] =
                (unsigned char)(cnt ? (sum + cnt / 2) / cnt : 0);
        }
    }
}

/* ---------------------------------------------------------------------------
 * A growing byte buffer */

typedef struct Buf {
    char *p;
    size_t n, cap;
    bool failed;
} Buf;

static void buf_add(Buf *b, const char *s, size_t n)
{
    if (b->failed) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->n + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void buf_printf(Buf *b, const char *fmt, int a, int c)
{
    char tmp[64];
    int n = snprintf(tmp, sizeof tmp, fmt, a, c);
    buf_add(b, tmp, (size_t)n);
}

static char *buf_done(Buf *b, size_t *len)
{
    if (b->failed || !b->p) {
        free(b->p);
        return NULL;
    }
    if (len) *len = b->n;
    return b->p;
}

enum { GFX_MAX_SIDE = 8192 };

/* ---------------------------------------------------------------------------
 * Sixel */

/* One colour's run of `n` equal sixel characters, run-length coded. */
static void sixel_run(Buf *b, char ch, int n)
{
    if (n >= 4) {
        char tmp[24];
        int k = snprintf(tmp, sizeof tmp, "!%d%c", n, ch);
        buf_add(b, tmp, (size_t)k);
    } else {
        for (int i = 0; i < n; i++)
            buf_add(b, &ch, 1);
    }
}

char *gfx_sixel(const unsigned char *gray, int w, int h, int levels, size_t *len)
{
    if (w < 1 || h < 1 || w > GFX_MAX_SIDE || h > GFX_MAX_SIDE || levels < 2 || levels > 256)
        return NULL;
    Buf b = {0};
    /* DCS q with aspect 1:1 (P1 = 0 → 2:1 is the default on old terminals;
     * the raster attributes "1;1 say 1:1), then the picture's size. */
    buf_add(&b, "\033P0;1;0q", 8);
    buf_printf(&b, "\"1;1;%d;%d", w, h);
    for (int i = 0; i < levels; i++) {
        int pct = (i * 100 + (levels - 1) / 2) / (levels - 1);
        char tmp[32];
        int k = snprintf(tmp, sizeof tmp, "#%d;2;%d;%d;%d", i, pct, pct, pct);
        buf_add(&b, tmp, (size_t)k);
    }
    unsigned char *idx = malloc((size_t)w * (size_t)h);
    unsigned char *bits = malloc((size_t)w);
    if (!idx || !bits) {
        free(idx), free(bits), free(b.p);
        return NULL;
    }
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++)
        idx[i] = (unsigned char)((gray[i] * (levels - 1) + 127) / 255);
    for (int y0 = 0; y0 < h; y0 += 6) {
        int rows = h - y0 < 6 ? h - y0 : 6;
        bool used[256] = {false};
        for (int r = 0; r < rows; r++)
            for (int x = 0; x < w; x++)
                used[idx[(size_t)(y0 + r) * (size_t)w + (size_t)x]] = true;
        bool first = true;
        for (int c = 0; c < levels; c++) {
            if (!used[c]) continue;
            /* This colour's pixels in the band, as one sixel per column. */
            for (int x = 0; x < w; x++) {
                int v = 0;
                for (int r = 0; r < rows; r++)
                    if (idx[(size_t)(y0 + r) * (size_t)w + (size_t)x] == c) v |= 1 << r;
                bits[x] = (unsigned char)v;
            }
            if (!first) buf_add(&b, "$", 1); /* back to the band's start */
            first = false;
            char tmp[8];
            int k = snprintf(tmp, sizeof tmp, "#%d", c);
            buf_add(&b, tmp, (size_t)k);
            /* Trailing empty columns need not be sent. */
            int last = w;
            while (last > 0 && bits[last - 1] == 0)
                last--;
            for (int x = 0; x < last;) {
                int n = 1;
                while (x + n < last && bits[x + n] == bits[x])
                    n++;
                sixel_run(&b, (char)('?' + bits[x]), n);
                x += n;
            }
        }
        if (y0 + 6 < h) buf_add(&b, "-", 1); /* next band */
    }
    buf_add(&b, "\033\\", 2);
    free(idx);
    free(bits);
    return buf_done(&b, len);
}

/* ---------------------------------------------------------------------------
 * Kitty */

const char gfx_kitty_clear[] = "\033_Ga=d,d=a,q=2\033\\";

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 of n bytes into out (4 * ceil(n / 3) characters). */
static size_t base64(char *out, const unsigned char *in, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n) v |= in[i + 2];
        out[k++] = b64[(v >> 18) & 63];
        out[k++] = b64[(v >> 12) & 63];
        out[k++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[k++] = i + 2 < n ? b64[v & 63] : '=';
    }
    return k;
}

char *gfx_kitty(const unsigned char *gray, int w, int h, int cols, int rows, unsigned id,
                size_t *len)
{
    if (w < 1 || h < 1 || w > GFX_MAX_SIDE || h > GFX_MAX_SIDE || cols < 1 || rows < 1) return NULL;
    size_t n = (size_t)w * (size_t)h * 3;
    unsigned char *rgb = malloc(n);
    char *enc = malloc(4 * (n / 3 + 1) + 1);
    if (!rgb || !enc) {
        free(rgb), free(enc);
        return NULL;
    }
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++)
        rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = gray[i];
    size_t m = base64(enc, rgb, n);
    free(rgb);
    Buf b = {0};
    /* The protocol limits each chunk to 4096 bytes of base64; every chunk
     * but the last says m=1. */
    enum { CHUNK = 4096 };
    for (size_t off = 0; off < m; off += CHUNK) {
        size_t k = m - off < CHUNK ? m - off : CHUNK;
        bool more = off + k < m;
        char head[160];
        int hl;
        if (off == 0)
            hl =
                snprintf(head, sizeof head, "\033_Ga=T,f=24,s=%d,v=%d,c=%d,r=%d,i=%u,C=1,q=2,m=%d;",
                         w, h, cols, rows, id, more ? 1 : 0);
        else
            hl = snprintf(head, sizeof head, "\033_Gm=%d;", more ? 1 : 0);
        buf_add(&b, head, (size_t)hl);
        buf_add(&b, enc + off, k);
        buf_add(&b, "\033\\", 2);
    }
    free(enc);
    return buf_done(&b, len);
}
