/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweep.c - sweep files, the run table and the manifest (sweep.h).
 */
#include "sim/sweep.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/scenario.h"

/* Generated from scenarios/sweep.xsd by the Makefile (sim/sweep_xsd.c). */
extern const char sweep_schema_xsd[];

/* ------------------------------------------------------------ values */

static int sweep_push_value(sweep_param_t *p, const char *text, size_t len, sim_err_t *err)
{
    char **v = realloc(p->values, (p->nvalues + 1) * sizeof *v);
    if (v == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    p->values = v;
    if ((v[p->nvalues] = strndup(text, len)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    p->nvalues++;
    return SIM_OK;
}

static int sweep_split_values(sweep_param_t *p, const char *list, sim_err_t *err)
{
    const char *s = list;
    int rc = SIM_OK;
    while (*s != '\0' && rc == SIM_OK) {
        size_t n;
        s += strspn(s, " \t\r\n");
        n = strcspn(s, " \t\r\n");
        if (n > 0)
            rc = sweep_push_value(p, s, n, err);
        s += n;
    }
    return rc;
}

/* from, from + step, ... while <= to (within 1e-9 of the span), each
 * printed with %.15g and the unit. */
static int sweep_range_values(sweep_param_t *p, const scn_elem_t *e, sim_err_t *err)
{
    double from = NAN, to = NAN, step = NAN;
    const char *unit = "";
    int rc;

    if ((rc = scn_attr_double(e, "from", true, &from, err)) != SIM_OK ||
        (rc = scn_attr_double(e, "to", true, &to, err)) != SIM_OK ||
        (rc = scn_attr_double(e, "step", true, &step, err)) != SIM_OK ||
        (rc = scn_attr_string(e, "unit", false, &unit, err)) != SIM_OK)
        return rc;
    if (!(step > 0) || !isfinite(from) || !isfinite(to) || to < from)
        return scn_error(e, err, "a range needs from <= to and step > 0");
    if ((to - from) / step > 100000)
        return scn_error(e, err, "the range has more than 100000 values");
    for (double k = 0;; k++) {
        const double v = from + k * step;
        char text[128];
        if (v > to + 1e-9 * fmax(fabs(to - from), fabs(step)))
            break;
        snprintf(text, sizeof text, "%.15g%s", v, unit);
        if ((rc = sweep_push_value(p, text, strlen(text), err)) != SIM_OK)
            return rc;
    }
    return SIM_OK;
}

static int sweep_read_param(sweep_param_t *p, const scn_elem_t *e, sim_err_t *err)
{
    const char *values = NULL;
    int rc;

    if ((rc = scn_attr_string(e, "name", true, &p->name, err)) != SIM_OK ||
        (rc = scn_attr_string(e, "path", true, &p->path, err)) != SIM_OK ||
        (rc = scn_attr_string(e, "values", false, &values, err)) != SIM_OK)
        return rc;
    if ((values != NULL) == (scn_attr(e, "from") != NULL))
        return scn_error(e, err, "give either values or a range (from, to, step)");
    rc = values != NULL ? sweep_split_values(p, values, err) : sweep_range_values(p, e, err);
    if (rc == SIM_OK && p->nvalues == 0)
        return scn_error(e, err, "parameter '%s' has no value", p->name);
    if (rc == SIM_OK && strpbrk(p->name, "\t\n,\"") != NULL)
        return scn_error(e, err, "parameter name '%s': tabs, commas and quotes are not allowed",
                         p->name);
    return rc;
}

/* ------------------------------------------------------------ loading */

/* "dir/of/sweep.xml" + "rel.xml" -> "dir/of/rel.xml"; absolute kept. */
static char *sweep_resolve(const char *sweep_file, const char *rel)
{
    const char *slash = strrchr(sweep_file, '/');
    size_t dlen = slash != NULL ? (size_t)(slash - sweep_file) : 0;
    char *out;

    if (rel[0] == '/' || slash == NULL)
        return strdup(rel);
    if ((out = malloc(dlen + strlen(rel) + 2)) != NULL)
        snprintf(out, dlen + strlen(rel) + 2, "%.*s/%s", (int)dlen, sweep_file, rel);
    return out;
}

static int sweep_points(sweep_t *s, const scn_elem_t *root, sim_err_t *err)
{
    s->npoints = 1;
    for (size_t k = 0; k < s->nparams; k++) {
        const size_t n = s->params[k].nvalues;
        if (s->zip && k > 0 && n != s->params[0].nvalues)
            return scn_error(root, err, "combine='zip': parameter '%s' has %zu values, '%s' %zu",
                             s->params[k].name, n, s->params[0].name, s->params[0].nvalues);
        if (!s->zip && s->npoints > SIZE_MAX / 16 / n)
            return scn_error(root, err, "too many parameter points");
        s->npoints = s->zip ? n : s->npoints * n;
    }
    if (s->npoints > 10000000 / s->replications)
        return scn_error(root, err, "more than 10 million runs");
    return SIM_OK;
}

/* The base scenario's seed attribute (default 1), read without checking
 * the scenario further: each run loads and checks it. */
static int sweep_scenario_seed(sweep_t *s, sim_err_t *err)
{
    scn_t *scn = NULL;
    int rc = scn_load(s->scenario, NULL, 0, &scn, err);
    s->seed = 1;
    if (rc == SIM_OK)
        rc = scn_attr_uint(scn->root, "seed", false, &s->seed, err);
    scn_free(scn);
    return rc;
}

static int sweep_read(sweep_t *s, const scn_elem_t *root, sim_err_t *err)
{
    static const char *const combine[] = { "product", "zip", NULL };
    const char *scenario = NULL;
    int zip = 0;
    int rc;

    s->replications = 1;
    if ((rc = scn_attr_string(root, "name", true, &s->name, err)) != SIM_OK ||
        (rc = scn_attr_string(root, "scenario", true, &scenario, err)) != SIM_OK ||
        (rc = scn_attr_uint(root, "replications", false, &s->replications, err)) != SIM_OK ||
        (rc = scn_attr_enum(root, "combine", false, combine, &zip, err)) != SIM_OK)
        return rc;
    s->zip = zip == 1;
    if (s->replications == 0)
        return scn_error(root, err, "replications must be at least 1");
    if (strpbrk(s->name, "/\t\n") != NULL)
        return scn_error(root, err, "the name must not hold '/' or white space other than spaces");
    if ((s->scenario = sweep_resolve(s->file, scenario)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    s->nparams = scn_count_children(root, "param");
    if (s->nparams > SWEEP_MAX_PARAMS)
        return scn_error(root, err, "more than %d parameters", SWEEP_MAX_PARAMS);
    if ((s->params = calloc(s->nparams + 1, sizeof *s->params)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    size_t k = 0;
    for (const scn_elem_t *e = scn_child(root, "param"); e != NULL;
         e = scn_next_sibling(e, "param"))
        if ((rc = sweep_read_param(&s->params[k++], e, err)) != SIM_OK)
            return rc;
    if ((rc = sweep_points(s, root, err)) != SIM_OK)
        return rc;
    if (scn_attr(root, "seed") != NULL)
        return scn_attr_uint(root, "seed", true, &s->seed, err);
    if ((rc = sweep_scenario_seed(s, err)) != SIM_OK)
        return sim_err_prefix(err, "sweep %s: base scenario", s->file);
    return SIM_OK;
}

int sweep_load(const char *path, const char *dir, sweep_t **out, sim_err_t *err)
{
    sweep_t *s = calloc(1, sizeof *s);
    scn_t *doc = NULL;
    int rc;

    *out = NULL;
    if (s == NULL || (s->file = strdup(path)) == NULL) {
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
        goto fail;
    }
    if ((rc = scn_load_schema(path, NULL, 0, sweep_schema_xsd, &doc, err)) != SIM_OK)
        goto fail;
    s->doc = doc;
    if ((rc = sweep_read(s, doc->root, err)) != SIM_OK)
        goto fail;
    if (dir != NULL)
        s->dir = strdup(dir);
    else if ((s->dir = malloc(strlen(s->name) + 8)) != NULL)
        snprintf(s->dir, strlen(s->name) + 8, "%s.sweep", s->name);
    if (s->dir == NULL) {
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
        goto fail;
    }
    *out = s;
    return SIM_OK;
fail:
    sweep_free(s);
    return rc;
}

void sweep_free(sweep_t *s)
{
    if (s == NULL)
        return;
    for (size_t k = 0; s->params != NULL && k < s->nparams; k++) {
        for (size_t i = 0; i < s->params[k].nvalues; i++)
            free(s->params[k].values[i]);
        free(s->params[k].values);
    }
    free(s->params);
    scn_free(s->doc);
    free(s->scenario);
    free(s->dir);
    free(s->file);
    free(s);
}

/* ------------------------------------------------------------ the run table */

size_t sweep_count(const sweep_t *s)
{
    return s->npoints * (size_t)s->replications;
}

void sweep_run_at(const sweep_t *s, size_t index, sweep_run_t *run)
{
    size_t rest;
    run->index = index;
    run->point = index / (size_t)s->replications;
    run->replication = index % s->replications;
    rest = run->point;
    /* product order: the last parameter varies fastest */
    for (size_t k = s->nparams; k-- > 0;) {
        const size_t n = s->params[k].nvalues;
        run->values[k] = s->params[k].values[s->zip ? run->point : rest % n];
        rest /= n;
    }
}

void sweep_path(const sweep_t *s, size_t index, const char *kind, char *buf, size_t len)
{
    snprintf(buf, len, "%s/runs/run-%06zu.%s", s->dir, index, kind);
}

static bool sweep_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Whether run index's file of `kind` exists. */
static bool sweep_has(const sweep_t *s, size_t index, const char *kind)
{
    char p[4096];
    sweep_path(s, index, kind, p, sizeof p);
    return sweep_exists(p);
}

bool sweep_is_done(const sweep_t *s, size_t index)
{
    return sweep_has(s, index, "done");
}

bool sweep_has_failed(const sweep_t *s, size_t index)
{
    return sweep_has(s, index, "failed");
}

void sweep_status(const sweep_t *s, sweep_counts_t *c)
{
    *c = (sweep_counts_t){ .total = sweep_count(s) };
    for (size_t i = 0; i < c->total; i++) {
        if (sweep_is_done(s, i))
            c->done++;
        else if (sweep_has_failed(s, i))
            c->failed++;
        else
            c->pending++;
    }
}

void sweep_print_plan(const sweep_t *s, FILE *out)
{
    fprintf(out, "index\tpoint\treplication\tseed\trun");
    for (size_t k = 0; k < s->nparams; k++)
        fprintf(out, "\t%s", s->params[k].name);
    fputc('\n', out);
    for (size_t i = 0; i < sweep_count(s); i++) {
        sweep_run_t r;
        sweep_run_at(s, i, &r);
        fprintf(out, "%zu\t%zu\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64, r.index, r.point,
                r.replication, s->seed, r.replication);
        for (size_t k = 0; k < s->nparams; k++)
            fprintf(out, "\t%s", r.values[k]);
        fputc('\n', out);
    }
}

static int sweep_mkdir(const char *path, sim_err_t *err)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return sim_err_set(err, SIM_ERR_RUN, "cannot create folder '%s': %s", path,
                           strerror(errno));
    return SIM_OK;
}

int sweep_write_manifest(const sweep_t *s, sim_err_t *err)
{
    char path[4096], tmp[4200];
    FILE *f;
    int rc;

    snprintf(path, sizeof path, "%s/runs", s->dir);
    if ((rc = sweep_mkdir(s->dir, err)) != SIM_OK || (rc = sweep_mkdir(path, err)) != SIM_OK)
        return rc;
    snprintf(path, sizeof path, "%s/manifest.tsv", s->dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if ((f = fopen(tmp, "w")) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "cannot create '%s': %s", tmp, strerror(errno));
    fprintf(f, "# qkmsim sweep manifest (docs/sweeps.md)\n# sweep\t%s\n# file\t%s\n"
               "# scenario\t%s\n# replications\t%" PRIu64 "\n",
            s->name, s->file, s->scenario, s->replications);
    for (size_t k = 0; k < s->nparams; k++)
        fprintf(f, "# param\t%s\t%s\n", s->params[k].name, s->params[k].path);
    sweep_print_plan(s, f);
    if (ferror(f) | (fclose(f) != 0) || rename(tmp, path) != 0) {
        remove(tmp);
        return sim_err_set(err, SIM_ERR_RUN, "cannot write '%s': %s", path, strerror(errno));
    }
    return SIM_OK;
}
