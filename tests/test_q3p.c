/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_q3p.c - the storage design "q3p" (SECOQC Q3P): STORE moves pickup
 * key to the common store in birth order, LOAD fills the buffers under
 * the R10 rules (a third of the common store, skip above 90 %, incoming
 * <= outgoing, not for less than two tags), every message pays its tag at
 * both ends or is skipped, the slave's LOAD-REQUEST, clients served from
 * the buffer of their direction, parameter errors, accounts.
 *
 * Expected values are worked out by hand from the rules in
 * docs/storage-models.md ("The q3p design"); the arithmetic is in the
 * comments.
 */
#include <stdio.h>
#include <string.h>

#include "models/kstore.h"
#include "models/storage.h"
#include "tests/harness.h"

#define MS INT64_C(1000000)

static const kstore_config_t store100k = { .capacity = 100000 };

static const storage_app_t two_apps[] = {
    { .index = 0, .id = "from-a", .master_end = STORAGE_END_A, .demand = 1,
      .request_bits = 256 },
    { .index = 1, .id = "from-b", .master_end = STORAGE_END_B, .demand = 1,
      .request_bits = 256 },
};

/* A q3p link with the given attributes; `initial` bits of pre-shared key
 * go to the common store at time 0 (device 0's stream, offset 0). */
static int q3p_link(th_link_t *h, const char *attrs, const kstore_config_t *cfg,
                    size_t ndevices, int64_t end, uint64_t initial, sim_err_t *err)
{
    char xml[512];
    int rc;

    snprintf(xml, sizeof xml, "<storage design='q3p' %s/>", attrs);
    if ((rc = th_link_setup(h, xml, cfg, ndevices, two_apps, 2, end, err)) != SIM_OK ||
        (rc = th_link_start(h, err)) != SIM_OK)
        return rc;
    return initial > 0 ? th_deliver(h, 0, 0, initial, 0, err) : SIM_OK;
}

static uint64_t internal(const th_link_t *h, const char *role, int end)
{
    return kstore_accounts(th_store_of(h, role, end))->internal;
}

/* The stores, in the order made. */
static void test_stores(void)
{
    th_link_t h;
    sim_err_t err;
    static const char *const roles[] = { "pickup/0", "pickup/1", "pickup/2", "common",
                                         "a-to-b", "b-to-a" };

    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, "", &store100k, 3, 1000, 0, &err), SIM_OK);
    CU_ASSERT_EQUAL_FATAL(h.nstores, 12);
    for (size_t i = 0; i < 6; i++) {
        CU_ASSERT_STRING_EQUAL(h.roles[2 * i], roles[i]);
        CU_ASSERT_STRING_EQUAL(h.roles[2 * i + 1], roles[i]);
    }
    /* defaults: pickup = the store's capacity, buffer = a tenth, Mthr half */
    CU_ASSERT_EQUAL(kstore_config(th_store_of(&h, "pickup/1", 0))->capacity, 100000);
    CU_ASSERT_EQUAL(kstore_config(th_store_of(&h, "a-to-b", 1))->capacity, 10000);
    CU_ASSERT_EQUAL(kstore_config(th_store_of(&h, "a-to-b", 1))->mthr, 5000);
    CU_ASSERT_EQUAL(kstore_config(th_store_of(&h, "a-to-b", 1))->mmin, 0);
    th_link_free(&h);
}

/* One round, no pickup key: each buffer gets at most a third of the
 * common store's level at the decision, at the decision + delay.
 * Common 30002: floor(30002 / 3) = 10000 to a-to-b (the out-buffer of
 * master a), then b-to-a: min(room 50000, 10000, out 0 + 10000 - in 0)
 * = 10000. At 101 ms: 30002 - 192 - 10000 - 192 - 10000 = 9618 left. */
static void test_load_third(void)
{
    th_link_t h;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, "timer='100ms' buffer='50000' load-request='false'",
                                   &store100k, 1, 150 * MS, 30002, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 101 * MS - 1), SIM_OK);
    th_assert_pair_level(&h, "a-to-b", 0);   /* decided at 100 ms, not yet in effect */
    th_assert_pair_level(&h, "common", 30002);
    CU_ASSERT_EQUAL(th_run(&h, 150 * MS), SIM_OK);
    th_assert_pair_level(&h, "a-to-b", 10000);
    th_assert_pair_level(&h, "b-to-a", 10000);
    th_assert_pair_level(&h, "common", 9618);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "rounds"), 1);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 4);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "tag_bits"), 4 * 2 * 96);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "moved_bits"), 2 * 20000);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "skipped"), 0);
    CU_ASSERT_EQUAL(internal(&h, "common", STORAGE_END_A), 384);
    CU_ASSERT_EQUAL(internal(&h, "common", STORAGE_END_B), 384);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

