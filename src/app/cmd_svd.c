/* cmd_svd.c — `lorascope svd FILE --rank K`: the best rank-k approximation
 * of an image or matrix, what it keeps, what it loses and what it costs. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>

#include "../base/json_out.h"
#include "../base/out_path.h"
#include "../core/io.h"
#include "../core/lowrank.h"
#include "cli.h"

static const char HELP[] =
    "Usage: lorascope svd FILE --rank K [--out IMAGE] [--json]\n"
    "       lorascope svd FILE --sweep [--json]\n"
    "\n"
    "Approximate an image (PGM/PNG) or a matrix (CSV/text) by its best rank-K\n"
    "matrix A_K (Eckart-Young) and report, for that rank:\n"
    "  energy captured      sum of the first K squared singular values / all\n"
    "  relative error       ||A - A_K||_F / ||A||_F, measured on the rebuilt matrix\n"
    "  Eckart-Young check   the measured error beside sqrt(sum of dropped s_i^2)\n"
    "  storage              K(m+n+1) numbers against m*n, and the compression ratio\n"
    "\n"
    "  --rank K     the rank, 1 .. min(m,n)\n"
    "  --out IMAGE  write the rank-K image (.pgm or .png; image input only)\n"
    "  --sweep      print those figures for every rank 1 .. min(m,n)\n"
    "  --json       JSON: rank, energy, relative_error, relative_error_svd,\n"
    "               storage, full_storage, compression, rows, cols\n"
    "               (with --sweep: rows, cols, singular_values and a sweep array)\n";

typedef struct RankReport {
    LowRankStats stats;
    double measured_error; /* ‖A − A_k‖_F from the rebuilt matrix */
    double norm;           /* ‖A‖_F */
} RankReport;

static int measure(RankReport *r, const LowRank *lr, const Mat *a, Mat *work, int k, Status *st)
{
    r->stats = lowrank_stats(lr, k);
    r->norm = sqrt(lr->total_energy);
    int rc = lowrank_rebuild(work, lr, k, st);
    if (rc) return rc;
    r->measured_error = mat_frobenius_diff(a, work);
    return LS_OK;
}

static cJSON *report_json(const RankReport *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "rank", r->stats.k);
    json_add_double(o, "energy", r->stats.energy);
    json_add_double(o, "relative_error", r->norm > 0 ? r->measured_error / r->norm : 0.0);
    json_add_double(o, "relative_error_svd", r->stats.relative_error);
    json_add_double(o, "frobenius_error", r->measured_error);
    json_add_double(o, "dropped_sigma_norm", r->stats.tail_norm);
    cJSON_AddNumberToObject(o, "storage", (double)r->stats.storage);
    cJSON_AddNumberToObject(o, "full_storage", (double)r->stats.full_storage);
    json_add_double(o, "compression", r->stats.compression);
    return o;
}

static void report_text(const RankReport *r, int kmax)
{
    const LowRankStats *s = &r->stats;
    printf("rank %d of %d\n", s->k, kmax);
    printf("  energy captured     %.6f  (%.2f %%)\n", s->energy, 100.0 * s->energy);
    printf("  relative error      %.6f  ||A - A_k||_F / ||A||_F\n",
           r->norm > 0 ? r->measured_error / r->norm : 0.0);
    printf("  Eckart-Young check  ||A - A_k||_F = %.6g   sqrt(sum dropped s^2) = %.6g\n",
           r->measured_error, s->tail_norm);
    printf("  storage             %lld numbers of %lld  (k(m+n+1) vs m*n)\n", s->storage,
           s->full_storage);
    printf("  compression         %.2fx\n", s->compression);
}

