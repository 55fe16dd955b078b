/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_kernel.c - the event kernel (sim/kernel.h): ordering, FIFO ties,
 * cancellation and stale handles, stop and resume, run-until, and a
 * randomized comparison against a sorted-array model.
 */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "sim/bench.h"
#include "sim/kernel.h"
#include "sim/kernel_debug.h"

/* Records the arg and the clock of every handler call. */
typedef struct log {
    uint64_t *ids;
    sim_time_t *times;
    size_t n, cap;
} log_t;

static void log_init(log_t *lg, size_t cap)
{
    lg->ids = malloc(cap * sizeof *lg->ids);
    lg->times = malloc(cap * sizeof *lg->times);
    lg->n = 0;
    lg->cap = cap;
    CU_ASSERT_FATAL(lg->ids != NULL && lg->times != NULL);
}

static void log_free(log_t *lg)
{
    free(lg->ids);
    free(lg->times);
}

static void on_log(sim_t *sim, void *object, uint64_t arg)
{
    log_t *lg = object;
    if (lg->n < lg->cap) {
        lg->ids[lg->n] = arg;
        lg->times[lg->n] = sim_now(sim);
    }
    lg->n++;
}

static sim_t *new_sim(void)
{
    sim_t *sim = sim_create();
    CU_ASSERT_FATAL(sim != NULL);
    CU_ASSERT_EQUAL(sim_now(sim), 0);
    CU_ASSERT_EQUAL(sim_pending(sim), 0);
    return sim;
}

/* xorshift64*: the tests' own deterministic numbers. */
static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

/* ------------------------------------------------ basic ordering */

static void test_empty(void)
{
    sim_t *sim = new_sim();
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), SIM_RUN_EMPTY);
    CU_ASSERT_EQUAL(sim_executed(sim), 0);
    CU_ASSERT_EQUAL(sim_now(sim), 0);
    sim_destroy(sim);
    sim_destroy(NULL);
}

static void test_time_order(void)
{
    enum { N = 100000 };
    sim_t *sim = new_sim();
    log_t lg;
    log_init(&lg, N);
    uint64_t s = 12345;
    size_t failed = 0;
    for (uint64_t i = 0; i < N; i++) {
        sim_time_t t = (sim_time_t)(next_rand(&s) % (1000 * SIM_S));
        failed += sim_schedule_at(sim, t, on_log, &lg, (uint64_t)t) == 0;
    }
    CU_ASSERT_EQUAL(failed, 0);
    CU_ASSERT_EQUAL(sim_pending(sim), N);
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), SIM_RUN_EMPTY);
    CU_ASSERT_EQUAL_FATAL(lg.n, N);
    CU_ASSERT_EQUAL(sim_executed(sim), N);
    CU_ASSERT_EQUAL(sim_pending(sim), 0);
    size_t bad_order = 0, bad_clock = 0;
    for (size_t i = 0; i < N; i++) {
        if (i > 0 && lg.times[i] < lg.times[i - 1])
            bad_order++;
        /* Each handler saw the clock at its own event's time. */
        if ((uint64_t)lg.times[i] != lg.ids[i])
            bad_clock++;
    }
    CU_ASSERT_EQUAL(bad_order, 0);
    CU_ASSERT_EQUAL(bad_clock, 0);
    CU_ASSERT_EQUAL(sim_now(sim), lg.times[N - 1]);
    log_free(&lg);
    sim_destroy(sim);
}

static void test_fifo_equal_times(void)
{
    enum { N = 5000 };
    sim_t *sim = new_sim();
    log_t lg;
    log_init(&lg, 2 * N);
    /* Interleave two times so that equal-time events are not contiguous in
     * scheduling order. */
    size_t failed = 0;
    for (uint64_t i = 0; i < N; i++) {
        failed += sim_schedule_at(sim, 7 * SIM_S, on_log, &lg, i) == 0;
        failed += sim_schedule_at(sim, 3 * SIM_S, on_log, &lg, N + i) == 0;
    }
    CU_ASSERT_EQUAL(failed, 0);
    sim_run(sim, SIM_TIME_MAX);
    CU_ASSERT_EQUAL_FATAL(lg.n, 2 * N);
    size_t bad = 0;
    for (uint64_t i = 0; i < N; i++) {
        bad += lg.ids[i] != N + i;
        bad += lg.ids[N + i] != i;
    }
    CU_ASSERT_EQUAL(bad, 0);
    log_free(&lg);
    sim_destroy(sim);
}

/* A handler that schedules arg + 100 at the current time, once. */
static void on_log_and_follow(sim_t *sim, void *object, uint64_t arg)
{
    on_log(sim, object, arg);
    if (arg < 100) {
        CU_ASSERT(sim_schedule_in(sim, 0, on_log, object, arg + 100) != 0);
        CU_ASSERT(sim_schedule_at(sim, sim_now(sim), on_log, object, arg + 200) != 0);
    }
}

static void test_same_time_from_handler(void)
{
    sim_t *sim = new_sim();
    log_t lg;
    log_init(&lg, 16);
    sim_schedule_at(sim, 10, on_log_and_follow, &lg, 1);
    sim_schedule_at(sim, 10, on_log_and_follow, &lg, 2);
    sim_schedule_at(sim, 11, on_log, &lg, 3);
    sim_run(sim, SIM_TIME_MAX);
    static const uint64_t want[] = { 1, 2, 101, 201, 102, 202, 3 };
    CU_ASSERT_EQUAL_FATAL(lg.n, 7);
    CU_ASSERT_EQUAL(memcmp(lg.ids, want, sizeof want), 0);
    CU_ASSERT_EQUAL(lg.times[5], 10);
    log_free(&lg);
    sim_destroy(sim);
}

/* ------------------------------------------------ cancel and handles */

static void test_cancel(void)
{
    sim_t *sim = new_sim();
    log_t lg;
    log_init(&lg, 16);
    sim_handle_t a = sim_schedule_at(sim, 5, on_log, &lg, 1);
    sim_handle_t b = sim_schedule_at(sim, 6, on_log, &lg, 2);
    sim_handle_t c = sim_schedule_at(sim, 7, on_log, &lg, 3);
    CU_ASSERT(a != 0 && b != 0 && c != 0);
    CU_ASSERT(a != b && b != c && a != c);
    CU_ASSERT(sim_is_pending(sim, b));
    CU_ASSERT_TRUE(sim_cancel(sim, b));
    CU_ASSERT_FALSE(sim_is_pending(sim, b));
    CU_ASSERT_EQUAL(sim_pending(sim), 2);
    CU_ASSERT_FALSE(sim_cancel(sim, b));
    CU_ASSERT_FALSE(sim_cancel(sim, 0));
    CU_ASSERT_FALSE(sim_is_pending(sim, 0));
    /* Handles never issued: an unknown slot, and a wrong generation. */
    CU_ASSERT_FALSE(sim_cancel(sim, UINT64_C(0xffffffff)));
    CU_ASSERT_FALSE(sim_cancel(sim, a + (UINT64_C(1) << 32)));
    CU_ASSERT_EQUAL(sim_pending(sim), 2);

    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), SIM_RUN_EMPTY);
    CU_ASSERT_EQUAL_FATAL(lg.n, 2);
    CU_ASSERT_EQUAL(lg.ids[0], 1);
    CU_ASSERT_EQUAL(lg.ids[1], 3);
    /* Events that ran are no longer pending and cannot be cancelled. */
    CU_ASSERT_FALSE(sim_is_pending(sim, a));
    CU_ASSERT_FALSE(sim_cancel(sim, a));
    CU_ASSERT_FALSE(sim_cancel(sim, c));
    log_free(&lg);
    sim_destroy(sim);
}

static void test_stale_handle_reused_slot(void)
{
    sim_t *sim = new_sim();
    log_t lg;
    log_init(&lg, 16);
    sim_handle_t old = sim_schedule_at(sim, 5, on_log, &lg, 1);
    CU_ASSERT_TRUE(sim_cancel(sim, old));
    /* The only free slot is the old one, so the new event reuses it. */
    sim_handle_t fresh = sim_schedule_at(sim, 5, on_log, &lg, 2);
    CU_ASSERT(fresh != 0 && fresh != old);
    CU_ASSERT_EQUAL(fresh & UINT32_MAX, old & UINT32_MAX);
    CU_ASSERT_FALSE(sim_is_pending(sim, old));
    CU_ASSERT_FALSE(sim_cancel(sim, old));
    CU_ASSERT_TRUE(sim_is_pending(sim, fresh));
    sim_run(sim, SIM_TIME_MAX);
    CU_ASSERT_EQUAL_FATAL(lg.n, 1);
    CU_ASSERT_EQUAL(lg.ids[0], 2);

    /* Same after the event ran rather than being cancelled. */
    sim_handle_t again = sim_schedule_at(sim, 9, on_log, &lg, 3);
    CU_ASSERT_EQUAL(again & UINT32_MAX, fresh & UINT32_MAX);
    CU_ASSERT_FALSE(sim_cancel(sim, fresh));
    CU_ASSERT_TRUE(sim_is_pending(sim, again));
    log_free(&lg);
    sim_destroy(sim);
}

