/*
 * kernel.c - the future-event set and the run loop.
 *
 * Layout, chosen for the hot path (run one event, schedule its successor):
 *  - heap[]: binary min-heap of {time, seq, slot}, ordered by (time, seq).
 *    Sifting moves a hole instead of swapping, and compares keys held in
 *    the array itself.
 *  - pos[]: the heap index of each slot's entry, a separate uint32 array so
 *    that the index updates made while sifting touch 4 bytes per entry
 *    rather than a whole event body. While a slot is free, pos[] holds the
 *    next free slot instead (the free list, last in first out, so a
 *    handler's successor reuses the slot its event just left).
 *  - body[]: handler, object, argument and generation of each slot, read
 *    once when the event runs.
 * A handle is (generation << 32) | (slot + 1): never 0, and stale once the
 * slot's generation moved on (it is bumped whenever the slot is released).
 * Generations wrap after 2^32 reuses of one slot; a handle kept that long
 * could then alias a newer event.
 *
 * The spent root: while a handler runs, its event's entry stays at heap[0]
 * (its slot already released, root_spent set). It is smaller than every
 * other entry, so sifting elsewhere never passes it. The first event the
 * handler schedules takes over the root and sinks from there: one sift
 * instead of a pop and a push. If the handler schedules nothing, the entry
 * is removed after it returns. Only sim_pending and the handle check need
 * to know.
 *
 * Measured alternatives, kept out (hold model, tests/bench/run.sh): Floyd's
 * bottom-up pop with a branch-free child choice executes fewer mispredicted
 * branches but is slower once the heap outgrows the caches (the next load
 * waits for the comparison, where a predicted branch has already issued
 * it); prefetching grandchildren made no measurable difference at 10^5
 * pending events.
 */
#include "sim/kernel.h"

#include <gsl/gsl_randist.h>
#include <stdlib.h>

#include "sim/rng.h"

#define SIM_NO_SLOT UINT32_MAX
/* Slot indices go up to UINT32_MAX - 1 so that slot + 1 fits 32 bits. */
#define SIM_MAX_SLOTS ((size_t)UINT32_MAX - 1)
#define SIM_INITIAL_CAP ((size_t)64)

typedef struct sim_entry {
    sim_time_t time;
    uint64_t seq;
    uint32_t slot;
} sim_entry_t;

typedef struct sim_body {
    sim_handler_fn handler;
    void *object;
    uint64_t arg;
    uint32_t gen;
} sim_body_t;

struct sim {
    sim_entry_t *heap;
    size_t n;               /* entries in heap */
    size_t heap_cap;
    uint32_t *pos;          /* per slot: heap index, or next free slot */
    sim_body_t *body;       /* per slot */
    size_t slot_cap;
    size_t slots_used;      /* slots ever handed out (high-water mark) */
    uint32_t free_head;     /* first free slot, or SIM_NO_SLOT */
    sim_time_t now;
    uint64_t seq;
    uint64_t executed;
    bool stop;
    bool root_spent;        /* heap[0] is the running event, already freed */
};

static inline bool sim_entry_less(const sim_entry_t *a, const sim_entry_t *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

/* ------------------------------------------------------------ heap */

/* Places e at hole i or above it, moving larger parents down. */
static inline void sim_sift_up(sim_t *sim, size_t i, sim_entry_t e)
{
    sim_entry_t *h = sim->heap;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!sim_entry_less(&e, &h[parent]))
            break;
        h[i] = h[parent];
        sim->pos[h[i].slot] = (uint32_t)i;
        i = parent;
    }
    h[i] = e;
    sim->pos[e.slot] = (uint32_t)i;
}

/* Places e at hole i or below it, moving smaller children up. */
static inline void sim_sift_down(sim_t *sim, size_t i, sim_entry_t e)
{
    sim_entry_t *h = sim->heap;
    size_t n = sim->n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && sim_entry_less(&h[c + 1], &h[c]))
            c++;
        if (!sim_entry_less(&h[c], &e))
            break;
        h[i] = h[c];
        sim->pos[h[i].slot] = (uint32_t)i;
        i = c;
    }
    h[i] = e;
    sim->pos[e.slot] = (uint32_t)i;
}

/* Removes the entry at heap index i: the last entry fills the hole and
 * moves up or down to where it belongs. */
static inline void sim_heap_remove(sim_t *sim, size_t i)
{
    sim_entry_t last = sim->heap[--sim->n];
    if (i == sim->n)
        return;
    if (i > 0 && sim_entry_less(&last, &sim->heap[(i - 1) / 2]))
        sim_sift_up(sim, i, last);
    else
        sim_sift_down(sim, i, last);
}

/* ------------------------------------------------------------ slots */

