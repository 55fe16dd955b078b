/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_storage.c - key lifecycle (maximum age), Mmin reservation and key
 * formats: in the store alone, and in small worlds run end to end.
 *
 * Expected values are worked out by hand from the rules in kstore.h and
 * kformat.h (docs/storage-models.md), never copied from a run.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/kformat.h"
#include "models/kstore.h"
#include "models/summary.h"
#include "models/world.h"
#include "sim/scenario.h"
#include "sim/trace.h"
#include "tests/harness.h"

/* ------------------------------------------------------------ helpers */

/* Records the wake-ups a store asks for. */
typedef struct timer_log {
    int requests;
    int64_t due;
} timer_log_t;

static int fake_timer(void *ctx, kstore_t *store, int64_t due, sim_err_t *err)
{
    timer_log_t *t = ctx;
    (void)store;
    (void)err;
    t->requests++;
    t->due = due;
    return SIM_OK;
}

/* Records the last change of each cause. */
typedef struct change_log {
    int count[9];
    kstore_change_t last[9];
} change_log_t;

static void observe(void *ctx, const kstore_t *store, const kstore_change_t *ch)
{
    change_log_t *l = ctx;
    (void)store;
    l->count[ch->cause]++;
    l->last[ch->cause] = *ch;
}

static void add_at(kstore_t *s, uint64_t offset, uint64_t bits, int64_t t)
{
    kstore_range_t r = { .stream = 1, .offset = offset, .length = bits, .birth = t };
    uint64_t kept = 0;
    CU_ASSERT_EQUAL_FATAL(kstore_add(s, &r, KSTORE_CAUSE_GENERATED, t, &kept, NULL), SIM_OK);
    CU_ASSERT_EQUAL(kept, bits);
}

static const kstore_config_t life_cfg = {
    .capacity = 1000, .mmin = 40, .mthr = 60, .initial = 0, .max_age = 100,
};

/* ------------------------------------------------------------ lifecycle */

/* A range leaves exactly at birth + max_age: a wake-up one ns earlier
 * removes nothing; the one at the instant removes it, counts it, reports
 * it as EXPIRED and updates the state. */
static void test_expiry_on_time(void)
{
    kstore_t *s = kstore_create(&life_cfg, 0);
    timer_log_t t = { 0 };
    change_log_t log = { 0 };

    CU_ASSERT_EQUAL_FATAL(kstore_observe(s, observe, &log, NULL), SIM_OK);
    CU_ASSERT_EQUAL(kstore_set_timer(s, fake_timer, &t, NULL), SIM_OK);
    CU_ASSERT_EQUAL(t.requests, 0);              /* empty: nothing to wake for */
    add_at(s, 0, 50, 10);                        /* 50 > Mmin, < Mthr, prev EMPTY: CHARGING */
    CU_ASSERT_EQUAL(t.requests, 1);
    CU_ASSERT_EQUAL(t.due, 110);
    add_at(s, 50, 30, 20);                       /* 80 >= Mthr: READY */
    CU_ASSERT_EQUAL(t.requests, 1);              /* still one pending wake-up */
    CU_ASSERT_EQUAL(kstore_state(s), KSTORE_READY);
    CU_ASSERT_EQUAL(kstore_next_expiry(s), 110);

    CU_ASSERT_EQUAL(kstore_on_timer(s, 109, NULL), SIM_OK);   /* early: nothing due */
    CU_ASSERT_EQUAL(kstore_level(s), 80);
    CU_ASSERT_EQUAL(kstore_accounts(s)->expired, 0);
    CU_ASSERT_EQUAL(log.count[KSTORE_CAUSE_EXPIRED], 0);
    CU_ASSERT_EQUAL(t.requests, 2);
    CU_ASSERT_EQUAL(t.due, 110);

    CU_ASSERT_EQUAL(kstore_on_timer(s, 110, NULL), SIM_OK);
    CU_ASSERT_EQUAL(kstore_level(s), 30);
    CU_ASSERT_EQUAL(kstore_accounts(s)->expired, 50);
    CU_ASSERT_EQUAL(log.count[KSTORE_CAUSE_EXPIRED], 1);
    CU_ASSERT_EQUAL(log.last[KSTORE_CAUSE_EXPIRED].time, 110);
    CU_ASSERT_EQUAL(log.last[KSTORE_CAUSE_EXPIRED].amount, 50);
    CU_ASSERT_EQUAL(log.last[KSTORE_CAUSE_EXPIRED].delta, -50);
    CU_ASSERT_EQUAL(kstore_state(s), KSTORE_EMPTY);          /* 30 <= Mmin */
    CU_ASSERT_EQUAL(log.last[KSTORE_CAUSE_EXPIRED].state, KSTORE_EMPTY);
    CU_ASSERT_EQUAL(t.requests, 3);
    CU_ASSERT_EQUAL(t.due, 120);                 /* the next range's expiry */
    CU_ASSERT_EQUAL(kstore_range_count(s), 1);
    CU_ASSERT_EQUAL(kstore_range_at(s, 0)->offset, 50);

    CU_ASSERT_EQUAL(kstore_on_timer(s, 120, NULL), SIM_OK);
    CU_ASSERT_EQUAL(kstore_level(s), 0);
    CU_ASSERT_EQUAL(kstore_accounts(s)->expired, 80);
    CU_ASSERT_EQUAL(t.requests, 3);              /* empty again: no wake-up */
    CU_ASSERT_TRUE(kstore_accounts_close(s));
    kstore_destroy(s);
}

