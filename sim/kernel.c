/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kernel.c - the future-event set and the run loop.
 *
 * Layout, chosen for the hot path (run one event, schedule its successor;
 * measurements in docs/performance.md):
 *  - heap[]: 4-ary min-heap of 16-byte entries {key, time}, where
 *    key = (seq << 32) | slot. Since seq is unique, comparing (time, key)
 *    is comparing (time, seq): the slot in the low bits never decides. The
 *    pair compares as one signed 128-bit number (time high, key low: a
 *    compare and a subtract-with-borrow) where the compiler has one. The
 *    array is placed so that the four children of a node (4i+1 .. 4i+4)
 *    fill exactly one 64-byte cache line: a level of a sift costs one line.
 *    Past the last entry the array holds SIM_ENTRY_PAD up to its end (and
 *    SIM_ARITY beyond), greater than every entry, so the least child is
 *    found by three compares with no bound to test. Sifting moves a hole
 *    instead of swapping, and writes nothing but the heap: no map from
 *    slots to heap positions is kept (see cancellation).
 *  - body[]: handler, object, argument, generation and sequence number of
 *    each slot, read once when the event runs. With 10^5 pending events the
 *    bodies (32 bytes each) do not stay in the cache, and waiting for one
 *    per event cost a third of the run time. So whenever a sift moves an
 *    entry up among the root's children (indices 1 .. 4), its body is
 *    prefetched: that event runs within a few events, and by then its body
 *    has arrived. While a slot is free, its `arg` holds the next free slot
 *    (the free list, last in first out) and its `seq` holds SIM_SEQ_FREE.
 *    A handler's first successor takes the slot its event just left (see
 *    the spent root) and finds its body in the cache.
 * A handle is (generation << 32) | (slot + 1): never 0, and stale once the
 * slot's generation moved on (it is bumped whenever the slot's event
 * ends: when it runs or is cancelled).
 * Generations wrap after 2^32 reuses of one slot; a handle kept that long
 * could then alias a newer event.
 *
 * Cancellation is lazy. sim_cancel releases the slot (O(1)) and leaves its
 * heap entry in place, dead: an entry is live only while its slot's body
 * holds the entry's own sequence number. Releasing the slot (SIM_SEQ_FREE)
 * or reusing it (another event, another number: no two entries in the heap
 * share one) changes that for good. A dead entry is dropped when it
 * reaches the root. So that dead entries cannot
 * pile up (a timeout cancelled and set again on every event), the heap is
 * rebuilt without them (O(n), bottom-up) when a cancellation leaves more
 * dead entries than live ones: each rebuild is paid for by the
 * cancellations since the last one (each dead entry comes from one), and
 * since only a cancellation adds a dead entry, there are never more dead
 * entries than the most live ones at once. The eager alternative (a slot ->
 * heap index map, updated at every level of every sift, and an O(log n)
 * removal) cost a 4-byte write per level moved on the hot path and twice
 * the L1 misses per event (docs/performance.md).
 *
 * The sequence has 32 bits in the key, and SIM_SEQ_FREE (2^32 - 1) is
 * never one. Its top bit is the band (SIM_SEQ_LATE): late events compare
 * after every event of band 0 at the same time; the counter below it has
 * 31 bits. When the next number would reach the limit, the live entries
 * are renumbered 0 .. n-1 in (time, seq) order (dead ones are dropped; a
 * sort, O(n log n), once per about 2^32 schedulings), so order is kept
 * exactly and the counter never wraps. Scheduling fails (returns 0) only if
 * the renumbered set would leave no sequence number, i.e. with 2^31 - 1
 * events pending; renumbering then changes nothing, so no number can reach
 * the band bit.
 *
 * The spent root: while a handler runs, its event's entry stays at heap[0]
 * and root_spent is set; its slot is retired (generation bumped, seq
 * SIM_SEQ_FREE: its handles are stale, the entry looks dead) but kept off
 * the free list. The entry is smaller than every other entry, so sifting
 * elsewhere never passes it. The first event the handler schedules takes
 * over both the root entry and the slot, and sinks from the root: one sift
 * instead of a pop and a push, and no free-list traffic. If the handler
 * schedules nothing, the slot goes to the free list and the entry is
 * popped after it returns. Only the live count, the rebuild and the
 * renumbering need to know (the entry looks dead but must stay at the
 * root).
 *
 * The sift's branches are kept as branches on purpose (SIM_KEEP_BRANCH):
 * deep levels of a heap of 10^5 entries wait for memory, and a predicted
 * branch lets the CPU start on the next level's line before this one has
 * arrived, which a conditional move does not (docs/performance.md).
 *
 * Measured and kept out (docs/performance.md): a branch-free choice of the
 * least child (a tournament of two pairs, or masks), prefetching the
 * grandchildren's lines, and a prefetch of the root's least child just
 * before its handler runs (too late to hide the miss).
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
/* A free slot's body.seq: no entry ever gets this number, so an entry of a
 * released slot can never look live. */
