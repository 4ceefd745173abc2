/* io.h — reading matrices and images, writing images.
 *
 * Matrices come from CSV or whitespace-separated text (one row per line,
 * blank lines and lines starting with '#' ignored; "-" reads standard input).
 * Images come from PGM (P2 ASCII and P5 binary, maxval up to 65535) or PNG
 * (any colour type, converted to grayscale), as floats in [0, 1].
 * Every reader is bounds-checked: bad input returns LS_ERR_PARSE / LS_ERR_IO /
 * LS_ERR_RANGE with a message that names the file (and line, for text), never
 * crashes. Sizes above MAT_MAX_DIM in either direction are refused.
 *
 * Text matrix rules, precisely:
 *   - values are separated by commas and/or spaces and tabs ("1,2,3",
 *     "1 2 3", "1, 2, 3" all read the same); a single trailing comma is
 *     tolerated (spreadsheets write one), an empty value (",,", a leading
 *     comma) is not;
 *   - '#' starts a comment, on its own line or after the last value;
 *   - numbers are C decimals ("-1.5e-3", ".5", "+2"), read the same whatever
 *     the locale; NaN, infinities and values beyond float range are refused;
 *   - every row must have as many values as the first one; \r\n line ends and
 *     a UTF-8 byte-order mark are accepted.
 *
 * Error codes:
 *   LS_ERR_IO     the file cannot be opened or read (or written);
 *   LS_ERR_PARSE  malformed content: a non-number, a ragged row, empty input,
 *                 a corrupt or truncated image, a PGM maxval outside 1..65535,
 *                 a pixel above maxval, a zero width or height;
 *   LS_ERR_RANGE  well-formed but not acceptable: NaN/Inf/out-of-float values,
 *                 more than MAT_MAX_DIM rows or columns, a file larger than
 *                 IO_MAX_FILE_BYTES;
 *   LS_ERR_ARG    caller mistakes (NULL pointers, an empty matrix to write, an
 *                 output name that is neither .pgm nor .png);
 *   LS_ERR_NOMEM  allocation failed.
 * On failure *out is left as an empty matrix (safe to mat_free). */
#ifndef LS_IO_H
#define LS_IO_H

#include <stdbool.h>
#include <stddef.h>

#include "mat.h"

/* Largest file the readers will load into memory: 256 MiB, room for a
 * 4096 x 4096 text matrix at ~16 characters per value, or any PNG/PGM of
 * that size. Larger files are refused before they are read. */
#define IO_MAX_FILE_BYTES ((size_t)256 << 20)

/* Text matrix from a file ("-" = stdin). */
int io_read_matrix(Mat *out, const char *path, Status *st);
/* Text matrix from memory; `name` is used in messages. */
int io_read_matrix_mem(Mat *out, const char *text, size_t len, const char *name, Status *st);

/* Image from a PGM or PNG file, chosen by its magic bytes ("-" = stdin). */
int io_read_image(Mat *out, const char *path, Status *st);
int io_read_pgm_mem(Mat *out, const unsigned char *buf, size_t len, const char *name, Status *st);
/* PNG from memory: palette, RGB and alpha are reduced to 8-bit gray by
 * libpng (Rec. 709 luma weights, alpha dropped, 16-bit scaled to 8). */
int io_read_png_mem(Mat *out, const unsigned char *buf, size_t len, const char *name, Status *st);

/* A matrix or an image: images are recognised by magic bytes ("P2", "P5",
 * PNG signature), anything else is read as a text matrix. *is_image may be
 * NULL. */
int io_read_any(Mat *out, const char *path, bool *is_image, Status *st);

/* Write img (values clamped to [0, 1], NaN as 0, rounded to the nearest of
 * 256 levels) as 8-bit grayscale; the format follows the extension (.pgm or
 * .png, any case; anything else is LS_ERR_ARG). Written with
 * file_write_atomic (src/base/file.h), so a failure never leaves a
 * half-written image behind. The file gets mode 0644. */
int io_write_image(const char *path, const Mat *img, Status *st);

#endif