/* Ranges of one birth leave together, as one change; a take one ns before
 * the expiry gets the key, a take at the instant does not. */
static void test_expiry_and_takes(void)
{
    kstore_t *s = kstore_create(&life_cfg, 0);
    change_log_t log = { 0 };

    CU_ASSERT_EQUAL_FATAL(kstore_observe(s, observe, &log, NULL), SIM_OK);
    add_at(s, 0, 40, 0);
    add_at(s, 40, 40, 0);
    add_at(s, 80, 40, 50);
    CU_ASSERT_TRUE(kstore_take(s, 10, KSTORE_CAUSE_SUPPLIED, 99, NULL, NULL));
    CU_ASSERT_EQUAL(kstore_level(s), 110);
    /* At 100 the 70 bits left of the two ranges born at 0 are due: the take
     * expires them first, then finds the third range (40 bits). */
    CU_ASSERT_FALSE(kstore_take(s, 50, KSTORE_CAUSE_SUPPLIED, 100, NULL, NULL));
    CU_ASSERT_EQUAL(kstore_accounts(s)->expired, 70);
    CU_ASSERT_EQUAL(log.count[KSTORE_CAUSE_EXPIRED], 1);
    CU_ASSERT_EQUAL(log.last[KSTORE_CAUSE_EXPIRED].amount, 70);
    CU_ASSERT_EQUAL(kstore_level(s), 40);
    CU_ASSERT_TRUE(kstore_take(s, 40, KSTORE_CAUSE_SUPPLIED, 149, NULL, NULL));
    CU_ASSERT_EQUAL(kstore_accounts(s)->supplied, 50);
    CU_ASSERT_TRUE(kstore_accounts_close(s));
    kstore_destroy(s);
}

/* Both ends of a link take the same ranges and expire the same identities
 * at the same instants, whichever end is woken first. */
