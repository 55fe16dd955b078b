/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * route.c - routing of relayed key: the metric's weights, the per-pair
 * cache of candidate paths, and the choice among them (route.h). igraph
 * does the path search through sim/topo.h.
 *
 * The cache: for each source node, an array of entries sorted by
 * destination (binary search), each holding the pair's candidate paths
 * found with the weights of one epoch. HOPS and LENGTH have one epoch for
 * the whole run; ROUTE_KEY starts a new one at every weight refresh, and
 * an entry of an older epoch is searched again when it is next asked for.
 */
#include "models/route.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct route_entry {
    uint32_t dst;
    bool full;          /* all k candidates found (else only the first) */
    uint64_t epoch;     /* the weights' epoch the candidates were found with */
    size_t npaths;      /* 0: src and dst are not connected */
    route_path_t *paths;
} route_entry_t;

typedef struct route_source {
    route_entry_t *entries;   /* sorted by dst */
    size_t n, cap;
} route_source_t;

struct route {
    const topo_t *topo;
    route_config_t cfg;
    route_view_t view;
    size_t nnodes, nlinks;
    double *weights;          /* the metric's weights of the current epoch */
    double *scratch;          /* the same with the links that are down excluded */
    uint64_t epoch;           /* 0 before the first KEY refresh */
    int64_t next_refresh;     /* KEY: re-read the weights at or after this time */
    route_source_t *sources;  /* nnodes */
};

/* What choose() found among candidates. */
typedef enum route_pick {
    PICK_NONE,     /* every candidate has a link down */
    PICK_LOADED,   /* the first that is up, but one of its links is below threshold */
    PICK_OK        /* up (and, when balancing, every link at or above threshold) */
} route_pick_t;

static const char *const metric_names[] = { "hops", "length", "key", NULL };

/* ------------------------------------------------------------- config */

int route_config_read(const scn_elem_t *e, route_config_t *cfg, sim_err_t *err)
{
    int metric = ROUTE_HOPS, rc;
    uint64_t k = 1, threshold = 0;
    int64_t period = ROUTE_DEFAULT_KEY_PERIOD_NS;

    *cfg = ROUTE_CONFIG_DEFAULT;
    if (e == NULL)
        return SIM_OK;
    if ((rc = scn_attr_enum(e, "metric", false, metric_names, &metric, err)) != SIM_OK ||
        (rc = scn_attr_uint(e, "k", false, &k, err)) != SIM_OK ||
        (rc = scn_attr_time(e, "key-period", false, &period, err)) != SIM_OK)
        return rc;
    if (k < 1 || k > ROUTE_MAX_K)
        return scn_error(e, err, "k=\"%llu\": must be between 1 and %u", (unsigned long long)k,
                         ROUTE_MAX_K);
    if (period < 0)
        return scn_error(e, err, "key-period must not be negative");
    if (scn_attr(e, "balance-threshold") != NULL) {
        if ((rc = scn_attr_bits(e, "balance-threshold", true, &threshold, err)) != SIM_OK)
            return rc;
        cfg->balance = true;
        cfg->balance_threshold_bits = (double)threshold;
    }
    cfg->metric = (route_metric_t)metric;
    cfg->k = (unsigned)k;
    cfg->key_period_ns = period;
    return SIM_OK;
}

/* ------------------------------------------------------------- weights */

static bool link_is_up(const route_t *r, uint32_t link, int64_t now)
{
    return r->view.link_up == NULL || r->view.link_up(r->view.ctx, link, now);
}

/* QKDNetSim's C = K + r T (bits), as an additive weight 1 / max(C, 1). */
static double key_weight(const route_t *r, uint32_t link, int64_t now)
{
    double stored = r->view.link_key(r->view.ctx, link, now);
    double rate = r->view.link_key_rate(r->view.ctx, link, now);
    double c = stored + rate * ((double)r->cfg.key_period_ns * 1e-9);
    return 1.0 / fmax(c, 1.0);   /* fmax ignores a NaN C: weight 1 */
}

/* ROUTE_KEY: a new epoch of weights when the period is over. */
static void key_refresh(route_t *r, int64_t now)
{
    if (r->cfg.metric != ROUTE_KEY || (r->epoch > 0 && now < r->next_refresh))
        return;
    for (size_t l = 0; l < r->nlinks; l++)
        r->weights[l] = key_weight(r, (uint32_t)l, now);
    r->epoch++;
    r->next_refresh = now + r->cfg.key_period_ns;
}

