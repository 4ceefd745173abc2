/* cmd_finetune.c — `lorascope finetune`: the fine-tune lab headless.
 *
 * The same base model tuned side by side by several methods (full, LoRA at
 * several ranks, prefix tuning, QLoRA) on one task, each step on the same
 * batch, with a progress display on stderr and, at the end, a table of what
 * each method cost and what it achieved, an analysis of the updates, and
 * optionally JSON, CSV and the saved results.
 *
 * Ctrl-C (SIGINT) or SIGTERM only sets a flag: training stops after the
 * current unit of work, what ran is still evaluated and reported, and the
 * command exits 130. A second signal ends it at once. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/json_out.h"
#include "../base/out_path.h"
#include "../base/staged_dir.h"
#include "../core/linalg.h"
#include "../nn/fileio.h"
#include "../tune/analysis.h"
#include "../tune/experiment.h"
#include "../tune/findings.h"
#include "../tune/lab.h"
#include "../tune/lab_file.h"
#include "../tune/peft.h"
#include "cli.h"
#include "stop.h"

static const char HELP_HEAD[] =
    "Usage: lorascope finetune [--task domain|addition|domain,addition | --text FILE]\n"
    "                          [--methods LIST] [--seeds N] [--sweep | --sweep-lr LIST]\n"
    "                          [--scaling rslora|spec] [--report FILE] [--git-commit ID]\n"
    "                          [--steps N] [--batch B] [--lr LR] [--seed S] [--threads N]\n"
    "                          [--json FILE] [--csv FILE] [--save DIR] [--model DIR]\n"
    "                          [--digits D] [--eval-every N] [--eval-windows N]\n"
    "                          [--final-windows N] [--sample-bytes N] [--problems N]\n"
    "                          [--no-analysis]\n"
    "\n"
    "Tune the base model (data/models/base) with several methods side by side:\n"
    "every method starts from the same weights and takes its steps on the same\n"
    "batches in the same order. Ends with one row per method: trainable\n"
    "parameters and their share, memory measured from the allocations (frozen\n"
    "weights, trainable parameters, gradients, AdamW state, activations), ms per\n"
    "step, training loss, held-out loss, accuracy (addition), and forgetting:\n"
    "the change of held-out loss on the base corpus (sotu-valid.txt, 128\n"
    "windows) against the base model's. Then an analysis of the updates: the\n"
    "singular values of full tuning's dW per matrix and the rank holding 90 % /\n"
    "99 % of its energy, the subspace similarity phi between the smallest- and\n"
    "largest-rank LoRA runs (LoRA paper 7.2), and the amplification factor\n"
    "||dW|| / ||U^T W V|| (7.3).\n"
    "\n"
    "Tasks:\n"
    "  domain     State of the Union -> Moby-Dick (default); bits per byte on\n"
    "             held-out chapter 41, with a sample (chapters 37-40 are kept to\n"
    "             choose learning rates: --sweep)\n"
    "  addition   lines like 47+38=85, generated (operands below 10^D, D = 2 by\n"
    "             default, --digits 2..6); a tenth of all pairs is held out and\n"
    "             never trained on, half to test (exact-match accuracy of greedy\n"
    "             decoding), half to choose learning rates\n"
    "  --text F   your own text: the last 10 % held out (its first half chooses rates)\n"
    "\n"
    "Methods (LIST is comma-separated; default " LAB_DEFAULT_METHODS "):\n";

/* After the methods (which come from the registry, tune.h). */
static const char HELP_TAIL[] =
    "  e.g. --methods full,lora:8,alpha=16,targets=qkv+o+mlp,lora:8,lr=3e-3,prefix:16,mlp\n"
    "\n"
    "  --steps N      steps per method (default " LAB_DEFAULT_STEPS_STR ")\n"
    "  --batch B      sequences of n_positions bytes per step (default 16)\n"
    "  --lr LR        one peak learning rate for every method (overrides the defaults)\n"
    "  --scaling S    LoRA, QLoRA and DoRA without alpha= or rslora: rslora (default:\n"
    "                 alpha 5.66 at every rank, s = alpha/sqrt(r), 2 at r = 8, so the\n"
    "                 first steps do not grow with r) or spec (alpha = 2r, s = 2)\n"
    "  --seed S       batches and the methods' random starts (default 1)\n"
    "  --threads N    threads for the training (default: 2, or 1 on a one-core\n"
    "                 machine; the reference step ran ~1.9x faster on 2 idle cores)\n"
    "  --json FILE    every figure and the loss curves as JSON ('-': stdout, instead\n"
    "                 of the table)\n"
    "  --csv FILE     one row per method ('-': stdout, instead of the table)\n"
    "  --save DIR     save each result in DIR/<method>: full tuning as a model folder;\n"
    "                 LoRA as PEFT adapter files (adapter_config.json,\n"
    "                 adapter_model.safetensors) plus the merged model in merged/;\n"
    "                 a prefix as PEFT prefix-tuning files. PEFT adapts whole layers,\n"
    "                 so separate q and v adapters of rank R are stored exactly as one\n"
    "                 c_attn adapter of rank 2R (block-diagonal, the k rows of lora_B\n"
    "                 zero) with lora_alpha rescaled to keep alpha/r; a PiSSA adapter\n"
    "                 is stored against the original base (rank 2 x that); IA3 as\n"
    "                 PEFT's IA3 (c_attn's q third ones), DoRA as LORA with use_dora and\n"
    "                 lora_magnitude_vector. The prefix file is not PEFT's model (its\n"
    "                 config says why: positions); the others are.\n"
    "                 DIR is written whole: into a fresh folder beside it that then\n"
    "                 replaces it, so DIR holds one run and a kill leaves the old\n"
    "                 save or the new one; it may only replace a folder lorascope\n"
    "                 saved, or an empty one\n"
    "  --model DIR    base model folder (default data/models/base)\n"
    "  --eval-every N held-out loss for the curves every N steps (default 10; 0: never)\n"
    "  --eval-windows N   windows of those curve evaluations (default 16)\n"
    "  --final-windows N  windows of the final held-out and forgetting losses (default 128)\n"
    "  --sample-bytes N   bytes of each sample (default 100; 0: none)\n"
    "  --problems N       addition: held-out problems scored at the end (default 500)\n"
    "  --no-analysis  skip the analysis of the updates\n"
    "\n"
    "A fair comparison (experiment.h):\n"
    "  --seeds N      run every comparison with N seeds (batches and random starts),\n"
    "                 report mean +- sample std and [min, max]; a difference smaller\n"
    "                 than the two std together is called inside the noise\n"
    "  --sweep        try each method at 1/3, 1 and 3 times its own rate\n"
    "  --sweep-lr L   try every method at each rate of L (e.g. 3e-3,1e-2,3e-2)\n"
    "                 the rate is chosen on the validation slice (mean over seeds),\n"
    "                 never on the held-out part the table reports\n"
    "  --task domain,addition  both tasks in one experiment\n"
    "  --git-commit ID    recorded in the results file (make lab-results gives it)\n"
    "  --report FILE  print the table and findings of a results file (one run, or an\n"
    "                 experiment); with --json, its JSON with the findings. Given\n"
    "                 again, experiments run one seed each are merged into one\n"
    "  --json writes the experiment after every finished cell, so a kill keeps them.\n"
    "\n"
    "The schedule: linear warmup (min(20, steps/10) steps), cosine decay to a tenth,\n"
    "AdamW (0.9, 0.95, no weight decay), gradient clipping at 1.0 per method.\n"
    "A method whose loss becomes NaN or infinite is marked 'diverged at step N';\n"
    "the others carry on unaffected. Progress goes to stderr; the table to stdout.\n"
    "Ctrl-C stops training, evaluates what ran, prints the table and exits 130.\n";

