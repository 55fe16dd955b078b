/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * world.c - building a world from a scenario and running it (world.h).
 */
#include "models/world_impl.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/grow.h"
#include "sim/units.h"

/* ------------------------------------------------------------ apps */

/* The node-lookup functions client kinds get (client_env_t). */
static int world_env_node(const client_env_t *env, const scn_elem_t *e, const char *name,
                          uint32_t *index, sim_err_t *err)
{
    size_t i = 0;
    int rc = world_node_attr(env->world, e, name, &i, err);
    *index = (uint32_t)i;
    return rc;
}

static const char *world_env_node_id(const client_env_t *env, uint32_t index)
{
    const world_t *w = env->world;
    return w->nodes[index].id;
}

static int world_env_bind(const client_env_t *env, const scn_elem_t *e, const char *id,
                          uint32_t master, uint32_t slave, uint64_t size, uint64_t number,
                          double rate, keysvc_pair_t *pair, sim_err_t *err)
{
    const world_t *w = env->world;
    sim_err_t why;
    int rc = keysvc_bind(w->keys, env->index, id, master, slave, size, number, rate, pair, &why);
    if (rc == SIM_ERR_INPUT)
        return scn_error(e, err, "client pair '%s': master '%s' and slave '%s' %s", id,
                         w->nodes[master].id, w->nodes[slave].id, why.msg);
    if (rc != SIM_OK)
        return sim_err_set(err, rc, "%s", why.msg);
    return SIM_OK;
}

static bool world_env_adjacent(const client_env_t *env, uint32_t a, uint32_t b)
{
    const world_t *w = env->world;
    return keysvc_adjacent(w->keys, a, b);
}

static int world_env_bind_send(const client_env_t *env, const scn_elem_t *e, const char *id,
                               uint32_t src, uint32_t dst, const keysvc_send_demand_t *d,
                               keysvc_send_t *out, sim_err_t *err)
{
    const world_t *w = env->world;
    keysvc_send_demand_t at = *d;
    sim_err_t why;
    int rc;
    at.elem = e;
    rc = keysvc_bind_send(w->keys, env->index, id, src, dst, &at, out, &why);
    if (rc == SIM_ERR_INPUT)
        return scn_error(e, err, "client '%s': key from '%s' to '%s': the nodes %s", id,
                         w->nodes[src].id, w->nodes[dst].id, why.msg);
    if (rc != SIM_OK)
        return sim_err_set(err, rc, "%s", why.msg);
    return SIM_OK;
}

static void world_env_warn(const client_env_t *env, const scn_elem_t *e, const char *msg)
{
    const world_t *w = env->world;
    sim_err_t where;
    if (w->opts == NULL || w->opts->warn == NULL)
        return;
    scn_error(e, &where, "%s", msg);
    w->opts->warn(w->opts->warn_ctx, where.msg);
}

