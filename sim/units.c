/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * units.c - the one parser of quantities with units (see units.h).
 *
 * A value is scanned in three parts: the number (digits, an optional
 * fraction and an optional exponent; no sign, so negatives, "nan" and "inf"
 * never get as far as strtod), the unit (the run of non-space characters
 * after the number and optional spaces), and nothing but spaces after it.
 * The unit is matched exactly against the table of its quantity kind.
 *
 * Numbers made of digits only are converted with integer arithmetic, so
 * large counts of bits or nanoseconds are exact; others go through strtod
 * (the C library's decimal point: the library never calls setlocale).
 */
#include "sim/units.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct units_unit {
    const char *name;
    double factor;      /* base units per one of this unit */
    uint64_t ifactor;   /* the same, exact, for integer arithmetic (0: none) */
} units_unit_t;

typedef struct units_kind {
    const char *what;             /* for messages, e.g. "time" */
    const units_unit_t *units;    /* terminated by a NULL name */
    const char *expected;         /* the accepted units, for messages */
    int unit_required;            /* else a bare number is in base units */
} units_kind_t;

static const units_unit_t units_time[] = {
    { "ns", 1.0, 1 },
    { "us", 1e3, UINT64_C(1000) },
    { "ms", 1e6, UINT64_C(1000000) },
    { "s", 1e9, UINT64_C(1000000000) },
    { "min", 60e9, UINT64_C(60000000000) },
    { "h", 3600e9, UINT64_C(3600000000000) },
    { "d", 86400e9, UINT64_C(86400000000000) },
    { NULL, 0.0, 0 },
};

static const units_unit_t units_bits[] = {
    { "b", 1.0, 1 },
    { "kb", 1e3, UINT64_C(1000) },
    { "Mb", 1e6, UINT64_C(1000000) },
    { "Gb", 1e9, UINT64_C(1000000000) },
    { "Tb", 1e12, UINT64_C(1000000000000) },
    { "B", 8.0, 8 },
    { "kB", 8e3, UINT64_C(8000) },
    { "MB", 8e6, UINT64_C(8000000) },
    { "GB", 8e9, UINT64_C(8000000000) },
    { "Kib", 1024.0, UINT64_C(1024) },
    { "Mib", 1048576.0, UINT64_C(1048576) },
    { "Gib", 1073741824.0, UINT64_C(1073741824) },
    { NULL, 0.0, 0 },
};

static const units_unit_t units_rate[] = {
    { "bps", 1.0, 0 },
    { "kbps", 1e3, 0 },
    { "Mbps", 1e6, 0 },
    { "Gbps", 1e9, 0 },
    { NULL, 0.0, 0 },
};

static const units_unit_t units_length[] = {
    { "m", 1.0, 0 },
    { "km", 1e3, 0 },
    { NULL, 0.0, 0 },
};

static const units_unit_t units_frequency[] = {
    { "/s", 1.0, 0 },
    { "/min", 1.0 / 60.0, 0 },
    { "/h", 1.0 / 3600.0, 0 },
    { "Hz", 1.0, 0 },
    { "kHz", 1e3, 0 },
    { "MHz", 1e6, 0 },
    { "GHz", 1e9, 0 },
    { NULL, 0.0, 0 },
};

static const units_kind_t kind_time = {
    "time", units_time, "ns, us, ms, s, min, h, d", 1
};
static const units_kind_t kind_bits = {
    "bits", units_bits, "b, kb, Mb, Gb, Tb, B, kB, MB, GB, Kib, Mib, Gib", 0
};
static const units_kind_t kind_rate = {
    "rate", units_rate, "bps, kbps, Mbps, Gbps", 0
};
static const units_kind_t kind_length = {
    "length", units_length, "m, km", 1
};
static const units_kind_t kind_frequency = {
    "frequency", units_frequency, "/s, /min, /h, Hz, kHz, MHz, GHz", 1
};

/* A scanned value: the number and the unit as spans of the text. */
typedef struct units_value {
    double number;
    int digits_only;        /* no fraction, no exponent */
    int is_integer;         /* digits only and fits: `integer` is exact */
    uint64_t integer;
    const char *unit;       /* NULL when there is none */
    size_t unit_len;
} units_value_t;

static const char *units_skip_spaces(const char *p)
{
    while (*p != '\0' && isspace((unsigned char)*p))
        p++;
    return p;
}

