/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_collide.c - the key access collision design "collide" and its two
 * remedies (models/storage_collide.c, docs/storage-models.md).
 *
 * Every expected value is worked out by hand from the rules of the
 * design: a master's end takes alone and at once (oldest end; end b's
 * newest end with opposite-ends), the peer removes what it still holds of
 * those ranges sync-delay later (RESERVED), a fetch that finds less than
 * the whole request reserved fails and wastes the key at both ends; with
 * working-set each end serves from its own working set, refilled from the
 * pool by a grant sync-delay after the end asks.
 */
#include <string.h>

#include "models/kstore.h"
#include "models/storage.h"
#include "tests/harness.h"

#define MS INT64_C(1000000)

static const kstore_config_t big = { .capacity = 1000000, .mmin = 0, .mthr = 0 };

/* Client 0 has its master at a, client 1 at b. */
static const storage_app_t two[2] = {
    { .index = 0, .id = "x", .master_end = STORAGE_END_A, .demand = 100, .request_bits = 600 },
    { .index = 1, .id = "y", .master_end = STORAGE_END_B, .demand = 100, .request_bits = 600 },
};

typedef struct got {
    uint64_t ticket;
    bool granted;
    kstore_rangebuf_t ranges;
} got_t;

/* Runs the kernel to `now`, then client app's GET_KEY for bits (waste). */
static void get(th_link_t *h, size_t app, uint64_t bits, uint64_t waste, int64_t now, got_t *g)
{
    sim_err_t err;
    CU_ASSERT_EQUAL(th_run(h, now), SIM_OK);
    CU_ASSERT_EQUAL(h->sl.design->get_key(&h->sl, app, bits, waste, now, &g->ranges, &g->ticket,
                                          &g->granted, &err),
                    SIM_OK);
}

/* Runs the kernel to `now`, then the slave's fetch; returns ok. */
static bool fetch(th_link_t *h, size_t app, const got_t *g, uint64_t bits, uint64_t waste,
                  int64_t now)
{
    sim_err_t err;
    bool ok = true;
    CU_ASSERT_EQUAL(th_run(h, now), SIM_OK);
    CU_ASSERT_EQUAL(h->sl.design->fetch(&h->sl, app, g->ticket, bits, waste, now, &ok, &err),
                    SIM_OK);
    return ok;
}

static const kstore_accounts_t *acc(const th_link_t *h, const char *role, int end)
{
    return kstore_accounts(th_store(h, role, end));
}

/* No remedy: two clients at opposite ends ask 1 ms apart, within the
 * 10 ms sync delay, and both get bits [0, 300) from their own copy. Each
 * notice then finds the key gone at the other end (reserved 0), so both
 * fetches fail: at each end the 300 bits its own client was given are
 * wasted; 2 collisions, 600 bits. */