typedef struct self_check {
    sim_handle_t own;
    bool own_pending;
    sim_handle_t next;
    int runs;
} self_check_t;

/* Checks its own handle, then reschedules itself once (reusing its slot). */
static void on_self(sim_t *sim, void *object, uint64_t arg)
{
    (void)arg;
    self_check_t *sc = object;
    sc->own_pending = sim_is_pending(sim, sc->own);
    sc->runs++;
    if (sc->runs == 1) {
        sc->next = sim_schedule_in(sim, 1, on_self, sc, 0);
        sc->own = sc->next;
    }
}

static void test_own_handle_in_handler(void)
{
    sim_t *sim = new_sim();
    self_check_t sc = { 0, true, 0, 0 };
    sim_handle_t first = sim_schedule_at(sim, 1, on_self, &sc, 0);
    sc.own = first;
    sim_run(sim, SIM_TIME_MAX);
    CU_ASSERT_EQUAL(sc.runs, 2);
    CU_ASSERT_FALSE(sc.own_pending);
    CU_ASSERT(sc.next != 0 && sc.next != first);
    /* The slot was retired before the handler ran (the handle is stale)
     * and handed to the handler's first successor. */
    CU_ASSERT_EQUAL(sc.next & UINT32_MAX, first & UINT32_MAX);
    CU_ASSERT_EQUAL(sim_now(sim), 2);
    sim_destroy(sim);
}

/* Cancels the event whose handle is in arg's slot of an array. */
typedef struct canceller {
    sim_handle_t victim;
    bool result;
    log_t *lg;
} canceller_t;

static void on_cancel(sim_t *sim, void *object, uint64_t arg)
{
    canceller_t *c = object;
    c->result = sim_cancel(sim, c->victim);
    on_log(sim, c->lg, arg);
}

static void test_cancel_from_handler(void)
{
    sim_t *sim = new_sim();
    log_t lg;
    log_init(&lg, 16);
    canceller_t c = { 0, false, &lg };
    sim_schedule_at(sim, 1, on_cancel, &c, 1);
    c.victim = sim_schedule_at(sim, 1, on_log, &lg, 2);
    sim_schedule_at(sim, 2, on_log, &lg, 3);
    sim_run(sim, SIM_TIME_MAX);
    CU_ASSERT_TRUE(c.result);
    CU_ASSERT_EQUAL_FATAL(lg.n, 2);
    CU_ASSERT_EQUAL(lg.ids[0], 1);
    CU_ASSERT_EQUAL(lg.ids[1], 3);
    log_free(&lg);
    sim_destroy(sim);
}

/* ------------------------------------------------ stop and until */

static void on_log_stop_at_3(sim_t *sim, void *object, uint64_t arg)
{
    on_log(sim, object, arg);
    if (arg == 3)
        sim_stop(sim);
}

static void test_stop_and_resume(void)
{
    sim_t *sim = new_sim();
    log_t lg;
    log_init(&lg, 16);
    for (uint64_t i = 1; i <= 10; i++)
        sim_schedule_at(sim, (sim_time_t)i * SIM_MS, on_log_stop_at_3, &lg, i);
    /* A stop requested outside a run is cleared when the run starts. */
    sim_stop(sim);
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), SIM_RUN_STOPPED);
    CU_ASSERT_EQUAL(lg.n, 3);
    CU_ASSERT_EQUAL(sim_executed(sim), 3);
    CU_ASSERT_EQUAL(sim_pending(sim), 7);
    CU_ASSERT_EQUAL(sim_now(sim), 3 * SIM_MS);
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), SIM_RUN_EMPTY);
    CU_ASSERT_EQUAL_FATAL(lg.n, 10);
    for (uint64_t i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(lg.ids[i], i + 1);
    CU_ASSERT_EQUAL(sim_now(sim), 10 * SIM_MS);
    log_free(&lg);
    sim_destroy(sim);
}

/* A signal handler's flag (sim_set_interrupt): the run stops after the
 * handler during which it was set, and stops again while it stays set. */
static volatile sig_atomic_t test_flag;

static void on_log_flag_at_4(sim_t *sim, void *object, uint64_t arg)
{
    on_log(sim, object, arg);
    if (arg == 4)
        test_flag = 1;
}

static void test_interrupt(void)
{
    sim_t *sim = new_sim();
    log_t lg;
    log_init(&lg, 16);
    test_flag = 0;
    sim_set_interrupt(sim, &test_flag);
    for (uint64_t i = 1; i <= 10; i++)
        sim_schedule_at(sim, (sim_time_t)i * SIM_MS, on_log_flag_at_4, &lg, i);
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), SIM_RUN_STOPPED);
    CU_ASSERT_EQUAL(sim_executed(sim), 4);
    CU_ASSERT_EQUAL(sim_now(sim), 4 * SIM_MS);
    /* still set: one event, then stopped again */
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), SIM_RUN_STOPPED);
    CU_ASSERT_EQUAL(sim_executed(sim), 5);
    test_flag = 0;
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), SIM_RUN_EMPTY);
    CU_ASSERT_EQUAL(lg.n, 10);
    /* no flag: a set test_flag no longer stops it */
    sim_set_interrupt(sim, NULL);
    test_flag = 1;
    sim_schedule_at(sim, 20 * SIM_MS, on_log, &lg, 11);
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), SIM_RUN_EMPTY);
    CU_ASSERT_EQUAL(lg.n, 11);
    log_free(&lg);
    sim_destroy(sim);
}

static void test_run_until(void)
{
    sim_t *sim = new_sim();
    log_t lg;
    log_init(&lg, 16);
    sim_schedule_at(sim, 5, on_log, &lg, 5);
    sim_schedule_at(sim, 10, on_log, &lg, 10);
    sim_schedule_at(sim, 10, on_log, &lg, 11);
    sim_schedule_at(sim, 15, on_log, &lg, 15);
    CU_ASSERT_EQUAL(sim_run(sim, 10), SIM_RUN_UNTIL);
    CU_ASSERT_EQUAL(lg.n, 3);                  /* events at exactly 10 run */
    CU_ASSERT_EQUAL(sim_now(sim), 10);
    CU_ASSERT_EQUAL(sim_pending(sim), 1);
    CU_ASSERT_EQUAL(sim_run(sim, 12), SIM_RUN_UNTIL);
    CU_ASSERT_EQUAL(lg.n, 3);
    CU_ASSERT_EQUAL(sim_now(sim), 12);
    /* Relative scheduling counts from the advanced clock. */
    sim_schedule_in(sim, 1, on_log, &lg, 13);
    /* An `until` in the past runs nothing and leaves the clock alone. */
    CU_ASSERT_EQUAL(sim_run(sim, 4), SIM_RUN_UNTIL);
    CU_ASSERT_EQUAL(sim_now(sim), 12);
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), SIM_RUN_EMPTY);
    CU_ASSERT_EQUAL_FATAL(lg.n, 5);
    CU_ASSERT_EQUAL(lg.ids[3], 13);
    CU_ASSERT_EQUAL(lg.times[3], 13);
    CU_ASSERT_EQUAL(lg.ids[4], 15);
    CU_ASSERT_EQUAL(sim_now(sim), 15);
    log_free(&lg);
    sim_destroy(sim);
}

static void test_past_and_overflow(void)
{
    sim_t *sim = new_sim();
    log_t lg;
    log_init(&lg, 16);
    sim_schedule_at(sim, 10, on_log, &lg, 1);
    sim_run(sim, SIM_TIME_MAX);
    CU_ASSERT_EQUAL(sim_now(sim), 10);
    CU_ASSERT_EQUAL(sim_schedule_at(sim, 9, on_log, &lg, 2), 0);
    CU_ASSERT_EQUAL(sim_schedule_at(sim, -1, on_log, &lg, 2), 0);
    CU_ASSERT_EQUAL(sim_schedule_in(sim, -1, on_log, &lg, 2), 0);
    CU_ASSERT_EQUAL(sim_schedule_in(sim, SIM_TIME_MAX, on_log, &lg, 2), 0);
    CU_ASSERT_EQUAL(sim_schedule_in(sim, SIM_TIME_MAX - 11, on_log, &lg, 2) != 0, 1);
    CU_ASSERT_EQUAL(sim_schedule_in(sim, SIM_TIME_MAX - 10, on_log, &lg, 3) != 0, 1);
    CU_ASSERT_EQUAL(sim_schedule_at(sim, 10, on_log, &lg, 4) != 0, 1);
    CU_ASSERT_EQUAL(sim_pending(sim), 3);
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), SIM_RUN_EMPTY);
    CU_ASSERT_EQUAL_FATAL(lg.n, 4);
    CU_ASSERT_EQUAL(lg.ids[1], 4);
    CU_ASSERT_EQUAL(lg.ids[3], 3);
    CU_ASSERT_EQUAL(sim_now(sim), SIM_TIME_MAX);
    log_free(&lg);
    sim_destroy(sim);
}

