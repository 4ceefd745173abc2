/* utf8.h — UTF-8 decoding, terminal cell widths and the ASCII fallback.
 *
 * A terminal cell holds one "column". Most characters take one; East Asian
 * wide characters and most emoji take two; combining marks (é written as
 * e + U+0301) and zero-width characters take none and attach to the previous
 * character. The width table here is our own, so layout is the same in every
 * locale and in the tests. When the locale is not UTF-8 the interface shows
 * ASCII only: uc_ascii() spells each character in ASCII ("σ" -> "sigma",
 * "≤" -> "<=", "ᵀ" -> "^T"); no curses here. */
#ifndef LS_VIEW_UTF8_H
#define LS_VIEW_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decode one code point from s (at most len bytes). Returns the bytes used
 * (1..4); malformed input yields U+FFFD and consumes one byte. len 0 -> 0. */
int utf8_decode(const char *s, size_t len, uint32_t *cp);
/* Encode cp into out (4 bytes room); returns the byte count. */
int utf8_encode(uint32_t cp, char out[4]);

/* Columns a code point takes: 0 (combining / zero width / control), 1 or 2. */
int uc_width(uint32_t cp);
/* Columns a NUL-terminated UTF-8 string takes. */
int utf8_width(const char *s);
/* Columns of the first len bytes. */
int utf8_width_n(const char *s, size_t len);

/* An ASCII spelling of cp ("" for marks that add nothing, "?" when unknown);
 * ASCII code points spell themselves via the return of NULL. */
const char *uc_ascii(uint32_t cp);
/* A malloc'd copy of s with every non-ASCII character spelled in ASCII.
 * Never NULL (aborts through the caller's allocator on no memory). */
char *utf8_to_ascii(const char *s);

/* Byte length of the longest prefix of s (len bytes) that fits in `cols`
 * columns without splitting a character; *used gets the columns taken. */
size_t utf8_fit(const char *s, size_t len, int cols, int *used);

/* True when the locale's codeset (from setlocale) is UTF-8. */
bool utf8_locale_is_utf8(const char *codeset);

#endif
