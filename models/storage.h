/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * storage.h - storage designs: how the key of one QKD link is kept at its
 * two ends and how the link's clients are served from it
 * (docs/storage-models.md, "Storage designs").
 *
 * A design is a table of functions (storage_design_t) registered in one
 * table in storage.c; the scenario selects one per network or per node by
 * name (<storage design="...">). Adding a design is one new file and one
 * line in that table. The bundled designs:
 *
 *   shared    one common store per link end, both ends serve every client
 *             from it in step (Toshiba, NEC; QKDNetSim's buffer). The default.
 *   q3p       SECOQC's Q3P: pickup store per QKD device, common store,
 *             in/out buffers filled by STORE and LOAD sub-protocols.
 *   session   QCC/NIST/MagiQ: one session buffer per client, refilled
 *             from the common store in proportion to registered rates.
 *   collide   Quantum Canada: both ends serve their own clients from one
 *             shared store without coordination (key access collisions),
 *             or with one of the two remedies.
 *
 * An instance (storage_link_t) covers one link, both ends. It makes its
 * stores through the world (storage_make_stores), which traces them; it
 * receives the link's key (deliver), and serves the master's GET_KEY
 * (get_key) and later the slave's GET_KEY_WITH_KEY_IDS (fetch).
 *
 * Units: bits, ns. Ownership: the instance owns its `state` (freed by the
 * design's destroy); the stores belong to the world; everything else is
 * borrowed from the world and outlives the instance.
 */
#ifndef QKM_MODELS_STORAGE_H
#define QKM_MODELS_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/kstore.h"
#include "models/model.h"
#include "sim/error.h"
#include "sim/scenario.h"

enum { STORAGE_END_A = 0, STORAGE_END_B = 1 };

#define STORAGE_ROLE_MAX 64   /* bytes of a store's role name, NUL included */

/* A client of the link as the designs see it. */
typedef struct storage_app {
    uint32_t index;          /* the world's app index */
    const char *id;          /* borrowed */
    int master_end;          /* STORAGE_END_A or STORAGE_END_B */
    double demand;           /* registered rate: mean bits/s its GET_KEYs take */
    uint64_t request_bits;   /* bits one GET_KEY takes, format waste included */
} storage_app_t;

/* Counters: what a design did, for the summary. A design declares its
 * counters (design->counters, a list ended by a NULL name) and counts in
 * sl->counters[i], i its index in that list. /summary/links has one column
 * per counter name declared by any registered design (registry order,
 * each name once; 0 for links whose design lacks it); the counters marked
 * `network` are summed into /summary/network (docs/trace-format.md). */
#define STORAGE_MAX_COUNTERS 8

typedef struct storage_link storage_link_t;
typedef struct storage_design storage_design_t;

/* The world's store factory: makes a pair of stores, one at each end,
 * both with config cfg, named role (for /stores). `synced` says that the
 * design keeps the pair identical at every instant (the world checks it
 * at the end of the run). */
typedef int (*storage_store_fn)(void *owner, storage_link_t *sl, const char *role,
                                const kstore_config_t *cfg, bool synced, kstore_t *pair[2],
                                sim_err_t *err);

struct storage_link {
    const storage_design_t *design;
    uint32_t index;              /* link index */
    const char *id;              /* link id, borrowed */
    const char *node_id[2];      /* ids of the nodes at ends a and b, borrowed */
    uint32_t node[2];            /* their node indices */
    size_t ndevices;             /* QKD devices of the link */
    model_ctx_t *ctx;
    kstore_config_t cfg;         /* the link's <store> */
    storage_app_t *apps;         /* the link's clients, owned by the world */
    size_t napps;
    uint64_t counters[STORAGE_MAX_COUNTERS];   /* per link, both ends together */
    storage_store_fn make_store;
    void *owner;
    const scn_elem_t *elem;      /* the <storage> in force, NULL for defaults */
    void *state;                 /* the design's, owned by it */
};

struct storage_design {
    const char *name;                 /* as in <storage design="..."> */
    const char *const *params;        /* the attributes it reads, NULL-terminated */
    /* Reads the parameters (e NULL: all defaults; errors name e) and makes
     * the stores. Called once the link's clients are known. */
    int (*setup)(storage_link_t *sl, const scn_elem_t *e, sim_err_t *err);
    /* Called after the link placed its initial key; may be NULL. */
    int (*start)(storage_link_t *sl, sim_err_t *err);
    /* Key from device `device` reaches both ends at `now` (cause INITIAL or
     * GENERATED). */
    int (*deliver)(storage_link_t *sl, size_t device, const kstore_range_t *r,
                   kstore_cause_t cause, int64_t now, sim_err_t *err);
    /* The master's GET_KEY of client `app` (index into sl->apps) reaches
     * its KME at `now`: `bits` to take, of which `waste` is format waste.
     * *granted false = not enough key (503). On a grant, out receives the
     * ranges given to the master and *ticket a value handed back to fetch. */
    int (*get_key)(storage_link_t *sl, size_t app, uint64_t bits, uint64_t waste,
                   int64_t now, kstore_rangebuf_t *out, uint64_t *ticket, bool *granted,
                   sim_err_t *err);
    /* The slave's GET_KEY_WITH_KEY_IDS for a granted request reaches its
     * KME at `now`. *ok false = the key cannot be delivered (a collision). */
    int (*fetch)(storage_link_t *sl, size_t app, uint64_t ticket, uint64_t bits,
                 uint64_t waste, int64_t now, bool *ok, sim_err_t *err);
    /* The store from which the design serves client `app` at `end` (what
     * an ETSI 014 GET_STATUS reports as stored_key_count). May be NULL. */
    const kstore_t *(*serving)(const storage_link_t *sl, size_t app, int end);
    /* Takes `bits` of key for a purpose other than the design's own
     * clients (key relay: cause RELAYED), the same identities at both ends
     * at `now`, chosen by the key manager at `end`. *granted false = not
     * enough key (nothing taken). out (may be NULL) receives the ranges.
     * NULL when the design cannot give key for other purposes: the key
     * service then refuses, at set-up, whatever would need it. */
    int (*take)(storage_link_t *sl, int end, uint64_t bits, int64_t now,
                kstore_rangebuf_t *out, bool *granted, sim_err_t *err);
    /* The bits a take at `end` could get at `now` (what take would grant
     * at most, expired key gone first); NULL exactly when take is NULL.
     * Key relay asks it before choosing which waiting job to serve. */
    uint64_t (*available)(storage_link_t *sl, int end, int64_t now);
    /* Why the design has no take (shown in that refusal); NULL otherwise. */
    const char *no_take;
    /* True when deliver only adds the key to the design's own stores
     * (nothing scheduled, nobody told, no state subscriptions): then the
     * link may deliver lazily, when a store is next looked at (link.h,
     * link_set_lazy), with the same results. */
    bool passive;
    /* Its counters, ended by an entry whose name is NULL; may be NULL. */
    const model_counter_t *counters;
    /* Frees sl->state; may be NULL. */
    void (*destroy)(storage_link_t *sl);
    /* Adds to *est what the design itself does in a run of `end` ns
     * beyond what the world counts per block and the client kinds per
     * request (its own events: rounds, messages, synchronisation; its
     * extra level changes). May be NULL: nothing beyond those. */
    void (*estimate)(const storage_link_t *sl, int64_t end, model_estimate_t *est);
};

/* The registered designs, NULL-terminated. */
extern const storage_design_t *const storage_designs[];

/* The design called `name`, NULL when none. */
const storage_design_t *storage_find(const char *name);

/* The value of sl's counter `name`; 0 when its design has none. */
uint64_t storage_counter(const storage_link_t *sl, const char *name);

/* Adds `amount` to sl's counter `index` (an index into its design's
 * counters). SIM_ERR_RUN naming the link and the counter, the counter
 * unchanged, when the sum would exceed 2^64 - 1: counters never wrap. */
int storage_count(storage_link_t *sl, int index, uint64_t amount, sim_err_t *err);

/* The index of counter `name` in design d's list, or -1. */
int storage_counter_index(const storage_design_t *d, const char *name);

/* Reads <storage> element e (NULL: the default design, "shared"): its
 * design and that every other attribute is one of the design's params.
 * Errors name e and list the names that would do. */
int storage_select(const scn_elem_t *e, const storage_design_t **design, sim_err_t *err);

/* Sets up sl (its fields filled by the world, design included) from e
 * (kept in sl->elem). Designs report parameter errors with scn_error(e). */
int storage_setup(storage_link_t *sl, const scn_elem_t *e, sim_err_t *err);
void storage_destroy(storage_link_t *sl);

/* ---- helpers for designs ---- */

/* Makes a pair of stores through the world (see storage_store_fn). A
 * config that fails kstore_config_check is SIM_ERR_INPUT naming the link,
 * the role and sl->elem's file and line. */
int storage_make_stores(storage_link_t *sl, const char *role, const kstore_config_t *cfg,
                        bool synced, kstore_t *pair[2], sim_err_t *err);

/* Adds r to both stores of a pair with `cause`; SIM_ERR_RUN when the two
 * ends keep different amounts (a synchronisation bug). */
int storage_add_pair(kstore_t *pair[2], const kstore_range_t *r, kstore_cause_t cause,
                     int64_t now, sim_err_t *err);

/* A coordinated take: `bits` from the oldest end of pair[end] with cause,
 * the same ranges from pair[1 - end] with peer_cause, at one instant.
 * False (nothing taken, err untouched) when pair[end] cannot give them.
 * out (may be NULL) receives the ranges. */
bool storage_take_pair(kstore_t *pair[2], int end, uint64_t bits, kstore_cause_t cause,
                       kstore_cause_t peer_cause, int64_t now, kstore_rangebuf_t *out,
                       sim_err_t *err);

/* Moves `bits` from the oldest end of from[*] to to[*] at both ends (cause
 * MOVED). False when from cannot give them (nothing moved, err untouched)
 * or on a failure (err set). Adds 2 * bits (both ends) to the design's
 * counter "moved_bits" when it declares one (storage_count). */
bool storage_move_pair(storage_link_t *sl, kstore_t *from[2], kstore_t *to[2], uint64_t bits,
                       int64_t now, sim_err_t *err);

/* Serves a GET_KEY in step at both ends from pair: the master's end gives
 * `bits` (SUPPLIED, waste counted), the slave's the same ranges (RESERVED). */
int storage_serve_pair(kstore_t *pair[2], int master_end, uint64_t bits, uint64_t waste,
                       int64_t now, kstore_rangebuf_t *out, bool *granted, sim_err_t *err);

/* The design's take (see storage_design_t) from pair: `bits` from the
 * oldest end of pair[end], the same ranges from the other end, both with
 * cause RELAYED. */
int storage_relay_pair(kstore_t *pair[2], int end, uint64_t bits, int64_t now,
                       kstore_rangebuf_t *out, bool *granted, sim_err_t *err);

/* What storage_relay_pair could take at `end` now: the smaller level of
 * the two ends after expiry, less Mmin when reserve_min is set. */
uint64_t storage_relay_available(kstore_t *pair[2], int end, int64_t now);

/* The slave fetches its reserved key from pair[slave_end]. */
int storage_fetch_pair(kstore_t *pair[2], int slave_end, uint64_t bits, uint64_t waste,
                       sim_err_t *err);

/* A parameter error of sl's design: SIM_ERR_INPUT located at e ("storage
 * design NAME, link 'ID': what"), or naming the link when the design runs
 * with its defaults (e NULL). */
int storage_param_error(const storage_link_t *sl, const scn_elem_t *e, sim_err_t *err,
                        const char *what);

/* Expires what is due at `now` at both ends of a pair (kstore_expire), so
 * that the levels a design reads next are those its takes and moves meet. */
void storage_expire_pair(kstore_t *pair[2], int64_t now);

/* Schedules fn(sim, sl, arg) at `when` (ns); SIM_ERR_RUN on out of memory. */
int storage_schedule(storage_link_t *sl, int64_t when, sim_handler_fn fn, uint64_t arg,
                     sim_err_t *err);

/* Reports a failure inside an event handler of the design (the run stops
 * with exit code 1), prefixed with the link id. */
void storage_fail(storage_link_t *sl, sim_err_t *err);

#endif
