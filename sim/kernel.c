/*
 * kernel.c - the future-event set and the run loop.
 *
 * Layout, chosen for the hot path (run one event, schedule its successor;
 * measurements in docs/performance.md):
 *  - heap[]: 4-ary min-heap of 16-byte entries {time, key}, where
 *    key = (seq << 32) | slot. Since seq is unique, comparing (time, key)
 *    is comparing (time, seq): the slot in the low bits never decides. The
 *    array is placed so that the four children of a node (4i+1 .. 4i+4)
 *    fill exactly one 64-byte cache line: a level of a sift costs one line.
 *    Sifting moves a hole instead of swapping.
 *  - pos[]: the heap index of each slot's entry, a separate uint32 array, so
 *    that the index updates made while sifting touch 4 bytes per entry.
 *    While a slot is free, pos[] holds the next free slot instead (the free
 *    list, last in first out, so a handler's successor reuses the slot its
 *    event just left and finds its body in the cache).
 *  - body[]: handler, object, argument and generation of each slot, read
 *    once when the event runs. With 10^5 pending events the bodies
 *    (32 bytes each) do not stay in the cache, and waiting for one per
 *    event cost a third of the run time. So whenever a sift moves an entry
 *    up among the root's children (indices 1 .. 4), its body is prefetched:
 *    that event runs within a few events, and by then its body has arrived.
 * A handle is (generation << 32) | (slot + 1): never 0, and stale once the
 * slot's generation moved on (it is bumped whenever the slot is released).
 * Generations wrap after 2^32 reuses of one slot; a handle kept that long
 * could then alias a newer event.
 *
 * The sequence has 32 bits in the key. When it reaches its limit (2^32),
 * the pending entries are renumbered 0 .. n-1 in (time, seq) order (a sort,
 * O(n log n), once per about 2^32 schedulings), so order is kept exactly
 * and the counter never wraps. Scheduling fails (returns 0) only if the
 * renumbered set still leaves no sequence number, i.e. with about 2^32
 * events pending, which the slot limit (2^32 - 1) already rules out.
 *
 * The spent root: while a handler runs, its event's entry stays at heap[0]
 * (its slot already released, root_spent set). It is smaller than every
 * other entry, so sifting elsewhere never passes it. The first event the
 * handler schedules takes over the root and sinks from there: one sift
 * instead of a pop and a push. If the handler schedules nothing, the entry
 * is removed after it returns. Only sim_pending, the handle check and the
 * renumbering need to know. Kept because one sift from the root was at
 * least as fast as a pop and a push in a stand-alone test of the same
 * heap (docs/performance.md), and it saves moving the last entry.
 *
 * Measured and kept out (docs/performance.md): a tournament choice of the
 * least child (two pairs, then their winners), a single unsigned __int128
 * key compare (GCC builds both halves first: more instructions), an
 * unrolled full-group sift, prefetching the grandchildren's lines, and a
 * prefetch of the root's least child just before its handler runs (too
 * late to hide the miss).
 */
#include "sim/kernel.h"

#include <stdlib.h>
#include <string.h>

#include "sim/kernel_debug.h"

#define SIM_NO_SLOT UINT32_MAX
/* Slot indices go up to UINT32_MAX - 1 so that slot + 1 fits 32 bits. */
#define SIM_MAX_SLOTS ((size_t)UINT32_MAX - 1)
#define SIM_INITIAL_CAP ((size_t)64)
#define SIM_SLOT_BITS 32
#define SIM_SLOT_MASK ((UINT64_C(1) << SIM_SLOT_BITS) - 1)
#define SIM_SEQ_LIMIT (UINT64_C(1) << (64 - SIM_SLOT_BITS))
#define SIM_ARITY 4
#define SIM_LINE 64
/* heap[0] sits this many entries past a line boundary, so that heap[1]
 * (and so every group of four siblings) starts one. */
#define SIM_HEAP_SKEW (SIM_LINE / sizeof(sim_entry_t) - 1)

typedef struct sim_entry {
    sim_time_t time;
    uint64_t key;           /* (seq << 32) | slot */
} sim_entry_t;

typedef struct sim_body {
    sim_handler_fn handler;
    void *object;
    uint64_t arg;
    uint32_t gen;
} sim_body_t;

