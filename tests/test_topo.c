/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_topo.c - the topology module: paths, neighbours, edges, errors, and
 * the GraphML reader on scenarios/ring.graphml.
 *
 * igraph.h is included here only to check that topo leaves igraph's
 * process-wide handlers and attribute table as it found them.
 */
#define _POSIX_C_SOURCE 200809L

#include "sim/topo.h"

#include <CUnit/Basic.h>
#include <igraph.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 *   0 --1-- 1 --1-- 2 --1-- 3 ==(2, 1)== 4 --1-- 5      6 (isolated)
 *    \______________10_____/
 *
 * Hop count and weights disagree on 0 -> 3 and 0 -> 4; 3-4 is a pair of
 * parallel edges.
 */
static topo_t *small_graph(void)
{
    static const struct { size_t a, b; double w; } edges[] = {
        { 0, 1, 1 }, { 1, 2, 1 }, { 2, 3, 1 }, { 0, 3, 10 }, { 3, 4, 2 }, { 4, 3, 1 }, { 5, 4, 1 },
    };
    sim_err_t err = { 0 };
    topo_t *t = topo_create(7, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        size_t id = 999;
        CU_ASSERT_EQUAL(topo_add_edge(t, edges[i].a, edges[i].b, edges[i].w, &id, &err), SIM_OK);
        CU_ASSERT_EQUAL(id, i);
    }
    return t;
}

static void check_path(const topo_t *t, size_t from, size_t to, bool weighted,
                       const size_t *expect, size_t nexpect)
{
    size_t *p = NULL, n = 99;
    sim_err_t err = { 0 };
    CU_ASSERT_EQUAL_FATAL(topo_shortest_path(t, from, to, weighted, &p, &n, &err), SIM_OK);
    CU_ASSERT_EQUAL(n, nexpect);
    if (n == nexpect)
        for (size_t i = 0; i < n; i++)
            CU_ASSERT_EQUAL(p[i], expect[i]);
    free(p);
}

static void test_counts_and_ends(void)
{
    topo_t *t = small_graph();
    CU_ASSERT_EQUAL(topo_node_count(t), 7);
    CU_ASSERT_EQUAL(topo_edge_count(t), 7);
    size_t a, b;
    topo_edge_ends(t, 3, &a, &b);
    CU_ASSERT(a == 0 && b == 3);
    /* Ends come back in the order they were given, not sorted. */
    topo_edge_ends(t, 6, &a, &b);
    CU_ASSERT(a == 5 && b == 4);
    topo_destroy(t);
}

static void test_shortest_paths(void)
{
    topo_t *t = small_graph();
    check_path(t, 0, 3, false, (const size_t[]){ 0, 3 }, 2);
    check_path(t, 0, 3, true, (const size_t[]){ 0, 1, 2, 3 }, 4);
    check_path(t, 0, 4, false, (const size_t[]){ 0, 3, 4 }, 3);
    check_path(t, 0, 4, true, (const size_t[]){ 0, 1, 2, 3, 4 }, 5);
    check_path(t, 5, 1, true, (const size_t[]){ 5, 4, 3, 2, 1 }, 5);
    check_path(t, 2, 2, false, (const size_t[]){ 2 }, 1);
    check_path(t, 2, 2, true, (const size_t[]){ 2 }, 1);
    check_path(t, 0, 6, false, NULL, 0);
    check_path(t, 6, 0, true, NULL, 0);

    /* A query, then a change, then the same query sees the change. */
    sim_err_t err = { 0 };
    CU_ASSERT_EQUAL(topo_add_edge(t, 6, 5, 0.5, NULL, &err), SIM_OK);
    check_path(t, 0, 6, false, (const size_t[]){ 0, 3, 4, 5, 6 }, 5);
    CU_ASSERT_EQUAL(topo_add_edge(t, 0, 6, 100, NULL, &err), SIM_OK);
    check_path(t, 0, 6, false, (const size_t[]){ 0, 6 }, 2);
    check_path(t, 0, 6, true, (const size_t[]){ 0, 1, 2, 3, 4, 5, 6 }, 7);
    topo_destroy(t);
}