#define SIM_SEQ_FREE UINT32_MAX
/* The top bit of a sequence number is its band: set for late events
 * (sim_schedule_late_at), so that at equal times every late event sorts
 * after every other. The counter itself stays below 2^31 - 1, so a late
 * number is never SIM_SEQ_FREE. */
#define SIM_SEQ_LATE (UINT32_C(1) << 31)
#define SIM_SEQ_LIMIT ((uint64_t)SIM_SEQ_LATE - 1)
#define SIM_ARITY 4
#define SIM_LINE 64
/* heap[0] sits this many entries past a line boundary, so that heap[1]
 * (and so every group of four siblings) starts one. */
#define SIM_HEAP_SKEW (SIM_LINE / sizeof(sim_entry_t) - 1)
/* Entries past the end of the heap, up to heap_cap + SIM_ARITY, hold this:
 * greater than every entry (no sequence number is SIM_SEQ_FREE), so a node
 * always has four children to compare. */
#define SIM_ENTRY_PAD ((sim_entry_t){ .time = SIM_TIME_MAX, .key = UINT64_MAX })

typedef struct sim_entry {
    uint64_t key;           /* (seq << 32) | slot */
    sim_time_t time;
} sim_entry_t;

typedef struct sim_body {
    sim_handler_fn handler;
    void *object;
    uint64_t arg;           /* while free: the next free slot */
    uint32_t gen;
    uint32_t seq;           /* the pending event's sequence, or SIM_SEQ_FREE */
} sim_body_t;

struct sim {
    sim_entry_t *heap;      /* heap_base + SIM_HEAP_SKEW */
    sim_entry_t *heap_base; /* what was allocated */
    size_t n;               /* entries in heap: live, dead and the spent root */
    size_t heap_cap;
    size_t live;            /* pending events (live entries) */
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

#if defined(__SIZEOF_INT128__)
typedef __int128 sim_order_t;
static inline sim_order_t sim_entry_order(sim_entry_t e)
{
    return (sim_order_t)((unsigned __int128)(uint64_t)e.time << 64 | e.key);
}
static inline bool sim_entry_less(sim_entry_t a, sim_entry_t b)
{
    return sim_entry_order(a) < sim_entry_order(b);
}
#else
static inline bool sim_entry_less(sim_entry_t a, sim_entry_t b)
{
    return a.time < b.time || (a.time == b.time && a.key < b.key);
}
#endif

static inline uint32_t sim_entry_slot(sim_entry_t e)
{
    return (uint32_t)(e.key & SIM_SLOT_MASK);
}

static inline uint32_t sim_entry_seq(sim_entry_t e)
{
    return (uint32_t)(e.key >> SIM_SLOT_BITS);
}

/* False once the entry's event was cancelled (or ran: the spent root). */
static inline bool sim_entry_live(const sim_t *sim, sim_entry_t e)
{
    return sim->body[sim_entry_slot(e)].seq == sim_entry_seq(e);
}

/* Entries that are neither live nor the spent root. */
static inline size_t sim_dead(const sim_t *sim)
{
    return sim->n - sim->live - (size_t)sim->root_spent;
}

/* The sift down is the hot path of both scheduling and running; GCC keeps
 * it out of line (it has several callers), which costs a call and the
 * saving of six registers per event. */
#if defined(__GNUC__)
#define SIM_ALWAYS_INLINE __attribute__((always_inline))
#else
#define SIM_ALWAYS_INLINE
#endif

/* An empty asm statement: GCC does not turn a conditional block holding
 * one into a conditional move. */
#if defined(__GNUC__)
#define SIM_KEEP_BRANCH() __asm__ volatile("")
#else
#define SIM_KEEP_BRANCH() ((void)0)
#endif

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
        i = parent;
    }
    h[i] = e;
}

/* The least of the children c .. c+3. Entries past the end are
 * SIM_ENTRY_PAD, greater than every entry, so no bound is tested. Each
 * choice stays a branch (SIM_KEEP_BRANCH): the CPU then guesses the child
 * and starts loading the next level's line while this one is still on its
 * way; as a conditional move (what GCC makes of the last choice otherwise)
 * every level waits for its line, and the hold model ran markedly slower
 * (docs/performance.md). */
