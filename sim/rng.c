/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * rng.c - MRG32k3a as a GSL generator, positioned on disjoint substreams.
 *
 * The generator is the combined multiple recursive generator of L'Ecuyer
 * (Operations Research 47(1), 1999):
 *   x1[n] = (1403580 x1[n-2] - 810728 x1[n-3]) mod m1,  m1 = 2^32 - 209
 *   x2[n] = (527612 x2[n-1] - 1370589 x2[n-3]) mod m2,  m2 = 2^32 - 22853
 *   z[n]  = (x1[n] - x2[n]) mod m1
 * with the state arranged as in RngStreams (L'Ecuyer, Simard, Chen, Kelton,
 * Operations Research 50(6), 2002): s1 = (x1[n-3], x1[n-2], x1[n-1]) and
 * likewise s2, so one step is s' = A s for the companion matrices below.
 *
 * Substreams: gsl_rng_set(r, k) puts r at (A^(2^127))^k applied to the
 * standard seed (12345 x 6), i.e. at the start of RngStreams' k-th stream
 * (k = 0 is the default stream). Streams are 2^127 steps apart; the period
 * is about 2^191, so 2^64 streams never overlap. The jump (A^(2^127))^k is
 * the product of the tabled powers A^(2^127 * 2^i) of the bits i of k
 * (rng_jump.h, made from the published A^(2^127) matrices, which
 * tests/test_rng.c recomputes by 127 squarings of A).
 *
 * Arithmetic is exact: every value is below 2^32, so a product fits in
 * uint64 and is reduced at once; the step uses int64 with values below
 * 2^53. RngStreams itself uses doubles for the same exact arithmetic.
 */
#include "sim/rng.h"
#include "sim/rng_jump.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RNG_M1 UINT64_C(4294967087)
#define RNG_M2 UINT64_C(4294944443)
#define RNG_A12 INT64_C(1403580)
#define RNG_A13N INT64_C(810728)
#define RNG_A21 INT64_C(527612)
#define RNG_A23N INT64_C(1370589)
#define RNG_SEED UINT64_C(12345)

typedef struct rng_state {
    int64_t s1[3];   /* x1[n-3], x1[n-2], x1[n-1], each in [0, m1) */
    int64_t s2[3];   /* x2[n-3], x2[n-2], x2[n-1], each in [0, m2) */
} rng_state_t;

/* The matrix-vector product below is inline so that m is a constant where
 * it is used and % compiles to multiplies. */

/* v = a * v mod m. */
static inline void rng_mat_vec(const uint64_t a[3][3], uint64_t v[3], uint64_t m)
{
    uint64_t t[3];
    for (int i = 0; i < 3; i++) {
        uint64_t acc = 0;
        for (int k = 0; k < 3; k++)
            acc += (a[i][k] * v[k]) % m;
        t[i] = acc % m;
    }
    memcpy(v, t, sizeof t);
}

/* v = (A^(2^127))^k v mod m, pow[i] being A^(2^127 * 2^i) (rng_jump.h):
 * one product per set bit of k. */
static inline void rng_jump(const uint64_t (*pow)[3][3], uint64_t k, uint64_t v[3], uint64_t m)
{
    for (int i = 0; k != 0; i++, k >>= 1)
        if (k & 1u)
            rng_mat_vec(pow[i], v, m);
}

static void rng_set(void *vstate, unsigned long substream)
{
    rng_state_t *st = vstate;
    uint64_t v1[3] = { RNG_SEED, RNG_SEED, RNG_SEED };
    uint64_t v2[3] = { RNG_SEED, RNG_SEED, RNG_SEED };
    rng_jump(rng_a1p127_pow, (uint64_t)substream, v1, RNG_M1);
    rng_jump(rng_a2p127_pow, (uint64_t)substream, v2, RNG_M2);
    for (int i = 0; i < 3; i++) {
        st->s1[i] = (int64_t)v1[i];
        st->s2[i] = (int64_t)v2[i];
    }
}

