/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * world_trace.c - the trace layout of a run (docs/trace-format.md is the
 * contract; change both together).
 */
#include "models/world_impl.h"

#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "sim/checked.h"
#include "sim/digest.h"

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))
#define F(type, member, kind) { #member, kind, offsetof(type, member) }

/* ------------------------------------------------------------ records */

typedef struct level_rec {
    int64_t time;
    uint32_t store;
    uint8_t cause, state;
    uint64_t level;
    int64_t delta;
    uint64_t amount;
} level_rec_t;

static const trace_field_t level_fields[] = {
    F(level_rec_t, time, TRACE_I64),   F(level_rec_t, store, TRACE_U32),
    F(level_rec_t, cause, TRACE_U8),   F(level_rec_t, state, TRACE_U8),
    F(level_rec_t, level, TRACE_U64),  F(level_rec_t, delta, TRACE_I64),
    F(level_rec_t, amount, TRACE_U64),
};

typedef struct node_rec {
    uint32_t index;
    const char *id;
    double x, y;
} node_rec_t;

static const trace_field_t node_fields[] = {
    F(node_rec_t, index, TRACE_U32), F(node_rec_t, id, TRACE_STR),
    F(node_rec_t, x, TRACE_F64),     F(node_rec_t, y, TRACE_F64),
};

typedef struct link_rec {
    uint32_t index;
    const char *id;
    uint32_t a, b;
    uint64_t stream;
    double length_m, rate_bps;
    int64_t block_ns, delay_ns;
    const char *design;          /* the link's storage design */
    uint64_t initial;            /* bits of initial key at each end */
} link_rec_t;

static const trace_field_t link_fields[] = {
    F(link_rec_t, index, TRACE_U32),    F(link_rec_t, id, TRACE_STR),
    F(link_rec_t, a, TRACE_U32),        F(link_rec_t, b, TRACE_U32),
    F(link_rec_t, stream, TRACE_U64),   F(link_rec_t, length_m, TRACE_F64),
    F(link_rec_t, rate_bps, TRACE_F64), F(link_rec_t, block_ns, TRACE_I64),
    F(link_rec_t, delay_ns, TRACE_I64), F(link_rec_t, design, TRACE_STR),
    F(link_rec_t, initial, TRACE_U64),
};

typedef struct store_rec {
    uint32_t index, node, link;
    const char *node_id, *link_id;
    uint64_t capacity, mmin, mthr, initial;
    int64_t max_age_ns;          /* 0: key never expires */
    uint8_t reserve_min;
    const char *format, *block_sizes;
    const char *role;            /* the store's part in its link's storage design */
    uint8_t end;                 /* 0: at the link's node a, 1: at node b */
} store_rec_t;

static const trace_field_t store_fields[] = {
    F(store_rec_t, index, TRACE_U32),    F(store_rec_t, node, TRACE_U32),
    F(store_rec_t, link, TRACE_U32),     F(store_rec_t, node_id, TRACE_STR),
    F(store_rec_t, link_id, TRACE_STR),  F(store_rec_t, capacity, TRACE_U64),
    F(store_rec_t, mmin, TRACE_U64),     F(store_rec_t, mthr, TRACE_U64),
    F(store_rec_t, initial, TRACE_U64),  F(store_rec_t, max_age_ns, TRACE_I64),
    F(store_rec_t, reserve_min, TRACE_U8), F(store_rec_t, format, TRACE_STR),
    F(store_rec_t, block_sizes, TRACE_STR), F(store_rec_t, role, TRACE_STR),
    F(store_rec_t, end, TRACE_U8),
};

typedef struct app_rec {
    uint32_t index;
    const char *id, *type;
    uint32_t master, slave, link;
    uint64_t size, number;
    double rate;
} app_rec_t;

static const trace_field_t app_fields[] = {
    F(app_rec_t, index, TRACE_U32),  F(app_rec_t, id, TRACE_STR),
    F(app_rec_t, type, TRACE_STR),   F(app_rec_t, master, TRACE_U32),
    F(app_rec_t, slave, TRACE_U32),  F(app_rec_t, link, TRACE_U32),
    F(app_rec_t, size, TRACE_U64),   F(app_rec_t, number, TRACE_U64),
    F(app_rec_t, rate, TRACE_F64),
};

typedef struct store_sum {
    uint32_t store;
    uint64_t generated, stored, level, reserved, supplied, internal, relayed, expired,
        discarded;
    uint8_t closes, final_state;
    uint64_t state_changes;
    int64_t time_ready, time_charging, time_warning, time_empty;
    uint64_t wasted;             /* part of supplied */
    uint64_t moved_in, moved_out;
} store_sum_t;

