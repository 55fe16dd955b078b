/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * storage_session.c - the session-buffer design "session" (QCC, NIST,
 * MagiQ; docs/storage-models.md, "The session design").
 *
 * Each end of a link has a common store, which receives all the link's
 * key, and one session buffer per client of the link. A client is served
 * only from its own buffer. The master key manager refills the buffers
 * from the common store: a refill hands out all the key the common store
 * holds, first to the buffers below their threshold (needy), then to the
 * other buffers with room, each time in proportion to the clients'
 * registered rates and capped by each buffer's room (water-filling). Both
 * ends move the same ranges at the same instant (no message delay).
 *
 * Refills run as events at the instant of their trigger (never inside the
 * store call that triggered them), at most one pending at a time: a move
 * or a take changes levels and states, and a refill run from inside a
 * take would see the two ends of a pair half-way through a request.
 */
#include "models/storage.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* One client's session buffer and the scratch of a refill. */
/* Its counters (sl->counters), declared in session_counters. */
enum { SESSION_ROUNDS, SESSION_MOVED };

typedef struct session_buf {
    kstore_t *pair[2];
    double weight;     /* registered rate, bit/s; 0 = gets nothing */
    uint64_t room;     /* scratch: capacity - level when the refill began */
    uint64_t give;     /* scratch: bits the refill moves into it */
    double rem;        /* scratch: fractional part of its last share */
    bool needy;        /* scratch: below its threshold when the refill began */
    bool open;         /* scratch: still takes part in the water-filling */
} session_buf_t;

typedef struct session_state {
    kstore_t *common[2];
    session_buf_t *bufs;   /* one per client, in sl->apps order */
    size_t nbufs;
    int master;            /* the end that watches the buffers and decides */
    bool started;          /* design->start ran: refills may be triggered */
    bool pending;          /* a refill is scheduled or running */
} session_state_t;

static const char *const session_attrs[] = { "buffer", "global-threshold", "master", NULL };

/* ------------------------------------------------------------ setup */

typedef struct session_params {
    uint64_t buffer;    /* size: each buffer's capacity, bits */
    double global_thr;  /* in (0, 1] */
    int master;
} session_params_t;

static int session_read_params(storage_link_t *sl, const scn_elem_t *e, session_params_t *p,
                               sim_err_t *err)
{
    static const char *const ends[] = { "a", "b", NULL };
    char what[256];
    int rc;

    *p = (session_params_t){ .buffer = sl->cfg.capacity / 10, .global_thr = 0.5,
                             .master = STORAGE_END_A };
    if (e != NULL &&
        ((rc = scn_attr_bits(e, "buffer", false, &p->buffer, err)) != SIM_OK ||
         (rc = scn_attr_double(e, "global-threshold", false, &p->global_thr, err)) != SIM_OK ||
         (rc = scn_attr_enum(e, "master", false, ends, &p->master, err)) != SIM_OK))
        return rc;
    if (p->buffer == 0) {
        snprintf(what, sizeof what, "attribute 'buffer' must be positive (its default is a "
                                    "tenth of the store's capacity of %" PRIu64 " bits)",
                 sl->cfg.capacity);
        return storage_param_error(sl, e, err, what);
    }
    if (!(p->global_thr > 0.0 && p->global_thr <= 1.0)) {
        snprintf(what, sizeof what, "attribute 'global-threshold' must lie in (0, 1], not %g",
                 p->global_thr);
        return storage_param_error(sl, e, err, what);
    }
    return SIM_OK;
}

/* buff_threshold = max(len_max, size * global_thr), the product rounded
 * up so that the threshold is never below that fraction of the buffer;
 * an error when one request of the client does not fit in its buffer. */
