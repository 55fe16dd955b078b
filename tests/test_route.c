/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_route.c - routing of relayed key (models/route.h): the metrics,
 * the k candidates in ascending cost, SECOQC balancing, re-routing around
 * links that are down, the load-time check, ties, and the <routing>
 * reader. The links' state comes from a fake view the tests set by hand.
 */
#define _POSIX_C_SOURCE 200809L

#include "models/route.h"

#include <CUnit/Basic.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The test graph (lengths in km):
 *
 *        1 ---10--- 
 *       /           \
 *   0 --10     5       --- 4         6 (isolated)
 *    \ \--5---/ \--5--/ /
 *     1                1
 *      2 ---1--- 3 ---/
 *
 * links: 0: 0-1 10 km, 1: 1-4 10 km   (A: 2 hops, 20 km)
 *        2: 0-2  1 km, 3: 2-3  1 km, 4: 3-4 1 km   (B: 3 hops, 3 km)
 *        5: 0-5  5 km, 6: 5-4  5 km   (C: 2 hops, 10 km)
 * Hops: A and C tie at 2, B has 3. Length: B < C < A.
 */
enum { NNODES = 7, NLINKS = 7 };
static const struct { uint32_t a, b; double km; } links[NLINKS] = {
    { 0, 1, 10 }, { 1, 4, 10 }, { 0, 2, 1 }, { 2, 3, 1 }, { 3, 4, 1 }, { 0, 5, 5 }, { 5, 4, 5 },
};
static const uint32_t path_a[] = { 0, 1 }, path_b[] = { 2, 3, 4 }, path_c[] = { 5, 6 };

typedef struct fake {
    bool down[NLINKS];
    double key[NLINKS];    /* bits */
    double rate[NLINKS];   /* bit/s */
    unsigned key_reads;
} fake_t;

static bool fake_up(void *ctx, uint32_t link, int64_t now)
{
    (void)now;
    return !((fake_t *)ctx)->down[link];
}

static double fake_key(void *ctx, uint32_t link, int64_t now)
{
    (void)now;
    ((fake_t *)ctx)->key_reads++;
    return ((fake_t *)ctx)->key[link];
}

static double fake_rate(void *ctx, uint32_t link, int64_t now)
{
    (void)now;
    return ((fake_t *)ctx)->rate[link];
}

static double fake_length(void *ctx, uint32_t link)
{
    (void)ctx;
    return links[link].km * 1000.0;
}

static route_view_t fake_view(fake_t *f)
{
    return (route_view_t){ f, fake_up, fake_key, fake_rate, fake_length };
}

