/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_designs.c - the storage design interface: the registry, parameter
 * checks, the default design "shared", and the range arithmetic the
 * designs rest on (taking from the newest end, uncoordinated removal).
 *
 * Expected values are worked out by hand from storage.h and kstore.h.
 */
#include <stdlib.h>
#include <string.h>

#include "models/kstore.h"
#include "models/storage.h"
#include "models/world.h"
#include "sim/trace.h"
#include "tests/harness.h"

static const kstore_config_t big = { .capacity = 1000000, .mthr = 0 };

static kstore_t *filled(uint64_t stream, uint64_t bits, uint64_t pieces)
{
    kstore_t *s = kstore_create(&big, 0);
    uint64_t kept = 0;
    for (uint64_t i = 0; i < pieces; i++) {
        const kstore_range_t r = { stream, i * bits, bits, (int64_t)i };
        CU_ASSERT_EQUAL(kstore_add(s, &r, KSTORE_CAUSE_GENERATED, (int64_t)i, &kept, NULL),
                        SIM_OK);
    }
    return s;
}

static void test_registry(void)
{
    const char *names[] = { "shared", "q3p", "session", "collide" };
    for (size_t i = 0; i < 4; i++) {
        const storage_design_t *d = storage_find(names[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_STRING_EQUAL(d->name, names[i]);
        CU_ASSERT_PTR_NOT_NULL(d->setup);
    }
    CU_ASSERT_PTR_NULL(storage_find("nope"));
    CU_ASSERT_PTR_EQUAL(storage_designs[0], storage_find("shared"));
}

/* A design rejects the attributes of another design, naming the element. */
static void test_foreign_attribute(void)
{
    th_link_t h;
    sim_err_t err;
    int rc = th_link_setup(&h, "<storage design='shared' remedy='none'/>", &big, 1, NULL, 0,
                           1000, &err);
    CU_ASSERT_EQUAL(rc, SIM_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "storage.xml:1:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'remedy' does not apply"));
    th_link_free(&h);
}

/* Shared: the key goes to one common store per end; a GET_KEY supplies at
 * the master and reserves the same ranges at the slave; the slave's fetch
 * turns the reservation into supply. */
static void test_shared_serves_in_step(void)
{
    const storage_app_t app = { .index = 0, .id = "x", .master_end = STORAGE_END_B,
                                .demand = 100, .request_bits = 300 };
    th_link_t h;
    sim_err_t err;
    kstore_rangebuf_t out = { 0 };
    uint64_t ticket = 7;
    bool granted = false, ok = false;

    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, NULL, &big, 1, &app, 1, 1000, &err), SIM_OK);
    CU_ASSERT_EQUAL(h.nstores, 2);
    CU_ASSERT_STRING_EQUAL(h.roles[0], "common");
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 1000, 0, &err), SIM_OK);
    CU_ASSERT_EQUAL(h.sl.design->get_key(&h.sl, 0, 300, 44, 5, &out, &ticket, &granted, &err),
                    SIM_OK);
    CU_ASSERT_TRUE(granted);
    CU_ASSERT_EQUAL(out.n, 1);
    CU_ASSERT_EQUAL(out.v[0].offset, 0);
    CU_ASSERT_EQUAL(out.v[0].length, 300);
    /* master is end b */
    CU_ASSERT_EQUAL(kstore_accounts(h.stores[1])->supplied, 300);
    CU_ASSERT_EQUAL(kstore_accounts(h.stores[1])->wasted, 44);
    CU_ASSERT_EQUAL(kstore_accounts(h.stores[0])->reserved, 300);
    CU_ASSERT_EQUAL(h.sl.design->fetch(&h.sl, 0, ticket, 300, 44, 20, &ok, &err), SIM_OK);
    CU_ASSERT_TRUE(ok);
    CU_ASSERT_EQUAL(kstore_accounts(h.stores[0])->reserved, 0);
    CU_ASSERT_EQUAL(kstore_accounts(h.stores[0])->supplied, 300);
    CU_ASSERT_EQUAL(kstore_accounts(h.stores[0])->wasted, 44);
    /* 700 left: a request for 701 is refused and takes nothing */
    CU_ASSERT_EQUAL(h.sl.design->get_key(&h.sl, 0, 701, 0, 6, &out, &ticket, &granted, &err),
                    SIM_OK);
    CU_ASSERT_FALSE(granted);
    CU_ASSERT_EQUAL(kstore_level(h.stores[0]), 700);
    CU_ASSERT_EQUAL(kstore_level(h.stores[1]), 700);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    kstore_rangebuf_free(&out);
    th_link_free(&h);
}

