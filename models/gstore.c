/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * gstore.c - global key stores at the endpoints of a relayed demand (gstore.h).
 */
#include "models/gstore.h"

#include <math.h>
#include <stdlib.h>

#include "models/storage.h"

struct gstore {
    gstore_config_t cfg;
    kstore_t *end[2];
    uint64_t stream, offset;   /* next stream bit to deliver */
    uint64_t lower;            /* in force */
    double latency_sum;        /* s, over nlat relays */
    uint64_t nlat;
};

gstore_t *gstore_create(const gstore_config_t *cfg, uint64_t stream)
{
    gstore_t *g = calloc(1, sizeof *g);
    /* Served from the oldest end only, by the first range's ID: the
     * deliveries, one stream, merge (kstore.h, "Merging"). */
    kstore_config_t kc = { .capacity = cfg->capacity, .mmin = 0, .mthr = cfg->lower,
                           .merge = true };
    if (g == NULL)
        return NULL;
    g->cfg = *cfg;
    g->stream = stream;
    g->lower = cfg->lower;
    g->end[0] = kstore_create(&kc, 0);
    g->end[1] = kstore_create(&kc, 1);
    if (g->end[0] == NULL || g->end[1] == NULL) {
        gstore_destroy(g);
        return NULL;
    }
    return g;
}

void gstore_destroy(gstore_t *g)
{
    if (g == NULL)
        return;
    kstore_destroy(g->end[0]);
    kstore_destroy(g->end[1]);
    free(g);
}

int gstore_deliver(gstore_t *g, uint64_t bits, int64_t now, sim_err_t *err)
{
    const kstore_range_t r = { g->stream, g->offset, bits, now };
    g->offset += bits;
    return storage_add_pair(g->end, &r, KSTORE_CAUSE_GENERATED, now, err);
}

int gstore_serve(gstore_t *g, int master_end, uint64_t bits, int64_t now,
                 kstore_rangebuf_t *out, bool *granted, sim_err_t *err)
{
    sim_err_clear(err);
    return storage_serve_pair(g->end, master_end, bits, 0, now, out, granted, err);
}

int gstore_fetch(gstore_t *g, int slave_end, uint64_t bits, sim_err_t *err)
{
    return storage_fetch_pair(g->end, slave_end, bits, 0, err);
}

uint64_t gstore_level(const gstore_t *g)
{
    return kstore_level(g->end[0]);
}

uint64_t gstore_wanted(const gstore_t *g, uint64_t inflight)
{
    const uint64_t have = gstore_level(g) + inflight;
    const uint64_t upper = g->cfg.upper > g->lower ? g->cfg.upper : g->lower;
    if (g->cfg.supply != GSTORE_DDKA || have >= g->lower || have >= upper)
        return 0;
    return upper - have;
}

void gstore_observe_latency(gstore_t *g, double demand_bps, double latency_s)
{
    double want;
    g->latency_sum += latency_s;
    g->nlat++;
    if (!g->cfg.lower_from_latency)
        return;
    want = ceil(demand_bps * g->latency_sum / (double)g->nlat);
    if (want > (double)g->cfg.capacity)
        want = (double)g->cfg.capacity;
    g->lower = want > (double)g->cfg.lower ? (uint64_t)want : g->cfg.lower;
}

uint64_t gstore_lower(const gstore_t *g)
{
    return g->lower;
}

const gstore_config_t *gstore_config(const gstore_t *g)
{
    return &g->cfg;
}

const kstore_accounts_t *gstore_accounts(const gstore_t *g, int end)
{
    return kstore_accounts(g->end[end]);
}

bool gstore_accounts_close(const gstore_t *g)
{
    return kstore_accounts_close(g->end[0]) && kstore_accounts_close(g->end[1]) &&
           kstore_level(g->end[0]) == kstore_level(g->end[1]);
}
