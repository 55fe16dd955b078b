/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * etsi014.h - an ETSI GS QKD 014 client pair (master SAE, slave SAE, and
 * optionally additional slave SAEs): a load generator.
 *
 * Model (docs/models.md, "ETSI GS QKD 014 client pair"): master requests come
 * by an arrival process (arrival.h, stream "app/<id>/arrivals"). Each is
 * GET_KEY(number, size) (ETSI 014 "Get key" method) to the master's KME,
 * decided when it reaches the KME and answered kme_delay later:
 *   400  bad request, with the reason recorded: size out of range (0, below
 *        min_key_size, above max_key_size, or not a multiple of the KME's
 *        size-multiple), number out of range (0 or above
 *        max_key_per_request), or more additional slave SAEs than
 *        max_SAE_ID_count;
 *   503  the key service cannot give the key (not enough key at the
 *        master's KME, for the slave or for any additional slave);
 *   200  otherwise: the keys are supplied to the master and reserved at
 *        the slave's KME (and at each additional slave's).
 * A 503 may be retried (none, fixed delay, exponential back-off with a
 * cap, at most max_retries times); a request that finally gets 503 may be
 * served a non-ITS fallback key (PQC, or KDF-derived once the app holds
 * QKD key), counted and flagged. Each slave asks its KME for the keys by
 * their IDs (GET_KEY_WITH_KEY_IDS, the "Get key with key IDs" method)
 * slave_delay (the key-ID transfer delay) after the master's answer; its
 * KME knows them key_sync_delay after the grant: earlier it answers 400
 * (unknown key IDs) and the slave asks again slave_delay later. A design that lost the
 * keys to a collision answers 400 (unknown key IDs) too. Every
 * unaddressed_every-th granted GET_KEY, an SAE that the master did not
 * name asks the slave's KME for those keys: 401 (unauthorized).
 * GET_STATUS (the "Get status" method) comes by its own arrival process
 * (stream "app/<id>/status") from the master or the slave and is answered
 * 200 with every field of the standard's "Status" data format. An
 * additional slave's key comes from the link between the master's node and
 * its own when they share one (the key service binding env->bind makes);
 * if any such slave's key is short the request gets 503 and what was taken
 * for the others is given up (discarded_bits). An additional slave on a
 * node that shares no link with the master's is sent each grant's keys by
 * the key service (env->bind_send, keysvc_send: key relay); its KME knows
 * the key IDs once they arrive (and not before key_sync_delay): a slave
 * that asks before gets one 400 (unknown key IDs) and asks again only
 * when the relay reports, at its first slot (its first ask + k
 * (kme_delay + slave_delay)) at or after then; a final 400 if the relay
 * lost them. kme_delay + slave_delay must be positive when a slave may
 * be told to ask again (checked at load). A request
 * served a fallback key is answered fallback_delay later.
 *
 * It is the client kind "etsi014" (client.h): it gets its key through the
 * key service (keysvc.h) and owns the tables /requests, /status and the
 * rows of /summary/apps (docs/trace-format.md).
 *
 * Units: bits, ns, requests/s. Ownership: a client owns its arrival
 * configs and instances (and their generators), its pending requests and
 * its latency samples; the trace tables are borrowed from the trace.
 */
#ifndef QKM_MODELS_ETSI014_H
#define QKM_MODELS_ETSI014_H

#include <stdint.h>

#include "models/arrival.h"
#include "models/client.h"
#include "models/model.h"
#include "sim/qset.h"
#include "sim/scenario.h"
#include "sim/trace.h"

/* Request kinds, statuses and 400/401 reasons, as written to the request log. */
enum { ETSI014_GET_KEY = 1, ETSI014_GET_KEY_WITH_KEY_IDS = 2, ETSI014_GET_STATUS = 3 };
enum {
    ETSI014_OK = 200,
    ETSI014_BAD_REQUEST = 400,
    ETSI014_UNAUTHORIZED = 401,
    ETSI014_UNAVAILABLE = 503,
};
typedef enum etsi014_reason {
    ETSI014_REASON_NONE = 0,
    ETSI014_REASON_SIZE = 1,          /* 400: size out of range */
    ETSI014_REASON_NUMBER = 2,        /* 400: number out of range */
    ETSI014_REASON_UNKNOWN_IDS = 3,   /* 400: key IDs not at the slave's KME */
    ETSI014_REASON_SAE_COUNT = 4,     /* 400: additional slaves above max_SAE_ID_count */
    ETSI014_REASON_NOT_ADDRESSED = 5, /* 401: keys not addressed to the caller */
    ETSI014_REASON_NO_KEY = 6,        /* 503: not enough key */
} etsi014_reason_t;

typedef enum etsi014_retry {
    ETSI014_RETRY_NONE = 0,
    ETSI014_RETRY_FIXED = 1,
    ETSI014_RETRY_EXPONENTIAL = 2,
} etsi014_retry_t;

typedef enum etsi014_fallback {
    ETSI014_FALLBACK_NONE = 0,
    ETSI014_FALLBACK_PQC = 1,
    ETSI014_FALLBACK_KDF = 2,
} etsi014_fallback_t;

#define ETSI014_MAX_SLAVES 16   /* additional slave SAEs of one pair */