static int session_threshold(storage_link_t *sl, const scn_elem_t *e, const session_params_t *p,
                             const storage_app_t *app, uint64_t *thr, sim_err_t *err)
{
    const double part = ceil((double)p->buffer * p->global_thr);
    const uint64_t frac = part >= (double)p->buffer ? p->buffer : (uint64_t)part;
    char what[512];

    if (app->request_bits == UINT64_MAX) {
        snprintf(what, sizeof what, "client '%s': one GET_KEY takes more than 2^64 bits in "
                                    "the store's key format, so no session buffer can hold "
                                    "it", app->id);
        return storage_param_error(sl, e, err, what);
    }
    *thr = app->request_bits > frac ? app->request_bits : frac;
    if (*thr > p->buffer) {
        snprintf(what, sizeof what, "client '%s': one GET_KEY takes %" PRIu64 " bits, more "
                                    "than its session buffer of %" PRIu64 " bits (attribute "
                                    "'buffer')", app->id, app->request_bits, p->buffer);
        return storage_param_error(sl, e, err, what);
    }
    return SIM_OK;
}

static void session_state_change(void *ctx, kstore_t *store, kstore_state_t from,
                                 kstore_state_t to, int64_t time);

/* Makes client i's buffer pair and, at the master end, watches it. */
static int session_make_buffer(storage_link_t *sl, const scn_elem_t *e,
                               const session_params_t *p, size_t i, sim_err_t *err)
{
    session_state_t *st = sl->state;
    session_buf_t *b = &st->bufs[i];
    const storage_app_t *app = &sl->apps[i];
    kstore_config_t cfg = sl->cfg;
    char role[STORAGE_ROLE_MAX], what[256];
    int n, rc;

    n = snprintf(role, sizeof role, "session/%s", app->id);
    if (n < 0 || (size_t)n >= sizeof role) {
        snprintf(what, sizeof what, "client id '%.40s...' is too long for a store role "
                                    "(at most %d characters)", app->id,
                 STORAGE_ROLE_MAX - 1 - 8);
        return storage_param_error(sl, e, err, what);
    }
    cfg.capacity = p->buffer;
    cfg.mmin = 0;
    cfg.initial = 0;   /* the link's initial key goes to the common store */
    if ((rc = session_threshold(sl, e, p, app, &cfg.mthr, err)) != SIM_OK ||
        (rc = storage_make_stores(sl, role, &cfg, true, b->pair, err)) != SIM_OK)
        return rc;
    /* A rate that is not a positive number gives no claim on key. */
    b->weight = isfinite(app->demand) && app->demand > 0.0 ? app->demand : 0.0;
    return kstore_subscribe(b->pair[st->master], session_state_change, sl, err);
}

