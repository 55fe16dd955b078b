/*
 * world_trace.c - the trace layout of a run (docs/trace-format.md is the
 * contract; change both together).
 */
#include "models/world_impl.h"

#include <stddef.h>
#include <string.h>

#include "config.h"
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

static const trace_field_t request_fields[] = {
    F(etsi014_record_t, t_request, TRACE_I64), F(etsi014_record_t, t_response, TRACE_I64),
    F(etsi014_record_t, app, TRACE_U32),       F(etsi014_record_t, node, TRACE_U32),
    F(etsi014_record_t, kind, TRACE_U32),      F(etsi014_record_t, status, TRACE_U32),
    F(etsi014_record_t, number, TRACE_U64),    F(etsi014_record_t, size, TRACE_U64),
    F(etsi014_record_t, bits, TRACE_U64),      F(etsi014_record_t, key_stream, TRACE_U64),
    F(etsi014_record_t, key_offset, TRACE_U64),
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

/* One row per QKD device (a <generation> of a link). */
typedef struct device_rec {
    uint32_t link, device;
    uint64_t stream;
    const char *model, *params;
    double rate_bps;
    int64_t block_ns, delay_ns;
    const char *law;
    double cv;
    uint32_t scheduled_outages;
    int64_t mtbf_ns, mttr_ns;
} device_rec_t;

static const trace_field_t device_fields[] = {
    F(device_rec_t, link, TRACE_U32),     F(device_rec_t, device, TRACE_U32),
    F(device_rec_t, stream, TRACE_U64),   F(device_rec_t, model, TRACE_STR),
    F(device_rec_t, params, TRACE_STR),   F(device_rec_t, rate_bps, TRACE_F64),
    F(device_rec_t, block_ns, TRACE_I64), F(device_rec_t, delay_ns, TRACE_I64),
    F(device_rec_t, law, TRACE_STR),      F(device_rec_t, cv, TRACE_F64),
    F(device_rec_t, scheduled_outages, TRACE_U32),
    F(device_rec_t, mtbf_ns, TRACE_I64),  F(device_rec_t, mttr_ns, TRACE_I64),
};

static const trace_field_t block_fields[] = {
    F(link_block_rec_t, time, TRACE_I64),   F(link_block_rec_t, link, TRACE_U32),
    F(link_block_rec_t, device, TRACE_U32), F(link_block_rec_t, block, TRACE_U64),
    F(link_block_rec_t, bits, TRACE_U64),   F(link_block_rec_t, rate_bps, TRACE_F64),
};

static const trace_field_t outage_fields[] = {
    F(link_outage_rec_t, link, TRACE_U32), F(link_outage_rec_t, device, TRACE_U32),
    F(link_outage_rec_t, kind, TRACE_U8),  F(link_outage_rec_t, from, TRACE_I64),
    F(link_outage_rec_t, to, TRACE_I64),
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

typedef struct link_sum {
    uint32_t link;
    uint64_t generated, blocks;
    double mean_rate_bps;
    int64_t up_ns;
    double availability;
    storage_stats_t st;
} link_sum_t;

static const trace_field_t link_sum_fields[] = {
    F(link_sum_t, link, TRACE_U32), F(link_sum_t, generated, TRACE_U64),
    F(link_sum_t, blocks, TRACE_U64), F(link_sum_t, mean_rate_bps, TRACE_F64),
    F(link_sum_t, up_ns, TRACE_I64), F(link_sum_t, availability, TRACE_F64),
    { "messages", TRACE_U64, offsetof(link_sum_t, st.messages) },
    { "tag_bits", TRACE_U64, offsetof(link_sum_t, st.tag_bits) },
    { "skipped", TRACE_U64, offsetof(link_sum_t, st.skipped) },
    { "rounds", TRACE_U64, offsetof(link_sum_t, st.rounds) },
    { "moved_bits", TRACE_U64, offsetof(link_sum_t, st.moved_bits) },
    { "collisions", TRACE_U64, offsetof(link_sum_t, st.collisions) },
    { "collided_bits", TRACE_U64, offsetof(link_sum_t, st.collided_bits) },
};

typedef struct device_sum {
    uint32_t link, device;
    uint64_t generated, blocks, closed, held;
    double mean_rate_bps;
    int64_t up_ns;
    double availability;
    uint64_t outages;
} device_sum_t;

static const trace_field_t device_sum_fields[] = {
    F(device_sum_t, link, TRACE_U32),           F(device_sum_t, device, TRACE_U32),
    F(device_sum_t, generated, TRACE_U64),      F(device_sum_t, blocks, TRACE_U64),
    F(device_sum_t, closed, TRACE_U64),         F(device_sum_t, held, TRACE_U64),
    F(device_sum_t, mean_rate_bps, TRACE_F64),  F(device_sum_t, up_ns, TRACE_I64),
    F(device_sum_t, availability, TRACE_F64),   F(device_sum_t, outages, TRACE_U64),
};

typedef struct app_sum {
    uint32_t app;
    uint64_t requests, ok, bad_request, unavailable, slave_requests, slave_ok, bits;
    double mean_latency_s, served_fraction;
    uint64_t wasted;             /* format waste at one end, bits */
    uint64_t slave_failed;       /* GET_KEY_WITH_KEY_IDS answered 400 */
} app_sum_t;

static const trace_field_t app_sum_fields[] = {
    F(app_sum_t, app, TRACE_U32),           F(app_sum_t, requests, TRACE_U64),
    F(app_sum_t, ok, TRACE_U64),            F(app_sum_t, bad_request, TRACE_U64),
    F(app_sum_t, unavailable, TRACE_U64),   F(app_sum_t, slave_requests, TRACE_U64),
    F(app_sum_t, slave_ok, TRACE_U64),      F(app_sum_t, bits, TRACE_U64),
    F(app_sum_t, mean_latency_s, TRACE_F64), F(app_sum_t, served_fraction, TRACE_F64),
    F(app_sum_t, wasted, TRACE_U64),       F(app_sum_t, slave_failed, TRACE_U64),
};

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
    F(world_report_t, collisions, TRACE_U64),  F(world_report_t, collided_bits, TRACE_U64),
    F(world_report_t, slave_failed, TRACE_U64),
};

/* ------------------------------------------------------------ observers */

void world_trace_level(void *ctx, const kstore_t *store, const kstore_change_t *ch)
{
    world_store_t *s = ctx;
    world_t *w = s->world;
    sim_err_t err;

    if (ch->state != s->last_state) {
        s->time_in[s->last_state] += ch->time - s->state_since;
        s->state_since = ch->time;
        s->last_state = ch->state;
        s->state_changes++;
    }
    if (w->t_levels == NULL || w->levels == WORLD_LEVELS_OFF ||
        (w->levels == WORLD_LEVELS_SAMPLED) != (ch->cause == KSTORE_CAUSE_SAMPLE))
        return;
    const level_rec_t rec = {
        .time = ch->time, .store = kstore_id(store), .cause = (uint8_t)ch->cause,
        .state = (uint8_t)ch->state, .level = ch->level, .delta = ch->delta,
        .amount = ch->amount,
    };
    if (trace_append(w->t_levels, &rec, &err) != SIM_OK)
        model_fail(&w->ctx, &err);
}

void world_trace_request(void *ctx, const etsi014_record_t *rec)
{
    world_t *w = ctx;
    sim_err_t err;
    if (w->t_requests != NULL && trace_append(w->t_requests, rec, &err) != SIM_OK)
        model_fail(&w->ctx, &err);
}

void world_trace_block(void *ctx, const link_block_rec_t *rec)
{
    world_t *w = ctx;
    sim_err_t err;
    if (w->t_blocks != NULL && trace_append(w->t_blocks, rec, &err) != SIM_OK)
        model_fail(&w->ctx, &err);
}

void world_trace_outage(void *ctx, const link_outage_rec_t *rec)
{
    world_t *w = ctx;
    sim_err_t err;
    if (w->t_outages != NULL && trace_append(w->t_outages, rec, &err) != SIM_OK)
        model_fail(&w->ctx, &err);
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

/* "name=value ..." of the parameters a device's model used. */
static void world_device_params(const link_device_config_t *c, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < c->model->nparams && used + 1 < len; i++) {
        int k = snprintf(buf + used, len - used, "%s%s=%.15g", i > 0 ? " " : "",
                         c->model->params[i].name, c->params[i]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

static int world_trace_devices(world_t *w, sim_err_t *err)
{
    trace_table_t *t = trace_table_create(w->trace, "/link_devices", sizeof(device_rec_t),
                                          device_fields, NFIELDS(device_fields), err);
    char params[512];
    if (t == NULL)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < w->nlinks; i++) {
        for (size_t k = 0; k < w->links[i].ndevices; k++) {
            const link_device_t *d = &w->links[i].devices[k];
            const link_device_config_t *c = &d->cfg;
            device_rec_t r = { (uint32_t)i, d->index, d->stream, c->model->name, params,
                               c->rate_bps, c->block_ns, c->delay_ns, link_law_name(c->law),
                               c->law == LINK_LAW_NONE ? 0.0 : c->cv,
                               (uint32_t)c->noutages, c->mtbf_ns, c->mttr_ns };
            world_device_params(c, params, sizeof params);
            if (trace_append(t, &r, err) != SIM_OK)
                return SIM_ERR_RUN;
        }
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
    for (size_t i = 0; i < w->napps; i++) {
        const etsi014_t *a = &w->apps[i];
        app_rec_t r = { a->index, a->id, "etsi014", a->master, a->slave, w->app_links[i],
                        a->cfg.size, a->cfg.number, a->cfg.rate };
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
    digest_sha256_hex(s->text, s->text_len, digest);
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
        (rc = trace_attr_i64(w->trace, "/metadata", "completed", 0, err)))
        goto out;
out:
    free(overrides);
    free(designs);
    return rc;
}

int world_trace_open(world_t *w, const char *output, sim_err_t *err)
{
    int rc;
    if ((w->trace = trace_open(output, err)) == NULL)
        return SIM_ERR_RUN;
    w->t_levels = trace_table_create(w->trace, "/levels", sizeof(level_rec_t), level_fields,
                                     NFIELDS(level_fields), err);
    if (w->t_levels == NULL)
        return SIM_ERR_RUN;
    w->t_requests = trace_table_create(w->trace, "/requests", sizeof(etsi014_record_t),
                                       request_fields, NFIELDS(request_fields), err);
    if (w->t_requests == NULL)
        return SIM_ERR_RUN;
    w->t_blocks = trace_table_create(w->trace, "/link_blocks", sizeof(link_block_rec_t),
                                     block_fields, NFIELDS(block_fields), err);
    if (w->t_blocks == NULL)
        return SIM_ERR_RUN;
    w->t_outages = trace_table_create(w->trace, "/link_outages", sizeof(link_outage_rec_t),
                                      outage_fields, NFIELDS(outage_fields), err);
    if (w->t_outages == NULL)
        return SIM_ERR_RUN;
    if ((rc = world_trace_metadata(w, err)) != SIM_OK ||
        (rc = world_trace_nodes(w, err)) != SIM_OK ||
        (rc = world_trace_links(w, err)) != SIM_OK ||
        (rc = world_trace_devices(w, err)) != SIM_OK ||
        (rc = world_trace_stores(w, err)) != SIM_OK ||
        (rc = world_trace_apps(w, err)) != SIM_OK)
        return rc;
    return SIM_OK;
}

/* ------------------------------------------------------------ summary */

static int world_summary_stores(world_t *w, world_report_t *r, sim_err_t *err)
{
    trace_table_t *t = trace_table_create(w->trace, "/summary/stores", sizeof(store_sum_t),
                                          store_sum_fields, NFIELDS(store_sum_fields), err);
    uint64_t moved_in = 0;
    if (t == NULL)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < w->nstores; i++) {
        world_store_t *s = w->stores[i];
        const kstore_accounts_t *a = kstore_accounts(s->ks);
        const bool closes = kstore_accounts_close(s->ks);
        s->time_in[s->last_state] += w->ctx.end - s->state_since;
        s->state_since = w->ctx.end;
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
        r->wasted += row.wasted;
        r->moved += a->moved_out;
        moved_in += a->moved_in;
        r->generated += row.generated;
        r->stored += row.stored;
        r->supplied += row.supplied;
        r->internal += row.internal;
        r->relayed += row.relayed;
        r->expired += row.expired;
        r->discarded += row.discarded;
        r->accounts_close = r->accounts_close && closes;
        if (trace_append(t, &row, err) != SIM_OK)
            return SIM_ERR_RUN;
    }
    /* Moves stay inside a node: what left one store entered another. */
    r->accounts_close = r->accounts_close && moved_in == r->moved;
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

static int world_summary_links(world_t *w, world_report_t *r, sim_err_t *err)
{
    trace_table_t *t = trace_table_create(w->trace, "/summary/links", sizeof(link_sum_t),
                                          link_sum_fields, NFIELDS(link_sum_fields), err);
    if (t == NULL)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < w->nlinks; i++) {
        const link_t *l = &w->links[i];
        const int64_t up = link_up_ns(l, w->ctx.end);
        const storage_stats_t *st = &w->storages[i].stats;
        link_sum_t row = { l->index, l->generated, l->blocks, world_per_second(l->generated, w),
                           up, world_fraction(up, w), *st };
        r->collisions += st->collisions;
        r->collided_bits += st->collided_bits;
        if (trace_append(t, &row, err) != SIM_OK)
            return SIM_ERR_RUN;
    }
    return SIM_OK;
}

static int world_summary_devices(world_t *w, sim_err_t *err)
{
    trace_table_t *t = trace_table_create(w->trace, "/summary/link_devices",
                                          sizeof(device_sum_t), device_sum_fields,
                                          NFIELDS(device_sum_fields), err);
    if (t == NULL)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < w->nlinks; i++) {
        for (size_t k = 0; k < w->links[i].ndevices; k++) {
            const link_device_t *d = &w->links[i].devices[k];
            const int64_t up = link_device_up_ns(d, w->ctx.end);
            device_sum_t row = { (uint32_t)i, d->index, d->generated, d->blocks, d->closed,
                                 d->held_bits, world_per_second(d->generated, w), up,
                                 world_fraction(up, w), d->outages };
            if (trace_append(t, &row, err) != SIM_OK)
                return SIM_ERR_RUN;
        }
    }
    return SIM_OK;
}

static int world_summary_apps(world_t *w, world_report_t *r, sim_err_t *err)
{
    trace_table_t *t = trace_table_create(w->trace, "/summary/apps", sizeof(app_sum_t),
                                          app_sum_fields, NFIELDS(app_sum_fields), err);
    if (t == NULL)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < w->napps; i++) {
        const etsi014_stats_t *s = &w->apps[i].stats;
        app_sum_t row = {
            .app = (uint32_t)i, .requests = s->requests, .ok = s->ok,
            .bad_request = s->bad_request, .unavailable = s->unavailable,
            .slave_requests = s->slave_requests, .slave_ok = s->slave_ok, .bits = s->bits,
            .mean_latency_s = s->requests > 0 ? s->latency_sum_ns / 1e9 / (double)s->requests
                                              : 0.0,
            .served_fraction = s->requests > 0 ? (double)s->ok / (double)s->requests : 0.0,
            .wasted = s->wasted, .slave_failed = s->slave_failed,
        };
        r->slave_failed += s->slave_failed;
        r->requests += s->requests;
        r->ok += s->ok;
        r->bad_request += s->bad_request;
        r->unavailable += s->unavailable;
        if (trace_append(t, &row, err) != SIM_OK)
            return SIM_ERR_RUN;
    }
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
    trace_table_t *t;
    int rc;

    *r = (world_report_t){ .end = w->ctx.end, .events = sim_executed(w->sim),
                           .stores = w->nstores, .links = w->nlinks, .apps = w->napps,
                           .accounts_close = true };
    if ((rc = world_summary_stores(w, r, err)) != SIM_OK ||
        (rc = world_summary_links(w, r, err)) != SIM_OK ||
        (rc = world_summary_devices(w, err)) != SIM_OK ||
        (rc = world_summary_apps(w, r, err)) != SIM_OK ||
        (rc = world_check_link_ends(w, err)) != SIM_OK)
        return rc;
    t = trace_table_create(w->trace, "/summary/network", sizeof *r, net_sum_fields,
                           NFIELDS(net_sum_fields), err);
    if (t == NULL || trace_append(t, r, err) != SIM_OK)
        return SIM_ERR_RUN;
    if (!r->accounts_close)
        return sim_err_set(err, SIM_ERR_RUN,
                           "key accounting does not close (see /summary/stores): this is "
                           "a bug in qkmsim, please report it with the scenario");
    return SIM_OK;
}