/* Taking from the newest end leaves the oldest key in place. */
static void test_take_newest(void)
{
    kstore_t *s = filled(1, 100, 3);   /* [0,100) [100,200) [200,300) */
    kstore_rangebuf_t out = { 0 };

    CU_ASSERT_TRUE(kstore_take_newest(s, 150, KSTORE_CAUSE_SUPPLIED, 10, &out, NULL));
    CU_ASSERT_EQUAL_FATAL(out.n, 2);
    CU_ASSERT_EQUAL(out.v[0].offset, 200);
    CU_ASSERT_EQUAL(out.v[0].length, 100);
    CU_ASSERT_EQUAL(out.v[1].offset, 150);
    CU_ASSERT_EQUAL(out.v[1].length, 50);
    CU_ASSERT_EQUAL(kstore_level(s), 150);
    CU_ASSERT_EQUAL(kstore_range_count(s), 2);
    CU_ASSERT_EQUAL(kstore_range_at(s, 1)->length, 50);
    CU_ASSERT_FALSE(kstore_take_newest(s, 151, KSTORE_CAUSE_SUPPLIED, 10, NULL, NULL));
    CU_ASSERT_TRUE(kstore_accounts_close(s));
    kstore_rangebuf_free(&out);
    kstore_destroy(s);
}

/* Removal cuts ranges anywhere, splits them, and reports what it did not
 * hold. */
static void test_remove_anywhere(void)
{
    kstore_t *s = filled(1, 100, 3);   /* [0,100) [100,200) [200,300) */
    const kstore_range_t cut[] = {
        { 1, 250, 100, 2 },   /* [250,300) held, [300,350) not */
        { 1, 120, 30, 1 },    /* splits [100,200) into [100,120) and [150,200) */
        { 2, 0, 40, 0 },      /* another stream: not held */
    };
    uint64_t removed = 0;

    CU_ASSERT_EQUAL(kstore_remove(s, cut, 3, KSTORE_CAUSE_RESERVED, 5, &removed, NULL),
                    SIM_OK);
    CU_ASSERT_EQUAL(removed, 80);
    CU_ASSERT_EQUAL(kstore_level(s), 220);
    CU_ASSERT_EQUAL_FATAL(kstore_range_count(s), 4);
    CU_ASSERT_EQUAL(kstore_range_at(s, 1)->offset, 100);
    CU_ASSERT_EQUAL(kstore_range_at(s, 1)->length, 20);
    CU_ASSERT_EQUAL(kstore_range_at(s, 2)->offset, 150);
    CU_ASSERT_EQUAL(kstore_range_at(s, 2)->length, 50);
    CU_ASSERT_EQUAL(kstore_range_at(s, 2)->birth, 1);   /* a split keeps its birth */
    CU_ASSERT_EQUAL(kstore_range_at(s, 3)->offset, 200);
    CU_ASSERT_EQUAL(kstore_range_at(s, 3)->length, 50);
    CU_ASSERT_EQUAL(kstore_accounts(s)->reserved, 80);
    /* removing it again removes nothing */
    CU_ASSERT_EQUAL(kstore_remove(s, cut, 3, KSTORE_CAUSE_RESERVED, 6, &removed, NULL),
                    SIM_OK);
    CU_ASSERT_EQUAL(removed, 0);
    CU_ASSERT_TRUE(kstore_accounts_close(s));
    kstore_destroy(s);
}

/* A move leaves each store's accounts closed and the node's total alone;
 * the design's counter "moved_bits" (here session's) counts both ends. */
static void test_move_accounts(void)
{
    kstore_t *from[2] = { filled(1, 100, 2), filled(1, 100, 2) };
    kstore_t *to[2] = { kstore_create(&big, 1), kstore_create(&big, 2) };
    storage_link_t sl = { .id = "L", .design = storage_find("session") };
    sim_err_t err;

    CU_ASSERT_TRUE(storage_move_pair(&sl, from, to, 130, 3, &err));
    CU_ASSERT_FALSE(storage_move_pair(&sl, from, to, 71, 3, &err));
    CU_ASSERT_EQUAL(err.code, SIM_OK);
    for (int e = 0; e < 2; e++) {
        CU_ASSERT_EQUAL(kstore_level(from[e]), 70);
        CU_ASSERT_EQUAL(kstore_level(to[e]), 130);
        CU_ASSERT_EQUAL(kstore_accounts(from[e])->moved_out, 130);
        CU_ASSERT_EQUAL(kstore_accounts(to[e])->moved_in, 130);
        CU_ASSERT_EQUAL(kstore_accounts(to[e])->generated, 0);
        CU_ASSERT_TRUE(kstore_accounts_close(from[e]));
        CU_ASSERT_TRUE(kstore_accounts_close(to[e]));
        kstore_destroy(from[e]);
        kstore_destroy(to[e]);
    }
    CU_ASSERT_EQUAL(storage_counter(&sl, "moved_bits"), 260);
    CU_ASSERT_EQUAL(storage_counter(&sl, "no_such_counter"), 0);
}

