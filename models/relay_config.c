/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * relay_config.c - the <relay> element, its demands and the relayed
 * client pairs (relay.h; docs/scenario-format.md, "relay").
 */
#include "models/relay_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/grow.h"
#include "sim/rng.h"
#include "sim/units.h"

/* The first stream id of the global stores' key: above every link's. */
#define RELAY_STREAM_BASE (UINT64_C(1) << 48)

#define RELAY_DEFAULT_JOB 4096u
#define RELAY_DEFAULT_TAG 128u
#define RELAY_DEFAULT_HOP_DELAY SIM_MS
#define RELAY_DEFAULT_LOWER 16384u
#define RELAY_DEFAULT_UPPER 65536u
#define RELAY_CLASS_MAX 65535u   /* the schedulers' largest class */

static const char *const relay_bools[] = { "false", "true", "0", "1", NULL };

static int relay_attr_bool(const scn_elem_t *e, const char *name, bool *out, sim_err_t *err)
{
    int v = *out ? 1 : 0;
    int rc = scn_attr_enum(e, name, false, relay_bools, &v, err);
    *out = v % 2 == 1;
    return rc;
}

/* ------------------------------------------------------------ schedulers */

/* The scheduler attributes of e over p (and *name); absent ones stay. */
static int relay_sched_attrs(const scn_elem_t *e, const char **name, sched_params_t *p,
                             sim_err_t *err)
{
    static const char *const quanta[] = { "weight", "rate", NULL };
    int q = (int)p->quanta;
    int rc;
    if (e == NULL)
        return SIM_OK;
    if ((rc = scn_attr_string(e, "scheduler", false, name, err)) != SIM_OK ||
        (rc = scn_attr_bits(e, "quantum", false, &p->quantum, err)) != SIM_OK ||
        (rc = scn_attr_enum(e, "quanta", false, quanta, &q, err)) != SIM_OK ||
        (rc = scn_attr_double(e, "ddka-w", false, &p->ddka_w, err)) != SIM_OK ||
        (rc = scn_attr_bits(e, "low-threshold", false, &p->low_threshold, err)) != SIM_OK)
        return rc;
    p->quanta = (sched_quanta_t)q;
    if (sched_find(*name) == NULL)
        return scn_error(e, err, "attribute 'scheduler': no relay scheduler '%s' (expected "
                         "fifo, dwrr, prio, ddka, toshiba or qkdtl)", *name);
    return SIM_OK;
}

/* The <relay> of node n's element, NULL when none. */
static const scn_elem_t *relay_node_elem(const relay_t *r, const scn_elem_t *root, uint32_t n)
{
    const scn_elem_t *nodes = scn_child(root, "nodes");
    for (const scn_elem_t *e = nodes != NULL ? scn_child(nodes, "node") : NULL; e != NULL;
         e = scn_next_sibling(e, "node")) {
        const scn_elem_t *re = scn_child(e, "relay");
        const char *id = scn_attr(e, "id");
        if (re != NULL && id != NULL && strcmp(id, r->env.node_id(r->env.world, n)) == 0)
            return re;
    }
    return NULL;
}

/* Link l's scheduler: its node a's override, else its node b's, else the
 * network's. Checked at load (names, parameters), made at finish. */
static int relay_link_sched(relay_t *r, const scn_elem_t *root, uint32_t l, sim_err_t *err)
{
    relay_link_t *lk = &r->lk[l];
    const link_t *link = &r->env.links[l];
    const scn_elem_t *ea = relay_node_elem(r, root, (uint32_t)link->a);
    const scn_elem_t *eb = relay_node_elem(r, root, (uint32_t)link->b);
    const scn_elem_t *over = ea != NULL ? ea : eb;
    const char *name = "fifo";
    sched_params_t p;
    int rc;

    sched_params_default(&p);
    if ((rc = relay_sched_attrs(r->elem, &name, &p, err)) != SIM_OK ||
        (rc = relay_sched_attrs(over, &name, &p, err)) != SIM_OK)
        return rc;
    lk->relay = r;
    lk->index = l;
    lk->pol = sched_find(name);
    lk->qkdtl = strcmp(name, "qkdtl") == 0;
    if ((rc = lk->pol->create(&p, &lk->st, err)) == SIM_ERR_INPUT)
        return scn_error(over != NULL ? over : r->elem, err, "%s", err->msg);
    return rc;
}