static void test_expiry_both_ends(void)
{
    kstore_t *a = kstore_create(&life_cfg, 0), *b = kstore_create(&life_cfg, 1);
    kstore_rangebuf_t taken = { 0 };

    for (int i = 0; i < 5; i++) {
        kstore_range_t r = { .stream = 7, .offset = (uint64_t)i * 30, .length = 30,
                             .birth = i * 20 };
        uint64_t kept = 0;
        CU_ASSERT_EQUAL(kstore_add(a, &r, KSTORE_CAUSE_GENERATED, r.birth, &kept, NULL), SIM_OK);
        CU_ASSERT_EQUAL(kstore_add(b, &r, KSTORE_CAUSE_GENERATED, r.birth, &kept, NULL), SIM_OK);
    }
    CU_ASSERT_TRUE(kstore_take(a, 45, KSTORE_CAUSE_SUPPLIED, 90, &taken, NULL));
    CU_ASSERT_EQUAL(kstore_take_same(b, taken.v, taken.n, KSTORE_CAUSE_RESERVED, 90, NULL),
                    SIM_OK);
    /* Only a is woken at 120 (births 0 and 20 due); b expires lazily when
     * the next take reaches it at 130. */
    CU_ASSERT_EQUAL(kstore_on_timer(a, 120, NULL), SIM_OK);
    CU_ASSERT_EQUAL(kstore_accounts(a)->expired, 15);     /* 60 - 45 taken */
    taken.n = 0;
    CU_ASSERT_TRUE(kstore_take(a, 10, KSTORE_CAUSE_SUPPLIED, 130, &taken, NULL));
    CU_ASSERT_EQUAL(kstore_take_same(b, taken.v, taken.n, KSTORE_CAUSE_RESERVED, 130, NULL),
                    SIM_OK);
    CU_ASSERT_EQUAL(kstore_accounts(a)->expired, kstore_accounts(b)->expired);
    CU_ASSERT_EQUAL(kstore_level(a), kstore_level(b));
    CU_ASSERT_EQUAL_FATAL(kstore_range_count(a), kstore_range_count(b));
    for (size_t i = 0; i < kstore_range_count(a); i++)
        CU_ASSERT_EQUAL(memcmp(kstore_range_at(a, i), kstore_range_at(b, i),
                               sizeof(kstore_range_t)), 0);
    kstore_rangebuf_free(&taken);
    kstore_destroy(a);
    kstore_destroy(b);
}

/* A range that arrives already past its age leaves at once, without a
 * wake-up in the past; a range born before the newest one is refused. */
static void test_expiry_edge_cases(void)
{
    kstore_t *s = kstore_create(&life_cfg, 0);
    timer_log_t t = { 0 };
    kstore_range_t old = { .stream = 1, .offset = 0, .length = 25, .birth = 0 };
    uint64_t kept = 0;
    sim_err_t err = { 0 };

    CU_ASSERT_EQUAL(kstore_set_timer(s, fake_timer, &t, NULL), SIM_OK);
    CU_ASSERT_EQUAL(kstore_add(s, &old, KSTORE_CAUSE_GENERATED, 100, &kept, NULL), SIM_OK);
    CU_ASSERT_EQUAL(kept, 25);
    CU_ASSERT_EQUAL(kstore_level(s), 0);
    CU_ASSERT_EQUAL(kstore_accounts(s)->expired, 25);
    CU_ASSERT_EQUAL(t.requests, 0);
    add_at(s, 25, 10, 150);
    CU_ASSERT_EQUAL(t.requests, 1);
    CU_ASSERT_EQUAL(t.due, 250);
    old.offset = 35;
    old.birth = 149;
    CU_ASSERT_EQUAL(kstore_add(s, &old, KSTORE_CAUSE_GENERATED, 160, &kept, &err),
                    SIM_ERR_RUN);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "birth order"));
    CU_ASSERT_TRUE(kstore_accounts_close(s));
    kstore_destroy(s);
}

/* Without max_age nothing ever expires and no wake-up is asked for. */
static void test_no_max_age(void)
{
    kstore_config_t c = life_cfg;
    kstore_t *s;
    timer_log_t t = { 0 };

    c.max_age = 0;
    s = kstore_create(&c, 0);
    CU_ASSERT_EQUAL(kstore_set_timer(s, fake_timer, &t, NULL), SIM_OK);
    add_at(s, 0, 50, 0);
    CU_ASSERT_EQUAL(t.requests, 0);
    CU_ASSERT_EQUAL(kstore_next_expiry(s), INT64_MAX);
    CU_ASSERT_TRUE(kstore_take(s, 50, KSTORE_CAUSE_SUPPLIED, INT64_MAX - 1, NULL, NULL));
    CU_ASSERT_EQUAL(kstore_accounts(s)->expired, 0);
    kstore_destroy(s);
}

/* ------------------------------------------------------------ Mmin reservation */

