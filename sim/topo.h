/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * topo.h - the network graph: igraph stops here.
 *
 * Nodes are numbered 0..n-1 and edges 0..m-1 in the order they are added
 * (the order of <node> and <link> in the scenario). Edges are undirected;
 * several edges between the same two nodes are allowed (parallel links).
 * Weights are non-negative doubles in arbitrary units chosen by the caller
 * (for example metres or 1/key rate); an unweighted query counts hops.
 *
 * Ownership: topo_t owns its graph. Arrays returned through pointer
 * arguments are allocated with malloc and freed by the caller with free().
 */
#ifndef QKM_SIM_TOPO_H
#define QKM_SIM_TOPO_H

#include <stdbool.h>
#include <stddef.h>

#include "sim/error.h"

typedef struct topo topo_t;

topo_t *topo_create(size_t nnodes, sim_err_t *err);   /* NULL on failure */
void topo_destroy(topo_t *topo);

/* Adds an undirected edge a-b with the given weight (>= 0); stores its id
 * in *edge. SIM_ERR_INPUT for an unknown node or a self-loop. */
int topo_add_edge(topo_t *topo, size_t a, size_t b, double weight, size_t *edge,
                  sim_err_t *err);

size_t topo_node_count(const topo_t *topo);
size_t topo_edge_count(const topo_t *topo);

/* The two ends of an edge. */
void topo_edge_ends(const topo_t *topo, size_t edge, size_t *a, size_t *b);

/* Sorted, distinct neighbours of node. */
int topo_neighbors(const topo_t *topo, size_t node, size_t **out, size_t *n,
                   sim_err_t *err);

/* The first edge (lowest id) between a and b; false if there is none. */
bool topo_edge_between(const topo_t *topo, size_t a, size_t b, size_t *edge);

/* A shortest path from `from` to `to` as a node sequence including both
 * ends (*n == 0 when unreachable; *n == 1 when from == to), by hop count
 * when !weighted, else by the edge weights (Dijkstra). Ties are broken by
 * igraph deterministically. */
int topo_shortest_path(const topo_t *topo, size_t from, size_t to, bool weighted,
                       size_t **nodes, size_t *n, sim_err_t *err);

/* Paths with per-call edge weights (routing). `weights` has one entry per
 * edge (topo_edge_count), >= 0, in the caller's units; +INFINITY excludes
 * the edge (a link that is down); NULL counts hops (every weight 1). Both
 * functions use igraph's Dijkstra, so topo_k_shortest_paths' first path
 * is always topo_path_weighted's path: equal-cost ties are broken the
 * same way, by igraph, deterministically for a given graph and edge
 * order. */
typedef struct topo_path {
    size_t nedges;    /* 0 when from == to */
    size_t *nodes;    /* nedges + 1 nodes, `from` first */
    size_t *edges;    /* nedges edges; edges[i] joins nodes[i] and nodes[i+1] */
    double cost;      /* sum of the weights of the edges */
} topo_path_t;

/* A shortest path; *found = false (and *out zeroed) when `to` cannot be
 * reached by edges of finite weight. SIM_ERR_INPUT for an unknown node,
 * SIM_ERR_RUN when igraph fails (a negative or NaN weight, memory). */
int topo_path_weighted(const topo_t *topo, size_t from, size_t to, const double *weights,
                       topo_path_t *out, bool *found, sim_err_t *err);

/* Up to k (>= 1) loopless shortest paths (Yen's algorithm, igraph's
 * igraph_get_k_shortest_paths) in ascending cost; equal costs keep
 * igraph's order. *paths is malloc'd (NULL when *npaths == 0); free it
 * with topo_paths_free. */
int topo_k_shortest_paths(const topo_t *topo, size_t from, size_t to, const double *weights,
                          size_t k, topo_path_t **paths, size_t *npaths, sim_err_t *err);

/* The shortest-path tree from `from` under weights (as above): inbound[v]
 * (one per node) is the edge by which igraph's shortest path from `from`
 * enters v, SIZE_MAX for `from` itself and for nodes it cannot reach.
 * Following inbound back from `to` gives the same path as
 * topo_path_weighted(from, to) (igraph stops that search early, which
 * changes no settled node's edge), for every `to` at the cost of one
 * search. */
int topo_shortest_tree(const topo_t *topo, size_t from, const double *weights, size_t *inbound,
                       sim_err_t *err);

/* The connected component of every node (component[v], numbered from 0),
 * counting every edge whatever its weight. */
int topo_components(const topo_t *topo, size_t *component, sim_err_t *err);

void topo_path_free(topo_path_t *path);              /* the arrays; *path zeroed */
void topo_paths_free(topo_path_t *paths, size_t n);  /* each path and the array */

/* A graph read from GraphML with igraph's reader: node ids (the GraphML
 * "id" of each node), edges by node index, and one numeric edge attribute
 * (NaN where absent or when attr is NULL). Edges keep the file's order;
 * igraph does not keep source/target of an undirected edge, so there
 * edge_a < edge_b. A string-typed attribute is parsed as a number
 * (SIM_ERR_INPUT if it is not one). */
typedef struct topo_graphml {
    size_t nnodes;
    char **node_ids;
    size_t nedges;
    size_t *edge_a;
    size_t *edge_b;
    double *edge_value;
} topo_graphml_t;

/* SIM_ERR_INPUT when the file cannot be read or parsed (message names the
 * file). The caller frees the result with topo_graphml_free. */
int topo_read_graphml(const char *path, const char *edge_attr, topo_graphml_t *out,
                      sim_err_t *err);
void topo_graphml_free(topo_graphml_t *g);

#endif
