/* test_progress.c — the progress store (src/lesson/progress.c).
 *
 * Round trip through the file; the XDG_STATE_HOME / HOME rules (each test
 * points them at a fresh folder under /tmp, never at the real home); atomic
 * replacement; unusable files of many kinds reported and moved aside, never
 * lost, and a newer version never downgraded; folders that
 * cannot be written giving a status, never a crash. */
/* cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/lesson/progress.h"

/* ------------------------------------------------------------------------
 * A scratch folder per test, with XDG_STATE_HOME and HOME inside it */

typedef struct Scratch {
    char dir[64];
    char file[160]; /* dir/state/lorascope/progress.json */
} Scratch;

static int setup(void **state)
{
    Scratch *s = calloc(1, sizeof *s);
    if (!s) return -1;
    snprintf(s->dir, sizeof s->dir, "/tmp/lorascope-test-progress-XXXXXX");
    if (!mkdtemp(s->dir)) return -1;
    char buf[128];
    snprintf(buf, sizeof buf, "%s/state", s->dir);
    setenv("XDG_STATE_HOME", buf, 1);
    snprintf(buf, sizeof buf, "%s/home", s->dir);
    setenv("HOME", buf, 1);
    snprintf(s->file, sizeof s->file, "%s/state/lorascope/progress.json", s->dir);
    *state = s;
    return 0;
}

/* rm -rf of the scratch folder (small, made by us). */
static void remove_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0) return;
    if (S_ISDIR(sb.st_mode)) {
        chmod(path, 0700);
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char sub[512];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            remove_tree(sub);
        }
        if (d) closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int teardown(void **state)
{
    Scratch *s = *state;
    remove_tree(s->dir);
    free(s);
    return 0;
}

static void write_file(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    fclose(f);
}

static void make_dirs_for(const Scratch *s)
{
    char buf[160];
    snprintf(buf, sizeof buf, "%s/state", s->dir);
    mkdir(buf, 0700);
    snprintf(buf, sizeof buf, "%s/state/lorascope", s->dir);
    mkdir(buf, 0700);
}

/* A small progress with a bit of everything. */
static void fill(Progress *p)
{
    Status st;
    progress_init(p);
    assert_int_equal(progress_set_page(p, "01-rank", 3, &st), LS_OK);
    assert_int_equal(progress_record_answer(p, "01-rank", "rank-of-sum", true, &st), LS_OK);
    assert_int_equal(progress_record_answer(p, "01-rank", "noise", false, &st), LS_OK);
    assert_int_equal(progress_set_page(p, "02-svd", 1, &st), LS_OK);
    assert_int_equal(progress_record_answer(p, "02-svd", "energy", true, &st), LS_OK);
    assert_int_equal(progress_set_current(p, "02-svd", &st), LS_OK);
}

/* ------------------------------------------------------------------------
 * Tests */

static void test_default_path_follows_xdg(void **state)
{
    Scratch *s = *state;
    char path[512], want[512];
    Status st;
    assert_int_equal(progress_default_path(path, sizeof path, &st), LS_OK);
    assert_string_equal(path, s->file);

    /* A relative XDG_STATE_HOME is invalid by the spec: HOME is used. */
    setenv("XDG_STATE_HOME", "relative/state", 1);
    assert_int_equal(progress_default_path(path, sizeof path, &st), LS_OK);
    snprintf(want, sizeof want, "%s/home/.local/state/lorascope/progress.json", s->dir);
    assert_string_equal(path, want);
    unsetenv("XDG_STATE_HOME");
    assert_int_equal(progress_default_path(path, sizeof path, &st), LS_OK);
    assert_string_equal(path, want);

    /* Too small a buffer is a status, not an overflow. */
    char tiny[8];
    assert_int_equal(progress_default_path(tiny, sizeof tiny, &st), LS_ERR_RANGE);
}