static void test_reserve_min(void)
{
    kstore_config_t c = { .capacity = 1000, .mmin = 100, .mthr = 500 };
    kstore_t *open_store, *reserving;

    open_store = kstore_create(&c, 0);
    c.reserve_min = true;
    reserving = kstore_create(&c, 1);
    add_at(open_store, 0, 150, 0);
    add_at(reserving, 0, 150, 0);

    /* QKDNetSim's informational Mmin: supply may take the store below it. */
    CU_ASSERT_TRUE(kstore_take(open_store, 100, KSTORE_CAUSE_SUPPLIED, 1, NULL, NULL));
    CU_ASSERT_EQUAL(kstore_level(open_store), 50);

    /* Reserved: 150 - 100 < 100 is refused and changes nothing ... */
    CU_ASSERT_FALSE(kstore_take(reserving, 100, KSTORE_CAUSE_SUPPLIED, 1, NULL, NULL));
    CU_ASSERT_EQUAL(kstore_level(reserving), 150);
    /* ... taking down to exactly Mmin is allowed ... */
    CU_ASSERT_TRUE(kstore_take(reserving, 50, KSTORE_CAUSE_SUPPLIED, 1, NULL, NULL));
    CU_ASSERT_EQUAL(kstore_level(reserving), 100);
    /* ... and from there applications and relays get nothing ... */
    CU_ASSERT_FALSE(kstore_take(reserving, 1, KSTORE_CAUSE_SUPPLIED, 2, NULL, NULL));
    CU_ASSERT_FALSE(kstore_take(reserving, 1, KSTORE_CAUSE_RESERVED, 2, NULL, NULL));
    CU_ASSERT_FALSE(kstore_take(reserving, 1, KSTORE_CAUSE_RELAYED, 2, NULL, NULL));
    /* ... while the key manager's own use may cut into the reserve. */
    CU_ASSERT_TRUE(kstore_take(reserving, 60, KSTORE_CAUSE_INTERNAL, 2, NULL, NULL));
    CU_ASSERT_EQUAL(kstore_level(reserving), 40);
    CU_ASSERT_EQUAL(kstore_accounts(reserving)->supplied, 50);
    CU_ASSERT_EQUAL(kstore_accounts(reserving)->internal, 60);
    CU_ASSERT_TRUE(kstore_accounts_close(reserving));
    kstore_destroy(open_store);
    kstore_destroy(reserving);
}

/* ------------------------------------------------------------ formats */

static kformat_t blocks(const uint64_t *sizes, size_t n)
{
    kformat_t f = { .kind = KFORMAT_BLOCKS, .nsizes = n };
    memcpy(f.sizes, sizes, n * sizeof *sizes);
    return f;
}

static void expect_key(const kformat_t *f, uint64_t size, uint64_t want_bits,
                       uint64_t want_blocks)
{
    uint64_t bits = 0, nblocks = 0;
    CU_ASSERT_TRUE(kformat_key_bits(f, size, &bits, &nblocks));
    CU_ASSERT_EQUAL(bits, want_bits);
    CU_ASSERT_EQUAL(nblocks, want_blocks);
}

static void test_format_bits_and_bytes(void)
{
    const kformat_t bits = { .kind = KFORMAT_BITS }, bytes = { .kind = KFORMAT_BYTES };
    uint64_t take = 0, waste = 0;

    expect_key(&bits, 300, 300, 1);
    expect_key(&bytes, 300, 304, 1);    /* 37.5 bytes -> 38 bytes */
    expect_key(&bytes, 256, 256, 1);
    expect_key(&bytes, 1, 8, 1);
    CU_ASSERT_TRUE(kformat_request(&bytes, 300, 4, &take, &waste));
    CU_ASSERT_EQUAL(take, 1216);
    CU_ASSERT_EQUAL(waste, 16);
    CU_ASSERT_TRUE(kformat_request(&bits, 300, 4, &take, &waste));
    CU_ASSERT_EQUAL(take, 1200);
    CU_ASSERT_EQUAL(waste, 0);
    CU_ASSERT_FALSE(kformat_request(&bytes, UINT64_MAX, 1, &take, &waste));
    CU_ASSERT_FALSE(kformat_request(&bits, UINT64_MAX / 2, 3, &take, &waste));
}