static void test_two_kernels(void)
{
    sim_t *x = new_sim(), *y = new_sim();
    log_t lx, ly;
    log_init(&lx, 16);
    log_init(&ly, 16);
    sim_schedule_at(x, 5, on_log, &lx, 1);
    sim_schedule_at(y, 3, on_log, &ly, 2);
    sim_schedule_at(y, 8, on_log, &ly, 3);
    CU_ASSERT_EQUAL(sim_run(x, SIM_TIME_MAX), SIM_RUN_EMPTY);
    CU_ASSERT_EQUAL(sim_now(x), 5);
    CU_ASSERT_EQUAL(sim_now(y), 0);
    CU_ASSERT_EQUAL(sim_pending(y), 2);
    CU_ASSERT_EQUAL(sim_run(y, SIM_TIME_MAX), SIM_RUN_EMPTY);
    CU_ASSERT_EQUAL(lx.n, 1);
    CU_ASSERT_EQUAL(ly.n, 2);
    CU_ASSERT_EQUAL(sim_executed(x), 1);
    log_free(&lx);
    log_free(&ly);
    sim_destroy(x);
    sim_destroy(y);
}

/* A late handler (ids 10..19): logs, and the first time schedules a
 * plain event and a late one at its own time. A plain handler (20..29):
 * logs, and the first time schedules a late event at its own time. */
static void on_late_mix(sim_t *sim, void *object, uint64_t arg)
{
    on_log(sim, object, arg);
    if (arg == 10) {
        CU_ASSERT(sim_schedule_at(sim, sim_now(sim), on_late_mix, object, 21) != 0);
        CU_ASSERT(sim_schedule_late_at(sim, sim_now(sim), on_late_mix, object, 12) != 0);
    } else if (arg == 20) {
        CU_ASSERT(sim_schedule_late_at(sim, sim_now(sim), on_late_mix, object, 13) != 0);
    }
}

/* Late events run after every plain event of their time, even plain ones
 * scheduled later or during that instant, FIFO among themselves; a plain
 * event a late one schedules at its own time runs next (before the late
 * events still due); the earlier and later times are untouched. */
static void test_late_band(void)
{
    sim_t *sim = new_sim();
    log_t lg;
    log_init(&lg, 16);
    CU_ASSERT(sim_schedule_late_at(sim, 5, on_late_mix, &lg, 10) != 0);
    CU_ASSERT(sim_schedule_late_at(sim, 5, on_late_mix, &lg, 11) != 0);
    CU_ASSERT(sim_schedule_at(sim, 5, on_late_mix, &lg, 20) != 0);
    CU_ASSERT(sim_schedule_at(sim, 4, on_late_mix, &lg, 1) != 0);
    CU_ASSERT(sim_schedule_at(sim, 6, on_late_mix, &lg, 2) != 0);
    CU_ASSERT(sim_schedule_late_at(sim, 3, on_late_mix, &lg, 3) != 0);
    CU_ASSERT_EQUAL(sim_schedule_late_at(sim, -1, on_log, &lg, 9), 0);
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), SIM_RUN_EMPTY);
    /* At 5: plain 20 (schedules late 13), then late 10 (schedules plain 21
     * and late 12), plain 21 at once, then late 11, 13, 12 in order. */
    static const uint64_t want[] = { 3, 1, 20, 10, 21, 11, 13, 12, 2 };
    CU_ASSERT_EQUAL_FATAL(lg.n, 9);
    CU_ASSERT_EQUAL(memcmp(lg.ids, want, sizeof want), 0);
    log_free(&lg);
    sim_destroy(sim);
}

/* ------------------------------------------------ randomized model */

typedef struct model_ev {
    sim_time_t time;
    bool late;              /* scheduled with sim_schedule_late_at */
    uint64_t seq;
    uint64_t id;
    sim_handle_t handle;
} model_ev_t;

