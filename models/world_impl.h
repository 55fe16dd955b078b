/*
 * world_impl.h - the world's insides, shared by world.c (building and
 * running) and world_trace.c (the trace layout). Not for other modules.
 */
#ifndef QKM_MODELS_WORLD_IMPL_H
#define QKM_MODELS_WORLD_IMPL_H

#include "models/etsi014.h"
#include "models/kstore.h"
#include "models/link.h"
#include "models/model.h"
#include "models/storage.h"
#include "models/world.h"
#include "sim/topo.h"
#include "sim/trace.h"

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

    world_node_t *nodes;
    size_t nnodes;
    size_t *node_order;        /* node indices sorted by id, for lookups */

    link_t *links;
    char **link_ids;           /* owned ids (GraphML links have made-up ids) */
    size_t nlinks;
    kstore_config_t *store_cfgs;   /* per link, the config of both ends */

    world_store_t **stores;    /* owned; made in pairs by the storage designs */
    size_t nstores, stores_cap;

    const scn_elem_t *net_storage;   /* the scenario's <storage>, NULL when none */
    storage_link_t *storages;  /* one per link */

    etsi014_t *apps;
    size_t napps;
    uint32_t *app_links;

    world_levels_t levels;
    int64_t sample_interval;   /* ns */

    trace_t *trace;
    trace_table_t *t_levels, *t_requests;
    trace_table_t *t_blocks, *t_outages;   /* /link_blocks, /link_outages */
};

/* world_trace.c: the static tables, the observers and the summary. */
int world_trace_open(struct world *w, const char *output, sim_err_t *err);
void world_trace_level(void *ctx, const kstore_t *store, const kstore_change_t *ch);
void world_trace_request(void *ctx, const etsi014_record_t *rec);
void world_trace_block(void *ctx, const link_block_rec_t *rec);
void world_trace_outage(void *ctx, const link_outage_rec_t *rec);
int world_trace_finish(struct world *w, world_report_t *r, sim_err_t *err);

#endif