static topo_t *test_graph(void)
{
    sim_err_t err = { 0 };
    topo_t *t = topo_create(NNODES, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    for (size_t i = 0; i < NLINKS; i++)
        CU_ASSERT_EQUAL_FATAL(topo_add_edge(t, links[i].a, links[i].b, links[i].km, NULL, &err),
                              SIM_OK);
    return t;
}

static route_t *make(const topo_t *t, route_metric_t metric, unsigned k, double threshold,
                     fake_t *f)
{
    route_config_t cfg = ROUTE_CONFIG_DEFAULT;
    cfg.metric = metric;
    cfg.k = k;
    cfg.balance = threshold > 0;
    cfg.balance_threshold_bits = threshold;
    route_view_t view = fake_view(f);
    sim_err_t err = { 0 };
    route_t *r = route_create(t, &cfg, &view, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    return r;
}

/* route_find(src, dst, now) has the links `expect` (n of them); n == 0:
 * found must be false. */
static void expect_path(route_t *r, uint32_t src, uint32_t dst, int64_t now,
                        const uint32_t *expect, size_t n)
{
    route_path_t p;
    bool found = true;
    sim_err_t err = { 0 };
    CU_ASSERT_EQUAL_FATAL(route_find(r, src, dst, now, &p, &found, &err), SIM_OK);
    if (n == 0) {
        CU_ASSERT_FALSE(found);
        CU_ASSERT_EQUAL(p.nhops, 0);
        CU_ASSERT_PTR_NULL(p.links);
        return;
    }
    CU_ASSERT_TRUE_FATAL(found);
    CU_ASSERT_EQUAL(p.nhops, n);
    CU_ASSERT_EQUAL(p.nodes[0], src);
    CU_ASSERT_EQUAL(p.nodes[p.nhops], dst);
    if (p.nhops == n)
        for (size_t i = 0; i < n; i++)
            CU_ASSERT_EQUAL(p.links[i], expect[i]);
    route_path_free(&p);
}

/* The links of route_find's path (nhops returned; at most 8). */
static uint32_t find_links(route_t *r, uint32_t src, uint32_t dst, int64_t now, uint32_t out[8])
{
    route_path_t p;
    bool found = false;
    sim_err_t err = { 0 };
    CU_ASSERT_EQUAL_FATAL(route_find(r, src, dst, now, &p, &found, &err), SIM_OK);
    CU_ASSERT_TRUE_FATAL(found);
    CU_ASSERT_FATAL(p.nhops <= 8);
    uint32_t n = p.nhops;
    memcpy(out, p.links, n * sizeof *out);
    route_path_free(&p);
    return n;
}

static void fill_key(fake_t *f, double bits)
{
    for (size_t i = 0; i < NLINKS; i++)
        f->key[i] = bits;
}

static void test_hops_vs_length(void)
{
    topo_t *t = test_graph();
    fake_t f = { 0 };
    route_t *hops = make(t, ROUTE_HOPS, 1, 0, &f);
    route_t *len = make(t, ROUTE_LENGTH, 1, 0, &f);
    uint32_t l[8];

    /* Hops: a 2-hop path (A or C, a tie); length: B, 3 km. */
    CU_ASSERT_EQUAL(find_links(hops, 0, 4, 0, l), 2);
    expect_path(len, 0, 4, 0, path_b, 3);
    /* Reverse direction: the same links, reversed. */
    expect_path(len, 4, 0, 0, (const uint32_t[]){ 4, 3, 2 }, 3);
    route_destroy(hops);
    route_destroy(len);
    topo_destroy(t);
}

/* k = 3 by length: B (3 km), C (10 km), A (20 km). Each candidate is
 * reached by taking down a link of every cheaper one. */
static void test_k_in_cost_order(void)
{
    topo_t *t = test_graph();
    fake_t f = { 0 };
    route_t *r = make(t, ROUTE_LENGTH, 3, 0, &f);

    expect_path(r, 0, 4, 0, path_b, 3);
    f.down[3] = true;
    expect_path(r, 0, 4, 0, path_c, 2);
    f.down[6] = true;
    expect_path(r, 0, 4, 0, path_a, 2);
    f.down[0] = true;
    expect_path(r, 0, 4, 0, NULL, 0);   /* every path cut */
    memset(f.down, 0, sizeof f.down);
    expect_path(r, 0, 4, 0, path_b, 3);
    route_destroy(r);
    topo_destroy(t);
}

/* SECOQC: the first candidate whose links all hold the threshold; back to
 * the shortest when its key recovers; the first that is up when none does. */
static void test_balancing(void)
{
    topo_t *t = test_graph();
    fake_t f = { 0 };
    route_t *r = make(t, ROUTE_LENGTH, 3, 1000, &f);

    fill_key(&f, 5000);
    expect_path(r, 0, 4, 0, path_b, 3);
    f.key[3] = 999;                        /* B below threshold: C */
    expect_path(r, 0, 4, 1, path_c, 2);
    f.key[5] = 10;                         /* C too: A */
    expect_path(r, 0, 4, 2, path_a, 2);
    f.key[1] = 0;                          /* all below: the first that is up */
    expect_path(r, 0, 4, 3, path_b, 3);
    f.down[2] = true;                      /* ... and B down: C */
    expect_path(r, 0, 4, 4, path_c, 2);
    f.down[2] = false;
    f.key[3] = 1000;                       /* B recovers (>= threshold): back to B */
    expect_path(r, 0, 4, 5, path_b, 3);
    f.key[3] = 999;
    f.key[5] = 5000;                       /* C recovers: C */
    expect_path(r, 0, 4, 6, path_c, 2);
    route_destroy(r);

    /* Without balancing, low key changes nothing. */
    r = make(t, ROUTE_LENGTH, 3, 0, &f);
    fill_key(&f, 0);
    expect_path(r, 0, 4, 0, path_b, 3);
    route_destroy(r);
    topo_destroy(t);
}

/* k = 1: a path with a link down is re-routed around it (a search
 * without the down links), and found = false when every path is cut. */
static void test_down_links(void)
{
    topo_t *t = test_graph();
    fake_t f = { 0 };
    route_t *r = make(t, ROUTE_LENGTH, 1, 0, &f);

    f.down[4] = true;
    expect_path(r, 0, 4, 0, path_c, 2);
    f.down[5] = true;
    expect_path(r, 0, 4, 0, path_a, 2);
    f.down[1] = true;
    expect_path(r, 0, 4, 0, NULL, 0);
    /* A pair beside the cut is not affected; 0 -> 3 goes round by 2. */
    expect_path(r, 0, 3, 0, (const uint32_t[]){ 2, 3 }, 2);
    f.down[2] = true;
    expect_path(r, 0, 3, 0, NULL, 0);
    memset(f.down, 0, sizeof f.down);
    expect_path(r, 0, 4, 0, path_b, 3);
    expect_path(r, 0, 3, 0, (const uint32_t[]){ 2, 3 }, 2);
    route_destroy(r);
    topo_destroy(t);
}

/* The re-routing result is kept only while the set of down links is the
 * same: each change (down or back up) is seen at the next request. */
static void test_detour_follows_down_set(void)
{
    topo_t *t = test_graph();
    fake_t f = { 0 };
    route_t *r = make(t, ROUTE_LENGTH, 1, 0, &f);

    f.down[3] = true;                 /* B cut: C */
    expect_path(r, 0, 4, 0, path_c, 2);
    expect_path(r, 0, 4, 1, path_c, 2);
    f.down[6] = true;                 /* C cut too: A */
    expect_path(r, 0, 4, 2, path_a, 2);
    f.down[6] = false;                /* C back: C again */
    expect_path(r, 0, 4, 3, path_c, 2);
    f.down[0] = true;                 /* a link of no path used: still C */
    expect_path(r, 0, 4, 4, path_c, 2);
    f.down[5] = true;                 /* A and C cut, B cut: none */
    expect_path(r, 0, 4, 5, NULL, 0);
    f.down[0] = false;                /* A back */
    expect_path(r, 0, 4, 6, path_a, 2);
    /* Another pair re-routed under the same down set. */
    expect_path(r, 2, 4, 7, (const uint32_t[]){ 2, 0, 1 }, 3);
    f.down[3] = false;
    expect_path(r, 0, 4, 8, path_b, 3);
    expect_path(r, 2, 4, 8, (const uint32_t[]){ 3, 4 }, 2);
    /* A search at each change of the down set and for the new pair; the
     * second request under the first set reused it. */
    route_stats_t st;
    route_get_stats(r, &st);
    CU_ASSERT_EQUAL(st.finds, 10);
    CU_ASSERT_EQUAL(st.reroutes, 8);
    CU_ASSERT_EQUAL(st.reroute_searches, 7);
    CU_ASSERT_EQUAL(st.cut, 1);
    CU_ASSERT_EQUAL(st.trees, 2);        /* sources 0 and 2 */
    CU_ASSERT_EQUAL(st.k_searches, 0);   /* k = 1: the tree's path is all */
    route_destroy(r);
    topo_destroy(t);
}

/* One tree per source serves all its pairs; a k search only for a pair
 * that needs a second candidate, once. */
static void test_search_counts(void)
{
    topo_t *t = test_graph();
    fake_t f = { 0 };
    route_t *r = make(t, ROUTE_LENGTH, 3, 0, &f);
    sim_err_t err = { 0 };
    route_stats_t st;

    for (uint32_t d = 1; d <= 5; d++)
        CU_ASSERT_EQUAL(route_check(r, 0, d, &err), SIM_OK);
    route_get_stats(r, &st);
    CU_ASSERT_EQUAL(st.trees, 0);        /* checks search nothing */
    expect_path(r, 0, 4, 0, path_b, 3);
    expect_path(r, 0, 3, 0, (const uint32_t[]){ 2, 3 }, 2);
    expect_path(r, 0, 5, 0, (const uint32_t[]){ 5 }, 1);
    expect_path(r, 0, 1, 0, (const uint32_t[]){ 0 }, 1);
    route_get_stats(r, &st);
    CU_ASSERT_EQUAL(st.trees, 1);
    CU_ASSERT_EQUAL(st.k_searches, 0);
    f.down[3] = true;
    expect_path(r, 0, 4, 0, path_c, 2);
    expect_path(r, 0, 4, 1, path_c, 2);
    route_get_stats(r, &st);
    CU_ASSERT_EQUAL(st.k_searches, 1);
    CU_ASSERT_EQUAL(st.reroutes, 0);
    route_destroy(r);
    topo_destroy(t);
}

static void test_check(void)
{
    topo_t *t = test_graph();
    fake_t f = { 0 };
    sim_err_t err = { 0 };
    route_metric_t metrics[3] = { ROUTE_HOPS, ROUTE_LENGTH, ROUTE_KEY };

    for (size_t m = 0; m < 3; m++) {
        route_t *r = make(t, metrics[m], 2, 0, &f);
        CU_ASSERT_EQUAL(route_check(r, 0, 4, &err), SIM_OK);
        CU_ASSERT_EQUAL(route_check(r, 2, 5, &err), SIM_OK);
        CU_ASSERT_EQUAL(route_check(r, 0, 6, &err), SIM_ERR_INPUT);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "node 0 and node 6"));
        CU_ASSERT_EQUAL(route_check(r, 6, 3, &err), SIM_ERR_INPUT);
        CU_ASSERT_EQUAL(route_check(r, 3, 3, &err), SIM_ERR_INPUT);
        CU_ASSERT_EQUAL(route_check(r, 0, 7, &err), SIM_ERR_INPUT);
        /* Links down at load time do not make a pair unroutable. */
        f.down[0] = f.down[2] = f.down[5] = true;
        CU_ASSERT_EQUAL(route_check(r, 0, 4, &err), SIM_OK);
        memset(f.down, 0, sizeof f.down);
        /* An isolated node is not found during the run either. */
        expect_path(r, 0, 6, 0, NULL, 0);
        route_path_t p;
        bool found = true;
        CU_ASSERT_EQUAL(route_find(r, 3, 3, 0, &p, &found, &err), SIM_ERR_INPUT);
        CU_ASSERT_EQUAL(route_find(r, 3, 7, 0, &p, &found, &err), SIM_ERR_INPUT);
        CU_ASSERT_FALSE(found);
        route_destroy(r);
    }
    topo_destroy(t);
}

