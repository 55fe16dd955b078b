/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_arrival.c - the arrival processes of models/arrival.h on their
 * own: exact periodic counts, the Poisson draws the etsi014 client made
 * before the module (same stream, same gaps), the on/off process's mean
 * rate and its over-dispersion, CSV replay (units, defaults, header,
 * equal times, the window) and its refusals with the file's line.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "models/arrival.h"
#include "sim/kernel.h"
#include "sim/rng.h"
#include "sim/scenario.h"
#include "tests/harness.h"

/* Loads a scenario whose only app has `arrivals` as its <arrivals>
 * element and parses it into cfg. */
static int parse(const char *arrivals, scn_t **scn, arrival_config_t *cfg, sim_err_t *err)
{
    char body[1024];
    const scn_elem_t *e;
    int rc;

    snprintf(body, sizeof body,
             "<scenario name='t' duration='10s'><nodes><node id='A'/><node id='B'/></nodes>"
             "<links><link id='AB' a='A' b='B'><generation rate='1kbps'/></link></links>"
             "<apps><etsi014 id='x' master='A' slave='B'>\n%s\n</etsi014></apps></scenario>",
             arrivals);
    *scn = NULL;
    memset(cfg, 0, sizeof *cfg);
    if ((rc = th_load(body, scn, err)) != SIM_OK)
        return rc;
    e = scn_child(scn_child(scn_child((*scn)->root, "apps"), "etsi014"), "arrivals");
    return arrival_config_parse(e, cfg, err);
}

static size_t count(const arrival_config_t *cfg, const char *stream, int64_t start,
                    int64_t stop, int64_t *t, uint64_t *size, size_t max)
{
    arrival_t *a = arrival_create(cfg, 1, 0, stream, start, stop);
    size_t n = 0;
    int64_t when;
    uint64_t bits;
    int64_t prev = start - 1;

    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    while (arrival_next(a, &when, &bits)) {
        CU_ASSERT_TRUE(when > prev && when >= start && when < stop);
        prev = when;
        if (n < max) {
            t[n] = when;
            size[n] = bits;
        }
        n++;
    }
    CU_ASSERT_FALSE(arrival_next(a, &when, &bits));   /* none ever after */
    arrival_free(a);
    return n;
}

static void test_periodic(void)
{
    scn_t *scn;
    arrival_config_t cfg;
    sim_err_t err;
    int64_t t[4];
    uint64_t s[4];

    CU_ASSERT_EQUAL_FATAL(parse("<arrivals process='periodic' rate='10/s'/>", &scn, &cfg, &err),
                          SIM_OK);
    /* 0.1 s, 0.2 s, ..., 99.9 s: 999 in [0, 100 s). */
    CU_ASSERT_EQUAL(count(&cfg, "p", 0, 100 * SIM_S, t, s, 4), 999);
    CU_ASSERT_EQUAL(t[0], 100 * SIM_MS);
    CU_ASSERT_EQUAL(t[3], 400 * SIM_MS);
    CU_ASSERT_EQUAL(s[0], 0);
    CU_ASSERT_DOUBLE_EQUAL(arrival_mean_rate(&cfg), 10.0, 1e-12);
    arrival_config_free(&cfg);
    scn_free(scn);
}

/* The Poisson gaps are those of the etsi014 client before this module:
 * the stream's exponential variates of mean 1/rate, rounded, at least 1 ns
 * (so bundled scenarios keep their results). */
static void test_poisson_draws(void)
{
    scn_t *scn;
    arrival_config_t cfg;
    sim_err_t err;
    int64_t t[1000];
    uint64_t s[1000];
    gsl_rng *r = rng_stream_create(1, 0, "app/x/arrivals");
    int64_t want = 5 * SIM_S;
    bool same = true;

    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL_FATAL(parse("<arrivals rate='50/s'/>", &scn, &cfg, &err), SIM_OK);
    size_t n = count(&cfg, "app/x/arrivals", 5 * SIM_S, 1000 * SIM_S, t, s, 1000);
    CU_ASSERT_TRUE(fabs((double)n - 49750.0) < 5 * sqrt(49750.0));
    for (size_t i = 0; i < 1000; i++) {
        const int64_t gap = (int64_t)llround(gsl_ran_exponential(r, 1e9 / 50.0));
        want += gap > 0 ? gap : 1;
        same = same && t[i] == want;
    }
    CU_ASSERT_TRUE(same);
    rng_stream_free(r);
    arrival_config_free(&cfg);
    scn_free(scn);
}

/* On/off (MMPP): long-run rate (rate on + off-rate off) / (on + off), and
 * counts per second over-dispersed (variance / mean well above Poisson's 1). */
static void test_onoff(void)
{
    scn_t *scn;
    arrival_config_t cfg;
    sim_err_t err;
    enum { SECONDS = 4000 };
    static double per_s[SECONDS];
    arrival_t *a;
    int64_t when;
    uint64_t bits;
    double n = 0, mean, var = 0;

    CU_ASSERT_EQUAL_FATAL(parse("<arrivals process='onoff' rate='40/s' on='2s' off='6s'/>",
                                &scn, &cfg, &err), SIM_OK);
    CU_ASSERT_DOUBLE_EQUAL(arrival_mean_rate(&cfg), 10.0, 1e-12);
    memset(per_s, 0, sizeof per_s);
    a = arrival_create(&cfg, 1, 0, "b", 0, (int64_t)SECONDS * SIM_S);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    while (arrival_next(a, &when, &bits)) {
        per_s[when / SIM_S] += 1;
        n += 1;
    }
    arrival_free(a);
    mean = n / SECONDS;
    for (int i = 0; i < SECONDS; i++)
        var += (per_s[i] - mean) * (per_s[i] - mean) / (SECONDS - 1);
    CU_ASSERT_DOUBLE_EQUAL(mean, 10.0, 10.0 * 0.05);
    CU_ASSERT_TRUE(var / mean > 5.0);
    arrival_config_free(&cfg);
    scn_free(scn);
}

