/* pool.h — the engine's own worker threads, for the passes of one model.
 *
 * Why not OpenBLAS's threads: (1) its workers do not take the caller's
 * floating-point mode, so the subnormal flush of the passes (subnormal.h)
 * would not reach them; (2) it threads each product on its own, and the
 * many small ones of a step (per-head attention, LayerNorm, GELU) gain
 * nothing from that. The engine instead splits whole kernels between its
 * threads and runs OpenBLAS single-threaded inside the passes, so its
 * threads plus OpenBLAS's never exceed the count the caller chose.
 *
 * A pool of n threads is the calling thread plus n - 1 helpers that sleep
 * on a condition variable between jobs. pool_run(p, fn, ctx) calls
 * fn(ctx, i, n) once for every share i in [0, n) and returns when all are
 * done. The caller and the helpers take shares in turn, so a helper that a
 * busy machine is slow to wake leaves its share to the caller rather than
 * stalling it; a helper loads the caller's control word (subnormal mode)
 * first. Which thread runs a share never changes its result: fn must only
 * depend on i (partial sums go to a slot per share, not per thread). */
#ifndef LS_POOL_H
#define LS_POOL_H

#include "../base/status.h"

typedef struct Pool Pool;

typedef void (*PoolFn)(void *ctx, int i, int n);

/* A pool of `threads` threads in all (>= 2; the caller is one of them). */
int pool_new(Pool **out, int threads, Status *st);
void pool_delete(Pool *p);
int pool_threads(const Pool *p);
/* Run fn(ctx, i, n) for i = 0..n-1 in parallel (see above). p may be NULL:
 * then fn(ctx, 0, 1) on the caller. Not reentrant: fn must not call
 * pool_run on the same pool. */
void pool_run(Pool *p, PoolFn fn, void *ctx);

/* The share [*lo, *hi) of thread i of n in [0, total), in multiples of
 * `align` (the last share takes the rest). */
void pool_share(int i, int n, int total, int align, int *lo, int *hi);

#endif