/* One step; returns z in [0, m1 - 1] (signed, so that the conversion to
 * double is a single instruction). Products are below 1.4e6 * 2^32 <
 * 2^53, so int64 holds them and % reduces exactly (C11 truncates toward
 * zero, hence the fix-up of negative remainders). */
static inline int64_t rng_step(rng_state_t *st)
{
    int64_t p1 = (RNG_A12 * st->s1[1] - RNG_A13N * st->s1[0]) % (int64_t)RNG_M1;
    if (p1 < 0)
        p1 += (int64_t)RNG_M1;
    st->s1[0] = st->s1[1];
    st->s1[1] = st->s1[2];
    st->s1[2] = p1;

    int64_t p2 = (RNG_A21 * st->s2[2] - RNG_A23N * st->s2[0]) % (int64_t)RNG_M2;
    if (p2 < 0)
        p2 += (int64_t)RNG_M2;
    st->s2[0] = st->s2[1];
    st->s2[1] = st->s2[2];
    st->s2[2] = p2;

    /* Written without a branch: the sign of z is a coin toss, and a
     * mispredicted branch here doubled the cost of a draw. */
    int64_t z = p1 - p2;
    z += (int64_t)RNG_M1 & -(int64_t)(z < 0);
    return z;
}

static unsigned long rng_get(void *vstate)
{
    return (unsigned long)rng_step(vstate);
}

static double rng_get_double(void *vstate)
{
    return (double)rng_step(vstate) / (double)RNG_M1;
}

static const gsl_rng_type rng_mrg32k3a_type = {
    "mrg32k3a",
    4294967086UL,           /* m1 - 1 */
    0UL,
    sizeof(rng_state_t),
    rng_set,
    rng_get,
    rng_get_double,
};

const gsl_rng_type *rng_mrg32k3a = &rng_mrg32k3a_type;

/*
 * The stream index is FNV-1a (64 bit) over the 8 bytes of seed
 * (little-endian), the 8 bytes of run (little-endian) and the bytes of name
 * without its NUL, followed by the splitmix64 finaliser. Seed and run have
 * fixed widths and the name comes last, so distinct triples hash distinct
 * byte strings; the finaliser spreads FNV's weak high bits over all 64.
 * The byte order is fixed so that the index does not depend on the host.
 */
static uint64_t rng_fnv_u64(uint64_t h, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        h ^= (v >> (8 * i)) & 0xffu;
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

uint64_t rng_stream_index(uint64_t seed, uint64_t run, const char *name)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    h = rng_fnv_u64(h, seed);
    h = rng_fnv_u64(h, run);
    for (const unsigned char *p = (const unsigned char *)(name ? name : ""); *p; p++) {
        h ^= *p;
        h *= UINT64_C(0x100000001b3);
    }
    h ^= h >> 30;
    h *= UINT64_C(0xbf58476d1ce4e5b9);
    h ^= h >> 27;
    h *= UINT64_C(0x94d049bb133111eb);
    h ^= h >> 31;
    return h;
}

/* Allocated by hand rather than with gsl_rng_alloc: on out-of-memory GSL
 * calls its error handler, whose default aborts the process, and library
 * code must return NULL instead. The layout is GSL's public gsl_rng struct
 * and rng_stream_free (or gsl_rng_free) releases it with free(), as
 * gsl_rng_alloc's would be. */
gsl_rng *rng_stream_create(uint64_t seed, uint64_t run, const char *name)
{
    gsl_rng *r = malloc(sizeof *r);
    if (r == NULL)
        goto fail;
    r->type = rng_mrg32k3a;
    r->state = calloc(1, rng_mrg32k3a->size);
    if (r->state == NULL)
        goto fail;
    gsl_rng_set(r, (unsigned long)rng_stream_index(seed, run, name));
    return r;
fail:
    free(r);
    return NULL;
}

void rng_stream_free(gsl_rng *r)
{
    if (r == NULL)
        return;
    free(r->state);
    free(r);
}
