/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cli.h - the generic command line: `run`, `validate`, `list`, `sweep` and
 * `bench kernel` for any model (sim/model.h), plus the commands a model
 * family adds (for QKD: `model link-rate`, `summarize`, `report`, in
 * models/commands.h).
 *
 * It parses arguments, calls the library and maps its error codes to exit
 * statuses: 0 success, 1 failure while running, 2 bad input or usage. It
 * and the commands it dispatches to are the only code that prints.
 */
#ifndef QKM_SIM_CLI_H
#define QKM_SIM_CLI_H

#include "sim/model.h"

#define SIM_EXIT_USAGE 2

/* A command added by a model family. main() gets argv[0] = the command's
 * name and returns the exit status. */
typedef struct sim_command {
    const char *name;       /* e.g. "summarize" */
    const char *synopsis;   /* one line for `qkmsim --help`, e.g. "TRACE...  one row per trace" */
    int (*main)(int argc, char **argv);
} sim_command_t;

/* The program: dispatches argv[1] to run, validate, bench or one of
 * `commands` (terminated by an entry whose name is NULL; may be NULL).
 * Frees the libraries' globals before it returns the exit status. */
int sim_cli_main(int argc, char **argv, const sim_model_t *model,
                 const sim_command_t *commands);

/* Prints "qkmsim: " fmt (with one %s argument) and the usage to stderr;
 * returns SIM_EXIT_USAGE. */
int sim_cli_usage_error(const char *usage, const char *fmt, const char *arg);

/* `qkmsim sweep ...` (sim/cli_sweep.c): argv[0] is "sweep". */
int sim_cli_sweep(int argc, char **argv, const sim_model_t *model);

/* Parses an unsigned decimal integer (units_parse_uint); false when it is not one. */
bool sim_cli_parse_u64(const char *text, uint64_t *out);

#endif