/* Ties: the 2-hop paths A and C are equal by hops. The choice is the same
 * on every call, in a second router, and on a topology built again; and
 * the other one is the second candidate. */
static void test_ties(void)
{
    topo_t *t1 = test_graph(), *t2 = test_graph();
    fake_t f = { 0 };
    route_t *r1 = make(t1, ROUTE_HOPS, 3, 0, &f), *r2 = make(t2, ROUTE_HOPS, 3, 0, &f);
    uint32_t first[8], l[8];

    CU_ASSERT_EQUAL_FATAL(find_links(r1, 0, 4, 0, first), 2);
    CU_ASSERT(first[0] == 0 || first[0] == 5);
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(find_links(r1, 0, 4, i, l), 2);
        CU_ASSERT_EQUAL(memcmp(l, first, 2 * sizeof *l), 0);
        CU_ASSERT_EQUAL(find_links(r2, 0, 4, i, l), 2);
        CU_ASSERT_EQUAL(memcmp(l, first, 2 * sizeof *l), 0);
    }
    /* The first one down: the other 2-hop path, not B. */
    f.down[first[0]] = true;
    CU_ASSERT_EQUAL(find_links(r1, 0, 4, 0, l), 2);
    CU_ASSERT_EQUAL(l[0], first[0] == 0 ? 5 : 0);
    route_destroy(r1);
    route_destroy(r2);
    topo_destroy(t1);
    topo_destroy(t2);
}

