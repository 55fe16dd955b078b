/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * summary.c - one row of figures per trace (summary.h).
 */
#include "models/summary.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/textio.h"
#include "sim/trace.h"

/* The sum of a numeric column (0 for an empty table). */
static int summary_sum(trace_reader_t *r, const char *table, const char *column,
                       double *sum, sim_err_t *err)
{
    double *v = NULL;
    size_t n = 0;
    int rc = trace_read_column(r, table, column, &v, &n, err);

    *sum = 0.0;
    for (size_t i = 0; rc == SIM_OK && i < n; i++)
        *sum += v[i];
    free(v);
    return rc;
}

static char *summary_strdup(const char *s)
{
    size_t len = strlen(s) + 1;
    char *copy = malloc(len);
    if (copy != NULL)
        memcpy(copy, s, len);
    return copy;
}

static int summary_name(trace_reader_t *r, const char *path, summary_row_t *row,
                        sim_err_t *err)
{
    const char *base = strrchr(path, '/');

    if (trace_read_attr_string(r, "/metadata", "scenario_name", &row->name, NULL) == SIM_OK &&
        row->name[0] != '\0')
        return SIM_OK;
    free(row->name);
    row->name = summary_strdup(base != NULL ? base + 1 : path);
    return row->name != NULL ? SIM_OK : sim_err_set(err, SIM_ERR_RUN, "out of memory");
}

static int summary_design(trace_reader_t *r, summary_row_t *row, sim_err_t *err)
{
    if (trace_read_attr_string(r, "/metadata", "storage_designs", &row->design, NULL) ==
        SIM_OK)
        return SIM_OK;
    row->design = summary_strdup("shared");
    return row->design != NULL ? SIM_OK : sim_err_set(err, SIM_ERR_RUN, "out of memory");
}

/* Network totals; a column missing from an older trace reads as 0. */
static int summary_network(trace_reader_t *r, summary_row_t *row, sim_err_t *err)
{
    static const char *const columns[] = { "ok",       "bad_request", "unavailable",
                                           "supplied", "wasted",      "expired",
                                           "internal", "slave_failed", "relayed",
                                           "stranded" };
    enum { NCOLUMNS = sizeof columns / sizeof columns[0] };
    double v[NCOLUMNS] = { 0 };
    int rc = SIM_OK;

    /* Columns added after the first trace format read as 0 when absent. */
    for (size_t i = 0; i < NCOLUMNS && rc == SIM_OK; i++)
        if (i < 4 || trace_reader_has(r, "/summary/network", columns[i]))
            rc = summary_sum(r, "/summary/network", columns[i], &v[i], err);
    row->lost = (uint64_t)v[7];
    row->served = (uint64_t)v[0] - row->lost;
    row->refused = (uint64_t)v[1] + (uint64_t)v[2];
    row->supplied = (uint64_t)v[3];
    row->wasted = (uint64_t)v[4];
    row->expired = (uint64_t)v[5];
    row->internal = (uint64_t)v[6];
    row->relayed = (uint64_t)v[8];
    row->stranded = (uint64_t)v[9];
    return rc;
}

/* Jain's fairness over the relayed flows (/summary/relay); NaN for a
 * trace written before key relay. */
static int summary_fairness(trace_reader_t *r, summary_row_t *row, sim_err_t *err)
{
    double *v = NULL;
    size_t n = 0;
    int rc = SIM_OK;
    row->fairness = NAN;
    if (!trace_reader_has(r, "/summary/relay", "fairness"))
        return SIM_OK;
    if ((rc = trace_read_column(r, "/summary/relay", "fairness", &v, &n, err)) == SIM_OK &&
        n > 0)
        row->fairness = v[0];
    free(v);
    return rc;
}

/* The mean latency over every master request of every app. */
static int summary_latency(trace_reader_t *r, summary_row_t *row, sim_err_t *err)
{
    double *mean = NULL, *requests = NULL, total = 0.0, weighted = 0.0;
    size_t n = 0, m = 0;
    int rc;

    if ((rc = trace_read_column(r, "/summary/apps", "mean_latency_s", &mean, &n, err)) ==
            SIM_OK &&
        (rc = trace_read_column(r, "/summary/apps", "requests", &requests, &m, err)) == SIM_OK) {
        for (size_t i = 0; i < n && i < m; i++) {
            total += requests[i];
            weighted += mean[i] * requests[i];
        }
        row->requests = (uint64_t)total;
        row->mean_latency_s = total > 0 ? weighted / total : NAN;
    }
    free(mean);
    free(requests);
    return rc;
}

/* Seed, run and overrides from /metadata; overrides (one per line there)
 * joined with "; ", "" when there are none. */
