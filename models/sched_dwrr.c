/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sched_dwrr.c - relay scheduler "dwrr": deficit round robin (Shreedhar
 * and Varghese, SIGCOMM 1995) over the flows crossing the link.
 *
 * Each flow i has a queue, a quantum Q_i and a deficit D_i. The flows
 * with queued jobs form the active list, visited in turn: on a visit
 * D_i += Q_i, then the head is served while its bits <= D_i (D_i -= bits);
 * a flow whose head exceeds D_i goes to the back of the list, keeping
 * D_i; a flow whose queue empties leaves the list with D_i = 0. When the
 * head the rule picks fits D_i but not the key on the link, next returns
 * NULL and the visit resumes when key arrives. Long-run shares of the
 * key are proportional to the quanta while the flows stay backlogged.
 *
 * Quanta: Q_i = max(1, round(q x_i / max_j x_j)) bits, q the quantum
 * parameter and x_i the flow's weight (quanta "weight") or demanded rate
 * (quanta "rate", which every flow must then announce).
 *
 * Rounds in which no flow could be served are skipped in one step: when
 * every active flow has been visited since the last service, each D_i
 * grows by (k - 1) Q_i, k the fewest rounds after which some head fits
 * (exactly what k - 1 empty rounds would do), so a small quantum against
 * large jobs costs no more than one pass over the active flows.
 */
#include "models/sched_impl.h"

#include <math.h>
#include <stdlib.h>

#include "sim/checked.h"

#define DWRR_NONE UINT32_MAX

typedef struct dwrr_flow {
    sched_queue_t q;
    double x;                 /* weight, or rate in bits/s */
    uint64_t quantum;         /* bits */
    uint64_t deficit;         /* bits */
    uint32_t anext, aprev;    /* the active list */
    bool added, active;
} dwrr_flow_t;

typedef struct dwrr {
    const char *name;         /* "dwrr" or "toshiba", for messages */
    uint64_t q;               /* quantum parameter, bits */
    sched_quanta_t quanta;
    double xmax;              /* largest x over the added flows */
    dwrr_flow_t *f;           /* by flow id */
    size_t cap;
    uint32_t ahead, atail;    /* the active list: head is being visited */
    size_t nactive;
    bool credited;            /* the head got its quantum for this visit */
    size_t idle;              /* visits ended without service since the last one */
    size_t pending;
} dwrr_t;

int sched_dwrr_make(const sched_params_t *p, sched_quanta_t quanta, const char *name,
                    void **state, sim_err_t *err)
{
    if (p->quantum < 1 || p->quantum > (UINT64_C(1) << 53))
        return sim_err_set(err, SIM_ERR_INPUT, "%s scheduler: quantum %llu bits is not in [1, 2^53]",
                           name, (unsigned long long)p->quantum);
    if (quanta != SCHED_QUANTA_WEIGHT && quanta != SCHED_QUANTA_RATE)
        return sim_err_set(err, SIM_ERR_INPUT, "%s scheduler: unknown quanta mode %d", name,
                           (int)quanta);
    dwrr_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "%s scheduler: out of memory", name);
    s->name = name;
    s->q = p->quantum;
    s->quanta = quanta;
    s->ahead = s->atail = DWRR_NONE;
    *state = s;
    return SIM_OK;
}

static int dwrr_create(const sched_params_t *p, void **state, sim_err_t *err)
{
    return sched_dwrr_make(p, p->quanta, "dwrr", state, err);
}

/* Q = max(1, round(q x / xmax)). */
static void dwrr_set_quantum(const dwrr_t *s, dwrr_flow_t *fl)
{
    uint64_t qi = 0;
    if (!sim_u64_of_double(nearbyint((double)s->q * fl->x / s->xmax), &qi) || qi < 1)
        qi = 1;
    fl->quantum = qi;
}

int sched_dwrr_add_flow(void *st, const sched_flow_t *f, sim_err_t *err)
{
    dwrr_t *s = st;
    int rc = sched_check_flow(f, err);
    if (rc == SIM_OK && s->quanta == SCHED_QUANTA_RATE && !(f->rate > 0.0))
        rc = sim_err_set(err, SIM_ERR_INPUT,
                         "%s scheduler: flow %u announces no rate (rate quanta need one)",
                         s->name, (unsigned)f->id);
    if (rc == SIM_OK)
        rc = sched_grow((void **)&s->f, &s->cap, sizeof *s->f, f->id, err);
    if (rc == SIM_OK && s->f[f->id].added)
        rc = sched_duplicate(s->name, f->id, err);
    if (rc != SIM_OK)
        return rc;
    dwrr_flow_t *fl = &s->f[f->id];
    fl->added = true;
    fl->x = s->quanta == SCHED_QUANTA_RATE ? f->rate : f->weight;
    fl->anext = fl->aprev = DWRR_NONE;
    if (fl->x > s->xmax) {
        s->xmax = fl->x;
        for (size_t i = 0; i < s->cap; i++)
            if (s->f[i].added)
                dwrr_set_quantum(s, &s->f[i]);
    } else {
        dwrr_set_quantum(s, fl);
    }
    return SIM_OK;
}

