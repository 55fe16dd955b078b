/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * storage_collide.c - the key access collision design "collide" (Quantum
 * Canada; docs/storage-models.md, "The collide design").
 *
 * Both key managers of a link serve their own clients at once from their
 * own copy of the link's key and tell the peer which key IDs they handed
 * out; the notice reaches the peer sync-delay later. Until then the peer
 * may hand out the same key to one of its own clients: a key access
 * collision, found when the slave asks for the key by its IDs and the
 * peer no longer holds it (both requests then fail).
 *
 * remedy none           both ends take from the oldest end of one shared
 *                       store (role "shared", pair not synced);
 * remedy opposite-ends  end a takes from the oldest end, end b from the
 *                       newest end, so the two meet only when the store is
 *                       nearly empty;
 * remedy working-set    each end serves only from its own working set
 *                       (roles "ws-a", "ws-b"), granted from a synced pool
 *                       (role "pool") by a request that takes sync-delay:
 *                       the two ends never hold the same key for serving.
 *
 * Every served GET_KEY leaves a record (its ticket) with the ranges it
 * took, until the slave's fetch settles it.
 */
#include "models/storage.h"
#include "sim/grow.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { COLLIDE_NONE = 0, COLLIDE_OPPOSITE_ENDS = 1, COLLIDE_WORKING_SET = 2 };
/* Its counters (sl->counters), declared in collide_counters. */
enum { COLLIDE_MESSAGES, COLLIDE_ROUNDS, COLLIDE_MOVED, COLLIDE_COLLISIONS, COLLIDE_COLLIDED };

/* One served GET_KEY whose slave has not fetched yet. */
typedef struct collide_req {
    uint64_t ticket;
    kstore_t *mine;            /* the store it was taken from, at the master's end */
    kstore_t *peer;            /* the copy of that store at the slave's end */
    kstore_rangebuf_t ranges;  /* the key IDs the notice carries */
    uint64_t bits, waste;      /* taken at the master; format waste */
    uint64_t reserved;         /* bits the notice found and set aside at the peer */
    bool applied;              /* the notice reached the peer */
} collide_req_t;

typedef struct collide_state {
    int remedy;
    int64_t sync_delay;        /* ns */
    uint64_t working_set;      /* bits */
    kstore_t *shared[2];       /* remedies none and opposite-ends */
    kstore_t *pool[2];         /* remedy working-set: receives the link's key */
    kstore_t *ws[2][2];        /* ws[x][end]: end x's working set, held at `end` */
    bool asked[2];             /* a request for ws[x] is in flight */
    bool started;              /* design->start ran: requests may be sent */
    bool serving;              /* inside a GET_KEY's take: it asks after its notice */
    int first;                 /* the end that asks first on the next delivery */
    uint64_t next_ticket;
    collide_req_t **reqs;      /* ascending tickets */
    size_t nreqs, cap;
} collide_state_t;

static const char *const collide_params[] = { "remedy", "sync-delay", "working-set", NULL };
static const char *const collide_remedies[] = { "none", "opposite-ends", "working-set", NULL };
static const char *const collide_ws_roles[2] = { "ws-a", "ws-b" };

/* ------------------------------------------------------------ records */

static void collide_req_free(collide_req_t *q)
{
    if (q == NULL)
        return;
    kstore_rangebuf_free(&q->ranges);
    free(q);
}

/* The index of ticket's record, st->nreqs when there is none (fetched). */
static size_t collide_find(const collide_state_t *st, uint64_t ticket)
{
    size_t lo = 0, hi = st->nreqs;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (st->reqs[mid]->ticket < ticket)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < st->nreqs && st->reqs[lo]->ticket == ticket ? lo : st->nreqs;
}

