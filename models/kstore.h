/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kstore.h - a key store at one end of a QKD link.
 *
 * Key material is counted in bits; no key bytes are simulated. A store keeps
 * its material as an ordered sequence of ranges of link key streams
 * (stream, offset, length, birth time), oldest first, and serves requests
 * from the oldest end (FIFO). Both ends of a link receive the same ranges
 * in the same order and serve the same requests, so they hold the same
 * identities.
 *
 * Levels and thresholds follow QKDNetSim's QKDBuffer (shared/REFERENCE.md):
 * Mmax is the capacity, Mthr the threshold, Mmin the minimum. The state is
 * re-evaluated after every change of the level:
 *   1. level >= Mthr                                          -> READY
 *   2. Mmin < level < Mthr and ((rising and prev != READY)
 *                                or prev == EMPTY)            -> CHARGING
 *   3. Mmin < level < Mthr and prev != CHARGING               -> WARNING
 *   4. level <= Mmin                                          -> EMPTY
 *   5. otherwise unchanged
 * "Rising" means the new level is >= each of the KSTORE_RISING_WINDOW - 1
 * levels before it. A new store starts EMPTY at level 0; its initial key is
 * added as the first change. As in QKDNetSim, Mmin is informational (not
 * reserved) by default; with reserve_min, a take for an application or a
 * relay (SUPPLIED, RESERVED, RELAYED) that would leave less than Mmin is
 * refused, so Mmin stays for the key manager's own use (INTERNAL). Unlike
 * QKDNetSim, a block that does not fit below Mmax is stored in part: what
 * fits is kept and only the excess is discarded.
 *
 * Lifecycle (docs/storage-models.md, "Key lifecycle"): with max_age > 0 a
 * range leaves the store, cause EXPIRED, at the instant birth + max_age.
 * Ranges are kept in birth order, so only the oldest range's expiry needs
 * a wake-up: the store asks its owner for one (kstore_set_timer) and the
 * owner calls kstore_on_timer at that time; at most one wake-up is pending
 * per store. Every add and take first expires what is due at its time, so
 * no event order at equal times can hand out key at or past its maximum
 * age. Both ends of a link hold ranges of equal births, so they expire the
 * same identities at the same instants.
 *
 * Accounting (bits, exact, uint64):
 *   generated + moved_in = level + reserved + supplied + internal + relayed
 *                          + expired + discarded + moved_out
 * where `generated` counts every bit a link offered to the store (initial
 * key included), `moved_in` / `moved_out` the key a storage design moved
 * between the stores of one node (storage.h; over a node's stores the
 * moves cancel, so the network identity has no moved terms), and
 * `reserved` holds key handed to a peer's pending request
 * (ETSI 014: the slave's keys between the master's GET_KEY and the slave's
 * GET_KEY_WITH_KEY_IDS). `wasted` is not a term of its own: it is the part
 * of `supplied` that a key format handed out beyond what the applications
 * asked for (kformat.h), so wasted <= supplied and the key the applications
 * received is supplied - wasted. kstore_accounts_close() checks both,
 * with sums that fail rather than wrap.
 *
 * Overflow: every account is a part of the key received, generated +
 * moved_in; kstore_add refuses (SIM_ERR_RUN) a range that would take that
 * total past 2^64 - 1 bits, so no account and no sum of accounts can wrap.
 *
 * Merging (cfg.merge, set by a storage design for stores whose births
 * nobody reads; never with max_age > 0): a range that continues the
 * newest range held (same stream, its offset = that range's offset +
 * length) extends that range instead of becoming a new one; the merged
 * range keeps the birth of its first part. The level, the accounts, every
 * change told to observers and the bits every take removes are those of
 * the store without merging, and a take from the oldest end returns a
 * first range that starts at the same bit (the ETSI key ID); only the
 * ranges become fewer and longer: a take returns, and kstore_range_count
 * counts, fewer of them. Both ends of a link merge alike (same ranges in,
 * same takes), so they still hold identical ranges. kstore_remove stays
 * exact on such a store (it looks for key by stream and offset in all
 * ranges, not by birth). A merge saves a ring entry per block and makes a
 * take of many blocks' worth of key one piece (docs/performance.md).
 *
 * Ownership: the store owns its ranges. Observers are borrowed pointers
 * that must outlive the store.
 */
#ifndef QKM_MODELS_KSTORE_H
#define QKM_MODELS_KSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/kformat.h"
#include "sim/error.h"
#include "sim/scenario.h"

