/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * qset.c - a multiset of doubles with exact quantiles (qset.h).
 */
#include "sim/qset.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <stdlib.h>
#include <string.h>

#include "sim/grow.h"

void qset_init(qset_t *q)
{
    memset(q, 0, sizeof *q);
}

void qset_free(qset_t *q)
{
    free(q->pend);
    free(q->run);
    free(q->flat);
    qset_init(q);
}

void qset_clear(qset_t *q)
{
    free(q->flat);   /* the next window starts with runs again; the runs'
                      * and the buffer's arrays are kept */
    q->flat = NULL;
    q->n = 0;
    q->npend = q->nrun = q->nflat = q->flatcap = 0;
    q->has_tail = q->sorted = false;
}

static int qset_run_cmp(const void *a, const void *b)
{
    const double x = ((const qset_run_t *)a)->value, y = ((const qset_run_t *)b)->value;
    return (x > y) - (x < y);
}

/* The buffer sorted and merged with the runs into a new array. */
static int qset_merge(qset_t *q)
{
    const size_t cap = q->nrun + q->npend;
    qset_run_t *out = malloc(cap * sizeof *out);
    size_t i = 0, j = 0, k = 0;

    if (out == NULL)
        return -1;
    qsort(q->pend, q->npend, sizeof *q->pend, qset_run_cmp);
    while (i < q->nrun || j < q->npend) {
        const bool old = j == q->npend || (i < q->nrun && q->run[i].value <= q->pend[j].value);
        const qset_run_t r = old ? q->run[i++] : q->pend[j++];
        if (k > 0 && out[k - 1].value == r.value)
            out[k - 1].count += r.count;
        else
            out[k++] = r;
    }
    free(q->run);
    q->run = out;
    q->nrun = q->runcap = k;
    q->npend = 0;
    /* Give back what the merge did not need (k <= cap; if realloc fails
     * the larger block stays, which is only memory). */
    if (k < cap && (out = realloc(q->run, k * sizeof *out)) != NULL)
        q->run = out;
    else
        q->runcap = cap;
    return 0;
}

/* Every value into one array, the runs freed: merging stops. */
static int qset_flatten(qset_t *q)
{
    double *v = malloc((size_t)q->n * sizeof *v);
    size_t k = 0;

    if (v == NULL)
        return -1;
    for (size_t i = 0; i < q->nrun; i++)
        for (uint64_t c = 0; c < q->run[i].count; c++)
            v[k++] = q->run[i].value;
    free(q->run);
    free(q->pend);   /* empty now; a cleared set makes a new one */
    q->run = NULL;
    q->pend = NULL;
    q->nrun = q->runcap = q->npend = q->pendcap = 0;
    q->flat = v;
    q->nflat = q->flatcap = k;
    q->sorted = true;
    return 0;
}

/* The latest run into the buffer. */
static int qset_push_tail(qset_t *q)
{
    if (!q->has_tail)
        return 0;
    qset_run_t *v = grow_room(q->pend, &q->pendcap, q->npend + 1, sizeof *v, 64);

    if (v == NULL)
        return -1;
    q->pend = v;
    q->pend[q->npend++] = q->tail;
    q->has_tail = false;
    return 0;
}

int qset_settle(qset_t *q)
{
    if (q->flat != NULL) {
        if (!q->sorted)
            gsl_sort(q->flat, 1, q->nflat);
        q->sorted = true;
        return 0;
    }
    if (qset_push_tail(q) != 0 || (q->npend > 0 && qset_merge(q) != 0))
        return -1;
    /* Values that rarely repeat: the runs (16 bytes each) would cost more
     * than half of the plain array (8 bytes a value). */
    if (q->n >= QSET_BUFFER && 4 * (uint64_t)q->nrun > q->n && qset_flatten(q) != 0)
        return -1;
    return 0;
}

static int qset_add_flat(qset_t *q, double x)
{
    double *v = grow_room(q->flat, &q->flatcap, q->nflat + 1, sizeof *v, 64);

    if (v == NULL)
        return -1;
    q->flat = v;
    q->flat[q->nflat++] = x;
    q->sorted = false;
    q->n++;
    return 0;
}

int qset_add(qset_t *q, double x)
{
    const size_t limit = q->nrun / 2 > QSET_BUFFER ? q->nrun / 2 : QSET_BUFFER;

    if (q->flat != NULL)
        return qset_add_flat(q, x);
    if (q->has_tail && q->tail.value == x) {   /* touches nothing but *q */
        q->tail.count++;
        q->n++;
        return 0;
    }
    /* A failed merge is not an error: the runs wait in the buffer. */
    if (q->npend + 1 >= limit)   /* the tail joins the buffer there */
        (void)qset_settle(q);
    if (q->flat != NULL)
        return qset_add_flat(q, x);
    if (qset_push_tail(q) != 0)
        return -1;
    q->tail = (qset_run_t){ x, 1 };
    q->has_tail = true;
    q->n++;
    return 0;
}

/* The value of rank r (0-based) among the runs. */
static double qset_rank(const qset_t *q, uint64_t r)
{
    size_t i = 0;

    while (r >= q->run[i].count)
        r -= q->run[i++].count;
    return q->run[i].value;
}

int qset_quantile(qset_t *q, double f, double *out)
{
    if (qset_settle(q) != 0)
        return -1;
    if (q->n == 0) {
        *out = 0;
    } else if (q->flat != NULL) {
        *out = gsl_stats_quantile_from_sorted_data(q->flat, 1, q->nflat, f);
    } else {
        /* gsl_stats_quantile_from_sorted_data, term for term. */
        const double index = f * (double)(q->n - 1);
        const uint64_t lhs = (uint64_t)index;
        const double delta = index - (double)lhs;
        if (lhs == q->n - 1)
            *out = qset_rank(q, lhs);
        else
            *out = (1 - delta) * qset_rank(q, lhs) + delta * qset_rank(q, lhs + 1);
    }
    return 0;
}

int qset_mean(qset_t *q, double *out)
{
    long double mean = 0;
    uint64_t i = 0;

    if (qset_settle(q) != 0)
        return -1;
    if (q->flat != NULL) {
        *out = q->n == 0 ? 0 : gsl_stats_mean(q->flat, 1, q->nflat);
        return 0;
    }
    /* gsl_stats_mean's recurrence (in long double, as GSL) over the
     * sorted values. */
    for (size_t r = 0; r < q->nrun; r++)
        for (uint64_t c = 0; c < q->run[r].count; c++, i++)
            mean += (q->run[r].value - mean) / (i + 1);
    *out = (double)mean;
    return 0;
}
