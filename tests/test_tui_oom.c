/* test_tui_oom.c — end to end, the real binary running out of memory.
 *
 * build/tests/liboom_preload.so (tests/oom_preload.c) is preloaded into
 * lorascope in tmux (tests/tui_harness.h) and makes allocations fail:
 *  - a demo whose numbers cannot get memory (its matrix, or LAPACK's
 *    workspace) says so in its pane, the rest of the lessons keep working,
 *    and q quits normally; the quantization demo and the lab, which
 *    cannot load the model, say why;
 *  - memory gone altogether (SIGUSR1 tells the library) while the lessons
 *    are open: the interface's own allocation fails, the program says it
 *    ran out of memory, exits with status 1 and leaves the terminal as it
 *    found it (modes, cursor, mouse, main screen) and the progress whole;
 *  - a library that calls exit() when it cannot allocate, as OpenBLAS
 *    does: its message is not lost on the page, and the terminal is
 *    restored all the same;
 *  - memory gone in the middle of training (where any of these can happen
 *    first): status 1, a message, the terminal restored.
 * A preloaded malloc cannot work under AddressSanitizer, so the SANITIZE=1
 * build skips these. */
#include "tui_harness.h"

#if defined(__SANITIZE_ADDRESS__)
#define LS_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LS_UNDER_ASAN 1
#endif
#endif

static bool skip_under_asan(void)
{
#ifdef LS_UNDER_ASAN
    print_message("skipped: the allocation-failure library cannot be preloaded into an "
                  "AddressSanitizer build (the plain `make test` runs these)\n");
    return true;
#else
    return false;
#endif
}

/* The preload library, built next to this program by the Makefile. */
static void preload_path(char *out, size_t size)
{
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    assert_non_null(slash);
    *slash = '\0';
    snprintf(out, size, "%s/liboom_preload.so", exe);
    struct stat sb;
    if (stat(out, &sb) != 0) fail_msg("%s is missing: build it with make", out);
}

static void start_oom(Tui *t, const char *settings, const char *args)
{
    char lib[1100], env[1400];
    preload_path(lib, sizeof lib);
    snprintf(env, sizeof env, "export LD_PRELOAD='%s' %s", lib, settings);
    start_env(t, env, args, 100, 30);
}

/* Beyond check_exit: mouse reports off and back on the main screen. */
static void check_screen_restored(const Tui *t)
{
    char *modes =
        sh_out("tmux -L %s display-message -p -t t "
               "'alt=#{alternate_on} mouse=#{mouse_any_flag}#{mouse_button_flag}' 2>/dev/null",
               t->sock);
    if (!strstr(modes, "alt=0 mouse=00")) print_message("terminal modes after exit: %s", modes);
    assert_non_null(strstr(modes, "alt=0 mouse=00"));
    free(modes);
}

/* The page number in the status bar's "page N/M", or 0. */
static int page_on(const char *screen)
{
    int page = 0, total;
    for (const char *p = strstr(screen, "page "); p; p = strstr(p + 1, "page "))
        if (sscanf(p, "page %d/%d", &page, &total) == 2) return page;
    return 0;
}

/* Tell the preloaded library that memory is gone from now on. */
static void exhaust_memory(const Tui *t)
{
    int pid = pid_of(t);
    assert_true(pid > 0);
    assert_int_equal(sh("kill -USR1 %d", pid), 0);
    sleep_ms(100);
}

/* The svd demo on a photograph cannot get memory for something above
 * `above` bytes: the demo says so in place (and nothing else scribbles on
 * the page), the program carries on and quits normally. */
static void demo_out_of_memory(const char *above)
{
    REQUIRE_TMUX();
    Tui t;
    char settings[64];
    snprintf(settings, sizeof settings, "LS_OOM_ABOVE=%s", above);
    start_oom(&t, settings, "");
    expect_text(&t, "Lessons", 5000);
    keys(&t, "j Enter");
    expect_text(&t, "The SVD", 3000);
    assert_true(goto_svd_demo(&t));
    char *s = wait_for(&t, "This demo cannot run", 3000);
    assert_non_null(s);
    const char *line = strstr(s, "This demo cannot run");
    if (!strstr(line, "out of memory")) print_message("the demo's message:\n%s\n", s);
    assert_non_null(strstr(line, "out of memory"));
    int page_index = page_on(s) - 1;
    assert_true(page_index >= 0);
    free(s);
    /* Still responsive: the next page, and back. */
    keys(&t, "n");
    char next[32];
    snprintf(next, sizeof next, "page %d/", page_index + 2);
    expect_text(&t, next, 3000);
    keys(&t, "p");
    expect_text(&t, "This demo cannot run", 3000);
    keys(&t, "q");
    check_exit(&t, "0");
    check_screen_restored(&t);
    /* LAPACKE reports a failed allocation by printing; none of that. */
    s = capture(&t);
    assert_null(strstr(s, "LAPACKE"));
    free(s);
    check_progress_intact(&t, "02-svd", page_index);
    stop(&t);
}