static int model_cmp(const void *pa, const void *pb)
{
    const model_ev_t *a = pa, *b = pb;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    if (a->late != b->late)
        return a->late ? 1 : -1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Random schedule / cancel / run-until operations, a quarter of the
 * schedulings late; after each run the handlers' log must equal the
 * model's pending events sorted by (time, late, schedule order) up to
 * `until`, and is_pending must agree throughout. */
static void random_against_model(uint64_t seq_limit)
{
    enum { OPS = 10000, CAP = OPS + 1 };
    sim_t *sim = new_sim();
    CU_ASSERT_EQUAL_FATAL(sim_debug_set_seq_limit(sim, seq_limit), 0);
    log_t lg;
    log_init(&lg, CAP);
    model_ev_t *pend = malloc(CAP * sizeof *pend);
    sim_handle_t *dead = malloc(CAP * sizeof *dead);
    uint64_t *expect = malloc(CAP * sizeof *expect);
    CU_ASSERT_FATAL(pend != NULL && dead != NULL && expect != NULL);
    size_t np = 0, nd = 0;
    uint64_t seq = 0, s = 99;
    size_t mismatches = 0, checks = 0;

    for (int op = 0; op < OPS; op++) {
        uint64_t r = next_rand(&s) % 100;
        sim_time_t now = sim_now(sim);
        if (r < 60) {
            /* Few distinct times, so ties are common. */
            sim_time_t t = now + (sim_time_t)(next_rand(&s) % 50);
            bool late = next_rand(&s) % 4 == 0;
            sim_handle_t h = late ? sim_schedule_late_at(sim, t, on_log, &lg, seq)
                                  : sim_schedule_at(sim, t, on_log, &lg, seq);
            CU_ASSERT_FATAL(h != 0);
            pend[np++] = (model_ev_t){ t, late, seq, seq, h };
            seq++;
        } else if (r < 85 && np > 0) {
            size_t k = (size_t)(next_rand(&s) % np);
            mismatches += !sim_cancel(sim, pend[k].handle);
            dead[nd++] = pend[k].handle;
            pend[k] = pend[--np];
        } else if (r < 90 && nd > 0) {
            sim_handle_t h = dead[next_rand(&s) % nd];
            mismatches += sim_cancel(sim, h);
            mismatches += sim_is_pending(sim, h);
        } else {
            sim_time_t until = now + (sim_time_t)(next_rand(&s) % 20);
            qsort(pend, np, sizeof *pend, model_cmp);
            size_t ne = 0;
            while (ne < np && pend[ne].time <= until) {
                expect[ne] = pend[ne].id;
                dead[nd++] = pend[ne].handle;
                ne++;
            }
            lg.n = 0;
            sim_run_result_t rr = sim_run(sim, until);
            CU_ASSERT_EQUAL(rr, ne == np ? SIM_RUN_EMPTY : SIM_RUN_UNTIL);
            CU_ASSERT_EQUAL_FATAL(lg.n, ne);
            mismatches += memcmp(lg.ids, expect, ne * sizeof *expect) != 0;
            memmove(pend, pend + ne, (np - ne) * sizeof *pend);
            np -= ne;
        }
        checks++;
        mismatches += sim_pending(sim) != np;
        if (np > 0)
            mismatches += !sim_is_pending(sim, pend[next_rand(&s) % np].handle);
    }
    CU_ASSERT_EQUAL(mismatches, 0);
    CU_ASSERT_EQUAL(checks, OPS);
    free(pend);
    free(dead);
    free(expect);
    log_free(&lg);
    sim_destroy(sim);
}

static void test_random_against_model(void)
{
    random_against_model(UINT64_C(1) << 32);
}

/* The same with a sequence limit just above the most events ever pending
 * here (at most OPS), so that renumbering happens again and again. */
static void test_random_renumbering(void)
{
    random_against_model(10001);
    random_against_model(12000);
}

/* ------------------------------------------------ differential test */

/* The same event program runs on the kernel and on a naive reference (a
 * list scanned for the minimum of (time, schedule order)). Each event,
 * from its id alone, schedules 0-3 successors (some at the current time),
 * may cancel an earlier event by id, and may stop the run. Both runs must
 * produce the same trace: ids, times, cancel results and pending counts. */
enum { DIFF_MAX_IDS = 20000, DIFF_TRACE = 5 * DIFF_MAX_IDS };

typedef struct ref_ev {
    sim_time_t time;
    uint64_t id;
    bool alive;
} ref_ev_t;

typedef struct diff_world {
    bool use_ref;
    sim_t *sim;
    sim_time_t ref_now;
    bool ref_stop;
    size_t ref_pending;
    ref_ev_t *ref;          /* indexed by id: ids are issued in order */
    sim_handle_t *handle;   /* kernel handles by id */
    uint64_t next_id;
    int64_t *trace;
    size_t nt;
} diff_world_t;

static void diff_record(diff_world_t *w, int64_t v)
{
    if (w->nt < DIFF_TRACE)
        w->trace[w->nt] = v;
    w->nt++;
}

static uint64_t diff_hash(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static void diff_event(sim_t *sim, void *object, uint64_t id);

static sim_time_t diff_now(diff_world_t *w)
{
    return w->use_ref ? w->ref_now : sim_now(w->sim);
}

static size_t diff_pending(diff_world_t *w)
{
    return w->use_ref ? w->ref_pending : sim_pending(w->sim);
}

static void diff_schedule(diff_world_t *w, sim_time_t t)
{
    if (w->next_id >= DIFF_MAX_IDS)
        return;
    uint64_t id = w->next_id++;
    if (w->use_ref) {
        w->ref[id] = (ref_ev_t){ t, id, true };
        w->ref_pending++;
    } else
        w->handle[id] = sim_schedule_at(w->sim, t, diff_event, w, id);
}

static bool diff_cancel(diff_world_t *w, uint64_t id)
{
    if (!w->use_ref)
        return sim_cancel(w->sim, w->handle[id]);
    bool was = w->ref[id].alive;
    w->ref[id].alive = false;
    w->ref_pending -= was;
    return was;
}

static void diff_program(diff_world_t *w, uint64_t id)
{
    uint64_t r = diff_hash(id);
    diff_record(w, (int64_t)id);
    diff_record(w, diff_now(w));
    diff_record(w, (int64_t)diff_pending(w));
    int succ = (int)(r % 4);
    for (int k = 0; k < succ; k++)
        diff_schedule(w, diff_now(w) + (sim_time_t)((r >> (8 + 4 * k)) % 4) * 3);
    if ((r >> 32) % 3 == 0 && w->next_id > 0)
        diff_record(w, diff_cancel(w, (r >> 40) % w->next_id));
    if ((r >> 48) % 97 == 0) {
        if (w->use_ref)
            w->ref_stop = true;
        else
            sim_stop(w->sim);
    }
}

static void diff_event(sim_t *sim, void *object, uint64_t id)
{
    (void)sim;
    diff_program(object, id);
}

/* The reference run loop: the alive event of least (time, id). */
static void diff_ref_run(diff_world_t *w, sim_time_t until)
{
    w->ref_stop = false;
    for (;;) {
        ref_ev_t *best = NULL;
        for (uint64_t i = 0; i < w->next_id; i++)
            if (w->ref[i].alive && (best == NULL || w->ref[i].time < best->time))
                best = &w->ref[i];
        if (best == NULL || best->time > until)
            break;
        best->alive = false;
        w->ref_pending--;
        w->ref_now = best->time;
        diff_program(w, best->id);
        if (w->ref_stop)
            break;
    }
    if (until > w->ref_now && !w->ref_stop && w->ref_pending > 0)
        w->ref_now = until;
}

static void diff_play(diff_world_t *w)
{
    for (int i = 0; i < 20; i++)
        diff_schedule(w, (sim_time_t)(diff_hash(1000 + (uint64_t)i) % 30));
    for (int round = 0; round < 400; round++) {
        sim_time_t until = diff_now(w) + (sim_time_t)(diff_hash((uint64_t)round) % 40);
        if (w->use_ref)
            diff_ref_run(w, until);
        else
            sim_run(w->sim, until);
        diff_record(w, -1);
        diff_record(w, diff_now(w));
        /* Keep the set from running dry between rounds. */
        if (diff_pending(w) == 0)
            diff_schedule(w, diff_now(w) + 1);
    }
}

static void differential(uint64_t seq_limit)
{
    diff_world_t w[2];
    for (int k = 0; k < 2; k++) {
        w[k] = (diff_world_t){ .use_ref = k == 1 };
        w[k].sim = new_sim();
        CU_ASSERT_FATAL(sim_debug_set_seq_limit(w[k].sim, seq_limit) == 0);
        w[k].ref = calloc(DIFF_MAX_IDS, sizeof *w[k].ref);
        w[k].handle = calloc(DIFF_MAX_IDS, sizeof *w[k].handle);
        w[k].trace = malloc(DIFF_TRACE * sizeof *w[k].trace);
        CU_ASSERT_FATAL(w[k].ref != NULL && w[k].handle != NULL && w[k].trace != NULL);
        diff_play(&w[k]);
    }
    /* The program must have exercised a good number of events. */
    CU_ASSERT(sim_executed(w[0].sim) > 5000);
    CU_ASSERT(w[0].nt <= DIFF_TRACE);
    CU_ASSERT_EQUAL(w[0].nt, w[1].nt);
    size_t n = w[0].nt < w[1].nt ? w[0].nt : w[1].nt;
    if (n > DIFF_TRACE)
        n = DIFF_TRACE;
    size_t first_diff = n;
    for (size_t i = 0; i < n && first_diff == n; i++)
        if (w[0].trace[i] != w[1].trace[i])
            first_diff = i;
    CU_ASSERT_EQUAL(first_diff, n);
    for (int k = 0; k < 2; k++) {
        free(w[k].ref);
        free(w[k].handle);
        free(w[k].trace);
        sim_destroy(w[k].sim);
    }
}

static void test_differential(void)
{
    differential(UINT64_C(1) << 32);
}

/* Renumbering in the middle of handlers that schedule (the spent root is
 * at heap[0] then) must not change a single step of the trace. The program
 * schedules 20000 events with at most about 5500 pending at once, so a
 * limit of 7000 renumbers several times and always leaves room. */
static void test_differential_renumbering(void)
{
    differential(7000);
}

/* A handler that runs the kernel itself: the nested run must see the
 * outer event as gone and leave the kernel consistent. */
typedef struct nested {
    log_t *lg;
    sim_run_result_t inner;
    size_t pending_inside;
} nested_t;

static void on_nested(sim_t *sim, void *object, uint64_t arg)
{
    nested_t *ne = object;
    on_log(sim, ne->lg, arg);
    ne->pending_inside = sim_pending(sim);
    ne->inner = sim_run(sim, 5);
    sim_schedule_in(sim, 0, on_log, ne->lg, 99);
}

static void test_nested_run(void)
{
    sim_t *sim = new_sim();
    log_t lg;
    log_init(&lg, 16);
    nested_t ne = { &lg, SIM_RUN_EMPTY, 0 };
    sim_schedule_at(sim, 1, on_nested, &ne, 1);
    sim_schedule_at(sim, 2, on_log, &lg, 2);
    sim_schedule_at(sim, 5, on_log, &lg, 5);
    sim_schedule_at(sim, 8, on_log, &lg, 8);
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), SIM_RUN_EMPTY);
    CU_ASSERT_EQUAL(ne.pending_inside, 3);
    CU_ASSERT_EQUAL(ne.inner, SIM_RUN_UNTIL);
    static const uint64_t want[] = { 1, 2, 5, 99, 8 };
    CU_ASSERT_EQUAL_FATAL(lg.n, 5);
    CU_ASSERT_EQUAL(memcmp(lg.ids, want, sizeof want), 0);
    CU_ASSERT_EQUAL(lg.times[3], 5);
    CU_ASSERT_EQUAL(sim_executed(sim), 5);
    log_free(&lg);
    sim_destroy(sim);
}


/* ------------------------------------------------ encodings and limits */

/* Sorts ids by (time, id): the kernel's order when ids are scheduling
 * order. */
typedef struct tev {
    sim_time_t time;
    uint64_t id;
} tev_t;

