/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * link.h - a QKD link: one or more QKD devices, each delivering its own
 * key stream in post-processing blocks to the key stores at both ends.
 *
 * Model (docs/link-models.md; the constant case in docs/models.md, "QKD
 * link"). Each device (one <generation> element) has a rate model
 * (models/linkrate.h) that gives its mean secret-key rate R (bit/s) while
 * it is up, a block interval and a processing delay, an optional
 * fluctuation law, and optional outages (scheduled, and random on/off
 * failures). Its block k (k >= 1) covers (t_{k-1}, t_k], t_k = k * block.
 * Let U(t) be the device's up time in [0, t] (ns):
 *   - no fluctuation: block k holds floor(R U(t_k)) - floor(R U(t_{k-1}))
 *     bits (t in seconds), so the cumulative key never drifts from R U by
 *     a bit or more; without outages U(t) = t;
 *   - fluctuation: block k's rate r_k is drawn with mean R and the given
 *     coefficient of variation, and the block holds the whole bits of
 *     c + r_k (U(t_k) - U(t_{k-1})), the fraction c carried on to the next.
 * A block that ends while the device is down is held and closes when the
 * device is up again (its key is only the up-time part). A closed block
 * with bits > 0 reaches both ends (the sink: the link's storage design)
 * `delay` ns after it closes, as the next range of the device's key stream.
 *
 * Key streams: device 0 of link i uses stream i + 1, whose offsets
 * [0, initial) are the stores' initial key; the world numbers the other
 * devices' streams after all links (world.c), so ranges stay identities.
 *
 * Random streams (sim/rng.h): "link/<id>/device/<k>/fluctuation" and
 * "link/<id>/device/<k>/failures", k the device's 0-based index.
 *
 * Ownership: the link owns its devices (their outage lists and random
 * generators: free with link_cleanup) and borrows its id, its stores, its
 * model context, its sink and its observers, which must outlive it.
 */
#ifndef QKM_MODELS_LINK_H
#define QKM_MODELS_LINK_H

#include <gsl/gsl_rng.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/kstore.h"
#include "models/linkrate.h"
#include "models/model.h"
#include "sim/scenario.h"
#include "sim/trace.h"

#define LINK_DEFAULT_BLOCK_NS ((int64_t)1000000000)
#define LINK_DEFAULT_CV 0.2

typedef enum link_law {
    LINK_LAW_NONE = 0,
    LINK_LAW_LOGNORMAL = 1,
    LINK_LAW_GAMMA = 2
} link_law_t;

typedef enum link_outage_kind {
    LINK_OUTAGE_SCHEDULED = 0,   /* an <outage from to> */
    LINK_OUTAGE_FAILURE = 1      /* a random failure of <failures> */
} link_outage_kind_t;

/* [from, to), ns: down at from, up again at to. */
typedef struct link_interval {
    int64_t from, to;
} link_interval_t;

typedef struct link_device_config {
    const linkrate_model_t *model;
    double params[LINKRATE_MAX_PARAMS];   /* as used (optimised values filled in) */
    double rate_bps;          /* the model's rate: the mean rate while up, bit/s */
    int64_t block_ns;         /* > 0 */
    int64_t delay_ns;         /* >= 0 */
    link_law_t law;
    double cv;                /* coefficient of variation (> 0 unless law NONE) */
    link_interval_t *outages; /* owned; sorted, overlapping ones merged */
    size_t noutages;
    int64_t mtbf_ns, mttr_ns; /* mean up and down times; 0: no random failures */
} link_device_config_t;

/* One closed block (the /link_blocks trace record). */
typedef struct link_block_rec {
    int64_t time;       /* ns, when the block closed */
    uint32_t link, device;
    uint64_t block;     /* k: the block interval (t_{k-1}, t_k] it covers */
    uint64_t bits;      /* > 0 */
    double rate_bps;    /* the rate of that block (drawn, or the model's) */
} link_block_rec_t;

/* One outage as it begins (the /link_outages trace record). */
typedef struct link_outage_rec {
    uint32_t link, device;
    uint8_t kind;       /* link_outage_kind_t */
    int64_t from, to;   /* ns; to may lie past the end of the run */
} link_outage_rec_t;

typedef void (*link_block_fn)(void *ctx, const link_block_rec_t *rec);
/* Where the link's key goes: a range of device `device`'s stream reaches
 * both ends at `now` (cause INITIAL or GENERATED). The world points it
 * at the link's storage design (storage.h). */
typedef int (*link_sink_fn)(void *ctx, size_t device, const kstore_range_t *r,
                            kstore_cause_t cause, int64_t now, sim_err_t *err);
typedef void (*link_outage_fn)(void *ctx, const link_outage_rec_t *rec);
/* A range of key reached both ends at `now` (after the sink took it). */
typedef void (*link_key_fn)(void *ctx, size_t device, const kstore_range_t *r,
                            kstore_cause_t cause, int64_t now);

/* The link's events, for any number of models (the trace is one of them,
 * link_trace_open). Each function may be NULL. */
typedef struct link_listener {
    link_block_fn on_block;     /* a block closed (it reaches the ends `delay` later) */
    link_outage_fn on_outage;   /* an outage began */
    link_key_fn on_key;         /* key delivered to the ends */
    void *ctx;
} link_listener_t;

#define LINK_MAX_LISTENERS 8

struct link;

typedef struct link_device {
    struct link *link;        /* set by link_start */
    uint32_t index;           /* 0-based position among the link's devices */
    uint64_t stream;          /* key stream id, unique in the run */
    link_device_config_t cfg;
    gsl_rng *fluct, *fail;    /* owned; NULL when not needed */

    /* run state */
    uint64_t next_k;          /* the next block to end */
    int64_t next_at;          /* its next step (block end or outage change);
                               * INT64_MAX past the run (set by link.c) */
    bool sched_down, fail_down;
    size_t next_outage;       /* the next scheduled outage to begin or end */
    int64_t fail_at;          /* next change of the failure process; INT64_MAX: none */
    int64_t up_ns, up_since;  /* up time before up_since; up since then (if up) */
    int64_t up_at_tick;       /* U(t) at the last block end */
    uint64_t cum_bits;        /* no fluctuation: floor(R U(up_at_tick)) */
    /* No fluctuation, whole R: R U(up_at_tick) = cum_bits * 1e9 + cum_rem
     * (bit ns), so that a block of full up time adds R * block = step_q *
     * 1e9 + step_rem without a division (step_ok: R * block fits). */
    uint64_t cum_rem, step_q, step_rem;
    bool cum_exact, step_ok;
    uint64_t last_k;          /* the last k with k * block <= INT64_MAX */
    double carry;             /* fluctuation: fraction of a bit carried */
    uint64_t held_bits, held_block;
    double held_rate;

    /* counters (bits and blocks) */
    uint64_t next_offset;     /* first stream bit not yet delivered */
    uint64_t generated;       /* bits in closed blocks (initial key excluded) */
    uint64_t blocks;          /* block intervals ended */
    uint64_t closed;          /* blocks closed with bits > 0 */
    uint64_t outages;         /* outages begun (both kinds) */
} link_device_t;

/* A closed block on its way to the ends (lazy links): due at `at` ns. */
typedef struct link_flight {
    int64_t at;
    uint64_t bits;
} link_flight_t;

typedef struct link {
    uint32_t index;
    const char *id;          /* borrowed */
    size_t a, b;             /* node indices */
    double length_m;         /* NaN when not given */
    uint64_t stream;         /* device 0's key stream id (index + 1) */
    link_sink_fn sink;       /* receives every range of key */
    void *sink_ctx;
    model_ctx_t *ctx;

    link_device_t *devices;  /* owned */
    size_t ndevices;

    link_listener_t listeners[LINK_MAX_LISTENERS];   /* in the order subscribed */
    size_t nlisteners;
    trace_table_t *t_blocks, *t_outages;   /* borrowed from the trace (link_trace_open) */

    uint64_t generated;      /* sum over devices */
    uint64_t blocks;         /* sum over devices */
    size_t devices_up;
    int64_t up_ns, up_since; /* time with at least one device up */

    /* Lazy key accrual (link_set_lazy): no kernel events; link_feed
     * runs the device's steps and deliveries due before the current time
     * when one of the link's stores is read, link_finish those due by the
     * end. */
    bool lazy;
    bool feeding;            /* link_feed is running: do not recurse */
    int64_t due;             /* lazy: the earliest pending step or delivery */
    link_flight_t *flight;   /* owned: closed blocks not yet delivered, FIFO */
    size_t flight_head, nflight, flight_cap;
} link_t;

/* Reads the <generation> children of e (a <link> or <link-defaults>) into
 * link->devices. link->id, ->index, ->stream and ->length_m must be set.
 * Errors name the element (file, line) and the link. On error the caller
 * still calls link_cleanup. */
int link_parse(link_t *link, const scn_elem_t *e, sim_err_t *err);

/* Creates the random streams from (ctx->seed, ctx->run), places `initial`
 * bits of device 0's stream in the sink at time 0 (offsets [0, initial))
 * and schedules each device's first event. */
int link_start(link_t *link, uint64_t initial, sim_err_t *err);

/* Lazy key accrual. The links' block ends, outage changes and
 * deliveries are late kernel events (sim_schedule_late_at): at one instant
 * they come after every other event, so a reader at t sees exactly the
 * key delivered before t. A lazy link keeps no events at all and gives
 * each reader that same state: its stores call link_feed (kstore_set_feed)
 * before they are read or changed, and link_feed runs, in the order the
 * events would have run, every step and delivery due before the current
 * time. The results are identical (docs/models.md, "Ties"); only the
 * kernel's event count differs. A link can be lazy only when nothing
 * listens to its blocks or deliveries (and to its outages, if it has
 * any), it has one device, and the caller knows that its sink only adds
 * key to the stores that feed from it (link_can_be_lazy). */
bool link_can_be_lazy(const link_t *link);
/* True when a device of the link has scheduled outages or failures. */
bool link_has_outages(const link_t *link);
/* Makes the link lazy (before link_start; link_can_be_lazy must hold). */
void link_set_lazy(link_t *link);
/* kstore_feed_fn of a lazy link's stores (ctx: the link_t). Errors stop
 * the run (model_fail). */
void link_feed(void *link);
/* Runs what a lazy link has due at or before `end` (the end of the run,
 * before its summaries are read); nothing for other links. */
int link_finish(link_t *link, int64_t end, sim_err_t *err);

/* Frees what the link owns (safe on a zeroed or partly parsed link). */
void link_cleanup(link_t *link);

/* Sum of the devices' model rates, bit/s. */
double link_nominal_rate(const link_t *link);

/* Up time in [0, t] (t >= the time of the last event run): of one device,
 * and of the link (at least one device up). */
int64_t link_device_up_ns(const link_device_t *d, int64_t t);
int64_t link_up_ns(const link_t *link, int64_t t);

/* Subscribes li (copied) to the link's events. SIM_ERR_RUN when
 * LINK_MAX_LISTENERS are already subscribed. */
int link_listen(link_t *link, const link_listener_t *li, sim_err_t *err);

/* Block intervals that end within a run of `end` ns, over all devices. */
double link_block_count(const link_t *link, int64_t end);

/* Adds the link's part of a run of `end` ns to *est: per block interval
 * of each device, two events (the block's end, its delivery; none when
 * the link is lazy), one
 * /link_blocks row (block_bytes: written only when blocks are logged) and
 * two level changes (the key reaches both ends); per outage (scheduled,
 * or expected failures end / (mtbf + mttr)), two events and one
 * /link_outages row (log_bytes). */
void link_estimate(const link_t *link, int64_t end, bool lazy, model_estimate_t *est);

/* ---- output (docs/trace-format.md): the link's own tables ---- */

/* The tables /link_devices (written at once), /link_blocks and
 * /link_outages (their rows by a listener subscribed to every link: block
 * rows when `block_rows` (<trace blocks>), outage rows when `outage_rows`
 * (not summary-only); each table exists, empty, otherwise). */
int link_trace_open(link_t *links, size_t n, trace_t *trace, bool block_rows, bool outage_rows,
                    sim_err_t *err);

/* The rows of /summary/link_devices for a run that ended at `end` (ns). */
int link_trace_summary(const link_t *links, size_t n, trace_t *trace, int64_t end,
                       sim_err_t *err);

/* "none", "lognormal", "gamma". */
const char *link_law_name(link_law_t law);

#endif