/* The key metric's weight of one link and a path's cost, from the formula
 * of docs/models.md: C = K + r T, w = 1 / max(C, 1 bit). */
static double key_cost(const fake_t *f, const uint32_t *path, size_t n, double period_s)
{
    double cost = 0;
    for (size_t i = 0; i < n; i++) {
        double c = f->key[path[i]] + f->rate[path[i]] * period_s;
        cost += 1.0 / fmax(c, 1.0);
    }
    return cost;
}

/* The route by key must be the candidate of least cost by the formula. */
static void expect_cheapest(route_t *r, const fake_t *f, int64_t now)
{
    const uint32_t *paths[3] = { path_a, path_b, path_c };
    const size_t lens[3] = { 2, 3, 2 };
    size_t best = 0;
    double cost[3];
    for (size_t i = 0; i < 3; i++) {
        cost[i] = key_cost(f, paths[i], lens[i], 5.0);
        if (cost[i] < cost[best])
            best = i;
    }
    for (size_t i = 0; i < 3; i++)   /* the test values leave no tie */
        CU_ASSERT(i == best || cost[i] > cost[best] * (1 + 1e-9));
    expect_path(r, 0, 4, now, paths[best], lens[best]);
}

static void test_key_metric(void)
{
    topo_t *t = test_graph();
    fake_t f = { 0 };
    route_t *r = make(t, ROUTE_KEY, 1, 0, &f);
    const int64_t s = 1000000000;

    /* A holds 1000 bits per link; C only 400 but gains 200 bit/s, so
     * C = 400 + 200 * 5 = 1400 > 1000: C is cheaper; B holds 100. */
    f.key[0] = f.key[1] = 1000;
    f.key[2] = f.key[3] = f.key[4] = 100;
    f.key[5] = f.key[6] = 400;
    f.rate[5] = f.rate[6] = 200;
    expect_cheapest(r, &f, 0);
    expect_path(r, 0, 4, 0, path_c, 2);
    /* C draining at 100 bit/s: C = 400 - 500 < 1 bit, weight 1 per link.
     * Not seen before the key period (5 s) is over... */
    f.rate[5] = f.rate[6] = -100;
    expect_path(r, 0, 4, 4 * s, path_c, 2);
    /* ... and seen at its end: A. */
    expect_cheapest(r, &f, 5 * s);
    expect_path(r, 0, 4, 5 * s, path_a, 2);
    /* B filled: 3 links of 10^6 bits beat 2 of 1000. */
    f.key[2] = f.key[3] = f.key[4] = 1e6;
    expect_cheapest(r, &f, 10 * s);
    expect_path(r, 0, 4, 10 * s, path_b, 3);
    /* Stored key weighs the same as r T: 600 bits now and 80 bit/s * 5 s
     * (C = 1000 on C's links) ties with A's 1000, so make C just larger. */
    f.key[2] = f.key[3] = f.key[4] = 0;
    f.key[5] = f.key[6] = 601;
    f.rate[5] = f.rate[6] = 80;
    expect_cheapest(r, &f, 15 * s);
    expect_path(r, 0, 4, 15 * s, path_c, 2);
    route_destroy(r);
    topo_destroy(t);
}

