/* vmem.h — allocation for the view layer.
 *
 * The interface cannot do anything useful without memory for its own
 * screen model, so these abort() on failure instead of threading a status
 * through every draw call. abort() raises SIGABRT, whose handler in src/ui
 * restores the terminal first (the fatal path) and, seeing
 * vmem_failed_request(), says the process ran out of memory. Numeric work
 * that can fail on big inputs (demos, SVDs) still returns a Status. */
#ifndef LS_VIEW_VMEM_H
#define LS_VIEW_VMEM_H

#include <stddef.h>

void *vmem_alloc(size_t size);               /* zeroed */
void *vmem_realloc(void *p, size_t size);
void *vmem_array(size_t n, size_t size);     /* zeroed, overflow-checked */
char *vmem_strdup(const char *s);            /* NULL -> NULL */
char *vmem_strndup(const char *s, size_t n);
/* printf into a fresh string. */
char *vmem_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The size of the request that could not be met (SIZE_MAX for one too big
 * to express), or 0 while every allocation has succeeded. Safe to call
 * from a signal handler. */
size_t vmem_failed_request(void);

#endif
