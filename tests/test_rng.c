/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_rng.c - MRG32k3a substreams and stream derivation (sim/rng.h).
 *
 * The reference values come from outside the code under test: the MRG32k3a
 * recurrence as published (L'Ecuyer 1999), evaluated here by a separate
 * naive implementation; the first two outputs of RngStreams' default stream
 * as published; and the jump matrices A1p127, A2p127 (and A1p76, A2p76) of
 * RngStream.c, which this file also recomputes by repeated squaring.
 */
#include <CUnit/Basic.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "sim/rng.h"

#define M1 UINT64_C(4294967087)
#define M2 UINT64_C(4294944443)

typedef uint64_t mat_t[3][3];

static const mat_t A1 = { { 0, 1, 0 }, { 0, 0, 1 }, { M1 - 810728, 1403580, 0 } };
static const mat_t A2 = { { 0, 1, 0 }, { 0, 0, 1 }, { M2 - 1370589, 0, 527612 } };

/* Published with RngStreams (RngStream.c). */
static const mat_t A1P127 = { { 2427906178u, 3580155704u, 949770784u },
                              { 226153695u, 1230515664u, 3580155704u },
                              { 1988835001u, 986791581u, 1230515664u } };
static const mat_t A2P127 = { { 1464411153u, 277697599u, 1610723613u },
                              { 32183930u, 1464411153u, 1022607788u },
                              { 2824425944u, 32183930u, 2093834863u } };
static const mat_t A1P76 = { { 82758667u, 1871391091u, 4127413238u },
                             { 3672831523u, 69195019u, 1871391091u },
                             { 3672091415u, 3528743235u, 69195019u } };
static const mat_t A2P76 = { { 1511326704u, 3759209742u, 1610795712u },
                             { 4292754251u, 1511326704u, 3889917532u },
                             { 3859662829u, 4292754251u, 3708466080u } };

/* ------------------------------------------------ independent reference */

/* (a * b) mod m for a, b < 2^32, by double-and-add so that it shares no
 * arithmetic shortcut with the code under test. */
static uint64_t ref_mulmod(uint64_t a, uint64_t b, uint64_t m)
{
    uint64_t r = 0;
    a %= m;
    while (b != 0) {
        if (b & 1u)
            r = (r + a) % m;
        a = (a + a) % m;
        b >>= 1;
    }
    return r;
}

static void ref_matmul(mat_t out, const mat_t a, const mat_t b, uint64_t m)
{
    mat_t t;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            uint64_t acc = 0;
            for (int k = 0; k < 3; k++)
                acc = (acc + ref_mulmod(a[i][k], b[k][j], m)) % m;
            t[i][j] = acc;
        }
    memcpy(out, t, sizeof t);
}

static void ref_matvec(const mat_t a, uint64_t v[3], uint64_t m)
{
    uint64_t t[3];
    for (int i = 0; i < 3; i++) {
        uint64_t acc = 0;
        for (int k = 0; k < 3; k++)
            acc = (acc + ref_mulmod(a[i][k], v[k], m)) % m;
        t[i] = acc;
    }
    memcpy(v, t, sizeof t);
}

/* out = a^e mod m by square-and-multiply, most significant bit first
 * (the code under test goes least significant bit first). */
