/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_kstore.c - the key store: QKDNetSim states, capacity, FIFO ranges,
 * peer synchronisation and exact accounting.
 */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "models/kstore.h"

static const kstore_config_t cfg = { .capacity = 1000, .mmin = 100, .mthr = 500, .initial = 0 };

static void add(kstore_t *s, uint64_t bits, int64_t t)
{
    static uint64_t offset;
    kstore_range_t r = { .stream = 1, .offset = offset, .length = bits, .birth = t };
    uint64_t kept = 0;
    CU_ASSERT_EQUAL_FATAL(kstore_add(s, &r, KSTORE_CAUSE_GENERATED, t, &kept, NULL), SIM_OK);
    offset += bits;
}

static void take(kstore_t *s, uint64_t bits)
{
    CU_ASSERT_TRUE_FATAL(kstore_take(s, bits, KSTORE_CAUSE_SUPPLIED, 0, NULL, NULL));
}

/* Each step's expected state is worked out by hand from the five rules of
 * shared/REFERENCE.md (window of 5 samples for "rising"). */
static void test_states(void)
{
    kstore_t *s = kstore_create(&cfg, 0);
    CU_ASSERT_EQUAL(kstore_state(s), KSTORE_EMPTY);
    add(s, 50, 1);   /* 50 <= Mmin */
    CU_ASSERT_EQUAL(kstore_state(s), KSTORE_EMPTY);
    add(s, 100, 2);  /* 150, between, previous EMPTY: rule 2 */
    CU_ASSERT_EQUAL(kstore_state(s), KSTORE_CHARGING);
    add(s, 400, 3);  /* 550 >= Mthr */
    CU_ASSERT_EQUAL(kstore_state(s), KSTORE_READY);
    take(s, 100);    /* 450, falling from READY: rule 3 */
    CU_ASSERT_EQUAL(kstore_state(s), KSTORE_WARNING);
    add(s, 10, 3);   /* 460 < 550 in the window: not rising, stays WARNING */
    CU_ASSERT_EQUAL(kstore_state(s), KSTORE_WARNING);
    take(s, 300);    /* 160 */
    CU_ASSERT_EQUAL(kstore_state(s), KSTORE_WARNING);
    take(s, 60);     /* 100 <= Mmin */
    CU_ASSERT_EQUAL(kstore_state(s), KSTORE_EMPTY);
    add(s, 20, 4);   /* 120, previous EMPTY: rule 2 */
    CU_ASSERT_EQUAL(kstore_state(s), KSTORE_CHARGING);
    take(s, 10);     /* 110, not rising, previous CHARGING: rule 5, unchanged */
    CU_ASSERT_EQUAL(kstore_state(s), KSTORE_CHARGING);
    kstore_destroy(s);
}

static void test_warning_to_charging_when_rising(void)
{
    kstore_t *s = kstore_create(&cfg, 0);
    add(s, 600, 1);
    take(s, 200);    /* 400: WARNING */
    CU_ASSERT_EQUAL(kstore_state(s), KSTORE_WARNING);
    /* Rising needs the new level >= the four levels before it. With 600
     * in the window nothing below Mthr rises, so push it out first. */
    take(s, 10); take(s, 10); take(s, 10); take(s, 10);  /* 360; window 400..370 */
    CU_ASSERT_EQUAL(kstore_state(s), KSTORE_WARNING);
    add(s, 50, 2);   /* 410 >= 390, 380, 370, 360: rising, previous WARNING */
    CU_ASSERT_EQUAL(kstore_state(s), KSTORE_CHARGING);
    kstore_destroy(s);
}

/* The five rules of kstore.h written out literally, against a store
 * driven through a random walk of adds and takes around Mmin and Mthr
 * (many windows rising and not): the same state after every change. */
