/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * linkrate.c - the table of link rate models (see linkrate.h and
 * docs/link-models.md).
 */
#include "models/linkrate.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_min.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/units.h"

#define NPARAMS(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ constant */

static const linkrate_param_t constant_params[] = {
    { "rate", LINKRATE_RATE, NAN, false, 0.0, HUGE_VAL, false, true, "bit/s",
      "secret-key rate" },
};

static int constant_rate(const double *p, double length_km, double *used, double *rate,
                         sim_err_t *err)
{
    (void)length_km;
    (void)err;
    used[0] = p[0];
    *rate = p[0];
    return SIM_OK;
}

/* ------------------------------------------------------------ exp-loss */

static const linkrate_param_t exploss_params[] = {
    { "r0", LINKRATE_RATE, 3.2e6, false, 0.0, HUGE_VAL, false, true, "bit/s",
      "rate extrapolated to length 0" },
    { "a", LINKRATE_NUMBER, 0.25, false, 0.0, HUGE_VAL, false, true, "dB/km",
      "loss of the rate per km" },
};

static int exploss_rate(const double *p, double length_km, double *used, double *rate,
                        sim_err_t *err)
{
    (void)err;
    used[0] = p[0];
    used[1] = p[1];
    *rate = p[0] * pow(10.0, -p[1] * length_km / 10.0);
    return SIM_OK;
}

/* ------------------------------------------------------------ decoy-bb84 */

enum { DECOY_PULSE, DECOY_ALPHA, DECOY_ETA, DECOY_Y0, DECOY_ED, DECOY_F, DECOY_MU, DECOY_Q };

static const linkrate_param_t decoy_params[] = {
    [DECOY_PULSE] = { "pulse-rate", LINKRATE_FREQUENCY, 1e9, false, 0.0, HUGE_VAL, true, true,
                      "/s", "pulse (clock) rate of the source" },
    [DECOY_ALPHA] = { "alpha", LINKRATE_NUMBER, 0.21, false, 0.0, HUGE_VAL, false, true,
                      "dB/km", "fibre loss" },
    [DECOY_ETA] = { "eta-bob", LINKRATE_NUMBER, 0.045, false, 0.0, 1.0, true, false, "",
                    "Bob's transmittance times detector efficiency" },
    [DECOY_Y0] = { "y0", LINKRATE_NUMBER, 1.7e-6, false, 0.0, 1.0, false, true, "",
                   "background (dark count) yield per pulse" },
    [DECOY_ED] = { "e-d", LINKRATE_NUMBER, 0.033, false, 0.0, 0.5, false, false, "",
                   "probability that a photon hits the wrong detector" },
    [DECOY_F] = { "f", LINKRATE_NUMBER, 1.22, false, 1.0, HUGE_VAL, false, true, "",
                  "error-correction inefficiency, 1 at the Shannon limit" },
    [DECOY_MU] = { "mu", LINKRATE_NUMBER, NAN, true, 0.0, HUGE_VAL, true, true, "",
                   "mean photon number of the signal state" },
    [DECOY_Q] = { "q", LINKRATE_NUMBER, 0.5, false, 0.0, 1.0, true, false, "",
                  "sifting factor, 1/2 for BB84" },
};

/* Binary entropy, H2(0) = H2(1) = 0. */
static double linkrate_h2(double x)
{
    if (x <= 0.0 || x >= 1.0)
        return 0.0;
    return -x * log2(x) - (1.0 - x) * log2(1.0 - x);
}

double linkrate_decoy_per_pulse(double mu, double length_km, double alpha, double eta_bob,
                                double y0, double e_d, double f, double q)
{
    const double eta = eta_bob * pow(10.0, -alpha * length_km / 10.0);
    /* 1 - e^(-eta mu) loses every digit when eta mu is tiny: use expm1. */
    const double detect = -expm1(-eta * mu);
    const double q_mu = y0 + detect;
    const double e_mu = q_mu > 0.0 ? (y0 / 2.0 + e_d * detect) / q_mu : 0.0;
    const double y1 = y0 + eta;
    const double q1 = y1 * mu * exp(-mu);
    const double e1 = y1 > 0.0 ? (y0 / 2.0 + e_d * eta) / y1 : 0.0;
    return q * (-f * q_mu * linkrate_h2(e_mu) + q1 * (1.0 - linkrate_h2(e1)));
}