#define KSTORE_RISING_WINDOW 5
#define KSTORE_MAX_SUBSCRIBERS 8

typedef enum kstore_state {
    KSTORE_READY = 0,
    KSTORE_CHARGING = 1,
    KSTORE_WARNING = 2,
    KSTORE_EMPTY = 3
} kstore_state_t;

/* Why a level changed; the values are written to the trace (trace-format.md). */
typedef enum kstore_cause {
    KSTORE_CAUSE_INITIAL = 0,    /* initial key at time 0 */
    KSTORE_CAUSE_GENERATED = 1,  /* a block from the link */
    KSTORE_CAUSE_SUPPLIED = 2,   /* handed to an application (SAE) */
    KSTORE_CAUSE_RESERVED = 3,   /* set aside for a peer's pending request */
    KSTORE_CAUSE_INTERNAL = 4,   /* consumed by the key manager itself */
    KSTORE_CAUSE_RELAYED = 5,    /* used to relay key for others */
    KSTORE_CAUSE_EXPIRED = 6,    /* destroyed at its maximum age */
    KSTORE_CAUSE_DISCARDED = 7,  /* offered but over capacity (level unchanged) */
    KSTORE_CAUSE_SAMPLE = 8,     /* periodic sample, no change */
    KSTORE_CAUSE_MOVED = 9       /* moved to or from another store of the same node
                                  * (a storage design's internal transfer) */
} kstore_cause_t;

typedef struct kstore_range {
    uint64_t stream;   /* key stream id (one per link) */
    uint64_t offset;   /* first bit of the range in the stream */
    uint64_t length;   /* bits */
    int64_t birth;     /* ns, when the bits were delivered */
} kstore_range_t;

typedef struct kstore_config {
    uint64_t capacity;   /* Mmax, bits */
    uint64_t mmin;       /* Mmin, bits */
    uint64_t mthr;       /* Mthr, bits */
    uint64_t initial;    /* bits present at time 0 */
    /* The members below default to zero (a zeroed config keeps the
     * behaviour of a store without them). */
    int64_t max_age;     /* ns a range may stay in the store; 0 = for ever */
    bool reserve_min;    /* refuse supply and relay that would cut into Mmin */
    kformat_t format;    /* how supply cuts keys (for the clients) */
    bool merge;          /* join a range that continues the newest one held
                          * (see "Merging" above); ignored with max_age > 0 */
} kstore_config_t;

/* The largest capacity, bits (2^62): a change of level is reported as a
 * signed 64-bit delta (kstore_change_t, the /levels trace), and a level of
 * at most 2^62 leaves room for the reserved account beside it. */
#define KSTORE_MAX_CAPACITY (UINT64_C(1) << 62)

/* QKDNetSim's defaults (REFERENCE.md). */
#define KSTORE_DEFAULT_CAPACITY UINT64_C(1000000000)
#define KSTORE_DEFAULT_MMIN UINT64_C(1000000)
#define KSTORE_DEFAULT_MTHR UINT64_C(2000000)
#define KSTORE_DEFAULT_INITIAL UINT64_C(5000000)

typedef struct kstore_accounts {
    uint64_t generated, reserved, supplied, internal, relayed, expired, discarded;
    uint64_t moved_in;   /* received from another store of the node (cause MOVED) */
    uint64_t moved_out;  /* given to another store of the node (cause MOVED) */
    uint64_t wasted;     /* part of supplied: format waste and key lost to
                          * collisions (not a separate term) */
} kstore_accounts_t;

/* One change of level, as observers see it. */
typedef struct kstore_change {
    int64_t time;          /* ns */
    uint64_t level;        /* bits after the change */
    int64_t delta;         /* signed change of the level, bits */
    uint64_t amount;       /* bits the cause concerns (for DISCARDED: bits lost) */
    kstore_cause_t cause;
    kstore_state_t state;  /* after the change */
} kstore_change_t;

typedef struct kstore kstore_t;

typedef void (*kstore_observer_fn)(void *ctx, const kstore_t *store,
                                   const kstore_change_t *change);
typedef void (*kstore_state_fn)(void *ctx, kstore_t *store, kstore_state_t from,
                                kstore_state_t to, int64_t time);

/* Checks 0 < capacity <= KSTORE_MAX_CAPACITY, min <= threshold <= capacity,
 * initial <= capacity, max_age >= 0
 * and the format (kformat_check). SIM_ERR_INPUT with a message naming the
 * values otherwise. */
