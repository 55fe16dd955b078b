/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_relay.c - key relay (models/relay.h) against closed forms: the key
 * each method spends per job, end-to-end reservation against store and
 * forward, stranded and cut key in the accounting identity, the long-run
 * delivered rate, global stores serving client pairs on non-adjacent
 * nodes, ETSI 014 additional slaves sent their keys, and refusals at load.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "models/world.h"
#include "sim/trace.h"

#define JOB 1024u
#define TAG 128u

/* A line n0 - n1 - ... - n<hops> of links at rate[i] bit/s (1 s blocks,
 * `initial` key, 20 km each), `outage` inside the <generation> of link
 * `outage_link` (-1: none), `apps` the <apps> content and `relay` the
 * <relay> element. */
static void line_scenario(char *buf, size_t len, const char *duration, unsigned hops,
                          const double *rate, int outage_link, const char *outage,
                          const char *apps, const char *relay, const char *initial)
{
    size_t n = (size_t)snprintf(buf, len, "<scenario name='t' duration='%s' seed='5'><nodes>",
                                duration);
    for (unsigned i = 0; i <= hops; i++)
        n += (size_t)snprintf(buf + n, len - n, "<node id='n%u'/>", i);
    n += (size_t)snprintf(buf + n, len - n, "</nodes><links>");
    for (unsigned i = 0; i < hops; i++)
        n += (size_t)snprintf(buf + n, len - n,
                              "<link id='L%u' a='n%u' b='n%u' length='20km'>"
                              "<generation model='constant' rate='%gbps' block='1s'>%s"
                              "</generation><store capacity='100Mb' min='0' threshold='1kb' "
                              "initial='%s'/></link>",
                              i, i, i + 1, rate[i], (int)i == outage_link ? outage : "",
                              initial);
    snprintf(buf + n, len - n, "</links><apps>%s</apps>%s</scenario>", apps, relay);
}

/* Builds and runs body into th_dir/name; the report in *r. */
static int run_body(const char *body, const char *name, world_report_t *r, char *path,
                    size_t len)
{
    scn_t *scn = NULL;
    world_t *w = NULL;
    world_options_t opts = { 0 };
    sim_err_t err = { 0 };
    int rc = th_load(body, &scn, &err);
    snprintf(path, len, "%s/%s", th_dir, name);
    if (rc == SIM_OK)
        rc = world_build(scn, &opts, &w, &err);
    if (rc == SIM_OK)
        rc = world_run(w, path, r, &err);
    if (rc != SIM_OK)
        fprintf(stderr, "\nrun failed: %s\n", err.msg);
    world_destroy(w);
    scn_free(scn);
    return rc;
}

/* Row `row` of column `col` of `table` in the trace at path. */
static double column(const char *path, const char *table, const char *col, size_t row)
{
    sim_err_t err;
    trace_reader_t *rd = trace_reader_open(path, &err);
    double *v = NULL, x = NAN;
    size_t n = 0;
    CU_ASSERT_PTR_NOT_NULL_FATAL(rd);
    if (trace_read_column(rd, table, col, &v, &n, &err) == SIM_OK && row < n)
        x = v[row];
    else
        fprintf(stderr, "\nno %s.%s[%zu]: %s\n", table, col, row, err.msg);
    free(v);
    trace_reader_close(rd);
    return x;
}

static double flow(const char *path, const char *col, size_t f)
{
    return column(path, "/summary/flows", col, f);
}

/* The network identity with stranded key closes, and stranded is the
 * relay's (once per link) counted at both ends. */
static void check_accounts(const world_report_t *r, const char *path)
{
    CU_ASSERT_TRUE(r->accounts_close);
    CU_ASSERT_EQUAL(r->generated, r->stored + r->supplied + r->internal + r->relayed +
                                      r->stranded + r->expired + r->discarded);
    CU_ASSERT_EQUAL((double)r->stranded, 2 * column(path, "/summary/relay", "stranded", 0));
    CU_ASSERT_EQUAL((double)(r->relayed + r->stranded),
                    2 * column(path, "/summary/relay", "spent", 0));
}

