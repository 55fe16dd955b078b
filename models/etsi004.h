/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * etsi004.h - an ETSI GS QKD 004 application pair (source SAE, destination
 * SAE): key-stream sessions with QoS, as a load generator (docs/models.md,
 * "ETSI GS QKD 004").
 *
 * Model. Session openings arrive by an arrival process (arrival.h:
 * Poisson, periodic, on/off or a CSV trace; at most `count`), or `count`
 * openings come at once. Each opening is the source's
 * OPEN_CONNECT(source, destination, QoS, key_stream_id), decided when it
 * reaches the KME and answered kme_delay later:
 *   4  no QKD connection available: the link's mean rate is 0, or every
 *      one of its QKD devices is in a scheduled outage at that instant;
 *   5  key_stream_id in use: the application asks a fixed key stream ID
 *      (key-stream-id="fixed") and a session of this client holds it;
 *   4  (a pair served by key relay) no path of links that are up joins
 *      the pair at that instant (keysvc_path);
 *   7  QoS could not be met: the admission policy reserves key rate
 *      (admission="min": min_bps, "max": max_bps) on every link of the
 *      pair's path (one link, or the relay's path: ask x the hop's cost,
 *      the link key the relay spends per delivered bit) and a link's
 *      mean rate minus what open sessions reserved on it is below that;
 *      the largest ask the path could take is recorded as the
 *      counter-proposal;
 *   1  otherwise: connected, the peer not yet; the destination's
 *      OPEN_CONNECT with the same key_stream_id follows peer_delay after
 *      the source's answer and gets 0.
 * An admitted session's source calls GET_KEY(key_stream_id, index) every
 * T = key_chunk_size * 8 / max_bps seconds (its pace, never faster); each
 * call, decided when it reaches the KME, answered kme_delay later:
 *   8  the application's metadata buffer (metadata-size bytes) is smaller
 *      than the KME's metadata (kme-metadata bytes): the answer carries
 *      the size needed, the application grows its buffer and calls again;
 *   3  the destination has not connected yet;
 *   0  a key chunk of key_chunk_size bytes was taken through the key
 *      service (keysvc_get_key); the destination calls GET_KEY for the
 *      same index peer_delay after the source's answer and receives the
 *      same key (keysvc_fetch; 2 when the design cannot deliver it);
 *   2  not enough key and timeout = 0 (a call that does not wait), or a
 *      held call when the session closes;
 *   6  not enough key during `timeout`: the KME holds the call and tries
 *      again every `poll` until it can serve it (0) or timeout has passed
 *      since the call (6, TIMEOUT_ERROR: a GET_KEY timeout).
 * The session closes (CLOSE, releasing its reservation) `duration` after
 * its OPEN_CONNECT, or at TTL expiry when the TTL is shorter.
 *
 * QoS accounting per session: delivered bits (source end), rate =
 * delivered / (closed - opened), jitter = standard deviation of the times
 * between successive deliveries (GSL running statistics), GET_KEY
 * timeouts; QoS met when rate >= min_bps and, when a jitter is asked,
 * jitter <= the asked jitter. Per client: the statuses of all calls, and
 * the mean and p50/p95/p99 of the source's GET_KEY latencies (GSL).
 *
 * The pair is bound by the key service. A pair on one link: status 4
 * reads that link's scheduled outages. A pair served by key relay: at
 * each OPEN_CONNECT the key service gives the path the relay would use
 * then (keysvc_path). Every link's mean rate (and, on one link, its
 * scheduled outages) is read from its <link> element with the link
 * module's reader (link_parse), once per link; a link without one (a
 * GraphML link) has no known rate: admission on a pair whose path at
 * load crosses one is an input error, and a later path through one is
 * refused with 7.
 *
 * Admission bookkeeping (etsi004_admit_t) is per link, keyed by link
 * index, shared by every etsi004 client of the run, so that sessions on
 * one link and sessions relayed across it count against the same rate.
 * A session keeps the links it reserved on at OPEN_CONNECT until it
 * closes, even if the relay re-routes the pair meanwhile. The kind's
 * trace_open, the one hook that sees all its clients before any starts,
 * hands them the shared table; a client started without it (no trace)
 * keeps a table of its own.
 *
 * Random numbers: openings draw from the stream "app/<id>/sessions" (and
 * "app/<id>/sessions/phase" for on/off).
 *
 * It is the client kind "etsi004" (client.h). It owns /etsi004_calls (one
 * row per call, kept as the request log setting says), /sessions (one row
 * per session), /summary/sessions (one row per client) and the network
 * counters sessions_refused, sessions_qos_met and get_key_timeouts
 * (docs/trace-format.md).
 *
 * Units: bits, bytes where the standard says bytes (key_chunk_size,
 * metadata sizes), bit/s, ns. Ownership: the world owns the clients; a
 * client owns its sessions; the admission table is shared by reference
 * count.
 */
#ifndef QKM_MODELS_ETSI004_H
#define QKM_MODELS_ETSI004_H

#include <stdbool.h>
#include <stdint.h>

#include "models/arrival.h"
#include "models/client.h"
#include "models/storage.h"
#include "sim/scenario.h"

