/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * relay_impl.h - the relay's insides, shared by relay.c (jobs and
 * events), relay_config.c (the scenario element, flows, binding) and
 * relay_out.c (its tables). Not for other modules.
 */
#ifndef QKM_MODELS_RELAY_IMPL_H
#define QKM_MODELS_RELAY_IMPL_H

#include <gsl/gsl_rng.h>

#include "models/gstore.h"
#include "models/relay.h"
#include "models/route.h"
#include "models/sched.h"
#include "sim/qset.h"

typedef enum relay_flow_kind {
    RELAY_FLOW_RATE = 0,    /* continuous demand: a rate */
    RELAY_FLOW_AMOUNT = 1,  /* one-time demand: an amount */
    RELAY_FLOW_GLOBAL = 2,  /* a client pair served from a global store */
    RELAY_FLOW_SEND = 3     /* key a client's KME sends on demand (keysvc_send) */
} relay_flow_kind_t;

typedef struct relay relay_t;

typedef struct relay_flow {
    relay_t *relay;
    uint32_t index;            /* dense from 0: sched_flow_t.id */
    const char *id;            /* borrowed from the scenario */
    const scn_elem_t *elem;    /* its element (errors) */
    relay_flow_kind_t kind;
    uint32_t src, dst;         /* nodes */
    double demand;             /* demanded rate, bit/s (AMOUNT: amount / active time) */
    double rate;               /* current job rate, bit/s (QKDTL may halve it) */
    uint64_t amount;           /* AMOUNT: bits */
    uint64_t job_bits;         /* bits per job */
    int64_t start, stop;       /* ns */
    gsl_rng *rng;              /* Poisson arrivals; NULL: periodic */
    sched_flow_t sf;
    bool blocked;              /* refused by admission: its jobs are refused */
    gstore_t *gs;              /* GLOBAL: owned */
    uint64_t inflight;         /* GLOBAL: bits under way to the global store */

    uint32_t est_hops;         /* hops of its first path (the estimate) */
    uint64_t hop_waits;        /* hops spent, each with its wait: */
    double hop_wait_sum, hop_wait_max;   /* s, from first queued on the hop to spent */
    uint64_t jobs, done, cut, refused, halvings;
    uint64_t delivered, spent, tags, stranded;   /* bits; spent and stranded once per link */
    qset_t lat;                /* latencies of done jobs, s */
} relay_flow_t;

typedef enum relay_hop_state {
    RELAY_HOP_IDLE = 0, RELAY_HOP_QUEUED, RELAY_HOP_RESERVED, RELAY_HOP_SPENT
} relay_hop_state_t;

typedef struct relay_hop {
    sched_job_t sj;            /* bits: the hop's cost */
    relay_hop_state_t state;
    bool queued;               /* queued on its link at least once */
    int64_t since;             /* ns: when it was first queued (its wait starts) */
} relay_hop_t;

typedef struct relay_job {
    relay_flow_t *flow;
    uint64_t id;               /* in the run, from 0 */
    uint64_t seq;              /* in its flow, from 0 (the sampled log) */
    uint64_t bits;             /* end-to-end key, N */
    route_path_t path;         /* from where it was last routed */
    relay_hop_t *hops;         /* one per hop of path */
    uint32_t hops_cap;         /* hops allocated (kept when the record is reused) */
    uint32_t at;               /* hop-by-hop store and forward: the next hop */
    uint32_t nspent, nreserved;
    uint32_t hops_before;      /* hops crossed before the last re-route */
    uint32_t rerouted;
    bool e2e;                  /* end-to-end reservation */
    bool in_flight;            /* a hop's message is under way */
    bool arg_done;             /* its delivery is scheduled */
    int64_t enqueued;          /* ns */
    uint64_t spent;            /* link key spent, bits once per link */
    keysvc_sent_fn notify;     /* SEND: told when it ends during the run; NULL: none */
    void *notify_arg;
    struct relay_job *lnext, *lprev;   /* the live list */
} relay_job_t;

