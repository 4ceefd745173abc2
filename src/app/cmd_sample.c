/* cmd_sample.c — `lorascope sample`: generate text from a model. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/paths.h"
#include "../core/linalg.h"
#include "../nn/checkpoint.h"
#include "../nn/sample.h"
#include "cli.h"

static const char HELP[] =
    "Usage: lorascope sample [--model DIR] [--prompt TEXT] [--tokens N]\n"
    "                        [--temperature T] [--top-k K] [--seed S]\n"
    "\n"
    "Continue TEXT byte by byte and print the prompt and the continuation.\n"
    "\n"
    "  --model DIR       model folder (default data/models/base)\n"
    "  --prompt TEXT     start of the text (default: none, start of a line)\n"
    "  --tokens N        bytes to generate (default 200)\n"
    "  --temperature T   0 = greedy; higher is more random (default 0.8)\n"
    "  --top-k K         draw only from the K likeliest bytes (default 0 = all)\n"
    "  --seed S          random seed (default 1)\n";

static void emit(void *ctx, unsigned char byte)
{
    (void)ctx;
    putchar(byte);
    fflush(stdout);
}

static int run_sample(int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'},  {"prompt", required_argument, NULL, 'p'},
        {"tokens", required_argument, NULL, 'n'}, {"temperature", required_argument, NULL, 't'},
        {"top-k", required_argument, NULL, 'k'},  {"seed", required_argument, NULL, 's'},
        {0, 0, 0, 0},
    };
    const char *model_arg = NULL, *prompt = "";
    long tokens = 200, top_k = 0, seed = 1;
    double temperature = 0.8;
    int c;
    CliExpect why;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        bool ok = true;
        switch (c) {
        case 'm': model_arg = optarg; break;
        case 'p': prompt = optarg; break;
        case 'n': ok = cli_parse_int(optarg, 0, 1000000, &tokens, &why); break;
        case 't': ok = cli_parse_float(optarg, 0.0, 100.0, &temperature, &why); break;
        case 'k': ok = cli_parse_int(optarg, 0, 256, &top_k, &why); break;
        case 's': ok = cli_parse_int(optarg, 0, 0x7fffffffL, &seed, &why); break;
        default: return cli_bad_option(&cmd_sample, argv, c);
        }
        if (!ok) return cli_bad_value(&cmd_sample, argv, &why);
    }
    if (optind < argc) return cli_usage(&cmd_sample, "unexpected argument '%s'", argv[optind]);
    linalg_set_threads(1);
    char model_dir[4096];
    if (!cli_model_dir(model_dir, sizeof model_dir, model_arg)) return cli_error("path too long");
    Status st;
    status_clear(&st);
    Gpt m;
    if (gpt_load(&m, model_dir, &st)) return cli_status(&st);
    unsigned char *out = malloc((size_t)tokens + 1);
    if (!out) {
        gpt_free(&m);
        return cli_error("out of memory");
    }
    SampleConfig sc = {.tokens = (int)tokens,
                       .temperature = (float)temperature,
                       .top_k = (int)top_k,
                       .seed = (unsigned long long)seed};
    fputs(prompt, stdout);
    int rc = gpt_sample(&m, (const unsigned char *)prompt, strlen(prompt), &sc, out, emit, NULL, &st);
    putchar('\n');
    if (rc) rc = cli_status(&st);
    free(out);
    gpt_free(&m);
    return rc;
}

const Command cmd_sample = {
    .name = "sample",
    .summary = "generate text from a model",
    .help = HELP,
    .run = run_sample,
};
