/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * qset.c - a multiset of doubles with exact quantiles (qset.h).
 */
#include "sim/qset.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <stdlib.h>
#include <string.h>

void qset_init(qset_t *q)
{
    memset(q, 0, sizeof *q);
}

void qset_free(qset_t *q)
{
    free(q->buf);
    free(q->val);
    free(q->cnt);
    qset_init(q);
}

/* Room for `want` values in buf. */
static int qset_reserve(qset_t *q, size_t want)
{
    size_t cap = q->bufcap == 0 ? 64 : q->bufcap;
    double *b;

    if (want <= q->bufcap)
        return 0;
    while (cap < want)
        cap *= 2;
    if ((b = realloc(q->buf, cap * sizeof *b)) == NULL)
        return -1;
    q->buf = b;
    q->bufcap = cap;
    return 0;
}

/* Every value into buf, the runs freed: merging stops for good. */
static int qset_flatten(qset_t *q)
{
    double *b = malloc((size_t)q->n * sizeof *b + sizeof *b);
    size_t k = 0;

    if (b == NULL)
        return -1;
    for (size_t i = 0; i < q->nrun; i++)
        for (uint64_t c = 0; c < q->cnt[i]; c++)
            b[k++] = q->val[i];
    free(q->buf);
    free(q->val);
    free(q->cnt);
    q->buf = b;
    q->bufcap = (size_t)q->n + 1;
    q->nbuf = k;
    q->val = NULL;
    q->cnt = NULL;
    q->nrun = q->runcap = 0;
    q->flat = true;
    q->sorted = true;
    return 0;
}

/* The sorted buffer merged with the runs into new arrays. */
static int qset_merge(qset_t *q)
{
    const size_t cap = q->nrun + q->nbuf;
    double *val = malloc(cap * sizeof *val);
    uint64_t *cnt = malloc(cap * sizeof *cnt);
    size_t i = 0, j = 0, k = 0;

    if (val == NULL || cnt == NULL) {
        free(val);
        free(cnt);
        return -1;
    }
    gsl_sort(q->buf, 1, q->nbuf);
    while (i < q->nrun || j < q->nbuf) {
        const bool from_run = j == q->nbuf || (i < q->nrun && q->val[i] <= q->buf[j]);
        const double x = from_run ? q->val[i] : q->buf[j];
        const uint64_t c = from_run ? q->cnt[i++] : (j++, 1);
        if (k > 0 && val[k - 1] == x) {
            cnt[k - 1] += c;
        } else {
            val[k] = x;
            cnt[k++] = c;
        }
    }
    free(q->val);
    free(q->cnt);
    q->val = val;
    q->cnt = cnt;
    q->nrun = k;
    q->runcap = cap;
    q->nbuf = 0;
    return 0;
}

int qset_settle(qset_t *q)
{
    if (q->flat) {
        if (!q->sorted)
            gsl_sort(q->buf, 1, q->nbuf);
        q->sorted = true;
        return 0;
    }
    if (q->nbuf > 0 && qset_merge(q) != 0)
        return -1;
    /* Values that rarely repeat: runs would cost more than the array. */
    if (q->n >= QSET_BUFFER && 2 * (uint64_t)q->nrun > q->n && qset_flatten(q) != 0)
        return -1;
    return 0;
}

int qset_add(qset_t *q, double x)
{
    const size_t limit = q->nrun > QSET_BUFFER ? q->nrun : QSET_BUFFER;

    /* A failed merge is not an error: the value goes to the buffer. */
    if (!q->flat && q->nbuf >= limit)
        (void)qset_settle(q);
    if (qset_reserve(q, q->nbuf + 1) != 0)
        return -1;
    q->buf[q->nbuf++] = x;
    q->n++;
    q->sorted = false;
    return 0;
}

/* The value of rank r (0-based) among the runs. */
static double qset_rank(const qset_t *q, uint64_t r)
{
    size_t i = 0;

    while (r >= q->cnt[i]) {
        r -= q->cnt[i];
        i++;
    }
    return q->val[i];
}

int qset_quantile(qset_t *q, double f, double *out)
{
    if (qset_settle(q) != 0)
        return -1;
    if (q->n == 0) {
        *out = 0;
    } else if (q->flat) {
        *out = gsl_stats_quantile_from_sorted_data(q->buf, 1, q->nbuf, f);
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
    if (q->flat) {
        *out = q->n == 0 ? 0 : gsl_stats_mean(q->buf, 1, q->nbuf);
        return 0;
    }
    /* gsl_stats_mean's recurrence (in long double, as GSL) over the
     * sorted values. */
    for (size_t r = 0; r < q->nrun; r++)
        for (uint64_t c = 0; c < q->cnt[r]; c++, i++)
            mean += (q->val[r] - mean) / (i + 1);
    *out = (double)mean;
    return 0;
}
