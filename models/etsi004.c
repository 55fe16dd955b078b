/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * etsi004.c - ETSI GS QKD 004 key-stream sessions as a load generator
 * (etsi004.h).
 */
#include "models/etsi004.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rstat.h>

#include "models/link.h"
#include "sim/grow.h"
#include "sim/qset.h"

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))
#define F(type, member, kind) { #member, kind, offsetof(type, member) }

/* The fixed key stream ID an application with key-stream-id="fixed" asks. */
#define ETSI004_FIXED_KSID 1

/* ============================================================ admission */

typedef struct etsi004_reserve {
    uint32_t link;
    double mean_bps, reserved;
} etsi004_reserve_t;

struct etsi004_admit {
    size_t refs;
    etsi004_reserve_t *v;   /* grows by doubling; few links per run use it */
    size_t n, cap;
};

etsi004_admit_t *etsi004_admit_create(void)
{
    etsi004_admit_t *a = calloc(1, sizeof *a);
    if (a != NULL)
        a->refs = 1;
    return a;
}

void etsi004_admit_retain(etsi004_admit_t *a)
{
    a->refs++;
}

void etsi004_admit_release(etsi004_admit_t *a)
{
    if (a == NULL || --a->refs > 0)
        return;
    free(a->v);
    free(a);
}

static etsi004_reserve_t *etsi004_admit_find(const etsi004_admit_t *a, uint32_t link)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].link == link)
            return &a->v[i];
    return NULL;
}

