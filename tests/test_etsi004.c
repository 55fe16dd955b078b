/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_etsi004.c - the ETSI GS QKD 004 client kind (models/etsi004.h):
 * every status code 0-8 where the model says it arises, admission against
 * the link's mean rate (shared by clients, released at close, TTL expiry
 * and the end of the run), per link along a relayed path, QoS met or
 * not against the closed form, and delivered key = min(supply, demand)
 * over a long run. Each scenario is small enough that the expected counts
 * follow from its timeline, worked out next to it.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "models/etsi004.h"
#include "models/world.h"
#include "sim/trace.h"

/* Two links from A, AB and AC, each with the given generation and store
 * elements, then the apps. */
#define NET(dur, gen, store, apps)                                                            \
    "<scenario name='t' duration='" dur "' seed='3'><nodes><node id='A'/><node id='B'/>"   \
    "<node id='C'/></nodes><links><link id='AB' a='A' b='B'>" gen store "</link>"            \
    "<link id='AC' a='A' b='C'>" gen store "</link></links><apps>" apps "</apps><trace requests='all'/></scenario>"

#define GEN_10K "<generation model='constant' rate='10kbps' block='1s'/>"
#define STORE_BIG "<store capacity='1Gb' min='0' threshold='0' initial='1Mb'/>"

/* Runs body to th_dir/name.h5 and opens the trace (NULL on failure). */
static trace_reader_t *run(const char *body, const char *name, world_report_t *rep)
{
    char out[512];
    scn_t *scn = NULL;
    world_t *w = NULL;
    world_options_t opts = { 0 };
    trace_reader_t *r = NULL;
    sim_err_t err;

    snprintf(out, sizeof out, "%s/%s.h5", th_dir, name);
    if (th_load(body, &scn, &err) != SIM_OK) {
        fprintf(stderr, "%s: %s\n", name, err.msg);
        return NULL;
    }
    if (world_build(scn, &opts, &w, &err) != SIM_OK || world_run(w, out, rep, &err) != SIM_OK)
        fprintf(stderr, "%s: %s\n", name, err.msg);
    else
        r = trace_reader_open(out, &err);
    world_destroy(w);
    scn_free(scn);
    return r;
}

/* Column col of table, all rows (the caller frees); n its length. */
static double *col(trace_reader_t *r, const char *table, const char *name, size_t *n)
{
    double *v = NULL;
    sim_err_t err;
    *n = 0;
    CU_ASSERT_EQUAL(trace_read_column(r, table, name, &v, n, &err), SIM_OK);
    return v;
}

/* Row `row` of column name of table. */
static double cell(trace_reader_t *r, const char *table, const char *name, size_t row)
{
    size_t n = 0;
    double *v = col(r, table, name, &n), x = NAN;
    CU_ASSERT_TRUE(row < n);
    if (row < n)
        x = v[row];
    free(v);
    return x;
}

#define SUM(r, name, app) cell(r, "/summary/sessions", name, app)
#define SES(r, name, row) cell(r, "/sessions", name, row)

/* ------------------------------------------------------------ statuses */

/*
 * One session of 10 s: chunks of 256 bits at 1 kbit/s (T = 256 ms), KME
 * answers in 1 ms, the peer 600 ms after the answer, the KME's metadata
 * (64 bytes) larger than the application's buffer (16).
 *   0 ms     OPEN_CONNECT -> 1; the peer's at 601 ms -> 0
 *   257 ms   GET_KEY -> 8 (buffer grown), again at 258 ms -> 3
 *   513 ms   -> 3 (peer still not connected)
 *   769 + 256k ms, k = 0..36 (< 10 s) -> 0: 37 chunks
 *   peer: index 0 at 1370 ms -> 8, 1371 ms -> 0; then 36 more -> 0
 *   10 s     CLOSE -> 0
 */