static void test_states_random_walk(void)
{
    kstore_t *s = kstore_create(&cfg, 0);
    uint64_t hist[KSTORE_RISING_WINDOW - 1], x = 7, level = 0;
    size_t nh = 0, pos = 0;
    kstore_state_t want = KSTORE_EMPTY;

    for (int step = 0; step < 20000; step++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        const uint64_t bits = 1 + (x >> 33) % 120, old = level;
        if ((x >> 40) % 2 == 0 || level < bits) {
            add(s, bits, step);
            level += bits;
            if (level > cfg.capacity)
                level = cfg.capacity;
        } else {
            take(s, bits);
            level -= bits;
        }
        if (level == old)
            continue;   /* a full store discards: no change */
        hist[pos] = old;
        pos = (pos + 1) % (KSTORE_RISING_WINDOW - 1);
        nh += nh < KSTORE_RISING_WINDOW - 1;
        bool rising = true;
        for (size_t i = 0; i < nh; i++)
            rising = rising && level >= hist[i];
        const bool between = level > cfg.mmin && level < cfg.mthr;
        if (level >= cfg.mthr)
            want = KSTORE_READY;
        else if (between && ((rising && want != KSTORE_READY) || want == KSTORE_EMPTY))
            want = KSTORE_CHARGING;
        else if (between && want != KSTORE_CHARGING)
            want = KSTORE_WARNING;
        else if (level <= cfg.mmin)
            want = KSTORE_EMPTY;
        CU_ASSERT_EQUAL_FATAL(kstore_level(s), level);
        CU_ASSERT_EQUAL_FATAL(kstore_state(s), want);
    }
    kstore_destroy(s);
}

static void test_capacity_and_accounts(void)
{
    kstore_t *s = kstore_create(&cfg, 0);
    uint64_t kept = 0;
    kstore_range_t r = { .stream = 9, .offset = 0, .length = 900, .birth = 0 };
    CU_ASSERT_EQUAL(kstore_add(s, &r, KSTORE_CAUSE_INITIAL, 0, &kept, NULL), SIM_OK);
    CU_ASSERT_EQUAL(kept, 900);
    r.offset = 900;
    r.length = 250;
    CU_ASSERT_EQUAL(kstore_add(s, &r, KSTORE_CAUSE_GENERATED, 1, &kept, NULL), SIM_OK);
    CU_ASSERT_EQUAL(kept, 100);          /* what fits below Mmax */
    CU_ASSERT_EQUAL(kstore_level(s), 1000);
    const kstore_accounts_t *a = kstore_accounts(s);
    CU_ASSERT_EQUAL(a->generated, 1150);
    CU_ASSERT_EQUAL(a->discarded, 150);
    CU_ASSERT_TRUE(kstore_accounts_close(s));
    CU_ASSERT_TRUE(kstore_take(s, 300, KSTORE_CAUSE_INTERNAL, 2, NULL, NULL));
    CU_ASSERT_TRUE(kstore_take(s, 200, KSTORE_CAUSE_RELAYED, 2, NULL, NULL));
    CU_ASSERT_TRUE(kstore_take(s, 100, KSTORE_CAUSE_EXPIRED, 2, NULL, NULL));
    CU_ASSERT_EQUAL(a->internal, 300);
    CU_ASSERT_EQUAL(a->relayed, 200);
    CU_ASSERT_EQUAL(a->expired, 100);
    CU_ASSERT_EQUAL(kstore_level(s), 400);
    CU_ASSERT_TRUE(kstore_accounts_close(s));
    /* Refused: nothing changes. */
    CU_ASSERT_FALSE(kstore_take(s, 401, KSTORE_CAUSE_SUPPLIED, 3, NULL, NULL));
    CU_ASSERT_EQUAL(kstore_level(s), 400);
    CU_ASSERT_EQUAL(a->supplied, 0);
    kstore_destroy(s);
}