/* STORE: two devices' pickup key goes to the common store at 101 ms, two
 * tags an exchange at each end: 1000 + 5000 + 3000 - 2 * 192 = 8616.
 * Buffers of 100 bits: a LOAD could move at most 100 < 2 tags, so none
 * runs. */
static void test_store(void)
{
    th_link_t h;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, "timer='100ms' buffer='100'", &store100k, 2, 150 * MS,
                                   1000, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 1000, 5000, 10 * MS, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 1, 0, 3000, 20 * MS, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 101 * MS - 1), SIM_OK);
    th_assert_pair_level(&h, "pickup/0", 5000);
    th_assert_pair_level(&h, "pickup/1", 3000);
    th_assert_pair_level(&h, "common", 1000);
    CU_ASSERT_EQUAL(th_run(&h, 150 * MS), SIM_OK);
    th_assert_pair_level(&h, "pickup/0", 0);
    th_assert_pair_level(&h, "pickup/1", 0);
    th_assert_pair_level(&h, "common", 8616);
    th_assert_pair_level(&h, "a-to-b", 0);
    th_assert_pair_level(&h, "b-to-a", 0);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 4);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "tag_bits"), 4 * 2 * 96);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "moved_bits"), 2 * 8000);
    CU_ASSERT_EQUAL(internal(&h, "common", STORAGE_END_A), 2 * 2 * 96);
    CU_ASSERT_EQUAL(internal(&h, "common", STORAGE_END_B), 2 * 2 * 96);
    CU_ASSERT_EQUAL(kstore_accounts(th_store_of(&h, "pickup/0", 0))->moved_out, 5000);
    CU_ASSERT_EQUAL(kstore_accounts(th_store_of(&h, "common", 1))->moved_in, 8000);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

/* Interleaved key of two devices reaches the common store in birth order
 * (with max-age a store refuses anything else): the initial key's rest,
 * then births 10, 20, 30, 40 ms. */
static void test_store_birth_order(void)
{
    kstore_config_t aged = store100k;
    th_link_t h;
    sim_err_t err;
    kstore_t *c;
    static const int64_t births[] = { 0, 10 * MS, 20 * MS, 30 * MS, 40 * MS };

    aged.max_age = 10000 * MS;
    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, "timer='100ms' buffer='100'", &aged, 2, 150 * MS, 1000,
                                   &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 1000, 100, 10 * MS, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 1, 0, 200, 20 * MS, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 1100, 300, 30 * MS, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 1, 200, 400, 40 * MS, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 150 * MS), SIM_OK);
    c = th_store_of(&h, "common", STORAGE_END_B);
    CU_ASSERT_EQUAL(kstore_level(c), 1000 + 1000 - 384);
    CU_ASSERT_EQUAL_FATAL(kstore_range_count(c), 5);
    for (size_t i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(kstore_range_at(c, i)->birth, births[i]);
    CU_ASSERT_EQUAL(kstore_range_at(c, 0)->length, 616);
    CU_ASSERT_EQUAL(kstore_range_at(c, 4)->length, 400);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

/* Common 250: the first STORE's two tags (192) are promised, a second
 * would need 384: skipped. At 101 ms 58 bits are left, device 0's key
 * (older than device 1's) moves in: 5058. Device 1's key waits for the
 * next round (200 ms, paid at 201 ms): 5058 - 192 + 3000 = 7866. */
static void test_skip_unpaid(void)
{
    th_link_t h;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, "timer='100ms' buffer='100'", &store100k, 2, 250 * MS,
                                   250, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 250, 5000, 10 * MS, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 1, 0, 3000, 20 * MS, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 150 * MS), SIM_OK);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "skipped"), 1);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 2);
    th_assert_pair_level(&h, "common", 5058);
    th_assert_pair_level(&h, "pickup/0", 0);
    th_assert_pair_level(&h, "pickup/1", 3000);
    CU_ASSERT_EQUAL(th_run(&h, 250 * MS), SIM_OK);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "skipped"), 1);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 4);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "rounds"), 2);
    th_assert_pair_level(&h, "common", 7866);
    th_assert_pair_level(&h, "pickup/1", 0);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

/* Only key born up to a paid STORE's arrival moves, even when another
 * device's STORE runs the merge. Tag 96, common 300, two devices:
 *   50 ms    device 1: 100 bits
 *   100 ms   round: STORE for device 1 only (device 0 is empty)
 *   100.5    device 0: 500 bits; 100.7 device 1: 200 bits
 *   101      STORE 1 paid (300 - 192 = 108): its 50 ms key moves (208);
 *            its 100.7 key waits behind device 0's older 100.5 key
 *   150      device 1: 300 bits (after its STORE)
 *   200      round: STORE 0 sent (208 >= 192), STORE 1 skipped (< 384)
 *   201      STORE 0 paid (16): device 0's 500 moves, then device 1's
 *            100.7 key (allowed by its STORE at 101): 716; its 150 ms key
 *            was not allowed by any paid STORE and stays
 *   300/301  STORE 1: 716 - 192 + 300 = 824 */