static const trace_field_t store_sum_fields[] = {
    F(store_sum_t, store, TRACE_U32),         F(store_sum_t, generated, TRACE_U64),
    F(store_sum_t, stored, TRACE_U64),        F(store_sum_t, level, TRACE_U64),
    F(store_sum_t, reserved, TRACE_U64),      F(store_sum_t, supplied, TRACE_U64),
    F(store_sum_t, internal, TRACE_U64),      F(store_sum_t, relayed, TRACE_U64),
    F(store_sum_t, expired, TRACE_U64),       F(store_sum_t, discarded, TRACE_U64),
    F(store_sum_t, closes, TRACE_U8),         F(store_sum_t, final_state, TRACE_U8),
    F(store_sum_t, state_changes, TRACE_U64), F(store_sum_t, time_ready, TRACE_I64),
    F(store_sum_t, time_charging, TRACE_I64), F(store_sum_t, time_warning, TRACE_I64),
    F(store_sum_t, time_empty, TRACE_I64),    F(store_sum_t, wasted, TRACE_U64),
    F(store_sum_t, moved_in, TRACE_U64),      F(store_sum_t, moved_out, TRACE_U64),
};

/* One /summary/links row: the link's own columns, then one per counter
 * name any registered storage design declares (world_link_columns). */
typedef struct link_sum {
    uint32_t link;
    uint64_t generated, blocks;
    double mean_rate_bps;
    int64_t up_ns;
    double availability;
    uint64_t counters[WORLD_MAX_EXTRAS];
} link_sum_t;

static const trace_field_t link_sum_fields[] = {
    F(link_sum_t, link, TRACE_U32), F(link_sum_t, generated, TRACE_U64),
    F(link_sum_t, blocks, TRACE_U64), F(link_sum_t, mean_rate_bps, TRACE_F64),
    F(link_sum_t, up_ns, TRACE_I64), F(link_sum_t, availability, TRACE_F64),
};

/* The /summary/network columns of the world; the models' network
 * counters follow (world_report_t.extra). */
static const trace_field_t net_sum_fields[] = {
    F(world_report_t, end, TRACE_I64),         F(world_report_t, events, TRACE_U64),
    F(world_report_t, generated, TRACE_U64),   F(world_report_t, stored, TRACE_U64),
    F(world_report_t, supplied, TRACE_U64),    F(world_report_t, internal, TRACE_U64),
    F(world_report_t, relayed, TRACE_U64),     F(world_report_t, expired, TRACE_U64),
    F(world_report_t, discarded, TRACE_U64),   F(world_report_t, requests, TRACE_U64),
    F(world_report_t, ok, TRACE_U64),          F(world_report_t, bad_request, TRACE_U64),
    F(world_report_t, unavailable, TRACE_U64),
    F(world_report_t, accounts_close, TRACE_U8),   /* _Bool: one byte holding 0 or 1 */
    F(world_report_t, wasted, TRACE_U64),      F(world_report_t, moved, TRACE_U64),
    F(world_report_t, stranded, TRACE_U64),
};

/* ------------------------------------------------------------ observers */

void world_store_times(void *ctx, kstore_t *store, kstore_state_t from, kstore_state_t to,
                       int64_t time)
{
    world_store_t *s = ctx;
    (void)store;
    (void)from;   /* == s->last_state: the world subscribes first */
    s->time_in[s->last_state] += time - s->state_since;
    s->state_since = time;
    s->last_state = to;
    s->state_changes++;
}

static void world_level_row(world_t *w, const level_rec_t *rec)
{
    sim_err_t err;
    if (trace_append(w->t_levels, rec, &err) != SIM_OK)
        model_fail(&w->ctx, &err);
}

void world_trace_level(void *ctx, const kstore_t *store, const kstore_change_t *ch)
{
    world_store_t *s = ctx;

    if (s->world->t_levels == NULL)
        return;
    const level_rec_t rec = {
        .time = ch->time, .store = kstore_id(store), .cause = (uint8_t)ch->cause,
        .state = (uint8_t)ch->state, .level = ch->level, .delta = ch->delta,
        .amount = ch->amount,
    };
    world_level_row(s->world, &rec);
}

void world_trace_sample(world_store_t *s, int64_t now)
{
    if (s->world->t_levels == NULL)
        return;
    const level_rec_t rec = {
        .time = now, .store = kstore_id(s->ks), .cause = (uint8_t)KSTORE_CAUSE_SAMPLE,
        .state = (uint8_t)kstore_state(s->ks), .level = kstore_level(s->ks),
    };
    world_level_row(s->world, &rec);
}

/* ------------------------------------------------------------ static tables */

static int world_trace_nodes(world_t *w, sim_err_t *err)
{
    trace_table_t *t = trace_table_create(w->trace, "/nodes", sizeof(node_rec_t), node_fields,
                                          NFIELDS(node_fields), err);
    if (t == NULL)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < w->nnodes; i++) {
        node_rec_t r = { (uint32_t)i, w->nodes[i].id, w->nodes[i].x, w->nodes[i].y };
        if (trace_append(t, &r, err) != SIM_OK)
            return SIM_ERR_RUN;
    }
    return SIM_OK;
}

static int world_trace_links(world_t *w, sim_err_t *err)
{
    trace_table_t *t = trace_table_create(w->trace, "/links", sizeof(link_rec_t), link_fields,
                                          NFIELDS(link_fields), err);
    if (t == NULL)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < w->nlinks; i++) {
        const link_t *l = &w->links[i];
        link_rec_t r = { l->index, l->id, (uint32_t)l->a, (uint32_t)l->b, l->stream,
                         l->length_m, link_nominal_rate(l), l->devices[0].cfg.block_ns,
                         l->devices[0].cfg.delay_ns, w->storages[i].design->name,
                         w->store_cfgs[i].initial };
        if (trace_append(t, &r, err) != SIM_OK)
            return SIM_ERR_RUN;
    }
    return SIM_OK;
}

