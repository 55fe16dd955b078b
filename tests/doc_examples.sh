#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The examples of the user guide and of the README run and print what
# they show (tests/doc_examples.py).
set -u
: "${QKMSIM:?}" "${SRCDIR:?}" "${PYTHON3:?}"
# `./qkmsim report` finds analysis/ next to the program; a build outside the
# source tree (VPATH) has none there, so point it at the sources.
[ -f "$(dirname "$QKMSIM")/analysis/report.py" ] ||
    { QKMSIM_ANALYSIS="$SRCDIR/analysis"; export QKMSIM_ANALYSIS; }
fail=0
for guide in docs/user-guide.md README.md docs/sweeps.md; do
    "$PYTHON3" "$SRCDIR/tests/doc_examples.py" "$SRCDIR/$guide" "$QKMSIM" "$SRCDIR" || fail=1
done
exit $fail