struct sim {
    sim_entry_t *heap;      /* heap_base + SIM_HEAP_SKEW */
    sim_entry_t *heap_base; /* what was allocated */
    size_t n;               /* entries in heap */
    size_t heap_cap;
    uint32_t *pos;          /* per slot: heap index, or next free slot */
    sim_body_t *body;       /* per slot */
    size_t slot_cap;
    size_t slots_used;      /* slots ever handed out (high-water mark) */
    uint32_t free_head;     /* first free slot, or SIM_NO_SLOT */
    sim_time_t now;
    uint64_t seq;           /* next sequence number, < seq_limit */
    uint64_t seq_limit;     /* SIM_SEQ_LIMIT, lower only in tests */
    uint64_t executed;
    bool stop;
    bool root_spent;        /* heap[0] is the running event, already freed */
    const volatile sig_atomic_t *interrupt;   /* never NULL: sim_no_interrupt */
};

/* What sim->interrupt points at when nobody asked: a constant 0, so the
 * run loop reads one flag per event without a NULL test. */
static const volatile sig_atomic_t sim_no_interrupt = 0;

static inline bool sim_entry_less(sim_entry_t a, sim_entry_t b)
{
    return a.time < b.time || (a.time == b.time && a.key < b.key);
}

static inline uint32_t sim_entry_slot(sim_entry_t e)
{
    return (uint32_t)(e.key & SIM_SLOT_MASK);
}

static inline void sim_prefetch(const void *p)
{
#if defined(__GNUC__)
    __builtin_prefetch(p);
#else
    (void)p;
#endif
}

/* ------------------------------------------------------------ heap */

/* Places e at hole i or above it, moving larger parents down. */
static inline void sim_sift_up(sim_t *sim, size_t i, sim_entry_t e)
{
    sim_entry_t *h = sim->heap;
    while (i > 0) {
        size_t parent = (i - 1) / SIM_ARITY;
        if (!sim_entry_less(e, h[parent]))
            break;
        h[i] = h[parent];
        sim->pos[sim_entry_slot(h[i])] = (uint32_t)i;
        i = parent;
    }
    h[i] = e;
    sim->pos[sim_entry_slot(e)] = (uint32_t)i;
}

/* The least of the children c .. c+3 (fewer when the heap ends first). */
static inline size_t sim_min_child(const sim_entry_t *h, size_t c, size_t n)
{
    size_t end = c + SIM_ARITY < n ? c + SIM_ARITY : n;
    size_t m = c;
    for (size_t k = c + 1; k < end; k++)
        if (sim_entry_less(h[k], h[m]))
            m = k;
    return m;
}

/* Places e at hole i or below it, moving smaller children up. An entry
 * that moves up among the root's children (hole index 1 .. 4) will run
 * within a few events: its body is prefetched then, so that the run loop
 * finds it in the cache instead of waiting for memory. */
static inline void sim_sift_down(sim_t *sim, size_t i, sim_entry_t e)
{
    sim_entry_t *h = sim->heap;
    size_t n = sim->n;
    for (;;) {
        size_t c = SIM_ARITY * i + 1;
        if (c >= n)
            break;
        size_t m = sim_min_child(h, c, n);
        if (!sim_entry_less(h[m], e))
            break;
        uint32_t s = sim_entry_slot(h[m]);
        h[i] = h[m];
        sim->pos[s] = (uint32_t)i;
        if (i - 1 < SIM_ARITY)
            sim_prefetch(&sim->body[s]);
        i = m;
    }
    h[i] = e;
    sim->pos[sim_entry_slot(e)] = (uint32_t)i;
}

/* Removes the entry at heap index i: the last entry fills the hole and
 * moves up or down to where it belongs. */
static inline void sim_heap_remove(sim_t *sim, size_t i)
{
    sim_entry_t last = sim->heap[--sim->n];
    if (i == sim->n)
        return;
    if (i > 0 && sim_entry_less(last, sim->heap[(i - 1) / SIM_ARITY]))
        sim_sift_up(sim, i, last);
    else
        sim_sift_down(sim, i, last);
}

static int sim_entry_cmp(const void *pa, const void *pb)
{
    const sim_entry_t *a = pa, *b = pb;
    return sim_entry_less(*a, *b) ? -1 : sim_entry_less(*b, *a);
}

/* Gives the pending entries the sequence numbers 0 .. n-1 in their
 * (time, seq) order. A sorted array is a valid heap, and the spent root,
 * the least entry, stays at 0 (its slot is free: its pos[] is a free-list
 * link and is left alone). Returns -1 if no number is left after that. */
