/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_units.c - the unit parser: every unit of every kind converts by its
 * definition, and every kind of bad text is refused with a message that
 * names the problem.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "sim/units.h"

/* The output must be left alone on error; this value marks "untouched". */
#define UNTOUCHED_I 0x5a5a5a5a
#define UNTOUCHED_D -12345.0

static int contains(const char *haystack, const char *needle)
{
    return strstr(haystack, needle) != NULL;
}

static void time_is(const char *text, int64_t expected)
{
    sim_err_t err = { 0 };
    int64_t ns = UNTOUCHED_I;
    int rc = units_parse_time(text, &ns, &err);

    CU_ASSERT_EQUAL(rc, SIM_OK);
    CU_ASSERT_EQUAL(ns, expected);
    if (rc != SIM_OK || ns != expected)
        fprintf(stderr, "\n  time '%s': rc %d, %lld ns, want %lld (%s)\n", text, rc,
                (long long)ns, (long long)expected, err.msg);
}

static void time_fails(const char *text, const char *why)
{
    sim_err_t err = { 0 };
    int64_t ns = UNTOUCHED_I;
    int rc = units_parse_time(text, &ns, &err);

    CU_ASSERT_EQUAL(rc, SIM_ERR_INPUT);
    CU_ASSERT_EQUAL(err.code, SIM_ERR_INPUT);
    CU_ASSERT_EQUAL(ns, UNTOUCHED_I);
    CU_ASSERT(contains(err.msg, why));
    if (rc != SIM_ERR_INPUT || !contains(err.msg, why))
        fprintf(stderr, "\n  time '%s': rc %d, message '%s', want '%s'\n", text, rc, err.msg,
                why);
}

static void bits_is(const char *text, uint64_t expected)
{
    sim_err_t err = { 0 };
    uint64_t bits = UNTOUCHED_I;
    int rc = units_parse_bits(text, &bits, &err);

    CU_ASSERT_EQUAL(rc, SIM_OK);
    CU_ASSERT_EQUAL(bits, expected);
    if (rc != SIM_OK || bits != expected)
        fprintf(stderr, "\n  bits '%s': rc %d, %llu, want %llu (%s)\n", text, rc,
                (unsigned long long)bits, (unsigned long long)expected, err.msg);
}

static void bits_fails(const char *text, const char *why)
{
    sim_err_t err = { 0 };
    uint64_t bits = UNTOUCHED_I;
    int rc = units_parse_bits(text, &bits, &err);

    CU_ASSERT_EQUAL(rc, SIM_ERR_INPUT);
    CU_ASSERT_EQUAL(bits, UNTOUCHED_I);
    CU_ASSERT(contains(err.msg, why));
    if (rc != SIM_ERR_INPUT || !contains(err.msg, why))
        fprintf(stderr, "\n  bits '%s': rc %d, message '%s', want '%s'\n", text, rc, err.msg,
                why);
}

typedef int (*real_parser)(const char *, double *, sim_err_t *);

/* Doubles are compared to a relative 1e-15: the factors are exact, the
 * number itself is strtod's nearest double. */
static void real_is(real_parser parse, const char *text, double expected)
{
    sim_err_t err = { 0 };
    double x = UNTOUCHED_D;
    int rc = parse(text, &x, &err);

    CU_ASSERT_EQUAL(rc, SIM_OK);
    CU_ASSERT_DOUBLE_EQUAL(x, expected, fabs(expected) * 1e-15);
    if (rc != SIM_OK || fabs(x - expected) > fabs(expected) * 1e-15)
        fprintf(stderr, "\n  '%s': rc %d, %.17g, want %.17g (%s)\n", text, rc, x, expected,
                err.msg);
}

static void real_fails(real_parser parse, const char *text, const char *why)
{
    sim_err_t err = { 0 };
    double x = UNTOUCHED_D;
    int rc = parse(text, &x, &err);

    CU_ASSERT_EQUAL(rc, SIM_ERR_INPUT);
    CU_ASSERT_EQUAL(x, UNTOUCHED_D);
    CU_ASSERT(contains(err.msg, why));
    if (rc != SIM_ERR_INPUT || !contains(err.msg, why))
        fprintf(stderr, "\n  '%s': rc %d, message '%s', want '%s'\n", text, rc, err.msg, why);
}

/* ------------------------------------------------------------ time */