static void test_fifo_ranges(void)
{
    kstore_config_t big = cfg;
    big.capacity = 1u << 20;
    big.mthr = 1000;
    kstore_t *s = kstore_create(&big, 0);
    kstore_rangebuf_t got = { 0 };
    uint64_t kept;
    /* 40 ranges force the ring to grow past its first size. */
    for (uint64_t i = 0; i < 40; i++) {
        kstore_range_t r = { .stream = 3, .offset = i * 100, .length = 100, .birth = (int64_t)i };
        CU_ASSERT_EQUAL_FATAL(kstore_add(s, &r, KSTORE_CAUSE_GENERATED, (int64_t)i, &kept, NULL),
                              SIM_OK);
    }
    CU_ASSERT_EQUAL(kstore_range_count(s), 40);
    CU_ASSERT_TRUE(kstore_take(s, 250, KSTORE_CAUSE_SUPPLIED, 50, &got, NULL));
    CU_ASSERT_EQUAL_FATAL(got.n, 3);
    CU_ASSERT_EQUAL(got.v[0].offset, 0);
    CU_ASSERT_EQUAL(got.v[1].offset, 100);
    CU_ASSERT_EQUAL(got.v[2].offset, 200);
    CU_ASSERT_EQUAL(got.v[2].length, 50);   /* the third range is split */
    CU_ASSERT_EQUAL(got.v[2].birth, 2);
    CU_ASSERT_EQUAL(kstore_range_at(s, 0)->offset, 250);
    CU_ASSERT_EQUAL(kstore_range_at(s, 0)->length, 50);
    CU_ASSERT_EQUAL(kstore_level(s), 3750);
    kstore_rangebuf_free(&got);
    /* A list that starts in a caller's array of 2 and grows past it: the
     * first ranges are copied over, the array is never freed. */
    kstore_range_t two[2] = { { .stream = 99 }, { .stream = 99 } };
    kstore_rangebuf_t on = KSTORE_RANGEBUF_ON(two);
    CU_ASSERT_TRUE(kstore_take(s, 50, KSTORE_CAUSE_SUPPLIED, 50, &on, NULL));
    CU_ASSERT_TRUE(on.borrowed && on.v == two && on.n == 1);
    CU_ASSERT_TRUE(kstore_take(s, 450, KSTORE_CAUSE_SUPPLIED, 50, &on, NULL));
    CU_ASSERT_FALSE(on.borrowed);
    CU_ASSERT_EQUAL_FATAL(on.n, 6);
    for (size_t i = 0; i < on.n; i++)
        CU_ASSERT_EQUAL(on.v[i].offset, i == 0 ? 250 : 200 + 100 * i);
    CU_ASSERT_EQUAL(on.v[5].length, 50);
    kstore_rangebuf_free(&on);
    kstore_destroy(s);
}

static void test_peer_sync(void)
{
    kstore_t *a = kstore_create(&cfg, 0), *b = kstore_create(&cfg, 1);
    kstore_rangebuf_t got = { 0 };
    sim_err_t err;
    uint64_t kept;
    for (uint64_t i = 0; i < 5; i++) {
        kstore_range_t r = { .stream = 2, .offset = i * 100, .length = 100, .birth = 0 };
        kstore_add(a, &r, KSTORE_CAUSE_GENERATED, 0, &kept, NULL);
        kstore_add(b, &r, KSTORE_CAUSE_GENERATED, 0, &kept, NULL);
    }
    CU_ASSERT_TRUE(kstore_take(a, 150, KSTORE_CAUSE_SUPPLIED, 1, &got, NULL));
    CU_ASSERT_EQUAL(kstore_take_same(b, got.v, got.n, KSTORE_CAUSE_RESERVED, 1, &err), SIM_OK);
    CU_ASSERT_EQUAL(kstore_level(b), 350);
    CU_ASSERT_EQUAL(kstore_accounts(b)->reserved, 150);
    CU_ASSERT_EQUAL(kstore_range_at(a, 0)->offset, kstore_range_at(b, 0)->offset);
    CU_ASSERT_EQUAL(kstore_release_reserved(b, 150, &err), SIM_OK);
    CU_ASSERT_EQUAL(kstore_accounts(b)->supplied, 150);
    CU_ASSERT_EQUAL(kstore_release_reserved(b, 1, &err), SIM_ERR_RUN);
    /* The same ranges again are no longer at b's head: a sync bug. */
    CU_ASSERT_EQUAL(kstore_take_same(b, got.v, got.n, KSTORE_CAUSE_RESERVED, 2, &err),
                    SIM_ERR_RUN);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "disagree"));
    CU_ASSERT_TRUE(kstore_accounts_close(a));
    CU_ASSERT_TRUE(kstore_accounts_close(b));
    kstore_rangebuf_free(&got);
    kstore_destroy(a);
    kstore_destroy(b);
}

