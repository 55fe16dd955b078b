/*
 * world.c - building a world from a scenario and running it (world.h).
 */
#include "models/world_impl.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/units.h"

/* ------------------------------------------------------------ nodes */

static int world_add_node(world_t *w, const char *id, double x, double y,
                          const scn_elem_t *storage, sim_err_t *err)
{
    world_node_t *n = realloc(w->nodes, (w->nnodes + 1) * sizeof *n);
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

static bool world_find_node(const world_t *w, const char *id, size_t *index)
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

/* Reads the node named by attribute `name` of e. */
static int world_node_attr(const world_t *w, const scn_elem_t *e, const char *name,
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

/* Adds one link: `e` locates errors and holds <generation> and <store>. */
static int world_add_link(world_t *w, const scn_elem_t *e, const char *id, size_t a,
                          size_t b, double length_m, sim_err_t *err)
{
    link_t *links = NULL;
    char **ids = NULL;
    kstore_config_t *cfgs = NULL;
    size_t edge = 0;
    int rc;

    if (a == b)
        return scn_error(e, err, "link '%s' joins node '%s' to itself", id, w->nodes[a].id);
    if ((links = realloc(w->links, (w->nlinks + 1) * sizeof *links)) != NULL)
        w->links = links;
    if ((ids = realloc(w->link_ids, (w->nlinks + 1) * sizeof *ids)) != NULL)
        w->link_ids = ids;
    if ((cfgs = realloc(w->store_cfgs, (w->nlinks + 1) * sizeof *cfgs)) != NULL)
        w->store_cfgs = cfgs;
    if (links == NULL || ids == NULL || cfgs == NULL ||
        (w->link_ids[w->nlinks] = strdup(id)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");

    link_t *l = &w->links[w->nlinks];
    *l = (link_t){ .index = (uint32_t)w->nlinks, .id = w->link_ids[w->nlinks], .a = a,
                   .b = b, .length_m = length_m, .stream = w->nlinks + 1, .ctx = &w->ctx };
    w->nlinks++;   /* from here on, world_destroy frees the id */
    if ((rc = link_parse(l, e, err)) != SIM_OK ||
        (rc = world_read_store(scn_child(e, "store"), &w->store_cfgs[l->index], err)) !=
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
    if ((rc = topo_read_graphml(path, attr, g, err)) != SIM_OK) {
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

/* One link per GraphML edge, named "A-B" ("A-B#k" for a parallel edge, k
 * its 1-based position among the file's edges), generation and store from
 * <link-defaults>. */
static int world_read_graphml_links(world_t *w, const scn_elem_t *topo,
                                    const topo_graphml_t *g, size_t first_node,
                                    sim_err_t *err)
{
    const scn_elem_t *defaults = scn_child(topo, "link-defaults");
    int rc = SIM_OK;

    if (g->nedges > 0 && defaults == NULL)
        return scn_error(topo, err, "missing <link-defaults> for the GraphML links");
    for (size_t e = 0; e < g->nedges && rc == SIM_OK; e++) {
        const size_t a = first_node + g->edge_a[e], b = first_node + g->edge_b[e];
        char id[512];
        size_t existing = 0;
        int k = snprintf(id, sizeof id, "%s-%s", w->nodes[a].id, w->nodes[b].id);
        if (topo_edge_between(w->topo, a, b, &existing) && k > 0 && (size_t)k < sizeof id)
            snprintf(id + k, sizeof id - (size_t)k, "#%zu", e + 1);
        rc = world_add_link(w, defaults, id, a, b, g->edge_value[e], err);
    }
    return rc;
}

/* ------------------------------------------------------------ apps */

static int world_read_apps(world_t *w, const scn_elem_t *apps, sim_err_t *err)
{
    size_t n = apps == NULL ? 0 : scn_count_children(apps, "etsi014");
    int rc;

    if (n == 0)
        return SIM_OK;
    w->apps = calloc(n, sizeof *w->apps);
    w->app_links = calloc(n, sizeof *w->app_links);
    if (w->apps == NULL || w->app_links == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    for (const scn_elem_t *e = scn_child(apps, "etsi014"); e != NULL;
         e = scn_next_sibling(e, "etsi014")) {
        etsi014_t *app = &w->apps[w->napps];
        size_t m = 0, s = 0, edge = 0;
        app->index = (uint32_t)w->napps;
        app->ctx = &w->ctx;
        w->napps++;
        if ((rc = scn_attr_string(e, "id", true, &app->id, err)) != SIM_OK ||
            (rc = world_node_attr(w, e, "master", &m, err)) != SIM_OK ||
            (rc = world_node_attr(w, e, "slave", &s, err)) != SIM_OK ||
            (rc = etsi014_config_parse(e, w->ctx.end, &app->cfg, err)) != SIM_OK)
            return rc;
        if (m == s)
            return scn_error(e, err, "master and slave are the same node '%s'",
                             w->nodes[m].id);
        if (!topo_edge_between(w->topo, m, s, &edge))
            return scn_error(e, err,
                             "master '%s' and slave '%s' are not adjacent: an ETSI 014 "
                             "client pair needs a QKD link between its nodes",
                             w->nodes[m].id, w->nodes[s].id);
        app->master = (uint32_t)m;
        app->slave = (uint32_t)s;
        w->app_links[app->index] = (uint32_t)edge;
    }
    return SIM_OK;
}

/* ------------------------------------------------------------ assembly */

static int world_read_trace(world_t *w, const scn_elem_t *t, sim_err_t *err)
{
    static const char *const modes[] = { "on-change", "sampled", "off", NULL };
    int mode = 0;
    int rc;

    w->levels = WORLD_LEVELS_ON_CHANGE;
    w->sample_interval = SIM_S;
    if (t == NULL)
        return SIM_OK;
    if ((rc = scn_attr_enum(t, "levels", false, modes, &mode, err)) != SIM_OK ||
        (rc = scn_attr_time(t, "interval", false, &w->sample_interval, err)) != SIM_OK)
        return rc;
    if (w->sample_interval <= 0)
        return scn_error(t, err, "attribute 'interval': must be positive");
    w->levels = (world_levels_t)mode;
    return SIM_OK;
}

/* Key expiry (kstore.h, "Lifecycle"): each store asks for one wake-up at a
 * time, at the expiry of its oldest range. */
static void world_on_expiry(sim_t *sim, void *object, uint64_t arg)
{
    world_store_t *s = object;
    sim_err_t err;
    (void)arg;
    if (kstore_on_timer(s->ks, sim_now(sim), &err) != SIM_OK)
        model_fail(&s->world->ctx, &err);
}

static int world_store_timer(void *ctx, kstore_t *store, int64_t due, sim_err_t *err)
{
    world_store_t *s = ctx;
    if (due > s->world->ctx.end)
        return SIM_OK;   /* after the run: never needed */
    if (sim_schedule_at(s->world->sim, due, world_on_expiry, s, 0) == 0)
        return sim_err_set(err, SIM_ERR_RUN, "store %" PRIu32 ": out of memory",
                           kstore_id(store));
    return SIM_OK;
}

/* The store factory of the storage designs (storage_store_fn): a pair of
 * stores, numbered in the order the designs make them. */
static int world_new_stores(void *owner, storage_link_t *sl, const char *role,
                            const kstore_config_t *cfg, bool synced, kstore_t *pair[2],
                            sim_err_t *err)
{
    world_t *w = owner;
    const link_t *l = &w->links[sl->index];

    if (w->nstores + 2 > w->stores_cap) {
        size_t cap = w->stores_cap == 0 ? 16 : 2 * w->stores_cap;
        world_store_t **v = realloc(w->stores, cap * sizeof *v);
        if (v == NULL)
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
        w->stores = v;
        w->stores_cap = cap;
    }
    for (int end = 0; end < 2; end++) {
        world_store_t *s = calloc(1, sizeof *s);
        const uint32_t index = (uint32_t)w->nstores;
        if (s == NULL)
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
        w->stores[w->nstores++] = s;
        *s = (world_store_t){ .world = w, .link = sl->index, .end = (uint8_t)end,
                              .node = (uint32_t)(end == STORAGE_END_A ? l->a : l->b),
                              .synced = synced, .peer = end == 0 ? index + 1 : index - 1,
                              .last_state = KSTORE_EMPTY };
        snprintf(s->role, sizeof s->role, "%s", role);
        if ((s->ks = kstore_create(cfg, index)) == NULL)
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
        kstore_set_observer(s->ks, world_trace_level, s);
        if (kstore_set_timer(s->ks, world_store_timer, s, err) != SIM_OK)
            return SIM_ERR_RUN;
        pair[end] = s->ks;
    }
    return SIM_OK;
}

static bool world_same_attrs(const scn_elem_t *x, const scn_elem_t *y)
{
    if (x->nattrs != y->nattrs)
        return false;
    for (size_t i = 0; i < x->nattrs; i++) {
        const char *v = scn_attr(y, x->keys[i]);
        if (v == NULL || strcmp(v, x->values[i]) != 0)
            return false;
    }
    return true;
}

/* The <storage> that governs link l: its nodes' own, else the scenario's.
 * Both nodes may name one, but then the same design with the same
 * parameters: the two key managers of a link run one protocol. */
static int world_link_storage(const world_t *w, const link_t *l, const scn_elem_t **e,
                              sim_err_t *err)
{
    const scn_elem_t *ea = w->nodes[l->a].storage, *eb = w->nodes[l->b].storage;

    *e = ea != NULL ? ea : eb != NULL ? eb : w->net_storage;
    if (ea != NULL && eb != NULL && !world_same_attrs(ea, eb))
        return scn_error(eb, err,
                         "link '%s': node '%s' selects another storage design or other "
                         "parameters (%s:%ld) than node '%s': the two ends of a link must "
                         "run the same design", l->id, w->nodes[l->b].id, ea->file, ea->line,
                         w->nodes[l->a].id);
    return SIM_OK;
}

/* Every link's clients as its storage design sees them, in app order:
 * counted per link in one pass, filled in a second (O(links + apps)). */
static int world_storage_apps(world_t *w, sim_err_t *err)
{
    for (size_t i = 0; i < w->napps; i++)
        w->storages[w->app_links[i]].napps++;
    for (size_t k = 0; k < w->nlinks; k++) {
        storage_link_t *sl = &w->storages[k];
        if (sl->napps > 0 && (sl->apps = calloc(sl->napps, sizeof *sl->apps)) == NULL)
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
        sl->napps = 0;
    }
    for (size_t i = 0; i < w->napps; i++) {
        etsi014_t *app = &w->apps[i];
        storage_link_t *sl = &w->storages[w->app_links[i]];
        const link_t *l = &w->links[sl->index];
        uint64_t bits = UINT64_MAX, waste = 0;
        if (!kformat_request(&sl->cfg.format, app->cfg.size, app->cfg.number, &bits, &waste))
            bits = UINT64_MAX;
        app->storage = sl;
        app->slot = sl->napps;
        sl->apps[sl->napps++] = (storage_app_t){
            .index = app->index, .id = app->id,
            .master_end = app->master == l->a ? STORAGE_END_A : STORAGE_END_B,
            .demand = app->cfg.rate * (double)bits, .request_bits = bits,
        };
    }
    return SIM_OK;
}

static int world_deliver(void *ctx, size_t device, const kstore_range_t *r,
                         kstore_cause_t cause, int64_t now, sim_err_t *err)
{
    storage_link_t *sl = ctx;
    return sl->design->deliver(sl, device, r, cause, now, err);
}

static int world_make_storage(world_t *w, sim_err_t *err)
{
    int rc;

    if ((w->storages = calloc(w->nlinks + 1, sizeof *w->storages)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    for (size_t i = 0; i < w->nlinks; i++) {
        const link_t *l = &w->links[i];
        w->storages[i] = (storage_link_t){ .index = (uint32_t)i, .id = l->id,
                                           .node_id = { w->nodes[l->a].id, w->nodes[l->b].id },
                                           .ndevices = l->ndevices, .ctx = &w->ctx,
                                           .cfg = w->store_cfgs[i],
                                           .make_store = world_new_stores, .owner = w };
    }
    if ((rc = world_storage_apps(w, err)) != SIM_OK)
        return rc;
    for (size_t i = 0; i < w->nlinks; i++) {
        link_t *l = &w->links[i];
        storage_link_t *sl = &w->storages[i];
        const scn_elem_t *e = NULL;
        if ((rc = world_link_storage(w, l, &e, err)) != SIM_OK ||
            (rc = storage_select(e, &sl->design, err)) != SIM_OK ||
            (rc = storage_setup(sl, e, err)) != SIM_OK)
            return rc;
        l->sink = world_deliver;
        l->sink_ctx = sl;
        l->on_block = world_trace_block;
        l->on_outage = world_trace_outage;
        l->obs_ctx = w;
    }
    for (size_t i = 0; i < w->napps; i++) {
        w->apps[i].log = world_trace_request;
        w->apps[i].log_ctx = w;
    }
    return SIM_OK;
}

static int world_read_topology(world_t *w, const scn_elem_t *root, sim_err_t *err)
{
    const scn_elem_t *topo = scn_child(root, "topology");
    topo_graphml_t g = { 0 };
    size_t first_graphml_node;
    int rc;

    if ((rc = world_read_nodes(w, scn_child(root, "nodes"), err)) != SIM_OK)
        goto out;
    first_graphml_node = w->nnodes;
    if (topo != NULL && (rc = world_read_graphml_nodes(w, topo, &g, err)) != SIM_OK)
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

int world_build(const scn_t *scn, const world_options_t *opts, world_t **out,
                sim_err_t *err)
{
    const scn_elem_t *root = scn->root;
    world_t *w = calloc(1, sizeof *w);
    uint64_t seed = 1;
    int64_t duration = 0;
    int rc;

    *out = NULL;
    if (w == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    w->scn = scn;
    if ((rc = scn_attr_time(root, "duration", true, &duration, err)) != SIM_OK ||
        (rc = scn_attr_uint(root, "seed", false, &seed, err)) != SIM_OK)
        goto fail;
    if ((w->sim = sim_create()) == NULL) {
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
        goto fail;
    }
    w->ctx = (model_ctx_t){ .sim = w->sim, .seed = opts->has_seed ? opts->seed : seed,
                            .run = opts->run,
                            .end = opts->has_until ? opts->until : duration };
    if ((rc = world_read_topology(w, root, err)) != SIM_OK ||
        (rc = world_read_apps(w, scn_child(root, "apps"), err)) != SIM_OK ||
        (rc = world_read_trace(w, scn_child(root, "trace"), err)) != SIM_OK)
        goto fail;
    w->net_storage = scn_child(root, "storage");
    if ((rc = world_make_storage(w, err)) != SIM_OK)
        goto fail;
    *out = w;
    return SIM_OK;
fail:
    world_destroy(w);
    return rc;
}

/* ------------------------------------------------------------ running */

static void world_on_sample(sim_t *sim, void *object, uint64_t arg)
{
    world_t *w = object;
    (void)arg;
    for (size_t i = 0; i < w->nstores; i++)
        kstore_sample(w->stores[i]->ks, sim_now(sim));
    if (sim_now(sim) <= w->ctx.end - w->sample_interval &&
        sim_schedule_in(sim, w->sample_interval, world_on_sample, w, 0) == 0) {
        sim_err_t e;
        sim_err_set(&e, SIM_ERR_RUN, "out of memory");
        model_fail(&w->ctx, &e);
    }
}

static int world_start(world_t *w, sim_err_t *err)
{
    int rc;
    for (size_t i = 0; i < w->nlinks; i++) {
        storage_link_t *sl = &w->storages[i];
        if ((rc = link_start(&w->links[i], w->store_cfgs[i].initial, err)) != SIM_OK ||
            (sl->design->start != NULL && (rc = sl->design->start(sl, err)) != SIM_OK))
            return rc;
    }
    for (size_t i = 0; i < w->napps; i++)
        if ((rc = etsi014_start(&w->apps[i], err)) != SIM_OK)
            return rc;
    if (w->levels == WORLD_LEVELS_SAMPLED &&
        sim_schedule_at(w->sim, 0, world_on_sample, w, 0) == 0)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    return SIM_OK;
}

int world_run(world_t *w, const char *output, world_report_t *report, sim_err_t *err)
{
    world_report_t r = { 0 };
    int rc;

    if ((rc = world_trace_open(w, output, err)) != SIM_OK)
        goto out;
    if ((rc = world_start(w, err)) != SIM_OK)
        goto out;
    if (w->ctx.failed) {   /* an observer failed while placing initial key */
        rc = sim_err_set(err, w->ctx.err.code, "%s", w->ctx.err.msg);
        goto out;
    }
    sim_run(w->sim, w->ctx.end);
    if (w->ctx.failed) {
        rc = sim_err_set(err, w->ctx.err.code, "%s", w->ctx.err.msg);
        goto out;
    }
    rc = world_trace_finish(w, &r, err);
out:
    if (w->trace != NULL) {
        int crc = trace_close(w->trace, rc == SIM_OK, rc == SIM_OK ? err : NULL);
        w->trace = NULL;
        if (rc == SIM_OK)
            rc = crc;
    }
    if (report != NULL)
        *report = r;
    return rc;
}

void world_destroy(world_t *w)
{
    if (w == NULL)
        return;
    if (w->trace != NULL)
        trace_close(w->trace, false, NULL);
    for (size_t i = 0; i < w->napps; i++)
        etsi014_cleanup(&w->apps[i]);
    for (size_t i = 0; i < w->nstores; i++) {
        kstore_destroy(w->stores[i]->ks);
        free(w->stores[i]);
    }
    for (size_t i = 0; w->storages != NULL && i < w->nlinks; i++) {
        storage_destroy(&w->storages[i]);
        free(w->storages[i].apps);
    }
    for (size_t i = 0; i < w->nlinks; i++) {
        link_cleanup(&w->links[i]);
        free(w->link_ids[i]);
    }
    free(w->storages);
    for (size_t i = 0; i < w->nnodes; i++)
        free(w->nodes[i].id);
    free(w->apps);
    free(w->app_links);
    free(w->stores);
    free(w->links);
    free(w->link_ids);
    free(w->store_cfgs);
    free(w->node_order);
    free(w->nodes);
    topo_destroy(w->topo);
    sim_destroy(w->sim);
    free(w);
}

void world_report_print(const world_report_t *r, FILE *out)
{
    char t[64];
    fprintf(out, "simulated %s: %" PRIu64 " events, %" PRIu64 " links, %" PRIu64
                 " stores, %" PRIu64 " apps\n",
            units_format_time(r->end, t, sizeof t), r->events, r->links, r->stores, r->apps);
    fprintf(out, "requests: %" PRIu64 " (200: %" PRIu64 ", 400: %" PRIu64 ", 503: %" PRIu64
                 ")\n",
            r->requests, r->ok, r->bad_request, r->unavailable);
    fprintf(out, "key (bits): generated %" PRIu64 " = stored %" PRIu64 " + supplied %" PRIu64
                 " + internal %" PRIu64 " + relayed %" PRIu64 " + expired %" PRIu64
                 " + discarded %" PRIu64 " (%s)\n",
            r->generated, r->stored, r->supplied, r->internal, r->relayed, r->expired,
            r->discarded, r->accounts_close ? "closes" : "DOES NOT CLOSE");
    if (r->wasted > 0)
        fprintf(out, "wasted %" PRIu64 " of the %" PRIu64 " bits supplied: %" PRIu64
                     " by key formats, %" PRIu64 " by collisions\n",
                r->wasted, r->supplied, r->wasted - r->collided_bits, r->collided_bits);
    if (r->collisions > 0)
        fprintf(out, "requests lost to key access collisions: %" PRIu64 "\n", r->collisions);
}
