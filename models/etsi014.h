/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * etsi014.h - an ETSI GS QKD 014 client pair (master SAE, slave SAE) on the
 * two ends of one QKD link: a load generator.
 *
 * Model (docs/models.md, "ETSI GS QKD 014 client"): master requests
 * arrive by a Poisson process of rate lambda (or periodically, every
 * 1/lambda). Each is GET_KEY(number, size) to the master's KME, answered
 * after kme_delay:
 *   400  size is 0, size < min_size or size > max_size, or number < 1 or
 *        number > max_number (ETSI 014: size or number out of range);
 *   503  the link's storage design (storage.h) cannot give the key at the
 *        master: the store it serves this client from holds fewer than the
 *        bits the request takes, or it reserves Mmin and the request would
 *        cut into it (ETSI 014: error of server, not enough key);
 *   200  otherwise: number keys of size bits are taken for the master
 *        (supplied); in the coordinated designs the same ranges are set
 *        aside at the slave's end (reserved) at the same instant, as the
 *        KMEs agree on key IDs.
 * The bits a request takes follow the store's key format (kformat.h):
 * number * key_bits(size) >= number * size; the excess is waste, counted
 * in the master's store at once and in the slave's store when the slave
 * fetches the keys, and in the app's stats. `bits` in the request log is
 * the key delivered to the SAE, number * size.
 * After a 200, the slave calls GET_KEY_WITH_KEY_IDS(key IDs) slave_delay
 * after it learns the IDs (the master's answer), answered after kme_delay
 * with 200 and its key moves from reserved to supplied; or with 400 when
 * the design cannot deliver those key IDs (a key access collision: the
 * slave's KME gave the same key to another client). Key decisions are made
 * when a request reaches the KME (its arrival); latency = response time -
 * request time. A key ID is the identity of the key's first bit: (stream,
 * offset), written to the request log.
 *
 * Random numbers: the arrivals draw from the stream "app/<id>/arrivals".
 *
 * It is the client kind "etsi014" (client.h): it gets its key through the
 * key service (keysvc.h) and owns the request log /requests and the rows
 * of /summary/apps (docs/trace-format.md).
 */
#ifndef QKM_MODELS_ETSI014_H
#define QKM_MODELS_ETSI014_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "models/client.h"
#include "models/model.h"
#include "sim/scenario.h"
#include "sim/trace.h"

/* Request kinds and statuses, as written to the request log. */
enum { ETSI014_GET_KEY = 1, ETSI014_GET_KEY_WITH_KEY_IDS = 2 };
enum { ETSI014_OK = 200, ETSI014_BAD_REQUEST = 400, ETSI014_UNAVAILABLE = 503 };

typedef enum etsi014_process { ETSI014_POISSON = 0, ETSI014_PERIODIC = 1 } etsi014_process_t;

typedef struct etsi014_config {
    uint64_t size;          /* bits per key */
    uint64_t number;        /* keys per GET_KEY */
    uint64_t min_size;      /* bits; the KME's min_key_size */
    uint64_t max_size;      /* bits; the KME's max_key_size */
    uint64_t max_number;    /* the KME's max_key_per_request */
    int64_t slave_delay;    /* ns */
    int64_t kme_delay;      /* ns */
    int64_t start, stop;    /* ns; arrivals in [start, stop) */
    etsi014_process_t process;
    double rate;            /* requests per second */
} etsi014_config_t;

/* One request, as the request log records it. */
typedef struct etsi014_record {
    int64_t t_request;      /* ns */
    int64_t t_response;     /* ns */
    uint32_t app;           /* app index */
    uint32_t node;          /* node index of the caller */
    uint32_t kind;          /* ETSI014_GET_KEY or ETSI014_GET_KEY_WITH_KEY_IDS */
    uint32_t status;        /* 200, 400 or 503 */
    uint64_t number;        /* keys asked for */
    uint64_t size;          /* bits per key asked for */
    uint64_t bits;          /* bits delivered */
    uint64_t key_stream;    /* first key's ID: stream ... */
    uint64_t key_offset;    /* ... and offset (0, 0 when none) */
} etsi014_record_t;

/* Beyond the outcomes of its master GET_KEYs (client_t.outcomes). */
typedef struct etsi014_stats {
    uint64_t slave_requests, slave_ok;                 /* GET_KEY_WITH_KEY_IDS */
    uint64_t slave_failed;     /* GET_KEY_WITH_KEY_IDS answered 400 (collisions) */
    uint64_t bits;                                     /* supplied to the master */
    double latency_sum_ns;                             /* over master requests */
    uint64_t wasted;        /* format waste of the served requests, bits (one end) */
} etsi014_stats_t;

typedef struct etsi014 {
    client_t base;              /* index, id, nodes, key service binding, outcomes */
    etsi014_config_t cfg;
    gsl_rng *rng;               /* owned */
    trace_table_t *log;         /* /requests, borrowed from the trace; NULL: no log */
    client_output_t out;        /* what the log keeps */
    uint64_t logged;            /* requests offered to the log (both kinds) */
    etsi014_stats_t stats;
    struct etsi014_pending *pending;   /* slave requests not yet answered */
    struct etsi014_pending *spare;     /* answered ones, reused (a calloc and free per
                                        * request were a hot spot) */
} etsi014_t;

/* Reads the <etsi014> element's attributes and its <arrivals> child. */
int etsi014_config_parse(const scn_elem_t *e, int64_t end, etsi014_config_t *cfg,
                         sim_err_t *err);

/* The kind (registered in client.c). */
extern const client_kind_t etsi014_kind;

#endif
