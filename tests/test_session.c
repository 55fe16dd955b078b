/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_session.c - the session-buffer storage design "session" (QCC, NIST,
 * MagiQ): buffer thresholds, proportional refills with caps and leftover,
 * integer rounding, the refill triggers, expiry at a refill, parameter
 * errors and closed accounts.
 *
 * Every expected value is worked out by hand from the rules in
 * docs/storage-models.md ("The session design"); the arithmetic is in the
 * comments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/kstore.h"
#include "models/storage.h"
#include "tests/harness.h"

/* The link's <store>: only its capacity matters here (the buffer's default
 * is a tenth of it). */
static const kstore_config_t link_cfg = { .capacity = 100000, .mmin = 0, .mthr = 0 };

static storage_app_t app(uint32_t i, const char *id, int master, double demand,
                         uint64_t request_bits)
{
    return (storage_app_t){ .index = i, .id = id, .master_end = master, .demand = demand,
                            .request_bits = request_bits };
}

static const kstore_config_t *cfg_of(const th_link_t *h, const char *role, int end)
{
    const kstore_t *s = th_store(h, role, end);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    return kstore_config(s);
}

/* buff_threshold = max(len_max, size * global_thr): with size 10000 and
 * global_thr 0.3 the fraction is 3000, so a client taking 500 bits a
 * request gets 3000 and one taking 4000 bits gets 4000. Defaults: size =
 * capacity / 10 = 10000, global_thr 0.5 -> 5000. The product is rounded
 * up: 1001 * 0.5 = 500.5 -> 501. */
static void test_threshold(void)
{
    const storage_app_t apps[] = { app(0, "small", STORAGE_END_A, 100, 500),
                                   app(1, "large", STORAGE_END_A, 100, 4000) };
    const char *designs[] = { ("<storage design='session' buffer='10000' "
                               "global-threshold='0.3'/>"),   /* one string (clang asks) */
                              "<storage design='session'/>",
                              "<storage design='session' buffer='1001'/>" };
    const uint64_t want[3][2] = { { 3000, 4000 }, { 5000, 5000 }, { 501, 501 } };
    const uint64_t size[3] = { 10000, 10000, 1001 };
    const size_t napps[3] = { 2, 2, 1 };

    for (size_t k = 0; k < 3; k++) {
        th_link_t h;
        sim_err_t err;
        CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, designs[k], &link_cfg, 1, apps, napps[k],
                                            1000, &err), SIM_OK);
        CU_ASSERT_EQUAL(h.nstores, 2 + 2 * napps[k]);
        CU_ASSERT_EQUAL(cfg_of(&h, "common", STORAGE_END_A)->capacity, link_cfg.capacity);
        for (size_t i = 0; i < napps[k]; i++)
            for (int end = 0; end < 2; end++) {
                char role[STORAGE_ROLE_MAX];
                snprintf(role, sizeof role, "session/%s", apps[i].id);
                CU_ASSERT_EQUAL(cfg_of(&h, role, end)->mthr, want[k][i]);
                CU_ASSERT_EQUAL(cfg_of(&h, role, end)->capacity, size[k]);
                CU_ASSERT_EQUAL(cfg_of(&h, role, end)->mmin, 0);
            }
        th_link_free(&h);
    }
}

/* Demands 1:3, both buffers empty with room 10000 (threshold 5000, so
 * both needy), 4000 bits in the common store: 4000 * 1/4 = 1000 and
 * 4000 * 3/4 = 3000. Needy buffers take the oldest key in client order:
 * client 0 gets offsets [0, 1000), client 1 [1000, 4000). */