static void test_time_units(void)
{
    time_is("1ns", 1);
    time_is("1us", 1000);
    time_is("1ms", 1000000);
    time_is("1s", 1000000000);
    time_is("1min", INT64_C(60000000000));
    time_is("1h", INT64_C(3600000000000));
    time_is("1d", INT64_C(86400000000000));
    time_is("250ms", 250000000);
    time_is("2h", INT64_C(7200000000000));
    time_is("0s", 0);
}

static void test_time_syntax(void)
{
    time_is("1.5s", 1500000000);
    time_is(".5s", 500000000);
    time_is("12.5 s", 12500000000);      /* spaces between number and unit */
    time_is("  3ms  ", 3000000);         /* and around the value */
    time_is("1e3ms", 1000000000);
    time_is("2.5E-3s", 2500000);
    time_is("0.1s", 100000000);          /* not 100000000.00000001 truncated */
    time_is("0.4ns", 0);                 /* nearest ns */
    time_is("0.6ns", 1);
    time_is("1.5ns", 2);                 /* llround: halves away from zero */
    time_is("9223372036854775807ns", INT64_MAX);   /* exact, not through a double */
    time_is("106751d", INT64_C(106751) * INT64_C(86400000000000));
}

static void test_time_errors(void)
{
    time_fails("250", "'250' has no unit (expected one of: ns, us, ms, s, min, h, d)");
    time_fails("3600", "has no unit");
    time_fails("5m", "unknown unit 'm' in '5m' (expected one of: ns, us, ms, s, min, h, d)");
    time_fails("5sec", "unknown unit 'sec'");
    time_fails("5S", "unknown unit 'S'");            /* case matters */
    time_fails("0x10s", "unknown unit 'x10s'");      /* no hexadecimal */
    time_fails("-1s", "negative");
    time_fails("+1s", "does not start with a number");
    time_fails("nan", "does not start with a number");
    time_fails("inf s", "does not start with a number");
    time_fails("s", "does not start with a number");
    time_fails("", "empty");
    time_fails("   ", "empty");
    time_fails("5s x", "trailing text 'x'");
    time_fails("5 s 3", "trailing text '3'");
    time_fails("9223372036854775808ns", "out of range");
    time_fails("106752d", "out of range");
    time_fails("1e19ns", "out of range");
    time_fails("1e400s", "out of range");
}

static void test_format_time(void)
{
    char buf[64];

    CU_ASSERT_STRING_EQUAL(units_format_time(INT64_C(12500000000), buf, sizeof buf), "12.5s");
    CU_ASSERT_STRING_EQUAL(units_format_time(0, buf, sizeof buf), "0s");
    CU_ASSERT_STRING_EQUAL(units_format_time(1, buf, sizeof buf), "0.000000001s");
    CU_ASSERT_STRING_EQUAL(units_format_time(1000000000, buf, sizeof buf), "1s");
    CU_ASSERT_STRING_EQUAL(units_format_time(250000000, buf, sizeof buf), "0.25s");
    CU_ASSERT_STRING_EQUAL(units_format_time(-1500000000, buf, sizeof buf), "-1.5s");
    CU_ASSERT_STRING_EQUAL(units_format_time(INT64_MAX, buf, sizeof buf),
                           "9223372036.854775807s");
    CU_ASSERT_STRING_EQUAL(units_format_time(INT64_MIN, buf, sizeof buf),
                           "-9223372036.854775808s");
    CU_ASSERT_PTR_EQUAL(units_format_time(1, buf, sizeof buf), buf);
    /* a short buffer is cut, and still a string */
    CU_ASSERT_STRING_EQUAL(units_format_time(INT64_C(12500000000), buf, 4), "12.");

    /* what it prints, the parser reads back */
    const int64_t values[] = { 0, 1, 999999999, 1000000001, INT64_C(86400000000000),
                               INT64_C(123456789012345) };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        int64_t back = -1;
        CU_ASSERT_EQUAL(units_parse_time(units_format_time(values[i], buf, sizeof buf), &back,
                                         NULL), SIM_OK);
        CU_ASSERT_EQUAL(back, values[i]);
    }
}

/* ------------------------------------------------------------ bits */

