/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_scenario.c - libFuzzer harness: a scenario's text through the loader
 * (parse, XSD validation, conversion; sim/scenario.h) and world_build
 * (every check the schema cannot make; models/world.h). Nothing is run and
 * no file is written.
 *
 * Besides crashes, leaks and undefined behaviour (the harness is built with
 * ASan and UBSan), it aborts when a result breaks the error contract:
 * the code must be SIM_OK or SIM_ERR_INPUT (nothing here can run out of
 * memory), and an input error must name the scenario file.
 *
 * The input is loaded as "$SRCDIR/scenarios/fuzz-input.xml" (a name only:
 * no such file is read), so that a relative graphml="ring.graphml" finds
 * the bundled GraphML file. The schema is parsed once per process
 * (scenario.h), so an input costs only its own parse and build.
 * See docs/reliability.md for running it longer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/world.h"
#include "sim/scenario.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char name[4096] = "scenarios/fuzz-input.xml";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *srcdir = getenv("SRCDIR");

    (void)argc;
    (void)argv;
    if (srcdir != NULL)
        snprintf(name, sizeof name, "%s/scenarios/fuzz-input.xml", srcdir);
    return 0;
}

/* Aborts (a finding) when err breaks the contract of scenario.h. */
static void check(int rc, const sim_err_t *err, const char *stage)
{
    if (rc == SIM_OK)
        return;
    if (rc != SIM_ERR_INPUT || err->code != rc) {
        fprintf(stderr, "%s: code %d (err.code %d), expected %d: %s\n", stage, rc, err->code,
                SIM_ERR_INPUT, err->msg);
        abort();
    }
    if (strstr(err->msg, "fuzz-input.xml") == NULL && strstr(err->msg, ".graphml") == NULL) {
        fprintf(stderr, "%s: the message names no file: %s\n", stage, err->msg);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sim_err_t err = { 0 };
    world_options_t opts = { 0 };
    scn_t *scn = NULL;
    world_t *w = NULL;
    int rc;

    rc = scn_load_text(name, (const char *)data, size, NULL, 0, &scn, &err);
    check(rc, &err, "scn_load_text");
    if (rc == SIM_OK) {
        rc = world_build(scn, &opts, &w, &err);
        check(rc, &err, "world_build");
        if (rc == SIM_OK && w == NULL)
            abort();
    }
    world_destroy(w);
    scn_free(scn);
    return 0;
}
