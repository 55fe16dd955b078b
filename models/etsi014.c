/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * etsi014.c - ETSI GS QKD 014 client pair as a load generator (etsi014.h).
 */
#include "models/etsi014.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <stddef.h>
#include <string.h>


#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))
#define F(type, member, kind) { #member, kind, offsetof(type, member) }

/* A request waiting for its time: a slave's GET_KEY_WITH_KEY_IDS (the keys
 * reserved at its KME), an unaddressed SAE's (401), or a master's retry. */
typedef enum etsi014_pending_kind {
    ETSI014_PENDING_SLAVE,
    ETSI014_PENDING_UNADDRESSED,
    ETSI014_PENDING_RETRY,
} etsi014_pending_kind_t;

typedef struct etsi014_pending {
    etsi014_t *app;
    etsi014_pending_kind_t kind;
    const keysvc_pair_t *pair;   /* SLAVE: the binding it fetches from */
    uint32_t node;               /* the caller's node */
    uint64_t bits;               /* taken from the store, waste included */
    uint64_t waste;
    uint64_t key_stream, key_offset;
    uint64_t number, size;
    keysvc_grant_t grant;        /* SLAVE: the master's GET_KEY, for the fetch */
    int64_t t_known;             /* SLAVE: ns, when its KME knows the key IDs (a relayed
                                    slave: INT64_MAX until the key arrives) */
    int64_t t_sync;              /* SLAVE, relayed: ns, grant + key-sync-delay */
    int64_t t_ask;               /* SLAVE, relayed: ns, its first ask; later asks come at
                                    t_ask + k (kme-delay + slave-delay) */
    bool relayed;                /* SLAVE: an additional slave whose key is relayed */
    bool lost;                   /* relayed: the key will never arrive */
    bool in_relay;               /* relayed: its relay job holds it (notify_arg) */
    bool waiting;                /* relayed: asked once, no event until the key arrives */
    int64_t t_first;             /* RETRY: ns, when the request first came */
    uint32_t attempt;            /* RETRY: the attempt it makes */
    struct etsi014_pending *prev, *next;
} etsi014_pending_t;

static void etsi014_log(etsi014_t *app, const etsi014_record_t *rec);
static void etsi014_log_status(etsi014_t *app, const etsi014_status_rec_t *rec);

/* ------------------------------------------------------------ scenario */

static const char *const etsi014_retries[] = { "none", "fixed", "exponential", NULL };
static const char *const etsi014_fallbacks[] = { "none", "pqc", "kdf", NULL };
static const char *const etsi014_callers[] = { "master", "slave", NULL };

static int etsi014_parse_limits(const scn_elem_t *e, etsi014_config_t *cfg, sim_err_t *err)
{
    int rc;
    if ((rc = scn_attr_bits(e, "size", false, &cfg->size, err)) != SIM_OK ||
        (rc = scn_attr_uint(e, "number", false, &cfg->number, err)) != SIM_OK ||
        (rc = scn_attr_bits(e, "min-size", false, &cfg->min_size, err)) != SIM_OK ||
        (rc = scn_attr_bits(e, "max-size", false, &cfg->max_size, err)) != SIM_OK ||
        (rc = scn_attr_bits(e, "size-multiple", false, &cfg->size_multiple, err)) != SIM_OK ||
        (rc = scn_attr_uint(e, "max-number", false, &cfg->max_number, err)) != SIM_OK ||
        (rc = scn_attr_uint(e, "max-sae-ids", false, &cfg->max_sae_ids, err)) != SIM_OK ||
        (rc = scn_attr_time(e, "slave-delay", false, &cfg->slave_delay, err)) != SIM_OK ||
        (rc = scn_attr_time(e, "kme-delay", false, &cfg->kme_delay, err)) != SIM_OK ||
        (rc = scn_attr_time(e, "key-sync-delay", false, &cfg->key_sync_delay, err)) !=
            SIM_OK ||
        (rc = scn_attr_time(e, "start", false, &cfg->start, err)) != SIM_OK ||
        (rc = scn_attr_time(e, "stop", false, &cfg->stop, err)) != SIM_OK ||
        (rc = scn_attr_uint(e, "unaddressed-every", false, &cfg->unaddressed_every, err)) !=
            SIM_OK)
        return rc;
    if (cfg->min_size > cfg->max_size)
        return scn_error(e, err, "min-size exceeds max-size");
    if (cfg->size_multiple == 0)
        return scn_error(e, err, "attribute 'size-multiple': must be positive");
    if (cfg->stop < cfg->start)
        return scn_error(e, err, "stop is before start");
    if (cfg->size > 0 && cfg->number > UINT64_MAX / cfg->size)
        return scn_error(e, err, "number * size overflows 64 bits");
    /* a request's number x size (its size up to max-size, as a replayed
     * trace may ask) must fit the 64-bit counts */
    if (cfg->max_size > 0 && cfg->max_number > UINT64_MAX / cfg->max_size)
        return scn_error(e, err, "max-number * max-size overflows 64 bits");
    return SIM_OK;
}

static int etsi014_parse_policies(const scn_elem_t *e, etsi014_config_t *cfg, sim_err_t *err)
{
    int retry = 0, fallback = 0;
    int rc;
    if ((rc = scn_attr_enum(e, "retry", false, etsi014_retries, &retry, err)) != SIM_OK ||
        (rc = scn_attr_time(e, "retry-delay", false, &cfg->retry_delay, err)) != SIM_OK ||
        (rc = scn_attr_time(e, "retry-cap", false, &cfg->retry_cap, err)) != SIM_OK ||
        (rc = scn_attr_uint(e, "max-retries", false, &cfg->max_retries, err)) != SIM_OK ||
        (rc = scn_attr_enum(e, "fallback", false, etsi014_fallbacks, &fallback, err)) !=
            SIM_OK ||
        (rc = scn_attr_time(e, "fallback-delay", false, &cfg->fallback_delay, err)) != SIM_OK)
        return rc;
    if (cfg->fallback_delay < 0)
        return scn_error(e, err, "attribute 'fallback-delay': must not be negative");
    cfg->retry = (etsi014_retry_t)retry;
    cfg->fallback = (etsi014_fallback_t)fallback;
    if (cfg->retry != ETSI014_RETRY_NONE && cfg->retry_delay <= 0)
        return scn_error(e, err, "attribute 'retry-delay': must be positive");
    if (cfg->retry_cap < cfg->retry_delay)
        return scn_error(e, err, "retry-cap is below retry-delay");
    return SIM_OK;
}

