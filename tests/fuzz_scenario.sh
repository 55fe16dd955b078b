#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# libFuzzer over the scenario loader and world_build (tests/fuzz/run.sh),
# seeded with the bundled scenarios and the bad-input corpus.
exec "${SRCDIR:?}/tests/fuzz/run.sh" scenario "$SRCDIR/scenarios" "$SRCDIR/tests/bad"