static int world_trace_stores(world_t *w, sim_err_t *err)
{
    trace_table_t *t = trace_table_create(w->trace, "/stores", sizeof(store_rec_t),
                                          store_fields, NFIELDS(store_fields), err);
    if (t == NULL)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < w->nstores; i++) {
        const world_store_t *s = w->stores[i];
        const kstore_config_t *c = kstore_config(s->ks);
        char sizes[KFORMAT_MAX_SIZES * 24];
        kformat_sizes_text(&c->format, sizes, sizeof sizes);
        store_rec_t r = { (uint32_t)i, s->node, s->link, w->nodes[s->node].id,
                          w->links[s->link].id, c->capacity, c->mmin, c->mthr, c->initial,
                          c->max_age, c->reserve_min, kformat_kind_name(c->format.kind),
                          sizes, s->role, s->end };
        if (trace_append(t, &r, err) != SIM_OK)
            return SIM_ERR_RUN;
    }
    return SIM_OK;
}

static int world_trace_apps(world_t *w, sim_err_t *err)
{
    trace_table_t *t = trace_table_create(w->trace, "/apps", sizeof(app_rec_t), app_fields,
                                          NFIELDS(app_fields), err);
    if (t == NULL)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < w->nclients; i++) {
        const client_t *c = w->clients[i];
        app_rec_t r = { c->index, c->id, c->kind->element, c->master, c->slave,
                        c->key.sl != NULL ? c->key.sl->index : UINT32_MAX, c->size,
                        c->number, c->rate };
        if (trace_append(t, &r, err) != SIM_OK)
            return SIM_ERR_RUN;
    }
    return SIM_OK;
}

/* The storage design of one link as "name attr=value ...". */
static void world_design_label(const storage_link_t *sl, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "%s", sl->design->name);
    for (size_t i = 0; sl->elem != NULL && i < sl->elem->nattrs && used < len; i++)
        if (strcmp(sl->elem->keys[i], "design") != 0)
            used += (size_t)snprintf(buf + used, len - used, " %s=%s", sl->elem->keys[i],
                                     sl->elem->values[i]);
}

/* The distinct design labels of the links, in link order, "; " between.
 * Links that share a <storage> element (or have none) share a label, so
 * only the first link of each element is labelled and compared: the cost
 * grows with the links times the few distinct elements. */
static char *world_designs_text(const world_t *w)
{
    const size_t len = 256 * (w->nlinks + 1);
    char *text = calloc(1, len), label[256];
    size_t used = 0, *firsts = calloc(w->nlinks + 1, sizeof *firsts), nfirsts = 0;

    for (size_t i = 0; text != NULL && firsts != NULL && i < w->nlinks; i++) {
        const storage_link_t *sl = &w->storages[i];
        bool seen = false;
        for (size_t k = 0; k < nfirsts && !seen; k++)
            seen = w->storages[firsts[k]].elem == sl->elem &&
                   w->storages[firsts[k]].design == sl->design;
        if (seen)
            continue;
        world_design_label(sl, label, sizeof label);
        /* Elements with equal attributes (two nodes alike) give one label. */
        for (size_t k = 0; k < nfirsts && !seen; k++) {
            char other[256];
            world_design_label(&w->storages[firsts[k]], other, sizeof other);
            seen = strcmp(label, other) == 0;
        }
        firsts[nfirsts++] = i;
        if (!seen)
            used += (size_t)snprintf(text + used, len - used, "%s%s", used > 0 ? "; " : "",
                                     label);
    }
    if (firsts == NULL) {
        free(text);
        text = NULL;
    }
    free(firsts);
    return text;
}

