/* cli.c — helpers shared by the subcommands (see cli.h). */
#include "cli.h"

#include "../base/out_path.h"
#include "../base/paths.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("lorascope: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

int cli_status(const Status *st)
{
    return cli_error("%s", st->msg[0] ? st->msg : status_code_name(st->code));
}

int cli_usage(const Command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("lorascope: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (cmd)
        fprintf(stderr, "Try 'lorascope help %s'.\n", cmd->name);
    else
        fputs("Try 'lorascope --help'.\n", stderr);
    return EXIT_USAGE;
}

int cli_check_outputs(const Command *cmd, const OutSpec *outs, int n)
{
    Status st;
    status_clear(&st);
    int rc = out_paths_check(outs, n, &st);
    if (rc == LS_OK) return 0;
    if (rc == LS_ERR_ARG) return cli_usage(cmd, "%s", st.msg);
    return cli_status(&st);
}

bool cli_parse_int(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s) return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

bool cli_parse_float(const char *s, double lo, double hi, double *out)
{
    if (!s || !*s) return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno == ERANGE && fabs(v) > 1.0) return false;
    if (*end || !isfinite(v) || v < lo || v > hi) return false;
    *out = v;
    return true;
}

bool cli_model_dir(char *out, size_t size, const char *arg)
{
    if (!arg) return paths_resolve(out, size, "data/models/base") == 0;
    int n = snprintf(out, size, "%s", arg);
    return n >= 0 && (size_t)n < size;
}

int cli_print_json(cJSON *obj)
{
    char *text = obj ? cJSON_Print(obj) : NULL;
    cJSON_Delete(obj);
    if (!text) return cli_error("out of memory while writing JSON");
    puts(text);
    free(text);
    return 0;
}
