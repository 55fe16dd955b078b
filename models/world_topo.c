/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * world_topo.c - the world's nodes, links and topology (world_impl.h):
 * <nodes>, <links> and a GraphML <topology>, checked and numbered. The
 * graph itself is igraph's, behind sim/topo.h; edge i is link i.
 */
#include "models/world_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/grow.h"
#include "sim/units.h"

/* ------------------------------------------------------------ nodes */

int world_add_node(world_t *w, const char *id, double x, double y,
                   const scn_elem_t *storage, sim_err_t *err)
{
    world_node_t *n = grow_room(w->nodes, &w->nodes_cap, w->nnodes + 1, sizeof *n, 16);
    if (n == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    w->nodes = n;
    n[w->nnodes] = (world_node_t){ .id = strdup(id), .x = x, .y = y, .storage = storage };
    if (n[w->nnodes].id == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    w->nnodes++;
    return SIM_OK;
}

/* qsort has no context argument, so sort (id, index) pairs instead. */
typedef struct world_key {
    const char *id;
    size_t index;
} world_key_t;

static int world_key_cmp(const void *a, const void *b)
{
    return strcmp(((const world_key_t *)a)->id, ((const world_key_t *)b)->id);
}

/* Builds the sorted lookup index; a duplicate id is an error located at e
 * (or at the GraphML file when e is NULL). */
static int world_index_nodes(world_t *w, const scn_elem_t *e, sim_err_t *err)
{
    world_key_t *keys = malloc((w->nnodes + 1) * sizeof *keys);
    int rc = SIM_OK;

    w->node_order = malloc((w->nnodes + 1) * sizeof *w->node_order);
    if (keys == NULL || w->node_order == NULL) {
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < w->nnodes; i++)
        keys[i] = (world_key_t){ w->nodes[i].id, i };
    qsort(keys, w->nnodes, sizeof *keys, world_key_cmp);
    for (size_t i = 0; i < w->nnodes; i++) {
        if (i > 0 && strcmp(keys[i - 1].id, keys[i].id) == 0) {
            rc = scn_error(e, err, "node id '%s' is defined twice", keys[i].id);
            goto out;
        }
        w->node_order[i] = keys[i].index;
    }
out:
    free(keys);
    return rc;
}

bool world_find_node(const world_t *w, const char *id, size_t *index)
{
    size_t lo = 0, hi = w->nnodes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(w->nodes[w->node_order[mid]].id, id);
        if (c == 0) {
            *index = w->node_order[mid];
            return true;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

int world_node_attr(const world_t *w, const scn_elem_t *e, const char *name,
                           size_t *index, sim_err_t *err)
{
    const char *id = NULL;
    int rc = scn_attr_string(e, name, true, &id, err);
    if (rc != SIM_OK)
        return rc;
    if (!world_find_node(w, id, index))
        return scn_error(e, err, "attribute '%s': unknown node '%s'", name, id);
    return SIM_OK;
}

static int world_read_nodes(world_t *w, const scn_elem_t *nodes, sim_err_t *err)
{
    int rc = SIM_OK;
    if (nodes == NULL)
        return SIM_OK;
    for (const scn_elem_t *n = scn_child(nodes, "node"); n != NULL;
         n = scn_next_sibling(n, "node")) {
        const char *id = NULL;
        double x = NAN, y = NAN;
        if ((rc = scn_attr_string(n, "id", true, &id, err)) != SIM_OK ||
            (rc = scn_attr_double(n, "x", false, &x, err)) != SIM_OK ||
            (rc = scn_attr_double(n, "y", false, &y, err)) != SIM_OK ||
            (rc = world_add_node(w, id, x, y, scn_child(n, "storage"), err)) != SIM_OK)
            return rc;
    }
    return SIM_OK;
}

/* ------------------------------------------------------------ links */

static int world_read_store(const scn_elem_t *store, kstore_config_t *cfg, sim_err_t *err)
{
    int rc;
    *cfg = (kstore_config_t){ .capacity = KSTORE_DEFAULT_CAPACITY,
                              .mmin = KSTORE_DEFAULT_MMIN,
                              .mthr = KSTORE_DEFAULT_MTHR,
                              .initial = KSTORE_DEFAULT_INITIAL };
    if (store == NULL)
        return SIM_OK;
    if ((rc = scn_attr_bits(store, "capacity", false, &cfg->capacity, err)) != SIM_OK ||
        (rc = scn_attr_bits(store, "min", false, &cfg->mmin, err)) != SIM_OK ||
        (rc = scn_attr_bits(store, "threshold", false, &cfg->mthr, err)) != SIM_OK ||
        (rc = scn_attr_bits(store, "initial", false, &cfg->initial, err)) != SIM_OK ||
        (rc = kstore_config_parse_options(store, cfg, err)) != SIM_OK)
        return rc;
    if (kstore_config_check(cfg, err) != SIM_OK)
        return scn_error(store, err, "%s", err->msg);
    return SIM_OK;
}

/* Doubles the capacity of the three per-link arrays together. */
static int world_grow_links(world_t *w, sim_err_t *err)
{
    const size_t cap = w->links_cap == 0 ? 16 : 2 * w->links_cap;
    link_t *links = realloc(w->links, cap * sizeof *links);
    char **ids = NULL;
    kstore_config_t *cfgs = NULL;

    if (links != NULL)
        w->links = links;
    if ((ids = realloc(w->link_ids, cap * sizeof *ids)) != NULL)
        w->link_ids = ids;
    if ((cfgs = realloc(w->store_cfgs, cap * sizeof *cfgs)) != NULL)
        w->store_cfgs = cfgs;
    if (links == NULL || ids == NULL || cfgs == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    w->links_cap = cap;
    return SIM_OK;
}

/* Refuses link l (read from e) when its key, or the key of all links read
 * so far, could take the 64-bit key counters past WORLD_KEY_BOUND over the
 * run: initial key plus each device's mean rate times the run's length. */
static int world_check_key_bound(world_t *w, const scn_elem_t *e, const link_t *l,
                                 uint64_t initial, sim_err_t *err)
{
    const double seconds = (double)w->ctx.end / 1e9;
    double bits = (double)initial;
    char t[64];

    for (size_t k = 0; k < l->ndevices; k++)
        bits += l->devices[k].cfg.rate_bps * seconds;
    w->key_total += bits;
    units_format_time(w->ctx.end, t, sizeof t);
    if (!(bits <= WORLD_KEY_BOUND))
        return scn_error(e, err,
                         "link '%s': its initial key plus %g bit/s for %s make %.6g bits, "
                         "more than 2^60 (%.6g) bits: the 64-bit key counters could "
                         "overflow (docs/models.md, \"Counter bounds\")",
                         l->id, link_nominal_rate(l), t, bits, WORLD_KEY_BOUND);
    if (!(w->key_total <= WORLD_KEY_BOUND))
        return scn_error(e, err,
                         "the links up to '%s' deliver %.6g bits of key in %s, more than "
                         "2^60 (%.6g) bits: the 64-bit key counters could overflow "
                         "(docs/models.md, \"Counter bounds\")",
                         l->id, w->key_total, t, WORLD_KEY_BOUND);
    return SIM_OK;
}

/* Adds one link: `e` locates errors and holds <generation> and <store>. */
static int world_add_link(world_t *w, const scn_elem_t *e, const char *id, size_t a,
                          size_t b, double length_m, sim_err_t *err)
{
    size_t edge = 0;
    int rc;

    if (a == b)
        return scn_error(e, err, "link '%s' joins node '%s' to itself", id, w->nodes[a].id);
    if (length_m > WORLD_MAX_LENGTH_M)
        return scn_error(e, err, "link '%s': length %g km exceeds %g km", id,
                         length_m / 1000.0, WORLD_MAX_LENGTH_M / 1000.0);
    if (w->nlinks == w->links_cap && world_grow_links(w, err) != SIM_OK)
        return SIM_ERR_RUN;
    if ((w->link_ids[w->nlinks] = strdup(id)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");

    link_t *l = &w->links[w->nlinks];
    *l = (link_t){ .index = (uint32_t)w->nlinks, .id = w->link_ids[w->nlinks], .a = a,
                   .b = b, .length_m = length_m, .stream = w->nlinks + 1, .ctx = &w->ctx };
    w->nlinks++;   /* from here on, world_destroy frees the id */
    if ((rc = link_parse(l, e, err)) != SIM_OK ||
        (rc = world_read_store(scn_child(e, "store"), &w->store_cfgs[l->index], err)) !=
            SIM_OK ||
        (rc = world_check_key_bound(w, e, l, w->store_cfgs[l->index].initial, err)) !=
            SIM_OK ||
        (rc = topo_add_edge(w->topo, a, b, isnan(length_m) ? 1.0 : length_m, &edge, err)) !=
            SIM_OK)
        return rc;
    return SIM_OK;
}

static int world_read_links(world_t *w, const scn_elem_t *links, sim_err_t *err)
{
    int rc;
    if (links == NULL)
        return SIM_OK;
    for (const scn_elem_t *e = scn_child(links, "link"); e != NULL;
         e = scn_next_sibling(e, "link")) {
        const char *id = NULL;
        size_t a = 0, b = 0;
        double length = NAN;
        if ((rc = scn_attr_string(e, "id", true, &id, err)) != SIM_OK ||
            (rc = world_node_attr(w, e, "a", &a, err)) != SIM_OK ||
            (rc = world_node_attr(w, e, "b", &b, err)) != SIM_OK ||
            (rc = scn_attr_length(e, "length", false, &length, err)) != SIM_OK ||
            (rc = world_add_link(w, e, id, a, b, length, err)) != SIM_OK)
            return rc;
    }
    return SIM_OK;
}

/* Device 0 of link i keeps stream i + 1 (as when a link had one device);
 * the other devices get the ids after the last link's, in link order and
 * then device order, so every key stream id is unique in the run. */
static void world_number_streams(world_t *w)
{
    uint64_t next = w->nlinks + 1;
    for (size_t i = 0; i < w->nlinks; i++)
        for (size_t k = 1; k < w->links[i].ndevices; k++)
            w->links[i].devices[k].stream = next++;
}

/* ------------------------------------------------------------ GraphML */

static int world_graphml_path(const world_t *w, const scn_elem_t *topo, char **path,
                              sim_err_t *err)
{
    const char *file = NULL;
    int rc = scn_attr_string(topo, "graphml", true, &file, err);
    size_t len;

    if (rc != SIM_OK)
        return rc;
    len = strlen(w->scn->dir) + strlen(file) + 2;
    if ((*path = malloc(len)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    if (file[0] == '/')
        snprintf(*path, len, "%s", file);
    else
        snprintf(*path, len, "%s/%s", w->scn->dir, file);
    return SIM_OK;
}

/* Refuses what the GraphML file `path` holds and the world cannot use,
 * naming the file and the element (its 1-based position among the file's
 * <node> or <edge> elements): a node with an empty (or no) id, and an
 * edge length (in `unit`, `metres` metres each) that is negative, not
 * finite or above WORLD_MAX_LENGTH_M. A length absent from an edge (NaN)
 * is no length. */
static int world_check_graphml(const char *path, const char *attr, const char *unit,
                               double metres, const topo_graphml_t *g, sim_err_t *err)
{
    for (size_t i = 0; i < g->nnodes; i++)
        if (g->node_ids[i][0] == '\0')
            return sim_err_set(err, SIM_ERR_INPUT,
                               "GraphML file '%s': <node> %zu has an empty id (every node "
                               "needs a non-empty id: links and clients name nodes by it)",
                               path, i + 1);
    for (size_t e = 0; e < g->nedges; e++) {
        const double v = g->edge_value[e];
        if (isnan(v) || (v >= 0.0 && v <= WORLD_MAX_LENGTH_M / metres))
            continue;
        return sim_err_set(err, SIM_ERR_INPUT,
                           "GraphML file '%s': <edge> %zu (%s-%s): attribute '%s' is %g %s: "
                           "a length must be finite, >= 0 and at most %g km",
                           path, e + 1, g->node_ids[g->edge_a[e]], g->node_ids[g->edge_b[e]],
                           attr, v, unit, WORLD_MAX_LENGTH_M / 1000.0);
    }
    return SIM_OK;
}

/* Nodes of the GraphML file (added after the <nodes> of the scenario). */
static int world_read_graphml_nodes(world_t *w, const scn_elem_t *topo,
                                    topo_graphml_t *g, sim_err_t *err)
{
    static const char *const units[] = { "km", "m", NULL };
    const char *attr = "length";
    char *path = NULL;
    int unit = 0;
    int rc;

    if ((rc = scn_attr_string(topo, "length-attribute", false, &attr, err)) != SIM_OK ||
        (rc = scn_attr_enum(topo, "length-unit", false, units, &unit, err)) != SIM_OK ||
        (rc = world_graphml_path(w, topo, &path, err)) != SIM_OK)
        goto out;
    /* bad input names the element; running out of memory stays SIM_ERR_RUN */
    if ((rc = topo_read_graphml(path, attr, g, err)) != SIM_OK) {
        if (rc == SIM_ERR_INPUT)
            rc = scn_error(topo, err, "%s", err->msg);
        goto out;
    }
    if ((rc = world_check_graphml(path, attr, units[unit], unit == 0 ? 1000.0 : 1.0, g,
                                  err)) != SIM_OK) {
        rc = scn_error(topo, err, "%s", err->msg);
        goto out;
    }
    for (size_t e = 0; e < g->nedges; e++)
        g->edge_value[e] *= unit == 0 ? 1000.0 : 1.0;
    for (size_t i = 0; i < g->nnodes && rc == SIM_OK; i++)
        rc = world_add_node(w, g->node_ids[i], NAN, NAN, NULL, err);
out:
    free(path);
    return rc;
}

/* The nodes of <topology>: from its GraphML file or its <generate>
 * (world_gen.c), exactly one of the two. */
static int world_read_topology_nodes(world_t *w, const scn_elem_t *topo, topo_graphml_t *g,
                                     sim_err_t *err)
{
    const scn_elem_t *gen = scn_child(topo, "generate");
    const bool file = scn_attr(topo, "graphml") != NULL;

    if (gen != NULL && file)
        return scn_error(topo, err, "give either attribute 'graphml' or <generate>, not both");
    if (gen != NULL)
        return world_generate_nodes(w, gen, g, err);
    if (!file)
        return scn_error(topo, err, "needs attribute 'graphml' or a <generate> child");
    return world_read_graphml_nodes(w, topo, g, err);
}

/* A GraphML edge's unordered pair of nodes and its position in the file. */
typedef struct world_pair {
    size_t lo, hi, edge;
} world_pair_t;

static int world_pair_cmp(const void *x, const void *y)
{
    const world_pair_t *a = x, *b = y;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    if (a->hi != b->hi)
        return a->hi < b->hi ? -1 : 1;
    return a->edge < b->edge ? -1 : a->edge > b->edge;
}

/* parallel[e] = true when an earlier edge of the file joins the same two
 * nodes: one sort, O(E log E) (asking the graph after every added edge
 * would rebuild it each time). NULL when out of memory. */
static bool *world_parallel_edges(const topo_graphml_t *g)
{
    world_pair_t *p = malloc((g->nedges + 1) * sizeof *p);
    bool *parallel = calloc(g->nedges + 1, sizeof *parallel);

    if (p == NULL || parallel == NULL) {
        free(parallel);
        parallel = NULL;
        goto out;
    }
    for (size_t e = 0; e < g->nedges; e++) {
        const size_t a = g->edge_a[e], b = g->edge_b[e];
        p[e] = (world_pair_t){ a < b ? a : b, a < b ? b : a, e };
    }
    qsort(p, g->nedges, sizeof *p, world_pair_cmp);
    for (size_t i = 1; i < g->nedges; i++)
        parallel[p[i].edge] = p[i].lo == p[i - 1].lo && p[i].hi == p[i - 1].hi;
out:
    free(p);
    return parallel;
}

/* "a-b", or "a-b#k" when k > 0, of any length; NULL when out of memory.
 * The caller frees it. */
static char *world_edge_id(const char *a, const char *b, size_t k)
{
    const size_t len = strlen(a) + strlen(b) + 2 + 24;
    char *id = malloc(len);

    if (id == NULL)
        return NULL;
    if (k > 0)
        snprintf(id, len, "%s-%s#%zu", a, b, k);
    else
        snprintf(id, len, "%s-%s", a, b);
    return id;
}

/* One link per GraphML edge, named "A-B" ("A-B#k" for a parallel edge, k
 * its 1-based position among the file's edges), generation and store from
 * <link-defaults>. */
static int world_read_graphml_links(world_t *w, const scn_elem_t *topo,
                                    const topo_graphml_t *g, size_t first_node,
                                    sim_err_t *err)
{
    const scn_elem_t *defaults = scn_child(topo, "link-defaults");
    bool *parallel = NULL;
    int rc = SIM_OK;

    if (g->nedges > 0 && defaults == NULL)
        return scn_error(topo, err, "missing <link-defaults> for the topology's links");
    if ((parallel = world_parallel_edges(g)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    for (size_t e = 0; e < g->nedges && rc == SIM_OK; e++) {
        const size_t a = first_node + g->edge_a[e], b = first_node + g->edge_b[e];
        char *id = world_edge_id(w->nodes[a].id, w->nodes[b].id, parallel[e] ? e + 1 : 0);
        rc = id == NULL ? sim_err_set(err, SIM_ERR_RUN, "out of memory")
                        : world_add_link(w, defaults, id, a, b, g->edge_value[e], err);
        free(id);
    }
    free(parallel);
    return rc;
}

int world_read_topology(world_t *w, const scn_elem_t *root, sim_err_t *err)
{
    const scn_elem_t *topo = scn_child(root, "topology");
    topo_graphml_t g = { 0 };
    size_t first_graphml_node;
    int rc;

    if ((rc = world_read_nodes(w, scn_child(root, "nodes"), err)) != SIM_OK)
        goto out;
    first_graphml_node = w->nnodes;
    if (topo != NULL && (rc = world_read_topology_nodes(w, topo, &g, err)) != SIM_OK)
        goto out;
    if (w->nnodes == 0) {
        rc = scn_error(root, err, "the scenario has no nodes");
        goto out;
    }
    if ((rc = world_index_nodes(w, topo != NULL ? topo : root, err)) != SIM_OK)
        goto out;
    if ((w->topo = topo_create(w->nnodes, err)) == NULL) {
        rc = err != NULL ? err->code : SIM_ERR_RUN;
        goto out;
    }
    if (topo != NULL &&
        (rc = world_read_graphml_links(w, topo, &g, first_graphml_node, err)) != SIM_OK)
        goto out;
    if ((rc = world_read_links(w, scn_child(root, "links"), err)) != SIM_OK)
        goto out;
    if (w->nlinks == 0) {
        rc = scn_error(root, err, "the scenario has no links");
        goto out;
    }
    world_number_streams(w);
out:
    topo_graphml_free(&g);
    return rc;
}