static int session_setup(storage_link_t *sl, const scn_elem_t *e, sim_err_t *err)
{
    session_state_t *st = calloc(1, sizeof *st);
    session_params_t p;
    int rc;

    if (st == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    sl->state = st;
    if ((rc = session_read_params(sl, e, &p, err)) != SIM_OK)
        return rc;
    st->master = p.master;
    if (sl->napps > 0 && (st->bufs = calloc(sl->napps, sizeof *st->bufs)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    st->nbufs = sl->napps;
    if ((rc = storage_make_stores(sl, "common", &sl->cfg, true, st->common, err)) != SIM_OK)
        return rc;
    for (size_t i = 0; i < st->nbufs; i++)
        if ((rc = session_make_buffer(sl, e, &p, i, err)) != SIM_OK)
            return rc;
    return SIM_OK;
}

/* ------------------------------------------------------------ refill */

/* Hamilton's largest-remainder apportionment of k bits among the open
 * buffers by weight: each share is floor(k * w / W), and the bits left
 * over go one at a time to the largest remainders (ties: client order).
 * The result, in give, sums to exactly k. */
static void session_apportion(session_buf_t *b, size_t n, uint64_t k)
{
    double total = 0.0;
    uint64_t given = 0;

    for (size_t i = 0; i < n; i++)
        if (b[i].open)
            total += b[i].weight;
    for (size_t i = 0; i < n; i++) {
        double q, f;
        uint64_t share;
        if (!b[i].open)
            continue;
        q = (double)k * (b[i].weight / total);
        f = floor(q);
        /* Rounding of the quotient must never hand out more than k. */
        share = f >= (double)k ? k : (uint64_t)f;
        if (share > k - given)
            share = k - given;
        b[i].give = share;
        b[i].rem = q - f;
        given += share;
    }
    while (given < k) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (b[i].open && b[i].rem >= 0.0 && (best == n || b[i].rem > b[best].rem))
                best = i;
        if (best == n) {
            /* Every open buffer had its extra bit: only double rounding
             * of the shares gets here; start another pass. */
            for (size_t i = 0; i < n; i++)
                b[i].rem = 0.0;
            continue;
        }
        b[best].give++;
        b[best].rem = -1.0;   /* at most one extra bit a pass */
        given++;
    }
}

/* Water-filling of *k bits among the open buffers: a buffer whose share
 * reaches its room is filled and closed, and the rest is shared again
 * among the others, until no key or no open buffer is left. On return
 * every buffer is closed and its give set. */
static void session_fill(session_buf_t *b, size_t n, uint64_t *k)
{
    for (;;) {
        bool any = false, capped = false;
        for (size_t i = 0; i < n; i++)
            any = any || b[i].open;
        if (!any)
            return;
        if (*k == 0) {
            for (size_t i = 0; i < n; i++)
                if (b[i].open) {
                    b[i].give = 0;
                    b[i].open = false;
                }
            return;
        }
        session_apportion(b, n, *k);
        for (size_t i = 0; i < n; i++)
            if (b[i].open && b[i].give >= b[i].room) {
                b[i].give = b[i].room;
                b[i].open = false;
                *k -= b[i].room;
                capped = true;
            }
        if (capped)
            continue;
        for (size_t i = 0; i < n; i++)
            if (b[i].open) {
                *k -= b[i].give;
                b[i].open = false;
            }
    }
}

/* Expires what is due now in every store, so that the levels the refill
 * reads are the levels its moves will meet. */
static void session_settle(session_state_t *st, int64_t now)
{
    storage_expire_pair(st->common, now);
    for (size_t i = 0; i < st->nbufs; i++)
        storage_expire_pair(st->bufs[i].pair, now);
}

/* Computes every buffer's give: all the common store's key, needy
 * buffers first, then the other buffers with room. */
static void session_plan(session_state_t *st)
{
    uint64_t k = kstore_level(st->common[st->master]);

    for (size_t i = 0; i < st->nbufs; i++) {
        session_buf_t *b = &st->bufs[i];
        const kstore_t *s = b->pair[st->master];
        b->room = kstore_config(s)->capacity - kstore_level(s);
        b->needy = b->weight > 0.0 && kstore_level(s) < kstore_config(s)->mthr;
        b->give = 0;
        b->open = b->needy && b->room > 0;
    }
    session_fill(st->bufs, st->nbufs, &k);
    for (size_t i = 0; i < st->nbufs; i++) {
        session_buf_t *b = &st->bufs[i];
        b->open = !b->needy && b->weight > 0.0 && b->room > 0;
    }
    session_fill(st->bufs, st->nbufs, &k);
}

/* Moves the planned bits; the needy buffers get the oldest key, as they
 * are the ones about to spend it. */
static int session_move(storage_link_t *sl, int64_t now, sim_err_t *err)
{
    session_state_t *st = sl->state;

    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < st->nbufs; i++) {
            session_buf_t *b = &st->bufs[i];
            if (b->give == 0 || b->needy != (pass == 0))
                continue;
            sim_err_clear(err);
            if (!storage_move_pair(sl, st->common, b->pair, b->give, now, err))
                return err->code != SIM_OK
                           ? err->code
                           : sim_err_set(err, SIM_ERR_RUN,
                                         "session refill: the common store could not give "
                                         "%" PRIu64 " bits to client '%s'",
                                         b->give, sl->apps[i].id);
        }
    return SIM_OK;
}

/* One refill. The caller holds st->pending, so the state changes the
 * moves cause schedule no other refill: this one sees their levels. */
static int session_refill(storage_link_t *sl, int64_t now, sim_err_t *err)
{
    session_state_t *st = sl->state;
    int rc;

    session_settle(st, now);
    session_plan(st);
    if ((rc = session_move(sl, now, err)) != SIM_OK)
        return rc;
    return storage_count(sl, SESSION_ROUNDS, 1, err);
}

static void session_on_refill(sim_t *sim, void *object, uint64_t arg)
{
    storage_link_t *sl = object;
    session_state_t *st = sl->state;
    sim_err_t err;

    (void)arg;
    if (session_refill(sl, sim_now(sim), &err) != SIM_OK) {
        storage_fail(sl, &err);
        return;
    }
    st->pending = false;
}

/* Schedules a refill at `now` unless one is pending. */
static int session_request(storage_link_t *sl, int64_t now, sim_err_t *err)
{
    session_state_t *st = sl->state;
    int rc;

    if (!st->started || st->pending)
        return SIM_OK;
    if ((rc = storage_schedule(sl, now, session_on_refill, 0, err)) != SIM_OK)
        return rc;
    st->pending = true;
    return SIM_OK;
}

/* A buffer at the master end left READY: its level fell below its
 * threshold (a request, or expiry). */
static void session_state_change(void *ctx, kstore_t *store, kstore_state_t from,
                                 kstore_state_t to, int64_t time)
{
    storage_link_t *sl = ctx;
    sim_err_t err;

    (void)store;
    if (from != KSTORE_READY || to == KSTORE_READY)
        return;
    if (session_request(sl, time, &err) != SIM_OK)
        storage_fail(sl, &err);
}

static bool session_any_needy(const session_state_t *st)
{
    for (size_t i = 0; i < st->nbufs; i++) {
        const kstore_t *s = st->bufs[i].pair[st->master];
        if (st->bufs[i].weight > 0.0 && kstore_level(s) < kstore_config(s)->mthr)
            return true;
    }
    return false;
}

/* ------------------------------------------------------------ interface */

static int session_start(storage_link_t *sl, sim_err_t *err)
{
    session_state_t *st = sl->state;
    int rc;

    /* The initial key is in the common store: refill at once. */
    st->started = true;
    st->pending = true;
    rc = session_refill(sl, sim_now(sl->ctx->sim), err);
    st->pending = false;
    return rc;
}

static int session_deliver(storage_link_t *sl, size_t device, const kstore_range_t *r,
                           kstore_cause_t cause, int64_t now, sim_err_t *err)
{
    session_state_t *st = sl->state;
    int rc;

    (void)device;
    if ((rc = storage_add_pair(st->common, r, cause, now, err)) != SIM_OK)
        return rc;
    if (st->started && !st->pending && session_any_needy(st))
        return session_request(sl, now, err);
    return SIM_OK;
}

static int session_get_key(storage_link_t *sl, size_t app, uint64_t bits, uint64_t waste,
                           int64_t now, kstore_rangebuf_t *out, uint64_t *ticket,
                           bool *granted, sim_err_t *err)
{
    session_state_t *st = sl->state;

    *ticket = 0;
    return storage_serve_pair(st->bufs[app].pair, sl->apps[app].master_end, bits, waste, now,
                              out, granted, err);
}

static const kstore_t *session_serving(const storage_link_t *sl, size_t app, int end)
{
    const session_state_t *st = sl->state;
    return st->bufs[app].pair[end];
}

static int session_fetch(storage_link_t *sl, size_t app, uint64_t ticket, uint64_t bits,
                         uint64_t waste, int64_t now, bool *ok, sim_err_t *err)
{
    session_state_t *st = sl->state;

    (void)ticket;
    (void)now;
    *ok = true;
    return storage_fetch_pair(st->bufs[app].pair, 1 - sl->apps[app].master_end, bits, waste,
                              err);
}

static void session_destroy(storage_link_t *sl)
{
    session_state_t *st = sl->state;

    if (st != NULL)
        free(st->bufs);
    free(st);
}

/* Relay takes from the common store, which the refills share out. */
static int session_take(storage_link_t *sl, int end, uint64_t bits, int64_t now,
                        kstore_rangebuf_t *out, bool *granted, sim_err_t *err)
{
    session_state_t *st = sl->state;
    return storage_relay_pair(st->common, end, bits, now, out, granted, err);
}

static const model_counter_t session_counters[] = {
    [SESSION_ROUNDS] = { .name = "rounds" },
    [SESSION_MOVED] = { .name = "moved_bits" },
    { .name = NULL },
};

const storage_design_t storage_session = {
    .name = "session",
    .params = session_attrs,
    .setup = session_setup,
    .start = session_start,
    .deliver = session_deliver,
    .get_key = session_get_key,
    .fetch = session_fetch,
    .serving = session_serving,
    .take = session_take,
    .counters = session_counters,
    .destroy = session_destroy,
};