static int static_weights(route_t *r, sim_err_t *err)
{
    for (size_t l = 0; l < r->nlinks; l++) {
        double w = 1.0;
        if (r->cfg.metric == ROUTE_LENGTH) {
            w = r->view.link_length(r->view.ctx, (uint32_t)l);
            if (!(w >= 0.0) || isinf(w))
                return sim_err_set(err, SIM_ERR_INPUT,
                                   "routing by length: link %zu has length %g m", l, w);
        }
        r->weights[l] = w;
    }
    return SIM_OK;
}

/* ------------------------------------------------------------- paths */

void route_path_free(route_path_t *p)
{
    if (p == NULL)
        return;
    free(p->nodes);
    free(p->links);
    memset(p, 0, sizeof *p);
}

static void paths_free(route_path_t *paths, size_t n)
{
    if (paths == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        route_path_free(&paths[i]);
    free(paths);
}

/* dst := src (uint32 copies). */
static int path_from_topo(const topo_path_t *src, route_path_t *dst, sim_err_t *err)
{
    size_t n = src->nedges;
    dst->nodes = malloc((n + 1) * sizeof *dst->nodes);
    dst->links = malloc((n ? n : 1) * sizeof *dst->links);
    if (dst->nodes == NULL || dst->links == NULL) {
        route_path_free(dst);
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    }
    dst->nhops = (uint32_t)n;
    for (size_t i = 0; i <= n; i++)
        dst->nodes[i] = (uint32_t)src->nodes[i];
    for (size_t i = 0; i < n; i++)
        dst->links[i] = (uint32_t)src->edges[i];
    return SIM_OK;
}

static int path_copy(const route_path_t *src, route_path_t *dst, sim_err_t *err)
{
    size_t n = src->nhops;
    dst->nodes = malloc((n + 1) * sizeof *dst->nodes);
    dst->links = malloc((n ? n : 1) * sizeof *dst->links);
    if (dst->nodes == NULL || dst->links == NULL) {
        route_path_free(dst);
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    }
    dst->nhops = src->nhops;
    memcpy(dst->nodes, src->nodes, (n + 1) * sizeof *dst->nodes);
    memcpy(dst->links, src->links, n * sizeof *dst->links);
    return SIM_OK;
}

/* The first path (k == 1) or the k candidates under weights w, as a
 * malloc'd array (NULL, 0 when not connected). */
static int search(const route_t *r, uint32_t src, uint32_t dst, const double *w, size_t k,
                  route_path_t **out, size_t *n, sim_err_t *err)
{
    topo_path_t one, *many = NULL;
    size_t nmany = 0;
    bool found = false;
    int rc;

    *out = NULL;
    *n = 0;
    if (k == 1) {
        if ((rc = topo_path_weighted(r->topo, src, dst, w, &one, &found, err)) != SIM_OK)
            return rc;
        many = found ? &one : NULL;
        nmany = found ? 1 : 0;
    } else if ((rc = topo_k_shortest_paths(r->topo, src, dst, w, k, &many, &nmany, err)) !=
               SIM_OK) {
        return rc;
    }
    if (nmany > 0 && (*out = calloc(nmany, sizeof **out)) == NULL)
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
    for (size_t i = 0; rc == SIM_OK && i < nmany; i++)
        if ((rc = path_from_topo(&many[i], &(*out)[i], err)) == SIM_OK)
            *n = i + 1;
    if (rc != SIM_OK) {
        paths_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    if (k == 1)
        topo_path_free(&one);
    else
        topo_paths_free(many, nmany);
    return rc;
}

/* ------------------------------------------------------------- the cache */

/* The entry of (src, dst), or where it would be inserted (*at). */
static route_entry_t *cache_lookup(const route_source_t *s, uint32_t dst, size_t *at)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->entries[mid].dst < dst)
            lo = mid + 1;
        else
            hi = mid;
    }
    *at = lo;
    return (lo < s->n && s->entries[lo].dst == dst) ? &s->entries[lo] : NULL;
}