typedef struct crossing { int n; kstore_state_t from[8], to[8]; } crossing_t;

static void on_state(void *ctx, kstore_t *store, kstore_state_t from, kstore_state_t to,
                     int64_t time)
{
    crossing_t *c = ctx;
    (void)store; (void)time;
    if (c->n < 8) {
        c->from[c->n] = from;
        c->to[c->n] = to;
    }
    c->n++;
}

static void test_subscribers(void)
{
    kstore_t *s = kstore_create(&cfg, 0);
    crossing_t c = { 0 };
    CU_ASSERT_EQUAL(kstore_subscribe(s, on_state, &c, NULL), SIM_OK);
    add(s, 200, 1);   /* EMPTY -> CHARGING */
    add(s, 100, 2);   /* still CHARGING: no event */
    add(s, 300, 3);   /* -> READY */
    take(s, 550);     /* 50: -> EMPTY */
    CU_ASSERT_EQUAL(c.n, 3);
    CU_ASSERT_EQUAL(c.from[0], KSTORE_EMPTY);
    CU_ASSERT_EQUAL(c.to[0], KSTORE_CHARGING);
    CU_ASSERT_EQUAL(c.to[1], KSTORE_READY);
    CU_ASSERT_EQUAL(c.from[2], KSTORE_READY);
    CU_ASSERT_EQUAL(c.to[2], KSTORE_EMPTY);
    for (int i = 1; i < KSTORE_MAX_SUBSCRIBERS; i++)
        CU_ASSERT_EQUAL(kstore_subscribe(s, on_state, &c, NULL), SIM_OK);
    CU_ASSERT_EQUAL(kstore_subscribe(s, on_state, &c, NULL), SIM_ERR_RUN);
    kstore_destroy(s);
}

static void test_config_check(void)
{
    sim_err_t err;
    kstore_config_t c = cfg;
    CU_ASSERT_EQUAL(kstore_config_check(&c, &err), SIM_OK);
    c.mmin = 600;
    CU_ASSERT_EQUAL(kstore_config_check(&c, &err), SIM_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "min (600 b) exceeds threshold"));
    c = cfg;
    c.mthr = 2000;
    CU_ASSERT_EQUAL(kstore_config_check(&c, &err), SIM_ERR_INPUT);
    c = cfg;
    c.initial = 1001;
    CU_ASSERT_EQUAL(kstore_config_check(&c, &err), SIM_ERR_INPUT);
}

/* Issue 12: the key a store received (generated + moved_in) may not pass
 * 2^64 - 1 bits. Before, the counters wrapped and the accounts still
 * "closed" modulo 2^64. */
static void test_counter_overflow(void)
{
    const uint64_t half = UINT64_C(1) << 63;
    const kstore_config_t big = { .capacity = KSTORE_MAX_CAPACITY };
    kstore_t *s = kstore_create(&big, 7);
    kstore_range_t r = { .stream = 1, .offset = 0, .length = half, .birth = 0 };
    uint64_t kept = 0;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(kstore_add(s, &r, KSTORE_CAUSE_GENERATED, 0, &kept, &err), SIM_OK);
    CU_ASSERT_EQUAL(kept, KSTORE_MAX_CAPACITY);
    CU_ASSERT_EQUAL(kstore_accounts(s)->discarded, half - KSTORE_MAX_CAPACITY);
    r.offset = half;
    r.length = half - 1;   /* exactly 2^64 - 1 received: still fine */
    CU_ASSERT_EQUAL(kstore_add(s, &r, KSTORE_CAUSE_GENERATED, 1, &kept, &err), SIM_OK);
    CU_ASSERT_EQUAL(kstore_accounts(s)->generated, UINT64_MAX);
    r.offset = UINT64_MAX;
    r.length = 1;          /* one bit more would wrap */
    CU_ASSERT_EQUAL(kstore_add(s, &r, KSTORE_CAUSE_GENERATED, 2, &kept, &err), SIM_ERR_RUN);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "overflow"));
    CU_ASSERT_EQUAL(kstore_accounts(s)->generated, UINT64_MAX);   /* unchanged */
    CU_ASSERT_EQUAL(kept, 0);
    CU_ASSERT_EQUAL(kstore_add(s, &r, KSTORE_CAUSE_MOVED, 2, &kept, &err), SIM_ERR_RUN);
    CU_ASSERT_EQUAL(kstore_accounts(s)->moved_in, 0);
    CU_ASSERT_TRUE(kstore_accounts_close(s));
    kstore_destroy(s);
}