/* The small graph's weights as a per-call array (edge order). */
static const double small_w[7] = { 1, 1, 1, 10, 2, 1, 1 };

/* A path is consistent: nodes chain through its edges, cost is the sum. */
static void check_consistent(const topo_t *t, const topo_path_t *p, const double *w,
                             size_t from, size_t to)
{
    double cost = 0;
    CU_ASSERT_EQUAL(p->nodes[0], from);
    CU_ASSERT_EQUAL(p->nodes[p->nedges], to);
    for (size_t i = 0; i < p->nedges; i++) {
        size_t a, b;
        topo_edge_ends(t, p->edges[i], &a, &b);
        CU_ASSERT((a == p->nodes[i] && b == p->nodes[i + 1]) ||
                  (b == p->nodes[i] && a == p->nodes[i + 1]));
        cost += w != NULL ? w[p->edges[i]] : 1.0;
    }
    CU_ASSERT_DOUBLE_EQUAL(p->cost, cost, 1e-12);
}

static void check_weighted(const topo_t *t, size_t from, size_t to, const double *w,
                           const size_t *edges, size_t nedges)
{
    topo_path_t p;
    bool found = false;
    sim_err_t err = { 0 };
    CU_ASSERT_EQUAL_FATAL(topo_path_weighted(t, from, to, w, &p, &found, &err), SIM_OK);
    CU_ASSERT_TRUE_FATAL(found);
    check_consistent(t, &p, w, from, to);
    CU_ASSERT_EQUAL(p.nedges, nedges);
    if (p.nedges == nedges)
        for (size_t i = 0; i < nedges; i++)
            CU_ASSERT_EQUAL(p.edges[i], edges[i]);
    topo_path_free(&p);
}

static void test_weighted_paths(void)
{
    topo_t *t = small_graph();
    sim_err_t err = { 0 };
    double w[7];
    topo_path_t p;
    bool found = true;

    check_weighted(t, 0, 3, NULL, (const size_t[]){ 3 }, 1);          /* hops */
    check_weighted(t, 0, 3, small_w, (const size_t[]){ 0, 1, 2 }, 3);
    /* Of the parallel pair 3-4, the lighter edge (5). */
    check_weighted(t, 0, 4, small_w, (const size_t[]){ 0, 1, 2, 5 }, 4);
    /* Excluding edge 1 (a link down) leaves the long edge 0-3. */
    memcpy(w, small_w, sizeof w);
    w[1] = INFINITY;
    check_weighted(t, 0, 4, w, (const size_t[]){ 3, 5 }, 2);
    w[5] = INFINITY;
    check_weighted(t, 0, 4, w, (const size_t[]){ 3, 4 }, 2);
    /* Cut: both edges out of 0 excluded. */
    w[3] = INFINITY;
    w[0] = INFINITY;
    CU_ASSERT_EQUAL(topo_path_weighted(t, 0, 4, w, &p, &found, &err), SIM_OK);
    CU_ASSERT_FALSE(found);
    CU_ASSERT_PTR_NULL(p.nodes);
    CU_ASSERT_EQUAL(topo_path_weighted(t, 0, 6, NULL, &p, &found, &err), SIM_OK);
    CU_ASSERT_FALSE(found);
    /* from == to: a path of no edge. */
    CU_ASSERT_EQUAL(topo_path_weighted(t, 2, 2, small_w, &p, &found, &err), SIM_OK);
    CU_ASSERT_TRUE(found);
    CU_ASSERT_EQUAL(p.nedges, 0);
    CU_ASSERT_EQUAL(p.nodes[0], 2);
    topo_path_free(&p);
    /* Errors: unknown node, a negative weight, k = 0. */
    CU_ASSERT_EQUAL(topo_path_weighted(t, 0, 7, NULL, &p, &found, &err), SIM_ERR_INPUT);
    memcpy(w, small_w, sizeof w);
    w[2] = -1;
    CU_ASSERT_EQUAL(topo_path_weighted(t, 0, 4, w, &p, &found, &err), SIM_ERR_RUN);
    topo_path_t *ps = NULL;
    size_t n = 9;
    CU_ASSERT_EQUAL(topo_k_shortest_paths(t, 0, 4, NULL, 0, &ps, &n, &err), SIM_ERR_INPUT);
    CU_ASSERT_EQUAL(n, 0);
    topo_destroy(t);
}

