/* cmd_bench.c — `lorascope bench [NAME...]`: run the speed benchmarks.
 * Each area registers a BenchEntry in the table below. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/json_out.h"
#include "../core/linalg.h"
#include "bench.h"
#include "cli.h"

static const BenchEntry *const benches[] = {
    &bench_svd,
    &bench_quant,
    &bench_train,
    &bench_subnormal,
    &bench_ui,
    &bench_lab,
    &bench_keys,
    /* --- more benches listed here --- */
    NULL,
};

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void bench_sort(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
}

double bench_median(double *v, int n)
{
    bench_sort(v, n);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static const BenchEntry *find(const char *name)
{
    for (int i = 0; benches[i]; i++)
        if (strcmp(benches[i]->name, name) == 0) return benches[i];
    return NULL;
}

static void print_help(void)
{
    fputs("Usage: lorascope bench [NAME...] [--threads N] [--quick] [--json]\n"
          "\n"
          "Measure the speed figures lorascope promises, in this binary on this machine.\n"
          "Without NAME, every benchmark runs. Benchmarks:\n",
          stdout);
    for (int i = 0; benches[i]; i++) printf("  %-8s %s\n", benches[i]->name, benches[i]->summary);
    fputs("\n"
          "  --threads N  OpenBLAS threads (default 1, so figures compare across runs);\n"
          "               for keys, the lab's threads (default: the interface's own)\n"
          "  --quick      fewer repetitions (used by the test suite)\n"
          "  --json       one JSON object: threads, then one object per benchmark\n",
          stdout);
}

static int run_bench(int argc, char **argv);

const Command cmd_bench = {
    .name = "bench",
    .summary = "measure speed: svd, quant, ui, train, subnormal, lab, keys",
    .help = NULL, /* run_bench prints it, listing the benches from the table */
    .run = run_bench,
};

static int run_bench(int argc, char **argv)
{
    static const struct option opts[] = {
        {"threads", required_argument, NULL, 't'},
        {"quick", no_argument, NULL, 'q'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    BenchOptions o = {.threads = 1};
    long threads = 1;
    int c;
    CliExpect why;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (!cli_parse_int(optarg, 1, 256, &threads, &why)) return cli_bad_value(&cmd_bench, argv, &why);
            o.threads_given = true;
            break;
        case 'q': o.quick = true; break;
        case 'j': o.json = true; break;
        case 'h': print_help(); return 0;
        default: return cli_bad_option(&cmd_bench, argv, c);
        }
    }
    for (int i = optind; i < argc; i++)
        if (!find(argv[i])) return cli_usage(&cmd_bench, "unknown benchmark '%s'", argv[i]);
    o.threads = (int)threads;
    linalg_set_threads(o.threads);

    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "threads", o.threads);
    cJSON_AddStringToObject(out, "blas", linalg_backend());
    if (!o.json)
        printf("lorascope bench: %d OpenBLAS thread%s, %s\n", o.threads, o.threads == 1 ? "" : "s",
               linalg_backend());
    int rc = 0;
    for (int i = 0; benches[i] && !rc; i++) {
        bool wanted = optind == argc;
        for (int j = optind; j < argc; j++) wanted |= strcmp(argv[j], benches[i]->name) == 0;
        if (!wanted) continue;
        if (!o.json) printf("\n== %s: %s\n", benches[i]->name, benches[i]->summary);
        cJSON *section = cJSON_AddObjectToObject(out, benches[i]->name);
        rc = benches[i]->run(&o, section);
    }
    if (o.json && !rc) return cli_print_json(out);
    cJSON_Delete(out);
    return rc;
}