/* Grows *arr (cap elements of size elem) to new_cap elements. */
static int sim_grow_array(void **arr, size_t new_cap, size_t elem)
{
    if (new_cap > SIZE_MAX / elem)
        return -1;
    void *p = realloc(*arr, new_cap * elem);
    if (p == NULL)
        return -1;
    *arr = p;
    return 0;
}

static size_t sim_next_cap(size_t cap)
{
    if (cap == 0)
        return SIM_INITIAL_CAP;
    if (cap > SIZE_MAX / 2)
        return 0;
    return cap * 2;
}

/* Makes room for one more entry and one more slot. */
static int sim_reserve(sim_t *sim)
{
    if (sim->n == sim->heap_cap) {
        size_t cap = sim_next_cap(sim->heap_cap);
        if (cap == 0 || sim_grow_array((void **)&sim->heap, cap, sizeof *sim->heap) != 0)
            return -1;
        sim->heap_cap = cap;
    }
    if (sim->free_head == SIM_NO_SLOT && sim->slots_used == sim->slot_cap) {
        size_t cap = sim_next_cap(sim->slot_cap);
        if (cap > SIM_MAX_SLOTS)
            cap = SIM_MAX_SLOTS;
        if (cap <= sim->slot_cap)
            return -1;
        /* Grow pos first: if body then fails, the larger pos is harmless
         * because slot_cap still bounds both. */
        if (sim_grow_array((void **)&sim->pos, cap, sizeof *sim->pos) != 0
            || sim_grow_array((void **)&sim->body, cap, sizeof *sim->body) != 0)
            return -1;
        sim->slot_cap = cap;
    }
    return 0;
}

/* Takes a slot; sim_reserve must have succeeded. */
static inline uint32_t sim_slot_take(sim_t *sim)
{
    uint32_t s = sim->free_head;
    if (s != SIM_NO_SLOT) {
        sim->free_head = sim->pos[s];
        return s;
    }
    s = (uint32_t)sim->slots_used++;
    sim->body[s].gen = 0;
    return s;
}

/* Returns a slot to the free list; its handles become stale. */
static inline void sim_slot_release(sim_t *sim, uint32_t s)
{
    sim->body[s].gen++;
    sim->pos[s] = sim->free_head;
    sim->free_head = s;
}

/* The slot named by handle if that event is pending, else SIM_NO_SLOT. */
static uint32_t sim_handle_slot(const sim_t *sim, sim_handle_t handle)
{
    uint64_t low = handle & UINT32_MAX;
    if (low == 0 || low > sim->slots_used)
        return SIM_NO_SLOT;
    uint32_t s = (uint32_t)(low - 1);
    if (sim->body[s].gen != (uint32_t)(handle >> 32))
        return SIM_NO_SLOT;
    /* A free slot's pos[] is a free-list link; no heap entry names it. */
    uint32_t i = sim->pos[s];
    if (i >= sim->n || sim->heap[i].slot != s || (i == 0 && sim->root_spent))
        return SIM_NO_SLOT;
    return s;
}

static inline void sim_body_fill(sim_body_t *b, sim_handler_fn handler, void *object, uint64_t arg)
{
    b->handler = handler;
    b->object = object;
    b->arg = arg;
}

static inline sim_handle_t sim_handle_make(const sim_t *sim, uint32_t s)
{
    return ((uint64_t)sim->body[s].gen << 32) | ((uint64_t)s + 1);
}

/* Removes the entry of the event that just ran if its handler scheduled
 * nothing to take its place. */
static inline void sim_drop_spent_root(sim_t *sim)
{
    if (sim->root_spent) {
        sim->root_spent = false;
        sim_heap_remove(sim, 0);
    }
}

/* ------------------------------------------------------------ API */

sim_t *sim_create(void)
{
    sim_t *sim = calloc(1, sizeof *sim);
    if (sim == NULL)
        return NULL;
    sim->free_head = SIM_NO_SLOT;
    return sim;
}

void sim_destroy(sim_t *sim)
{
    if (sim == NULL)
        return;
    free(sim->heap);
    free(sim->pos);
    free(sim->body);
    free(sim);
}

sim_time_t sim_now(const sim_t *sim)
{
    return sim->now;
}

sim_handle_t sim_schedule_at(sim_t *sim, sim_time_t when, sim_handler_fn handler,
                             void *object, uint64_t arg)
{
    if (when < sim->now)
        return 0;
    if (sim->root_spent) {
        /* The running event's slot is on the free list and its entry still
         * holds the root: take both over, and sink the new entry from the
         * root (one sift instead of a pop and a push). */
        sim->root_spent = false;
        uint32_t s = sim_slot_take(sim);
        sim_body_fill(&sim->body[s], handler, object, arg);
        sim_sift_down(sim, 0, (sim_entry_t){ when, sim->seq++, s });
        return sim_handle_make(sim, s);
    }
    if (sim_reserve(sim) != 0)
        return 0;
    uint32_t s = sim_slot_take(sim);
    sim_body_fill(&sim->body[s], handler, object, arg);
    sim_sift_up(sim, sim->n++, (sim_entry_t){ when, sim->seq++, s });
    return sim_handle_make(sim, s);
}