int kstore_config_check(const kstore_config_t *cfg, sim_err_t *err);

/* Reads the lifecycle and supply attributes of a <store> element into cfg:
 * max-age (time, > 0; absent = for ever), reserve-min (boolean, default
 * false), format and block-sizes (kformat_parse). The other members of cfg
 * are left alone. Errors name the element. */
int kstore_config_parse_options(const scn_elem_t *store, kstore_config_t *cfg,
                                sim_err_t *err);

/* A new empty store (state EMPTY, level 0) with id (a number chosen by
 * the caller, reported to observers through kstore_id). NULL on OOM. */
kstore_t *kstore_create(const kstore_config_t *cfg, uint32_t id);
void kstore_destroy(kstore_t *store);

/* Adds a level-change observer: every change of level (and every discard)
 * is told to each observer, in the order they were added.
 * SIM_ERR_RUN when KSTORE_MAX_SUBSCRIBERS observers are already added. A
 * store without observers skips building the change (the cheap case). */
int kstore_observe(kstore_t *store, kstore_observer_fn fn, void *ctx, sim_err_t *err);
/* Subscribes to state changes (threshold crossings): fn is called, in
 * the order of subscription and after the observers, only when a change
 * moves the state (cheaper than an observer that compares states).
 * SIM_ERR_RUN when KSTORE_MAX_SUBSCRIBERS are already subscribed. */
int kstore_subscribe(kstore_t *store, kstore_state_fn fn, void *ctx, sim_err_t *err);

/* Asks the owner for one call of kstore_on_timer(store, due) at time `due`
 * (ns, never before the time of the call that caused the request). A
 * failure (SIM_ERR_RUN) is returned by the store call that asked. The
 * owner may skip a wake-up past the end of the run. */
typedef int (*kstore_timer_fn)(void *ctx, kstore_t *store, int64_t due, sim_err_t *err);

/* Sets the wake-up provider (needed only with max_age > 0; without one,
 * key still expires, lazily, at the next add or take). When the store
 * already holds key, the first wake-up is requested at once. */
int kstore_set_timer(kstore_t *store, kstore_timer_fn fn, void *ctx, sim_err_t *err);

/* The feeder: brings the store up to date before it is looked at. A lazy
 * link (link.h, link_feed) delivers its key without kernel events, when
 * its stores are next read or changed: every function below that reads or
 * changes the store's level, ranges or accounts calls fn(ctx) first (the
 * feeder must not recurse into the store it feeds). NULL: none (the
 * default). ctx is borrowed. */
typedef void (*kstore_feed_fn)(void *ctx);
void kstore_set_feed(kstore_t *store, kstore_feed_fn fn, void *ctx);

/* The wake-up: expires every range whose birth + max_age <= now (one
 * change, cause EXPIRED, when any) and requests the next wake-up for the
 * new oldest range. SIM_ERR_RUN when that request fails. */
int kstore_on_timer(kstore_t *store, int64_t now, sim_err_t *err);

/* Expires every range due at `now` (as every add and take does first),
 * without asking for a wake-up: a design that reads levels before it
 * moves key calls it so that the levels it reads are the ones its moves
 * meet. */
void kstore_expire(kstore_t *store, int64_t now);

/* When the oldest range expires (ns): INT64_MAX when the store is empty,
 * has no max_age, or the time is not representable. */
int64_t kstore_next_expiry(const kstore_t *store);

/* Offers a range delivered at `time`; stores what fits below capacity and
 * discards the rest. `cause` is INITIAL or GENERATED (counted in
 * `generated`) or MOVED (counted in `moved_in`). Returns the bits
 * stored. SIM_ERR_RUN (out of memory, or the key received would exceed
 * 2^64 - 1 bits: nothing is added then) is reported through err. Key due
 * to expire at `time` leaves first (it makes room); with max_age > 0, a
 * range born before the newest one held is SIM_ERR_RUN, and a range
 * already past its age leaves at once (stored, then EXPIRED). */
int kstore_add(kstore_t *store, const kstore_range_t *range, kstore_cause_t cause,
               int64_t time, uint64_t *stored, sim_err_t *err);

/* A growable list of ranges owned by the caller: start it zeroed (or with
 * KSTORE_RANGEBUF_ON(array)), free it with kstore_rangebuf_free. */