typedef struct relay_link {
    relay_t *relay;
    uint32_t index;
    const sched_policy_t *pol;
    void *st;                  /* the policy's state */
    bool qkdtl;
    int64_t prop_ns;           /* propagation over the link (no length: 0), set at finish */
    uint64_t *flows;           /* bit set of flows declared to pol */
    uint64_t reserved;         /* bits reserved by end-to-end jobs */
    uint64_t seq;              /* arrival order on the link */
    uint64_t spent;            /* relay key spent on the link, bits */
    uint64_t tags;             /* of spent, authentication tags, bits */
    uint64_t hops;             /* relay hops spent on the link */
    double wait_sum;           /* s, the waits of those hops */
    double rate_key;           /* routing's key metric: the key at the last ... */
    int64_t rate_t;            /* ... refresh (ns), rate_seen once there was one */
    bool rate_seen;
    bool serving;
} relay_link_t;

typedef struct relay_config {
    relay_method_t method;
    relay_mode_t mode;
    uint64_t tag;              /* bits */
    int64_t hop_delay;         /* ns */
    uint64_t job;              /* bits, the default job size */
    bool cut_through;          /* hop-by-hop: take free hops ahead at once (relay.h) */
    const char *scheduler;     /* the network's policy name */
    gstore_config_t global;    /* defaults of the global stores */
} relay_config_t;

struct relay {
    relay_env_t env;
    const scn_elem_t *root;    /* the scenario's root (node overrides) */
    const scn_elem_t *elem;    /* <relay>, NULL when none */
    bool running;              /* started: links report up and down */
    relay_config_t cfg;
    route_t *route;
    route_view_t view;
    relay_link_t *lk;          /* one per link */
    relay_flow_t **flows;      /* owned; grows by doubling */
    size_t nflows, flows_cap;
    relay_job_t *live;         /* jobs under way, owned */
    relay_job_t *spare;        /* ended jobs' records for reuse (lnext), owned */
    size_t nspare;             /* at most RELAY_SPARE_MAX */
    uint64_t njobs;
    uint64_t spent, tags, stranded;   /* bits once per link */

    /* output */
    trace_table_t *t_relays;
    client_output_t log;
};

extern const keysvc_remote_t relay_remote;

/* relay.c */
int relay_job_start(relay_t *r, relay_flow_t *f, uint64_t bits, int64_t now, sim_err_t *err);
/* The same, telling fn(arg, ...) when the job is delivered, cut or
 * refused during the run (not when the run ends first). */
int relay_job_start_notify(relay_t *r, relay_flow_t *f, uint64_t bits, int64_t now,
                           keysvc_sent_fn fn, void *arg, sim_err_t *err);
int relay_end_run(relay_t *r, int64_t end, sim_err_t *err);
uint64_t relay_hop_cost(relay_method_t m, uint64_t bits, uint64_t tag, uint32_t i);
/* Propagation over a link at RELAY_SIGNAL_SPEED, ns (no length: 0). */
int64_t relay_link_prop_ns(const link_t *link);
int relay_flow_on_link(relay_t *r, relay_flow_t *f, uint32_t l, bool *ok, sim_err_t *err);

/* relay_config.c */
int relay_bind_pair(void *ctx, uint32_t app, const char *id, uint32_t master, uint32_t slave,
                    uint64_t size, uint64_t number, double rate, void **rpair, sim_err_t *err);
int relay_pair_path(void *rpair, int64_t now, keysvc_hop_t **hops, size_t *n, sim_err_t *err);
int relay_bind_send(void *ctx, uint32_t app, const char *id, uint32_t src, uint32_t dst,
                    const keysvc_send_demand_t *d, void **rsend, sim_err_t *err);
int relay_check_globals(relay_t *r, sim_err_t *err);
int relay_check_path(relay_t *r, relay_flow_t *f, sim_err_t *err);
int relay_make_scheds(relay_t *r, sim_err_t *err);

/* relay_out.c */
int relay_log_job(relay_t *r, const relay_job_t *j, relay_outcome_t o, int64_t now,
                  sim_err_t *err);

#endif