sim_handle_t sim_schedule_in(sim_t *sim, sim_time_t delay, sim_handler_fn handler,
                             void *object, uint64_t arg)
{
    if (delay < 0 || delay > SIM_TIME_MAX - sim->now)
        return 0;
    return sim_schedule_at(sim, sim->now + delay, handler, object, arg);
}

bool sim_cancel(sim_t *sim, sim_handle_t handle)
{
    uint32_t s = sim_handle_slot(sim, handle);
    if (s == SIM_NO_SLOT)
        return false;
    sim_heap_remove(sim, sim->pos[s]);
    sim_slot_release(sim, s);
    return true;
}

bool sim_is_pending(const sim_t *sim, sim_handle_t handle)
{
    return sim_handle_slot(sim, handle) != SIM_NO_SLOT;
}

sim_run_result_t sim_run(sim_t *sim, sim_time_t until)
{
    sim_run_result_t rr;
    sim->stop = false;
    /* Called from a handler: the caller's spent entry must go first. */
    sim_drop_spent_root(sim);
    for (;;) {
        if (sim->n == 0) {
            rr = SIM_RUN_EMPTY;
            break;
        }
        sim_entry_t top = sim->heap[0];
        if (top.time > until) {
            /* Never move the clock backwards, even for an `until` < now. */
            if (until > sim->now)
                sim->now = until;
            rr = SIM_RUN_UNTIL;
            break;
        }
        /* Copy the body out and free the slot before the handler runs, so
         * the handler may reuse it and sees its own handle as not pending.
         * The entry stays at the root, below every other entry in
         * (time, seq) order, until the handler schedules a successor. */
        sim_body_t b = sim->body[top.slot];
        sim_slot_release(sim, top.slot);
        sim->root_spent = true;
        sim->now = top.time;
        sim->executed++;
        b.handler(sim, b.object, b.arg);
        sim_drop_spent_root(sim);
        if (sim->stop) {
            rr = SIM_RUN_STOPPED;
            break;
        }
    }
    return rr;
}

void sim_stop(sim_t *sim)
{
    sim->stop = true;
}

size_t sim_pending(const sim_t *sim)
{
    return sim->n - (size_t)sim->root_spent;
}

uint64_t sim_executed(const sim_t *sim)
{
    return sim->executed;
}

/* ------------------------------------------------------------ benchmark */

typedef struct sim_bench {
    gsl_rng *rng;
    uint64_t remaining;     /* handlers still to run */
    bool failed;
} sim_bench_t;

/* Exp(mean 1 s) in ns, rounded to the nearest ns (the draw is positive). */
static inline sim_time_t sim_bench_delay(gsl_rng *rng)
{
    return (sim_time_t)(gsl_ran_exponential(rng, (double)SIM_S) + 0.5);
}

static void sim_bench_handler(sim_t *sim, void *object, uint64_t arg)
{
    sim_bench_t *bench = object;
    if (sim_schedule_in(sim, sim_bench_delay(bench->rng), sim_bench_handler, bench, arg) == 0) {
        bench->failed = true;
        sim_stop(sim);
        return;
    }
    if (--bench->remaining == 0)
        sim_stop(sim);
}

/* Every handler schedules its successor before the stop check, so the
 * future-event set holds exactly `pending` events throughout; a different
 * count at the end means the kernel lost or duplicated an event, and is
 * reported like a failure (-1). */
int sim_bench_hold(size_t pending, uint64_t events, uint64_t seed, uint64_t *executed)
{
    int rc = -1;
    sim_bench_t bench = { NULL, events, false };
    sim_t *sim = sim_create();
    if (executed != NULL)
        *executed = 0;
    if (sim == NULL)
        goto out;
    bench.rng = rng_stream_create(seed, 0, "bench/kernel");
    if (bench.rng == NULL)
        goto out;
    for (size_t i = 0; i < pending; i++)
        if (sim_schedule_at(sim, sim_bench_delay(bench.rng), sim_bench_handler, &bench, 0) == 0)
            goto out;
    if (events > 0)
        sim_run(sim, SIM_TIME_MAX);
    if (executed != NULL)
        *executed = sim->executed;
    if (bench.failed || sim->n != pending)
        goto out;
    rc = 0;
out:
    if (bench.rng != NULL)
        rng_stream_free(bench.rng);
    sim_destroy(sim);
    return rc;
}
