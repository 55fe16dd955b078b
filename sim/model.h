/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * model.h - what the engine runs: "a model that can be built from a
 * scenario, run, summarised and destroyed".
 *
 * The engine (sim/) knows no model. The command line (sim/cli.h) and,
 * later, the sweeps drive any model through this table of functions; the
 * program's wiring file (sim/main.c) hands them the QKD world
 * (models/world.h). A test can hand them a model of its own.
 *
 * Ownership: build() returns an instance owned by the caller, freed with
 * destroy() (which accepts NULL). The instance borrows the scenario, which
 * must outlive it.
 */
#ifndef QKM_SIM_MODEL_H
#define QKM_SIM_MODEL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/error.h"
#include "sim/scenario.h"

/* What the command line (or a sweep) sets for one run. */
typedef struct sim_options {
    bool has_seed;
    uint64_t seed;        /* replaces the scenario's seed when has_seed */
    uint64_t run;         /* replication number, default 0 */
    bool has_until;
    int64_t until;        /* ns; replaces the scenario's duration when has_until */
    /* "NAME=VALUE" settings of the model's output (`-O`), applied over
     * what the scenario says; the model documents the names. Borrowed. */
    const char *const *output;
    size_t noutput;
    /* When not NULL: a flag a signal handler sets; the run then stops at
     * the next event boundary, keeps its output readable and marked
     * incomplete, and fails (SIM_ERR_RUN) saying so. Borrowed. */
    const volatile sig_atomic_t *interrupt;
    /* When not NULL: called about every 1 % of the simulated time with the
     * time reached, the end (ns) and the events run so far (a command line
     * shows progress with it; the run itself never reads the wall clock). */
    void (*progress)(void *ctx, int64_t now, int64_t end, uint64_t events);
    void *progress_ctx;
    /* When not NULL: called with each warning the build finds (a scenario
     * that runs but cannot do what it seems to ask, e.g. a client that can
     * never be served); msg names the file, line and element. NULL: the
     * warnings are dropped. */
    void (*warn)(void *ctx, const char *msg);
    void *warn_ctx;
    /* Every block of every link a kernel event, even where nothing
     * observes it (links are otherwise lazy where they can be: same
     * results, fewer events; `qkmsim run --eager-links`, for checking). */
    bool eager_links;
} sim_options_t;

/* A rough size of a run, known before it starts: what `validate` prints
 * and what `run` compares with the free space of the output's file
 * system. Doubles, because extreme scenarios exceed 2^64 bytes. */
typedef struct sim_estimate {
    double events;        /* handlers the kernel would execute */
    double bytes;         /* bytes of the output file */
} sim_estimate_t;

typedef struct sim_model {
    const char *name;
    /* The one-row table of a run's output that holds its scalar results
     * (every numeric column is one figure of the run): what a sweep's
     * merge gathers, e.g. "/summary/network". */
    const char *scalars;
    /* Checks everything the schema cannot and makes the instance, without
     * creating any file. SIM_ERR_INPUT names the file, line and element. */
    int (*build)(const scn_t *scn, const sim_options_t *opts, void **instance,
                 sim_err_t *err);
    /* Runs to the end and writes the output file `output` (complete, or
     * nothing at that path on failure). SIM_ERR_RUN on failure. */
    int (*run)(void *instance, const char *output, sim_err_t *err);
    /* Prints what the finished run reports, in a few lines. */
    void (*summarise)(const void *instance, FILE *out);
    void (*destroy)(void *instance);
    /* Estimates the run's events and output size from the built instance,
     * without running it (cheap: no event executed, no file touched). An
     * estimate, not a bound: the model documents what it counts. May be
     * NULL (nothing is estimated). */
    void (*estimate)(const void *instance, sim_estimate_t *est);
} sim_model_t;

#endif