static void test_none_collides(void)
{
    th_link_t h;
    sim_err_t err;
    got_t g[3] = { { 0 } };

    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, "<storage design='collide'/>", &big, 1, two, 2,
                                        1000 * MS, &err),
                          SIM_OK);
    CU_ASSERT_EQUAL(h.nstores, 2);
    CU_ASSERT_STRING_EQUAL(h.roles[0], "shared");
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 1000, 0, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_link_start(&h, &err), SIM_OK);
    get(&h, 0, 300, 0, 1 * MS, &g[0]);
    get(&h, 1, 300, 0, 2 * MS, &g[1]);
    CU_ASSERT_TRUE(g[0].granted && g[1].granted);
    CU_ASSERT_EQUAL_FATAL(g[0].ranges.n, 1);
    CU_ASSERT_EQUAL_FATAL(g[1].ranges.n, 1);
    CU_ASSERT_EQUAL(g[0].ranges.v[0].offset, 0);
    CU_ASSERT_EQUAL(g[1].ranges.v[0].offset, 0);   /* the same key */
    CU_ASSERT_EQUAL(g[1].ranges.v[0].length, 300);
    CU_ASSERT_NOT_EQUAL(g[0].ticket, g[1].ticket);
    /* nothing happened at the peers yet */
    CU_ASSERT_EQUAL(acc(&h, "shared", 0)->reserved, 0);
    CU_ASSERT_EQUAL(th_level(&h, "shared", 0), 700);
    CU_ASSERT_EQUAL(th_level(&h, "shared", 1), 700);
    /* the notices arrive at 11 ms and 12 ms and find nothing to reserve */
    CU_ASSERT_EQUAL(th_run(&h, 12 * MS), SIM_OK);
    CU_ASSERT_EQUAL(acc(&h, "shared", 0)->reserved, 0);
    CU_ASSERT_EQUAL(acc(&h, "shared", 1)->reserved, 0);
    CU_ASSERT_EQUAL(th_level(&h, "shared", 0), 700);
    CU_ASSERT_FALSE(fetch(&h, 0, &g[0], 300, 0, 12 * MS));
    CU_ASSERT_FALSE(fetch(&h, 1, &g[1], 300, 0, 13 * MS));
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "collisions"), 2);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "collided_bits"), 600);
    for (int end = 0; end < 2; end++) {
        CU_ASSERT_EQUAL(acc(&h, "shared", end)->supplied, 300);
        CU_ASSERT_EQUAL(acc(&h, "shared", end)->wasted, 300);
        CU_ASSERT_EQUAL(acc(&h, "shared", end)->reserved, 0);
        CU_ASSERT_EQUAL(th_level(&h, "shared", end), 700);
    }
    /* a request left without its fetch at the end is freed by destroy */
    get(&h, 0, 100, 0, 20 * MS, &g[2]);
    CU_ASSERT_TRUE(g[2].granted);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    for (int i = 0; i < 3; i++)
        kstore_rangebuf_free(&g[i].ranges);
    th_link_free(&h);
}

/* No remedy, partial overlap and format waste: x (a) takes [0, 300) with
 * 44 bits of format waste, y (b) takes [0, 500). x's notice at b finds
 * nothing (b handed [0, 500) out); y's notice at a finds [300, 500): 200
 * reserved. x's fetch fails: a counts its 300 - 44 = 256 bits not yet
 * wasted. y's fetch fails: a releases the 200 reserved and wastes them, b
 * wastes its 500. Collided: 256 + 200 + 500 = 956; every bit supplied is
 * wasted. */
static void test_none_partial_overlap(void)
{
    th_link_t h;
    sim_err_t err;
    got_t g[2] = { { 0 } };

    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, "<storage design='collide' remedy='none'/>", &big,
                                        1, two, 2, 1000 * MS, &err),
                          SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 1000, 0, &err), SIM_OK);
    get(&h, 0, 300, 44, 1 * MS, &g[0]);
    get(&h, 1, 500, 0, 5 * MS, &g[1]);
    CU_ASSERT_EQUAL(th_run(&h, 15 * MS), SIM_OK);
    CU_ASSERT_EQUAL(acc(&h, "shared", 1)->reserved, 0);
    CU_ASSERT_EQUAL(acc(&h, "shared", 0)->reserved, 200);
    CU_ASSERT_EQUAL(th_level(&h, "shared", 0), 500);
    CU_ASSERT_EQUAL(th_level(&h, "shared", 1), 500);
    CU_ASSERT_FALSE(fetch(&h, 0, &g[0], 300, 44, 16 * MS));
    CU_ASSERT_EQUAL(acc(&h, "shared", 0)->wasted, 300);
    CU_ASSERT_FALSE(fetch(&h, 1, &g[1], 500, 0, 17 * MS));
    for (int end = 0; end < 2; end++) {
        CU_ASSERT_EQUAL(acc(&h, "shared", end)->supplied, 500);
        CU_ASSERT_EQUAL(acc(&h, "shared", end)->wasted, 500);
        CU_ASSERT_EQUAL(acc(&h, "shared", end)->reserved, 0);
    }
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "collisions"), 2);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "collided_bits"), 956);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    kstore_rangebuf_free(&g[0].ranges);
    kstore_rangebuf_free(&g[1].ranges);
    th_link_free(&h);
}