/* Key metric with k = 3 and balancing: the candidates are the
 * key-shortest path, then the pair's hop-shortest paths (A, C, B) ranked
 * by their key cost of the period. */
static void test_key_balancing(void)
{
    topo_t *t = test_graph();
    fake_t f = { 0 };
    route_t *r = make(t, ROUTE_KEY, 3, 500, &f);

    f.key[0] = f.key[1] = 1000;
    f.key[2] = f.key[3] = f.key[4] = 100;
    f.key[5] = f.key[6] = 400;
    f.rate[5] = f.rate[6] = 200;
    /* By C = K + r T: C (1400 a link) < A (1000) < B (100). */
    CU_ASSERT(key_cost(&f, path_c, 2, 5) < key_cost(&f, path_a, 2, 5));
    CU_ASSERT(key_cost(&f, path_a, 2, 5) < key_cost(&f, path_b, 3, 5));
    /* C is key-shortest but stores 400 < 500 bits: the next, A. */
    expect_path(r, 0, 4, 0, path_a, 2);
    /* A below too (read at once, the weights are not): B is also below,
     * so the first that is up, C. */
    f.key[0] = 450;
    expect_path(r, 0, 4, 1, path_c, 2);
    /* B filled: the first that holds the threshold, B. */
    f.key[2] = f.key[3] = f.key[4] = 600;
    expect_path(r, 0, 4, 2, path_b, 3);
    /* C down: A and B remain, ranked A, B; A is still below: B. */
    f.down[5] = true;
    expect_path(r, 0, 4, 3, path_b, 3);
    route_destroy(r);
    topo_destroy(t);
}

/* The flow's route_find calls at 0, 6 s and 9 s (key period 5 s) with a
 * look-up by another model at 5 s between them, when C's key is draining
 * from 5 s on: each find's links into got[], the statistics into *st. */