/* Lines "option<TAB>text" indented, the option padded to a column. */
static void print_option_lines(const char *text, int indent, int width)
{
    while (*text) {
        size_t n = strcspn(text, "\n");
        const char *tab = memchr(text, '\t', n);
        size_t k = tab ? (size_t)(tab - text) : 0;
        const char *rest = tab ? tab + 1 : text;
        printf("%*s%-*.*s%.*s\n", indent, "", width, (int)k, text, (int)(n - (size_t)(rest - text)), rest);
        text += n + (text[n] == '\n');
    }
}

/* The usage text: the methods, their default rates and options from the
 * method registry. */
static void print_help(void)
{
    fputs(HELP_HEAD, stdout);
    for (int k = 0; k < TUNE_NUM_KINDS; k++) {
        const TuneMethod *m = tune_method((TuneKind)k);
        char head[32];
        snprintf(head, sizeof head, "%s%s%s", m->name, m->size_name ? ":" : "", m->size_name ? m->size_symbol : "");
        const char *s = m->summary;
        size_t n = strcspn(s, "\n");
        printf("  %-14s%.*s\n", head, (int)n, s);
        for (s += n; *s == '\n'; s += n) {
            s++;
            n = strcspn(s, "\n");
            printf("  %-14s%.*s\n", "", (int)n, s);
        }
        printf("  %-14s(default lr %g)\n", "", (double)m->default_lr);
    }
    fputs("  Options follow a method after commas:\n", stdout);
    for (int k = 0; k < TUNE_NUM_KINDS; k++) {
        const TuneMethod *m = tune_method((TuneKind)k);
        if (!m->help || !m->help[0]) continue;
        /* QLoRA repeats LoRA's options: each option once. */
        bool seen = false;
        for (int j = 0; j < k && !seen; j++) seen = strcmp(tune_method((TuneKind)j)->help, m->help) == 0;
        if (seen) continue;
        printf("   %s:\n", m->name);
        print_option_lines(m->help, 4, 17);
    }
    fputs("   every method:\n", stdout);
    print_option_lines("lr=LR\tthis method's peak learning rate\n"
                       "nan=N\t(testing) make step N's loss NaN, as a divergence\n",
                       4, 17);
    fputs(HELP_TAIL, stdout);
}

typedef struct Options {
    LabConfig lab;
    long threads;
    const char *json, *csv, *save, *report, *git_commit;
    const char *reports[EXP_MAX_SEEDS]; /* --report FILE, given again: merged */
    int n_reports;
    bool analysis;
    int seeds;                  /* --seeds N */
    bool sweep_default;         /* --sweep */
    double sweep[EXP_MAX_GRID]; /* --sweep-lr LIST */
    int n_sweep;
    TaskKind tasks[EXP_MAX_TASKS]; /* --task a,b */
    int n_tasks;
} Options;

/* --sweep-lr "3e-3,1e-2,3e-2" */
static bool parse_rates(const char *text, Options *o, CliExpect *why)
{
    char buf[256];
    snprintf(why->text, sizeof why->text, "1 to %d positive rates joined by ','", EXP_MAX_GRID);
    if (strlen(text) >= sizeof buf) return false;
    strcpy(buf, text);
    o->n_sweep = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        double d;
        CliExpect w;
        if (o->n_sweep == EXP_MAX_GRID || !cli_parse_float(t, 1e-9, 1e10, &d, &w)) return false;
        o->sweep[o->n_sweep++] = d;
    }
    return o->n_sweep > 0;
}

/* --task domain or domain,addition */
static int parse_tasks(const char *text, Options *o)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", text);
    o->n_tasks = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        TaskKind k;
        if (!task_kind_parse(&k, t) || k == TASK_TEXT || o->n_tasks == EXP_MAX_TASKS)
            return cli_usage(&cmd_finetune,
                             "unknown task '%s' (domain or addition, or both: domain,addition; "
                             "--text FILE for your own)",
                             text);
        o->tasks[o->n_tasks++] = k;
    }
    if (o->n_tasks == 0) return cli_usage(&cmd_finetune, "--task needs a task");
    o->lab.task = o->tasks[0];
    return 0;
}

