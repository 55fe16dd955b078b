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
 * First paths come from one shortest-path tree per source (igraph's
 * Dijkstra to every node, sim/topo.h), which refreshes every stale entry
 * of that source at once: one search per source and epoch, not one per
 * pair. The k lists (Yen) are per pair and only found when needed.
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
    bool alt_found;     /* ROUTE_KEY: the hop-count alternatives are found */
    size_t nalt;
    route_path_t *alt;  /* ROUTE_KEY: the k shortest paths by hop count */
    bool has_detour;    /* the re-routing candidates below are valid for: */
    uint64_t detour_epoch, detour_down;   /* these weights and this down set */
    size_t ndetour;
    route_path_t *detour;
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
    size_t *component;        /* nnodes: connected component of each node */
    size_t *tree;             /* nnodes: scratch, inbound link of a shortest-path tree */
    bool *down_seen;          /* nlinks: the links down at the last re-routing */
    uint64_t down_version;    /* changes when that set changes */
    route_stats_t stats;
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

/* Arrays for a path of n hops, p->nhops = n. */
static int path_alloc(route_path_t *p, size_t n, sim_err_t *err)
{
    p->nodes = malloc((n + 1) * sizeof *p->nodes);
    p->links = malloc((n ? n : 1) * sizeof *p->links);
    if (p->nodes == NULL || p->links == NULL) {
        route_path_free(p);
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    }
    p->nhops = (uint32_t)n;
    return SIM_OK;
}

/* dst := src (uint32 copies). */
static int path_from_topo(const topo_path_t *src, route_path_t *dst, sim_err_t *err)
{
    size_t n = src->nedges;
    int rc = path_alloc(dst, n, err);
    for (size_t i = 0; rc == SIM_OK && i <= n; i++)
        dst->nodes[i] = (uint32_t)src->nodes[i];
    for (size_t i = 0; rc == SIM_OK && i < n; i++)
        dst->links[i] = (uint32_t)src->edges[i];
    return rc;
}

