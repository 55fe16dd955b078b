/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * client.h - client kinds: the load generators of a scenario's <apps>
 * (docs/architecture.md, "Client kinds").
 *
 * A kind (client_kind_t) is a table of functions with the name of its
 * element under <apps>; the registry client_kinds[] (client.c) lists the
 * bundled kinds, and the world makes one client per element by looking its
 * name up there. Adding a kind is one new file, one line in the registry,
 * and its schema (scenarios/qkmsim.xsd) and docs.
 *
 * An instance starts with a client_t (the fields every kind has: the
 * world's /apps row) and asks for key through the key service
 * (keysvc.h), never from stores. A kind owns its output: the tables its
 * requests go to (opened by trace_open), its summary rows (written by
 * summary) and its network counters.
 *
 * Units: bits, ns, requests/s. Ownership: the world owns the instances
 * (made by create, freed by destroy); ids and elements are borrowed from
 * the scenario; the trace tables from the trace.
 */
#ifndef QKM_MODELS_CLIENT_H
#define QKM_MODELS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/keysvc.h"
#include "models/model.h"
#include "sim/error.h"
#include "sim/scenario.h"
#include "sim/trace.h"

typedef struct client_kind client_kind_t;

/* Outcomes every kind counts for the run report and /summary/network:
 * requests answered, and of those 200 (ok), 400 and 503. */
typedef struct client_outcomes {
    uint64_t requests, ok, bad_request, unavailable;
} client_outcomes_t;

/* What the request log keeps (<trace requests> / -O requests=...): every
 * request's row in the kind's own table (ALL, SAMPLED), or the per-client
 * aggregates of /request_stats (AGGREGATE, the default), or nothing. */
typedef enum client_log {
    CLIENT_LOG_ALL, CLIENT_LOG_SAMPLED, CLIENT_LOG_OFF, CLIENT_LOG_AGGREGATE
} client_log_t;

typedef struct client_output {
    client_log_t requests;
    uint64_t every;             /* SAMPLED: the 1st, (every+1)-th, ... request of a client */
    int64_t interval;           /* AGGREGATE: ns per window */
} client_output_t;

/* Whether the k-th row (from 0) offered to a per-row log (a kind's
 * request table, the relay's /relays) is kept under out: every row (ALL),
 * the 1st, (every+1)-th, ... (SAMPLED), none (OFF, and AGGREGATE, whose
 * rows are /request_stats' instead). */
bool client_log_keeps(const client_output_t *out, uint64_t k);

/* A client's aggregates of the current window (client.c). */
typedef struct client_agg client_agg_t;

/* What every client has. create fills id, the nodes and the demand (size,
 * number, rate); the world then fills kind, index, elem and ctx, and binds
 * key (keysvc_bind) before start. */
typedef struct client {
    const client_kind_t *kind;
    uint32_t index;             /* the world's client index: the /apps row */
    const char *id;             /* borrowed from the scenario */
    const scn_elem_t *elem;     /* its element (error locations) */
    model_ctx_t *ctx;
    uint32_t master, slave;     /* node indices of the two SAEs */
    uint64_t size, number;      /* bits per key, keys per request */
    double rate;                /* requests per second (the demand the designs see) */
    keysvc_pair_t key;          /* where its key comes from (keysvc_bind) */
    client_outcomes_t outcomes;
    client_agg_t *agg;          /* owned; NULL unless the trace aggregates requests */
} client_t;

/* What create may use: the run's context and node lookups. */
typedef struct client_env {
    model_ctx_t *ctx;
    int64_t end;                /* ns, the end of the run */
    /* Reads attribute `name` of e (required) as a node id. Errors name e. */
    int (*node)(const struct client_env *env, const scn_elem_t *e, const char *name,
                uint32_t *index, sim_err_t *err);
    const char *(*node_id)(const struct client_env *env, uint32_t index);
    const void *world;          /* for node, node_id and bind */
    uint32_t index;             /* the index the client being made will get */
    /* Binds one more pair of the client being made (e.g. an additional
     * slave SAE) through the key service, with the client's index and
     * demand; pair must live as long as the client. SIM_ERR_INPUT (naming
     * e) when the nodes cannot be served. */
    int (*bind)(const struct client_env *env, const scn_elem_t *e, const char *id,
                uint32_t master, uint32_t slave, uint64_t size, uint64_t number, double rate,
                keysvc_pair_t *pair, sim_err_t *err);
    /* Whether nodes a and b share a QKD link (keysvc_adjacent). */
    bool (*adjacent)(const struct client_env *env, uint32_t a, uint32_t b);
    /* Binds key the client being made has its KME at src send to the KME
     * at dst on demand, as d says (keysvc_bind_send; d->elem, the element
     * later errors name, is set to e); out must live as long as the
     * client. SIM_ERR_INPUT (naming e) when key relay cannot reach dst. */
    int (*bind_send)(const struct client_env *env, const scn_elem_t *e, const char *id,
                     uint32_t src, uint32_t dst, const keysvc_send_demand_t *d,
                     keysvc_send_t *out, sim_err_t *err);
    /* Reports a warning located at e (the run goes on); see
     * sim_options_t.warn. */
    void (*warn)(const struct client_env *env, const scn_elem_t *e, const char *msg);
} client_env_t;

struct client_kind {
    const char *element;        /* its element under <apps>, e.g. "etsi014" */
    /* Reads element e and allocates the client (a struct that starts with
     * client_t), setting *out even on failure when it allocated (the world
     * then destroys it). Errors name e. */
    int (*create)(const client_env_t *env, const scn_elem_t *e, client_t **out,
                  sim_err_t *err);
    /* Schedules its first events; called once the key service is bound. */
    int (*start)(client_t *c, sim_err_t *err);
    /* Frees the client (c may be partly made). */
    void (*destroy)(client_t *c);
    /* Creates the kind's request tables in trace and hands them to its
     * clients (the n clients of this kind, in world order), with what
     * the log keeps (out). May be NULL. */
    int (*trace_open)(trace_t *trace, const client_output_t *out, client_t *const *clients,
                      size_t n, sim_err_t *err);
    /* At the end of the run: writes the kind's summary rows for its n
     * clients and fills net[i] with the value of counters[i]. May be NULL. */
    int (*summary)(trace_t *trace, client_t *const *clients, size_t n, int64_t end,
                   uint64_t *net, sim_err_t *err);
    /* Network counters (all marked network), ended by a NULL name; may be NULL. */
    const model_counter_t *counters;
    /* Adds client c's part of a run of `end` ns to *est (its events, its
     * level changes, its request rows). May be NULL: the world then counts
     * one event per request at c->rate and nothing else. */
    void (*estimate)(const client_t *c, int64_t end, model_estimate_t *est);
};

/* The bundled kinds, NULL-terminated. The first is etsi014. */
extern const client_kind_t *const client_kinds[];

/* The kind whose element is `element` in `kinds` (NULL-terminated), or NULL. */
const client_kind_t *client_find(const client_kind_t *const *kinds, const char *element);

/* Counts one answered request in c->outcomes: status 200, 400 or 503. */
void client_count(client_t *c, uint32_t status);

/* ---- Request aggregates (/request_stats, docs/trace-format.md), for every kind.
 *
 * Time is cut into windows [k T, (k+1) T) of T = out->interval ns from 0.
 * For every client, window, request kind and status that saw at least one
 * request, one row: the count, the bits delivered, and the latency's mean,
 * p50, p95, p99 (GSL's gsl_stats_quantile_from_sorted_data: linear
 * interpolation between order statistics) and max. A window's rows are
 * written when the client's first request of a later window comes, or at
 * the end (client_agg_finish); no event is scheduled for it. */

/* Creates /request_stats in trace and an aggregator for each of the n
 * clients (freed by client_agg_free). */
int client_agg_open(trace_t *trace, const client_output_t *out, client_t *const *clients,
                    size_t n, sim_err_t *err);

/* Records one request of c, answered (decided) now: its kind (the kind's
 * code, as in its own log), status, latency (ns) and bits delivered. The
 * simulation's time picks the window, so a client's records come in time
 * order and a window is written once. Nothing when c does not aggregate.
 * Failures to write go to model_fail. */
void client_record(client_t *c, uint32_t kind, uint32_t status, int64_t latency_ns,
                   uint64_t bits);

/* Writes the rows of every client's last window, which ends at `end` (ns). */
int client_agg_finish(client_t *const *clients, size_t n, int64_t end, sim_err_t *err);

/* Frees c's aggregator (accepts a client without one). */
void client_agg_free(client_t *c);

#endif