static int world_trace_metadata(world_t *w, sim_err_t *err)
{
    const scn_t *s = w->scn;
    char digest[65];
    size_t len = 1;
    char *overrides = NULL, *designs = world_designs_text(w);
    int rc = SIM_OK;

    if (designs == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    for (size_t i = 0; i < s->noverrides; i++)
        len += strlen(s->overrides[i]) + 1;
    if ((overrides = calloc(1, len)) == NULL) {
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < s->noverrides; i++) {
        strcat(overrides, s->overrides[i]);
        strcat(overrides, "\n");
    }
    if (digest_sha256_hex(s->text, s->text_len, digest) != 0) {
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory (SHA-256 of the scenario)");
        goto out;
    }
    if ((rc = trace_attr_string(w->trace, "/metadata", "program", PACKAGE_NAME, err)) ||
        (rc = trace_attr_string(w->trace, "/metadata", "version", PACKAGE_VERSION, err)) ||
        (rc = trace_attr_string(w->trace, "/metadata", "trace_format", "1", err)) ||
        (rc = trace_attr_string(w->trace, "/metadata", "scenario_path", s->path, err)) ||
        (rc = trace_attr_string(w->trace, "/metadata", "scenario_name",
                                scn_attr(s->root, "name") != NULL ? scn_attr(s->root, "name")
                                                                  : "",
                                err)) ||
        (rc = trace_attr_string(w->trace, "/metadata", "scenario_text", s->text, err)) ||
        (rc = trace_attr_string(w->trace, "/metadata", "scenario_sha256", digest, err)) ||
        (rc = trace_attr_string(w->trace, "/metadata", "effective_scenario", s->effective,
                                err)) ||
        (rc = trace_attr_string(w->trace, "/metadata", "overrides", overrides, err)) ||
        (rc = trace_attr_string(w->trace, "/metadata", "storage_designs", designs, err)) ||
        (rc = trace_attr_u64(w->trace, "/metadata", "seed", w->ctx.seed, err)) ||
        (rc = trace_attr_u64(w->trace, "/metadata", "run", w->ctx.run, err)) ||
        (rc = trace_attr_i64(w->trace, "/metadata", "end_ns", w->ctx.end, err)) ||
        (rc = trace_attr_string(w->trace, "/metadata", "levels",
                                w->levels == WORLD_LEVELS_ON_CHANGE ? "on-change"
                                : w->levels == WORLD_LEVELS_SAMPLED ? "sampled"
                                                                    : "off",
                                err)) ||
        (rc = trace_attr_i64(w->trace, "/metadata", "sample_interval_ns",
                             w->levels == WORLD_LEVELS_SAMPLED ? w->sample_interval : 0,
                             err)) ||
        (rc = trace_attr_string(w->trace, "/metadata", "requests",
                                w->requests.requests == CLIENT_LOG_ALL         ? "all"
                                : w->requests.requests == CLIENT_LOG_SAMPLED   ? "sampled"
                                : w->requests.requests == CLIENT_LOG_AGGREGATE ? "aggregate"
                                                                               : "off",
                                err)) ||
        (rc = trace_attr_u64(w->trace, "/metadata", "request_every",
                             w->requests.requests == CLIENT_LOG_SAMPLED ? w->requests.every : 0,
                             err)) ||
        (rc = trace_attr_i64(w->trace, "/metadata", "blocks", w->blocks, err)) ||
        (rc = trace_attr_i64(w->trace, "/metadata", "summary_only", w->summary_only, err)) ||
        (rc = trace_attr_i64(w->trace, "/metadata", "deflate",
                             w->compress ? WORLD_DEFLATE : 0, err)) ||
        (rc = trace_attr_i64(w->trace, "/metadata", "completed", 0, err)))
        goto out;
out:
    free(overrides);
    free(designs);
    return rc;
}

/* The clients of one kind, in world order: a list the caller frees. */
static client_t **world_clients_of(const world_t *w, const client_kind_t *kind, size_t *n)
{
    client_t **v = malloc((w->nclients + 1) * sizeof *v);
    *n = 0;
    for (size_t i = 0; v != NULL && i < w->nclients; i++)
        if (w->clients[i]->kind == kind)
            v[(*n)++] = w->clients[i];
    return v;
}

/* Writes attribute obj@attr naming the codes 0 .. n-1 of an enumeration
 * column, "0=NAME0,1=NAME1,..." in upper case (docs/trace-format.md,
 * "Code names"). */
static int world_code_names(world_t *w, const char *obj, const char *attr, size_t n,
                            const char *(*name)(unsigned code), sim_err_t *err)
{
    char buf[512];
    size_t len = 0;

    buf[0] = '\0';
    for (unsigned i = 0; i < n && len < sizeof buf; i++) {
        int k = snprintf(buf + len, sizeof buf - len, "%s%u=", i ? "," : "", i);
        if (k < 0)
            break;
        len += (size_t)k;
        for (const char *c = name(i); *c != '\0' && len + 1 < sizeof buf; c++)
            buf[len++] = (*c >= 'a' && *c <= 'z') ? (char)(*c - 'a' + 'A') : *c;
        if (len < sizeof buf)
            buf[len] = '\0';
    }
    return trace_attr_string(w->trace, obj, attr, buf, err);
}

static const char *world_cause_name(unsigned code)
{
    return kstore_cause_name((kstore_cause_t)code);
}

static const char *world_state_name(unsigned code)
{
    return kstore_state_name((kstore_state_t)code);
}

static int world_out_levels(world_t *w, sim_err_t *err)
{
    w->t_levels = trace_table_create_large(w->trace, "/levels", sizeof(level_rec_t),
                                           level_fields, NFIELDS(level_fields), err);
    if (w->t_levels == NULL)
        return SIM_ERR_RUN;
    if (world_code_names(w, "/levels", "cause_names", (size_t)KSTORE_CAUSE_MOVED + 1, world_cause_name,
                         err) != SIM_OK ||
        world_code_names(w, "/levels", "state_names", (size_t)KSTORE_EMPTY + 1, world_state_name,
                         err) != SIM_OK)
        return SIM_ERR_RUN;
    return SIM_OK;
}

static int world_out_links(world_t *w, sim_err_t *err)
{
    return link_trace_open(w->links, w->nlinks, w->trace, w->blocks, !w->summary_only, err);
}

/* Each client kind opens its own tables for its clients; the client layer
 * opens the aggregates of all of them when the trace keeps those. */
static int world_out_clients(world_t *w, sim_err_t *err)
{
    int rc = SIM_OK;
    if (w->requests.requests == CLIENT_LOG_AGGREGATE &&
        client_agg_open(w->trace, &w->requests, w->clients, w->nclients, err) != SIM_OK)
        return SIM_ERR_RUN;
    for (size_t k = 0; w->kinds[k] != NULL && rc == SIM_OK; k++) {
        size_t n = 0;
        client_t **v;
        if (w->kinds[k]->trace_open == NULL)
            continue;
        if ((v = world_clients_of(w, w->kinds[k], &n)) == NULL)
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
        rc = w->kinds[k]->trace_open(w->trace, &w->requests, v, n, err);
        free(v);
    }
    return rc;
}

/* What the trace writer loops over when the run starts: the world's own
 * tables and the models' output hooks. */
static int world_out_relay(world_t *w, sim_err_t *err)
{
    return relay_trace_open(w->relay, w->trace, &w->requests, err);
}

static int (*const world_openers[])(world_t *w, sim_err_t *err) = {
    world_out_levels,  world_trace_metadata, world_trace_nodes, world_trace_links,
    world_out_links,   world_trace_stores,   world_trace_apps,  world_out_clients,
    world_out_relay,
};

int world_trace_open(world_t *w, const char *output, sim_err_t *err)
{
    if ((w->trace = trace_open(output, err)) == NULL)
        return SIM_ERR_RUN;
    trace_set_deflate(w->trace, w->compress ? WORLD_DEFLATE : 0);
    for (size_t i = 0; i < NFIELDS(world_openers); i++)
        if (world_openers[i](w, err) != SIM_OK)
            return SIM_ERR_RUN;
    return SIM_OK;
}

/* ------------------------------------------------------------ summary */

/* Adds the store's row to the network sums. SIM_ERR_RUN when a sum would
 * pass 2^64 - 1 bits (the load-time bound of docs/models.md, "Counter
 * bounds", keeps a valid scenario below it). */
static int world_add_store_row(world_report_t *r, const store_sum_t *row, uint64_t *moved_in,
                               sim_err_t *err)
{
    struct { uint64_t *sum; uint64_t x; const char *name; } const terms[] = {
        { &r->generated, row->generated, "generated" }, { &r->stored, row->stored, "stored" },
        { &r->supplied, row->supplied, "supplied" },    { &r->internal, row->internal, "internal" },
        { &r->relayed, row->relayed, "relayed" },       { &r->expired, row->expired, "expired" },
        { &r->discarded, row->discarded, "discarded" }, { &r->wasted, row->wasted, "wasted" },
        { &r->moved, row->moved_out, "moved" },         { moved_in, row->moved_in, "moved in" },
    };
    for (size_t i = 0; i < NFIELDS(terms); i++)
        if (!sim_add_u64(terms[i].sum, terms[i].x))
            return sim_err_set(err, SIM_ERR_RUN,
                               "key counter overflow: the network's %s key would exceed "
                               "2^64 - 1 bits at store %" PRIu32, terms[i].name, row->store);
    return SIM_OK;
}

/* generated == stored + supplied + internal + relayed + stranded +
 * expired + discarded, in sums that fail rather than wrap. */
static bool world_network_closes(const world_report_t *r)
{
    const uint64_t outs[] = { r->supplied, r->internal, r->relayed, r->stranded, r->expired,
                              r->discarded };
    uint64_t out = r->stored;
    for (size_t i = 0; i < NFIELDS(outs); i++)
        if (!sim_add_u64(&out, outs[i]))
            return false;
    return out == r->generated;
}

static int world_summary_stores(world_t *w, world_report_t *r, sim_err_t *err)
{
    trace_table_t *t = trace_table_create(w->trace, "/summary/stores", sizeof(store_sum_t),
                                          store_sum_fields, NFIELDS(store_sum_fields), err);
    uint64_t moved_in = 0;
    if (t == NULL ||
        world_code_names(w, "/summary/stores", "final_state_names", (size_t)KSTORE_EMPTY + 1,
                         world_state_name, err) != SIM_OK)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < w->nstores; i++) {
        world_store_t *s = w->stores[i];
        const kstore_accounts_t *a = kstore_accounts(s->ks);
        const bool closes = kstore_accounts_close(s->ks);
        s->time_in[s->last_state] += w->ctx.end - s->state_since;
        s->state_since = w->ctx.end;
        /* level + reserved <= the key received: no wrap once closes holds */
        store_sum_t row = {
            .store = (uint32_t)i, .generated = a->generated,
            .stored = kstore_level(s->ks) + a->reserved, .level = kstore_level(s->ks),
            .reserved = a->reserved, .supplied = a->supplied, .internal = a->internal,
            .relayed = a->relayed, .expired = a->expired, .discarded = a->discarded,
            .closes = closes, .final_state = (uint8_t)kstore_state(s->ks),
            .state_changes = s->state_changes, .time_ready = s->time_in[KSTORE_READY],
            .time_charging = s->time_in[KSTORE_CHARGING],
            .time_warning = s->time_in[KSTORE_WARNING], .time_empty = s->time_in[KSTORE_EMPTY],
            .wasted = a->wasted, .moved_in = a->moved_in, .moved_out = a->moved_out,
        };
        if (world_add_store_row(r, &row, &moved_in, err) != SIM_OK)
            return SIM_ERR_RUN;
        r->accounts_close = r->accounts_close && closes;
        if (trace_append(t, &row, err) != SIM_OK)
            return SIM_ERR_RUN;
    }
    /* Moves stay inside a node: what left one store entered another; the
     * network identity then holds without moved terms. */
    r->accounts_close = r->accounts_close && moved_in == r->moved;
    return SIM_OK;
}

