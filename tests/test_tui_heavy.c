/* test_tui_heavy.c — a lesson page with many heavy demos (issue 13): 2,000
 * spectrum demos of size 512 on one page pass lint, and opening the page
 * used to start them all before drawing anything (minutes), with q and
 * Ctrl-C unanswered. The page now starts its demos a few at a time between
 * key polls: the first demo shows at once, and q and Ctrl-C answer while the
 * rest are still starting. */
#include "tui_harness.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/lorascope-heavy-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/01-heavy.md", dir);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs("# Heavy\n\nA page that lint passes but that costs minutes to set up.\n\n", f);
    for (int i = 0; i < 2000; i++) fprintf(f, "```demo spectrum\nsize = 512\nseed = %d\n```\n\n", i + 1);
    return fclose(f);
}

static int teardown(void **state)
{
    (void)state;
    return sh("rm -rf '%s'", dir);
}

/* Open the page at w x h; the first demo must be drawn while the others
 * are still starting. */
static void open_heavy_page(Tui *t, int w, int h)
{
    char args[128];
    snprintf(args, sizeof args, "--lessons %s", dir);
    start(t, args, w, h);
    expect_text(t, "Heavy", 5000);
    keys(t, "Enter");
    expect_text(t, "live demo · spectrum", 5000);
}

static void test_q_answers(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    open_heavy_page(&t, 100, 30);
    keys(&t, "q");
    check_exit(&t, "0"); /* within 5 s: the rest would take minutes */
    stop(&t);
    open_heavy_page(&t, 80, 24);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
}

static void test_ctrl_c_answers(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    Tui t;
    open_heavy_page(&t, 100, 30);
    keys(&t, "C-c");
    check_exit(&t, "130");
    stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_q_answers),
        cmocka_unit_test(test_ctrl_c_answers),
    };
    return cmocka_run_group_tests_name("tui: a page of many heavy demos", tests, setup, teardown);
}
