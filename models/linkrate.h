/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * linkrate.h - secret-key rate models of a QKD link: the rate in bit/s as
 * a function of the fibre length and the device's parameters.
 *
 * Every model is one entry of a table (linkrate.c): its name, its
 * parameters (name, kind of quantity, default, allowed range) and a
 * function computing the rate. The scenario (<generation model="NAME"
 * PARAM="VALUE" ...>, models/link.c) and the command line
 * (`qkmsim model link-rate --model NAME --param PARAM=VALUE`) read the
 * parameters through the same table, so a model is added by adding one
 * entry (and its name and parameter attributes to scenarios/qkmsim.xsd).
 * Formulas, defaults and sources: docs/link-models.md.
 *
 * Parameter values are held as an array of doubles in the order of the
 * model's parameter table, in the units the table states (bit/s, pulses
 * per second, dB/km, or plain numbers). NaN means "not given": for an
 * optimised parameter (decoy-bb84's mu) the model then chooses the value.
 *
 * Errors: SIM_ERR_INPUT with a one-line message (no file or element: the
 * caller adds the location); SIM_ERR_RUN when out of memory. Nothing here
 * prints, exits or keeps state between calls.
 */
#ifndef QKM_MODELS_LINKRATE_H
#define QKM_MODELS_LINKRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "sim/error.h"

#define LINKRATE_MAX_PARAMS 12

typedef enum linkrate_kind {
    LINKRATE_RATE,        /* bit/s, parsed with units_parse_rate ("10kbps") */
    LINKRATE_FREQUENCY,   /* per second, units_parse_frequency ("1GHz") */
    LINKRATE_NUMBER       /* plain number, units_parse_double ("0.21") */
} linkrate_kind_t;

typedef struct linkrate_param {
    const char *name;     /* attribute / --param name */
    linkrate_kind_t kind;
    double def;           /* default; NaN: required, or chosen by the model */
    bool optimised;       /* when not given, the model chooses the value */
    double lo, hi;        /* allowed range */
    bool lo_open, hi_open;
    const char *unit;     /* unit of the value, for messages and listings */
    const char *what;     /* one-line meaning */
} linkrate_param_t;

typedef struct linkrate_model {
    const char *name;
    const char *title;            /* one line, with its source */
    const linkrate_param_t *params;
    size_t nparams;
    bool needs_length;            /* the rate depends on the fibre length */
    /* The rate in bit/s at length_km (finite and >= 0 when needs_length).
     * p holds nparams values, checked by linkrate_check; used receives
     * them with optimised values filled in. */
    int (*rate_bps)(const double *p, double length_km, double *used, double *rate,
                    sim_err_t *err);
} linkrate_model_t;

/* The registered models, in table order; NULL past the end. */
const linkrate_model_t *linkrate_model_at(size_t i);
/* The model called name, or NULL. */
const linkrate_model_t *linkrate_find(const char *name);
/* "constant, decoy-bb84, exp-loss" into buf (for messages). */
const char *linkrate_names(char *buf, size_t len);

/* Index of parameter name in m's table, or -1. */
int linkrate_param_index(const linkrate_model_t *m, const char *name);
/* "pulse-rate, alpha, ..." into buf (for messages). */
const char *linkrate_param_names(const linkrate_model_t *m, char *buf, size_t len);

/* Fills v[0 .. nparams) with the defaults (NaN where there is none). */
void linkrate_defaults(const linkrate_model_t *m, double *v);

/* Parses text as parameter index i of m (with its kind's units) into v[i]. */
int linkrate_parse(const linkrate_model_t *m, size_t i, const char *text, double *v,
                   sim_err_t *err);

/* Checks every required parameter is present and every value in range. */
int linkrate_check(const linkrate_model_t *m, const double *v, sim_err_t *err);

/* The rate in bit/s of m with parameters v at length_m metres (NaN when
 * unknown: an input error for a model that needs a length). Fills
 * used[0 .. nparams) (may be NULL) with the values used. Checks v first. */
int linkrate_compute(const linkrate_model_t *m, const double *v, double length_m,
                     double *used, double *rate_bps, sim_err_t *err);

/* Asymptotic decoy-state BB84 (Lo, Ma, Chen 2005), exposed for tests:
 * the secret-key rate per pulse (may be negative: no key) at mean photon
 * number mu, fibre length length_km, and the parameters alpha (dB/km),
 * eta_bob, y0, e_d, f and q. */
double linkrate_decoy_per_pulse(double mu, double length_km, double alpha, double eta_bob,
                                double y0, double e_d, double f, double q);

#endif
