/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * relay.c - key relay: flows, jobs, per-link schedulers, global stores
 * (relay.h). The scenario element is read in relay_config.c.
 */
#include "models/relay_impl.h"

#include <gsl/gsl_randist.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/rng.h"

/* ------------------------------------------------------------ helpers */

static void relay_fail(relay_t *r, sim_err_t *err)
{
    model_fail(r->env.ctx, err);
}

static bool relay_link_up(const relay_t *r, uint32_t l)
{
    return r->env.links[l].devices_up > 0;
}

int64_t relay_link_prop_ns(const link_t *link)
{
    const double m = link->length_m;
    return isfinite(m) && m > 0 ? (int64_t)llround(m / RELAY_SIGNAL_SPEED * 1e9) : 0;
}

/* Propagation over link l, ns: computed once per link (an llround per
 * hop was a visible part of a hop's cost). */
static int64_t relay_prop_ns(const relay_t *r, uint32_t l)
{
    return r->lk[l].prop_ns;
}

/* The end of link l at node n. */
static int relay_end_at(const relay_t *r, uint32_t l, uint32_t n)
{
    return r->env.links[l].a == n ? STORAGE_END_A : STORAGE_END_B;
}

/* Key a relay could take on link l now, less what jobs reserved on it. */
static uint64_t relay_free_key(relay_t *r, uint32_t l, int64_t now)
{
    uint64_t a = keysvc_available(r->env.keys, l, STORAGE_END_A, now);
    uint64_t b = keysvc_available(r->env.keys, l, STORAGE_END_B, now);
    a = a < b ? a : b;
    return a > r->lk[l].reserved ? a - r->lk[l].reserved : 0;
}

/* Link key that hop i of a job of `bits` costs (relay.h, "Methods"). */
uint64_t relay_hop_cost(relay_method_t m, uint64_t bits, uint64_t tag, uint32_t i)
{
    return m == RELAY_HOP || i > 0 ? bits + tag : bits;
}

/* ------------------------------------------------------------ jobs */

static void relay_live_add(relay_t *r, relay_job_t *j)
{
    j->lprev = NULL;
    j->lnext = r->live;
    if (r->live != NULL)
        r->live->lprev = j;
    r->live = j;
}

static void relay_live_remove(relay_t *r, relay_job_t *j)
{
    if (j->lprev != NULL)
        j->lprev->lnext = j->lnext;
    else
        r->live = j->lnext;
    if (j->lnext != NULL)
        j->lnext->lprev = j->lprev;
}

static void relay_job_free(relay_job_t *j)
{
    if (j == NULL)
        return;
    route_path_free(&j->path);
    free(j->hops);
    free(j);
}

/* Spare job records kept at most: enough for the jobs a run keeps under
 * way, not the burst of a start (every global store filling at once):
 * kept, those held 100 MB in the 1,000-node study. */
#define RELAY_SPARE_MAX 4096u

/* An ended job's record (and its hops) waits in r->spare for the next
 * job: a calloc and free of both per job were a visible part of relay's
 * cost (docs/performance.md). */
static void relay_job_recycle(relay_t *r, relay_job_t *j)
{
    if (r->nspare >= RELAY_SPARE_MAX) {
        relay_job_free(j);
        return;
    }
    route_path_free(&j->path);
    j->lnext = r->spare;
    r->spare = j;
    r->nspare++;
}

/* A zeroed job record, reused when one is spare (its hops kept). */
static relay_job_t *relay_job_alloc(relay_t *r)
{
    relay_job_t *j = r->spare;
    relay_hop_t *hops;
    uint32_t cap;
    if (j == NULL)
        return calloc(1, sizeof *j);
    r->spare = j->lnext;
    r->nspare--;
    hops = j->hops, cap = j->hops_cap;
    *j = (relay_job_t){ .hops = hops, .hops_cap = cap };
    return j;
}

/* The job leaves: its row, its flow's counters, and free. */
static int relay_job_end(relay_t *r, relay_job_t *j, relay_outcome_t o, int64_t now,
                         sim_err_t *err)
{
    relay_flow_t *f = j->flow;
    int rc = SIM_OK;
    if (o != RELAY_DONE)
        f->stranded += j->spent, r->stranded += j->spent;
    f->cut += o == RELAY_CUT;
    f->refused += o == RELAY_REFUSED;
    if (f->gs != NULL)
        f->inflight -= j->bits;
    if (j->notify != NULL && o != RELAY_STRANDED && o != RELAY_WAITING)
        j->notify(j->notify_arg, now, o == RELAY_DONE);
    rc = relay_log_job(r, j, o, now, err);
    relay_live_remove(r, j);
    relay_job_recycle(r, j);
    return rc;
}

