/* io.c — text matrices, PGM and PNG images in; PGM and PNG images out.
 *
 * Every reader works on a buffer in memory (a file is slurped first, capped at
 * IO_MAX_FILE_BYTES), so the same bounds-checked code serves files, stdin and
 * fuzzers. Nothing here trusts a size written in a file: each one is checked
 * against MAT_MAX_DIM before memory is allocated for it, and each read from
 * the buffer checks what is left.
 *
 * Pixels become floats in [0, 1] by v / maxval; writing goes the other way
 * with rounding, round(255 * clamp(v, 0, 1)), so a write/read round trip moves
 * a value by at most half a level (1/510). */
#include "io.h"

#include "../base/file.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/file_read.h"

/* ---------------------------------------------------------------------------
 * Reading a whole file (or stdin) into memory */

/* What messages call standard input. */
static const char *display_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "stdin" : path;
}

static int fail_too_big(Status *st, const char *name)
{
    return status_fail(st, LS_ERR_RANGE,
                       "%s: file is larger than %zu MiB, the limit for a matrix or image", name,
                       IO_MAX_FILE_BYTES >> 20);
}

/* Slurp path ("-" = stdin) into a malloc'd buffer, refusing more than
 * IO_MAX_FILE_BYTES. A NUL is appended (not counted in *len) as a safety net;
 * the parsers themselves never read past len. */
