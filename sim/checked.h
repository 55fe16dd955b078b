/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * checked.h - unsigned 64-bit arithmetic that reports overflow instead of
 * wrapping, and range-checked conversion of doubles to integers.
 *
 * Counters of a run (bits of key, mostly) are uint64. A wrapped counter
 * still satisfies an identity modulo 2^64, so a sum that "closes" after a
 * wrap proves nothing: every counter that a run accumulates goes through
 * these, and an overflow is a failure of the run (the caller turns the
 * false return into SIM_ERR_RUN with a message saying which counter).
 *
 * Converting a double outside the range of the target type is undefined
 * behaviour in C (clang's -fsanitize=float-cast-overflow catches it):
 * convert only through sim_u64_of_double, which checks first.
 */
#ifndef QKM_SIM_CHECKED_H
#define QKM_SIM_CHECKED_H

#include <stdbool.h>
#include <stdint.h>

/* *sum += x; false (and *sum unchanged) when the result exceeds UINT64_MAX. */
static inline bool sim_add_u64(uint64_t *sum, uint64_t x)
{
    if (x > UINT64_MAX - *sum)
        return false;
    *sum += x;
    return true;
}

/* *out = a * b; false (and *out unchanged) when the product exceeds UINT64_MAX. */
static inline bool sim_mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    if (a != 0 && b > UINT64_MAX / a)
        return false;
    *out = a * b;
    return true;
}

/* *out = x truncated towards zero; false (and *out unchanged) when x is NaN,
 * negative or not below 2^64 (the first double that does not fit). */
static inline bool sim_u64_of_double(double x, uint64_t *out)
{
    if (!(x >= 0.0 && x < 0x1p64))
        return false;
    *out = (uint64_t)x;
    return true;
}

/* The same for a long double. */
static inline bool sim_u64_of_long_double(long double x, uint64_t *out)
{
    if (!(x >= 0.0L && x < 0x1p64L))
        return false;
    *out = (uint64_t)x;
    return true;
}

#endif
