/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * relay_out.c - the relay's tables: /relays, /summary/flows and
 * /summary/relay (docs/trace-format.md is the contract).
 */
#include "models/relay_impl.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))
#define F(type, member, kind) { #member, kind, offsetof(type, member) }

typedef struct relay_rec {
    uint64_t job;
    uint32_t flow, src, dst, hops;
    uint64_t bits;
    int64_t enqueued, done, latency;
    uint64_t spent;
    uint32_t rerouted;
    uint8_t outcome;
} relay_rec_t;

static const trace_field_t relay_fields[] = {
    F(relay_rec_t, job, TRACE_U64),      F(relay_rec_t, flow, TRACE_U32),
    F(relay_rec_t, src, TRACE_U32),      F(relay_rec_t, dst, TRACE_U32),
    F(relay_rec_t, bits, TRACE_U64),     F(relay_rec_t, hops, TRACE_U32),
    F(relay_rec_t, enqueued, TRACE_I64), F(relay_rec_t, done, TRACE_I64),
    F(relay_rec_t, latency, TRACE_I64),  F(relay_rec_t, spent, TRACE_U64),
    F(relay_rec_t, rerouted, TRACE_U32), F(relay_rec_t, outcome, TRACE_U8),
};

typedef struct flow_sum {
    uint32_t flow;
    const char *id;
    uint8_t kind;
    uint32_t src, dst;
    double weight;
    uint32_t cls;
    double demand_bps, delivered_bps;
    uint64_t delivered, jobs, done, cut, refused, spent, tags, stranded, halvings;
    double latency_mean, latency_p50, latency_p95, latency_p99;
    uint64_t global_level, global_supplied, global_lower;
    uint64_t hop_waits;
    double hop_wait_mean, hop_wait_max;
} flow_sum_t;

static const trace_field_t flow_sum_fields[] = {
    F(flow_sum_t, flow, TRACE_U32),           F(flow_sum_t, id, TRACE_STR),
    F(flow_sum_t, kind, TRACE_U8),            F(flow_sum_t, src, TRACE_U32),
    F(flow_sum_t, dst, TRACE_U32),            F(flow_sum_t, weight, TRACE_F64),
    { "class", TRACE_U32, offsetof(flow_sum_t, cls) },
    F(flow_sum_t, demand_bps, TRACE_F64),     F(flow_sum_t, delivered_bps, TRACE_F64),
    F(flow_sum_t, delivered, TRACE_U64),      F(flow_sum_t, jobs, TRACE_U64),
    F(flow_sum_t, done, TRACE_U64),           F(flow_sum_t, cut, TRACE_U64),
    F(flow_sum_t, refused, TRACE_U64),        F(flow_sum_t, spent, TRACE_U64),
    F(flow_sum_t, tags, TRACE_U64),           F(flow_sum_t, stranded, TRACE_U64),
    F(flow_sum_t, halvings, TRACE_U64),       F(flow_sum_t, latency_mean, TRACE_F64),
    F(flow_sum_t, latency_p50, TRACE_F64),    F(flow_sum_t, latency_p95, TRACE_F64),
    F(flow_sum_t, latency_p99, TRACE_F64),    F(flow_sum_t, global_level, TRACE_U64),
    F(flow_sum_t, global_supplied, TRACE_U64), F(flow_sum_t, global_lower, TRACE_U64),
    F(flow_sum_t, hop_waits, TRACE_U64),      F(flow_sum_t, hop_wait_mean, TRACE_F64),
    F(flow_sum_t, hop_wait_max, TRACE_F64),
};

/* /summary/relay_links: one row per link, what relay spent there. */
typedef struct relay_link_sum {
    uint32_t link;
    uint64_t hops, spent, tags;
    double wait_mean;
} relay_link_sum_t;

static const trace_field_t relay_link_fields[] = {
    F(relay_link_sum_t, link, TRACE_U32),     F(relay_link_sum_t, hops, TRACE_U64),
    F(relay_link_sum_t, spent, TRACE_U64),    F(relay_link_sum_t, tags, TRACE_U64),
    F(relay_link_sum_t, wait_mean, TRACE_F64),
};

typedef struct relay_sum {
    char scheduler[TRACE_FSTR_LEN];
    uint8_t method, mode;
    uint32_t flows;
    uint64_t jobs, done, cut, refused, delivered, spent, tags, stranded;
    double fairness;
    uint8_t global_close;
} relay_sum_t;

static const trace_field_t relay_sum_fields[] = {
    F(relay_sum_t, scheduler, TRACE_FSTR), F(relay_sum_t, method, TRACE_U8),
    F(relay_sum_t, mode, TRACE_U8),       F(relay_sum_t, flows, TRACE_U32),
    F(relay_sum_t, jobs, TRACE_U64),      F(relay_sum_t, done, TRACE_U64),
    F(relay_sum_t, cut, TRACE_U64),       F(relay_sum_t, refused, TRACE_U64),
    F(relay_sum_t, delivered, TRACE_U64), F(relay_sum_t, spent, TRACE_U64),
    F(relay_sum_t, tags, TRACE_U64),      F(relay_sum_t, stranded, TRACE_U64),
    F(relay_sum_t, fairness, TRACE_F64),  F(relay_sum_t, global_close, TRACE_U8),
};



