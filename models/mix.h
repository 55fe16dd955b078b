/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mix.h - application mixes: many client pairs from one <mix> element
 * (docs/scenario-format.md, "<mix>"; docs/models.md, "Application mixes").
 *
 * A <mix kind="K" id="M" pairs="N" between="..."> stands for N elements
 * <K id="M.k" master=".." slave=".." ...> (k = 0 .. N-1), made here as
 * plain scenario elements and created by the client kind K through the
 * kind registry like any written one. Every other attribute of the mix,
 * and every child element (with its attributes), is copied to each pair;
 * a value of the form uniform(a, b), uniform-int(a, b), exponential(mean)
 * or choice(v1|v2|...) is drawn for each pair (the unit of a, b or mean is
 * kept: "exponential(4/s)" gives e.g. "3.0812.../s").
 *
 * Random numbers: pair k draws its nodes and then its values, in document
 * order, from its own stream (seed, run, "mix/<M>/<k>") (sim/rng.h), so
 * pair k's draws do not depend on N or on any other pair; its client then
 * draws from streams named after its id "M.k" as a written client would.
 *
 * Ownership: a mix_t owns its elements and their strings; the clients
 * borrow them, so it lives as long as they do (the world frees it).
 */
#ifndef QKM_MODELS_MIX_H
#define QKM_MODELS_MIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/error.h"
#include "sim/scenario.h"

typedef struct mix mix_t;

/* What a mix needs of the network: its nodes and links, borrowed. */
typedef struct mix_env {
    uint64_t seed, run;
    size_t nnodes;
    size_t nlinks;
    const void *world;
    /* The two nodes of link i < nlinks. */
    void (*link_ends)(const void *world, size_t link, size_t *a, size_t *b);
    /* The index of node `id`; false when there is none. */
    bool (*find)(const void *world, const char *id, size_t *index);
    const char *(*node_id)(const void *world, size_t index);
} mix_env_t;

/* Expands <mix> e. SIM_ERR_INPUT (naming e) for a bad attribute, an
 * unknown node, a distribution that cannot be read, or no eligible pair. */
int mix_expand(const scn_elem_t *e, const mix_env_t *env, mix_t **out, sim_err_t *err);

size_t mix_count(const mix_t *m);
/* The element of pair k (k < mix_count). */
const scn_elem_t *mix_elem(const mix_t *m, size_t k);

void mix_free(mix_t *m);

#endif
