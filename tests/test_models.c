/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_models.c - links and ETSI 014 clients run in small worlds, checked
 * against closed-form results: the link's key is floor(R * k * block); a
 * client is served min(supply, demand); Poisson arrivals have the right
 * count; the 400 and 503 rules; scenario errors found by the models.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/world.h"
#include "sim/scenario.h"
#include "tests/harness.h"


/* Writes the scenario body into a file and loads it. */
/* Loads, builds and runs; returns the run's code and fills *r. */
static int run(const char *body, world_report_t *r, sim_err_t *err)
{
    scn_t *scn = NULL;
    world_t *w = NULL;
    world_options_t opts = { 0 };
    char out[256];
    int rc;

    snprintf(out, sizeof out, "%s/out.h5", th_dir);
    memset(r, 0, sizeof *r);
    if ((rc = th_load(body, &scn, err)) == SIM_OK && (rc = world_build(scn, &opts, &w, err)) == SIM_OK)
        rc = world_run(w, out, r, err);
    world_destroy(w);
    scn_free(scn);
    unlink(out);
    return rc;
}

#define TWO_NODES "<nodes><node id='A'/><node id='B'/></nodes>"

static void test_link_closed_form(void)
{
    world_report_t r;
    sim_err_t err = { 0 };
    int rc = run("<scenario name='t' duration='10s'>" TWO_NODES
                 "<links><link id='AB' a='A' b='B'>"
                 "<generation model='constant' rate='1000bps' block='300ms'/>"
                 "<store capacity='1Mb' min='0b' threshold='1kb' initial='0b'/>"
                 "</link></links></scenario>", &r, &err);
    CU_ASSERT_EQUAL_FATAL(rc, SIM_OK);
    /* 33 blocks close in 10 s (the 34th at 10.2 s); floor(1000 * 9.9) = 9900
     * bits reach each of the two stores. */
    CU_ASSERT_EQUAL(r.generated, 2 * 9900);
    CU_ASSERT_EQUAL(r.stored, 2 * 9900);
    CU_ASSERT_TRUE(r.accounts_close);
}

static void test_throughput_below_supply(void)
{
    world_report_t r;
    sim_err_t err = { 0 };
    /* Demand 10/s * 512 b = 5.12 kbit/s < supply 10 kbit/s. */
    int rc = run("<scenario name='t' duration='100s'>" TWO_NODES
                 "<links><link id='AB' a='A' b='B'>"
                 "<generation model='constant' rate='10kbps' block='100ms'/>"
                 "<store capacity='1Mb' min='0b' threshold='1kb' initial='10kb'/>"
                 "</link></links><apps><etsi014 id='x' master='A' slave='B' size='256' number='2'>"
                 "<arrivals process='periodic' rate='10/s'/></etsi014></apps></scenario>",
                 &r, &err);
    CU_ASSERT_EQUAL_FATAL(rc, SIM_OK);
    CU_ASSERT_EQUAL(r.requests, 999);   /* at 0.1 s, 0.2 s, ... 99.9 s */
    CU_ASSERT_EQUAL(r.ok, r.requests);
    CU_ASSERT_EQUAL(r.unavailable, 0);
    CU_ASSERT_TRUE(r.accounts_close);
}

static void test_throughput_above_supply(void)
{
    world_report_t r;
    sim_err_t err = { 0 };
    /* Demand 10/s * 2048 b = 20.48 kbit/s > supply 10 kbit/s: the client
     * gets the supply, min(supply, demand). */
    int rc = run("<scenario name='t' duration='1000s'>" TWO_NODES
                 "<links><link id='AB' a='A' b='B'>"
                 "<generation model='constant' rate='10kbps' block='100ms'/>"
                 "<store capacity='1Mb' min='0b' threshold='1kb' initial='0b'/>"
                 "</link></links><apps><etsi014 id='x' master='A' slave='B' size='256' number='8'>"
                 "<arrivals process='periodic' rate='10/s'/></etsi014></apps></scenario>",
                 &r, &err);
    CU_ASSERT_EQUAL_FATAL(rc, SIM_OK);
    const double served_bps = (double)r.ok * 2048.0 / 1000.0;
    CU_ASSERT_DOUBLE_EQUAL(served_bps, 10000.0, 10000.0 * 0.01);
    CU_ASSERT_TRUE(r.unavailable > 0);
    CU_ASSERT_EQUAL(r.ok + r.unavailable, r.requests);
    CU_ASSERT_TRUE(r.accounts_close);
}