int relay_log_job(relay_t *r, const relay_job_t *j, relay_outcome_t o, int64_t now,
                  sim_err_t *err)
{
    relay_rec_t rec;
    if (r->t_relays == NULL || !client_log_keeps(&r->log, j->seq))
        return SIM_OK;
    rec = (relay_rec_t){ .job = j->id, .flow = j->flow->index, .src = j->flow->src,
                         .dst = j->flow->dst, .bits = j->bits,
                         .hops = j->hops_before + j->path.nhops, .enqueued = j->enqueued,
                         .done = o == RELAY_DONE ? now : -1,
                         .latency = o == RELAY_DONE ? now - j->enqueued : -1,
                         .spent = j->spent, .rerouted = j->rerouted, .outcome = (uint8_t)o };
    return trace_append(r->t_relays, &rec, err);
}

/* "0=NAME,1=NAME,..." of n codes. */
static int relay_code_names(trace_t *trace, const char *obj, const char *attr,
                            const char *const *names, size_t n, sim_err_t *err)
{
    char buf[256];
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < sizeof buf; i++) {
        int k = snprintf(buf + len, sizeof buf - len, "%s%zu=%s", i ? "," : "", i, names[i]);
        if (k < 0)
            break;
        len += (size_t)k;
    }
    return trace_attr_string(trace, obj, attr, buf, err);
}

static const char *const relay_outcomes[] = { "DONE", "STRANDED", "CUT", "REFUSED", "WAITING" };
static const char *const relay_kinds[] = { "RATE", "AMOUNT", "GLOBAL", "SEND" };
const char *relay_outcome_name(relay_outcome_t o)
{
    return (unsigned)o < NFIELDS(relay_outcomes) ? relay_outcomes[o] : "?";
}

static const char *const relay_methods[] = { "HOP", "XOR-DEST", "XOR-CENTRAL" };
static const char *const relay_modes[] = { "STORE-FORWARD", "END-TO-END" };

int relay_trace_open(relay_t *r, trace_t *trace, const client_output_t *log, sim_err_t *err)
{
    r->log = *log;
    r->t_relays = trace_table_create(trace, "/relays", sizeof(relay_rec_t), relay_fields,
                                     NFIELDS(relay_fields), err);
    if (r->t_relays == NULL ||
        relay_code_names(trace, "/relays", "outcome_names", relay_outcomes,
                         NFIELDS(relay_outcomes), err) != SIM_OK)
        return SIM_ERR_RUN;
    return SIM_OK;
}

/* Seconds flow f was asked to run for. */
static double relay_active_s(const relay_flow_t *f, int64_t end)
{
    const int64_t until = f->stop < end ? f->stop : end;
    return until > f->start ? (double)(until - f->start) / 1e9 : 0.0;
}

static double relay_delivered_bps(const relay_flow_t *f, int64_t end)
{
    const double s = relay_active_s(f, end);
    return s > 0 ? (double)f->delivered / s : 0.0;
}

void relay_estimate(const relay_t *r, int64_t end, model_estimate_t *est)
{
    const double row = (double)trace_row_bytes(relay_fields, NFIELDS(relay_fields));
    for (size_t i = 0; i < r->nflows; i++) {
        const relay_flow_t *f = r->flows[i];
        const double jobs = f->kind == RELAY_FLOW_AMOUNT
                                ? ceil((double)f->amount / (double)f->job_bits)
                                : f->demand * relay_active_s(f, end) / (double)f->job_bits;
        const double h = f->est_hops > 0 ? (double)f->est_hops : 1.0;
        const double per_job = r->cfg.method == RELAY_HOP && !f->sf.guaranteed &&
                                       r->cfg.mode == RELAY_STORE_FORWARD
                                   ? h
                                   : 1.0;
        est->events += jobs * (1.0 + per_job);
        est->level_rows += jobs * 2.0 * h;
        est->request_bytes += jobs * row;
    }
}

double relay_fairness(const relay_t *r, int64_t end)
{
    double sum = 0, sq = 0;
    size_t n = 0;
    for (size_t i = 0; i < r->nflows; i++) {
        const relay_flow_t *f = r->flows[i];
        double x;
        if (!(f->demand > 0))
            continue;
        x = relay_delivered_bps(f, end) / f->demand;
        sum += x;
        sq += x * x;
        n++;
    }
    return n == 0 || sq == 0 ? 1.0 : sum * sum / ((double)n * sq);
}

