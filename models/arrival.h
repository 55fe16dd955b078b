/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * arrival.h - arrival processes: when a client's requests (or a session's
 * openings) come, for any client kind (docs/models.md, "Arrival
 * processes").
 *
 * A process is read from one scenario element (<arrivals>, or any element
 * with the same attributes) into an arrival_config_t, then instantiated
 * per client with its own random stream(s) and its window [start, stop):
 *
 *   poisson   exponential gaps of mean 1/rate (GSL gsl_ran_exponential);
 *   periodic  one every 1/rate;
 *   onoff     two-state Markov-modulated Poisson process: exponential
 *             sojourns of mean `on` and `off`; Poisson arrivals at `rate`
 *             while on and `off-rate` (default 0) while off; the first
 *             state is drawn from the stationary law (on with probability
 *             on / (on + off));
 *   trace     replay of a CSV file of request times (from `start`) and
 *             optional sizes (bits), one request a row, times
 *             non-decreasing; a bad row is an input error naming the file
 *             and its line.
 *
 * Every gap is rounded to the nearest ns and is at least 1 ns (trace: a
 * time equal to the previous one is moved 1 ns later), so two requests of
 * one process never share an instant. The first arrival is one gap after
 * start (trace: at start + its time, so a row at 0 comes at start); an
 * arrival at or after stop is never given.
 *
 * Random numbers: the gaps draw from the stream `name` given to
 * arrival_create (one draw per gap for poisson and onoff; none for
 * periodic and trace), the onoff sojourns from `name`/phase. For poisson
 * and periodic these are exactly the draws of the etsi014 client before
 * this module (stream "app/<id>/arrivals").
 *
 * Units: ns, requests/s, bits. Ownership: a config owns its trace rows
 * (arrival_config_free); an arrival_t owns its generators and borrows its
 * config, which must outlive it.
 */
#ifndef QKM_MODELS_ARRIVAL_H
#define QKM_MODELS_ARRIVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/error.h"
#include "sim/scenario.h"

typedef enum arrival_process {
    ARRIVAL_POISSON = 0,
    ARRIVAL_PERIODIC = 1,
    ARRIVAL_ONOFF = 2,
    ARRIVAL_TRACE = 3,
} arrival_process_t;

/* One row of a replayed trace. */
typedef struct arrival_row {
    int64_t t;        /* ns after the client's start */
    uint64_t size;    /* bits; 0 = the client's own size */
} arrival_row_t;

typedef struct arrival_config {
    arrival_process_t process;
    double rate;                 /* requests/s: poisson, periodic; onoff while on */
    double off_rate;             /* requests/s, onoff while off (>= 0) */
    int64_t mean_on, mean_off;   /* ns, onoff mean sojourns (> 0) */
    const char *file;            /* trace: the CSV file as named, borrowed */
    arrival_row_t *rows;         /* trace: owned */
    size_t nrows;
} arrival_config_t;

/* Reads element e's attributes: process (poisson, periodic, onoff, trace;
 * default poisson), rate (frequency: required unless trace), off-rate,
 * on, off (times, onoff only), file (trace only; relative to the folder
 * of e's scenario file). SIM_ERR_INPUT names e (and the CSV file and its
 * line for a bad row); on failure cfg holds nothing to free. */
int arrival_config_parse(const scn_elem_t *e, arrival_config_t *cfg, sim_err_t *err);
void arrival_config_free(arrival_config_t *cfg);

/* Long-run requests/s of the process (trace: rows over the span from 0 to
 * the last row's time, or the row count per second when that span is 0).
 * The demand a storage design registers and the estimate use it. */
double arrival_mean_rate(const arrival_config_t *cfg);

/* The largest size (bits) a trace row asks for, 0 when none does (or not
 * a trace): for checks that a client can be served. */
uint64_t arrival_max_size(const arrival_config_t *cfg);

typedef struct arrival arrival_t;

/* A process of config cfg over [start, stop) ns whose draws come from
 * the stream (seed, run, name) (and name/phase). NULL when out of memory. */
arrival_t *arrival_create(const arrival_config_t *cfg, uint64_t seed, uint64_t run,
                          const char *name, int64_t start, int64_t stop);
void arrival_free(arrival_t *a);

/* The next arrival: true and its time *t (ns, > the previous one, in
 * [start, stop)) and size *size (bits, 0 = the client's own), or false
 * when there is none before stop (and none ever after). */
bool arrival_next(arrival_t *a, int64_t *t, uint64_t *size);

#endif