/* Requests far enough apart (more than the sync delay) never collide,
 * and a served request ends as supply at both ends with its waste. */
static void test_none_apart(void)
{
    th_link_t h;
    sim_err_t err;
    got_t g[2] = { { 0 } };

    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, "<storage design='collide'/>", &big, 1, two, 2,
                                        1000 * MS, &err),
                          SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 1000, 0, &err), SIM_OK);
    get(&h, 0, 300, 20, 1 * MS, &g[0]);
    get(&h, 1, 300, 0, 11 * MS, &g[1]);   /* the notice of x arrived at 11 ms, first */
    CU_ASSERT_EQUAL(g[1].ranges.v[0].offset, 300);
    CU_ASSERT_TRUE(fetch(&h, 0, &g[0], 300, 20, 12 * MS));
    CU_ASSERT_TRUE(fetch(&h, 1, &g[1], 300, 0, 22 * MS));
    for (int end = 0; end < 2; end++) {
        CU_ASSERT_EQUAL(acc(&h, "shared", end)->supplied, 600);
        CU_ASSERT_EQUAL(acc(&h, "shared", end)->wasted, 20);
        CU_ASSERT_EQUAL(th_level(&h, "shared", end), 400);
    }
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "collisions"), 0);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    kstore_rangebuf_free(&g[0].ranges);
    kstore_rangebuf_free(&g[1].ranges);
    th_link_free(&h);
}

/* A slave that asks before the notice arrived (sync-delay 50 ms, fetch
 * at 11 ms) makes its KME apply the notice then; the notice's own event
 * later removes nothing more. */
static void test_fetch_before_notice(void)
{
    th_link_t h;
    sim_err_t err;
    got_t g = { 0 };

    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, "<storage design='collide' sync-delay='50ms'/>",
                                        &big, 1, two, 2, 1000 * MS, &err),
                          SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 1000, 0, &err), SIM_OK);
    get(&h, 0, 300, 0, 0, &g);
    CU_ASSERT_EQUAL(th_level(&h, "shared", 1), 1000);
    CU_ASSERT_TRUE(fetch(&h, 0, &g, 300, 0, 11 * MS));
    CU_ASSERT_EQUAL(th_level(&h, "shared", 1), 700);
    CU_ASSERT_EQUAL(acc(&h, "shared", 1)->supplied, 300);
    CU_ASSERT_EQUAL(th_run(&h, 60 * MS), SIM_OK);
    CU_ASSERT_EQUAL(th_level(&h, "shared", 1), 700);
    CU_ASSERT_EQUAL(acc(&h, "shared", 1)->reserved, 0);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    kstore_rangebuf_free(&g.ranges);
    th_link_free(&h);
}

/* Opposite ends with plenty of key: the same two requests as in
 * test_none_collides take [0, 300) at a and [700, 1000) at b: disjoint,
 * so each notice reserves all 300 bits and both fetches succeed. */
