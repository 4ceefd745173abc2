/* cmd_float.c — `lorascope float VALUE`: how fp32, fp16, bf16 and the fp8
 * formats (or a custom eXmY format) store one number, and what it costs.
 *
 * VALUE is read as a double (decimal, hex float such as 0x1.8p-3, inf or
 * nan, with a sign) and rounded once to each format, so fp32's own error
 * shows too. Options are parsed by hand rather than with getopt so that a
 * negative VALUE such as -0.1 is not taken for an option. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/json_out.h"
#include "../core/numfmt.h"
#include "cli.h"

static const char HELP[] =
    "Usage: lorascope float VALUE [--format FMT] [--saturate] [--json]\n"
    "\n"
    "Show how a number is stored in binary floating-point formats: the bits\n"
    "(sign|exponent|mantissa), the value actually stored, the rounding error and\n"
    "the spacing (ulp) of the format there. Rounding is to nearest, ties to even.\n"
    "\n"
    "VALUE is a decimal (0.1, -2.5e-3), a hex float (0x1.99ap-4), inf or nan,\n"
    "optionally signed. It is read as a double and rounded once to each format;\n"
    "errors are measured against that double.\n"
    "\n"
    "  --format FMT  one format in detail: fp32, fp16, bf16, e4m3, e5m2, or eXmY\n"
    "                for an IEEE-like custom format with X = 2..8 exponent bits\n"
    "                and Y = 0..23 mantissa bits (e5m10 behaves like fp16, e8m7\n"
    "                like bf16). Without it, all five named formats side by side.\n"
    "  --saturate    overflow gives the largest finite value instead of inf\n"
    "                (fp16, bf16, e5m2, fp32) or NaN (e4m3). By default e4m3 follows\n"
    "                the OCP fp8 spec's non-saturating conversion, as PyTorch and\n"
    "                ml_dtypes do: it has no infinity, so values that round beyond\n"
    "                448 become NaN.\n"
    "  --json        machine-readable output. With --format: one object. Without:\n"
    "                an object {\"input\", \"value\", \"formats\": [...]} holding one\n"
    "                object per format. Each format object has \"format\",\n"
    "                \"exp_bits\", \"man_bits\", \"bias\", \"bits\" (hex string such as\n"
    "                \"0x2e66\"), \"binary\", \"sign\", \"exponent\" and \"mantissa\" (the\n"
    "                stored fields), \"class\", \"value\", \"abs_error\", \"rel_error\",\n"
    "                \"ulp\", \"next_up\", \"next_down\", \"max\", \"min_normal\",\n"
    "                \"min_subnormal\", \"epsilon\". Infinities and NaN are null.\n"
    "\n"
    "Examples:\n"
    "  lorascope float 0.1\n"
    "  lorascope float 65520 --format fp16      (rounds up to inf)\n"
    "  lorascope float -1e-8 --format e4m3      (underflows to -0)\n"
    "  lorascope float 0x1.8p-3 --json\n";

/* Does arg look like a signed number rather than an option? */
static bool looks_like_value(const char *arg)
{
    if (arg[0] != '-') return true;
    char c = arg[1];
    return (c >= '0' && c <= '9') || c == '.' || c == 'i' || c == 'I' || c == 'n' || c == 'N';
}

/* The low n bits of v as binary digits (buf holds n + 1 chars). */
static void binary(char *buf, uint32_t v, int n)
{
    for (int i = 0; i < n; i++)
        buf[i] = (char)('0' + ((v >> (n - 1 - i)) & 1));
    buf[n] = '\0';
}

/* Hex digits for a pattern of `width` bits, e.g. "0x2e66". */
static void hex_string(char *buf, size_t size, const NumFormat *f, uint32_t bits)
{
    snprintf(buf, size, "0x%0*x", (numfmt_width(f) + 3) / 4, (unsigned)bits);
}

