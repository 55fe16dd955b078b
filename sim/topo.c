/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * topo.c - the network graph on igraph 0.10.
 *
 * Global igraph state. igraph keeps its error handler, warning handler and
 * attribute table in library-wide (thread-local) variables. Its default
 * error handler aborts the process and its default warning handler prints,
 * and library code must do neither. So every function here that calls
 * igraph installs igraph_error_handler_ignore (which frees igraph's
 * temporaries and returns the error code) and igraph_warning_handler_ignore
 * on entry and puts back whatever handlers were installed before on return
 * (guard_enter / guard_leave). topo_read_graphml does the same with the
 * attribute table (igraph_cattribute_table, needed to read node ids and
 * edge data) for the whole life of the graph it reads, because
 * igraph_destroy frees the attributes through the table that is installed
 * at that moment. The graph of a topo_t is built while no attribute table
 * is installed by this module, so it carries no attributes.
 */
#include "sim/topo.h"

#include "sim/scenario.h"

#include <igraph.h>

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct topo_guard {
    igraph_error_handler_t *error;
    igraph_warning_handler_t *warning;
} topo_guard_t;

/* igraph re-indexes the whole graph on every igraph_add_edge (O(V + E) per
 * edge: adding 30,000 edges to a 10,000-node graph one by one takes tens of
 * seconds), while igraph_create from a full edge list is linear. So the
 * edge list is the master copy and the igraph graph is (re)built on the
 * first query after a change. It lives behind a pointer because queries
 * take a const topo_t. */
typedef struct topo_cache {
    igraph_t graph;
    bool valid;
} topo_cache_t;

struct topo {
    size_t nnodes;
    igraph_vector_int_t ends;   /* a0, b0, a1, b1, ... as given to topo_add_edge */
    igraph_vector_t weights;    /* one per edge, for Dijkstra */
    topo_cache_t *cache;
};

static void guard_enter(topo_guard_t *guard)
{
    guard->error = igraph_set_error_handler(igraph_error_handler_ignore);
    guard->warning = igraph_set_warning_handler(igraph_warning_handler_ignore);
}

static void guard_leave(const topo_guard_t *guard)
{
    igraph_set_error_handler(guard->error);
    igraph_set_warning_handler(guard->warning);
}

static void cache_invalidate(topo_cache_t *cache)
{
    if (cache->valid)
        igraph_destroy(&cache->graph);
    cache->valid = false;
}

/* The current graph; call inside a guard. */
static int topo_graph(const topo_t *topo, const igraph_t **graph, sim_err_t *err)
{
    topo_cache_t *cache = topo->cache;
    if (!cache->valid) {
        igraph_error_t rc = igraph_create(&cache->graph, &topo->ends,
                                          (igraph_integer_t)topo->nnodes, IGRAPH_UNDIRECTED);
        if (rc != IGRAPH_SUCCESS)
            return sim_err_set(err, SIM_ERR_RUN, "cannot build the topology graph: %s",
                               igraph_strerror(rc));
        cache->valid = true;
    }
    *graph = &cache->graph;
    return SIM_OK;
}

static int check_node(const topo_t *topo, size_t node, sim_err_t *err)
{
    if (node >= topo->nnodes)
        return sim_err_set(err, SIM_ERR_INPUT, "unknown node %zu (the topology has %zu nodes)",
                           node, topo->nnodes);
    return SIM_OK;
}

/* A malloc'd copy of an igraph vertex vector; never NULL on success, even
 * when empty, so that callers need not special-case n == 0. */
