/* gfx.h — pictures at the terminal's real resolution, without curses.
 *
 * Text cells give a picture two pixels per cell (half blocks ▀, see
 * widget_image). Terminals that speak an image protocol can show every
 * pixel; this file holds what that needs apart from the terminal itself:
 *
 *   - choosing the mode: an option or LORASCOPE_GRAPHICS (auto, text,
 *     sixel, kitty), and whether start-up may ask the terminal at all (not
 *     inside tmux or screen, which answer for themselves and do not pass
 *     images through by default; not on dumb or linux consoles);
 *   - the start-up question and reading its answer: a kitty graphics query
 *     (answered "OK" only by terminals with the protocol) followed by the
 *     primary device attributes request DA1 (answered by every VT100-style
 *     terminal; attribute 4 means sixel), so the answer always ends;
 *   - the two encoders, for 8-bit grayscale pictures (every picture in the
 *     lessons is gray): DEC sixel (a palette of gray levels, six pixel rows
 *     per band, run-length coded) and the kitty graphics protocol (raw RGB,
 *     base64 in chunks of at most 4096 bytes, placed over a cell rectangle
 *     that the terminal scales to).
 *
 * Sixel: VT330/VT340 Programmer Reference, "Sixel graphics"; kitty:
 * https://sw.kovidgoyal.net/kitty/graphics-protocol/ . */
#ifndef LS_VIEW_GFX_H
#define LS_VIEW_GFX_H

#include <stdbool.h>
#include <stddef.h>

typedef enum GfxMode { GFX_TEXT, GFX_SIXEL, GFX_KITTY } GfxMode;

/* "text" (also "off"), "sixel", "kitty" or "auto": false for anything else.
 * *is_auto is set for "auto" (then *mode is GFX_TEXT until detected). */
bool gfx_mode_parse(const char *s, GfxMode *mode, bool *is_auto);
const char *gfx_mode_name(GfxMode m);

/* May start-up ask this terminal (TERM, and $TMUX / $STY when set)? */
bool gfx_may_query(const char *term, const char *tmux, const char *sty);

/* The bytes to send, and what an answer says: complete once the DA1 reply
 * (ESC [ ? ... c) has arrived; the mode it shows (kitty when the graphics
 * query was answered OK, else sixel when DA1 lists attribute 4). */
extern const char gfx_query[];
bool gfx_reply_complete(const char *reply, size_t n);
GfxMode gfx_parse_reply(const char *reply, size_t n);
/* The background the same answer reports (OSC 11): 1 light, 0 dark, -1 not
 * said. A light background gets the light theme unless one was chosen. */
int gfx_parse_background(const char *reply, size_t n);
/* The same from $COLORFGBG ("15;0"), for terminals asked nothing. */
int gfx_background_from_colorfgbg(const char *v);

/* Box-average resampling of an 8-bit gray picture (iw × ih) to ow × oh. */
void gfx_resample(unsigned char *out, int ow, int oh, const unsigned char *in, int iw, int ih);

/* A sixel picture (DCS ... ST) of gray (w × h), with `levels` gray
 * registers (2..256). malloc'd, NUL-terminated, length in *len; NULL when
 * memory runs out or the size is silly. */
char *gfx_sixel(const unsigned char *gray, int w, int h, int levels, size_t *len);

/* A kitty graphics command placing gray (w × h) as image `id` over cols ×
 * rows cells at the cursor, without moving the cursor and with replies
 * suppressed. malloc'd, NUL-terminated; NULL as above. */
char *gfx_kitty(const unsigned char *gray, int w, int h, int cols, int rows, unsigned id,
                size_t *len);
/* Remove every kitty image placement (on a new frame and at exit). */
extern const char gfx_kitty_clear[];

#endif
