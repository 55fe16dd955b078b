#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# libFuzzer over the GraphML reader and the topology (tests/fuzz/run.sh),
# seeded with the bundled GraphML file and tests/fuzz/graphml/ (seeds of
# other shapes, and every input that once failed).
exec "${SRCDIR:?}/tests/fuzz/run.sh" graphml "$SRCDIR/scenarios/ring.graphml" \
    "$SRCDIR/tests/fuzz/graphml"
