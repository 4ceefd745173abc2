/* spread.c — mean and spread over seeds (see spread.h). */
#include "spread.h"

#include <math.h>

Spread spread_of(const double *v, int n)
{
    Spread s = {.mean = NAN, .std = NAN, .min = NAN, .max = NAN};
    double sum = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(v[i])) continue;
        if (s.n == 0 || v[i] < s.min) s.min = v[i];
        if (s.n == 0 || v[i] > s.max) s.max = v[i];
        sum += v[i];
        s.n++;
    }
    if (s.n == 0) return s;
    s.mean = sum / s.n;
    if (s.n >= 2) {
        double q = 0;
        for (int i = 0; i < n; i++)
            if (isfinite(v[i])) q += (v[i] - s.mean) * (v[i] - s.mean);
        s.std = sqrt(q / (s.n - 1));
    }
    return s;
}

bool spread_inside_noise(const Spread *a, const Spread *b)
{
    if (a->n < 2 || b->n < 2 || !isfinite(a->std) || !isfinite(b->std)) return false;
    return fabs(a->mean - b->mean) < a->std + b->std;
}
