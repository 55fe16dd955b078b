/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sched_qkdtl.c - relay scheduler "qkdtl": SECOQC's QKD transport layer
 * (survey §3.2). A connection announces its key rate in SYN/SYN-ACK, hop
 * by hop, and a node that cannot meet it drops the SYN; when a node's key
 * runs low it sets the CON flag, the destination delays its ACKs and the
 * sender's window halves.
 *
 * On one hop: admit(f, C) accepts flow f when the rates already admitted
 * here plus f's announced rate are at most C (bits/s, the rate the link
 * can give relay; a relative slack of 1e-9 absorbs rounding), and records
 * it; release frees it. The relay admits a flow on every hop of its path
 * (the SYN) and refuses it when one hop says no, releasing the hops that
 * said yes. sched_qkdtl_congested(st, stored) is the CON flag: the hop's
 * store holds fewer than low_threshold bits; the relay, seeing it on a
 * hop of a flow's path, halves the flow's sending rate and tells every
 * hop with sched_qkdtl_halve so that their admitted sums follow. Jobs are
 * served in arrival order (FIFO), the head waiting for its key.
 */
#include "models/sched_impl.h"

#include <stdlib.h>

#define QKDTL_SLACK 1e-9

typedef struct qkdtl_flow {
    double rate;     /* admitted rate, bits/s */
    bool added, admitted;
} qkdtl_flow_t;

typedef struct qkdtl {
    uint64_t low;          /* bits */
    double admitted;       /* sum of admitted rates, bits/s */
    qkdtl_flow_t *f;       /* by flow id */
    size_t cap;
    sched_queue_t q;
} qkdtl_t;

static int qkdtl_create(const sched_params_t *p, void **state, sim_err_t *err)
{
    qkdtl_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "qkdtl scheduler: out of memory");
    s->low = p->low_threshold;
    *state = s;
    return SIM_OK;
}

static int qkdtl_add_flow(void *st, const sched_flow_t *f, sim_err_t *err)
{
    qkdtl_t *s = st;
    int rc = sched_check_flow(f, err);
    if (rc == SIM_OK)
        rc = sched_grow((void **)&s->f, &s->cap, sizeof *s->f, f->id, err);
    if (rc == SIM_OK && s->f[f->id].added)
        rc = sched_duplicate("qkdtl", f->id, err);
    if (rc == SIM_OK)
        s->f[f->id].added = true;
    return rc;
}

/* The sum of admitted rates, recomputed (no drift from additions and
 * subtractions). */
static double qkdtl_sum(const qkdtl_t *s)
{
    double sum = 0.0;
    for (size_t i = 0; i < s->cap; i++)
        if (s->f[i].admitted)
            sum += s->f[i].rate;
    return sum;
}

static bool qkdtl_admit(void *st, const sched_flow_t *f, double capacity_bps)
{
    qkdtl_t *s = st;
    if (f->id >= s->cap || !s->f[f->id].added)
        return false;
    qkdtl_flow_t *fl = &s->f[f->id];
    double others = s->admitted - (fl->admitted ? fl->rate : 0.0);
    if (!(others + f->rate <= capacity_bps * (1.0 + QKDTL_SLACK)))
        return false;
    fl->admitted = true;
    fl->rate = f->rate;
    s->admitted = qkdtl_sum(s);
    return true;
}

static void qkdtl_release(void *st, uint32_t flow)
{
    qkdtl_t *s = st;
    if (flow >= s->cap || !s->f[flow].admitted)
        return;
    s->f[flow].admitted = false;
    s->f[flow].rate = 0.0;
    s->admitted = qkdtl_sum(s);
}

bool sched_qkdtl_congested(const void *st, uint64_t stored_bits)
{
    return stored_bits < ((const qkdtl_t *)st)->low;
}

double sched_qkdtl_halve(void *st, uint32_t flow)
{
    qkdtl_t *s = st;
    if (flow >= s->cap || !s->f[flow].admitted)
        return 0.0;
    s->f[flow].rate /= 2.0;
    s->admitted = qkdtl_sum(s);
    return s->f[flow].rate;
}

static void qkdtl_enqueue(void *st, sched_job_t *j, int64_t now)
{
    (void)now;
    sched_queue_push(&((qkdtl_t *)st)->q, j);
}

static sched_job_t *qkdtl_next(void *st, uint64_t available_bits, int64_t now)
{
    (void)now;
    return sched_queue_take_head(&((qkdtl_t *)st)->q, available_bits);
}

static void qkdtl_remove(void *st, sched_job_t *j)
{
    sched_queue_unlink(&((qkdtl_t *)st)->q, j);
}

static size_t qkdtl_pending(const void *st)
{
    return ((const qkdtl_t *)st)->q.n;
}

static void qkdtl_destroy(void *st)
{
    qkdtl_t *s = st;
    if (s == NULL)
        return;
    free(s->f);
    free(s);
}

const sched_policy_t sched_qkdtl = {
    .name = "qkdtl",
    .create = qkdtl_create,
    .add_flow = qkdtl_add_flow,
    .admit = qkdtl_admit,
    .release = qkdtl_release,
    .enqueue = qkdtl_enqueue,
    .next = qkdtl_next,
    .remove = qkdtl_remove,
    .pending = qkdtl_pending,
    .destroy = qkdtl_destroy,
};
