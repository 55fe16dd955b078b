/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench.c - the hold-model benchmark: the kernel against a bare 4-ary heap.
 *
 * Fairness, point by point: both sides draw the same delays from a fresh
 * stream of (seed, 0, "bench/kernel") with the same inline function, call
 * their handler through a function pointer, count down the same way, and
 * are compiled with the same flags in the same library. The bare heap is a
 * textbook implementation done well (hole-moving sifts, 4 children per
 * node, keys inline); it pops the root and then pushes the successor, as a
 * heap without a run loop of its own would.
 */
#include "sim/bench.h"

#include <gsl/gsl_randist.h>
#include <stdbool.h>
#include <stdlib.h>

#include "sim/rng.h"
#include "sim/textio.h"

/* Exp(mean 1 s) in ns, rounded to the nearest ns (the draw is positive). */
static inline sim_time_t sim_bench_delay(gsl_rng *rng)
{
    return (sim_time_t)(gsl_ran_exponential(rng, (double)SIM_S) + 0.5);
}

/* ------------------------------------------------------------ kernel side */

typedef struct sim_bench_hold {
    gsl_rng *rng;
    uint64_t remaining;     /* handlers still to run */
    bool failed;
} sim_bench_hold_t;

static void sim_bench_handler(sim_t *sim, void *object, uint64_t arg)
{
    sim_bench_hold_t *h = object;
    if (sim_schedule_in(sim, sim_bench_delay(h->rng), sim_bench_handler, h, arg) == 0) {
        h->failed = true;
        sim_stop(sim);
        return;
    }
    if (--h->remaining == 0)
        sim_stop(sim);
}

/* Every handler schedules its successor before the stop check, so the
 * future-event set holds exactly `pending` events throughout; a different
 * count at the end means the kernel lost or duplicated an event. */
int sim_bench_hold_kernel(size_t pending, uint64_t events, uint64_t seed, sim_bench_run_t *out)
{
    int rc = -1;
    sim_bench_hold_t h = { NULL, events, false };
    sim_t *sim = sim_create();
    *out = (sim_bench_run_t){ 0, 0, 0.0 };
    if (sim == NULL)
        goto out;
    h.rng = rng_stream_create(seed, 0, "bench/kernel");
    if (h.rng == NULL)
        goto out;
    for (size_t i = 0; i < pending; i++)
        if (sim_schedule_at(sim, sim_bench_delay(h.rng), sim_bench_handler, &h, 0) == 0)
            goto out;
    double t0 = textio_wall_seconds();
    if (events > 0)
        sim_run(sim, SIM_TIME_MAX);
    out->seconds = textio_wall_seconds() - t0;
    out->executed = sim_executed(sim);
    out->end = sim_now(sim);
    if (h.failed || sim_pending(sim) != pending)
        goto out;
    rc = 0;
out:
    if (h.rng != NULL)
        rng_stream_free(h.rng);
    sim_destroy(sim);
    return rc;
}

/* ------------------------------------------------------------ bare side */

typedef struct sim_bench_bare sim_bench_bare_t;
typedef void (*sim_bench_bare_fn)(sim_bench_bare_t *b);

typedef struct sim_bench_entry {
    sim_time_t time;
    uint64_t seq;
    sim_bench_bare_fn fn;
} sim_bench_entry_t;

struct sim_bench_bare {
    sim_bench_entry_t *heap;
    size_t n, cap;          /* cap is fixed: the hold model never grows */
    uint64_t seq;
    sim_time_t now;
    uint64_t executed;
    gsl_rng *rng;
    uint64_t remaining;
    bool stop;
};

static inline bool sim_bench_less(const sim_bench_entry_t *a, const sim_bench_entry_t *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static inline void sim_bench_push(sim_bench_bare_t *b, sim_time_t t, sim_bench_bare_fn fn)
{
    sim_bench_entry_t e = { t, b->seq++, fn };
    sim_bench_entry_t *h = b->heap;
    size_t i = b->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 4;
        if (!sim_bench_less(&e, &h[parent]))
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = e;
}

/* Removes the root: the last entry fills the hole and sinks. */
static inline sim_bench_entry_t sim_bench_pop(sim_bench_bare_t *b)
{
    sim_bench_entry_t *h = b->heap;
    sim_bench_entry_t top = h[0];
    sim_bench_entry_t e = h[--b->n];
    size_t n = b->n, i = 0;
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n)
            break;
        size_t end = c + 4 < n ? c + 4 : n;
        size_t m = c;
        for (size_t k = c + 1; k < end; k++)
            if (sim_bench_less(&h[k], &h[m]))
                m = k;
        if (!sim_bench_less(&h[m], &e))
            break;
        h[i] = h[m];
        i = m;
    }
    h[i] = e;
    return top;
}

static void sim_bench_bare_handler(sim_bench_bare_t *b)
{
    sim_bench_push(b, b->now + sim_bench_delay(b->rng), sim_bench_bare_handler);
    if (--b->remaining == 0)
        b->stop = true;
}

int sim_bench_hold_bare(size_t pending, uint64_t events, uint64_t seed, sim_bench_run_t *out)
{
    int rc = -1;
    sim_bench_bare_t b = { 0 };
    *out = (sim_bench_run_t){ 0, 0, 0.0 };
    if (pending == 0 || pending > SIZE_MAX / sizeof *b.heap)
        goto out;
    b.cap = pending;
    b.heap = malloc(b.cap * sizeof *b.heap);
    b.rng = rng_stream_create(seed, 0, "bench/kernel");
    if (b.heap == NULL || b.rng == NULL)
        goto out;
    b.remaining = events;
    for (size_t i = 0; i < pending; i++)
        sim_bench_push(&b, sim_bench_delay(b.rng), sim_bench_bare_handler);
    double t0 = textio_wall_seconds();
    while (events > 0 && !b.stop) {
        sim_bench_entry_t e = sim_bench_pop(&b);
        b.now = e.time;
        b.executed++;
        e.fn(&b);
    }
    out->seconds = textio_wall_seconds() - t0;
    out->executed = b.executed;
    out->end = b.now;
    rc = 0;
out:
    if (b.rng != NULL)
        rng_stream_free(b.rng);
    free(b.heap);
    return rc;
}

/* ------------------------------------------------------------ comparison */

enum { SIM_BENCH_REPEATS = 2 };

int sim_bench_kernel(size_t pending, uint64_t events, uint64_t seed, sim_bench_result_t *out)
{
    int rc = -1;
    sim_bench_run_t k, b;
    *out = (sim_bench_result_t){ 0, 0.0, 0.0 };
    for (int r = 0; r < SIM_BENCH_REPEATS; r++) {
        if (sim_bench_hold_kernel(pending, events, seed, &k) != 0
            || sim_bench_hold_bare(pending, events, seed, &b) != 0)
            goto out;
        if (k.executed != b.executed || k.end != b.end)
            goto out;
        if (r == 0 || k.seconds < out->kernel_s)
            out->kernel_s = k.seconds;
        if (r == 0 || b.seconds < out->bare_s)
            out->bare_s = b.seconds;
        out->executed = k.executed;
    }
    rc = 0;
out:
    return rc;
}
