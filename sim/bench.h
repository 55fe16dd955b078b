/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench.h - the event kernel's hold-model benchmark and its baseline.
 *
 * The hold model: `pending` events are scheduled at Exp(mean 1 s) from 0;
 * every handler schedules exactly one successor at now + Exp(mean 1 s)
 * (rounded to the nearest ns), so the future-event set keeps `pending`
 * events, until `events` handlers ran. The delays come from the random
 * stream (seed, 0, "bench/kernel"), one draw per scheduled event.
 *
 * The same model runs twice over: on the kernel (sim/kernel.h, through its
 * public API: handles, cancellable slots and all) and on a bare 4-ary
 * min-heap whose array holds {time, seq, handler} inline and does nothing
 * else (no handles, no cancel, no object or argument). The bare heap is the
 * floor a general-purpose kernel is measured against: same draws from the
 * same stream, same pending count and events, same compiler flags, timed
 * in the same process. Both must execute the same events in the same
 * order; their final clocks are compared as a check.
 *
 * Times are seconds of wall clock (CLOCK_MONOTONIC) for the event loop
 * only: creating the stream and scheduling the first `pending` events is
 * not timed. This is the only module of the library that reads a clock;
 * nothing in a simulation run calls it.
 *
 * Ownership: nothing is kept between calls; every call frees what it took.
 */
#ifndef QKM_SIM_BENCH_H
#define QKM_SIM_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "sim/kernel.h"

/* One run of one side. */
typedef struct sim_bench_run {
    uint64_t executed;      /* handlers run */
    sim_time_t end;         /* the clock after the last handler, ns */
    double seconds;         /* wall time of the event loop */
} sim_bench_run_t;

/* The comparison: best (least) time of each side over its repetitions. */
typedef struct sim_bench_result {
    uint64_t executed;      /* handlers run per repetition (same on both) */
    double kernel_s, bare_s;
} sim_bench_result_t;

/* Hold model on the kernel, once. 0, or -1 when out of memory or when the
 * kernel lost or duplicated an event (the pending count changed). */
int sim_bench_hold_kernel(size_t pending, uint64_t events, uint64_t seed, sim_bench_run_t *out);

/* Hold model on the bare 4-ary heap, once. 0, or -1 when out of memory. */
int sim_bench_hold_bare(size_t pending, uint64_t events, uint64_t seed, sim_bench_run_t *out);

/* Runs kernel, bare, kernel, bare (alternating, so that a slow phase of the
 * machine hits both) and keeps each side's best time. Returns 0, or -1 when
 * out of memory or when the two sides disagree on the events executed or
 * the final clock (a kernel bug). pending must be positive. */
int sim_bench_kernel(size_t pending, uint64_t events, uint64_t seed, sim_bench_result_t *out);

#endif