static void test_store_authorized(void)
{
    th_link_t h;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, "timer='100ms' buffer='100'", &store100k, 2, 350 * MS,
                                   300, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 1, 0, 100, 50 * MS, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 100 * MS + MS / 2), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 300, 500, 100 * MS + MS / 2, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 100 * MS + 7 * MS / 10), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 1, 100, 200, 100 * MS + 7 * MS / 10, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 150 * MS), SIM_OK);
    th_assert_pair_level(&h, "common", 208);
    th_assert_pair_level(&h, "pickup/0", 500);
    th_assert_pair_level(&h, "pickup/1", 200);
    CU_ASSERT_EQUAL(th_deliver(&h, 1, 300, 300, 150 * MS, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 250 * MS), SIM_OK);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "skipped"), 1);
    th_assert_pair_level(&h, "common", 716);
    th_assert_pair_level(&h, "pickup/0", 0);
    th_assert_pair_level(&h, "pickup/1", 300);
    CU_ASSERT_EQUAL(th_run(&h, 350 * MS), SIM_OK);
    th_assert_pair_level(&h, "common", 824);
    th_assert_pair_level(&h, "pickup/1", 0);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 6);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

/* No pre-shared key, no Q3P: with an empty common store nothing is ever
 * sent, and every round counts its STORE as skipped. */
static void test_no_initial_key(void)
{
    th_link_t h;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, "timer='100ms'", &store100k, 1, 350 * MS, 0, &err),
                          SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 5000, 10 * MS, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 350 * MS), SIM_OK);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "rounds"), 3);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "skipped"), 3);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 0);
    th_assert_pair_level(&h, "pickup/0", 5000);
    th_assert_pair_level(&h, "common", 0);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

/* Re-checked on arrival: the common store's key (born at 0) expires at
 * 100.5 ms, between the STORE's decision (100 ms) and its arrival
 * (101 ms): it is skipped, nothing moves, nothing is paid. */
static void test_skip_on_arrival(void)
{
    kstore_config_t aged = store100k;
    th_link_t h;
    sim_err_t err;

    aged.max_age = 100 * MS + MS / 2;
    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, "timer='100ms' buffer='100'", &aged, 1, 105 * MS, 1000,
                                   &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 1000, 5000, 10 * MS, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 105 * MS), SIM_OK);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "skipped"), 1);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 0);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "tag_bits"), 0);
    th_assert_pair_level(&h, "pickup/0", 5000);
    th_assert_pair_level(&h, "common", 0);
    CU_ASSERT_EQUAL(kstore_accounts(th_store_of(&h, "common", 0))->expired, 1000);
    CU_ASSERT_EQUAL(internal(&h, "common", 0), 0);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

/* The STORE reserve: LOADs leave two tags per device in the common store,
 * so that pickup key can always be stored (without it, a slow link's
 * LOADs drain the common store below one STORE's tags for ever). Tag 96,
 * reserve 192, buffers of 10000, common 1000, one device:
 *   100  out: min(10000, 333, spare 1000 - 192 - 192 = 616) = 333, sent;
 *        in: min(333, 333 - 0, 1000 - 192 - 192 - 192 - 333 = 91) = 91
 *        < 192, not sent
 *   101  out: 808, moves 333 -> 475
 *   200  floor(475 / 3) = 158 < 192: nothing
 *   250  device 0: 2000 bits
 *   300  STORE (475 >= 192) -> 301: 475 - 192 + 2000 = 2283
 *   400  out: min(9667, 761, 2283 - 384 = 1899) = 761; in: min(10000,
 *        761, 333 + 761 - 0, 2283 - 192 - 192 - 192 - 761 = 946) = 761
 *   401  out: 2091 - 761 = 1330 (a-to-b 1094); in: 1138 - 761 = 377 */
static void test_store_reserve(void)
{
    th_link_t h;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, "timer='100ms' buffer='10000' load-request='false'",
                                   &store100k, 1, 450 * MS, 1000, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 250 * MS), SIM_OK);
    th_assert_pair_level(&h, "a-to-b", 333);
    th_assert_pair_level(&h, "b-to-a", 0);
    th_assert_pair_level(&h, "common", 475);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 1000, 2000, 250 * MS, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 350 * MS), SIM_OK);
    th_assert_pair_level(&h, "common", 2283);
    th_assert_pair_level(&h, "pickup/0", 0);
    CU_ASSERT_EQUAL(th_run(&h, 450 * MS), SIM_OK);
    th_assert_pair_level(&h, "a-to-b", 1094);
    th_assert_pair_level(&h, "b-to-a", 761);
    th_assert_pair_level(&h, "common", 377);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 8);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "skipped"), 0);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