/* kstore_remove against a bit map of what the store holds: 40 ranges of
 * 16 bits (several born at the same instant), the ring wrapped by takes
 * at its head, then removals of random spans (holes, whole ranges, spans
 * over several ranges, key no longer held) near both ends and in the
 * middle. With `sorted` false one range arrives out of birth order, which
 * makes the store search all its ranges. */
#define RM_BITS 640
static void check_remove(bool sorted, bool merge)
{
    const kstore_config_t c = { .capacity = 100000, .merge = merge };
    kstore_t *s = kstore_create(&c, 9);
    bool held[RM_BITS] = { false };
    int64_t birth_of[RM_BITS];
    uint64_t kept = 0, x = 12345, removed = 0, level = 0;

    for (uint64_t k = 0; k < 40; k++) {
        const int64_t b = sorted || k != 20 ? (int64_t)(k / 3) : 0;
        const kstore_range_t r = { 1, 16 * k, 16, b };
        CU_ASSERT_EQUAL(kstore_add(s, &r, KSTORE_CAUSE_GENERATED, 100, &kept, NULL), SIM_OK);
        for (uint64_t i = 0; i < 16; i++) {
            held[16 * k + i] = true;
            birth_of[16 * k + i] = b;
        }
    }
    CU_ASSERT_TRUE(kstore_take(s, 40, KSTORE_CAUSE_SUPPLIED, 100, NULL, NULL));
    for (uint64_t i = 0; i < 40; i++)
        held[i] = false;
    for (int round = 0; round < 300; round++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        const uint64_t off = (x >> 33) % RM_BITS, len = 1 + (x >> 20) % 40;
        const uint64_t end = off + len < RM_BITS ? off + len : RM_BITS;
        /* one range per birth, as the peer's copy would send them */
        for (uint64_t o = off; o < end;) {
            uint64_t e = o;
            while (e < end && birth_of[e] == birth_of[o] && e / 16 == o / 16)
                e++;
            const kstore_range_t q = { 1, o, e - o, birth_of[o] };
            uint64_t want = 0;
            for (uint64_t i = o; i < e; i++) {
                want += held[i];
                held[i] = false;
            }
            CU_ASSERT_EQUAL(kstore_remove(s, &q, 1, KSTORE_CAUSE_RESERVED, 100, &removed, NULL),
                            SIM_OK);
            CU_ASSERT_EQUAL(removed, want);
            o = e;
        }
    }
    for (size_t i = 0; i < RM_BITS; i++)
        level += held[i];
    CU_ASSERT_EQUAL(kstore_level(s), level);
    CU_ASSERT_TRUE(kstore_accounts_close(s));
    /* the ranges left are exactly the bits held, in stream order */
    for (size_t k = 0, bit = 0; k < kstore_range_count(s); k++) {
        const kstore_range_t *r = kstore_range_at(s, k);
        while (bit < RM_BITS && !held[bit])
            bit++;
        CU_ASSERT_EQUAL(r->offset, bit);
        for (uint64_t i = 0; i < r->length; i++)
            CU_ASSERT_TRUE(bit + i < RM_BITS && held[bit + i]);
        bit += r->length;
    }
    kstore_destroy(s);
}

static void test_remove_sorted(void)
{
    check_remove(true, false);
}

static void test_remove_unsorted(void)
{
    check_remove(false, false);
}