/* The photograph as a 256×256 float matrix (256 KiB) cannot be had. The
 * screen model at 100×30 never asks for more than about 110 kB at once. */
static void test_demo_matrix_out_of_memory(void **state)
{
    (void)state;
    if (skip_under_asan()) skip();
    demo_out_of_memory("200000");
}

/* The matrices fit, but LAPACK's workspace for the SVD (about 1 MB)
 * does not: LAPACKE's own allocation fails inside sgesdd. */
static void test_demo_lapack_out_of_memory(void **state)
{
    (void)state;
    if (skip_under_asan()) skip();
    demo_out_of_memory("300000");
}

/* Page forward through the open lesson until `text` is on screen;
 * returns the screen or NULL. */
static char *page_until(const Tui *t, const char *text, int max_pages)
{
    for (int i = 0; i < max_pages; i++) {
        char *s = capture(t);
        if (strstr(s, text)) return s;
        free(s);
        keys(t, "n");
        sleep_ms(150);
    }
    return wait_for(t, text, 1000);
}

/* Lesson 4's quantization demo on the real model, which cannot be loaded:
 * it falls back to Gaussian weights and says why — not "no model yet". */
static void test_quant_demo_says_model_not_loaded(void **state)
{
    (void)state;
    if (skip_under_asan()) skip();
    REQUIRE_TMUX();
    Tui t;
    start_oom(&t, "LS_OOM_ABOVE=1000000", "");
    expect_text(&t, "Lessons", 5000);
    keys(&t, "j j j Enter");
    expect_text(&t, "Quantization", 3000);
    char *s = page_until(&t, "showing Gaussian weights instead", 10);
    assert_non_null(s);
    if (!strstr(s, "model not loaded (out of memory)")) print_message("the demo's note:\n%s\n", s);
    assert_non_null(strstr(s, "model not loaded (out of memory)"));
    assert_null(strstr(s, "no model in"));
    free(s);
    keys(&t, "q");
    check_exit(&t, "0");
    stop(&t);
}

/* Open page `page` (1-based) of the test lab lesson and start its lab. */
static void start_test_lab(const Tui *t, int page)
{
    expect_text(t, "Lessons", 5000);
    keys(t, "Enter");
    expect_text(t, "page 1/", 3000);
    for (int p = 1; p < page; p++)
        keys(t, "n");
    char want[32];
    snprintf(want, sizeof want, "page %d/", page);
    expect_text(t, want, 3000);
    keys(t, "Tab");
    expect_text(t, "Enter starts the lab", 3000);
    keys(t, "Enter");
}

/* The base model (3.3 MB) cannot be loaded: the lab says so, whole (the
 * reason comes after a long path and must not be cut at the edge). */
static void test_lab_shows_out_of_memory(void **state)
{
    (void)state;
    if (skip_under_asan()) skip();
    REQUIRE_TMUX();
    Tui t;
    start_oom(&t, "LS_OOM_ABOVE=1000000", "--lessons tests/data/lessons/lab");
    start_test_lab(&t, 2);
    char *s = wait_for(&t, "The lab could not run", 10000);
    assert_non_null(s);
    /* The message wraps where the path's length puts it (the checkout's
     * folder is in it): read it as one line. */
    char *msg = strstr(s, "The lab could not run");
    char *w = msg;
    for (const char *r = msg; *r; r++) {
        if (*r == '\n') {
            while (r[1] == ' ') r++;
            *w++ = ' ';
        } else {
            *w++ = *r;
        }
    }
    *w = 0;
    if (!strstr(msg, "out of memory")) print_message("the lab's message:\n%s\n", msg);
    assert_non_null(strstr(msg, "out of memory"));
    free(s);
    keys(&t, "q");
    check_exit(&t, "0");
    check_screen_restored(&t);
    stop(&t);
}

