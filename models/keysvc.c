/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * keysvc.c - the key service (keysvc.h).
 */
#include "models/keysvc.h"

#include <stdlib.h>

#include "sim/grow.h"

/* One bound client pair, kept until keysvc_finish hands the lists out. */
typedef struct keysvc_binding {
    uint32_t link;
    storage_app_t app;
    keysvc_pair_t *pair;   /* the client's, to fill with its slot */
} keysvc_binding_t;

struct keysvc {
    const topo_t *topo;
    storage_link_t *storages;   /* borrowed; edge i of topo is link i */
    size_t nlinks;
    keysvc_binding_t *bound;    /* grows by doubling */
    size_t nbound, cap;
    const keysvc_remote_t *remote;   /* borrowed; NULL: non-adjacent pairs refused */
    void *remote_ctx;
};

void keysvc_set_remote(keysvc_t *ks, const keysvc_remote_t *ops, void *ctx)
{
    ks->remote = ops;
    ks->remote_ctx = ctx;
}

keysvc_t *keysvc_create(const topo_t *topo, storage_link_t *storages, size_t nlinks)
{
    keysvc_t *ks = calloc(1, sizeof *ks);
    if (ks != NULL)
        *ks = (keysvc_t){ .topo = topo, .storages = storages, .nlinks = nlinks };
    return ks;
}

void keysvc_destroy(keysvc_t *ks)
{
    if (ks == NULL)
        return;
    free(ks->bound);
    free(ks);
}

