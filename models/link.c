/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * link.c - QKD links made of devices that deliver key in blocks, with rate
 * models, fluctuation and outages (see link.h and docs/link-models.md).
 */
#include "models/link.h"

#include <gsl/gsl_randist.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/checked.h"
#include "sim/grow.h"
#include "sim/rng.h"

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))
#define F(type, member, kind) { #member, kind, offsetof(type, member) }

/* ============================================================ parsing */

static const char *const link_law_names[] = { "none", "lognormal", "gamma", NULL };

const char *link_law_name(link_law_t law)
{
    return law >= LINK_LAW_NONE && law <= LINK_LAW_GAMMA ? link_law_names[law] : "?";
}

static bool link_common_attr(const char *name)
{
    return strcmp(name, "model") == 0 || strcmp(name, "block") == 0 ||
           strcmp(name, "delay") == 0;
}

/* Reads one model parameter with the typed reader of its kind, so that
 * errors look like every other attribute error. */
static int link_read_param(const scn_elem_t *gen, const linkrate_model_t *m, size_t i,
                           double *v, sim_err_t *err)
{
    const char *name = m->params[i].name;
    switch (m->params[i].kind) {
    case LINKRATE_RATE: return scn_attr_rate(gen, name, false, &v[i], err);
    case LINKRATE_FREQUENCY: return scn_attr_frequency(gen, name, false, &v[i], err);
    default: return scn_attr_double(gen, name, false, &v[i], err);
    }
}

/* The model, its parameters and its rate at the link's length. */
static int link_read_model(const link_t *link, const scn_elem_t *gen,
                           link_device_config_t *cfg, sim_err_t *err)
{
    const char *name = "constant";
    const linkrate_model_t *m;
    double v[LINKRATE_MAX_PARAMS];
    char list[256];
    sim_err_t why;
    int rc;

    if ((rc = scn_attr_string(gen, "model", false, &name, err)) != SIM_OK)
        return rc;
    if ((m = linkrate_find(name)) == NULL)
        return scn_error(gen, err, "attribute 'model': unknown model '%s' (expected one of: %s)",
                         name, linkrate_names(list, sizeof list));
    linkrate_defaults(m, v);
    for (size_t i = 0; i < gen->nattrs; i++) {
        const char *key = gen->keys[i];
        int j;
        if (link_common_attr(key))
            continue;
        j = linkrate_param_index(m, key);
        if (j < 0)
            return scn_error(gen, err,
                             "attribute '%s' is not a parameter of model '%s' (its "
                             "parameters: %s)",
                             key, m->name, linkrate_param_names(m, list, sizeof list));
        if ((rc = link_read_param(gen, m, (size_t)j, v, err)) != SIM_OK)
            return rc;
    }
    if (m->needs_length && isnan(link->length_m))
        return scn_error(gen, err,
                         "link '%s' has no length: model '%s' computes the rate from the "
                         "fibre length (give <link length=\"...\">, or the GraphML edge "
                         "attribute)",
                         link->id, m->name);
    if ((rc = linkrate_compute(m, v, link->length_m, cfg->params, &cfg->rate_bps, &why)) !=
        SIM_OK)
        return rc == SIM_ERR_INPUT ? scn_error(gen, err, "%s", why.msg)
                                   : sim_err_set(err, rc, "%s", why.msg);
    cfg->model = m;
    return SIM_OK;
}

static int link_read_fluctuation(const scn_elem_t *fl, link_device_config_t *cfg,
                                 sim_err_t *err)
{
    int law = LINK_LAW_NONE;
    int rc;

    cfg->law = LINK_LAW_NONE;
    cfg->cv = LINK_DEFAULT_CV;
    if (fl == NULL)
        return SIM_OK;
    if ((rc = scn_attr_enum(fl, "law", true, link_law_names, &law, err)) != SIM_OK ||
        (rc = scn_attr_double(fl, "cv", false, &cfg->cv, err)) != SIM_OK)
        return rc;
    cfg->law = (link_law_t)law;
    if (cfg->law != LINK_LAW_NONE && !(cfg->cv > 0.0))
        return scn_error(fl, err,
                         "attribute 'cv': the coefficient of variation must be positive "
                         "(use law=\"none\" for no fluctuation)");
    return SIM_OK;
}

static int link_interval_cmp(const void *a, const void *b)
{
    const link_interval_t *x = a, *y = b;
    return x->from < y->from ? -1 : x->from > y->from ? 1 : 0;
}

/* Reads every <outage>, then sorts them and merges those that overlap or
 * touch, so that the device's scheduled down time is their union. */