static int read_whole(unsigned char **data, size_t *len, const char *path, Status *st)
{
    *data = NULL;
    *len = 0;
    const char *name = display_name(path);
    bool use_stdin = strcmp(path, "-") == 0;
    FILE *f = stdin;
    if (!use_stdin) {
        /* A named file must be regular (a FIFO would block); it says its
         * size up front, so a huge one is refused before reading it. Stdin
         * is caught by the counting below. */
        uint64_t fsize;
        int rc = file_open_regular(path, &f, &fsize, st);
        if (rc) {
            status_prefix(st, "%s", path);
            return rc;
        }
        if (fsize > IO_MAX_FILE_BYTES) {
            fclose(f);
            return fail_too_big(st, name);
        }
    }

    size_t cap = 0, n = 0;
    unsigned char *buf = NULL;
    int rc = LS_OK;
    for (;;) {
        if (cap - n < 2) {
            /* Grow geometrically, but never past the cap plus one probe byte:
             * reading one byte beyond the cap is how we know it was exceeded. */
            size_t want = cap ? cap * 2 : 64 * 1024;
            if (want > IO_MAX_FILE_BYTES + 2) want = IO_MAX_FILE_BYTES + 2;
            if (want <= cap) {
                rc = fail_too_big(st, name);
                break;
            }
            unsigned char *bigger = realloc(buf, want);
            if (!bigger) {
                rc = status_fail(st, LS_ERR_NOMEM, "%s: out of memory reading the file", name);
                break;
            }
            buf = bigger;
            cap = want;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (n > IO_MAX_FILE_BYTES) {
            rc = fail_too_big(st, name);
            break;
        }
        if (got == 0) {
            if (ferror(f))
                rc = status_fail(st, LS_ERR_IO, "%s: read error: %s", name, strerror(errno));
            break;
        }
    }
    if (use_stdin)
        clearerr(stdin);
    else
        fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = '\0'; /* the first pass through the loop always allocated buf */
    *data = buf;
    *len = n;
    return LS_OK;
}

/* ---------------------------------------------------------------------------
 * Text matrices */

/* Quote at most ~40 bytes of a token for a message, with non-printable
 * bytes shown as '?' so a binary file cannot garble the terminal. */
static void quote_token(char *out, size_t size, const char *tok, size_t n)
{
    size_t keep = n > 40 ? 40 : n, k = 0;
    for (size_t i = 0; i < keep && k + 1 < size; i++) {
        unsigned char c = (unsigned char)tok[i];
        out[k++] = (c >= 32 && c < 127) ? (char)c : '?';
    }
    if (n > keep)
        for (int i = 0; i < 3 && k + 1 < size; i++)
            out[k++] = '.';
    out[k] = '\0';
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Parse one token as a finite float. The token is copied into a local buffer
 * because strtod needs a NUL terminator and the input need not have one. */
static int parse_value(float *out, const char *tok, size_t n, const char *name, long line,
                       Status *st)
{
    char buf[128], shown[64];
    quote_token(shown, sizeof shown, tok, n);
    if (n >= sizeof buf)
        return status_fail(st, LS_ERR_PARSE, "%s:%ld: '%s' is not a number", name, line, shown);
    memcpy(buf, tok, n);
    buf[n] = '\0';
    /* strtod honours LC_NUMERIC, and the UI sets the locale from the
     * environment (for wide characters); in a locale whose decimal point is
     * ',' a file's "0.5" would stop at the '.'. Files always use '.', so
     * translate it to whatever strtod expects. */
    const char *dp = localeconv()->decimal_point;
    if (dp && dp[0] && dp[0] != '.' && dp[1] == '\0')
        for (char *p = buf; *p; p++)
            if (*p == '.') *p = dp[0];
    char *end = NULL;
    double d = strtod(buf, &end);
    if (end == buf || end != buf + n) /* all of it, even past an embedded NUL */
        return status_fail(st, LS_ERR_PARSE, "%s:%ld: '%s' is not a number", name, line, shown);
    if (isnan(d))
        return status_fail(st, LS_ERR_RANGE,
                           "%s:%ld: '%s' is NaN; matrices must hold finite numbers", name, line,
                           shown);
    if (isinf(d) || isinf((float)d))
        return status_fail(st, LS_ERR_RANGE,
                           "%s:%ld: '%s' is infinite or too large for a float (max %.3g); "
                           "matrices must hold finite numbers",
                           name, line, shown, (double)3.4028235e38f);
    *out = (float)d;
    return LS_OK;
}

/* A growing array of the values read so far, row after row. */
typedef struct FloatVec {
    float *v;
    size_t n, cap;
} FloatVec;

static int floatvec_push(FloatVec *fv, float x, const char *name, Status *st)
{
    if (fv->n == fv->cap) {
        size_t want = fv->cap ? fv->cap * 2 : 256;
        float *bigger = realloc(fv->v, want * sizeof *bigger);
        if (!bigger) return status_fail(st, LS_ERR_NOMEM, "%s: out of memory", name);
        fv->v = bigger;
        fv->cap = want;
    }
    fv->v[fv->n++] = x;
    return LS_OK;
}

/* Parse one line p[0..n) into fv; *count gets the number of values (0 for a
 * blank or comment line). */
static int parse_line(FloatVec *fv, int *count, const char *p, size_t n, const char *name,
                      long line, Status *st)
{
    size_t i = 0;
    int values = 0, commas = 0; /* commas seen since the last value */
    *count = 0;
    while (i < n) {
        char c = p[i];
        if (is_blank(c)) {
            i++;
        } else if (c == ',') {
            if (values == 0 || commas > 0)
                return status_fail(st, LS_ERR_PARSE, "%s:%ld: empty value in column %d", name, line,
                                   values + 1);
            commas++;
            i++;
        } else if (c == '#') {
            break; /* comment to the end of the line */
        } else {
            size_t start = i;
            while (i < n && p[i] != ',' && !is_blank(p[i]))
                i++;
            if (values == MAT_MAX_DIM)
                return status_fail(st, LS_ERR_RANGE,
                                   "%s:%ld: row has more than %d values (the limit is %d columns)",
                                   name, line, MAT_MAX_DIM, MAT_MAX_DIM);
            float x = 0.0f;
            int rc = parse_value(&x, p + start, i - start, name, line, st);
            if (rc) return rc;
            if ((rc = floatvec_push(fv, x, name, st))) return rc;
            values++;
            commas = 0;
        }
    }
    *count = values;
    return LS_OK;
}

int io_read_matrix_mem(Mat *out, const char *text, size_t len, const char *name, Status *st)
{
    if (!out) return status_fail(st, LS_ERR_ARG, "io_read_matrix_mem: no output matrix");
    *out = (Mat){0};
    if (!name) name = "matrix";
    if (!text && len > 0) return status_fail(st, LS_ERR_ARG, "%s: no text given", name);

    size_t pos = 0;
    /* Spreadsheets on Windows start UTF-8 CSV files with a byte-order mark. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) pos = 3;

    FloatVec fv = {0};
    int rows = 0, cols = 0, rc = LS_OK;
    long line = 0, first_line = 0;
    while (pos < len) {
        line++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        int count;
        if ((rc = parse_line(&fv, &count, text + pos, end - pos, name, line, st))) break;
        pos = end + 1;
        if (count == 0) continue;
        if (rows == 0) {
            cols = count;
            first_line = line;
        } else if (count != cols) {
            rc = status_fail(st, LS_ERR_PARSE,
                             "%s:%ld: row has %d value%s, expected %d (as on line %ld)", name, line,
                             count, count == 1 ? "" : "s", cols, first_line);
            break;
        }
        if (rows == MAT_MAX_DIM) {
            rc = status_fail(st, LS_ERR_RANGE, "%s:%ld: more than %d rows (the limit is %d rows)",
                             name, line, MAT_MAX_DIM, MAT_MAX_DIM);
            break;
        }
        rows++;
    }
    if (rc == LS_OK && rows == 0)
        rc = status_fail(st, LS_ERR_PARSE, "%s: empty input: no numbers found", name);
    if (rc) {
        free(fv.v);
        return rc;
    }
    /* Hand the array over to the Mat instead of copying it: at 4096 x 4096
     * a copy would briefly need twice 64 MiB. mat_free releases it with free(),
     * the same allocator mat_init uses. */
    float *exact = realloc(fv.v, fv.n * sizeof *exact);
    *out = (Mat){
        .rows = rows, .cols = cols, .stride = cols, .data = exact ? exact : fv.v, .owner = true};
    return LS_OK;
}

int io_read_matrix(Mat *out, const char *path, Status *st)
{
    if (!out || !path) return status_fail(st, LS_ERR_ARG, "io_read_matrix: missing argument");
    *out = (Mat){0};
    unsigned char *buf;
    size_t len;
    int rc = read_whole(&buf, &len, path, st);
    if (rc) return rc;
    rc = io_read_matrix_mem(out, (const char *)buf, len, display_name(path), st);
    free(buf);
    return rc;
}

/* ---------------------------------------------------------------------------
 * PGM (netpbm graymap): "P2" or "P5", width, height, maxval as ASCII decimals
 * separated by whitespace with '#' comments, then the raster: ASCII decimals
 * (P2) or, after exactly one whitespace byte, binary samples (P5) of one byte
 * when maxval < 256 and two big-endian bytes otherwise. */

typedef struct PgmCursor {
    const unsigned char *p;
    size_t len, pos;
    long line; /* 1-based, for messages about P2 text */
} PgmCursor;

static bool pgm_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static void pgm_skip(PgmCursor *c)
{
    while (c->pos < c->len) {
        unsigned char ch = c->p[c->pos];
        if (ch == '#') {
            while (c->pos < c->len && c->p[c->pos] != '\n')
                c->pos++;
        } else if (pgm_space(ch)) {
            if (ch == '\n') c->line++;
            c->pos++;
        } else {
            break;
        }
    }
}

enum { PGM_NUM_OK, PGM_NUM_EOF, PGM_NUM_BAD };

/* Read one unsigned decimal, saturating at UINT32_MAX (anything that large
 * is refused by the caller anyway). On PGM_NUM_BAD, tok/tok_len span the
 * offending token for the message. */
static int pgm_number(PgmCursor *c, uint32_t *val, const unsigned char **tok, size_t *tok_len)
{
    pgm_skip(c);
    if (c->pos >= c->len) return PGM_NUM_EOF;
    size_t start = c->pos;
    uint64_t v = 0;
    while (c->pos < c->len && c->p[c->pos] >= '0' && c->p[c->pos] <= '9') {
        v = v * 10 + (uint64_t)(c->p[c->pos] - '0');
        if (v > UINT32_MAX) v = UINT32_MAX;
        c->pos++;
    }
    bool ended = c->pos == c->len || pgm_space(c->p[c->pos]) || c->p[c->pos] == '#';
    if (c->pos == start || !ended) {
        while (c->pos < c->len && !pgm_space(c->p[c->pos]))
            c->pos++;
        *tok = c->p + start;
        *tok_len = c->pos - start;
        return PGM_NUM_BAD;
    }
    *val = (uint32_t)v;
    return PGM_NUM_OK;
}

/* Read a header field, with a message naming it when it is missing or bad. */
static int pgm_header_field(PgmCursor *c, uint32_t *val, const char *what, const char *name,
                            Status *st)
{
    const unsigned char *tok = NULL;
    size_t tok_len = 0;
    int r = pgm_number(c, val, &tok, &tok_len);
    if (r == PGM_NUM_EOF)
        return status_fail(st, LS_ERR_PARSE, "%s: truncated PGM header (no %s)", name, what);
    if (r == PGM_NUM_BAD) {
        char shown[64];
        quote_token(shown, sizeof shown, (const char *)tok, tok_len);
        return status_fail(st, LS_ERR_PARSE, "%s:%ld: PGM %s '%s' is not a number", name, c->line,
                           what, shown);
    }
    return LS_OK;
}

int io_read_pgm_mem(Mat *out, const unsigned char *buf, size_t len, const char *name, Status *st)
{
    if (!out) return status_fail(st, LS_ERR_ARG, "io_read_pgm_mem: no output matrix");
    *out = (Mat){0};
    if (!name) name = "image";
    if (!buf || len < 2 || buf[0] != 'P' || (buf[1] != '2' && buf[1] != '5'))
        return status_fail(st, LS_ERR_PARSE, "%s: not a PGM image (expected \"P2\" or \"P5\")",
                           name);
    bool binary = buf[1] == '5';
    PgmCursor c = {.p = buf, .len = len, .pos = 2, .line = 1};
    if (c.pos < len && !pgm_space(buf[c.pos]) && buf[c.pos] != '#')
        return status_fail(st, LS_ERR_PARSE, "%s: not a PGM image (bad magic number)", name);

    uint32_t w, h, maxval;
    int rc;
    if ((rc = pgm_header_field(&c, &w, "width", name, st))) return rc;
    if ((rc = pgm_header_field(&c, &h, "height", name, st))) return rc;
    if ((rc = pgm_header_field(&c, &maxval, "maxval", name, st))) return rc;
    if (w == 0 || h == 0)
        return status_fail(st, LS_ERR_PARSE, "%s: image has zero %s", name,
                           w == 0 ? "width" : "height");
    if (maxval == 0 || maxval > 65535)
        return status_fail(st, LS_ERR_PARSE, "%s: PGM maxval %u is invalid (must be 1..65535)",
                           name, (unsigned)maxval);
    if (w > MAT_MAX_DIM || h > MAT_MAX_DIM)
        return status_fail(st, LS_ERR_RANGE,
                           "%s: image is %u x %u pixels; the limit is %d in each direction", name,
                           (unsigned)w, (unsigned)h, MAT_MAX_DIM);

    const float scale = 1.0f / (float)maxval;
    size_t npix = (size_t)w * h;
    /* Check that the raster can be there before allocating for it, so a
     * 20-byte file claiming 4096 x 4096 pixels costs nothing. */
    if (binary) {
        /* Exactly one whitespace byte separates maxval from the raster; the
         * raster's first byte may itself look like whitespace, so no skipping. */
        if (c.pos >= len)
            return status_fail(st, LS_ERR_PARSE, "%s: truncated PGM header (no pixel data)", name);
        if (!pgm_space(buf[c.pos]))
            return status_fail(st, LS_ERR_PARSE,
                               "%s: PGM maxval must be followed by a single whitespace byte", name);
        c.pos++;
        size_t need = npix * (maxval > 255 ? 2 : 1), have = len - c.pos;
        if (have < need)
            return status_fail(st, LS_ERR_PARSE,
                               "%s: truncated pixel data: %zu of %zu bytes present", name, have,
                               need);
    } else if (npix > (len - c.pos + 1) / 2) {
        /* each ASCII value takes at least a digit and a separator */
        return status_fail(st, LS_ERR_PARSE,
                           "%s: truncated pixel data: room for at most %zu of %zu values", name,
                           (len - c.pos + 1) / 2, npix);
    }

    Mat m;
    if ((rc = mat_init(&m, (int)h, (int)w, st))) return rc;
    if (binary) {
        size_t bps = maxval > 255 ? 2 : 1;
        const unsigned char *px = buf + c.pos;
        for (size_t k = 0; k < npix; k++) {
            uint32_t v = bps == 2 ? ((uint32_t)px[2 * k] << 8) | px[2 * k + 1] : px[k];
            if (v > maxval) {
                mat_free(&m);
                return status_fail(st, LS_ERR_PARSE,
                                   "%s: pixel (row %zu, column %zu) is %u, above maxval %u", name,
                                   k / w, k % w, (unsigned)v, (unsigned)maxval);
            }
            m.data[k] = (float)v * scale;
        }
    } else {
        for (size_t k = 0; k < npix; k++) {
            uint32_t v = 0;
            const unsigned char *tok = NULL;
            size_t tok_len = 0;
            int r = pgm_number(&c, &v, &tok, &tok_len);
            if (r == PGM_NUM_EOF) {
                mat_free(&m);
                return status_fail(st, LS_ERR_PARSE,
                                   "%s:%ld: truncated pixel data: %zu of %zu values present", name,
                                   c.line, k, npix);
            }
            if (r == PGM_NUM_BAD) {
                char shown[64];
                quote_token(shown, sizeof shown, (const char *)tok, tok_len);
                mat_free(&m);
                return status_fail(st, LS_ERR_PARSE, "%s:%ld: pixel value '%s' is not a number",
                                   name, c.line, shown);
            }
            if (v > maxval) {
                mat_free(&m);
                return status_fail(st, LS_ERR_PARSE, "%s:%ld: pixel value %u is above maxval %u",
                                   name, c.line, (unsigned)v, (unsigned)maxval);
            }
            m.data[k] = (float)v * scale;
        }
    }
    *out = m;
    return LS_OK;
}

/* ---------------------------------------------------------------------------
 * PNG through libpng.
 *
 * libpng reports errors by calling an error function that must not return;
 * ours records the message and longjmps back to a setjmp. After a longjmp,
 * a local of the function that called setjmp is only reliable if it is
 * volatile or was not changed since the setjmp (C11 7.13.2.1). Rather than
 * sprinkling volatile, all state that changes (buffers, positions, the
 * message) lives in a context struct owned by the *caller* of the function
 * that calls setjmp; that function only reads a pointer it never changes,
 * and the caller frees whatever the context holds, on success or failure. */

typedef struct PngIo {
    const unsigned char *buf; /* reading: the whole file */
    size_t len, pos;
    unsigned char *out; /* writing: a growing buffer */
    size_t out_len, out_cap;
    unsigned char *pix; /* reading: width * height gray bytes */
    png_bytep *rows;    /* row pointers into pix (or one row when writing) */
    char msg[200];      /* libpng's last error message */
} PngIo;

static void png_on_error(png_structp png, png_const_charp msg)
{
    PngIo *io = png_get_error_ptr(png);
    if (io) snprintf(io->msg, sizeof io->msg, "%s", msg ? msg : "unknown error");
    png_longjmp(png, 1);
}

/* Library code does not print: warnings (odd but readable files) are dropped. */
static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void png_read_mem(png_structp png, png_bytep dst, size_t n)
{
    PngIo *io = png_get_io_ptr(png);
    if (n > io->len - io->pos) png_error(png, "truncated PNG data");
    memcpy(dst, io->buf + io->pos, n);
    io->pos += n;
}

/* Decode into io->pix (*w x *h gray bytes). Returns LS_OK, or a code with st
 * filled; io->pix / io->rows are left for the caller to free either way. */
static int png_decode(PngIo *io, png_structp png, png_infop info, png_uint_32 *w, png_uint_32 *h,
                      const char *name, Status *st)
{
    if (setjmp(png_jmpbuf(png))) {
        return status_fail(st, LS_ERR_PARSE, "%s: corrupt PNG: %s", name, io->msg);
    }
    png_set_read_fn(png, io, png_read_mem);
    png_read_info(png, info);

    *w = png_get_image_width(png, info);
    *h = png_get_image_height(png, info);
    int depth = png_get_bit_depth(png, info), ctype = png_get_color_type(png, info);
    if (*w > MAT_MAX_DIM || *h > MAT_MAX_DIM)
        return status_fail(st, LS_ERR_RANGE,
                           "%s: image is %lu x %lu pixels; the limit is %d in each direction", name,
                           (unsigned long)*w, (unsigned long)*h, MAT_MAX_DIM);

    /* Ask libpng for one 8-bit gray byte per pixel, whatever the file holds. */
    if (depth == 16) {
#ifdef PNG_READ_SCALE_16_TO_8_SUPPORTED
        png_set_scale_16(png); /* rounds, where strip_16 truncates */
#else
        png_set_strip_16(png);
#endif
    }
    if (ctype == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (ctype & PNG_COLOR_MASK_COLOR)
        png_set_rgb_to_gray_fixed(png, PNG_ERROR_ACTION_NONE, -1, -1); /* Rec. 709 weights */
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    if (png_get_channels(png, info) != 1 || png_get_bit_depth(png, info) != 8 ||
        png_get_rowbytes(png, info) != *w)
        return status_fail(st, LS_ERR_PARSE,
                           "%s: unsupported PNG layout (colour type %d, depth %d)", name, ctype,
                           depth);

    io->pix = malloc((size_t)*w * *h);
    io->rows = malloc((size_t)*h * sizeof *io->rows);
    if (!io->pix || !io->rows)
        return status_fail(st, LS_ERR_NOMEM, "%s: out of memory for a %lu x %lu image", name,
                           (unsigned long)*w, (unsigned long)*h);
    for (png_uint_32 i = 0; i < *h; i++)
        io->rows[i] = io->pix + (size_t)i * *w;
    png_read_image(png, io->rows);
    png_read_end(png, NULL); /* reads on to IEND, so a file cut short is caught */
    return LS_OK;
}

int io_read_png_mem(Mat *out, const unsigned char *buf, size_t len, const char *name, Status *st)
{
    if (!out) return status_fail(st, LS_ERR_ARG, "io_read_png_mem: no output matrix");
    *out = (Mat){0};
    if (!name) name = "image";
    if (!buf || len < 8 || png_sig_cmp(buf, 0, 8) != 0)
        return status_fail(st, LS_ERR_PARSE, "%s: not a PNG image (bad signature)", name);

    PngIo io = {.buf = buf, .len = len};
    png_structp png =
        png_create_read_struct(PNG_LIBPNG_VER_STRING, &io, png_on_error, png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return status_fail(st, LS_ERR_NOMEM, "%s: out of memory starting libpng", name);
    }
    png_uint_32 w = 0, h = 0;
    int rc = png_decode(&io, png, info, &w, &h, name, st);
    png_destroy_read_struct(&png, &info, NULL);
    Mat m = {0};
    if (rc == LS_OK && (rc = mat_init(&m, (int)h, (int)w, st)) == LS_OK)
        for (size_t k = 0; k < (size_t)w * h; k++)
            m.data[k] = (float)io.pix[k] * (1.0f / 255.0f);
    free(io.rows);
    free(io.pix);
    if (rc) return rc;
    *out = m;
    return LS_OK;
}

/* ---------------------------------------------------------------------------
 * Dispatch by magic bytes */

static bool looks_pgm(const unsigned char *b, size_t n)
{
    return n >= 2 && b[0] == 'P' && (b[1] == '2' || b[1] == '5');
}

static bool looks_png(const unsigned char *b, size_t n)
{
    return n >= 8 && png_sig_cmp(b, 0, 8) == 0;
}

/* Other netpbm kinds get a message that says what to do instead. */
static bool looks_netpbm_other(const unsigned char *b, size_t n)
{
    return n >= 2 && b[0] == 'P' && strchr("134679", b[1]) && b[1] != '\0';
}

static int read_image_buf(Mat *out, const unsigned char *b, size_t n, const char *name, Status *st)
{
    if (looks_pgm(b, n)) return io_read_pgm_mem(out, b, n, name, st);
    if (looks_png(b, n)) return io_read_png_mem(out, b, n, name, st);
    if (looks_netpbm_other(b, n))
        return status_fail(
            st, LS_ERR_PARSE,
            "%s: netpbm type P%c is not supported; convert it to a grayscale PGM or a PNG", name,
            b[1]);
    return status_fail(st, LS_ERR_PARSE, "%s: not a PGM (P2/P5) or PNG image", name);
}

int io_read_image(Mat *out, const char *path, Status *st)
{
    if (!out || !path) return status_fail(st, LS_ERR_ARG, "io_read_image: missing argument");
    *out = (Mat){0};
    unsigned char *buf;
    size_t len;
    int rc = read_whole(&buf, &len, path, st);
    if (rc) return rc;
    rc = read_image_buf(out, buf, len, display_name(path), st);
    free(buf);
    return rc;
}

int io_read_any(Mat *out, const char *path, bool *is_image, Status *st)
{
    if (is_image) *is_image = false;
    if (!out || !path) return status_fail(st, LS_ERR_ARG, "io_read_any: missing argument");
    *out = (Mat){0};
    unsigned char *buf;
    size_t len;
    int rc = read_whole(&buf, &len, path, st);
    if (rc) return rc;
    const char *name = display_name(path);
    if (looks_pgm(buf, len) || looks_png(buf, len) || looks_netpbm_other(buf, len)) {
        if (is_image) *is_image = true;
        rc = read_image_buf(out, buf, len, name, st);
    } else {
        rc = io_read_matrix_mem(out, (const char *)buf, len, name, st);
    }
    free(buf);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Writing: encode into memory, then write it atomically (src/base/file.h). */

/* A float in [0, 1] to the nearest of 256 levels; NaN becomes 0. */
static unsigned char to_byte(float v)
{
    if (!(v > 0.0f)) return 0;
    if (v >= 1.0f) return 255;
    return (unsigned char)(v * 255.0f + 0.5f);
}

static int encode_pgm(unsigned char **data, size_t *len, const Mat *img)
{
    char head[64];
    int hn = snprintf(head, sizeof head, "P5\n%d %d\n255\n", img->cols, img->rows);
    size_t n = (size_t)hn + (size_t)img->rows * (size_t)img->cols;
    unsigned char *b = malloc(n);
    if (!b) return LS_ERR_NOMEM;
    memcpy(b, head, (size_t)hn);
    unsigned char *px = b + hn;
    for (int i = 0; i < img->rows; i++)
        for (int j = 0; j < img->cols; j++)
            *px++ = to_byte(MAT_AT(img, i, j));
    *data = b;
    *len = n;
    return LS_OK;
}

static void png_write_mem(png_structp png, png_bytep src, size_t n)
{
    PngIo *io = png_get_io_ptr(png);
    if (n > io->out_cap - io->out_len) {
        size_t want = io->out_cap ? io->out_cap : 4096;
        while (want - io->out_len < n) {
            if (want > SIZE_MAX / 2) png_error(png, "PNG too large");
            want *= 2;
        }
        unsigned char *bigger = realloc(io->out, want);
        if (!bigger) png_error(png, "out of memory");
        io->out = bigger;
        io->out_cap = want;
    }
    memcpy(io->out + io->out_len, src, n);
    io->out_len += n;
}

static void png_flush_mem(png_structp png)
{
    (void)png;
}

/* Encode img as an 8-bit gray PNG into io->out (see the note on setjmp above:
 * io belongs to the caller, which frees io->out and io->rows). */
static int png_encode(PngIo *io, png_structp png, png_infop info, const Mat *img)
{
    if (setjmp(png_jmpbuf(png))) return LS_ERR_IO;
    png_set_write_fn(png, io, png_write_mem, png_flush_mem);
    png_set_IHDR(png, info, (png_uint_32)img->cols, (png_uint_32)img->rows, 8, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    io->rows = malloc(sizeof *io->rows);
    if (io->rows) io->rows[0] = malloc((size_t)img->cols);
    if (!io->rows || !io->rows[0]) png_error(png, "out of memory");
    png_bytep row = io->rows[0];
    for (int i = 0; i < img->rows; i++) {
        for (int j = 0; j < img->cols; j++)
            row[j] = to_byte(MAT_AT(img, i, j));
        png_write_row(png, row);
    }
    png_write_end(png, info);
    return LS_OK;
}

/* On success *data (malloc'd) holds the PNG file; on failure msg says why. */
static int encode_png(unsigned char **data, size_t *len, const Mat *img, char *msg, size_t msg_size)
{
    PngIo io = {0};
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, &io, png_on_error, png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        snprintf(msg, msg_size, "out of memory starting libpng");
        return LS_ERR_NOMEM;
    }
    int rc = png_encode(&io, png, info, img);
    png_destroy_write_struct(&png, &info);
    if (io.rows) free(io.rows[0]);
    free(io.rows);
    if (rc) {
        snprintf(msg, msg_size, "PNG encoder: %s", io.msg);
        free(io.out);
        return rc;
    }
    *data = io.out;
    *len = io.out_len;
    return LS_OK;
}

/* Case-insensitive ASCII comparison (strcasecmp is not in C11). */
static bool ext_is(const char *ext, const char *want)
{
    for (; *ext && *want; ext++, want++) {
        char a = *ext >= 'A' && *ext <= 'Z' ? (char)(*ext - 'A' + 'a') : *ext;
        if (a != *want) return false;
    }
    return *ext == '\0' && *want == '\0';
}

int io_write_image(const char *path, const Mat *img, Status *st)
{
    if (!path || !*path) return status_fail(st, LS_ERR_ARG, "io_write_image: no output file name");
    if (!img || !img->data || img->rows <= 0 || img->cols <= 0)
        return status_fail(st, LS_ERR_ARG, "%s: nothing to write (empty image)", path);
    if (img->rows > MAT_MAX_DIM || img->cols > MAT_MAX_DIM)
        return status_fail(st, LS_ERR_RANGE,
                           "%s: image is %d x %d pixels; the limit is %d in each direction", path,
                           img->cols, img->rows, MAT_MAX_DIM);

    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    bool png;
    if (dot && ext_is(dot, ".png"))
        png = true;
    else if (dot && ext_is(dot, ".pgm"))
        png = false;
    else
        return status_fail(st, LS_ERR_ARG,
                           "%s: unknown image type '%s'; the name must end in .pgm or .png", path,
                           dot ? dot : "(no extension)");

    unsigned char *data = NULL;
    size_t len = 0;
    char why[256] = "out of memory";
    int rc = png ? encode_png(&data, &len, img, why, sizeof why) : encode_pgm(&data, &len, img);
    if (rc) return status_fail(st, rc, "%s: %s", path, why);

    /* file_write_atomic: readers see the old image or the new one, never
     * half of one. */
    rc = file_write_atomic(path, data, len, st);
    free(data);
    return rc;
}
