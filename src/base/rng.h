/* rng.h — a small seeded random generator (xoshiro128** seeded by splitmix64).
 *
 * Every random number in lorascope comes from an Rng with an explicit seed, so
 * the same seed gives the same numbers on every machine. */
#ifndef LS_RNG_H
#define LS_RNG_H

#include <stdint.h>

typedef struct Rng {
    uint32_t s[4];
} Rng;

void rng_seed(Rng *r, uint64_t seed);
uint32_t rng_u32(Rng *r);
/* Uniform in [0, 1). */
float rng_uniform(Rng *r);
/* Uniform integer in [0, n) (n > 0). */
uint32_t rng_below(Rng *r, uint32_t n);
/* Standard normal (Box–Muller). */
float rng_normal(Rng *r);

#endif
