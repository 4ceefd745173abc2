/* clock.h — a monotonic clock for budgets (how long a piece of work ran).
 * Never the wall clock: it can jump. */
#ifndef LS_CLOCK_H
#define LS_CLOCK_H

/* Seconds since an arbitrary fixed point. */
double clock_now_s(void);

#endif
