/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * route.h - routing of relayed key over the QKD network (issue 9).
 *
 * Links are the topology's edges: link id == topo edge id (the world's
 * link order). Nodes are topo node indices. The graph work
 * (Dijkstra, k shortest paths by Yen's algorithm) is igraph's, in
 * sim/topo.c; this module only chooses the edge weights and the path.
 *
 * Metrics (docs/models.md, "Routing", has the formulas, units and sources):
 *   ROUTE_HOPS    weight 1 per link;
 *   ROUTE_LENGTH  weight = the link's length, metres;
 *   ROUTE_KEY     QKDNetSim's key metric C = K + r T (bits: K the key stored
 *                 for relay on the link, r its rate of change in bit/s, T
 *                 the key period), turned into the additive weight
 *                 1 / max(C, 1 bit). The weights are re-read from the view
 *                 once per key period (as QKDNetSim recomputes C every
 *                 CalculationTimePeriod), at the first route_find at or
 *                 after the period's end; paths found with older weights
 *                 are recomputed then.
 *
 * Candidates: the k (>= 1) loopless shortest paths of the metric in
 * ascending cost (igraph, Yen), cached per (src, dst): the topology is
 * static, so HOPS and LENGTH paths are found once. Only the first path is
 * found until another is needed (its first path is the same either way,
 * sim/topo.h); first paths come from one shortest-path tree per source.
 * ROUTE_KEY: the first candidate is the key-shortest path of the period
 * (found again each period); the others are the pair's k shortest paths
 * by hop count (found once), ranked by their key cost of the period,
 * without the first: Yen on every period's weights would cost too much
 * (docs/performance.md, "Routing").
 *
 * route_find(now) returns the first candidate whose links are all up at
 * now (view->link_up); with balancing (SECOQC), the first that is up and
 * whose every link stores at least balance_threshold_bits (view->link_key)
 * at now, else the first that is up (the relay then waits for key on it).
 * Re-routing: when every candidate has a link down, the same rule on the k
 * shortest paths of the graph without the down links (kept per pair while
 * the weights and the set of down links stay the same, searched again
 * when either changes). *found = false only when no path of links that
 * are up joins src and dst: the caller counts it.
 *
 * Ties: paths of equal cost keep igraph's order, which depends only on the
 * graph and the order of its links: the same scenario gives the same
 * paths.
 *
 * Scenario syntax (scenarios/qkmsim.xsd, docs/scenario-format.md): the
 * optional element
 *     <routing metric="hops|length|key" k="3" balance-threshold="10kb"
 *              key-period="5s"/>
 * a child of <scenario> after <storage> and before <trace> (XSD type
 * routing-type). The relay reads it with
 * route_config_read(scn_child(scn->root, "routing"), &cfg, err).
 * Attributes: metric (default hops), k (1..100, default 1),
 * balance-threshold (bits; present = SECOQC balancing on), key-period
 * (time, default 5 s; metric key only).
 *
 * Ownership: route_t borrows topo (which must outlive it) and copies cfg
 * and view (view->ctx is borrowed). A route_path_t filled by route_find
 * owns its arrays; free them with route_path_free.
 */
#ifndef QKM_MODELS_ROUTE_H
#define QKM_MODELS_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/error.h"
#include "sim/scenario.h"
#include "sim/topo.h"

typedef enum route_metric {
    ROUTE_HOPS = 0,
    ROUTE_LENGTH = 1,
    ROUTE_KEY = 2        /* QKDNetSim key-aware cost */
} route_metric_t;

/* What routing may ask the models about, at `now` (ns). link_up NULL
 * means always up; link_key and link_key_rate are required by ROUTE_KEY
 * (link_key also by balancing), link_length by ROUTE_LENGTH (route_create
 * refuses a missing one). */