/* The relay's tables; the key it stranded leaves the stores' RELAYED for
 * its own term (counted at both ends of each link, as the stores are). */
static int world_summary_relay(world_t *w, world_report_t *r, sim_err_t *err)
{
    uint64_t stranded = 0;
    bool closes = true;
    int rc = relay_trace_summary(w->relay, w->trace, w->ctx.end, &stranded, &closes, err);
    if (rc != SIM_OK)
        return rc;
    if (stranded > UINT64_MAX / 2 || 2 * stranded > r->relayed)
        return sim_err_set(err, SIM_ERR_RUN, "relay stranded more key (%" PRIu64 " bits per "
                           "end) than the stores relayed: this is a bug in qkmsim", stranded);
    r->stranded = 2 * stranded;
    r->relayed -= r->stranded;
    r->accounts_close = r->accounts_close && closes && world_network_closes(r);
    return SIM_OK;
}

/* bits / run time (bit/s) and ns / run time; 0 for a run of length 0. */
static double world_per_second(uint64_t bits, const world_t *w)
{
    return w->ctx.end > 0 ? (double)bits / ((double)w->ctx.end / 1e9) : 0.0;
}

static double world_fraction(int64_t ns, const world_t *w)
{
    return w->ctx.end > 0 ? (double)ns / (double)w->ctx.end : 0.0;
}

