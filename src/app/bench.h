/* bench.h — `lorascope bench`: speed figures measured in the running binary.
 *
 * Each area contributes one BenchEntry (in its own bench_*.c file) listed in
 * cmd_bench.c. A bench prints a human table to stdout, or, with --json, adds
 * its figures to `out` under its own name. */
#ifndef LS_BENCH_H
#define LS_BENCH_H

#include <stdbool.h>

#include <cjson/cJSON.h>

typedef struct BenchOptions {
    int threads;   /* OpenBLAS threads (already applied) */
    bool threads_given; /* --threads was on the command line */
    bool json;     /* machine-readable output requested */
    bool quick;    /* fewer repetitions (used by the test suite) */
} BenchOptions;

typedef struct BenchEntry {
    const char *name;     /* "svd" */
    const char *summary;  /* one line for the help text */
    /* Run, print (unless o->json) and add figures to out. 0 on success. */
    int (*run)(const BenchOptions *o, cJSON *out);
} BenchEntry;

/* Monotonic clock in seconds. */
double bench_now(void);
/* Sort n timings ascending. */
void bench_sort(double *v, int n);
/* Their median (sorts v). */
double bench_median(double *v, int n);

/* The benches (one per bench_*.c). */
extern const BenchEntry bench_svd;
/* --- more benches are declared below as they land --- */
extern const BenchEntry bench_lab;
extern const BenchEntry bench_ui;
extern const BenchEntry bench_keys;
extern const BenchEntry bench_train;
extern const BenchEntry bench_subnormal;
extern const BenchEntry bench_quant;

#endif