static void test_proportional(void)
{
    const storage_app_t apps[] = { app(0, "vpn", STORAGE_END_A, 100, 100),
                                   app(1, "video", STORAGE_END_B, 300, 100) };
    th_link_t h;
    sim_err_t err;
    const kstore_t *v;

    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, "<storage design='session' buffer='10000'/>",
                                        &link_cfg, 1, apps, 2, 1000, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 4000, 0, &err), SIM_OK);
    th_assert_pair_level(&h, "common", 4000);   /* no refill before start */
    CU_ASSERT_EQUAL(th_link_start(&h, &err), SIM_OK);
    th_assert_pair_level(&h, "session/vpn", 1000);
    th_assert_pair_level(&h, "session/video", 3000);
    th_assert_pair_level(&h, "common", 0);
    v = th_store(&h, "session/video", STORAGE_END_B);
    CU_ASSERT_EQUAL_FATAL(kstore_range_count(v), 1);
    CU_ASSERT_EQUAL(kstore_range_at(v, 0)->offset, 1000);
    CU_ASSERT_EQUAL(kstore_range_at(v, 0)->length, 3000);
    CU_ASSERT_EQUAL(kstore_range_at(th_store(&h, "session/vpn", STORAGE_END_A), 0)->offset, 0);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "rounds"), 1);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "moved_bits"), 8000);   /* 4000 at each end */
    CU_ASSERT_EQUAL(kstore_accounts(th_store(&h, "common", STORAGE_END_A))->moved_out, 4000);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

/* Three clients X, Y, Z with demands 1, 1, 2; buffers of 10000 with
 * threshold 0.9 * 10000 = 9000.
 * Start, 30000 bits: shares 7500, 7500, 15000; Z is capped at 10000, the
 * other 20000 split 10000, 10000: all full.
 * t=1: X takes 1500 (8500: needy, room 1500), Z 8000 (2000: needy, room
 * 8000), Y 500 (9500: not needy, room 500); 10500 bits arrive.
 * Refill: 10500 among X and Z by 1:2 -> 3500 and 7000; X's 3500 exceeds
 * its room, so X is filled with 1500 and the other 9000 go to Z alone,
 * which is then capped at its room of 8000; the 1000 left go to the
 * non-needy buffers: Y takes its room of 500, 500 stay in common.
 * Moved: 1500 + 8000 + 500 = 10000 = min(10500, total room 10000). */
static void test_cap_and_leftover(void)
{
    const storage_app_t apps[] = { app(0, "X", STORAGE_END_A, 1, 100),
                                   app(1, "Y", STORAGE_END_A, 1, 100),
                                   app(2, "Z", STORAGE_END_B, 2, 100) };
    th_link_t h;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, "<storage design='session' buffer='10000' "
                                            "global-threshold='0.9'/>",
                                        &link_cfg, 1, apps, 3, 1000, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 30000, 0, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_link_start(&h, &err), SIM_OK);
    th_assert_pair_level(&h, "session/X", 10000);
    th_assert_pair_level(&h, "session/Y", 10000);
    th_assert_pair_level(&h, "session/Z", 10000);
    th_assert_pair_level(&h, "common", 0);

    CU_ASSERT_TRUE(th_get_key(&h, 0, 1500, 1));
    CU_ASSERT_TRUE(th_get_key(&h, 2, 8000, 1));
    CU_ASSERT_TRUE(th_get_key(&h, 1, 500, 1));
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 30000, 10500, 1, &err), SIM_OK);
    th_assert_pair_level(&h, "session/X", 8500);   /* the refill is an event: not yet run */
    CU_ASSERT_EQUAL(th_run(&h, 1), SIM_OK);
    th_assert_pair_level(&h, "session/X", 10000);
    th_assert_pair_level(&h, "session/Z", 10000);
    th_assert_pair_level(&h, "session/Y", 10000);
    th_assert_pair_level(&h, "common", 500);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "rounds"), 2);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "moved_bits"), 2 * (30000 + 10000));
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

/* The leftover is shared by rate too. Demands 1, 1, 3; buffers 10000,
 * threshold 5000. Start, 30000: 6000, 6000, 18000 -> Z capped, X and Y
 * 10000 each. t=1: X takes 6000 (4000: needy, room 6000), Y 2000 (8000,
 * room 2000), Z 4000 (6000, room 4000); 7000 arrive. Refill: X, alone
 * needy, is filled with 6000; the 1000 left go to Y and Z as 1:3 = 250 and
 * 750 (neither capped). */
