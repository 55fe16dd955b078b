/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kernel.h - the discrete-event kernel.
 *
 * Time is an int64 count of nanoseconds since the start of the run
 * (sim_time_t); every time from 0 to SIM_TIME_MAX may be scheduled. The
 * future-event set is a 4-ary min-heap whose array holds the key
 * (time, sequence) inline, 16 bytes per entry with four siblings to a cache
 * line, so sifting compares integers in one contiguous array and never
 * follows a pointer. While a handler runs, its event keeps the root; the
 * first event the handler schedules replaces it there and sinks (one sift
 * per event in the common "handle one, schedule the next" pattern). The sequence is a global insertion counter: events
 * with equal times run in the order they were scheduled (FIFO), except
 * that late events (sim_schedule_late_at) run after all others at their
 * time. It has 31 bits in the key, below the band bit; when they run out the pending events are renumbered in
 * order (kernel.c), so FIFO order holds however long a run lasts. Event
 * bodies (handler, object, argument) live in a separate slot pool; a handle
 * names a slot and a generation, so a handle of an event that already ran
 * or was cancelled is recognised as stale.
 *
 * Cancellation is lazy: it frees the event's slot at once and leaves its
 * heap entry behind, dead, to be dropped when it reaches the root; when
 * dead entries outnumber the pending events, the heap is rebuilt without
 * them (kernel.c). Only live events count in sim_pending.
 *
 * Limits: at most 2^32 - 2 events pending at once (scheduling past that
 * returns 0, as when memory runs out); a handle kept across 2^32 reuses of
 * its slot could alias a newer event.
 *
 * Trade-offs: scheduling is O(log n), cancelling O(1) amortised (the
 * rebuilds, O(n) each, are paid for by the cancellations since the last),
 * popping is O(log n) (plus an O(n log n) renumbering once per about 4.3e9
 * schedulings); dead entries never outnumber the most events pending at
 * once, so the heap holds at most about twice that many entries; the slot
 * pool and heap grow by doubling and never shrink during a run.
 * Nothing here reads the wall clock and nothing here is global: two sim_t
 * run side by side independently.
 *
 * Ownership: the kernel owns its arrays; objects passed to handlers belong
 * to the caller and must outlive the events that name them.
 */
#ifndef QKM_SIM_KERNEL_H
#define QKM_SIM_KERNEL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t sim_time_t;            /* nanoseconds */

#define SIM_TIME_MAX INT64_MAX
#define SIM_NS ((sim_time_t)1)
#define SIM_US ((sim_time_t)1000)
#define SIM_MS ((sim_time_t)1000000)
#define SIM_S ((sim_time_t)1000000000)

typedef struct sim sim_t;

/* Names one scheduled event; 0 is never a valid handle. */
typedef uint64_t sim_handle_t;

/* An event handler: object and arg are what was given to sim_schedule_*. */
typedef void (*sim_handler_fn)(sim_t *sim, void *object, uint64_t arg);

typedef enum sim_run_result {
    SIM_RUN_EMPTY,    /* no event left */
    SIM_RUN_UNTIL,    /* the next event lies after `until`; now == until */
    SIM_RUN_STOPPED   /* a handler called sim_stop() */
} sim_run_result_t;

/* Returns a kernel at time 0 with no events, or NULL when out of memory. */
sim_t *sim_create(void);
void sim_destroy(sim_t *sim);

sim_time_t sim_now(const sim_t *sim);

/* Schedules handler(sim, object, arg) at absolute time `when` (>= now).
 * Returns its handle, or 0 when `when` < now or memory ran out. */
sim_handle_t sim_schedule_at(sim_t *sim, sim_time_t when, sim_handler_fn handler,
                             void *object, uint64_t arg);

/* Schedules a late event at `when` (>= now): at that time it runs after
 * every event scheduled with sim_schedule_at (whenever those were
 * scheduled, even during this instant), and after the late events
 * scheduled before it (FIFO). So late events see the state every other
 * event at their instant left; the links' block events are late
 * (docs/models.md, "Ties"). Returns its handle, or 0 as sim_schedule_at. */
sim_handle_t sim_schedule_late_at(sim_t *sim, sim_time_t when, sim_handler_fn handler,
                                  void *object, uint64_t arg);

/* Same as sim_schedule_at, at now + delay (delay >= 0; a sum past SIM_TIME_MAX returns 0). */
sim_handle_t sim_schedule_in(sim_t *sim, sim_time_t delay, sim_handler_fn handler,
                             void *object, uint64_t arg);

/* Removes a pending event. Returns true if it was pending, false if the
 * handle is 0, stale (already ran or cancelled) or unknown. */
bool sim_cancel(sim_t *sim, sim_handle_t handle);

/* True if the handle names an event still pending. */
bool sim_is_pending(const sim_t *sim, sim_handle_t handle);

/* Runs events in (time, sequence) order while their time is <= until.
 * Pass SIM_TIME_MAX to run until no event is left. On SIM_RUN_UNTIL the
 * clock is advanced to `until`. A stop request is cleared on entry. */
sim_run_result_t sim_run(sim_t *sim, sim_time_t until);

/* Asks sim_run to return after the handler now running. */
void sim_stop(sim_t *sim);

/* sim_run also returns SIM_RUN_STOPPED after the handler now running once
 * *flag is non-zero: a signal handler sets it (SIGINT, SIGTERM) and the
 * run stops at the next event boundary. NULL: no such flag. The flag is
 * borrowed and must outlive its use; it is not cleared by sim_run. */
void sim_set_interrupt(sim_t *sim, const volatile sig_atomic_t *flag);

size_t sim_pending(const sim_t *sim);     /* events in the future-event set */
uint64_t sim_executed(const sim_t *sim);  /* handlers run so far */

#endif
