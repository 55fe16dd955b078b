#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The relay scheduler comparison (docs/models.md, "Comparing the relay
# schedulers"): analysis/compare_relay.py runs scenarios/relay-schedulers.xml
# under FIFO, DWRR, priority classes and Toshiba allocation; each trace
# passes the general checks, the CSV has one row per scheduler, and
# tests/check_relay.py checks the shares against the weights, classes and
# demands, and the relay columns of `qkmsim summarize` against the traces.
set -u
: "${QKMSIM:?}" "${SRCDIR:?}" "${PYTHON3:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
scn="$SRCDIR/scenarios/relay-schedulers.xml"

# The block log for check_trace.py (the scenario turns the level log off itself).
"$PYTHON3" "$SRCDIR/analysis/compare_relay.py" -q "$QKMSIM" -s "$scn" -o "$tmp/out" -O blocks=true --csv \
    > "$tmp/table.csv" || { echo "FAIL: compare_relay.py exited $?"; cat "$tmp/table.csv"; exit 1; }
cat "$tmp/table.csv"
for t in "$tmp"/out/*.h5; do
    "$PYTHON3" "$SRCDIR/tests/check_trace.py" check "$t" "$scn" > "$tmp/check.log" ||
        { echo "FAIL: $t"; cat "$tmp/check.log"; fail=1; }
done
"$QKMSIM" summarize --csv "$tmp"/out/*.h5 > "$tmp/summarize.csv" ||
    { echo "FAIL: summarize exited $?"; fail=1; }
"$PYTHON3" "$SRCDIR/tests/check_relay.py" "$tmp/table.csv" "$tmp/out" "$scn" \
    "$tmp/summarize.csv" || fail=1
exit $fail