/* A LOAD-REQUEST leaves the STORE reserve too. Tag 16 (reserve 32),
 * buffers of 700 (Mthr 350), common 1100:
 *   100  out min(700, 366, 1100 - 64) = 366; in min(366, 366 - 0,
 *        1100 - 32 - 32 - 32 - 366 = 638) = 366
 *   101  1100 - 32 - 366 - 32 - 366 = 304; a-to-b 366 (READY)
 *   200  floor(304 / 3) = 101: out 101 (spare 240); in min(101, 467 - 366,
 *        304 - 32 - 32 - 32 - 101 = 107) = 101
 *   201  304 - 32 - 101 - 32 - 101 = 38; both buffers 467
 *   300  floor(38 / 3) = 12 < 32: nothing
 *   350  a-to-b -200 -> 267 < 350: the request would need 16 + 32 > 38:
 *        skipped (sent, it would leave 22 < 32 and no STORE could run)
 *   360  device 0: 2000 bits
 *   400  STORE -> 401: 38 - 32 + 2000 = 2006 */
static void test_request_reserve(void)
{
    th_link_t h;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, "timer='100ms' tag='16' buffer='700'", &store100k, 1,
                                   450 * MS, 1100, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 150 * MS), SIM_OK);
    th_assert_pair_level(&h, "common", 304);
    CU_ASSERT_EQUAL(kstore_state(th_store_of(&h, "a-to-b", STORAGE_END_B)), KSTORE_READY);
    CU_ASSERT_EQUAL(th_run(&h, 350 * MS), SIM_OK);
    th_assert_pair_level(&h, "common", 38);
    th_assert_pair_level(&h, "a-to-b", 467);
    th_assert_pair_level(&h, "b-to-a", 467);
    CU_ASSERT_TRUE(th_get_key(&h, 0, 200, 350 * MS));
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "skipped"), 1);
    CU_ASSERT_EQUAL(th_run(&h, 360 * MS), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 1100, 2000, 360 * MS, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 450 * MS), SIM_OK);
    th_assert_pair_level(&h, "common", 2006);
    th_assert_pair_level(&h, "pickup/0", 0);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 10);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "skipped"), 1);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

/* A LOAD that would move fewer bits than its two tags does not run:
 * floor(575 / 3) = 191 < 192. At 576, floor = 192 is not fewer: the out
 * LOAD is sent (spare 576 - 192 reserve - 192 tags = 192); the in LOAD
 * could have only 576 - 192 promised tags - 192 reserve - 192 - 192 < 0:
 * not sent. At 101 ms: 576 - 192 - 192 = 192, the reserve. */
static void test_not_worth(void)
{
    th_link_t h;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, "timer='100ms'", &store100k, 1, 150 * MS, 575, &err),
                          SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 150 * MS), SIM_OK);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "rounds"), 1);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 0);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "skipped"), 0);
    th_assert_pair_level(&h, "common", 575);
    th_assert_pair_level(&h, "a-to-b", 0);
    th_link_free(&h);

    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, "timer='100ms'", &store100k, 1, 150 * MS, 576, &err),
                          SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 150 * MS), SIM_OK);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 2);
    th_assert_pair_level(&h, "a-to-b", 192);
    th_assert_pair_level(&h, "b-to-a", 0);
    th_assert_pair_level(&h, "common", 192);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);

    /* The in-buffer too: tag 16, buffers of 200 filled by round 1; b-to-a
     * cut to 175 (87.5 %, not skipped): its LOAD would move 25 < 32. */
    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, "timer='100ms' tag='16' buffer='200' "
                                       "load-request='false'",
                                   &store100k, 1, 250 * MS, 30000, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 150 * MS), SIM_OK);
    th_assert_pair_level(&h, "b-to-a", 200);
    CU_ASSERT_TRUE(th_get_key(&h, 1, 25, 150 * MS));
    CU_ASSERT_EQUAL(th_run(&h, 250 * MS), SIM_OK);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 4);
    th_assert_pair_level(&h, "b-to-a", 175);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

/* LOADs in flight together never overfill a buffer, and nothing is sent
 * that would arrive after the end. Tag 16, buffers of 1000, common
 * 30000, timer 100 ms, delay 150 ms, end 400 ms. Rounds 1 and 2 (100, 200
 * ms) both decide 1000 for each buffer (nothing has arrived yet); at 250
 * ms both fill (30000 - 2064 = 27936); at 350 ms the second pair pays its
 * tags and finds no room (27872). */
