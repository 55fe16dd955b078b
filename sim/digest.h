/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * digest.h - SHA-256 (FIPS 180-4), to identify a scenario text in the
 * trace metadata. Computed by OpenSSL's libcrypto (sim/digest.c is its one
 * home); tests/test_trace.c checks it against the FIPS 180-4 example vectors.
 */
#ifndef QKM_SIM_DIGEST_H
#define QKM_SIM_DIGEST_H

#include <stddef.h>
#include <stdint.h>

/* Writes the 64 lowercase hex digits of SHA-256(data) and a NUL into hex.
 * Returns 0, or -1 when libcrypto could not allocate its context (then the
 * digits are all zeros). The names and arguments are those of the former
 * hand-written implementation; only the return value was added. */
int digest_sha256_hex(const void *data, size_t len, char hex[65]);

/* Raw digest; returns as digest_sha256_hex. */
int digest_sha256(const void *data, size_t len, uint8_t out[32]);

#endif