static int keysvc_grow(keysvc_t *ks, sim_err_t *err)
{
    keysvc_binding_t *v = grow_room(ks->bound, &ks->cap, ks->nbound + 1, sizeof *v, 16);
    if (v == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    ks->bound = v;
    return SIM_OK;
}

int keysvc_bind(keysvc_t *ks, uint32_t app, const char *id, uint32_t master, uint32_t slave,
                uint64_t size, uint64_t number, double rate, keysvc_pair_t *pair,
                sim_err_t *err)
{
    size_t edge = 0;
    storage_link_t *sl;
    uint64_t bits = UINT64_MAX, waste = 0;

    if (!topo_edge_between(ks->topo, master, slave, &edge) || edge >= ks->nlinks) {
        if (ks->remote == NULL)
            return sim_err_set(err, SIM_ERR_INPUT,
                               "share no QKD link, and no key relay is set up: a client "
                               "pair needs a QKD link between its nodes");
        *pair = (keysvc_pair_t){ .sl = NULL, .remote = ks->remote };
        return ks->remote->bind(ks->remote_ctx, app, id, master, slave, size, number, rate,
                                &pair->rpair, err);
    }
    if (ks->nbound == ks->cap && keysvc_grow(ks, err) != SIM_OK)
        return SIM_ERR_RUN;
    sl = &ks->storages[edge];
    if (!kformat_request(&sl->cfg.format, size, number, &bits, &waste))
        bits = UINT64_MAX;   /* more than a store can ever hold: every request 503 */
    *pair = (keysvc_pair_t){ .sl = sl, .master_end = master == sl->node[STORAGE_END_A]
                                                         ? STORAGE_END_A
                                                         : STORAGE_END_B };
    ks->bound[ks->nbound++] = (keysvc_binding_t){
        .link = (uint32_t)edge, .pair = pair,
        .app = { .index = app, .id = id, .master_end = pair->master_end,
                 .demand = rate * (double)bits, .request_bits = bits },
    };
    return SIM_OK;
}

bool keysvc_adjacent(const keysvc_t *ks, uint32_t a, uint32_t b)
{
    size_t edge = 0;
    return topo_edge_between(ks->topo, a, b, &edge) && edge < ks->nlinks;
}

int keysvc_bind_send(keysvc_t *ks, uint32_t app, const char *id, uint32_t src, uint32_t dst,
                     const keysvc_send_demand_t *d, keysvc_send_t *out, sim_err_t *err)
{
    *out = (keysvc_send_t){ .remote = NULL };
    if (ks->remote == NULL || ks->remote->bind_send == NULL)
        return sim_err_set(err, SIM_ERR_INPUT, "no key relay is set up to carry key there");
    out->remote = ks->remote;
    return ks->remote->bind_send(ks->remote_ctx, app, id, src, dst, d, &out->rsend, err);
}

int keysvc_send(const keysvc_send_t *s, uint64_t bits, int64_t now, keysvc_sent_fn fn,
                void *arg, sim_err_t *err)
{
    return s->remote->send(s->rsend, bits, now, fn, arg, err);
}

/* Counted per link in one pass, filled in a second: O(links + clients). */
int keysvc_finish(keysvc_t *ks, sim_err_t *err)
{
    for (size_t i = 0; i < ks->nbound; i++)
        ks->storages[ks->bound[i].link].napps++;
    for (size_t k = 0; k < ks->nlinks; k++) {
        storage_link_t *sl = &ks->storages[k];
        if (sl->napps > 0 && (sl->apps = calloc(sl->napps, sizeof *sl->apps)) == NULL)
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
        sl->napps = 0;
    }
    for (size_t i = 0; i < ks->nbound; i++) {
        storage_link_t *sl = &ks->storages[ks->bound[i].link];
        ks->bound[i].pair->slot = sl->napps;
        sl->apps[sl->napps++] = ks->bound[i].app;
    }
    free(ks->bound);
    ks->bound = NULL;
    ks->nbound = ks->cap = 0;
    return SIM_OK;
}

int keysvc_get_key(const keysvc_pair_t *pair, uint64_t size, uint64_t number, int64_t now,
                   keysvc_grant_t *g, sim_err_t *err)
{
    storage_link_t *sl = pair->sl;
    kstore_range_t first[4];
    kstore_rangebuf_t taken = KSTORE_RANGEBUF_ON(first);
    int rc = SIM_OK;

    if (pair->remote != NULL)
        return pair->remote->get_key(pair->rpair, size, number, now, g, err);
    *g = (keysvc_grant_t){ .granted = false };
    sim_err_clear(err);
    if (!kformat_request(&sl->cfg.format, size, number, &g->bits, &g->waste))
        goto out;   /* more key than a store can ever hold: not enough key */
    if ((rc = sl->design->get_key(sl, pair->slot, g->bits, g->waste, now, &taken, &g->ticket,
                                  &g->granted, err)) != SIM_OK ||
        !g->granted)
        goto out;
    g->key_stream = taken.v[0].stream;
    g->key_offset = taken.v[0].offset;
out:
    kstore_rangebuf_free(&taken);
    return rc;
}

int keysvc_fetch(const keysvc_pair_t *pair, const keysvc_grant_t *g, int64_t now, bool *ok,
                 sim_err_t *err)
{
    storage_link_t *sl = pair->sl;
    if (pair->remote != NULL)
        return pair->remote->fetch(pair->rpair, g, now, ok, err);
    return sl->design->fetch(sl, pair->slot, g->ticket, g->bits, g->waste, now, ok, err);
}

int keysvc_path(const keysvc_pair_t *pair, int64_t now, keysvc_hop_t **hops, size_t *n,
                sim_err_t *err)
{
    *hops = NULL;
    *n = 0;
    if (pair->remote != NULL)
        return pair->remote->path != NULL
                   ? pair->remote->path(pair->rpair, now, hops, n, err)
                   : sim_err_set(err, SIM_ERR_INPUT,
                                 "the key service's remote binder cannot say the pair's path");
    if ((*hops = malloc(sizeof **hops)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    **hops = (keysvc_hop_t){ .link = pair->sl->index, .id = pair->sl->id, .cost = 1.0 };
    *n = 1;
    return SIM_OK;
}

int keysvc_can_take(const keysvc_t *ks, uint32_t link, sim_err_t *err)
{
    const storage_link_t *sl;
    if (link >= ks->nlinks)
        return sim_err_set(err, SIM_ERR_INPUT, "no link %u", (unsigned)link);
    sl = &ks->storages[link];
    if (sl->design->take == NULL)
        return sim_err_set(err, SIM_ERR_INPUT,
                           "link '%s': storage design '%s' cannot give key for relay: %s",
                           sl->id, sl->design->name,
                           sl->design->no_take != NULL ? sl->design->no_take
                                                       : "it has no take operation");
    return SIM_OK;
}

int keysvc_take(keysvc_t *ks, uint32_t link, int end, uint64_t bits, int64_t now,
                kstore_rangebuf_t *out, bool *granted, sim_err_t *err)
{
    storage_link_t *sl;
    *granted = false;
    if (keysvc_can_take(ks, link, err) != SIM_OK) {
        /* set-up should have refused it: a bug, so a run failure */
        if (err != NULL)
            err->code = SIM_ERR_RUN;
        return SIM_ERR_RUN;
    }
    sl = &ks->storages[link];
    return sl->design->take(sl, end, bits, now, out, granted, err);
}

uint64_t keysvc_available(keysvc_t *ks, uint32_t link, int end, int64_t now)
{
    storage_link_t *sl;
    if (link >= ks->nlinks)
        return 0;
    sl = &ks->storages[link];
    return sl->design->available != NULL ? sl->design->available(sl, end, now) : 0;
}

const kstore_t *keysvc_store(const keysvc_pair_t *pair, bool master)
{
    const storage_link_t *sl = pair->sl;
    int end;
    if (sl == NULL)   /* a relayed pair: served from its global store */
        return NULL;
    end = master ? pair->master_end : 1 - pair->master_end;
    return sl->design->serving != NULL ? sl->design->serving(sl, pair->slot, end) : NULL;
}
