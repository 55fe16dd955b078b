#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Lazy links (docs/models.md, "Lazy links"): a run and its --eager-links
# twin give the same datasets and attributes but the kernel's event count,
# which is smaller where the links can be lazy and equal where they
# cannot (two devices on a link, a design that reacts to deliveries, the
# per-change level log, the block log, outages that are logged).
set -u
: "${QKMSIM:?}" "${SRCDIR:?}" "${PYTHON3:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
check="$SRCDIR/tests/check_trace.py"
fail=0
n=0

# twin NAME SCENARIO fewer|equal OPTION...: runs both and compares.
twin() {
    name=$1 scn=$2 want=$3
    shift 3
    n=$((n + 1))
    "$QKMSIM" run "$scn" -q -o "$tmp/$n-lazy.h5" "$@" &&
        "$QKMSIM" run "$scn" -q -o "$tmp/$n-eager.h5" --eager-links "$@" || {
        echo "FAIL: $name: a run failed"; fail=1; return; }
    "$PYTHON3" "$check" lazy "$tmp/$n-lazy.h5" "$tmp/$n-eager.h5" "$want" > "$tmp/out" 2>&1 || {
        echo "FAIL: $name"; cat "$tmp/out"; fail=1; return; }
    echo "ok: $name ($want events)"
}

ties="$SRCDIR/tests/lazy/ties.xml" outages="$SRCDIR/tests/lazy/outages.xml"
twin "ties, sampled levels, every request" "$ties" fewer
twin "ties, summary only" "$ties" fewer --summary-only
twin "ties, another seed" "$ties" fewer --seed 11
twin "ties, per-change level log (eager)" "$ties" equal -O levels=on-change
twin "ties, block log (eager)" "$ties" equal -O blocks=true
twin "outages, summary only" "$outages" fewer --summary-only
twin "outages, another seed, summary only" "$outages" fewer --seed 11 --summary-only
twin "outages logged (eager)" "$outages" equal
twin "to the largest end time" "$SRCDIR/tests/lazy/longest.xml" fewer --summary-only \
    --until 9223372036854775807ns
twin "default scenario, sampled levels" "$SRCDIR/scenarios/default.xml" fewer --until 10min \
    -O levels=sampled -O requests=all
twin "ETSI 014 arrivals" "$SRCDIR/tests/etsi014/arrivals.xml" fewer --until 2min
twin "two devices on a link (eager)" "$SRCDIR/scenarios/links.xml" equal --until 30min --summary-only
twin "Q3P design (eager)" "$SRCDIR/scenarios/q3p.xml" equal --until 10min --summary-only
exit $fail
