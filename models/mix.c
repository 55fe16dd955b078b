/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mix.c - application mixes: client pairs generated from one element (mix.h).
 */
#include "models/mix.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sim/grow.h"
#include "sim/rng.h"

/* The mix's own attributes; the others go to every pair. */
static const char *const mix_own[] = { "kind", "id", "pairs", "between", "nodes", NULL };
static const char *const mix_modes[] = { "adjacent", "random", "all", NULL };
enum { MIX_ADJACENT, MIX_RANDOM, MIX_ALL };

struct mix {
    void **blocks;          /* every allocation, freed together */
    size_t nblocks, cap;
    scn_elem_t **elems;     /* one per pair */
    size_t n;
};

typedef struct mix_plan {
    const scn_elem_t *e;
    const mix_env_t *env;
    const char *id, *kind;
    int mode;
    size_t *set, nset;      /* the node set (all nodes when no 'nodes') */
    size_t *links, nlinks;  /* adjacent: the links with both ends in the set */
    uint64_t pairs;
} mix_plan_t;

static void *mix_alloc(mix_t *m, size_t size)
{
    void *p, **v;
    if ((v = grow_room(m->blocks, &m->cap, m->nblocks + 1, sizeof *v, 64)) == NULL)
        return NULL;
    m->blocks = v;
    if ((p = calloc(1, size > 0 ? size : 1)) != NULL)
        m->blocks[m->nblocks++] = p;
    return p;
}

static char *mix_strdup(mix_t *m, const char *s)
{
    char *d = mix_alloc(m, strlen(s) + 1);
    if (d != NULL)
        strcpy(d, s);
    return d;
}