/* <get-status>: the attributes of an arrival process and `by`. */
static int etsi014_parse_status(const scn_elem_t *e, etsi014_config_t *cfg, sim_err_t *err)
{
    int by = 0;
    int rc;
    if (e == NULL)
        return SIM_OK;
    if ((rc = scn_attr_enum(e, "by", false, etsi014_callers, &by, err)) != SIM_OK ||
        (rc = arrival_config_parse(e, &cfg->status, err)) != SIM_OK)
        return rc;
    cfg->has_status = true;
    cfg->status_by_slave = by == 1;
    return SIM_OK;
}

int etsi014_config_parse(const scn_elem_t *e, int64_t end, etsi014_config_t *cfg,
                         sim_err_t *err)
{
    const scn_elem_t *arr = scn_child(e, "arrivals");
    int rc;

    *cfg = (etsi014_config_t){
        .size = 256, .number = 1, .min_size = 64, .max_size = 4096, .size_multiple = 8,
        .max_number = 128, .slave_delay = 10 * SIM_MS, .kme_delay = 1 * SIM_MS,
        .start = 0, .stop = end, .retry_delay = 100 * SIM_MS, .retry_cap = 10 * SIM_S,
    };
    if ((rc = etsi014_parse_limits(e, cfg, err)) != SIM_OK ||
        (rc = etsi014_parse_policies(e, cfg, err)) != SIM_OK)
        return rc;
    if (arr == NULL)
        return scn_error(e, err, "missing <arrivals>");
    if ((rc = arrival_config_parse(arr, &cfg->arrivals, err)) != SIM_OK)
        return rc;
    return etsi014_parse_status(scn_child(e, "get-status"), cfg, err);
}

/* ------------------------------------------------------------ occupancy */

/* Counts the departures due by `now` and integrates up to it. */
static void etsi014_occ_advance(etsi014_occupancy_t *o, int64_t now)
{
    while (o->count > 0 && o->departures[o->head] <= now) {
        const int64_t d = o->departures[o->head];
        o->area += (double)o->in_system * (double)(d - o->t_last);
        o->t_last = d;
        o->in_system--;
        o->head = o->head + 1 == o->cap ? 0 : o->head + 1;
        o->count--;
    }
    o->area += (double)o->in_system * (double)(now - o->t_last);
    o->t_last = now;
}

/* The ring position of the i-th pending departure (i <= count < cap): a
 * compare instead of a division, once or more a request. */
static size_t etsi014_occ_at(const etsi014_occupancy_t *o, size_t i)
{
    const size_t j = o->head + i;
    return j >= o->cap ? j - o->cap : j;
}

/* A request leaves the system at `when` (ns; not before the time of the
 * push: a fallback-delay may put it after later requests' departures, so
 * it is inserted in order from the tail). */
static int etsi014_occ_depart(etsi014_occupancy_t *o, int64_t when, sim_err_t *err)
{
    size_t k;

    if (o->count == o->cap) {
        const size_t cap = o->cap == 0 ? 16 : 2 * o->cap;
        int64_t *v = malloc(cap * sizeof *v);
        if (v == NULL)
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
        for (size_t i = 0; i < o->count; i++)
            v[i] = o->departures[(o->head + i) % o->cap];
        free(o->departures);
        o->departures = v;
        o->head = 0;
        o->cap = cap;
    }
    for (k = o->count; k > 0 && o->departures[etsi014_occ_at(o, k - 1)] > when; k--)
        o->departures[etsi014_occ_at(o, k)] = o->departures[etsi014_occ_at(o, k - 1)];
    o->departures[etsi014_occ_at(o, k)] = when;
    o->count++;
    return SIM_OK;
}

/* ------------------------------------------------------------ requests */

static void etsi014_fail(etsi014_t *app, sim_err_t *err)
{
    sim_err_prefix(err, "app %s", app->base.id);
    model_fail(app->base.ctx, err);
}

/* A pending record: a spare one reused, else a new one (a calloc and a
 * free per request were a hot spot, docs/performance.md). The caller sets
 * every field. NULL when out of memory. */
static etsi014_pending_t *etsi014_pending_new(etsi014_t *app)
{
    etsi014_pending_t *p = app->spare;
    if (p == NULL)
        return calloc(1, sizeof *p);
    app->spare = p->next;
    return p;
}

/* Keeps a record that is done with (not in the pending list) for reuse. */
static void etsi014_pending_free(etsi014_t *app, etsi014_pending_t *p)
{
    p->next = app->spare;
    app->spare = p;
}

static void etsi014_free_list(etsi014_pending_t *p)
{
    while (p != NULL) {
        etsi014_pending_t *next = p->next;
        free(p);
        p = next;
    }
}

static void etsi014_unlink(etsi014_t *app, etsi014_pending_t *p)
{
    if (p->prev != NULL)
        p->prev->next = p->next;
    else
        app->pending = p->next;
    if (p->next != NULL)
        p->next->prev = p->prev;
    p->prev = p->next = NULL;
}

static void etsi014_on_pending(sim_t *sim, void *object, uint64_t arg);

/* Keeps p in the pending list (freed by destroy if the run ends first). */
static void etsi014_link(etsi014_t *app, etsi014_pending_t *p)
{
    p->app = app;
    p->prev = NULL;
    p->next = app->pending;
    if (app->pending != NULL)
        app->pending->prev = p;
    app->pending = p;
}

/* Schedules p at `when` and keeps it in the pending list. On failure p is
 * recycled, unless a relay job still holds it (in_relay): then it stays
 * in the list, for destroy to free. */
static int etsi014_pend(etsi014_t *app, etsi014_pending_t *p, int64_t when, sim_err_t *err)
{
    if (sim_schedule_at(app->base.ctx->sim, when, etsi014_on_pending, p, 0) == 0) {
        if (p->in_relay)
            etsi014_link(app, p);
        else
            etsi014_pending_free(app, p);
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    }
    etsi014_link(app, p);
    return SIM_OK;
}

/* A relayed slave's first ask at or after t (ns): its asks come at t_ask +
 * k P, P = kme-delay + slave-delay (positive: checked at load). */
static int64_t etsi014_slot(const etsi014_t *app, const etsi014_pending_t *p, int64_t t)
{
    const int64_t period = app->cfg.kme_delay + app->cfg.slave_delay;
    if (t <= p->t_ask || period <= 0)
        return t > p->t_ask ? t : p->t_ask;
    return p->t_ask + (t - p->t_ask + period - 1) / period * period;
}