static void ref_matpow(mat_t out, const mat_t a, uint64_t e, uint64_t m)
{
    mat_t r = { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
    for (int bit = 63; bit >= 0; bit--) {
        ref_matmul(r, r, r, m);
        if ((e >> bit) & 1u)
            ref_matmul(r, r, a, m);
    }
    memcpy(out, r, sizeof r);
}

static void ref_square_n(mat_t out, const mat_t a, int n, uint64_t m)
{
    memcpy(out, a, sizeof(mat_t));
    for (int i = 0; i < n; i++)
        ref_matmul(out, out, out, m);
}

/* The recurrence exactly as published, on signed 64-bit integers. */
typedef struct ref_gen {
    int64_t x1[3], x2[3];   /* oldest first */
} ref_gen_t;

static void ref_init(ref_gen_t *g, const uint64_t s1[3], const uint64_t s2[3])
{
    for (int i = 0; i < 3; i++) {
        g->x1[i] = (int64_t)s1[i];
        g->x2[i] = (int64_t)s2[i];
    }
}

static uint64_t ref_next(ref_gen_t *g)
{
    int64_t p1 = 1403580 * g->x1[1] - 810728 * g->x1[0];
    p1 = ((p1 % (int64_t)M1) + (int64_t)M1) % (int64_t)M1;
    int64_t p2 = 527612 * g->x2[2] - 1370589 * g->x2[0];
    p2 = ((p2 % (int64_t)M2) + (int64_t)M2) % (int64_t)M2;
    g->x1[0] = g->x1[1]; g->x1[1] = g->x1[2]; g->x1[2] = p1;
    g->x2[0] = g->x2[1]; g->x2[1] = g->x2[2]; g->x2[2] = p2;
    return (uint64_t)(((p1 - p2) % (int64_t)M1 + (int64_t)M1) % (int64_t)M1);
}

static gsl_rng *new_rng(unsigned long substream)
{
    gsl_rng *r = gsl_rng_alloc(rng_mrg32k3a);
    CU_ASSERT_FATAL(r != NULL);
    gsl_rng_set(r, substream);
    return r;
}

/* Counts the first n outputs of r that differ from g's. */
static int count_mismatches(gsl_rng *r, ref_gen_t *g, int n)
{
    int bad = 0;
    for (int i = 0; i < n; i++)
        if (gsl_rng_get(r) != ref_next(g))
            bad++;
    return bad;
}

/* ------------------------------------------------ tests */

static void test_type(void)
{
    CU_ASSERT_STRING_EQUAL(rng_mrg32k3a->name, "mrg32k3a");
    CU_ASSERT_EQUAL(rng_mrg32k3a->max, 4294967086UL);
    CU_ASSERT_EQUAL(rng_mrg32k3a->min, 0UL);
    gsl_rng *r = new_rng(0);
    CU_ASSERT_STRING_EQUAL(gsl_rng_name(r), "mrg32k3a");
    CU_ASSERT_EQUAL(gsl_rng_max(r), 4294967086UL);
    gsl_rng_free(r);
}

/* First outputs of the default stream. By hand, from the seed 12345 x 6:
 *   p1 = (1403580 - 810728) * 12345 mod m1 = 7318757940 - m1 = 3023790853
 *   p2 = (527612 - 1370589) * 12345 mod m2 = -10406551065 + 3 m2 = 2478282264
 *   z  = p1 - p2 = 545508589
 * RngStreams' RandU01 returns z / (m1 + 1): 0.1270111220 and then
 * 0.3185275654, as published for the default stream. (The value
 * 0.1270111501 sometimes quoted corresponds to no integer output near
 * z: it would be z + 120.5.) */
static void test_first_outputs(void)
{
    gsl_rng *r = new_rng(0);
    unsigned long z1 = gsl_rng_get(r);
    unsigned long z2 = gsl_rng_get(r);
    CU_ASSERT_EQUAL(z1, 545508589UL);
    /* 1e-10 is under half an integer step (1 / 2^32 = 2.3e-10 per step). */
    CU_ASSERT_DOUBLE_EQUAL((double)z1 / 4294967088.0, 0.1270111220, 1e-10);
    CU_ASSERT_DOUBLE_EQUAL((double)z2 / 4294967088.0, 0.3185275654, 1e-10);
    gsl_rng_free(r);
}

static void test_matches_reference_recurrence(void)
{
    static const uint64_t seed[3] = { 12345, 12345, 12345 };
    ref_gen_t g;
    ref_init(&g, seed, seed);
    gsl_rng *r = new_rng(0);
    CU_ASSERT_EQUAL(count_mismatches(r, &g, 100000), 0);

    /* get_double is get / m1, so it lies in [0, 1). */
    ref_init(&g, seed, seed);
    gsl_rng_set(r, 0);
    int bad = 0;
    for (int i = 0; i < 10000; i++) {
        double u = gsl_rng_uniform(r);
        double want = (double)ref_next(&g) / (double)M1;
        if (u != want || u < 0.0 || u >= 1.0)
            bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    gsl_rng_free(r);
}

/* A^(2^127) and A^(2^76) by plain squaring equal the published matrices. */
static void test_jump_matrices(void)
{
    mat_t p;
    ref_square_n(p, A1, 127, M1);
    CU_ASSERT_EQUAL(memcmp(p, A1P127, sizeof p), 0);
    ref_square_n(p, A2, 127, M2);
    CU_ASSERT_EQUAL(memcmp(p, A2P127, sizeof p), 0);
    ref_square_n(p, A1, 76, M1);
    CU_ASSERT_EQUAL(memcmp(p, A1P76, sizeof p), 0);
    ref_square_n(p, A2, 76, M2);
    CU_ASSERT_EQUAL(memcmp(p, A2P76, sizeof p), 0);
}

/* Substream k starts at (A^(2^127))^k seed: for small k by applying the
 * published matrix k times (RngStreams' "next stream" seeds). */
static void test_small_substreams(void)
{
    uint64_t s1[3] = { 12345, 12345, 12345 };
    uint64_t s2[3] = { 12345, 12345, 12345 };
    for (unsigned long k = 1; k <= 4; k++) {
        ref_matvec(A1P127, s1, M1);
        ref_matvec(A2P127, s2, M2);
        ref_gen_t g;
        ref_init(&g, s1, s2);
        gsl_rng *r = new_rng(k);
        CU_ASSERT_EQUAL(count_mismatches(r, &g, 1000), 0);
        gsl_rng_free(r);
    }
}

/* For large k, jump the other way round: (A^k)^(2^127) = A^(k 2^127). */
static void test_large_substreams(void)
{
    static const uint64_t ks[] = { UINT64_C(0xdeadbeefcafef00d), UINT64_MAX,
                                   UINT64_C(1) << 63, UINT64_C(123456789) };
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        mat_t p1, p2;
        ref_matpow(p1, A1, ks[i], M1);
        ref_square_n(p1, p1, 127, M1);
        ref_matpow(p2, A2, ks[i], M2);
        ref_square_n(p2, p2, 127, M2);
        uint64_t s1[3] = { 12345, 12345, 12345 };
        uint64_t s2[3] = { 12345, 12345, 12345 };
        ref_matvec(p1, s1, M1);
        ref_matvec(p2, s2, M2);
        ref_gen_t g;
        ref_init(&g, s1, s2);
        gsl_rng *r = new_rng((unsigned long)ks[i]);
        CU_ASSERT_EQUAL(count_mismatches(r, &g, 1000), 0);
        gsl_rng_free(r);
    }
}

/* Re-setting restarts a substream; cloning copies the whole state. */
static void test_set_and_clone(void)
{
    gsl_rng *r = new_rng(7);
    unsigned long first[16];
    for (int i = 0; i < 16; i++)
        first[i] = gsl_rng_get(r);
    gsl_rng *c = gsl_rng_clone(r);
    CU_ASSERT_FATAL(c != NULL);
    int bad = 0;
    for (int i = 0; i < 1000; i++)
        if (gsl_rng_get(r) != gsl_rng_get(c))
            bad++;
    CU_ASSERT_EQUAL(bad, 0);
    gsl_rng_set(r, 7);
    bad = 0;
    for (int i = 0; i < 16; i++)
        if (gsl_rng_get(r) != first[i])
            bad++;
    CU_ASSERT_EQUAL(bad, 0);
    gsl_rng_free(c);
    gsl_rng_free(r);
}

/* Draws n integers from a fresh stream of (seed, run, name). */
static void draw_stream(uint64_t seed, uint64_t run, const char *name, unsigned long *out, int n)
{
    gsl_rng *r = rng_stream_create(seed, run, name);
    CU_ASSERT_FATAL(r != NULL);
    for (int i = 0; i < n; i++)
        out[i] = gsl_rng_get(r);
    gsl_rng_free(r);
}

static void test_stream_identity(void)
{
    enum { N = 256 };
    unsigned long a[N], b[N];
    draw_stream(42, 3, "link/AB/fluctuation", a, N);
    draw_stream(42, 3, "link/AB/fluctuation", b, N);
    CU_ASSERT_EQUAL(memcmp(a, b, sizeof a), 0);
    CU_ASSERT_EQUAL(rng_stream_index(42, 3, "link/AB/fluctuation"),
                    rng_stream_index(42, 3, "link/AB/fluctuation"));

    /* The stream is the substream named by the index. */
    gsl_rng *r = new_rng((unsigned long)rng_stream_index(42, 3, "link/AB/fluctuation"));
    for (int i = 0; i < N; i++)
        b[i] = gsl_rng_get(r);
    gsl_rng_free(r);
    CU_ASSERT_EQUAL(memcmp(a, b, sizeof a), 0);
}

static void test_stream_differences(void)
{
    enum { N = 8 };
    static const struct { uint64_t seed, run; const char *name; } v[] = {
        { 42, 3, "link/AB/fluctuation" },
        { 42, 3, "link/AB/fluctuatioN" },
        { 42, 3, "link/AB/fluctuation2" },
        { 42, 3, "" },
        { 42, 4, "link/AB/fluctuation" },
        { 43, 3, "link/AB/fluctuation" },
        { 3, 42, "link/AB/fluctuation" },   /* seed and run swapped */
        { 0, 0, "" },
    };
    enum { NV = sizeof v / sizeof v[0] };
    unsigned long d[NV][N];
    uint64_t idx[NV];
    for (int i = 0; i < NV; i++) {
        draw_stream(v[i].seed, v[i].run, v[i].name, d[i], N);
        idx[i] = rng_stream_index(v[i].seed, v[i].run, v[i].name);
    }
    for (int i = 0; i < NV; i++)
        for (int j = i + 1; j < NV; j++) {
            CU_ASSERT_NOT_EQUAL(idx[i], idx[j]);
            int same = 0;
            for (int k = 0; k < N; k++)
                same += d[i][k] == d[j][k];
            CU_ASSERT(same < N);
        }
}

/* Another stream's creation and draws leave a stream's draws unchanged. */
static void test_stream_independence(void)
{
    enum { N = 1000 };
    unsigned long alone[N];
    draw_stream(9, 1, "client/vpn/arrivals", alone, N);

    gsl_rng *x = rng_stream_create(9, 1, "client/vpn/arrivals");
    gsl_rng *y = rng_stream_create(9, 1, "link/AB/fluctuation");
    CU_ASSERT_FATAL(x != NULL && y != NULL);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < i % 5; k++)
            (void)gsl_rng_get(y);
        if (i == N / 2) {
            gsl_rng *z = rng_stream_create(9, 1, "another/process");
            CU_ASSERT_FATAL(z != NULL);
            (void)gsl_ran_exponential(z, 1.0);
            gsl_rng_free(z);
        }
        if (gsl_rng_get(x) != alone[i])
            bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    gsl_rng_free(x);
    gsl_rng_free(y);
}