/* Adds a column for counter c to the report's network counters unless
 * one of that name is there; returns its index, or -1 when full. */
static int world_extra_slot(world_report_t *r, const model_counter_t *c)
{
    for (size_t i = 0; i < r->nextras; i++)
        if (strcmp(r->extra_def[i]->name, c->name) == 0)
            return (int)i;
    if (r->nextras == WORLD_MAX_EXTRAS)
        return -1;
    r->extra_def[r->nextras] = c;
    r->extra[r->nextras] = 0;
    return (int)r->nextras++;
}

/* The counter columns of /summary/links: every name a registered design
 * declares, in registry order, each once. */
static size_t world_link_columns(const char **names, size_t max)
{
    size_t n = 0;
    for (size_t d = 0; storage_designs[d] != NULL; d++) {
        const model_counter_t *c = storage_designs[d]->counters;
        for (size_t i = 0; c != NULL && c[i].name != NULL; i++) {
            bool seen = false;
            for (size_t k = 0; k < n && !seen; k++)
                seen = strcmp(names[k], c[i].name) == 0;
            if (!seen && n < max)
                names[n++] = c[i].name;
        }
    }
    return n;
}

static int world_summary_links(world_t *w, world_report_t *r, sim_err_t *err)
{
    const size_t nfixed = NFIELDS(link_sum_fields);
    trace_field_t fields[NFIELDS(link_sum_fields) + WORLD_MAX_EXTRAS];
    const char *names[WORLD_MAX_EXTRAS];
    const size_t ncols = world_link_columns(names, WORLD_MAX_EXTRAS);
    trace_table_t *t;

    memcpy(fields, link_sum_fields, sizeof link_sum_fields);
    for (size_t k = 0; k < ncols; k++)
        fields[nfixed + k] = (trace_field_t){ names[k], TRACE_U64,
                                              offsetof(link_sum_t, counters) +
                                                  k * sizeof(uint64_t) };
    if ((t = trace_table_create(w->trace, "/summary/links", sizeof(link_sum_t), fields,
                                nfixed + ncols, err)) == NULL)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < w->nlinks; i++) {
        const link_t *l = &w->links[i];
        const storage_link_t *sl = &w->storages[i];
        const model_counter_t *c = sl->design->counters;
        const int64_t up = link_up_ns(l, w->ctx.end);
        link_sum_t row = { l->index, l->generated, l->blocks, world_per_second(l->generated, w),
                           up, world_fraction(up, w), { 0 } };
        for (size_t k = 0; k < ncols; k++)
            row.counters[k] = storage_counter(sl, names[k]);
        for (size_t j = 0; c != NULL && c[j].name != NULL; j++) {
            const int slot = c[j].network ? world_extra_slot(r, &c[j]) : -1;
            if (slot >= 0 && !sim_add_u64(&r->extra[slot], sl->counters[j]))
                return sim_err_set(err, SIM_ERR_RUN, "counter overflow: the network's "
                                   "'%s' would exceed 2^64 - 1", c[j].name);
        }
        if (trace_append(t, &row, err) != SIM_OK)
            return SIM_ERR_RUN;
    }
    return SIM_OK;
}

