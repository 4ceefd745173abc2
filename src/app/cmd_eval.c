/* cmd_eval.c — `lorascope eval`: a model's cross-entropy on a text file,
 * with the fixed-window protocol of dataset.h, beside the unigram baseline. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../base/json_out.h"
#include "../base/paths.h"
#include "../core/linalg.h"
#include "../nn/checkpoint.h"
#include "../nn/dataset.h"
#include "../tune/tune.h"
#include "cli.h"

static const char HELP[] =
    "Usage: lorascope eval [--model DIR] [--adapter DIR] --text FILE [--json] [--threads N]\n"
    "\n"
    "Mean cross-entropy of a model on the bytes of FILE. With T = n_positions,\n"
    "window w covers bytes [wT, wT+T]; the model predicts bytes wT+1 .. wT+T from\n"
    "the earlier bytes of the same window; a final window shorter than T+1 bytes\n"
    "is dropped. Reported in nats per token (= per byte) and bits per byte, next\n"
    "to the unigram baseline: the entropy of the byte frequencies of the same\n"
    "predicted bytes, the best any model that ignores context can do.\n"
    "\n"
    "  --model DIR   model folder (default data/models/base)\n"
    "  --adapter DIR a PEFT adapter for that model (as `lorascope finetune --save`\n"
    "                writes): LoRA is merged into the weights (W += alpha/r B A),\n"
    "                so are IA3's vectors and DoRA (LORA with use_dora); a prefix\n"
    "                (PREFIX_TUNING) is prepended in every attention, a prompt\n"
    "                (PROMPT_TUNING) before the text; both keep the text at\n"
    "                positions 0..T-1 (PEFT's GPT-2 numbers it from P)\n"
    "  --text FILE   text to evaluate\n"
    "  --json        JSON: nats, bits_per_byte, windows, tokens, unigram_bits_per_byte\n"
    "  --threads N   OpenBLAS threads (default 1)\n";

static int run_eval(int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'},
        {"adapter", required_argument, NULL, 'a'},
        {"text", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        {"threads", required_argument, NULL, 'n'},
        {0, 0, 0, 0},
    };
    const char *model_arg = NULL, *text_arg = NULL, *adapter_arg = NULL;
    bool json = false;
    long threads = 1;
    int c;
    CliExpect why;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model_arg = optarg; break;
        case 'a': adapter_arg = optarg; break;
        case 't': text_arg = optarg; break;
        case 'j': json = true; break;
        case 'n':
            if (!cli_parse_int(optarg, 1, 256, &threads, &why)) return cli_bad_value(&cmd_eval, argv, &why);
            break;
        default: return cli_bad_option(&cmd_eval, argv, c);
        }
    }
    if (optind < argc) return cli_usage(&cmd_eval, "unexpected argument '%s'", argv[optind]);
    if (!text_arg) return cli_usage(&cmd_eval, "--text FILE is required");
    linalg_set_threads((int)threads);
    char model_dir[4096];
    if (!cli_model_dir(model_dir, sizeof model_dir, model_arg)) return cli_error("path too long");
    Status st;
    status_clear(&st);
    Gpt m;
    if (gpt_load(&m, model_dir, &st)) return cli_status(&st);
    /* The adapter, if any: the method its config names applies it (LoRA
     * merged into the weights, a prefix attached). */
    TuneApplied applied = {0};
    if (adapter_arg && tune_adapter_apply(&m, adapter_arg, &applied, &st)) {
        gpt_free(&m);
        return cli_status(&st);
    }
    /* Finite factors can still multiply past float's range when merged. */
    if (adapter_arg && gpt_check_finite(&m, &st)) {
        status_prefix(&st, "%s: merging the adapter overflows float", adapter_arg);
        tune_applied_free(&applied);
        gpt_free(&m);
        return cli_status(&st);
    }
    TextData text;
    if (text_load(&text, text_arg, &st)) {
        gpt_free(&m);
        tune_applied_free(&applied);
        return cli_status(&st);
    }
    EvalResult er;
    int rc = gpt_eval_text(&m, &text, 32, 0, &er, &st);
    if (rc) {
        status_prefix(&st, "%s", text_arg);
        if (adapter_arg) status_prefix(&st, "with the adapter %s", adapter_arg);
        rc = cli_status(&st);
    } else {
        double unigram = text_unigram_bits(&text, m.cfg.n_positions);
        if (json) {
            cJSON *o = cJSON_CreateObject();
            json_add_double(o, "nats", er.nats);
            json_add_double(o, "bits_per_byte", er.bits_per_byte);
            cJSON_AddNumberToObject(o, "windows", (double)er.windows);
            cJSON_AddNumberToObject(o, "tokens", (double)er.tokens);
            json_add_double(o, "unigram_bits_per_byte", unigram);
            cJSON_AddNumberToObject(o, "n_positions", m.cfg.n_positions);
            if (adapter_arg) cJSON_AddStringToObject(o, "adapter", adapter_arg);
            rc = cli_print_json(o);
        } else {
            printf("model    %s (%zu parameters, n_positions %d)\n", model_dir, m.num_params,
                   m.cfg.n_positions);
            if (adapter_arg) printf("adapter  %s\n", adapter_arg);
            printf("text     %s (%zu bytes, %zu windows of %d+1 bytes)\n", text_arg, text.n, er.windows,
                   m.cfg.n_positions);
            printf("loss     %.4f nats/token  %.4f bits/byte\n", er.nats, er.bits_per_byte);
            printf("unigram  %.4f bits/byte (byte frequencies of the same bytes)\n", unigram);
        }
    }
    text_free(&text);
    gpt_free(&m);
    tune_applied_free(&applied);
    return rc;
}

const Command cmd_eval = {
    .name = "eval",
    .summary = "a model's loss on a text file (nats, bits per byte)",
    .help = HELP,
    .run = run_eval,
};
