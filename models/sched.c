/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sched.c - the registry of relay schedulers and what their files share
 * (sched.h, sched_impl.h).
 */
#include "models/sched_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/grow.h"

/* The registry: one line per policy. */
const sched_policy_t *const sched_policies[] = {
    &sched_fifo,
    &sched_dwrr,
    &sched_prio,
    &sched_ddka,
    &sched_toshiba,
    &sched_qkdtl,
    NULL,
};

const sched_policy_t *sched_find(const char *name)
{
    for (size_t i = 0; sched_policies[i] != NULL; i++)
        if (strcmp(sched_policies[i]->name, name) == 0)
            return sched_policies[i];
    return NULL;
}

void sched_params_default(sched_params_t *p)
{
    memset(p, 0, sizeof *p);
    p->quantum = SCHED_QUANTUM_DEFAULT;
    p->quanta = SCHED_QUANTA_WEIGHT;
    p->ddka_w = SCHED_DDKA_W_DEFAULT;
}

void sched_flow_default(sched_flow_t *f, uint32_t id)
{
    memset(f, 0, sizeof *f);
    f->id = id;
    f->weight = 1.0;
}

void sched_queue_push(sched_queue_t *q, sched_job_t *j)
{
    j->next = NULL;
    j->prev = q->tail;
    if (q->tail != NULL)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
    q->n++;
}

/* true when a must be served before b: lower rank, then lower seq. */
static bool sched_before(const sched_job_t *a, const sched_job_t *b)
{
    if (a->rank != b->rank)
        return a->rank < b->rank;
    return a->seq < b->seq;
}

void sched_queue_insert_ranked(sched_queue_t *q, sched_job_t *j)
{
    sched_job_t *after = q->tail;
    while (after != NULL && sched_before(j, after))
        after = after->prev;
    j->prev = after;
    j->next = after != NULL ? after->next : q->head;
    if (j->next != NULL)
        j->next->prev = j;
    else
        q->tail = j;
    if (after != NULL)
        after->next = j;
    else
        q->head = j;
    q->n++;
}

void sched_queue_unlink(sched_queue_t *q, sched_job_t *j)
{
    if (j->prev != NULL)
        j->prev->next = j->next;
    else
        q->head = j->next;
    if (j->next != NULL)
        j->next->prev = j->prev;
    else
        q->tail = j->prev;
    j->next = j->prev = NULL;
    q->n--;
}

sched_job_t *sched_queue_take_head(sched_queue_t *q, uint64_t available)
{
    sched_job_t *j = q->head;
    if (j == NULL || j->bits > available)
        return NULL;
    sched_queue_unlink(q, j);
    return j;
}

int sched_grow(void **arr, size_t *cap, size_t elem, uint32_t id, sim_err_t *err)
{
    const size_t old = *cap;
    void *p = grow_room(*arr, cap, (size_t)id + 1, elem, 8);
    if (p == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "relay scheduler: out of memory");
    memset((char *)p + old * elem, 0, (*cap - old) * elem);   /* new flows start at 0 */
    *arr = p;
    return SIM_OK;
}

int sched_check_flow(const sched_flow_t *f, sim_err_t *err)
{
    if (!(isfinite(f->weight) && f->weight > 0.0))
        return sim_err_set(err, SIM_ERR_INPUT, "flow %u: weight %g is not > 0", (unsigned)f->id,
                           f->weight);
    if (!(isfinite(f->rate) && f->rate >= 0.0))
        return sim_err_set(err, SIM_ERR_INPUT, "flow %u: rate %g bit/s is not >= 0",
                           (unsigned)f->id, f->rate);
    if (!(isfinite(f->sec) && f->sec >= 0.0 && f->sec < 10.0))
        return sim_err_set(err, SIM_ERR_INPUT, "flow %u: security level %g is not in [0, 10)",
                           (unsigned)f->id, f->sec);
    return SIM_OK;
}

int sched_duplicate(const char *policy, uint32_t id, sim_err_t *err)
{
    return sim_err_set(err, SIM_ERR_INPUT, "%s scheduler: flow %u added twice", policy,
                       (unsigned)id);
}
