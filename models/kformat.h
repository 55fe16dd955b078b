/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kformat.h - key formats: how a store cuts its key stream into the keys it
 * hands out, and how much it wastes doing so (docs/storage-models.md,
 * "Key formats").
 *
 * A request for one key of `size` bits takes key_bits(size) >= size bits
 * from the oldest end of the store; the difference is waste. The formats:
 *
 *   bits    split and merge on supply (AIT): the key is cut from the
 *           stream at any bit, key_bits(size) = size, no waste.
 *   bytes   byte-granular (NIST): keys are whole bytes,
 *           key_bits(size) = 8 * ceil(size / 8).
 *   blocks  the stream is formatted into blocks of the sizes s_1 < ... < s_n
 *           (one size: fixed blocks, DARPA's Qblocks, Cisco's 64-bit
 *           blocks; several: DDKA's 128, 256, 512, 1024 and 2048 bits) and
 *           a key is made of whole blocks: the smallest block >= size when
 *           one is large enough; otherwise q = floor(size / s_n) blocks of
 *           the largest size, plus, when r = size - q s_n > 0, the smallest
 *           block >= r. With one size s this is ceil(size / s) blocks (a
 *           300-bit key from 256-bit blocks takes 512 bits and wastes 212).
 *
 * A request for `number` keys takes number * key_bits(size) bits and wastes
 * number * (key_bits(size) - size): each key is formatted on its own.
 */
#ifndef QKM_MODELS_KFORMAT_H
#define QKM_MODELS_KFORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/error.h"
#include "sim/scenario.h"

#define KFORMAT_MAX_SIZES 16

typedef enum kformat_kind {
    KFORMAT_BITS = 0,     /* the default (a zeroed kformat_t) */
    KFORMAT_BYTES = 1,
    KFORMAT_BLOCKS = 2
} kformat_kind_t;

typedef struct kformat {
    kformat_kind_t kind;
    size_t nsizes;                        /* BLOCKS: 1..KFORMAT_MAX_SIZES */
    uint64_t sizes[KFORMAT_MAX_SIZES];    /* BLOCKS: bits, strictly increasing, > 0 */
} kformat_t;

/* SIM_ERR_INPUT unless the block sizes suit the kind (BLOCKS: 1 to
 * KFORMAT_MAX_SIZES positive, strictly increasing sizes; others: none). */
int kformat_check(const kformat_t *f, sim_err_t *err);

/* Bits that one key of `size` bits takes from the store, and the number of
 * blocks it is made of (1 for bits and bytes; 0 when size is 0). False
 * when the result does not fit in uint64 (*bits then undefined). */
bool kformat_key_bits(const kformat_t *f, uint64_t size, uint64_t *bits, uint64_t *blocks);

/* Bits that `number` keys of `size` bits take (*take) and waste (*waste).
 * False on uint64 overflow; such a request can never be served. */
bool kformat_request(const kformat_t *f, uint64_t size, uint64_t number, uint64_t *take,
                     uint64_t *waste);

/* Reads the attributes format ("bits", "bytes", "blocks"; default bits)
 * and block-sizes (a list of bits values separated by spaces, required by
 * and only allowed with "blocks") of a <store> element. Errors name e. */
int kformat_parse(const scn_elem_t *e, kformat_t *f, sim_err_t *err);

const char *kformat_kind_name(kformat_kind_t kind);

/* Writes the block sizes as "128 256 512" ("" when none) into buf. */
void kformat_sizes_text(const kformat_t *f, char *buf, size_t len);

#endif