static inline size_t sim_min_child(const sim_entry_t *h, size_t c)
{
    size_t m = c;
    if (sim_entry_less(h[c + 1], h[m])) {
        m = c + 1;
        SIM_KEEP_BRANCH();
    }
    if (sim_entry_less(h[c + 2], h[m])) {
        m = c + 2;
        SIM_KEEP_BRANCH();
    }
    if (sim_entry_less(h[c + 3], h[m])) {
        m = c + 3;
        SIM_KEEP_BRANCH();
    }
    return m;
}

/* One level of a sift down from hole *i: if the least child is less than
 * e, moves it up into the hole, makes its place the hole and returns true;
 * returns false when e belongs at *i. */
static inline bool sim_sift_step(sim_entry_t *h, size_t n, size_t *i, sim_entry_t e)
{
    size_t c = SIM_ARITY * *i + 1;
    if (c >= n)
        return false;
    size_t m = sim_min_child(h, c);
    if (!sim_entry_less(h[m], e))
        return false;
    h[*i] = h[m];
    *i = m;
    return true;
}

/* Places e at hole i or below it, moving smaller children up. */
static void sim_sift_down(sim_t *sim, size_t i, sim_entry_t e)
{
    while (sim_sift_step(sim->heap, sim->n, &i, e))
        continue;
    sim->heap[i] = e;
}

/* The same from the root, the hot path of both scheduling and running. An
 * entry that moves up among the root's children (hole index 1 .. 4, the
 * second level of the sift) will run within a few events: its body is
 * prefetched then, so that the run loop finds it in the cache instead of
 * waiting for memory. */
SIM_ALWAYS_INLINE static inline void sim_sift_down_root(sim_t *sim, sim_entry_t e)
{
    sim_entry_t *h = sim->heap;
    size_t n = sim->n;
    size_t i = 0;
    if (sim_sift_step(h, n, &i, e)) {
        size_t child = i;
        if (sim_sift_step(h, n, &i, e)) {
            sim_prefetch(&sim->body[sim_entry_slot(h[child])]);
            while (sim_sift_step(h, n, &i, e))
                continue;
        }
    }
    h[i] = e;
}

/* Shortens the heap to n entries, padding the positions given up. */
static inline void sim_heap_truncate(sim_t *sim, size_t n)
{
    for (size_t i = n; i < sim->n; i++)
        sim->heap[i] = SIM_ENTRY_PAD;
    sim->n = n;
}

/* Removes the root: the last entry fills the hole and sinks. */
static inline void sim_heap_pop(sim_t *sim)
{
    sim_entry_t last = sim->heap[--sim->n];
    sim->heap[sim->n] = SIM_ENTRY_PAD;
    if (sim->n > 0)
        sim_sift_down_root(sim, last);
}

/* Moves the live entries (and the spent root, kept at index 0) to the front
 * of the heap array, in their present order; returns how many there are. */
static size_t sim_compact(sim_t *sim)
{
    sim_entry_t *h = sim->heap;
    size_t k = (size_t)sim->root_spent;
    for (size_t i = k; i < sim->n; i++)
        if (sim_entry_live(sim, h[i]))
            h[k++] = h[i];
    return k;
}

/* Drops the dead entries and restores the heap bottom-up (Floyd, O(n)).
 * The spent root is the least entry, so it stays at index 0. */
static void sim_rebuild(sim_t *sim)
{
    sim_heap_truncate(sim, sim_compact(sim));
    if (sim->n < 2)
        return;
    for (size_t i = (sim->n - 2) / SIM_ARITY + 1; i-- > 0;)
        sim_sift_down(sim, i, sim->heap[i]);
}

static int sim_entry_cmp(const void *pa, const void *pb)
{
    const sim_entry_t *a = pa, *b = pb;
    return sim_entry_less(*a, *b) ? -1 : sim_entry_less(*b, *a);
}

/* Gives the live entries the sequence numbers 0 .. n-1 in their
 * (time, seq) order, each keeping its band, dropping the dead ones.
 * Numbers then still increase along (time, band, old number), so the
 * order is unchanged. A sorted array is a valid
 * heap, and the spent root, the least entry, stays at 0 (its slot is free
 * and its body is left alone). Returns -1 if no number is left after
 * that. */
