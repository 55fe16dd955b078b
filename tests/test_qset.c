/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_qset.c - sim/qset.h against GSL: the quantiles and the mean of a
 * qset equal, bit for bit, gsl_stats_quantile_from_sorted_data and
 * gsl_stats_mean on the sorted array of the same values, whether the set
 * kept runs (values that repeat) or turned flat (values that do not), and
 * across merges; runs take memory by distinct values, not by count.
 * Also sim/grow.h, the doubling every module grows its arrays with.
 */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "sim/grow.h"
#include "sim/qset.h"
#include "sim/rng.h"
#include "tests/harness.h"

static const double fs[] = { 0, 0.01, 0.25, 0.5, 0.95, 0.99, 0.999, 1 };

/* Adds n draws to q (and to ref): `distinct` values spread over [0, 2)
 * when distinct > 0, else continuous uniform values. */
static void fill(qset_t *q, double *ref, size_t n, unsigned distinct, const char *stream)
{
    gsl_rng *r = rng_stream_create(7, 0, stream);

    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    for (size_t i = 0; i < n; i++) {
        const double x = distinct > 0
                             ? 0.001 * (double)gsl_rng_uniform_int(r, distinct) + 0.0137
                             : 2 * gsl_rng_uniform(r);
        ref[i] = x;
        CU_ASSERT_EQUAL_FATAL(qset_add(q, x), 0);
    }
    rng_stream_free(r);
}

/* Every quantile of fs[] and the mean, against GSL on the sorted copy. */
static void check_against_gsl(qset_t *q, double *ref, size_t n)
{
    double got, mean;

    gsl_sort(ref, 1, n);
    for (size_t k = 0; k < sizeof fs / sizeof fs[0]; k++) {
        const double want = gsl_stats_quantile_from_sorted_data(ref, 1, n, fs[k]);
        CU_ASSERT_EQUAL_FATAL(qset_quantile(q, fs[k], &got), 0);
        CU_ASSERT(memcmp(&got, &want, sizeof got) == 0);
    }
    mean = gsl_stats_mean(ref, 1, n);
    CU_ASSERT_EQUAL_FATAL(qset_mean(q, &got), 0);
    CU_ASSERT(memcmp(&got, &mean, sizeof got) == 0);
    CU_ASSERT_EQUAL(qset_count(q), n);
}

static void test_runs(void)
{
    /* Sizes around the buffer, so that 0, 1 and many merges happen. */
    static const size_t sizes[] = { 1, 2, 5, QSET_BUFFER - 1, QSET_BUFFER, QSET_BUFFER + 1,
                                    20000 };
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const size_t n = sizes[s];
        double *ref = malloc(n * sizeof *ref);
        qset_t q = QSET_INIT;
        CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
        fill(&q, ref, n, n < 10 ? 1 : 37, "qset/runs");
        check_against_gsl(&q, ref, n);
        CU_ASSERT_FALSE(qset_is_flat(&q));
        CU_ASSERT(qset_runs(&q) <= 37);
        qset_free(&q);
        free(ref);
    }
}

static void test_flat(void)
{
    const size_t n = 5000;
    double *ref = malloc(n * sizeof *ref);
    qset_t q = QSET_INIT;

    CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
    fill(&q, ref, n, 0, "qset/flat");
    check_against_gsl(&q, ref, n);
    CU_ASSERT_TRUE(qset_is_flat(&q));
    CU_ASSERT_EQUAL(qset_runs(&q), 0);
    /* Adding after a read unsorts the flat array; the next read sorts. */
    CU_ASSERT_EQUAL_FATAL(qset_add(&q, -1.0), 0);
    double lo;
    CU_ASSERT_EQUAL(qset_quantile(&q, 0, &lo), 0);
    CU_ASSERT_EQUAL(lo, -1.0);
    qset_free(&q);
    free(ref);
}

/* A constant latency (a fixed KME delay) keeps one run however many. */
static void test_constant(void)
{
    qset_t q;
    double v;

    qset_init(&q);
    for (int i = 0; i < 100000; i++)
        CU_ASSERT_EQUAL_FATAL(qset_add(&q, 0.005), 0);
    CU_ASSERT_EQUAL(qset_quantile(&q, 0.99, &v), 0);
    CU_ASSERT_EQUAL(v, 0.005);
    CU_ASSERT_EQUAL(qset_runs(&q), 1);
    CU_ASSERT(q.pendcap <= 64);      /* repeats are counted, not stored */
    qset_free(&q);
    CU_ASSERT_EQUAL(qset_quantile(&q, 0.5, &v), 0);   /* empty after free */
    CU_ASSERT_EQUAL(v, 0);
    CU_ASSERT_EQUAL(qset_mean(&q, &v), 0);
    CU_ASSERT_EQUAL(v, 0);
}

/* Reads between adds: merges with runs already there. */
static void test_interleaved(void)
{
    const size_t n = 3 * QSET_BUFFER + 17;
    double *ref = malloc(n * sizeof *ref);
    qset_t q = QSET_INIT;
    double v;

    CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
    fill(&q, ref, n / 2, 11, "qset/a");
    CU_ASSERT_EQUAL(qset_quantile(&q, 0.5, &v), 0);
    fill(&q, ref + n / 2, n - n / 2, 11, "qset/b");
    check_against_gsl(&q, ref, n);
    qset_free(&q);
    free(ref);
}