static void test_overlap(void)
{
    th_link_t h;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, "timer='100ms' delay='150ms' tag='16' buffer='1000' "
                                       "load-request='false'",
                                   &store100k, 1, 400 * MS, 30000, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 400 * MS), SIM_OK);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "rounds"), 4);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 8);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "skipped"), 0);
    th_assert_pair_level(&h, "a-to-b", 1000);
    th_assert_pair_level(&h, "b-to-a", 1000);
    th_assert_pair_level(&h, "common", 27872);
    CU_ASSERT_EQUAL(kstore_accounts(th_store_of(&h, "a-to-b", 0))->discarded, 0);
    CU_ASSERT_EQUAL(kstore_accounts(th_store_of(&h, "b-to-a", 1))->discarded, 0);
    CU_ASSERT_EQUAL(sim_pending(h.sim), 0);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);

    /* Ending at 300 ms: round 2's LOADs would arrive at 350 ms, so they
     * are not sent (nor counted); only round 1's take effect. */
    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, "timer='100ms' delay='150ms' tag='16' buffer='1000' "
                                       "load-request='false'",
                                   &store100k, 1, 300 * MS, 30000, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 300 * MS), SIM_OK);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "rounds"), 3);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 4);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "skipped"), 0);
    CU_ASSERT_EQUAL(sim_pending(h.sim), 0);
    th_assert_pair_level(&h, "common", 27936);
    th_link_free(&h);
}

/* More than 90 % full is skipped, exactly 90 % is not. Tag 16, buffers of
 * 1000, common 30000. Round 1 fills both (30000 - 2 * 1032 = 27936). At
 * 150 ms a-to-b (the master's out) is cut to 900, b-to-a to 950. Round 2:
 * a-to-b: room 100 >= 32, loaded; b-to-a: 95 % full, skipped (without
 * the rule it would get min(50, 9312, 1000 - 950) = 50 >= 32). */
static void test_ninety(void)
{
    th_link_t h;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, "timer='100ms' tag='16' buffer='1000' "
                                       "load-request='false'",
                                   &store100k, 1, 250 * MS, 30000, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 150 * MS), SIM_OK);
    th_assert_pair_level(&h, "a-to-b", 1000);
    th_assert_pair_level(&h, "b-to-a", 1000);
    th_assert_pair_level(&h, "common", 27936);
    CU_ASSERT_TRUE(th_get_key(&h, 0, 100, 150 * MS));
    CU_ASSERT_TRUE(th_get_key(&h, 1, 50, 150 * MS));
    CU_ASSERT_EQUAL(th_run(&h, 250 * MS), SIM_OK);
    th_assert_pair_level(&h, "a-to-b", 1000);
    th_assert_pair_level(&h, "b-to-a", 950);
    th_assert_pair_level(&h, "common", 27936 - 32 - 100);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 6);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "tag_bits"), 6 * 2 * 16);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

/* Incoming <= outgoing at master b: out = b-to-a, in = a-to-b, loaded
 * out first. Tag 16, buffers of 10000, common 3000. Round 1: out 1000,
 * in min(10000, 1000, 1000 - 0) = 1000; common 3000 - 2064 = 936. At
 * 150 ms out is cut to 100, in to 300. Round 2: floor(936 / 3) = 312 to
 * out (-> 412), then in: min(9700, 312, 412 - 300) = 112 (-> 412). At
 * 201 ms: 936 - 32 - 312 - 32 - 112 = 448. Loading in first would give it
 * nothing (100 < 300); without the rule it would get 312. */
static void test_in_le_out(void)
{
    th_link_t h;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, "timer='100ms' tag='16' buffer='10000' master='b' "
                                       "load-request='false'",
                                   &store100k, 1, 350 * MS, 3000, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 150 * MS), SIM_OK);
    th_assert_pair_level(&h, "b-to-a", 1000);
    th_assert_pair_level(&h, "a-to-b", 1000);
    th_assert_pair_level(&h, "common", 936);
    CU_ASSERT_TRUE(th_get_key(&h, 1, 900, 150 * MS));   /* master b: b-to-a */
    CU_ASSERT_TRUE(th_get_key(&h, 0, 700, 150 * MS));   /* master a: a-to-b */
    CU_ASSERT_EQUAL(th_run(&h, 250 * MS), SIM_OK);
    th_assert_pair_level(&h, "b-to-a", 412);
    th_assert_pair_level(&h, "a-to-b", 412);
    th_assert_pair_level(&h, "common", 448);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 8);
    CU_ASSERT_EQUAL(internal(&h, "common", STORAGE_END_B), 8 * 16);
    /* At 250 ms out is cut to 112 (in 412). Round 3: floor(448 / 3) = 149
     * to out (-> 261 < 412): in gets nothing, no LOAD is sent for it. */
    CU_ASSERT_TRUE(th_get_key(&h, 1, 300, 250 * MS));
    CU_ASSERT_EQUAL(th_run(&h, 350 * MS), SIM_OK);
    th_assert_pair_level(&h, "b-to-a", 261);
    th_assert_pair_level(&h, "a-to-b", 412);
    th_assert_pair_level(&h, "common", 448 - 32 - 149);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 10);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