/* Runs body to th_dir/out.h5; returns the run's code. */
static int run_world(const char *body, sim_err_t *err)
{
    char out[256];
    scn_t *scn = NULL;
    world_t *w = NULL;
    world_options_t opts = { 0 };
    int rc;

    snprintf(out, sizeof out, "%s/out.h5", th_dir);
    if ((rc = th_load(body, &scn, err)) == SIM_OK &&
        (rc = world_build(scn, &opts, &w, err)) == SIM_OK)
        rc = world_run(w, out, NULL, err);
    world_destroy(w);
    scn_free(scn);
    return rc;
}

/* A node's <storage> governs its links; the others take the scenario's.
 * Link AB (node B selects q3p, one device) has pickup/0, common, a-to-b
 * and b-to-a: 8 stores; link AC (the scenario's session, one client) has
 * common and session/x: 4 stores; the links are taken in order. */
static void test_per_node_selection(void)
{
    const char *body =
        "<scenario name='t' duration='10s'><nodes><node id='A'/>"
        "<node id='B'><storage design='q3p' timer='100ms'/></node><node id='C'/></nodes>"
        "<links><link id='AB' a='A' b='B'><generation model='constant' rate='10kbps'/>"
        "<store capacity='1Mb' min='0' threshold='0' initial='100kb'/></link>"
        "<link id='AC' a='A' b='C'><generation model='constant' rate='10kbps'/>"
        "<store capacity='1Mb' min='0' threshold='0' initial='100kb'/></link></links>"
        "<apps><etsi014 id='x' master='C' slave='A' size='256'><arrivals rate='2/s'/>"
        "</etsi014></apps><storage design='session'/></scenario>";
    char path[256], *designs = NULL;
    double *link = NULL, *end = NULL;
    size_t n = 0, m = 0;
    sim_err_t err;
    trace_reader_t *r;

    CU_ASSERT_EQUAL_FATAL(run_world(body, &err), SIM_OK);
    snprintf(path, sizeof path, "%s/out.h5", th_dir);
    r = trace_reader_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(trace_read_attr_string(r, "/metadata", "storage_designs", &designs, &err),
                    SIM_OK);
    CU_ASSERT_STRING_EQUAL(designs, "q3p timer=100ms; session");
    CU_ASSERT_EQUAL(trace_read_column(r, "/stores", "link", &link, &n, &err), SIM_OK);
    CU_ASSERT_EQUAL(trace_read_column(r, "/stores", "end", &end, &m, &err), SIM_OK);
    CU_ASSERT_EQUAL_FATAL(n, 12);
    CU_ASSERT_EQUAL_FATAL(m, 12);
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT_EQUAL(link[i], i < 8 ? 0.0 : 1.0);
        CU_ASSERT_EQUAL(end[i], (double)(i % 2));   /* pairs: end a, then end b */
    }
    free(designs);
    free(link);
    free(end);
    trace_reader_close(r);
}

/* The two nodes of a link may both name a <storage>, but the same one. */
static void test_node_agreement(void)
{
    const char *same =
        "<scenario name='t' duration='1s'><nodes>"
        "<node id='A'><storage design='session' buffer='10kb'/></node>"
        "<node id='B'><storage buffer='10kb' design='session'/></node></nodes>"
        "<links><link id='AB' a='A' b='B'><generation model='constant' rate='1kbps'/>"
        "</link></links></scenario>";
    const char *other =
        "<scenario name='t' duration='1s'><nodes>"
        "<node id='A'><storage design='session' buffer='10kb'/></node>\n"
        "<node id='B'><storage design='session' buffer='20kb'/></node></nodes>"
        "<links><link id='AB' a='A' b='B'><generation model='constant' rate='1kbps'/>"
        "</link></links></scenario>";
    sim_err_t err;

    CU_ASSERT_EQUAL(run_world(same, &err), SIM_OK);
    th_expect_input_error(run_world(other, &err), &err,
                          "the two ends of a link must run the same design", "s.xml:2:");
}

int main(void)
{
    static const th_test_t tests[] = {
        { "registry", test_registry },
        { "a design rejects another's attributes", test_foreign_attribute },
        { "shared: supply and reservation in step", test_shared_serves_in_step },
        { "take from the newest end", test_take_newest },
        { "remove ranges anywhere", test_remove_anywhere },
        { "moves keep the accounts", test_move_accounts },
        { "a node's design governs its links", test_per_node_selection },
        { "both nodes of a link agree", test_node_agreement },
        { NULL, NULL },
    };
    return th_main("storage designs", tests);
}
