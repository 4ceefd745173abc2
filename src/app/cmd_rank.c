/* cmd_rank.c — `lorascope rank FILE`: numerical rank, singular values and
 * (with --steps) the row reduction that exposes the rank by hand. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "../base/json_out.h"
#include "../core/io.h"
#include "../core/linalg.h"
#include "../core/rowreduce.h"
#include "cli.h"

static const char HELP[] =
    "Usage: lorascope rank FILE [--tol T] [--steps] [--json]\n"
    "\n"
    "Print the numerical rank of a matrix: the number of singular values above a\n"
    "tolerance. FILE is CSV or whitespace-separated text ('-' for standard input),\n"
    "or a PGM/PNG image.\n"
    "\n"
    "  --tol T    count singular values > T (default: s1 * max(m,n) * eps with\n"
    "             eps = 2^-23, as NumPy's matrix_rank does for float32)\n"
    "  --steps    also print the row reduction to echelon form, step by step\n"
    "  --json     print one JSON object: rows, cols, rank, tolerance,\n"
    "             singular_values (and steps, echelon, echelon_rank with --steps)\n";

static void print_matrix(const double *m, int rows, int cols)
{
    for (int i = 0; i < rows; i++) {
        fputs("    [", stdout);
        for (int j = 0; j < cols; j++) {
            double v = m[(size_t)i * cols + j];
            printf("%s%10.4g", j ? " " : "", v == 0.0 ? 0.0 : v); /* no "-0" */
        }
        puts(" ]");
    }
}

static const char *op_name(RowOpKind k)
{
    static const char *const names[] = {[RR_SWAP] = "swap", [RR_SCALE] = "scale",
                                        [RR_ELIMINATE] = "eliminate"};
    return names[k];
}

static cJSON *steps_json(const RowReduction *rr)
{
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < rr->n_ops; i++) {
        const RowOp *op = &rr->ops[i];
        char text[128];
        rowop_describe(op, text, sizeof text);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "op", op_name(op->kind));
        cJSON_AddNumberToObject(o, "row", op->row + 1);
        if (op->kind != RR_SCALE) cJSON_AddNumberToObject(o, "src", op->src + 1);
        if (op->kind != RR_SWAP) json_add_double(o, "factor", op->factor);
        cJSON_AddNumberToObject(o, "column", op->col + 1);
        cJSON_AddStringToObject(o, "text", text);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static cJSON *echelon_json(const RowReduction *rr)
{
    cJSON *rows = cJSON_CreateArray();
    for (int i = 0; i < rr->rows; i++) {
        cJSON *row = cJSON_CreateArray();
        for (int j = 0; j < rr->cols; j++) {
            double v = rr->echelon[(size_t)i * rr->cols + j];
            cJSON_AddItemToArray(row, json_double(v == 0.0 ? 0.0 : v));
        }
        cJSON_AddItemToArray(rows, row);
    }
    return rows;
}

static int run_rank(int argc, char **argv)
{
    static const struct option opts[] = {
        {"tol", required_argument, NULL, 't'},
        {"steps", no_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {0, 0, 0, 0},
    };
    double tol = -1.0;
    int steps = 0, json = 0, c;
    CliExpect why;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (!cli_parse_float(optarg, 0.0, 1e30, &tol, &why)) return cli_bad_value(&cmd_rank, argv, &why);
            break;
        case 's': steps = 1; break;
        case 'j': json = 1; break;
        default: return cli_bad_option(&cmd_rank, argv, c);
        }
    }
    if (optind != argc - 1)
        return cli_usage(&cmd_rank, optind >= argc ? "rank needs a FILE" : "rank takes one FILE");
    const char *path = argv[optind];

    Status st;
    status_clear(&st);
    Mat a = {0};
    if (io_read_any(&a, path, NULL, &st)) return cli_status(&st);
    int k = a.rows < a.cols ? a.rows : a.cols;
    float *s = malloc((size_t)k * sizeof(float));
    if (!s) {
        mat_free(&a);
        return cli_error("out of memory");
    }
    if (svd_values(s, &a, &st)) {
        free(s);
        mat_free(&a);
        return cli_status(&st);
    }
    float t = tol >= 0 ? (float)tol : rank_default_tolerance(s, k, a.rows, a.cols);
    int rank = rank_from_values(s, k, t);

    RowReduction rr = {0};
    if (steps && rowreduce(&rr, &a, -1.0, &st)) {
        free(s);
        mat_free(&a);
        return cli_status(&st);
    }

    int rc = 0;
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "file", path);
        cJSON_AddNumberToObject(o, "rows", a.rows);
        cJSON_AddNumberToObject(o, "cols", a.cols);
        cJSON_AddNumberToObject(o, "rank", rank);
        json_add_float(o, "tolerance", t);
        cJSON_AddStringToObject(o, "tolerance_rule", tol >= 0 ? "given" : "s1*max(m,n)*eps");
        cJSON_AddItemToObject(o, "singular_values", json_float_array(s, k));
        if (steps) {
            cJSON_AddItemToObject(o, "steps", steps_json(&rr));
            cJSON_AddItemToObject(o, "echelon", echelon_json(&rr));
            cJSON_AddNumberToObject(o, "echelon_rank", rr.rank);
            json_add_double(o, "pivot_tolerance", rr.tol);
        }
        rc = cli_print_json(o);
    } else {
        printf("%s: %d x %d matrix\n", path, a.rows, a.cols);
        printf("rank:            %d\n", rank);
        printf("tolerance:       %.6g (%s)\n", (double)t,
               tol >= 0 ? "given with --tol" : "default: s1 * max(m,n) * eps");
        fputs("singular values:", stdout);
        int shown = k < 32 ? k : 32;
        for (int i = 0; i < shown; i++) printf(" %.6g", (double)s[i]);
        if (shown < k) printf(" ... (%d more)", k - shown);
        putchar('\n');
        if (steps) {
            /* Replay the recorded steps on a copy so each intermediate
             * matrix can be shown. */
            size_t n = (size_t)a.rows * a.cols;
            double *m = malloc(n * sizeof(double) + 1);
            if (!m) rc = cli_error("out of memory");
            for (size_t i = 0; m && i < n; i++) m[i] = a.data[(i / a.cols) * a.stride + i % a.cols];
            if (m && a.rows * a.cols <= 64) {
                puts("\nrow reduction:\n  start");
                print_matrix(m, a.rows, a.cols);
            } else if (m) {
                puts("\nrow reduction (matrix too large to print each step):");
            }
            for (int i = 0; m && i < rr.n_ops; i++) {
                char text[128];
                rowop_describe(&rr.ops[i], text, sizeof text);
                printf("  %d. %s\n", i + 1, text);
                rowreduce_replay(m, a.rows, a.cols, &rr.ops[i], 1);
                if (a.rows * a.cols <= 64) print_matrix(m, a.rows, a.cols);
            }
            if (m) {
                puts("  echelon form (entries within the pivot tolerance shown as 0):");
                if (a.rows * a.cols <= 400) print_matrix(rr.echelon, a.rows, a.cols);
                printf("  pivots: %d (pivot tolerance %.3g), so the rank by elimination is %d\n",
                       rr.rank, rr.tol, rr.rank);
            }
            free(m);
        }
    }
    rowreduce_free(&rr);
    free(s);
    mat_free(&a);
    return rc;
}

const Command cmd_rank = {
    .name = "rank",
    .summary = "numerical rank and singular values of a matrix",
    .help = HELP,
    .run = run_rank,
};