/* Appends q (its ticket the largest so far); the table owns it on success. */
static int collide_insert(collide_state_t *st, collide_req_t *q, sim_err_t *err)
{
    collide_req_t **v = grow_room(st->reqs, &st->cap, st->nreqs + 1, sizeof *v, 16);
    if (v == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    st->reqs = v;
    st->reqs[st->nreqs++] = q;
    return SIM_OK;
}

static void collide_drop(collide_state_t *st, size_t i)
{
    collide_req_free(st->reqs[i]);
    memmove(&st->reqs[i], &st->reqs[i + 1], (st->nreqs - i - 1) * sizeof *st->reqs);
    st->nreqs--;
}

/* ------------------------------------------------------------ setup */

static int collide_read_params(storage_link_t *sl, const scn_elem_t *e, collide_state_t *st,
                               sim_err_t *err)
{
    char what[256];
    int rc;

    st->remedy = COLLIDE_NONE;
    st->sync_delay = 10 * SIM_MS;
    st->working_set = 64000;
    if (e != NULL &&
        ((rc = scn_attr_enum(e, "remedy", false, collide_remedies, &st->remedy, err)) !=
             SIM_OK ||
         (rc = scn_attr_time(e, "sync-delay", false, &st->sync_delay, err)) != SIM_OK ||
         (rc = scn_attr_bits(e, "working-set", false, &st->working_set, err)) != SIM_OK))
        return rc;
    if (st->sync_delay < 0)
        return storage_param_error(sl, e, err, "attribute 'sync-delay' must not be negative");
    if (st->working_set == 0)
        return storage_param_error(sl, e, err, "attribute 'working-set' must be positive");
    /* A working set that can never hold one request would refuse it for ever. */
    for (size_t i = 0; st->remedy == COLLIDE_WORKING_SET && i < sl->napps; i++)
        if (sl->apps[i].request_bits > st->working_set) {
            snprintf(what, sizeof what, "client '%.64s': one GET_KEY takes %" PRIu64 " bits, "
                                        "more than the working set of %" PRIu64 " bits "
                                        "(attribute 'working-set')",
                     sl->apps[i].id, sl->apps[i].request_bits, st->working_set);
            return storage_param_error(sl, e, err, what);
        }
    return SIM_OK;
}

static void collide_ws_state(void *ctx, kstore_t *store, kstore_state_t from,
                             kstore_state_t to, int64_t time);

/* The pool and the two working sets. A working set's copies are not
 * synced: the peer's copy keeps the key its owner handed out until the
 * notice arrives, sync-delay later. */
static int collide_make_working_sets(storage_link_t *sl, collide_state_t *st, sim_err_t *err)
{
    kstore_config_t cfg = sl->cfg;
    int rc;

    if ((rc = storage_make_stores(sl, "pool", &sl->cfg, true, st->pool, err)) != SIM_OK)
        return rc;
    cfg.capacity = st->working_set;
    cfg.mmin = 0;
    cfg.mthr = st->working_set - st->working_set / 2;   /* READY = not below half */
    cfg.initial = 0;   /* the link's initial key goes to the pool */
    cfg.reserve_min = false;
    for (int x = 0; x < 2; x++) {
        if ((rc = storage_make_stores(sl, collide_ws_roles[x], &cfg, false, st->ws[x], err)) !=
                SIM_OK ||
            (rc = kstore_subscribe(st->ws[x][x], collide_ws_state, sl, err)) != SIM_OK)
            return rc;
    }
    return SIM_OK;
}

static int collide_setup(storage_link_t *sl, const scn_elem_t *e, sim_err_t *err)
{
    collide_state_t *st = calloc(1, sizeof *st);
    int rc;

    if (st == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    sl->state = st;
    st->next_ticket = 1;
    if ((rc = collide_read_params(sl, e, st, err)) != SIM_OK)
        return rc;
    if (st->remedy == COLLIDE_WORKING_SET)
        return collide_make_working_sets(sl, st, err);
    /* Not synced: the two copies differ while notices are in flight. */
    return storage_make_stores(sl, "shared", &sl->cfg, false, st->shared, err);
}

/* ------------------------------------------------------------ working sets */

static void collide_on_grant(sim_t *sim, void *object, uint64_t arg);

/* End x asks the peer for key for its working set when its own copy is
 * below half of working-set (or a GET_KEY was just refused: a request
 * larger than the level), the pool has key, and no request of x is in
 * flight. A request that would arrive after the run is not sent. */
static int collide_ws_ask(storage_link_t *sl, int x, bool refused, int64_t now,
                          sim_err_t *err)
{
    collide_state_t *st = sl->state;
    const uint64_t level = kstore_level(st->ws[x][x]);
    int rc;

    if (!st->started || st->asked[x] || kstore_level(st->pool[x]) == 0)
        return SIM_OK;
    if (!refused && level >= st->working_set - level)
        return SIM_OK;
    if (st->sync_delay > sl->ctx->end - now)
        return SIM_OK;
    if ((rc = storage_schedule(sl, now + st->sync_delay, collide_on_grant, (uint64_t)x, err)) !=
        SIM_OK)
        return rc;
    st->asked[x] = true;
    return storage_count(sl, COLLIDE_MESSAGES, 1, err);
}

/* End x's working set left READY at x by expiry (a GET_KEY's take asks
 * itself, once its notice is on its way). */
static void collide_ws_state(void *ctx, kstore_t *store, kstore_state_t from,
                             kstore_state_t to, int64_t time)
{
    storage_link_t *sl = ctx;
    collide_state_t *st = sl->state;
    sim_err_t err;

    (void)from;
    if (to == KSTORE_READY || st->serving)
        return;
    if (collide_ws_ask(sl, store == st->ws[0][0] ? 0 : 1, false, time, &err) != SIM_OK)
        storage_fail(sl, &err);
}

/* The peer answers x's request: both ends move the same oldest pool key
 * into their copy of ws-x, as much as the pool holds and both copies have
 * room for. The peer's copy still holds what x handed out and the peer
 * has not heard of yet, so its room is the smaller one. */
static int collide_grant(storage_link_t *sl, int x, int64_t now, sim_err_t *err)
{
    collide_state_t *st = sl->state;
    uint64_t held, room, give;

    /* the levels the grant reads are the ones its move meets */
    storage_expire_pair(st->pool, now);
    storage_expire_pair(st->ws[x], now);
    held = kstore_level(st->ws[x][0]) > kstore_level(st->ws[x][1]) ? kstore_level(st->ws[x][0])
                                                                   : kstore_level(st->ws[x][1]);
    room = st->working_set > held ? st->working_set - held : 0;
    give = kstore_level(st->pool[0]) < room ? kstore_level(st->pool[0]) : room;
    sim_err_clear(err);
    if (give > 0 && !storage_move_pair(sl, st->pool, st->ws[x], give, now, err))
        return err->code != SIM_OK
                   ? err->code
                   : sim_err_set(err, SIM_ERR_RUN, "collide grant: the pool could not give "
                                                   "%" PRIu64 " bits", give);
    if (storage_count(sl, COLLIDE_ROUNDS, 1, err) != SIM_OK)
        return SIM_ERR_RUN;
    /* Cleared only now: the move's own state changes must not ask again. */
    st->asked[x] = false;
    return give > 0 ? collide_ws_ask(sl, x, false, now, err) : SIM_OK;
}

static void collide_on_grant(sim_t *sim, void *object, uint64_t arg)
{
    storage_link_t *sl = object;
    sim_err_t err;

    if (collide_grant(sl, (int)arg, sim_now(sim), &err) != SIM_OK)
        storage_fail(sl, &err);
}

/* ------------------------------------------------------------ notices */

/* The notice of q reaches the peer: it sets aside whatever of q's ranges
 * it still holds. */
static int collide_apply(collide_req_t *q, int64_t now, sim_err_t *err)
{
    int rc;

    if (q->applied)
        return SIM_OK;
    rc = kstore_remove(q->peer, q->ranges.v, q->ranges.n, KSTORE_CAUSE_RESERVED, now,
                       &q->reserved, err);
    q->applied = rc == SIM_OK;
    return rc;
}

static void collide_on_notice(sim_t *sim, void *object, uint64_t ticket)
{
    storage_link_t *sl = object;
    collide_state_t *st = sl->state;
    const size_t i = collide_find(st, ticket);
    sim_err_t err;

    if (i == st->nreqs)
        return;   /* the slave's fetch applied it earlier */
    if (collide_apply(st->reqs[i], sim_now(sim), &err) != SIM_OK)
        storage_fail(sl, &err);
}

/* ------------------------------------------------------------ interface */

static int collide_start(storage_link_t *sl, sim_err_t *err)
{
    collide_state_t *st = sl->state;
    const int64_t now = sim_now(sl->ctx->sim);
    int rc = SIM_OK;

    st->started = true;
    if (st->remedy == COLLIDE_WORKING_SET &&
        (rc = collide_ws_ask(sl, STORAGE_END_A, false, now, err)) == SIM_OK)
        rc = collide_ws_ask(sl, STORAGE_END_B, false, now, err);
    return rc;
}

/* The link's key reaches both copies of the shared store. They are not
 * kept in step (a take is known at the peer only sync-delay later), so
 * their levels differ and each end keeps what fits below its own capacity
 * and discards the rest on its own, with its own accounts. Key that one
 * end discarded and the other kept is lost to a request served from it:
 * the slave's end does not hold it, as in a collision. */
static int collide_add_each(kstore_t *copy[2], const kstore_range_t *r, kstore_cause_t cause,
                            int64_t now, sim_err_t *err)
{
    uint64_t kept = 0;
    int rc;

    if ((rc = kstore_add(copy[0], r, cause, now, &kept, err)) != SIM_OK)
        return rc;
    return kstore_add(copy[1], r, cause, now, &kept, err);
}

static int collide_deliver(storage_link_t *sl, size_t device, const kstore_range_t *r,
                           kstore_cause_t cause, int64_t now, sim_err_t *err)
{
    collide_state_t *st = sl->state;
    int rc;

    (void)device;
    if (st->remedy != COLLIDE_WORKING_SET)
        return collide_add_each(st->shared, r, cause, now, err);
    /* When both ends ask at a delivery, the first request takes the key
     * the pool has; taking turns keeps a short supply fair. */
    if ((rc = storage_add_pair(st->pool, r, cause, now, err)) != SIM_OK ||
        (rc = collide_ws_ask(sl, st->first, false, now, err)) != SIM_OK ||
        (rc = collide_ws_ask(sl, 1 - st->first, false, now, err)) != SIM_OK)
        return rc;
    st->first = 1 - st->first;
    return SIM_OK;
}

/* Takes the request's key at the master's end alone; the ranges go to
 * q->ranges. False with err untouched when there is not enough. */
static bool collide_take(const collide_state_t *st, int end, collide_req_t *q, int64_t now,
                         sim_err_t *err)
{
    if (st->remedy == COLLIDE_OPPOSITE_ENDS && end == STORAGE_END_B)
        return kstore_take_newest(q->mine, q->bits, KSTORE_CAUSE_SUPPLIED, now, &q->ranges,
                                  err);
    return kstore_take(q->mine, q->bits, KSTORE_CAUSE_SUPPLIED, now, &q->ranges, err);
}

/* Records *qp (the table owns it from then on: *qp becomes NULL), copies
 * its ranges to out and sends its notice. */
static int collide_record(storage_link_t *sl, collide_req_t **qp, int64_t now,
                          kstore_rangebuf_t *out, sim_err_t *err)
{
    collide_state_t *st = sl->state;
    collide_req_t *q = *qp;
    int rc;

    for (size_t i = 0; i < q->ranges.n; i++)
        if ((rc = kstore_rangebuf_push(out, &q->ranges.v[i], err)) != SIM_OK)
            return rc;
    q->ticket = st->next_ticket++;
    if ((rc = collide_insert(st, q, err)) != SIM_OK)
        return rc;
    *qp = NULL;
    /* A notice after the run would change nothing the run reports. */
    if (st->sync_delay > sl->ctx->end - now)
        return SIM_OK;
    return storage_schedule(sl, now + st->sync_delay, collide_on_notice, q->ticket, err);
}

/* Each end serves from its own store (its working set with that remedy). */
static const kstore_t *collide_serving(const storage_link_t *sl, size_t app, int end)
{
    const collide_state_t *st = sl->state;
    (void)app;
    return st->remedy == COLLIDE_WORKING_SET ? st->ws[end][end] : st->shared[end];
}

static int collide_get_key(storage_link_t *sl, size_t app, uint64_t bits, uint64_t waste,
                           int64_t now, kstore_rangebuf_t *out, uint64_t *ticket,
                           bool *granted, sim_err_t *err)
{
    collide_state_t *st = sl->state;
    const int end = sl->apps[app].master_end;
    const bool ws = st->remedy == COLLIDE_WORKING_SET;
    collide_req_t *q = calloc(1, sizeof *q);
    bool taken;
    int rc;

    *granted = false;
    *ticket = 0;
    if (q == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    q->mine = ws ? st->ws[end][end] : st->shared[end];
    q->peer = ws ? st->ws[end][1 - end] : st->shared[1 - end];
    q->bits = bits;
    q->waste = waste;
    sim_err_clear(err);
    st->serving = true;
    taken = collide_take(st, end, q, now, err);
    st->serving = false;
    if (!taken) {
        rc = err->code;
        if (rc == SIM_OK && ws)
            rc = collide_ws_ask(sl, end, true, now, err);
        goto out;
    }
    *ticket = st->next_ticket;
    if ((rc = kstore_count_waste(q->mine, waste, err)) != SIM_OK ||
        (rc = collide_record(sl, &q, now, out, err)) != SIM_OK)
        goto out;
    *granted = true;
    if (ws)
        rc = collide_ws_ask(sl, end, false, now, err);
out:
    collide_req_free(q);
    return rc;
}

/* The request collided: the key the peer still set aside and the key the
 * master handed out are both useless; count them as waste at both ends. */
static int collide_lost(storage_link_t *sl, const collide_req_t *q, sim_err_t *err)
{
    const uint64_t here = q->bits - q->waste;   /* the format waste is counted already */
    int rc;

    if ((rc = kstore_release_reserved(q->peer, q->reserved, err)) != SIM_OK ||
        (rc = kstore_count_waste(q->peer, q->reserved, err)) != SIM_OK ||
        (rc = kstore_count_waste(q->mine, here, err)) != SIM_OK)
        return rc;
    if ((rc = storage_count(sl, COLLIDE_COLLISIONS, 1, err)) != SIM_OK ||
        (rc = storage_count(sl, COLLIDE_COLLIDED, q->reserved, err)) != SIM_OK)
        return rc;
    return storage_count(sl, COLLIDE_COLLIDED, here, err);
}

static int collide_fetch(storage_link_t *sl, size_t app, uint64_t ticket, uint64_t bits,
                         uint64_t waste, int64_t now, bool *ok, sim_err_t *err)
{
    collide_state_t *st = sl->state;
    const size_t i = collide_find(st, ticket);
    collide_req_t *q;
    int rc;

    (void)app;
    *ok = false;
    if (i == st->nreqs)
        return sim_err_set(err, SIM_ERR_RUN, "collide: fetch of unknown ticket %" PRIu64,
                           ticket);
    q = st->reqs[i];
    if (q->bits != bits || q->waste != waste)
        return sim_err_set(err, SIM_ERR_RUN, "collide: fetch of ticket %" PRIu64 " for %" PRIu64
                                             " bits, %" PRIu64 " granted", ticket, bits, q->bits);
    /* The slave's KME must know the key IDs before it can look them up. */
    if ((rc = collide_apply(q, now, err)) != SIM_OK)
        return rc;
    *ok = q->reserved == q->bits;
    if (!*ok)
        rc = collide_lost(sl, q, err);
    else if ((rc = kstore_release_reserved(q->peer, bits, err)) == SIM_OK)
        rc = kstore_count_waste(q->peer, waste, err);
    collide_drop(st, i);
    return rc;
}

static void collide_destroy(storage_link_t *sl)
{
    collide_state_t *st = sl->state;

    if (st == NULL)
        return;
    for (size_t i = 0; i < st->nreqs; i++)
        collide_req_free(st->reqs[i]);
    free(st->reqs);
    free(st);
}

/* collisions and collided_bits are also network figures: the run report
 * and /summary/network carry them (a key access collision loses a request
 * that was answered 200, and its key is part of `wasted`). */
static const model_counter_t collide_counters[] = {
    [COLLIDE_MESSAGES] = { .name = "messages" },
    [COLLIDE_ROUNDS] = { .name = "rounds" },
    [COLLIDE_MOVED] = { .name = "moved_bits" },
    [COLLIDE_COLLISIONS] = { .name = "collisions", .network = true,
                             .report = "requests lost to key access collisions" },
    [COLLIDE_COLLIDED] = { .name = "collided_bits", .network = true, .waste = "collisions" },
    { .name = NULL },
};

/* One synchronisation notice per granted GET_KEY (requests at the
 * clients' registered demand); the working-set requests are rarer. */
static void collide_estimate(const storage_link_t *sl, int64_t end, model_estimate_t *est)
{
    for (size_t i = 0; i < sl->napps; i++)
        if (sl->apps[i].request_bits > 0)
            est->events += sl->apps[i].demand / (double)sl->apps[i].request_bits *
                           ((double)end / 1e9);
}

const storage_design_t storage_collide = {
    .name = "collide",
    .params = collide_params,
    .setup = collide_setup,
    .start = collide_start,
    .deliver = collide_deliver,
    .get_key = collide_get_key,
    .fetch = collide_fetch,
    .serving = collide_serving,
    .take = NULL,
    .no_take = "its two ends take key without coordination, so they cannot hand the same "
               "key to a relay",
    .counters = collide_counters,
    .destroy = collide_destroy,
    .estimate = collide_estimate,
};
