/*
 * kernel_debug.h - hooks into the kernel's limits, for tests only.
 *
 * The sequence number (the FIFO tie-break among equal times) has 32 bits
 * inside a heap entry; when it runs out, the kernel renumbers the pending
 * events in order (kernel.c). That happens once per about 4.3e9 schedulings,
 * far too rarely for a test to reach, so a test may lower the limit.
 * Programs must not call these.
 */
#ifndef QKM_SIM_KERNEL_DEBUG_H
#define QKM_SIM_KERNEL_DEBUG_H

#include <stdint.h>

#include "sim/kernel.h"

/* Renumber whenever the next sequence number would reach `limit`
 * (1 <= limit <= 2^32, the default). Returns 0, or -1 for a limit out of
 * range. A limit at or below the number of pending events makes
 * scheduling fail (return 0), as the real limit would with 2^32 pending. */
int sim_debug_set_seq_limit(sim_t *sim, uint64_t limit);

/* The sequence number the next scheduled event will get (before any
 * renumbering it triggers). */
uint64_t sim_debug_next_seq(const sim_t *sim);

#endif