static int parse(int argc, char **argv, Options *o)
{
    static const struct option opts[] = {
        {"task", required_argument, NULL, 'k'},
        {"text", required_argument, NULL, 'x'},
        {"methods", required_argument, NULL, 'm'},
        {"steps", required_argument, NULL, 's'},
        {"batch", required_argument, NULL, 'b'},
        {"lr", required_argument, NULL, 'l'},
        {"seed", required_argument, NULL, 'S'},
        {"threads", required_argument, NULL, 'j'},
        {"json", required_argument, NULL, 'J'},
        {"csv", required_argument, NULL, 'C'},
        {"save", required_argument, NULL, 'o'},
        {"model", required_argument, NULL, 'M'},
        {"digits", required_argument, NULL, 'd'},
        {"eval-every", required_argument, NULL, 'e'},
        {"no-analysis", no_argument, NULL, 'A'},
        {"eval-windows", required_argument, NULL, 'w'},
        {"final-windows", required_argument, NULL, 'W'},
        {"sample-bytes", required_argument, NULL, 'B'},
        {"problems", required_argument, NULL, 'P'},
        {"scaling", required_argument, NULL, 'Z'},
        {"seeds", required_argument, NULL, 'N'},
        {"sweep", no_argument, NULL, 'G'},
        {"sweep-lr", required_argument, NULL, 'L'},
        {"report", required_argument, NULL, 'R'},
        {"git-commit", required_argument, NULL, 'H'},
        {0, 0, 0, 0},
    };
    bool task_given = false;
    int c;
    CliExpect why;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        bool ok = true;
        long v = 0;
        double d = 0;
        switch (c) {
        case 'k': {
            int rc = parse_tasks(optarg, o);
            if (rc) return rc;
            task_given = true;
            break;
        }
        case 'N':
            ok = cli_parse_int(optarg, 1, EXP_MAX_SEEDS, &v, &why);
            o->seeds = (int)v;
            break;
        case 'G': o->sweep_default = true; break;
        case 'L': ok = parse_rates(optarg, o, &why); break;
        case 'R':
            if (o->n_reports == EXP_MAX_SEEDS)
                return cli_usage(&cmd_finetune, "at most %d --report files", EXP_MAX_SEEDS);
            o->reports[o->n_reports++] = optarg;
            o->report = o->reports[0];
            break;
        case 'H': o->git_commit = optarg; break;
        case 'x':
            o->lab.task = TASK_TEXT;
            o->lab.text_path = optarg;
            break;
        case 'm': o->lab.methods = optarg; break;
        case 's':
            ok = cli_parse_int(optarg, 1, 10000000, &v, &why);
            o->lab.steps = (int)v;
            break;
        case 'b':
            ok = cli_parse_int(optarg, 1, 4096, &v, &why);
            o->lab.batch = (int)v;
            break;
        case 'l':
            ok = cli_parse_float(optarg, 1e-9, 1e10, &d, &why);
            o->lab.lr = (float)d;
            break;
        case 'S':
            ok = cli_parse_int(optarg, 0, 0x7fffffffL, &v, &why);
            o->lab.seed = (unsigned long long)v;
            break;
        case 'j': ok = cli_parse_int(optarg, 1, 256, &o->threads, &why); break;
        case 'J': o->json = optarg; break;
        case 'C': o->csv = optarg; break;
        case 'o': o->save = optarg; break;
        case 'M': o->lab.base_dir = optarg; break;
        case 'd':
            ok = cli_parse_int(optarg, 2, TASK_ADDITION_MAX_DIGITS, &v, &why);
            o->lab.digits = (int)v;
            break;
        case 'e':
            ok = cli_parse_int(optarg, 0, 10000000, &v, &why);
            o->lab.eval_every = v == 0 ? -1 : (int)v;
            break;
        case 'A': o->analysis = false; break;
        case 'w':
            ok = cli_parse_int(optarg, 1, 1000000, &v, &why);
            o->lab.eval_windows = (int)v;
            break;
        case 'W':
            ok = cli_parse_int(optarg, 1, 1000000, &v, &why);
            o->lab.final_windows = (int)v;
            break;
        case 'P':
            ok = cli_parse_int(optarg, 1, TASK_ADDITION_EVAL_MAX, &v, &why);
            o->lab.accuracy_problems = (int)v;
            break;
        case 'B':
            ok = cli_parse_int(optarg, 0, 900, &v, &why);
            o->lab.sample_bytes = v == 0 ? -1 : (int)v;
            break;
        case 'Z':
            if (!lab_scaling_parse(&o->lab.scaling, optarg))
                return cli_usage(&cmd_finetune, "unknown scaling '%s' (rslora or spec)", optarg);
            break;
        default: return cli_bad_option(&cmd_finetune, argv, c);
        }
        if (!ok) return cli_bad_value(&cmd_finetune, argv, &why);
    }
    if (optind < argc) return cli_usage(&cmd_finetune, "unexpected argument '%s'", argv[optind]);
    if (task_given && o->lab.text_path)
        return cli_usage(&cmd_finetune, "give --task or --text, not both");
    if (o->sweep_default && o->n_sweep)
        return cli_usage(&cmd_finetune, "give --sweep or --sweep-lr, not both");
    /* A bad method list is a usage error. */
    TuneSpec specs[LAB_MAX_METHODS];
    int n;
    Status st;
    status_clear(&st);
    if (o->lab.methods && tune_spec_list_parse(specs, LAB_MAX_METHODS, &n, o->lab.methods, &st))
        return cli_usage(&cmd_finetune, "%s", st.msg);
    return 0;
}

// ----------------------------------------------------------------------------
// Formatting

/* "834.3k", "12.5M" */
static const char *fmt_count(char *buf, size_t size, double n)
{
    if (n >= 1e6)
        snprintf(buf, size, "%.2fM", n / 1e6);
    else if (n >= 1e3)
        snprintf(buf, size, "%.1fk", n / 1e3);
    else
        snprintf(buf, size, "%.0f", n);
    return buf;
}

/* "3.2M", "96K", "0" (binary units, as memory is counted) */
static const char *fmt_bytes(char *buf, size_t size, double b)
{
    if (b >= 1024.0 * 1024.0)
        snprintf(buf, size, "%.1fM", b / (1024.0 * 1024.0));
    else if (b >= 1024.0)
        snprintf(buf, size, "%.0fK", b / 1024.0);
    else
        snprintf(buf, size, "%.0f", b);
    return buf;
}

static const char *fmt_num(char *buf, size_t size, double v, const char *f)
{
    if (!isfinite(v))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, f, v);
    return buf;
}

/* The last `n` training losses' mean (NaN when none). */
static double recent_loss(const LabMethodSnapshot *m, int n)
{
    int k = m->n_train, from = k - n < 0 ? 0 : k - n;
    double s = 0;
    int c = 0;
    for (int i = from; i < k; i++)
        if (isfinite(m->train_loss[i])) s += m->train_loss[i], c++;
    return c ? s / c : NAN;
}

static const char *phase_name(LabPhase p)
{
    static const char *const names[] = {"measuring the base model", "training", "final evaluation",
                                        "done"};
    return names[p];
}

// ----------------------------------------------------------------------------
// Progress on stderr

typedef struct Progress {
    bool tty;
    int lines;      /* lines drawn last time (tty) */
    int last_round; /* plain mode: last round reported */
    double last_draw;
} Progress;

