/* demo_image.h — images for the demos, at a size the interface can afford.
 *
 * A terminal shows a few hundred pixels of an image at most, and the work
 * of a demo grows with the pixels (the SVD of a 4096 x 4096 photo takes
 * seconds and most of a gigabyte). So a demo works on at most
 * DEMO_IMAGE_MAX_SIDE pixels a side: a larger image is averaged down by a
 * whole factor f (each new pixel the mean of an f x f block; the last
 * row and column of blocks may be partial) and the demo says so. */
#ifndef LS_DEMO_IMAGE_H
#define LS_DEMO_IMAGE_H

#include <stddef.h>

#include "../base/status.h"
#include "../core/mat.h"

enum { DEMO_IMAGE_MAX_SIDE = 512 };

/* Read the image at path into out (caller frees), shrunk as above when
 * needed. note (note_size bytes, may be NULL) gets the message shown with
 * the demo, e.g. "4096 x 4096 image shown at 512 x 512 (means of 8 x 8
 * pixels)", or "" when the image is used as it is. */
int demo_read_image(Mat *out, const char *path, char *note, size_t note_size, Status *st);

/* The shrinking alone: out = a averaged down by factor f >= 1. */
int demo_image_shrink(Mat *out, const Mat *a, int f, Status *st);

#endif