static void test_round_trip(void **state)
{
    Scratch *s = *state;
    Progress p, q;
    Status st;
    fill(&p);
    /* NULL path: the default under XDG_STATE_HOME; folders are created. */
    assert_int_equal(progress_save(&p, NULL, &st), LS_OK);
    struct stat sb;
    assert_int_equal(stat(s->file, &sb), 0);

    progress_init(&q);
    assert_int_equal(progress_load(&q, NULL, &st), LS_OK);
    assert_string_equal(progress_current(&q), "02-svd");
    assert_int_equal(q.n_lessons, 2);
    assert_int_equal(progress_page(&q, "01-rank"), 3);
    assert_int_equal(progress_page(&q, "02-svd"), 1);
    assert_int_equal(progress_page(&q, "03-precision"), 0);
    assert_int_equal(progress_answer(&q, "01-rank", "rank-of-sum"), ANSWER_RIGHT);
    assert_int_equal(progress_answer(&q, "01-rank", "other"), ANSWER_NONE);
    assert_int_equal(progress_answer(&q, "01-rank", "noise"), ANSWER_WRONG);
    assert_int_equal(progress_answer(&q, "01-rank", NULL), ANSWER_NONE);
    assert_int_equal(progress_answer(&q, "02-svd", "energy"), ANSWER_RIGHT);
    assert_int_equal(progress_answer(&q, "01-rank", "energy"), ANSWER_NONE);
    /* The file is version 2, answers filed by key. */
    FILE *f = fopen(s->file, "rb");
    assert_non_null(f);
    char text[2048];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_non_null(strstr(text, "\"version\":\t2"));
    assert_non_null(strstr(text, "\"rank-of-sum\":\ttrue"));
    int answered, right;
    progress_count(&q, "01-rank", &answered, &right);
    assert_int_equal(answered, 2);
    assert_int_equal(right, 1);
    progress_count(&q, "nope", &answered, &right);
    assert_int_equal(answered, 0);

    /* Loading replaces: a second load of the same file gives the same. */
    assert_int_equal(progress_load(&q, s->file, &st), LS_OK);
    assert_int_equal(q.n_lessons, 2);
    progress_free(&p);
    progress_free(&q);
    progress_free(&q);
    progress_free(NULL);
}

static void test_right_stays_right(void **state)
{
    (void)state;
    Progress p;
    Status st;
    progress_init(&p);
    assert_int_equal(progress_record_answer(&p, "01-rank", "q1", false, &st), LS_OK);
    assert_int_equal(progress_answer(&p, "01-rank", "q1"), ANSWER_WRONG);
    assert_int_equal(progress_record_answer(&p, "01-rank", "q1", true, &st), LS_OK);
    assert_int_equal(progress_answer(&p, "01-rank", "q1"), ANSWER_RIGHT);
    assert_int_equal(progress_record_answer(&p, "01-rank", "q1", false, &st), LS_OK);
    assert_int_equal(progress_answer(&p, "01-rank", "q1"), ANSWER_RIGHT);

    /* Bad arguments are statuses: no key, a legacy "#N" key, a control
     * character, one too long. */
    char longkey[80];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    assert_int_equal(progress_record_answer(&p, "01-rank", NULL, true, &st), LS_ERR_RANGE);
    assert_int_equal(progress_record_answer(&p, "01-rank", "#1", true, &st), LS_ERR_RANGE);
    assert_int_equal(progress_record_answer(&p, "01-rank", "a\nb", true, &st), LS_ERR_RANGE);
    assert_int_equal(progress_record_answer(&p, "01-rank", longkey, true, &st), LS_ERR_RANGE);
    assert_int_equal(progress_set_page(&p, "01-rank", -2, &st), LS_ERR_RANGE);
    assert_int_equal(progress_set_page(&p, "", 1, &st), LS_ERR_ARG);
    assert_int_equal(progress_set_page(&p, NULL, 1, &st), LS_ERR_ARG);
    assert_int_equal(progress_set_current(&p, "bad\nid", &st), LS_ERR_ARG);
    assert_int_equal(progress_set_page(&p, "01-rank", 1, NULL), LS_OK); /* st may be NULL */
    progress_free(&p);
}