static void dwrr_append(dwrr_t *s, uint32_t i)
{
    dwrr_flow_t *fl = &s->f[i];
    fl->anext = DWRR_NONE;
    fl->aprev = s->atail;
    if (s->atail != DWRR_NONE)
        s->f[s->atail].anext = i;
    else
        s->ahead = i;
    s->atail = i;
    fl->active = true;
    s->nactive++;
}

static void dwrr_unlink(dwrr_t *s, uint32_t i)
{
    dwrr_flow_t *fl = &s->f[i];
    if (i == s->ahead)
        s->credited = false;
    if (fl->aprev != DWRR_NONE)
        s->f[fl->aprev].anext = fl->anext;
    else
        s->ahead = fl->anext;
    if (fl->anext != DWRR_NONE)
        s->f[fl->anext].aprev = fl->aprev;
    else
        s->atail = fl->aprev;
    fl->anext = fl->aprev = DWRR_NONE;
    fl->active = false;
    fl->deficit = 0;
    s->nactive--;
}

void sched_dwrr_enqueue(void *st, sched_job_t *j, int64_t now)
{
    dwrr_t *s = st;
    (void)now;
    sched_queue_push(&s->f[j->flow].q, j);
    s->pending++;
    if (!s->f[j->flow].active)
        dwrr_append(s, j->flow);
}

/* Rounds a flow needs before its head fits its deficit (0: it fits now). */
static uint64_t dwrr_rounds(const dwrr_flow_t *fl)
{
    uint64_t h = fl->q.head->bits;
    if (h <= fl->deficit)
        return 0;
    return (h - fl->deficit + fl->quantum - 1) / fl->quantum;
}

/* Does the k - 1 rounds in which no head can fit, k the fewest rounds
 * after which one does. */
static void dwrr_skip(dwrr_t *s)
{
    uint64_t k = UINT64_MAX;
    for (uint32_t i = s->ahead; i != DWRR_NONE; i = s->f[i].anext) {
        uint64_t r = dwrr_rounds(&s->f[i]);
        if (r < k)
            k = r;
    }
    if (k < 2)
        return;
    for (uint32_t i = s->ahead; i != DWRR_NONE; i = s->f[i].anext)
        s->f[i].deficit += (k - 1) * s->f[i].quantum;
}

sched_job_t *sched_dwrr_next(void *st, uint64_t available_bits, int64_t now)
{
    dwrr_t *s = st;
    (void)now;
    while (s->ahead != DWRR_NONE) {
        uint32_t i = s->ahead;
        dwrr_flow_t *fl = &s->f[i];
        if (!s->credited) {
            if (s->idle >= s->nactive) {
                dwrr_skip(s);
                s->idle = 0;
            }
            fl->deficit += fl->quantum;
            s->credited = true;
        }
        sched_job_t *j = fl->q.head;
        if (j->bits <= fl->deficit) {
            if (j->bits > available_bits)
                return NULL;
            sched_queue_unlink(&fl->q, j);
            fl->deficit -= j->bits;
            s->pending--;
            s->idle = 0;
            if (fl->q.n == 0)
                dwrr_unlink(s, i);
            return j;
        }
        uint64_t d = fl->deficit; /* to the back, keeping the deficit */
        dwrr_unlink(s, i);
        dwrr_append(s, i);
        fl->deficit = d;
        s->idle++;
    }
    return NULL;
}

void sched_dwrr_remove(void *st, sched_job_t *j)
{
    dwrr_t *s = st;
    dwrr_flow_t *fl = &s->f[j->flow];
    sched_queue_unlink(&fl->q, j);
    s->pending--;
    if (fl->q.n == 0)
        dwrr_unlink(s, j->flow);
}

size_t sched_dwrr_pending(const void *st)
{
    return ((const dwrr_t *)st)->pending;
}

void sched_dwrr_destroy(void *st)
{
    dwrr_t *s = st;
    if (s == NULL)
        return;
    free(s->f);
    free(s);
}

const sched_policy_t sched_dwrr = {
    .name = "dwrr",
    .create = dwrr_create,
    .add_flow = sched_dwrr_add_flow,
    .admit = NULL,
    .release = NULL,
    .enqueue = sched_dwrr_enqueue,
    .next = sched_dwrr_next,
    .remove = sched_dwrr_remove,
    .pending = sched_dwrr_pending,
    .destroy = sched_dwrr_destroy,
};
