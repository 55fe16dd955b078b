/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * route_bench.c - what routing costs (models/route.h): a benchmark, not a
 * test (docs/performance.md, "Routing").
 *
 * The network: a 40 x 25 square lattice (1,000 nodes, 1,935 links) with
 * link lengths drawn uniformly in [1, 50] km, and 5,000 node pairs drawn
 * uniformly (distinct ends); both from the stream (seed, 0, "bench/route").
 * A lattice has many paths of equal hop count, the hard case for ties and
 * for Yen's algorithm. For each configuration it times, in wall seconds:
 *   check  route_check of every pair (the load-time search, cold cache);
 *   find   `rounds` route_find of every pair, `now` advancing 1 s a round,
 *          with what the configuration changes between rounds; the first
 *          round (cold: the searches) apart from the later ones.
 * Configurations: hops; length; length k=3 with SECOQC balancing and a
 * tenth of the links below the threshold; length with 1 % of the links
 * down (re-routing); key metric (period 5 s, k=1); key k=3 balancing.
 *
 * Usage: tests/bench/route_bench [rounds]   (default 20)
 * Build: make tests/bench/route_bench
 */
#include "models/route.h"
#include "sim/rng.h"
#include "sim/textio.h"

#include <gsl/gsl_rng.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { COLS = 40, ROWS = 25, NPAIRS = 5000 };

typedef struct bench_net {
    topo_t *topo;
    size_t nlinks;
    double *km;
    double *key;    /* bits */
    double *rate;   /* bit/s */
    bool *down;
    uint32_t src[NPAIRS], dst[NPAIRS];
} bench_net_t;

static bool net_up(void *ctx, uint32_t link, int64_t now)
{
    (void)now;
    return !((bench_net_t *)ctx)->down[link];
}

static double net_key(void *ctx, uint32_t link, int64_t now)
{
    (void)now;
    return ((bench_net_t *)ctx)->key[link];
}

static double net_rate(void *ctx, uint32_t link, int64_t now)
{
    (void)now;
    return ((bench_net_t *)ctx)->rate[link];
}

static double net_length(void *ctx, uint32_t link)
{
    return ((bench_net_t *)ctx)->km[link] * 1000.0;
}

static int net_build(bench_net_t *n, gsl_rng *rng)
{
    sim_err_t err = { 0 };
    size_t cap = 2 * COLS * ROWS;

    if ((n->topo = topo_create(COLS * ROWS, &err)) == NULL)
        return -1;
    n->km = calloc(cap, sizeof *n->km);
    n->key = calloc(cap, sizeof *n->key);
    n->rate = calloc(cap, sizeof *n->rate);
    n->down = calloc(cap, sizeof *n->down);
    if (n->km == NULL || n->key == NULL || n->rate == NULL || n->down == NULL)
        return -1;
    for (size_t r = 0; r < ROWS; r++)
        for (size_t c = 0; c < COLS; c++) {
            size_t v = r * COLS + c;
            size_t nb[2] = { c + 1 < COLS ? v + 1 : v, r + 1 < ROWS ? v + COLS : v };
            for (int i = 0; i < 2; i++) {
                if (nb[i] == v)
                    continue;
                double km = 1.0 + 49.0 * gsl_rng_uniform(rng);
                if (topo_add_edge(n->topo, v, nb[i], km, NULL, &err) != SIM_OK)
                    return -1;
                n->km[n->nlinks++] = km;
            }
        }
    for (size_t i = 0; i < NPAIRS; i++) {
        n->src[i] = (uint32_t)gsl_rng_uniform_int(rng, COLS * ROWS);
        do
            n->dst[i] = (uint32_t)gsl_rng_uniform_int(rng, COLS * ROWS);
        while (n->dst[i] == n->src[i]);
    }
    return 0;
}

typedef enum change { CHANGE_NONE, CHANGE_KEY, CHANGE_DOWN } change_t;

/* Between rounds: CHANGE_KEY redraws every link's key in [0, 20000) bits
 * and rate in [-500, 500) bit/s; CHANGE_DOWN takes down 1 % of the links
 * (drawn afresh each round). */
static void net_change(bench_net_t *n, change_t what, gsl_rng *rng)
{
    for (size_t l = 0; l < n->nlinks; l++) {
        if (what == CHANGE_KEY) {
            n->key[l] = 20000.0 * gsl_rng_uniform(rng);
            n->rate[l] = 1000.0 * gsl_rng_uniform(rng) - 500.0;
        } else if (what == CHANGE_DOWN) {
            n->down[l] = gsl_rng_uniform(rng) < 0.01;
        }
    }
}

