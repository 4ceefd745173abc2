/* task.c — the lab's tasks: domain shift, addition, the user's text
 * (see task.h). */
#include "task.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/paths.h"

static const char *const kind_names[TASK_NUM_KINDS] = {"domain", "addition", "text"};

bool task_kind_parse(TaskKind *kind, const char *name)
{
    for (int i = 0; i < TASK_NUM_KINDS; i++)
        if (strcmp(kind_names[i], name) == 0) {
            *kind = (TaskKind)i;
            return true;
        }
    return false;
}

const char *task_kind_name(TaskKind kind)
{
    return kind >= 0 && kind < TASK_NUM_KINDS ? kind_names[kind] : "?";
}

/* root + "/" + rel into out. */
static int data_path(char *out, size_t size, const char *root, const char *rel, Status *st)
{
    int n =
        root ? snprintf(out, size, "%s/%s", root, rel) : (paths_resolve(out, size, rel) ? -1 : 0);
    if (n < 0 || (size_t)n >= size) return status_fail(st, LS_ERR_ARG, "path too long for %s", rel);
    return LS_OK;
}

static int load_data(TextData *d, const char *root, const char *rel, Status *st)
{
    char path[4096];
    int rc = data_path(path, sizeof path, root, rel, st);
    if (!rc) rc = text_load(d, path, st);
    return rc;
}

/* Offsets of every line start in d (after each '\n', and 0). */
static int index_lines(Task *t, Status *st)
{
    size_t n = 1;
    for (size_t i = 0; i + 1 < t->train.n; i++)
        n += t->train.bytes[i] == '\n';
    t->line_starts = malloc(n * sizeof(size_t));
    if (!t->line_starts) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    t->n_lines = 0;
    t->line_starts[t->n_lines++] = 0;
    for (size_t i = 0; i + 1 < t->train.n; i++)
        if (t->train.bytes[i] == '\n') t->line_starts[t->n_lines++] = i + 1;
    return LS_OK;
}

// ----------------------------------------------------------------------------
// Addition

static uint64_t mix64(uint64_t x)
{
    /* splitmix64's finaliser: a well-spread hash of x. */
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

bool addition_is_heldout(int a, int b, int digits)
{
    uint64_t key = ((uint64_t)(uint32_t)a << 32) ^ (uint64_t)(uint32_t)b ^ ((uint64_t)digits << 60);
    return mix64(key ^ (uint64_t)TASK_ADDITION_SEED) % 10 == 0;
}

static int pow10i(int d)
{
    int p = 1;
    while (d-- > 0)
        p *= 10;
    return p;
}

int addition_text(TextData *out, const AdditionProblem *p, int n, Status *st)
{
    size_t cap = (size_t)n * 32 + 1;
    out->bytes = malloc(cap);
    out->n = 0;
    if (!out->bytes) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        int k = snprintf((char *)out->bytes + out->n, cap - out->n, "%d+%d=%d\n", p[i].a, p[i].b,
                         p[i].a + p[i].b);
        out->n += (size_t)k;
    }
    return LS_OK;
}

bool addition_answer_correct(const AdditionProblem *p, const char *decoded, size_t len)
{
    char want[24];
    int k = snprintf(want, sizeof want, "%d", p->a + p->b);
    size_t got = 0;
    while (got < len && decoded[got] != '\n')
        got++;
    return got == (size_t)k && memcmp(decoded, want, got) == 0;
}

