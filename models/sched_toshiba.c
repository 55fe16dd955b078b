/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sched_toshiba.c - relay scheduler "toshiba": Toshiba's global key
 * management (2016, survey §3.10). Its key sharing manager makes global
 * key at the sum of the applications' demands capped at what the relay
 * path carries, and its allocation manager shares it in proportion to
 * demand: flows demanding d_i bit/s over a path carrying C bit/s get
 *
 *     a_i = d_i min(1, C / sum_j d_j)            (sched_toshiba_allocate)
 *
 * (demands 100, 200, 100 kbit/s over 200 kbit/s: 50, 100, 50 kbit/s).
 * On a link this is realised as deficit round robin with quanta in
 * proportion to the demanded rates (sched_dwrr.c with quanta "rate"):
 * while every flow is backlogged each gets key in proportion to d_i, and
 * a flow demanding less than its share leaves the rest to the others. The
 * cap at the path's rate is the relay's (it generates no more global key
 * than the allocation); every flow must announce its rate.
 */
#include "models/sched_impl.h"

static int toshiba_create(const sched_params_t *p, void **state, sim_err_t *err)
{
    return sched_dwrr_make(p, SCHED_QUANTA_RATE, "toshiba", state, err);
}

double sched_toshiba_allocate(const double *demands, size_t n, double capacity, double *out)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += demands[i];
    double scale = sum > capacity && sum > 0.0 ? capacity / sum : 1.0;
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        out[i] = demands[i] * scale;
        total += out[i];
    }
    return total;
}

const sched_policy_t sched_toshiba = {
    .name = "toshiba",
    .create = toshiba_create,
    .add_flow = sched_dwrr_add_flow,
    .admit = NULL,
    .release = NULL,
    .enqueue = sched_dwrr_enqueue,
    .next = sched_dwrr_next,
    .remove = sched_dwrr_remove,
    .pending = sched_dwrr_pending,
    .destroy = sched_dwrr_destroy,
};
