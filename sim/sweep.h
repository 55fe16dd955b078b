/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweep.h - parameter sweeps with replications (docs/sweeps.md).
 *
 * A sweep file (XML, validated by scenarios/sweep.xsd) names a base
 * scenario, parameters (attribute paths, as for `qkmsim run -p`) with
 * value lists or ranges, how the lists combine (product or zip) and a
 * number of replications R. The run table has one row per (point,
 * replication): index = point * R + replication, in product order (the
 * last parameter varies fastest). Every run of replication r uses run
 * number r and the same seed, at every point: common random numbers, so
 * that differences between points are paired.
 *
 * The sweep's folder (default "<name>.sweep" in the current folder) holds
 *   manifest.tsv        the run table (sweep_write_manifest)
 *   runs/run-NNNNNN.h5  each run's output
 *   runs/run-NNNNNN.done    written atomically once the run completed
 *   runs/run-NNNNNN.log     the run's messages (kept: the failure reason)
 *   runs/run-NNNNNN.failed  why the run failed (exit status or signal)
 *   results.csv, points.csv, results.h5   (sweep_merge)
 *   slurm/job.sh, slurm/task-N.out        (the SLURM executor)
 * A run is done exactly when its .done marker exists; a killed or failed
 * run never has one.
 *
 * The engine runs the model through sim/model.h only: the sweep knows no
 * model. Ownership: sweep_load returns a sweep freed with sweep_free.
 */
#ifndef QKM_SIM_SWEEP_H
#define QKM_SIM_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/error.h"
#include "sim/model.h"

typedef struct sweep_param {
    const char *name;       /* column name in the results */
    const char *path;       /* the attribute path (-p PATH=VALUE) */
    char **values;          /* owned */
    size_t nvalues;
} sweep_param_t;

typedef struct sweep {
    char *file;             /* the sweep file as given */
    const char *name;
    char *scenario;         /* the base scenario's path (relative to the sweep file) */
    char *dir;              /* the sweep's folder */
    uint64_t replications;  /* R >= 1 */
    bool zip;               /* combine: zip (true) or product */
    uint64_t seed;          /* the sweep's seed, else the scenario's, else 1 */
    sweep_param_t *params;  /* owned */
    size_t nparams;
    size_t npoints;         /* parameter points */
    void *doc;              /* the loaded sweep file (owns name and paths) */
} sweep_t;

/* One row of the run table. */
typedef struct sweep_run {
    size_t index, point;
    uint64_t replication;   /* = the run number */
    const char *values[64]; /* values[k] of param k, borrowed from the sweep */
} sweep_run_t;

#define SWEEP_MAX_PARAMS 64

/* Reads and checks a sweep file; dir NULL gives the default folder.
 * SIM_ERR_INPUT names the file, line and element. */
int sweep_load(const char *path, const char *dir, sweep_t **out, sim_err_t *err);
void sweep_free(sweep_t *sweep);

size_t sweep_count(const sweep_t *sweep);          /* runs: npoints * R */
void sweep_run_at(const sweep_t *sweep, size_t index, sweep_run_t *run);

/* Creates the sweep's folder (and runs/) and writes manifest.tsv. */
int sweep_write_manifest(const sweep_t *sweep, sim_err_t *err);
/* Prints the run table (the manifest's rows) to out. */
void sweep_print_plan(const sweep_t *sweep, FILE *out);

/* Paths of run `index`'s files: kind is "h5", "done", "log" or "failed". */
void sweep_path(const sweep_t *sweep, size_t index, const char *kind, char *buf, size_t len);
bool sweep_is_done(const sweep_t *sweep, size_t index);
bool sweep_has_failed(const sweep_t *sweep, size_t index);

/* ------------------------------------------------------------ executors */

typedef struct sweep_counts {
    size_t total, done, failed, pending, running;
} sweep_counts_t;

/* From the markers: done, failed (a .failed without .done) and pending. */
void sweep_status(const sweep_t *sweep, sweep_counts_t *c);

/* Runs one run in this process through the model: loads the base
 * scenario with the run's overrides, builds, runs to runs/run-N.h5 (any
 * old file of that run is removed first), and writes the .done marker.
 * Messages go to err; the caller logs them. */
int sweep_run_one(const sweep_t *sweep, const sim_model_t *model, size_t index,
                  sim_err_t *err);

typedef struct sweep_local_opts {
    unsigned jobs;          /* processes at once, >= 1 */
    bool resume;            /* run only the runs without a .done marker */
    FILE *progress;         /* progress lines (a terminal: one updated line); NULL: none */
    bool tty;               /* progress is a terminal */
    const size_t *only;     /* when not NULL: run only these indices (n_only of them) */
    size_t n_only;
} sweep_local_opts_t;

/* Runs the sweep here, `jobs` forked processes at once, each run through
 * sweep_run_one, its stderr in runs/run-N.log. Without resume, a folder
 * that already holds results is SIM_ERR_INPUT. Returns SIM_OK when every
 * run is done, SIM_ERR_RUN when some failed (their reasons in
 * runs/run-N.failed). */
int sweep_run_local(const sweep_t *sweep, const sim_model_t *model,
                    const sweep_local_opts_t *opts, sweep_counts_t *counts, sim_err_t *err);

typedef struct sweep_slurm_opts {
    const char *partition;  /* NULL: the cluster's default */
    unsigned max_parallel;  /* the %K cap of the array; 0: none */
    unsigned runs_per_task; /* B >= 1 */
    bool resume;
    const char *program;    /* this program's absolute path */
} sweep_slurm_opts_t;

/* Writes slurm/job.sh and submits one job array (sbatch --array) whose
 * task t runs the runs t*B .. t*B+B-1 that lack a .done marker
 * (`qkmsim sweep task`). *jobid receives sbatch's job id. */
int sweep_submit_slurm(const sweep_t *sweep, const sweep_slurm_opts_t *opts, char *jobid,
                       size_t len, sim_err_t *err);

/* The work of array task `task`: its runs, one forked process each. */
int sweep_run_task(const sweep_t *sweep, const sim_model_t *model, size_t task,
                   unsigned runs_per_task, sweep_counts_t *counts, sim_err_t *err);

/* ------------------------------------------------------------ results */

/* Gathers every done run's scalars (every numeric column of the one-row
 * table `table` of its output, e.g. the model's "/summary/network") into
 * results.csv and results.h5 (one row per run: index, point,
 * replication, seed, run, parameters, metrics) and points.csv plus the
 * table /points of results.h5 (one row per point: parameters, n, and the
 * mean, standard deviation and 95 % confidence half-width, Student t, of
 * every metric over the point's replications). *merged: runs gathered. */
int sweep_merge(const sweep_t *sweep, const char *table, size_t *merged, sim_err_t *err);

#endif