static int addition_init(Task *t, int digits, Status *st)
{
    if (digits == 0) digits = 2;
    if (digits < 2 || digits > TASK_ADDITION_MAX_DIGITS)
        return status_fail(st, LS_ERR_RANGE, "addition digits must be 2..%d, not %d",
                           TASK_ADDITION_MAX_DIGITS, digits);
    t->digits = digits;
    int span = pow10i(digits);
    Rng rng;
    rng_seed(&rng, TASK_ADDITION_SEED);

    /* Held-out problems: all held-out pairs in a seeded random order when
     * there are few (D <= 3), otherwise distinct random held-out pairs. */
    enum { HELD_MAX = 2000 };
    t->heldout = malloc(HELD_MAX * sizeof *t->heldout);
    if (!t->heldout) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    int n = 0;
    if (digits <= 3) {
        AdditionProblem *all = malloc((size_t)span * span / 5 * sizeof *all + sizeof *all);
        if (!all) return status_fail(st, LS_ERR_NOMEM, "out of memory");
        int m = 0;
        for (int a = 0; a < span; a++)
            for (int b = 0; b < span; b++)
                if (addition_is_heldout(a, b, digits) && m < span * span / 5)
                    all[m++] = (AdditionProblem){a, b};
        for (int i = m - 1; i > 0; i--) { /* Fisher–Yates */
            int j = (int)rng_below(&rng, (uint32_t)(i + 1));
            AdditionProblem x = all[i];
            all[i] = all[j];
            all[j] = x;
        }
        n = m < HELD_MAX ? m : HELD_MAX;
        memcpy(t->heldout, all, (size_t)n * sizeof *all);
        free(all);
    } else {
        while (n < HELD_MAX) {
            AdditionProblem p = {(int)rng_below(&rng, (uint32_t)span),
                                 (int)rng_below(&rng, (uint32_t)span)};
            if (!addition_is_heldout(p.a, p.b, digits)) continue;
            bool dup = false;
            for (int i = 0; i < n && !dup; i++)
                dup = t->heldout[i].a == p.a && t->heldout[i].b == p.b;
            if (!dup) t->heldout[n++] = p;
        }
    }
    /* The first half is the test set, the second chooses learning rates. */
    t->n_heldout = n - n / 2;
    t->n_validation = n / 2;
    int rc = addition_text(&t->valid, t->heldout, t->n_heldout, st);
    if (!rc) rc = addition_text(&t->validation, t->heldout + t->n_heldout, t->n_validation, st);
    if (rc) return rc;
    snprintf(t->test_what, sizeof t->test_what, "%d held-out problems (the first half)",
             t->n_heldout);
    snprintf(t->validation_what, sizeof t->validation_what,
             "%d other held-out problems (the second half)", t->n_validation);

    /* Training text: random pairs that are not held out. */
    AdditionProblem *train = malloc(TASK_ADDITION_TRAIN_LINES * sizeof *train);
    if (!train) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < TASK_ADDITION_TRAIN_LINES;) {
        AdditionProblem p = {(int)rng_below(&rng, (uint32_t)span),
                             (int)rng_below(&rng, (uint32_t)span)};
        if (!addition_is_heldout(p.a, p.b, digits)) train[i++] = p;
    }
    rc = addition_text(&t->train, train, TASK_ADDITION_TRAIN_LINES, st);
    free(train);
    if (rc) return rc;
    t->line_batches = true;
    snprintf(t->description, sizeof t->description,
             "addition of numbers below %d: held-out exact-match accuracy of greedy decoding (%d "
             "held-out "
             "problems, never trained on)",
             span, t->n_heldout);
    return index_lines(t, st);
}

// ----------------------------------------------------------------------------
// Tasks

/* The prompt for samples: the first line of the held-out text, cut to fit. */
static void set_sample_prompt(Task *t)
{
    size_t n = 0;
    while (n < t->valid.n && n < sizeof t->sample_prompt - 1 && t->valid.bytes[n] != '\n')
        n++;
    memcpy(t->sample_prompt, t->valid.bytes, n);
    t->sample_prompt[n] = '\0';
}

/* bytes[from, to) of d into out (owned). */
static int text_slice(TextData *out, const TextData *d, size_t from, size_t to, Status *st)
{
    out->n = to - from;
    out->bytes = malloc(out->n + 1);
    if (!out->bytes) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    memcpy(out->bytes, d->bytes + from, out->n);
    out->bytes[out->n] = 0;
    return LS_OK;
}