static void test_k_shortest(void)
{
    topo_t *t = small_graph();
    sim_err_t err = { 0 };
    topo_path_t *ps = NULL;
    size_t n = 0;
    double w[7];

    /* 0 -> 4: 0-1-2-3 (3) or 0-3 (10), then edge 5 (1) or edge 4 (2). */
    CU_ASSERT_EQUAL_FATAL(topo_k_shortest_paths(t, 0, 4, small_w, 10, &ps, &n, &err), SIM_OK);
    CU_ASSERT_EQUAL_FATAL(n, 4);
    const double costs[4] = { 4, 5, 11, 12 };
    for (size_t i = 0; i < n; i++) {
        check_consistent(t, &ps[i], small_w, 0, 4);
        CU_ASSERT_DOUBLE_EQUAL(ps[i].cost, costs[i], 1e-12);
    }
    CU_ASSERT_EQUAL(ps[0].edges[3], 5);
    CU_ASSERT_EQUAL(ps[1].edges[3], 4);
    topo_paths_free(ps, n);
    /* k = 2 keeps the two cheapest. */
    CU_ASSERT_EQUAL_FATAL(topo_k_shortest_paths(t, 0, 4, small_w, 2, &ps, &n, &err), SIM_OK);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_DOUBLE_EQUAL(ps[1].cost, 5, 1e-12);
    topo_paths_free(ps, n);
    /* Excluded edges never appear: without edge 1, two paths remain. */
    memcpy(w, small_w, sizeof w);
    w[1] = INFINITY;
    CU_ASSERT_EQUAL_FATAL(topo_k_shortest_paths(t, 0, 4, w, 10, &ps, &n, &err), SIM_OK);
    CU_ASSERT_EQUAL(n, 2);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < ps[i].nedges; j++)
            CU_ASSERT_NOT_EQUAL(ps[i].edges[j], 1);
    topo_paths_free(ps, n);
    /* Unreachable: none. */
    CU_ASSERT_EQUAL(topo_k_shortest_paths(t, 0, 6, NULL, 3, &ps, &n, &err), SIM_OK);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_PTR_NULL(ps);
    topo_destroy(t);
}

/* On a grid, where many paths tie by hop count, the first of the k
 * shortest paths is always the single shortest path (so routing may
 * compute the k list lazily without changing its first choice). */
