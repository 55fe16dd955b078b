/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kformat.c - key formats and their waste (kformat.h).
 */
#include "models/kformat.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/units.h"

static const char *const kformat_names[] = { "bits", "bytes", "blocks", NULL };

const char *kformat_kind_name(kformat_kind_t kind)
{
    return (unsigned)kind < 3 ? kformat_names[kind] : "?";
}

int kformat_check(const kformat_t *f, sim_err_t *err)
{
    if ((unsigned)f->kind > KFORMAT_BLOCKS)
        return sim_err_set(err, SIM_ERR_INPUT, "unknown key format %d", (int)f->kind);
    if (f->kind != KFORMAT_BLOCKS)
        return f->nsizes == 0
                   ? SIM_OK
                   : sim_err_set(err, SIM_ERR_INPUT,
                                 "block-sizes is only allowed with format=\"blocks\"");
    if (f->nsizes == 0 || f->nsizes > KFORMAT_MAX_SIZES)
        return sim_err_set(err, SIM_ERR_INPUT,
                           "format=\"blocks\" needs 1 to %d block sizes, not %zu",
                           KFORMAT_MAX_SIZES, f->nsizes);
    for (size_t i = 0; i < f->nsizes; i++) {
        if (f->sizes[i] == 0)
            return sim_err_set(err, SIM_ERR_INPUT, "block sizes must be positive");
        if (i > 0 && f->sizes[i] <= f->sizes[i - 1])
            return sim_err_set(err, SIM_ERR_INPUT,
                               "block sizes must be strictly increasing (%" PRIu64
                               " b after %" PRIu64 " b)",
                               f->sizes[i], f->sizes[i - 1]);
    }
    return SIM_OK;
}

/* The smallest block >= bits (bits <= the largest block). */
static uint64_t kformat_fit(const kformat_t *f, uint64_t bits)
{
    for (size_t i = 0; i < f->nsizes; i++)
        if (f->sizes[i] >= bits)
            return f->sizes[i];
    return f->sizes[f->nsizes - 1];
}

bool kformat_key_bits(const kformat_t *f, uint64_t size, uint64_t *bits, uint64_t *blocks)
{
    *blocks = size > 0;
    switch (f->kind) {
    case KFORMAT_BYTES: {
        const uint64_t pad = (8 - size % 8) % 8;
        *bits = size + pad;
        return *bits >= size;
    }
    case KFORMAT_BLOCKS: {
        /* Whole largest blocks for all but the remainder, then the
         * smallest block that covers the remainder. q * largest <= size,
         * so only the last addition can overflow. */
        const uint64_t largest = f->sizes[f->nsizes - 1];
        const uint64_t q = size / largest, r = size % largest;
        const uint64_t last = r > 0 ? kformat_fit(f, r) : 0;
        *bits = q * largest + last;
        *blocks = q + (r > 0);
        return *bits >= q * largest;
    }
    case KFORMAT_BITS:
    default:
        *bits = size;
        return true;
    }
}

bool kformat_request(const kformat_t *f, uint64_t size, uint64_t number, uint64_t *take,
                     uint64_t *waste)
{
    uint64_t per_key = 0, blocks = 0;

    *take = *waste = 0;
    if (!kformat_key_bits(f, size, &per_key, &blocks))
        return false;
    if (number > 0 && per_key > UINT64_MAX / number)
        return false;
    *take = per_key * number;
    *waste = (per_key - size) * number;   /* <= *take, cannot overflow */
    return true;
}

/* Splits the block-sizes list at spaces and commas. */
static int kformat_parse_sizes(const scn_elem_t *e, const char *text, kformat_t *f,
                               sim_err_t *err)
{
    const char *p = text;
    sim_err_t why;

    f->nsizes = 0;
    while (*p != '\0') {
        char word[64];
        size_t n = strcspn(p, " ,");
        if (n == 0) {
            p++;
            continue;
        }
        if (f->nsizes == KFORMAT_MAX_SIZES)
            return scn_error(e, err, "attribute 'block-sizes': more than %d sizes",
                             KFORMAT_MAX_SIZES);
        if (n >= sizeof word)
            return scn_error(e, err, "attribute 'block-sizes': '%.*s' is too long", (int)n, p);
        memcpy(word, p, n);
        word[n] = '\0';
        if (units_parse_bits(word, &f->sizes[f->nsizes], &why) != SIM_OK)
            return scn_error(e, err, "attribute 'block-sizes': %s", why.msg);
        f->nsizes++;
        p += n;
    }
    return SIM_OK;
}

int kformat_parse(const scn_elem_t *e, kformat_t *f, sim_err_t *err)
{
    const char *sizes = NULL;
    int kind = KFORMAT_BITS;
    sim_err_t why;
    int rc;

    *f = (kformat_t){ .kind = KFORMAT_BITS };
    if (e == NULL)
        return SIM_OK;
    if ((rc = scn_attr_enum(e, "format", false, kformat_names, &kind, err)) != SIM_OK ||
        (rc = scn_attr_string(e, "block-sizes", false, &sizes, err)) != SIM_OK)
        return rc;
    f->kind = (kformat_kind_t)kind;
    if (sizes != NULL && (rc = kformat_parse_sizes(e, sizes, f, err)) != SIM_OK)
        return rc;
    if (sizes != NULL && f->nsizes == 0)
        return scn_error(e, err, "attribute 'block-sizes': no size given");
    if (kformat_check(f, &why) != SIM_OK)
        return scn_error(e, err, "%s", why.msg);
    return SIM_OK;
}

void kformat_sizes_text(const kformat_t *f, char *buf, size_t len)
{
    size_t used = 0;

    if (len == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < f->nsizes && used < len; i++) {
        int k = snprintf(buf + used, len - used, "%s%" PRIu64, i > 0 ? " " : "", f->sizes[i]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}