/* Length of the decimal number at p (0 if there is none); sets *digits_only. */
static size_t units_number_span(const char *p, int *digits_only)
{
    size_t i = 0, mantissa_digits = 0;

    while (isdigit((unsigned char)p[i])) {
        i++;
        mantissa_digits++;
    }
    *digits_only = mantissa_digits > 0;
    if (p[i] == '.') {
        *digits_only = 0;
        i++;
        while (isdigit((unsigned char)p[i])) {
            i++;
            mantissa_digits++;
        }
    }
    if (mantissa_digits == 0)
        return 0;
    if (p[i] == 'e' || p[i] == 'E') {
        size_t j = i + 1;
        if (p[j] == '+' || p[j] == '-')
            j++;
        if (isdigit((unsigned char)p[j])) {
            while (isdigit((unsigned char)p[j]))
                j++;
            *digits_only = 0;
            i = j;
        }
    }
    return i;
}

/* Splits text into number and unit; checks the syntax, not the unit. */
static int units_scan(const char *text, const char *what, const char *expected,
                      units_value_t *v, sim_err_t *err)
{
    const char *p = units_skip_spaces(text);
    int digits_only = 0;
    size_t n;

    if (*p == '\0')
        return sim_err_set(err, SIM_ERR_INPUT, "empty %s value (expected a number%s%s)",
                           what, expected != NULL ? " and one of: " : "",
                           expected != NULL ? expected : "");
    if (*p == '-')
        return sim_err_set(err, SIM_ERR_INPUT, "'%s' is negative", text);
    n = units_number_span(p, &digits_only);
    if (n == 0)
        return sim_err_set(err, SIM_ERR_INPUT, "'%s' does not start with a number", text);

    v->number = strtod(p, NULL);
    if (!isfinite(v->number))
        return sim_err_set(err, SIM_ERR_INPUT, "'%s' is out of range", text);
    v->digits_only = digits_only;
    v->is_integer = 0;
    if (digits_only) {
        errno = 0;
        v->integer = strtoull(p, NULL, 10);
        v->is_integer = errno == 0;
    }

    p = units_skip_spaces(p + n);
    v->unit = NULL;
    v->unit_len = 0;
    if (*p != '\0') {
        v->unit = p;
        while (*p != '\0' && !isspace((unsigned char)*p))
            p++;
        v->unit_len = (size_t)(p - v->unit);
        p = units_skip_spaces(p);
        if (*p != '\0')
            return sim_err_set(err, SIM_ERR_INPUT, "trailing text '%s' in '%s'", p, text);
    }
    return SIM_OK;
}

/* Scans text and looks its unit up in kind; *unit is NULL for a bare number
 * where the kind allows one (base units). */
static int units_scan_kind(const char *text, const units_kind_t *kind, units_value_t *v,
                           const units_unit_t **unit, sim_err_t *err)
{
    int rc = units_scan(text, kind->what, kind->expected, v, err);

    *unit = NULL;
    if (rc != SIM_OK)
        return rc;
    if (v->unit == NULL) {
        if (kind->unit_required)
            return sim_err_set(err, SIM_ERR_INPUT, "'%s' has no unit (expected one of: %s)",
                               text, kind->expected);
        return SIM_OK;
    }
    for (const units_unit_t *u = kind->units; u->name != NULL; u++) {
        if (strlen(u->name) == v->unit_len && memcmp(u->name, v->unit, v->unit_len) == 0) {
            *unit = u;
            return SIM_OK;
        }
    }
    return sim_err_set(err, SIM_ERR_INPUT, "unknown unit '%.*s' in '%s' (expected one of: %s)",
                       (int)v->unit_len, v->unit, text, kind->expected);
}

/* A double quantity in the base unit of kind. */
static int units_parse_real(const char *text, const units_kind_t *kind, double *out,
                            sim_err_t *err)
{
    units_value_t v;
    const units_unit_t *unit;
    int rc = units_scan_kind(text, kind, &v, &unit, err);
    double x;

    if (rc != SIM_OK)
        return rc;
    x = v.number * (unit != NULL ? unit->factor : 1.0);
    if (!isfinite(x))
        return sim_err_set(err, SIM_ERR_INPUT, "'%s' is out of range", text);
    /* "1.001kbps" is 1001 bit/s, but 1.001 * 1000 is 1000.9999999999999 in
     * binary floating point: a product within a few ulps of an integer is
     * that integer, so decimal values scaled by a unit stay exact. */
    if (fabs(x - nearbyint(x)) <= 4.0 * DBL_EPSILON * fabs(x))
        x = nearbyint(x);
    *out = x;
    return SIM_OK;
}

