/* cli.c — helpers shared by the subcommands (see cli.h). */
#include "cli.h"

#include "../base/out_path.h"
#include "../base/paths.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

bool cli_parse_int(const char *s, long lo, long hi, long *out, CliExpect *why)
{
    char *end;
    errno = 0;
    long v = s && *s ? strtol(s, &end, 10) : 0;
    if (s && *s && !errno && !*end && v >= lo && v <= hi) {
        *out = v;
        return true;
    }
    if (why) snprintf(why->text, sizeof why->text, "a whole number %ld..%ld", lo, hi);
    return false;
}

bool cli_parse_float(const char *s, double lo, double hi, double *out, CliExpect *why)
{
    char *end;
    errno = 0;
    double v = s && *s ? strtod(s, &end) : NAN;
    bool ok = s && *s && !(errno == ERANGE && fabs(v) > 1.0) && !*end && isfinite(v) && v >= lo &&
              v <= hi;
    if (ok) {
        *out = v;
        return true;
    }
    if (why) snprintf(why->text, sizeof why->text, "a number from %g to %g", lo, hi);
    return false;
}

/* The option as the user wrote it ("--steps", or "--steps" out of
 * "--steps=x"), from getopt's position after it took the option. */
static void option_name(char *out, size_t size, char **argv)
{
    const char *a = argv[optind - 1];
    /* A value given as the next word: the option is the word before. */
    if (optarg && a == optarg && optind >= 2) a = argv[optind - 2];
    size_t n = strcspn(a, "=");
    snprintf(out, size, "%.*s", (int)(n < 64 ? n : 64), a);
}

int cli_bad_option(const Command *cmd, char **argv, int c)
{
    char name[80];
    option_name(name, sizeof name, argv);
    if (c == ':') return cli_usage(cmd, "option '%s' needs a value", name);
    return cli_usage(cmd, "unknown option '%s'", name);
}

int cli_bad_value(const Command *cmd, char **argv, const CliExpect *why)
{
    char name[80];
    option_name(name, sizeof name, argv);
    return cli_usage(cmd, "bad value '%.80s' for %s: expected %s", optarg ? optarg : "", name,
                     why->text);
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
