/*
 * world.h - a scenario made runnable: the topology, links, key stores and
 * clients, the kernel that drives them, and the trace they write.
 *
 * world_build() turns a loaded scenario (sim/scenario.h) into model
 * instances and checks everything the schema cannot (references, units,
 * threshold order, adjacency), without creating any file. world_run() opens
 * the trace, runs the kernel to the end time, writes the summary and the
 * metadata, checks the accounting of every store and of the network, and
 * finalises the trace only when all of that succeeded.
 *
 * Ownership: the world borrows the scenario (it must outlive the world) and
 * owns everything else.
 */
#ifndef QKM_MODELS_WORLD_H
#define QKM_MODELS_WORLD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/error.h"
#include "sim/scenario.h"

typedef struct world world_t;

typedef struct world_options {
    bool has_seed;
    uint64_t seed;        /* overrides the scenario's seed when has_seed */
    uint64_t run;         /* replication number, default 0 */
    bool has_until;
    int64_t until;        /* ns; replaces the scenario's duration when has_until */
} world_options_t;

/* What a finished run reports (also written to /summary/network). */
typedef struct world_report {
    int64_t end;                  /* ns simulated */
    uint64_t events;              /* handlers executed */
    uint64_t stores, links, apps;
    uint64_t generated, stored, supplied, internal, relayed, expired, discarded;
    uint64_t wasted;              /* part of supplied: format waste, collisions */
    uint64_t requests, ok, bad_request, unavailable;
    bool accounts_close;
    uint64_t moved;               /* moved between the stores of a node (both ends) */
    uint64_t collisions;          /* requests lost to key access collisions */
    uint64_t collided_bits;       /* key wasted by those requests, both ends */
    uint64_t slave_failed;        /* GET_KEY_WITH_KEY_IDS answered 400 */
} world_report_t;

/* SIM_ERR_INPUT for scenario errors (file, line and element named),
 * SIM_ERR_RUN when out of memory. */
int world_build(const scn_t *scn, const world_options_t *opts, world_t **out,
                sim_err_t *err);

/* Runs and writes the trace to `output` (via "<output>.partial"). On any
 * failure, including accounts that do not close (SIM_ERR_RUN), no file is
 * left at `output`. Fills *report when not NULL. */
int world_run(world_t *world, const char *output, world_report_t *report, sim_err_t *err);

void world_destroy(world_t *world);

/* Prints the report in a few human-readable lines. */
void world_report_print(const world_report_t *r, FILE *out);

#endif
