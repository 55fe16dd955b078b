/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * keysvc.h - the key service: key between two nodes, for clients and for
 * other models (docs/architecture.md, "Key service").
 *
 * Clients never touch stores. A client pair is bound once, at build time,
 * to where its key comes from: when its two nodes share a QKD link, that
 * link's storage design serves it (its GET_KEY and the peer's fetch, as
 * storage.h says); when they do not, the pair goes to the remote binder
 * (keysvc_set_remote: key relay, models/relay.h), which serves it from a
 * global key store at its two nodes filled by relayed key. Without a
 * remote binder such a pair is an input error. A client may also have its
 * KME send key to another node's KME on demand (keysvc_bind_send,
 * keysvc_send: an ETSI 014 additional slave on a node that shares no link
 * with the master), which the remote binder carries (key relay). Other
 * models (key relay) take key from a link's design for their own purpose
 * with keysvc_take (cause RELAYED) after asking keysvc_available how much
 * it could give; a design that cannot give key that way is refused at
 * set-up by keysvc_can_take, naming the link and the reason.
 *
 * Units: bits, ns. Ownership: the service borrows the topology and the
 * links' storage instances (the world's), which must outlive it; it owns
 * its bindings list only.
 */
#ifndef QKM_MODELS_KEYSVC_H
#define QKM_MODELS_KEYSVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/kstore.h"
#include "models/storage.h"
#include "sim/error.h"
#include "sim/scenario.h"
#include "sim/topo.h"

typedef struct keysvc keysvc_t;
typedef struct keysvc_remote keysvc_remote_t;

/* Where one client pair's key comes from. */
typedef struct keysvc_pair {
    storage_link_t *sl;   /* the link joining the pair's nodes; NULL when remote */
    size_t slot;          /* the pair's index in sl->apps */
    int master_end;       /* STORAGE_END_A or STORAGE_END_B: the master's end */
    const keysvc_remote_t *remote;   /* not NULL: served by the remote binder */
    void *rpair;          /* the remote binder's handle for the pair */
} keysvc_pair_t;

/* A GET_KEY's answer. */
typedef struct keysvc_grant {
    bool granted;         /* false: not enough key (503) */
    uint64_t bits;        /* taken from the store, format waste included */
    uint64_t waste;       /* format waste, part of bits */
    uint64_t ticket;      /* the design's, handed back to keysvc_fetch */
    uint64_t key_stream;  /* the first key's ID: stream ... */
    uint64_t key_offset;  /* ... and offset (0, 0 when not granted) */
} keysvc_grant_t;

/* One link of the path a pair's key comes over (keysvc_path). */
typedef struct keysvc_hop {
    uint32_t link;        /* the link's index (its topology edge) */
    const char *id;       /* the link's id, borrowed from the world's links */
    double cost;          /* bits of the link's key spent per bit of key delivered
                             to the pair (>= 1; 1 on the pair's own link) */
} keysvc_hop_t;

/* Told, at `now`, that key sent with keysvc_send reached its destination's
 * KME (delivered true) or never will (false: its path was cut, or
 * admission refused it). Not told when the run ends first. */
typedef void (*keysvc_sent_fn)(void *arg, int64_t now, bool delivered);

/* What a client asks to have sent on demand (keysvc_bind_send): the
 * figures its flow reports. */
typedef struct keysvc_send_demand {
    const scn_elem_t *elem;   /* the element that asks for it (errors name it);
                                 borrowed, may be NULL */
    uint64_t bits;            /* per send */
    double rate;              /* sends/s requested (the client's request rate: it sends
                                 only on the requests it grants) */
    int64_t start, stop;      /* ns: the client's requests come in [start, stop) */
} keysvc_send_demand_t;

/* Where a client's KME sends key on demand (keysvc_bind_send). */
typedef struct keysvc_send {
    const keysvc_remote_t *remote;   /* the remote binder that carries it */
    void *rsend;                     /* its handle (the binder's, it frees it) */
} keysvc_send_t;

/* Serves the pairs whose nodes share no link (key relay). The handle a
 * bind returns is the binder's (it frees it); get_key and fetch have the
 * meaning of keysvc_get_key and keysvc_fetch, path that of keysvc_path
 * (may be NULL: the binder cannot say), bind_send and send those of
 * keysvc_bind_send and keysvc_send. */
struct keysvc_remote {
    /* SIM_ERR_INPUT when the pair cannot be served (no path: the message
     * says why; the caller names the pair and where). */
    int (*bind)(void *ctx, uint32_t app, const char *id, uint32_t master, uint32_t slave,
                uint64_t size, uint64_t number, double rate, void **rpair, sim_err_t *err);
    int (*get_key)(void *rpair, uint64_t size, uint64_t number, int64_t now,
                   keysvc_grant_t *g, sim_err_t *err);
    int (*fetch)(void *rpair, const keysvc_grant_t *g, int64_t now, bool *ok,
                 sim_err_t *err);
    int (*path)(void *rpair, int64_t now, keysvc_hop_t **hops, size_t *n, sim_err_t *err);
    int (*bind_send)(void *ctx, uint32_t app, const char *id, uint32_t src, uint32_t dst,
                     const keysvc_send_demand_t *d, void **rsend, sim_err_t *err);
    int (*send)(void *rsend, uint64_t bits, int64_t now, keysvc_sent_fn fn, void *arg,
                sim_err_t *err);
};