static void test_k_first_is_shortest(void)
{
    enum { side = 6 };
    sim_err_t err = { 0 };
    topo_t *t = topo_create(side * side, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    for (size_t r = 0; r < side; r++)
        for (size_t c = 0; c < side; c++) {
            if (c + 1 < side)
                CU_ASSERT_EQUAL(topo_add_edge(t, r * side + c, r * side + c + 1, 1, NULL, &err),
                                SIM_OK);
            if (r + 1 < side)
                CU_ASSERT_EQUAL(topo_add_edge(t, r * side + c, (r + 1) * side + c, 1, NULL, &err),
                                SIM_OK);
        }
    for (size_t from = 0; from < side * side; from += 5)
        for (size_t to = 0; to < side * side; to += 7) {
            topo_path_t p, *ps = NULL;
            size_t n = 0;
            bool found = false;
            CU_ASSERT_EQUAL_FATAL(topo_path_weighted(t, from, to, NULL, &p, &found, &err), SIM_OK);
            CU_ASSERT_EQUAL_FATAL(topo_k_shortest_paths(t, from, to, NULL, 3, &ps, &n, &err),
                                  SIM_OK);
            CU_ASSERT_TRUE(found);
            CU_ASSERT_FATAL(n >= 1);
            CU_ASSERT_EQUAL(ps[0].nedges, p.nedges);
            CU_ASSERT_EQUAL(memcmp(ps[0].edges, p.edges, p.nedges * sizeof *p.edges), 0);
            for (size_t i = 1; i < n; i++)
                CU_ASSERT(ps[i].cost >= ps[i - 1].cost);
            topo_path_free(&p);
            topo_paths_free(ps, n);
        }
    topo_destroy(t);
}

/* Walks a tree's inbound edges back from `to`: the edges from `from`, in
 * order, into e (at most max); returns their number, or SIZE_MAX when
 * `to` is not reached. */
static size_t tree_walk(const topo_t *t, const size_t *inbound, size_t from, size_t to,
                        size_t *e, size_t max)
{
    size_t n = 0, v = to;
    while (v != from) {
        size_t a, b;
        if (inbound[v] == SIZE_MAX || n == max)
            return SIZE_MAX;
        e[n++] = inbound[v];
        topo_edge_ends(t, inbound[v], &a, &b);
        v = (a == v) ? b : a;
    }
    for (size_t i = 0; i < n / 2; i++) {
        size_t x = e[i];
        e[i] = e[n - 1 - i];
        e[n - 1 - i] = x;
    }
    return n;
}

/* One tree search gives, for every destination, the path of the search
 * for that destination alone: on a grid full of ties (hops), with
 * weights, and with excluded edges. */
static void test_tree_matches_paths(void)
{
    enum { side = 6, nn = side * side };
    sim_err_t err = { 0 };
    topo_t *t = topo_create(nn + 1, &err);   /* node nn: isolated */
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    for (size_t r = 0; r < side; r++)
        for (size_t c = 0; c < side; c++) {
            if (c + 1 < side)
                topo_add_edge(t, r * side + c, r * side + c + 1, 1, NULL, &err);
            if (r + 1 < side)
                topo_add_edge(t, r * side + c, (r + 1) * side + c, 1, NULL, &err);
        }
    size_t m = topo_edge_count(t);
    double *w = malloc(m * sizeof *w), *wx = malloc(m * sizeof *wx);
    CU_ASSERT_FATAL(w != NULL && wx != NULL);
    for (size_t e = 0; e < m; e++) {
        w[e] = (double)(1 + (e * 7) % 3);               /* 1, 2, 3: ties remain */
        wx[e] = (e % 5 == 0 || e < 3) ? INFINITY : w[e];
    }
    const double *cases[3] = { NULL, w, wx };
    size_t inbound[nn + 1], e[nn];
    for (size_t c = 0; c < 3; c++)
        for (size_t from = 0; from < nn; from += 3) {
            CU_ASSERT_EQUAL_FATAL(topo_shortest_tree(t, from, cases[c], inbound, &err), SIM_OK);
            CU_ASSERT_EQUAL(inbound[from], SIZE_MAX);
            CU_ASSERT_EQUAL(inbound[nn], SIZE_MAX);
            for (size_t to = 0; to <= nn; to++) {
                topo_path_t p;
                bool found = false;
                CU_ASSERT_EQUAL_FATAL(topo_path_weighted(t, from, to, cases[c], &p, &found, &err),
                                      SIM_OK);
                size_t n = tree_walk(t, inbound, from, to, e, nn);
                CU_ASSERT_EQUAL(n != SIZE_MAX, found);
                if (found) {
                    CU_ASSERT_EQUAL_FATAL(n, p.nedges);
                    CU_ASSERT_EQUAL(memcmp(e, p.edges, n * sizeof *e), 0);
                }
                topo_path_free(&p);
            }
        }
    /* Components: the grid, and the isolated node. */
    size_t comp[nn + 1];
    CU_ASSERT_EQUAL(topo_components(t, comp, &err), SIM_OK);
    for (size_t v = 1; v < nn; v++)
        CU_ASSERT_EQUAL(comp[v], comp[0]);
    CU_ASSERT_NOT_EQUAL(comp[nn], comp[0]);
    free(w);
    free(wx);
    topo_destroy(t);
}

static void test_neighbors(void)
{
    topo_t *t = small_graph();
    sim_err_t err = { 0 };
    size_t *nb = NULL, n = 99;

    /* 3 has edges to 2, 0 and twice to 4: sorted, each once. */
    CU_ASSERT_EQUAL_FATAL(topo_neighbors(t, 3, &nb, &n, &err), SIM_OK);
    CU_ASSERT_EQUAL(n, 3);
    if (n == 3)
        CU_ASSERT(nb[0] == 0 && nb[1] == 2 && nb[2] == 4);
    free(nb);

    CU_ASSERT_EQUAL_FATAL(topo_neighbors(t, 4, &nb, &n, &err), SIM_OK);
    CU_ASSERT_EQUAL(n, 2);
    if (n == 2)
        CU_ASSERT(nb[0] == 3 && nb[1] == 5);
    free(nb);

    CU_ASSERT_EQUAL_FATAL(topo_neighbors(t, 6, &nb, &n, &err), SIM_OK);
    CU_ASSERT_EQUAL(n, 0);
    free(nb);
    topo_destroy(t);
}

static void test_edge_between(void)
{
    topo_t *t = small_graph();
    size_t e = 99;
    CU_ASSERT(topo_edge_between(t, 3, 4, &e));
    CU_ASSERT_EQUAL(e, 4);          /* the lower id of the parallel pair */
    e = 99;
    CU_ASSERT(topo_edge_between(t, 4, 3, &e));
    CU_ASSERT_EQUAL(e, 4);
    CU_ASSERT(topo_edge_between(t, 3, 0, &e));
    CU_ASSERT_EQUAL(e, 3);
    CU_ASSERT(!topo_edge_between(t, 0, 2, &e));
    CU_ASSERT(!topo_edge_between(t, 1, 1, &e));
    CU_ASSERT(!topo_edge_between(t, 0, 70, &e));
    topo_destroy(t);
}

static void test_errors(void)
{
    topo_t *t = small_graph();
    sim_err_t err = { 0 };
    size_t *p = NULL, n = 0;

    CU_ASSERT_EQUAL(topo_add_edge(t, 2, 2, 1, NULL, &err), SIM_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "self-loop"));
    CU_ASSERT_EQUAL(topo_add_edge(t, 0, 7, 1, NULL, &err), SIM_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "7"));
    CU_ASSERT_EQUAL(topo_add_edge(t, 0, 1, -1, NULL, &err), SIM_ERR_INPUT);
    CU_ASSERT_EQUAL(topo_add_edge(t, 0, 1, NAN, NULL, &err), SIM_ERR_INPUT);
    CU_ASSERT_EQUAL(topo_edge_count(t), 7);

    CU_ASSERT_EQUAL(topo_neighbors(t, 7, &p, &n, &err), SIM_ERR_INPUT);
    CU_ASSERT_EQUAL(topo_shortest_path(t, 0, 99, true, &p, &n, &err), SIM_ERR_INPUT);
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_EQUAL(n, 0);
    topo_destroy(t);
}

