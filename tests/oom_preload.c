/* oom_preload.c — test code only: an LD_PRELOAD library that makes the
 * allocator fail on demand, so an end-to-end test can watch the real
 * binary run out of memory (test_tui_oom.c).
 *
 *   LS_OOM_ABOVE=N   every request of N bytes or more fails (ENOMEM);
 *                    small ones (the screen model, curses) still succeed.
 *   LS_OOM_ON_USR1=1 after the process receives SIGUSR1, every request
 *                    fails: memory is gone at a moment the test chooses,
 *                    independent of how many allocations curses, OpenBLAS
 *                    or glibc happen to make before it.
 *   LS_OOM_EXIT=1    the first refused request prints a line to stderr and
 *                    calls exit(1) instead of returning NULL — what OpenBLAS
 *                    does when it cannot allocate; later ones return NULL.
 *
 * It forwards to glibc's own entry points (__libc_malloc …) rather than
 * looking the next malloc up with dlsym, which itself allocates. free is
 * not replaced: the memory still comes from glibc's allocator. OpenBLAS
 * takes its big buffers with mmap, so it starts whatever the limits. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void *__libc_memalign(size_t align, size_t size);

static size_t fail_above = SIZE_MAX;    /* LS_OOM_ABOVE */
static int exit_on_refusal;             /* LS_OOM_EXIT */
static int exited;                      /* exit already called */
static volatile sig_atomic_t exhausted; /* SIGUSR1 seen */
static volatile sig_atomic_t configured;

static void on_usr1(int sig)
{
    (void)sig;
    exhausted = 1;
}

/* Read the settings once. getenv does not allocate, so this is safe from
 * inside malloc; a race between threads only repeats the same work. */
static void configure(void)
{
    if (configured) return;
    const char *above = getenv("LS_OOM_ABOVE");
    if (above && *above) fail_above = (size_t)strtoull(above, NULL, 10);
    const char *exit_env = getenv("LS_OOM_EXIT");
    exit_on_refusal = exit_env && strcmp(exit_env, "1") == 0;
    configured = 1;
}

__attribute__((constructor)) static void install(void)
{
    configure();
    const char *on_usr1_env = getenv("LS_OOM_ON_USR1");
    if (on_usr1_env && strcmp(on_usr1_env, "1") == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, NULL);
    }
}

static int refuse(size_t size)
{
    configure();
    if (!exhausted && size < fail_above) return 0;
    /* Once only: exit runs atexit handlers, which may allocate too. */
    if (exit_on_refusal && !__atomic_exchange_n(&exited, 1, __ATOMIC_SEQ_CST)) {
        fputs("oom_preload: malloc failed; exiting as OpenBLAS does\n", stderr);
        exit(1);
    }
    errno = ENOMEM;
    return 1;
}

void *malloc(size_t size)
{
    return refuse(size) ? NULL : __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    size_t total = size && n > SIZE_MAX / size ? SIZE_MAX : n * size;
    return refuse(total) ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    /* realloc(p, 0) frees: that must keep working. */
    if (size && refuse(size)) return NULL;
    return __libc_realloc(p, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
    if (align < sizeof(void *) || (align & (align - 1))) return EINVAL;
    if (refuse(size)) return ENOMEM;
    void *p = __libc_memalign(align, size);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t align, size_t size)
{
    return refuse(size) ? NULL : __libc_memalign(align, size);
}

void *memalign(size_t align, size_t size)
{
    return refuse(size) ? NULL : __libc_memalign(align, size);
}