static void test_leftover_by_rate(void)
{
    const storage_app_t apps[] = { app(0, "X", STORAGE_END_A, 1, 100),
                                   app(1, "Y", STORAGE_END_B, 1, 100),
                                   app(2, "Z", STORAGE_END_A, 3, 100) };
    th_link_t h;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, "<storage design='session' buffer='10000'/>",
                                        &link_cfg, 1, apps, 3, 1000, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 30000, 0, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_link_start(&h, &err), SIM_OK);
    CU_ASSERT_TRUE(th_get_key(&h, 0, 6000, 1));
    CU_ASSERT_TRUE(th_get_key(&h, 1, 2000, 1));
    CU_ASSERT_TRUE(th_get_key(&h, 2, 4000, 1));
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 30000, 7000, 1, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 1), SIM_OK);
    th_assert_pair_level(&h, "session/X", 10000);
    th_assert_pair_level(&h, "session/Y", 8250);
    th_assert_pair_level(&h, "session/Z", 6750);
    th_assert_pair_level(&h, "common", 0);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

/* Integer rounding: 1000 bits among three equal rates are 333.33 each:
 * floors 333 + 333 + 333 = 999, and the last bit goes to the largest
 * remainder, a three-way tie broken by client order: 334, 333, 333.
 * Then 2 more bits arrive (all three still needy, rooms 9666, 9667, 9667):
 * 0.67 each, floors 0, the two bits go to the first two clients. */
static void test_rounding(void)
{
    const storage_app_t apps[] = { app(0, "p", STORAGE_END_A, 50, 10),
                                   app(1, "q", STORAGE_END_B, 50, 10),
                                   app(2, "r", STORAGE_END_A, 50, 10) };
    th_link_t h;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, "<storage design='session' buffer='10000'/>",
                                        &link_cfg, 1, apps, 3, 1000, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 1000, 0, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_link_start(&h, &err), SIM_OK);
    th_assert_pair_level(&h, "session/p", 334);
    th_assert_pair_level(&h, "session/q", 333);
    th_assert_pair_level(&h, "session/r", 333);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 1000, 2, 5, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 5), SIM_OK);
    th_assert_pair_level(&h, "session/p", 335);
    th_assert_pair_level(&h, "session/q", 334);
    th_assert_pair_level(&h, "session/r", 333);
    th_assert_pair_level(&h, "common", 0);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

/* A client with demand 0 gets nothing, not even leftover: 1000 bits go
 * to the other client; with no room there the key stays in common. */
static void test_zero_demand(void)
{
    const storage_app_t apps[] = { app(0, "idle", STORAGE_END_A, 0, 10),
                                   app(1, "busy", STORAGE_END_A, 10, 10) };
    th_link_t h;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, "<storage design='session' buffer='600'/>",
                                        &link_cfg, 1, apps, 2, 1000, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 1000, 0, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_link_start(&h, &err), SIM_OK);
    th_assert_pair_level(&h, "session/idle", 0);
    th_assert_pair_level(&h, "session/busy", 600);
    th_assert_pair_level(&h, "common", 400);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

/* A served request that takes a buffer below its threshold triggers a
 * refill at that instant. Two clients of equal demand, buffers 4000,
 * threshold 2000. Start with 8000: 4000 each, full. 3000 more arrive at
 * t=5: nobody is needy, so no refill. At t=10 client 0 (master at end b,
 * the design's master is a) takes 1000 three times: 3000 and 2000 are
 * still READY (level >= threshold), 1000 leaves READY: one refill at
 * t=10, which gives client 0 its room of 3000 from the common store. */