static int sim_renumber(sim_t *sim)
{
    sim_heap_truncate(sim, sim_compact(sim));
    qsort(sim->heap, sim->n, sizeof *sim->heap, sim_entry_cmp);
    if (sim->n >= sim->seq_limit)
        return -1;   /* no number left even after renumbering: keep every key */
    for (size_t i = 0; i < sim->n; i++) {
        uint32_t s = sim_entry_slot(sim->heap[i]);
        uint32_t seq = (uint32_t)i | (sim_entry_seq(sim->heap[i]) & SIM_SEQ_LATE);
        sim->heap[i].key = ((uint64_t)seq << SIM_SLOT_BITS) | s;
        if (i > 0 || !sim->root_spent)
            sim->body[s].seq = seq;
    }
    sim->seq = sim->n;
    return 0;
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

/* Grows the heap to cap entries, keeping sibling groups line-aligned
 * (realloc does not keep an alignment, so this copies). */
static int sim_grow_heap(sim_t *sim, size_t cap)
{
    int rc = -1;
    size_t bytes;
    if (cap > SIZE_MAX / sizeof(sim_entry_t) - SIM_LINE)
        goto out;
    bytes = (cap + SIM_HEAP_SKEW + SIM_ARITY) * sizeof(sim_entry_t);
    bytes = (bytes + SIM_LINE - 1) / SIM_LINE * SIM_LINE;   /* aligned_alloc wants a multiple */
    sim_entry_t *base = aligned_alloc(SIM_LINE, bytes);
    if (base == NULL)
        goto out;
    if (sim->n > 0)
        memcpy(base + SIM_HEAP_SKEW, sim->heap, sim->n * sizeof *sim->heap);
    for (size_t i = sim->n; i < cap + SIM_ARITY; i++)
        base[SIM_HEAP_SKEW + i] = SIM_ENTRY_PAD;
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
        if (cap <= sim->slot_cap || cap > SIZE_MAX / sizeof *sim->body)
            return -1;
        sim_body_t *p = realloc(sim->body, cap * sizeof *sim->body);
        if (p == NULL)
            return -1;
        sim->body = p;
        sim->slot_cap = cap;
    }
    return 0;
}

/* Takes a slot; sim_reserve must have succeeded (or a slot be free). */
static inline uint32_t sim_slot_take(sim_t *sim)
{
    uint32_t s = sim->free_head;
    if (s != SIM_NO_SLOT) {
        sim->free_head = (uint32_t)sim->body[s].arg;
        return s;
    }
    s = (uint32_t)sim->slots_used++;
    sim->body[s].gen = 0;
    return s;
}

/* Ends the slot's event: its handles become stale and its heap entry, if
 * still there, dead. The slot is not yet on the free list. */
static inline void sim_slot_retire(sim_t *sim, uint32_t s)
{
    sim_body_t *b = &sim->body[s];
    b->gen++;
    b->seq = SIM_SEQ_FREE;
}

/* Puts a retired slot on the free list. */
static inline void sim_slot_free(sim_t *sim, uint32_t s)
{
    sim->body[s].arg = sim->free_head;
    sim->free_head = s;
}

/* Ends the slot's event and frees the slot (a cancellation). */
static inline void sim_slot_release(sim_t *sim, uint32_t s)
{
    sim_slot_retire(sim, s);
    sim_slot_free(sim, s);
}

/* The slot named by handle if that event is pending, else SIM_NO_SLOT.
 * The generation changes whenever a slot's event ends, so a matching
 * generation on a slot in use names the event now in it. */
static uint32_t sim_handle_slot(const sim_t *sim, sim_handle_t handle)
{
    uint64_t low = handle & UINT32_MAX;
    if (low == 0 || low > sim->slots_used)
        return SIM_NO_SLOT;
    uint32_t s = (uint32_t)(low - 1);
    const sim_body_t *b = &sim->body[s];
    if (b->gen != (uint32_t)(handle >> 32) || b->seq == SIM_SEQ_FREE)
        return SIM_NO_SLOT;
    return s;
}

/* Fills slot s with the event that has sequence number seq. */
static inline void sim_slot_fill(sim_t *sim, uint32_t s, uint64_t seq, sim_handler_fn handler,
                                 void *object, uint64_t arg)
{
    sim_body_t *b = &sim->body[s];
    b->handler = handler;
    b->object = object;
    b->arg = arg;
    b->seq = (uint32_t)seq;
    sim->live++;
}

static inline sim_handle_t sim_handle_make(const sim_t *sim, uint32_t s)
{
    return ((uint64_t)sim->body[s].gen << 32) | ((uint64_t)s + 1);
}