typedef struct kstore_rangebuf {
    kstore_range_t *v;
    size_t n, cap;
    bool borrowed;          /* v is the caller's array (not freed; copied when it grows) */
} kstore_rangebuf_t;

/* A list that starts in the caller's array (e.g. on the stack), so that a
 * take of a few ranges, the usual case, allocates nothing: a malloc and
 * free per request was a hot spot (docs/performance.md). */
#define KSTORE_RANGEBUF_ON(array) \
    ((kstore_rangebuf_t){ .v = (array), .cap = sizeof(array) / sizeof((array)[0]), \
                          .borrowed = true })

int kstore_rangebuf_push(kstore_rangebuf_t *buf, const kstore_range_t *r, sim_err_t *err);
void kstore_rangebuf_free(kstore_rangebuf_t *buf);

/* Takes `bits` from the oldest end and appends the ranges taken to out
 * (NULL to drop them). Key due to expire at `time` leaves first. Returns
 * false and takes nothing (err untouched) when the level is below bits,
 * or when reserve_min is set, cause is SUPPLIED, RESERVED or RELAYED and
 * the level would fall below Mmin. cause is SUPPLIED, RESERVED, INTERNAL,
 * RELAYED, EXPIRED or MOVED. Returns false with err set (SIM_ERR_RUN) when out of
 * memory; the store is then inconsistent and the run must stop. */
bool kstore_take(kstore_t *store, uint64_t bits, kstore_cause_t cause, int64_t time,
                 kstore_rangebuf_t *out, sim_err_t *err);

/* As kstore_take, but from the newest end (the ranges appended to out run
 * from the newest bit backwards: each range is whole, the list is newest
 * first). Serving from the newest end is one remedy for key access
 * collisions (storage-models.md). */
bool kstore_take_newest(kstore_t *store, uint64_t bits, kstore_cause_t cause, int64_t time,
                        kstore_rangebuf_t *out, sim_err_t *err);

/* Removes whatever part of ranges[0..n) the store holds, wherever it lies
 * (ranges may be split), as one change with `cause`, after expiring what
 * is due at `time`. *removed is the number of bits removed; the rest of
 * the ranges was not held (taken or expired before). SIM_ERR_RUN on out of
 * memory or a bad cause (what was cut before stays cut, in the accounts).
 * This is the uncoordinated peer's view in the key access collision
 * design: it learns of a take late and may no longer hold the key.
 * Each range must carry the birth of the key it names (a range taken from
 * a copy of the same key does: births travel with the key): the store
 * looks for it only among its ranges of that birth, found by binary
 * search while its ranges are in birth order (always with max_age; else
 * as long as no range born earlier than the newest arrived), so a removal
 * near either end costs O(log ranges held + the ranges of that birth),
 * and O(ranges held) per range when the store is out of birth order. */
int kstore_remove(kstore_t *store, const kstore_range_t *ranges, size_t n,
                  kstore_cause_t cause, int64_t time, uint64_t *removed, sim_err_t *err);

/* Removes exactly `ranges` (taken at the peer end of the link) from the
 * oldest end, after expiring what is due at `time`. SIM_ERR_RUN when this
 * store's head does not hold the same identities - a synchronisation bug. */
int kstore_take_same(kstore_t *store, const kstore_range_t *ranges, size_t n,
                     kstore_cause_t cause, int64_t time, sim_err_t *err);

/* Moves bits from the reserved account to supplied (the peer's request
 * has been served). */
int kstore_release_reserved(kstore_t *store, uint64_t bits, sim_err_t *err);

/* Records that `bits` of what this store supplied were format waste.
 * SIM_ERR_RUN when wasted would exceed supplied. */
int kstore_count_waste(kstore_t *store, uint64_t bits, sim_err_t *err);

uint32_t kstore_id(const kstore_t *store);
uint64_t kstore_level(const kstore_t *store);
kstore_state_t kstore_state(const kstore_t *store);
const kstore_config_t *kstore_config(const kstore_t *store);
const kstore_accounts_t *kstore_accounts(const kstore_t *store);
size_t kstore_range_count(const kstore_t *store);
/* The i-th range from the oldest (i < kstore_range_count). */
const kstore_range_t *kstore_range_at(const kstore_t *store, size_t i);

/* True when generated + moved_in == level + every outflow, the ranges
 * hold the level and wasted <= supplied. */
bool kstore_accounts_close(const kstore_t *store);

const char *kstore_state_name(kstore_state_t state);
const char *kstore_cause_name(kstore_cause_t cause);

#endif