/* Files in a folder, for "no temporary left behind". */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void test_atomic_replace(void **state)
{
    Scratch *s = *state;
    Progress p;
    Status st;
    fill(&p);
    assert_int_equal(progress_save(&p, s->file, &st), LS_OK);
    struct stat before, after;
    assert_int_equal(stat(s->file, &before), 0);

    assert_int_equal(progress_set_page(&p, "01-rank", 4, &st), LS_OK);
    assert_int_equal(progress_save(&p, s->file, &st), LS_OK);
    assert_int_equal(stat(s->file, &after), 0);
    /* A new file was renamed over the old one (not rewritten in place, which
     * a crash could leave half-written) ... */
    assert_true(before.st_ino != after.st_ino);
    /* ... private to the user, and no temporary is left behind. */
    assert_int_equal(after.st_mode & 077, 0);
    char dir[160];
    snprintf(dir, sizeof dir, "%s/state/lorascope", s->dir);
    assert_int_equal(count_entries(dir), 1);

    Progress q;
    progress_init(&q);
    assert_int_equal(progress_load(&q, s->file, &st), LS_OK);
    assert_int_equal(progress_page(&q, "01-rank"), 4);
    progress_free(&q);
    progress_free(&p);
}

static void test_missing_file_is_empty(void **state)
{
    Scratch *s = *state;
    Progress p;
    Status st;
    fill(&p); /* loading replaces whatever was there */
    assert_int_equal(progress_load(&p, s->file, &st), LS_OK);
    assert_int_equal(p.n_lessons, 0);
    assert_null(progress_current(&p));
    progress_free(&p);
}

/* The whole content of a file (malloc'd, NUL-terminated), *n its length. */
static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(PROGRESS_MAX_BYTES + 16);
    *n = fread(buf, 1, PROGRESS_MAX_BYTES + 15, f);
    buf[*n] = 0;
    fclose(f);
    return buf;
}

/* After a load that set the file aside: the original name is free, the
 * backup beside it holds exactly the old bytes, and a save works. */
static void check_set_aside(const Scratch *s, Progress *p, const char *text, size_t len)
{
    assert_non_null(p->set_aside);
    assert_false(p->read_only);
    size_t dl = strlen(s->file);
    assert_memory_equal(p->set_aside, s->file, dl);
    assert_true(strncmp(p->set_aside + dl, ".unreadable-", 12) == 0);
    assert_int_equal(access(s->file, F_OK), -1);
    size_t n = 0;
    char *back = slurp(p->set_aside, &n);
    assert_non_null(back);
    assert_int_equal(n, len);
    assert_memory_equal(back, text, len);
    free(back);
    Status st;
    assert_int_equal(progress_set_page(p, "01-rank", 1, &st), LS_OK);
    assert_int_equal(progress_save(p, s->file, &st), LS_OK);
}

