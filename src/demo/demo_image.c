/* demo_image.c — images for the demos at a bounded size (see demo_image.h). */
#include "demo_image.h"

#include <stdio.h>
#include <string.h>

#include "../core/io.h"

int demo_image_shrink(Mat *out, const Mat *a, int f, Status *st)
{
    int m = (a->rows + f - 1) / f, n = (a->cols + f - 1) / f;
    int rc = mat_init(out, m, n, st);
    if (rc) return rc;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            int r1 = (i + 1) * f < a->rows ? (i + 1) * f : a->rows;
            int c1 = (j + 1) * f < a->cols ? (j + 1) * f : a->cols;
            double sum = 0.0;
            for (int r = i * f; r < r1; r++)
                for (int c = j * f; c < c1; c++) sum += MAT_AT(a, r, c);
            MAT_AT(out, i, j) = (float)(sum / ((double)(r1 - i * f) * (c1 - j * f)));
        }
    return LS_OK;
}

int demo_read_image(Mat *out, const char *path, char *note, size_t note_size, Status *st)
{
    if (note && note_size) note[0] = '\0';
    Mat img = {0};
    int rc = io_read_image(&img, path, st);
    if (rc) return rc;
    int side = img.rows > img.cols ? img.rows : img.cols;
    if (side <= DEMO_IMAGE_MAX_SIDE) {
        *out = img;
        return LS_OK;
    }
    int f = (side + DEMO_IMAGE_MAX_SIDE - 1) / DEMO_IMAGE_MAX_SIDE;
    rc = demo_image_shrink(out, &img, f, st);
    if (!rc && note && note_size)
        snprintf(note, note_size, "%d x %d image shown at %d x %d (means of %d x %d pixels)",
                 img.cols, img.rows, out->cols, out->rows, f, f);
    mat_free(&img);
    return rc;
}