typedef struct route_view {
    void *ctx;
    bool (*link_up)(void *ctx, uint32_t link, int64_t now);
    double (*link_key)(void *ctx, uint32_t link, int64_t now);       /* bits stored for relay */
    double (*link_key_rate)(void *ctx, uint32_t link, int64_t now);  /* d(stored)/dt, bit/s */
    double (*link_length)(void *ctx, uint32_t link);                 /* metres, > 0 */
} route_view_t;

typedef struct route_config {
    route_metric_t metric;
    unsigned k;                     /* >= 1: shortest paths kept per pair */
    bool balance;                   /* SECOQC load balancing */
    double balance_threshold_bits;  /* used when balance */
    int64_t key_period_ns;          /* >= 0; ROUTE_KEY: weights re-read this often */
} route_config_t;

#define ROUTE_DEFAULT_KEY_PERIOD_NS ((int64_t)5000000000)   /* QKDNetSim's 5 s */
#define ROUTE_MAX_K 100u
#define ROUTE_CONFIG_DEFAULT \
    ((route_config_t){ ROUTE_HOPS, 1, false, 0.0, ROUTE_DEFAULT_KEY_PERIOD_NS })

typedef struct route_path {
    uint32_t nhops;
    uint32_t *nodes;   /* nhops + 1 nodes, src first */
    uint32_t *links;   /* nhops links; links[i] joins nodes[i] and nodes[i+1] */
} route_path_t;

typedef struct route route_t;

/* Reads a <routing> element into cfg (starting from ROUTE_CONFIG_DEFAULT);
 * e may be NULL (defaults). SIM_ERR_INPUT naming file, line and element. */
int route_config_read(const scn_elem_t *e, route_config_t *cfg, sim_err_t *err);

route_t *route_create(const topo_t *topo, const route_config_t *cfg, const route_view_t *view,
                      sim_err_t *err);   /* NULL on failure */
void route_destroy(route_t *r);

/* Load time: SIM_ERR_INPUT when src and dst are not connected at all,
 * whatever the links' state (the caller prefixes the pair and its
 * element), when src == dst or a node is unknown. Also finds and caches
 * the pair's first path (HOPS and LENGTH). */
int route_check(route_t *r, uint32_t src, uint32_t dst, sim_err_t *err);

/* The path to use at `now` (rules above). *found = false (out zeroed)
 * when every path is cut. SIM_ERR_INPUT for an unknown node or src == dst
 * (a caller's bug: route_check refuses them), SIM_ERR_RUN on an igraph or
 * memory failure. */
int route_find(route_t *r, uint32_t src, uint32_t dst, int64_t now, route_path_t *out,
               bool *found, sim_err_t *err);

/* What route_find would give at `now` under the weights in force, for
 * another model's look-up: no ROUTE_KEY refresh (a refresh dates the
 * next one, so a look-up would move every flow's periods) and nothing
 * counted in the statistics; the cache may fill, as route_find would
 * fill it with the same weights. Under ROUTE_KEY before the first
 * route_find the weights are 1 per link (hops). all_up: as if every link
 * were up (the first candidate; load-time checks). Errors as route_find. */
int route_peek(route_t *r, uint32_t src, uint32_t dst, int64_t now, bool all_up,
               route_path_t *out, bool *found, sim_err_t *err);

void route_path_free(route_path_t *p);

/* What routing did so far (counts; for benchmarks and summaries). */
typedef struct route_stats {
    uint64_t finds;            /* route_find calls */
    uint64_t trees;            /* shortest-path trees (one igraph Dijkstra each) */
    uint64_t k_searches;       /* k-path searches for candidates (igraph Yen, or a
                                  Dijkstra when k == 1) */
    uint64_t reroutes;         /* finds whose candidates were all cut */
    uint64_t reroute_searches; /* searches those needed (the rest reused one) */
    uint64_t cut;              /* finds that found no path */
} route_stats_t;

void route_get_stats(const route_t *r, route_stats_t *out);

#endif
