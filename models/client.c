/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * client.c - the registry of client kinds and what they share (client.h).
 */
#include "models/client.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sim/grow.h"
#include "sim/kernel.h"
#include "sim/qset.h"

extern const client_kind_t etsi014_kind;
extern const client_kind_t etsi004_kind;

/* The registry: one line per kind. */
const client_kind_t *const client_kinds[] = {
    &etsi014_kind,
    &etsi004_kind,
    NULL,
};

const client_kind_t *client_find(const client_kind_t *const *kinds, const char *element)
{
    for (size_t i = 0; kinds[i] != NULL; i++)
        if (strcmp(kinds[i]->element, element) == 0)
            return kinds[i];
    return NULL;
}

void client_count(client_t *c, uint32_t status)
{
    c->outcomes.requests++;
    c->outcomes.ok += status == 200;
    c->outcomes.bad_request += status == 400;
    c->outcomes.unavailable += status == 503;
}

/* ------------------------------------------------------------ aggregates */

/* One (kind, status) of a client's window. */
typedef struct client_cell {
    uint32_t kind, status;
    uint64_t count, bits;
    double latency_sum_ns;
    qset_t latency;         /* ns, of the window's requests */
} client_cell_t;

struct client_agg {
    trace_table_t *table;   /* borrowed from the trace */
    int64_t interval;       /* ns */
    int64_t window;         /* index of the window being filled */
    int64_t w_lo, w_hi;     /* its times [w_lo, w_hi), ns (saves a division a request) */
    client_cell_t *cells;   /* ncells used, grows by doubling */
    size_t ncells, cap;
};

/* One /request_stats row. */
typedef struct client_stats_row {
    int64_t t_start, t_end;     /* ns */
    uint32_t app, kind, status;
    uint64_t count, bits;
    double latency_mean_s, latency_p50_s, latency_p95_s, latency_p99_s, latency_max_s;
} client_stats_row_t;

#define CF(member, kind) { #member, kind, offsetof(client_stats_row_t, member) }
static const trace_field_t client_stats_fields[] = {
    CF(t_start, TRACE_I64),        CF(t_end, TRACE_I64),         CF(app, TRACE_U32),
    CF(kind, TRACE_U32),           CF(status, TRACE_U32),        CF(count, TRACE_U64),
    CF(bits, TRACE_U64),           CF(latency_mean_s, TRACE_F64), CF(latency_p50_s, TRACE_F64),
    CF(latency_p95_s, TRACE_F64),  CF(latency_p99_s, TRACE_F64), CF(latency_max_s, TRACE_F64),
};
#undef CF

int client_agg_open(trace_t *trace, const client_output_t *out, client_t *const *clients,
                    size_t n, sim_err_t *err)
{
    trace_table_t *t = trace_table_create_large(
        trace, "/request_stats", sizeof(client_stats_row_t), client_stats_fields,
        sizeof client_stats_fields / sizeof client_stats_fields[0], err);
    if (t == NULL ||
        trace_attr_i64(trace, "/request_stats", "interval_ns", out->interval, err) != SIM_OK)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < n; i++) {
        client_agg_t *a = calloc(1, sizeof *a);
        if (a == NULL)
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
        *a = (client_agg_t){ .table = t, .interval = out->interval, .w_hi = out->interval };
        clients[i]->agg = a;
    }
    return SIM_OK;
}

/* Writes the window's rows (ending at `end` ns) and empties its cells. */
static int client_agg_flush(client_t *c, int64_t end, sim_err_t *err)
{
    client_agg_t *a = c->agg;
    const int64_t start = a->window * a->interval;
    const int64_t stop = end - start < a->interval ? end : start + a->interval;

    for (size_t i = 0; i < a->ncells; i++) {
        client_cell_t *cell = &a->cells[i];
        qset_t *lat = &cell->latency;
        client_stats_row_t row = {
            .t_start = start, .t_end = stop, .app = c->index, .kind = cell->kind,
            .status = cell->status, .count = cell->count, .bits = cell->bits,
        };
        if (cell->count == 0)
            continue;
        if (qset_quantile(lat, 0.50, &row.latency_p50_s) != 0 ||
            qset_quantile(lat, 0.95, &row.latency_p95_s) != 0 ||
            qset_quantile(lat, 0.99, &row.latency_p99_s) != 0 ||
            qset_quantile(lat, 1.0, &row.latency_max_s) != 0)
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
        row.latency_mean_s = cell->latency_sum_ns / (double)cell->count / 1e9;
        row.latency_p50_s /= 1e9;
        row.latency_p95_s /= 1e9;
        row.latency_p99_s /= 1e9;
        row.latency_max_s /= 1e9;
        cell->count = cell->bits = 0;
        cell->latency_sum_ns = 0;
        qset_clear(lat);
        if (trace_append(a->table, &row, err) != SIM_OK)
            return SIM_ERR_RUN;
    }
    return SIM_OK;
}

/* The cell of (kind, status), made when new; NULL when out of memory. */
static client_cell_t *client_cell(client_agg_t *a, uint32_t kind, uint32_t status)
{
    client_cell_t *v;

    for (size_t i = 0; i < a->ncells; i++)
        if (a->cells[i].kind == kind && a->cells[i].status == status)
            return &a->cells[i];
    if ((v = grow_room(a->cells, &a->cap, a->ncells + 1, sizeof *v, 4)) == NULL)
        return NULL;
    a->cells = v;
    a->cells[a->ncells] = (client_cell_t){ .kind = kind, .status = status };
    return &a->cells[a->ncells++];
}

static int client_agg_add(client_t *c, uint32_t kind, uint32_t status, int64_t t_answered,
                          int64_t latency_ns, uint64_t bits, sim_err_t *err)
{
    client_agg_t *a = c->agg;
    client_cell_t *cell;

    if (t_answered >= a->w_hi) {   /* time only moves on: never below w_lo */
        const int64_t window = t_answered / a->interval;
        if (client_agg_flush(c, t_answered, err) != SIM_OK)
            return SIM_ERR_RUN;
        a->window = window;
        a->w_lo = window * a->interval;
        a->w_hi = a->w_lo + a->interval;
    }
    if ((cell = client_cell(a, kind, status)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    if (qset_add(&cell->latency, (double)latency_ns) != 0)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    cell->count++;
    cell->latency_sum_ns += (double)latency_ns;
    cell->bits += bits;
    return SIM_OK;
}

void client_record(client_t *c, uint32_t kind, uint32_t status, int64_t latency_ns,
                   uint64_t bits)
{
    sim_err_t err;
    if (c->agg != NULL &&
        client_agg_add(c, kind, status, sim_now(c->ctx->sim), latency_ns, bits, &err) != SIM_OK)
        model_fail(c->ctx, &err);
}

int client_agg_finish(client_t *const *clients, size_t n, int64_t end, sim_err_t *err)
{
    for (size_t i = 0; i < n; i++)
        if (clients[i]->agg != NULL && client_agg_flush(clients[i], end, err) != SIM_OK)
            return SIM_ERR_RUN;
    return SIM_OK;
}

void client_agg_free(client_t *c)
{
    client_agg_t *a = c->agg;
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->ncells; i++)
        qset_free(&a->cells[i].latency);
    free(a->cells);
    free(a);
    c->agg = NULL;
}

bool client_log_keeps(const client_output_t *out, uint64_t k)
{
    switch (out->requests) {
    case CLIENT_LOG_ALL:
        return true;
    case CLIENT_LOG_SAMPLED:
        return k % out->every == 0;
    case CLIENT_LOG_OFF:
    case CLIENT_LOG_AGGREGATE:
        break;
    }
    return false;
}
