/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sched_ddka.c - relay scheduler "ddka": the ordering of DDKA-QKDN (2022,
 * survey §3.14). Each job gets, when queued, the estimate
 *
 *     est(K) = (1 - w) ln K_qua + w ln(10 - K_sec)
 *
 * with K_qua the key quantity it asks for (> 0) and K_sec its security
 * level (0 <= K_sec < 10), and jobs are served in ascending est, ties in
 * arrival order (seq). The paper orders requests that arrive at the same
 * time; here every job waiting on the link is in the order, so a job
 * arriving later with a lower est overtakes waiting ones. The head waits
 * until the link has its key.
 *
 * K_qua and K_sec come from the relay's metric callback (sched_params_t
 * metric), or without one from the job (K_qua = its bits) and its flow
 * (K_sec = sec). A metric giving K_qua <= 0 or K_sec >= 10 makes est
 * -infinity or NaN; NaN is served last (est taken as +infinity).
 */
#include "models/sched_impl.h"

#include <math.h>
#include <stdlib.h>

typedef struct ddka_flow {
    double sec;
    bool added;
} ddka_flow_t;

typedef struct ddka {
    double w;
    sched_metric_fn metric;
    void *metric_ctx;
    ddka_flow_t *f;   /* by flow id */
    size_t cap;
    sched_queue_t q;  /* ascending (rank, seq) */
} ddka_t;

static int ddka_create(const sched_params_t *p, void **state, sim_err_t *err)
{
    if (!(p->ddka_w >= 0.0 && p->ddka_w <= 1.0))
        return sim_err_set(err, SIM_ERR_INPUT, "ddka scheduler: w %g is not in [0, 1]", p->ddka_w);
    ddka_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "ddka scheduler: out of memory");
    s->w = p->ddka_w;
    s->metric = p->metric;
    s->metric_ctx = p->metric_ctx;
    *state = s;
    return SIM_OK;
}

static int ddka_add_flow(void *st, const sched_flow_t *f, sim_err_t *err)
{
    ddka_t *s = st;
    int rc = sched_check_flow(f, err);
    if (rc == SIM_OK)
        rc = sched_grow((void **)&s->f, &s->cap, sizeof *s->f, f->id, err);
    if (rc == SIM_OK && s->f[f->id].added)
        rc = sched_duplicate("ddka", f->id, err);
    if (rc != SIM_OK)
        return rc;
    s->f[f->id].added = true;
    s->f[f->id].sec = f->sec;
    return SIM_OK;
}

static void ddka_enqueue(void *st, sched_job_t *j, int64_t now)
{
    ddka_t *s = st;
    (void)now;
    double k_qua = (double)j->bits;
    double k_sec = s->f[j->flow].sec;
    if (s->metric != NULL)
        s->metric(s->metric_ctx, j, &k_qua, &k_sec);
    double est = (1.0 - s->w) * log(k_qua) + s->w * log(10.0 - k_sec);
    j->rank = isnan(est) ? INFINITY : est;
    sched_queue_insert_ranked(&s->q, j);
}

static sched_job_t *ddka_next(void *st, uint64_t available_bits, int64_t now)
{
    (void)now;
    return sched_queue_take_head(&((ddka_t *)st)->q, available_bits);
}

static void ddka_remove(void *st, sched_job_t *j)
{
    sched_queue_unlink(&((ddka_t *)st)->q, j);
}

static size_t ddka_pending(const void *st)
{
    return ((const ddka_t *)st)->q.n;
}

static void ddka_destroy(void *st)
{
    ddka_t *s = st;
    if (s == NULL)
        return;
    free(s->f);
    free(s);
}

const sched_policy_t sched_ddka = {
    .name = "ddka",
    .create = ddka_create,
    .add_flow = ddka_add_flow,
    .admit = NULL,
    .release = NULL,
    .enqueue = ddka_enqueue,
    .next = ddka_next,
    .remove = ddka_remove,
    .pending = ddka_pending,
    .destroy = ddka_destroy,
};
