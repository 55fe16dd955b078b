/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * textio.h - small helpers of the command-line side of the engine: the
 * wall clock (for benchmarks, progress lines and time estimates only:
 * nothing in a run reads it) and CSV fields (RFC 4180).
 */
#ifndef QKM_SIM_TEXTIO_H
#define QKM_SIM_TEXTIO_H

#include <stdio.h>

/* Seconds of CLOCK_MONOTONIC. */
double textio_wall_seconds(void);

/* Writes text as one CSV field: quoted, with quotes doubled, when it
 * holds a comma, a quote or a line break. */
void textio_csv_field(FILE *out, const char *text);

#endif