static int path_copy(const route_path_t *src, route_path_t *dst, sim_err_t *err)
{
    int rc = path_alloc(dst, src->nhops, err);
    if (rc == SIM_OK) {
        memcpy(dst->nodes, src->nodes, ((size_t)src->nhops + 1) * sizeof *dst->nodes);
        memcpy(dst->links, src->links, src->nhops * sizeof *dst->links);
    }
    return rc;
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

static bool same_path(const route_path_t *a, const route_path_t *b)
{
    return a->nhops == b->nhops && memcmp(a->links, b->links, a->nhops * sizeof *a->links) == 0;
}

static double path_cost(const route_t *r, const route_path_t *p)
{
    double c = 0;
    for (uint32_t i = 0; i < p->nhops; i++)
        c += r->weights[p->links[i]];
    return c;
}

/* ROUTE_KEY's candidates: the key-shortest path of the epoch (paths[0])
 * and the k - 1 cheapest, by the epoch's key cost, of the pair's k
 * shortest paths by hop count (found once), ascending; equal costs keep
 * the hop order. Replaces e->paths, which holds the first path only
 * (route_find calls this once per epoch, for a connected pair). */
static int key_candidates(route_t *r, uint32_t src, route_entry_t *e, sim_err_t *err)
{
    route_path_t *c;
    double cost[ROUTE_MAX_K + 1];
    size_t n = 1;
    int rc = SIM_OK;

    if (!e->alt_found) {
        r->stats.k_searches++;
        if ((rc = search(r, src, e->dst, NULL, r->cfg.k, &e->alt, &e->nalt, err)) != SIM_OK)
            return rc;
        e->alt_found = true;
    }
    if ((c = calloc(e->nalt + 1, sizeof *c)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    c[0] = e->paths[0];   /* moved, not copied */
    cost[0] = -INFINITY;  /* first whatever its cost: the least of all paths */
    for (size_t i = 0; i < e->nalt && rc == SIM_OK; i++) {
        if (same_path(&e->alt[i], &c[0]))
            continue;
        double ci = path_cost(r, &e->alt[i]);
        size_t at = n;
        while (at > 1 && cost[at - 1] > ci) {   /* stable insertion, k <= 100 */
            c[at] = c[at - 1];
            cost[at] = cost[at - 1];
            at--;
        }
        if ((rc = path_copy(&e->alt[i], &c[at], err)) == SIM_OK) {
            cost[at] = ci;
            n++;
        } else {
            memmove(&c[at], &c[at + 1], (n - at) * sizeof *c);   /* undo the shift */
        }
    }
    for (size_t i = r->cfg.k; i < n; i++)
        route_path_free(&c[i]);
    free(e->paths);
    e->paths = c;
    e->npaths = n < r->cfg.k ? n : r->cfg.k;
    e->full = true;
    return rc;
}

/* Replaces the entry's candidates by all k, found with the current
 * weights (the first stays the same, sim/topo.h). */
static int entry_search_all(route_t *r, uint32_t src, route_entry_t *e, sim_err_t *err)
{
    route_path_t *paths;
    size_t n;
    int rc;

    if (r->cfg.metric == ROUTE_KEY)
        return key_candidates(r, src, e, err);
    r->stats.k_searches++;
    if ((rc = search(r, src, e->dst, r->weights, r->cfg.k, &paths, &n, err)) != SIM_OK)
        return rc;
    paths_free(e->paths, e->npaths);
    e->paths = paths;
    e->npaths = n;
    e->full = true;
    return SIM_OK;
}

/* The path from the tree's root to dst (r->tree), into p. */
static int path_from_tree(const route_t *r, uint32_t dst, route_path_t *p, sim_err_t *err)
{
    size_t n = 0, v = dst, a, b;
    int rc;

    for (size_t at = dst; r->tree[at] != SIZE_MAX; n++) {
        topo_edge_ends(r->topo, r->tree[at], &a, &b);
        at = (a == at) ? b : a;
    }
    if ((rc = path_alloc(p, n, err)) != SIM_OK)
        return rc;
    p->nodes[n] = dst;
    for (size_t i = n; i > 0; i--) {
        p->links[i - 1] = (uint32_t)r->tree[v];
        topo_edge_ends(r->topo, r->tree[v], &a, &b);
        v = (a == v) ? b : a;
        p->nodes[i - 1] = (uint32_t)v;
    }
    return SIM_OK;
}

/* Gives every entry of src that is not of the current epoch its first
 * path, from one shortest-path tree. */
static int source_refresh(route_t *r, uint32_t src, sim_err_t *err)
{
    route_source_t *s = &r->sources[src];
    int rc = topo_shortest_tree(r->topo, src, r->weights, r->tree, err);

    r->stats.trees++;
    for (size_t i = 0; rc == SIM_OK && i < s->n; i++) {
        route_entry_t *e = &s->entries[i];
        route_path_t p = { 0 };
        if (e->epoch == r->epoch)
            continue;
        bool reached = e->dst != src && r->tree[e->dst] != SIZE_MAX;
        if (reached && (rc = path_from_tree(r, e->dst, &p, err)) != SIM_OK)
            break;
        paths_free(e->paths, e->npaths);
        e->paths = NULL;
        e->npaths = 0;
        if (reached && (e->paths = malloc(sizeof *e->paths)) == NULL) {
            route_path_free(&p);
            rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
            break;
        }
        if (reached) {
            e->paths[0] = p;
            e->npaths = 1;
        }
        e->full = r->cfg.k == 1;
        e->epoch = r->epoch;
    }
    return rc;
}

/* The pair's entry (added when new), without a search. */
static route_entry_t *cache_entry(route_t *r, uint32_t src, uint32_t dst, sim_err_t *err)
{
    route_source_t *s = &r->sources[src];
    size_t at;
    route_entry_t *e = cache_lookup(s, dst, &at);
    return e != NULL ? e : cache_insert(s, dst, at, err);
}

/* The pair's entry, with its first path of the current epoch. */
static int cache_get(route_t *r, uint32_t src, uint32_t dst, route_entry_t **out, sim_err_t *err)
{
    route_entry_t *e = cache_entry(r, src, dst, err);
    int rc = SIM_OK;

    if (e == NULL)
        return SIM_ERR_RUN;
    if (e->epoch != r->epoch) {
        if ((rc = source_refresh(r, src, err)) != SIM_OK)
            return rc;
        e = cache_entry(r, src, dst, err);   /* the refresh adds no entry: same place */
    }
    *out = e;
    return rc;
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

/* The weights without the links that are down (r->scratch); notes
 * whether the set of down links changed since the last call. */
static void exclude_down(route_t *r, int64_t now)
{
    bool changed = false;
    for (size_t l = 0; l < r->nlinks; l++) {
        bool down = !link_is_up(r, (uint32_t)l, now);
        changed |= down != r->down_seen[l];
        r->down_seen[l] = down;
        r->scratch[l] = down ? INFINITY : r->weights[l];
    }
    r->down_version += changed;
}

/* Re-routing: the k shortest paths without the links that are down. They
 * depend only on the weights and the down set, so the entry keeps them
 * while both stay the same (a search costs a Dijkstra or a Yen, the check
 * one pass over the links). */
static int reroute(route_t *r, uint32_t src, route_entry_t *e, int64_t now, route_path_t *out,
                   bool *found, sim_err_t *err)
{
    size_t pick = 0;
    int rc = SIM_OK;

    exclude_down(r, now);
    r->stats.reroutes++;
    if (!e->has_detour || e->detour_epoch != r->epoch || e->detour_down != r->down_version) {
        paths_free(e->detour, e->ndetour);
        e->detour = NULL;
        e->ndetour = 0;
        e->has_detour = false;
        r->stats.reroute_searches++;
        if ((rc = search(r, src, e->dst, r->scratch, r->cfg.k, &e->detour, &e->ndetour, err)) !=
            SIM_OK)
            return rc;
        e->has_detour = true;
        e->detour_epoch = r->epoch;
        e->detour_down = r->down_version;
    }
    if (choose(r, e->detour, e->ndetour, now, &pick) != PICK_NONE) {
        rc = path_copy(&e->detour[pick], out, err);
        *found = rc == SIM_OK;
    }
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
    r->stats.finds++;
    if (src >= r->nnodes || dst >= r->nnodes || src == dst)
        return sim_err_set(err, SIM_ERR_INPUT, "route %u -> %u: %s", src, dst,
                           src == dst ? "both ends are the same node" : "unknown node");
    key_refresh(r, now);
    if ((rc = cache_get(r, src, dst, &e, err)) != SIM_OK)
        return rc;
    if (e->npaths == 0) {
        r->stats.cut++;
        return SIM_OK;   /* not connected at all */
    }
    how = choose(r, e->paths, e->npaths, now, &pick);
    if (how != PICK_OK && !e->full) {
        if ((rc = entry_search_all(r, src, e, err)) != SIM_OK)
            return rc;
        how = choose(r, e->paths, e->npaths, now, &pick);
    }
    if (how == PICK_NONE) {
        rc = reroute(r, src, e, now, out, found, err);
        r->stats.cut += rc == SIM_OK && !*found;
        return rc;
    }
    rc = path_copy(&e->paths[pick], out, err);
    *found = rc == SIM_OK;
    return rc;
}

int route_peek(route_t *r, uint32_t src, uint32_t dst, int64_t now, bool all_up,
               route_path_t *out, bool *found, sim_err_t *err)
{
    const route_stats_t stats = r->stats;
    route_entry_t *e;
    size_t pick = 0;
    route_pick_t how = PICK_NONE;
    int rc;

    memset(out, 0, sizeof *out);
    *found = false;
    if (src >= r->nnodes || dst >= r->nnodes || src == dst)
        return sim_err_set(err, SIM_ERR_INPUT, "route %u -> %u: %s", src, dst,
                           src == dst ? "both ends are the same node" : "unknown node");
    /* no key_refresh: the weights stay those in force */
    if ((rc = cache_get(r, src, dst, &e, err)) != SIM_OK || e->npaths == 0)
        goto out;
    if (!all_up) {
        how = choose(r, e->paths, e->npaths, now, &pick);
        if (how != PICK_OK && !e->full) {
            if ((rc = entry_search_all(r, src, e, err)) != SIM_OK)
                goto out;
            how = choose(r, e->paths, e->npaths, now, &pick);
        }
    }
    if (!all_up && how == PICK_NONE)
        rc = reroute(r, src, e, now, out, found, err);
    else if ((rc = path_copy(&e->paths[pick], out, err)) == SIM_OK)
        *found = true;
out:
    r->stats = stats;   /* a look-up, not a routing */
    return rc;
}

void route_get_stats(const route_t *r, route_stats_t *out)
{
    *out = r->stats;
}

int route_check(route_t *r, uint32_t src, uint32_t dst, sim_err_t *err)
{
    if (src >= r->nnodes || dst >= r->nnodes)
        return sim_err_set(err, SIM_ERR_INPUT, "route %u -> %u: unknown node", src, dst);
    if (src == dst)
        return sim_err_set(err, SIM_ERR_INPUT, "route %u -> %u: both ends are the same node",
                           src, dst);
    if (r->component[src] != r->component[dst])
        return sim_err_set(err, SIM_ERR_INPUT,
                           "no path of QKD links joins node %u and node %u", src, dst);
    /* Registered now, searched at the source's first route_find. */
    return cache_entry(r, src, dst, err) != NULL ? SIM_OK : SIM_ERR_RUN;
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
    r->component = malloc((r->nnodes ? r->nnodes : 1) * sizeof *r->component);
    r->tree = malloc((r->nnodes ? r->nnodes : 1) * sizeof *r->tree);
    r->down_seen = calloc(r->nlinks ? r->nlinks : 1, sizeof *r->down_seen);
    if (r->weights == NULL || r->scratch == NULL || r->sources == NULL || r->component == NULL ||
        r->tree == NULL || r->down_seen == NULL)
        goto oom;
    for (size_t l = 0; l < r->nlinks; l++)
        r->weights[l] = 1.0;   /* ROUTE_KEY before its first refresh: hops (route_peek) */
    if (topo_components(topo, r->component, err) != SIM_OK ||
        (cfg->metric != ROUTE_KEY && static_weights(r, err) != SIM_OK))
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
        for (size_t j = 0; j < s->n; j++) {
            paths_free(s->entries[j].paths, s->entries[j].npaths);
            paths_free(s->entries[j].alt, s->entries[j].nalt);
            paths_free(s->entries[j].detour, s->entries[j].ndetour);
        }
        free(s->entries);
    }
    free(r->sources);
    free(r->weights);
    free(r->scratch);
    free(r->component);
    free(r->tree);
    free(r->down_seen);
    free(r);
}
