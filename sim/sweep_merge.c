/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweep_merge.c - a sweep's results in tidy form: one row per run, one row
 * per parameter point with the mean, standard deviation and 95 %
 * confidence half-width of every metric (sweep.h, docs/sweeps.md).
 */
#include "sim/sweep.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

#include "sim/textio.h"
#include "sim/trace.h"

#define MERGE_MAX_METRICS 1024

typedef struct merge {
    const sweep_t *s;
    char **metrics;         /* column names of the scalars table */
    size_t nmetrics;
    size_t *runs;           /* indices of the done runs, in order */
    double *values;         /* nruns x nmetrics */
    size_t nruns;
} merge_t;

static void merge_free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void merge_free(merge_t *m)
{
    merge_free_strings(m->metrics, m->nmetrics);
    free(m->runs);
    free(m->values);
}

/* Reads the one-row table of run `index` into row[]; the first run read
 * fixes the metric columns, the others must have them. */
static int merge_read(merge_t *m, const char *table, size_t index, double *row, sim_err_t *err)
{
    char path[4096];
    trace_reader_t *r;
    int rc = SIM_OK;

    sweep_path(m->s, index, "h5", path, sizeof path);
    if ((r = trace_reader_open(path, err)) == NULL)
        return SIM_ERR_INPUT;
    if (m->metrics == NULL &&
        (rc = trace_reader_columns(r, table, &m->metrics, &m->nmetrics, err)) != SIM_OK)
        goto out;
    if (m->nmetrics == 0 || m->nmetrics > MERGE_MAX_METRICS) {
        rc = sim_err_set(err, SIM_ERR_INPUT, "%s: table '%s' has %zu numeric columns", path,
                         table, m->nmetrics);
        goto out;
    }
    for (size_t k = 0; k < m->nmetrics && rc == SIM_OK; k++) {
        double *v = NULL;
        size_t n = 0;
        if ((rc = trace_read_column(r, table, m->metrics[k], &v, &n, err)) == SIM_OK && n != 1)
            rc = sim_err_set(err, SIM_ERR_INPUT, "%s: table '%s' has %zu rows, not one", path,
                             table, n);
        if (rc == SIM_OK)
            row[k] = v[0];
        free(v);
    }
out:
    trace_reader_close(r);
    return rc;
}