/* Per link (/summary/relay_links): each of the h links of the line spent
 * k (N + T) bits for k hops, k T of them tags. */
static void check_links(const char *path, unsigned h, double k)
{
    for (unsigned l = 0; l < h; l++) {
        CU_ASSERT_EQUAL(column(path, "/summary/relay_links", "hops", l), k);
        CU_ASSERT_EQUAL(column(path, "/summary/relay_links", "spent", l), k * (JOB + TAG));
        CU_ASSERT_EQUAL(column(path, "/summary/relay_links", "tags", l), k * TAG);
    }
}

/* k jobs queued at t = 0 on one link that starts empty and gets `rate`
 * bits at the end of every 1 s block: at t = 1, 2, ... s the FIFO serves
 * as many whole jobs of N + T bits as the key allows, each having waited
 * t. The flow's and the link's mean waits and the flow's max are those. */
static void check_first_hop_waits(const char *path, unsigned k, double rate)
{
    double key = 0, sum = 0, max = 0;
    unsigned served = 0;
    for (unsigned t = 1; served < k; t++) {
        key += rate;
        while (served < k && key >= JOB + TAG) {
            key -= JOB + TAG;
            served++;
            sum += t;
            max = t;
        }
    }
    CU_ASSERT_EQUAL(flow(path, "hop_waits", 0), k);
    CU_ASSERT_DOUBLE_EQUAL(flow(path, "hop_wait_mean", 0), sum / k, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(flow(path, "hop_wait_max", 0), max, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(column(path, "/summary/relay_links", "wait_mean", 0), sum / k, 1e-9);
}

/* A one-time demand of k jobs over h hops, hop-by-hop: each done job
 * spent h (N + T) bits, of which h T tags; nothing is left or stranded. */
static void test_hop_cost(void)
{
    static const double rate[] = { 20000, 20000, 20000, 20000 };
    char body[8192], path[512];
    world_report_t r;
    for (unsigned h = 1; h <= 4; h++) {
        char relay[256];
        snprintf(relay, sizeof relay,
                 "<relay job='%u' tag='%u'><demand id='d' src='n0' dst='n%u' amount='40960'/>"
                 "</relay>", JOB, TAG, h);
        line_scenario(body, sizeof body, "30s", h, rate, -1, "", "", relay, "0");
        CU_ASSERT_EQUAL_FATAL(run_body(body, "hop.h5", &r, path, sizeof path), SIM_OK);
        CU_ASSERT_EQUAL(flow(path, "done", 0), 40);
        CU_ASSERT_EQUAL(flow(path, "delivered", 0), 40960);
        CU_ASSERT_EQUAL(flow(path, "spent", 0), 40.0 * h * (JOB + TAG));
        CU_ASSERT_EQUAL(flow(path, "tags", 0), 40.0 * h * TAG);
        CU_ASSERT_EQUAL(flow(path, "stranded", 0), 0);
        CU_ASSERT_EQUAL((double)r.relayed, 2 * 40.0 * h * (JOB + TAG));
        check_links(path, h, 40);
        if (h == 1)
            check_first_hop_waits(path, 40, 20000.0);
        check_accounts(&r, path);
    }
}

/* XORs at the destination or at a central node: h N + (h - 1) T per job. */
static void test_xor_cost(void)
{
    static const double rate[] = { 20000, 20000, 20000, 20000 };
    static const char *const methods[] = { "xor-dest", "xor-central" };
    char body[8192], path[512];
    world_report_t r;
    for (size_t m = 0; m < 2; m++)
        for (unsigned h = 2; h <= 4; h++) {
            char relay[256];
            snprintf(relay, sizeof relay,
                     "<relay method='%s' job='%u' tag='%u'><demand id='d' src='n0' dst='n%u' "
                     "amount='40960'/></relay>", methods[m], JOB, TAG, h);
            line_scenario(body, sizeof body, "30s", h, rate, -1, "", "", relay, "0");
            CU_ASSERT_EQUAL_FATAL(run_body(body, "xor.h5", &r, path, sizeof path), SIM_OK);
            CU_ASSERT_EQUAL(flow(path, "done", 0), 40);
            CU_ASSERT_EQUAL(flow(path, "spent", 0), 40.0 * (h * JOB + (h - 1) * TAG));
            CU_ASSERT_EQUAL(flow(path, "tags", 0), 40.0 * (h - 1) * TAG);
            check_accounts(&r, path);
        }
}

/* An ETSI 014 additional slave h hops from its master (the slave next to
 * it): each grant is one SEND job of number x size = N bits, costing the
 * method's key (hop: h (N + T); XOR: h N + (h - 1) T), in either mode;
 * every job is delivered and the slave fetches every grant with 200. */
static void test_additional_slave(void)
{
    static const double rate[] = { 20000, 20000, 20000, 20000 };
    static const char *const methods[] = { "hop", "xor-dest", "xor-central" };
    static const char *const modes[] = { "store-forward", "end-to-end" };
    char body[8192], path[512];
    world_report_t r;
    for (size_t m = 0; m < 3; m++)
        for (size_t d = 0; d < 2; d++) {
            const unsigned h = 3;
            const double cost = m == 0 ? h * (JOB + TAG) : h * JOB + (h - 1) * TAG;
            char relay[256], apps[512];
            double grants;
            snprintf(relay, sizeof relay, "<relay method='%s' mode='%s' tag='%u'/>", methods[m],
                     modes[d], TAG);
            snprintf(apps, sizeof apps,
                     "<etsi014 id='e' master='n0' slave='n1' size='%u' max-sae-ids='1' "
                     "stop='15s'><arrivals process='periodic' rate='2/s'/>"
                     "<additional-slave node='n%u'/></etsi014>", JOB, h);
            line_scenario(body, sizeof body, "20s", h, rate, -1, "", apps, relay, "1Mb");
            CU_ASSERT_EQUAL_FATAL(run_body(body, "slave.h5", &r, path, sizeof path), SIM_OK);
            grants = column(path, "/summary/apps", "ok", 0);
            CU_ASSERT_EQUAL(grants, 29);   /* at 0.5 s, 1 s, ..., 14.5 s */
            CU_ASSERT_EQUAL(flow(path, "kind", 0), 3);
            CU_ASSERT_EQUAL(flow(path, "jobs", 0), grants);
            CU_ASSERT_EQUAL(flow(path, "done", 0), grants);
            CU_ASSERT_EQUAL(flow(path, "delivered", 0), grants * JOB);
            CU_ASSERT_EQUAL(flow(path, "spent", 0), grants * cost);
            CU_ASSERT_EQUAL(column(path, "/summary/apps", "slave_ok", 0), 2 * grants);
            CU_ASSERT_EQUAL(column(path, "/summary/apps", "slave_failed", 0), 0);
            check_accounts(&r, path);
        }
}

/* The last hop never has key (its link delivers nothing): end-to-end
 * reservation spends nothing anywhere; store and forward spends the
 * first hops and strands that key, and the identity still closes. */
static void test_modes_strand(void)
{
    static const double rate[] = { 20000, 20000, 0 };
    static const char *const modes[] = { "end-to-end", "store-forward" };
    char body[8192], path[512];
    world_report_t r;
    for (size_t m = 0; m < 2; m++) {
        char relay[256];
        snprintf(relay, sizeof relay,
                 "<relay mode='%s' job='%u' tag='%u'><demand id='d' src='n0' dst='n3' "
                 "amount='10240'/></relay>", modes[m], JOB, TAG);
        line_scenario(body, sizeof body, "20s", 3, rate, -1, "", "", relay, "0");
        CU_ASSERT_EQUAL_FATAL(run_body(body, "strand.h5", &r, path, sizeof path), SIM_OK);
        CU_ASSERT_EQUAL(flow(path, "done", 0), 0);
        CU_ASSERT_EQUAL(flow(path, "jobs", 0), 10);
        if (m == 0) {
            CU_ASSERT_EQUAL(flow(path, "spent", 0), 0);
            CU_ASSERT_EQUAL(flow(path, "stranded", 0), 0);
            CU_ASSERT_EQUAL(r.relayed + r.stranded, 0);
        } else {
            CU_ASSERT_EQUAL(flow(path, "spent", 0), 10.0 * 2 * (JOB + TAG));
            CU_ASSERT_EQUAL(flow(path, "stranded", 0), 10.0 * 2 * (JOB + TAG));
            CU_ASSERT_EQUAL(r.stranded, 2 * 10 * 2 * (JOB + TAG));
            CU_ASSERT_EQUAL(r.relayed, 0);
        }
        check_accounts(&r, path);
    }
}

/* End-to-end: a job's hops are spent at one instant, so every spent job
 * spent all its hops (spent is a multiple of h (N + T)) at any end. */
static void test_end_to_end_whole(void)
{
    static const double rate[] = { 3000, 1000, 2000 };
    char body[8192], path[512];
    world_report_t r;
    line_scenario(body, sizeof body, "60s", 3, rate, -1, "", "",
                  "<relay mode='end-to-end' job='1024' tag='128'><demand id='d' src='n0' "
                  "dst='n3' rate='2kbps'/></relay>", "0");
    CU_ASSERT_EQUAL_FATAL(run_body(body, "e2e.h5", &r, path, sizeof path), SIM_OK);
    CU_ASSERT(flow(path, "done", 0) > 10);
    /* jobs whose key was spent but not yet delivered at the end strand it */
    CU_ASSERT_EQUAL(fmod(flow(path, "spent", 0), 3.0 * (JOB + TAG)), 0);
    CU_ASSERT_EQUAL(fmod(flow(path, "stranded", 0), 3.0 * (JOB + TAG)), 0);
    CU_ASSERT_EQUAL(flow(path, "spent", 0),
                    flow(path, "done", 0) * 3 * (JOB + TAG) + flow(path, "stranded", 0));
    check_accounts(&r, path);
}

/* The middle link goes down for good at 10 s: jobs waiting on it are cut
 * (no other path), the key their first hop spent is stranded, later jobs
 * are cut at once; the identity closes. */
static void test_cut_path(void)
{
    static const double rate[] = { 20000, 1000, 20000 };
    char body[8192], path[512];
    world_report_t r;
    line_scenario(body, sizeof body, "30s", 3, rate, 1, "<outage from='10s' to='1h'/>", "",
                  "<relay job='1024' tag='128'><demand id='d' src='n0' dst='n3' "
                  "rate='4kbps'/></relay>", "0");
    CU_ASSERT_EQUAL_FATAL(run_body(body, "cut.h5", &r, path, sizeof path), SIM_OK);
    CU_ASSERT(flow(path, "cut", 0) > 0);
    CU_ASSERT(flow(path, "stranded", 0) > 0);
    CU_ASSERT(flow(path, "done", 0) > 0);
    /* what was spent is delivered or stranded */
    CU_ASSERT_EQUAL(flow(path, "spent", 0),
                    flow(path, "done", 0) * 3 * (JOB + TAG) + flow(path, "stranded", 0));
    check_accounts(&r, path);
}

/* A long run: delivered = min(demand, what the path carries) within 1 %.
 * Each link carries rate x N / (N + T) bit/s of relayed key. */
static void test_long_run_rate(void)
{
    static const double rate[] = { 12000, 9000, 15000 };
    static const double demand[] = { 4000, 20000 };
    char body[8192], path[512];
    world_report_t r;
    for (size_t d = 0; d < 2; d++) {
        char relay[256];
        const double carry = 9000.0 * JOB / (JOB + TAG);
        const double want = demand[d] < carry ? demand[d] : carry;
        snprintf(relay, sizeof relay,
                 "<relay job='%u' tag='%u'><demand id='d' src='n0' dst='n3' rate='%gbps'/>"
                 "</relay>", JOB, TAG, demand[d]);
        line_scenario(body, sizeof body, "30min", 3, rate, -1, "", "", relay, "0");
        CU_ASSERT_EQUAL_FATAL(run_body(body, "long.h5", &r, path, sizeof path), SIM_OK);
        CU_ASSERT_DOUBLE_EQUAL(flow(path, "delivered_bps", 0), want, 0.01 * want);
        check_accounts(&r, path);
    }
}

/* An ETSI 014 pair on n0 and n2 (no link between them) is served from its
 * global store, and the global store's key supplied equals the bits of
 * the 200 answers. DDKA has it stocked before the first request (at 5 s)
 * and keeps it so: no 503; NEC relays only after a shortage: some 503. */
static void test_global_store(void)
{
    static const double rate[] = { 20000, 20000 };
    static const char *const supplies[] = { "ddka", "nec" };
    char body[8192], path[512], relay[256];
    world_report_t r;
    uint64_t short_ddka = 0;
    for (size_t s = 0; s < 2; s++) {
        snprintf(relay, sizeof relay, "<relay supply='%s' job='1024' lower='1' "
                 "lower-from-latency='true'/>", supplies[s]);
        line_scenario(body, sizeof body, "60s", 2, rate, -1, "",
                      "<etsi014 id='vpn' master='n0' slave='n2' size='256' number='2' start='5s'>"
                      "<arrivals process='periodic' rate='4/s'/></etsi014>", relay, "0");
        CU_ASSERT_EQUAL_FATAL(run_body(body, "global.h5", &r, path, sizeof path), SIM_OK);
        CU_ASSERT(r.ok > 0);
        CU_ASSERT_EQUAL(flow(path, "global_supplied", 0), 512.0 * (double)r.ok);
        CU_ASSERT_EQUAL(column(path, "/summary/relay", "global_close", 0), 1);
        CU_ASSERT_EQUAL(column(path, "/apps", "link", 0), (double)UINT32_MAX);
        if (s == 0) {
            /* lower = ceil(demand x mean latency), the demand 512 x 4 bit/s */
            CU_ASSERT_DOUBLE_EQUAL(flow(path, "global_lower", 0),
                                   ceil(2048 * flow(path, "latency_mean", 0)), 1);
            CU_ASSERT(flow(path, "global_lower", 0) > 1);
            short_ddka = r.unavailable;
            CU_ASSERT_EQUAL(short_ddka, 0);
        } else {
            CU_ASSERT(r.unavailable > short_ddka);
        }
        check_accounts(&r, path);
    }
}

/* A client pair whose only path is cut at 10 s: its relay jobs are cut
 * and counted, its requests get 503 once its global store is empty, and
 * the accounts close. */
static void test_pair_cut(void)
{
    static const double rate[] = { 20000, 20000 };
    char body[8192], path[512];
    world_report_t r;
    line_scenario(body, sizeof body, "60s", 2, rate, 1, "<outage from='10s' to='1h'/>",
                  "<etsi014 id='vpn' master='n0' slave='n2' size='256' number='4'>"
                  "<arrivals process='periodic' rate='10/s'/></etsi014>",
                  "<relay job='1024' lower='4096' upper='8192'/>", "0");
    CU_ASSERT_EQUAL_FATAL(run_body(body, "paircut.h5", &r, path, sizeof path), SIM_OK);
    CU_ASSERT(flow(path, "cut", 0) > 0);
    CU_ASSERT(flow(path, "done", 0) > 0);
    CU_ASSERT(r.unavailable > 0);
    CU_ASSERT_EQUAL(r.ok + r.unavailable + r.bad_request, r.requests);
    check_accounts(&r, path);
}

/* With key waiting on every link (initial key), one job's latency is the
 * method's delay alone: 3 hops of 20 km (0.1 ms each at 2e8 m/s) and
 * hop-delay 1 ms give 3 x 1.1 ms hop-by-hop, 1 ms + 0.2 ms with XORs at
 * the destination, and 2 ms + max(0.1, 0.2) ms + 0.2 ms at the central
 * node n1. */
static void test_latency(void)
{
    static const double rate[] = { 1000, 1000, 1000 };
    static const char *const methods[] = { "hop", "xor-dest", "xor-central" };
    static const double want[] = { 3.3e-3, 1.2e-3, 2.4e-3 };
    char body[8192], path[512], relay[256];
    world_report_t r;
    for (size_t m = 0; m < 3; m++) {
        snprintf(relay, sizeof relay, "<relay method='%s' hop-delay='1ms'><demand id='d' "
                 "src='n0' dst='n3' amount='1024' start='0.5s'/></relay>", methods[m]);
        line_scenario(body, sizeof body, "2s", 3, rate, -1, "", "", relay, "1Mb");
        CU_ASSERT_EQUAL_FATAL(run_body(body, "lat.h5", &r, path, sizeof path), SIM_OK);
        CU_ASSERT_EQUAL(flow(path, "done", 0), 1);
        CU_ASSERT_DOUBLE_EQUAL(flow(path, "latency_p50", 0), want[m], 1e-9);
    }
}

/* Cut-through (relay.h): with key waiting on every link of a 3-hop line,
 * a job takes all its hops at once and arrives after the same 3 x 1.1 ms,
 * with one event for its crossing instead of one per hop (events differ
 * by 2 per job), the same key spent per link and no wait on any hop.
 * When the last link has no key, the job crosses the first two at once
 * and waits at the last: the same spent and stranded key as hop by hop. */
static void test_cut_through(void)
{
    static const double rate[] = { 1000, 1000, 1000 }, dry[] = { 20000, 20000, 0 };
    static const char *const cut[] = { "false", "true" };
    char body[8192], path[512], relay[256];
    world_report_t r[2];
    for (size_t c = 0; c < 2; c++) {
        snprintf(relay, sizeof relay, "<relay hop-delay='1ms' job='%u' tag='%u' "
                 "cut-through='%s'><demand id='d' src='n0' dst='n3' amount='%u' "
                 "start='0.5s'/></relay>", JOB, TAG, cut[c], 5 * JOB);
        line_scenario(body, sizeof body, "2s", 3, rate, -1, "", "", relay, "1Mb");
        CU_ASSERT_EQUAL_FATAL(run_body(body, "cut.h5", &r[c], path, sizeof path), SIM_OK);
        CU_ASSERT_EQUAL(flow(path, "done", 0), 5);
        CU_ASSERT_DOUBLE_EQUAL(flow(path, "latency_p50", 0), 3.3e-3, 1e-9);
        CU_ASSERT_EQUAL(flow(path, "hop_waits", 0), 15);
        CU_ASSERT_EQUAL(flow(path, "hop_wait_max", 0), 0);
        check_links(path, 3, 5);
        check_accounts(&r[c], path);
    }
    CU_ASSERT_EQUAL(r[0].events, r[1].events + 5 * 2);

    for (size_t c = 0; c < 2; c++) {
        snprintf(relay, sizeof relay, "<relay job='%u' tag='%u' cut-through='%s'><demand "
                 "id='d' src='n0' dst='n3' amount='%u'/></relay>", JOB, TAG, cut[c], 4 * JOB);
        line_scenario(body, sizeof body, "5s", 3, dry, -1, "", "", relay, "0");
        CU_ASSERT_EQUAL_FATAL(run_body(body, "cut.h5", &r[c], path, sizeof path), SIM_OK);
        CU_ASSERT_EQUAL(flow(path, "done", 0), 0);
        CU_ASSERT_EQUAL(flow(path, "stranded", 0), 4 * 2.0 * (JOB + TAG));
        CU_ASSERT_EQUAL(column(path, "/summary/relay_links", "hops", 1), 4);
        CU_ASSERT_EQUAL(column(path, "/summary/relay_links", "hops", 2), 0);
        check_accounts(&r[c], path);
    }
}

/* QKDTL: a flow announcing more than a hop can still carry is refused
 * (its jobs REFUSED, nothing spent); with the congestion threshold above
 * any level every spent hop flags congestion and halves the sender's
 * rate, so far fewer jobs start than the announced rate asks for. */
static void test_qkdtl(void)
{
    static const double rate[] = { 4000, 4000 };
    char body[8192], path[512];
    world_report_t r;
    line_scenario(body, sizeof body, "60s", 2, rate, -1, "", "",
                  "<relay scheduler='qkdtl' job='1024'>"
                  "<demand id='a' src='n0' dst='n2' rate='3kbps'/>"
                  "<demand id='b' src='n0' dst='n2' rate='3kbps'/></relay>", "0");
    CU_ASSERT_EQUAL_FATAL(run_body(body, "qkdtl.h5", &r, path, sizeof path), SIM_OK);
    CU_ASSERT(flow(path, "done", 0) > 0);
    CU_ASSERT_EQUAL(flow(path, "refused", 0), 0);
    CU_ASSERT(flow(path, "refused", 1) > 0);
    CU_ASSERT_EQUAL(flow(path, "refused", 1), flow(path, "jobs", 1));
    CU_ASSERT_EQUAL(flow(path, "spent", 1), 0);
    CU_ASSERT_EQUAL(flow(path, "halvings", 0), 0);
    check_accounts(&r, path);

    line_scenario(body, sizeof body, "60s", 2, rate, -1, "", "",
                  "<relay scheduler='qkdtl' job='1024' low-threshold='1Gb'>"
                  "<demand id='a' src='n0' dst='n2' rate='3kbps'/></relay>", "0");
    CU_ASSERT_EQUAL_FATAL(run_body(body, "qkdtl.h5", &r, path, sizeof path), SIM_OK);
    CU_ASSERT(flow(path, "halvings", 0) > 0);
    /* unhalved: 60 s x 3000 / 1024 = 175 jobs; halved at least once early */
    CU_ASSERT(flow(path, "jobs", 0) < 0.75 * 60 * 3000 / 1024);
    check_accounts(&r, path);
}

/* Load-time refusals name the pair or demand, the file and the line. */
static void test_refused(void)
{
    static const char *const bodies[] = {
        "<scenario name='t' duration='1s'><nodes><node id='A'/><node id='B'/><node id='C'/>"
        "</nodes><links><link id='AB' a='A' b='B'><generation model='constant' "
        "rate='1kbps'/></link></links><apps>\n<etsi014 id='x' master='A' slave='C'>"
        "<arrivals rate='1/s'/></etsi014></apps></scenario>",
        "<scenario name='t' duration='1s'><nodes><node id='A'/><node id='B'/><node id='C'/>"
        "</nodes><links><link id='AB' a='A' b='B'><generation model='constant' "
        "rate='1kbps'/></link></links><relay>\n<demand id='d' src='A' dst='C' rate='1kbps'/>"
        "</relay></scenario>",
        "<scenario name='t' duration='1s'><nodes><node id='A'/><node id='B'/></nodes>"
        "<links><link id='AB' a='A' b='B'><generation model='constant' rate='1kbps'/>"
        "</link></links><relay>\n<demand id='d' src='A' dst='B' rate='1kbps' "
        "amount='1kb'/></relay></scenario>",
        "<scenario name='t' duration='1s'><nodes><node id='A'/><node id='B'/></nodes>"
        "<links><link id='AB' a='A' b='B'><generation model='constant' rate='1kbps'/>"
        "</link></links><relay>\n<global app='nobody'/></relay></scenario>",
        "<scenario name='t' duration='1s'><nodes><node id='A'/><node id='B'/><node id='C'/>"
        "</nodes><links><link id='AB' a='A' b='B'><generation model='constant' "
        "rate='1kbps'/></link></links><apps><etsi014 id='x' master='A' slave='B'>"
        "<arrivals rate='1/s'/>\n<additional-slave node='C'/></etsi014></apps></scenario>",
    };
    static const char *const want[] = { "client pair 'x': master 'A' and slave 'C' have no path",
                                        "demand: no path of QKD links from 'A' to 'C'",
                                        "exactly one of 'rate'", "'nobody' is not a client pair",
                                        "client 'x': key from 'A' to 'C': the nodes have no path" };
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        scn_t *scn = NULL;
        world_t *w = NULL;
        world_options_t opts = { 0 };
        sim_err_t err = { 0 };
        int rc = th_load(bodies[i], &scn, &err);
        if (rc == SIM_OK)
            rc = world_build(scn, &opts, &w, &err);
        th_expect_input_error(rc, &err, want[i], "s.xml:2:");
        world_destroy(w);
        scn_free(scn);
    }
}

/* Routing by key (<routing metric="key">, C = K + r T): a demand of 8
 * kbit/s from A to D, whose fewest-hop path A-B-D runs over a 2 kbit/s
 * link B-D while A-C-E-D has 100 kbit/s on every link. By hops the flow
 * stays on A-B-D and gets at most what B-D carries; by key, once B-D's key
 * falls (r < 0 there), the flow moves to A-C-E-D and gets its demand. The
 * key metric used to be refused at load: the relay gave no rate r. */
static void test_key_metric(void)
{
    static const char *const metrics[] = { "hops", "key" };
    const double demand = 8000;
    char body[8192], path[512];
    world_report_t r;
    double got[2];

    for (size_t m = 0; m < 2; m++) {
        size_t n = (size_t)snprintf(body, sizeof body,
                                    "<scenario name='t' duration='10min' seed='5'><nodes>"
                                    "<node id='A'/><node id='B'/><node id='C'/><node id='D'/>"
                                    "<node id='E'/></nodes><links>");
        static const char *const links[][3] = {
            { "AB", "A", "B" }, { "BD", "B", "D" }, { "AC", "A", "C" },
            { "CE", "C", "E" }, { "ED", "E", "D" },
        };
        for (size_t l = 0; l < 5; l++)
            n += (size_t)snprintf(body + n, sizeof body - n,
                                  "<link id='%s' a='%s' b='%s' length='10km'>"
                                  "<generation model='constant' rate='%s' block='1s'/>"
                                  "<store capacity='100Mb' min='0' threshold='1kb' "
                                  "initial='50kb'/></link>",
                                  links[l][0], links[l][1], links[l][2],
                                  l == 1 ? "2kbps" : "100kbps");
        snprintf(body + n, sizeof body - n,
                 "</links><apps/><routing metric='%s' key-period='5s'/>"
                 "<relay job='%u' tag='%u'><demand id='d' src='A' dst='D' rate='%gbps'/>"
                 "</relay></scenario>",
                 metrics[m], JOB, TAG, demand);
        CU_ASSERT_EQUAL_FATAL(run_body(body, "key.h5", &r, path, sizeof path), SIM_OK);
        got[m] = flow(path, "delivered_bps", 0);
        check_accounts(&r, path);
    }
    /* hops: B-D's 2 kbit/s less the tags, and the 50 kb it held, over 600 s */
    CU_ASSERT(got[0] <= 2000.0 * JOB / (JOB + TAG) + 50000.0 / 600 + 1);
    CU_ASSERT(got[1] >= 0.95 * demand);
}

int main(void)
{
    static const th_test_t tests[] = {
        { "hop-by-hop: h (N + T) per job", test_hop_cost },
        { "XOR methods: h N + (h - 1) T per job", test_xor_cost },
        { "end-to-end spends nothing unless all reserved; store-forward strands",
          test_modes_strand },
        { "end-to-end spends whole jobs", test_end_to_end_whole },
        { "a cut path is counted and its key stranded", test_cut_path },
        { "long run: delivered = min(demand, path) within 1 %", test_long_run_rate },
        { "global store serves a pair on non-adjacent nodes", test_global_store },
        { "QKDTL: admission refuses, congestion halves the rate", test_qkdtl },
        { "latency: hop and processing delays", test_latency },
        { "cut-through: free hops at once, same key and latency", test_cut_through },
        { "a client pair whose path is cut: counted, 503, accounts close", test_pair_cut },
        { "ETSI 014 additional slave: one job per grant at the method's cost",
          test_additional_slave },
        { "load-time refusals name file and line", test_refused },
        { "routing by key moves a flow off a starved link", test_key_metric },
        { NULL, NULL },
    };
    return th_main("relay", tests);
}