static void flow_with_lookup(bool peek, bool lookup, route_stats_t *st, uint32_t got[3][8],
                             uint32_t n[3])
{
    topo_t *t = test_graph();
    fake_t f = { 0 };
    route_t *r = make(t, ROUTE_KEY, 1, 0, &f);
    const int64_t s = 1000000000;
    route_path_t p;
    bool found;
    sim_err_t err = { 0 };

    f.key[0] = f.key[1] = 1000;
    f.key[2] = f.key[3] = f.key[4] = 100;
    f.key[5] = f.key[6] = 400;
    f.rate[5] = f.rate[6] = 200;
    n[0] = find_links(r, 0, 4, 0, got[0]);          /* C (the weights of 0 s) */
    if (lookup) {
        CU_ASSERT_EQUAL_FATAL(peek ? route_peek(r, 0, 4, 5 * s, false, &p, &found, &err)
                                   : route_find(r, 0, 4, 5 * s, &p, &found, &err),
                              SIM_OK);
        CU_ASSERT_TRUE(found);
        route_path_free(&p);
    }
    f.rate[5] = f.rate[6] = -100;                   /* from 5 s on: A is cheaper */
    n[1] = find_links(r, 0, 4, 6 * s, got[1]);
    n[2] = find_links(r, 0, 4, 9 * s, got[2]);
    route_get_stats(r, st);
    route_destroy(r);
    topo_destroy(t);
}

/* route_peek (another model's look-up, e.g. ETSI 004 admission) leaves
 * the flows' routing alone: no key refresh, no statistics. The same look-up
 * by route_find (what the relay's path operation called before) dates the
 * next refresh from 5 s and keeps C's old weights at 6 s. */
static void test_peek_leaves_routing_alone(void)
{
    uint32_t alone[3][8], peeked[3][8], found[3][8], na[3], np[3], nf[3];
    route_stats_t sa, sp, sf;

    flow_with_lookup(false, false, &sa, alone, na);
    flow_with_lookup(true, true, &sp, peeked, np);
    flow_with_lookup(false, true, &sf, found, nf);
    CU_ASSERT(na[0] == 2 && memcmp(alone[0], path_c, sizeof path_c) == 0);
    CU_ASSERT(na[1] == 2 && memcmp(alone[1], path_a, sizeof path_a) == 0);   /* refreshed at 6 s */
    for (size_t i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(np[i], na[i]);
        CU_ASSERT(memcmp(peeked[i], alone[i], na[i] * sizeof **alone) == 0);
    }
    CU_ASSERT(memcmp(&sp, &sa, sizeof sa) == 0);
    /* the control: a route_find look-up does move the flow's path */
    CU_ASSERT(nf[1] == 2 && memcmp(found[1], path_c, sizeof path_c) == 0);
}

/* route_peek's all_up: the first candidate whatever the links' state;
 * else what route_find gives (re-routing around a down link, cut). */
static void test_peek_all_up(void)
{
    topo_t *t = test_graph();
    fake_t f = { 0 };
    route_t *r = make(t, ROUTE_LENGTH, 1, 0, &f);
    route_path_t p;
    bool found = false;
    sim_err_t err = { 0 };
    route_stats_t before, after;

    route_get_stats(r, &before);
    f.down[2] = f.down[5] = f.down[0] = true;   /* B, C and A cut */
    CU_ASSERT_EQUAL_FATAL(route_peek(r, 0, 4, 0, true, &p, &found, &err), SIM_OK);
    CU_ASSERT_TRUE(found);
    CU_ASSERT(p.nhops == 3 && memcmp(p.links, path_b, sizeof path_b) == 0);
    route_path_free(&p);
    CU_ASSERT_EQUAL_FATAL(route_peek(r, 0, 4, 0, false, &p, &found, &err), SIM_OK);
    CU_ASSERT_FALSE(found);
    CU_ASSERT_EQUAL(p.nhops, 0);
    f.down[0] = false;                          /* A back: re-routed onto A */
    CU_ASSERT_EQUAL_FATAL(route_peek(r, 0, 4, 0, false, &p, &found, &err), SIM_OK);
    CU_ASSERT_TRUE(found);
    CU_ASSERT(p.nhops == 2 && memcmp(p.links, path_a, sizeof path_a) == 0);
    route_path_free(&p);
    route_get_stats(r, &after);
    CU_ASSERT(memcmp(&before, &after, sizeof before) == 0);
    CU_ASSERT_EQUAL(route_peek(r, 3, 3, 0, true, &p, &found, &err), SIM_ERR_INPUT);
    route_destroy(r);
    topo_destroy(t);
}