static void test_poisson_count(void)
{
    world_report_t r;
    sim_err_t err = { 0 };
    int rc = run("<scenario name='t' duration='1000s' seed='3'>" TWO_NODES
                 "<links><link id='AB' a='A' b='B'>"
                 "<generation model='constant' rate='100kbps'/>"
                 "</link></links><apps><etsi014 id='x' master='A' slave='B' size='64'>"
                 "<arrivals process='poisson' rate='50/s'/></etsi014></apps></scenario>",
                 &r, &err);
    CU_ASSERT_EQUAL_FATAL(rc, SIM_OK);
    /* N ~ Poisson(50000): within 5 standard deviations. */
    CU_ASSERT_TRUE(fabs((double)r.requests - 50000.0) < 5.0 * sqrt(50000.0));
    CU_ASSERT_EQUAL(r.ok, r.requests);
}

static void test_bad_request(void)
{
    world_report_t r;
    sim_err_t err = { 0 };
    int rc = run("<scenario name='t' duration='10s'>" TWO_NODES
                 "<links><link id='AB' a='A' b='B'>"
                 "<generation model='constant' rate='100kbps'/>"
                 "</link></links><apps><etsi014 id='x' master='A' slave='B' size='8192'>"
                 "<arrivals process='periodic' rate='1/s'/></etsi014></apps></scenario>",
                 &r, &err);
    CU_ASSERT_EQUAL_FATAL(rc, SIM_OK);
    CU_ASSERT_EQUAL(r.requests, 9);
    CU_ASSERT_EQUAL(r.bad_request, 9);
    CU_ASSERT_EQUAL(r.supplied, 0);
}

static void test_no_request_at_stop(void)
{
    world_report_t r;
    sim_err_t err = { 0 };
    /* Periodic 1/s with stop = 1 s: the only candidate, t = 1 s, lies at
     * stop, outside [start, stop). */
    int rc = run("<scenario name='t' duration='10s'>" TWO_NODES
                 "<links><link id='AB' a='A' b='B'>"
                 "<generation model='constant' rate='100kbps'/>"
                 "</link></links><apps><etsi014 id='x' master='A' slave='B' stop='1s'>"
                 "<arrivals process='periodic' rate='1/s'/></etsi014></apps></scenario>",
                 &r, &err);
    CU_ASSERT_EQUAL_FATAL(rc, SIM_OK);
    CU_ASSERT_EQUAL(r.requests, 0);
}

/* A scenario that must be refused with SIM_ERR_INPUT and a message that
 * contains `want` and the line of the offending element. */
static void refused(const char *body, const char *want, const char *line)
{
    scn_t *scn = NULL;
    world_t *w = NULL;
    world_options_t opts = { 0 };
    sim_err_t err = { 0 };
    int rc = th_load(body, &scn, &err);
    if (rc == SIM_OK)
        rc = world_build(scn, &opts, &w, &err);
    th_expect_input_error(rc, &err, want, line);
    world_destroy(w);
    scn_free(scn);
}

static void test_model_errors(void)
{
    refused("<scenario name='t' duration='10s'>\n" TWO_NODES "\n<links>\n"
            "<link id='AB' a='A' b='Z'><generation model='constant' rate='1kbps'/></link>"
            "</links></scenario>", "unknown node 'Z'", "s.xml:4:");
    refused("<scenario name='t' duration='10s'>" TWO_NODES "<links>\n"
            "<link id='AB' a='A' b='B'><generation model='constant' rate='1kbps'/>\n"
            "<store min='3Mb' threshold='2Mb'/></link></links></scenario>",
            "min (3000000 b) exceeds threshold", "s.xml:3:");
    refused("<scenario name='t' duration='10s'>" TWO_NODES "<links>"
            "<link id='AB' a='A' b='B'><generation model='constant' rate='1kbps'/></link>"
            "</links><apps>\n<etsi014 id='x' master='A' slave='A'>"
            "<arrivals rate='1/s'/></etsi014></apps></scenario>",
            "master and slave are the same node", "s.xml:2:");
    refused("<scenario name='t' duration='10s'><nodes><node id='A'/><node id='B'/>"
            "<node id='C'/></nodes><links>"
            "<link id='AB' a='A' b='B'><generation model='constant' rate='1kbps'/></link>"
            "</links><apps>\n\n<etsi014 id='x' master='A' slave='C'>"
            "<arrivals rate='1/s'/></etsi014></apps></scenario>",
            "'A' and slave 'C' have no path of QKD links", "s.xml:3:");
    refused("<scenario name='t' duration='10s'>" TWO_NODES "<links>\n"
            "<link id='AB' a='A' b='B'><generation model='constant' rate='1Kbps'/></link>"
            "</links></scenario>", "unknown unit", "s.xml:2:");
}

int main(void)
{
    static const th_test_t tests[] = {
        { "link key is floor(R k block)", test_link_closed_form },
        { "demand below supply: all served", test_throughput_below_supply },
        { "demand above supply: served = supply", test_throughput_above_supply },
        { "Poisson arrival count", test_poisson_count },
        { "400 for a size out of range", test_bad_request },
        { "no request at stop", test_no_request_at_stop },
        { "errors found by the models", test_model_errors },
        { NULL, NULL },
    };
    return th_main("models", tests);
}