static void test_format_fixed_blocks(void)
{
    const uint64_t darpa[] = { 256 }, cisco[] = { 64 };
    const kformat_t f = blocks(darpa, 1), c64 = blocks(cisco, 1);
    uint64_t take = 0, waste = 0;

    expect_key(&f, 300, 512, 2);        /* the example: 2 blocks, 212 wasted */
    CU_ASSERT_TRUE(kformat_request(&f, 300, 1, &take, &waste));
    CU_ASSERT_EQUAL(take, 512);
    CU_ASSERT_EQUAL(waste, 212);
    expect_key(&f, 256, 256, 1);
    expect_key(&f, 257, 512, 2);
    expect_key(&f, 1, 256, 1);
    expect_key(&c64, 300, 320, 5);      /* ceil(300 / 64) = 5 blocks */
    CU_ASSERT_TRUE(kformat_request(&f, 300, 4, &take, &waste));
    CU_ASSERT_EQUAL(take, 2048);
    CU_ASSERT_EQUAL(waste, 848);
    CU_ASSERT_FALSE(kformat_request(&f, UINT64_MAX, 1, &take, &waste));
}

static void test_format_ddka(void)
{
    const uint64_t ddka[] = { 128, 256, 512, 1024, 2048 };
    const kformat_t f = blocks(ddka, 5);

    /* The smallest block that holds the key. */
    expect_key(&f, 100, 128, 1);
    expect_key(&f, 128, 128, 1);
    expect_key(&f, 129, 256, 1);
    expect_key(&f, 300, 512, 1);
    expect_key(&f, 1500, 2048, 1);
    /* Larger than every block: whole 2048-bit blocks, then the smallest
     * block that covers the rest. */
    expect_key(&f, 2100, 2048 + 128, 2);
    expect_key(&f, 3000, 2048 + 1024, 2);
    expect_key(&f, 4096, 4096, 2);
    expect_key(&f, 5000, 4096 + 1024, 3);
}

static void test_format_check(void)
{
    const uint64_t bad_order[] = { 256, 128 }, zero[] = { 0 };
    kformat_t f = blocks(bad_order, 2);
    sim_err_t err = { 0 };

    CU_ASSERT_EQUAL(kformat_check(&f, &err), SIM_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "increasing"));
    f = blocks(zero, 1);
    CU_ASSERT_EQUAL(kformat_check(&f, NULL), SIM_ERR_INPUT);
    f = blocks(zero, 0);
    CU_ASSERT_EQUAL(kformat_check(&f, NULL), SIM_ERR_INPUT);
    f = (kformat_t){ .kind = KFORMAT_BYTES, .nsizes = 1, .sizes = { 8 } };
    CU_ASSERT_EQUAL(kformat_check(&f, NULL), SIM_ERR_INPUT);
    f = (kformat_t){ .kind = KFORMAT_BITS };
    CU_ASSERT_EQUAL(kformat_check(&f, NULL), SIM_OK);
}

/* Waste is part of supplied: counting more waste than supply is a bug. */
static void test_waste_account(void)
{
    kstore_config_t c = { .capacity = 1000, .mmin = 0, .mthr = 0 };
    kstore_t *s = kstore_create(&c, 0);
    sim_err_t err = { 0 };

    add_at(s, 0, 600, 0);
    CU_ASSERT_TRUE(kstore_take(s, 512, KSTORE_CAUSE_SUPPLIED, 1, NULL, NULL));
    CU_ASSERT_EQUAL(kstore_count_waste(s, 212, NULL), SIM_OK);
    CU_ASSERT_EQUAL(kstore_count_waste(s, 301, &err), SIM_ERR_RUN);
    CU_ASSERT_EQUAL(kstore_accounts(s)->wasted, 212);
    CU_ASSERT_TRUE(kstore_accounts_close(s));
    kstore_destroy(s);
}

/* ------------------------------------------------------------ worlds */