static int relay_flow_row(relay_flow_t *f, int64_t end, flow_sum_t *row, sim_err_t *err)
{
    *row = (flow_sum_t){
        .flow = f->index, .id = f->id, .kind = (uint8_t)f->kind, .src = f->src, .dst = f->dst,
        .weight = f->sf.weight, .cls = f->sf.cls, .demand_bps = f->demand,
        .delivered_bps = relay_delivered_bps(f, end), .delivered = f->delivered,
        .jobs = f->jobs, .done = f->done, .cut = f->cut, .refused = f->refused,
        .spent = f->spent, .tags = f->tags, .stranded = f->stranded, .halvings = f->halvings,
        .latency_mean = NAN, .latency_p50 = NAN, .latency_p95 = NAN, .latency_p99 = NAN,
        .hop_waits = f->hop_waits,
        .hop_wait_mean = f->hop_waits > 0 ? f->hop_wait_sum / (double)f->hop_waits : NAN,
        .hop_wait_max = f->hop_waits > 0 ? f->hop_wait_max : NAN,
    };
    if (qset_count(&f->lat) > 0 &&
        (qset_mean(&f->lat, &row->latency_mean) != 0 ||
         qset_quantile(&f->lat, 0.50, &row->latency_p50) != 0 ||
         qset_quantile(&f->lat, 0.95, &row->latency_p95) != 0 ||
         qset_quantile(&f->lat, 0.99, &row->latency_p99) != 0))
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    if (f->gs != NULL) {
        row->global_level = gstore_level(f->gs);
        row->global_supplied = gstore_accounts(f->gs, 0)->supplied;
        row->global_lower = gstore_lower(f->gs);
    }
    return SIM_OK;
}

/* /summary/relay_links: every link's relay hops, key and tags spent and
 * mean wait (NaN without hops). */
static int relay_links_summary(const relay_t *r, trace_t *trace, sim_err_t *err)
{
    trace_table_t *t = trace_table_create(trace, "/summary/relay_links",
                                          sizeof(relay_link_sum_t), relay_link_fields,
                                          NFIELDS(relay_link_fields), err);
    if (t == NULL)
        return SIM_ERR_RUN;
    for (size_t l = 0; l < r->env.nlinks; l++) {
        const relay_link_t *lk = &r->lk[l];
        const relay_link_sum_t row = {
            .link = (uint32_t)l, .hops = lk->hops, .spent = lk->spent, .tags = lk->tags,
            .wait_mean = lk->hops > 0 ? lk->wait_sum / (double)lk->hops : NAN,
        };
        if (trace_append(t, &row, err) != SIM_OK)
            return SIM_ERR_RUN;
    }
    return SIM_OK;
}

int relay_trace_summary(relay_t *r, trace_t *trace, int64_t end, uint64_t *stranded,
                        bool *closes, sim_err_t *err)
{
    trace_table_t *tf, *tr;
    relay_sum_t sum = { .method = (uint8_t)r->cfg.method, .mode = (uint8_t)r->cfg.mode,
                        .flows = (uint32_t)r->nflows, .global_close = 1 };
    int rc;

    snprintf(sum.scheduler, sizeof sum.scheduler, "%s", r->cfg.scheduler);
    if ((rc = relay_end_run(r, end, err)) != SIM_OK)
        return rc;
    tf = trace_table_create(trace, "/summary/flows", sizeof(flow_sum_t), flow_sum_fields,
                            NFIELDS(flow_sum_fields), err);
    tr = trace_table_create(trace, "/summary/relay", sizeof(relay_sum_t), relay_sum_fields,
                            NFIELDS(relay_sum_fields), err);
    if (tf == NULL || tr == NULL ||
        relay_code_names(trace, "/summary/flows", "kind_names", relay_kinds,
                         NFIELDS(relay_kinds), err) != SIM_OK ||
        relay_code_names(trace, "/summary/relay", "method_names", relay_methods,
                         NFIELDS(relay_methods), err) != SIM_OK ||
        relay_code_names(trace, "/summary/relay", "mode_names", relay_modes,
                         NFIELDS(relay_modes), err) != SIM_OK)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < r->nflows; i++) {
        relay_flow_t *f = r->flows[i];
        flow_sum_t row;
        if (relay_flow_row(f, end, &row, err) != SIM_OK || trace_append(tf, &row, err) != SIM_OK)
            return SIM_ERR_RUN;
        sum.jobs += f->jobs, sum.done += f->done, sum.cut += f->cut;
        sum.refused += f->refused, sum.delivered += f->delivered;
        if (f->gs != NULL && !gstore_accounts_close(f->gs))
            sum.global_close = 0;
    }
    if ((rc = relay_links_summary(r, trace, err)) != SIM_OK)
        return rc;
    sum.spent = r->spent, sum.tags = r->tags, sum.stranded = r->stranded;
    sum.fairness = relay_fairness(r, end);
    if (trace_append(tr, &sum, err) != SIM_OK)
        return SIM_ERR_RUN;
    *stranded = r->stranded;
    *closes = sum.global_close == 1;
    return SIM_OK;
}
