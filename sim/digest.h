/*
 * digest.h - SHA-256 (FIPS 180-4), to identify a scenario text in the
 * trace metadata. None of the project's libraries exposes a hash, so it is
 * implemented here and checked against the FIPS 180-4 example vectors.
 */
#ifndef QKM_SIM_DIGEST_H
#define QKM_SIM_DIGEST_H

#include <stddef.h>
#include <stdint.h>

/* Writes the 64 lowercase hex digits of SHA-256(data) and a NUL into hex. */
void digest_sha256_hex(const void *data, size_t len, char hex[65]);

/* Raw digest. */
void digest_sha256(const void *data, size_t len, uint8_t out[32]);

#endif
