/* SPDX-License-Identifier: GPL-3.0-or-later */
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

#include "models/model.h"
#include "sim/error.h"
#include "sim/model.h"
#include "sim/scenario.h"

typedef struct world world_t;

/* The run's seed, replication number and end (sim/model.h). */
typedef sim_options_t world_options_t;

#define WORLD_MAX_EXTRAS 32

/* What a finished run reports (also written to /summary/network). */
typedef struct world_report {
    int64_t end;                  /* ns simulated */
    uint64_t events;              /* handlers executed */
    uint64_t stores, links, apps;
    uint64_t generated, stored, supplied, internal, relayed, expired, discarded;
    uint64_t stranded;            /* relay key spent on jobs that never arrived (part of
                                   * the stores' RELAYED; relayed is the rest) */
    uint64_t wasted;              /* part of supplied: format waste, collisions */
    uint64_t requests, ok, bad_request, unavailable;   /* every client's, summed */
    bool accounts_close;
    uint64_t moved;               /* moved between the stores of a node (both ends) */
    /* The models' network counters (model_counter_t marked network): the
     * storage designs' in registry order, then the client kinds'; each
     * name once. E.g. collisions, collided_bits (collide), slave_failed
     * (etsi014). */
    size_t nextras;
    const model_counter_t *extra_def[WORLD_MAX_EXTRAS];
    uint64_t extra[WORLD_MAX_EXTRAS];
} world_report_t;

/* The network counter called `name` of r; 0 when no model declares it. */
uint64_t world_report_extra(const world_report_t *r, const char *name);

/* SIM_ERR_INPUT for scenario errors (file, line and element named),
 * SIM_ERR_RUN when out of memory. The clients are made by the bundled
 * client kinds (client_kinds, client.h). */
int world_build(const scn_t *scn, const world_options_t *opts, world_t **out,
                sim_err_t *err);

/* As world_build, with the client kinds looked up in `kinds` (a
 * NULL-terminated registry that must outlive the world): how a test adds a
 * kind of its own without touching the world. */
struct client_kind;
int world_build_kinds(const scn_t *scn, const world_options_t *opts,
                      const struct client_kind *const *kinds, world_t **out, sim_err_t *err);

/* Its links, in index order (GraphML links first, as named in
 * docs/scenario-format.md); the id is owned by the world. */
size_t world_link_count(const world_t *world);
const char *world_link_id(const world_t *world, size_t link);

/* The world as a model the engine runs (sim/model.h). After run,
 * summarise prints world_report_print of its report. */
extern const sim_model_t world_model;

/* Runs and writes the trace to `output` (via "<output>.partial"). On any
 * failure, including accounts that do not close (SIM_ERR_RUN), no file is
 * left at `output`. Fills *report when not NULL. */
int world_run(world_t *world, const char *output, world_report_t *report, sim_err_t *err);

void world_destroy(world_t *world);

/* Prints the report in a few human-readable lines. */
void world_report_print(const world_report_t *r, FILE *out);

#endif