static int tev_cmp(const void *pa, const void *pb)
{
    const tev_t *a = pa, *b = pb;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* Schedules evs in array order (id = index), runs all, and counts where
 * the handlers' order differs from (time, id) order. */
static size_t run_and_count_misorders(sim_t *sim, tev_t *evs, size_t n)
{
    log_t lg;
    log_init(&lg, n);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += sim_schedule_at(sim, evs[i].time, on_log, &lg, evs[i].id) == 0;
    sim_run(sim, SIM_TIME_MAX);
    qsort(evs, n, sizeof *evs, tev_cmp);
    bad += lg.n != n;
    for (size_t i = 0; i < n && i < lg.n; i++)
        bad += lg.ids[i] != evs[i].id || lg.times[i] != evs[i].time;
    log_free(&lg);
    return bad;
}

/* Times at the ends of the range and around 32-bit boundaries (where a
 * packed key could go wrong), each several times, in a scrambled order. */
static void test_extreme_times(void)
{
    static const sim_time_t base[] = {
        0, 1, 2, INT32_MAX, (sim_time_t)UINT32_MAX, (sim_time_t)UINT32_MAX + 1,
        INT64_C(1) << 32, (INT64_C(1) << 32) - 1, INT64_C(1) << 62, (INT64_C(1) << 62) - 1,
        SIM_TIME_MAX - 1, SIM_TIME_MAX, SIM_TIME_MAX - (INT64_C(1) << 32),
    };
    enum { NB = sizeof base / sizeof base[0], REP = 7, N = NB * REP };
    tev_t evs[N];
    uint64_t r = 5;
    for (size_t i = 0; i < N; i++) {
        evs[i].time = base[next_rand(&r) % NB];
        evs[i].id = i;
    }
    sim_t *sim = new_sim();
    CU_ASSERT_EQUAL(run_and_count_misorders(sim, evs, N), 0);
    CU_ASSERT_EQUAL(sim_now(sim), SIM_TIME_MAX);
    sim_destroy(sim);
}

/* Thousands of events at one time, scheduled among others while the heap
 * grows from its first 64 entries through several doublings: they must
 * still run in scheduling order. */
static void test_fifo_across_growth(void)
{
    enum { N = 20000 };
    tev_t *evs = malloc(N * sizeof *evs);
    CU_ASSERT_FATAL(evs != NULL);
    uint64_t r = 77;
    for (size_t i = 0; i < N; i++) {
        uint64_t x = next_rand(&r);
        /* Two thirds at t = 1 s; the rest spread before and after it. */
        evs[i].time = x % 3 != 0 ? SIM_S : (sim_time_t)((x >> 8) % (2 * SIM_S));
        evs[i].id = i;
    }
    sim_t *sim = new_sim();
    CU_ASSERT_EQUAL(run_and_count_misorders(sim, evs, N), 0);
    sim_destroy(sim);
    free(evs);
}

/* For heaps of 1 to 90 entries (up to four levels of the 4-ary heap),
 * cancels each event in turn, which reaches every heap index, and checks
 * that the others still run in (time, seq) order. */
static void test_cancel_every_position(void)
{
    enum { MAXN = 90 };
    size_t bad = 0;
    for (size_t n = 1; n <= MAXN; n++) {
        for (size_t k = 0; k < n; k++) {
            sim_t *sim = new_sim();
            log_t lg;
            log_init(&lg, MAXN);
            sim_handle_t h[MAXN];
            tev_t evs[MAXN];
            uint64_t r = 1000 + n;
            for (size_t i = 0; i < n; i++) {
                evs[i] = (tev_t){ (sim_time_t)(next_rand(&r) % 20), i };
                h[i] = sim_schedule_at(sim, evs[i].time, on_log, &lg, i);
            }
            bad += !sim_cancel(sim, h[k]);
            bad += sim_is_pending(sim, h[k]);
            bad += sim_cancel(sim, h[k]);
            bad += sim_pending(sim) != n - 1;
            for (size_t i = 0; i < n; i++)
                bad += i != k && !sim_is_pending(sim, h[i]);
            sim_run(sim, SIM_TIME_MAX);
            evs[k] = evs[n - 1];
            qsort(evs, n - 1, sizeof *evs, tev_cmp);
            bad += lg.n != n - 1;
            for (size_t i = 0; i + 1 < n && i < lg.n; i++)
                bad += lg.ids[i] != evs[i].id;
            log_free(&lg);
            sim_destroy(sim);
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
}

/* The sequence limit: renumbering keeps FIFO among equal times, and a
 * limit that leaves no number after renumbering makes scheduling fail
 * cleanly (0, nothing added) instead of misordering. */
static void test_seq_limit(void)
{
    sim_t *sim = new_sim();
    log_t lg;
    log_init(&lg, 64);
    CU_ASSERT_EQUAL(sim_debug_set_seq_limit(sim, 0), -1);
    CU_ASSERT_EQUAL(sim_debug_set_seq_limit(sim, (UINT64_C(1) << 32) + 1), -1);
    CU_ASSERT_EQUAL(sim_debug_set_seq_limit(sim, 8), 0);
    /* 8 events, three at t = 1 and five at t = 5: the numbers 0 .. 7 are
     * used up. */
    for (uint64_t i = 0; i < 8; i++)
        CU_ASSERT(sim_schedule_at(sim, i < 3 ? 1 : 5, on_log, &lg, i) != 0);
    CU_ASSERT_EQUAL(sim_debug_next_seq(sim), 8);
    /* Renumbering 8 pending events leaves no number below 8. */
    CU_ASSERT_EQUAL(sim_schedule_at(sim, 5, on_log, &lg, 99), 0);
    CU_ASSERT_EQUAL(sim_pending(sim), 8);
    /* Run the three at t = 1, so that renumbering has room again. */
    CU_ASSERT_EQUAL(sim_run(sim, 4), SIM_RUN_UNTIL);
    CU_ASSERT_EQUAL(lg.n, 3);
    sim_handle_t c = sim_schedule_at(sim, 6, on_log, &lg, 100);
    CU_ASSERT(c != 0);
    CU_ASSERT(sim_cancel(sim, c));
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), SIM_RUN_EMPTY);
    CU_ASSERT_EQUAL_FATAL(lg.n, 8);
    for (uint64_t i = 0; i < 8; i++)
        CU_ASSERT_EQUAL(lg.ids[i], i);
    /* Now empty: renumbering gives 0, and equal times again keep order
     * across several renumberings (limit 8, 20 events, at most 4 pending). */
    lg.n = 0;
    for (uint64_t i = 0; i < 20; i++) {
        CU_ASSERT(sim_schedule_at(sim, sim_now(sim) + 1, on_log, &lg, i) != 0);
        if (i % 4 == 3)
            sim_run(sim, sim_now(sim) + 1);
    }
    sim_run(sim, SIM_TIME_MAX);
    CU_ASSERT_EQUAL_FATAL(lg.n, 20);
    for (uint64_t i = 0; i < 20; i++)
        CU_ASSERT_EQUAL(lg.ids[i], i);
    CU_ASSERT(sim_debug_next_seq(sim) < 8);
    /* Full of plain and late events at one time: a scheduling that finds
     * no number fails and leaves every key as it was (late still after
     * plain, each band FIFO). */
    lg.n = 0;
    for (uint64_t i = 0; i < 8; i++)
        CU_ASSERT((i % 2 ? sim_schedule_late_at(sim, sim_now(sim) + 1, on_log, &lg, 10 + i)
                         : sim_schedule_at(sim, sim_now(sim) + 1, on_log, &lg, i)) != 0);
    CU_ASSERT_EQUAL(sim_schedule_late_at(sim, sim_now(sim) + 1, on_log, &lg, 99), 0);
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), SIM_RUN_EMPTY);
    static const uint64_t banded[] = { 0, 2, 4, 6, 11, 13, 15, 17 };
    CU_ASSERT_EQUAL_FATAL(lg.n, 8);
    CU_ASSERT_EQUAL(memcmp(lg.ids, banded, sizeof banded), 0);
    log_free(&lg);
    sim_destroy(sim);
}

/* Handles of cancelled events stay stale after renumbering, and handles
 * of pending ones stay valid (renumbering moves entries, not slots). */