/* Streaks of repeats (counted apart from the buffer) among other values,
 * and a second window after qset_clear. */
static void test_streaks(void)
{
    const size_t n = 4 * QSET_BUFFER + 5;
    double *ref = malloc(n * sizeof *ref);
    gsl_rng *r = rng_stream_create(7, 0, "qset/streaks");
    qset_t q = QSET_INIT;

    CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    for (int window = 0; window < 2; window++) {
        double x = 0;
        for (size_t i = 0; i < n; i++) {
            if (gsl_rng_uniform(r) < 0.1)   /* a new value about every 10 */
                x = 0.5 * (double)gsl_rng_uniform_int(r, 50 + 200 * (unsigned)window);
            ref[i] = x;
            CU_ASSERT_EQUAL_FATAL(qset_add(&q, x), 0);
        }
        check_against_gsl(&q, ref, n);
        CU_ASSERT_FALSE(qset_is_flat(&q));   /* at most 250 distinct of 4101 */
        qset_clear(&q);
        CU_ASSERT_EQUAL(qset_count(&q), 0);
    }
    rng_stream_free(r);
    qset_free(&q);
    free(ref);
}

/* Bytes the set holds (its arrays' capacities). */
static size_t held(const qset_t *q)
{
    return (q->runcap + q->pendcap) * sizeof(qset_run_t) + q->flatcap * sizeof(double);
}

/* The memory bound of qset.h, after every add, for values that repeat a
 * lot, some, hardly and not at all: at most twice the plain array (8
 * bytes a value) plus QSET_BUFFER runs. */
static void test_memory_bound(void)
{
    static const unsigned distinct[] = { 1, 37, 2000, 9000, 30000, 0 };
    const size_t n = 60000;
    gsl_rng *r = rng_stream_create(7, 0, "qset/memory");

    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    for (size_t k = 0; k < sizeof distinct / sizeof distinct[0]; k++) {
        qset_t q = QSET_INIT;
        size_t worst = 0;
        for (size_t i = 0; i < n; i++) {
            const double x = distinct[k] > 0 ? (double)gsl_rng_uniform_int(r, distinct[k])
                                             : gsl_rng_uniform(r);
            CU_ASSERT_EQUAL_FATAL(qset_add(&q, x), 0);
            const size_t bound = 2 * 8 * (i + 1) + QSET_BUFFER * sizeof(qset_run_t);
            if (held(&q) > bound && held(&q) - bound > worst)
                worst = held(&q) - bound;
        }
        CU_ASSERT_EQUAL(worst, 0);
        if (distinct[k] == 1)
            CU_ASSERT(held(&q) == 0);          /* a constant writes nothing */
        qset_free(&q);
    }
    rng_stream_free(r);
}

/* A flat set cleared starts the next window with runs, and reads right. */
static void test_clear_flat(void)
{
    qset_t q = QSET_INIT;
    double v;

    for (int i = 0; i < 3 * QSET_BUFFER; i++)
        CU_ASSERT_EQUAL_FATAL(qset_add(&q, (double)i), 0);
    CU_ASSERT_EQUAL(qset_quantile(&q, 1.0, &v), 0);
    CU_ASSERT_TRUE(qset_is_flat(&q));
    CU_ASSERT_EQUAL(v, 3 * QSET_BUFFER - 1);
    qset_clear(&q);
    CU_ASSERT_FALSE(qset_is_flat(&q));
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL_FATAL(qset_add(&q, 2.5), 0);
    CU_ASSERT_EQUAL(qset_quantile(&q, 0.5, &v), 0);
    CU_ASSERT_EQUAL(v, 2.5);
    CU_ASSERT_EQUAL(qset_count(&q), 5);
    qset_free(&q);
}

/* grow_room: the first capacity, doubling to cover `want`, the array kept
 * when it has room, and a size that would overflow refused untouched. */
static void test_grow(void)
{
    size_t cap = 0;
    int *v = grow_room(NULL, &cap, 1, sizeof *v, 4), *w;

    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(cap, 4);
    CU_ASSERT_PTR_EQUAL(grow_room(v, &cap, 4, sizeof *v, 4), v);
    CU_ASSERT_EQUAL(cap, 4);
    v[3] = 7;
    CU_ASSERT_PTR_NOT_NULL_FATAL(w = grow_room(v, &cap, 9, sizeof *w, 4));
    v = w;
    CU_ASSERT_EQUAL(cap, 16);
    CU_ASSERT_EQUAL(v[3], 7);
    CU_ASSERT_PTR_NULL(grow_room(v, &cap, SIZE_MAX / 2, sizeof *v, 4));
    CU_ASSERT_EQUAL(cap, 16);
    free(v);
}

int main(void)
{
    static const th_test_t tests[] = {
        { "runs: quantiles and mean as GSL's, bit for bit", test_runs },
        { "flat: continuous values, as GSL's", test_flat },
        { "constant: one run, bounded memory", test_constant },
        { "reads between adds", test_interleaved },
        { "streaks of repeats, then a cleared window", test_streaks },
        { "memory: at most twice the plain array", test_memory_bound },
        { "a flat set cleared starts with runs", test_clear_flat },
        { "grow_room: first, doubling, overflow refused", test_grow },
        { NULL, NULL },
    };
    return th_main("qset", tests);
}