static void test_opposite_ends_disjoint(void)
{
    th_link_t h;
    sim_err_t err;
    got_t g[2] = { { 0 } };

    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, "<storage design='collide' remedy='opposite-ends'/>",
                                        &big, 1, two, 2, 1000 * MS, &err),
                          SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 1000, 0, &err), SIM_OK);
    get(&h, 0, 300, 0, 1 * MS, &g[0]);
    get(&h, 1, 300, 0, 2 * MS, &g[1]);
    CU_ASSERT_EQUAL_FATAL(g[1].ranges.n, 1);
    CU_ASSERT_EQUAL(g[0].ranges.v[0].offset, 0);
    CU_ASSERT_EQUAL(g[1].ranges.v[0].offset, 700);
    CU_ASSERT_EQUAL(th_run(&h, 12 * MS), SIM_OK);
    CU_ASSERT_EQUAL(acc(&h, "shared", 0)->reserved, 300);
    CU_ASSERT_EQUAL(acc(&h, "shared", 1)->reserved, 300);
    CU_ASSERT_TRUE(fetch(&h, 0, &g[0], 300, 0, 12 * MS));
    CU_ASSERT_TRUE(fetch(&h, 1, &g[1], 300, 0, 13 * MS));
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "collisions"), 0);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "collided_bits"), 0);
    for (int end = 0; end < 2; end++) {
        const kstore_t *s = th_store(&h, "shared", end);
        CU_ASSERT_EQUAL(acc(&h, "shared", end)->supplied, 600);
        CU_ASSERT_EQUAL(acc(&h, "shared", end)->wasted, 0);
        CU_ASSERT_EQUAL(kstore_level(s), 400);
        CU_ASSERT_EQUAL_FATAL(kstore_range_count(s), 1);
        CU_ASSERT_EQUAL(kstore_range_at(s, 0)->offset, 300);   /* both hold [300, 700) */
        CU_ASSERT_EQUAL(kstore_range_at(s, 0)->length, 400);
    }
    CU_ASSERT_TRUE(th_accounts_close(&h));
    kstore_rangebuf_free(&g[0].ranges);
    kstore_rangebuf_free(&g[1].ranges);
    th_link_free(&h);
}

/* Opposite ends meet in a nearly empty store: of 1000 bits, a takes
 * [0, 600) and b [400, 1000); they share [400, 600). Each notice reserves
 * the 400 bits the peer still held, so both fetches fail: at each end
 * 600 (own client) + 400 (reserved) = 1000 bits are wasted; collided
 * 2 * 1000 = 2000. */
static void test_opposite_ends_meet(void)
{
    th_link_t h;
    sim_err_t err;
    got_t g[2] = { { 0 } };

    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, "<storage design='collide' remedy='opposite-ends'/>",
                                        &big, 1, two, 2, 1000 * MS, &err),
                          SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 1000, 0, &err), SIM_OK);
    get(&h, 0, 600, 0, 1 * MS, &g[0]);
    get(&h, 1, 600, 0, 2 * MS, &g[1]);
    CU_ASSERT_EQUAL(th_run(&h, 12 * MS), SIM_OK);
    CU_ASSERT_EQUAL(acc(&h, "shared", 0)->reserved, 400);
    CU_ASSERT_EQUAL(acc(&h, "shared", 1)->reserved, 400);
    CU_ASSERT_FALSE(fetch(&h, 0, &g[0], 600, 0, 12 * MS));
    CU_ASSERT_FALSE(fetch(&h, 1, &g[1], 600, 0, 13 * MS));
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "collisions"), 2);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "collided_bits"), 2000);
    for (int end = 0; end < 2; end++) {
        CU_ASSERT_EQUAL(th_level(&h, "shared", end), 0);
        CU_ASSERT_EQUAL(acc(&h, "shared", end)->supplied, 1000);
        CU_ASSERT_EQUAL(acc(&h, "shared", end)->wasted, 1000);
    }
    CU_ASSERT_TRUE(th_accounts_close(&h));
    kstore_rangebuf_free(&g[0].ranges);
    kstore_rangebuf_free(&g[1].ranges);
    th_link_free(&h);
}

#define WS_XML "<storage design='collide' remedy='working-set' working-set='1000'/>"

/* Working sets: at start both ends ask (2 messages); the grants arrive
 * after the 10 ms sync delay and give ws-a the pool's oldest 1000 bits,
 * then ws-b the next 1000. Before that a GET_KEY is refused (no second
 * message: one request in flight per end). The two requests of
 * test_none_collides then take disjoint key and both fetches succeed. */