/* Incoming <= outgoing holds at the LOAD's arrival too. Master a, tag 16,
 * buffers of 10000, common 3000, delay 10 ms. Round 1 -> 110 ms: 1000
 * each, common 936. At 150 ms out (a-to-b) is cut to 100, in to 300.
 * Round 2 decides out 312, in min(9700, 312, 412 - 300) = 112. At 205 ms
 * a client takes the last 100 of out. At 210 ms out gets 312 (-> 312),
 * and in only 312 - 300 = 12 (-> 312): 936 - 64 - 312 - 12 = 548. */
static void test_in_le_out_on_arrival(void)
{
    th_link_t h;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, "timer='100ms' delay='10ms' tag='16' buffer='10000' "
                                       "load-request='false'",
                                   &store100k, 1, 250 * MS, 3000, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 150 * MS), SIM_OK);
    th_assert_pair_level(&h, "common", 936);
    CU_ASSERT_TRUE(th_get_key(&h, 0, 900, 150 * MS));   /* master a: a-to-b */
    CU_ASSERT_TRUE(th_get_key(&h, 1, 700, 150 * MS));   /* master b: b-to-a */
    CU_ASSERT_EQUAL(th_run(&h, 205 * MS), SIM_OK);
    CU_ASSERT_TRUE(th_get_key(&h, 0, 100, 205 * MS));
    CU_ASSERT_EQUAL(th_run(&h, 250 * MS), SIM_OK);
    th_assert_pair_level(&h, "a-to-b", 312);
    th_assert_pair_level(&h, "b-to-a", 312);
    th_assert_pair_level(&h, "common", 548);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), 8);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

/* LOAD-REQUEST, master a, tag 16, buffers of 1000 (Mthr 500), common
 * 30000, timer 100 ms, delay 20 ms:
 *   100  round 1 -> 120: both buffers 1000, common 27936
 *   150  a-to-b -300 -> 700 (READY)
 *   200  round 2: a-to-b room 300 -> LOAD 300; b-to-a full, skipped
 *   210  a-to-b -400 -> 300: leaves READY, request sent (arrives 230)
 *   220  LOAD: 32 tags, +300 -> 600 (READY again); common 27604
 *   225  a-to-b -200 -> 400: leaves READY, a request is in flight: none
 *   230  request: 16 tags (27588); LOAD min(room 600, 9196) = 600
 *   250  LOAD: 32 tags, +600 -> 1000; common 26956
 * Messages 4 + 2 + 1 + 2 = 9. Without requests a-to-b stays at 400. */
static void request_case(bool on)
{
    th_link_t h;
    sim_err_t err;
    char attrs[128];

    snprintf(attrs, sizeof attrs, "timer='100ms' delay='20ms' tag='16' buffer='1000' "
                                  "load-request='%s'", on ? "true" : "false");
    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, attrs, &store100k, 1, 290 * MS, 30000, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 150 * MS), SIM_OK);
    CU_ASSERT_TRUE(th_get_key(&h, 0, 300, 150 * MS));
    CU_ASSERT_EQUAL(th_run(&h, 210 * MS), SIM_OK);
    CU_ASSERT_TRUE(th_get_key(&h, 0, 400, 210 * MS));
    CU_ASSERT_EQUAL(kstore_state(th_store_of(&h, "a-to-b", STORAGE_END_B)), KSTORE_WARNING);
    CU_ASSERT_EQUAL(th_run(&h, 225 * MS), SIM_OK);
    th_assert_pair_level(&h, "a-to-b", 600);
    CU_ASSERT_EQUAL(kstore_state(th_store_of(&h, "a-to-b", STORAGE_END_B)), KSTORE_READY);
    CU_ASSERT_TRUE(th_get_key(&h, 0, 200, 225 * MS));
    CU_ASSERT_EQUAL(th_run(&h, 250 * MS - 1), SIM_OK);
    th_assert_pair_level(&h, "a-to-b", 400);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), on ? 7 : 6);
    CU_ASSERT_EQUAL(th_run(&h, 290 * MS), SIM_OK);
    th_assert_pair_level(&h, "a-to-b", on ? 1000 : 400);
    th_assert_pair_level(&h, "b-to-a", 1000);
    th_assert_pair_level(&h, "common", on ? 26956 : 27604);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "messages"), on ? 9 : 6);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "tag_bits"), (on ? 9 : 6) * 2 * 16);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "rounds"), 2);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "skipped"), 0);
    CU_ASSERT_EQUAL(kstore_accounts(th_store_of(&h, "a-to-b", STORAGE_END_A))->supplied, 900);
    CU_ASSERT_EQUAL(kstore_accounts(th_store_of(&h, "a-to-b", STORAGE_END_B))->reserved, 900);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