static int run_svd(int argc, char **argv)
{
    static const struct option opts[] = {
        {"rank", required_argument, NULL, 'k'},
        {"out", required_argument, NULL, 'o'},
        {"sweep", no_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {0, 0, 0, 0},
    };
    long rank = -1;
    const char *out = NULL;
    int sweep = 0, json = 0, c;
    CliExpect why;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            if (!cli_parse_int(optarg, 1, MAT_MAX_DIM, &rank, &why)) return cli_bad_value(&cmd_svd, argv, &why);
            break;
        case 'o': out = optarg; break;
        case 's': sweep = 1; break;
        case 'j': json = 1; break;
        default: return cli_bad_option(&cmd_svd, argv, c);
        }
    }
    if (optind != argc - 1)
        return cli_usage(&cmd_svd, optind >= argc ? "svd needs a FILE" : "svd takes one FILE");
    if (rank < 0 && !sweep) return cli_usage(&cmd_svd, "svd needs --rank K or --sweep");
    if (out && rank < 0) return cli_usage(&cmd_svd, "--out needs --rank K");
    const char *path = argv[optind];
    const OutSpec outs[] = {{"--out", out, OUT_FILE, NULL}};
    int bad = cli_check_outputs(&cmd_svd, outs, 1);
    if (bad) return bad;

    Status st;
    status_clear(&st);
    Mat a = {0}, work = {0};
    LowRank lr = {0};
    bool is_image = false;
    int rc = 0;
    if (io_read_any(&a, path, &is_image, &st)) return cli_status(&st);
    int kmax = a.rows < a.cols ? a.rows : a.cols;
    if (rank > kmax) {
        rc = cli_error("%s: rank %ld is more than min(m, n) = %d for this %d x %d %s", path, rank,
                       kmax, a.rows, a.cols, is_image ? "image" : "matrix");
        goto done;
    }
    if (out && !is_image) {
        rc = cli_error("--out writes an image, but %s is a matrix, not an image", path);
        goto done;
    }
    if (lowrank_init(&lr, &a, &st) || mat_init(&work, a.rows, a.cols, &st)) {
        rc = cli_status(&st);
        goto done;
    }

    if (rank > 0) {
        RankReport r;
        if (measure(&r, &lr, &a, &work, (int)rank, &st)) {
            rc = cli_status(&st);
            goto done;
        }
        if (out && io_write_image(out, &work, &st)) {
            rc = cli_status(&st);
            goto done;
        }
        if (json && !sweep) {
            cJSON *o = report_json(&r);
            cJSON_AddNumberToObject(o, "rows", a.rows);
            cJSON_AddNumberToObject(o, "cols", a.cols);
            cJSON_AddStringToObject(o, "file", path);
            if (out) cJSON_AddStringToObject(o, "out", out);
            rc = cli_print_json(o);
        } else if (!json) {
            printf("%s: %d x %d %s\n", path, a.rows, a.cols, is_image ? "image" : "matrix");
            report_text(&r, kmax);
            if (out) printf("  wrote               %s\n", out);
        }
    }
    if (sweep) {
        cJSON *o = json ? cJSON_CreateObject() : NULL, *arr = NULL;
        if (json) {
            cJSON_AddStringToObject(o, "file", path);
            cJSON_AddNumberToObject(o, "rows", a.rows);
            cJSON_AddNumberToObject(o, "cols", a.cols);
            cJSON_AddItemToObject(o, "singular_values", json_float_array(lr.svd.s, kmax));
            arr = cJSON_AddArrayToObject(o, "sweep");
        } else {
            if (rank > 0) putchar('\n');
            printf("%s: %d x %d %s\n", path, a.rows, a.cols, is_image ? "image" : "matrix");
            printf("%6s %12s %10s %10s %14s %12s %10s\n", "rank", "sigma_k", "energy",
                   "rel.error", "sqrt(dropped)", "storage", "ratio");
        }
        for (int k = 1; k <= kmax; k++) {
            RankReport r;
            if (measure(&r, &lr, &a, &work, k, &st)) {
                cJSON_Delete(o);
                rc = cli_status(&st);
                goto done;
            }
            if (json) {
                cJSON_AddItemToArray(arr, report_json(&r));
            } else {
                printf("%6d %12.6g %10.6f %10.6f %14.6g %12lld %9.2fx\n", k,
                       (double)lr.svd.s[k - 1], r.stats.energy,
                       r.norm > 0 ? r.measured_error / r.norm : 0.0, r.stats.tail_norm,
                       r.stats.storage, r.stats.compression);
            }
        }
        if (json) rc = cli_print_json(o);
    }

done:
    lowrank_free(&lr);
    mat_free(&work);
    mat_free(&a);
    return rc;
}

const Command cmd_svd = {
    .name = "svd",
    .summary = "best rank-k approximation of an image or matrix",
    .help = HELP,
    .run = run_svd,
};