static void test_working_set_no_collision(void)
{
    th_link_t h;
    sim_err_t err;
    got_t g[3] = { { 0 } };

    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, WS_XML, &big, 1, two, 2, 1000 * MS, &err), SIM_OK);
    CU_ASSERT_EQUAL(h.nstores, 6);
    CU_ASSERT_PTR_NOT_NULL(th_store(&h, "pool", 0));
    CU_ASSERT_EQUAL(kstore_config(th_store(&h, "ws-a", 0))->capacity, 1000);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 10000, 0, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_link_start(&h, &err), SIM_OK);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 2);
    get(&h, 0, 300, 0, 5 * MS, &g[2]);
    CU_ASSERT_FALSE(g[2].granted);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 2);
    CU_ASSERT_EQUAL(th_run(&h, 10 * MS - 1), SIM_OK);
    CU_ASSERT_EQUAL(th_level(&h, "ws-a", 0), 0);
    CU_ASSERT_EQUAL(th_run(&h, 10 * MS), SIM_OK);
    for (int end = 0; end < 2; end++) {
        CU_ASSERT_EQUAL(th_level(&h, "ws-a", end), 1000);
        CU_ASSERT_EQUAL(th_level(&h, "ws-b", end), 1000);
        CU_ASSERT_EQUAL(th_level(&h, "pool", end), 8000);
        CU_ASSERT_EQUAL_FATAL(kstore_range_count(th_store(&h, "ws-a", end)), 1);
        CU_ASSERT_EQUAL_FATAL(kstore_range_count(th_store(&h, "ws-b", end)), 1);
        CU_ASSERT_EQUAL(kstore_range_at(th_store(&h, "ws-a", end), 0)->offset, 0);
        CU_ASSERT_EQUAL(kstore_range_at(th_store(&h, "ws-b", end), 0)->offset, 1000);
    }
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "moved_bits"), 4000);
    get(&h, 0, 300, 0, 20 * MS, &g[0]);
    get(&h, 1, 300, 0, 21 * MS, &g[1]);
    CU_ASSERT_TRUE(g[0].granted && g[1].granted);
    CU_ASSERT_EQUAL(g[0].ranges.v[0].offset, 0);
    CU_ASSERT_EQUAL(g[1].ranges.v[0].offset, 1000);
    /* the peer's copy keeps the key until the notice */
    CU_ASSERT_EQUAL(th_level(&h, "ws-a", 1), 1000);
    CU_ASSERT_EQUAL(th_run(&h, 30 * MS), SIM_OK);
    CU_ASSERT_EQUAL(th_level(&h, "ws-a", 1), 700);
    CU_ASSERT_EQUAL(acc(&h, "ws-a", 1)->reserved, 300);
    CU_ASSERT_TRUE(fetch(&h, 0, &g[0], 300, 0, 31 * MS));
    CU_ASSERT_TRUE(fetch(&h, 1, &g[1], 300, 0, 32 * MS));
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "collisions"), 0);
    CU_ASSERT_EQUAL(acc(&h, "ws-a", 1)->supplied, 300);
    CU_ASSERT_EQUAL(acc(&h, "ws-b", 0)->supplied, 300);
    /* 700 is not below half of 1000: nobody asked again */
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 2);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    for (int i = 0; i < 3; i++)
        kstore_rangebuf_free(&g[i].ranges);
    th_link_free(&h);
}

/* The refill: after the start grants (ws-a 1000 at 10 ms), a takes 300
 * at 20 ms (700 left, not below half) and 300 at 22 ms (400 < 500): it
 * sends its notice, then its request (message 3). At 32 ms the notice
 * arrives first (ws-a at b: 1000 - 300 - 300 = 400), then the request:
 * the grant fills both copies to 1000 with the pool's oldest 600 bits
 * (pool 8000 - 600 = 7400; ws-b took [1000, 2000), so [2000, 2600)). */