/* The 40 blocks merge into one range with the first block's birth; a
 * removal names key by its block's own birth, so the store must find it
 * by stream and offset alone. */
static void test_remove_merged(void)
{
    check_remove(true, true);
}

/* ---- merging (kstore.h, "Merging") */

/* Every change an observer sees, to compare two stores' histories. */
typedef struct changes { size_t n; kstore_change_t v[512]; } changes_t;

static void on_change(void *ctx, const kstore_t *store, const kstore_change_t *ch)
{
    changes_t *c = ctx;
    (void)store;
    if (c->n < sizeof c->v / sizeof c->v[0])
        c->v[c->n] = *ch;
    c->n++;
}

/* The bits a list of ranges names, as (stream, offset, length) runs with
 * contiguous neighbours joined: two lists name the same key when their
 * runs are equal. Returns the number of runs written to out. */
static size_t runs_of(const kstore_rangebuf_t *b, kstore_range_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (n > 0 && out[n - 1].stream == b->v[i].stream &&
            out[n - 1].offset + out[n - 1].length == b->v[i].offset) {
            out[n - 1].length += b->v[i].length;
            continue;
        }
        CU_ASSERT_FATAL(n < cap);
        out[n] = b->v[i];
        out[n].birth = 0;
        n++;
    }
    return n;
}

/* Three contiguous blocks make one range with the first block's birth; a
 * take across the block boundaries returns one range that starts at the
 * same bit (key ID) as the three unmerged ranges, and removes the same
 * bits; a gap in the offsets or another stream starts a new range; the
 * peer takes the same (merged) ranges. */
static void test_merge_blocks(void)
{
    kstore_config_t cm = cfg, cu = cfg;
    cm.merge = true;
    kstore_t *m = kstore_create(&cm, 0), *peer = kstore_create(&cm, 1);
    kstore_t *u = kstore_create(&cu, 2);
    kstore_rangebuf_t gm = { 0 }, gu = { 0 };
    kstore_range_t rm[8], ru[8];
    sim_err_t err;
    uint64_t kept;
    const kstore_range_t blocks[] = {
        { 1, 0, 100, 10 }, { 1, 100, 100, 20 }, { 1, 200, 100, 30 },
        { 1, 350, 50, 40 },   /* a gap at 300: key discarded upstream */
        { 2, 400, 50, 50 },   /* another stream */
    };
    for (size_t i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(kstore_add(m, &blocks[i], KSTORE_CAUSE_GENERATED, 60, &kept, NULL), SIM_OK);
        CU_ASSERT_EQUAL(kstore_add(peer, &blocks[i], KSTORE_CAUSE_GENERATED, 60, &kept, NULL),
                        SIM_OK);
        CU_ASSERT_EQUAL(kstore_add(u, &blocks[i], KSTORE_CAUSE_GENERATED, 60, &kept, NULL), SIM_OK);
    }
    CU_ASSERT_EQUAL_FATAL(kstore_range_count(m), 3);
    CU_ASSERT_EQUAL(kstore_range_count(u), 5);
    CU_ASSERT_EQUAL(kstore_range_at(m, 0)->length, 300);
    CU_ASSERT_EQUAL(kstore_range_at(m, 0)->birth, 10);
    CU_ASSERT_EQUAL(kstore_range_at(m, 1)->offset, 350);
    CU_ASSERT_EQUAL(kstore_range_at(m, 2)->stream, 2);
    CU_ASSERT_TRUE(kstore_take(m, 250, KSTORE_CAUSE_SUPPLIED, 70, &gm, NULL));
    CU_ASSERT_TRUE(kstore_take(u, 250, KSTORE_CAUSE_SUPPLIED, 70, &gu, NULL));
    CU_ASSERT_EQUAL(gm.n, 1);
    CU_ASSERT_EQUAL(gu.n, 3);
    CU_ASSERT_EQUAL(gm.v[0].stream, gu.v[0].stream);   /* the same key ID */
    CU_ASSERT_EQUAL(gm.v[0].offset, gu.v[0].offset);
    CU_ASSERT_EQUAL(runs_of(&gm, rm, 8), 1);
    CU_ASSERT_EQUAL(runs_of(&gu, ru, 8), 1);
    CU_ASSERT_EQUAL(memcmp(rm, ru, sizeof rm[0]), 0);
    CU_ASSERT_EQUAL(kstore_take_same(peer, gm.v, gm.n, KSTORE_CAUSE_RESERVED, 70, &err), SIM_OK);
    CU_ASSERT_EQUAL(kstore_level(peer), kstore_level(u));
    CU_ASSERT_EQUAL(kstore_range_at(peer, 0)->offset, 250);
    CU_ASSERT_EQUAL(kstore_range_at(u, 0)->offset, 250);
    CU_ASSERT_TRUE(kstore_accounts_close(m) && kstore_accounts_close(peer));
    kstore_rangebuf_free(&gm);
    kstore_rangebuf_free(&gu);
    kstore_destroy(m);
    kstore_destroy(peer);
    kstore_destroy(u);
}

