/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * gstore.h - a global key store: the end-to-end key of one relayed demand,
 * held at its two end nodes (docs/models.md, "Global key stores").
 *
 * A global store is a pair of key stores (kstore.h), end 0 at the
 * demand's source node (the client's master), end 1 at its destination
 * (the slave). Key relay (relay.h) delivers end-to-end key into both ends
 * at once (gstore_deliver); the client pair is served from them in step
 * as from a link's shared store (the master's end SUPPLIED, the slave's
 * RESERVED until its fetch). The key of a global store is not link key:
 * its accounts are its own (gstore_accounts), outside the network
 * identity of the link stores, and the link key that relaying it cost is
 * counted there as RELAYED (or STRANDED).
 *
 * How it is kept supplied (Quantum Canada's demand types, DDKA and NEC;
 * shared/REFERENCE.md):
 *   GSTORE_DDKA  pre-distribution: whenever level + key in flight falls
 *                below the lower threshold, relay jobs are issued until
 *                level + in flight reaches the upper threshold. With
 *                lower_from_latency the lower threshold is raised to
 *                ceil(D x L) bits, D the pair's demand (bit/s) and L the
 *                mean relay latency measured so far (s): the key the pair
 *                consumes while one relay is under way.
 *   GSTORE_NEC   on-demand only: nothing is relayed before a request; a
 *                GET_KEY that finds too little key is answered 503 and
 *                starts a relay of what it lacked.
 *
 * Units: bits, ns, bit/s. Ownership: the store owns its two kstores.
 */
#ifndef QKM_MODELS_GSTORE_H
#define QKM_MODELS_GSTORE_H

#include <stdbool.h>
#include <stdint.h>

#include "models/kstore.h"
#include "sim/error.h"

typedef enum gstore_supply { GSTORE_DDKA = 0, GSTORE_NEC = 1 } gstore_supply_t;

typedef struct gstore_config {
    gstore_supply_t supply;
    uint64_t lower, upper;     /* DDKA thresholds, bits, lower <= upper */
    bool lower_from_latency;   /* DDKA: raise lower to demand x mean latency */
    uint64_t capacity;         /* bits each end holds at most, >= upper */
} gstore_config_t;

typedef struct gstore gstore_t;

/* A new empty global store whose key has stream id `stream` (unique in
 * the run). NULL when out of memory. */
gstore_t *gstore_create(const gstore_config_t *cfg, uint64_t stream);
void gstore_destroy(gstore_t *g);

/* End-to-end key of `bits` reaches both ends at `now`. */
int gstore_deliver(gstore_t *g, uint64_t bits, int64_t now, sim_err_t *err);

/* The master's GET_KEY: `bits` from end master_end (SUPPLIED) and the
 * same key at the other end set aside (RESERVED). *granted false: not
 * enough key. out (may be NULL) receives the ranges. */
int gstore_serve(gstore_t *g, int master_end, uint64_t bits, int64_t now,
                 kstore_rangebuf_t *out, bool *granted, sim_err_t *err);

/* The slave's fetch of a granted GET_KEY of `bits`. */
int gstore_fetch(gstore_t *g, int slave_end, uint64_t bits, sim_err_t *err);

/* Level at the master's end (end 0), bits. */
uint64_t gstore_level(const gstore_t *g);

/* The bits of relay to start now, given `inflight` bits already under
 * way: DDKA: upper - (level + inflight) when level + inflight < the lower
 * threshold in force, else 0; NEC: 0. */
uint64_t gstore_wanted(const gstore_t *g, uint64_t inflight);

/* A relay for this store took latency_s seconds; demand_bps is the pair's
 * demand. Updates the lower threshold when lower_from_latency. */
void gstore_observe_latency(gstore_t *g, double demand_bps, double latency_s);

/* The lower threshold in force, bits. */
uint64_t gstore_lower(const gstore_t *g);

const gstore_config_t *gstore_config(const gstore_t *g);
const kstore_accounts_t *gstore_accounts(const gstore_t *g, int end);
/* Both ends' accounts close and hold the same level. */
bool gstore_accounts_close(const gstore_t *g);

#endif