static int text_task_init(Task *t, const char *path, Status *st)
{
    TextData all;
    int rc = text_load(&all, path, st);
    if (rc) return rc;
    /* Hold out the last 10 %, from the next line start if one is near. */
    size_t cut = all.n - all.n / 10;
    for (size_t i = cut; i < all.n && i < cut + 512; i++)
        if (all.bytes[i - 1] == '\n') {
            cut = i;
            break;
        }
    if (cut < 200 || all.n - cut < 200) {
        /* The message first: text_free zeroes the count. */
        rc = status_fail(
            st, LS_ERR_RANGE,
            "%s: %zu bytes is too short (need at least 2,000: 90 %% to train, 10 %% held out)",
            path, all.n);
        text_free(&all);
        return rc;
    }
    /* The held-out part's first half chooses rates, the second is reported. */
    size_t mid = cut + (all.n - cut) / 2;
    for (size_t i = mid; i + 100 <= all.n && i < mid + 256; i++)
        if (all.bytes[i - 1] == '\n') {
            mid = i;
            break;
        }
    t->train.n = cut;
    t->train.bytes = malloc(t->train.n + 1);
    if (!t->train.bytes) rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
    if (!rc) memcpy(t->train.bytes, all.bytes, t->train.n);
    if (!rc) rc = text_slice(&t->validation, &all, cut, mid, st);
    if (!rc) rc = text_slice(&t->valid, &all, mid, all.n, st);
    if (!rc) {
        snprintf(t->description, sizeof t->description,
                 "your text %.120s: %zu bytes to train on, the next %zu to choose rates, the last "
                 "%zu held out (bits per byte)",
                 path, t->train.n, t->validation.n, t->valid.n);
        snprintf(t->validation_what, sizeof t->validation_what, "bytes %zu-%zu of the file", cut,
                 mid);
        snprintf(t->test_what, sizeof t->test_what, "bytes %zu-%zu of the file", mid, all.n);
    }
    text_free(&all);
    return rc;
}

/* Where the domain task's test part starts in moby-valid.txt. */
static const char DOMAIN_TEST_START[] = "CHAPTER 41.";

static int domain_init(Task *t, const TaskConfig *cfg, Status *st)
{
    TextData held;
    int rc = load_data(&t->train, cfg->root, "data/text/moby-train.txt", st);
    if (rc) return rc;
    rc = load_data(&held, cfg->root, "data/text/moby-valid.txt", st);
    if (rc) return rc;
    /* Chapters 37-40 choose rates, chapter 41 is reported. */
    size_t cut = 0, k = sizeof DOMAIN_TEST_START - 1;
    for (size_t i = 1; i + k <= held.n && !cut; i++)
        if (held.bytes[i - 1] == '\n' && memcmp(held.bytes + i, DOMAIN_TEST_START, k) == 0) cut = i;
    if (!cut)
        rc = status_fail(st, LS_ERR_PARSE, "data/text/moby-valid.txt: no line '%s'",
                         DOMAIN_TEST_START);
    if (!rc) rc = text_slice(&t->validation, &held, 0, cut, st);
    if (!rc) rc = text_slice(&t->valid, &held, cut, held.n, st);
    if (!rc) {
        snprintf(t->validation_what, sizeof t->validation_what,
                 "Moby-Dick chapters 37-40 (moby-valid.txt bytes 0-%zu)", cut);
        snprintf(t->test_what, sizeof t->test_what,
                 "Moby-Dick chapter 41 (moby-valid.txt bytes %zu-%zu)", cut, held.n);
    }
    text_free(&held);
    snprintf(t->description, sizeof t->description,
             "domain shift: State of the Union -> Moby-Dick (chapters 1-36 to train, 37-40 to "
             "choose rates, 41 held out; bits per byte)");
    return rc;
}

static int addition_task_init(Task *t, const TaskConfig *cfg, Status *st)
{
    return addition_init(t, cfg->digits, st);
}

static int text_init(Task *t, const TaskConfig *cfg, Status *st)
{
    if (!cfg->text_path) return status_fail(st, LS_ERR_ARG, "the text task needs a file");
    return text_task_init(t, cfg->text_path, st);
}

/* How each task gets its texts, in TaskKind order. */
static int (*const task_inits[TASK_NUM_KINDS])(Task *t, const TaskConfig *cfg, Status *st) = {
    [TASK_DOMAIN] = domain_init,
    [TASK_ADDITION] = addition_task_init,
    [TASK_TEXT] = text_init,
};

int task_init(Task *t, const TaskConfig *cfg, Status *st)
{
    memset(t, 0, sizeof *t);
    if (cfg->kind < 0 || cfg->kind >= TASK_NUM_KINDS)
        return status_fail(st, LS_ERR_ARG, "unknown task");
    t->kind = cfg->kind;
    t->name = kind_names[cfg->kind];
    int rc = task_inits[cfg->kind](t, cfg, st);
    if (!rc) rc = load_data(&t->forget, cfg->root, "data/text/sotu-valid.txt", st);
    if (rc) {
        task_free(t);
        return rc;
    }
    set_sample_prompt(t);
    return LS_OK;
}