typedef struct decoy_args {
    const double *p;
    double length_km;
} decoy_args_t;

/* The minimiser's objective: minus the rate per pulse at mu. */
static double decoy_objective(double mu, void *params)
{
    const decoy_args_t *a = params;
    const double *p = a->p;
    return -linkrate_decoy_per_pulse(mu, a->length_km, p[DECOY_ALPHA], p[DECOY_ETA],
                                     p[DECOY_Y0], p[DECOY_ED], p[DECOY_F], p[DECOY_Q]);
}

#define DECOY_GRID 64
#define DECOY_MAX_ITER 200
#define DECOY_MU_TOL 1e-10

/* The mu in (0, 1) that maximises the rate per pulse. A coarse grid finds
 * the best cell; Brent's method refines it. gsl_min_fminimizer_set calls
 * GSL's error handler (abort by default) unless the middle point is lower
 * than both ends, so that is checked first: where the rate is flat (far
 * past the cut-off, all in floating-point noise) the grid point is kept. */
static int decoy_optimise(const decoy_args_t *a, double *mu, double *per_pulse, sim_err_t *err)
{
    gsl_function fn = { decoy_objective, (void *)a };
    gsl_min_fminimizer *s = NULL;
    double best = HUGE_VAL, x, lo, hi, fx, flo, fhi;
    int j = 1, status = GSL_CONTINUE;

    for (int i = 1; i < DECOY_GRID; i++) {
        double v = decoy_objective((double)i / DECOY_GRID, (void *)a);
        if (v < best) {
            best = v;
            j = i;
        }
    }
    x = (double)j / DECOY_GRID;
    lo = (double)(j - 1) / DECOY_GRID;
    hi = (double)(j + 1) / DECOY_GRID;
    fx = best;
    flo = decoy_objective(lo, (void *)a);
    fhi = decoy_objective(hi, (void *)a);
    *mu = x;
    *per_pulse = -fx;
    if (!(fx < flo && fx < fhi))
        return SIM_OK;
    if ((s = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    if (gsl_min_fminimizer_set_with_values(s, &fn, x, fx, lo, flo, hi, fhi) == GSL_SUCCESS) {
        for (int it = 0; it < DECOY_MAX_ITER && status == GSL_CONTINUE; it++) {
            if (gsl_min_fminimizer_iterate(s) != GSL_SUCCESS)
                break;
            status = gsl_min_test_interval(gsl_min_fminimizer_x_lower(s),
                                           gsl_min_fminimizer_x_upper(s), DECOY_MU_TOL, 0.0);
        }
        if (gsl_min_fminimizer_f_minimum(s) < fx) {
            *mu = gsl_min_fminimizer_x_minimum(s);
            *per_pulse = -gsl_min_fminimizer_f_minimum(s);
        }
    }
    gsl_min_fminimizer_free(s);
    return SIM_OK;
}

static int decoy_rate(const double *p, double length_km, double *used, double *rate,
                      sim_err_t *err)
{
    const decoy_args_t a = { p, length_km };
    double mu = p[DECOY_MU], per_pulse;
    int rc;

    if (isnan(mu)) {
        if ((rc = decoy_optimise(&a, &mu, &per_pulse, err)) != SIM_OK)
            return rc;
    } else {
        per_pulse = -decoy_objective(mu, (void *)&a);
    }
    memcpy(used, p, NPARAMS(decoy_params) * sizeof *used);
    used[DECOY_MU] = mu;
    *rate = per_pulse > 0.0 ? per_pulse * p[DECOY_PULSE] : 0.0;
    return SIM_OK;
}

/* ------------------------------------------------------------ the table */

_Static_assert(NPARAMS(decoy_params) <= LINKRATE_MAX_PARAMS, "raise LINKRATE_MAX_PARAMS");

static const linkrate_model_t linkrate_models[] = {
    { "constant", "a fixed secret-key rate", constant_params, NPARAMS(constant_params), false,
      constant_rate },
    { "decoy-bb84", "asymptotic decoy-state BB84 (Lo, Ma, Chen, PRL 94, 230504, 2005)",
      decoy_params, NPARAMS(decoy_params), true, decoy_rate },
    { "exp-loss", "R0 10^(-a L / 10), fitted to Toshiba 2008 (estimate)", exploss_params,
      NPARAMS(exploss_params), true, exploss_rate },
};

const linkrate_model_t *linkrate_model_at(size_t i)
{
    return i < NPARAMS(linkrate_models) ? &linkrate_models[i] : NULL;
}

const linkrate_model_t *linkrate_find(const char *name)
{
    for (size_t i = 0; i < NPARAMS(linkrate_models); i++)
        if (strcmp(linkrate_models[i].name, name) == 0)
            return &linkrate_models[i];
    return NULL;
}

/* Appends ", name" (or "name" first) to buf, truncating if need be. */
static void linkrate_append(char *buf, size_t len, const char *name)
{
    size_t used = strlen(buf);
    if (used + 1 < len)
        snprintf(buf + used, len - used, "%s%s", used > 0 ? ", " : "", name);
}

const char *linkrate_names(char *buf, size_t len)
{
    if (len == 0)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; i < NPARAMS(linkrate_models); i++)
        linkrate_append(buf, len, linkrate_models[i].name);
    return buf;
}

const char *linkrate_param_names(const linkrate_model_t *m, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; i < m->nparams; i++)
        linkrate_append(buf, len, m->params[i].name);
    return buf;
}