static int copy_vertices(const igraph_vector_int_t *v, size_t **out, size_t *n, sim_err_t *err)
{
    size_t len = (size_t)igraph_vector_int_size(v);
    size_t *a = malloc((len ? len : 1) * sizeof *a);
    if (a == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    for (size_t i = 0; i < len; i++)
        a[i] = (size_t)VECTOR(*v)[i];
    *out = a;
    *n = len;
    return SIM_OK;
}

topo_t *topo_create(size_t nnodes, sim_err_t *err)
{
    topo_guard_t guard;
    bool ends_init = false, weights_init = false;
    topo_t *topo = NULL;

    guard_enter(&guard);
    if (nnodes > (size_t)IGRAPH_VCOUNT_MAX) {
        sim_err_set(err, SIM_ERR_INPUT, "too many nodes: %zu", nnodes);
        goto fail;
    }
    topo = calloc(1, sizeof *topo);
    if (topo == NULL)
        goto oom;
    topo->nnodes = nnodes;
    topo->cache = calloc(1, sizeof *topo->cache);
    if (topo->cache == NULL)
        goto oom;
    if (igraph_vector_int_init(&topo->ends, 0) != IGRAPH_SUCCESS)
        goto oom;
    ends_init = true;
    if (igraph_vector_init(&topo->weights, 0) != IGRAPH_SUCCESS)
        goto oom;
    weights_init = true;
    guard_leave(&guard);
    return topo;

oom:
    sim_err_set(err, SIM_ERR_RUN, "out of memory");
fail:
    if (topo != NULL) {
        if (ends_init)
            igraph_vector_int_destroy(&topo->ends);
        if (weights_init)
            igraph_vector_destroy(&topo->weights);
        free(topo->cache);
        free(topo);
    }
    guard_leave(&guard);
    return NULL;
}

void topo_destroy(topo_t *topo)
{
    if (topo == NULL)
        return;
    topo_guard_t guard;
    guard_enter(&guard);
    cache_invalidate(topo->cache);
    igraph_vector_int_destroy(&topo->ends);
    igraph_vector_destroy(&topo->weights);
    guard_leave(&guard);
    free(topo->cache);
    free(topo);
}

int topo_add_edge(topo_t *topo, size_t a, size_t b, double weight, size_t *edge,
                  sim_err_t *err)
{
    topo_guard_t guard;
    int rc = SIM_OK;
    igraph_integer_t old_size = igraph_vector_int_size(&topo->ends);

    guard_enter(&guard);
    if ((rc = check_node(topo, a, err)) != SIM_OK || (rc = check_node(topo, b, err)) != SIM_OK)
        goto out;
    if (a == b) {
        rc = sim_err_set(err, SIM_ERR_INPUT, "self-loop at node %zu", a);
        goto out;
    }
    /* NaN fails this test too; +inf is accepted (Dijkstra never uses it). */
    if (!(weight >= 0.0)) {
        rc = sim_err_set(err, SIM_ERR_INPUT, "edge %zu-%zu: weight %g is not >= 0", a, b, weight);
        goto out;
    }
    if (igraph_vector_int_push_back(&topo->ends, (igraph_integer_t)a) != IGRAPH_SUCCESS ||
        igraph_vector_int_push_back(&topo->ends, (igraph_integer_t)b) != IGRAPH_SUCCESS ||
        igraph_vector_push_back(&topo->weights, weight) != IGRAPH_SUCCESS) {
        /* Keep ends and weights the same length. */
        igraph_vector_int_resize(&topo->ends, old_size);
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
        goto out;
    }
    cache_invalidate(topo->cache);
    if (edge != NULL)
        *edge = (size_t)igraph_vector_size(&topo->weights) - 1;
out:
    guard_leave(&guard);
    return rc;
}

size_t topo_node_count(const topo_t *topo)
{
    return topo->nnodes;
}

size_t topo_edge_count(const topo_t *topo)
{
    return (size_t)igraph_vector_size(&topo->weights);
}

void topo_edge_ends(const topo_t *topo, size_t edge, size_t *a, size_t *b)
{
    /* An edge id that does not exist is a caller bug; answer something that
     * is not a node rather than reading out of bounds. */
    if (edge >= topo_edge_count(topo)) {
        *a = *b = SIZE_MAX;
        return;
    }
    *a = (size_t)VECTOR(topo->ends)[2 * edge];
    *b = (size_t)VECTOR(topo->ends)[2 * edge + 1];
}

int topo_neighbors(const topo_t *topo, size_t node, size_t **out, size_t *n, sim_err_t *err)
{
    topo_guard_t guard;
    const igraph_t *graph;
    igraph_vector_int_t neis;
    bool neis_init = false;
    int rc;

    *out = NULL;
    *n = 0;
    guard_enter(&guard);
    if ((rc = check_node(topo, node, err)) != SIM_OK || (rc = topo_graph(topo, &graph, err)) != SIM_OK)
        goto out;
    if (igraph_vector_int_init(&neis, 0) != IGRAPH_SUCCESS) {
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
        goto out;
    }
    neis_init = true;
    igraph_error_t irc = igraph_neighbors(graph, &neis, (igraph_integer_t)node, IGRAPH_ALL);
    if (irc != IGRAPH_SUCCESS) {
        rc = sim_err_set(err, SIM_ERR_RUN, "neighbours of node %zu: %s", node, igraph_strerror(irc));
        goto out;
    }
    /* Parallel links list a neighbour once per edge. */
    igraph_vector_int_sort(&neis);
    igraph_integer_t kept = 0;
    for (igraph_integer_t i = 0; i < igraph_vector_int_size(&neis); i++)
        if (kept == 0 || VECTOR(neis)[kept - 1] != VECTOR(neis)[i])
            VECTOR(neis)[kept++] = VECTOR(neis)[i];
    igraph_vector_int_resize(&neis, kept);   /* shrinking never fails */
    rc = copy_vertices(&neis, out, n, err);
out:
    if (neis_init)
        igraph_vector_int_destroy(&neis);
    guard_leave(&guard);
    return rc;
}

bool topo_edge_between(const topo_t *topo, size_t a, size_t b, size_t *edge)
{
    topo_guard_t guard;
    const igraph_t *graph;
    igraph_vector_int_t eids;
    bool eids_init = false, found = false;

    if (a >= topo->nnodes || b >= topo->nnodes || a == b)
        return false;
    guard_enter(&guard);
    if (topo_graph(topo, &graph, NULL) != SIM_OK)
        goto out;
    if (igraph_vector_int_init(&eids, 0) != IGRAPH_SUCCESS)
        goto out;
    eids_init = true;
    if (igraph_get_all_eids_between(graph, &eids, (igraph_integer_t)a, (igraph_integer_t)b,
                                    false) != IGRAPH_SUCCESS ||
        igraph_vector_int_size(&eids) == 0)
        goto out;
    if (edge != NULL)
        *edge = (size_t)igraph_vector_int_min(&eids);
    found = true;
out:
    if (eids_init)
        igraph_vector_int_destroy(&eids);
    guard_leave(&guard);
    return found;
}

int topo_shortest_path(const topo_t *topo, size_t from, size_t to, bool weighted,
                       size_t **nodes, size_t *n, sim_err_t *err)
{
    topo_guard_t guard;
    const igraph_t *graph;
    igraph_vector_int_t path;
    bool path_init = false;
    igraph_error_t irc;
    int rc;

    *nodes = NULL;
    *n = 0;
    guard_enter(&guard);
    if ((rc = check_node(topo, from, err)) != SIM_OK || (rc = check_node(topo, to, err)) != SIM_OK ||
        (rc = topo_graph(topo, &graph, err)) != SIM_OK)
        goto out;
    if (igraph_vector_int_init(&path, 0) != IGRAPH_SUCCESS) {
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
        goto out;
    }
    path_init = true;
    /* Unreachable: igraph returns an empty path (and a warning, ignored). */
    if (weighted)
        irc = igraph_get_shortest_path_dijkstra(graph, &path, NULL, (igraph_integer_t)from,
                                                (igraph_integer_t)to, &topo->weights, IGRAPH_ALL);
    else
        irc = igraph_get_shortest_path(graph, &path, NULL, (igraph_integer_t)from,
                                       (igraph_integer_t)to, IGRAPH_ALL);
    if (irc != IGRAPH_SUCCESS) {
        rc = sim_err_set(err, SIM_ERR_RUN, "shortest path %zu -> %zu: %s", from, to,
                         igraph_strerror(irc));
        goto out;
    }
    rc = copy_vertices(&path, nodes, n, err);
out:
    if (path_init)
        igraph_vector_int_destroy(&path);
    guard_leave(&guard);
    return rc;
}

/* ------------------------------------------------------ weighted paths */

void topo_path_free(topo_path_t *path)
{
    if (path == NULL)
        return;
    free(path->nodes);
    free(path->edges);
    memset(path, 0, sizeof *path);
}

void topo_paths_free(topo_path_t *paths, size_t n)
{
    if (paths == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        topo_path_free(&paths[i]);
    free(paths);
}

/* The weight vector igraph sees: a view of the caller's array, or all ones
 * (hop count) in `ones`, which the caller destroys when *owned. */
static int weights_view(const topo_t *topo, const double *weights, igraph_vector_t *ones,
                        const igraph_vector_t **out, bool *owned, sim_err_t *err)
{
    igraph_integer_t m = igraph_vector_size(&topo->weights);

    *owned = false;
    if (weights != NULL) {
        *out = igraph_vector_view(ones, weights, m);
        return SIM_OK;
    }
    if (igraph_vector_init(ones, m) != IGRAPH_SUCCESS)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    igraph_vector_fill(ones, 1.0);
    *owned = true;
    *out = ones;
    return SIM_OK;
}

/* Copies an igraph edge path starting at `from` into *out (malloc'd
 * arrays), with its cost under w. */
static int copy_path(const igraph_t *graph, size_t from, const igraph_vector_int_t *edges,
                     const igraph_vector_t *w, topo_path_t *out, sim_err_t *err)
{
    size_t n = (size_t)igraph_vector_int_size(edges);
    size_t node = from;

    memset(out, 0, sizeof *out);
    out->nodes = malloc((n + 1) * sizeof *out->nodes);
    out->edges = malloc((n ? n : 1) * sizeof *out->edges);
    if (out->nodes == NULL || out->edges == NULL) {
        topo_path_free(out);
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    }
    out->nedges = n;
    out->nodes[0] = from;
    for (size_t i = 0; i < n; i++) {
        igraph_integer_t e = VECTOR(*edges)[i];
        size_t a = (size_t)IGRAPH_FROM(graph, e), b = (size_t)IGRAPH_TO(graph, e);
        node = (a == node) ? b : a;
        out->edges[i] = (size_t)e;
        out->nodes[i + 1] = node;
        out->cost += VECTOR(*w)[e];
    }
    return SIM_OK;
}

/* True when the path uses an edge of infinite weight: igraph 0.10 may
 * return such a path when no finite one exists. */
static bool path_infinite(const igraph_vector_int_t *edges, const igraph_vector_t *w)
{
    for (igraph_integer_t i = 0; i < igraph_vector_int_size(edges); i++)
        if (isinf(VECTOR(*w)[VECTOR(*edges)[i]]))
            return true;
    return false;
}

/* The checks and the graph every weighted query starts with. */
static int path_query_begin(const topo_t *topo, size_t from, size_t to, const igraph_t **graph,
                            sim_err_t *err)
{
    int rc;
    if ((rc = check_node(topo, from, err)) != SIM_OK || (rc = check_node(topo, to, err)) != SIM_OK)
        return rc;
    return topo_graph(topo, graph, err);
}

int topo_path_weighted(const topo_t *topo, size_t from, size_t to, const double *weights,
                       topo_path_t *out, bool *found, sim_err_t *err)
{
    topo_guard_t guard;
    const igraph_t *graph;
    const igraph_vector_t *w = NULL;
    igraph_vector_t wbuf;
    igraph_vector_int_t edges;
    bool w_owned = false, edges_init = false;
    int rc;

    memset(out, 0, sizeof *out);
    *found = false;
    guard_enter(&guard);
    if ((rc = path_query_begin(topo, from, to, &graph, err)) != SIM_OK ||
        (rc = weights_view(topo, weights, &wbuf, &w, &w_owned, err)) != SIM_OK)
        goto out;
    if (igraph_vector_int_init(&edges, 0) != IGRAPH_SUCCESS) {
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
        goto out;
    }
    edges_init = true;
    /* Unreachable: an empty path and a warning (ignored). */
    igraph_error_t irc = igraph_get_shortest_path_dijkstra(graph, NULL, &edges,
                                                           (igraph_integer_t)from,
                                                           (igraph_integer_t)to, w, IGRAPH_ALL);
    if (irc != IGRAPH_SUCCESS) {
        rc = sim_err_set(err, SIM_ERR_RUN, "shortest path %zu -> %zu: %s", from, to,
                         igraph_strerror(irc));
        goto out;
    }
    if ((from != to && igraph_vector_int_size(&edges) == 0) || path_infinite(&edges, w))
        goto out;
    if ((rc = copy_path(graph, from, &edges, w, out, err)) == SIM_OK)
        *found = true;
out:
    if (edges_init)
        igraph_vector_int_destroy(&edges);
    if (w_owned)
        igraph_vector_destroy(&wbuf);
    guard_leave(&guard);
    return rc;
}

/* Copies igraph's list of edge paths into a malloc'd array of paths. */
static int copy_paths(const igraph_t *graph, size_t from, const igraph_vector_int_list_t *list,
                      const igraph_vector_t *w, topo_path_t **paths, size_t *npaths,
                      sim_err_t *err)
{
    size_t n = (size_t)igraph_vector_int_list_size(list);
    topo_path_t *a;

    if (n == 0)
        return SIM_OK;
    if ((a = calloc(n, sizeof *a)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    for (size_t i = 0; i < n; i++) {
        int rc = copy_path(graph, from, igraph_vector_int_list_get_ptr(list, (igraph_integer_t)i),
                           w, &a[i], err);
        if (rc != SIM_OK) {
            topo_paths_free(a, i);
            return rc;
        }
    }
    *paths = a;
    *npaths = n;
    return SIM_OK;
}

int topo_k_shortest_paths(const topo_t *topo, size_t from, size_t to, const double *weights,
                          size_t k, topo_path_t **paths, size_t *npaths, sim_err_t *err)
{
    topo_guard_t guard;
    const igraph_t *graph;
    const igraph_vector_t *w = NULL;
    igraph_vector_t wbuf;
    igraph_vector_int_list_t list;
    bool w_owned = false, list_init = false;
    int rc;

    *paths = NULL;
    *npaths = 0;
    guard_enter(&guard);
    if (k == 0 || k > (size_t)IGRAPH_INTEGER_MAX) {
        rc = sim_err_set(err, SIM_ERR_INPUT, "k shortest paths: k = %zu is not >= 1", k);
        goto out;
    }
    if ((rc = path_query_begin(topo, from, to, &graph, err)) != SIM_OK ||
        (rc = weights_view(topo, weights, &wbuf, &w, &w_owned, err)) != SIM_OK)
        goto out;
    if (igraph_vector_int_list_init(&list, 0) != IGRAPH_SUCCESS) {
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
        goto out;
    }
    list_init = true;
    igraph_error_t irc = igraph_get_k_shortest_paths(graph, w, NULL, &list, (igraph_integer_t)k,
                                                     (igraph_integer_t)from,
                                                     (igraph_integer_t)to, IGRAPH_ALL);
    if (irc != IGRAPH_SUCCESS) {
        rc = sim_err_set(err, SIM_ERR_RUN, "%zu shortest paths %zu -> %zu: %s", k, from, to,
                         igraph_strerror(irc));
        goto out;
    }
    /* Yen stops at the first path of infinite cost, so only the first can
     * be one (when no finite path exists). */
    if (igraph_vector_int_list_size(&list) > 0 &&
        path_infinite(igraph_vector_int_list_get_ptr(&list, 0), w))
        igraph_vector_int_list_clear(&list);
    rc = copy_paths(graph, from, &list, w, paths, npaths, err);
out:
    if (list_init)
        igraph_vector_int_list_destroy(&list);
    if (w_owned)
        igraph_vector_destroy(&wbuf);
    guard_leave(&guard);
    return rc;
}

int topo_shortest_tree(const topo_t *topo, size_t from, const double *weights, size_t *inbound,
                       sim_err_t *err)
{
    topo_guard_t guard;
    const igraph_t *graph;
    const igraph_vector_t *w = NULL;
    igraph_vector_t wbuf;
    igraph_vector_int_t in;
    bool w_owned = false, in_init = false;
    int rc;

    guard_enter(&guard);
    if ((rc = path_query_begin(topo, from, from, &graph, err)) != SIM_OK ||
        (rc = weights_view(topo, weights, &wbuf, &w, &w_owned, err)) != SIM_OK)
        goto out;
    if (igraph_vector_int_init(&in, 0) != IGRAPH_SUCCESS) {
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
        goto out;
    }
    in_init = true;
    igraph_error_t irc = igraph_get_shortest_paths_dijkstra(graph, NULL, NULL,
                                                            (igraph_integer_t)from,
                                                            igraph_vss_all(), w, IGRAPH_ALL,
                                                            NULL, &in);
    if (irc != IGRAPH_SUCCESS) {
        rc = sim_err_set(err, SIM_ERR_RUN, "shortest paths from %zu: %s", from,
                         igraph_strerror(irc));
        goto out;
    }
    /* igraph marks the root and unreached nodes with a negative edge. */
    for (size_t v = 0; v < topo->nnodes; v++) {
        igraph_integer_t e = VECTOR(in)[v];
        inbound[v] = (e < 0 || isinf(VECTOR(*w)[e])) ? SIZE_MAX : (size_t)e;
    }
out:
    if (in_init)
        igraph_vector_int_destroy(&in);
    if (w_owned)
        igraph_vector_destroy(&wbuf);
    guard_leave(&guard);
    return rc;
}

int topo_components(const topo_t *topo, size_t *component, sim_err_t *err)
{
    topo_guard_t guard;
    const igraph_t *graph;
    igraph_vector_int_t membership;
    bool init = false;
    int rc;

    guard_enter(&guard);
    if ((rc = topo_graph(topo, &graph, err)) != SIM_OK)
        goto out;
    if (igraph_vector_int_init(&membership, 0) != IGRAPH_SUCCESS) {
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
        goto out;
    }
    init = true;
    igraph_error_t irc = igraph_connected_components(graph, &membership, NULL, NULL, IGRAPH_WEAK);
    if (irc != IGRAPH_SUCCESS) {
        rc = sim_err_set(err, SIM_ERR_RUN, "connected components: %s", igraph_strerror(irc));
        goto out;
    }
    for (size_t v = 0; v < topo->nnodes; v++)
        component[v] = (size_t)VECTOR(membership)[v];
out:
    if (init)
        igraph_vector_int_destroy(&membership);
    guard_leave(&guard);
    return rc;
}

/* ------------------------------------------------------------- GraphML */

/* The type igraph gave edge attribute `name`: 0, -1 when the graph has no
 * such attribute, -2 when igraph fails. gettype is the public entry of the
 * C attribute table (igraph 0.10 has no igraph_cattribute_* wrapper). */
static int edge_attr_type(const igraph_t *graph, const char *name, igraph_attribute_type_t *type)
{
    if (!igraph_cattribute_has_attr(graph, IGRAPH_ATTRIBUTE_EDGE, name))
        return -1;
    if (igraph_cattribute_table.gettype(graph, type, IGRAPH_ATTRIBUTE_EDGE, name) != IGRAPH_SUCCESS)
        return -2;
    return 0;
}

/* A string-typed value: empty means absent (NaN); anything else must be a
 * whole number, so that a typo is an error rather than a silent NaN. */
static int parse_number(const char *s, double *value)
{
    char *end;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    if (*s == '\0') {
        *value = NAN;
        return 0;
    }
    errno = 0;
    *value = strtod(s, &end);
    while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
        end++;
    return (end == s || *end != '\0' || errno == ERANGE) ? -1 : 0;
}

static int graphml_values(const igraph_t *graph, const char *path, const char *attr,
                          topo_graphml_t *out, sim_err_t *err)
{
    igraph_attribute_type_t type = IGRAPH_ATTRIBUTE_UNSPECIFIED;
    int found = attr != NULL ? edge_attr_type(graph, attr, &type) : -1;

    if (found == -2)
        return sim_err_set(err, SIM_ERR_RUN,
                           "cannot read GraphML file '%s': igraph cannot tell the type of "
                           "edge attribute '%s'", path, attr);
    for (size_t e = 0; e < out->nedges; e++) {
        igraph_integer_t eid = (igraph_integer_t)e;
        double v = NAN;
        if (found == 0 && type == IGRAPH_ATTRIBUTE_NUMERIC) {
            v = EAN(graph, attr, eid);
        } else if (found == 0 && type == IGRAPH_ATTRIBUTE_BOOLEAN) {
            v = EAB(graph, attr, eid) ? 1.0 : 0.0;
        } else if (found == 0 && type == IGRAPH_ATTRIBUTE_STRING) {
            const char *s = EAS(graph, attr, eid);
            if (s != NULL && parse_number(s, &v) != 0)
                return sim_err_set(err, SIM_ERR_INPUT,
                                   "cannot read GraphML file '%s': edge %zu: attribute '%s' "
                                   "is not a number: '%s'", path, e, attr, s);
        }
        out->edge_value[e] = v;
    }
    return SIM_OK;
}

/* Copies what the caller needs out of igraph's graph. */
static int graphml_extract(const igraph_t *graph, const char *path, const char *attr,
                           topo_graphml_t *out, sim_err_t *err)
{
    size_t nv = (size_t)igraph_vcount(graph), ne = (size_t)igraph_ecount(graph);
    bool has_ids = igraph_cattribute_has_attr(graph, IGRAPH_ATTRIBUTE_VERTEX, "id");

    out->node_ids = calloc(nv ? nv : 1, sizeof *out->node_ids);
    out->edge_a = malloc((ne ? ne : 1) * sizeof *out->edge_a);
    out->edge_b = malloc((ne ? ne : 1) * sizeof *out->edge_b);
    out->edge_value = malloc((ne ? ne : 1) * sizeof *out->edge_value);
    if (out->node_ids == NULL || out->edge_a == NULL || out->edge_b == NULL ||
        out->edge_value == NULL)
        goto oom;
    out->nnodes = nv;
    out->nedges = ne;
    for (size_t v = 0; v < nv; v++) {
        const char *id = has_ids ? VAS(graph, "id", (igraph_integer_t)v) : "";
        size_t len = strlen(id ? id : "");
        out->node_ids[v] = malloc(len + 1);
        if (out->node_ids[v] == NULL)
            goto oom;
        memcpy(out->node_ids[v], id ? id : "", len + 1);
    }
    /* igraph does not keep the file's source/target order of undirected
     * edges; igraph_edge gives the smaller index first for them (and source,
     * target for a directed graph), which is at least stable. */
    for (size_t e = 0; e < ne; e++) {
        igraph_integer_t from, to;
        igraph_edge(graph, (igraph_integer_t)e, &from, &to);   /* cannot fail: e < ecount */
        out->edge_a[e] = (size_t)from;
        out->edge_b[e] = (size_t)to;
    }
    return graphml_values(graph, path, attr, out, err);
oom:
    return sim_err_set(err, SIM_ERR_RUN, "cannot read GraphML file '%s': out of memory", path);
}

int topo_read_graphml(const char *path, const char *edge_attr, topo_graphml_t *out,
                      sim_err_t *err)
{
    topo_guard_t guard;
    igraph_attribute_table_t *old_table;
    igraph_t graph;
    igraph_error_t irc;
    sim_err_t why;
    int rc;

    memset(out, 0, sizeof *out);
    /* Checked before igraph reads it: a regular file of bounded size. */
    FILE *fp = scn_open_input(path, &why);
    if (fp == NULL)
        return sim_err_set(err, SIM_ERR_INPUT, "cannot read GraphML file '%s': %s", path,
                           why.msg);
    guard_enter(&guard);
    old_table = igraph_set_attribute_table(&igraph_cattribute_table);
    irc = igraph_read_graph_graphml(&graph, fp, 0);
    fclose(fp);
    if (irc != IGRAPH_SUCCESS) {
        rc = sim_err_set(err, SIM_ERR_INPUT, "cannot read GraphML file '%s': %s", path,
                         igraph_strerror(irc));
        goto out;
    }
    rc = graphml_extract(&graph, path, edge_attr, out, err);
    igraph_destroy(&graph);   /* with the table that created the attributes */
out:
    igraph_set_attribute_table(old_table);
    guard_leave(&guard);
    if (rc != SIM_OK)
        topo_graphml_free(out);
    return rc;
}

void topo_graphml_free(topo_graphml_t *g)
{
    if (g == NULL)
        return;
    if (g->node_ids != NULL)
        for (size_t i = 0; i < g->nnodes; i++)
            free(g->node_ids[i]);
    free(g->node_ids);
    free(g->edge_a);
    free(g->edge_b);
    free(g->edge_value);
    memset(g, 0, sizeof *g);
}