/* A service over nlinks links (storages[i] is link i's design, its fields
 * filled but not set up yet) on topology topo. NULL when out of memory. */
keysvc_t *keysvc_create(const topo_t *topo, storage_link_t *storages, size_t nlinks);
void keysvc_destroy(keysvc_t *ks);

/* Pairs bound after this call whose nodes share no link go to ops (ctx
 * is passed to its bind). ops and ctx are borrowed and must outlive the
 * service's pairs. */
void keysvc_set_remote(keysvc_t *ks, const keysvc_remote_t *ops, void *ctx);

/* Binds the client pair (master, slave) with the given demand: size bits
 * per key, number keys per request, rate requests/s. The app index and id
 * name it in the designs' client lists. SIM_ERR_INPUT when the nodes share
 * no link and no remote binder serves them (the message says why; the
 * caller names the pair and where). */
int keysvc_bind(keysvc_t *ks, uint32_t app, const char *id, uint32_t master, uint32_t slave,
                uint64_t size, uint64_t number, double rate, keysvc_pair_t *pair,
                sim_err_t *err);

/* Whether nodes a and b share a QKD link (a pair of them is served by its
 * design; key between them needs no relay). */
bool keysvc_adjacent(const keysvc_t *ks, uint32_t a, uint32_t b);

/* Binds key that client `app` (id) has its KME at src send to the KME at
 * dst on demand, d->bits per send at up to d->rate sends/s in [d->start,
 * d->stop) (the demand the relay's schedulers see), to the remote binder,
 * which names d->elem in errors it finds later (d is copied; d->elem is
 * borrowed and must outlive the service). SIM_ERR_INPUT when no remote
 * binder is set up or it cannot reach dst (the message says why; the
 * caller names the client and where). */
int keysvc_bind_send(keysvc_t *ks, uint32_t app, const char *id, uint32_t src, uint32_t dst,
                     const keysvc_send_demand_t *d, keysvc_send_t *out, sim_err_t *err);

/* Sends `bits` of key from s's src to its dst at `now` (the remote binder
 * spends link key on the way, as its method says); fn(arg, when,
 * delivered) is told once when it arrives or is lost (possibly before
 * this returns). An error return (SIM_ERR_RUN) means the run must stop. */
int keysvc_send(const keysvc_send_t *s, uint64_t bits, int64_t now, keysvc_sent_fn fn,
                void *arg, sim_err_t *err);

/* After the last bind: gives every link's design its list of clients
 * (storage_link_t.apps, in bind order), ready for storage_setup. */
int keysvc_finish(keysvc_t *ks, sim_err_t *err);

/* The master's GET_KEY(number, size) reaches its KME at `now`: the bits
 * follow the link's key format (kformat.h). An error return (SIM_ERR_RUN)
 * means the run must stop; a shortage is g->granted false. */
int keysvc_get_key(const keysvc_pair_t *pair, uint64_t size, uint64_t number, int64_t now,
                   keysvc_grant_t *g, sim_err_t *err);

/* The slave's GET_KEY_WITH_KEY_IDS for a granted GET_KEY reaches its KME
 * at `now`. *ok false: the keys cannot be delivered (a collision). */
int keysvc_fetch(const keysvc_pair_t *pair, const keysvc_grant_t *g, int64_t now, bool *ok,
                 sim_err_t *err);

/* keysvc_path's `now` for a load-time look-up: as if every link were up. */
#define KEYSVC_PATH_ALL_UP INT64_MIN

/* The links the pair's key would cross if asked at `now`, from the
 * master's node, each with its cost: for a pair on one link, that link
 * (cost 1); for a relayed pair, the path the binder would route a relay
 * job on at `now` and the key each hop spends per delivered bit (the
 * relay method's, docs/models.md "Key relay"). A look-up only: it changes
 * no routing (route_peek). *hops (allocated, the caller frees it with
 * free) receives *n hops; *n = 0 and *hops NULL when no path of links
 * that are up joins the pair at `now` (with KEYSVC_PATH_ALL_UP: when
 * none joins it at all).
 * SIM_ERR_INPUT when the remote binder cannot say (no path operation),
 * SIM_ERR_RUN when the run must stop (out of memory, a routing failure). */
int keysvc_path(const keysvc_pair_t *pair, int64_t now, keysvc_hop_t **hops, size_t *n,
                sim_err_t *err);

/* The store that serves the pair at its master's end (master true) or its
 * slave's: what an ETSI 014 GET_STATUS reports. NULL when the design
 * cannot say. */
const kstore_t *keysvc_store(const keysvc_pair_t *pair, bool master);

/* SIM_OK when link's design can give key for other purposes (keysvc_take),
 * else SIM_ERR_INPUT naming the link, its design and why not. */
int keysvc_can_take(const keysvc_t *ks, uint32_t link, sim_err_t *err);

/* Takes `bits` of link's key at both ends for another purpose (cause
 * RELAYED), chosen at `end`. *granted false: not enough key. out (may be
 * NULL) receives the ranges. SIM_ERR_RUN when the design cannot (check
 * with keysvc_can_take at set-up) or the run must stop. */
int keysvc_take(keysvc_t *ks, uint32_t link, int end, uint64_t bits, int64_t now,
                kstore_rangebuf_t *out, bool *granted, sim_err_t *err);

/* The bits keysvc_take at `end` of link could take at `now` (0 when the
 * design cannot give key for relay). */
uint64_t keysvc_available(keysvc_t *ks, uint32_t link, int end, int64_t now);

#endif
