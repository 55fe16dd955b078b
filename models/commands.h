/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * commands.h - the QKD commands of the program, added to the engine's
 * command line (sim/cli.h) by the wiring file sim/main.c:
 *   model link-rate   the secret-key rate of a link rate model (linkrate.h)
 *   summarize         one row of figures per trace (summary.h)
 *   report            one self-contained HTML page per trace (analysis/report.py)
 */
#ifndef QKM_MODELS_COMMANDS_H
#define QKM_MODELS_COMMANDS_H

#include "sim/cli.h"

/* Terminated by an entry whose name is NULL. */
extern const sim_command_t commands_qkd[];

#endif
