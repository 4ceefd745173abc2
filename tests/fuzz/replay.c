/* replay.c — run a fuzz harness over saved inputs, as a cmocka test.
 *
 * Linked with one tests/fuzz/fuzz_NAME.c (which defines
 * LLVMFuzzerTestOneInput) into build/fuzz/replay_NAME. It feeds every file in
 * tests/fuzz/corpus/NAME/ (seeds) and tests/fuzz/regressions/NAME/ (every
 * crash or hang `make fuzz` ever found) to the harness. Under `make test
 * SANITIZE=1` memory errors abort the run, which tests/run.sh counts as a
 * failure; a regression input that crashes again fails the suite. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#ifndef FUZZ_NAME
#error "build with -DFUZZ_NAME=\"name\""
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        rewind(f);
        /* Copy into an exactly-sized buffer so overreads are visible to ASan. */
        uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
        size_t got = n > 0 ? fread(buf, 1, (size_t)n, f) : 0;
        fclose(f);
        LLVMFuzzerTestOneInput(buf, got);
        free(buf);
        count++;
    }
    closedir(d);
    return count;
}

static void test_replay_corpus(void **state)
{
    (void)state;
    int n = replay_dir("tests/fuzz/corpus/" FUZZ_NAME);
    if (n == 0) fail_msg("no seed inputs in tests/fuzz/corpus/%s (run from the repo root)", FUZZ_NAME);
    print_message("replayed %d seed inputs\n", n);
}

static void test_replay_regressions(void **state)
{
    (void)state;
    int n = replay_dir("tests/fuzz/regressions/" FUZZ_NAME);
    print_message("replayed %d regression inputs\n", n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_corpus),
        cmocka_unit_test(test_replay_regressions),
    };
    return cmocka_run_group_tests_name("fuzz replay " FUZZ_NAME, tests, NULL, NULL);
}
