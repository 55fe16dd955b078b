/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sched_fifo.c - relay scheduler "fifo": the link's jobs in the order they
 * were queued, whatever their flow (Quantum Canada's rule for one-time
 * demand, survey §3.12). The head waits until the link has its key.
 */
#include "models/sched_impl.h"

#include <stdlib.h>

typedef struct fifo {
    sched_queue_t q;
    bool *added;     /* by flow id */
    size_t cap;
} fifo_t;

static int fifo_create(const sched_params_t *p, void **state, sim_err_t *err)
{
    (void)p;
    fifo_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "fifo scheduler: out of memory");
    *state = s;
    return SIM_OK;
}

static int fifo_add_flow(void *st, const sched_flow_t *f, sim_err_t *err)
{
    fifo_t *s = st;
    int rc = sched_check_flow(f, err);
    if (rc == SIM_OK)
        rc = sched_grow((void **)&s->added, &s->cap, sizeof *s->added, f->id, err);
    if (rc == SIM_OK && s->added[f->id])
        rc = sched_duplicate("fifo", f->id, err);
    if (rc == SIM_OK)
        s->added[f->id] = true;
    return rc;
}

static void fifo_enqueue(void *st, sched_job_t *j, int64_t now)
{
    (void)now;
    sched_queue_push(&((fifo_t *)st)->q, j);
}

static sched_job_t *fifo_next(void *st, uint64_t available_bits, int64_t now)
{
    (void)now;
    return sched_queue_take_head(&((fifo_t *)st)->q, available_bits);
}

static void fifo_remove(void *st, sched_job_t *j)
{
    sched_queue_unlink(&((fifo_t *)st)->q, j);
}

static size_t fifo_pending(const void *st)
{
    return ((const fifo_t *)st)->q.n;
}

static void fifo_destroy(void *st)
{
    fifo_t *s = st;
    if (s == NULL)
        return;
    free(s->added);
    free(s);
}

const sched_policy_t sched_fifo = {
    .name = "fifo",
    .create = fifo_create,
    .add_flow = fifo_add_flow,
    .admit = NULL,
    .release = NULL,
    .enqueue = fifo_enqueue,
    .next = fifo_next,
    .remove = fifo_remove,
    .pending = fifo_pending,
    .destroy = fifo_destroy,
};