/* Removes the entry of the event that just ran, and frees its slot, if
 * its handler scheduled nothing to take their place. */
static inline void sim_drop_spent_root(sim_t *sim)
{
    if (sim->root_spent) {
        sim->root_spent = false;
        sim_slot_free(sim, sim_entry_slot(sim->heap[0]));
        sim_heap_pop(sim);
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
    free(sim->body);
    free(sim);
}

sim_time_t sim_now(const sim_t *sim)
{
    return sim->now;
}

/* Schedules in band 0 (sim_schedule_at) or SIM_SEQ_LATE. */
static inline sim_handle_t sim_schedule_band(sim_t *sim, sim_time_t when, uint32_t band,
                                             sim_handler_fn handler, void *object,
                                             uint64_t arg)
{
    uint64_t seq;
    if (when < sim->now || sim_next_seq(sim, &seq) != 0)
        return 0;
    seq |= band;
    if (sim->root_spent) {
        /* The running event's entry still holds the root and its retired
         * slot is kept for it: take both over, and sink the new entry from
         * the root (one sift instead of a pop and a push). */
        sim->root_spent = false;
        uint32_t s = sim_entry_slot(sim->heap[0]);
        sim_slot_fill(sim, s, seq, handler, object, arg);
        sim_handle_t handle = sim_handle_make(sim, s);
        sim_sift_down_root(sim, (sim_entry_t){ .time = when, .key = (seq << SIM_SLOT_BITS) | s });
        return handle;
    }
    if (sim_reserve(sim) != 0)
        return 0;
    uint32_t s = sim_slot_take(sim);
    sim_slot_fill(sim, s, seq, handler, object, arg);
    sim_sift_up(sim, sim->n++, (sim_entry_t){ .time = when, .key = (seq << SIM_SLOT_BITS) | s });
    return sim_handle_make(sim, s);
}

sim_handle_t sim_schedule_at(sim_t *sim, sim_time_t when, sim_handler_fn handler,
                             void *object, uint64_t arg)
{
    return sim_schedule_band(sim, when, 0, handler, object, arg);
}

sim_handle_t sim_schedule_late_at(sim_t *sim, sim_time_t when, sim_handler_fn handler,
                                  void *object, uint64_t arg)
{
    return sim_schedule_band(sim, when, SIM_SEQ_LATE, handler, object, arg);
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
    /* The entry stays in the heap, dead (kernel.c, top). */
    sim_slot_release(sim, s);
    sim->live--;
    if (sim_dead(sim) > sim->live)
        sim_rebuild(sim);
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
        if (sim->live == 0) {
            /* What is left is dead: drop it all at once. */
            sim_heap_truncate(sim, 0);
            rr = SIM_RUN_EMPTY;
            break;
        }
        sim_entry_t top = sim->heap[0];
        uint32_t s = sim_entry_slot(top);
        sim_body_t *bp = &sim->body[s];
        if (bp->seq != sim_entry_seq(top)) {
            sim_heap_pop(sim);      /* cancelled */
            continue;
        }
        if (top.time > until) {
            /* Never move the clock backwards, even for an `until` < now. */
            if (until > sim->now)
                sim->now = until;
            rr = SIM_RUN_UNTIL;
            break;
        }
        /* Copy the body out and retire the slot before the handler runs,
         * so that it sees its own handle as not pending. The entry stays
         * at the root, below every other entry in (time, seq) order, and
         * the slot stays with it, until the handler schedules a successor,
         * which takes both over. */
        sim_body_t b = *bp;
        sim_slot_retire(sim, s);
        sim->live--;
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
    return sim->live;
}

uint64_t sim_executed(const sim_t *sim)
{
    return sim->executed;
}

/* ------------------------------------------------------------ tests */

int sim_debug_set_seq_limit(sim_t *sim, uint64_t limit)
{
    if (limit == 0 || limit > (UINT64_C(1) << 32))
        return -1;
    /* The counter stays below SIM_SEQ_LIMIT (2^31 - 1: the top bit is the
     * band, and 2^32 - 1 is SIM_SEQ_FREE). */
    sim->seq_limit = limit < SIM_SEQ_LIMIT ? limit : SIM_SEQ_LIMIT;
    return 0;
}

uint64_t sim_debug_next_seq(const sim_t *sim)
{
    return sim->seq;
}

size_t sim_debug_heap_entries(const sim_t *sim)
{
    return sim->n;
}