/* Runs the scenario body and writes its trace to out. */
static int run_to(const char *body, const char *out, world_report_t *r, sim_err_t *err)
{
    scn_t *scn = NULL;
    world_t *w = NULL;
    static const char *const per_request[] = { "requests=all" };   /* reads /requests */
    world_options_t opts = { .output = per_request, .noutput = 1 };
    int rc;

    memset(r, 0, sizeof *r);
    if ((rc = th_load(body, &scn, err)) == SIM_OK &&
        (rc = world_build(scn, &opts, &w, err)) == SIM_OK)
        rc = world_run(w, out, r, err);
    world_destroy(w);
    scn_free(scn);
    return rc;
}

static int run(const char *body, world_report_t *r, sim_err_t *err)
{
    char out[256];
    int rc;
    snprintf(out, sizeof out, "%s/out.h5", th_dir);
    rc = run_to(body, out, r, err);
    unlink(out);
    return rc;
}

/* A link that delivers nothing during the run (its first block closes
 * after 1 h), so the stores hold only their initial key. */
#define NET(store)                                                                  \
    "<nodes><node id='A'/><node id='B'/></nodes>"                                   \
    "<links><link id='AB' a='A' b='B'>"                                             \
    "<generation model='constant' rate='1000bps' block='1h'/>" store "</link></links>"

/* Periodic requests at 1, 2, ..., 19 s (stop 20 s), one 100-bit key each. */
#define APP(extra)                                                                  \
    "<apps><etsi014 id='x' master='A' slave='B' size='100' stop='20s'"             \
    " size-multiple='1'"                                                           \
    extra "><arrivals process='periodic' rate='1/s'/></etsi014></apps>"

static void test_world_reserve_min(void)
{
    world_report_t r;
    sim_err_t err = { 0 };
    /* 1000 bits, Mmin 500: informational, 10 keys of 100 bits are served;
     * reserved, only the 5 above Mmin. */
    int rc = run("<scenario name='t' duration='30s'>"
                 NET("<store capacity='10000' min='500' threshold='500' initial='1000'/>")
                 APP("") "</scenario>", &r, &err);
    CU_ASSERT_EQUAL_FATAL(rc, SIM_OK);
    CU_ASSERT_EQUAL(r.requests, 19);
    CU_ASSERT_EQUAL(r.ok, 10);
    CU_ASSERT_EQUAL(r.unavailable, 9);
    rc = run("<scenario name='t' duration='30s'>"
             NET("<store capacity='10000' min='500' threshold='500' initial='1000' "
                 "reserve-min='true'/>")
             APP("") "</scenario>", &r, &err);
    CU_ASSERT_EQUAL_FATAL(rc, SIM_OK);
    CU_ASSERT_EQUAL(r.ok, 5);
    CU_ASSERT_EQUAL(r.unavailable, 14);
    CU_ASSERT_EQUAL(r.stored, 2 * 500);
    CU_ASSERT_TRUE(r.accounts_close);
}

static void test_world_formats(void)
{
    world_report_t r;
    sim_err_t err = { 0 };
    /* 300-bit keys from 256-bit blocks: each takes 512 bits at both ends,
     * 212 of them wasted. 19 requests, all served and all fetched by the
     * slave before the end. */
    int rc = run("<scenario name='t' duration='30s'>"
                 NET("<store capacity='100000' min='0' threshold='0' initial='20000' "
                     "format='blocks' block-sizes='256'/>")
                 "<apps><etsi014 id='x' master='A' slave='B' size='300' stop='20s'"
                 " size-multiple='1'>"
                 "<arrivals process='periodic' rate='1/s'/></etsi014></apps>"
                 "</scenario>", &r, &err);
    CU_ASSERT_EQUAL_FATAL(rc, SIM_OK);
    CU_ASSERT_EQUAL(r.ok, 19);
    CU_ASSERT_EQUAL(r.supplied, 2 * 19 * 512);
    CU_ASSERT_EQUAL(r.wasted, 2 * 19 * 212);
    CU_ASSERT_EQUAL(r.stored, 2 * (20000 - 19 * 512));
    CU_ASSERT_TRUE(r.accounts_close);

    /* NIST bytes: 100-bit keys take 13 bytes = 104 bits, 4 wasted; two keys
     * a request. */
    rc = run("<scenario name='t' duration='30s'>"
             NET("<store capacity='100000' min='0' threshold='0' initial='20000' "
                 "format='bytes'/>")
             APP(" number='2'") "</scenario>", &r, &err);
    CU_ASSERT_EQUAL_FATAL(rc, SIM_OK);
    CU_ASSERT_EQUAL(r.ok, 19);
    CU_ASSERT_EQUAL(r.wasted, 2 * 19 * 2 * 4);
    CU_ASSERT_EQUAL(r.supplied, 2 * 19 * 2 * 104);
}

