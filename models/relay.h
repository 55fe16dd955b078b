/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * relay.h - key relay over trusted nodes (ITU-T Y.3803): relay jobs that
 * move end-to-end key between two nodes over a path of QKD links, the
 * per-link relay schedulers that share each link's key between flows,
 * and the global key stores of client pairs on non-adjacent nodes
 * (docs/models.md, "Key relay"; docs/architecture.md, "Relay layer").
 *
 * A flow is one demand: a <demand> of <relay> (a rate: continuous; an
 * amount: one-time), a client pair whose nodes share no link (bound
 * through keysvc_set_remote and served from a global store, gstore.h),
 * or key a client's KME sends to another node on demand (keysvc_send, an
 * ETSI 014 additional slave: one job per send, the client told when it
 * arrives or is lost).
 * A flow's key moves in jobs of `job` bits; each job follows a path from
 * route_find (route.h) and needs key on each hop: the hop waits in the
 * scheduler of its link (sched.h; one instance per link, the policy of
 * the link's node a, else of its node b, else of the network), which is
 * asked for the next job whenever the link delivers key (its on_key
 * event) or a job arrives; the key is taken with keysvc_take.
 *
 * Methods (key spent on the links for a job of N bits over h hops, tag
 * T bits):
 *   hop          hop-by-hop one-time pad: each hop spends N + T; the
 *                key crosses the hops in order, hop i taking
 *                hop-delay + length_i / 2e8 m/s.
 *   xor-dest     XORs processed at the destination: hop 0 spends N, hops
 *                1..h-1 spend N + T (each intermediate node announces
 *                the XOR of its two link keys, authenticated); the hops
 *                are spent in any order; done hop-delay + L(n1 -> dst) /
 *                2e8 after the last.
 *   xor-central  the same key cost; the XORs go to the path's middle node
 *                c = nodes[h / 2], which sends the result on: done
 *                2 hop-delay + (max_i L(n_i -> c) + L(c -> dst)) / 2e8
 *                after the last hop is spent.
 * Modes: store-forward (each hop spends as soon as its key allows; key
 * may wait mid-path) and end-to-end (all hops reserved before any is
 * spent; flows with guaranteed="true" always use it, as QKRA).
 * Cut-through (cut-through="true", hop method, store-forward): a job that
 * spends a hop also spends at once each following hop whose link is up,
 * has no admission, nobody queued and enough key, and arrives after the
 * sum of those hops' delays with one event (docs/models.md; a model
 * option: results differ slightly from the default).
 *
 * Accounting: the link key a job spends is RELAYED in the link stores.
 * A job that cannot finish (the run ends, or its path is cut with key
 * already spent) strands that key: relay_stranded() is the total,
 * counted once per link (the network sums, which count both ends of
 * each link, hold twice that). The world moves it from relayed to
 * stranded in the identity.
 *
 * Units: bits, ns, bit/s. Ownership: the relay borrows the environment
 * (links, key service, topology) and the scenario; it owns its flows,
 * jobs, schedulers, route and global stores.
 */
#ifndef QKM_MODELS_RELAY_H
#define QKM_MODELS_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/client.h"
#include "models/keysvc.h"
#include "models/link.h"
#include "models/model.h"
#include "sim/error.h"
#include "sim/scenario.h"
#include "sim/topo.h"
#include "sim/trace.h"

typedef struct relay relay_t;

/* Speed of light in fibre, m/s (docs/models.md, "Key relay"). */
#define RELAY_SIGNAL_SPEED 2e8

typedef enum relay_method { RELAY_HOP = 0, RELAY_XOR_DEST = 1, RELAY_XOR_CENTRAL = 2 } relay_method_t;
typedef enum relay_mode { RELAY_STORE_FORWARD = 0, RELAY_END_TO_END = 1 } relay_mode_t;

/* How a job ended (/relays outcome). */
typedef enum relay_outcome {
    RELAY_DONE = 0,      /* delivered */
    RELAY_STRANDED = 1,  /* the run ended with key spent on some hops */
    RELAY_CUT = 2,       /* its path was cut and no other path was up */
    RELAY_REFUSED = 3,   /* admission refused its flow on a hop (QKDTL) */
    RELAY_WAITING = 4    /* the run ended before it spent any key */
} relay_outcome_t;

/* What the relay needs from the world. */
typedef struct relay_env {
    model_ctx_t *ctx;
    const topo_t *topo;
    link_t *links;          /* link i is topo edge i */
    size_t nlinks;
    keysvc_t *keys;
    /* Reads attribute `name` of e (required) as a node id; errors name e. */
    int (*node)(const void *world, const scn_elem_t *e, const char *name, uint32_t *index,
                sim_err_t *err);
    const char *(*node_id)(const void *world, uint32_t index);
    uint32_t (*node_of)(const void *world, const char *id);   /* UINT32_MAX: none */
    const void *world;
} relay_env_t;

/* Reads the scenario's <relay> (root's child; absent: defaults and no
 * demands) and the <relay> overrides of its nodes, and registers itself
 * as the key service's remote binder. Errors name file, line and element.
 * A demand whose nodes have no path is SIM_ERR_INPUT naming it. */
int relay_create(const relay_env_t *env, const scn_elem_t *root, relay_t **out,
                 sim_err_t *err);

/* After every client is bound and every link's design set up: checks
 * that the links the flows may use can give key (keysvc_can_take) and
 * subscribes to the links' events. */
int relay_finish(relay_t *r, sim_err_t *err);

/* Schedules the flows' first events. */
int relay_start(relay_t *r, sim_err_t *err);

void relay_destroy(relay_t *r);

/* Flows (demands and relayed client pairs). */
size_t relay_flow_count(const relay_t *r);

/* Adds the relay's part of a run of `end` ns to *est (docs/models.md,
 * "How big a run is"): per job, its start and one event per hop (or its
 * delivery; with cut-through an upper bound), two level changes per hop, and a /relays row counted with
 * the request log's bytes (it follows the same setting). */
void relay_estimate(const relay_t *r, int64_t end, model_estimate_t *est);

/* ---- output (docs/trace-format.md) ---- */

/* Creates /relays (one row per job as it ends; kept as `log` says, the
 * same controls as the request log). */
int relay_trace_open(relay_t *r, trace_t *trace, const client_output_t *log, sim_err_t *err);

/* At the end of the run: ends the jobs still under way (STRANDED or
 * WAITING), writes /summary/flows and /summary/relay, and gives the key
 * stranded (bits, once per link) and whether the global stores' accounts
 * close. */
int relay_trace_summary(relay_t *r, trace_t *trace, int64_t end, uint64_t *stranded,
                        bool *closes, sim_err_t *err);

/* Totals so far (bits once per link): key spent on relay (tags
 * included), of it tags, and stranded. */
uint64_t relay_spent(const relay_t *r);
uint64_t relay_tags(const relay_t *r);
uint64_t relay_stranded(const relay_t *r);
/* Flow f's delivered bits, jobs done, jobs cut, key spent, stranded. */
typedef struct relay_flow_stats {
    uint64_t jobs, done, cut, refused, delivered, spent, tags, stranded, halvings;
    double demand_bps;
} relay_flow_stats_t;
void relay_flow_stats(const relay_t *r, size_t f, relay_flow_stats_t *out);

/* Jain's fairness index over the flows of delivered / demanded rate
 * (1 when every flow gets the same share; 1/n at worst). */
double relay_fairness(const relay_t *r, int64_t end);

const char *relay_outcome_name(relay_outcome_t o);

#endif