static void test_lifecycle(void)
{
    world_report_t rep;
    trace_reader_t *r = run(
        NET("20s", GEN_10K, STORE_BIG,
            "<etsi004 id='s' source='A' destination='B' peer-delay='600ms' "
            "metadata-size='16' kme-metadata='64'><qos key-chunk-size='32' max-bps='1kbps' "
            "min-bps='900bps'/><sessions count='1' duration='10s'/></etsi004>"),
        "lifecycle", &rep);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(SUM(r, "status_1", 0), 1);
    CU_ASSERT_EQUAL(SUM(r, "status_8", 0), 2);
    CU_ASSERT_EQUAL(SUM(r, "status_3", 0), 2);
    CU_ASSERT_EQUAL(SUM(r, "status_0", 0), 37 + 37 + 1 + 1);
    CU_ASSERT_EQUAL(SUM(r, "get_key", 0), 1 + 2 + 37);
    CU_ASSERT_DOUBLE_EQUAL(SUM(r, "latency_p99_s", 0), 0.001, 1e-12);   /* none held */
    CU_ASSERT_EQUAL(SUM(r, "delivered_bits", 0), 37 * 256);
    CU_ASSERT_EQUAL(SUM(r, "peer_bits", 0), 37 * 256);
    CU_ASSERT_EQUAL(SES(r, "close_cause", 0), ETSI004_CLOSED);
    CU_ASSERT_EQUAL(SES(r, "peer_connected", 0), 601e6);
    CU_ASSERT_DOUBLE_EQUAL(SES(r, "rate_bps", 0), 37 * 256 / 10.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(SES(r, "jitter_s", 0), 0.0, 1e-12);   /* every gap 256 ms */
    CU_ASSERT_EQUAL(SES(r, "qos_met", 0), 1);                    /* 947.2 >= 900 */
    /* outcomes in the run report: 0 as 200, 3 and 8 as 400 */
    CU_ASSERT_EQUAL(rep.ok, 37);
    CU_ASSERT_EQUAL(rep.bad_request, 3);
    CU_ASSERT_TRUE(rep.accounts_close);
    trace_reader_close(r);
}

/* A fixed key stream ID: two sessions at once, the second finds it in
 * use (5); the one opened after the first closed gets it (1). */
static void test_ksid_in_use(void)
{
    world_report_t rep;
    trace_reader_t *r = run(
        NET("30s", GEN_10K, STORE_BIG,
            "<etsi004 id='f' source='A' destination='B' key-stream-id='fixed'><qos "
            "max-bps='1kbps'/><sessions count='2' duration='5s'/></etsi004>"
            "<etsi004 id='g' source='A' destination='B' key-stream-id='fixed'><qos "
            "max-bps='1kbps'/><sessions process='periodic' rate='0.1/s' duration='5s'/>"
            "</etsi004>"),
        "ksid", &rep);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(SES(r, "status", 0), ETSI004_PEER_NOT_CONNECTED);
    CU_ASSERT_EQUAL(SES(r, "status", 1), ETSI004_KSID_IN_USE);
    CU_ASSERT_EQUAL(SES(r, "ksid", 1), 1);
    CU_ASSERT_EQUAL(SUM(r, "status_5", 0), 1);
    CU_ASSERT_EQUAL(SUM(r, "refused", 0), 1);
    /* g: openings at 10 s and 20 s, each after the previous closed */
    CU_ASSERT_EQUAL(SUM(r, "sessions", 1), 2);
    CU_ASSERT_EQUAL(SUM(r, "status_5", 1), 0);
    CU_ASSERT_EQUAL(world_report_extra(&rep, "sessions_refused"), 1);
    trace_reader_close(r);
}

/*
 * Admission on AB (10 kbit/s). Client a reserves min-bps 6 kbit/s per
 * session, periodic openings at 10, 20, 30 s lasting 15 s; client b
 * reserves max-bps 3 kbit/s for one session from 12 s to 42 s.
 *   10 s  a0 admitted (left 4000)      12 s  b0 admitted (left 1000)
 *   20 s  a1 refused: 7, counter-proposal 1000
 *   25 s  a0 closes (left 7000)        30 s  a2 admitted (left 1000)
 * Client c on AC asks 12 kbit/s, more than the link's rate: 7, 10000.
 */
static void test_admission(void)
{
    world_report_t rep;
    trace_reader_t *r = run(
        NET("60s", GEN_10K, STORE_BIG,
            "<etsi004 id='a' source='A' destination='B' admission='min'><qos max-bps='8kbps' "
            "min-bps='6kbps'/><sessions process='periodic' rate='0.1/s' count='3' "
            "duration='15s'/></etsi004>"
            "<etsi004 id='b' source='A' destination='B' admission='max'><qos max-bps='3kbps'/>"
            "<sessions count='1' start='12s' duration='30s'/></etsi004>"
            "<etsi004 id='c' source='A' destination='C' admission='min'><qos max-bps='20kbps' "
            "min-bps='12kbps'/><sessions count='1'/></etsi004>"),
        "admission", &rep);
    size_t n = 0;
    double *status, *offered, *reserved;
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    status = col(r, "/sessions", "status", &n);
    CU_ASSERT_EQUAL_FATAL(n, 5);   /* a0 a1 a2 b0 c0, in client order */
    offered = col(r, "/sessions", "offered_bps", &n);
    reserved = col(r, "/sessions", "reserved_bps", &n);
    CU_ASSERT_EQUAL(status[0], ETSI004_PEER_NOT_CONNECTED);
    CU_ASSERT_EQUAL(status[1], ETSI004_QOS_NOT_MET);
    CU_ASSERT_EQUAL(status[2], ETSI004_PEER_NOT_CONNECTED);
    CU_ASSERT_EQUAL(status[3], ETSI004_PEER_NOT_CONNECTED);
    CU_ASSERT_EQUAL(status[4], ETSI004_QOS_NOT_MET);
    CU_ASSERT_DOUBLE_EQUAL(offered[1], 1000.0, 1e-3);
    CU_ASSERT_DOUBLE_EQUAL(offered[4], 10000.0, 1e-3);
    CU_ASSERT_DOUBLE_EQUAL(offered[0], 0.0, 0);   /* admitted: no counter-proposal */
    CU_ASSERT_DOUBLE_EQUAL(offered[3], 0.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(reserved[0], 6000.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(reserved[1], 0.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(reserved[3], 3000.0, 0);
    CU_ASSERT_EQUAL(SES(r, "opened", 2), 30e9);
    CU_ASSERT_EQUAL(SUM(r, "status_7", 0), 1);
    CU_ASSERT_EQUAL(SUM(r, "admitted", 0), 2);
    CU_ASSERT_EQUAL(world_report_extra(&rep, "sessions_refused"), 2);
    free(status);
    free(offered);
    free(reserved);
    trace_reader_close(r);
}

/* AB is in a scheduled outage for its first minute: an opening at 10 s
 * finds no QKD connection (4), one at 70 s connects (1). */
static void test_no_connection(void)
{
    world_report_t rep;
    trace_reader_t *r = run(
        NET("2min",
            "<generation model='constant' rate='10kbps' block='1s'><outage from='0s' "
            "to='1min'/></generation>",
            STORE_BIG,
            "<etsi004 id='x' source='A' destination='B'><qos max-bps='1kbps'/><sessions "
            "count='1' start='10s'/></etsi004><etsi004 id='y' source='A' destination='B'>"
            "<qos max-bps='1kbps'/><sessions count='1' start='70s' duration='1s'/></etsi004>"),
        "noconn", &rep);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(SES(r, "status", 0), ETSI004_NO_QKD_CONNECTION);
    CU_ASSERT_EQUAL(SES(r, "admitted", 0), 0);
    CU_ASSERT_EQUAL(SUM(r, "status_4", 0), 1);
    CU_ASSERT_EQUAL(SES(r, "status", 1), ETSI004_PEER_NOT_CONNECTED);
    CU_ASSERT_EQUAL(SUM(r, "status_4", 1), 0);
    trace_reader_close(r);
}

/* 2560 bits of key (ten chunks), next to no generation; one 10 s session
 * calls at 257 + 256k ms, k = 0..38: ten get key, 29 find none. With
 * timeout 0 they are answered 2 at once; with timeout 100 ms the KME
 * holds each 100 ms and answers 6 (a GET_KEY timeout), but the last
 * (9985 ms) is still held when the session closes at 10 s: 2. */
#define SHORT_KEY(timeout)                                                                     \
    NET("20s", "<generation model='constant' rate='1bps' block='10s'/>",                       \
        "<store capacity='1Mb' min='0' threshold='0' initial='2560'/>",                       \
        "<etsi004 id='k' source='A' destination='B'><qos max-bps='1kbps' timeout='" timeout \
        "'/><sessions count='1' duration='10s'/></etsi004>")

static void test_insufficient_key(void)
{
    world_report_t rep;
    trace_reader_t *r = run(SHORT_KEY("0s"), "insufficient", &rep);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(SUM(r, "status_2", 0), 29);
    CU_ASSERT_EQUAL(SUM(r, "status_6", 0), 0);
    CU_ASSERT_EQUAL(SUM(r, "delivered_bits", 0), 2560);
    CU_ASSERT_EQUAL(SUM(r, "peer_bits", 0), 2560);
    CU_ASSERT_EQUAL(SES(r, "insufficient", 0), 29);
    CU_ASSERT_EQUAL(rep.unavailable, 29);
    CU_ASSERT_EQUAL(world_report_extra(&rep, "get_key_timeouts"), 0);
    trace_reader_close(r);
}

static void test_timeout(void)
{
    world_report_t rep;
    trace_reader_t *r = run(SHORT_KEY("100ms"), "timeout", &rep);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(SUM(r, "status_6", 0), 28);
    CU_ASSERT_EQUAL(SUM(r, "status_2", 0), 1);
    CU_ASSERT_EQUAL(SUM(r, "timeouts", 0), 28);
    CU_ASSERT_EQUAL(SES(r, "timeouts", 0), 28);
    CU_ASSERT_EQUAL(SUM(r, "get_key", 0), 39);
    /* latencies: ten 1 ms, the one held at CLOSE 9985 -> 10000 ms + 1 ms,
     * 28 held 100 ms + 1 ms: sorted, ranks 19, 36.1 and 37.62 are 101 ms */
    CU_ASSERT_DOUBLE_EQUAL(SUM(r, "latency_p50_s", 0), 0.101, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(SUM(r, "latency_p99_s", 0), 0.101, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(SUM(r, "mean_latency_s", 0), (10 * 0.001 + 0.016 + 28 * 0.101) / 39,
                           1e-12);
    CU_ASSERT_DOUBLE_EQUAL(SUM(r, "latency_p95_s", 0), 0.101, 1e-12);
    CU_ASSERT_EQUAL(SUM(r, "delivered_bits", 0), 2560);
    CU_ASSERT_EQUAL(world_report_extra(&rep, "get_key_timeouts"), 28);
    trace_reader_close(r);
}

/* The call log holds every call with its status: the statuses of the
 * lifecycle scenario, summed, equal the summary's. */
static void test_call_log(void)
{
    world_report_t rep;
    trace_reader_t *r = run(SHORT_KEY("100ms"), "calls", &rep);
    size_t n = 0;
    double *st;
    uint64_t count[ETSI004_NSTATUS] = { 0 };
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    st = col(r, "/etsi004_calls", "status", &n);
    for (size_t i = 0; i < n; i++)
        if (st[i] >= 0 && st[i] < ETSI004_NSTATUS)
            count[(int)st[i]]++;
    for (int k = 0; k < ETSI004_NSTATUS; k++) {
        char name[16];
        snprintf(name, sizeof name, "status_%d", k);
        CU_ASSERT_EQUAL(count[k], SUM(r, name, 0));
    }
    free(st);
    trace_reader_close(r);
}

/* ------------------------------------------------------------ QoS and supply */

/*
 * AB and AC deliver 10 kbit/s each, no initial key. One session per link
 * for 1000 s asks up to 20 kbit/s (supply-limited: it gets the link's
 * rate R, less the first block) and waits up to 10 s for key. min-bps
 * 8 kbit/s < R: QoS met; 12 kbit/s > R: not met.
 */
static void test_qos_closed_form(void)
{
    world_report_t rep;
    trace_reader_t *r = run(
        NET("1100s", GEN_10K, "<store capacity='1Gb' min='0' threshold='0' initial='0'/>",
            "<etsi004 id='lo' source='A' destination='B'><qos max-bps='20kbps' "
            "min-bps='8kbps' timeout='10s'/><sessions count='1' "
            "duration='1000s'/></etsi004><etsi004 id='hi' source='A' destination='C'><qos "
            "max-bps='20kbps' min-bps='12kbps' timeout='10s'/><sessions "
            "count='1' duration='1000s'/></etsi004>"),
        "qos", &rep);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    for (size_t i = 0; i < 2; i++) {
        const double rate = SES(r, "rate_bps", i);
        CU_ASSERT_TRUE(fabs(rate - 10000.0) < 0.01 * 10000.0);
        CU_ASSERT_TRUE(SES(r, "jitter_s", i) > 0.0);   /* bursts at each block */
    }
    CU_ASSERT_EQUAL(SES(r, "qos_met", 0), 1);
    CU_ASSERT_EQUAL(SES(r, "qos_met", 1), 0);
    CU_ASSERT_EQUAL(world_report_extra(&rep, "sessions_qos_met"), 1);
    trace_reader_close(r);
}

/*
 * One hour, one session per link open for the whole run (no duration):
 * on AB it asks 5 kbit/s of a 10 kbit/s link (demand-limited), on AC
 * 20 kbit/s (supply-limited). Delivered key = min(supply, demand) * 1 h
 * within 1 %.
 */
static void test_min_supply_demand(void)
{
    world_report_t rep;
    trace_reader_t *r = run(
        NET("1h", GEN_10K, "<store capacity='1Gb' min='0' threshold='0' initial='0'/>",
            "<etsi004 id='d' source='A' destination='B'><qos max-bps='5kbps' timeout='5s'/>"
            "<sessions count='1'/></etsi004><etsi004 id='s' source='A' destination='C'>"
            "<qos max-bps='20kbps' timeout='5s'/><sessions count='1'/></etsi004>"),
        "supply", &rep);
    const double want[2] = { 5000.0 * 3600, 10000.0 * 3600 };
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    for (size_t i = 0; i < 2; i++) {
        const double got = SUM(r, "delivered_bits", i);
        CU_ASSERT_TRUE(fabs(got - want[i]) < 0.01 * want[i]);
        CU_ASSERT_EQUAL(SES(r, "close_cause", i), ETSI004_OPEN);
    }
    CU_ASSERT_TRUE(rep.accounts_close);
    trace_reader_close(r);
}

/* TTL shorter than the duration closes the session at TTL expiry; Poisson
 * openings at 60/h over 10 h number 600 +- 5 sigma (sigma = sqrt(600)). */
static void test_ttl_and_openings(void)
{
    world_report_t rep;
    trace_reader_t *r = run(
        NET("10h", GEN_10K, STORE_BIG,
            "<etsi004 id='t' source='A' destination='B'><qos max-bps='100bps' ttl='20s'/>"
            "<sessions rate='60/h' duration='30s'/></etsi004>"),
        "ttl", &rep);
    size_t n = 0;
    double *cause, *opened, *closed;
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    cause = col(r, "/sessions", "close_cause", &n);
    opened = col(r, "/sessions", "opened", &n);
    closed = col(r, "/sessions", "closed", &n);
    CU_ASSERT_TRUE(fabs((double)n - 600.0) < 5 * sqrt(600.0));
    for (size_t i = 0; i < n; i++)
        if (cause[i] != ETSI004_OPEN) {
            CU_ASSERT_EQUAL(cause[i], ETSI004_TTL);
            CU_ASSERT_EQUAL(closed[i] - opened[i], 20e9);
        }
    free(cause);
    free(opened);
    free(closed);
    trace_reader_close(r);
}

/* ------------------------------------------------------------ relayed paths */

/* A line A - B - C: AB at rate_ab, BC at rate_bc, stores with initial
 * key; the apps; the relay with its method (job 4096 bits, tag 128). */
static trace_reader_t *run_line(const char *dur, const char *rate_ab, const char *rate_bc,
                                const char *method, const char *apps, const char *name,
                                world_report_t *rep)
{
    static const char fmt[] =
        "<scenario name='t' duration='%s' seed='3'><nodes><node id='A'/><node id='B'/>"
        "<node id='C'/></nodes><links><link id='AB' a='A' b='B'><generation "
        "model='constant' rate='%s' block='1s'/><store capacity='1Gb' min='0' threshold='0' "
        "initial='100kb'/></link><link id='BC' a='B' b='C'><generation model='constant' "
        "rate='%s' block='1s'/><store capacity='1Gb' min='0' threshold='0' initial='100kb'/>"
        "</link></links><apps>%s</apps><relay method='%s' job='4096' tag='128'/>"
        "<trace requests='all'/></scenario>";
    char body[8192];
    snprintf(body, sizeof body, fmt, dur, rate_ab, rate_bc, apps, method);
    return run(body, name, rep);
}

/* One relayed or direct 004 client with admission="min" and
 * min-bps = max-bps = bps, count sessions at start lasting dur. */
#define PAIR(id, src, dst, bps, count, start, dur)                                            \
    "<etsi004 id='" id "' source='" src "' destination='" dst "' admission='min'><qos "    \
    "max-bps='" bps "' min-bps='" bps "' timeout='5s'/><sessions count='" count "' start='" \
    start "' duration='" dur "'/></etsi004>"

/*
 * Admission along the path A - B - C (AB 10 kbit/s, BC 20 kbit/s). With
 * J = 4096 and T = 128 bits, a hop costs c = (J + T) / J = 1.03125 bits
 * of link key per delivered bit on every hop (hop-by-hop), or 1 on hop 0
 * (AB) and c on BC (xor-dest). Sessions, one per client:
 *   p  A->C 4 kbit/s, 0-30 s: admitted; reserves 4000 c = 4125 on both
 *      links (hop), 4000 on AB and 4125 on BC (xor-dest)
 *   q  A->C 7 kbit/s at 10 s: refused 7 (AB left 5875 < 7000 c; xor:
 *      6000 < 7000); counter-proposal min_i left_i / c_i: 5875 / c or
 *      min(6000, 15875 / c) = 6000
 *   d  B->C 15 kbit/s direct, 12-32 s: admitted (BC left 15875)
 *   e  A->B 6 kbit/s direct at 14 s: hop: refused 7, offered 5875 (the
 *      relayed session holds 4125 of AB); xor-dest: an exact fit, admitted
 *   r  A->C 7 kbit/s at 40 s, after p and d closed: admitted, the ask q
 *      was refused
 */
static void test_path_admission(void)
{
    static const char apps[] =
        PAIR("p", "A", "C", "4kbps", "1", "0s", "30s") PAIR("q", "A", "C", "7kbps", "1", "10s", "5s")
        PAIR("d", "B", "C", "15kbps", "1", "12s", "20s")
        PAIR("e", "A", "B", "6kbps", "1", "14s", "5s")
        PAIR("r", "A", "C", "7kbps", "1", "40s", "5s");
    const double c = 4224.0 / 4096.0;
    const char *const methods[2] = { "hop", "xor-dest" };

    for (int m = 0; m < 2; m++) {
        const bool xor = m == 1;
        world_report_t rep;
        trace_reader_t *r = run_line("60s", "10kbps", "20kbps", methods[m], apps,
                                     xor ? "path_xor" : "path_hop", &rep);
        size_t n = 0;
        double *v;
        CU_ASSERT_PTR_NOT_NULL_FATAL(r);
        v = col(r, "/sessions", "status", &n);
        CU_ASSERT_EQUAL_FATAL(n, 5);   /* p q d e r */
        CU_ASSERT_EQUAL(v[0], ETSI004_PEER_NOT_CONNECTED);
        CU_ASSERT_EQUAL(v[1], ETSI004_QOS_NOT_MET);
        CU_ASSERT_EQUAL(v[2], ETSI004_PEER_NOT_CONNECTED);
        CU_ASSERT_EQUAL(v[3], xor ? ETSI004_PEER_NOT_CONNECTED : ETSI004_QOS_NOT_MET);
        CU_ASSERT_EQUAL(v[4], ETSI004_PEER_NOT_CONNECTED);
        free(v);
        /* (1) the relayed session reserves on both links, c x 4000 at most */
        CU_ASSERT_EQUAL(SES(r, "hops", 0), 2);
        CU_ASSERT_DOUBLE_EQUAL(SES(r, "reserved_bps", 0), 4000.0, 0);
        CU_ASSERT_DOUBLE_EQUAL(SES(r, "link_reserved_bps", 0), 4000.0 * c, 1e-9);
        CU_ASSERT_DOUBLE_EQUAL(SES(r, "offered_bps", 0), 0.0, 0);
        CU_ASSERT_EQUAL(SES(r, "hops", 2), 1);
        CU_ASSERT_DOUBLE_EQUAL(SES(r, "link_reserved_bps", 2), 15000.0, 1e-9);
        /* (2) refusals and their counter-proposals */
        CU_ASSERT_EQUAL(SES(r, "hops", 1), 0);
        CU_ASSERT_DOUBLE_EQUAL(SES(r, "reserved_bps", 1), 0.0, 0);
        CU_ASSERT_DOUBLE_EQUAL(SES(r, "offered_bps", 1), xor ? 6000.0 : 5875.0 / c, 1e-3);
        if (xor)
            CU_ASSERT_DOUBLE_EQUAL(SES(r, "link_reserved_bps", 3), 6000.0, 1e-9)
        else
            CU_ASSERT_DOUBLE_EQUAL(SES(r, "offered_bps", 3), 5875.0, 1e-3)
        /* (3) after CLOSE the same ask fits */
        CU_ASSERT_EQUAL(SES(r, "opened", 4), 40e9);
        CU_ASSERT_DOUBLE_EQUAL(SES(r, "link_reserved_bps", 4), 7000.0 * c, 1e-9);
        CU_ASSERT_EQUAL(world_report_extra(&rep, "sessions_refused"), xor ? 1 : 2);
        CU_ASSERT_TRUE(rep.accounts_close);
        trace_reader_close(r);
    }
}

/*
 * (4) Delivered rate on a relayed path: AB and BC at 10 kbit/s for
 * 1000 s. Client x opens three A->C sessions of 4 kbit/s at once: two
 * fit (2 x 4000 c = 8250 of 10000 on each link), the third is refused
 * (1750 / c left); a direct A->B session of 1.5 kbit/s fits in the 1750
 * left on AB. Every admitted session asks min-bps = max-bps and the
 * links carry what was reserved (9750 and 8250 < 10000 bit/s), so each
 * is served at its pace: the chunks its GET_KEYs ask for in 1000 s, in
 * closed form below (within 0.1 % of min_bps x 1000 s).
 */
static void test_path_delivered(void)
{
    world_report_t rep;
    trace_reader_t *r = run_line(
        "1100s", "10kbps", "10kbps", "hop",
        PAIR("x", "A", "C", "4kbps", "3", "0s", "1000s")
            PAIR("z", "A", "B", "1500bps", "1", "0s", "1000s"),
        "path_rate", &rep);
    const double want[4] = { 4000.0, 4000.0, 0.0, 1500.0 };
    size_t n = 0;
    double *st;
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    st = col(r, "/sessions", "status", &n);
    CU_ASSERT_EQUAL_FATAL(n, 4);
    CU_ASSERT_EQUAL(st[2], ETSI004_QOS_NOT_MET);
    CU_ASSERT_DOUBLE_EQUAL(SES(r, "offered_bps", 2), 1750.0 / (4224.0 / 4096.0), 1e-3);
    for (size_t i = 0; i < 4; i++) {
        if (i == 2)
            continue;
        CU_ASSERT_EQUAL(st[i], ETSI004_PEER_NOT_CONNECTED);
        /* every GET_KEY answered at once: one 256-bit chunk per pace
         * T = llround(256 / want s), due at 1 ms + k T for k >= 1 while
         * before the close at D = 1000 s; rate = chunks x 256 / D, met
         * when that reaches min-bps (= want): just short of it here */
        const double pace = (double)llround(256.0 / want[i] * 1e9);
        const double chunks = floor((1000e9 - 1e6 - 1.0) / pace);
        const double rate = chunks * 256.0 / 1000.0;
        CU_ASSERT_EQUAL(SES(r, "chunks", i), chunks);
        CU_ASSERT_DOUBLE_EQUAL(SES(r, "rate_bps", i), rate, 1e-9);
        CU_ASSERT_EQUAL(SES(r, "qos_met", i), rate >= want[i]);
        CU_ASSERT_TRUE(rate >= 0.999 * want[i]);
        CU_ASSERT_EQUAL(SES(r, "timeouts", i), 0);
    }
    free(st);
    CU_ASSERT_TRUE(rep.accounts_close);
    trace_reader_close(r);
}

/* A relayed pair whose path is cut (BC in a scheduled outage for its
 * first minute, the only way from A to C) gets 4 at 10 s, with
 * admission (a) or without (n); at 70 s they connect (b, m). */
#define BARE(id, start)                                                                       \
    "<etsi004 id='" id "' source='A' destination='C'><qos max-bps='1kbps'/><sessions "     \
    "count='1' start='" start "' duration='1s'/></etsi004>"

static void test_path_no_connection(void)
{
    world_report_t rep;
    trace_reader_t *r = run(
        "<scenario name='t' duration='2min' seed='3'><nodes><node id='A'/><node id='B'/>"
        "<node id='C'/></nodes><links><link id='AB' a='A' b='B'>" GEN_10K STORE_BIG "</link>"
        "<link id='BC' a='B' b='C'><generation model='constant' rate='10kbps' block='1s'>"
        "<outage from='0s' to='1min'/></generation>" STORE_BIG "</link></links><apps>"
        PAIR("a", "A", "C", "1kbps", "1", "10s", "1s") PAIR("b", "A", "C", "1kbps", "1", "70s",
                                                            "1s")
        BARE("n", "10s") BARE("m", "70s") "</apps></scenario>",
        "path_cut", &rep);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(SES(r, "status", 0), ETSI004_NO_QKD_CONNECTION);
    CU_ASSERT_EQUAL(SES(r, "hops", 0), 0);
    CU_ASSERT_EQUAL(SES(r, "status", 1), ETSI004_PEER_NOT_CONNECTED);
    CU_ASSERT_EQUAL(SES(r, "hops", 1), 2);
    CU_ASSERT_EQUAL(SES(r, "status", 2), ETSI004_NO_QKD_CONNECTION);
    CU_ASSERT_EQUAL(SES(r, "status", 3), ETSI004_PEER_NOT_CONNECTED);
    CU_ASSERT_EQUAL(SES(r, "hops", 3), 0);   /* no admission: nothing reserved */
    CU_ASSERT_EQUAL(SUM(r, "status_4", 0), 1);
    trace_reader_close(r);
}

/* ------------------------------------------------------------ parts */

/* The table on its own: all or none on a path, per-hop costs, the
 * counter-proposal in session rate (left_i / cost_i), release. */
static void test_admit_table(void)
{
    etsi004_admit_t *a = etsi004_admit_create();
    const keysvc_hop_t path[2] = { { .link = 3, .cost = 1.0 }, { .link = 7, .cost = 1.0 } };
    const keysvc_hop_t unknown[1] = { { .link = 9, .cost = 1.0 } };
    const keysvc_hop_t costly[2] = { { .link = 3, .cost = 1.0 }, { .link = 7, .cost = 1.25 } };
    double left = -1, reserved = -1, mean = -1;
    sim_err_t err;

    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_EQUAL(etsi004_admit_add(a, 3, 1000.0, &err), SIM_OK);
    CU_ASSERT_EQUAL(etsi004_admit_add(a, 7, 500.0, &err), SIM_OK);
    CU_ASSERT_EQUAL(etsi004_admit_add(a, 7, 99.0, &err), SIM_OK);   /* known: unchanged */
    CU_ASSERT_TRUE(etsi004_admit_reserve(a, path, 2, 300.0, &left));
    /* all or none: link 7 has 200 left, so link 3 keeps its 700 */
    CU_ASSERT_FALSE(etsi004_admit_reserve(a, path, 2, 400.0, &left));
    CU_ASSERT_DOUBLE_EQUAL(left, 200.0, 1e-3);
    CU_ASSERT_TRUE(etsi004_admit_state(a, 3, &reserved, &mean));
    CU_ASSERT_DOUBLE_EQUAL(reserved, 300.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(mean, 1000.0, 0);
    /* with cost 1.25 on link 7, 200 left there carry a session of 160 */
    CU_ASSERT_FALSE(etsi004_admit_reserve(a, costly, 2, 161.0, &left));
    CU_ASSERT_DOUBLE_EQUAL(left, 160.0, 1e-3);
    CU_ASSERT_TRUE(etsi004_admit_reserve(a, costly, 2, 160.0, NULL));   /* exact fit */
    CU_ASSERT_TRUE(etsi004_admit_state(a, 7, &reserved, &mean));
    CU_ASSERT_DOUBLE_EQUAL(reserved, 500.0, 1e-9);
    CU_ASSERT_TRUE(etsi004_admit_state(a, 3, &reserved, &mean));
    CU_ASSERT_DOUBLE_EQUAL(reserved, 460.0, 1e-9);
    etsi004_admit_free(a, costly, 2, 160.0);
    etsi004_admit_free(a, path, 2, 300.0);
    CU_ASSERT_TRUE(etsi004_admit_state(a, 7, &reserved, &mean));
    CU_ASSERT_DOUBLE_EQUAL(reserved, 0.0, 1e-9);
    CU_ASSERT_TRUE(etsi004_admit_reserve(a, path, 2, 500.0, NULL));   /* an exact fit again */
    CU_ASSERT_FALSE(etsi004_admit_reserve(a, unknown, 1, 1.0, &left));
    CU_ASSERT_FALSE(etsi004_admit_state(a, 9, &reserved, &mean));
    etsi004_admit_retain(a);
    etsi004_admit_release(a);
    etsi004_admit_release(a);
}

static void expect_refused(const char *apps, const char *want)
{
    scn_t *scn = NULL;
    world_t *w = NULL;
    world_options_t opts = { 0 };
    sim_err_t err;
    char body[4096];

    snprintf(body, sizeof body, NET("1s", GEN_10K, STORE_BIG, "%s"), apps);
    CU_ASSERT_EQUAL_FATAL(th_load(body, &scn, &err), SIM_OK);
    th_expect_input_error(world_build(scn, &opts, &w, &err), &err, want, "s.xml:1:");
    world_destroy(w);
    scn_free(scn);
}

static void test_bad_input(void)
{
    expect_refused("<etsi004 id='b' source='A' destination='B'><qos max-bps='1kbps' "
                   "min-bps='2kbps'/><sessions count='1'/></etsi004>",
                   "min-bps exceeds max-bps");
    expect_refused("<etsi004 id='b' source='A' destination='A'><qos max-bps='1kbps'/>"
                   "<sessions count='1'/></etsi004>",
                   "source and destination are the same node 'A'");
    expect_refused("<etsi004 id='b' source='A' destination='B'><qos max-bps='1kbps'/>"
                   "<sessions duration='1s'/></etsi004>",
                   "give an arrival process of openings");
}

/* A GraphML link has no <link> element to read its rate from: sessions
 * without admission run (and get key), admission is an input error
 * naming the element and the link. */
static void test_graphml_link(void)
{
    static const char graphml[] =
        "<?xml version='1.0'?><graphml xmlns='http://graphml.graphdrawing.org/xmlns'>"
        "<graph edgedefault='undirected'><node id='A'/><node id='B'/>"
        "<edge source='A' target='B'/></graph></graphml>\n";
    char path[256], out[512], body[1024];
    const char *const admission[2] = { "none", "min" };

    CU_ASSERT_EQUAL_FATAL(th_write_file("e.graphml", graphml, path, sizeof path), 0);
    snprintf(out, sizeof out, "%s/graphml.h5", th_dir);
    for (int k = 0; k < 2; k++) {
        scn_t *scn = NULL;
        world_t *w = NULL;
        world_options_t opts = { 0 };
        world_report_t rep;
        sim_err_t err;
        int rc;
        snprintf(body, sizeof body,
                 "<scenario name='t' duration='10s'><topology graphml='e.graphml'>"
                 "<link-defaults><generation model='constant' rate='1kbps'/><store "
                 "capacity='1Mb' min='0' threshold='0' initial='10kb'/></link-defaults>"
                 "</topology><apps><etsi004 id='g' source='A' destination='B' "
                 "admission='%s'><qos max-bps='1kbps' min-bps='500bps'/><sessions "
                 "count='1'/></etsi004></apps></scenario>",
                 admission[k]);
        CU_ASSERT_EQUAL_FATAL(th_load(body, &scn, &err), SIM_OK);
        CU_ASSERT_EQUAL_FATAL(world_build(scn, &opts, &w, &err), SIM_OK);
        rc = world_run(w, out, &rep, &err);
        if (k == 0) {
            CU_ASSERT_EQUAL(rc, SIM_OK);
            CU_ASSERT_TRUE(rep.ok > 30);   /* 1 kbit/s of 256-bit chunks for about 10 s */
        } else {
            th_expect_input_error(rc, &err, "admission needs the mean rate of link 'A-B'",
                                  "s.xml:1:");
        }
        world_destroy(w);
        scn_free(scn);
    }
}

/* A relayed pair on a GraphML line A - B - C: its path's links have no
 * <link> element, so admission on it is an input error naming the first
 * link of the path, found with every link up: also when the path is down
 * at the start (an outage of every link from 0 s; the check used the
 * path at the start and, finding none, ran without it). */
static void test_graphml_path(void)
{
    static const char graphml[] =
        "<?xml version='1.0'?><graphml xmlns='http://graphml.graphdrawing.org/xmlns'>"
        "<graph edgedefault='undirected'><node id='A'/><node id='B'/><node id='C'/>"
        "<edge source='A' target='B'/><edge source='B' target='C'/></graph></graphml>\n";
    static const char *const outage[2] = { "", "<outage from='0s' to='5s'/>" };
    char path[256], out[512], body[1024];

    CU_ASSERT_EQUAL_FATAL(th_write_file("line.graphml", graphml, path, sizeof path), 0);
    snprintf(out, sizeof out, "%s/graphml_path.h5", th_dir);
    for (int k = 0; k < 2; k++) {
        scn_t *scn = NULL;
        world_t *w = NULL;
        world_options_t opts = { 0 };
        world_report_t rep;
        sim_err_t err;
        snprintf(body, sizeof body,
                 "<scenario name='t' duration='10s'><topology graphml='line.graphml'>"
                 "<link-defaults><generation model='constant' rate='1kbps'>%s</generation>"
                 "<store capacity='1Mb' min='0' threshold='0' initial='10kb'/></link-defaults>"
                 "</topology><apps><etsi004 id='g' source='A' destination='C' "
                 "admission='min'><qos max-bps='1kbps' min-bps='500bps'/><sessions "
                 "count='1'/></etsi004></apps></scenario>",
                 outage[k]);
        CU_ASSERT_EQUAL_FATAL(th_load(body, &scn, &err), SIM_OK);
        CU_ASSERT_EQUAL_FATAL(world_build(scn, &opts, &w, &err), SIM_OK);
        th_expect_input_error(world_run(w, out, &rep, &err), &err,
                              "admission needs the mean rate of link 'A-B' on the pair's path",
                              "s.xml:1:");
        world_destroy(w);
        scn_free(scn);
    }
}

/* A path re-routed through a GraphML link during the run: A - B - C over
 * <link>s (the path at load, so admission is accepted) and a longer
 * GraphML way A - D - E - C. BC is down from 10 s to 40 s: a session
 * opened at 20 s is routed A - D - E - C, whose links have no known
 * rate, and is refused with 7 (counter-proposal 0; its path recorded in
 * /session_links); one at 50 s is back on A - B - C and admitted. */
static void test_graphml_reroute(void)
{
    static const char graphml[] =
        "<?xml version='1.0'?><graphml xmlns='http://graphml.graphdrawing.org/xmlns'>"
        "<graph edgedefault='undirected'><node id='A'/><node id='B'/><node id='C'/>"
        "<node id='D'/><node id='E'/><edge source='A' target='D'/><edge source='D' "
        "target='E'/><edge source='E' target='C'/></graph></graphml>\n";
    char path[256];
    world_report_t rep;
    trace_reader_t *r;
    size_t n = 0;
    double *link;

    CU_ASSERT_EQUAL_FATAL(th_write_file("detour.graphml", graphml, path, sizeof path), 0);
    r = run("<scenario name='t' duration='60s' seed='3'><topology graphml='detour.graphml'>"
            "<link-defaults>" GEN_10K STORE_BIG "</link-defaults></topology><links>"
            "<link id='AB' a='A' b='B'>" GEN_10K STORE_BIG "</link><link id='BC' a='B' b='C'>"
            "<generation model='constant' rate='10kbps' block='1s'><outage from='10s' "
            "to='40s'/></generation>" STORE_BIG "</link></links><apps>"
            PAIR("a", "A", "C", "1kbps", "1", "20s", "5s")
            PAIR("b", "A", "C", "1kbps", "1", "50s", "5s") "</apps>"
            "<relay method='hop' job='4096' tag='128'/></scenario>",
            "graphml_reroute", &rep);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(SES(r, "status", 0), ETSI004_QOS_NOT_MET);
    CU_ASSERT_DOUBLE_EQUAL(SES(r, "offered_bps", 0), 0.0, 0);
    CU_ASSERT_EQUAL(SES(r, "hops", 0), 0);
    CU_ASSERT_EQUAL(SES(r, "status", 1), ETSI004_PEER_NOT_CONNECTED);
    CU_ASSERT_EQUAL(SES(r, "hops", 1), 2);
    /* links 0-2 are the GraphML edges A-D, D-E, E-C; 3 and 4 AB and BC */
    link = col(r, "/session_links", "link", &n);
    CU_ASSERT_EQUAL_FATAL(n, 5);
    CU_ASSERT(link[0] == 0 && link[1] == 1 && link[2] == 2 && link[3] == 3 && link[4] == 4);
    free(link);
    CU_ASSERT_EQUAL(SUM(r, "status_7", 0), 1);
    trace_reader_close(r);
}

/* Reservations are released at TTL expiry and at the end of the run, not
 * only at CLOSE. AB (10 kbit/s): t reserves 6 kbit/s from 0 s with a TTL
 * of 5 s (duration 20 s); u asks 6 kbit/s at 6 s, which fits only if t's
 * reservation went at 5 s. AC: v reserves 6 kbit/s from 0 s and is still
 * open at the end (30 s); /session_links dates each release. */
static void test_release_ttl_end(void)
{
    world_report_t rep;
    trace_reader_t *r = run(
        NET("30s", GEN_10K, STORE_BIG,
            "<etsi004 id='t' source='A' destination='B' admission='min'><qos max-bps='6kbps' "
            "min-bps='6kbps' ttl='5s'/><sessions count='1' duration='20s'/></etsi004>"
            "<etsi004 id='u' source='A' destination='B' admission='min'><qos max-bps='6kbps' "
            "min-bps='6kbps'/><sessions count='1' start='6s' duration='5s'/></etsi004>"
            "<etsi004 id='v' source='A' destination='C' admission='min'><qos max-bps='6kbps' "
            "min-bps='6kbps'/><sessions count='1' duration='60s'/></etsi004>"),
        "release", &rep);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(SES(r, "close_cause", 0), ETSI004_TTL);
    CU_ASSERT_EQUAL(SES(r, "status", 1), ETSI004_PEER_NOT_CONNECTED);   /* fits after TTL */
    CU_ASSERT_EQUAL(SES(r, "close_cause", 2), ETSI004_OPEN);
    /* one row each (a link of its own): released at 5 s, 11 s, 30 s */
    CU_ASSERT_EQUAL(cell(r, "/session_links", "released", 0), 5e9);
    CU_ASSERT_EQUAL(cell(r, "/session_links", "released", 1), 11e9);
    CU_ASSERT_EQUAL(cell(r, "/session_links", "released", 2), 30e9);
    CU_ASSERT_DOUBLE_EQUAL(cell(r, "/session_links", "reserved_bps", 2), 6000.0, 0);
    CU_ASSERT_EQUAL(world_report_extra(&rep, "sessions_refused"), 0);
    trace_reader_close(r);
}

int main(void)
{
    static const th_test_t tests[] = {
        { "statuses 0, 1, 3, 8 and CLOSE", test_lifecycle },
        { "status 5: key_stream_id in use", test_ksid_in_use },
        { "status 7: admission against the link rate", test_admission },
        { "status 4: no QKD connection", test_no_connection },
        { "status 2: insufficient key", test_insufficient_key },
        { "status 6: GET_KEY timeout", test_timeout },
        { "call log agrees with the summary", test_call_log },
        { "QoS met against the closed form", test_qos_closed_form },
        { "delivered = min(supply, demand)", test_min_supply_demand },
        { "TTL expiry and Poisson openings", test_ttl_and_openings },
        { "admission along a relayed path (hop, xor-dest)", test_path_admission },
        { "relayed sessions get their min-bps", test_path_delivered },
        { "status 4: a relayed pair's path cut", test_path_no_connection },
        { "admission table", test_admit_table },
        { "bad input", test_bad_input },
        { "GraphML link: no admission", test_graphml_link },
        { "GraphML path: no admission", test_graphml_path },
        { "re-route through a GraphML link: 7", test_graphml_reroute },
        { "release at TTL expiry and at the end of the run", test_release_ttl_end },
        { NULL, NULL },
    };
    return th_main("etsi004", tests);
}
