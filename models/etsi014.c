/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * etsi014.c - ETSI GS QKD 014 client pair as a load generator (etsi014.h).
 */
#include "models/etsi014.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <stddef.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "sim/rng.h"

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))
#define F(type, member, kind) { #member, kind, offsetof(type, member) }

/* A slave request waiting for its time: the keys reserved at the slave. */
typedef struct etsi014_pending {
    etsi014_t *app;
    uint64_t bits;          /* taken from the store, waste included */
    uint64_t waste;
    uint64_t key_stream, key_offset;
    uint64_t number, size;
    keysvc_grant_t grant;   /* the master's GET_KEY, for the fetch */
    struct etsi014_pending *prev, *next;
} etsi014_pending_t;

static void etsi014_log(etsi014_t *app, const etsi014_record_t *rec);

static const char *const etsi014_processes[] = { "poisson", "periodic", NULL };

int etsi014_config_parse(const scn_elem_t *e, int64_t end, etsi014_config_t *cfg,
                         sim_err_t *err)
{
    const scn_elem_t *arr = scn_child(e, "arrivals");
    int process = 0;
    int rc;

    *cfg = (etsi014_config_t){
        .size = 256, .number = 1, .min_size = 64, .max_size = 4096, .max_number = 128,
        .slave_delay = 10 * SIM_MS, .kme_delay = 1 * SIM_MS, .start = 0, .stop = end,
    };
    if ((rc = scn_attr_bits(e, "size", false, &cfg->size, err)) != SIM_OK ||
        (rc = scn_attr_uint(e, "number", false, &cfg->number, err)) != SIM_OK ||
        (rc = scn_attr_bits(e, "min-size", false, &cfg->min_size, err)) != SIM_OK ||
        (rc = scn_attr_bits(e, "max-size", false, &cfg->max_size, err)) != SIM_OK ||
        (rc = scn_attr_uint(e, "max-number", false, &cfg->max_number, err)) != SIM_OK ||
        (rc = scn_attr_time(e, "slave-delay", false, &cfg->slave_delay, err)) != SIM_OK ||
        (rc = scn_attr_time(e, "kme-delay", false, &cfg->kme_delay, err)) != SIM_OK ||
        (rc = scn_attr_time(e, "start", false, &cfg->start, err)) != SIM_OK ||
        (rc = scn_attr_time(e, "stop", false, &cfg->stop, err)) != SIM_OK)
        return rc;
    if (cfg->min_size > cfg->max_size)
        return scn_error(e, err, "min-size exceeds max-size");
    if (cfg->stop < cfg->start)
        return scn_error(e, err, "stop is before start");
    if (cfg->size > 0 && cfg->number > UINT64_MAX / cfg->size)
        return scn_error(e, err, "number * size overflows 64 bits");
    if (arr == NULL)
        return scn_error(e, err, "missing <arrivals>");
    if ((rc = scn_attr_enum(arr, "process", false, etsi014_processes, &process, err)) !=
            SIM_OK ||
        (rc = scn_attr_frequency(arr, "rate", true, &cfg->rate, err)) != SIM_OK)
        return rc;
    if (!(cfg->rate > 0.0))
        return scn_error(arr, err, "attribute 'rate': must be positive");
    cfg->process = (etsi014_process_t)process;
    return SIM_OK;
}

/* ns until the next request. */
static int64_t etsi014_gap(etsi014_t *app)
{
    double mean_ns = 1e9 / app->cfg.rate;
    double gap = app->cfg.process == ETSI014_POISSON ? gsl_ran_exponential(app->rng, mean_ns)
                                                     : mean_ns;
    /* Gaps past ~292 years are as good as never; keep them representable. */
    int64_t ns = gap < 9e18 ? (int64_t)llround(gap) : (int64_t)9e18;
    return ns > 0 ? ns : 1;   /* two requests never share an instant by rounding */
}

static void etsi014_fail(etsi014_t *app, sim_err_t *err)
{
    sim_err_prefix(err, "app %s", app->base.id);
    model_fail(app->base.ctx, err);
}

