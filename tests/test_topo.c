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

/* ------------------------------------------------------------ generators */

static topo_gen_params_t geometric(size_t n, double radius, uint64_t seed, bool largest)
{
    return (topo_gen_params_t){ .model = TOPO_GEOMETRIC, .nodes = n, .radius = radius,
                                .seed = seed, .largest = largest };
}

/* Every pair closer than the radius is an edge, and no other (closed
 * form of the random geometric graph), on all nodes (largest = false). */
static void test_generate_geometric(void)
{
    const topo_gen_params_t p = geometric(300, 0.1, 42, false);
    topo_generated_t g, h;
    sim_err_t err;
    size_t close = 0;

    CU_ASSERT_EQUAL_FATAL(topo_generate(&p, &g, &err), SIM_OK);
    CU_ASSERT_EQUAL(g.nnodes, 300);
    CU_ASSERT_EQUAL(g.dropped, 0);
    for (size_t i = 0; i < g.nnodes; i++) {
        CU_ASSERT(g.x[i] >= 0 && g.x[i] <= 1 && g.y[i] >= 0 && g.y[i] <= 1);
        for (size_t j = i + 1; j < g.nnodes; j++)
            close += hypot(g.x[i] - g.x[j], g.y[i] - g.y[j]) < 0.1;
    }
    CU_ASSERT_EQUAL(g.nedges, close);
    for (size_t e = 0; e < g.nedges; e++) {
        CU_ASSERT(g.edge_a[e] < g.edge_b[e]);
        CU_ASSERT(hypot(g.x[g.edge_a[e]] - g.x[g.edge_b[e]],
                        g.y[g.edge_a[e]] - g.y[g.edge_b[e]]) < 0.1);
    }
    /* The same seed draws the same graph; another seed another one. */
    CU_ASSERT_EQUAL_FATAL(topo_generate(&p, &h, &err), SIM_OK);
    CU_ASSERT(h.nedges == g.nedges && memcmp(h.x, g.x, g.nnodes * sizeof *g.x) == 0 &&
              memcmp(h.edge_b, g.edge_b, g.nedges * sizeof *g.edge_b) == 0);
    topo_generated_free(&h);
    const topo_gen_params_t q = geometric(300, 0.1, 43, false);
    CU_ASSERT_EQUAL_FATAL(topo_generate(&q, &h, &err), SIM_OK);
    CU_ASSERT(memcmp(h.x, g.x, g.nnodes * sizeof *g.x) != 0);
    topo_generated_free(&h);
    topo_generated_free(&g);
}

/* largest: one component is left, every node reachable from node 0. */
static void test_generate_largest(void)
{
    const topo_gen_params_t p = geometric(200, 0.06, 7, true);
    topo_generated_t g;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(topo_generate(&p, &g, &err), SIM_OK);
    CU_ASSERT(g.components > 1);   /* this draw is disconnected */
    CU_ASSERT(g.dropped > 0);
    CU_ASSERT_EQUAL(g.nnodes + g.dropped, 200);
    topo_t *t = topo_create(g.nnodes, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    for (size_t e = 0; e < g.nedges; e++)
        CU_ASSERT_EQUAL(topo_add_edge(t, g.edge_a[e], g.edge_b[e], 1.0, NULL, &err), SIM_OK);
    for (size_t i = 1; i < g.nnodes; i++) {
        size_t *path = NULL, n = 0;
        CU_ASSERT_EQUAL(topo_shortest_path(t, 0, i, false, &path, &n, &err), SIM_OK);
        CU_ASSERT(n >= 2);
        free(path);
    }
    topo_destroy(t);
    topo_generated_free(&g);
}

static void test_generate_lattice(void)
{
    const topo_gen_params_t p = { .model = TOPO_LATTICE, .rows = 4, .cols = 6, .largest = true };
    topo_gen_params_t bad = geometric(10, 0.0, 1, true);
    topo_generated_t g;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(topo_generate(&p, &g, &err), SIM_OK);
    CU_ASSERT_EQUAL(g.nnodes, 24);
    CU_ASSERT_EQUAL(g.nedges, 4 * 5 + 6 * 3);
    CU_ASSERT_EQUAL(g.components, 1);
    for (size_t e = 0; e < g.nedges; e++)   /* neighbours: 1/5 or 1/3 apart */
        CU_ASSERT(fabs(hypot(g.x[g.edge_a[e]] - g.x[g.edge_b[e]],
                             g.y[g.edge_a[e]] - g.y[g.edge_b[e]]) - 0.2) < 1e-12 ||
                  fabs(hypot(g.x[g.edge_a[e]] - g.x[g.edge_b[e]],
                             g.y[g.edge_a[e]] - g.y[g.edge_b[e]]) - 1.0 / 3) < 1e-12);
    topo_generated_free(&g);
    CU_ASSERT_EQUAL(topo_generate(&bad, &g, &err), SIM_ERR_INPUT);
    bad.radius = 1.5;
    CU_ASSERT_EQUAL(topo_generate(&bad, &g, &err), SIM_ERR_INPUT);
    bad = (topo_gen_params_t){ .model = TOPO_LATTICE, .rows = 0, .cols = 3 };
    CU_ASSERT_EQUAL(topo_generate(&bad, &g, &err), SIM_ERR_INPUT);
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
        CU_add_test(graph, "neighbours", test_neighbors) == NULL ||
        CU_add_test(graph, "edge between", test_edge_between) == NULL ||
        CU_add_test(graph, "errors", test_errors) == NULL ||
        CU_add_test(graph, "geometric graph", test_generate_geometric) == NULL ||
        CU_add_test(graph, "largest component", test_generate_largest) == NULL ||
        CU_add_test(graph, "lattice and bad parameters", test_generate_lattice) == NULL ||
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
