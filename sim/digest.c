/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * digest.c - SHA-256 (FIPS 180-4) through OpenSSL's libcrypto (EVP API).
 * This file is libcrypto's one home (tests/layering.sh checks it).
 */
#include "sim/digest.h"

#include <string.h>

#include <openssl/evp.h>

int digest_sha256(const void *data, size_t len, uint8_t out[32])
{
    unsigned int n = 0;

    /* EVP_Digest is one-shot: the inputs (scenario texts) are small. It
     * fails only when libcrypto cannot allocate its context. */
    if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != 32) {
        memset(out, 0, 32);
        return -1;
    }
    return 0;
}

int digest_sha256_hex(const void *data, size_t len, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    uint8_t raw[32];
    int rc = digest_sha256(data, len, raw);
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[raw[i] >> 4];
        hex[2 * i + 1] = digits[raw[i] & 0x0f];
    }
    hex[64] = '\0';
    return rc;
}