static void test_world_expiry(void)
{
    world_report_t r;
    sim_err_t err = { 0 };
    /* The initial key is born at 0: with max-age 5s it leaves at exactly
     * 5 s, inside a run of 5 s (the end is included); a request at 6 s
     * then finds nothing. */
    int rc = run("<scenario name='t' duration='5s'>"
                 NET("<store capacity='10000' min='0' threshold='0' initial='1000' "
                     "max-age='5s'/>")
                 "</scenario>", &r, &err);
    CU_ASSERT_EQUAL_FATAL(rc, SIM_OK);
    CU_ASSERT_EQUAL(r.expired, 2000);
    CU_ASSERT_EQUAL(r.stored, 0);
    rc = run("<scenario name='t' duration='30s'>"
             NET("<store capacity='10000' min='0' threshold='0' initial='1000' "
                 "max-age='5500ms'/>")
             APP("") "</scenario>", &r, &err);
    CU_ASSERT_EQUAL_FATAL(rc, SIM_OK);
    /* Requests at 1..5 s take 500 bits; the other 500 expire at 5.5 s. */
    CU_ASSERT_EQUAL(r.ok, 5);
    CU_ASSERT_EQUAL(r.expired, 2 * 500);
    CU_ASSERT_EQUAL(r.supplied, 2 * 500);
    CU_ASSERT_TRUE(r.accounts_close);
    rc = run("<scenario name='t' duration='4999ms'>"
             NET("<store capacity='10000' min='0' threshold='0' initial='1000' "
                 "max-age='5s'/>")
             "</scenario>", &r, &err);
    CU_ASSERT_EQUAL_FATAL(rc, SIM_OK);
    CU_ASSERT_EQUAL(r.expired, 0);
}

static void expect_input_error(const char *store, const char *what)
{
    char body[1024];
    world_report_t r;
    sim_err_t err = { 0 };
    snprintf(body, sizeof body, "<scenario name='t' duration='1s'>" NET("%s") "</scenario>",
             store);
    th_expect_input_error(run(body, &r, &err), &err, what, "s.xml:1:");
}

static void test_world_bad_options(void)
{
    expect_input_error("<store format='blocks'/>", "needs 1 to");
    expect_input_error("<store format='blocks' block-sizes='256 128'/>", "increasing");
    expect_input_error("<store format='blocks' block-sizes='256 12Kb'/>", "block-sizes");
    expect_input_error("<store block-sizes='256'/>", "only allowed");
    expect_input_error("<store max-age='0s'/>", "max-age");
    expect_input_error("<store reserve-min='maybe'/>", "reserve-min");
    expect_input_error("<store format='words'/>", "format");
}

/* `qkmsim summarize` reads what the run reported; the generic reader
 * refuses what is not there. */