void task_free(Task *t)
{
    if (!t) return;
    text_free(&t->train);
    text_free(&t->valid);
    text_free(&t->validation);
    text_free(&t->forget);
    free(t->line_starts);
    free(t->heldout);
    memset(t, 0, sizeof *t);
}

void task_batch(const Task *t, Rng *rng, int *inputs, int *targets, int B, int T)
{
    if (!t->line_batches) {
        text_random_batch(&t->train, rng, inputs, targets, B, T);
        return;
    }
    /* Line starts whose window of T + 1 bytes fits. */
    size_t usable = t->n_lines;
    while (usable > 0 && t->line_starts[usable - 1] + (size_t)T + 1 > t->train.n)
        usable--;
    for (int b = 0; b < B; b++) {
        size_t start = t->line_starts[rng_below(rng, (uint32_t)usable)];
        for (int i = 0; i < T; i++) {
            inputs[b * T + i] = t->train.bytes[start + i];
            targets[b * T + i] = t->train.bytes[start + i + 1];
        }
    }
}

// ----------------------------------------------------------------------------
// Accuracy

enum { PROMPT_MAX = 32 };

void task_scoring_free(TaskScoring *sc)
{
    if (!sc) return;
    free(sc->tok);
    free(sc->in);
    free(sc->plen);
    free(sc->order);
    free(sc->decoded);
    memset(sc, 0, sizeof *sc);
}

