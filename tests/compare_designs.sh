#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The storage-design comparison set (docs/storage-models.md, "Comparing the
# designs"): analysis/compare_designs.sh runs scenarios/compare-designs.xml
# under every design; each trace passes the general checks, the CSV has one
# row per design, and tests/check_compare.py checks what distinguishes the
# designs against the traces (same workload everywhere, collisions only
# without the working-set remedy, tags only in Q3P, format waste exact).
set -u
: "${QKMSIM:?}" "${SRCDIR:?}" "${PYTHON3:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
scn="$SRCDIR/scenarios/compare-designs.xml"

# The block log for check_trace.py (the scenario samples the levels itself).
QKMSIM="$QKMSIM" sh "$SRCDIR/analysis/compare_designs.sh" -s "$scn" -o "$tmp/out" -O blocks=true --csv \
    > "$tmp/table.csv" || { echo "FAIL: compare_designs.sh exited $?"; cat "$tmp/table.csv"; exit 1; }
cat "$tmp/table.csv"
for t in "$tmp"/out/*.h5; do
    "$PYTHON3" "$SRCDIR/tests/check_trace.py" check "$t" "$scn" > "$tmp/check.log" ||
        { echo "FAIL: $t"; cat "$tmp/check.log"; fail=1; }
done
"$PYTHON3" "$SRCDIR/tests/check_compare.py" "$tmp/table.csv" || fail=1
exit $fail