static cJSON *format_json(const NumFormat *f, const NumInfo *in)
{
    NumLimits l;
    numfmt_limits(&l, f);
    char hex[16], bin[64];
    hex_string(hex, sizeof hex, f, in->bits);
    numfmt_bits_string(bin, sizeof bin, f, in->bits, '|');
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "format", f->name);
    cJSON_AddNumberToObject(o, "exp_bits", f->exp_bits);
    cJSON_AddNumberToObject(o, "man_bits", f->man_bits);
    cJSON_AddNumberToObject(o, "bias", f->bias);
    cJSON_AddStringToObject(o, "bits", hex);
    cJSON_AddStringToObject(o, "binary", bin);
    cJSON_AddNumberToObject(o, "sign", in->sign);
    cJSON_AddNumberToObject(o, "exponent", in->exponent);
    cJSON_AddNumberToObject(o, "mantissa", in->mantissa);
    cJSON_AddStringToObject(o, "class", numfmt_class_name(in->cls));
    json_add_double(o, "value", in->value);
    json_add_double(o, "abs_error", in->abs_error);
    json_add_double(o, "rel_error", in->rel_error);
    json_add_double(o, "ulp", in->ulp);
    json_add_double(o, "next_up", in->next_up);
    json_add_double(o, "next_down", in->next_down);
    json_add_double(o, "max", l.max);
    json_add_double(o, "min_normal", l.min_normal);
    json_add_double(o, "min_subnormal", l.min_subnormal);
    json_add_double(o, "epsilon", l.epsilon);
    return o;
}

/* A value for the text output: enough digits to tell floats apart. */
static const char *num(char *buf, size_t size, double v)
{
    snprintf(buf, size, "%.17g", v);
    return buf;
}

/* An error or ulp for the text output: a number only when it is one. A
 * finite x stored as infinity or NaN overflowed the format: say so rather
 * than print an "inf" error that reads like a measurement (x = NAN: just
 * "-", for the ulp). */
static const char *err_text(char *buf, size_t size, double x, const NumInfo *in, double v,
                            const char *fmt)
{
    if (isfinite(v))
        snprintf(buf, size, fmt, v);
    else
        snprintf(buf, size, "%s", isfinite(x) && !isfinite(in->value) ? "overflow" : "-");
    return buf;
}

static void print_table(double x, const char *text, bool saturate)
{
    char b1[48];
    printf("%s (read as %s)\n\n", text, num(b1, sizeof b1, x));
    printf("%-6s %-34s %-10s %-22s %-10s %-10s %s\n", "format", "bits (sign|exponent|mantissa)",
           "hex", "stored value", "abs error", "rel error", "ulp");
    for (int id = 0; id < NUMFMT_COUNT; id++) {
        NumFormat f = *numfmt_get(id);
        f.saturate = saturate;
        NumInfo in;
        numfmt_info(&in, &f, x);
        char bin[64], hex[16];
        numfmt_bits_string(bin, sizeof bin, &f, in.bits, '|');
        hex_string(hex, sizeof hex, &f, in.bits);
        char e1[24], e2[24], e3[24];
        printf("%-6s %-34s %-10s %-22s %-10s %-10s %s\n", f.name, bin, hex,
               num(b1, sizeof b1, in.value), err_text(e1, sizeof e1, x, &in, in.abs_error, "%.3g"),
               err_text(e2, sizeof e2, x, &in, in.rel_error, "%.3g"),
               err_text(e3, sizeof e3, NAN, &in, (double)in.ulp, "%.3g"));
    }
    printf("\n%-6s %-14s %-14s %-14s %s\n", "format", "max", "min normal", "min subnormal",
           "epsilon");
    for (int id = 0; id < NUMFMT_COUNT; id++) {
        NumLimits l;
        numfmt_limits(&l, numfmt_get(id));
        printf("%-6s %-14.8g %-14.8g %-14.8g %.8g\n", numfmt_get(id)->name, (double)l.max,
               (double)l.min_normal, (double)l.min_subnormal, (double)l.epsilon);
    }
}