static void test_handles_survive_renumbering(void)
{
    enum { N = 40 };
    sim_t *sim = new_sim();
    log_t lg;
    log_init(&lg, 2 * N);
    CU_ASSERT_EQUAL(sim_debug_set_seq_limit(sim, N + 5), 0);
    sim_handle_t h[N];
    for (uint64_t i = 0; i < N; i++)
        h[i] = sim_schedule_at(sim, (sim_time_t)(N - i), on_log, &lg, i);
    for (uint64_t i = 0; i < N; i += 2)
        CU_ASSERT(sim_cancel(sim, h[i]));
    /* Crosses the limit: renumbers the N / 2 pending events. */
    for (uint64_t i = 0; i < 10; i++)
        CU_ASSERT(sim_schedule_at(sim, 1, on_log, &lg, N + i) != 0);
    CU_ASSERT(sim_debug_next_seq(sim) < N);
    size_t bad = 0;
    for (uint64_t i = 0; i < N; i++)
        bad += sim_is_pending(sim, h[i]) != (i % 2 == 1);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(sim_cancel(sim, h[N - 1]));       /* the one at t = 1 */
    sim_run(sim, SIM_TIME_MAX);
    /* At t = 1: only the ten new ones, in order; then the odd ids left,
     * at t = 3, 5, ..., 39. */
    CU_ASSERT_EQUAL_FATAL(lg.n, 10 + N / 2 - 1);
    for (uint64_t i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(lg.ids[i], N + i);
    for (size_t i = 10; i < lg.n; i++)
        CU_ASSERT_EQUAL(lg.times[i], (sim_time_t)(2 * (i - 10) + 3));
    log_free(&lg);
    sim_destroy(sim);
}

/* ------------------------------------------------ lazy cancellation */

/* A cancelled event leaves a dead entry behind (kernel.c). When its slot
 * is reused before the dead entry reaches the root, the dead entry must
 * neither run the new event early nor make it run twice, whether the new
 * event lies before, at or after the dead entry's time. */
static void test_dead_entry_slot_reused(void)
{
    static const sim_time_t when[] = { 3, 10, 20 };
    for (size_t v = 0; v < sizeof when / sizeof *when; v++) {
        sim_t *sim = new_sim();
        log_t lg;
        log_init(&lg, 16);
        sim_schedule_at(sim, 5, on_log, &lg, 1);
        sim_handle_t old = sim_schedule_at(sim, 10, on_log, &lg, 2);
        sim_schedule_at(sim, 15, on_log, &lg, 3);
        CU_ASSERT_TRUE(sim_cancel(sim, old));
        CU_ASSERT_EQUAL(sim_pending(sim), 2);
        sim_handle_t fresh = sim_schedule_at(sim, when[v], on_log, &lg, 4);
        CU_ASSERT_EQUAL(fresh & UINT32_MAX, old & UINT32_MAX);
        CU_ASSERT_FALSE(sim_is_pending(sim, old));
        CU_ASSERT_FALSE(sim_cancel(sim, old));
        CU_ASSERT_TRUE(sim_is_pending(sim, fresh));
        CU_ASSERT_EQUAL(sim_pending(sim), 3);
        CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), SIM_RUN_EMPTY);
        CU_ASSERT_EQUAL_FATAL(lg.n, 3);
        /* The new event runs once, at its own time, in (time, seq) order. */
        uint64_t want[3] = { 1, 3, 4 };
        if (when[v] < 5) {
            want[0] = 4; want[1] = 1; want[2] = 3;
        } else if (when[v] < 15) {
            want[1] = 4; want[2] = 3;
        }
        CU_ASSERT_EQUAL(memcmp(lg.ids, want, sizeof want), 0);
        for (size_t i = 0; i < lg.n; i++)
            if (lg.ids[i] == 4)
                CU_ASSERT_EQUAL(lg.times[i], when[v]);
        log_free(&lg);
        sim_destroy(sim);
    }
}

/* A handle made up for a slot that is free (its generation is the one the
 * next event in that slot will get) names no pending event. */
static void test_handle_of_free_slot(void)
{
    sim_t *sim = new_sim();
    log_t lg;
    log_init(&lg, 4);
    sim_handle_t h = sim_schedule_at(sim, 7, on_log, &lg, 1);
    CU_ASSERT_TRUE(sim_cancel(sim, h));
    sim_handle_t forged = h + (UINT64_C(1) << 32);
    CU_ASSERT_FALSE(sim_is_pending(sim, forged));
    CU_ASSERT_FALSE(sim_cancel(sim, forged));
    CU_ASSERT_EQUAL(sim_pending(sim), 0);
    /* The next event in that slot does get that handle. */
    CU_ASSERT_EQUAL(sim_schedule_at(sim, 8, on_log, &lg, 2), forged);
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), SIM_RUN_EMPTY);
    CU_ASSERT_EQUAL_FATAL(lg.n, 1);
    CU_ASSERT_EQUAL(lg.ids[0], 2);
    CU_ASSERT_EQUAL(sim_now(sim), 8);
    log_free(&lg);
    sim_destroy(sim);
}

/* sim_pending counts live events only, through cancellations (repeated,
 * of events that ran, of everything) and runs over dead entries; a run
 * over nothing but dead entries is EMPTY and leaves the clock alone. */
static void test_pending_with_cancellations(void)
{
    enum { N = 100 };
    sim_t *sim = new_sim();
    log_t lg;
    log_init(&lg, N);
    sim_handle_t h[N];
    for (uint64_t i = 0; i < N; i++)
        h[i] = sim_schedule_at(sim, (sim_time_t)(i + 1), on_log, &lg, i);
    size_t bad = 0;
    for (uint64_t i = 0; i < N; i += 3) {
        bad += !sim_cancel(sim, h[i]);
        bad += sim_cancel(sim, h[i]);
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(sim_pending(sim), N - (N + 2) / 3);
    /* Runs t = 1 .. 50: ids 1, 2, 4, 5, ... (every third one is gone). */
    CU_ASSERT_EQUAL(sim_run(sim, 50), SIM_RUN_UNTIL);
    CU_ASSERT_EQUAL(lg.n, 50 - 17);
    CU_ASSERT_EQUAL(sim_pending(sim), N - (N + 2) / 3 - (50 - 17));
    for (size_t i = 0; i < lg.n; i++)
        bad += lg.ids[i] % 3 == 0;
    /* Handles of events that ran are stale. */
    bad += sim_cancel(sim, h[1]);
    CU_ASSERT_EQUAL(bad, 0);
    for (uint64_t i = 50; i < N; i++)
        sim_cancel(sim, h[i]);
    CU_ASSERT_EQUAL(sim_pending(sim), 0);
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), SIM_RUN_EMPTY);
    CU_ASSERT_EQUAL(sim_now(sim), 50);
    CU_ASSERT_EQUAL(sim_debug_heap_entries(sim), 0);
    CU_ASSERT_EQUAL(lg.n, 50 - 17);
    log_free(&lg);
    sim_destroy(sim);
}

/* The timeout pattern: every event cancels a far timeout and sets it
 * again, so without a bound the dead timeouts would pile up. The heap
 * must stay within twice the live events (plus the running event's spent
 * entry), and no timeout may fire. */
typedef struct timeout_world {
    sim_handle_t timeout;
    uint64_t remaining;
    size_t max_entries;
    size_t max_pending;
    size_t fired;
    size_t bad;
} timeout_world_t;

static void on_timeout(sim_t *sim, void *object, uint64_t arg)
{
    (void)sim;
    (void)arg;
    timeout_world_t *tw = object;
    tw->fired++;
}

/* Ticks in 20 chains share `remaining`: once it is 0 a tick does nothing. */
static void on_tick(sim_t *sim, void *object, uint64_t arg)
{
    timeout_world_t *tw = object;
    if (tw->remaining == 0)
        return;
    tw->bad += !sim_cancel(sim, tw->timeout);
    tw->timeout = sim_schedule_in(sim, 1000000, on_timeout, tw, 0);
    size_t e = sim_debug_heap_entries(sim);
    size_t p = sim_pending(sim);
    if (e > tw->max_entries)
        tw->max_entries = e;
    if (p > tw->max_pending)
        tw->max_pending = p;
    tw->bad += e > 2 * p + 1;
    if (--tw->remaining > 0)
        sim_schedule_in(sim, (sim_time_t)(arg % 7 + 1), on_tick, tw, arg * 31 + 7);
    else
        tw->bad += !sim_cancel(sim, tw->timeout);
}

static void test_garbage_bound(void)
{
    sim_t *sim = new_sim();
    timeout_world_t tw = { 0, 50000, 0, 0, 0, 0 };
    tw.timeout = sim_schedule_at(sim, 1000000, on_timeout, &tw, 0);
    for (uint64_t i = 0; i < 20; i++)
        sim_schedule_at(sim, (sim_time_t)i, on_tick, &tw, i);
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), SIM_RUN_EMPTY);
    CU_ASSERT_EQUAL(tw.bad, 0);
    CU_ASSERT_EQUAL(tw.fired, 0);
    CU_ASSERT(tw.max_pending <= 21);
    CU_ASSERT(tw.max_entries <= 2 * tw.max_pending + 1);
    CU_ASSERT_EQUAL(sim_executed(sim), 50000 + 19);
    CU_ASSERT_EQUAL(sim_pending(sim), 0);
    sim_destroy(sim);
}

/* A rebuild triggered from inside a handler (the spent root at heap[0])
 * keeps the spent root in place and the order of everything else. */
typedef struct purger {
    sim_handle_t *h;
    size_t n;
    log_t *lg;
    size_t entries, pending;    /* after the cancellations */
} purger_t;

static void on_purge(sim_t *sim, void *object, uint64_t arg)
{
    purger_t *p = object;
    on_log(sim, p->lg, arg);
    /* Cancel two ids in three: more dead than live, so the heap is
     * rebuilt while this handler's spent entry holds the root. */
    for (size_t i = 0; i < p->n; i++)
        if (i % 3 != 0)
            sim_cancel(sim, p->h[i]);
    p->entries = sim_debug_heap_entries(sim);
    p->pending = sim_pending(sim);
    sim_schedule_in(sim, 0, on_log, p->lg, 1000);
    sim_schedule_in(sim, 0, on_log, p->lg, 1001);
}