int etsi004_admit_add(etsi004_admit_t *a, uint32_t link, double mean_bps, sim_err_t *err)
{
    if (etsi004_admit_find(a, link) != NULL)
        return SIM_OK;
    etsi004_reserve_t *v = grow_room(a->v, &a->cap, a->n + 1, sizeof *v, 8);
    if (v == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    a->v = v;
    a->v[a->n++] = (etsi004_reserve_t){ .link = link, .mean_bps = mean_bps };
    return SIM_OK;
}

/* Reservations are sums of a few rates; a relative slack of 1e-9 keeps an
 * exact fit (three sessions of a third of the rate) from failing by
 * rounding. */
static double etsi004_left(const etsi004_reserve_t *r)
{
    return r->mean_bps * (1.0 + 1e-9) - r->reserved;
}

bool etsi004_admit_reserve(etsi004_admit_t *a, const keysvc_hop_t *hops, size_t n, double bps,
                           double *left)
{
    double least = INFINITY;
    bool fits = true;
    for (size_t i = 0; i < n; i++) {
        const etsi004_reserve_t *r = etsi004_admit_find(a, hops[i].link);
        const double l = r != NULL ? etsi004_left(r) : 0.0;
        least = l / hops[i].cost < least ? l / hops[i].cost : least;
        fits = fits && l >= bps * hops[i].cost;
    }
    if (left != NULL)
        *left = least > 0.0 ? least : 0.0;
    if (!fits)
        return false;
    for (size_t i = 0; i < n; i++)
        etsi004_admit_find(a, hops[i].link)->reserved += bps * hops[i].cost;
    return true;
}

void etsi004_admit_free(etsi004_admit_t *a, const keysvc_hop_t *hops, size_t n, double bps)
{
    for (size_t i = 0; i < n; i++) {
        etsi004_reserve_t *r = etsi004_admit_find(a, hops[i].link);
        const double b = bps * hops[i].cost;
        if (r != NULL)
            r->reserved = r->reserved > b ? r->reserved - b : 0.0;
    }
}

bool etsi004_admit_state(const etsi004_admit_t *a, uint32_t link, double *reserved,
                         double *mean_bps)
{
    const etsi004_reserve_t *r = etsi004_admit_find(a, link);
    if (r == NULL)
        return false;
    *reserved = r->reserved;
    *mean_bps = r->mean_bps;
    return true;
}

/* ============================================================ configuration */

static const char *const etsi004_admissions[] = { "none", "min", "max", NULL };
static const char *const etsi004_ksids[] = { "assigned", "fixed", NULL };

static int etsi004_qos_parse(const scn_elem_t *q, etsi004_qos_t *qos, sim_err_t *err)
{
    uint64_t priority = 0;
    int rc;

    if (q == NULL)
        return SIM_OK;   /* the caller names the missing element */
    if ((rc = scn_attr_uint(q, "key-chunk-size", false, &qos->key_chunk_size, err)) !=
            SIM_OK ||
        (rc = scn_attr_rate(q, "max-bps", true, &qos->max_bps, err)) != SIM_OK ||
        (rc = scn_attr_rate(q, "min-bps", false, &qos->min_bps, err)) != SIM_OK ||
        (rc = scn_attr_time(q, "jitter", false, &qos->jitter, err)) != SIM_OK ||
        (rc = scn_attr_uint(q, "priority", false, &priority, err)) != SIM_OK ||
        (rc = scn_attr_time(q, "timeout", false, &qos->timeout, err)) != SIM_OK ||
        (rc = scn_attr_time(q, "ttl", false, &qos->ttl, err)) != SIM_OK)
        return rc;
    if (qos->key_chunk_size < 1 || qos->key_chunk_size > UINT64_MAX / 8)
        return scn_error(q, err, "attribute 'key-chunk-size': must be at least 1 byte");
    if (!(qos->max_bps > 0.0))
        return scn_error(q, err, "attribute 'max-bps': must be positive");
    if (qos->min_bps > qos->max_bps)
        return scn_error(q, err, "min-bps exceeds max-bps");
    if (priority > UINT32_MAX)
        return scn_error(q, err, "attribute 'priority': more than %u", (unsigned)UINT32_MAX);
    if (qos->ttl <= 0)
        return scn_error(q, err, "attribute 'ttl': must be positive");
    qos->priority = (uint32_t)priority;
    return SIM_OK;
}

static int etsi004_sessions_parse(const scn_elem_t *s, etsi004_config_t *cfg, sim_err_t *err)
{
    const bool has_count = scn_attr(s, "count") != NULL;
    int rc;

    cfg->arrivals = scn_attr(s, "process") != NULL || scn_attr(s, "rate") != NULL ||
                    scn_attr(s, "file") != NULL;
    if ((rc = scn_attr_uint(s, "count", false, &cfg->count, err)) != SIM_OK ||
        (rc = scn_attr_time(s, "duration", false, &cfg->duration, err)) != SIM_OK ||
        (rc = scn_attr_time(s, "start", false, &cfg->start, err)) != SIM_OK ||
        (rc = scn_attr_time(s, "stop", false, &cfg->stop, err)) != SIM_OK)
        return rc;
    if (!cfg->arrivals && !has_count)
        return scn_error(s, err, "give an arrival process of openings (a rate or a trace "
                                 "file), a count, or both");
    if (cfg->duration <= 0)
        return scn_error(s, err, "attribute 'duration': must be positive");
    if (cfg->stop < cfg->start)
        return scn_error(s, err, "stop is before start");
    return cfg->arrivals ? arrival_config_parse(s, &cfg->openings, err) : SIM_OK;
}

int etsi004_config_parse(const scn_elem_t *e, int64_t end, etsi004_config_t *cfg,
                         sim_err_t *err)
{
    const scn_elem_t *q = scn_child(e, "qos"), *s = scn_child(e, "sessions");
    int admission = 0, ksid = 0;
    int rc;

    *cfg = (etsi004_config_t){
        .qos = { .key_chunk_size = 32, .timeout = 0, .ttl = INT64_MAX },
        .metadata_size = 1024, .kme_metadata = 0,
        .peer_delay = 10 * SIM_MS, .kme_delay = 1 * SIM_MS, .poll = 10 * SIM_MS,
        .count = UINT64_MAX, .duration = INT64_MAX, .start = 0, .stop = end,
    };
    if ((rc = scn_attr_enum(e, "admission", false, etsi004_admissions, &admission, err)) !=
            SIM_OK ||
        (rc = scn_attr_enum(e, "key-stream-id", false, etsi004_ksids, &ksid, err)) != SIM_OK ||
        (rc = scn_attr_uint(e, "metadata-size", false, &cfg->metadata_size, err)) != SIM_OK ||
        (rc = scn_attr_uint(e, "kme-metadata", false, &cfg->kme_metadata, err)) != SIM_OK ||
        (rc = scn_attr_time(e, "peer-delay", false, &cfg->peer_delay, err)) != SIM_OK ||
        (rc = scn_attr_time(e, "kme-delay", false, &cfg->kme_delay, err)) != SIM_OK ||
        (rc = scn_attr_time(e, "poll", false, &cfg->poll, err)) != SIM_OK)
        return rc;
    if (cfg->poll <= 0)
        return scn_error(e, err, "attribute 'poll': must be positive");
    if (q == NULL)
        return scn_error(e, err, "missing <qos>");
    if (s == NULL)
        return scn_error(e, err, "missing <sessions>");
    if ((rc = etsi004_qos_parse(q, &cfg->qos, err)) != SIM_OK ||
        (rc = etsi004_sessions_parse(s, cfg, err)) != SIM_OK)
        return rc;
    cfg->admission = (etsi004_admission_t)admission;
    cfg->ksid = (etsi004_ksid_t)ksid;
    return SIM_OK;
}

void etsi004_config_free(etsi004_config_t *cfg)
{
    if (cfg->arrivals)
        arrival_config_free(&cfg->openings);
}

/* ============================================================ the client */

/* One key-stream session. Kept until the client is destroyed (its row is
 * written at the end); its pending events are cancelled at close. */
typedef struct etsi004_session {
    struct etsi004 *app;
    uint64_t number;          /* the client's session number, from 0 */
    uint64_t ksid;            /* key stream ID */
    uint32_t status;          /* the source's OPEN_CONNECT answer */
    uint32_t cause;           /* etsi004_cause */
    bool admitted, open, peer_connected;
    double reserved;          /* bit/s: the ask reserved (rate delivered to the pair) */
    keysvc_hop_t *hops;       /* owned: the path's links reserved on (admitted) or
                                 asked on (refused with 7), for /session_links; NULL none */
    size_t nhops;             /* links of hops */
    int64_t released;         /* ns: when the reservation was released; -1 not (yet) */
    double link_reserved;     /* bit/s: the most reserved on one of those links */
    double offered;           /* bit/s: the counter-proposal of a status 7 */
    int64_t opened, peer_at, closed;   /* ns; peer_at -1: never */
    uint64_t index;           /* the next key index */
    uint64_t delivered, peer_bits;     /* bits received by source and destination */
    uint64_t timeouts, insufficient, peer_missing, metadata;
    uint64_t src_meta, dst_meta;       /* bytes: the two ends' metadata buffers */
    int64_t due;              /* ns: when the source's GET_KEY was due by its pace */
    int64_t waiting;          /* ns: since when a GET_KEY is held; -1 none */
    int64_t last;             /* ns: the last delivery; -1 none */
    gsl_rstat_workspace *gaps;   /* s between deliveries; freed at close */
    double jitter;            /* s: standard deviation of the gaps */
    sim_handle_t get_key, close;   /* pending events (0 none) */
} etsi004_session_t;

/* A destination GET_KEY for a chunk the source received. */
typedef struct etsi004_peer {
    etsi004_session_t *s;
    uint64_t index;
    keysvc_grant_t grant;
    struct etsi004_peer *prev, *next;
} etsi004_peer_t;

typedef struct etsi004_stats {
    uint64_t sessions, admitted;
    uint64_t status[ETSI004_NSTATUS];   /* calls of both ends by status */
    uint64_t get_key;                   /* the source's GET_KEY answers */
    uint64_t delivered, peer_bits, timeouts;
} etsi004_stats_t;

typedef struct etsi004 {
    client_t base;
    etsi004_config_t cfg;       /* owned */
    arrival_t *openings;        /* owned; NULL: count openings at start */
    etsi004_admit_t *admit;     /* shared (reference counted) */
    link_t info;                /* owned: the link's configuration (rates, outages) */
    bool known;                 /* info was read from the scenario */
    uint64_t chunk_bits;
    int64_t pace;               /* ns between the source's GET_KEYs */
    uint64_t openings_made;     /* openings the arrival process gave */
    uint64_t next_ksid;
    etsi004_session_t **sessions;   /* owned; grows by doubling */
    size_t nsessions, cap;
    etsi004_peer_t *peers;      /* destination calls pending */
    qset_t latency;             /* s, of every answered source GET_KEY */
    trace_table_t *log;         /* /etsi004_calls, borrowed; NULL: no log */
    client_output_t out;
    uint64_t logged;
    etsi004_stats_t stats;
} etsi004_t;

/* One call, as /etsi004_calls records it. */
typedef struct etsi004_record {
    int64_t t_request, t_response;   /* ns */
    uint32_t app, node, call, status;
    uint64_t session, ksid, index, bits;
} etsi004_record_t;

static const trace_field_t etsi004_call_fields[] = {
    F(etsi004_record_t, t_request, TRACE_I64), F(etsi004_record_t, t_response, TRACE_I64),
    F(etsi004_record_t, app, TRACE_U32),       F(etsi004_record_t, node, TRACE_U32),
    F(etsi004_record_t, call, TRACE_U32),      F(etsi004_record_t, status, TRACE_U32),
    F(etsi004_record_t, session, TRACE_U64),   F(etsi004_record_t, ksid, TRACE_U64),
    F(etsi004_record_t, index, TRACE_U64),     F(etsi004_record_t, bits, TRACE_U64),
};

static void etsi004_fail(etsi004_t *app, sim_err_t *err)
{
    sim_err_prefix(err, "app %s", app->base.id);
    model_fail(app->base.ctx, err);
}

static void etsi004_oom(etsi004_t *app)
{
    sim_err_t err;
    sim_err_set(&err, SIM_ERR_RUN, "out of memory");
    etsi004_fail(app, &err);
}

/* Logs one call that reached the KME at `asked` and was decided at `now`
 * (later when the KME held it), answered kme_delay after `now`, and
 * counts its status. */
static void etsi004_call(etsi004_t *app, const etsi004_session_t *s, uint32_t node,
                         uint32_t call, uint32_t status, uint64_t index, uint64_t bits,
                         int64_t asked, int64_t now)
{
    const etsi004_record_t rec = {
        .t_request = asked, .t_response = now + app->cfg.kme_delay, .app = app->base.index,
        .node = node, .call = call, .status = status, .session = s->number, .ksid = s->ksid,
        .index = index, .bits = bits,
    };
    const uint64_t k = app->logged++;
    sim_err_t err;

    app->stats.status[status]++;
    client_record(&app->base, call, status, rec.t_response - asked, bits);
    if (app->log == NULL || !client_log_keeps(&app->out, k))
        return;
    if (trace_append(app->log, &rec, &err) != SIM_OK)
        etsi004_fail(app, &err);
}

/* The source's GET_KEY outcomes in the outcomes every kind counts
 * (client.h): 0 as 200; 2 and 6 (no key) as 503; 3 and 8 as 400; and its
 * latency (answer - when it reached the KME), ns. */
static void etsi004_count(etsi004_t *app, uint32_t status, int64_t latency)
{
    if (qset_add(&app->latency, (double)latency / 1e9) != 0) {
        etsi004_oom(app);
        return;
    }
    app->stats.get_key++;
    client_count(&app->base, status == ETSI004_SUCCESSFUL                                ? 200
                             : status == ETSI004_INSUFFICIENT_KEY || status == ETSI004_TIMEOUT ? 503
                                                                                          : 400);
}

/* ------------------------------------------------------------ link state */

/* A device is down at t when one of its scheduled outages covers t. */
static bool etsi004_device_down(const link_device_config_t *d, int64_t t)
{
    for (size_t i = 0; i < d->noutages && d->outages[i].from <= t; i++)
        if (t < d->outages[i].to)
            return true;
    return false;
}

/* 4 arises when the link carries no key at t: mean rate 0, or every
 * device in a scheduled outage. (Random failures are not known ahead.) */
static bool etsi004_connected(const etsi004_t *app, int64_t t)
{
    if (!app->known)
        return true;
    if (!(link_nominal_rate(&app->info) > 0.0))
        return false;
    for (size_t i = 0; i < app->info.ndevices; i++)
        if (!etsi004_device_down(&app->info.devices[i].cfg, t))
            return true;
    return false;
}

/* The <link> element of the scenario's <links> whose id is `id`, NULL
 * when none (a GraphML link). */
static const scn_elem_t *etsi004_link_elem(const etsi004_t *app, const char *id)
{
    const scn_elem_t *root = app->base.elem, *e;

    while (root->parent != NULL)
        root = root->parent;
    e = scn_child(root, "links");
    for (e = e != NULL ? scn_child(e, "link") : NULL; e != NULL; e = scn_next_sibling(e, "link")) {
        const char *eid = scn_attr(e, "id");
        if (eid != NULL && strcmp(eid, id) == 0)
            return e;
    }
    return NULL;
}

/* Reads the configuration of link `index` (id) from its <link> element
 * into *info (through the link module's own reader), for its mean rate
 * and scheduled outages; *found false (info untouched) when it has none.
 * The caller cleans info with link_cleanup, also on failure. */
static int etsi004_link_read(const etsi004_t *app, uint32_t index, const char *id,
                             link_t *info, bool *found, sim_err_t *err)
{
    const scn_elem_t *e = etsi004_link_elem(app, id);
    double length = NAN;
    int rc;

    *found = false;
    if (e == NULL)
        return SIM_OK;
    if ((rc = scn_attr_length(e, "length", false, &length, err)) != SIM_OK)
        return rc;
    *info = (link_t){ .index = index, .id = id, .length_m = length,
                      .stream = (uint64_t)index + 1, .ctx = app->base.ctx };
    if ((rc = link_parse(info, e, err)) != SIM_OK)
        return rc;
    *found = true;
    return SIM_OK;
}

/* The client's own link, when its pair is on one: app->known tells
 * whether its <link> was found. */
static int etsi004_read_link(etsi004_t *app, sim_err_t *err)
{
    const storage_link_t *sl = app->base.key.sl;
    if (sl == NULL)
        return SIM_OK;   /* served by key relay: no one link */
    return etsi004_link_read(app, sl->index, sl->id, &app->info, &app->known, err);
}

/* Makes the links of a path known to the admission table with their mean
 * rates (a link's <link> is read once per run: the table is shared). A
 * link without a <link> element stays unknown (a reservation on it
 * fails); *missing (may be NULL) receives the id of the first such link,
 * else stays as it was. */
static int etsi004_know_links(etsi004_t *app, const keysvc_hop_t *hops, size_t n,
                              const char **missing, sim_err_t *err)
{
    for (size_t i = 0; i < n; i++) {
        link_t info = { 0 };
        double reserved, mean;
        bool found = false;
        int rc;
        if (etsi004_admit_state(app->admit, hops[i].link, &reserved, &mean))
            continue;
        rc = etsi004_link_read(app, hops[i].link, hops[i].id, &info, &found, err);
        if (rc == SIM_OK && found)
            rc = etsi004_admit_add(app->admit, hops[i].link, link_nominal_rate(&info), err);
        link_cleanup(&info);
        if (rc != SIM_OK)
            return rc;
        if (!found && missing != NULL && *missing == NULL)
            *missing = hops[i].id;
    }
    return SIM_OK;
}

/* ------------------------------------------------------------ sessions */

static void etsi004_on_get_key(sim_t *sim, void *object, uint64_t arg);
static void etsi004_on_peer_open(sim_t *sim, void *object, uint64_t arg);
static void etsi004_on_close(sim_t *sim, void *object, uint64_t arg);

static etsi004_session_t *etsi004_session_new(etsi004_t *app, int64_t now)
{
    etsi004_session_t *s, **v;
    if ((v = grow_room(app->sessions, &app->cap, app->nsessions + 1, sizeof *v, 16)) == NULL)
        return NULL;
    app->sessions = v;
    if ((s = calloc(1, sizeof *s)) == NULL)
        return NULL;
    *s = (etsi004_session_t){
        .app = app, .number = app->nsessions, .opened = now, .peer_at = -1, .closed = -1,
        .src_meta = app->cfg.metadata_size, .dst_meta = app->cfg.metadata_size,
        .waiting = -1, .last = -1, .released = -1,
    };
    app->sessions[app->nsessions++] = s;
    app->stats.sessions++;
    return s;
}

static bool etsi004_ksid_in_use(const etsi004_t *app, uint64_t ksid)
{
    for (size_t i = 0; i < app->nsessions; i++)
        if (app->sessions[i]->open && app->sessions[i]->ksid == ksid)
            return true;
    return false;
}

/* The rate admission reserves for a session, bit/s (0: none). */
static double etsi004_ask(const etsi004_t *app)
{
    switch (app->cfg.admission) {
    case ETSI004_ADMIT_MIN: return app->cfg.qos.min_bps;
    case ETSI004_ADMIT_MAX: return app->cfg.qos.max_bps;
    default: return 0.0;
    }
}

/* Reserves the session's ask on the links of its path (hops, n): its
 * status, 7 or 1; the session takes hops (*hops NULL), admitted or not. */
static int etsi004_reserve(etsi004_t *app, etsi004_session_t *s, keysvc_hop_t **hops, size_t n,
                           double ask, uint32_t *status, sim_err_t *err)
{
    int rc;
    if ((rc = etsi004_know_links(app, *hops, n, NULL, err)) != SIM_OK)
        return rc;
    s->hops = *hops;   /* the path asked on, admitted or not (/session_links) */
    s->nhops = n;
    *hops = NULL;
    if (!etsi004_admit_reserve(app->admit, s->hops, n, ask, &s->offered)) {
        *status = ETSI004_QOS_NOT_MET;
        return SIM_OK;
    }
    s->offered = 0.0;   /* a counter-proposal only comes with 7 */
    s->reserved = ask;
    for (size_t i = 0; i < n; i++)
        if (ask * s->hops[i].cost > s->link_reserved)
            s->link_reserved = ask * s->hops[i].cost;
    return SIM_OK;
}

/* The source's OPEN_CONNECT at `now`: *status. A pair served by key relay
 * asks its path at each opening (4 when none is up); admission reserves
 * on every link of it. SIM_ERR_RUN when the run must stop. */
static int etsi004_admit_session(etsi004_t *app, etsi004_session_t *s, int64_t now,
                                 uint32_t *status, sim_err_t *err)
{
    const double ask = etsi004_ask(app);
    keysvc_hop_t *hops = NULL;
    size_t n = 0;
    int rc = SIM_OK;

    s->ksid = app->cfg.ksid == ETSI004_KSID_FIXED ? ETSI004_FIXED_KSID : ++app->next_ksid;
    *status = ETSI004_PEER_NOT_CONNECTED;
    if (!etsi004_connected(app, now)) {
        *status = ETSI004_NO_QKD_CONNECTION;
        goto out;
    }
    if ((app->base.key.sl == NULL || ask > 0.0) &&
        (rc = keysvc_path(&app->base.key, now, &hops, &n, err)) != SIM_OK)
        goto out;
    if (app->base.key.sl == NULL && n == 0)
        *status = ETSI004_NO_QKD_CONNECTION;
    else if (app->cfg.ksid == ETSI004_KSID_FIXED && etsi004_ksid_in_use(app, s->ksid))
        *status = ETSI004_KSID_IN_USE;
    else if (ask > 0.0)
        rc = etsi004_reserve(app, s, &hops, n, ask, status, err);
out:
    free(hops);
    return rc;
}

/* Schedules what follows an admitted OPEN_CONNECT: the peer's
 * OPEN_CONNECT, the source's first GET_KEY, the close. */
static bool etsi004_session_start(etsi004_t *app, etsi004_session_t *s, int64_t now)
{
    sim_t *sim = app->base.ctx->sim;
    const int64_t answer = now + app->cfg.kme_delay;
    const int64_t life = app->cfg.duration < app->cfg.qos.ttl ? app->cfg.duration
                                                              : app->cfg.qos.ttl;
    s->open = true;
    s->admitted = true;
    s->due = answer + app->pace;   /* the first GET_KEY: one pace after the answer */
    app->stats.admitted++;
    if ((s->gaps = gsl_rstat_alloc()) == NULL ||
        sim_schedule_at(sim, answer + app->cfg.peer_delay, etsi004_on_peer_open, s, 0) == 0 ||
        (s->due < app->base.ctx->end &&
         (s->get_key = sim_schedule_at(sim, s->due, etsi004_on_get_key, s, 0)) == 0))
        return false;
    if (life < app->base.ctx->end - now &&
        (s->close = sim_schedule_at(sim, now + life, etsi004_on_close, s,
                                    app->cfg.duration <= app->cfg.qos.ttl ? ETSI004_CLOSED
                                                                          : ETSI004_TTL)) == 0)
        return false;
    return true;
}

static void etsi004_open(etsi004_t *app, int64_t now)
{
    etsi004_session_t *s = etsi004_session_new(app, now);
    sim_err_t err;
    if (s == NULL) {
        etsi004_oom(app);
        return;
    }
    sim_err_clear(&err);
    if (etsi004_admit_session(app, s, now, &s->status, &err) != SIM_OK) {
        etsi004_fail(app, &err);
        return;
    }
    etsi004_call(app, s, app->base.master, ETSI004_OPEN_CONNECT, s->status, 0, 0, now, now);
    if (s->status != ETSI004_PEER_NOT_CONNECTED) {
        s->cause = ETSI004_REFUSED;
        s->closed = now + app->cfg.kme_delay;
        return;
    }
    if (!etsi004_session_start(app, s, now))
        etsi004_oom(app);
}

static void etsi004_on_peer_open(sim_t *sim, void *object, uint64_t arg)
{
    etsi004_session_t *s = object;
    (void)arg;
    if (!s->open)
        return;   /* closed before the peer came */
    s->peer_connected = true;
    s->peer_at = sim_now(sim);
    etsi004_call(s->app, s, s->app->base.slave, ETSI004_OPEN_CONNECT, ETSI004_SUCCESSFUL, 0, 0,
                 sim_now(sim), sim_now(sim));
}

/* Ends a session at `now` with `cause`: its pending source call goes, its
 * reservation is released, its jitter computed. */
static void etsi004_session_end(etsi004_session_t *s, int64_t now, uint32_t cause)
{
    etsi004_t *app = s->app;

    if (s->waiting >= 0 && cause != ETSI004_OPEN) {
        /* a GET_KEY the KME holds when the stream closes fails for want of key */
        s->insufficient++;
        etsi004_count(app, ETSI004_INSUFFICIENT_KEY, now - s->waiting + app->cfg.kme_delay);
        etsi004_call(app, s, app->base.master, ETSI004_GET_KEY, ETSI004_INSUFFICIENT_KEY,
                     s->index, 0, s->waiting, now);
    }
    s->waiting = -1;
    if (s->get_key != 0)
        sim_cancel(app->base.ctx->sim, s->get_key);
    if (s->close != 0 && cause != ETSI004_CLOSED && cause != ETSI004_TTL)
        sim_cancel(app->base.ctx->sim, s->close);
    s->get_key = s->close = 0;
    if (s->reserved > 0.0 && s->released < 0) {
        etsi004_admit_free(app->admit, s->hops, s->nhops, s->reserved);
        s->released = now;
    }
    s->open = false;
    s->closed = now;
    s->cause = cause;
    s->jitter = s->gaps != NULL && gsl_rstat_n(s->gaps) >= 2 ? gsl_rstat_sd(s->gaps) : 0.0;
    if (s->gaps != NULL)
        gsl_rstat_free(s->gaps);
    s->gaps = NULL;
}

static void etsi004_on_close(sim_t *sim, void *object, uint64_t arg)
{
    etsi004_session_t *s = object;
    s->close = 0;
    if (arg == ETSI004_CLOSED)
        etsi004_call(s->app, s, s->app->base.master, ETSI004_CLOSE, ETSI004_SUCCESSFUL,
                     s->index, 0, sim_now(sim), sim_now(sim));
    etsi004_session_end(s, sim_now(sim), (uint32_t)arg);
}

/* The destination's GET_KEY for a chunk the source received. */
static void etsi004_on_peer_get_key(sim_t *sim, void *object, uint64_t arg)
{
    etsi004_peer_t *p = object;
    etsi004_session_t *s = p->s;
    etsi004_t *app = s->app;
    const int64_t now = sim_now(sim);
    uint32_t status = ETSI004_SUCCESSFUL;
    sim_err_t err;
    bool ok = false;
    (void)arg;

    if (s->dst_meta < app->cfg.kme_metadata) {
        s->dst_meta = app->cfg.kme_metadata;   /* the answer says how much */
        s->metadata++;
        etsi004_call(app, s, app->base.slave, ETSI004_GET_KEY,
                     ETSI004_METADATA_SIZE_INSUFFICIENT, p->index, 0, now, now);
        if (sim_schedule_at(sim, now + app->cfg.kme_delay, etsi004_on_peer_get_key, p, 0) == 0)
            etsi004_oom(app);
        return;
    }
    if (keysvc_fetch(&app->base.key, &p->grant, now, &ok, &err) != SIM_OK) {
        etsi004_fail(app, &err);
        return;
    }
    if (ok)
        s->peer_bits += app->chunk_bits;
    else
        status = ETSI004_INSUFFICIENT_KEY;
    app->stats.peer_bits += ok ? app->chunk_bits : 0;
    etsi004_call(app, s, app->base.slave, ETSI004_GET_KEY, status, p->index,
                 ok ? app->chunk_bits : 0, now, now);
    if (p->prev != NULL)
        p->prev->next = p->next;
    else
        app->peers = p->next;
    if (p->next != NULL)
        p->next->prev = p->prev;
    free(p);
}

/* A chunk reached the source at `now`: statistics, and the destination's
 * GET_KEY for the same index peer_delay after the answer. */
static bool etsi004_delivered(etsi004_t *app, etsi004_session_t *s, const keysvc_grant_t *g,
                              int64_t now)
{
    etsi004_peer_t *p = calloc(1, sizeof *p);
    if (p == NULL)
        return false;
    *p = (etsi004_peer_t){ .s = s, .index = s->index, .grant = *g, .next = app->peers };
    if (sim_schedule_at(app->base.ctx->sim, now + app->cfg.kme_delay + app->cfg.peer_delay,
                        etsi004_on_peer_get_key, p, 0) == 0) {
        free(p);
        return false;
    }
    if (app->peers != NULL)
        app->peers->prev = p;
    app->peers = p;
    if (s->last >= 0)
        gsl_rstat_add((double)(now - s->last) / 1e9, s->gaps);
    s->last = now;
    s->delivered += app->chunk_bits;
    app->stats.delivered += app->chunk_bits;
    s->index++;
    return true;
}

/* Tries to serve the source's GET_KEY at `now`: its status, or -1 when
 * the KME holds it (no key yet, the timeout not reached). */
static int etsi004_serve(etsi004_t *app, etsi004_session_t *s, int64_t now, sim_err_t *err)
{
    keysvc_grant_t g;

    if (keysvc_get_key(&app->base.key, app->chunk_bits, 1, now, &g, err) != SIM_OK)
        return -2;
    if (g.granted) {
        s->waiting = -1;
        return etsi004_delivered(app, s, &g, now) ? ETSI004_SUCCESSFUL : -2;
    }
    if (app->cfg.qos.timeout == 0)
        return ETSI004_INSUFFICIENT_KEY;
    if (s->waiting < 0)
        s->waiting = now;
    if (now - s->waiting >= app->cfg.qos.timeout) {
        s->waiting = -1;
        return ETSI004_TIMEOUT;
    }
    return -1;
}

/* When the source calls again after a call answered at `now`: at its pace,
 * never to catch up. */
static int64_t etsi004_next_call(etsi004_t *app, etsi004_session_t *s, int64_t now)
{
    s->due += app->pace;
    if (s->due < now)
        s->due = now;
    return s->due;
}

static void etsi004_on_get_key(sim_t *sim, void *object, uint64_t arg)
{
    etsi004_session_t *s = object;
    etsi004_t *app = s->app;
    const int64_t now = sim_now(sim);
    const int64_t asked = s->waiting >= 0 ? s->waiting : now;   /* held since, or now */
    int64_t next;
    sim_err_t err;
    int status;
    (void)arg;

    s->get_key = 0;
    if (s->src_meta < app->cfg.kme_metadata) {
        s->src_meta = app->cfg.kme_metadata;
        s->metadata++;
        status = ETSI004_METADATA_SIZE_INSUFFICIENT;
        next = now + app->cfg.kme_delay;   /* again at once, with the size it was told */
    } else if (!s->peer_connected) {
        status = ETSI004_GET_KEY_PEER_NOT_CONNECTED;
        s->peer_missing++;
        next = etsi004_next_call(app, s, now);
    } else {
        sim_err_clear(&err);
        status = etsi004_serve(app, s, now, &err);
        if (status == -2) {
            if (err.code == SIM_OK)
                sim_err_set(&err, SIM_ERR_RUN, "out of memory");
            etsi004_fail(app, &err);
            return;
        }
        if (status == -1) {   /* held: try again at the next poll */
            const int64_t limit = s->waiting + app->cfg.qos.timeout;
            next = now + app->cfg.poll < limit ? now + app->cfg.poll : limit;
            if ((s->get_key = sim_schedule_at(sim, next, etsi004_on_get_key, s, 0)) == 0)
                etsi004_oom(app);
            return;
        }
        s->insufficient += status == ETSI004_INSUFFICIENT_KEY;
        s->timeouts += status == ETSI004_TIMEOUT;
        app->stats.timeouts += status == ETSI004_TIMEOUT;
        next = etsi004_next_call(app, s, now);
    }
    etsi004_count(app, (uint32_t)status, now - asked + app->cfg.kme_delay);
    etsi004_call(app, s, app->base.master, ETSI004_GET_KEY, (uint32_t)status,
                 status == ETSI004_SUCCESSFUL ? s->index - 1 : s->index,
                 status == ETSI004_SUCCESSFUL ? app->chunk_bits : 0, asked, now);
    if (next < app->base.ctx->end &&
        (s->get_key = sim_schedule_at(sim, next, etsi004_on_get_key, s, 0)) == 0)
        etsi004_oom(app);
}

/* ------------------------------------------------------------ openings */

static void etsi004_on_opening(sim_t *sim, void *object, uint64_t arg);

/* Schedules the next opening of the arrival process, if any. */
static bool etsi004_next_opening(etsi004_t *app)
{
    int64_t t = 0;
    uint64_t size = 0;
    if (app->openings == NULL || app->openings_made >= app->cfg.count ||
        !arrival_next(app->openings, &t, &size))
        return true;
    app->openings_made++;
    return sim_schedule_at(app->base.ctx->sim, t, etsi004_on_opening, app, 0) != 0;
}

static void etsi004_on_opening(sim_t *sim, void *object, uint64_t arg)
{
    etsi004_t *app = object;
    (void)arg;
    if (!etsi004_next_opening(app)) {
        etsi004_oom(app);
        return;
    }
    etsi004_open(app, sim_now(sim));
}

/* Openings: by the arrival process in [start, stop), or `count` at `start`
 * when none is given. */
static int etsi004_schedule_openings(etsi004_t *app, sim_err_t *err)
{
    sim_t *sim = app->base.ctx->sim;
    const etsi004_config_t *c = &app->cfg;
    char name[256];

    if (c->start >= c->stop || c->count == 0)
        return SIM_OK;
    if (c->arrivals) {
        snprintf(name, sizeof name, "app/%s/sessions", app->base.id);
        if ((app->openings = arrival_create(&c->openings, app->base.ctx->seed,
                                            app->base.ctx->run, name, c->start, c->stop)) ==
                NULL ||
            !etsi004_next_opening(app))
            return sim_err_set(err, SIM_ERR_RUN, "app %s: out of memory", app->base.id);
        return SIM_OK;
    }
    for (uint64_t i = 0; i < c->count; i++)
        if (sim_schedule_at(sim, c->start, etsi004_on_opening, app, 0) == 0)
            return sim_err_set(err, SIM_ERR_RUN, "app %s: out of memory", app->base.id);
    return SIM_OK;
}

/* Admission on a pair served by key relay: the links of its path at load
 * (every link up) must have a known rate; they join the admission table. */
static int etsi004_check_path(etsi004_t *app, sim_err_t *err)
{
    keysvc_hop_t *hops = NULL;
    size_t n = 0;
    const char *missing = NULL;
    sim_err_t why;
    int rc = keysvc_path(&app->base.key, KEYSVC_PATH_ALL_UP, &hops, &n, &why);

    if (rc == SIM_ERR_INPUT)
        rc = scn_error(app->base.elem, err, "admission on a pair served by key relay: %s: set "
                       "admission=\"none\"", why.msg);
    else if (rc != SIM_OK)
        rc = sim_err_set(err, rc, "app %s: %s", app->base.id, why.msg);
    else if ((rc = etsi004_know_links(app, hops, n, &missing, err)) == SIM_OK &&
             missing != NULL)
        rc = scn_error(app->base.elem, err, "admission needs the mean rate of link '%s' on the "
                       "pair's path, which is not given in <links> (a GraphML link): set "
                       "admission=\"none\"", missing);
    free(hops);
    return rc;
}

static int etsi004_start(client_t *c, sim_err_t *err)
{
    etsi004_t *app = (etsi004_t *)c;
    int rc;

    if (app->admit == NULL && (app->admit = etsi004_admit_create()) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "app %s: out of memory", c->id);
    if ((rc = etsi004_read_link(app, err)) != SIM_OK)
        return rc;
    if (app->cfg.admission != ETSI004_ADMIT_NONE && c->key.sl == NULL &&
        (rc = etsi004_check_path(app, err)) != SIM_OK)
        return rc;
    if (app->cfg.admission != ETSI004_ADMIT_NONE && c->key.sl != NULL && !app->known)
        return scn_error(c->elem, err,
                         "admission needs the mean rate of link '%s', which is not given in "
                         "<links> (a GraphML link): set admission=\"none\"",
                         c->key.sl->id);
    if (app->known && etsi004_admit_add(app->admit, c->key.sl->index,
                                        link_nominal_rate(&app->info), err) != SIM_OK)
        return SIM_ERR_RUN;
    return etsi004_schedule_openings(app, err);
}

static void etsi004_destroy(client_t *c)
{
    etsi004_t *app = (etsi004_t *)c;
    etsi004_peer_t *p = app->peers;
    while (p != NULL) {
        etsi004_peer_t *next = p->next;
        free(p);
        p = next;
    }
    for (size_t i = 0; i < app->nsessions; i++) {
        if (app->sessions[i]->gaps != NULL)   /* GSL's free takes no NULL */
            gsl_rstat_free(app->sessions[i]->gaps);
        free(app->sessions[i]->hops);
        free(app->sessions[i]);
    }
    free(app->sessions);
    qset_free(&app->latency);
    link_cleanup(&app->info);
    etsi004_admit_release(app->admit);
    arrival_free(app->openings);
    etsi004_config_free(&app->cfg);
    free(app);
}

/* The expected session time inside the run, s: openings at rate lambda
 * in [a, b) each last L, cut at the end e of the run, so it is
 * lambda * integral over [a, b) of min(L, e - t) dt (at most `count`
 * openings: scaled down; `count` at once without a rate). */
static double etsi004_session_time(const etsi004_config_t *c, int64_t end)
{
    const double e = (double)end / 1e9, a = (double)c->start / 1e9;
    const double b = (double)(c->stop < end ? c->stop : end) / 1e9;
    const int64_t life = c->duration < c->qos.ttl ? c->duration : c->qos.ttl;
    const double L = (double)life / 1e9, cut = e - L;
    const double rate = c->arrivals ? arrival_mean_rate(&c->openings) : 0.0;
    double per = 0.0, n;

    if (b <= a)
        return 0.0;
    if (!c->arrivals)   /* count sessions at start */
        return (double)c->count * (L < e - a ? L : e - a);
    if (b <= cut)
        per = L * (b - a);
    else if (a >= cut)
        per = ((e - a) * (e - a) - (e - b) * (e - b)) / 2;
    else
        per = L * (cut - a) + ((e - cut) * (e - cut) - (e - b) * (e - b)) / 2;
    n = rate * (b - a);
    return rate * per *
           (c->count != UINT64_MAX && (double)c->count < n ? (double)c->count / n : 1.0);
}

static int etsi004_create(const client_env_t *env, const scn_elem_t *e, client_t **out,
                          sim_err_t *err)
{
    etsi004_t *app = calloc(1, sizeof *app);
    client_t *c;
    int rc;

    *out = NULL;
    if (app == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    c = &app->base;
    *out = c;
    if ((rc = scn_attr_string(e, "id", true, &c->id, err)) != SIM_OK ||
        (rc = env->node(env, e, "source", &c->master, err)) != SIM_OK ||
        (rc = env->node(env, e, "destination", &c->slave, err)) != SIM_OK ||
        (rc = etsi004_config_parse(e, env->end, &app->cfg, err)) != SIM_OK)
        return rc;
    if (c->master == c->slave)
        return scn_error(e, err, "source and destination are the same node '%s'",
                         env->node_id(env, c->master));
    app->chunk_bits = app->cfg.qos.key_chunk_size * 8;
    app->pace = (int64_t)llround((double)app->chunk_bits / app->cfg.qos.max_bps * 1e9);
    if (app->pace < 1)
        app->pace = 1;
    c->size = app->chunk_bits;
    c->number = 1;
    /* the demand the designs see: sessions open on average, times their pace */
    c->rate = env->end > 0 ? etsi004_session_time(&app->cfg, env->end) /
                                 ((double)env->end / 1e9) * 1e9 / (double)app->pace
                           : 0.0;
    return SIM_OK;
}

/* ============================================================ output */

/* One /sessions row. */
typedef struct etsi004_session_row {
    uint32_t app;
    uint64_t session;
    uint32_t source, destination;
    uint64_t ksid;
    uint64_t key_chunk_size;          /* bytes */
    double max_bps, min_bps, jitter_asked_s;
    uint32_t priority;
    double timeout_s, ttl_s;
    uint32_t status, admitted;
    double reserved_bps, offered_bps;
    uint32_t hops;
    double link_reserved_bps;
    int64_t opened, peer_connected, closed;
    uint32_t close_cause;
    uint64_t chunks, delivered_bits, peer_bits;
    double rate_bps, jitter_s;
    uint64_t timeouts, insufficient, peer_not_connected, metadata;
    uint32_t qos_met;
} etsi004_session_row_t;

static const trace_field_t etsi004_session_fields[] = {
    F(etsi004_session_row_t, app, TRACE_U32),
    F(etsi004_session_row_t, session, TRACE_U64),
    F(etsi004_session_row_t, source, TRACE_U32),
    F(etsi004_session_row_t, destination, TRACE_U32),
    F(etsi004_session_row_t, ksid, TRACE_U64),
    F(etsi004_session_row_t, key_chunk_size, TRACE_U64),
    F(etsi004_session_row_t, max_bps, TRACE_F64),
    F(etsi004_session_row_t, min_bps, TRACE_F64),
    F(etsi004_session_row_t, jitter_asked_s, TRACE_F64),
    F(etsi004_session_row_t, priority, TRACE_U32),
    F(etsi004_session_row_t, timeout_s, TRACE_F64),
    F(etsi004_session_row_t, ttl_s, TRACE_F64),
    F(etsi004_session_row_t, status, TRACE_U32),
    F(etsi004_session_row_t, admitted, TRACE_U32),
    F(etsi004_session_row_t, reserved_bps, TRACE_F64),
    F(etsi004_session_row_t, offered_bps, TRACE_F64),
    F(etsi004_session_row_t, hops, TRACE_U32),
    F(etsi004_session_row_t, link_reserved_bps, TRACE_F64),
    F(etsi004_session_row_t, opened, TRACE_I64),
    F(etsi004_session_row_t, peer_connected, TRACE_I64),
    F(etsi004_session_row_t, closed, TRACE_I64),
    F(etsi004_session_row_t, close_cause, TRACE_U32),
    F(etsi004_session_row_t, chunks, TRACE_U64),
    F(etsi004_session_row_t, delivered_bits, TRACE_U64),
    F(etsi004_session_row_t, peer_bits, TRACE_U64),
    F(etsi004_session_row_t, rate_bps, TRACE_F64),
    F(etsi004_session_row_t, jitter_s, TRACE_F64),
    F(etsi004_session_row_t, timeouts, TRACE_U64),
    F(etsi004_session_row_t, insufficient, TRACE_U64),
    F(etsi004_session_row_t, peer_not_connected, TRACE_U64),
    F(etsi004_session_row_t, metadata, TRACE_U64),
    F(etsi004_session_row_t, qos_met, TRACE_U32),
};

/* One /session_links row: a link of a session's path under admission. */
typedef struct etsi004_link_row {
    uint32_t app;
    uint64_t session;
    uint32_t hop, link;
    double cost;              /* bits of the link's key per bit delivered */
    double reserved_bps;      /* reserved_bps x cost; 0 when refused */
    int64_t reserved, released;   /* ns; -1: never */
} etsi004_link_row_t;

static const trace_field_t etsi004_link_fields[] = {
    F(etsi004_link_row_t, app, TRACE_U32),
    F(etsi004_link_row_t, session, TRACE_U64),
    F(etsi004_link_row_t, hop, TRACE_U32),
    F(etsi004_link_row_t, link, TRACE_U32),
    F(etsi004_link_row_t, cost, TRACE_F64),
    F(etsi004_link_row_t, reserved_bps, TRACE_F64),
    F(etsi004_link_row_t, reserved, TRACE_I64),
    F(etsi004_link_row_t, released, TRACE_I64),
};

/* The session's /session_links rows (after its /sessions row: it is closed). */
static int etsi004_link_rows(const etsi004_t *app, const etsi004_session_t *s, trace_table_t *t,
                             sim_err_t *err)
{
    const bool held = s->reserved > 0.0;
    for (size_t i = 0; i < s->nhops; i++) {
        const etsi004_link_row_t row = {
            .app = app->base.index, .session = s->number, .hop = (uint32_t)i,
            .link = s->hops[i].link, .cost = s->hops[i].cost,
            .reserved_bps = held ? s->reserved * s->hops[i].cost : 0.0,
            .reserved = held ? s->opened : -1, .released = s->released,
        };
        if (trace_append(t, &row, err) != SIM_OK)
            return SIM_ERR_RUN;
    }
    return SIM_OK;
}

/* One /summary/sessions row. */
typedef struct etsi004_sum {
    uint32_t app;
    uint64_t sessions, admitted, refused, qos_met;
    uint64_t status[ETSI004_NSTATUS];
    uint64_t get_key, delivered_bits, peer_bits, timeouts;
    double mean_rate_bps;
    double mean_latency_s, latency_p50_s, latency_p95_s, latency_p99_s;
} etsi004_sum_t;

#define STATUS_FIELD(k) \
    { "status_" #k, TRACE_U64, offsetof(etsi004_sum_t, status) + (k) * sizeof(uint64_t) }

static const trace_field_t etsi004_sum_fields[] = {
    F(etsi004_sum_t, app, TRACE_U32),
    F(etsi004_sum_t, sessions, TRACE_U64),
    F(etsi004_sum_t, admitted, TRACE_U64),
    F(etsi004_sum_t, refused, TRACE_U64),
    F(etsi004_sum_t, qos_met, TRACE_U64),
    STATUS_FIELD(0), STATUS_FIELD(1), STATUS_FIELD(2), STATUS_FIELD(3), STATUS_FIELD(4),
    STATUS_FIELD(5), STATUS_FIELD(6), STATUS_FIELD(7), STATUS_FIELD(8),
    F(etsi004_sum_t, get_key, TRACE_U64),
    F(etsi004_sum_t, delivered_bits, TRACE_U64),
    F(etsi004_sum_t, peer_bits, TRACE_U64),
    F(etsi004_sum_t, timeouts, TRACE_U64),
    F(etsi004_sum_t, mean_rate_bps, TRACE_F64),
    F(etsi004_sum_t, mean_latency_s, TRACE_F64),
    F(etsi004_sum_t, latency_p50_s, TRACE_F64),
    F(etsi004_sum_t, latency_p95_s, TRACE_F64),
    F(etsi004_sum_t, latency_p99_s, TRACE_F64),
};

/* Mean and percentiles of the source's GET_KEY latencies (GSL, linear
 * interpolation between order statistics); 0 when there were none. */
static int etsi004_latency(etsi004_t *app, etsi004_sum_t *sum, sim_err_t *err)
{
    qset_t *v = &app->latency;

    if (qset_mean(v, &sum->mean_latency_s) != 0 ||
        qset_quantile(v, 0.50, &sum->latency_p50_s) != 0 ||
        qset_quantile(v, 0.95, &sum->latency_p95_s) != 0 ||
        qset_quantile(v, 0.99, &sum->latency_p99_s) != 0)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    return SIM_OK;
}

enum { ETSI004_NET_REFUSED, ETSI004_NET_QOS_MET, ETSI004_NET_TIMEOUTS };
static const model_counter_t etsi004_counters[] = {
    [ETSI004_NET_REFUSED] = { .name = "sessions_refused", .network = true,
                              .report = "ETSI 004 sessions refused" },
    [ETSI004_NET_QOS_MET] = { .name = "sessions_qos_met", .network = true,
                              .report = "ETSI 004 sessions with their QoS met" },
    [ETSI004_NET_TIMEOUTS] = { .name = "get_key_timeouts", .network = true,
                               .report = "ETSI 004 GET_KEY timeouts" },
    { .name = NULL },
};

static int etsi004_trace_open(trace_t *trace, const client_output_t *out,
                              client_t *const *clients, size_t n, sim_err_t *err)
{
    etsi004_admit_t *shared;
    trace_table_t *t;

    t = trace_table_create_large(trace, "/etsi004_calls", sizeof(etsi004_record_t),
                                 etsi004_call_fields, NFIELDS(etsi004_call_fields), err);
    if (t == NULL ||
        trace_attr_string(trace, "/etsi004_calls", "call_names", "1=OPEN_CONNECT,2=GET_KEY,3=CLOSE",
                          err) != SIM_OK ||
        trace_attr_string(trace, "/etsi004_calls", "status_names",
                          "0=SUCCESSFUL,1=PEER_NOT_CONNECTED,2=INSUFFICIENT_KEY,"
                          "3=GET_KEY_PEER_NOT_CONNECTED,4=NO_QKD_CONNECTION,5=KSID_IN_USE,"
                          "6=TIMEOUT,7=QOS_NOT_MET,8=METADATA_SIZE_INSUFFICIENT",
                          err) != SIM_OK)
        return SIM_ERR_RUN;
    /* The kind's clients are all known here, before any starts: they share
     * one admission table (each start would otherwise make its own). */
    if ((shared = etsi004_admit_create()) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    for (size_t i = 0; i < n; i++) {
        etsi004_t *app = (etsi004_t *)clients[i];
        app->log = t;
        app->out = *out;
        etsi004_admit_release(app->admit);
        etsi004_admit_retain(shared);
        app->admit = shared;
    }
    etsi004_admit_release(shared);
    return SIM_OK;
}

static void etsi004_row(const etsi004_t *app, etsi004_session_t *s, int64_t end,
                        etsi004_session_row_t *row)
{
    const etsi004_qos_t *q = &app->cfg.qos;
    double secs;

    if (s->open)   /* still open: its figures up to the end of the run */
        etsi004_session_end(s, end, ETSI004_OPEN);
    secs = (double)(s->closed - s->opened) / 1e9;
    *row = (etsi004_session_row_t){
        .app = app->base.index, .session = s->number, .source = app->base.master,
        .destination = app->base.slave, .ksid = s->ksid, .key_chunk_size = q->key_chunk_size,
        .max_bps = q->max_bps, .min_bps = q->min_bps, .jitter_asked_s = (double)q->jitter / 1e9,
        .priority = q->priority, .timeout_s = (double)q->timeout / 1e9,
        .ttl_s = q->ttl == INT64_MAX ? INFINITY : (double)q->ttl / 1e9, .status = s->status,
        .admitted = s->admitted, .reserved_bps = s->reserved, .offered_bps = s->offered,
        .hops = s->reserved > 0.0 ? (uint32_t)s->nhops : 0,
        .link_reserved_bps = s->link_reserved,
        .opened = s->opened, .peer_connected = s->peer_at, .closed = s->closed,
        .close_cause = s->cause, .chunks = s->index, .delivered_bits = s->delivered,
        .peer_bits = s->peer_bits,
        .rate_bps = s->admitted && secs > 0.0 ? (double)s->delivered / secs : 0.0,
        .jitter_s = s->jitter, .timeouts = s->timeouts, .insufficient = s->insufficient,
        .peer_not_connected = s->peer_missing, .metadata = s->metadata,
    };
    row->qos_met = s->admitted && row->rate_bps >= q->min_bps &&
                   (q->jitter == 0 || s->jitter <= (double)q->jitter / 1e9);
}

static int etsi004_summary(trace_t *trace, client_t *const *clients, size_t n, int64_t end,
                           uint64_t *net, sim_err_t *err)
{
    trace_table_t *ts, *tc, *tl;

    if ((ts = trace_table_create(trace, "/sessions", sizeof(etsi004_session_row_t),
                                 etsi004_session_fields, NFIELDS(etsi004_session_fields),
                                 err)) == NULL ||
        (tl = trace_table_create(trace, "/session_links", sizeof(etsi004_link_row_t),
                                 etsi004_link_fields, NFIELDS(etsi004_link_fields), err)) ==
            NULL ||
        trace_attr_string(trace, "/sessions", "close_cause_names",
                          "0=REFUSED,1=CLOSED,2=TTL,3=OPEN", err) != SIM_OK ||
        (tc = trace_table_create(trace, "/summary/sessions", sizeof(etsi004_sum_t),
                                 etsi004_sum_fields, NFIELDS(etsi004_sum_fields), err)) ==
            NULL)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < n; i++) {
        etsi004_t *app = (etsi004_t *)clients[i];
        etsi004_sum_t sum = { .app = app->base.index };
        double rates = 0.0;
        uint64_t met = 0;
        for (size_t k = 0; k < app->nsessions; k++) {
            etsi004_session_row_t row;
            etsi004_row(app, app->sessions[k], end, &row);
            rates += row.rate_bps;
            met += row.qos_met;
            if (trace_append(ts, &row, err) != SIM_OK ||
                etsi004_link_rows(app, app->sessions[k], tl, err) != SIM_OK)
                return SIM_ERR_RUN;
        }
        sum.sessions = app->stats.sessions;
        sum.admitted = app->stats.admitted;
        sum.refused = app->stats.sessions - app->stats.admitted;
        sum.qos_met = met;
        memcpy(sum.status, app->stats.status, sizeof sum.status);
        sum.get_key = app->stats.get_key;
        sum.delivered_bits = app->stats.delivered;
        sum.peer_bits = app->stats.peer_bits;
        sum.timeouts = app->stats.timeouts;
        sum.mean_rate_bps = sum.admitted > 0 ? rates / (double)sum.admitted : 0.0;
        if (etsi004_latency(app, &sum, err) != SIM_OK)
            return SIM_ERR_RUN;
        net[ETSI004_NET_REFUSED] += sum.refused;
        net[ETSI004_NET_QOS_MET] += met;
        net[ETSI004_NET_TIMEOUTS] += sum.timeouts;
        if (trace_append(tc, &sum, err) != SIM_OK)
            return SIM_ERR_RUN;
    }
    return SIM_OK;
}

/* Per GET_KEY of the source: its event and row, the destination's, two
 * level changes; per session a few events and rows (the openings, CLOSE)
 * and its /sessions row. Sessions are counted as if all were admitted. */
static void etsi004_estimate(const client_t *c, int64_t end, model_estimate_t *est)
{
    const etsi004_t *app = (const etsi004_t *)c;
    const etsi004_config_t *cfg = &app->cfg;
    const double calls = c->rate * ((double)end / 1e9);
    const size_t row = trace_row_bytes(etsi004_call_fields, NFIELDS(etsi004_call_fields));
    const size_t srow =
        trace_row_bytes(etsi004_session_fields, NFIELDS(etsi004_session_fields));
    const double span = (double)((cfg->stop < end ? cfg->stop : end) - cfg->start) / 1e9;
    double sessions =
        cfg->arrivals ? arrival_mean_rate(&cfg->openings) * span : (double)cfg->count;

    if (cfg->count != UINT64_MAX && (double)cfg->count < sessions)
        sessions = (double)cfg->count;
    if (!(span > 0.0))
        sessions = 0.0;
    est->events += 2 * calls + 4 * sessions;
    est->level_rows += 2 * calls;
    est->request_bytes += (2 * calls + 3 * sessions) * (double)row;
    est->bytes += sessions * (double)srow;
}

const client_kind_t etsi004_kind = {
    .element = "etsi004",
    .create = etsi004_create,
    .start = etsi004_start,
    .destroy = etsi004_destroy,
    .trace_open = etsi004_trace_open,
    .summary = etsi004_summary,
    .counters = etsi004_counters,
    .estimate = etsi004_estimate,
};
