/* subnormal.h — treat subnormal floats as zero inside the engine's passes,
 * and only there.
 *
 * Why: on many x86 CPUs (Intel in particular) an SSE/AVX operation whose
 * input or result is subnormal (|x| < 2^-126 ~ 1.18e-38, not 0) leaves the
 * fast path for a microcode assist costing ~100 cycles. Training at a high
 * learning rate drives activations into regions where GELU's derivative
 * (x ~ -10 and below) and many softmax probabilities underflow into that
 * range; the backward products then carry them through every sgemm, and a
 * step became 19x slower (issue 14: LoRA r=64 on all targets, rsLoRA, lr
 * 3e-2). Such values are 0 for anything a gradient step can resolve.
 *
 * The cure is the CPU's own: FTZ (results that would be subnormal become 0)
 * and DAZ (subnormal inputs read as 0), bits 15 and 6 of MXCSR on x86-64,
 * FZ (bit 24 of FPCR) on arm64. They are per-thread state, so they are set
 * at the entry of gpt_forward, gpt_backward and the optimizer and restored
 * on the way out: the rest of the process (the precision lessons, `lorascope
 * float`) keeps IEEE subnormals. Other threads must be told: OpenBLAS's
 * workers keep their own MXCSR unless it is built with CONSISTENT_FPCSR
 * (Debian's 0.3.21 is not: a two-thread product kept half its subnormals,
 * see tests/test_subnormal.c), so inside the passes
 * OpenBLAS runs single-threaded and the engine's own threads (pool.h) load
 * the caller's control word for every job. The tests check every pass and
 * thread.
 *
 * Elsewhere (or under valgrind, which ignores these bits) the calls change
 * nothing and the engine computes with IEEE subnormals, only slower. */
#ifndef LS_SUBNORMAL_H
#define LS_SUBNORMAL_H

#if defined(__x86_64__) && defined(__SSE2__)
#include <xmmintrin.h>
#define LS_SUBNORMAL_BITS 0x8040u /* FTZ (bit 15) | DAZ (bit 6) */
#elif defined(__aarch64__)
#define LS_SUBNORMAL_BITS (1ull << 24) /* FPCR.FZ */
#endif

/* The floating-point control word as it was before subnormal_flush_begin. */
typedef struct SubnormalMode {
    unsigned long long saved;
} SubnormalMode;

/* The current control word (MXCSR / FPCR; 0 where there is none). */
static inline unsigned long long subnormal_control_get(void)
{
#if defined(__x86_64__) && defined(__SSE2__)
    return _mm_getcsr();
#elif defined(__aarch64__)
    unsigned long long v;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(v));
    return v;
#else
    return 0;
#endif
}

static inline void subnormal_control_set(unsigned long long v)
{
#if defined(__x86_64__) && defined(__SSE2__)
    _mm_setcsr((unsigned)v);
#elif defined(__aarch64__)
    __asm__ __volatile__("msr fpcr, %0" : : "r"(v));
#else
    (void)v;
#endif
}

/* Flush subnormals to zero on this thread until subnormal_flush_end. Calls
 * nest: each end restores what its begin found. */
static inline SubnormalMode subnormal_flush_begin(void)
{
    SubnormalMode m = {subnormal_control_get()};
#ifdef LS_SUBNORMAL_BITS
    subnormal_control_set(m.saved | LS_SUBNORMAL_BITS);
#endif
    return m;
}

static inline void subnormal_flush_end(SubnormalMode m) { subnormal_control_set(m.saved); }

/* Whether this thread flushes subnormals now (false where unsupported). */
static inline int subnormal_flushing(void)
{
#ifdef LS_SUBNORMAL_BITS
    return (subnormal_control_get() & LS_SUBNORMAL_BITS) == LS_SUBNORMAL_BITS;
#else
    return 0;
#endif
}

#endif