static void print_detail(const NumFormat *f, double x, const char *text)
{
    NumInfo in;
    numfmt_info(&in, f, x);
    NumLimits l;
    numfmt_limits(&l, f);
    char bin[64], hex[16], b1[48], b2[48];
    numfmt_bits_string(bin, sizeof bin, f, in.bits, '|');
    hex_string(hex, sizeof hex, f, in.bits);
    printf("%s: 1 sign, %d exponent, %d mantissa bits, bias %d%s\n", f->name, f->exp_bits,
           f->man_bits, f->bias,
           f->specials == NUMFMT_FN ? "; no infinity, only the all-ones pattern is NaN" : "");
    printf("input          %s (read as %s)\n", text, num(b1, sizeof b1, x));
    printf("bits           %s  (%s)\n", bin, hex);
    printf("sign           %d (%s)\n", in.sign, in.sign ? "-" : "+");
    char ebits[16], mbits[32];
    binary(ebits, in.exponent, f->exp_bits);
    binary(mbits, in.mantissa, f->man_bits);
    switch (in.cls) {
    case NUMFMT_NORMAL:
        printf("exponent       %s = %u, minus bias %d: 2^%d\n", ebits, in.exponent, f->bias,
               in.exp_unbiased);
        printf("mantissa       %s = %u: 1 + %u/2^%d = %.17g\n", f->man_bits ? mbits : "(none)",
               in.mantissa, in.mantissa, f->man_bits,
               1.0 + ldexp((double)in.mantissa, -f->man_bits));
        break;
    case NUMFMT_SUBNORMAL:
    case NUMFMT_ZERO:
        printf("exponent       %s = 0: no leading 1, scale 2^%d (zero and subnormals)\n", ebits,
               in.exp_unbiased);
        printf("mantissa       %s = %u: 0 + %u/2^%d = %.17g\n", f->man_bits ? mbits : "(none)",
               in.mantissa, in.mantissa, f->man_bits, ldexp((double)in.mantissa, -f->man_bits));
        break;
    default:
        printf("exponent       %s: all ones, a special value\n", ebits);
        printf("mantissa       %s\n", f->man_bits ? mbits : "(none)");
        break;
    }
    printf("class          %s\n", numfmt_class_name(in.cls));
    printf("stored value   %s\n", num(b1, sizeof b1, in.value));
    char e1[24], e2[24], e3[24];
    printf("abs error      %s\n", err_text(e1, sizeof e1, x, &in, in.abs_error, "%.6g"));
    printf("rel error      %s\n", err_text(e2, sizeof e2, x, &in, in.rel_error, "%.6g"));
    printf("ulp            %s\n", err_text(e3, sizeof e3, NAN, &in, (double)in.ulp, "%.9g"));
    if (isfinite(x) && !isfinite(in.value))
        printf("overflow       %s is beyond %s's largest value %.9g%s\n", text, f->name,
               (double)l.max, f->saturate ? "" : " (--saturate stores the largest instead)");
    printf("next up        %s\nnext down      %s\n", num(b1, sizeof b1, in.next_up),
           num(b2, sizeof b2, in.next_down));
    printf("max            %.9g\n", (double)l.max);
    printf("min normal     %.9g\n", (double)l.min_normal);
    printf("min subnormal  %.9g\n", (double)l.min_subnormal);
    printf("epsilon        %.9g\n", (double)l.epsilon);
}

static int run_float(int argc, char **argv)
{
    const char *value = NULL, *format = NULL;
    bool json = false, saturate = false, only_values = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_values && strcmp(a, "--") == 0) {
            only_values = true;
        } else if (!only_values && !looks_like_value(a)) {
            if (strcmp(a, "--json") == 0)
                json = true;
            else if (strcmp(a, "--saturate") == 0)
                saturate = true;
            else if (strncmp(a, "--format=", 9) == 0)
                format = a + 9;
            else if (strcmp(a, "--format") == 0) {
                if (i + 1 >= argc) return cli_usage(&cmd_float, "--format needs a format name");
                format = argv[++i];
            } else {
                return cli_usage(&cmd_float, "unknown option '%s'", a);
            }
        } else if (value) {
            return cli_usage(&cmd_float, "float takes one VALUE");
        } else {
            value = a;
        }
    }
    if (!value) return cli_usage(&cmd_float, "float needs a VALUE");

    NumFormat f;
    Status st;
    status_clear(&st);
    if (format && numfmt_parse(&f, format, &st)) return cli_usage(&cmd_float, "%s", st.msg);
    f.saturate = saturate;

    char *end;
    errno = 0;
    double x = strtod(value, &end);
    if (end == value || *end != '\0')
        return cli_error("'%s' is not a number (try 0.1, -2.5e-3, 0x1.8p-3, inf or nan)", value);
    if (errno == ERANGE && isinf(x))
        return cli_error("'%s' is beyond the range of a double; write inf for infinity", value);

    if (json) {
        cJSON *o;
        if (format) {
            NumInfo in;
            numfmt_info(&in, &f, x);
            o = format_json(&f, &in);
            cJSON_AddStringToObject(o, "input", value);
        } else {
            o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "input", value);
            json_add_double(o, "value", x);
            cJSON *arr = cJSON_AddArrayToObject(o, "formats");
            for (int id = 0; id < NUMFMT_COUNT; id++) {
                NumFormat g = *numfmt_get(id);
                g.saturate = saturate;
                NumInfo in;
                numfmt_info(&in, &g, x);
                cJSON_AddItemToArray(arr, format_json(&g, &in));
            }
        }
        return cli_print_json(o);
    }
    if (format)
        print_detail(&f, x, value);
    else
        print_table(x, value, saturate);
    return 0;
}

const Command cmd_float = {
    .name = "float",
    .summary = "how fp32/fp16/bf16/fp8 store a number, and the rounding error",
    .help = HELP,
    .run = run_float,
};