static void test_bits_units(void)
{
    bits_is("1b", 1);
    bits_is("1kb", 1000);
    bits_is("1Mb", 1000000);
    bits_is("1Gb", UINT64_C(1000000000));
    bits_is("1Tb", UINT64_C(1000000000000));
    bits_is("1B", 8);
    bits_is("1kB", 8000);
    bits_is("1MB", 8000000);
    bits_is("1GB", UINT64_C(8000000000));
    bits_is("1Kib", 1024);
    bits_is("1Mib", 1048576);
    bits_is("1Gib", UINT64_C(1073741824));
    bits_is("256", 256);                 /* a bare integer is bits */
    bits_is("5Mb", 5000000);
    bits_is("50 Mb", 50000000);
}

static void test_bits_fractions(void)
{
    bits_is("1.5kb", 1500);
    bits_is("1.5B", 12);
    bits_is("0.5Kib", 512);
    bits_is("1.1kb", 1100);              /* 1.1 * 1000 is not exact in binary */
    bits_is("4.35kb", 4350);
    bits_is("2.5e3b", 2500);
    bits_is("0.0b", 0);
    bits_is("18446744073709551615", UINT64_MAX);   /* exact */
    bits_is("2305843009213693951B", UINT64_C(2305843009213693951) * 8);

    bits_fails("0.5b", "'0.5b' is not a whole number of bits");
    bits_fails("0.1b", "not a whole number of bits");
    bits_fails("1.0001kb", "not a whole number of bits");
    bits_fails("1.5", "not a whole number of bits");
}

static void test_bits_errors(void)
{
    bits_fails("10Kb",
               "unknown unit 'Kb' in '10Kb' (expected one of: b, kb, Mb, Gb, Tb, B, kB, MB, GB, "
               "Kib, Mib, Gib)");
    bits_fails("10KB", "unknown unit 'KB'");
    bits_fails("10 bits", "unknown unit 'bits'");
    bits_fails("10kbps", "unknown unit 'kbps'");
    bits_fails("-5Mb", "negative");
    bits_fails("", "empty");
    bits_fails("Mb", "does not start with a number");
    bits_fails("5Mb!", "unknown unit 'Mb!'");
    bits_fails("5 Mb x", "trailing text 'x'");
    bits_fails("18446744073709551616", "out of range");
    bits_fails("2305843009213693952B", "out of range");
    bits_fails("18446744073709552Tb", "out of range");
    bits_fails("1e30b", "out of range");
}

/* ------------------------------------------------------------ rate, length, frequency */

static void test_rate(void)
{
    real_is(units_parse_rate, "10kbps", 10000.0);
    real_is(units_parse_rate, "1bps", 1.0);
    real_is(units_parse_rate, "2.5Mbps", 2.5e6);
    real_is(units_parse_rate, "1Gbps", 1e9);
    real_is(units_parse_rate, "42", 42.0);          /* a bare number is bit/s */
    real_is(units_parse_rate, "0.5 kbps", 500.0);
    {
        /* Exactly a whole number: 1.001 * 1000 alone is 1000.9999999999999. */
        double x = 0.0;
        CU_ASSERT_EQUAL(units_parse_rate("1.001kbps", &x, NULL), SIM_OK);
        CU_ASSERT_EQUAL(x, 1001.0);
        CU_ASSERT_EQUAL(units_parse_rate("0.3kbps", &x, NULL), SIM_OK);
        CU_ASSERT_EQUAL(x, 300.0);
    }
    real_fails(units_parse_rate, "10kb/s",
               "unknown unit 'kb/s' in '10kb/s' (expected one of: bps, kbps, Mbps, Gbps)");
    real_fails(units_parse_rate, "10Kbps", "unknown unit 'Kbps'");
    real_fails(units_parse_rate, "-1kbps", "negative");
    real_fails(units_parse_rate, "nan", "does not start with a number");
    real_fails(units_parse_rate, "1e309", "out of range");
    real_fails(units_parse_rate, "1e300Gbps", "out of range");
}

static void test_length(void)
{
    real_is(units_parse_length, "25km", 25000.0);
    real_is(units_parse_length, "3m", 3.0);
    real_is(units_parse_length, "0.5 km", 500.0);
    real_fails(units_parse_length, "25", "'25' has no unit (expected one of: m, km)");
    real_fails(units_parse_length, "25mi", "unknown unit 'mi' in '25mi'");
    real_fails(units_parse_length, "25KM", "unknown unit 'KM'");
    real_fails(units_parse_length, "-1km", "negative");
}

