/* demo.h — the table of runnable demos.
 *
 * The lesson layer (src/lesson/demo_schema.h) says which demos exist and
 * what parameters they take; this table says how to start each one: a
 * state size and an init that turns resolved DemoArgs into a running demo
 * (loading the image or matrix the lesson names). The interface keeps the
 * state behind a void pointer and hands it to the view of the same name.
 * No curses, no drawing. */
#ifndef LS_DEMO_H
#define LS_DEMO_H

#include <stddef.h>

#include "../lesson/demo_schema.h"

typedef struct DemoImpl {
    const char *name;  /* as in the schema: "svd" */
    size_t size;       /* bytes of state */
    /* Start from resolved args; on failure the state needs no free. */
    int (*init)(void *state, const DemoArgs *args, Status *st);
    void (*free)(void *state);
} DemoImpl;

/* NULL-terminated. */
extern const DemoImpl *const demo_impls[];
const DemoImpl *demo_impl_find(const char *name);

/* The matrix a rank demo names: `matrix` (a file under the root) or `rows`
 * (inline). Caller frees *out. */
int demo_args_matrix(Mat *out, const DemoArgs *args, Status *st);

/* lora-cost keeps only its three numbers; the result is recomputed. */
typedef struct LoraCostDemo {
    long long d, k, r;
} LoraCostDemo;


#endif