/* ------------------------------------------------------------ flows */

static int relay_add_flow(relay_t *r, relay_flow_t **out, sim_err_t *err)
{
    relay_flow_t *f, **v = grow_room(r->flows, &r->flows_cap, r->nflows + 1, sizeof *v, 16);
    if (v == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    r->flows = v;
    if ((f = calloc(1, sizeof *f)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    f->relay = r;
    f->index = (uint32_t)r->nflows;
    f->job_bits = r->cfg.job;
    f->stop = INT64_MAX;
    sched_flow_default(&f->sf, f->index);
    r->flows[r->nflows++] = f;
    *out = f;
    return SIM_OK;
}

/* What every flow element may say: job size and scheduling. */
static int relay_flow_attrs(relay_flow_t *f, const scn_elem_t *e, sim_err_t *err)
{
    uint64_t cls = 0;
    int rc;
    f->elem = e;
    if ((rc = scn_attr_bits(e, "job", false, &f->job_bits, err)) != SIM_OK ||
        (rc = scn_attr_double(e, "weight", false, &f->sf.weight, err)) != SIM_OK ||
        (rc = scn_attr_uint(e, "class", false, &cls, err)) != SIM_OK ||
        (rc = relay_attr_bool(e, "guaranteed", &f->sf.guaranteed, err)) != SIM_OK ||
        (rc = scn_attr_double(e, "sec", false, &f->sf.sec, err)) != SIM_OK)
        return rc;
    if (f->job_bits == 0)
        return scn_error(e, err, "attribute 'job': must be positive");
    if (!(f->sf.weight > 0) || !isfinite(f->sf.weight))
        return scn_error(e, err, "attribute 'weight': must be positive");
    if (cls > RELAY_CLASS_MAX)
        return scn_error(e, err, "attribute 'class': at most %u", RELAY_CLASS_MAX);
    if (!(f->sf.sec >= 0 && f->sf.sec < 10))
        return scn_error(e, err, "attribute 'sec': must be in [0, 10)");
    f->sf.cls = (uint32_t)cls;
    return SIM_OK;
}

/* A pair with no path at all is an input error naming it. */
static int relay_route_check(relay_t *r, const scn_elem_t *e, const char *what, uint32_t src,
                             uint32_t dst, sim_err_t *err)
{
    sim_err_t why;
    int rc = route_check(r->route, src, dst, &why);
    if (rc == SIM_ERR_INPUT && e != NULL)
        return scn_error(e, err, "%s: no path of QKD links from '%s' to '%s' (%s)", what,
                         r->env.node_id(r->env.world, src), r->env.node_id(r->env.world, dst),
                         why.msg);
    if (rc != SIM_OK)
        return sim_err_set(err, rc, "no path of QKD links (%s)", why.msg);
    return SIM_OK;
}

/* One <demand>: a rate (continuous) or an amount (one-time). */
static int relay_read_demand(relay_t *r, const scn_elem_t *e, sim_err_t *err)
{
    static const char *const procs[] = { "periodic", "poisson", NULL };
    relay_flow_t *f = NULL;
    int proc = 0;
    double rate = 0;
    uint64_t amount = 0;
    int64_t start = 0, stop = INT64_MAX;
    const bool has_rate = scn_attr(e, "rate") != NULL, has_amount = scn_attr(e, "amount") != NULL;
    int rc;

    if ((rc = relay_add_flow(r, &f, err)) != SIM_OK ||
        (rc = scn_attr_string(e, "id", true, &f->id, err)) != SIM_OK ||
        (rc = r->env.node(r->env.world, e, "src", &f->src, err)) != SIM_OK ||
        (rc = r->env.node(r->env.world, e, "dst", &f->dst, err)) != SIM_OK ||
        (rc = scn_attr_rate(e, "rate", false, &rate, err)) != SIM_OK ||
        (rc = scn_attr_bits(e, "amount", false, &amount, err)) != SIM_OK ||
        (rc = scn_attr_enum(e, "process", false, procs, &proc, err)) != SIM_OK ||
        (rc = scn_attr_time(e, "start", false, &start, err)) != SIM_OK ||
        (rc = scn_attr_time(e, "stop", false, &stop, err)) != SIM_OK ||
        (rc = relay_flow_attrs(f, e, err)) != SIM_OK)
        return rc;
    if (has_rate == has_amount)
        return scn_error(e, err, "give exactly one of 'rate' (continuous demand) and 'amount' "
                         "(one-time demand)");
    if (f->src == f->dst)
        return scn_error(e, err, "attributes 'src' and 'dst': the same node '%s'",
                         r->env.node_id(r->env.world, f->src));
    if (has_rate && !(rate > 0 && isfinite(rate)))
        return scn_error(e, err, "attribute 'rate': must be positive");
    if (has_amount && amount == 0)
        return scn_error(e, err, "attribute 'amount': must be positive");
    if (start < 0 || stop <= start)
        return scn_error(e, err, "attributes 'start' and 'stop': need 0 <= start < stop");
    f->kind = has_rate ? RELAY_FLOW_RATE : RELAY_FLOW_AMOUNT;
    f->start = start;
    f->stop = stop;
    f->amount = amount;
    f->rate = rate;
    {
        const int64_t until = stop < r->env.ctx->end ? stop : r->env.ctx->end;
        f->demand = has_rate ? rate
                    : until > start ? (double)amount / ((double)(until - start) / 1e9)
                                    : 0.0;
    }
    f->sf.rate = f->demand;
    if (proc == 1) {
        char name[256];
        snprintf(name, sizeof name, "relay/%s/arrivals", f->id);
        if ((f->rng = rng_stream_create(r->env.ctx->seed, r->env.ctx->run, name)) == NULL)
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    }
    return relay_route_check(r, e, "demand", f->src, f->dst, err);
}

/* The <global> child of <relay> whose app is `id`, NULL when none. */
static const scn_elem_t *relay_global_elem(const relay_t *r, const char *id)
{
    for (const scn_elem_t *e = r->elem != NULL ? scn_child(r->elem, "global") : NULL; e != NULL;
         e = scn_next_sibling(e, "global")) {
        const char *app = scn_attr(e, "app");
        if (app != NULL && strcmp(app, id) == 0)
            return e;
    }
    return NULL;
}

/* The global store settings of e over g. */
static int relay_global_attrs(const scn_elem_t *e, gstore_config_t *g, sim_err_t *err)
{
    static const char *const supplies[] = { "ddka", "nec", NULL };
    int s = (int)g->supply;
    bool set_cap = e != NULL && scn_attr(e, "capacity") != NULL;
    int rc;
    if (e == NULL)
        return SIM_OK;
    if ((rc = scn_attr_enum(e, "supply", false, supplies, &s, err)) != SIM_OK ||
        (rc = scn_attr_bits(e, "lower", false, &g->lower, err)) != SIM_OK ||
        (rc = scn_attr_bits(e, "upper", false, &g->upper, err)) != SIM_OK ||
        (rc = scn_attr_bits(e, "capacity", false, &g->capacity, err)) != SIM_OK ||
        (rc = relay_attr_bool(e, "lower-from-latency", &g->lower_from_latency, err)) != SIM_OK)
        return rc;
    g->supply = (gstore_supply_t)s;
    if (!set_cap && g->capacity < 4 * g->upper)
        g->capacity = 4 * g->upper;
    if (g->lower > g->upper)
        return scn_error(e, err, "attributes 'lower' and 'upper': need lower <= upper");
    if (g->capacity < g->upper || g->capacity == 0 || g->capacity > KSTORE_MAX_CAPACITY)
        return scn_error(e, err, "attribute 'capacity': need upper <= capacity <= 2^62 bits");
    return SIM_OK;
}

/* keysvc_remote_t.bind: a client pair whose nodes share no link becomes a
 * flow served from a global store. */
int relay_bind_pair(void *ctx, uint32_t app, const char *id, uint32_t master, uint32_t slave,
                    uint64_t size, uint64_t number, double rate, void **rpair, sim_err_t *err)
{
    relay_t *r = ctx;
    const scn_elem_t *e = relay_global_elem(r, id);
    relay_flow_t *f = NULL;
    gstore_config_t g = r->cfg.global;
    sim_err_t why;
    int rc;
    (void)app;

    *rpair = NULL;
    if ((rc = route_check(r->route, master, slave, &why)) != SIM_OK)
        return sim_err_set(err, rc, "have no path of QKD links between them (%s): key relay "
                           "cannot serve the pair", why.msg);
    if ((rc = relay_add_flow(r, &f, err)) != SIM_OK ||
        (e != NULL && (rc = relay_flow_attrs(f, e, err)) != SIM_OK) ||
        (rc = relay_global_attrs(e, &g, err)) != SIM_OK)
        return rc;
    f->id = id;
    f->kind = RELAY_FLOW_GLOBAL;
    f->src = master;
    f->dst = slave;
    f->demand = rate * (double)size * (double)number;
    f->rate = f->demand;
    f->sf.rate = f->demand;
    if ((f->gs = gstore_create(&g, RELAY_STREAM_BASE + f->index)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    *rpair = f;
    return SIM_OK;
}

/* keysvc_remote_t.path: the path route_peek gives the pair's flow at
 * `now` (the one its next job would take under the weights in force; a
 * look-up that moves no key-metric refresh, so that it leaves the relay
 * flows' routing alone; KEYSVC_PATH_ALL_UP: every link up) and each hop's key per
 * delivered bit: the method's cost of a job of the flow's J bits on that
 * hop over J (relay_hop_cost: hop-by-hop (J + T) / J on every hop; the
 * XOR methods 1 on hop 0, (J + T) / J on the others). */
int relay_pair_path(void *rpair, int64_t now, keysvc_hop_t **hops, size_t *n, sim_err_t *err)
{
    relay_flow_t *f = rpair;
    relay_t *r = f->relay;
    route_path_t p = { 0 };
    bool found = false;
    int rc;

    *hops = NULL;
    *n = 0;
    if ((rc = route_peek(r->route, f->src, f->dst, now == KEYSVC_PATH_ALL_UP ? 0 : now,
                         now == KEYSVC_PATH_ALL_UP, &p, &found, err)) != SIM_OK ||
        !found || p.nhops == 0)
        goto out;
    if ((*hops = calloc(p.nhops, sizeof **hops)) == NULL) {
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < p.nhops; i++) {
        const uint32_t l = p.links[i];
        (*hops)[i] = (keysvc_hop_t){
            .link = l, .id = r->env.links[l].id,
            .cost = (double)relay_hop_cost(r->cfg.method, f->job_bits, r->cfg.tag, i) /
                    (double)f->job_bits,
        };
    }
    *n = p.nhops;
out:
    route_path_free(&p);
    return rc;
}

/* keysvc_remote_t.bind_send: key a client's KME at src sends to dst on
 * demand becomes a flow whose jobs are its sends (one job per send, of its
 * bits; none of its own: relay_start leaves it alone). Its demand is the
 * requested rate (d->rate x d->bits) and its active time the client's
 * [start, stop); its errors name d->elem. */
int relay_bind_send(void *ctx, uint32_t app, const char *id, uint32_t src, uint32_t dst,
                    const keysvc_send_demand_t *d, void **rsend, sim_err_t *err)
{
    relay_t *r = ctx;
    relay_flow_t *f = NULL;
    sim_err_t why;
    int rc;
    (void)app;

    *rsend = NULL;
    if ((rc = route_check(r->route, src, dst, &why)) != SIM_OK)
        return sim_err_set(err, rc, "have no path of QKD links between them (%s): key relay "
                           "cannot carry key there", why.msg);
    if ((rc = relay_add_flow(r, &f, err)) != SIM_OK)
        return rc;
    f->id = id;
    f->elem = d->elem;
    f->kind = RELAY_FLOW_SEND;
    f->src = src;
    f->dst = dst;
    f->start = d->start;
    f->stop = d->stop;
    f->job_bits = d->bits > 0 ? d->bits : 1;
    f->demand = d->rate * (double)d->bits;
    f->rate = f->demand;
    f->sf.rate = f->demand;
    *rsend = f;
    return SIM_OK;
}

/* Every <global> names a client pair that the relay serves. */
int relay_check_globals(relay_t *r, sim_err_t *err)
{
    for (const scn_elem_t *e = r->elem != NULL ? scn_child(r->elem, "global") : NULL; e != NULL;
         e = scn_next_sibling(e, "global")) {
        const char *app = scn_attr(e, "app");
        bool found = false;
        for (size_t i = 0; i < r->nflows && !found; i++)
            found = r->flows[i]->kind == RELAY_FLOW_GLOBAL && app != NULL &&
                    strcmp(r->flows[i]->id, app) == 0;
        if (!found)
            return scn_error(e, err, "attribute 'app': '%s' is not a client pair on two nodes "
                             "that share no link", app != NULL ? app : "");
    }
    return SIM_OK;
}

/* The links of f's first path can give key for relay, and f is declared
 * to their schedulers (admission, QKDTL, is decided here: at set-up). */
int relay_check_path(relay_t *r, relay_flow_t *f, sim_err_t *err)
{
    route_path_t p = { 0 };
    bool found = false, ok = true;
    sim_err_t why;
    int rc = route_find(r->route, f->src, f->dst, 0, &p, &found, err);
    f->est_hops = found ? p.nhops : 0;
    for (uint32_t i = 0; rc == SIM_OK && found && i < p.nhops; i++) {
        int bad = keysvc_can_take(r->env.keys, p.links[i], &why);
        if (bad == SIM_OK)
            bad = relay_flow_on_link(r, f, p.links[i], &ok, &why);
        if (bad == SIM_ERR_INPUT)   /* the flow's input, named where it is */
            rc = f->elem != NULL ? scn_error(f->elem, err, "flow '%s': %s", f->id, why.msg)
                                 : sim_err_set(err, SIM_ERR_INPUT, "flow '%s': %s", f->id,
                                               why.msg);
        else if (bad != SIM_OK)     /* out of memory: the run's, not the input's */
            rc = sim_err_set(err, bad, "flow '%s': %s", f->id, why.msg);
    }
    route_path_free(&p);
    return rc;
}

/* ------------------------------------------------------------ the element */

static int relay_read_config(relay_t *r, sim_err_t *err)
{
    static const char *const methods[] = { "hop", "xor-dest", "xor-central", NULL };
    static const char *const modes[] = { "store-forward", "end-to-end", NULL };
    const scn_elem_t *e = r->elem;
    int method = 0, mode = 0;
    int rc;

    r->cfg = (relay_config_t){
        .tag = RELAY_DEFAULT_TAG, .hop_delay = RELAY_DEFAULT_HOP_DELAY,
        .job = RELAY_DEFAULT_JOB, .scheduler = "fifo",
        .global = { .supply = GSTORE_DDKA, .lower = RELAY_DEFAULT_LOWER,
                    .upper = RELAY_DEFAULT_UPPER, .capacity = 4 * RELAY_DEFAULT_UPPER },
    };
    if (e == NULL)
        return SIM_OK;
    if ((rc = scn_attr_enum(e, "method", false, methods, &method, err)) != SIM_OK ||
        (rc = scn_attr_enum(e, "mode", false, modes, &mode, err)) != SIM_OK ||
        (rc = scn_attr_bits(e, "tag", false, &r->cfg.tag, err)) != SIM_OK ||
        (rc = scn_attr_time(e, "hop-delay", false, &r->cfg.hop_delay, err)) != SIM_OK ||
        (rc = scn_attr_bits(e, "job", false, &r->cfg.job, err)) != SIM_OK ||
        (rc = scn_attr_string(e, "scheduler", false, &r->cfg.scheduler, err)) != SIM_OK ||
        (rc = relay_attr_bool(e, "cut-through", &r->cfg.cut_through, err)) != SIM_OK ||
        (rc = relay_global_attrs(e, &r->cfg.global, err)) != SIM_OK)
        return rc;
    if (r->cfg.job == 0)
        return scn_error(e, err, "attribute 'job': must be positive");
    if (r->cfg.hop_delay < 0)
        return scn_error(e, err, "attribute 'hop-delay': must not be negative");
    r->cfg.method = (relay_method_t)method;
    r->cfg.mode = (relay_mode_t)mode;
    return SIM_OK;
}

/* route_view_t callbacks. */
static bool relay_view_up(void *ctx, uint32_t l, int64_t now)
{
    const relay_t *r = ctx;
    (void)now;
    return !r->running || r->env.links[l].devices_up > 0;   /* at load: all up */
}

static double relay_view_key(void *ctx, uint32_t l, int64_t now)
{
    relay_t *r = ctx;
    uint64_t a = keysvc_available(r->env.keys, l, STORAGE_END_A, now);
    uint64_t b = keysvc_available(r->env.keys, l, STORAGE_END_B, now);
    return (double)(a < b ? a : b);
}

/* The key metric's r (bit/s): how fast the key relay may spend on link l
 * changed since the previous refresh, (K(now) - K(then)) / (now - then),
 * the counterpart of QKDNetSim's (charged - used) over the last period;
 * 0 at the first refresh. Routing asks once per link and refresh
 * (route_peek never refreshes), so the previous call is the previous
 * refresh. */
static double relay_view_key_rate(void *ctx, uint32_t l, int64_t now)
{
    relay_t *r = ctx;
    relay_link_t *lk = r->lk != NULL ? &r->lk[l] : NULL;
    const double key = relay_view_key(ctx, l, now);
    double rate = 0.0;

    if (lk == NULL)
        return 0.0;
    if (lk->rate_seen && now > lk->rate_t)
        rate = (key - lk->rate_key) / ((double)(now - lk->rate_t) * 1e-9);
    lk->rate_key = key;
    lk->rate_t = now;
    lk->rate_seen = true;
    return rate;
}

static double relay_view_length(void *ctx, uint32_t l)
{
    const relay_t *r = ctx;
    const double m = r->env.links[l].length_m;
    return isfinite(m) && m > 0 ? m : 1.0;
}

int relay_create(const relay_env_t *env, const scn_elem_t *root, relay_t **out, sim_err_t *err)
{
    relay_t *r = calloc(1, sizeof *r);
    route_config_t rc_cfg = ROUTE_CONFIG_DEFAULT;
    int rc;

    *out = r;
    if (r == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    r->env = *env;
    r->elem = scn_child(root, "relay");
    r->view = (route_view_t){ .ctx = r, .link_up = relay_view_up, .link_key = relay_view_key,
                              .link_key_rate = relay_view_key_rate,
                              .link_length = relay_view_length };
    if ((rc = relay_read_config(r, err)) != SIM_OK ||
        (rc = route_config_read(scn_child(root, "routing"),
                                &rc_cfg, err)) != SIM_OK)
        return rc;
    if ((r->route = route_create(env->topo, &rc_cfg, &r->view, err)) == NULL)
        return SIM_ERR_RUN;
    if ((r->lk = calloc(env->nlinks + 1, sizeof *r->lk)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    for (const scn_elem_t *e = r->elem != NULL ? scn_child(r->elem, "demand") : NULL; e != NULL;
         e = scn_next_sibling(e, "demand"))
        if ((rc = relay_read_demand(r, e, err)) != SIM_OK)
            return rc;
    for (size_t l = 0; l < env->nlinks; l++) {
        const sched_policy_t *pol;
        if ((rc = relay_link_sched(r, root, (uint32_t)l, err)) != SIM_OK)
            return rc;
        pol = r->lk[l].pol;   /* made again at finish, once the flows are known */
        pol->destroy(r->lk[l].st);
        r->lk[l].st = NULL;
    }
    keysvc_set_remote(env->keys, &relay_remote, r);
    r->root = root;
    return SIM_OK;
}

/* The schedulers, once every flow is known. */
int relay_make_scheds(relay_t *r, sim_err_t *err)
{
    const size_t words = (r->nflows + 63) / 64;
    int rc;
    for (size_t l = 0; l < r->env.nlinks; l++) {
        if ((rc = relay_link_sched(r, r->root, (uint32_t)l, err)) != SIM_OK)
            return rc;
        if ((r->lk[l].flows = calloc(words > 0 ? words : 1, sizeof(uint64_t))) == NULL)
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
        r->lk[l].prop_ns = relay_link_prop_ns(&r->env.links[l]);
    }
    return SIM_OK;
}
