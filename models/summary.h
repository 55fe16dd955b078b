/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * summary.h - one row of figures per trace, for comparing runs
 * (`qkmsim summarize`, docs/storage-models.md "Comparing designs").
 *
 * A row is read from the summary tables of a finished trace (layout in
 * docs/trace-format.md) through the generic reader of sim/trace.h:
 *   design         /metadata@storage_designs: the storage design of the
 *                  links ("shared" for traces written before designs)
 *   served         /summary/network ok - slave_failed: master GET_KEYs
 *                  answered 200 whose key was not lost to a collision
 *   refused        bad_request + unavailable (400 + 503)
 *   lost           slave_failed: answered 200 to the master, but the
 *                  slave's GET_KEY_WITH_KEY_IDS failed (400) because the
 *                  key was handed out twice (a key access collision)
 *   mean latency   over every master GET_KEY of every app:
 *                  sum(mean_latency_s * requests) / sum(requests) of
 *                  /summary/apps (NaN when there was no request)
 *   wasted, expired, internal
 *                  /summary/network, bits summed over all stores (so the
 *                  key of a link counts at both of its ends, as supplied
 *                  does); wasted is format waste plus key lost to
 *                  collisions (0 for traces written before key formats)
 *   relayed, stranded
 *                  /summary/network: link key spent on relay jobs that
 *                  arrived, and on jobs that never did (both ends; 0 in
 *                  traces written before key relay)
 *   fairness       /summary/relay: Jain's index over the relayed flows
 *                  (NaN before key relay)
 * The name is /metadata@scenario_name, or the file's base name when the
 * trace has none; seed, run and overrides (the -p settings, "; " between
 * them) come from /metadata, so a row says which run made it.
 *
 * Ownership: a row owns its strings; free them with summary_row_free.
 */
#ifndef QKM_MODELS_SUMMARY_H
#define QKM_MODELS_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/error.h"

typedef struct summary_row {
    char *name;              /* scenario name, or the trace's base name */
    uint64_t seed, run;      /* /metadata@seed, @run */
    char *overrides;         /* /metadata@overrides joined with "; " ("" for none) */
    char *design;            /* the storage designs of the links */
    char *trace;             /* the trace's path, as given */
    uint64_t requests, served, refused, lost;
    double mean_latency_s;
    uint64_t supplied, wasted, expired, internal;
    uint64_t relayed, stranded;   /* /summary/network (0 before key relay) */
    double fairness;              /* /summary/relay: Jain's index (NaN before key relay) */
} summary_row_t;

/* Reads one trace. SIM_ERR_INPUT when the file is not a complete qkmsim
 * trace (message names the file and what is missing), SIM_ERR_RUN when
 * out of memory. On failure *row holds nothing to free. */
int summary_read(const char *path, summary_row_t *row, sim_err_t *err);
void summary_row_free(summary_row_t *row);

/* Prints a header and one line per row: aligned columns, or CSV (RFC 4180
 * quoting) when csv is true. */
void summary_print(const summary_row_t *rows, size_t n, bool csv, FILE *out);

#endif
