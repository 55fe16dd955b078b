/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * arrival.c - arrival processes (arrival.h).
 */
#include "models/arrival.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sim/grow.h"
#include "sim/rng.h"
#include "sim/units.h"

static const char *const arrival_names[] = { "poisson", "periodic", "onoff", "trace", NULL };

struct arrival {
    const arrival_config_t *cfg;
    gsl_rng *gaps;        /* owned; poisson, onoff */
    gsl_rng *phase;       /* owned; onoff */
    int64_t start, stop;
    int64_t last;         /* ns, the previous arrival (start before the first) */
    bool on;              /* onoff: the state at `last` */
    int64_t phase_end;    /* onoff: ns, when that state ends */
    size_t row;           /* trace: the next row */
};

/* ---------------------------------------------------------------- CSV */

/* Trims spaces at both ends of s in place. */
static char *arrival_trim(char *s)
{
    char *end = s + strlen(s);
    while (isspace((unsigned char)*s))
        s++;
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

/* A time column: a time with a unit ("250ms") or a bare number of seconds. */
static int arrival_parse_time(const char *text, int64_t *ns, sim_err_t *err)
{
    double s = 0.0;
    if (units_parse_time(text, ns, err) == SIM_OK)
        return SIM_OK;
    if (units_parse_double(text, &s, err) != SIM_OK || !(s * 1e9 < 9e18))
        return sim_err_set(err, SIM_ERR_INPUT,
                           "time '%s' is not a time (\"250ms\") nor a number of seconds "
                           "below 9e9",
                           text);
    *ns = (int64_t)llround(s * 1e9);
    return SIM_OK;
}

static int arrival_push(arrival_config_t *cfg, size_t *cap, arrival_row_t row, sim_err_t *err)
{
    arrival_row_t *v = grow_room(cfg->rows, cap, cfg->nrows + 1, sizeof *v, 256);
    if (v == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    cfg->rows = v;
    cfg->rows[cfg->nrows++] = row;
    return SIM_OK;
}

/* One data line of the CSV (already trimmed, not empty, not a comment). */
static int arrival_parse_row(char *line, int64_t prev, arrival_row_t *row, sim_err_t *err)
{
    char *comma = strchr(line, ',');
    char *size_text = NULL;

    *row = (arrival_row_t){ 0 };
    if (comma != NULL) {
        *comma = '\0';
        size_text = arrival_trim(comma + 1);
        if (strchr(size_text, ',') != NULL)
            return sim_err_set(err, SIM_ERR_INPUT,
                               "more than two fields (expected: time[,size])");
    }
    if (arrival_parse_time(arrival_trim(line), &row->t, err) != SIM_OK)
        return SIM_ERR_INPUT;
    if (row->t < prev)
        return sim_err_set(err, SIM_ERR_INPUT, "time goes back (rows must be in time order)");
    if (size_text != NULL && size_text[0] != '\0') {
        if (units_parse_bits(size_text, &row->size, err) != SIM_OK)
            return SIM_ERR_INPUT;
        if (row->size == 0)
            return sim_err_set(err, SIM_ERR_INPUT, "size 0 (leave it empty for the default)");
    }
    return SIM_OK;
}

/* The folder of e's scenario file joined with name (name as is when it is
 * absolute or the scenario has no folder). Caller frees. */
static char *arrival_path(const scn_elem_t *e, const char *name)
{
    const char *slash = e->file != NULL ? strrchr(e->file, '/') : NULL;
    size_t dlen = slash != NULL ? (size_t)(slash - e->file) : 0;
    char *path = malloc(dlen + strlen(name) + 2);
    if (path == NULL)
        return NULL;
    if (name[0] == '/' || slash == NULL)
        strcpy(path, name);
    else
        sprintf(path, "%.*s/%s", (int)dlen, e->file, name);
    return path;
}

static int arrival_read_lines(const scn_elem_t *e, FILE *f, arrival_config_t *cfg,
                              sim_err_t *err)
{
    char *buf = NULL;
    size_t bufcap = 0, cap = 0;
    long lineno = 0;
    bool header_allowed = true;
    int rc = SIM_OK;
    sim_err_t why;

    while (getline(&buf, &bufcap, f) != -1) {
        char *line = arrival_trim(buf);
        arrival_row_t row;
        lineno++;
        if (line[0] == '\0' || line[0] == '#')
            continue;
        if (header_allowed && strncasecmp(line, "time", 4) == 0) {
            header_allowed = false;
            continue;
        }
        header_allowed = false;
        if (arrival_parse_row(line, cfg->nrows > 0 ? cfg->rows[cfg->nrows - 1].t : 0, &row,
                              &why) != SIM_OK) {
            rc = scn_error(e, err, "trace file '%s', line %ld: %s", cfg->file, lineno,
                           why.msg);
            goto out;
        }
        if ((rc = arrival_push(cfg, &cap, row, err)) != SIM_OK)
            goto out;
    }
    if (ferror(f))
        rc = scn_error(e, err, "trace file '%s': read error", cfg->file);
    else if (cfg->nrows == 0)
        rc = scn_error(e, err, "trace file '%s': no request rows", cfg->file);
out:
    free(buf);
    return rc;
}

static int arrival_read_trace(const scn_elem_t *e, arrival_config_t *cfg, sim_err_t *err)
{
    char *path = NULL;
    FILE *f = NULL;
    sim_err_t why;
    int rc;

    if ((rc = scn_attr_string(e, "file", true, &cfg->file, err)) != SIM_OK)
        return rc;
    if ((path = arrival_path(e, cfg->file)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    if ((f = scn_open_input(path, &why)) == NULL) {
        rc = scn_error(e, err, "trace file '%s': %s", cfg->file, why.msg);
        goto out;
    }
    rc = arrival_read_lines(e, f, cfg, err);
out:
    if (f != NULL)
        fclose(f);
    free(path);
    return rc;
}

/* ---------------------------------------------------------------- config */

/* An attribute that belongs to another process is an error naming it. */
static int arrival_refuse(const scn_elem_t *e, const char *attr, const char *process,
                          sim_err_t *err)
{
    if (scn_attr(e, attr) != NULL)
        return scn_error(e, err, "attribute '%s' does not apply to process '%s'", attr,
                         process);
    return SIM_OK;
}

static int arrival_parse_onoff(const scn_elem_t *e, arrival_config_t *cfg, sim_err_t *err)
{
    int rc;
    if ((rc = scn_attr_frequency(e, "off-rate", false, &cfg->off_rate, err)) != SIM_OK ||
        (rc = scn_attr_time(e, "on", true, &cfg->mean_on, err)) != SIM_OK ||
        (rc = scn_attr_time(e, "off", true, &cfg->mean_off, err)) != SIM_OK)
        return rc;
    if (cfg->mean_on <= 0 || cfg->mean_off <= 0)
        return scn_error(e, err, "attributes 'on' and 'off': must be positive");
    return SIM_OK;
}

int arrival_config_parse(const scn_elem_t *e, arrival_config_t *cfg, sim_err_t *err)
{
    int process = 0;
    int rc;
    const char *name;

    *cfg = (arrival_config_t){ .process = ARRIVAL_POISSON };
    if ((rc = scn_attr_enum(e, "process", false, arrival_names, &process, err)) != SIM_OK)
        return rc;
    cfg->process = (arrival_process_t)process;
    name = arrival_names[process];
    if (cfg->process != ARRIVAL_ONOFF &&
        ((rc = arrival_refuse(e, "on", name, err)) != SIM_OK ||
         (rc = arrival_refuse(e, "off", name, err)) != SIM_OK ||
         (rc = arrival_refuse(e, "off-rate", name, err)) != SIM_OK))
        return rc;
    if (cfg->process != ARRIVAL_TRACE && (rc = arrival_refuse(e, "file", name, err)) != SIM_OK)
        return rc;
    if (cfg->process == ARRIVAL_TRACE) {
        if ((rc = arrival_refuse(e, "rate", name, err)) != SIM_OK ||
            (rc = arrival_read_trace(e, cfg, err)) != SIM_OK)
            arrival_config_free(cfg);
        return rc;
    }
    if ((rc = scn_attr_frequency(e, "rate", true, &cfg->rate, err)) != SIM_OK)
        return rc;
    if (!(cfg->rate > 0.0))
        return scn_error(e, err, "attribute 'rate': must be positive");
    if (cfg->process == ARRIVAL_ONOFF)
        return arrival_parse_onoff(e, cfg, err);
    return SIM_OK;
}

void arrival_config_free(arrival_config_t *cfg)
{
    free(cfg->rows);
    cfg->rows = NULL;
    cfg->nrows = 0;
}

double arrival_mean_rate(const arrival_config_t *cfg)
{
    switch (cfg->process) {
    case ARRIVAL_ONOFF: {
        const double on = (double)cfg->mean_on, off = (double)cfg->mean_off;
        return (cfg->rate * on + cfg->off_rate * off) / (on + off);
    }
    case ARRIVAL_TRACE: {
        const int64_t span = cfg->nrows > 0 ? cfg->rows[cfg->nrows - 1].t : 0;
        return span > 0 ? (double)cfg->nrows / ((double)span / 1e9) : (double)cfg->nrows;
    }
    default:
        return cfg->rate;
    }
}

uint64_t arrival_max_size(const arrival_config_t *cfg)
{
    uint64_t m = 0;
    for (size_t i = 0; i < cfg->nrows; i++)
        m = cfg->rows[i].size > m ? cfg->rows[i].size : m;
    return m;
}

/* ---------------------------------------------------------------- instances */

/* ns, rounded, at least 1; gaps past ~292 years are as good as never. */
static int64_t arrival_ns(double gap)
{
    int64_t ns = gap < 9e18 ? (int64_t)llround(gap) : (int64_t)9e18;
    return ns > 0 ? ns : 1;
}

static int64_t arrival_exp_ns(gsl_rng *r, double mean_ns)
{
    return arrival_ns(gsl_ran_exponential(r, mean_ns));
}

arrival_t *arrival_create(const arrival_config_t *cfg, uint64_t seed, uint64_t run,
                          const char *name, int64_t start, int64_t stop)
{
    arrival_t *a = calloc(1, sizeof *a);
    char phase[512];

    if (a == NULL)
        return NULL;
    /* A trace row at time 0 is a request at start itself. */
    *a = (arrival_t){ .cfg = cfg, .start = start, .stop = stop,
                      .last = cfg->process == ARRIVAL_TRACE ? start - 1 : start };
    if (cfg->process == ARRIVAL_POISSON || cfg->process == ARRIVAL_ONOFF) {
        if ((a->gaps = rng_stream_create(seed, run, name)) == NULL)
            goto fail;
    }
    if (cfg->process == ARRIVAL_ONOFF) {
        const double p_on =
            (double)cfg->mean_on / ((double)cfg->mean_on + (double)cfg->mean_off);
        snprintf(phase, sizeof phase, "%s/phase", name);
        if ((a->phase = rng_stream_create(seed, run, phase)) == NULL)
            goto fail;
        a->on = gsl_rng_uniform(a->phase) < p_on;
        a->phase_end =
            start + arrival_exp_ns(a->phase, (double)(a->on ? cfg->mean_on : cfg->mean_off));
    }
    return a;
fail:
    arrival_free(a);
    return NULL;
}

void arrival_free(arrival_t *a)
{
    if (a == NULL)
        return;
    rng_stream_free(a->gaps);
    rng_stream_free(a->phase);
    free(a);
}

/* onoff: the next arrival after a->last. Memoryless: a gap that would
 * cross the end of the state is dropped and drawn again from the state's
 * end at the next state's rate. */
static int64_t arrival_onoff_gap(arrival_t *a)
{
    const arrival_config_t *c = a->cfg;
    int64_t t = a->last;

    while (t < a->stop) {
        const double rate = a->on ? c->rate : c->off_rate;
        if (rate > 0.0) {
            const int64_t next = t + arrival_exp_ns(a->gaps, 1e9 / rate);
            if (next < a->phase_end)
                return next - a->last;
        }
        t = a->phase_end;
        a->on = !a->on;
        a->phase_end = t + arrival_exp_ns(a->phase, (double)(a->on ? c->mean_on : c->mean_off));
    }
    return INT64_MAX;
}

bool arrival_next(arrival_t *a, int64_t *t, uint64_t *size)
{
    const arrival_config_t *c = a->cfg;
    int64_t gap;

    *size = 0;
    switch (c->process) {
    case ARRIVAL_POISSON:
        gap = arrival_exp_ns(a->gaps, 1e9 / c->rate);
        break;
    case ARRIVAL_PERIODIC:
        gap = arrival_ns(1e9 / c->rate);
        break;
    case ARRIVAL_ONOFF:
        gap = arrival_onoff_gap(a);
        break;
    default: {
        if (a->row >= c->nrows)
            return false;
        const arrival_row_t *r = &c->rows[a->row++];
        const int64_t when = a->start + r->t;
        gap = when > a->last ? when - a->last : 1;
        *size = r->size;
        break;
    }
    }
    if (a->last >= a->stop - gap) {   /* last + gap >= stop, without overflow */
        a->last = a->stop;
        return false;
    }
    a->last += gap;
    *t = a->last;
    return true;
}