static void test_load_request(void)
{
    request_case(true);
    request_case(false);
}

/* A client uses the buffer of the direction from its master's end: the
 * master supplies from it, the slave reserves the same ranges and fetch
 * supplies them; the other buffer and the common store are untouched;
 * a request the buffer cannot give is refused even with key in common. */
static void test_clients(void)
{
    th_link_t h;
    sim_err_t err;
    kstore_rangebuf_t out = { 0 };
    uint64_t ticket = 0;
    bool granted = false, ok = false;

    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, "timer='100ms' tag='16' buffer='1000'", &store100k, 1,
                                   150 * MS, 30000, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 150 * MS), SIM_OK);
    CU_ASSERT_EQUAL(h.sl.design->get_key(&h.sl, 0, 300, 20, 150 * MS, &out, &ticket, &granted,
                                         &err), SIM_OK);
    CU_ASSERT_TRUE(granted);
    CU_ASSERT_EQUAL(kstore_accounts(th_store_of(&h, "a-to-b", STORAGE_END_A))->supplied, 300);
    CU_ASSERT_EQUAL(kstore_accounts(th_store_of(&h, "a-to-b", STORAGE_END_A))->wasted, 20);
    CU_ASSERT_EQUAL(kstore_accounts(th_store_of(&h, "a-to-b", STORAGE_END_B))->reserved, 300);
    th_assert_pair_level(&h, "b-to-a", 1000);
    CU_ASSERT_TRUE(th_get_key(&h, 1, 200, 150 * MS));
    CU_ASSERT_EQUAL(kstore_accounts(th_store_of(&h, "b-to-a", STORAGE_END_B))->supplied, 200);
    CU_ASSERT_EQUAL(kstore_accounts(th_store_of(&h, "b-to-a", STORAGE_END_A))->reserved, 200);
    th_assert_pair_level(&h, "a-to-b", 700);
    th_assert_pair_level(&h, "b-to-a", 800);
    th_assert_pair_level(&h, "common", 27936);
    CU_ASSERT_EQUAL(h.sl.design->fetch(&h.sl, 0, ticket, 300, 20, 151 * MS, &ok, &err), SIM_OK);
    CU_ASSERT_TRUE(ok);
    CU_ASSERT_EQUAL(kstore_accounts(th_store_of(&h, "a-to-b", STORAGE_END_B))->reserved, 0);
    CU_ASSERT_EQUAL(kstore_accounts(th_store_of(&h, "a-to-b", STORAGE_END_B))->supplied, 300);
    CU_ASSERT_EQUAL(kstore_accounts(th_store_of(&h, "a-to-b", STORAGE_END_B))->wasted, 20);
    CU_ASSERT_FALSE(th_get_key(&h, 0, 701, 151 * MS));
    th_assert_pair_level(&h, "a-to-b", 700);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    kstore_rangebuf_free(&out);
    th_link_free(&h);
}

/* Rounds at timer, 2 timer, ... up to and including the end. */
static void test_rounds(void)
{
    th_link_t h;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, "", &store100k, 1, 1000 * MS, 0, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 2000 * MS), SIM_OK);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "rounds"), 4);
    th_link_free(&h);
    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, "", &store100k, 1, 1000 * MS - 1, 0, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_run(&h, 2000 * MS), SIM_OK);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "rounds"), 3);
    th_link_free(&h);
}

/* Ten seconds of key (1 kb every 100 ms) and two clients: every tag is
 * paid at both ends from the common store only, tag_bits = messages x 2
 * x tag, the moves add up to moved_bits, both ends agree, accounts close. */