static void progress_draw(Progress *p, const LabSnapshot *s, bool final)
{
    if (p->tty) {
        if (p->lines) fprintf(stderr, "\x1b[%dA", p->lines);
        int n = 0;
        fprintf(stderr, "\r%-24s %5.1f s  %3.0f %%  %s\x1b[K\n", phase_name(s->phase), s->elapsed_s,
                100.0 * s->progress, s->stopped ? "(stopping)" : "");
        n++;
        fprintf(stderr, "  %-22s %9s %8s %8s %8s\x1b[K\n", "method", "step", "loss", "held-out",
                "ms/step");
        n++;
        for (int i = 0; i < s->n_methods; i++) {
            const LabMethodSnapshot *m = &s->methods[i];
            char step[24], loss[16], ev[16], ms[16];
            snprintf(step, sizeof step, "%d/%d", m->step, m->steps);
            fmt_num(loss, sizeof loss, recent_loss(m, 10), "%.4f");
            fmt_num(ev, sizeof ev, m->n_eval ? m->eval_loss[m->n_eval - 1] : NAN, "%.4f");
            fmt_num(ms, sizeof ms, m->step ? m->ms_per_step : NAN, "%.1f");
            fprintf(stderr, "  %-22.22s %9s %8s %8s %8s%s\x1b[K\n", m->label, step, loss, ev, ms,
                    m->diverged ? "  diverged" : "");
            n++;
        }
        p->lines = n;
        fflush(stderr);
        return;
    }
    /* Plain lines: one per curve evaluation round, once every live method
     * has its point (and one at the end). */
    int step = -1;
    bool any = false;
    for (int i = 0; i < s->n_methods; i++) {
        const LabMethodSnapshot *m = &s->methods[i];
        if (m->diverged) continue;
        int last = m->n_eval ? m->eval_step[m->n_eval - 1] : -1;
        step = !any || last < step ? last : step;
        any = true;
    }
    if (!final && (step < 0 || step <= p->last_round)) return;
    if (final) {
        step = 0;
        for (int i = 0; i < s->n_methods; i++)
            if (s->methods[i].step > step) step = s->methods[i].step;
        if (step <= p->last_round && p->last_round >= 0 && !s->stopped) return;
    }
    p->last_round = step;
    fprintf(stderr, "step %d/%d  %.1f s  held-out:", step, s->steps, s->elapsed_s);
    for (int i = 0; i < s->n_methods; i++) {
        const LabMethodSnapshot *m = &s->methods[i];
        char ev[16];
        /* Its latest point at or before `step`. */
        int k = m->n_eval - 1;
        while (k >= 0 && m->eval_step[k] > step) k--;
        fmt_num(ev, sizeof ev, k >= 0 ? m->eval_loss[k] : NAN, "%.3f");
        bool gone = m->diverged && m->diverged_step <= step;
        fprintf(stderr, "  %s %s", m->label, gone ? "diverged" : ev);
    }
    fputc('\n', stderr);
    fflush(stderr);
}

// ----------------------------------------------------------------------------
// The table

/* A sample or the answers, indented under the method's name. */
static void print_sample(const char *label, const char *text)
{
    printf("  %s\n    ", label);
    for (const char *p = text; *p; p++) {
        putchar(*p);
        if (*p == '\n' && p[1]) fputs("    ", stdout);
    }
    size_t n = strlen(text);
    if (n == 0 || text[n - 1] != '\n') putchar('\n');
}

static void print_table(const LabSnapshot *s)
{
    printf("task       %s\n", s->task_description);
    printf(
        "schedule   %d steps of %d x %d bytes per method, base model %zu parameters, %.1f s%s\n",
        s->steps, s->batch, s->seq, s->base_params, s->elapsed_s,
        s->stopped ? " (stopped early)" : "");
    printf("lora scale %s\n", lab_scaling_text(s->scaling));
    if (s->test && s->test[0]) printf("held-out   %s; rates are chosen on %s\n\n", s->test, s->validation);
    bool acc = s->base->has_accuracy;
    printf("%-22s %9s %7s %7s %7s %7s %7s %7s %7s %8s %7s %8s %6s %s %8s\n", "method", "trainable",
           "share", "frozen", "params", "grads", "optim", "activ", "total", "ms/step", "train",
           "held-out", "bpb", acc ? "  acc  " : "", "forget");
    char a[32], b[32], c[32], d[32], e[32], f[32], g[32], h[32], i_[32], j[32], k[32], l[32],
        m_[32];
    const LabResult *base = s->base;
    printf("%-22s %9s %7s %7s %7s %7s %7s %7s %7s %8s %7s %8s %6s %s %8s\n", "(base model)",
           fmt_count(a, sizeof a, 0), "-", "-", "-", "-", "-", "-", "-", "-", "-",
           fmt_num(b, sizeof b, base->eval_loss, "%.4f"),
           fmt_num(c, sizeof c, base->eval_bpb, "%.3f"),
           acc ? (snprintf(d, sizeof d, "%6.1f%%", 100.0 * base->accuracy), d) : "", "0");
    for (int i = 0; i < s->n_methods; i++) {
        const LabMethodSnapshot *m = &s->methods[i];
        const LabResult *r = m->result;
        char share[16], accs[16], label[64];
        snprintf(share, sizeof share, "%.2f%%", 100.0 * m->trainable_share);
        if (r->has_accuracy && isfinite(r->accuracy))
            snprintf(accs, sizeof accs, "%6.1f%%", 100.0 * r->accuracy);
        else
            snprintf(accs, sizeof accs, "%7s", "-");
        snprintf(label, sizeof label, "%s", m->label);
        printf("%-22.22s %9s %7s %7s %7s %7s %7s %7s %7s %8s %7s %8s %6s %s %8s", label,
               fmt_count(a, sizeof a, (double)m->trainable_params), share,
               fmt_bytes(b, sizeof b, (double)m->bytes.frozen),
               fmt_bytes(c, sizeof c, (double)m->bytes.trainable),
               fmt_bytes(d, sizeof d, (double)m->bytes.grads),
               fmt_bytes(e, sizeof e, (double)m->bytes.optimizer),
               fmt_bytes(f, sizeof f, (double)m->bytes.activations),
               fmt_bytes(g, sizeof g, (double)m->bytes.total),
               fmt_num(h, sizeof h, m->step ? m->ms_per_step : NAN, "%.1f"),
               fmt_num(i_, sizeof i_, r->train_loss, "%.4f"),
               fmt_num(j, sizeof j, r->eval_loss, "%.4f"),
               fmt_num(k, sizeof k, r->eval_bpb, "%.3f"), acc ? accs : "",
               fmt_num(l, sizeof l, r->forgetting, "%+.4f"));
        if (m->diverged)
            printf("  diverged at step %d", m->diverged_step);
        else if (m->step < m->steps)
            printf("  stopped at step %d", m->step);
        putchar('\n');
    }
    (void)m_;
    printf("\nmemory: frozen weights (fp32; qlora: as stored in NF4/int8), trainable parameters, "
           "their\n"
           "gradients, AdamW's two moments, activations and working buffers of one step; measured "
           "from\n"
           "the allocations. held-out and forget in nats per byte; forget = change of the base "
           "corpus's\n"
           "held-out loss against the base model (positive: forgot).\n");
    printf("\nsamples%s\n",
           acc ? " (held-out problems; the model's answers)" : " (temperature 0.8)");
    print_sample("(base model)", base->sample);
    for (int i = 0; i < s->n_methods; i++)
        print_sample(s->methods[i].label, s->methods[i].result->sample);
}

// ----------------------------------------------------------------------------
// Analysis