int linkrate_param_index(const linkrate_model_t *m, const char *name)
{
    for (size_t i = 0; i < m->nparams; i++)
        if (strcmp(m->params[i].name, name) == 0)
            return (int)i;
    return -1;
}

void linkrate_defaults(const linkrate_model_t *m, double *v)
{
    for (size_t i = 0; i < m->nparams; i++)
        v[i] = m->params[i].def;
}

int linkrate_parse(const linkrate_model_t *m, size_t i, const char *text, double *v,
                   sim_err_t *err)
{
    sim_err_t why;
    int rc;

    switch (m->params[i].kind) {
    case LINKRATE_RATE: rc = units_parse_rate(text, &v[i], &why); break;
    case LINKRATE_FREQUENCY: rc = units_parse_frequency(text, &v[i], &why); break;
    default: rc = units_parse_double(text, &v[i], &why); break;
    }
    if (rc != SIM_OK)
        return sim_err_set(err, SIM_ERR_INPUT, "parameter '%s': %s", m->params[i].name,
                           why.msg);
    return SIM_OK;
}

static bool linkrate_in_range(const linkrate_param_t *p, double x)
{
    return (p->lo_open ? x > p->lo : x >= p->lo) && (p->hi_open ? x < p->hi : x <= p->hi);
}

int linkrate_check(const linkrate_model_t *m, const double *v, sim_err_t *err)
{
    for (size_t i = 0; i < m->nparams; i++) {
        const linkrate_param_t *p = &m->params[i];
        if (isnan(v[i])) {
            if (p->optimised)
                continue;
            return sim_err_set(err, SIM_ERR_INPUT, "model '%s' needs parameter '%s' (%s)",
                               m->name, p->name, p->what);
        }
        if (linkrate_in_range(p, v[i]))
            continue;
        if (isinf(p->hi))
            return sim_err_set(err, SIM_ERR_INPUT,
                               "parameter '%s' of model '%s' must be %s %g, not %g", p->name,
                               m->name, p->lo_open ? ">" : ">=", p->lo, v[i]);
        return sim_err_set(err, SIM_ERR_INPUT,
                           "parameter '%s' of model '%s' must be in %c%g, %g%c, not %g",
                           p->name, m->name, p->lo_open ? '(' : '[', p->lo, p->hi,
                           p->hi_open ? ')' : ']', v[i]);
    }
    return SIM_OK;
}

int linkrate_compute(const linkrate_model_t *m, const double *v, double length_m,
                     double *used, double *rate_bps, sim_err_t *err)
{
    double scratch[LINKRATE_MAX_PARAMS];
    int rc;

    if ((rc = linkrate_check(m, v, err)) != SIM_OK)
        return rc;
    if (m->needs_length && !(length_m >= 0.0 && isfinite(length_m)))
        return sim_err_set(err, SIM_ERR_INPUT,
                           "model '%s' computes the rate from the fibre length, and no "
                           "length is given", m->name);
    if ((rc = m->rate_bps(v, length_m / 1000.0, used != NULL ? used : scratch, rate_bps,
                          err)) != SIM_OK)
        return rc;
    if (!(*rate_bps >= 0.0 && isfinite(*rate_bps)))
        return sim_err_set(err, SIM_ERR_INPUT, "model '%s' gives no finite rate (%g bit/s)",
                           m->name, *rate_bps);
    return SIM_OK;
}