static void test_trace_replay(void)
{
    scn_t *scn;
    arrival_config_t cfg;
    sim_err_t err;
    char path[256];
    int64_t t[8];
    uint64_t s[8];

    CU_ASSERT_EQUAL_FATAL(th_write_file("r.csv",
                                        "Time, Size\n# comment\n0,512\n250ms\n0.25 , 1kb\n"
                                        "\n2,64\n9,64\n", path, sizeof path), 0);
    CU_ASSERT_EQUAL_FATAL(parse("<arrivals process='trace' file='r.csv'/>", &scn, &cfg, &err),
                          SIM_OK);
    CU_ASSERT_EQUAL(cfg.nrows, 5);
    CU_ASSERT_EQUAL(arrival_max_size(&cfg), 1000);
    CU_ASSERT_DOUBLE_EQUAL(arrival_mean_rate(&cfg), 5.0 / 9.0, 1e-12);
    /* Window [1 s, 4 s): the rows at 9 s (10 s) falls out. */
    CU_ASSERT_EQUAL(count(&cfg, "t", SIM_S, 4 * SIM_S, t, s, 8), 4);
    CU_ASSERT_EQUAL(t[0], SIM_S);                        /* a row at 0 comes at start */
    CU_ASSERT_EQUAL(s[0], 512);
    CU_ASSERT_EQUAL(t[1], SIM_S + 250 * SIM_MS);
    CU_ASSERT_EQUAL(s[1], 0);                            /* empty size: the app's */
    CU_ASSERT_EQUAL(t[2], SIM_S + 250 * SIM_MS + 1);     /* equal times: 1 ns later */
    CU_ASSERT_EQUAL(s[2], 1000);
    CU_ASSERT_EQUAL(t[3], 3 * SIM_S);
    arrival_config_free(&cfg);
    scn_free(scn);
}

/* A refused trace or attribute: SIM_ERR_INPUT whose message has `want`. */
static void refused(const char *csv, const char *arrivals, const char *want)
{
    scn_t *scn;
    arrival_config_t cfg;
    sim_err_t err;
    char path[256];

    if (csv != NULL)
        CU_ASSERT_EQUAL_FATAL(th_write_file("bad.csv", csv, path, sizeof path), 0);
    CU_ASSERT_EQUAL(parse(arrivals, &scn, &cfg, &err), SIM_ERR_INPUT);
    if (strstr(err.msg, want) == NULL)
        fprintf(stderr, "\nwanted '%s' in '%s'\n", want, err.msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, want));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "s.xml:2: <arrivals>"));
    CU_ASSERT_PTR_NULL(cfg.rows);
    scn_free(scn);
}

static void test_refusals(void)
{
    const char *tr = "<arrivals process='trace' file='bad.csv'/>";
    refused("1\n2\nx,64\n", tr, "trace file 'bad.csv', line 3: ");
    refused("time,size\n2\n1\n", tr, "line 3: time goes back");
    refused("1,64,3\n", tr, "line 1: more than two fields");
    refused("1,0\n", tr, "line 1: size 0");
    refused("1,12.5\n", tr, "line 1: ");
    refused("# nothing\n", tr, "trace file 'bad.csv': no request rows");
    refused(NULL, "<arrivals process='trace' file='none.csv'/>", "trace file 'none.csv': cannot open");
    refused(NULL, "<arrivals process='trace' file='bad.csv' rate='1/s'/>",
            "attribute 'rate' does not apply to process 'trace'");
    refused(NULL, "<arrivals rate='1/s' on='1s'/>", "attribute 'on' does not apply to process 'poisson'");
    refused(NULL, "<arrivals process='onoff' rate='1/s' on='1s'/>", "'off'");
    refused(NULL, "<arrivals process='onoff' rate='1/s' on='0s' off='1s'/>", "must be positive");
    refused(NULL, "<arrivals process='periodic'/>", "'rate'");
}

/* Streams: the same name gives the same arrivals, another name others. */
static void test_streams(void)
{
    scn_t *scn;
    arrival_config_t cfg;
    sim_err_t err;
    int64_t a[16], b[16], c[16];
    uint64_t s[16];

    CU_ASSERT_EQUAL_FATAL(parse("<arrivals process='onoff' rate='5/s' off-rate='1/s' on='1s' "
                                "off='1s'/>", &scn, &cfg, &err), SIM_OK);
    count(&cfg, "one", 0, 100 * SIM_S, a, s, 16);
    count(&cfg, "one", 0, 100 * SIM_S, b, s, 16);
    count(&cfg, "two", 0, 100 * SIM_S, c, s, 16);
    CU_ASSERT_EQUAL(memcmp(a, b, sizeof a), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(a, c, sizeof a), 0);
    arrival_config_free(&cfg);
    scn_free(scn);
}

int main(void)
{
    static const th_test_t tests[] = {
        { "periodic: exact count and times", test_periodic },
        { "poisson: the draws etsi014 made before", test_poisson_draws },
        { "onoff: mean rate, over-dispersed", test_onoff },
        { "trace: replay, units, defaults, window", test_trace_replay },
        { "refusals name the file and line", test_refusals },
        { "streams: same name same draws", test_streams },
        { NULL, NULL },
    };
    return th_main("arrival", tests);
}