static void test_rebuild_in_handler(void)
{
    enum { N = 200 };
    sim_t *sim = new_sim();
    log_t lg;
    log_init(&lg, 2 * N);
    sim_handle_t h[N];
    uint64_t r = 77;
    tev_t evs[N];
    size_t ne = 0;
    for (uint64_t i = 0; i < N; i++) {
        sim_time_t t = 10 + (sim_time_t)(next_rand(&r) % 50);
        h[i] = sim_schedule_at(sim, t, on_log, &lg, i);
        /* Those at t = 10 run before the purger (scheduled last). */
        if (i % 3 == 0 || t == 10)
            evs[ne++] = (tev_t){ t, i };
    }
    purger_t p = { h, N, &lg, 0, 0 };
    sim_schedule_at(sim, 10, on_purge, &p, 500);
    CU_ASSERT_EQUAL(sim_run(sim, 9), SIM_RUN_UNTIL);
    size_t before = sim_debug_heap_entries(sim);
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), SIM_RUN_EMPTY);
    CU_ASSERT_EQUAL(before, N + 1);
    CU_ASSERT(p.entries < N / 2);
    CU_ASSERT(p.entries <= 2 * p.pending + 1);
    /* Events at t = 10 scheduled before the purger run first; then the
     * purger, its two successors (t = 10, after everything else at 10),
     * then the ids kept in (time, id) order. */
    qsort(evs, ne, sizeof *evs, tev_cmp);
    size_t k = 0, bad = 0;
    CU_ASSERT_EQUAL_FATAL(lg.n, ne + 3);
    while (k < ne && evs[k].time == 10) {
        bad += lg.ids[k] != evs[k].id;
        k++;
    }
    bad += lg.ids[k] != 500 || lg.ids[k + 1] != 1000 || lg.ids[k + 2] != 1001;
    bad += lg.times[k + 1] != 10 || lg.times[k + 2] != 10;
    for (size_t i = k; i < ne; i++)
        bad += lg.ids[i + 3] != evs[i].id;
    CU_ASSERT_EQUAL(bad, 0);
    log_free(&lg);
    sim_destroy(sim);
}

/* Cancel and reschedule at random (many events cancelled many times over,
 * so rebuilds and dead roots are frequent), against a sorted model. */