/* Every registered design's network counters get a column, used or not,
 * so that the layout of /summary/network depends on the program only. */
static void world_design_extras(world_report_t *r)
{
    for (size_t d = 0; storage_designs[d] != NULL; d++) {
        const model_counter_t *c = storage_designs[d]->counters;
        for (size_t i = 0; c != NULL && c[i].name != NULL; i++)
            if (c[i].network)
                (void)world_extra_slot(r, &c[i]);
    }
}

/* Each client kind writes its summary rows and its network counters. */
static int world_summary_clients(world_t *w, world_report_t *r, sim_err_t *err)
{
    for (size_t k = 0; w->kinds[k] != NULL; k++) {
        const client_kind_t *kind = w->kinds[k];
        uint64_t net[WORLD_MAX_EXTRAS] = { 0 };
        size_t n = 0;
        client_t **v = world_clients_of(w, kind, &n);
        int rc = SIM_OK;
        if (v == NULL)
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
        if (kind->summary != NULL)
            rc = kind->summary(w->trace, v, n, w->ctx.end, net, err);
        for (size_t i = 0; i < n; i++) {
            const client_outcomes_t *o = &v[i]->outcomes;
            r->requests += o->requests;
            r->ok += o->ok;
            r->bad_request += o->bad_request;
            r->unavailable += o->unavailable;
        }
        free(v);
        if (rc != SIM_OK)
            return rc;
        for (size_t i = 0; kind->counters != NULL && kind->counters[i].name != NULL &&
                           i < WORLD_MAX_EXTRAS;
             i++) {
            const int slot = world_extra_slot(r, &kind->counters[i]);
            if (slot >= 0)
                r->extra[slot] += net[i];
        }
    }
    return SIM_OK;
}

/* The network row: the world's columns, then the models' network counters. */
static int world_summary_network(world_t *w, world_report_t *r, sim_err_t *err)
{
    const size_t nfixed = NFIELDS(net_sum_fields);
    trace_field_t fields[NFIELDS(net_sum_fields) + WORLD_MAX_EXTRAS];
    trace_table_t *t;

    memcpy(fields, net_sum_fields, sizeof net_sum_fields);
    for (size_t k = 0; k < r->nextras; k++)
        fields[nfixed + k] = (trace_field_t){ r->extra_def[k]->name, TRACE_U64,
                                              offsetof(world_report_t, extra) +
                                                  k * sizeof(uint64_t) };
    t = trace_table_create(w->trace, "/summary/network", sizeof *r, fields,
                           nfixed + r->nextras, err);
    if (t == NULL || trace_append(t, r, err) != SIM_OK)
        return SIM_ERR_RUN;
    return SIM_OK;
}

/* Both ends of every link hold the same key identities in every pair of
 * stores that its design keeps in step. */
static int world_check_link_ends(const world_t *w, sim_err_t *err)
{
    for (size_t i = 0; i < w->nstores; i++) {
        const world_store_t *s = w->stores[i];
        if (!s->synced || s->end != STORAGE_END_A)
            continue;
        const kstore_t *a = s->ks, *b = w->stores[s->peer]->ks;
        bool same = kstore_range_count(a) == kstore_range_count(b);
        for (size_t k = 0; same && k < kstore_range_count(a); k++)
            same = memcmp(kstore_range_at(a, k), kstore_range_at(b, k),
                          sizeof(kstore_range_t)) == 0;
        if (!same)
            return sim_err_set(err, SIM_ERR_RUN,
                               "link %s: the %s stores at its two ends hold different keys: "
                               "this is a bug in qkmsim", w->links[s->link].id, s->role);
    }
    return SIM_OK;
}

int world_trace_finish(world_t *w, world_report_t *r, sim_err_t *err)
{
    int rc;

    *r = (world_report_t){ .end = w->ctx.end, .events = sim_executed(w->sim),
                           .stores = w->nstores, .links = w->nlinks, .apps = w->nclients,
                           .accounts_close = true };
    world_design_extras(r);
    if ((rc = client_agg_finish(w->clients, w->nclients, w->ctx.end, err)) != SIM_OK ||
        (rc = world_summary_stores(w, r, err)) != SIM_OK ||
        (rc = world_summary_links(w, r, err)) != SIM_OK ||
        (rc = link_trace_summary(w->links, w->nlinks, w->trace, w->ctx.end, err)) != SIM_OK ||
        (rc = world_summary_clients(w, r, err)) != SIM_OK ||
        (rc = world_summary_relay(w, r, err)) != SIM_OK ||
        (rc = world_check_link_ends(w, err)) != SIM_OK ||
        (rc = world_summary_network(w, r, err)) != SIM_OK)
        return rc;
    if (!r->accounts_close)
        return sim_err_set(err, SIM_ERR_RUN,
                           "key accounting does not close (see /summary/stores): this is "
                           "a bug in qkmsim, please report it with the scenario");
    return SIM_OK;
}

/* ------------------------------------------------------------ estimate */