static int merge_gather(merge_t *m, const char *table, sim_err_t *err)
{
    const size_t total = sweep_count(m->s);
    int rc = SIM_OK;

    if ((m->runs = malloc((total + 1) * sizeof *m->runs)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    for (size_t i = 0; i < total && rc == SIM_OK; i++) {
        if (!sweep_is_done(m->s, i))
            continue;
        if (m->values == NULL) {
            double first[MERGE_MAX_METRICS];
            if ((rc = merge_read(m, table, i, first, err)) != SIM_OK)
                break;
            if ((m->values = malloc((total + 1) * m->nmetrics * sizeof *m->values)) == NULL)
                return sim_err_set(err, SIM_ERR_RUN, "out of memory");
            memcpy(m->values, first, m->nmetrics * sizeof *first);
        } else if ((rc = merge_read(m, table, i, m->values + m->nruns * m->nmetrics, err)) !=
                   SIM_OK) {
            break;
        }
        m->runs[m->nruns++] = i;
    }
    return rc;
}

/* ------------------------------------------------------------ CSV */

static void csv_number(FILE *f, double v)
{
    if (isnan(v))
        fputs("NaN", f);
    else
        fprintf(f, "%.17g", v);
}

/* The statistics of metric k over the runs of one point. */
typedef struct merge_stat {
    double mean, sd, ci95;
    size_t n;
} merge_stat_t;

static merge_stat_t merge_point_stat(const merge_t *m, size_t point, size_t k, double *scratch)
{
    merge_stat_t st = { NAN, NAN, NAN, 0 };
    for (size_t i = 0; i < m->nruns; i++)
        if (m->runs[i] / (size_t)m->s->replications == point)
            scratch[st.n++] = m->values[i * m->nmetrics + k];
    if (st.n > 0)
        st.mean = gsl_stats_mean(scratch, 1, st.n);
    if (st.n > 1) {
        st.sd = gsl_stats_sd_m(scratch, 1, st.n, st.mean);
        st.ci95 = gsl_cdf_tdist_Pinv(0.975, (double)(st.n - 1)) * st.sd / sqrt((double)st.n);
    }
    return st;
}

static int merge_close(FILE *f, const char *tmp, const char *path, sim_err_t *err)
{
    if (ferror(f) | (fclose(f) != 0) || rename(tmp, path) != 0) {
        remove(tmp);
        return sim_err_set(err, SIM_ERR_RUN, "cannot write '%s': %s", path, strerror(errno));
    }
    return SIM_OK;
}

static FILE *merge_open(const merge_t *m, const char *name, char *path, char *tmp, size_t len,
                        sim_err_t *err)
{
    FILE *f;
    snprintf(path, len, "%s/%s", m->s->dir, name);
    snprintf(tmp, len, "%s/%s.tmp", m->s->dir, name);
    if ((f = fopen(tmp, "w")) == NULL)
        sim_err_set(err, SIM_ERR_RUN, "cannot create '%s': %s", tmp, strerror(errno));
    return f;
}

static int merge_runs_csv(const merge_t *m, sim_err_t *err)
{
    char path[4096], tmp[4096];
    FILE *f = merge_open(m, "results.csv", path, tmp, sizeof path, err);
    if (f == NULL)
        return SIM_ERR_RUN;
    fputs("index,point,replication,seed,run", f);
    for (size_t k = 0; k < m->s->nparams; k++)
        fputc(',', f), textio_csv_field(f, m->s->params[k].name);
    for (size_t k = 0; k < m->nmetrics; k++)
        fputc(',', f), textio_csv_field(f, m->metrics[k]);
    fputc('\n', f);
    for (size_t i = 0; i < m->nruns; i++) {
        sweep_run_t r;
        sweep_run_at(m->s, m->runs[i], &r);
        fprintf(f, "%zu,%zu,%llu,%llu,%llu", r.index, r.point,
                (unsigned long long)r.replication, (unsigned long long)m->s->seed,
                (unsigned long long)r.replication);
        for (size_t k = 0; k < m->s->nparams; k++)
            fputc(',', f), textio_csv_field(f, r.values[k]);
        for (size_t k = 0; k < m->nmetrics; k++)
            fputc(',', f), csv_number(f, m->values[i * m->nmetrics + k]);
        fputc('\n', f);
    }
    return merge_close(f, tmp, path, err);
}

static int merge_points_csv(const merge_t *m, double *scratch, sim_err_t *err)
{
    char path[4096], tmp[4096];
    FILE *f = merge_open(m, "points.csv", path, tmp, sizeof path, err);
    if (f == NULL)
        return SIM_ERR_RUN;
    fputs("point", f);
    for (size_t k = 0; k < m->s->nparams; k++)
        fputc(',', f), textio_csv_field(f, m->s->params[k].name);
    fputs(",n", f);
    for (size_t k = 0; k < m->nmetrics; k++)
        fprintf(f, ",%s_mean,%s_sd,%s_ci95", m->metrics[k], m->metrics[k], m->metrics[k]);
    fputc('\n', f);
    for (size_t p = 0; p < m->s->npoints; p++) {
        sweep_run_t r;
        sweep_run_at(m->s, p * (size_t)m->s->replications, &r);
        fprintf(f, "%zu", p);
        for (size_t k = 0; k < m->s->nparams; k++)
            fputc(',', f), textio_csv_field(f, r.values[k]);
        fprintf(f, ",%zu", m->nmetrics > 0 ? merge_point_stat(m, p, 0, scratch).n : 0);
        for (size_t k = 0; k < m->nmetrics; k++) {
            const merge_stat_t st = merge_point_stat(m, p, k, scratch);
            fputc(',', f), csv_number(f, st.mean);
            fputc(',', f), csv_number(f, st.sd);
            fputc(',', f), csv_number(f, st.ci95);
        }
        fputc('\n', f);
    }
    return merge_close(f, tmp, path, err);
}

/* ------------------------------------------------------------ HDF5 */

/* A row of /runs or /points: u64 keys, fixed strings, f64 values. */
typedef struct merge_layout {
    trace_field_t *fields;
    size_t nfields, size, nkeys, strings_at, values_at;
    char **names;           /* generated column names, owned */
    size_t nnames;
} merge_layout_t;

static void merge_layout_free(merge_layout_t *l)
{
    merge_free_strings(l->names, l->nnames);
    free(l->fields);
}

/* keys: u64 columns; then one string per parameter; then nvalues f64
 * columns, named after the metrics (with _mean, _sd, _ci95 when stats). */
static int merge_layout(const merge_t *m, const char *const *keys, size_t nkeys, size_t nvalues,
                        bool stats, merge_layout_t *l, sim_err_t *err)
{
    const size_t np = m->s->nparams;
    *l = (merge_layout_t){ .nkeys = nkeys };
    l->fields = calloc(nkeys + np + nvalues + 1, sizeof *l->fields);
    l->names = calloc(nvalues + 1, sizeof *l->names);
    if (l->fields == NULL || l->names == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    for (size_t k = 0; k < nkeys; k++)
        l->fields[l->nfields++] = (trace_field_t){ keys[k], TRACE_U64, k * sizeof(uint64_t) };
    l->strings_at = nkeys * sizeof(uint64_t);
    for (size_t k = 0; k < np; k++)
        l->fields[l->nfields++] = (trace_field_t){ m->s->params[k].name, TRACE_FSTR,
                                                   l->strings_at + k * TRACE_FSTR_LEN };
    l->values_at = l->strings_at + np * TRACE_FSTR_LEN;
    l->values_at = (l->values_at + 7) / 8 * 8;
    for (size_t k = 0; k < nvalues; k++) {
        static const char *const suffix[] = { "_mean", "_sd", "_ci95" };
        const char *base = m->metrics[stats ? k / 3 : k];
        size_t len = strlen(base) + 8;
        if ((l->names[k] = malloc(len)) == NULL)
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
        l->nnames++;
        snprintf(l->names[k], len, "%s%s", base, stats ? suffix[k % 3] : "");
        l->fields[l->nfields++] = (trace_field_t){ l->names[k], TRACE_F64,
                                                   l->values_at + k * sizeof(double) };
    }
    l->size = l->values_at + nvalues * sizeof(double);
    return SIM_OK;
}

static int merge_strings(const merge_t *m, const sweep_run_t *r, unsigned char *row,
                         const merge_layout_t *l, sim_err_t *err)
{
    for (size_t k = 0; k < m->s->nparams; k++) {
        if (strlen(r->values[k]) >= TRACE_FSTR_LEN)
            return sim_err_set(err, SIM_ERR_INPUT,
                               "parameter '%s': value '%s' is longer than %d bytes",
                               m->s->params[k].name, r->values[k], TRACE_FSTR_LEN - 1);
        strncpy((char *)row + l->strings_at + k * TRACE_FSTR_LEN, r->values[k], TRACE_FSTR_LEN);
    }
    return SIM_OK;
}

/* Fills row i of a table: its keys, its values and the run whose
 * parameters it carries. */
typedef void (*merge_fill_fn)(const merge_t *m, size_t i, uint64_t *keys, double *values,
                              sweep_run_t *r, double *scratch);

static void merge_fill_run(const merge_t *m, size_t i, uint64_t *k, double *v, sweep_run_t *r,
                           double *scratch)
{
    (void)scratch;
    sweep_run_at(m->s, m->runs[i], r);
    k[0] = r->index, k[1] = r->point, k[2] = r->replication, k[3] = m->s->seed;
    k[4] = r->replication;
    memcpy(v, m->values + i * m->nmetrics, m->nmetrics * sizeof *v);
}

static void merge_fill_point(const merge_t *m, size_t p, uint64_t *k, double *v,
                             sweep_run_t *r, double *scratch)
{
    sweep_run_at(m->s, p * (size_t)m->s->replications, r);
    k[0] = p, k[1] = 0;
    for (size_t j = 0; j < m->nmetrics; j++) {
        const merge_stat_t st = merge_point_stat(m, p, j, scratch);
        v[3 * j] = st.mean, v[3 * j + 1] = st.sd, v[3 * j + 2] = st.ci95;
        k[1] = st.n;
    }
}

/* Table `name` of nrows rows: u64 keys, the parameters, nvalues f64
 * values (the metrics, or their mean, sd and ci95 when stats). */
static int merge_h5_table(const merge_t *m, trace_t *t, const char *name,
                          const char *const *keys, size_t nkeys, bool stats, size_t nrows,
                          merge_fill_fn fill, double *scratch, sim_err_t *err)
{
    const size_t nvalues = (stats ? 3 : 1) * m->nmetrics;
    uint64_t k[8];
    double *v = calloc(nvalues + 1, sizeof *v);
    unsigned char *row = NULL;
    trace_table_t *tab;
    merge_layout_t l;
    int rc;

    if ((rc = merge_layout(m, keys, nkeys, nvalues, stats, &l, err)) != SIM_OK)
        goto out;
    if (v == NULL || (row = calloc(1, l.size)) == NULL) {
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
        goto out;
    }
    if ((tab = trace_table_create(t, name, l.size, l.fields, l.nfields, err)) == NULL) {
        rc = SIM_ERR_RUN;
        goto out;
    }
    for (size_t i = 0; i < nrows && rc == SIM_OK; i++) {
        sweep_run_t r;
        fill(m, i, k, v, &r, scratch);
        memset(row, 0, l.size);
        memcpy(row, k, nkeys * sizeof *k);
        memcpy(row + l.values_at, v, nvalues * sizeof *v);
        if ((rc = merge_strings(m, &r, row, &l, err)) == SIM_OK)
            rc = trace_append(tab, row, err);
    }
out:
    free(row);
    free(v);
    merge_layout_free(&l);
    return rc;
}

static int merge_h5(const merge_t *m, double *scratch, sim_err_t *err)
{
    char path[4096];
    trace_t *t;
    int rc;

    snprintf(path, sizeof path, "%s/results.h5", m->s->dir);
    if ((t = trace_open(path, err)) == NULL)
        return SIM_ERR_RUN;
    static const char *const run_keys[] = { "index", "point", "replication", "seed", "run" };
    static const char *const point_keys[] = { "point", "n" };

    if ((rc = merge_h5_table(m, t, "/runs", run_keys, 5, false, m->nruns, merge_fill_run,
                             scratch, err)) != SIM_OK ||
        (rc = merge_h5_table(m, t, "/points", point_keys, 2, true, m->s->npoints,
                             merge_fill_point, scratch, err)) != SIM_OK ||
        (rc = trace_attr_string(t, "/metadata", "sweep", m->s->name, err)) != SIM_OK ||
        (rc = trace_attr_string(t, "/metadata", "scenario", m->s->scenario, err)) != SIM_OK ||
        (rc = trace_attr_u64(t, "/metadata", "replications", m->s->replications, err)) !=
            SIM_OK ||
        (rc = trace_attr_u64(t, "/metadata", "seed", m->s->seed, err)) != SIM_OK) {
        trace_close(t, false, NULL);
        return rc;
    }
    return trace_close(t, true, err);
}

int sweep_merge(const sweep_t *s, const char *table, size_t *merged, sim_err_t *err)
{
    merge_t m = { .s = s };
    double *scratch = malloc(((size_t)s->replications + 1) * sizeof *scratch);
    int rc;

    *merged = 0;
    if (scratch == NULL) {
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
        goto out;
    }
    if ((rc = merge_gather(&m, table, err)) != SIM_OK)
        goto out;
    if (m.nruns == 0) {
        rc = sim_err_set(err, SIM_ERR_INPUT, "sweep %s: no run is done yet in '%s'", s->name,
                         s->dir);
        goto out;
    }
    if ((rc = merge_runs_csv(&m, err)) != SIM_OK ||
        (rc = merge_points_csv(&m, scratch, err)) != SIM_OK ||
        (rc = merge_h5(&m, scratch, err)) != SIM_OK)
        goto out;
    *merged = m.nruns;
out:
    merge_free(&m);
    free(scratch);
    return rc;
}
