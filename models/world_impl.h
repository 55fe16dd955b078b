/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * world_impl.h - the world's insides, shared by world.c (building and
 * running), world_topo.c (nodes, links and the topology) and
 * world_trace.c (the trace tables the world itself writes). Not for other
 * modules.
 */
#ifndef QKM_MODELS_WORLD_IMPL_H
#define QKM_MODELS_WORLD_IMPL_H

#include "models/client.h"
#include "models/keysvc.h"
#include "models/kstore.h"
#include "models/link.h"
#include "models/mix.h"
#include "models/model.h"
#include "models/relay.h"
#include "models/storage.h"
#include "models/world.h"
#include "sim/topo.h"
#include "sim/trace.h"

/* The deflate level of the large tables when compression is on: 1, the
 * fastest (docs/performance.md, "Trace cost"). */
#define WORLD_DEFLATE 1

/* The most key (bits) the links of a scenario may deliver over a run,
 * initial key included, at their mean rates: 2^60. Every bit is counted
 * at both ends of its link and again at each move between stores, and
 * the network sums add all stores up; 2^60 leaves a factor of 16 below
 * 2^64 for that (docs/models.md, "Counter bounds"). A scenario above it
 * is refused at load; checked arithmetic catches the rest at run time. */
#define WORLD_KEY_BOUND 0x1p60

/* The longest link, metres (1e6 km): longer than any fibre or free-space
 * link (the Moon is 3.8e5 km away), and small enough that lengths summed
 * along any path stay finite and exact to the metre. */
#define WORLD_MAX_LENGTH_M 1e9

typedef enum world_levels { WORLD_LEVELS_ON_CHANGE, WORLD_LEVELS_SAMPLED, WORLD_LEVELS_OFF } world_levels_t;

typedef struct world_node {
    char *id;
    double x, y;          /* plot position, NaN when not given */
    const scn_elem_t *storage;   /* the node's <storage>, NULL when none */
} world_node_t;

/* A store and what the world tracks about it beyond the model. */
typedef struct world_store {
    struct world *world;
    kstore_t *ks;
    uint32_t node, link;
    uint8_t end;               /* STORAGE_END_A or STORAGE_END_B */
    bool synced;               /* the design keeps it identical to its peer */
    uint32_t peer;             /* index of the store of the same role at the other end */
    char role[STORAGE_ROLE_MAX];
    kstore_state_t last_state;
    int64_t state_since;       /* ns */
    int64_t time_in[4];        /* ns spent in each kstore_state_t */
    uint64_t state_changes;
} world_store_t;

struct world {
    const scn_t *scn;
    model_ctx_t ctx;
    sim_t *sim;
    topo_t *topo;

    world_node_t *nodes;       /* grows by doubling */
    size_t nnodes, nodes_cap;
    size_t *node_order;        /* node indices sorted by id, for lookups */

    link_t *links;             /* grows by doubling, with link_ids and store_cfgs */
    char **link_ids;           /* owned ids (GraphML links have made-up ids) */
    size_t nlinks, links_cap;
    kstore_config_t *store_cfgs;   /* per link, the config of both ends */
    double key_total;          /* bits all links may deliver in the run (initial key
                                * + mean rate x duration), for WORLD_KEY_BOUND */

    world_store_t **stores;    /* owned; made in pairs by the storage designs */
    size_t nstores, stores_cap;

    const scn_elem_t *net_storage;   /* the scenario's <storage>, NULL when none */
    storage_link_t *storages;  /* one per link */

    const client_kind_t *const *kinds;   /* the registry clients are looked up in */
    client_t **clients;        /* owned, in <apps> order; grows by doubling */
    size_t nclients, clients_cap;
    mix_t **mixes;             /* owned: the elements of generated clients (mix.h) */
    size_t nmixes, mixes_cap;
    keysvc_t *keys;
    relay_t *relay;            /* key relay (relay.h) */

    /* What the trace records (<trace>, then -O): docs/scenario-format.md */
    world_levels_t levels;
    int64_t sample_interval;   /* ns */
    client_output_t requests;  /* the request log */
    bool blocks;               /* a /link_blocks row per closed block */
    bool summary_only;         /* no level, request, block or outage rows */
    bool compress;             /* deflate with shuffle on the large tables */
    const sim_options_t *opts; /* borrowed for the build */
    bool eager_links;          /* from the options: no lazy link (link.h) */
    const volatile sig_atomic_t *interrupt;   /* from the options */
    void (*progress)(void *ctx, int64_t now, int64_t end, uint64_t events);
    void *progress_ctx;

    trace_t *trace;
    trace_table_t *t_levels;
    world_report_t report;     /* of the finished run */
};

/* world_topo.c: nodes, links and GraphML into w->nodes, w->links, w->topo. */
int world_read_topology(struct world *w, const scn_elem_t *root, sim_err_t *err);
/* Adds node `id` (copied) at plot position (x, y) with its <storage> (or NULL). */
int world_add_node(struct world *w, const char *id, double x, double y,
                   const scn_elem_t *storage, sim_err_t *err);
/* world_gen.c: the nodes of <generate> (e) added to the world, and the
 * drawn graph in g as a GraphML file would give it (edge lengths in
 * metres) for the links of <link-defaults>. */
int world_generate_nodes(struct world *w, const scn_elem_t *e, topo_graphml_t *g,
                         sim_err_t *err);
/* The index of node `id`; false when there is none. */
bool world_find_node(const struct world *w, const char *id, size_t *index);
/* The node named by attribute `name` of e (required); errors name e. */
int world_node_attr(const struct world *w, const scn_elem_t *e, const char *name,
                    size_t *index, sim_err_t *err);

/* world_trace.c: the world's tables (metadata, nodes, links, stores, apps,
 * the level log, summaries of stores, links and the network), and the
 * loop over the models' own output hooks. */
int world_trace_open(struct world *w, const char *output, sim_err_t *err);
int world_trace_finish(struct world *w, world_report_t *r, sim_err_t *err);
/* The run's estimate (sim_model_t.estimate; docs/models.md, "How big a
 * run is"): the links', the designs' and the clients' parts, the level
 * log in the scenario's mode and the fixed tables. */
void world_estimate(const struct world *w, sim_estimate_t *est);
/* A store's subscriber (kstore_state_fn): time in each state, for
 * /summary/stores. */
void world_store_times(void *ctx, kstore_t *store, kstore_state_t from, kstore_state_t to,
                       int64_t time);
/* A store's observer when the level log keeps every change: one /levels
 * row per change. */
void world_trace_level(void *ctx, const kstore_t *store, const kstore_change_t *ch);
/* The level log's SAMPLE row of store s at `now` (levels="sampled"). */
void world_trace_sample(world_store_t *s, int64_t now);

/* Whether the links will be lazy (world.c; docs/models.md, "Lazy links"). */
bool world_lazy_ok(const world_t *w);

#endif
