/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * main.c - the program's wiring: the engine's command line (sim/cli.h)
 * runs the QKD world (models/world.h) and gains the QKD commands
 * (models/commands.h). This is the one file of sim/ that may include a
 * models/ header (tests/layering.sh checks it).
 */
#include "models/commands.h"
#include "models/world.h"
#include "sim/cli.h"

int main(int argc, char **argv)
{
    return sim_cli_main(argc, argv, &world_model, commands_qkd);
}
