/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * units.h - the one parser of quantities with units.
 *
 * Every quantity in a scenario or on the command line is parsed here, so
 * that units mean the same everywhere. A value is a decimal number
 * (optionally with a fraction and exponent) followed directly or after
 * spaces by a unit. Units are case-sensitive (b is a bit, B a byte; M is
 * mega, m is milli or metre).
 *
 *   time     ns us ms s min h d              -> int64 nanoseconds (rounded
 *            to the nearest ns); a unit is required
 *   bits     b kb Mb Gb Tb (SI, 1 kb = 1000 b), B kB MB GB (8 bits a byte),
 *            Kib Mib Gib (binary, 1 Kib = 1024 b); a bare integer is bits
 *            -> uint64 bits; must be a whole number of bits
 *   rate     bps kbps Mbps Gbps (bit/s, SI)  -> double bit/s; a bare number
 *            is bit/s
 *   length   m km                            -> double metres; unit required
 *   frequency  /s /min /h Hz kHz MHz GHz     -> double events per second;
 *            a unit is required
 *
 * Negative values, NaN and infinities are rejected. On error the functions
 * return SIM_ERR_INPUT and write a message that quotes the text and lists
 * the accepted units; they return SIM_OK otherwise.
 */
#ifndef QKM_SIM_UNITS_H
#define QKM_SIM_UNITS_H

#include <stdint.h>

#include "sim/error.h"

int units_parse_time(const char *text, int64_t *ns, sim_err_t *err);
int units_parse_bits(const char *text, uint64_t *bits, sim_err_t *err);
int units_parse_rate(const char *text, double *bps, sim_err_t *err);
int units_parse_length(const char *text, double *metres, sim_err_t *err);
int units_parse_frequency(const char *text, double *per_second, sim_err_t *err);

/* Plain numbers (no unit): a non-negative double, an unsigned integer. */
int units_parse_double(const char *text, double *out, sim_err_t *err);
int units_parse_uint(const char *text, uint64_t *out, sim_err_t *err);

/* Formats ns as seconds with up to 9 decimals ("12.5s") into buf. */
const char *units_format_time(int64_t ns, char *buf, unsigned long len);

#endif
