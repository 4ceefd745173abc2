/* spread.h — a figure over several seeds: mean, sample standard deviation
 * (n - 1 in the denominator), min and max; and the rule that calls a
 * difference between two figures "inside the noise": smaller than the sum
 * of their two standard deviations (their mean ± 1 sd bands overlap). With
 * one seed there is no spread and no difference is called noise. */
#ifndef LS_SPREAD_H
#define LS_SPREAD_H

#include <stdbool.h>

typedef struct Spread {
    int n;
    double mean, std, min, max;
} Spread;

/* Mean, sample std (NaN with fewer than 2), min, max of the finite values. */
Spread spread_of(const double *v, int n);
/* Is the difference of two figures inside the noise? */
bool spread_inside_noise(const Spread *a, const Spread *b);

#endif
