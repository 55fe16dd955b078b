#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/bench/run.sh - the event kernel's hold-model benchmark (not a test).
#
# Runs `qkmsim bench kernel` at a few (pending, events) sizes and prints
# what it reports (the kernel and the bare 4-ary heap timed in the same
# process, and their ratio), then the same at 100,000 pending again and
# again (wall ratios move from run to run on a shared machine) with the
# median and range of the ratio, then, when valgrind is installed, callgrind's
# instruction count per event for each side alone (`--only kernel`,
# `--only bare`). Instruction counts are deterministic and so
# comparable between commits on any machine; wall rates are not (they move
# with the CPU, its caches and whatever else runs).
#
# Usage: tests/bench/run.sh            (from the build directory)
#   QKMSIM=path/to/qkmsim   the program (default ./qkmsim)
#   BENCH_SIZES="P:E ..."   pending:events pairs (default below)
#   BENCH_SEED=S            the stream seed (default 1)
#   BENCH_RUNS=N            repeated runs at 100000:5000000 (default 9; 0 skips)
#   BENCH_CALLGRIND=0       skip the callgrind count
set -eu

QKMSIM=${QKMSIM:-./qkmsim}
SIZES=${BENCH_SIZES:-"100:10000000 10000:10000000 100000:10000000 1000000:5000000"}
SEED=${BENCH_SEED:-1}
CG_PENDING=100000
CG_EVENTS=1000000

if [ ! -x "$QKMSIM" ]; then
    echo "run.sh: $QKMSIM is not an executable; build it or set QKMSIM" >&2
    exit 2
fi

echo "== qkmsim bench kernel (hold model: Exp(1 s) holds, seed $SEED; ratio = kernel rate / bare rate)"
for size in $SIZES; do
    pending=${size%%:*}
    events=${size#*:}
    "$QKMSIM" bench kernel --pending "$pending" --events "$events" --seed "$SEED"
done

RUNS=${BENCH_RUNS:-9}
if [ "$RUNS" -gt 0 ]; then
    echo "== $RUNS runs at pending=100000, 5000000 events: ratio of each, then median and range"
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        "$QKMSIM" bench kernel --pending 100000 --events 5000000 --seed "$SEED"
        i=$((i + 1))
    done | tee /dev/stderr | sed -n 's/.*ratio=\([0-9.]*\).*/\1/p' | sort -n |
        awk '{ r[NR] = $1 } END {
            if (NR == 0) exit 1
            m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
            printf "ratio over %d runs: median %.3f, range %.3f-%.3f\n", NR, m, r[1], r[NR]
        }'
fi

if [ "${BENCH_CALLGRIND:-1}" = 0 ]; then
    exit 0
fi
if ! command -v valgrind >/dev/null 2>&1; then
    echo "== callgrind: valgrind not found, skipped"
    exit 0
fi
# A libtool wrapper script would be profiled instead of the program.
if [ "$(head -c 4 "$QKMSIM" | od -An -c | tr -d ' ')" != '177ELF' ]; then
    echo "== callgrind: $QKMSIM is not an ELF binary (a libtool wrapper?), skipped"
    exit 0
fi

# Total instructions of one run of one side (callgrind's "refs" line).
cg_refs() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        "$QKMSIM" bench kernel --only "$1" --pending "$2" --events "$3" --seed "$SEED" 2>&1 >/dev/null |
        awk '/ refs:/ { gsub(",", "", $NF); print $NF }'
}

# Two runs that differ only in the number of events: their difference is
# the steady-state cost of one event, free of start-up and the initial
# scheduling of `pending` events.
echo "== callgrind (pending=$CG_PENDING, $CG_EVENTS and $((2 * CG_EVENTS)) events)"
for side in kernel bare; do
    r1=$(cg_refs "$side" "$CG_PENDING" "$CG_EVENTS")
    r2=$(cg_refs "$side" "$CG_PENDING" "$((2 * CG_EVENTS))")
    if [ -z "$r1" ] || [ -z "$r2" ]; then
        echo "run.sh: could not read callgrind's instruction count" >&2
        exit 1
    fi
    awk -v s="$side" -v r1="$r1" -v r2="$r2" -v e="$CG_EVENTS" 'BEGIN {
        printf "%-6s instructions: %d for %d events, %.0f per event overall, %.0f per event marginal\n",
               s, r1, e, r1 / e, (r2 - r1) / e
    }'
done
