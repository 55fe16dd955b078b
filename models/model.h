/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * model.h - what every model instance shares: the kernel, the random-stream
 * coordinates and the run's first error.
 *
 * A handler that meets an error it cannot handle (out of memory, a broken
 * invariant) calls model_fail(): the first error is kept, the kernel is asked
 * to stop, and the run ends with exit code 1.
 */
#ifndef QKM_MODELS_MODEL_H
#define QKM_MODELS_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/error.h"
#include "sim/kernel.h"

typedef struct model_ctx {
    sim_t *sim;
    uint64_t seed;     /* the run's seed */
    uint64_t run;      /* the replication number */
    int64_t end;       /* ns, the end of the run */
    bool failed;
    sim_err_t err;     /* the first failure */
} model_ctx_t;

/* A counter a model declares for its summary rows (a storage design's,
 * a client kind's). The name is the column name in the summary tables. */
typedef struct model_counter {
    const char *name;
    bool network;       /* also summed into /summary/network and the run report */
    const char *report; /* not NULL: the run report prints "<report>: N" when N > 0 */
    const char *waste;  /* not NULL: the counter is a part of `wasted` (bits), shown
                         * in the run report as "N by <waste>" */
} model_counter_t;

/* What a model adds to the estimate of a run (sim_estimate_t, the world's
 * estimate in docs/models.md): handlers it would execute, rows it would
 * add to the level log (/levels, when levels are logged on change; the
 * world turns them into bytes), bytes of request-log rows (kept as the
 * trace's `requests` setting says) and their number, bytes of block-log
 * rows (/link_blocks, kept when the trace's `blocks` is on), bytes of other
 * log rows (dropped by summary-only) and bytes of rows always written. The
 * world applies the output settings and compression. */
typedef struct model_estimate {
    double events;
    double level_rows;
    double request_bytes;
    double request_rows;   /* the requests behind request_bytes (for the aggregates) */
    double block_bytes;
    double log_bytes;
    double bytes;
} model_estimate_t;

/* Records e (if it is the first failure) and stops the kernel. */
void model_fail(model_ctx_t *ctx, const sim_err_t *e);

#endif
