/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * error.h - how library code reports failure.
 *
 * Library functions never print and never exit. A function that can fail
 * takes a sim_err_t * (may be NULL when the caller does not want the text)
 * and returns one of the codes below. The command line maps the code to its
 * exit status, so the codes are the exit statuses of DESIGN.md:
 *   SIM_OK        0  success
 *   SIM_ERR_RUN   1  failure while running (I/O, out of memory, a model
 *                    invariant such as accounting that does not close)
 *   SIM_ERR_INPUT 2  bad input or usage; scenario errors name the file, the
 *                    line and the element
 */
#ifndef QKM_SIM_ERROR_H
#define QKM_SIM_ERROR_H

#include <stddef.h>

enum { SIM_OK = 0, SIM_ERR_RUN = 1, SIM_ERR_INPUT = 2 };

#define SIM_ERR_MSG_MAX 2048

typedef struct sim_err {
    int code;                   /* SIM_OK, SIM_ERR_RUN or SIM_ERR_INPUT */
    char msg[SIM_ERR_MSG_MAX];  /* one line, no trailing newline */
} sim_err_t;

/* Records code and a printf-style message in err (if err is not NULL) and
 * returns code, so that callers can write `return sim_err_set(err, ...)`.
 * A message already recorded is replaced. */
int sim_err_set(sim_err_t *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the recorded message with "prefix: " and returns err->code (or
 * SIM_ERR_RUN when err is NULL). Used to add context on the way up. */
int sim_err_prefix(sim_err_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void sim_err_clear(sim_err_t *err);

#endif