/* Takes hop i of job j out of its scheduler or reservation, if it waits. */
static void relay_hop_withdraw(relay_t *r, relay_job_t *j, uint32_t i)
{
    relay_hop_t *h = &j->hops[i];
    relay_link_t *lk = &r->lk[j->path.links[i]];
    if (h->state == RELAY_HOP_QUEUED)
        lk->pol->remove(lk->st, &h->sj);
    else if (h->state == RELAY_HOP_RESERVED) {
        lk->reserved -= h->sj.bits;
        j->nreserved--;
    }
    if (h->state != RELAY_HOP_SPENT)
        h->state = RELAY_HOP_IDLE;
}

static int relay_serve_link(relay_t *r, uint32_t l, int64_t now, sim_err_t *err);

/* Declares flow f on link l's scheduler the first time it crosses it;
 * *ok false when admission refuses it. */
int relay_flow_on_link(relay_t *r, relay_flow_t *f, uint32_t l, bool *ok,
                              sim_err_t *err)
{
    relay_link_t *lk = &r->lk[l];
    uint64_t *word = &lk->flows[f->index / 64];
    const uint64_t bit = UINT64_C(1) << (f->index % 64);
    int rc;
    *ok = true;
    if (*word & bit)
        return SIM_OK;
    if ((rc = lk->pol->add_flow(lk->st, &f->sf, err)) != SIM_OK)
        return rc;
    *word |= bit;
    if (lk->pol->admit != NULL &&
        !lk->pol->admit(lk->st, &f->sf, link_nominal_rate(&r->env.links[l])))
        *ok = false, f->blocked = true;
    return SIM_OK;
}

/* Queues hop i of job j on its link. */
static int relay_hop_enqueue(relay_t *r, relay_job_t *j, uint32_t i, int64_t now, bool *ok,
                             sim_err_t *err)
{
    const uint32_t l = j->path.links[i];
    relay_link_t *lk = &r->lk[l];
    relay_hop_t *h = &j->hops[i];
    int rc = relay_flow_on_link(r, j->flow, l, ok, err);
    if (rc != SIM_OK || !*ok)
        return rc;
    h->sj = (sched_job_t){ .flow = j->flow->index,
                           .bits = relay_hop_cost(r->cfg.method, j->bits, r->cfg.tag, i),
                           .enqueued = now, .seq = lk->seq++, .owner = j };
    h->state = RELAY_HOP_QUEUED;
    if (!h->queued) {
        h->queued = true;
        h->since = now;
    }
    lk->pol->enqueue(lk->st, &h->sj, now);
    return SIM_OK;
}

/* Queues what job j waits for now: the hop it stands before (store and
 * forward, hop-by-hop), or every hop not spent yet. Serves those links. */
static int relay_job_queue(relay_t *r, relay_job_t *j, int64_t now, sim_err_t *err)
{
    const bool one = !j->e2e && r->cfg.method == RELAY_HOP;
    const uint32_t from = one ? j->at : 0, to = one ? j->at + 1 : j->path.nhops;
    bool ok = true;
    int rc;

    for (uint32_t i = from; i < to && ok; i++)
        if (j->hops[i].state == RELAY_HOP_IDLE &&
            (rc = relay_hop_enqueue(r, j, i, now, &ok, err)) != SIM_OK)
            return rc;
    if (!ok) {
        for (uint32_t i = 0; i < j->path.nhops; i++)
            relay_hop_withdraw(r, j, i);
        return relay_job_end(r, j, RELAY_REFUSED, now, err);
    }
    for (uint32_t i = from; i < to; i++)
        if ((rc = relay_serve_link(r, j->path.links[i], now, err)) != SIM_OK)
            return rc;
    return SIM_OK;
}

/* Gives job j the path from node `from` (its current place) to its
 * destination; false when none is up. Hops already spent stay counted in
 * j->spent; the new path's hops start idle. */
