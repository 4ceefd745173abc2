/* demo_lora_cost.h — lesson 5: what a rank-r update costs.
 *
 * Full fine-tuning trains every entry of ΔW (d × k): d·k numbers. LoRA
 * writes ΔW = B·A with B (d × r) and A (r × k) and trains r(d + k)
 * numbers — for d = k = 4096 and r = 8, 65 536 instead of 16 777 216,
 * 0.39 %. The result also lists the cost at r = 1, 2, 4, … for a table. */
#ifndef LS_DEMO_LORA_COST_H
#define LS_DEMO_LORA_COST_H

enum { LORA_COST_ROWS = 12 };

typedef struct LoraCostRow {
    long long r, lora, full;
    double percent;  /* 100 · lora / full */
} LoraCostRow;

typedef struct LoraCostResult {
    long long d, k, r;
    long long full;      /* d·k */
    long long lora;      /* r(d + k) */
    double percent;      /* 100 · lora / full */
    double ratio;        /* full / lora */
    long long break_even; /* smallest r with r(d + k) >= d·k */
    LoraCostRow rows[LORA_COST_ROWS]; /* r = 1, 2, 4, ... (at most min(d, k)) */
    int n_rows;
} LoraCostResult;

/* r is clamped to 1..min(d, k); d and k to >= 1. */
LoraCostResult lora_cost(long long d, long long k, long long r);

#endif