static void etsi014_on_slave(sim_t *sim, void *object, uint64_t arg)
{
    etsi014_pending_t *p = object;
    etsi014_t *app = p->app;
    const int64_t now = sim_now(sim);
    sim_err_t err;
    bool ok = false;
    (void)arg;

    if (keysvc_fetch(&app->base.key, &p->grant, now, &ok, &err) != SIM_OK) {
        etsi014_fail(app, &err);
        return;
    }
    const etsi014_record_t rec = {
        .t_request = now, .t_response = now + app->cfg.kme_delay, .app = app->base.index,
        .node = app->base.slave, .kind = ETSI014_GET_KEY_WITH_KEY_IDS,
        .status = ok ? ETSI014_OK : ETSI014_BAD_REQUEST, .number = p->number,
        .size = p->size, .bits = ok ? p->bits - p->waste : 0,
        .key_stream = p->key_stream, .key_offset = p->key_offset,
    };
    app->stats.slave_requests++;
    app->stats.slave_ok += ok;
    app->stats.slave_failed += !ok;
    etsi014_log(app, &rec);
    if (p->prev != NULL)
        p->prev->next = p->next;
    else
        app->pending = p->next;
    if (p->next != NULL)
        p->next->prev = p->prev;
    p->next = app->spare;
    app->spare = p;
}

/* Serves an accepted GET_KEY: supply at the master, reserve at the slave,
 * and schedule the slave's GET_KEY_WITH_KEY_IDS. Returns the status. */
static uint32_t etsi014_serve(etsi014_t *app, int64_t now, etsi014_record_t *rec,
                              sim_err_t *err)
{
    keysvc_grant_t g;
    etsi014_pending_t *p = NULL;

    if (keysvc_get_key(&app->base.key, app->cfg.size, app->cfg.number, now, &g, err) !=
            SIM_OK ||
        !g.granted)
        return ETSI014_UNAVAILABLE;
    rec->bits = g.bits - g.waste;
    app->stats.wasted += g.waste;
    rec->key_stream = g.key_stream;
    rec->key_offset = g.key_offset;

    if ((p = app->spare) != NULL)
        app->spare = p->next;
    else if ((p = calloc(1, sizeof *p)) == NULL) {
        sim_err_set(err, SIM_ERR_RUN, "out of memory");
        return ETSI014_OK;
    }
    *p = (etsi014_pending_t){ .app = app, .bits = g.bits, .waste = g.waste,
                              .key_stream = rec->key_stream, .key_offset = rec->key_offset,
                              .number = app->cfg.number, .size = app->cfg.size, .grant = g,
                              .next = app->pending };
    if (sim_schedule_at(app->base.ctx->sim, now + app->cfg.kme_delay + app->cfg.slave_delay,
                        etsi014_on_slave, p, 0) == 0) {
        sim_err_set(err, SIM_ERR_RUN, "out of memory");
        free(p);
        return ETSI014_OK;
    }
    if (app->pending != NULL)
        app->pending->prev = p;
    app->pending = p;
    return ETSI014_OK;
}

static void etsi014_on_arrival(sim_t *sim, void *object, uint64_t arg)
{
    etsi014_t *app = object;
    const int64_t now = sim_now(sim);
    const etsi014_config_t *c = &app->cfg;
    const int64_t gap = etsi014_gap(app);
    etsi014_record_t rec = {
        .t_request = now, .t_response = now + c->kme_delay, .app = app->base.index,
        .node = app->base.master, .kind = ETSI014_GET_KEY, .number = c->number, .size = c->size,
    };
    sim_err_t err;
    (void)arg;

    if (now < c->stop - gap && sim_schedule_in(sim, gap, etsi014_on_arrival, app, 0) == 0) {
        sim_err_set(&err, SIM_ERR_RUN, "out of memory");
        etsi014_fail(app, &err);
        return;
    }
    if (c->size == 0 || c->size < c->min_size || c->size > c->max_size || c->number < 1 ||
        c->number > c->max_number) {
        rec.status = ETSI014_BAD_REQUEST;
    } else {
        rec.status = etsi014_serve(app, now, &rec, &err);
        if (err.code != SIM_OK) {
            etsi014_fail(app, &err);
            return;
        }
    }
    client_count(&app->base, rec.status);
    app->stats.bits += rec.bits;
    app->stats.latency_sum_ns += (double)(rec.t_response - rec.t_request);
    etsi014_log(app, &rec);
}

static int etsi014_start(client_t *c, sim_err_t *err)
{
    etsi014_t *app = (etsi014_t *)c;
    char name[256];
    int64_t first;

    snprintf(name, sizeof name, "app/%s/arrivals", c->id);
    app->rng = rng_stream_create(c->ctx->seed, c->ctx->run, name);
    if (app->rng == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "app %s: out of memory", c->id);
    /* A Poisson process observed from `start` has its first arrival one
     * exponential gap later; a periodic one fires at start + period. */
    first = etsi014_gap(app);
    if (app->cfg.start >= app->cfg.stop - first)
        return SIM_OK;   /* no request falls inside [start, stop) */
    if (sim_schedule_at(c->ctx->sim, app->cfg.start + first, etsi014_on_arrival, app, 0) == 0)
        return sim_err_set(err, SIM_ERR_RUN, "app %s: out of memory", c->id);
    return SIM_OK;
}