/* What every trace has whatever the run: each table's first chunk is
 * allocated whole (1024 rows of its row size, about 1 MB over the tables
 * of a trace) and the metadata. */
#define WORLD_EST_FIXED_BYTES (1024.0 * 1024.0)
/* Request aggregates: rows per client and window (a kind's request
 * kinds times the statuses they see: etsi014 mostly GET_KEY 200 and
 * GET_KEY_WITH_KEY_IDS 200), and bytes per row (client.c). */
#define WORLD_EST_AGG_CELLS 2.0
#define WORLD_EST_AGG_ROW_BYTES 76.0
/* The rows of the models' static and summary tables per link and per app
 * (/link_devices, /summary/link_devices, /summary/apps), roughly. */
#define WORLD_EST_MODEL_ROW_BYTES 256.0

/* How much deflate (level 1, after shuffle) shrinks the log tables:
 * 5.7 on the default scenario (docs/performance.md, "Trace cost"); 4 is
 * taken, on the side of a larger file. */
#define WORLD_EST_DEFLATE_RATIO 4.0
/* The same for /link_blocks, whose rows repeat much more (the rate column
 * of a link without fluctuation is one value): 5.3 on scenarios/links.xml
 * (fluctuating rates, outages), 18 on tests/bench/qkdnetsim.xml (one
 * constant link); 10 keeps both within a factor 2. */
#define WORLD_EST_DEFLATE_BLOCKS 10.0

#define ROW(fields) ((double)trace_row_bytes(fields, NFIELDS(fields)))

/* The tables written whatever happens in the run: metadata, nodes, links,
 * stores, apps and the summaries. */
static double world_estimate_fixed(const world_t *w)
{
    const scn_t *s = w->scn;
    return WORLD_EST_FIXED_BYTES + 2.0 * (double)s->text_len +
           (s->effective != NULL ? (double)strlen(s->effective) : 0.0) +
           (double)w->nnodes * ROW(node_fields) +
           (double)w->nlinks * (ROW(link_fields) + ROW(link_sum_fields) +
                                8.0 * WORLD_MAX_EXTRAS + WORLD_EST_MODEL_ROW_BYTES) +
           (double)w->nstores * (ROW(store_fields) + ROW(store_sum_fields)) +
           (double)w->nclients * (ROW(app_fields) + WORLD_EST_MODEL_ROW_BYTES);
}

/* Expiry wake-ups: a store whose key expires wakes about once per range
 * it receives, i.e. per block of its link. */
static double world_estimate_expiry(const world_t *w)
{
    double events = 0;
    for (size_t i = 0; i < w->nstores; i++)
        if (kstore_config(w->stores[i]->ks)->max_age > 0)
            events += link_block_count(&w->links[w->stores[i]->link], w->ctx.end);
    return events;
}

void world_estimate(const world_t *w, sim_estimate_t *out)
{
    model_estimate_t m = { 0 };
    double logs = 0, blocks = 0;   /* bytes of log rows; of /link_blocks rows */
    const int64_t end = w->ctx.end;
    const double samples = (double)end / (double)w->sample_interval + 1.0;
    const double windows = ceil((double)end / (double)w->requests.interval);
    double agg_rows = 0;

    const bool lazy = world_lazy_ok(w);
    for (size_t i = 0; i < w->nlinks; i++) {
        const storage_link_t *sl = &w->storages[i];
        link_estimate(&w->links[i], end, lazy, &m);
        if (sl->design->estimate != NULL)
            sl->design->estimate(sl, end, &m);
    }
    for (size_t i = 0; i < w->nclients; i++) {
        const client_t *c = w->clients[i];
        const double before = m.request_rows;
        if (c->kind->estimate != NULL)
            c->kind->estimate(c, end, &m);
        else
            m.events += c->rate * ((double)end / 1e9);
        agg_rows += fmin(m.request_rows - before, WORLD_EST_AGG_CELLS * windows);
    }
    relay_estimate(w->relay, end, &m);
    m.events += world_estimate_expiry(w);
    m.bytes += world_estimate_fixed(w);
    if (w->levels == WORLD_LEVELS_ON_CHANGE) {
        logs += m.level_rows * ROW(level_fields);
    } else if (w->levels == WORLD_LEVELS_SAMPLED) {
        m.events += samples;
        logs += samples * (double)w->nstores * ROW(level_fields);
    }
    if (!w->summary_only)
        logs += m.log_bytes;
    if (w->blocks)
        blocks = m.block_bytes;
    if (w->requests.requests == CLIENT_LOG_ALL)
        logs += m.request_bytes;
    else if (w->requests.requests == CLIENT_LOG_SAMPLED)
        logs += m.request_bytes / (double)w->requests.every;
    else if (w->requests.requests == CLIENT_LOG_AGGREGATE)
        logs += agg_rows * WORLD_EST_AGG_ROW_BYTES;
    if (w->compress) {
        logs /= WORLD_EST_DEFLATE_RATIO;
        blocks /= WORLD_EST_DEFLATE_BLOCKS;
    }
    *out = (sim_estimate_t){ .events = m.events, .bytes = m.bytes + logs + blocks };
}