static int run(bench_net_t *n, const char *name, route_config_t cfg, change_t what,
               unsigned rounds, gsl_rng *rng)
{
    route_view_t view = { n, net_up, net_key, net_rate, net_length };
    sim_err_t err = { 0 };
    unsigned long cut = 0, hops = 0;
    route_t *r = route_create(n->topo, &cfg, &view, &err);
    if (r == NULL) {
        fprintf(stderr, "route_bench: %s\n", err.msg);
        return -1;
    }
    double t0 = textio_wall_seconds();
    for (size_t i = 0; i < NPAIRS; i++)
        if (route_check(r, n->src[i], n->dst[i], &err) != SIM_OK)
            goto fail;
    double t1 = textio_wall_seconds(), tfind = 0, tfirst = 0;
    for (unsigned k = 0; k < rounds; k++) {
        net_change(n, what, rng);
        double ta = textio_wall_seconds();
        for (size_t i = 0; i < NPAIRS; i++) {
            route_path_t p;
            bool found;
            if (route_find(r, n->src[i], n->dst[i], (int64_t)k * 1000000000, &p, &found, &err) !=
                SIM_OK)
                goto fail;
            cut += !found;
            hops += p.nhops;
            route_path_free(&p);
        }
        if (k == 0)
            tfirst = textio_wall_seconds() - ta;
        else
            tfind += textio_wall_seconds() - ta;
    }
    printf("%-24s check %6.1f us/pair   first round %8.1f us/pair   later %8.2f us/call   "
           "hops %5.2f   cut %lu\n", name, 1e6 * (t1 - t0) / NPAIRS, 1e6 * tfirst / NPAIRS,
           rounds > 1 ? 1e6 * tfind / ((double)(rounds - 1) * NPAIRS) : 0.0,
           (double)hops / ((double)rounds * NPAIRS - cut), cut);
    route_stats_t st;
    route_get_stats(r, &st);
    printf("%-24s   searches: %llu trees, %llu k-path, %llu re-routing (of %llu re-routed finds)\n",
           "", (unsigned long long)st.trees, (unsigned long long)st.k_searches,
           (unsigned long long)st.reroute_searches, (unsigned long long)st.reroutes);
    route_destroy(r);
    return 0;
fail:
    fprintf(stderr, "route_bench: %s: %s\n", name, err.msg);
    route_destroy(r);
    return -1;
}

int main(int argc, char **argv)
{
    unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 20;
    gsl_rng *rng = rng_stream_create(1, 0, "bench/route");
    bench_net_t net = { 0 };
    int rc = 1;

    if (rng == NULL || rounds == 0 || net_build(&net, rng) != 0)
        goto out;
    printf("lattice %dx%d: %zu nodes, %zu links, %d pairs, %u rounds\n", COLS, ROWS,
           topo_node_count(net.topo), net.nlinks, NPAIRS, rounds);
    route_config_t hops = ROUTE_CONFIG_DEFAULT, len = hops, bal = hops, key = hops, keybal;
    len.metric = ROUTE_LENGTH;
    bal.metric = ROUTE_LENGTH;
    bal.k = 3;
    bal.balance = true;
    bal.balance_threshold_bits = 2000;   /* a tenth of U[0, 20000) is below */
    key.metric = ROUTE_KEY;
    keybal = bal;
    keybal.metric = ROUTE_KEY;
    if (run(&net, "hops", hops, CHANGE_NONE, rounds, rng) != 0 ||
        run(&net, "length", len, CHANGE_NONE, rounds, rng) != 0 ||
        run(&net, "length k=3 balance", bal, CHANGE_KEY, rounds, rng) != 0 ||
        run(&net, "length, 1 % links down", len, CHANGE_DOWN, rounds, rng) != 0)
        goto out;
    memset(net.down, 0, net.nlinks * sizeof *net.down);
    if (run(&net, "key (period 5 s)", key, CHANGE_KEY, rounds, rng) != 0 ||
        run(&net, "key k=3 balance", keybal, CHANGE_KEY, rounds, rng) != 0)
        goto out;
    rc = 0;
out:
    topo_destroy(net.topo);
    free(net.km);
    free(net.key);
    free(net.rate);
    free(net.down);
    rng_stream_free(rng);
    return rc;
}
