/* cmd_pretrain.c — `lorascope pretrain`: train a tiny GPT from scratch on
 * byte-level text and save it as a Hugging Face model folder.
 *
 * Ctrl-C (SIGINT) or SIGTERM only sets a flag: the current step finishes,
 * the model is saved where it got to, and the command exits 130 (128 +
 * SIGINT, so scripts see it was cut short). A second signal kills at once. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/out_path.h"
#include "../base/paths.h"
#include "../base/staged_dir.h"
#include "../core/linalg.h"
#include "../nn/checkpoint.h"
#include "../nn/dataset.h"
#include "../nn/fileio.h"
#include "../nn/train.h"
#include "bench.h"
#include "cli.h"
#include "stop.h"

static const char HELP[] =
    "Usage: lorascope pretrain [--config FILE.json | --layers L --heads H --embd D --ctx T]\n"
    "                          [--steps N] [--batch B] [--lr LR] [--warmup N] [--out DIR]\n"
    "                          [--seed S] [--threads N] [--train FILE --valid FILE]\n"
    "                          [--eval-every N]\n"
    "\n"
    "Train a byte-level GPT-2 from scratch (AdamW, warmup + cosine schedule,\n"
    "gradient clipping at 1.0) and save it to DIR as config.json +\n"
    "model.safetensors, loadable by Hugging Face transformers.\n"
    "\n"
    "  --config FILE   take the architecture from a GPT2Config JSON (config.json)\n"
    "  --layers L      transformer blocks (default 4)\n"
    "  --heads H       attention heads (default 4)\n"
    "  --embd D        width, a multiple of H (default 128)\n"
    "  --ctx T         context length n_positions (default 64)\n"
    "  --steps N       training steps (default 2000)\n"
    "  --batch B       sequences per step (default 32)\n"
    "  --lr LR         peak learning rate (default 0.002; the cosine ends at LR/10)\n"
    "  --warmup N      warmup steps (default min(100, steps/10))\n"
    "  --out DIR       output folder (default ./pretrained), written whole: a fresh\n"
    "                  folder beside it replaces it (only a model folder or an\n"
    "                  empty one)\n"
    "  --seed S        seed for initialisation and batches (default 1)\n"
    "  --threads N     OpenBLAS threads (default 1)\n"
    "  --train FILE    training text (default data/text/sotu-train.txt)\n"
    "  --valid FILE    validation text (default data/text/sotu-valid.txt)\n"
    "  --eval-every N  validation loss every N steps on 256 windows (default 250; 0: off)\n"
    "\n"
    "Progress goes to stderr (one updating line on a terminal, plain lines\n"
    "otherwise); the final figures to stdout: training loss, validation loss on\n"
    "every window, and the unigram baseline, in nats and bits per byte.\n"
    "Ctrl-C (or SIGTERM) finishes the current step, saves the model and exits\n"
    "with status 130; a second Ctrl-C stops at once without saving.\n"
    "The same seed and thread count give bit-identical losses.\n";

static void format_eta(char *buf, size_t size, double seconds)
{
    if (!(seconds >= 0) || seconds > 1e7) seconds = 0;
    long s = (long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, size, "%ldh%02ldm", s / 3600, (s / 60) % 60);
    else
        snprintf(buf, size, "%ldm%02lds", s / 60, s % 60);
}

typedef struct Options {
    GptConfig cfg;
    long steps, batch, warmup, seed, threads, eval_every;
    double lr;
    const char *out, *train, *valid, *config;
} Options;

static int parse(int argc, char **argv, Options *o)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"layers", required_argument, NULL, 'L'},
        {"heads", required_argument, NULL, 'H'},  {"embd", required_argument, NULL, 'D'},
        {"ctx", required_argument, NULL, 'T'},    {"steps", required_argument, NULL, 's'},
        {"batch", required_argument, NULL, 'b'},  {"lr", required_argument, NULL, 'l'},
        {"warmup", required_argument, NULL, 'w'}, {"out", required_argument, NULL, 'o'},
        {"seed", required_argument, NULL, 'S'},   {"threads", required_argument, NULL, 'j'},
        {"train", required_argument, NULL, 't'},  {"valid", required_argument, NULL, 'v'},
        {"eval-every", required_argument, NULL, 'e'}, {0, 0, 0, 0},
    };
    long L = 4, H = 4, D = 128, T = 64;
    bool arch = false;
    int c;
    CliExpect why;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        bool ok = true;
        switch (c) {
        case 'c': o->config = optarg; break;
        case 'L': ok = cli_parse_int(optarg, 1, GPT_MAX_LAYERS, &L, &why), arch = true; break;
        case 'H': ok = cli_parse_int(optarg, 1, GPT_MAX_HEADS, &H, &why), arch = true; break;
        case 'D': ok = cli_parse_int(optarg, 1, GPT_MAX_EMBD, &D, &why), arch = true; break;
        case 'T': ok = cli_parse_int(optarg, 1, GPT_MAX_POSITIONS, &T, &why), arch = true; break;
        case 's': ok = cli_parse_int(optarg, 1, 100000000, &o->steps, &why); break;
        case 'b': ok = cli_parse_int(optarg, 1, 4096, &o->batch, &why); break;
        case 'l': ok = cli_parse_float(optarg, 1e-7, 1.0, &o->lr, &why); break;
        case 'w': ok = cli_parse_int(optarg, 0, 100000000, &o->warmup, &why); break;
        case 'o': o->out = optarg; break;
        case 'S': ok = cli_parse_int(optarg, 0, 0x7fffffffL, &o->seed, &why); break;
        case 'j': ok = cli_parse_int(optarg, 1, 256, &o->threads, &why); break;
        case 't': o->train = optarg; break;
        case 'v': o->valid = optarg; break;
        case 'e': ok = cli_parse_int(optarg, 0, 100000000, &o->eval_every, &why); break;
        default: return cli_bad_option(&cmd_pretrain, argv, c);
        }
        if (!ok) return cli_bad_value(&cmd_pretrain, argv, &why);
    }
    if (optind < argc) return cli_usage(&cmd_pretrain, "unexpected argument '%s'", argv[optind]);
    if (o->config && arch)
        return cli_usage(&cmd_pretrain, "give --config or --layers/--heads/--embd/--ctx, not both");
    o->cfg = gpt_config_make((int)L, (int)H, (int)D, (int)T);
    if (D % H != 0) return cli_usage(&cmd_pretrain, "--embd (%ld) must be a multiple of --heads (%ld)", D, H);
    return 0;
}

/* out = arg as given, or the default resolved in the data folder. */
static int cli_data_path(char *out, size_t size, const char *arg, const char *fallback)
{
    if (!arg) return paths_resolve(out, size, fallback);
    return snprintf(out, size, "%s", arg) >= (int)size ? -1 : 0;
}

