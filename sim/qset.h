/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * qset.h - a multiset of doubles that gives exact quantiles and mean in
 * little memory when values repeat.
 *
 * Models keep a sample (request latencies, say) to report its p50, p95 and
 * p99 at the end of a run. Kept as a plain array, that costs 8 bytes a
 * value for the whole run (634 MB for the 79 million requests of an hour of
 * the 1,000-node study), although such latencies often take a few distinct
 * values (a constant KME delay, a few back-off steps). A qset keeps the
 * distinct values in order with their counts (runs); it adds new values to
 * a buffer of runs in order of arrival (a value equal to the one before it
 * only counts) and merges the buffer in (qsort, then one pass) when it
 * holds half as many runs as are merged, or QSET_BUFFER if more, so that
 * merging costs O(log) per value amortised. When a merge leaves more runs
 * than a quarter of the values (values that rarely repeat, e.g. relayed
 * latencies: then at the first merge), the set turns flat: every value in
 * one array, as before, 8 bytes each, and merges stop. Memory: runs and
 * buffer (16 bytes a run) then never take more than about twice the plain
 * array, 8 bytes a value, plus QSET_BUFFER runs (tests/test_qset.c checks
 * the bound), and far less when values repeat: a constant value writes no
 * memory at all.
 *
 * The results are those of GSL on the sorted array of every value added,
 * bit for bit (tests/test_qset.c checks this on random samples, flat and
 * not): qset_quantile is gsl_stats_quantile_from_sorted_data's definition
 * (linear interpolation between the order statistics of ranks floor(f(n-1))
 * and the next), qset_mean is gsl_stats_mean's recurrence over the sorted
 * values. On a flat set both are GSL's own functions; on runs the two
 * order statistics and the recurrence are read off the runs, because GSL
 * has no quantile of weighted data.
 *
 * Ownership: the set owns its arrays; qset_free releases them. Not thread
 * safe. Values must not be NaN (they could not be sorted).
 */
#ifndef QKM_SIM_QSET_H
#define QKM_SIM_QSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QSET_BUFFER 1024

typedef struct qset_run {
    double value;
    uint64_t count;     /* >= 1 */
} qset_run_t;

typedef struct qset {
    uint64_t n;         /* values added */
    qset_run_t tail;    /* the latest run (has_tail), not yet in pend */
    bool has_tail;
    qset_run_t *pend;   /* runs not yet merged, in order of arrival */
    size_t npend, pendcap;
    qset_run_t *run;    /* merged runs, ascending distinct values */
    size_t nrun, runcap;
    double *flat;       /* once flat: every value (NULL before) */
    size_t nflat, flatcap;
    bool sorted;        /* flat and sorted */
} qset_t;

/* An empty set: `qset_t q = QSET_INIT;` or qset_init. */
#define QSET_INIT { 0 }
void qset_init(qset_t *q);
void qset_free(qset_t *q);
/* Empties the set for the next window: keeps the runs' and the buffer's
 * memory, frees a flat array (the next window starts with runs). */
void qset_clear(qset_t *q);

/* Adds x. Returns 0, or -1 when out of memory (the set is unchanged). */
int qset_add(qset_t *q, double x);

/* Merges the buffer in (or sorts a flat set). The reading functions call
 * it; it allocates, so they may fail. Returns 0 or -1 (out of memory; the
 * set keeps its values). */
int qset_settle(qset_t *q);

/* Number of values added. */
static inline uint64_t qset_count(const qset_t *q) { return q->n; }

/* The f-quantile (0 <= f <= 1) as gsl_stats_quantile_from_sorted_data
 * gives it on the sorted values; 0 when empty. Settles the set first;
 * returns 0 or -1 (out of memory, *out untouched). */
int qset_quantile(qset_t *q, double f, double *out);

/* The mean as gsl_stats_mean gives it on the sorted values; 0 when empty.
 * Returns as qset_quantile. */
int qset_mean(qset_t *q, double *out);

/* Distinct values kept as runs (0 once flat), and whether flat: for tests
 * and for the memory figures of docs/performance.md. */
static inline size_t qset_runs(const qset_t *q) { return q->nrun; }
static inline bool qset_is_flat(const qset_t *q) { return q->flat != NULL; }

#endif
