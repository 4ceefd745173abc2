/* mat.h — a row-major float matrix with views.
 *
 * Element (i, j) lives at data[i * stride + j]. A Mat either owns its data
 * (made by mat_init) or is a view into another Mat's storage (mat_view), in
 * which case stride may exceed cols and mat_free does nothing. */
#ifndef LS_MAT_H
#define LS_MAT_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/status.h"

typedef struct Mat {
    int rows, cols;
    int stride;     /* floats between the starts of consecutive rows */
    float *data;
    bool owner;     /* true when mat_free must release data */
} Mat;

#define MAT_AT(m, i, j) ((m)->data[(size_t)(i) * (size_t)(m)->stride + (size_t)(j)])

/* Largest matrix lorascope reads or builds: 4096 x 4096 (64 MiB of floats). */
#define MAT_MAX_DIM 4096

/* Allocate a zeroed rows x cols matrix. 0 x 0 is allowed (data NULL). */
int mat_init(Mat *m, int rows, int cols, Status *st);
/* Release an owned matrix (views and NULL are fine) and zero the struct. */
void mat_free(Mat *m);
/* Deep copy into a freshly allocated dst. */
int mat_clone(Mat *dst, const Mat *src, Status *st);
/* A view of the rows x cols block starting at (r0, c0); no copy. */
Mat mat_view(const Mat *m, int r0, int c0, int rows, int cols);
/* Copy values between same-shaped matrices (either may be a view). */
void mat_copy(Mat *dst, const Mat *src);
void mat_fill(Mat *m, float v);
/* A matrix that wraps caller-owned contiguous storage. */
Mat mat_wrap(float *data, int rows, int cols);

/* Frobenius norm, accumulated in double. */
double mat_frobenius(const Mat *m);
/* Frobenius norm of a - b (same shapes). */
double mat_frobenius_diff(const Mat *a, const Mat *b);
/* Largest |a_ij - b_ij|. */
double mat_max_abs_diff(const Mat *a, const Mat *b);
/* Largest |a_ij|. */
float mat_max_abs(const Mat *m);

/* Reference product C = A * B by three loops with double accumulation.
 * Slow and obviously correct: the tests compare the BLAS path against it. */
void mat_mul_ref(Mat *c, const Mat *a, const Mat *b);

#endif