static void print_analysis(const LabAnalysis *a, const LabSnapshot *s)
{
    if (a->full_method >= 0) {
        printf("\nfull tuning's update dW = W_tuned - W_base (%s): singular values and the rank "
               "holding 90 %% / 99 %% "
               "of its energy\n",
               s->methods[a->full_method].label);
        printf("  %-18s %9s %9s %6s %6s %6s  %s\n", "matrix", "||dW||", "||W||", "shape", "r90",
               "r99", "sigma_1 .. sigma_8");
        for (int i = 0; i < a->n_spectra; i++) {
            const DeltaSpectrum *d = &a->spectra[i];
            char shape[16];
            snprintf(shape, sizeof shape, "%dx%d", d->in, d->out);
            printf("  %-18s %9.4f %9.3f %6s %3d/%-3d %3d/%-3d ", d->name, d->frobenius,
                   d->base_frobenius, shape, d->rank90, d->k, d->rank99, d->k);
            for (int k = 0; k < 8 && k < d->k; k++)
                printf(" %.4f", (double)d->sigma[k]);
            putchar('\n');
        }
    }
    if (a->small_method >= 0) {
        int r1 = a->r_small, r2 = a->r_large;
        printf("\nsubspace similarity phi(A_%d, A_%d, i, j) = ||U_i^T U_j||^2 / min(i, j) of %s "
               "and %s\n"
               "(mean over layers; U the right singular vectors of A; 1 = the same directions; "
               "random\n"
               "directions give about max(i, j)/%d)\n",
               r1, r2, s->methods[a->small_method].label, s->methods[a->large_method].label,
               a->sim_in);
        /* Average the grids over layers, per matrix name (the part after "h.N."). */
        const char *names[8];
        int n_names = 0;
        for (int x = 0; x < a->n_sims; x++) {
            const char *nm = strchr(a->sims[x].name + 2, '.') + 1;
            bool have = false;
            for (int q = 0; q < n_names; q++)
                have |= strcmp(names[q], nm) == 0;
            if (!have && n_names < 8) names[n_names++] = nm;
        }
        int js[8], nj = 0;
        for (int j = 1; j <= r2 && nj < 8; j *= 2)
            js[nj++] = j;
        if (js[nj - 1] != r2 && nj < 8) js[nj++] = r2;
        for (int q = 0; q < n_names; q++) {
            printf("  %s:   i \\ j", names[q]);
            for (int t = 0; t < nj; t++)
                printf(" %6d", js[t]);
            putchar('\n');
            for (int i = 1; i <= r1; i++) {
                printf("  %*s %5d  ", (int)strlen(names[q]), "", i);
                for (int t = 0; t < nj; t++) {
                    double sum = 0;
                    int cnt = 0;
                    for (int x = 0; x < a->n_sims; x++)
                        if (strcmp(strchr(a->sims[x].name + 2, '.') + 1, names[q]) == 0)
                            sum += a->sims[x].phi[(i - 1) * r2 + (js[t] - 1)], cnt++;
                    printf(" %6.3f", cnt ? sum / cnt : NAN);
                }
                putchar('\n');
            }
        }
    }
    if (a->n_amps > 0) {
        printf("\namplification ||dW||_F / ||U^T W V||_F (U, V: dW's top-r singular vectors), mean "
               "over layers;\n"
               "for scale, ||U^T W V|| with W's own top-r directions and with random ones\n");
        printf("  %-22s %-12s %4s %9s %10s %9s %10s %10s\n", "method", "matrix", "r", "||dW||",
               "||UtWV||", "factor", "W top-r", "random");
        int prev_m = -1;
        const char *done[16];
        int n_done = 0;
        for (int x = 0; x < a->n_amps; x++) {
            const AmplificationRow *row = &a->amps[x];
            if (row->method != prev_m) n_done = 0, prev_m = row->method;
            const char *nm = strchr(row->name + 2, '.') + 1;
            bool have = false;
            for (int q = 0; q < n_done; q++)
                have |= strcmp(done[q], nm) == 0;
            if (have) continue;
            if (n_done < 16) done[n_done++] = nm;
            double dn = 0, pr = 0, fa = 0, top = 0, rnd = 0;
            int cnt = 0, r = 0;
            for (int y = x; y < a->n_amps && a->amps[y].method == row->method; y++) {
                if (strcmp(strchr(a->amps[y].name + 2, '.') + 1, nm) != 0) continue;
                const Amplification *am = &a->amps[y].amp;
                dn += am->delta_norm, pr += am->proj, fa += am->factor, top += am->proj_top,
                    rnd += am->proj_random;
                r = am->r;
                cnt++;
            }
            printf("  %-22.22s %-12s %4d %9.4f %10.4f %9.2f %10.3f %10.4f\n",
                   s->methods[row->method].label, nm, r, dn / cnt, pr / cnt, fa / cnt, top / cnt,
                   rnd / cnt);
        }
    }
}

// ----------------------------------------------------------------------------
// JSON and CSV

static int write_json(const char *path, cJSON *o)
{
    char *text = cJSON_Print(o);
    if (!text) return cli_error("out of memory while writing JSON");
    int rc = 0;
    if (strcmp(path, "-") == 0) {
        puts(text);
    } else {
        Status st;
        status_clear(&st);
        size_t n = strlen(text);
        text[n] = '\n';
        if (file_write_atomic(path, text, n + 1, &st)) rc = cli_status(&st);
        text[n] = '\0';
    }
    free(text);
    return rc;
}

static void csv_num(FILE *f, double v, const char *fmt)
{
    if (isfinite(v)) fprintf(f, fmt, v);
}

/* The CSV is built in memory, then written atomically like the JSON. */
static int write_csv(const char *path, const LabSnapshot *s)
{
    char *text = NULL;
    size_t len = 0;
    bool to_stdout = strcmp(path, "-") == 0;
    FILE *f = to_stdout ? stdout : open_memstream(&text, &len);
    if (!f) return cli_error("out of memory while writing CSV");
    fprintf(
        f,
        "method,kind,lr,steps_done,trainable_params,total_params,trainable_share,bytes_frozen,"
        "bytes_trainable,bytes_gradients,bytes_optimizer,bytes_activations,bytes_total,ms_per_step,"
        "train_loss,eval_loss,eval_bits_per_byte,accuracy,forget_loss,forgetting,diverged,diverged_"
        "step\n");
    for (int i = 0; i < s->n_methods; i++) {
        const LabMethodSnapshot *m = &s->methods[i];
        const LabResult *r = m->result;
        /* Labels hold commas: quote them. */
        fprintf(f, "\"%s\",%s,%g,%d,%zu,%zu,%.6g,%zu,%zu,%zu,%zu,%zu,%zu,", m->label, m->kind_name,
                (double)m->lr, m->step, m->trainable_params, m->total_params, m->trainable_share,
                m->bytes.frozen, m->bytes.trainable, m->bytes.grads, m->bytes.optimizer,
                m->bytes.activations, m->bytes.total);
        csv_num(f, m->step ? m->ms_per_step : NAN, "%.3f");
        fputc(',', f);
        csv_num(f, r->train_loss, "%.6f");
        fputc(',', f);
        csv_num(f, r->eval_loss, "%.6f");
        fputc(',', f);
        csv_num(f, r->eval_bpb, "%.6f");
        fputc(',', f);
        if (r->has_accuracy) csv_num(f, r->accuracy, "%.6f");
        fputc(',', f);
        csv_num(f, r->forget_loss, "%.6f");
        fputc(',', f);
        csv_num(f, r->forgetting, "%.6f");
        fprintf(f, ",%s,", m->diverged ? "true" : "false");
        if (m->diverged) fprintf(f, "%d", m->diverged_step);
        fputc('\n', f);
    }
    if (to_stdout) return ferror(f) ? cli_error("standard output: write failed") : 0;
    int rc = fclose(f) != 0 || !text ? cli_error("out of memory while writing CSV") : 0;
    Status st;
    status_clear(&st);
    if (!rc && file_write_atomic(path, text, len, &st)) rc = cli_status(&st);
    free(text);
    return rc;
}

