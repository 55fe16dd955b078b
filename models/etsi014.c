/*
 * etsi014.c - ETSI GS QKD 014 client pair as a load generator (etsi014.h).
 */
#include "models/etsi014.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#include "sim/rng.h"

/* A slave request waiting for its time: the keys reserved at the slave. */
typedef struct etsi014_pending {
    etsi014_t *app;
    uint64_t bits;          /* taken from the store, waste included */
    uint64_t waste;
    uint64_t key_stream, key_offset;
    uint64_t number, size;
    uint64_t ticket;        /* the storage design's, from get_key */
    struct etsi014_pending *prev, *next;
} etsi014_pending_t;

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
    sim_err_prefix(err, "app %s", app->id);
    model_fail(app->ctx, err);
}

static void etsi014_on_slave(sim_t *sim, void *object, uint64_t arg)
{
    etsi014_pending_t *p = object;
    etsi014_t *app = p->app;
    const int64_t now = sim_now(sim);
    storage_link_t *sl = app->storage;
    sim_err_t err;
    bool ok = false;
    (void)arg;

    if (sl->design->fetch(sl, app->slot, p->ticket, p->bits, p->waste, now, &ok, &err) !=
        SIM_OK) {
        etsi014_fail(app, &err);
        return;
    }
    const etsi014_record_t rec = {
        .t_request = now, .t_response = now + app->cfg.kme_delay, .app = app->index,
        .node = app->slave, .kind = ETSI014_GET_KEY_WITH_KEY_IDS,
        .status = ok ? ETSI014_OK : ETSI014_BAD_REQUEST, .number = p->number,
        .size = p->size, .bits = ok ? p->bits - p->waste : 0,
        .key_stream = p->key_stream, .key_offset = p->key_offset,
    };
    app->stats.slave_requests++;
    app->stats.slave_ok += ok;
    app->stats.slave_failed += !ok;
    if (app->log != NULL)
        app->log(app->log_ctx, &rec);
    if (p->prev != NULL)
        p->prev->next = p->next;
    else
        app->pending = p->next;
    if (p->next != NULL)
        p->next->prev = p->prev;
    free(p);
}

/* Serves an accepted GET_KEY: supply at the master, reserve at the slave,
 * and schedule the slave's GET_KEY_WITH_KEY_IDS. Returns the status. */
static uint32_t etsi014_serve(etsi014_t *app, int64_t now, etsi014_record_t *rec,
                              sim_err_t *err)
{
    storage_link_t *sl = app->storage;
    uint64_t bits = 0, waste = 0, ticket = 0;
    kstore_rangebuf_t taken = { 0 };
    etsi014_pending_t *p = NULL;
    uint32_t status = ETSI014_UNAVAILABLE;
    bool granted = false;

    sim_err_clear(err);
    if (!kformat_request(&sl->cfg.format, app->cfg.size, app->cfg.number, &bits, &waste))
        goto out;   /* more key than a store can ever hold: not enough key */
    if (sl->design->get_key(sl, app->slot, bits, waste, now, &taken, &ticket, &granted,
                            err) != SIM_OK ||
        !granted)
        goto out;
    rec->bits = bits - waste;
    app->stats.wasted += waste;
    rec->key_stream = taken.v[0].stream;
    rec->key_offset = taken.v[0].offset;
    status = ETSI014_OK;

    p = calloc(1, sizeof *p);
    if (p == NULL) {
        sim_err_set(err, SIM_ERR_RUN, "out of memory");
        goto out;
    }
    *p = (etsi014_pending_t){ .app = app, .bits = bits, .waste = waste,
                              .key_stream = rec->key_stream,
                              .key_offset = rec->key_offset, .number = app->cfg.number,
                              .size = app->cfg.size, .ticket = ticket,
                              .next = app->pending };
    if (sim_schedule_at(app->ctx->sim, now + app->cfg.kme_delay + app->cfg.slave_delay,
                        etsi014_on_slave, p, 0) == 0) {
        sim_err_set(err, SIM_ERR_RUN, "out of memory");
        free(p);
        goto out;
    }
    if (app->pending != NULL)
        app->pending->prev = p;
    app->pending = p;
out:
    kstore_rangebuf_free(&taken);
    return status;
}

static void etsi014_on_arrival(sim_t *sim, void *object, uint64_t arg)
{
    etsi014_t *app = object;
    const int64_t now = sim_now(sim);
    const etsi014_config_t *c = &app->cfg;
    const int64_t gap = etsi014_gap(app);
    etsi014_record_t rec = {
        .t_request = now, .t_response = now + c->kme_delay, .app = app->index,
        .node = app->master, .kind = ETSI014_GET_KEY, .number = c->number, .size = c->size,
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
    app->stats.requests++;
    app->stats.ok += rec.status == ETSI014_OK;
    app->stats.bad_request += rec.status == ETSI014_BAD_REQUEST;
    app->stats.unavailable += rec.status == ETSI014_UNAVAILABLE;
    app->stats.bits += rec.bits;
    app->stats.latency_sum_ns += (double)(rec.t_response - rec.t_request);
    if (app->log != NULL)
        app->log(app->log_ctx, &rec);
}

int etsi014_start(etsi014_t *app, sim_err_t *err)
{
    char name[256];
    int64_t first;

    snprintf(name, sizeof name, "app/%s/arrivals", app->id);
    app->rng = rng_stream_create(app->ctx->seed, app->ctx->run, name);
    if (app->rng == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "app %s: out of memory", app->id);
    /* A Poisson process observed from `start` has its first arrival one
     * exponential gap later; a periodic one fires at start + period. */
    first = etsi014_gap(app);
    if (app->cfg.start >= app->cfg.stop - first)
        return SIM_OK;   /* no request falls inside [start, stop) */
    if (sim_schedule_at(app->ctx->sim, app->cfg.start + first, etsi014_on_arrival, app, 0) ==
        0)
        return sim_err_set(err, SIM_ERR_RUN, "app %s: out of memory", app->id);
    return SIM_OK;
}

void etsi014_cleanup(etsi014_t *app)
{
    etsi014_pending_t *p = app->pending;
    while (p != NULL) {
        etsi014_pending_t *next = p->next;
        free(p);
        p = next;
    }
    app->pending = NULL;
    gsl_rng_free(app->rng);
    app->rng = NULL;
}