static void test_refill_after_request(void)
{
    const storage_app_t apps[] = { app(0, "u", STORAGE_END_B, 10, 1000),
                                   app(1, "w", STORAGE_END_A, 10, 1000) };
    th_link_t h;
    sim_err_t err;
    bool ok = false;

    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, "<storage design='session' buffer='4000'/>",
                                        &link_cfg, 1, apps, 2, 1000, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 8000, 0, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_link_start(&h, &err), SIM_OK);
    th_assert_pair_level(&h, "session/u", 4000);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 8000, 3000, 5, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 5), SIM_OK);
    th_assert_pair_level(&h, "common", 3000);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "rounds"), 1);

    CU_ASSERT_TRUE(th_get_key(&h, 0, 1000, 10));
    CU_ASSERT_TRUE(th_get_key(&h, 0, 1000, 10));
    CU_ASSERT_EQUAL(th_run(&h, 10), SIM_OK);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "rounds"), 1);
    th_assert_pair_level(&h, "session/u", 2000);
    CU_ASSERT_TRUE(th_get_key(&h, 0, 1000, 10));
    th_assert_pair_level(&h, "session/u", 1000);
    CU_ASSERT_EQUAL(th_run(&h, 10), SIM_OK);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "rounds"), 2);
    th_assert_pair_level(&h, "session/u", 4000);
    th_assert_pair_level(&h, "session/w", 4000);
    th_assert_pair_level(&h, "common", 0);
    /* The master (end b) supplied 3000, the slave (a) reserved them;
     * the slave's fetch turns one request's reservation into supply. */
    CU_ASSERT_EQUAL(kstore_accounts(th_store(&h, "session/u", STORAGE_END_B))->supplied, 3000);
    CU_ASSERT_EQUAL(kstore_accounts(th_store(&h, "session/u", STORAGE_END_A))->reserved, 3000);
    CU_ASSERT_EQUAL(h.sl.design->fetch(&h.sl, 0, 0, 1000, 0, 12, &ok, &err), SIM_OK);
    CU_ASSERT_TRUE(ok);
    CU_ASSERT_EQUAL(kstore_accounts(th_store(&h, "session/u", STORAGE_END_A))->reserved, 2000);
    CU_ASSERT_EQUAL(kstore_accounts(th_store(&h, "session/u", STORAGE_END_A))->supplied, 1000);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

/* New key refills a needy buffer. One client, buffer 4000, threshold
 * 2000. Start with 1000: the buffer holds 1000, still needy. 500 arrive at
 * t=3: refill, 1500. 5000 arrive at t=4: refill fills the room of 2500,
 * 2500 stay in common. 100 arrive at t=5: the buffer is not needy, no
 * refill. */
static void test_refill_on_arrival(void)
{
    const storage_app_t apps[] = { app(0, "s", STORAGE_END_A, 10, 100) };
    th_link_t h;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, "<storage design='session' buffer='4000'/>",
                                        &link_cfg, 1, apps, 1, 1000, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 1000, 0, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_link_start(&h, &err), SIM_OK);
    th_assert_pair_level(&h, "session/s", 1000);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 1000, 500, 3, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 3), SIM_OK);
    th_assert_pair_level(&h, "session/s", 1500);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 1500, 5000, 4, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 4), SIM_OK);
    th_assert_pair_level(&h, "session/s", 4000);
    th_assert_pair_level(&h, "common", 2500);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "rounds"), 3);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 6500, 100, 5, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 5), SIM_OK);
    th_assert_pair_level(&h, "common", 2600);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "rounds"), 3);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "moved_bits"), 2 * 4000);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

/* Key due to expire at the refill's instant leaves before the refill
 * reads the levels. max-age 100 ns, one client, buffer 1000, threshold
 * 500. Start with 1000 (born 0): the buffer is full. 400 more born at 0
 * and 300 born at 60 wait in common. The run ends at 99 ns, so no expiry
 * wake-up is scheduled and expiry is lazy. At t=100 a GET_KEY of 100
 * finds the buffer's key expired (refused, level 0: a refill is due);
 * the refill finds 300 bits in common (the 400 born at 0 expired) and
 * moves them. */
static void test_expiry_at_refill(void)
{
    const storage_app_t apps[] = { app(0, "e", STORAGE_END_A, 10, 100) };
    kstore_config_t cfg = link_cfg;
    th_link_t h;
    sim_err_t err;

    cfg.max_age = 100;
    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, "<storage design='session' buffer='1000'/>",
                                        &cfg, 1, apps, 1, 99, &err), SIM_OK);
    CU_ASSERT_EQUAL(cfg_of(&h, "session/e", STORAGE_END_A)->max_age, 100);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 1000, 0, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_link_start(&h, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 1000, 400, 0, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 1400, 300, 60, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 60), SIM_OK);
    th_assert_pair_level(&h, "common", 700);
    CU_ASSERT_FALSE(th_get_key(&h, 0, 100, 100));
    CU_ASSERT_EQUAL(th_run(&h, 100), SIM_OK);
    th_assert_pair_level(&h, "session/e", 300);
    th_assert_pair_level(&h, "common", 0);
    CU_ASSERT_EQUAL(kstore_accounts(th_store(&h, "common", STORAGE_END_B))->expired, 400);
    CU_ASSERT_EQUAL(kstore_accounts(th_store(&h, "session/e", STORAGE_END_A))->expired, 1000);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

