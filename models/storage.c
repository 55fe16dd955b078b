/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * storage.c - the registry of storage designs, the helpers they share, and
 * the default design "shared" (storage.h).
 */
#include "models/storage.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/checked.h"

extern const storage_design_t storage_shared;
extern const storage_design_t storage_q3p;
extern const storage_design_t storage_session;
extern const storage_design_t storage_collide;

/* The registry: one line per design. The first is the default. */
const storage_design_t *const storage_designs[] = {
    &storage_shared,
    &storage_q3p,
    &storage_session,
    &storage_collide,
    NULL,
};

const storage_design_t *storage_find(const char *name)
{
    for (size_t i = 0; storage_designs[i] != NULL; i++)
        if (strcmp(storage_designs[i]->name, name) == 0)
            return storage_designs[i];
    return NULL;
}

/* Writes "a, b, c" of a NULL-terminated list into buf. */
static void storage_list(const char *const *names, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; names != NULL && names[i] != NULL && used < len; i++) {
        int k = snprintf(buf + used, len - used, "%s%s", i > 0 ? ", " : "", names[i]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
    if (buf[0] == '\0')
        snprintf(buf, len, "none");
}

static bool storage_has_param(const storage_design_t *d, const char *name)
{
    if (strcmp(name, "design") == 0)
        return true;
    for (size_t i = 0; d->params != NULL && d->params[i] != NULL; i++)
        if (strcmp(d->params[i], name) == 0)
            return true;
    return false;
}

int storage_select(const scn_elem_t *e, const storage_design_t **design, sim_err_t *err)
{
    const char *name = NULL;
    char list[512];
    int rc;

    *design = storage_designs[0];
    if (e == NULL)
        return SIM_OK;
    if ((rc = scn_attr_string(e, "design", true, &name, err)) != SIM_OK)
        return rc;
    if ((*design = storage_find(name)) == NULL) {
        const char *names[16] = { NULL };
        for (size_t i = 0; storage_designs[i] != NULL && i < 15; i++)
            names[i] = storage_designs[i]->name;
        storage_list(names, list, sizeof list);
        return scn_error(e, err, "attribute 'design': unknown storage design '%s' "
                                 "(expected one of: %s)", name, list);
    }
    for (size_t i = 0; i < e->nattrs; i++)
        if (!storage_has_param(*design, e->keys[i])) {
            storage_list((*design)->params, list, sizeof list);
            return scn_error(e, err, "attribute '%s' does not apply to storage design '%s' "
                                     "(its attributes: %s)", e->keys[i], name, list);
        }
    return SIM_OK;
}

int storage_counter_index(const storage_design_t *d, const char *name)
{
    for (int i = 0; d->counters != NULL && d->counters[i].name != NULL; i++)
        if (strcmp(d->counters[i].name, name) == 0)
            return i;
    return -1;
}

int storage_count(storage_link_t *sl, int index, uint64_t amount, sim_err_t *err)
{
    if (!sim_add_u64(&sl->counters[index], amount))
        return sim_err_set(err, SIM_ERR_RUN,
                           "link %s: counter '%s' of storage design %s would exceed "
                           "2^64 - 1", sl->id, sl->design->counters[index].name,
                           sl->design->name);
    return SIM_OK;
}

uint64_t storage_counter(const storage_link_t *sl, const char *name)
{
    const int i = storage_counter_index(sl->design, name);
    return i >= 0 ? sl->counters[i] : 0;
}

int storage_setup(storage_link_t *sl, const scn_elem_t *e, sim_err_t *err)
{
    sl->elem = e;
    return sl->design->setup(sl, e, err);
}

void storage_destroy(storage_link_t *sl)
{
    if (sl->design != NULL && sl->design->destroy != NULL)
        sl->design->destroy(sl);
    sl->state = NULL;
}

/* ------------------------------------------------------------ helpers */

int storage_make_stores(storage_link_t *sl, const char *role, const kstore_config_t *cfg,
                        bool synced, kstore_t *pair[2], sim_err_t *err)
{
    if (kstore_config_check(cfg, err) != SIM_OK) {
        if (sl->elem != NULL)
            return scn_error(sl->elem, err, "link '%s', %s store: %s", sl->id, role,
                             err->msg);
        return sim_err_prefix(err, "link '%s', %s store", sl->id, role);
    }
    return sl->make_store(sl->owner, sl, role, cfg, synced, pair, err);
}

int storage_add_pair(kstore_t *pair[2], const kstore_range_t *r, kstore_cause_t cause,
                     int64_t now, sim_err_t *err)
{
    uint64_t kept_a = 0, kept_b = 0;
    int rc;

    if ((rc = kstore_add(pair[0], r, cause, now, &kept_a, err)) != SIM_OK ||
        (rc = kstore_add(pair[1], r, cause, now, &kept_b, err)) != SIM_OK)
        return rc;
    if (kept_a != kept_b)
        return sim_err_set(err, SIM_ERR_RUN,
                           "stores %" PRIu32 " and %" PRIu32 " kept different parts of "
                           "the same key", kstore_id(pair[0]), kstore_id(pair[1]));
    return SIM_OK;
}

/* storage_take_pair into a list of its own, dropped after. */
static bool storage_take_pair_scratch(kstore_t *pair[2], int end, uint64_t bits,
                                      kstore_cause_t cause, kstore_cause_t peer_cause,
                                      int64_t now, sim_err_t *err)
{
    kstore_range_t few[4];
    kstore_rangebuf_t scratch = KSTORE_RANGEBUF_ON(few);
    const bool ok = storage_take_pair(pair, end, bits, cause, peer_cause, now, &scratch, err);
    kstore_rangebuf_free(&scratch);
    return ok;
}

bool storage_take_pair(kstore_t *pair[2], int end, uint64_t bits, kstore_cause_t cause,
                       kstore_cause_t peer_cause, int64_t now, kstore_rangebuf_t *out,
                       sim_err_t *err)
{
    /* The ranges go straight to out; the peer takes the part appended by
     * this call. A caller that wants none gets a scratch list (once per
     * request on the client path, so out != NULL costs nothing extra). */
    const size_t first = out != NULL ? out->n : 0;

    if (out == NULL)
        return storage_take_pair_scratch(pair, end, bits, cause, peer_cause, now, err);
    sim_err_clear(err);
    return kstore_take(pair[end], bits, cause, now, out, err) &&
           kstore_take_same(pair[1 - end], out->v + first, out->n - first, peer_cause, now,
                            err) == SIM_OK;
}

bool storage_move_pair(storage_link_t *sl, kstore_t *from[2], kstore_t *to[2], uint64_t bits,
                       int64_t now, sim_err_t *err)
{
    kstore_rangebuf_t moved = { 0 };
    bool ok = false;
    int slot;

    if (!storage_take_pair(from, 0, bits, KSTORE_CAUSE_MOVED, KSTORE_CAUSE_MOVED, now,
                           &moved, err))
        goto out;
    for (size_t i = 0; i < moved.n; i++)
        if (storage_add_pair(to, &moved.v[i], KSTORE_CAUSE_MOVED, now, err) != SIM_OK)
            goto out;
    if ((slot = storage_counter_index(sl->design, "moved_bits")) >= 0 &&
        (storage_count(sl, slot, bits, err) != SIM_OK ||
         storage_count(sl, slot, bits, err) != SIM_OK))
        goto out;
    ok = true;
out:
    kstore_rangebuf_free(&moved);
    return ok;
}

int storage_serve_pair(kstore_t *pair[2], int master_end, uint64_t bits, uint64_t waste,
                       int64_t now, kstore_rangebuf_t *out, bool *granted, sim_err_t *err)
{
    *granted = storage_take_pair(pair, master_end, bits, KSTORE_CAUSE_SUPPLIED,
                                 KSTORE_CAUSE_RESERVED, now, out, err);
    if (!*granted)
        return err->code;   /* SIM_OK: a shortage */
    return kstore_count_waste(pair[master_end], waste, err);
}

int storage_relay_pair(kstore_t *pair[2], int end, uint64_t bits, int64_t now,
                       kstore_rangebuf_t *out, bool *granted, sim_err_t *err)
{
    *granted = storage_take_pair(pair, end, bits, KSTORE_CAUSE_RELAYED, KSTORE_CAUSE_RELAYED,
                                 now, out, err);
    return *granted ? SIM_OK : err->code;   /* not granted: SIM_OK for a shortage */
}

uint64_t storage_relay_available(kstore_t *pair[2], int end, int64_t now)
{
    const kstore_config_t *c = kstore_config(pair[end]);
    uint64_t a, b;
    storage_expire_pair(pair, now);
    a = kstore_level(pair[end]);
    b = kstore_level(pair[1 - end]);
    a = a < b ? a : b;
    if (c->reserve_min)
        a = a > c->mmin ? a - c->mmin : 0;
    return a;
}

int storage_fetch_pair(kstore_t *pair[2], int slave_end, uint64_t bits, uint64_t waste,
                       sim_err_t *err)
{
    int rc = kstore_release_reserved(pair[slave_end], bits, err);
    if (rc == SIM_OK)
        rc = kstore_count_waste(pair[slave_end], waste, err);
    return rc;
}

int storage_param_error(const storage_link_t *sl, const scn_elem_t *e, sim_err_t *err,
                        const char *what)
{
    if (e != NULL)
        return scn_error(e, err, "storage design %s, link '%s': %s", sl->design->name, sl->id,
                         what);
    return sim_err_set(err, SIM_ERR_INPUT, "link '%s': storage design %s: %s", sl->id,
                       sl->design->name, what);
}

void storage_expire_pair(kstore_t *pair[2], int64_t now)
{
    kstore_expire(pair[0], now);
    kstore_expire(pair[1], now);
}

int storage_schedule(storage_link_t *sl, int64_t when, sim_handler_fn fn, uint64_t arg,
                     sim_err_t *err)
{
    if (sim_schedule_at(sl->ctx->sim, when, fn, sl, arg) == 0)
        return sim_err_set(err, SIM_ERR_RUN, "link %s: out of memory", sl->id);
    return SIM_OK;
}

void storage_fail(storage_link_t *sl, sim_err_t *err)
{
    sim_err_prefix(err, "link %s", sl->id);
    model_fail(sl->ctx, err);
}

/* ------------------------------------------------------------ shared */

/*
 * The shared design: one common store at each end; the link's key goes
 * there, and every client is served from its oldest end, the two ends in
 * step (the master's KME picks the key, the slave's sets the same key
 * aside at the same instant). This is the store of QKDNetSim, Toshiba's
 * local key stores and NEC's pools.
 */
typedef struct storage_shared_state {
    kstore_t *common[2];
} storage_shared_state_t;

static int storage_shared_setup(storage_link_t *sl, const scn_elem_t *e, sim_err_t *err)
{
    storage_shared_state_t *st = calloc(1, sizeof *st);
    /* Nothing here reads births or range boundaries past the first range
     * a take returns (the key ID): the stores merge contiguous blocks
     * (kstore.h, "Merging"; they do not when key has a max-age). */
    kstore_config_t cfg = sl->cfg;
    (void)e;
    if (st == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    sl->state = st;
    cfg.merge = true;
    return storage_make_stores(sl, "common", &cfg, true, st->common, err);
}

static int storage_shared_deliver(storage_link_t *sl, size_t device, const kstore_range_t *r,
                                  kstore_cause_t cause, int64_t now, sim_err_t *err)
{
    storage_shared_state_t *st = sl->state;
    (void)device;
    return storage_add_pair(st->common, r, cause, now, err);
}

static int storage_shared_get_key(storage_link_t *sl, size_t app, uint64_t bits,
                                  uint64_t waste, int64_t now, kstore_rangebuf_t *out,
                                  uint64_t *ticket, bool *granted, sim_err_t *err)
{
    storage_shared_state_t *st = sl->state;
    *ticket = 0;
    return storage_serve_pair(st->common, sl->apps[app].master_end, bits, waste, now, out,
                              granted, err);
}

static int storage_shared_fetch(storage_link_t *sl, size_t app, uint64_t ticket,
                                uint64_t bits, uint64_t waste, int64_t now, bool *ok,
                                sim_err_t *err)
{
    storage_shared_state_t *st = sl->state;
    (void)ticket;
    (void)now;
    *ok = true;
    return storage_fetch_pair(st->common, 1 - sl->apps[app].master_end, bits, waste, err);
}

static const kstore_t *storage_shared_serving(const storage_link_t *sl, size_t app, int end)
{
    const storage_shared_state_t *st = sl->state;
    (void)app;
    return st->common[end];
}

static int storage_shared_take(storage_link_t *sl, int end, uint64_t bits, int64_t now,
                               kstore_rangebuf_t *out, bool *granted, sim_err_t *err)
{
    storage_shared_state_t *st = sl->state;
    return storage_relay_pair(st->common, end, bits, now, out, granted, err);
}

static uint64_t storage_shared_available(storage_link_t *sl, int end, int64_t now)
{
    storage_shared_state_t *st = sl->state;
    return storage_relay_available(st->common, end, now);
}

static void storage_shared_destroy(storage_link_t *sl)
{
    free(sl->state);
}

const storage_design_t storage_shared = {
    .name = "shared",
    .params = NULL,
    .setup = storage_shared_setup,
    .deliver = storage_shared_deliver,
    .get_key = storage_shared_get_key,
    .fetch = storage_shared_fetch,
    .serving = storage_shared_serving,
    .take = storage_shared_take,
    .available = storage_shared_available,
    .passive = true,
    .destroy = storage_shared_destroy,
};