typedef struct etsi014_config {
    uint64_t size;          /* bits per key */
    uint64_t number;        /* keys per GET_KEY */
    uint64_t min_size;      /* bits; the KME's min_key_size */
    uint64_t max_size;      /* bits; the KME's max_key_size */
    uint64_t size_multiple; /* bits; sizes the KME accepts are multiples of it */
    uint64_t max_number;    /* the KME's max_key_per_request */
    uint64_t max_sae_ids;   /* the KME's max_SAE_ID_count */
    int64_t slave_delay;    /* ns: key-ID transfer, master's answer to slave's request */
    int64_t kme_delay;      /* ns */
    int64_t key_sync_delay; /* ns: grant to the keys being known at the slave's KME */
    int64_t start, stop;    /* ns; arrivals in [start, stop) */
    arrival_config_t arrivals;
    bool has_status;        /* a <get-status> child */
    arrival_config_t status;
    bool status_by_slave;
    etsi014_retry_t retry;
    int64_t retry_delay;    /* ns: the fixed delay, or the first back-off */
    int64_t retry_cap;      /* ns: the longest back-off */
    uint64_t max_retries;   /* 0: no limit */
    etsi014_fallback_t fallback;
    int64_t fallback_delay; /* ns added to the answer of a request served a fallback key */
    uint64_t unaddressed_every;   /* 0: never */
    uint32_t extra[ETSI014_MAX_SLAVES];   /* node indices of additional slaves */
    size_t nextra;
} etsi014_config_t;

/* One request, as the request log records it. */
typedef struct etsi014_record {
    int64_t t_request;      /* ns */
    int64_t t_response;     /* ns */
    uint32_t app;           /* app index */
    uint32_t node;          /* node index of the caller */
    uint32_t kind;          /* ETSI014_GET_KEY, _GET_KEY_WITH_KEY_IDS, _GET_STATUS */
    uint32_t status;        /* 200, 400, 401 or 503 */
    uint64_t number;        /* keys asked for */
    uint64_t size;          /* bits per key asked for */
    uint64_t bits;          /* bits delivered */
    uint64_t key_stream;    /* first key's ID: stream ... */
    uint64_t key_offset;    /* ... and offset (0, 0 when none) */
    int64_t t_first;        /* ns: when the request first came (before retries) */
    uint32_t attempt;       /* 0 for the first try, k for the k-th retry */
    uint32_t reason;        /* etsi014_reason_t */
    uint32_t fallback;      /* etsi014_fallback_t served instead (final 503s) */
    uint32_t retried;       /* 1: a 503 the SAE tries again (not a final answer) */
} etsi014_record_t;

/* One GET_STATUS answer (the "Status" data format), as /status records it. */
typedef struct etsi014_status_rec {
    int64_t t_request, t_response;   /* ns */
    uint32_t app;
    uint32_t source_kme, target_kme;   /* node indices of the caller's KME and the peer's */
    uint32_t master_sae, slave_sae;    /* node indices of the two SAEs */
    uint64_t key_size;                 /* bits */
    uint64_t stored_key_count;         /* keys of key_size the caller's KME can give */
    uint64_t max_key_count;            /* keys of key_size its store can hold */
    uint64_t max_key_per_request;
    uint64_t max_key_size, min_key_size;   /* bits */
    uint64_t max_sae_id_count;
} etsi014_status_rec_t;

/* Beyond the outcomes of its master GET_KEYs (client_t.outcomes: final
 * answers of logical requests). */
typedef struct etsi014_stats {
    uint64_t slave_requests, slave_ok;                 /* GET_KEY_WITH_KEY_IDS */
    uint64_t slave_failed;     /* keys lost to a collision (400 to the slave) */
    uint64_t bits;                                     /* supplied to the master */
    double latency_sum_ns;                             /* over master requests */
    uint64_t wasted;        /* format waste of the served requests, bits (one end) */
    uint64_t unauthorized;  /* 401 answers */
    uint64_t bad_size, bad_number, bad_sae_count, unknown_ids;   /* 400s by reason */
    uint64_t status_requests;
    uint64_t retries;       /* GET_KEY attempts answered 503 and tried again */
    double retry_wait_ns;   /* sum of the back-off delays */
    uint64_t fallback, fallback_bits;
    uint64_t discarded_bits;   /* taken for some slaves of a request that got 503 */
} etsi014_stats_t;

/* Requests in the system (from the first try to the final answer): the
 * time integral of their number, for Little's law. */
typedef struct etsi014_occupancy {
    uint64_t in_system;
    int64_t t_last;          /* ns */
    double area;             /* request * ns */
    int64_t *departures;     /* ring of pending final answers' times (ascending) */
    size_t head, count, cap;
} etsi014_occupancy_t;

typedef struct etsi014 {
    client_t base;              /* index, id, nodes, key service binding, outcomes */
    etsi014_config_t cfg;
    arrival_t *arrivals;        /* owned */
    arrival_t *status;          /* owned; NULL without <get-status> */
    trace_table_t *log;         /* /requests, borrowed from the trace; NULL: no log */
    trace_table_t *status_log;  /* /status, borrowed */
    client_output_t out;        /* what the log keeps */
    uint64_t logged;            /* requests offered to the log (both kinds) */
    uint64_t status_logged;     /* GET_STATUS calls offered to /status */
    etsi014_stats_t stats;
    etsi014_occupancy_t occ;
    qset_t latencies;           /* s, of every master request's final answer */
    struct etsi014_pending *pending;   /* slave requests and retries not yet made */
    struct etsi014_pending *spare;     /* done with, kept for reuse (owned) */
    /* Last: the bindings that most apps never touch, kept off the lines
     * every request reads. */
    keysvc_pair_t extra_key[ETSI014_MAX_SLAVES];   /* additional slaves' bindings (nodes
                                                       next to the master's) */
    keysvc_send_t extra_send[ETSI014_MAX_SLAVES];  /* the others': key relay (remote set) */
} etsi014_t;

/* Reads the <etsi014> element's attributes and its <arrivals> child. */
int etsi014_config_parse(const scn_elem_t *e, int64_t end, etsi014_config_t *cfg,
                         sim_err_t *err);

/* The kind (registered in client.c). */
extern const client_kind_t etsi014_kind;

#endif