static int relay_job_route(relay_t *r, relay_job_t *j, uint32_t from, int64_t now, bool *found,
                           sim_err_t *err)
{
    route_path_t p = { 0 };
    int rc = route_find(r->route, from, j->flow->dst, now, &p, found, err);
    if (rc != SIM_OK || !*found)
        return rc;
    if (p.nhops > j->hops_cap) {
        relay_hop_t *hops = calloc(p.nhops, sizeof *hops);
        if (hops == NULL) {
            route_path_free(&p);
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
        }
        free(j->hops);
        j->hops = hops;
        j->hops_cap = p.nhops;
    } else {
        memset(j->hops, 0, p.nhops * sizeof *j->hops);   /* the old path's are done with */
    }
    j->hops_before += j->path.nhops > 0 ? j->at : 0;
    route_path_free(&j->path);
    j->path = p;
    j->at = 0;
    j->nspent = j->nreserved = 0;
    return SIM_OK;
}

/* A new job of `bits` for flow f at `now`. */
int relay_job_start(relay_t *r, relay_flow_t *f, uint64_t bits, int64_t now, sim_err_t *err)
{
    return relay_job_start_notify(r, f, bits, now, NULL, NULL, err);
}

int relay_job_start_notify(relay_t *r, relay_flow_t *f, uint64_t bits, int64_t now,
                           keysvc_sent_fn fn, void *arg, sim_err_t *err)
{
    relay_job_t *j = relay_job_alloc(r);
    bool found = false;
    int rc;
    if (j == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    j->flow = f;
    j->id = r->njobs++;
    j->bits = bits;
    j->enqueued = now;
    j->e2e = f->sf.guaranteed || r->cfg.mode == RELAY_END_TO_END;
    j->seq = f->jobs++;
    j->notify = fn;            /* relay_job_alloc zeroed the rest */
    j->notify_arg = arg;
    relay_live_add(r, j);
    if (f->gs != NULL)
        f->inflight += bits;
    if (f->blocked)
        return relay_job_end(r, j, RELAY_REFUSED, now, err);
    if ((rc = relay_job_route(r, j, f->src, now, &found, err)) != SIM_OK)
        return rc;
    if (!found)
        return relay_job_end(r, j, RELAY_CUT, now, err);
    return relay_job_queue(r, j, now, err);
}

/* ---- delivery */

static void relay_on_done(sim_t *sim, void *object, uint64_t arg);

/* The job delivers its key `delay` ns from now. */
static int relay_job_finish_in(relay_t *r, relay_job_t *j, int64_t delay, sim_err_t *err)
{
    j->arg_done = true;
    if (sim_schedule_in(r->env.ctx->sim, delay, relay_on_done, j, 0) == 0)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    return SIM_OK;
}

static int relay_refill(relay_t *r, relay_flow_t *f, int64_t now, sim_err_t *err);

static void relay_on_done(sim_t *sim, void *object, uint64_t arg)
{
    relay_job_t *j = object;
    relay_flow_t *f = j->flow;
    relay_t *r = f->relay;
    const int64_t now = sim_now(sim);
    const double lat = (double)(now - j->enqueued) / 1e9;
    sim_err_t err;
    (void)arg;
    f->done++;
    f->delivered += j->bits;
    sim_err_clear(&err);
    if (qset_add(&f->lat, lat) != 0)
        sim_err_set(&err, SIM_ERR_RUN, "out of memory");
    if (err.code != SIM_OK ||
        (f->gs != NULL && gstore_deliver(f->gs, j->bits, now, &err) != SIM_OK) ||
        relay_job_end(r, j, RELAY_DONE, now, &err) != SIM_OK) {
        relay_fail(r, &err);
        return;
    }
    if (f->gs != NULL) {
        gstore_observe_latency(f->gs, f->demand, lat);
        if (relay_refill(r, f, now, &err) != SIM_OK)
            relay_fail(r, &err);
    }
}

/* ---- hops */

static void relay_on_arrive(sim_t *sim, void *object, uint64_t arg);

/* Delay of hop i: processing plus propagation, ns. */
static int64_t relay_hop_delay(const relay_t *r, const relay_job_t *j, uint32_t i)
{
    return r->cfg.hop_delay + relay_prop_ns(r, j->path.links[i]);
}

/* After the last hop of an XOR method is spent: when the destination has
 * the key (relay.h, "Methods"). */
static int64_t relay_xor_delay(const relay_t *r, const relay_job_t *j)
{
    const uint32_t h = j->path.nhops, c = h / 2;
    int64_t to_dst = 0, to_c = 0, far = 0;
    if (r->cfg.method == RELAY_XOR_DEST) {
        for (uint32_t i = h > 1 ? 1 : 0; i < h; i++)
            to_dst += relay_prop_ns(r, j->path.links[i]);
        return r->cfg.hop_delay + to_dst;
    }
    for (uint32_t i = c; i < h; i++)
        to_dst += relay_prop_ns(r, j->path.links[i]);
    for (uint32_t i = 0; i < c; i++)   /* node 0 is farthest on its side */
        to_c += relay_prop_ns(r, j->path.links[i]);
    far = to_c > to_dst ? to_c : to_dst;   /* the farthest node on either side */
    return 2 * r->cfg.hop_delay + far + to_dst;
}

/* QKDTL's CON flag on a hop of job j's path: the sender's rate halves
 * (SECOQC: delayed ACKs halve the window), on every QKDTL hop of the path
 * so that their admitted sums follow; a rate demand's jobs then start at
 * the new rate. */
static void relay_qkdtl_halve(relay_t *r, relay_job_t *j)
{
    relay_flow_t *f = j->flow;
    double rate = 0;
    for (uint32_t k = 0; k < j->path.nhops; k++) {
        relay_link_t *hk = &r->lk[j->path.links[k]];
        if (hk->qkdtl) {
            const double x = sched_qkdtl_halve(hk->st, f->index);
            rate = rate == 0 || (x > 0 && x < rate) ? x : rate;
        }
    }
    if (rate > 0 && f->kind == RELAY_FLOW_RATE) {
        f->rate = rate;
        f->halvings++;
    }
}

/* Counts one spent hop's wait (s) for its flow and its link. */
static void relay_hop_waited(relay_flow_t *f, relay_link_t *lk, double wait)
{
    f->hop_waits++;
    f->hop_wait_sum += wait;
    if (wait > f->hop_wait_max)
        f->hop_wait_max = wait;
    lk->hops++;
    lk->wait_sum += wait;
}

/* Takes hop i's key now (its link already checked). */
static int relay_hop_spend(relay_t *r, relay_job_t *j, uint32_t i, int64_t now, bool *granted,
                           sim_err_t *err)
{
    relay_hop_t *h = &j->hops[i];
    const uint32_t l = j->path.links[i];
    relay_link_t *lk = &r->lk[l];
    relay_flow_t *f = j->flow;
    const uint64_t cost = h->sj.bits;
    int rc = keysvc_take(r->env.keys, l, relay_end_at(r, l, j->path.nodes[i]), cost, now, NULL,
                         granted, err);
    if (rc != SIM_OK || !*granted)
        return rc;
    h->state = RELAY_HOP_SPENT;
    j->nspent++;
    j->spent += cost;
    f->spent += cost;
    r->spent += cost;
    f->tags += cost - j->bits;
    r->tags += cost - j->bits;
    lk->spent += cost;
    lk->tags += cost - j->bits;
    relay_hop_waited(f, lk, (double)(now - h->since) / 1e9);
    if (lk->qkdtl && sched_qkdtl_congested(lk->st, relay_free_key(r, l, now)))
        relay_qkdtl_halve(r, j);
    return SIM_OK;
}

/* Cut-through (relay.h): whether hop k of j can be taken now without
 * waiting: its link up, no admission, nobody queued there and free key
 * for its cost. */
static bool relay_hop_free_now(relay_t *r, const relay_job_t *j, uint32_t k, int64_t now)
{
    const uint32_t l = j->path.links[k];
    const relay_link_t *lk = &r->lk[l];
    return relay_link_up(r, l) && lk->pol->admit == NULL && !lk->serving &&
           lk->pol->pending(lk->st) == 0 &&
           relay_free_key(r, l, now) >= relay_hop_cost(r->cfg.method, j->bits, r->cfg.tag, k);
}

/* Cut-through: spends hop k of j now, as if served from an empty queue. */
static int relay_hop_through(relay_t *r, relay_job_t *j, uint32_t k, int64_t now, bool *granted,
                             sim_err_t *err)
{
    const uint32_t l = j->path.links[k];
    relay_hop_t *h = &j->hops[k];
    bool ok = true;
    int rc = relay_flow_on_link(r, j->flow, l, &ok, err);   /* no admission: ok */
    if (rc != SIM_OK)
        return rc;
    h->sj = (sched_job_t){ .flow = j->flow->index,
                           .bits = relay_hop_cost(r->cfg.method, j->bits, r->cfg.tag, k),
                           .enqueued = now, .seq = r->lk[l].seq++, .owner = j };
    h->queued = true;
    h->since = now;
    rc = relay_hop_spend(r, j, k, now, granted, err);
    h->queued = *granted;   /* not granted: it is queued when it gets there */
    return rc;
}

/* A store-and-forward hop served: spend it, then move on (with
 * cut-through, over the hops ahead that are free now as well). */
static int relay_hop_served(relay_t *r, relay_job_t *j, uint32_t i, int64_t now, bool *granted,
                            sim_err_t *err)
{
    int rc = relay_hop_spend(r, j, i, now, granted, err);
    if (rc != SIM_OK || !*granted)
        return rc;
    if (r->cfg.method == RELAY_HOP) {
        int64_t delay = relay_hop_delay(r, j, i);
        bool more = true;
        if (r->cfg.cut_through && !j->e2e)
            while (i + 1 < j->path.nhops && relay_hop_free_now(r, j, i + 1, now)) {
                if ((rc = relay_hop_through(r, j, i + 1, now, &more, err)) != SIM_OK)
                    return rc;
                if (!more)
                    break;   /* cannot happen with the free key checked: it waits there */
                delay += relay_hop_delay(r, j, ++i);
            }
        if (sim_schedule_in(r->env.ctx->sim, delay, relay_on_arrive, j, i) == 0)
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
        j->in_flight = true;
        return SIM_OK;
    }
    return j->nspent == j->path.nhops ? relay_job_finish_in(r, j, relay_xor_delay(r, j), err)
                                      : SIM_OK;
}

/* End-to-end: every hop reserved; spend them all, or give back the
 * reservations of the hops whose key went meanwhile and queue them again. */
static int relay_job_commit(relay_t *r, relay_job_t *j, int64_t now, sim_err_t *err)
{
    const uint32_t h = j->path.nhops;
    bool all = true, granted;
    int64_t delay = 0;
    int rc;

    for (uint32_t i = 0; i < h; i++) {
        const uint32_t l = j->path.links[i];
        r->lk[l].reserved -= j->hops[i].sj.bits;
        all = all && relay_free_key(r, l, now) >= j->hops[i].sj.bits;
        r->lk[l].reserved += j->hops[i].sj.bits;
    }
    if (!all) {
        for (uint32_t i = 0; i < h; i++) {
            const uint32_t l = j->path.links[i];
            r->lk[l].reserved -= j->hops[i].sj.bits;
            if (relay_free_key(r, l, now) < j->hops[i].sj.bits) {
                j->hops[i].state = RELAY_HOP_IDLE;
                j->nreserved--;
            } else {
                r->lk[l].reserved += j->hops[i].sj.bits;
            }
        }
        return relay_job_queue(r, j, now, err);
    }
    for (uint32_t i = 0; i < h; i++) {
        r->lk[j->path.links[i]].reserved -= j->hops[i].sj.bits;
        if ((rc = relay_hop_spend(r, j, i, now, &granted, err)) != SIM_OK)
            return rc;
        if (!granted)
            return sim_err_set(err, SIM_ERR_RUN, "relay: a reserved hop's key was gone: "
                               "this is a bug in qkmsim");
        delay += relay_hop_delay(r, j, i);
    }
    return relay_job_finish_in(r, j, r->cfg.method == RELAY_HOP ? delay : relay_xor_delay(r, j),
                               err);
}

/* Which hop of j the scheduler job sj is (sj is a relay_hop_t's first
 * member). */
static uint32_t relay_hop_index(const relay_job_t *j, const sched_job_t *sj)
{
    return (uint32_t)((const relay_hop_t *)(const void *)sj - j->hops);
}

/* Link l can serve: its scheduler picks jobs while its key allows. */
static int relay_serve_link(relay_t *r, uint32_t l, int64_t now, sim_err_t *err)
{
    relay_link_t *lk = &r->lk[l];
    int rc = SIM_OK;

    if (lk->serving || !relay_link_up(r, l))
        return SIM_OK;
    lk->serving = true;
    for (bool first = true;; first = false) {
        sched_job_t *sj;
        relay_job_t *j;
        uint32_t i;
        bool granted = true;
        /* An empty queue gives nothing (every policy's next returns NULL
         * without side effects); after the first pass the stores were
         * already brought up to now, so skipping the free key changes
         * nothing (it is a third of a hop's cost). */
        if (!first && lk->pol->pending(lk->st) == 0)
            break;
        if ((sj = lk->pol->next(lk->st, relay_free_key(r, l, now), now)) == NULL)
            break;
        j = sj->owner;
        i = relay_hop_index(j, sj);
        if (j->e2e) {
            j->hops[i].state = RELAY_HOP_RESERVED;
            lk->reserved += sj->bits;
            if (++j->nreserved == j->path.nhops &&
                (rc = relay_job_commit(r, j, now, err)) != SIM_OK)
                break;
            continue;
        }
        if ((rc = relay_hop_served(r, j, i, now, &granted, err)) != SIM_OK)
            break;
        if (!granted) {   /* cannot happen with the free key checked: wait */
            lk->pol->enqueue(lk->st, sj, now);
            break;
        }
    }
    lk->serving = false;
    return rc;
}

/* Hop i of a hop-by-hop job reached its far node. */
static void relay_on_arrive(sim_t *sim, void *object, uint64_t arg)
{
    relay_job_t *j = object;
    relay_t *r = j->flow->relay;
    const int64_t now = sim_now(sim);
    sim_err_t err;
    int rc = SIM_OK;
    bool found = true;

    j->in_flight = false;
    j->at = (uint32_t)arg + 1;
    if (j->at == j->path.nhops) {
        j->arg_done = true;
        relay_on_done(sim, j, 0);
        return;
    }
    if (!relay_link_up(r, j->path.links[j->at]))
        rc = relay_job_route(r, j, j->path.nodes[j->at], now, &found, &err);
    if (rc == SIM_OK && !found)
        rc = relay_job_end(r, j, RELAY_CUT, now, &err);
    else if (rc == SIM_OK)
        rc = relay_job_queue(r, j, now, &err);
    if (rc != SIM_OK)
        relay_fail(r, &err);
}

/* ---- link events */

static void relay_on_key(void *ctx, size_t device, const kstore_range_t *rg,
                         kstore_cause_t cause, int64_t now)
{
    relay_link_t *lk = ctx;
    sim_err_t err;
    (void)device, (void)rg, (void)cause;
    if (relay_serve_link(lk->relay, lk->index, now, &err) != SIM_OK)
        relay_fail(lk->relay, &err);
}

/* Job j waits on link l, which went down: find it another way. */
static int relay_job_cut(relay_t *r, relay_job_t *j, uint32_t l, int64_t now, sim_err_t *err)
{
    bool waits = false, found = false;
    uint32_t from;
    int rc;
    for (uint32_t i = 0; i < j->path.nhops; i++)
        waits = waits || (j->path.links[i] == l && (j->hops[i].state == RELAY_HOP_QUEUED ||
                                                    j->hops[i].state == RELAY_HOP_RESERVED));
    if (!waits || j->in_flight || j->arg_done)
        return SIM_OK;
    for (uint32_t i = 0; i < j->path.nhops; i++)
        relay_hop_withdraw(r, j, i);
    if (j->nspent > 0 && (j->e2e || r->cfg.method != RELAY_HOP))
        return relay_job_end(r, j, RELAY_CUT, now, err);   /* XOR halves spent: lost */
    from = j->path.nodes[j->nspent > 0 ? j->at : 0];
    if ((rc = relay_job_route(r, j, from, now, &found, err)) != SIM_OK)
        return rc;
    if (!found)
        return relay_job_end(r, j, RELAY_CUT, now, err);
    j->rerouted++;
    return relay_job_queue(r, j, now, err);
}

static void relay_on_down(sim_t *sim, void *object, uint64_t arg)
{
    relay_link_t *lk = object;
    relay_t *r = lk->relay;
    sim_err_t err;
    (void)arg;
    if (relay_link_up(r, lk->index))
        return;
    for (relay_job_t *j = r->live, *next; j != NULL; j = next) {
        next = j->lnext;
        if (relay_job_cut(r, j, lk->index, sim_now(sim), &err) != SIM_OK) {
            relay_fail(r, &err);
            return;
        }
    }
}

static void relay_on_outage(void *ctx, const link_outage_rec_t *rec)
{
    relay_link_t *lk = ctx;
    sim_err_t err;
    /* the link counts its devices up after telling: look once it has */
    if (sim_schedule_at(lk->relay->env.ctx->sim, rec->from, relay_on_down, lk, 0) == 0) {
        sim_err_set(&err, SIM_ERR_RUN, "out of memory");
        relay_fail(lk->relay, &err);
    }
}

/* ------------------------------------------------------------ flows */

static void relay_on_arrival(sim_t *sim, void *object, uint64_t arg);

/* The next job of a rate flow, gap from its rate (periodic or Poisson). */
static int relay_next_arrival(relay_t *r, relay_flow_t *f, int64_t now, sim_err_t *err)
{
    double gap_s = (double)f->job_bits / f->rate;
    int64_t at;
    if (f->rng != NULL)
        gap_s = gsl_ran_exponential(f->rng, gap_s);
    at = now + (int64_t)llround(gap_s * 1e9);
    if (at >= f->stop || at > r->env.ctx->end)
        return SIM_OK;
    if (sim_schedule_at(r->env.ctx->sim, at, relay_on_arrival, f, 0) == 0)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    return SIM_OK;
}

static void relay_on_arrival(sim_t *sim, void *object, uint64_t arg)
{
    relay_flow_t *f = object;
    relay_t *r = f->relay;
    const int64_t now = sim_now(sim);
    sim_err_t err;
    int rc = SIM_OK;
    (void)arg;
    if (f->kind == RELAY_FLOW_AMOUNT) {
        for (uint64_t left = f->amount; left > 0 && rc == SIM_OK;) {
            const uint64_t b = left < f->job_bits ? left : f->job_bits;
            rc = relay_job_start(r, f, b, now, &err);
            left -= b;
        }
    } else if (f->kind == RELAY_FLOW_RATE) {
        if ((rc = relay_job_start(r, f, f->job_bits, now, &err)) == SIM_OK)
            rc = relay_next_arrival(r, f, now, &err);
    } else {
        rc = relay_refill(r, f, now, &err);
    }
    if (rc != SIM_OK)
        relay_fail(r, &err);
}

/* DDKA: keep the global store between its thresholds. */
static int relay_refill(relay_t *r, relay_flow_t *f, int64_t now, sim_err_t *err)
{
    uint64_t want = gstore_wanted(f->gs, f->inflight);
    int rc = SIM_OK;
    while (want > 0 && rc == SIM_OK) {
        rc = relay_job_start(r, f, f->job_bits, now, err);
        want = want > f->job_bits ? want - f->job_bits : 0;
    }
    return rc;
}

int relay_start(relay_t *r, sim_err_t *err)
{
    r->running = true;
    for (size_t i = 0; i < r->nflows; i++) {
        relay_flow_t *f = r->flows[i];
        if (f->kind == RELAY_FLOW_SEND ||
            (f->kind == RELAY_FLOW_GLOBAL && gstore_config(f->gs)->supply != GSTORE_DDKA))
            continue;
        if (f->start > r->env.ctx->end)
            continue;
        if (sim_schedule_at(r->env.ctx->sim, f->start, relay_on_arrival, f, 0) == 0)
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    }
    return SIM_OK;
}

/* ---- the global stores' side of the key service */

static int relay_remote_get_key(void *rpair, uint64_t size, uint64_t number, int64_t now,
                                keysvc_grant_t *g, sim_err_t *err)
{
    relay_flow_t *f = rpair;
    kstore_range_t few[4];   /* a request takes a few ranges: no allocation */
    kstore_rangebuf_t taken = KSTORE_RANGEBUF_ON(few);
    int rc;
    *g = (keysvc_grant_t){ .granted = false };
    if (number != 0 && size > UINT64_MAX / number)
        return SIM_OK;   /* more than any store holds: 503 */
    g->bits = size * number;
    if ((rc = gstore_serve(f->gs, 0, g->bits, now, &taken, &g->granted, err)) != SIM_OK)
        goto out;
    if (g->granted) {
        g->key_stream = taken.v[0].stream;
        g->key_offset = taken.v[0].offset;
    } else if (gstore_config(f->gs)->supply == GSTORE_NEC) {
        /* on demand: relay what the request lacked */
        const uint64_t have = gstore_level(f->gs) + f->inflight;
        for (uint64_t want = g->bits > have ? g->bits - have : 0; want > 0 && rc == SIM_OK;) {
            rc = relay_job_start(f->relay, f, f->job_bits, now, err);
            want = want > f->job_bits ? want - f->job_bits : 0;
        }
    }
    if (rc == SIM_OK && gstore_config(f->gs)->supply == GSTORE_DDKA)
        rc = relay_refill(f->relay, f, now, err);
out:
    kstore_rangebuf_free(&taken);
    return rc;
}

static int relay_remote_fetch(void *rpair, const keysvc_grant_t *g, int64_t now, bool *ok,
                              sim_err_t *err)
{
    relay_flow_t *f = rpair;
    (void)now;
    *ok = true;
    return gstore_fetch(f->gs, 1, g->bits, err);
}

/* keysvc_remote_t.send: one job of `bits` for a SEND flow. */
static int relay_remote_send(void *rsend, uint64_t bits, int64_t now, keysvc_sent_fn fn,
                             void *arg, sim_err_t *err)
{
    relay_flow_t *f = rsend;
    return relay_job_start_notify(f->relay, f, bits, now, fn, arg, err);
}

const keysvc_remote_t relay_remote = {
    .bind = relay_bind_pair,
    .get_key = relay_remote_get_key,
    .fetch = relay_remote_fetch,
    .path = relay_pair_path,
    .bind_send = relay_bind_send,
    .send = relay_remote_send,
};

/* ------------------------------------------------------------ life */

int relay_finish(relay_t *r, sim_err_t *err)
{
    int rc;
    if ((rc = relay_check_globals(r, err)) != SIM_OK)
        return rc;
    if (r->nflows == 0)
        return SIM_OK;
    if ((rc = relay_make_scheds(r, err)) != SIM_OK)
        return rc;
    for (size_t l = 0; l < r->env.nlinks; l++) {
        const link_listener_t li = { .on_key = relay_on_key, .on_outage = relay_on_outage,
                                     .ctx = &r->lk[l] };
        if ((rc = link_listen(&r->env.links[l], &li, err)) != SIM_OK)
            return rc;
    }
    for (size_t i = 0; i < r->nflows; i++)
        if ((rc = relay_check_path(r, r->flows[i], err)) != SIM_OK)
            return rc;
    return SIM_OK;
}

void relay_destroy(relay_t *r)
{
    if (r == NULL)
        return;
    for (relay_job_t *j = r->live, *next; j != NULL; j = next) {
        next = j->lnext;
        relay_job_free(j);
    }
    for (relay_job_t *j = r->spare, *next; j != NULL; j = next) {
        next = j->lnext;
        relay_job_free(j);
    }
    for (size_t l = 0; r->lk != NULL && l < r->env.nlinks; l++) {
        if (r->lk[l].st != NULL)
            r->lk[l].pol->destroy(r->lk[l].st);
        free(r->lk[l].flows);
    }
    for (size_t i = 0; i < r->nflows; i++) {
        relay_flow_t *f = r->flows[i];
        gstore_destroy(f->gs);
        rng_stream_free(f->rng);
        qset_free(&f->lat);
        free(f);
    }
    free(r->flows);
    free(r->lk);
    route_destroy(r->route);
    free(r);
}

size_t relay_flow_count(const relay_t *r)
{
    return r->nflows;
}

uint64_t relay_spent(const relay_t *r)
{
    return r->spent;
}

uint64_t relay_tags(const relay_t *r)
{
    return r->tags;
}

uint64_t relay_stranded(const relay_t *r)
{
    return r->stranded;
}

void relay_flow_stats(const relay_t *r, size_t i, relay_flow_stats_t *out)
{
    const relay_flow_t *f = r->flows[i];
    *out = (relay_flow_stats_t){ .jobs = f->jobs, .done = f->done, .cut = f->cut,
                                 .refused = f->refused, .delivered = f->delivered,
                                 .spent = f->spent, .tags = f->tags, .stranded = f->stranded,
                                 .halvings = f->halvings, .demand_bps = f->demand };
}

/* Ends every job still under way at the end of the run. */
int relay_end_run(relay_t *r, int64_t end, sim_err_t *err)
{
    int rc;
    while (r->live != NULL) {
        relay_job_t *j = r->live;
        for (uint32_t i = 0; i < j->path.nhops; i++)
            relay_hop_withdraw(r, j, i);
        if ((rc = relay_job_end(r, j, j->spent > 0 ? RELAY_STRANDED : RELAY_WAITING, end,
                                err)) != SIM_OK)
            return rc;
    }
    return SIM_OK;
}