static void test_summary(void)
{
    world_report_t r;
    sim_err_t err = { 0 };
    summary_row_t row;
    trace_reader_t *tr;
    double *v = NULL;
    size_t n = 0;
    char out[256], *text = NULL;
    int64_t completed = 0;

    snprintf(out, sizeof out, "%s/sum.h5", th_dir);
    CU_ASSERT_EQUAL_FATAL(
        run_to("<scenario name='sum test' duration='30s'>"
               NET("<store capacity='10000' min='500' threshold='500' initial='1000' "
                   "max-age='25s' format='blocks' block-sizes='64'/>")
               APP(" kme-delay='3ms'") "</scenario>", out, &r, &err), SIM_OK);
    /* 100-bit keys take two 64-bit blocks: 128 bits, 28 wasted; 7 served
     * (896 bits), then 503; the 104 bits left expire at 25 s. */
    CU_ASSERT_EQUAL(r.ok, 7);
    CU_ASSERT_EQUAL_FATAL(summary_read(out, &row, &err), SIM_OK);
    CU_ASSERT_STRING_EQUAL(row.name, "sum test");
    CU_ASSERT_STRING_EQUAL(row.trace, out);
    CU_ASSERT_EQUAL(row.served, 7);
    CU_ASSERT_EQUAL(row.refused, 12);
    CU_ASSERT_EQUAL(row.requests, 19);
    CU_ASSERT_DOUBLE_EQUAL(row.mean_latency_s, 0.003, 1e-12);
    CU_ASSERT_EQUAL(row.wasted, 2 * 7 * 28);
    CU_ASSERT_EQUAL(row.expired, 2 * 104);
    CU_ASSERT_EQUAL(row.internal, 0);
    summary_row_free(&row);

    tr = trace_reader_open(out, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tr);
    CU_ASSERT_TRUE(trace_reader_has(tr, "/summary/network", "wasted"));
    CU_ASSERT_TRUE(trace_reader_has(tr, "/summary/network", NULL));
    CU_ASSERT_FALSE(trace_reader_has(tr, "/summary/network", "colour"));
    CU_ASSERT_FALSE(trace_reader_has(tr, "/summary/nothing", NULL));
    CU_ASSERT_EQUAL(trace_read_column(tr, "/requests", "status", &v, &n, &err), SIM_OK);
    CU_ASSERT_EQUAL(n, 19 + 7);   /* 19 GET_KEY and 7 GET_KEY_WITH_KEY_IDS */
    free(v);
    CU_ASSERT_EQUAL(trace_read_column(tr, "/apps", "id", &v, &n, &err), SIM_ERR_INPUT);
    CU_ASSERT_PTR_NULL(v);
    CU_ASSERT_EQUAL(trace_read_column(tr, "/nothing", "x", &v, &n, &err), SIM_ERR_INPUT);
    CU_ASSERT_EQUAL(trace_read_attr_i64(tr, "/metadata", "completed", &completed, &err), SIM_OK);
    CU_ASSERT_EQUAL(completed, 1);
    CU_ASSERT_EQUAL(trace_read_attr_string(tr, "/metadata", "seed", &text, &err),
                    SIM_ERR_INPUT);
    CU_ASSERT_EQUAL(trace_read_attr_string(tr, "/metadata", "nope", &text, &err),
                    SIM_ERR_INPUT);
    CU_ASSERT_EQUAL(trace_read_attr_string(tr, "/metadata", "format_of_nothing", &text, NULL),
                    SIM_ERR_INPUT);
    trace_reader_close(tr);
    unlink(out);

    CU_ASSERT_EQUAL(summary_read(out, &row, &err), SIM_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "sum.h5"));
    CU_ASSERT_PTR_NULL(trace_reader_open(out, NULL));
}

int main(void)
{
    static const th_test_t tests[] = {
        { "a range expires at birth + max-age", test_expiry_on_time },
        { "expiry before takes at the same instant", test_expiry_and_takes },
        { "both ends expire the same identities", test_expiry_both_ends },
        { "expiry edge cases", test_expiry_edge_cases },
        { "no max-age, no expiry", test_no_max_age },
        { "reserve-min refuses supply below Mmin", test_reserve_min },
        { "bits and bytes formats", test_format_bits_and_bytes },
        { "fixed-size blocks", test_format_fixed_blocks },
        { "DDKA multi-size blocks", test_format_ddka },
        { "format checks", test_format_check },
        { "waste is part of supplied", test_waste_account },
        { "world: reserve-min", test_world_reserve_min },
        { "world: waste of formats", test_world_formats },
        { "world: expiry", test_world_expiry },
        { "world: bad store options", test_world_bad_options },
        { "summarize and the trace reader", test_summary },
        { NULL, NULL },
    };
    return th_main("storage", tests);
}