static void test_working_set_refill(void)
{
    th_link_t h;
    sim_err_t err;
    got_t g[2] = { { 0 } };

    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, WS_XML, &big, 1, two, 2, 1000 * MS, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 10000, 0, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_link_start(&h, &err), SIM_OK);
    get(&h, 0, 300, 0, 20 * MS, &g[0]);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 2);
    get(&h, 0, 300, 0, 22 * MS, &g[1]);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 3);
    CU_ASSERT_EQUAL(th_run(&h, 32 * MS - 1), SIM_OK);
    CU_ASSERT_EQUAL(th_level(&h, "ws-a", 0), 400);
    CU_ASSERT_EQUAL(th_level(&h, "ws-a", 1), 700);
    CU_ASSERT_EQUAL(th_run(&h, 32 * MS), SIM_OK);
    for (int end = 0; end < 2; end++) {
        const kstore_t *s = th_store(&h, "ws-a", end);
        CU_ASSERT_EQUAL(kstore_level(s), 1000);
        CU_ASSERT_EQUAL(th_level(&h, "pool", end), 7400);
        CU_ASSERT_EQUAL_FATAL(kstore_range_count(s), 2);
        CU_ASSERT_EQUAL(kstore_range_at(s, 1)->offset, 2000);
        CU_ASSERT_EQUAL(kstore_range_at(s, 1)->length, 600);
    }
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 3);
    CU_ASSERT_TRUE(fetch(&h, 0, &g[0], 300, 0, 33 * MS));
    CU_ASSERT_TRUE(fetch(&h, 0, &g[1], 300, 0, 34 * MS));
    CU_ASSERT_TRUE(th_accounts_close(&h));
    kstore_rangebuf_free(&g[0].ranges);
    kstore_rangebuf_free(&g[1].ranges);
    th_link_free(&h);
}

/* A request larger than what is left asks even when the working set is
 * not below half: after the start grants, a takes 500 at 20 ms (500 left:
 * exactly half, not below, so no request); at 31 ms (the notice arrived
 * at 30 ms) a GET_KEY for 600 is refused and a sends its request
 * (message 3); the grant at 41 ms fills both copies from 500 to 1000, and
 * the same GET_KEY then succeeds. */
static void test_working_set_refused_asks(void)
{
    th_link_t h;
    sim_err_t err;
    got_t g[3] = { { 0 } };

    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, WS_XML, &big, 1, two, 2, 1000 * MS, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 10000, 0, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_link_start(&h, &err), SIM_OK);
    get(&h, 0, 500, 0, 20 * MS, &g[0]);
    CU_ASSERT_TRUE(g[0].granted);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 2);
    get(&h, 0, 600, 0, 31 * MS, &g[1]);
    CU_ASSERT_FALSE(g[1].granted);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 3);
    CU_ASSERT_EQUAL(th_run(&h, 41 * MS - 1), SIM_OK);
    CU_ASSERT_EQUAL(th_level(&h, "ws-a", 0), 500);
    get(&h, 0, 600, 0, 41 * MS, &g[2]);
    CU_ASSERT_TRUE(g[2].granted);
    CU_ASSERT_EQUAL(th_level(&h, "ws-a", 0), 400);
    CU_ASSERT_EQUAL(th_level(&h, "ws-a", 1), 1000);
    CU_ASSERT_EQUAL(th_level(&h, "pool", 0), 7500);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    for (int i = 0; i < 3; i++)
        kstore_rangebuf_free(&g[i].ranges);
    th_link_free(&h);
}

/* A busy workload: both ends ask for 100 bits every 2 ms, alternating
 * 1 ms apart, for 40 ms; each slave fetches 11 ms after its GET_KEY.
 * Without a remedy every request overlaps a request of the other end
 * within the 10 ms sync delay, so collisions occur. With working sets of
 * 2000 bits, an end spends 500 bits per sync delay, less than the half it
 * keeps before asking, so no request is refused, and none collides. */
