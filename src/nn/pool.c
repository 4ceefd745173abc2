/* pool.c — worker threads for the engine's passes (see pool.h). */
#include "pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "subnormal.h"

struct Pool {
    int n;                 /* threads including the caller = shares per job */
    pthread_t *helpers;    /* (n - 1) */
    pthread_mutex_t mu;
    pthread_cond_t wake;   /* a new job, or shutdown */
    pthread_cond_t done;   /* the last share of a job finished */
    unsigned long job;     /* job number, bumped per pool_run */
    int next;              /* next share of the current job to hand out */
    int finished;          /* shares of the current job done */
    int quit;
    PoolFn fn;
    void *ctx;
    unsigned long long control; /* the caller's floating-point control word */
};

typedef struct Helper {
    Pool *p;
} Helper;

/* Takes and runs shares of the current job until none is left; called and
 * returns with p->mu held. Any thread may run any share: a helper that is
 * slow to wake (a busy machine) leaves its share to the caller instead of
 * holding it up, and the results do not depend on who ran what. */
static void run_shares(Pool *p, bool helper)
{
    while (p->next < p->n) {
        int i = p->next++;
        PoolFn fn = p->fn;
        void *ctx = p->ctx;
        unsigned long long control = p->control, mine = 0;
        pthread_mutex_unlock(&p->mu);
        if (helper) {
            mine = subnormal_control_get();
            subnormal_control_set(control);
        }
        fn(ctx, i, p->n);
        if (helper) subnormal_control_set(mine);
        pthread_mutex_lock(&p->mu);
        if (++p->finished == p->n) pthread_cond_signal(&p->done);
    }
}

static void *helper_main(void *arg)
{
    Helper h = *(Helper *)arg;
    free(arg);
    Pool *p = h.p;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->job == seen) pthread_cond_wait(&p->wake, &p->mu);
        if (p->quit) break;
        seen = p->job;
        run_shares(p, true);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int pool_new(Pool **out, int threads, Status *st)
{
    *out = NULL;
    if (threads < 2) return status_fail(st, LS_ERR_ARG, "a pool needs at least 2 threads, not %d", threads);
    Pool *p = calloc(1, sizeof *p);
    if (!p) return status_fail(st, LS_ERR_NOMEM, "out of memory for a thread pool");
    p->n = threads;
    p->helpers = calloc((size_t)threads - 1, sizeof *p->helpers);
    if (!p->helpers) {
        free(p);
        return status_fail(st, LS_ERR_NOMEM, "out of memory for a thread pool");
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    for (int i = 1; i < threads; i++) {
        Helper *h = malloc(sizeof *h);
        if (h) *h = (Helper){p};
        if (!h || pthread_create(&p->helpers[i - 1], NULL, helper_main, h) != 0) {
            free(h);
            p->n = i; /* only the helpers started so far are joined */
            pool_delete(p);
            return status_fail(st, LS_ERR_NOMEM, "cannot start worker thread %d of %d", i, threads - 1);
        }
    }
    *out = p;
    return LS_OK;
}

void pool_delete(Pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n - 1; i++) pthread_join(p->helpers[i], NULL);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mu);
    free(p->helpers);
    free(p);
}

int pool_threads(const Pool *p) { return p ? p->n : 1; }

void pool_run(Pool *p, PoolFn fn, void *ctx)
{
    if (!p) {
        fn(ctx, 0, 1);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->control = subnormal_control_get();
    p->next = 0;
    p->finished = 0;
    p->job++;
    pthread_cond_broadcast(&p->wake);
    run_shares(p, false);
    while (p->finished < p->n) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void pool_share(int i, int n, int total, int align, int *lo, int *hi)
{
    if (align < 1) align = 1;
    int units = (total + align - 1) / align;
    int a = (int)((long long)units * i / n) * align, b = (int)((long long)units * (i + 1) / n) * align;
    *lo = a < total ? a : total;
    *hi = i == n - 1 || b > total ? total : b;
}
