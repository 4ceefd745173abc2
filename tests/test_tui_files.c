/* test_tui_files.c — a progress file the program cannot use, on screen.
 *
 * A damaged file is kept beside the new one and the student is told where,
 * in full: the whole path appears in the notice, wrapped inside the box at
 * 80x24, never cut at the terminal's edge. A file from a newer lorascope is
 * left byte for byte as it was, and the session says it is not saved.
 * And a lesson that names a file outside its folder: refused on screen with
 * file:line. */
#include <ctype.h>
#include <dirent.h>

#include "tui_harness.h"

/* The text inside the notice box, its lines joined without the frame (a
 * wrapped path joins back whole). */
static char *box_text(const char *screen)
{
    size_t n = strlen(screen);
    char *out = malloc(n + 1);
    size_t k = 0;
    for (const char *line = screen; *line;) {
        const char *end = strchr(line, '\n');
        if (!end) end = line + strlen(line);
        const char *l = strstr(line, "│ ");
        if (l && l < end) {
            l += strlen("│ ");
            const char *r = end;
            /* up to the right frame, then drop the padding before it */
            for (const char *q = l; q < end; q++)
                if (strncmp(q, " │", strlen(" │")) == 0) r = q;
            while (r > l && r[-1] == ' ') r--;
            memcpy(out + k, l, (size_t)(r - l));
            k += (size_t)(r - l);
        }
        line = *end ? end + 1 : end;
    }
    out[k] = 0;
    return out;
}

/* The one name in dir starting with prefix (static buffer), or NULL. */
static const char *find_name(const char *dir, const char *prefix)
{
    static char found[512];
    DIR *d = opendir(dir);
    if (!d) return NULL;
    struct dirent *e;
    const char *r = NULL;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
            snprintf(found, sizeof found, "%s", e->d_name);
            r = found;
        }
    closedir(d);
    return r;
}

#define LONG_STATE "a-rather-long-folder-name-for-the-state-of-one-student/and-one-level-more"

static void test_damaged_progress_kept_and_named(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start_env(&t,
              "export XDG_STATE_HOME=\"$XDG_STATE_HOME/" LONG_STATE "\"; "
              "mkdir -p \"$XDG_STATE_HOME/lorascope\"; "
              "printf '{\"version\": 1, \"lessons\": {\"01-rank\": {\"page\": 3, \"answers\": "
              "{\"0\": tr' > \"$XDG_STATE_HOME/lorascope/progress.json\"",
              "", 80, 24);
    char *s = wait_for(&t, "Press any key", 5000);
    assert_non_null(s);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/" LONG_STATE "/lorascope", t.state);
    const char *kept = find_name(dir, "progress.json.unreadable-");
    assert_non_null(kept);
    char full[2048];
    snprintf(full, sizeof full, "%s/%s", dir, kept);
    assert_true(strlen(full) > 80); /* longer than the screen is wide */
    char *text = box_text(s);
    if (!strstr(text, full)) print_message("'%s' not in the notice:\n%s\n", full, s);
    assert_non_null(strstr(text, full));
    assert_non_null(strstr(text, "not valid JSON"));
    free(text);
    free(s);
    /* The damaged bytes are all there, under the new name. */
    char *back = sh_out("cat '%s'", full);
    assert_non_null(strstr(back, "\"page\": 3, \"answers\": {\"0\": tr"));
    free(back);
    /* A key goes on; the new progress is saved beside the kept file. */
    keys(&t, "Space");
    expect_text(&t, "Enter open", 3000);
    keys(&t, "Enter");
    expect_text(&t, "page 1/", 3000);
    keys(&t, "q");
    check_exit(&t, "0");
    char *prog = sh_out("cat '%s/progress.json'", dir);
    assert_non_null(strstr(prog, "\"version\""));
    free(prog);
    assert_non_null(find_name(dir, "progress.json.unreadable-"));
    stop(&t);
}

static void test_newer_progress_never_downgraded(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    static const char newer[] = "{\"version\": 3, \"lessons\": {\"01-rank\": {\"page\": 2}}}";
    start_env(&t,
              "mkdir -p \"$XDG_STATE_HOME/lorascope\"; "
              "printf '{\"version\": 3, \"lessons\": {\"01-rank\": {\"page\": 2}}}' "
              "> \"$XDG_STATE_HOME/lorascope/progress.json\"",
              "", 80, 24);
    char *s = wait_for(&t, "Press any key", 5000);
    assert_non_null(s);
    char *text = box_text(s);
    assert_non_null(strstr(text, "newer lorascope"));
    assert_non_null(strstr(text, "this session is not saved"));
    free(text);
    free(s);
    keys(&t, "Space");
    expect_text(&t, "Enter open", 3000);
    keys(&t, "Enter");
    expect_text(&t, "progress not saved", 3000);
    keys(&t, "n");
    expect_text(&t, "page 2/", 3000);
    keys(&t, "q");
    check_exit(&t, "0");
    char *prog = sh_out("cat '%s/lorascope/progress.json'", t.state);
    assert_string_equal(prog, newer);
    free(prog);
    stop(&t);
}

/* A lesson naming a file outside its folder: the interface refuses the
 * demo and says where, file:line, and never shows the file. */
static void test_lesson_path_outside_refused(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    start_env(&t,
              "mkdir -p \"$XDG_STATE_HOME/les\" && printf 'SECRET-1 2\\n' > "
              "\"$XDG_STATE_HOME/secret.csv\" && printf '# Bad\\n\\n## One\\n\\nText.\\n\\n"
              "```demo matrix\\nmatrix = ../secret.csv\\n```\\n' > \"$XDG_STATE_HOME/les/01-bad.md\"",
              "--lessons \"$XDG_STATE_HOME/les\"", 80, 24);
    expect_text(&t, "Lessons", 5000);
    keys(&t, "Enter");
    char *s = wait_for(&t, "01-bad.md:8:", 3000);
    assert_non_null(s);
    /* The message is wrapped: compare with the white space squeezed. */
    char *flat = strdup(s);
    size_t k = 0;
    for (size_t i = 0; s[i]; i++)
        if (!isspace((unsigned char)s[i]) || (k && flat[k - 1] != ' ')) flat[k++] = isspace((unsigned char)s[i]) ? ' ' : s[i];
    flat[k] = 0;
    if (!strstr(flat, "leads outside the lesson's folder")) print_message("%s", s);
    assert_non_null(strstr(flat, "leads outside the lesson's folder"));
    free(flat);
    assert_null(strstr(s, "SECRET"));
    free(s);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_damaged_progress_kept_and_named),
        cmocka_unit_test(test_newer_progress_never_downgraded),
        cmocka_unit_test(test_lesson_path_outside_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