static void test_tag_accounting(void)
{
    th_link_t h;
    sim_err_t err;
    uint64_t moved_in = 0;
    bool ok = false;

    CU_ASSERT_EQUAL_FATAL(q3p_link(&h, "", &store100k, 1, 10000 * MS, 5000, &err), SIM_OK);
    for (int64_t t = 100 * MS; t <= 10000 * MS; t += 100 * MS) {
        CU_ASSERT_EQUAL_FATAL(th_run(&h, t), SIM_OK);
        CU_ASSERT_EQUAL(th_deliver(&h, 0, 5000 + (uint64_t)(t / (100 * MS) - 1) * 1000, 1000, t,
                                   &err), SIM_OK);
        if (th_get_key(&h, 0, 400, t))
            CU_ASSERT_EQUAL(h.sl.design->fetch(&h.sl, 0, 0, 400, 0, t, &ok, &err), SIM_OK);
        if (th_get_key(&h, 1, 256, t))
            CU_ASSERT_EQUAL(h.sl.design->fetch(&h.sl, 1, 0, 256, 0, t, &ok, &err), SIM_OK);
    }
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "rounds"), 40);
    CU_ASSERT(storage_counter(&h.sl, "messages") > 0);
    CU_ASSERT_EQUAL(storage_counter(&h.sl, "tag_bits"), storage_counter(&h.sl, "messages") * 2 * 96);
    CU_ASSERT_EQUAL(internal(&h, "common", STORAGE_END_A), storage_counter(&h.sl, "tag_bits") / 2);
    CU_ASSERT_EQUAL(internal(&h, "common", STORAGE_END_B), storage_counter(&h.sl, "tag_bits") / 2);
    for (size_t i = 0; i < h.nstores; i++) {
        const kstore_t *s = h.stores[i], *peer = h.stores[i ^ 1];
        if (strcmp(h.roles[i], "common") != 0)
            CU_ASSERT_EQUAL(kstore_accounts(s)->internal, 0);
        CU_ASSERT_EQUAL(kstore_level(s), kstore_level(peer));
        CU_ASSERT_EQUAL(kstore_range_count(s), kstore_range_count(peer));
        moved_in += kstore_accounts(s)->moved_in;
    }
    CU_ASSERT_EQUAL(moved_in, storage_counter(&h.sl, "moved_bits"));
    CU_ASSERT(kstore_accounts(th_store_of(&h, "a-to-b", STORAGE_END_B))->supplied > 0);
    CU_ASSERT(kstore_accounts(th_store_of(&h, "b-to-a", STORAGE_END_A))->supplied > 0);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    th_link_free(&h);
}

/* A parameter error is SIM_ERR_INPUT naming the file, line and attribute. */
static void expect_error(const char *attrs, const kstore_config_t *cfg, size_t ndevices,
                         const char *what)
{
    th_link_t h;
    sim_err_t err;
    int rc = q3p_link(&h, attrs, cfg, ndevices, 1000 * MS, 0, &err);

    CU_ASSERT_EQUAL(rc, SIM_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "storage.xml:1:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, what));
    if (strstr(err.msg, what) == NULL)
        fprintf(stderr, "\n  unexpected message: %s\n", err.msg);
    th_link_free(&h);
}

static void test_parameter_errors(void)
{
    const kstore_config_t tiny = { .capacity = 5 };
    th_link_t h;
    sim_err_t err;

    expect_error("timer='0s'", &store100k, 1, "attribute 'timer': must be positive");
    expect_error("buffer='200kb'", &store100k, 1, "attribute 'buffer': 200000 b exceeds");
    expect_error("buffer='0'", &store100k, 1, "attribute 'buffer': must be positive");
    expect_error("tag='50001'", &store100k, 1, "attribute 'tag'");
    /* a round of STOREs on 3 devices: 6 tags <= 100000 */
    expect_error("tag='16667'", &store100k, 3, "attribute 'tag'");
    CU_ASSERT_EQUAL(q3p_link(&h, "tag='16666'", &store100k, 3, 1000 * MS, 0, &err), SIM_OK);
    th_link_free(&h);
    expect_error("pickup='0'", &store100k, 1, "attribute 'pickup': must be positive");
    expect_error("tag='1'", &tiny, 1, "attribute 'buffer': must be positive");   /* 5 / 10 = 0 */
    expect_error("timer='soon'", &store100k, 1, "timer");
    expect_error("remedy='none'", &store100k, 1, "'remedy' does not apply");
}

int main(void)
{
    static const th_test_t tests[] = {
        { "stores and defaults", test_stores },
        { "LOAD takes at most a third of the common store", test_load_third },
        { "STORE moves pickup key to common, two tags at each end", test_store },
        { "STORE keeps the common store in birth order", test_store_birth_order },
        { "a message that cannot be paid is skipped", test_skip_unpaid },
        { "only key a paid STORE allows moves", test_store_authorized },
        { "no pre-shared key: nothing is ever sent", test_no_initial_key },
        { "tags are re-checked on arrival", test_skip_on_arrival },
        { "a LOAD of fewer bits than two tags does not run", test_not_worth },
        { "LOADs leave the STORE reserve", test_store_reserve },
        { "a LOAD-REQUEST leaves the STORE reserve", test_request_reserve },
        { "LOADs in flight together never overfill", test_overlap },
        { "a buffer more than 90% full is skipped", test_ninety },
        { "incoming <= outgoing, out-buffer first", test_in_le_out },
        { "incoming <= outgoing re-checked on arrival", test_in_le_out_on_arrival },
        { "LOAD-REQUEST: 2 delays to the LOAD, one in flight", test_load_request },
        { "clients use the buffer of their direction", test_clients },
        { "rounds up to the end", test_rounds },
        { "tag accounting and synced ends", test_tag_accounting },
        { "parameter errors", test_parameter_errors },
        { NULL, NULL },
    };
    return th_main("storage design q3p", tests);
}