/* The standard's status codes (ETSI GS QKD 004 V2.1.1). */
enum etsi004_status {
    ETSI004_SUCCESSFUL = 0,
    ETSI004_PEER_NOT_CONNECTED = 1,
    ETSI004_INSUFFICIENT_KEY = 2,
    ETSI004_GET_KEY_PEER_NOT_CONNECTED = 3,
    ETSI004_NO_QKD_CONNECTION = 4,
    ETSI004_KSID_IN_USE = 5,
    ETSI004_TIMEOUT = 6,
    ETSI004_QOS_NOT_MET = 7,
    ETSI004_METADATA_SIZE_INSUFFICIENT = 8,
};
#define ETSI004_NSTATUS 9

/* Calls, as the call log records them. */
enum etsi004_call { ETSI004_OPEN_CONNECT = 1, ETSI004_GET_KEY = 2, ETSI004_CLOSE = 3 };

/* How a session ended (/sessions close_cause). */
enum etsi004_cause {
    ETSI004_REFUSED = 0,   /* OPEN_CONNECT answered 4, 5 or 7 */
    ETSI004_CLOSED = 1,    /* CLOSE after its duration */
    ETSI004_TTL = 2,       /* TTL expiry */
    ETSI004_OPEN = 3,      /* still open at the end of the run */
};

typedef enum etsi004_admission { ETSI004_ADMIT_NONE, ETSI004_ADMIT_MIN, ETSI004_ADMIT_MAX } etsi004_admission_t;
typedef enum etsi004_ksid { ETSI004_KSID_ASSIGNED, ETSI004_KSID_FIXED } etsi004_ksid_t;

/* The QoS of OPEN_CONNECT. */
typedef struct etsi004_qos {
    uint64_t key_chunk_size;   /* bytes per GET_KEY */
    double max_bps, min_bps;   /* bit/s */
    int64_t jitter;            /* ns; the largest acceptable jitter, 0: none asked */
    uint32_t priority;         /* recorded; the model does not use it */
    int64_t timeout;           /* ns; 0: GET_KEY does not wait */
    int64_t ttl;               /* ns; INT64_MAX: none */
} etsi004_qos_t;

typedef struct etsi004_config {
    etsi004_qos_t qos;
    etsi004_admission_t admission;
    etsi004_ksid_t ksid;
    uint64_t metadata_size;    /* bytes: the application's metadata buffer */
    uint64_t kme_metadata;     /* bytes: the metadata the KME returns */
    int64_t peer_delay, kme_delay, poll;   /* ns */
    /* openings (<sessions>) */
    bool arrivals;             /* by the arrival process `openings`; false: count at start */
    arrival_config_t openings; /* owned (etsi004_config_free) */
    uint64_t count;            /* at most this many openings; UINT64_MAX: no limit */
    int64_t duration;          /* ns a session lasts; INT64_MAX: to TTL or the end */
    int64_t start, stop;       /* ns; openings in [start, stop) */
} etsi004_config_t;

/* Reads the <etsi004> element's attributes and its <qos> and <sessions>
 * children. Errors name the element; free cfg with etsi004_config_free
 * either way. */
int etsi004_config_parse(const scn_elem_t *e, int64_t end, etsi004_config_t *cfg,
                         sim_err_t *err);
void etsi004_config_free(etsi004_config_t *cfg);

/* ------------------------------------------------------- admission */

/* Key rate reserved per link (the links the key service binds pairs to),
 * against each link's mean rate (the sum of its devices' rates while up).
 * One table is shared by every etsi004 client of a run. */
typedef struct etsi004_admit etsi004_admit_t;

/* NULL when out of memory. The creator holds one reference. */
etsi004_admit_t *etsi004_admit_create(void);
/* Adds a reference; etsi004_admit_release drops one, freeing at zero. */
void etsi004_admit_retain(etsi004_admit_t *a);
void etsi004_admit_release(etsi004_admit_t *a);

/* Makes link `link` known with its mean rate (bit/s); a link already
 * known keeps its rate and reservations. SIM_ERR_RUN when out of memory. */
int etsi004_admit_add(etsi004_admit_t *a, uint32_t link, double mean_bps, sim_err_t *err);

/* Reserves a session's rate of `bps` (bit/s delivered to the pair) on
 * each of the n hops of its path: bps x hops[i].cost on link
 * hops[i].link, all or none. False when one of them (or an unknown link)
 * has less than that left (mean rate minus reserved); *left (may be NULL)
 * then receives the largest session rate the path could take, the
 * counter-proposal: the least over the hops of left_i / cost_i. */
bool etsi004_admit_reserve(etsi004_admit_t *a, const keysvc_hop_t *hops, size_t n, double bps,
                           double *left);
/* Releases a reservation made by etsi004_admit_reserve (the same hops
 * and bps). */
void etsi004_admit_free(etsi004_admit_t *a, const keysvc_hop_t *hops, size_t n, double bps);
/* The rate reserved on link now and its mean rate (bit/s); false when
 * the link is unknown. */
bool etsi004_admit_state(const etsi004_admit_t *a, uint32_t link, double *reserved,
                         double *mean_bps);

/* The kind (registered in client.c). */
extern const client_kind_t etsi004_kind;

#endif