int task_scoring_begin(TaskScoring *sc, const Task *t, Gpt *m, int n, Status *st)
{
    memset(sc, 0, sizeof *sc);
    if (t->kind != TASK_ADDITION || t->n_heldout == 0)
        return status_fail(st, LS_ERR_ARG, "no problems to score");
    if (n <= 0 || n > t->n_heldout) n = t->n_heldout;
    if (n > TASK_ADDITION_EVAL_MAX) n = TASK_ADDITION_EVAL_MAX;
    sc->t = t;
    sc->m = m;
    sc->n = n;
    sc->ans_max = t->digits + 2; /* D + 1 digits and the newline */
    sc->chunk = m->act_block ? m->act_B : 32;
    int rc = LS_OK;
    if (!m->act_block && (rc = gpt_reserve(m, sc->chunk, m->cfg.n_positions, st))) return rc;
    sc->W = PROMPT_MAX + sc->ans_max;
    sc->tok = malloc((size_t)sc->chunk * sc->W * sizeof(int));
    sc->in = malloc((size_t)sc->chunk * sc->W * sizeof(int));
    sc->plen = malloc((size_t)n * sizeof(int));
    sc->order = malloc((size_t)n * sizeof(int));
    sc->decoded = calloc((size_t)n * (sc->ans_max + 1), 1);
    if (!sc->tok || !sc->in || !sc->plen || !sc->order || !sc->decoded) {
        task_scoring_free(sc);
        return status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    /* Order problems by prompt length so each forward has one length. */
    for (int i = 0; i < n; i++) {
        char buf[PROMPT_MAX];
        sc->plen[i] = snprintf(buf, sizeof buf, "%d+%d=", t->heldout[i].a, t->heldout[i].b);
        sc->order[i] = i;
    }
    for (int i = 1; i < n; i++) { /* insertion sort, stable */
        int x = sc->order[i], j = i - 1;
        while (j >= 0 && sc->plen[sc->order[j]] > sc->plen[x])
            sc->order[j + 1] = sc->order[j], j--;
        sc->order[j + 1] = x;
    }
    return LS_OK;
}

bool task_scoring_done(const TaskScoring *sc)
{
    return sc->s >= sc->n;
}

/* The group starting at problem s (in order): up to a chunk of prompts of
 * its first one's length. */
static int group_size(const TaskScoring *sc)
{
    int len0 = sc->plen[sc->order[sc->s]], count = 0;
    while (sc->s + count < sc->n && count < sc->chunk && sc->plen[sc->order[sc->s + count]] == len0)
        count++;
    return count;
}

size_t task_scoring_next_tokens(const TaskScoring *sc)
{
    if (task_scoring_done(sc)) return 0;
    if (sc->count > 0) return (size_t)sc->count * (size_t)sc->len;
    return (size_t)group_size(sc) * (size_t)sc->plen[sc->order[sc->s]];
}

int task_scoring_step(TaskScoring *sc, Status *st)
{
    if (task_scoring_done(sc)) return LS_OK;
    const Task *t = sc->t;
    Gpt *m = sc->m;
    int V = m->cfg.vocab_size, W = sc->W;
    if (sc->count == 0) {
        /* A new group: the next problems with the same prompt length. */
        int len0 = sc->plen[sc->order[sc->s]], count = group_size(sc);
        if (len0 + sc->ans_max > m->cfg.n_positions)
            return status_fail(st, LS_ERR_RANGE, "prompts of %d bytes do not fit n_positions %d",
                               len0, m->cfg.n_positions);
        for (int b = 0; b < count; b++) {
            char buf[PROMPT_MAX];
            const AdditionProblem *p = &t->heldout[sc->order[sc->s + b]];
            snprintf(buf, sizeof buf, "%d+%d=", p->a, p->b);
            for (int i = 0; i < len0; i++)
                sc->tok[b * W + i] = (unsigned char)buf[i];
        }
        sc->count = count;
        sc->len = len0;
        sc->k = 0;
    }
    /* One byte of every answer in the group. The forward wants (count,
     * len) contiguous: re-pack per step. */
    int count = sc->count, len = sc->len;
    for (int b = 0; b < count; b++)
        memcpy(sc->in + b * len, sc->tok + b * W, (size_t)len * sizeof(int));
    int rc = gpt_forward(m, sc->in, NULL, count, len, false, st);
    if (rc) return rc;
    for (int b = 0; b < count; b++) {
        const float *lg = m->acts.logits + ((size_t)b * len + (size_t)(len - 1)) * V;
        int best = 0;
        for (int v = 1; v < V; v++)
            if (lg[v] > lg[best]) best = v;
        sc->tok[b * W + len] = best;
        sc->decoded[(size_t)sc->order[sc->s + b] * (sc->ans_max + 1) + sc->k] = (char)best;
    }
    sc->len++;
    if (++sc->k == sc->ans_max) {
        sc->s += count;
        sc->count = 0;
    }
    return LS_OK;
}

void task_scoring_end(const TaskScoring *sc, TaskAccuracy *out, char *answers, size_t answers_size,
                      int n_show)
{
    const Task *t = sc->t;
    int n = sc->n, ans_max = sc->ans_max;
    const char *decoded = sc->decoded;
    int correct = 0;
    for (int i = 0; i < n; i++)
        correct += addition_answer_correct(&t->heldout[i], decoded + (size_t)i * (ans_max + 1),
                                           (size_t)ans_max);
    out->correct = correct;
    out->total = n;
    out->accuracy = (double)correct / n;
    if (answers && answers_size) {
        size_t used = 0;
        answers[0] = '\0';
        for (int i = 0; i < n && i < n_show; i++) {
            const AdditionProblem *p = &t->heldout[i];
            const char *d = decoded + (size_t)i * (ans_max + 1);
            char shown[32];
            int k = 0;
            /* What the model wrote up to its newline, non-printables as '?'. */
            for (; k < ans_max && d[k] != '\n' && d[k]; k++)
                shown[k] = (d[k] >= 32 && d[k] < 127) ? d[k] : '?';
            shown[k] = '\0';
            bool ok = addition_answer_correct(p, d, (size_t)ans_max);
            int w =
                snprintf(answers + used, answers_size - used, "%d+%d=%s%s", p->a, p->b, shown, "");
            if (w < 0 || (size_t)w >= answers_size - used) break;
            used += (size_t)w;
            w = ok ? snprintf(answers + used, answers_size - used, "  ok\n")
                   : snprintf(answers + used, answers_size - used, "  (want %d)\n", p->a + p->b);
            if (w < 0 || (size_t)w >= answers_size - used) break;
            used += (size_t)w;
        }
    }
}

int task_addition_accuracy(const Task *t, Gpt *m, int n, TaskAccuracy *out, char *answers,
                           size_t answers_size, int n_show, Status *st)
{
    TaskScoring sc;
    int rc = task_scoring_begin(&sc, t, m, n, st);
    while (!rc && !task_scoring_done(&sc))
        rc = task_scoring_step(&sc, st);
    if (!rc) task_scoring_end(&sc, out, answers, answers_size, n_show);
    task_scoring_free(&sc);
    return rc;
}
