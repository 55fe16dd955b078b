/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * world_gen.c - a generated topology (<topology><generate .../>): nodes
 * and links drawn by igraph's generators (sim/topo.h, topo_generate) and
 * handed to the world as a GraphML file's would be (world_impl.h).
 *
 * Nodes are "<prefix><k>" (k = 0, 1, ... in igraph's order after any
 * dropped component), placed at (x, y) * side (km for the plot position).
 * A link's length is the Euclidean distance of its ends times the side
 * (metres), so its rate follows its length through the link-rate model of
 * <link-defaults> (decoy-bb84, exp-loss; docs/link-models.md).
 *
 * Random numbers: igraph's generator is seeded with 64 bits drawn from the
 * stream (seed, run, "topology/generate") (sim/rng.h): two draws of
 * MRG32k3a, the first as the high 32 bits.
 */
#include "models/world_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/rng.h"

static const char *const gen_models[] = { "geometric", "lattice", NULL };
static const char *const gen_policies[] = { "largest", "keep", "refuse", NULL };
enum { GEN_LARGEST, GEN_KEEP, GEN_REFUSE };

/* The 64-bit seed of igraph's generator for this run. */
static int world_gen_seed(const world_t *w, uint64_t *seed, sim_err_t *err)
{
    gsl_rng *r = rng_stream_create(w->ctx.seed, w->ctx.run, "topology/generate");
    if (r == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    *seed = (uint64_t)gsl_rng_get(r) << 32;
    *seed |= (uint64_t)gsl_rng_get(r);
    rng_stream_free(r);
    return SIM_OK;
}

static int world_gen_params(const world_t *w, const scn_elem_t *e, topo_gen_params_t *p,
                            int *policy, sim_err_t *err)
{
    int model = 0;
    uint64_t nodes = 0, rows = 0, cols = 0;
    double radius = NAN;
    int rc;

    if ((rc = scn_attr_enum(e, "model", true, gen_models, &model, err)) != SIM_OK ||
        (rc = scn_attr_enum(e, "disconnected", false, gen_policies, policy, err)) != SIM_OK)
        return rc;
    *p = (topo_gen_params_t){ .model = model == 0 ? TOPO_GEOMETRIC : TOPO_LATTICE,
                              .largest = *policy == GEN_LARGEST };
    if (p->model == TOPO_GEOMETRIC &&
        ((rc = scn_attr_uint(e, "nodes", true, &nodes, err)) != SIM_OK ||
         (rc = scn_attr_double(e, "radius", true, &radius, err)) != SIM_OK))
        return rc;
    if (p->model == TOPO_LATTICE &&
        ((rc = scn_attr_uint(e, "rows", true, &rows, err)) != SIM_OK ||
         (rc = scn_attr_uint(e, "cols", true, &cols, err)) != SIM_OK))
        return rc;
    p->nodes = (size_t)nodes;
    p->radius = radius;
    p->rows = (size_t)rows;
    p->cols = (size_t)cols;
    return world_gen_seed(w, &p->seed, err);
}

/* The drawn graph as GraphML would give it: ids, edges and their lengths
 * (metres); the nodes are added to the world with their positions. */
static int world_gen_fill(world_t *w, const topo_generated_t *d, const char *prefix,
                          double side_m, topo_graphml_t *g, sim_err_t *err)
{
    g->node_ids = calloc(d->nnodes + 1, sizeof *g->node_ids);
    g->edge_a = malloc((d->nedges + 1) * sizeof *g->edge_a);
    g->edge_b = malloc((d->nedges + 1) * sizeof *g->edge_b);
    g->edge_value = malloc((d->nedges + 1) * sizeof *g->edge_value);
    if (g->node_ids == NULL || g->edge_a == NULL || g->edge_b == NULL || g->edge_value == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    for (size_t i = 0; i < d->nnodes; i++, g->nnodes++) {
        const int len = snprintf(NULL, 0, "%s%zu", prefix, i) + 1;
        if ((g->node_ids[i] = malloc((size_t)len)) == NULL)
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
        snprintf(g->node_ids[i], (size_t)len, "%s%zu", prefix, i);
        if (world_add_node(w, g->node_ids[i], d->x[i] * side_m / 1000.0,
                           d->y[i] * side_m / 1000.0, NULL, err) != SIM_OK)
            return SIM_ERR_RUN;
    }
    for (size_t k = 0; k < d->nedges; k++, g->nedges++) {
        const size_t a = d->edge_a[k], b = d->edge_b[k];
        g->edge_a[k] = a;
        g->edge_b[k] = b;
        g->edge_value[k] = hypot(d->x[a] - d->x[b], d->y[a] - d->y[b]) * side_m;
    }
    return SIM_OK;
}

int world_generate_nodes(world_t *w, const scn_elem_t *e, topo_graphml_t *g, sim_err_t *err)
{
    topo_gen_params_t p;
    topo_generated_t d = { 0 };
    const char *prefix = "n";
    double side_m = 100e3;
    int policy = GEN_LARGEST;
    int rc;

    if ((rc = world_gen_params(w, e, &p, &policy, err)) != SIM_OK ||
        (rc = scn_attr_length(e, "side", false, &side_m, err)) != SIM_OK ||
        (rc = scn_attr_string(e, "prefix", false, &prefix, err)) != SIM_OK)
        return rc;
    if (!(side_m > 0.0 && side_m <= WORLD_MAX_LENGTH_M))
        return scn_error(e, err, "attribute 'side': must be positive and at most %g km",
                         WORLD_MAX_LENGTH_M / 1000.0);
    if ((rc = topo_generate(&p, &d, err)) != SIM_OK) {
        if (rc == SIM_ERR_INPUT)
            rc = scn_error(e, err, "%s", err->msg);
        return rc;
    }
    if (policy == GEN_REFUSE && d.components > 1)
        rc = scn_error(e, err,
                       "the drawn graph has %zu connected components (disconnected=\"refuse\"); "
                       "use a larger radius, another seed, or disconnected=\"largest\"",
                       d.components);
    else if (d.nnodes == 0 || d.nedges == 0)
        rc = scn_error(e, err, "the drawn graph has no links: use a larger radius");
    else
        rc = world_gen_fill(w, &d, prefix, side_m, g, err);
    topo_generated_free(&d);
    return rc;
}