static int summary_provenance(trace_reader_t *r, summary_row_t *row, sim_err_t *err)
{
    int64_t seed = 0, run = 0;
    char *ov = NULL;
    int rc;

    if ((rc = trace_read_attr_i64(r, "/metadata", "seed", &seed, err)) != SIM_OK ||
        (rc = trace_read_attr_i64(r, "/metadata", "run", &run, err)) != SIM_OK ||
        (rc = trace_read_attr_string(r, "/metadata", "overrides", &ov, err)) != SIM_OK)
        return rc;
    row->seed = (uint64_t)seed;
    row->run = (uint64_t)run;
    if ((row->overrides = malloc(2 * strlen(ov) + 1)) == NULL) {
        free(ov);
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    }
    row->overrides[0] = '\0';
    for (char *line = strtok(ov, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (row->overrides[0] != '\0')
            strcat(row->overrides, "; ");
        strcat(row->overrides, line);
    }
    free(ov);
    return SIM_OK;
}

int summary_read(const char *path, summary_row_t *row, sim_err_t *err)
{
    trace_reader_t *r = NULL;
    int64_t completed = 0;
    int rc;

    *row = (summary_row_t){ .mean_latency_s = NAN };
    if ((r = trace_reader_open(path, err)) == NULL)
        return err != NULL ? err->code : SIM_ERR_INPUT;
    if (trace_read_attr_i64(r, "/metadata", "completed", &completed, NULL) != SIM_OK ||
        completed != 1) {
        rc = sim_err_set(err, SIM_ERR_INPUT, "%s: not a complete qkmsim trace", path);
        goto out;
    }
    if ((rc = summary_name(r, path, row, err)) != SIM_OK ||
        (rc = summary_provenance(r, row, err)) != SIM_OK ||
        (rc = summary_design(r, row, err)) != SIM_OK ||
        (rc = summary_network(r, row, err)) != SIM_OK ||
        (rc = summary_latency(r, row, err)) != SIM_OK ||
        (rc = summary_fairness(r, row, err)) != SIM_OK)
        goto out;
    if ((row->trace = summary_strdup(path)) == NULL)
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
out:
    trace_reader_close(r);
    if (rc != SIM_OK)
        summary_row_free(row);
    return rc;
}

void summary_row_free(summary_row_t *row)
{
    free(row->name);
    free(row->design);
    free(row->trace);
    free(row->overrides);
    row->name = row->design = row->trace = row->overrides = NULL;
}

void summary_print(const summary_row_t *rows, size_t n, bool csv, FILE *out)
{
    int width = 4, dwidth = 6;

    if (csv) {
        fputs("name,seed,run,design,served,refused,lost,mean_latency_s,wasted_bits,"
              "expired_bits,internal_bits,relayed_bits,stranded_bits,relay_fairness,"
              "overrides,trace\n", out);
        for (size_t i = 0; i < n; i++) {
            const summary_row_t *r = &rows[i];
            textio_csv_field(out, r->name);
            fprintf(out, ",%" PRIu64 ",%" PRIu64 ",", r->seed, r->run);
            textio_csv_field(out, r->design);
            fprintf(out, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.9g,%" PRIu64 ",%" PRIu64
                         ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.9g,",
                    r->served, r->refused, r->lost, r->mean_latency_s, r->wasted, r->expired,
                    r->internal, r->relayed, r->stranded, r->fairness);
            textio_csv_field(out, r->overrides);
            fputc(',', out);
            textio_csv_field(out, r->trace);
            fputc('\n', out);
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int len = (int)strlen(rows[i].name), dlen = (int)strlen(rows[i].design);
        width = len > width ? (len < 40 ? len : 40) : width;
        dwidth = dlen > dwidth ? (dlen < 40 ? dlen : 40) : dwidth;
    }
    fprintf(out, "%-*s %10s %4s %-*s %9s %9s %9s %15s %14s %14s %14s %14s %14s %14s  %s  %s\n",
            width, "name", "seed", "run", dwidth, "design", "served", "refused", "lost",
            "mean_latency_s", "wasted_bits", "expired_bits", "internal_bits", "relayed_bits",
            "stranded_bits", "relay_fairness", "trace", "overrides");
    for (size_t i = 0; i < n; i++) {
        const summary_row_t *r = &rows[i];
        fprintf(out, "%-*s %10" PRIu64 " %4" PRIu64 " %-*s %9" PRIu64 " %9" PRIu64 " %9" PRIu64
                     " %15.6f %14" PRIu64 " %14" PRIu64 " %14" PRIu64 " %14" PRIu64
                     " %14" PRIu64 " %14.6f  %s  %s\n",
                width, r->name, r->seed, r->run, dwidth, r->design, r->served, r->refused,
                r->lost, r->mean_latency_s, r->wasted, r->expired, r->internal, r->relayed,
                r->stranded, r->fairness, r->trace,
                r->overrides[0] != '\0' ? r->overrides : "-");
    }
}