/* DIR/<label with : , = + turned into _>. */
static void save_dir_for(char *out, size_t size, const char *dir, const char *label)
{
    int n = snprintf(out, size, "%s/", dir);
    for (const char *p = label; *p && (size_t)n + 1 < size; p++)
        out[n++] = (*p == ':' || *p == ',' || *p == '=' || *p == '+' || *p == '/') ? '_' : *p;
    out[n] = '\0';
}

/* Two methods whose labels give the same folder name (the same spec twice,
 * or labels that differ only in : , = + /) would overwrite each other. */
static int check_save_names(const char *dir, const char *methods)
{
    TuneSpec specs[LAB_MAX_METHODS];
    int n = 0;
    Status st;
    status_clear(&st);
    if (tune_spec_list_parse(specs, LAB_MAX_METHODS, &n, methods ? methods : LAB_DEFAULT_METHODS,
                             &st))
        return cli_usage(&cmd_finetune, "%s", st.msg);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++) {
            char a[4096], b[4096];
            save_dir_for(a, sizeof a, dir, specs[i].label);
            save_dir_for(b, sizeof b, dir, specs[j].label);
            if (strcmp(a, b) == 0)
                return cli_usage(&cmd_finetune,
                                 "--save: methods '%s' and '%s' would both be saved in %s; give "
                                 "each method once (or change one's options)",
                                 specs[j].label, specs[i].label, a);
        }
    return 0;
}

/* Every method into a fresh folder beside DIR, which then replaces DIR in
 * one step (staged_dir.h): a kill leaves the old save or this one whole. */
static int save_all(Lab *lab, const LabSnapshot *s, const char *dir)
{
    Status st;
    status_clear(&st);
    int saveable = 0;
    for (int i = 0; i < s->n_methods; i++) saveable += !lab_method_run(lab, i)->diverged;
    if (saveable == 0) {
        /* An empty save would replace an earlier one with nothing. */
        fprintf(stderr, "lorascope: every method diverged: nothing saved, %s left as it was\n", dir);
        return 0;
    }
    StagedDir sd;
    if (staged_dir_begin(&sd, dir, &st)) return cli_status(&st);
    for (int i = 0; i < s->n_methods; i++) {
        TuneRun *r = lab_method_run(lab, i);
        if (r->diverged) {
            fprintf(stderr, "lorascope: not saving %s (diverged)\n", r->spec.label);
            continue;
        }
        char path[4096];
        save_dir_for(path, sizeof path, sd.tmp, r->spec.label);
        if (tune_run_save(r, path, lab->base_dir, &st)) {
            staged_dir_abort(&sd);
            return cli_status(&st);
        }
    }
    if (staged_dir_commit(&sd, NULL, &st)) {
        staged_dir_abort(&sd);
        return cli_status(&st);
    }
    for (int i = 0; i < s->n_methods; i++) {
        const TuneRun *r = lab_method_run(lab, i);
        char path[4096];
        save_dir_for(path, sizeof path, dir, r->spec.label);
        if (!r->diverged) fprintf(stderr, "lorascope: saved %s to %s\n", r->spec.label, path);
    }
    return 0;
}

// ----------------------------------------------------------------------------

/* Run lab to its end with progress on stderr; Ctrl-C stops its training
 * (*stopped), the rest is still evaluated. */
static int run_lab(Lab *lab, bool *stopped, Status *st)
{
    Progress pg = {.tty = isatty(fileno(stderr)), .last_round = -1};
    LabSnapshot snap;
    while (!lab_done(lab)) {
        if (cli_stop_requested() && !*stopped) {
            lab_stop(lab);
            *stopped = true;
        }
        if (lab_step(lab, 100.0, st)) return st->code;
        lab_snapshot(lab, &snap);
        progress_draw(&pg, &snap, false);
    }
    lab_snapshot(lab, &snap);
    progress_draw(&pg, &snap, true);
    return LS_OK;
}

static void print_findings(const Finding *f, int n, const char *task)
{
    printf("\nfindings%s%s (paper: claim (source) -- this run: value -- verdict)\n",
           task ? " on " : "", task ? task : "");
    for (int i = 0; i < n; i++)
        printf("  %-16s %s (%s)\n  %16s this run: %s\n", finding_verdict_name(f[i].verdict),
               f[i].claim, f[i].source, "", f[i].value);
}

/* The record's findings: printed, and added to its JSON. */
static int record_findings(const LabRecord *rec, bool human, cJSON *json)
{
    FindingsInput *in = malloc(sizeof *in);
    Finding *f = malloc(FINDINGS_MAX * sizeof *f);
    if (!in || !f) {
        free(in), free(f);
        return cli_error("out of memory");
    }
    findings_input_from_record(in, rec);
    int n = findings_compute(in, f);
    if (human) print_findings(f, n, NULL);
    if (json) cJSON_AddItemToObject(json, "findings", findings_json(f, n, NULL));
    free(in), free(f);
    return 0;
}