static void test_cancel_reschedule_against_model(void)
{
    enum { IDS = 300, OPS = 40000 };
    sim_t *sim = new_sim();
    log_t lg;
    log_init(&lg, OPS);
    sim_handle_t h[IDS] = { 0 };
    model_ev_t pend[IDS];
    size_t np = 0;
    uint64_t seq = 0, r = 4242;
    size_t bad = 0, max_entries = 0;
    for (int op = 0; op < OPS; op++) {
        uint64_t id = next_rand(&r) % IDS;
        uint64_t what = next_rand(&r) % 10;
        if (what < 7) {
            /* (Re)set id: cancel it if pending, then schedule anew. */
            bool was = sim_cancel(sim, h[id]);
            size_t k = 0;
            while (k < np && pend[k].id != id)
                k++;
            bad += was != (k < np);
            if (k < np)
                pend[k] = pend[--np];
            sim_time_t t = sim_now(sim) + (sim_time_t)(next_rand(&r) % 100);
            h[id] = sim_schedule_at(sim, t, on_log, &lg, id);
            pend[np++] = (model_ev_t){ t, false, seq++, id, h[id] };
        } else if (what < 9) {
            sim_time_t until = sim_now(sim) + (sim_time_t)(next_rand(&r) % 10);
            qsort(pend, np, sizeof *pend, model_cmp);
            size_t ne = 0;
            while (ne < np && pend[ne].time <= until)
                ne++;
            lg.n = 0;
            sim_run(sim, until);
            bad += lg.n != ne;
            for (size_t i = 0; i < ne && i < lg.n; i++)
                bad += lg.ids[i] != pend[i].id;
            memmove(pend, pend + ne, (np - ne) * sizeof *pend);
            np -= ne;
        } else {
            bool was = sim_cancel(sim, h[id]);
            size_t k = 0;
            while (k < np && pend[k].id != id)
                k++;
            bad += was != (k < np);
            if (k < np)
                pend[k] = pend[--np];
        }
        bad += sim_pending(sim) != np;
        size_t e = sim_debug_heap_entries(sim);
        if (e > max_entries)
            max_entries = e;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(max_entries <= 2 * IDS + 1);
    log_free(&lg);
    sim_destroy(sim);
}

/* Renumbering drops dead entries: afterwards the heap holds exactly the
 * pending events, and they still run in order. */
static void test_renumber_drops_dead(void)
{
    enum { N = 30 };
    sim_t *sim = new_sim();
    log_t lg;
    log_init(&lg, 2 * N);
    CU_ASSERT_EQUAL(sim_debug_set_seq_limit(sim, N + 1), 0);
    sim_handle_t h[N];
    for (uint64_t i = 0; i < N; i++)
        h[i] = sim_schedule_at(sim, (sim_time_t)(i % 5), on_log, &lg, i);
    /* A third cancelled: fewer dead than live, so no rebuild yet. */
    for (uint64_t i = 0; i < N; i += 3)
        CU_ASSERT(sim_cancel(sim, h[i]));
    CU_ASSERT_EQUAL(sim_debug_heap_entries(sim), N);
    CU_ASSERT(sim_schedule_at(sim, 0, on_log, &lg, N) != 0);  /* seq N: last below the limit */
    CU_ASSERT(sim_schedule_at(sim, 0, on_log, &lg, N + 1) != 0);      /* renumbers */
    CU_ASSERT_EQUAL(sim_pending(sim), N - N / 3 + 2);
    CU_ASSERT_EQUAL(sim_debug_heap_entries(sim), N - N / 3 + 2);
    sim_run(sim, SIM_TIME_MAX);
    CU_ASSERT_EQUAL_FATAL(lg.n, N - N / 3 + 2);
    size_t k = 0, bad = 0;
    for (sim_time_t t = 0; t < 5; t++) {
        for (uint64_t i = 0; i < N; i++)
            if (i % 5 == (uint64_t)t && i % 3 != 0)
                bad += lg.ids[k++] != i;
        if (t == 0) {
            bad += lg.ids[k++] != N;
            bad += lg.ids[k++] != N + 1;
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    log_free(&lg);
    sim_destroy(sim);
}

/* ------------------------------------------------ benchmark model */

static void test_bench_hold(void)
{
    sim_bench_run_t k, b;
    CU_ASSERT_EQUAL(sim_bench_hold_kernel(1000, 50000, 1, &k), 0);
    CU_ASSERT_EQUAL(k.executed, 50000);
    CU_ASSERT_EQUAL(sim_bench_hold_bare(1000, 50000, 1, &b), 0);
    CU_ASSERT_EQUAL(b.executed, 50000);
    /* Same draws, same (time, seq) order: the same last event. */
    CU_ASSERT(k.end > 0);
    CU_ASSERT_EQUAL(k.end, b.end);
    CU_ASSERT_EQUAL(sim_bench_hold_kernel(1, 10, 2, &k), 0);
    CU_ASSERT_EQUAL(k.executed, 10);
    CU_ASSERT_EQUAL(sim_bench_hold_kernel(100, 0, 3, &k), 0);
    CU_ASSERT_EQUAL(k.executed, 0);
    CU_ASSERT_EQUAL(sim_bench_hold_bare(100, 0, 3, &b), 0);
    CU_ASSERT_EQUAL(b.executed, 0);
    /* A different seed gives different draws. */
    CU_ASSERT_EQUAL(sim_bench_hold_bare(1000, 50000, 2, &b), 0);
    CU_ASSERT(b.end != k.end);

    sim_bench_result_t r;
    CU_ASSERT_EQUAL(sim_bench_kernel(500, 20000, 4, &r), 0);
    CU_ASSERT_EQUAL(r.executed, 20000);
    CU_ASSERT(r.kernel_s >= 0.0 && r.bare_s >= 0.0);
}

typedef struct hold {
    uint64_t remaining;
    size_t pending;
    size_t drift;
    sim_time_t last;
    size_t backwards;
} hold_t;

/* The hold model through the public API, checking the pending count and
 * the clock at every event. */
static void on_hold(sim_t *sim, void *object, uint64_t arg)
{
    hold_t *h = object;
    h->backwards += sim_now(sim) < h->last;
    h->last = sim_now(sim);
    /* The running event has left the set; its successor is not in yet. */
    h->drift += sim_pending(sim) != h->pending - 1;
    sim_schedule_in(sim, (sim_time_t)((arg * 7919u) % 1000u), on_hold, h, arg + 1);
    if (--h->remaining == 0)
        sim_stop(sim);
}

static void test_hold_pending_constant(void)
{
    sim_t *sim = new_sim();
    hold_t h = { 20000, 500, 0, 0, 0 };
    for (uint64_t i = 0; i < h.pending; i++)
        sim_schedule_at(sim, (sim_time_t)((i * 104729u) % 1000u), on_hold, &h, i);
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), SIM_RUN_STOPPED);
    CU_ASSERT_EQUAL(sim_executed(sim), 20000);
    CU_ASSERT_EQUAL(sim_pending(sim), 500);
    CU_ASSERT_EQUAL(h.drift, 0);
    CU_ASSERT_EQUAL(h.backwards, 0);
    sim_destroy(sim);
}

/* ------------------------------------------------ handlers against a model
 *
 * The running event's entry stays at the root while its handler runs; the
 * first event the handler schedules takes over that entry and slot, further
 * ones are pushed, and a handler that schedules nothing has its entry popped
 * (and the heap shrinks, leaving padded positions behind). Here every
 * handler checks that it is the least pending (time, schedule order) event
 * of a model, that its own handle is no longer pending, then schedules 0 to
 * 3 successors at now + 0 .. 3 (ties with pending events are common, also
 * at the running time), sometimes cancels another pending event, sometimes
 * stops the run. Small heaps of every size drain and grow again. */

typedef struct hmodel {
    sim_t *sim;
    model_ev_t *pend;
    size_t np, cap;
    uint64_t seq;           /* the model's schedule counter */
    uint64_t rnd;
    uint64_t budget;        /* successors still allowed */
    size_t mismatches;
    uint64_t ran;
} hmodel_t;

static void on_hmodel(sim_t *sim, void *object, uint64_t arg);

/* Schedules at t, late one time in four (from a handler too, so that
 * late handlers schedule plain events at their own instant and back). */
static void hmodel_schedule(hmodel_t *m, sim_time_t t)
{
    CU_ASSERT_FATAL(m->np < m->cap);
    const bool late = m->seq % 4 == 3;
    sim_handle_t h = late ? sim_schedule_late_at(m->sim, t, on_hmodel, m, m->seq)
                          : sim_schedule_at(m->sim, t, on_hmodel, m, m->seq);
    m->mismatches += h == 0;
    m->pend[m->np++] = (model_ev_t){ t, late, m->seq, m->seq, h };
    m->seq++;
}

/* Index of the least pending event of the model. */
static size_t hmodel_least(const hmodel_t *m)
{
    size_t k = 0;
    for (size_t i = 1; i < m->np; i++)
        if (model_cmp(&m->pend[i], &m->pend[k]) < 0)
            k = i;
    return k;
}

static void on_hmodel(sim_t *sim, void *object, uint64_t arg)
{
    hmodel_t *m = object;
    m->ran++;
    if (m->np == 0) {
        m->mismatches++;
        return;
    }
    size_t k = hmodel_least(m);
    model_ev_t me = m->pend[k];
    m->mismatches += me.id != arg || me.time != sim_now(sim);
    m->pend[k] = m->pend[--m->np];
    /* Its own handle: no longer pending, cannot be cancelled. */
    m->mismatches += sim_is_pending(sim, me.handle) || sim_cancel(sim, me.handle);
    uint64_t r = next_rand(&m->rnd);
    if (r % 5 == 0 && m->np > 0) {
        /* Cancel another pending event, before or after scheduling. */
        size_t c = (size_t)((r >> 8) % m->np);
        m->mismatches += !sim_cancel(sim, m->pend[c].handle);
        m->pend[c] = m->pend[--m->np];
    }
    static const int successors[] = { 0, 1, 1, 1, 1, 2, 2, 3 };
    int ns = successors[(r >> 16) % 8];
    for (int i = 0; i < ns && m->budget > 0; i++, m->budget--) {
        hmodel_schedule(m, sim_now(sim) + (sim_time_t)((r >> (24 + 2 * i)) % 4));
        /* The new event is pending at once; the old handle stays stale. */
        m->mismatches += !sim_is_pending(sim, m->pend[m->np - 1].handle);
        m->mismatches += sim_is_pending(sim, me.handle);
    }
    m->mismatches += sim_pending(sim) != m->np;
    if ((r >> 40) % 16 == 0)
        sim_stop(sim);
}

static void test_handlers_against_model(void)
{
    enum { TRIALS = 300, CAP = 4096 };
    hmodel_t m = { 0 };
    m.cap = CAP;
    m.pend = malloc(CAP * sizeof *m.pend);
    CU_ASSERT_FATAL(m.pend != NULL);
    m.rnd = 12345;
    uint64_t scheduled = 0, ran = 0, stops = 0;
    for (int trial = 0; trial < TRIALS; trial++) {
        m.sim = new_sim();
        m.np = 0;
        m.seq = 0;
        m.ran = 0;
        m.budget = 200 + next_rand(&m.rnd) % 400;
        size_t n0 = 1 + (size_t)(next_rand(&m.rnd) % 64);
        for (size_t i = 0; i < n0; i++)
            hmodel_schedule(&m, (sim_time_t)(next_rand(&m.rnd) % 8));
        sim_run_result_t rr;
        do {
            /* Stretches of run-until as well as runs to the end. */
            sim_time_t until = next_rand(&m.rnd) % 3 == 0
                ? sim_now(m.sim) + (sim_time_t)(next_rand(&m.rnd) % 5) : SIM_TIME_MAX;
            rr = sim_run(m.sim, until);
            stops += rr == SIM_RUN_STOPPED;
            if (rr == SIM_RUN_UNTIL) {
                /* Nothing due is left and the clock stands at until. */
                for (size_t i = 0; i < m.np; i++)
                    m.mismatches += m.pend[i].time <= until;
                m.mismatches += sim_now(m.sim) != until;
            }
            m.mismatches += rr == SIM_RUN_EMPTY && m.np != 0;
            m.mismatches += sim_pending(m.sim) != m.np;
        } while (rr != SIM_RUN_EMPTY);
        m.mismatches += sim_executed(m.sim) != m.ran || m.ran > m.seq;
        scheduled += m.seq;
        ran += m.ran;
        sim_destroy(m.sim);
    }
    CU_ASSERT_EQUAL(m.mismatches, 0);
    /* The program did what it is meant to: many events, stops included. */
    CU_ASSERT(ran > 100000);
    CU_ASSERT(stops > 1000);
    CU_ASSERT(scheduled >= ran);
    free(m.pend);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("kernel", NULL, NULL);
    if (s == NULL
        || !CU_add_test(s, "empty kernel", test_empty)
        || !CU_add_test(s, "time order", test_time_order)
        || !CU_add_test(s, "FIFO among equal times", test_fifo_equal_times)
        || !CU_add_test(s, "same time from a handler", test_same_time_from_handler)
        || !CU_add_test(s, "late events after all others at their time", test_late_band)
        || !CU_add_test(s, "cancel", test_cancel)
        || !CU_add_test(s, "stale handle of a reused slot", test_stale_handle_reused_slot)
        || !CU_add_test(s, "own handle inside the handler", test_own_handle_in_handler)
        || !CU_add_test(s, "cancel from a handler", test_cancel_from_handler)
        || !CU_add_test(s, "stop and resume", test_stop_and_resume)
        || !CU_add_test(s, "interrupt flag", test_interrupt)
        || !CU_add_test(s, "run until", test_run_until)
        || !CU_add_test(s, "past and overflow", test_past_and_overflow)
        || !CU_add_test(s, "two kernels", test_two_kernels)
        || !CU_add_test(s, "random operations against a model", test_random_against_model)
        || !CU_add_test(s, "random operations, frequent renumbering", test_random_renumbering)
        || !CU_add_test(s, "event program against a reference kernel", test_differential)
        || !CU_add_test(s, "event program, frequent renumbering", test_differential_renumbering)
        || !CU_add_test(s, "extreme times", test_extreme_times)
        || !CU_add_test(s, "FIFO across heap growth", test_fifo_across_growth)
        || !CU_add_test(s, "cancel at every heap position", test_cancel_every_position)
        || !CU_add_test(s, "sequence limit", test_seq_limit)
        || !CU_add_test(s, "handles across renumbering", test_handles_survive_renumbering)
        || !CU_add_test(s, "dead entry whose slot is reused", test_dead_entry_slot_reused)
        || !CU_add_test(s, "handle of a free slot", test_handle_of_free_slot)
        || !CU_add_test(s, "pending count with cancellations", test_pending_with_cancellations)
        || !CU_add_test(s, "garbage bound (timeout pattern)", test_garbage_bound)
        || !CU_add_test(s, "rebuild inside a handler", test_rebuild_in_handler)
        || !CU_add_test(s, "cancel and reschedule against a model", test_cancel_reschedule_against_model)
        || !CU_add_test(s, "renumbering drops dead entries", test_renumber_drops_dead)
        || !CU_add_test(s, "sim_run from a handler", test_nested_run)
        || !CU_add_test(s, "bench hold", test_bench_hold)
        || !CU_add_test(s, "hold model keeps pending constant", test_hold_pending_constant)
        || !CU_add_test(s, "handlers scheduling 0-3 events against a model", test_handlers_against_model)) {
        CU_cleanup_registry();
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