/* Parameter errors name the element (storage.xml, line 1). */
static void test_param_errors(void)
{
    const storage_app_t apps[] = { app(0, "vpn", STORAGE_END_A, 10, 2000) };
    const char *xml[] = {
        "<storage design='session' global-threshold='0'/>",
        "<storage design='session' global-threshold='1.5'/>",
        "<storage design='session' buffer='0'/>",
        "<storage design='session' buffer='1000'/>",
        "<storage design='session' timer='1s'/>",
    };
    const char *want[] = { "global-threshold", "global-threshold", "'buffer' must be positive",
                           "client 'vpn'", "'timer' does not apply" };

    for (size_t k = 0; k < 5; k++) {
        th_link_t h;
        sim_err_t err;
        int rc = th_link_setup(&h, xml[k], &link_cfg, 1, apps, 1, 1000, &err);
        th_expect_input_error(rc, &err, want[k], "storage.xml:1:");
        th_link_free(&h);
    }
    /* global-threshold 1: the threshold is the whole buffer, allowed */
    {
        th_link_t h;
        sim_err_t err;
        CU_ASSERT_EQUAL(th_link_setup(&h, "<storage design='session' buffer='2000' "
                                          "global-threshold='1'/>",
                                      &link_cfg, 1, apps, 1, 1000, &err), SIM_OK);
        CU_ASSERT_EQUAL(cfg_of(&h, "session/vpn", STORAGE_END_B)->mthr, 2000);
        th_link_free(&h);
    }
}

/* Without a <storage> element (defaults), errors name the link. */
typedef struct made {
    kstore_t *v[8];
    size_t n;
} made_t;

static int make_pair(void *owner, storage_link_t *sl, const char *role,
                     const kstore_config_t *cfg, bool synced, kstore_t *pair[2],
                     sim_err_t *err)
{
    made_t *m = owner;
    (void)sl;
    (void)role;
    (void)synced;
    for (int end = 0; end < 2; end++) {
        if (m->n == 8 || (m->v[m->n] = kstore_create(cfg, (uint32_t)m->n)) == NULL)
            return sim_err_set(err, SIM_ERR_RUN, "test: cannot make a store");
        pair[end] = m->v[m->n++];
    }
    return SIM_OK;
}

static void test_default_errors_name_link(void)
{
    /* default buffer: 100000 / 10 = 10000 < 20000 */
    storage_app_t apps[] = { app(0, "big", STORAGE_END_A, 10, 20000),
                             app(1, "never", STORAGE_END_A, 10, UINT64_MAX) };
    for (size_t k = 0; k < 2; k++) {
        made_t m = { .n = 0 };
        storage_link_t sl = { .design = storage_find("session"), .id = "L7", .cfg = link_cfg,
                              .apps = &apps[k], .napps = 1, .make_store = make_pair,
                              .owner = &m };
        sim_err_t err;
        int rc = storage_setup(&sl, NULL, &err);
        CU_ASSERT_EQUAL(rc, SIM_ERR_INPUT);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "link 'L7'"));
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, k == 0 ? "client 'big'" : "client 'never'"));
        storage_destroy(&sl);
        for (size_t i = 0; i < m.n; i++)
            kstore_destroy(m.v[i]);
    }
}

int main(void)
{
    static const th_test_t tests[] = {
        { "buff_threshold = max(len_max, size * global_thr)", test_threshold },
        { "refill in proportion to rates", test_proportional },
        { "cap, redistribution and leftover", test_cap_and_leftover },
        { "leftover shared by rate", test_leftover_by_rate },
        { "integer rounding by largest remainder", test_rounding },
        { "demand 0 gets nothing", test_zero_demand },
        { "refill after a request crosses the threshold", test_refill_after_request },
        { "refill when key arrives while needy", test_refill_on_arrival },
        { "expiry at a refill's instant", test_expiry_at_refill },
        { "parameter errors name the element", test_param_errors },
        { "default errors name the link", test_default_errors_name_link },
        { NULL, NULL },
    };
    return th_main("storage design session", tests);
}