/* A period of 0 re-reads the links at every route_find. */
static void test_key_period_zero(void)
{
    topo_t *t = test_graph();
    fake_t f = { 0 };
    route_config_t cfg = ROUTE_CONFIG_DEFAULT;
    cfg.metric = ROUTE_KEY;
    cfg.key_period_ns = 0;
    route_view_t view = fake_view(&f);
    sim_err_t err = { 0 };
    route_t *r = route_create(t, &cfg, &view, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);

    fill_key(&f, 1000);
    f.key[0] = f.key[1] = 5000;
    expect_path(r, 0, 4, 0, path_a, 2);
    unsigned reads = f.key_reads;
    f.key[0] = 1;
    expect_path(r, 0, 4, 0, path_c, 2);
    CU_ASSERT_EQUAL(f.key_reads, reads + NLINKS);
    route_destroy(r);
    topo_destroy(t);
}

static void test_create_errors(void)
{
    topo_t *t = test_graph();
    route_config_t cfg = ROUTE_CONFIG_DEFAULT;
    route_view_t none = { 0 };
    sim_err_t err = { 0 };
    route_t *r;

    /* Hops needs nothing from the view. */
    r = route_create(t, &cfg, &none, &err);
    CU_ASSERT_PTR_NOT_NULL(r);
    route_destroy(r);
    cfg.metric = ROUTE_LENGTH;
    CU_ASSERT_PTR_NULL(route_create(t, &cfg, &none, &err));
    cfg.metric = ROUTE_KEY;
    CU_ASSERT_PTR_NULL(route_create(t, &cfg, &none, &err));
    cfg = ROUTE_CONFIG_DEFAULT;
    cfg.balance = true;
    CU_ASSERT_PTR_NULL(route_create(t, &cfg, &none, &err));
    cfg = ROUTE_CONFIG_DEFAULT;
    cfg.k = 0;
    CU_ASSERT_PTR_NULL(route_create(t, &cfg, &none, &err));
    CU_ASSERT_EQUAL(err.code, SIM_ERR_INPUT);
    route_destroy(NULL);
    route_path_free(NULL);
    topo_destroy(t);
}

/* ------------------------------------------------------ <routing> reader */

static int read_attrs(const char **keys, const char **values, size_t n, route_config_t *cfg,
                      sim_err_t *err)
{
    scn_elem_t e = { .name = "routing", .file = "t.xml", .line = 7, .nattrs = n, .keys = keys,
                     .values = values };
    return route_config_read(&e, cfg, err);
}

static void test_config_read(void)
{
    route_config_t cfg;
    sim_err_t err = { 0 };

    CU_ASSERT_EQUAL(route_config_read(NULL, &cfg, &err), SIM_OK);
    CU_ASSERT_EQUAL(cfg.metric, ROUTE_HOPS);
    CU_ASSERT_EQUAL(cfg.k, 1);
    CU_ASSERT_FALSE(cfg.balance);
    CU_ASSERT_EQUAL(cfg.key_period_ns, 5000000000LL);
    CU_ASSERT_EQUAL(read_attrs(NULL, NULL, 0, &cfg, &err), SIM_OK);
    CU_ASSERT_EQUAL(cfg.k, 1);

    const char *k1[] = { "metric", "k", "balance-threshold", "key-period" };
    const char *v1[] = { "key", "3", "10kb", "250ms" };
    CU_ASSERT_EQUAL(read_attrs(k1, v1, 4, &cfg, &err), SIM_OK);
    CU_ASSERT_EQUAL(cfg.metric, ROUTE_KEY);
    CU_ASSERT_EQUAL(cfg.k, 3);
    CU_ASSERT_TRUE(cfg.balance);
    CU_ASSERT_DOUBLE_EQUAL(cfg.balance_threshold_bits, 10000, 0);
    CU_ASSERT_EQUAL(cfg.key_period_ns, 250000000LL);

    const char *k2[] = { "metric" };
    const char *v2[] = { "length" };
    CU_ASSERT_EQUAL(read_attrs(k2, v2, 1, &cfg, &err), SIM_OK);
    CU_ASSERT_EQUAL(cfg.metric, ROUTE_LENGTH);
    CU_ASSERT_FALSE(cfg.balance);

    /* Errors name the file, line and element. */
    const char *k3[] = { "k" };
    const char *v3[][1] = { { "0" }, { "101" }, { "x" } };
    for (size_t i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(read_attrs(k3, v3[i], 1, &cfg, &err), SIM_ERR_INPUT);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "t.xml:7"));
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "routing"));
    }
    const char *v4[] = { "widest" };
    CU_ASSERT_EQUAL(read_attrs(k2, v4, 1, &cfg, &err), SIM_ERR_INPUT);
    const char *k5[] = { "balance-threshold" };
    const char *v5[] = { "lots" };
    CU_ASSERT_EQUAL(read_attrs(k5, v5, 1, &cfg, &err), SIM_ERR_INPUT);
}

