/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sched_impl.h - what the relay scheduler files share (not for the relay:
 * it uses sched.h only): an intrusive job queue, per-flow arrays that grow
 * by doubling, checks of flows, and the policy tables for the registry.
 *
 * Units: bits. Ownership: a queue links the jobs it holds through their
 * next/prev fields and owns nothing; a flow array belongs to its policy's
 * state.
 */
#ifndef QKM_MODELS_SCHED_IMPL_H
#define QKM_MODELS_SCHED_IMPL_H

#include "models/sched.h"

/* A doubly linked queue of jobs. */
typedef struct sched_queue {
    sched_job_t *head, *tail;
    size_t n;
} sched_queue_t;

/* Appends j at the tail. */
void sched_queue_push(sched_queue_t *q, sched_job_t *j);

/* Inserts j after every job of lower rank, or of equal rank and lower seq
 * (ascending rank, ties in arrival order). Searches from the tail. */
void sched_queue_insert_ranked(sched_queue_t *q, sched_job_t *j);

/* Unlinks j, which must be in q. */
void sched_queue_unlink(sched_queue_t *q, sched_job_t *j);

/* Unlinks and returns the head when its bits <= available, else NULL. */
sched_job_t *sched_queue_take_head(sched_queue_t *q, uint64_t available);

/* Makes room for index id in *arr (elements of elem bytes, *cap of them),
 * growing by doubling; new elements are zeroed. SIM_ERR_RUN when out of
 * memory. */
int sched_grow(void **arr, size_t *cap, size_t elem, uint32_t id, sim_err_t *err);

/* SIM_ERR_INPUT naming the flow when one of its fields is out of range
 * (weight not > 0, rate < 0, sec outside [0, 10), a non-finite number). */
int sched_check_flow(const sched_flow_t *f, sim_err_t *err);

/* SIM_ERR_INPUT when flow f was already added (policy, flow and "twice"). */
int sched_duplicate(const char *policy, uint32_t id, sim_err_t *err);

/* DWRR, shared with toshiba (which forces rate quanta). */
int sched_dwrr_make(const sched_params_t *p, sched_quanta_t quanta, const char *name,
                    void **state, sim_err_t *err);
int sched_dwrr_add_flow(void *st, const sched_flow_t *f, sim_err_t *err);
void sched_dwrr_enqueue(void *st, sched_job_t *j, int64_t now);
sched_job_t *sched_dwrr_next(void *st, uint64_t available_bits, int64_t now);
void sched_dwrr_remove(void *st, sched_job_t *j);
size_t sched_dwrr_pending(const void *st);
void sched_dwrr_destroy(void *st);

extern const sched_policy_t sched_fifo;
extern const sched_policy_t sched_dwrr;
extern const sched_policy_t sched_prio;
extern const sched_policy_t sched_ddka;
extern const sched_policy_t sched_toshiba;
extern const sched_policy_t sched_qkdtl;

#endif