/* Opens lesson 2 on page 2 with `settings`, makes every allocation fail
 * from now on, presses the next-page key and returns the screen once the
 * program has ended. */
static char *fail_on_next_key(Tui *t, const char *settings)
{
    start_oom(t, settings, "");
    expect_text(t, "Lessons", 5000);
    keys(t, "j Enter");
    expect_text(t, "page 1/", 3000);
    keys(t, "n");
    expect_text(t, "page 2/", 3000);
    exhaust_memory(t);
    keys(t, "n");
    char *s = wait_for(t, "__DONE", 5000);
    assert_non_null(s);
    return s;
}

/* Memory runs out while a page is open; the next key needs the interface
 * to allocate: a clear message, status 1, the terminal restored. */
static void test_interface_out_of_memory(void **state)
{
    (void)state;
    if (skip_under_asan()) skip();
    REQUIRE_TMUX();
    Tui t;
    char *s = fail_on_next_key(&t, "LS_OOM_ON_USR1=1");
    if (!strstr(s, "lorascope: out of memory")) print_message("the screen after exit:\n%s\n", s);
    assert_non_null(strstr(s, "lorascope: out of memory: the interface could not get "));
    assert_non_null(strstr(s, "the terminal was restored"));
    free(s);
    check_exit(&t, "1");
    check_screen_restored(&t);
    /* The page turned to last could not be saved; the one before is whole. */
    check_progress_intact(&t, "02-svd", 1);
    stop(&t);
}

/* A library that calls exit() when it cannot allocate (OpenBLAS does):
 * its message, held back while the page was on screen, comes out after
 * the terminal is restored, followed by lorascope's own line. */
static void test_library_exits_out_of_memory(void **state)
{
    (void)state;
    if (skip_under_asan()) skip();
    REQUIRE_TMUX();
    Tui t;
    char *s = fail_on_next_key(&t, "LS_OOM_ON_USR1=1 LS_OOM_EXIT=1");
    const char *theirs = strstr(s, "oom_preload: malloc failed");
    const char *ours = strstr(s, "lorascope: a library ended the program");
    if (!theirs || !ours || theirs > ours) print_message("the screen after exit:\n%s\n", s);
    assert_non_null(theirs);
    assert_non_null(ours);
    assert_true(theirs < ours);
    assert_non_null(strstr(ours, "the terminal was restored"));
    free(s);
    check_exit(&t, "1");
    check_screen_restored(&t);
    check_progress_intact(&t, "02-svd", 1);
    stop(&t);
}

/* Memory runs out during training. Whoever fails first — the lab (a
 * status), the interface (vmem) or OpenBLAS (which calls exit) — the
 * program ends with status 1, says why, and restores the terminal. */
static void test_out_of_memory_while_training(void **state)
{
    (void)state;
    if (skip_under_asan()) skip();
    REQUIRE_TMUX();
    Tui t;
    /* The long lab: still training when memory goes. */
    start_oom(&t, "LS_OOM_ON_USR1=1", "--lessons tests/data/lessons/lab");
    start_test_lab(&t, 3);
    expect_text(&t, "training · step", 10000);
    exhaust_memory(&t);
    char *s = wait_for(&t, "__DONE", 10000);
    assert_non_null(s);
    bool named = strstr(s, "out of memory") || strstr(s, "malloc failed");
    if (!named || !strstr(s, "the terminal was restored"))
        print_message("the screen after exit:\n%s\n", s);
    assert_true(named);
    assert_non_null(strstr(s, "the terminal was restored"));
    free(s);
    check_exit(&t, "1");
    check_screen_restored(&t);
    check_progress_intact(&t, "07-lab", 2);
    stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_matrix_out_of_memory),
        cmocka_unit_test(test_demo_lapack_out_of_memory),
        cmocka_unit_test(test_quant_demo_says_model_not_loaded),
        cmocka_unit_test(test_lab_shows_out_of_memory),
        cmocka_unit_test(test_interface_out_of_memory),
        cmocka_unit_test(test_library_exits_out_of_memory),
        cmocka_unit_test(test_out_of_memory_while_training),
    };
    return cmocka_run_group_tests_name("tui_oom", tests, NULL, NULL);
}