/* The element in a scenario: the schema accepts it after <storage> and
 * refuses a bad metric; route_config_read reads what was loaded. */
static void test_config_in_scenario(void)
{
    static const char head[] =
        "<scenario name=\"r\" duration=\"1s\"><nodes><node id=\"A\"/><node id=\"B\"/></nodes>"
        "<links><link id=\"AB\" a=\"A\" b=\"B\" length=\"1km\">"
        "<generation model=\"constant\" rate=\"1kbps\"/>"
        "<store capacity=\"1Mb\" min=\"0\" threshold=\"0\" initial=\"0\"/></link></links>"
        "<storage design=\"shared\"/>";
    char text[1024];
    scn_t *scn = NULL;
    sim_err_t err = { 0 };
    route_config_t cfg;

    snprintf(text, sizeof text, "%s%s</scenario>", head,
             "<routing metric=\"length\" k=\"2\" balance-threshold=\"1kb\"/><trace/>");
    CU_ASSERT_EQUAL_FATAL(scn_load_text("r.xml", text, strlen(text), NULL, 0, &scn, &err), SIM_OK);
    CU_ASSERT_EQUAL(route_config_read(scn_child(scn->root, "routing"), &cfg, &err), SIM_OK);
    CU_ASSERT_EQUAL(cfg.metric, ROUTE_LENGTH);
    CU_ASSERT_EQUAL(cfg.k, 2);
    CU_ASSERT_DOUBLE_EQUAL(cfg.balance_threshold_bits, 1000, 0);
    scn_free(scn);
    scn = NULL;

    snprintf(text, sizeof text, "%s%s</scenario>", head, "<routing metric=\"widest\"/>");
    CU_ASSERT_EQUAL(scn_load_text("r.xml", text, strlen(text), NULL, 0, &scn, &err),
                    SIM_ERR_INPUT);
    CU_ASSERT_PTR_NULL(scn);
    /* Out of place: before <storage>. */
    snprintf(text, sizeof text, "%s</scenario>", head);
    char *at = strstr(text, "<storage");
    char moved[1024];
    snprintf(moved, sizeof moved, "%.*s<routing/>%s", (int)(at - text), text, at);
    CU_ASSERT_EQUAL(scn_load_text("r.xml", moved, strlen(moved), NULL, 0, &scn, &err),
                    SIM_ERR_INPUT);
    scn_library_cleanup();
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("route", NULL, NULL);
    if (s == NULL ||
        CU_add_test(s, "hops and length pick different paths", test_hops_vs_length) == NULL ||
        CU_add_test(s, "k candidates in ascending cost", test_k_in_cost_order) == NULL ||
        CU_add_test(s, "SECOQC balancing", test_balancing) == NULL ||
        CU_add_test(s, "links down: re-routing, cut", test_down_links) == NULL ||
        CU_add_test(s, "re-routing follows the down set", test_detour_follows_down_set) == NULL ||
        CU_add_test(s, "searches: a tree per source, k lists on demand", test_search_counts) == NULL ||
        CU_add_test(s, "load-time check", test_check) == NULL ||
        CU_add_test(s, "ties are deterministic", test_ties) == NULL ||
        CU_add_test(s, "key metric ranks by its formula", test_key_metric) == NULL ||
        CU_add_test(s, "key metric, k = 3, balancing", test_key_balancing) == NULL ||
        CU_add_test(s, "key period 0", test_key_period_zero) == NULL ||
        CU_add_test(s, "route_peek leaves the flows' routing alone",
                    test_peek_leaves_routing_alone) == NULL ||
        CU_add_test(s, "route_peek: all up, re-routing, cut", test_peek_all_up) == NULL ||
        CU_add_test(s, "create errors", test_create_errors) == NULL ||
        CU_add_test(s, "<routing> reader", test_config_read) == NULL ||
        CU_add_test(s, "<routing> in a scenario", test_config_in_scenario) == NULL) {
        CU_cleanup_registry();
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