/* What a model folder holds: one made before saves carried their mark
 * (data/models/base, say) may still be replaced. */
static const char *const model_files[] = {"config.json", "model.safetensors", NULL};

/* The model into a fresh folder that then replaces `dir` whole
 * (staged_dir.h): a kill leaves the old model or the new one. */
static int save_model(const Gpt *m, const char *dir, Status *st)
{
    StagedDir sd;
    int rc = staged_dir_begin(&sd, dir, st);
    if (!rc) rc = gpt_save(m, sd.tmp, st);
    if (!rc) rc = staged_dir_commit(&sd, model_files, st);
    staged_dir_abort(&sd);
    return rc;
}

static int load_config_file(const char *path, GptConfig *cfg)
{
    Status st;
    status_clear(&st);
    unsigned char *text;
    size_t len;
    if (file_read_all(path, 1 << 20, &text, &len, &st)) return cli_status(&st);
    int rc = gpt_config_parse(cfg, (const char *)text, len, &st);
    free(text);
    if (rc) {
        status_prefix(&st, "%s", path);
        return cli_status(&st);
    }
    return 0;
}

static int run_pretrain(int argc, char **argv)
{
    Options o = {.steps = 2000, .batch = 32, .warmup = -1, .seed = 1, .threads = 1, .eval_every = 250,
                 .lr = 2e-3, .out = "pretrained"};
    int rc = parse(argc, argv, &o);
    if (rc) return rc;
    /* The output folder is checked before training, not after it. */
    const OutSpec outs[] = {{"--out", o.out, OUT_DIR, model_files}};
    if ((rc = cli_check_outputs(&cmd_pretrain, outs, 1))) return rc;
    if (o.config && (rc = load_config_file(o.config, &o.cfg))) return rc;
    Status st;
    status_clear(&st);
    if (gpt_config_check(&o.cfg, &st)) return cli_status(&st);
    linalg_set_threads((int)o.threads);

    /* The default texts live in lorascope's data folder; paths given on the
     * command line are taken as they are. */
    char train_path[4096], valid_path[4096];
    if (cli_data_path(train_path, sizeof train_path, o.train, "data/text/sotu-train.txt") ||
        cli_data_path(valid_path, sizeof valid_path, o.valid, "data/text/sotu-valid.txt"))
        return cli_error("path too long");
    TextData train = {0}, valid = {0};
    if (text_load(&train, train_path, &st) || text_load(&valid, valid_path, &st)) {
        text_free(&train);
        return cli_status(&st);
    }
    Gpt m;
    Trainer tr = {0};
    TrainConfig tc = train_config_defaults(&o.cfg, (int)o.steps);
    tc.batch = (int)o.batch;
    tc.adamw.lr = (float)o.lr;
    tc.min_lr = (float)o.lr * 0.1f;
    if (o.warmup >= 0) tc.warmup = (int)o.warmup;
    tc.seed = (unsigned long long)o.seed + 1000003ull; /* batches: a stream apart from the init */
    if (text_eval_windows(valid.n, o.cfg.n_positions) == 0) {
        rc = cli_error("%s: shorter than one window of %d bytes", valid_path, o.cfg.n_positions + 1);
        goto done_text;
    }
    if (gpt_init(&m, &o.cfg, &st)) {
        rc = cli_status(&st);
        goto done_text;
    }
    gpt_init_weights(&m, (unsigned long long)o.seed);
    if (trainer_init(&tr, &m, &train, &tc, &st)) {
        status_prefix(&st, "%s", train_path);
        rc = cli_status(&st);
        goto done_model;
    }

    CliStop stop;
    cli_stop_begin(&stop);

    bool tty = isatty(fileno(stderr));
    fprintf(stderr,
            "lorascope: pretraining %zu parameters (L%d H%d D%d T%d) on %s (%zu bytes), "
            "%ld steps of %ld x %d tokens, %ld thread%s\n",
            m.num_params, o.cfg.n_layer, o.cfg.n_head, o.cfg.n_embd, o.cfg.n_positions, train_path,
            train.n, o.steps, o.batch, o.cfg.n_positions, o.threads, o.threads == 1 ? "" : "s");
    size_t tokens_per_step = (size_t)tc.batch * (size_t)tc.seq;
    double t_start = bench_now(), t_last_print = 0.0, eval_time = 0.0;
    double loss_window = 0.0;
    int window_count = 0;
    float last_val = NAN, recent_loss = NAN;
    int done = 0;
    for (done = 0; done < o.steps && !cli_stop_requested(); done++) {
        TrainStepInfo info;
        if (trainer_step(&tr, &info, &st)) {
            if (tty) fputc('\n', stderr);
            rc = cli_status(&st);
            goto done_signals;
        }
        if (!isfinite(info.loss)) {
            if (tty) fputc('\n', stderr);
            rc = cli_error("loss is %g at step %d; try a smaller --lr", (double)info.loss, info.step);
            goto done_signals;
        }
        loss_window += info.loss;
        window_count++;
        bool eval_now = o.eval_every > 0 && (info.step % o.eval_every == 0 || info.step == o.steps);
        if (eval_now) {
            double e0 = bench_now();
            EvalResult er;
            if (gpt_eval_text(&m, &valid, 32, 256, &er, &st)) {
                rc = cli_status(&st);
                goto done_signals;
            }
            last_val = (float)er.nats;
            eval_time += bench_now() - e0;
            if (gpt_reserve(&m, tc.batch, tc.seq, &st)) {
                rc = cli_status(&st);
                goto done_signals;
            }
        }
        double now = bench_now();
        double train_time = now - t_start - eval_time;
        double tok_s = (double)tokens_per_step * info.step / (train_time > 0 ? train_time : 1e-9);
        double per_step = (now - t_start) / info.step;
        char eta[32], val[32] = "";
        format_eta(eta, sizeof eta, per_step * (double)(o.steps - info.step));
        if (!isnan(last_val)) snprintf(val, sizeof val, "  val %.4f", (double)last_val);
        bool log_line = tty ? (now - t_last_print > 0.1 || info.step == o.steps || eval_now)
                            : (eval_now || info.step % 100 == 0 || info.step == o.steps || info.step == 1);
        if (log_line) {
            recent_loss = (float)(loss_window / window_count);
            fprintf(stderr, "%sstep %6d/%ld  loss %.4f%s  lr %.2e  %.0f tok/s  ETA %s%s", tty ? "\r" : "",
                    info.step, o.steps, (double)recent_loss, val, (double)info.lr, tok_s, eta,
                    tty ? "\x1b[K" : "\n");
            fflush(stderr);
            loss_window = 0.0;
            window_count = 0;
            t_last_print = now;
        }
    }
    if (tty) fputc('\n', stderr);
    bool interrupted = done < o.steps;
    double elapsed = bench_now() - t_start;

    if (save_model(&m, o.out, &st)) {
        rc = cli_status(&st);
        goto done_signals;
    }
    if (interrupted)
        fprintf(stderr, "lorascope: interrupted after step %d of %ld; saved the model to %s\n", done,
                o.steps, o.out);

    /* Final figures: the full validation set and the unigram baseline. */
    EvalResult er;
    if (gpt_eval_text(&m, &valid, 32, 0, &er, &st)) {
        rc = cli_status(&st);
        goto done_signals;
    }
    double unigram = text_unigram_bits(&valid, o.cfg.n_positions);
    char el[32];
    format_eta(el, sizeof el, elapsed);
    printf("saved        %s (%zu parameters)\n", o.out, m.num_params);
    printf("steps        %d of %ld, %zu tokens, %s, %.0f tok/s\n", done, o.steps, tokens_per_step * done,
           el, (double)tokens_per_step * done / (elapsed - eval_time > 0 ? elapsed - eval_time : 1));
    if (!isnan(recent_loss)) printf("train loss   %.4f nats (mean of the last logged steps)\n", (double)recent_loss);
    printf("valid loss   %.4f nats = %.4f bits/byte (%zu windows of %s)\n", er.nats, er.bits_per_byte,
           er.windows, valid_path);
    printf("unigram      %.4f bits/byte (byte frequencies of the same windows)\n", unigram);
    rc = interrupted ? 130 : 0;

done_signals:
    cli_stop_end(&stop);
    trainer_free(&tr);
done_model:
    gpt_free(&m);
done_text:
    text_free(&train);
    text_free(&valid);
    return rc;
}

const Command cmd_pretrain = {
    .name = "pretrain",
    .summary = "train a tiny byte-level GPT from scratch",
    .help = HELP,
    .run = run_pretrain,
};