static int world_add_client(world_t *w, client_t *c, sim_err_t *err)
{
    client_t **v = grow_room(w->clients, &w->clients_cap, w->nclients + 1, sizeof *v, 16);
    if (v == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    w->clients = v;
    w->clients[w->nclients++] = c;
    return SIM_OK;
}

/* One client of <apps>: made by the kind its element names, then bound to
 * its key through the key service. */
static int world_read_client(world_t *w, client_env_t *env, const scn_elem_t *e,
                             sim_err_t *err)
{
    const client_kind_t *kind = client_find(w->kinds, e->name);
    client_t *c = NULL;
    sim_err_t why;
    int rc;

    if (kind == NULL)
        return scn_error(e, err, "no client kind is registered for element <%s>", e->name);
    env->index = (uint32_t)w->nclients;
    rc = kind->create(env, e, &c, err);
    if (c != NULL) {
        c->kind = kind;
        c->index = (uint32_t)w->nclients;
        c->elem = e;
        c->ctx = &w->ctx;
        if (world_add_client(w, c, err) != SIM_OK) {
            kind->destroy(c);
            return SIM_ERR_RUN;
        }
    }
    if (rc != SIM_OK)
        return rc;
    if ((rc = keysvc_bind(w->keys, c->index, c->id, c->master, c->slave, c->size, c->number,
                          c->rate, &c->key, &why)) == SIM_ERR_INPUT)
        return scn_error(e, err, "client pair '%s': master '%s' and slave '%s' %s", c->id,
                         w->nodes[c->master].id, w->nodes[c->slave].id, why.msg);
    if (rc != SIM_OK)
        return sim_err_set(err, rc, "%s", why.msg);
    return SIM_OK;
}

/* What a mix (mix.h) reads of the network. */
static bool world_mix_find(const void *world, const char *id, size_t *index)
{
    return world_find_node(world, id, index);
}

static const char *world_mix_node_id(const void *world, size_t index)
{
    return ((const world_t *)world)->nodes[index].id;
}

static void world_mix_link_ends(const void *world, size_t link, size_t *a, size_t *b)
{
    const link_t *l = &((const world_t *)world)->links[link];
    *a = l->a;
    *b = l->b;
}

/* A <mix>: its pairs, each made by its kind like a written client. */
static int world_read_mix(world_t *w, client_env_t *env, const scn_elem_t *e,
                          sim_err_t *err)
{
    const mix_env_t menv = { .seed = w->ctx.seed, .run = w->ctx.run, .nnodes = w->nnodes,
                             .nlinks = w->nlinks, .world = w, .link_ends = world_mix_link_ends,
                             .find = world_mix_find, .node_id = world_mix_node_id };
    mix_t *m = NULL;
    int rc;

    mix_t **v = grow_room(w->mixes, &w->mixes_cap, w->nmixes + 1, sizeof *v, 4);
    if (v == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    w->mixes = v;
    rc = mix_expand(e, &menv, &m, err);
    if (m != NULL)
        w->mixes[w->nmixes++] = m;
    for (size_t k = 0; rc == SIM_OK && k < mix_count(m); k++)
        rc = world_read_client(w, env, mix_elem(m, k), err);
    return rc;
}

static int world_read_clients(world_t *w, const scn_elem_t *apps, sim_err_t *err)
{
    client_env_t env = { .ctx = &w->ctx, .end = w->ctx.end, .node = world_env_node,
                         .node_id = world_env_node_id, .world = w, .bind = world_env_bind,
                         .adjacent = world_env_adjacent, .bind_send = world_env_bind_send,
                         .warn = world_env_warn };
    int rc;

    for (const scn_elem_t *e = apps != NULL ? apps->first_child : NULL; e != NULL;
         e = e->next)
        if ((rc = strcmp(e->name, "mix") == 0 ? world_read_mix(w, &env, e, err)
                                              : world_read_client(w, &env, e, err)) != SIM_OK)
            return rc;
    return SIM_OK;
}

/* The node lookups the relay gets (relay_env_t). */
static int world_relay_node(const void *world, const scn_elem_t *e, const char *name,
                            uint32_t *index, sim_err_t *err)
{
    size_t i = 0;
    int rc = world_node_attr(world, e, name, &i, err);
    *index = (uint32_t)i;
    return rc;
}

static const char *world_relay_node_id(const void *world, uint32_t index)
{
    const world_t *w = world;
    return w->nodes[index].id;
}

static int world_make_relay(world_t *w, sim_err_t *err)
{
    const relay_env_t env = { .ctx = &w->ctx, .topo = w->topo, .links = w->links,
                              .nlinks = w->nlinks, .keys = w->keys, .node = world_relay_node,
                              .node_id = world_relay_node_id, .world = w };
    return relay_create(&env, w->scn->root, &w->relay, err);
}

/* ------------------------------------------------------------ assembly */

/* The attributes of <trace>, which -O NAME=VALUE sets too. */
static const char *const world_trace_attrs[] = {
    "levels", "interval", "requests", "request-every", "request-interval", "blocks",
    "summary-only", "compress", NULL,
};

/* <trace>'s attributes with the -O settings over them, as one element
 * (file "command line (-O)" when there is no <trace>): one set of
 * readers, one set of messages. The arrays are the caller's (n slots). */
static int world_trace_elem(const world_t *w, const scn_elem_t *t, scn_elem_t *e,
                            const char **keys, const char **values, char (*names)[64],
                            sim_err_t *err)
{
    *e = (scn_elem_t){ .name = "trace", .file = t != NULL ? t->file : "command line (-O)",
                       .line = t != NULL ? t->line : 0, .keys = keys, .values = values };
    for (size_t i = 0; t != NULL && i < t->nattrs; i++, e->nattrs++)
        keys[e->nattrs] = t->keys[i], values[e->nattrs] = t->values[i];
    for (size_t i = 0; i < w->opts->noutput; i++) {
        const char *o = w->opts->output[i], *eq = strchr(o, '=');
        size_t k = 0, at = e->nattrs;
        if (eq == NULL || (size_t)(eq - o) >= 64)
            return sim_err_set(err, SIM_ERR_INPUT, "-O '%s': expected NAME=VALUE", o);
        snprintf(names[i], 64, "%.*s", (int)(eq - o), o);
        while (world_trace_attrs[k] != NULL && strcmp(world_trace_attrs[k], names[i]) != 0)
            k++;
        if (world_trace_attrs[k] == NULL)
            return sim_err_set(err, SIM_ERR_INPUT,
                               "-O '%s': unknown output setting '%s' (expected one of: levels, "
                               "interval, requests, request-every, request-interval, blocks, "
                               "summary-only, compress)",
                               o, names[i]);
        for (size_t j = 0; j < e->nattrs; j++)
            if (strcmp(keys[j], names[i]) == 0)
                at = j;
        keys[at] = names[i], values[at] = eq + 1;
        e->nattrs += at == e->nattrs;
    }
    return SIM_OK;
}

static int world_read_output(world_t *w, const scn_elem_t *t, sim_err_t *err)
{
    static const char *const modes[] = { "on-change", "sampled", "off", NULL };
    static const char *const logs[] = { "all", "sampled", "off", "aggregate", NULL };
    static const char *const booleans[] = { "false", "true", "0", "1", NULL };
    int mode = WORLD_LEVELS_SAMPLED, log = CLIENT_LOG_AGGREGATE, blocks = 0, only = 0,
        compress = 1;
    int rc;

    w->sample_interval = SIM_S;
    w->requests.every = 100;
    w->requests.interval = 60 * SIM_S;
    if ((rc = scn_attr_enum(t, "levels", false, modes, &mode, err)) != SIM_OK ||
        (rc = scn_attr_time(t, "interval", false, &w->sample_interval, err)) != SIM_OK ||
        (rc = scn_attr_enum(t, "requests", false, logs, &log, err)) != SIM_OK ||
        (rc = scn_attr_uint(t, "request-every", false, &w->requests.every, err)) != SIM_OK ||
        (rc = scn_attr_time(t, "request-interval", false, &w->requests.interval, err)) !=
            SIM_OK ||
        (rc = scn_attr_enum(t, "blocks", false, booleans, &blocks, err)) != SIM_OK ||
        (rc = scn_attr_enum(t, "summary-only", false, booleans, &only, err)) != SIM_OK ||
        (rc = scn_attr_enum(t, "compress", false, booleans, &compress, err)) != SIM_OK)
        return rc;
    if (w->sample_interval <= 0)
        return scn_error(t, err, "attribute 'interval': must be positive");
    if (w->requests.every == 0)
        return scn_error(t, err, "attribute 'request-every': must be positive");
    if (w->requests.interval <= 0)
        return scn_error(t, err, "attribute 'request-interval': must be positive");
    w->summary_only = only % 2 == 1;
    w->compress = compress % 2 == 1;
    w->levels = w->summary_only ? WORLD_LEVELS_OFF : (world_levels_t)mode;
    w->blocks = !w->summary_only && blocks % 2 == 1;
    w->requests.requests = w->summary_only ? CLIENT_LOG_OFF : (client_log_t)log;
    return SIM_OK;
}

static int world_read_trace(world_t *w, const scn_elem_t *t, sim_err_t *err)
{
    const size_t n = (t != NULL ? t->nattrs : 0) + w->opts->noutput + 1;
    const char **keys = calloc(n, sizeof *keys), **values = calloc(n, sizeof *values);
    char (*names)[64] = calloc(w->opts->noutput + 1, sizeof *names);
    scn_elem_t e;
    int rc;

    if (keys == NULL || values == NULL || names == NULL)
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
    else if ((rc = world_trace_elem(w, t, &e, keys, values, names, err)) == SIM_OK)
        rc = world_read_output(w, &e, err);
    free(keys);
    free(values);
    free(names);
    return rc;
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

    world_store_t **v = grow_room(w->stores, &w->stores_cap, w->nstores + 2, sizeof *v, 16);
    if (v == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    w->stores = v;
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
        /* Time in states: a subscriber, told only when the state moves.
         * The level log: an observer of every change, only when the trace
         * keeps every change (world_read_trace ran before): a store
         * without observers skips that work (docs/performance.md). */
        if (kstore_subscribe(s->ks, world_store_times, s, err) != SIM_OK ||
            (w->levels == WORLD_LEVELS_ON_CHANGE &&
             kstore_observe(s->ks, world_trace_level, s, err) != SIM_OK) ||
            kstore_set_timer(s->ks, world_store_timer, s, err) != SIM_OK)
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

static int world_deliver(void *ctx, size_t device, const kstore_range_t *r,
                         kstore_cause_t cause, int64_t now, sim_err_t *err)
{
    storage_link_t *sl = ctx;
    return sl->design->deliver(sl, device, r, cause, now, err);
}

/* The links' storage instances, their fields filled, not set up yet (that
 * needs their clients), and the key service over them. */
static int world_make_storage(world_t *w, sim_err_t *err)
{
    if ((w->storages = calloc(w->nlinks + 1, sizeof *w->storages)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    for (size_t i = 0; i < w->nlinks; i++) {
        const link_t *l = &w->links[i];
        w->storages[i] = (storage_link_t){ .index = (uint32_t)i, .id = l->id,
                                           .node_id = { w->nodes[l->a].id, w->nodes[l->b].id },
                                           .node = { (uint32_t)l->a, (uint32_t)l->b },
                                           .ndevices = l->ndevices, .ctx = &w->ctx,
                                           .cfg = w->store_cfgs[i],
                                           .make_store = world_new_stores, .owner = w };
    }
    if ((w->keys = keysvc_create(w->topo, w->storages, w->nlinks)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    return SIM_OK;
}

/* Sets up every link's design, now that it knows its clients, and points
 * the link's key at it. */
static int world_setup_storage(world_t *w, sim_err_t *err)
{
    int rc;

    if ((rc = keysvc_finish(w->keys, err)) != SIM_OK)
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
    }
    return SIM_OK;
}

int world_build(const scn_t *scn, const world_options_t *opts, world_t **out,
                sim_err_t *err)
{
    return world_build_kinds(scn, opts, client_kinds, out, err);
}

int world_build_kinds(const scn_t *scn, const world_options_t *opts,
                      const client_kind_t *const *kinds, world_t **out, sim_err_t *err)
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
    w->kinds = kinds;
    w->opts = opts;
    w->interrupt = opts->interrupt;
    w->eager_links = opts->eager_links;
    w->progress = opts->progress;
    w->progress_ctx = opts->progress_ctx;
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
    w->net_storage = scn_child(root, "storage");
    if ((rc = world_read_topology(w, root, err)) != SIM_OK ||
        (rc = world_make_storage(w, err)) != SIM_OK ||
        (rc = world_make_relay(w, err)) != SIM_OK ||
        (rc = world_read_clients(w, scn_child(root, "apps"), err)) != SIM_OK ||
        (rc = world_read_trace(w, scn_child(root, "trace"), err)) != SIM_OK ||
        (rc = world_setup_storage(w, err)) != SIM_OK ||
        (rc = relay_finish(w->relay, err)) != SIM_OK)
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
        world_trace_sample(w->stores[i], sim_now(sim));
    if (sim_now(sim) <= w->ctx.end - w->sample_interval &&
        sim_schedule_in(sim, w->sample_interval, world_on_sample, w, 0) == 0) {
        sim_err_t e;
        sim_err_set(&e, SIM_ERR_RUN, "out of memory");
        model_fail(&w->ctx, &e);
    }
}

/* Lazy links (link.h, link_set_lazy): all links or none, so that no late
 * event of an eager link can ever run between a lazy link's readers at
 * one instant. A link qualifies when nothing listens to its blocks or
 * deliveries (the block log, the relay) or to its outages if it has any
 * (the outage log), its design only adds delivered key to its stores
 * (`passive`), and its stores have no max-age (an expiry wake-up is an
 * event at a time the delivery fixes); the level log on change must
 * write rows in time order across stores, so it keeps every link eager.
 * Known before the trace subscribes (the estimate uses it). */
bool world_lazy_ok(const world_t *w)
{
    if (w->eager_links || w->levels == WORLD_LEVELS_ON_CHANGE || w->blocks)
        return false;
    for (size_t i = 0; i < w->nlinks; i++)
        if (!link_can_be_lazy(&w->links[i]) || !w->storages[i].design->passive ||
            w->store_cfgs[i].max_age > 0 ||
            (!w->summary_only && link_has_outages(&w->links[i])))
            return false;
    return true;
}

static void world_make_lazy(world_t *w)
{
    for (size_t i = 0; i < w->nlinks; i++)
        link_set_lazy(&w->links[i]);
    for (size_t i = 0; i < w->nstores; i++)
        kstore_set_feed(w->stores[i]->ks, link_feed, &w->links[w->stores[i]->link]);
}

/* What lazy links have due by the end, before anything reads the run. */
static int world_finish_links(world_t *w, sim_err_t *err)
{
    int rc;
    for (size_t i = 0; i < w->nlinks; i++)
        if ((rc = link_finish(&w->links[i], w->ctx.end, err)) != SIM_OK)
            return rc;
    return SIM_OK;
}

static int world_start(world_t *w, sim_err_t *err)
{
    int rc;
    if (world_lazy_ok(w))
        world_make_lazy(w);
    for (size_t i = 0; i < w->nlinks; i++) {
        storage_link_t *sl = &w->storages[i];
        if ((rc = link_start(&w->links[i], w->store_cfgs[i].initial, err)) != SIM_OK ||
            (sl->design->start != NULL && (rc = sl->design->start(sl, err)) != SIM_OK))
            return rc;
    }
    for (size_t i = 0; i < w->nclients; i++)
        if ((rc = w->clients[i]->kind->start(w->clients[i], err)) != SIM_OK)
            return rc;
    if ((rc = relay_start(w->relay, err)) != SIM_OK)
        return rc;
    if (w->levels == WORLD_LEVELS_SAMPLED &&
        sim_schedule_at(w->sim, 0, world_on_sample, w, 0) == 0)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    return SIM_OK;
}

static bool world_interrupted(const world_t *w)
{
    return w->interrupt != NULL && *w->interrupt != 0;
}

/* Runs the kernel to the end: in one go, or in 1 % slices with a progress
 * call after each. Slicing changes nothing in the run: no event lies
 * between slices, and each slice runs the events up to its end. True when
 * the run stopped early because of the interrupt flag. */
static bool world_advance(world_t *w)
{
    const int64_t end = w->ctx.end, step = end / 100 > 0 ? end / 100 : 1;
    sim_run_result_t rr = SIM_RUN_UNTIL;

    sim_set_interrupt(w->sim, w->interrupt);
    if (w->progress == NULL)
        rr = sim_run(w->sim, end);
    for (int64_t t = 0; w->progress != NULL && t < end && rr != SIM_RUN_STOPPED;) {
        t = end - t > step ? t + step : end;
        rr = sim_run(w->sim, t);
        w->progress(w->progress_ctx, sim_now(w->sim), end, sim_executed(w->sim));
    }
    return rr == SIM_RUN_STOPPED && !w->ctx.failed && world_interrupted(w);
}

/* A stopped run keeps its trace so far, marked incomplete. */
static int world_stop_interrupted(world_t *w, sim_err_t *err)
{
    char now[64], end[64], partial[4096];
    int sig = (int)*w->interrupt;
    snprintf(partial, sizeof partial, "%s", trace_partial_path(w->trace));
    units_format_time(sim_now(w->sim), now, sizeof now);
    units_format_time(w->ctx.end, end, sizeof end);
    if (trace_close_incomplete(w->trace, err) != SIM_OK) {
        w->trace = NULL;
        return SIM_ERR_RUN;
    }
    w->trace = NULL;
    return sim_err_set(err, SIM_ERR_RUN,
                       "interrupted by signal %d (%s) at simulated time %s of %s: the trace "
                       "so far is in '%s' (readable, /metadata@completed = 0)",
                       sig, strsignal(sig), now, end, partial);
}

int world_run(world_t *w, const char *output, world_report_t *report, sim_err_t *err)
{
    world_report_t r = { 0 };
    bool stopped;
    int rc;

    if ((rc = world_trace_open(w, output, err)) != SIM_OK)
        goto out;
    if ((rc = world_start(w, err)) != SIM_OK)
        goto out;
    if (w->ctx.failed) {   /* an observer failed while placing initial key */
        rc = sim_err_set(err, w->ctx.err.code, "%s", w->ctx.err.msg);
        goto out;
    }
    stopped = world_advance(w);
    if (w->ctx.failed) {
        rc = sim_err_set(err, w->ctx.err.code, "%s", w->ctx.err.msg);
        goto out;
    }
    if (stopped) {
        rc = world_stop_interrupted(w, err);
        goto out;
    }
    if ((rc = world_finish_links(w, err)) != SIM_OK)
        goto out;
    rc = world_trace_finish(w, &r, err);
out:
    if (w->trace != NULL) {
        int crc = trace_close(w->trace, rc == SIM_OK, rc == SIM_OK ? err : NULL);
        w->trace = NULL;
        if (rc == SIM_OK)
            rc = crc;
    }
    w->report = r;
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
    for (size_t i = 0; i < w->nclients; i++) {
        client_agg_free(w->clients[i]);
        w->clients[i]->kind->destroy(w->clients[i]);
    }
    relay_destroy(w->relay);
    keysvc_destroy(w->keys);
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
    free(w->clients);
    for (size_t i = 0; i < w->nmixes; i++)
        mix_free(w->mixes[i]);
    free(w->mixes);
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

uint64_t world_report_extra(const world_report_t *r, const char *name)
{
    for (size_t i = 0; i < r->nextras; i++)
        if (strcmp(r->extra_def[i]->name, name) == 0)
            return r->extra[i];
    return 0;
}

/* The lines of the models' network counters: the parts of `wasted` they
 * account for, and the counters they ask to be shown. */
static void world_report_print_extras(const world_report_t *r, FILE *out)
{
    uint64_t other = 0;

    for (size_t i = 0; i < r->nextras; i++)
        if (r->extra_def[i]->waste != NULL)
            other += r->extra[i];
    if (r->wasted > 0) {
        fprintf(out, "wasted %" PRIu64 " of the %" PRIu64 " bits supplied: %" PRIu64
                     " by key formats",
                r->wasted, r->supplied, r->wasted - other);
        for (size_t i = 0; i < r->nextras; i++)
            if (r->extra_def[i]->waste != NULL)
                fprintf(out, ", %" PRIu64 " by %s", r->extra[i], r->extra_def[i]->waste);
        fputc('\n', out);
    }
    for (size_t i = 0; i < r->nextras; i++)
        if (r->extra_def[i]->report != NULL && r->extra[i] > 0)
            fprintf(out, "%s: %" PRIu64 "\n", r->extra_def[i]->report, r->extra[i]);
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
                 " + internal %" PRIu64 " + relayed %" PRIu64 " + stranded %" PRIu64
                 " + expired %" PRIu64 " + discarded %" PRIu64 " (%s)\n",
            r->generated, r->stored, r->supplied, r->internal, r->relayed, r->stranded,
            r->expired, r->discarded, r->accounts_close ? "closes" : "DOES NOT CLOSE");
    world_report_print_extras(r, out);
}

size_t world_link_count(const world_t *w)
{
    return w->nlinks;
}

const char *world_link_id(const world_t *w, size_t link)
{
    return link < w->nlinks ? w->links[link].id : NULL;
}

/* ------------------------------------------------------------ as a model */

static int world_model_build(const scn_t *scn, const sim_options_t *opts, void **instance,
                             sim_err_t *err)
{
    world_t *w = NULL;
    int rc = world_build(scn, opts, &w, err);
    *instance = w;
    return rc;
}

static int world_model_run(void *instance, const char *output, sim_err_t *err)
{
    return world_run(instance, output, NULL, err);
}

static void world_model_summarise(const void *instance, FILE *out)
{
    const world_t *w = instance;
    world_report_print(&w->report, out);
}

static void world_model_destroy(void *instance)
{
    world_destroy(instance);
}

static void world_model_estimate(const void *instance, sim_estimate_t *est)
{
    world_estimate(instance, est);
}

const sim_model_t world_model = {
    .name = "qkd",
    .scalars = "/summary/network",
    .build = world_model_build,
    .run = world_model_run,
    .summarise = world_model_summarise,
    .destroy = world_model_destroy,
    .estimate = world_model_estimate,
};
