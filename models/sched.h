/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sched.h - relay schedulers: which waiting relay job a link's key serves
 * next (docs/models.md, "Relay schedulers"; docs/architecture.md, "Adding
 * a relay scheduler").
 *
 * One link (one hop) has one scheduler instance. Several flows (demands
 * relayed over that hop) share its key; each relay job waiting for key on
 * the hop is a sched_job_t that the relay owns and the scheduler links
 * into its queues (intrusive, no allocation per job). A policy is a table
 * of functions (sched_policy_t) registered in one table in sched.c; adding
 * a policy is one new file and one line in that table. The bundled ones:
 *
 *   fifo     global arrival order on the hop (Quantum Canada, one-time demand)
 *   dwrr     deficit round robin (Shreedhar and Varghese 1995), quanta from
 *            each flow's weight or from its demanded rate
 *   prio     strict priority classes, any number, FIFO within a class;
 *            guaranteed flows (QKRA) before every class (Cheng 2011)
 *   ddka     ascending est(K) = (1-w) ln K_qua + w ln(10 - K_sec), ties in
 *            arrival order (DDKA-QKDN 2022)
 *   toshiba  service in proportion to demanded rate (Toshiba 2016); the
 *            closed form is sched_toshiba_allocate
 *   qkdtl    SECOQC QKDTL: FIFO service, admission on announced rate and a
 *            congestion flag when the hop's store runs low
 *
 * How the relay drives a scheduler (one instance per link):
 *   create once; add_flow for every flow crossing the link (ids dense from
 *   0, any order); admit before a flow starts sending (policies without
 *   admission always accept); enqueue each job that needs key on the
 *   link; whenever key arrives on the link or a job is enqueued, call
 *   next(available) repeatedly, taking job->bits with keysvc_take for each
 *   job returned, until it returns NULL; remove a job that leaves the
 *   queue for another reason (timeout, re-route, path cut). next never
 *   skips the job its rule picks: when that job needs more than the
 *   available key it returns NULL and the job waits for more key (so a
 *   large job is not starved by smaller ones behind it). A job returned
 *   by next is no longer queued; if the relay then cannot spend the key
 *   after all, it may enqueue the job again (it gets a fresh place).
 *
 * Proposed scenario attributes (the relay's XSD): <relay scheduler="dwrr"
 * quantum="2048" quanta="weight|rate" ddka-w="0.5" low-threshold="..."/>
 * per network, and the same element inside a <node> as a per-node
 * override; per flow (the pair): weight, class, guaranteed, security.
 *
 * Units: bits, bits/s, ns. Ownership: a scheduler state is created by
 * create and freed by destroy; jobs and flows belong to the relay (the
 * scheduler copies what it needs from sched_flow_t, and links jobs through
 * their next/prev fields while they are queued: a queued job must stay
 * alive until next or remove returns it). Schedulers never see stores,
 * links or the key service.
 */
#ifndef QKM_MODELS_SCHED_H
#define QKM_MODELS_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/error.h"

/* One demand sharing a link's key. */
typedef struct sched_flow {
    uint32_t id;        /* the flow's index (the relay's), dense from 0 */
    double weight;      /* DWRR weight > 0 (default 1) */
    double rate;        /* demanded or announced rate, bits/s (0 = none) */
    uint32_t cls;       /* priority class, 0 = highest, <= SCHED_CLASS_MAX */
    bool guaranteed;    /* QKRA class: the relay reserves on every hop */
    double sec;         /* DDKA security level K_sec, 0 <= sec < 10 (default 0) */
} sched_flow_t;

/* One job waiting for key on one link: owned by the relay, linked by the
 * scheduler while queued. */
typedef struct sched_job {
    struct sched_job *next, *prev;   /* the scheduler's, while queued */
    uint32_t flow;      /* sched_flow_t.id */
    uint64_t bits;      /* key the job needs on this link, tag included; > 0 */
    int64_t enqueued;   /* ns, set by the relay */
    uint64_t seq;       /* arrival order on this link, increasing; set by the relay */
    double rank;        /* the scheduler's (DDKA: est), set on enqueue */
    void *owner;        /* the relay's */
} sched_job_t;

/* DDKA's metric for one job: *k_qua > 0 (key quantity asked for) and
 * *k_sec in [0, 10) (security level). */
typedef void (*sched_metric_fn)(void *ctx, const sched_job_t *j, double *k_qua, double *k_sec);

typedef enum { SCHED_QUANTA_WEIGHT = 0, SCHED_QUANTA_RATE = 1 } sched_quanta_t;

#define SCHED_QUANTUM_DEFAULT 2048u   /* bits */
#define SCHED_DDKA_W_DEFAULT 0.5
#define SCHED_CLASS_MAX 65535u        /* largest priority class */

/* Per-policy parameters; each policy reads the fields it needs. */
typedef struct sched_params {
    uint64_t quantum;        /* dwrr, toshiba: bits, the quantum of the flow with
                                the largest weight (or rate); others in proportion */
    sched_quanta_t quanta;   /* dwrr: quanta from weight or from rate (toshiba: rate) */
    double ddka_w;           /* ddka: w in [0, 1] */
    sched_metric_fn metric;  /* ddka: NULL = K_qua = job bits, K_sec = flow's sec */
    void *metric_ctx;        /* passed to metric */
    uint64_t low_threshold;  /* qkdtl: bits; a store below it is congested */
} sched_params_t;

/* Defaults: quantum SCHED_QUANTUM_DEFAULT, quanta from weight, ddka_w
 * SCHED_DDKA_W_DEFAULT, no metric, low_threshold 0. */
void sched_params_default(sched_params_t *p);

/* A flow with defaults: weight 1, no rate, class 0, not guaranteed, sec 0. */
void sched_flow_default(sched_flow_t *f, uint32_t id);

typedef struct sched_policy {
    const char *name;   /* "fifo", "dwrr", "prio", "ddka", "toshiba", "qkdtl" */
    /* Makes a state from p (copied). SIM_ERR_INPUT for a bad parameter
     * (the message names it), SIM_ERR_RUN when out of memory. */
    int (*create)(const sched_params_t *p, void **state, sim_err_t *err);
    /* Declares a flow (ids dense from 0; adding an id twice is an error).
     * SIM_ERR_INPUT when the flow lacks what the policy needs (e.g. rate
     * quanta and no rate), naming it. */
    int (*add_flow)(void *st, const sched_flow_t *f, sim_err_t *err);
    /* Admission of an added flow at capacity_bps, the rate the link can
     * carry for relay (bits/s). true = admitted (and recorded); NULL =
     * always admitted. */
    bool (*admit)(void *st, const sched_flow_t *f, double capacity_bps);
    /* The flow stops sending: frees what admit recorded. May be NULL. */
    void (*release)(void *st, uint32_t flow);
    /* Queues j (its flow added) at now (ns). */
    void (*enqueue)(void *st, sched_job_t *j, int64_t now);
    /* Dequeues the job to serve now when its bits <= available_bits, or
     * NULL (queue empty, or the job the rule picks needs more key). */
    sched_job_t *(*next)(void *st, uint64_t available_bits, int64_t now);
    /* Takes queued job j out of the queue (timeout, re-route). */
    void (*remove)(void *st, sched_job_t *j);
    /* Jobs queued. */
    size_t (*pending)(const void *st);
    void (*destroy)(void *st);
} sched_policy_t;

/* The registry, NULL-terminated, in the order above. */
extern const sched_policy_t *const sched_policies[];

/* The policy called name, or NULL. */
const sched_policy_t *sched_find(const char *name);

/* Toshiba's closed form: n flows demanding demands[i] bits/s over a path
 * carrying capacity bits/s get out[i] = demands[i] * min(1, capacity /
 * sum demands) bits/s (global key generated at the sum of demands capped
 * at the capacity, shared in proportion to demand). Returns the total. */
double sched_toshiba_allocate(const double *demands, size_t n, double capacity, double *out);

/* QKDTL congestion flag (st a "qkdtl" state): true when the hop's store
 * holds fewer than low_threshold bits. The relay checks it on every hop
 * of a flow and, when set, halves the sender's rate with
 * sched_qkdtl_halve (SECOQC: delayed ACKs halve the sender's window). */
bool sched_qkdtl_congested(const void *st, uint64_t stored_bits);

/* Halves the rate recorded for admitted flow `flow` (freeing capacity for
 * later admissions) and returns the new rate, bits/s (0 when the flow is
 * not admitted). */
double sched_qkdtl_halve(void *st, uint32_t flow);

#endif