static size_t busy(const char *xml, uint64_t *refused, uint64_t *failed)
{
    th_link_t h;
    sim_err_t err;
    got_t g[40] = { { 0 } };
    size_t n = 0;

    *refused = *failed = 0;
    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, xml, &big, 1, two, 2, 1000 * MS, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 100000, 0, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_link_start(&h, &err), SIM_OK);
    for (int64_t t = 20; t <= 80; t++) {
        const int64_t i = t - 20;
        if (i >= 11 && i - 11 < 40 && g[i - 11].granted)
            *failed += !fetch(&h, (size_t)((i - 11) % 2), &g[i - 11], 100, 0, t * MS);
        if (i < 40) {
            get(&h, (size_t)(i % 2), 100, 0, t * MS, &g[i]);
            *refused += !g[i].granted;
            n++;
        }
    }
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "collisions"), *failed);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    for (size_t i = 0; i < 40; i++)
        kstore_rangebuf_free(&g[i].ranges);
    th_link_free(&h);
    return n;
}

static void test_busy_workload(void)
{
    uint64_t refused, failed;

    CU_ASSERT_EQUAL(busy("<storage design='collide'/>", &refused, &failed), 40);
    CU_ASSERT_EQUAL(refused, 0);
    CU_ASSERT_TRUE(failed > 0);
    CU_ASSERT_EQUAL(busy("<storage design='collide' remedy='working-set' working-set='2000'/>",
                         &refused, &failed),
                    40);
    CU_ASSERT_EQUAL(refused, 0);
    CU_ASSERT_EQUAL(failed, 0);
}

/* Parameter errors name the element (storage.xml line 1). */
static void expect_error(const char *xml, const char *want)
{
    th_link_t h;
    sim_err_t err;
    int rc = th_link_setup(&h, xml, &big, 1, two, 2, 1000 * MS, &err);
    th_expect_input_error(rc, &err, want, "storage.xml:1:");
    th_link_free(&h);
}

/* Issue 12: the two copies of the shared store differ while a notice is
 * in flight, so a block that arrives then may fit at one end and not at
 * the other. Capacity 1000, full at both ends; a takes 300 at 1 ms; a
 * block of 500 (offsets [1000, 1500)) arrives at 5 ms: a keeps 300
 * ([1000, 1300)) and discards 200, b (still full) discards all 500.
 * Before, the design required equal parts and the run failed ("kept
 * different parts of the same key"). At 11 ms the notice reaches b,
 * which sets [0, 300) aside; b's own client then takes b's oldest 600
 * ([300, 900)), which a holds: no loss. A request of a, served from
 * [1000, 1300), which b discarded, is lost at its fetch like a collision. */
static void test_none_full_ends_differ(void)
{
    const kstore_config_t small = { .capacity = 1000, .mmin = 0, .mthr = 0 };
    th_link_t h;
    sim_err_t err;
    got_t g[3] = { { 0 } };

    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, "<storage design='collide'/>", &small, 1, two, 2,
                                        1000 * MS, &err),
                          SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 1000, 0, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_link_start(&h, &err), SIM_OK);
    get(&h, 0, 300, 0, 1 * MS, &g[0]);
    CU_ASSERT_TRUE(g[0].granted);
    CU_ASSERT_EQUAL(th_run(&h, 5 * MS), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 1000, 500, 5 * MS, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_level(&h, "shared", STORAGE_END_A), 1000);
    CU_ASSERT_EQUAL(th_level(&h, "shared", STORAGE_END_B), 1000);
    CU_ASSERT_EQUAL(acc(&h, "shared", STORAGE_END_A)->discarded, 200);
    CU_ASSERT_EQUAL(acc(&h, "shared", STORAGE_END_B)->discarded, 500);
    CU_ASSERT_EQUAL(acc(&h, "shared", STORAGE_END_A)->generated, 1500);
    CU_ASSERT_EQUAL(acc(&h, "shared", STORAGE_END_B)->generated, 1500);
    CU_ASSERT_TRUE(fetch(&h, 0, &g[0], 300, 0, 12 * MS));
    CU_ASSERT_EQUAL(th_level(&h, "shared", STORAGE_END_B), 700);
    get(&h, 1, 600, 0, 13 * MS, &g[1]);   /* b's client: [300, 900) */
    CU_ASSERT_TRUE(g[1].granted);
    CU_ASSERT_TRUE(fetch(&h, 1, &g[1], 600, 0, 30 * MS));
    get(&h, 0, 300, 0, 31 * MS, &g[2]);   /* a: [900, 1000) and [1000, 1200) */
    CU_ASSERT_TRUE(g[2].granted);
    CU_ASSERT_FALSE(fetch(&h, 0, &g[2], 300, 0, 50 * MS));   /* b has only [900, 1000) */
    CU_ASSERT_EQUAL(h.sl.counters[3], 1);   /* collisions */
    CU_ASSERT_EQUAL(th_level(&h, "shared", STORAGE_END_A), 100);
    CU_ASSERT_EQUAL(th_level(&h, "shared", STORAGE_END_B), 0);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    for (size_t i = 0; i < 3; i++)
        kstore_rangebuf_free(&g[i].ranges);
    th_link_free(&h);
}

