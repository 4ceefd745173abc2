/* vmem.c — aborting allocators for the view layer (see vmem.h). */
#include "vmem.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The request that failed, for the fatal handler's message. abort() can
 * carry nothing, so this is the one piece of process-wide state here; it
 * is written once, just before the process dies. */
static volatile size_t failed_request;

/* Record what could not be had, then take the fatal path. */
static _Noreturn void out_of_memory(size_t size)
{
    failed_request = size ? size : 1;
    abort();
}

size_t vmem_failed_request(void)
{
    return failed_request;
}

void *vmem_alloc(size_t size)
{
    void *p = calloc(1, size ? size : 1);
    if (!p) out_of_memory(size);
    return p;
}

void *vmem_realloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q) out_of_memory(size);
    return q;
}

void *vmem_array(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) out_of_memory(SIZE_MAX);
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