static void etsi014_free_list(etsi014_pending_t *p)
{
    while (p != NULL) {
        etsi014_pending_t *next = p->next;
        free(p);
        p = next;
    }
}

static void etsi014_destroy(client_t *c)
{
    etsi014_t *app = (etsi014_t *)c;
    etsi014_free_list(app->pending);
    etsi014_free_list(app->spare);
    rng_stream_free(app->rng);
    free(app);
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
    c->rate = app->cfg.rate;
    return SIM_OK;
}

/* ------------------------------------------------------------ output */

static const trace_field_t etsi014_request_fields[] = {
    F(etsi014_record_t, t_request, TRACE_I64), F(etsi014_record_t, t_response, TRACE_I64),
    F(etsi014_record_t, app, TRACE_U32),       F(etsi014_record_t, node, TRACE_U32),
    F(etsi014_record_t, kind, TRACE_U32),      F(etsi014_record_t, status, TRACE_U32),
    F(etsi014_record_t, number, TRACE_U64),    F(etsi014_record_t, size, TRACE_U64),
    F(etsi014_record_t, bits, TRACE_U64),      F(etsi014_record_t, key_stream, TRACE_U64),
    F(etsi014_record_t, key_offset, TRACE_U64),
};

/* One /summary/apps row. */
typedef struct etsi014_sum {
    uint32_t app;
    uint64_t requests, ok, bad_request, unavailable, slave_requests, slave_ok, bits;
    double mean_latency_s, served_fraction;
    uint64_t wasted;             /* format waste at one end, bits */
    uint64_t slave_failed;       /* GET_KEY_WITH_KEY_IDS answered 400 */
} etsi014_sum_t;

static const trace_field_t etsi014_sum_fields[] = {
    F(etsi014_sum_t, app, TRACE_U32),           F(etsi014_sum_t, requests, TRACE_U64),
    F(etsi014_sum_t, ok, TRACE_U64),            F(etsi014_sum_t, bad_request, TRACE_U64),
    F(etsi014_sum_t, unavailable, TRACE_U64),   F(etsi014_sum_t, slave_requests, TRACE_U64),
    F(etsi014_sum_t, slave_ok, TRACE_U64),      F(etsi014_sum_t, bits, TRACE_U64),
    F(etsi014_sum_t, mean_latency_s, TRACE_F64), F(etsi014_sum_t, served_fraction, TRACE_F64),
    F(etsi014_sum_t, wasted, TRACE_U64),        F(etsi014_sum_t, slave_failed, TRACE_U64),
};

/* The kind's network counters (summary hook, net[]). */
enum { ETSI014_NET_SLAVE_FAILED };
static const model_counter_t etsi014_counters[] = {
    [ETSI014_NET_SLAVE_FAILED] = { .name = "slave_failed", .network = true },
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
    client_record(&app->base, rec->kind, rec->status, rec->t_request,
                  rec->t_response - rec->t_request, rec->bits);
    if (app->log == NULL ||
        (app->out.requests != CLIENT_LOG_ALL && app->out.requests != CLIENT_LOG_SAMPLED) ||
        (app->out.requests == CLIENT_LOG_SAMPLED && k % app->out.every != 0))
        return;
    if (trace_append(app->log, rec, &err) != SIM_OK)
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
                          "1=GET_KEY,2=GET_KEY_WITH_KEY_IDS", err) != SIM_OK ||
        trace_attr_string(trace, "/requests", "status_names",
                          "200=OK,400=BAD_REQUEST,503=SERVICE_UNAVAILABLE", err) != SIM_OK)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < n; i++) {
        ((etsi014_t *)clients[i])->log = t;
        ((etsi014_t *)clients[i])->out = *out;
    }
    return SIM_OK;
}

static int etsi014_summary(trace_t *trace, client_t *const *clients, size_t n, int64_t end,
                           uint64_t *net, sim_err_t *err)
{
    trace_table_t *t = trace_table_create(trace, "/summary/apps", sizeof(etsi014_sum_t),
                                          etsi014_sum_fields, NFIELDS(etsi014_sum_fields),
                                          err);
    (void)end;
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
        net[ETSI014_NET_SLAVE_FAILED] += s->slave_failed;
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
        stop > app->cfg.start ? app->cfg.rate * ((double)(stop - app->cfg.start) / 1e9) : 0;
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
