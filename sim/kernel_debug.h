/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kernel_debug.h - hooks into the kernel's limits, for tests only.
 *
 * The sequence number (the FIFO tie-break among equal times) has 31 bits
 * inside a heap entry, below the band bit of late events; when it runs
 * out, the kernel renumbers the pending events in order (kernel.c). That
 * happens once per about 2.1e9 schedulings,
 * far too rarely for a test to reach, so a test may lower the limit. And
 * cancelled events leave dead entries behind until they reach the root or
 * the heap is rebuilt; a test may count them.
 * Programs must not call these.
 */
#ifndef QKM_SIM_KERNEL_DEBUG_H
#define QKM_SIM_KERNEL_DEBUG_H

#include <stddef.h>
#include <stdint.h>

#include "sim/kernel.h"

/* Renumber whenever the next sequence number would reach `limit`
 * (1 <= limit <= 2^32). The default is 2^31 - 1 (the top bit of a number
 * is the band of late events, and 2^32 - 1 marks a free slot: kernel.c),
 * and a larger limit acts as the default. Returns 0, or -1 for a limit
 * out of range. A limit at or below the number of pending events makes
 * scheduling fail (return 0), as the real limit would with 2^31 - 1
 * pending. */
int sim_debug_set_seq_limit(sim_t *sim, uint64_t limit);

/* The sequence number the next scheduled event will get (before any
 * renumbering it triggers). */
uint64_t sim_debug_next_seq(const sim_t *sim);

/* Entries in the heap array: the pending events, the cancelled ones not
 * dropped yet (cancellation is lazy, kernel.c) and, inside a handler, the
 * running event's spent entry. */
size_t sim_debug_heap_entries(const sim_t *sim);

#endif