/* ------------------------------------------------------------- GraphML */

static char tmpdir[64];

static int suite_init(void)
{
    strcpy(tmpdir, "/tmp/qkm_test_topo_XXXXXX");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int suite_clean(void)
{
    return rmdir(tmpdir);
}

static void ring_path(char *buf, size_t size)
{
    const char *src = getenv("SRCDIR");
    snprintf(buf, size, "%s/scenarios/ring.graphml", src != NULL ? src : ".");
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

static int same_pair(size_t a, size_t b, size_t x, size_t y)
{
    return (a == x && b == y) || (a == y && b == x);
}

static void test_read_ring(void)
{
    /* The lengths written in scenarios/ring.graphml, in file order. */
    static const struct { size_t a, b; double km; } expect[] = {
        { 0, 1, 10 }, { 1, 2, 20 }, { 2, 3, 35 }, { 3, 4, 15 }, { 4, 0, 40 }, { 0, 2, 25 },
    };
    char path[4096];
    topo_graphml_t g;
    sim_err_t err = { 0 };
    ring_path(path, sizeof path);

    CU_ASSERT_EQUAL_FATAL(topo_read_graphml(path, "length", &g, &err), SIM_OK);
    CU_ASSERT_EQUAL(g.nnodes, 5);
    for (size_t i = 0; i < g.nnodes && i < 5; i++) {
        char id[8];
        snprintf(id, sizeof id, "N%zu", i + 1);
        CU_ASSERT_STRING_EQUAL(g.node_ids[i], id);
    }
    CU_ASSERT_EQUAL_FATAL(g.nedges, 6);
    for (size_t e = 0; e < 6; e++) {
        CU_ASSERT(same_pair(g.edge_a[e], g.edge_b[e], expect[e].a, expect[e].b));
        CU_ASSERT(g.edge_a[e] < g.edge_b[e]);   /* undirected: smaller index first */
        CU_ASSERT_DOUBLE_EQUAL(g.edge_value[e], expect[e].km, 0.0);
    }

    /* The ring as a topology, weighted by length: tie-free pairs only. */
    topo_t *t = topo_create(g.nnodes, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    for (size_t e = 0; e < g.nedges; e++)
        CU_ASSERT_EQUAL(topo_add_edge(t, g.edge_a[e], g.edge_b[e], g.edge_value[e], NULL, &err),
                        SIM_OK);
    check_path(t, 0, 3, true, (const size_t[]){ 0, 4, 3 }, 3);      /* 40 + 15 */
    check_path(t, 0, 2, true, (const size_t[]){ 0, 2 }, 2);         /* the chord, 25 */
    check_path(t, 1, 3, true, (const size_t[]){ 1, 2, 3 }, 3);      /* 55 < 65 */
    check_path(t, 1, 4, false, (const size_t[]){ 1, 0, 4 }, 3);
    topo_destroy(t);
    topo_graphml_free(&g);
    CU_ASSERT_PTR_NULL(g.node_ids);

    /* No attribute asked for, or one that is not there: NaN. */
    CU_ASSERT_EQUAL_FATAL(topo_read_graphml(path, NULL, &g, &err), SIM_OK);
    CU_ASSERT(isnan(g.edge_value[0]) && isnan(g.edge_value[5]));
    topo_graphml_free(&g);
    CU_ASSERT_EQUAL_FATAL(topo_read_graphml(path, "capacity", &g, &err), SIM_OK);
    CU_ASSERT_EQUAL(g.nedges, 6);
    CU_ASSERT(isnan(g.edge_value[2]));
    topo_graphml_free(&g);
}

static const char STRING_ATTR[] =
    "<?xml version=\"1.0\"?>\n"
    "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n"
    " <key id=\"w\" for=\"edge\" attr.name=\"w\" attr.type=\"string\"/>\n"
    " <graph edgedefault=\"undirected\">\n"
    "  <node id=\"a\"/><node id=\"b\"/><node id=\"c\"/>\n"
    "  <edge source=\"a\" target=\"b\"><data key=\"w\"> 12.5 </data></edge>\n"
    "  <edge source=\"b\" target=\"c\"/>\n"
    "  <edge source=\"c\" target=\"a\"><data key=\"w\">%s</data></edge>\n"
    " </graph>\n"
    "</graphml>\n";

static void test_read_string_attribute(void)
{
    char path[128], text[1024];
    topo_graphml_t g;
    sim_err_t err = { 0 };
    snprintf(path, sizeof path, "%s/strings.graphml", tmpdir);

    snprintf(text, sizeof text, STRING_ATTR, "3e2");
    write_file(path, text);
    CU_ASSERT_EQUAL_FATAL(topo_read_graphml(path, "w", &g, &err), SIM_OK);
    CU_ASSERT_EQUAL_FATAL(g.nedges, 3);
    CU_ASSERT_DOUBLE_EQUAL(g.edge_value[0], 12.5, 0.0);
    CU_ASSERT(isnan(g.edge_value[1]));
    CU_ASSERT_DOUBLE_EQUAL(g.edge_value[2], 300.0, 0.0);
    CU_ASSERT_STRING_EQUAL(g.node_ids[2], "c");
    topo_graphml_free(&g);

    snprintf(text, sizeof text, STRING_ATTR, "12 km");
    write_file(path, text);
    CU_ASSERT_EQUAL(topo_read_graphml(path, "w", &g, &err), SIM_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, path));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "12 km"));
    CU_ASSERT_PTR_NULL(g.node_ids);
    CU_ASSERT_EQUAL(remove(path), 0);
}

