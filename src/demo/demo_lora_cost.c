/* demo_lora_cost.c — r(d + k) against d·k. */
#include "demo_lora_cost.h"

LoraCostResult lora_cost(long long d, long long k, long long r)
{
    LoraCostResult res = {0};
    if (d < 1) d = 1;
    if (k < 1) k = 1;
    long long rmax = d < k ? d : k;
    if (r < 1) r = 1;
    if (r > rmax) r = rmax;
    res.d = d;
    res.k = k;
    res.r = r;
    res.full = d * k;
    res.lora = r * (d + k);
    res.percent = 100.0 * (double)res.lora / (double)res.full;
    res.ratio = (double)res.full / (double)res.lora;
    /* r(d + k) >= d·k  <=>  r >= d·k / (d + k) */
    res.break_even = (res.full + (d + k) - 1) / (d + k);
    for (long long rr = 1; rr <= rmax && res.n_rows < LORA_COST_ROWS; rr *= 2) {
        LoraCostRow *row = &res.rows[res.n_rows++];
        row->r = rr;
        row->lora = rr * (d + k);
        row->full = res.full;
        row->percent = 100.0 * (double)row->lora / (double)row->full;
    }
    return res;
}