static void test_exponential_mean(void)
{
    const int n = 1000000;
    const double mu = 2.5;
    gsl_rng *r = rng_stream_create(1, 0, "test/exponential");
    CU_ASSERT_FATAL(r != NULL);
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        sum += gsl_ran_exponential(r, mu);
    double mean = sum / n;
    /* The standard deviation of Exp(mu) is mu. */
    CU_ASSERT(fabs(mean - mu) < 5.0 * mu / sqrt((double)n));
    gsl_rng_free(r);
}

static void test_uniform_chisq(void)
{
    enum { BINS = 100 };
    const int n = 1000000;
    unsigned long count[BINS] = { 0 };
    gsl_rng *r = rng_stream_create(2, 0, "test/uniform");
    CU_ASSERT_FATAL(r != NULL);
    int out_of_range = 0;
    for (int i = 0; i < n; i++) {
        double u = gsl_rng_uniform(r);
        if (u < 0.0 || u >= 1.0) {
            out_of_range++;
            continue;
        }
        count[(int)(u * BINS)]++;
    }
    CU_ASSERT_EQUAL(out_of_range, 0);
    double expect = (double)n / BINS, chi2 = 0.0;
    for (int b = 0; b < BINS; b++) {
        double dlt = (double)count[b] - expect;
        chi2 += dlt * dlt / expect;
    }
    CU_ASSERT(gsl_cdf_chisq_Q(chi2, BINS - 1) > 1e-4);
    gsl_rng_free(r);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("rng", NULL, NULL);
    if (s == NULL
        || !CU_add_test(s, "generator type", test_type)
        || !CU_add_test(s, "first outputs of the default stream", test_first_outputs)
        || !CU_add_test(s, "matches the reference recurrence", test_matches_reference_recurrence)
        || !CU_add_test(s, "A^(2^127) and A^(2^76) by squaring", test_jump_matrices)
        || !CU_add_test(s, "substreams 1..4", test_small_substreams)
        || !CU_add_test(s, "large substreams", test_large_substreams)
        || !CU_add_test(s, "set and clone", test_set_and_clone)
        || !CU_add_test(s, "same triple, same stream", test_stream_identity)
        || !CU_add_test(s, "different triples, different streams", test_stream_differences)
        || !CU_add_test(s, "streams are independent", test_stream_independence)
        || !CU_add_test(s, "exponential mean", test_exponential_mean)
        || !CU_add_test(s, "uniform chi-square", test_uniform_chisq)) {
        CU_cleanup_registry();
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