static route_entry_t *cache_insert(route_source_t *s, uint32_t dst, size_t at, sim_err_t *err)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 4;
        route_entry_t *e = realloc(s->entries, cap * sizeof *e);
        if (e == NULL) {
            sim_err_set(err, SIM_ERR_RUN, "out of memory");
            return NULL;
        }
        s->entries = e;
        s->cap = cap;
    }
    memmove(&s->entries[at + 1], &s->entries[at], (s->n - at) * sizeof *s->entries);
    s->n++;
    memset(&s->entries[at], 0, sizeof s->entries[at]);
    s->entries[at].dst = dst;
    s->entries[at].epoch = UINT64_MAX;   /* never searched */
    return &s->entries[at];
}

/* Replaces the entry's candidates by a search with the current weights:
 * the first path only, or all k when `full`. */
static int entry_search(route_t *r, uint32_t src, route_entry_t *e, bool full, sim_err_t *err)
{
    route_path_t *paths;
    size_t n;
    int rc = search(r, src, e->dst, r->weights, full ? r->cfg.k : 1, &paths, &n, err);
    if (rc != SIM_OK)
        return rc;
    paths_free(e->paths, e->npaths);
    e->paths = paths;
    e->npaths = n;
    e->full = full || r->cfg.k == 1;
    e->epoch = r->epoch;
    return SIM_OK;
}

/* The pair's entry, searched with the current epoch's weights. */
static int cache_get(route_t *r, uint32_t src, uint32_t dst, route_entry_t **out, sim_err_t *err)
{
    route_source_t *s = &r->sources[src];
    size_t at;
    route_entry_t *e = cache_lookup(s, dst, &at);

    if (e == NULL && (e = cache_insert(s, dst, at, err)) == NULL)
        return SIM_ERR_RUN;
    *out = e;
    return e->epoch == r->epoch ? SIM_OK : entry_search(r, src, e, false, err);
}

/* ------------------------------------------------------------- choice */

static bool path_up(const route_t *r, const route_path_t *p, int64_t now)
{
    for (uint32_t i = 0; i < p->nhops; i++)
        if (!link_is_up(r, p->links[i], now))
            return false;
    return true;
}

static bool path_has_key(const route_t *r, const route_path_t *p, int64_t now)
{
    for (uint32_t i = 0; i < p->nhops; i++)
        if (r->view.link_key(r->view.ctx, p->links[i], now) < r->cfg.balance_threshold_bits)
            return false;
    return true;
}

/* The rule of route.h over candidates in ascending cost. */
static route_pick_t choose(const route_t *r, const route_path_t *paths, size_t n, int64_t now,
                           size_t *pick)
{
    route_pick_t result = PICK_NONE;
    for (size_t i = 0; i < n; i++) {
        if (!path_up(r, &paths[i], now))
            continue;
        if (!r->cfg.balance || path_has_key(r, &paths[i], now)) {
            *pick = i;
            return PICK_OK;
        }
        if (result == PICK_NONE) {
            *pick = i;
            result = PICK_LOADED;
        }
    }
    return result;
}

/* Re-routing: the k shortest paths without the links that are down. */
static int reroute(route_t *r, uint32_t src, uint32_t dst, int64_t now, route_path_t *out,
                   bool *found, sim_err_t *err)
{
    route_path_t *paths;
    size_t n, pick = 0;
    int rc;

    for (size_t l = 0; l < r->nlinks; l++)
        r->scratch[l] = link_is_up(r, (uint32_t)l, now) ? r->weights[l] : INFINITY;
    if ((rc = search(r, src, dst, r->scratch, r->cfg.k, &paths, &n, err)) != SIM_OK)
        return rc;
    if (choose(r, paths, n, now, &pick) != PICK_NONE) {
        rc = path_copy(&paths[pick], out, err);
        *found = rc == SIM_OK;
    }
    paths_free(paths, n);
    return rc;
}

