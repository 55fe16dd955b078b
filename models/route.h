/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * route.h - routing of relayed key over the QKD network (issue 9).
 *
 * Links are the topology's edges: link id == topo edge id (the order of
 * <link> in the scenario). Nodes are topo node indices. The graph work
 * (Dijkstra, k shortest paths by Yen's algorithm) is igraph's, in
 * sim/topo.c; this module only chooses the edge weights and the path.
 *
 * Metrics (docs/models.md, "Routing"; the formulas are there with units
 * and sources):
 *   ROUTE_HOPS    weight 1 per link;
 *   ROUTE_LENGTH  weight = the link's length, metres;
 *   ROUTE_KEY     QKDNetSim's key-aware cost, from the key stored for
 *                 relay on the link (bits) and its rate of change (bit/s),
 *                 asked through route_view_t at `now`.
 * Links that are down at `now` (view->link_up false) are excluded.
 *
 * k shortest paths: route keeps, per (src, dst) pair, the k loopless
 * shortest paths of the static metric (HOPS or LENGTH) in ascending cost,
 * computed once and cached (the topology is static). With ROUTE_KEY the
 * paths are re-ranked at each route_find by the key-aware cost of the
 * moment.
 *
 * SECOQC-style load balancing (balance = true): route_find returns the
 * first path, in ascending cost, that is up and whose every link stores at
 * least balance_threshold_bits of key; when none does, the first path that
 * is up (so a path is still given; the relay waits for key on it).
 *
 * Re-routing: a cached path with a link down is skipped; when all k cached
 * paths are cut, route_find asks igraph for a shortest path on the graph
 * without the down links. found = false only when src and dst are not
 * connected by links that are up: the caller counts it.
 *
 * Ties: paths of equal cost are ranked by igraph's order, which depends
 * only on the graph (same scenario = same path); route.c documents the
 * rule.
 *
 * Scenario syntax (scenarios/qkmsim.xsd, docs/scenario-format.md): one
 * optional element
 *     <routing metric="hops|length|key" k="3" balance-threshold="10kb"/>
 * as a child of the network element that holds the relayed demands (the
 * relay helper places it; route_config_read reads it). Attributes:
 * metric (default "hops"), k (>= 1, default 1), balance-threshold (bits,
 * optional; present = balancing on).
 *
 * Ownership: route_t borrows topo and view (both must outlive it) and
 * copies cfg. A route_path_t filled by route_find owns its arrays; free
 * them with route_path_free.
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

/* What routing may ask the models about, at `now` (ns). A NULL callback
 * means: always up / no key information (0) / length 1 m. */
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
} route_config_t;

#define ROUTE_CONFIG_DEFAULT ((route_config_t){ ROUTE_HOPS, 1, false, 0.0 })

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

/* Load time: SIM_ERR_INPUT when src and dst are not connected at all (the
 * caller prefixes the pair and its element), or src == dst. Also fills the
 * pair's cache. */
int route_check(route_t *r, uint32_t src, uint32_t dst, sim_err_t *err);

/* The path to use at `now` (rules above). *found = false (out zeroed)
 * when every path is cut. Returns SIM_ERR_RUN only on igraph/memory
 * failure. */
int route_find(route_t *r, uint32_t src, uint32_t dst, int64_t now, route_path_t *out,
               bool *found, sim_err_t *err);

void route_path_free(route_path_t *p);

#endif