static int run_single(Options *o)
{
    int rc = 0;
    Status st;
    status_clear(&st);
    Lab *lab = malloc(sizeof *lab);
    LabRecord *rec = malloc(sizeof *rec);
    if (!lab || !rec) {
        free(lab), free(rec);
        return cli_error("out of memory");
    }
    if (lab_init(lab, &o->lab, &st)) {
        free(lab), free(rec);
        return cli_status(&st);
    }
    lab_record_init(rec);
    CliStop stop;
    cli_stop_begin(&stop);

    LabSnapshot snap;
    lab_snapshot(lab, &snap);
    fprintf(stderr,
            "lorascope: fine-tuning %zu parameters with %d method%s on %s, %d steps of %d x %d "
            "bytes, %ld "
            "thread%s\n",
            snap.base_params, snap.n_methods, snap.n_methods == 1 ? "" : "s", snap.task_name,
            snap.steps, snap.batch, snap.seq, o->threads, o->threads == 1 ? "" : "s");
    bool stopped = false;
    if (run_lab(lab, &stopped, &st)) {
        rc = cli_status(&st);
        goto done;
    }
    lab_snapshot(lab, &snap);
    if (stopped) fprintf(stderr, "lorascope: interrupted; the table covers the steps that ran\n");

    /* JSON or CSV on stdout replaces the human table there. */
    bool human = !(o->json && strcmp(o->json, "-") == 0) && !(o->csv && strcmp(o->csv, "-") == 0);
    if (human) print_table(&snap);
    if (lab_record_from_snapshot(rec, &snap, &st)) {
        rc = cli_status(&st);
        goto done;
    }
    rec->seed = o->lab.seed;
    rec->threads = o->threads;
    if (o->analysis) {
        LabAnalysis an;
        if (lab_analyze(&an, lab, &st)) {
            rc = cli_status(&st);
            goto done;
        }
        if (human) print_analysis(&an, &snap);
        lab_record_take_analysis(rec, &an);
    }
    cJSON *j = o->json ? lab_record_json(rec) : NULL;
    if (o->json && !j) rc = cli_error("out of memory while writing JSON");
    if (!rc) rc = record_findings(rec, human, j);
    if (!rc && j) rc = write_json(o->json, j);
    cJSON_Delete(j);
    if (!rc && o->csv) rc = write_csv(o->csv, &snap);
    if (!rc && o->save) rc = save_all(lab, &snap, o->save);
    if (!rc && stopped) rc = 130;

done:
    cli_stop_end(&stop);
    lab_record_free(rec);
    free(rec);
    lab_free(lab);
    free(lab);
    return rc;
}

// ----------------------------------------------------------------------------
// Several seeds and a learning-rate sweep

/* "*0.00333:1.912" per grid point, the chosen one marked; three
 * significant digits, so a rate of 0.15 is not printed as 2e-01. */
static void print_summary(const Experiment *e, const ExpTaskSummary *t)
{
    int G = e->cfg.n_grid > 0 ? e->cfg.n_grid : 1, S = e->cfg.seeds;
    int done = 0;
    for (int k = 0; k < t->n_methods; k++)
        if (t->methods[k].eval_loss.n > done) done = t->methods[k].eval_loss.n;
    printf("\ntask %s: each method at the rate whose validation loss (mean over seeds) is "
           "lowest; held-out (test) figures as mean +- sample std over %d seed%s [min, max]%s\n",
           task_kind_name(t->task), done, done == 1 ? "" : "s",
           done < S ? " (not every seed has run)" : "");
    printf("  base model held-out %.4f\n", t->base_eval_loss.mean);
    printf("  %-22s %-*s %-34s %-18s %s%s\n", "method", 15 * G + 1,
           "rates tried: validation loss", "held-out nats [min, max]", "forgetting",
           t->has_accuracy ? "accuracy          " : "", "ms/step");
    for (int k = 0; k < t->n_methods; k++) {
        const ExpMethodSummary *m = &t->methods[k];
        printf("  %-22.22s", m->label);
        for (int g = 0; g < G; g++) {
            char v[16], l[16];
            fmt_num(v, sizeof v, m->valid_mean[g], "%.3f");
            fmt_num(l, sizeof l, m->lrs[g], "%.3g");
            if (isfinite(m->lrs[g])) {
                /* The star against the rate it marks: "  *0.003:2.020". */
                char rate[20];
                snprintf(rate, sizeof rate, "%s%s", g == m->chosen ? "*" : "", l);
                printf(" %9s:%-5s", rate, v);
            }
            else
                printf(" %14s", "(not run)");
        }
        char h[64];
        if (m->eval_loss.n >= 2)
            snprintf(h, sizeof h, "%.4f +- %.4f [%.4f, %.4f]", m->eval_loss.mean, m->eval_loss.std,
                     m->eval_loss.min, m->eval_loss.max);
        else
            fmt_num(h, sizeof h, m->eval_loss.mean, "%.4f");
        printf("  %-34s", m->chosen < 0 ? "diverged at every rate" : h);
        printf(" %+.4f +- %.4f", m->forgetting.mean, m->forgetting.std);
        if (t->has_accuracy)
            printf("  %5.1f%% +- %4.1f%%", 100 * m->accuracy.mean, 100 * m->accuracy.std);
        printf("  %6.1f +- %4.1f\n", m->ms_per_step.mean, m->ms_per_step.std);
    }
    printf("  (* the chosen rate; a method is 'inside the noise' of another when their means "
           "differ by less than the sum of their std)\n");
}

static int print_experiment(const Experiment *e)
{
    Status st;
    status_clear(&st);
    ExpTaskSummary *t = malloc(sizeof *t);
    FindingsInput *in = malloc(sizeof *in);
    Finding *f = malloc(FINDINGS_MAX * sizeof *f);
    int rc = 0;
    if (!t || !in || !f) rc = cli_error("out of memory");
    printf("experiment: %s\n", e->command[0] ? e->command : "(command not recorded)");
    printf("date %s, commit %s, %s\n", e->date, e->git_commit[0] ? e->git_commit : "(unknown)",
           experiment_complete(e) ? "complete" : "INCOMPLETE: the figures cover the cells that ran");
    for (int k = 0; k < e->cfg.n_tasks && !rc; k++) {
        if (experiment_summarize(e, k, t, &st)) {
            rc = cli_status(&st);
            break;
        }
        print_summary(e, t);
        experiment_findings_input(in, e, t);
        int n = findings_compute(in, f);
        print_findings(f, n, task_kind_name(t->task));
    }
    free(t), free(in), free(f);
    return rc;
}

static int write_experiment(const Experiment *e, const char *path)
{
    Status st;
    status_clear(&st);
    cJSON *j = experiment_json(e, &st);
    if (!j) return cli_status(&st);
    int rc = write_json(path, j);
    cJSON_Delete(j);
    return rc;
}

/* "lorascope finetune ARGS", arguments with spaces quoted. */
static void join_command(char *out, size_t size, int argc, char **argv)
{
    size_t n = (size_t)snprintf(out, size, "lorascope");
    for (int i = 0; i < argc && n < size; i++) {
        bool q = strchr(argv[i], ' ') != NULL;
        n += (size_t)snprintf(out + n, size - n, q ? " '%s'" : " %s", argv[i]);
    }
}

