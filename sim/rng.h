/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * rng.h - independent, reproducible random streams.
 *
 * Every stochastic process owns a stream derived from (seed, run, name), so
 * adding or removing one process never changes another's draws (common
 * random numbers between policy variants).
 *
 * The generator is L'Ecuyer's MRG32k3a (period about 2^191), exposed as a
 * GSL generator type so that every GSL distribution (gsl_ran_*) draws from
 * it. Streams are disjoint substreams of one sequence, spaced 2^127 draws
 * apart (L'Ecuyer, Simard, Chen, Kelton 2002): stream k starts at
 * A^(k * 2^127) applied to the standard seed (12345 x 6). The index k is a
 * 64-bit hash of (seed, run, name). Distinct triples collide only when their
 * 64-bit hashes collide (probability about n^2 / 2^65 for n streams), and
 * the streams never overlap within 2^127 draws each. GSL's own 32-bit seeds
 * are never used, and the environment (gsl_rng_env_setup) is never read.
 */
#ifndef QKM_SIM_RNG_H
#define QKM_SIM_RNG_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

/* GSL generator type for MRG32k3a. gsl_rng_get returns integers in
 * [0, 4294967086]; gsl_rng_uniform returns doubles in [0, 1).
 * gsl_rng_set(r, s) positions r at the start of substream s (any s, 64 bit
 * values truncated to unsigned long). */
extern const gsl_rng_type *rng_mrg32k3a;

/* The substream index of (seed, run, name); name is a NUL-terminated string
 * such as "link/AB/fluctuation". */
uint64_t rng_stream_index(uint64_t seed, uint64_t run, const char *name);

/* A new generator positioned at the start of the stream of (seed, run,
 * name). The caller frees it with rng_stream_free (gsl_rng_free would do
 * the same, but from inside GSL, where an allocation-failure test that
 * tracks our own blocks cannot see it). NULL when out of memory. */
gsl_rng *rng_stream_create(uint64_t seed, uint64_t run, const char *name);

/* Frees a generator made by rng_stream_create; accepts NULL. */
void rng_stream_free(gsl_rng *r);

#endif