static void test_parameter_errors(void)
{
    expect_error("<storage design='collide' remedy='both'/>", "remedy");
    expect_error("<storage design='collide' sync-delay='-1ms'/>", "sync-delay");
    expect_error("<storage design='collide' sync-delay='soon'/>", "sync-delay");
    expect_error("<storage design='collide' working-set='0'/>", "'working-set' must be positive");
    expect_error("<storage design='collide' working-set='12.5'/>", "working-set");
    /* one GET_KEY (600 bits) larger than the working set */
    expect_error("<storage design='collide' remedy='working-set' working-set='500'/>",
                 "client 'x': one GET_KEY takes 600 bits");
    expect_error("<storage design='collide' timer='1s'/>", "'timer' does not apply");
}

/* Without a <storage> element's attributes: remedy none, 10 ms. And a
 * working set that fits the requests is accepted. */
static void test_defaults(void)
{
    th_link_t h;
    sim_err_t err;
    got_t g = { 0 };

    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, "<storage design='collide'/>", &big, 1, two, 2,
                                        1000 * MS, &err),
                          SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 1000, 0, &err), SIM_OK);
    get(&h, 0, 100, 0, 0, &g);
    CU_ASSERT_EQUAL(th_run(&h, 10 * MS - 1), SIM_OK);
    CU_ASSERT_EQUAL(th_level(&h, "shared", 1), 1000);
    CU_ASSERT_EQUAL(th_run(&h, 10 * MS), SIM_OK);
    CU_ASSERT_EQUAL(th_level(&h, "shared", 1), 900);
    kstore_rangebuf_free(&g.ranges);
    th_link_free(&h);
    CU_ASSERT_EQUAL(th_link_setup(&h, "<storage design='collide' remedy='working-set' "
                                      "working-set='600'/>",
                                  &big, 1, two, 2, 1000 * MS, &err),
                    SIM_OK);
    th_link_free(&h);
}

int main(void)
{
    static const th_test_t tests[] = {
        { "none: same key at both ends, both fetches fail", test_none_collides },
        { "none: partial overlap and format waste", test_none_partial_overlap },
        { "none: requests apart do not collide", test_none_apart },
        { "a fetch before the notice applies it", test_fetch_before_notice },
        { "opposite ends: disjoint key with plenty", test_opposite_ends_disjoint },
        { "opposite ends: the ends meet when nearly empty", test_opposite_ends_meet },
        { "working set: no collision, grants after sync-delay",
          test_working_set_no_collision },
        { "working set: refill below half", test_working_set_refill },
        { "working set: a refused request asks", test_working_set_refused_asks },
        { "busy workload: none collides, working set never", test_busy_workload },
        { "none: full ends keep and discard on their own", test_none_full_ends_differ },
        { "parameter errors name the element", test_parameter_errors },
        { "defaults", test_defaults },
        { NULL, NULL },
    };
    return th_main("collide", tests);
}