/* With a max-age, births decide expiry: the store does not merge. */
static void test_merge_not_with_max_age(void)
{
    kstore_config_t c = cfg;
    uint64_t kept;
    c.merge = true;
    c.max_age = 1000;
    kstore_t *s = kstore_create(&c, 0);
    for (uint64_t i = 0; i < 4; i++) {
        const kstore_range_t r = { 1, 50 * i, 50, (int64_t)i };
        CU_ASSERT_EQUAL(kstore_add(s, &r, KSTORE_CAUSE_GENERATED, (int64_t)i, &kept, NULL),
                        SIM_OK);
    }
    CU_ASSERT_EQUAL(kstore_range_count(s), 4);
    CU_ASSERT_EQUAL(kstore_next_expiry(s), 1000);
    kstore_destroy(s);
}

/* A merging and a plain store (each with its peer) fed the same blocks -
 * mostly contiguous, some cut by the capacity, some after a gap or on
 * another stream - and asked for the same takes: every take succeeds or
 * fails alike, returns the same first bit (key ID) and the same bits,
 * the peers follow, and the observers see the same changes. */
static void test_merge_same_outcomes(void)
{
    kstore_config_t cm = cfg, cu = cfg;
    cm.merge = true;
    kstore_t *s[4] = { kstore_create(&cm, 0), kstore_create(&cm, 1), kstore_create(&cu, 2),
                       kstore_create(&cu, 3) };
    changes_t *seen = calloc(4, sizeof *seen);
    uint64_t x = 99, offset = 0, stream = 1;
    kstore_range_t rm[64], ru[64];
    size_t ranges_m = 0, ranges_u = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(seen);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(kstore_observe(s[i], on_change, &seen[i], NULL), SIM_OK);
    for (int step = 0; step < 400; step++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        const uint64_t r = x >> 33;
        if (r % 3 != 0) {   /* a block */
            if (r % 17 == 0)
                offset += 7;   /* a gap */
            if (r % 29 == 0)
                stream = 3 - stream;
            const kstore_range_t b = { stream, offset, 20 + r % 90, step };
            for (int i = 0; i < 4; i++) {
                uint64_t kept = 0;
                CU_ASSERT_EQUAL(kstore_add(s[i], &b, KSTORE_CAUSE_GENERATED, step, &kept, NULL),
                                SIM_OK);
            }
            offset += b.length;
        } else {            /* a take, then the peer's */
            const uint64_t bits = 1 + (r >> 4) % 400;
            kstore_rangebuf_t gm = { 0 }, gu = { 0 };
            sim_err_t err;
            const bool okm = kstore_take(s[0], bits, KSTORE_CAUSE_SUPPLIED, step, &gm, NULL);
            const bool oku = kstore_take(s[2], bits, KSTORE_CAUSE_SUPPLIED, step, &gu, NULL);
            CU_ASSERT_EQUAL_FATAL(okm, oku);
            if (okm) {
                CU_ASSERT_EQUAL(gm.v[0].stream, gu.v[0].stream);
                CU_ASSERT_EQUAL(gm.v[0].offset, gu.v[0].offset);
                const size_t nm = runs_of(&gm, rm, 64), nu = runs_of(&gu, ru, 64);
                CU_ASSERT_EQUAL_FATAL(nm, nu);
                CU_ASSERT_EQUAL(memcmp(rm, ru, nm * sizeof rm[0]), 0);
                CU_ASSERT_TRUE(gm.n <= gu.n);
                CU_ASSERT_EQUAL(kstore_take_same(s[1], gm.v, gm.n, KSTORE_CAUSE_RESERVED, step,
                                                 &err), SIM_OK);
                CU_ASSERT_EQUAL(kstore_take_same(s[3], gu.v, gu.n, KSTORE_CAUSE_RESERVED, step,
                                                 &err), SIM_OK);
            }
            kstore_rangebuf_free(&gm);
            kstore_rangebuf_free(&gu);
        }
        for (int i = 1; i < 4; i++) {
            CU_ASSERT_EQUAL(kstore_level(s[i]), kstore_level(s[0]));
            CU_ASSERT_EQUAL(kstore_state(s[i]), kstore_state(s[0]));
        }
        ranges_m = ranges_m > kstore_range_count(s[0]) ? ranges_m : kstore_range_count(s[0]);
        ranges_u = ranges_u > kstore_range_count(s[2]) ? ranges_u : kstore_range_count(s[2]);
    }
    CU_ASSERT_TRUE(ranges_m < ranges_u);   /* merging did happen */
    CU_ASSERT_EQUAL(memcmp(kstore_accounts(s[0]), kstore_accounts(s[2]),
                           sizeof(kstore_accounts_t)), 0);
    CU_ASSERT_EQUAL(memcmp(kstore_accounts(s[1]), kstore_accounts(s[3]),
                           sizeof(kstore_accounts_t)), 0);
    CU_ASSERT_TRUE(seen[0].n > 100 && seen[0].n <= 512);
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_EQUAL_FATAL(seen[i].n, seen[i + 2].n);
        CU_ASSERT_EQUAL(memcmp(seen[i].v, seen[i + 2].v, seen[i].n * sizeof seen[i].v[0]), 0);
    }
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_TRUE(kstore_accounts_close(s[i]));
        kstore_destroy(s[i]);
    }
    free(seen);
}