static int link_read_outages(const scn_elem_t *gen, link_device_config_t *cfg,
                             sim_err_t *err)
{
    size_t n = scn_count_children(gen, "outage"), m = 0;
    int rc;

    if (n == 0)
        return SIM_OK;
    if ((cfg->outages = calloc(n, sizeof *cfg->outages)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    for (const scn_elem_t *o = scn_child(gen, "outage"); o != NULL;
         o = scn_next_sibling(o, "outage")) {
        link_interval_t *iv = &cfg->outages[cfg->noutages];
        if ((rc = scn_attr_time(o, "from", true, &iv->from, err)) != SIM_OK ||
            (rc = scn_attr_time(o, "to", true, &iv->to, err)) != SIM_OK)
            return rc;
        if (iv->to <= iv->from)
            return scn_error(o, err, "attribute 'to': an outage must end after it begins");
        cfg->noutages++;
    }
    qsort(cfg->outages, n, sizeof *cfg->outages, link_interval_cmp);
    for (size_t i = 1; i < n; i++) {
        if (cfg->outages[i].from <= cfg->outages[m].to) {
            if (cfg->outages[i].to > cfg->outages[m].to)
                cfg->outages[m].to = cfg->outages[i].to;
        } else {
            cfg->outages[++m] = cfg->outages[i];
        }
    }
    cfg->noutages = m + 1;
    return SIM_OK;
}

static int link_read_failures(const scn_elem_t *fa, link_device_config_t *cfg,
                              sim_err_t *err)
{
    int rc;
    if (fa == NULL)
        return SIM_OK;
    if ((rc = scn_attr_time(fa, "mtbf", true, &cfg->mtbf_ns, err)) != SIM_OK ||
        (rc = scn_attr_time(fa, "mttr", true, &cfg->mttr_ns, err)) != SIM_OK)
        return rc;
    if (cfg->mtbf_ns <= 0)
        return scn_error(fa, err, "attribute 'mtbf': the mean time between failures must be "
                                  "positive");
    if (cfg->mttr_ns <= 0)
        return scn_error(fa, err, "attribute 'mttr': the mean time to repair must be positive");
    return SIM_OK;
}

static int link_read_device(const link_t *link, const scn_elem_t *gen,
                            link_device_config_t *cfg, sim_err_t *err)
{
    int rc;

    cfg->block_ns = LINK_DEFAULT_BLOCK_NS;
    cfg->delay_ns = 0;
    if ((rc = link_read_model(link, gen, cfg, err)) != SIM_OK ||
        (rc = scn_attr_time(gen, "block", false, &cfg->block_ns, err)) != SIM_OK ||
        (rc = scn_attr_time(gen, "delay", false, &cfg->delay_ns, err)) != SIM_OK)
        return rc;
    if (cfg->block_ns <= 0)
        return scn_error(gen, err, "attribute 'block': the block interval must be positive");
    if ((rc = link_read_fluctuation(scn_child(gen, "fluctuation"), cfg, err)) != SIM_OK ||
        (rc = link_read_outages(gen, cfg, err)) != SIM_OK ||
        (rc = link_read_failures(scn_child(gen, "failures"), cfg, err)) != SIM_OK)
        return rc;
    return SIM_OK;
}

int link_parse(link_t *link, const scn_elem_t *e, sim_err_t *err)
{
    size_t n = scn_count_children(e, "generation");
    int rc;

    if (n == 0)
        return scn_error(e, err, "missing <generation>");
    if ((link->devices = calloc(n, sizeof *link->devices)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    for (const scn_elem_t *g = scn_child(e, "generation"); g != NULL;
         g = scn_next_sibling(g, "generation")) {
        link_device_t *d = &link->devices[link->ndevices];
        d->index = (uint32_t)link->ndevices;
        link->ndevices++;   /* from here on, link_cleanup frees what it holds */
        if ((rc = link_read_device(link, g, &d->cfg, err)) != SIM_OK)
            return rc;
    }
    link->devices[0].stream = link->stream;
    return SIM_OK;
}

void link_cleanup(link_t *link)
{
    for (size_t i = 0; i < link->ndevices; i++) {
        free(link->devices[i].cfg.outages);
        if (link->devices[i].fluct != NULL)
            rng_stream_free(link->devices[i].fluct);
        if (link->devices[i].fail != NULL)
            rng_stream_free(link->devices[i].fail);
    }
    free(link->devices);
    free(link->flight);
    link->devices = NULL;
    link->ndevices = 0;
    link->flight = NULL;
    link->flight_head = link->nflight = link->flight_cap = 0;
}

double link_nominal_rate(const link_t *link)
{
    double sum = 0.0;
    for (size_t i = 0; i < link->ndevices; i++)
        sum += link->devices[i].cfg.rate_bps;
    return sum;
}

/* ============================================================ up and down */

static bool link_dev_down(const link_device_t *d)
{
    return d->sched_down || d->fail_down;
}

int64_t link_device_up_ns(const link_device_t *d, int64_t t)
{
    return d->up_ns + (link_dev_down(d) ? 0 : t - d->up_since);
}

int64_t link_up_ns(const link_t *link, int64_t t)
{
    return link->up_ns + (link->devices_up == 0 ? 0 : t - link->up_since);
}

/* The next change of either outage process, INT64_MAX when none. */
static int64_t link_next_transition(const link_device_t *d)
{
    int64_t t = d->fail_at;
    if (d->next_outage < d->cfg.noutages) {
        const link_interval_t *o = &d->cfg.outages[d->next_outage];
        const int64_t s = d->sched_down ? o->to : o->from;
        if (s < t)
            t = s;
    }
    return t;
}

static int64_t link_next_tick(const link_device_t *d)
{
    if (d->next_k > d->last_k)
        return INT64_MAX;
    return (int64_t)d->next_k * d->cfg.block_ns;
}

/* from + an exponential duration of mean mean_ns, at least 1 ns (an
 * outage or an up time is never empty), INT64_MAX when past the end of
 * representable time. */
static int64_t link_draw_end(gsl_rng *r, int64_t mean_ns, int64_t from)
{
    double x = gsl_ran_exponential(r, (double)mean_ns);
    /* Doubles near 2^63 are 1024 apart: keep well clear of overflow. */
    if (x >= (double)(INT64_MAX - from) - 4096.0)
        return INT64_MAX;
    return from + (x < 1.0 ? 1 : (int64_t)llround(x));
}

static void link_tell_key(const link_t *l, size_t device, const kstore_range_t *r,
                          kstore_cause_t cause, int64_t now)
{
    for (size_t i = 0; i < l->nlisteners; i++)
        if (l->listeners[i].on_key != NULL)
            l->listeners[i].on_key(l->listeners[i].ctx, device, r, cause, now);
}

int link_listen(link_t *link, const link_listener_t *li, sim_err_t *err)
{
    if (link->nlisteners == LINK_MAX_LISTENERS)
        return sim_err_set(err, SIM_ERR_RUN, "link %s: too many listeners", link->id);
    link->listeners[link->nlisteners++] = *li;
    return SIM_OK;
}

static void link_report_outage(const link_device_t *d, link_outage_kind_t kind, int64_t from,
                               int64_t to)
{
    const link_t *l = d->link;
    const link_outage_rec_t rec = { l->index, d->index, (uint8_t)kind, from, to };
    for (size_t i = 0; i < l->nlisteners; i++)
        if (l->listeners[i].on_outage != NULL)
            l->listeners[i].on_outage(l->listeners[i].ctx, &rec);
}

/* Applies the one change due at t (scheduled outages first when both are
 * due), keeping the up-time integrals of the device and the link. */
static void link_apply_transition(link_device_t *d, int64_t t)
{
    link_t *l = d->link;
    const bool was_down = link_dev_down(d);
    const link_interval_t *o =
        d->next_outage < d->cfg.noutages ? &d->cfg.outages[d->next_outage] : NULL;

    if (o != NULL && t == (d->sched_down ? o->to : o->from)) {
        if (!d->sched_down) {
            d->sched_down = true;
            d->outages++;
            link_report_outage(d, LINK_OUTAGE_SCHEDULED, o->from, o->to);
        } else {
            d->sched_down = false;
            d->next_outage++;
        }
    } else if (!d->fail_down) {
        d->fail_down = true;
        d->fail_at = link_draw_end(d->fail, d->cfg.mttr_ns, t);
        d->outages++;
        link_report_outage(d, LINK_OUTAGE_FAILURE, t, d->fail_at);
    } else {
        d->fail_down = false;
        d->fail_at = link_draw_end(d->fail, d->cfg.mtbf_ns, t);
    }
    if (was_down == link_dev_down(d))
        return;
    if (!was_down) {
        d->up_ns += t - d->up_since;
        if (--l->devices_up == 0)
            l->up_ns += t - l->up_since;
    } else {
        d->up_since = t;
        if (l->devices_up++ == 0)
            l->up_since = t;
    }
}

/* ============================================================ blocks */

/* R * ns as bits and the bit-ns left over (rem < 1e9), for a whole rate
 * R < 2^53 (link_rate_whole). False when the bits do not fit 64 bits. */
static bool link_whole_bits(double r, int64_t ns, uint64_t *bits, uint64_t *rem)
{
    const unsigned __int128 p = (unsigned __int128)(uint64_t)r * (uint64_t)ns;
    const unsigned __int128 b = p / 1000000000u;
    if (b > UINT64_MAX)
        return false;
    *bits = (uint64_t)b;
    *rem = (uint64_t)(p - b * 1000000000u);
    return true;
}

static bool link_rate_whole(double r)
{
    return r == floor(r) && r >= 0.0 && r < 9007199254740992.0;
}

/* *bits = floor(R * up_ns / 1e9): whole rates (the usual case) exactly in
 * 128-bit integers, so that 1000 bit/s over 33 blocks of 300 ms gives 9900
 * bits, not 9899; other rates in long double. False when the result does
 * not fit in 64 bits (the conversion is checked first: no float-cast
 * overflow). *rem: the bit-ns left over for whole rates. */
static bool link_bits_in(double r, int64_t up_ns, uint64_t *bits, uint64_t *rem)
{
    if (link_rate_whole(r))
        return link_whole_bits(r, up_ns, bits, rem);
    const long double t = (long double)up_ns / 1e9L;
    return sim_u64_of_long_double(floorl((long double)r * t), bits);
}

/* A block's rate: mean R, coefficient of variation cv.
 * lognormal: sigma^2 = ln(1 + cv^2), mu = ln R - sigma^2 / 2;
 * gamma: shape k = 1 / cv^2, scale R / k. */
static double link_draw_rate(link_device_t *d)
{
    const double mean = d->cfg.rate_bps, cv = d->cfg.cv;
    if (mean <= 0.0)
        return 0.0;
    if (d->cfg.law == LINK_LAW_LOGNORMAL) {
        const double s2 = log1p(cv * cv);
        return gsl_ran_lognormal(d->fluct, log(mean) - s2 / 2.0, sqrt(s2));
    }
    const double k = 1.0 / (cv * cv);
    return gsl_ran_gamma(d->fluct, k, mean / k);
}

/* A device's key counter would pass 2^64 - 1 bits: the run fails. */
static int link_overflow(const link_device_t *d, const char *what, sim_err_t *err)
{
    return sim_err_set(err, SIM_ERR_RUN,
                       "link %s, device %" PRIu32 ": key counter overflow: %s would exceed "
                       "2^64 - 1 bits (rate x duration too large; see docs/models.md, "
                       "\"Counter bounds\")",
                       d->link->id, d->index, what);
}

/* The bits of block next_k, which ends at t (up: U(t), ns). */
static int link_block_bits(link_device_t *d, int64_t up, uint64_t *bits, double *rate,
                           sim_err_t *err)
{
    if (d->cfg.law == LINK_LAW_NONE) {
        uint64_t cum = 0, rem = 0;
        if (d->cum_exact && d->step_ok && up - d->up_at_tick == d->cfg.block_ns &&
            d->step_q < UINT64_MAX && d->cum_bits < UINT64_MAX - d->step_q) {
            /* A whole block of up time: the same sum without a division. */
            cum = d->cum_bits + d->step_q;
            rem = d->cum_rem + d->step_rem;
            if (rem >= 1000000000u) {
                rem -= 1000000000u;
                cum++;
            }
        } else if (!link_bits_in(d->cfg.rate_bps, up, &cum, &rem)) {
            return link_overflow(d, "the key generated", err);
        }
        d->cum_rem = rem;
        *rate = d->cfg.rate_bps;
        *bits = cum - d->cum_bits;
        d->cum_bits = cum;
        return SIM_OK;
    }
    /* One draw per block, outage or not, so that the k-th block always
     * has the k-th draw of the stream. */
    double amount, whole;
    *rate = link_draw_rate(d);
    amount = d->carry + *rate * ((double)(up - d->up_at_tick) / 1e9);
    whole = floor(amount);
    if (!sim_u64_of_double(whole, bits))
        return link_overflow(d, "the key of one block", err);
    d->carry = amount - whole;
    return SIM_OK;
}

/* Block next_k ends at t: its key joins the held key. */
static int link_tick(link_device_t *d, int64_t t, sim_err_t *err)
{
    const int64_t up = link_device_up_ns(d, t);
    uint64_t bits = 0;
    double rate = 0.0;
    int rc;

    if ((rc = link_block_bits(d, up, &bits, &rate, err)) != SIM_OK)
        return rc;
    if (!sim_add_u64(&d->held_bits, bits))
        return link_overflow(d, "the key held in a block", err);
    d->up_at_tick = up;
    d->blocks++;
    d->link->blocks++;
    if (bits > 0) {
        d->held_block = d->next_k;
        d->held_rate = rate;
    }
    d->next_k++;
    return SIM_OK;
}

/* Block key of `bits` reaches both ends at `now`. */
static int link_deliver(link_device_t *d, uint64_t bits, int64_t now, sim_err_t *err)
{
    link_t *link = d->link;
    const kstore_range_t range = {
        .stream = d->stream, .offset = d->next_offset, .length = bits, .birth = now,
    };
    uint64_t next = d->next_offset;

    if (!sim_add_u64(&next, bits))
        return link_overflow(d, "the offset in its key stream", err);
    if (link->sink(link->sink_ctx, d->index, &range, KSTORE_CAUSE_GENERATED, now, err) !=
        SIM_OK) {
        sim_err_prefix(err, "link %s", link->id);
        return err->code;
    }
    link_tell_key(link, d->index, &range, KSTORE_CAUSE_GENERATED, now);
    d->next_offset = next;
    return SIM_OK;
}

static void link_on_deliver(sim_t *sim, void *object, uint64_t bits)
{
    link_device_t *d = object;
    sim_err_t err;

    if (link_deliver(d, bits, sim_now(sim), &err) != SIM_OK)
        model_fail(d->link->ctx, &err);
}

/* A lazy link's closed block, due at `at`. */
static int link_fly(link_t *l, int64_t at, uint64_t bits, sim_err_t *err)
{
    if (l->flight_head > 0 && l->nflight == l->flight_cap) {
        l->nflight -= l->flight_head;
        memmove(l->flight, l->flight + l->flight_head, l->nflight * sizeof *l->flight);
        l->flight_head = 0;
    }
    link_flight_t *f = grow_room(l->flight, &l->flight_cap, l->nflight + 1, sizeof *f, 4);
    if (f == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "link %s: out of memory", l->id);
    l->flight = f;
    l->flight[l->nflight++] = (link_flight_t){ at, bits };
    return SIM_OK;
}

/* Tells the listeners that the held block closed at t. */
static void link_tell_block(const link_device_t *d, int64_t t)
{
    const link_t *l = d->link;
    const link_block_rec_t rec = { t, l->index, d->index, d->held_block, d->held_bits,
                                   d->held_rate };
    for (size_t i = 0; i < l->nlisteners; i++)
        if (l->listeners[i].on_block != NULL)
            l->listeners[i].on_block(l->listeners[i].ctx, &rec);
}

/* Closes the held block at t and sends it to the stores. */
static int link_close(link_device_t *d, int64_t t, sim_err_t *err)
{
    link_t *l = d->link;

    if (!sim_add_u64(&d->generated, d->held_bits))
        return link_overflow(d, "the key generated", err);
    if (!sim_add_u64(&l->generated, d->held_bits))
        return link_overflow(d, "the key generated by the link", err);
    d->closed++;
    if (l->nlisteners > 0)
        link_tell_block(d, t);
    /* A block that would arrive after the end never does. */
    if (d->cfg.delay_ns <= l->ctx->end - t) {
        if (l->lazy && d->cfg.delay_ns == 0) {
            /* Nothing can be in flight: this delivery is the next thing
             * due, as its late event would run next. */
            if (link_deliver(d, d->held_bits, t, err) != SIM_OK)
                return err->code;
        } else if (l->lazy) {
            if (link_fly(l, t + d->cfg.delay_ns, d->held_bits, err) != SIM_OK)
                return err->code;
        } else if (sim_schedule_late_at(l->ctx->sim, t + d->cfg.delay_ns, link_on_deliver, d,
                                        d->held_bits) == 0) {
            return sim_err_set(err, SIM_ERR_RUN, "link %s: out of memory", l->id);
        }
    }
    d->held_bits = 0;
    return SIM_OK;
}

static void link_on_device(sim_t *sim, void *object, uint64_t arg);

/* The device's next step: its next block end or outage change, or
 * INT64_MAX when that lies past the run. */
static int64_t link_next_step(const link_device_t *d)
{
    int64_t next = link_next_tick(d), tr = link_next_transition(d);
    if (tr < next)
        next = tr;
    return next > d->link->ctx->end ? INT64_MAX : next;
}

/* Notes the device's next step (next_at) and schedules it as a late
 * event (nothing when lazy: link_feed runs it). */
static int link_schedule(link_device_t *d, sim_err_t *err)
{
    const int64_t next = d->next_at = link_next_step(d);
    if (next == INT64_MAX || d->link->lazy)
        return SIM_OK;
    if (sim_schedule_late_at(d->link->ctx->sim, next, link_on_device, d, 0) == 0)
        return sim_err_set(err, SIM_ERR_RUN, "link %s: out of memory", d->link->id);
    return SIM_OK;
}

/* The device's step at now. At one instant: outage changes first, then
 * the block end, then the held key closes if the device is up. So a block
 * that ends exactly when an outage begins is held, and one that ends
 * exactly when it ends closes. */
static int link_step(link_device_t *d, int64_t now, sim_err_t *err)
{
    int rc;

    while (link_next_transition(d) <= now)
        link_apply_transition(d, link_next_transition(d));
    if ((link_next_tick(d) == now && (rc = link_tick(d, now, err)) != SIM_OK) ||
        (!link_dev_down(d) && d->held_bits > 0 && (rc = link_close(d, now, err)) != SIM_OK))
        return rc;
    return link_schedule(d, err);
}

static void link_on_device(sim_t *sim, void *object, uint64_t arg)
{
    link_device_t *d = object;
    sim_err_t err;
    (void)arg;

    if (link_step(d, sim_now(sim), &err) != SIM_OK)
        model_fail(d->link->ctx, &err);
}

/* ============================================================ lazy */

bool link_has_outages(const link_t *link)
{
    for (size_t k = 0; k < link->ndevices; k++)
        if (link->devices[k].cfg.noutages > 0 || link->devices[k].cfg.mtbf_ns > 0)
            return true;
    return false;
}

bool link_can_be_lazy(const link_t *link)
{
    const bool outages = link_has_outages(link);
    if (link->ndevices != 1)
        return false;
    for (size_t i = 0; i < link->nlisteners; i++)
        if (link->listeners[i].on_block != NULL || link->listeners[i].on_key != NULL ||
            (outages && link->listeners[i].on_outage != NULL))
            return false;
    return true;
}

void link_set_lazy(link_t *link)
{
    link->lazy = true;
    link->due = INT64_MAX;   /* nothing due before link_start */
}

/* When a lazy link's oldest block in flight arrives, INT64_MAX when none. */
static int64_t link_next_arrival(const link_t *l)
{
    return l->flight_head < l->nflight ? l->flight[l->flight_head].at : INT64_MAX;
}

/* A lazy link's earliest pending step or delivery, INT64_MAX when none. */
static int64_t link_due(const link_t *l)
{
    const int64_t step = l->devices[0].next_at, fly = link_next_arrival(l);
    return step < fly ? step : fly;
}

/* Runs a lazy link's steps and deliveries due before `limit` (also those
 * at `limit` when inclusive), in time order; a step before a delivery at
 * the same instant (a step delivers nothing itself, and the block it
 * closes with no delay is delivered after it, as its late event would
 * be). */
static int link_catch_up(link_t *l, int64_t limit, bool inclusive, sim_err_t *err)
{
    link_device_t *d = &l->devices[0];
    int rc = SIM_OK;

    l->feeding = true;
    for (;;) {
        const int64_t step = d->next_at, fly = link_next_arrival(l);
        const int64_t t = step <= fly ? step : fly;
        if (t == INT64_MAX || t > limit || (t == limit && !inclusive))
            break;   /* INT64_MAX: nothing due at all (a run may end there) */
        if (step <= fly) {
            rc = link_step(d, t, err);
        } else {
            const uint64_t bits = l->flight[l->flight_head++].bits;
            if (l->flight_head == l->nflight)
                l->flight_head = l->nflight = 0;
            rc = link_deliver(d, bits, t, err);
        }
        if (rc != SIM_OK)
            break;
    }
    l->due = link_due(l);
    l->feeding = false;
    return rc;
}

/* link_feed when something is due: out of line, so that the common call,
 * with nothing due, sets up no error record. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void link_feed_due(link_t *l, int64_t now)
{
    sim_err_t err;
    if (link_catch_up(l, now, false, &err) != SIM_OK)
        model_fail(l->ctx, &err);
}

void link_feed(void *link)
{
    link_t *l = link;
    const int64_t now = sim_now(l->ctx->sim);

    if (!l->feeding && l->due < now)
        link_feed_due(l, now);
}

int link_finish(link_t *link, int64_t end, sim_err_t *err)
{
    if (!link->lazy || link->feeding)
        return SIM_OK;
    return link_catch_up(link, end, true, err);
}

/* ============================================================ start */

static gsl_rng *link_stream(const link_t *link, uint32_t device, const char *what,
                            sim_err_t *err)
{
    size_t len = strlen(link->id) + strlen(what) + 48;
    char *name = malloc(len);
    gsl_rng *r = NULL;

    if (name != NULL) {
        snprintf(name, len, "link/%s/device/%u/%s", link->id, (unsigned)device, what);
        r = rng_stream_create(link->ctx->seed, link->ctx->run, name);
        free(name);
    }
    if (r == NULL)
        sim_err_set(err, SIM_ERR_RUN, "out of memory");
    return r;
}

static int link_start_device(link_t *link, link_device_t *d, sim_err_t *err)
{
    d->link = link;
    d->next_k = 1;
    d->last_k = (uint64_t)(INT64_MAX / d->cfg.block_ns);
    d->cum_exact = link_rate_whole(d->cfg.rate_bps);   /* constant; U(0) = 0: no rest */
    d->step_ok = d->cum_exact &&
                 link_whole_bits(d->cfg.rate_bps, d->cfg.block_ns, &d->step_q, &d->step_rem);
    d->fail_at = INT64_MAX;
    if (d->cfg.law != LINK_LAW_NONE &&
        (d->fluct = link_stream(link, d->index, "fluctuation", err)) == NULL)
        return SIM_ERR_RUN;
    if (d->cfg.mtbf_ns > 0) {
        if ((d->fail = link_stream(link, d->index, "failures", err)) == NULL)
            return SIM_ERR_RUN;
        d->fail_at = link_draw_end(d->fail, d->cfg.mtbf_ns, 0);
    }
    return link_schedule(d, err);
}

int link_start(link_t *link, uint64_t initial, sim_err_t *err)
{
    const kstore_range_t range = {
        .stream = link->stream, .offset = 0, .length = initial, .birth = 0,
    };
    int rc;

    link->devices_up = link->ndevices;
    link->devices[0].next_offset = initial;
    if (initial > 0) {
        if ((rc = link->sink(link->sink_ctx, 0, &range, KSTORE_CAUSE_INITIAL, 0, err)) !=
            SIM_OK)
            return rc;
        link_tell_key(link, 0, &range, KSTORE_CAUSE_INITIAL, 0);
    }
    for (size_t i = 0; i < link->ndevices; i++)
        if ((rc = link_start_device(link, &link->devices[i], err)) != SIM_OK)
            return rc;
    link->due = link->lazy ? link_due(link) : INT64_MAX;
    return SIM_OK;
}

/* ------------------------------------------------------------ output */

/* One /link_devices row per QKD device (a <generation> of a link). */
typedef struct link_device_rec {
    uint32_t link, device;
    uint64_t stream;
    const char *model, *params;
    double rate_bps;
    int64_t block_ns, delay_ns;
    const char *law;
    double cv;
    uint32_t scheduled_outages;
    int64_t mtbf_ns, mttr_ns;
} link_device_rec_t;

static const trace_field_t link_device_fields[] = {
    F(link_device_rec_t, link, TRACE_U32),     F(link_device_rec_t, device, TRACE_U32),
    F(link_device_rec_t, stream, TRACE_U64),   F(link_device_rec_t, model, TRACE_STR),
    F(link_device_rec_t, params, TRACE_STR),   F(link_device_rec_t, rate_bps, TRACE_F64),
    F(link_device_rec_t, block_ns, TRACE_I64), F(link_device_rec_t, delay_ns, TRACE_I64),
    F(link_device_rec_t, law, TRACE_STR),      F(link_device_rec_t, cv, TRACE_F64),
    F(link_device_rec_t, scheduled_outages, TRACE_U32),
    F(link_device_rec_t, mtbf_ns, TRACE_I64),  F(link_device_rec_t, mttr_ns, TRACE_I64),
};

static const trace_field_t link_block_fields[] = {
    F(link_block_rec_t, time, TRACE_I64),   F(link_block_rec_t, link, TRACE_U32),
    F(link_block_rec_t, device, TRACE_U32), F(link_block_rec_t, block, TRACE_U64),
    F(link_block_rec_t, bits, TRACE_U64),   F(link_block_rec_t, rate_bps, TRACE_F64),
};

static const trace_field_t link_outage_fields[] = {
    F(link_outage_rec_t, link, TRACE_U32), F(link_outage_rec_t, device, TRACE_U32),
    F(link_outage_rec_t, kind, TRACE_U8),  F(link_outage_rec_t, from, TRACE_I64),
    F(link_outage_rec_t, to, TRACE_I64),
};

/* One /summary/link_devices row. */
typedef struct link_device_sum {
    uint32_t link, device;
    uint64_t generated, blocks, closed, held;
    double mean_rate_bps;
    int64_t up_ns;
    double availability;
    uint64_t outages;
} link_device_sum_t;

static const trace_field_t link_device_sum_fields[] = {
    F(link_device_sum_t, link, TRACE_U32),          F(link_device_sum_t, device, TRACE_U32),
    F(link_device_sum_t, generated, TRACE_U64),     F(link_device_sum_t, blocks, TRACE_U64),
    F(link_device_sum_t, closed, TRACE_U64),        F(link_device_sum_t, held, TRACE_U64),
    F(link_device_sum_t, mean_rate_bps, TRACE_F64), F(link_device_sum_t, up_ns, TRACE_I64),
    F(link_device_sum_t, availability, TRACE_F64),  F(link_device_sum_t, outages, TRACE_U64),
};

static void link_trace_block(void *ctx, const link_block_rec_t *rec)
{
    link_t *l = ctx;
    sim_err_t err;
    if (trace_append(l->t_blocks, rec, &err) != SIM_OK)
        model_fail(l->ctx, &err);
}

static void link_trace_outage(void *ctx, const link_outage_rec_t *rec)
{
    link_t *l = ctx;
    sim_err_t err;
    if (trace_append(l->t_outages, rec, &err) != SIM_OK)
        model_fail(l->ctx, &err);
}

double link_block_count(const link_t *link, int64_t end)
{
    double blocks = 0;
    for (size_t i = 0; i < link->ndevices; i++)
        blocks += floor((double)end / (double)link->devices[i].cfg.block_ns);
    return blocks;
}

void link_estimate(const link_t *link, int64_t end, bool lazy, model_estimate_t *est)
{
    const double blocks = link_block_count(link, end);
    const size_t block_row = trace_row_bytes(link_block_fields, NFIELDS(link_block_fields));
    const size_t outage_row = trace_row_bytes(link_outage_fields, NFIELDS(link_outage_fields));
    double outages = 0;

    for (size_t i = 0; i < link->ndevices; i++) {
        const link_device_config_t *c = &link->devices[i].cfg;
        outages += (double)c->noutages;
        if (c->mtbf_ns > 0)
            outages += (double)end / ((double)c->mtbf_ns + (double)c->mttr_ns);
    }
    if (!lazy)
        est->events += 2 * blocks + 2 * outages;
    est->level_rows += 2 * blocks;
    est->block_bytes += blocks * (double)block_row;
    est->log_bytes += outages * (double)outage_row;
}

/* "name=value ..." of the parameters a device's model used. */
static void link_device_params(const link_device_config_t *c, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < c->model->nparams && used + 1 < len; i++) {
        int k = snprintf(buf + used, len - used, "%s%s=%.15g", i > 0 ? " " : "",
                         c->model->params[i].name, c->params[i]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

static int link_trace_devices(const link_t *links, size_t n, trace_t *trace, sim_err_t *err)
{
    trace_table_t *t = trace_table_create(trace, "/link_devices", sizeof(link_device_rec_t),
                                          link_device_fields, NFIELDS(link_device_fields),
                                          err);
    char params[512];
    if (t == NULL)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < links[i].ndevices; k++) {
            const link_device_t *d = &links[i].devices[k];
            const link_device_config_t *c = &d->cfg;
            link_device_rec_t r = { links[i].index, d->index, d->stream, c->model->name,
                                    params, c->rate_bps, c->block_ns, c->delay_ns,
                                    link_law_name(c->law),
                                    c->law == LINK_LAW_NONE ? 0.0 : c->cv,
                                    (uint32_t)c->noutages, c->mtbf_ns, c->mttr_ns };
            link_device_params(c, params, sizeof params);
            if (trace_append(t, &r, err) != SIM_OK)
                return SIM_ERR_RUN;
        }
    }
    return SIM_OK;
}

int link_trace_open(link_t *links, size_t n, trace_t *trace, bool block_rows,
                    bool outage_rows, sim_err_t *err)
{
    const link_listener_t li = { .on_block = block_rows ? link_trace_block : NULL,
                                 .on_outage = outage_rows ? link_trace_outage : NULL };
    trace_table_t *blocks = trace_table_create_large(trace, "/link_blocks",
                                                     sizeof(link_block_rec_t),
                                                     link_block_fields,
                                                     NFIELDS(link_block_fields), err);
    trace_table_t *outages = NULL;

    if (blocks == NULL ||
        (outages = trace_table_create(trace, "/link_outages", sizeof(link_outage_rec_t),
                                      link_outage_fields, NFIELDS(link_outage_fields),
                                      err)) == NULL ||
        trace_attr_string(trace, "/link_outages", "kind_names", "0=SCHEDULED,1=FAILURE",
                          err) != SIM_OK)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < n && (block_rows || outage_rows); i++) {
        link_listener_t mine = li;
        mine.ctx = &links[i];
        links[i].t_blocks = blocks;
        links[i].t_outages = outages;
        if (link_listen(&links[i], &mine, err) != SIM_OK)
            return SIM_ERR_RUN;
    }
    return link_trace_devices(links, n, trace, err);
}

int link_trace_summary(const link_t *links, size_t n, trace_t *trace, int64_t end,
                       sim_err_t *err)
{
    trace_table_t *t = trace_table_create(trace, "/summary/link_devices",
                                          sizeof(link_device_sum_t), link_device_sum_fields,
                                          NFIELDS(link_device_sum_fields), err);
    if (t == NULL)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < links[i].ndevices; k++) {
            const link_device_t *d = &links[i].devices[k];
            const int64_t up = link_device_up_ns(d, end);
            link_device_sum_t row = {
                links[i].index, d->index, d->generated, d->blocks, d->closed, d->held_bits,
                end > 0 ? (double)d->generated / ((double)end / 1e9) : 0.0, up,
                end > 0 ? (double)up / (double)end : 0.0, d->outages,
            };
            if (trace_append(t, &row, err) != SIM_OK)
                return SIM_ERR_RUN;
        }
    }
    return SIM_OK;
}