static int handler_calls;

static void counting_handler(const char *reason, const char *file, int line,
                             igraph_error_t code)
{
    (void)reason;
    (void)file;
    (void)line;
    (void)code;
    handler_calls++;
    IGRAPH_FINALLY_FREE();
}

static void test_read_errors(void)
{
    char missing[128], bad[128];
    topo_graphml_t g;
    sim_err_t err = { 0 };
    snprintf(missing, sizeof missing, "%s/no-such.graphml", tmpdir);
    snprintf(bad, sizeof bad, "%s/bad.graphml", tmpdir);

    CU_ASSERT_EQUAL(topo_read_graphml(missing, "length", &g, &err), SIM_ERR_INPUT);
    CU_ASSERT_EQUAL(err.code, SIM_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "cannot read GraphML file"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, missing));

    /* igraph reports the parse error through its global handler: the
     * caller's handler must neither run nor be replaced. */
    igraph_error_handler_t *old = igraph_set_error_handler(counting_handler);
    handler_calls = 0;
    write_file(bad, "<graphml><graph><node id=\"a\"/><edge source=\"a\" target=");
    sim_err_clear(&err);
    CU_ASSERT_EQUAL(topo_read_graphml(bad, "length", &g, &err), SIM_ERR_INPUT);
    CU_ASSERT_EQUAL(err.code, SIM_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, bad));
    CU_ASSERT_PTR_NULL(g.node_ids);
    CU_ASSERT_EQUAL(g.nnodes, 0);
    CU_ASSERT_EQUAL(handler_calls, 0);
    CU_ASSERT(igraph_set_error_handler(old) == counting_handler);
    /* ... and the attribute table it needed is uninstalled again. */
    CU_ASSERT(!igraph_has_attribute_table());
    CU_ASSERT_EQUAL(remove(bad), 0);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite graph = CU_add_suite("topo", NULL, NULL);
    CU_pSuite graphml = CU_add_suite("graphml", suite_init, suite_clean);
    if (graph == NULL || graphml == NULL ||
        CU_add_test(graph, "counts and edge ends", test_counts_and_ends) == NULL ||
        CU_add_test(graph, "shortest paths", test_shortest_paths) == NULL ||
        CU_add_test(graph, "weighted paths, exclusion", test_weighted_paths) == NULL ||
        CU_add_test(graph, "k shortest paths", test_k_shortest) == NULL ||
        CU_add_test(graph, "k list starts with the shortest", test_k_first_is_shortest) == NULL ||
        CU_add_test(graph, "a tree gives each single search's path", test_tree_matches_paths) == NULL ||
        CU_add_test(graph, "neighbours", test_neighbors) == NULL ||
        CU_add_test(graph, "edge between", test_edge_between) == NULL ||
        CU_add_test(graph, "errors", test_errors) == NULL ||
        CU_add_test(graphml, "ring.graphml", test_read_ring) == NULL ||
        CU_add_test(graphml, "string attribute", test_read_string_attribute) == NULL ||
        CU_add_test(graphml, "missing and malformed files", test_read_errors) == NULL) {
        CU_cleanup_registry();
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