static void test_corrupt_files_set_aside(void **state)
{
    Scratch *s = *state;
    make_dirs_for(s);
    char dir[160];
    snprintf(dir, sizeof dir, "%s/state/lorascope", s->dir);
    /* Each text with its exact length, NUL bytes included. */
#define B(lit)                                                                                     \
    {                                                                                              \
        lit, sizeof lit - 1                                                                        \
    }
    static const struct {
        const char *text;
        size_t len;
    } bad[] = {
        B(""),
        B("not json at all"),
        B("{\"version\": 1, \"lessons\": {"),   /* truncated */
        B("[1, 2, 3]"),                         /* not an object */
        B("{\"lessons\": {}}"),                 /* no version */
        B("{\"version\": 0, \"lessons\": {}}"), /* older than any */
        B("{\"version\": 2, \"lessons\": {\"01-rank\": {\"answers\": {\"\": true}}}}"),
        B("{\"version\": 2, \"lessons\": {\"01-rank\": {\"answers\": {\"a\": \"yes\"}}}}"),
        B("{\"version\": 1, \"current\": 7}"),
        B("{\"version\": 1, \"lessons\": []}"),
        B("{\"version\": 1, \"lessons\": {\"01-rank\": 3}}"),
        B("{\"version\": 1, \"lessons\": {\"01-rank\": {\"page\": -1}}}"),
        B("{\"version\": 1, \"lessons\": {\"01-rank\": {\"page\": 2.5}}}"),
        B("{\"version\": 1, \"lessons\": {\"01-rank\": {\"page\": 1e300}}}"),
        B("{\"version\": 1, \"lessons\": {\"01-rank\": {\"page\": \"2\"}}}"),
        B("{\"version\": 1, \"lessons\": {\"01-rank\": {\"answers\": {\"x\": true}}}}"),
        B("{\"version\": 1, \"lessons\": {\"01-rank\": {\"answers\": {\"-1\": true}}}}"),
        B("{\"version\": 1, \"lessons\": {\"01-rank\": {\"answers\": {\"99999999\": true}}}}"),
        B("{\"version\": 1, \"lessons\": {\"01-rank\": {\"answers\": {\"1\": 1}}}}"),
        B("{\"version\": 1, \"lessons\": {\"01-rank\": {\"answers\": [true]}}}"),
        B("{\"version\": 1, \"lessons\": {\"\": {}}}"),
        B("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff\xfe"), /* binary junk */
        B("{\"version\": 1, \"lessons\": {\"01-rank\": {\"page\": 1}}}\0garbage"),
    };
#undef B
    size_t n_bad = sizeof bad / sizeof bad[0];
    for (size_t i = 0; i < n_bad; i++) {
        write_file(s->file, bad[i].text, bad[i].len);
        Progress p;
        Status st;
        fill(&p);
        int rc = progress_load(&p, s->file, &st);
        if (rc != LS_ERR_PARSE) fail_msg("case %zu: rc %d, want a parse error", i, rc);
        /* The message names the file; nothing of it is kept in memory ... */
        assert_non_null(strstr(st.msg, s->file));
        assert_int_equal(p.n_lessons, 0);
        assert_null(progress_current(&p));
        /* ... but on disk it is, beside the new one. */
        check_set_aside(s, &p, bad[i].text, bad[i].len);
        progress_free(&p);
    }
    /* Many in the same second: each backup got its own name, none was
     * overwritten (the progress file, plus one backup per bad case). */
    assert_int_equal(count_entries(dir), (int)n_bad + 1);

    /* Too large to be ours. */
    FILE *f = fopen(s->file, "wb");
    assert_non_null(f);
    fseek(f, (long)PROGRESS_MAX_BYTES + 1, SEEK_SET);
    fputc('}', f);
    fclose(f);
    Progress p;
    Status st;
    progress_init(&p);
    assert_int_equal(progress_load(&p, s->file, &st), LS_ERR_PARSE);
    assert_non_null(strstr(st.msg, "more than"));
    assert_non_null(p.set_aside);
    struct stat sb;
    assert_int_equal(stat(p.set_aside, &sb), 0);
    assert_int_equal(sb.st_size, (off_t)PROGRESS_MAX_BYTES + 2);
    unlink(p.set_aside);
    progress_free(&p);

    /* A folder where the file should be: moved aside too, then saving works. */
    unlink(s->file);
    assert_int_equal(mkdir(s->file, 0700), 0);
    assert_true(progress_load(&p, s->file, &st) != LS_OK);
    assert_int_equal(p.n_lessons, 0);
    assert_non_null(p.set_aside);
    assert_int_equal(stat(p.set_aside, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(progress_save(&p, s->file, &st), LS_OK);
    progress_free(&p);

    /* Not readable (permissions do not bind root, so only as a user). */
    if (geteuid() != 0) {
        write_file(s->file, "{\"version\": 1}", 14);
        assert_int_equal(chmod(s->file, 0), 0);
        assert_int_equal(progress_load(&p, s->file, &st), LS_ERR_IO);
        assert_non_null(p.set_aside);
        assert_int_equal(access(s->file, F_OK), -1);
        chmod(p.set_aside, 0600);
        progress_free(&p);
    }
}

/* A file from a newer lorascope is never downgraded: left byte for byte,
 * and this session saves nothing. */
static void test_newer_version_kept(void **state)
{
    Scratch *s = *state;
    make_dirs_for(s);
    static const char newer[] = "{\"version\": 3, \"lessons\": {\"01-rank\": {\"page\": 4, "
                                "\"answers\": {\"0\": true}, \"finished\": [1, 2]}}}";
    write_file(s->file, newer, sizeof newer - 1);
    Progress p;
    Status st;
    fill(&p);
    assert_int_equal(progress_load(&p, s->file, &st), LS_ERR_RANGE);
    assert_non_null(strstr(st.msg, s->file));
    assert_non_null(strstr(st.msg, "newer lorascope"));
    assert_true(p.read_only);
    assert_null(p.set_aside);
    assert_int_equal(progress_set_page(&p, "01-rank", 1, &st), LS_OK);
    assert_int_equal(progress_save(&p, s->file, &st), LS_ERR_IO);
    assert_non_null(strstr(st.msg, "not saved"));
    size_t n = 0;
    char *now = slurp(s->file, &n);
    assert_non_null(now);
    assert_int_equal(n, sizeof newer - 1);
    assert_memory_equal(now, newer, n);
    free(now);
    /* --reset-progress is the student's own choice: it may remove it. */
    assert_int_equal(progress_clear(&p, s->file, &st), LS_OK);
    assert_false(p.read_only);
    assert_int_equal(progress_save(&p, s->file, &st), LS_OK);
    progress_free(&p);
}

static void test_unwritable_folder_is_a_status(void **state)
{
    Scratch *s = *state;
    Progress p;
    Status st;
    fill(&p);

    /* A file stands where a folder must be made: works even for root. */
    char blocker[160], path[200];
    snprintf(blocker, sizeof blocker, "%s/blocker", s->dir);
    write_file(blocker, "x", 1);
    snprintf(path, sizeof path, "%s/lorascope/progress.json", blocker);
    assert_int_equal(progress_save(&p, path, &st), LS_ERR_IO);
    assert_non_null(strstr(st.msg, blocker));

    /* The same through XDG_STATE_HOME. */
    setenv("XDG_STATE_HOME", blocker, 1);
    assert_int_equal(progress_save(&p, NULL, &st), LS_ERR_IO);
    assert_true(st.msg[0] != '\0');
    Progress q;
    progress_init(&q);
    assert_true(progress_load(&q, NULL, &st) != LS_OK || q.n_lessons == 0);
    progress_free(&q);

    /* A read-only folder (permissions do not bind root, so only as a user). */
    if (geteuid() != 0) {
        char ro[160];
        snprintf(ro, sizeof ro, "%s/readonly", s->dir);
        assert_int_equal(mkdir(ro, 0500), 0);
        snprintf(path, sizeof path, "%s/progress.json", ro);
        assert_int_equal(progress_save(&p, path, &st), LS_ERR_IO);
        assert_non_null(strstr(st.msg, "cannot save progress"));
        assert_int_equal(count_entries(ro), 0);
        assert_int_equal(progress_clear(NULL, path, &st), LS_OK); /* nothing to remove */
    }

    /* Saving into a folder on a read-only file system. */
    if (access("/proc/self", F_OK) == 0) {
        assert_int_equal(progress_save(&p, "/proc/self/lorascope-progress.json", &st), LS_ERR_IO);
    }
    progress_free(&p);
}

static void test_clear(void **state)
{
    Scratch *s = *state;
    Progress p;
    Status st;
    fill(&p);
    assert_int_equal(progress_save(&p, NULL, &st), LS_OK);
    /* A lab run kept beside it (lab_keep.h) goes too. */
    char kept[300];
    snprintf(kept, sizeof kept, "%.*s/" PROGRESS_LAB_RESULTS, (int)(strrchr(s->file, '/') - s->file), s->file);
    assert_int_equal(mkdir(kept, 0700), 0);
    strcat(kept, "/07-lab--first.json");
    FILE *f = fopen(kept, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(progress_clear(&p, NULL, &st), LS_OK);
    assert_int_equal(p.n_lessons, 0);
    assert_null(progress_current(&p));
    assert_int_equal(access(s->file, F_OK), -1);
    assert_int_equal(access(kept, F_OK), -1);
    /* Clearing again (no file) is fine, and so is a NULL progress. */
    assert_int_equal(progress_clear(NULL, NULL, &st), LS_OK);
    assert_int_equal(progress_load(&p, NULL, &st), LS_OK);
    assert_int_equal(p.n_lessons, 0);
    progress_free(&p);
}

/* ------------------------------------------------------------------------
 * Answers follow their question: keys, migration, edited lessons */

static void parse_lesson(Lesson *l, const char *text)
{
    Status st;
    assert_int_equal(lesson_parse(l, text, strlen(text), "lessons/01-x.md", &st), LS_OK);
    assert_int_equal(l->n_diags, 0);
}

static const char *key_of(const Lesson *l, int index)
{
    const Block *b = lesson_question(l, index);
    assert_non_null(b);
    return b->question.key;
}

/* Three questions, two with ids, one whose key comes from its words. */
static const char lesson_v1[] = "# X\n\n## P\n\n"
                                "```question\nid = first\nask = One?\nanswer = 1\n```\n\n"
                                "```question\nask = What is the rank of this matrix here, "
                                "roughly?\nanswer = 2\n```\n\n"
                                "```question\nid = third\nask = Three?\nanswer = 3\n```\n";

/* The same lesson after an author's edit: a new question first, the
 * derived one reworded after its first six words, the ids' prompts rewritten. */
static const char lesson_v2[] = "# X\n\n## P\n\n"
                                "```question\nask = A new one?\nanswer = 0\n```\n\n"
                                "```question\nid = first\nask = Which is one?\nanswer = 1\n```\n\n"
                                "```question\nask = What is the rank of this matrix, "
                                "exactly, now?\nanswer = 2\n```\n\n"
                                "```question\nid = third\nask = Which is three?\nanswer = 3\n```\n";

static void test_edit_keeps_answers(void **state)
{
    Scratch *s = *state;
    Lesson a, b;
    parse_lesson(&a, lesson_v1);
    parse_lesson(&b, lesson_v2);
    Progress p;
    Status st;
    progress_init(&p);
    assert_int_equal(progress_record_answer(&p, "01-x", key_of(&a, 0), true, &st), LS_OK);
    assert_int_equal(progress_record_answer(&p, "01-x", key_of(&a, 1), false, &st), LS_OK);
    assert_int_equal(progress_record_answer(&p, "01-x", key_of(&a, 2), true, &st), LS_OK);
    assert_int_equal(progress_save(&p, s->file, &st), LS_OK);
    progress_free(&p);
    assert_int_equal(progress_load(&p, s->file, &st), LS_OK);
    assert_int_equal(progress_migrate(&p, &b, &st), LS_OK); /* nothing to migrate */
    /* Each unchanged question keeps its answer; the new one has none. */
    assert_int_equal(progress_answer(&p, "01-x", key_of(&b, 0)), ANSWER_NONE);
    assert_int_equal(progress_answer(&p, "01-x", key_of(&b, 1)), ANSWER_RIGHT);
    assert_int_equal(progress_answer(&p, "01-x", key_of(&b, 2)), ANSWER_WRONG);
    assert_int_equal(progress_answer(&p, "01-x", key_of(&b, 3)), ANSWER_RIGHT);
    assert_string_equal(key_of(&b, 2), "what-is-the-rank-of-this");
    int answered, right;
    progress_count(&p, "01-x", &answered, &right);
    assert_int_equal(answered, 3);
    assert_int_equal(right, 2);
    progress_free(&p);
    lesson_free(&a);
    lesson_free(&b);
}

static void test_version1_migrates(void **state)
{
    Scratch *s = *state;
    make_dirs_for(s);
    /* Saved by position against lesson_v1: 0 right, 1 wrong, 2 right; and
     * an answer to a question (position 7) that no longer exists. */
    static const char v1[] = "{\"version\": 1, \"current\": \"01-x\", \"lessons\": {\"01-x\": "
                             "{\"page\": 0, \"answers\": {\"0\": true, \"1\": false, \"2\": true, "
                             "\"7\": true}}}}";
    write_file(s->file, v1, sizeof v1 - 1);

    /* (a) The lesson is unchanged and has no "was": positions map as they were. */
    Lesson a;
    parse_lesson(&a, lesson_v1);
    Progress p;
    Status st;
    progress_init(&p);
    assert_int_equal(progress_load(&p, s->file, &st), LS_OK);
    int answered = -1, right = -1;
    progress_count(&p, "01-x", &answered, &right); /* legacy answers do not count yet */
    assert_int_equal(answered, 0);
    assert_int_equal(progress_migrate(&p, &a, &st), LS_OK);
    assert_int_equal(progress_answer(&p, "01-x", key_of(&a, 0)), ANSWER_RIGHT);
    assert_int_equal(progress_answer(&p, "01-x", key_of(&a, 1)), ANSWER_WRONG);
    assert_int_equal(progress_answer(&p, "01-x", key_of(&a, 2)), ANSWER_RIGHT);
    progress_count(&p, "01-x", &answered, &right);
    assert_int_equal(answered, 3);
    assert_int_equal(right, 2);
    assert_int_equal(progress_answer(&p, "01-x", "#7"), ANSWER_NONE); /* dropped */
    /* Saved again, the file is version 2 and keeps the answers. */
    assert_int_equal(progress_save(&p, s->file, &st), LS_OK);
    progress_free(&p);
    assert_int_equal(progress_load(&p, s->file, &st), LS_OK);
    assert_int_equal(progress_answer(&p, "01-x", key_of(&a, 2)), ANSWER_RIGHT);
    progress_free(&p);
    lesson_free(&a);

    /* (b) The lesson was edited when ids came: a question inserted first,
     * the old ones say where they were with "was". */
    static const char edited[] = "# X\n\n## P\n\n"
                                 "```question\nid = new\nask = New?\nanswer = 0\n```\n\n"
                                 "```question\nid = first\nwas = 1\nask = One?\nanswer = 1\n```\n\n"
                                 "```question\nid = two\nwas = 2\nask = Two?\nanswer = 2\n```\n\n"
                                 "```question\nid = third\nwas = 3\nask = Three?\nanswer = 3\n```\n";
    Lesson b;
    parse_lesson(&b, edited);
    write_file(s->file, v1, sizeof v1 - 1);
    assert_int_equal(progress_load(&p, s->file, &st), LS_OK);
    /* A new answer given before the migration wins over the legacy one. */
    assert_int_equal(progress_record_answer(&p, "01-x", "third", false, &st), LS_OK);
    assert_int_equal(progress_migrate(&p, &b, &st), LS_OK);
    assert_int_equal(progress_answer(&p, "01-x", "new"), ANSWER_NONE);
    assert_int_equal(progress_answer(&p, "01-x", "first"), ANSWER_RIGHT);
    assert_int_equal(progress_answer(&p, "01-x", "two"), ANSWER_WRONG);
    assert_int_equal(progress_answer(&p, "01-x", "third"), ANSWER_WRONG);
    /* Migrating twice changes nothing. */
    assert_int_equal(progress_migrate(&p, &b, &st), LS_OK);
    assert_int_equal(progress_answer(&p, "01-x", "first"), ANSWER_RIGHT);
    progress_free(&p);
    lesson_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_default_path_follows_xdg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_right_stays_right, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file_is_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_files_set_aside, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_version_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_folder_is_a_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clear, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edit_keeps_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version1_migrates, setup, teardown),
    };
    return cmocka_run_group_tests_name("progress", tests, NULL, NULL);
}