/* A relayed slave asked before its KME knows the key IDs (answered 400,
 * logged by the caller): its next ask is at its first slot at or after
 * t_known; while the key is still on its way it asks nothing more, and
 * etsi014_on_sent schedules that ask when the relay reports. */
static int etsi014_slave_wait(etsi014_t *app, etsi014_pending_t *p, sim_err_t *err)
{
    if (p->t_known == INT64_MAX) {
        p->waiting = true;
        etsi014_link(app, p);
        return SIM_OK;
    }
    return etsi014_pend(app, p, etsi014_slot(app, p, p->t_known), err);
}

static void etsi014_slave_request(etsi014_t *app, etsi014_pending_t *p, int64_t now)
{
    etsi014_record_t rec = {
        .t_request = now, .t_response = now + app->cfg.kme_delay, .app = app->base.index,
        .node = p->node, .kind = ETSI014_GET_KEY_WITH_KEY_IDS, .status = ETSI014_OK,
        .number = p->number, .size = p->size, .key_stream = p->key_stream,
        .key_offset = p->key_offset, .t_first = now,
    };
    sim_err_t err;
    bool ok = false;

    app->stats.slave_requests++;
    if (now < p->t_known) {   /* its KME does not know these key IDs yet: ask again */
        rec.status = ETSI014_BAD_REQUEST;
        rec.reason = ETSI014_REASON_UNKNOWN_IDS;
        app->stats.unknown_ids++;
        etsi014_log(app, &rec);
        if ((p->relayed ? etsi014_slave_wait(app, p, &err)
                        : etsi014_pend(app, p, rec.t_response + app->cfg.slave_delay, &err)) !=
            SIM_OK)
            etsi014_fail(app, &err);
        return;
    }
    if (p->relayed) {   /* the relayed key is at its KME, or lost on the way */
        ok = !p->lost;
    } else if (keysvc_fetch(p->pair, &p->grant, now, &ok, &err) != SIM_OK) {
        etsi014_fail(app, &err);
        etsi014_pending_free(app, p);
        return;
    }
    rec.status = ok ? ETSI014_OK : ETSI014_BAD_REQUEST;
    rec.reason = ok ? ETSI014_REASON_NONE : ETSI014_REASON_UNKNOWN_IDS;
    rec.bits = ok ? p->bits - p->waste : 0;
    app->stats.slave_ok += ok;
    app->stats.slave_failed += !ok;
    app->stats.unknown_ids += !ok;
    etsi014_log(app, &rec);
    etsi014_pending_free(app, p);
}

static void etsi014_unaddressed(etsi014_t *app, etsi014_pending_t *p, int64_t now)
{
    const etsi014_record_t rec = {
        .t_request = now, .t_response = now + app->cfg.kme_delay, .app = app->base.index,
        .node = p->node, .kind = ETSI014_GET_KEY_WITH_KEY_IDS, .status = ETSI014_UNAUTHORIZED,
        .number = p->number, .size = p->size, .key_stream = p->key_stream,
        .key_offset = p->key_offset, .t_first = now, .reason = ETSI014_REASON_NOT_ADDRESSED,
    };
    app->stats.unauthorized++;
    etsi014_log(app, &rec);
    etsi014_pending_free(app, p);
}

static void etsi014_get_key(etsi014_t *app, int64_t now, int64_t t_first, uint32_t attempt,
                            uint64_t size);

static void etsi014_on_pending(sim_t *sim, void *object, uint64_t arg)
{
    etsi014_pending_t *p = object;
    etsi014_t *app = p->app;
    const int64_t now = sim_now(sim);
    (void)arg;

    etsi014_unlink(app, p);
    switch (p->kind) {
    case ETSI014_PENDING_SLAVE:
        etsi014_slave_request(app, p, now);
        break;
    case ETSI014_PENDING_UNADDRESSED:
        etsi014_unaddressed(app, p, now);
        break;
    default: {
        const int64_t t_first = p->t_first;
        const uint32_t attempt = p->attempt;
        const uint64_t size = p->size;
        etsi014_pending_free(app, p);
        etsi014_get_key(app, now, t_first, attempt, size);
        break;
    }
    }
}

/* Schedules the GET_KEY_WITH_KEY_IDS of the slave bound by pair, at node,
 * for its grant g; it asks by the key IDs the master got (ids). */
