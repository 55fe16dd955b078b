/*
 * link.c - constant-rate QKD link delivering key in blocks (see link.h).
 */
#include "models/link.h"

#include <math.h>

static const char *const link_models[] = { "constant", NULL };

int link_config_parse(const scn_elem_t *gen, link_config_t *cfg, sim_err_t *err)
{
    int model = 0;
    int rc;

    cfg->rate_bps = 0.0;
    cfg->block_ns = LINK_DEFAULT_BLOCK_NS;
    cfg->delay_ns = 0;
    if ((rc = scn_attr_enum(gen, "model", false, link_models, &model, err)) != SIM_OK)
        return rc;
    if ((rc = scn_attr_rate(gen, "rate", true, &cfg->rate_bps, err)) != SIM_OK ||
        (rc = scn_attr_time(gen, "block", false, &cfg->block_ns, err)) != SIM_OK ||
        (rc = scn_attr_time(gen, "delay", false, &cfg->delay_ns, err)) != SIM_OK)
        return rc;
    if (cfg->block_ns <= 0)
        return scn_error(gen, err, "attribute 'block': the block interval must be positive");
    return SIM_OK;
}

/* Bits generated from time 0 to the close of block k: floor(R * k * block).
 * Integer rates (the usual case) are computed exactly in 128-bit integers,
 * so that 1000 bit/s over 33 blocks of 300 ms gives 9900 bits, not 9899;
 * other rates in long double. */
static uint64_t link_cumulative(const link_t *link, uint64_t k)
{
    const double r = link->cfg.rate_bps;
    if (r == floor(r) && r < 9007199254740992.0) {
        unsigned __int128 bits = (unsigned __int128)(uint64_t)r * k *
                                 (uint64_t)link->cfg.block_ns / 1000000000u;
        return (uint64_t)bits;
    }
    long double t = (long double)k * (long double)link->cfg.block_ns / 1e9L;
    return (uint64_t)floorl((long double)r * t);
}

static void link_on_deliver(sim_t *sim, void *object, uint64_t bits)
{
    link_t *link = object;
    sim_err_t err;
    const kstore_range_t range = {
        .stream = link->stream, .offset = link->next_offset, .length = bits,
        .birth = sim_now(sim),
    };
    uint64_t kept_a = 0, kept_b = 0;

    if (kstore_add(link->store_a, &range, KSTORE_CAUSE_GENERATED, sim_now(sim), &kept_a,
                   &err) != SIM_OK ||
        kstore_add(link->store_b, &range, KSTORE_CAUSE_GENERATED, sim_now(sim), &kept_b,
                   &err) != SIM_OK) {
        model_fail(link->ctx, &err);
        return;
    }
    link->next_offset += bits;
    if (kept_a != kept_b) {
        sim_err_set(&err, SIM_ERR_RUN,
                    "link %s: the two ends kept different parts of a block", link->id);
        model_fail(link->ctx, &err);
    }
}

static void link_on_block(sim_t *sim, void *object, uint64_t k)
{
    link_t *link = object;
    const uint64_t bits = link_cumulative(link, k) - link_cumulative(link, k - 1);
    sim_err_t err;

    link->closed_k = k;
    link->blocks++;
    link->generated += bits;
    if (bits > 0 &&
        sim_schedule_in(sim, link->cfg.delay_ns, link_on_deliver, link, bits) == 0)
        goto fail;
    if (sim_schedule_in(sim, link->cfg.block_ns, link_on_block, link, k + 1) == 0)
        goto fail;
    return;
fail:
    /* Running past the end of representable time is not a failure. */
    if (sim_now(sim) > SIM_TIME_MAX - link->cfg.block_ns - link->cfg.delay_ns)
        return;
    sim_err_set(&err, SIM_ERR_RUN, "link %s: out of memory", link->id);
    model_fail(link->ctx, &err);
}

int link_start(link_t *link, uint64_t initial, sim_err_t *err)
{
    const kstore_range_t range = {
        .stream = link->stream, .offset = 0, .length = initial, .birth = 0,
    };
    uint64_t kept = 0;
    int rc;

    link->next_offset = initial;
    if (initial > 0) {
        if ((rc = kstore_add(link->store_a, &range, KSTORE_CAUSE_INITIAL, 0, &kept, err)) !=
                SIM_OK ||
            (rc = kstore_add(link->store_b, &range, KSTORE_CAUSE_INITIAL, 0, &kept, err)) !=
                SIM_OK)
            return rc;
    }
    if (sim_schedule_at(link->ctx->sim, link->cfg.block_ns, link_on_block, link, 1) == 0)
        return sim_err_set(err, SIM_ERR_RUN, "link %s: out of memory", link->id);
    return SIM_OK;
}