static int sim_renumber(sim_t *sim)
{
    qsort(sim->heap, sim->n, sizeof *sim->heap, sim_entry_cmp);
    for (size_t i = 0; i < sim->n; i++) {
        uint32_t s = sim_entry_slot(sim->heap[i]);
        sim->heap[i].key = ((uint64_t)i << SIM_SLOT_BITS) | s;
        if (i > 0 || !sim->root_spent)
            sim->pos[s] = (uint32_t)i;
    }
    sim->seq = sim->n;
    return sim->seq < sim->seq_limit ? 0 : -1;
}

/* The next sequence number, renumbering first when the counter is spent. */
static inline int sim_next_seq(sim_t *sim, uint64_t *seq)
{
    if (sim->seq >= sim->seq_limit && sim_renumber(sim) != 0)
        return -1;
    *seq = sim->seq++;
    return 0;
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

/* Grows the heap to cap entries, keeping sibling groups line-aligned
 * (realloc does not keep an alignment, so this copies). */
static int sim_grow_heap(sim_t *sim, size_t cap)
{
    int rc = -1;
    size_t bytes;
    if (cap > SIZE_MAX / sizeof(sim_entry_t) - SIM_LINE)
        goto out;
    bytes = (cap + SIM_HEAP_SKEW) * sizeof(sim_entry_t);
    bytes = (bytes + SIM_LINE - 1) / SIM_LINE * SIM_LINE;   /* aligned_alloc wants a multiple */
    sim_entry_t *base = aligned_alloc(SIM_LINE, bytes);
    if (base == NULL)
        goto out;
    if (sim->n > 0)
        memcpy(base + SIM_HEAP_SKEW, sim->heap, sim->n * sizeof *sim->heap);
    free(sim->heap_base);
    sim->heap_base = base;
    sim->heap = base + SIM_HEAP_SKEW;
    sim->heap_cap = cap;
    rc = 0;
out:
    return rc;
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
        if (cap == 0 || sim_grow_heap(sim, cap) != 0)
            return -1;
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

/* Takes a slot; sim_reserve must have succeeded (or a slot be free). */
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
    if (i >= sim->n || sim_entry_slot(sim->heap[i]) != s || (i == 0 && sim->root_spent))
        return SIM_NO_SLOT;
    return s;
}

/* Takes a slot and fills its body; returns the slot. */
static inline uint32_t sim_slot_fill(sim_t *sim, sim_handler_fn handler, void *object,
                                     uint64_t arg)
{
    uint32_t s = sim_slot_take(sim);
    sim_body_t *b = &sim->body[s];
    b->handler = handler;
    b->object = object;
    b->arg = arg;
    return s;
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
    sim->seq_limit = SIM_SEQ_LIMIT;
    sim->interrupt = &sim_no_interrupt;
    return sim;
}

void sim_destroy(sim_t *sim)
{
    if (sim == NULL)
        return;
    free(sim->heap_base);
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
    uint64_t seq;
    if (when < sim->now || sim_next_seq(sim, &seq) != 0)
        return 0;
    if (sim->root_spent) {
        /* The running event's slot is on the free list and its entry still
         * holds the root: take both over, and sink the new entry from the
         * root (one sift instead of a pop and a push). */
        sim->root_spent = false;
        uint32_t s = sim_slot_fill(sim, handler, object, arg);
        sim_sift_down(sim, 0, (sim_entry_t){ when, (seq << SIM_SLOT_BITS) | s });
        return sim_handle_make(sim, s);
    }
    if (sim_reserve(sim) != 0)
        return 0;
    uint32_t s = sim_slot_fill(sim, handler, object, arg);
    sim_sift_up(sim, sim->n++, (sim_entry_t){ when, (seq << SIM_SLOT_BITS) | s });
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
        uint32_t s = sim_entry_slot(top);
        sim_body_t b = sim->body[s];
        sim_slot_release(sim, s);
        sim->root_spent = true;
        sim->now = top.time;
        sim->executed++;
        b.handler(sim, b.object, b.arg);
        sim_drop_spent_root(sim);
        if (sim->stop | (*sim->interrupt != 0)) {
            rr = SIM_RUN_STOPPED;
            break;
        }
    }
    return rr;
}

void sim_set_interrupt(sim_t *sim, const volatile sig_atomic_t *flag)
{
    sim->interrupt = flag != NULL ? flag : &sim_no_interrupt;
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

/* ------------------------------------------------------------ tests */

int sim_debug_set_seq_limit(sim_t *sim, uint64_t limit)
{
    if (limit == 0 || limit > SIM_SEQ_LIMIT)
        return -1;
    sim->seq_limit = limit;
    return 0;
}

uint64_t sim_debug_next_seq(const sim_t *sim)
{
    return sim->seq;
}