static bool mix_is_own(const char *name)
{
    for (size_t i = 0; mix_own[i] != NULL; i++)
        if (strcmp(mix_own[i], name) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------ values */

/* A number with its unit: "4.5/s" -> 4.5 and "/s". */
static bool mix_number(const char *s, const char *end, double *v, char *unit, size_t len)
{
    char *stop;
    while (s < end && isspace((unsigned char)*s))
        s++;
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    *v = strtod(s, &stop);
    if (stop == s || stop > end || (size_t)(end - stop) >= len)
        return false;
    snprintf(unit, len, "%.*s", (int)(end - stop), stop);
    return true;
}

/* Two numbers "a, b" with the same unit. */
static bool mix_two(const char *args, const char *end, double *a, double *b, char *unit,
                    size_t len)
{
    const char *comma = memchr(args, ',', (size_t)(end - args));
    char unit2[64];
    return comma != NULL && mix_number(args, comma, a, unit, len) &&
           mix_number(comma + 1, end, b, unit2, sizeof unit2) && strcmp(unit, unit2) == 0;
}

/* One of the '|'-separated words of args, trimmed, into out. */
static bool mix_choice(const char *args, const char *end, gsl_rng *r, char *out, size_t len)
{
    size_t n = 1, k;
    for (const char *p = args; p < end; p++)
        n += *p == '|';
    k = (size_t)gsl_rng_uniform_int(r, n);
    for (const char *p = args; k > 0; p++)
        if (*p == '|') {
            args = p + 1;
            k--;
        }
    const char *stop = memchr(args, '|', (size_t)(end - args));
    if (stop == NULL)
        stop = end;
    while (args < stop && isspace((unsigned char)*args))
        args++;
    while (stop > args && isspace((unsigned char)stop[-1]))
        stop--;
    if (stop == args || (size_t)(stop - args) >= len)
        return false;
    snprintf(out, len, "%.*s", (int)(stop - args), args);
    return true;
}

/* The value of one attribute for one pair: drawn when it names a
 * distribution, else as written. */
static int mix_value(const scn_elem_t *e, const char *name, const char *text, gsl_rng *r,
                     char *out, size_t len, sim_err_t *err)
{
    const char *open = strchr(text, '('), *end = text + strlen(text);
    char unit[64];
    double a = 0, b = 0;

    if (open == NULL || end == text || end[-1] != ')') {
        snprintf(out, len, "%s", text);
        return SIM_OK;
    }
    const size_t fn = (size_t)(open - text);
    const char *args = open + 1, *close = end - 1;
    if (fn == 7 && strncmp(text, "uniform", fn) == 0 && mix_two(args, close, &a, &b, unit, sizeof unit) && a <= b)
        snprintf(out, len, "%.17g%s", a + (b - a) * gsl_rng_uniform(r), unit);
    else if (fn == 11 && strncmp(text, "uniform-int", fn) == 0 &&
             mix_two(args, close, &a, &b, unit, sizeof unit) && a >= 0 && a <= b &&
             b < 4294967295.0 && a == (double)(uint64_t)a && b == (double)(uint64_t)b)
        snprintf(out, len, "%" PRIu64 "%s",
                 (uint64_t)a + (uint64_t)gsl_rng_uniform_int(r, (unsigned long)(b - a) + 1),
                 unit);
    else if (fn == 11 && strncmp(text, "exponential", fn) == 0 &&
             mix_number(args, close, &a, unit, sizeof unit) && a > 0)
        snprintf(out, len, "%.17g%s", gsl_ran_exponential(r, a), unit);
    else if (fn == 6 && strncmp(text, "choice", fn) == 0 && mix_choice(args, close, r, out, len))
        return SIM_OK;
    else
        return scn_error(e, err,
                         "attribute '%s': cannot read '%s' (expected uniform(a, b), "
                         "uniform-int(a, b) with integers 0 <= a <= b < 2^32, "
                         "exponential(mean) with mean > 0, or choice(v1|v2|...), the "
                         "numbers with the attribute's unit)", name, text);
    return SIM_OK;
}

/* ------------------------------------------------------------ elements */

/* A copy of template t (attributes drawn, `extra` attributes first, the
 * mix's own left out when own_out) with copies of its children. */
static int mix_copy(mix_t *m, const scn_elem_t *t, const char *name, scn_elem_t *parent,
                    const char *const *xkeys, const char *const *xvalues, size_t nextra,
                    bool own_out, gsl_rng *r, scn_elem_t **out, sim_err_t *err)
{
    scn_elem_t *c = mix_alloc(m, sizeof *c);
    const char **keys = mix_alloc(m, (t->nattrs + nextra) * sizeof *keys);
    const char **values = mix_alloc(m, (t->nattrs + nextra) * sizeof *values);
    scn_elem_t **tail;
    char buf[256];
    int rc;

    if (c == NULL || keys == NULL || values == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    *c = (scn_elem_t){ .name = name, .file = t->file, .line = t->line, .keys = keys,
                       .values = values, .parent = parent };
    for (size_t i = 0; i < nextra; i++, c->nattrs++)
        keys[i] = xkeys[i], values[i] = xvalues[i];
    for (size_t i = 0; i < t->nattrs; i++) {
        if (own_out && mix_is_own(t->keys[i]))
            continue;
        if ((rc = mix_value(t, t->keys[i], t->values[i], r, buf, sizeof buf, err)) != SIM_OK)
            return rc;
        keys[c->nattrs] = t->keys[i];
        if ((values[c->nattrs++] = mix_strdup(m, buf)) == NULL)
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    }
    tail = &c->first_child;
    for (const scn_elem_t *k = t->first_child; k != NULL; k = k->next) {
        if ((rc = mix_copy(m, k, k->name, c, NULL, NULL, 0, false, r, tail, err)) != SIM_OK)
            return rc;
        tail = &(*tail)->next;
    }
    *out = c;
    return SIM_OK;
}

/* The two nodes of pair k: a random link (adjacent) or two distinct
 * random nodes of the set (random). */
static void mix_nodes(const mix_plan_t *p, gsl_rng *r, size_t *a, size_t *b)
{
    if (p->mode == MIX_ADJACENT) {
        const size_t l = p->links[gsl_rng_uniform_int(r, p->nlinks)];
        p->env->link_ends(p->env->world, l, a, b);
        if (gsl_rng_uniform_int(r, 2) == 1) {
            const size_t t = *a;
            *a = *b;
            *b = t;
        }
    } else {
        const size_t i = gsl_rng_uniform_int(r, p->nset);
        size_t j = gsl_rng_uniform_int(r, p->nset - 1);
        j += j >= i;
        *a = p->set[i];
        *b = p->set[j];
    }
}

/* Pair k; all: between set[i] and set[j]. */
static int mix_pair(mix_t *m, const mix_plan_t *p, uint64_t k, size_t i, size_t j,
                    sim_err_t *err)
{
    char name[300], id[300];
    const char *keys[3] = { "id", "master", "slave" }, *values[3];
    gsl_rng *r;
    size_t a = 0, b = 0;
    int rc;

    snprintf(name, sizeof name, "mix/%s/%" PRIu64, p->id, k);
    snprintf(id, sizeof id, "%s.%" PRIu64, p->id, k);
    if ((r = rng_stream_create(p->env->seed, p->env->run, name)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    if (p->mode == MIX_ALL)
        a = p->set[i], b = p->set[j];
    else
        mix_nodes(p, r, &a, &b);
    values[0] = mix_strdup(m, id);
    values[1] = p->env->node_id(p->env->world, a);
    values[2] = p->env->node_id(p->env->world, b);
    rc = values[0] == NULL ? sim_err_set(err, SIM_ERR_RUN, "out of memory")
                           : mix_copy(m, p->e, p->kind, p->e->parent, keys, values, 3, true, r,
                                      &m->elems[k], err);
    rng_stream_free(r);
    return rc;
}

/* ------------------------------------------------------------ the plan */

static int mix_read_set(mix_t *m, mix_plan_t *p, sim_err_t *err)
{
    const char *list = scn_attr(p->e, "nodes");
    const size_t n = p->env->nnodes;
    char *seen;

    if ((p->set = mix_alloc(m, (n + 1) * sizeof *p->set)) == NULL ||
        (seen = mix_alloc(m, n + 1)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    if (list == NULL) {
        for (size_t i = 0; i < n; i++)
            p->set[p->nset++] = i;
        return SIM_OK;
    }
    for (const char *s = list; *s != '\0';) {
        char id[256];
        size_t len = 0, index = 0;
        while (isspace((unsigned char)*s))
            s++;
        while (s[len] != '\0' && !isspace((unsigned char)s[len]))
            len++;
        if (len == 0)
            break;
        if (len >= sizeof id)
            return scn_error(p->e, err, "attribute 'nodes': an id is too long");
        snprintf(id, sizeof id, "%.*s", (int)len, s);
        s += len;
        if (!p->env->find(p->env->world, id, &index))
            return scn_error(p->e, err, "attribute 'nodes': unknown node '%s'", id);
        if (seen[index])
            return scn_error(p->e, err, "attribute 'nodes': node '%s' is named twice", id);
        seen[index] = 1;
        p->set[p->nset++] = index;
    }
    return SIM_OK;
}

/* adjacent: the links whose two ends are in the set. */
static int mix_read_links(mix_t *m, mix_plan_t *p, sim_err_t *err)
{
    char *in = mix_alloc(m, p->env->nnodes + 1);
    if (in == NULL || (p->links = mix_alloc(m, (p->env->nlinks + 1) * sizeof *p->links)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    for (size_t i = 0; i < p->nset; i++)
        in[p->set[i]] = 1;
    for (size_t l = 0; l < p->env->nlinks; l++) {
        size_t a = 0, b = 0;
        p->env->link_ends(p->env->world, l, &a, &b);
        if (in[a] && in[b])
            p->links[p->nlinks++] = l;
    }
    if (p->nlinks == 0)
        return scn_error(p->e, err, "between=\"adjacent\": no link joins two of its nodes");
    return SIM_OK;
}

static int mix_plan(mix_t *m, const scn_elem_t *e, const mix_env_t *env, mix_plan_t *p,
                    sim_err_t *err)
{
    const bool has_pairs = scn_attr(e, "pairs") != NULL;
    int rc;

    *p = (mix_plan_t){ .e = e, .env = env };
    if ((rc = scn_attr_string(e, "kind", true, &p->kind, err)) != SIM_OK ||
        (rc = scn_attr_string(e, "id", true, &p->id, err)) != SIM_OK ||
        (rc = scn_attr_enum(e, "between", false, mix_modes, &p->mode, err)) != SIM_OK ||
        (rc = scn_attr_uint(e, "pairs", p->mode != MIX_ALL, &p->pairs, err)) != SIM_OK ||
        (rc = mix_read_set(m, p, err)) != SIM_OK)
        return rc;
    if (p->mode != MIX_ALL && p->pairs == 0)
        return scn_error(e, err, "attribute 'pairs': must be at least 1");
    if (p->mode != MIX_ADJACENT && p->nset < 2)
        return scn_error(e, err, "between=\"%s\" needs at least two nodes", mix_modes[p->mode]);
    if (p->mode == MIX_ALL) {
        const uint64_t all = (uint64_t)p->nset * (p->nset - 1) / 2;
        if (has_pairs && p->pairs != all)
            return scn_error(e, err, "between=\"all\" makes %" PRIu64 " pairs, not %" PRIu64
                             " (leave 'pairs' out)", all, p->pairs);
        p->pairs = all;
    }
    if (p->pairs > 100000000)
        return scn_error(e, err, "%" PRIu64 " pairs: at most 10^8", p->pairs);
    return p->mode == MIX_ADJACENT ? mix_read_links(m, p, err) : SIM_OK;
}

int mix_expand(const scn_elem_t *e, const mix_env_t *env, mix_t **out, sim_err_t *err)
{
    mix_t *m = calloc(1, sizeof *m);
    mix_plan_t p;
    int rc;

    *out = m;
    if (m == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    if ((rc = mix_plan(m, e, env, &p, err)) != SIM_OK)
        return rc;
    if ((m->elems = mix_alloc(m, p.pairs * sizeof *m->elems)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    for (size_t k = 0, i = 0, j = 1; k < p.pairs; k++, m->n++) {
        if ((rc = mix_pair(m, &p, k, i, j, err)) != SIM_OK)
            return rc;
        if (p.mode == MIX_ALL && ++j == p.nset)   /* the next pair i < j, row by row */
            j = ++i + 1;
    }
    return SIM_OK;
}

size_t mix_count(const mix_t *m)
{
    return m->n;
}

const scn_elem_t *mix_elem(const mix_t *m, size_t k)
{
    return m->elems[k];
}

void mix_free(mix_t *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nblocks; i++)
        free(m->blocks[i]);
    free(m->blocks);
    free(m);
}
