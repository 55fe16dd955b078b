/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sched_prio.c - relay scheduler "prio": strict priority classes (Cheng
 * et al. 2011, the QoS-supported scheme of survey §3.8).
 *
 * Queues: one for the guaranteed flows, then one per class 0, 1, 2, ...
 * (any number; 0 is the highest), FIFO within each. next serves the head
 * of the first non-empty queue in that order, and nothing else: a lower
 * queue is served only when every queue above it is empty, and a head
 * that needs more key than the link holds makes every queue wait.
 *
 * The split with the relay: Cheng's key-guaranteed class (QKRA) reserves
 * key on every hop of its path before it starts; the other classes
 * (key-prioritized and best-effort, HHQA) queue on each hop. The
 * reservation is the relay's (its end-to-end reservation mode for flows
 * marked guaranteed); here a guaranteed flow's jobs only come first on
 * every hop, ahead of class 0.
 */
#include "models/sched_impl.h"

#include <stdlib.h>

typedef struct prio_flow {
    size_t queue;     /* 0 guaranteed, 1 + cls otherwise */
    bool added;
} prio_flow_t;

typedef struct prio {
    prio_flow_t *f;   /* by flow id */
    size_t fcap;
    sched_queue_t *q; /* by queue index */
    size_t qcap;
    size_t pending;
} prio_t;

static int prio_create(const sched_params_t *p, void **state, sim_err_t *err)
{
    (void)p;
    prio_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "prio scheduler: out of memory");
    *state = s;
    return SIM_OK;
}

static int prio_add_flow(void *st, const sched_flow_t *f, sim_err_t *err)
{
    prio_t *s = st;
    int rc = sched_check_flow(f, err);
    if (rc == SIM_OK && !f->guaranteed && f->cls > SCHED_CLASS_MAX)
        rc = sim_err_set(err, SIM_ERR_INPUT, "prio scheduler: flow %u: class %u is above %u",
                         (unsigned)f->id, (unsigned)f->cls, (unsigned)SCHED_CLASS_MAX);
    if (rc == SIM_OK)
        rc = sched_grow((void **)&s->f, &s->fcap, sizeof *s->f, f->id, err);
    if (rc == SIM_OK && s->f[f->id].added)
        rc = sched_duplicate("prio", f->id, err);
    size_t queue = f->guaranteed ? 0 : (size_t)f->cls + 1;
    if (rc == SIM_OK)
        rc = sched_grow((void **)&s->q, &s->qcap, sizeof *s->q, (uint32_t)queue, err);
    if (rc != SIM_OK)
        return rc;
    s->f[f->id].added = true;
    s->f[f->id].queue = queue;
    return SIM_OK;
}

static void prio_enqueue(void *st, sched_job_t *j, int64_t now)
{
    prio_t *s = st;
    (void)now;
    sched_queue_push(&s->q[s->f[j->flow].queue], j);
    s->pending++;
}

static sched_job_t *prio_next(void *st, uint64_t available_bits, int64_t now)
{
    prio_t *s = st;
    (void)now;
    if (s->pending == 0)
        return NULL;
    for (size_t i = 0; i < s->qcap; i++) {
        if (s->q[i].n == 0)
            continue;
        sched_job_t *j = sched_queue_take_head(&s->q[i], available_bits);
        if (j != NULL)
            s->pending--;
        return j;
    }
    return NULL;
}

static void prio_remove(void *st, sched_job_t *j)
{
    prio_t *s = st;
    sched_queue_unlink(&s->q[s->f[j->flow].queue], j);
    s->pending--;
}

static size_t prio_pending(const void *st)
{
    return ((const prio_t *)st)->pending;
}

static void prio_destroy(void *st)
{
    prio_t *s = st;
    if (s == NULL)
        return;
    free(s->f);
    free(s->q);
    free(s);
}

const sched_policy_t sched_prio = {
    .name = "prio",
    .create = prio_create,
    .add_flow = prio_add_flow,
    .admit = NULL,
    .release = NULL,
    .enqueue = prio_enqueue,
    .next = prio_next,
    .remove = prio_remove,
    .pending = prio_pending,
    .destroy = prio_destroy,
};