int route_find(route_t *r, uint32_t src, uint32_t dst, int64_t now, route_path_t *out,
               bool *found, sim_err_t *err)
{
    route_entry_t *e;
    size_t pick = 0;
    route_pick_t how;
    int rc;

    memset(out, 0, sizeof *out);
    *found = false;
    if (src >= r->nnodes || dst >= r->nnodes)
        return sim_err_set(err, SIM_ERR_INPUT, "route %u -> %u: unknown node", src, dst);
    key_refresh(r, now);
    if ((rc = cache_get(r, src, dst, &e, err)) != SIM_OK)
        return rc;
    if (e->npaths == 0)
        return SIM_OK;   /* not connected at all */
    how = choose(r, e->paths, e->npaths, now, &pick);
    if (how != PICK_OK && !e->full) {
        if ((rc = entry_search(r, src, e, true, err)) != SIM_OK)
            return rc;
        how = choose(r, e->paths, e->npaths, now, &pick);
    }
    if (how == PICK_NONE)
        return reroute(r, src, dst, now, out, found, err);
    rc = path_copy(&e->paths[pick], out, err);
    *found = rc == SIM_OK;
    return rc;
}

int route_check(route_t *r, uint32_t src, uint32_t dst, sim_err_t *err)
{
    route_entry_t *e;
    topo_path_t p;
    bool found = false;
    int rc;

    if (src >= r->nnodes || dst >= r->nnodes)
        return sim_err_set(err, SIM_ERR_INPUT, "route %u -> %u: unknown node", src, dst);
    if (src == dst)
        return sim_err_set(err, SIM_ERR_INPUT, "route %u -> %u: both ends are the same node",
                           src, dst);
    if (r->cfg.metric == ROUTE_KEY) {
        /* No weights before the run: connectivity by hop count. */
        if ((rc = topo_path_weighted(r->topo, src, dst, NULL, &p, &found, err)) != SIM_OK)
            return rc;
        topo_path_free(&p);
    } else {
        if ((rc = cache_get(r, src, dst, &e, err)) != SIM_OK)
            return rc;
        found = e->npaths > 0;
    }
    if (!found)
        return sim_err_set(err, SIM_ERR_INPUT,
                           "no path of QKD links joins node %u and node %u", src, dst);
    return SIM_OK;
}

/* ------------------------------------------------------------- life */

static int check_view(const route_config_t *cfg, const route_view_t *view, sim_err_t *err)
{
    if (cfg->k < 1 || cfg->k > ROUTE_MAX_K)
        return sim_err_set(err, SIM_ERR_INPUT, "routing: k = %u is not in 1..%u", cfg->k,
                           ROUTE_MAX_K);
    if (cfg->key_period_ns < 0)
        return sim_err_set(err, SIM_ERR_INPUT, "routing: negative key period");
    if (cfg->metric == ROUTE_LENGTH && view->link_length == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "routing by length needs the links' lengths");
    if (cfg->metric == ROUTE_KEY && (view->link_key == NULL || view->link_key_rate == NULL))
        return sim_err_set(err, SIM_ERR_RUN, "routing by key needs the links' key and rate");
    if (cfg->balance && view->link_key == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "load balancing needs the links' key");
    return SIM_OK;
}

route_t *route_create(const topo_t *topo, const route_config_t *cfg, const route_view_t *view,
                      sim_err_t *err)
{
    route_t *r = NULL;

    if (check_view(cfg, view, err) != SIM_OK)
        return NULL;
    if ((r = calloc(1, sizeof *r)) == NULL)
        goto oom;
    r->topo = topo;
    r->cfg = *cfg;
    r->view = *view;
    r->nnodes = topo_node_count(topo);
    r->nlinks = topo_edge_count(topo);
    r->weights = malloc((r->nlinks ? r->nlinks : 1) * sizeof *r->weights);
    r->scratch = malloc((r->nlinks ? r->nlinks : 1) * sizeof *r->scratch);
    r->sources = calloc(r->nnodes ? r->nnodes : 1, sizeof *r->sources);
    if (r->weights == NULL || r->scratch == NULL || r->sources == NULL)
        goto oom;
    if (cfg->metric != ROUTE_KEY && static_weights(r, err) != SIM_OK)
        goto fail;
    return r;
oom:
    sim_err_set(err, SIM_ERR_RUN, "out of memory");
fail:
    route_destroy(r);
    return NULL;
}

void route_destroy(route_t *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; r->sources != NULL && i < r->nnodes; i++) {
        route_source_t *s = &r->sources[i];
        for (size_t j = 0; j < s->n; j++)
            paths_free(s->entries[j].paths, s->entries[j].npaths);
        free(s->entries);
    }
    free(r->sources);
    free(r->weights);
    free(r->scratch);
    free(r);
}
