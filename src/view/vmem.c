/* vmem.c — aborting allocators for the view layer (see vmem.h). */
#include "vmem.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *vmem_alloc(size_t size)
{
    void *p = calloc(1, size ? size : 1);
    if (!p) abort();
    return p;
}

void *vmem_realloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q) abort();
    return q;
}

void *vmem_array(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) abort();
    return vmem_alloc(n * size);
}

char *vmem_strdup(const char *s)
{
    return s ? vmem_strndup(s, strlen(s)) : NULL;
}

char *vmem_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = vmem_alloc(len + 1);
    memcpy(d, s, len);
    d[len] = 0;
    return d;
}

char *vmem_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    char *s = vmem_alloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}
