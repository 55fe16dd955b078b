/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_graphml.c - libFuzzer harness: a GraphML text through
 * topo_read_graphml (igraph's reader, sim/topo.h), then the graph it gave
 * through the topology (topo_create, topo_add_edge, neighbours, shortest
 * paths), as world_topo.c uses them.
 *
 * topo_read_graphml takes a path, so each input is written to one
 * temporary file first. Besides crashes, leaks and undefined behaviour it
 * aborts when a result breaks the contract of topo.h: a failure must be
 * SIM_ERR_INPUT naming the file, edge ends must be nodes of the graph.
 * See docs/reliability.md for running it longer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/topo.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[] = "/tmp/qkm-fuzz-graphml-XXXXXX";

static void remove_file(void)
{
    unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    int fd = mkstemp(path);

    (void)argc;
    (void)argv;
    if (fd < 0) {
        perror("mkstemp");
        exit(1);
    }
    close(fd);
    atexit(remove_file);
    return 0;
}

/* The graph through the topology module, as a world would use it. */
static void walk(const topo_graphml_t *g)
{
    sim_err_t err;
    topo_t *t = topo_create(g->nnodes, &err);
    size_t *v = NULL, n = 0;

    if (t == NULL)
        abort();
    for (size_t e = 0; e < g->nedges; e++) {
        double w = g->edge_value[e] == g->edge_value[e] ? g->edge_value[e] : 1.0;
        if (g->edge_a[e] >= g->nnodes || g->edge_b[e] >= g->nnodes) {
            fprintf(stderr, "edge %zu: %zu-%zu, but %zu nodes\n", e, g->edge_a[e], g->edge_b[e],
                    g->nnodes);
            abort();
        }
        /* self-loops and negative weights are refused: fine */
        topo_add_edge(t, g->edge_a[e], g->edge_b[e], w, NULL, &err);
    }
    if (g->nnodes > 0) {
        if (topo_neighbors(t, 0, &v, &n, &err) == SIM_OK)
            free(v);
        if (topo_shortest_path(t, 0, g->nnodes - 1, false, &v, &n, &err) == SIM_OK)
            free(v);
        if (topo_shortest_path(t, 0, g->nnodes - 1, true, &v, &n, &err) == SIM_OK)
            free(v);
        topo_edge_between(t, 0, g->nnodes - 1, NULL);
    }
    topo_destroy(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    topo_graphml_t g;
    sim_err_t err = { 0 };
    FILE *f = fopen(path, "wb");
    int rc;

    if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    rc = topo_read_graphml(path, "length", &g, &err);
    if (rc != SIM_OK && (rc != SIM_ERR_INPUT || strstr(err.msg, path) == NULL)) {
        fprintf(stderr, "topo_read_graphml: code %d: %s\n", rc, err.msg);
        abort();
    }
    if (rc == SIM_OK) {
        walk(&g);
        topo_graphml_free(&g);
    }
    return 0;
}
