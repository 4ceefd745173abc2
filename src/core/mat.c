/* mat.c — row-major float matrices and views (see mat.h). */
#include "mat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int mat_init(Mat *m, int rows, int cols, Status *st)
{
    *m = (Mat){0};
    if (rows < 0 || cols < 0 || rows > MAT_MAX_DIM * 16 || cols > MAT_MAX_DIM * 16)
        return status_fail(st, LS_ERR_RANGE, "matrix size %d x %d is out of range", rows, cols);
    size_t n = (size_t)rows * (size_t)cols;
    if (n > 0) {
        m->data = calloc(n, sizeof(float));
        if (!m->data)
            return status_fail(st, LS_ERR_NOMEM, "out of memory for a %d x %d matrix", rows, cols);
    }
    m->rows = rows;
    m->cols = cols;
    m->stride = cols;
    m->owner = true;
    return LS_OK;
}

void mat_free(Mat *m)
{
    if (!m) return;
    if (m->owner) free(m->data);
    *m = (Mat){0};
}

int mat_clone(Mat *dst, const Mat *src, Status *st)
{
    int rc = mat_init(dst, src->rows, src->cols, st);
    if (rc) return rc;
    mat_copy(dst, src);
    return LS_OK;
}

Mat mat_view(const Mat *m, int r0, int c0, int rows, int cols)
{
    Mat v = {.rows = rows, .cols = cols, .stride = m->stride, .owner = false};
    v.data = m->data ? m->data + (size_t)r0 * (size_t)m->stride + (size_t)c0 : NULL;
    return v;
}

Mat mat_wrap(float *data, int rows, int cols)
{
    return (Mat){.rows = rows, .cols = cols, .stride = cols, .data = data, .owner = false};
}

void mat_copy(Mat *dst, const Mat *src)
{
    for (int i = 0; i < src->rows; i++)
        memcpy(&MAT_AT(dst, i, 0), &MAT_AT(src, i, 0), (size_t)src->cols * sizeof(float));
}

void mat_fill(Mat *m, float v)
{
    for (int i = 0; i < m->rows; i++)
        for (int j = 0; j < m->cols; j++) MAT_AT(m, i, j) = v;
}

double mat_frobenius(const Mat *m)
{
    double s = 0.0;
    for (int i = 0; i < m->rows; i++)
        for (int j = 0; j < m->cols; j++) {
            double x = MAT_AT(m, i, j);
            s += x * x;
        }
    return sqrt(s);
}

double mat_frobenius_diff(const Mat *a, const Mat *b)
{
    double s = 0.0;
    for (int i = 0; i < a->rows; i++)
        for (int j = 0; j < a->cols; j++) {
            double d = (double)MAT_AT(a, i, j) - (double)MAT_AT(b, i, j);
            s += d * d;
        }
    return sqrt(s);
}

double mat_max_abs_diff(const Mat *a, const Mat *b)
{
    double worst = 0.0;
    for (int i = 0; i < a->rows; i++)
        for (int j = 0; j < a->cols; j++) {
            double d = fabs((double)MAT_AT(a, i, j) - (double)MAT_AT(b, i, j));
            if (d > worst) worst = d;
        }
    return worst;
}

float mat_max_abs(const Mat *m)
{
    float worst = 0.0f;
    for (int i = 0; i < m->rows; i++)
        for (int j = 0; j < m->cols; j++) {
            float a = fabsf(MAT_AT(m, i, j));
            if (a > worst) worst = a;
        }
    return worst;
}

void mat_mul_ref(Mat *c, const Mat *a, const Mat *b)
{
    for (int i = 0; i < a->rows; i++)
        for (int j = 0; j < b->cols; j++) {
            double s = 0.0;
            for (int k = 0; k < a->cols; k++) s += (double)MAT_AT(a, i, k) * (double)MAT_AT(b, k, j);
            MAT_AT(c, i, j) = (float)s;
        }
}