static void test_capacity_bound(void)
{
    sim_err_t err;
    kstore_config_t c = { .capacity = KSTORE_MAX_CAPACITY };
    CU_ASSERT_EQUAL(kstore_config_check(&c, &err), SIM_OK);
    c.capacity = KSTORE_MAX_CAPACITY + 1;
    CU_ASSERT_EQUAL(kstore_config_check(&c, &err), SIM_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "2^62"));
}

int main(void)
{
    unsigned failed;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("kstore", NULL, NULL);
    CU_add_test(s, "QKDNetSim states", test_states);
    CU_add_test(s, "WARNING to CHARGING when rising", test_warning_to_charging_when_rising);
    CU_add_test(s, "states: a random walk against the five rules", test_states_random_walk);
    CU_add_test(s, "capacity and accounts", test_capacity_and_accounts);
    CU_add_test(s, "FIFO ranges", test_fifo_ranges);
    CU_add_test(s, "peer synchronisation", test_peer_sync);
    CU_add_test(s, "threshold subscribers", test_subscribers);
    CU_add_test(s, "config check", test_config_check);
    CU_add_test(s, "counters refuse to wrap", test_counter_overflow);
    CU_add_test(s, "capacity at most 2^62", test_capacity_bound);
    CU_add_test(s, "remove: ranges in birth order", test_remove_sorted);
    CU_add_test(s, "remove: ranges out of birth order", test_remove_unsorted);
    CU_add_test(s, "remove: merged ranges", test_remove_merged);
    CU_add_test(s, "merge: contiguous blocks, same key IDs", test_merge_blocks);
    CU_add_test(s, "merge: not with max-age", test_merge_not_with_max_age);
    CU_add_test(s, "merge: same outcomes as unmerged", test_merge_same_outcomes);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