static void test_frequency(void)
{
    real_is(units_parse_frequency, "10/s", 10.0);
    real_is(units_parse_frequency, "2/min", 1.0 / 30.0);
    real_is(units_parse_frequency, "2.5/min", 2.5 / 60.0);
    real_is(units_parse_frequency, "1/h", 1.0 / 3600.0);
    real_is(units_parse_frequency, "5Hz", 5.0);
    real_is(units_parse_frequency, "5 kHz", 5000.0);
    real_is(units_parse_frequency, "2.5MHz", 2.5e6);
    real_is(units_parse_frequency, "1GHz", 1e9);
    real_is(units_parse_frequency, "10 /s", 10.0);
    real_fails(units_parse_frequency, "10",
               "'10' has no unit (expected one of: /s, /min, /h, Hz, kHz, MHz, GHz)");
    real_fails(units_parse_frequency, "10/ms", "unknown unit '/ms'");
    real_fails(units_parse_frequency, "5hz", "unknown unit 'hz'");
    real_fails(units_parse_frequency, "10/s/s", "unknown unit '/s/s'");
    real_fails(units_parse_frequency, "-10/s", "negative");
}

/* ------------------------------------------------------------ plain numbers */

static void test_double(void)
{
    real_is(units_parse_double, "1.5", 1.5);
    real_is(units_parse_double, " 1e3 ", 1000.0);
    real_is(units_parse_double, "7", 7.0);
    real_fails(units_parse_double, "-1", "negative");
    real_fails(units_parse_double, "1.5m", "'1.5m' is not a plain number (trailing 'm')");
    real_fails(units_parse_double, "nan", "does not start with a number");
    real_fails(units_parse_double, "", "empty");
}

static void test_uint(void)
{
    sim_err_t err = { 0 };
    uint64_t v = UNTOUCHED_I;

    CU_ASSERT_EQUAL(units_parse_uint("0", &v, &err), SIM_OK);
    CU_ASSERT_EQUAL(v, 0);
    CU_ASSERT_EQUAL(units_parse_uint(" 42 ", &v, &err), SIM_OK);
    CU_ASSERT_EQUAL(v, 42);
    CU_ASSERT_EQUAL(units_parse_uint("18446744073709551615", &v, &err), SIM_OK);
    CU_ASSERT_EQUAL(v, UINT64_MAX);

    static const struct { const char *text, *why; } bad[] = {
        { "18446744073709551616", "out of range" },
        { "1.5", "'1.5' is not an integer" },
        { "1e3", "is not an integer" },
        { "-1", "negative" },
        { "12abc", "'12abc' is not a plain integer (trailing 'abc')" },
        { "", "empty" },
        { "x", "does not start with a number" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = UNTOUCHED_I;
        CU_ASSERT_EQUAL(units_parse_uint(bad[i].text, &v, &err), SIM_ERR_INPUT);
        CU_ASSERT_EQUAL(v, UNTOUCHED_I);
        CU_ASSERT(contains(err.msg, bad[i].why));
    }
}

static void test_null_err(void)
{
    int64_t ns = 7;
    /* err may be NULL: the code still says what happened */
    CU_ASSERT_EQUAL(units_parse_time("5", &ns, NULL), SIM_ERR_INPUT);
    CU_ASSERT_EQUAL(units_parse_time("5s", &ns, NULL), SIM_OK);
    CU_ASSERT_EQUAL(ns, 5000000000);
}

int main(void)
{
    static const struct { const char *name; CU_TestFunc fn; } tests[] = {
        { "time: every unit", test_time_units },
        { "time: syntax and rounding", test_time_syntax },
        { "time: errors", test_time_errors },
        { "time: formatting", test_format_time },
        { "bits: every unit", test_bits_units },
        { "bits: fractions and limits", test_bits_fractions },
        { "bits: errors", test_bits_errors },
        { "rate", test_rate },
        { "length", test_length },
        { "frequency", test_frequency },
        { "plain double", test_double },
        { "plain uint", test_uint },
        { "NULL err", test_null_err },
    };
    CU_pSuite suite;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    suite = CU_add_suite("units", NULL, NULL);
    for (size_t i = 0; suite != NULL && i < sizeof tests / sizeof tests[0]; i++)
        CU_add_test(suite, tests[i].name, tests[i].fn);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