static int etsi014_schedule_slave(etsi014_t *app, const keysvc_pair_t *pair, uint32_t node,
                                  const keysvc_grant_t *g, const keysvc_grant_t *ids,
                                  uint64_t size, int64_t now, etsi014_pending_kind_t kind,
                                  sim_err_t *err)
{
    etsi014_pending_t *p = etsi014_pending_new(app);
    if (p == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    *p = (etsi014_pending_t){
        .kind = kind, .pair = pair, .node = node, .bits = g->bits, .waste = g->waste,
        .key_stream = ids->key_stream, .key_offset = ids->key_offset, .number = app->cfg.number,
        .size = size, .grant = *g, .t_known = now + app->cfg.key_sync_delay,
    };
    return etsi014_pend(app, p, now + app->cfg.kme_delay + app->cfg.slave_delay, err);
}

/* keysvc_sent_fn: a relayed additional slave's key reached its KME (or
 * never will): its KME knows the key IDs (or that they are lost) from then
 * on, not before the key-sync-delay. p is in the pending list until then:
 * with its first ask still to come, or (waiting) asked once and answered
 * 400, in which case its next ask is scheduled at its first slot at or
 * after t_known. */
static void etsi014_on_sent(void *arg, int64_t now, bool delivered)
{
    etsi014_pending_t *p = arg;
    etsi014_t *app = p->app;
    sim_err_t err;

    p->in_relay = false;
    p->t_known = now > p->t_sync ? now : p->t_sync;
    p->lost = !delivered;
    if (!p->waiting)
        return;
    p->waiting = false;
    etsi014_unlink(app, p);
    if (etsi014_pend(app, p, etsi014_slot(app, p, p->t_known), &err) != SIM_OK)
        etsi014_fail(app, &err);
}

/* Schedules the GET_KEY_WITH_KEY_IDS of additional slave k, whose node
 * shares no link with the master's, and has the master's KME send it the
 * granted keys (key_bits) over the key relay; ids: the master's grant. */
static int etsi014_send_slave(etsi014_t *app, size_t k, const keysvc_grant_t *ids,
                              uint64_t size, uint64_t key_bits, int64_t now, sim_err_t *err)
{
    etsi014_pending_t *p = etsi014_pending_new(app);
    if (p == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    *p = (etsi014_pending_t){
        .kind = ETSI014_PENDING_SLAVE, .node = app->cfg.extra[k], .bits = key_bits,
        .key_stream = ids->key_stream, .key_offset = ids->key_offset,
        .number = app->cfg.number, .size = size, .t_known = INT64_MAX,
        .t_sync = now + app->cfg.key_sync_delay,
        .t_ask = now + app->cfg.kme_delay + app->cfg.slave_delay, .relayed = true,
    };
    if (etsi014_pend(app, p, p->t_ask, err) != SIM_OK)
        return SIM_ERR_RUN;
    p->in_relay = true;   /* until etsi014_on_sent, which may come before this returns */
    return keysvc_send(&app->extra_send[k], key_bits, now, etsi014_on_sent, p, err);
}

/* Gives back what the first n grants of a refused request took: the key
 * service cannot return key, so the reserved keys are fetched at once and
 * counted as discarded by the app. */
static int etsi014_discard(etsi014_t *app, const keysvc_pair_t *const *pairs,
                           const keysvc_grant_t *g, size_t n, int64_t now, sim_err_t *err)
{
    for (size_t i = 0; i < n; i++) {
        bool ok = false;
        if (keysvc_fetch(pairs[i], &g[i], now, &ok, err) != SIM_OK)
            return SIM_ERR_RUN;
        app->stats.discarded_bits += g[i].bits;
    }
    return SIM_OK;
}

/* Serves an accepted GET_KEY: key for the slave and every additional slave
 * on a node next to the master's, or none (503); on a grant, the keys are
 * sent over the key relay to every other additional slave, and each
 * slave's GET_KEY_WITH_KEY_IDS is scheduled. */
static uint32_t etsi014_serve(etsi014_t *app, uint64_t size, int64_t now,
                              etsi014_record_t *rec, sim_err_t *err)
{
    const keysvc_pair_t *pairs[ETSI014_MAX_SLAVES + 1];
    uint32_t nodes[ETSI014_MAX_SLAVES + 1];
    keysvc_grant_t g[ETSI014_MAX_SLAVES + 1];
    size_t n = 1;

    pairs[0] = &app->base.key;
    nodes[0] = app->base.slave;
    for (size_t k = 0; k < app->cfg.nextra; k++)
        if (app->extra_send[k].remote == NULL) {
            pairs[n] = &app->extra_key[k];
            nodes[n++] = app->cfg.extra[k];
        }
    for (size_t i = 0; i < n; i++) {
        if (keysvc_get_key(pairs[i], size, app->cfg.number, now, &g[i], err) != SIM_OK)
            return ETSI014_UNAVAILABLE;
        if (!g[i].granted) {
            etsi014_discard(app, pairs, g, i, now, err);
            return ETSI014_UNAVAILABLE;
        }
    }
    rec->bits = g[0].bits - g[0].waste;
    app->stats.wasted += g[0].waste;
    rec->key_stream = g[0].key_stream;
    rec->key_offset = g[0].key_offset;
    for (size_t i = 0; i < n; i++)
        if (etsi014_schedule_slave(app, pairs[i], nodes[i], &g[i], &g[0], size, now,
                                   ETSI014_PENDING_SLAVE, err) != SIM_OK)
            return ETSI014_OK;
    for (size_t k = 0; k < app->cfg.nextra; k++)
        if (app->extra_send[k].remote != NULL &&
            etsi014_send_slave(app, k, &g[0], size, app->cfg.number * size, now, err) !=
                SIM_OK)
            return ETSI014_OK;
    if (app->cfg.unaddressed_every > 0 &&
        (app->base.outcomes.ok + 1) % app->cfg.unaddressed_every == 0)
        etsi014_schedule_slave(app, pairs[0], nodes[0], &g[0], &g[0], size, now,
                               ETSI014_PENDING_UNADDRESSED, err);
    return ETSI014_OK;
}

/* The 400 reason of a GET_KEY of `size` bits, or NONE. */
static etsi014_reason_t etsi014_check(const etsi014_config_t *c, uint64_t size)
{
    if (size == 0 || size < c->min_size || size > c->max_size || size % c->size_multiple != 0)
        return ETSI014_REASON_SIZE;
    if (c->number < 1 || c->number > c->max_number)
        return ETSI014_REASON_NUMBER;
    if (c->nextra > c->max_sae_ids)
        return ETSI014_REASON_SAE_COUNT;
    return ETSI014_REASON_NONE;
}

/* ns the k-th retry (k >= 1) waits after its 503. */
static int64_t etsi014_backoff(const etsi014_config_t *c, uint32_t k)
{
    int64_t d = c->retry_delay;
    if (c->retry == ETSI014_RETRY_FIXED)
        return d;
    for (uint32_t i = 1; i < k && d < c->retry_cap; i++)
        d = d > c->retry_cap / 2 ? c->retry_cap : 2 * d;
    return d < c->retry_cap ? d : c->retry_cap;
}

/* After a 503: schedules the next attempt when the policy allows. */
static bool etsi014_retry(etsi014_t *app, const etsi014_record_t *rec, uint64_t size,
                          sim_err_t *err)
{
    const etsi014_config_t *c = &app->cfg;
    etsi014_pending_t *p;
    int64_t wait;

    if (c->retry == ETSI014_RETRY_NONE ||
        (c->max_retries > 0 && rec->attempt >= c->max_retries))
        return false;
    wait = etsi014_backoff(c, rec->attempt + 1);
    if ((p = etsi014_pending_new(app)) == NULL) {
        sim_err_set(err, SIM_ERR_RUN, "out of memory");
        return true;
    }
    *p = (etsi014_pending_t){ .kind = ETSI014_PENDING_RETRY, .t_first = rec->t_first,
                              .attempt = rec->attempt + 1, .size = size };
    app->stats.retries++;
    app->stats.retry_wait_ns += (double)wait;
    etsi014_pend(app, p, rec->t_response + wait, err);
    return true;
}

static int etsi014_add_latency(etsi014_t *app, double seconds, sim_err_t *err)
{
    if (qset_add(&app->latencies, seconds) != 0)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    return SIM_OK;
}

/* The final answer of a master request: counted, timed, and after a 503
 * served a fallback key when the app has one, answered fallback-delay
 * later (the non-ITS key exchange). */
static int etsi014_finish(etsi014_t *app, etsi014_record_t *rec, sim_err_t *err)
{
    double latency;

    if (rec->status == ETSI014_UNAVAILABLE &&
        (app->cfg.fallback == ETSI014_FALLBACK_PQC ||
         (app->cfg.fallback == ETSI014_FALLBACK_KDF && app->stats.bits > 0))) {
        rec->fallback = app->cfg.fallback;
        rec->t_response += app->cfg.fallback_delay;
        app->stats.fallback++;
        app->stats.fallback_bits += rec->number * rec->size;
    }
    latency = (double)(rec->t_response - rec->t_first);
    client_count(&app->base, rec->status);
    app->stats.bits += rec->bits;
    app->stats.latency_sum_ns += latency;
    app->stats.bad_size += rec->reason == ETSI014_REASON_SIZE;
    app->stats.bad_number += rec->reason == ETSI014_REASON_NUMBER;
    app->stats.bad_sae_count += rec->reason == ETSI014_REASON_SAE_COUNT;
    if (etsi014_occ_depart(&app->occ, rec->t_response, err) != SIM_OK)
        return SIM_ERR_RUN;
    return etsi014_add_latency(app, latency / 1e9, err);
}

/* Attempt `attempt` of a master GET_KEY that first came at t_first. */
static void etsi014_get_key(etsi014_t *app, int64_t now, int64_t t_first, uint32_t attempt,
                            uint64_t size)
{
    const etsi014_config_t *c = &app->cfg;
    etsi014_record_t rec = {
        .t_request = now, .t_response = now + c->kme_delay, .app = app->base.index,
        .node = app->base.master, .kind = ETSI014_GET_KEY, .number = c->number, .size = size,
        .t_first = t_first, .attempt = attempt,
    };
    sim_err_t err;
    bool again = false;

    sim_err_clear(&err);
    etsi014_occ_advance(&app->occ, now);
    app->occ.in_system += attempt == 0;
    rec.reason = etsi014_check(c, size);
    if (rec.reason != ETSI014_REASON_NONE) {
        rec.status = ETSI014_BAD_REQUEST;
    } else {
        rec.status = etsi014_serve(app, size, now, &rec, &err);
        if (rec.status == ETSI014_UNAVAILABLE && err.code == SIM_OK) {
            rec.reason = ETSI014_REASON_NO_KEY;
            again = etsi014_retry(app, &rec, size, &err);
            rec.retried = again;
        }
    }
    if (err.code == SIM_OK && !again)
        etsi014_finish(app, &rec, &err);
    if (err.code != SIM_OK) {
        etsi014_fail(app, &err);
        return;
    }
    etsi014_log(app, &rec);
}

static void etsi014_on_arrival(sim_t *sim, void *object, uint64_t arg)
{
    etsi014_t *app = object;
    const int64_t now = sim_now(sim);
    uint64_t size = 0, next_size = 0;
    int64_t next = 0;
    sim_err_t err;

    size = arg != 0 ? arg : app->cfg.size;
    if (arrival_next(app->arrivals, &next, &next_size) &&
        sim_schedule_at(sim, next, etsi014_on_arrival, app, next_size) == 0) {
        sim_err_set(&err, SIM_ERR_RUN, "out of memory");
        etsi014_fail(app, &err);
        return;
    }
    etsi014_get_key(app, now, now, 0, size);
}

/* GET_STATUS ("Get status") by the master or the slave: every field of the "Status" data format. */
static void etsi014_on_status(sim_t *sim, void *object, uint64_t arg)
{
    etsi014_t *app = object;
    const etsi014_config_t *c = &app->cfg;
    const int64_t now = sim_now(sim);
    const bool by_master = !c->status_by_slave;
    const kstore_t *ks = keysvc_store(&app->base.key, by_master);
    const uint32_t self = by_master ? app->base.master : app->base.slave;
    const uint32_t peer = by_master ? app->base.slave : app->base.master;
    const uint64_t key = c->size > 0 ? c->size : 1;
    int64_t next = 0;
    uint64_t ignored = 0;
    sim_err_t err;
    (void)arg;

    if (arrival_next(app->status, &next, &ignored) &&
        sim_schedule_at(sim, next, etsi014_on_status, app, 0) == 0) {
        sim_err_set(&err, SIM_ERR_RUN, "out of memory");
        etsi014_fail(app, &err);
        return;
    }
    const etsi014_status_rec_t st = {
        .t_request = now, .t_response = now + c->kme_delay, .app = app->base.index,
        .source_kme = self, .target_kme = peer, .master_sae = app->base.master,
        .slave_sae = app->base.slave, .key_size = c->size,
        .stored_key_count = ks != NULL ? kstore_level(ks) / key : 0,
        .max_key_count = ks != NULL ? kstore_config(ks)->capacity / key : 0,
        .max_key_per_request = c->max_number, .max_key_size = c->max_size,
        .min_key_size = c->min_size, .max_sae_id_count = c->max_sae_ids,
    };
    const etsi014_record_t rec = {
        .t_request = now, .t_response = now + c->kme_delay, .app = app->base.index,
        .node = self, .kind = ETSI014_GET_STATUS, .status = ETSI014_OK, .size = c->size,
        .t_first = now,
    };
    app->stats.status_requests++;
    etsi014_log(app, &rec);
    etsi014_log_status(app, &st);
}

/* Makes process cfg's instance from stream "app/<id>/<what>" and schedules
 * its first arrival with fn. */
static int etsi014_start_process(etsi014_t *app, const arrival_config_t *cfg,
                                 const char *what, sim_handler_fn fn, arrival_t **out,
                                 sim_err_t *err)
{
    const client_t *c = &app->base;
    char name[256];
    int64_t first = 0;
    uint64_t size = 0;

    snprintf(name, sizeof name, "app/%s/%s", c->id, what);
    if ((*out = arrival_create(cfg, c->ctx->seed, c->ctx->run, name, app->cfg.start,
                               app->cfg.stop)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "app %s: out of memory", c->id);
    if (arrival_next(*out, &first, &size) &&
        sim_schedule_at(c->ctx->sim, first, fn, app, size) == 0)
        return sim_err_set(err, SIM_ERR_RUN, "app %s: out of memory", c->id);
    return SIM_OK;
}

static int etsi014_start(client_t *c, sim_err_t *err)
{
    etsi014_t *app = (etsi014_t *)c;
    int rc;
    if ((rc = etsi014_start_process(app, &app->cfg.arrivals, "arrivals", etsi014_on_arrival,
                                    &app->arrivals, err)) != SIM_OK)
        return rc;
    if (app->cfg.has_status)
        return etsi014_start_process(app, &app->cfg.status, "status", etsi014_on_status,
                                     &app->status, err);
    return SIM_OK;
}

static void etsi014_destroy(client_t *c)
{
    etsi014_t *app = (etsi014_t *)c;
    etsi014_free_list(app->pending);
    etsi014_free_list(app->spare);
    arrival_free(app->arrivals);
    arrival_free(app->status);
    arrival_config_free(&app->cfg.arrivals);
    arrival_config_free(&app->cfg.status);
    free(app->occ.departures);
    qset_free(&app->latencies);
    free(app);
}

/* <additional-slave node="..."/> children: bound like the slave when the
 * master's node and theirs share a link, else sent the keys by relay. */
static int etsi014_read_slaves(const client_env_t *env, const scn_elem_t *e, etsi014_t *app,
                               sim_err_t *err)
{
    client_t *c = &app->base;
    etsi014_config_t *cfg = &app->cfg;
    const keysvc_send_demand_t demand = {
        .bits = cfg->size * cfg->number, .rate = c->rate, .start = cfg->start,
        .stop = cfg->stop,
    };
    int rc;

    for (const scn_elem_t *s = scn_child(e, "additional-slave"); s != NULL;
         s = scn_next_sibling(s, "additional-slave")) {
        uint32_t node = 0;
        if (cfg->nextra == ETSI014_MAX_SLAVES)
            return scn_error(s, err, "more than %d additional slaves", ETSI014_MAX_SLAVES);
        if ((rc = env->node(env, s, "node", &node, err)) != SIM_OK)
            return rc;
        if (node == c->master || node == c->slave)
            return scn_error(s, err, "node '%s' is already the master's or the slave's",
                             env->node_id(env, node));
        for (size_t i = 0; i < cfg->nextra; i++)
            if (cfg->extra[i] == node)
                return scn_error(s, err, "node '%s' is named twice", env->node_id(env, node));
        if (env->adjacent(env, c->master, node))
            rc = env->bind(env, s, c->id, c->master, node, cfg->size, cfg->number, c->rate,
                           &app->extra_key[cfg->nextra], err);
        else   /* the master's KME sends it the keys over the key relay */
            rc = env->bind_send(env, s, c->id, c->master, node, &demand,
                                &app->extra_send[cfg->nextra], err);
        if (rc != SIM_OK)
            return rc;
        cfg->extra[cfg->nextra++] = node;
    }
    return SIM_OK;
}

/* A slave asked to come back (key-sync-delay, or a relayed additional
 * slave) comes back kme-delay + slave-delay later: 0 would ask again and
 * again at one instant. */
static int etsi014_check_asks(const scn_elem_t *e, const etsi014_t *app, sim_err_t *err)
{
    const etsi014_config_t *c = &app->cfg;
    bool relayed = false;
    for (size_t k = 0; k < c->nextra; k++)
        relayed = relayed || app->extra_send[k].remote != NULL;
    if (c->kme_delay + c->slave_delay > 0 || (c->key_sync_delay <= 0 && !relayed))
        return SIM_OK;
    return scn_error(e, err, "kme-delay + slave-delay is not positive, but its slaves may be told to ask "
                     "again (%s): they would ask again and again at one instant",
                     c->key_sync_delay > 0 ? "key-sync-delay is positive"
                                           : "an additional slave's key is relayed");
}

/* Warns (the run goes on) about requests that can never be served. */
static void etsi014_warn(const client_env_t *env, const scn_elem_t *e,
                         const etsi014_config_t *c)
{
    const uint64_t trace_max = arrival_max_size(&c->arrivals);
    char m[320];

    if (env->warn == NULL)
        return;
    m[0] = '\0';
    if (c->size == 0 || c->size < c->min_size || c->size > c->max_size)
        snprintf(m, sizeof m, "size %" PRIu64 " bits is outside min-size..max-size (%" PRIu64
                 "..%" PRIu64 "): every GET_KEY of that size will be answered 400",
                 c->size, c->min_size, c->max_size);
    else if (c->size % c->size_multiple != 0)
        snprintf(m, sizeof m, "size %" PRIu64 " bits is not a multiple of %" PRIu64
                 " (size-multiple; ETSI GS QKD 014 keys are whole bytes): every GET_KEY "
                 "of that size will be answered 400", c->size, c->size_multiple);
    if (m[0] != '\0')
        env->warn(env, e, m);
    if (trace_max > c->max_size) {
        snprintf(m, sizeof m, "its arrivals trace asks for %" PRIu64 " bits, above max-size %"
                 PRIu64 ": those requests will be answered 400", trace_max, c->max_size);
        env->warn(env, e, m);
    }
    if (c->number < 1 || c->number > c->max_number) {
        snprintf(m, sizeof m, "number %" PRIu64 " is outside 1..max-number (%" PRIu64
                 "): every GET_KEY will be answered 400", c->number, c->max_number);
        env->warn(env, e, m);
    }
    if (c->nextra > c->max_sae_ids) {
        snprintf(m, sizeof m, "%zu additional slaves exceed max-sae-ids %" PRIu64
                 ": every GET_KEY will be answered 400", c->nextra, c->max_sae_ids);
        env->warn(env, e, m);
    }
}

static int etsi014_create(const client_env_t *env, const scn_elem_t *e, client_t **out,
                          sim_err_t *err)
{
    etsi014_t *app = calloc(1, sizeof *app);
    client_t *c;
    int rc;

    *out = NULL;
    if (app == NULL)   /* &app->base of a null app would be undefined */
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    c = &app->base;
    *out = c;
    if ((rc = scn_attr_string(e, "id", true, &c->id, err)) != SIM_OK ||
        (rc = env->node(env, e, "master", &c->master, err)) != SIM_OK ||
        (rc = env->node(env, e, "slave", &c->slave, err)) != SIM_OK ||
        (rc = etsi014_config_parse(e, env->end, &app->cfg, err)) != SIM_OK)
        return rc;
    if (c->master == c->slave)
        return scn_error(e, err, "master and slave are the same node '%s'",
                         env->node_id(env, c->master));
    c->size = app->cfg.size;
    c->number = app->cfg.number;
    c->rate = arrival_mean_rate(&app->cfg.arrivals);
    if ((rc = etsi014_read_slaves(env, e, app, err)) != SIM_OK ||
        (rc = etsi014_check_asks(e, app, err)) != SIM_OK)
        return rc;
    etsi014_warn(env, e, &app->cfg);
    return SIM_OK;
}

/* ------------------------------------------------------------ output */

static const trace_field_t etsi014_request_fields[] = {
    F(etsi014_record_t, t_request, TRACE_I64), F(etsi014_record_t, t_response, TRACE_I64),
    F(etsi014_record_t, app, TRACE_U32),       F(etsi014_record_t, node, TRACE_U32),
    F(etsi014_record_t, kind, TRACE_U32),      F(etsi014_record_t, status, TRACE_U32),
    F(etsi014_record_t, number, TRACE_U64),    F(etsi014_record_t, size, TRACE_U64),
    F(etsi014_record_t, bits, TRACE_U64),      F(etsi014_record_t, key_stream, TRACE_U64),
    F(etsi014_record_t, key_offset, TRACE_U64), F(etsi014_record_t, t_first, TRACE_I64),
    F(etsi014_record_t, attempt, TRACE_U32),   F(etsi014_record_t, reason, TRACE_U32),
    F(etsi014_record_t, fallback, TRACE_U32),  F(etsi014_record_t, retried, TRACE_U32),
};

static const trace_field_t etsi014_status_fields[] = {
    F(etsi014_status_rec_t, t_request, TRACE_I64),
    F(etsi014_status_rec_t, t_response, TRACE_I64),
    F(etsi014_status_rec_t, app, TRACE_U32),
    F(etsi014_status_rec_t, source_kme, TRACE_U32),
    F(etsi014_status_rec_t, target_kme, TRACE_U32),
    F(etsi014_status_rec_t, master_sae, TRACE_U32),
    F(etsi014_status_rec_t, slave_sae, TRACE_U32),
    F(etsi014_status_rec_t, key_size, TRACE_U64),
    F(etsi014_status_rec_t, stored_key_count, TRACE_U64),
    F(etsi014_status_rec_t, max_key_count, TRACE_U64),
    F(etsi014_status_rec_t, max_key_per_request, TRACE_U64),
    F(etsi014_status_rec_t, max_key_size, TRACE_U64),
    F(etsi014_status_rec_t, min_key_size, TRACE_U64),
    F(etsi014_status_rec_t, max_sae_id_count, TRACE_U64),
};

/* One /summary/apps row. */
typedef struct etsi014_sum {
    uint32_t app;
    uint64_t requests, ok, bad_request, unavailable, slave_requests, slave_ok, bits;
    double mean_latency_s, served_fraction;
    uint64_t wasted;             /* format waste at one end, bits */
    uint64_t slave_failed;       /* GET_KEY_WITH_KEY_IDS answered 400 */
    /* What ETSI 014's statuses, retries and fallback add (etsi014_sum_more). */
    uint64_t unauthorized, bad_size, bad_number, bad_sae_count, unknown_ids;
    uint64_t status_requests, retries;
    double retry_wait_s;         /* sum of back-off delays */
    double latency_p50_s, latency_p95_s, latency_p99_s;
    uint64_t fallback, fallback_bits, discarded_bits;
    double mean_in_system;       /* time-average requests from first try to final answer */
    uint64_t in_system_at_end;
} etsi014_sum_t;

static const trace_field_t etsi014_sum_fields[] = {
    F(etsi014_sum_t, app, TRACE_U32),           F(etsi014_sum_t, requests, TRACE_U64),
    F(etsi014_sum_t, ok, TRACE_U64),            F(etsi014_sum_t, bad_request, TRACE_U64),
    F(etsi014_sum_t, unavailable, TRACE_U64),   F(etsi014_sum_t, slave_requests, TRACE_U64),
    F(etsi014_sum_t, slave_ok, TRACE_U64),      F(etsi014_sum_t, bits, TRACE_U64),
    F(etsi014_sum_t, mean_latency_s, TRACE_F64), F(etsi014_sum_t, served_fraction, TRACE_F64),
    F(etsi014_sum_t, wasted, TRACE_U64),        F(etsi014_sum_t, slave_failed, TRACE_U64),
    F(etsi014_sum_t, unauthorized, TRACE_U64),  F(etsi014_sum_t, bad_size, TRACE_U64),
    F(etsi014_sum_t, bad_number, TRACE_U64),    F(etsi014_sum_t, bad_sae_count, TRACE_U64),
    F(etsi014_sum_t, unknown_ids, TRACE_U64),   F(etsi014_sum_t, status_requests, TRACE_U64),
    F(etsi014_sum_t, retries, TRACE_U64),       F(etsi014_sum_t, retry_wait_s, TRACE_F64),
    F(etsi014_sum_t, latency_p50_s, TRACE_F64), F(etsi014_sum_t, latency_p95_s, TRACE_F64),
    F(etsi014_sum_t, latency_p99_s, TRACE_F64), F(etsi014_sum_t, fallback, TRACE_U64),
    F(etsi014_sum_t, fallback_bits, TRACE_U64), F(etsi014_sum_t, discarded_bits, TRACE_U64),
    F(etsi014_sum_t, mean_in_system, TRACE_F64), F(etsi014_sum_t, in_system_at_end, TRACE_U64),
};

/* The kind's network counters (summary hook, net[]). */
enum {
    ETSI014_NET_SLAVE_FAILED,
    ETSI014_NET_UNAUTHORIZED,
    ETSI014_NET_RETRIES,
    ETSI014_NET_FALLBACK,
};
static const model_counter_t etsi014_counters[] = {
    [ETSI014_NET_SLAVE_FAILED] = { .name = "slave_failed", .network = true },
    [ETSI014_NET_UNAUTHORIZED] = { .name = "unauthorized", .network = true,
                                   .report = "requests answered 401 (not addressed)" },
    [ETSI014_NET_RETRIES] = { .name = "retries", .network = true,
                              .report = "GET_KEY retries after 503" },
    [ETSI014_NET_FALLBACK] = { .name = "fallback", .network = true,
                               .report = "requests served a non-ITS fallback key" },
    { .name = NULL },
};

/* Every request (GET_KEY and GET_KEY_WITH_KEY_IDS alike) of the client
 * counts; "sampled" keeps the 1st, (every+1)-th, ... of them; every one
 * goes to the client's aggregates (client_record: nothing unless the
 * trace aggregates). */
static void etsi014_log(etsi014_t *app, const etsi014_record_t *rec)
{
    sim_err_t err;
    const uint64_t k = app->logged++;
    client_record(&app->base, rec->kind, rec->status, rec->t_response - rec->t_request,
                  rec->bits);
    if (app->log == NULL || !client_log_keeps(&app->out, k))
        return;
    if (trace_append(app->log, rec, &err) != SIM_OK)
        model_fail(app->base.ctx, &err);
}

/* The request log's reason and fallback names and the /status table. */
static int etsi014_trace_open_more(trace_t *trace, client_t *const *clients, size_t n,
                                   sim_err_t *err)
{
    trace_table_t *st;
    if (trace_attr_string(trace, "/requests", "reason_names",
                          "0=NONE,1=SIZE,2=NUMBER,3=UNKNOWN_KEY_IDS,4=SAE_ID_COUNT,"
                          "5=NOT_ADDRESSED,6=NOT_ENOUGH_KEY",
                          err) != SIM_OK ||
        trace_attr_string(trace, "/requests", "fallback_names", "0=NONE,1=PQC,2=KDF", err) !=
            SIM_OK)
        return SIM_ERR_RUN;
    st = trace_table_create_large(trace, "/status", sizeof(etsi014_status_rec_t),
                                  etsi014_status_fields, NFIELDS(etsi014_status_fields), err);
    if (st == NULL)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < n; i++)
        ((etsi014_t *)clients[i])->status_log = st;
    return SIM_OK;
}

/* GET_STATUS rows follow the request log's rule (client_log_keeps, their
 * own count): none under "aggregate" or "off"; the summary counts them. */
static void etsi014_log_status(etsi014_t *app, const etsi014_status_rec_t *rec)
{
    sim_err_t err;
    if (app->status_log == NULL || !client_log_keeps(&app->out, app->status_logged++))
        return;
    if (trace_append(app->status_log, rec, &err) != SIM_OK)
        model_fail(app->base.ctx, &err);
}

static int etsi014_trace_open(trace_t *trace, const client_output_t *out,
                              client_t *const *clients, size_t n, sim_err_t *err)
{
    trace_table_t *t = trace_table_create_large(trace, "/requests", sizeof(etsi014_record_t),
                                                etsi014_request_fields,
                                                NFIELDS(etsi014_request_fields), err);
    if (t == NULL ||
        trace_attr_string(trace, "/requests", "kind_names",
                          "1=GET_KEY,2=GET_KEY_WITH_KEY_IDS,3=GET_STATUS", err) != SIM_OK ||
        trace_attr_string(trace, "/requests", "status_names",
                          "200=OK,400=BAD_REQUEST,401=UNAUTHORIZED,503=SERVICE_UNAVAILABLE",
                          err) != SIM_OK ||
        etsi014_trace_open_more(trace, clients, n, err) != SIM_OK)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < n; i++) {
        ((etsi014_t *)clients[i])->log = t;
        ((etsi014_t *)clients[i])->out = *out;
    }
    return SIM_OK;
}

/* The columns of statuses, retries, latency percentiles (GSL, over the
 * final answers of master requests), fallback and occupancy. */
static int etsi014_sum_more(etsi014_t *app, int64_t end, etsi014_sum_t *row, sim_err_t *err)
{
    const etsi014_stats_t *s = &app->stats;
    qset_t *lat = &app->latencies;

    etsi014_occ_advance(&app->occ, end);
    if (qset_quantile(lat, 0.50, &row->latency_p50_s) != 0 ||
        qset_quantile(lat, 0.95, &row->latency_p95_s) != 0 ||
        qset_quantile(lat, 0.99, &row->latency_p99_s) != 0)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    row->unauthorized = s->unauthorized;
    row->bad_size = s->bad_size;
    row->bad_number = s->bad_number;
    row->bad_sae_count = s->bad_sae_count;
    row->unknown_ids = s->unknown_ids;
    row->status_requests = s->status_requests;
    row->retries = s->retries;
    row->retry_wait_s = s->retry_wait_ns / 1e9;
    row->fallback = s->fallback;
    row->fallback_bits = s->fallback_bits;
    row->discarded_bits = s->discarded_bits;
    row->mean_in_system = end > 0 ? app->occ.area / (double)end : 0.0;
    row->in_system_at_end = app->occ.in_system;
    return SIM_OK;
}

static int etsi014_summary(trace_t *trace, client_t *const *clients, size_t n, int64_t end,
                           uint64_t *net, sim_err_t *err)
{
    trace_table_t *t = trace_table_create(trace, "/summary/apps", sizeof(etsi014_sum_t),
                                          etsi014_sum_fields, NFIELDS(etsi014_sum_fields),
                                          err);
    if (t == NULL)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < n; i++) {
        const etsi014_t *app = (const etsi014_t *)clients[i];
        const client_outcomes_t *o = &app->base.outcomes;
        const etsi014_stats_t *s = &app->stats;
        etsi014_sum_t row = {
            .app = app->base.index, .requests = o->requests, .ok = o->ok,
            .bad_request = o->bad_request, .unavailable = o->unavailable,
            .slave_requests = s->slave_requests, .slave_ok = s->slave_ok, .bits = s->bits,
            .mean_latency_s = o->requests > 0 ? s->latency_sum_ns / 1e9 / (double)o->requests
                                              : 0.0,
            .served_fraction = o->requests > 0 ? (double)o->ok / (double)o->requests : 0.0,
            .wasted = s->wasted, .slave_failed = s->slave_failed,
        };
        if (etsi014_sum_more((etsi014_t *)clients[i], end, &row, err) != SIM_OK)
            return SIM_ERR_RUN;
        net[ETSI014_NET_SLAVE_FAILED] += s->slave_failed;
        net[ETSI014_NET_UNAUTHORIZED] += s->unauthorized;
        net[ETSI014_NET_RETRIES] += s->retries;
        net[ETSI014_NET_FALLBACK] += s->fallback;
        if (trace_append(t, &row, err) != SIM_OK)
            return SIM_ERR_RUN;
    }
    return SIM_OK;
}

/* Every request counted as served: two events (the GET_KEY, the slave's
 * GET_KEY_WITH_KEY_IDS), two /requests rows and two level changes (the
 * key leaves the master's store and the slave's). */
static void etsi014_estimate(const client_t *c, int64_t end, model_estimate_t *est)
{
    const etsi014_t *app = (const etsi014_t *)c;
    const int64_t stop = app->cfg.stop < end ? app->cfg.stop : end;
    const double requests =
        stop > app->cfg.start ? app->base.rate * ((double)(stop - app->cfg.start) / 1e9) : 0;
    const size_t row = trace_row_bytes(etsi014_request_fields, NFIELDS(etsi014_request_fields));

    est->events += 2 * requests;
    est->level_rows += 2 * requests;
    est->request_bytes += 2 * requests * (double)row;
    est->request_rows += 2 * requests;
}

const client_kind_t etsi014_kind = {
    .element = "etsi014",
    .create = etsi014_create,
    .start = etsi014_start,
    .destroy = etsi014_destroy,
    .trace_open = etsi014_trace_open,
    .summary = etsi014_summary,
    .counters = etsi014_counters,
    .estimate = etsi014_estimate,
};