int units_parse_time(const char *text, int64_t *ns, sim_err_t *err)
{
    units_value_t v;
    const units_unit_t *unit;
    int rc = units_scan_kind(text, &kind_time, &v, &unit, err);

    if (rc != SIM_OK)
        return rc;
    /* the kind requires a unit, so unit != NULL here */
    if (v.is_integer) {
        if (v.integer > (uint64_t)INT64_MAX / unit->ifactor)
            goto overflow;
        *ns = (int64_t)(v.integer * unit->ifactor);
        return SIM_OK;
    }
    double x = v.number * unit->factor;
    /* 0x1p63 is INT64_MAX + 1: anything that rounds to it or above overflows */
    if (!(x < 0x1p63))
        goto overflow;
    *ns = (int64_t)llround(x);
    return SIM_OK;
overflow:
    return sim_err_set(err, SIM_ERR_INPUT,
                       "'%s' is out of range (the longest time is %" PRId64 " ns, about 292 years)",
                       text, INT64_MAX);
}

int units_parse_bits(const char *text, uint64_t *bits, sim_err_t *err)
{
    units_value_t v;
    const units_unit_t *unit;
    int rc = units_scan_kind(text, &kind_bits, &v, &unit, err);
    uint64_t factor;

    if (rc != SIM_OK)
        return rc;
    factor = unit != NULL ? unit->ifactor : 1;
    if (v.is_integer) {
        if (v.integer > UINT64_MAX / factor)
            goto overflow;
        *bits = v.integer * factor;
        return SIM_OK;
    }
    double x = v.number * (double)factor;
    double whole = nearbyint(x);
    /* Decimal fractions are not exact in binary: 1.1kb is 1100.0000000000002
     * or so. A few ulps of slack accept those and still reject any real
     * fraction of a bit. */
    if (fabs(x - whole) > 4.0 * DBL_EPSILON * x)
        return sim_err_set(err, SIM_ERR_INPUT, "'%s' is not a whole number of bits", text);
    if (!(whole < 0x1p64))
        goto overflow;
    *bits = (uint64_t)whole;
    return SIM_OK;
overflow:
    return sim_err_set(err, SIM_ERR_INPUT, "'%s' is out of range (at most %" PRIu64 " bits)",
                       text, UINT64_MAX);
}

int units_parse_rate(const char *text, double *bps, sim_err_t *err)
{
    return units_parse_real(text, &kind_rate, bps, err);
}

int units_parse_length(const char *text, double *metres, sim_err_t *err)
{
    return units_parse_real(text, &kind_length, metres, err);
}

int units_parse_frequency(const char *text, double *per_second, sim_err_t *err)
{
    return units_parse_real(text, &kind_frequency, per_second, err);
}

int units_parse_double(const char *text, double *out, sim_err_t *err)
{
    units_value_t v;
    int rc = units_scan(text, "number", NULL, &v, err);

    if (rc != SIM_OK)
        return rc;
    if (v.unit != NULL)
        return sim_err_set(err, SIM_ERR_INPUT, "'%s' is not a plain number (trailing '%.*s')",
                           text, (int)v.unit_len, v.unit);
    *out = v.number;
    return SIM_OK;
}

int units_parse_uint(const char *text, uint64_t *out, sim_err_t *err)
{
    units_value_t v;
    int rc = units_scan(text, "integer", NULL, &v, err);

    if (rc != SIM_OK)
        return rc;
    if (v.unit != NULL)
        return sim_err_set(err, SIM_ERR_INPUT, "'%s' is not a plain integer (trailing '%.*s')",
                           text, (int)v.unit_len, v.unit);
    if (!v.digits_only)
        return sim_err_set(err, SIM_ERR_INPUT, "'%s' is not an integer (write digits only)",
                           text);
    if (!v.is_integer)
        return sim_err_set(err, SIM_ERR_INPUT, "'%s' is out of range (at most %" PRIu64 ")",
                           text, UINT64_MAX);
    *out = v.integer;
    return SIM_OK;
}

const char *units_format_time(int64_t ns, char *buf, unsigned long len)
{
    /* the magnitude as uint64, so that INT64_MIN has one too */
    uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    uint64_t whole = mag / UINT64_C(1000000000);
    uint64_t frac = mag % UINT64_C(1000000000);
    char digits[16];
    int ndigits = 9;

    if (buf == NULL || len == 0)
        return buf;
    if (frac == 0) {
        snprintf(buf, len, "%s%" PRIu64 "s", ns < 0 ? "-" : "", whole);
        return buf;
    }
    snprintf(digits, sizeof digits, "%09" PRIu64, frac);
    while (digits[ndigits - 1] == '0')
        ndigits--;
    snprintf(buf, len, "%s%" PRIu64 ".%.*ss", ns < 0 ? "-" : "", whole, ndigits, digits);
    return buf;
}