static int run_experiment(Options *o, int argc, char **argv)
{
    ExperimentConfig c;
    memset(&c, 0, sizeof c);
    c.lab = o->lab;
    c.n_tasks = o->n_tasks;
    memcpy(c.tasks, o->tasks, sizeof c.tasks);
    c.seeds = o->seeds;
    if (o->n_sweep) {
        c.n_grid = o->n_sweep;
        memcpy(c.grid, o->sweep, sizeof c.grid);
        c.grid_factors = false;
    } else if (o->sweep_default) {
        experiment_grid_default(&c);
    }
    Status st;
    status_clear(&st);
    Experiment *e = malloc(sizeof *e);
    if (!e) return cli_error("out of memory");
    if (experiment_init(e, &c, &st)) {
        free(e);
        return cli_usage(&cmd_finetune, "%s", st.msg);
    }
    join_command(e->command, sizeof e->command, argc, argv);
    snprintf(e->git_commit, sizeof e->git_commit, "%s", o->git_commit ? o->git_commit : "");
    CliStop stop;
    cli_stop_begin(&stop);
    int rc = 0;
    bool stopped = false;
    char methods[EXP_METHODS_MAX + LAB_MAX_METHODS * 24];
    for (int i = 0; i < e->n_cells && !rc && !stopped; i++) {
        const ExperimentCell *cell = &e->cells[i];
        LabConfig lc;
        if (experiment_cell_config(e, i, &lc, methods, sizeof methods, &st)) {
            rc = cli_status(&st);
            break;
        }
        double g = c.n_grid > 0 ? c.grid[cell->grid] : 1.0;
        fprintf(stderr, "lorascope: cell %d/%d: %s, %s %g, seed %llu\n", i + 1, e->n_cells,
                task_kind_name(lc.task), c.n_grid > 0 && !c.grid_factors ? "rate" : "rates x", g,
                cell->seed);
        Lab *lab = malloc(sizeof *lab);
        if (!lab) {
            rc = cli_error("out of memory");
            break;
        }
        if (lab_init(lab, &lc, &st)) {
            free(lab);
            rc = cli_status(&st);
            break;
        }
        if (run_lab(lab, &stopped, &st))
            rc = cli_status(&st);
        /* A cell whose training was cut short is not kept: its figures
         * would not be comparable with the others'. */
        else if (!stopped && experiment_cell_finish(e, i, lab, o->analysis, &st))
            rc = cli_status(&st);
        if (!rc && !stopped) e->cells[i].rec->threads = o->threads;
        lab_free(lab);
        free(lab);
        /* The file after every cell: a kill leaves the cells done so far. */
        if (!rc && o->json && strcmp(o->json, "-") != 0) rc = write_experiment(e, o->json);
    }
    cli_stop_end(&stop);
    if (stopped) fprintf(stderr, "lorascope: interrupted; the figures cover the cells that finished\n");
    bool human = !(o->json && strcmp(o->json, "-") == 0);
    if (!rc && human) rc = print_experiment(e);
    if (!rc && o->json && !human) rc = write_experiment(e, o->json);
    experiment_free(e);
    free(e);
    if (!rc && stopped) rc = 130;
    return rc;
}

// ----------------------------------------------------------------------------
// --report FILE

static int run_report(const Options *o)
{
    Status st;
    status_clear(&st);
    unsigned char *data = NULL;
    size_t n = 0;
    if (file_read_all(o->report, 256u << 20, &data, &n, &st)) return cli_status(&st);
    cJSON *j = cJSON_ParseWithLength((const char *)data, n);
    free(data);
    if (!j) return cli_error("%s: not valid JSON", o->report);
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(j, "format");
    bool exp = cJSON_IsString(fmt) && strcmp(fmt->valuestring, "lorascope-experiment") == 0;
    bool human = !(o->json && strcmp(o->json, "-") == 0);
    int rc = 0;
    if (!exp && o->n_reports > 1) rc = cli_error("%s: only experiments are merged", o->report);
    if (exp && !rc) {
        Experiment *e = malloc(sizeof *e), *more = malloc(sizeof *more);
        if (!e || !more) rc = cli_error("out of memory");
        else if (experiment_parse(e, j, &st)) {
            status_prefix(&st, "%s", o->report);
            rc = cli_status(&st);
        }
        /* Further files join the first (one process per seed). */
        for (int k = 1; k < o->n_reports && !rc; k++) {
            if (experiment_load(o->reports[k], more, &st)) rc = cli_status(&st);
            else if (experiment_merge(e, more, &st)) {
                status_prefix(&st, "%s", o->reports[k]);
                rc = cli_status(&st);
                experiment_free(more);
            }
            if (rc) experiment_free(e);
        }
        free(more);
        if (!rc) {
            if (human) rc = print_experiment(e);
            if (!rc && o->json) rc = write_experiment(e, o->json);
            experiment_free(e);
        }
        free(e);
    } else if (!rc) {
        LabRecord *r = malloc(sizeof *r);
        if (!r) rc = cli_error("out of memory");
        else if (lab_record_parse(r, j, &st)) {
            status_prefix(&st, "%s", o->report);
            rc = cli_status(&st);
        } else {
            LabSnapshot s;
            lab_record_snapshot(r, &s);
            if (human) print_table(&s);
            cJSON *out = o->json ? lab_record_json(r) : NULL;
            rc = record_findings(r, human, out);
            if (!rc && out) rc = write_json(o->json, out);
            cJSON_Delete(out);
            lab_record_free(r);
        }
        free(r);
    }
    cJSON_Delete(j);
    return rc;
}

static int run_finetune(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_help();
            return 0;
        }
    Options o = {.threads = linalg_training_threads(), .analysis = true, .seeds = 1};
    lab_config_defaults(&o.lab);
    int rc = parse(argc, argv, &o);
    if (rc) return rc;
    bool experiment = o.seeds > 1 || o.sweep_default || o.n_sweep > 0 || o.n_tasks > 1;
    if (o.report && (experiment || o.csv || o.save))
        return cli_usage(&cmd_finetune, "--report FILE only reads: give it --json at most");
    if (experiment && (o.csv || o.save))
        return cli_usage(&cmd_finetune,
                         "--csv and --save are for one run, not with --seeds, --sweep or two tasks");
    /* Outputs are checked before any work: a run must not end unsaved. */
    const OutSpec outs[] = {
        {"--json", o.json, OUT_FILE, NULL},
        {"--csv", o.csv, OUT_FILE, NULL},
        {"--save", o.save, OUT_DIR, NULL},
    };
    if ((rc = cli_check_outputs(&cmd_finetune, outs, 3))) return rc;
    if (o.report) return run_report(&o);
    if (o.save && (rc = check_save_names(o.save, o.lab.methods))) return rc;
    linalg_set_threads((int)o.threads);
    if (o.n_tasks == 0) o.tasks[o.n_tasks++] = o.lab.task;
    return experiment ? run_experiment(&o, argc, argv) : run_single(&o);
}

const Command cmd_finetune = {
    .name = "finetune",
    .summary = "tune the base model side by side: full, LoRA, QLoRA, DoRA, IA3, prefix, prompt",
    .help = NULL, /* run_finetune prints it, the methods from the registry */
    .run = run_finetune,
};
